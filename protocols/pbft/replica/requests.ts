/**
 * Client requests and batching (TOCS'02 §4.2, §5.1.4): which requests are authentic, which wait
 * to be ordered, and when the primary proposes a batch — when `batchSize` requests wait or after
 * `batchTimeoutUs`. Backups relay a client's request to the primary and watch it (the view-change
 * timer, §4.4).
 */
import type { NodeContext, NodeId, TimerHandle } from '../../../sim/types.ts';
import { checkTag } from '../auth.ts';
import { Code, fillHeader, type PbftMessage, requestDigestOf, requestKeyOf, type RequestMsg } from '../messages.ts';
import type { ReplicaParts } from './parts.ts';
import { isHex64, isInt, NO_REQUESTS, reject, validOp } from './types.ts';

export class RequestBook {
  /** Requests known and not yet executed, by `client:timestamp` (others read it; only this part changes it). */
  readonly pending = new Map<string, RequestMsg>();
  /** Primary: requests waiting for a batch, in arrival order. */
  private queue: RequestMsg[] = [];
  private readonly queued = new Set<string>();
  private batchTimer: TimerHandle | undefined;

  constructor(protected readonly parts: ReplicaParts) {}

  /** Checks a client request: well-formed, digest matches the operation, my authenticator entry valid. */
  requestAuthentic(ctx: NodeContext<PbftMessage>, r: RequestMsg): boolean {
    // Only requests that passed these checks enter `pending` (this epoch's): the same object again is authentic.
    if (r !== null && typeof r === 'object' && this.pending.get(requestKeyOf(r)) === r) return true;
    const core = this.parts.core;
    if (r === null || typeof r !== 'object' || r.type !== 'request' || !isInt(r.client) || !isInt(r.timestamp) || !validOp(r.op) || !isHex64(r.opDigest)) {
      reject(ctx, 'malformed');
      return false;
    }
    if (r.epoch !== core.committee.epoch) {
      reject(ctx, 'epoch');
      return false;
    }
    if (requestDigestOf(r) !== r.opDigest) {
      reject(ctx, 'digest');
      return false;
    }
    if (core.options.cpu.macUs > 0) ctx.charge(core.options.cpu.macUs);
    fillHeader(core.hdr, Code.Request, r.epoch, 0, r.timestamp, r.client, r.opDigest);
    if (!checkTag(core.keys, r.client, core.self, core.hdr, r.auth, core.index)) {
      reject(ctx, 'mac');
      return false;
    }
    if (core.hooks.validateOp && !core.hooks.validateOp(r.op, ctx)) {
      reject(ctx, 'invalid-op');
      return false;
    }
    return true;
  }

  onRequest(ctx: NodeContext<PbftMessage>, r: RequestMsg, from: NodeId): void {
    const { core, exec } = this.parts;
    if (core.index < 0) return;
    if (!this.requestAuthentic(ctx, r)) return;
    const key = requestKeyOf(r);
    const done = exec.results.get(r.client, r.timestamp);
    if (done !== undefined) {
      // Executed already: a client retransmission gets the cached reply again (TOCS'02 §4.2);
      // the same request from anybody else is a replay.
      if (from === r.client) exec.sendReply(ctx, r.client, [{ timestamp: r.timestamp, result: done }], exec.lastExec);
      else reject(ctx, 'replay');
      return;
    }
    if (!this.pending.has(key)) this.pending.set(key, r);
    if (core.changing) return;
    if (core.isPrimary()) {
      if (!this.queued.has(key)) {
        this.queued.add(key);
        this.queue.push(r);
      }
      this.maybePropose(ctx);
    } else {
      // A backup relays a client's request to the primary and watches it (TOCS'02 §4.4).
      if (from === r.client) ctx.send(core.primaryOf(core.view), r);
      this.parts.views.armViewChangeTimer(ctx);
    }
  }

