/**
 * Deterministic prime generation from a `RandomSource` (Paillier keys, ring-Pedersen moduli).
 *
 * Every random choice (start points, Miller–Rabin bases) is drawn from the caller's
 * `RandomSource`, so `seededRandom(seed, label)` yields byte-identical primes on every run and
 * machine. (paillier-bigint's own `generateRandomKeys` uses OS randomness, hence this module.)
 *
 * - **Miller–Rabin** probabilistic primality test (Menezes–van Oorschot–Vanstone, *Handbook of
 *   Applied Cryptography* (HAC) Alg. 4.24; FIPS 186-5 Appendix B.3.1) with uniformly random bases
 *   in [2, n − 2], after trial division by the primes below 2^15. Rounds for *random* candidates
 *   follow the Damgård–Landrock–Pomerance bounds (HAC Table 4.4), taken with margin so that the
 *   error is below 2^-100: 6 rounds ≥ 1024 bits, 10 ≥ 512, 20 ≥ 256, 40 otherwise. Numbers of
 *   unknown origin should be tested with `rounds = 64` (error ≤ 4^-64 for any input, HAC Fact 4.25).
 * - **Incremental search** (HAC Note 4.51 / §4.4.1): a random odd start x0 with the two top bits
 *   set, then x0, x0 + 2, x0 + 4, … over a window sieved by the small primes (a sieve of
 *   Eratosthenes on the offsets), Miller–Rabin only on survivors. Setting the two top bits makes
 *   the product of two k-bit primes exactly 2k bits long (FIPS 186-5 A.1.3 uses the same
 *   √2·2^(k−1) lower bound idea).
 * - **Safe primes** p = 2q + 1 with q prime, by Wiener's combined sieve ("Safe prime generation
 *   with a combined sieve", 2003): offsets where q or 2q + 1 has a small factor are struck out
 *   together; q gets the Miller–Rabin rounds and p is then proved prime by **Pocklington's
 *   criterion** (HAC Fact 4.40): since q > √p is prime and q | p − 1, p is prime iff
 *   2^(p−1) ≡ 1 (mod p) and gcd(2^2 − 1, p) = 1.
 *
 * Exponentiations go through `modPowOnce` (OpenSSL modulo m·K, see `modexp.ts`), the native
 * path that does not trigger OpenSSL's own primality test on a (possibly prime) modulus.
 */
import { bitLength, gcd, modPowOnce } from './modexp.ts';
import { randomBelow, seededRandom, type RandomSource } from './random.ts';

const SIEVE_LIMIT = 1 << 15;
/** The odd primes below 2^15 (3 … 32749). */
export const SMALL_PRIMES: readonly number[] = (() => {
  const composite = new Uint8Array(SIEVE_LIMIT);
  const out: number[] = [];
  for (let i = 3; i < SIEVE_LIMIT; i += 2) {
    if (composite[i]) continue;
    out.push(i);
    for (let j = i * i; j < SIEVE_LIMIT; j += 2 * i) composite[j] = 1;
  }
  return out;
})();

/** Miller–Rabin rounds for a random candidate of `bits` bits (error < 2^-100, see header). */
export function millerRabinRounds(bits: number): number {
  if (bits >= 1024) return 6;
  if (bits >= 512) return 10;
  if (bits >= 256) return 20;
  return 40;
}

/** True if n has a prime factor below 2^15 other than itself. */
function hasSmallFactor(n: bigint): boolean {
  if ((n & 1n) === 0n) return n !== 2n;
  for (const p of SMALL_PRIMES) {
    const bp = BigInt(p);
    if (bp * bp > n) return false;
    if (n % bp === 0n) return n !== bp;
  }
  return false;
}

/**
 * Miller–Rabin test (HAC Alg. 4.24) with `rounds` random bases from `random`, preceded by trial
 * division. Deterministic for a deterministic `random`.
 */
export function isProbablePrime(n: bigint, random: RandomSource, rounds = 64): boolean {
  if (n < 2n) return false;
  if (n < 4n) return true;
  if (hasSmallFactor(n)) return false;
  if (n < BigInt(SIEVE_LIMIT) * BigInt(SIEVE_LIMIT)) return true; // no factor ≤ √n
  return millerRabin(n, random, rounds);
}

