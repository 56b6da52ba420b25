/**
 * Umbral: threshold proxy re-encryption (KEM/DEM) over ristretto255.
 *
 * Reference: D. Nuñez, "Umbral: A Threshold Proxy Re-Encryption Scheme" (NuCypher, 2018,
 * github.com/nucypher/umbral-doc), with the verifiability extensions (capsule check, kFrag
 * commitments and signatures, cFrag correctness proofs) and the non-interactive key derivation
 * of NuCypher's reference implementations (pyUmbral / rust-umbral `umbral-pre`). Seed paper 003
 * (Feng Tao et al., 2020) shares medical records between institutions by proxy re-encryption;
 * this module is that primitive.
 *
 * Group: ristretto255 (RFC 9496) instead of the paper's secp256k1. Umbral only needs a group
 * of prime order q where DDH is hard (it inverts exponents mod q and runs Shamir sharing over
 * Z_q). ristretto255 gives prime order with canonical, strictly validated encodings and shares
 * one group, one hash-to-group and one scalar encoding with the ring signature (`group.ts`).
 * Multiplicative notation of the paper (g^x, E^rk) is written additively here (x·G, rk·E).
 *
 * Parameters: generator G; second generator U = hash_to_ristretto255("medchain-sim/umbral/v1/U")
 * (RFC 9380 App. B; nobody knows log_G U). Hash functions (all RFC 9380 hash-to-scalar with
 * distinct DSTs, inputs framed by length): H_capsule(E, V); H_shared(X_A, pk_B, dh) → d;
 * H_polyarg(X_A, pk_B, dh, id) → x_i; H_sig(Y, msg) for kFrag signatures; H_cfrag(E, E1, E2, V,
 * V1, V2, U, U1, U2) for the re-encryption proof. KDF: HKDF-SHA-256 (RFC 5869) of the encoded
 * shared point. DEM: XChaCha20-Poly1305 with a random 24-byte nonce and the capsule as AAD.
 *
 * Algorithms (paper names; steps cited in the code below):
 *   KeyGen            a ←$ Z_q*, pk = a·G.
 *   Encapsulate(pk_A) r, u ←$; E = r·G; V = u·G; s = u + r·H_capsule(E, V);
 *                     K = KDF((r + u)·pk_A); capsule = (E, V, s).
 *   CheckCapsule      s·G = V + H_capsule(E, V)·E   (a Schnorr-style proof of knowledge of r, u
 *                     that makes the capsule non-malleable; checked by everyone who touches it).
 *   Decapsulate(a)    CheckCapsule; K = KDF(a·(E + V)).
 *   ReKeyGen(a, pk_B, signer, t, N)
 *                     x_A ←$; X_A = x_A·G (the "precursor"); dh = x_A·pk_B; d = H_shared(X_A, pk_B, dh);
 *                     f_0 = a·d⁻¹, f_1 … f_{t−1} ←$; f(x) = Σ f_k x^k.
 *                     For each of N fragments: id ←$ {0,1}^256; x_id = H_polyarg(X_A, pk_B, dh, id);
 *                     rk = f(x_id); U1 = rk·U (commitment); (z1, z2) = Schnorr signature by
 *                     `signer` on (id, U1, X_A, pk_A, pk_B): y ←$, z1 = H_sig(y·G, msg), z2 = y − sk·z1.
 *                     kFrag = (id, rk, X_A, U1, z1, z2).
 *   ReEncapsulate(capsule, kFrag)   (`reencrypt`)
 *                     CheckCapsule; E1 = rk·E; V1 = rk·V; proof of correctness (Chaum–Pedersen
 *                     DLEQ, Fiat–Shamir): t ←$; E2 = t·E, V2 = t·V, U2 = t·U;
 *                     h = H_cfrag(E, E1, E2, V, V1, V2, U, U1, U2); z3 = t + h·rk.
 *                     cFrag = (E1, V1, id, X_A, π = (E2, V2, U2, U1, z3, z1, z2)).
 *   CheckCFrag        kFrag signature valid for (id, U1, X_A, pk_A, pk_B) under the verifying key,
 *                     and z3·E = E2 + h·E1, z3·V = V2 + h·V1, z3·U = U2 + h·U1 — so E1, V1 use the
 *                     same rk that the delegator committed to in U1 = rk·U.
 *   DecapsulateFrags(b, pk_A, capsule, {cFrag_i})  (`decapsulateReencrypted`)
 *                     dh = b·X_A; d = H_shared(X_A, pk_B, dh); x_i = H_polyarg(X_A, pk_B, dh, id_i);
 *                     λ_i = Π_{j≠i} x_j / (x_j − x_i); E' = Σ λ_i·E1_i; V' = Σ λ_i·V1_i;
 *                     check s·d⁻¹·pk_A = H_capsule(E, V)·E' + V'  (fails unless ≥ t correct
 *                     fragments of this capsule were combined); K = KDF(d·(E' + V')).
 *   Correctness: E' = f(0)·E = a·d⁻¹·r·G and V' = a·d⁻¹·u·G, so d·(E' + V') = (r + u)·a·G.
 *
 * Revocation: Umbral has no cryptographic revocation. A delegation is revoked by asking the
 * proxies to delete their kFrags; it holds as long as at least N − t + 1 proxies comply, since
 * fewer than t cFrags fail the DecapsulateFrags check (`UmbralError` code `combination-failed`,
 * or `insufficient-cfrags` when the caller states the threshold).
 *
 * Randomness: every random draw comes from the `RandomSource` argument, so a seeded source
 * gives byte-identical keys, capsules, kFrags, cFrags and ciphertexts. Secret-scalar
 * multiplications use noble's constant-time ladder (`mulSecret`); checks on public values use
 * the variable-time `mulPublic`.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  G,
  IDENTITY,
  ORDER,
  bytesEqual,
  encodePoint,
  encodeScalar,
  hashToGroup,
  hashToScalar,
  invertScalar,
  modL,
  mulPublic,
  mulSecret,
  publicTable,
  randomScalar,
  tryDecodePoint,
  tryDecodeScalar,
} from './group.ts';
import type { Point } from './group.ts';
import { osRandom } from './random.ts';
import type { RandomSource } from './random.ts';

const DST = {
  U: 'medchain-sim/umbral/v1/U',
  capsule: 'medchain-sim/umbral/v1/capsule',
  shared: 'medchain-sim/umbral/v1/shared-secret',
  polyarg: 'medchain-sim/umbral/v1/polynomial-arg',
  sig: 'medchain-sim/umbral/v1/kfrag-signature',
  cfrag: 'medchain-sim/umbral/v1/cfrag-proof',
} as const;
const encoder = new TextEncoder();
const KDF_INFO = encoder.encode('medchain-sim/umbral/v1/dem-key');

/** The second generator U (nothing-up-my-sleeve: hash-to-group of a fixed label). */
const U: Point = hashToGroup(DST.U, encoder.encode('Umbral commitment generator U'));
const U_TABLE = publicTable(U, 7);
/** U's canonical encoding, for reference and tests. */
export const GENERATOR_U: Uint8Array = encodePoint(U);

