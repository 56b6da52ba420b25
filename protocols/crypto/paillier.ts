/**
 * Paillier additively homomorphic encryption (Paillier, "Public-key cryptosystems based on
 * composite degree residuosity classes", EUROCRYPT 1999), as used by seed 002 (Yu–Hu–Ding 2021,
 * §3.1 steps ①–④) for encrypted balances, fees and medical records. Built on paillier-bigint 3.4
 * (`toLibraryKeys` returns its `PublicKey`/`PrivateKey` objects for the same key), with the fast
 * paths real implementations use:
 *
 * - **Key generation** (seed 002 §3.1 ①; Paillier §2, "simple variant" of Katz–Lindell, *Intro. to
 *   Modern Cryptography* 2nd ed. §13.2): p, q random primes of equal length (two top bits set, so
 *   n = pq has exactly `bits` bits), p ≠ q, gcd(pq, (p−1)(q−1)) = 1; g = n + 1, λ = φ(n) =
 *   (p−1)(q−1), μ = φ(n)^{-1} mod n. All randomness comes from the caller's `RandomSource`
 *   (`primes.ts`), so a seeded source gives byte-identical keys.
 * - **Encryption** (§3.1 ②; Paillier §3 Scheme 1): c = g^m · r^n mod n² with r ∈ Z*_n. With
 *   g = n + 1 the binomial theorem gives g^m = 1 + m·n (mod n²), so only r^n costs an
 *   exponentiation (Damgård–Jurik, PKC 2001, §3).
 * - **CRT encryption for the key owner**: rⁿ mod p² and rⁿ mod q², recombined by Garner's formula;
 *   each half computed as ((r mod p)^{q mod (p−1)} mod p)^p mod p² (see `nonceToRn`), which is
 *   cheaper than the textbook exponent n mod φ(p²) (`nonceToRnCrtPlain`). Exponentiations modulo
 *   p, q, p², q² use per-key OpenSSL contexts (`ModPowContext`): the first use of a key pays
 *   OpenSSL's primality check of p and q once (~4 ms per 512-bit prime, ~140 ms per 2048-bit).
 * - **rⁿ pool** (`RnPool`): the rⁿ factor does not depend on the message, so (r, rⁿ mod n²) pairs
 *   can be precomputed off line; an on-line encryption is then one multiplication.
 * - **Decryption** (§3.1 ③; Paillier §7 "decryption using Chinese remaindering"):
 *   m_p = L_p(c^{p−1} mod p²)·h_p mod p with L_p(x) = (x − 1)/p and h_p = L_p(g^{p−1} mod p²)^{-1}
 *   mod p, likewise for q, then CRT. (Equal to the textbook L(c^λ mod n²)·μ mod n.)
 * - **Homomorphic operations** (§3.1 ④; Paillier §8): E(a)·E(b) = E(a + b), E(a)·E(b)^{-1} =
 *   E(a − b), E(a)^k = E(k·a), and re-randomisation E(a)·sⁿ (fresh s).
 * - **Nonce recovery** for the key owner: since c ≡ rⁿ (mod n), r = (c mod n)^{n^{-1} mod φ(n)}
 *   mod n (CRT over p and q). Used by the EL-AHE proof (`zk-equality.ts`) to prove that a
 *   quotient ciphertext encrypts 0 without knowing how it was formed.
 * - **Chunked records** (§3.1 ②: "m is cut into k pieces m_1 … m_k, each encrypted"): the bytes
 *   are length-prefixed (4-byte big-endian length), zero-padded to a multiple of the chunk size
 *   k < log₂(n)/8 bytes, and each k-byte chunk, read as a big-endian integer < 2^(8k) < n, is
 *   encrypted. Decryption checks every chunk bound, the length and the zero padding, so
 *   records round-trip exactly and a tampered layout is rejected.
 *
 * Plaintexts are integers mod n; `decryptSigned` maps them to (−n/2, n/2]. Exponentiations go
 * through `modexp.ts` (OpenSSL when applicable).
 */
import { PrivateKey, PublicKey } from 'paillier-bigint';
import {
  bitLength,
  crtCombine,
  crtContext,
  gcd,
  mod,
  modInverse,
  modPow,
  ModPowContext,
  type CrtContext,
} from './modexp.ts';
import { compositeModulusProblem, randomPrime, randomSafePrime } from './primes.ts';
import { osRandom, randomBelow, type RandomSource } from './random.ts';

