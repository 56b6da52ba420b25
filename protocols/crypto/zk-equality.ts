/**
 * Plaintext-equality proofs for Paillier ciphertexts — seed 002's EL-Enc and EL-AHE
 * (Yu–Hu–Ding 2021 §3.2.2 ②, §3.2.4 ②, verification steps 2c and 2d).
 *
 * ## EL-Enc — equality across two different keys: `proveEqualAcrossKeys` / `verifyEqualAcrossKeys`
 *
 * Statement: Paillier keys N_A ≠ N_B, ciphertexts K_A (under N_A) and K_B (under N_B), a bit
 * length ℓ, ring-Pedersen parameters (N̂, s, t), a context. Claim: the prover knows an integer x
 * and nonces ρ_A, ρ_B with K_A = (1 + N_A)^x ρ_A^{N_A} mod N_A² and K_B = (1 + N_B)^x ρ_B^{N_B}
 * mod N_B², and |x| < 2^{ℓ+c+σ+1} (< N_A/2, N_B/2): both ciphertexts hide **the same integer**.
 *
 * The plaintext spaces Z_{N_A} and Z_{N_B} differ, so the response for x must be an integer, and
 * an integer response alone does not pin x down (a prover could encrypt "1/2" under both keys and
 * succeed whenever e is even). As in CGGMP'21 (Canetti et al., ePrint 2021/060) Π^enc (Fig. 14)
 * and Π^{aff-g} (Fig. 15), a ring-Pedersen commitment S = s^x t^μ shares the response z_x with
 * both Paillier legs; strong RSA then makes x = Δz_x/Δe an integer (Damgård–Fujisaki 2002).
 *   prover: α ← [0, 2^{ℓ+c+σ}), μ ← [0, 2^{|N̂|+σ}), γ ← [0, 2^{|N̂|+c+2σ}), r_A ← Z*_{N_A}, r_B ← Z*_{N_B}
 *           A_A = (1 + αN_A) r_A^{N_A} mod N_A², A_B = (1 + αN_B) r_B^{N_B} mod N_B², A_S = s^α t^γ
 *           e ← transcript;  z_x = α + e·x,  w_A = r_A ρ_A^e mod N_A,  w_B = r_B ρ_B^e mod N_B,
 *           z_μ = γ + e·μ
 *   verifier: 0 ≤ z_x < 2^{ℓ+c+σ+1}; (1 + z_x N_A) w_A^{N_A} = A_A K_A^e (mod N_A²);
 *           (1 + z_x N_B) w_B^{N_B} = A_B K_B^e (mod N_B²); s^{z_x} t^{z_μ} = A_S S^e (mod N̂, checked
 *           squared, see `ring-pedersen.ts`).
 * Knowledge error 2^-c under strong RSA for N̂ and well-formed keys (gcd(Δe, N_A N_B) = 1);
 * statistical HVZK with distance ≤ 3·2^-σ (z_x, z_μ, and S's randomness).
 *
 * ## EL-AHE — A' = A − T under one key: `proveBalanceUpdate` / `verifyBalanceUpdate`
 *
 * Statement: key N, old balance A, transfer T_A, new balance A' (all under N), context. Claim:
 * D(A) = D(T_A) + D(A') mod N, i.e. the quotient Q = A·(T_A·A')^{-1} mod N² encrypts 0, i.e. Q is
 * an N-th residue. The prover is the key owner: she does not know how A was formed (it is the
 * chain's running homomorphic sum), but with her secret key she computes y = Q^{1/N}
 * (`recoverNonce`) and proves knowledge of an N-th root — the Σ-protocol for N^s-th powers of
 * Damgård–Jurik (PKC 2001, §5 "protocol for n^s'th powers", s = 1; also Cramer–Damgård–Nielsen,
 * EUROCRYPT 2001, §4 and Damgård–Jurik–Nielsen IJIS 2010 §6):
 *   prover: r ← Z*_N, a = r^N mod N²;  e ← transcript;  z = r·y^e mod N
 *   verifier: z^N · (T_A·A')^e = a · A^e (mod N²)  (this is z^N = a·Q^e without computing an inverse)
 * Special soundness: two answers give (z/z')^N = Q^{Δe}; since Z*_{N²}/{N-th residues} ≅ Z_N,
 * gcd(Δe, N) = 1 forces Q to be an N-th residue. Knowledge error 2^-c; perfect HVZK (z uniform).
 * The same protocol, generalised, is `proveSameKeyEquality` (left/right encrypt the same value).
 */
