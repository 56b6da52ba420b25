/**
 * The normal case (TOCS'02 §4.2): the primary of view v assigns sequence number n to a batch and
 * multicasts PRE-PREPARE(v, n, d); a backup accepts it if it is in view v, h < n ≤ h + L
 * (watermarks), the authenticator and every request in the batch are authentic, and it accepted
 * no other pre-prepare for (v, n); it multicasts PREPARE(v, n, d). A replica is *prepared* for
 * (m, v, n) with the pre-prepare and 2f matching prepares from distinct backups; it multicasts
 * COMMIT(v, n, d) and is *committed-local* with 2f + 1 matching commits. Committed batches
 * execute in sequence order (execution.ts).
 *
 * State: the message log (one `Slot` per sequence number above the low watermark), the next
 * sequence number the primary assigns, and messages of views not entered yet.
 *
 * Rules a variant may replace (mutants.ts): `prepareQuorum`, `commitQuorum`, `checkProgress`,
 * `acceptPrePrepare`, `executeReady`.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import { batchDigest, Code, type PbftMessage, type PrePrepareMsg, prePrepareSize, type RequestMsg, voteSize, type VoteMsg } from '../messages.ts';
import type { ReplicaParts } from './parts.ts';
import { VoteTally } from './tally.ts';
import { EMPTY_AUTH, isHex64, isInt, reject } from './types.ts';

/** Log entry for one sequence number (TOCS'02 §4.2 "message log"). */
export class Slot {
  /** View of the accepted pre-prepare, or −1. */
  ppView = -1;
  ppBatch = '';
  requests: RequestMsg[] | null = null;
  /** View the vote tallies belong to. */
  tallyView = -1;
  prepares = new VoteTally();
  commits = new VoteTally();
  prepared = false;
  committed = false;
  /** Highest view in which this replica prepared (P set), with the batch. */
  pView = -1;
  pBatch = '';
  pRequests: RequestMsg[] | null = null;
  /** Highest view in which this replica pre-prepared (Q set). */
  qView = -1;
  qBatch = '';
  constructor(readonly seq: number) {}
}

export class NormalCase {
  /** The message log by sequence number (entries ≤ the low watermark are garbage-collected). */
  readonly slots = new Map<number, Slot>();
  /** Primary: the next sequence number to assign. */
  private next = 1;
  /** Messages of a view not entered yet (replayed when it is); bounded. */
  private future: { from: NodeId; msg: PbftMessage }[] = [];

  constructor(protected readonly parts: ReplicaParts) {}

  /** Matching prepares from distinct backups needed to be prepared: Q − 1 (2f when k = 3f + 1). */
  prepareQuorum(): number {
    return this.parts.core.quorum() - 1;
  }
  /** Matching commits needed to be committed-local: Q (2f + 1 when k = 3f + 1). */
  commitQuorum(): number {
    return this.parts.core.quorum();
  }

  get nextSeq(): number {
    return this.next;
  }

  slot(seq: number): Slot {
    let s = this.slots.get(seq);
    if (!s) this.slots.set(seq, (s = new Slot(seq)));
    return s;
  }

  private inWindow(seq: number): boolean {
    const pending = this.parts.reconfig.pending;
    const h = this.parts.checkpoints.h;
    return seq > h && seq <= h + this.parts.core.options.watermarkWindow && (!pending || seq <= pending.at);
  }

  /** Buffers a message of a future view (replayed when we enter it); bounded. */
  private defer(from: NodeId, msg: PbftMessage): void {
    if (this.future.length < 64 * this.parts.core.k + 1024) this.future.push({ from, msg });
  }

  /** The buffered messages of future views, handed over (and forgotten) when a view is entered. */
  takeDeferred(): { from: NodeId; msg: PbftMessage }[] {
    const buffered = this.future;
    this.future = [];
    return buffered;
  }

  /** Primary: propose `requests` at the next sequence number. */
  proposeNext(ctx: NodeContext<PbftMessage>, requests: RequestMsg[]): void {
    this.propose(ctx, this.next++, requests);
  }

