/**
 * What every part of a replica shares: its identity and keys, the committee it serves in, the
 * current view, quorum sizes, and authenticated sending (MAC authenticators, TOCS'02 §3 / §4.2).
 *
 * Quorums: the paper's 2f + 1 assumes k = 3f + 1. Committees of any size k are supported with
 * Q = ⌈(k + f + 1)/2⌉ wherever the paper says 2f + 1 (and Q − 1 prepares where it says 2f), so
 * that any two quorums share a correct replica; for k = 3f + 1 the numbers are the paper's.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import { checkTag, type KeyRing, makeAuthenticator, makeTag } from '../auth.ts';
import { type Code, fillHeader, newHeader, type PbftMessage, traceDigest } from '../messages.ts';
import type { Committee, PbftOptions, ReplicaHooks } from './types.ts';

export class ReplicaCore {
  /** The committee this replica currently serves in (or stands by for). */
  committee: Committee;
  /** k: committee size. */
  k = 0;
  /** f = ⌊(k − 1)/3⌋: faults tolerated. */
  f = 0;
  /** My index in `committee.members`, or −1 (standby). */
  index = -1;
  /** The current view v. */
  view = 0;
  /** True between sending a view-change for `view` and entering it (TOCS'02 §4.4). */
  changing = false;
  /** Scratch header for MACs (one per replica, reused). */
  readonly hdr = newHeader();
  /** Member id → index in `committee.members`, −1 for others (O(1) per message, not a scan). */
  private memberIndices = new Int32Array(0);

  constructor(
    /** This replica's identity (its node id; twins share one identity on two nodes). */
    readonly self: NodeId,
    committee: Committee,
    readonly keys: KeyRing,
    readonly options: PbftOptions,
    readonly hooks: ReplicaHooks,
  ) {
    this.committee = committee;
    this.setCommittee(committee);
    this.view = committee.startView;
  }

  /**
   * Quorum size Q = ⌈(k + f + 1)/2⌉. Castro & Liskov assume k = 3f + 1, where Q = 2f + 1. For
   * other committee sizes (DPoS elects k = 21, 31, 101, …) 2f + 1 is too small: two quorums
   * must intersect in at least f + 1 replicas, so that they share a correct one
   * (2Q − k ≥ f + 1), while Q ≤ k − f keeps the protocol live with f silent replicas.
   */
  quorum(): number {
    return Math.ceil((this.k + this.f + 1) / 2);
  }

  primaryOf(view: number): NodeId {
    const m = this.committee.members;
    return m[(((view - this.committee.startView) % m.length) + m.length) % m.length];
  }

  isPrimary(): boolean {
    return this.index >= 0 && this.primaryOf(this.view) === this.self;
  }

  setCommittee(c: Committee): void {
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

  memberIndex(id: unknown): number {
    if (typeof id !== 'number' || (id | 0) !== id || id < 0) return -1;
    if (this.memberIndices.length === 0) return this.committee.members.indexOf(id);
    return id < this.memberIndices.length ? this.memberIndices[id] : -1;
  }

  /** Sends to every other member of the committee. */
  multicast(ctx: NodeContext<PbftMessage>, msg: PbftMessage): void {
    const m = this.committee.members;
    for (let i = 0; i < m.length; i++) if (m[i] !== this.self) ctx.send(m[i], msg);
  }

  /** Fills in the authenticator (one tag per member) and trace digest of a normal-case message. */
  withAuth<T extends PbftMessage & { auth: Int32Array }>(ctx: NodeContext<PbftMessage>, msg: T, code: Code, view: number, seq: number, digest: string): T {
    fillHeader(this.hdr, code, msg.epoch, view, seq, this.self, digest);
    (msg as { auth: Int32Array }).auth = makeAuthenticator(this.keys, this.self, this.committee.members, this.hdr);
    (msg as { digest: number }).digest = traceDigest(digest, code * 65_536 + this.self, view, seq);
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs * this.k);
    return msg;
  }

  /** Checks my entry of a member-to-members authenticator. */
  authentic(ctx: NodeContext<PbftMessage>, code: Code, epoch: number, view: number, seq: number, sender: NodeId, digest: string, auth: unknown): boolean {
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs);
    if (!fillHeader(this.hdr, code, epoch, view, seq, sender, digest)) return false;
    return checkTag(this.keys, sender, this.self, this.hdr, auth, this.index);
  }

  /** Checks a point-to-point tag (fetch, blocks, join). */
  authenticPoint(ctx: NodeContext<PbftMessage>, code: Code, epoch: number, view: number, seq: number, sender: NodeId, digest: string, auth: unknown): boolean {
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs);
    if (!fillHeader(this.hdr, code, epoch, view, seq, sender, digest)) return false;
    return checkTag(this.keys, sender, this.self, this.hdr, auth, 0);
  }

  pointTag(ctx: NodeContext<PbftMessage>, to: NodeId, code: Code, epoch: number, view: number, seq: number, digest: string): Int32Array {
    if (this.options.cpu.macUs > 0) ctx.charge(this.options.cpu.macUs);
    fillHeader(this.hdr, code, epoch, view, seq, this.self, digest);
    return makeTag(this.keys, this.self, to, this.hdr);
  }
}
