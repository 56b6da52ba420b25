/**
 * Seed 003's delegate election (DPoS, as in BitShares/EOS approval voting; Larimer 2014): every
 * epoch each institution approves up to V candidates; an approval carries the voter's full
 * weighted vote, stake × tier weight; the k candidates with the most weighted votes form the
 * committee, and the committee order — PBFT's primary order (Castro & Liskov, TOCS'02 §4.1:
 * primary of view v is member v mod k) — is the rank order.
 *
 * Everything here is a pure function of (population, options, seed, epoch):
 *
 * - **Voting strategies** of honest institutions (`VotingStrategy`):
 *   - `trust` (default): voter i scores candidate c as `trust[tier(c)] + trustNoise · u(i, c)`,
 *     u uniform in [0, 1) from the voter's stream `voterRng(seed, epoch, i)` drawn in ascending
 *     candidate order;
 *     it approves its V highest-scored candidates (score ties: lower candidate id). "Trust" is
 *     thus a seeded per-voter preference order biased towards higher-trust tiers.
 *   - `stake`: approves the V candidates with most stake (ties: lower id) — everybody agrees.
 *   - `uniform`: approves a uniform random V-subset (same stream).
 * - **Cartel** members ignore the strategy and all approve the same list: the cartel's candidates,
 *   richest first (ties: lower id), at most V of them — pooling the cartel's whole voting power on
 *   its own candidates.
 * - **Tally**: ballots are counted in the order given (= commit order on chain); a voter's first
 *   valid ballot of the epoch counts, later ones are ignored; a ballot is invalid (ignored whole)
 *   if its voter is unknown, its epoch is wrong, it approves more than V candidates, repeats one,
 *   or names a non-candidate.
 * - **Rank**: weighted votes descending, ties broken by `tieBreak`:
 *   `lowest-id` (lower candidate id first) or `epoch-hash` (default; ascending
 *   SHA-256("dpos/tie/<epoch>/<id>") hex, so tie luck rotates between epochs and favours no id).
 */
import { createHash } from 'node:crypto';
import type { Population } from './institutions.ts';

export type VotingStrategy = 'trust' | 'stake' | 'uniform';
export type TieBreak = 'lowest-id' | 'epoch-hash';

export interface ElectionOptions {
  /** Committee size k (integer ≥ 1, ≤ number of candidates). */
  committee: number;
  /** V: most candidates one ballot may approve (integer ≥ 1). */
  votesPerInstitution: number;
  /** Honest voters' strategy (default `trust`). */
  strategy?: VotingStrategy;
  /** Amplitude of the per-voter random term added to a tier's trust (unitless, ≥ 0; default 1). */
  trustNoise?: number;
  /** Rule for equal weighted votes (default `epoch-hash`). */
  tieBreak?: TieBreak;
}

/** A vote: `voter` approves `approvals` (candidate institution ids) for `epoch`. */
export interface Ballot {
  readonly epoch: number;
  readonly voter: number;
  readonly approvals: readonly number[];
}

export interface RankedCandidate {
  /** Candidate institution id. */
  readonly id: number;
  /** Weighted votes: Σ over approving voters of stake × tier weight. */
  readonly votes: number;
}

export interface Tally {
  readonly epoch: number;
  /** Weighted votes per candidate (every candidate present, 0 if nobody approved it). */
  readonly votes: ReadonlyMap<number, number>;
  /** Voters whose ballot counted, ascending. */
  readonly counted: readonly number[];
  /** Ballots ignored, with the reason. */
  readonly rejected: readonly { voter: number; reason: string }[];
}

export interface ElectionResult {
  readonly epoch: number;
  /** All candidates in rank order. */
  readonly ranking: readonly RankedCandidate[];
  /** The k elected candidate ids in rank (= primary) order. */
  readonly committee: readonly number[];
  /** Byzantine members of the committee. */
  readonly byzantineSeats: number;
  /** f = ⌊(k − 1)/3⌋. */
  readonly f: number;
  /** byzantineSeats ≤ f: seed 003's consistency condition. */
  readonly consistent: boolean;
}

/**
 * Voter i's random stream for an epoch: xoshiro128** (Blackman & Vigna) whose 128-bit state is
 * SHA-256("medchain-sim/dpos/vote/v1" ‖ seed ‖ epoch) mixed with the voter id through splitmix32.
 * One hash per (seed, epoch), not per voter, so Monte-Carlo over thousands of voters stays cheap,
 * and each voter's stream is still independent of every other voter's draws.
 */
