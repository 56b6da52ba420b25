/**
 * Zero-knowledge range proofs for Paillier ciphertexts (seed 002's ZKRP, Yu–Hu–Ding 2021 §3.2:
 * "T > 0" and "A' ≥ 0"), plus the chunk proof for encrypted records (§3.1 ⑤, Table 2 row 3).
 *
 * ## ZKRP — exact range, `proveRange` / `verifyRange`
 *
 * Statement: Paillier public key N, ciphertext K, bit length ℓ, offset a (default 0),
 * ring-Pedersen parameters (N̂, s, t) (`ring-pedersen.ts`) and a caller context. Claim: the prover
 * knows x, ρ with K·g^{−a} = (1 + N)^x·ρ^N mod N² and **0 ≤ x ≤ B := 2^ℓ − 1 exactly**, i.e. K
 * encrypts a value in [a, a + 2^ℓ). (T > 0 is the case a = 1.)
 *
 * Construction: the CGGMP'21 Π^enc link between a Paillier ciphertext and a ring-Pedersen
 * commitment (Canetti et al., ePrint 2021/060, Fig. 14 — "Paillier encryption in range ZK"), whose
 * own range guarantee has slack and is symmetric around 0, combined with an *exact* interval
 * argument over integer commitments: x ∈ [0, B] ⇔ x(B − x) ≥ 0 ⇔ 4x(B − x) + 1 is a sum of three
 * squares (Gauss–Legendre: every n ≡ 1 mod 4, n > 0, is; a negative number is not). This is the
 * Lipmaa/Groth technique (Lipmaa, "On Diophantine complexity and statistical zero-knowledge
 * arguments", ASIACRYPT 2003; Groth, "Non-interactive zero-knowledge arguments for voting",
 * ACNS 2005, §3: 4y + 1 = d1² + d2² + d3²) in the interval form x(B − x) of Couteau–Peters–
 * Pointcheval ("Removing the strong RSA assumption from arguments over the integers",
 * EUROCRYPT 2017, §4), so one decomposition covers both ends. The product x(B − x) is not
 * committed separately: since S^{4x} = s^{4x²}·t^{4μx}, the single relation
 *     S^{4x} · Π W_i^{d_i} · t^{τ} = s^{4Bx + 1}                                         (★)
 * holds iff Σ d_i² = 4Bx + 1 − 4x² = 4x(B − x) + 1 (given the openings of S and W_i). The
 * decomposition is found with Rabin–Shallit's randomized method ("Randomized algorithms in
 * number theory", CPAM 1986): pick even d1 at random until p = 4y + 1 − d1² is prime (then
 * p ≡ 1 mod 4), and split p = d2² + d3² by Cornacchia/Hermite–Serret with √−1 mod p
 * (Brillhart, "Note on representing a prime as a sum of two squares", Math. Comp. 1972). We draw
 * d1 within 2^16 below √(4y + 1), so p has about half the bits of 4y + 1: primality tests are
 * cheaper and primes denser (any decomposition serves; the d_i stay hidden in commitments).
 *
 * Prover (public: N, K' = K·g^{−a}, N̂, s, t; witness x, ρ; c, σ from `ZkParams`):
 *  1. (d1, d2, d3) with d1² + d2² + d3² = 4x(B − x) + 1 (each d_i ≤ B).
 *  2. μ, μ1..3 ← [0, 2^{|N̂|+σ}); S = s^x t^μ, W_i = s^{d_i} t^{μ_i}; τ = −4μx − Σ d_i μ_i (so (★)).
 *  3. α, β_i ← [0, 2^{ℓ+c+σ}); γ, γ_i ← [0, 2^{|N̂|+c+2σ}); δ ← [0, 2^{|N̂|+ℓ+c+2σ+3}); r ← Z*_N:
 *     A_K = (1 + αN)·r^N mod N², A_S = s^α t^γ, A_Wi = s^{β_i} t^{γ_i},
 *     A_L = S^{4α}·Π W_i^{β_i}·t^δ·s^{−4Bα}.
 *  4. e ← transcript (c bits) over domain, parameters, every public input and all of the above.
 *  5. z_x = α + e·x, z_ρ = r·ρ^e mod N, z_μ = γ + eμ, z_di = β_i + e·d_i, z_μi = γ_i + eμ_i,
 *     z_τ = δ + eτ (the only response that may be negative).
 * Verifier: range checks on every element and response (z_x, z_di < 2^{ℓ+c+σ+1}, …), K ∈ Z*_{N²},
 * gcd(z_ρ, N) = 1, recomputes e, checks
 *   (P)   (1 + z_x N)·z_ρ^N = A_K·K'^e                      (mod N²)
 *   (ES)  s^{z_x} t^{z_μ} = A_S·S^e                          (mod N̂)
 *   (EWi) s^{z_di} t^{z_μi} = A_Wi·W_i^e
 *   (EL)  S^{4z_x}·Π W_i^{z_di}·t^{z_τ} = A_L·s^{e + 4B·z_x}
 * with (ES)…(EL) batched (`RingPedersenBatch`, weights hashed from the whole proof).
 *
 * Soundness (sketch, as in CGGMP'21 §6 and Groth 2005 Thm. 2): from two accepting transcripts with
 * e ≠ e', strong RSA in QR_N̂ gives integers x = Δz_x/Δe, d_i = Δz_di/Δe and the openings
 * S² = (s²)^x (t²)^μ, W_i² = (s²)^{d_i}(t²)^{μ_i}; (EL) squared and binding then give
 * 4x(B − x) + 1 = Σ d_i² ≥ 0, hence 0 ≤ x ≤ B; (P) gives K'^{Δe} = (1 + N)^{Δz_x}·(…)^N, so K'
 * encrypts x whenever gcd(Δe, N) = 1 (true for a well-formed key: its prime factors exceed 2^c).
 * Knowledge error 2^-c per proof (c = 128 by default; with q hash queries the Fiat–Shamir version
 * errs with probability ≤ (q + 1)·2^-c, below 2^-80 for q ≤ 2^47), plus 2^-κ for the batch test,
 * under strong RSA for N̂ and with well-formed Paillier keys (the settlement assumes keys
 * certified at registration — see `docs/crypto-paillier-zk.md`). Because the range is exact (no
 * slack), x ≤ 2^ℓ − 1 < N/2: the plaintext never wraps modulo N.
 *
 * Zero knowledge: honest-verifier statistical ZK; each of the 9 integer responses and 4
 * commitment randomisers is within 2^-σ of a witness-independent distribution, so with σ = 84
 * the simulated and real transcripts are within 13·2^-84 < 2^-80. z_ρ is uniform in Z*_N.
 *
 * ## Record chunks — `proveRecordChunks` / `verifyRecordChunks`
 *
 * For an encrypted record (`encryptRecordDetailed`, chunks of k bytes) we take the "proof" of
 * seed 002 Table 2 row 3 to be a **proof of plaintext knowledge for every chunk** (Damgård–Jurik,
 * PKC 2001, §5 / Cramer–Damgård–Nielsen, EUROCRYPT 2001, §4: "proof of knowledge of plaintext"),
 * all chunks under one Fiat–Shamir challenge: A_j = (1 + α_j N)·r_j^N, z_j = α_j + e·m_j mod N,
 * w_j = r_j·ρ_j^e mod N; the verifier checks (1 + z_j N)·w_j^N = A_j·K_j^e. Perfect HVZK (α_j
 * uniform mod N); special soundness gives (m_j, ρ_j) whenever gcd(Δe, N) = 1. It makes the record
 * plaintext-aware — nobody can resubmit or maul someone else's chunk ciphertexts as their own
 * without knowing the content — at two exponentiations mod N² per chunk (both CRT or pooled for
 * the key owner). It does not bound the chunks: a decrypting party detects a malformed chunk
 * (`chunksToRecord` rejects m_j ∉ [0, 2^{8k})).
 *
 * Option `bounded: true` upgrades each chunk to CGGMP'21 Π^enc (Fig. 14) with slack: a
 * ring-Pedersen commitment per chunk, integer responses, and the guarantee |m_j| < 2^{8k+c+σ+1}
 * < N/2 (so with k ≤ `provableChunkBytes` no chunk wraps modulo N). It costs two more
 * exponentiations mod N̂ per chunk and smaller chunks. An exact [0, 2^{8k}) range per chunk would
 * need an 8k-bit three-square decomposition per chunk and is not offered.
 */
