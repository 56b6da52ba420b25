import { describe, expect, it } from 'vitest';
import { runPbft } from './helpers.ts';

/**
 * Every adversary with at most f faulty replicas: safety and liveness (bound 6 s) hold — and the
 * adversary acted: each case names the counters its adversary bumps when it misbehaves (a test
 * of "safe under X" where X did nothing would prove nothing).
 */
const CASES: [string, Record<string, unknown>, string[]][] = [
  ['crash (primary crashes at 2s, recovers at 5s)', { adversaries: [{ kind: 'crash', replicas: [0], params: { at: '2s', recoverAt: '5s' } }] }, ['node.crashes', 'node.recoveries', 'pbft.new-views']],
  ['crash of a backup for good', { adversaries: [{ kind: 'crash', replicas: [2], params: { at: '1s' } }] }, ['node.crashes']],
  ['silent primary', { adversaries: [{ kind: 'silent', replicas: [0], params: { from: '1s' } }] }, ['pbft.adversary.silenced', 'pbft.new-views']],
  ['equivocating primary (k = 7)', { committee: 7, adversaries: [{ kind: 'equivocate', replicas: [0] }] }, ['pbft.adversary.equivocations']],
  ['equivocating primary (k = 4)', { adversaries: [{ kind: 'equivocate', replicas: [0] }] }, ['pbft.adversary.equivocations']],
  ['double voting (k = 7, f = 2)', { committee: 7, adversaries: [{ kind: 'double-vote', count: 2 }] }, ['pbft.adversary.double-votes', 'pbft.conflicting-votes']],
  ['vote withholding (k = 7, f = 2)', { committee: 7, adversaries: [{ kind: 'withhold', replicas: [1, 4] }] }, ['pbft.adversary.withheld-prepares', 'pbft.adversary.withheld-commits']],
  ['delayed and reordered messages', { adversaries: [{ kind: 'delay', replicas: [0], params: { min: '0ms', max: '300ms' } }] }, ['pbft.adversary.delayed', 'pbft.adversary.delay-us']],
  ['invalid authenticators and replays', { adversaries: [{ kind: 'bad-auth', replicas: [3], params: { forgeRate: 1, replayRate: 0.5 } }] }, ['pbft.adversary.forged', 'pbft.adversary.replayed', 'pbft.rejected.mac']],
  ['slow primary just under the timeout', { adversaries: [{ kind: 'slow-primary', replicas: [0], params: { margin: '100ms' } }] }, ['pbft.adversary.held-pre-prepares']],
  ['request-forging primary', { adversaries: [{ kind: 'forge-requests', replicas: [0] }] }, ['pbft.adversary.forged-requests', 'pbft.rejected.digest']],
  ['cartel of f = 2 (k = 7)', { committee: 7, adversaries: [{ kind: 'cartel', count: 2 }] }, ['pbft.adversary.cartel-splits']],
  ['twins of the primary', { twins: { replica: 0, forward: 0.5 } }, ['pbft.adversary.twin-forwarded']],
];

describe('pbft under f faults keeps safety and liveness', () => {
  for (const [name, protocol, acted] of CASES) {
    it(name, () => {
      const r = runPbft({ client: { rate: 100 }, checkers: { liveness: { bound: '6s' } }, ...protocol }, { duration: '10s' });
      expect(r.result.violation, JSON.stringify(r.result.violation?.message)).toBeUndefined();
      for (const counter of acted) expect(r.result.metrics.counters[counter] ?? 0, `${counter}: the adversary must have acted`).toBeGreaterThan(0);
      const p = r.protocol as any;
      expect(p.acceptedRequests).toBeGreaterThan(1000);
    });
  }

  it('view change replaces a silent primary', () => {
    const r = runPbft({ adversaries: [{ kind: 'silent', replicas: [0], params: { from: '1s' } }] }, { duration: '5s' });
    expect(r.result.violation).toBeUndefined();
    const p = r.protocol as any;
    expect(p.newViews).toBeGreaterThan(0);
    expect(Math.min(...p.views)).toBeGreaterThanOrEqual(1);
  });

  it('view change replaces an equivocating primary', () => {
    const r = runPbft({ committee: 7, adversaries: [{ kind: 'equivocate', replicas: [0] }] }, { duration: '5s' });
    expect(r.result.violation).toBeUndefined();
    const p = r.protocol as any;
    expect(r.result.metrics.counters['pbft.adversary.equivocations']).toBeGreaterThan(0);
    expect(p.newViews).toBeGreaterThan(0);
    expect(Math.min(...p.views)).toBeGreaterThanOrEqual(1);
    expect(p.acceptedRequests).toBeGreaterThan(300);
  });

  it('forged, impersonated, malformed and replayed messages are rejected and counted', () => {
    const r = runPbft({ adversaries: [{ kind: 'bad-auth', replicas: [3], params: { forgeRate: 1, replayRate: 0.5 } }] }, { duration: '3s' });
    expect(r.result.violation).toBeUndefined();
    const rej = (r.protocol as any).rejected;
    expect(rej.mac).toBeGreaterThan(100);
    expect(rej.malformed).toBeGreaterThan(100);
    expect(r.result.metrics.counters['pbft.adversary.replayed']).toBeGreaterThan(100);
    expect(r.result.metrics.counters['pbft.adversary.forged']).toBeGreaterThan(100);
  });

  it("an operation substituted under a real request's digest makes honest backups reject the batch (counted as a digest mismatch) and change view", () => {
    const r = runPbft({ adversaries: [{ kind: 'forge-requests', replicas: [0] }] }, { duration: '4s' });
    expect(r.result.violation).toBeUndefined();
    expect((r.protocol as any).rejected.digest).toBeGreaterThan(0);
    expect((r.protocol as any).newViews).toBeGreaterThan(0);
  });
});
