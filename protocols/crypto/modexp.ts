/**
 * Modular exponentiation for the Paillier and zero-knowledge modules (big-integer arithmetic only).
 *
 * Two engines compute `base^exp mod m` and always give the same result:
 *
 * 1. `modPowBigInt` — pure BigInt, left-to-right **sliding-window** exponentiation
 *    (Menezes–van Oorschot–Vanstone, *Handbook of Applied Cryptography* (HAC), Alg. 14.85), window
 *    width chosen from the exponent length (HAC Table 14.16). It is the reference and the fallback.
 *
 * 2. `modPowNative` — OpenSSL's Montgomery exponentiation reached through `node:crypto`'s
 *    finite-field Diffie–Hellman object. `createDiffieHellman(m, 2)` followed by
 *    `setPrivateKey(exp)` and `computeSecret(base)` returns `base^exp mod m` (PKCS #3 shared
 *    secret = peer^priv mod p). OpenSSL does **not** require `m` to be prime: its
 *    `BN_mod_exp_mont_consttime` only needs an odd modulus, so the same call works for a Paillier
 *    n², p² or a ring-Pedersen modulus. Measured on the development machine it is 5–9× faster
 *    than BigInt (e.g. r^n mod n² for a 4096-bit n: ~60 ms instead of ~330 ms; see
 *    `docs/crypto-paillier-zk.md`). The limits of the trick, all handled here by falling back to
 *    BigInt (never by returning a wrong value):
 *    - OpenSSL refuses moduli under 512 bits (it silently returns zeros) or over 10 000 bits
 *      (OPENSSL_DH_MAX_MODULUS_BITS), and even moduli (no Montgomery form);
 *    - the "peer public key" must lie in [2, m − 2], so bases 0, 1 and m − 1 are done directly;
 *    - a shared secret equal to 0 or 1 is rejected as degenerate: the call throws, we recompute
 *      with BigInt;
 *    - constructing the DH object runs `DH_check`, which costs a full primality test when `m`
 *      happens to be prime (tens of ms). Composite moduli (n², p², N̂) are rejected by trial
 *      division in microseconds and their objects are cached. For one-off moduli that are prime
 *      or may be (Miller–Rabin candidates, p, q), `modPowOnce` works modulo `m·K` with the fixed
 *      composite K = 3·(2^61 − 1) and reduces the result mod m: `DH_check` fails at once on the
 *      factor 3 and the object is not cached. (It is ~1.8× slower than a cached, well-sized
 *      modulus because m·K no longer has one of OpenSSL's favourite lengths, but still ~5× faster
 *      than BigInt.)
 *    Long-lived moduli can instead get their own context (`ModPowContext`, used for a private
 *    key's p, q, p², q²), which pays `DH_check` once and is never evicted.
 *    The native engine is enabled only after a self-test (`nativeSelfTest`) finds it equal to
 *    the BigInt engine on fixed inputs; the test suite cross-checks both engines on random inputs.
 *
 * `modPow` picks the native engine when it applies (backend `auto`), otherwise BigInt;
 * `setModPowBackend('bigint')` forces the reference engine (used by benchmarks and tests to
 * measure and compare). Both engines are deterministic functions of their inputs, so the choice
 * never changes a key, ciphertext or proof.
 *
 * Side channels: the BigInt engine is variable-time; OpenSSL's path is the constant-time
 * Montgomery ladder. Timing side channels are outside the simulator's threat model.
 *
 * Also here: modular inverse (extended Euclid, HAC Alg. 2.107), gcd, and Chinese-remainder
 * recombination (Garner's formula, HAC Note 14.75) used by CRT encryption/decryption.
 */
import { createDiffieHellman, type DiffieHellman } from 'node:crypto';

/** Which engine `modPow` uses. `auto` = native when applicable and self-tested, else BigInt. */
export type ModPowBackend = 'auto' | 'native' | 'bigint';

let backend: ModPowBackend = 'auto';
let nativeOk: boolean | undefined; // result of the lazy self-test

/** Selects the exponentiation engine (benchmarks and tests use this to compare engines). */
export function setModPowBackend(b: ModPowBackend): void {
  backend = b;
}

/** The currently selected engine. */
export function getModPowBackend(): ModPowBackend {
  return backend;
}

