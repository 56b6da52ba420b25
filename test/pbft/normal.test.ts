import { describe, expect, it } from 'vitest';
import { PbftReplica } from '../../protocols/pbft/replica.ts';
import { buildPbft, runPbft } from './helpers.ts';

describe('pbft normal case', () => {
  it('commits client requests with 2f + 1 agreement and replies to clients', () => {
    const { sim, run } = buildPbft({ committee: 4, client: { rate: 200 } }, { duration: '3s' });
    const result = sim.run();
    expect(result.violation).toBeUndefined();
    const summary = run.summarize!(sim, result) as any;
    expect(summary.acceptedRequests).toBeGreaterThan(800);
    expect(summary.viewChanges).toBe(0);
    const replicas = sim.nodes.slice(0, 4) as PbftReplica[];
    const last = Math.min(...replicas.map((r) => r.lastExecuted));
    expect(last).toBeGreaterThan(50);
    for (const r of replicas) expect(r.stateAt(last)).toBe(replicas[0].stateAt(last));
  });

  it('takes checkpoints every K and garbage-collects the log below the stable one', () => {
    const { sim } = buildPbft({ committee: 4, checkpointInterval: 8, watermarkWindow: 32, client: { rate: 300 } }, { duration: '3s' });
    const result = sim.run();
    expect(result.violation).toBeUndefined();
    expect(result.metrics.counters['pbft.checkpoints.stable']).toBeGreaterThan(10);
    for (const r of sim.nodes.slice(0, 4) as PbftReplica[]) {
      expect(r.lowWatermark).toBeGreaterThan(0);
      expect(r.lowWatermark % 8).toBe(0);
      expect(r.lastExecuted - r.lowWatermark).toBeLessThanOrEqual(32);
      expect(r.logSize).toBeLessThanOrEqual(32 + 8); // only entries above h survive
    }
  });

  it('batches requests up to batchSize', () => {
    const r = runPbft({ committee: 4, batchSize: 20, batchTimeout: '20ms', client: { rate: 1000 } }, { duration: '2s' });
    expect(r.result.violation).toBeUndefined();
    const p = r.protocol as any;
    expect(p.acceptedRequests / p.committedBlocks).toBeGreaterThan(5);
  });

  it('is deterministic: same seed ⇒ same trace hash; another seed ⇒ another', () => {
    const a = runPbft({ committee: 4 }, { duration: '2s' }, 5);
    const b = runPbft({ committee: 4 }, { duration: '2s' }, 5);
    const c = runPbft({ committee: 4 }, { duration: '2s' }, 6);
    expect(a.result.traceHash).toBe(b.result.traceHash);
    expect(a.protocol).toEqual(b.protocol);
    expect(c.result.traceHash).not.toBe(a.result.traceHash);
  });
});

describe('pbft bench helpers', () => {
  it('benchPbft runs (small committee)', async () => {
    const { benchPbft } = await import('../../protocols/pbft/bench.ts');
    const b = benchPbft({ committee: 7, blocks: 5, batch: 10, institutions: 50, gateways: 2 });
    expect(b.committee).toBe(7);
    expect(b.blocks).toBeGreaterThanOrEqual(5);
    expect(Object.keys(b)).toEqual(['committee', 'blocks', 'wallMs', 'blocksPerWallSec', 'messagesPerSec', 'rssMb']);
  });
});
