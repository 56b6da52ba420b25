/**
 * A patient (seed 002's client, §3.2): receives bills from hospitals and the insurance centre,
 * pays them from its encrypted balance, and follows the Fabric client flow.
 *
 * 1. Bills arrive as a Poisson stream (`workload.rate` per patient), each for a uniform integer
 *    amount, payable to the insurer (share `insurerShare`) or a uniformly chosen hospital.
 * 2. Execute: the patient builds the payment against the balance it knows to be committed
 *    (ciphertext, version) — all the §3.2 proofs plus the regulator's copy — and signs it
 *    (authorisation, 2e); the proof time is charged to its clock. It sends the proposal to as
 *    many organisations as the endorsement policy needs, the payee's first, the others rotating
 *    by patient, and asks another organisation when one does not answer in time.
 * 3. Order: with enough endorsements it submits the envelope to the ordering service through its
 *    own PBFT client (`PbftClient.submit`, f + 1 matching replies acknowledge ordering).
 * 4. Validate: its home organisation's peer reports the outcome. Committed: the patient's known
 *    balance becomes A' at version + 1. Invalid because of the version check: it queries its
 *    balance and pays the bill again. Without an outcome in `statusTimeout` it queries its
 *    balance and recognises a commit by its own A'.
 *
 * An honest patient never pays more than it has, keeps at most `inFlight` payments open (each
 * built on the committed balance, so with `inFlight` > 1 later ones conflict when an earlier one
 * commits — Fabric's MVCC conflicts), and refuses nothing it is asked to pay otherwise.
 * Adversarial patients (adversaries.ts) override `build`, the endorser choice and what to do with
 * refusals.
 */
import { ForwardingContext } from '../../sim/forwarding-context.ts';
import type { Micros, NodeContext, NodeId, Observation, ProtocolNode } from '../../sim/types.ts';
import { decryptSigned, type PaillierKeyPair } from '../crypto/paillier.ts';
import { seededRandom, type RandomSource } from '../crypto/random.ts';
import { PbftClient } from '../pbft/client.ts';
import type { PbftMessage } from '../pbft/messages.ts';
import { encodeEnvelope, envelopeOperation, type Endorsement } from './envelope.ts';
import { proposeMsg, queryMsg, type AccountMsg, type EndorseMsg, type RefuseMsg, type SettleMessage, type StatusMsg } from './messages.ts';
import { PAY } from './pay-chaincode.ts';
import type { Account } from './parties.ts';
import { buildPayment, signPayment, type SignedPayment } from './payment.ts';
import type { SettlementWorld } from './world.ts';

export type PatientMessage = SettleMessage | PbftMessage;

export interface Bill {
  readonly payee: string;
  readonly amount: bigint;
  /** Virtual time the bill arrived, µs. */
  readonly arrivedUs: Micros;
  /** Times this bill was paid again after a version conflict or a stale read. */
  retries: number;
}

/** What the patient believes is its committed balance. */
export interface KnownBalance {
  ciphertext: bigint;
  version: number;
  amount: bigint;
}

export interface Pending {
  readonly payment: SignedPayment;
  readonly bill: Bill;
  /** Organisations asked, endorsements and refusals received. */
  readonly asked: Set<number>;
  readonly endorsements: Map<number, string>;
  readonly refusals: Map<number, string>;
  state: 'endorsing' | 'submitted';
  /** Virtual time the proposal went out. */
  readonly proposedUs: Micros;
}

type PatientTimer =
  | { type: 'settle-bill' }
  | { type: 'settle-endorse-timeout'; txId: string }
  | { type: 'settle-status-timeout'; txId: string }
  | { type: 'settle-query-timeout' };

const isPatientTimer = (t: unknown): t is PatientTimer => typeof (t as { type?: unknown })?.type === 'string' && (t as { type: string }).type.startsWith('settle-');

/** The PBFT client's context, with its `pbft.accepted` observations reported back. */
class ClientContext extends ForwardingContext<PbftMessage> {
  constructor(
    inner: NodeContext<PatientMessage>,
    private readonly onAccepted: (timestamp: number) => void,
  ) {
    super(inner as NodeContext<never>);
  }
  override emit(observation: Observation): void {
    super.emit(observation);
    if (observation.kind === 'pbft.accepted') this.onAccepted(observation.timestamp as number);
  }
}

