/**
 * Seed 003 (Feng Tao et al., 2020, "alliance-chain medical data model"): medical institutions are
 * *ranked* — tertiary hospitals, secondary hospitals, clinics, insurers, the regulator — and elect
 * delegates by stake-weighted vote (DPoS, after Larimer's BitShares/EOS delegated proof of stake);
 * the delegates run PBFT (Castro & Liskov, OSDI'99 / TOCS'02). This module builds the institution
 * population of one run: tiers, integer stakes, candidates, the colluding cartel and which
 * candidates are Byzantine. Pure and deterministic: everything random comes from
 * `Rng.stream(seed, label)` with the labels listed below.
 *
 * Layout rules (documented, because elections break ties on ids):
 * - tier sizes: largest-remainder apportionment of `institutions` by `share` (remainder ties go
 *   to the higher-ranked tier); institution ids are assigned tier by tier in rank order
 *   (tertiary first), so id order within a tier is draw order;
 * - stakes: integers ≥ 1 drawn per institution in id order from stream `dpos/stake`;
 * - candidates: in each tier the ⌈candidateShare × size⌉ institutions with the most stake stand
 *   (ties: lower id); cartel candidates always stand;
 * - cartel: `cartel.institutions` members sampled from stream `dpos/cartel` among the tiers in
 *   `cartel.tiers`; its stakes are rescaled (×factor, rounded, ≥ 1) so that the cartel holds
 *   `cartel.stakeShare` of all stake (or of all voting power, `basis: 'power'`); its `candidates` members with most stake stand and are
 *   Byzantine;
 * - extra Byzantine candidates (`byzantineCandidates`, e.g. for uniform-election analysis) are a
 *   uniform sample of the non-cartel candidates from stream `dpos/byzantine`.
 */
import { Rng } from '../../sim/rng.ts';

/** Institution tiers in rank order (index = tier rank, 0 = highest). */
export const TIERS = ['tertiary', 'secondary', 'clinic', 'insurer', 'regulator'] as const;
export type Tier = (typeof TIERS)[number];

/** How one tier's stakes are drawn; every value is an integer number of stake tokens. */
export type StakeDistribution =
  /** Every member holds `value` tokens (integer ≥ 1). */
  | { kind: 'fixed'; value: number }
  /** Uniform integer in [min, max] tokens (integers, 1 ≤ min ≤ max). */
  | { kind: 'uniform'; min: number; max: number }
  /** round(median · e^{sigma·Z}), Z standard normal, at least 1 token. */
  | { kind: 'lognormal'; median: number; sigma: number };

export interface TierSpec {
  /** Vote weight of the tier: an institution's weighted vote is stake × weight (integer ≥ 0). */
  weight: number;
  /** Share of the institutions in this tier (fraction ≥ 0; shares are normalised to sum 1). */
  share: number;
  /** Stake distribution of the tier's members (tokens). */
  stake: StakeDistribution;
  /** Fraction of the tier's members that stand as delegate candidates (the richest ones), in [0, 1]. */
  candidateShare: number;
  /** How much honest voters trust this tier's candidates: base preference score (≥ 0, unitless). */
  trust: number;
}

export interface CartelSpec {
  /** Number of colluding institutions (integer ≥ 0). */
  institutions: number;
  /**
   * Fraction the cartel holds after rescaling its members' stakes, in [0, 1): of all stake
   * (`basis: 'stake'`, default) or of all voting power, stake × tier weight (`basis: 'power'`);
   * `null` keeps the drawn stakes.
   */
  stakeShare: number | null;
  /** What `stakeShare` is a share of (default `stake`). */
  basis?: 'stake' | 'power';
  /** Number of cartel members that stand as (Byzantine) candidates; the cartel pools its votes on them. */
  candidates: number;
  /** Tiers the cartel's members are drawn from (default: all tiers). */
  tiers?: readonly Tier[];
}

export interface PopulationSpec {
  /** Number of institutions (integer ≥ 1). */
  institutions: number;
  /** Per-tier parameters. */
  tiers: Readonly<Record<Tier, TierSpec>>;
  /** Colluding cartel, if any. */
  cartel?: CartelSpec;
  /** Extra Byzantine candidates outside the cartel, sampled uniformly (integer ≥ 0; default 0). */
  byzantineCandidates?: number;
}

export interface Institution {
  /** Dense id 0 … institutions − 1. */
  readonly id: number;
  readonly tier: Tier;
  /** Index of `tier` in TIERS (0 = highest rank). */
  readonly tierRank: number;
  /** Stake tokens (integer ≥ 1). */
  readonly stake: number;
  /** Tier vote weight (integer ≥ 0). */
  readonly weight: number;
  /** Voting power: stake × weight. */
  readonly power: number;
  /** Stands as a delegate candidate. */
  readonly candidate: boolean;
  /** Member of the colluding cartel. */
  readonly cartel: boolean;
  /** Its delegate (if elected) is Byzantine. */
  readonly byzantine: boolean;
}

