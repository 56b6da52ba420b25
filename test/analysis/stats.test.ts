import { describe, expect, it } from 'vitest';
import { batchMeans, batchMeansByTime, clopperPearson, incompleteBeta, meanInterval, percentile, summarize, tQuantile, wilson } from '../../analysis/stats.ts';
import { Rng } from '../../sim/rng.ts';

describe('binomial intervals vs textbook values', () => {
  // Wilson: Newcombe (1998) Table I / Brown, Cai & DasGupta (2001); Clopper–Pearson: exact beta quantiles.
  it('Wilson 95 %', () => {
    const a = wilson(0, 10);
    expect(a.low).toBe(0);
    expect(a.high).toBeCloseTo(0.2775, 4);
    const b = wilson(1, 10);
    expect(b.low).toBeCloseTo(0.0179, 4);
    expect(b.high).toBeCloseTo(0.4042, 4);
    const c = wilson(5, 10);
    expect(c.low).toBeCloseTo(0.2366, 4);
    expect(c.high).toBeCloseTo(0.7634, 4);
    const d = wilson(81, 263); // Newcombe's example 81/263: 0.2553–0.3662
    expect(d.low).toBeCloseTo(0.2553, 4);
    expect(d.high).toBeCloseTo(0.3662, 4);
    expect(d.n).toBe(263);
  });
  it('Clopper–Pearson 95 %', () => {
    const a = clopperPearson(0, 10);
    expect(a.low).toBe(0);
    expect(a.high).toBeCloseTo(0.3085, 4); // 1 − 0.025^(1/10)
    expect(a.high).toBeCloseTo(1 - Math.pow(0.025, 1 / 10), 10);
    const b = clopperPearson(1, 10);
    expect(b.low).toBeCloseTo(0.00253, 5);
    expect(b.high).toBeCloseTo(0.4450, 4);
    const c = clopperPearson(5, 10);
    expect(c.low).toBeCloseTo(0.1871, 4);
    expect(c.high).toBeCloseTo(0.8129, 4);
    const d = clopperPearson(81, 263); // Newcombe: 0.2527–0.3676
    expect(d.low).toBeCloseTo(0.2527, 4);
    expect(d.high).toBeCloseTo(0.3676, 4);
    expect(clopperPearson(10, 10).high).toBe(1);
  });
  it('rejects impossible counts', () => {
    expect(() => wilson(11, 10)).toThrow(RangeError);
    expect(() => clopperPearson(1, 0)).toThrow(RangeError);
  });
});

describe('distributions', () => {
  it('Student t quantiles', () => {
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228139, 5);
    expect(tQuantile(0.975, 19)).toBeCloseTo(2.093024, 5);
    expect(tQuantile(0.025, 10)).toBeCloseTo(-2.228139, 5);
  });
  it('incomplete beta', () => {
    expect(incompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 12);
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.2, 2, 3)).toBeCloseTo(0.1808, 4);
  });
});

describe('summaries', () => {
  it('mean, sd, percentiles, n', () => {
    const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s).toMatchObject({ n: 10, mean: 5.5, min: 1, max: 10, p50: 5.5 });
    expect(s.sd).toBeCloseTo(3.02765, 5);
    expect(s.p90).toBeCloseTo(9.1, 10);
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
    expect(() => summarize([])).toThrow();
  });
  it('t-interval of a mean', () => {
    const iv = meanInterval([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(iv.estimate).toBe(5);
    expect(iv.n).toBe(8);
    expect(iv.high - iv.estimate).toBeCloseTo((2.364624 * 2.13809) / Math.sqrt(8), 4);
  });
  it('batch means covers the mean of an autocorrelated series and reports n = batches', () => {
    const rng = new Rng('batch-means');
    const xs: number[] = [];
    let x = 0;
    for (let i = 0; i < 20_000; i++) {
      x = 0.9 * x + rng.normal(); // AR(1), mean 0
      xs.push(10 + x);
    }
    const iv = batchMeans(xs, { batches: 20, warmup: 100 });
    expect(iv.n).toBe(20);
    expect(iv.batchSize).toBe(995);
    expect(iv.observations).toBe(19_900);
    expect(iv.low).toBeLessThan(10);
    expect(iv.high).toBeGreaterThan(10);
    // Wider than the naive iid interval, which ignores the correlation.
    const naive = meanInterval(xs.slice(100));
    expect(iv.high - iv.low).toBeGreaterThan(2 * (naive.high - naive.low));
    expect(() => batchMeans([1, 2, 3], { batches: 20 })).toThrow(RangeError);
  });
});

describe('batch means, hand-computed', () => {
  it('batchMeans: 1…8 in 4 batches → means 1.5, 3.5, 5.5, 7.5', () => {
    const iv = batchMeans([1, 2, 3, 4, 5, 6, 7, 8, 100], { batches: 4 });
    // The 9th value does not fill a batch and is dropped. Batch means have sd √(20/3) = 2.581989;
    // t(0.975, 3) = 3.182446; half-width 3.182446 · 2.581989 / √4 = 4.108521.
    expect(iv.estimate).toBe(4.5);
    expect(iv.observations).toBe(8);
    expect(iv.high - iv.estimate).toBeCloseTo(4.108521, 5);
    expect(iv.low).toBeCloseTo(0.391479, 5);
    const warm = batchMeans([50, 1, 2, 3, 4], { batches: 2, warmup: 1 });
    expect(warm.estimate).toBe(2.5); // batches (1, 2) and (3, 4): means 1.5 and 3.5
    // sd of (1.5, 3.5) = √2; t(0.975, 1) = 12.706205; half-width 12.706205 · √2 / √2.
    expect(warm.high - warm.estimate).toBeCloseTo(12.706205, 5);
  });

  it('batchMeansByTime: success rate and throughput per time window', () => {
    // Times 0…11 s (warm-up before 2 s), success flags; 2 windows of 5 s over [2, 12).
    const times = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const ok = [0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1];
    const rate = batchMeansByTime(times, ok, { batches: 2, start: 2, end: 12 });
    // [2, 7): 1,1,0,1,1 → 0.8; [7, 12): 1,1,0,1,1 → 0.8.
    expect(rate.batchValues).toEqual([0.8, 0.8]);
    expect(rate.estimate).toBeCloseTo(0.8, 12);
    expect(rate.high - rate.low).toBe(0);
    expect(rate.observations).toBe(10);
    const thr = batchMeansByTime(times, ok, { batches: 2, start: 2, end: 12, statistic: 'rate' });
    expect(thr.batchValues).toEqual([4 / 5, 4 / 5]);
    const uneven = batchMeansByTime([0, 1, 2, 3], [1, 0, 0, 0], { batches: 2, start: 0, end: 4 });
    // Windows [0, 2): 1, 0 → 0.5 and [2, 4): 0, 0 → 0; sd √0.125; half-width 12.706205 · √0.125 / √2 = 3.176551.
    expect(uneven.estimate).toBe(0.25);
    expect(uneven.high - uneven.estimate).toBeCloseTo(3.176551, 5);
    expect(() => batchMeansByTime([0, 1], [1, 1], { batches: 4, start: 0, end: 4 })).toThrow('batch 2 ([2, 3)) has no observations; use fewer batches');
  });
});