export class PatientNode implements ProtocolNode<PatientMessage> {
  readonly account: Account;
  readonly client: PbftClient;
  protected readonly keyPair: PaillierKeyPair;
  readonly known: KnownBalance;
  protected readonly bills: Bill[] = [];
  protected readonly pending = new Map<string, Pending>();
  /** PBFT timestamps of submitted transactions → txId (ordering acknowledgements). */
  private readonly submitted = new Map<number, string>();
  protected random: RandomSource | undefined;
  private querying = false;
  private clientCtx: ClientContext | undefined;
  private ctxOf: NodeContext<PatientMessage> | undefined;
  /** Counters for summaries and tests. */
  readonly stats = { bills: 0, committed: 0, conflicts: 0, dropped: new Map<string, number>(), submitted: 0 };

  constructor(
    readonly self: NodeId,
    readonly index: number,
    protected readonly w: SettlementWorld,
  ) {
    const a = w.directory.accountOfNode(self);
    if (!a || a.kind !== 'patient') throw new Error(`settlement: node ${self} holds no patient account`);
    this.account = a;
    this.keyPair = w.directory.keyPair(a.id);
    this.known = { ciphertext: w.directory.genesis.get(a.id)!, version: 0, amount: w.directory.genesisAmounts.get(a.id)! };
    this.client = new PbftClient(self, { members: w.layout.orderers, epoch: 0, startView: 0 }, w.keys, {
      ratePerSec: 0, maxOutstanding: 1_000_000, retransmitUs: w.retransmitUs, opBytes: 0, startUs: 0, stopUs: Number.POSITIVE_INFINITY,
    });
  }

  /** The home organisation: its peer reports this patient's outcomes and answers its queries. */
  get homePeer(): NodeId {
    return this.w.layout.orgs[this.index % this.w.layout.orgs.length].peer;
  }

  private cctx(ctx: NodeContext<PatientMessage>): NodeContext<PbftMessage> {
    if (!this.clientCtx || this.ctxOf !== ctx) {
      this.ctxOf = ctx;
      this.clientCtx = new ClientContext(ctx, (ts) => this.onOrdered(ctx, ts));
    }
    return this.clientCtx;
  }

  onStart(ctx: NodeContext<PatientMessage>): void {
    this.random = seededRandom(ctx.seedFor('settlement/prover'), 'settlement/prover');
    // Before trusting its commitments to hide anything, a prover checks the regulator's Π^prm
    // proof for (N̂, s, t) once (verified once per run and shared: module.ts).
    ctx.charge(this.w.costs.setupVerifyUs);
    this.client.onStart(this.cctx(ctx));
    this.scheduleBill(ctx);
  }

  onRecover(ctx: NodeContext<PatientMessage>): void {
    this.client.onRecover(this.cctx(ctx));
    this.scheduleBill(ctx);
    this.query(ctx);
  }

  onCrash(): void {
    // Open payments are lost with the process (their bills are not: they are on disk).
    for (const p of this.pending.values()) this.bills.unshift(p.bill);
    this.pending.clear();
    this.querying = false;
  }

  // ---- bills ---------------------------------------------------------------------------------

  private scheduleBill(ctx: NodeContext<PatientMessage>): void {
    const wl = this.w.workload;
    if (wl.ratePerSec <= 0 || this.stats.bills >= wl.maxBills) return;
    const gap = Math.max(1, Math.round(ctx.rng('settlement/bills').exponential(1e6 / wl.ratePerSec)));
    const at = Math.max(ctx.now(), wl.startUs) + gap;
    if (at > wl.stopUs) return;
    ctx.setTimer(at - ctx.now(), { type: 'settle-bill' } satisfies PatientTimer);
  }

  /** A new bill: payee and amount from this patient's own stream. */
  protected newBill(ctx: NodeContext<PatientMessage>): Bill {
    const wl = this.w.workload;
    const rng = ctx.rng('settlement/bill-kind');
    const orgs = this.w.layout.orgs;
    const insurer = orgs.find((o) => o.name === 'insurer');
    const hospitals = orgs.filter((o) => o.name !== 'insurer');
    const payee = insurer && (hospitals.length === 0 || rng.chance(wl.insurerShare)) ? insurer.name : hospitals[rng.int(hospitals.length)].name;
    const amount = BigInt(rng.intBetween(wl.minAmount, wl.maxAmount));
    return { payee, amount, arrivedUs: ctx.now(), retries: 0 };
  }