  /** Sequence numbers below `min` are taken (garbage-collected or decided by a new view). */
  advanceNextSeq(min: number): void {
    if (this.next < min) this.next = min;
  }

  /** Primary: multicast a pre-prepare for `seq` (TOCS'02 §4.2). */
  propose(ctx: NodeContext<PbftMessage>, seq: number, requests: RequestMsg[]): void {
    const core = this.parts.core;
    const batch = batchDigest(requests);
    const pp = core.withAuth(
      ctx,
      { type: 'pre-prepare', epoch: core.committee.epoch, view: core.view, seq, sender: core.self, batch, requests, size: prePrepareSize(requests, core.k), digest: 0, auth: EMPTY_AUTH } as PrePrepareMsg,
      Code.PrePrepare, core.view, seq, batch,
    );
    this.acceptPrePrepare(ctx, seq, core.view, batch, requests);
    core.multicast(ctx, pp);
  }

  onPrePrepare(ctx: NodeContext<PbftMessage>, m: PrePrepareMsg, from: NodeId): void {
    const core = this.parts.core;
    if (core.index < 0) return;
    if (!isInt(m.view) || !isInt(m.seq) || !isHex64(m.batch) || !Array.isArray(m.requests) || m.epoch !== core.committee.epoch) return reject(ctx, 'malformed');
    if (m.view > core.view || (m.view === core.view && core.changing)) return this.defer(from, m);
    if (m.view < core.view) return reject(ctx, 'stale');
    if (m.sender !== core.primaryOf(m.view) || m.sender === core.self) return reject(ctx, 'not-primary');
    if (!core.authentic(ctx, Code.PrePrepare, m.epoch, m.view, m.seq, m.sender, m.batch, m.auth)) return reject(ctx, 'mac');
    if (!this.inWindow(m.seq)) return reject(ctx, 'watermark');
    const s = this.slot(m.seq);
    if (s.ppView === m.view) {
      if (s.ppBatch !== m.batch) reject(ctx, 'equivocation');
      return; // duplicate or a conflicting pre-prepare for (v, n): keep the first
    }
    if (m.requests.length > core.options.batchSize) return reject(ctx, 'batch-size');
    if (batchDigest(m.requests) !== m.batch) return reject(ctx, 'digest');
    const requests = this.parts.requests;
    for (const r of m.requests) if (!requests.requestAuthentic(ctx, r)) return; // counted inside
    this.acceptPrePrepare(ctx, m.seq, m.view, m.batch, m.requests);
    requests.noteProposed(m.requests);
    this.parts.views.armViewChangeTimer(ctx);
    this.sendVote(ctx, 'prepare', m.view, m.seq, m.batch);
  }

  /** Records an accepted pre-prepare (also for O proposals after a new-view). */
  acceptPrePrepare(ctx: NodeContext<PbftMessage>, seq: number, view: number, batch: string, requests: RequestMsg[]): void {
    const s = this.slot(seq);
    s.ppView = view;
    s.ppBatch = batch;
    s.requests = requests;
    s.prepared = false;
    if (view > s.qView || (view === s.qView && batch !== s.qBatch)) {
      s.qView = view;
      s.qBatch = batch;
    }
    this.checkProgress(ctx, s);
  }

  sendVote(ctx: NodeContext<PbftMessage>, type: 'prepare' | 'commit', view: number, seq: number, batch: string): void {
    const core = this.parts.core;
    const code = type === 'prepare' ? Code.Prepare : Code.Commit;
    const v = core.withAuth(ctx, { type, epoch: core.committee.epoch, view, seq, sender: core.self, batch, size: voteSize(core.k), digest: 0, auth: EMPTY_AUTH } as VoteMsg, code, view, seq, batch);
    this.recordVote(ctx, type, view, seq, batch, core.index);
    core.multicast(ctx, v);
  }

