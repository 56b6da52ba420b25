/**
 * Double-spend (block-forgery) probability: closed forms and a fast Monte-Carlo of the race.
 *
 * Setting (Bitcoin whitepaper §11; Rosenfeld 2012): the honest network holds a share p of the
 * hash rate, the attacker q = 1 − p. Blocks are found one at a time and each is the attacker's
 * with probability q, independently (the jump chain of two Poisson processes). The merchant waits
 * for z confirmations (its transaction's block and z − 1 more); meanwhile the attacker mines a
 * secret fork that double-spends.
 *
 * - `nakamoto(q, z)` — the whitepaper's formula: the attacker's progress while the honest network
 *   finds z blocks is approximated by a Poisson variable of mean λ = z·q/p, and from a deficit
 *   of d blocks it catches up with probability (q/p)^d:
 *   P = 1 − Σ_{k=0}^{z} Poisson(k; λ)·(1 − (q/p)^{z−k}).
 *   (Seed 001 §4.2 prints `1 − q^{z−k}/p` inside the sum: a typo; see docs/analysis.md.)
 * - `rosenfeld(q, z)` — the exact version (Rosenfeld, "Analysis of hashrate-based double
 *   spending", 2012, eq. (1)): the attacker's block count while the honest network finds z
 *   blocks is negative binomial, m ~ NB(z, p): P(m) = C(m+z−1, m)·p^z·q^m, and
 *   P = 1 − Σ_{m=0}^{z} C(m+z−1, m)(p^z q^m − q^z p^m) for q < p, 1 for q ≥ p.
 * - `raceExact(q, z, D)` — the exact value for the rule the Monte-Carlo simulates (RACE RULE
 *   below), which has a give-up threshold D so that every simulated trial ends.
 *
 * RACE RULE (what `raceMonteCarlo` simulates, and `raceExact` computes):
 *   1. The attacker starts mining its fork when the honest network starts on the merchant's
 *      block; it has pre-mined nothing.
 *   2. Phase 1: blocks are drawn (attacker w.p. q) until the honest network has found z blocks;
 *      let m be the attacker's count at that moment.
 *   3. Phase 2: the attacker keeps mining. It SUCCEEDS as soon as its fork is at least as long as
 *      the honest chain (deficit z − m + honest − attacker ≤ 0) — Rosenfeld's and Nakamoto's
 *      criterion (Rosenfeld words it as "strictly longer, with one pre-mined block"; the
 *      probabilities are the same). If m ≥ z it succeeds at once.
 *   4. It GIVES UP when it falls D blocks behind (deficit = D). Default D = `defaultGiveUp(z, q)`,
 *      where giving up changes the probability by a relative amount below 1e-12 (q < p); the
 *      exact value accounts for it anyway.
 * Exact value: P = Σ_{m ≥ z} NB(m) + Σ_{m<z} NB(m)·h(z − m), with gambler's ruin
 *   h(d) = (r^d − r^D)/(1 − r^D), r = q/p (h(d) = 1 − d/D when r = 1; 0 when d ≥ D).
 *
 * The variant `strict: true` (success only when strictly longer, no pre-mined block — what a
 * first-seen tie rule gives on a real network) shifts the deficit by one: h(z − m + 1), success
 * at once when m > z.
 */

import { deriveSeed } from '../sim/rng.ts';
import { incompleteBeta } from './stats.ts';

/** Options of the race rule. */
export interface RaceRule {
  /** Give-up deficit D (blocks behind). Default z + 60. */
  giveUp?: number;
  /** Success only when strictly longer (no pre-mined block). Default false (catch-up suffices). */
  strict?: boolean;
}

