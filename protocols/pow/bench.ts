/**
 * `medsim bench pow`: the PoW simulator's speed, in two configurations (issue 3, Performance).
 *
 * 1. Propagation, comparable with SimBlock (which models blocks as bytes, without transactions or
 *    crypto): 1,000 nodes, random degree 8, the bitcoin-2019 region table, 100 blocks of
 *    535 kB at a 600 s interval, real headers and real PoW verification, no tx workload.
 *    Each block is padded to 535 kB with a `filler` tx (real bytes, hashed into the Merkle root).
 *    Both relay models side by side on the same network and blocks (issue 16): `full` —
 *    inv/getdata/block, as before — and `compact` — BIP 152 as SimBlock models it (low-bandwidth
 *    mode, 96.4 % of nodes, reconstruction failing with probability 0.13, or 0.27 for the 97.6 %
 *    churning nodes, then fetching SimBlock's share of the block). With one filler per block the
 *    cmpctblock is ~150 B rather than SimBlock's 18 kB (≈ 7 ms less per hop at 20 Mbps);
 *    `medsim reproduce simblock-propagation` uses 180-byte fillers and SimBlock's whole network
 *    model instead. Optionally the same at 10,000 nodes.
 * 2. Full HealthChain day: 1,000 nodes, 144 blocks, the default medical workload (pow-default
 *    rates), every tx really signed and verified (each distinct signature once, via the shared
 *    verification cache keyed by the exact bytes), and the record flows of protocols/records/
 *    run for real (issue, store, share, revoke, fetch and decrypt through the record store).
 *
 * Medians over `repetitions` runs. `rssMb` is the process's resident set size after each run
 * (MB = 10^6 bytes), the maximum over runs; `peakRssMb` the process's peak RSS so far
 * (getrusage maxrss, so it includes earlier configurations). Wall-clock time is measured only
 * here.
 */
import { buildSimulation } from '../../sim/runner.ts';
import { buildScenarioSchema } from '../../sim/scenario/schema.ts';
import { powMetrics } from './metrics.ts';
import { powModule, powSchema, type PowRun } from './module.ts';

const schema = buildScenarioSchema({ pow: powSchema });

export type Relay = 'full' | 'compact';
export const RELAYS: readonly Relay[] = ['full', 'compact'];

export interface PropagationBench {
  /** Relay model: full blocks (inv/getdata/block) or compact blocks (SimBlock's BIP 152 model). */
  relay: Relay;
  nodes: number;
  blocks: number;
  wallMs: number;
  rssMb: number;
  /** Median over blocks of the time for a block to reach 50 % / 90 % of nodes, ms. */
  t50Ms: number;
  t90Ms: number;
  staleRate: number;
  events: number;
  peakRssMb: number;
}

export interface FullDayBench {
  nodes: number;
  blocks: number;
  txs: number;
  wallMs: number;
  txPerWallSec: number;
  rssMb: number;
  peakRssMb: number;
  /** Distinct signatures really verified, and verifications answered by the cache. */
  signaturesVerified: number;
  signatureCacheHits: number;
}

export interface PowBenchResult {
  /** Full-block relay (as before issue 16), medians. */
  propagation: PropagationBench;
  /** Compact-block relay on the same network and blocks, medians. */
  propagationCompact: PropagationBench;
  full: FullDayBench;
  /** 10,000-node propagation runs, medians (when requested), full and compact relay. */
  propagation10k?: PropagationBench;
  propagation10kCompact?: PropagationBench;
  repetitions: number;
}

/** `--scale` in `medsim bench pow --help`: what `benchPow({scale})` does (test/pow/bench-plan.test.ts keeps them together). */
export const SCALE_HELP = 'also run 10,000 nodes × 100 blocks, each relay model as many times as --repetitions (median)';

/** One propagation run the bench makes: nodes, relay model, seed. */
export interface PropagationPlanEntry {
  nodes: number;
  relay: Relay;
  seed: number;
}