/** Miller–Rabin rounds only (no trial division), for callers that sieve themselves; n odd > 3. */
export function millerRabin(n: bigint, random: RandomSource, rounds: number): boolean {
  const nm1 = n - 1n;
  let d = nm1;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (let i = 0; i < rounds; i++) {
    const a = 2n + randomBelow(n - 3n, random); // a ∈ [2, n − 2]
    let x = modPowOnce(a, d, n);
    if (x === 1n || x === nm1) continue;
    let witness = true;
    for (let j = 1; j < s; j++) {
      x = (x * x) % n;
      if (x === nm1) {
        witness = false;
        break;
      }
      if (x === 1n) break;
    }
    if (witness) return false;
  }
  return true;
}

/** A random odd integer of exactly `bits` bits whose two top bits are set. */
function randomStart(bits: number, random: RandomSource): bigint {
  const bytes = random(Math.ceil(bits / 8));
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  x &= (1n << BigInt(bits)) - 1n;
  x |= (3n << BigInt(bits - 2)) | 1n;
  return x;
}

/** Window of offsets x0 + 2i, i < WINDOW, sieved at once. */
const WINDOW = 4096;

/**
 * Marks offsets i (candidate x0 + 2i) where the candidate, or — for safe primes — 2·candidate + 1,
 * is divisible by a small prime. Returns a Uint8Array with 1 = struck out.
 */
function sieveWindow(x0: bigint, safe: boolean): Uint8Array {
  const struck = new Uint8Array(WINDOW);
  for (const p of SMALL_PRIMES) {
    const r = Number(x0 % BigInt(p));
    const inv2 = (p + 1) / 2; // 2^{-1} mod p
    // x0 + 2i ≡ 0 (mod p)  ⇔  i ≡ −r·2^{-1}
    let i = (((p - r) % p) * inv2) % p;
    for (; i < WINDOW; i += p) struck[i] = 1;
    if (safe) {
      // 2(x0 + 2i) + 1 ≡ 0 (mod p)  ⇔  i ≡ −(2r + 1)·4^{-1}
      const inv4 = (inv2 * inv2) % p;
      let j = (((p - ((2 * r + 1) % p)) % p) * inv4) % p;
      for (; j < WINDOW; j += p) struck[j] = 1;
    }
  }
  return struck;
}

/**
 * A random prime of exactly `bits` bits (≥ 16) with its two top bits set, from `random`.
 */
export function randomPrime(bits: number, random: RandomSource): bigint {
  if (!Number.isInteger(bits) || bits < 16) throw new RangeError('randomPrime: bits must be an integer ≥ 16');
  const rounds = millerRabinRounds(bits);
  const limit = 1n << BigInt(bits);
  for (;;) {
    const x0 = randomStart(bits, random);
    const struck = sieveWindow(x0, false);
    for (let i = 0; i < WINDOW; i++) {
      if (struck[i]) continue;
      const x = x0 + 2n * BigInt(i);
      if (x >= limit) break;
      if (millerRabin(x, random, rounds)) return x;
    }
  }
}

/**
 * A random safe prime p = 2q + 1 of exactly `bits` bits (≥ 16, two top bits set) with q prime,
 * from `random` (Wiener's combined sieve + Pocklington, see header). p ≡ 3 (mod 4).
 */
