/**
 * Twins (Bano et al., "Twins: BFT Systems Made Robust", OPODIS 2021; DiemBFT's testing): two
 * copies of one delegate run the *honest* replica code with the same identity and keys. The
 * original node forwards each message it receives to its twin with probability `forward`, so
 * the twins see different inputs and, honest as each is, they equivocate (different batches for
 * one sequence number when the identity is primary) and double-vote — Byzantine behaviour with
 * no hand-written adversary. The identity counts as one Byzantine replica.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import type { PbftMessage } from '../messages.ts';
import type { PbftReplica } from '../replica.ts';
import type { KeyRing } from '../auth.ts';
import { ReplicaWrapper } from './wrap.ts';

/** The original node of a twin pair: honest replica + forwarding of received messages. */
export class TwinOriginal extends ReplicaWrapper {
  constructor(inner: PbftReplica, keys: KeyRing, private readonly twin: NodeId, private readonly forward: number) {
    super(inner, keys);
  }
  protected override incoming(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void {
    if (ctx.rng('twins').chance(this.forward)) {
      ctx.metrics.counter('pbft.adversary.twin-forwarded').inc(); // evidence the twins ran (tests assert it)
      ctx.send(this.twin, msg);
    }
    super.incoming(ctx, from, msg);
  }
}

/** The copy: honest replica code under the original's identity, on another node. */
export class TwinCopy extends ReplicaWrapper {}
