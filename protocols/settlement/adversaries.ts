/**
 * Attacks on the settlement protocol, each a separate node implementation running the real
 * protocol code with one deliberate deviation (GUIDE.md §3: adversaries are separate
 * implementations, not flags in honest code). Each forged payment is built with the real provers
 * wherever the false statement does not stop them, and with the crypto library's cheating-prover
 * entry points (`proveRangeWithDecomposition` with a made-up decomposition, an N-th "root" that is
 * not one) where it does — so what rejects it is the verifier, on the same code path an honest
 * payment passes.
 *
 * Cheating patients (a share `share` of their bills is paid dishonestly; the rest honestly):
 *   overdraft          pays more than it has: A' encrypts a − T < 0            → fails 2b
 *   mismatch           credits B with T + 1000 while paying T: T_B ≠ T_A       → fails 2c
 *   wrong-balance      keeps 1000 more than it should: A' = a − T + 1000       → fails 2d
 *   foreign-spend      pays from another patient's balance: encrypts under the
 *                      victim's key (it has the public key), proves all it can,
 *                      cannot make EL-AHE without the victim's secret key, and
 *                      signs with its own key                                  → fails 2e (and 2d)
 *   hide-from-regulator T_R encrypts 0 instead of T: the regulator would see
 *                      nothing                                                 → fails 2r
 *   malformed          T_B ≥ n_B² or not a unit mod n_B; garbage envelopes to
 *                      endorsers and straight to ordering                     → refused `malformed`
 *   (with `colludeWith`, a cheater asks the named, Byzantine, organisations first; with
 *   `submitUnendorsed` it submits what it has when honest endorsers refuse.)
 *   double-spend       two honest payments built on the same balance version,
 *                      both endorsed, both submitted: exactly one commits, the
 *                      other fails the version check.
 * Other nodes:
 *   ReplayAttacker     an eavesdropping member: fetches committed blocks from an orderer and
 *                      resubmits every payment it finds                       → `duplicate`
 *   EndorseAnythingPeer a Byzantine organisation peer that endorses every proposal it can
 *                      decode, valid or not (it commits honestly).
 */
import type { NodeContext, NodeId, ProtocolNode } from '../../sim/types.ts';
import { decryptSigned, encryptDetailed, recoverNonce, type Encryption, type PaillierKeyPair, type PaillierPublicKey } from '../crypto/paillier.ts';
import { seededRandom, type RandomSource } from '../crypto/random.ts';
import { proveBalanceUpdate, proveEqualAcrossKeys, proveSameKeyEquality } from '../crypto/zk-equality.ts';
import { settlementContext } from '../crypto/zk-paillier.ts';
import { proveRangeWithDecomposition, threeSquares } from '../crypto/zk-range.ts';
import { PbftClient } from '../pbft/client.ts';
import type { PbftMessage } from '../pbft/messages.ts';
import { envelopeOf, envelopeOperation, type Envelope } from './envelope.ts';
import type { Simulation } from './ledger.ts';
import { fetchMsg, proposeMsg, queryMsg, type AccountMsg, type DeliverMsg, type SettleMessage } from './messages.ts';
import { PAY } from './pay-chaincode.ts';
import { OrgPeer } from './peer.ts';
import { PatientNode, type Bill, type PatientMessage, type Pending } from './patient.ts';
import { settlementPublic, signPayment, type PaymentEnv, type PaymentTx, type SignedPayment } from './payment.ts';
import type { SettlementWorld } from './world.ts';

export const CHEAT_KINDS = ['overdraft', 'mismatch', 'wrong-balance', 'foreign-spend', 'hide-from-regulator', 'malformed'] as const;
export type CheatKind = (typeof CHEAT_KINDS)[number];

export interface CheatOptions {
  /** Probability that a bill is paid dishonestly. */
  share: number;
  /** Organisation indices to ask for endorsements first (colluding Byzantine endorsers). */
  colludeWith: readonly number[];
  /** Submit to ordering with whatever endorsements were obtained when honest peers refuse. */
  submitUnendorsed: boolean;
}

