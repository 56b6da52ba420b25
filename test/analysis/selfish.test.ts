import { describe, expect, it } from 'vitest';
import { selfishRevenue } from '../../analysis/reproduce/selfish-mining.ts';

// Eyal & Sirer 2014, Eq. 8, against values computed by hand from the formula and the paper's
// thresholds: with γ = 0 selfish mining pays above α = 1/3; with γ = 1/2 above α = 1/4.
describe('selfish-mining closed form (Eyal & Sirer Eq. 8)', () => {
  it('matches hand-computed values', () => {
    expect(selfishRevenue(1 / 3, 0)).toBeCloseTo(1 / 3, 12); // 13/81 ÷ 13/27
    expect(selfishRevenue(0.4, 0.5)).toBeCloseTo(0.1808 / 0.344, 12);
    expect(selfishRevenue(0, 0.5)).toBe(0);
  });
  it('has the paper\'s profitability thresholds', () => {
    expect(selfishRevenue(0.32, 0)).toBeLessThan(0.32);
    expect(selfishRevenue(0.34, 0)).toBeGreaterThan(0.34);
    expect(selfishRevenue(0.25, 0.5)).toBeCloseTo(0.25, 12);
    expect(selfishRevenue(0.24, 0.5)).toBeLessThan(0.24);
    expect(selfishRevenue(0.26, 0.5)).toBeGreaterThan(0.26);
  });
});
