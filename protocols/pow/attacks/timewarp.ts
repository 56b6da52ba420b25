/**
 * Low-work-branch ("time-warp") attacker: a branch that is LONGER than the honest chain but
 * carries LESS cumulative work, built by gaming difficulty retargeting with fake timestamps.
 *
 * Retargeting (target.ts, Bitcoin Core CalculateNextWorkRequired) scales the target by the
 * observed timespan of the last window, clamped to ×4 per retarget. This chain enforces the
 * median-time-past rule (a block's time must exceed the median of the last 11) but, like the
 * simulation's other timestamp rules, no "at most 2 h in the future" limit (Bitcoin Core's
 * MAX_FUTURE_BLOCK_TIME): node clocks are the virtual clock, and a future limit is a policy the
 * issue does not ask for. So a miner may stamp every block it mines `timeStretch` block intervals
 * after its parent. Each retarget window on its private branch then looks ≥ 4× too slow and the
 * target eases ×4 per window, down to powLimit (1 leading zero bit). Classic time-warp (Bitcoin's
 * off-by-one between windows) is not needed and not available: our windows overlap by one block.
 *
 * Timeline of one round:
 *   1. at `startAt` the attacker forks from its view of the public tip and mines a PRIVATE branch
 *      of empty blocks (coinbase only) with its hash share q, every block stamped
 *      parent.time + timeStretch · blockInterval — MTP-valid, retarget-valid, fully verified by
 *      every receiver;
 *   2. it publishes the whole branch (inv, oldest first) once
 *        - the public chain holds ≥ `publishDepth` blocks above the fork (their txs are
 *          confirmed by then), and
 *        - the private branch is ≥ `lead` blocks HIGHER than the public tip, and
 *        - the private branch carries strictly LESS cumulative work than the public chain
 *          `workMargin` blocks below its tip (so honest nodes lagging the attacker's view by up
 *          to that many blocks also see it as lighter). The attack targets the fork-choice rule,
 *          not the hash-power majority: a heavier branch would be a plain double spend and would
 *          fool correct nodes too;
 *   3. with `repeat`, it starts a new round from the public tip; otherwise it stops mining.
 *   A round is abandoned (and restarted with `repeat`) after `maxBlocks` private blocks.
 *
 * Honest nodes with the most-work rule (Nakamoto) ignore the branch: it has less work. Nodes
 * running the `pow-height` mutant (protocols/pow/mutants.ts) switch to it, and every tx of the
 * public chain above the fork — some with ≥ `publishDepth` confirmations — is reversed, so the
 * `confirmed-not-reversed` checker fires. Work is expected hashes, so the attacker's branch
 * gains work at most at rate q whatever its timestamps; with q < ½ the public chain pulls ahead
 * in work while the eased branch races ahead in height. The publication condition makes "never
 * fools the correct rule" hold by construction, not just with high probability (except for an
 * honest node that lags by more than `workMargin` blocks, e.g. behind a partition).
 *
 * A separate node class (never flags in honest code): it relays like an honest node, so it sees
 * the public chain, but it never mines on it.
 */
import type { NodeId } from '../../../sim/types.ts';
import { PrivateChainMiner } from '../../nakamoto/private-chain.ts';
import { forkPoint } from '../../nakamoto/tree.ts';
import type { Block } from '../block.ts';
import type { ChainState, PowContext, PowEntry } from '../chain.ts';
import type { Tx } from '../tx.ts';
import type { PowWorld } from '../world.ts';

export interface TimewarpOptions {
  /** Virtual time the first round starts, µs. */
  startAtUs: number;
  /** Timestamp step of each private block, in block intervals (≥ 4 gives the full ×4 ease). */
  timeStretch: number;
  /** Public blocks above the fork required before publishing. */
  publishDepth: number;
  /** How many blocks higher than the public tip the branch must be when published. */
  lead: number;
  /** The branch must carry less work than the public chain this many blocks below its tip. */
  workMargin: number;
  /** Private blocks after which a round is abandoned. */
  maxBlocks: number;
  /** Start a new round after each publication / abandonment. */
  repeat: boolean;
}

export type TimewarpPhase = 'waiting' | 'mining' | 'done';

const START_TAG = { type: 'timewarp-start' } as const;

export class TimewarpAttacker extends PrivateChainMiner<Block, Tx, ChainState> {
  phase: TimewarpPhase = 'waiting';
  /** Rounds started, branches published, rounds abandoned. */
  rounds = 0;
  publications = 0;
  abandoned = 0;
  /** Private blocks mined in the current round (privateBlocks counts all rounds). */
  private roundBlocks = 0;
  /** Heights and work of the published branches and of the public tips they were published against. */
  readonly published: { privateHeight: number; publicHeight: number; privateWork: number; publicWork: number; forkHeight: number }[] = [];
  /** True while building a private block (fake timestamp). */
  private building = false;

