/**
 * The confidential payment of seed 002 (Yu–Hu–Ding 2021, §3.2 "client transaction creation" and
 * §3.3 "peer verification" 2a–2e), as a ledger transaction: what a patient A builds to pay a
 * hospital or the insurer B an amount T from her encrypted balance, and what an endorsing peer
 * checks before it signs.
 *
 * A payment carries (§3.2): the new balance A' = E_A(a − T), T_A = E_A(T), T_B = E_B(T), the
 * proofs ZKRP(T > 0), ZKRP(A' ≥ 0), EL-AHE (A' = A − T) and EL-Enc (T_A and T_B hide the same
 * T) — `proveSettlement` in protocols/crypto/zk-paillier.ts — plus, so that "the regulator can
 * decrypt the amounts" (§3.3) is real rather than assumed, T_R = E_R(T) under the regulator's
 * key with its own EL-Enc proof (T_A and T_R hide the same T), and A's authorisation: an Ed25519
 * signature by A's node key over the transaction id. The read set is (A's balance, its version):
 * the proofs speak about exactly that ciphertext A.
 *
 * Binding: the settlement proofs take as caller context the header (payer, payee, version,
 * nonce, T_R), so T_R and the header are bound into all four proofs; the regulator proof takes
 * the settlement context digest (which covers every key, ciphertext and the header). The
 * transaction id is SHA-256 over the body encoding (everything but the authorisation) and the
 * authorisation signs it, so no part can be swapped, replayed into another payment, or
 * re-attributed.
 *
 * Checks (`verifyPayment`), in the order a refusal reports the first failing one:
 *   malformed  accounts exist and differ, every ciphertext is a unit below n² of its key;
 *   2e         the authorisation verifies under the payer's node key ("only A can spend": the
 *              EL-AHE proof of 2d also needs A's secret key);
 *   2a, 2b, 2c, 2d  `verifySettlement` (T ∈ [1, 2^ℓ], A' ∈ [0, 2^ℓ), T_B ≡ T_A, A' = A − T_A);
 *   2r         T_R hides the same T as T_A (EL-Enc under the regulator's key).
 * The read-set check (is A still the current balance?) belongs to the ledger (ledger.ts).
 *
 * Verification is a pure function of the transaction and the run's public keys, so its outcome
 * is computed once per transaction and shared (`verifyPaymentShared`): every endorser, the
 * regulator's audit and the checkers get the same verdict, while each node still charges its
 * own CPU time from the cost table (docs/settlement.md "CPU costs").
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { isValidCiphertext, recoverNonce, type PaillierKeyPair, type PaillierPublicKey } from '../crypto/paillier.ts';
import type { RandomSource } from '../crypto/random.ts';
import { decodeCrossKeyProof, encodeCrossKeyProof, proveEqualAcrossKeys, verifyEqualAcrossKeys, type CrossKeyProof } from '../crypto/zk-equality.ts';
import {
  decodeSettlementProof,
  encodeSettlementProof,
  proveSettlement,
  settlementContext,
  verifySettlement,
  type SettlementProof,
  type SettlementPublic,
  type SettlementTransfer,
} from '../crypto/zk-paillier.ts';
import { encryptDetailed } from '../crypto/paillier.ts';
import { CodecError, Reader, strictly, Writer } from './codec.ts';
import type { Directory } from './parties.ts';

export interface PaymentTx {
  /** Paying account (a patient). */
  readonly payer: string;
  /** Receiving account (a hospital or the insurer). */
  readonly payee: string;
  /** Version of the payer's balance the proofs are about (the read set). */
  readonly version: number;
  /** That balance ciphertext A. */
  readonly oldBalance: bigint;
  /** 16 random bytes (hex) from the payer: distinct payments have distinct ids. */
  readonly nonce: string;
  /** T_A, T_B, A' */
  readonly transfer: SettlementTransfer;
  /** T_R = E_R(T) under the regulator's key. */
  readonly transferR: bigint;
  /** 2a–2d */
  readonly proof: SettlementProof;
  /** 2r: T_A and T_R hide the same T */
  readonly regulatorProof: CrossKeyProof;
}

/** A payment with its id, body encoding and the payer's authorisation (what endorsers receive). */
export interface SignedPayment {
  readonly tx: PaymentTx;
  /** Canonical body encoding (without the authorisation). */
  readonly body: Uint8Array;
  /** SHA-256 of `body`, hex: the transaction id. */
  readonly txId: string;
  /** Ed25519 signature (hex) by the payer's node over `txId` (check 2e). */
  readonly authorization: string;
}