  onTimer(ctx: NodeContext<PatientMessage>, tag: unknown): void {
    if (!isPatientTimer(tag)) return this.client.onTimer(this.cctx(ctx), tag);
    switch (tag.type) {
      case 'settle-bill':
        this.stats.bills++;
        ctx.metrics.counter('settlement.bills').inc();
        this.bills.push(this.newBill(ctx));
        this.scheduleBill(ctx);
        this.pump(ctx);
        return;
      case 'settle-endorse-timeout':
        return this.onEndorseTimeout(ctx, tag.txId);
      case 'settle-status-timeout':
        if (this.pending.get(tag.txId)?.state !== 'submitted') return;
        this.query(ctx);
        ctx.setTimer(this.w.timing.statusTimeoutUs, tag);
        return;
      case 'settle-query-timeout':
        if (!this.querying) return;
        this.querying = false; // the answer was lost: ask again
        this.query(ctx);
        return;
    }
  }

  /** Amount promised to open payments. */
  private promised(): bigint {
    let s = 0n;
    for (const p of this.pending.values()) s += p.bill.amount;
    return s;
  }

  /** Pays queued bills while payments may be opened. */
  protected pump(ctx: NodeContext<PatientMessage>): void {
    while (!this.querying && this.bills.length > 0 && this.pending.size < this.w.workload.inFlight) {
      const bill = this.bills[0];
      if (bill.amount > this.known.amount - this.promised()) {
        if (this.pending.size > 0) return; // wait: an open payment may still fail and free funds
        this.bills.shift();
        this.drop(ctx, 'insufficient-funds');
        continue;
      }
      this.bills.shift();
      this.pay(ctx, bill);
    }
  }

  protected drop(ctx: NodeContext<PatientMessage>, why: string): void {
    this.stats.dropped.set(why, (this.stats.dropped.get(why) ?? 0) + 1);
    ctx.metrics.counter(`settlement.client.dropped.${why}`).inc();
  }

  // ---- execute: build, sign, ask for endorsements -----------------------------------------

  /** Builds the payments for a bill (honest: one payment; the double-spender: two). */
  protected build(ctx: NodeContext<PatientMessage>, bill: Bill): SignedPayment[] {
    const tx = buildPayment(
      this.w.payment,
      { payer: this.account.id, payee: bill.payee, amount: bill.amount, balance: this.known.ciphertext, version: this.known.version },
      this.keyPair,
      this.random!,
    );
    ctx.charge(this.w.costs.proveUs + this.w.costs.signUs);
    return [signPayment(tx, (id) => this.w.keys.sign(this.self, id))];
  }

  protected pay(ctx: NodeContext<PatientMessage>, bill: Bill): void {
    let built: SignedPayment[];
    try {
      built = this.build(ctx, bill);
    } catch (err) {
      // The prover refuses (RangeError) when the balance it was given is not what it believed:
      // re-read the committed balance and try again.
      if (!(err instanceof RangeError)) throw err;
      this.drop(ctx, 'prover-refused');
      this.bills.unshift(bill);
      this.query(ctx);
      return;
    }
    for (const payment of built) this.propose(ctx, payment, bill);
  }

  /** Organisations to ask first: the payee's, then the policy's others rotating by patient. */
  protected endorsersFor(payment: SignedPayment): number[] {
    const { orgs, required } = this.w.policy;
    const payeeOrg = this.w.directory.account(payment.tx.payee)?.org ?? null;
    const order: number[] = [];
    if (payeeOrg !== null && orgs.includes(payeeOrg)) order.push(payeeOrg);
    for (let i = 0; i < orgs.length; i++) {
      const o = orgs[(this.index + i) % orgs.length];
      if (!order.includes(o)) order.push(o);
    }
    return order.slice(0, required);
  }

  protected envelopeBytes(payment: SignedPayment, endorsements: readonly Endorsement[]): Uint8Array {
    return encodeEnvelope({ chaincode: PAY, body: payment.body, authorization: payment.authorization, endorsements });
  }

  protected propose(ctx: NodeContext<PatientMessage>, payment: SignedPayment, bill: Bill): void {
    const p: Pending = { payment, bill, asked: new Set(), endorsements: new Map(), refusals: new Map(), state: 'endorsing', proposedUs: ctx.now() };
    this.pending.set(payment.txId, p);
    this.askEndorsers(ctx, p, this.endorsersFor(payment));
  }

