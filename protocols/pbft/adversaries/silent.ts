/**
 * Silent replica: from `fromUs` on, sends nothing (a fail-silent / omission fault). Before
 * that it behaves honestly. A silent primary must be replaced by a view change (TOCS'02 §4.4).
 */
import type { Micros, NodeContext, NodeId } from '../../../sim/types.ts';
import type { KeyRing } from '../auth.ts';
import type { PbftMessage } from '../messages.ts';
import type { PbftReplica } from '../replica.ts';
import { ReplicaWrapper } from './wrap.ts';

export class SilentReplica extends ReplicaWrapper {
  constructor(inner: PbftReplica, keys: KeyRing, private readonly fromUs: Micros = 0) {
    super(inner, keys);
  }
  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    if (ctx.now() < this.fromUs) ctx.send(to, msg);
    else ctx.metrics.counter('pbft.adversary.silenced').inc(); // evidence it acted (tests assert it)
  }
}
