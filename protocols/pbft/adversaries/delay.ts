/**
 * Delaying / reordering replica: every message it sends leaves after an independent uniform
 * random delay in [minUs, maxUs] (its own seeded stream), so its messages arrive late and out
 * of order. PBFT tolerates this (asynchronous safety; liveness needs delays below the timeouts).
 */
import type { Micros, NodeContext, NodeId } from '../../../sim/types.ts';
import type { KeyRing } from '../auth.ts';
import type { PbftMessage } from '../messages.ts';
import type { PbftReplica } from '../replica.ts';
import { ReplicaWrapper } from './wrap.ts';

export class DelayingReplica extends ReplicaWrapper {
  constructor(inner: PbftReplica, keys: KeyRing, private readonly minUs: Micros, private readonly maxUs: Micros) {
    super(inner, keys);
  }
  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    const delay = Math.round(ctx.rng('adv-delay').uniform(this.minUs, this.maxUs));
    // Evidence it acted (tests assert it): messages held back, and their total extra delay in µs.
    ctx.metrics.counter('pbft.adversary.delayed').inc();
    ctx.metrics.counter('pbft.adversary.delay-us').inc(delay);
    this.later(ctx, delay, () => ctx.send(to, msg));
  }
}