import {
  isValidCiphertext,
  maxChunkBytes,
  nonceToRn,
  paillierKeyProblem,
  randomNonce,
  RnPool,
  type NonceSource,
  type PaillierPrivateKey,
  type PaillierPublicKey,
} from './paillier.ts';
import { bitLength, gcd, mod, modInverse, modPow, modPowOnce } from './modexp.ts';
import { isqrt, millerRabin, SMALL_PRIMES } from './primes.ts';
import { osRandom, randomBelow, type RandomSource } from './random.ts';
import {
  appendRingPedersen,
  inRpGroup,
  MIN_RING_PEDERSEN_BITS,
  minRingPedersenBits,
  ringPedersenSetupProblem,
  RingPedersenBatch,
  type RingPedersenParams,
} from './ring-pedersen.ts';
import {
  appendZkParams,
  checkZkParams,
  decodeFields,
  DEFAULT_ZK_PARAMS,
  encodeFields,
  randomBits,
  Transcript,
  type ZkParams,
} from './zk-transcript.ts';

// ---------------------------------------------------------------------------------------------
// Integer square roots and sums of squares

/** ⌊√n⌋ (moved to `primes.ts`; re-exported here for existing callers). */
export { isqrt };

/** p = a² + b² for a prime p ≡ 1 (mod 4) (Cornacchia / Hermite–Serret, Brillhart 1972); undefined if it fails. */
export function twoSquaresPrime(p: bigint, random: RandomSource): [bigint, bigint] | undefined {
  if (p === 2n) return [1n, 1n];
  if (p % 4n !== 1n) return undefined;
  const e = (p - 1n) / 4n;
  for (let tries = 0; tries < 64; tries++) {
    const c = 2n + randomBelow(p - 3n, random);
    let x = modPowOnce(c, e, p);
    if ((x * x) % p !== p - 1n) continue;
    if (x > p / 2n) x = p - x; // c was a quadratic residue (or p is composite)
    let a = p;
    let b = x;
    while (b * b > p) [a, b] = [b, a % b];
    const rest = p - b * b;
    const c2 = isqrt(rest);
    if (c2 * c2 === rest) return [b, c2];
    return undefined; // p composite
  }
  return undefined;
}

