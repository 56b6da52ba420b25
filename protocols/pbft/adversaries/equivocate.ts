/**
 * Equivocating primary: when it is primary it sends the honest pre-prepare to the first half of
 * the other members and a conflicting one for the same (view, seq) — same requests reversed, or
 * the null batch — to the second half, each validly authenticated with its own keys. Honest
 * backups then hold different pre-prepares, no batch gathers 2f prepares, and a view change
 * replaces the primary (TOCS'02 §4.2 / §4.4).
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import type { PbftMessage, PrePrepareMsg } from '../messages.ts';
import { conflictingBatch, forgePrePrepare, ReplicaWrapper } from './wrap.ts';

export class EquivocatingPrimary extends ReplicaWrapper {
  private readonly forged = new Map<string, PrePrepareMsg>();
  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    if (msg.type !== 'pre-prepare') return ctx.send(to, msg);
    const members = this.members;
    const others = members.filter((m) => m !== this.inner.self);
    const second = others.indexOf(to) >= Math.ceil(others.length / 2);
    if (!second) return ctx.send(to, msg);
    const key = `${msg.view}:${msg.seq}`;
    let alt = this.forged.get(key);
    if (!alt) {
      alt = forgePrePrepare(this.keys, this.inner.self, members, msg, conflictingBatch(msg.requests));
      this.forged.set(key, alt);
      ctx.metrics.counter('pbft.adversary.equivocations').inc();
    }
    ctx.send(to, alt);
  }
}