  /** A request was executed: it no longer waits. */
  executed(key: string): void {
    this.pending.delete(key);
  }

  /** The requests of an accepted pre-prepare wait for execution too (a backup watches them). */
  noteProposed(requests: readonly RequestMsg[]): void {
    const results = this.parts.exec.results;
    for (const r of requests) {
      const key = requestKeyOf(r);
      if (!this.pending.has(key) && !results.has(r.client, r.timestamp)) this.pending.set(key, r);
    }
  }

  /** Highest sequence number the primary may assign now. */
  proposalLimit(): number {
    const pending = this.parts.reconfig.pending;
    let limit = this.parts.checkpoints.h + this.parts.core.options.watermarkWindow;
    if (pending) limit = Math.min(limit, pending.at);
    return limit;
  }

  /** Primary: propose a batch if enough requests wait (or `force` after the batch timeout). */
  maybePropose(ctx: NodeContext<PbftMessage>, force = false): void {
    const { core, normal, exec } = this.parts;
    if (!core.isPrimary() || core.changing) return;
    const batchSize = core.options.batchSize;
    while (this.queue.length > 0 && normal.nextSeq <= this.proposalLimit()) {
      if (this.queue.length < batchSize && !force) {
        if (!this.batchTimer) this.batchTimer = ctx.setTimer(core.options.batchTimeoutUs, { type: 'pbft-batch' });
        return;
      }
      const batch: RequestMsg[] = [];
      let i = 0;
      for (; i < this.queue.length && batch.length < batchSize; i++) {
        const r = this.queue[i];
        const key = requestKeyOf(r);
        this.queued.delete(key);
        if (!exec.results.has(r.client, r.timestamp) && this.pending.has(key)) batch.push(r);
      }
      this.queue = this.queue.slice(i);
      if (batch.length === 0) continue;
      normal.proposeNext(ctx, Object.freeze(batch) as RequestMsg[]);
      force = false;
    }
    // A pending reconfiguration activates at a checkpoint boundary: without client traffic the
    // primary fills the remaining sequence numbers with null batches (after the batch timeout).
    const reconfig = this.parts.reconfig.pending;
    if (this.queue.length === 0 && reconfig && normal.nextSeq <= reconfig.at && normal.nextSeq <= this.proposalLimit()) {
      if (!force) {
        if (!this.batchTimer) this.batchTimer = ctx.setTimer(core.options.batchTimeoutUs, { type: 'pbft-batch' });
        return;
      }
      while (normal.nextSeq <= reconfig.at && normal.nextSeq <= this.proposalLimit()) normal.proposeNext(ctx, NO_REQUESTS);
    }
    if (this.batchTimer && this.queue.length === 0) {
      ctx.cancelTimer(this.batchTimer);
      this.batchTimer = undefined;
    }
  }

  /** The batch timer fired. */
  onBatchTimer(ctx: NodeContext<PbftMessage>): void {
    this.batchTimer = undefined;
    this.maybePropose(ctx, true);
  }

  cancelBatchTimer(ctx: NodeContext<PbftMessage>): void {
    if (this.batchTimer) ctx.cancelTimer(this.batchTimer);
    this.batchTimer = undefined;
  }

  /** A new view: pending requests go to the new primary's queue (backups relay them). */
  requeue(ctx: NodeContext<PbftMessage>, primary: boolean): void {
    this.queue = [];
    this.queued.clear();
    for (const [key, r] of this.pending) {
      if (primary) {
        this.queued.add(key);
        this.queue.push(r);
      } else ctx.send(this.parts.core.primaryOf(this.parts.core.view), r);
    }
  }

  /** A new epoch: requests were authenticated for the old committee; clients re-send. */
  clear(): void {
    this.queue = [];
    this.queued.clear();
    this.pending.clear();
  }

  /** The process crashed: timers died with it. */
  onCrash(): void {
    this.batchTimer = undefined;
  }
}
