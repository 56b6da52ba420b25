/**
 * ristretto255 group helpers shared by the ring-signature (`ringsig.ts`) and proxy
 * re-encryption (`umbral.ts`) modules.
 *
 * Group: ristretto255 (RFC 9496), the prime-order group of order
 * ℓ = 2^252 + 27742317777372353535851937790883648493 built on Curve25519. Unlike raw Ed25519
 * points (cofactor 8), every canonical 32-byte ristretto255 encoding names exactly one group
 * element and every element has exactly one encoding, so "equal bytes ⇔ equal elements" holds
 * and small-subgroup / torsion games (e.g. Monero's 2017 key-image bug) are impossible by
 * construction.
 *
 * What this module provides, each following a named standard:
 *
 * - Scalar encoding: 32-byte little-endian integers in [0, ℓ) (RFC 9496 §4 / RFC 8032 style).
 *   Decoding is strict: any value ≥ ℓ (e.g. s + ℓ) and any length ≠ 32 is rejected.
 * - Point encoding: RFC 9496 §4.3.1 (decode) / §4.3.2 (encode), through @noble/curves, which
 *   rejects non-canonical field encodings, negative `s` and non-square cases.
 * - hash-to-scalar: RFC 9380 §5.3.1 `expand_message_xmd` with SHA-512 producing 64 uniform bytes,
 *   read little-endian and reduced mod ℓ (the RFC 9497 / RFC 9380 `hash_to_field` recipe with
 *   L = 64, bias < 2^-256).
 * - hash-to-group: RFC 9380 Appendix B `hash_to_ristretto255` (expand_message_xmd-SHA-512 to 64
 *   bytes, then RFC 9496 §4.3.4 element derivation = two Elligator maps added).
 * - Every hash input is an unambiguous list of byte strings: each part is prefixed by its length
 *   as a 4-byte big-endian integer, so ("ab","c") and ("a","bc") hash differently. A distinct
 *   domain-separation tag (DST) names every use.
 * - `mulPublic`: a variable-time multi-scalar multiplication Σ k_j·P_j (Straus' interleaved
 *   method, "interleaving with NAFs", with width-w NAF digits: Hankerson–Menezes–Vanstone,
 *   *Guide to Elliptic Curve Cryptography* §3.3) on extended twisted-Edwards coordinates (Hisil–Wong–Carter–Dawson 2008, formulas
 *   dbl-2008-hwcd and add-2008-hwcd-3 for a = −1), with a fast reduction for p = 2^255 − 19.
 *   It exists for speed: verification of an n-member ring signature needs 2n double-scalar
 *   products. **Only for public scalars and points** (verification, and the public decoy
 *   responses of a ring signature): its running time depends on the scalars. Secret scalars
 *   go through `mulSecret` (noble's constant-time ladder) or `mulSecretTable` (a fixed
 *   operation sequence over a precomputed table, as constant-time as noble's, see there). The
 *   tests cross-check both against noble on random and edge-case inputs.
 * - Split tables (`publicSplitTable`): per point, the window tables of 2^(32k)·P for k = 0 … 7,
 *   so that products with points that are used again and again (ring members' keys) need 31
 *   doublings instead of 252.
 * - The RFC 9380 expander runs SHA-512 in OpenSSL (`node:crypto`), equal to noble's (tested).
 *
 * No state is hidden here: the only module-level values are constants (the base point's
 * precomputed tables, derived from the standard generator; the split one on first use).
 */
import { hash as nodeHash } from 'node:crypto';
import { ed25519, ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, equalBytes, numberToBytesLE } from '@noble/curves/utils.js';
import { frameParts } from './encoding.ts';
import { randomBelow } from './random.ts';
import type { RandomSource } from './random.ts';

/** A ristretto255 group element (noble's RistrettoPoint). */
export type Point = InstanceType<typeof ristretto255.Point>;
/** The ristretto255 point class: `Point.BASE` is the generator G, `Point.ZERO` the identity. */
export const Point = ristretto255.Point;

