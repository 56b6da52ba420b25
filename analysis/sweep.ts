/**
 * The sweep engine: points × trials on a piscina pool, durable per-trial records, resume,
 * shards and merge.
 *
 * Determinism. Trial i of point p is seeded from (sweep seed, p, i) alone:
 *   seedHex = deriveSeed(seed, `sweep/point=${p}/trial=${i}`), seed = first 48 bits of seedHex.
 * Each trial runs single-threaded in one worker; results are merged in trial order
 * (p, then i), so the aggregate is the same whatever the number of workers, which worker ran
 * what, or how the work was split into shards and resumed.
 *
 * Records. Every finished trial is appended as one JSON line to `trials.jsonl`
 *   {"p":0,"i":3,"seed":123,"ok":true,"result":{…}}   or   {…,"ok":false,"error":"…"}
 * with `writeSync` (in the OS cache at once, so it survives Ctrl-C or a killed process) and an
 * fsync at most every 200 ms and at the end. A torn last line (power loss mid-write) is ignored
 * on resume.
 *
 * aggregateHash = SHA-256 over the canonical JSON (sorted keys) of every record in trial order,
 * one per line. It covers seeds, results and failures, not wall-clock data.
 *
 * Results directory (`results/<name>/sweep-<id12>[-shard-i-of-N]/` unless --out):
 *   manifest.json   what was run (identity, seed, trials, points, trial module, shard, versions)
 *   trials.jsonl    the per-trial records (completion order)
 *   summary.json    per-point aggregates, failures, aggregateHash (deterministic: no wall time)
 *   points.csv, trials.csv
 *   run.json        wall time and workers of the last invocation (not deterministic)
 *
 * Shards. `--shard i/N` (1-based, like Playwright; for 0-based job indices pass `$((IDX+1))/N`)
 * runs the trials whose global index g = p·trials + i satisfies g mod N = i − 1 (round robin,
 * so every shard gets a share of every point). `mergeSweeps` checks that the shards come from the
 * same sweep (identity: scenario, seed, trial count, points, trial module), that every shard
 * 1..N is present once and complete, and writes the same files a single run would, with the
 * same summary.json and aggregateHash.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deriveSeed } from '../sim/rng.ts';
import { makeManifest, PROJECT_ROOT, writeFileAtomic, writeJsonAtomic } from '../sim/results.ts';
import { canonicalJson, csvRow, flattenNumbers } from './io.ts';
import { defaultSummarizePoint } from './summarize.ts';
import { headlineCsvColumns, type HeadlineAggregate, type ViolationAggregate } from './outcomes.ts';
import { setPath } from '../sim/scenario/load.ts';
import { writeReplayScenario } from '../sim/replay.ts';
import { loadTrialModule, runTask, type WorkerReply, type WorkerTask } from './sweep-worker.ts';
import type { TrialModule, TrialPoint } from './trial.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** A usage problem (bad arguments, mismatched shards, existing directory): exit code 2. */
export class SweepUsageError extends Error {}

/** What to run. */
export interface SweepSpec {
  /** Name (results/<name>/…). */
  name: string;
  /** Sweep seed. */
  seed: number;
  /** Trials per point. */
  trials: number;
  points: TrialPoint[];
  /** Absolute path of the trial module. */
  trialModule: string;
  /** Options passed to every trial (JSON). */
  trialOptions?: unknown;
  /** Extra deterministic description for the manifest (e.g. the resolved scenario). */
  describe?: Record<string, unknown>;
  /** Extra manifest fields (not part of the identity). */
  manifestExtra?: Record<string, unknown>;
}

export interface Shard {
  /** 1-based shard index. */
  index: number;
  count: number;
}

export interface SweepRunOptions {
  /** Worker threads; 0 runs trials in this thread (debugging). Default: available cores. */
  workers?: number;
  /** Results directory; default results/<name>/sweep-<id12>[-shard-i-of-N]. */
  out?: string;
  shard?: Shard;
  /** Continue the sweep in `out` (or the default directory), skipping finished trials. */
  resume?: boolean;
  /** Run every trial even after failures (exit status 0); default: stop dispatching at the first failure. */
  keepGoing?: boolean;
  /** Show a progress bar on stderr (the CLI decides: TTY, not --json, not CI). */
  progress?: boolean;
  /** Abort = stop dispatching, let in-flight trials finish, keep what finished. */
  signal?: AbortSignal;
  /** Called after each finished trial (tests use it to interrupt). */
  onTrial?: (done: number, total: number) => void;
  /** Write summary, CSV files (default true; merge and tests may skip). */
  writeOutputs?: boolean;
}

