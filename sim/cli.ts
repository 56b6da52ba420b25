/**
 * `medsim`: the command-line interface.
 *
 * Conventions every subcommand follows:
 * - `--json` prints exactly one JSON object on stdout and nothing else there (progress and
 *   diagnostics go to stderr); without it, a readable summary.
 * - Exit codes: 0 success, 1 the run found a violation or failed, 2 bad usage or bad input,
 *   3 a liveness failure (check harness).
 * - Bad scenario input prints `file:line:col: key.path: what was expected` and no stack trace.
 *
 * This file is the composition root: it is the one place in `sim/` that knows the protocol
 * registry and the analysis commands (the kernel itself imports no protocol).
 */
import { Command, CommanderError, Option } from 'commander';
import { join, resolve } from 'node:path';
import { CheckUsageError, registerCheckCommands } from '../analysis/check/commands.ts';
import { SuiteError } from '../analysis/check/suite.ts';
import { SweepUsageError } from '../analysis/sweep.ts';
import { registerAnalysisCommands } from '../analysis/commands.ts';
import { registerSettlementCommands } from '../analysis/settlement-commands.ts';
import { registerChannelCommands } from '../analysis/channel-commands.ts';
import { PROTOCOLS, protocolSchemas } from '../protocols/registry.ts';
import { benchCrypto } from '../protocols/crypto/bench.ts';
import { benchPbft, type BenchPbftResult } from '../protocols/pbft/bench.ts';
import { benchPow, formatPowBench, SCALE_HELP } from '../protocols/pow/bench.ts';
import { benchRingchain } from '../protocols/ringchain/bench.ts';
import { benchKernel } from './bench-kernel.ts';
import type { RunResult } from './kernel.ts';
import { makeManifest, packageVersion, PROJECT_ROOT, writeFileAtomic, writeJsonAtomic } from './results.ts';
import { UnknownMutantError, withMutant } from './protocol.ts';
import { RESOLVED_SCENARIO_FILE, replayCommand, replayWithOverrides, writeReplayScenario } from './replay.ts';
import { runScenario } from './runner.ts';
import { runText, violationText } from './run-text.ts';
import { toCsv } from '../analysis/io.ts';
import { loadScenario, parseOverride, scenarioJsonSchema, ScenarioError } from './scenario/index.ts';
import type { Scenario } from './scenario/schema.ts';
import { formatDuration } from './units.ts';

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2, liveness: 3 } as const;

/** An error that is the user's input, not a bug: printed without a stack trace, exit 2. */
export class UsageError extends Error {}

function loadOrThrow(file: string, sets: string[] = []) {
  const overrides: Record<string, unknown> = {};
  for (const s of sets) {
    try {
      const [path, value] = parseOverride(s);
      overrides[path] = value;
    } catch (err) {
      throw new UsageError(`--set: ${(err as Error).message}`);
    }
  }
  return loadScenario(file, { registry: protocolSchemas(), overrides, overrideSource: '--set' });
}

