/**
 * The double-spend ("51 %") attacker of Bitcoin whitepaper §11 and seed 001 §4.2, for any chain:
 * the attacker makes a transaction public (the payment P), waits until the victim considers it
 * confirmed, and meanwhile mines a SECRET branch from the block before P whose first block holds
 * a conflicting transaction C (the same coin spent back to itself; on an account chain, the same
 * sender nonce used for something else — e.g. undoing a confirmed `unwarrant`).
 *
 * Success rule (what `installDoubleSpend` reports): the victim ("merchant") accepts once P has
 * `confirmations` z on its best chain (z = 0: as soon as P is broadcast) and releases the goods;
 * the attacker learns of it from the delivery (Nakamoto §11: the attacker waits "until the
 * merchant has been convinced"), not from its own view of the public chain — judged on its own
 * view, it could publish before the merchant's node has seen z confirmations, the merchant would
 * never accept, and the run would end undecided. After that the attacker publishes as soon as
 * its private branch has strictly more cumulative work than the public chain it sees; the attack succeeds when the merchant's own node switches to a chain holding C (so P
 * is reversed). The attacker gives up when the public chain leads its private branch by
 * `giveUpDeficit` blocks of work. Before the payment the attacker does not mine.
 */
import type { Simulation } from '../../sim/kernel.ts';
import type { NodeId } from '../../sim/types.ts';
import type { ChainBlock, ChainTx } from './chain.ts';
import type { RelayMessage } from './messages.ts';
import type { NakamotoNode, RelayContext } from './node.ts';
import { PrivateChainMiner } from './private-chain.ts';
import type { NakamotoWorld } from './world.ts';

export type DoubleSpendPhase = 'waiting' | 'mining' | 'published' | 'gave-up';

export class DoubleSpendAttacker<B extends ChainBlock<T>, T extends ChainTx, S> extends PrivateChainMiner<B, T, S> {
  phase: DoubleSpendPhase = 'waiting';
  // privateTip: the secret chain; forkBase: the public tip when the payment was made.
  private conflict: T | undefined;
  /** Set when the merchant released the goods (`goodsReleased`). */
  private merchantConvinced = false;

  constructor(
    id: NodeId,
    world: NakamotoWorld<B, T, S>,
    /** Confirmations the merchant waits for (z). */
    readonly confirmations: number,
    /** Abandon when the public chain leads by this many blocks of work. */
    readonly giveUpDeficit: number,
  ) {
    super(id, world);
  }

  /** The attacker's hash power mines only its secret chain, and only during the attack. */
  override get share(): number {
    return this.phase === 'mining' || this.phase === 'published' ? this.world.options.hashShare[this.id] : 0;
  }

  /** Starts the attack: P has just been broadcast; C conflicts with it. */
  startAttack(ctx: RelayContext<B, T>, conflict: T): void {
    this.conflict = conflict;
    this.forkBase = this.tip;
    this.privateTip = this.tip;
    this.phase = 'mining';
    this.scheduleMining(ctx);
  }

  /** The merchant's node has seen z confirmations and the goods are delivered: publish when ahead. */
  goodsReleased(ctx: RelayContext<B, T>): void {
    this.merchantConvinced = true;
    this.consider(ctx);
  }

  protected override mineBlock(ctx: RelayContext<B, T>): void {
    if (!this.privateTip || (this.phase !== 'mining' && this.phase !== 'published')) return;
    const first = this.privateTip === this.forkBase;
    const entry = this.keepPrivate(ctx, this.buildBlock(ctx, this.privateTip, [], first && this.conflict ? [this.conflict] : []));
    if (this.phase === 'published') this.announce(ctx, entry, -1);
    this.scheduleMining(ctx);
    this.consider(ctx);
  }

  /** Publish when ahead after acceptance; give up when too far behind. */
  protected consider(ctx: RelayContext<B, T>): void {
    if (!this.privateTip || this.phase !== 'mining') return;
    const pub = this.tip;
    const priv = this.privateTip;
    if (this.merchantConvinced && priv.cumWork > pub.cumWork) {
      this.phase = 'published';
      ctx.emit({ kind: 'attack-published', privateHeight: priv.height, publicHeight: pub.height });
      this.announceBranch(ctx, priv, this.forkBase!);
      return;
    }
    if (pub.cumWork - priv.cumWork >= this.giveUpDeficit * pub.work) {
      this.phase = 'gave-up';
      this.stopMining(ctx);
      ctx.emit({ kind: 'attack-gave-up', privateHeight: priv.height, publicHeight: pub.height });
    }
  }
}

