/**
 * `paillier-table`: seed 002 (Yu Jian et al., 2021) Table 2 — Paillier operation times at
 * 1024 / 2048 / 4096-bit keys on an i5 3.4 GHz: fee encryption + ZK proof 40 / 102 / 453 ms,
 * fee range verification 30 / 78 / 347 ms, encryption + proof of 4096 bytes of patient data
 * 359 / 903 / 4112 ms. Ours from protocols/crypto's `benchPaillier()` (medsim bench crypto).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../sim/results.ts';
import { writeChart, type ChartRow } from '../charts.ts';
import { toCsv } from '../io.ts';
import type { Figure, FigureResult } from './types.ts';

export const PAPER_TABLE_2: Record<string, Record<number, number>> = {
  'fee encryption + ZK proof': { 1024: 40, 2048: 102, 4096: 453 },
  'fee range verification': { 1024: 30, 2048: 78, 4096: 347 },
  'encryption + proof of 4096 B patient data': { 1024: 359, 2048: 903, 4096: 4112 },
};
/** `paperOverOurs` is paper ÷ ours — the convention `medsim bench crypto` prints (above 1: ours is faster). */
export const COLUMNS = ['operation', 'bits', 'paperMs', 'oursMs', 'paperOverOurs', 'n'];

/** benchPaillier's row field for each Table 2 operation. */
const FIELD: Record<string, 'feeEncryptProveMs' | 'rangeVerifyMs' | 'record4kEncryptProveMs'> = {
  'fee encryption + ZK proof': 'feeEncryptProveMs',
  'fee range verification': 'rangeVerifyMs',
  'encryption + proof of 4096 B patient data': 'record4kEncryptProveMs',
};

interface BenchRow { bits: number; reps: number; feeEncryptProveMs: { wallMs: number }; rangeVerifyMs: { wallMs: number }; record4kEncryptProveMs: { wallMs: number } }

/** Our wall-clock median for an operation at a key size, with its number of runs. */
export function pickMs(result: { rows: readonly BenchRow[] }, operation: string, bits: number): { ms: number; n: number } | undefined {
  const row = result.rows.find((r) => r.bits === bits);
  if (!row) return undefined;
  return { ms: row[FIELD[operation]].wallMs, n: row.reps };
}

export const paillierTableFigure: Figure = {
  id: 'paillier-table',
  title: 'Paillier encryption and proof times vs key size',
  source: 'seed 002 (Yu Jian et al., 2021), Table 2',
  published: 'Table 2 (i5 3.4 GHz, 8 GB): 40/102/453, 30/78/347, 359/903/4112 ms at 1024/2048/4096 bits',
  needs: [{ folder: 'protocols/crypto', name: 'benchPaillier' }],
  async run(ctx, deps): Promise<FigureResult> {
    const bench = deps.benchPaillier as (bits: number[], reps: number, options: { log?: (m: string) => void }) => { rows: readonly BenchRow[] };
    // Quick: 1024 and 2048 bits, 3 runs (4096-bit keys take minutes to generate the first time;
    // keys and the ring-Pedersen setup go through protocols/crypto's key cache, .cache/medsim/keys,
    // so re-runs skip key generation).
    const result = bench(ctx.quick ? [1024, 2048] : [1024, 2048, 4096], ctx.trials ?? (ctx.quick ? 3 : 9), { log: ctx.log });
    const rows: Record<string, unknown>[] = [];
    const chartRows: ChartRow[] = [];
    for (const [operation, values] of Object.entries(PAPER_TABLE_2)) {
      for (const [b, paperMs] of Object.entries(values)) {
        const bits = Number(b);
        const ours = pickMs(result, operation, bits);
        if (!ours && ctx.quick) continue;
        rows.push({ operation, bits, paperMs, oursMs: ours?.ms ?? null, paperOverOurs: ours ? Number((paperMs / ours.ms).toFixed(3)) : null, n: ours?.n ?? null });
        chartRows.push({ panel: operation, series: 'seed 002 Table 2', style: 'paper', x: bits, y: paperMs });
        if (ours) chartRows.push({ panel: operation, series: 'ours (measured, median)', style: 'line', x: bits, y: ours.ms, n: ours.n });
      }
    }
    writeFileAtomic(join(ctx.dir, 'paillier-table.csv'), toCsv(rows, COLUMNS));
    const bitsShown = [...new Set(chartRows.map((r) => r.x))].sort((a, b) => a - b);
    const chart = await writeChart(ctx.dir, 'paillier-table', { title: 'Seed 002 Table 2: Paillier operation time', xTitle: 'Paillier key size (bits, log scale)', yTitle: 'time per operation (ms, log scale)', xLog: true, yLog: true, xValues: bitsShown, yFormat: ',', panelTitle: 'operation', independentX: false, width: 220, height: 220 }, chartRows);
    return {
      rows, columns: COLUMNS, charts: [chart],
      comparisons: rows.map((r) => ({ label: `${r.operation} @ ${r.bits} bit`, paper: r.paperMs as number, ours: r.oursMs === null ? 'n/a' : `${r.oursMs} ms (measured, median of ${r.n})`, ...(r.oursMs !== null ? { oursValue: r.oursMs as number } : {}), difference: r.paperOverOurs === null ? 'n/a' : `paper ÷ ours ×${r.paperOverOurs}${(r.paperOverOurs as number) >= 1 ? ' (ours faster)' : ' (ours slower)'}` })),
      notes: [
        '×: paper ÷ ours, the convention medsim bench crypto prints (above 1: ours is faster).',
        'Ours: protocols/crypto benchPaillier (medsim bench crypto) — wall-clock medians on this machine (shared and noisy: compare ratios, not absolute times); the paper used an i5 3.4 GHz, 8 GB.',
        ctx.quick ? 'Quick mode: 1024 and 2048 bits only, 3 runs each.' : '1024, 2048 and 4096 bits, 9 runs each.',
      ],
    };
  },
};