/** A finished trial. */
export interface TrialRecord {
  p: number;
  i: number;
  seed: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface SweepOutcome {
  points: number;
  /** Trials in this sweep (or shard), finished or not. */
  trials: number;
  workers: number;
  wallMs: number;
  /** Hash over this directory's records in trial order (the full sweep's when complete). */
  aggregateHash: string;
  resultsDir: string;
  /** Every trial of the sweep (or shard) has a record. */
  complete: boolean;
  interrupted: boolean;
  /** Trials run by this invocation. */
  ran: number;
  /** Trials found already finished (resume). */
  resumed: number;
  failures: TrialRecord[];
  identity: string;
  /** Violations (with replay commands), failures and per-point summaries, when outputs were written. */
  findings?: SweepFindings;
}

// ---------------------------------------------------------------------------------------------
// Seeds, identity, hashing

/** The seed of trial `trial` of point `point`. */
export function trialSeed(sweepSeed: number, point: number, trial: number): { seed: number; seedHex: string } {
  const seedHex = deriveSeed(sweepSeed, `sweep/point=${point}/trial=${trial}`);
  return { seed: parseInt(seedHex.slice(0, 12), 16), seedHex };
}

/** Identity of a sweep: what must agree for shards to merge and for a resume to continue. */
export function sweepIdentity(spec: SweepSpec): string {
  const ident = {
    name: spec.name,
    seed: spec.seed,
    trials: spec.trials,
    points: spec.points.map((p) => ({ index: p.index, assignments: p.assignments, params: p.params })),
    trialModule: relative(PROJECT_ROOT, spec.trialModule).split('\\').join('/'),
    trialOptions: spec.trialOptions ?? null,
    describe: spec.describe ?? null,
  };
  return createHash('sha256').update(canonicalJson(ident)).digest('hex');
}

function canonicalRecord(r: TrialRecord): string {
  const base: Record<string, unknown> = { p: r.p, i: r.i, seed: r.seed, ok: r.ok };
  if (r.ok) base.result = r.result ?? null;
  else base.error = r.error ?? '';
  return canonicalJson(base);
}

/** SHA-256 over the records in trial order (sorts a copy). */
export function aggregateHash(records: Iterable<TrialRecord>): string {
  const sorted = [...records].sort((a, b) => a.p - b.p || a.i - b.i);
  const h = createHash('sha256');
  for (const r of sorted) h.update(canonicalRecord(r) + '\n');
  return h.digest('hex');
}

/** Parses "i/N" (1-based). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new SweepUsageError(`--shard: expected i/N with 1 ≤ i ≤ N (e.g. 2/8), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new SweepUsageError(`--shard: expected i/N with 1 ≤ i ≤ N, got "${text}"`);
  return { index, count };
}

/** Global trial indices of a shard, in trial order. */
export function shardTrials(points: number, trials: number, shard?: Shard): number[] {
  const out: number[] = [];
  const total = points * trials;
  for (let g = 0; g < total; g++) if (!shard || g % shard.count === shard.index - 1) out.push(g);
  return out;
}

export function defaultResultsDir(spec: SweepSpec, identity: string, shard?: Shard): string {
  const suffix = shard ? `-shard-${shard.index}-of-${shard.count}` : '';
  return join(PROJECT_ROOT, 'results', spec.name, `sweep-${identity.slice(0, 12)}${suffix}`);
}

/** The spec as JSON data (undefined fields dropped), so a stored spec has the same identity. */
export function normalizeSpec(spec: SweepSpec): SweepSpec {
  const { trialModule, ...rest } = spec;
  return { ...(JSON.parse(JSON.stringify(rest)) as Omit<SweepSpec, 'trialModule'>), trialModule: resolve(trialModule) };
}

/** spec.json: the whole spec (trial module relative to the project), for merge on another machine. */
function writeSpec(dir: string, spec: SweepSpec): void {
  writeJsonAtomic(join(dir, 'spec.json'), { ...spec, trialModule: relative(PROJECT_ROOT, spec.trialModule).split('\\').join('/') });
}

export function readSpec(dir: string): SweepSpec {
  const file = join(dir, 'spec.json');
  if (!existsSync(file)) throw new SweepUsageError(`${dir}: no spec.json`);
  const s = JSON.parse(readFileSync(file, 'utf8')) as SweepSpec;
  return { ...s, trialModule: resolve(PROJECT_ROOT, s.trialModule) };
}

// ---------------------------------------------------------------------------------------------
// Records file

/** Reads trials.jsonl; ignores a torn last line; later records of the same trial win. */
export function readRecords(dir: string): Map<number, TrialRecord> & { trials?: number } {
  const file = join(dir, 'trials.jsonl');
  const out = new Map<number, TrialRecord>();
  if (!existsSync(file)) return out;
  const manifest = readManifest(dir);
  const T = manifest.trials;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    if (!line.trim()) continue;
    let r: TrialRecord;
    try {
      r = JSON.parse(line) as TrialRecord;
    } catch {
      if (k >= lines.length - 2) continue; // torn last line
      throw new Error(`${file}:${k + 1}: corrupt record`);
    }
    out.set(r.p * T + r.i, r);
  }
  return out;
}

