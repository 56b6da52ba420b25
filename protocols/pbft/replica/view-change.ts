/**
 * View changes (TOCS'02 §4.4, with the decision procedure of §4.5.2): a backup with a pending
 * request starts a timer; on expiry it multicasts a *signed* VIEW-CHANGE(v + 1, h, C, P, Q). The
 * new primary collects 2f + 1, picks the checkpoint (2f + 1 with h ≤ n, f + 1 vouching for
 * (n, d)) and, for each n above it, the batch satisfying A1 (2f + 1 messages whose prepared
 * certificates do not contradict it), A2 (f + 1 pre-prepared it in a view ≥ v) and A3 (its
 * contents are known), or the null request when 2f + 1 messages prepared nothing at n (B) —
 * `decideNewView`, a pure function. NEW-VIEW carries the view-changes; every backup verifies the
 * signatures and recomputes O. Timeouts double for consecutive failed view changes; a replica
 * joins a view change when it sees f + 1 view-changes for higher views (liveness, §4.4 / §4.5.3).
 *
 * State: view-changes received per view, the last new-view (sent again to lagging replicas),
 * consecutive failed attempts (timer doubling) and the view-change timer.
 *
 * A rule a variant may replace (mutants.ts): `certificatesForViewChange`.
 */
import type { NodeContext, NodeId, TimerHandle } from '../../../sim/types.ts';
import { sha256Hex } from '../auth.ts';
import { batchDigest, type CertEntry, NULL_BATCH, type NewViewMsg, newViewSize, newViewText, type PbftMessage, type PreparedEntry, type RequestMsg, traceDigest, type ViewChangeMsg, viewChangeSize, viewChangeText } from '../messages.ts';
import type { ReplicaParts } from './parts.ts';
import { isHex64, isInt, reject } from './types.ts';

/** What the new-view decision depends on besides the view-changes. */
export interface NewViewRules {
  /** f: faults tolerated. */
  f: number;
  /** Q: quorum size (2f + 1 when k = 3f + 1). */
  quorum: number;
  /** L: sequence numbers above the checkpoint that may be re-proposed. */
  watermarkWindow: number;
  /** Largest batch a proposal may carry. */
  batchSize: number;
}

/** The checkpoint and the batch (or null) for every sequence number above it. */
export interface NewViewDecision {
  checkpoint: { seq: number; state: string };
  proposals: { seq: number; batch: string; requests: RequestMsg[] }[];
}

/**
 * The new-view decision procedure (TOCS'02 §4.5.2): the checkpoint and the batch (or null) for
 * every sequence number above it, from a set of ≥ 2f + 1 view-changes; undefined when the set
 * does not decide yet. A pure function of its arguments.
 */
