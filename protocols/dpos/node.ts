/**
 * Seed 003's alliance-chain nodes: institutions vote for delegates (DPoS) and submit record hashes
 * and access events; delegates order everything with PBFT (Castro & Liskov, TOCS'02) and change
 * the committee through PBFT's reconfiguration hook (docs/pbft.md, "Composition API").
 *
 * - `InstitutionNode` (one per institution): a `PbftClient` plus the institution's duties — once
 *   per epoch it signs and submits its ballot for the next epoch (within the voting window), and
 *   it submits record-hash / access operations as a Poisson stream.
 * - `DelegateNode` (one per candidate): a `PbftReplica` (honest, or wrapped by the PBFT adversary
 *   the scenario gives Byzantine delegates) whose hooks feed a `DposLedger`, plus a co-located
 *   `PbftClient` through which the delegate submits the `reconfigure` at the epoch boundary. The
 *   replica's `authorizeReconfigure` accepts a committee only if it equals the tally's.
 *   Standby delegates need nothing from DPoS to join later: PBFT's joins carry the certificate
 *   chain of committee changes (docs/pbft.md "Reconfiguration").
 * - Committee announcements: when a committee takes effect, each member of the *old* committee
 *   sends a MAC-authenticated `dpos-committee` (epoch, members) to every other node; a node adopts
 *   the new committee after f_old + 1 matching announcements from members of the committee it
 *   knows (at least one is correct). Institutions (and delegates' own clients) re-point their
 *   PBFT clients with it.
 */
import { ForwardingContext } from '../../sim/forwarding-context.ts';
import type { Micros, NodeContext, NodeId, Observation, ProtocolNode, TimerHandle } from '../../sim/types.ts';
import type { KeyRing } from '../pbft/auth.ts';
import { checkTag, makeTag, sha256Hex } from '../pbft/auth.ts';
import { PbftClient } from '../pbft/client.ts';
import type { ClientOptions } from '../pbft/client.ts';
import type { Code, Operation, PbftMessage } from '../pbft/messages.ts';
import { fillHeader, newHeader } from '../pbft/messages.ts';
import type { Committee, ExecutedBlock, PbftOptions, ReplicaHooks } from '../pbft/replica.ts';
import { PbftReplica } from '../pbft/replica.ts';
import type { ElectionOptions } from './election.ts';
import { cartelApprovals, honestApprovals } from './election.ts';
import type { Population } from './institutions.ts';
import type { LedgerOptions, NodeLayout, ReconfigureDecision, SignatureCheck } from './ledger.ts';
import { ballotDigest, ballotTag, DposLedger, operationWellFormed } from './ledger.ts';
import type { OffchainMessage, OffchainWorld, PreProxy, RecordsTimer, ReplicaStore } from './offchain.ts';
import { isOffchainMessage, isRecordsTimer, RecordsAgent } from './offchain.ts';

/** MAC'd header code of a committee announcement (outside PBFT's codes 1–10). */
const ANNOUNCE_CODE = 40 as Code;
const ANNOUNCE_BYTES = 16 + 4 + 16; // header + members count + tag; members add 4 bytes each

export interface CommitteeAnnouncement {
  type: 'dpos-committee';
  size: number;
  digest: string;
  epoch: number;
  members: NodeId[];
  /** Sequence number after which the committee took effect. */
  seq: number;
  sender: NodeId;
  auth: Int32Array;
}

export type DposMessage = PbftMessage | CommitteeAnnouncement | OffchainMessage;

