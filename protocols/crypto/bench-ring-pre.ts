/**
 * Benchmark helpers for the ring signature (`ringsig.ts`) and Umbral PRE (`umbral.ts`).
 *
 * Exported functions only (no CLI): a `medsim bench` command or a calibration step can call
 * them and print or store the medians. This is the one file under `protocols/` allowed to read
 * clocks; nothing here feeds a simulation. Inputs come from seeded random streams so every run
 * signs and encrypts the same data. `benchRing` measures ring signatures twice: cold (the ring
 * as a plain key list, so decoding, Hp(P_i) and precomputation are inside the timings — the
 * figures reported before issue 11) and cached (member keys in a warm `RingKeyCache`, as a
 * chain's nodes meet them); `measureRingSignVerify` gives either at one ring size.
 *
 * Next to the wall-clock medians the results carry CPU-time medians (`process.cpuUsage`, user +
 * system of this process): on a shared, busy machine wall time includes time spent waiting for a
 * core, CPU time mostly does not.
 */
import { performance } from 'node:perf_hooks';
import { seededRandom } from './random.ts';
import { generateKeyPair as ringKeyPair, RingKeyCache, sign, verify } from './ringsig.ts';
import { decryptReencrypted, encrypt, generateKFrags, generateKeyPair as preKeyPair, reencrypt } from './umbral.ts';

export interface RingBench {
  /** Ring size n. */
  size: number;
  /** Median wall-clock time of one `sign`, milliseconds (cold: ring passed as a plain key list). */
  signMs: number;
  /** Median wall-clock time of one `verify`, milliseconds (cold). */
  verifyMs: number;
  /** Median process CPU time of one `sign`, milliseconds (cold). */
  signCpuMs: number;
  /** Median process CPU time of one `verify`, milliseconds (cold). */
  verifyCpuMs: number;
  /** Median wall-clock time of one `sign` with the members in a warm `RingKeyCache`, ms. */
  signCachedMs: number;
  /** Median wall-clock time of one `verify` with the members in a warm `RingKeyCache`, ms. */
  verifyCachedMs: number;
  /** Median CPU time of one cached `sign`, ms. */
  signCachedCpuMs: number;
  /** Median CPU time of one cached `verify`, ms. */
  verifyCachedCpuMs: number;
}

/** Medians of sign and verify at one ring size (see `measureRingSignVerify`). */
export interface RingSignVerifyTiming {
  /** Ring size n. */
  size: number;
  /** Repetitions the medians are over. */
  reps: number;
  /** True if the members were in a warm `RingKeyCache` (the steady state of a chain's nodes). */
  cached: boolean;
  /** Median wall-clock ms of one `sign` / `verify`. */
  signMs: number;
  verifyMs: number;
  /** Median process CPU ms of one `sign` / `verify` (less disturbed by other processes). */
  signCpuMs: number;
  verifyCpuMs: number;
}

