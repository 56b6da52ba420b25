/**
 * An honest PBFT replica — Castro & Liskov, "Practical Byzantine Fault Tolerance" (OSDI'99) and
 * "Practical Byzantine Fault Tolerance and Proactive Recovery" (ACM TOCS 20(4), 2002).
 *
 * The replica is split by concern, as the paper's sections are; each part owns its state and
 * reaches the others only through their methods (replica/parts.ts):
 *
 * - requests and batching (replica/requests.ts, TOCS'02 §4.2, §5.1.4);
 * - the normal case — pre-prepare, prepare, commit — and the message log (replica/normal-case.ts, §4.2);
 * - execution, replies and the executed ledger (replica/execution.ts, §4.2);
 * - checkpoints, garbage collection and state transfer (replica/checkpoints.ts, §4.3, §5.3.2);
 * - view changes, with the pure new-view decision `decideNewView` (replica/view-change.ts, §4.4, §4.5.2);
 * - reconfiguration, epoch certificates and joins (replica/reconfiguration.ts, docs/pbft.md);
 * - identity, committee, view, quorums and authenticated sending (replica/core.ts), the vote
 *   tally (replica/tally.ts) and the caches shared across replicas and runs (replica/memo.ts).
 *
 * This class is the node: it wires the parts, dispatches messages and timers to them, and keeps
 * the public API (accessors for tests, checkers and summaries; `ReplicaHooks` for DPoS and the
 * settlement protocol). Deliberately broken variants (mutants.ts) replace one part through the
 * `variant` argument; adversaries wrap the honest replica (adversaries/) — no Byzantine `if`s here.
 */
import type { Message, NodeContext, NodeId, ProtocolNode } from '../../sim/types.ts';
import type { KeyRing } from './auth.ts';
import type { BlockRecord, PbftMessage, StatusMsg } from './messages.ts';
import { Checkpoints } from './replica/checkpoints.ts';
import { ReplicaCore } from './replica/core.ts';
import { ExecutionLog } from './replica/execution.ts';
import { NormalCase } from './replica/normal-case.ts';
import type { ReplicaParts, ReplicaVariant } from './replica/parts.ts';
import { Reconfiguration } from './replica/reconfiguration.ts';
import { RequestBook } from './replica/requests.ts';
import { type Committee, type PbftOptions, type ReplicaHooks, reject, type TimerTag } from './replica/types.ts';
import { ViewChanges } from './replica/view-change.ts';

export { type Committee, type CpuCosts, DEFAULT_PBFT_OPTIONS, type ExecutedBlock, type PbftOptions, type ReplicaHooks } from './replica/types.ts';
export { ResultLog } from './replica/execution.ts';
export { replyBody } from './replica/memo.ts';
export { Slot } from './replica/normal-case.ts';
export { decideNewView } from './replica/view-change.ts';
export type { ReplicaParts, ReplicaVariant } from './replica/parts.ts';

/** Message types that belong to one epoch's committee (others are handled whatever the epoch). */
const EPOCH_BOUND = new Set<string>(['request', 'pre-prepare', 'prepare', 'commit', 'checkpoint', 'view-change', 'new-view', 'status']);

export class PbftReplica implements ProtocolNode<PbftMessage> {
  private readonly core: ReplicaCore;
  private readonly parts: ReplicaParts;

  constructor(
    /** This replica's identity (its node id; twins share one identity on two nodes). */
    readonly self: NodeId,
    committee: Committee,
    keys: KeyRing,
    options: PbftOptions,
    hooks: ReplicaHooks = {},
    /** Replacement parts (mutants.ts only); the honest ones by default. */
    variant: ReplicaVariant = {},
  ) {
    if (options.watermarkWindow < options.checkpointInterval || options.watermarkWindow % options.checkpointInterval !== 0) {
      throw new RangeError('PbftReplica: watermarkWindow must be a positive multiple of checkpointInterval');
    }
    if (options.batchSize < 1) throw new RangeError('PbftReplica: batchSize must be ≥ 1');
    this.core = new ReplicaCore(self, committee, keys, options, hooks);
    const parts = { core: this.core, deliver: (ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage) => this.onMessage(ctx, from, msg) } as {
      -readonly [K in keyof ReplicaParts]: ReplicaParts[K];
    };
    parts.requests = new (variant.requests ?? RequestBook)(parts);
    parts.normal = new (variant.normalCase ?? NormalCase)(parts);
    parts.exec = new (variant.execution ?? ExecutionLog)(parts);
    parts.checkpoints = new Checkpoints(parts);
    parts.views = new (variant.viewChanges ?? ViewChanges)(parts);
    parts.reconfig = new Reconfiguration(parts, committee);
    this.parts = parts;
  }