  constructor(
    id: NodeId,
    world: PowWorld,
    readonly attack: TimewarpOptions,
  ) {
    super(id, world);
  }

  /** The attacker's hash power mines only private branches, only during a round. */
  override get share(): number {
    return this.phase === 'mining' ? this.world.options.hashShare[this.id] : 0;
  }

  override onStart(ctx: PowContext): void {
    super.onStart(ctx);
    ctx.setTimer(this.attack.startAtUs, START_TAG);
  }

  override onRecover(ctx: PowContext): void {
    // A crash loses the private branch (it was volatile) and the pending start timer (the kernel
    // cancels timers); the attack resumes with a new round, or waits for `startAt` again.
    this.privateTip = undefined;
    if (this.phase === 'mining') return this.startRound(ctx);
    super.onRecover(ctx);
    if (this.phase === 'waiting') {
      const left = this.attack.startAtUs - ctx.now();
      if (left > 0) ctx.setTimer(left, START_TAG);
      else this.startRound(ctx);
    }
  }

  override onTimer(ctx: PowContext, tag: unknown): void {
    if (tag === START_TAG) this.startRound(ctx);
    else super.onTimer(ctx, tag);
  }

  private startRound(ctx: PowContext): void {
    this.forkBase = this.tip;
    this.privateTip = this.tip;
    this.roundBlocks = 0;
    this.rounds++;
    this.phase = 'mining';
    ctx.emit({ kind: 'attack-started', forkHeight: this.tip.height, round: this.rounds });
    this.scheduleMining(ctx);
  }

  protected override blockTime(ctx: PowContext, parent: PowEntry): number {
    if (!this.building) return super.blockTime(ctx, parent);
    const step = Math.ceil((this.attack.timeStretch * this.world.options.blockIntervalUs) / 1_000_000);
    return parent.block.header.time + Math.max(1, step);
  }

  protected override mineBlock(ctx: PowContext): void {
    if (this.phase !== 'mining' || !this.privateTip) return;
    this.building = true;
    let block;
    try {
      block = this.buildBlock(ctx, this.privateTip, []);
    } finally {
      this.building = false;
    }
    this.roundBlocks++;
    ctx.metrics.counter('pow.timewarp.private-blocks').inc();
    // Real validation, as every receiver will do it: the eased target must match the retarget rule.
    this.keepPrivate(ctx, block);
    this.scheduleMining(ctx);
    this.consider(ctx);
  }

  /** Publish when the branch is higher but lighter and the public txs are deep enough. */
  protected consider(ctx: PowContext): void {
    if (this.phase !== 'mining' || !this.privateTip) return;
    const pub = this.tip;
    const priv = this.privateTip;
    const fork = forkPoint(pub, priv);
    const a = this.attack;
    // Lighter than the public chain `workMargin` blocks below its tip: honest most-work nodes that
    // lag the attacker's view by up to that many blocks still prefer their own chain.
    const margin = pub.ancestor(Math.max(fork.height, pub.height - a.workMargin));
    if (pub.height - fork.height >= a.publishDepth && priv.height >= pub.height + a.lead && priv.cumWork < margin.cumWork) {
      this.publish(ctx, priv, fork, pub);
      return this.endRound(ctx);
    }
    if (this.roundBlocks >= a.maxBlocks) {
      this.abandoned++;
      ctx.emit({ kind: 'attack-abandoned', privateHeight: priv.height, publicHeight: pub.height });
      this.endRound(ctx);
    }
  }

  private publish(ctx: PowContext, priv: PowEntry, fork: PowEntry, pub: PowEntry): void {
    this.publications++;
    this.published.push({ privateHeight: priv.height, publicHeight: pub.height, privateWork: priv.cumWork - fork.cumWork, publicWork: pub.cumWork - fork.cumWork, forkHeight: fork.height });
    ctx.metrics.counter('pow.timewarp.published').inc();
    ctx.emit({ kind: 'attack-published', privateHeight: priv.height, publicHeight: pub.height, forkHeight: fork.height });
    this.announceBranch(ctx, priv, fork);
  }

  private endRound(ctx: PowContext): void {
    this.stopMining(ctx);
    this.privateTip = undefined;
    this.forkBase = undefined;
    this.phase = 'done';
    if (this.attack.repeat) this.startRound(ctx);
  }
}
