/**
 * Channel adversaries, each a separate implementation overriding seams of the honest party
 * (node.ts); none is a flag in honest code.
 *
 * - `RevokedStatePublisher`: pays its victim directly a few times, then publishes the old state in
 *   which it held the most (BOLT 5's "revoked transaction close"). With `withholdRevoke` it never
 *   hands over its own revocation secrets, and publishes the state before the latest: no secret
 *   can punish it, only the newer state the victim holds can.
 * - `Jammer`: a sender and a receiver it controls; the sender routes many payments to the receiver,
 *   which holds every HTLC for `holdUs` and then fails it — the channels on the way have HTLC
 *   slots and liquidity locked without any fee paid (Mizrahi–Zohar 2020, "Congestion attacks").
 * - `Griefer`: holds every HTLC it should forward or receive and never resolves it; the upstream
 *   hop gets its money back only on chain, after the HTLC's expiry.
 * - `OfflineIntermediary`: forwards honestly, then goes offline mid-payment (after its k-th
 *   forward) for a while, with HTLCs in flight.
 * - `Forger`: proposes updates whose HTLC it cannot fund — a state that keeps its balance and adds
 *   the HTLC (value created from nothing), signed with its real key — routed through its peer to a
 *   receiver. Honest peers refuse it (counted as malformed); a peer that skips the balance check or
 *   forwards before locking is caught by `channel-balance` / `htlc-atomicity`.
 */
import type { NodeId } from '../../sim/types.ts';
import type { Onion } from './messages.ts';
import { ChannelNode, type ChannelStats, type ChannelView } from './node.ts';
import { findRoute } from './routing.ts';
import { balanceOf, stateValue, type ChannelState, type Htlc, type SignedState } from './state.ts';
import { heightAt, type ChannelWorld } from './world.ts';

export class RevokedStatePublisher extends ChannelNode {
  constructor(
    id: NodeId,
    w: ChannelWorld,
    stats: ChannelStats,
    readonly victim: NodeId,
    readonly withholdRevoke: boolean,
  ) {
    super(id, w, stats);
    this.keepHistory = true;
  }

  channelWithVictim(): ChannelView | undefined {
    return [...this.channels.values()].find((c) => c.peer === this.victim);
  }

  /** The harness: pay the victim directly (plain balance updates). */
  payVictim(ctx: Parameters<ChannelNode['onStart']>[0], amount: bigint): void {
    this.ctx = ctx;
    const ch = this.channelWithVictim();
    if (ch && ch.status === 'open' && this.available(ch) >= amount) this.enqueue(ch, { kind: 'pay', amount });
  }

  protected override sendRevoke(ch: ChannelView, oldSeq: number): void {
    if (this.withholdRevoke && ch.peer === this.victim) {
      // keep the secret: the old state stays unpunishable. Tell the victim nothing more (it waits for the revoke).
      return;
    }
    super.sendRevoke(ch, oldSeq);
  }

  /** The harness, at the attack time: publish the best old state. */
  attack(ctx: Parameters<ChannelNode['onStart']>[0]): SignedState | undefined {
    this.ctx = ctx;
    const ch = this.channelWithVictim();
    if (!ch || ch.status !== 'open' || !ch.latest) return undefined;
    let best: SignedState | undefined;
    for (const [seq, s] of ch.history) {
      if (seq >= ch.latest.state.seq) continue;
      if (!best || balanceOf(s.state, ch.me) > balanceOf(best.state, ch.me)) best = s;
    }
    if (!best || balanceOf(best.state, ch.me) <= balanceOf(ch.latest.state, ch.me)) return undefined;
    this.ctx.emit({ kind: 'attack', attack: 'revoked-state', channel: ch.def.id, seq: best.state.seq, latest: ch.latest.state.seq });
    this.forceClose(ch, best);
    return best;
  }

  /** Never disputes or claims for itself beyond what it published. */
  protected override onTick(): void {}
}

export class Jammer extends ChannelNode {
  constructor(
    id: NodeId,
    w: ChannelWorld,
    stats: ChannelStats,
    readonly holdUs: number,
  ) {
    super(id, w, stats);
  }

