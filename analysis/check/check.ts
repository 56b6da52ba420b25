/**
 * `medsim check`: swarm runs of safety suites for CI pipelines.
 *
 * Each suite runs over N consecutive seeds (base, base + 1, …) on the sweep engine's worker
 * pool; each seed draws its own fault mix. Without `--seed` the base seed comes from the current
 * git commit, so every commit explores new seeds while any failure is reproducible from the
 * commit alone; `medsim check <suite> --seed S` replays seed S exactly (same trace hash).
 *
 * What counts (docs/check.md "Verdicts"): a seed ends in a pass, a safety violation, a liveness
 * violation, a crash (an exception in protocol code) or a harness error (the trial itself could
 * not run). An expected violation — of a `violation` suite, or the catch of a mutant — must be a
 * *safety* violation of an invariant the suite declares; for a mutant, of the invariant it is
 * named after, with the control (the same seeds and setting, honest protocol) passing on every
 * seed. Crashes and liveness failures never count as catches.
 *
 * Exit codes (as TigerBeetle's VOPR separates failure kinds): 0 every suite as expected (with
 * --mutant: every mutant proven); 1 a safety violation or a crash where none may be, an expected
 * violation not found, or a mutant not proven; 3 a liveness failure only; 2 bad usage or an
 * error of the harness itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROTOCOLS } from '../../protocols/registry.ts';
import { declaredMutants } from '../../sim/protocol.ts';
import { gitCommit, PROJECT_ROOT } from '../../sim/results.ts';
import { readRecords, runSweepSpec, type SweepSpec } from '../sweep.ts';
import { loadSuite, SuiteError, type Suite } from './suite.ts';
import { checkScenario, type CheckOutcome, type CheckPointParams } from './trial.ts';

export const SAFETY_DIR = join(PROJECT_ROOT, 'scenarios', 'safety');
/** Seeds per suite when neither --seeds nor --seed is given. */
export const DEFAULT_SEEDS = 40;

export interface CheckOptions {
  /** Suite names (scenarios/safety/<name>.yaml) or paths; empty = every suite. */
  suites: string[];
  seeds?: number;
  seed?: number;
  workers?: number;
  /** Run this mutant (and its control) in every suite that lists it. */
  mutant?: string;
  /** Run every mutant of every suite (and their controls): the mutant table. */
  allMutants?: boolean;
  progress?: boolean;
  out?: string;
}

/** How one seed ended; `error`: the harness could not run it (not a protocol outcome). */
export type SeedStatus = CheckOutcome['status'] | 'error';

/** A failing seed, as reported. */
export interface SeedFailure {
  seed: number;
  kind: SeedStatus;
  /** The first invariant violated ('harness' for an error). */
  invariant: string | null;
  /** Every invariant that fired on the violating event. */
  invariants: string[];
  /** Some invariant that fired is one the suite declares. */
  declared: boolean;
  replay: string;
  message: string | null;
  history?: CheckOutcome['history'];
}

/** Outcome counts over a suite's seeds. */
export interface SeedTally {
  seeds: number;
  passed: number;
  /** Seeds that ended in a safety violation. */
  failed: number;
  /** Seeds that ended in a liveness violation. */
  liveness: number;
  /** Seeds on which protocol code threw. */
  crashed: number;
  /** Seeds the harness could not run (its own error). */
  errors: number;
}

export interface MutantReport {
  name: string;
  protocol: string;
  /** The invariant the mutant is named after. */
  invariant: string;
  description: string;
  /** Why the suite's setting exposes it (the suite's `why`). */
  why: string | null;
  /** Seeds with a safety violation of an invariant the suite declares. */
  caught: number;
  /** Of those, seeds where the mutant's own invariant fired. */
  caughtByName: number;
  /** The first seed caught by the mutant's own invariant, and how many seeds it took (1 = the base seed). */
  firstCatch: (SeedFailure & { seedsToCatch: number }) | null;
}