// ---- forging payments ---------------------------------------------------------------------------

/** The plaintexts a forged payment encrypts (each may break one rule). */
export interface ForgedValues {
  payer: string;
  payee: string;
  version: number;
  oldBalance: bigint;
  /** Plaintext of A (as the forger believes it), T under A, A', T under B, T under the regulator. */
  balance: bigint;
  transferA: bigint;
  newBalance: bigint;
  transferB: bigint;
  transferR: bigint;
  /** The payer's key pair if the forger holds it (foreign-spend does not). */
  payerKey: PaillierKeyPair | null;
}

/** A decomposition for the range proof: the real one when x ∈ [0, 2^ℓ), else a made-up one. */
function decomposition(x: bigint, bits: number, random: RandomSource): bigint[] {
  const B = (1n << BigInt(bits)) - 1n;
  return x >= 0n && x <= B ? threeSquares(4n * x * (B - x) + 1n, random) : [1n, 0n, 0n];
}

/**
 * Builds a payment with the given plaintexts, proving honestly wherever the statement holds and
 * with cheating provers where it does not (see header).
 */
export function forgePayment(env: PaymentEnv, v: ForgedValues, random: RandomSource): PaymentTx {
  const dir = env.directory;
  const pkA = dir.account(v.payer)!.publicKey;
  const pkB = dir.account(v.payee)!.publicKey;
  const pkR = dir.regulatorPublicKey;
  const keyA = v.payerKey?.privateKey ?? pkA;
  const tA = encryptDetailed(keyA, v.transferA, random);
  const nb = encryptDetailed(keyA, v.newBalance, random);
  const tB = encryptDetailed(pkB, v.transferB, random);
  const tR = encryptDetailed(pkR, v.transferR, random);
  const nonce = Buffer.from(random(16)).toString('hex');
  const head = { payer: v.payer, payee: v.payee, version: v.version, oldBalance: v.oldBalance, nonce, transferR: tR.ciphertext };
  const pub = settlementPublic(env, head)!;
  const transfer = { transferA: tA.ciphertext, transferB: tB.ciphertext, newBalanceA: nb.ciphertext };
  const context = settlementContext(pub, transfer);
  const common = { setup: dir.setup, context };
  const L = env.amountBits;
  const prover = { random, privateKey: v.payerKey?.privateKey };
  const rangeTransfer = proveRangeWithDecomposition(
    { ...common, publicKey: pkA, ciphertext: tA.ciphertext, bits: L, offset: 1n },
    { plaintext: v.transferA, nonce: tA.nonce },
    decomposition(v.transferA - 1n, L, random),
    prover,
  );
  const rangeBalance = proveRangeWithDecomposition(
    { ...common, publicKey: pkA, ciphertext: nb.ciphertext, bits: L },
    { plaintext: v.newBalance, nonce: nb.nonce },
    decomposition(v.newBalance, L, random),
    prover,
  );
  const ahe = { publicKey: pkA, oldBalance: v.oldBalance, transfer: tA.ciphertext, newBalance: nb.ciphertext, context };
  let balanceUpdate;
  if (v.payerKey && v.balance - v.transferA === v.newBalance) balanceUpdate = proveBalanceUpdate(ahe, v.payerKey.privateKey, { random });
  else {
    // Not an N-th residue (or no secret key to take its root): prove with a made-up root.
    const fakeRoot = v.payerKey ? recoverNonce(v.payerKey.privateKey, v.oldBalance) : 2n;
    balanceUpdate = proveSameKeyEquality(
      { publicKey: pkA, left: v.oldBalance, right: (tA.ciphertext * nb.ciphertext) % pkA.n2, context, domain: 'paillier/el-ahe', bind: [tA.ciphertext, nb.ciphertext] },
      fakeRoot,
      { random },
    );
  }
  const small = (x: bigint) => (x >= 0n && x < 1n << BigInt(L + 1) ? x : 0n);
  const equalTransfer = proveEqualAcrossKeys(
    { ...common, publicKeyA: pkA, ciphertextA: tA.ciphertext, publicKeyB: pkB, ciphertextB: tB.ciphertext, bits: L + 1 },
    { plaintext: small(v.transferA), nonceA: tA.nonce, nonceB: tB.nonce },
    { random },
  );
  const regulatorProof = proveEqualAcrossKeys(
    { publicKeyA: pkA, ciphertextA: tA.ciphertext, publicKeyB: pkR, ciphertextB: tR.ciphertext, bits: L + 1, setup: dir.setup, context },
    { plaintext: small(v.transferA), nonceA: tA.nonce, nonceB: tR.nonce },
    { random },
  );
  return { ...head, transfer, transferR: tR.ciphertext, proof: { rangeTransfer, rangeBalance, equalTransfer, balanceUpdate }, regulatorProof };
}