export class VoterRng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | string, epoch: number, voter: number) {
    const base = epochWords(seed, epoch);
    let x = (Math.imul(voter + 1, 0x9e3779b9) ^ base[4]) >>> 0;
    const mix = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = (base[0] ^ mix()) | 0;
    this.s1 = (base[1] ^ mix()) | 0;
    this.s2 = (base[2] ^ mix()) | 0;
    this.s3 = (base[3] ^ mix()) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit output (xoshiro128**). */
  nextU32(): number {
    const r0 = Math.imul(this.s1, 5);
    const out = Math.imul((r0 << 7) | (r0 >>> 25), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return out;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** k distinct indices of [0, n), in draw order (rejection when k ≤ n/4, else partial Fisher–Yates). */
  sample(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`sample: k=${k} > n=${n}`);
    if (4 * k <= n) {
      const out: number[] = [];
      while (out.length < k) {
        const i = Math.floor(this.next() * n);
        if (!out.includes(i)) out.push(i);
      }
      return out;
    }
    const a = Array.from({ length: n }, (_, i) => i);
    for (let j = 0; j < k; j++) {
      const p = j + Math.floor(this.next() * (n - j));
      const t = a[p];
      a[p] = a[j];
      a[j] = t;
    }
    return a.slice(0, k);
  }
}

const epochWordCache = new Map<string, Uint32Array>();
function epochWords(seed: number | string, epoch: number): Uint32Array {
  const key = `${seed}\u0000${epoch}`;
  let w = epochWordCache.get(key);
  if (!w) {
    const d = createHash('sha256').update(`medchain-sim/dpos/vote/v1\u0000${key}`).digest();
    w = new Uint32Array(5);
    for (let i = 0; i < 5; i++) w[i] = d.readUInt32LE(4 * i);
    if (epochWordCache.size > 4096) epochWordCache.clear();
    epochWordCache.set(key, w);
  }
  return w;
}

/** PBFT's fault bound for a committee of k: f = ⌊(k − 1)/3⌋. */
export function faultBound(k: number): number {
  return Math.floor((k - 1) / 3);
}

function checkOptions(pop: Population, o: ElectionOptions): void {
  if (!Number.isInteger(o.committee) || o.committee < 1) throw new RangeError('committee must be an integer ≥ 1');
  if (o.committee > pop.candidates.length) throw new RangeError(`committee ${o.committee} > ${pop.candidates.length} candidates`);
  if (!Number.isInteger(o.votesPerInstitution) || o.votesPerInstitution < 1) throw new RangeError('votesPerInstitution must be an integer ≥ 1');
  if ((o.trustNoise ?? 1) < 0) throw new RangeError('trustNoise must be ≥ 0');
}

/** The cartel's pooled approval list: its candidates, richest first (ties lower id), at most V. */
export function cartelApprovals(pop: Population, votesPerInstitution: number): number[] {
  const inst = pop.institutions;
  return [...pop.cartelCandidates].sort((a, b) => inst[b].stake - inst[a].stake || a - b).slice(0, votesPerInstitution);
}

/** Voter `voter`'s honest approvals under `strategy` (see header). */
export function honestApprovals(pop: Population, voter: number, epoch: number, seed: number | string, o: ElectionOptions): number[] {
  const V = Math.min(o.votesPerInstitution, pop.candidates.length);
  const cands = pop.candidates;
  const inst = pop.institutions;
  switch (o.strategy ?? 'trust') {
    case 'stake':
      return [...cands].sort((a, b) => inst[b].stake - inst[a].stake || a - b).slice(0, V);
    case 'uniform': {
      const rng = new VoterRng(seed, epoch, voter);
      return rng.sample(cands.length, V).map((j) => cands[j]).sort((a, b) => a - b);
    }
    case 'trust': {
      const rng = new VoterRng(seed, epoch, voter);
      const noise = o.trustNoise ?? 1;
      const trust = pop.trustByRank;
      const scores = new Float64Array(cands.length);
      for (let j = 0; j < cands.length; j++) scores[j] = trust[inst[cands[j]].tierRank] + noise * rng.next();
      const idx = [...cands.keys()].sort((a, b) => scores[b] - scores[a] || cands[a] - cands[b]);
      return idx.slice(0, V).map((j) => cands[j]);
    }
  }
}

/** Every institution's ballot for `epoch`, in voter id order. */
export function castBallots(pop: Population, epoch: number, seed: number | string, o: ElectionOptions): Ballot[] {
  checkOptions(pop, o);
  const cartel = cartelApprovals(pop, o.votesPerInstitution);
  return pop.institutions.map((i) => ({ epoch, voter: i.id, approvals: i.cartel ? cartel : honestApprovals(pop, i.id, epoch, seed, o) }));
}

/** Why `b` is invalid for this population and epoch, or undefined if it is valid. */
export function ballotProblem(pop: Population, b: Ballot, epoch: number, votesPerInstitution: number): string | undefined {
  if (b.epoch !== epoch) return `epoch ${b.epoch} ≠ ${epoch}`;
  if (!Number.isInteger(b.voter) || b.voter < 0 || b.voter >= pop.institutions.length) return `unknown voter ${b.voter}`;
  if (b.approvals.length > votesPerInstitution) return `${b.approvals.length} approvals > ${votesPerInstitution}`;
  const seen = new Set<number>();
  for (const c of b.approvals) {
    if (seen.has(c)) return `repeats candidate ${c}`;
    seen.add(c);
    if (!pop.institutions[c]?.candidate) return `${c} is not a candidate`;
  }
  return undefined;
}

/** Counts ballots in the given (commit) order; see the header for validity rules. */
export function tallyBallots(pop: Population, ballots: readonly Ballot[], epoch: number, votesPerInstitution: number): Tally {
  const votes = new Map<number, number>();
  for (const c of pop.candidates) votes.set(c, 0);
  const voted = new Set<number>();
  const rejected: { voter: number; reason: string }[] = [];
  for (const b of ballots) {
    const problem = ballotProblem(pop, b, epoch, votesPerInstitution) ?? (voted.has(b.voter) ? 'second ballot this epoch' : undefined);
    if (problem) {
      rejected.push({ voter: b.voter, reason: problem });
      continue;
    }
    voted.add(b.voter);
    const w = pop.institutions[b.voter].power;
    for (const c of b.approvals) votes.set(c, votes.get(c)! + w);
  }
  return { epoch, votes, counted: [...voted].sort((a, b) => a - b), rejected };
}

const tieKeyCache = new Map<number, string>();
/** Tie-break key of candidate `id` in `epoch` under `epoch-hash`: SHA-256("dpos/tie/<epoch>/<id>") hex (memoised). */
export function tieKey(epoch: number, id: number): string {
  const slot = epoch * 1_048_576 + id; // ids < 2^20
  let k = tieKeyCache.get(slot);
  if (k === undefined) {
    k = createHash('sha256').update(`dpos/tie/${epoch}/${id}`).digest('hex');
    if (tieKeyCache.size > 65_536) tieKeyCache.clear();
    tieKeyCache.set(slot, k);
  }
  return k;
}

/** All candidates in rank order: votes descending, then `tieBreak`. */
export function rankCandidates(votes: ReadonlyMap<number, number>, epoch: number, tieBreak: TieBreak = 'epoch-hash'): RankedCandidate[] {
  const list = [...votes].map(([id, v]) => ({ id, votes: v }));
  const keys = new Map<number, string>();
  const key = (id: number) => {
    let k = keys.get(id);
    if (k === undefined) keys.set(id, (k = tieKey(epoch, id)));
    return k;
  };
  list.sort((a, b) => {
    if (a.votes !== b.votes) return b.votes - a.votes;
    if (tieBreak === 'epoch-hash') {
      const ka = key(a.id), kb = key(b.id);
      if (ka !== kb) return ka < kb ? -1 : 1;
    }
    return a.id - b.id;
  });
  return list;
}

/** The committee a tally dictates: the top k of the ranking, in rank order. */
export function electFromTally(pop: Population, tally: Tally, k: number, tieBreak: TieBreak = 'epoch-hash'): ElectionResult {
  if (k > pop.candidates.length) throw new RangeError(`committee ${k} > ${pop.candidates.length} candidates`);
  const ranking = rankCandidates(tally.votes, tally.epoch, tieBreak);
  const committee = ranking.slice(0, k).map((r) => r.id);
  const byzantineSeats = committee.filter((c) => pop.institutions[c].byzantine).length;
  const f = faultBound(k);
  return { epoch: tally.epoch, ranking, committee, byzantineSeats, f, consistent: byzantineSeats <= f };
}

/** One whole election: cast every ballot, tally, elect. */
export function runElection(pop: Population, epoch: number, seed: number | string, o: ElectionOptions): ElectionResult {
  const ballots = castBallots(pop, epoch, seed, o);
  return electFromTally(pop, tallyBallots(pop, ballots, epoch, o.votesPerInstitution), o.committee, o.tieBreak ?? 'epoch-hash');
}