function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--seed: expected a non-negative integer, got "${text}"`);
  return Number(text);
}

const collect = (value: string, previous: string[]) => [...previous, value];

function positive(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag}: expected an integer ≥ 1, got "${text}"`);
  return Number(text);
}

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Run-directory name: deterministic, so re-running a seed overwrites its own results. */
function runId(seed: number, traceHash: string): string {
  return `seed-${seed}-${traceHash.slice(0, 12)}`;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('medsim')
    .description('Deterministic simulation and analysis of medical-data blockchains')
    .version(packageVersion(), '--version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('Run a scenario once and write its results')
    .argument('<scenario>', 'scenario YAML file')
    .option('--seed <n>', 'override the scenario seed')
    .option('--set <path=value>', 'override a scenario value, e.g. --set network.loss=0.01 (repeatable)', collect, [])
    .option('--out <dir>', 'write results into this directory instead of results/<scenario>/<run-id>/')
    .option('--no-write', 'do not write a results directory')
    .option('--json', 'print one JSON object on stdout')
    .option('--mutant <name>', "run a deliberately broken variant the scenario's protocol declares (docs/check.md, \"Declaring mutants\")")
    .action((file: string, opts: { seed?: string; set: string[]; out?: string; write: boolean; json?: boolean; mutant?: string }) => {
      const loaded = loadOrThrow(file, opts.set);
      const scenario = loaded.scenario as Scenario;
      const seed = opts.seed !== undefined ? parseSeed(opts.seed) : scenario.seed;
      const modules = opts.mutant === undefined ? PROTOCOLS : withMutant(PROTOCOLS, scenario.protocol.name, opts.mutant);
      const t0 = performance.now(); // wall-clock: CLI timing only
      const { result, protocol, headline, timeline } = runScenario(scenario, modules, seed, { timeline: true });
      const wallMs = Math.round(performance.now() - t0); // wall-clock: CLI timing only
      let resultsDir: string | undefined;
      // The replay: from the resolved scenario written into the run directory (self-contained:
      // extends merged, --set applied), or, with --no-write, the file plus every override.
      const mutantFlag = opts.mutant !== undefined ? ` --mutant ${opts.mutant}` : '';
      let replay = replayWithOverrides(file, seed, opts.set) + mutantFlag;
      if (opts.write) {
        resultsDir = opts.out ?? join(PROJECT_ROOT, 'results', scenario.name, runId(seed, result.traceHash));
        const manifest = makeManifest({ scenario: scenario.name, scenarioFile: file, seed, resolvedScenario: { ...loaded.raw, seed }, overrides: opts.set, ...(opts.mutant !== undefined ? { mutant: opts.mutant } : {}) });
        writeJsonAtomic(join(resultsDir, 'manifest.json'), manifest);
        const resolvedFile = join(resultsDir, RESOLVED_SCENARIO_FILE);
        // A replay of this very file into its own directory leaves the file as it is.
        if (resolve(file) === resolve(resolvedFile)) replay = replayCommand(resolvedFile, seed) + mutantFlag;
        else {
          replay = writeReplayScenario(resultsDir, RESOLVED_SCENARIO_FILE, loaded.raw, seed, [
            'Resolved scenario of a medsim run: extends merged, --set overrides applied (listed in manifest.json), seed pinned.',
            `Replay: npx medsim run <this file> --seed ${seed}${mutantFlag}   (same trace hash at the commit in manifest.json)`,
            `trace hash ${result.traceHash}`,
          ]).command + mutantFlag;
        }
        writeFileAtomic(join(resultsDir, 'metrics.csv'), metricsCsv(result));
        writeFileAtomic(join(resultsDir, 'timeline.csv'), toCsv((timeline ?? []) as unknown as Record<string, unknown>[], ['timeUs', 'series', 'value', 'event']));
        writeJsonAtomic(join(resultsDir, 'summary.json'), { scenario: scenario.name, description: scenario.description ?? null, protocolName: scenario.protocol.name, seed, traceHash: result.traceHash, events: result.events, simTimeUs: result.simTimeUs, durationUs: scenario.duration, stopReason: result.stopReason, wallMs, headline, metrics: result.metrics, protocol, mutant: opts.mutant ?? null, violation: result.violation ?? null, violations: result.violations, replay });
      }
      if (opts.json) {
        printJson({ scenario: scenario.name, seed, traceHash: result.traceHash, events: result.events, simTimeUs: result.simTimeUs, wallMs, stopReason: result.stopReason, headline: headline.map(({ name, value }) => ({ name, value })), metrics: result.metrics, protocol, resultsDir: resultsDir ?? null, mutant: opts.mutant ?? null, violation: result.violation ? { ...result.violation, replay } : null, violations: result.violations, replay });
      } else {
        process.stdout.write(runText({ scenario, seed, result, protocol, headline, timeline, wallMs, resultsDir }) + '\n');
        if (result.violation) process.stderr.write(`\n${violationText(result.violation, replay, result.violations.slice(1))}\n`);
      }
      process.exitCode = result.violation ? (result.violation.kind === 'liveness' ? EXIT.liveness : EXIT.failure) : EXIT.ok;
    });

  program
    .command('validate')
    .description('Check a scenario file without running it')
    .argument('<scenario>', 'scenario YAML file')
    .option('--set <path=value>', 'override a scenario value (repeatable)', collect, [])
    .option('--json', 'print one JSON object on stdout')
    .action((file: string, opts: { set: string[]; json?: boolean }) => {
      const loaded = loadOrThrow(file, opts.set);
      const s = loaded.scenario as Scenario;
      if (opts.json) printJson({ valid: true, scenario: s.name, protocol: s.protocol.name, sources: loaded.sources, resolved: loaded.raw });
      else process.stdout.write(`${file}: valid (scenario "${s.name}", protocol ${s.protocol.name}, ${s.network.nodes} nodes, ${formatDuration(s.duration)})\n`);
    });

  program
    .command('schema')
    .description('Print the JSON Schema of scenario files (for editor autocompletion)')
    .action(() => printJson(scenarioJsonSchema(protocolSchemas())));

  const bench = program.command('bench').description('Performance benchmarks (medians; baselines measured in the same run)');
  bench
    .command('kernel')
    .description('Kernel events/s against a bare binary heap; 10,000-node memory check')
    .option('--json', 'print one JSON object on stdout')
    .addOption(new Option('--repetitions <n>', 'measured repetitions (each: a kernel run, then the baseline loops)').default('7'))
    .action((opts: { json?: boolean; repetitions: string }) => {
      const r = benchKernel({ repetitions: positive('--repetitions', opts.repetitions) });
      if (opts.json) printJson(r);
      else {
        process.stdout.write(
          `kernel   ${r.eventsPerSec.toLocaleString('en-US')} events/s (median of ${r.repetitions}, ${r.nodes} nodes, ${r.events.toLocaleString('en-US')} events, queue ≈ ${r.queueDepth})\n` +
            `baseline ${r.baselineEventsPerSec.toLocaleString('en-US')} events/s (bare binary heap of {time, seq} objects, same depth)\n` +
            `ratio    ${r.ratio} (median of per-repetition ratios; range ${r.ratioRange[0]}–${r.ratioRange[1]})\n` +
            `stricter the kernel's own queue in a bare loop: ${r.ownQueue.eventsPerSec.toLocaleString('en-US')} events/s, ratio ${r.ownQueue.ratio} (range ${r.ownQueue.ratioRange[0]}–${r.ownQueue.ratioRange[1]})\n` +
            `rss      ${r.rssMb} MB\n` +
            `scale    ${r.scale.nodes} nodes × ${r.scale.degree} peers: ${r.scale.events.toLocaleString('en-US')} events in ${r.scale.wallMs} ms, rss ${r.scale.rssMb} MB\n`,
        );
      }
    });

  bench
    .command('pow')
    .description('PoW propagation (1,000 nodes, 100 blocks of 535 kB; SimBlock-comparable), full and compact relay side by side, and a full HealthChain day')
    .option('--json', 'print one JSON object on stdout')
    .option('--repetitions <n>', 'runs per configuration (median)', '3')
    .option('--scale', SCALE_HELP)
    .action((opts: { json?: boolean; repetitions: string; scale?: boolean }) => {
      const r = benchPow({ repetitions: positive('--repetitions', opts.repetitions), scale: opts.scale });
      if (opts.json) printJson(r);
      else process.stdout.write(formatPowBench(r));
    });

  bench
    .command('pbft')
    .description('PBFT with real MAC authenticators: committed blocks and delivered messages per wall-clock second')
    .option('--json', 'print one JSON object on stdout')
    .option('--committee <k>', 'committee size', '100')
    .option('--blocks <n>', 'blocks to commit per run', '30')
    .option('--repetitions <n>', 'runs (median by blocks per second)', '3')
    .action((opts: { json?: boolean; committee: string; blocks: string; repetitions: string }) => {
      const runs: BenchPbftResult[] = [];
      for (let i = 0; i < positive('--repetitions', opts.repetitions); i++) {
        runs.push(benchPbft({ committee: positive('--committee', opts.committee), blocks: positive('--blocks', opts.blocks) }));
      }
      runs.sort((a, b) => a.blocksPerWallSec - b.blocksPerWallSec);
      const median = { ...runs[Math.floor(runs.length / 2)], repetitions: runs.length };
      if (opts.json) printJson(median);
      else process.stdout.write(`committee ${median.committee}: ${median.blocks} blocks in ${median.wallMs} ms = ${median.blocksPerWallSec} blocks/s, ${median.messagesPerSec.toLocaleString('en-US')} messages/s, rss ${median.rssMb} MB (median of ${runs.length})\n`);
    });

  bench
    .command('ringchain')
    .description('Seed 001 end to end: ring-signed txs mined, relayed, verified and executed, against 1 / (sign + verify) measured in the same run')
    .option('--json', 'print one JSON object on stdout')
    .option('--nodes <n>', 'simulated nodes', '200')
    .option('--blocks <n>', 'full blocks of transfers to mine (at least)', '20')
    .option('--ring-size <n>', 'ring members per tx', '11')
    .option('--txs-per-block <n>', 'txs per block (block capacity and workload rate)', '100')
    .action((opts: { json?: boolean; nodes: string; blocks: string; ringSize: string; txsPerBlock: string }) => {
      const r = benchRingchain({ nodes: positive('--nodes', opts.nodes), blocks: positive('--blocks', opts.blocks), ringSize: positive('--ring-size', opts.ringSize), txsPerBlock: positive('--txs-per-block', opts.txsPerBlock) });
      if (opts.json) printJson(r);
      else {
        process.stdout.write(
          `ringchain ${r.nodes} nodes, ring ${r.ringSize}: ${r.txs} txs in ${r.blocks} blocks (≤ ${r.maxTxsPerBlock} per block) in ${r.wallMs} ms = ${r.txPerWallSec} tx/s\n` +
            `crypto    sign ${r.signMs} ms + verify ${r.verifyMs} ms (medians, cached keys) ⇒ limit ${r.cryptoLimitTxPerSec} tx/s\n` +
            `ratio     ${r.ratio} (target ≥ 0.8); rss ${r.rssMb} MB\n`,
        );
      }
    });

  bench
    .command('crypto')
    .description('Seed 002 Table 2 (Paillier + ZK, baseline paillier-bigint), ring signatures, Ed25519, proxy re-encryption')
    .option('--json', 'print one JSON object on stdout')
    .option('--bits <list>', 'Paillier modulus sizes, comma-separated', '1024,2048,4096')
    .option('--reps <n>', 'repetitions per Paillier measurement (median)', '9')
    .action(async (opts: { json?: boolean; bits: string; reps: string }) => {
      const bits = opts.bits.split(',').map((b) => positive('--bits', b.trim()));
      const r = await benchCrypto({
        bits,
        paillierReps: positive('--reps', opts.reps),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      if (opts.json) printJson(r);
      else {
        const rows = r.paillier.map((p) => `  ${p.bits} bits: fee enc+proof ${p.feeEncryptProveMs} ms (paper ${p.paperMs?.feeEncryptProveMs}, ×${p.ratios?.feeEncryptProve}), range verify ${p.rangeVerifyMs} ms (paper ${p.paperMs?.rangeVerifyMs}, ×${p.ratios?.rangeVerify}), 4 KB record ${p.record4kEncryptProveMs} ms (paper ${p.paperMs?.record4kEncryptProveMs}, ×${p.ratios?.record4kEncryptProve}); baseline fee encryption ${p.baselineFeeEncryptMs} ms`);
        process.stdout.write(
          `Paillier (seed 002 Table 2; ×: paper ÷ ours, above 1 = ours faster — the convention of reproduce paillier-table):\n${rows.join('\n')}\n` +
            `ring signatures (cold: plain key list; cached: members in a RingKeyCache):\n${r.ring.map((x) => `  n=${x.size}: cold sign ${x.signMs} ms verify ${x.verifyMs} ms; cached sign ${x.signCachedMs} ms verify ${x.verifyCachedMs} ms (CPU ${x.signCachedCpuMs} / ${x.verifyCachedCpuMs} ms)`).join('\n')}\n` +
            `ed25519: sign ${r.ed25519.signUs} µs, verify ${r.ed25519.verifyUs} µs\n` +
            `proxy re-encryption: encrypt ${r.pre.encryptMs} ms, re-encrypt ${r.pre.reencryptMs} ms, decrypt ${r.pre.decryptMs} ms\n`,
        );
      }
    });

  registerAnalysisCommands(program);
  registerCheckCommands(program);
  registerSettlementCommands(program);
  registerChannelCommands(program);
  return program;
}

function metricsCsv(result: RunResult): string {
  const rows = ['name,kind,count,value,mean,min,max,p50,p90,p99'];
  const num = (v: number) => (Number.isFinite(v) ? String(v) : '');
  const m = result.metrics;
  for (const [k, v] of Object.entries(m.counters)) rows.push(`${k},counter,,${v},,,,,,`);
  for (const [k, v] of Object.entries(m.gauges)) rows.push(`${k},gauge,,${num(v.value)},,,${num(v.max)},,,`);
  for (const [k, h] of Object.entries(m.histograms)) rows.push(`${k},histogram,${h.count},,${num(h.mean)},${num(h.min)},${num(h.max)},${num(h.p50)},${num(h.p90)},${num(h.p99)}`);
  return rows.join('\n') + '\n';
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other parse problem is bad usage.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof ScenarioError || err instanceof UsageError || err instanceof SuiteError || err instanceof CheckUsageError || err instanceof SweepUsageError || err instanceof UnknownMutantError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'ENOENT') {
      process.stderr.write(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.MEDSIM_DEBUG) process.stderr.write(`${e?.stack}\n`);
    else process.stderr.write('(set MEDSIM_DEBUG=1 for the stack trace)\n');
    return EXIT.failure;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[/\\])(?:cli\.ts|medsim(?:\.js)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
