/**
 * Reconfiguration (docs/pbft.md "Reconfiguration"): a committed `reconfigure` operation takes
 * effect at the checkpoint boundary after it commits (the activation sequence number e). Old
 * members sign the change (an epoch statement); f_old + 1 signatures form the epoch's
 * certificate. New members receive a join — the ledger up to e, every certificate the sender
 * holds, its signature share — check the ledger against the certified state, replay it and
 * switch. A replica that missed changes (a crash across an activation) is sent a join whose
 * certificate chain leads from a committee it knows to the current one.
 *
 * State: the pending change, the committees known to be genuine (by epoch), certificates and
 * signature shares towards them, and traffic of epochs not entered yet.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import { checkTag } from '../auth.ts';
import { batchDigest, blocksSize, chainDigest, Code, type EpochCert, epochCertSize, type EpochShareMsg, epochShareSize, epochStatement, fillHeader, type JoinMsg, NULL_BATCH, type Operation, type PbftMessage, requestDigestOf, type StatusMsg, traceDigest } from '../messages.ts';
import { sha256Hex } from '../auth.ts';
import type { ReplicaParts } from './parts.ts';
import type { Committee } from './types.ts';
import { isHex64, isInt, reject, validMembers, validOp } from './types.ts';

/** f of a committee. */
function faults(c: Committee): number {
  return Math.floor((c.members.length - 1) / 3);
}

function joinDigest(state: string, members: readonly NodeId[]): string {
  return sha256Hex(`join|${state}|${members.join(',')}`);
}

export class Reconfiguration {
  /** An authorised committee change waiting for its activation sequence number `at`. */
  pending: { members: NodeId[]; at: number } | null = null;
  /** Committees this replica knows to be genuine (its own log, or certificates), by epoch. */
  private readonly history = new Map<number, Committee>();
  /** Certificates of committee changes (epoch → certificate), for the joins this replica sends. */
  private readonly certs = new Map<number, EpochCert>();
  /** Signature shares collected per statement, towards a certificate. */
  private readonly shares = new Map<string, { cert: Omit<EpochCert, 'shares'>; byNode: Map<NodeId, string> }>();
  /** Messages of epochs this replica has not entered yet (replayed when it does); bounded. */
  private epochBuffer: { from: NodeId; msg: PbftMessage; epoch: number }[] = [];

  constructor(protected readonly parts: ReplicaParts, genesis: Committee) {
    this.history.set(genesis.epoch, genesis);
  }

  /** Committees this replica knows (its log and certificates), for tests and summaries. */
  knownCommittee(epoch: number): Committee | undefined {
    return this.history.get(epoch);
  }

  /** Keeps traffic of an epoch this replica is about to enter (its activation or join is late). */
  bufferFuture(from: NodeId, msg: PbftMessage, epoch: number): void {
    if (this.epochBuffer.length < 64 * Math.max(this.parts.core.k, 1) + 1024) this.epochBuffer.push({ from, msg, epoch });
  }

  /**
   * A `reconfigure` executed at `seq`: a change of committee to nodes that exist (a node count
   * every replica shares), that the application authorises, when none is pending, activates at
   * the next checkpoint boundary.
   */
  noteCommitted(ctx: NodeContext<PbftMessage>, op: Extract<Operation, { kind: 'reconfigure' }>, seq: number): void {
    const core = this.parts.core;
    if (this.pending || !validMembers(op.members) || !op.members.every((m) => m < ctx.nodeCount) || !(core.hooks.authorizeReconfigure?.(op, core.committee, seq) ?? true)) return;
    const K = core.options.checkpointInterval;
    this.pending = { members: [...op.members], at: (Math.floor(seq / K) + 1) * K };
  }

  /** After executing `seq`: the pending change activates if `seq` is its activation number. */
  activateIfDue(ctx: NodeContext<PbftMessage>, seq: number): void {
    if (this.pending && seq === this.pending.at) this.activateCommittee(ctx);
  }

