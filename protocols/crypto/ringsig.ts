/**
 * One-time linkable ring signature with key images: bLSAG over ristretto255.
 *
 * Construction: "Back's LSAG" (bLSAG) as specified in Koe, Alonso & Noether, *Zero to Monero*,
 * 2nd ed. (2020) §3.4, which is the Liu–Wei–Wong LSAG ("Linkable Spontaneous Anonymous Group
 * Signature for Ad Hoc Groups", ACISP 2004) with the tag made key-specific, I = x·Hp(P), as in
 * CryptoNote (van Saberhagen, *CryptoNote v2.0*, 2013, §4.4). The ring structure is the
 * Abe–Ohkubo–Suzuki chain (ASIACRYPT 2002). Seed paper 001 (Wang Ruijin et al., 2019, §2.1)
 * uses this one-time ring signature on Ed25519 so that spending (or, here, acting on a medical
 * record) twice with the same one-time key is detected through the key image.
 *
 * Group and hashes (see `group.ts`): ristretto255 (RFC 9496) — prime order ℓ, so there is no
 * cofactor and no torsion component to strip from key images; Hp = RFC 9380 Appendix B
 * `hash_to_ristretto255` with DST `medchain-sim/ringsig/v1/Hp`; Hs = RFC 9380 expand_message_xmd
 * SHA-512 → 64 bytes → mod ℓ with DST `medchain-sim/ringsig/v1/challenge`. Inside the challenge
 * hash, L_i and R_i are encoded with `hashEncoding` (Ed25519 compression of 8·P — canonical and
 * injective on ristretto255 elements, about ten times cheaper than RFC 9496 encoding, see
 * `group.ts`); keys, key images and signatures on the wire use RFC 9496 encodings.
 *
 * Keys (one-time): x ←$ [1, ℓ), P = x·G. Key image I = x·Hp(P).
 *
 * Signing, σ = sign(m, R = (P_0 … P_{n−1}), x) with P_π = x·G:
 *   1. Decode the ring (canonical, distinct, non-identity points); find π; H_i = Hp(P_i).
 *   2. I = x·H_π.
 *   3. ctx = SHA-512(frame("medchain-sim/ringsig/v1", SHA-512(frame(n, P_0, …, P_{n−1})), I, m))
 *      — the challenge hash binds a domain label, the whole ordered ring, the key image and the
 *      message (`frame` length-prefixes every part, see `group.ts`).
 *   4. α ←$ [1, ℓ); L_π = α·G; R_π = α·H_π; c_{π+1} = Hs(ctx, L_π, R_π).
 *   5. For i = π+1, …, n−1, 0, …, π−1: s_i ←$ [1, ℓ);
 *        L_i = s_i·G + c_i·P_i,  R_i = s_i·H_i + c_i·I,  c_{i+1} = Hs(ctx, L_i, R_i)  (indices mod n).
 *   6. s_π = α − c_π·x (mod ℓ).  σ = (c_0, s_0, …, s_{n−1}, I).
 * Verification: decode strictly (scalars < ℓ, canonical points, I ≠ identity, |s| = n); for
 *   i = 0 … n−1 recompute L_i, R_i, c_{i+1} as in step 5; accept iff c_n = c_0.
 *   Correctness at π: s_π·G + c_π·P_π = α·G and s_π·H_π + c_π·I = α·H_π.
 * Linking: two valid signatures are by the same key iff their key images are equal (canonical
 *   ristretto255 encodings make this a byte comparison).
 * Serialisation: c_0 ‖ s_0 ‖ … ‖ s_{n−1} ‖ I, 32 bytes each: 32·(n + 2) bytes.
 *
 * ── Mapping from the paper's notation (001 §2.1 and §4.1; formulas are garbled in print) ──
 * The paper's scheme is the CryptoNote one-time ring signature:
 *   paper sk_m, pk_m       = our x, P_π (the signer's one-time key; the paper says the ring
 *                            "excludes pk_m" but then uses L_m, R_m — the signer *is* a member)
 *   paper "L_m = sk_m·H(pk_m)", later l_m / I_m  = our key image I (the paper reuses L_m for it)
 *   paper v_m (signer)     = our α;     paper v_i, w_i (decoys) = random response / challenge
 *   paper L_i = v_i·G + w_i·pk_i,  R_i = v_i·H(pk_i) + w_i·I      = our L_i, R_i (step 5)
 *   paper L_m = v_m·G,  R_m = v_m·H(pk_m)                           = our L_π, R_π (step 4)
 *   paper c_i (= w_i), e_i (= v_i)                                  = our c_i, s_i
 *   paper c_m = H_2(S, L_1…L_n, R_1…R_n) − Σ_{i≠m} c_i,  e_m = v_m − c_m·sk_m
 *   paper T_s = (S, c_1…c_n, e_1…e_n, I) (printed as "(s, c_1…c_n, c_1…c_n)")
 *   paper verification α_i = e_i·G + c_i·pk_i, β_i = e_i·H(pk_i) + c_i·I,
 *         accept iff Σ c_i = H_2(S, α_1…α_n, β_1…β_n)                = our L_i, R_i recomputation.
 * Difference: CryptoNote makes every challenge c_i free except one and ties them with a single
 * sum constraint (Cramer–Damgård–Schoenmakers OR-composition, CRYPTO 1994), so it transmits
 * 2n + 1 elements; bLSAG chains the challenges, c_{i+1} = Hs(ctx, L_i, R_i) (Abe–Ohkubo–Suzuki),
 * and transmits only c_0: n + 2 elements. Both are Fiat–Shamir transforms of the same
 * 1-out-of-n OR-proof of the Chaum–Pedersen statement "I know x with P_i = x·G and I = x·Hp(P_i)".
 * Hence in the random-oracle model both are (i) unforgeable under discrete log (rewinding via
 * the forking lemma extracts x), (ii) signer-ambiguous — for every i ≠ π the pair (c_i, s_i) is
 * uniform and the simulator can close the ring at any index, so σ is identically distributed
 * whoever signed — and (iii) linkable through the identical key image I = x·Hp(P): soundness of
 * the Chaum–Pedersen branch forces log_G P_i = log_{H_i} I for the branch that was proved, so one
 * key yields exactly one image and two different keys can't share one (that would give a
 * discrete-log relation between independent random-oracle points). Original LSAG's tag
 * x·H(ring) links only within one ring; I = x·Hp(P) links across rings and messages, as
 * one-time keys require.
 *
 * Speed (issue 11: ≤ 10 ms to sign and to verify at ring size 11). Verification of an n-member
 * ring is 2n double-scalar products, n challenge hashes, and per member a decoding and an
 * RFC 9380 hash-to-group. What makes it fast:
 *   - `RingKeyCache` keeps, per member key, the decoded point, Hp(P) and *split* precomputation
 *     tables of P and Hp(P) (`publicSplitTable` in `group.ts`: eight 32-bit "teeth", so each
 *     product needs 31 doublings instead of 252). On a chain the same keys recur as decoys in
 *     many rings, so a node pays decoding, hash-to-group and table building once per key. A
 *     cache entry is a deterministic function of the key's exact (canonical) bytes; it cannot
 *     change a verdict (see the class comment and its tests).
 *   - With a cached ring the key image gets a split table too (built once per signature, used n
 *     times); without one, a plain window table as before.
 *   - The RFC 9380 expander (challenge hash and Hp) runs SHA-512 in OpenSSL (`group.ts`), and
 *     wNAF recoding works on 32-bit words; both are checked against the reference code.
 *   `measureRingSignVerify` / `medsim bench crypto` report cold (plain key list) and cached
 *   figures. Signatures are byte-for-byte those of the earlier, slower code (a golden vector in
 *   the tests was produced by it).
 *
 * Timing side channels: the signer's secret operations (P = x·G to find π, I = x·Hp(P_π), α·G,
 * α·Hp(P_π)) use `mulSecretTable`: a regular signed-window recoding with a fixed sequence of
 * doublings and additions, like noble's constant-time ladder (both index their tables by secret
 * digits and run on variable-time BigInt arithmetic). The decoys' public (s_i, c_i) and all
 * verification use the variable-time `mulPublicRaw` (Straus/wNAF). The decoy loop therefore
 * takes data-dependent time, which a local timing observer of the signer could use to guess π —
 * irrelevant inside the simulator (virtual time never depends on CPU time), noted for any other
 * use.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  G,
  POINT_BYTES,
  SCALAR_BYTES,
  bytesEqual,
  encodePoint,
  encodeScalar,
  frame,
  hashToGroup,
  hashEncoding,
  hashToScalar,
  modL,
  mulPublicRaw,
  mulSecret,
  mulSecretTable,
  fromRaw,
  publicSplitTable,
  publicTable,
  randomScalar,
  sha512Native,
  toBytes,
  toRaw,
  tryDecodePoint,
  tryDecodeScalar,
} from './group.ts';
import type { Point, PointTable, RawPoint } from './group.ts';
import { osRandom } from './random.ts';
import type { RandomSource } from './random.ts';

const DOMAIN = 'medchain-sim/ringsig/v1';
const DST_HP = 'medchain-sim/ringsig/v1/Hp';
const DST_CHALLENGE = 'medchain-sim/ringsig/v1/challenge';
const encoder = new TextEncoder();
const DOMAIN_BYTES = encoder.encode(DOMAIN);

/** A one-time key pair: canonical 32-byte scalar x ∈ [1, ℓ) and P = x·G. */
export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A bLSAG signature; every field is a canonical 32-byte encoding. */
export interface RingSignature {
  /** c_0, the challenge of ring member 0. */
  readonly c0: Uint8Array;
  /** s_0 … s_{n−1}, one response per ring member (same order as the ring). */
  readonly s: readonly Uint8Array[];
  /** The key image I = x·Hp(P_π). */
  readonly keyImage: Uint8Array;
}

