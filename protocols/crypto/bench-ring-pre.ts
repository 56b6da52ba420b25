/**
 * Benchmark helpers for the ring signature (`ringsig.ts`) and Umbral PRE (`umbral.ts`).
 *
 * Exported functions only (no CLI): a `medsim bench` command or a calibration step can call
 * them and print or store the medians. This is the one file under `protocols/` allowed to read
 * clocks; nothing here feeds a simulation. Inputs come from seeded random streams so every run
 * signs and encrypts the same data. Each measured operation is cold with respect to caches of
 * this library: `benchRing` passes the ring as a plain key list, so decoding and Hp(P_i) are
 * inside the timings.
 *
 * Next to the wall-clock medians the results carry CPU-time medians (`process.cpuUsage`, user +
 * system of this process): on a shared, busy machine wall time includes time spent waiting for a
 * core, CPU time mostly does not.
 */
import { performance } from 'node:perf_hooks';
import { seededRandom } from './random.ts';
import { generateKeyPair as ringKeyPair, sign, verify } from './ringsig.ts';
import { decryptReencrypted, encrypt, generateKFrags, generateKeyPair as preKeyPair, reencrypt } from './umbral.ts';

export interface RingBench {
  /** Ring size n. */
  size: number;
  /** Median wall-clock time of one `sign`, milliseconds. */
  signMs: number;
  /** Median wall-clock time of one `verify`, milliseconds. */
  verifyMs: number;
  /** Median process CPU time of one `sign`, milliseconds. */
  signCpuMs: number;
  /** Median process CPU time of one `verify`, milliseconds. */
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
 * For each ring size: `reps` (≥ 1) sign + verify pairs, signer index rotating through the ring,
 * after one untimed warm-up pair. Returns medians.
 */
export function benchRing(sizes: number[], reps: number): RingBench[] {
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError('benchRing: reps must be a positive integer');
  const out: RingBench[] = [];
  for (const size of sizes) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('benchRing: ring sizes must be positive integers');
    const random = seededRandom(`bench-ring-${size}`, 'ringsig');
    const keys = Array.from({ length: size }, () => ringKeyPair(random));
    const ring = keys.map((k) => k.publicKey);
    const warm = sign('warm-up', ring, keys[0]!.secretKey, random);
    if (!verify('warm-up', ring, warm)) throw new Error('benchRing: warm-up signature did not verify');
    const signMs: number[] = [];
    const verifyMs: number[] = [];
    const signCpu: number[] = [];
    const verifyCpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      const msg = `bench message ${r}`;
      const [sw, sc, sig] = timed(() => sign(msg, ring, keys[r % size]!.secretKey, random));
      const [vw, vc, ok] = timed(() => verify(msg, ring, sig));
      if (!ok) throw new Error('benchRing: signature did not verify');
      signMs.push(sw);
      signCpu.push(sc);
      verifyMs.push(vw);
      verifyCpu.push(vc);
    }
    out.push({ size, signMs: median(signMs), verifyMs: median(verifyMs), signCpuMs: median(signCpu), verifyCpuMs: median(verifyCpu) });
  }
  return out;
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