function threeSquaresBrute(n: number): [bigint, bigint, bigint] {
  for (let a = Math.floor(Math.sqrt(n)); a >= 0; a--) {
    const r = n - a * a;
    for (let b = Math.floor(Math.sqrt(r)); 2 * b * b >= r; b--) {
      const c2 = r - b * b;
      const c = Math.round(Math.sqrt(c2));
      if (c * c === c2) return [BigInt(a), BigInt(b), BigInt(c)];
    }
  }
  throw new RangeError(`threeSquares: ${n} is not a sum of three squares`);
}

const BRUTE_LIMIT = 1n << 24n;
const A_WINDOW = 1n << 16n;

/**
 * Primes used to sieve the candidates p = n − a²: the first 400 odd primes (up to 2741). A longer
 * list removes few more candidates (measured: 25 → 19.5 Miller–Rabin calls with all primes
 * below 2^15) and costs more than it saves.
 */
const SQUARES_SIEVE = SMALL_PRIMES.slice(0, 400);

/** n mod r for every sieving prime r, by Horner's rule over 16-bit limbs in int32 arithmetic. */
function smallResidues(n: bigint): Int32Array {
  const hex = n.toString(16);
  const limbs: number[] = []; // most significant first
  const head = hex.length % 4;
  if (head) limbs.push(parseInt(hex.slice(0, head), 16));
  for (let i = head; i < hex.length; i += 4) limbs.push(parseInt(hex.slice(i, i + 4), 16));
  const out = new Int32Array(SQUARES_SIEVE.length);
  for (let i = 0; i < SQUARES_SIEVE.length; i++) {
    const r = SQUARES_SIEVE[i];
    let acc = 0;
    for (let j = 0; j < limbs.length; j++) acc = ((acc << 16) + limbs[j]) % r; // acc < 2^15 ⇒ < 2^31
    out[i] = acc;
  }
  return out;
}

/**
 * (a, b, c) with a² + b² + c² = n for n ≡ 1 (mod 4), n ≥ 1 (Rabin–Shallit, see header). Random
 * choices come from `random`; small n are solved by exhaustive search. Candidates p = n − a² are
 * sieved by small primes before a Miller–Rabin round.
 */