import { gcd, modInverse, modPow } from './modexp.ts';
import {
  isValidCiphertext,
  paillierKeyProblem,
  recoverNonce,
  type NonceSource,
  type PaillierPrivateKey,
  type PaillierPublicKey,
} from './paillier.ts';
import { osRandom } from './random.ts';
import { appendRingPedersen, inRpGroup, minRingPedersenBits, RingPedersenBatch, type RingPedersenParams } from './ring-pedersen.ts';
import {
  allBigints,
  appendPaillierKey,
  paillierLegHolds,
  paillierLegWellFormed,
  proverRn,
  requireAcceptableKeys,
  type ProverOptions,
} from './zk-range.ts';
import {
  appendZkParams,
  checkZkParams,
  decodeFields,
  DEFAULT_ZK_PARAMS,
  encodeFields,
  randomBits,
  Transcript,
  type ZkParams,
} from './zk-transcript.ts';

// ---------------------------------------------------------------------------------------------
// EL-Enc

export interface CrossKeyStatement {
  readonly publicKeyA: PaillierPublicKey;
  readonly ciphertextA: bigint;
  readonly publicKeyB: PaillierPublicKey;
  readonly ciphertextB: bigint;
  /** ℓ: honest plaintexts lie in [0, 2^ℓ) */
  readonly bits: number;
  readonly setup: RingPedersenParams;
  readonly context?: Uint8Array;
  readonly params?: ZkParams;
}

export interface CrossKeyWitness {
  readonly plaintext: bigint;
  readonly nonceA: bigint;
  readonly nonceB: bigint;
}

export interface CrossKeyProverOptions extends ProverOptions {
  /** rⁿ source for key B (pool or random); `nonceSource`/`privateKey` apply to key A */
  readonly nonceSourceB?: NonceSource;
}

export interface CrossKeyProof {
  readonly S: bigint;
  readonly AA: bigint;
  readonly AB: bigint;
  readonly AS: bigint;
  readonly zx: bigint;
  readonly wA: bigint;
  readonly wB: bigint;
  readonly zmu: bigint;
}

const CROSS_DOMAIN = 'paillier/el-enc';

function crossBounds(st: CrossKeyStatement): { c: number; kappa: number; small: number; rand: number; big: number } {
  const p = st.params ?? DEFAULT_ZK_PARAMS;
  checkZkParams(p);
  if (!Number.isInteger(st.bits) || st.bits < 1) throw new RangeError('EL-Enc: bits must be a positive integer');
  requireAcceptableKeys('EL-Enc', [st.publicKeyA, st.publicKeyB], st.setup, minRingPedersenBits(st.bits, p));
  const small = st.bits + p.challengeBits + p.slackBits;
  const minBits = Math.min(st.publicKeyA.bits, st.publicKeyB.bits);
  if (small + 2 >= minBits - 1) throw new RangeError('EL-Enc: ℓ too large for these moduli');
  const nb = st.setup.bits;
  return { c: p.challengeBits, kappa: p.batchBits, small, rand: nb + p.slackBits, big: nb + p.challengeBits + 2 * p.slackBits };
}

