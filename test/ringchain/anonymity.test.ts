/**
 * The traceability heuristics (protocols/ringchain/anonymity.ts) on hand-built histories whose
 * answer is known, and their soundness on random histories built with selectRing: certainty is
 * never wrong, the sound candidates always contain the signer.
 */
import { describe, expect, it } from 'vitest';
import { chainReaction, HEURISTICS, observe, scoreAll, scoreHeuristic, type RingTx } from '../../protocols/ringchain/anonymity.ts';
import { selectRing, type KnownKey } from '../../protocols/ringchain/decoys.ts';
import { Rng } from '../../sim/rng.ts';

const key = (name: string, height: number): KnownKey => ({ publicKeyHex: name, height });
const tx = (members: KnownKey[], signer: string, height: number, keyImage = `I(${signer})`): RingTx => ({ members, keyImage, height, realSigner: signer });

const A = key('A', 1);
const B = key('B', 2);
const C = key('C', 3);
const D = key('D', 4);
const E = key('E', 5);
const F = key('F', 6);

describe('chain reaction (Kumar et al. 2017)', () => {
  // A zero-decoy spend of A starts a cascade: each later ring's other member is already spent.
  const cascade: RingTx[] = [tx([A], 'A', 10), tx([A, B], 'B', 11), tx([C, B], 'C', 12), tx([C, D, B], 'D', 13), tx([E, D, A, C], 'E', 14)];

  it('fully de-anonymises a history a zero-decoy ring unravels', () => {
    const obs = observe('chain-reaction', cascade);
    expect(obs.map((o) => o.certain)).toEqual([true, true, true, true, true]);
    expect(obs.map((o) => o.guessAmong)).toEqual([['A'], ['B'], ['C'], ['D'], ['E']]);
    const s = scoreHeuristic('chain-reaction', cascade, Rng.stream(1, 'g'));
    expect(s).toMatchObject({ trials: 5, successes: 5, guessRate: 1, expectedRate: 1, deanonymizedCount: 5, deanonymized: 1 });
  });

  it('scoring a subset keeps the whole history as side information', () => {
    const s = scoreHeuristic('chain-reaction', cascade, Rng.stream(1, 'g'), { scored: (t) => t.members.length === 2 });
    expect(s).toMatchObject({ trials: 2, successes: 2, deanonymizedCount: 2 });
  });

  it('the same history without side information: only the zero-decoy ring is certain', () => {
    const s = scoreHeuristic('none', cascade, Rng.stream(1, 'g'));
    expect(s.deanonymizedCount).toBe(1);
    expect(s.expectedRate).toBeCloseTo((1 + 1 / 2 + 1 / 2 + 1 / 3 + 1 / 4) / 5, 12);
  });

  it('order of the transactions does not matter (a fixed point, not a pass)', () => {
    const reversed = [...cascade].reverse();
    expect(observe('chain-reaction', reversed).every((o) => o.certain)).toBe(true);
  });

  it('stops where nothing is known: two rings over the same two keys stay ambiguous', () => {
    const h = [tx([A, B], 'A', 10), tx([A, B], 'B', 11)];
    const obs = observe('chain-reaction', h);
    expect(obs.map((o) => o.guessAmong)).toEqual([['A', 'B'], ['A', 'B']]);
    expect(obs.some((o) => o.certain)).toBe(false);
  });

  it('rings sharing a key image (one key signing twice) are intersected', () => {
    // A signs twice with the same key image; only A is in both rings.
    const h = [tx([A, B, C], 'A', 10, 'IA'), tx([D, A, E], 'A', 11, 'IA'), tx([B, F], 'F', 12)];
    const left = chainReaction(h, new Set());
    expect([...left.get('IA')!]).toEqual(['A']);
    expect(observe('chain-reaction', h).map((o) => o.certain)).toEqual([true, true, false]);
  });

  it('an inconsistent history (one key under two key images) is reported, not mis-scored', () => {
    expect(() => chainReaction([tx([A], 'A', 1, 'I1'), tx([A], 'A', 2, 'I2')], new Set())).toThrow(/no candidate left — inconsistent history/);
  });
});

describe('guess-newest (Möser et al. 2018 §5)', () => {
  it('names the member that appeared last; right when the real input is newest, wrong when it is not', () => {
    const h = [tx([A, B, E], 'E', 20), tx([A, D, C], 'A', 21)];
    expect(observe('guess-newest', h).map((o) => o.guessAmong)).toEqual([['E'], ['D']]);
    expect(scoreHeuristic('guess-newest', h, Rng.stream(1, 'g'))).toMatchObject({ trials: 2, successes: 1, expectedRate: 0.5, deanonymizedCount: 0 });
  });

  it('guesses uniformly among members of the newest height', () => {
    const B2 = key('B2', 2);
    expect(observe('guess-newest', [tx([A, B, B2], 'B', 5)])[0].guessAmong).toEqual(['B', 'B2']);
  });
});

