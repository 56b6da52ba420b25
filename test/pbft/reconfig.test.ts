/**
 * PBFT reconfiguration on its own (docs/pbft.md "Reconfiguration"): committee changes at
 * checkpoint boundaries, members leaving and joining, standbys that sat out epochs (or never were
 * members) joining through certificate chains, a member that crashed across a change catching up,
 * joins whose ledger replay must not re-apply old changes, clients following, and the
 * authorisation hook refusing a change. Safety checkers run throughout (any violation fails).
 */
import { describe, expect, it } from 'vitest';
import { BadAuthReplica } from '../../protocols/pbft/adversaries/index.ts';
import type { Operation } from '../../protocols/pbft/messages.ts';
import { join, resolve } from 'node:path';
import { pbftModule } from '../../protocols/pbft/module.ts';
import { runScenario } from '../../sim/runner.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import { REGISTRY, runPbft } from './helpers.ts';
import { type ReconfigRun, runReconfig } from './reconfig-helpers.ts';

const K = 8;

function expectQuiet(r: ReconfigRun): void {
  expect(r.result.violation, r.result.violation?.message).toBeUndefined();
  expect(r.counter('pbft.reconfig-mismatch')).toBe(0);
}

/** Epoch → the seq after which it started, from one replica's switch log. */
function epochsOf(r: ReconfigRun, id: number): number[] {
  return r.switches[id].map((s) => s.epoch);
}