export interface PaillierPublicKey {
  /** n = p·q */
  readonly n: bigint;
  /** n² */
  readonly n2: bigint;
  /** g = n + 1 */
  readonly g: bigint;
  /** bit length of n */
  readonly bits: number;
}

export interface PaillierPrivateKey {
  readonly publicKey: PaillierPublicKey;
  readonly p: bigint;
  readonly q: bigint;
  /** λ = φ(n) = (p − 1)(q − 1) (simple variant; any multiple of lcm(p−1, q−1) works) */
  readonly lambda: bigint;
  /** μ = λ^{-1} mod n */
  readonly mu: bigint;
  /** CRT data: p², q², and Paillier §7 constants */
  readonly p2: bigint;
  readonly q2: bigint;
  readonly crtSquares: CrtContext;
  readonly crtPrimes: CrtContext;
  readonly hp: bigint;
  readonly hq: bigint;
  /** n mod p(p − 1), n mod q(q − 1): reduced exponents for rⁿ mod p², q² */
  readonly nModPhiP2: bigint;
  readonly nModPhiQ2: bigint;
  /** q mod (p − 1), p mod (q − 1): exponents of the lifted CRT rⁿ (see `nonceToRn`) */
  readonly qModPm1: bigint;
  readonly pModQm1: bigint;
  /** n^{-1} mod (p − 1), n^{-1} mod (q − 1): exponents for n-th roots mod p, q */
  readonly nInvModPm1: bigint;
  readonly nInvModQm1: bigint;
}

export interface PaillierKeyPair {
  readonly publicKey: PaillierPublicKey;
  readonly privateKey: PaillierPrivateKey;
}

/** Either key; private keys enable the CRT fast paths. */
export type PaillierKey = PaillierPublicKey | PaillierPrivateKey;

/** A ciphertext together with the nonce r (c = g^m·rⁿ mod n²), needed by zero-knowledge provers. */
export interface Encryption {
  readonly ciphertext: bigint;
  readonly nonce: bigint;
}

function isPrivate(key: PaillierKey): key is PaillierPrivateKey {
  return 'publicKey' in key;
}

/** The public half of either key. */
export function publicOf(key: PaillierKey): PaillierPublicKey {
  return isPrivate(key) ? key.publicKey : key;
}

/** A public key for modulus n (odd, ≥ 64 bits). */
export function publicKeyFromModulus(n: bigint): PaillierPublicKey {
  if (n < 1n << 63n || (n & 1n) === 0n) throw new RangeError('Paillier: modulus must be odd and at least 64 bits');
  return { n, n2: n * n, g: n + 1n, bits: bitLength(n) };
}

/**
 * The private key for primes p ≠ q (not re-tested for primality: callers pass generated or
 * fixture primes). Checks gcd(pq, (p−1)(q−1)) = 1, the condition for g = n + 1 to work.
 */
export function privateKeyFromPrimes(p: bigint, q: bigint): PaillierPrivateKey {
  if (p === q) throw new RangeError('Paillier: p and q must differ');
  if (p < 3n || q < 3n || (p & 1n) === 0n || (q & 1n) === 0n) throw new RangeError('Paillier: p and q must be odd primes');
  const n = p * q;
  const lambda = (p - 1n) * (q - 1n);
  if (gcd(n, lambda) !== 1n) throw new RangeError('Paillier: gcd(pq, (p−1)(q−1)) ≠ 1');
  const publicKey = publicKeyFromModulus(n);
  const p2 = p * p;
  const q2 = q * q;
  // h_p = L_p(g^{p−1} mod p²)^{-1} mod p, with g^{p−1} = 1 + (p−1)·n (mod p²)
  const lp = (x: bigint, pr: bigint) => (x - 1n) / pr;
  const hp = modInverse(lp(mod(1n + (p - 1n) * n, p2), p), p);
  const hq = modInverse(lp(mod(1n + (q - 1n) * n, q2), q), q);
  return {
    publicKey,
    p,
    q,
    lambda,
    mu: modInverse(lambda, n),
    p2,
    q2,
    crtSquares: crtContext(p2, q2),
    crtPrimes: crtContext(p, q),
    hp,
    hq,
    nModPhiP2: n % (p * (p - 1n)),
    nModPhiQ2: n % (q * (q - 1n)),
    qModPm1: q % (p - 1n),
    pModQm1: p % (q - 1n),
    nInvModPm1: modInverse(n, p - 1n),
    nInvModQm1: modInverse(n, q - 1n),
  };
}

