import { describe, expect, it } from 'vitest';
import { gamblersRuin, nakamoto, raceExact, raceMonteCarlo, rosenfeld } from '../../analysis/doublespend.ts';
import { comparisonOf } from '../../analysis/reproduce/double-spend.ts';
import { wilson } from '../../analysis/stats.ts';

// Issue 14, item 7: at q = 0.3, z = 50 our simulation is ~50× the paper's value. The evidence
// that this is Nakamoto's Poisson approximation, not a simulation error: both closed forms are
// the same sum over the attacker's block count m when the honest chain reaches z, weighted by
// the same catch-up probability — Nakamoto with a Poisson(zq/p) law for m, the exact race with
// the negative binomial NB(z, p) — and the simulated race agrees with the negative binomial.

const q = 0.3, p = 0.7, z = 50;
const catchUp = (m: number) => (m >= z ? 1 : (q / p) ** (z - m));

function expectation(pmf: (m: number) => number): number {
  let s = 0;
  for (let m = 0; m < 2000; m++) s += pmf(m) * catchUp(m);
  return s;
}
const poisson = (lambda: number) => (m: number) => Math.exp(-lambda + m * Math.log(lambda) - lgamma(m + 1));
const negBinomial = (m: number) => Math.exp(lgamma(m + z) - lgamma(m + 1) - lgamma(z) + z * Math.log(p) + m * Math.log(q));
function lgamma(x: number): number {
  // Lanczos (g = 7, n = 9): ample precision for these sums.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

describe('why ours is ~50× the paper at q = 0.3, z = 50', () => {
  it('the two closed forms differ only in the law of m: Poisson gives Nakamoto, negative binomial gives Rosenfeld', () => {
    expect(expectation(poisson((z * q) / p)) / nakamoto(q, z)).toBeCloseTo(1, 9);
    expect(expectation(negBinomial) / rosenfeld(q, z)).toBeCloseTo(1, 9);
    expect(rosenfeld(q, z) / nakamoto(q, z)).toBeGreaterThan(50);
    expect(rosenfeld(q, z) / nakamoto(q, z)).toBeLessThan(55);
    // Same mean, fatter tail: the negative binomial's variance zq/p² exceeds the Poisson's zq/p,
    // and the race is decided in the tail (the attacker needs m close to z = 50, mean 21.4).
    const moments = (pmf: (m: number) => number) => {
      let m1 = 0, m2 = 0;
      for (let m = 0; m < 2000; m++) (m1 += m * pmf(m)), (m2 += m * m * pmf(m));
      return { mean: m1, variance: m2 - m1 * m1 };
    };
    const nb = moments(negBinomial), po = moments(poisson((z * q) / p));
    expect(nb.mean).toBeCloseTo(po.mean, 6); // 21.43 blocks
    expect(nb.variance).toBeCloseTo((z * q) / (p * p), 6); // 30.6
    expect(po.variance).toBeCloseTo((z * q) / p, 6); // 21.4
    // The race is won in the tail (m near z = 50): P(m ≥ 45) is ×14 larger under the negative binomial.
    const tail = (pmf: (m: number) => number) => { let s = 0; for (let m = 45; m < 2000; m++) s += pmf(m); return s; };
    expect(tail(negBinomial) / tail(poisson((z * q) / p))).toBeGreaterThan(10);
    expect(gamblersRuin(q, 1, 1e9)).toBeCloseTo(q / p, 9);
  });

  it('the simulated race agrees with the exact race, not with Nakamoto (400,000 races at q = 0.3, z = 30)', () => {
    // z = 30 keeps the test fast while the two closed forms already differ ×9.
    const zz = 30;
    const r = raceMonteCarlo({ q, z: zz, trials: 400_000, seed: 'issue-14/gap' });
    const w = wilson(r.successes, r.trials);
    const exact = raceExact(q, zz);
    expect(exact).toBeGreaterThanOrEqual(w.low);
    expect(exact).toBeLessThanOrEqual(w.high);
    expect(nakamoto(q, zz)).toBeLessThan(w.low / 5);
  });

  it('"ours" in the paper comparison is the simulated value with its interval, the closed forms only named', () => {
    const row = { q, z, nakamoto: nakamoto(q, z), rosenfeld: rosenfeld(q, z), exact: raceExact(q, z), simulated: 3.2e-5, ciLow: 2.3e-5, ciHigh: 4.5e-5, trials: 1_000_000 };
    const c = comparisonOf(row, 0.0000006);
    expect(c.oursValue).toBe(3.2e-5);
    expect(c.ours).toMatch(/^3\.20e-5 \[2\.30e-5, 4\.50e-5\] \(race Monte-Carlo, 1,000,000 races\)$/);
    expect(c.difference).toMatch(/ours ÷ paper ×53\.3; paper outside our 95 % interval — the paper’s value is Nakamoto’s Poisson approximation/);
  });
});
