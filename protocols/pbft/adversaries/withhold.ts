/**
 * Vote withholding: runs the honest protocol but never sends its prepare and/or commit votes,
 * so quorums must form without it (2f + 1 of the other replicas; TOCS'02 §4.2).
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import type { KeyRing } from '../auth.ts';
import type { PbftMessage } from '../messages.ts';
import type { PbftReplica } from '../replica.ts';
import { ReplicaWrapper } from './wrap.ts';

export type WithheldVotes = 'prepare' | 'commit' | 'both';

export class WithholdingReplica extends ReplicaWrapper {
  constructor(inner: PbftReplica, keys: KeyRing, private readonly votes: WithheldVotes = 'both') {
    super(inner, keys);
  }
  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    if ((msg.type === 'prepare' && this.votes !== 'commit') || (msg.type === 'commit' && this.votes !== 'prepare')) {
      ctx.metrics.counter(`pbft.adversary.withheld-${msg.type}s`).inc(); // evidence it acted (tests assert it)
      return;
    }
    ctx.send(to, msg);
  }
}