/** A ciphertext that is not one: ≥ n² (odd bills) or a multiple of n (not a unit). */
function broken(pk: PaillierPublicKey, which: number): bigint {
  return which % 2 === 0 ? pk.n2 + 7n : pk.n * 3n;
}

// ---- cheating patients --------------------------------------------------------------------------

export class CheatingPatient extends PatientNode {
  /** Transaction ids of the dishonest payments built. */
  readonly cheats = new Set<string>();
  readonly cheatStats = { built: 0, committed: 0 };
  private cheatRandom: RandomSource | undefined;
  private victim: { account: string; ciphertext: bigint; version: number } | undefined;

  constructor(
    self: NodeId,
    index: number,
    w: SettlementWorld,
    readonly kind: CheatKind,
    readonly cheat: CheatOptions,
  ) {
    super(self, index, w);
  }

  override onStart(ctx: NodeContext<PatientMessage>): void {
    super.onStart(ctx);
    this.cheatRandom = seededRandom(ctx.seedFor('settlement/cheat'), 'settlement/cheat');
    if (this.kind === 'foreign-spend') this.watchVictim(ctx);
  }

  private get victimAccount(): string {
    return `patient/${(this.index + 1) % this.w.layout.patients.length}`;
  }

  private watchVictim(ctx: NodeContext<PatientMessage>): void {
    ctx.send(this.homePeer, queryMsg(this.victimAccount));
  }

  override onMessage(ctx: NodeContext<PatientMessage>, from: NodeId, msg: PatientMessage): void {
    if (msg?.type === 'settle-account' && (msg as AccountMsg).account === this.victimAccount && this.kind === 'foreign-spend') {
      const m = msg as AccountMsg;
      this.victim = { account: m.account, ciphertext: m.ciphertext, version: m.version };
      return;
    }
    super.onMessage(ctx, from, msg);
  }

  protected override build(ctx: NodeContext<PatientMessage>, bill: Bill): SignedPayment[] {
    if (!ctx.rng('settlement/cheat-choice').chance(this.cheat.share)) return super.build(ctx, bill);
    const forged = this.forge(ctx, bill);
    if (!forged) return super.build(ctx, bill);
    ctx.charge(this.w.costs.proveUs + this.w.costs.signUs);
    const signed = signPayment(forged, (id) => this.w.keys.sign(this.self, id));
    this.cheats.add(signed.txId);
    this.cheatStats.built++;
    ctx.metrics.counter(`settlement.adversary.${this.kind}`).inc();
    return [signed];
  }