/** Shared, immutable facts every node of a run knows (the genesis configuration). */
export interface DposWorld {
  readonly pop: Population;
  readonly layout: NodeLayout;
  readonly keys: KeyRing;
  readonly seed: number | string;
  readonly election: ElectionOptions;
  readonly ledger: LedgerOptions;
  readonly pbft: PbftOptions;
  readonly client: Omit<ClientOptions, 'ratePerSec' | 'startUs' | 'stopUs' | 'opBytes'>;
  readonly genesis: Committee;
  /** Epoch length, µs: epoch e's boundary is at (e + 1)·epochLengthUs. */
  readonly epochLengthUs: Micros;
  /** Number of epochs (0 … epochs − 1); no reconfiguration after the last. */
  readonly epochs: number;
  /** Ballots are cast at a uniform time in the first `votingWindow` fraction of the epoch. */
  readonly votingWindow: number;
  /** Record/access operations per second per institution (Poisson). */
  readonly workloadRate: number;
  /** Fraction of workload operations that are access events (the rest are record hashes). */
  readonly accessShare: number;
  /** Bytes of a record-hash or access operation. */
  readonly opBytes: number;
  /** No workload after this time, µs. */
  readonly stopUs: Micros;
  /** All nodes that should hear committee announcements. */
  readonly nodeCount: number;
  /** Off-chain records and sharing (offchain.ts); undefined = off. */
  readonly offchain: OffchainWorld | undefined;
}

/** The PBFT client's context with a hook on its `pbft.accepted` observations (a request committed). */
class AcceptContext extends ForwardingContext<PbftMessage> {
  constructor(inner: NodeContext<DposMessage>, private readonly onAccepted: (timestamp: number) => void) {
    super(inner as NodeContext<never>);
  }
  override emit(observation: Observation): void {
    super.emit(observation);
    if (observation.kind === 'pbft.accepted') this.onAccepted(observation.timestamp as number);
  }
}

const f = (k: number) => Math.floor((k - 1) / 3);

function announcementDigest(epoch: number, members: readonly NodeId[]): string {
  return sha256Hex(`dpos-committee|${epoch}|${members.join(',')}`);
}

/** Tracks the committees a node has adopted and counts announcements (f_old + 1 rule). */
class CommitteeView {
  readonly known = new Map<number, Committee>();
  latest: Committee;
  private readonly votes = new Map<string, Set<NodeId>>();
  private readonly hdr = newHeader();

  constructor(genesis: Committee) {
    this.known.set(genesis.epoch, genesis);
    this.latest = genesis;
  }

  /** Returns the newly adopted committee, if this announcement completes f_old + 1. */
  onAnnouncement(keys: KeyRing, self: NodeId, m: CommitteeAnnouncement): Committee | undefined {
    if (!Number.isSafeInteger(m.epoch) || !Array.isArray(m.members) || m.epoch !== this.latest.epoch + 1) return undefined;
    const old = this.latest;
    if (!old.members.includes(m.sender)) return undefined;
    const digest = announcementDigest(m.epoch, m.members);
    fillHeader(this.hdr, ANNOUNCE_CODE, m.epoch, 0, m.seq, m.sender, digest);
    if (!checkTag(keys, m.sender, self, this.hdr, m.auth, 0)) return undefined;
    const key = `${m.epoch}|${m.seq}|${digest}`;
    let set = this.votes.get(key);
    if (!set) this.votes.set(key, (set = new Set()));
    set.add(m.sender);
    if (set.size < f(old.members.length) + 1) return undefined;
    const next: Committee = { members: [...m.members], epoch: m.epoch, startView: 0 };
    this.known.set(next.epoch, next);
    this.latest = next;
    this.votes.clear();
    return next;
  }

  /** Adopts a committee learnt first-hand (a delegate's own reconfiguration). */
  adopt(c: Committee): void {
    if (c.epoch <= this.latest.epoch) return;
    this.known.set(c.epoch, c);
    this.latest = c;
    this.votes.clear();
  }
}

function announce(ctx: NodeContext<DposMessage>, keys: KeyRing, self: NodeId, c: Committee, seq: number, nodeCount: number): void {
  const digest = announcementDigest(c.epoch, c.members);
  const hdr = newHeader();
  fillHeader(hdr, ANNOUNCE_CODE, c.epoch, 0, seq, self, digest);
  for (let to = 0; to < nodeCount; to++) {
    if (to === self) continue;
    ctx.send(to, { type: 'dpos-committee', size: ANNOUNCE_BYTES + 4 * c.members.length, digest, epoch: c.epoch, members: [...c.members], seq, sender: self, auth: makeTag(keys, self, to, hdr) });
  }
}

// ---- institutions ------------------------------------------------------------------------------

type InstitutionTimer = { type: 'dpos-vote'; epoch: number } | { type: 'dpos-work' };