/**
 * A decoded ring, reusable across signatures and verifications over the same member list:
 * holds the decoded points, Hp(P_i), their wNAF tables and the ring digest, so repeated use
 * skips decoding and hashing to the group. Build with `prepareRing`.
 */
export interface PreparedRing {
  readonly keys: readonly Uint8Array[];
  readonly points: readonly Point[];
  readonly hashPoints: readonly Point[];
  readonly pointTables: readonly PointTable[];
  readonly hashTables: readonly PointTable[];
  /** SHA-512(frame(n, P_0, …, P_{n−1})). */
  readonly digest: Uint8Array;
}

/** Error thrown by `sign`/`prepareRing` for unusable inputs (verification never throws). */
export class RingSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RingSignatureError';
  }
}

/** Hp(P): RFC 9380 hash_to_ristretto255 of the encoded public key. */
export function hashToPoint(publicKey: Uint8Array): Point {
  return hashToGroup(DST_HP, publicKey);
}

/** Draws a fresh one-time key pair from `random`. */
export function generateKeyPair(random: RandomSource = osRandom): KeyPair {
  const x = randomScalar(random);
  return { secretKey: encodeScalar(x), publicKey: encodePoint(mulSecret(G, x)) };
}

function decodeSecret(secretKey: Uint8Array): bigint {
  const x = tryDecodeScalar(secretKey);
  if (x === undefined || x === 0n) throw new RingSignatureError('secret key must be a canonical non-zero 32-byte scalar');
  return x;
}

