/**
 * The analysis subcommands of `medsim`: sweep, merge, reproduce, report, bench sweep, bench race.
 * sim/cli.ts calls `registerAnalysisCommands(program)`.
 *
 * Conventions (as the rest of the CLI): `--json` prints exactly one JSON object on stdout and
 * nothing else there (progress and diagnostics on stderr); exit 0 success, 1 failure (a failed
 * trial without --keep-going, a failed figure), 2 bad usage or bad input, 130 interrupted
 * (Ctrl-C; finished trials are kept and `--resume` continues).
 */
import { Command, Option } from 'commander';
import { ScenarioError, parseOverride } from '../sim/scenario/index.ts';
import { benchRace, benchSweep } from './bench-sweep.ts';
import { FIGURES, reproduce, UnknownFigure } from './reproduce/index.ts';
import { findExport } from './reproduce/needs.ts';
import { writeReport } from './report.ts';
import { mergeSweeps, parseShard, progressWanted, readSpec, runSweep, SweepUsageError } from './sweep.ts';
import { PRINTED_REPLAYS, replayFromHere, sweepText } from './sweep-text.ts';

export const ANALYSIS_EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

function positiveInt(flag: string, text: string | undefined, min = 1): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) throw new SweepUsageError(`${flag}: expected an integer ≥ ${min}, got "${text}"`);
  return Number(text);
}

/** Runs an action; maps usage problems to exit 2 and other errors to exit 1, printed without a stack. */
function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const usage = err instanceof SweepUsageError || err instanceof UnknownFigure || err instanceof ScenarioError;
      process.stderr.write(`error: ${(err as Error).message}\n`);
      if (!usage && process.env.MEDSIM_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = usage ? ANALYSIS_EXIT.usage : ANALYSIS_EXIT.failure;
    }
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];

