/**
 * Seed 002 confidential payment: the transaction a patient A builds to pay a hospital/insurer B
 * from an encrypted balance, and the peer's checks (Yu–Hu–Ding 2021, §3.2 "client transaction
 * creation" steps 3.2.1–3.2.4 and §3.3 "peer verification" steps 2a–2d). Composition only: the
 * proofs themselves are in `zk-range.ts` (ZKRP) and `zk-equality.ts` (EL-Enc, EL-AHE).
 *
 * Public: A's and B's Paillier keys, ring-Pedersen parameters (N̂, s, t) from a setup the
 * verifiers trust (e.g. the regulator, with `proveRingPedersen`), the amount bit length ℓ, A's
 * current encrypted balance A (read from the chain) and a caller context (transaction id, nonce,
 * channel…). A holds her secret key, so she can decrypt A (3.2.1 ①).
 *
 * Prover (`proveSettlement`), for an amount T:
 *   3.2.1  a = D_A(A); refuse unless 1 ≤ T ≤ 2^ℓ and 0 ≤ a − T < 2^ℓ; A' = E_A(a − T).
 *   3.2.3  T_A = E_A(T), T_B = E_B(T).
 *   3.2.2  ① ZKRP: A' encrypts a value in [0, 2^ℓ)                                  → check 2b
 *          ② EL-AHE: D(A') = D(A) − D(T_A) (N-th residuosity of A·(T_A·A')^{-1})   → check 2d
 *   3.2.4  ① ZKRP: T_A encrypts a value in [1, 2^ℓ] (offset 1: T − 1 ∈ [0, 2^ℓ))   → check 2a
 *          ② EL-Enc: T_A and T_B hide the same integer                             → check 2c
 * All four proofs carry one context digest: SHA-256 (Transcript `settlement/context`) of every
 * public input and output above (keys, setup, ℓ, A, T_A, T_B, A', caller context), so no proof can
 * be replayed in another settlement, and each proof has its own domain label.
 *
 * Verifier (`verifySettlement`) runs 2a–2d and reports each. What the checks guarantee together:
 * T ∈ [1, 2^ℓ] and A' ∈ [0, 2^ℓ) exactly (no wrap-around mod N_A since 2^{ℓ+1} ≪ N_A), T_B hides
 * the same integer T under B's key, and D(A') = D(A) − T mod N_A; so A cannot overdraw, pay a
 * negative amount or credit B with a different amount. Step 2e ("only A can spend from A") is
 * the EL-AHE proof's use of A's secret key plus a signature over the transaction at the ledger
 * layer (not in this module). After acceptance the peer appends T_B to B's balance:
 * `creditRecipient(pk_B, B, T_B)` = B·T_B mod N_B² (§3.3 "compute B's new balance by AHE").
 *
 * Assumptions stated once for all four proofs: Paillier keys are well formed (N = pq with
 * |p| = |q| = |N|/2, certified at registration — seed 002's regulator can decrypt amounts, so keys
 * are registered with it; CGGMP'21 Π^mod/Π^fac would make this checkable, not implemented), the
 * ring-Pedersen trapdoor is unknown to provers, and strong RSA holds for N̂. What the verifiers
 * do check, once per key and per setup (cached): |N| ≥ 1024 and |N̂| ≥ max(2048, 2(ℓ + 1 + σ) + c)
 * bits, no prime factor below 2^15, not a perfect power, not prime, consistent key fields, and
 * s, t units of Jacobi symbol +1 (`requireAcceptableKeys`) — so a short, factorable N̂, with
 * which anyone could prove a negative amount, is refused outright.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { frameParts } from './encoding.ts';
import {
  add,
  decrypt,
  encryptDetailed,
  type NonceSource,
  type PaillierPrivateKey,
  type PaillierPublicKey,
} from './paillier.ts';
import { osRandom, type RandomSource } from './random.ts';
import { appendRingPedersen, minRingPedersenBits, type RingPedersenParams } from './ring-pedersen.ts';
import {
  decodeCrossKeyProof,
  decodeSameKeyProof,
  encodeCrossKeyProof,
  encodeSameKeyProof,
  proveBalanceUpdate,
  proveEqualAcrossKeys,
  verifyBalanceUpdate,
  verifyEqualAcrossKeys,
  type CrossKeyProof,
  type SameKeyProof,
} from './zk-equality.ts';
import {
  appendPaillierKey,
  decodeRangeProof,
  encodeRangeProof,
  proveRange,
  requireAcceptableKeys,
  verifyRange,
  type RangeProof,
} from './zk-range.ts';
import { appendZkParams, DEFAULT_ZK_PARAMS, Transcript, type ZkParams } from './zk-transcript.ts';

/** The public inputs of a settlement (known to prover and verifiers before the transaction). */
export interface SettlementPublic {
  readonly publicKeyA: PaillierPublicKey;
  readonly publicKeyB: PaillierPublicKey;
  readonly setup: RingPedersenParams;
  /** ℓ: amounts and balances lie in [0, 2^ℓ) (T ∈ [1, 2^ℓ]) */
  readonly bits: number;
  /** A: A's current encrypted balance as stored on the chain */
  readonly oldBalanceA: bigint;
  readonly context?: Uint8Array;
  readonly params?: ZkParams;
}

