/**
 * Seed 003's consistency probability: exact hypergeometric values against hand computation,
 * edge cases, large N/k against an independent log-space sum, Monte-Carlo agreement under uniform
 * elections (Wilson interval), and the exact cartel threshold against real elections.
 */
import { describe, expect, it } from 'vitest';
import { wilson } from '../../analysis/stats.ts';
import {
  bigRatio, binomialBig, cartelSeats, cartelThreshold, consistencyProbability, electionMonteCarlo, faultBound,
  hypergeometricCdf, hypergeometricPmf, inconsistencyProbability, uniformElectionMonteCarlo,
} from '../../protocols/dpos/analysis.ts';
import { runElection } from '../../protocols/dpos/election.ts';
import { buildPopulation, DEFAULT_TIERS } from '../../protocols/dpos/institutions.ts';

describe('exact binomials and ratios', () => {
  it('binomialBig', () => {
    expect(binomialBig(10, 4)).toBe(210n);
    expect(binomialBig(7, 3)).toBe(35n);
    expect(binomialBig(5, 0)).toBe(1n);
    expect(binomialBig(5, 6)).toBe(0n);
    expect(binomialBig(5, -1)).toBe(0n);
    expect(binomialBig(100, 50)).toBe(100891344545564193334812497256n);
  });
  it('bigRatio rounds once, without overflow or early underflow', () => {
    expect(bigRatio(2n, 3n)).toBe(2 / 3);
    expect(bigRatio(1n, 10n ** 300n)).toBeCloseTo(1e-300, 310);
    expect(bigRatio(10n ** 400n, 10n ** 399n)).toBe(10);
    expect(bigRatio(0n, 7n)).toBe(0);
  });
});

describe('hypergeometric consistency probability (uniform election)', () => {
  it('N=10, B=3, k=4 (f=1) by hand: P(X≤1) = (C(7,4) + 3·C(7,3)) / C(10,4) = (35 + 105)/210 = 2/3', () => {
    expect(faultBound(4)).toBe(1);
    expect(hypergeometricPmf(10, 3, 4, 0)).toBeCloseTo(35 / 210, 15);
    expect(hypergeometricPmf(10, 3, 4, 1)).toBeCloseTo(105 / 210, 15);
    expect(hypergeometricPmf(10, 3, 4, 2)).toBeCloseTo(63 / 210, 15); // C(3,2)·C(7,2) = 3·21
    expect(hypergeometricPmf(10, 3, 4, 3)).toBeCloseTo(7 / 210, 15); // C(3,3)·C(7,1)
    expect(consistencyProbability(10, 3, 4)).toBeCloseTo(2 / 3, 15);
    expect(inconsistencyProbability(10, 3, 4)).toBeCloseTo(1 / 3, 15);
  });

  it('N=100, B=10, k=4: (C(90,4) + 10·C(90,3)) / C(100,4) = (2555190 + 1174800)/3921225', () => {
    expect(consistencyProbability(100, 10, 4)).toBeCloseTo(3729990 / 3921225, 14);
  });

  it('N=20, B=6, k=7 (f=2): Σ_{x≤2} C(6,x)·C(14,7−x) / C(20,7) = (3432 + 6·3003 + 15·2002)/77520', () => {
    expect(consistencyProbability(20, 6, 7)).toBeCloseTo((3432 + 6 * 3003 + 15 * 2002) / 77520, 14);
  });

  it('edge cases', () => {
    expect(consistencyProbability(50, 0, 7)).toBe(1); // nobody Byzantine
    expect(consistencyProbability(7, 7, 7)).toBe(0); // everybody Byzantine
    expect(consistencyProbability(4, 1, 4)).toBe(1); // X = 1 = f always
    expect(consistencyProbability(4, 2, 4)).toBe(0); // X = 2 > f always
    expect(consistencyProbability(10, 3, 1)).toBeCloseTo(7 / 10, 15); // k = 1: f = 0
    expect(consistencyProbability(10, 3, 4, 3)).toBe(1); // f ≥ B
    expect(() => consistencyProbability(10, 11, 4)).toThrow(RangeError);
    expect(() => consistencyProbability(10, 3, 11)).toThrow(RangeError);
    expect(() => consistencyProbability(10.5, 3, 4)).toThrow(RangeError);
  });

  it('N=1000, k=101: agrees with an independent log-space sum; pmf sums to 1; tails are complementary', () => {
    const logFact: number[] = [0];
    for (let i = 1; i <= 1000; i++) logFact[i] = logFact[i - 1] + Math.log(i);
    const lc = (n: number, r: number) => (r < 0 || r > n ? -Infinity : logFact[n] - logFact[r] - logFact[n - r]);
    for (const B of [100, 200, 250, 333]) {
      const f = faultBound(101); // 33
      let p = 0;
      for (let x = 0; x <= f; x++) p += Math.exp(lc(B, x) + lc(1000 - B, 101 - x) - lc(1000, 101));
      expect(consistencyProbability(1000, B, 101)).toBeCloseTo(p, 10);
      expect(consistencyProbability(1000, B, 101) + inconsistencyProbability(1000, B, 101)).toBeCloseTo(1, 14);
    }
    let s = 0;
    for (let x = 0; x <= 101; x++) s += hypergeometricPmf(1000, 333, 101, x);
    expect(s).toBeCloseTo(1, 12);
    // A tiny failure probability keeps its digits (it would be lost as 1 − P).
    const tiny = inconsistencyProbability(1000, 100, 101);
    expect(tiny).toBeGreaterThan(0);
    expect(tiny).toBeLessThan(1e-6);
    expect(hypergeometricCdf(1000, 100, 101, 101)).toBe(1);
  });
});

