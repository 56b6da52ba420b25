/**
 * `medsim check` subcommand wiring (see check.ts for what it does).
 */
import { type Command } from 'commander';
import { join } from 'node:path';
import { writeFileAtomic } from '../../sim/results.ts';
import { formatDuration } from '../../sim/units.ts';
import { ScenarioError } from '../../sim/scenario/index.ts';
import { UnknownMutantError } from '../../sim/protocol.ts';
import { progressWanted, SweepUsageError } from '../sweep.ts';
import { determinismSelfTest, runChecks, suiteFile, type CheckReport, type SeedFailure, type SuiteReport } from './check.ts';
import { loadSuite, SuiteError } from './suite.ts';
import { shrinkFailure, type ShrinkResult } from './shrink.ts';
import type { CheckOutcome } from './trial.ts';

function int(name: string, text: string, min = 0): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new CheckUsageError(`${name}: expected an integer ≥ ${min}, got "${text}"`);
  return Number(text);
}

export class CheckUsageError extends Error {}

function describeSeed(title: string, f: SeedFailure): string {
  const also = f.invariants.length > 1 ? ` (on the same event also: ${f.invariants.slice(1).map((i) => `"${i}"`).join(', ')})` : '';
  const what = f.kind === 'error' ? 'harness error' : f.kind === 'crash' ? `crash ("${f.invariant}")` : `${f.kind} violation of "${f.invariant}"${also}`;
  const lines = [`${title}, seed ${f.seed}: ${what}`, `  ${f.message ?? ''}`.trimEnd()];
  if (f.history?.length) {
    lines.push('  events leading up to it (time, kind, type, from -> to):');
    for (const e of f.history.slice(-16)) lines.push(`    ${formatDuration(e.time).padStart(12)}  ${e.kind.padEnd(8)} ${e.type.padEnd(18)} ${e.from} -> ${e.to}`);
  }
  lines.push(`  replay: ${f.replay}`);
  return lines.join('\n');
}

function counts(t: { seeds: number; passed: number; failed: number; liveness: number; crashed: number; errors: number }): string {
  const extra = `${t.crashed ? `  ${t.crashed} crashed` : ''}${t.errors ? `  ${t.errors} harness errors` : ''}`;
  return `${String(t.seeds).padStart(4)} seeds  ${String(t.passed).padStart(4)} passed  ${String(t.failed).padStart(3)} safety  ${String(t.liveness).padStart(3)} liveness${extra}`;
}

function humanReport(r: CheckReport): string {
  const lines = [`medsim check: base seed ${r.baseSeed} (${r.baseSeedSource}), ${r.workers} worker(s), ${(r.wallMs / 1000).toFixed(1)} s${r.mutant ? `, mutant ${r.mutant}` : ''}`];
  for (const s of r.suites) {
    const verdict = s.ok ? 'ok' : `NOT OK: ${s.reason}`;
    if (s.mutant && s.control) {
      const m = s.mutant;
      const first = m.firstCatch ? `first at seed ${m.firstCatch.seed} (seed #${m.firstCatch.seedsToCatch})` : 'never';
      lines.push(`  ${s.name} / ${m.name}: caught by "${m.invariant}" on ${m.caughtByName} of ${s.seeds} seeds, ${first}; control ${s.control.passed}/${s.control.seeds} passed  ${s.ok ? 'PROVEN' : verdict}`);
    } else {
      lines.push(`  ${s.name.padEnd(28)} ${counts(s)}  (expect ${s.expect})  ${verdict}`);
    }
  }
  for (const s of r.suites) {
    if (s.mutant) {
      if (s.mutant.firstCatch) lines.push('', describeSeed(`CAUGHT   suite ${s.name}, mutant ${s.mutant.name} (${s.mutant.description})`, s.mutant.firstCatch));
      else if (s.firstFailure) lines.push('', describeSeed(`MUTANT   suite ${s.name}, mutant ${s.mutant.name}: first failure`, s.firstFailure));
      if (s.control?.firstFailure) lines.push('', describeSeed(`CONTROL FAILED  suite ${s.name}, mutant ${s.mutant.name}'s setting with the honest protocol`, s.control.firstFailure));
    } else if (s.firstFailure) {
      const expected = s.ok && s.expect === 'violation';
      lines.push('', describeSeed(`${expected ? 'EXPECTED' : 'FAILURE '} suite ${s.name}${expected ? ' (this suite exists to show it is caught)' : ''}`, s.firstFailure));
    }
  }
  lines.push('', `results: ${r.resultsDir}`);
  return lines.join('\n');
}