/** The ciphertexts a settlement adds to the chain. */
export interface SettlementTransfer {
  /** T_A = E_A(T) */
  readonly transferA: bigint;
  /** T_B = E_B(T) */
  readonly transferB: bigint;
  /** A' = E_A(a − T) */
  readonly newBalanceA: bigint;
}

export interface SettlementProof {
  /** 2a: T_A encrypts T ∈ [1, 2^ℓ] */
  readonly rangeTransfer: RangeProof;
  /** 2b: A' encrypts a value in [0, 2^ℓ) */
  readonly rangeBalance: RangeProof;
  /** 2c: T_A and T_B hide the same integer */
  readonly equalTransfer: CrossKeyProof;
  /** 2d: D(A') = D(A) − D(T_A) */
  readonly balanceUpdate: SameKeyProof;
}

export interface Settlement {
  readonly transfer: SettlementTransfer;
  readonly proof: SettlementProof;
}

export interface SettlementVerdict {
  readonly valid: boolean;
  readonly checks: { readonly '2a': boolean; readonly '2b': boolean; readonly '2c': boolean; readonly '2d': boolean };
}

export interface SettlementProverOptions {
  readonly random?: RandomSource;
  /** rⁿ pool (or random source) for A's key: encryptions and proof first messages */
  readonly nonceSourceA?: NonceSource;
  /** rⁿ pool (or random source) for B's key */
  readonly nonceSourceB?: NonceSource;
}

/** The context digest every sub-proof of a settlement binds (see header). */
export function settlementContext(pub: SettlementPublic, transfer: SettlementTransfer): Uint8Array {
  const tr = new Transcript('settlement/context');
  appendZkParams(tr, pub.params ?? DEFAULT_ZK_PARAMS);
  appendPaillierKey(tr, 'paillier/A', pub.publicKeyA);
  appendPaillierKey(tr, 'paillier/B', pub.publicKeyB);
  appendRingPedersen(tr, pub.setup);
  tr.appendNumber('bits', pub.bits).appendInt('A', pub.oldBalanceA);
  tr.appendInt('T_A', transfer.transferA).appendInt('T_B', transfer.transferB).appendInt("A'", transfer.newBalanceA);
  tr.appendBytes('context', pub.context ?? new Uint8Array(0));
  return tr.digest();
}

/**
 * Builds A's payment of `amount` to B with all four proofs (steps 3.2.1–3.2.4). Throws a
 * RangeError when the amount is not in [1, 2^ℓ] or the new balance would leave [0, 2^ℓ).
 */
export function proveSettlement(
  pub: Omit<SettlementPublic, 'publicKeyA'>,
  privateKeyA: PaillierPrivateKey,
  amount: bigint,
  options: SettlementProverOptions = {},
): Settlement {
  const random = options.random ?? osRandom;
  const pkA = privateKeyA.publicKey;
  const full: SettlementPublic = { ...pub, publicKeyA: pkA };
  const limit = 1n << BigInt(pub.bits);
  if (amount < 1n || amount > limit) throw new RangeError('settlement: amount must lie in [1, 2^ℓ]');
  // 3.2.1 new encrypted balance
  const balance = decrypt(privateKeyA, pub.oldBalanceA);
  const remaining = balance - amount;
  if (remaining < 0n || remaining >= limit) throw new RangeError('settlement: insufficient balance or balance out of range');
  const srcA = options.nonceSourceA ?? random;
  const srcB = options.nonceSourceB ?? random;
  const newBal = encryptDetailed(privateKeyA, remaining, srcA);
  // 3.2.3 the two encryptions of T
  const tA = encryptDetailed(privateKeyA, amount, srcA);
  const tB = encryptDetailed(pub.publicKeyB, amount, srcB);
  const transfer: SettlementTransfer = { transferA: tA.ciphertext, transferB: tB.ciphertext, newBalanceA: newBal.ciphertext };
  const context = settlementContext(full, transfer);
  const common = { setup: pub.setup, context, params: pub.params };
  const proverA = { random, nonceSource: options.nonceSourceA, privateKey: privateKeyA };
  // 3.2.2 ① ZKRP A' ∈ [0, 2^ℓ)
  const rangeBalance = proveRange(
    { ...common, publicKey: pkA, ciphertext: newBal.ciphertext, bits: pub.bits },
    { plaintext: remaining, nonce: newBal.nonce },
    proverA,
  );
  // 3.2.2 ② EL-AHE
  const balanceUpdate = proveBalanceUpdate(
    { publicKey: pkA, oldBalance: pub.oldBalanceA, transfer: tA.ciphertext, newBalance: newBal.ciphertext, context, params: pub.params },
    privateKeyA,
    proverA,
  );
  // 3.2.4 ① ZKRP T ∈ [1, 2^ℓ]
  const rangeTransfer = proveRange(
    { ...common, publicKey: pkA, ciphertext: tA.ciphertext, bits: pub.bits, offset: 1n },
    { plaintext: amount, nonce: tA.nonce },
    proverA,
  );
  // 3.2.4 ② EL-Enc (T < 2^{ℓ+1})
  const equalTransfer = proveEqualAcrossKeys(
    { ...common, publicKeyA: pkA, ciphertextA: tA.ciphertext, publicKeyB: pub.publicKeyB, ciphertextB: tB.ciphertext, bits: pub.bits + 1 },
    { plaintext: amount, nonceA: tA.nonce, nonceB: tB.nonce },
    { ...proverA, nonceSourceB: options.nonceSourceB },
  );
  return { transfer, proof: { rangeTransfer, rangeBalance, equalTransfer, balanceUpdate } };
}

