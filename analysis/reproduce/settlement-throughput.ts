/**
 * `settlement-throughput`: seed 002's confidential settlement (protocols/settlement) — committed
 * payments per second of *virtual* time against the Paillier key size (1024 / 2048 / 4096 bits)
 * and the offered load, with the version-conflict rate (payments invalidated by the committers'
 * read-set check because the payer's balance changed after endorsement).
 *
 * Every run is the whole protocol with real cryptography: each patient builds real payments (all
 * §3.2 proofs and the regulator's copy), endorsers verify them (the verdict computed once and
 * shared), PBFT orders, committers validate and apply, the regulator audits, the invariant
 * checkers run. Virtual time is charged per node from a cost table (docs/settlement.md "CPU
 * costs"): in full runs a table `medsim calibrate` measures on this machine at the start of the
 * figure and stores beside the results (`cost-table.json`); in `--quick` runs the committed
 * reference table (results/reference/cost-table.json, 1024 and 2048 bits only).
 *
 * Setup per point: 4 orderers (PBFT, batches of ≤ 20, 10 ms timeout), 3 hospitals + the insurer
 * (policy 2 of 4), the regulator, `patients` patients paying bills as a Poisson process at
 * offered / patients bills per second each, amounts 100–5000, up to 2 open payments per patient
 * (the second is built on the same committed balance as the first, so it conflicts when the
 * first commits first — the MVCC cost of pipelining), uniform-lan network. Throughput =
 * committed payments / run length; conflict rate = version-invalidated / submitted.
 *
 * Rows (settlement-throughput.csv): keyBits, offeredPerSec, patients, trials, seconds (virtual run
 * length), committedPerSec (mean over trials) with committedLow / committedHigh (95 % t-interval;
 * null with one trial; bounds clamped at 0), conflictRate with conflictLow / conflictHigh, latencyP50Ms (mean of the
 * trials' medians), auditPass (trials whose regulator audit passed), costTable.
 */
import { join } from 'node:path';
import { calibrateToFile } from '../calibrate.ts';
import { writeChart, type ChartRow } from '../charts.ts';
import { toCsv } from '../io.ts';
import { meanInterval } from '../stats.ts';
import { CALIBRATIONS } from '../../protocols/calibrations.ts';
import { protocolSchemas } from '../../protocols/registry.ts';
import { writeFileAtomic } from '../../sim/results.ts';
import { validateScenario } from '../../sim/scenario/load.ts';
import { sweepScenarioPoints } from './scenario-points.ts';
import type { Figure, FigureResult } from './types.ts';

export const COLUMNS = [
  'keyBits', 'offeredPerSec', 'patients', 'trials', 'seconds', 'committedPerSec', 'committedLow', 'committedHigh', 'conflictRate', 'conflictLow', 'conflictHigh', 'latencyP50Ms', 'auditPass', 'costTable',
];

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Summary {
  committedPerSec: number;
  conflictRate: number;
  latency: { p50Ms?: number };
  audit: { result: string };
}

/** The scenario of one point (exported for tests). */
export function throughputScenario(o: { keyBits: number; offeredPerSec: number; patients: number; seconds: number; seed: number; costTable: string }) {
  const raw = {
    name: `settlement-throughput-${o.keyBits}-${o.offeredPerSec}`,
    seed: o.seed,
    duration: `${o.seconds}s`,
    network: { nodes: 4 + 4 + 1 + o.patients, regions: { preset: 'uniform-lan' }, jitter: 0.1, topology: { kind: 'full-mesh' } },
    protocol: {
      name: 'settlement',
      keyBits: o.keyBits,
      orderers: 4,
      hospitals: 3,
      insurer: true,
      patients: o.patients,
      endorsement: { required: 2 },
      workload: { rate: o.offeredPerSec / o.patients, minAmount: 100, maxAmount: 5000, inFlight: 2 },
      cpu: { table: o.costTable, charge: true },
    },
  };
  return validateScenario(raw, protocolSchemas(), { file: 'settlement-throughput' });
}

