/**
 * A channel party: a sans-I/O node that funds and opens its channels on chain, updates them off
 * chain (co-signed states with revocation, state.ts), routes and forwards HTLC payments, watches
 * the chain for closes of its channels and disputes them, and goes on chain when an HTLC nears its
 * expiry. docs/channels.md describes the protocol; BOLT 2 / BOLT 5 are the model.
 *
 * Update protocol, per channel (one update in flight; the lower node id wins a collision):
 *   proposer  → update {ops, state n+1, sig}
 *   receiver  → ack {sig, its secret for n, its next revocation hash}     (holds n+1 fully signed)
 *   proposer  → revoke {its secret for n, its next revocation hash}        (n is now revoked by both)
 * An incoming HTLC is *locked* once the revoke for the state before it has arrived; only then is
 * it forwarded (`onIncomingLocked`, the seam the forward-without-lock mutant overrides).
 *
 * Seams adversaries and mutants override: `acceptProposal` (validation of a received update),
 * `onUpdateReceived`, `sendRevoke`, `onIncomingLocked`, `holdIncoming`.
 */
import { createHash } from 'node:crypto';
import type { NodeContext, NodeId, ProtocolNode, TimerHandle } from '../../sim/types.ts';
import { decrypt, encryptDetailed, encryptWithNonce } from '../crypto/paillier.ts';
import { seededRandom } from '../crypto/random.ts';
import { proveBalanceUpdate } from '../crypto/zk-equality.ts';
import { proveRange } from '../crypto/zk-range.ts';
import { ChannelChaincode, fundContext, fundTotal, openTermsDigest, parseSigned, requestDigest, verifySig, type ChannelObject, type ChannelRequest } from './chaincode.ts';
import { messageProblem, wireSize, type ChannelMessage, type FailReason, type Onion, type Op } from './messages.ts';
import type { ChannelGraph } from './graph.ts';
import { findRoute, forwardingFee, type Hop } from './routing.ts';
import {
  balanceOf, other, revocationHash, revocationSecret, sha256hex, signClosing, signState, stateDigest, stateValue, verifyClosing, verifyStateSig,
  type ChannelState, type Htlc, type Side, type SignedState,
} from './state.ts';
import { heightAt, signDigest, type ChannelDef, type ChannelWorld } from './world.ts';

type Ctx = NodeContext<ChannelMessage>;

export interface ChannelView {
  readonly def: ChannelDef;
  readonly me: Side;
  readonly peer: NodeId;
  readonly capacity: bigint;
  status: 'funding' | 'open' | 'closing' | 'closed';
  latest: SignedState | null;
  /** Every fully signed state held, by sequence number. */
  readonly history: Map<number, SignedState>;
  /** Peer's revocation hash for latest.seq + 1. */
  peerNextHash: string;
  /** Revocation secrets received from the peer, by sequence number. */
  readonly peerSecrets: Map<number, string>;
  pending: { ops: Op[]; state: ChannelState; sig: string } | null;
  /** I acked the peer's proposal and wait for its revoke; `lastAck` to resend. */
  awaitingRevoke: { seq: number; ops: readonly Op[] } | null;
  lastAck: ChannelMessage | null;
  lastRevoke: ChannelMessage | null;
  queue: Op[];
  timer: TimerHandle | 0;
  connected: boolean;
  htlcCounter: number;
  /** Open handshake: peer's revocation hash for seq 0 and the signatures collected. */
  open?: { peerRev0: string; peerRev1: string; sigTermsPeer?: string; sigStatePeer?: string };
  onChain?: ChannelObject;
  /** Channel ids of HTLCs already handled after locking / resolution. */
  readonly handled: Set<string>;
  /** Every HTLC ever in a co-signed state of this channel, by id (amount and hash outlive the state). */
  readonly htlcsSeen: Map<string, Htlc>;
}

export interface PaymentRecord {
  readonly id: string;
  readonly sender: NodeId;
  readonly receiver: NodeId;
  readonly amount: bigint;
  readonly hash: string;
  readonly startUs: number;
  attempts: number;
  status: 'pending' | 'succeeded' | 'failed';
  reason?: FailReason;
  endUs?: number;
  routeLength?: number;
  feesMsat?: bigint;
  readonly excluded: Set<string>;
  /** The attempt in flight: first hop's channel and HTLC id. */
  inFlight?: { channel: string; htlcId: string; hops: readonly Hop[] };
}

/** Shared results of a run (payments by id, forwarding fees, counters): read by summarize. */
export class ChannelStats {
  readonly payments = new Map<string, PaymentRecord>();
  readonly feesEarned = new Map<NodeId, bigint>();
  /** Highest sequence number signed by both parties, per channel. */
  readonly latestSeq = new Map<string, number>();
  readonly counts = { updates: 0, malformed: 0, stale: 0, rejectedUpdates: 0, forceCloses: 0, disputes: 0, penalties: 0, claims: 0, towerDisputes: 0 };
}

/** Forwarding link: outgoing HTLC → the incoming one it pays for. */
interface Link {
  inChannel: string;
  inHtlc: string;
}

export class ChannelNode implements ProtocolNode<ChannelMessage> {
  readonly channels = new Map<string, ChannelView>();
  protected ctx!: Ctx;
  private readonly revSeed: string;
  /** Invoices this node issued: hash → preimage and amount. */
  readonly invoices = new Map<string, { preimage: string; amount: bigint }>();
  /** Preimages learned (as intermediary or sender). */
  readonly preimages = new Map<string, string>();
  private readonly links = new Map<string, Link>(); // key: `${channel}/${htlcId}` of outgoing
  /** Our own payments by the first hop's HTLC (`${channel}/${htlcId}`) of their attempt in flight. */
  private readonly paymentsByHtlc = new Map<string, PaymentRecord>();
  /** Keep every signed state (an adversary publishing old ones needs them); honest parties keep the last two. */
  protected keepHistory = false;
  private funded = false;
  private invoiceCounter = 0;
  private paymentCounter = 0;

