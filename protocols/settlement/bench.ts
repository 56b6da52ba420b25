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
import { decrypt, encrypt } from '../crypto/paillier.ts';
import { seededRandom } from '../crypto/random.ts';
import { KeyRing } from '../pbft/auth.ts';
import { keyStoreFor } from './key-store.ts';
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
    for (let i = 0; i < o.repetitions; i++) {
      const a = performance.now(); // wall-clock: benchmark
      sample = prove();
      const b = performance.now(); // wall-clock: benchmark
      verifyPayment(env, sample);
      verifyTimes.push(performance.now() - b); // wall-clock: benchmark
      proveTimes.push(b - a);
    }
    const proveMs = median(proveTimes);
    const verifyMs = median(verifyTimes);
    const cryptoLimitPerSec = 1000 / (proveMs + verifyMs);
    log(`${bits} bits: prove ${round(proveMs)} ms, verify ${round(verifyMs)} ms → crypto limit ${round(cryptoLimitPerSec)} payments/s; running ${payments} payments end to end…`);

    const s0 = performance.now(); // wall-clock: benchmark
    const result = sim.run();
    const wallMs = performance.now() - s0; // wall-clock: benchmark
    if (result.violation) throw new Error(`bench settlement: invariant ${result.violation.invariant} violated: ${result.violation.message}`);
    const summary = run.summarize!(sim, result) as { committed: number; blocks: number };
    const perSec = (summary.committed * 1000) / wallMs;
    runs.push({
      bits, payments: summary.committed, wallMs: round(wallMs, 1), paymentsPerWallSec: round(perSec, 3), cryptoLimitPerSec: round(cryptoLimitPerSec, 3),
      ratio: round(perSec / cryptoLimitPerSec, 3), proveMs: round(proveMs), verifyMs: round(verifyMs), setupMs: round(setupMs, 1),
      simSeconds: round(result.simTimeUs / 1e6, 3), blocks: summary.blocks,
    });
    log(`${bits} bits: ${summary.committed} payments in ${round(wallMs, 1)} ms = ${round(perSec, 3)}/s, ratio ${round(perSec / cryptoLimitPerSec, 3)}`);
    keyStoreFor(cfg.keySeed).flush();
  }
  const cpu = cpus();
  return { runs, machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, node: process.version, loadAvgBefore: before.map((x) => round(x)), loadAvgAfter: loadavg().map((x) => round(x)) } };
}

export function formatSettlementBench(r: SettlementBenchResult): string {
  const rows = r.runs.map(
    (x) => `${x.bits} bits: ${x.payments} payments in ${x.wallMs} ms = ${x.paymentsPerWallSec}/s; crypto limit ${x.cryptoLimitPerSec}/s (prove ${x.proveMs} ms + verify ${x.verifyMs} ms); ratio ${x.ratio} (target ≥ 0.8); set-up ${x.setupMs} ms; ${x.simSeconds} simulated s, ${x.blocks} blocks`,
  );
  return [...rows, `machine: ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}; load ${r.machine.loadAvgBefore.join(' ')} → ${r.machine.loadAvgAfter.join(' ')}`].join('\n');
}