/** P = x·G for an encoded secret key. */
export function publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  return encodePoint(mulSecret(G, decodeSecret(secretKey)));
}

/** The key image I = x·Hp(x·G) of a secret key (what every signature by this key carries). */
export function keyImageOf(secretKey: Uint8Array): Uint8Array {
  const x = decodeSecret(secretKey);
  return encodePoint(mulSecret(hashToPoint(encodePoint(mulSecret(G, x))), x));
}

function ringDigest(keys: readonly Uint8Array[]): Uint8Array {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, keys.length, false);
  return sha512Native(frame([n, ...keys]));
}

/** Decodes and checks a ring; `undefined` if empty, non-canonical, identity or duplicated. */
function tryPrepare(ring: readonly Uint8Array[], cache?: RingKeyCache): PreparedRing | undefined {
  if (!Array.isArray(ring) || ring.length === 0 || ring.length > 0xffff) return undefined;
  const keys: Uint8Array[] = [];
  const points: Point[] = [];
  const hashPoints: Point[] = [];
  const pointTables: PointTable[] = [];
  const hashTables: PointTable[] = [];
  const seen = new Set<string>();
  for (const key of ring) {
    if (!(key instanceof Uint8Array)) return undefined;
    const hex = bytesToHex(key);
    if (seen.has(hex)) return undefined; // canonical encodings: equal bytes ⇔ equal elements
    seen.add(hex);
    const member = cache ? cache.member(key, hex) : memberOf(key, false);
    if (member === undefined) return undefined;
    keys.push(member.key);
    points.push(member.point);
    hashPoints.push(member.hashPoint);
    pointTables.push(member.pointTable);
    hashTables.push(member.hashTable);
  }
  return { keys, points, hashPoints, pointTables, hashTables, digest: ringDigest(keys) };
}

