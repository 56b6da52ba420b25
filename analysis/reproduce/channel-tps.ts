/**
 * `channel-tps`: seed 002 §3.4 claims "1000+ TPS on a single off-chain channel". Two honest
 * numbers side by side:
 *
 * 1. Wall clock: complete state updates per second that the protocol's real state code
 *    (protocols/channels/state.ts) produces, signs and verifies on one core — each update two
 *    Ed25519 signatures, two verifications and two revocation checks (analysis/channel-bench.ts,
 *    the loop `medsim bench channels` runs).
 * 2. Virtual time: payments per simulated second that one channel between two parties completes
 *    under the full channel protocol (protocols/channels: HTLC add and fulfil, each a co-signed
 *    update with revocation; CPU time of every signature and verification charged to the parties'
 *    clocks from the cost table), against the round-trip time between them and the number of
 *    payments allowed in flight (the channel's HTLC slots, BOLT 2 `max_accepted_htlcs`). The
 *    protocol keeps one state update in flight per channel and batches up to 16 operations into
 *    it, so in-flight payments share update round trips: the pipelining the paper's figure needs.
 *
 * Each virtual point offers about twice the throughput it is expected to sustain (Poisson, 1000-msat
 * payments in both directions), so the channel is saturated — payments beyond the free HTLC slots
 * fail at once with "htlc-slots-full" — and the completed payments per second are its capacity.
 * `saturated` says whether any payment was turned away; a point that was not saturated measures
 * its offered load, a lower bound.
 *
 * Rows (`--json`, channel-tps.csv): part "wall" (one row) and part "virtual" (one per RTT × in-flight):
 *   part, rttMs, inFlight, trials, paymentsPerSec (mean over trials), low, high (95 % t-interval),
 *   updatesPerSec (state updates per virtual second), latencyMsP50 (median payment latency),
 *   offeredPerSec, saturated; the wall row: updatesPerWallSec, updatesPerCpuSec, signUs, verifyUs.
 */
import { join } from 'node:path';
import { protocolSchemas } from '../../protocols/registry.ts';
import { writeFileAtomic } from '../../sim/results.ts';
import { validateScenario } from '../../sim/scenario/index.ts';
import { benchChannelUpdates, CHANNEL_STATE_API } from '../channel-bench.ts';
import { writeChart, type ChartRow } from '../charts.ts';
import { toCsv } from '../io.ts';
import { meanInterval } from '../stats.ts';
import type { TrialPoint } from '../trial.ts';
import { sweepScenarioPoints } from './scenario-points.ts';
import type { Figure, FigureResult } from './types.ts';

export const CHANNEL_TPS_COLUMNS = [
  'part', 'rttMs', 'inFlight', 'trials', 'paymentsPerSec', 'low', 'high', 'updatesPerSec', 'latencyMsP50', 'offeredPerSec', 'saturated',
  'updatesPerWallSec', 'updatesPerCpuSec', 'signUs', 'verifyUs',
];

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
/** Virtual seconds before payments start (the channel opens on chain first). */
const START_S = 3;

/** Offered load, payments/s: about twice what a channel with this RTT and slot count sustains. */
export function offeredLoad(rttMs: number, inFlight: number): number {
  return Math.min(20_000, Math.ceil(2 * (Math.min(inFlight, 10) * 0.45) / (rttMs / 1000)));
}

/** The scenario of one virtual point: two parties, one channel, RTT `rttMs`, `inFlight` HTLC slots. */
export function channelTpsScenario(p: { rttMs: number; inFlight: number; seed: number; measureS: number }): unknown {
  const rate = offeredLoad(p.rttMs, p.inFlight);
  const end = START_S + p.measureS;
  const raw = {
    name: `channel-tps-rtt${p.rttMs}-w${p.inFlight}`,
    seed: p.seed,
    duration: `${end}s`,
    network: {
      nodes: 3,
      regions: { custom: { names: ['link'], latency: [[p.rttMs / 2]], distribution: [1], upload: ['10Gbps'], download: ['10Gbps'] } },
      jitter: 0,
      topology: { kind: 'full-mesh' },
    },
    protocol: {
      name: 'channels',
      parties: 2,
      funding: 'public',
      channels: [{ a: 0, b: 1, depositA: 1_000_000_000_000, depositB: 1_000_000_000_000 }],
      policy: { maxHtlcs: p.inFlight },
      payments: { rate, minAmount: 1000, maxAmount: 1000, start: `${START_S}s`, stop: `${end}s` },
      timing: { paymentTimeout: '600s' },
    },
  };
  return validateScenario(raw, protocolSchemas(), { file: raw.name });
}