/** The propagation runs of `benchPow(options)`, in order: every relay at 1,000 nodes, then (with `scale`) at 10,000, `repetitions` each. */
export function propagationPlan(options: PowBenchOptions = {}): PropagationPlanEntry[] {
  const reps = options.repetitions ?? 3;
  const sizes = [options.nodes ?? 1000, ...(options.scale ? [10_000] : [])];
  const plan: PropagationPlanEntry[] = [];
  for (const nodes of sizes) for (const relay of RELAYS) for (let i = 0; i < reps; i++) plan.push({ nodes, relay, seed: i + 1 });
  return plan;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const rssMb = () => process.memoryUsage().rss / 1e6;
const peakRssMb = () => (process.resourceUsage().maxRSS * 1024) / 1e6;

/** SimBlock's compact-block model (SimulationConfiguration CBR_*; protocols/pow/simblock.ts). */
const COMPACT_RELAY = { compactBlocks: true, compactMode: 'low-bandwidth', compactShare: 0.964, reconstruction: { kind: 'probabilistic', failure: 0.13, churnFailure: 0.27, churnShare: 0.976, missing: 'simblock' } };

/** One propagation run (SimBlock-comparable blocks; full or compact relay). */
export function propagationRun(nodes: number, blocks: number, seed: number, relay: Relay = 'full'): PropagationBench {
  const scenario = schema.parse({
    name: 'bench-pow-propagation',
    seed,
    duration: '100000h',
    network: { nodes, regions: { preset: 'bitcoin-2019' }, topology: { kind: 'random', degree: 8 } },
    protocol: { name: 'pow', blockInterval: '600s', zeroBits: 8, retargetInterval: 0, fillerSize: '534800B', maxBlockSize: '1MB', stopAfterBlocks: blocks, ...(relay === 'compact' ? COMPACT_RELAY : {}) },
  });
  const start = performance.now(); // wall-clock: benchmark only
  const { sim, run } = buildSimulation(scenario, { pow: powModule }, seed);
  const result = sim.run();
  const wallMs = performance.now() - start; // wall-clock: benchmark only
  const r = run as PowRun;
  const m = powMetrics(r.world, r.nodes, r.honest, result.simTimeUs);
  return { relay, nodes, blocks, wallMs, rssMb: rssMb(), t50Ms: m.propagation50Ms?.median ?? NaN, t90Ms: m.propagation90Ms?.median ?? NaN, staleRate: m.staleRate, events: result.events, peakRssMb: peakRssMb() };
}

/** One full HealthChain day. */
export function fullDayRun(nodes: number, blocks: number, seed: number): FullDayBench {
  const scenario = schema.parse({
    name: 'bench-pow-full',
    seed,
    duration: '1d',
    network: { nodes, regions: { preset: 'bitcoin-2019' }, topology: { kind: 'random', degree: 8 } },
    protocol: {
      name: 'pow',
      blockInterval: '600s',
      retargetInterval: 0,
      txRelay: 'pooled',
      compactBlocks: true,
      stopAfterBlocks: blocks,
      workload: { recordRate: 0.1, shareRate: 0.05, revokeRate: 0.01, fetchRate: 0.05, transferRate: 0.05 },
    },
  });
  const start = performance.now(); // wall-clock: benchmark only
  const { sim, run } = buildSimulation(scenario, { pow: powModule }, seed);
  const result = sim.run();
  const wallMs = performance.now() - start; // wall-clock: benchmark only
  const r = run as PowRun;
  const m = powMetrics(r.world, r.nodes, r.honest, result.simTimeUs);
  const sigs = r.world.chain.sigs;
  return { nodes, blocks: m.height, txs: m.confirmedTxs, wallMs, txPerWallSec: m.confirmedTxs / (wallMs / 1000), rssMb: rssMb(), peakRssMb: peakRssMb(), signaturesVerified: sigs.verified, signatureCacheHits: sigs.hits };
}

export interface PowBenchOptions {
  /** Runs per configuration (median); default 3. */
  repetitions?: number;
  /** Also run the 10,000-node propagation configuration (`repetitions` times per relay model, median). */
  scale?: boolean;
  /** Nodes / blocks overrides (for quick checks). */
  nodes?: number;
  blocks?: number;
}

export function benchPow(options: PowBenchOptions = {}): PowBenchResult {
  const reps = options.repetitions ?? 3;
  const nodes = options.nodes ?? 1000;
  const runs = propagationPlan(options).map((p) => propagationRun(p.nodes, options.blocks ?? 100, p.seed, p.relay));
  const fulls: FullDayBench[] = [];
  for (let i = 0; i < reps; i++) fulls.push(fullDayRun(nodes, 144, i + 1));
  const pick = <T extends object>(runs: T[], keys: (keyof T)[]): T => {
    const out = { ...runs[0] };
    for (const k of keys) (out as any)[k] = median(runs.map((r) => r[k] as number));
    return out;
  };
  const summary = (n: number, relay: Relay): PropagationBench => {
    const of = runs.filter((r) => r.nodes === n && r.relay === relay);
    const p = pick(of, ['wallMs', 't50Ms', 't90Ms', 'staleRate', 'events']);
    p.rssMb = Math.max(...of.map((x) => x.rssMb));
    p.peakRssMb = Math.max(...of.map((x) => x.peakRssMb));
    return p;
  };
  const full = pick(fulls, ['wallMs', 'txPerWallSec', 'txs', 'blocks', 'signaturesVerified', 'signatureCacheHits']);
  full.rssMb = Math.max(...fulls.map((f) => f.rssMb));
  full.peakRssMb = Math.max(...fulls.map((f) => f.peakRssMb));
  const result: PowBenchResult = { propagation: summary(nodes, 'full'), propagationCompact: summary(nodes, 'compact'), full, repetitions: reps };
  if (options.scale) {
    result.propagation10k = summary(10_000, 'full');
    result.propagation10kCompact = summary(10_000, 'compact');
  }
  return result;
}

/** The bench as a table: both relay models side by side, then the full day. */
export function formatPowBench(r: PowBenchResult): string {
  const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;
  const line = (p: PropagationBench) =>
    `${`${p.nodes.toLocaleString('en-US')} nodes`.padEnd(13)}${p.relay.padEnd(9)}${ms(p.t50Ms).padStart(10)}${ms(p.t90Ms).padStart(10)}${p.staleRate.toFixed(3).padStart(7)}${ms(p.wallMs).padStart(11)}${`${Math.round(p.rssMb)} MB`.padStart(9)}${p.events.toLocaleString('en-US').padStart(12)}`;
  const props = [r.propagation, r.propagationCompact, ...(r.propagation10k ? [r.propagation10k, r.propagation10kCompact!] : [])];
  return (
    `propagation: ${r.propagation.blocks} blocks of 535 kB, median of ${r.repetitions} run(s); t50/t90 = median over blocks of the time to reach 50 %/90 % of nodes\n` +
    `${'network'.padEnd(13)}${'relay'.padEnd(9)}${'t50'.padStart(10)}${'t90'.padStart(10)}${'stale'.padStart(7)}${'wall'.padStart(11)}${'rss'.padStart(9)}${'events'.padStart(12)}\n` +
    props.map(line).join('\n') +
    `\nfull day: ${r.full.nodes.toLocaleString('en-US')} nodes, ${r.full.blocks} blocks, ${r.full.txs.toLocaleString('en-US')} txs in ${ms(r.full.wallMs)} (${Math.round(r.full.txPerWallSec)} tx/s wall), rss ${Math.round(r.full.rssMb)} MB (peak ${Math.round(r.full.peakRssMb)}), ${r.full.signaturesVerified.toLocaleString('en-US')} distinct signatures verified\n`
  );
}

// `npx tsx protocols/pow/bench.ts [--scale] [--reps N]` prints the JSON (the lead wires `medsim bench pow`).
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const reps = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 3;
  console.log(JSON.stringify(benchPow({ repetitions: reps, scale: args.includes('--scale') })));
}
