/**
 * Invalid authenticators, impersonation, malformed messages and replays.
 *
 * For each message the honest code sends: with probability `forgeRate` the authenticator (or
 * signature) is corrupted; with the same probability a copy claiming another member as sender
 * (keeping our tags, which cannot be valid for that sender) and a malformed message are sent
 * too; with probability `replayRate` an old message captured from someone else is replayed to
 * the same receiver. Honest replicas must reject all of these through their normal checks and
 * count them (`pbft.rejected.*`, TOCS'02 §3.2: a MAC is only valid under the pairwise key),
 * while genuine replays are harmless (idempotent logs, at-most-once execution).
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import type { KeyRing } from '../auth.ts';
import type { PbftMessage } from '../messages.ts';
import type { PbftReplica } from '../replica.ts';
import { ReplicaWrapper } from './wrap.ts';

export class BadAuthReplica extends ReplicaWrapper {
  private readonly captured: PbftMessage[] = [];
  constructor(inner: PbftReplica, keys: KeyRing, private readonly forgeRate: number, private readonly replayRate: number) {
    super(inner, keys);
  }

  protected override incoming(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void {
    if (this.captured.length < 256) this.captured.push(msg);
    else this.captured[ctx.rng('adv-bad-auth').int(256)] = msg;
    super.incoming(ctx, from, msg);
  }

  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    const rng = ctx.rng('adv-bad-auth');
    if (rng.chance(this.forgeRate)) {
      ctx.send(to, corrupt(msg));
      ctx.metrics.counter('pbft.adversary.forged').inc();
      const members = this.members;
      const victim = members[rng.int(members.length)];
      if ('sender' in msg && victim !== this.inner.self) ctx.send(to, { ...msg, sender: victim } as PbftMessage);
      ctx.send(to, malformed(msg, rng.int(4)));
    } else ctx.send(to, msg);
    if (this.captured.length > 0 && rng.chance(this.replayRate)) {
      ctx.send(to, this.captured[rng.int(this.captured.length)]);
      ctx.metrics.counter('pbft.adversary.replayed').inc();
    }
  }
}

/** The same message with a flipped bit in every MAC tag or in the signature. */
function corrupt(msg: PbftMessage): PbftMessage {
  if ('auth' in msg && msg.auth instanceof Int32Array) {
    const auth = Int32Array.from(msg.auth);
    for (let i = 0; i < auth.length; i += 4) auth[i] ^= 1;
    if (auth.length === 0) return { ...msg, auth: new Int32Array(4) } as PbftMessage;
    return { ...msg, auth } as PbftMessage;
  }
  if ('signature' in msg && typeof msg.signature === 'string') {
    const s = msg.signature;
    return { ...msg, signature: (s[0] === '0' ? '1' : '0') + s.slice(1) } as PbftMessage;
  }
  return msg;
}

/** Structurally broken variants: wrong field types, missing fields, unknown type, truncated digest. */
function malformed(msg: PbftMessage, variant: number): PbftMessage {
  switch (variant) {
    case 0:
      return { ...msg, view: 'x', seq: -1.5, newView: null } as unknown as PbftMessage;
    case 1:
      return { type: msg.type, size: 8, digest: 0 } as unknown as PbftMessage;
    case 2:
      return { type: 'no-such-type', size: 8, digest: 0 } as unknown as PbftMessage;
    default:
      return { ...msg, batch: 'abc', state: 12, body: [], auth: 'not-a-mac', requests: [null], prepared: [{}], viewChanges: 'x', entries: 7, blocks: [1] } as unknown as PbftMessage;
  }
}