export interface KeyGenOptions {
  /** Use safe primes p = 2p' + 1 (much slower; not needed for Paillier security). Default false. */
  readonly safePrimes?: boolean;
}

/**
 * A Paillier key pair with an n of exactly `bits` bits (even, ≥ 128), every random choice drawn
 * from `random` (seed 002 §3.1 ① steps (1)–(5), simple variant g = n + 1).
 */
export function generateKeyPair(bits: number, random: RandomSource = osRandom, options: KeyGenOptions = {}): PaillierKeyPair {
  if (!Number.isInteger(bits) || bits < 128 || bits % 2 !== 0) throw new RangeError('Paillier: bits must be an even integer ≥ 128');
  const half = bits / 2;
  const gen = options.safePrimes ? randomSafePrime : randomPrime;
  for (;;) {
    const p = gen(half, random);
    const q = gen(half, random);
    if (p === q) continue;
    const n = p * q;
    if (bitLength(n) !== bits || gcd(n, (p - 1n) * (q - 1n)) !== 1n) continue;
    const [lo, hi] = p < q ? [p, q] : [q, p]; // canonical order
    const privateKey = privateKeyFromPrimes(hi, lo);
    return { publicKey: privateKey.publicKey, privateKey };
  }
}

/** paillier-bigint objects for the same key (interoperability and the baseline benchmark). */
export function toLibraryPublicKey(pk: PaillierPublicKey): PublicKey {
  return new PublicKey(pk.n, pk.g);
}

export function toLibraryPrivateKey(sk: PaillierPrivateKey): PrivateKey {
  return new PrivateKey(sk.lambda, sk.mu, toLibraryPublicKey(sk.publicKey), sk.p, sk.q);
}

/**
 * Smallest Paillier modulus the zero-knowledge verifiers (and provers) accept, in bits. Seed
 * 002's Table 2 measures 1024, 2048 and 4096-bit keys, so 1024 is allowed — below current advice
 * (NIST SP 800-57 Part 1 Rev. 5 asks for 2048-bit moduli for 112-bit security); simulations of
 * real deployments should use ≥ 2048.
 */
export const MIN_PAILLIER_BITS = 1024;

/** Verdicts of `compositeModulusProblem` by modulus (bounded; oldest dropped first). */
const modulusVerdicts = new Map<bigint, string | undefined>();
const MODULUS_CACHE_ENTRIES = 4096;

/**
 * Why `pk` is not acceptable as a Paillier public key in a proof — or undefined if it is: the
 * fields must be consistent (n² = n·n, g = n + 1, bits = |n|), |n| ≥ `minBits`, and n must pass
 * `compositeModulusProblem` (odd, no prime factor below 2^15, not a perfect power, not prime).
 * The modulus checks run once per n (cached by value; a deterministic verdict, so the cache
 * cannot change an outcome). They catch malformed and lazily forged keys, not every weak one:
 * that n = pq with |p| = |q| stays an assumption (keys certified at registration, see
 * `zk-paillier.ts`).
 */
export function paillierKeyProblem(pk: PaillierPublicKey, minBits: number = MIN_PAILLIER_BITS): string | undefined {
  if (pk === null || typeof pk !== 'object') return 'not a public key';
  const { n, n2, g, bits } = pk;
  if (typeof n !== 'bigint' || typeof n2 !== 'bigint' || typeof g !== 'bigint' || typeof bits !== 'number') return 'malformed public key';
  if (n < 3n || bitLength(n) !== bits || n2 !== n * n || g !== n + 1n) return 'inconsistent public key fields';
  if (bits < minBits) return `n has ${bits} bits, fewer than the ${minBits} required`;
  if (!modulusVerdicts.has(n)) {
    if (modulusVerdicts.size >= MODULUS_CACHE_ENTRIES) modulusVerdicts.delete(modulusVerdicts.keys().next().value as bigint);
    modulusVerdicts.set(n, compositeModulusProblem(n));
  }
  const problem = modulusVerdicts.get(n);
  return problem && `n ${problem}`;
}

/** True iff `paillierKeyProblem(pk, minBits)` finds nothing. */
export function checkPaillierPublicKey(pk: PaillierPublicKey, minBits: number = MIN_PAILLIER_BITS): boolean {
  return paillierKeyProblem(pk, minBits) === undefined;
}

/** True if 0 < c < n² and gcd(c, n) = 1 (c ∈ Z*_{n²}). */
export function isValidCiphertext(pk: PaillierPublicKey, c: bigint): boolean {
  return typeof c === 'bigint' && c > 0n && c < pk.n2 && gcd(c % pk.n, pk.n) === 1n;
}