export class InstitutionNode implements ProtocolNode<DposMessage> {
  readonly client: PbftClient;
  private readonly view: CommitteeView;
  private readonly voted = new Set<number>();
  private seq = 0;
  /** Numbers of the background record ops this institution submitted. */
  private readonly backgroundRecords: number[] = [];
  /** Operations this institution submitted (ballots, records, access events). */
  submitted = 0;
  /** Off-chain records: this institution as owner and as grantee (undefined when off). */
  readonly records: RecordsAgent | undefined;
  private clientCtx: AcceptContext | undefined;
  private ctxOf: NodeContext<DposMessage> | undefined;

  constructor(
    /** Institution id (not the node id). */
    readonly institution: number,
    readonly self: NodeId,
    private readonly w: DposWorld,
    /** This institution's replica of the off-chain store (honest or tampering); undefined when off. */
    readonly store?: ReplicaStore,
  ) {
    this.view = new CommitteeView(w.genesis);
    this.client = new PbftClient(self, w.genesis, w.keys, { ...w.client, ratePerSec: 0, opBytes: w.opBytes, startUs: 0, stopUs: w.stopUs });
    if (w.offchain) {
      this.records = new RecordsAgent(institution, self, w.offchain, (ctx, op) => {
        this.submitted++;
        return this.client.submit(this.cctx(ctx as NodeContext<DposMessage>), op);
      }, () => this.view.latest.members);
    }
  }

  /** The client's context: accepted requests are reported to the records agent. */
  private cctx(ctx: NodeContext<DposMessage>): NodeContext<PbftMessage> {
    if (!this.clientCtx || this.ctxOf !== ctx) {
      this.ctxOf = ctx;
      this.clientCtx = new AcceptContext(ctx, (ts) => this.records?.onAccepted(ctx as NodeContext<OffchainMessage>, ts));
    }
    return this.clientCtx;
  }

  onStart(ctx: NodeContext<DposMessage>): void {
    this.client.onStart(this.cctx(ctx));
    this.scheduleVote(ctx, 0);
    this.scheduleWork(ctx);
    this.records?.onStart(ctx as NodeContext<OffchainMessage>);
  }

  onRecover(ctx: NodeContext<DposMessage>): void {
    this.client.onRecover(this.cctx(ctx));
    this.scheduleWork(ctx);
    this.records?.onRecover(ctx as NodeContext<OffchainMessage>);
  }

  /** Ballot for epoch e + 1 at a uniform time in the voting window of epoch e. */
  private scheduleVote(ctx: NodeContext<DposMessage>, e: number): void {
    if (e + 1 >= this.w.epochs || this.voted.has(e + 1)) return;
    const start = Math.max(ctx.now(), e * this.w.epochLengthUs);
    const at = start + Math.floor(ctx.rng(`dpos/vote-time/${e}`).next() * this.w.votingWindow * this.w.epochLengthUs);
    ctx.setTimer(at - ctx.now(), { type: 'dpos-vote', epoch: e + 1 } satisfies InstitutionTimer);
  }

  private scheduleWork(ctx: NodeContext<DposMessage>): void {
    if (this.w.workloadRate <= 0) return;
    const gap = Math.max(1, Math.round(ctx.rng('dpos/work').exponential(1e6 / this.w.workloadRate)));
    if (ctx.now() + gap > this.w.stopUs) return;
    ctx.setTimer(gap, { type: 'dpos-work' } satisfies InstitutionTimer);
  }

  /** This institution's ballot for `epoch` (its strategy, or the cartel's pooled list). */
  ballotFor(epoch: number): { epoch: number; voter: number; approvals: number[] } {
    const pop = this.w.pop;
    const approvals = pop.institutions[this.institution].cartel
      ? cartelApprovals(pop, this.w.election.votesPerInstitution)
      : honestApprovals(pop, this.institution, epoch, this.w.seed, this.w.election);
    return { epoch, voter: this.institution, approvals };
  }