export function threeSquares(n: bigint, random: RandomSource = osRandom): [bigint, bigint, bigint] {
  if (n < 1n || n % 4n !== 1n) throw new RangeError('threeSquares: n must be ≡ 1 (mod 4) and positive');
  if (n < BRUTE_LIMIT) return threeSquaresBrute(Number(n));
  const root = isqrt(n);
  const nRes = smallResidues(n);
  const count = SQUARES_SIEVE.length;
  for (;;) {
    // a0 random even within 2^16 below √n, so p = n − a² ≈ 2a(√n − a) has only about half the
    // bits of n (cheaper primality tests, denser primes); walk a = a0, a0 − 2, … while sieving p
    let a0 = root - randomBelow(root < A_WINDOW ? root + 1n : A_WINDOW, random);
    if (a0 & 1n) a0 -= 1n;
    const aRes = smallResidues(a0);
    for (let k = 0; k < 4096 && a0 - 2n * BigInt(k) >= 0n; k++) {
      let struck = false;
      for (let i = 0; i < count; i++) {
        const r = SQUARES_SIEVE[i];
        let ar = (aRes[i] - 2 * k) % r;
        if (ar < 0) ar += r;
        if ((nRes[i] - ((ar * ar) % r)) % r === 0) {
          struck = true;
          break;
        }
      }
      if (struck) continue;
      const a = a0 - 2n * BigInt(k);
      const p = n - a * a;
      if (p === 1n) return [a, 1n, 0n];
      if (!millerRabin(p, random, 2)) continue;
      const bc = twoSquaresPrime(p, random);
      if (bc && bc[0] * bc[0] + bc[1] * bc[1] === p) return [a, bc[0], bc[1]];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by zk-equality.ts)

/** Absorbs a Paillier public key. */
export function appendPaillierKey(tr: Transcript, label: string, pk: PaillierPublicKey): void {
  tr.appendInt(`${label}/N`, pk.n);
}

/** rⁿ for a proof's first message: from a pool, by CRT with the private key, or plainly. */
export function proverRn(
  pk: PaillierPublicKey,
  random: RandomSource,
  nonceSource: NonceSource | undefined,
  privateKey: PaillierPrivateKey | undefined,
): { r: bigint; rn: bigint } {
  if (nonceSource instanceof RnPool && nonceSource.publicKey.n === pk.n) {
    const { nonce, rn } = nonceSource.take();
    return { r: nonce, rn };
  }
  const src = typeof nonceSource === 'function' ? nonceSource : random;
  const r = randomNonce(pk, src);
  const key = privateKey && privateKey.publicKey.n === pk.n ? privateKey : pk;
  return { r, rn: nonceToRn(key, r) };
}

/** Checks (1 + z·N)·w^N ≡ A·K^e (mod N²) — the Paillier leg of Π^enc-type proofs. */
export function paillierLegHolds(pk: PaillierPublicKey, K: bigint, A: bigint, z: bigint, w: bigint, e: bigint): boolean {
  const { n, n2 } = pk;
  const lhs = ((1n + mod(z, n) * n) * modPow(w, n, n2)) % n2;
  const rhs = (A * modPow(K, e, n2)) % n2;
  return lhs === rhs;
}

/** The element/response checks every Paillier leg needs: A ∈ [1, N²), w ∈ Z*_N. */
export function paillierLegWellFormed(pk: PaillierPublicKey, A: bigint, w: bigint): boolean {
  return typeof A === 'bigint' && typeof w === 'bigint' && A > 0n && A < pk.n2 && w > 0n && w < pk.n && gcd(w, pk.n) === 1n;
}

/** 0 ≤ z < 2^bits (false for anything but a bigint). */
function below(z: bigint, bits: number): boolean {
  return typeof z === 'bigint' && z >= 0n && z < 1n << BigInt(bits);
}

/** True if `xs` is an array of exactly `length` bigints (shape check for decoded proofs). */
export function isBigintArray(xs: unknown, length: number): xs is readonly bigint[] {
  return Array.isArray(xs) && xs.length === length && xs.every((x) => typeof x === 'bigint');
}

/** True if every value is a bigint. */
export function allBigints(...xs: unknown[]): boolean {
  return xs.every((x) => typeof x === 'bigint');
}

/**
 * Throws a RangeError unless every Paillier key passes `paillierKeyProblem` and, when given, the
 * ring-Pedersen setup passes `ringPedersenSetupProblem` with at least `minSetupBits`. Provers
 * call it to refuse early; verifiers (through their bounds functions) turn it into `false`.
 */
export function requireAcceptableKeys(what: string, keys: readonly PaillierPublicKey[], setup?: RingPedersenParams, minSetupBits = MIN_RING_PEDERSEN_BITS): void {
  for (const pk of keys) {
    const problem = paillierKeyProblem(pk);
    if (problem) throw new RangeError(`${what}: Paillier key refused: ${problem}`);
  }
  if (setup !== undefined) {
    const problem = ringPedersenSetupProblem(setup, minSetupBits);
    if (problem) throw new RangeError(`${what}: ring-Pedersen setup refused: ${problem}`);
  }
}

function weightsFrom(tr: Transcript, kappa: number): (i: number) => bigint {
  return (i: number) => tr.challenge(`batch/${i}`, kappa);
}

// ---------------------------------------------------------------------------------------------
// ZKRP

export interface RangeStatement {
  readonly publicKey: PaillierPublicKey;
  readonly ciphertext: bigint;
  /** ℓ: the claim is plaintext − offset ∈ [0, 2^ℓ) */
  readonly bits: number;
  /** a (default 0) */
  readonly offset?: bigint;
  readonly setup: RingPedersenParams;
  /** caller context bound into the challenge (transaction, sender, purpose…) */
  readonly context?: Uint8Array;
  readonly params?: ZkParams;
}

export interface RangeWitness {
  readonly plaintext: bigint;
  readonly nonce: bigint;
}

export interface ProverOptions {
  /** randomness for masks and nonces (default OS CSPRNG) */
  readonly random?: RandomSource;
  /** where the rⁿ of Paillier first messages comes from (pool or random source) */
  readonly nonceSource?: NonceSource;
  /** the key owner's private key: CRT for rⁿ when no pool is given */
  readonly privateKey?: PaillierPrivateKey;
}

export interface RangeProof {
  readonly S: bigint;
  readonly W: readonly bigint[];
  readonly AK: bigint;
  readonly AS: bigint;
  readonly AW: readonly bigint[];
  readonly AL: bigint;
  readonly zx: bigint;
  readonly zrho: bigint;
  readonly zmu: bigint;
  readonly zd: readonly bigint[];
  readonly zmuW: readonly bigint[];
  readonly ztau: bigint;
}

const RANGE_DOMAIN = 'paillier/range';

interface RangeBounds {
  readonly c: number;
  readonly kappa: number;
  readonly B: bigint;
  readonly small: number; // bits of α, β (masks for x, d_i)
  readonly rand: number; // bits of commitment randomness μ, μ_i
  readonly big: number; // bits of masks γ for commitment randomness
  readonly tau: number; // bits of δ
}

function rangeBounds(st: RangeStatement): RangeBounds {
  const p = st.params ?? DEFAULT_ZK_PARAMS;
  checkZkParams(p);
  const l = st.bits;
  if (!Number.isInteger(l) || l < 1) throw new RangeError('range proof: bits must be a positive integer');
  requireAcceptableKeys('range proof', [st.publicKey], st.setup, minRingPedersenBits(l, p));
  if (st.offset !== undefined && typeof st.offset !== 'bigint') throw new RangeError('range proof: offset must be a bigint');
  const c = p.challengeBits;
  const sigma = p.slackBits;
  const nb = st.setup.bits;
  // x ≤ 2^ℓ − 1 must be far below N/2 and z_x = α + e·x must stay below N (no wrap in 1 + z_x·N)
  if (l + c + sigma + 2 >= st.publicKey.bits - 1) throw new RangeError('range proof: ℓ too large for this Paillier modulus');
  return {
    c,
    kappa: p.batchBits,
    B: (1n << BigInt(l)) - 1n,
    small: l + c + sigma,
    rand: nb + sigma,
    big: nb + c + 2 * sigma,
    tau: nb + l + c + 2 * sigma + 3,
  };
}

function shiftedCiphertext(st: RangeStatement): bigint {
  const { n, n2 } = st.publicKey;
  const a = st.offset ?? 0n;
  return (st.ciphertext * (1n + mod(-a, n) * n)) % n2; // K·g^{−a}
}

/** A range proof's first (commitment) messages, the input of its challenge. */
export type RangeFirstMessages = Pick<RangeProof, 'S' | 'W' | 'AK' | 'AS' | 'AW' | 'AL'>;

function rangeTranscript(st: RangeStatement, pr: RangeFirstMessages): Transcript {
  const tr = new Transcript(RANGE_DOMAIN);
  appendZkParams(tr, st.params ?? DEFAULT_ZK_PARAMS);
  tr.appendNumber('bits', st.bits).appendInt('offset', st.offset ?? 0n);
  appendPaillierKey(tr, 'paillier', st.publicKey);
  appendRingPedersen(tr, st.setup);
  tr.appendInt('K', st.ciphertext).appendBytes('context', st.context ?? new Uint8Array(0));
  tr.appendInt('S', pr.S).appendInts('W', pr.W);
  tr.appendInt('A_K', pr.AK).appendInt('A_S', pr.AS).appendInts('A_W', pr.AW).appendInt('A_L', pr.AL);
  return tr;
}

/**
 * The Fiat–Shamir challenge e of a range proof with the given first messages — what the verifier
 * recomputes. Public information; exposed so alternative provers (and tests playing a cheating
 * prover) can be written against the same transcript.
 */
export function rangeChallenge(statement: RangeStatement, first: RangeFirstMessages): bigint {
  const params = statement.params ?? DEFAULT_ZK_PARAMS;
  checkZkParams(params);
  return rangeTranscript(statement, first).challenge('e', params.challengeBits);
}

const inverseCache = new WeakMap<RingPedersenParams, bigint>();

/** s^{-1} mod N̂, cached per parameter object. */
function sInverse(rp: RingPedersenParams): bigint {
  let v = inverseCache.get(rp);
  if (v === undefined) {
    v = modInverse(rp.s, rp.nHat);
    inverseCache.set(rp, v);
  }
  return v;
}

/**
 * Proves that `statement.ciphertext` encrypts plaintext with plaintext − offset ∈ [0, 2^ℓ).
 * Throws a RangeError (refuses) when the witness is out of range.
 */
export function proveRange(statement: RangeStatement, witness: RangeWitness, options: ProverOptions = {}): RangeProof {
  const b = rangeBounds(statement);
  const x = witness.plaintext - (statement.offset ?? 0n);
  if (x < 0n || x > b.B) throw new RangeError('range proof: value out of range');
  const d = threeSquares(4n * x * (b.B - x) + 1n, options.random ?? osRandom);
  return proveRangeWithDecomposition(statement, witness, d, options);
}

/**
 * The prover of `proveRange` with a caller-supplied decomposition d (d1² + d2² + d3² should equal
 * 4x(B − x) + 1 for x = plaintext − offset). It checks nothing: an out-of-range value or a wrong
 * decomposition produces a proof that fails verification. Exposed for tests (cheating provers)
 * and for timing the decomposition separately; applications call `proveRange`.
 */
export function proveRangeWithDecomposition(
  statement: RangeStatement,
  witness: RangeWitness,
  d: readonly bigint[],
  options: ProverOptions = {},
): RangeProof {
  const b = rangeBounds(statement);
  const random = options.random ?? osRandom;
  const rp = statement.setup;
  const { nHat, s, t } = rp;
  const pk = statement.publicKey;
  const x = witness.plaintext - (statement.offset ?? 0n);
  if (d.length !== 3) throw new RangeError('range proof: three squares expected');

  const pw = (base: bigint, e: bigint) => (e >= 0n ? modPow(base, e, nHat) : modInverse(modPow(base, -e, nHat), nHat));
  const mu = randomBits(b.rand, random);
  const muW = d.map(() => randomBits(b.rand, random));
  const S = (pw(s, x) * pw(t, mu)) % nHat;
  const W = d.map((di, i) => (pw(s, di) * pw(t, muW[i])) % nHat);
  const tau = -4n * mu * x - d.reduce((acc, di, i) => acc + di * muW[i], 0n);

  const alpha = randomBits(b.small, random);
  const beta = d.map(() => randomBits(b.small, random));
  const gamma = randomBits(b.big, random);
  const gW = d.map(() => randomBits(b.big, random));
  const delta = randomBits(b.tau, random);
  const { r, rn } = proverRn(pk, random, options.nonceSource, options.privateKey);
  const AK = ((1n + alpha * pk.n) * rn) % pk.n2;
  const AS = (pw(s, alpha) * pw(t, gamma)) % nHat;
  const AW = beta.map((bi, i) => (pw(s, bi) * pw(t, gW[i])) % nHat);
  let AL = (pw(S, 4n * alpha) * pw(t, delta)) % nHat;
  for (let i = 0; i < 3; i++) AL = (AL * pw(W[i], beta[i])) % nHat;
  AL = (AL * pw(sInverse(rp), 4n * b.B * alpha)) % nHat;

  const first: RangeFirstMessages = { S, W, AK, AS, AW, AL };
  const e = rangeTranscript(statement, first).challenge('e', b.c);
  return {
    ...first,
    zx: alpha + e * x,
    zrho: (r * modPow(witness.nonce, e, pk.n)) % pk.n,
    zmu: gamma + e * mu,
    zd: beta.map((bi, i) => bi + e * d[i]),
    zmuW: gW.map((gi, i) => gi + e * muW[i]),
    ztau: delta + e * tau,
  };
}

/**
 * Verifies a range proof against its statement (checks (P), (ES), (EWi), (EL) of the header).
 * Refuses (false) a Paillier key or ring-Pedersen setup that fails `requireAcceptableKeys` —
 * N̂ below max(2048, 2(ℓ + σ) + c) bits in particular — and returns false, never throws, on
 * malformed input.
 */
export function verifyRange(statement: RangeStatement, proof: RangeProof): boolean {
  try {
    return verifyRangeChecked(statement, proof);
  } catch {
    return false;
  }
}

function verifyRangeChecked(statement: RangeStatement, proof: RangeProof): boolean {
  let b: RangeBounds;
  try {
    b = rangeBounds(statement);
  } catch {
    return false;
  }
  const pk = statement.publicKey;
  const rp = statement.setup;
  const { nHat, s, t } = rp;
  const pr = proof;
  // shapes and ranges
  if (pr === null || typeof pr !== 'object') return false;
  if (!allBigints(pr.S, pr.AK, pr.AS, pr.AL, pr.zx, pr.zrho, pr.zmu, pr.ztau)) return false;
  if (!isBigintArray(pr.W, 3) || !isBigintArray(pr.AW, 3) || !isBigintArray(pr.zd, 3) || !isBigintArray(pr.zmuW, 3)) return false;
  if (!isValidCiphertext(pk, statement.ciphertext)) return false;
  for (const g of [pr.S, ...pr.W, pr.AS, ...pr.AW, pr.AL]) if (!inRpGroup(rp, g)) return false;
  if (!paillierLegWellFormed(pk, pr.AK, pr.zrho)) return false;
  if (!below(pr.zx, b.small + 1) || !pr.zd.every((z) => below(z, b.small + 1))) return false;
  if (![pr.zmu, ...pr.zmuW].every((z) => below(z, b.big + 1))) return false;
  if (!below(pr.ztau < 0n ? -pr.ztau : pr.ztau, b.tau + 1)) return false;

  const tr = rangeTranscript(statement, pr);
  const e = tr.challenge('e', b.c);
  // (P) Paillier leg
  if (!paillierLegHolds(pk, shiftedCiphertext(statement), pr.AK, pr.zx, pr.zrho, e)) return false;
  // ring-Pedersen equations, batched with weights hashed from the whole proof
  tr.appendInts('z', [pr.zx, pr.zrho, pr.zmu, ...pr.zd, ...pr.zmuW, pr.ztau]);
  const batch = new RingPedersenBatch(nHat, weightsFrom(tr, b.kappa));
  batch.add([[s, pr.zx], [t, pr.zmu]], [[pr.AS, 1n], [pr.S, e]]); // (ES)
  for (let i = 0; i < 3; i++) batch.add([[s, pr.zd[i]], [t, pr.zmuW[i]]], [[pr.AW[i], 1n], [pr.W[i], e]]); // (EWi)
  batch.add(
    [[pr.S, 4n * pr.zx], [pr.W[0], pr.zd[0]], [pr.W[1], pr.zd[1]], [pr.W[2], pr.zd[2]], [t, pr.ztau]],
    [[pr.AL, 1n], [s, e + 4n * b.B * pr.zx]],
  ); // (EL)
  return batch.check();
}

const RANGE_FIELDS = 20;

/** Serialises a range proof (tag `ZKRP`, 20 integers). */
export function encodeRangeProof(p: RangeProof): Uint8Array {
  return encodeFields('ZKRP', 1, [
    p.S, ...p.W, p.AK, p.AS, ...p.AW, p.AL,
    p.zx, p.zrho, p.zmu, ...p.zd, ...p.zmuW, p.ztau,
  ]);
}

export function decodeRangeProof(bytes: Uint8Array): RangeProof {
  const f = decodeFields('ZKRP', 1, bytes, RANGE_FIELDS);
  return {
    S: f[0], W: f.slice(1, 4), AK: f[4], AS: f[5], AW: f.slice(6, 9), AL: f[9],
    zx: f[10], zrho: f[11], zmu: f[12], zd: f.slice(13, 16), zmuW: f.slice(16, 19), ztau: f[19],
  };
}

// ---------------------------------------------------------------------------------------------
// Record chunks: batched proof of plaintext knowledge (default) or Π^enc with slack (bounded)

export interface RecordStatement {
  readonly publicKey: PaillierPublicKey;
  readonly chunks: readonly bigint[];
  readonly chunkBytes: number;
  /** ring-Pedersen parameters; required only when `bounded` */
  readonly setup?: RingPedersenParams;
  /** CGGMP'21 Π^enc per chunk (slack bound) instead of a plain proof of plaintext knowledge */
  readonly bounded?: boolean;
  readonly context?: Uint8Array;
  readonly params?: ZkParams;
}

export interface RecordWitness {
  readonly plaintexts: readonly bigint[];
  readonly nonces: readonly bigint[];
}

export interface RecordProof {
  /** Paillier first messages, one per chunk */
  readonly AK: readonly bigint[];
  /** plaintext responses (mod N, or integers when bounded) */
  readonly zx: readonly bigint[];
  /** nonce responses mod N */
  readonly zrho: readonly bigint[];
  /** bounded only: commitments, their first messages and randomness responses (else empty) */
  readonly S: readonly bigint[];
  readonly AS: readonly bigint[];
  readonly zmu: readonly bigint[];
}

const RECORD_DOMAIN = 'paillier/record-chunks';

/** Largest chunk size (bytes) for which the slack bound 2^{8k+c+σ+1} stays below N/2. */
export function provableChunkBytes(pk: PaillierPublicKey, params: ZkParams = DEFAULT_ZK_PARAMS): number {
  return Math.floor((pk.bits - params.challengeBits - params.slackBits - 3) / 8);
}

function recordTranscript(st: RecordStatement, pr: Pick<RecordProof, 'S' | 'AK' | 'AS'>): Transcript {
  const tr = new Transcript(RECORD_DOMAIN);
  appendZkParams(tr, st.params ?? DEFAULT_ZK_PARAMS);
  tr.appendNumber('chunkBytes', st.chunkBytes).appendNumber('bounded', st.bounded ? 1 : 0);
  appendPaillierKey(tr, 'paillier', st.publicKey);
  if (st.bounded && st.setup) appendRingPedersen(tr, st.setup);
  tr.appendInts('K', st.chunks).appendBytes('context', st.context ?? new Uint8Array(0));
  tr.appendInts('S', pr.S).appendInts('A_K', pr.AK).appendInts('A_S', pr.AS);
  return tr;
}

interface RecordBits {
  readonly c: number;
  readonly kappa: number;
  readonly small: number;
  readonly rand: number;
  readonly big: number;
}

function recordBits(st: RecordStatement): RecordBits {
  const p = st.params ?? DEFAULT_ZK_PARAMS;
  checkZkParams(p);
  const maxBytes = st.bounded ? provableChunkBytes(st.publicKey, p) : maxChunkBytes(st.publicKey);
  if (!Number.isInteger(st.chunkBytes) || st.chunkBytes < 1 || st.chunkBytes > maxBytes) {
    throw new RangeError('record proof: chunk size too large for this modulus');
  }
  if (st.bounded && !st.setup) throw new RangeError('record proof: bounded mode needs ring-Pedersen parameters');
  // The bounded proof's ring-Pedersen equations are linear (no products of committed values), so
  // the setup needs the 2048-bit floor only, not the ℓ-dependent margin of the range proof.
  requireAcceptableKeys('record proof', [st.publicKey], st.bounded ? st.setup : undefined, MIN_RING_PEDERSEN_BITS);
  const nb = st.bounded ? (st.setup as RingPedersenParams).bits : 0;
  return {
    c: p.challengeBits,
    kappa: p.batchBits,
    small: 8 * st.chunkBytes + p.challengeBits + p.slackBits,
    rand: nb + p.slackBits,
    big: nb + p.challengeBits + 2 * p.slackBits,
  };
}

/** Proves knowledge of every chunk's plaintext and nonce (bounded: also |m_j| < 2^{8k+c+σ+1}). */
export function proveRecordChunks(statement: RecordStatement, witness: RecordWitness, options: ProverOptions = {}): RecordProof {
  const b = recordBits(statement);
  const random = options.random ?? osRandom;
  const pk = statement.publicKey;
  const k = statement.chunks.length;
  if (witness.plaintexts.length !== k || witness.nonces.length !== k) throw new RangeError('record proof: witness length mismatch');
  const bound = 1n << BigInt(8 * statement.chunkBytes);
  if (witness.plaintexts.some((m) => m < 0n || m >= bound)) throw new RangeError('record proof: chunk out of range');
  const bounded = statement.bounded === true;
  const alpha = witness.plaintexts.map(() => (bounded ? randomBits(b.small, random) : randomBelow(pk.n, random)));
  const rs: bigint[] = [];
  const AK = alpha.map((a) => {
    const { r, rn } = proverRn(pk, random, options.nonceSource, options.privateKey);
    rs.push(r);
    return ((1n + (a % pk.n) * pk.n) * rn) % pk.n2;
  });
  let S: bigint[] = [];
  let AS: bigint[] = [];
  let mu: bigint[] = [];
  let gamma: bigint[] = [];
  if (bounded) {
    const { nHat, s, t } = statement.setup as RingPedersenParams;
    const pw = (base: bigint, e: bigint) => modPow(base, e, nHat);
    mu = witness.plaintexts.map(() => randomBits(b.rand, random));
    gamma = witness.plaintexts.map(() => randomBits(b.big, random));
    S = witness.plaintexts.map((m, j) => (pw(s, m) * pw(t, mu[j])) % nHat);
    AS = alpha.map((a, j) => (pw(s, a) * pw(t, gamma[j])) % nHat);
  }
  const e = recordTranscript(statement, { S, AK, AS }).challenge('e', b.c);
  return {
    AK,
    zx: alpha.map((a, j) => (bounded ? a + e * witness.plaintexts[j] : (a + e * witness.plaintexts[j]) % pk.n)),
    zrho: rs.map((r, j) => (r * modPow(witness.nonces[j], e, pk.n)) % pk.n),
    S,
    AS,
    zmu: gamma.map((g, j) => g + e * mu[j]),
  };
}

/**
 * Verifies a record-chunk proof. Refuses keys and (bounded mode) setups that fail
 * `requireAcceptableKeys`; returns false, never throws, on malformed input.
 */
export function verifyRecordChunks(statement: RecordStatement, proof: RecordProof): boolean {
  try {
    return verifyRecordChunksChecked(statement, proof);
  } catch {
    return false;
  }
}

function verifyRecordChunksChecked(statement: RecordStatement, proof: RecordProof): boolean {
  let b: RecordBits;
  try {
    b = recordBits(statement);
  } catch {
    return false;
  }
  const pk = statement.publicKey;
  const bounded = statement.bounded === true;
  const k = statement.chunks.length;
  if (k === 0 || proof === null || typeof proof !== 'object') return false;
  for (const arr of [proof.AK, proof.zx, proof.zrho]) if (!isBigintArray(arr, k)) return false;
  for (const arr of [proof.S, proof.AS, proof.zmu]) if (!isBigintArray(arr, bounded ? k : 0)) return false;
  const rp = statement.setup as RingPedersenParams;
  for (let j = 0; j < k; j++) {
    if (!isValidCiphertext(pk, statement.chunks[j])) return false;
    if (!paillierLegWellFormed(pk, proof.AK[j], proof.zrho[j])) return false;
    if (bounded) {
      if (!inRpGroup(rp, proof.S[j]) || !inRpGroup(rp, proof.AS[j])) return false;
      if (!below(proof.zx[j], b.small + 1) || !below(proof.zmu[j], b.big + 1)) return false;
    } else if (proof.zx[j] < 0n || proof.zx[j] >= pk.n) return false;
  }
  const tr = recordTranscript(statement, proof);
  const e = tr.challenge('e', b.c);
  for (let j = 0; j < k; j++) {
    if (!paillierLegHolds(pk, statement.chunks[j], proof.AK[j], proof.zx[j], proof.zrho[j], e)) return false;
  }
  if (!bounded) return true;
  tr.appendInts('zx', proof.zx).appendInts('zrho', proof.zrho).appendInts('zmu', proof.zmu);
  const batch = new RingPedersenBatch(rp.nHat, weightsFrom(tr, b.kappa));
  for (let j = 0; j < k; j++) {
    batch.add([[rp.s, proof.zx[j]], [rp.t, proof.zmu[j]]], [[proof.AS[j], 1n], [proof.S[j], e]]);
  }
  return batch.check();
}

/** Serialises a record proof (tag `ZKRC`). */
export function encodeRecordProof(p: RecordProof): Uint8Array {
  return encodeFields('ZKRC', 1, [BigInt(p.AK.length), BigInt(p.S.length), ...p.AK, ...p.zx, ...p.zrho, ...p.S, ...p.AS, ...p.zmu]);
}

export function decodeRecordProof(bytes: Uint8Array): RecordProof {
  const f = decodeFields('ZKRC', 1, bytes);
  if (f.length < 2) throw new RangeError('record proof encoding: too short');
  const k = Number(f[0]);
  const kb = Number(f[1]);
  if ((kb !== 0 && kb !== k) || f.length !== 2 + 3 * k + 3 * kb) throw new RangeError('record proof encoding: wrong length');
  let off = 2;
  const take = (n: number) => f.slice(off, (off += n));
  return { AK: take(k), zx: take(k), zrho: take(k), S: take(kb), AS: take(kb), zmu: take(kb) };
}