  // ---- accessors (tests, checkers, summaries) -----------------------------------------------

  get currentView(): number {
    return this.core.view;
  }
  get isChangingView(): boolean {
    return this.core.changing;
  }
  get lastExecuted(): number {
    return this.parts.exec.lastExec;
  }
  get lowWatermark(): number {
    return this.parts.checkpoints.h;
  }
  get logSize(): number {
    return this.parts.normal.slots.size;
  }
  get currentCommittee(): Committee {
    return this.core.committee;
  }
  get faultsTolerated(): number {
    return this.core.f;
  }
  /** State digest after sequence number `seq` (if executed). */
  stateAt(seq: number): string | undefined {
    return this.parts.exec.stateAt(seq);
  }
  /** Executed blocks (sequence numbers 1 … lastExecuted). */
  get blocks(): readonly BlockRecord[] {
    return this.parts.exec.ledger;
  }
  primaryOf(view: number): NodeId {
    return this.core.primaryOf(view);
  }
  /** Committees this replica knows (its log and certificates), for tests and summaries. */
  knownCommittee(epoch: number): Committee | undefined {
    return this.parts.reconfig.knownCommittee(epoch);
  }

  // ---- ProtocolNode ------------------------------------------------------------------------

  onStart(ctx: NodeContext<PbftMessage>): void {
    ctx.emit({ kind: 'pbft.view', view: this.core.view, epoch: this.core.committee.epoch });
  }

  onCrash(): void {
    // Timers die with the process (the kernel voids them); the log and ledger are on disk.
    this.parts.requests.onCrash();
    this.parts.views.onCrash();
    this.parts.checkpoints.onCrash();
  }

  onRecover(ctx: NodeContext<PbftMessage>): void {
    const { core, checkpoints } = this.parts;
    if (core.index < 0) return;
    // Tell the others where we are; they answer with the new-view and checkpoints we missed (or,
    // if they moved on to a later epoch, a join).
    checkpoints.sendStatus(ctx);
    this.parts.views.armViewChangeTimer(ctx);
    if (core.isPrimary() && !core.changing) this.parts.requests.maybePropose(ctx);
    if (checkpoints.target) checkpoints.fetch(ctx, 0);
  }

  onTimer(ctx: NodeContext<PbftMessage>, tag: unknown): void {
    const t = tag as TimerTag;
    switch (t.type) {
      case 'pbft-batch':
        return this.parts.requests.onBatchTimer(ctx);
      case 'pbft-vc':
        return this.parts.views.onTimer(ctx);
      case 'pbft-fetch':
        return this.parts.checkpoints.onFetchTimer(ctx, t.attempt);
    }
  }

  onMessage(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void {
    if (msg === null || typeof msg !== 'object') return reject(ctx, 'malformed');
    const p = this.parts;
    const epoch = (msg as { epoch?: unknown }).epoch;
    if (typeof epoch === 'number' && epoch !== this.core.committee.epoch && EPOCH_BOUND.has(msg.type)) {
      // Traffic of an epoch we are about to enter (our activation or join is late): keep it.
      if (epoch > this.core.committee.epoch) return p.reconfig.bufferFuture(from, msg, epoch);
      // From an epoch we left: not an error (late traffic of the previous committee).
      if (msg.type === 'status') return p.reconfig.onOldStatus(ctx, msg as StatusMsg);
      ctx.metrics.counter('pbft.stale').inc();
      return;
    }
    switch (msg.type) {
      case 'request':
        return p.requests.onRequest(ctx, msg, from);
      case 'pre-prepare':
        return p.normal.onPrePrepare(ctx, msg, from);
      case 'prepare':
      case 'commit':
        return p.normal.onVote(ctx, msg, from);
      case 'checkpoint':
        return p.checkpoints.onCheckpoint(ctx, msg);
      case 'view-change':
        return p.views.onViewChange(ctx, msg);
      case 'new-view':
        return p.views.onNewView(ctx, msg);
      case 'fetch':
        return p.checkpoints.onFetch(ctx, msg);
      case 'blocks':
        return p.checkpoints.onBlocks(ctx, msg);
      case 'status':
        return p.checkpoints.onStatus(ctx, msg);
      case 'join':
        return p.reconfig.onJoin(ctx, msg);
      case 'epoch-share':
        return p.reconfig.onEpochShare(ctx, msg);
      case 'reply':
        return; // replies are for clients
      default:
        return reject(ctx, 'malformed');
    }
  }
}

export type { Message };