export interface SuiteReport extends SeedTally {
  name: string;
  /** safe: every seed must pass; violation: a declared safety violation must be found; caught: the mutant must be caught and its control pass. */
  expect: 'safe' | 'violation' | 'caught';
  firstFailure: SeedFailure | null;
  /** With --mutant: the mutant run's catch. */
  mutant?: MutantReport;
  /** With --mutant: the control — the same seeds and setting with the honest protocol. */
  control?: SeedTally & { firstFailure: SeedFailure | null };
  /** Trace hash of the single seed run (present when exactly one seed ran: a replay). */
  traceHash?: string;
  /** How the single seed ended (present when exactly one seed ran). */
  status?: SeedStatus;
  /** This suite behaved as its file expects (with --mutant: the mutant is proven). */
  ok: boolean;
  /** Why not, in words (null when ok). */
  reason: string | null;
}

export interface CheckReport {
  suites: SuiteReport[];
  /** The mutant run (null without --mutant; "all" with --all-mutants). */
  mutant: string | null;
  baseSeed: number;
  baseSeedSource: 'flag' | 'git' | 'default';
  workers: number;
  wallMs: number;
  resultsDir: string;
  exitCode: number;
}

/** The base seed of the current commit: its first 32 bits. */
export function seedFromCommit(): number | undefined {
  const c = gitCommit();
  return c ? parseInt(c.slice(0, 8), 16) : undefined;
}

/** Every suite file, sorted by name. */
export function listSuites(): string[] {
  if (!existsSync(SAFETY_DIR)) return [];
  return readdirSync(SAFETY_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(SAFETY_DIR, f));
}

/** Resolves a suite name or path to its file. */
export function suiteFile(nameOrPath: string): string {
  if (nameOrPath.endsWith('.yaml') || nameOrPath.includes('/')) return resolve(nameOrPath);
  const f = join(SAFETY_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(f)) {
    const known = listSuites().map((p) => p.split('/').pop()!.replace(/\.yaml$/, ''));
    throw new SuiteError(`no safety suite "${nameOrPath}" (known: ${known.join(', ')})`);
  }
  return f;
}

function replayCommand(suite: Suite, seed: number, mutant: string | null): string {
  return `npx medsim check ${suite.suite} --seed ${seed}${mutant ? ` --mutant ${mutant}` : ''}`;
}

/**
 * Checks a suite's mutant declarations against the protocols: each names a mutant its
 * scenario's protocol declares, named after an invariant the suite checks. Returns the
 * protocol's declaration.
 */
export function resolveMutant(suite: Suite, mutant: string): { protocol: string; invariant: string; description: string } {
  const protocol = checkScenario(suite, 0).scenario.protocol.name;
  const declared = PROTOCOLS[protocol]?.mutants?.[mutant];
  if (!declared) {
    const names = Object.keys(PROTOCOLS[protocol]?.mutants ?? {});
    throw new SuiteError(`${suite.file}: mutants.${mutant}: protocol "${protocol}" declares no such mutant (it declares: ${names.join(', ') || 'none'})`);
  }
  if (!suite.invariants.includes(declared.invariant)) {
    throw new SuiteError(`${suite.file}: mutants.${mutant}: it is named after "${declared.invariant}", which is not among the suite's invariants (${suite.invariants.join(', ')})`);
  }
  return { protocol, invariant: declared.invariant, description: declared.description };
}

const tally = (results: readonly { status: SeedStatus }[]): SeedTally => {
  const n = (s: SeedStatus) => results.filter((r) => r.status === s).length;
  return { seeds: results.length, passed: n('pass'), failed: n('safety'), liveness: n('liveness'), crashed: n('crash'), errors: n('error') };
};

/** One seed's outcome as the verdicts see it (a harness error has status `error`). */
export type SeedResult = Omit<CheckOutcome, 'status'> & { status: SeedStatus };