/** Size constants (bytes). */
export const CAPSULE_BYTES = 96;
export const KFRAG_BYTES = 192;
export const CFRAG_BYTES = 352;
/** XChaCha20-Poly1305 nonce and tag sizes. */
const NONCE_BYTES = 24;
const TAG_BYTES = 16;

// ─────────────────────────────── types ───────────────────────────────

export type UmbralErrorCode =
  | 'invalid-key'
  | 'invalid-parameters'
  | 'invalid-capsule'
  | 'invalid-kfrag'
  | 'invalid-cfrag'
  | 'no-cfrags'
  | 'insufficient-cfrags'
  | 'mismatched-cfrags'
  | 'duplicate-cfrags'
  | 'combination-failed'
  | 'decryption-failed';

/** Every failure of this module is an `UmbralError` with a machine-readable `code`. */
export class UmbralError extends Error {
  readonly code: UmbralErrorCode;
  constructor(code: UmbralErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'UmbralError';
    this.code = code;
  }
}

export interface UmbralKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** The KEM ciphertext (E, V, s); all fields are canonical 32-byte encodings. */
export interface Capsule {
  readonly e: Uint8Array;
  readonly v: Uint8Array;
  readonly s: Uint8Array;
}

/** A re-encryption key fragment, held by one proxy. `rk` is secret. */
export interface KFrag {
  readonly id: Uint8Array;
  readonly rk: Uint8Array;
  /** X_A, the precursor (ephemeral DH public key shared by all fragments of one delegation). */
  readonly precursor: Uint8Array;
  /** U1 = rk·U. */
  readonly commitment: Uint8Array;
  /** (z1, z2), 64 bytes: the signer's Schnorr signature on (id, U1, X_A, pk_A, pk_B). */
  readonly signature: Uint8Array;
}

