/**
 * The DPoS application state machine on top of PBFT (seed 003: DPoS elects the delegates, PBFT
 * orders among them; Castro & Liskov TOCS'02 for the ordering, docs/pbft.md for the
 * reconfiguration hook).
 *
 * Operations travel as PBFT `{kind: 'data', bytes, tag}` requests whose `tag` is one of
 *
 *   ballot|<epoch>|<voter>|<c1,c2,…>|<signature>   a signed vote (Ed25519 by the voter's node key
 *                                                   over SHA-256("dpos-ballot|epoch|voter|list"))
 *   record|<institution>|<sha256>                  a medical record's hash (the record is off-chain)
 *   record|<institution>|<sha256>|<capsule id>|<delegating key>|<bytes>|<r1,r2,…>
 *                                                  the same with the off-chain store's metadata:
 *                                                  SHA-256 of the Umbral capsule, the record's
 *                                                  Umbral public key, the stored object's size and
 *                                                  the replica institutions (offchain.ts)
 *   access|<institution>|<record sha256>|<grantee>|grant|revoke   an access event
 *   access|<institution>|<record sha256>|<grantee>|grant|<delegation>|<m>|<p1,p2,…>
 *                                                  a grant by proxy re-encryption: the id of the
 *                                                  kFrag set (SHA-256 of its precursor X_A), the
 *                                                  threshold m and the n proxy delegates
 *
 * and committee changes as `{kind: 'reconfigure', members}` (delegate node ids in rank order).
 *
 * `DposLedger` is fed the executed blocks in sequence order — by every delegate (from
 * `hooks.onExecute`) and by the committee-matches-tally checker (from observations) — and
 * derives, from the log alone:
 *
 * - the ballots of the election for epoch e + 1: valid, correctly signed ballots labelled e + 1,
 *   committed while the committee epoch is e and before the authorised reconfigure;
 * - whether a `reconfigure` is authorised: it is the first non-duplicate reconfigure of its block
 *   (PBFT only looks at that one), no reconfiguration is pending, and its members equal the
 *   committee the tally of those ballots dictates (election.ts, tie rule of the scenario);
 * - the activation point: the next checkpoint boundary (⌊n / K⌋ + 1)·K, where the epoch advances
 *   and a new ballot window opens — exactly when the PBFT replica switches committees;
 * - the off-chain records' owners and metadata and, per (record, grantee), the history of access
 *   events: a record belongs to the institution whose node committed its first record op; an
 *   access event counts only if the record's owner submitted it (the PBFT request's client is the
 *   owner's node) — what proxies consult before re-encrypting (offchain.ts).
 */
import type { NodeId } from '../../sim/types.ts';
import type { KeyRing } from '../pbft/auth.ts';
import { sha256Hex } from '../pbft/auth.ts';
import type { Operation } from '../pbft/messages.ts';
import type { Ballot, TieBreak } from './election.ts';
import { electFromTally, tallyBallots } from './election.ts';
import type { Population } from './institutions.ts';

/** Digest an institution signs for a ballot. */
export function ballotDigest(b: Ballot): string {
  return sha256Hex(`dpos-ballot|${b.epoch}|${b.voter}|${b.approvals.join(',')}`);
}

export function ballotTag(b: Ballot, signature: string): string {
  return `ballot|${b.epoch}|${b.voter}|${b.approvals.join(',')}|${signature}`;
}

/** Off-chain metadata of a record op (absent in the bare `record|inst|hash` form). */
export interface RecordMeta {
  /** SHA-256 (hex) of the serialised Umbral capsule. */
  capsule: string;
  /** The record's Umbral public (delegating) key, hex. */
  key: string;
  /** Bytes of the stored object (capsule ‖ ciphertext). */
  bytes: number;
  /** Replica institutions holding the object. */
  replicas: number[];
}

/** The proxy delegation of a grant (absent in the bare `…|grant` form). */
export interface Delegation {
  /** Id of the kFrag set: SHA-256 (hex) of its precursor X_A. */
  id: string;
  /** m: cFrags needed to decrypt. */
  threshold: number;
  /** The n proxy delegates (node ids) that hold the kFrags. */
  proxies: number[];
}

export type ParsedTag =
  | { kind: 'ballot'; ballot: Ballot; signature: string }
  | { kind: 'record'; institution: number; hash: string; meta?: RecordMeta }
  | { kind: 'access'; institution: number; record: string; grantee: number; permission: 'grant' | 'revoke'; delegation?: Delegation };

/** Tag of a record op with its off-chain metadata. */
export function recordTag(institution: number, hash: string, meta: RecordMeta): string {
  return `record|${institution}|${hash}|${meta.capsule}|${meta.key}|${meta.bytes}|${meta.replicas.join(',')}`;
}

