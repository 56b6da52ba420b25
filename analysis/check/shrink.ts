/**
 * Shrinking a failing check run to a smaller scenario that still fails (delta debugging in the
 * QuickCheck / Hypothesis tradition, greedy and deterministic).
 *
 * Starting from the concrete scenario of the failing seed, the shrinker repeatedly tries, in
 * this order, and keeps the first candidate that still fails with the same kind of violation:
 *   1. cut the duration to just after the violation (then halve it);
 *   2. drop one partition, clog or crash; set message loss and duplication to zero;
 *   3. lower each number the suite lists under `shrink:` (to its minimum, then halfway);
 *   4. lower `network.nodes` when the suite lists it.
 * It stops when no candidate fails or the run budget is spent. The result is a plain scenario
 * (the same seed inside), so `medsim run <file>` replays it (`--mutant M` for a mutant's).
 *
 * For a mutant's catch, a candidate is kept only if the mutant is still caught by the same
 * invariant *and* the honest protocol still passes it (the control): a shrunk scenario that
 * broke the honest protocol as well would no longer show the mutant.
 */
import { stringify } from 'yaml';
import { PROTOCOLS, protocolSchemas } from '../../protocols/registry.ts';
import { runScenario } from '../../sim/runner.ts';
import { getPath, setPath, validateScenario } from '../../sim/scenario/index.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import { parseDuration } from '../../sim/units.ts';
import type { Suite } from './suite.ts';
import type { CheckOutcome } from './trial.ts';
import { checkModules, checkScenario } from './trial.ts';

export interface ShrinkResult {
  /** The smallest failing scenario found (raw, unit strings). */
  scenario: Record<string, unknown>;
  /** The same as YAML, ready for `medsim run`. */
  yaml: string;
  /** Size before and after (faults + nodes + duration in seconds). */
  sizeBefore: number;
  sizeAfter: number;
  /** Candidate runs tried. */
  runs: number;
  /** The failure of the shrunk scenario. */
  outcome: { status: string; invariant: string | null; traceHash: string };
  /** The command that replays it (`<file>` stands for where the YAML is written). */
  replay: string;
}

const listLength = (raw: Record<string, unknown>, path: string) => ((getPath(raw, path) as unknown[] | undefined) ?? []).length;

/** A size measure: fewer faults, fewer nodes and a shorter run are all smaller. */
export function scenarioSize(raw: Record<string, unknown>): number {
  const faults =
    listLength(raw, 'network.partitions') + listLength(raw, 'network.clogs') + listLength(raw, 'faults.crashes') +
    (Number(getPath(raw, 'network.loss') ?? 0) > 0 ? 1 : 0) + (Number(getPath(raw, 'network.duplication') ?? 0) > 0 ? 1 : 0);
  return faults + Number(getPath(raw, 'network.nodes') ?? 0) + parseDuration(String(getPath(raw, 'duration'))) / 1e6;
}

export function shrinkFailure(suite: Suite, failure: CheckOutcome, options: { maxRuns?: number } = {}): ShrinkResult {
  const maxRuns = options.maxRuns ?? 200;
  const registry = protocolSchemas();
  const seed = failure.seed;
  let current = checkScenario(suite, seed, failure.mutant ?? undefined).raw;
  const sizeBefore = scenarioSize(current);
  let runs = 0;
  let last = { status: failure.status as string, invariant: failure.invariant, traceHash: failure.traceHash };
  let violationUs = failure.simTimeUs;

  const mutant = failure.mutant ?? undefined;
  /** Runs a candidate; true if it fails the same way (and, for a mutant, its control passes). */
  const stillFails = (candidate: Record<string, unknown>): boolean => {
    runs++;
    let scenario: Scenario;
    try {
      scenario = validateScenario(candidate, registry, { file: 'shrink candidate' }) as Scenario;
    } catch {
      return false; // e.g. a crash scheduled for a node that no longer exists
    }
    let result;
    try {
      result = runScenario(scenario, checkModules(scenario, mutant, false), seed).result;
    } catch {
      return false; // e.g. fewer nodes than the protocol needs
    }
    const v = result.violation;
    if (!v || v.kind !== failure.status) return false;
    if (failure.invariant !== null && !result.violations.some((x) => x.invariant === failure.invariant)) return false;
    if (mutant !== undefined) {
      runs++;
      try {
        if (runScenario(scenario, PROTOCOLS, seed).result.violation) return false; // the control must still pass
      } catch {
        return false;
      }
    }
    last = { status: v.kind, invariant: v.invariant, traceHash: result.traceHash };
    violationUs = result.simTimeUs;
    return true;
  };

  const candidates = function* (raw: Record<string, unknown>): Generator<Record<string, unknown>> {
    const variant = (edit: (r: Record<string, unknown>) => void) => {
      const r = structuredClone(raw);
      edit(r);
      return r;
    };
    const duration = parseDuration(String(getPath(raw, 'duration')));
    const cut = Math.max(1_000_000, violationUs + 1_000_000);
    if (cut < duration) yield variant((r) => setPath(r, 'duration', `${cut}us`));
    if (duration >= 2_000_000) yield variant((r) => setPath(r, 'duration', `${Math.floor(duration / 2)}us`));
    for (const path of ['network.partitions', 'network.clogs', 'faults.crashes']) {
      const n = listLength(raw, path);
      for (let i = 0; i < n; i++) yield variant((r) => (getPath(r, path) as unknown[]).splice(i, 1));
    }
    for (const path of ['network.loss', 'network.duplication']) {
      if (Number(getPath(raw, path) ?? 0) > 0) yield variant((r) => setPath(r, path, 0));
    }
    for (const { path, min } of suite.shrink) {
      const v = Number(getPath(raw, path));
      if (!Number.isFinite(v) || v <= min) continue;
      yield variant((r) => setPath(r, path, min));
      const mid = Math.floor((v + min) / 2);
      if (mid > min && mid < v) yield variant((r) => setPath(r, path, mid));
    }
  };

  let progress = true;
  while (progress && runs < maxRuns) {
    progress = false;
    for (const candidate of candidates(current)) {
      if (runs >= maxRuns) break;
      if (scenarioSize(candidate) >= scenarioSize(current)) continue;
      if (stillFails(candidate)) {
        current = candidate;
        progress = true;
        break;
      }
    }
  }
  const replay = `npx medsim run <file>${mutant !== undefined ? ` --mutant ${mutant}` : ''}`;
  const header =
    `# Shrunk from suite ${suite.suite}, seed ${seed}${mutant !== undefined ? `, mutant ${mutant}` : ''}: still fails (${last.status}: ${last.invariant})` +
    `${mutant !== undefined ? '; the honest protocol passes it' : ''}.\n# Replay: ${replay.replace('<file>', '<this file>')}\n`;
  return { scenario: current, yaml: header + stringify(current), sizeBefore, sizeAfter: scenarioSize(current), runs, outcome: last, replay };
}
