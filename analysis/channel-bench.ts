/**
 * `medsim bench channels`: how fast the real channel-state code runs on one core.
 *
 * 1. One channel (seed 002 §3.4's "1000+ TPS on a single channel"): a loop of complete state
 *    updates with the protocol's own state code (protocols/channels/state.ts): build state n + 1
 *    (balances moved, fresh revocation hashes for both parties), the proposer signs it, the
 *    receiver verifies that signature and signs, the proposer verifies, and each party hands over
 *    its revocation secret for state n, which the other checks against the hash state n carried
 *    (BOLT 2's commitment_signed / revoke_and_ack, reduced to what is signed and checked).
 *    `updatesPerWallSec` counts such updates per wall-clock second; `signUs` / `verifyUs` are
 *    medians of single state signatures and verifications.
 * 2. A 1,000-node Barabási–Albert network routing 10,000 multi-hop payments
 *    (analysis/channel-payments.ts), where every HTLC add, settle and fail on every channel is
 *    such a complete, co-signed, verified and revoked state update (`SignedChannelSink`).
 */
import { createHash } from 'node:crypto';
import { generateKeyPair, type Ed25519KeyPair } from '../protocols/crypto/ed25519.ts';
import { seededRandom } from '../protocols/crypto/random.ts';
import { barabasiAlbertGraph, type ChannelEdge } from '../protocols/channels/graph.ts';
import { generateTrace } from '../protocols/channels/traces.ts';
import { findRoute } from '../protocols/channels/routing.ts';
import { runPayments, type ChannelUpdateSink } from './channel-payments.ts';
import { revocationHash, revocationSecret, signState, verifyStateSig } from '../protocols/channels/state.ts';

/** The shape of protocols/channels/state.ts's state (what is signed). */
export interface StateLike {
  readonly channel: string;
  readonly seq: number;
  readonly balanceA: bigint;
  readonly balanceB: bigint;
  readonly htlcs: readonly { readonly id: string; readonly offerer: 'a' | 'b'; readonly amount: bigint; readonly hash: string; readonly expiry: number }[];
  readonly revA: string;
  readonly revB: string;
}

/** The channel-state functions the bench drives (protocols/channels/state.ts). */
export interface StateApi {
  signState(s: StateLike, secretKey: Uint8Array): string;
  verifyStateSig(s: StateLike, sigHex: string, publicKey: Uint8Array): boolean;
  revocationSecret(seed: string, channel: string, seq: number): string;
  revocationHash(secret: string): string;
}

/** The protocol's own state code (tests wrap it to show a forged signature or secret is caught). */
export const CHANNEL_STATE_API: StateApi = { signState, verifyStateSig, revocationSecret, revocationHash };

type Side = 'a' | 'b';
type Htlc = StateLike['htlcs'][number];

/**
 * Both parties' view of one channel, advanced by complete signed updates. Throws if any
 * signature or revocation secret fails to verify — which honest updates never do.
 */
export class SignedChannel {
  state: StateLike;
  private readonly seedA: string;
  private readonly seedB: string;
  updates = 0;

  constructor(
    private readonly api: StateApi,
    readonly id: string,
    readonly keyA: Ed25519KeyPair,
    readonly keyB: Ed25519KeyPair,
    balanceA: bigint,
    balanceB: bigint,
    seed: string,
  ) {
    this.seedA = `${seed}/a/${id}`;
    this.seedB = `${seed}/b/${id}`;
    this.state = {
      channel: id, seq: 0, balanceA, balanceB, htlcs: [],
      revA: api.revocationHash(api.revocationSecret(this.seedA, id, 0)),
      revB: api.revocationHash(api.revocationSecret(this.seedB, id, 0)),
    };
  }

