/**
 * PBFT client (Castro & Liskov, TOCS'02 §4.2 "the client"; §5.1 retransmission).
 *
 * A client sends REQUEST(o, t, c) — authenticated with an authenticator (one MAC per replica,
 * TOCS'02 §3.2) — to the replica it believes is the primary; if no result arrives within the
 * retransmission timeout it sends the request to every replica (which relay it to the primary
 * and start their view-change timers) and doubles the timeout. It accepts a result once f + 1
 * replicas sent matching replies (at least one of them is correct).
 *
 * Unlike the paper's clients, which keep one request outstanding, a client here stands for a
 * gateway of many institutions and keeps up to `maxOutstanding` requests in flight, issued as a
 * Poisson process of `ratePerSec` requests per second (its own seeded stream).
 */
import type { Micros, NodeContext, NodeId, ProtocolNode, TimerHandle } from '../../sim/types.ts';
import { checkTag, type KeyRing, makeAuthenticator } from './auth.ts';
import { Code, fillHeader, newHeader, type Operation, type PbftMessage, type ReplyMsg, requestDigest, type RequestMsg, requestSize, traceDigest } from './messages.ts';
import { type Committee, replyBody } from './replica.ts';

export interface ClientOptions {
  /** Mean request arrival rate, requests per second (Poisson); 0 = only `submit()` calls. */
  ratePerSec: number;
  /** Most requests in flight (issued, not yet accepted); arrivals beyond it are dropped and counted. */
  maxOutstanding: number;
  /** First retransmission timeout, µs; doubles per retransmission of the same request. */
  retransmitUs: Micros;
  /** Payload bytes of each generated request. */
  opBytes: number;
  /** Virtual time of the first arrival at the earliest, µs. */
  startUs: Micros;
  /** No new arrivals after this virtual time, µs (Infinity = never stop). */
  stopUs: Micros;
}

interface Outstanding {
  request: RequestMsg;
  issuedAt: Micros;
  timer: TimerHandle | undefined;
  attempts: number;
  /** result → replicas that sent it. */
  votes: Map<string, Set<NodeId>>;
}

type ClientTimer = { type: 'pbft-arrival' } | { type: 'pbft-retransmit'; timestamp: number };

export class PbftClient implements ProtocolNode<PbftMessage> {
  private committee: Committee;
  private f: number;
  private view: number;
  private nextTimestamp = 1;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly hdr = newHeader();
  /** Requests accepted (f + 1 matching replies). */
  accepted = 0;

  constructor(
    readonly self: NodeId,
    committee: Committee,
    private readonly keys: KeyRing,
    private readonly options: ClientOptions,
  ) {
    this.committee = committee;
    this.f = Math.floor((committee.members.length - 1) / 3);
    this.view = committee.startView;
  }

  /**
   * Points the client at a new committee (after a reconfiguration). Replies collected from the
   * old committee are dropped (f + 1 must come from one committee); requests in flight are
   * re-authenticated for the new members and, given a context, re-sent to all of them at once
   * (otherwise at their next retransmission). Views restart with each epoch.
   */
  setCommittee(committee: Committee, ctx?: NodeContext<PbftMessage>): void {
    if (committee.epoch < this.committee.epoch) return;
    const changed = committee.epoch !== this.committee.epoch;
    this.committee = committee;
    this.f = Math.floor((committee.members.length - 1) / 3);
    if (!changed) return;
    this.view = committee.startView;
    for (const o of this.outstanding.values()) o.votes.clear();
    if (ctx) for (const o of this.outstanding.values()) this.retransmit(ctx, o);
  }

  get currentCommittee(): Committee {
    return this.committee;
  }

  get inFlight(): number {
    return this.outstanding.size;
  }

  onStart(ctx: NodeContext<PbftMessage>): void {
    this.scheduleArrival(ctx, true);
  }

  onRecover(ctx: NodeContext<PbftMessage>): void {
    this.scheduleArrival(ctx, false);
    for (const o of this.outstanding.values()) this.retransmit(ctx, o);
  }

  private scheduleArrival(ctx: NodeContext<PbftMessage>, first: boolean): void {
    if (this.options.ratePerSec <= 0) return;
    const gap = Math.max(1, Math.round(ctx.rng('pbft-client').exponential(1e6 / this.options.ratePerSec)));
    const at = first ? Math.max(this.options.startUs, ctx.now()) + gap : ctx.now() + gap;
    if (at > this.options.stopUs) return;
    ctx.setTimer(at - ctx.now(), { type: 'pbft-arrival' });
  }

  onTimer(ctx: NodeContext<PbftMessage>, tag: unknown): void {
    const t = tag as ClientTimer;
    if (t.type === 'pbft-arrival') {
      if (this.outstanding.size < this.options.maxOutstanding) {
        this.submit(ctx, { kind: 'data', bytes: this.options.opBytes, tag: `c${this.self}/${this.nextTimestamp}` });
      } else ctx.metrics.counter('pbft.client.throttled').inc();
      this.scheduleArrival(ctx, false);
    } else if (t.type === 'pbft-retransmit') {
      const o = this.outstanding.get(t.timestamp);
      if (o) {
        o.timer = undefined;
        this.retransmit(ctx, o);
      }
    }
  }