export const settlementThroughputFigure: Figure = {
  id: 'settlement-throughput',
  title: 'Seed 002 settlement: committed payments per second of virtual time vs key size and offered load',
  source: 'seed 002 (Yu Jian et al., 2021) §§3.1–3.3: Paillier balances with ZK proofs on a permissioned chain',
  published: 'none in seed 002 (it times the primitives only: Table 2, `reproduce paillier-table`)',
  needs: [{ folder: 'protocols/settlement', name: 'settlementModule' }],
  async run(ctx): Promise<FigureResult> {
    const q = ctx.quick;
    const sizes = q ? [1024, 2048] : [1024, 2048, 4096];
    const loads = (bits: number) => (q ? (bits === 1024 ? [2, 6] : [3]) : bits === 4096 ? [1, 2, 5, 10] : [2, 5, 10, 20, 40]);
    const patients = q ? 3 : 10;
    const seconds = q ? 3 : 20;
    const trials = ctx.trials !== undefined ? Math.max(1, Math.min(ctx.trials, 10)) : q ? 1 : 3;
    let costTable = 'reference';
    if (!q) {
      // Full runs charge what this machine measures, stored with the results.
      costTable = join(ctx.dir, 'cost-table.json');
      ctx.log(`settlement-throughput: calibrating the cost table at ${sizes.join('/')} bits → ${costTable}`);
      calibrateToFile(CALIBRATIONS, { bits: sizes, quick: false, only: ['settlement'], log: ctx.log }, costTable);
    }
    const points = [];
    // Largest keys first: their trials are the slowest, so they start first on the pool.
    for (const keyBits of [...sizes].reverse()) {
      for (const offeredPerSec of loads(keyBits)) {
        points.push({ index: points.length, assignments: { keyBits, offeredPerSec }, params: throughputScenario({ keyBits, offeredPerSec, patients, seconds, seed: ctx.seed, costTable }) });
      }
    }
    ctx.log(`settlement-throughput: ${points.length} points × ${trials} trial(s), ${seconds} s of virtual time each`);
    const results = await sweepScenarioPoints(ctx, 'settlement-throughput', points, trials);

    const rows: Record<string, unknown>[] = [];
    const chart: ChartRow[] = [];
    for (const p of points) {
      const rs = results[p.index].map((r) => r.protocol as unknown as Summary);
      const { keyBits, offeredPerSec } = p.assignments as { keyBits: number; offeredPerSec: number };
      const tput = rs.map((r) => r.committedPerSec);
      const conf = rs.map((r) => r.conflictRate);
      const ti = tput.length > 1 ? meanInterval(tput) : null;
      const ci = conf.length > 1 ? meanInterval(conf) : null;
      const lat = rs.map((r) => r.latency.p50Ms).filter((x): x is number => typeof x === 'number');
      const row = {
        keyBits, offeredPerSec, patients, trials: rs.length, seconds,
        committedPerSec: round(mean(tput)), committedLow: ti ? round(Math.max(0, ti.low)) : null, committedHigh: ti ? round(ti.high) : null,
        conflictRate: round(mean(conf), 4), conflictLow: ci ? round(Math.max(0, ci.low), 4) : null, conflictHigh: ci ? round(ci.high, 4) : null,
        latencyP50Ms: lat.length ? round(mean(lat), 1) : null,
        auditPass: rs.filter((r) => r.audit.result === 'pass').length,
        costTable: q ? 'reference' : 'calibrated (cost-table.json)',
      };
      rows.push(row);
      const g = `${keyBits} bits`;
      chart.push({ panel: 'committed throughput (payments/s)', group: g, series: `${g} throughput`, style: 'interval', x: offeredPerSec, y: row.committedPerSec, low: row.committedLow ?? row.committedPerSec, high: row.committedHigh ?? row.committedPerSec, n: rs.length });
      chart.push({ panel: 'committed throughput (payments/s)', group: g, series: `${g} throughput`, style: 'line', x: offeredPerSec, y: row.committedPerSec });
      chart.push({ panel: 'version-conflict rate (fraction of submitted)', group: g, series: `${g} conflicts`, style: 'interval', x: offeredPerSec, y: row.conflictRate, low: row.conflictLow ?? row.conflictRate, high: row.conflictHigh ?? row.conflictRate, n: rs.length });
      chart.push({ panel: 'version-conflict rate (fraction of submitted)', group: g, series: `${g} conflicts`, style: 'line', x: offeredPerSec, y: row.conflictRate });
    }
    rows.sort((a, b) => (a.keyBits as number) - (b.keyBits as number) || (a.offeredPerSec as number) - (b.offeredPerSec as number));
    writeFileAtomic(join(ctx.dir, 'settlement-throughput.csv'), toCsv(rows, COLUMNS));
    const setup = `4 orderers (PBFT), 3 hospitals + insurer (policy 2 of 4), ${patients} patients, ≤ 2 open payments each; ${seconds} s virtual; ${trials} seeded run${trials > 1 ? 's' : ''} per point; CPU from the ${q ? 'reference' : 'calibrated'} cost table`;
    const charts = [
      await writeChart(ctx.dir, 'settlement-throughput-chart', {
        title: 'Seed 002 settlement throughput vs offered load',
        subtitle: setup,
        xTitle: 'offered load (bills per second, all patients)',
        yTitle: 'value (unit in the panel title)',
        panelTitle: 'metric',
        independentY: true,
        colorBy: 'group',
        groupTitle: 'Paillier key size',
        width: 300,
        height: 240,
      }, chart),
    ];
    const peak = (bits: number) => rows.filter((r) => r.keyBits === bits).reduce((m, r) => Math.max(m, r.committedPerSec as number), 0);
    // Where the chain keeps up: committed / offered at each key size's highest load.
    const atTop = sizes.map((b) => {
      const top = rows.filter((r) => r.keyBits === b).sort((x, y) => (y.offeredPerSec as number) - (x.offeredPerSec as number))[0];
      return `${b} bits: ${top.committedPerSec} of ${top.offeredPerSec} offered per s (${Math.round(((top.committedPerSec as number) / (top.offeredPerSec as number)) * 100)} %)`;
    });
    const notes = [
      'Simulated throughput: committed payments per second of virtual time, in which every proof, verification, decryption, signature and MAC is charged to the node that does it from the cost table; the cryptography itself runs for real in every run (the runs take real CPU time accordingly).',
      `Peak committed throughput (mean over trials): ${sizes.map((b) => `${peak(b)} payments/s at ${b} bits`).join(', ')}. At the highest offered load — ${atTop.join('; ')}. Below saturation committed ≈ offered minus the payments still open when the run ends; a patient holds further bills while 2 of its payments are open.`,
      'Version conflicts come from a patient\'s second open payment built on the balance its first payment is about to replace (Fabric\'s MVCC); the patient rebuilds it on the new balance, so conflicts cost latency and CPU, not money.',
      q ? `Quick mode: 1024 and 2048 bits at low load, ${trials} 3-second run${trials > 1 ? 's' : ''} per point${trials > 1 ? '' : ' (no intervals)'}, reference cost table; 4096 bits only in the full run.` : '',
    ].filter(Boolean);
    return { rows, columns: COLUMNS, comparisons: [], charts, notes };
  },
};
