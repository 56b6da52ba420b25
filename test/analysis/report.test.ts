import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeReport } from '../../analysis/report.ts';
import { runSweep } from '../../analysis/sweep.ts';
import { main } from '../../sim/cli.ts';

// Issue 14, item 3: the report is built around what was run for (the browser test,
// `npm run test:browser`, checks the same pages render).

const tmp = mkdtempSync(join(tmpdir(), 'medsim-report-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('medsim report', () => {
  it('a sweep: headline outcomes charted against the swept parameter, no counters first, no "." heading', async () => {
    const file = join(tmp, 'g.yaml');
    writeFileSync(file, `name: report-gossip
description: Gossip coverage vs loss
seed: 2
duration: 1m
network: { nodes: 20, topology: { kind: random, degree: 3 } }
protocol: { name: gossip, itemSize: 10kB, interval: 10s, items: 3 }
sweep:
  trials: 2
  parameters:
    - { path: network.loss, values: [0, 0.2] }
    - { path: protocol.itemSize, values: [10kB, 100kB] }
`);
    const o = await runSweep({ scenario: file, workers: 0, out: join(tmp, 'sweep') });
    const html = readFileSync(await writeReport(o.resultsDir), 'utf8');
    expect(html).toContain('<title>medchain-sim report: report-gossip</title>');
    expect(html).toContain('Sweep: report-gossip — Gossip coverage vs loss');
    expect(html).not.toMatch(/<h2>\.<\/h2>/);
    // Three outcomes (coverage, t90, t50) × two parameters, each an inline SVG with marks.
    expect(html.match(/<figure class="chart"><svg/g)?.length).toBe(6);
    expect(html).toContain('coverage vs network.loss');
    expect(html).toContain('protocol.itemSize (bytes)'); // unit strings drawn in their base unit
    expect(html).toContain('No trial violated an invariant');
    const points = html.slice(html.indexOf('<h3>Points</h3>'));
    expect(points.slice(0, points.indexOf('</table>'))).not.toContain('net.dropped');
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/);
  });

  it('a run: outcomes, a timeline over virtual time, metrics with units, the replay', async () => {
    const file = join(tmp, 'p.yaml');
    writeFileSync(file, `name: report-pbft
description: PBFT with a silent replica
seed: 3
duration: 2s
network: { nodes: 6, regions: { preset: uniform-lan }, topology: { kind: full-mesh } }
protocol: { name: pbft, committee: 4, adversaries: [{ kind: silent, count: 1 }] }
`);
    const out = join(tmp, 'run');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['run', file, '--out', out])).toBe(0);
    } finally {
      vi.restoreAllMocks();
      process.exitCode = undefined;
    }
    const html = readFileSync(await writeReport(out), 'utf8');
    expect(html).toContain('Run: report-pbft — PBFT with a silent replica');
    expect(html).toContain('<h3>Headline outcomes</h3>');
    expect(html).toContain('committed blocks');
    expect(html).toMatch(/<h3>Timeline<\/h3>\s*<figure class="chart"><svg/);
    expect(html).toContain('virtual time (s)');
    expect(html).toContain('view changes');
    expect(html).toMatch(/latencyMs\.p50<\/td><td>[\d.]+ (ms|s)</);
    expect(html).toContain(`npx medsim run ${join(out, 'scenario.yaml')} --seed 3`);
  });
});
