/**
 * Ring-Pedersen integer commitments: setup, the proof that the setup is well formed, and a
 * batched verifier for the linear relations the Paillier proofs check over them.
 *
 * Construction (Fujisaki–Okamoto, CRYPTO 1997; Damgård–Fujisaki, "A statistically-hiding integer
 * commitment scheme based on groups with hidden order", ASIACRYPT 2002; named "ring-Pedersen" in
 * Canetti–Gennaro–Goldfeder–Makriyannis–Peled, "UC non-interactive, proactive, threshold ECDSA
 * with identifiable aborts", CCS 2020 / ePrint 2021/060 — **CGGMP'21** — §3.1 and Def. 3.3):
 *
 * - Setup (CGGMP'21 §3.1): N̂ = p̂·q̂ with p̂ = 2p' + 1, q̂ = 2q' + 1 safe primes (so QR_N̂ is cyclic of
 *   order p'q' with no small factors, and N̂ is a Blum integer: −1 is not a square); t = τ² mod N̂
 *   for a random τ (checked to generate QR_N̂: t^{p'} ≠ 1 ≠ t^{q'}); λ ← [0, φ(N̂)); s = t^λ.
 *   Public parameters (N̂, s, t); the trapdoor (p̂, q̂, λ) must be destroyed or kept by a party
 *   trusted not to help provers: whoever knows it can open commitments to anything.
 * - Commitment to an integer x with randomness r: C = s^x · t^r mod N̂. Statistically hiding when
 *   s ∈ ⟨t⟩ and r is drawn from [0, 2^(|N̂|+σ)) (distance ≤ 2^-σ from uniform in ⟨t⟩); binding over
 *   the integers under the strong RSA assumption for N̂ (Damgård–Fujisaki Thm. 1).
 * - Π^prm (CGGMP'21 Fig. 17, "ring-Pedersen parameters ZK"): the setup party proves knowledge of
 *   λ with s = t^λ, so provers know their commitments hide. m parallel repetitions with one-bit
 *   challenges: A_i = t^{a_i}, a_i ← Z_φ(N̂); e_i ∈ {0,1} from the Fiat–Shamir transcript;
 *   z_i = a_i + e_i·λ mod φ(N̂); verifier checks t^{z_i} = A_i·s^{e_i}. Soundness error 2^-m
 *   (m = 80 by default); honest-verifier ZK is perfect (z_i is uniform mod φ(N̂)).
 * - Batched verification of the proofs' equations (small-exponent batch test, Bellare–Garay–Rabin,
 *   "Fast batch verification for modular exponentiation and digital signatures", EUROCRYPT 1998,
 *   §3.1): k equations Π_j b_j^{a_j} = Π_j b'_j^{a'_j} are checked at once as
 *   Π (lhs_i/rhs_i)^{2ρ_i} = 1 with κ-bit weights ρ_i, merging equal bases so each base is raised
 *   only once. The weights come from a hash of the complete proof (responses included), so a
 *   prover cannot adapt to them. Raising to 2ρ_i instead of ρ_i moves every check into QR_N̂,
 *   whose order p'q' has no prime factor below 2^(|N̂|/2 − 2): if some equation fails in QR_N̂, the
 *   batch passes with probability ≤ 2^-κ (+ 1/min(p', q')). What is then guaranteed is each
 *   equation *up to a square root of 1*; the proofs' soundness arguments are stated for the
 *   squared equations (the integer relations they extract are unchanged, see `zk-range.ts`).
 */
import { bitLength, gcd, mod, modInverse, modPow } from './modexp.ts';
import { randomSafePrime } from './primes.ts';
import { osRandom, randomBelow, type RandomSource } from './random.ts';
import { decodeFields, encodeFields, Transcript } from './zk-transcript.ts';

export interface RingPedersenParams {
  /** N̂ = p̂·q̂ (safe primes) */
  readonly nHat: bigint;
  /** s = t^λ */
  readonly s: bigint;
  /** t, a generator of QR_N̂ */
  readonly t: bigint;
  /** bit length of N̂ */
  readonly bits: number;
}

