/**
 * `medsim bench settlement`: how close the whole simulated protocol comes to the speed of its
 * cryptography. Benchmark code: wall-clock time is measured here (marked), never in the protocol.
 *
 * For each key size, in one process and one run:
 * 1. set-up (not timed): keys from the key cache; every account key used once (OpenSSL contexts);
 * 2. crypto limit: the median over `repetitions` of building one payment (all proofs, the
 *    regulator's copy, the signature: "prove") and of verifying it once ("verify"), on the run's
 *    own keys; cryptoLimitPerSec = 1000 / (proveMs + verifyMs);
 * 3. end to end: a settlement scenario — 4 orderers (PBFT), 3 hospitals and the insurer, the
 *    regulator, 4 patients with `payments / 4` bills each, policy 2 of 4, uniform-lan network,
 *    every checker on — run to completion: every payment proven by its patient, verified once
 *    (the verdict shared by endorsers, the regulator and the checkers), ordered, validated and
 *    applied by 5 committers, audited; `wallMs` is the simulation's run time;
 *    paymentsPerWallSec = committed / wallMs;
 * 4. ratio = paymentsPerWallSec / cryptoLimitPerSec (target ≥ 0.8): the share of the wall time
 *    spent in the unavoidable prove + verify, rather than in ordering, validation, delivery,
 *    auditing and the checkers' decryptions.
 */
import { cpus, loadavg } from 'node:os';
import { PROTOCOLS, protocolSchemas } from '../registry.ts';
import { buildSimulation } from '../../sim/runner.ts';
import { validateScenario } from '../../sim/scenario/index.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import { clearKeyCacheMemory, type KeyCacheSource } from '../crypto/keycache.ts';
import { decrypt, encrypt } from '../crypto/paillier.ts';
import { seededRandom } from '../crypto/random.ts';
import { KeyRing } from '../pbft/auth.ts';
import { processKeySources } from './keys.ts';
import { layoutOf, settlementWorld, type SettlementConfig } from './module.ts';
import { buildPayment, signPayment, verifyPayment } from './payment.ts';

export interface SettlementBenchRun {
  bits: number;
  /** Payments committed in the end-to-end run. */
  payments: number;
  /** Wall time of the end-to-end run, ms. */
  wallMs: number;
  paymentsPerWallSec: number;
  /** 1000 / (proveMs + verifyMs), measured in the same process just before. */
  cryptoLimitPerSec: number;
  ratio: number;
  proveMs: number;
  verifyMs: number;
  /** Key loading and set-up before the run (not in wallMs), ms. */
  setupMs: number;
  /** Simulated seconds the run took (virtual time, CPU charged from the reference table). */
  simSeconds: number;
  blocks: number;
  /** The same measurement in this process's CPU time (user + system), less disturbed when other processes share the cores: run CPU ms, committed per CPU second, 1000 / (prove + verify CPU ms), and their ratio. */
  cpuMs: number;
  paymentsPerCpuSec: number;
  cryptoLimitPerCpuSec: number;
  cpuRatio: number;
}

export interface SettlementBenchResult {
  runs: SettlementBenchRun[];
  machine: { cpu: string; cores: number; node: string; loadAvgBefore: number[]; loadAvgAfter: number[] };
}

const DEFAULT_PAYMENTS: Record<number, number> = { 1024: 40, 2048: 16, 4096: 6 };
const PATIENTS = 4;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** The end-to-end scenario of one key size. */
export function benchScenario(bits: number, payments: number): Scenario<SettlementConfig> {
  const perPatient = Math.ceil(payments / PATIENTS);
  const raw = {
    name: `bench-settlement-${bits}`,
    seed: 1,
    duration: '1h',
    network: { nodes: 4 + 4 + 1 + PATIENTS, regions: { preset: 'uniform-lan' }, topology: { kind: 'full-mesh' } },
    protocol: {
      name: 'settlement',
      keyBits: bits,
      orderers: 4,
      hospitals: 3,
      insurer: true,
      patients: PATIENTS,
      endorsement: { required: 2 },
      workload: { rate: 50, maxBills: perPatient, minAmount: 100, maxAmount: 5000 },
    },
  };
  return validateScenario(raw, protocolSchemas(), { file: 'bench settlement' }) as Scenario<SettlementConfig>;
}

