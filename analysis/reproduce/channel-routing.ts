/**
 * `channel-routing`: payment success and failure reasons against payment amount and channel
 * capacity on a generated channel network, as CLoTH reports them (Conoscenti et al. 2021: success
 * rate with batch-means 95 % intervals, failures by reason).
 *
 * Setup (each point a fresh network, same seed): a Barabási–Albert graph (1,000 nodes, m = 2;
 * quick: 300) whose channels all have capacity C, split evenly, lnd's default policy with the
 * proportional fee drawn per direction in [1, 1000] ppm; a Poisson trace (10 payments/s, sender
 * and receiver uniform and distinct) of fixed amount A; payments routed with
 * protocols/channels/routing.ts and run by analysis/channel-payments.ts (real balances, failed
 * channels excluded, up to 10 attempts). The success rate is the batch mean of the 0/1 outcomes
 * over 20 equal windows of virtual time after a 10 % warm-up (analysis/stats.ts
 * `batchMeansByTime`).
 *
 * Rows (`--json`, channel-routing.csv), one per (C, A):
 *   capacitySat, amountSat, amountOverCapacity   C, A (sat) and A / C;
 *   payments                                     payments in the measured window;
 *   successRate, successLow, successHigh         batch-means estimate and 95 % interval;
 *   noPath, insufficientBalance, offlineNode     share of measured payments failing for that reason;
 *   attemptsMean                                 routes tried per payment (mean);
 *   routeLengthMean, feePpmMean                  hops and fee (ppm of A) of successful payments.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../sim/results.ts';
import { barabasiAlbertGraph } from '../../protocols/channels/graph.ts';
import { generateTrace } from '../../protocols/channels/traces.ts';
import { runPayments } from '../channel-payments.ts';
import { writeChart, type ChartRow } from '../charts.ts';
import { toCsv } from '../io.ts';
import { batchMeansByTime } from '../stats.ts';
import type { Figure, FigureResult } from './types.ts';

export const CHANNEL_ROUTING_COLUMNS = [
  'capacitySat', 'amountSat', 'amountOverCapacity', 'payments', 'successRate', 'successLow', 'successHigh',
  'noPath', 'insufficientBalance', 'offlineNode', 'attemptsMean', 'routeLengthMean', 'feePpmMean',
];

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

/** One point of the sweep: success and failures for capacity C and amount A on a fresh network. */
export function channelRoutingPoint(p: { nodes: number; capacitySat: number; amountSat: number; payments: number; seed: number; batches?: number }): Record<string, number> {
  const graph = barabasiAlbertGraph({
    nodes: p.nodes,
    edgesPerNode: 2,
    seed: p.seed,
    channels: { capacity: { kind: 'fixed', msat: BigInt(p.capacitySat) * 1000n }, balance: 'even', feeRatePpmRange: [1, 1000] },
  });
  const rate = 10;
  const trace = generateTrace({ nodes: graph.nodes, count: p.payments, ratePerSec: rate, amount: { kind: 'fixed', msat: BigInt(p.amountSat) * 1000n }, seed: p.seed });
  const outcomes = runPayments(graph, trace, { seed: p.seed });
  const end = trace[trace.length - 1].atUs + 1;
  const start = Math.floor(end / 10);
  const measured = outcomes.filter((o) => o.atUs >= start);
  const iv = batchMeansByTime(outcomes.map((o) => o.atUs), outcomes.map((o) => (o.success ? 1 : 0)), { batches: p.batches ?? 20, start, end });
  const share = (f: string) => measured.filter((o) => o.failure === f).length / measured.length;
  const ok = measured.filter((o) => o.success);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  return {
    capacitySat: p.capacitySat,
    amountSat: p.amountSat,
    amountOverCapacity: p.amountSat / p.capacitySat,
    payments: measured.length,
    successRate: round(iv.estimate),
    successLow: round(Math.max(0, iv.low)),
    successHigh: round(Math.min(1, iv.high)),
    noPath: round(share('no-path')),
    insufficientBalance: round(share('insufficient-balance')),
    offlineNode: round(share('offline-node')),
    attemptsMean: round(mean(measured.map((o) => o.attempts)), 3),
    routeLengthMean: round(mean(ok.map((o) => o.hops!)), 3),
    feePpmMean: round(mean(ok.map((o) => (Number(o.feeMsat!) / (p.amountSat * 1000)) * 1e6)), 1),
  };
}

