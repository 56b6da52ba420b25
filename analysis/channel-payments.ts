/**
 * CLoTH-style payment flow on a channel graph (Conoscenti et al., "CLoTH: a Lightning Network
 * simulator", 2021): each payment of a trace is source-routed with `findRoute` (fees and lock
 * times, capacities known, the sender's own balances exact), then its HTLC is offered hop by hop
 * against the channels' real balances. A hop whose sender lacks the balance, or whose next node
 * is offline, fails the attempt: the HTLCs already offered are failed back (every hop settles or
 * every hop fails), the failing channel (or offline node) is excluded, and the sender retries,
 * up to `maxAttempts`. On success every hop settles: each channel's balance moves from `from` to
 * `to` by the hop's amount, so each forwarder keeps its fee.
 *
 * What this model is and is not: payments run one at a time in trace order (no two in flight),
 * so "HTLC slots full" and time-outs cannot occur here — they need concurrent payments and the
 * message-level protocol (protocols/channels under `medsim run`). Balance depletion, which
 * drives CLoTH's success-rate curves, is modelled exactly.
 *
 * A `ChannelUpdateSink` sees every HTLC add, settle and fail as a channel update, so a caller can
 * run real signed state updates alongside (`medsim bench channels` does).
 */
import type { ChannelEdge, ChannelGraph } from '../protocols/channels/graph.ts';
import { findRoute, type Hop } from '../protocols/channels/routing.ts';
import type { PaymentRequest } from '../protocols/channels/traces.ts';
import { Rng } from '../sim/rng.ts';

/** Why a payment failed (CLoTH's reasons that a sequential model can produce). */
export type PaymentFailure = 'no-path' | 'insufficient-balance' | 'offline-node';

/** Outcome of one payment. */
export interface PaymentOutcome {
  atUs: number;
  amountMsat: bigint;
  success: boolean;
  /** Why the last attempt failed (undefined on success). */
  failure?: PaymentFailure;
  /** Routes tried (0 when no route was found at all). */
  attempts: number;
  /** Channels on the successful route. */
  hops?: number;
  /** Fees paid on the successful route, msat. */
  feeMsat?: bigint;
}

/** Observer of channel updates (HTLC add / settle / fail), in the order they happen. */
export interface ChannelUpdateSink {
  /** `from` offers an HTLC of `amountMsat` on `channel` (its balance already debited). */
  add(channel: ChannelEdge, from: string, amountMsat: bigint, expiryHeight: number): void;
  /** The HTLC settles: `to`'s balance was credited. */
  settle(channel: ChannelEdge, from: string, amountMsat: bigint): void;
  /** The HTLC fails back: `from`'s balance was restored. */
  fail(channel: ChannelEdge, from: string, amountMsat: bigint): void;
}

/** Options of `runPayments`. */
export interface PaymentFlowOptions {
  /** Routes tried per payment, at most (CLoTH retries until its time-out; default 10). */
  maxAttempts?: number;
  /** Block height while the trace runs (HTLC expiries are relative to it; default 800,000). */
  currentHeight?: number;
  /** Receiver's `min_final_cltv_expiry`, blocks (default 40, CLoTH's FINALTIMELOCK). */
  finalCltvDelta?: number;
  /** Share of nodes offline for the whole run (drawn from stream `channels/flow/offline`; never the payment's sender or receiver). Default 0. */
  offlineFraction?: number;
  /** Seed of the offline draw. */
  seed?: number | string;
  /** Sees every channel update. */
  sink?: ChannelUpdateSink;
}

/** Runs `trace` over `graph`, mutating its balances; returns one outcome per payment. */
export function runPayments(graph: ChannelGraph, trace: readonly PaymentRequest[], options: PaymentFlowOptions = {}): PaymentOutcome[] {
  const maxAttempts = options.maxAttempts ?? 10;
  const currentHeight = options.currentHeight ?? 800_000;
  const finalCltvDelta = options.finalCltvDelta ?? 40;
  const sink = options.sink;
  const byId = new Map(graph.channels.map((c) => [c.id, c]));
  const offline = new Set<string>();
  if ((options.offlineFraction ?? 0) > 0) {
    const rng = Rng.stream(options.seed ?? 0, 'channels/flow/offline');
    const k = Math.round(graph.nodes.length * options.offlineFraction!);
    for (const i of rng.sample(graph.nodes.length, k)) offline.add(graph.nodes[i]);
  }
  const out: PaymentOutcome[] = [];
  for (const p of trace) {
    const exclude = new Set<string>();
    const excludeNodes = new Set<string>();
    let failure: PaymentFailure | undefined;
    let attempts = 0;
    let done: Hop[] | undefined;
    while (attempts < maxAttempts) {
      const route = findRoute(graph, p.sender, p.receiver, p.amountMsat, { currentHeight, finalCltvDelta, exclude, excludeNodes });
      if (route === null) {
        failure ??= 'no-path';
        break;
      }
      attempts++;
      const locked: Hop[] = [];
      let failedAt: { hop: Hop; why: PaymentFailure } | undefined;
      for (const hop of route) {
        const c = byId.get(hop.channelId)!;
        if (offline.has(hop.to) && hop.to !== p.receiver && hop.to !== p.sender) {
          failedAt = { hop, why: 'offline-node' };
          break;
        }
        const forward = c.a === hop.from;
        const balance = forward ? c.balanceA : c.balanceB;
        if (balance < hop.amountMsat) {
          failedAt = { hop, why: 'insufficient-balance' };
          break;
        }
        if (forward) c.balanceA -= hop.amountMsat;
        else c.balanceB -= hop.amountMsat;
        sink?.add(c, hop.from, hop.amountMsat, hop.expiryHeight);
        locked.push(hop);
      }
      if (failedAt === undefined) {
        for (const hop of route) {
          const c = byId.get(hop.channelId)!;
          if (c.a === hop.from) c.balanceB += hop.amountMsat;
          else c.balanceA += hop.amountMsat;
          sink?.settle(c, hop.from, hop.amountMsat);
        }
        done = route;
        failure = undefined;
        break;
      }
      // Fail back from the hop nearest the failure to the sender.
      for (let i = locked.length - 1; i >= 0; i--) {
        const hop = locked[i];
        const c = byId.get(hop.channelId)!;
        if (c.a === hop.from) c.balanceA += hop.amountMsat;
        else c.balanceB += hop.amountMsat;
        sink?.fail(c, hop.from, hop.amountMsat);
      }
      failure = failedAt.why;
      if (failedAt.why === 'offline-node') excludeNodes.add(failedAt.hop.to);
      else exclude.add(failedAt.hop.channelId);
    }
    if (done) {
      let fee = 0n;
      for (const h of done) fee += h.feeMsat;
      out.push({ atUs: p.atUs, amountMsat: p.amountMsat, success: true, attempts, hops: done.length, feeMsat: fee });
    } else {
      out.push({ atUs: p.atUs, amountMsat: p.amountMsat, success: false, failure: failure ?? 'no-path', attempts });
    }
  }
  return out;
}

/** Sum of all balances (conserved by `runPayments`: fees move between nodes, nothing is created). */
export function totalBalance(graph: ChannelGraph): bigint {
  let t = 0n;
  for (const c of graph.channels) t += c.balanceA + c.balanceB;
  return t;
}