  /**
   * Executed the activation sequence number e of an authorised committee change. Live: as an
   * old member, sign the change and send the share to the continuing members and a join (ledger,
   * certificate chain, share) to each new member; then switch. While replaying a join's ledger:
   * only record the committee (history), the join switches once at its end.
   */
  private activateCommittee(ctx: NodeContext<PbftMessage>): void {
    const { core, exec } = this.parts;
    const rc = this.pending!;
    const old = core.committee;
    const next: Committee = { members: Object.freeze([...rc.members]) as NodeId[], epoch: old.epoch + 1, startView: 0 };
    this.pending = null;
    this.history.set(next.epoch, next);
    if (exec.replaying) {
      core.setCommittee(next);
      return;
    }
    if (core.index >= 0) {
      const state = exec.chains[rc.at];
      const statement = epochStatement(next.epoch, next.members, rc.at, state);
      if (core.options.cpu.signUs > 0) ctx.charge(core.options.cpu.signUs);
      const signature = core.keys.sign(core.self, statement);
      this.addShare(ctx, { epoch: next.epoch, members: [...next.members], seq: rc.at, state }, statement, core.self, signature, old);
      const share: EpochShareMsg = {
        type: 'epoch-share', epoch: next.epoch, members: [...next.members], seq: rc.at, state, sender: core.self, signature,
        size: epochShareSize(next.members.length), digest: traceDigest(statement, core.self, next.epoch, rc.at),
      };
      for (const to of next.members) if (to !== core.self && old.members.includes(to)) ctx.send(to, share);
      for (const to of next.members) if (!old.members.includes(to)) ctx.send(to, this.joinFor(ctx, to, next, rc.at, signature));
    }
    this.switchCommittee(ctx, next, rc.at);
  }

  /** A join for `to`: the ledger up to `at`, every certificate this replica holds, and (optionally) its share. */
  private joinFor(ctx: NodeContext<PbftMessage>, to: NodeId, next: Committee, at: number, share: string): JoinMsg {
    const { core, exec } = this.parts;
    const state = exec.chains[at];
    const blocks = exec.ledger.slice(0, at);
    const chain = [...this.certs.keys()].sort((x, y) => x - y).map((e) => this.certs.get(e)!).filter((c) => c.epoch <= next.epoch);
    let size = blocksSize(blocks) + 4 * next.members.length + 64;
    for (const c of chain) size += epochCertSize(c);
    return {
      type: 'join', epoch: next.epoch, view: 0, seq: at, sender: core.self, state, members: [...next.members], blocks, chain, share,
      size, digest: traceDigest(state, core.self, next.epoch, at),
      auth: core.pointTag(ctx, to, Code.Join, next.epoch, 0, at, joinDigest(state, next.members)),
    };
  }

  /** Enters `next` after executing `at` (live activation or an accepted join): every part starts the epoch afresh. */
  private switchCommittee(ctx: NodeContext<PbftMessage>, next: Committee, at: number): void {
    const { core, normal, checkpoints, views, requests } = this.parts;
    core.setCommittee(next);
    this.history.set(next.epoch, next);
    this.pending = null;
    core.view = next.startView;
    core.changing = false;
    views.resetForEpoch();
    checkpoints.resetForEpoch(at);
    normal.resetForEpoch(at);
    requests.clear(); // requests were authenticated for the old committee; clients re-send
    views.cancelTimer(ctx);
    requests.cancelBatchTimer(ctx);
    ctx.emit({ kind: 'pbft.reconfigured', epoch: next.epoch, members: [...next.members], seq: at, member: core.index >= 0 });
    core.hooks.onReconfigured?.(next, at, ctx);
    // Traffic of this epoch that arrived early; drop what belongs to epochs we skipped.
    const buffered = this.epochBuffer;
    this.epochBuffer = [];
    for (const b of buffered) {
      if (b.epoch === next.epoch) this.parts.deliver(ctx, b.from, b.msg);
      else if (b.epoch > next.epoch) this.epochBuffer.push(b);
    }
  }

  /** Checks one signature share against the committee of `epoch − 1` and adds it; a certificate at f + 1. */
  private addShare(ctx: NodeContext<PbftMessage>, cert: Omit<EpochCert, 'shares'>, statement: string, signer: NodeId, signature: string, old: Committee): boolean {
    const core = this.parts.core;
    if (this.certs.has(cert.epoch)) return true;
    let entry = this.shares.get(statement);
    if (!entry) this.shares.set(statement, (entry = { cert, byNode: new Map() }));
    if (entry.byNode.has(signer)) return true;
    if (signer !== core.self) {
      if (!core.keys.verifyBy(ctx, core.options.cpu.verifyUs, signer, statement, signature)) return false;
    }
    entry.byNode.set(signer, signature);
    if (entry.byNode.size >= faults(old) + 1) {
      const shares = [...entry.byNode].sort((x, y) => x[0] - y[0]).map(([s, sig]) => ({ signer: s, signature: sig }));
      this.certs.set(cert.epoch, { ...cert, shares });
      for (const [k, e] of this.shares) if (e.cert.epoch <= cert.epoch) this.shares.delete(k);
    }
    return true;
  }

