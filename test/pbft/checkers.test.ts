import { describe, expect, it } from 'vitest';
import { AgreementChecker, NoRevertChecker, ValidityChecker } from '../../protocols/pbft/checkers.ts';
import { requestDigest, type RequestMsg } from '../../protocols/pbft/messages.ts';
import { pbftModule } from '../../protocols/pbft/module.ts';
import { Simulation } from '../../sim/kernel.ts';
import { networkOptions } from '../../sim/runner.ts';
import { pbftScenario, runPbft, runPbftMutant } from './helpers.ts';

/** Replica 3 cut off from 1 s to 4 s while the primary crashes at 2 s: 3 misses commits others made. */
const LAGGING_BACKUP = {
  adversaries: [{ kind: 'crash', replicas: [0], params: { at: '2s' } }],
  checkers: { liveness: { enabled: false } },
};
const PARTITION = { network: { nodes: 7, regions: { preset: 'uniform-lan' }, jitter: 0.1, topology: { kind: 'full-mesh' }, partitions: [{ start: '1s', end: '4s', groups: [[3]] }] } };

/**
 * One Byzantine identity (replica 3, twinned) and a one-way partition: replicas 2 and 3 hear
 * everybody but only each other hears them (the setting of the pbft-twins suite's mutants).
 */
const TWINS_SPLIT = { committee: 4, twins: { replica: 3, forward: 0.5 }, checkers: { liveness: { gst: '6s', bound: '5s' } } };
const TWINS_NET = { duration: '8s', network: { nodes: 7, regions: { preset: 'bitcoin-2019' }, jitter: 0.5, topology: { kind: 'full-mesh' }, partitions: [{ start: '500ms', end: '5s', groups: [[2, 3]], direction: 'one-way' }] } };

/** Runs a scenario with only the named checker installed. */
function runWithOnly(checker: string, protocol: Record<string, unknown>, extra: Record<string, unknown>, mutant?: string) {
  const scenario = pbftScenario(protocol, extra);
  const build = mutant ? pbftModule.mutants![mutant].build : pbftModule.build;
  const run = build(scenario, scenario.seed);
  const sim = new Simulation({ seed: scenario.seed, network: networkOptions(scenario), createNode: run.createNode, endTimeUs: scenario.duration, observers: run.observers!.filter((o) => o.name === checker) });
  run.install?.(sim);
  return sim.run();
}

const invariants = (r: { result: { violations: { invariant: string }[] } }) => r.result.violations.map((v) => v.invariant);

describe('pbft checkers fire on real violations (each beside its control: the honest replica, same scenario and seed)', () => {
  it('agreement: commit-quorum-2f with one Byzantine identity (twins, f = 1) — the honest quorum stays safe', () => {
    const honest = runPbft(TWINS_SPLIT, TWINS_NET, 1);
    expect(honest.result.violation, honest.result.violation?.message).toBeUndefined();
    const broken = runPbftMutant('commit-quorum-2f', TWINS_SPLIT, TWINS_NET, 1);
    expect(broken.result.violation?.kind).toBe('safety');
    expect(broken.result.violation?.invariant).toBe('agreement');
  });

  it('agreement: f + 1 colluders break even the honest quorum (k = 4 and k = 7) — beyond the fault bound, no mutant needed', () => {
    for (const committee of [4, 7]) {
      const r = runPbft({ committee, adversaries: [{ kind: 'cartel', count: Math.floor((committee - 1) / 3) + 1 }] }, { duration: '2s' });
      expect(r.result.violation?.invariant).toBe('agreement');
    }
  });

  it('agreement: a view change that forgets prepared certificates re-proposes committed sequence numbers', () => {
    const honest = runPbft(LAGGING_BACKUP, { duration: '15s', ...PARTITION });
    expect(honest.result.violation, honest.result.violation?.message).toBeUndefined();
    expect((honest.protocol as any).newViews).toBeGreaterThan(0);
    const broken = runPbftMutant('forget-prepared', LAGGING_BACKUP, { duration: '15s', ...PARTITION });
    expect(broken.result.violation?.invariant).toBe('agreement');
  });

  it('validity: replicas that skip request authentication commit an operation substituted under a real client\'s digest', () => {
    const protocol = { adversaries: [{ kind: 'forge-requests', replicas: [0] }] };
    const honest = runPbft(protocol, { duration: '2s' });
    expect(honest.result.violation).toBeUndefined();
    expect(honest.result.metrics.counters['pbft.adversary.forged-requests']).toBeGreaterThan(0);
    expect(honest.result.metrics.counters['pbft.rejected.digest']).toBeGreaterThan(0);
    const r = runPbftMutant('skip-request-auth', protocol, { duration: '2s' });
    expect(r.result.violation?.invariant).toBe('validity');
    expect(r.result.violation?.kind).toBe('safety');
    expect(r.result.violation?.message).toContain('with an operation its client did not issue');
  });

  it('total order: executing batches as they commit, not in sequence order', () => {
    const protocol = { batchSize: 2, batchTimeout: '1ms', client: { rate: 2000 } };
    const extra = { duration: '2s', network: { nodes: 7, regions: { preset: 'uniform-lan' }, jitter: 0.9, topology: { kind: 'full-mesh' } } };
    const honest = runPbft(protocol, extra);
    expect(honest.result.violation, honest.result.violation?.message).toBeUndefined();
    const r = runPbftMutant('execute-out-of-order', protocol, extra);
    expect(r.result.violation?.invariant).toBe('total-order');
  });

  it('no-revert: tentative execution reported final, rolled back when the new view re-proposes the slot — reported with agreement on the same event', () => {
    const honest = runPbft(TWINS_SPLIT, TWINS_NET, 2);
    expect(honest.result.violation, honest.result.violation?.message).toBeUndefined();
    const broken = runPbftMutant('rollback-on-new-view', TWINS_SPLIT, TWINS_NET, 2);
    // Agreement runs first and fires on the same commit; the kernel reports every invariant
    // that fired on the violating event, so no-revert is not hidden behind it.
    expect(invariants(broken)).toEqual(expect.arrayContaining(['agreement', 'no-revert']));
    expect(broken.result.violations.every((v) => v.time === broken.result.violation!.time)).toBe(true);
    // And alone (agreement removed), no-revert catches it by itself.
    const alone = runWithOnly('no-revert', TWINS_SPLIT, TWINS_NET, 'rollback-on-new-view');
    expect(alone.violation?.invariant).toBe('no-revert');
  });

  it('liveness: f + 1 silent replicas stall the committee and the liveness checker fires while running', () => {
    const r = runPbft({ adversaries: [{ kind: 'silent', replicas: [1, 2], params: { from: '1s' } }], checkers: { liveness: { bound: '2s', gst: '0s' } } }, { duration: '20s' });
    expect(r.result.violation?.kind).toBe('liveness');
    expect(r.result.violation?.invariant).toBe('liveness');
    expect(r.result.simTimeUs).toBeLessThan(5_000_000); // caught during the run, not at its end
  });
});

