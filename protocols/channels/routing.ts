/**
 * Source routing on fees and lock times (seed 002 §3.4 multi-hop payments), as LND's `findPath`
 * and CLoTH's `dijkstra` do it: Dijkstra from the receiver back towards the sender, so the amount
 * each node must receive and the expiry of its incoming HTLC accumulate hop by hop from the final
 * amount and final expiry (a forward search could not know the fees still to come).
 *
 * Fees and lock times follow BOLT 7 ("Recommendations for Routing") and BOLT 4 (`amt_to_forward`,
 * `outgoing_cltv_value`): a node X forwarding over channel X→Y charges, by X's policy on that
 * direction, fee = fee_base_msat + ⌊amount · fee_proportional_millionths / 10⁶⌋ on the amount it
 * forwards, and wants its incoming HTLC to expire `cltv_expiry_delta` blocks after the outgoing
 * one. The sender charges itself nothing. The final hop expires at currentHeight + finalCltvDelta.
 *
 * Edge weight (LND ≤ 0.9 / CLoTH `get_edge_weight`): fee + amountIn · cltvDelta · riskFactor / 10⁹
 * with riskFactor = 15 billionths per block — the fee plus the cost of the locked-up amount. The
 * sender's own channel carries neither.
 *
 * Which channels can carry the HTLC: the direction is enabled, amount ≥ htlc_minimum_msat and
 * ≤ htlc_maximum_msat; the sender always knows its own balances exactly (LND's bandwidth hints),
 * other channels are judged by capacity — or by their real balance when `knownBalances` is set
 * (an oracle, for upper bounds on what routing could achieve).
 *
 * Ties are broken deterministically: among routes of equal weight the one with fewer hops, then the
 * lower expiry at the sender, then the one found first when incoming channels are scanned in
 * `graph.channels` order.
 *
 * The search works on float64 copies of the amounts (exact for integers below 2^53 msat ≈ 90,000
 * BTC; a route needing more is infeasible); the returned hops are recomputed in bigint.
 */
import { TimeHeap } from '../../sim/heap.ts';
import { validateGraph, type ChannelEdge, type ChannelGraph, type ChannelPolicy } from './graph.ts';

/** One hop of a route: the HTLC offered by `from` to `to` over `channelId`. */
export interface Hop {
  channelId: string;
  from: string;
  to: string;
  /** Amount of the HTLC on this channel, msat (BOLT 4 `amt_to_forward` of the previous hop's payload). */
  amountMsat: bigint;
  /** Absolute block height at which this HTLC expires (`outgoing_cltv_value`). */
  expiryHeight: number;
  /**
   * Fee `from` charges for forwarding this HTLC, msat: by `from`'s policy on this direction, on
   * this hop's amount; 0 on the first hop (the sender). The previous hop's amount is this hop's
   * amount plus this fee.
   */
  feeMsat: bigint;
}

/** Options of `findRoute`. */
export interface RouteOptions {
  /** Current block height; the final HTLC expires at currentHeight + finalCltvDelta. */
  currentHeight: number;
  /** Blocks the receiver requires before the final HTLC expires (BOLT 11 `min_final_cltv_expiry`). */
  finalCltvDelta: number;
  /** Most channels a route may have (default 20, LND's and CLoTH's limit). */
  maxHops?: number;
  /** Channel ids the route must avoid (e.g. channels that failed an earlier attempt). */
  exclude?: ReadonlySet<string>;
  /** Node ids the route must not pass through (sender and receiver are never excluded). */
  excludeNodes?: ReadonlySet<string>;
  /** Judge every channel by its real balance instead of its capacity (the sender's own channels always are). */
  knownBalances?: boolean;
  /**
   * What the sender can send over one of its own channels right now, msat (e.g. its balance minus
   * HTLCs in flight and reserves); undefined = the graph's balance. Lets a node pass one shared,
   * cached graph instead of a copy with its own balances patched in.
   */
  senderBalance?: (channelId: string) => bigint | undefined;
  /** Largest total lock time, blocks: the sender's HTLC may expire at most this far above currentHeight (default 2016, lnd's `--max-cltv-expiry`). */
  cltvLimit?: number;
  /** Lock-up penalty, billionths per block per msat (default 15, LND's `RiskFactorBillionths`). */
  riskFactorBillionths?: number;
}