export interface PreBench {
  /** Median of `encrypt` (encapsulate + XChaCha20-Poly1305 of `plaintextBytes`), ms. */
  encryptMs: number;
  /** Median of one proxy's `reencrypt` (capsule check, re-encryption and proof), ms. */
  reencryptMs: number;
  /** Median of `decryptReencrypted` with `threshold` cFrags, each checked with CheckCFrag, ms. */
  decryptMs: number;
  threshold: number;
  shares: number;
  plaintextBytes: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const now = (): number => performance.now(); // wall-clock: benchmark only
const cpuNow = (): number => {
  const u = process.cpuUsage(); // CPU clock: benchmark only
  return (u.user + u.system) / 1000;
};

/** Times `f` once: [wall ms, cpu ms, result]. */
function timed<T>(f: () => T): [number, number, T] {
  const c0 = cpuNow();
  const t0 = now();
  const out = f();
  const t1 = now();
  const c1 = cpuNow();
  return [t1 - t0, c1 - c0, out];
}

/**
 * Sign and verify medians at ring size `size`: `reps` (≥ 1) sign + verify pairs, signer index
 * rotating through the ring and a fresh message each time, after one untimed warm-up pair.
 * `cached` (default true): the ring's member keys sit in a warm `RingKeyCache` and each
 * operation calls `cache.prepare(ring)` (inside the timing) — how a chain's nodes verify, since
 * the same keys recur as decoys across rings. `cached: false`: the ring goes in as a plain key
 * list, so decoding, Hp(P_i) and tables are inside every timing. A ring-signature chain's
 * crypto-bound throughput is 1 / (signMs + verifyMs) per core.
 */
export function measureRingSignVerify(size: number, options: { reps?: number; cached?: boolean; seed?: string } = {}): RingSignVerifyTiming {
  const reps = options.reps ?? 9;
  const cached = options.cached ?? true;
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError('measureRingSignVerify: reps must be a positive integer');
  if (!Number.isInteger(size) || size < 1) throw new RangeError('measureRingSignVerify: ring size must be a positive integer');
  const random = seededRandom(options.seed ?? `bench-ring-${size}`, 'ringsig');
  const keys = Array.from({ length: size }, () => ringKeyPair(random));
  const ring = keys.map((k) => k.publicKey);
  const cache = cached ? new RingKeyCache() : undefined;
  const ringFor = () => (cache ? cache.prepare(ring) : ring);
  const warm = sign('warm-up', ringFor(), keys[0]!.secretKey, random);
  if (!verify('warm-up', ringFor(), warm)) throw new Error('measureRingSignVerify: warm-up signature did not verify');
  const signMs: number[] = [];
  const verifyMs: number[] = [];
  const signCpu: number[] = [];
  const verifyCpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const msg = `bench message ${r}`;
    const [sw, sc, sig] = timed(() => sign(msg, ringFor(), keys[r % size]!.secretKey, random));
    const [vw, vc, ok] = timed(() => verify(msg, ringFor(), sig));
    if (!ok) throw new Error('measureRingSignVerify: signature did not verify');
    signMs.push(sw);
    signCpu.push(sc);
    verifyMs.push(vw);
    verifyCpu.push(vc);
  }
  return { size, reps, cached, signMs: median(signMs), verifyMs: median(verifyMs), signCpuMs: median(signCpu), verifyCpuMs: median(verifyCpu) };
}

/** For each ring size: cold and cached medians of sign and verify (`measureRingSignVerify`). */
export function benchRing(sizes: number[], reps: number): RingBench[] {
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError('benchRing: reps must be a positive integer');
  return sizes.map((size) => {
    const cold = measureRingSignVerify(size, { reps, cached: false });
    const warm = measureRingSignVerify(size, { reps, cached: true });
    return {
      size,
      signMs: cold.signMs,
      verifyMs: cold.verifyMs,
      signCpuMs: cold.signCpuMs,
      verifyCpuMs: cold.verifyCpuMs,
      signCachedMs: warm.signMs,
      verifyCachedMs: warm.verifyMs,
      signCachedCpuMs: warm.signCpuMs,
      verifyCachedCpuMs: warm.verifyCpuMs,
    };
  });
}

/**
 * Umbral: `reps` (≥ 1) rounds of encrypt → `shares` re-encryptions → receiver decryption with
 * `threshold` cFrags (defaults 3-of-5, 1 KiB plaintext), after one untimed warm-up round.
 */
export function benchPre(reps: number, opts: { threshold?: number; shares?: number; plaintextBytes?: number } = {}): PreBench {
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError('benchPre: reps must be a positive integer');
  const threshold = opts.threshold ?? 3;
  const shares = opts.shares ?? 5;
  const plaintextBytes = opts.plaintextBytes ?? 1024;
  const random = seededRandom('bench-pre', 'umbral');
  const alice = preKeyPair(random);
  const bob = preKeyPair(random);
  const kfrags = generateKFrags(alice.secretKey, bob.publicKey, undefined, threshold, shares, random);
  const plaintext = random(plaintextBytes);
  const encryptMs: number[] = [];
  const reencryptMs: number[] = [];
  const decryptMs: number[] = [];
  for (let r = -1; r < reps; r++) {
    const [ew, , ct] = timed(() => encrypt(alice.publicKey, plaintext, random));
    const cfrags = kfrags.map((k) => {
      const [rw, , cf] = timed(() => reencrypt(ct.capsule, k, random));
      if (r >= 0) reencryptMs.push(rw);
      return cf;
    });
    const [dw, , pt] = timed(() => decryptReencrypted(bob.secretKey, alice.publicKey, ct.capsule, cfrags.slice(0, threshold), ct.ciphertext));
    if (pt.length !== plaintext.length || pt.some((b, i) => b !== plaintext[i])) throw new Error('benchPre: decryption mismatch');
    if (r >= 0) {
      encryptMs.push(ew);
      decryptMs.push(dw);
    }
  }
  return { encryptMs: median(encryptMs), reencryptMs: median(reencryptMs), decryptMs: median(decryptMs), threshold, shares, plaintextBytes };
}