/** The correctness proof carried by a cFrag. */
export interface CFragProof {
  readonly e2: Uint8Array;
  readonly v2: Uint8Array;
  readonly u2: Uint8Array;
  /** U1 = rk·U, copied from the kFrag. */
  readonly u1: Uint8Array;
  readonly z3: Uint8Array;
  /** The kFrag signature (z1, z2), so the receiver can authenticate U1. */
  readonly kfragSignature: Uint8Array;
}

/** A re-encrypted capsule fragment produced by one proxy. */
export interface CFrag {
  readonly e1: Uint8Array;
  readonly v1: Uint8Array;
  readonly id: Uint8Array;
  readonly precursor: Uint8Array;
  readonly proof: CFragProof;
}

/** Public keys needed to check kFrags and cFrags. */
export interface DelegationKeys {
  /** The kFrag signer's public key (the delegator's own key when no separate signer was used). */
  readonly verifyingPub: Uint8Array;
  readonly delegatingPub: Uint8Array;
  readonly receivingPub: Uint8Array;
}

// ─────────────────────────────── helpers ───────────────────────────────

function secretScalar(bytes: Uint8Array, what: string): bigint {
  const x = tryDecodeScalar(bytes);
  if (x === undefined || x === 0n) throw new UmbralError('invalid-key', `${what} must be a canonical non-zero 32-byte scalar`);
  return x;
}

function publicPoint(bytes: Uint8Array, what: string): Point {
  const P = tryDecodePoint(bytes, false);
  if (P === undefined) throw new UmbralError('invalid-key', `${what} must be a canonical non-identity ristretto255 point`);
  return P;
}

const kdf = (shared: Point): Uint8Array => hkdf(sha256, encodePoint(shared), undefined, KDF_INFO, 32);

/** Draws a key pair: a ←$ [1, q), pk = a·G. */
export function generateKeyPair(random: RandomSource = osRandom): UmbralKeyPair {
  const a = randomScalar(random);
  return { secretKey: encodeScalar(a), publicKey: encodePoint(mulSecret(G, a)) };
}

/** pk = a·G. */
export function publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  return encodePoint(mulSecret(G, secretScalar(secretKey, 'secret key')));
}

// ───────────────────────────── KEM ─────────────────────────────

function capsuleChallenge(e: Uint8Array, v: Uint8Array): bigint {
  return hashToScalar(DST.capsule, e, v);
}

type DecodedCapsule = { E: Point; V: Point; s: bigint; h: bigint };

/** Strict decoding plus CheckCapsule: s·G = V + h·E with h = H_capsule(E, V). */
function checkCapsule(capsule: Capsule): DecodedCapsule | undefined {
  if (typeof capsule !== 'object' || capsule === null) return undefined;
  const E = tryDecodePoint(capsule.e, false);
  const V = tryDecodePoint(capsule.v, false);
  const s = tryDecodeScalar(capsule.s);
  if (E === undefined || V === undefined || s === undefined) return undefined;
  const h = capsuleChallenge(capsule.e, capsule.v);
  // s·G − h·E = V
  if (!mulPublic([[s, 'G'], [ORDER - h, E]]).equals(V)) return undefined;
  return { E, V, s, h };
}

/** True iff the capsule is well formed and passes CheckCapsule. Never throws. */
export function verifyCapsule(capsule: Capsule): boolean {
  try {
    return checkCapsule(capsule) !== undefined;
  } catch {
    return false;
  }
}

function requireCapsule(capsule: Capsule): DecodedCapsule {
  const c = checkCapsule(capsule);
  if (c === undefined) throw new UmbralError('invalid-capsule', 'capsule is malformed or fails CheckCapsule');
  return c;
}

/**
 * Encapsulate: a fresh 32-byte symmetric key for the holder of `delegatingPub` (or anyone she
 * delegates to) and the capsule that carries it.
 */
export function encapsulate(delegatingPub: Uint8Array, random: RandomSource = osRandom): { capsule: Capsule; key: Uint8Array } {
  const pkA = publicPoint(delegatingPub, 'delegating public key');
  // 1. r, u ←$ Z_q*; E = r·G, V = u·G.
  const r = randomScalar(random);
  const u = randomScalar(random);
  const e = encodePoint(mulSecret(G, r));
  const v = encodePoint(mulSecret(G, u));
  // 2. s = u + r·H_capsule(E, V).
  const s = modL(u + r * capsuleChallenge(e, v));
  // 3. K = KDF((r + u)·pk_A).
  const key = kdf(mulSecret(pkA, r + u));
  return { capsule: { e, v, s: encodeScalar(s) }, key };
}