class RecordWriter {
  private fd: number;
  private lastSync = 0;
  private dirty = false;
  constructor(file: string, truncate: boolean) {
    this.fd = openSync(file, truncate ? 'w' : 'a');
  }
  append(r: TrialRecord): void {
    writeSync(this.fd, canonicalRecord(r) + '\n');
    this.dirty = true;
    const now = performance.now(); // wall-clock: fsync pacing only
    if (now - this.lastSync > 200) this.sync(now);
  }
  private sync(now: number): void {
    if (!this.dirty) return;
    fsyncSync(this.fd);
    this.dirty = false;
    this.lastSync = now;
  }
  close(): void {
    this.sync(0);
    closeSync(this.fd);
  }
}

interface SweepManifestFields {
  kind: 'sweep';
  name: string;
  identity: string;
  seed: number;
  trials: number;
  points: number;
  trialModule: string;
  trialOptions: unknown;
  shard: Shard | null;
  assignments: Record<string, unknown>[];
}

export function readManifest(dir: string): SweepManifestFields & Record<string, unknown> {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new SweepUsageError(`${dir}: no manifest.json (not a sweep results directory)`);
  const m = JSON.parse(readFileSync(file, 'utf8')) as SweepManifestFields & Record<string, unknown>;
  if (m.kind !== 'sweep') throw new SweepUsageError(`${dir}: manifest.json is not a sweep manifest`);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Summaries

export { defaultSummarizePoint } from './summarize.ts';

export interface PointSummary {
  index: number;
  assignments: Record<string, unknown>;
  /** Successful trials. */
  n: number;
  failures: number;
  summary: Record<string, unknown> | null;
}

async function summarizeAll(spec: SweepSpec, records: Map<number, TrialRecord>): Promise<PointSummary[]> {
  const mod: TrialModule = await loadTrialModule(spec.trialModule);
  const out: PointSummary[] = [];
  for (const point of spec.points) {
    const results: unknown[] = [];
    let failures = 0;
    for (let i = 0; i < spec.trials; i++) {
      const r = records.get(point.index * spec.trials + i);
      if (!r) continue;
      if (r.ok) results.push(r.result);
      else failures++;
    }
    const summary = results.length === 0 ? null : mod.summarizePoint ? await mod.summarizePoint(results, point, spec.trialOptions) : defaultSummarizePoint(results);
    out.push({ index: point.index, assignments: point.assignments, n: results.length, failures, summary });
  }
  return out;
}

/** A trial that ended in a violation (or crashed), with the command that replays it. */
export interface ViolationRecord {
  p: number;
  i: number;
  seed: number;
  kind: string;
  invariant: string;
  message: string;
  traceHash: string | null;
  /** `npx medsim run replay/point-<p>.yaml --seed <seed>`, from the sweep's directory; null when the sweep has no scenario. */
  replay: string | null;
}

/** The point's scenario as written (unit strings): the sweep's resolved scenario with the point's values set. */
export function pointScenarioRaw(spec: SweepSpec, p: number): Record<string, unknown> | undefined {
  const base = spec.describe?.resolvedScenario;
  if (!base || typeof base !== 'object' || Array.isArray(base)) return undefined;
  const raw = structuredClone(base) as Record<string, unknown>;
  delete raw.sweep;
  for (const [path, value] of Object.entries(spec.points[p]?.assignments ?? {})) setPath(raw, path, structuredClone(value));
  return raw;
}

/** Relative path (from the sweep directory) of point p's resolved scenario. */
export const replayFileOf = (p: number) => `replay/point-${p}.yaml`;

/**
 * Writes `replay/point-<p>.yaml` for every point with a violating or failed trial (scenario
 * sweeps only) and returns the violations in trial order with their replay commands.
 */
function writeReplays(dir: string, spec: SweepSpec, sorted: TrialRecord[]): { violations: ViolationRecord[]; replayFor: (r: TrialRecord) => string | null } {
  const written = new Map<number, string | null>();
  const fileFor = (p: number): string | null => {
    if (written.has(p)) return written.get(p)!;
    const raw = pointScenarioRaw(spec, p);
    let rel: string | null = null;
    if (raw) {
      rel = replayFileOf(p);
      const a = Object.entries(spec.points[p].assignments).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ');
      writeReplayScenario(dir, rel, raw, typeof raw.seed === 'number' ? raw.seed : spec.seed, [
        `Sweep "${spec.name}", point ${p}${a ? ` (${a})` : ''}: the resolved scenario (extends merged, --set applied, the point's values set).`,
        'Trial i of this point ran with its own seed: replay it with  npx medsim run <this file> --seed <trial seed>',
        '(the seeds of violating and failed trials are listed in summary.json with their replay commands).',
      ]);
    }
    written.set(p, rel);
    return rel;
  };
  const replayFor = (r: TrialRecord) => {
    const rel = fileFor(r.p);
    return rel ? `npx medsim run ${rel} --seed ${r.seed}` : null;
  };
  const violations: ViolationRecord[] = [];
  for (const r of sorted) {
    const res = r.ok ? (r.result as { violation?: unknown; traceHash?: unknown } | null) : null;
    const v = res?.violation as { kind?: unknown; invariant?: unknown; message?: unknown } | null | undefined;
    if (v && typeof v === 'object' && typeof v.invariant === 'string') {
      violations.push({ p: r.p, i: r.i, seed: r.seed, kind: String(v.kind), invariant: v.invariant, message: String(v.message ?? ''), traceHash: typeof res!.traceHash === 'string' ? res!.traceHash : null, replay: replayFor(r) });
    }
  }
  return { violations, replayFor };
}

async function writeOutputs(dir: string, spec: SweepSpec, records: Map<number, TrialRecord>, complete: boolean, hash: string, shard: Shard | undefined): Promise<SweepFindings> {
  const perPoint = await summarizeAll(spec, records);
  const sorted = [...records.values()].sort((a, b) => a.p - b.p || a.i - b.i);
  const { violations, replayFor } = writeReplays(dir, spec, sorted);
  const failures = sorted.filter((r) => !r.ok).map((r) => ({ p: r.p, i: r.i, seed: r.seed, error: r.error, replay: replayFor(r) }));
  const byInvariant: Record<string, number> = {};
  for (const v of violations) byInvariant[v.invariant] = (byInvariant[v.invariant] ?? 0) + 1;
  writeJsonAtomic(join(dir, 'summary.json'), {
    name: spec.name,
    seed: spec.seed,
    trialsPerPoint: spec.trials,
    points: spec.points.length,
    records: sorted.length,
    complete,
    shard: shard ?? null,
    aggregateHash: hash,
    // Replay commands are relative to this directory (run them from here).
    violationCount: violations.length,
    violationsByInvariant: byInvariant,
    violations,
    failures,
    perPoint,
  });
  // trials.csv: one row per record, numeric leaves as columns (headline values first).
  const keys = new Set<string>();
  const flat = sorted.map((r) => {
    const f = r.ok ? flattenNumbers(r.result) : new Map<string, number | boolean>();
    for (const k of f.keys()) keys.add(k);
    return f;
  });
  const firstKeys = (k: string) => (k.startsWith('headline.') ? 0 : 1);
  const cols = [...keys].sort((a, b) => firstKeys(a) - firstKeys(b) || (a < b ? -1 : a > b ? 1 : 0));
  const headlineLabels = (r: TrialRecord) => {
    const h = r.ok ? ((r.result as { headline?: Record<string, unknown> } | null)?.headline ?? {}) : {};
    return Object.fromEntries(Object.entries(h).filter(([, v]) => typeof v === 'string'));
  };
  const catCols = [...new Set(sorted.flatMap((r) => Object.keys(headlineLabels(r))))].sort();
  const violationOf = (r: TrialRecord) => ((r.ok ? (r.result as { violation?: { invariant?: string } | null } | null)?.violation : null)?.invariant ?? '');
  const assignKeys = Object.keys(spec.points[0]?.assignments ?? {});
  const lines = [csvRow(['point', ...assignKeys, 'trial', 'seed', 'ok', 'error', ...catCols.map((c) => `headline.${c}`), 'violation', ...cols])];
  sorted.forEach((r, k) => {
    const a = spec.points[r.p]?.assignments ?? {};
    const labels = headlineLabels(r);
    lines.push(csvRow([r.p, ...assignKeys.map((key) => a[key]), r.i, r.seed, r.ok, r.error ?? '', ...catCols.map((c) => labels[c] ?? ''), violationOf(r), ...cols.map((c) => flat[k].get(c))]));
  });
  writeFileAtomic(join(dir, 'trials.csv'), lines.join('\n') + '\n');
  // points.csv: n, failures, the headline outcomes (shares or means with 95 % intervals, closed
  // forms), violations per invariant, then the mean (or proportion) of every other field.
  const headCols: string[] = [];
  const violationCols: string[] = [];
  const pcols = new Set<string>();
  for (const pp of perPoint) {
    const sum = pp.summary ?? {};
    for (const h of (sum.headline as HeadlineAggregate[] | undefined) ?? []) for (const [c] of headlineCsvColumns(h)) if (!headCols.includes(c)) headCols.push(c);
    for (const v of ((sum.violations as ViolationAggregate | undefined)?.byInvariant ?? [])) if (!violationCols.includes(v.invariant)) violationCols.push(v.invariant);
    for (const k of Object.keys(sum)) if (k !== 'headline' && k !== 'violations') pcols.add(k);
  }
  violationCols.sort();
  const pc = [...pcols].sort();
  const hasViolations = perPoint.some((pp) => pp.summary && 'violations' in pp.summary);
  const plines = [csvRow(['point', ...assignKeys, 'n', 'failures', ...headCols, ...(hasViolations ? ['violations', ...violationCols.map((c) => `violations.${c}`)] : []), ...pc.flatMap((c) => [`${c}.mean`, `${c}.ciLow`, `${c}.ciHigh`])])];
  for (const pp of perPoint) {
    const sum = pp.summary ?? {};
    const head = new Map<string, unknown>();
    for (const h of (sum.headline as HeadlineAggregate[] | undefined) ?? []) for (const [c, v] of headlineCsvColumns(h)) head.set(c, v);
    const va = sum.violations as ViolationAggregate | undefined;
    const vals: unknown[] = [];
    for (const c of pc) {
      const s = (sum[c] ?? {}) as Record<string, unknown>;
      vals.push(s.mean ?? s.proportion ?? s.estimate, s.ciLow, s.ciHigh);
    }
    const vcols = hasViolations ? [va?.trials ?? (pp.summary ? 0 : undefined), ...violationCols.map((c) => va?.byInvariant.find((b) => b.invariant === c)?.count ?? (pp.summary ? 0 : undefined))] : [];
    plines.push(csvRow([pp.index, ...assignKeys.map((k) => pp.assignments[k]), pp.n, pp.failures, ...headCols.map((c) => head.get(c)), ...vcols, ...vals]));
  }
  writeFileAtomic(join(dir, 'points.csv'), plines.join('\n') + '\n');
  return { violations, failures, perPoint };
}

/** What a sweep found, for the CLI's summary line and tables. */
export interface SweepFindings {
  violations: ViolationRecord[];
  failures: { p: number; i: number; seed: number; error?: string; replay: string | null }[];
  perPoint: PointSummary[];
}

// ---------------------------------------------------------------------------------------------
// Running

/** True when a progress bar belongs on stderr. */
export function progressWanted(json: boolean | undefined): boolean {
  return Boolean(process.stderr.isTTY) && !json && !process.env.CI;
}

async function makeProgress(total: number, start: number): Promise<{ update(n: number): void; stop(): void }> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'trials [{bar}] {value}/{total} | {rate} trials/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now(); // wall-clock: progress display only
  bar.start(total, start, { rate: '0' });
  return {
    update(n: number) {
      const s = (performance.now() - t0) / 1000;
      bar.update(n, { rate: s > 0 ? ((n - start) / s).toFixed(1) : '0' });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Default worker count: the machine's cores. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Runs (or resumes) a sweep spec. */
export async function runSweepSpec(input: SweepSpec, options: SweepRunOptions = {}): Promise<SweepOutcome> {
  const t0 = performance.now(); // wall-clock: reported wallMs only
  const spec = normalizeSpec(input);
  if (!Number.isInteger(spec.trials) || spec.trials < 1) throw new SweepUsageError(`trials must be an integer ≥ 1, got ${spec.trials}`);
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0) throw new SweepUsageError(`--workers: expected an integer ≥ 0, got ${workers}`);
  const identity = sweepIdentity(spec);
  const shard = options.shard && options.shard.count > 1 ? options.shard : undefined;
  const dir = resolve(options.out ?? defaultResultsDir(spec, identity, shard));
  const recordsFile = join(dir, 'trials.jsonl');

  let records = new Map<number, TrialRecord>();
  let resumed = 0;
  if (existsSync(join(dir, 'manifest.json'))) {
    const m = readManifest(dir);
    if (!options.resume) throw new SweepUsageError(`${dir} already holds a sweep; pass --resume to continue it or --out for a new directory`);
    if (m.identity !== identity) throw new SweepUsageError(`${dir} holds a different sweep (scenario, seed, trials or points differ); cannot resume it`);
    const mShard = m.shard ?? undefined;
    if ((mShard?.index ?? 0) !== (shard?.index ?? 0) || (mShard?.count ?? 1) !== (shard?.count ?? 1)) {
      throw new SweepUsageError(`${dir} holds shard ${mShard ? `${mShard.index}/${mShard.count}` : 'none (whole sweep)'}, not ${shard ? `${shard.index}/${shard.count}` : 'the whole sweep'}`);
    }
    records = readRecords(dir);
    // Failed trials are run again on resume (the failure may have been fixed); drop them.
    for (const [g, r] of [...records]) if (!r.ok) records.delete(g);
    resumed = records.size;
  } else if (existsSync(recordsFile)) {
    throw new SweepUsageError(`${dir} has trials.jsonl but no manifest.json; refusing to overwrite it`);
  }

  mkdirSync(dir, { recursive: true });
  const manifestFields: SweepManifestFields = {
    kind: 'sweep',
    name: spec.name,
    identity,
    seed: spec.seed,
    trials: spec.trials,
    points: spec.points.length,
    trialModule: relative(PROJECT_ROOT, spec.trialModule).split('\\').join('/'),
    trialOptions: spec.trialOptions ?? null,
    shard: shard ?? null,
    assignments: spec.points.map((p) => p.assignments),
  };
  writeJsonAtomic(join(dir, 'manifest.json'), {
    ...makeManifest({ scenario: spec.name, seed: spec.seed, resolvedScenario: spec.describe?.resolvedScenario ?? null, ...(spec.manifestExtra ?? {}) }),
    ...manifestFields,
  });
  writeSpec(dir, spec);
  // Rewrite the records file with the kept records only (drops failures and any torn line).
  writeFileAtomic(recordsFile, [...records.values()].sort((a, b) => a.p - b.p || a.i - b.i).map((r) => canonicalRecord(r) + '\n').join(''));

  const mine = shardTrials(spec.points.length, spec.trials, shard);
  const todo = mine.filter((g) => !records.has(g));
  const total = mine.length;
  const writer = new RecordWriter(recordsFile, false);
  const bar = options.progress ? await makeProgress(total, records.size) : undefined;

  let stop = false;
  let interrupted = false;
  const onAbort = () => {
    stop = true;
    interrupted = true;
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort);
  const failures: TrialRecord[] = [];
  let ran = 0;

  const taskFor = (g: number): WorkerTask => {
    const p = Math.floor(g / spec.trials);
    const i = g % spec.trials;
    const { seed, seedHex } = trialSeed(spec.seed, p, i);
    return { module: spec.trialModule, point: spec.points[p], trial: i, seed, seedHex, options: spec.trialOptions ?? null };
  };
  const finish = (task: WorkerTask, reply: WorkerReply) => {
    const g = task.point.index * spec.trials + task.trial;
    const rec: TrialRecord = reply.ok
      ? { p: task.point.index, i: task.trial, seed: task.seed, ok: true, result: reply.result }
      : { p: task.point.index, i: task.trial, seed: task.seed, ok: false, error: reply.error };
    records.set(g, rec);
    writer.append(rec);
    ran++;
    if (!rec.ok) {
      failures.push(rec);
      if (!options.keepGoing) stop = true;
    }
    bar?.update(records.size);
    options.onTrial?.(records.size, total);
  };

  try {
    if (workers === 0) {
      for (const g of todo) {
        if (stop) break;
        const task = taskFor(g);
        finish(task, await runTask(task));
        // Let abort signals (SIGINT) through between trials.
        await new Promise<void>((r) => setImmediate(r));
      }
    } else {
      const { Piscina } = await import('piscina');
      const pool = new Piscina({
        filename: pathToFileURL(join(HERE, 'sweep-worker-boot.mjs')).href,
        execArgv: [],
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: 60_000,
        concurrentTasksPerWorker: 1,
      });
      try {
        let next = 0;
        const inflight = new Set<Promise<void>>();
        const limit = workers * 2;
        while ((next < todo.length || inflight.size > 0)) {
          while (!stop && next < todo.length && inflight.size < limit) {
            const task = taskFor(todo[next++]);
            const pr: Promise<void> = (pool.run(task) as Promise<WorkerReply>)
              .then(
                (reply) => finish(task, reply),
                (err: unknown) => finish(task, { ok: false, error: `worker crashed: ${(err as Error)?.message ?? String(err)}` }),
              )
              .finally(() => inflight.delete(pr));
            inflight.add(pr);
          }
          if (inflight.size === 0) break;
          await Promise.race(inflight);
        }
      } finally {
        await pool.destroy();
      }
    }
  } finally {
    writer.close();
    bar?.stop();
    options.signal?.removeEventListener('abort', onAbort);
  }

  const complete = mine.every((g) => records.has(g));
  const hash = aggregateHash(records.values());
  const findings = options.writeOutputs !== false ? await writeOutputs(dir, spec, records, complete, hash, shard) : undefined;
  const wallMs = Math.round(performance.now() - t0); // wall-clock: reported only
  writeJsonAtomic(join(dir, 'run.json'), { workers, wallMs, ran, resumed, interrupted, complete });
  const allFailures = [...records.values()].filter((r) => !r.ok).sort((a, b) => a.p - b.p || a.i - b.i);
  return {
    points: spec.points.length,
    trials: total,
    workers,
    wallMs,
    aggregateHash: hash,
    resultsDir: dir,
    complete,
    interrupted,
    ran,
    resumed,
    failures: allFailures.length ? allFailures : failures,
    identity,
    ...(findings ? { findings } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Merge

export interface MergeOutcome {
  points: number;
  trials: number;
  shards: number;
  aggregateHash: string;
  resultsDir: string;
  failures: TrialRecord[];
  findings: SweepFindings;
}

/**
 * Merges shard directories into one result directory: the same summary.json, CSVs and
 * aggregateHash as a single-machine run. The sweep spec comes from the shards' spec.json, so
 * the merging machine needs no scenario file.
 */
export async function mergeSweeps(dirs: string[], options: { out?: string } = {}): Promise<MergeOutcome> {
  if (dirs.length === 0) throw new SweepUsageError('merge: give at least one shard directory');
  const manifests = dirs.map((d) => ({ dir: resolve(d), m: readManifest(resolve(d)) }));
  const first = manifests[0].m;
  for (const { dir, m } of manifests) {
    const why: string[] = [];
    if (m.name !== first.name) why.push(`scenario "${m.name}" ≠ "${first.name}"`);
    if (m.seed !== first.seed) why.push(`seed ${m.seed} ≠ ${first.seed}`);
    if (m.trials !== first.trials) why.push(`trials per point ${m.trials} ≠ ${first.trials}`);
    if (m.points !== first.points) why.push(`points ${m.points} ≠ ${first.points}`);
    if (why.length === 0 && m.identity !== first.identity) why.push('the scenario or trial options differ');
    if (why.length) throw new SweepUsageError(`merge: ${dir} is from a different sweep than ${manifests[0].dir}: ${why.join(', ')}`);
  }
  const counts = new Set(manifests.map(({ m }) => m.shard?.count ?? 1));
  if (counts.size !== 1) throw new SweepUsageError(`merge: shards of different splits (${[...counts].map((c) => `/${c}`).join(', ')})`);
  const N = [...counts][0];
  const seen = new Map<number, string>();
  for (const { dir, m } of manifests) {
    const idx = m.shard?.index ?? 1;
    if (seen.has(idx)) throw new SweepUsageError(`merge: shard ${idx}/${N} given twice (${seen.get(idx)} and ${dir})`);
    seen.set(idx, dir);
  }
  const missing = [];
  for (let k = 1; k <= N; k++) if (!seen.has(k)) missing.push(`${k}/${N}`);
  if (missing.length) throw new SweepUsageError(`merge: missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);

  const spec = readSpec(manifests[0].dir);
  const identity = sweepIdentity(spec);
  if (identity !== first.identity) throw new SweepUsageError(`merge: ${manifests[0].dir}/spec.json does not match its manifest (edited?)`);
  const records = new Map<number, TrialRecord>();
  for (const { dir, m } of manifests) {
    const shard = m.shard ?? undefined;
    const recs = readRecords(dir);
    const expected = shardTrials(m.points, m.trials, shard);
    const absent = expected.filter((g) => !recs.has(g));
    if (absent.length) throw new SweepUsageError(`merge: ${dir} is incomplete (${absent.length} of ${expected.length} trials missing); finish it with --resume`);
    for (const g of expected) records.set(g, recs.get(g)!);
  }
  const dir = resolve(options.out ?? join(PROJECT_ROOT, 'results', spec.name, `sweep-${identity.slice(0, 12)}-merged`));
  if (existsSync(join(dir, 'manifest.json'))) throw new SweepUsageError(`merge: ${dir} already holds results; choose another --out`);
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, 'manifest.json'), {
    ...makeManifest({ scenario: spec.name, seed: spec.seed, resolvedScenario: spec.describe?.resolvedScenario ?? null, ...(spec.manifestExtra ?? {}) }),
    kind: 'sweep',
    name: spec.name,
    identity,
    seed: spec.seed,
    trials: spec.trials,
    points: spec.points.length,
    trialModule: first.trialModule,
    trialOptions: first.trialOptions,
    shard: null,
    assignments: spec.points.map((p) => p.assignments),
    mergedFrom: manifests.map(({ dir: d, m }) => ({ dir: d, shard: m.shard, gitCommit: m.gitCommit ?? null })),
  });
  const sorted = [...records.values()].sort((a, b) => a.p - b.p || a.i - b.i);
  writeSpec(dir, spec);
  writeFileAtomic(join(dir, 'trials.jsonl'), sorted.map((r) => canonicalRecord(r) + '\n').join(''));
  const hash = aggregateHash(sorted);
  const findings = await writeOutputs(dir, spec, records, true, hash, undefined);
  return { points: spec.points.length, trials: sorted.length, shards: N, aggregateHash: hash, resultsDir: dir, failures: sorted.filter((r) => !r.ok), findings };
}

// ---------------------------------------------------------------------------------------------
// Scenario sweeps (`medsim sweep <scenario>`)

/** Trials per point when neither --trials nor the scenario's `sweep.trials` says. */
export const DEFAULT_TRIALS = 10;

export interface RunSweepOptions extends SweepRunOptions {
  /** Scenario YAML file. */
  scenario: string;
  /** Trials per point (default: the scenario's sweep.trials, else 10). */
  trials?: number;
  /** `--set path=value` overrides, already parsed. */
  overrides?: Record<string, unknown>;
  /** Module exporting PROTOCOLS (default protocols/registry.ts). */
  registryModule?: string;
  json?: boolean;
}

/** Builds the sweep spec of a scenario file (loads, validates and expands its `sweep:`). */
export async function scenarioSweepSpec(options: Pick<RunSweepOptions, 'scenario' | 'trials' | 'overrides' | 'registryModule'>): Promise<SweepSpec> {
  const { loadScenario, expandSweep } = await import('../sim/scenario/index.ts');
  const { loadRegistry } = await import('./trials/scenario.ts');
  const protocols = await loadRegistry(options.registryModule);
  const registry = Object.fromEntries(Object.entries(protocols).map(([name, m]) => [name, m.schema]));
  const loaded = loadScenario(options.scenario, { registry, ...(options.overrides ? { overrides: options.overrides, overrideSource: '--set' } : {}) });
  const points = expandSweep(loaded.raw, registry, { file: options.scenario, locations: loaded.locations });
  const s = loaded.scenario as { name: string; seed: number; sweep?: { trials?: number } };
  const trials = options.trials ?? s.sweep?.trials ?? DEFAULT_TRIALS;
  return {
    name: s.name,
    seed: s.seed,
    trials,
    points: points.map((p) => ({ index: p.index, assignments: p.assignments, params: p.scenario })),
    trialModule: join(HERE, 'trials', 'scenario.ts'),
    trialOptions: { registryModule: options.registryModule ? relative(PROJECT_ROOT, resolve(options.registryModule)) : null },
    describe: { resolvedScenario: loaded.raw },
    manifestExtra: { scenarioFile: options.scenario },
  };
}

/** `medsim sweep`: loads the scenario, runs its points × trials, writes the results directory. */
export async function runSweep(options: RunSweepOptions): Promise<SweepOutcome> {
  const spec = await scenarioSweepSpec(options);
  if (options.trials !== undefined && (!Number.isInteger(options.trials) || options.trials < 1)) throw new SweepUsageError(`--trials: expected an integer ≥ 1, got ${options.trials}`);
  return runSweepSpec(spec, options);
}
