/**
 * Decoy selection (protocols/ringchain/decoys.ts): ring shape, determinism, uniform signer
 * position, the shortage policy, and each policy's distribution — uniform flat over known keys,
 * gamma matching Monero's picker computed in closed form from the Gamma(19.28, 1.61) CDF.
 */
import { gammaln } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import {
  GAMMA_RATE,
  GAMMA_SHAPE,
  NotEnoughDecoysError,
  sampleGamma,
  selectRing,
  type DecoyPolicyName,
  type KnownKey,
} from '../../protocols/ringchain/decoys.ts';
import { Rng } from '../../sim/rng.ts';

/** One key per block at heights 0 … blocks − 1 (hex = 'k' + height). */
function chain(blocks: number, perBlock = 1): KnownKey[] {
  const keys: KnownKey[] = [];
  for (let h = 0; h < blocks; h++) for (let j = 0; j < perBlock; j++) keys.push({ publicKeyHex: `k${h}.${j}`, height: h });
  return keys;
}

/** Gamma(shape, rate) CDF by Simpson's rule on the density (reference for the picker). */
function gammaCdf(x: number, shape = GAMMA_SHAPE, rate = GAMMA_RATE): number {
  if (x <= 0) return 0;
  const steps = 20_000;
  const h = x / steps;
  const logNorm = shape * Math.log(rate) - gammaln(shape);
  const density = (t: number) => (t <= 0 ? 0 : Math.exp(logNorm + (shape - 1) * Math.log(t) - rate * t));
  let sum = density(0) + density(x);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * density(i * h);
  return (sum * h) / 3;
}

const POLICIES: DecoyPolicyName[] = ['uniform', 'gamma'];

describe('selectRing: shape and determinism', () => {
  const known = chain(300, 2);
  const real: KnownKey = known[123];

  for (const policy of POLICIES) {
    it(`${policy}: ${11} distinct members, the signer at realIndex, decoys from known`, () => {
      const { members, realIndex } = selectRing(policy, known, real, 11, 299, Rng.stream(1, 'ring'));
      expect(members).toHaveLength(11);
      expect(members[realIndex]).toBe(real);
      expect(new Set(members.map((m) => m.publicKeyHex)).size).toBe(11);
      const knownHex = new Set(known.map((k) => k.publicKeyHex));
      for (const m of members) expect(knownHex.has(m.publicKeyHex)).toBe(true);
      expect(members.filter((m) => m.publicKeyHex === real.publicKeyHex)).toHaveLength(1);
    });

    it(`${policy}: same Rng state ⇒ same ring; another seed ⇒ another ring`, () => {
      const a = selectRing(policy, known, real, 11, 299, Rng.stream(7, 'ring'));
      const b = selectRing(policy, known, real, 11, 299, Rng.stream(7, 'ring'));
      const c = selectRing(policy, known, real, 11, 299, Rng.stream(8, 'ring'));
      expect(b).toEqual(a);
      expect(c.members.map((m) => m.publicKeyHex)).not.toEqual(a.members.map((m) => m.publicKeyHex));
    });

    it(`${policy}: the signer's position is uniform over the ring`, () => {
      const rng = Rng.stream(3, 'position');
      const n = 4;
      const trials = 4000;
      const counts = new Array(n).fill(0);
      for (let t = 0; t < trials; t++) counts[selectRing(policy, known, real, n, 299, rng).realIndex]++;
      // Each position: binomial(4000, 1/4), sd ≈ 27.4; 4.5 sd bounds.
      for (const c of counts) expect(Math.abs(c - trials / n)).toBeLessThan(4.5 * Math.sqrt((trials * (n - 1)) / (n * n)));
    });
  }

  it('ring size 1 is the signer alone (no decoys, realIndex 0)', () => {
    for (const policy of POLICIES) expect(selectRing(policy, known, real, 1, 299, Rng.stream(1, 'x'))).toEqual({ members: [real], realIndex: 0 });
  });

  it('knownAreDistinct (no hash set) gives the same rings when the keys are distinct', () => {
    for (const policy of POLICIES) {
      for (let seed = 0; seed < 20; seed++) {
        const a = selectRing(policy, known, real, 8, 299, Rng.stream(seed, 'd'));
        const b = selectRing(policy, known, real, 8, 299, Rng.stream(seed, 'd'), { knownAreDistinct: true });
        expect(b).toEqual(a);
      }
    }
  });

  it('duplicate known keys and the signer’s own key are never decoys', () => {
    const few: KnownKey[] = [real, { publicKeyHex: 'a', height: 1 }, { publicKeyHex: 'a', height: 1 }, { publicKeyHex: 'b', height: 2 }];
    for (const policy of POLICIES) {
      const { members } = selectRing(policy, few, real, 3, 299, Rng.stream(1, 'dup'));
      expect(members.map((m) => m.publicKeyHex).sort()).toEqual(['a', 'b', real.publicKeyHex].sort());
    }
  });
});