/** Decapsulate with the delegator's secret: CheckCapsule, then K = KDF(a·(E + V)). */
export function decapsulate(capsule: Capsule, delegatingSecret: Uint8Array): Uint8Array {
  const a = secretScalar(delegatingSecret, 'delegating secret key');
  const { E, V } = requireCapsule(capsule);
  return kdf(mulSecret(E.add(V), a));
}

// ───────────────────────── kFrag signatures (Schnorr) ─────────────────────────

function kfragMessage(id: Uint8Array, u1: Uint8Array, precursor: Uint8Array, delegatingPub: Uint8Array, receivingPub: Uint8Array): Uint8Array[] {
  return [id, u1, precursor, delegatingPub, receivingPub];
}

/**
 * Schnorr signature as in the paper, (z1, z2) form, key-prefixed: y ←$, Y = y·G,
 * z1 = H_sig(Y, pk, msg), z2 = y − sk·z1. Returns z1 ‖ z2.
 */
function schnorrSign(sk: bigint, msg: Uint8Array[], random: RandomSource): Uint8Array {
  const pk = encodePoint(mulSecret(G, sk));
  for (;;) {
    const y = randomScalar(random);
    const z1 = hashToScalar(DST.sig, encodePoint(mulSecret(G, y)), pk, ...msg);
    if (z1 === 0n) continue; // negligible; keeps z1 ≠ 0 so the key is bound
    const z2 = modL(y - sk * z1);
    const out = new Uint8Array(64);
    out.set(encodeScalar(z1), 0);
    out.set(encodeScalar(z2), 32);
    return out;
  }
}

/** Accepts iff z1 = H_sig(z2·G + z1·pk, pk, msg). Never throws. */
function schnorrVerify(pk: Point, msg: Uint8Array[], signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  const z1 = tryDecodeScalar(signature.subarray(0, 32));
  const z2 = tryDecodeScalar(signature.subarray(32, 64));
  if (z1 === undefined || z2 === undefined || z1 === 0n) return false;
  const Y = mulPublic([[z2, 'G'], [z1, pk]]);
  return hashToScalar(DST.sig, encodePoint(Y), encodePoint(pk), ...msg) === z1;
}

// ───────────────────────────── ReKeyGen ─────────────────────────────

function polyArg(precursor: Uint8Array, receivingPub: Uint8Array, dh: Point, id: Uint8Array): bigint {
  return hashToScalar(DST.polyarg, precursor, receivingPub, encodePoint(dh), id);
}

function sharedSecret(precursor: Uint8Array, receivingPub: Uint8Array, dh: Point): bigint {
  return hashToScalar(DST.shared, precursor, receivingPub, encodePoint(dh));
}

/**
 * ReKeyGen: splits the re-encryption key from `delegatingSecret` (a) to `receivingPub` (pk_B)
 * into `shares` kFrags, any `threshold` of which suffice. `signer` is the secret key that signs
 * the kFrags (default: the delegating secret itself, as in the paper); proxies and the receiver
 * check the signatures against its public key.
 */
export function generateKFrags(
  delegatingSecret: Uint8Array,
  receivingPub: Uint8Array,
  signer: Uint8Array | undefined,
  threshold: number,
  shares: number,
  random: RandomSource = osRandom,
): KFrag[] {
  if (!Number.isInteger(threshold) || !Number.isInteger(shares) || threshold < 1 || shares < threshold || shares > 0xffff) {
    throw new UmbralError('invalid-parameters', `need integers 1 <= threshold (${threshold}) <= shares (${shares}) <= 65535`);
  }
  const a = secretScalar(delegatingSecret, 'delegating secret key');
  const signerSk = signer === undefined ? a : secretScalar(signer, 'signer secret key');
  const pkB = publicPoint(receivingPub, 'receiving public key');
  const delegatingPub = encodePoint(mulSecret(G, a));
  // 1. Precursor X_A = x_A·G and the non-interactive DH point dh = x_A·pk_B.
  const xA = randomScalar(random);
  const precursor = encodePoint(mulSecret(G, xA));
  const dh = mulSecret(pkB, xA);
  // 2. d = H_shared(X_A, pk_B, dh); f_0 = a·d⁻¹; f_1 … f_{t−1} ←$.
  const d = sharedSecret(precursor, receivingPub, dh);
  const coeffs: bigint[] = [modL(a * invertScalar(d))];
  for (let k = 1; k < threshold; k++) coeffs.push(randomScalar(random));
  const f = (x: bigint): bigint => coeffs.reduceRight((acc, c) => modL(acc * x + c), 0n); // Horner
  // 3. One fragment per proxy.
  const kfrags: KFrag[] = [];
  const seen = new Set<bigint>();
  while (kfrags.length < shares) {
    const id = random(32);
    const x = polyArg(precursor, receivingPub, dh, id);
    if (x === 0n || seen.has(x)) continue; // x = 0 would reveal f(0); collisions break interpolation (both negligible)
    const rk = f(x);
    if (rk === 0n) continue; // negligible; keeps every commitment a non-identity point
    seen.add(x);
    const commitment = encodePoint(mulSecret(U, rk)); // U1 = rk·U
    const signature = schnorrSign(signerSk, kfragMessage(id, commitment, precursor, delegatingPub, receivingPub), random);
    kfrags.push({ id, rk: encodeScalar(rk), precursor, commitment, signature });
  }
  return kfrags;
}

