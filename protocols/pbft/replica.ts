/**
 * An honest PBFT replica — Castro & Liskov, "Practical Byzantine Fault Tolerance" (OSDI'99) and
 * "Practical Byzantine Fault Tolerance and Proactive Recovery" (ACM TOCS 20(4), 2002).
 *
 * - Normal case (TOCS'02 §4.2): the primary of view v assigns sequence number n to a batch of
 *   client requests and multicasts PRE-PREPARE(v, n, d); a backup accepts it if it is in view v,
 *   h < n ≤ h + L (watermarks), the authenticator and every request in the batch are authentic,
 *   and it accepted no other pre-prepare for (v, n); it multicasts PREPARE(v, n, d). A replica
 *   is *prepared* for (m, v, n) with the pre-prepare and 2f matching prepares from distinct
 *   backups; it multicasts COMMIT(v, n, d) and is *committed-local* with 2f + 1 matching commits.
 *   Requests execute in sequence order; each replica replies to the client (batched per client
 *   and block), the client accepts f + 1 matching replies (client.ts).
 * - Batching (TOCS'02 §5.1.4): the primary proposes when `batchSize` requests wait or after
 *   `batchTimeoutUs`.
 * - Checkpoints and garbage collection (§4.3): every K executed sequence numbers a replica
 *   multicasts CHECKPOINT(n, state digest); 2f + 1 matching ones make it stable: the low
 *   watermark h moves to n and log entries ≤ n are discarded. A replica that falls behind a
 *   stable checkpoint fetches the missing blocks (state transfer, §5.3.2 simplified) and checks
 *   them against the certified state digest (a hash chain over executed batches).
 * - View changes (§4.4, with the decision procedure of §4.5.2): a backup with a pending request
 *   starts a timer; on expiry it multicasts a *signed* VIEW-CHANGE(v + 1, h, C, P, Q). The new
 *   primary collects 2f + 1, picks the checkpoint (2f + 1 with h ≤ n, f + 1 vouching for (n, d))
 *   and, for each n above it, the batch satisfying A1 (2f + 1 messages whose prepared
 *   certificates do not contradict it), A2 (f + 1 pre-prepared it in a view ≥ v) and A3 (its
 *   contents are known), or the null request when 2f + 1 messages prepared nothing at n (B).
 *   NEW-VIEW carries the view-changes; every backup verifies the signatures and recomputes O.
 *   Timeouts double for consecutive failed view changes; a replica joins a view change when it
 *   sees f + 1 view-changes for higher views (liveness, §4.4 / §4.5.3).
 *
 * Extension points for deliberately broken variants (mutants.ts) are the protected methods
 * `prepareQuorum`, `commitQuorum` and `certificatesForViewChange`; adversaries wrap the honest
 * replica (adversaries/) — no Byzantine `if`s here.
 *
 * Quorums: the paper's 2f + 1 assumes k = 3f + 1. Committees of any size k are supported with
 * Q = ⌈(k + f + 1)/2⌉ wherever the paper says 2f + 1 (and Q − 1 prepares where it says 2f), so
 * that any two quorums share a correct replica; for k = 3f + 1 the numbers are the paper's.
 */
import type { Message, Micros, NodeContext, NodeId, ProtocolNode, TimerHandle } from '../../sim/types.ts';
import { checkTag, type KeyRing, makeAuthenticator, makeTag } from './auth.ts';
import {
  batchDigest,
  type BlockRecord,
  type BlocksMsg,
  blocksSize,
  type CertEntry,
  chainDigest,
  checkpointSize,
  type CheckpointMsg,
  Code,
  type EpochCert,
  epochCertSize,
  type EpochShareMsg,
  epochShareSize,
  epochStatement,
  type FetchMsg,
  fillHeader,
  GENESIS_STATE,
  type JoinMsg,
  newHeader,
  type NewViewMsg,
  newViewSize,
  newViewText,
  NULL_BATCH,
  type Operation,
  type PbftMessage,
  type PreparedEntry,
  type PrePrepareMsg,
  prePrepareSize,
  type ReplyMsg,
  replySize,
  requestDigest,
  requestDigestOf,
  requestKeyOf,
  type RequestMsg,
  type StatusMsg,
  traceDigest,
  type ViewChangeMsg,
  viewChangeSize,
  viewChangeText,
  voteSize,
  type VoteMsg,
} from './messages.ts';
import { sha256Hex } from './auth.ts';

/** An ordered committee: `members[(v − startView) mod k]` is the primary of view v. */
export interface Committee {
  /** Member node ids, in primary (rank) order. */
  readonly members: readonly NodeId[];
  /** Epoch number; 0 for the genesis committee, +1 per reconfiguration. */
  readonly epoch: number;
  /** First view of this epoch (0 for the genesis committee). */
  readonly startView: number;
}

/** CPU time charged to the node's virtual clock per cryptographic operation (all µs; 0 = free). */
export interface CpuCosts {
  /** Per MAC tag computed or checked, µs. */
  macUs: number;
  /** Per Ed25519 signature produced, µs. */
  signUs: number;
  /** Per Ed25519 signature verified, µs: charged to each verifying replica, once per valid signature it checks. */
  verifyUs: number;
}

export interface PbftOptions {
  /** Most requests per pre-prepare (batch); ≥ 1. */
  batchSize: number;
  /** Longest time the primary waits to fill a batch, µs. */
  batchTimeoutUs: Micros;
  /** K: sequence numbers between checkpoints; ≥ 1. */
  checkpointInterval: number;
  /** L: sequence numbers accepted above the low watermark h (h < n ≤ h + L); a multiple of K, ≥ K. */
  watermarkWindow: number;
  /** T: view-change timer for a pending request, µs; doubles per consecutive failed view change. */
  viewChangeTimeoutUs: Micros;
  /** State-transfer retry timer, µs. */
  fetchTimeoutUs: Micros;
  cpu: CpuCosts;
}

export const DEFAULT_PBFT_OPTIONS: PbftOptions = {
  batchSize: 10,
  batchTimeoutUs: 2_000,
  checkpointInterval: 16,
  watermarkWindow: 64,
  viewChangeTimeoutUs: 500_000,
  fetchTimeoutUs: 200_000,
  cpu: { macUs: 0, signUs: 0, verifyUs: 0 },
};

/** One executed block, as handed to `hooks.onExecute`. */
export interface ExecutedBlock {
  seq: number;
  view: number;
  epoch: number;
  batch: string;
  requests: readonly RequestMsg[];
  /** State digest after this block. */
  state: string;
}

/** Application hooks (DPoS composes through these). */
export interface ReplicaHooks {
  /**
   * Application-level validity of an operation, checked once per request and replica before it
   * is pre-prepared or accepted into a batch; default: accept. `ctx` is the replica's context,
   * so a check can charge its CPU time (`ctx.charge`) to the virtual clock.
   */
  validateOp?(op: Operation, ctx: NodeContext<PbftMessage>): boolean;
  /**
   * Whether a committed `reconfigure` is authorised (e.g. matches the election); default:
   * accept. `committee` is the committee *of the block* (the epoch sequence number `seq` belongs
   * to, as the log dictates — also while a joining replica replays an old log), so a hook that
   * is a deterministic function of the log gives every replica the same answer.
   */
  authorizeReconfigure?(op: Extract<Operation, { kind: 'reconfigure' }>, committee: Committee, seq: number): boolean;
  /** After each executed block, in sequence order (also blocks replayed from a state transfer or a join). */
  onExecute?(block: ExecutedBlock, ctx: NodeContext<PbftMessage>): void;
  /**
   * When this replica enters a new epoch (after executing `atSeq`): once per switch, as a member
   * or as a standby. A replica that jumps several epochs at once (a join after sitting some out)
   * is told only the epoch it lands in.
   */
  onReconfigured?(committee: Committee, atSeq: number, ctx: NodeContext<PbftMessage>): void;
}

interface Tally {
  batch: string;
  bits: Uint8Array;
  count: number;
}

/** Log entry for one sequence number (TOCS'02 §4.2 "message log"). */
export class Slot {
  /** View of the accepted pre-prepare, or −1. */
  ppView = -1;
  ppBatch = '';
  requests: RequestMsg[] | null = null;
  /** View the vote tallies belong to. */
  tallyView = -1;
  prepares: Tally[] = [];
  commits: Tally[] = [];
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

type TimerTag = { type: 'pbft-batch' } | { type: 'pbft-vc'; view: number } | { type: 'pbft-fetch'; attempt: number };

const isInt = (x: unknown): x is number => Number.isSafeInteger(x);
const isHex64 = (x: unknown): x is string => typeof x === 'string' && x.length === 64;

/** Counts a rejected message in metrics (`pbft.rejected.<reason>`). */
function reject(ctx: NodeContext<PbftMessage>, reason: string): void {
  ctx.metrics.counter(`pbft.rejected.${reason}`).inc();
}

export class PbftReplica implements ProtocolNode<PbftMessage> {
  // ---- configuration
  protected committee: Committee;
  protected k = 0;
  protected f = 0;
  /** My index in `committee.members`, or −1 (standby). */
  protected index = -1;
  // ---- normal-case state
  protected view = 0;
  protected changing = false;
  protected h = 0;
  protected lastExec = 0;
  protected nextSeq = 1;
  protected readonly chains: string[] = [GENESIS_STATE];
  protected readonly ledger: BlockRecord[] = [];
  protected readonly slots = new Map<number, Slot>();
  protected readonly checkpointVotes = new Map<number, Tally[]>();
  /** Requests known and not yet executed, by `client:timestamp`. */
  protected readonly pending = new Map<string, RequestMsg>();
  /** Primary: requests waiting for a batch, in arrival order. */
  protected queue: RequestMsg[] = [];
  protected readonly queued = new Set<string>();
  /** Executed requests (client, timestamp) → result: at-most-once execution and reply cache. */
  protected readonly results = new ResultLog();
  // ---- view change state
  protected readonly viewChanges = new Map<number, Map<NodeId, ViewChangeMsg>>();
  protected lastNewView: NewViewMsg | null = null;
  protected vcAttempts = 0;
  protected future: { from: NodeId; msg: PbftMessage }[] = [];
  // ---- state transfer / reconfiguration
  protected target: { seq: number; state: string; sources: NodeId[] } | null = null;
  protected reconfig: { members: NodeId[]; at: number } | null = null;
  /** Committees this replica knows to be genuine (its own log, or certificates), by epoch. */
  protected readonly history = new Map<number, Committee>();
  /** Certificates of committee changes (epoch → certificate), for the joins this replica sends. */
  protected readonly certs = new Map<number, EpochCert>();
  /** Signature shares collected per statement, towards a certificate. */
  private readonly shares = new Map<string, { cert: Omit<EpochCert, 'shares'>; byNode: Map<NodeId, string> }>();
  /** Messages of epochs this replica has not entered yet (replayed when it does); bounded. */
  private epochBuffer: { from: NodeId; msg: PbftMessage; epoch: number }[] = [];
  /** True while a join's ledger is replayed: committee changes in it are history, not switches. */
  private replaying = false;
  // ---- timers
  private batchTimer: TimerHandle | undefined;
  private vcTimer: TimerHandle | undefined;
  private fetchTimer: TimerHandle | undefined;
  private readonly hdr = newHeader();

