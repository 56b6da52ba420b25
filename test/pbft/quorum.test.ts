import { describe, expect, it } from 'vitest';
import { runPbft } from './helpers.ts';

// Regression: quorums of 2f / 2f + 1 are only safe when k = 3f + 1. At k = 21 (f = 6) two
// quorums of 13 share just 5 replicas, so a cartel of f = 6 split the honest replicas and broke
// agreement at sequence 1 on every seed. With Q = ⌈(k + f + 1)/2⌉ = 14 it must hold.
describe('quorums for committees that are not 3f + 1', () => {
  for (const [k, cartel] of [[21, 6], [6, 1], [9, 2]] as const) {
    it(`k = ${k}: a cartel of f = ${cartel} cannot break agreement, and the committee stays live`, () => {
      for (const seed of [1, 2]) {
        const r = runPbft({ committee: k, adversaries: [{ kind: 'cartel', count: cartel }], checkers: { liveness: { bound: '3s' } } }, { duration: '3s' }, seed);
        expect(r.result.violation, r.result.violation?.message).toBeUndefined();
        expect((r.protocol as { committedBlocks: number }).committedBlocks).toBeGreaterThan(50);
      }
    });
  }

  it('k = 21: one colluder more than f does break it (the checker sees it)', () => {
    const r = runPbft({ committee: 21, adversaries: [{ kind: 'cartel', count: 8 }], checkers: { liveness: { enabled: false } } }, { duration: '3s' }, 1);
    expect(r.result.violation?.invariant).toBe('agreement');
  });
});
