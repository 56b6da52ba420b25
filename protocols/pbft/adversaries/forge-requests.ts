/**
 * Request-forging primary: in every batch it proposes, it replaces the operation of the first
 * request with one of its own while keeping that request's client, timestamp, operation digest
 * and authenticator — the client's MACs cover (client, timestamp, digest), so they still check
 * out; only recomputing the digest from the operation exposes the forgery. Honest backups do
 * (TOCS'02 §4.2: every request in the batch must be authentic, and a request's digest is the
 * digest of its operation), reject the pre-prepare and replace the primary; replicas that skip
 * that check (the `skip-request-auth` mutant) commit an operation the client never issued, and
 * the validity checker — which recomputes the digest of every committed operation — fires.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import type { PbftMessage, PrePrepareMsg, RequestMsg } from '../messages.ts';
import { forgePrePrepare, ReplicaWrapper } from './wrap.ts';

export class RequestForgingPrimary extends ReplicaWrapper {
  private readonly forged = new Map<string, PrePrepareMsg>();
  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    if (msg.type !== 'pre-prepare' || msg.requests.length === 0) return ctx.send(to, msg);
    const key = `${msg.epoch}:${msg.view}:${msg.seq}`;
    let alt = this.forged.get(key);
    if (!alt) {
      const [real, ...rest] = msg.requests;
      const substituted: RequestMsg = { ...real, op: { kind: 'data', bytes: 64, tag: `forged/${msg.seq}` } };
      alt = forgePrePrepare(this.keys, this.inner.self, this.members, msg, [Object.freeze(substituted), ...rest]);
      this.forged.set(key, alt);
      ctx.metrics.counter('pbft.adversary.forged-requests').inc();
    }
    ctx.send(to, alt);
  }
}