function crossTranscript(st: CrossKeyStatement, pr: Pick<CrossKeyProof, 'S' | 'AA' | 'AB' | 'AS'>): Transcript {
  const tr = new Transcript(CROSS_DOMAIN);
  appendZkParams(tr, st.params ?? DEFAULT_ZK_PARAMS);
  tr.appendNumber('bits', st.bits);
  appendPaillierKey(tr, 'paillier/A', st.publicKeyA);
  appendPaillierKey(tr, 'paillier/B', st.publicKeyB);
  appendRingPedersen(tr, st.setup);
  tr.appendInt('K_A', st.ciphertextA).appendInt('K_B', st.ciphertextB);
  tr.appendBytes('context', st.context ?? new Uint8Array(0));
  tr.appendInt('S', pr.S).appendInt('A_A', pr.AA).appendInt('A_B', pr.AB).appendInt('A_S', pr.AS);
  return tr;
}

/** Proves K_A and K_B (different keys) encrypt the same x ∈ [0, 2^ℓ); throws if x is out of range. */
export function proveEqualAcrossKeys(statement: CrossKeyStatement, witness: CrossKeyWitness, options: CrossKeyProverOptions = {}): CrossKeyProof {
  const b = crossBounds(statement);
  if (statement.publicKeyA.n === statement.publicKeyB.n) throw new RangeError('EL-Enc: the two keys must differ');
  const x = witness.plaintext;
  if (x < 0n || x >= 1n << BigInt(statement.bits)) throw new RangeError('EL-Enc: value out of range');
  const random = options.random ?? osRandom;
  const { nHat, s, t } = statement.setup;
  const pkA = statement.publicKeyA;
  const pkB = statement.publicKeyB;
  const mu = randomBits(b.rand, random);
  const alpha = randomBits(b.small, random);
  const gamma = randomBits(b.big, random);
  const S = (modPow(s, x, nHat) * modPow(t, mu, nHat)) % nHat;
  const a = proverRn(pkA, random, options.nonceSource, options.privateKey);
  const bb = proverRn(pkB, random, options.nonceSourceB, undefined);
  const AA = ((1n + alpha * pkA.n) * a.rn) % pkA.n2;
  const AB = ((1n + alpha * pkB.n) * bb.rn) % pkB.n2;
  const AS = (modPow(s, alpha, nHat) * modPow(t, gamma, nHat)) % nHat;
  const e = crossTranscript(statement, { S, AA, AB, AS }).challenge('e', b.c);
  return {
    S,
    AA,
    AB,
    AS,
    zx: alpha + e * x,
    wA: (a.r * modPow(witness.nonceA, e, pkA.n)) % pkA.n,
    wB: (bb.r * modPow(witness.nonceB, e, pkB.n)) % pkB.n,
    zmu: gamma + e * mu,
  };
}

/**
 * Verifies an EL-Enc proof. Refuses keys and setups that fail `requireAcceptableKeys`; returns
 * false, never throws, on malformed input.
 */
export function verifyEqualAcrossKeys(statement: CrossKeyStatement, proof: CrossKeyProof): boolean {
  try {
    return verifyEqualAcrossKeysChecked(statement, proof);
  } catch {
    return false;
  }
}

function verifyEqualAcrossKeysChecked(statement: CrossKeyStatement, proof: CrossKeyProof): boolean {
  let b: ReturnType<typeof crossBounds>;
  try {
    b = crossBounds(statement);
  } catch {
    return false;
  }
  const pkA = statement.publicKeyA;
  const pkB = statement.publicKeyB;
  const rp = statement.setup;
  if (pkA.n === pkB.n) return false;
  if (proof === null || typeof proof !== 'object' || !allBigints(proof.S, proof.AA, proof.AB, proof.AS, proof.zx, proof.wA, proof.wB, proof.zmu)) return false;
  if (!isValidCiphertext(pkA, statement.ciphertextA) || !isValidCiphertext(pkB, statement.ciphertextB)) return false;
  if (!paillierLegWellFormed(pkA, proof.AA, proof.wA) || !paillierLegWellFormed(pkB, proof.AB, proof.wB)) return false;
  if (!inRpGroup(rp, proof.S) || !inRpGroup(rp, proof.AS)) return false;
  if (proof.zx < 0n || proof.zx >= 1n << BigInt(b.small + 1)) return false;
  if (proof.zmu < 0n || proof.zmu >= 1n << BigInt(b.big + 1)) return false;
  const tr = crossTranscript(statement, proof);
  const e = tr.challenge('e', b.c);
  if (!paillierLegHolds(pkA, statement.ciphertextA, proof.AA, proof.zx, proof.wA, e)) return false;
  if (!paillierLegHolds(pkB, statement.ciphertextB, proof.AB, proof.zx, proof.wB, e)) return false;
  tr.appendInts('z', [proof.zx, proof.wA, proof.wB, proof.zmu]);
  return new RingPedersenBatch(rp.nHat, (i) => tr.challenge(`batch/${i}`, b.kappa))
    .add([[rp.s, proof.zx], [rp.t, proof.zmu]], [[proof.AS, 1n], [proof.S, e]])
    .check();
}

