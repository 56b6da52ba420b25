/**
 * Sweep trial module: a batch of seed-003 delegate elections through protocols/dpos's real
 * election code (institutions with tiers and stake, stake-weighted approval ballots, tally,
 * deterministic tie-break), for the `dpos-consistency` figure.
 *
 * Point params (`DposElectionParams`), by `kind`:
 * - `tiers`: a DEFAULT_TIERS population of `institutions` (chosen by the figure so that exactly
 *   `candidates` stand) with `byzantine` Byzantine candidates placed by `placement`:
 *     `spread` — a uniform sample of all candidates, so they fall in every candidate tier in
 *                proportion (protocols/dpos `electionMonteCarlo` with `byzantineCandidates`);
 *     `tertiary` — a uniform sample of the tertiary hospitals' candidates: Byzantine
 *                institutions among the hospitals voters trust most after the regulator.
 *   Honest voters use the `trust` strategy with V = k approvals (the dpos module's defaults).
 *   A trial returns {successes, trials, seatHistogram}: elections whose committee held ≤ f
 *   Byzantine delegates.
 * - `cartel`: a DEFAULT_TIERS population with a cartel of `cartelInstitutions` members (from
 *   `cartelTiers`) rescaled to `powerShare` of all voting power, `cartelCandidates` of them
 *   standing; per election: the cartel's seats in the real election, the seats protocols/dpos
 *   `cartelThreshold` predicts against the honest tally, and the critical power share.
 *
 * `elections` (in the params): elections per trial. Election e of a trial uses seed `<seedHex>/trial/e`.
 */
import { cartelThreshold, electionMonteCarlo } from '../../protocols/dpos/analysis.ts';
import { runElection, type ElectionOptions } from '../../protocols/dpos/election.ts';
import { buildPopulation, DEFAULT_TIERS, TIERS, type Institution, type Population, type PopulationSpec, type Tier } from '../../protocols/dpos/institutions.ts';
import { Rng } from '../../sim/rng.ts';
import type { TrialTask } from '../trial.ts';

export type DposElectionParams =
  | { kind: 'tiers'; elections: number; institutions: number; candidates: number; byzantine: number; committee: number; placement: 'spread' | 'tertiary' }
  | { kind: 'cartel'; elections: number; institutions: number; committee: number; cartelInstitutions: number; cartelCandidates: number; cartelTiers: Tier[]; powerShare: number };

export interface TiersTrialResult {
  successes: number;
  trials: number;
  /** seatHistogram[x] = elections with x Byzantine seats. */
  seatHistogram: number[];
}

export interface CartelTrialResult {
  trials: number;
  /** Cartel seats in each real election. */
  seats: number[];
  /** Seats cartelThreshold predicts against the honest tally (ties against the cartel), per election. */
  predicted: number[];
  /** Critical power share per election (1 if the cartel backs ≤ f candidates). */
  critical: number[];
  /** Cartel's realised share of voting power, per election (rescaling rounds stakes). */
  powerShare: number[];
  f: number;
}

/** Voting defaults of the dpos module: trust strategy, V = k, noise 1, epoch-hash ties. */
export function electionOptions(committee: number): ElectionOptions {
  return { committee, votesPerInstitution: committee, strategy: 'trust', trustNoise: 1, tieBreak: 'epoch-hash' };
}

/** A copy of `pop` whose Byzantine candidates are exactly `ids`. */
export function relabel(pop: Population, ids: readonly number[]): Population {
  const set = new Set(ids);
  const institutions: Institution[] = pop.institutions.map((i) => ({ ...i, byzantine: set.has(i.id) }));
  return { ...pop, institutions, byzantine: [...set].sort((a, b) => a - b) };
}

/** `count` of the tertiary hospitals' candidates, a uniform sample (throws if there are fewer). */
export function tertiaryByzantine(pop: Population, count: number, rng: Rng): number[] {
  const ids = pop.candidates.filter((c) => pop.institutions[c].tier === 'tertiary');
  if (ids.length < count) throw new RangeError(`tertiary placement: ${count} Byzantine > ${ids.length} tertiary candidates`);
  return rng.sample(ids.length, count).map((j) => ids[j]);
}

export function tiersPopulation(institutions: number, byzantine = 0): PopulationSpec {
  return { institutions, tiers: DEFAULT_TIERS, byzantineCandidates: byzantine };
}

export function runTrial(task: TrialTask<DposElectionParams, unknown>): TiersTrialResult | CartelTrialResult {
  const p = task.point.params;
  const n = p.elections;
  const k = p.committee;
  const f = Math.floor((k - 1) / 3);
  const o = electionOptions(k);
  if (p.kind === 'tiers') {
    if (p.placement === 'spread') {
      const r = electionMonteCarlo({ population: tiersPopulation(p.institutions, p.byzantine), election: o, trials: n, seed: task.seedHex });
      return { successes: r.successes, trials: r.trials, seatHistogram: r.seatHistogram };
    }
    const hist = new Array<number>(k + 1).fill(0);
    let successes = 0;
    for (let e = 0; e < n; e++) {
      const seed = `${task.seedHex}/trial/${e}`;
      const base = buildPopulation(tiersPopulation(p.institutions), seed);
      const pop = relabel(base, tertiaryByzantine(base, p.byzantine, Rng.stream(seed, 'analysis/byzantine-placement')));
      const r = runElection(pop, 0, seed, o);
      hist[r.byzantineSeats]++;
      if (r.byzantineSeats <= f) successes++;
    }
    return { successes, trials: n, seatHistogram: hist };
  }
  const spec: PopulationSpec = {
    institutions: p.institutions,
    tiers: DEFAULT_TIERS,
    cartel: { institutions: p.cartelInstitutions, stakeShare: p.powerShare, basis: 'power', candidates: p.cartelCandidates, tiers: p.cartelTiers.length ? p.cartelTiers : [...TIERS] },
  };
  const out: CartelTrialResult = { trials: n, seats: [], predicted: [], critical: [], powerShare: [], f };
  for (let e = 0; e < n; e++) {
    const seed = `${task.seedHex}/trial/${e}`;
    const pop = buildPopulation(spec, seed);
    const seats = runElection(pop, 0, seed, o).byzantineSeats; // only the cartel's candidates are Byzantine here
    const t = cartelThreshold(pop, 0, seed, o);
    out.seats.push(seats);
    out.predicted.push(t.predictedSeats);
    out.critical.push(t.criticalPowerShare);
    out.powerShare.push(t.cartelPowerShare);
  }
  return out;
}
