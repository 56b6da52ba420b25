import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeSmallDoubleSpend } from '../fixtures/double-spend.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregateHeadline, aggregateViolations } from '../../analysis/outcomes.ts';
import { runSweep } from '../../analysis/sweep.ts';
import { sweepText } from '../../analysis/sweep-text.ts';
import { raceExact } from '../../analysis/doublespend.ts';
import { PROTOCOLS, protocolSchemas } from '../../protocols/registry.ts';
import { runScenario } from '../../sim/runner.ts';
import { loadScenario } from '../../sim/scenario/index.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';

const tmp = mkdtempSync(join(tmpdir(), 'medsim-outcomes-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('headline aggregation', () => {
  it('turns categories into shares with Wilson intervals, declared order first, zero categories kept', () => {
    const meta = { name: 'ds', label: 'double spend', kind: 'categorical' as const, categories: ['success', 'gave-up', 'undecided'] };
    const values = ['success', 'gave-up', 'success', 'other', undefined].map((v) => (v === undefined ? {} : { ds: v }));
    const [h] = aggregateHeadline([meta], values, { ds: { value: 0.3, label: 'closed form' } });
    expect(h.n).toBe(4);
    expect(h.shares!.map((s) => [s.category, s.count])).toEqual([['success', 2], ['gave-up', 1], ['undecided', 0], ['other', 1]]);
    expect(h.shares![0].share).toBe(0.5);
    // Wilson 95 % for 2 of 4 (Newcombe 1998): 0.150 … 0.850.
    expect(h.shares![0].ciLow).toBeCloseTo(0.1500, 3);
    expect(h.shares![0].ciHigh).toBeCloseTo(0.8500, 3);
    expect(h.shares!.reduce((a, s) => a + s.share, 0)).toBeCloseTo(1, 12);
    expect(h.theory).toEqual({ value: 0.3, label: 'closed form' });
  });

  it('summarises numbers with a t interval clipped to natural bounds, and counts violations per invariant', () => {
    const [c] = aggregateHeadline([{ name: 'k', label: 'blocks', kind: 'count', unit: 'blocks' }], [{ k: 0 }, { k: 0 }, { k: 3 }]);
    expect(c).toMatchObject({ n: 3, mean: 1, total: 3, min: 0, max: 3 });
    expect(c.ciLow).toBe(0); // the raw t interval goes below 0
    const v = aggregateViolations([null, { kind: 'safety', invariant: 'a', message: '' }, { kind: 'safety', invariant: 'a', message: '' }, { kind: 'liveness', invariant: 'b', message: '' }]);
    expect(v).toMatchObject({ n: 4, trials: 3 });
    expect(v.byInvariant.map((b) => [b.invariant, b.kind, b.count])).toEqual([['a', 'safety', 2], ['b', 'liveness', 1]]);
  });
});

describe('a double-spend sweep shows what it was run for', () => {
  it('aggregates the attack outcome, counts violations, and every stored replay reproduces its trace hash', async () => {
    const file = join(tmp, 'ds-sweep.yaml');
    writeSmallDoubleSpend(file, {
      name: 'ds-sweep-test', seed: 4, hashShare: 0.45, confirmations: 1, confirmedDepth: 1,
      extra: 'sweep:\n  trials: 4\n  parameters:\n    - path: protocol.attack.hashShare\n      values: [0.2, 0.45]\n',
    });
    const o = await runSweep({ scenario: file, workers: 0, out: join(tmp, 'ds'), overrides: { 'protocol.attack.giveUpDeficit': 8 } });
    const summary = JSON.parse(readFileSync(join(o.resultsDir, 'summary.json'), 'utf8'));
    // Headline first: the categorical outcome as shares of trials, with the closed form beside it.
    for (const [p, q] of [[0, 0.2], [1, 0.45]] as const) {
      const h = summary.perPoint[p].summary.headline[0];
      expect(h).toMatchObject({ name: 'doubleSpend', kind: 'categorical', n: 4 });
      expect(h.shares.map((s: { category: string }) => s.category).slice(0, 3)).toEqual(['success', 'gave-up', 'undecided']);
      expect(h.shares.reduce((a: number, s: { count: number }) => a + s.count, 0)).toBe(4);
      expect(h.theory.value).toBeCloseTo(raceExact(q, 1, { strict: true, giveUp: 8 }), 12); // the --set reached the closed form too
    }
    const csv = readFileSync(join(o.resultsDir, 'points.csv'), 'utf8').split('\n')[0].split(',');
    expect(csv.slice(0, 8)).toEqual(['point', 'protocol.attack.hashShare', 'n', 'failures', 'doubleSpend=success', 'doubleSpend=success.ciLow', 'doubleSpend=success.ciHigh', 'doubleSpend=gave-up']);
    expect(csv).toContain('violations.confirmed-not-reversed');
    // Violations: counted per invariant, each with a replay command relative to the sweep directory.
    expect(summary.violationCount).toBeGreaterThan(0);
    expect(summary.violationsByInvariant['confirmed-not-reversed']).toBe(summary.violationCount);
    const perPoint = summary.perPoint.reduce((n: number, p: { summary: { violations: { trials: number } } }) => n + p.summary.violations.trials, 0);
    expect(perPoint).toBe(summary.violationCount);
    const text = sweepText({ points: o.points, trialsPerPoint: 4, trials: o.trials, aggregateHash: o.aggregateHash, resultsDir: o.resultsDir, findings: o.findings! });
    expect(text).toContain(`${summary.violationCount} of 8 trials violated an invariant (confirmed-not-reversed ${summary.violationCount})`);
    expect(text).toMatch(/replay: npx medsim run \S+replay\/point-\d\.yaml --seed \d+/);
    for (const v of summary.violations) {
      const m = /^npx medsim run (replay\/point-\d+\.yaml) --seed (\d+)$/.exec(v.replay)!;
      expect(m, v.replay).not.toBeNull();
      const replayFile = join(o.resultsDir, m[1]);
      expect(existsSync(replayFile)).toBe(true);
      const loaded = loadScenario(replayFile, { registry: protocolSchemas() });
      const { result } = runScenario(loaded.scenario as Scenario, PROTOCOLS, Number(m[2]));
      expect(result.traceHash).toBe(v.traceHash);
      expect(result.violation?.invariant).toBe(v.invariant);
    }
  });
});