  /** Issues a request for `op` now; returns its timestamp. */
  submit(ctx: NodeContext<PbftMessage>, op: Operation): number {
    const timestamp = this.nextTimestamp++;
    const request = this.makeRequest(ctx, timestamp, op);
    const o: Outstanding = { request, issuedAt: ctx.now(), timer: undefined, attempts: 0, votes: new Map() };
    this.outstanding.set(timestamp, o);
    ctx.emit({ kind: 'pbft.request', client: this.self, timestamp, opDigest: request.opDigest, issuedAt: o.issuedAt });
    const members = this.committee.members;
    ctx.send(members[(((this.view - this.committee.startView) % members.length) + members.length) % members.length], request);
    o.timer = ctx.setTimer(this.options.retransmitUs, { type: 'pbft-retransmit', timestamp });
    return timestamp;
  }

  private makeRequest(ctx: NodeContext<PbftMessage>, timestamp: number, op: Operation): RequestMsg {
    const opDigest = requestDigest(this.self, timestamp, op);
    fillHeader(this.hdr, Code.Request, this.committee.epoch, 0, timestamp, this.self, opDigest);
    const auth = makeAuthenticator(this.keys, this.self, this.committee.members, this.hdr);
    void ctx;
    // Frozen: a sent message never changes (replicas memoise digests of frozen batches).
    return Object.freeze({
      type: 'request', client: this.self, timestamp, op: frozenOperation(op), opDigest, epoch: this.committee.epoch, auth,
      size: requestSize(op, this.committee.members.length), digest: traceDigest(opDigest, this.self, timestamp, this.committee.epoch),
    }) as RequestMsg;
  }

  private retransmit(ctx: NodeContext<PbftMessage>, o: Outstanding): void {
    if (o.request.epoch !== this.committee.epoch) o.request = this.makeRequest(ctx, o.request.timestamp, o.request.op);
    o.attempts++;
    ctx.metrics.counter('pbft.client.retransmissions').inc();
    for (const m of this.committee.members) ctx.send(m, o.request);
    if (o.timer) ctx.cancelTimer(o.timer);
    o.timer = ctx.setTimer(this.options.retransmitUs * 2 ** Math.min(o.attempts, 10), { type: 'pbft-retransmit', timestamp: o.request.timestamp });
  }

  onMessage(ctx: NodeContext<PbftMessage>, _from: NodeId, msg: PbftMessage): void {
    if (!msg || msg.type !== 'reply') return;
    const m = msg as ReplyMsg;
    if (!Array.isArray(m.entries) || !Number.isSafeInteger(m.view) || m.client !== this.self || !Number.isSafeInteger(m.epoch) || !m.entries.every(validEntry)) {
      ctx.metrics.counter('pbft.rejected.malformed').inc();
      return;
    }
    if (m.epoch !== this.committee.epoch) {
      // A late reply of a committee we left is not an error; one from an epoch we have not been
      // told about cannot be checked.
      ctx.metrics.counter(m.epoch < this.committee.epoch ? 'pbft.stale' : 'pbft.rejected.epoch').inc();
      return;
    }
    if (!this.committee.members.includes(m.sender)) {
      ctx.metrics.counter('pbft.rejected.not-member').inc();
      return;
    }
    if (replyBody(m.client, m.entries) !== m.body || !fillHeader(this.hdr, Code.Reply, m.epoch, m.view, 0, m.sender, m.body) || !checkTag(this.keys, m.sender, this.self, this.hdr, m.auth, 0)) {
      ctx.metrics.counter('pbft.rejected.mac').inc();
      return;
    }
    for (const e of m.entries) {
      const o = this.outstanding.get(e.timestamp);
      if (!o) continue;
      let set = o.votes.get(e.result);
      if (!set) o.votes.set(e.result, (set = new Set()));
      set.add(m.sender);
      if (set.size >= this.f + 1) {
        this.outstanding.delete(e.timestamp);
        if (o.timer) ctx.cancelTimer(o.timer);
        this.accepted++;
        if (m.view > this.view) this.view = m.view; // replies of this epoch: its views only grow
        const latency = ctx.now() - o.issuedAt;
        ctx.metrics.histogram('pbft.latency').observe(latency);
        ctx.emit({ kind: 'pbft.accepted', client: this.self, timestamp: e.timestamp, result: e.result, issuedAt: o.issuedAt, latency });
      }
    }
  }
}

function validEntry(e: unknown): boolean {
  return e !== null && typeof e === 'object' && Number.isSafeInteger((e as { timestamp?: unknown }).timestamp) && typeof (e as { result?: unknown }).result === 'string';
}

/** A frozen copy of an operation (its members list too), unless it is frozen already. */
function frozenOperation(op: Operation): Operation {
  if (Object.isFrozen(op) && (op.kind !== 'reconfigure' || Object.isFrozen(op.members))) return op;
  return op.kind === 'reconfigure' ? Object.freeze({ ...op, members: Object.freeze([...op.members]) as NodeId[] }) : Object.freeze({ ...op });
}