/** How a double-spend run is set up (see the module comment). */
export interface DoubleSpendPlan<T> {
  /** The attacker's node (a `DoubleSpendAttacker`). */
  attacker: NodeId;
  /** The honest node whose best chain the merchant (victim) follows. */
  merchant: NodeId;
  /** P: the public transaction the merchant waits for. */
  payment: T;
  /** C: the transaction that conflicts with P, mined in the secret branch's first block. */
  conflict: T;
  /** When P is broadcast and the secret branch starts, µs of virtual time. */
  payAtUs: number;
  /** Puts P into the network (the workload's submission path). */
  submit(payment: T): void;
}

export interface DoubleSpendOutcome {
  /** success: the merchant's node adopted the conflicting tx after accepting the payment. */
  result: 'pending' | 'success' | 'gave-up';
  paymentTxid: string;
  conflictTxid: string;
  /** Virtual time the payment was broadcast and the secret chain started, µs. */
  paidUs: number;
  /** Virtual time the merchant accepted (z confirmations), µs; −1 = never. */
  acceptedUs: number;
  /** Virtual time of the outcome, µs; −1 = pending. */
  decidedUs: number;
  /** Confirmations the payment had on the merchant's chain when the attack reversed it (success only; 0 otherwise). */
  revertedConfirmations: number;
}

/**
 * Schedules the payment and the attack at `plan.payAtUs` and watches the merchant's node for the
 * outcome (through its `tip` observations and the attacker's `attack-gave-up`). The run stops
 * when the attack is decided. The returned outcome object is updated in place.
 */
export function installDoubleSpend<B extends ChainBlock<T>, T extends ChainTx, S>(
  sim: Simulation<RelayMessage<B, T>>,
  world: NakamotoWorld<B, T, S>,
  nodes: readonly NakamotoNode<B, T, S>[],
  plan: DoubleSpendPlan<T>,
): DoubleSpendOutcome {
  const { payment, conflict, merchant } = plan;
  const chain = world.chain;
  const outcome: DoubleSpendOutcome = { result: 'pending', paymentTxid: payment.txid, conflictTxid: conflict.txid, paidUs: plan.payAtUs, acceptedUs: -1, decidedUs: -1, revertedConfirmations: 0 };
  // Confirmations of the payment on the merchant's chain before its latest tip change.
  let paymentDepth = 0;
  const attacker = nodes[plan.attacker] as DoubleSpendAttacker<B, T, S>;
  const z = attacker.confirmations;
  // The merchant releases the goods; the attacker hears of it at once (the delivery is the signal).
  const accept = (now: number) => {
    outcome.acceptedUs = now;
    sim.at(now, `${chain.name}/double-spend/goods-released`, () => attacker.goodsReleased(sim.context(plan.attacker)));
  };
  sim.at(plan.payAtUs, `${chain.name}/double-spend/pay`, () => {
    plan.submit(payment);
    attacker.startAttack(sim.context(plan.attacker), conflict);
    if (z <= 0) accept(sim.now);
  });
  sim.observe({
    name: 'double-spend-outcome',
    onObservation(node, obs, now) {
      if (outcome.result !== 'pending') return undefined;
      if (node === plan.attacker && obs.kind === 'attack-gave-up') {
        outcome.result = 'gave-up';
        outcome.decidedUs = now;
        sim.stop();
        return undefined;
      }
      if (node !== merchant || obs.kind !== 'tip') return undefined;
      const tip = nodes[merchant].tip;
      const h = chain.txHeight(tip.state, payment.txid);
      if (outcome.acceptedUs < 0) {
        if (h !== undefined && tip.height - h + 1 >= z) accept(now);
      } else if (chain.txHeight(tip.state, conflict.txid) !== undefined) {
        outcome.result = 'success';
        outcome.decidedUs = now;
        outcome.revertedConfirmations = paymentDepth;
        sim.stop();
      }
      paymentDepth = h === undefined ? 0 : tip.height - h + 1;
      return undefined;
    },
  });
  return outcome;
}