/** LND's and CLoTH's hop limit. */
export const DEFAULT_MAX_HOPS = 20;
/** lnd's default `--max-cltv-expiry`, blocks. */
export const DEFAULT_CLTV_LIMIT = 2016;
/** LND's `RiskFactorBillionths`. */
export const DEFAULT_RISK_FACTOR_BILLIONTHS = 15;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** ⌊amount · ppm / 10⁶⌋ exactly, for integer amount and ppm (float64 while the product is exact). */
function proportionalFee(amount: number, ppm: number): number {
  const x = amount * ppm;
  if (x <= MAX_SAFE) return (x - (x % 1_000_000)) / 1_000_000;
  return Number((BigInt(amount) * BigInt(ppm)) / 1_000_000n);
}

/** BOLT 7 forwarding fee, msat: base + ⌊amount · ppm / 10⁶⌋. */
export function forwardingFee(policy: ChannelPolicy, amountMsat: bigint): bigint {
  return policy.baseFeeMsat + (amountMsat * BigInt(policy.feeRatePpm)) / 1_000_000n;
}

/**
 * The search structure of a graph, built once per graph object: node indices, for each node the
 * directed channels arriving at it (the backward search walks them), and per direction its policy
 * as float64s. Balances and the `disabled` flags are read live from the ChannelEdge objects, so
 * channel updates and nodes going offline need no rebuild; adding/removing channels or nodes (a
 * different array or length) triggers one; after changing fees, lock deltas or HTLC limits in
 * place call `invalidateRoutingCache`.
 */
interface SearchGraph {
  nodesRef: string[];
  nodeCount: number;
  channelsRef: ChannelEdge[];
  channelCount: number;
  index: Map<string, number>;
  channelIndex: Map<string, number>;
  /** Directed edge d = 2·channel + (0: a→b, 1: b→a); incoming edges of node v: inEdges[inStart[v] … inStart[v+1]). */
  inStart: Int32Array;
  inEdges: Int32Array;
  from: Int32Array;
  baseFee: Float64Array;
  ppm: Float64Array;
  cltv: Float64Array;
  htlcMin: Float64Array;
  /** +∞ when unset. */
  htlcMax: Float64Array;
  capacity: Float64Array;
  // Per-search labels, valid where `labelled[v] === stamp`.
  stamp: number;
  labelled: Uint32Array;
  settled: Uint32Array;
  weight: Float64Array;
  amount: Float64Array;
  expiry: Float64Array;
  hops: Int32Array;
  next: Int32Array;
  heap: TimeHeap;
}

const cache = new WeakMap<ChannelGraph, SearchGraph>();

/** Forgets the search structure of `graph` (call after changing a channel policy in place). */
export function invalidateRoutingCache(graph: ChannelGraph): void {
  cache.delete(graph);
}

