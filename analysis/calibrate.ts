/**
 * `medsim calibrate`: measures the CPU cost of the real cryptographic operations that protocols
 * charge to their nodes' virtual clocks, and writes a cost table (sim/cost-table.ts).
 *
 * Each entry of each provider (protocols/calibrations.ts) is run once to warm up (JIT, OpenSSL
 * contexts, key caches), then `reps` times; the table records the **CPU time** of the process per
 * call (`process.cpuUsage`, user + system: what one core spends, less disturbed by other
 * processes sharing the machine than wall time) and, beside it, the wall time — medians of single
 * calls for slow operations (proofs), means over a loop of ≥ 50 calls for microsecond ones
 * (signatures, MACs), whose single calls the kernel's CPU accounting cannot resolve. The
 * machine (CPU model, cores, Node version) and the load average before and after are recorded,
 * because a table measured on a busy machine is only as good as that. Wall-clock time is used
 * here only (a measurement command, not simulation code).
 *
 * The table is written atomically to `results/calibration/cost-table.json` (or `--out`); a
 * scenario charges from it with `cpu.table: calibrated`. The committed reference
 * (`results/reference/cost-table.json`) is produced by the same command.
 */
import { cpus, loadavg } from 'node:os';
import { writeJsonAtomic } from '../sim/results.ts';
import { COST_TABLE_VERSION, costTableSchema, type CalibrationEntry, type CalibrationProvider, type CostEntry, type CostTable } from '../sim/cost-table.ts';

export interface CalibrateOptions {
  /** Paillier key sizes to measure (default 1024, 2048, 4096). */
  bits: readonly number[];
  /** Fewer repetitions (CI smoke runs). */
  quick: boolean;
  /** Only providers whose name is listed (default all). */
  only?: readonly string[];
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Median CPU and wall time of single calls (operations of a millisecond or more). */
function perCall(e: CalibrationEntry, reps: number): { cpuUs: number; wallUs: number } {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < reps; i++) {
    e.setup?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now(); // wall-clock: measurement command
    e.run();
    const t1 = performance.now(); // wall-clock: measurement command
    const c1 = process.cpuUsage(c0);
    wall.push((t1 - t0) * 1000);
    cpu.push(c1.user + c1.system);
  }
  return { cpuUs: median(cpu), wallUs: median(wall) };
}

/**
 * Mean CPU and wall time over a loop of `reps` calls (microsecond operations: the kernel's CPU
 * accounting is too coarse to time one call).
 */
function batched(e: CalibrationEntry, reps: number): { cpuUs: number; wallUs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now(); // wall-clock: measurement command
  for (let i = 0; i < reps; i++) e.run();
  const t1 = performance.now(); // wall-clock: measurement command
  const c1 = process.cpuUsage(c0);
  return { cpuUs: (c1.user + c1.system) / reps, wallUs: ((t1 - t0) * 1000) / reps };
}

/** Runs the providers' entries and returns the table (not written). */
export function calibrate(providers: readonly CalibrationProvider[], o: CalibrateOptions): CostTable {
  const log = o.log ?? (() => {});
  const before = loadavg();
  const entries: Record<string, CostEntry> = {};
  for (const p of providers) {
    if (o.only && !o.only.includes(p.name)) continue;
    log(`${p.name}: preparing (keys come from the key cache; a cold cache generates them first)…`);
    for (const e of p.entries({ bits: o.bits, quick: o.quick })) {
      if (entries[e.name]) throw new Error(`calibrate: entry ${e.name} measured twice (provider ${p.name})`);
      e.setup?.();
      e.run(); // warm-up
      const reps = Math.max(1, o.quick ? Math.min(e.reps, 20) : e.reps);
      const { cpuUs, wallUs } = e.setup ? perCall(e, reps) : reps >= 50 ? batched(e, reps) : perCall(e, reps);
      const us = cpuUs > 0 ? cpuUs : wallUs;
      entries[e.name] = { us: round(us), wallUs: round(wallUs), reps, description: e.description };
      log(`  ${e.name.padEnd(34)} ${round(us).toLocaleString('en-US').padStart(10)} µs   (wall ${round(wallUs).toLocaleString('en-US')} µs, ${reps} reps)`);
    }
  }
  const cpu = cpus();
  const table: CostTable = {
    version: COST_TABLE_VERSION,
    measuredAt: new Date().toISOString(), // wall-clock: provenance of a measurement
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, node: process.version, loadAvg: [...before, ...loadavg()].map((x) => Math.round(x * 100) / 100) },
    entries: Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  return costTableSchema.parse(table);
}

/** Measures and writes the table atomically; returns it. */
export function calibrateToFile(providers: readonly CalibrationProvider[], o: CalibrateOptions, file: string): CostTable {
  const t = calibrate(providers, o);
  writeJsonAtomic(file, t);
  return t;
}

/** A readable table. */
export function formatCostTable(t: CostTable): string {
  const rows = Object.entries(t.entries).map(([name, e]) => `${name.padEnd(36)} ${e.us.toLocaleString('en-US').padStart(12)} µs  ${e.description}`);
  return [`cost table (${t.machine.cpu}, ${t.machine.cores} cores, Node ${t.machine.node}; load ${t.machine.loadAvg.slice(0, 3).join(' ')} → ${t.machine.loadAvg.slice(3).join(' ')})`, ...rows].join('\n');
}