function checkQ(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1], got ${q}`);
}
function checkZ(z: number): void {
  if (!Number.isInteger(z) || z < 0) throw new RangeError(`z must be an integer ≥ 0, got ${z}`);
}

/** Bitcoin whitepaper §11 (Poisson approximation). */
export function nakamoto(q: number, z: number): number {
  checkQ(q);
  checkZ(z);
  const p = 1 - q;
  if (q >= p) return 1;
  const lambda = (z * q) / p;
  let sum = 1;
  let poisson = Math.exp(-lambda);
  for (let k = 0; k <= z; k++) {
    if (k > 0) poisson *= lambda / k;
    sum -= poisson * (1 - Math.pow(q / p, z - k));
  }
  return clamp01(sum);
}

/**
 * Rosenfeld 2012, exact (negative binomial), as printed:
 * 1 − Σ_{m=0}^{z} C(m+z−1, m)(p^z q^m − q^z p^m). Loses relative accuracy when P is below
 * ~1e-12 (1 − a sum close to 1); `rosenfeld` is the stable equivalent.
 */
export function rosenfeldClosedForm(q: number, z: number): number {
  checkQ(q);
  checkZ(z);
  const p = 1 - q;
  if (q >= p) return 1;
  if (z === 0) return 1;
  let sum = 0;
  // C(m+z−1, m)·p^z q^m and C(m+z−1, m)·q^z p^m by recurrence in m.
  let a = Math.pow(p, z);
  let b = Math.pow(q, z);
  for (let m = 0; m <= z; m++) {
    if (m > 0) {
      const f = (m + z - 1) / m;
      a *= f * q;
      b *= f * p;
    }
    sum += a - b;
  }
  return clamp01(1 - sum);
}

/**
 * Rosenfeld 2012, exact: Σ_{m<z} NB(m; z, p)·(q/p)^{z−m} + P(m ≥ z), the tail as the regularized
 * incomplete beta I_q(z, z) — no cancellation, accurate to full relative precision for tiny P.
 */
export function rosenfeld(q: number, z: number): number {
  return raceExact(q, z, { giveUp: Number.POSITIVE_INFINITY });
}

/** Probability that a walk from deficit d reaches 0 before D (attacker step w.p. q). */
export function gamblersRuin(q: number, d: number, giveUp: number): number {
  if (d <= 0) return 1;
  if (d >= giveUp) return 0;
  const p = 1 - q;
  if (q === 0) return 0;
  if (p === 0) return 1;
  const r = q / p;
  if (Math.abs(r - 1) < 1e-12) return 1 - d / giveUp;
  if (!Number.isFinite(giveUp)) return r < 1 ? Math.pow(r, d) : 1;
  const rD = Math.pow(r, giveUp);
  return (Math.pow(r, d) - rD) / (1 - rD);
}

/**
 * Default give-up threshold for a race with z confirmations at attacker share q: z + k with
 * k = ⌈ln 1e-12 / ln(q/p)⌉ clamped to [1, 200], so that giving up changes the success
 * probability by a relative amount below 1e-12 when q < p (k = 13 at q = 0.1, 33 at q = 0.3).
 */
export function defaultGiveUp(z: number, q: number): number {
  const r = q / (1 - q);
  const k = r > 0 && r < 1 ? Math.ceil(Math.log(1e-12) / Math.log(r)) : 200;
  return z + Math.min(200, Math.max(1, k));
}

/** Exact success probability under the RACE RULE (see the header). */
export function raceExact(q: number, z: number, rule: RaceRule = {}): number {
  checkQ(q);
  checkZ(z);
  const D = rule.giveUp ?? defaultGiveUp(z, q);
  const shift = rule.strict ? 1 : 0;
  const p = 1 - q;
  if (q >= p && !Number.isFinite(D)) return 1;
  // Shifted walk y = deficit + shift: success at y = 0, give-up at y = D + shift.
  if (z === 0) return gamblersRuin(q, shift, D + shift);
  if (p === 0) return 1;
  if (q === 0) return 0;
  // m = attacker blocks when the honest chain reaches z: NB(m; z, p) = C(m+z−1, m) p^z q^m.
  // m ≥ z + shift succeeds at once: P(m ≥ k) = I_q(k, z) (regularized incomplete beta).
  const k = z + shift;
  let nb = Math.pow(p, z);
  let success = incompleteBeta(q, k, z);
  for (let m = 0; m < k; m++) {
    if (m > 0) nb *= (q * (m + z - 1)) / m;
    success += nb * gamblersRuin(q, z - m + shift, D + shift);
  }
  return clamp01(success);
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

// ---------------------------------------------------------------------------------------------
// Monte-Carlo of the race

/**
 * xoshiro128** (Blackman & Vigna 2018), 32-bit state words, seeded from 128 bits of a derived
 * SHA-256 seed. Used only by the race Monte-Carlo: the loop below inlines it so a trial allocates
 * nothing and calls nothing.
 */
export function seedWords(seedHex: string): Uint32Array {
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) s[i] = parseInt(seedHex.slice(i * 8, i * 8 + 8), 16) >>> 0;
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is a fixed point
  return s;
}

export interface RaceMonteCarloOptions extends RaceRule {
  q: number;
  z: number;
  trials: number;
  /** 64-hex-digit seed (e.g. from `deriveSeed`), or a run seed + label pair. */
  seed: string;
}

export interface RaceMonteCarloResult {
  q: number;
  z: number;
  giveUp: number;
  strict: boolean;
  trials: number;
  successes: number;
  /** Blocks drawn over all trials (work measure). */
  steps: number;
}

/**
 * Simulates `trials` independent races under the RACE RULE. Each block is the attacker's when a
 * uniform 32-bit draw is below ⌊q·2^32⌋ (bias < 2^−32). No allocation per trial.
 */
export function raceMonteCarlo(options: RaceMonteCarloOptions): RaceMonteCarloResult {
  const { q, z, trials } = options;
  checkQ(q);
  checkZ(z);
  if (!Number.isInteger(trials) || trials < 0) throw new RangeError(`trials must be an integer ≥ 0, got ${trials}`);
  const D = options.giveUp ?? defaultGiveUp(z, q);
  if (!(D >= 1) || !Number.isFinite(D)) throw new RangeError(`giveUp must be a finite number ≥ 1, got ${D}`);
  const strict = options.strict ?? false;
  const threshold = Math.min(4294967295, Math.floor(q * 4294967296)) >>> 0;
  const always = q >= 1;
  const words = seedWords(options.seed);
  // The xoshiro128** state lives in four locals and its step is written out in both phases
  // below: a helper function could not update locals, and an object would cost the ≥ 1 M races
  // per second per core this loop is measured by (`medsim bench race`).
  let s0 = words[0] | 0;
  let s1 = words[1] | 0;
  let s2 = words[2] | 0;
  let s3 = words[3] | 0;
  let successes = 0;
  let steps = 0;
  const target = strict ? -1 : 0; // deficit at which the attacker has won
  for (let t = 0; t < trials; t++) {
    // Phase 1: until the honest network finds z blocks. Deficit = honest − attacker.
    let honest = 0;
    let deficit = 0;
    while (honest < z) {
      // xoshiro128**: result = rotl(s1 * 5, 7) * 9
      const r0 = Math.imul(s1, 5);
      const out = Math.imul((r0 << 7) | (r0 >>> 25), 9) >>> 0;
      const tt = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= tt;
      s3 = (s3 << 11) | (s3 >>> 21);
      steps++;
      if (always || out < threshold) deficit--;
      else {
        deficit++;
        honest++;
      }
    }
    // Phase 2: random walk until caught up (≤ target) or given up (≥ D).
    while (deficit > target && deficit < D) {
      const r0 = Math.imul(s1, 5);
      const out = Math.imul((r0 << 7) | (r0 >>> 25), 9) >>> 0;
      const tt = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= tt;
      s3 = (s3 << 11) | (s3 >>> 21);
      steps++;
      if (always || out < threshold) deficit--;
      else deficit++;
    }
    if (deficit <= target) successes++;
  }
  return { q, z, giveUp: D, strict, trials, successes, steps };
}

/** Seed of race batch `index` of a figure point (stable labels: adding points shifts nothing). */
export function raceSeed(runSeed: number | string, q: number, z: number, index: number): string {
  return deriveSeed(runSeed, `double-spend/race/q=${q}/z=${z}/batch=${index}`);
}