/** Tag of a grant with its proxy delegation. */
export function grantTag(institution: number, record: string, grantee: number, d: Delegation): string {
  return `access|${institution}|${record}|${grantee}|grant|${d.id}|${d.threshold}|${d.proxies.join(',')}`;
}

export function revokeTag(institution: number, record: string, grantee: number): string {
  return `access|${institution}|${record}|${grantee}|revoke`;
}

/** Wire bytes of those ops: the fields in binary (1-byte kind, 4-byte integers, 32-byte hashes and keys). */
export const recordOpBytes = (replicas: number) => 1 + 4 + 32 + 32 + 32 + 4 + 1 + 4 * replicas;
export const grantOpBytes = (proxies: number) => 1 + 4 + 32 + 4 + 1 + 32 + 1 + 1 + 4 * proxies;
export const REVOKE_OP_BYTES = 1 + 4 + 32 + 4 + 1;

const INT = /^(0|[1-9][0-9]{0,8})$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** A non-empty list of distinct small integers `a,b,c`; undefined otherwise. */
function intList(text: string, max = 1024): number[] | undefined {
  const list = text.split(',');
  if (list.length === 0 || list.length > max || !list.every((x) => INT.test(x))) return undefined;
  const out = list.map(Number);
  return new Set(out).size === out.length ? out : undefined;
}

/** Parses an operation tag; undefined if malformed. */
export function parseTag(tag: string): ParsedTag | undefined {
  const p = tag.split('|');
  switch (p[0]) {
    case 'ballot': {
      if (p.length !== 5 || !INT.test(p[1]) || !INT.test(p[2]) || !/^[0-9a-f]{128}$/.test(p[4])) return undefined;
      const list = p[3] === '' ? [] : p[3].split(',');
      if (!list.every((x) => INT.test(x))) return undefined;
      return { kind: 'ballot', ballot: { epoch: Number(p[1]), voter: Number(p[2]), approvals: list.map(Number) }, signature: p[4] };
    }
    case 'record': {
      if (!INT.test(p[1] ?? '') || !HEX64.test(p[2] ?? '')) return undefined;
      if (p.length === 3) return { kind: 'record', institution: Number(p[1]), hash: p[2] };
      if (p.length !== 7 || !HEX64.test(p[3]) || !HEX64.test(p[4]) || !INT.test(p[5])) return undefined;
      const replicas = intList(p[6]);
      return replicas ? { kind: 'record', institution: Number(p[1]), hash: p[2], meta: { capsule: p[3], key: p[4], bytes: Number(p[5]), replicas } } : undefined;
    }
    case 'access': {
      if (!INT.test(p[1] ?? '') || !HEX64.test(p[2] ?? '') || !INT.test(p[3] ?? '') || (p[4] !== 'grant' && p[4] !== 'revoke')) return undefined;
      const base = { kind: 'access' as const, institution: Number(p[1]), record: p[2], grantee: Number(p[3]), permission: p[4] as 'grant' | 'revoke' };
      if (p.length === 5) return base;
      if (p.length !== 8 || p[4] !== 'grant' || !HEX64.test(p[5]) || !INT.test(p[6])) return undefined;
      const proxies = intList(p[7]);
      const threshold = Number(p[6]);
      if (!proxies || threshold < 1 || threshold > proxies.length) return undefined;
      return { ...base, delegation: { id: p[5], threshold, proxies } };
    }
    default:
      return undefined;
  }
}

/** How institutions and candidates map onto simulator nodes. */
export interface NodeLayout {
  /** Candidate institution ids in node order: delegate node j stands for candidate `candidates[j]`. */
  readonly candidates: readonly number[];
  /** Node of institution i (its client). */
  institutionNode(i: number): NodeId;
  /** Delegate node of candidate institution c. */
  delegateNode(c: number): NodeId;
}

export function makeLayout(pop: Population): NodeLayout {
  const C = pop.candidates.length;
  const index = new Map(pop.candidates.map((c, j) => [c, j]));
  return {
    candidates: pop.candidates,
    institutionNode: (i) => C + i,
    delegateNode: (c) => {
      const j = index.get(c);
      if (j === undefined) throw new RangeError(`institution ${c} is not a candidate`);
      return j;
    },
  };
}

/**
 * A node's signature check (signer node, digest, signature) → valid; e.g. `KeyRing.verifyBy`
 * bound to the checking node, which charges that node's CPU time.
 */
export type SignatureCheck = (signer: NodeId, digest: string, signature: string) => boolean;