/** Number of bits of a non-negative bigint (0 for 0). */
export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  return x === 0n ? 0 : x.toString(2).length;
}

/** Non-negative remainder of a mod m (m > 0). */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Greatest common divisor of |a| and |b| (binary-free Euclid; BigInt division is fast enough). */
export function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** a^{-1} mod m by the extended Euclidean algorithm (HAC Alg. 2.107); throws if gcd(a, m) ≠ 1. */
export function modInverse(a: bigint, m: bigint): bigint {
  if (m <= 1n) throw new RangeError('modInverse: modulus must be > 1');
  let r0 = mod(a, m);
  let r1 = m;
  let s0 = 1n;
  let s1 = 0n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('modInverse: not invertible');
  return mod(s0, m);
}

/**
 * Precomputed data to recombine residues modulo two coprime moduli m1, m2 (Garner, HAC 14.75):
 * x = x1 + m1·((x2 − x1)·m1^{-1} mod m2) is the unique x in [0, m1·m2) with x ≡ x1 (mod m1),
 * x ≡ x2 (mod m2).
 */
export interface CrtContext {
  readonly m1: bigint;
  readonly m2: bigint;
  readonly m1InvM2: bigint;
  readonly product: bigint;
}

export function crtContext(m1: bigint, m2: bigint): CrtContext {
  return { m1, m2, m1InvM2: modInverse(m1, m2), product: m1 * m2 };
}

export function crtCombine(x1: bigint, x2: bigint, ctx: CrtContext): bigint {
  const h = mod((x2 - x1) * ctx.m1InvM2, ctx.m2);
  return x1 + ctx.m1 * h;
}

// ---------------------------------------------------------------------------------------------
// BigInt engine

/** Window width for a sliding-window exponentiation with a k-bit exponent (HAC Table 14.16). */
function windowWidth(k: number): number {
  if (k <= 24) return 1;
  if (k <= 80) return 3;
  if (k <= 240) return 4;
  if (k <= 672) return 5;
  if (k <= 1792) return 6;
  return 7;
}

/**
 * base^exp mod m with BigInt only: left-to-right sliding window over the binary exponent
 * (HAC Alg. 14.85). Precomputes base^1, base^3, …, base^(2^w − 1).
 */
export function modPowBigInt(base: bigint, exp: bigint, m: bigint): bigint {
  if (m <= 0n) throw new RangeError('modPow: modulus must be positive');
  if (exp < 0n) throw new RangeError('modPow: negative exponent (use modPowSigned)');
  if (m === 1n) return 0n;
  const b = mod(base, m);
  if (exp === 0n) return 1n;
  const bits = exp.toString(2);
  const k = bits.length;
  const w = windowWidth(k);
  // odd powers b^1, b^3, …, b^(2^w − 1)
  const table: bigint[] = [b];
  if (w > 1) {
    const b2 = (b * b) % m;
    for (let i = 1; i < 1 << (w - 1); i++) table.push((table[i - 1] * b2) % m);
  }
  let acc = 1n;
  let i = 0;
  let started = false;
  while (i < k) {
    if (bits[i] === '0') {
      if (started) acc = (acc * acc) % m;
      i++;
      continue;
    }
    // longest window bits[i..j] of length ≤ w ending in a 1
    let j = Math.min(i + w, k) - 1;
    while (bits[j] === '0') j--;
    const len = j - i + 1;
    const val = parseInt(bits.slice(i, j + 1), 2);
    if (started) for (let s = 0; s < len; s++) acc = (acc * acc) % m;
    acc = started ? (acc * table[(val - 1) >> 1]) % m : table[(val - 1) >> 1];
    started = true;
    i = j + 1;
  }
  return acc;
}

// ---------------------------------------------------------------------------------------------
// Native engine (OpenSSL through node:crypto Diffie–Hellman)

const NATIVE_MIN_BITS = 512;
const NATIVE_MAX_BITS = 10_000;
/** K = 3·(2^61 − 1): a composite multiplier whose factor 3 makes DH_check reject m·K at once. */
const ONE_OFF_MULTIPLIER = 3n * ((1n << 61n) - 1n);
const CACHE_LIMIT = 64;
const dhCache = new Map<bigint, DiffieHellman>();