/** Everything a ring needs about one member key, derived from its bytes alone (a `RingKeyCache` entry). */
export interface RingMember {
  readonly key: Uint8Array;
  readonly point: Point;
  readonly hashPoint: Point;
  readonly pointTable: PointTable;
  readonly hashTable: PointTable;
}

/**
 * Decodes a member key and derives Hp(P) and the tables; `undefined` for a non-canonical or
 * identity encoding. `split` builds split tables (worth it only for keys that recur).
 */
function memberOf(key: Uint8Array, split: boolean): RingMember | undefined {
  const point = tryDecodePoint(key, false);
  if (point === undefined) return undefined;
  const hashPoint = hashToPoint(key);
  return {
    key: Uint8Array.from(key),
    point,
    hashPoint,
    pointTable: split ? publicSplitTable(point, 5) : publicTable(point),
    hashTable: split ? publicSplitTable(hashPoint, 5) : publicTable(hashPoint),
  };
}

/** Options of a `RingKeyCache`. */
export interface RingKeyCacheOptions {
  /**
   * Most member keys kept (least recently used dropped first). Default 2048. Each key holds its
   * decoded point, Hp(P) and two split tables: about 30 KB, so 2048 keys ≈ 60 MB.
   */
  readonly maxKeys?: number;
}

/**
 * A cache of ring-member data — the decoded key P, Hp(P) and split precomputation tables of P
 * and Hp(P) (`publicSplitTable`) — for verifiers and signers that meet the same member keys in
 * many rings, as every node of a ring-signature chain does (decoys are drawn from the keys on
 * chain). With it a member costs no decoding, no hash-to-group and short (31-doubling) scalar
 * multiplications; without it `sign`/`verify` derive everything per call.
 *
 * It cannot change a verdict: an entry is a deterministic function of the member's exact key
 * bytes (canonical encodings, so equal bytes ⇔ equal keys), keys that fail to decode are never
 * stored, and signatures, messages and key images are never cached — a forged signature over
 * cached keys fails exactly as over fresh ones (tested). Bounded (LRU) by `maxKeys`.
 */
export class RingKeyCache {
  readonly maxKeys: number;
  private readonly entries = new Map<string, RingMember>();
  /** lookups served from the cache / computed */
  hits = 0;
  misses = 0;

  constructor(options: RingKeyCacheOptions = {}) {
    const maxKeys = options.maxKeys ?? 2048;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('RingKeyCache: maxKeys must be a positive integer');
    this.maxKeys = maxKeys;
  }

  /** Number of member keys held. */
  get size(): number {
    return this.entries.size;
  }

  /** The member data of `key` (`hex`: its hex, if already computed); undefined if not a valid key. */
  member(key: Uint8Array, hex: string = bytesToHex(key)): RingMember | undefined {
    const hit = this.entries.get(hex);
    if (hit !== undefined) {
      this.hits++;
      this.entries.delete(hex); // LRU: move to the most recent end
      this.entries.set(hex, hit);
      return hit;
    }
    const fresh = memberOf(key, true);
    if (fresh === undefined) return undefined; // invalid keys are not cached
    this.misses++;
    if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(hex, fresh);
    return fresh;
  }

  /** Adds the keys ahead of time (e.g. every key a new block brings on chain); invalid keys are skipped. */
  warm(keys: Iterable<Uint8Array>): void {
    for (const k of keys) if (k instanceof Uint8Array) this.member(k);
  }

  /**
   * A prepared ring from cached member data (see `prepareRing`; throws the same
   * `RingSignatureError` for an unusable ring). Pass it to `sign` / `verify`.
   */
  prepare(ring: readonly Uint8Array[]): PreparedRing {
    const prepared = tryPrepare(ring, this);
    if (prepared === undefined) throw new RingSignatureError('ring must be 1..65535 distinct canonical non-identity ristretto255 keys');
    return prepared;
  }

  /** Like `prepare`, but `undefined` instead of throwing (for verifiers). */
  tryPrepare(ring: readonly Uint8Array[]): PreparedRing | undefined {
    return tryPrepare(ring, this);
  }