describe('pbft checkers on hand-made observations', () => {
  const request = (client: number, timestamp: number, tag: string): RequestMsg =>
    Object.freeze({ type: 'request', client, timestamp, op: Object.freeze({ kind: 'data', bytes: 8, tag }), opDigest: requestDigest(client, timestamp, { kind: 'data', bytes: 8, tag }), epoch: 0, auth: new Int32Array(0), size: 0, digest: 0 }) as RequestMsg;
  const commit = (seq: number, batch: string, requests: readonly RequestMsg[]) => ({
    kind: 'pbft.commit', seq, view: 0, batch, batchRequests: requests, requests: requests.map((r) => `${r.client}:${r.timestamp}`),
    opDigests: requests.map((r) => r.opDigest), clients: requests.map((r) => r.client), timestamps: requests.map((r) => r.timestamp), executed: [], executedIndex: null,
  });

  it('validity recomputes the digest: a real (client, timestamp, digest) with another operation is caught', () => {
    const v = new ValidityChecker(new Set());
    const real = request(7, 1, 'real');
    v.onObservation(7, { kind: 'pbft.request', client: 7, timestamp: 1, opDigest: real.opDigest });
    expect(v.onObservation(0, commit(1, 'a'.repeat(64), [real]))).toBeUndefined();
    // Same client, timestamp and reported digest — the replica's claim — but another operation.
    const substituted = Object.freeze({ ...real, op: Object.freeze({ kind: 'data', bytes: 8, tag: 'forged' }) }) as RequestMsg;
    expect(substituted.opDigest).toBe(real.opDigest);
    expect(v.onObservation(1, commit(1, 'b'.repeat(64), [substituted]))?.message).toContain('with an operation its client did not issue');
    expect(v.onObservation(1, commit(2, 'c'.repeat(64), [request(8, 1, 'x')]))?.message).toContain('never issued');
    // Byzantine replicas' reports are not judged.
    expect(new ValidityChecker(new Set([1])).onObservation(1, commit(1, 'b'.repeat(64), [substituted]))).toBeUndefined();
  });

  it('agreement and no-revert: different replicas vs one replica replacing its own block', () => {
    const a = new AgreementChecker(new Set());
    const n = new NoRevertChecker(new Set());
    const r = [request(7, 1, 'x')];
    for (const c of [a, n]) expect(c.onObservation(0, commit(1, 'a'.repeat(64), r))).toBeUndefined();
    expect(n.onObservation(1, commit(1, 'b'.repeat(64), r))).toBeUndefined(); // another replica: not a revert
    expect(a.onObservation(1, commit(1, 'b'.repeat(64), r))?.invariant).toBe('agreement');
    expect(n.onObservation(0, commit(1, 'c'.repeat(64), r))?.invariant).toBe('no-revert');
  });
});
