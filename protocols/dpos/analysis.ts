/**
 * Seed 003's consistency analysis ("consensus with 99 % probability"), read as in GUIDE.md §2:
 * the probability that the elected committee of k delegates holds at most f = ⌊(k − 1)/3⌋
 * Byzantine members — PBFT's bound (Castro & Liskov, TOCS'02 §2: safety and liveness need
 * n ≥ 3f + 1).
 *
 * (a) Uniform election — the committee is a uniform k-subset of N candidates, B Byzantine — so the
 *     Byzantine seat count X is hypergeometric: P(X = x) = C(B, x)·C(N − B, k − x) / C(N, k).
 *     Computed exactly in BigInt and rounded once to a double (`bigRatio`), so N up to thousands
 *     and k up to hundreds lose nothing; `inconsistencyProbability` sums the upper tail directly,
 *     so a failure probability of 1e-30 is not lost in 1 − 1e-30.
 * (b) Elections with tiers, stake and a colluding cartel: `electionMonteCarlo` runs the real
 *     election code of election.ts on freshly drawn populations, one per trial, and returns
 *     {successes, trials} for the caller's Wilson interval. When Byzantine candidates are a
 *     uniform sample independent of the votes, (b) reduces to (a) by exchangeability (whatever
 *     the election does, it cannot see the labels) — the test suite checks this.
 * (c) Cartel case, exact for a given honest tally (`cartelThreshold`): the cartel adds its whole
 *     voting power W to each candidate it backs; its s-th strongest candidate is seated iff it
 *     beats the (k − s + 1)-th strongest honest candidate. So the cartel holds more than f seats
 *     iff W exceeds the honest threshold h_(k−f) − (honest votes of its (f+1)-th candidate), and
 *     the critical share of voting power is W* / (W* + H), H the honest voting power.
 */
import type { ElectionOptions, Tally } from './election.ts';
import { cartelApprovals, castBallots, electFromTally, faultBound, rankCandidates, tallyBallots } from './election.ts';
import type { Population, PopulationSpec } from './institutions.ts';
import { buildPopulation, uniformPopulationSpec } from './institutions.ts';

export { faultBound };

/** C(n, k) exactly (0 outside 0 ≤ k ≤ n). */
export function binomialBig(n: number, k: number): bigint {
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 0 || n < 0 || k > n) return 0n;
  const kk = Math.min(k, n - k);
  let r = 1n;
  for (let i = 1; i <= kk; i++) r = (r * BigInt(n - kk + i)) / BigInt(i); // exact: r·(n−kk+i) = C(n−kk+i, i)·i
  return r;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** num / den as the nearest double (num, den ≥ 0, den > 0), without overflow or early underflow. */
export function bigRatio(num: bigint, den: bigint): number {
  if (den <= 0n) throw new RangeError('bigRatio: denominator must be positive');
  if (num === 0n) return 0;
  const shift = 64 + bitLength(den) - bitLength(num); // the quotient keeps 64–65 significant bits
  if (shift <= 0) return Number(num / den); // ratio ≥ 2^63: the integer part has all the precision a double holds
  const q = Number((num << BigInt(shift)) / den); // in [2^63, 2^65)
  return q * 2 ** -64 * 2 ** (64 - shift); // two steps: no premature underflow for tiny ratios
}

