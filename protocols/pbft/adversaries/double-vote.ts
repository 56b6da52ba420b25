/**
 * Double voting: with every prepare or commit it sends, it also sends a validly authenticated
 * vote for a second, fabricated batch digest for the same (view, seq). Honest replicas count
 * votes per digest, so the extra votes never reach a quorum (TOCS'02 §4.2: "matching" votes).
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import { sha256Hex } from '../auth.ts';
import type { PbftMessage, VoteMsg } from '../messages.ts';
import { forgeVote, ReplicaWrapper } from './wrap.ts';

export class DoubleVotingReplica extends ReplicaWrapper {
  private readonly forged = new Map<string, VoteMsg>();
  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    ctx.send(to, msg);
    if (msg.type !== 'prepare' && msg.type !== 'commit') return;
    const key = `${msg.type}:${msg.view}:${msg.seq}`;
    let alt = this.forged.get(key);
    if (!alt) {
      alt = forgeVote(this.keys, this.inner.self, this.members, msg.type, msg.epoch, msg.view, msg.seq, sha256Hex(`double-vote|${msg.batch}`));
      this.forged.set(key, alt);
      ctx.metrics.counter('pbft.adversary.double-votes').inc();
    }
    ctx.send(to, alt);
  }
}
