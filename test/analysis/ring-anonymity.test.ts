/**
 * The claims docs/ring-anonymity.md makes about `medsim reproduce ring-anonymity`, checked on the
 * quick run's rows (the same seed and code path as the figure): no side information ⇒ 1/n;
 * guess-newest beats 1/n under uniform decoys and is ≈ 1/n under gamma; the chain reaction bites
 * only with zero-decoy rings in the history; key reuse is fatal; certainty is never wrong.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spendAgeBlocks, spendModelHistory } from '../../analysis/ring-spend-model.ts';
import { COLUMNS, RING_SIZES, ringAnonymityRows, ringHistory, type RingAnonymityRow } from '../../analysis/reproduce/ring-anonymity.ts';
import { wilson } from '../../analysis/stats.ts';
import { scoreHeuristic } from '../../protocols/ringchain/anonymity.ts';
import { Rng } from '../../sim/rng.ts';

let rows: RingAnonymityRow[];
beforeAll(async () => {
  rows = (await ringAnonymityRows({ quick: true, seed: 2019, log: () => {} }, 'spend-model')).rows;
}, 60_000);

const row = (policy: string, heuristic: string, n: number) => rows.find((r) => r.policy === policy && r.heuristic === heuristic && r.ringSize === n)!;
/** A 99.9 % Wilson interval from a row (the figure prints 95 %; twelve 95 % intervals would miss 1/n by chance about half the time). */
const wide = (r: RingAnonymityRow) => wilson(Math.round(r.guessRate * r.trials), r.trials, 0.999);

describe('ring-anonymity, spend model (quick rows)', () => {
  it('one row per policy × ring size × heuristic, with exactly the documented keys', () => {
    expect(rows).toHaveLength(2 * RING_SIZES.length * 5);
    for (const r of rows) expect(Object.keys(r)).toEqual(COLUMNS);
    for (const r of rows) expect(r.ciLow <= r.guessRate && r.guessRate <= r.ciHigh).toBe(true);
  });

  it('no side information: the guess rate is consistent with 1/n for every policy and ring size', () => {
    for (const policy of ['uniform', 'gamma']) {
      for (const n of RING_SIZES) {
        const iv = wide(row(policy, 'none', n));
        expect(iv.low, `${policy} n=${n}`).toBeLessThanOrEqual(1 / n);
        expect(iv.high, `${policy} n=${n}`).toBeGreaterThanOrEqual(1 / n);
      }
    }
  });

  it('ring size 1: every observer names the signer, with certainty', () => {
    for (const r of rows.filter((x) => x.ringSize === 1)) expect([r.guessRate, r.deanonymized]).toEqual([1, 1]);
  });

  it('guess-newest under uniform decoys beats 1/n, by more the larger the ring (real inputs are recent)', () => {
    // Measured (quick): ×1.6 at n = 2, ×2.6 at n = 4, ×3.9 at 8, ×4.6 at 11, ×5.8 at 16.
    expect(row('uniform', 'guess-newest', 2).ciLow).toBeGreaterThan(1.4 / 2);
    for (const n of [4, 8, 11, 16]) expect(row('uniform', 'guess-newest', n).ciLow, `n=${n}`).toBeGreaterThan(2 / n);
  });

  it('guess-newest under gamma decoys is close to 1/n (decoy ages follow the real spends’ law)', () => {
    for (const n of [2, 4, 8, 11, 16]) {
      const r = row('gamma', 'guess-newest', n);
      const iv = wide(r);
      expect(iv.low, `n=${n}`).toBeLessThanOrEqual(1 / n);
      expect(iv.high, `n=${n}`).toBeGreaterThanOrEqual(1 / n);
      const uniform = row('uniform', 'guess-newest', n);
      if (n === 2) expect(r.ciHigh).toBeLessThan(uniform.ciLow);
      else expect(r.guessRate).toBeLessThan(uniform.guessRate / 2);
    }
  });

  it('the chain reaction bites with zero-decoy rings in the history (n = 2), not without them', async () => {
    for (const policy of ['uniform', 'gamma']) {
      const r = row(policy, 'chain-reaction', 2);
      expect(r.deanonymized).toBeGreaterThan(0.25);
      expect(r.ciLow).toBeGreaterThan(row(policy, 'none', 2).ciHigh);
    }
    const { txs } = await ringHistory({ policy: 'uniform', ringSize: 2, seed: 'no-zero-decoy', blocks: 80, zeroDecoyShare: 0 });
    expect(scoreHeuristic('chain-reaction', txs, Rng.stream(1, 'g')).deanonymizedCount).toBe(0);
  });

  it('colluders and the combined observer never do worse than chance; certainty is never wrong', () => {
    for (const r of rows) {
      // A certain ring is a correct guess: successes ≥ certain rings.
      expect(r.guessRate + 1e-4).toBeGreaterThanOrEqual(r.deanonymized);
      if ((r.heuristic === 'collusion' || r.heuristic === 'combined') && r.ringSize > 1) expect(wide(r).high).toBeGreaterThan(1 / r.ringSize);
    }
    for (const n of [2, 4]) expect(row('uniform', 'collusion', n).guessRate).toBeGreaterThan(row('uniform', 'chain-reaction', n).guessRate);
  });

  it('key reuse: a key signing three transactions under one key image is de-anonymised in most rings even at n = 11', async () => {
    const { txs } = await ringHistory({ policy: 'gamma', ringSize: 11, seed: 'reuse', blocks: 100, zeroDecoyShare: 0, spendsPerKey: 3 });
    expect(scoreHeuristic('chain-reaction', txs, Rng.stream(1, 'g')).deanonymized).toBeGreaterThan(0.5);
  });
});

describe('the spend model', () => {
  it('real spend ages follow the gamma picker’s law: median ≈ 21 blocks of 6,000 s, ages ≥ 1', () => {
    const rng = Rng.stream(1, 'ages');
    const ages = Array.from({ length: 20_000 }, () => spendAgeBlocks(6000, rng)).sort((a, b) => a - b);
    expect(ages[0]).toBeGreaterThanOrEqual(1);
    // Median of exp(Gamma(19.28, 1.61)) − 1200 s ≈ 1.28e5 s ⇒ 1 + ⌊1.28e5 / 6000⌋ = 22 blocks.
    expect(ages[10_000]).toBeGreaterThanOrEqual(19);
    expect(ages[10_000]).toBeLessThanOrEqual(24);
  });

  it('is deterministic and shares one spend schedule between policies', () => {
    const params = { blocks: 40, keysPerBlock: 5, blockIntervalSeconds: 6000, ringSize: 4, zeroDecoyShare: 0.2, spendsPerKey: 1, seed: 'd' } as const;
    const a = spendModelHistory({ ...params, policy: 'gamma' });
    expect(spendModelHistory({ ...params, policy: 'gamma' })).toEqual(a);
    const u = spendModelHistory({ ...params, policy: 'uniform' });
    expect(u.map((t) => [t.height, t.realSigner, t.members.length])).toEqual(a.map((t) => [t.height, t.realSigner, t.members.length]));
    for (const t of a) expect(t.members.some((m) => m.publicKeyHex === t.realSigner && m.height < t.height)).toBe(true);
  });
});
