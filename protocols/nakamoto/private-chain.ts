/**
 * What every private-chain attacker shares (the double spend / "51 %" attack of Bitcoin
 * whitepaper §11 and seed 001 §4.2, the pow protocol's time-warp low-work branch, an account
 * chain's attacker who reverses a confirmed transaction): its hash power extends a secret
 * branch, so mining difficulty and discovery follow the PRIVATE tip; each private block is
 * validated exactly as a receiver would validate it and kept private; the attack is re-evaluated
 * (`consider`) whenever either tip moves; publishing announces the branch oldest block first, so
 * peers fetch it in order.
 *
 * A separate node class (never flags in honest code): it relays like an honest node, so `tip`
 * is its view of the public chain. Subclasses decide when to fork, what goes into private blocks
 * and when to publish or give up.
 */
import type { ChainBlock, ChainTx } from './chain.ts';
import { NakamotoNode, type RelayContext } from './node.ts';
import type { BlockEntry } from './tree.ts';

export abstract class PrivateChainMiner<B extends ChainBlock<T>, T extends ChainTx, S> extends NakamotoNode<B, T, S> {
  /** Tip of the private branch (undefined when no attack is under way). */
  privateTip: BlockEntry<B, S> | undefined;
  /** Where the private branch forks from the public chain. */
  forkBase: BlockEntry<B, S> | undefined;
  /** Private blocks mined. */
  privateBlocks = 0;

  /** Re-evaluates the attack: publish, give up, or keep mining. */
  protected abstract consider(ctx: RelayContext<B, T>): void;

  protected override scheduleMining(ctx: RelayContext<B, T>): void {
    if (this.privateTip === undefined) return super.scheduleMining(ctx);
    const saved = this.tip;
    this.tip = this.privateTip;
    super.scheduleMining(ctx);
    this.tip = saved;
  }

  protected override setTip(ctx: RelayContext<B, T>, next: BlockEntry<B, S>): void {
    super.setTip(ctx, next);
    this.consider(ctx);
  }

  /** Counts, validates and keeps a freshly mined private block; returns its entry. */
  protected keepPrivate(ctx: RelayContext<B, T>, block: B): BlockEntry<B, S> {
    this.mined++;
    this.privateBlocks++;
    this.world.blocksMined++;
    this.world.minedBy.set(block.hash, this.id);
    const res = this.world.store.accept(block, ctx.now());
    if (!res.ok) throw new Error(`${this.constructor.name} built an invalid block: ${res.reason}`);
    res.entry.have[this.id] = 1;
    this.privateTip = res.entry;
    return res.entry;
  }

  /** Announces the private blocks above `fork` up to `tip`, oldest first. */
  protected announceBranch(ctx: RelayContext<B, T>, tip: BlockEntry<B, S>, fork: BlockEntry<B, S>): void {
    const chain: BlockEntry<B, S>[] = [];
    for (let x: BlockEntry<B, S> = tip; x !== fork; x = x.parent!) chain.push(x);
    for (let i = chain.length - 1; i >= 0; i--) this.announce(ctx, chain[i], -1);
  }

  /** Stops the attacker's mining timer. */
  protected stopMining(ctx: RelayContext<B, T>): void {
    if (this.mineTimer) ctx.cancelTimer(this.mineTimer);
    this.mineTimer = undefined;
  }
}