export function randomSafePrime(bits: number, random: RandomSource): bigint {
  if (!Number.isInteger(bits) || bits < 16) throw new RangeError('randomSafePrime: bits must be an integer ≥ 16');
  const rounds = millerRabinRounds(bits - 1);
  const limit = 1n << BigInt(bits - 1);
  for (;;) {
    const q0 = randomStart(bits - 1, random); // q has bits − 1 bits, two top bits set ⇒ p has bits bits
    const struck = sieveWindow(q0, true);
    for (let i = 0; i < WINDOW; i++) {
      if (struck[i]) continue;
      const q = q0 + 2n * BigInt(i);
      if (q >= limit) break;
      const p = 2n * q + 1n;
      // cheap filters first: one Fermat test on p, one MR round on q
      if (modPowOnce(2n, p - 1n, p) !== 1n) continue;
      if (!millerRabin(q, random, 1)) continue;
      if (!millerRabin(q, random, rounds - 1)) continue;
      // Pocklington (HAC 4.40): q prime, q > √p, q | p − 1, 2^(p−1) ≡ 1, gcd(2^2 − 1, p) = 1 ⇒ p prime
      if (p % 3n === 0n) continue;
      return p;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Checks a verifier can make on a modulus that should be the product of two large primes
// (a Paillier N, a ring-Pedersen N̂) without knowing its factors.

/** ⌊√n⌋ for n ≥ 0 (Newton's method). */
export function isqrt(n: bigint): bigint {
  return iroot(n, 2);
}

/** ⌊n^(1/k)⌋ for n ≥ 0, k ≥ 1 (Newton's method on x ↦ ((k − 1)x + n / x^(k−1)) / k). */
export function iroot(n: bigint, k: number): bigint {
  if (n < 0n) throw new RangeError('iroot of a negative number');
  if (!Number.isInteger(k) || k < 1) throw new RangeError('iroot: k must be a positive integer');
  if (k === 1 || n < 2n) return n;
  const K = BigInt(k);
  let x = 1n << BigInt(Math.ceil(bitLength(n) / k)); // ≥ the root
  for (;;) {
    const y = ((K - 1n) * x + n / x ** (K - 1n)) / K;
    if (y >= x) return x;
    x = y;
  }
}

let smallPrimorial: bigint | undefined;

/** True if n is divisible by an odd prime below 2^15 (one gcd with their product) or by 2. */
export function hasSmallPrimeFactor(n: bigint): boolean {
  if ((n & 1n) === 0n) return true;
  smallPrimorial ??= SMALL_PRIMES.reduce((acc, p) => acc * BigInt(p), 1n);
  return gcd(n < 0n ? -n : n, smallPrimorial) !== 1n;
}

/** True if n = r^k for integers r ≥ 2, k ≥ 2 (checks prime k up to log₂ n). */
export function isPerfectPower(n: bigint): boolean {
  if (n < 4n) return false;
  const maxK = bitLength(n);
  for (let k = 2; k <= maxK; k++) {
    if (k > 2 && SMALL_PRIMES.indexOf(k) < 0) continue; // only prime exponents are needed
    const r = iroot(n, k);
    if (r < 2n) break;
    if (r ** BigInt(k) === n) return true;
  }
  return false;
}

/** The Jacobi symbol (a/n) for odd n > 0 (Cohen, *A Course in Computational Algebraic Number Theory*, Alg. 1.4.10). */
export function jacobi(a: bigint, n: bigint): -1 | 0 | 1 {
  if (n <= 0n || (n & 1n) === 0n) throw new RangeError('jacobi: n must be odd and positive');
  a %= n;
  if (a < 0n) a += n;
  let result: -1 | 1 = 1;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const r = n & 7n;
      if (r === 3n || r === 5n) result = result === 1 ? -1 : 1;
    }
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) result = result === 1 ? -1 : 1;
    a %= n;
  }
  return n === 1n ? result : 0;
}

/**
 * Why `n` cannot be the product of two large primes, as far as checks without its factors can
 * tell — or undefined if it passes them: not odd; a prime factor below 2^15 (trial division);
 * a perfect power (p², p^k); prime (Miller–Rabin, 8 rounds with bases derived from n itself, so
 * the verdict is a deterministic function of n). Passing proves nothing more: a product of
 * three primes, or of a 20-bit and a large prime, passes (see `docs/crypto-paillier-zk.md`).
 */
export function compositeModulusProblem(n: bigint): string | undefined {
  if (typeof n !== 'bigint' || n < 3n || (n & 1n) === 0n) return 'not an odd integer ≥ 3';
  if (hasSmallPrimeFactor(n)) return 'has a prime factor below 2^15';
  if (isPerfectPower(n)) return 'is a perfect power';
  const bases = seededRandom(new TextEncoder().encode(n.toString(16)), 'primes/compositeness-check');
  if (millerRabin(n, bases, 8)) return 'is prime';
  return undefined;
}