function toBuffer(x: bigint): Buffer {
  let hex = x.toString(16);
  if (hex.length & 1) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}

function fromBuffer(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + b.toString('hex'));
}

function dhFor(m: bigint, cache: boolean): DiffieHellman {
  if (!cache) return createDiffieHellman(toBuffer(m), Buffer.from([2]));
  let dh = dhCache.get(m);
  if (dh) {
    // LRU: move to the back
    dhCache.delete(m);
    dhCache.set(m, dh);
    return dh;
  }
  dh = createDiffieHellman(toBuffer(m), Buffer.from([2]));
  dhCache.set(m, dh);
  if (dhCache.size > CACHE_LIMIT) dhCache.delete(dhCache.keys().next().value as bigint);
  return dh;
}

/** True when OpenSSL's DH exponentiation can be asked for base^exp mod m (base already reduced). */
function nativeApplies(b: bigint, exp: bigint, m: bigint): boolean {
  if ((m & 1n) === 0n || exp < 1n || b < 2n || b > m - 2n) return false;
  const bits = bitLength(m);
  return bits >= NATIVE_MIN_BITS && bits <= NATIVE_MAX_BITS;
}

function rawNative(b: bigint, exp: bigint, m: bigint, cache: boolean | DiffieHellman): bigint | undefined {
  try {
    const dh = typeof cache === 'boolean' ? dhFor(m, cache) : cache;
    dh.setPrivateKey(toBuffer(exp));
    const r = fromBuffer(dh.computeSecret(toBuffer(b)));
    return r === 0n || r >= m ? undefined : r; // 0 is also what OpenSSL returns on silent failure
  } catch {
    return undefined; // degenerate result (0/1) or parameter rejected: caller falls back
  }
}

/**
 * base^exp mod m through OpenSSL, or `undefined` when the native path does not apply (modulus
 * even or outside [512, 10000] bits, trivial base, exp = 0, degenerate result). The DH object of
 * each modulus is cached (LRU, 64 moduli).
 */
export function modPowNative(base: bigint, exp: bigint, m: bigint): bigint | undefined {
  const b = mod(base, m);
  if (!nativeApplies(b, exp, m)) return undefined;
  return rawNative(b, exp, m, true);
}

/**
 * Compares the native engine with the BigInt engine on fixed inputs (cached and one-off paths).
 * Returns true when they agree; `modPow` runs it once before first using the native engine.
 */
export function nativeSelfTest(): boolean {
  // a fixed odd 1024-bit modulus, a composite-looking one and a fixed base/exponent
  const m = (1n << 1023n) + 0x1d5a6b3c2e9f4187n * 0x9e3779b97f4a7c15n; // odd
  const base = 0x243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89n;
  const exp = (1n << 300n) - 0x5deece66dn;
  try {
    const want = modPowBigInt(base, exp, m);
    const cached = rawNative(base, exp, m, true);
    dhCache.delete(m);
    const oneOff = rawNative(base, exp, m * ONE_OFF_MULTIPLIER, false);
    return cached === want && oneOff !== undefined && oneOff % m === want;
  } catch {
    return false;
  }
}

function useNative(): boolean {
  if (backend === 'bigint') return false;
  if (nativeOk === undefined) nativeOk = nativeSelfTest();
  if (!nativeOk && backend === 'native') throw new Error('modPow: native backend failed its self-test');
  return nativeOk;
}

function trivial(b: bigint, exp: bigint, m: bigint): bigint | undefined {
  if (m === 1n) return 0n;
  if (exp === 0n) return 1n;
  if (b === 0n || b === 1n) return b;
  if (b === m - 1n) return (exp & 1n) === 1n ? b : 1n;
  return undefined;
}

