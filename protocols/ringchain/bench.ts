/**
 * `medsim bench ringchain`: the end-to-end cost of simulating seed 001 against the cost of the
 * cryptography it cannot avoid. A run of `nodes` nodes (default 200) mines ≥ `blocks` blocks
 * (default 20) of up to 100 ring-signed transfers (ring size 11, uniform decoys; `blocks` × 100
 * transfers submitted 1.2× faster than blocks absorb them, then drained); every tx is
 * really signed (by the workload) and its signature really verified (once per run, the outcome
 * shared by every node, each node charged its CPU time in virtual time: `cpu.verifyPerMember` =
 * the verify time measured below ÷ ring size).
 *
 *   cryptoLimitTxPerSec = 1 / (sign + verify)   medians of `measureRingSignVerify(11)` (cached
 *                                                 ring keys, as a chain's nodes verify), measured
 *                                                 in the same process just before the run;
 *   txPerWallSec        = confirmed txs / wall time of the run (build + simulation);
 *   ratio               = txPerWallSec / cryptoLimitTxPerSec   (target ≥ 0.8).
 * Genesis keys are put into the shared ring-key cache before the clock starts (a chain's nodes
 * hold their decoys' tables; the crypto limit is measured with a warm cache too).
 */
import { buildSimulation } from '../../sim/runner.ts';
import { buildScenarioSchema } from '../../sim/scenario/schema.ts';
import { measureRingSignVerify } from '../crypto/bench-ring-pre.ts';
import { ringchainModule, ringchainSchema, type RingchainRun } from './module.ts';
import type { RingEntry } from './chain.ts';
import { hexToBytes } from './workload.ts';

const schema = buildScenarioSchema({ ringchain: ringchainSchema });

export interface RingchainBenchResult {
  nodes: number;
  /** Txs confirmed on the best chain. */
  txs: number;
  /** Blocks on the best chain (with at least one tx). */
  blocks: number;
  /** Wall time of building and running the simulation, ms. */
  wallMs: number;
  txPerWallSec: number;
  /** 1 / (sign + verify) at the ring size, from medians measured in this run. */
  cryptoLimitTxPerSec: number;
  ratio: number;
  /** Resident set size after the run, MB. */
  rssMb: number;
  ringSize: number;
  /** Medians of one sign / verify (cached ring keys), ms. */
  signMs: number;
  verifyMs: number;
  /** Largest block on the best chain, txs. */
  maxTxsPerBlock: number;
  /** Signatures really verified (each distinct tx once). */
  signaturesVerified: number;
  /** Of wallMs: building the run (keys, genesis, cache warm-up excluded), ms. */
  buildMs: number;
  /** Txs the workload signed (some may still wait in the pool at the end). */
  signed: number;
  /** Process CPU time of building and running the simulation, ms; and the same comparison in CPU time (steadier on a shared machine). */
  cpuMs: number;
  txPerCpuSec: number;
  cryptoLimitCpuTxPerSec: number;
  ratioCpu: number;
}

export interface RingchainBenchOptions {
  nodes?: number;
  blocks?: number;
  ringSize?: number;
  /** Txs per block, and so the workload rate (txs per block interval). */
  txsPerBlock?: number;
  seed?: number;
}

export function benchRingchain(options: RingchainBenchOptions = {}): RingchainBenchResult {
  const nodes = options.nodes ?? 200;
  const blocks = options.blocks ?? 20;
  const ringSize = options.ringSize ?? 11;
  const perBlock = options.txsPerBlock ?? 100;
  const seed = options.seed ?? 1;
  const timing = measureRingSignVerify(ringSize, { reps: 31, cached: true });
  const intervalS = 15;
  // `blocks` full blocks' worth of transfers, submitted 20 % faster than blocks absorb them (so
  // blocks fill up), then the backlog drains; the run lasts long enough for that (empty blocks
  // afterwards cost only their nonce search).
  const submitS = Math.ceil((blocks * intervalS) / 1.2);
  const scenario = schema.parse({
    name: 'bench-ringchain',
    seed,
    duration: `${blocks * intervalS * 3}s`,
    network: { nodes, regions: { preset: 'bitcoin-2019' }, topology: { kind: 'random', degree: 8 } },
    protocol: {
      name: 'ringchain',
      blockInterval: `${intervalS}s`,
      ringSize,
      maxBlockTxs: perBlock,
      blockGasLimit: 100_000_000,
      cpu: { verifyPerMember: `${Math.round((timing.verifyCpuMs * 1000) / ringSize)}us` },
      workload: { patients: 250, institutions: 10, coverKeys: 20, transferRate: (1.2 * perBlock) / intervalS, enrolOnTransfer: false, stopAt: `${submitS}s` },
    },
  });
  const cpu0 = process.cpuUsage(); // CPU clock: benchmark only
  const start = performance.now(); // wall-clock: benchmark only
  const { sim, run } = buildSimulation(scenario, { ringchain: ringchainModule }, seed);
  const r = run as RingchainRun;
  const cpuBuild = process.cpuUsage(cpu0); // CPU clock: benchmark only
  const warmStart = performance.now(); // wall-clock: benchmark only
  r.world.chain.ringCache.warm(r.world.store.genesis.state.keyList.map((k) => hexToBytes(k.hex)));
  const warmMs = performance.now() - warmStart; // wall-clock: benchmark only
  const built = performance.now(); // wall-clock: benchmark only
  const cpuRun0 = process.cpuUsage(); // CPU clock: benchmark only
  sim.run();
  const wallMs = performance.now() - start - warmMs; // wall-clock: benchmark only
  const runCpu = process.cpuUsage(cpuRun0); // CPU clock: benchmark only
  const cpuMs = (runCpu.user + runCpu.system + cpuBuild.user + cpuBuild.system) / 1000;
  let best: RingEntry = r.nodes[r.honest[0]].tip;
  for (const id of r.honest) if (r.nodes[id].tip.cumWork > best.cumWork) best = r.nodes[id].tip;
  let txs = 0;
  let full = 0;
  let maxTxs = 0;
  for (let e: RingEntry | null = best; e && e.parent; e = e.parent) {
    txs += e.block.txs.length;
    if (e.block.txs.length > 0) full++;
    maxTxs = Math.max(maxTxs, e.block.txs.length);
  }
  const txPerWallSec = txs / (wallMs / 1000);
  const cryptoLimitTxPerSec = 1000 / (timing.signMs + timing.verifyMs);
  const round = (x: number, d = 3) => Number(x.toFixed(d));
  return {
    nodes,
    txs,
    blocks: full,
    wallMs: Math.round(wallMs),
    txPerWallSec: round(txPerWallSec, 2),
    cryptoLimitTxPerSec: round(cryptoLimitTxPerSec, 2),
    ratio: round(txPerWallSec / cryptoLimitTxPerSec),
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
    ringSize,
    signMs: round(timing.signMs),
    verifyMs: round(timing.verifyMs),
    maxTxsPerBlock: maxTxs,
    signaturesVerified: r.world.chain.verifications,
    buildMs: Math.round(built - start - warmMs),
    signed: Object.values(r.workload.submitted).reduce((a, b) => a + b, 0),
    cpuMs: Math.round(cpuMs),
    txPerCpuSec: round(txs / (cpuMs / 1000), 2),
    cryptoLimitCpuTxPerSec: round(1000 / (timing.signCpuMs + timing.verifyCpuMs), 2),
    ratioCpu: round(txs / (cpuMs / 1000) / (1000 / (timing.signCpuMs + timing.verifyCpuMs))),
  };
}