export const channelRoutingFigure: Figure = {
  id: 'channel-routing',
  title: 'Payment-channel network: success rate and failure reasons vs payment amount and channel capacity',
  source: 'seed 002 §3.4 (multi-hop payments through intermediaries); CLoTH (Conoscenti et al. 2021) metrics',
  published: 'none in seed 002; CLoTH reports success rate falling as payment amounts approach channel capacities (qualitative reference)',
  async run(ctx): Promise<FigureResult> {
    const q = ctx.quick;
    const nodes = q ? 300 : 1000;
    const payments = ctx.trials !== undefined ? Math.max(400, ctx.trials) : q ? 1500 : 6000;
    const capacities = q ? [100_000, 1_000_000] : [100_000, 1_000_000, 10_000_000];
    const amounts = q ? [100, 1_000, 10_000, 50_000, 100_000] : [100, 1_000, 10_000, 30_000, 100_000, 300_000, 1_000_000];
    const rows: Record<string, number | null>[] = [];
    for (const capacitySat of capacities) {
      for (const amountSat of amounts) {
        ctx.log(`channel-routing: capacity ${capacitySat} sat, amount ${amountSat} sat`);
        const row: Record<string, number | null> = channelRoutingPoint({ nodes, capacitySat, amountSat, payments, seed: ctx.seed });
        for (const k of Object.keys(row)) if (typeof row[k] === 'number' && !Number.isFinite(row[k])) row[k] = null;
        rows.push(row);
      }
    }
    writeFileAtomic(join(ctx.dir, 'channel-routing.csv'), toCsv(rows, CHANNEL_ROUTING_COLUMNS));
    const cap = (c: number) => `capacity ${c.toLocaleString('en-US')} sat`;
    const successRows: ChartRow[] = [];
    const reasonRows: ChartRow[] = [];
    for (const r of rows) {
      const s = cap(r.capacitySat!);
      successRows.push({ series: s, group: s, style: 'interval', x: r.amountSat!, y: r.successRate, low: r.successLow, high: r.successHigh, n: r.payments });
      successRows.push({ series: s, group: s, style: 'line', x: r.amountSat!, y: r.successRate });
      for (const [panel, key] of [['no path', 'noPath'], ['insufficient balance (after retries)', 'insufficientBalance']] as const) {
        reasonRows.push({ panel, series: `${s} ${panel}`, group: s, style: 'line', x: r.amountSat!, y: r[key] });
      }
    }
    const setupLines = [`Barabási–Albert, ${nodes} nodes, m = 2; channels of capacity C split evenly; fees 1000 msat + U[1, 1000] ppm`, `${payments} Poisson payments of fixed amount per point, ≤ 10 attempts`];
    const lines = (...xs: string[]) => xs as unknown as string; // Vega-Lite takes string[] subtitles
    const charts = [
      await writeChart(ctx.dir, 'channel-routing-success-chart', {
        title: 'Payment success rate vs amount',
        subtitle: lines(...setupLines, 'success rate: batch means over 20 windows of virtual time, 95 % intervals'),
        xTitle: 'payment amount (sat, log scale)',
        yTitle: 'success rate (share of payments)',
        xLog: true,
        colorBy: 'group',
        groupTitle: 'channel capacity',
        width: 420,
        height: 280,
      }, successRows),
      await writeChart(ctx.dir, 'channel-routing-failures-chart', {
        title: 'Why payments fail, vs amount',
        subtitle: lines(...setupLines),
        xTitle: 'payment amount (sat, log scale)',
        yTitle: 'share of payments',
        xLog: true,
        panelTitle: 'failure reason',
        colorBy: 'group',
        groupTitle: 'channel capacity',
        width: 300,
        height: 240,
      }, reasonRows),
    ];
    const at = (c: number, a: number) => rows.find((r) => r.capacitySat === c && r.amountSat === a);
    const small = at(capacities[0], amounts[0]);
    const tenth = at(capacities[0], capacities[0] / 10);
    const notes = [
      'Routing: protocols/channels/routing.ts (Dijkstra from the receiver, BOLT 7 fees and expiries, capacities known, the sender\'s own balances exact); payment flow: analysis/channel-payments.ts, one payment at a time, so the "HTLC slots full" and "time-out" reasons cannot occur in this figure (they need concurrent payments: medsim run on protocols/channels). No node is offline here (offlineNode = 0 by construction).',
      small ? `At C = ${capacities[0].toLocaleString('en-US')} sat: success ${small.successRate} for ${amounts[0]}-sat payments${tenth ? `, ${tenth.successRate} at A = C/10` : ''}; payments of A ≥ C never find a path (each end holds C/2).` : '',
      (() => {
        // The largest amount below the capacity at the smallest capacity: how failures split there.
        const below = rows.filter((r) => r.capacitySat === capacities[0] && r.amountSat! < capacities[0]).sort((x, y) => y.amountSat! - x.amountSat!)[0];
        return below ? `At A = ${below.amountSat!.toLocaleString('en-US')} sat, C = ${capacities[0].toLocaleString('en-US')} sat: ${below.insufficientBalance} of payments fail on insufficient balance after retries, ${below.noPath} find no path; ${below.attemptsMean} routes tried per payment.` : '';
      })(),
      q ? 'Quick mode: 300 nodes, 1,500 payments per point, two capacities.' : '',
    ].filter(Boolean);
    return { rows, columns: CHANNEL_ROUTING_COLUMNS, charts, notes };
  },
};
