/**
 * `medsim check` subcommand wiring (see check.ts for what it does).
 */
import { type Command } from 'commander';
import { join } from 'node:path';
import { writeFileAtomic } from '../../sim/results.ts';
import { formatDuration } from '../../sim/units.ts';
import { progressWanted } from '../sweep.ts';
import { determinismSelfTest, runChecks, type CheckReport, type SuiteReport } from './check.ts';
import { loadSuite } from './suite.ts';
import { shrinkFailure, type ShrinkResult } from './shrink.ts';
import { suiteFile } from './check.ts';
import type { CheckOutcome } from './trial.ts';

function int(name: string, text: string, min = 0): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new CheckUsageError(`${name}: expected an integer ≥ ${min}, got "${text}"`);
  return Number(text);
}

export class CheckUsageError extends Error {}

function describeFailure(s: SuiteReport): string {
  const f = s.firstFailure!;
  const lines = [
    `${s.ok ? 'EXPECTED' : 'FAILURE '} suite ${s.name}, seed ${f.seed}: ${f.kind} violation of "${f.invariant}"${s.ok ? ' (this suite or mutant exists to show it is caught)' : ''}`,
    `  ${f.message ?? ''}`.trimEnd(),
  ];
  if (f.history?.length) {
    lines.push('  events leading up to it (time, kind, type, from -> to):');
    for (const e of f.history.slice(-16)) lines.push(`    ${formatDuration(e.time).padStart(12)}  ${e.kind.padEnd(8)} ${e.type.padEnd(18)} ${e.from} -> ${e.to}`);
  }
  lines.push(`  replay: ${f.replay}`);
  return lines.join('\n');
}

function humanReport(r: CheckReport): string {
  const lines = [`medsim check: base seed ${r.baseSeed} (${r.baseSeedSource}), ${r.workers} worker(s), ${(r.wallMs / 1000).toFixed(1)} s${r.mutant ? `, mutant ${r.mutant}` : ''}`];
  for (const s of r.suites) {
    const verdict = s.ok ? 'ok' : 'NOT OK';
    lines.push(`  ${s.name.padEnd(28)} ${String(s.seeds).padStart(4)} seeds  ${String(s.passed).padStart(4)} passed  ${String(s.failed).padStart(3)} safety  ${String(s.liveness).padStart(3)} liveness  (expect ${r.mutant ? 'violation (mutant)' : s.expect})  ${verdict}`);
  }
  for (const s of r.suites) if (s.firstFailure) lines.push('', describeFailure(s));
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
    .option('--mutant <name>', 'run against a deliberately broken protocol variant; the check must find a violation')
    .option('--shrink', 'shrink each suite\'s first failure to a smaller failing scenario (YAML for medsim run)')
    .option('--determinism', 'run sampled seeds twice in separate processes and compare trace hashes')
    .option('--samples <n>', 'seeds per suite for --determinism (default 2)')
    .option('--out <dir>', 'results directory (must be new)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (names: string[], opts: { seeds?: string; seed?: string; workers?: string; mutant?: string; shrink?: boolean; determinism?: boolean; samples?: string; out?: string; json?: boolean }) => {
      const seed = opts.seed !== undefined ? int('--seed', opts.seed) : undefined;
      if (opts.determinism) {
        const d = determinismSelfTest({ suites: names, seed, samples: opts.samples !== undefined ? int('--samples', opts.samples, 1) : undefined });
        if (opts.json) process.stdout.write(JSON.stringify({ determinism: d }) + '\n');
        else {
          for (const c of d.checked) process.stdout.write(`${c.same ? 'same     ' : 'MISMATCH '} ${c.suite} seed ${c.seed}: ${c.hashes.join(' vs ')}\n`);
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
        progress: progressWanted(opts.json),
        out: opts.out,
      });
      const shrunk: (ShrinkResult & { suite: string; file: string })[] = [];
      if (opts.shrink) {
        for (const s of report.suites) {
          if (!s.firstFailure) continue;
          const suite = loadSuite(suiteFile(s.name));
          const failure = { suite: s.name, seed: s.firstFailure.seed, mutant: report.mutant, status: s.firstFailure.kind as CheckOutcome['status'], invariant: s.firstFailure.invariant, message: s.firstFailure.message, traceHash: '', events: 0, simTimeUs: 0, drawn: {} };
          const r = shrinkFailure(suite, failure);
          const file = join(report.resultsDir, `${s.name}-seed-${s.firstFailure.seed}-shrunk.yaml`);
          writeFileAtomic(file, r.yaml);
          shrunk.push({ ...r, suite: s.name, file });
        }
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...report, shrunk: shrunk.map((r) => ({ suite: r.suite, file: r.file, sizeBefore: r.sizeBefore, sizeAfter: r.sizeAfter, runs: r.runs, outcome: r.outcome })) }) + '\n');
      } else {
        process.stdout.write(humanReport(report) + '\n');
        for (const r of shrunk) {
          process.stdout.write(`\nshrunk ${r.suite} (size ${r.sizeBefore.toFixed(1)} -> ${r.sizeAfter.toFixed(1)} in ${r.runs} runs), still fails with ${r.outcome.status}: ${r.outcome.invariant}\nwritten to ${r.file}:\n${r.yaml}`);
        }
      }
      process.exitCode = report.exitCode;
    });
}
