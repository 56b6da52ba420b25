/**
 * Checkpoints, garbage collection and state transfer (TOCS'02 §4.3, §5.3.2 simplified): every K
 * executed sequence numbers a replica multicasts CHECKPOINT(n, state digest); 2f + 1 matching
 * ones make it stable: the low watermark h moves to n and log entries ≤ n are discarded. A
 * replica that falls behind a stable checkpoint fetches the missing blocks from the replicas
 * that vouched for it and checks them against the certified state digest (a hash chain over
 * executed batches) before executing any. STATUS messages (after a recovery or a join) are
 * answered with the latest new-view and stable checkpoint.
 *
 * State: the low watermark h, checkpoint votes per sequence number, and the state-transfer
 * target (sequence number, certified state, replicas to fetch from).
 */
import type { NodeContext, NodeId, TimerHandle } from '../../../sim/types.ts';
import { sha256Hex } from '../auth.ts';
import {
  batchDigest,
  type BlocksMsg,
  blocksSize,
  chainDigest,
  checkpointSize,
  type CheckpointMsg,
  Code,
  type FetchMsg,
  NULL_BATCH,
  type PbftMessage,
  requestDigest,
  type StatusMsg,
  traceDigest,
} from '../messages.ts';
import type { ReplicaParts } from './parts.ts';
import { VoteTally } from './tally.ts';
import { EMPTY_AUTH, isHex64, isInt, reject, validOp } from './types.ts';

export class Checkpoints {
  /** The low watermark h: the last stable checkpoint. */
  private low = 0;
  /** Checkpoint votes per sequence number (above h − K). */
  private readonly votes = new Map<number, VoteTally>();
  /** A stable checkpoint this replica has not reached: fetch its blocks from `sources`. */
  target: { seq: number; state: string; sources: NodeId[] } | null = null;
  private fetchTimer: TimerHandle | undefined;

  constructor(protected readonly parts: ReplicaParts) {}

  get h(): number {
    return this.low;
  }

  private checkpointMessage(ctx: NodeContext<PbftMessage>, seq: number, state: string): CheckpointMsg {
    const core = this.parts.core;
    return core.withAuth(ctx, { type: 'checkpoint', epoch: core.committee.epoch, seq, sender: core.self, state, size: checkpointSize(core.k), digest: 0, auth: EMPTY_AUTH } as CheckpointMsg, Code.Checkpoint, 0, seq, state);
  }

  sendCheckpoint(ctx: NodeContext<PbftMessage>, seq: number, state: string): void {
    const c = this.checkpointMessage(ctx, seq, state);
    this.recordCheckpoint(ctx, seq, state, this.parts.core.index);
    this.parts.core.multicast(ctx, c);
  }

  onCheckpoint(ctx: NodeContext<PbftMessage>, m: CheckpointMsg): void {
    const core = this.parts.core;
    if (core.index < 0) return;
    if (!isInt(m.seq) || m.seq <= 0 || !isHex64(m.state) || m.epoch !== core.committee.epoch) return reject(ctx, 'malformed');
    const idx = core.memberIndex(m.sender);
    if (idx < 0 || m.sender === core.self) return reject(ctx, 'not-member');
    if (!core.authentic(ctx, Code.Checkpoint, m.epoch, 0, m.seq, m.sender, m.state, m.auth)) return reject(ctx, 'mac');
    if (m.seq <= this.low) return;
    this.recordCheckpoint(ctx, m.seq, m.state, idx);
  }

  private recordCheckpoint(ctx: NodeContext<PbftMessage>, seq: number, state: string, idx: number): void {
    const core = this.parts.core;
    let tally = this.votes.get(seq);
    if (!tally) this.votes.set(seq, (tally = new VoteTally()));
    const count = tally.add(state, idx, core.k);
    if (count === 0) return;
    if (count >= core.quorum() && seq > this.low) {
      const sources: NodeId[] = [];
      for (let i = 0; i < core.k; i++) if (tally.voted(state, i) && core.committee.members[i] !== core.self) sources.push(core.committee.members[i]);
      this.checkpointStable(ctx, seq, state, sources);
    }
  }

  /** A checkpoint is certified (2f + 1 matching, or f + 1 in a new-view): collect garbage or catch up. */
  checkpointStable(ctx: NodeContext<PbftMessage>, seq: number, state: string, sources: NodeId[]): void {
    const exec = this.parts.exec;
    if (seq <= this.low) return;
    if (exec.lastExec >= seq) {
      if (exec.chains[seq] !== state) {
        ctx.metrics.counter('pbft.checkpoint-mismatch').inc();
        return;
      }
      this.collectGarbage(ctx, seq);
    } else if (!this.target || this.target.seq < seq) {
      this.target = { seq, state, sources };
      this.fetch(ctx, 0);
    }
  }

  private collectGarbage(ctx: NodeContext<PbftMessage>, seq: number): void {
    const { core, normal } = this.parts;
    this.low = seq;
    normal.collect(seq);
    for (const n of [...this.votes.keys()]) if (n < seq) this.votes.delete(n);
    ctx.metrics.counter('pbft.checkpoints.stable').inc();
    if (core.isPrimary()) {
      normal.advanceNextSeq(seq + 1);
      this.parts.requests.maybePropose(ctx);
    }
  }

  // ---- state transfer ----------------------------------------------------------------------

