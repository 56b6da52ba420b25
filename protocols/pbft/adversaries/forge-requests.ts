/**
 * Request-forging primary: appends to every batch it proposes an operation no client issued
 * (well-formed, correct digest, but an authenticator it cannot produce — it lacks the client's
 * keys). Honest backups reject the pre-prepare (TOCS'02 §4.2: every request in the batch must
 * be authentic) and replace the primary; replicas that skip that check (the
 * `skip-request-auth` mutant) commit the forgery and the validity checker fires.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import { type PbftMessage, type PrePrepareMsg, requestDigest, type RequestMsg, requestSize } from '../messages.ts';
import { forgePrePrepare, ReplicaWrapper } from './wrap.ts';

/** Client id used for forged requests (no such client exists). */
export const FORGED_CLIENT = 999_999;

export class RequestForgingPrimary extends ReplicaWrapper {
  private readonly forged = new Map<string, PrePrepareMsg>();
  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    if (msg.type !== 'pre-prepare') return ctx.send(to, msg);
    const key = `${msg.epoch}:${msg.view}:${msg.seq}`;
    let alt = this.forged.get(key);
    if (!alt) {
      const op = { kind: 'data' as const, bytes: 64, tag: `forged/${msg.seq}` };
      const fake: RequestMsg = {
        type: 'request', client: FORGED_CLIENT, timestamp: msg.seq, op, opDigest: requestDigest(FORGED_CLIENT, msg.seq, op), epoch: msg.epoch,
        auth: new Int32Array(4 * this.members.length), size: requestSize(op, this.members.length), digest: msg.seq,
      };
      alt = forgePrePrepare(this.keys, this.inner.self, this.members, msg, [...msg.requests, fake]);
      this.forged.set(key, alt);
      ctx.metrics.counter('pbft.adversary.forged-requests').inc();
    }
    ctx.send(to, alt);
  }
}
