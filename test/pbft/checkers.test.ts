import { describe, expect, it } from 'vitest';
import { pbftModule } from '../../protocols/pbft/module.ts';
import { Simulation } from '../../sim/kernel.ts';
import { networkOptions } from '../../sim/runner.ts';
import { pbftScenario, runPbft } from './helpers.ts';

/** Replica 3 cut off from 1 s to 4 s while the primary crashes at 2 s: 3 misses commits others made. */
const LAGGING_BACKUP = {
  adversaries: [{ kind: 'crash', replicas: [0], params: { at: '2s' } }],
  checkers: { liveness: { enabled: false } },
};
const PARTITION = { network: { nodes: 7, regions: { preset: 'uniform-lan' }, jitter: 0.1, topology: { kind: 'full-mesh' }, partitions: [{ start: '1s', end: '4s', groups: [[3]] }] } };

/** Runs a scenario with only the named checker installed. */
function runWithOnly(checker: string, protocol: Record<string, unknown>, extra: Record<string, unknown>) {
  const scenario = pbftScenario(protocol, extra);
  const run = pbftModule.build(scenario, scenario.seed);
  const sim = new Simulation({ seed: scenario.seed, network: networkOptions(scenario), createNode: run.createNode, endTimeUs: scenario.duration, observers: run.observers!.filter((o) => o.name === checker) });
  run.install?.(sim);
  return sim.run();
}

describe('pbft checkers fire on real violations', () => {
  it('agreement: f + 1 colluders with the commit-quorum-2f mutant split the honest replicas', () => {
    const r = runPbft({ committee: 4, mutant: 'commit-quorum-2f', adversaries: [{ kind: 'cartel', count: 2 }] }, { duration: '2s' });
    expect(r.result.stopReason).toBe('violation');
    expect(r.result.violation?.kind).toBe('safety');
    expect(r.result.violation?.invariant).toBe('agreement');
  });

  it('agreement: f + 1 colluders break even the honest quorum at k = 7', () => {
    const r = runPbft({ committee: 7, adversaries: [{ kind: 'cartel', count: 3 }] }, { duration: '2s' });
    expect(r.result.violation?.invariant).toBe('agreement');
  });

  it('agreement: a view change that forgets prepared certificates re-proposes committed sequence numbers', () => {
    const honest = runPbft(LAGGING_BACKUP, { duration: '15s', ...PARTITION });
    expect(honest.result.violation, honest.result.violation?.message).toBeUndefined();
    expect((honest.protocol as any).newViews).toBeGreaterThan(0);
    const broken = runPbft({ ...LAGGING_BACKUP, mutant: 'forget-prepared' }, { duration: '15s', ...PARTITION });
    expect(broken.result.violation?.invariant).toBe('agreement');
  });

  it('validity: replicas that skip request authentication commit a forged operation', () => {
    const honest = runPbft({ adversaries: [{ kind: 'forge-requests', replicas: [0] }] }, { duration: '2s' });
    expect(honest.result.violation).toBeUndefined();
    const r = runPbft({ mutant: 'skip-request-auth', adversaries: [{ kind: 'forge-requests', replicas: [0] }] }, { duration: '2s' });
    expect(r.result.violation?.invariant).toBe('validity');
    expect(r.result.violation?.kind).toBe('safety');
  });

  it('total order: executing batches as they commit, not in sequence order', () => {
    const protocol = { mutant: 'execute-out-of-order', batchSize: 2, batchTimeout: '1ms', client: { rate: 2000 } };
    const r = runPbft(protocol, { duration: '2s', network: { nodes: 7, regions: { preset: 'uniform-lan' }, jitter: 0.9, topology: { kind: 'full-mesh' } } });
    expect(r.result.violation?.invariant).toBe('total-order');
  });

  it('no-revert: a replica that rolls back executed blocks when a new view disagrees', () => {
    const v = runWithOnly('no-revert', { ...LAGGING_BACKUP, mutant: 'rollback-on-new-view' }, { duration: '15s', ...PARTITION });
    expect(v.violation?.invariant).toBe('no-revert');
    expect(v.violation?.kind).toBe('safety');
  });

  it('liveness: f + 1 silent replicas stall the committee and the liveness checker fires while running', () => {
    const r = runPbft({ adversaries: [{ kind: 'silent', replicas: [1, 2], params: { from: '1s' } }], checkers: { liveness: { bound: '2s', gst: '0s' } } }, { duration: '20s' });
    expect(r.result.violation?.kind).toBe('liveness');
    expect(r.result.violation?.invariant).toBe('liveness');
    expect(r.result.simTimeUs).toBeLessThan(5_000_000); // caught during the run, not at its end
  });
});
