/**
 * `medsim bench pow`: the PoW simulator's speed, in two configurations (issue 3, Performance).
 *
 * 1. Propagation, comparable with SimBlock (which models blocks as bytes, without transactions or
 *    crypto): 1,000 nodes, random degree 8, the bitcoin-2019 region table, 100 blocks of
 *    535 kB at a 600 s interval, real headers and real PoW verification, no tx workload.
 *    Each block is padded to 535 kB with a `filler` tx (real bytes, hashed into the Merkle root).
 *    Optionally the same at 10,000 nodes.
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

export interface PropagationBench {
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
  propagation: PropagationBench;
  full: FullDayBench;
  /** 10,000-node propagation runs, medians (when requested). */
  propagation10k?: PropagationBench;
  repetitions: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const rssMb = () => process.memoryUsage().rss / 1e6;
const peakRssMb = () => (process.resourceUsage().maxRSS * 1024) / 1e6;

/** One propagation run (SimBlock configuration). */
export function propagationRun(nodes: number, blocks: number, seed: number): PropagationBench {
  const scenario = schema.parse({
    name: 'bench-pow-propagation',
    seed,
    duration: '100000h',
    network: { nodes, regions: { preset: 'bitcoin-2019' }, topology: { kind: 'random', degree: 8 } },
    protocol: { name: 'pow', blockInterval: '600s', zeroBits: 8, retargetInterval: 0, fillerSize: '534800B', maxBlockSize: '1MB', stopAfterBlocks: blocks },
  });
  const start = performance.now(); // wall-clock: benchmark only
  const { sim, run } = buildSimulation(scenario, { pow: powModule }, seed);
  const result = sim.run();
  const wallMs = performance.now() - start; // wall-clock: benchmark only
  const r = run as PowRun;
  const m = powMetrics(r.world, r.nodes, r.honest, result.simTimeUs);
  return { nodes, blocks, wallMs, rssMb: rssMb(), t50Ms: m.propagation50Ms?.median ?? NaN, t90Ms: m.propagation90Ms?.median ?? NaN, staleRate: m.staleRate, events: result.events, peakRssMb: peakRssMb() };
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
  /** Also run the 10,000-node propagation configuration (`repetitions` times, median). */
  scale?: boolean;
  /** Nodes / blocks overrides (for quick checks). */
  nodes?: number;
  blocks?: number;
}

export function benchPow(options: PowBenchOptions = {}): PowBenchResult {
  const reps = options.repetitions ?? 3;
  const nodes = options.nodes ?? 1000;
  const props: PropagationBench[] = [];
  const fulls: FullDayBench[] = [];
  for (let i = 0; i < reps; i++) props.push(propagationRun(nodes, options.blocks ?? 100, i + 1));
  for (let i = 0; i < reps; i++) fulls.push(fullDayRun(nodes, 144, i + 1));
  const pick = <T extends object>(runs: T[], keys: (keyof T)[]): T => {
    const out = { ...runs[0] };
    for (const k of keys) (out as any)[k] = median(runs.map((r) => r[k] as number));
    return out;
  };
  const propagation = pick(props, ['wallMs', 't50Ms', 't90Ms', 'staleRate', 'events']);
  propagation.rssMb = Math.max(...props.map((p) => p.rssMb));
  propagation.peakRssMb = Math.max(...props.map((p) => p.peakRssMb));
  const full = pick(fulls, ['wallMs', 'txPerWallSec', 'txs', 'blocks', 'signaturesVerified', 'signatureCacheHits']);
  full.rssMb = Math.max(...fulls.map((f) => f.rssMb));
  full.peakRssMb = Math.max(...fulls.map((f) => f.peakRssMb));
  const result: PowBenchResult = { propagation, full, repetitions: reps };
  if (options.scale) {
    const big: PropagationBench[] = [];
    for (let i = 0; i < reps; i++) big.push(propagationRun(10_000, options.blocks ?? 100, i + 1));
    const p = pick(big, ['wallMs', 't50Ms', 't90Ms', 'staleRate', 'events']);
    p.rssMb = Math.max(...big.map((x) => x.rssMb));
    p.peakRssMb = Math.max(...big.map((x) => x.peakRssMb));
    result.propagation10k = p;
  }
  return result;
}

// `npx tsx protocols/pow/bench.ts [--scale] [--reps N]` prints the JSON (the lead wires `medsim bench pow`).
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const reps = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 3;
  console.log(JSON.stringify(benchPow({ repetitions: reps, scale: args.includes('--scale') })));
}