/** Signature check of a parsed ballot against the voter's node key (`check`: default, uncharged `keys.verify`). */
export function ballotSignatureValid(keys: KeyRing, layout: NodeLayout, pop: Population, b: Ballot, signature: string, check?: SignatureCheck): boolean {
  if (!Number.isInteger(b.voter) || b.voter < 0 || b.voter >= pop.institutions.length) return false;
  const signer = layout.institutionNode(b.voter);
  const digest = ballotDigest(b);
  return check ? check(signer, digest, signature) : keys.verify(signer, digest, signature);
}

/** Stateless validity of an operation, for `hooks.validateOp` (before pre-preparing). */
export function operationWellFormed(op: Operation, pop: Population, keys: KeyRing, layout: NodeLayout, votesPerInstitution: number, check?: SignatureCheck): boolean {
  if (op.kind === 'reconfigure') return true; // authorised (or not) at execution, against the tally
  const t = parseTag(op.tag);
  if (!t) return false;
  if (t.kind === 'ballot') {
    if (t.ballot.epoch < 1 || t.ballot.approvals.length > votesPerInstitution) return false;
    const seen = new Set<number>();
    for (const c of t.ballot.approvals) {
      if (seen.has(c) || !pop.institutions[c]?.candidate) return false;
      seen.add(c);
    }
    return ballotSignatureValid(keys, layout, pop, t.ballot, t.signature, check);
  }
  return t.institution < pop.institutions.length;
}

export interface LedgerOptions {
  /** Committee size k. */
  committee: number;
  /** V: most approvals per ballot. */
  votesPerInstitution: number;
  tieBreak: TieBreak;
  /** PBFT's checkpoint interval K (sequence numbers): committees switch at multiples of K. */
  checkpointInterval: number;
}

/** One executed request as the ledger sees it. */
export interface LedgerRequest {
  client: NodeId;
  timestamp: number;
  op: Operation;
}

/** A committed record with off-chain metadata. */
export interface RecordEntry {
  owner: number;
  hash: string;
  meta?: RecordMeta;
  seq: number;
}

/** One committed, owner-submitted access event for a (record, grantee) pair. */
export interface AccessEntry {
  record: string;
  grantee: number;
  grant: boolean;
  delegation?: Delegation;
  seq: number;
}

export interface ReconfigureDecision {
  seq: number;
  client: NodeId;
  timestamp: number;
  members: readonly NodeId[];
  authorized: boolean;
  /** Committee epoch the decision was taken in. */
  epoch: number;
}

function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function validMembers(m: unknown): m is NodeId[] {
  return Array.isArray(m) && m.length >= 1 && m.every((x) => Number.isSafeInteger(x) && x >= 0) && new Set(m).size === m.length;
}

export class DposLedger {
  /** Committee epoch (0 = genesis). */
  epoch = 0;
  /** Highest sequence number applied. */
  lastSeq = 0;
  /** Valid ballots for epoch + 1, in commit order. */
  private ballots: Ballot[] = [];
  private pending: { members: NodeId[]; at: number } | null = null;
  private readonly executed = new Set<string>();
  /** Authorised committee (delegate node ids) of each epoch; epoch 0 = genesis. */
  readonly committees = new Map<number, readonly NodeId[]>();
  /** Ballots counted into each epoch's tally. */
  readonly ballotsCounted = new Map<number, number>();
  /** Every reconfigure decision, in log order. */
  readonly decisions: ReconfigureDecision[] = [];
  records = 0;
  accessEvents = 0;
  /** Ballots outside their window, badly signed or malformed. */
  ballotsIgnored = 0;
  /** Data operations with an unknown or malformed tag. */
  malformed = 0;
  /** Committed records (first record op per hash, submitted by its institution's node). */
  readonly recordEntries = new Map<string, RecordEntry>();
  /** Access history per `record|grantee`, in log order (owner-submitted events only). */
  private readonly access = new Map<string, AccessEntry[]>();
  /** Record ops ignored: a hash already owned, or submitted by another node than the institution's. */
  recordsRefused = 0;
  /** Access events ignored: unknown record, or not submitted by the record's owner. */
  accessRefused = 0;
  /** Called for every access event that takes effect (proxies delete kFrags on revokes here). */
  onAccess: ((e: AccessEntry) => void) | undefined;

  constructor(
    private readonly pop: Population,
    private readonly layout: NodeLayout,
    private readonly keys: KeyRing,
    private readonly options: LedgerOptions,
    genesis: readonly NodeId[],
  ) {
    this.committees.set(0, [...genesis]);
  }

  /** Whether a reconfiguration has been authorised and awaits its checkpoint boundary. */
  get reconfigurationPending(): boolean {
    return this.pending !== null;
  }