export function benchSettlement(o: { bits: readonly number[]; payments?: number; repetitions: number; log?: (line: string) => void }): SettlementBenchResult {
  const log = o.log ?? (() => {});
  const before = loadavg();
  const runs: SettlementBenchRun[] = [];
  for (const bits of o.bits) {
    const payments = o.payments ?? DEFAULT_PAYMENTS[bits] ?? 8;
    const scenario = benchScenario(bits, payments);
    const t0 = performance.now(); // wall-clock: benchmark
    log(`${bits} bits: loading keys…`);
    const cfg = scenario.protocol;
    const w = settlementWorld(cfg, scenario.seed, layoutOf(cfg));
    const { sim, run } = buildSimulation(scenario as Scenario, PROTOCOLS, scenario.seed);
    // Every account key once (OpenSSL contexts for p, q, p², q²): key loading, not protocol work.
    for (const a of w.directory.accounts.values()) decrypt(w.directory.keyPair(a.id).privateKey, w.directory.genesis.get(a.id)!);
    const reg = w.directory.regulatorKey.privateKey;
    decrypt(reg, encrypt(reg, 1n, seededRandom('bench-settlement', 'warm-up')));
    const setupMs = performance.now() - t0; // wall-clock: benchmark

    // Crypto limit on the same keys.
    const keys = new KeyRing('bench-settlement');
    const env = { directory: w.directory, amountBits: cfg.amountBits, verifySignature: (n: number, d: string, s: string) => keys.verify(n, d, s) };
    const payer = w.directory.account('patient/0')!;
    const kp = w.directory.keyPair(payer.id);
    const random = seededRandom('bench-settlement', `limit/${bits}`);
    const req = { payer: payer.id, payee: 'hospital/0', amount: 1234n, balance: w.directory.genesis.get(payer.id)!, version: 0 };
    const prove = () => signPayment(buildPayment(env, req, kp, random), (id) => keys.sign(payer.node, id));
    let sample = prove(); // warm-up
    if (!verifyPayment(env, sample).valid) throw new Error('bench settlement: sample payment does not verify');
    const proveTimes: number[] = [];
    const verifyTimes: number[] = [];
    const proveCpu: number[] = [];
    const verifyCpu: number[] = [];
    const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
    for (let i = 0; i < o.repetitions; i++) {
      const a = performance.now(); // wall-clock: benchmark
      const ca = process.cpuUsage();
      sample = prove();
      const b = performance.now(); // wall-clock: benchmark
      const cb = process.cpuUsage();
      verifyPayment(env, sample);
      verifyTimes.push(performance.now() - b); // wall-clock: benchmark
      verifyCpu.push(cpuMs(process.cpuUsage(cb)));
      proveTimes.push(b - a);
      proveCpu.push(cpuMs(cb) - cpuMs(ca));
    }
    const proveMs = median(proveTimes);
    const verifyMs = median(verifyTimes);
    const cryptoLimitPerSec = 1000 / (proveMs + verifyMs);
    log(`${bits} bits: prove ${round(proveMs)} ms, verify ${round(verifyMs)} ms → crypto limit ${round(cryptoLimitPerSec)} payments/s; running ${payments} payments end to end…`);

    const s0 = performance.now(); // wall-clock: benchmark
    const c0 = process.cpuUsage();
    const result = sim.run();
    const wallMs = performance.now() - s0; // wall-clock: benchmark
    const runCpuMs = cpuMs(process.cpuUsage(c0));
    const cryptoLimitPerCpuSec = 1000 / (median(proveCpu) + median(verifyCpu));
    const perCpuSec = (summary0: number) => (summary0 * 1000) / runCpuMs;
    if (result.violation) throw new Error(`bench settlement: invariant ${result.violation.invariant} violated: ${result.violation.message}`);
    const summary = run.summarize!(sim, result) as { committed: number; blocks: number };
    const perSec = (summary.committed * 1000) / wallMs;
    runs.push({
      bits, payments: summary.committed, wallMs: round(wallMs, 1), paymentsPerWallSec: round(perSec, 3), cryptoLimitPerSec: round(cryptoLimitPerSec, 3),
      ratio: round(perSec / cryptoLimitPerSec, 3), proveMs: round(proveMs), verifyMs: round(verifyMs), setupMs: round(setupMs, 1),
      simSeconds: round(result.simTimeUs / 1e6, 3), blocks: summary.blocks,
      cpuMs: round(runCpuMs, 1), paymentsPerCpuSec: round(perCpuSec(summary.committed), 3), cryptoLimitPerCpuSec: round(cryptoLimitPerCpuSec, 3),
      cpuRatio: round(perCpuSec(summary.committed) / cryptoLimitPerCpuSec, 3),
    });
    log(`${bits} bits: ${summary.committed} payments in ${round(wallMs, 1)} ms = ${round(perSec, 3)}/s, ratio ${round(perSec / cryptoLimitPerSec, 3)}`);
  }
  const cpu = cpus();
  return { runs, machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, node: process.version, loadAvgBefore: before.map((x) => round(x)), loadAvgAfter: loadavg().map((x) => round(x)) } };
}