  constructor(
    /** This replica's identity (its node id; twins share one identity on two nodes). */
    readonly self: NodeId,
    committee: Committee,
    protected readonly keys: KeyRing,
    protected readonly options: PbftOptions,
    protected readonly hooks: ReplicaHooks = {},
  ) {
    if (options.watermarkWindow < options.checkpointInterval || options.watermarkWindow % options.checkpointInterval !== 0) {
      throw new RangeError('PbftReplica: watermarkWindow must be a positive multiple of checkpointInterval');
    }
    if (options.batchSize < 1) throw new RangeError('PbftReplica: batchSize must be ≥ 1');
    this.committee = committee;
    this.setCommittee(committee);
    this.view = committee.startView;
    this.history.set(committee.epoch, committee);
  }

  // ---- quorum rules (overridden only by mutants) -------------------------------------------

  /**
   * Quorum size Q = ⌈(k + f + 1)/2⌉. Castro & Liskov assume k = 3f + 1, where Q = 2f + 1. For
   * other committee sizes (DPoS elects k = 21, 31, 101, …) 2f + 1 is too small: two quorums
   * must intersect in at least f + 1 replicas, so that they share a correct one
   * (2Q − k ≥ f + 1), while Q ≤ k − f keeps the protocol live with f silent replicas.
   */
  protected quorum(): number {
    return Math.ceil((this.k + this.f + 1) / 2);
  }
  /** Matching prepares from distinct backups needed to be prepared: Q − 1 (2f when k = 3f + 1). */
  protected prepareQuorum(): number {
    return this.quorum() - 1;
  }
  /** Matching commits needed to be committed-local: Q (2f + 1 when k = 3f + 1). */
  protected commitQuorum(): number {
    return this.quorum();
  }
  /** The P and Q sets sent in a view-change (TOCS'02 §4.4). */
  protected certificatesForViewChange(): { prepared: PreparedEntry[]; prePrepared: CertEntry[] } {
    const prepared: PreparedEntry[] = [];
    const prePrepared: CertEntry[] = [];
    for (const seq of [...this.slots.keys()].sort((a, b) => a - b)) {
      const s = this.slots.get(seq)!;
      if (seq <= this.h) continue;
      if (s.pView >= 0) prepared.push({ seq, view: s.pView, batch: s.pBatch, requests: s.pRequests ?? [] });
      if (s.qView >= 0) prePrepared.push({ seq, view: s.qView, batch: s.qBatch });
    }
    return { prepared, prePrepared };
  }

  // ---- accessors (tests, checkers, summaries) -----------------------------------------------

  get currentView(): number {
    return this.view;
  }
  get isChangingView(): boolean {
    return this.changing;
  }
  get lastExecuted(): number {
    return this.lastExec;
  }
  get lowWatermark(): number {
    return this.h;
  }
  get logSize(): number {
    return this.slots.size;
  }
  get currentCommittee(): Committee {
    return this.committee;
  }
  get faultsTolerated(): number {
    return this.f;
  }
  /** State digest after sequence number `seq` (if executed). */
  stateAt(seq: number): string | undefined {
    return this.chains[seq];
  }
  /** Executed blocks (sequence numbers 1 … lastExecuted). */
  get blocks(): readonly BlockRecord[] {
    return this.ledger;
  }

  primaryOf(view: number): NodeId {
    const m = this.committee.members;
    return m[(((view - this.committee.startView) % m.length) + m.length) % m.length];
  }

  protected isPrimary(): boolean {
    return this.index >= 0 && this.primaryOf(this.view) === this.self;
  }

  private setCommittee(c: Committee): void {
    this.committee = c;
    this.k = c.members.length;
    this.f = Math.floor((this.k - 1) / 3);
    this.index = c.members.indexOf(this.self);
    // A dense table for the ids a simulation uses; a committee naming absurd ids (a Byzantine
    // client's reconfigure the hook let through) falls back to a scan instead of a huge table.
    const max = Math.max(...c.members);
    const idx = new Int32Array(max <= 1_048_576 ? max + 1 : 0).fill(-1);
    for (let i = 0; i < c.members.length && idx.length > 0; i++) idx[c.members[i]] = i;
    this.memberIndices = idx;
  }

  /** Member id → index in `committee.members`, −1 for others (O(1) per message, not a scan). */
  private memberIndices = new Int32Array(0);

  protected memberIndex(id: unknown): number {
    if (typeof id !== 'number' || (id | 0) !== id || id < 0) return -1;
    if (this.memberIndices.length === 0) return this.committee.members.indexOf(id);
    return id < this.memberIndices.length ? this.memberIndices[id] : -1;
  }

  // ---- ProtocolNode ------------------------------------------------------------------------

  onStart(ctx: NodeContext<PbftMessage>): void {
    ctx.emit({ kind: 'pbft.view', view: this.view, epoch: this.committee.epoch });
  }

  onCrash(): void {
    // Timers die with the process (the kernel voids them); the log and ledger are on disk.
    this.batchTimer = this.vcTimer = this.fetchTimer = undefined;
  }

  onRecover(ctx: NodeContext<PbftMessage>): void {
    if (this.index < 0) return;
    // Tell the others where we are; they answer with the new-view and checkpoints we missed (or,
    // if they moved on to a later epoch, a join).
    this.sendStatus(ctx);
    this.armViewChangeTimer(ctx);
    if (this.isPrimary() && !this.changing) this.maybePropose(ctx);
    if (this.target) this.fetch(ctx, 0);
  }

  onTimer(ctx: NodeContext<PbftMessage>, tag: unknown): void {
    const t = tag as TimerTag;
    switch (t.type) {
      case 'pbft-batch':
        this.batchTimer = undefined;
        this.maybePropose(ctx, true);
        break;
      case 'pbft-vc':
        this.vcTimer = undefined;
        if (this.index < 0) return;
        this.startViewChange(ctx, this.view + 1);
        break;
      case 'pbft-fetch':
        this.fetchTimer = undefined;
        if (this.target && this.target.seq > this.lastExec) this.fetch(ctx, t.attempt + 1);
        break;
    }
  }

  onMessage(ctx: NodeContext<PbftMessage>, _from: NodeId, msg: PbftMessage): void {
    if (msg === null || typeof msg !== 'object') return reject(ctx, 'malformed');
    const epoch = (msg as { epoch?: unknown }).epoch;
    if (typeof epoch === 'number' && epoch !== this.committee.epoch && EPOCH_BOUND.has(msg.type)) {
      if (epoch > this.committee.epoch) {
        // Traffic of an epoch we are about to enter (our activation or join is late): keep it.
        if (this.epochBuffer.length < 64 * Math.max(this.k, 1) + 1024) this.epochBuffer.push({ from: _from, msg, epoch });
        return;
      }
      // From an epoch we left: not an error (late traffic of the previous committee).
      if (msg.type === 'status') return this.onOldStatus(ctx, msg as StatusMsg);
      ctx.metrics.counter('pbft.stale').inc();
      return;
    }
    switch (msg.type) {
      case 'request':
        return this.onRequest(ctx, msg, _from);
      case 'pre-prepare':
        return this.onPrePrepare(ctx, msg, _from);
      case 'prepare':
      case 'commit':
        return this.onVote(ctx, msg, _from);
      case 'checkpoint':
        return this.onCheckpoint(ctx, msg);
      case 'view-change':
        return this.onViewChange(ctx, msg);
      case 'new-view':
        return this.onNewView(ctx, msg);
      case 'fetch':
        return this.onFetch(ctx, msg);
      case 'blocks':
        return this.onBlocks(ctx, msg);
      case 'status':
        return this.onStatus(ctx, msg);
      case 'join':
        return this.onJoin(ctx, msg);
      case 'epoch-share':
        return this.onEpochShare(ctx, msg);
      case 'reply':
        return; // replies are for clients
      default:
        return reject(ctx, 'malformed');
    }
  }

  // ---- sending helpers ---------------------------------------------------------------------

  /** Sends to every other member of the committee. */
  protected multicast(ctx: NodeContext<PbftMessage>, msg: PbftMessage): void {
    const m = this.committee.members;
    for (let i = 0; i < m.length; i++) if (m[i] !== this.self) ctx.send(m[i], msg);
  }

  /** Fills in the authenticator (one tag per member) and trace digest of a normal-case message. */
  protected withAuth<T extends PbftMessage & { auth: Int32Array }>(ctx: NodeContext<PbftMessage>, msg: T, code: Code, view: number, seq: number, digest: string): T {
    fillHeader(this.hdr, code, msg.epoch, view, seq, this.self, digest);
    (msg as { auth: Int32Array }).auth = makeAuthenticator(this.keys, this.self, this.committee.members, this.hdr);
    (msg as { digest: number }).digest = traceDigest(digest, code * 65_536 + this.self, view, seq);
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs * this.k);
    return msg;
  }