  /** One complete update to the state `next` proposes (seq, revocation hashes filled in here). */
  update(proposer: Side, next: { balanceA: bigint; balanceB: bigint; htlcs: readonly Htlc[] }): void {
    const api = this.api;
    const old = this.state;
    const seq = old.seq + 1;
    const s: StateLike = {
      channel: this.id, seq, balanceA: next.balanceA, balanceB: next.balanceB, htlcs: next.htlcs,
      revA: api.revocationHash(api.revocationSecret(this.seedA, this.id, seq)),
      revB: api.revocationHash(api.revocationSecret(this.seedB, this.id, seq)),
    };
    const [pk, rk] = proposer === 'a' ? [this.keyA, this.keyB] : [this.keyB, this.keyA];
    const sigP = api.signState(s, pk.secretKey);
    if (!api.verifyStateSig(s, sigP, pk.publicKey)) throw new Error(`channel ${this.id}: proposer signature on state ${seq} does not verify`);
    const sigR = api.signState(s, rk.secretKey);
    if (!api.verifyStateSig(s, sigR, rk.publicKey)) throw new Error(`channel ${this.id}: receiver signature on state ${seq} does not verify`);
    // Both revoke state seq − 1: each hands over its secret, the other checks it against the hash.
    const secretA = api.revocationSecret(this.seedA, this.id, old.seq);
    const secretB = api.revocationSecret(this.seedB, this.id, old.seq);
    if (api.revocationHash(secretA) !== old.revA || api.revocationHash(secretB) !== old.revB) throw new Error(`channel ${this.id}: revocation secret for state ${old.seq} does not match`);
    this.state = s;
    this.updates++;
  }
}

/** Deterministic Ed25519 keys, one per node. */
export function benchKeys(seed: number | string, count: number): Ed25519KeyPair[] {
  return Array.from({ length: count }, (_, i) => generateKeyPair(seededRandom(`channels-bench/${seed}`, `ed25519/${i}`)));
}