  private askEndorsers(ctx: NodeContext<PatientMessage>, p: Pending, orgs: readonly number[]): void {
    const bytes = this.envelopeBytes(p.payment, []);
    for (const o of orgs) {
      if (p.asked.has(o)) continue;
      p.asked.add(o);
      ctx.send(this.w.layout.orgs[o].peer, proposeMsg(bytes, p.payment.txId));
    }
    ctx.setTimer(this.w.timing.endorseTimeoutUs, { type: 'settle-endorse-timeout', txId: p.payment.txId } satisfies PatientTimer);
  }

  /** Asks one more policy organisation, if any is left; else gives up on this payment. */
  private askAnother(ctx: NodeContext<PatientMessage>, p: Pending): void {
    const next = this.w.policy.orgs.find((o) => !p.asked.has(o));
    if (next !== undefined) return this.askEndorsers(ctx, p, [next]);
    this.giveUp(ctx, p, 'endorsement');
  }

  /** An open payment that cannot be endorsed: adversaries may submit it anyway. */
  protected giveUp(ctx: NodeContext<PatientMessage>, p: Pending, why: string): void {
    this.pending.delete(p.payment.txId);
    this.drop(ctx, why);
    this.pump(ctx);
  }

  private onEndorseTimeout(ctx: NodeContext<PatientMessage>, txId: string): void {
    const p = this.pending.get(txId);
    if (!p || p.state !== 'endorsing') return;
    this.askAnother(ctx, p);
  }

  private onEndorse(ctx: NodeContext<PatientMessage>, from: NodeId, m: EndorseMsg): void {
    const p = this.pending.get(m.txId);
    const org = this.w.layout.orgOfPeer(from);
    if (!p || p.state !== 'endorsing' || !org || org.index !== m.org || typeof m.signature !== 'string') return;
    p.endorsements.set(org.index, m.signature);
    if (p.endorsements.size >= this.w.policy.required) this.submit(ctx, p);
  }

  private onRefuse(ctx: NodeContext<PatientMessage>, from: NodeId, m: RefuseMsg): void {
    const p = this.pending.get(m.txId);
    const org = this.w.layout.orgOfPeer(from);
    if (!p || p.state !== 'endorsing' || !org) return;
    p.refusals.set(org.index, String(m.reason));
    ctx.metrics.counter(`settlement.client.refused.${m.reason}`).inc();
    this.onRefused(ctx, p, String(m.reason));
  }

  /** A refusal: stale or behind views are retried; anything else means the payment is invalid. */
  protected onRefused(ctx: NodeContext<PatientMessage>, p: Pending, reason: string): void {
    if (reason === 'behind') return this.askAnother(ctx, p);
    this.pending.delete(p.payment.txId);
    if (reason === 'stale') {
      p.bill.retries++;
      this.bills.unshift(p.bill);
      this.query(ctx);
      return;
    }
    this.drop(ctx, `refused-${reason}`);
    this.pump(ctx);
  }

  // ---- order ---------------------------------------------------------------------------------

  protected submit(ctx: NodeContext<PatientMessage>, p: Pending): void {
    p.state = 'submitted';
    const endorsements = [...p.endorsements].sort(([a], [b]) => a - b).map(([org, signature]) => ({ org, signature }));
    const op = envelopeOperation(this.envelopeBytes(p.payment, endorsements));
    const ts = this.client.submit(this.cctx(ctx), op);
    this.submitted.set(ts, p.payment.txId);
    this.stats.submitted++;
    ctx.metrics.counter('settlement.submitted').inc();
    ctx.setTimer(this.w.timing.statusTimeoutUs, { type: 'settle-status-timeout', txId: p.payment.txId } satisfies PatientTimer);
  }

  private onOrdered(ctx: NodeContext<PatientMessage>, timestamp: number): void {
    const txId = this.submitted.get(timestamp);
    if (txId === undefined) return;
    this.submitted.delete(timestamp);
    const p = this.pending.get(txId);
    if (p) ctx.metrics.histogram('settlement.order-latency').observe(ctx.now() - p.proposedUs);
  }

  // ---- validate: outcomes and balance queries ------------------------------------------------