  onTimer(ctx: NodeContext<DposMessage>, tag: unknown): void {
    if (isRecordsTimer(tag)) {
      this.records?.onTimer(ctx as NodeContext<OffchainMessage>, tag as RecordsTimer);
      return;
    }
    const t = tag as InstitutionTimer;
    if (t?.type === 'dpos-vote') {
      if (this.voted.has(t.epoch)) return;
      this.voted.add(t.epoch);
      const b = this.ballotFor(t.epoch);
      const op: Operation = { kind: 'data', bytes: 16 + 4 * b.approvals.length + 64, tag: ballotTag(b, this.w.keys.sign(this.self, ballotDigest(b))) };
      this.client.submit(this.cctx(ctx), op);
      this.submitted++;
      return;
    }
    if (t?.type === 'dpos-work') {
      // Background load: record hashes without off-chain content, and access events naming one of
      // this institution's earlier background records (so the ledger's ownership rule accepts them).
      const n = this.seq++;
      const rng = ctx.rng('dpos/work-kind');
      const access = rng.chance(this.w.accessShare) && this.backgroundRecords.length > 0;
      let tagText: string;
      if (access) {
        const k = this.backgroundRecords[Math.floor(rng.next() * this.backgroundRecords.length)];
        tagText = `access|${this.institution}|${sha256Hex(`record|${this.institution}|${k}`)}|${rng.int(this.w.pop.institutions.length)}|${rng.chance(0.9) ? 'grant' : 'revoke'}`;
      } else {
        this.backgroundRecords.push(n);
        tagText = `record|${this.institution}|${sha256Hex(`record|${this.institution}|${n}`)}`;
      }
      this.client.submit(this.cctx(ctx), { kind: 'data', bytes: this.w.opBytes, tag: tagText });
      this.submitted++;
      this.scheduleWork(ctx);
      return;
    }
    this.client.onTimer(this.cctx(ctx), tag);
  }

  onMessage(ctx: NodeContext<DposMessage>, from: NodeId, msg: DposMessage): void {
    if (msg?.type === 'dpos-committee') {
      const next = this.view.onAnnouncement(this.w.keys, this.self, msg);
      if (next) {
        this.client.setCommittee(next);
        this.scheduleVote(ctx, next.epoch);
        this.records?.onCommittee(ctx as NodeContext<OffchainMessage>, next.members);
      }
      return;
    }
    if (msg && isOffchainMessage(msg)) {
      const octx = ctx as NodeContext<OffchainMessage>;
      if (msg.type === 'dpos-store') this.store?.onStore(octx, from, msg);
      else if (msg.type === 'dpos-get') this.store?.onGet(octx, from, msg);
      else this.records?.onMessage(octx, from, msg);
      return;
    }
    this.client.onMessage(this.cctx(ctx), from, msg as PbftMessage);
  }

  get committeeEpoch(): number {
    return this.view.latest.epoch;
  }
}

// ---- delegates ---------------------------------------------------------------------------------

/** Builds the PBFT stack of a delegate: the replica (with the given hooks) and the node that runs it (the replica or an adversary wrapper). */
export type PbftStackFactory = (identity: NodeId, committee: Committee, hooks: ReplicaHooks) => { replica: PbftReplica; node: ProtocolNode<PbftMessage> };

/** Builds a delegate's proxy service over its ledger; `isMember` tells whether the delegate follows the log as a committee member. */
export type ProxyFactory = (self: NodeId, ledger: DposLedger, isMember: () => boolean) => PreProxy;

type DelegateTimer = { type: 'dpos-boundary'; epoch: number } | { type: 'dpos-pbft'; tag: unknown };

/** The PBFT stack's context: its timers are tagged so they reach the stack (not the co-located client). */
class StackContext extends ForwardingContext<PbftMessage> {
  override setTimer(delay: Micros, tag: unknown): TimerHandle {
    return this.inner.setTimer(delay, { type: 'dpos-pbft', tag } satisfies DelegateTimer);
  }
}

export class DelegateNode implements ProtocolNode<DposMessage> {
  readonly replica: PbftReplica;
  private readonly pbftNode: ProtocolNode<PbftMessage>;
  readonly ledger: DposLedger;
  readonly client: PbftClient;
  private readonly view: CommitteeView;
  /** The committee my PBFT stack runs under (genesis, or the last reconfiguration). */
  private pbftCommittee: Committee;
  private stackCtx: StackContext | undefined;
  /** Timestamp of my last reconfigure request, with its epoch. */
  private myReconfigure: { timestamp: number; epoch: number } | undefined;
  /** Committees this delegate installed (epoch → members), for tests and summaries. */
  readonly installed = new Map<number, readonly NodeId[]>();
  /** The proxy re-encryption service (honest or Byzantine); undefined when off-chain records are off. */
  readonly proxy: PreProxy | undefined;

