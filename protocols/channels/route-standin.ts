/**
 * A minimal stand-in for the shared routing module (issue 13's graph.ts / routing.ts, built on a
 * parallel branch): the same types and the same `findRoute` contract, so node.ts switches to the
 * real module by changing one import. Dijkstra from the receiver backwards on the fee each hop
 * charges (Lightning's base + proportional policy), amounts and expiries accumulated hop by hop
 * as LND and CLoTH do; a channel is usable when its capacity (or, for the sender's own channels,
 * its known balance) covers the amount it must carry. Ties break on node id, so routes are
 * deterministic.
 */
export interface ChannelPolicy {
  baseFeeMsat: bigint;
  feeRatePpm: number;
  /** Blocks the forwarding node adds to the expiry. */
  cltvDelta: number;
  htlcMinimumMsat: bigint;
}
export interface ChannelEdge {
  id: string;
  a: string;
  b: string;
  capacityMsat: bigint;
  balanceA: bigint;
  balanceB: bigint;
  policyAtoB: ChannelPolicy;
  policyBtoA: ChannelPolicy;
}
export interface ChannelGraph {
  nodes: string[];
  channels: ChannelEdge[];
}
export interface Hop {
  channelId: string;
  from: string;
  to: string;
  amountMsat: bigint;
  expiryHeight: number;
  feeMsat: bigint;
}
export interface RouteOptions {
  currentHeight: number;
  finalCltvDelta: number;
  maxHops?: number;
  exclude?: ReadonlySet<string>;
  knownBalances?: boolean;
}

/** Fee a node charges to forward `amount` over a channel with `policy` (BOLT 7 channel_update). */
export function forwardingFee(policy: ChannelPolicy, amount: bigint): bigint {
  return policy.baseFeeMsat + (amount * BigInt(policy.feeRatePpm)) / 1_000_000n;
}

export function findRoute(graph: ChannelGraph, from: string, to: string, amountMsat: bigint, opts: RouteOptions): Hop[] | null {
  if (from === to) return null;
  const maxHops = opts.maxHops ?? 20;
  // adjacency: for each node, the channels by which it can be reached (edge u→v lists under v)
  const into = new Map<string, { edge: ChannelEdge; from: string; policy: ChannelPolicy; liquidity: bigint }[]>();
  for (const e of graph.channels) {
    if (opts.exclude?.has(e.id)) continue;
    for (const [u, v, policy, bal] of [[e.a, e.b, e.policyAtoB, e.balanceA], [e.b, e.a, e.policyBtoA, e.balanceB]] as const) {
      const liquidity = opts.knownBalances || u === from ? bal : e.capacityMsat;
      let l = into.get(v);
      if (!l) into.set(v, (l = []));
      l.push({ edge: e, from: u, policy, liquidity });
    }
  }
  // label per node: amount it must receive downstream of it, total fee, expiry, hops, next hop
  type Label = { amount: bigint; fee: bigint; expiry: number; hops: number; via: ChannelEdge | null; next: string | null };
  const best = new Map<string, Label>([[to, { amount: amountMsat, fee: 0n, expiry: opts.currentHeight + opts.finalCltvDelta, hops: 0, via: null, next: null }]]);
  const done = new Set<string>();
  for (;;) {
    let cur: string | undefined;
    for (const [n, l] of best) {
      if (done.has(n)) continue;
      const c = cur === undefined ? undefined : best.get(cur)!;
      if (!c || l.fee < c.fee || (l.fee === c.fee && (l.hops < c.hops || (l.hops === c.hops && n < cur!)))) cur = n;
    }
    if (cur === undefined || cur === from) break;
    done.add(cur);
    const lc = best.get(cur)!;
    if (lc.hops >= maxHops) continue;
    for (const { edge, from: u, policy, liquidity } of into.get(cur) ?? []) {
      if (done.has(u)) continue;
      // u forwards lc.amount over edge to cur; u itself charges a fee unless u is the sender
      const fee = u === from ? 0n : forwardingFee(policy, lc.amount);
      const delta = u === from ? 0 : policy.cltvDelta;
      if (liquidity < lc.amount || lc.amount < policy.htlcMinimumMsat) continue;
      const cand: Label = { amount: lc.amount + fee, fee: lc.fee + fee, expiry: lc.expiry + delta, hops: lc.hops + 1, via: edge, next: cur };
      const old = best.get(u);
      if (!old || cand.fee < old.fee || (cand.fee === old.fee && cand.hops < old.hops)) best.set(u, cand);
    }
  }
  if (!best.has(from) || from === to) return null;
  const hops: Hop[] = [];
  let n = from;
  while (n !== to) {
    const l = best.get(n)!;
    const next = best.get(l.next!)!;
    hops.push({ channelId: l.via!.id, from: n, to: l.next!, amountMsat: next.amount, expiryHeight: next.expiry, feeMsat: 0n });
    n = l.next!;
  }
  // the fee of hop i is what its receiving node keeps for forwarding over hop i + 1
  for (let i = 0; i + 1 < hops.length; i++) hops[i].feeMsat = hops[i].amountMsat - hops[i + 1].amountMsat;
  return hops;
}
