/**
 * Deliberately broken channel rules (mutation testing of the invariant checkers; docs/check.md
 * "Declaring mutants"). Each replaces one rule of the honest code through a seam and keeps the
 * honest checkers; the channels-safety suite proves each is caught by its own invariant while the
 * same seeds without it pass.
 */
import { ChannelChaincode, type ChannelObject, type Effect } from './chaincode.ts';
import type { ChannelMessage } from './messages.ts';
import { ChannelNode, type ChannelView } from './node.ts';
import type { Side, SignedState } from './state.ts';

/** The contract accepts a dispute carrying a newer co-signed state but keeps the published one. */
export class DisputeIgnoresNewerChaincode extends ChannelChaincode {
  protected override newerState(o: ChannelObject, _newer: SignedState): Effect | undefined {
    return { object: o, payA: 0n, payB: 0n };
  }
}

/** The contract's penalty gives the honest side the channel and still pays the cheater its published balance. */
export class PenaltyPaysBothChaincode extends ChannelChaincode {
  protected override penalty(o: ChannelObject, honest: Side, cap: bigint): Effect {
    const e = super.penalty(o, honest, cap);
    const published = JSON.parse(o.published!) as { state: { balanceA: { $big: string }; balanceB: { $big: string } } };
    const cheater = BigInt((honest === 'a' ? published.state.balanceB : published.state.balanceA).$big);
    return honest === 'a' ? { ...e, payB: e.payB + cheater, object: { ...e.object, paidB: (e.payB + cheater).toString() } } : { ...e, payA: e.payA + cheater, object: { ...e.object, paidA: (e.payA + cheater).toString() } };
  }
}

/** A party that forwards an incoming HTLC as soon as the update proposing it arrives, before validating and locking it. */
export class ForwardWithoutLockNode extends ChannelNode {
  protected override onUpdateReceived(ch: ChannelView, m: Extract<ChannelMessage, { type: 'update' }>): void {
    for (const o of m.ops) {
      if (o.kind !== 'add' || o.onion.index >= o.onion.hops.length - 1 || ch.status !== 'open' || ch.handled.has(`in/${o.htlc.id}`)) continue;
      ch.handled.add(`in/${o.htlc.id}`); // forwarded now: the lock that follows does not forward it again
      this.forward(ch, o.htlc, o.onion);
    }
    super.onUpdateReceived(ch, m);
  }
}

/** A party that countersigns a proposed state after checking only its sequence number and signature, not that it follows from the operations. */
export class SkipBalanceCheckNode extends ChannelNode {
  protected override acceptProposal(ch: ChannelView, m: Extract<ChannelMessage, { type: 'update' }>): boolean {
    return m.state.seq === ch.latest!.state.seq + 1 && this.verify(m.state, m.sig, ch.peer);
  }
}