function searchGraph(graph: ChannelGraph): SearchGraph {
  const hit = cache.get(graph);
  if (hit && hit.nodesRef === graph.nodes && hit.nodeCount === graph.nodes.length && hit.channelsRef === graph.channels && hit.channelCount === graph.channels.length) return hit;
  // A running network's balances need not sum to the capacity (HTLCs in flight; a node's own view).
  validateGraph(graph, '<graph>', { balancesSumToCapacity: false });
  const n = graph.nodes.length;
  const m = graph.channels.length;
  const index = new Map<string, number>();
  graph.nodes.forEach((id, i) => index.set(id, i));
  const channelIndex = new Map<string, number>();
  const d2 = 2 * m;
  const from = new Int32Array(d2);
  const to = new Int32Array(d2);
  const baseFee = new Float64Array(d2);
  const ppm = new Float64Array(d2);
  const cltv = new Float64Array(d2);
  const htlcMin = new Float64Array(d2);
  const htlcMax = new Float64Array(d2);
  const capacity = new Float64Array(d2);
  const counts = new Int32Array(n + 1);
  graph.channels.forEach((c, ci) => {
    channelIndex.set(c.id, ci);
    const a = index.get(c.a)!;
    const b = index.get(c.b)!;
    const dirs: [number, number, ChannelPolicy][] = [[a, b, c.policyAtoB], [b, a, c.policyBtoA]];
    dirs.forEach(([u, v, p], k) => {
      const d = 2 * ci + k;
      from[d] = u;
      to[d] = v;
      baseFee[d] = p.baseFeeMsat > BigInt(MAX_SAFE) ? Number.POSITIVE_INFINITY : Number(p.baseFeeMsat);
      ppm[d] = p.feeRatePpm;
      cltv[d] = p.cltvDelta;
      htlcMin[d] = Number(p.htlcMinimumMsat);
      htlcMax[d] = p.htlcMaximumMsat === undefined ? Number.POSITIVE_INFINITY : Number(p.htlcMaximumMsat);
      capacity[d] = Number(c.capacityMsat);
      counts[v + 1]++;
    });
  });
  const inStart = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) inStart[v + 1] = inStart[v] + counts[v + 1];
  const fill = inStart.slice(0, n);
  const inEdges = new Int32Array(d2);
  for (let d = 0; d < d2; d++) inEdges[fill[to[d]]++] = d;
  const sg: SearchGraph = {
    nodesRef: graph.nodes, nodeCount: n, channelsRef: graph.channels, channelCount: m, index, channelIndex,
    inStart, inEdges, from, baseFee, ppm, cltv, htlcMin, htlcMax, capacity,
    stamp: 0, labelled: new Uint32Array(n), settled: new Uint32Array(n),
    weight: new Float64Array(n), amount: new Float64Array(n), expiry: new Float64Array(n), hops: new Int32Array(n), next: new Int32Array(n),
    heap: new TimeHeap(),
  };
  cache.set(graph, sg);
  return sg;
}

/** What `from` of directed edge d can send over it right now, msat. */
function liveBalance(graph: ChannelGraph, d: number): number {
  const c = graph.channels[d >> 1];
  return Number((d & 1) === 0 ? c.balanceA : c.balanceB);
}

/**
 * The cheapest route (by the weight above) carrying `amountMsat` from `from` to `to`, or null when
 * none satisfies the constraints. Throws RangeError for unknown nodes, from = to, or an amount
 * that is not a positive integer below 2^53 msat.
 */
export function findRoute(graph: ChannelGraph, from: string, to: string, amountMsat: bigint, opts: RouteOptions): Hop[] | null {
  const g = searchGraph(graph);
  const s = g.index.get(from);
  const t = g.index.get(to);
  if (s === undefined) throw new RangeError(`findRoute: unknown sender "${from}"`);
  if (t === undefined) throw new RangeError(`findRoute: unknown receiver "${to}"`);
  if (s === t) throw new RangeError(`findRoute: sender and receiver are both "${from}"`);
  if (amountMsat <= 0n || amountMsat > BigInt(MAX_SAFE)) throw new RangeError(`findRoute: amount must be in [1, 2^53) msat, got ${amountMsat}`);
  if (!Number.isInteger(opts.currentHeight) || opts.currentHeight < 0) throw new RangeError(`findRoute: currentHeight must be an integer ≥ 0, got ${opts.currentHeight}`);
  if (!Number.isInteger(opts.finalCltvDelta) || opts.finalCltvDelta < 0) throw new RangeError(`findRoute: finalCltvDelta must be an integer ≥ 0, got ${opts.finalCltvDelta}`);
  const maxHops = opts.maxHops ?? DEFAULT_MAX_HOPS;
  if (!Number.isInteger(maxHops) || maxHops < 1) throw new RangeError(`findRoute: maxHops must be an integer ≥ 1, got ${maxHops}`);

  const search = new Search(graph, g, s, t, Number(amountMsat), opts, maxHops);
  let path = search.dijkstra();
  // The hop limit prunes labels, so Dijkstra can miss a cheap-enough short route hidden behind a
  // cheaper long one; only then search again, exactly, layer by layer.
  if (path === null && search.prunedByHops) path = search.byHopCount();
  if (path === null) return null;
  return hopsAlong(graph, path, amountMsat, opts);
}

