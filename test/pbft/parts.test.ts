import { describe, expect, it } from 'vitest';
import { batchDigest, NULL_BATCH, requestDigest, type RequestMsg, type ViewChangeMsg } from '../../protocols/pbft/messages.ts';
import { decideNewView } from '../../protocols/pbft/replica.ts';
import { VoteTally } from '../../protocols/pbft/replica/tally.ts';
import { groupReplies } from '../../protocols/pbft/replica/memo.ts';

// The replica's parts, each on its own (protocols/pbft/replica/*.ts).

describe('VoteTally (prepares, commits and checkpoints)', () => {
  it('counts each member once per digest and keeps conflicting digests apart', () => {
    const t = new VoteTally();
    expect(t.add('a', 0, 4)).toBe(1);
    expect(t.add('a', 0, 4)).toBe(0); // a repeated vote does not count
    expect(t.add('a', 2, 4)).toBe(2);
    expect(t.add('b', 1, 4)).toBe(1); // a vote for another digest is tallied apart
    expect(t.add('b', 0, 4)).toBe(2); // (a Byzantine member may vote for both)
    expect(t.count('a')).toBe(2);
    expect(t.count('c')).toBe(0);
    expect(t.digests).toBe(2);
    expect([0, 1, 2, 3].map((i) => t.voted('a', i))).toEqual([true, false, true, false]);
  });
});

describe('groupReplies (one reply per client and block)', () => {
  it('groups results by client in client order, entries in batch order', () => {
    const req = (client: number, timestamp: number) => ({ client, timestamp }) as RequestMsg;
    const requests = [req(9, 1), req(7, 1), req(9, 2), req(7, 2)];
    const groups = groupReplies(requests, [0, 1, 2, 3], (i) => `r${i}`, true);
    expect(groups).toEqual([
      { client: 7, entries: [{ timestamp: 1, result: 'r1' }, { timestamp: 2, result: 'r3' }] },
      { client: 9, entries: [{ timestamp: 1, result: 'r0' }, { timestamp: 2, result: 'r2' }] },
    ]);
    expect(Object.isFrozen(groups[0].entries)).toBe(true);
    expect(groupReplies(requests, [2], (i) => `r${i}`, false)).toEqual([{ client: 9, entries: [{ timestamp: 2, result: 'r2' }] }]);
  });
});

describe('decideNewView (TOCS\'02 §4.5.2), a pure function', () => {
  const rules = { f: 1, quorum: 3, watermarkWindow: 64, batchSize: 10 };
  const op = { kind: 'data' as const, bytes: 8, tag: 'x' };
  const request = Object.freeze({ type: 'request', client: 9, timestamp: 1, op, opDigest: requestDigest(9, 1, op), epoch: 0, auth: new Int32Array(0), size: 0, digest: 0 }) as RequestMsg;
  const requests = Object.freeze([request]) as RequestMsg[];
  const B = batchDigest(requests);
  const S = 'a'.repeat(64);
  const vc = (sender: number, prepared: number[], prePrepared: number[]): ViewChangeMsg =>
    ({
      type: 'view-change', epoch: 0, newView: 1, sender, stable: 0, checkpoints: [{ seq: 0, state: S }],
      prepared: prepared.map((seq) => ({ seq, view: 0, batch: B, requests })), prePrepared: prePrepared.map((seq) => ({ seq, view: 0, batch: B })),
    }) as unknown as ViewChangeMsg;

  it('re-proposes a batch prepared by one and pre-prepared by f + 1 (A1–A3)', () => {
    const d = decideNewView([vc(0, [1], [1]), vc(1, [], [1]), vc(2, [], [])], rules);
    expect(d).toEqual({ checkpoint: { seq: 0, state: S }, proposals: [{ seq: 1, batch: B, requests }] });
  });

  it('does not decide while neither the batch (A2) nor the null request (B) has enough support', () => {
    expect(decideNewView([vc(0, [1], [1]), vc(1, [], []), vc(2, [], [])], rules)).toBeUndefined();
  });

  it('fills a slot nobody else prepared with the null request once 2f + 1 prepared nothing there (B)', () => {
    const d = decideNewView([vc(0, [1], [1]), vc(1, [], []), vc(2, [], []), vc(3, [], [])], rules);
    expect(d?.proposals).toEqual([{ seq: 1, batch: NULL_BATCH, requests: [] }]);
  });

  it('needs a checkpoint that f + 1 vouch for', () => {
    const lone = (sender: number) => ({ ...vc(sender, [], []), checkpoints: [{ seq: 0, state: String(sender).repeat(64) }] }) as ViewChangeMsg;
    expect(decideNewView([lone(0), lone(1), lone(2)], rules)).toBeUndefined();
  });
});