describe('selectRing: too few decoys', () => {
  const known = chain(5); // 5 keys; the signer is one of them ⇒ 4 decoys available
  const real = known[2];

  it('throws NotEnoughDecoysError (the default), naming what was asked and what exists', () => {
    for (const policy of POLICIES) {
      let error: unknown;
      try {
        selectRing(policy, known, real, 6, 4, Rng.stream(1, 's'));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NotEnoughDecoysError);
      expect(error).toMatchObject({ ringSize: 6, available: 4 });
      expect(String((error as Error).message)).toMatch(/needs 5 decoys, only 4/);
    }
  });

  it('exactly enough decoys is not a shortage', () => {
    for (const policy of POLICIES) expect(selectRing(policy, known, real, 5, 4, Rng.stream(1, 's')).members).toHaveLength(5);
  });

  it("with onShortage 'shrink' the ring holds the signer and every available decoy", () => {
    for (const policy of POLICIES) {
      const { members, realIndex } = selectRing(policy, known, real, 11, 4, Rng.stream(1, 's'), { onShortage: 'shrink' });
      expect(members).toHaveLength(5);
      expect(members[realIndex]).toBe(real);
      expect(new Set(members.map((m) => m.publicKeyHex))).toEqual(new Set(known.map((k) => k.publicKeyHex)));
    }
  });

  it('rejects a bad ring size, a key above the tip and an unknown policy', () => {
    expect(() => selectRing('uniform', known, real, 0, 4, Rng.stream(1, 's'))).toThrow(/ring size must be an integer ≥ 1/);
    expect(() => selectRing('uniform', known, real, 2.5, 4, Rng.stream(1, 's'))).toThrow(/ring size/);
    expect(() => selectRing('gamma', known, real, 3, 3, Rng.stream(1, 's'))).toThrow(/height 4, outside \[0, tip 3\]/);
    expect(() => selectRing('median' as DecoyPolicyName, known, real, 3, 4, Rng.stream(1, 's'))).toThrow(/unknown decoy policy 'median'/);
  });
});