/** One route search: constraints and the scratch arrays of its graph. */
class Search {
  prunedByHops = false;
  private readonly riskScale: number;
  private readonly finalExpiry: number;
  private readonly expiryLimit: number;
  private readonly excludedChannels: Uint8Array | undefined;
  private readonly excludedNodes: Uint8Array | undefined;

  constructor(
    private readonly graph: ChannelGraph,
    private readonly g: SearchGraph,
    private readonly s: number,
    private readonly t: number,
    private readonly amount: number,
    private readonly opts: RouteOptions,
    private readonly maxHops: number,
  ) {
    this.riskScale = (opts.riskFactorBillionths ?? DEFAULT_RISK_FACTOR_BILLIONTHS) / 1e9;
    this.finalExpiry = opts.currentHeight + opts.finalCltvDelta;
    this.expiryLimit = opts.currentHeight + (opts.cltvLimit ?? DEFAULT_CLTV_LIMIT);
    if (opts.exclude && opts.exclude.size > 0) {
      this.excludedChannels = new Uint8Array(g.channelCount);
      for (const id of opts.exclude) {
        const ci = g.channelIndex.get(id);
        if (ci !== undefined) this.excludedChannels[ci] = 1;
      }
    }
    if (opts.excludeNodes && opts.excludeNodes.size > 0) {
      this.excludedNodes = new Uint8Array(g.nodeCount);
      for (const id of opts.excludeNodes) {
        const v = g.index.get(id);
        if (v !== undefined) this.excludedNodes[v] = 1;
      }
    }
  }

  /**
   * Whether directed edge d (u → v) can carry `amt` msat, ignoring the hop and lock limits. The
   * sender's own channels (and all channels with knownBalances) are judged by live balance.
   */
  private usable(d: number, u: number, amt: number): boolean {
    const g = this.g;
    if (amt < g.htlcMin[d] || amt > g.htlcMax[d]) return false;
    // Read live: enabling/disabling a direction (a node going offline) needs no rebuild.
    const c = this.graph.channels[d >> 1];
    if (((d & 1) === 0 ? c.policyAtoB : c.policyBtoA).disabled) return false;
    if (this.excludedChannels?.[d >> 1]) return false;
    if (u !== this.s && this.excludedNodes?.[u]) return false;
    if (u === this.s && this.opts.senderBalance) {
      const own = this.opts.senderBalance(this.graph.channels[d >> 1].id);
      if (own !== undefined) return Number(own) >= amt;
    }
    if (u === this.s || this.opts.knownBalances) return liveBalance(this.graph, d) >= amt;
    return g.capacity[d] >= amt;
  }