  /** The dishonest payment for a bill (undefined: pay honestly this time). */
  private forge(ctx: NodeContext<PatientMessage>, bill: Bill): PaymentTx | undefined {
    const random = this.cheatRandom!;
    const k = this.known;
    const base = { payer: this.account.id, payee: bill.payee, version: k.version, oldBalance: k.ciphertext, balance: k.amount, payerKey: this.keyPair };
    const T = bill.amount;
    switch (this.kind) {
      case 'overdraft': {
        const over = k.amount + T; // more than the whole balance
        return forgePayment(this.w.payment, { ...base, transferA: over, newBalance: k.amount - over, transferB: over, transferR: over }, random);
      }
      case 'mismatch':
        return forgePayment(this.w.payment, { ...base, transferA: T, newBalance: k.amount - T, transferB: T + 1000n, transferR: T }, random);
      case 'wrong-balance':
        return forgePayment(this.w.payment, { ...base, transferA: T, newBalance: k.amount - T + 1000n, transferB: T, transferR: T }, random);
      case 'hide-from-regulator':
        return forgePayment(this.w.payment, { ...base, transferA: T, newBalance: k.amount - T, transferB: T, transferR: 0n }, random);
      case 'foreign-spend': {
        const v = this.victim;
        this.watchVictim(ctx);
        if (!v) return undefined;
        // The victim's plaintext is unknown: claim it has 10 × T, which the proofs cannot show.
        return forgePayment(this.w.payment, { payer: v.account, payee: bill.payee, version: v.version, oldBalance: v.ciphertext, balance: 10n * T, transferA: T, newBalance: 9n * T, transferB: T, transferR: T, payerKey: null }, random);
      }
      case 'malformed': {
        const honest = forgePayment(this.w.payment, { ...base, transferA: T, newBalance: k.amount - T, transferB: T, transferR: T }, random);
        const pkB = this.w.directory.account(bill.payee)!.publicKey;
        this.sendGarbage(ctx);
        return { ...honest, transfer: { ...honest.transfer, transferB: broken(pkB, this.cheatStats.built) } };
      }
    }
  }

  /** Undecodable envelopes: a truncated proposal to an endorser and junk straight to ordering. */
  private sendGarbage(ctx: NodeContext<PatientMessage>): void {
    const junk = this.cheatRandom!(48);
    ctx.send(this.w.layout.orgs[0].peer, proposeMsg(junk, 'junk'));
    this.client.submit(ctx as unknown as NodeContext<PbftMessage>, { kind: 'data', bytes: junk.length, tag: 'settle|' + Buffer.from(junk).toString('base64') });
  }

  /** After a dishonest payment commits, the plaintext balance is not what the books say: re-read it. */
  protected override committed(ctx: NodeContext<PatientMessage>, p: Pending): void {
    const cheat = this.cheats.has(p.payment.txId);
    super.committed(ctx, p);
    if (cheat && p.payment.tx.payer === this.account.id) {
      this.cheatStats.committed++;
      ctx.charge(this.w.costs.decryptUs);
      this.known.amount = decryptSigned(this.keyPair.privateKey, this.known.ciphertext);
    }
  }

  protected override endorsersFor(payment: SignedPayment): number[] {
    const honest = super.endorsersFor(payment);
    if (!this.cheats.has(payment.txId) || this.cheat.colludeWith.length === 0) return honest;
    const order = [...this.cheat.colludeWith, ...this.w.policy.orgs.filter((o) => !this.cheat.colludeWith.includes(o))];
    return order.slice(0, this.w.policy.required);
  }

  protected override onRefused(ctx: NodeContext<PatientMessage>, p: Pending, reason: string): void {
    if (!this.cheats.has(p.payment.txId)) return super.onRefused(ctx, p, reason);
    // A refused cheat: try the remaining organisations, then submit anyway if so configured.
    if (p.asked.size < this.w.policy.orgs.length) return super.onRefused(ctx, p, 'behind');
    this.giveUp(ctx, p, `refused-${reason}`);
  }

  protected override giveUp(ctx: NodeContext<PatientMessage>, p: Pending, why: string): void {
    if (this.cheats.has(p.payment.txId) && this.cheat.submitUnendorsed && p.state === 'endorsing') {
      ctx.metrics.counter('settlement.adversary.submitted-unendorsed').inc();
      this.submit(ctx, p);
      return;
    }
    super.giveUp(ctx, p, why);
  }
}

// ---- double spending ----------------------------------------------------------------------------