/** Result of the single-channel loop. */
export interface ChannelUpdateBench {
  updates: number;
  wallMs: number;
  /** CPU time of the loop (user + system), ms: equals wallMs on an idle core; larger wallMs means the core was shared. */
  cpuMs: number;
  /** Complete co-signed, verified, revoked updates per wall-clock second. */
  updatesPerWallSec: number;
  /** The same per CPU second. */
  updatesPerCpuSec: number;
  /** Median µs of one state signature / verification. */
  signUs: number;
  verifyUs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const cpuSince = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

/** Runs `updates` updates on one channel, paying 1 msat back and forth with one HTLC pending. */
export function benchChannelUpdates(api: StateApi, options: { updates: number; seed?: number }): ChannelUpdateBench {
  const [ka, kb] = benchKeys(options.seed ?? 1, 2);
  const ch = new SignedChannel(api, 'bench', ka, kb, 1_000_000_000n, 1_000_000_000n, 'bench');
  const htlc: Htlc = { id: 'a0', offerer: 'a', amount: 1000n, hash: createHash('sha256').update('bench').digest('hex'), expiry: 800_040 };
  // Warm-up: key objects imported, code optimised.
  for (let i = 0; i < 200; i++) ch.update('a', { balanceA: ch.state.balanceA, balanceB: ch.state.balanceB, htlcs: [htlc] });
  const t0 = nowMs();
  const c0 = process.cpuUsage();
  for (let i = 0; i < options.updates; i++) {
    const proposer: Side = i % 2 === 0 ? 'a' : 'b';
    const d = proposer === 'a' ? -1n : 1n;
    ch.update(proposer, { balanceA: ch.state.balanceA + d, balanceB: ch.state.balanceB - d, htlcs: [htlc] });
  }
  const wallMs = nowMs() - t0;
  const cpuMs = cpuSince(c0);
  const signs: number[] = [];
  const verifies: number[] = [];
  const s = ch.state;
  const sig = api.signState(s, ka.secretKey);
  for (let r = 0; r < 9; r++) {
    const n = 300;
    let t = nowMs();
    for (let i = 0; i < n; i++) api.signState(s, ka.secretKey);
    signs.push(((nowMs() - t) * 1000) / n);
    t = nowMs();
    for (let i = 0; i < n; i++) api.verifyStateSig(s, sig, ka.publicKey);
    verifies.push(((nowMs() - t) * 1000) / n);
  }
  return {
    updates: options.updates, wallMs: round(wallMs), cpuMs: round(cpuMs),
    updatesPerWallSec: Math.round((options.updates / wallMs) * 1000), updatesPerCpuSec: Math.round((options.updates / cpuMs) * 1000),
    signUs: round(median(signs)), verifyUs: round(median(verifies)),
  };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * A payment-flow sink that turns every HTLC add, settle and fail into a complete signed update of
 * that channel's state, and checks the state agrees with the flow's balances.
 */
export class SignedChannelSink implements ChannelUpdateSink {
  private readonly channels = new Map<string, SignedChannel>();
  private counter = 0;

  constructor(
    private readonly api: StateApi,
    private readonly keys: ReadonlyMap<string, Ed25519KeyPair>,
    private readonly seed: string,
  ) {}

  get updates(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.updates;
    return n;
  }

  private of(c: ChannelEdge, balanceA: bigint, balanceB: bigint): SignedChannel {
    let ch = this.channels.get(c.id);
    if (!ch) {
      ch = new SignedChannel(this.api, c.id, this.keys.get(c.a)!, this.keys.get(c.b)!, balanceA, balanceB, this.seed);
      this.channels.set(c.id, ch);
    }
    return ch;
  }

  add(c: ChannelEdge, from: string, amount: bigint, expiry: number): void {
    const side: Side = c.a === from ? 'a' : 'b';
    // The flow already debited `from`: the state before this add had the amount on its side.
    const ch = this.of(c, side === 'a' ? c.balanceA + amount : c.balanceA, side === 'b' ? c.balanceB + amount : c.balanceB);
    const htlc: Htlc = { id: `${side}${this.counter}`, offerer: side, amount, hash: createHash('sha256').update(`htlc/${this.counter++}`).digest('hex'), expiry };
    ch.update(side, { balanceA: c.balanceA, balanceB: c.balanceB, htlcs: [...ch.state.htlcs, htlc] });
  }

  settle(c: ChannelEdge, from: string, amount: bigint): void {
    this.resolve(c, from, amount);
  }

  fail(c: ChannelEdge, from: string, amount: bigint): void {
    this.resolve(c, from, amount);
  }

  /** The receiving side removes the HTLC (settled: to its balance; failed: back to the offerer). */
  private resolve(c: ChannelEdge, from: string, amount: bigint): void {
    const ch = this.channels.get(c.id)!;
    const side: Side = c.a === from ? 'a' : 'b';
    const i = ch.state.htlcs.findIndex((h) => h.offerer === side && h.amount === amount);
    if (i < 0) throw new Error(`channel ${c.id}: no pending HTLC of ${amount} msat offered by ${side}`);
    const htlcs = ch.state.htlcs.filter((_, k) => k !== i);
    ch.update(side === 'a' ? 'b' : 'a', { balanceA: c.balanceA, balanceB: c.balanceB, htlcs });
    if (ch.state.balanceA + ch.state.balanceB + htlcs.reduce((t, h) => t + h.amount, 0n) !== c.capacityMsat) {
      throw new Error(`channel ${c.id}: signed state ${ch.state.seq} does not sum to the capacity`);
    }
  }
}

/** Result of the network run. */
export interface ChannelNetworkBench {
  nodes: number;
  channels: number;
  payments: number;
  succeeded: number;
  /** Signed state updates (each: 2 signatures, 2 verifications, 2 revocations). */
  stateUpdates: number;
  wallMs: number;
  /** CPU time (user + system), ms. */
  cpuMs: number;
  paymentsPerWallSec: number;
  paymentsPerCpuSec: number;
}

/** Routes `payments` payments over a `nodes`-node Barabási–Albert network with every channel update signed. */
export function benchChannelNetwork(api: StateApi, options: { nodes: number; payments: number; seed?: number }): ChannelNetworkBench {
  const seed = options.seed ?? 1;
  const graph = barabasiAlbertGraph({
    nodes: options.nodes, edgesPerNode: 2, seed,
    channels: { capacity: { kind: 'uniform', minMsat: 200_000_000n, maxMsat: 2_000_000_000n }, balance: 'even', feeRatePpmRange: [1, 1000] },
  });
  const trace = generateTrace({ nodes: graph.nodes, count: options.payments, ratePerSec: 100, amount: { kind: 'lognormal', medianMsat: 1_000_000, sigma: 1.5 }, seed });
  const keyList = benchKeys(seed, graph.nodes.length);
  const keys = new Map(graph.nodes.map((n, i) => [n, keyList[i]]));
  const sink = new SignedChannelSink(api, keys, `bench/${seed}`);
  const t0 = nowMs();
  const c0 = process.cpuUsage();
  const outcomes = runPayments(graph, trace, { sink });
  const wallMs = nowMs() - t0;
  const cpuMs = cpuSince(c0);
  return {
    nodes: graph.nodes.length,
    channels: graph.channels.length,
    payments: outcomes.length,
    succeeded: outcomes.filter((o) => o.success).length,
    stateUpdates: sink.updates,
    wallMs: round(wallMs),
    cpuMs: round(cpuMs),
    paymentsPerWallSec: Math.round((outcomes.length / wallMs) * 1000),
    paymentsPerCpuSec: Math.round((outcomes.length / cpuMs) * 1000),
  };
}

/** Route searches alone on the same kind of network. */
export interface RoutingBench {
  nodes: number;
  routes: number;
  /** Searches that found a route. */
  found: number;
  wallMs: number;
  cpuMs: number;
  routesPerWallSec: number;
  routesPerCpuSec: number;
}

/** `routes` findRoute calls between seeded random pairs on a `nodes`-node Barabási–Albert graph (search structure built once). */
export function benchRouting(options: { nodes: number; routes: number; seed?: number }): RoutingBench {
  const seed = options.seed ?? 1;
  const graph = barabasiAlbertGraph({
    nodes: options.nodes, edgesPerNode: 2, seed,
    channels: { capacity: { kind: 'uniform', minMsat: 200_000_000n, maxMsat: 2_000_000_000n }, balance: 'even', feeRatePpmRange: [1, 1000] },
  });
  const trace = generateTrace({ nodes: graph.nodes, count: options.routes, ratePerSec: 100, amount: { kind: 'lognormal', medianMsat: 1_000_000, sigma: 1.5 }, seed });
  findRoute(graph, trace[0].sender, trace[0].receiver, trace[0].amountMsat, { currentHeight: 800_000, finalCltvDelta: 40 });
  const t0 = nowMs();
  const c0 = process.cpuUsage();
  let found = 0;
  for (const p of trace) if (findRoute(graph, p.sender, p.receiver, p.amountMsat, { currentHeight: 800_000, finalCltvDelta: 40 })) found++;
  const wallMs = nowMs() - t0;
  const cpuMs = cpuSince(c0);
  return {
    nodes: graph.nodes.length, routes: trace.length, found, wallMs: round(wallMs), cpuMs: round(cpuMs),
    routesPerWallSec: Math.round((trace.length / wallMs) * 1000), routesPerCpuSec: Math.round((trace.length / cpuMs) * 1000),
  };
}

/** `medsim bench channels --json`. */
export interface BenchChannelsResult {
  updatesPerWallSec: number;
  signUs: number;
  verifyUs: number;
  payments: number;
  paymentsPerWallSec: number;
  nodes: number;
  rssMb: number;
  single: ChannelUpdateBench;
  network: ChannelNetworkBench;
  routing: RoutingBench;
  repetitions: number;
}

/** Runs both parts; the single-channel figures are medians over `repetitions`. */
export function benchChannels(options: { updates: number; nodes: number; payments: number; repetitions: number; seed?: number }): BenchChannelsResult {
  const api = CHANNEL_STATE_API;
  const singles: ChannelUpdateBench[] = [];
  for (let r = 0; r < options.repetitions; r++) singles.push(benchChannelUpdates(api, { updates: options.updates, seed: options.seed }));
  singles.sort((a, b) => a.updatesPerWallSec - b.updatesPerWallSec);
  const single = singles[Math.floor(singles.length / 2)];
  const network = benchChannelNetwork(api, { nodes: options.nodes, payments: options.payments, seed: options.seed });
  const routing = benchRouting({ nodes: options.nodes, routes: options.payments, seed: options.seed });
  return {
    updatesPerWallSec: single.updatesPerWallSec,
    signUs: median(singles.map((s) => s.signUs)),
    verifyUs: median(singles.map((s) => s.verifyUs)),
    payments: network.payments,
    paymentsPerWallSec: network.paymentsPerWallSec,
    nodes: network.nodes,
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
    single,
    network,
    routing,
    repetitions: options.repetitions,
  };
}