export function decideNewView(vcs: readonly ViewChangeMsg[], rules: NewViewRules): NewViewDecision | undefined {
  const { f, quorum: q } = rules;
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
  for (const m of vcs) for (const p of m.prepared) if (p.seq > maxSeq && p.seq <= low + rules.watermarkWindow) maxSeq = p.seq;
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
      const a2 = vcs.filter((m) => m.prePrepared.some((x) => x.seq === n && x.view >= c.view && x.batch === c.batch)).length;
      if (a2 < f + 1) continue;
      // A3: the batch itself is known (and matches its digest).
      const withBody = candidates.find((p) => p.batch === c.batch && p.requests.length <= rules.batchSize && batchDigest(p.requests) === c.batch);
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

export class ViewChanges {
  /** View-changes received, per view and sender (the first from each sender counts). */
  private readonly viewChanges = new Map<number, Map<NodeId, ViewChangeMsg>>();
  /** The new-view that installed the current view (sent to replicas that lag behind). */
  lastNewView: NewViewMsg | null = null;
  /** Consecutive view changes that did not complete (the timer doubles each time). */
  private vcAttempts = 0;
  private vcTimer: TimerHandle | undefined;

  constructor(protected readonly parts: ReplicaParts) {}

  /** The P and Q sets sent in a view-change (TOCS'02 §4.4). */
  certificatesForViewChange(): { prepared: PreparedEntry[]; prePrepared: CertEntry[] } {
    const prepared: PreparedEntry[] = [];
    const prePrepared: CertEntry[] = [];
    const slots = this.parts.normal.slots;
    const h = this.parts.checkpoints.h;
    for (const seq of [...slots.keys()].sort((a, b) => a - b)) {
      const s = slots.get(seq)!;
      if (seq <= h) continue;
      if (s.pView >= 0) prepared.push({ seq, view: s.pView, batch: s.pBatch, requests: s.pRequests ?? [] });
      if (s.qView >= 0) prePrepared.push({ seq, view: s.qView, batch: s.qBatch });
    }
    return { prepared, prePrepared };
  }

  private rules(): NewViewRules {
    const core = this.parts.core;
    return { f: core.f, quorum: core.quorum(), watermarkWindow: core.options.watermarkWindow, batchSize: core.options.batchSize };
  }

  armViewChangeTimer(ctx: NodeContext<PbftMessage>): void {
    const { core, exec } = this.parts;
    if (this.vcTimer || core.index < 0) return;
    const reconfig = this.parts.reconfig.pending;
    if (core.changing || this.parts.requests.pending.size > 0 || (reconfig !== null && exec.lastExec < reconfig.at)) {
      const t = core.options.viewChangeTimeoutUs * 2 ** Math.min(this.vcAttempts, 16);
      this.vcTimer = ctx.setTimer(t, { type: 'pbft-vc', view: core.view });
    }
  }

  cancelTimer(ctx: NodeContext<PbftMessage>): void {
    if (this.vcTimer) ctx.cancelTimer(this.vcTimer);
    this.vcTimer = undefined;
  }

  resetViewChangeTimer(ctx: NodeContext<PbftMessage>): void {
    this.cancelTimer(ctx);
    this.armViewChangeTimer(ctx);
  }

  /** The view-change timer fired. */
  onTimer(ctx: NodeContext<PbftMessage>): void {
    this.vcTimer = undefined;
    if (this.parts.core.index < 0) return;
    this.startViewChange(ctx, this.parts.core.view + 1);
  }

  startViewChange(ctx: NodeContext<PbftMessage>, newView: number): void {
    const { core, exec, checkpoints } = this.parts;
    if (newView <= core.view && core.changing) return;
    if (newView <= core.view && !core.changing) return;
    ctx.metrics.counter('pbft.view-changes').inc();
    this.vcAttempts = core.changing ? this.vcAttempts + 1 : 0;
    core.view = newView;
    core.changing = true;
    this.parts.requests.cancelBatchTimer(ctx);
    const { prepared, prePrepared } = this.certificatesForViewChange();
    // C: the stable checkpoint and our own later checkpoints.
    const K = core.options.checkpointInterval;
    const h = checkpoints.h;
    const checkpoints_: { seq: number; state: string }[] = [{ seq: h, state: exec.chains[h] }];
    for (let n = (Math.floor(h / K) + 1) * K; n <= exec.lastExec; n += K) checkpoints_.push({ seq: n, state: exec.chains[n] });
    const base = { epoch: core.committee.epoch, newView, sender: core.self, stable: h, checkpoints: checkpoints_, prepared, prePrepared };
    const body = sha256Hex(viewChangeText(base));
    if (core.options.cpu.signUs > 0) ctx.charge(core.options.cpu.signUs);
    const vc: ViewChangeMsg = { type: 'view-change', ...base, body, signature: core.keys.sign(core.self, body), size: viewChangeSize(base), digest: traceDigest(body, core.self, newView, h) };
    this.storeViewChange(vc);
    core.multicast(ctx, vc);
    this.cancelTimer(ctx);
    this.armViewChangeTimer(ctx);
    this.tryNewView(ctx);
  }

  /** Signature and shape check of a view-change (also for those inside a new-view). */
  private validViewChange(ctx: NodeContext<PbftMessage>, m: ViewChangeMsg): boolean {
    const core = this.parts.core;
    if (
      !m || m.type !== 'view-change' || !isInt(m.newView) || !isInt(m.stable) || m.epoch !== core.committee.epoch || core.memberIndex(m.sender) < 0 ||
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
    if (!core.keys.verifyBy(ctx, core.options.cpu.verifyUs, m.sender, m.body, m.signature)) {
      reject(ctx, 'signature');
      return false;
    }
    return true;
  }

  onViewChange(ctx: NodeContext<PbftMessage>, m: ViewChangeMsg): void {
    const core = this.parts.core;
    if (core.index < 0) return;
    if (!this.validViewChange(ctx, m)) return;
    if (m.newView < core.view || (m.newView === core.view && !core.changing)) {
      // A late view-change for a view we are already in: help a lagging replica with the new-view.
      if (this.lastNewView && this.lastNewView.newView >= m.newView && m.sender !== core.self) ctx.send(m.sender, this.lastNewView);
      return;
    }
    this.storeViewChange(m);
    // Liveness (§4.5.3): f + 1 view-changes for views above ours ⇒ join the smallest of them.
    const above = new Map<NodeId, number>();
    for (const [v, byNode] of this.viewChanges) {
      if (v <= core.view) continue;
      for (const sender of byNode.keys()) if (!above.has(sender) || above.get(sender)! > v) above.set(sender, v);
    }
    if (above.size >= core.f + 1) {
      const smallest = Math.min(...above.values());
      this.startViewChange(ctx, smallest);
      return;
    }
    this.tryNewView(ctx);
  }

  private storeViewChange(m: ViewChangeMsg): void {
    let byNode = this.viewChanges.get(m.newView);
    if (!byNode) this.viewChanges.set(m.newView, (byNode = new Map()));
    if (!byNode.has(m.sender)) byNode.set(m.sender, m);
  }

  /** New primary: with enough view-changes, compute and multicast NEW-VIEW. */
  private tryNewView(ctx: NodeContext<PbftMessage>): void {
    const core = this.parts.core;
    if (!core.changing || core.primaryOf(core.view) !== core.self) return;
    const byNode = this.viewChanges.get(core.view);
    if (!byNode || byNode.size < core.quorum() || !byNode.has(core.self)) return;
    const vcs = [...byNode.values()].sort((a, b) => a.sender - b.sender);
    const decision = decideNewView(vcs, this.rules());
    if (!decision) return;
    const base = { epoch: core.committee.epoch, newView: core.view, sender: core.self, viewChanges: vcs, checkpoint: decision.checkpoint, proposals: decision.proposals };
    const body = sha256Hex(newViewText(base));
    if (core.options.cpu.signUs > 0) ctx.charge(core.options.cpu.signUs);
    const nv: NewViewMsg = { type: 'new-view', ...base, body, signature: core.keys.sign(core.self, body), size: newViewSize(base), digest: traceDigest(body, core.self, core.view, 0) };
    core.multicast(ctx, nv);
    this.enterView(ctx, nv);
  }

  onNewView(ctx: NodeContext<PbftMessage>, m: NewViewMsg): void {
    const core = this.parts.core;
    if (core.index < 0) return;
    if (!m || !isInt(m.newView) || !Array.isArray(m.viewChanges) || !Array.isArray(m.proposals) || !m.checkpoint || !isHex64(m.body) || m.epoch !== core.committee.epoch) {
      return reject(ctx, 'malformed');
    }
    if (m.newView < core.view || (m.newView === core.view && !core.changing)) return; // old or already in it
    if (m.sender !== core.primaryOf(m.newView)) return reject(ctx, 'not-primary');
    if (sha256Hex(newViewText(m)) !== m.body) return reject(ctx, 'digest');
    if (!core.keys.verifyBy(ctx, core.options.cpu.verifyUs, m.sender, m.body, m.signature)) return reject(ctx, 'signature');
    // Every view-change must be valid, for this view, from distinct members; then recompute O.
    const senders = new Set<NodeId>();
    for (const vc of m.viewChanges) {
      if (!this.validViewChange(ctx, vc)) return;
      if (vc.newView !== m.newView || senders.has(vc.sender)) return reject(ctx, 'new-view');
      senders.add(vc.sender);
    }
    if (senders.size < core.quorum()) return reject(ctx, 'new-view');
    const sorted = [...m.viewChanges].sort((a, b) => a.sender - b.sender);
    const decision = decideNewView(sorted, this.rules());
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
  private enterView(ctx: NodeContext<PbftMessage>, nv: NewViewMsg): void {
    const { core, normal, exec, checkpoints, requests } = this.parts;
    core.view = nv.newView;
    core.changing = false;
    this.vcAttempts = 0;
    this.lastNewView = nv;
    for (const v of [...this.viewChanges.keys()]) if (v <= core.view) this.viewChanges.delete(v);
    ctx.metrics.counter('pbft.new-views').inc();
    ctx.emit({ kind: 'pbft.view', view: core.view, epoch: core.committee.epoch });
    const ck = nv.checkpoint;
    if (ck.seq > checkpoints.h) {
      const sources = [...new Set(nv.viewChanges.filter((vc) => vc.checkpoints.some((c) => c.seq === ck.seq && c.state === ck.state)).map((vc) => vc.sender))].filter((s) => s !== core.self);
      checkpoints.checkpointStable(ctx, ck.seq, ck.state, sources);
    }
    let maxSeq = Math.max(ck.seq, checkpoints.h);
    const primary = core.primaryOf(core.view) === core.self;
    for (const p of nv.proposals) {
      maxSeq = Math.max(maxSeq, p.seq);
      if (p.seq <= checkpoints.h) continue;
      normal.acceptPrePrepare(ctx, p.seq, core.view, p.batch, p.requests);
      if (!primary) normal.sendVote(ctx, 'prepare', core.view, p.seq, p.batch);
    }
    normal.advanceNextSeq(Math.max(maxSeq + 1, exec.lastExec + 1));
    this.cancelTimer(ctx);
    // Requests still pending go to the new primary's queue (backups relay them).
    requests.requeue(ctx, primary);
    this.armViewChangeTimer(ctx);
    for (const b of normal.takeDeferred()) this.parts.deliver(ctx, b.from, b.msg);
    if (primary) requests.maybePropose(ctx, true);
  }

  /** A new epoch: no view changes in progress, no new-view to forward, attempts reset. */
  resetForEpoch(): void {
    this.vcAttempts = 0;
    this.viewChanges.clear();
    this.lastNewView = null;
  }

  /** The process crashed: timers died with it. */
  onCrash(): void {
    this.vcTimer = undefined;
  }
}
