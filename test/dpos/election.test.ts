/**
 * Seed 003's DPoS election: hand-computed vote tables (including ties under both tie rules),
 * ballot validity, population layout and the cartel against the PBFT bound f = ⌊(k − 1)/3⌋.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Ballot } from '../../protocols/dpos/election.ts';
import { castBallots, electFromTally, faultBound, rankCandidates, runElection, tallyBallots } from '../../protocols/dpos/election.ts';
import type { Institution, Population, PopulationSpec, Tier } from '../../protocols/dpos/institutions.ts';
import { apportion, buildPopulation, cartelShares, DEFAULT_TIERS, TIERS } from '../../protocols/dpos/institutions.ts';

/** A hand-made population: [tier, stake, weight, candidate, byzantine]. */
function handPopulation(rows: [Tier, number, number, boolean, boolean?][]): Population {
  const institutions: Institution[] = rows.map(([tier, stake, weight, candidate, byz], id) => ({
    id, tier, tierRank: TIERS.indexOf(tier), stake, weight, power: stake * weight, candidate, cartel: false, byzantine: !!byz,
  }));
  return {
    institutions,
    candidates: institutions.filter((i) => i.candidate).map((i) => i.id),
    byzantine: institutions.filter((i) => i.byzantine).map((i) => i.id),
    cartel: [],
    cartelCandidates: [],
    totalStake: institutions.reduce((a, i) => a + i.stake, 0),
    totalPower: institutions.reduce((a, i) => a + i.power, 0),
    trustByRank: [5, 4, 3, 2, 1],
  };
}

// id: tier, stake, weight → power
//  0: tertiary  10 × 3 = 30  (candidate)
//  1: secondary 20 × 2 = 40  (candidate, Byzantine)
//  2: clinic    50 × 1 = 50  (candidate)
//  3: insurer   15 × 2 = 30
//  4: regulator 10 × 4 = 40  (candidate)
const pop = handPopulation([
  ['tertiary', 10, 3, true],
  ['secondary', 20, 2, true, true],
  ['clinic', 50, 1, true],
  ['insurer', 15, 2, false],
  ['regulator', 10, 4, true],
]);
const b = (voter: number, approvals: number[], epoch = 0): Ballot => ({ epoch, voter, approvals });

describe('tally: hand-computed table', () => {
  // 0 → {0,1}: 0 +30, 1 +30      1 → {1,4}: 1 +40, 4 +40      2 → {2}: 2 +50
  // 3 → {0,4}: 0 +30, 4 +30      4 → {0,2}: 0 +40, 2 +40
  // totals: 0 = 100, 1 = 70, 2 = 90, 4 = 70  (1 and 4 tie)
  const ballots = [b(0, [0, 1]), b(1, [1, 4]), b(2, [2]), b(3, [0, 4]), b(4, [0, 2])];

  it('sums stake × tier weight per approval', () => {
    const t = tallyBallots(pop, ballots, 0, 2);
    expect(Object.fromEntries(t.votes)).toEqual({ 0: 100, 1: 70, 2: 90, 4: 70 });
    expect(t.counted).toEqual([0, 1, 2, 3, 4]);
    expect(t.rejected).toEqual([]);
  });

  it('ranks by votes, ties by lower id under lowest-id', () => {
    const t = tallyBallots(pop, ballots, 0, 2);
    expect(rankCandidates(t.votes, 0, 'lowest-id')).toEqual([
      { id: 0, votes: 100 }, { id: 2, votes: 90 }, { id: 1, votes: 70 }, { id: 4, votes: 70 },
    ]);
    const r = electFromTally(pop, t, 3, 'lowest-id');
    expect(r.committee).toEqual([0, 2, 1]);
    expect(r.f).toBe(0);
    expect(r.byzantineSeats).toBe(1);
    expect(r.consistent).toBe(false);
    const r4 = electFromTally(pop, t, 4, 'lowest-id'); // f = 1
    expect(r4.committee).toEqual([0, 2, 1, 4]);
    expect(r4.consistent).toBe(true);
  });

  it('breaks ties by SHA-256("dpos/tie/<epoch>/<id>") under epoch-hash', () => {
    const h = (e: number, id: number) => createHash('sha256').update(`dpos/tie/${e}/${id}`).digest('hex');
    const seen = new Set<string>();
    for (let e = 0; e < 8; e++) {
      const t = tallyBallots(pop, ballots.map((x) => ({ ...x, epoch: e })), e, 2);
      const expected = h(e, 1) < h(e, 4) ? [0, 2, 1] : [0, 2, 4];
      expect(electFromTally(pop, t, 3, 'epoch-hash').committee).toEqual(expected);
      seen.add(expected.join());
    }
    expect(seen.size).toBe(2); // tie luck rotates across epochs
  });

  it('all-equal tally: rank is the tie rule alone', () => {
    const votes = new Map([[7, 5], [3, 5], [9, 5], [1, 5]]);
    expect(rankCandidates(votes, 0, 'lowest-id').map((r) => r.id)).toEqual([1, 3, 7, 9]);
    const h = (id: number) => createHash('sha256').update(`dpos/tie/2/${id}`).digest('hex');
    expect(rankCandidates(votes, 2, 'epoch-hash').map((r) => r.id)).toEqual([1, 3, 7, 9].sort((a, c) => (h(a) < h(c) ? -1 : 1)));
  });

  it('zero-vote candidates still rank (after every candidate with votes)', () => {
    const t = tallyBallots(pop, [b(2, [2])], 0, 2);
    expect(electFromTally(pop, t, 4, 'lowest-id').committee).toEqual([2, 0, 1, 4]);
  });
});

