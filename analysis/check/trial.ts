/**
 * One check run: suite × seed (× mutant, or its control). Also the sweep-engine trial module
 * that `medsim check` runs on its worker pool.
 *
 * The seed decides everything: the fault draws (`check/faults` stream) and the run itself. The
 * same (suite, seed, mutant) therefore gives the same scenario and the same trace hash, which is
 * what makes `medsim check <suite> --seed S` a replay.
 *
 * A mutant run and its control build the very same scenario — base, the suite's `set`, the
 * seed's draws, then the mutant's `set` — and differ only in the protocol code: the control runs
 * the honest module, the mutant run the module with the mutant applied (`withMutant`).
 */
import { PROTOCOLS, protocolSchemas } from '../../protocols/registry.ts';
import { type ProtocolModules, withMutant } from '../../sim/protocol.ts';
import type { TraceEntry } from '../../sim/trace.ts';
import { runScenario } from '../../sim/runner.ts';
import { loadScenario, setPath, validateScenario } from '../../sim/scenario/index.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { TrialTask } from '../trial.ts';
import { applyFaultDraws } from './draws.ts';
import { loadSuite, SuiteError, type Suite } from './suite.ts';

export interface CheckPointParams {
  suiteFile: string;
  /** Seed of trial 0; trial i runs seed baseSeed + i. */
  baseSeed: number;
  /** The mutant whose setting the scenario takes. */
  mutant?: string;
  /** Run the honest protocol on the mutant's scenario (the control) instead of the mutant. */
  control?: boolean;
}

export interface CheckOutcome {
  suite: string;
  seed: number;
  mutant: string | null;
  /** True for a control run: the mutant's scenario with the honest protocol. */
  control: boolean;
  /** pass: no violation; safety / liveness / crash: the run stopped on that kind of violation. */
  status: 'pass' | 'safety' | 'liveness' | 'crash';
  /** The first invariant violated (null on a pass). */
  invariant: string | null;
  /** Every invariant that fired on the violating event, the first first (empty on a pass). */
  invariants: string[];
  message: string | null;
  traceHash: string;
  events: number;
  simTimeUs: number;
  /** Fault parameters this seed drew, by scenario path. */
  drawn: Record<string, unknown>;
  /** Events leading up to the violation (failures only). */
  history?: TraceEntry[];
}

/** The protocol registry a run uses: honest, or with the suite protocol's mutant applied. */
export function checkModules(scenario: Scenario, mutant: string | undefined, control: boolean): ProtocolModules {
  return mutant === undefined || control ? PROTOCOLS : withMutant(PROTOCOLS, scenario.protocol.name, mutant);
}

/** Builds the concrete scenario of (suite, seed, mutant): base + fixed overrides + draws + the mutant's setting. */
export function checkScenario(suite: Suite, seed: number, mutant?: string): { raw: Record<string, unknown>; scenario: Scenario; drawn: Record<string, unknown> } {
  let pinned: Record<string, unknown> = {};
  if (mutant !== undefined) {
    const m = suite.mutants[mutant];
    if (!m) throw new SuiteError(`suite ${suite.suite} has no mutant "${mutant}" (has: ${Object.keys(suite.mutants).join(', ') || 'none'})`);
    pinned = m.set;
  }
  const registry = protocolSchemas();
  const loaded = loadScenario(suite.scenarioFile, { registry, overrides: suite.set, overrideSource: `${suite.file} (set)` });
  const raw = structuredClone(loaded.raw);
  raw.seed = seed;
  const drawn = applyFaultDraws(raw, suite.faults, seed);
  // A mutant's settings are applied after the draws: they pin what the mutant needs (e.g. a
  // twin and a one-way partition) while the seed still varies everything else (timing, jitter,
  // the twins' forwarding) — for the mutant and its control alike.
  for (const path of Object.keys(pinned).sort()) setPath(raw, path, structuredClone(pinned[path]));
  const scenario = validateScenario(raw, registry, { file: `${suite.file} (seed ${seed} draws)` }) as Scenario;
  return { raw, scenario, drawn };
}

/** Runs one (suite, seed) — with the mutant's setting and code, or as its control. */
export function runCheck(suite: Suite, seed: number, mutant?: string, options: { control?: boolean } = {}): CheckOutcome {
  const control = mutant !== undefined && options.control === true;
  const { scenario, drawn } = checkScenario(suite, seed, mutant);
  const { result } = runScenario(scenario, checkModules(scenario, mutant, control), seed);
  const v = result.violation;
  return {
    suite: suite.suite,
    seed,
    mutant: mutant ?? null,
    control,
    status: v ? v.kind : 'pass',
    invariant: v?.invariant ?? null,
    invariants: [...new Set(result.violations.map((x) => x.invariant))],
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
  return runCheck(suite, p.baseSeed + task.trial, p.mutant, { control: p.control });
}

/** Per-point summary for the sweep engine's summary.json. */
export function summarizePoint(results: CheckOutcome[]): Record<string, unknown> {
  const count = (s: CheckOutcome['status']) => results.filter((r) => r.status === s).length;
  return { seeds: results.length, passed: count('pass'), safety: count('safety'), liveness: count('liveness'), crash: count('crash') };
}
