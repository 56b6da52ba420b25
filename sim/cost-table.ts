/**
 * CPU cost tables: how long real cryptographic operations take on a machine, so a simulation can
 * charge them to each node's virtual clock (`ctx.charge`) instead of guessing (GUIDE.md §3 "Real
 * code, explicit cost"; Shadow and ns-3 likewise keep CPU time out of the event loop and model it).
 *
 * A table maps entry names to microseconds. Names are dotted and owned by the protocol that
 * measures them (`settlement.prove.2048`, `ed25519.verify`; a ring-signature protocol would add
 * `ringsig.sign.11`): `medsim calibrate` asks every registered calibration provider
 * (protocols/calibrations.ts) for its entries, times each, and writes one table. A scenario names
 * the table it charges from; a protocol looks its entries up with `costOf`, failing clearly when
 * the table lacks one (re-run the calibration).
 *
 * Tables are data: `results/reference/cost-table.json` is the reference measured on the project's
 * machine and committed (so runs are reproducible everywhere); `medsim calibrate` writes
 * `results/calibration/cost-table.json` for the machine at hand. A run's summary records the
 * table it used (name, SHA-256 and the entries it read), so the results say where their virtual
 * CPU time came from. Nothing here measures time: measuring is analysis/calibrate.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from './results.ts';

export const COST_TABLE_VERSION = 1;

export const costEntrySchema = z.strictObject({
  us: z.number().nonnegative().describe('median CPU time of one operation, µs'),
  wallUs: z.number().nonnegative().optional().describe('median wall-clock time of one operation, µs'),
  reps: z.number().int().positive().describe('timed repetitions'),
  description: z.string().describe('what one operation is'),
});

export const costTableSchema = z.strictObject({
  version: z.literal(COST_TABLE_VERSION),
  measuredAt: z.string().describe('ISO date of the calibration'),
  machine: z.strictObject({
    cpu: z.string(),
    cores: z.number().int(),
    node: z.string(),
    loadAvg: z.array(z.number()).describe('1, 5, 15-minute load averages before and after'),
  }),
  entries: z.record(z.string(), costEntrySchema),
});

export type CostEntry = z.output<typeof costEntrySchema>;
export type CostTable = z.output<typeof costTableSchema>;

/** Where `medsim calibrate` writes by default, and the committed reference. */
export const CALIBRATED_TABLE = join(PROJECT_ROOT, 'results', 'calibration', 'cost-table.json');
export const REFERENCE_TABLE = join(PROJECT_ROOT, 'results', 'reference', 'cost-table.json');

/** A cost table problem (missing file, bad JSON, missing entry): the user's input, not a bug. */
export class CostTableError extends Error {}

/** A loaded table with its provenance. */
export interface LoadedCostTable {
  /** `reference`, `calibrated`, or the file path given. */
  readonly name: string;
  readonly file: string;
  /** SHA-256 of the file's bytes (hex). */
  readonly sha256: string;
  readonly table: CostTable;
}

const loaded = new Map<string, LoadedCostTable>();

/** Resolves `reference` / `calibrated` / a path (relative to the project root) to a file. */
export function costTableFile(name: string): string {
  if (name === 'reference') return REFERENCE_TABLE;
  if (name === 'calibrated') return CALIBRATED_TABLE;
  return isAbsolute(name) ? name : resolve(PROJECT_ROOT, name);
}

/** Loads and validates a table (memoised per file and content). */
export function loadCostTable(name: string): LoadedCostTable {
  const file = costTableFile(name);
  if (!existsSync(file)) {
    const hint = name === 'calibrated' ? ' (run `npx medsim calibrate` first)' : '';
    throw new CostTableError(`cost table ${name}: ${file} does not exist${hint}`);
  }
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const hit = loaded.get(file);
  if (hit && hit.sha256 === sha256) return hit;
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CostTableError(`cost table ${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = costTableSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CostTableError(`cost table ${file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  const t: LoadedCostTable = { name, file, sha256, table: parsed.data };
  loaded.set(file, t);
  return t;
}

/** The cost of entry `name` in µs (rounded to an integer, as virtual time is). */
export function costOf(t: LoadedCostTable, name: string): number {
  const e = t.table.entries[name];
  if (!e) throw new CostTableError(`cost table ${t.name} (${t.file}) has no entry "${name}"; re-run \`npx medsim calibrate\` (entries: ${Object.keys(t.table.entries).sort().join(', ')})`);
  return Math.round(e.us);
}

// ---- calibration providers (measured by analysis/calibrate.ts) -------------------------------

/** One operation to time: `run` is called `reps` times after one warm-up call. */
export interface CalibrationEntry {
  /** Table entry name (dotted, owned by the provider's protocol). */
  readonly name: string;
  readonly description: string;
  readonly reps: number;
  /** Untimed preparation before each timed call (optional). */
  readonly setup?: () => void;
  readonly run: () => void;
}

/**
 * A protocol's contribution to `medsim calibrate`: a name and its entries for the requested
 * Paillier key sizes (providers that do not depend on key sizes ignore `bits`). Registered in
 * protocols/calibrations.ts; names must not collide with another provider's.
 */
export interface CalibrationProvider {
  readonly name: string;
  readonly description: string;
  entries(options: { bits: readonly number[]; quick: boolean }): CalibrationEntry[];
}
