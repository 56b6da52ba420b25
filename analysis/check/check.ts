/**
 * `medsim check`: swarm runs of safety suites for CI pipelines.
 *
 * Each suite runs over N consecutive seeds (base, base + 1, …) on the sweep engine's worker
 * pool; each seed draws its own fault mix. Without `--seed` the base seed comes from the current
 * git commit, so every commit explores new seeds while any failure is reproducible from the
 * commit alone; `medsim check <suite> --seed S` replays seed S exactly (same trace hash).
 *
 * Exit codes (as TigerBeetle's VOPR separates failure kinds): 0 all suites as expected,
 * 1 a safety violation (or a protocol crash), 3 a liveness failure only, 2 bad usage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gitCommit, PROJECT_ROOT } from '../../sim/results.ts';
import { readRecords, runSweepSpec, type SweepSpec } from '../sweep.ts';
import { loadSuite, SuiteError, type Suite } from './suite.ts';
import type { CheckOutcome, CheckPointParams } from './trial.ts';

export const SAFETY_DIR = join(PROJECT_ROOT, 'scenarios', 'safety');
/** Seeds per suite when neither --seeds nor --seed is given. */
export const DEFAULT_SEEDS = 40;

export interface CheckOptions {
  /** Suite names (scenarios/safety/<name>.yaml) or paths; empty = every suite. */
  suites: string[];
  seeds?: number;
  seed?: number;
  workers?: number;
  mutant?: string;
  progress?: boolean;
  out?: string;
}

export interface SuiteReport {
  name: string;
  expect: 'safe' | 'violation';
  seeds: number;
  passed: number;
  /** Seeds that ended in a safety violation or a protocol crash. */
  failed: number;
  /** Seeds that ended in a liveness violation. */
  liveness: number;
  firstFailure: { seed: number; invariant: string | null; kind: string; replay: string; message: string | null; history?: CheckOutcome['history'] } | null;
  /** Trace hash of the single seed run (present when exactly one seed ran: a replay). */
  traceHash?: string;
  /** This suite behaved as its file expects. */
  ok: boolean;
}

export interface CheckReport {
  suites: SuiteReport[];
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

export async function runChecks(options: CheckOptions): Promise<CheckReport> {
  let files = options.suites.length ? options.suites.map(suiteFile) : listSuites();
  let suites = files.map(loadSuite);
  if (options.mutant !== undefined) {
    const m = options.mutant;
    suites = suites.filter((s) => m in s.mutants);
    if (suites.length === 0) {
      const all = [...new Set(listSuites().flatMap((f) => Object.keys(loadSuite(f).mutants)))].sort();
      throw new SuiteError(`no suite${options.suites.length ? ' among those named' : ''} declares mutant "${m}" (mutants: ${all.join(', ')})`);
    }
  } else if (options.suites.length === 0) {
    suites = suites.filter((s) => s.expect === 'safe' || s.expect === 'violation');
  }
  files = suites.map((s) => s.file);
  const fromGit = options.seed === undefined ? seedFromCommit() : undefined;
  const baseSeed = options.seed ?? fromGit ?? 1;
  const seeds = options.seeds ?? (options.seed !== undefined ? 1 : DEFAULT_SEEDS);
  const spec: SweepSpec = {
    name: options.mutant ? `check-mutant-${options.mutant}` : 'check',
    seed: baseSeed,
    trials: seeds,
    points: suites.map((s, index) => ({ index, assignments: { suite: s.suite }, params: { suiteFile: s.file, baseSeed, mutant: options.mutant } satisfies CheckPointParams })),
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

  const reports: SuiteReport[] = suites.map((suite, p) => {
    const results: CheckOutcome[] = [];
    for (let i = 0; i < seeds; i++) {
      const r = records.get(p * seeds + i);
      if (!r) continue;
      if (r.ok) results.push(r.result as CheckOutcome);
      // A trial that threw (a harness or scenario bug) counts as a crash of that seed.
      else results.push({ suite: suite.suite, seed: baseSeed + i, mutant: options.mutant ?? null, status: 'crash', invariant: 'harness', message: r.error ?? 'trial failed', traceHash: '', events: 0, simTimeUs: 0, drawn: {} });
    }
    const failed = results.filter((r) => r.status === 'safety' || r.status === 'crash');
    const live = results.filter((r) => r.status === 'liveness');
    const first = failed[0] ?? live[0];
    const foundViolation = failed.length + live.length > 0;
    return {
      name: suite.suite,
      expect: suite.expect,
      seeds: results.length,
      passed: results.filter((r) => r.status === 'pass').length,
      failed: failed.length,
      liveness: live.length,
      firstFailure: first ? { seed: first.seed, invariant: first.invariant, kind: first.status, replay: replayCommand(suite, first.seed, first.mutant), message: first.message, history: first.history } : null,
      ...(results.length === 1 ? { traceHash: results[0].traceHash } : {}),
      ok: suite.expect === 'violation' || options.mutant !== undefined ? foundViolation : !foundViolation,
    };
  });

  // Exit code. With --mutant: 1 when the mutant was caught (a violation was found), as for any
  // violation. Otherwise only suites that did not behave as their file says count: 1 for a
  // safety violation or crash in a `safe` suite, or a `violation` suite that found none; 3 when
  // the only failures are liveness failures.
  let exitCode = 0;
  if (options.mutant !== undefined) {
    exitCode = reports.some((r) => r.failed > 0) ? 1 : reports.some((r) => r.liveness > 0) ? 3 : 0;
  } else {
    const bad = reports.filter((r) => !r.ok);
    exitCode = bad.some((r) => r.failed > 0 || r.expect === 'violation') ? 1 : bad.some((r) => r.liveness > 0) ? 3 : 0;
  }
  return {
    suites: reports,
    mutant: options.mutant ?? null,
    baseSeed,
    baseSeedSource: options.seed !== undefined ? 'flag' : fromGit !== undefined ? 'git' : 'default',
    workers: outcome.workers,
    wallMs,
    resultsDir: outcome.resultsDir,
    exitCode,
  };
}

export interface DeterminismReport {
  checked: { suite: string; seed: number; hashes: string[]; same: boolean }[];
  mismatches: number;
}

/**
 * Runs `samples` seeds of each suite twice, each time in a fresh process (`medsim check <suite>
 * --seed S --json`), and compares the trace hashes.
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
      for (let rep = 0; rep < 2; rep++) {
        const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'medsim.js'), 'check', file, '--seed', String(seed), '--workers', '0', '--json'], { encoding: 'utf8', cwd: PROJECT_ROOT });
        try {
          hashes.push((JSON.parse(r.stdout) as CheckReport).suites[0].traceHash ?? 'none');
        } catch {
          hashes.push(`unparsable (exit ${r.status})`);
        }
      }
      checked.push({ suite: suite.suite, seed, hashes, same: hashes[0] === hashes[1] && !hashes[0].startsWith('unparsable') });
    }
  }
  return { checked, mismatches: checked.filter((c) => !c.same).length };
}