export interface RingPedersenTrapdoor {
  readonly p: bigint;
  readonly q: bigint;
  /** φ(N̂) = (p̂ − 1)(q̂ − 1) */
  readonly phi: bigint;
  /** λ with s = t^λ mod N̂ */
  readonly lambda: bigint;
}

export interface RingPedersenSetup {
  readonly params: RingPedersenParams;
  readonly trapdoor: RingPedersenTrapdoor;
}

/** Builds parameters from two distinct safe primes (not re-tested), drawing τ and λ from `random`. */
export function ringPedersenFromPrimes(p: bigint, q: bigint, random: RandomSource = osRandom): RingPedersenSetup {
  if (p === q) throw new RangeError('ring-Pedersen: primes must differ');
  const nHat = p * q;
  const pp = (p - 1n) / 2n;
  const qq = (q - 1n) / 2n;
  const phi = (p - 1n) * (q - 1n);
  for (;;) {
    const tau = randomBelow(nHat, random);
    if (tau < 2n || gcd(tau, nHat) !== 1n) continue;
    const t = (tau * tau) % nHat;
    if (modPow(t, pp, nHat) === 1n || modPow(t, qq, nHat) === 1n) continue; // t must generate QR_N̂
    const lambda = randomBelow(phi, random);
    const s = modPow(t, lambda, nHat);
    if (s === 1n || s === t) continue;
    return { params: { nHat, s, t, bits: bitLength(nHat) }, trapdoor: { p, q, phi, lambda } };
  }
}

/**
 * Generates ring-Pedersen parameters with an N̂ of `bits` bits (two safe primes of bits/2 bits),
 * every random choice from `random`. 1024-bit safe primes take seconds in this implementation.
 */
export function generateRingPedersen(bits: number, random: RandomSource = osRandom): RingPedersenSetup {
  if (!Number.isInteger(bits) || bits < 128 || bits % 2 !== 0) throw new RangeError('ring-Pedersen: bits must be an even integer ≥ 128');
  for (;;) {
    const p = randomSafePrime(bits / 2, random);
    const q = randomSafePrime(bits / 2, random);
    if (p === q || bitLength(p * q) !== bits) continue;
    return ringPedersenFromPrimes(p > q ? p : q, p > q ? q : p, random);
  }
}

/**
 * Structural checks a verifier can make without the trapdoor: N̂ odd with at least `minBits`
 * bits, s ≠ t, s, t ∈ Z*_N̂ \ {1}. (That s ∈ ⟨t⟩ is what Π^prm shows.)
 */
export function checkRingPedersenParams(params: RingPedersenParams, minBits = 256): boolean {
  const { nHat, s, t } = params;
  if ((nHat & 1n) === 0n || bitLength(nHat) !== params.bits || params.bits < minBits) return false;
  for (const x of [s, t]) if (x <= 1n || x >= nHat || gcd(x, nHat) !== 1n) return false;
  return s !== t;
}

/** C = s^x · t^r mod N̂ (x, r may be negative). */
export function commit(params: RingPedersenParams, x: bigint, r: bigint): bigint {
  return (powSigned(params.s, x, params.nHat) * powSigned(params.t, r, params.nHat)) % params.nHat;
}

function powSigned(b: bigint, e: bigint, m: bigint): bigint {
  return e >= 0n ? modPow(b, e, m) : modInverse(modPow(b, -e, m), m);
}

/** Absorbs (N̂, s, t) into a transcript. */
export function appendRingPedersen(tr: Transcript, params: RingPedersenParams): void {
  tr.appendInt('rp/N', params.nHat).appendInt('rp/s', params.s).appendInt('rp/t', params.t);
}

// ---------------------------------------------------------------------------------------------
// Π^prm (CGGMP'21 Fig. 17)

export interface RingPedersenProof {
  readonly A: readonly bigint[];
  readonly z: readonly bigint[];
}

const PRM_DOMAIN = 'ring-pedersen/prm';

function prmChallenges(params: RingPedersenParams, A: readonly bigint[]): boolean[] {
  const tr = new Transcript(PRM_DOMAIN);
  appendRingPedersen(tr, params);
  tr.appendInts('A', A);
  const e = tr.challenge('e', A.length);
  return A.map((_, i) => ((e >> BigInt(i)) & 1n) === 1n);
}