describe('tally: ballot validity', () => {
  it('ignores invalid ballots whole and counts only the first valid ballot per voter', () => {
    const t = tallyBallots(pop, [
      b(0, [0, 1, 2]), // too many approvals (V = 2): rejected, so voter 0's later ballot may count
      b(1, [4, 4]), // repeats a candidate
      b(2, [3]), // 3 is not a candidate
      b(3, [0], 1), // wrong epoch
      b(9, [0]), // unknown voter
      b(0, [2]), // voter 0's first valid ballot: 2 +30
      b(0, [0]), // second valid ballot: ignored
      b(4, [1]), // 1 +40
    ], 0, 2);
    expect(Object.fromEntries(t.votes)).toEqual({ 0: 0, 1: 40, 2: 30, 4: 0 });
    expect(t.counted).toEqual([0, 4]);
    expect(t.rejected.map((r) => r.voter)).toEqual([0, 1, 2, 3, 9, 0]);
    expect(t.rejected[5].reason).toMatch(/second ballot/);
  });
});

describe('population', () => {
  it('apportions by largest remainder, remainder ties to the higher tier', () => {
    expect(apportion(10, [0.15, 0.3, 0.45, 0.08, 0.02])).toEqual([2, 3, 4, 1, 0]);
    expect(apportion(3, [1, 1, 1, 1, 0])).toEqual([1, 1, 1, 0, 0]);
    expect(apportion(200, [0.15, 0.3, 0.45, 0.08, 0.02])).toEqual([30, 60, 90, 16, 4]);
  });

  it('lays institutions out tier by tier; candidates are the richest of each tier', () => {
    const p = buildPopulation({ institutions: 200, tiers: DEFAULT_TIERS }, 7);
    expect(p.institutions.slice(0, 30).every((i) => i.tier === 'tertiary')).toBe(true);
    expect(p.institutions[199].tier).toBe('regulator');
    const cand = (t: Tier) => p.candidates.filter((c) => p.institutions[c].tier === t).length;
    expect([cand('tertiary'), cand('secondary'), cand('clinic'), cand('insurer'), cand('regulator')]).toEqual([30, 30, 0, 8, 4]);
    const sec = p.institutions.filter((i) => i.tier === 'secondary');
    const minCand = Math.min(...sec.filter((i) => i.candidate).map((i) => i.stake));
    expect(sec.filter((i) => !i.candidate).every((i) => i.stake <= minCand)).toBe(true);
    expect(p.institutions.every((i) => Number.isInteger(i.stake) && i.stake >= 1 && i.power === i.stake * i.weight)).toBe(true);
    expect(buildPopulation({ institutions: 200, tiers: DEFAULT_TIERS }, 7)).toEqual(p);
  });

  it('rescales the cartel to its stake share; its candidates stand and are Byzantine', () => {
    const p = buildPopulation({ institutions: 200, tiers: DEFAULT_TIERS, cartel: { institutions: 20, stakeShare: 0.2, candidates: 5 } }, 3);
    expect(p.cartel.length).toBe(20);
    expect(p.cartelCandidates.length).toBe(5);
    expect(p.byzantine).toEqual(p.cartelCandidates);
    expect(p.cartelCandidates.every((c) => p.institutions[c].candidate && p.institutions[c].cartel)).toBe(true);
    expect(cartelShares(p).stake).toBeCloseTo(0.2, 2);
  });
});

describe('cartel against the PBFT bound', () => {
  const k = 21;
  const f = faultBound(k); // 6
  // A cartel of 20 clinics (low trust, weight 1) that pools its votes on f + 1 of its own members.
  const spec = (stakeShare: number, basis: 'stake' | 'power' = 'stake'): PopulationSpec => ({
    institutions: 200,
    tiers: DEFAULT_TIERS,
    cartel: { institutions: 20, stakeShare, basis, candidates: f + 1, tiers: ['clinic'] },
  });
  const opts = { committee: k, votesPerInstitution: k, strategy: 'trust' as const, trustNoise: 3 };

  it('casts pooled cartel ballots: every member approves the same cartel candidates', () => {
    const p = buildPopulation(spec(0.1), 11);
    const ballots = castBallots(p, 0, 11, opts);
    const cartelBallots = ballots.filter((x) => p.institutions[x.voter].cartel);
    expect(cartelBallots.length).toBe(20);
    for (const x of cartelBallots) expect([...x.approvals].sort((a, c) => a - c)).toEqual(p.cartelCandidates);
  });

  it('below threshold (5 % of stake ≈ 1.5 % of voting power): cartel seats ≤ f, committee consistent', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const p = buildPopulation(spec(0.05), seed);
      const r = runElection(p, 0, seed, opts);
      expect(r.committee.length).toBe(k);
      expect(r.byzantineSeats).toBeLessThanOrEqual(f);
      expect(r.consistent).toBe(true);
    }
  });

  it('above threshold (45 % of voting power): cartel seats all f + 1 of its candidates, consistency lost', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const p = buildPopulation(spec(0.45, 'power'), seed);
      expect(cartelShares(p).power).toBeCloseTo(0.45, 2);
      const r = runElection(p, 0, seed, opts);
      expect(r.byzantineSeats).toBe(f + 1);
      expect(r.consistent).toBe(false);
      for (const c of p.cartelCandidates) expect(r.committee).toContain(c);
    }
  });

  it('is deterministic in (population, seed, epoch) and changes across epochs', () => {
    const p = buildPopulation(spec(0.05), 9);
    expect(runElection(p, 1, 9, opts)).toEqual(runElection(p, 1, 9, opts));
    const committees = new Set([0, 1, 2, 3].map((e) => runElection(p, e, 9, opts).committee.join()));
    expect(committees.size).toBeGreaterThan(1);
  });
});
