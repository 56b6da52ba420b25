/**
 * `pow-propagation`: block propagation delay (to 50 % and 90 % of nodes) and stale-block rate vs
 * block size and node count, from protocols/pow's `powPropagation(options)` (issue 3). Reference
 * values: Decker & Wattenhofer (2013) measured a median of ~6.5 s to reach 50 % of Bitcoin nodes
 * and a 1.69 % stale rate; SimBlock reproduces comparable curves.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../sim/results.ts';
import { writeChart, type ChartRow } from '../charts.ts';
import { toCsv } from '../io.ts';
import type { Figure, FigureResult } from './types.ts';

export const powPropagationFigure: Figure = {
  id: 'pow-propagation',
  title: 'PoW block propagation delay and stale rate vs block size and node count',
  source: 'seed 000 (Mei Ying, 2017) HealthChain PoW network; seed 001 §4.2 (fork analysis)',
  published: 'no numbers in the seeds; reference: Decker & Wattenhofer 2013 (t50 ≈ 6.5 s, stale 1.69 %)',
  needs: [{ folder: 'protocols/pow', name: 'powPropagation' }],
  async run(ctx, deps): Promise<FigureResult> {
    const fn = deps.powPropagation as (opts: unknown) => unknown;
    const out = await fn({ quick: ctx.quick, seed: ctx.seed });
    const rows = (Array.isArray(out) ? out : ((out as { rows?: unknown[] }).rows ?? [])) as Record<string, unknown>[];
    const columns = rows.length ? Object.keys(rows[0]) : [];
    writeFileAtomic(join(ctx.dir, 'pow-propagation.csv'), toCsv(rows, columns));
    const chartRows: ChartRow[] = [];
    for (const r of rows) {
      const x = Number(r.blockSizeKb ?? r.blockKb ?? r.blockSize);
      const nodes = String(r.nodes ?? '');
      if (!Number.isFinite(x)) continue;
      if (typeof r.t50Ms === 'number') chartRows.push({ panel: 'delay to 50 % / 90 % of nodes (ms)', series: `${nodes} nodes, t50`, style: 'line', x, y: r.t50Ms });
      if (typeof r.t90Ms === 'number') chartRows.push({ panel: 'delay to 50 % / 90 % of nodes (ms)', series: `${nodes} nodes, t90`, style: 'line', x, y: r.t90Ms });
      if (typeof r.staleRate === 'number') chartRows.push({ panel: 'stale-block rate', series: `${nodes} nodes, stale rate`, style: 'line', x, y: r.staleRate });
    }
    const charts = chartRows.length ? [await writeChart(ctx.dir, 'pow-propagation', { title: 'PoW propagation vs block size', xTitle: 'block size (kB)', yTitle: 'value (unit in the panel title)', panelTitle: 'metric', independentY: true, width: 300, height: 240 }, chartRows)] : [];
    return { rows, columns, charts, notes: [] };
  },
};
