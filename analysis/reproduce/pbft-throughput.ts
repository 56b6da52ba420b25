/**
 * `pbft-throughput`: committed throughput (ops/s, simulated time) and commit latency vs committee
 * size, from protocols/pbft's `pbftThroughput(sizes, batch)` (issue 5). Seed 003 publishes no
 * numbers; the comparison point is NTU's BFT-Simulator (0.17 s per consensus instance at 64
 * nodes, 2.2 s at 128 nodes, wall clock, no cryptography).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../sim/results.ts';
import { writeChart, type ChartRow } from '../charts.ts';
import { toCsv } from '../io.ts';
import type { Figure, FigureResult } from './types.ts';

export const pbftThroughputFigure: Figure = {
  id: 'pbft-throughput',
  title: 'PBFT throughput and latency vs committee size',
  source: 'seed 003 (Feng Tao et al., 2020): DPoS + PBFT among delegates (no published numbers)',
  published: 'none in seed 003; reference: NTU BFT-Simulator 0.17 s/instance at 64 nodes, 2.2 s at 128 (wall clock)',
  needs: [{ folder: 'protocols/pbft', name: 'pbftThroughput' }],
  async run(ctx, deps): Promise<FigureResult> {
    const sizes = ctx.quick ? [4, 7, 16] : [4, 7, 16, 31, 64, 100, 128, 200];
    const fn = deps.pbftThroughput as (sizes: number[], batch: number, blocks?: number, seed?: number) => unknown;
    const out = await fn(sizes, 100, ctx.quick ? 10 : 30, ctx.seed);
    const rows = (Array.isArray(out) ? out : ((out as { rows?: unknown[] }).rows ?? [])) as Record<string, unknown>[];
    const columns = rows.length ? Object.keys(rows[0]) : [];
    writeFileAtomic(join(ctx.dir, 'pbft-throughput.csv'), toCsv(rows, columns));
    const num = (r: Record<string, unknown>, ...keys: string[]) => { for (const k of keys) if (typeof r[k] === 'number') return r[k] as number; return null; };
    const chartRows: ChartRow[] = [];
    for (const r of rows) {
      const x = num(r, 'committee', 'size', 'n', 'nodes');
      if (x === null) continue;
      chartRows.push({ panel: 'throughput (ops/s)', series: 'committed ops/s (simulated time)', style: 'line', x, y: num(r, 'opsPerSec', 'throughput', 'committedOpsPerSec') });
      chartRows.push({ panel: 'latency (ms)', series: 'commit latency p50 (ms)', style: 'line', x, y: num(r, 'latencyMsP50', 'latencyMs', 'latencyP50Ms', 'p50Ms') });
    }
    const charts = chartRows.length ? [await writeChart(ctx.dir, 'pbft-throughput', { title: 'PBFT throughput and latency vs committee size', xTitle: 'committee size (replicas)', yTitle: 'value (unit in the panel title)', panelTitle: 'metric', independentY: true, width: 300, height: 240 }, chartRows)] : [];
    return { rows, columns, charts, notes: [`batch size 100; sizes ${sizes.join(', ')}`] };
  },
};