/** Group order ℓ = 2^252 + 27742317777372353535851937790883648493. */
export const ORDER: bigint = ristretto255.Point.Fn.ORDER;
/** Encoded scalar length in bytes. */
export const SCALAR_BYTES = 32;
/** Encoded point length in bytes. */
export const POINT_BYTES = 32;
/** The generator G (the ristretto255 generator of RFC 9496 §4). */
export const G: Point = ristretto255.Point.BASE;
/** The identity element. */
export const IDENTITY: Point = ristretto255.Point.ZERO;

// ───────────────────────────── scalars ─────────────────────────────

/** x mod ℓ, in [0, ℓ). */
export function modL(x: bigint): bigint {
  const r = x % ORDER;
  return r < 0n ? r + ORDER : r;
}

/** Multiplicative inverse mod ℓ; throws on 0. */
export function invertScalar(x: bigint): bigint {
  const r = modL(x);
  if (r === 0n) throw new RangeError('invertScalar: zero has no inverse');
  return ristretto255.Point.Fn.inv(r);
}

/** Encodes a scalar in [0, ℓ) as 32 little-endian bytes. Throws if out of range. */
export function encodeScalar(s: bigint): Uint8Array {
  if (typeof s !== 'bigint' || s < 0n || s >= ORDER) throw new RangeError('encodeScalar: expected 0 <= s < l');
  return numberToBytesLE(s, SCALAR_BYTES);
}

/**
 * Strict scalar decoding: exactly 32 bytes, little-endian value < ℓ. Returns `undefined` for
 * anything else (wrong type or length, or non-canonical value such as s + ℓ). Never throws.
 */
export function tryDecodeScalar(bytes: unknown): bigint | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SCALAR_BYTES) return undefined;
  const s = bytesToNumberLE(bytes);
  return s < ORDER ? s : undefined;
}

/** Strict scalar decoding; throws `RangeError` on invalid input (see `tryDecodeScalar`). */
export function decodeScalar(bytes: Uint8Array): bigint {
  const s = tryDecodeScalar(bytes);
  if (s === undefined) throw new RangeError('decodeScalar: not a canonical 32-byte scalar < l');
  return s;
}

/**
 * A uniformly random non-zero scalar in [1, ℓ), drawn by rejection sampling (`randomBelow`) from
 * the given random source, so a seeded source yields the same scalar sequence on every run.
 */
export function randomScalar(random: RandomSource): bigint {
  return randomBelow(ORDER - 1n, random) + 1n;
}

// ───────────────────────────── points ─────────────────────────────

/** RFC 9496 §4.3.2 canonical 32-byte encoding. */
export function encodePoint(P: Point): Uint8Array {
  return P.toBytes();
}

/**
 * Strict point decoding (RFC 9496 §4.3.1): exactly 32 bytes forming the canonical encoding of a
 * group element. Returns `undefined` for anything else. With `allowIdentity: false` (default
 * `true`) the identity encoding (32 zero bytes) is also rejected. Never throws.
 */
export function tryDecodePoint(bytes: unknown, allowIdentity = true): Point | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length !== POINT_BYTES) return undefined;
  let P: Point;
  try {
    P = ristretto255.Point.fromBytes(bytes);
  } catch {
    return undefined;
  }
  if (!allowIdentity && P.is0()) return undefined;
  return P;
}

/** Strict point decoding; throws `RangeError` on invalid input (see `tryDecodePoint`). */
export function decodePoint(bytes: Uint8Array, allowIdentity = true): Point {
  const P = tryDecodePoint(bytes, allowIdentity);
  if (P === undefined) throw new RangeError('decodePoint: not a canonical ristretto255 encoding' + (allowIdentity ? '' : ' of a non-identity element'));
  return P;
}

/**
 * k·P for a **secret** scalar k, via noble's constant-time multiplication. k = 0 gives the
 * identity (noble itself refuses 0, to catch broken plumbing; here 0 may legitimately occur,
 * e.g. as a Shamir share, with negligible probability).
 */
export function mulSecret(P: Point, k: bigint): Point {
  const r = modL(k);
  return r === 0n ? IDENTITY : P.multiply(r);
}

