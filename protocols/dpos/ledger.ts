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
 *   access|<institution>|<record sha256>|<grantee>|grant|revoke   an access event
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
 *   and a new ballot window opens — exactly when the PBFT replica switches committees.
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

export type ParsedTag =
  | { kind: 'ballot'; ballot: Ballot; signature: string }
  | { kind: 'record'; institution: number; hash: string }
  | { kind: 'access'; institution: number; record: string; grantee: number; permission: 'grant' | 'revoke' };

const INT = /^(0|[1-9][0-9]{0,8})$/;
const HEX64 = /^[0-9a-f]{64}$/;

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
    case 'record':
      return p.length === 3 && INT.test(p[1]) && HEX64.test(p[2]) ? { kind: 'record', institution: Number(p[1]), hash: p[2] } : undefined;
    case 'access':
      return p.length === 5 && INT.test(p[1]) && HEX64.test(p[2]) && INT.test(p[3]) && (p[4] === 'grant' || p[4] === 'revoke')
        ? { kind: 'access', institution: Number(p[1]), record: p[2], grantee: Number(p[3]), permission: p[4] }
        : undefined;
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

/** Called before a ballot signature is checked (signer node, digest, signature), e.g. to charge its CPU time. */
export type OnVerify = (signer: NodeId, digest: string, signature: string) => void;

/** Signature check of a parsed ballot against the voter's node key (cached by the KeyRing). */
export function ballotSignatureValid(keys: KeyRing, layout: NodeLayout, pop: Population, b: Ballot, signature: string, onVerify?: OnVerify): boolean {
  if (!Number.isInteger(b.voter) || b.voter < 0 || b.voter >= pop.institutions.length) return false;
  const signer = layout.institutionNode(b.voter);
  const digest = ballotDigest(b);
  onVerify?.(signer, digest, signature);
  return keys.verify(signer, digest, signature);
}

/** Stateless validity of an operation, for `hooks.validateOp` (before pre-preparing). */
export function operationWellFormed(op: Operation, pop: Population, keys: KeyRing, layout: NodeLayout, votesPerInstitution: number, onVerify?: OnVerify): boolean {
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
    return ballotSignatureValid(keys, layout, pop, t.ballot, t.signature, onVerify);
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
      if (t.kind === 'record') this.records++;
      else if (t.kind === 'access') this.accessEvents++;
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
}