export type PaymentCheck = 'malformed' | '2e' | '2a' | '2b' | '2c' | '2d' | '2r';
export const PAYMENT_CHECKS: readonly PaymentCheck[] = ['malformed', '2e', '2a', '2b', '2c', '2d', '2r'];

export interface PaymentVerdict {
  readonly valid: boolean;
  /** true = passed; a check after a structural failure is reported false. */
  readonly checks: Readonly<Record<PaymentCheck, boolean>>;
  /** First failing check in PAYMENT_CHECKS order, or null. */
  readonly reason: PaymentCheck | null;
}

/** ℓ and the signing interface a payment needs from its run. */
export interface PaymentEnv {
  readonly directory: Directory;
  /** ℓ: amounts and balances lie in [0, 2^ℓ). */
  readonly amountBits: number;
  /** Ed25519 signature check by a node's key (the run's KeyRing). */
  verifySignature(node: number, digestHex: string, signatureHex: string): boolean;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The header every proof of the payment binds (caller context of `proveSettlement`). */
export function paymentHeader(payer: string, payee: string, version: number, nonce: string, transferR: bigint): Uint8Array {
  return new Writer('SPHD', 1).string(payer).string(payee).u32(version).string(nonce).int(transferR).finish();
}

export function settlementPublic(env: PaymentEnv, tx: Pick<PaymentTx, 'payer' | 'payee' | 'version' | 'oldBalance' | 'nonce' | 'transferR'>): SettlementPublic | undefined {
  const a = env.directory.account(tx.payer);
  const b = env.directory.account(tx.payee);
  if (!a || !b) return undefined;
  return {
    publicKeyA: a.publicKey,
    publicKeyB: b.publicKey,
    setup: env.directory.setup,
    bits: env.amountBits,
    oldBalanceA: tx.oldBalance,
    context: paymentHeader(tx.payer, tx.payee, tx.version, tx.nonce, tx.transferR),
  };
}

function regulatorStatement(env: PaymentEnv, pub: SettlementPublic, tx: Pick<PaymentTx, 'transfer' | 'transferR'>) {
  return {
    publicKeyA: pub.publicKeyA,
    ciphertextA: tx.transfer.transferA,
    publicKeyB: env.directory.regulatorPublicKey,
    ciphertextB: tx.transferR,
    bits: env.amountBits + 1,
    setup: env.directory.setup,
    context: settlementContext(pub, tx.transfer),
  };
}

// ---- encoding -----------------------------------------------------------------------------------

export function encodePaymentBody(tx: PaymentTx): Uint8Array {
  return new Writer('SPAY', 1)
    .string(tx.payer)
    .string(tx.payee)
    .u32(tx.version)
    .int(tx.oldBalance)
    .string(tx.nonce)
    .int(tx.transfer.transferA)
    .int(tx.transfer.transferB)
    .int(tx.transfer.newBalanceA)
    .int(tx.transferR)
    .bytes(encodeSettlementProof(tx.proof))
    .bytes(encodeCrossKeyProof(tx.regulatorProof))
    .finish();
}

/** Strict inverse of `encodePaymentBody`; throws CodecError. */
export function decodePaymentBody(body: Uint8Array): PaymentTx {
  const r = new Reader(body, 'SPAY', 1);
  const tx: PaymentTx = {
    payer: r.string(),
    payee: r.string(),
    version: r.u32(),
    oldBalance: r.int(),
    nonce: r.string(64),
    transfer: { transferA: r.int(), transferB: r.int(), newBalanceA: r.int() },
    transferR: r.int(),
    proof: strictly(() => decodeSettlementProof(r.bytes())),
    regulatorProof: strictly(() => decodeCrossKeyProof(r.bytes())),
  };
  r.end();
  return tx;
}

export function paymentTxId(body: Uint8Array): string {
  return hexOf(sha256(body));
}

/** Wraps a built payment with its id and the payer's authorisation. */
export function signPayment(tx: PaymentTx, sign: (txIdHex: string) => string): SignedPayment {
  const body = encodePaymentBody(tx);
  const txId = paymentTxId(body);
  return { tx, body, txId, authorization: sign(txId) };
}

// ---- building (the payer, §3.2) -----------------------------------------------------------------

export interface PaymentRequest {
  payer: string;
  payee: string;
  amount: bigint;
  /** The payer's current balance as the ledger holds it, and its version. */
  balance: bigint;
  version: number;
}

/**
 * Builds A's payment (§3.2 steps 3.2.1–3.2.4 plus the regulator's copy). Throws RangeError when
 * the amount is not in [1, 2^ℓ] or exceeds the balance (an honest payer refuses; adversaries.ts
 * builds the cheating variants).
 */
export function buildPayment(env: PaymentEnv, req: PaymentRequest, payerKey: PaillierKeyPair, random: RandomSource): PaymentTx {
  const nonce = hexOf(random(16));
  const reg = encryptDetailed(env.directory.regulatorPublicKey, req.amount, random);
  const head = { payer: req.payer, payee: req.payee, version: req.version, oldBalance: req.balance, nonce, transferR: reg.ciphertext };
  const pub = settlementPublic(env, head);
  if (!pub) throw new RangeError(`settlement: unknown account ${req.payer} or ${req.payee}`);
  const { transfer, proof } = proveSettlement(pub, payerKey.privateKey, req.amount, { random });
  // EL-Enc(T_A, T_R): A recovers T_A's nonce with her secret key (Paillier nonce recovery).
  const nonceA = recoverNonce(payerKey.privateKey, transfer.transferA);
  const regulatorProof = proveEqualAcrossKeys(regulatorStatement(env, pub, { transfer, transferR: reg.ciphertext }), { plaintext: req.amount, nonceA, nonceB: reg.nonce }, { random, privateKey: payerKey.privateKey });
  return { ...head, transfer, proof, regulatorProof };
}

// ---- verification (the endorsing peer, §3.3) ----------------------------------------------------

function allFalse(): Record<PaymentCheck, boolean> {
  return { malformed: false, '2e': false, '2a': false, '2b': false, '2c': false, '2d': false, '2r': false };
}

function firstFailure(checks: Record<PaymentCheck, boolean>): PaymentCheck | null {
  for (const c of PAYMENT_CHECKS) if (!checks[c]) return c;
  return null;
}

/** Verifiers must not throw on hostile input: any exception is a failed check. */
function safely(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

function unit(pk: PaillierPublicKey, c: bigint): boolean {
  return typeof c === 'bigint' && isValidCiphertext(pk, c);
}

/** Runs every check of the header on a signed payment (no memo; see verifyPaymentShared). */
export function verifyPayment(env: PaymentEnv, p: Pick<SignedPayment, 'tx' | 'txId' | 'authorization'>): PaymentVerdict {
  const tx = p.tx;
  const checks = allFalse();
  const a = env.directory.account(tx.payer);
  const b = env.directory.account(tx.payee);
  const pkR = env.directory.regulatorPublicKey;
  const pub = settlementPublic(env, tx);
  const formed =
    !!a && !!b && !!pub && a.id !== b.id && a.kind === 'patient' && b.kind !== 'patient' &&
    unit(a.publicKey, tx.oldBalance) && unit(a.publicKey, tx.transfer.transferA) && unit(a.publicKey, tx.transfer.newBalanceA) &&
    unit(b.publicKey, tx.transfer.transferB) && unit(pkR, tx.transferR);
  if (!formed) return { valid: false, checks, reason: 'malformed' };
  checks.malformed = true;
  checks['2e'] = safely(() => env.verifySignature(a.node, p.txId, p.authorization));
  const v = safely(() => {
    const r = verifySettlement(pub, tx.transfer, tx.proof);
    checks['2a'] = r.checks['2a'];
    checks['2b'] = r.checks['2b'];
    checks['2c'] = r.checks['2c'];
    checks['2d'] = r.checks['2d'];
    return r.valid;
  });
  void v;
  checks['2r'] = safely(() => verifyEqualAcrossKeys(regulatorStatement(env, pub, tx), tx.regulatorProof));
  const reason = firstFailure(checks);
  return { valid: reason === null, checks, reason };
}

/**
 * Verification outcomes shared across the nodes of a run (and across runs with the same
 * directory in one process), by transaction id and authorisation: a pure function of immutable
 * data, computed once. Each node still charges its own verification time (cost table).
 */
const SHARED = new WeakMap<Directory, Map<string, PaymentVerdict>>();
const SHARED_LIMIT = 200_000;

export function verifyPaymentShared(env: PaymentEnv, p: Pick<SignedPayment, 'tx' | 'txId' | 'authorization'>): PaymentVerdict {
  let m = SHARED.get(env.directory);
  if (!m) SHARED.set(env.directory, (m = new Map()));
  const key = `${env.amountBits}|${p.txId}|${p.authorization}`;
  let v = m.get(key);
  if (!v) {
    if (m.size >= SHARED_LIMIT) m.clear();
    v = verifyPayment(env, p);
    m.set(key, v);
  }
  return v;
}

export { CodecError };