/**
 * k·B for a **secret** scalar k from a precomputed table of B (`publicTable` / `publicSplitTable`
 * of width ≥ 5, or `'G'`), with a **fixed operation sequence**: k is made odd without a branch
 * (k + (1 − k mod 2)·ℓ, equal mod ℓ), then recoded into 64 odd digits d_i ∈ [−15, 15] at bit
 * positions 4i — the regular signed-window recoding of Okeya–Takagi (CT-RSA 2003) / Joye–Tunstall
 * ("Exponent recoding and regular exponentiation algorithms", AFRICACRYPT 2009): d_i =
 * (k mod 32) − 16, k ← (k − d_i)/16. Every digit is non-zero, so the chain performs the same
 * doublings and additions (64, one per digit, from the identity) whatever k is: 28 doublings
 * with a split table, 252 with a plain one. Like noble's `multiply` (`mulSecret`) it still
 * indexes its table by secret digits and runs on variable-time BigInt arithmetic, so it is as
 * constant-time as that ladder and no more; it is several times faster because the table is
 * reused (the ring signer's Hp(P) from a `RingKeyCache`, the generator's static table).
 */
export function mulSecretTable(k: bigint, base: PointTable | 'G'): RawPoint {
  const table = base === 'G' ? baseSplit() : base;
  if (table.width < 5) throw new RangeError('mulSecretTable: the table must have width ≥ 5');
  let r = modL(k);
  r += (1n - (r & 1n)) * ORDER; // odd representative, < 2ℓ < 2^254
  const digits = new Int8Array(64);
  for (let i = 0; i < 63; i++) {
    const d = Number(r & 31n) - 16;
    digits[i] = d;
    r = (r - BigInt(d)) >> 4n;
  }
  digits[63] = Number(r); // 1 or 3: r < 2^254 / 2^252 + 1, and odd
  let acc: Ext = { X: 0n, Y: 1n, Z: 1n, T: 0n };
  const add = (entries: readonly Cached[], d: number) => {
    acc = extAddCached(acc, entries[(d < 0 ? -d : d) >> 1]!, d < 0);
  };
  const teeth = table.teeth;
  if (teeth !== undefined) {
    // digit i sits at bit 4i = 32·(i >> 3) + 4·(i & 7): tooth i >> 3, chain step 4·(i & 7)
    for (let step = 7; step >= 0; step--) {
      if (step !== 7) for (let j = 0; j < 4; j++) acc = j < 3 ? projDouble(acc) : extDouble(acc);
      for (let t = 0; t < SPLIT_TEETH; t++) add(teeth[t]!, digits[8 * t + step]!);
    }
  } else {
    for (let i = 63; i >= 0; i--) {
      if (i !== 63) for (let j = 0; j < 4; j++) acc = j < 3 ? projDouble(acc) : extDouble(acc);
      add(table.entries, digits[i]!);
    }
  }
  return acc;
}

/** k·G for a secret scalar k (constant time, noble's precomputed base-point table). */
export function mulBaseSecret(k: bigint): Point {
  return mulSecret(G, k);
}

// ───────────────────────── hashing (RFC 9380) ─────────────────────────

const encoder = new TextEncoder();

/** UTF-8 bytes of a string; bytes pass through unchanged. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** Unambiguous framing: for each part, 4-byte big-endian length ‖ bytes (`frameParts`). */
export const frame: (parts: readonly Uint8Array[]) => Uint8Array = frameParts;

/**
 * RFC 9380 §5.3.1 expand_message_xmd with SHA-512 and len_in_bytes = 64 (so ell = 1):
 *   b_0 = H(Z_pad ‖ msg ‖ I2OSP(64, 2) ‖ I2OSP(0, 1) ‖ DST'),  b_1 = H(b_0 ‖ I2OSP(1, 1) ‖ DST'),
 * output b_1, with DST' = DST ‖ I2OSP(len(DST), 1) and Z_pad = 128 zero bytes (SHA-512's block).
 * SHA-512 runs in OpenSSL (`node:crypto`), about a hundred times faster than the JavaScript
 * expander for these short inputs; the tests check it against noble's `expand_message_xmd`.
 */