describe('colluding ring members (Kumar et al. §3.2)', () => {
  it('colluders’ keys drop out of rings they did not sign, and the reaction continues', () => {
    // C and D collude. Ring 1 = {A, C}: C did not sign it ⇒ A. Ring 2 = {A, B, D}: A is spent
    // (ring 1), D colludes ⇒ B. Ring 3 is D's own: not scored.
    const h = [tx([A, C], 'A', 10), tx([A, B, D], 'B', 11), tx([D, E], 'D', 12)];
    const colluding = new Set(['C', 'D']);
    const obs = observe('collusion', h, { colluding });
    expect(obs.map((o) => [o.tx, o.guessAmong, o.certain])).toEqual([
      [0, ['A'], true],
      [1, ['B'], true],
    ]);
    expect(scoreHeuristic('collusion', h, Rng.stream(1, 'g'), { colluding })).toMatchObject({ trials: 2, successes: 2, deanonymized: 1 });
    // Without colluders, nothing is certain.
    expect(observe('chain-reaction', h).some((o) => o.certain)).toBe(false);
  });

  it('a colluder that never signs is still excluded everywhere', () => {
    const obs = observe('collusion', [tx([A, B, C], 'A', 5), tx([B, C, D], 'B', 6)], { colluding: new Set(['C']) });
    expect(obs.map((o) => o.guessAmong)).toEqual([['A', 'B'], ['B', 'D']]);
  });

  it('combined: after elimination, the newest remaining candidate', () => {
    const obs = observe('combined', [tx([A, B, C, D], 'B', 5)], { colluding: new Set(['C', 'D']) });
    expect(obs[0].guessAmong).toEqual(['B']);
    expect(obs[0].certain).toBe(false); // A and B both remain: a guess, not a certainty
  });
});

/** A random history: one-time keys appearing 2 per block, each spent once, a share of zero-decoy rings. */
function randomHistory(seed: number, ringSize: number, zeroDecoyShare: number, policy: 'uniform' | 'gamma'): RingTx[] {
  const rng = Rng.stream(seed, 'history');
  const known: KnownKey[] = [];
  const unspent: KnownKey[] = [];
  const txs: RingTx[] = [];
  for (let h = 0; h < 120; h++) {
    if (h >= 10 && unspent.length > 0) {
      for (let s = 0; s < 2; s++) {
        const real = unspent.splice(rng.int(unspent.length), 1)[0];
        const n = rng.chance(zeroDecoyShare) ? 1 : ringSize;
        const { members } = selectRing(policy, known, real, n, h - 1, rng, { onShortage: 'shrink', blockIntervalSeconds: 20_000 });
        txs.push({ members, keyImage: `I(${real.publicKeyHex})`, height: h, realSigner: real.publicKeyHex });
      }
    }
    for (let j = 0; j < 2; j++) {
      const k = { publicKeyHex: `k${h}.${j}`, height: h };
      known.push(k);
      unspent.push(k);
    }
  }
  return txs;
}

describe('soundness on random histories built with selectRing', () => {
  for (const policy of ['uniform', 'gamma'] as const) {
    it(`${policy}: certainty is never wrong and the sound candidates always hold the signer`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const h = randomHistory(seed, 3, 0.4, policy);
        const colluding = new Set(h.filter((_, i) => i % 5 === 0).map((t) => t.members[0].publicKeyHex));
        for (const heuristic of ['chain-reaction', 'collusion'] as const) {
          const obs = observe(heuristic, h, { colluding });
          for (const o of obs) {
            expect(o.guessAmong).toContain(h[o.tx].realSigner);
            if (o.certain) expect(o.guessAmong).toEqual([h[o.tx].realSigner]);
          }
        }
        // The chain reaction resolves strictly more than the zero-decoy rings themselves.
        const zeroDecoy = h.filter((t) => t.members.length === 1).length;
        expect(scoreHeuristic('chain-reaction', h, Rng.stream(seed, 'g')).deanonymizedCount).toBeGreaterThan(zeroDecoy);
      }
    });
  }

  it('no side information: the expected rate is exactly the mean of 1/ring size; guesses are a seeded draw', () => {
    const h = randomHistory(9, 4, 0, 'uniform').filter((t) => t.members.length === 4);
    const a = scoreHeuristic('none', h, Rng.stream(3, 'g'));
    expect(a.expectedRate).toBe(0.25);
    expect(Math.abs(a.guessRate - 0.25)).toBeLessThan(4.5 * Math.sqrt((0.25 * 0.75) / a.trials));
    expect(scoreHeuristic('none', h, Rng.stream(3, 'g'))).toEqual(a);
  });

  it('scoreAll reports every heuristic, colluders’ own rings excluded from collusion and combined', () => {
    const h = randomHistory(2, 4, 0.2, 'gamma');
    const colluding = new Set([h[0].realSigner, h[1].realSigner]);
    const scores = scoreAll(h, (name) => Rng.stream(1, name), { colluding });
    expect(scores.map((s) => s.heuristic)).toEqual([...HEURISTICS]);
    for (const s of scores) expect(s.trials).toBe(s.heuristic === 'collusion' || s.heuristic === 'combined' ? h.length - 2 : h.length);
  });
});
