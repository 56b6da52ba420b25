/**
 * PBFT invariant checkers, evaluated while the run goes (kernel Observers fed by `ctx.emit`).
 *
 * Safety properties of Castro & Liskov (TOCS'02 §2.2, §4.6 "correctness"), stated over what
 * correct (honest) replicas execute — Byzantine replicas' own claims are ignored:
 *
 * - `agreement`   no two honest replicas commit different batches at the same sequence number;
 * - `validity`    every committed request was issued by its client with exactly that operation:
 *                 the checker recomputes the digest of each committed operation and compares it
 *                 with the digest the client reported when it issued the request;
 * - `no-revert`   an honest replica never commits a different batch at a sequence number it has
 *                 already committed;
 * - `total-order` each honest replica commits sequence numbers 1, 2, 3, … without gaps and
 *                 executes every request at most once;
 * - `liveness`    after global stabilisation time `gstUs`, every issued request is accepted by
 *                 its client within `boundUs` (TOCS'02 §4.5.3: liveness holds once message delays
 *                 stop growing faster than the timeouts). Checked on every observation, on the
 *                 periodic tick the module schedules (`check(now)`), and at the end of the run.
 *
 * Observations used: `pbft.commit` (replica.ts), `pbft.request` and `pbft.accepted` (client.ts).
 */
import type { Micros, NodeId, Observation, Observer, Violation } from '../../sim/types.ts';
import { requestDigest, requestKey, type RequestMsg } from './messages.ts';

interface CommitObs extends Observation {
  kind: 'pbft.commit';
  seq: number;
  batch: string;
  view: number;
  /** Request keys `client:timestamp` of the batch, in order. */
  requests: readonly string[];
  opDigests: readonly string[];
  /** The same requests' clients and timestamps (numbers). */
  clients: readonly number[];
  timestamps: readonly number[];
  /** The batch itself (the requests as committed, operations included). */
  batchRequests: readonly RequestMsg[];
  /** Keys of the requests executed (not executed before), in order. */
  executed: readonly string[];
  /** Their indices in `requests`, or null when all of them were executed. */
  executedIndex: readonly number[] | null;
}

export class AgreementChecker implements Observer {
  readonly name = 'agreement';
  private readonly committed = new Map<number, { batch: string; node: NodeId }>();
  constructor(private readonly byzantine: ReadonlySet<NodeId>) {}
  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'pbft.commit' || this.byzantine.has(node)) return undefined;
    const c = obs as CommitObs;
    const prev = this.committed.get(c.seq);
    if (!prev) {
      this.committed.set(c.seq, { batch: c.batch, node });
      return undefined;
    }
    if (prev.batch !== c.batch) {
      return { kind: 'safety', invariant: 'agreement', message: `replicas ${prev.node} and ${node} committed different batches at sequence number ${c.seq}: ${prev.batch.slice(0, 12)}… vs ${c.batch.slice(0, 12)}… (view ${c.view})` };
    }
    return undefined;
  }
  /** Highest sequence number committed by some honest replica. */
  get highest(): number {
    let h = 0;
    for (const s of this.committed.keys()) if (s > h) h = s;
    return h;
  }
}

export class ValidityChecker implements Observer {
  readonly name = 'validity';
  /** What each client issued: request key → the digest the client computed of its operation. */
  private readonly issued = new Map<string, string>();
  /**
   * Batches already found valid, by identity: replicas report the batch they executed, and the
   * honest ones share one frozen array per batch, so the 2nd … k-th report of a batch is one
   * lookup. Only arrays whose requests (and operations) are frozen are remembered: those cannot
   * change, and an issued request's digest is recorded once, so a batch valid once stays valid.
   */
  private readonly valid = new WeakSet<readonly RequestMsg[]>();
  /** Digests this checker computed of frozen requests' operations. */
  private readonly digests = new WeakMap<RequestMsg, string>();
  constructor(private readonly byzantine: ReadonlySet<NodeId>) {}
  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind === 'pbft.request') {
      const key = `${obs.client}:${obs.timestamp}`;
      if (!this.issued.has(key)) this.issued.set(key, obs.opDigest as string);
      return undefined;
    }
    if (obs.kind !== 'pbft.commit' || this.byzantine.has(node)) return undefined;
    const c = obs as CommitObs;
    const batch = c.batchRequests;
    if (this.valid.has(batch)) return undefined;
    let memo = Object.isFrozen(batch);
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i];
      const want = this.issued.get(requestKey(r.client, r.timestamp));
      if (want === undefined) return { kind: 'safety', invariant: 'validity', message: `replica ${node} committed request ${requestKey(r.client, r.timestamp)} at sequence number ${c.seq}, which its client never issued` };
      // Recomputed from the committed operation itself: the digest a replica carries along
      // (or reports) is the replica's claim, not evidence.
      const frozen = frozenRequest(r);
      memo &&= frozen;
      let d = frozen ? this.digests.get(r) : undefined;
      if (d === undefined) {
        d = requestDigest(r.client, r.timestamp, r.op);
        if (frozen) this.digests.set(r, d);
      }
      if (d !== want) return { kind: 'safety', invariant: 'validity', message: `replica ${node} committed request ${requestKey(r.client, r.timestamp)} at sequence number ${c.seq} with an operation its client did not issue` };
    }
    if (memo) this.valid.add(batch);
    return undefined;
  }
}

/** A request whose fields, operation included, can no longer change. */
function frozenRequest(r: RequestMsg): boolean {
  return Object.isFrozen(r) && Object.isFrozen(r.op) && (r.op.kind !== 'reconfigure' || Object.isFrozen(r.op.members));
}

