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
 *   λ with s = t^λ. m parallel repetitions with one-bit challenges: A_i = t^{a_i}, a_i ← Z_φ(N̂);
 *   e_i ∈ {0,1} from the Fiat–Shamir transcript; z_i = a_i + e_i·λ mod φ(N̂); the verifier checks
 *   t^{z_i} = A_i·s^{e_i}. Honest-verifier ZK is perfect (z_i is uniform mod φ(N̂)).
 *   **What it proves, and what it does not.** Special soundness: two accepting answers to one
 *   A_i give s = t^{z_i − z'_i}, so s ∈ ⟨t⟩ — commitments s^x t^r then reveal nothing about x
 *   (*hiding*, for the prover's privacy). It says nothing about *binding*: it does not show that
 *   N̂ is a product of two safe primes, that t generates QR_N̂, or that the trapdoor (p̂, q̂, λ)
 *   was destroyed. Whoever knows the factorisation can open a commitment to any value and so
 *   make range proofs for false statements (test/crypto/zk.test.ts shows it). Binding rests on
 *   trusting the setup party (here the regulator) and on N̂ being too large to factor, which is
 *   why every verifier also checks the parameters themselves (`ringPedersenSetupProblem`).
 *   **Soundness error.** Interactively, a cheating prover survives m one-bit challenges with
 *   probability 2^-m. The Fiat–Shamir version is weaker, because the prover can re-draw the
 *   A_i and re-hash until the challenge bits suit it: with q hash evaluations it succeeds with
 *   probability up to (q + 1)·2^-m (each attempt is an independent 2^-m lottery). With the
 *   default m = 128 that is ≤ 2^-64 even after 2^63 hash evaluations; m = 80 (CGGMP'21's choice)
 *   would leave 2^-40 against 2^40 evaluations — a few CPU-days. Verifiers accept
 *   m ∈ [`minRounds`, `MAX_PRM_ROUNDS`] (default minimum 128, maximum 256, so a hostile proof
 *   cannot make a verifier do unbounded work).
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
import { bigintToField, cachedKeyMaterial, fieldToBigint, type KeyCacheId, type KeyCacheOptions, type KeyCacheResult, type KeyCodec } from './keycache.ts';
import { compositeModulusProblem, isProbablePrime, jacobi, randomSafePrime } from './primes.ts';
import { osRandom, randomBelow, seededRandom, type RandomSource, type SeedInput } from './random.ts';
import { decodeFields, DEFAULT_ZK_PARAMS, encodeFields, Transcript, type ZkParams } from './zk-transcript.ts';

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

/** Two distinct safe primes p > q of bits/2 bits each with |pq| = bits, from `random`. */
function safePrimePair(bits: number, random: RandomSource): [bigint, bigint] {
  for (;;) {
    const p = randomSafePrime(bits / 2, random);
    const q = randomSafePrime(bits / 2, random);
    if (p === q || bitLength(p * q) !== bits) continue;
    return p > q ? [p, q] : [q, p];
  }
}

/**
 * Generates ring-Pedersen parameters with an N̂ of `bits` bits (two safe primes of bits/2 bits),
 * every random choice from `random`. A 2048-bit N̂ takes a few seconds here (two 1024-bit safe
 * primes); simulations should use `deriveRingPedersenSetup`, which caches it. Sizes below
 * `MIN_RING_PEDERSEN_BITS` can be generated (tests) but no verifier accepts them.
 */
export function generateRingPedersen(bits: number, random: RandomSource = osRandom): RingPedersenSetup {
  if (!Number.isInteger(bits) || bits < 128 || bits % 2 !== 0) throw new RangeError('ring-Pedersen: bits must be an even integer ≥ 128');
  const [p, q] = safePrimePair(bits, random);
  return ringPedersenFromPrimes(p, q, random);
}

/** Cache kind of `deriveRingPedersenSetup`; bump the version whenever its output changes. */
export const RING_PEDERSEN_CACHE_KIND = 'ring-pedersen/v1';

/** Checks a cached setup without regenerating it (see `deriveRingPedersenSetup`). */
function cachedSetupIsSound(setup: RingPedersenSetup, id: KeyCacheId): boolean {
  const { params, trapdoor } = setup;
  const { p, q } = trapdoor;
  if (params.bits !== id.bits || params.nHat !== p * q || p <= q || bitLength(p) !== id.bits / 2 || bitLength(q) !== id.bits / 2) return false;
  const mr = seededRandom(id.seed, `${id.label}/cache-check`);
  for (const x of [p, q]) if (!isProbablePrime((x - 1n) / 2n, mr, 8) || !isProbablePrime(x, mr, 8)) return false;
  // s, t, λ must be exactly what the bases stream gives for these primes
  const again = ringPedersenFromPrimes(p, q, seededRandom(id.seed, `${id.label}/bases`));
  return again.params.s === params.s && again.params.t === params.t && again.trapdoor.lambda === trapdoor.lambda;
}

const SETUP_CODEC: KeyCodec<RingPedersenSetup> = {
  encode: (v) => ({
    p: bigintToField(v.trapdoor.p),
    q: bigintToField(v.trapdoor.q),
    s: bigintToField(v.params.s),
    t: bigintToField(v.params.t),
    lambda: bigintToField(v.trapdoor.lambda),
  }),
  decode: (f) => {
    const p = fieldToBigint(f.p, 'p');
    const q = fieldToBigint(f.q, 'q');
    const nHat = p * q;
    return {
      params: { nHat, s: fieldToBigint(f.s, 's'), t: fieldToBigint(f.t, 't'), bits: bitLength(nHat) },
      trapdoor: { p, q, phi: (p - 1n) * (q - 1n), lambda: fieldToBigint(f.lambda, 'lambda') },
    };
  },
  check: cachedSetupIsSound,
};

/**
 * The deterministic ring-Pedersen setup of (seed, label, bits): safe primes from the stream
 * `seededRandom(seed, label + '/primes')`, then τ and λ from `seededRandom(seed, label + '/bases')`
 * (`ringPedersenFromPrimes`). Derived once per (seed, label, bits) and cached on disk by
 * `keycache.ts` (`.cache/medsim/keys/`, outside git; `options.dir` to override, `false` for
 * memory only); a cached entry is checked on load — both primes safe (Miller–Rabin on p and
 * (p − 1)/2), N̂ = p̂q̂ of the right size, and s, t, λ re-derived from the primes — so a warm cache
 * returns exactly what a cold derivation would. Includes the trapdoor: in a simulation the
 * setup party (e.g. the regulator) holds it; provers receive only `params`.
 */
export function deriveRingPedersenSetup(
  seed: SeedInput,
  label: string,
  bits: number = MIN_RING_PEDERSEN_BITS,
  options: KeyCacheOptions = {},
): RingPedersenSetup {
  return deriveRingPedersenSetupDetailed(seed, label, bits, options).value;
}

/** `deriveRingPedersenSetup` with the cache's report (memory / disk / generated, file). */
export function deriveRingPedersenSetupDetailed(
  seed: SeedInput,
  label: string,
  bits: number = MIN_RING_PEDERSEN_BITS,
  options: KeyCacheOptions = {},
): KeyCacheResult<RingPedersenSetup> {
  if (!Number.isInteger(bits) || bits < 128 || bits % 2 !== 0) throw new RangeError('ring-Pedersen: bits must be an even integer ≥ 128');
  const id: KeyCacheId = { kind: RING_PEDERSEN_CACHE_KIND, seed, label, bits };
  return cachedKeyMaterial(id, SETUP_CODEC, () => {
    const [p, q] = safePrimePair(bits, seededRandom(seed, `${label}/primes`));
    return ringPedersenFromPrimes(p, q, seededRandom(seed, `${label}/bases`));
  }, options);
}

/**
 * The smallest N̂ any verifier accepts, in bits: factoring must be out of reach (2048-bit RSA
 * moduli give about 112-bit security, NIST SP 800-57 Part 1 Rev. 5, Table 2), since whoever
 * factors N̂ can open commitments to anything (see header).
 */
export const MIN_RING_PEDERSEN_BITS = 2048;

/**
 * |N̂| required for proofs over ℓ-bit values: max(2048, 2(ℓ + σ) + c) bits (review of issue 12).
 * The ℓ-term keeps N̂ above the largest integer relation a range proof argues about — (★) in
 * `zk-range.ts` puts squares of ℓ-bit values, masked with σ bits and multiplied by a c-bit
 * challenge, into exponents — a margin, not something the soundness sketch needs; with the
 * default σ = 84, c = 128 the 2048-bit floor dominates for every ℓ ≤ 876.
 */
export function minRingPedersenBits(ell: number, params: ZkParams = DEFAULT_ZK_PARAMS): number {
  if (!Number.isInteger(ell) || ell < 0) throw new RangeError('minRingPedersenBits: ℓ must be a non-negative integer');
  return Math.max(MIN_RING_PEDERSEN_BITS, 2 * (ell + params.slackBits) + params.challengeBits);
}

/** Verdicts of the size-independent checks, by (N̂, s, t) value; bounded (oldest dropped first). */
const structureVerdicts = new Map<string, string | undefined>();
const STRUCTURE_CACHE_ENTRIES = 256;

function structureProblem(nHat: bigint, s: bigint, t: bigint): string | undefined {
  const key = `${nHat.toString(16)}:${s.toString(16)}:${t.toString(16)}`;
  if (structureVerdicts.has(key)) return structureVerdicts.get(key);
  let problem = compositeModulusProblem(nHat);
  if (problem) problem = `N̂ ${problem}`;
  else {
    for (const [name, x] of [['s', s], ['t', t]] as const) {
      if (x <= 1n || x >= nHat - 1n || gcd(x, nHat) !== 1n) problem = `${name} is not in Z*_N̂ \\ {±1}`;
      else if (jacobi(x, nHat) !== 1) problem = `${name} has Jacobi symbol −1, so it is not a square`;
      if (problem) break;
    }
    if (!problem && s === t) problem = 's = t';
  }
  if (structureVerdicts.size >= STRUCTURE_CACHE_ENTRIES) structureVerdicts.delete(structureVerdicts.keys().next().value as string);
  structureVerdicts.set(key, problem);
  return problem;
}

/**
 * Why `params` are not acceptable as a ring-Pedersen setup for a verifier — or undefined if
 * they are. Checks that need no trapdoor: field types; `bits` = |N̂| ≥ `minBits`; N̂ odd, with
 * no prime factor below 2^15, not a perfect power and not prime (`compositeModulusProblem`);
 * s, t ∈ Z*_N̂ \ {±1}, s ≠ t, both with Jacobi symbol +1 (necessary for squares). The
 * size-independent part is computed once per (N̂, s, t) and cached: every proof verification
 * calls this, and the verdict is a deterministic function of the values, so the cache cannot
 * change an outcome. That s ∈ ⟨t⟩ is what Π^prm adds; that N̂ was generated honestly nobody
 * can check (see header).
 */
export function ringPedersenSetupProblem(params: RingPedersenParams, minBits: number = MIN_RING_PEDERSEN_BITS): string | undefined {
  if (params === null || typeof params !== 'object') return 'not a parameter object';
  const { nHat, s, t, bits } = params;
  if (typeof nHat !== 'bigint' || typeof s !== 'bigint' || typeof t !== 'bigint' || typeof bits !== 'number') return 'malformed parameters';
  if (nHat < 3n || bitLength(nHat) !== bits) return 'bits does not match N̂';
  if (bits < minBits) return `N̂ has ${bits} bits, fewer than the ${minBits} required`;
  return structureProblem(nHat, s, t);
}

/** True iff `ringPedersenSetupProblem(params, minBits)` finds nothing (see there). */
export function checkRingPedersenParams(params: RingPedersenParams, minBits: number = MIN_RING_PEDERSEN_BITS): boolean {
  return ringPedersenSetupProblem(params, minBits) === undefined;
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

/** Default number of Π^prm repetitions m (Fiat–Shamir soundness error ≤ (q + 1)·2^-m, see header). */
export const DEFAULT_PRM_ROUNDS = 128;
/** Most Π^prm repetitions a verifier accepts (bounds its work on hostile input). */
export const MAX_PRM_ROUNDS = 256;

/** Proves s ∈ ⟨t⟩ (knowledge of λ) with `rounds` ∈ [1, MAX_PRM_ROUNDS] repetitions (see header). */
export function proveRingPedersen(setup: RingPedersenSetup, random: RandomSource = osRandom, rounds = DEFAULT_PRM_ROUNDS): RingPedersenProof {
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_PRM_ROUNDS) throw new RangeError(`Π^prm: rounds must be an integer in [1, ${MAX_PRM_ROUNDS}]`);
  const { params, trapdoor } = setup;
  const a = Array.from({ length: rounds }, () => randomBelow(trapdoor.phi, random));
  const A = a.map((ai) => modPow(params.t, ai, params.nHat));
  const e = prmChallenges(params, A);
  const z = a.map((ai, i) => (e[i] ? (ai + trapdoor.lambda) % trapdoor.phi : ai));
  return { A, z };
}

/**
 * Verifies Π^prm together with the parameter checks (`ringPedersenSetupProblem` with
 * `minBits`). Accepts between `minRounds` and `MAX_PRM_ROUNDS` repetitions. Returns false —
 * never throws — on malformed input.
 */
export function verifyRingPedersen(
  params: RingPedersenParams,
  proof: RingPedersenProof,
  minRounds = DEFAULT_PRM_ROUNDS,
  minBits: number = MIN_RING_PEDERSEN_BITS,
): boolean {
  try {
    if (!checkRingPedersenParams(params, minBits)) return false;
    if (proof === null || typeof proof !== 'object') return false;
    const { A, z } = proof;
    if (!Array.isArray(A) || !Array.isArray(z) || A.length !== z.length) return false;
    if (A.length < Math.max(1, minRounds) || A.length > MAX_PRM_ROUNDS) return false;
    const { nHat, s, t } = params;
    for (let i = 0; i < A.length; i++) {
      if (typeof A[i] !== 'bigint' || typeof z[i] !== 'bigint') return false;
      if (A[i] <= 0n || A[i] >= nHat || z[i] < 0n || z[i] >= nHat) return false;
    }
    const e = prmChallenges(params, A);
    for (let i = 0; i < A.length; i++) {
      const rhs = e[i] ? (A[i] * s) % nHat : A[i];
      if (modPow(t, z[i], nHat) !== rhs) return false;
    }
    return true;
  } catch {
    return false;
  }
}

export function encodeRingPedersenProof(proof: RingPedersenProof): Uint8Array {
  return encodeFields('RPRM', 1, [BigInt(proof.A.length), ...proof.A, ...proof.z]);
}

export function decodeRingPedersenProof(bytes: Uint8Array): RingPedersenProof {
  const f = decodeFields('RPRM', 1, bytes);
  const m = Number(f[0]);
  if (f[0] < 1n || f[0] > BigInt(MAX_PRM_ROUNDS) || f.length !== 1 + 2 * m) throw new RangeError('Π^prm encoding: wrong length');
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