/**
 * base^exp mod m (exp ≥ 0, m > 0). Uses OpenSSL when applicable, else sliding-window BigInt.
 * Suitable for moduli that are reused (n², p², q², N̂): their DH objects are cached.
 */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m <= 0n) throw new RangeError('modPow: modulus must be positive');
  if (exp < 0n) throw new RangeError('modPow: negative exponent (use modPowSigned)');
  const b = mod(base, m);
  const t = trivial(b, exp, m);
  if (t !== undefined) return t;
  if (useNative() && nativeApplies(b, exp, m)) {
    const r = rawNative(b, exp, m, true);
    if (r !== undefined) return r;
    // OpenSSL rejects a result of 0 or 1 (e.g. c^(p−1) mod p² for an encryption of 0). Then
    // b^(exp−1) is not 1 (else b^exp = b ≥ 2), so one step back succeeds unless b is not a unit.
    if (exp >= 2n) {
      const r1 = rawNative(b, exp - 1n, m, true);
      if (r1 !== undefined) return (r1 * b) % m;
    }
  }
  return modPowBigInt(b, exp, m);
}

/**
 * A modulus with its own OpenSSL context, outside the LRU cache: for long-lived moduli such as a
 * private key's p, q, p², q². Creating the context for a prime modulus costs one OpenSSL
 * primality test (`DH_check`, ~4 ms for 512 bits, ~20 ms for 1024, ~140 ms for 2048), paid
 * lazily on first use; afterwards each exponentiation runs at full native speed.
 */
export class ModPowContext {
  readonly modulus: bigint;
  private dh: DiffieHellman | undefined;
  private readonly native: boolean;

  constructor(modulus: bigint) {
    if (modulus <= 0n) throw new RangeError('ModPowContext: modulus must be positive');
    this.modulus = modulus;
    const bits = bitLength(modulus);
    this.native = (modulus & 1n) === 1n && bits >= NATIVE_MIN_BITS && bits <= NATIVE_MAX_BITS;
  }

  /** base^exp mod modulus (exp ≥ 0); same result as `modPow`. */
  pow(base: bigint, exp: bigint): bigint {
    const m = this.modulus;
    if (exp < 0n) throw new RangeError('modPow: negative exponent');
    const b = mod(base, m);
    const t = trivial(b, exp, m);
    if (t !== undefined) return t;
    if (this.native && useNative()) {
      this.dh ??= createDiffieHellman(toBuffer(m), Buffer.from([2]));
      const r = rawNative(b, exp, m, this.dh);
      if (r !== undefined) return r;
      if (exp >= 2n) {
        const r1 = rawNative(b, exp - 1n, m, this.dh);
        if (r1 !== undefined) return (r1 * b) % m;
      }
    }
    return modPowBigInt(b, exp, m);
  }
}

/**
 * base^exp mod m for a one-off modulus that may be prime (Miller–Rabin candidates, p, q): runs
 * OpenSSL modulo m·K (K = 3·(2^61 − 1)), so that no primality test is triggered and nothing is
 * cached, then reduces mod m.
 */
export function modPowOnce(base: bigint, exp: bigint, m: bigint): bigint {
  if (m <= 0n) throw new RangeError('modPow: modulus must be positive');
  if (exp < 0n) throw new RangeError('modPow: negative exponent');
  const b = mod(base, m);
  const t = trivial(b, exp, m);
  if (t !== undefined) return t;
  if ((m & 1n) === 1n && useNative()) {
    const big = m * ONE_OFF_MULTIPLIER;
    if (nativeApplies(b, exp, big)) {
      const r = rawNative(b, exp, big, false);
      if (r !== undefined) return r % m;
      if (exp >= 2n) {
        const r1 = rawNative(b, exp - 1n, big, false);
        if (r1 !== undefined) return (r1 * b) % m;
      }
    }
  }
  return modPowBigInt(b, exp, m);
}

/** base^exp mod m for any integer exp (negative exponents invert the base; base must be a unit). */
export function modPowSigned(base: bigint, exp: bigint, m: bigint): bigint {
  return exp >= 0n ? modPow(base, exp, m) : modPow(modInverse(base, m), -exp, m);
}

/** Π base_i^exp_i mod m (exp_i ≥ 0), one exponentiation per term. */
export function modPowProduct(terms: ReadonlyArray<readonly [bigint, bigint]>, m: bigint): bigint {
  let acc = 1n;
  for (const [b, e] of terms) acc = (acc * modPow(b, e, m)) % m;
  return acc;
}

/** Drops every cached OpenSSL DH object (benchmarks call it to measure cold paths). */
export function clearModPowCache(): void {
  dhCache.clear();
}