function expandXmd64(msg: Uint8Array, dst: string): Uint8Array {
  let dstBytes: Uint8Array = encoder.encode(dst);
  if (dstBytes.length === 0) throw new RangeError('expand_message_xmd: empty DST');
  if (dstBytes.length > 255) dstBytes = sha512Native(concat([encoder.encode('H2C-OVERSIZE-DST-'), dstBytes])); // §5.3.3
  const dstPrime = concat([dstBytes, Uint8Array.of(dstBytes.length)]);
  const b0 = sha512Native(concat([ZPAD_SHA512, msg, Uint8Array.of(0, 64, 0), dstPrime]));
  return sha512Native(concat([b0, Uint8Array.of(1), dstPrime]));
}

const ZPAD_SHA512 = new Uint8Array(128);

/** SHA-512 (FIPS 180-4) through OpenSSL; the tests cross-check it with @noble/hashes. */
export function sha512Native(data: Uint8Array): Uint8Array {
  const out = nodeHash('sha512', Buffer.from(data.buffer, data.byteOffset, data.byteLength), 'buffer');
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * hash-to-scalar: RFC 9380 §5.3.1 expand_message_xmd(SHA-512, DST, 64 bytes) over
 * `frame(parts)`, read little-endian, reduced mod ℓ (noble's `ristretto255_hasher.hashToScalar`,
 * with the expander in OpenSSL). `dst` must be a non-empty ASCII label unique to this use.
 */
export function hashToScalar(dst: string, ...parts: Uint8Array[]): bigint {
  return modL(bytesToNumberLE(expandXmd64(frame(parts), dst)));
}

/**
 * hash-to-group: RFC 9380 Appendix B `hash_to_ristretto255` over `frame(parts)` with the given
 * DST (a random-oracle encoding: the output's discrete log to G is unknown to everyone): the
 * 64 expanded bytes go through RFC 9496 §4.3.4 element derivation (noble's `deriveToCurve`).
 */
export function hashToGroup(dst: string, ...parts: Uint8Array[]): Point {
  return ristretto255_hasher.deriveToCurve!(expandXmd64(frame(parts), dst)) as Point;
}

/** Constant-structure byte comparison (lengths must match). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && equalBytes(a, b);
}

// ─────────────── variable-time multi-scalar multiplication ───────────────
//
// Field arithmetic on bigints modulo p = 2^255 − 19 with lazy reduction:
//   - `red(y)` folds twice with 2^255 ≡ 19 (mod p): y ↦ (y mod 2^255) + 19·⌊y / 2^255⌋. For any
//     y < 2^755 the result is < 2^256 (not fully reduced, which is fine for intermediate values).
//   - Subtractions add 8p (≈ 2^258) so every intermediate stays non-negative; all values fed to
//     a multiplication are < 2^260, so products are < 2^520 and `red` keeps its bound.
//   - Final coordinates are fully reduced with `% p` before handing the point back to noble.
// Points: extended coordinates (X : Y : Z : T) with x = X/Z, y = Y/Z, T = XY/Z on
//   −x² + y² = 1 + d·x²·y² (Ed25519; ristretto255 elements are represented by such points).
// Table entries use the "cached" form (Y+X, Y−X, 2Z, 2d·T) so an addition costs 8M.

const FP = 2n ** 255n - 19n;
const FP8 = 8n * FP;
const D2 = (2n * ed25519.Point.CURVE().d) % FP;

const MASK255 = (1n << 255n) - 1n;

function red(y: bigint): bigint {
  y = (y & MASK255) + (y >> 255n) * 19n;
  return (y & MASK255) + (y >> 255n) * 19n;
}

/** Extended point (X, Y, Z, T). */
type Ext = { X: bigint; Y: bigint; Z: bigint; T: bigint };
/** Cached point (Y+X, Y−X, 2Z, 2d·T). */
type Cached = { ypx: bigint; ymx: bigint; z2: bigint; t2d: bigint };

/** dbl-2008-hwcd with a = −1: 3S + 5M (E computed as 2·X1·Y1, cheaper here than a square). */
function extDouble(P: Ext): Ext {
  const A = red(P.X * P.X); // A = X1²
  const B = red(P.Y * P.Y); // B = Y1²
  const C = red((P.Z * P.Z) << 1n); // C = 2·Z1²
  const E = red((P.X * P.Y) << 1n); // E = (X1+Y1)² − A − B = 2·X1·Y1
  const Gv = B + FP8 - A; // G = D + B with D = a·A = −A
  const F = Gv + FP8 - C; // F = G − C
  const H = FP8 - A - B; // H = D − B = −A − B
  return { X: red(E * F), Y: red(Gv * H), Z: red(F * Gv), T: red(E * H) }; // X3 = E·F, Y3 = G·H, Z3 = F·G, T3 = E·H
}

/**
 * dbl-2008-hwcd without the T output (3S + 4M): used when the result only feeds another
 * doubling, which never reads T. T is left as 0n and must not be used.
 */
function projDouble(P: Ext): Ext {
  const A = red(P.X * P.X); // A = X1²
  const B = red(P.Y * P.Y); // B = Y1²
  const C = red((P.Z * P.Z) << 1n); // C = 2·Z1²
  const E = red((P.X * P.Y) << 1n); // E = 2·X1·Y1
  const Gv = B + FP8 - A; // G = −A + B
  const F = Gv + FP8 - C; // F = G − C
  const H = FP8 - A - B; // H = −A − B
  return { X: red(E * F), Y: red(Gv * H), Z: red(F * Gv), T: 0n };
}

/** add-2008-hwcd-3 (a = −1, k = 2d) with a cached second operand; `neg` adds −Q instead. */
function extAddCached(P: Ext, Q: Cached, neg: boolean): Ext {
  const ypx = neg ? Q.ymx : Q.ypx; // −(x, y) = (−x, y): swaps Y+X and Y−X and negates T
  const ymx = neg ? Q.ypx : Q.ymx;
  const A = red((P.Y + FP8 - P.X) * ymx); // A = (Y1−X1)·(Y2−X2)
  const B = red((P.Y + P.X) * ypx); // B = (Y1+X1)·(Y2+X2)
  const Ct = red(P.T * Q.t2d); // C = T1·2d·T2
  const C = neg ? FP8 - Ct : Ct;
  const D = Q.z2 === 2n ? P.Z << 1n : red(P.Z * Q.z2); // D = Z1·2·Z2 (a shift when Z2 = 1)
  const E = B + FP8 - A; // E = B − A
  const F = D + FP8 - C; // F = D − C
  const Gv = D + C; // G = D + C
  const H = B + A; // H = B + A
  return { X: red(E * F), Y: red(Gv * H), Z: red(F * Gv), T: red(E * H) };
}

function toCached(P: Ext): Cached {
  return { ypx: red(P.Y + P.X), ymx: red(P.Y + FP8 - P.X), z2: red(2n * P.Z), t2d: red(D2 * P.T) };
}

/** The Edwards representative of a ristretto255 element (affine, so Z = 1). */
function toExt(P: Point): Ext {
  const { x, y } = P.toAffine();
  return { X: x, Y: y, Z: 1n, T: (x * y) % FP };
}

function fromExt(P: Ext): Point {
  // Fully reduce; noble's constructor expects coordinates in [0, 2^256) and a consistent T.
  const ep = new ed25519.Point(P.X % FP, P.Y % FP, P.Z % FP, P.T % FP);
  return new ristretto255.Point(ep);
}

/**
 * A precomputed table of odd multiples [1·P, 3·P, …, (2^(w−1) − 1)·P] for width-w NAF digits.
 * Build one with `publicTable(P, w)` when the same point is multiplied many times (the ring
 * signature does this for its key image); `mulPublic` builds a small one on the fly otherwise.
 *
 * A **split** table (`publicSplitTable`) also holds `teeth`: the odd-multiple tables of the
 * eight points B_k = 2^(32k)·P, k = 0 … 7 (`entries` = `teeth[0]`). A scalar's NAF digit at bit
 * position i = 32k + j then contributes d·2^j·B_k, so a multiplication needs only 31 doublings
 * instead of 252 — the fixed-base comb idea (Lim–Lee, CRYPTO 1994; HMV *Guide to ECC* §3.3.2)
 * applied to wNAF digits. `mulPublic` uses the short chain when every term has teeth.
 */
export type PointTable = { readonly width: number; readonly entries: readonly Cached[]; readonly teeth?: readonly (readonly Cached[])[] };

/** Odd multiples [1·B, 3·B, …, (2^(w−1) − 1)·B] of an extended point, as extended points. */
function oddMultiples(base: Ext, width: number): Ext[] {
  const twoB = toCached(extDouble(base));
  const pts: Ext[] = [base];
  for (let i = 1; i < 1 << (width - 2); i++) pts.push(extAddCached(pts[i - 1]!, twoB, false));
  return pts;
}

/** Builds the odd-multiple table of P for window width w (2 ≤ w ≤ 8). */
export function publicTable(P: Point, width = 5): PointTable {
  if (!Number.isInteger(width) || width < 2 || width > 8) throw new RangeError('publicTable: width must be in 2..8');
  return { width, entries: oddMultiples(toExt(P), width).map(toCached) };
}

/** Bit span of one tooth of a split table, and the number of teeth (8 × 32 = 256 bits). */
const SPLIT_SPAN = 32;
const SPLIT_TEETH = 8;

/** The inverses mod p of non-zero field elements: prefix products, one inversion, walk back (Montgomery's trick). */
function batchInvert(zs: readonly bigint[]): bigint[] {
  const prefix: bigint[] = [];
  let acc = 1n;
  for (const z of zs) {
    prefix.push(acc);
    acc = (acc * z) % FP;
  }
  let inv = ristretto255.Point.Fp.inv(acc);
  const out: bigint[] = new Array<bigint>(zs.length);
  for (let i = zs.length - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % FP; // 1 / z_i
    inv = (inv * zs[i]!) % FP; // 1 / (z_0 ⋯ z_{i−1})
  }
  return out;
}

/**
 * Cached forms of points with Z = 1 (affine): one field inversion for all of them
 * (`batchInvert`), so that each later addition with them saves a multiplication (`extAddCached`).
 */
function toCachedAffine(points: readonly Ext[]): Cached[] {
  const zInv = batchInvert(points.map((P) => P.Z % FP));
  return points.map((P, i) => {
    const x = (P.X * zInv[i]!) % FP;
    const y = (P.Y * zInv[i]!) % FP;
    return { ypx: (y + x) % FP, ymx: (y + FP - x) % FP, z2: 2n, t2d: (((D2 * x) % FP) * y) % FP };
  });
}

/**
 * A split table of P (see `PointTable`): 8 teeth of width-w odd multiples, 8·2^(w−2) points.
 * Costs about 224 doublings and 8·2^(w−2) additions to build, so it pays off for a point that
 * is multiplied many times (a ring member's key and Hp(key) across many signatures, a key image
 * across the n members of one ring). `normalize` (default true) stores the points with Z = 1,
 * one batched inversion that makes every later addition one multiplication cheaper.
 */
export function publicSplitTable(P: Point | RawPoint, width = 5, normalize = true): PointTable {
  if (!Number.isInteger(width) || width < 2 || width > 8) throw new RangeError('publicSplitTable: width must be in 2..8');
  let base: Ext = P instanceof ristretto255.Point ? toExt(P) : { ...(P as RawPoint) };
  const bases: Ext[] = [base];
  for (let k = 1; k < SPLIT_TEETH; k++) {
    for (let j = 0; j < SPLIT_SPAN - 1; j++) base = projDouble(base);
    base = extDouble(base); // the last doubling keeps T, which additions need
    bases.push(base);
  }
  const multiples = bases.map((b) => oddMultiples(b, width));
  const teeth = normalize
    ? (() => {
        const flat = toCachedAffine(multiples.flat());
        const per = 1 << (width - 2);
        return bases.map((_, k) => flat.slice(k * per, (k + 1) * per));
      })()
    : multiples.map((ms) => ms.map(toCached));
  return { width, entries: teeth[0]!, teeth };
}

/**
 * Width-w non-adjacent form of 0 ≤ k < 2^256, least-significant digit first (HMV Alg. 3.35):
 * every non-zero digit is odd with |d| < 2^(w−1), and any w consecutive digits hold at most one
 * non-zero. Computed on 32-bit words with a carry (the formulation of libsecp256k1's
 * `secp256k1_ecmult_wnaf`) instead of BigInt shifts, which cost more than the additions they
 * schedule.
 */
function wnaf(k: bigint, width: number): Int8Array {
  const hex = k.toString(16).padStart(64, '0');
  if (hex.length > 64) throw new RangeError('wnaf: scalar ≥ 2^256');
  const words = new Uint32Array(9); // little-endian 32-bit words, plus a zero word for reads past the top
  for (let w = 0; w < 8; w++) words[w] = parseInt(hex.slice(56 - 8 * w, 64 - 8 * w), 16);
  const bitsOf = (pos: number, count: number): number => {
    const w = pos >>> 5;
    const off = pos & 31;
    let v = words[w]! >>> off;
    if (off + count > 32) v |= words[w + 1]! << (32 - off);
    return v & ((1 << count) - 1);
  };
  const out = new Int8Array(257);
  let carry = 0;
  for (let bit = 0; bit < 256; ) {
    if (bitsOf(bit, 1) === carry) {
      bit++;
      continue;
    }
    const now = Math.min(width, 256 - bit);
    let word = bitsOf(bit, now) + carry;
    carry = (word >> (width - 1)) & 1;
    word -= carry << width;
    out[bit] = word;
    bit += now;
  }
  if (carry !== 0) out[256] = carry; // only for k ≥ 2^255; scalars here are < ℓ < 2^253
  return out;
}

const BASE_TABLE: PointTable = publicTable(G, 8);
let baseSplitTable: PointTable | undefined;

/** The generator's split table, width 8 (512 points; built on first use, a few milliseconds). */
function baseSplit(): PointTable {
  return (baseSplitTable ??= publicSplitTable(G, 8));
}

/**
 * A group element in the internal extended-coordinate form `mulPublicRaw` works in (an
 * Edwards representative of the ristretto255 element). Opaque: use `hashEncoding` to hash it or
 * `fromRaw` to get a noble point.
 */
export type RawPoint = { readonly X: bigint; readonly Y: bigint; readonly Z: bigint; readonly T: bigint };

/** The internal form of a noble point (one field inversion). */
export function toRaw(P: Point): RawPoint {
  return toExt(P);
}

/** A noble ristretto255 point from the internal form. */
export function fromRaw(P: RawPoint): Point {
  return fromExt(P);
}

/**
 * Canonical, injective byte encoding of group elements **for hash inputs only** (not a wire
 * format — use `encodePoint` for that). Element ↦ Ed25519 compression (RFC 8032 §5.1.2: y,
 * little-endian, with the sign of x in bit 255) of 8·P, for any Edwards representative P.
 * Why it is canonical: every representative of a ristretto255 element is P_ℓ + T with P_ℓ in the
 * prime-order subgroup and T a small-order point, and 8·(P_ℓ + T) = 8·P_ℓ; multiplication by 8
 * is a bijection of the prime-order subgroup and compression is injective on curve points, so
 * the bytes determine the element and vice versa. Why: it needs three doublings and one field
 * inversion, and the inversions of all the given points are batched into one (Montgomery's
 * trick) — roughly ten times cheaper than RFC 9496 encoding, which needs an inverse square root
 * per point. Returns the concatenation of the 32-byte encodings.
 */
export function hashEncoding(points: readonly RawPoint[]): Uint8Array {
  const eights = points.map((P) => projDouble(projDouble(projDouble(P))));
  const zInv = batchInvert(eights.map((P) => P.Z % FP)); // one inversion for all points
  const out = new Uint8Array(32 * points.length);
  for (let i = 0; i < eights.length; i++) {
    const x = (eights[i]!.X * zInv[i]!) % FP;
    const y = (eights[i]!.Y * zInv[i]!) % FP;
    const enc = numberToBytesLE(y, 32);
    enc[31]! |= Number(x & 1n) << 7;
    out.set(enc, 32 * i);
  }
  return out;
}

/**
 * Σ k_j·P_j for **public** scalars and points (variable time). Each term is `[k, P]` where P is
 * a point, a `PointTable`, or the string `'G'` for the generator (uses a static width-8 table).
 * Scalars are reduced mod ℓ. Straus' interleaving: one shared chain of ≤ 253 doublings, one
 * addition per non-zero NAF digit of each scalar.
 */
export function mulPublic(terms: ReadonlyArray<readonly [bigint, Point | PointTable | 'G']>): Point {
  return fromExt(mulPublicRaw(terms));
}

/** `mulPublic` returning the internal form (skips building a noble point). */
export function mulPublicRaw(terms: ReadonlyArray<readonly [bigint, Point | PointTable | 'G']>): RawPoint {
  // Short chain when every point has a split table (the generator always has one).
  let split = true;
  for (const [, P] of terms) if (P !== 'G' && !('teeth' in P && P.teeth !== undefined)) split = false;
  const tables: PointTable[] = [];
  const nafs: Int8Array[] = [];
  for (const [k, P] of terms) {
    const kr = modL(k);
    if (kr === 0n) continue;
    const table = P === 'G' ? (split ? baseSplit() : BASE_TABLE) : 'entries' in P ? P : publicTable(P, 5);
    tables.push(table);
    nafs.push(wnaf(kr, table.width));
  }
  return split ? splitChain(tables, nafs) : fullChain(tables, nafs);
}

/** Straus over all 256 digit positions: one shared chain of doublings. */
function fullChain(tables: readonly PointTable[], nafs: readonly Int8Array[]): Ext {
  let top = 255;
  while (top >= 0 && nafs.every((d) => d[top] === 0)) top--;
  let acc: Ext = { X: 0n, Y: 1n, Z: 1n, T: 0n };
  for (let i = top; i >= 0; i--) {
    if (i !== top) {
      // T is needed only if an addition follows at this digit position (or this is the end).
      let addsHere = i === 0;
      for (let j = 0; j < nafs.length && !addsHere; j++) addsHere = nafs[j]![i] !== 0;
      acc = addsHere ? extDouble(acc) : projDouble(acc);
    }
    for (let j = 0; j < nafs.length; j++) {
      const d = nafs[j]![i]!;
      if (d !== 0) acc = extAddCached(acc, tables[j]!.entries[(d < 0 ? -d : d) >> 1]!, d < 0);
    }
  }
  return acc;
}

/**
 * Straus over split tables: digit position i = 32k + j is added from tooth k at chain step j,
 * so the chain has 31 doublings (see `PointTable`).
 */
function splitChain(tables: readonly PointTable[], nafs: readonly Int8Array[]): Ext {
  let acc: Ext = { X: 0n, Y: 1n, Z: 1n, T: 0n };
  let started = false;
  for (let j = SPLIT_SPAN - 1; j >= 0; j--) {
    if (started) {
      let addsHere = j === 0;
      for (let t = 0; t < nafs.length && !addsHere; t++) {
        const d = nafs[t]!;
        for (let k = 0; k < SPLIT_TEETH && !addsHere; k++) addsHere = d[k * SPLIT_SPAN + j] !== 0;
      }
      acc = addsHere ? extDouble(acc) : projDouble(acc);
    }
    for (let t = 0; t < nafs.length; t++) {
      const d = nafs[t]!;
      const teeth = tables[t]!.teeth!;
      for (let k = 0; k < SPLIT_TEETH; k++) {
        const digit = d[k * SPLIT_SPAN + j]!;
        if (digit !== 0) {
          acc = extAddCached(acc, teeth[k]![(digit < 0 ? -digit : digit) >> 1]!, digit < 0);
          started = true;
        }
      }
    }
  }
  return acc;
}