/** A uniformly random nonce r ∈ Z*_n. */
export function randomNonce(pk: PaillierPublicKey, random: RandomSource = osRandom): bigint {
  for (;;) {
    const r = randomBelow(pk.n, random);
    if (r > 0n && gcd(r, pk.n) === 1n) return r;
  }
}

interface KeyContexts {
  readonly p: ModPowContext;
  readonly q: ModPowContext;
  readonly p2: ModPowContext;
  readonly q2: ModPowContext;
}

/** Per-private-key OpenSSL contexts (created lazily, garbage-collected with the key object). */
const keyContexts = new WeakMap<PaillierPrivateKey, KeyContexts>();

function contexts(sk: PaillierPrivateKey): KeyContexts {
  let c = keyContexts.get(sk);
  if (!c) {
    c = { p: new ModPowContext(sk.p), q: new ModPowContext(sk.q), p2: new ModPowContext(sk.p2), q2: new ModPowContext(sk.q2) };
    keyContexts.set(sk, c);
  }
  return c;
}

/**
 * rⁿ mod n², by CRT when the private key is given. Modulo p²: rⁿ = (r^q)^p and v^p mod p² depends
 * only on v mod p (binomial theorem), so rⁿ mod p² = ((r mod p)^{q mod (p−1)} mod p)^p mod p² — one
 * half-size exponentiation mod p plus one with the |p|-bit exponent p mod p², instead of an
 * |n|-bit exponent mod p² (about a third less work). Same for q.
 */
export function nonceToRn(key: PaillierKey, r: bigint): bigint {
  if (!isPrivate(key)) return modPow(r, key.n, key.n2);
  const { p, q } = key;
  const ctx = contexts(key);
  const vp = ctx.p.pow(r % p, key.qModPm1);
  const vq = ctx.q.pow(r % q, key.pModQm1);
  const rp = ctx.p2.pow(vp, p);
  const rq = ctx.q2.pow(vq, q);
  return crtCombine(rp, rq, key.crtSquares);
}

/** rⁿ mod n² by the textbook CRT (exponent n mod φ(p²) mod p², same for q); reference for tests. */
export function nonceToRnCrtPlain(sk: PaillierPrivateKey, r: bigint): bigint {
  const rp = modPow(r % sk.p2, sk.nModPhiP2, sk.p2);
  const rq = modPow(r % sk.q2, sk.nModPhiQ2, sk.q2);
  return crtCombine(rp, rq, sk.crtSquares);
}

/** (1 + m·n)·rn mod n²: the encryption of m with a precomputed rⁿ. */
export function encryptWithRn(pk: PaillierPublicKey, m: bigint, rn: bigint): bigint {
  return ((1n + mod(m, pk.n) * pk.n) * rn) % pk.n2;
}

/** Deterministic encryption of m with nonce r (c = g^m·rⁿ mod n²; CRT for the key owner). */
export function encryptWithNonce(key: PaillierKey, m: bigint, r: bigint): bigint {
  return encryptWithRn(publicOf(key), m, nonceToRn(key, r));
}

/**
 * A pool of precomputed (r, rⁿ mod n²) pairs (off-line/on-line encryption). `precompute(k)` draws
 * k nonces from the pool's `RandomSource` (CRT when built with the private key); `take()` hands
 * them out first-in first-out, computing one on demand (counted in `misses`) when empty.
 */
export class RnPool {
  readonly key: PaillierKey;
  private readonly random: RandomSource;
  private readonly items: Array<{ nonce: bigint; rn: bigint }> = [];
  private head = 0;
  /** take() calls that found the pool empty */
  misses = 0;

  constructor(key: PaillierKey, random: RandomSource = osRandom) {
    this.key = key;
    this.random = random;
  }

  get publicKey(): PaillierPublicKey {
    return publicOf(this.key);
  }

  /** Number of precomputed pairs left. */
  get size(): number {
    return this.items.length - this.head;
  }

  private draw(): { nonce: bigint; rn: bigint } {
    const nonce = randomNonce(this.publicKey, this.random);
    return { nonce, rn: nonceToRn(this.key, nonce) };
  }