  constructor(
    /** Candidate institution this delegate stands for. */
    readonly candidate: number,
    readonly self: NodeId,
    protected readonly w: DposWorld,
    private readonly stack: PbftStackFactory,
    proxy?: ProxyFactory,
  ) {
    this.view = new CommitteeView(w.genesis);
    this.client = new PbftClient(self, w.genesis, w.keys, { ...w.client, ratePerSec: 0, opBytes: 0, startUs: 0, stopUs: Number.POSITIVE_INFINITY });
    this.pbftCommittee = w.genesis;
    // Every delegate's replica starts from the genesis committee and its ledger from the empty
    // log; both follow the log from there (a join replays it, committee changes included).
    const { replica, node } = this.stack(this.self, w.genesis, this.hooks());
    this.replica = replica;
    this.pbftNode = node;
    this.ledger = new DposLedger(w.pop, w.layout, w.keys, w.ledger, w.genesis.members);
    this.proxy = proxy?.(self, this.ledger, () => this.replica.currentCommittee.members.includes(this.self));
  }

  /** The hooks DPoS gives the replica. Subclasses (test variants) may override them. */
  protected hooks(): ReplicaHooks {
    return {
      validateOp: (op, ctx) => operationWellFormed(op, this.w.pop, this.w.keys, this.w.layout, this.w.election.votesPerInstitution, this.chargeVerify(ctx)),
      onExecute: (block, ctx) => this.onExecute(block, ctx),
      authorizeReconfigure: (op, committee, seq) => this.authorize(op.members, seq, committee),
      onReconfigured: (committee, atSeq, ctx) => this.onReconfigured(committee, atSeq, ctx),
    };
  }

  /**
   * The tally check: the block's first reconfigure was authorised by the ledger. (PBFT hands the
   * hook the committee of the block's own epoch, also when a join replays old blocks, and the
   * ledger follows the same log, so their epochs agree by construction.)
   */
  protected authorize(members: readonly NodeId[], seq: number, _committee: Committee): boolean {
    const d = this.lastDecision;
    return !!d && d.seq === seq && d.authorized && d.members.length === members.length && d.members.every((m, i) => m === members[i]);
  }

  private lastDecision: ReconfigureDecision | undefined;

  /** This delegate's ballot signature check: its CPU time is charged to this delegate's clock (once per valid signature it checks). */
  private chargeVerify(ctx: NodeContext<PbftMessage>): SignatureCheck | undefined {
    const us = this.w.pbft.cpu.verifyUs;
    if (us <= 0) return undefined;
    return (signer, digest, signature) => this.w.keys.verifyBy(ctx, us, signer, digest, signature);
  }

  /** The node's own context (hooks receive the PBFT stack's context, whose timers go to the replica). */
  private realCtx: NodeContext<DposMessage> | undefined;

  private pctx(ctx: NodeContext<DposMessage>): StackContext {
    this.realCtx = ctx;
    if (!this.stackCtx) this.stackCtx = new StackContext(ctx);
    return this.stackCtx;
  }

  onStart(ctx: NodeContext<DposMessage>): void {
    this.realCtx = ctx;
    this.pbftNode.onStart?.(this.pctx(ctx));
    this.client.onStart(ctx as NodeContext<PbftMessage>);
    this.scheduleBoundary(ctx, 0);
  }

  onCrash(): void {
    this.pbftNode.onCrash?.();
  }

  onRecover(ctx: NodeContext<DposMessage>): void {
    this.pbftNode.onRecover?.(this.pctx(ctx));
    this.client.onRecover(ctx as NodeContext<PbftMessage>);
    this.scheduleBoundary(ctx, this.replica.currentCommittee.epoch);
  }

