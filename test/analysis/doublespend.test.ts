import { describe, expect, it } from 'vitest';
import { gamblersRuin, nakamoto, raceExact, raceMonteCarlo, raceSeed, rosenfeld, rosenfeldClosedForm } from '../../analysis/doublespend.ts';
import { clopperPearson, wilson } from '../../analysis/stats.ts';
import { WHITEPAPER_TABLE } from '../../analysis/reproduce/double-spend.ts';

describe('Nakamoto (Bitcoin whitepaper §11)', () => {
  it('reproduces the published table to 7 decimals (q = 0.1 and q = 0.3)', () => {
    for (const [q, table] of Object.entries(WHITEPAPER_TABLE)) {
      for (const [z, p] of Object.entries(table)) expect(nakamoto(Number(q), Number(z)).toFixed(7)).toBe(p.toFixed(7));
    }
  });
  it('is 1 when the attacker has the majority', () => {
    expect(nakamoto(0.5, 10)).toBe(1);
    expect(nakamoto(0.6, 3)).toBe(1);
  });
});

describe('Rosenfeld 2012 (exact)', () => {
  it('matches hand-computed values', () => {
    // z = 1: 1 − (p − q) = 2q.
    expect(rosenfeld(0.1, 1)).toBeCloseTo(0.2, 14);
    expect(rosenfeld(0.3, 1)).toBeCloseTo(0.6, 14);
    // z = 2: 1 − [(p² − q²) + 2(p²q − q²p)].
    const q = 0.1, p = 0.9;
    expect(rosenfeld(q, 2)).toBeCloseTo(1 - (p * p - q * q) - 2 * (p * p * q - q * q * p), 14);
    // Rosenfeld's Table (q = 10 %, z = 6): 0.0005914.
    expect(rosenfeld(0.1, 6).toFixed(7)).toBe('0.0005914');
    expect(rosenfeld(0, 3)).toBe(0);
    expect(rosenfeld(0.5, 3)).toBe(1);
  });
  it('exceeds Nakamoto’s Poisson approximation for z ≥ 5 (Nakamoto underestimates the risk)', () => {
    for (const [q, zMax] of [[0.1, 10], [0.3, 50]]) for (let z = 5; z <= zMax; z++) expect(rosenfeld(q, z)).toBeGreaterThan(nakamoto(q, z));
  });
  it('the stable form equals the printed closed form', () => {
    for (const q of [0.05, 0.1, 0.25, 0.3, 0.45]) for (let z = 0; z <= 30; z++) expect(rosenfeld(q, z)).toBeCloseTo(rosenfeldClosedForm(q, z), 11);
    expect(rosenfeld(0.1, 50)).toBeGreaterThan(0); // the closed form cancels to 0 here
  });
});

describe('race rule exact value', () => {
  it('equals Rosenfeld when the give-up threshold is far away', () => {
    for (const q of [0.1, 0.25, 0.3]) for (const z of [0, 1, 2, 5, 10, 20]) expect(raceExact(q, z, { giveUp: 10_000 })).toBeCloseTo(rosenfeld(q, z), 12);
    for (const q of [0.1, 0.3]) for (const z of [1, 6, 10, 50]) expect(Math.abs(raceExact(q, z) / rosenfeld(q, z) - 1)).toBeLessThan(1e-9);
  });
  it('strict rule (no pre-mined block): hand-computed values', () => {
    const q = 0.1, p = 0.9;
    expect(raceExact(q, 0, { strict: true, giveUp: 1e6 })).toBeCloseTo(q / p, 12);
    // z = 1: m=0 → (q/p)², m=1 (prob pq) → q/p, m ≥ 2 (prob q²) → 1.
    expect(raceExact(q, 1, { strict: true, giveUp: 1e6 })).toBeCloseTo(p * (q / p) ** 2 + p * q * (q / p) + q * q, 12);
  });
  it('gambler’s ruin with give-up', () => {
    expect(gamblersRuin(0.5, 3, 10)).toBeCloseTo(0.7, 14);
    expect(gamblersRuin(0.25, 1, 2)).toBeCloseTo((1 / 3 - 1 / 9) / (1 - 1 / 9), 14);
    expect(gamblersRuin(0.3, 0, 5)).toBe(1);
    expect(gamblersRuin(0.3, 5, 5)).toBe(0);
  });
});

describe('race Monte-Carlo', () => {
  it('agrees with the exact value of its rule within the 99.9 % interval', () => {
    for (const [q, z] of [[0.1, 1], [0.1, 3], [0.3, 5], [0.3, 10], [0.45, 4]] as const) {
      const r = raceMonteCarlo({ q, z, trials: 400_000, seed: raceSeed(11, q, z, 0) });
      const exact = raceExact(q, z);
      const cp = clopperPearson(r.successes, r.trials, 0.999);
      expect(exact, `q=${q} z=${z}: ${r.successes}/${r.trials}`).toBeGreaterThanOrEqual(cp.low);
      expect(exact).toBeLessThanOrEqual(cp.high);
      const w = wilson(r.successes, r.trials, 0.999);
      expect(exact).toBeGreaterThanOrEqual(w.low);
      expect(exact).toBeLessThanOrEqual(w.high);
    }
  });
  it('strict variant agrees with its exact value', () => {
    const r = raceMonteCarlo({ q: 0.2, z: 2, trials: 400_000, seed: raceSeed(3, 0.2, 2, 0), strict: true });
    const cp = clopperPearson(r.successes, r.trials, 0.999);
    const exact = raceExact(0.2, 2, { strict: true });
    expect(exact).toBeGreaterThanOrEqual(cp.low);
    expect(exact).toBeLessThanOrEqual(cp.high);
  });
  it('is deterministic per seed and differs across seeds', () => {
    const a = raceMonteCarlo({ q: 0.3, z: 5, trials: 50_000, seed: raceSeed(1, 0.3, 5, 0) });
    const b = raceMonteCarlo({ q: 0.3, z: 5, trials: 50_000, seed: raceSeed(1, 0.3, 5, 0) });
    const c = raceMonteCarlo({ q: 0.3, z: 5, trials: 50_000, seed: raceSeed(1, 0.3, 5, 1) });
    expect(a).toEqual(b);
    expect(c.successes).not.toBe(a.successes);
  });
  it('z = 0 always succeeds; q = 0 never does (z ≥ 1)', () => {
    expect(raceMonteCarlo({ q: 0.3, z: 0, trials: 1000, seed: raceSeed(1, 0.3, 0, 0) }).successes).toBe(1000);
    expect(raceMonteCarlo({ q: 0, z: 2, trials: 1000, seed: raceSeed(1, 0, 2, 0) }).successes).toBe(0);
  });
});