interface TpsTrial {
  protocol: { succeeded: number; updates: number; latencyMsMedian: number | null; failures: Record<string, number> };
}

export const channelTpsFigure: Figure = {
  id: 'channel-tps',
  title: 'One payment channel: signed updates per wall-second, and payments per virtual second vs round-trip time and payments in flight',
  source: 'seed 002 §3.4 ("1000+ TPS on a single off-chain channel")',
  published: 'seed 002: 1000+ TPS on a single channel (no setup, round-trip time or hardware given)',
  async run(ctx): Promise<FigureResult> {
    const q = ctx.quick;
    // 1. Wall clock.
    const reps = q ? 1 : 3;
    const updates = q ? 1000 : 5000;
    ctx.log(`channel-tps: wall clock, ${reps} × ${updates} updates`);
    const singles = Array.from({ length: reps }, () => benchChannelUpdates(CHANNEL_STATE_API, { updates, seed: ctx.seed })).sort((a, b) => a.updatesPerWallSec - b.updatesPerWallSec);
    const wall = singles[Math.floor(singles.length / 2)];
    // 2. Virtual time.
    const rtts = q ? [1, 10, 100] : [1, 3, 10, 30, 100, 200];
    const slots = q ? [1, 30] : [1, 4, 16, 30, 120];
    const trials = ctx.trials !== undefined ? Math.max(1, Math.min(ctx.trials, 10)) : q ? 1 : 3;
    const points: TrialPoint[] = [];
    for (const rttMs of rtts) {
      for (const inFlight of slots) {
        // About 400 completed payments per point at the expected capacity, within 1 … 30 virtual seconds.
        const measureS = Math.min(30, Math.max(1, Math.ceil(800 / offeredLoad(rttMs, inFlight))));
        points.push({ index: points.length, assignments: { rttMs, inFlight, measureS }, params: channelTpsScenario({ rttMs, inFlight, seed: ctx.seed, measureS }) });
      }
    }
    ctx.log(`channel-tps: ${points.length} virtual points × ${trials} runs`);
    const results = (await sweepScenarioPoints(ctx, 'channel-tps', points, trials)) as unknown as TpsTrial[][];
    const rows: Record<string, unknown>[] = [{
      part: 'wall', rttMs: null, inFlight: null, trials: reps, paymentsPerSec: null, low: null, high: null, updatesPerSec: null, latencyMsP50: null, offeredPerSec: null, saturated: null,
      updatesPerWallSec: wall.updatesPerWallSec, updatesPerCpuSec: wall.updatesPerCpuSec, signUs: wall.signUs, verifyUs: wall.verifyUs,
    }];
    const chart: ChartRow[] = [];
    for (const p of points) {
      const { rttMs, inFlight, measureS } = p.assignments as { rttMs: number; inFlight: number; measureS: number };
      const rs = results[p.index];
      const tps = rs.map((r) => r.protocol.succeeded / measureS);
      const iv = tps.length > 1 ? meanInterval(tps) : null;
      const mean = tps.reduce((a, b) => a + b, 0) / tps.length;
      const lat = rs.map((r) => r.protocol.latencyMsMedian).filter((x): x is number => x !== null);
      const row = {
        part: 'virtual', rttMs, inFlight, trials: rs.length, paymentsPerSec: round(mean), low: iv ? round(Math.max(0, iv.low)) : null, high: iv ? round(iv.high) : null,
        updatesPerSec: round(rs.reduce((a, r) => a + r.protocol.updates / measureS, 0) / rs.length),
        latencyMsP50: lat.length ? round(lat.reduce((a, b) => a + b, 0) / lat.length, 2) : null,
        offeredPerSec: offeredLoad(rttMs, inFlight),
        saturated: rs.every((r) => (r.protocol.failures['htlc-slots-full'] ?? 0) > 0),
        updatesPerWallSec: null, updatesPerCpuSec: null, signUs: null, verifyUs: null,
      };
      rows.push(row);
      const s = `${inFlight} in flight`;
      chart.push({ series: s, group: s, style: 'interval', x: rttMs, y: row.paymentsPerSec, low: row.low ?? row.paymentsPerSec, high: row.high ?? row.paymentsPerSec, n: rs.length });
      chart.push({ series: s, group: s, style: 'line', x: rttMs, y: row.paymentsPerSec });
    }
    for (const x of rtts) chart.push({ series: 'seed 002: 1000 TPS', group: 'seed 002', style: 'paper', x, y: 1000 });
    writeFileAtomic(join(ctx.dir, 'channel-tps.csv'), toCsv(rows, CHANNEL_TPS_COLUMNS));
    const lines = (...xs: string[]) => xs as unknown as string; // Vega-Lite takes string[] subtitles
    const charts = [
      await writeChart(ctx.dir, 'channel-tps-chart', {
        title: 'Payments per second on one channel (virtual time)',
        subtitle: lines(
          'protocols/channels, two parties, HTLC add + fulfil per payment, one update in flight batching ≤ 16 operations',
          `CPU of every signature charged from the cost table; ${trials} run${trials > 1 ? 's' : ''} per point; diamonds: the paper's 1000 TPS`,
        ),
        xTitle: 'round-trip time between the parties (ms, log scale)',
        yTitle: 'completed payments per simulated second (payments/s, log scale)',
        xLog: true,
        yLog: true,
        colorBy: 'group',
        groupTitle: 'payments in flight',
        width: 420,
        height: 300,
      }, chart),
    ];
    const virtual = rows.filter((r) => r.part === 'virtual') as { rttMs: number; inFlight: number; paymentsPerSec: number; saturated: boolean }[];
    const best = (rtt: number) => virtual.filter((r) => r.rttMs === rtt).sort((a, b) => b.paymentsPerSec - a.paymentsPerSec)[0];
    const over1000 = virtual.filter((r) => r.paymentsPerSec >= 1000).sort((a, b) => b.rttMs - a.rttMs || a.inFlight - b.inFlight)[0];
    const comparisons = [
      { label: 'complete signed channel updates per wall-clock second, one core', paper: '1000+ TPS', ours: wall.updatesPerWallSec, difference: `ours ÷ paper ×${round(wall.updatesPerWallSec / 1000, 2)} (measured on this machine; ${wall.updatesPerCpuSec} per CPU second)` },
      ...[rtts[0], 100].filter((r) => rtts.includes(r)).map((r) => ({
        label: `payments per virtual second, RTT ${r} ms, ${best(r).inFlight} in flight`,
        paper: '1000+ TPS',
        ours: best(r).paymentsPerSec,
        difference: `ours ÷ paper ×${round(best(r).paymentsPerSec / 1000, 2)}`,
      })),
    ];
    const notes = [
      `Wall clock: ${wall.updatesPerWallSec} complete updates/s (${wall.updatesPerCpuSec} per CPU second; state signature ${wall.signUs} µs, verification ${wall.verifyUs} µs, medians) — each update is both parties' signatures and verifications and both revocations, as a channel needs; the paper's figure counts transactions without saying what one costs.`,
      over1000
        ? `Virtual time: of the round-trip times measured (${rtts.join(', ')} ms), only RTT ≤ ${over1000.rttMs} ms reached 1,000 payments/s (there with ${over1000.inFlight} payments in flight; one in flight: ${virtual.find((r) => r.rttMs === over1000.rttMs && r.inFlight === 1)?.paymentsPerSec ?? '—'}/s): a LAN, and several payments sharing each update round trip. The seed's figure therefore implies a LAN with pipelining; at RTT 100 ms one channel completes ${best(100) ? best(100).paymentsPerSec : '—'} payments/s at best.`
        : 'Virtual time: no point reached 1,000 payments/s.',
      'A payment over one channel is two co-signed updates (HTLC add by the payer, fulfil by the payee), each a full round of update, ack and revoke; payments waiting for a free HTLC slot are refused at once ("htlc-slots-full"), so the completed rate at saturation is the channel\'s capacity.',
      virtual.some((r) => !r.saturated) ? `Not saturated (measured value = offered load, a lower bound): ${virtual.filter((r) => !r.saturated).map((r) => `RTT ${r.rttMs} ms × ${r.inFlight}`).join(', ')}.` : 'Every virtual point was saturated (some payments were refused for lack of HTLC slots).',
      q ? 'Quick mode: 1,000 wall-clock updates, 3 RTTs × 2 slot counts, one run each.' : '',
    ].filter(Boolean);
    return { rows, columns: CHANNEL_TPS_COLUMNS, comparisons, charts, notes };
  },
};
