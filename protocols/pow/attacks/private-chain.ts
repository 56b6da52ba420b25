/**
 * What every private-chain attacker shares (the double spend of Bitcoin whitepaper §11 and the
 * time-warp low-work branch): its hash power extends a secret branch, so mining difficulty and
 * discovery follow the PRIVATE tip; each private block is validated exactly as a receiver would
 * validate it and kept private; the attack is re-evaluated (`consider`) whenever either tip
 * moves; publishing announces the branch oldest block first, so peers fetch it in order.
 *
 * Subclasses decide when to fork, what goes into private blocks and when to publish or give up.
 */
import type { Block } from '../block.ts';
import type { BlockEntry } from '../chain.ts';
import type { NodeContext } from '../../../sim/types.ts';
import { PowNode } from '../node.ts';
import type { PowMessage } from '../world.ts';

type Ctx = NodeContext<PowMessage>;

export abstract class PrivateChainMiner extends PowNode {
  /** Tip of the private branch (undefined when no attack is under way). */
  privateTip: BlockEntry | undefined;
  /** Where the private branch forks from the public chain. */
  forkBase: BlockEntry | undefined;
  /** Private blocks mined. */
  privateBlocks = 0;

  /** Re-evaluates the attack: publish, give up, or keep mining. */
  protected abstract consider(ctx: Ctx): void;

  protected override scheduleMining(ctx: Ctx): void {
    if (this.privateTip === undefined) return super.scheduleMining(ctx);
    const saved = this.tip;
    this.tip = this.privateTip;
    super.scheduleMining(ctx);
    this.tip = saved;
  }

  protected override setTip(ctx: Ctx, next: BlockEntry): void {
    super.setTip(ctx, next);
    this.consider(ctx);
  }

  /** Counts, validates and keeps a freshly mined private block; returns its entry. */
  protected keepPrivate(ctx: Ctx, block: Block): BlockEntry {
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
  protected announceBranch(ctx: Ctx, tip: BlockEntry, fork: BlockEntry): void {
    const chain: BlockEntry[] = [];
    for (let x: BlockEntry = tip; x !== fork; x = x.parent!) chain.push(x);
    for (let i = chain.length - 1; i >= 0; i--) this.announce(ctx, chain[i], -1);
  }

  /** Stops the attacker's mining timer. */
  protected stopMining(ctx: Ctx): void {
    if (this.mineTimer) ctx.cancelTimer(this.mineTimer);
    this.mineTimer = undefined;
  }
}