describe('Monte-Carlo of elections', () => {
  it('uniform election through the real election code agrees with the hypergeometric value (99.9 % Wilson)', () => {
    for (const [N, B, k] of [[30, 8, 7], [40, 12, 10], [20, 6, 4]]) {
      const r = uniformElectionMonteCarlo(N, B, k, 1500, `mc-${N}-${B}-${k}`);
      const ci = wilson(r.successes, r.trials, 0.999);
      const exact = consistencyProbability(N, B, k);
      expect(exact).toBeGreaterThanOrEqual(ci.low);
      expect(exact).toBeLessThanOrEqual(ci.high);
      expect(r.seatHistogram.reduce((a, b) => a + b, 0)).toBe(1500);
    }
  });

  it('tiered population with uniformly sampled Byzantine candidates is still hypergeometric (exchangeability)', () => {
    // The trust strategy favours tiers, but Byzantine labels are independent of votes.
    const N = buildPopulation({ institutions: 100, tiers: DEFAULT_TIERS }, 'x').candidates.length; // fixed by tiers: same each trial
    const B = 12;
    const r = electionMonteCarlo({
      population: { institutions: 100, tiers: DEFAULT_TIERS, byzantineCandidates: B },
      election: { committee: 7, votesPerInstitution: 7 },
      trials: 800,
      seed: 'tiers',
    });
    const ci = wilson(r.successes, r.trials, 0.999);
    const exact = consistencyProbability(N, B, 7);
    expect(exact).toBeGreaterThanOrEqual(ci.low);
    expect(exact).toBeLessThanOrEqual(ci.high);
  });

  it('is deterministic and shardable by firstTrial', () => {
    const base = { population: { institutions: 60, tiers: DEFAULT_TIERS, cartel: { institutions: 6, stakeShare: 0.2, candidates: 2 } }, election: { committee: 4, votesPerInstitution: 4 }, seed: 's' };
    const all = electionMonteCarlo({ ...base, trials: 40 });
    expect(electionMonteCarlo({ ...base, trials: 40 })).toEqual(all);
    const a = electionMonteCarlo({ ...base, trials: 25 });
    const b = electionMonteCarlo({ ...base, trials: 15, firstTrial: 25 });
    expect(a.successes + b.successes).toBe(all.successes);
    expect(a.seatHistogram.map((x, i) => x + b.seatHistogram[i])).toEqual(all.seatHistogram);
  });

  it('cartel: consistency falls from 1 to 0 as the cartel grows past its critical power share', () => {
    const run = (share: number) =>
      electionMonteCarlo({
        population: { institutions: 120, tiers: DEFAULT_TIERS, cartel: { institutions: 15, stakeShare: share, basis: 'power', candidates: 3, tiers: ['clinic'] } },
        election: { committee: 7, votesPerInstitution: 7, trustNoise: 3 },
        trials: 30,
        seed: `cartel-${share}`,
      });
    expect(run(0.05).successes).toBe(30);
    expect(run(0.6).successes).toBe(0);
  });
});

describe('exact cartel threshold', () => {
  it('cartelSeats: the s-th cartel candidate needs to beat the (k − s + 1)-th honest one, ties lose', () => {
    // k = 4, honest 100, 90, 80, 70, 60
    expect(cartelSeats([100, 90, 80, 70, 60], [75, 75], 4)).toBe(1); // 75 > 70 (4th); 2nd needs > 80
    expect(cartelSeats([100, 90, 80, 70, 60], [85, 81], 4)).toBe(2);
    expect(cartelSeats([100, 90, 80, 70, 60], [80, 80], 4)).toBe(1); // 80 vs 80: tie lost for seat 2
    expect(cartelSeats([100, 90, 80, 70, 60], [70], 4)).toBe(0); // tie with the 4th
    expect(cartelSeats([5], [1, 1, 1], 4)).toBe(3); // not enough honest rivals
  });

  it('predicts the seats of real elections and the critical power share', () => {
    const k = 21, f = faultBound(k);
    const opts = { committee: k, votesPerInstitution: k, trustNoise: 3 };
    for (const seed of [1, 2, 3]) {
      for (const share of [0.02, 0.1, 0.2, 0.3, 0.4, 0.5]) {
        for (const tiers of [['clinic'], ['tertiary', 'secondary']] as const) {
          const pop = buildPopulation({ institutions: 200, tiers: DEFAULT_TIERS, cartel: { institutions: 20, stakeShare: share, basis: 'power', candidates: f + 1, tiers } }, seed);
          const th = cartelThreshold(pop, 0, seed, opts);
          const real = runElection(pop, 0, seed, opts);
          expect(th.predictedSeats).toBe(real.byzantineSeats);
          expect(th.consistent).toBe(real.consistent);
          // Above the critical power the cartel holds f + 1 seats; below, at most f.
          expect(th.cartelPower >= th.criticalPower).toBe(!th.consistent);
        }
      }
    }
  });
});