/** Proves s ∈ ⟨t⟩ (knowledge of λ), `rounds` repetitions (soundness error 2^-rounds). */
export function proveRingPedersen(setup: RingPedersenSetup, random: RandomSource = osRandom, rounds = 80): RingPedersenProof {
  const { params, trapdoor } = setup;
  const a = Array.from({ length: rounds }, () => randomBelow(trapdoor.phi, random));
  const A = a.map((ai) => modPow(params.t, ai, params.nHat));
  const e = prmChallenges(params, A);
  const z = a.map((ai, i) => (e[i] ? (ai + trapdoor.lambda) % trapdoor.phi : ai));
  return { A, z };
}

/** Verifies Π^prm and the structural checks; `minRounds` guards against a shortened proof. */
export function verifyRingPedersen(params: RingPedersenParams, proof: RingPedersenProof, minRounds = 80): boolean {
  if (!checkRingPedersenParams(params)) return false;
  const { A, z } = proof;
  if (A.length !== z.length || A.length < minRounds) return false;
  const { nHat, s, t } = params;
  for (let i = 0; i < A.length; i++) {
    if (A[i] <= 0n || A[i] >= nHat || z[i] < 0n || z[i] >= nHat) return false;
  }
  const e = prmChallenges(params, A);
  for (let i = 0; i < A.length; i++) {
    const rhs = e[i] ? (A[i] * s) % nHat : A[i];
    if (modPow(t, z[i], nHat) !== rhs) return false;
  }
  return true;
}

export function encodeRingPedersenProof(proof: RingPedersenProof): Uint8Array {
  return encodeFields('RPRM', 1, [BigInt(proof.A.length), ...proof.A, ...proof.z]);
}

export function decodeRingPedersenProof(bytes: Uint8Array): RingPedersenProof {
  const f = decodeFields('RPRM', 1, bytes);
  const m = Number(f[0]);
  if (f.length !== 1 + 2 * m) throw new RangeError('Π^prm encoding: wrong length');
  return { A: f.slice(1, 1 + m), z: f.slice(1 + m) };
}

// ---------------------------------------------------------------------------------------------
// Batched verification (Bellare–Garay–Rabin small-exponent test, in QR_N̂)

/** A term base^exponent; exponents may be negative only where noted by the caller. */
export type Term = readonly [base: bigint, exponent: bigint];

/**
 * Collects equations Π lhs = Π rhs over Z*_N̂ and checks them together (see header). Weights
 * are `weightBits`-bit integers from `weight(i)` (derived by callers from the full proof).
 */
export class RingPedersenBatch {
  private readonly net = new Map<bigint, bigint>();
  private count = 0;

  constructor(
    private readonly nHat: bigint,
    private readonly weight: (index: number) => bigint,
  ) {}

  /** Adds the equation Π lhs_j^{a_j} = Π rhs_j^{b_j} (mod N̂); exponents may be signed. */
  add(lhs: readonly Term[], rhs: readonly Term[]): this {
    const w = this.weight(this.count++);
    for (const [b, e] of lhs) this.net.set(b, (this.net.get(b) ?? 0n) + w * e);
    for (const [b, e] of rhs) this.net.set(b, (this.net.get(b) ?? 0n) - w * e);
    return this;
  }

  /** Number of exponentiations `check` will perform. */
  get bases(): number {
    return this.net.size;
  }

  /** True iff Π_{net>0} b^{2·net} = Π_{net<0} b^{−2·net} (mod N̂). */
  check(): boolean {
    let left = 1n;
    let right = 1n;
    for (const [b, e] of this.net) {
      if (e === 0n) continue;
      if (e > 0n) left = (left * modPow(b, 2n * e, this.nHat)) % this.nHat;
      else right = (right * modPow(b, -2n * e, this.nHat)) % this.nHat;
    }
    return mod(left - right, this.nHat) === 0n;
  }
}

/** True if 0 < x < N̂ (a group element as a verifier accepts it). */
export function inRpGroup(params: RingPedersenParams, x: bigint): boolean {
  return x > 0n && x < params.nHat;
}