describe('pbft reconfiguration', () => {
  it('switches at the next checkpoint boundary; the leaving member becomes a standby, the new one joins with the state', () => {
    const r = runReconfig({ universe: 6, genesis: [0, 1, 2, 3], changes: [{ at: 1_000_000, members: [0, 1, 2, 4] }], durationUs: 3_000_000 });
    expectQuiet(r);
    for (const id of [0, 1, 2, 3, 4]) {
      expect(r.switches[id], `replica ${id}`).toHaveLength(1);
      expect(r.switches[id][0].epoch).toBe(1);
      expect(r.switches[id][0].members).toEqual([0, 1, 2, 4]);
    }
    const at = r.switches[0][0].at;
    expect(at % K).toBe(0);
    for (const id of [1, 2, 3, 4]) expect(r.switches[id][0].at).toBe(at);
    expect(r.switches[5]).toHaveLength(0); // never involved
    expect(r.replicas[3].currentCommittee.epoch).toBe(1);
    expect(r.replicas[4].currentCommittee.members).toEqual([0, 1, 2, 4]);
    // The new member holds the same state at the boundary and keeps executing with the others.
    expect(r.replicas[4].stateAt(at)).toBe(r.replicas[0].stateAt(at));
    const last = Math.min(...[0, 1, 2, 4].map((id) => r.replicas[id].lastExecuted));
    expect(last).toBeGreaterThan(at + 3 * K);
    for (const id of [1, 2, 4]) expect(r.replicas[id].stateAt(last)).toBe(r.replicas[0].stateAt(last));
    expect(r.replicas[3].lastExecuted).toBe(at); // the leaver stopped at the boundary
    // Clients followed the committee (setCommittee) and kept getting answers.
    const accepted = r.observations.filter((o) => o.obs.kind === 'pbft.accepted' && (o.obs.issuedAt as number) > 1_500_000).length;
    expect(accepted).toBeGreaterThan(200);
    for (const c of r.clients) expect(c.currentCommittee.epoch).toBe(1);
  });

  it('a standby joining replays the old log without re-applying its committee change (one switch, no joins of its own)', () => {
    const r = runReconfig({ universe: 6, genesis: [0, 1, 2, 3], changes: [{ at: 800_000, members: [0, 1, 2, 5] }], durationUs: 2_000_000 });
    expectQuiet(r);
    expect(r.switches[5]).toEqual([{ epoch: 1, at: r.switches[0][0].at, members: [0, 1, 2, 5] }]);
    expect(r.observations.filter((o) => o.node === 5 && o.obs.kind === 'pbft.reconfigured')).toHaveLength(1);
    // Nobody sent a join it should not have (a standby replaying the change would, and they are refused).
    expect(r.counter('pbft.rejected.not-member')).toBe(0);
    expect(r.counter('pbft.rejected.mac')).toBe(0);
    expect(r.replicas[5].lastExecuted).toBeGreaterThan(r.switches[0][0].at);
  });

  it('members leave and join over three changes; a standby that never was a member and a member that sat out two epochs join later', () => {
    const changes = [
      { at: 700_000, members: [0, 1, 2, 4] }, // 3 leaves, 4 joins
      { at: 1_400_000, members: [0, 1, 4, 5] }, // 2 leaves, 5 (a standby since genesis) joins at epoch 2
      { at: 2_100_000, members: [4, 1, 3, 0] }, // 5 leaves, 3 rejoins after sitting out epochs 1 and 2; new primary 4
    ];
    const r = runReconfig({ universe: 6, genesis: [0, 1, 2, 3], changes, durationUs: 3_500_000, liveness: { boundUs: 1_500_000, gstUs: 0 } });
    expectQuiet(r);
    expect(epochsOf(r, 0)).toEqual([1, 2, 3]);
    expect(epochsOf(r, 1)).toEqual([1, 2, 3]);
    expect(epochsOf(r, 2)).toEqual([1, 2]); // left at epoch 2: stops following (a standby learns later committees only when it joins)
    expect(epochsOf(r, 3)).toEqual([1, 3]); // left, then rejoined at epoch 3 straight from epoch 1
    expect(epochsOf(r, 4)).toEqual([1, 2, 3]);
    expect(epochsOf(r, 5)).toEqual([2, 3]); // joined at 2 straight from genesis, left at 3
    const at = r.switches[0].map((s) => s.at);
    for (const id of [1, 4]) expect(r.switches[id].map((s) => s.at)).toEqual(at);
    expect(r.switches[3].map((s) => s.at)).toEqual([at[0], at[2]]);
    expect(r.switches[5].map((s) => s.at)).toEqual([at[1], at[2]]);
    for (const a of at) expect(a % K).toBe(0);
    // Every replica labels each committee with the same epoch.
    for (const id of [0, 1, 3, 4, 5]) {
      for (const s of r.switches[id]) expect(s.members).toEqual(changes[s.epoch - 1].members);
    }
    const final = [4, 1, 3, 0];
    for (const id of final) expect(r.replicas[id].currentCommittee).toMatchObject({ epoch: 3, members: final });
    // The rejoined member knows every committee (learnt from the certificate chain).
    for (let e = 1; e <= 3; e++) expect(r.replicas[3].knownCommittee(e)?.members).toEqual(changes[e - 1].members);
    const last = Math.min(...final.map((id) => r.replicas[id].lastExecuted));
    expect(last).toBeGreaterThan(at[2] + 2 * K);
    for (const id of final) expect(r.replicas[id].stateAt(last)).toBe(r.replicas[0].stateAt(last));
    expect(r.counter('pbft.rejected.not-member')).toBe(0);
    expect(r.counter('pbft.rejected.certificate')).toBe(0);
  });

  it('late replies of the previous committee are counted as pbft.stale, not as rejected messages', () => {
    const r = runReconfig({ universe: 6, genesis: [0, 1, 2, 3], changes: [{ at: 700_000, members: [0, 1, 2, 4] }, { at: 1_400_000, members: [4, 5, 2, 1] }], rate: 400, durationUs: 2_500_000 });
    expectQuiet(r);
    expect(r.counter('pbft.stale')).toBeGreaterThan(0);
    expect(r.counter('pbft.rejected.malformed')).toBe(0);
    expect(r.counter('pbft.rejected.not-member')).toBe(0);
    expect(r.counter('pbft.rejected.epoch')).toBe(0);
  });

  it('a Byzantine old member sending forged, impersonated, malformed and replayed joins and shares cannot stop or subvert the change', () => {
    const r = runReconfig({
      universe: 6,
      genesis: [0, 1, 2, 3],
      changes: [{ at: 600_000, members: [0, 1, 3, 4] }, { at: 1_300_000, members: [0, 1, 4, 5] }],
      byzantine: new Map([[2, (replica, keys) => new BadAuthReplica(replica, keys, 1, 0.3)]]),
      durationUs: 2_500_000,
    });
    expectQuiet(r);
    for (const id of [0, 1, 4, 5]) expect(r.replicas[id].currentCommittee).toMatchObject({ epoch: 2, members: [0, 1, 4, 5] });
    expect(r.counter('pbft.rejected.mac')).toBeGreaterThan(0);
    const last = Math.min(...[0, 1, 4, 5].map((id) => r.replicas[id].lastExecuted));
    expect(last).toBeGreaterThan(r.switches[0][1].at + K);
    for (const id of [1, 4, 5]) expect(r.replicas[id].stateAt(last)).toBe(r.replicas[0].stateAt(last));
  });

  it('a reconfigure the authorisation hook refuses is executed as an operation but changes nothing', () => {
    const refused = (op: Extract<Operation, { kind: 'reconfigure' }>) => op.members.includes(5);
    const calls: { epoch: number; seq: number; ok: boolean }[] = [];
    const r = runReconfig({
      universe: 6,
      genesis: [0, 1, 2, 3],
      changes: [{ at: 500_000, members: [0, 1, 2, 5] }, { at: 1_200_000, members: [0, 1, 3, 4] }],
      durationUs: 2_500_000,
      hooks: (id) => ({
        authorizeReconfigure: (op, committee, seq) => {
          const ok = !refused(op);
          if (id === 0) calls.push({ epoch: committee.epoch, seq, ok });
          return ok;
        },
      }),
    });
    expectQuiet(r);
    expect(calls.map((c) => c.ok)).toEqual([false, true]);
    expect(calls.every((c) => c.epoch === 0)).toBe(true);
    expect(r.switches[5]).toHaveLength(0);
    expect(r.replicas[5].lastExecuted).toBe(0);
    expect(epochsOf(r, 0)).toEqual([1]);
    expect(r.switches[0][0].members).toEqual([0, 1, 3, 4]);
    expect(r.switches[0][0].at).toBeGreaterThan(calls[1].seq);
  });

  it('a reconfigure naming nodes that do not exist is refused even by the default hook', () => {
    const r = runReconfig({ universe: 5, genesis: [0, 1, 2, 3], changes: [{ at: 300_000, members: [0, 1, 2, 2_000_000] }, { at: 500_000, members: [0, 1, 2, 99] }], durationUs: 1_000_000 });
    expectQuiet(r);
    for (const id of [0, 1, 2, 3, 4]) expect(r.switches[id]).toHaveLength(0);
    expect(r.replicas[0].lastExecuted).toBeGreaterThan(2 * K);
  });

  it('a change committed without further client traffic still activates (null batches fill up to the boundary)', () => {
    const r = runReconfig({ universe: 5, genesis: [0, 1, 2, 3], changes: [{ at: 300_000, members: [0, 1, 2, 4] }], rate: 0, durationUs: 1_500_000 });
    expectQuiet(r);
    expect(r.switches[4]).toHaveLength(1);
    expect(r.switches[4][0].at).toBe(K);
  });

  it('members that crash before a change and recover after two are brought to the current epoch by a join (as member, or as standby)', () => {
    const r = runReconfig({
      universe: 9,
      genesis: [0, 1, 2, 3, 4, 5, 6],
      changes: [{ at: 700_000, members: [0, 1, 2, 4, 5, 6, 7] }, { at: 1_400_000, members: [0, 1, 4, 5, 6, 7, 8] }],
      crashes: [
        { id: 1, at: 600_000, recoverAt: 2_200_000 }, // stays a member
        { id: 3, at: 600_000, recoverAt: 2_200_000 }, // was removed at epoch 1
      ],
      durationUs: 3_500_000,
    });
    expectQuiet(r);
    expect(r.counter('pbft.catch-up-joins')).toBeGreaterThan(0);
    expect(r.replicas[1].currentCommittee.epoch).toBe(2);
    expect(epochsOf(r, 1)).toEqual([2]);
    expect(epochsOf(r, 3)).toEqual([2]);
    expect(r.replicas[3].currentCommittee.members).not.toContain(3);
    expect(r.replicas[3].lastExecuted).toBe(r.switches[0][1].at);
    const last = Math.min(...[0, 1, 4, 5, 6, 7, 8].map((id) => r.replicas[id].lastExecuted));
    expect(r.replicas[1].lastExecuted).toBeGreaterThan(r.switches[0][1].at + K);
    expect(r.replicas[1].stateAt(last)).toBe(r.replicas[0].stateAt(last));
  });

  it('validateOp gets the replica context and can charge CPU to the virtual clock', () => {
    const seen: number[] = [];
    const r = runReconfig({
      universe: 4,
      genesis: [0, 1, 2, 3],
      changes: [],
      durationUs: 500_000,
      hooks: (id) => ({
        validateOp: (_op, ctx) => {
          const before = ctx.now();
          ctx.charge(250);
          if (id === 1) seen.push(ctx.now() - before);
          return true;
        },
      }),
    });
    expectQuiet(r);
    expect(seen.length).toBeGreaterThan(10);
    expect(new Set(seen)).toEqual(new Set([250]));
  });

  it('is deterministic with reconfigurations', () => {
    const o = { universe: 6, genesis: [0, 1, 2, 3], changes: [{ at: 500_000, members: [0, 1, 2, 4] }, { at: 1_000_000, members: [5, 1, 2, 4] }], durationUs: 1_500_000 };
    const a = runReconfig(o);
    const b = runReconfig(o);
    expect(a.result.traceHash).toBe(b.result.traceHash);
    expect(a.switches).toEqual(b.switches);
  });

  it('scenarios/pbft-reconfigure.yaml (three changes, a forging replica, clients following) is safe and live on several seeds', () => {
    const file = join(resolve(import.meta.dirname, '../..'), 'scenarios/pbft-reconfigure.yaml');
    const { scenario } = loadScenario(file, { registry: { pbft: pbftModule.schema } });
    for (const seed of [1, 2, 3]) {
      const r = runScenario(scenario as any, REGISTRY, seed);
      expect(r.result.violation, r.result.violation?.message).toBeUndefined();
      const p = r.protocol as any;
      expect(p.reconfigurations).toBe(3);
      expect(p.members).toEqual([4, 1, 3, 0]);
      expect(p.acceptedRequests).toBeGreaterThan(2000);
    }
  });

  it('the scenario section checks reconfigure members', () => {
    expect(() => runPbft({ standbys: 1, reconfigure: [{ at: '1s', members: [0, 1, 2, 5] }] }, { network: { nodes: 8 } })).toThrow(/protocol.reconfigure.0.members.3: expected a replica id from 0 to 4 \(committee 4 \+ standbys 1\), got 5/);
  });
});
