import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { committeeSafeProbability, faultBound } from '../../analysis/consistency.ts';
import { FIGURES, reproduce } from '../../analysis/reproduce/index.ts';
import { CHANNEL_ROUTING_COLUMNS } from '../../analysis/reproduce/channel-routing.ts';
import { CHANNEL_TPS_COLUMNS } from '../../analysis/reproduce/channel-tps.ts';
import { PAPER_TABLE_2 } from '../../analysis/reproduce/paillier-table.ts';
import { COLUMNS as RING_COLUMNS } from '../../analysis/reproduce/ring-anonymity.ts';
import { COLUMNS as SETTLEMENT_COLUMNS } from '../../analysis/reproduce/settlement-throughput.ts';
import { COLUMNS as SIMBLOCK_COLUMNS } from '../../analysis/reproduce/simblock-propagation.ts';
import { COLUMNS as PBFT_COLUMNS } from '../../analysis/reproduce/pbft-throughput.ts';
import { selfishRevenue } from '../../analysis/selfish.ts';
import { writeReport } from '../../analysis/report.ts';

const tmp = mkdtempSync(join(tmpdir(), 'medsim-reproduce-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hypergeometric committee consistency', () => {
  it('matches hand-computed values', () => {
    expect(faultBound(4)).toBe(1);
    expect(faultBound(7)).toBe(2);
    // N = 10, B = 3, k = 4, f = 1: [C(7,4) + C(3,1)C(7,3)] / C(10,4) = (35 + 105) / 210.
    expect(committeeSafeProbability(10, 3, 4)).toBeCloseTo(140 / 210, 12);
    // N = 100, B = 10, k = 4: [C(90,4) + 10·C(90,3)] / C(100,4).
    expect(committeeSafeProbability(100, 10, 4)).toBeCloseTo((2_555_190 + 10 * 117_480) / 3_921_225, 12);
    expect(committeeSafeProbability(100, 0, 31)).toBe(1);
  });
});

describe('reproduce --quick', () => {
  it('runs every registered figure (or reports clearly why it cannot)', async () => {
    const out = await reproduce('all', { quick: true, json: true, out: tmp, workers: 2 });
    expect(out.map((o) => o.id)).toEqual(FIGURES.map((f) => f.id));
    // Every figure's dependencies have landed: none may be skipped as unavailable, and each runs.
    for (const o of out) {
      expect(o.status, `${o.id}: ${o.reason}`).toBe('ok');
      expect(o.wallMs).toBeLessThan(60_000);
      const summary = JSON.parse(readFileSync(join(o.dir!, 'summary.json'), 'utf8'));
      expect(summary.source).toBe(o.source);
      expect(summary.rows).toEqual(JSON.parse(JSON.stringify(o.rows)));
    }
    // Every figure has its own checks below (a new figure must add some).
    const checked = ['channel-routing', 'channel-tps', 'contract-gas', 'double-spend', 'dpos-consistency', 'paillier-table', 'pbft-throughput', 'pow-propagation', 'ring-anonymity', 'selfish-mining', 'settlement-throughput', 'simblock-propagation'];
    expect(FIGURES.map((f) => f.id).sort()).toEqual(checked);
    const rowsOf = <T,>(id: string) => out.find((o) => o.id === id)!.rows as T[];

    // channel-routing: success rate with its interval, and every payment accounted for (a success or one failure reason).
    const routing = rowsOf<Record<string, number>>('channel-routing');
    expect(routing.length).toBeGreaterThanOrEqual(4);
    for (const r of routing) {
      expect(Object.keys(r)).toEqual(CHANNEL_ROUTING_COLUMNS);
      expect(r.successLow).toBeLessThanOrEqual(r.successRate);
      expect(r.successHigh).toBeGreaterThanOrEqual(r.successRate);
      expect(r.amountOverCapacity).toBeCloseTo(r.amountSat / r.capacitySat, 3);
      // Shares of the payments: each succeeded or failed for one reason.
      expect(r.successRate + r.noPath + r.insufficientBalance + r.offlineNode).toBeCloseTo(1, 2);
    }
    // Larger payments relative to capacity fail more often.
    const byRatio = [...routing].sort((a, b) => a.amountOverCapacity - b.amountOverCapacity);
    expect(byRatio[byRatio.length - 1].successRate).toBeLessThan(byRatio[0].successRate);

    // channel-tps: one wall-clock row (real state updates per second) and the virtual RTT × slots grid;
    // payments per second fall as the round trip grows, for each number of payments in flight.
    const tps = rowsOf<Record<string, number | string | boolean | null>>('channel-tps');
    expect(tps.filter((r) => r.part === 'wall')).toHaveLength(1);
    const wall = tps.find((r) => r.part === 'wall')!;
    expect(wall.updatesPerWallSec as number).toBeGreaterThan(0);
    expect(wall.updatesPerCpuSec as number).toBeGreaterThan(0);
    const virtual = tps.filter((r) => r.part === 'virtual');
    expect(virtual.map((r) => `${r.rttMs}/${r.inFlight}`)).toEqual(['1/1', '1/30', '10/1', '10/30', '100/1', '100/30']);
    for (const r of tps) expect(Object.keys(r)).toEqual(CHANNEL_TPS_COLUMNS);
    for (const inFlight of [1, 30]) {
      const rate = virtual.filter((r) => r.inFlight === inFlight).map((r) => r.paymentsPerSec as number);
      expect(rate[0]).toBeGreaterThan(rate[1]);
      expect(rate[1]).toBeGreaterThan(rate[2]);
    }
    // More payments in flight carry more payments per second at every round trip, never more than offered.
    for (const rtt of [1, 10, 100]) {
      const at = (w: number) => virtual.find((r) => r.rttMs === rtt && r.inFlight === w)!;
      expect(at(30).paymentsPerSec as number).toBeGreaterThan(at(1).paymentsPerSec as number);
      for (const w of [1, 30]) expect(at(w).paymentsPerSec as number).toBeLessThanOrEqual(at(w).offeredPerSec as number);
    }

    // ring-anonymity: the observer's guess rate with its interval; no decoys (ring size 1) means certainty.
    const rings = rowsOf<{ policy: string; heuristic: string; ringSize: number; trials: number; guessRate: number; ciLow: number; ciHigh: number; deanonymized: number }>('ring-anonymity');
    expect(rings.length).toBeGreaterThan(0);
    for (const r of rings) {
      expect(Object.keys(r)).toEqual(RING_COLUMNS);
      expect(r.ciLow).toBeLessThanOrEqual(r.guessRate);
      expect(r.ciHigh).toBeGreaterThanOrEqual(r.guessRate);
      if (r.ringSize === 1) expect([r.guessRate, r.deanonymized]).toEqual([1, 1]);
    }

    // settlement-throughput: quick points (2048 bits at 3/s, 1024 bits at 2 and 6/s) on the reference
    // cost table; committed payments never exceed what was offered, and every run's audit passes.
    const settle = rowsOf<Record<string, number | string | null>>('settlement-throughput');
    expect(settle.map((r) => `${r.keyBits}@${r.offeredPerSec}`).sort()).toEqual(['1024@2', '1024@6', '2048@3']);
    for (const r of settle) {
      expect(Object.keys(r)).toEqual(SETTLEMENT_COLUMNS);
      expect(r.costTable).toBe('reference');
      expect(r.committedPerSec as number).toBeGreaterThan(0);
      expect(r.committedPerSec as number).toBeLessThanOrEqual((r.offeredPerSec as number) * 1.05);
      expect(r.conflictRate as number).toBeGreaterThanOrEqual(0);
      expect(r.conflictRate as number).toBeLessThanOrEqual(1);
      expect(r.auditPass).toBe(r.trials);
    }

    // simblock-propagation: ours beside SimBlock's own numbers, ratios = ours ÷ SimBlock's, t90 above t50.
    const simblock = rowsOf<Record<string, number | string | boolean>>('simblock-propagation');
    expect(simblock.map((r) => r.relay).sort()).toEqual(['compact', 'full']);
    for (const r of simblock) {
      expect(Object.keys(r)).toEqual(SIMBLOCK_COLUMNS);
      expect(r.t90MeanMs as number).toBeGreaterThan(r.t50MeanMs as number);
      expect(r.t50MeanRatio as number).toBeCloseTo((r.t50MeanMs as number) / (r.simblockT50MeanMs as number), 2);
      expect(r.t90MedianRatio as number).toBeCloseTo((r.t90MedianMs as number) / (r.simblockT90MedianMs as number), 2);
    }

    // contract-gas: every operation of seed 001's contracts, real EVM gas beside the simulator's meter.
    const gas = rowsOf<{ operation: string; evmGas: number; tsGas: number; difference: number; tsOverEvm: number; status: string }>('contract-gas');
    expect(gas).toHaveLength(15);
    expect(gas.filter((r) => r.status === 'revert').map((r) => r.operation)).toEqual(['warrant by a non-owner (reverts)', 'getData by a non-institution (reverts)']);
    for (const r of gas) {
      expect(r.evmGas, r.operation).toBeGreaterThanOrEqual(21_000); // at least the intrinsic cost
      expect(r.difference).toBe(r.evmGas - r.tsGas);
      expect(r.tsOverEvm).toBeCloseTo(r.tsGas / r.evmGas, 3);
      expect(r.tsOverEvm, r.operation).toBeGreaterThan(0.8); // the meter is within 20 % of the EVM
      expect(r.tsOverEvm, r.operation).toBeLessThanOrEqual(1);
    }

    // paillier-table: seed 002 Table 2's published values beside our measured medians (quick: 1024 and 2048 bits).
    const paillier = rowsOf<{ operation: string; bits: number; paperMs: number; oursMs: number; paperOverOurs: number; n: number }>('paillier-table');
    expect(paillier.map((r) => `${r.operation}@${r.bits}`).sort()).toEqual(Object.keys(PAPER_TABLE_2).flatMap((op) => [1024, 2048].map((b) => `${op}@${b}`)).sort());
    for (const r of paillier) {
      expect(r.paperMs).toBe(PAPER_TABLE_2[r.operation][r.bits]);
      expect(r.oursMs).toBeGreaterThan(0);
      expect(r.n).toBeGreaterThanOrEqual(3);
      expect(r.paperOverOurs).toBeCloseTo(r.paperMs / r.oursMs, 2);
    }
    // Larger Paillier moduli cost more where Paillier dominates: the 4096 B record (dozens of
    // chunk encryptions; ≈ 2.7× from 1024 to 2048 bits). The fee proof and range check are
    // dominated by the ring-Pedersen modulus N̂, which is ≥ 2048 bits at every key size since the
    // hardening, so their 1024- and 2048-bit medians differ by less than a loaded machine's noise.
    const recordAt = (b: number) => paillier.find((r) => r.operation === 'encryption + proof of 4096 B patient data' && r.bits === b)!.oursMs;
    expect(recordAt(2048)).toBeGreaterThan(recordAt(1024));

    // pow-propagation: block propagation delay grows with block size; the 90th percentile is above the median.
    const prop = rowsOf<{ nodes: number; blockKb: number; t50Ms: number; t90Ms: number; staleRate: number; staleLow: number; staleHigh: number; trials: number }>('pow-propagation');
    expect(prop.map((r) => `${r.nodes}/${r.blockKb}`)).toEqual(['100/50', '100/535', '100/1000', '300/50', '300/535', '300/1000']);
    for (const r of prop) {
      expect(r.t90Ms).toBeGreaterThan(r.t50Ms);
      expect(r.staleRate).toBeGreaterThanOrEqual(0);
      expect(r.staleRate).toBeLessThan(0.2);
      expect(r.staleLow).toBeLessThanOrEqual(r.staleRate);
      expect(r.staleHigh).toBeGreaterThanOrEqual(r.staleRate);
    }
    for (const nodes of [100, 300]) {
      const t90 = prop.filter((r) => r.nodes === nodes).map((r) => r.t90Ms);
      expect(t90[1]).toBeGreaterThan(t90[0]);
      expect(t90[2]).toBeGreaterThan(t90[1]);
    }

    // selfish-mining: Eq. 8 (closed form, labelled) beside ours, and the γ the network produced.
    const selfish = rowsOf<{ alpha: number; gamma: number; theory: number; effectiveGamma: number; theoryAtEffectiveGamma: number; simulated: number; ciLow: number; ciHigh: number; trials: number }>('selfish-mining');
    expect(selfish.map((r) => r.alpha)).toEqual([0.2, 0.33, 0.4]);
    for (const r of selfish) {
      expect(r.theory).toBeCloseTo(selfishRevenue(r.alpha, r.gamma), 12);
      expect(r.effectiveGamma).toBeGreaterThanOrEqual(0);
      expect(r.effectiveGamma).toBeLessThanOrEqual(r.gamma);
      expect(r.theoryAtEffectiveGamma).toBeCloseTo(selfishRevenue(r.alpha, r.effectiveGamma), 12);
      expect(r.simulated).toBeGreaterThanOrEqual(r.ciLow);
      expect(r.simulated).toBeLessThanOrEqual(r.ciHigh);
      expect(r.trials).toBe(2);
    }
    // Every chart axis names its unit (or what the value is a probability or share of).
    for (const o of out.filter((x) => x.status === 'ok')) {
      for (const f of readdirSync(o.dir!).filter((n) => n.endsWith('.vl.json'))) {
        const spec = JSON.parse(readFileSync(join(o.dir!, f), 'utf8'));
        type Axes = { encoding: { x: { title?: string }; y: { title?: string } } };
        const inner = (spec.spec ?? spec) as Axes & { layer?: Axes[] };
        // Line charts are layered (x on the first layer, y on the second); bar charts are one mark
        // whose only quantitative axis is x (y lists the categories, which have no unit).
        const titles = inner.layer ? [inner.layer[0].encoding.x.title, inner.layer[1].encoding.y.title] : [inner.encoding.x.title];
        for (const t of titles) {
          expect(t, `${o.id}/${f}`).toMatch(/\((?!log scale\))[^)]+\)|probability|share/);
        }
      }
    }
    const ds = out.find((o) => o.id === 'double-spend')!;
    expect(ds.status).toBe('ok');
    expect(ds.rows).toHaveLength(22);
    // "Ours" is the simulated value (with its interval), never the paper's closed form.
    for (const c of ds.comparisons!) {
      const row = (ds.rows as { q: number; z: number; simulated: number; nakamoto: number }[]).find((r) => c.label === `q=${r.q} z=${r.z}`)!;
      expect(c.oursValue).toBe(row.simulated);
      expect(String(c.ours)).toMatch(/race Monte-Carlo, 1,000,000 races/);
    }
    const dsSeries = readFileSync(join(ds.dir!, 'double-spend.chart.csv'), 'utf8');
    expect(dsSeries).toContain('closed form: Nakamoto');
    expect(dsSeries).toContain('ours: full PoW network');
    expect(Object.keys(ds.rows![0])).toEqual(['q', 'z', 'nakamoto', 'rosenfeld', 'exact', 'simulated', 'ciLow', 'ciHigh', 'trials']);
    for (const r of ds.rows as { exact: number; ciLow: number; ciHigh: number; trials: number; z: number }[]) {
      expect(r.trials).toBe(1_000_000);
      // 95 % intervals: a miss or two among 22 would be chance, but these seeds are fixed.
      if (r.z <= 5) expect(r.exact).toBeGreaterThanOrEqual(r.ciLow * 0.98);
      if (r.z <= 5) expect(r.exact).toBeLessThanOrEqual(r.ciHigh * 1.02);
    }
    const dp = out.find((o) => o.id === 'dpos-consistency')!;
    expect(dp.status).toBe('ok');
    expect(Object.keys(dp.rows![0])).toEqual(['candidates', 'byzantine', 'committee', 'analytic', 'simulated', 'ciLow', 'ciHigh', 'trials']);
    expect(dp.rows).toHaveLength(36); // 2 pools × 4 shares × 5 committees, minus k = 101 > 100 candidates
    // (a), (b), (c): own CSV files and charts beside the rows.
    expect(readFileSync(join(dp.dir!, 'dpos-consistency.csv'), 'utf8').split('\n')[0]).toBe('candidates,byzantine,committee,analytic,simulated,ciLow,ciHigh,trials');
    for (const f of ['dpos-consistency-chart.png', 'dpos-tiers.csv', 'dpos-cartel.csv', 'dpos-pbft-runs.csv', 'dpos-tiers-chart.png', 'dpos-cartel-chart.png', 'dpos-pbft-runs-chart.png']) expect(existsSync(join(dp.dir!, f)), f).toBe(true);
    expect(dp.charts).toHaveLength(4);
    const csv = (file: string) => {
      const [head, ...lines] = readFileSync(join(dp.dir!, file), 'utf8').trim().split('\n');
      const keys = head.split(',');
      return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])));
    };
    const runs = csv('dpos-pbft-runs.csv');
    expect(runs.length).toBe(6);
    for (const r of runs) {
      // PBFT's guarantee: no checker fires while the committee holds ≤ f Byzantine delegates.
      expect(Number(r.violationsWithConsistentCommittee), JSON.stringify(r)).toBe(0);
      expect(Number(r.runs)).toBe(Number(r.consistentRuns) + Number(r.inconsistentRuns));
    }
    const cartel = csv('dpos-cartel.csv');
    expect(Number(cartel[0].pAboveF)).toBe(0); // no cartel power, no seats
    expect(Number(cartel[cartel.length - 1].pAboveF)).toBe(1); // half of all voting power
    expect(Number(cartel[0].criticalShareMedian)).toBeGreaterThan(0.2);
    expect(Number(cartel[0].criticalShareMedian)).toBeLessThan(0.5);
    const tiers = csv('dpos-tiers.csv');
    expect(tiers.filter((r) => r.placement === 'spread')).toHaveLength(16);
    expect(tiers.filter((r) => r.placement === 'tertiary')).toHaveLength(16);

    const pt = out.find((o) => o.id === 'pbft-throughput')!;
    expect(pt.status).toBe('ok');
    expect(Object.keys(pt.rows![0])).toEqual(PBFT_COLUMNS);
    expect(JSON.stringify(pt.rows)).not.toMatch(/NaN|Infinity/);
    const committee = (pt.rows as Record<string, number | string | null>[]).filter((r) => r.sweep === 'committee').sort((a, b) => (a.committee as number) - (b.committee as number));
    expect(committee.map((r) => r.committee)).toEqual([4, 7, 16, 31, 64, 100]);
    for (let i = 1; i < committee.length; i++) expect(committee[i].opsPerSec as number).toBeLessThan(committee[i - 1].opsPerSec as number);
    for (const r of committee) {
      const k = r.committee as number;
      // Prepare + commit per block ≈ (k − 1)(2k − 1) ≈ 2k² (a replica that falls behind and fetches state skips some votes).
      expect(r.prepareCommitPerBlock as number).toBeGreaterThan(0.9 * (k - 1) * (2 * k - 1));
      expect(r.prepareCommitPerBlock as number).toBeLessThan(1.05 * (k - 1) * (2 * k - 1)); // window edges blur by a few %
      expect(r.unloadedLatencyMs as number).toBeGreaterThan(0);
    }
    expect((pt.rows as { sweep: string }[]).filter((r) => r.sweep === 'batch').map((r) => (r as unknown as { batch: number }).batch)).toEqual([1, 10, 50, 100, 200]);
    for (const f of ['pbft-committee-chart.png', 'pbft-batch-chart.png', 'pbft-messages-chart.png']) expect(existsSync(join(pt.dir!, f)), f).toBe(true);
    // The rows CSV is the rows (a chart's data file must not overwrite it).
    expect(readFileSync(join(pt.dir!, 'pbft-throughput.csv'), 'utf8').split('\n')[0]).toBe(PBFT_COLUMNS.join(','));

    const sb = out.find((o) => o.id === 'simblock-propagation')!;
    expect(sb.status).toBe('ok');
    expect(Object.keys(sb.rows![0]).slice(0, 9)).toEqual(['nodes', 'relay', 't50MeanMs', 't50MedianMs', 't90MeanMs', 't90MedianMs', 'ciLow', 'ciHigh', 'seeds']);
    const sbRows = sb.rows as { nodes: number; relay: string; t50MeanMs: number; t90MeanMs: number; ciLow: number; ciHigh: number; simblockT50MeanMs: number | null; withinTarget: boolean | null }[];
    expect(sbRows.map((r) => `${r.nodes}/${r.relay}`)).toEqual(['1000/full', '1000/compact']);
    for (const r of sbRows) {
      expect(r.ciLow).toBeLessThan(r.t50MeanMs);
      expect(r.ciHigh).toBeGreaterThan(r.t50MeanMs);
      expect(r.t90MeanMs).toBeGreaterThan(r.t50MeanMs);
      // Both relays have SimBlock's own numbers beside them (measured, labelled as SimBlock's).
      expect(r.simblockT50MeanMs).toBeGreaterThan(0);
      expect(typeof r.withinTarget).toBe('boolean');
    }
    // Compact relay is what SimBlock ships; with its assumptions we land within ±30 % even on 10 blocks.
    expect(sbRows[1].withinTarget).toBe(true);
    expect(sbRows[1].t50MeanMs).toBeLessThan(sbRows[0].t50MeanMs / 2);
    for (const f of ['simblock-propagation.csv', 'simblock-propagation.vl.json', 'simblock-propagation.svg', 'simblock-propagation.png']) expect(existsSync(join(sb.dir!, f)), f).toBe(true);
    expect(readFileSync(join(sb.dir!, 'simblock-propagation.chart.csv'), 'utf8')).toContain('SimBlock (measured): compact relay');

    // The report: one self-contained page.
    const index = await writeReport(tmp);
    const html = readFileSync(index, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('confirmations z (blocks)');
    expect(html).toContain('Published values next to ours');
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/);
  }, 300_000);
});