export interface Population {
  readonly institutions: readonly Institution[];
  /** Candidate institution ids, ascending. */
  readonly candidates: readonly number[];
  /** Byzantine candidate ids (cartel candidates and extra ones), ascending. */
  readonly byzantine: readonly number[];
  /** Cartel member ids, ascending. */
  readonly cartel: readonly number[];
  /** Cartel candidate ids, ascending (the candidates the cartel pools its votes on). */
  readonly cartelCandidates: readonly number[];
  /** Sum of all stake (tokens). */
  readonly totalStake: number;
  /** Sum of all voting power (stake × weight). */
  readonly totalPower: number;
  /** Each tier's `trust` (honest voters' base preference score), indexed by tier rank. */
  readonly trustByRank: readonly number[];
}

/** Default tiers: a plausible provincial alliance (weights and shares are illustrative). */
export const DEFAULT_TIERS: Readonly<Record<Tier, TierSpec>> = {
  tertiary: { weight: 5, share: 0.15, stake: { kind: 'uniform', min: 800, max: 1200 }, candidateShare: 1, trust: 4 },
  secondary: { weight: 3, share: 0.3, stake: { kind: 'uniform', min: 300, max: 600 }, candidateShare: 0.5, trust: 3 },
  clinic: { weight: 1, share: 0.45, stake: { kind: 'uniform', min: 50, max: 150 }, candidateShare: 0, trust: 1 },
  insurer: { weight: 2, share: 0.08, stake: { kind: 'uniform', min: 400, max: 800 }, candidateShare: 0.5, trust: 2 },
  regulator: { weight: 5, share: 0.02, stake: { kind: 'fixed', value: 1000 }, candidateShare: 1, trust: 5 },
};

