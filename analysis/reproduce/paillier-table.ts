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
export const COLUMNS = ['operation', 'bits', 'paperMs', 'oursMs', 'ratio', 'n'];

/** Finds our time for an operation in whatever shape benchPaillier returns (rows or nested object). */
export function pickMs(result: unknown, operation: string, bits: number): { ms: number; n: number | null } | undefined {
  const keyOf = (op: string) => (/range/i.test(op) ? 'range' : /4096|data|record/i.test(op) ? 'data' : 'fee');
  const want = keyOf(operation);
  const rows: Record<string, unknown>[] = Array.isArray(result) ? result : Array.isArray((result as { rows?: unknown[] })?.rows) ? (result as { rows: Record<string, unknown>[] }).rows : [];
  for (const r of rows) {
    const op = String(r.operation ?? r.op ?? r.name ?? '');
    if (Number(r.bits ?? r.keyBits) === bits && keyOf(op) === want) {
      const ms = Number(r.medianMs ?? r.ms ?? r.oursMs ?? r.timeMs);
      if (Number.isFinite(ms)) return { ms, n: Number.isFinite(Number(r.n ?? r.runs)) ? Number(r.n ?? r.runs) : null };
    }
  }
  return undefined;
}

export const paillierTableFigure: Figure = {
  id: 'paillier-table',
  title: 'Paillier encryption and proof times vs key size',
  source: 'seed 002 (Yu Jian et al., 2021), Table 2',
  published: 'Table 2 (i5 3.4 GHz, 8 GB): 40/102/453, 30/78/347, 359/903/4112 ms at 1024/2048/4096 bits',
  needs: [{ folder: 'protocols/crypto', name: 'benchPaillier' }],
  async run(ctx, deps): Promise<FigureResult> {
    const bench = deps.benchPaillier as (opts?: unknown) => unknown;
    const result = await bench({ quick: ctx.quick });
    const rows: Record<string, unknown>[] = [];
    const chartRows: ChartRow[] = [];
    for (const [operation, values] of Object.entries(PAPER_TABLE_2)) {
      for (const [b, paperMs] of Object.entries(values)) {
        const bits = Number(b);
        const ours = pickMs(result, operation, bits);
        rows.push({ operation, bits, paperMs, oursMs: ours?.ms ?? null, ratio: ours ? Number((ours.ms / paperMs).toFixed(3)) : null, n: ours?.n ?? null });
        chartRows.push({ panel: operation, series: 'seed 002 Table 2', style: 'paper', x: bits, y: paperMs });
        if (ours) chartRows.push({ panel: operation, series: 'ours (median)', style: 'line', x: bits, y: ours.ms, n: ours.n });
      }
    }
    writeFileAtomic(join(ctx.dir, 'paillier-table.csv'), toCsv(rows, COLUMNS));
    const chart = await writeChart(ctx.dir, 'paillier-table', { title: 'Seed 002 Table 2: Paillier operation time', xTitle: 'key size (bits, log scale)', yTitle: 'time per operation (ms, log scale)', xLog: true, yLog: true, panelTitle: 'operation', independentX: false, width: 220, height: 220 }, chartRows);
    return {
      rows, columns: COLUMNS, charts: [chart],
      comparisons: rows.map((r) => ({ label: `${r.operation} @ ${r.bits} bit`, paper: r.paperMs as number, ours: (r.oursMs as number | null) ?? 'n/a', difference: r.ratio === null ? 'n/a' : `×${r.ratio}` })),
      notes: ['Times are wall-clock medians on this machine (shared and noisy: compare ratios, not absolute times); the paper used an i5 3.4 GHz.', `raw benchPaillier output: ${JSON.stringify(result).slice(0, 400)}`],
    };
  },
};