  private scheduleBoundary(ctx: NodeContext<DposMessage>, e: number): void {
    if (e + 1 >= this.w.epochs) return;
    const at = Math.max(ctx.now(), (e + 1) * this.w.epochLengthUs);
    ctx.setTimer(at - ctx.now(), { type: 'dpos-boundary', epoch: e } satisfies DelegateTimer);
  }

  /** At the boundary of epoch e, a member submits the committee its tally dictates. */
  private submitReconfigure(ctx: NodeContext<DposMessage>): void {
    const c = this.replica.currentCommittee;
    if (!c.members.includes(this.self) || this.ledger.reconfigurationPending || this.ledger.epoch !== c.epoch) return;
    const members = this.ledger.expectedCommittee();
    const ts = this.client.submit(ctx as NodeContext<PbftMessage>, { kind: 'reconfigure', members });
    this.myReconfigure = { timestamp: ts, epoch: c.epoch };
  }

  onTimer(ctx: NodeContext<DposMessage>, tag: unknown): void {
    this.realCtx = ctx;
    const t = tag as DelegateTimer;
    if (t?.type === 'dpos-pbft') {
      this.pbftNode.onTimer?.(this.pctx(ctx), t.tag);
      return;
    }
    if (t?.type === 'dpos-boundary') {
      if (this.replica.currentCommittee.epoch === t.epoch) this.submitReconfigure(ctx);
      return;
    }
    this.client.onTimer(ctx as NodeContext<PbftMessage>, tag);
  }

  onMessage(ctx: NodeContext<DposMessage>, from: NodeId, msg: DposMessage): void {
    this.realCtx = ctx;
    if (msg?.type === 'dpos-committee') return this.onAnnouncement(msg);
    if (msg?.type === 'reply') return this.client.onMessage(ctx as NodeContext<PbftMessage>, from, msg);
    if (msg?.type === 'dpos-kfrag') return this.proxy?.onKFrag(ctx as NodeContext<OffchainMessage>, from, msg);
    if (msg?.type === 'dpos-reencrypt') return this.proxy?.onReencrypt(ctx as NodeContext<OffchainMessage>, from, msg);
    if (msg && isOffchainMessage(msg)) return;
    this.pbftNode.onMessage(this.pctx(ctx), from, msg);
  }

  private onAnnouncement(m: CommitteeAnnouncement): void {
    const next = this.view.onAnnouncement(this.w.keys, this.self, m);
    if (!next) return;
    this.client.setCommittee(next);
  }

  private onExecute(block: ExecutedBlock, ctx: NodeContext<PbftMessage>): void {
    const requests = block.requests.map((r) => ({ client: r.client, timestamp: r.timestamp, op: r.op }));
    ctx.emit({ kind: 'dpos.block', seq: block.seq, requests });
    this.lastDecision = this.ledger.applyBlock(block.seq, requests);
    const d = this.lastDecision;
    // My own reconfigure lost (the tally moved on, or a bogus one came first): try again.
    if (d && !d.authorized && this.myReconfigure && d.client === this.self && d.timestamp === this.myReconfigure.timestamp && ctx.now() >= (d.epoch + 1) * this.w.epochLengthUs) {
      this.myReconfigure = undefined;
      if (!this.ledger.reconfigurationPending) {
        const members = this.ledger.expectedCommittee();
        const ts = this.client.submit(this.realCtx as NodeContext<PbftMessage>, { kind: 'reconfigure', members });
        this.myReconfigure = { timestamp: ts, epoch: d.epoch };
      }
    }
  }

  private onReconfigured(committee: Committee, atSeq: number, ctx: NodeContext<PbftMessage>): void {
    const wasMember = this.pbftCommittee.members.includes(this.self);
    this.pbftCommittee = committee;
    this.view.adopt(committee);
    this.installed.set(committee.epoch, [...committee.members]);
    this.client.setCommittee(committee);
    ctx.emit({ kind: 'dpos.installed', epoch: committee.epoch, members: [...committee.members], seq: atSeq, ledgerEpoch: this.ledger.epoch });
    if (wasMember) announce(ctx as NodeContext<DposMessage>, this.w.keys, this.self, committee, atSeq, this.w.nodeCount);
    if (this.realCtx) this.scheduleBoundary(this.realCtx, committee.epoch);
  }
}