type DecodedKFrag = { rk: bigint; U1: Point };

function decodeKFrag(kfrag: KFrag): DecodedKFrag | undefined {
  if (typeof kfrag !== 'object' || kfrag === null) return undefined;
  if (!(kfrag.id instanceof Uint8Array) || kfrag.id.length !== 32) return undefined;
  if (!(kfrag.signature instanceof Uint8Array) || kfrag.signature.length !== 64) return undefined;
  const rk = tryDecodeScalar(kfrag.rk);
  const U1 = tryDecodePoint(kfrag.commitment, false);
  if (rk === undefined || rk === 0n || U1 === undefined || tryDecodePoint(kfrag.precursor, false) === undefined) return undefined;
  // The commitment must open to rk: U1 = rk·U (rk is secret, so the comparison is on points).
  if (!mulSecret(U, rk).equals(U1)) return undefined;
  return { rk, U1 };
}

/**
 * A proxy's check of its kFrag: well formed, U1 = rk·U, and signed by `verifyingPub` for this
 * (delegator, receiver) pair. Never throws.
 */
export function verifyKFrag(kfrag: KFrag, keys: DelegationKeys): boolean {
  try {
    if (decodeKFrag(kfrag) === undefined) return false;
    const vk = tryDecodePoint(keys.verifyingPub, false);
    if (vk === undefined || tryDecodePoint(keys.delegatingPub, false) === undefined || tryDecodePoint(keys.receivingPub, false) === undefined) return false;
    return schnorrVerify(vk, kfragMessage(kfrag.id, kfrag.commitment, kfrag.precursor, keys.delegatingPub, keys.receivingPub), kfrag.signature);
  } catch {
    return false;
  }
}

// ───────────────────────────── ReEncapsulate ─────────────────────────────

function cfragChallenge(c: Capsule, e1: Uint8Array, e2: Uint8Array, v1: Uint8Array, v2: Uint8Array, u1: Uint8Array, u2: Uint8Array): bigint {
  return hashToScalar(DST.cfrag, c.e, e1, e2, c.v, v1, v2, GENERATOR_U, u1, u2);
}

/**
 * ReEncapsulate (a proxy's work): checks the capsule and the kFrag's commitment, then returns
 * the cFrag (E1, V1) = rk·(E, V) with its Chaum–Pedersen proof of correct re-encryption.
 * Throws `UmbralError` (`invalid-capsule`, `invalid-kfrag`). The kFrag signature is checked by
 * `verifyKFrag`, which needs the delegation's public keys.
 */
export function reencrypt(capsule: Capsule, kfrag: KFrag, random: RandomSource = osRandom): CFrag {
  // 1. CheckCapsule.
  const { E, V } = requireCapsule(capsule);
  const k = decodeKFrag(kfrag);
  if (k === undefined) throw new UmbralError('invalid-kfrag', 'kFrag is malformed or its commitment does not open to rk');
  // 2. E1 = rk·E, V1 = rk·V.
  const e1 = encodePoint(mulSecret(E, k.rk));
  const v1 = encodePoint(mulSecret(V, k.rk));
  // 3. Proof: t ←$; E2 = t·E, V2 = t·V, U2 = t·U; h = H_cfrag(…); z3 = t + h·rk.
  const t = randomScalar(random);
  const e2 = encodePoint(mulSecret(E, t));
  const v2 = encodePoint(mulSecret(V, t));
  const u2 = encodePoint(mulSecret(U, t));
  const h = cfragChallenge(capsule, e1, e2, v1, v2, kfrag.commitment, u2);
  const z3 = modL(t + h * k.rk);
  return {
    e1,
    v1,
    id: Uint8Array.from(kfrag.id),
    precursor: Uint8Array.from(kfrag.precursor),
    proof: { e2, v2, u2, u1: Uint8Array.from(kfrag.commitment), z3: encodeScalar(z3), kfragSignature: Uint8Array.from(kfrag.signature) },
  };
}

