/**
 * Partitions drawn at random (as the check suites draw them) and healed: the chain converges
 * (`fork-convergence`) and confirmed txs stay put (`confirmed-not-reversed`) with the settings
 * docs/pow.md recommends; one-way partitions, which lose getdata replies, do not stall nodes.
 */
import { describe, expect, it } from 'vitest';
import { applyFaultDraws } from '../../analysis/check/draws.ts';
import { buildSimulation } from '../../sim/runner.ts';
import { buildScenarioSchema } from '../../sim/scenario/schema.ts';
import { forkPoint } from '../../protocols/nakamoto/tree.ts';
import { bestHonestTip } from '../../protocols/pow/metrics.ts';
import { powModule, powSchema, type PowRun } from '../../protocols/pow/module.ts';

const schema = buildScenarioSchema({ pow: powSchema });

function base(protocol: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'pow-partition-heal',
    seed: 1,
    duration: '4h',
    network: { nodes: 20, regions: { preset: 'bitcoin-2019' }, topology: { kind: 'random', degree: 4 } },
    protocol: { name: 'pow', retargetInterval: 0, txRelay: 'full', workload: { transferRate: 0.01 }, checks: { confirmedDepth: 12, convergenceSlack: 2 }, ...protocol },
  };
}

function run(raw: Record<string, unknown>, seed: number) {
  const scenario = schema.parse(raw);
  const { sim, run } = buildSimulation(scenario, { pow: powModule }, seed);
  let reorgs = 0;
  sim.observe({ name: 'count-reorgs', onObservation: (_n, o) => void (o.kind === 'reorg' && reorgs++) });
  const result = sim.run();
  return { result, run: run as PowRun, reorgs };
}

describe('pow under partitions', () => {
  it('1–2 random partitions healed by 2 h: a 20-node, 4 h run converges and reverses nothing confirmed', () => {
    let partitioned = 0;
    let reorgs = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const raw = base();
      // The suites' own draw: up to 2 partitions of a random minority (sometimes one-way), each ending by 2 h.
      const drawn = applyFaultDraws(raw, [{ partitions: { max: 2, start: ['10m', '90m'], length: ['5m', '30m'], oneWay: 0.3 } }], seed);
      const parts = drawn['network.partitions'] as { end: string }[];
      for (const p of parts) expect(parseInt(p.end, 10)).toBeLessThanOrEqual(2 * 3600e6);
      const r = run(raw, seed);
      expect(r.result.violation).toBeUndefined();
      if ((r.result.metrics.counters['net.dropped.partition'] ?? 0) > 0) partitioned++;
      reorgs += r.reorgs;
      // Every honest tip agrees with the best one except for the last 2 blocks.
      const best = bestHonestTip(r.run.nodes, r.run.honest);
      for (const id of r.run.honest) expect(best.height - forkPoint(r.run.nodes[id].tip, best).height).toBeLessThanOrEqual(2);
    }
    expect(partitioned).toBeGreaterThanOrEqual(5);
    expect(reorgs).toBeGreaterThan(0);
  });

  it('a one-way partition (replies lost) heals: stalled block requests are re-sent to other peers', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const raw = base();
      (raw.network as Record<string, unknown>).partitions = [{ start: '10m', end: '110m', split: 0.3, direction: 'one-way' }];
      const r = run(raw, seed);
      expect(r.result.violation).toBeUndefined();
      expect(r.result.metrics.counters['pow.block.rerequested']).toBeGreaterThan(0);
    }
  });

  it('fork-convergence still fires when a partition never heals', () => {
    const raw = base();
    (raw.network as Record<string, unknown>).partitions = [{ start: '10m', end: '5h', split: 0.5 }];
    expect(run(raw, 1).result.violation?.invariant).toBe('fork-convergence');
  });
});