  protected override holdIncoming(ch: ChannelView, htlc: Htlc, onion: Onion): boolean {
    if (onion.index !== onion.hops.length - 1) return false;
    this.ctx.emit({ kind: 'attack', attack: 'jamming', channel: ch.def.id, htlc: htlc.id });
    this.ctx.setTimer(this.holdUs, { jamRelease: ch.def.id, id: htlc.id });
    return true;
  }

  override onTimer(ctx: Parameters<ChannelNode['onStart']>[0], tag: unknown): void {
    const t = tag as { jamRelease?: string; id?: string };
    if (t && t.jamRelease) {
      this.ctx = ctx;
      const ch = this.channels.get(t.jamRelease)!;
      if (ch.status === 'open' && ch.latest?.state.htlcs.some((h) => h.id === t.id)) this.enqueue(ch, { kind: 'fail', id: t.id!, reason: 'unknown-payment', failedChannel: '' });
      return;
    }
    super.onTimer(ctx, tag);
  }
}

export class Griefer extends ChannelNode {
  protected override holdIncoming(ch: ChannelView, htlc: Htlc): boolean {
    this.ctx.emit({ kind: 'attack', attack: 'griefing', channel: ch.def.id, htlc: htlc.id });
    return true; // neither forward, nor fulfil, nor fail: the HTLC sits until its expiry
  }

  /** A griefer never goes on chain itself. */
  protected override onTick(): void {}
}

export class OfflineIntermediary extends ChannelNode {
  private forwards = 0;
  goOffline?: (node: NodeId) => void;

  constructor(
    id: NodeId,
    w: ChannelWorld,
    stats: ChannelStats,
    readonly afterForwards: number,
  ) {
    super(id, w, stats);
  }

  protected override forward(inCh: ChannelView, htlc: Htlc, onion: Onion): void {
    super.forward(inCh, htlc, onion);
    if (++this.forwards === this.afterForwards) {
      this.ctx.emit({ kind: 'attack', attack: 'offline-intermediary', node: this.id });
      this.goOffline?.(this.id);
    }
  }
}

export class Forger extends ChannelNode {
  /** The harness: propose a forged HTLC add to `receiver` through our first channel's peer. */
  forge(ctx: Parameters<ChannelNode['onStart']>[0], receiver: NodeId, hash: string, amount: bigint): boolean {
    this.ctx = ctx;
    const route = findRoute(this.w.graph, String(this.id), String(receiver), amount, { currentHeight: heightAt(this.w, ctx.now()), finalCltvDelta: this.w.finalCltvDelta, maxHops: this.w.maxHops });
    if (!route || route.length < 2) return false;
    const ch = this.channels.get(route[0].channelId)!;
    if (ch.status !== 'open' || !ch.latest || ch.pending || ch.awaitingRevoke) return false;
    const htlc: Htlc = { id: `${ch.me}f${ch.htlcCounter++}`, offerer: ch.me, amount: route[0].amountMsat, hash, expiry: route[0].expiryHeight };
    const s = ch.latest.state;
    // the forgery: the HTLC is added but our balance is not debited
    const state: ChannelState = { ...s, seq: s.seq + 1, htlcs: [...s.htlcs, htlc], revA: ch.me === 'a' ? this.myHash(ch.def.id, s.seq + 1) : ch.peerNextHash, revB: ch.me === 'b' ? this.myHash(ch.def.id, s.seq + 1) : ch.peerNextHash };
    ctx.emit({ kind: 'attack', attack: 'forger', channel: ch.def.id, value: stateValue(state), capacity: ch.capacity });
    ch.pending = { ops: [{ kind: 'add', htlc, onion: { paymentId: `forged/${this.id}/${htlc.id}`, hops: route, index: 0 } }], state, sig: this.sign(state) };
    this.sendUpdate(ch);
    return true;
  }

  /** The forger does not retransmit or go on chain. */
  protected override onTick(): void {}
  protected override armRetransmit(): void {}
}