type DecodedCFrag = { E1: Point; V1: Point; precursor: Point };

/** CheckCFrag on a decoded capsule; returns the decoded fragment or undefined. */
function checkCFrag(cfrag: CFrag, capsule: Capsule, c: DecodedCapsule, keys: DelegationKeys): DecodedCFrag | undefined {
  if (typeof cfrag !== 'object' || cfrag === null || typeof cfrag.proof !== 'object' || cfrag.proof === null) return undefined;
  const p = cfrag.proof;
  if (!(cfrag.id instanceof Uint8Array) || cfrag.id.length !== 32) return undefined;
  const E1 = tryDecodePoint(cfrag.e1, false);
  const V1 = tryDecodePoint(cfrag.v1, false);
  const X = tryDecodePoint(cfrag.precursor, false);
  const E2 = tryDecodePoint(p.e2, false);
  const V2 = tryDecodePoint(p.v2, false);
  const U2 = tryDecodePoint(p.u2, false);
  const U1 = tryDecodePoint(p.u1, false);
  const z3 = tryDecodeScalar(p.z3);
  const vk = tryDecodePoint(keys.verifyingPub, false);
  if (!E1 || !V1 || !X || !E2 || !V2 || !U2 || !U1 || z3 === undefined || !vk) return undefined;
  if (tryDecodePoint(keys.delegatingPub, false) === undefined || tryDecodePoint(keys.receivingPub, false) === undefined) return undefined;
  // 1. The delegator (signer) vouches for U1 = rk·U of this fragment.
  if (!schnorrVerify(vk, kfragMessage(cfrag.id, p.u1, cfrag.precursor, keys.delegatingPub, keys.receivingPub), p.kfragSignature)) return undefined;
  // 2. Chaum–Pedersen: z3·E − h·E1 = E2, z3·V − h·V1 = V2, z3·U − h·U1 = U2.
  const h = cfragChallenge(capsule, cfrag.e1, p.e2, cfrag.v1, p.v2, p.u1, p.u2);
  const negH = ORDER - h;
  if (!mulPublic([[z3, c.E], [negH, E1]]).equals(E2)) return undefined;
  if (!mulPublic([[z3, c.V], [negH, V1]]).equals(V2)) return undefined;
  if (!mulPublic([[z3, U_TABLE], [negH, U1]]).equals(U2)) return undefined;
  return { E1, V1, precursor: X };
}

/**
 * CheckCFrag: the cFrag belongs to `capsule`, was produced with the kFrag the signer issued for
 * (delegatingPub → receivingPub), and E1, V1 are the correct re-encryption. Never throws.
 */
export function verifyCFrag(cfrag: CFrag, capsule: Capsule, keys: DelegationKeys): boolean {
  try {
    const c = checkCapsule(capsule);
    return c !== undefined && checkCFrag(cfrag, capsule, c, keys) !== undefined;
  } catch {
    return false;
  }
}

// ───────────────────────────── DecapsulateFrags ─────────────────────────────

export interface DecapsulateOptions {
  /** Public key of the kFrag signer; defaults to `delegatingPub` (the default signer). */
  readonly verifyingPub?: Uint8Array;
  /** If given, fewer distinct cFrags than this fail early with `insufficient-cfrags`. */
  readonly threshold?: number;
  /** Skip CheckCFrag (only for cFrags already verified with `verifyCFrag`). */
  readonly skipVerification?: boolean;
}

/**
 * DecapsulateFrags: the receiver combines ≥ t cFrags into the capsule's symmetric key.
 * Throws `UmbralError`: `no-cfrags`, `insufficient-cfrags` (below `opts.threshold`),
 * `invalid-cfrag` (a cFrag fails CheckCFrag), `mismatched-cfrags` (different delegations),
 * `duplicate-cfrags`, `combination-failed` (fewer than t fragments, or a wrong capsule/key).
 */