  /** Precomputes k more pairs. */
  precompute(k: number): void {
    if (this.head > 0 && this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    for (let i = 0; i < k; i++) this.items.push(this.draw());
  }

  /** Consumes one pair. */
  take(): { nonce: bigint; rn: bigint } {
    if (this.head < this.items.length) {
      const item = this.items[this.head];
      this.items[this.head++] = undefined as never; // release memory
      return item;
    }
    this.misses++;
    return this.draw();
  }
}

/** Where encryption nonces come from: a random source (fresh r, then rⁿ) or a pool. */
export type NonceSource = RandomSource | RnPool;

/** Encrypts m and returns the ciphertext with its nonce. */
export function encryptDetailed(key: PaillierKey, m: bigint, source: NonceSource = osRandom): Encryption {
  const pk = publicOf(key);
  if (source instanceof RnPool) {
    if (source.publicKey.n !== pk.n) throw new RangeError('RnPool belongs to another key');
    const { nonce, rn } = source.take();
    return { ciphertext: encryptWithRn(pk, m, rn), nonce };
  }
  const nonce = randomNonce(pk, source);
  return { ciphertext: encryptWithNonce(key, m, nonce), nonce };
}

/** Encrypts m (seed 002 §3.1 ②). */
export function encrypt(key: PaillierKey, m: bigint, source: NonceSource = osRandom): bigint {
  return encryptDetailed(key, m, source).ciphertext;
}

/** Decrypts to m ∈ [0, n) by CRT (Paillier §7); throws on an invalid ciphertext. */
export function decrypt(sk: PaillierPrivateKey, c: bigint): bigint {
  const pk = sk.publicKey;
  if (c <= 0n || c >= pk.n2) throw new RangeError('Paillier: ciphertext out of range');
  const { p, q, p2, q2 } = sk;
  const ctx = contexts(sk);
  const xp = ctx.p2.pow(c % p2, p - 1n);
  const xq = ctx.q2.pow(c % q2, q - 1n);
  if (xp % p !== 1n || xq % q !== 1n) throw new RangeError('Paillier: ciphertext not in Z*_{n²}');
  const mp = (((xp - 1n) / p) * sk.hp) % p;
  const mq = (((xq - 1n) / q) * sk.hq) % q;
  return crtCombine(mp, mq, sk.crtPrimes);
}

/** Decrypts to the representative in (−n/2, n/2]. */
export function decryptSigned(sk: PaillierPrivateKey, c: bigint): bigint {
  const m = decrypt(sk, c);
  return m > sk.publicKey.n / 2n ? m - sk.publicKey.n : m;
}

/** The nonce r ∈ Z*_n of c = g^m·rⁿ (key owner only): r = (c mod n)^{n^{-1} mod φ(n)} mod n. */
export function recoverNonce(sk: PaillierPrivateKey, c: bigint): bigint {
  const { p, q } = sk;
  const ctx = contexts(sk);
  const rp = ctx.p.pow(c % p, sk.nInvModPm1);
  const rq = ctx.q.pow(c % q, sk.nInvModQm1);
  return crtCombine(rp, rq, sk.crtPrimes);
}

/** E(m1 + m2 + …): product of ciphertexts mod n². */
export function add(pk: PaillierPublicKey, ...cs: bigint[]): bigint {
  let acc = 1n;
  for (const c of cs) acc = (acc * c) % pk.n2;
  return acc;
}

/** E(m + k) from E(m): multiply by g^k = 1 + k·n. */
export function addPlain(pk: PaillierPublicKey, c: bigint, k: bigint): bigint {
  return (c * (1n + mod(k, pk.n) * pk.n)) % pk.n2;
}

/** E(m1 − m2) = E(m1)·E(m2)^{-1}. */
export function sub(pk: PaillierPublicKey, c1: bigint, c2: bigint): bigint {
  return (c1 * modInverse(c2, pk.n2)) % pk.n2;
}

/** E(m − k). */
export function subPlain(pk: PaillierPublicKey, c: bigint, k: bigint): bigint {
  return addPlain(pk, c, -k);
}

/** E(k·m) = E(m)^k (k may be negative). */
export function mulScalar(pk: PaillierPublicKey, c: bigint, k: bigint): bigint {
  const e = mod(k, pk.n);
  return modPow(c, e, pk.n2);
}

/** E(−m). */
export function negate(pk: PaillierPublicKey, c: bigint): bigint {
  return modInverse(c, pk.n2);
}

/**
 * Re-randomises c (same plaintext, fresh-looking ciphertext): c·sⁿ mod n². Returns the new
 * ciphertext and the multiplier nonce s (the new nonce is old·s mod n).
 */
export function rerandomize(key: PaillierKey, c: bigint, source: NonceSource = osRandom): Encryption {
  const zero = encryptDetailed(key, 0n, source); // sⁿ
  return { ciphertext: (c * zero.ciphertext) % publicOf(key).n2, nonce: zero.nonce };
}

// ---------------------------------------------------------------------------------------------
// Chunked records (seed 002 §3.1 ②)

/** Largest chunk size in bytes for n: 2^(8k) ≤ 2^(bits − 1) < n. */
export function maxChunkBytes(pk: PaillierPublicKey): number {
  return Math.floor((pk.bits - 1) / 8);
}

export interface EncryptedRecord {
  /** chunk size k in bytes */
  readonly chunkBytes: number;
  /** one ciphertext per k-byte chunk of (4-byte length ‖ data ‖ zero padding) */
  readonly chunks: readonly bigint[];
}

export interface EncryptedRecordDetailed extends EncryptedRecord {
  /** the chunk plaintexts and nonces (for zero-knowledge proofs) */
  readonly plaintexts: readonly bigint[];
  readonly nonces: readonly bigint[];
}

/** Splits (length ‖ data ‖ padding) into k-byte big-endian integers. */
export function recordToChunks(data: Uint8Array, chunkBytes: number): bigint[] {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new RangeError('record: chunk size must be a positive integer');
  if (data.length > 0xffffffff) throw new RangeError('record: too long');
  const total = Math.ceil((data.length + 4) / chunkBytes) * chunkBytes;
  const buf = new Uint8Array(total);
  new DataView(buf.buffer).setUint32(0, data.length, false);
  buf.set(data, 4);
  const out: bigint[] = [];
  for (let off = 0; off < total; off += chunkBytes) {
    const hex = Buffer.from(buf.subarray(off, off + chunkBytes)).toString('hex');
    out.push(BigInt('0x' + hex));
  }
  return out;
}

/** Inverse of `recordToChunks`; throws on any chunk ≥ 2^(8k), bad length or non-zero padding. */
export function chunksToRecord(chunks: readonly bigint[], chunkBytes: number): Uint8Array {
  const total = chunks.length * chunkBytes;
  if (total < 4) throw new RangeError('record: too short');
  const buf = new Uint8Array(total);
  const bound = 1n << BigInt(8 * chunkBytes);
  chunks.forEach((m, i) => {
    if (m < 0n || m >= bound) throw new RangeError(`record: chunk ${i} out of range`);
    const hex = m.toString(16).padStart(2 * chunkBytes, '0');
    buf.set(Buffer.from(hex, 'hex'), i * chunkBytes);
  });
  const len = new DataView(buf.buffer).getUint32(0, false);
  if (len > total - 4 || Math.ceil((len + 4) / chunkBytes) !== chunks.length) throw new RangeError('record: bad length prefix');
  for (let i = 4 + len; i < total; i++) if (buf[i] !== 0) throw new RangeError('record: non-zero padding');
  return buf.slice(4, 4 + len);
}

/** Encrypts a record chunk by chunk, keeping plaintexts and nonces (for the record proof). */
export function encryptRecordDetailed(
  key: PaillierKey,
  data: Uint8Array,
  options: { source?: NonceSource; chunkBytes?: number } = {},
): EncryptedRecordDetailed {
  const pk = publicOf(key);
  const chunkBytes = options.chunkBytes ?? maxChunkBytes(pk);
  if (chunkBytes > maxChunkBytes(pk)) throw new RangeError('record: chunk size too large for this modulus');
  const plaintexts = recordToChunks(data, chunkBytes);
  const encs = plaintexts.map((m) => encryptDetailed(key, m, options.source ?? osRandom));
  return { chunkBytes, chunks: encs.map((e) => e.ciphertext), plaintexts, nonces: encs.map((e) => e.nonce) };
}

/** Encrypts a record chunk by chunk (seed 002 §3.1 ②). */
export function encryptRecord(
  key: PaillierKey,
  data: Uint8Array,
  options: { source?: NonceSource; chunkBytes?: number } = {},
): EncryptedRecord {
  const { chunkBytes, chunks } = encryptRecordDetailed(key, data, options);
  return { chunkBytes, chunks };
}

/** Decrypts and reassembles a chunked record; throws if the layout is not one `encryptRecord` makes. */
export function decryptRecord(sk: PaillierPrivateKey, record: EncryptedRecord): Uint8Array {
  return chunksToRecord(
    record.chunks.map((c) => decrypt(sk, c)),
    record.chunkBytes,
  );
}