describe('selectRing: the policies’ distributions', () => {
  it('uniform: every candidate equally likely (flat over heights, recency-blind)', () => {
    const known = chain(20);
    const real = known[19];
    const rng = Rng.stream(11, 'uniform');
    const counts = new Map<string, number>();
    const trials = 3000;
    for (let t = 0; t < trials; t++) {
      for (const m of selectRing('uniform', known, real, 4, 19, rng).members) if (m !== real) counts.set(m.publicKeyHex, (counts.get(m.publicKeyHex) ?? 0) + 1);
    }
    expect(counts.size).toBe(19);
    // Each of 19 candidates is in the 3 decoy slots with probability 3/19 per ring.
    const p = 3 / 19;
    const sd = Math.sqrt(trials * p * (1 - p));
    for (const c of counts.values()) expect(Math.abs(c - trials * p)).toBeLessThan(4.5 * sd);
  });

  it('gamma: decoy ages follow Monero’s picker (exp Gamma(19.28, 1.61) s − unlock, 120 s blocks), conditioned on the chain', () => {
    // One candidate per block at heights 0 … 4999 (the signer is an extra key at height 0), so the
    // average output time is exactly 120 s and a decoy at index i is the key at height tip − i.
    const blocks = 5000;
    const tip = blocks - 1;
    const known = chain(blocks);
    const real: KnownKey = { publicKeyHex: 'signer', height: 0 };
    const interval = 120;
    const unlock = 10 * interval;
    const window = 15 * interval;
    // P(shifted age < s seconds), before conditioning on the chain's span.
    const pYoung = gammaCdf(Math.log(unlock));
    const ageCdf = (s: number) => pYoung * Math.min(s / window, 1) + Math.max(0, gammaCdf(Math.log(s + unlock)) - pYoung);
    const inChain = ageCdf(blocks * interval);
    const rng = Rng.stream(5, 'gamma');
    const ages: number[] = [];
    for (let t = 0; t < 300; t++) for (const m of selectRing('gamma', known, real, 16, tip, rng).members) if (m !== real) ages.push(tip - m.height);
    for (const blockAge of [5, 20, 100, 500, 2000]) {
      const expected = ageCdf((blockAge + 1) * interval) / inChain;
      const observed = ages.filter((a) => a <= blockAge).length / ages.length;
      const sd = Math.sqrt((expected * (1 - expected)) / ages.length);
      expect(Math.abs(observed - expected), `P(age ≤ ${blockAge} blocks): ${observed} vs ${expected}`).toBeLessThan(4.5 * sd + 0.005);
    }
  });

  it('gamma picks recent keys far more often than uniform does', () => {
    const known = chain(2000);
    const real = known[0];
    const meanAge = (policy: DecoyPolicyName) => {
      const rng = Rng.stream(9, policy);
      let sum = 0;
      let n = 0;
      for (let t = 0; t < 200; t++) for (const m of selectRing(policy, known, real, 8, 1999, rng).members) if (m !== real) (sum += 1999 - m.height), n++;
      return sum / n;
    };
    const uniform = meanAge('uniform');
    const gamma = meanAge('gamma');
    expect(uniform).toBeGreaterThan(900); // ≈ 1000 blocks: the chain's midpoint
    expect(gamma).toBeLessThan(0.8 * uniform);
  });

  it('gamma: the order of known keys with distinct heights does not matter (sorted by height inside)', () => {
    const known = chain(500);
    const real = known[10];
    const shuffled = Rng.stream(1, 'order').shuffle([...known]);
    const a = selectRing('gamma', known, real, 11, 499, Rng.stream(6, 'g'));
    const b = selectRing('gamma', shuffled, real, 11, 499, Rng.stream(6, 'g'));
    expect(b).toEqual(a);
  });

  it('gamma: keys of one block are picked uniformly among themselves', () => {
    const known = chain(40, 3);
    const real: KnownKey = { publicKeyHex: 'signer', height: 0 };
    const rng = Rng.stream(2, 'block');
    const byIndexInBlock = [0, 0, 0];
    for (let t = 0; t < 1500; t++) {
      for (const m of selectRing('gamma', known, real, 2, 39, rng, { blockIntervalSeconds: 30_000 }).members) {
        if (m !== real) byIndexInBlock[Number(m.publicKeyHex.split('.')[1])]++;
      }
    }
    for (const c of byIndexInBlock) expect(Math.abs(c - 500)).toBeLessThan(4.5 * Math.sqrt(1500 * (1 / 3) * (2 / 3)));
  });

  it('gamma on a chain far too short for its block interval falls back to uniform instead of looping', () => {
    const known = chain(4);
    const { members } = selectRing('gamma', known, known[0], 4, 3, Rng.stream(1, 'short'), { blockIntervalSeconds: 1e-9 });
    expect(new Set(members.map((m) => m.publicKeyHex))).toEqual(new Set(known.map((k) => k.publicKeyHex)));
  });
});

describe('sampleGamma (Marsaglia–Tsang)', () => {
  it('has the mean shape/rate and variance shape/rate² of Gamma(19.28, 1.61)', () => {
    const rng = Rng.stream(4, 'gamma-sampler');
    const n = 40_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleGamma(GAMMA_SHAPE, GAMMA_RATE, rng);
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    expect(Math.abs(mean - GAMMA_SHAPE / GAMMA_RATE)).toBeLessThan(0.05); // sd of the mean ≈ 0.0136
    expect(Math.abs(variance / (GAMMA_SHAPE / GAMMA_RATE ** 2) - 1)).toBeLessThan(0.04);
  });

  it('rejects a shape below 1 and a non-positive rate', () => {
    expect(() => sampleGamma(0.5, 1, Rng.stream(1, 'g'))).toThrow(RangeError);
    expect(() => sampleGamma(2, 0, Rng.stream(1, 'g'))).toThrow(RangeError);
  });
});