function countBy(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

export function registerAnalysisCommands(program: Command): void {
  program
    .command('sweep')
    .description('Run a scenario’s sweep (points × trials) on a worker pool; resumable, shardable')
    .argument('<scenario>', 'scenario YAML file (its sweep: block gives the points)')
    .option('--trials <n>', 'trials per point (default: sweep.trials in the scenario, else 10)')
    .option('--workers <k>', 'worker threads (default: number of cores; 0 = run in this thread)')
    .option('--out <dir>', 'results directory (default results/<scenario>/sweep-<id>[-shard-i-of-N])')
    .option('--json', 'print {"points","trials","workers","wallMs","aggregateHash","resultsDir","violations","violationsByInvariant","failed","replays"}')
    .option('--shard <i/N>', 'run only shard i of N (1-based) and write a partial result for `medsim merge`')
    .option('--resume', 'continue the sweep in its results directory, skipping finished trials')
    .option('--keep-going', 'run every trial even if some fail (exit 0; failures listed with their seeds)')
    .option('--set <path=value>', 'override a scenario value (repeatable)', collect, [])
    .addHelpText('after', '\nExit codes: 0 ok, 1 a trial failed (without --keep-going), 2 bad usage, 130 interrupted (Ctrl-C; use --resume).')
    .action(
      guarded(async (file: string, opts: { trials?: string; workers?: string; out?: string; json?: boolean; shard?: string; resume?: boolean; keepGoing?: boolean; set: string[] }) => {
        const overrides: Record<string, unknown> = {};
        for (const s of opts.set) {
          try {
            const [path, value] = parseOverride(s);
            overrides[path] = value;
          } catch (err) {
            throw new SweepUsageError(`--set: ${(err as Error).message}`);
          }
        }
        const trials = positiveInt('--trials', opts.trials);
        const workers = positiveInt('--workers', opts.workers, 0);
        const shard = opts.shard !== undefined ? parseShard(opts.shard) : undefined;
        const controller = new AbortController();
        let signals = 0;
        const onSigint = () => {
          signals++;
          if (signals === 1) {
            process.stderr.write('\ninterrupted: finishing in-flight trials (Ctrl-C again to abandon them); finished trials are kept — continue with --resume\n');
            controller.abort();
          } else {
            process.stderr.write('abandoning in-flight trials\n');
            process.exit(ANALYSIS_EXIT.interrupted);
          }
        };
        process.on('SIGINT', onSigint);
        try {
          const o = await runSweep({
            scenario: file,
            ...(trials !== undefined ? { trials } : {}),
            ...(workers !== undefined ? { workers } : {}),
            ...(opts.out ? { out: opts.out } : {}),
            ...(shard ? { shard } : {}),
            ...(Object.keys(overrides).length ? { overrides } : {}),
            resume: Boolean(opts.resume),
            keepGoing: Boolean(opts.keepGoing),
            progress: progressWanted(opts.json),
            signal: controller.signal,
            json: Boolean(opts.json),
          });
          const findings = o.findings!;
          if (opts.json) {
            printJson({
              points: o.points, trials: o.trials, workers: o.workers, wallMs: o.wallMs, aggregateHash: o.aggregateHash, resultsDir: o.resultsDir,
              violations: findings.violations.length, violationsByInvariant: countBy(findings.violations.map((v) => v.invariant)), failed: findings.failures.length,
              replays: [...findings.violations, ...findings.failures].slice(0, PRINTED_REPLAYS).map((v) => ({ p: v.p, i: v.i, seed: v.seed, replay: replayFromHere(o.resultsDir, v.p, v.seed) })),
            });
          } else {
            const spec = readSpec(o.resultsDir);
            const progress = [shard ? `shard ${shard.index}/${shard.count}: ${o.trials} trials` : '', `ran ${o.ran}, resumed ${o.resumed}`, o.complete ? '' : 'INCOMPLETE'].filter(Boolean).join(', ');
            process.stdout.write(sweepText({ points: o.points, trialsPerPoint: spec.trials, trials: o.trials, workers: o.workers, wallMs: o.wallMs, aggregateHash: o.aggregateHash, resultsDir: o.resultsDir, findings, progress }));
          }
          if (o.interrupted) process.exitCode = ANALYSIS_EXIT.interrupted;
          else if (o.failures.length && !opts.keepGoing) process.exitCode = ANALYSIS_EXIT.failure;
          else process.exitCode = ANALYSIS_EXIT.ok;
        } finally {
          process.off('SIGINT', onSigint);
        }
      }),
    );

  program
    .command('merge')
    .description('Merge the shard directories of one sweep into the single-machine result')
    .argument('<dirs...>', 'shard results directories (all N shards of the same sweep)')
    .option('--out <dir>', 'merged results directory (default results/<scenario>/sweep-<id>-merged)')
    .option('--json', 'print {"points","trials","shards","aggregateHash","resultsDir","violations","violationsByInvariant","failed"}')
    .action(
      guarded(async (dirs: string[], opts: { out?: string; json?: boolean }) => {
        const m = await mergeSweeps(dirs, opts.out ? { out: opts.out } : {});
        if (opts.json) printJson({ points: m.points, trials: m.trials, shards: m.shards, aggregateHash: m.aggregateHash, resultsDir: m.resultsDir, violations: m.findings.violations.length, violationsByInvariant: countBy(m.findings.violations.map((v) => v.invariant)), failed: m.findings.failures.length });
        else process.stdout.write(sweepText({ points: m.points, trialsPerPoint: m.points ? m.trials / m.points : 0, trials: m.trials, aggregateHash: m.aggregateHash, resultsDir: m.resultsDir, findings: m.findings, progress: `merged from ${m.shards} shards` }));
        process.exitCode = m.failures.length ? ANALYSIS_EXIT.failure : ANALYSIS_EXIT.ok;
      }),
    );

  program
    .command('reproduce')
    .description('Regenerate a seed paper’s figure or table (published values next to ours)')
    .argument('[id]', `figure id or "all" (${FIGURES.map((f) => f.id).join(', ')})`)
    .option('--list', 'list the figures and whether their code is available')
    .option('--quick', 'CI smoke mode: under a minute per figure')
    .option('--json', 'print one JSON object: {"rows":[…]} for one figure, {"figures":[…]} for all or --list')
    .option('--out <dir>', 'output root (default results/reproduce); each figure writes <out>/<id>/')
    .option('--trials <n>', 'Monte-Carlo trials per point (races, elections)')
    .option('--workers <k>', 'worker threads for sweeps (default: cores)')
    .addOption(new Option('--seed <n>', 'seed of the reproduction').default('2019'))
    .action(
      guarded(async (id: string | undefined, opts: { list?: boolean; quick?: boolean; json?: boolean; out?: string; trials?: string; workers?: string; seed: string }) => {
        if (opts.list || id === undefined) {
          if (!opts.list) throw new SweepUsageError('reproduce: give a figure id, "all", or --list');
          const figures = FIGURES.map((f) => {
            const missing = (f.needs ?? []).filter((n) => !findExport(n.folder, n.name)).map((n) => `${n.folder}: ${n.name}`);
            return { id: f.id, title: f.title, source: f.source, available: missing.length === 0, ...(missing.length ? { reason: `needs ${missing.join(', ')} (not available)` } : {}) };
          });
          if (opts.json) printJson({ figures });
          else for (const f of figures) process.stdout.write(`${f.id.padEnd(18)} ${f.available ? 'available  ' : 'unavailable'} ${f.source}${f.reason ? `\n${' '.repeat(31)}${f.reason}` : ''}\n`);
          process.exitCode = ANALYSIS_EXIT.ok;
          return;
        }
        const trials = positiveInt('--trials', opts.trials);
        const workers = positiveInt('--workers', opts.workers, 0);
        const seed = positiveInt('--seed', opts.seed, 0)!;
        const outcomes = await reproduce(id, { quick: Boolean(opts.quick), json: Boolean(opts.json), ...(opts.out ? { out: opts.out } : {}), ...(trials !== undefined ? { trials } : {}), ...(workers !== undefined ? { workers } : {}), seed });
        if (opts.json) {
          if (id !== 'all') {
            const o = outcomes[0];
            printJson(o.status === 'ok' ? { rows: o.rows } : { id: o.id, status: o.status, reason: o.reason });
          } else {
            printJson({ figures: outcomes.map((o) => ({ id: o.id, status: o.status, ...(o.reason ? { reason: o.reason } : {}), ...(o.rows ? { rows: o.rows } : {}), ...(o.dir ? { dir: o.dir } : {}), wallMs: o.wallMs })) });
          }
        } else {
          for (const o of outcomes) {
            process.stdout.write(`\n== ${o.id}: ${o.title}\n   ${o.source}\n   published: ${o.published}\n`);
            if (o.status !== 'ok') {
              process.stdout.write(`   ${o.status.toUpperCase()}: ${o.reason}\n`);
              continue;
            }
            const cols = o.columns ?? [];
            process.stdout.write('   ' + cols.map((c) => c.padStart(12)).join(' ') + '\n');
            for (const r of o.rows ?? []) process.stdout.write('   ' + cols.map((c) => cell(r[c]).padStart(12)).join(' ') + '\n');
            for (const c of o.comparisons ?? []) process.stdout.write(`   paper vs ours  ${c.label}: ${c.paper} vs ${c.ours}${c.difference ? ` (${c.difference})` : ''}\n`);
            for (const n of o.notes ?? []) process.stdout.write(`   note: ${n}\n`);
            process.stdout.write(`   output: ${o.dir} (${(o.wallMs / 1000).toFixed(1)} s)\n`);
          }
        }
        const failed = outcomes.some((o) => o.status === 'failed') || (id !== 'all' && outcomes[0].status !== 'ok');
        process.exitCode = failed ? ANALYSIS_EXIT.failure : ANALYSIS_EXIT.ok;
      }),
    );

  program
    .command('report')
    .description('Write a self-contained index.html (inline SVG charts, tables, manifests) for a results directory')
    .argument('<results-dir>', 'a run, sweep or reproduce directory (or a folder of them)')
    .option('--json', 'print {"index"}')
    .action(
      guarded(async (dir: string, opts: { json?: boolean }) => {
        let file: string;
        try {
          file = await writeReport(dir);
        } catch (err) {
          throw new SweepUsageError((err as Error).message);
        }
        if (opts.json) printJson({ index: file });
        else process.stdout.write(`${file}\n`);
        process.exitCode = ANALYSIS_EXIT.ok;
      }),
    );

  const bench = program.commands.find((c) => c.name() === 'bench') ?? program.command('bench').description('Performance benchmarks');
  bench
    .command('sweep')
    .description('Double-spend Monte-Carlo on the sweep engine: 2 workers vs 1 in the same run (medians)')
    .option('--json', 'print {"trials","wallMs1","wallMs2","speedup"}')
    .option('--repetitions <n>', 'measured repetitions per worker count', '3')
    .action(
      guarded(async (opts: { json?: boolean; repetitions: string }) => {
        const r = await benchSweep({ repetitions: positiveInt('--repetitions', opts.repetitions)! });
        if (opts.json) printJson(r);
        else process.stdout.write(`race trials ${r.trials.toLocaleString('en-US')}\n1 worker    ${r.wallMs1} ms\n2 workers   ${r.wallMs2} ms\nspeedup     ${r.speedup} (target ≥ 1.7 on 2 cores)\n`);
        process.exitCode = ANALYSIS_EXIT.ok;
      }),
    );
  bench
    .command('race')
    .description('Abstract double-spend race: trials per second on one core')
    .option('--json', 'print {"races","q","z","wallMs","racesPerSec","stepsPerRace"}')
    .option('--q <q>', 'attacker share', '0.1')
    .option('--z <z>', 'confirmations', '6')
    .action(
      guarded(async (opts: { json?: boolean; q: string; z: string }) => {
        const q = Number(opts.q);
        if (!(q >= 0 && q <= 1)) throw new SweepUsageError(`--q: expected a number in [0, 1], got "${opts.q}"`);
        const r = benchRace({ q, z: positiveInt('--z', opts.z, 0)! });
        if (opts.json) printJson(r);
        else process.stdout.write(`q=${r.q} z=${r.z}: ${r.racesPerSec.toLocaleString('en-US')} races/s on one core (${r.stepsPerRace} blocks per race; target ≥ 1,000,000)\n`);
        process.exitCode = ANALYSIS_EXIT.ok;
      }),
    );
}

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(6);
  return String(v ?? '');
}
