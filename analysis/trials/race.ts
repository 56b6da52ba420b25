/**
 * Sweep trial module: one batch of abstract double-spend races (analysis/doublespend.ts).
 *
 * Point params `{q, z, giveUp?, strict?}`; options `{races}` (races per trial). A trial returns
 * the batch's success count; the point summary pools all batches into one binomial estimate
 * with Wilson and Clopper–Pearson 95 % intervals, next to the exact value of the race rule.
 */
import { raceExact, raceMonteCarlo, type RaceMonteCarloResult, type RaceRule } from '../doublespend.ts';
import { clopperPearson, wilson } from '../stats.ts';
import type { TrialPoint, TrialTask } from '../trial.ts';

export interface RaceParams extends RaceRule {
  q: number;
  z: number;
}
export interface RaceOptions {
  races: number;
}

export function runTrial(task: TrialTask<RaceParams, RaceOptions>): RaceMonteCarloResult {
  const { q, z, giveUp, strict } = task.point.params;
  return raceMonteCarlo({ q, z, trials: task.options.races, seed: task.seedHex, ...(giveUp !== undefined ? { giveUp } : {}), ...(strict !== undefined ? { strict } : {}) });
}

export function summarizePoint(results: RaceMonteCarloResult[], point: TrialPoint<RaceParams>): Record<string, unknown> {
  let successes = 0;
  let trials = 0;
  let steps = 0;
  for (const r of results) {
    successes += r.successes;
    trials += r.trials;
    steps += r.steps;
  }
  const { q, z, giveUp, strict } = point.params;
  const w = wilson(successes, trials);
  const cp = clopperPearson(successes, trials);
  return {
    q,
    z,
    races: trials,
    batches: results.length,
    successes,
    steps,
    probability: { n: trials, proportion: w.estimate, ciLow: w.low, ciHigh: w.high, cpLow: cp.low, cpHigh: cp.high },
    exact: raceExact(q, z, { ...(giveUp !== undefined ? { giveUp } : {}), ...(strict !== undefined ? { strict } : {}) }),
  };
}