  /** Drops every entry. */
  clear(): void {
    this.entries.clear();
  }
}

/**
 * Decodes a ring once for repeated use. Throws `RingSignatureError` if the ring is empty, has
 * more than 65535 members, or holds a non-canonical, identity or repeated key. (For keys that
 * recur across many rings, `RingKeyCache.prepare` is faster.)
 */
export function prepareRing(ring: readonly Uint8Array[]): PreparedRing {
  const prepared = tryPrepare(ring);
  if (prepared === undefined) throw new RingSignatureError('ring must be 1..65535 distinct canonical non-identity ristretto255 keys');
  return prepared;
}

/**
 * The table of a key image for one signature's n uses: a split table when the ring's tables are
 * split (so every product runs the short chain), else a plain window (wider from 4 members on).
 */
function keyImageTable(R: PreparedRing, I: Point): PointTable {
  const n = R.keys.length;
  if (n >= 2 && R.pointTables[0]?.teeth !== undefined) return publicSplitTable(I, 5, false);
  return publicTable(I, n >= 4 ? 7 : 5);
}

function isPrepared(ring: readonly Uint8Array[] | PreparedRing): ring is PreparedRing {
  return !Array.isArray(ring) && typeof ring === 'object' && ring !== null && 'hashTables' in ring;
}

/** Step 3: ctx = SHA-512(frame(domain, ring digest, I, m)). */
function context(ring: PreparedRing, keyImage: Uint8Array, message: Uint8Array): Uint8Array {
  return sha512Native(frame([DOMAIN_BYTES, ring.digest, keyImage, message]));
}

/** c_{i+1} = Hs(ctx, enc(L_i) ‖ enc(R_i)) with the canonical hash encoding of `group.ts`. */
function challenge(ctx: Uint8Array, L: RawPoint, R: RawPoint): bigint {
  return hashToScalar(DST_CHALLENGE, ctx, hashEncoding([L, R]));
}

/**
 * Signs `message` on behalf of `ring`, which must contain the public key of `signerSecret`.
 * All randomness (α and the decoy responses) comes from `random`: a seeded source gives
 * byte-identical signatures. Throws `RingSignatureError` on an invalid ring or secret, or if the
 * signer is not a member.
 */
export function sign(
  message: Uint8Array | string,
  ring: readonly Uint8Array[] | PreparedRing,
  signerSecret: Uint8Array,
  random: RandomSource = osRandom,
): RingSignature {
  // 1. Decode the ring and locate the signer.
  const R = isPrepared(ring) ? ring : prepareRing(ring);
  const n = R.keys.length;
  const x = decodeSecret(signerSecret);
  const P = encodePoint(fromRaw(mulSecretTable(x, 'G')));
  const pi = R.keys.findIndex((k) => bytesEqual(k, P));
  if (pi < 0) throw new RingSignatureError("the signer's public key is not a ring member");
  // 2. Key image I = x·Hp(P_π) (fixed operation sequence: x is secret).
  const Hpi = R.hashTables[pi]!.width >= 5 ? R.hashTables[pi]! : publicTable(R.hashPoints[pi]!);
  const I = fromRaw(mulSecretTable(x, Hpi));
  const keyImage = encodePoint(I);
  const Itable = keyImageTable(R, I);
  // 3. Context binding domain, ring, key image and message.
  const ctx = context(R, keyImage, toBytes(message));
  // 4. Commitment at the signer's position.
  const alpha = randomScalar(random);
  const c: bigint[] = new Array<bigint>(n);
  const s: bigint[] = new Array<bigint>(n);
  c[(pi + 1) % n] = challenge(ctx, mulSecretTable(alpha, 'G'), mulSecretTable(alpha, Hpi));
  // 5. Walk the ring from π+1 back to π with random decoy responses (public values).
  for (let k = 1; k < n; k++) {
    const i = (pi + k) % n;
    s[i] = randomScalar(random);
    const L = mulPublicRaw([[s[i]!, 'G'], [c[i]!, R.pointTables[i]!]]);
    const Ri = mulPublicRaw([[s[i]!, R.hashTables[i]!], [c[i]!, Itable]]);
    c[(i + 1) % n] = challenge(ctx, L, Ri);
  }
  // 6. Close the ring: s_π = α − c_π·x.
  s[pi] = modL(alpha - c[pi]! * x);
  return { c0: encodeScalar(c[0]!), s: s.map(encodeScalar), keyImage };
}

