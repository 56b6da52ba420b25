/**
 * One check run: suite × seed (× mutant). Also the sweep-engine trial module that `medsim check`
 * runs on its worker pool.
 *
 * The seed decides everything: the fault draws (`check/faults` stream) and the run itself. The
 * same (suite, seed, mutant) therefore gives the same scenario and the same trace hash, which is
 * what makes `medsim check <suite> --seed S` a replay.
 */
import { PROTOCOLS, protocolSchemas } from '../../protocols/registry.ts';
import type { TraceEntry } from '../../sim/trace.ts';
import { runScenario } from '../../sim/runner.ts';
import { loadScenario, setPath, validateScenario } from '../../sim/scenario/index.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { TrialTask } from '../trial.ts';
import { applyFaultDraws } from './draws.ts';
import { loadSuite, type Suite } from './suite.ts';

export interface CheckPointParams {
  suiteFile: string;
  /** Seed of trial 0; trial i runs seed baseSeed + i. */
  baseSeed: number;
  mutant?: string;
}

export interface CheckOutcome {
  suite: string;
  seed: number;
  mutant: string | null;
  /** pass: no violation; safety / liveness / crash: the run stopped on that kind of violation. */
  status: 'pass' | 'safety' | 'liveness' | 'crash';
  invariant: string | null;
  message: string | null;
  traceHash: string;
  events: number;
  simTimeUs: number;
  /** Fault parameters this seed drew, by scenario path. */
  drawn: Record<string, unknown>;
  /** Events leading up to the violation (failures only). */
  history?: TraceEntry[];
}

/** Builds the concrete scenario of (suite, seed, mutant): base + fixed overrides + mutant + draws. */
export function checkScenario(suite: Suite, seed: number, mutant?: string): { raw: Record<string, unknown>; scenario: Scenario; drawn: Record<string, unknown> } {
  let pinned: Record<string, unknown> = {};
  if (mutant !== undefined) {
    const m = suite.mutants[mutant];
    if (!m) throw new Error(`suite ${suite.suite} has no mutant "${mutant}" (has: ${Object.keys(suite.mutants).join(', ') || 'none'})`);
    pinned = m.set;
  }
  const registry = protocolSchemas();
  const loaded = loadScenario(suite.scenarioFile, { registry, overrides: suite.set, overrideSource: `${suite.file} (set)` });
  const raw = structuredClone(loaded.raw);
  raw.seed = seed;
  const drawn = applyFaultDraws(raw, suite.faults, seed);
  // A mutant's settings are applied after the draws: they pin what the mutant needs (e.g. a
  // colluding cartel) while the seed still varies everything else (partitions, clogs, timing).
  for (const path of Object.keys(pinned).sort()) setPath(raw, path, structuredClone(pinned[path]));
  const scenario = validateScenario(raw, registry, { file: `${suite.file} (seed ${seed} draws)` }) as Scenario;
  return { raw, scenario, drawn };
}

/** Runs one (suite, seed, mutant). */
export function runCheck(suite: Suite, seed: number, mutant?: string): CheckOutcome {
  const { scenario, drawn } = checkScenario(suite, seed, mutant);
  const { result } = runScenario(scenario, PROTOCOLS, seed);
  const v = result.violation;
  return {
    suite: suite.suite,
    seed,
    mutant: mutant ?? null,
    status: v ? v.kind : 'pass',
    invariant: v?.invariant ?? null,
    message: v?.message ?? null,
    traceHash: result.traceHash,
    events: result.events,
    simTimeUs: result.simTimeUs,
    drawn,
    ...(v ? { history: v.history } : {}),
  };
}

const suites = new Map<string, Suite>();

/** Sweep-engine entry point: trial i of a suite point runs seed baseSeed + i. */
export function runTrial(task: TrialTask<CheckPointParams>): CheckOutcome {
  const p = task.point.params;
  let suite = suites.get(p.suiteFile);
  if (!suite) suites.set(p.suiteFile, (suite = loadSuite(p.suiteFile)));
  return runCheck(suite, p.baseSeed + task.trial, p.mutant);
}

/** Per-suite summary for the sweep engine's summary.json. */
export function summarizePoint(results: CheckOutcome[]): Record<string, unknown> {
  const count = (s: CheckOutcome['status']) => results.filter((r) => r.status === s).length;
  return { seeds: results.length, passed: count('pass'), safety: count('safety'), liveness: count('liveness'), crash: count('crash') };
}