export function decapsulateReencrypted(
  receivingSecret: Uint8Array,
  delegatingPub: Uint8Array,
  capsule: Capsule,
  cfrags: readonly CFrag[],
  opts: DecapsulateOptions = {},
): Uint8Array {
  const b = secretScalar(receivingSecret, 'receiving secret key');
  const pkA = publicPoint(delegatingPub, 'delegating public key');
  const c = requireCapsule(capsule);
  if (!Array.isArray(cfrags) || cfrags.length === 0) throw new UmbralError('no-cfrags', 'no cFrags given');
  const receivingPub = encodePoint(mulSecret(G, b));
  const keys: DelegationKeys = { verifyingPub: opts.verifyingPub ?? delegatingPub, delegatingPub, receivingPub };
  // 1. Well-formed, distinct fragments only (a repeated id adds no information).
  const ids = new Set<string>();
  cfrags.forEach((cf, i) => {
    if (typeof cf !== 'object' || cf === null || !(cf.id instanceof Uint8Array) || !(cf.precursor instanceof Uint8Array)) {
      throw new UmbralError('invalid-cfrag', `cFrag #${i} is malformed`);
    }
    const key = bytesToHex(cf.id);
    if (ids.has(key)) throw new UmbralError('duplicate-cfrags', 'the same cFrag (kFrag id) was given twice');
    ids.add(key);
  });
  if (opts.threshold !== undefined && cfrags.length < opts.threshold) {
    throw new UmbralError('insufficient-cfrags', `${cfrags.length} cFrags given, threshold is ${opts.threshold}`);
  }
  // 2. CheckCFrag on each, and one delegation (precursor) for all.
  const decoded: DecodedCFrag[] = [];
  cfrags.forEach((cf, i) => {
    const d = opts.skipVerification
      ? (() => {
          const E1 = tryDecodePoint(cf.e1, false);
          const V1 = tryDecodePoint(cf.v1, false);
          const X = tryDecodePoint(cf.precursor, false);
          return E1 && V1 && X ? { E1, V1, precursor: X } : undefined;
        })()
      : checkCFrag(cf, capsule, c, keys);
    if (d === undefined) throw new UmbralError('invalid-cfrag', `cFrag #${i} fails CheckCFrag`);
    decoded.push(d);
  });
  const precursor = cfrags[0]!.precursor;
  if (!cfrags.every((cf) => bytesEqual(cf.precursor, precursor))) throw new UmbralError('mismatched-cfrags', 'cFrags come from different delegations');
  // 3. dh = b·X_A; d = H_shared(X_A, pk_B, dh); x_i = H_polyarg(X_A, pk_B, dh, id_i).
  const dh = mulSecret(decoded[0]!.precursor, b);
  const d = sharedSecret(precursor, receivingPub, dh);
  const xs = cfrags.map((cf) => polyArg(precursor, receivingPub, dh, cf.id));
  // 4. Lagrange coefficients at 0: λ_i = Π_{j≠i} x_j / (x_j − x_i); E' = Σ λ_i·E1_i, V' = Σ λ_i·V1_i.
  let E_ = IDENTITY;
  let V_ = IDENTITY;
  for (let i = 0; i < xs.length; i++) {
    let num = 1n;
    let den = 1n;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      num = modL(num * xs[j]!);
      den = modL(den * (xs[j]! - xs[i]!));
    }
    if (den === 0n) throw new UmbralError('duplicate-cfrags', 'two cFrags share an evaluation point');
    const lambda = modL(num * invertScalar(den));
    E_ = E_.add(mulSecret(decoded[i]!.E1, lambda));
    V_ = V_.add(mulSecret(decoded[i]!.V1, lambda));
  }
  // 5. Check s·d⁻¹·pk_A = h·E' + V' — holds only if ≥ t correct fragments of this capsule were combined.
  const lhs = mulSecret(pkA, modL(c.s * invertScalar(d)));
  if (!lhs.equals(mulPublic([[c.h, E_], [1n, V_]]))) {
    throw new UmbralError('combination-failed', `the ${cfrags.length} cFrag(s) do not reconstruct the key (fewer than the threshold, or not for this capsule/receiver)`);
  }
  // 6. K = KDF(d·(E' + V')).
  return kdf(mulSecret(E_.add(V_), d));
}

// ───────────────────────────── DEM ─────────────────────────────