function failureOf(suite: Suite, r: SeedResult): SeedFailure {
  return {
    seed: r.seed,
    kind: r.status,
    invariant: r.invariant,
    invariants: r.invariants,
    declared: r.invariants.some((i) => suite.invariants.includes(i)),
    replay: replayCommand(suite, r.seed, r.mutant),
    message: r.message,
    ...(r.history ? { history: r.history } : {}),
  };
}

/** The first failing seed, preferring the most severe kind: error, crash, safety, liveness. */
function firstFailureOf(suite: Suite, results: readonly SeedResult[]): SeedFailure | null {
  for (const kind of ['error', 'crash', 'safety', 'liveness'] as const) {
    const r = results.find((x) => x.status === kind);
    if (r) return failureOf(suite, r);
  }
  return null;
}

const isCatch = (suite: Suite, r: SeedResult) => r.status === 'safety' && r.invariants.some((i) => suite.invariants.includes(i));

/** The verdict on a suite run without a mutant: `safe` — every seed passes; `violation` — some seed breaks a declared invariant's safety, none crashes. */
export function suiteVerdict(suite: Suite, results: readonly SeedResult[]): SuiteReport {
  const t = tally(results);
  const found = results.filter((r) => isCatch(suite, r)).length;
  let reason: string | null = null;
  if (t.errors > 0) reason = `${t.errors} seed(s) could not run (harness error)`;
  else if (t.crashed > 0) reason = `${t.crashed} seed(s) crashed in protocol code`;
  else if (suite.expect === 'safe' && t.failed > 0) reason = `${t.failed} safety violation(s)`;
  else if (suite.expect === 'safe' && t.liveness > 0) reason = `${t.liveness} liveness violation(s)`;
  else if (suite.expect === 'violation' && found === 0) reason = `no safety violation of a declared invariant (${suite.invariants.join(', ')}) found`;
  return { name: suite.suite, expect: suite.expect, ...t, firstFailure: firstFailureOf(suite, results), ok: reason === null, reason };
}

/**
 * The verdict on a mutant: proven when the control passed on every seed, no seed crashed or
 * could not run, and on some seed the mutant broke the safety of the invariant it is named
 * after (one the suite declares).
 */
export function mutantVerdict(suite: Suite, mutant: string, info: ReturnType<typeof resolveMutant>, baseSeed: number, results: readonly SeedResult[], controlResults: readonly SeedResult[]): SuiteReport {
  const t = tally(results);
  const caught = results.filter((r) => isCatch(suite, r));
  const byName = caught.filter((r) => r.invariants.includes(info.invariant));
  const first = byName[0];
  const control = { ...tally(controlResults), firstFailure: firstFailureOf(suite, controlResults) };
  let reason: string | null = null;
  if (t.errors + control.errors > 0) reason = `${t.errors + control.errors} seed(s) could not run (harness error)`;
  else if (control.passed < control.seeds) reason = `the control failed on ${control.seeds - control.passed} of ${control.seeds} seeds: the setting breaks the honest protocol too, so a catch would not show the mutant`;
  else if (t.crashed > 0) reason = `the mutant crashed protocol code on ${t.crashed} seed(s) (a crash is not a catch)`;
  else if (byName.length === 0) reason = caught.length > 0 ? `caught only by ${[...new Set(caught.flatMap((r) => r.invariants))].join(', ')}, never by "${info.invariant}", the invariant it is named after` : `not caught on ${results.length} seeds`;
  return {
    name: suite.suite,
    expect: 'caught',
    ...t,
    firstFailure: firstFailureOf(suite, results),
    mutant: {
      name: mutant,
      protocol: info.protocol,
      invariant: info.invariant,
      description: info.description,
      why: suite.mutants[mutant]?.why ?? null,
      caught: caught.length,
      caughtByName: byName.length,
      firstCatch: first ? { ...failureOf(suite, first), seedsToCatch: first.seed - baseSeed + 1 } : null,
    },
    control,
    ok: reason === null,
    reason,
  };
}