  /** Checks my entry of a member-to-members authenticator. */
  protected authentic(ctx: NodeContext<PbftMessage>, code: Code, epoch: number, view: number, seq: number, sender: NodeId, digest: string, auth: unknown): boolean {
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs);
    if (!fillHeader(this.hdr, code, epoch, view, seq, sender, digest)) return false;
    return checkTag(this.keys, sender, this.self, this.hdr, auth, this.index);
  }

  /** Checks a point-to-point tag (fetch, blocks, join). */
  protected authenticPoint(ctx: NodeContext<PbftMessage>, code: Code, epoch: number, view: number, seq: number, sender: NodeId, digest: string, auth: unknown): boolean {
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs);
    if (!fillHeader(this.hdr, code, epoch, view, seq, sender, digest)) return false;
    return checkTag(this.keys, sender, this.self, this.hdr, auth, 0);
  }

  protected pointTag(ctx: NodeContext<PbftMessage>, to: NodeId, code: Code, epoch: number, view: number, seq: number, digest: string): Int32Array {
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs);
    fillHeader(this.hdr, code, epoch, view, seq, this.self, digest);
    return makeTag(this.keys, this.self, to, this.hdr);
  }

  // ---- requests ----------------------------------------------------------------------------

  /** Checks a client request: well-formed, digest matches the operation, my authenticator entry valid. */
  protected requestAuthentic(ctx: NodeContext<PbftMessage>, r: RequestMsg): boolean {
    // Only requests that passed these checks enter `pending` (this epoch's): the same object again is authentic.
    if (r !== null && typeof r === 'object' && this.pending.get(requestKeyOf(r)) === r) return true;
    if (r === null || typeof r !== 'object' || r.type !== 'request' || !isInt(r.client) || !isInt(r.timestamp) || !validOp(r.op) || !isHex64(r.opDigest)) {
      reject(ctx, 'malformed');
      return false;
    }
    if (r.epoch !== this.committee.epoch) {
      reject(ctx, 'epoch');
      return false;
    }
    if (requestDigestOf(r) !== r.opDigest) {
      reject(ctx, 'digest');
      return false;
    }
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs);
    fillHeader(this.hdr, Code.Request, r.epoch, 0, r.timestamp, r.client, r.opDigest);
    if (!checkTag(this.keys, r.client, this.self, this.hdr, r.auth, this.index)) {
      reject(ctx, 'mac');
      return false;
    }
    if (this.hooks.validateOp && !this.hooks.validateOp(r.op, ctx)) {
      reject(ctx, 'invalid-op');
      return false;
    }
    return true;
  }

  protected onRequest(ctx: NodeContext<PbftMessage>, r: RequestMsg, from: NodeId): void {
    if (this.index < 0) return;
    if (!this.requestAuthentic(ctx, r)) return;
    const key = requestKeyOf(r);
    const done = this.results.get(r.client, r.timestamp);
    if (done !== undefined) {
      // Executed already: a client retransmission gets the cached reply again (TOCS'02 §4.2);
      // the same request from anybody else is a replay.
      if (from === r.client) this.sendReply(ctx, r.client, [{ timestamp: r.timestamp, result: done }], this.lastExec);
      else reject(ctx, 'replay');
      return;
    }
    if (!this.pending.has(key)) this.pending.set(key, r);
    if (this.changing) return;
    if (this.isPrimary()) {
      if (!this.queued.has(key)) {
        this.queued.add(key);
        this.queue.push(r);
      }
      this.maybePropose(ctx);
    } else {
      // A backup relays a client's request to the primary and watches it (TOCS'02 §4.4).
      if (from === r.client) ctx.send(this.primaryOf(this.view), r);
      this.armViewChangeTimer(ctx);
    }
  }

  protected armViewChangeTimer(ctx: NodeContext<PbftMessage>): void {
    if (this.vcTimer || this.index < 0) return;
    if (this.changing || this.pending.size > 0 || (this.reconfig !== null && this.lastExec < this.reconfig.at)) {
      const t = this.options.viewChangeTimeoutUs * 2 ** Math.min(this.vcAttempts, 16);
      this.vcTimer = ctx.setTimer(t, { type: 'pbft-vc', view: this.view });
    }
  }

  private resetViewChangeTimer(ctx: NodeContext<PbftMessage>): void {
    if (this.vcTimer) ctx.cancelTimer(this.vcTimer);
    this.vcTimer = undefined;
    this.armViewChangeTimer(ctx);
  }

  /** Highest sequence number the primary may assign now. */
  protected proposalLimit(): number {
    let limit = this.h + this.options.watermarkWindow;
    if (this.reconfig) limit = Math.min(limit, this.reconfig.at);
    return limit;
  }

  /** Primary: propose a batch if enough requests wait (or `force` after the batch timeout). */
  protected maybePropose(ctx: NodeContext<PbftMessage>, force = false): void {
    if (!this.isPrimary() || this.changing) return;
    while (this.queue.length > 0 && this.nextSeq <= this.proposalLimit()) {
      if (this.queue.length < this.options.batchSize && !force) {
        if (!this.batchTimer) this.batchTimer = ctx.setTimer(this.options.batchTimeoutUs, { type: 'pbft-batch' });
        return;
      }
      const batch: RequestMsg[] = [];
      let i = 0;
      for (; i < this.queue.length && batch.length < this.options.batchSize; i++) {
        const r = this.queue[i];
        const key = requestKeyOf(r);
        this.queued.delete(key);
        if (!this.results.has(r.client, r.timestamp) && this.pending.has(key)) batch.push(r);
      }
      this.queue = this.queue.slice(i);
      if (batch.length === 0) continue;
      this.propose(ctx, this.nextSeq++, Object.freeze(batch) as RequestMsg[]);
      force = false;
    }
    // A pending reconfiguration activates at a checkpoint boundary: without client traffic the
    // primary fills the remaining sequence numbers with null batches (after the batch timeout).
    if (this.queue.length === 0 && this.reconfig && this.nextSeq <= this.reconfig.at && this.nextSeq <= this.proposalLimit()) {
      if (!force) {
        if (!this.batchTimer) this.batchTimer = ctx.setTimer(this.options.batchTimeoutUs, { type: 'pbft-batch' });
        return;
      }
      while (this.nextSeq <= this.reconfig.at && this.nextSeq <= this.proposalLimit()) this.propose(ctx, this.nextSeq++, NO_REQUESTS);
    }
    if (this.batchTimer && this.queue.length === 0) {
      ctx.cancelTimer(this.batchTimer);
      this.batchTimer = undefined;
    }
  }

  /** Primary: multicast a pre-prepare for `seq` (TOCS'02 §4.2). */
  protected propose(ctx: NodeContext<PbftMessage>, seq: number, requests: RequestMsg[]): void {
    const batch = batchDigest(requests);
    const pp = this.withAuth(
      ctx,
      { type: 'pre-prepare', epoch: this.committee.epoch, view: this.view, seq, sender: this.self, batch, requests, size: prePrepareSize(requests, this.k), digest: 0, auth: EMPTY } as PrePrepareMsg,
      Code.PrePrepare, this.view, seq, batch,
    );
    this.acceptPrePrepare(ctx, seq, this.view, batch, requests);
    this.multicast(ctx, pp);
  }

  // ---- normal case -------------------------------------------------------------------------

  protected slot(seq: number): Slot {
    let s = this.slots.get(seq);
    if (!s) this.slots.set(seq, (s = new Slot(seq)));
    return s;
  }

  private inWindow(seq: number): boolean {
    return seq > this.h && seq <= this.h + this.options.watermarkWindow && (!this.reconfig || seq <= this.reconfig.at);
  }

  /** Buffers a message of a future view (replayed when we enter it); bounded. */
  private defer(from: NodeId, msg: PbftMessage): void {
    if (this.future.length < 64 * this.k + 1024) this.future.push({ from, msg });
  }

  protected onPrePrepare(ctx: NodeContext<PbftMessage>, m: PrePrepareMsg, from: NodeId): void {
    if (this.index < 0) return;
    if (!isInt(m.view) || !isInt(m.seq) || !isHex64(m.batch) || !Array.isArray(m.requests) || m.epoch !== this.committee.epoch) return reject(ctx, 'malformed');
    if (m.view > this.view || (m.view === this.view && this.changing)) return this.defer(from, m);
    if (m.view < this.view) return reject(ctx, 'stale');
    if (m.sender !== this.primaryOf(m.view) || m.sender === this.self) return reject(ctx, 'not-primary');
    if (!this.authentic(ctx, Code.PrePrepare, m.epoch, m.view, m.seq, m.sender, m.batch, m.auth)) return reject(ctx, 'mac');
    if (!this.inWindow(m.seq)) return reject(ctx, 'watermark');
    const s = this.slot(m.seq);
    if (s.ppView === m.view) {
      if (s.ppBatch !== m.batch) reject(ctx, 'equivocation');
      return; // duplicate or a conflicting pre-prepare for (v, n): keep the first
    }
    if (m.requests.length > this.options.batchSize) return reject(ctx, 'batch-size');
    if (batchDigest(m.requests) !== m.batch) return reject(ctx, 'digest');
    for (const r of m.requests) if (!this.requestAuthentic(ctx, r)) return; // counted inside
    this.acceptPrePrepare(ctx, m.seq, m.view, m.batch, m.requests);
    for (const r of m.requests) {
      const key = requestKeyOf(r);
      if (!this.pending.has(key) && !this.results.has(r.client, r.timestamp)) this.pending.set(key, r);
    }
    this.armViewChangeTimer(ctx);
    this.sendVote(ctx, 'prepare', m.view, m.seq, m.batch);
  }

  /** Records an accepted pre-prepare (also for O proposals after a new-view). */
  protected acceptPrePrepare(ctx: NodeContext<PbftMessage>, seq: number, view: number, batch: string, requests: RequestMsg[]): void {
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

  protected sendVote(ctx: NodeContext<PbftMessage>, type: 'prepare' | 'commit', view: number, seq: number, batch: string): void {
    const code = type === 'prepare' ? Code.Prepare : Code.Commit;
    const v = this.withAuth(ctx, { type, epoch: this.committee.epoch, view, seq, sender: this.self, batch, size: voteSize(this.k), digest: 0, auth: EMPTY } as VoteMsg, code, view, seq, batch);
    this.recordVote(ctx, type, view, seq, batch, this.index);
    this.multicast(ctx, v);
  }

  protected onVote(ctx: NodeContext<PbftMessage>, m: VoteMsg, from: NodeId): void {
    if (this.index < 0) return;
    if (!isInt(m.view) || !isInt(m.seq) || !isHex64(m.batch) || m.epoch !== this.committee.epoch) return reject(ctx, 'malformed');
    if (m.view > this.view || (m.view === this.view && this.changing)) return this.defer(from, m);
    if (m.view < this.view) return reject(ctx, 'stale');
    const idx = this.memberIndex(m.sender);
    if (idx < 0 || m.sender === this.self) return reject(ctx, 'not-member');
    if (m.type === 'prepare' && m.sender === this.primaryOf(m.view)) return reject(ctx, 'not-backup');
    if (!this.authentic(ctx, m.type === 'prepare' ? Code.Prepare : Code.Commit, m.epoch, m.view, m.seq, m.sender, m.batch, m.auth)) return reject(ctx, 'mac');
    if (!this.inWindow(m.seq)) return reject(ctx, 'watermark');
    this.recordVote(ctx, m.type, m.view, m.seq, m.batch, idx);
  }

  private recordVote(ctx: NodeContext<PbftMessage>, type: 'prepare' | 'commit', view: number, seq: number, batch: string, idx: number): void {
    const s = this.slot(seq);
    if (s.tallyView !== view) {
      s.tallyView = view;
      s.prepares = [];
      s.commits = [];
      s.prepared = false;
    }
    const list = type === 'prepare' ? s.prepares : s.commits;
    let t: Tally | undefined;
    for (const x of list) if (x.batch === batch) t = x;
    if (!t) list.push((t = { batch, bits: new Uint8Array(this.k), count: 0 }));
    if (t.bits[idx]) return;
    t.bits[idx] = 1;
    t.count++;
    if (list.length > 1 && type === 'prepare') ctx.metrics.counter('pbft.conflicting-votes').inc();
    this.checkProgress(ctx, s);
  }

  private tallyOf(list: Tally[], batch: string): number {
    for (const t of list) if (t.batch === batch) return t.count;
    return 0;
  }

  /** prepared(m, v, n) and committed-local(m, v, n) predicates (TOCS'02 §4.2). */
  protected checkProgress(ctx: NodeContext<PbftMessage>, s: Slot): void {
    if (s.ppView !== this.view || this.changing) return;
    if (s.tallyView !== this.view) {
      s.tallyView = this.view;
      s.prepares = [];
      s.commits = [];
    }
    if (!s.prepared && this.tallyOf(s.prepares, s.ppBatch) >= this.prepareQuorum()) {
      s.prepared = true;
      s.pView = this.view;
      s.pBatch = s.ppBatch;
      s.pRequests = s.requests;
      this.sendVote(ctx, 'commit', this.view, s.seq, s.ppBatch);
      return; // sendVote re-entered checkProgress with our own commit
    }
    if (s.prepared && !s.committed && this.tallyOf(s.commits, s.ppBatch) >= this.commitQuorum()) {
      s.committed = true;
      this.executeReady(ctx);
    }
  }

  /** Executes committed batches in sequence order (TOCS'02 §4.2). */
  protected executeReady(ctx: NodeContext<PbftMessage>): void {
    let progressed = false;
    for (;;) {
      const s = this.slots.get(this.lastExec + 1);
      if (!s || !s.committed || !s.requests) break;
      this.execute(ctx, s.seq, s.ppView, s.ppBatch, s.requests, 'commit');
      progressed = true;
      if (this.index < 0) break; // left the committee at a reconfiguration
    }
    if (progressed) {
      this.resetViewChangeTimer(ctx);
      if (this.isPrimary()) this.maybePropose(ctx);
    }
  }

  /**
   * Applies one batch: replies, ledger, chain, checkpoint, reconfiguration. While a join's ledger
   * is replayed (`replaying`) only the state advances: no replies, checkpoints or joins, and a
   * committee change in the log is recorded as history instead of switching this replica.
   */
  protected execute(ctx: NodeContext<PbftMessage>, seq: number, view: number, batch: string, requests: readonly RequestMsg[], via: 'commit' | 'transfer'): void {
    const plan = deepFrozen(requests) ? executionPlan(requests, seq) : undefined;
    let ran: number[] | undefined; // indices executed, only when some request was executed before
    let reconfigure: Extract<Operation, { kind: 'reconfigure' }> | undefined;
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i];
      this.pending.delete(requestKeyOf(r));
      if (this.results.has(r.client, r.timestamp)) {
        ran ??= Array.from({ length: i }, (_, j) => j); // executed before: at most once
        continue;
      }
      this.results.set(r.client, r.timestamp, plan ? plan.results[i] : `${seq}.${i}`);
      ran?.push(i);
      if (r.op.kind === 'reconfigure' && !reconfigure) reconfigure = r.op;
    }
    const executed = ran?.map((i) => requestKeyOf(requests[i])); // undefined: all of them
    const state = chainDigest(this.chains[seq - 1], seq, batch);
    this.chains[seq] = state;
    this.ledger[seq - 1] = { seq, batch, requests: requests as RequestMsg[] };
    this.lastExec = seq;
    const obs = commitLists(requests);
    ctx.emit({
      kind: 'pbft.commit', seq, view, epoch: this.committee.epoch, batch, batchRequests: requests, requests: obs.keys, opDigests: obs.opDigests, clients: obs.clients, timestamps: obs.timestamps,
      executed: executed ?? obs.keys, executedIndex: ran ?? null, via,
    });
    if (!this.replaying) {
      if (plan && !ran) for (const g of plan.replies) this.sendReply(ctx, g.client, g.entries, seq, g.body);
      else {
        const byClient = new Map<NodeId, { timestamp: number; result: string }[]>();
        for (const i of ran ?? requests.keys()) {
          const r = requests[i];
          let list = byClient.get(r.client);
          if (!list) byClient.set(r.client, (list = []));
          list.push({ timestamp: r.timestamp, result: this.results.get(r.client, r.timestamp)! });
        }
        for (const client of [...byClient.keys()].sort((a, b) => a - b)) this.sendReply(ctx, client, byClient.get(client)!, seq);
      }
    }
    this.hooks.onExecute?.({ seq, view, epoch: this.committee.epoch, batch, requests, state }, ctx);
    // Committees of nodes that exist only (a node count every replica shares), then the hook.
    if (reconfigure && !this.reconfig && validMembers(reconfigure.members) && reconfigure.members.every((m) => m < ctx.nodeCount) && (this.hooks.authorizeReconfigure?.(reconfigure, this.committee, seq) ?? true)) {
      const K = this.options.checkpointInterval;
      this.reconfig = { members: [...reconfigure.members], at: (Math.floor(seq / K) + 1) * K };
    }
    if (seq % this.options.checkpointInterval === 0 && this.index >= 0 && !this.replaying) this.sendCheckpoint(ctx, seq, state);
    if (this.reconfig && seq === this.reconfig.at) this.activateCommittee(ctx);
  }

  /** One reply message per client and block, MAC'd for the client (TOCS'02 §4.2, batched). */
  protected sendReply(ctx: NodeContext<PbftMessage>, client: NodeId, entries: { timestamp: number; result: string }[], seq: number, body = replyBody(client, entries)): void {
    const rep: ReplyMsg = {
      type: 'reply', epoch: this.committee.epoch, view: this.view, sender: this.self, client, entries, body, size: replySize(entries.length),
      digest: traceDigest(body, this.self, this.view, seq), auth: this.pointTag(ctx, client, Code.Reply, this.committee.epoch, this.view, 0, body),
    };
    ctx.send(client, rep);
  }

  // ---- checkpoints and garbage collection (TOCS'02 §4.3) ---------------------------------

  private sendCheckpoint(ctx: NodeContext<PbftMessage>, seq: number, state: string): void {
    const c = this.withAuth(ctx, { type: 'checkpoint', epoch: this.committee.epoch, seq, sender: this.self, state, size: checkpointSize(this.k), digest: 0, auth: EMPTY } as CheckpointMsg, Code.Checkpoint, 0, seq, state);
    this.recordCheckpoint(ctx, seq, state, this.index);
    this.multicast(ctx, c);
  }

  protected onCheckpoint(ctx: NodeContext<PbftMessage>, m: CheckpointMsg): void {
    if (this.index < 0) return;
    if (!isInt(m.seq) || m.seq <= 0 || !isHex64(m.state) || m.epoch !== this.committee.epoch) return reject(ctx, 'malformed');
    const idx = this.memberIndex(m.sender);
    if (idx < 0 || m.sender === this.self) return reject(ctx, 'not-member');
    if (!this.authentic(ctx, Code.Checkpoint, m.epoch, 0, m.seq, m.sender, m.state, m.auth)) return reject(ctx, 'mac');
    if (m.seq <= this.h) return;
    this.recordCheckpoint(ctx, m.seq, m.state, idx);
  }

  private recordCheckpoint(ctx: NodeContext<PbftMessage>, seq: number, state: string, idx: number): void {
    let list = this.checkpointVotes.get(seq);
    if (!list) this.checkpointVotes.set(seq, (list = []));
    let t: Tally | undefined;
    for (const x of list) if (x.batch === state) t = x;
    if (!t) list.push((t = { batch: state, bits: new Uint8Array(this.k), count: 0 }));
    if (t.bits[idx]) return;
    t.bits[idx] = 1;
    t.count++;
    if (t.count >= this.quorum() && seq > this.h) {
      const sources: NodeId[] = [];
      for (let i = 0; i < this.k; i++) if (t.bits[i] && this.committee.members[i] !== this.self) sources.push(this.committee.members[i]);
      this.checkpointStable(ctx, seq, state, sources);
    }
  }

  /** A checkpoint is certified (2f + 1 matching, or f + 1 in a new-view): collect garbage or catch up. */
  protected checkpointStable(ctx: NodeContext<PbftMessage>, seq: number, state: string, sources: NodeId[]): void {
    if (seq <= this.h) return;
    if (this.lastExec >= seq) {
      if (this.chains[seq] !== state) {
        ctx.metrics.counter('pbft.checkpoint-mismatch').inc();
        return;
      }
      this.collectGarbage(ctx, seq);
    } else if (!this.target || this.target.seq < seq) {
      this.target = { seq, state, sources };
      this.fetch(ctx, 0);
    }
  }

  protected collectGarbage(ctx: NodeContext<PbftMessage>, seq: number): void {
    this.h = seq;
    for (const n of [...this.slots.keys()]) if (n <= seq) this.slots.delete(n);
    for (const n of [...this.checkpointVotes.keys()]) if (n < seq) this.checkpointVotes.delete(n);
    ctx.metrics.counter('pbft.checkpoints.stable').inc();
    if (this.isPrimary()) {
      if (this.nextSeq <= seq) this.nextSeq = seq + 1;
      this.maybePropose(ctx);
    }
  }

  // ---- state transfer ----------------------------------------------------------------------

  private fetch(ctx: NodeContext<PbftMessage>, attempt: number): void {
    const t = this.target;
    if (!t || t.sources.length === 0) return;
    const to = t.sources[attempt % t.sources.length];
    const body = sha256Hex(`fetch|${this.lastExec + 1}|${t.seq}`);
    const msg: FetchMsg = {
      type: 'fetch', epoch: this.committee.epoch, sender: this.self, fromSeq: this.lastExec + 1, toSeq: t.seq, size: 48 + 20,
      digest: traceDigest(body, this.self, this.lastExec, t.seq), auth: this.pointTag(ctx, to, Code.Fetch, this.committee.epoch, this.lastExec + 1, t.seq, NULL_BATCH),
    };
    ctx.send(to, msg);
    if (this.fetchTimer) ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = ctx.setTimer(this.options.fetchTimeoutUs, { type: 'pbft-fetch', attempt });
  }

  protected onFetch(ctx: NodeContext<PbftMessage>, m: FetchMsg): void {
    if (!isInt(m.fromSeq) || !isInt(m.toSeq) || m.fromSeq < 1 || m.toSeq < m.fromSeq || !isInt(m.sender)) return reject(ctx, 'malformed');
    if (!this.authenticPoint(ctx, Code.Fetch, m.epoch, m.fromSeq, m.toSeq, m.sender, NULL_BATCH, m.auth)) return reject(ctx, 'mac');
    if (this.lastExec < m.toSeq) return;
    const blocks = this.ledger.slice(m.fromSeq - 1, m.toSeq);
    const body = sha256Hex(`blocks|${m.fromSeq}|${m.toSeq}|${blocks.map((b) => b.batch).join(',')}`);
    const reply: BlocksMsg = {
      type: 'blocks', epoch: m.epoch, sender: this.self, blocks, body, size: blocksSize(blocks), digest: traceDigest(body, this.self, m.fromSeq, m.toSeq),
      auth: this.pointTag(ctx, m.sender, Code.Blocks, m.epoch, m.fromSeq, m.toSeq, body),
    };
    ctx.send(m.sender, reply);
  }

  protected onBlocks(ctx: NodeContext<PbftMessage>, m: BlocksMsg): void {
    const t = this.target;
    if (!Array.isArray(m.blocks) || m.blocks.length === 0 || !isHex64(m.body)) return reject(ctx, 'malformed');
    const first = m.blocks[0]?.seq;
    const lastSeq = m.blocks[m.blocks.length - 1]?.seq;
    if (!isInt(first) || !isInt(lastSeq)) return reject(ctx, 'malformed');
    if (!this.authenticPoint(ctx, Code.Blocks, m.epoch, first, lastSeq, m.sender, m.body, m.auth)) return reject(ctx, 'mac');
    if (!t || lastSeq !== t.seq || first > this.lastExec + 1) return; // not what we need (any more)
    // Check the chain against the certified state digest before executing anything.
    let state = this.chains[first - 1];
    if (state === undefined) return;
    for (let i = 0; i < m.blocks.length; i++) {
      const b = m.blocks[i];
      if (!b || b.seq !== first + i || !Array.isArray(b.requests) || batchDigest(b.requests) !== b.batch) return reject(ctx, 'transfer');
      for (const r of b.requests) if (!r || r.type !== 'request' || !validOp(r.op) || requestDigest(r.client, r.timestamp, r.op) !== r.opDigest) return reject(ctx, 'transfer');
      state = chainDigest(state, b.seq, b.batch);
    }
    if (state !== t.state) return reject(ctx, 'transfer');
    for (const b of m.blocks) {
      if (b.seq <= this.lastExec) continue;
      this.execute(ctx, b.seq, this.view, b.batch, b.requests, 'transfer');
      if (this.index < 0) return;
    }
    ctx.metrics.counter('pbft.state-transfers').inc();
    this.target = null;
    if (this.fetchTimer) ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = undefined;
    this.collectGarbage(ctx, t.seq);
    this.executeReady(ctx);
    this.resetViewChangeTimer(ctx);
  }

  protected onStatus(ctx: NodeContext<PbftMessage>, m: StatusMsg): void {
    if (this.index < 0 || !isInt(m.view) || !isInt(m.seq) || m.epoch !== this.committee.epoch) return reject(ctx, 'malformed');
    const idx = this.memberIndex(m.sender);
    if (idx < 0 || m.sender === this.self) return reject(ctx, 'not-member');
    if (!this.authentic(ctx, Code.Status, m.epoch, m.view, m.seq, m.sender, NULL_BATCH, m.auth)) return reject(ctx, 'mac');
    if (this.lastNewView && this.lastNewView.newView > m.view) ctx.send(m.sender, this.lastNewView);
    if (this.h > m.seq && this.chains[this.h]) {
      const c = this.withAuth(ctx, { type: 'checkpoint', epoch: this.committee.epoch, seq: this.h, sender: this.self, state: this.chains[this.h], size: checkpointSize(this.k), digest: 0, auth: EMPTY } as CheckpointMsg, Code.Checkpoint, 0, this.h, this.chains[this.h]);
      ctx.send(m.sender, c);
    }
  }

  // ---- view changes (TOCS'02 §4.4, §4.5.2) -------------------------------------------------

  protected startViewChange(ctx: NodeContext<PbftMessage>, newView: number): void {
    if (newView <= this.view && this.changing) return;
    if (newView <= this.view && !this.changing) return;
    ctx.metrics.counter('pbft.view-changes').inc();
    this.vcAttempts = this.changing ? this.vcAttempts + 1 : 0;
    this.view = newView;
    this.changing = true;
    if (this.batchTimer) ctx.cancelTimer(this.batchTimer);
    this.batchTimer = undefined;
    const { prepared, prePrepared } = this.certificatesForViewChange();
    // C: the stable checkpoint and our own later checkpoints.
    const K = this.options.checkpointInterval;
    const checkpoints: { seq: number; state: string }[] = [{ seq: this.h, state: this.chains[this.h] }];
    for (let n = (Math.floor(this.h / K) + 1) * K; n <= this.lastExec; n += K) checkpoints.push({ seq: n, state: this.chains[n] });
    const base = { epoch: this.committee.epoch, newView, sender: this.self, stable: this.h, checkpoints, prepared, prePrepared };
    const body = sha256Hex(viewChangeText(base));
    if (this.options.cpu.signUs > 0) ctx.charge(this.options.cpu.signUs);
    const vc: ViewChangeMsg = { type: 'view-change', ...base, body, signature: this.keys.sign(this.self, body), size: viewChangeSize(base), digest: traceDigest(body, this.self, newView, this.h) };
    this.storeViewChange(ctx, vc);
    this.multicast(ctx, vc);
    if (this.vcTimer) ctx.cancelTimer(this.vcTimer);
    this.vcTimer = undefined;
    this.armViewChangeTimer(ctx);
    this.tryNewView(ctx);
  }

  /** Signature and shape check of a view-change (also for those inside a new-view). */
  protected validViewChange(ctx: NodeContext<PbftMessage>, m: ViewChangeMsg): boolean {
    if (
      !m || m.type !== 'view-change' || !isInt(m.newView) || !isInt(m.stable) || m.epoch !== this.committee.epoch || this.memberIndex(m.sender) < 0 ||
      !Array.isArray(m.checkpoints) || !Array.isArray(m.prepared) || !Array.isArray(m.prePrepared) || !isHex64(m.body)
    ) {
      reject(ctx, 'malformed');
      return false;
    }
    for (const c of m.checkpoints) if (!c || !isInt(c.seq) || !isHex64(c.state)) return reject(ctx, 'malformed'), false;
    for (const p of m.prepared) if (!p || !isInt(p.seq) || !isInt(p.view) || !isHex64(p.batch) || !Array.isArray(p.requests)) return reject(ctx, 'malformed'), false;
    for (const q of m.prePrepared) if (!q || !isInt(q.seq) || !isInt(q.view) || !isHex64(q.batch)) return reject(ctx, 'malformed'), false;
    if (sha256Hex(viewChangeText(m)) !== m.body) {
      reject(ctx, 'digest');
      return false;
    }
    if (!this.keys.verifyBy(ctx, this.options.cpu.verifyUs, m.sender, m.body, m.signature)) {
      reject(ctx, 'signature');
      return false;
    }
    return true;
  }

  protected onViewChange(ctx: NodeContext<PbftMessage>, m: ViewChangeMsg): void {
    if (this.index < 0) return;
    if (!this.validViewChange(ctx, m)) return;
    if (m.newView < this.view || (m.newView === this.view && !this.changing)) {
      // A late view-change for a view we are already in: help a lagging replica with the new-view.
      if (this.lastNewView && this.lastNewView.newView >= m.newView && m.sender !== this.self) ctx.send(m.sender, this.lastNewView);
      return;
    }
    this.storeViewChange(ctx, m);
    // Liveness (§4.5.3): f + 1 view-changes for views above ours ⇒ join the smallest of them.
    const above = new Map<NodeId, number>();
    for (const [v, byNode] of this.viewChanges) {
      if (v <= this.view) continue;
      for (const sender of byNode.keys()) if (!above.has(sender) || above.get(sender)! > v) above.set(sender, v);
    }
    if (above.size >= this.f + 1) {
      const smallest = Math.min(...above.values());
      this.startViewChange(ctx, smallest);
      return;
    }
    this.tryNewView(ctx);
  }

  private storeViewChange(_ctx: NodeContext<PbftMessage>, m: ViewChangeMsg): void {
    let byNode = this.viewChanges.get(m.newView);
    if (!byNode) this.viewChanges.set(m.newView, (byNode = new Map()));
    if (!byNode.has(m.sender)) byNode.set(m.sender, m);
  }

  /** New primary: with enough view-changes, compute and multicast NEW-VIEW. */
  protected tryNewView(ctx: NodeContext<PbftMessage>): void {
    if (!this.changing || this.primaryOf(this.view) !== this.self) return;
    const byNode = this.viewChanges.get(this.view);
    if (!byNode || byNode.size < this.quorum() || !byNode.has(this.self)) return;
    const vcs = [...byNode.values()].sort((a, b) => a.sender - b.sender);
    const decision = this.decideNewView(vcs);
    if (!decision) return;
    const base = { epoch: this.committee.epoch, newView: this.view, sender: this.self, viewChanges: vcs, checkpoint: decision.checkpoint, proposals: decision.proposals };
    const body = sha256Hex(newViewText(base));
    if (this.options.cpu.signUs > 0) ctx.charge(this.options.cpu.signUs);
    const nv: NewViewMsg = { type: 'new-view', ...base, body, signature: this.keys.sign(this.self, body), size: newViewSize(base), digest: traceDigest(body, this.self, this.view, 0) };
    this.multicast(ctx, nv);
    this.enterView(ctx, nv);
  }

  /**
   * The new-view decision procedure (TOCS'02 §4.5.2): the checkpoint and the batch (or null) for
   * every sequence number above it, from a set of ≥ 2f + 1 view-changes; undefined when the set
   * does not decide yet.
   */
  protected decideNewView(vcs: readonly ViewChangeMsg[]): { checkpoint: { seq: number; state: string }; proposals: { seq: number; batch: string; requests: RequestMsg[] }[] } | undefined {
    const f = this.f;
    const q = this.quorum(); // 2f + 1 when k = 3f + 1
    // Checkpoint: highest (n, d) with 2f + 1 messages whose h ≤ n and f + 1 that hold (n, d).
    let checkpoint: { seq: number; state: string } | undefined;
    const claims = new Map<string, { seq: number; state: string; count: number }>();
    for (const m of vcs) {
      const seen = new Set<string>();
      for (const c of m.checkpoints) {
        const key = `${c.seq}:${c.state}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const e = claims.get(key) ?? { seq: c.seq, state: c.state, count: 0 };
        e.count++;
        claims.set(key, e);
      }
    }
    for (const c of [...claims.values()].sort((a, b) => b.seq - a.seq || (a.state < b.state ? -1 : 1))) {
      if (c.count < f + 1) continue;
      if (vcs.filter((m) => m.stable <= c.seq).length < q) continue;
      checkpoint = { seq: c.seq, state: c.state };
      break;
    }
    if (!checkpoint) return undefined;
    const low = checkpoint.seq;
    let maxSeq = low;
    for (const m of vcs) for (const p of m.prepared) if (p.seq > maxSeq && p.seq <= low + this.options.watermarkWindow) maxSeq = p.seq;
    const proposals: { seq: number; batch: string; requests: RequestMsg[] }[] = [];
    for (let n = low + 1; n <= maxSeq; n++) {
      const candidates: PreparedEntry[] = [];
      for (const m of vcs) for (const p of m.prepared) if (p.seq === n) candidates.push(p);
      candidates.sort((a, b) => b.view - a.view || (a.batch < b.batch ? -1 : a.batch > b.batch ? 1 : 0));
      let chosen: { batch: string; requests: RequestMsg[] } | undefined;
      for (const c of candidates) {
        // A1: 2f + 1 messages with h < n whose prepared entries for n do not contradict (c.batch, c.view).
        const a1 = vcs.filter((m) => m.stable < n && m.prepared.every((p) => p.seq !== n || p.view < c.view || (p.view === c.view && p.batch === c.batch))).length;
        if (a1 < q) continue;
        // A2: f + 1 messages that pre-prepared c.batch at n in a view ≥ c.view.
        const a2 = vcs.filter((m) => m.prePrepared.some((q) => q.seq === n && q.view >= c.view && q.batch === c.batch)).length;
        if (a2 < f + 1) continue;
        // A3: the batch itself is known (and matches its digest).
        const withBody = candidates.find((p) => p.batch === c.batch && p.requests.length <= this.options.batchSize && batchDigest(p.requests) === c.batch);
        if (!withBody) continue;
        chosen = { batch: c.batch, requests: withBody.requests };
        break;
      }
      if (!chosen) {
        // B: 2f + 1 messages with h < n that prepared nothing at n ⇒ the null request.
        const b = vcs.filter((m) => m.stable < n && !m.prepared.some((p) => p.seq === n)).length;
        if (b < q) return undefined;
        chosen = { batch: NULL_BATCH, requests: [] };
      }
      proposals.push({ seq: n, ...chosen });
    }
    return { checkpoint, proposals };
  }

  protected onNewView(ctx: NodeContext<PbftMessage>, m: NewViewMsg): void {
    if (this.index < 0) return;
    if (!m || !isInt(m.newView) || !Array.isArray(m.viewChanges) || !Array.isArray(m.proposals) || !m.checkpoint || !isHex64(m.body) || m.epoch !== this.committee.epoch) {
      return reject(ctx, 'malformed');
    }
    if (m.newView < this.view || (m.newView === this.view && !this.changing)) return; // old or already in it
    if (m.sender !== this.primaryOf(m.newView)) return reject(ctx, 'not-primary');
    if (sha256Hex(newViewText(m)) !== m.body) return reject(ctx, 'digest');
    if (!this.keys.verifyBy(ctx, this.options.cpu.verifyUs, m.sender, m.body, m.signature)) return reject(ctx, 'signature');
    // Every view-change must be valid, for this view, from distinct members; then recompute O.
    const senders = new Set<NodeId>();
    for (const vc of m.viewChanges) {
      if (!this.validViewChange(ctx, vc)) return;
      if (vc.newView !== m.newView || senders.has(vc.sender)) return reject(ctx, 'new-view');
      senders.add(vc.sender);
    }
    if (senders.size < this.quorum()) return reject(ctx, 'new-view');
    const sorted = [...m.viewChanges].sort((a, b) => a.sender - b.sender);
    const decision = this.decideNewView(sorted);
    if (!decision || decision.checkpoint.seq !== m.checkpoint.seq || decision.checkpoint.state !== m.checkpoint.state || decision.proposals.length !== m.proposals.length) {
      return reject(ctx, 'new-view');
    }
    for (let i = 0; i < decision.proposals.length; i++) {
      const a = decision.proposals[i];
      const b = m.proposals[i];
      if (!b || a.seq !== b.seq || a.batch !== b.batch) return reject(ctx, 'new-view');
    }
    this.enterView(ctx, { ...m, proposals: decision.proposals });
  }

  /** Installs a new view: checkpoint, the O pre-prepares, buffered messages (TOCS'02 §4.4). */
  protected enterView(ctx: NodeContext<PbftMessage>, nv: NewViewMsg): void {
    this.view = nv.newView;
    this.changing = false;
    this.vcAttempts = 0;
    this.lastNewView = nv;
    for (const v of [...this.viewChanges.keys()]) if (v <= this.view) this.viewChanges.delete(v);
    ctx.metrics.counter('pbft.new-views').inc();
    ctx.emit({ kind: 'pbft.view', view: this.view, epoch: this.committee.epoch });
    const ck = nv.checkpoint;
    if (ck.seq > this.h) {
      const sources = [...new Set(nv.viewChanges.filter((vc) => vc.checkpoints.some((c) => c.seq === ck.seq && c.state === ck.state)).map((vc) => vc.sender))].filter((s) => s !== this.self);
      this.checkpointStable(ctx, ck.seq, ck.state, sources);
    }
    let maxSeq = Math.max(ck.seq, this.h);
    const primary = this.primaryOf(this.view) === this.self;
    for (const p of nv.proposals) {
      maxSeq = Math.max(maxSeq, p.seq);
      if (p.seq <= this.h) continue;
      this.acceptPrePrepare(ctx, p.seq, this.view, p.batch, p.requests);
      if (!primary) this.sendVote(ctx, 'prepare', this.view, p.seq, p.batch);
    }
    this.nextSeq = Math.max(this.nextSeq, maxSeq + 1, this.lastExec + 1);
    if (this.vcTimer) ctx.cancelTimer(this.vcTimer);
    this.vcTimer = undefined;
    // Requests still pending go to the new primary's queue (backups relay them).
    this.queue = [];
    this.queued.clear();
    for (const [key, r] of this.pending) {
      if (primary) {
        this.queued.add(key);
        this.queue.push(r);
      } else ctx.send(this.primaryOf(this.view), r);
    }
    this.armViewChangeTimer(ctx);
    const buffered = this.future;
    this.future = [];
    for (const b of buffered) this.onMessage(ctx, b.from, b.msg);
    if (primary) this.maybePropose(ctx, true);
  }

  // ---- reconfiguration (docs/pbft.md "Reconfiguration") ---------------------------------------

  /** f of a committee. */
  private static faults(c: Committee): number {
    return Math.floor((c.members.length - 1) / 3);
  }

  /**
   * Executed the activation sequence number e of an authorised committee change. Live: as an
   * old member, sign the change and send the share to the continuing members and a join (ledger,
   * certificate chain, share) to each new member; then switch. While replaying a join's ledger:
   * only record the committee (history), the join switches once at its end.
   */
  private activateCommittee(ctx: NodeContext<PbftMessage>): void {
    const rc = this.reconfig!;
    const old = this.committee;
    const next: Committee = { members: Object.freeze([...rc.members]) as NodeId[], epoch: old.epoch + 1, startView: 0 };
    this.reconfig = null;
    this.history.set(next.epoch, next);
    if (this.replaying) {
      this.setCommittee(next);
      return;
    }
    if (this.index >= 0) {
      const state = this.chains[rc.at];
      const statement = epochStatement(next.epoch, next.members, rc.at, state);
      if (this.options.cpu.signUs > 0) ctx.charge(this.options.cpu.signUs);
      const signature = this.keys.sign(this.self, statement);
      this.addShare(ctx, { epoch: next.epoch, members: [...next.members], seq: rc.at, state }, statement, this.self, signature, old);
      const share: EpochShareMsg = {
        type: 'epoch-share', epoch: next.epoch, members: [...next.members], seq: rc.at, state, sender: this.self, signature,
        size: epochShareSize(next.members.length), digest: traceDigest(statement, this.self, next.epoch, rc.at),
      };
      for (const to of next.members) if (to !== this.self && old.members.includes(to)) ctx.send(to, share);
      for (const to of next.members) if (!old.members.includes(to)) ctx.send(to, this.joinFor(ctx, to, next, rc.at, signature));
    }
    this.switchCommittee(ctx, next, rc.at);
  }

  /** A join for `to`: the ledger up to `at`, every certificate this replica holds, and (optionally) its share. */
  private joinFor(ctx: NodeContext<PbftMessage>, to: NodeId, next: Committee, at: number, share: string): JoinMsg {
    const state = this.chains[at];
    const blocks = this.ledger.slice(0, at);
    const chain = [...this.certs.keys()].sort((x, y) => x - y).map((e) => this.certs.get(e)!).filter((c) => c.epoch <= next.epoch);
    let size = blocksSize(blocks) + 4 * next.members.length + 64;
    for (const c of chain) size += epochCertSize(c);
    return {
      type: 'join', epoch: next.epoch, view: 0, seq: at, sender: this.self, state, members: [...next.members], blocks, chain, share,
      size, digest: traceDigest(state, this.self, next.epoch, at),
      auth: this.pointTag(ctx, to, Code.Join, next.epoch, 0, at, joinDigest(state, next.members)),
    };
  }

  /** Enters `next` after executing `at` (live activation or an accepted join). */
  private switchCommittee(ctx: NodeContext<PbftMessage>, next: Committee, at: number): void {
    this.setCommittee(next);
    this.history.set(next.epoch, next);
    this.reconfig = null;
    this.view = next.startView;
    this.changing = false;
    this.vcAttempts = 0;
    this.h = at;
    this.nextSeq = at + 1;
    this.slots.clear();
    this.checkpointVotes.clear();
    this.viewChanges.clear();
    this.future = [];
    this.target = null;
    this.lastNewView = null;
    this.queue = [];
    this.queued.clear();
    this.pending.clear(); // requests were authenticated for the old committee; clients re-send
    if (this.vcTimer) ctx.cancelTimer(this.vcTimer);
    this.vcTimer = undefined;
    if (this.batchTimer) ctx.cancelTimer(this.batchTimer);
    this.batchTimer = undefined;
    ctx.emit({ kind: 'pbft.reconfigured', epoch: next.epoch, members: [...next.members], seq: at, member: this.index >= 0 });
    this.hooks.onReconfigured?.(next, at, ctx);
    // Traffic of this epoch that arrived early; drop what belongs to epochs we skipped.
    const buffered = this.epochBuffer;
    this.epochBuffer = [];
    for (const b of buffered) {
      if (b.epoch === next.epoch) this.onMessage(ctx, b.from, b.msg);
      else if (b.epoch > next.epoch) this.epochBuffer.push(b);
    }
  }

  /** Checks one signature share against the committee of `epoch − 1` and adds it; a certificate at f + 1. */
  private addShare(ctx: NodeContext<PbftMessage>, cert: Omit<EpochCert, 'shares'>, statement: string, signer: NodeId, signature: string, old: Committee): boolean {
    if (this.certs.has(cert.epoch)) return true;
    let entry = this.shares.get(statement);
    if (!entry) this.shares.set(statement, (entry = { cert, byNode: new Map() }));
    if (entry.byNode.has(signer)) return true;
    if (signer !== this.self) {
      if (!this.keys.verifyBy(ctx, this.options.cpu.verifyUs, signer, statement, signature)) return false;
    }
    entry.byNode.set(signer, signature);
    if (entry.byNode.size >= PbftReplica.faults(old) + 1) {
      const shares = [...entry.byNode].sort((x, y) => x[0] - y[0]).map(([s, sig]) => ({ signer: s, signature: sig }));
      this.certs.set(cert.epoch, { ...cert, shares });
      for (const [k, e] of this.shares) if (e.cert.epoch <= cert.epoch) this.shares.delete(k);
    }
    return true;
  }

  protected onEpochShare(ctx: NodeContext<PbftMessage>, m: EpochShareMsg): void {
    if (!isInt(m.epoch) || !isInt(m.seq) || !isHex64(m.state) || !validMembers(m.members) || typeof m.signature !== 'string') return reject(ctx, 'malformed');
    if (this.certs.has(m.epoch)) return;
    const old = this.history.get(m.epoch - 1);
    if (!old || !old.members.includes(m.sender)) return reject(ctx, 'not-member');
    const statement = epochStatement(m.epoch, m.members, m.seq, m.state);
    if (!this.addShare(ctx, { epoch: m.epoch, members: [...m.members], seq: m.seq, state: m.state }, statement, m.sender, m.signature, old)) reject(ctx, 'signature');
  }

  /**
   * Checks a certificate of epoch `c.epoch` against the committee of the epoch before (which
   * this replica must know): f + 1 valid signatures by distinct members.
   */
  private validCert(ctx: NodeContext<PbftMessage>, c: EpochCert): boolean {
    if (!c || !isInt(c.epoch) || !isInt(c.seq) || !isHex64(c.state) || !validMembers(c.members) || !Array.isArray(c.shares)) return false;
    const old = this.history.get(c.epoch - 1);
    if (!old) return false;
    const statement = epochStatement(c.epoch, c.members, c.seq, c.state);
    const signers = new Set<NodeId>();
    for (const s of c.shares) {
      if (!s || !old.members.includes(s.signer) || signers.has(s.signer) || typeof s.signature !== 'string') continue;
      if (this.keys.verifyBy(ctx, this.options.cpu.verifyUs, s.signer, statement, s.signature)) signers.add(s.signer);
    }
    return signers.size >= PbftReplica.faults(old) + 1;
  }

  /**
   * Learns committees from a certificate chain: each certificate for the epoch after the
   * latest one known, checked against the committee it follows — a chain of trust from a
   * committee this replica already knows (its log, or the genesis configuration).
   */
  private learnChain(ctx: NodeContext<PbftMessage>, chain: unknown): void {
    if (!Array.isArray(chain)) return;
    for (const c of chain as EpochCert[]) {
      if (!c || !isInt(c.epoch) || this.history.has(c.epoch) || !this.history.has(c.epoch - 1)) continue;
      if (!this.validCert(ctx, c)) {
        reject(ctx, 'certificate');
        return;
      }
      const committee: Committee = { members: Object.freeze([...c.members]) as NodeId[], epoch: c.epoch, startView: 0 };
      this.history.set(c.epoch, committee);
      this.certs.set(c.epoch, { epoch: c.epoch, members: [...c.members], seq: c.seq, state: c.state, shares: c.shares.map((x) => ({ signer: x.signer, signature: x.signature })) });
    }
  }

  /**
   * A join: an old member's word that after sequence number `seq` (state `state`) the committee
   * of `epoch` is `members`. Accepted from f_old + 1 matching joins of members of the committee
   * of `epoch − 1` (their shares then form the certificate), or from one join whose chain
   * certifies `epoch` itself. The committee of `epoch − 1` may itself come from the chain, so a
   * standby that sat out any number of epochs (or never was a member) can join. Then the ledger
   * is checked against `state`, replayed (committee changes in it are history) and the replica
   * switches once.
   */
  protected onJoin(ctx: NodeContext<PbftMessage>, m: JoinMsg): void {
    if (!isInt(m.epoch) || !isInt(m.seq) || !isInt(m.view) || !isHex64(m.state) || !validMembers(m.members) || !Array.isArray(m.blocks) || typeof m.share !== 'string') return reject(ctx, 'malformed');
    if (m.epoch <= this.committee.epoch) {
      ctx.metrics.counter('pbft.stale').inc(); // we are there already (e.g. joins of both f + 1 and more)
      return;
    }
    this.learnChain(ctx, m.chain);
    const old = this.history.get(m.epoch - 1);
    if (!old || !old.members.includes(m.sender)) return reject(ctx, 'not-member');
    const digest = joinDigest(m.state, m.members);
    if (!this.authenticPoint(ctx, Code.Join, m.epoch, m.view, m.seq, m.sender, digest, m.auth)) return reject(ctx, 'mac');
    const statement = epochStatement(m.epoch, m.members, m.seq, m.state);
    const known = this.certs.get(m.epoch);
    if (!known || epochStatement(known.epoch, known.members, known.seq, known.state) !== statement) {
      if (known) return reject(ctx, 'certificate'); // contradicts a certified change
      if (!this.addShare(ctx, { epoch: m.epoch, members: [...m.members], seq: m.seq, state: m.state }, statement, m.sender, m.share, old)) return reject(ctx, 'signature');
      if (!this.certs.has(m.epoch)) return; // waiting for f_old + 1
    }
    this.history.set(m.epoch, this.history.get(m.epoch) ?? { members: Object.freeze([...m.members]) as NodeId[], epoch: m.epoch, startView: 0 });
    // (A replica that is not in `members` — a member that missed the change that removed it —
    // replays and switches too, and becomes a standby of the epoch.)
    // Check the ledger against the certified state before executing anything: our own prefix,
    // then the blocks we lack (the hash chain binds them all).
    if (m.blocks.length !== m.seq || this.lastExec > m.seq) return reject(ctx, 'transfer');
    let state = this.chains[this.lastExec];
    for (let i = this.lastExec; i < m.blocks.length; i++) {
      const b = m.blocks[i];
      if (!b || b.seq !== i + 1 || !Array.isArray(b.requests) || b.requests.length > Math.max(this.options.batchSize, 1) * 4 + 64) return reject(ctx, 'transfer');
      for (const r of b.requests) if (!r || r.type !== 'request' || !validOp(r.op) || !isInt(r.client) || !isInt(r.timestamp) || requestDigestOf(r) !== r.opDigest) return reject(ctx, 'transfer');
      if (batchDigest(b.requests) !== b.batch) return reject(ctx, 'transfer');
      state = chainDigest(state, b.seq, b.batch);
    }
    if (state !== m.state) return reject(ctx, 'transfer');
    const from = this.lastExec;
    this.replaying = true;
    try {
      for (let i = from; i < m.blocks.length; i++) {
        const b = m.blocks[i];
        this.execute(ctx, b.seq, 0, b.batch, b.requests, 'transfer');
      }
    } finally {
      this.replaying = false;
    }
    // Our own replay derives the same committee from the log (the hook is a function of it).
    const derived = this.committee;
    if (derived.epoch !== m.epoch || derived.members.length !== m.members.length || derived.members.some((x, i) => x !== m.members[i])) {
      ctx.metrics.counter('pbft.reconfig-mismatch').inc();
    }
    this.shares.clear();
    this.switchCommittee(ctx, this.history.get(m.epoch)!, m.seq);
    if (this.index >= 0) this.sendStatus(ctx); // catch up with what the new committee did since
  }

  /** Tells the committee where we are (after a recovery or a join); they answer with what we missed. */
  private sendStatus(ctx: NodeContext<PbftMessage>): void {
    this.multicast(ctx, this.withAuth(ctx, { type: 'status', epoch: this.committee.epoch, view: this.view, seq: this.lastExec, sender: this.self, size: 40, digest: 0, auth: EMPTY }, Code.Status, this.view, this.lastExec, NULL_BATCH));
  }

  /**
   * A status from an epoch we have left: a member of that epoch's committee that missed the
   * change(s) since (a crash across the activation). As a member now, we send it a join whose
   * chain certifies our epoch; it replays the ledger and enters our epoch (as a member or, if it
   * was removed, as a standby).
   */
  private onOldStatus(ctx: NodeContext<PbftMessage>, m: StatusMsg): void {
    ctx.metrics.counter('pbft.stale').inc();
    if (this.index < 0 || !isInt(m.seq) || !isInt(m.view) || m.sender === this.self) return;
    const then = this.history.get(m.epoch);
    const cert = this.certs.get(this.committee.epoch);
    const myIndex = then ? then.members.indexOf(this.self) : -1;
    if (!then || !cert || myIndex < 0 || !then.members.includes(m.sender)) return;
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs);
    if (!fillHeader(this.hdr, Code.Status, m.epoch, m.view, m.seq, m.sender, NULL_BATCH) || !checkTag(this.keys, m.sender, this.self, this.hdr, m.auth, myIndex)) return reject(ctx, 'mac');
    ctx.metrics.counter('pbft.catch-up-joins').inc();
    ctx.send(m.sender, this.joinFor(ctx, m.sender, this.committee, cert.seq, ''));
  }

  /** Committees this replica knows (its log and certificates), for tests and summaries. */
  knownCommittee(epoch: number): Committee | undefined {
    return this.history.get(epoch);
  }
}

const EMPTY = new Int32Array(0);

/** The null batch's (frozen) request list. */
const NO_REQUESTS = Object.freeze([]) as unknown as RequestMsg[];

/** Message types that belong to one epoch's committee (others are handled whatever the epoch). */
const EPOCH_BOUND = new Set<string>(['request', 'pre-prepare', 'prepare', 'commit', 'checkpoint', 'view-change', 'new-view', 'status']);

/**
 * What executing a frozen batch at `seq` produces when none of its requests ran before — the
 * same for every replica: result strings, request keys, and one reply (entries and body) per
 * client in client order. Computed once per batch object and shared.
 */
interface ExecutionPlan {
  seq: number;
  keys: readonly string[];
  results: readonly string[];
  replies: readonly { client: NodeId; entries: { timestamp: number; result: string }[]; body: string }[];
}
const PLANS = new WeakMap<readonly RequestMsg[], ExecutionPlan>();

function executionPlan(requests: readonly RequestMsg[], seq: number): ExecutionPlan {
  let p = PLANS.get(requests);
  if (p && p.seq === seq) return p;
  const results = requests.map((_, i) => `${seq}.${i}`);
  const byClient = new Map<NodeId, { timestamp: number; result: string }[]>();
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i];
    let list = byClient.get(r.client);
    if (!list) byClient.set(r.client, (list = []));
    list.push(Object.freeze({ timestamp: r.timestamp, result: results[i] }));
  }
  // Frozen: every replica's reply to a client carries this same entries array.
  const replies = [...byClient.keys()].sort((a, b) => a - b).map((client) => {
    const entries = Object.freeze(byClient.get(client)!) as { timestamp: number; result: string }[];
    return { client, entries, body: replyBody(client, entries) };
  });
  p = { seq, keys: commitLists(requests).keys, results, replies };
  PLANS.set(requests, p);
  return p;
}

/**
 * Results of executed requests by (client, timestamp): at-most-once execution and the reply
 * cache (TOCS'02 §4.2 keeps the last reply per client; clients here keep many requests in
 * flight, so all are kept). Per client an array indexed by timestamp — clients number their
 * requests 1, 2, 3, … — so the per-request lookups of a block are array reads, not lookups in
 * one large hash table; other timestamps (negative, huge) go to a map.
 */
export class ResultLog {
  private readonly byClient = new Map<NodeId, (string | undefined)[]>();
  private readonly other = new Map<string, string>();
  get(client: NodeId, timestamp: number): string | undefined {
    if (timestamp >= 0 && timestamp < 1_073_741_824) return this.byClient.get(client)?.[timestamp];
    return this.other.get(`${client}:${timestamp}`);
  }
  has(client: NodeId, timestamp: number): boolean {
    return this.get(client, timestamp) !== undefined;
  }
  set(client: NodeId, timestamp: number, result: string): void {
    if (timestamp >= 0 && timestamp < 1_073_741_824) {
      let a = this.byClient.get(client);
      if (!a) this.byClient.set(client, (a = []));
      a[timestamp] = result;
    } else this.other.set(`${client}:${timestamp}`, result);
  }
  /** Drops one result (a rolled-back execution; only mutants roll back). */
  forget(client: NodeId, timestamp: number): void {
    if (timestamp >= 0 && timestamp < 1_073_741_824) {
      const a = this.byClient.get(client);
      if (a) a[timestamp] = undefined;
    } else this.other.delete(`${client}:${timestamp}`);
  }
  clear(): void {
    this.byClient.clear();
    this.other.clear();
  }
}

/**
 * The request keys and digests of a batch, as reported in `pbft.commit`: computed once per
 * frozen batch array and shared (frozen) by every replica's observation; other arrays each time.
 */
interface CommitLists {
  keys: readonly string[];
  opDigests: readonly string[];
  clients: readonly number[];
  timestamps: readonly number[];
}
const COMMIT_LISTS = new WeakMap<readonly RequestMsg[], CommitLists>();

/** True for a frozen array of frozen objects (contents can no longer change: safe to memoise on). */
function deepFrozen(a: readonly object[]): boolean {
  if (!Object.isFrozen(a)) return false;
  for (let i = 0; i < a.length; i++) if (!Object.isFrozen(a[i])) return false;
  return true;
}

function commitLists(requests: readonly RequestMsg[]): CommitLists {
  const frozen = deepFrozen(requests);
  let l = frozen ? COMMIT_LISTS.get(requests) : undefined;
  if (!l) {
    l = {
      keys: Object.freeze(requests.map(requestKeyOf)),
      opDigests: Object.freeze(requests.map((r) => r.opDigest)),
      clients: Object.freeze(requests.map((r) => r.client)),
      timestamps: Object.freeze(requests.map((r) => r.timestamp)),
    };
    if (frozen) COMMIT_LISTS.set(requests, l);
  }
  return l;
}

/**
 * Memo of reply digests (text → SHA-256): a pure function, and every replica sends each client
 * the same entries for a block, so the client and 99 of 100 replicas find it here. Cleared
 * wholesale when large.
 */
const REPLY_BODIES = new Map<string, string>();

/** Reply digests of frozen entry arrays (shared by all replicas' replies to a client, see executionPlan). */
const FROZEN_REPLY_BODIES = new WeakMap<object, { client: NodeId; body: string }>();

/** Digest a reply's tag covers. */
export function replyBody(client: NodeId, entries: readonly { timestamp: number; result: string }[]): string {
  let frozen = Object.isFrozen(entries);
  for (let i = 0; frozen && i < entries.length; i++) frozen = Object.isFrozen(entries[i]);
  if (frozen) {
    const m = FROZEN_REPLY_BODIES.get(entries);
    if (m && m.client === client) return m.body;
  }
  const body = replyBodyOfText(client, entries);
  if (frozen) FROZEN_REPLY_BODIES.set(entries, { client, body });
  return body;
}

function replyBodyOfText(client: NodeId, entries: readonly { timestamp: number; result: string }[]): string {
  let s = `reply|${client}`;
  for (const e of entries) s += `|${e.timestamp}=${e.result}`;
  let d = REPLY_BODIES.get(s);
  if (d === undefined) {
    if (REPLY_BODIES.size >= 20_000) REPLY_BODIES.clear();
    REPLY_BODIES.set(s, (d = sha256Hex(s)));
  }
  return d;
}

function joinDigest(state: string, members: readonly NodeId[]): string {
  return sha256Hex(`join|${state}|${members.join(',')}`);
}

function validMembers(members: unknown): members is NodeId[] {
  return Array.isArray(members) && members.length >= 1 && members.every(isInt) && new Set(members).size === members.length && members.every((x) => x >= 0);
}

function validOp(op: unknown): op is Operation {
  if (!op || typeof op !== 'object') return false;
  const o = op as Record<string, unknown>;
  if (o.kind === 'data') return isInt(o.bytes) && o.bytes >= 0 && typeof o.tag === 'string';
  if (o.kind === 'reconfigure') return validMembers(o.members);
  return false;
}

export type { Message };