  private onStatus(ctx: NodeContext<PatientMessage>, from: NodeId, m: StatusMsg): void {
    if (from !== this.homePeer) return;
    const p = this.pending.get(m.txId);
    if (!p) return;
    if (m.valid) return this.committed(ctx, p);
    this.pending.delete(m.txId);
    if (m.reason === 'version') {
      this.stats.conflicts++;
      ctx.metrics.counter('settlement.client.conflicts').inc();
      return this.onConflict(ctx, p);
    }
    this.drop(ctx, `invalid-${m.reason}`);
    this.pump(ctx);
  }

  /** A payment lost the version check (MVCC): pay the bill again on the current balance. */
  protected onConflict(ctx: NodeContext<PatientMessage>, p: Pending): void {
    p.bill.retries++;
    this.bills.unshift(p.bill);
    this.query(ctx);
  }

  protected committed(ctx: NodeContext<PatientMessage>, p: Pending): void {
    this.pending.delete(p.payment.txId);
    const tx = p.payment.tx;
    if (tx.payer === this.account.id && tx.version === this.known.version) {
      this.known.ciphertext = tx.transfer.newBalanceA;
      this.known.version = tx.version + 1;
      this.known.amount -= p.bill.amount;
    }
    this.stats.committed++;
    ctx.metrics.counter('settlement.client.committed').inc();
    ctx.metrics.histogram('settlement.latency').observe(ctx.now() - p.bill.arrivedUs);
    ctx.emit({ kind: 'settlement.paid', txId: p.payment.txId, payer: tx.payer, payee: tx.payee, latencyUs: ctx.now() - p.bill.arrivedUs, retries: p.bill.retries });
    this.pump(ctx);
  }

  /** Asks the home peer for this patient's committed balance (after a conflict or silence). */
  protected query(ctx: NodeContext<PatientMessage>): void {
    if (this.querying) return;
    this.querying = true;
    ctx.send(this.homePeer, queryMsg(this.account.id));
    ctx.setTimer(this.w.timing.statusTimeoutUs, { type: 'settle-query-timeout' } satisfies PatientTimer);
  }

  private onAccount(ctx: NodeContext<PatientMessage>, from: NodeId, m: AccountMsg): void {
    if (from !== this.homePeer || m.account !== this.account.id || typeof m.ciphertext !== 'bigint' || !Number.isSafeInteger(m.version)) return;
    this.querying = false;
    if (m.version >= this.known.version) {
      // A payment of ours committed if the ledger now holds exactly the A' we built.
      for (const p of [...this.pending.values()]) {
        if (p.state === 'submitted' && p.payment.tx.version + 1 === m.version && p.payment.tx.transfer.newBalanceA === m.ciphertext) {
          this.known.version = p.payment.tx.version; // so that committed() advances it
          this.known.ciphertext = p.payment.tx.oldBalance;
          return this.committed(ctx, p);
        }
      }
      if (m.version > this.known.version || m.ciphertext !== this.known.ciphertext) {
        ctx.charge(this.w.costs.decryptUs);
        let amount: bigint;
        try {
          amount = decryptSigned(this.keyPair.privateKey, m.ciphertext);
        } catch {
          ctx.metrics.counter('settlement.client.bad-balance').inc();
          return;
        }
        this.known.ciphertext = m.ciphertext;
        this.known.version = m.version;
        this.known.amount = amount;
      }
      // Submitted payments built on an older version can no longer commit.
      for (const p of [...this.pending.values()]) {
        if (p.state === 'submitted' && p.payment.tx.version < this.known.version) {
          this.pending.delete(p.payment.txId);
          p.bill.retries++;
          this.bills.unshift(p.bill);
        }
      }
    }
    this.pump(ctx);
  }

  onMessage(ctx: NodeContext<PatientMessage>, from: NodeId, msg: PatientMessage): void {
    switch (msg?.type) {
      case 'settle-endorse':
        return this.onEndorse(ctx, from, msg);
      case 'settle-refuse':
        return this.onRefuse(ctx, from, msg);
      case 'settle-status':
        return this.onStatus(ctx, from, msg);
      case 'settle-account':
        return this.onAccount(ctx, from, msg);
      case 'reply':
        return this.client.onMessage(this.cctx(ctx), from, msg);
      default:
        ctx.metrics.counter('settlement.rejected.unexpected').inc();
    }
  }
}