/** Encrypt: Encapsulate, then XChaCha20-Poly1305 under K with the capsule as AAD. ciphertext = nonce ‖ ct ‖ tag. */
export function encrypt(delegatingPub: Uint8Array, plaintext: Uint8Array, random: RandomSource = osRandom): { capsule: Capsule; ciphertext: Uint8Array } {
  const { capsule, key } = encapsulate(delegatingPub, random);
  return { capsule, ciphertext: demEncrypt(key, capsule, plaintext, random) };
}

function demEncrypt(key: Uint8Array, capsule: Capsule, plaintext: Uint8Array, random: RandomSource): Uint8Array {
  const nonce = random(NONCE_BYTES);
  const ct = xchacha20poly1305(key, nonce, serializeCapsule(capsule)).encrypt(plaintext);
  const out = new Uint8Array(NONCE_BYTES + ct.length);
  out.set(nonce, 0);
  out.set(ct, NONCE_BYTES);
  return out;
}

function demDecrypt(key: Uint8Array, capsule: Capsule, ciphertext: Uint8Array): Uint8Array {
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < NONCE_BYTES + TAG_BYTES) throw new UmbralError('decryption-failed', 'ciphertext too short');
  try {
    return xchacha20poly1305(key, ciphertext.subarray(0, NONCE_BYTES), serializeCapsule(capsule)).decrypt(ciphertext.subarray(NONCE_BYTES));
  } catch {
    throw new UmbralError('decryption-failed', 'authentication failed (wrong key, capsule or ciphertext)');
  }
}

/** The delegator opens her own ciphertext. */
export function decryptOriginal(delegatingSecret: Uint8Array, capsule: Capsule, ciphertext: Uint8Array): Uint8Array {
  return demDecrypt(decapsulate(capsule, delegatingSecret), capsule, ciphertext);
}

/** The receiver opens a ciphertext with ≥ t cFrags (see `decapsulateReencrypted`). */
export function decryptReencrypted(
  receivingSecret: Uint8Array,
  delegatingPub: Uint8Array,
  capsule: Capsule,
  cfrags: readonly CFrag[],
  ciphertext: Uint8Array,
  opts: DecapsulateOptions = {},
): Uint8Array {
  return demDecrypt(decapsulateReencrypted(receivingSecret, delegatingPub, capsule, cfrags, opts), capsule, ciphertext);
}

// ───────────────────────────── serialisation ─────────────────────────────

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function split(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  for (const n of sizes) {
    out.push(bytes.slice(off, off + n));
    off += n;
  }
  return out;
}

/** E ‖ V ‖ s (96 bytes). */
export function serializeCapsule(c: Capsule): Uint8Array {
  return concat([c.e, c.v, c.s]);
}

/** Parses 96 bytes; `undefined` on a wrong length (validity is checked by `verifyCapsule`). */
export function deserializeCapsule(bytes: Uint8Array): Capsule | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length !== CAPSULE_BYTES) return undefined;
  const [e, v, s] = split(bytes, [32, 32, 32]) as [Uint8Array, Uint8Array, Uint8Array];
  return { e, v, s };
}

/** id ‖ rk ‖ X_A ‖ U1 ‖ z1 ‖ z2 (192 bytes). Contains the secret share rk. */
export function serializeKFrag(k: KFrag): Uint8Array {
  return concat([k.id, k.rk, k.precursor, k.commitment, k.signature]);
}

export function deserializeKFrag(bytes: Uint8Array): KFrag | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KFRAG_BYTES) return undefined;
  const [id, rk, precursor, commitment, signature] = split(bytes, [32, 32, 32, 32, 64]) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  return { id, rk, precursor, commitment, signature };
}

/** E1 ‖ V1 ‖ id ‖ X_A ‖ E2 ‖ V2 ‖ U2 ‖ U1 ‖ z3 ‖ z1 ‖ z2 (352 bytes). */
export function serializeCFrag(c: CFrag): Uint8Array {
  const p = c.proof;
  return concat([c.e1, c.v1, c.id, c.precursor, p.e2, p.v2, p.u2, p.u1, p.z3, p.kfragSignature]);
}

export function deserializeCFrag(bytes: Uint8Array): CFrag | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length !== CFRAG_BYTES) return undefined;
  const [e1, v1, id, precursor, e2, v2, u2, u1, z3, kfragSignature] = split(bytes, [32, 32, 32, 32, 32, 32, 32, 32, 32, 64]) as Uint8Array[];
  return { e1: e1!, v1: v1!, id: id!, precursor: precursor!, proof: { e2: e2!, v2: v2!, u2: u2!, u1: u1!, z3: z3!, kfragSignature: kfragSignature! } };
}
