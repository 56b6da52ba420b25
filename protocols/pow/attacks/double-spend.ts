/**
 * The double-spend ("51 %") attacker of Bitcoin whitepaper §11 and seed 001 §4.2.
 *
 * At the payment time the attacker pays the merchant publicly (tx P) and, from its current tip —
 * the block before P is mined — starts mining a SECRET chain whose first block spends the same
 * coin back to itself (tx C). The merchant releases the goods once P has `z` confirmations on
 * its best chain (z = 0: as soon as P is broadcast). Success rule (what `doubleSpendFullNetwork`
 * reports): after the merchant accepted, the attacker publishes its chain as soon as it has
 * strictly more cumulative work than the public chain it sees; the attack succeeds when the
 * merchant's own node switches to a chain holding C (so P is reversed). The attacker gives up
 * when the public chain leads its private chain by `giveUpDeficit` blocks of work.
 *
 * A separate node class (not flags in honest code): it relays like an honest node so it sees
 * the public chain, but never mines on it.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import type { BlockEntry } from '../chain.ts';
import { PrivateChainMiner } from './private-chain.ts';
import type { Tx } from '../tx.ts';
import type { PowMessage, PowWorld } from '../world.ts';

type Ctx = NodeContext<PowMessage>;

export type DoubleSpendPhase = 'waiting' | 'mining' | 'published' | 'gave-up';

export class DoubleSpendAttacker extends PrivateChainMiner {
  phase: DoubleSpendPhase = 'waiting';
  // privateTip: the secret chain; forkBase: the public tip when the payment was made.
  private conflict: Tx | undefined;
  private paymentTxid = '';

  constructor(
    id: NodeId,
    world: PowWorld,
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
  startAttack(ctx: Ctx, paymentTxid: string, conflict: Tx): void {
    this.paymentTxid = paymentTxid;
    this.conflict = conflict;
    this.forkBase = this.tip;
    this.privateTip = this.tip;
    this.phase = 'mining';
    this.scheduleMining(ctx);
  }

  /** True once the merchant (who follows the public chain) has released the goods. */
  merchantAccepted(publicTip: BlockEntry): boolean {
    if (this.confirmations <= 0) return true;
    const h = publicTip.state.txIndex.get(this.paymentTxid);
    return h !== undefined && publicTip.height - h + 1 >= this.confirmations;
  }

  protected override mineBlock(ctx: Ctx): void {
    if (!this.privateTip || (this.phase !== 'mining' && this.phase !== 'published')) return;
    const first = this.privateTip === this.forkBase;
    const entry = this.keepPrivate(ctx, this.buildBlock(ctx, this.privateTip, [], first && this.conflict ? [this.conflict] : []));
    if (this.phase === 'published') this.announce(ctx, entry, -1);
    this.scheduleMining(ctx);
    this.consider(ctx);
  }

  /** Publish when ahead after acceptance; give up when too far behind. */
  protected consider(ctx: Ctx): void {
    if (!this.privateTip || this.phase !== 'mining') return;
    const pub = this.tip;
    const priv = this.privateTip;
    if (this.merchantAccepted(pub) && priv.cumWork > pub.cumWork) {
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