/** Largest-remainder apportionment of `total` seats by `shares`; remainder ties go to the lower index. */
export function apportion(total: number, shares: readonly number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new RangeError('apportion: shares must have a positive sum');
  const quotas = shares.map((s) => (s / sum) * total);
  const counts = quotas.map((q) => Math.floor(q + 1e-9));
  let left = total - counts.reduce((a, b) => a + b, 0);
  // Remainders compared at 1e-9 so that 0.15·10 = 1.4999999999999998 ties with 4.5 as it should.
  const order = quotas.map((q, i) => ({ i, r: Math.max(0, Math.round((q - Math.floor(q + 1e-9)) * 1e9)) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    counts[i]++;
    left--;
  }
  return counts;
}

/** One stake draw (integer tokens ≥ 1). */
export function drawStake(d: StakeDistribution, rng: Rng): number {
  switch (d.kind) {
    case 'fixed':
      return Math.max(1, Math.round(d.value));
    case 'uniform':
      return Math.max(1, rng.intBetween(Math.round(d.min), Math.round(d.max)));
    case 'lognormal':
      return Math.max(1, Math.round(d.median * Math.exp(d.sigma * rng.normal())));
  }
}

function checkSpec(spec: PopulationSpec): void {
  if (!Number.isInteger(spec.institutions) || spec.institutions < 1) throw new RangeError('institutions must be an integer ≥ 1');
  for (const t of TIERS) {
    const s = spec.tiers[t];
    if (!s) throw new RangeError(`tier ${t} missing`);
    if (!Number.isInteger(s.weight) || s.weight < 0) throw new RangeError(`tier ${t}: weight must be an integer ≥ 0`);
    if (!(s.share >= 0)) throw new RangeError(`tier ${t}: share must be ≥ 0`);
    if (!(s.candidateShare >= 0 && s.candidateShare <= 1)) throw new RangeError(`tier ${t}: candidateShare must be in [0, 1]`);
    if (!(s.trust >= 0)) throw new RangeError(`tier ${t}: trust must be ≥ 0`);
  }
  const c = spec.cartel;
  if (c) {
    if (!Number.isInteger(c.institutions) || c.institutions < 0 || c.institutions > spec.institutions) throw new RangeError('cartel.institutions out of range');
    if (!Number.isInteger(c.candidates) || c.candidates < 0 || c.candidates > c.institutions) throw new RangeError('cartel.candidates must be an integer in [0, cartel.institutions]');
    if (c.stakeShare !== null && !(c.stakeShare >= 0 && c.stakeShare < 1)) throw new RangeError('cartel.stakeShare must be in [0, 1)');
  }
}

/** Builds the institution population of a run (see the header for the exact rules). */
export function buildPopulation(spec: PopulationSpec, seed: number | string): Population {
  checkSpec(spec);
  const counts = apportion(spec.institutions, TIERS.map((t) => spec.tiers[t].share));
  const stakeRng = Rng.stream(seed, 'dpos/stake');
  const tierOf: Tier[] = [];
  const stake: number[] = [];
  TIERS.forEach((t, rank) => {
    for (let j = 0; j < counts[rank]; j++) {
      tierOf.push(t);
      stake.push(drawStake(spec.tiers[t].stake, stakeRng));
    }
  });
  const n = spec.institutions;

  // Cartel members and stake rescaling.
  const cartel = new Set<number>();
  const c = spec.cartel;
  if (c && c.institutions > 0) {
    const allowed = new Set<Tier>(c.tiers ?? TIERS);
    const pool = [...Array(n).keys()].filter((i) => allowed.has(tierOf[i]));
    if (pool.length < c.institutions) throw new RangeError(`cartel of ${c.institutions} exceeds the ${pool.length} institutions of its tiers`);
    for (const j of Rng.stream(seed, 'dpos/cartel').sample(pool.length, c.institutions)) cartel.add(pool[j]);
    if (c.stakeShare !== null) {
      let inside = 0, outside = 0;
      const w = (i: number) => (c.basis === 'power' ? spec.tiers[tierOf[i]].weight : 1);
      for (let i = 0; i < n; i++) (cartel.has(i) ? (inside += stake[i] * w(i)) : (outside += stake[i] * w(i)));
      const factor = outside > 0 && inside > 0 ? (c.stakeShare * outside) / ((1 - c.stakeShare) * inside) : 1;
      for (const i of cartel) stake[i] = Math.max(1, Math.round(stake[i] * factor));
    }
  }
  const richestFirst = (a: number, b: number) => stake[b] - stake[a] || a - b;
  const cartelCandidates = new Set<number>([...cartel].sort(richestFirst).slice(0, c?.candidates ?? 0));

  // Candidates per tier: the richest ⌈candidateShare × size⌉ non-cartel members (cartel ones stand by choice).
  const candidate = new Set<number>(cartelCandidates);
  let start = 0;
  TIERS.forEach((t, rank) => {
    const ids = [...Array(counts[rank]).keys()].map((j) => start + j).filter((i) => !cartel.has(i));
    start += counts[rank];
    const m = Math.ceil(spec.tiers[t].candidateShare * counts[rank] - 1e-9);
    for (const i of ids.sort(richestFirst).slice(0, m)) candidate.add(i);
  });

  // Extra Byzantine candidates outside the cartel.
  const byzantine = new Set<number>(cartelCandidates);
  const extra = spec.byzantineCandidates ?? 0;
  if (extra > 0) {
    const honest = [...candidate].filter((i) => !cartel.has(i)).sort((a, b) => a - b);
    if (extra > honest.length) throw new RangeError(`byzantineCandidates ${extra} > ${honest.length} non-cartel candidates`);
    for (const j of Rng.stream(seed, 'dpos/byzantine').sample(honest.length, extra)) byzantine.add(honest[j]);
  }

  const institutions: Institution[] = [];
  let totalStake = 0, totalPower = 0;
  for (let i = 0; i < n; i++) {
    const t = tierOf[i];
    const weight = spec.tiers[t].weight;
    const power = stake[i] * weight;
    totalStake += stake[i];
    totalPower += power;
    institutions.push({ id: i, tier: t, tierRank: TIERS.indexOf(t), stake: stake[i], weight, power, candidate: candidate.has(i), cartel: cartel.has(i), byzantine: byzantine.has(i) });
  }
  if (!Number.isSafeInteger(totalPower)) throw new RangeError('total voting power exceeds 2^53: lower stakes or weights');
  const asc = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { institutions, candidates: asc(candidate), byzantine: asc(byzantine), cartel: asc(cartel), cartelCandidates: asc(cartelCandidates), totalStake, totalPower, trustByRank: TIERS.map((t) => spec.tiers[t].trust) };
}

/** Cartel's share of all stake and of all voting power. */
export function cartelShares(pop: Population): { stake: number; power: number } {
  let s = 0, p = 0;
  for (const i of pop.cartel) {
    s += pop.institutions[i].stake;
    p += pop.institutions[i].power;
  }
  return { stake: pop.totalStake ? s / pop.totalStake : 0, power: pop.totalPower ? p / pop.totalPower : 0 };
}

/** A population for uniform-election analysis: `candidates` equal institutions, all standing, `byzantine` of them Byzantine (uniform sample). */
export function uniformPopulationSpec(candidates: number, byzantine: number): PopulationSpec {
  const one: TierSpec = { weight: 1, share: 1, stake: { kind: 'fixed', value: 1 }, candidateShare: 1, trust: 1 };
  const none: TierSpec = { ...one, share: 0 };
  return {
    institutions: candidates,
    tiers: { tertiary: one, secondary: none, clinic: none, insurer: none, regulator: none },
    byzantineCandidates: byzantine,
  };
}

/** Epoch arithmetic: epoch e covers [e·length, (e+1)·length) µs. */
export function epochOf(timeUs: number, epochLengthUs: number): number {
  return Math.floor(timeUs / epochLengthUs);
}