  fetch(ctx: NodeContext<PbftMessage>, attempt: number): void {
    const { core, exec } = this.parts;
    const t = this.target;
    if (!t || t.sources.length === 0) return;
    const to = t.sources[attempt % t.sources.length];
    const body = sha256Hex(`fetch|${exec.lastExec + 1}|${t.seq}`);
    const msg: FetchMsg = {
      type: 'fetch', epoch: core.committee.epoch, sender: core.self, fromSeq: exec.lastExec + 1, toSeq: t.seq, size: 48 + 20,
      digest: traceDigest(body, core.self, exec.lastExec, t.seq), auth: core.pointTag(ctx, to, Code.Fetch, core.committee.epoch, exec.lastExec + 1, t.seq, NULL_BATCH),
    };
    ctx.send(to, msg);
    if (this.fetchTimer) ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = ctx.setTimer(core.options.fetchTimeoutUs, { type: 'pbft-fetch', attempt });
  }

  /** The fetch timer fired: ask the next source. */
  onFetchTimer(ctx: NodeContext<PbftMessage>, attempt: number): void {
    this.fetchTimer = undefined;
    if (this.target && this.target.seq > this.parts.exec.lastExec) this.fetch(ctx, attempt + 1);
  }

  onFetch(ctx: NodeContext<PbftMessage>, m: FetchMsg): void {
    const { core, exec } = this.parts;
    if (!isInt(m.fromSeq) || !isInt(m.toSeq) || m.fromSeq < 1 || m.toSeq < m.fromSeq || !isInt(m.sender)) return reject(ctx, 'malformed');
    if (!core.authenticPoint(ctx, Code.Fetch, m.epoch, m.fromSeq, m.toSeq, m.sender, NULL_BATCH, m.auth)) return reject(ctx, 'mac');
    if (exec.lastExec < m.toSeq) return;
    const blocks = exec.ledger.slice(m.fromSeq - 1, m.toSeq);
    const body = sha256Hex(`blocks|${m.fromSeq}|${m.toSeq}|${blocks.map((b) => b.batch).join(',')}`);
    const reply: BlocksMsg = {
      type: 'blocks', epoch: m.epoch, sender: core.self, blocks, body, size: blocksSize(blocks), digest: traceDigest(body, core.self, m.fromSeq, m.toSeq),
      auth: core.pointTag(ctx, m.sender, Code.Blocks, m.epoch, m.fromSeq, m.toSeq, body),
    };
    ctx.send(m.sender, reply);
  }

  onBlocks(ctx: NodeContext<PbftMessage>, m: BlocksMsg): void {
    const { core, exec } = this.parts;
    const t = this.target;
    if (!Array.isArray(m.blocks) || m.blocks.length === 0 || !isHex64(m.body)) return reject(ctx, 'malformed');
    const first = m.blocks[0]?.seq;
    const lastSeq = m.blocks[m.blocks.length - 1]?.seq;
    if (!isInt(first) || !isInt(lastSeq)) return reject(ctx, 'malformed');
    if (!core.authenticPoint(ctx, Code.Blocks, m.epoch, first, lastSeq, m.sender, m.body, m.auth)) return reject(ctx, 'mac');
    if (!t || lastSeq !== t.seq || first > exec.lastExec + 1) return; // not what we need (any more)
    // Check the chain against the certified state digest before executing anything.
    let state = exec.chains[first - 1];
    if (state === undefined) return;
    for (let i = 0; i < m.blocks.length; i++) {
      const b = m.blocks[i];
      if (!b || b.seq !== first + i || !Array.isArray(b.requests) || batchDigest(b.requests) !== b.batch) return reject(ctx, 'transfer');
      for (const r of b.requests) if (!r || r.type !== 'request' || !validOp(r.op) || requestDigest(r.client, r.timestamp, r.op) !== r.opDigest) return reject(ctx, 'transfer');
      state = chainDigest(state, b.seq, b.batch);
    }
    if (state !== t.state) return reject(ctx, 'transfer');
    for (const b of m.blocks) {
      if (b.seq <= exec.lastExec) continue;
      exec.execute(ctx, b.seq, core.view, b.batch, b.requests, 'transfer');
      if (core.index < 0) return;
    }
    ctx.metrics.counter('pbft.state-transfers').inc();
    this.target = null;
    if (this.fetchTimer) ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = undefined;
    this.collectGarbage(ctx, t.seq);
    this.parts.normal.executeReady(ctx);
    this.parts.views.resetViewChangeTimer(ctx);
  }

  onStatus(ctx: NodeContext<PbftMessage>, m: StatusMsg): void {
    const { core, exec } = this.parts;
    if (core.index < 0 || !isInt(m.view) || !isInt(m.seq) || m.epoch !== core.committee.epoch) return reject(ctx, 'malformed');
    const idx = core.memberIndex(m.sender);
    if (idx < 0 || m.sender === core.self) return reject(ctx, 'not-member');
    if (!core.authentic(ctx, Code.Status, m.epoch, m.view, m.seq, m.sender, NULL_BATCH, m.auth)) return reject(ctx, 'mac');
    const lastNewView = this.parts.views.lastNewView;
    if (lastNewView && lastNewView.newView > m.view) ctx.send(m.sender, lastNewView);
    if (this.low > m.seq && exec.chains[this.low]) ctx.send(m.sender, this.checkpointMessage(ctx, this.low, exec.chains[this.low]));
  }

  /** Tells the committee where we are (after a recovery or a join); they answer with what we missed. */
  sendStatus(ctx: NodeContext<PbftMessage>): void {
    const { core, exec } = this.parts;
    core.multicast(ctx, core.withAuth(ctx, { type: 'status', epoch: core.committee.epoch, view: core.view, seq: exec.lastExec, sender: core.self, size: 40, digest: 0, auth: EMPTY_AUTH }, Code.Status, core.view, exec.lastExec, NULL_BATCH));
  }

  /** A new epoch starts after `at`: h = at, no votes, nothing to fetch. */
  resetForEpoch(at: number): void {
    this.low = at;
    this.votes.clear();
    this.target = null;
  }

  /** The process crashed: timers died with it. */
  onCrash(): void {
    this.fetchTimer = undefined;
  }
}