  constructor(
    readonly id: NodeId,
    readonly w: ChannelWorld,
    readonly stats: ChannelStats,
  ) {
    this.revSeed = `channels/rev/${w.key(id).secretKey.join(',')}`;
    for (const def of w.channels) {
      if (def.a !== id && def.b !== id) continue;
      const me: Side = def.a === id ? 'a' : 'b';
      this.channels.set(def.id, {
        def, me, peer: me === 'a' ? def.b : def.a, capacity: def.depositA + def.depositB, status: 'funding', latest: null, history: new Map(), peerNextHash: '',
        peerSecrets: new Map(), pending: null, awaitingRevoke: null, lastAck: null, lastRevoke: null, queue: [], timer: 0, connected: true, htlcCounter: 0, handled: new Set(), htlcsSeen: new Map(),
      });
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  protected height(): number {
    return heightAt(this.w, this.ctx.now());
  }

  protected secret(channel: string, seq: number): string {
    return revocationSecret(this.revSeed, channel, seq);
  }

  protected myHash(channel: string, seq: number): string {
    return revocationHash(this.secret(channel, seq));
  }

  protected send(to: NodeId, msg: { type: ChannelMessage['type'] } & Record<string, unknown>): void {
    const text = JSON.stringify(msg, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    this.ctx.send(to, { ...msg, size: 40 + text.length, digest: sha256hex(text).slice(0, 16) } as unknown as ChannelMessage);
  }

  protected submit(req: ChannelRequest): void {
    this.ctx.charge(this.w.costs.signUs);
    this.send(this.w.chain, { type: 'submit', req: req as unknown as Record<string, unknown>, auth: signDigest(this.w, this.id, requestDigest(req)) });
  }

  protected sign(s: ChannelState): string {
    this.ctx.charge(this.w.costs.signUs);
    return signState(s, this.w.key(this.id).secretKey);
  }

  protected verify(s: ChannelState, sig: string, node: NodeId): boolean {
    this.ctx.charge(this.w.costs.verifyUs);
    return verifyStateSig(s, sig, this.w.key(node).publicKey);
  }

  protected emitState(ch: ChannelView): void {
    const s = ch.latest!;
    if ((this.stats.latestSeq.get(ch.def.id) ?? -1) < s.state.seq) this.stats.latestSeq.set(ch.def.id, s.state.seq);
    this.ctx.emit({ kind: 'signed-state', channel: ch.def.id, party: this.id, side: ch.me, seq: s.state.seq, value: stateValue(s.state), capacity: ch.capacity, balance: balanceOf(s.state, ch.me), htlcs: s.state.htlcs });
  }

  /** Records the new latest state: its HTLCs, and the history an honest party needs (the state before it). */
  protected remember(ch: ChannelView): void {
    const s = ch.latest!;
    ch.history.set(s.state.seq, s);
    for (const h of s.state.htlcs) if (!ch.htlcsSeen.has(h.id)) ch.htlcsSeen.set(h.id, h);
    if (!this.keepHistory) ch.history.delete(s.state.seq - 2);
  }

  /** Balance I can still commit on a channel: latest balance minus what queued / pending ops take. */
  available(ch: ChannelView): bigint {
    if (!ch.latest) return 0n;
    let b = balanceOf(ch.latest.state, ch.me);
    const outgoing = (ops: readonly Op[]) => {
      for (const o of ops) if (o.kind === 'pay' || o.kind === 'add') b -= o.kind === 'pay' ? o.amount : o.htlc.amount;
    };
    outgoing(ch.queue);
    if (ch.pending) outgoing(ch.pending.ops); // the latest state is the one before our proposal
    return b;
  }

  private offeredSlots(ch: ChannelView): number {
    let n = ch.latest ? ch.latest.state.htlcs.filter((h) => h.offerer === ch.me).length : 0;
    for (const o of ch.queue) if (o.kind === 'add') n++;
    if (ch.pending) for (const o of ch.pending.ops) if (o.kind === 'add') n++;
    return n;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  onStart(ctx: Ctx): void {
    this.ctx = ctx;
    if (!this.funded) this.fund();
    ctx.setTimer(this.w.timing.blockUs, 'tick');
  }

  onRecover(ctx: Ctx): void {
    this.ctx = ctx;
    ctx.setTimer(this.w.timing.blockUs, 'tick');
    for (const ch of this.channels.values()) {
      ch.timer = 0;
      // a node back online asks the chain what happened to its channels while it was away
      this.send(this.w.chain, { type: 'query', channel: ch.def.id });
      if (ch.pending || ch.awaitingRevoke) this.armRetransmit(ch);
    }
  }

  /** Moves this party's deposits into its channels' deposit entries (one transaction, one proof pair). */
  private fund(): void {
    this.funded = true;
    const deposits = [...this.channels.values()].map((ch) => ({ channel: ch.def.id, amount: ch.me === 'a' ? ch.def.depositA : ch.def.depositB })).filter((d) => d.amount > 0n);
    if (this.w.funding === 'encrypted' && deposits.length > 0) {
      const kp = this.w.paillier(this.id)!;
      const A = this.w.genesisBalances.get(this.id)!;
      const D = fundTotal(deposits);
      const plainA = decrypt(kp.privateKey, A);
      const random = seededRandom(this.ctx.seedFor('fund'), 'fund');
      const next = encryptDetailed(kp.publicKey, plainA - D, random);
      const context = fundContext(this.id, 0, deposits);
      this.ctx.charge(this.w.costs.fundProveUs);
      const elahe = proveBalanceUpdate({ publicKey: kp.publicKey, oldBalance: A, transfer: encryptWithNonce(kp.publicKey, D, 1n), newBalance: next.ciphertext, context }, kp.privateKey, { random });
      const range = proveRange({ publicKey: kp.publicKey, ciphertext: next.ciphertext, bits: this.w.amountBits, setup: this.w.setup!.params, context }, { plaintext: plainA - D, nonce: next.nonce }, { random, privateKey: kp.privateKey });
      this.submit({ op: 'fund', party: this.id, deposits, version: 0, oldBalance: A, newBalance: next.ciphertext, elahe, range });
    }
    // the a-side starts each channel's opening handshake
    for (const ch of this.channels.values()) {
      if (ch.me !== 'a') continue;
      this.send(ch.peer, { type: 'open-propose', channel: ch.def.id, depositA: ch.def.depositA, depositB: ch.def.depositB, window: this.w.timing.disputeBlocks, rev0: this.myHash(ch.def.id, 0), rev1: this.myHash(ch.def.id, 1) });
    }
  }

  private initialState(ch: ChannelView, revPeer0: string): ChannelState {
    const mine = this.myHash(ch.def.id, 0);
    return { channel: ch.def.id, seq: 0, balanceA: ch.def.depositA, balanceB: ch.def.depositB, htlcs: [], revA: ch.me === 'a' ? mine : revPeer0, revB: ch.me === 'b' ? mine : revPeer0 };
  }

  private termsDigest(ch: ChannelView): string {
    return openTermsDigest(ch.def.id, ch.def.a, ch.def.b, ch.def.depositA, ch.def.depositB, this.w.timing.disputeBlocks);
  }

  // ---- messages -------------------------------------------------------------------------------

  onMessage(ctx: Ctx, from: NodeId, msg: ChannelMessage): void {
    this.ctx = ctx;
    const problem = messageProblem(msg);
    const ch = problem ? undefined : this.channels.get((msg as { channel: string }).channel);
    if (problem || (msg.type !== 'chain-event' && msg.type !== 'rejected' && (!ch || ch.peer !== from))) {
      this.stats.counts.malformed++;
      ctx.metrics.counter('channels.malformed').inc();
      return;
    }
    if (!ch) return;
    if (from === ch.peer) ch.connected = true;
    switch (msg.type) {
      case 'open-propose': return this.onOpenPropose(ch, msg);
      case 'open-accept': return this.onOpenAccept(ch, msg);
      case 'open-sig': return this.onOpenSig(ch, msg);
      case 'update': return this.onUpdateReceived(ch, msg);
      case 'ack': return this.onAck(ch, msg);
      case 'revoke': return this.onRevoke(ch, msg);
      case 'close-sig': return this.onCloseSig(ch, msg);
      case 'chain-event': return this.onChainEvent(ch, msg.object);
      default:
        return;
    }
  }

  /** A message that fails the protocol's checks (forged, inconsistent): dropped and counted. */
  private bad(_ch: ChannelView, _why: string): void {
    this.stats.counts.malformed++;
    this.ctx.metrics.counter('channels.malformed').inc();
  }

  /** A well-formed message that arrives out of turn (a retransmission, a peer back from a crash): dropped and counted apart. */
  private stale(): void {
    this.stats.counts.stale++;
  }

  private onOpenPropose(ch: ChannelView, m: Extract<ChannelMessage, { type: 'open-propose' }>): void {
    if (ch.me !== 'b' || ch.latest || m.depositA !== ch.def.depositA || m.depositB !== ch.def.depositB || m.window !== this.w.timing.disputeBlocks) return this.bad(ch, 'open terms');
    ch.open = { peerRev0: m.rev0, peerRev1: m.rev1 };
    const s0 = this.initialState(ch, m.rev0);
    ch.peerNextHash = m.rev1;
    this.ctx.charge(this.w.costs.signUs);
    this.send(ch.peer, { type: 'open-accept', channel: ch.def.id, rev0: this.myHash(ch.def.id, 0), rev1: this.myHash(ch.def.id, 1), sigTerms: signDigest(this.w, this.id, this.termsDigest(ch)), sigState: this.sign(s0) });
  }

  private onOpenAccept(ch: ChannelView, m: Extract<ChannelMessage, { type: 'open-accept' }>): void {
    if (ch.me !== 'a' || ch.latest) return this.bad(ch, 'open-accept');
    const s0 = this.initialState(ch, m.rev0);
    this.ctx.charge(2 * this.w.costs.verifyUs);
    if (!verifySig(this.w.key(ch.peer).publicKey, this.termsDigest(ch), m.sigTerms) || !verifyStateSig(s0, m.sigState, this.w.key(ch.peer).publicKey)) return this.bad(ch, 'open signatures');
    const mySig = this.sign(s0);
    ch.latest = { state: s0, sigA: mySig, sigB: m.sigState };
    ch.history.set(0, ch.latest);
    ch.peerNextHash = m.rev1;
    this.ctx.charge(this.w.costs.signUs);
    const sigTerms = signDigest(this.w, this.id, this.termsDigest(ch));
    this.submit({ op: 'open', channel: ch.def.id, a: ch.def.a, b: ch.def.b, depositA: ch.def.depositA, depositB: ch.def.depositB, window: this.w.timing.disputeBlocks, sigA: sigTerms, sigB: m.sigTerms });
    this.send(ch.peer, { type: 'open-sig', channel: ch.def.id, sigState: mySig });
  }

  private onOpenSig(ch: ChannelView, m: Extract<ChannelMessage, { type: 'open-sig' }>): void {
    if (ch.me !== 'b' || ch.latest || !ch.open) return this.bad(ch, 'open-sig');
    const s0 = this.initialState(ch, ch.open.peerRev0);
    if (!this.verify(s0, m.sigState, ch.peer)) return this.bad(ch, 'open-sig signature');
    ch.latest = { state: s0, sigA: m.sigState, sigB: signState(s0, this.w.key(this.id).secretKey) };
    ch.history.set(0, ch.latest);
  }

  // ---- updates --------------------------------------------------------------------------------

  /** Queues an operation on a channel and proposes when the channel is free. */
  enqueue(ch: ChannelView, op: Op): void {
    ch.queue.push(op);
    this.propose(ch);
  }

  protected canPropose(ch: ChannelView): boolean {
    return ch.status === 'open' && !!ch.latest && !ch.pending && !ch.awaitingRevoke && ch.queue.length > 0 && ch.peerNextHash !== '';
  }

  protected propose(ch: ChannelView): void {
    if (!this.canPropose(ch)) return;
    const ops = ch.queue.splice(0, this.w.maxOpsPerUpdate);
    const r = applyOps(ch.latest!.state, ops, ch.me, this.height(), this.w.maxHtlcs);
    if (typeof r === 'string') {
      // an op no longer applies (e.g. the HTLC it fulfils was failed meanwhile): drop them one by one
      this.stats.counts.rejectedUpdates++;
      const good: Op[] = [];
      let s = ch.latest!.state;
      for (const o of ops) {
        const t = applyOps(s, [o], ch.me, this.height(), this.w.maxHtlcs);
        if (typeof t === 'string') this.onOwnOpRefused(ch, o, t);
        else {
          good.push(o);
          s = t;
        }
      }
      ch.queue.unshift(...good);
      if (good.length) this.propose(ch);
      return;
    }
    const state: ChannelState = { ...r, seq: ch.latest!.state.seq + 1, revA: ch.me === 'a' ? this.myHash(ch.def.id, r.seq + 1) : ch.peerNextHash, revB: ch.me === 'b' ? this.myHash(ch.def.id, r.seq + 1) : ch.peerNextHash };
    const sig = this.sign(state);
    ch.pending = { ops, state, sig };
    this.sendUpdate(ch);
    this.armRetransmit(ch);
  }

  protected sendUpdate(ch: ChannelView): void {
    const p = ch.pending!;
    this.send(ch.peer, { type: 'update', channel: ch.def.id, ops: p.ops, state: p.state, sig: p.sig });
  }

  /** An op of mine that cannot be applied: fail the payment it belongs to. */
  private onOwnOpRefused(ch: ChannelView, o: Op, why: string): void {
    if (o.kind === 'add') this.attemptFailed(ch, o.htlc.id, o.onion, why === 'slots' ? 'htlc-slots-full' : 'insufficient-balance', ch.def.id);
  }

  protected armRetransmit(ch: ChannelView): void {
    if (ch.timer) this.ctx.cancelTimer(ch.timer);
    ch.timer = this.ctx.setTimer(this.w.timing.updateTimeoutUs, { retransmit: ch.def.id });
  }

  /** Receiver side of an update. */
  protected onUpdateReceived(ch: ChannelView, m: Extract<ChannelMessage, { type: 'update' }>): void {
    if (!ch.latest || ch.status !== 'open') return this.stale();
    const cur = ch.latest.state.seq;
    if (m.state.seq === cur && stateDigest(m.state) === stateDigest(ch.latest.state) && ch.lastAck) {
      this.ctx.send(ch.peer, ch.lastAck); // our ack was lost: resend it
      return;
    }
    if (m.state.seq !== cur + 1 || ch.awaitingRevoke) return this.stale();
    if (ch.pending) {
      // both proposed n + 1: the lower node id's proposal wins (ours, if we are lower)
      if (this.id < ch.peer) return;
      ch.queue.unshift(...ch.pending.ops);
      ch.pending = null;
    }
    if (!this.acceptProposal(ch, m)) {
      this.stats.counts.rejectedUpdates++;
      return this.bad(ch, 'update refused');
    }
    const mySig = this.sign(m.state);
    ch.latest = ch.me === 'a' ? { state: m.state, sigA: mySig, sigB: m.sig } : { state: m.state, sigA: m.sig, sigB: mySig };
    this.remember(ch);
    this.stats.counts.updates++;
    this.emitState(ch);
    ch.awaitingRevoke = { seq: m.state.seq, ops: m.ops };
    ch.lastAck = this.makeAck(ch, m.state.seq, mySig);
    this.ctx.send(ch.peer, ch.lastAck);
    this.armRetransmit(ch);
    this.towerUpdate(ch);
    // a fulfilled HTLC of ours reveals its preimage now: pass it upstream at once (BOLT 2: "as soon as possible")
    for (const o of m.ops) if (o.kind === 'fulfill') this.learnPreimage(ch, o.id, o.preimage);
  }

  protected makeAck(ch: ChannelView, seq: number, sig: string): ChannelMessage {
    const secret = this.secret(ch.def.id, seq - 1);
    const nextHash = this.myHash(ch.def.id, seq + 1);
    const msg = { type: 'ack', channel: ch.def.id, seq, sig, secret, nextHash };
    return { ...msg, size: wireSize(msg), digest: sha256hex(`ack|${ch.def.id}|${seq}`).slice(0, 16) } as ChannelMessage;
  }

  /**
   * Validation of a received update: the proposed state must be exactly the latest state with the
   * operations applied by the proposer (balances sum to the capacity, no overdraft, HTLC rules),
   * our own next revocation hash, and carry the proposer's valid signature.
   */
  protected acceptProposal(ch: ChannelView, m: Extract<ChannelMessage, { type: 'update' }>): boolean {
    const expected = applyOps(ch.latest!.state, m.ops, other(ch.me), this.height(), this.w.maxHtlcs);
    if (typeof expected === 'string') return false;
    const mine = this.myHash(ch.def.id, m.state.seq);
    const want: ChannelState = { ...expected, seq: m.state.seq, revA: ch.me === 'a' ? mine : m.state.revA, revB: ch.me === 'b' ? mine : m.state.revB };
    if (stateDigest(want) !== stateDigest(m.state)) return false;
    if (stateValue(m.state) !== ch.capacity) return false;
    for (const o of m.ops) if (o.kind === 'add' && o.htlc.expiry <= this.height() + this.w.timing.expiryMarginBlocks) return false;
    return this.verify(m.state, m.sig, ch.peer);
  }

  /** Proposer side: the peer countersigned. */
  private onAck(ch: ChannelView, m: Extract<ChannelMessage, { type: 'ack' }>): void {
    if (!ch.pending || m.seq !== ch.pending.state.seq) {
      if (ch.lastRevoke && ch.latest && m.seq === ch.latest.state.seq) this.ctx.send(ch.peer, ch.lastRevoke); // our revoke was lost
      return;
    }
    const old = ch.latest!.state;
    const peerRev = ch.me === 'a' ? old.revB : old.revA;
    if (revocationHash(m.secret) !== peerRev || !this.verify(ch.pending.state, m.sig, ch.peer)) return this.bad(ch, 'ack');
    const p = ch.pending;
    ch.pending = null;
    ch.latest = ch.me === 'a' ? { state: p.state, sigA: p.sig, sigB: m.sig } : { state: p.state, sigA: m.sig, sigB: p.sig };
    this.remember(ch);
    ch.peerSecrets.set(old.seq, m.secret);
    ch.peerNextHash = m.nextHash;
    this.stats.counts.updates++;
    this.emitState(ch);
    if (ch.timer) this.ctx.cancelTimer(ch.timer);
    ch.timer = 0;
    this.sendRevoke(ch, old.seq);
    this.towerUpdate(ch, [[old.seq, m.secret]]);
    this.afterOwnOps(ch, p.ops);
    this.propose(ch);
  }

  protected sendRevoke(ch: ChannelView, oldSeq: number): void {
    const msg = { type: 'revoke', channel: ch.def.id, seq: oldSeq, secret: this.secret(ch.def.id, oldSeq), nextHash: this.myHash(ch.def.id, oldSeq + 2) };
    ch.lastRevoke = { ...msg, size: wireSize(msg), digest: sha256hex(`revoke|${ch.def.id}|${oldSeq}`).slice(0, 16) } as ChannelMessage;
    this.ctx.send(ch.peer, ch.lastRevoke);
  }

  /** Receiver side: the proposer revoked the state before its proposal; its operations are locked. */
  private onRevoke(ch: ChannelView, m: Extract<ChannelMessage, { type: 'revoke' }>): void {
    const a = ch.awaitingRevoke;
    if (!a || m.seq !== a.seq - 1) return;
    const old = ch.history.get(m.seq)!.state;
    const peerRev = ch.me === 'a' ? old.revB : old.revA;
    if (revocationHash(m.secret) !== peerRev) return this.bad(ch, 'revoke secret');
    ch.peerSecrets.set(m.seq, m.secret);
    ch.peerNextHash = m.nextHash;
    ch.awaitingRevoke = null;
    if (ch.timer) this.ctx.cancelTimer(ch.timer);
    ch.timer = 0;
    this.towerUpdate(ch, [[m.seq, m.secret]]);
    for (const o of a.ops) {
      if (o.kind === 'add') this.onIncomingLocked(ch, o.htlc, o.onion);
      else if (o.kind === 'fail') this.onOutgoingFailed(ch, o.id, o.reason, o.failedChannel);
      else if (o.kind === 'pay') this.ctx.metrics.counter('channels.direct-received').inc();
    }
    this.propose(ch);
  }

  /** After our own update completed: incoming HTLCs we fulfilled or failed are resolved. */
  private afterOwnOps(ch: ChannelView, ops: readonly Op[]): void {
    for (const o of ops) {
      if (o.kind === 'fulfill' || o.kind === 'fail') {
        this.ctx.emit({ kind: 'htlc-resolved', node: this.id, channel: ch.def.id, id: o.id, hash: null, dir: 'in', outcome: o.kind === 'fulfill' ? 'fulfilled' : 'failed', amount: findHtlcAmount(ch, o.id) });
      }
    }
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    this.ctx = ctx;
    if (tag === 'tick') {
      this.onTick();
      ctx.setTimer(this.w.timing.blockUs, 'tick');
      return;
    }
    const t = tag as { retransmit?: string; paymentTimeout?: string };
    if (t.retransmit) {
      const ch = this.channels.get(t.retransmit)!;
      ch.timer = 0;
      if (ch.pending) {
        ch.connected = false;
        this.sendUpdate(ch);
        this.armRetransmit(ch);
      } else if (ch.awaitingRevoke && ch.lastAck) {
        ch.connected = false;
        this.ctx.send(ch.peer, ch.lastAck);
        this.armRetransmit(ch);
      }
    } else if (t.paymentTimeout) {
      const p = this.stats.payments.get(t.paymentTimeout);
      if (p && p.status === 'pending') this.finishPayment(p, 'failed', 'timeout');
    }
  }

  // ---- payments -------------------------------------------------------------------------------

  /** Out of band (the harness): this node issues an invoice; returns the payment hash. */
  createInvoice(amount: bigint): string {
    const preimage = sha256hex(`channels/preimage|${this.ctx?.seedFor?.('invoices') ?? this.id}|${this.invoiceCounter++}`);
    const hash = sha256hex(Buffer.from(preimage, 'hex'));
    this.invoices.set(hash, { preimage, amount });
    return hash;
  }

  /** Starts paying `amount` to `receiver` for invoice `hash`. */
  pay(ctx: Ctx, receiver: NodeId, amount: bigint, hash: string): PaymentRecord {
    this.ctx = ctx;
    const p: PaymentRecord = { id: `${this.id}/${this.paymentCounter++}`, sender: this.id, receiver, amount, hash, startUs: ctx.now(), attempts: 0, status: 'pending', excluded: new Set() };
    this.stats.payments.set(p.id, p);
    ctx.setTimer(this.w.timing.paymentTimeoutUs, { paymentTimeout: p.id });
    this.attempt(p);
    return p;
  }

  private view?: { graph: ChannelGraph; own: { edge: ChannelGraph['channels'][number]; ch: ChannelView }[] };

  /**
   * The graph as this node routes on it: the public graph (capacities, policies) with its own
   * channels' edges replaced by copies carrying what it can send now (0 unless open). One object
   * per node, so the routing module's per-graph search structures are built once.
   */
  protected graphView(): ChannelGraph {
    if (!this.view) {
      const own: { edge: ChannelGraph['channels'][number]; ch: ChannelView }[] = [];
      const channels = this.w.graph.channels.map((e) => {
        const ch = this.channels.get(e.id);
        if (!ch) return e;
        const edge = { ...e };
        own.push({ edge, ch });
        return edge;
      });
      this.view = { graph: { nodes: this.w.graph.nodes, channels }, own };
    }
    for (const { edge, ch } of this.view.own) {
      // what we can send now; the graph's rule is that both directions sum to the capacity
      let bal = ch.status === 'open' ? this.available(ch) : 0n;
      if (bal < 0n) bal = 0n;
      if (ch.me === 'a') (edge.balanceA = bal), (edge.balanceB = edge.capacityMsat - bal);
      else (edge.balanceB = bal), (edge.balanceA = edge.capacityMsat - bal);
    }
    return this.view.graph;
  }

  protected attempt(p: PaymentRecord): void {
    if (p.attempts >= this.w.maxAttempts) return this.finishPayment(p, 'failed', p.reason ?? 'no-path');
    const route = findRoute(this.graphView(), String(this.id), String(p.receiver), p.amount, { currentHeight: this.height(), finalCltvDelta: this.w.finalCltvDelta, maxHops: this.w.maxHops, exclude: p.excluded });
    if (!route) return this.finishPayment(p, 'failed', p.attempts === 0 ? 'no-path' : p.reason ?? 'no-path');
    p.attempts++;
    const first = this.channels.get(route[0].channelId)!;
    if (!first.connected) {
      p.reason = 'offline-node';
      p.excluded.add(first.def.id);
      return this.attempt(p);
    }
    if (this.offeredSlots(first) >= this.w.maxHtlcs) {
      p.reason = 'htlc-slots-full';
      p.excluded.add(first.def.id);
      return this.attempt(p);
    }
    const htlc: Htlc = { id: `${first.me}${first.htlcCounter++}`, offerer: first.me, amount: route[0].amountMsat, hash: p.hash, expiry: route[0].expiryHeight };
    p.inFlight = { channel: first.def.id, htlcId: htlc.id, hops: route };
    this.paymentsByHtlc.set(`${first.def.id}/${htlc.id}`, p);
    this.enqueue(first, { kind: 'add', htlc, onion: { paymentId: p.id, hops: route, index: 0 } });
  }

  protected finishPayment(p: PaymentRecord, status: 'succeeded' | 'failed', reason?: FailReason): void {
    if (p.status !== 'pending') return;
    p.status = status;
    p.reason = status === 'failed' ? reason : undefined;
    p.endUs = this.ctx.now();
    if (status === 'succeeded' && p.inFlight) {
      p.routeLength = p.inFlight.hops.length;
      p.feesMsat = p.inFlight.hops[0].amountMsat - p.amount;
    }
    this.ctx.emit({ kind: 'payment', id: p.id, status, reason: p.reason ?? null });
  }

  /** An add of ours was refused locally or failed downstream: retry or give up (sender) / fail upstream (hop). */
  protected attemptFailed(ch: ChannelView, htlcId: string, onion: Onion, reason: FailReason, failedChannel: string): void {
    const link = this.links.get(`${ch.def.id}/${htlcId}`);
    if (link) {
      this.links.delete(`${ch.def.id}/${htlcId}`);
      const inCh = this.channels.get(link.inChannel)!;
      this.enqueue(inCh, { kind: 'fail', id: link.inHtlc, reason, failedChannel });
      return;
    }
    const p = this.stats.payments.get(onion.paymentId);
    if (!p || p.sender !== this.id || p.status !== 'pending' || p.inFlight?.htlcId !== htlcId || p.inFlight.channel !== ch.def.id) return;
    p.reason = reason;
    if (failedChannel) p.excluded.add(failedChannel);
    p.inFlight = undefined;
    this.attempt(p);
  }

  /** An outgoing HTLC of ours was failed by the peer (locked). */
  private onOutgoingFailed(ch: ChannelView, htlcId: string, reason: FailReason, failedChannel: string): void {
    const h = ch.htlcsSeen.get(htlcId);
    this.ctx.emit({ kind: 'htlc-resolved', node: this.id, channel: ch.def.id, id: htlcId, hash: h?.hash ?? null, dir: 'out', outcome: 'failed', amount: h?.amount ?? 0n });
    const p = this.findPaymentByHtlc(ch.def.id, htlcId);
    this.attemptFailed(ch, htlcId, { paymentId: p?.id ?? '', hops: [], index: 0 }, reason, failedChannel);
  }

  private findPaymentByHtlc(channel: string, htlcId: string): PaymentRecord | undefined {
    const p = this.paymentsByHtlc.get(`${channel}/${htlcId}`);
    return p && p.inFlight?.channel === channel && p.inFlight.htlcId === htlcId ? p : undefined;
  }

  /** A preimage for one of our outgoing HTLCs (off chain or from an on-chain claim). */
  protected learnPreimage(ch: ChannelView, htlcId: string, preimage: string): void {
    const key = `${ch.def.id}/${htlcId}`;
    const hash = sha256hex(Buffer.from(preimage, 'hex'));
    this.preimages.set(hash, preimage);
    if (ch.handled.has(`out-done/${htlcId}`)) return;
    ch.handled.add(`out-done/${htlcId}`);
    const amount = findHtlcAmount(ch, htlcId);
    this.ctx.emit({ kind: 'htlc-resolved', node: this.id, channel: ch.def.id, id: htlcId, hash, dir: 'out', outcome: 'fulfilled', amount });
    const link = this.links.get(key);
    if (link) {
      this.links.delete(key);
      const inCh = this.channels.get(link.inChannel)!;
      const inAmount = findHtlcAmount(inCh, link.inHtlc);
      this.stats.feesEarned.set(this.id, (this.stats.feesEarned.get(this.id) ?? 0n) + (inAmount - amount));
      this.fulfillIncoming(inCh, link.inHtlc, preimage);
      return;
    }
    const p = this.findPaymentByHtlc(ch.def.id, htlcId);
    if (p) this.finishPayment(p, 'succeeded');
  }

  protected fulfillIncoming(inCh: ChannelView, htlcId: string, preimage: string): void {
    if (inCh.status === 'open') this.enqueue(inCh, { kind: 'fulfill', id: htlcId, preimage });
    else if (inCh.status === 'closing') this.claimOnChain(inCh);
  }

  /**
   * An incoming HTLC is locked (the proposer revoked the state before it): settle it if we are the
   * receiver, else forward it along the onion — the fee and expiry rules of BOLT 4 / BOLT 7.
   */
  protected onIncomingLocked(ch: ChannelView, htlc: Htlc, onion: Onion): void {
    if (ch.handled.has(`in/${htlc.id}`)) return;
    ch.handled.add(`in/${htlc.id}`);
    this.ctx.emit({ kind: 'htlc-locked', node: this.id, channel: ch.def.id, id: htlc.id, hash: htlc.hash, amount: htlc.amount });
    if (this.holdIncoming(ch, htlc, onion)) return;
    const hop = onion.hops[onion.index];
    const fail = (reason: FailReason, failed = '') => this.enqueue(ch, { kind: 'fail', id: htlc.id, reason, failedChannel: failed });
    if (!hop || hop.to !== String(this.id) || hop.channelId !== ch.def.id || hop.amountMsat !== htlc.amount || hop.expiryHeight !== htlc.expiry) return fail('policy', ch.def.id);
    if (onion.index === onion.hops.length - 1) {
      const inv = this.invoices.get(htlc.hash);
      if (!inv || htlc.amount < inv.amount) return fail('unknown-payment');
      this.ctx.emit({ kind: 'payment-received', node: this.id, hash: htlc.hash, amount: htlc.amount });
      return this.enqueue(ch, { kind: 'fulfill', id: htlc.id, preimage: inv.preimage });
    }
    this.forward(ch, htlc, onion);
  }

  /** Griefing seam: an honest node never holds an HTLC. */
  protected holdIncoming(_ch: ChannelView, _htlc: Htlc, _onion: Onion): boolean {
    return false;
  }

  protected forward(inCh: ChannelView, htlc: Htlc, onion: Onion): void {
    const next = onion.hops[onion.index + 1];
    const fail = (reason: FailReason, failed: string) => this.enqueue(inCh, { kind: 'fail', id: htlc.id, reason, failedChannel: failed });
    const out = this.channels.get(next.channelId);
    if (!out || next.from !== String(this.id) || out.peer !== Number(next.to)) return fail('policy', next.channelId);
    // our own announced policy for this direction (BOLT 7 channel_update): fee and expiry delta
    const edge = this.w.edge(out.def.id);
    const policy = out.me === 'a' ? edge.policyAtoB : edge.policyBtoA;
    if (htlc.amount - next.amountMsat < forwardingFee(policy, next.amountMsat) || htlc.expiry - next.expiryHeight < policy.cltvDelta) return fail('policy', next.channelId);
    if (out.status !== 'open' || !out.connected) return fail('offline-node', next.channelId);
    if (this.offeredSlots(out) >= this.w.maxHtlcs) return fail('htlc-slots-full', next.channelId);
    if (this.available(out) < next.amountMsat) return fail('insufficient-balance', next.channelId);
    if (next.expiryHeight <= this.height() + this.w.timing.expiryMarginBlocks) return fail('expiry-too-soon', next.channelId);
    const h: Htlc = { id: `${out.me}${out.htlcCounter++}`, offerer: out.me, amount: next.amountMsat, hash: htlc.hash, expiry: next.expiryHeight };
    this.links.set(`${out.def.id}/${h.id}`, { inChannel: inCh.def.id, inHtlc: htlc.id });
    this.ctx.emit({ kind: 'forward', node: this.id, hash: htlc.hash, inChannel: inCh.def.id, inHtlc: htlc.id, outChannel: out.def.id, outHtlc: h.id, inAmount: htlc.amount, outAmount: h.amount });
    this.enqueue(out, { kind: 'add', htlc: h, onion: { ...onion, index: onion.index + 1 } });
  }

  // ---- watchtower -----------------------------------------------------------------------------

  protected towerUpdate(ch: ChannelView, secrets: (readonly [number, string])[] = []): void {
    const tower = this.w.towerOf.get(this.id);
    if (tower === undefined || !ch.latest) return;
    this.send(tower, { type: 'tower-update', channel: ch.def.id, owner: this.id, signed: ch.latest, secrets });
  }

  // ---- closing and the chain ------------------------------------------------------------------

  /** Cooperative close (the harness calls it at `closeAt`): a sends its closing signature; b submits. */
  closeCooperatively(ctx: Ctx, channel: string): void {
    this.ctx = ctx;
    const ch = this.channels.get(channel);
    if (!ch || ch.me !== 'a' || ch.status !== 'open' || !ch.latest || ch.latest.state.htlcs.length > 0 || ch.pending || ch.awaitingRevoke || ch.queue.length) return;
    this.ctx.charge(this.w.costs.signUs);
    this.send(ch.peer, { type: 'close-sig', channel, seq: ch.latest.state.seq, sig: signClosing(ch.latest.state, this.w.key(this.id).secretKey) });
  }

  private onCloseSig(ch: ChannelView, m: Extract<ChannelMessage, { type: 'close-sig' }>): void {
    if (ch.me !== 'b' || ch.status !== 'open' || !ch.latest || m.seq !== ch.latest.state.seq || ch.latest.state.htlcs.length > 0 || ch.pending || ch.awaitingRevoke) return;
    this.ctx.charge(this.w.costs.verifyUs);
    if (!verifyClosing(ch.latest.state, m.sig, this.w.key(ch.peer).publicKey)) return this.bad(ch, 'close-sig');
    const mine = signClosing(ch.latest.state, this.w.key(this.id).secretKey);
    ch.status = 'closing';
    this.submit({ op: 'close', channel: ch.def.id, signed: { state: ch.latest.state, sigA: m.sig, sigB: mine }, by: 'b', cooperative: true });
  }

  /** Unilateral close with our latest state (or, for the revoked-state adversary, an older one). */
  forceClose(ch: ChannelView, signed: SignedState = ch.latest!): void {
    if (ch.status !== 'open' || !signed) return;
    ch.status = 'closing';
    this.stats.counts.forceCloses++;
    this.submit({ op: 'close', channel: ch.def.id, signed, by: ch.me, cooperative: false });
  }

  protected onTick(): void {
    const h = this.height();
    for (const ch of this.channels.values()) {
      if (ch.status !== 'open' || !ch.latest) continue;
      for (const x of ch.latest.state.htlcs) {
        // an HTLC near expiry: ours must be refunded, theirs claimed if we know the preimage — on chain (BOLT 5)
        const ours = x.offerer === ch.me;
        const known = !ours && this.preimages.has(x.hash);
        if ((ours || known) && x.expiry <= h + this.w.timing.expiryMarginBlocks) {
          this.forceClose(ch);
          break;
        }
      }
    }
  }

  protected onChainEvent(ch: ChannelView, o: ChannelObject | null): void {
    if (!o) return;
    const before = ch.onChain;
    ch.onChain = o;
    if (o.status === 'open' && ch.status === 'funding') {
      ch.status = 'open';
      this.propose(ch);
      return;
    }
    if (o.status === 'closing') {
      if (ch.status === 'open' || ch.status === 'funding') ch.status = 'closing';
      const published = parseSigned(o.published!);
      if (o.closedBy !== ch.me) this.dispute(ch, published);
      this.claimOnChain(ch);
      // preimages claimed on chain by the peer for our HTLCs
      for (const [id, pre] of Object.entries(o.claims ?? {})) {
        const h = published.state.htlcs.find((x) => x.id === id);
        if (h && h.offerer === ch.me) this.learnPreimage(ch, id, pre);
      }
    }
    if (o.status === 'closed' && before?.status !== 'closed') {
      ch.status = 'closed';
      this.ctx.emit({ kind: 'channel-closed-seen', node: this.id, channel: ch.def.id });
      if (o.outcome === 'settled') {
        const published = parseSigned(o.published!);
        for (const h of published.state.htlcs) {
          if (h.offerer !== ch.me) continue;
          const pre = o.claims?.[h.id];
          if (pre) this.learnPreimage(ch, h.id, pre);
          else if (!ch.handled.has(`out-done/${h.id}`)) {
            ch.handled.add(`out-done/${h.id}`);
            this.ctx.emit({ kind: 'htlc-resolved', node: this.id, channel: ch.def.id, id: h.id, hash: h.hash, dir: 'out', outcome: 'failed', amount: h.amount });
            const p = this.findPaymentByHtlc(ch.def.id, h.id);
            this.attemptFailed(ch, h.id, { paymentId: p?.id ?? '', hops: [], index: 0 }, 'timeout', ch.def.id);
          }
        }
      }
      // HTLCs queued on a closed channel can no longer go anywhere
      for (const op of ch.queue) this.onOwnOpRefused(ch, op, 'closed');
      ch.queue = [];
    }
  }

  /** Contest a unilateral close by the peer: its revocation secret if we hold it, else our newer state. */
  protected dispute(ch: ChannelView, published: SignedState): void {
    const latest = ch.latest;
    if (!latest || published.state.seq >= latest.state.seq || ch.handled.has(`dispute/${published.state.seq}`)) return;
    ch.handled.add(`dispute/${published.state.seq}`);
    this.stats.counts.disputes++;
    const secret = ch.peerSecrets.get(published.state.seq);
    this.submit(secret ? { op: 'dispute', channel: ch.def.id, revocationSecret: secret } : { op: 'dispute', channel: ch.def.id, newer: latest });
  }

  /** Claim on chain every HTLC offered to us in the published state whose preimage we know. */
  protected claimOnChain(ch: ChannelView): void {
    const o = ch.onChain;
    if (!o || o.status !== 'closing') return;
    const published = parseSigned(o.published!);
    for (const h of published.state.htlcs) {
      if (h.offerer === ch.me || o.claims?.[h.id] !== undefined || ch.handled.has(`claim/${h.id}/${published.state.seq}`)) continue;
      const pre = this.preimages.get(h.hash) ?? this.invoices.get(h.hash)?.preimage;
      if (!pre || h.expiry < this.height()) continue;
      ch.handled.add(`claim/${h.id}/${published.state.seq}`);
      this.stats.counts.claims++;
      this.submit({ op: 'claim', channel: ch.def.id, htlcId: h.id, preimage: pre });
    }
  }
}

function findHtlcAmount(ch: ChannelView, id: string): bigint {
  return ch.htlcsSeen.get(id)?.amount ?? 0n;
}

/**
 * Applies a proposer's operations to a state (BOLT 2 update rules): `pay` and `add` need the
 * proposer's balance and (for `add`) a free HTLC slot; `fulfill` needs the preimage of an HTLC the
 * other side offered; `fail` removes an HTLC the other side offered and refunds it. Returns the
 * new balances and HTLCs (sequence number and revocation hashes are the caller's), or the reason
 * it does not apply.
 */
export function applyOps(s: ChannelState, ops: readonly Op[], proposer: Side, _height: number, maxHtlcs: number): ChannelState | string {
  let a = s.balanceA;
  let b = s.balanceB;
  const htlcs = [...s.htlcs];
  const take = (side: Side, x: bigint) => (side === 'a' ? (a -= x) : (b -= x));
  const give = (side: Side, x: bigint) => (side === 'a' ? (a += x) : (b += x));
  const bal = (side: Side) => (side === 'a' ? a : b);
  for (const o of ops) {
    if (o.kind === 'pay') {
      if (o.amount <= 0n || bal(proposer) < o.amount) return 'balance';
      take(proposer, o.amount);
      give(other(proposer), o.amount);
    } else if (o.kind === 'add') {
      const h = o.htlc;
      if (h.offerer !== proposer || h.amount <= 0n || bal(proposer) < h.amount) return 'balance';
      if (htlcs.some((x) => x.id === h.id)) return 'duplicate htlc';
      if (htlcs.filter((x) => x.offerer === proposer).length >= maxHtlcs) return 'slots';
      take(proposer, h.amount);
      htlcs.push({ id: h.id, offerer: h.offerer, amount: h.amount, hash: h.hash, expiry: h.expiry });
    } else {
      const i = htlcs.findIndex((x) => x.id === o.id);
      if (i < 0 || htlcs[i].offerer === proposer) return 'no such htlc';
      const h = htlcs[i];
      if (o.kind === 'fulfill') {
        if (createHash('sha256').update(Buffer.from(o.preimage, 'hex')).digest('hex') !== h.hash) return 'preimage';
        give(proposer, h.amount);
      } else give(h.offerer, h.amount);
      htlcs.splice(i, 1);
    }
  }
  return { ...s, balanceA: a, balanceB: b, htlcs };
}

export { ChannelChaincode };