/**
 * Verifies σ on `message` for `ring`. Returns `false` — never throws — on any malformed input:
 * wrong lengths or ring size, scalars ≥ ℓ, non-canonical or invalid points, an identity key
 * image, a duplicated or invalid ring member.
 */
export function verify(
  message: Uint8Array | string,
  ring: readonly Uint8Array[] | PreparedRing,
  signature: RingSignature | Uint8Array,
): boolean {
  try {
    const sig = signature instanceof Uint8Array ? deserializeSignature(signature) : signature;
    if (sig === undefined || typeof sig !== 'object' || sig === null) return false;
    if (typeof message !== 'string' && !(message instanceof Uint8Array)) return false;
    const R = isPrepared(ring) ? ring : tryPrepare(ring);
    if (R === undefined) return false;
    const n = R.keys.length;
    if (!Array.isArray(sig.s) || sig.s.length !== n) return false;
    // Strict decoding of every component.
    const c0 = tryDecodeScalar(sig.c0);
    if (c0 === undefined) return false;
    const s: bigint[] = [];
    for (const enc of sig.s) {
      const si = tryDecodeScalar(enc);
      if (si === undefined) return false;
      s.push(si);
    }
    const I = tryDecodePoint(sig.keyImage, false);
    if (I === undefined) return false;
    const Itable = keyImageTable(R, I);
    const ctx = context(R, sig.keyImage, toBytes(message));
    // Recompute the challenge chain c_1 … c_n.
    let c = c0;
    for (let i = 0; i < n; i++) {
      const L = mulPublicRaw([[s[i]!, 'G'], [c, R.pointTables[i]!]]);
      const Ri = mulPublicRaw([[s[i]!, R.hashTables[i]!], [c, Itable]]);
      c = challenge(ctx, L, Ri);
    }
    return c === c0;
  } catch {
    return false;
  }
}

/**
 * True iff both signatures carry the same key image, i.e. (for valid signatures) were made with
 * the same one-time secret key — whatever the rings and messages. Accepts signatures or their
 * serialisations; malformed input is never linked.
 */
export function linked(a: RingSignature | Uint8Array, b: RingSignature | Uint8Array): boolean {
  const sa = a instanceof Uint8Array ? deserializeSignature(a) : a;
  const sb = b instanceof Uint8Array ? deserializeSignature(b) : b;
  if (sa === undefined || sb === undefined) return false;
  if (!(sa.keyImage instanceof Uint8Array) || !(sb.keyImage instanceof Uint8Array)) return false;
  if (tryDecodePoint(sa.keyImage, false) === undefined) return false;
  return bytesEqual(sa.keyImage, sb.keyImage);
}

/** Byte length of a signature for a ring of n members: 32·(n + 2). */
export function signatureLength(n: number): number {
  return SCALAR_BYTES * (n + 1) + POINT_BYTES;
}

/** c_0 ‖ s_0 ‖ … ‖ s_{n−1} ‖ I. */
export function serializeSignature(sig: RingSignature): Uint8Array {
  const n = sig.s.length;
  const out = new Uint8Array(signatureLength(n));
  if (sig.c0.length !== SCALAR_BYTES || sig.keyImage.length !== POINT_BYTES || sig.s.some((x) => x.length !== SCALAR_BYTES)) {
    throw new RingSignatureError('serializeSignature: every component must be 32 bytes');
  }
  out.set(sig.c0, 0);
  sig.s.forEach((si, i) => out.set(si, SCALAR_BYTES * (i + 1)));
  out.set(sig.keyImage, SCALAR_BYTES * (n + 1));
  return out;
}

/**
 * Splits a serialised signature into its components (ring size n = length/32 − 2 ≥ 1). Only the
 * framing is checked here; `verify` checks canonicity. Returns `undefined` on a bad length.
 */
export function deserializeSignature(bytes: Uint8Array): RingSignature | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length % 32 !== 0 || bytes.length < signatureLength(1)) return undefined;
  const n = bytes.length / 32 - 2;
  const s: Uint8Array[] = [];
  for (let i = 0; i < n; i++) s.push(bytes.slice(32 * (i + 1), 32 * (i + 2)));
  return { c0: bytes.slice(0, 32), s, keyImage: bytes.slice(32 * (n + 1)) };
}