const REJECTED: SettlementVerdict = Object.freeze({ valid: false, checks: Object.freeze({ '2a': false, '2b': false, '2c': false, '2d': false }) });

/**
 * Peer verification steps 2a–2d (§3.3). Every step refuses Paillier keys and a ring-Pedersen
 * setup that fail `requireAcceptableKeys` (N̂ ≥ max(2048, 2(ℓ + 1 + σ) + c) bits, checked once
 * per setup and cached); a refused setup or key, or malformed input, fails every step — this
 * function never throws.
 */
export function verifySettlement(pub: SettlementPublic, transfer: SettlementTransfer, proof: SettlementProof): SettlementVerdict {
  try {
    if (pub === null || typeof pub !== 'object' || transfer === null || typeof transfer !== 'object' || proof === null || typeof proof !== 'object') return REJECTED;
    // the whole settlement is refused on an unacceptable setup or key, before any proof is read
    requireAcceptableKeys('settlement', [pub.publicKeyA, pub.publicKeyB], pub.setup, minRingPedersenBits(pub.bits + 1, pub.params ?? DEFAULT_ZK_PARAMS));
    const context = settlementContext(pub, transfer);
    const common = { setup: pub.setup, context, params: pub.params };
    const pkA = pub.publicKeyA;
    const checks = {
      '2a': verifyRange({ ...common, publicKey: pkA, ciphertext: transfer.transferA, bits: pub.bits, offset: 1n }, proof.rangeTransfer),
      '2b': verifyRange({ ...common, publicKey: pkA, ciphertext: transfer.newBalanceA, bits: pub.bits }, proof.rangeBalance),
      '2c': verifyEqualAcrossKeys(
        { ...common, publicKeyA: pkA, ciphertextA: transfer.transferA, publicKeyB: pub.publicKeyB, ciphertextB: transfer.transferB, bits: pub.bits + 1 },
        proof.equalTransfer,
      ),
      '2d': verifyBalanceUpdate(
        { publicKey: pkA, oldBalance: pub.oldBalanceA, transfer: transfer.transferA, newBalance: transfer.newBalanceA, context, params: pub.params },
        proof.balanceUpdate,
      ),
    };
    return { valid: checks['2a'] && checks['2b'] && checks['2c'] && checks['2d'], checks };
  } catch {
    return REJECTED;
  }
}

/** B's new encrypted balance after an accepted settlement: B·T_B mod N_B² (§3.3). */
export function creditRecipient(publicKeyB: PaillierPublicKey, oldBalanceB: bigint, transferB: bigint): bigint {
  return add(publicKeyB, oldBalanceB, transferB);
}

/** u32(count) ‖ frameParts(parts): the settlement proof's container (count checked on decoding). */
function frame(parts: readonly Uint8Array[]): Uint8Array {
  const body = frameParts(parts);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, parts.length, false);
  out.set(body, 4);
  return out;
}

function unframe(bytes: Uint8Array, count: number): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint32(0, false) !== count) throw new RangeError('settlement encoding: wrong part count');
  const out: Uint8Array[] = [];
  let off = 4;
  for (let i = 0; i < count; i++) {
    if (off + 4 > bytes.length) throw new RangeError('settlement encoding: truncated');
    const len = view.getUint32(off, false);
    if (off + 4 + len > bytes.length) throw new RangeError('settlement encoding: truncated');
    out.push(bytes.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  if (off !== bytes.length) throw new RangeError('settlement encoding: trailing bytes');
  return out;
}

/** Serialises the four proofs (2a, 2b, 2c, 2d), each length-prefixed. */
export function encodeSettlementProof(p: SettlementProof): Uint8Array {
  return frame([
    encodeRangeProof(p.rangeTransfer),
    encodeRangeProof(p.rangeBalance),
    encodeCrossKeyProof(p.equalTransfer),
    encodeSameKeyProof(p.balanceUpdate),
  ]);
}

export function decodeSettlementProof(bytes: Uint8Array): SettlementProof {
  const [a, b, c, d] = unframe(bytes, 4);
  return {
    rangeTransfer: decodeRangeProof(a),
    rangeBalance: decodeRangeProof(b),
    equalTransfer: decodeCrossKeyProof(c),
    balanceUpdate: decodeSameKeyProof(d),
  };
}

/** SHA-256 of a settlement proof's encoding (handy as an identifier in logs and tests). */
export function settlementProofId(p: SettlementProof): Uint8Array {
  return sha256(encodeSettlementProof(p));
}