  /** The committee (delegate node ids, rank order) the ballots committed so far dictate for epoch + 1. */
  expectedCommittee(): NodeId[] {
    const e = this.epoch + 1;
    const tally = tallyBallots(this.pop, this.ballots, e, this.options.votesPerInstitution);
    return electFromTally(this.pop, tally, this.options.committee, this.options.tieBreak).committee.map((c) => this.layout.delegateNode(c));
  }

  /** Applies block `seq` (must be lastSeq + 1); returns the block's reconfigure decision, if any. */
  applyBlock(seq: number, requests: readonly LedgerRequest[]): ReconfigureDecision | undefined {
    if (seq !== this.lastSeq + 1) throw new RangeError(`DposLedger: block ${seq} after ${this.lastSeq}`);
    this.lastSeq = seq;
    let decision: ReconfigureDecision | undefined;
    for (const r of requests) {
      const key = `${r.client}:${r.timestamp}`;
      if (this.executed.has(key)) continue; // PBFT executes a request at most once
      this.executed.add(key);
      const op = r.op;
      if (op.kind === 'reconfigure') {
        if (decision) continue; // PBFT considers only the first reconfigure of a block
        let authorized = false;
        if (!this.pending && validMembers(op.members)) {
          const expected = this.expectedCommittee();
          authorized = sameMembers(expected, op.members);
          if (authorized) {
            const K = this.options.checkpointInterval;
            this.pending = { members: [...op.members], at: (Math.floor(seq / K) + 1) * K };
            this.committees.set(this.epoch + 1, [...op.members]);
            this.ballotsCounted.set(this.epoch + 1, tallyBallots(this.pop, this.ballots, this.epoch + 1, this.options.votesPerInstitution).counted.length);
          }
        }
        decision = { seq, client: r.client, timestamp: r.timestamp, members: [...op.members], authorized, epoch: this.epoch };
        this.decisions.push(decision);
        continue;
      }
      const t = parseTag(op.tag);
      if (!t) {
        this.malformed++;
        continue;
      }
      if (t.kind === 'record') {
        this.records++;
        this.applyRecord(seq, r.client, t);
      } else if (t.kind === 'access') {
        this.accessEvents++;
        this.applyAccess(seq, r.client, t);
      }
      else if (!this.pending && t.ballot.epoch === this.epoch + 1 && ballotSignatureValid(this.keys, this.layout, this.pop, t.ballot, t.signature)) this.ballots.push(t.ballot);
      else this.ballotsIgnored++;
    }
    if (this.pending && seq === this.pending.at) {
      this.epoch++;
      this.pending = null;
      this.ballots = [];
    }
    return decision;
  }

  private applyRecord(seq: number, client: NodeId, t: Extract<ParsedTag, { kind: 'record' }>): void {
    if (this.recordEntries.has(t.hash) || t.institution >= this.pop.institutions.length || client !== this.layout.institutionNode(t.institution)) {
      this.recordsRefused++;
      return;
    }
    this.recordEntries.set(t.hash, { owner: t.institution, hash: t.hash, meta: t.meta, seq });
  }

  private applyAccess(seq: number, client: NodeId, t: Extract<ParsedTag, { kind: 'access' }>): void {
    const rec = this.recordEntries.get(t.record);
    if (!rec || rec.owner !== t.institution || client !== this.layout.institutionNode(t.institution)) {
      this.accessRefused++;
      return;
    }
    const key = `${t.record}|${t.grantee}`;
    let h = this.access.get(key);
    if (!h) this.access.set(key, (h = []));
    const e: AccessEntry = { record: t.record, grantee: t.grantee, grant: t.permission === 'grant', delegation: t.delegation, seq };
    h.push(e);
    this.onAccess?.(e);
  }

  /** Every committed access event for (record, grantee), in log order. */
  accessHistory(record: string, grantee: number): readonly AccessEntry[] {
    return this.access.get(`${record}|${grantee}`) ?? [];
  }

  /** The latest committed access event for (record, grantee) at or before `seq` (default: now). */
  accessAt(record: string, grantee: number, seq = this.lastSeq): AccessEntry | undefined {
    const h = this.access.get(`${record}|${grantee}`);
    if (!h) return undefined;
    for (let i = h.length - 1; i >= 0; i--) if (h[i].seq <= seq) return h[i];
    return undefined;
  }

  /** Whether a committed grant with delegation `id` is in force for (record, grantee) at `seq`. */
  granted(record: string, grantee: number, id: string, seq = this.lastSeq): boolean {
    const e = this.accessAt(record, grantee, seq);
    return !!e && e.grant && e.delegation?.id === id;
  }
}
