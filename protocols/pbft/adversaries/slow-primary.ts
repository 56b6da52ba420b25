/**
 * Slow primary: holds every pre-prepare for (view-change timeout − margin) before sending it —
 * just fast enough not to be replaced (TOCS'02 §4.4 timers), degrading throughput and latency
 * (the "performance attack" later BFT work, e.g. Aardvark, measured).
 */
import type { Micros, NodeContext, NodeId } from '../../../sim/types.ts';
import type { KeyRing } from '../auth.ts';
import type { PbftMessage } from '../messages.ts';
import type { PbftReplica } from '../replica.ts';
import { ReplicaWrapper } from './wrap.ts';

export class SlowPrimary extends ReplicaWrapper {
  constructor(inner: PbftReplica, keys: KeyRing, private readonly holdUs: Micros) {
    super(inner, keys);
  }
  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    if (msg.type === 'pre-prepare') {
      ctx.metrics.counter('pbft.adversary.held-pre-prepares').inc(); // evidence it acted (tests assert it)
      this.later(ctx, this.holdUs, () => ctx.send(to, msg));
    } else ctx.send(to, msg);
  }
}