function checkHyper(N: number, B: number, k: number): void {
  for (const [name, v] of [['candidates', N], ['byzantine', B], ['committee', k]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer ≥ 0`);
  }
  if (B > N) throw new RangeError(`byzantine ${B} > candidates ${N}`);
  if (k > N) throw new RangeError(`committee ${k} > candidates ${N}`);
}

/** Σ_{x ∈ xs} C(B, x)·C(N − B, k − x), exactly. */
function hyperMass(N: number, B: number, k: number, from: number, to: number): bigint {
  let s = 0n;
  for (let x = Math.max(0, from); x <= to; x++) s += binomialBig(B, x) * binomialBig(N - B, k - x);
  return s;
}

/** P(X = x) for X ~ Hypergeometric(N candidates, B Byzantine, k drawn). */
export function hypergeometricPmf(N: number, B: number, k: number, x: number): number {
  checkHyper(N, B, k);
  return bigRatio(binomialBig(B, x) * binomialBig(N - B, k - x), binomialBig(N, k));
}

/** P(X ≤ x). */
export function hypergeometricCdf(N: number, B: number, k: number, x: number): number {
  checkHyper(N, B, k);
  return bigRatio(hyperMass(N, B, k, 0, Math.min(x, k)), binomialBig(N, k));
}

/**
 * Seed 003's consistency probability under a uniform election: P(X ≤ f), X the Byzantine seats
 * of a uniform k-subset of N candidates of which B are Byzantine; f defaults to ⌊(k − 1)/3⌋.
 */
export function consistencyProbability(N: number, B: number, k: number, f: number = faultBound(k)): number {
  return hypergeometricCdf(N, B, k, f);
}

/** 1 − consistencyProbability, summed over the upper tail P(X > f) so tiny values stay exact. */
export function inconsistencyProbability(N: number, B: number, k: number, f: number = faultBound(k)): number {
  checkHyper(N, B, k);
  return bigRatio(hyperMass(N, B, k, f + 1, Math.min(B, k)), binomialBig(N, k));
}

export interface ElectionMcOptions {
  /** Population drawn afresh in every trial (stakes, cartel membership, extra Byzantine candidates). */
  population: PopulationSpec;
  /** Committee size, ballot size, strategy, tie rule. */
  election: ElectionOptions;
  /** Number of trials (integer ≥ 1). */
  trials: number;
  /** Run seed; trial t uses seed `${seed}/trial/${firstTrial + t}` for its population and ballots. */
  seed: number | string;
  /** Index of the first trial (for shards); default 0. */
  firstTrial?: number;
}

export interface ElectionMcResult {
  /** Trials whose committee held ≤ f Byzantine delegates. */
  successes: number;
  trials: number;
  /** seatHistogram[x] = trials with exactly x Byzantine seats (length k + 1). */
  seatHistogram: number[];
  /** f used. */
  f: number;
}

/** Monte-Carlo of seed 003's consistency over elections with tiers, stake and collusion. */
export function electionMonteCarlo(o: ElectionMcOptions): ElectionMcResult {
  if (!Number.isInteger(o.trials) || o.trials < 1) throw new RangeError('trials must be an integer ≥ 1');
  const k = o.election.committee;
  const f = faultBound(k);
  const seatHistogram = new Array<number>(k + 1).fill(0);
  let successes = 0;
  const first = o.firstTrial ?? 0;
  for (let t = 0; t < o.trials; t++) {
    const seed = `${o.seed}/trial/${first + t}`;
    const pop = buildPopulation(o.population, seed);
    const ballots = castBallots(pop, 0, seed, o.election);
    const r = electFromTally(pop, tallyBallots(pop, ballots, 0, o.election.votesPerInstitution), k, o.election.tieBreak ?? 'epoch-hash');
    seatHistogram[r.byzantineSeats]++;
    if (r.byzantineSeats <= f) successes++;
  }
  return { successes, trials: o.trials, seatHistogram, f };
}

/**
 * The simulated counterpart of `consistencyProbability`: elections through the real code with N
 * equal institutions, all candidates, B of them Byzantine (a fresh uniform sample per trial), each
 * approving a uniform random V-subset (default V = 1).
 */
export function uniformElectionMonteCarlo(N: number, B: number, k: number, trials: number, seed: number | string, votesPerInstitution = 1): ElectionMcResult {
  return electionMonteCarlo({
    population: uniformPopulationSpec(N, B),
    election: { committee: k, votesPerInstitution, strategy: 'uniform', tieBreak: 'epoch-hash' },
    trials,
    seed,
  });
}

/**
 * Cartel seats against fixed honest tallies, ties counted against the cartel: the cartel's
 * candidates (with totals `cartelTotals`, i.e. cartel power + honest votes they received) and the
 * honest candidates (`honestVotes`) are merged; returns how many cartel candidates are in the top k.
 */
export function cartelSeats(honestVotes: readonly number[], cartelTotals: readonly number[], k: number): number {
  const h = [...honestVotes].sort((a, b) => b - a);
  const c = [...cartelTotals].sort((a, b) => b - a);
  let seats = 0;
  // The s-th cartel candidate is seated iff it strictly beats the (k − s + 1)-th honest one (or there is none).
  for (let s = 1; s <= Math.min(c.length, k); s++) {
    const rival = h[k - s];
    if (rival === undefined || c[s - 1] > rival) seats = s;
    else break;
  }
  return seats;
}

export interface CartelThreshold {
  /** Honest voting power H (stake × weight summed over non-cartel institutions). */
  honestPower: number;
  /** Cartel voting power W. */
  cartelPower: number;
  /** W / (W + H). */
  cartelPowerShare: number;
  /** Cartel candidates the cartel backs (≤ V). */
  backed: number;
  /** Seats the cartel wins against the honest tally (ties against the cartel). */
  predictedSeats: number;
  /** f = ⌊(k − 1)/3⌋. */
  f: number;
  /** Smallest W giving the cartel f + 1 seats against this honest tally (Infinity if it backs ≤ f candidates). */
  criticalPower: number;
  /** criticalPower / (criticalPower + H): the cartel's critical share of voting power. */
  criticalPowerShare: number;
  /** predictedSeats ≤ f. */
  consistent: boolean;
}

/**
 * Exact cartel analysis for one population and epoch: tally the honest ballots (cartel ballots
 * removed), then compute the seats the cartel's pooled power buys and the power it would need for
 * f + 1 seats. Honest Byzantine candidates outside the cartel (extra ones) are ignored here.
 */
export function cartelThreshold(pop: Population, epoch: number, seed: number | string, o: ElectionOptions): CartelThreshold {
  const k = o.committee;
  const f = faultBound(k);
  const honestBallots = castBallots(pop, epoch, seed, o).filter((b) => !pop.institutions[b.voter].cartel);
  const honest: Tally = tallyBallots(pop, honestBallots, epoch, o.votesPerInstitution);
  const backedIds = cartelApprovals(pop, o.votesPerInstitution);
  const backed = new Set(backedIds);
  let W = 0;
  for (const i of pop.cartel) W += pop.institutions[i].power;
  const H = pop.totalPower - W;
  const honestVotes: number[] = [];
  const cartelHonestVotes: number[] = [];
  for (const r of rankCandidates(honest.votes, epoch, 'lowest-id')) (backed.has(r.id) ? cartelHonestVotes : honestVotes).push(r.votes);
  const predictedSeats = cartelSeats(honestVotes, cartelHonestVotes.map((v) => v + W), k);
  let criticalPower = Number.POSITIVE_INFINITY;
  if (backedIds.length >= f + 1) {
    // Need W + (honest votes of the (f+1)-th cartel candidate at that W) > h_(k−f); the cartel
    // order by honest votes does not change with W, so take the (f+1)-th largest.
    const rival = honestVotes[k - f - 1] ?? -1;
    criticalPower = Math.max(0, rival - cartelHonestVotes[f] + 1);
  }
  return {
    honestPower: H,
    cartelPower: W,
    cartelPowerShare: W + H > 0 ? W / (W + H) : 0,
    backed: backedIds.length,
    predictedSeats,
    f,
    criticalPower,
    criticalPowerShare: Number.isFinite(criticalPower) ? criticalPower / (criticalPower + H) : 1,
    consistent: predictedSeats <= f,
  };
}