/** Serialises an EL-Enc proof (tag `ELEN`, 8 integers). */
export function encodeCrossKeyProof(p: CrossKeyProof): Uint8Array {
  return encodeFields('ELEN', 1, [p.S, p.AA, p.AB, p.AS, p.zx, p.wA, p.wB, p.zmu]);
}

export function decodeCrossKeyProof(bytes: Uint8Array): CrossKeyProof {
  const [S, AA, AB, AS, zx, wA, wB, zmu] = decodeFields('ELEN', 1, bytes, 8);
  return { S, AA, AB, AS, zx, wA, wB, zmu };
}

// ---------------------------------------------------------------------------------------------
// Same-key equality (N-th residuosity of left/right) and EL-AHE

export interface SameKeyStatement {
  readonly publicKey: PaillierPublicKey;
  /** claim: D(left) = D(right) */
  readonly left: bigint;
  readonly right: bigint;
  readonly context?: Uint8Array;
  readonly params?: ZkParams;
  /** domain-separation label (EL-AHE uses its own) */
  readonly domain?: string;
  /** further public values to bind into the challenge (EL-AHE: T_A and A' individually) */
  readonly bind?: readonly bigint[];
}

export interface SameKeyProof {
  readonly a: bigint;
  readonly z: bigint;
}

const SAME_DOMAIN = 'paillier/same-key-equality';

function sameTranscript(st: SameKeyStatement, a: bigint): Transcript {
  const tr = new Transcript(st.domain ?? SAME_DOMAIN);
  appendZkParams(tr, st.params ?? DEFAULT_ZK_PARAMS);
  appendPaillierKey(tr, 'paillier', st.publicKey);
  tr.appendInt('left', st.left).appendInt('right', st.right).appendInts('bind', st.bind ?? []);
  tr.appendBytes('context', st.context ?? new Uint8Array(0));
  tr.appendInt('a', a);
  return tr;
}

/** y with left = right·y^N (mod N²), from the secret key; throws if D(left) ≠ D(right). */
export function sameKeyRoot(sk: PaillierPrivateKey, left: bigint, right: bigint): bigint {
  const { n, n2 } = sk.publicKey;
  // Q = left/right; y = Q^{1/N} mod N. Checked: y^N must reproduce Q.
  const y = (recoverNonce(sk, left) * modInverse(recoverNonce(sk, right), n)) % n;
  if ((modPow(y, n, n2) * right) % n2 !== left % n2) throw new RangeError('equality proof: plaintexts differ');
  return y;
}

/** Proves D(left) = D(right) given y with left = right·y^N (Damgård–Jurik §5 N-th-power protocol). */
export function proveSameKeyEquality(statement: SameKeyStatement, root: bigint, options: ProverOptions = {}): SameKeyProof {
  const p = statement.params ?? DEFAULT_ZK_PARAMS;
  checkZkParams(p);
  const pk = statement.publicKey;
  requireAcceptableKeys('equality proof', [pk]);
  const random = options.random ?? osRandom;
  const { r, rn } = proverRn(pk, random, options.nonceSource, options.privateKey);
  const e = sameTranscript(statement, rn).challenge('e', p.challengeBits);
  return { a: rn, z: (r * modPow(root, e, pk.n)) % pk.n };
}