export async function runChecks(options: CheckOptions): Promise<CheckReport> {
  let suites = (options.suites.length ? options.suites.map(suiteFile) : listSuites()).map(loadSuite);
  // The runs: (suite, mutant) pairs with --mutant / --all-mutants, else each suite once.
  interface Job { suite: Suite; mutant?: string }
  let jobs: Job[];
  if (options.mutant !== undefined || options.allMutants) {
    const wanted = options.mutant;
    jobs = suites.flatMap((suite) => Object.keys(suite.mutants).filter((m) => wanted === undefined || m === wanted).map((mutant) => ({ suite, mutant })));
    if (jobs.length === 0) {
      const listed = [...new Set(listSuites().flatMap((f) => Object.keys(loadSuite(f).mutants)))].sort();
      const declared = declaredMutants(PROTOCOLS).map((d) => d.name);
      throw new SuiteError(
        wanted === undefined
          ? `no suite${options.suites.length ? ' among those named' : ''} lists a mutant`
          : `no suite${options.suites.length ? ' among those named' : ''} lists mutant "${wanted}" (suites list: ${listed.join(', ') || 'none'}; protocols declare: ${declared.join(', ') || 'none'})`,
      );
    }
    suites = [...new Set(jobs.map((j) => j.suite))];
  } else {
    jobs = suites.map((suite) => ({ suite }));
  }
  const mutantInfo = new Map<string, ReturnType<typeof resolveMutant>>();
  for (const j of jobs) if (j.mutant !== undefined) mutantInfo.set(`${j.suite.suite}/${j.mutant}`, resolveMutant(j.suite, j.mutant));

  const fromGit = options.seed === undefined ? seedFromCommit() : undefined;
  const baseSeed = options.seed ?? fromGit ?? 1;
  const seeds = options.seeds ?? (options.seed !== undefined ? 1 : DEFAULT_SEEDS);
  // Points: per job, the run itself and (for a mutant) its control, side by side.
  const points: SweepSpec['points'] = [];
  for (const j of jobs) {
    const params = (control: boolean): CheckPointParams => ({ suiteFile: j.suite.file, baseSeed, ...(j.mutant !== undefined ? { mutant: j.mutant, control } : {}) });
    points.push({ index: points.length, assignments: { suite: j.suite.suite, ...(j.mutant !== undefined ? { mutant: j.mutant, run: 'mutant' } : {}) }, params: params(false) });
    if (j.mutant !== undefined) points.push({ index: points.length, assignments: { suite: j.suite.suite, mutant: j.mutant, run: 'control' }, params: params(true) });
  }
  const mutantLabel = options.allMutants ? 'all' : (options.mutant ?? null);
  const spec: SweepSpec = {
    name: mutantLabel ? `check-mutant-${mutantLabel}` : 'check',
    seed: baseSeed,
    trials: seeds,
    points,
    trialModule: join(PROJECT_ROOT, 'analysis', 'check', 'trial.ts'),
  };
  // A check always runs afresh: reusing finished seeds from an earlier run would hide a code
  // change made since (the sweep identity does not include the code). Its own default
  // directory is therefore cleared; an explicit --out must be new.
  const out = options.out ?? join(PROJECT_ROOT, 'results', 'check', `${spec.name}-${suites.map((s) => s.suite).join('+').slice(0, 80)}-seed${baseSeed}-n${seeds}`);
  if (options.out === undefined) rmSync(out, { recursive: true, force: true });
  const t0 = performance.now(); // wall-clock: reported wall time only
  const outcome = await runSweepSpec(spec, { workers: options.workers, keepGoing: true, progress: options.progress, out });
  const wallMs = Math.round(performance.now() - t0); // wall-clock: reported wall time only
  const records = readRecords(outcome.resultsDir);

  const resultsOf = (point: number, suite: Suite, mutant: string | undefined, control: boolean): SeedResult[] => {
    const results: SeedResult[] = [];
    for (let i = 0; i < seeds; i++) {
      const r = records.get(point * seeds + i);
      if (!r) continue;
      if (r.ok) results.push(r.result as CheckOutcome);
      // A trial that threw did not run the protocol to an outcome: an error of the harness
      // (or of the suite), never a catch and never a protocol crash.
      else results.push({ suite: suite.suite, seed: baseSeed + i, mutant: mutant ?? null, control, status: 'error', invariant: 'harness', invariants: [], message: r.error ?? 'trial failed', traceHash: '', events: 0, simTimeUs: 0, drawn: {} });
    }
    return results;
  };

  const reports: SuiteReport[] = [];
  let point = 0;
  for (const { suite, mutant } of jobs) {
    const results = resultsOf(point++, suite, mutant, false);
    const single = results.length === 1 ? { traceHash: results[0].traceHash, status: results[0].status } : {};
    if (mutant === undefined) reports.push({ ...suiteVerdict(suite, results), ...single });
    else reports.push({ ...mutantVerdict(suite, mutant, mutantInfo.get(`${suite.suite}/${mutant}`)!, baseSeed, results, resultsOf(point++, suite, mutant, true)), ...single });
  }

  // Exit code: 2 when the harness could not run a seed; otherwise, among suites that did not
  // behave as expected, 1 for anything but a liveness-only failure of a safe suite, which is 3.
  const bad = reports.filter((r) => !r.ok);
  let exitCode = 0;
  if (reports.some((r) => r.errors + (r.control?.errors ?? 0) > 0)) exitCode = 2;
  else if (bad.some((r) => !(r.expect === 'safe' && r.failed === 0 && r.crashed === 0))) exitCode = 1;
  else if (bad.length > 0) exitCode = 3;
  return {
    suites: reports,
    mutant: mutantLabel,
    baseSeed,
    baseSeedSource: options.seed !== undefined ? 'flag' : fromGit !== undefined ? 'git' : 'default',
    workers: outcome.workers,
    wallMs,
    resultsDir: outcome.resultsDir,
    exitCode,
  };
}