/**
 * Pays each bill twice at once — to its payee and to another organisation — from the same
 * balance version, each payment honest on its own: both are endorsed, both are ordered, and the
 * ledger's version check must let exactly one of them commit.
 */
export class DoubleSpender extends PatientNode {
  /** Pairs of transaction ids built on one version. */
  readonly races: [string, string][] = [];

  protected override build(ctx: NodeContext<PatientMessage>, bill: Bill): SignedPayment[] {
    if (this.pending.size > 0) return super.build(ctx, bill);
    const first = super.build(ctx, bill)[0];
    const orgs = this.w.layout.orgs;
    const other = orgs.find((o) => o.name !== bill.payee) ?? orgs[0];
    const second = super.build(ctx, { ...bill, payee: other.name })[0];
    this.races.push([first.txId, second.txId]);
    ctx.metrics.counter('settlement.adversary.double-spend').inc();
    return [first, second];
  }

  protected override onConflict(ctx: NodeContext<PatientMessage>, p: Pending): void {
    // The losing twin: that was the point; do not pay it again.
    this.drop(ctx, 'lost-race');
    void p;
    this.pump(ctx);
  }
}

// ---- replaying committed payments ---------------------------------------------------------------

type ReplayTimer = { type: 'settle-replay-poll' } | { type: 'other'; tag: unknown };

/**
 * A member node that reads the chain (blocks are readable by members of a permissioned network)
 * and resubmits every committed payment it sees to the ordering service, hoping to be paid — or
 * to make a patient pay — twice.
 */
export class ReplayAttacker implements ProtocolNode<PatientMessage> {
  readonly client: PbftClient;
  private next = 1;
  private readonly replayed = new Set<string>();
  /** Envelopes resubmitted. */
  replays = 0;

  constructor(
    readonly self: NodeId,
    private readonly w: SettlementWorld,
    private readonly pollUs: number,
  ) {
    this.client = new PbftClient(self, { members: w.layout.orderers, epoch: 0, startView: 0 }, w.keys, {
      ratePerSec: 0, maxOutstanding: 1_000_000, retransmitUs: w.retransmitUs, opBytes: 0, startUs: 0, stopUs: Number.POSITIVE_INFINITY,
    });
  }

  onStart(ctx: NodeContext<PatientMessage>): void {
    this.client.onStart(ctx as NodeContext<PbftMessage>);
    ctx.setTimer(this.pollUs, { type: 'settle-replay-poll' } satisfies ReplayTimer);
  }

  onTimer(ctx: NodeContext<PatientMessage>, tag: unknown): void {
    if ((tag as ReplayTimer)?.type === 'settle-replay-poll') {
      const os = this.w.layout.orderers;
      ctx.send(os[this.next % os.length], fetchMsg(this.next));
      ctx.setTimer(this.pollUs, tag);
      return;
    }
    this.client.onTimer(ctx as NodeContext<PbftMessage>, tag);
  }

  onMessage(ctx: NodeContext<PatientMessage>, from: NodeId, msg: PatientMessage): void {
    if (msg?.type === 'reply') return this.client.onMessage(ctx as NodeContext<PbftMessage>, from, msg);
    if (msg?.type !== 'settle-deliver') return;
    const m = msg as DeliverMsg;
    if (!m.requests || m.seq !== this.next) return;
    this.next++;
    for (const r of m.requests) {
      const e = envelopeOf(r.op);
      if (e instanceof Error || e.chaincode !== PAY || this.replayed.has(e.txId)) continue;
      this.replayed.add(e.txId);
      this.replays++;
      ctx.metrics.counter('settlement.adversary.replayed').inc();
      this.client.submit(ctx as NodeContext<PbftMessage>, r.op);
    }
  }
}

// ---- Byzantine endorsers ------------------------------------------------------------------------

/** An organisation peer that endorses every proposal it can decode, valid or not. */
export class EndorseAnythingPeer extends OrgPeer {
  protected override endorses(sim: Simulation): boolean {
    return sim.ok || sim.reason !== 'malformed';
  }
}

export type { Envelope, SettleMessage, Encryption };
