import { describe, expect, it } from 'vitest';
import { runPayments, totalBalance, type ChannelUpdateSink } from '../../analysis/channel-payments.ts';
import { channelRoutingPoint } from '../../analysis/reproduce/channel-routing.ts';
import { barabasiAlbertGraph, type ChannelEdge, type ChannelGraph } from '../../protocols/channels/graph.ts';
import { generateTrace } from '../../protocols/channels/traces.ts';

const POL = { baseFeeMsat: 10n, feeRatePpm: 0, cltvDelta: 10, htlcMinimumMsat: 0n };
const ch = (id: string, a: string, b: string, balA: bigint, balB: bigint): ChannelEdge => ({ id, a, b, capacityMsat: balA + balB, balanceA: balA, balanceB: balB, policyAtoB: { ...POL }, policyBtoA: { ...POL } });

/** S–A–R (A cheap but its A→R side nearly empty) and S–B–R. */
function net(): ChannelGraph {
  const ab = ch('ar', 'A', 'R', 50n, 10_000n);
  ab.policyAtoB.baseFeeMsat = 1n;
  return { nodes: ['S', 'A', 'B', 'R'], channels: [ch('sa', 'S', 'A', 10_000n, 0n), ch('sb', 'S', 'B', 10_000n, 0n), ab, ch('br', 'B', 'R', 10_000n, 0n)] };
}

describe('payment flow (CLoTH-style)', () => {
  it('settles every hop: balances move by the hop amounts, forwarders keep their fees', () => {
    const g = net();
    const [o] = runPayments(g, [{ atUs: 0, sender: 'S', receiver: 'R', amountMsat: 40n }]);
    expect(o).toEqual({ atUs: 0, amountMsat: 40n, success: true, attempts: 1, hops: 2, feeMsat: 1n });
    const by = (id: string) => g.channels.find((c) => c.id === id)!;
    expect([by('sa').balanceA, by('sa').balanceB]).toEqual([10_000n - 41n, 41n]);
    expect([by('ar').balanceA, by('ar').balanceB]).toEqual([10n, 10_040n]);
  });

  it('fails back and retries around a channel without the balance', () => {
    const g = net();
    const events: string[] = [];
    const sink: ChannelUpdateSink = {
      add: (c, from, amt) => events.push(`add ${c.id} ${from} ${amt}`),
      settle: (c, from, amt) => events.push(`settle ${c.id} ${from} ${amt}`),
      fail: (c, from, amt) => events.push(`fail ${c.id} ${from} ${amt}`),
    };
    const before = totalBalance(g);
    const [o] = runPayments(g, [{ atUs: 0, sender: 'S', receiver: 'R', amountMsat: 100n }], { sink });
    expect(o).toEqual({ atUs: 0, amountMsat: 100n, success: true, attempts: 2, hops: 2, feeMsat: 10n });
    expect(events).toEqual(['add sa S 101', 'fail sa S 101', 'add sb S 110', 'add br B 100', 'settle sb S 110', 'settle br B 100']);
    expect(totalBalance(g)).toBe(before);
    expect(g.channels[0].balanceA).toBe(10_000n); // the failed attempt left nothing locked
  });

  it('reports why a payment failed', () => {
    expect(runPayments(net(), [{ atUs: 0, sender: 'S', receiver: 'R', amountMsat: 20_000n }])[0]).toMatchObject({ success: false, failure: 'no-path', attempts: 0 });
    const g = net();
    g.channels[3].balanceA = 0n; // B→R empty too
    g.channels[3].balanceB = 10_000n;
    expect(runPayments(g, [{ atUs: 0, sender: 'S', receiver: 'R', amountMsat: 100n }])[0]).toMatchObject({ success: false, failure: 'insufficient-balance', attempts: 2 });
    const h = net();
    expect(runPayments(h, [{ atUs: 0, sender: 'S', receiver: 'R', amountMsat: 100n }], { maxAttempts: 1 })[0]).toMatchObject({ success: false, failure: 'insufficient-balance', attempts: 1 });
    // Offline intermediaries: with every node offline but S and R, both routes fail at their middle node.
    const off = runPayments(net(), [{ atUs: 0, sender: 'S', receiver: 'R', amountMsat: 10n }], { offlineFraction: 1 });
    expect(off[0]).toMatchObject({ success: false, failure: 'offline-node', attempts: 2 });
  });

  it('conserves value on a generated network and is deterministic', () => {
    const make = () => barabasiAlbertGraph({ nodes: 200, edgesPerNode: 2, seed: 2, channels: { capacity: { kind: 'fixed', msat: 50_000_000n }, balance: 'even', feeRatePpmRange: [1, 1000] } });
    const g = make();
    const trace = generateTrace({ nodes: g.nodes, count: 1500, ratePerSec: 10, amount: { kind: 'exponential', meanMsat: 10_000_000 }, seed: 2 });
    const before = totalBalance(g);
    const o1 = runPayments(g, trace, { offlineFraction: 0.05, seed: 2 });
    expect(totalBalance(g)).toBe(before);
    expect(g.channels.every((c) => c.balanceA >= 0n && c.balanceB >= 0n && c.balanceA + c.balanceB === c.capacityMsat)).toBe(true);
    expect(runPayments(make(), trace, { offlineFraction: 0.05, seed: 2 })).toEqual(o1);
    const reasons = new Set(o1.map((o) => o.failure ?? 'ok'));
    expect(reasons).toEqual(new Set(['ok', 'insufficient-balance', 'offline-node', 'no-path']));
  });

  it('channel-routing point: small payments mostly succeed, payments above the capacity never do', () => {
    const small = channelRoutingPoint({ nodes: 100, capacitySat: 100_000, amountSat: 100, payments: 400, seed: 1, batches: 5 });
    const huge = channelRoutingPoint({ nodes: 100, capacitySat: 100_000, amountSat: 200_000, payments: 400, seed: 1, batches: 5 });
    expect(small.successRate).toBeGreaterThan(0.9);
    expect(huge.successRate).toBe(0);
    expect(huge.noPath).toBe(1);
    expect(small.successLow).toBeLessThanOrEqual(small.successRate);
    expect(small.noPath + small.insufficientBalance + small.offlineNode).toBeCloseTo(1 - small.successRate, 3);
  });
});
