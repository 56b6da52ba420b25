import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { committeeSafeProbability, faultBound } from '../../analysis/consistency.ts';
import { FIGURES, reproduce } from '../../analysis/reproduce/index.ts';
import { writeReport } from '../../analysis/report.ts';

const tmp = mkdtempSync(join(tmpdir(), 'medsim-reproduce-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hypergeometric committee consistency', () => {
  it('matches hand-computed values', () => {
    expect(faultBound(4)).toBe(1);
    expect(faultBound(7)).toBe(2);
    // N = 10, B = 3, k = 4, f = 1: [C(7,4) + C(3,1)C(7,3)] / C(10,4) = (35 + 105) / 210.
    expect(committeeSafeProbability(10, 3, 4)).toBeCloseTo(140 / 210, 12);
    // N = 100, B = 10, k = 4: [C(90,4) + 10·C(90,3)] / C(100,4).
    expect(committeeSafeProbability(100, 10, 4)).toBeCloseTo((2_555_190 + 10 * 117_480) / 3_921_225, 12);
    expect(committeeSafeProbability(100, 0, 31)).toBe(1);
  });
});

describe('reproduce --quick', () => {
  it('runs every registered figure (or reports clearly why it cannot)', async () => {
    const out = await reproduce('all', { quick: true, json: true, out: tmp, workers: 2 });
    expect(out.map((o) => o.id)).toEqual(FIGURES.map((f) => f.id));
    for (const o of out) {
      if (o.status === 'unavailable') {
        expect(o.reason, o.id).toMatch(/^needs protocols\/\w+: \w+ \(not available\)$/);
        console.warn(`reproduce ${o.id}: skipped — ${o.reason}`);
        continue;
      }
      expect(o.status, `${o.id}: ${o.reason}`).toBe('ok');
      expect(o.rows!.length).toBeGreaterThan(0);
      expect(o.wallMs).toBeLessThan(60_000);
      const summary = JSON.parse(readFileSync(join(o.dir!, 'summary.json'), 'utf8'));
      expect(summary.source).toBe(o.source);
    }
    const ds = out.find((o) => o.id === 'double-spend')!;
    expect(ds.status).toBe('ok');
    expect(ds.rows).toHaveLength(22);
    expect(Object.keys(ds.rows![0])).toEqual(['q', 'z', 'nakamoto', 'rosenfeld', 'exact', 'simulated', 'ciLow', 'ciHigh', 'trials']);
    for (const r of ds.rows as { exact: number; ciLow: number; ciHigh: number; trials: number; z: number }[]) {
      expect(r.trials).toBe(1_000_000);
      // 95 % intervals: a miss or two among 22 would be chance, but these seeds are fixed.
      if (r.z <= 5) expect(r.exact).toBeGreaterThanOrEqual(r.ciLow * 0.98);
      if (r.z <= 5) expect(r.exact).toBeLessThanOrEqual(r.ciHigh * 1.02);
    }
    const dp = out.find((o) => o.id === 'dpos-consistency')!;
    expect(dp.status).toBe('ok');
    expect(Object.keys(dp.rows![0])).toEqual(['candidates', 'byzantine', 'committee', 'analytic', 'simulated', 'ciLow', 'ciHigh', 'trials']);
    expect(dp.rows).toHaveLength(36); // 2 pools × 4 shares × 5 committees, minus k = 101 > 100 candidates

    // The report: one self-contained page.
    const index = writeReport(tmp);
    const html = readFileSync(index, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('confirmations z (blocks)');
    expect(html).toContain('Published values next to ours');
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/);
  }, 150_000);
});
