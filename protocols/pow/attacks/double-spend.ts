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
import { PowNode } from '../node.ts';
import type { Tx } from '../tx.ts';
import type { PowMessage, PowWorld } from '../world.ts';

type Ctx = NodeContext<PowMessage>;

export type DoubleSpendPhase = 'waiting' | 'mining' | 'published' | 'gave-up';

export class DoubleSpendAttacker extends PowNode {
  phase: DoubleSpendPhase = 'waiting';
  /** Tip of the secret chain. */
  privateTip: BlockEntry | undefined;
  /** Fork point: the public tip when the payment was made. */
  forkBase: BlockEntry | undefined;
  private conflict: Tx | undefined;
  private paymentTxid = '';
  /** Private blocks mined. */
  privateBlocks = 0;

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

  protected override scheduleMining(ctx: Ctx): void {
    // Mining difficulty follows the PRIVATE tip.
    if (this.privateTip === undefined) return super.scheduleMining(ctx);
    const saved = this.tip;
    this.tip = this.privateTip;
    super.scheduleMining(ctx);
    this.tip = saved;
  }

  protected override mineBlock(ctx: Ctx): void {
    if (!this.privateTip || (this.phase !== 'mining' && this.phase !== 'published')) return;
    const first = this.privateTip === this.forkBase;
    const block = this.buildBlock(ctx, this.privateTip, [], first && this.conflict ? [this.conflict] : []);
    this.mined++;
    this.privateBlocks++;
    this.world.blocksMined++;
    this.world.minedBy.set(block.hash, this.id);
    const res = this.world.store.accept(block, ctx.now());
    if (!res.ok) throw new Error(`attacker built an invalid block: ${res.reason}`);
    res.entry.have[this.id] = 1;
    this.privateTip = res.entry;
    if (this.phase === 'published') this.announce(ctx, res.entry, -1);
    this.scheduleMining(ctx);
    this.consider(ctx);
  }

  protected override setTip(ctx: Ctx, next: BlockEntry): void {
    super.setTip(ctx, next);
    this.consider(ctx);
  }

  /** Publish when ahead after acceptance; give up when too far behind. */
  private consider(ctx: Ctx): void {
    if (!this.privateTip || this.phase !== 'mining') return;
    const pub = this.tip;
    const priv = this.privateTip;
    if (this.merchantAccepted(pub) && priv.cumWork > pub.cumWork) {
      this.phase = 'published';
      ctx.emit({ kind: 'attack-published', privateHeight: priv.height, publicHeight: pub.height });
      // Announce every private block, oldest first, so peers fetch them in order.
      const chain: BlockEntry[] = [];
      for (let x: BlockEntry = priv; x !== this.forkBase; x = x.parent!) chain.push(x);
      for (let i = chain.length - 1; i >= 0; i--) this.announce(ctx, chain[i], -1);
      return;
    }
    if (pub.cumWork - priv.cumWork >= this.giveUpDeficit * pub.work) {
      this.phase = 'gave-up';
      if (this.mineTimer) ctx.cancelTimer(this.mineTimer);
      this.mineTimer = undefined;
      ctx.emit({ kind: 'attack-gave-up', privateHeight: priv.height, publicHeight: pub.height });
    }
  }
}