  /** Label-setting search from the receiver; returns the directed edges from sender to receiver. */
  dijkstra(): number[] | null {
    const g = this.g;
    const { s, t } = this;
    const stamp = (g.stamp = (g.stamp + 1) >>> 0 || 1);
    if (stamp === 1) {
      g.labelled.fill(0);
      g.settled.fill(0);
    }
    const n = g.nodeCount;
    const heap = g.heap;
    while (heap.size > 0) heap.pop();
    g.labelled[t] = stamp;
    g.weight[t] = 0;
    g.amount[t] = this.amount;
    g.expiry[t] = this.finalExpiry;
    g.hops[t] = 0;
    g.next[t] = -1;
    heap.push(0, t, t);
    while (heap.size > 0) {
      const v = heap.pop();
      if (g.settled[v] === stamp) continue;
      g.settled[v] = stamp;
      if (v === s) break;
      const amtV = g.amount[v];
      const hopsU = g.hops[v] + 1;
      if (hopsU > this.maxHops) {
        this.prunedByHops = true;
        continue;
      }
      for (let k = g.inStart[v], end = g.inStart[v + 1]; k < end; k++) {
        const d = g.inEdges[k];
        const u = g.from[d];
        if (g.settled[u] === stamp || u === t) continue;
        if (!this.usable(d, u, amtV)) continue;
        let amtU = amtV;
        let expiryU = g.expiry[v];
        let weightU = g.weight[v];
        if (u !== s) {
          const fee = g.baseFee[d] + proportionalFee(amtV, g.ppm[d]);
          amtU = amtV + fee;
          if (!(amtU <= MAX_SAFE)) continue;
          expiryU += g.cltv[d];
          weightU += fee + amtU * g.cltv[d] * this.riskScale;
        }
        if (expiryU > this.expiryLimit) continue;
        if (g.labelled[u] === stamp) {
          const w = g.weight[u];
          if (weightU > w) continue;
          if (weightU === w) {
            if (hopsU > g.hops[u]) continue;
            if (hopsU === g.hops[u] && expiryU >= g.expiry[u]) continue;
          }
        }
        g.labelled[u] = stamp;
        g.weight[u] = weightU;
        g.amount[u] = amtU;
        g.expiry[u] = expiryU;
        g.hops[u] = hopsU;
        g.next[u] = d;
        heap.push(weightU, hopsU * n + u, u);
      }
    }
    if (g.labelled[s] !== stamp) return null;
    const path: number[] = [];
    for (let u = s; u !== t; ) {
      const d = g.next[u];
      path.push(d);
      u = otherEnd(g, d);
    }
    return path;
  }

  /**
   * Exact hop-limited search (Bellman–Ford by number of hops): the best label of every node
   * reachable within h hops, for h = 1 … maxHops; the cheapest at the sender over all h wins
   * (ties: fewer hops). A layered walk that visits a node twice is discarded (removing the cycle
   * only lowers amounts and fees).
   */
  byHopCount(): number[] | null {
    const g = this.g;
    const { s, t } = this;
    const n = g.nodeCount;
    const H = this.maxHops;
    const weight = new Float64Array((H + 1) * n).fill(Number.POSITIVE_INFINITY);
    const amount = new Float64Array((H + 1) * n);
    const expiry = new Float64Array((H + 1) * n);
    const next = new Int32Array((H + 1) * n).fill(-1);
    weight[t] = 0;
    amount[t] = this.amount;
    expiry[t] = this.finalExpiry;
    let best = -1;
    for (let h = 1; h <= H; h++) {
      const prev = (h - 1) * n;
      const cur = h * n;
      for (let v = 0; v < n; v++) {
        const wv = weight[prev + v];
        if (wv === Number.POSITIVE_INFINITY || v === s) continue;
        const amtV = amount[prev + v];
        for (let k = g.inStart[v], end = g.inStart[v + 1]; k < end; k++) {
          const d = g.inEdges[k];
          const u = g.from[d];
          if (u === t || !this.usable(d, u, amtV)) continue;
          let amtU = amtV;
          let expiryU = expiry[prev + v];
          let weightU = wv;
          if (u !== s) {
            const fee = g.baseFee[d] + proportionalFee(amtV, g.ppm[d]);
            amtU = amtV + fee;
            if (!(amtU <= MAX_SAFE)) continue;
            expiryU += g.cltv[d];
            weightU += fee + amtU * g.cltv[d] * this.riskScale;
          }
          if (expiryU > this.expiryLimit) continue;
          const w = weight[cur + u];
          if (weightU > w || (weightU === w && expiryU >= expiry[cur + u])) continue;
          weight[cur + u] = weightU;
          amount[cur + u] = amtU;
          expiry[cur + u] = expiryU;
          next[cur + u] = d;
        }
      }
      if (weight[cur + s] < Number.POSITIVE_INFINITY && (best < 0 || weight[cur + s] < weight[best * n + s])) {
        // Only a simple path counts.
        const path: number[] = [];
        const seen = new Set<number>([s]);
        let ok = true;
        for (let u = s, layer = h; u !== t; layer--) {
          const d = next[layer * n + u];
          path.push(d);
          u = otherEnd(g, d);
          if (seen.has(u)) {
            ok = false;
            break;
          }
          seen.add(u);
        }
        if (ok) {
          best = h;
          this.bestPath = path;
        }
      }
    }
    return best < 0 ? null : this.bestPath;
  }