export interface DeterminismReport {
  checked: { suite: string; seed: number; hashes: string[]; same: boolean; problem: string | null }[];
  mismatches: number;
}

/**
 * Runs `samples` seeds of each suite twice, each time in a fresh process (`medsim check <suite>
 * --seed S --json`), and compares the trace hashes. A seed that crashed or could not run, or a
 * process that printed no report, counts as a mismatch: determinism was not shown.
 */
export function determinismSelfTest(options: { suites: string[]; seed?: number; samples?: number }): DeterminismReport {
  const files = options.suites.length ? options.suites.map(suiteFile) : listSuites();
  const base = options.seed ?? seedFromCommit() ?? 1;
  const samples = options.samples ?? 2;
  const checked: DeterminismReport['checked'] = [];
  for (const file of files) {
    const suite = loadSuite(file);
    for (let k = 0; k < samples; k++) {
      const seed = base + k * 7919; // spread the sample over the seed space
      const hashes: string[] = [];
      let problem: string | null = null;
      for (let rep = 0; rep < 2; rep++) {
        const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'medsim.js'), 'check', file, '--seed', String(seed), '--workers', '0', '--json'], { encoding: 'utf8', cwd: PROJECT_ROOT });
        let report: SuiteReport | undefined;
        try {
          report = (JSON.parse(r.stdout) as CheckReport).suites[0];
        } catch {
          report = undefined;
        }
        const hash = report?.traceHash;
        hashes.push(hash || `none (exit ${r.status})`);
        if (report?.status === 'crash' || report?.status === 'error') problem ??= `run ${rep + 1} ${report.status === 'crash' ? 'crashed in protocol code' : 'could not run'}: ${report.firstFailure?.message?.split('\n')[0] ?? ''}`;
        else if (!report || !hash) problem ??= `run ${rep + 1} printed no trace hash (exit ${r.status})`;
      }
      if (!problem && hashes[0] !== hashes[1]) problem = 'trace hashes differ';
      checked.push({ suite: suite.suite, seed, hashes, same: problem === null, problem });
    }
  }
  return { checked, mismatches: checked.filter((c) => !c.same).length };
}