export function registerCheckCommands(program: Command): void {
  program
    .command('check')
    .description('Consensus-safety swarm runs for CI: each suite over many seeds, each seed drawing its own faults')
    .argument('[suites...]', 'suite names (scenarios/safety/<name>.yaml) or files; default: all suites')
    .option('--seeds <n>', 'seeds per suite (default 40; 1 with --seed)')
    .option('--seed <s>', 'base seed (default: from the current git commit); with no --seeds, replays exactly this seed')
    .option('--workers <k>', 'worker threads (default: all cores; 0 = this thread)')
    .option('--mutant <name>', 'run a deliberately broken protocol variant, and its control (the honest protocol on the same seeds), in every suite listing it; exit 0 when it is caught by its invariant and the control passes')
    .option('--all-mutants', 'every mutant of every suite, with controls: the mutant table')
    .option('--shrink', "shrink each suite's first failure to a smaller failing scenario (YAML for medsim run)")
    .option('--determinism', 'run sampled seeds twice in separate processes and compare trace hashes')
    .option('--samples <n>', 'seeds per suite for --determinism (default 2)')
    .option('--out <dir>', 'results directory (must be new)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (names: string[], opts: CheckFlags) => {
      try {
        await check(names, opts);
      } catch (err) {
        if (err instanceof CheckUsageError || err instanceof SuiteError || err instanceof SweepUsageError || err instanceof ScenarioError || err instanceof UnknownMutantError) throw err;
        // Anything else is a bug of the harness itself, not a protocol outcome: exit 2.
        process.stderr.write(`check harness error: ${(err as Error)?.stack ?? err}\n`);
        process.exitCode = 2;
      }
    });
}

interface CheckFlags { seeds?: string; seed?: string; workers?: string; mutant?: string; allMutants?: boolean; shrink?: boolean; determinism?: boolean; samples?: string; out?: string; json?: boolean }

async function check(names: string[], opts: CheckFlags): Promise<void> {
      const seed = opts.seed !== undefined ? int('--seed', opts.seed) : undefined;
      if (opts.mutant !== undefined && opts.allMutants) throw new CheckUsageError('--mutant and --all-mutants: give one of them');
      if (opts.determinism) {
        const d = determinismSelfTest({ suites: names, seed, samples: opts.samples !== undefined ? int('--samples', opts.samples, 1) : undefined });
        if (opts.json) process.stdout.write(JSON.stringify({ determinism: d }) + '\n');
        else {
          for (const c of d.checked) process.stdout.write(`${c.same ? 'same     ' : 'MISMATCH '} ${c.suite} seed ${c.seed}: ${c.hashes.join(' vs ')}${c.problem ? ` (${c.problem})` : ''}\n`);
          process.stdout.write(`${d.checked.length} seeds checked, ${d.mismatches} mismatches\n`);
        }
        process.exitCode = d.mismatches ? 1 : 0;
        return;
      }
      const report = await runChecks({
        suites: names,
        seeds: opts.seeds !== undefined ? int('--seeds', opts.seeds, 1) : undefined,
        seed,
        workers: opts.workers !== undefined ? int('--workers', opts.workers) : undefined,
        mutant: opts.mutant,
        allMutants: opts.allMutants,
        progress: progressWanted(opts.json),
        out: opts.out,
      });
      const shrunk: (ShrinkResult & { suite: string; file: string })[] = [];
      if (opts.shrink) {
        for (const s of report.suites) {
          const f = s.mutant ? s.mutant.firstCatch : s.firstFailure;
          if (!f || (f.kind !== 'safety' && f.kind !== 'liveness' && f.kind !== 'crash')) continue;
          const suite = loadSuite(suiteFile(s.name));
          const failure: CheckOutcome = { suite: s.name, seed: f.seed, mutant: s.mutant?.name ?? null, control: false, status: f.kind, invariant: f.invariant, invariants: f.invariants, message: f.message, traceHash: '', events: 0, simTimeUs: 0, drawn: {} };
          const r = shrinkFailure(suite, failure);
          const file = join(report.resultsDir, `${s.name}${s.mutant ? `-${s.mutant.name}` : ''}-seed-${f.seed}-shrunk.yaml`);
          writeFileAtomic(file, r.yaml);
          shrunk.push({ ...r, suite: s.name, file });
        }
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...report, shrunk: shrunk.map((r) => ({ suite: r.suite, file: r.file, sizeBefore: r.sizeBefore, sizeAfter: r.sizeAfter, runs: r.runs, outcome: r.outcome, replay: r.replay })) }) + '\n');
      } else {
        process.stdout.write(humanReport(report) + '\n');
        for (const r of shrunk) {
          process.stdout.write(`\nshrunk ${r.suite} (size ${r.sizeBefore.toFixed(1)} -> ${r.sizeAfter.toFixed(1)} in ${r.runs} runs), still fails with ${r.outcome.status}: ${r.outcome.invariant}\nwritten to ${r.file} (replay: ${r.replay.replace('<file>', r.file)}):\n${r.yaml}`);
        }
      }
      process.exitCode = report.exitCode;
}