  onVote(ctx: NodeContext<PbftMessage>, m: VoteMsg, from: NodeId): void {
    const core = this.parts.core;
    if (core.index < 0) return;
    if (!isInt(m.view) || !isInt(m.seq) || !isHex64(m.batch) || m.epoch !== core.committee.epoch) return reject(ctx, 'malformed');
    if (m.view > core.view || (m.view === core.view && core.changing)) return this.defer(from, m);
    if (m.view < core.view) return reject(ctx, 'stale');
    const idx = core.memberIndex(m.sender);
    if (idx < 0 || m.sender === core.self) return reject(ctx, 'not-member');
    if (m.type === 'prepare' && m.sender === core.primaryOf(m.view)) return reject(ctx, 'not-backup');
    if (!core.authentic(ctx, m.type === 'prepare' ? Code.Prepare : Code.Commit, m.epoch, m.view, m.seq, m.sender, m.batch, m.auth)) return reject(ctx, 'mac');
    if (!this.inWindow(m.seq)) return reject(ctx, 'watermark');
    this.recordVote(ctx, m.type, m.view, m.seq, m.batch, idx);
  }

  private recordVote(ctx: NodeContext<PbftMessage>, type: 'prepare' | 'commit', view: number, seq: number, batch: string, idx: number): void {
    const s = this.slot(seq);
    if (s.tallyView !== view) {
      s.tallyView = view;
      s.prepares = new VoteTally();
      s.commits = new VoteTally();
      s.prepared = false;
    }
    const tally = type === 'prepare' ? s.prepares : s.commits;
    if (tally.add(batch, idx, this.parts.core.k) === 0) return;
    if (tally.digests > 1 && type === 'prepare') ctx.metrics.counter('pbft.conflicting-votes').inc();
    this.checkProgress(ctx, s);
  }

  /** prepared(m, v, n) and committed-local(m, v, n) predicates (TOCS'02 §4.2). */
  checkProgress(ctx: NodeContext<PbftMessage>, s: Slot): void {
    const core = this.parts.core;
    if (s.ppView !== core.view || core.changing) return;
    if (s.tallyView !== core.view) {
      s.tallyView = core.view;
      s.prepares = new VoteTally();
      s.commits = new VoteTally();
    }
    if (!s.prepared && s.prepares.count(s.ppBatch) >= this.prepareQuorum()) {
      s.prepared = true;
      s.pView = core.view;
      s.pBatch = s.ppBatch;
      s.pRequests = s.requests;
      this.sendVote(ctx, 'commit', core.view, s.seq, s.ppBatch);
      return; // sendVote re-entered checkProgress with our own commit
    }
    if (s.prepared && !s.committed && s.commits.count(s.ppBatch) >= this.commitQuorum()) this.markCommitted(ctx, s);
  }

  /** The slot's batch is committed (committed-local): execute what is ready. */
  protected markCommitted(ctx: NodeContext<PbftMessage>, s: Slot): void {
    s.committed = true;
    this.executeReady(ctx);
  }

  /**
   * Withdraws the commit of every slot from `seq` on. Honest replicas never do; it is the
   * extension point of tentative execution (TOCS'02 §5.1.2), whose aborts undo executions.
   */
  protected uncommitFrom(seq: number): void {
    for (const [n, slot] of this.slots) if (n >= seq) slot.committed = false;
  }

  /** Executes committed batches in sequence order (TOCS'02 §4.2). */
  executeReady(ctx: NodeContext<PbftMessage>): void {
    const { core, exec } = this.parts;
    let progressed = false;
    for (;;) {
      const s = this.slots.get(exec.lastExec + 1);
      if (!s || !s.committed || !s.requests) break;
      exec.execute(ctx, s.seq, s.ppView, s.ppBatch, s.requests, 'commit');
      progressed = true;
      if (core.index < 0) break; // left the committee at a reconfiguration
    }
    if (progressed) {
      this.parts.views.resetViewChangeTimer(ctx);
      if (core.isPrimary()) this.parts.requests.maybePropose(ctx);
    }
  }

  /** A stable checkpoint at `seq`: the log up to it is garbage (TOCS'02 §4.3). */
  collect(seq: number): void {
    for (const n of [...this.slots.keys()]) if (n <= seq) this.slots.delete(n);
  }

  /** A new epoch starts after `at`: an empty log. */
  resetForEpoch(at: number): void {
    this.next = at + 1;
    this.slots.clear();
    this.future = [];
  }
}