export interface SettlementStartupResult {
  patients: number;
  bits: number;
  /** Nodes of the scenario (orderers, organisations, regulator, patients). */
  nodes: number;
  /** First start in this process: scenario validation + building the run (keys from disk or generated), ms. */
  firstMs: number;
  firstSources: Record<KeyCacheSource, number>;
  /** Second start after forgetting the in-memory keys: every key from the warm disk cache, ms. */
  warmMs: number;
  /** CPU time of the warm start (user + system, this process), ms: less disturbed by other load than warmMs. */
  warmCpuMs: number;
  firstCpuMs: number;
  warmSources: Record<KeyCacheSource, number>;
  /** The target for `warmMs`, ms. */
  targetMs: number;
  machine: { cpu: string; cores: number; node: string; loadAvgBefore: number[]; loadAvgAfter: number[] };
}

/** The start-up scenario: `patients` patients with 4 orderers, 3 hospitals + insurer, `bits`-bit keys. */
export function startupScenario(bits: number, patients: number): Scenario<SettlementConfig> {
  const raw = {
    name: `bench-settlement-startup-${bits}`,
    seed: 1,
    duration: '1s',
    network: { nodes: 4 + 4 + 1 + patients, regions: { preset: 'uniform-lan' }, topology: { kind: 'full-mesh' } },
    protocol: { name: 'settlement', keyBits: bits, patients },
  };
  return validateScenario(raw, protocolSchemas(), { file: 'bench settlement --startup' }) as Scenario<SettlementConfig>;
}

/**
 * `medsim bench settlement --startup`: how long a scenario with `patients` patients takes to
 * start (validate + build every node with its keys and genesis balance), once as the process
 * finds the cache (cold: keys generated and written) and once more with the in-memory keys
 * forgotten (warm: every key read and checked from .cache/medsim/keys/). Target: warm < 10 s for
 * 500 patients at 2048 bits (issue 12).
 */
export function benchSettlementStartup(o: { bits: number; patients: number; log?: (line: string) => void }): SettlementStartupResult {
  const log = o.log ?? (() => {});
  const before = loadavg();
  const start = () => {
    const t0 = performance.now(); // wall-clock: benchmark
    const c0 = process.cpuUsage();
    const was = { ...processKeySources };
    const scenario = startupScenario(o.bits, o.patients);
    buildSimulation(scenario as Scenario, PROTOCOLS, scenario.seed);
    const ms = performance.now() - t0; // wall-clock: benchmark
    const c = process.cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000;
    const sources = { memory: processKeySources.memory - was.memory, disk: processKeySources.disk - was.disk, generated: processKeySources.generated - was.generated };
    return { ms, cpuMs, sources, nodes: scenario.network.nodes };
  };
  log(`${o.patients} patients at ${o.bits} bits: first start (generates the keys missing from .cache/medsim/keys/)…`);
  clearKeyCacheMemory();
  const first = start();
  log(`first start ${round(first.ms, 1)} ms (keys: ${JSON.stringify(first.sources)}); warm start…`);
  clearKeyCacheMemory();
  const warm = start();
  log(`warm start ${round(warm.ms, 1)} ms wall, ${round(warm.cpuMs, 1)} ms CPU (keys: ${JSON.stringify(warm.sources)})`);
  const cpu = cpus();
  return {
    patients: o.patients, bits: o.bits, nodes: first.nodes, firstMs: round(first.ms, 1), firstCpuMs: round(first.cpuMs, 1), firstSources: first.sources, warmMs: round(warm.ms, 1), warmCpuMs: round(warm.cpuMs, 1), warmSources: warm.sources, targetMs: 10_000,
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, node: process.version, loadAvgBefore: before.map((x) => round(x)), loadAvgAfter: loadavg().map((x) => round(x)) },
  };
}

export function formatSettlementStartup(r: SettlementStartupResult): string {
  return [
    `${r.patients} patients at ${r.bits} bits (${r.nodes} nodes): first start ${r.firstMs} ms (keys ${JSON.stringify(r.firstSources)}), warm start ${r.warmMs} ms wall, ${r.warmCpuMs} ms CPU (keys ${JSON.stringify(r.warmSources)}); target warm < ${r.targetMs} ms: ${r.warmMs < r.targetMs ? 'met' : 'NOT met'}`,
    `machine: ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}; load ${r.machine.loadAvgBefore.join(' ')} → ${r.machine.loadAvgAfter.join(' ')}`,
  ].join('\n');
}

export function formatSettlementBench(r: SettlementBenchResult): string {
  const rows = r.runs.map(
    (x) => `${x.bits} bits: ${x.payments} payments in ${x.wallMs} ms = ${x.paymentsPerWallSec}/s; crypto limit ${x.cryptoLimitPerSec}/s (prove ${x.proveMs} ms + verify ${x.verifyMs} ms); ratio ${x.ratio} (target ≥ 0.8; in CPU time ${x.cpuRatio}: ${x.paymentsPerCpuSec} vs ${x.cryptoLimitPerCpuSec}/CPU s); set-up ${x.setupMs} ms; ${x.simSeconds} simulated s, ${x.blocks} blocks`,
  );
  return [...rows, `machine: ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}; load ${r.machine.loadAvgBefore.join(' ')} → ${r.machine.loadAvgAfter.join(' ')}`].join('\n');
}
