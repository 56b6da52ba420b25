/**
 * Counts a dpos scenario implies before anything runs: how many institutions each tier holds and
 * how many candidates stand (protocols/dpos/institutions.ts `buildPopulation`, without drawing
 * stakes). The scenario checks (module.ts) use them to refuse a committee larger than the
 * candidates or a network too small for the delegates and institutions, with the number needed.
 *
 * Candidates: the cartel's standing members plus, per tier, the richest ⌈candidateShare × size⌉
 * non-cartel members. Which tiers the cartel's members come from is drawn from the seed, so with
 * a cartel the count is a range over seeds; without one it is exact.
 */
import { apportion, TIERS, type Tier } from './institutions.ts';

/** What the count depends on (a subset of the parsed `protocol:` section). */
export interface CandidateCountInput {
  institutions: number;
  tiers: Record<Tier, { share: number; candidateShare: number }>;
  cartel?: { institutions: number; candidates: number; tiers?: readonly Tier[] } | undefined;
}

export interface CandidateCount {
  /** Institutions per tier, in TIERS order. */
  tierSizes: number[];
  /** Fewest candidates any seed gives. */
  min: number;
  /** Most candidates any seed gives (the node count needed is max + institutions). */
  max: number;
  /** Institutions the cartel may be drawn from (its tiers). */
  cartelPool: number;
}

/** The range of the candidate count over seeds (exact when there is no cartel). */
export function candidateCount(cfg: CandidateCountInput): CandidateCount {
  const tierSizes = apportion(cfg.institutions, TIERS.map((t) => cfg.tiers[t].share));
  const wanted = TIERS.map((t, i) => Math.ceil(cfg.tiers[t].candidateShare * tierSizes[i] - 1e-9));
  const c = cfg.cartel;
  const allowed = new Set<Tier>(c?.tiers ?? TIERS);
  const cartelPool = TIERS.reduce((n, t, i) => n + (allowed.has(t) ? tierSizes[i] : 0), 0);
  const base = wanted.reduce((a, b) => a + b, 0);
  if (!c || c.institutions === 0) return { tierSizes, min: base, max: base, cartelPool };
  // A cartel member in tier t removes a candidate only once the tier's non-candidates (its slack)
  // are used up. Most candidates: members fill slack first; fewest: they fill the tiers with the
  // least slack first.
  const tiers = TIERS.map((t, i) => ({ size: tierSizes[i], slack: tierSizes[i] - wanted[i] })).filter((_, i) => allowed.has(TIERS[i]));
  const members = Math.min(c.institutions, cartelPool);
  const totalSlack = tiers.reduce((n, t) => n + t.slack, 0);
  const maxLoss = (() => {
    let left = members;
    let loss = 0;
    for (const t of [...tiers].sort((a, b) => a.slack - b.slack)) {
      const take = Math.min(left, t.size);
      loss += Math.max(0, take - t.slack);
      left -= take;
    }
    return loss;
  })();
  return { tierSizes, min: c.candidates + base - maxLoss, max: c.candidates + base - Math.max(0, members - totalSlack), cartelPool };
}