export class NoRevertChecker implements Observer {
  readonly name = 'no-revert';
  private readonly chains = new Map<NodeId, Map<number, string>>();
  constructor(private readonly byzantine: ReadonlySet<NodeId>) {}
  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'pbft.commit' || this.byzantine.has(node)) return undefined;
    const c = obs as CommitObs;
    let chain = this.chains.get(node);
    if (!chain) this.chains.set(node, (chain = new Map()));
    const prev = chain.get(c.seq);
    if (prev !== undefined && prev !== c.batch) {
      return { kind: 'safety', invariant: 'no-revert', message: `replica ${node} replaced its committed block at sequence number ${c.seq} (${prev.slice(0, 12)}… → ${c.batch.slice(0, 12)}…)` };
    }
    chain.set(c.seq, c.batch);
    return undefined;
  }
}

export class TotalOrderChecker implements Observer {
  readonly name = 'total-order';
  private readonly last = new Map<NodeId, number>();
  /** Per node and client: which timestamps it executed (a bit per timestamp; others in a set). */
  private readonly executed = new Map<NodeId, Map<number, Uint8Array>>();
  private readonly executedOther = new Map<NodeId, Set<string>>();
  constructor(private readonly byzantine: ReadonlySet<NodeId>) {}
  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'pbft.commit' || this.byzantine.has(node)) return undefined;
    const c = obs as CommitObs;
    const last = this.last.get(node) ?? 0;
    if (c.seq !== last + 1) return { kind: 'safety', invariant: 'total-order', message: `replica ${node} committed sequence number ${c.seq} after ${last}` };
    this.last.set(node, c.seq);
    let byClient = this.executed.get(node);
    if (!byClient) this.executed.set(node, (byClient = new Map()));
    const n = c.executedIndex ? c.executedIndex.length : c.requests.length;
    for (let j = 0; j < n; j++) {
      const i = c.executedIndex ? c.executedIndex[j] : j;
      if (this.seen(node, byClient, c.clients[i], c.timestamps[i])) return { kind: 'safety', invariant: 'total-order', message: `replica ${node} executed request ${c.requests[i]} twice (again at sequence number ${c.seq})` };
    }
    return undefined;
  }
  /** Marks (client, timestamp) executed by `node`; true if it was already. */
  private seen(node: NodeId, byClient: Map<number, Uint8Array>, client: number, timestamp: number): boolean {
    if (!Number.isSafeInteger(client) || !Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp >= 1 << 28) {
      let other = this.executedOther.get(node);
      if (!other) this.executedOther.set(node, (other = new Set()));
      const key = `${client}:${timestamp}`;
      if (other.has(key)) return true;
      other.add(key);
      return false;
    }
    let bits = byClient.get(client);
    const byte = timestamp >> 3;
    if (!bits || byte >= bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, 2 * (bits?.length ?? 0), 64));
      if (bits) grown.set(bits);
      byClient.set(client, (bits = grown));
    }
    const mask = 1 << (timestamp & 7);
    if (bits[byte] & mask) return true;
    bits[byte] |= mask;
    return false;
  }
}

export interface LivenessOptions {
  /** Every request issued at or after `gstUs` must be accepted within this many µs. */
  boundUs: Micros;
  /** Global stabilisation time, µs: requests issued earlier are not held to the bound. */
  gstUs: Micros;
}

export class LivenessChecker implements Observer {
  readonly name = 'liveness';
  /** Pending requests in issue order (Map keeps insertion order; issue times are nondecreasing). */
  private readonly pending = new Map<string, Micros>();
  accepted = 0;
  constructor(private readonly options: LivenessOptions) {}
  onObservation(_node: NodeId, obs: Observation, now: Micros): Violation | undefined {
    if (obs.kind === 'pbft.request') {
      const at = obs.issuedAt as Micros;
      if (at >= this.options.gstUs) this.pending.set(`${obs.client}:${obs.timestamp}`, at);
    } else if (obs.kind === 'pbft.accepted') {
      if (this.pending.delete(`${obs.client}:${obs.timestamp}`)) this.accepted++;
    }
    return this.check(now);
  }
  /** Violation if the oldest pending request has waited longer than the bound. */
  check(now: Micros): Violation | undefined {
    for (const [key, at] of this.pending) {
      if (now - at > this.options.boundUs) {
        return { kind: 'liveness', invariant: 'liveness', message: `request ${key} issued at ${at} µs (after GST ${this.options.gstUs} µs) not accepted within ${this.options.boundUs} µs (now ${now} µs, ${this.pending.size} pending)` };
      }
      break; // the oldest is first
    }
    return undefined;
  }
  onEnd(now: Micros): Violation | undefined {
    return this.check(now);
  }
  get pendingCount(): number {
    return this.pending.size;
  }
}

export interface CheckerSet {
  agreement: AgreementChecker;
  validity: ValidityChecker;
  noRevert: NoRevertChecker;
  totalOrder: TotalOrderChecker;
  liveness?: LivenessChecker;
  all: Observer[];
}

/** The standard checkers; `byzantine` lists node ids whose commits are not held to the invariants. */
export function makeCheckers(byzantine: ReadonlySet<NodeId>, liveness?: LivenessOptions): CheckerSet {
  const agreement = new AgreementChecker(byzantine);
  const validity = new ValidityChecker(byzantine);
  const noRevert = new NoRevertChecker(byzantine);
  const totalOrder = new TotalOrderChecker(byzantine);
  const live = liveness ? new LivenessChecker(liveness) : undefined;
  const all: Observer[] = [agreement, validity, noRevert, totalOrder];
  if (live) all.push(live);
  return { agreement, validity, noRevert, totalOrder, liveness: live, all };
}
