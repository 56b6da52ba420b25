/**
 * Seed 003's "consensus with 99 % probability", read as: the probability that a committee of k
 * delegates elected from N candidates, B of them Byzantine, holds at most f = ⌊(k − 1)/3⌋
 * Byzantine members (PBFT's bound). With a uniform election the Byzantine count is
 * hypergeometric: P(X = x) = C(B, x)·C(N − B, k − x) / C(N, k).
 *
 * `electionMonteCarlo` draws uniform committees (partial Fisher–Yates, xoshiro128** from a derived
 * seed) as the simulated counterpart; elections with tiers and collusion belong to protocols/dpos.
 */
import { gammaln } from 'simple-statistics';
import { seedWords } from './doublespend.ts';

function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

/** PBFT's fault bound for a committee of k. */
export function faultBound(k: number): number {
  return Math.floor((k - 1) / 3);
}

/** P(X ≤ f) for X ~ Hypergeometric(N, B, k), f = ⌊(k − 1)/3⌋ by default. */
export function committeeSafeProbability(candidates: number, byzantine: number, committee: number, f = faultBound(committee)): number {
  if (committee > candidates) throw new RangeError(`committee ${committee} > candidates ${candidates}`);
  const total = logChoose(candidates, committee);
  let p = 0;
  for (let x = 0; x <= Math.min(f, byzantine, committee); x++) {
    const lp = logChoose(byzantine, x) + logChoose(candidates - byzantine, committee - x) - total;
    if (Number.isFinite(lp)) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/** Uniform elections: how many of `elections` committees respect the fault bound. */
export function electionMonteCarlo(opts: { candidates: number; byzantine: number; committee: number; elections: number; seed: string }): { elections: number; safe: number } {
  const { candidates: N, byzantine: B, committee: k, elections } = opts;
  if (k > N) throw new RangeError(`committee ${k} > candidates ${N}`);
  const f = faultBound(k);
  const w = seedWords(opts.seed);
  let s0 = w[0] | 0, s1 = w[1] | 0, s2 = w[2] | 0, s3 = w[3] | 0;
  const ids = new Int32Array(N);
  let safe = 0;
  for (let e = 0; e < elections; e++) {
    for (let i = 0; i < N; i++) ids[i] = i;
    let bad = 0;
    for (let j = 0; j < k; j++) {
      const r0 = Math.imul(s1, 5);
      const out = Math.imul((r0 << 7) | (r0 >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      const pick = j + Math.floor((out / 4294967296) * (N - j));
      const c = ids[pick];
      ids[pick] = ids[j];
      ids[j] = c;
      if (c < B) bad++; // candidates 0..B−1 are the Byzantine ones
    }
    if (bad <= f) safe++;
  }
  return { elections, safe };
}
