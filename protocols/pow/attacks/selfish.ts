/**
 * Selfish mining, Eyal & Sirer, "Majority is not Enough: Bitcoin Mining is Vulnerable"
 * (FC 2014), Algorithm 1, run by a real node on the simulated network.
 *
 * The pool mines on its private branch and reveals blocks strategically:
 *   on own block:    Δprev = |private| − |public|; append; privateBranchLen++;
 *                    if Δprev = 0 and privateBranchLen = 2: publish all (win the 0' race)
 *   on others' block: Δprev = |private| − |public| (before the new block);
 *                    Δprev = 0: adopt the public chain;   Δprev = 1: publish the last block (race);
 *                    Δprev = 2: publish all (win by 1);  Δprev > 2: publish the first unpublished block
 * Lengths are heights above the common fork (scenarios use a fixed target, so height = work).
 *
 * γ — the share of honest hash power that mines on the pool's block during a tie — is not a
 * flag in honest nodes (they keep the first block seen, as Bitcoin Core does). The pool gets its
 * γ as a well-connected attacker does: when it matches, it pushes the block directly (without
 * inv) to a fraction γ of the honest nodes, chosen once by the pool's seeded stream. Because the
 * honest block is already spreading when the pool hears of it, the effective γ is ≤ the nominal
 * one. The pool measures it: of the ties it matched that an honest block resolved, the share
 * resolved on the pool's block (`tiesOnPool / (tiesOnPool + tiesOnHonest)`, Eyal & Sirer's γ as
 * it came out); summaries report it beside the revenue share.
 */
import type { NodeId } from '../../../sim/types.ts';
import { blockMessage } from '../../nakamoto/messages.ts';
import { NakamotoNode } from '../../nakamoto/node.ts';
import { forkPoint } from '../../nakamoto/tree.ts';
import type { Block } from '../block.ts';
import type { ChainState, PowContext, PowEntry } from '../chain.ts';
import type { Tx } from '../tx.ts';
import type { PowWorld } from '../world.ts';

export class SelfishMiner extends NakamotoNode<Block, Tx, ChainState> {
  /** Tip of the pool's private branch (may equal the public tip). */
  privateTip: PowEntry;
  /** Longest public chain the pool knows (honest blocks and the pool's published ones). */
  publicTip: PowEntry;
  private privateBranchLen = 0;
  /** Private blocks already revealed. */
  private readonly published = new Set<string>();
  private sybil: NodeId[] = [];
  /** The tie this pool last matched (its block and the honest block of the same height), until resolved. */
  private tie: { pool: PowEntry; honest: PowEntry } | null = null;
  /** Ties resolved by an honest block on the pool's block (γ events) and on the honest one. */
  tiesOnPool = 0;
  tiesOnHonest = 0;

  constructor(
    id: NodeId,
    world: PowWorld,
    /** Nominal tie-breaking share γ (0..1). */
    readonly gamma: number,
    /** Honest node ids (γ targets are drawn from them). */
    private readonly honest: readonly NodeId[],
  ) {
    super(id, world);
    this.privateTip = this.tip;
    this.publicTip = this.tip;
  }

  override onStart(ctx: PowContext): void {
    const k = Math.round(this.gamma * this.honest.length);
    this.sybil = ctx.rng('selfish/gamma').sample(this.honest.length, k).map((i) => this.honest[i]);
    super.onStart(ctx);
  }

  protected override scheduleMining(ctx: PowContext): void {
    const saved = this.tip;
    this.tip = this.privateTip;
    super.scheduleMining(ctx);
    this.tip = saved;
  }

  private lead(): number {
    const f = forkPoint(this.privateTip, this.publicTip);
    return this.privateTip.height - f.height - (this.publicTip.height - f.height);
  }

  protected override mineBlock(ctx: PowContext): void {
    const deltaPrev = this.lead();
    const block = this.buildBlock(ctx, this.privateTip, this.candidates(ctx, this.privateTip));
    this.mined++;
    this.world.blocksMined++;
    this.world.minedBy.set(block.hash, this.id);
    const res = this.world.store.accept(block, ctx.now());
    if (!res.ok) throw new Error(`selfish miner built an invalid block: ${res.reason}`);
    res.entry.have[this.id] = 1;
    this.privateTip = res.entry;
    this.privateBranchLen++;
    if (deltaPrev === 0 && this.privateBranchLen === 2) {
      this.tie = null; // the pool resolved the tie itself
      this.publishUpTo(ctx, this.privateTip);
      this.privateBranchLen = 0;
    }
    this.scheduleMining(ctx);
  }

  /** Honest blocks arrive through the normal relay; the pool reacts per Algorithm 1. */
  protected override setTip(ctx: PowContext, next: PowEntry): void {
    this.tip = next; // the pool's view of the public chain (no reorg observations: not honest)
    if (next.cumWork <= this.publicTip.cumWork) return;
    if (this.tie && next.height === this.tie.pool.height + 1) {
      if (next.parent === this.tie.pool) this.tiesOnPool++;
      else if (next.parent === this.tie.honest) this.tiesOnHonest++;
    }
    this.tie = null;
    const deltaPrev = this.lead();
    this.publicTip = next;
    if (deltaPrev <= 0) {
      this.privateTip = next;
      this.privateBranchLen = 0;
    } else if (deltaPrev === 1) {
      this.tie = { pool: this.privateTip, honest: next };
      this.publishUpTo(ctx, this.privateTip, true);
    } else if (deltaPrev === 2) {
      this.publishUpTo(ctx, this.privateTip);
      this.privateBranchLen = 0;
    } else {
      // Publish the first unpublished private block.
      const f = forkPoint(this.privateTip, next);
      let first: PowEntry | undefined;
      for (let x: PowEntry = this.privateTip; x !== f; x = x.parent!) if (!this.published.has(x.hash)) first = x;
      if (first) this.publishUpTo(ctx, first);
    }
    this.scheduleMining(ctx);
  }

  /** Reveals private blocks up to `last` (oldest first). A tie match also pushes to the γ nodes. */
  private publishUpTo(ctx: PowContext, last: PowEntry, match = false): void {
    const chain: PowEntry[] = [];
    for (let x: PowEntry | null = last; x && !this.published.has(x.hash) && x.have[this.id]; x = x.parent) {
      if (this.world.minedBy.get(x.hash) !== this.id) break;
      chain.push(x);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const e = chain[i];
      this.published.add(e.hash);
      if (match) for (const s of this.sybil) ctx.send(s, blockMessage(e.block, e.hash));
      this.announce(ctx, e, -1);
    }
    if (last.cumWork > this.publicTip.cumWork) this.publicTip = last;
  }
}