/**
 * Verifies z^N·right^e = a·left^e (mod N²). Refuses keys that fail `paillierKeyProblem`; returns
 * false, never throws, on malformed input.
 */
export function verifySameKeyEquality(statement: SameKeyStatement, proof: SameKeyProof): boolean {
  try {
    const p = statement.params ?? DEFAULT_ZK_PARAMS;
    checkZkParams(p);
    const pk = statement.publicKey;
    if (paillierKeyProblem(pk) !== undefined) return false;
    const { n, n2 } = pk;
    if (proof === null || typeof proof !== 'object' || !allBigints(proof.a, proof.z)) return false;
    if (!isValidCiphertext(pk, statement.left) || !isValidCiphertext(pk, statement.right)) return false;
    if (proof.a <= 0n || proof.a >= n2 || proof.z <= 0n || proof.z >= n || gcd(proof.z, n) !== 1n) return false;
    const e = sameTranscript(statement, proof.a).challenge('e', p.challengeBits);
    const lhs = (modPow(proof.z, n, n2) * modPow(statement.right, e, n2)) % n2;
    const rhs = (proof.a * modPow(statement.left, e, n2)) % n2;
    return lhs === rhs;
  } catch {
    return false;
  }
}

export function encodeSameKeyProof(p: SameKeyProof): Uint8Array {
  return encodeFields('ELSK', 1, [p.a, p.z]);
}

export function decodeSameKeyProof(bytes: Uint8Array): SameKeyProof {
  const [a, z] = decodeFields('ELSK', 1, bytes, 2);
  return { a, z };
}

export interface BalanceUpdateStatement {
  readonly publicKey: PaillierPublicKey;
  /** A: the old encrypted balance (from the chain) */
  readonly oldBalance: bigint;
  /** E_A(T) */
  readonly transfer: bigint;
  /** A' */
  readonly newBalance: bigint;
  readonly context?: Uint8Array;
  readonly params?: ZkParams;
}

const AHE_DOMAIN = 'paillier/el-ahe';

function balanceAsSameKey(st: BalanceUpdateStatement): SameKeyStatement {
  const { n2 } = st.publicKey;
  const right = (st.transfer * st.newBalance) % n2;
  return {
    publicKey: st.publicKey,
    left: st.oldBalance,
    right,
    context: st.context,
    params: st.params,
    domain: AHE_DOMAIN,
    bind: [st.transfer, st.newBalance],
  };
}

/**
 * EL-AHE: proves D(A') = D(A) − D(T_A) with A's secret key (N-th root of A·(T_A·A')^{-1}).
 * The transcript binds A, T_A and A' individually (not only the product T_A·A').
 */
export function proveBalanceUpdate(statement: BalanceUpdateStatement, sk: PaillierPrivateKey, options: ProverOptions = {}): SameKeyProof {
  if (sk.publicKey.n !== statement.publicKey.n) throw new RangeError('EL-AHE: the secret key does not match');
  const same = balanceAsSameKey(statement);
  const root = sameKeyRoot(sk, same.left, same.right);
  return proveSameKeyEquality(same, root, { privateKey: sk, ...options });
}

/** Verifies an EL-AHE proof (false, never a throw, on malformed input). */
export function verifyBalanceUpdate(statement: BalanceUpdateStatement, proof: SameKeyProof): boolean {
  try {
    const pk = statement.publicKey;
    if (paillierKeyProblem(pk) !== undefined) return false;
    if (!isValidCiphertext(pk, statement.transfer) || !isValidCiphertext(pk, statement.newBalance)) return false;
    return verifySameKeyEquality(balanceAsSameKey(statement), proof);
  } catch {
    return false;
  }
}