  onEpochShare(ctx: NodeContext<PbftMessage>, m: EpochShareMsg): void {
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
    const core = this.parts.core;
    if (!c || !isInt(c.epoch) || !isInt(c.seq) || !isHex64(c.state) || !validMembers(c.members) || !Array.isArray(c.shares)) return false;
    const old = this.history.get(c.epoch - 1);
    if (!old) return false;
    const statement = epochStatement(c.epoch, c.members, c.seq, c.state);
    const signers = new Set<NodeId>();
    for (const s of c.shares) {
      if (!s || !old.members.includes(s.signer) || signers.has(s.signer) || typeof s.signature !== 'string') continue;
      if (core.keys.verifyBy(ctx, core.options.cpu.verifyUs, s.signer, statement, s.signature)) signers.add(s.signer);
    }
    return signers.size >= faults(old) + 1;
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
  onJoin(ctx: NodeContext<PbftMessage>, m: JoinMsg): void {
    const { core, exec } = this.parts;
    if (!isInt(m.epoch) || !isInt(m.seq) || !isInt(m.view) || !isHex64(m.state) || !validMembers(m.members) || !Array.isArray(m.blocks) || typeof m.share !== 'string') return reject(ctx, 'malformed');
    if (m.epoch <= core.committee.epoch) {
      ctx.metrics.counter('pbft.stale').inc(); // we are there already (e.g. joins of both f + 1 and more)
      return;
    }
    this.learnChain(ctx, m.chain);
    const old = this.history.get(m.epoch - 1);
    if (!old || !old.members.includes(m.sender)) return reject(ctx, 'not-member');
    const digest = joinDigest(m.state, m.members);
    if (!core.authenticPoint(ctx, Code.Join, m.epoch, m.view, m.seq, m.sender, digest, m.auth)) return reject(ctx, 'mac');
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
    if (m.blocks.length !== m.seq || exec.lastExec > m.seq) return reject(ctx, 'transfer');
    let state = exec.chains[exec.lastExec];
    for (let i = exec.lastExec; i < m.blocks.length; i++) {
      const b = m.blocks[i];
      if (!b || b.seq !== i + 1 || !Array.isArray(b.requests) || b.requests.length > Math.max(core.options.batchSize, 1) * 4 + 64) return reject(ctx, 'transfer');
      for (const r of b.requests) if (!r || r.type !== 'request' || !validOp(r.op) || !isInt(r.client) || !isInt(r.timestamp) || requestDigestOf(r) !== r.opDigest) return reject(ctx, 'transfer');
      if (batchDigest(b.requests) !== b.batch) return reject(ctx, 'transfer');
      state = chainDigest(state, b.seq, b.batch);
    }
    if (state !== m.state) return reject(ctx, 'transfer');
    exec.replay(ctx, m.blocks, exec.lastExec);
    // Our own replay derives the same committee from the log (the hook is a function of it).
    const derived = core.committee;
    if (derived.epoch !== m.epoch || derived.members.length !== m.members.length || derived.members.some((x, i) => x !== m.members[i])) {
      ctx.metrics.counter('pbft.reconfig-mismatch').inc();
    }
    this.shares.clear();
    this.switchCommittee(ctx, this.history.get(m.epoch)!, m.seq);
    if (core.index >= 0) this.parts.checkpoints.sendStatus(ctx); // catch up with what the new committee did since
  }

  /**
   * A status from an epoch we have left: a member of that epoch's committee that missed the
   * change(s) since (a crash across the activation). As a member now, we send it a join whose
   * chain certifies our epoch; it replays the ledger and enters our epoch (as a member or, if it
   * was removed, as a standby).
   */
  onOldStatus(ctx: NodeContext<PbftMessage>, m: StatusMsg): void {
    const core = this.parts.core;
    ctx.metrics.counter('pbft.stale').inc();
    if (core.index < 0 || !isInt(m.seq) || !isInt(m.view) || m.sender === core.self) return;
    const then = this.history.get(m.epoch);
    const cert = this.certs.get(core.committee.epoch);
    const myIndex = then ? then.members.indexOf(core.self) : -1;
    if (!then || !cert || myIndex < 0 || !then.members.includes(m.sender)) return;
    if (core.options.cpu.macUs > 0) ctx.charge(core.options.cpu.macUs);
    if (!fillHeader(core.hdr, Code.Status, m.epoch, m.view, m.seq, m.sender, NULL_BATCH) || !checkTag(core.keys, m.sender, core.self, core.hdr, m.auth, myIndex)) return reject(ctx, 'mac');
    ctx.metrics.counter('pbft.catch-up-joins').inc();
    ctx.send(m.sender, this.joinFor(ctx, m.sender, core.committee, cert.seq, ''));
  }
}