  private bestPath: number[] | null = null;
}

function otherEnd(g: SearchGraph, d: number): number {
  return g.from[d ^ 1];
}

/** Exact bigint hops along directed edges `path` (sender first). */
function hopsAlong(graph: ChannelGraph, path: readonly number[], amountMsat: bigint, opts: { currentHeight: number; finalCltvDelta: number }): Hop[] {
  return buildHops(path.map((d) => ({ c: graph.channels[d >> 1], forward: (d & 1) === 0 })), amountMsat, opts);
}

/** Hops backwards from the receiver: each forwarder's fee on its outgoing amount, expiry growing by its delta. */
function buildHops(dirs: readonly { c: ChannelEdge; forward: boolean }[], amountMsat: bigint, opts: { currentHeight: number; finalCltvDelta: number }): Hop[] {
  const hops: Hop[] = new Array(dirs.length);
  let amount = amountMsat;
  let expiry = opts.currentHeight + opts.finalCltvDelta;
  for (let i = dirs.length - 1; i >= 0; i--) {
    const { c, forward } = dirs[i];
    const policy = forward ? c.policyAtoB : c.policyBtoA;
    const fee = i === 0 ? 0n : forwardingFee(policy, amount);
    hops[i] = { channelId: c.id, from: forward ? c.a : c.b, to: forward ? c.b : c.a, amountMsat: amount, expiryHeight: expiry, feeMsat: fee };
    amount += fee;
    if (i > 0) expiry += policy.cltvDelta;
  }
  return hops;
}

/**
 * The hops of a route along given channels (sender first; each step names the channel and the
 * node sending over it), with BOLT 7 fees and expiries — for building a route by hand or
 * checking one. Throws RangeError when a step does not continue where the previous one ended.
 */
export function routeAlong(graph: ChannelGraph, steps: readonly { channelId: string; from: string }[], amountMsat: bigint, opts: { currentHeight: number; finalCltvDelta: number }): Hop[] {
  const byId = new Map(graph.channels.map((c) => [c.id, c]));
  let at: string | undefined;
  const dirs = steps.map((st, i) => {
    const c = byId.get(st.channelId);
    if (!c) throw new RangeError(`routeAlong: step ${i}: unknown channel "${st.channelId}"`);
    if (st.from !== c.a && st.from !== c.b) throw new RangeError(`routeAlong: step ${i}: "${st.from}" is not an end of channel ${c.id}`);
    if (at !== undefined && st.from !== at) throw new RangeError(`routeAlong: step ${i} starts at "${st.from}", the previous step ended at "${at}"`);
    at = st.from === c.a ? c.b : c.a;
    return { c, forward: st.from === c.a };
  });
  return buildHops(dirs, amountMsat, opts);
}

/** Total fee of a route, msat (what the sender pays above the delivered amount). */
export function routeFee(route: readonly Hop[]): bigint {
  let f = 0n;
  for (const h of route) f += h.feeMsat;
  return f;
}
