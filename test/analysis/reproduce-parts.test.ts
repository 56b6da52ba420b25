/**
 * The building blocks of the dpos-consistency and pbft-throughput figures (the figures themselves
 * run in reproduce.test.ts): population sizing, Byzantine placement, the election and PBFT trial
 * modules, the dpos run scenario.
 */
import { describe, expect, it } from 'vitest';
import { institutionsFor, runsScenario, tierCandidates } from '../../analysis/reproduce/dpos-extras.ts';
import { relabel, runTrial as electionTrial, tertiaryByzantine, tiersPopulation, type CartelTrialResult, type DposElectionParams, type TiersTrialResult } from '../../analysis/trials/dpos-election.ts';
import { measurePbft } from '../../analysis/trials/pbft-throughput.ts';
import { buildPopulation } from '../../protocols/dpos/institutions.ts';
import { Rng } from '../../sim/rng.ts';

const task = (params: DposElectionParams) => ({ point: { index: 0, assignments: {}, params }, trial: 0, seed: 7, seedHex: 'c0ffee', options: null });

describe('DEFAULT_TIERS population sizing', () => {
  it('finds the institution count that stands exactly N candidates', () => {
    for (const N of [30, 100, 1000]) {
      const I = institutionsFor(N);
      expect(tierCandidates(I)).toBe(N);
      expect(buildPopulation(tiersPopulation(I), 1).candidates).toHaveLength(N);
      expect(tierCandidates(I - 1)).not.toBe(N); // smallest such count
    }
  });
});

describe('Byzantine placement', () => {
  it('tertiary placement labels only tertiary candidates, exactly `count` of them', () => {
    const pop = buildPopulation(tiersPopulation(institutionsFor(100)), 3);
    const ids = tertiaryByzantine(pop, 20, Rng.stream(3, 'test'));
    const p = relabel(pop, ids);
    expect(p.byzantine).toHaveLength(20);
    for (const id of p.byzantine) expect(p.institutions[id].tier).toBe('tertiary');
    expect(p.institutions.filter((i) => i.byzantine)).toHaveLength(20);
    expect(() => tertiaryByzantine(pop, 99, Rng.stream(3, 'test'))).toThrow(/tertiary/);
  });
});

describe('dpos-election trial module', () => {
  it('counts elections and seats (tiers) and buys no seat without cartel power', () => {
    const I = institutionsFor(100);
    const t = electionTrial(task({ kind: 'tiers', elections: 5, institutions: I, candidates: 100, byzantine: 0, committee: 7, placement: 'spread' })) as TiersTrialResult;
    expect(t).toEqual({ successes: 5, trials: 5, seatHistogram: [5, 0, 0, 0, 0, 0, 0, 0] });
    const c0 = electionTrial(task({ kind: 'cartel', elections: 3, institutions: 200, committee: 19, cartelInstitutions: 20, cartelCandidates: 10, cartelTiers: ['clinic'], powerShare: 0 })) as CartelTrialResult;
    expect(c0.seats).toEqual([0, 0, 0]);
    const c1 = electionTrial(task({ kind: 'cartel', elections: 3, institutions: 200, committee: 19, cartelInstitutions: 20, cartelCandidates: 10, cartelTiers: ['clinic'], powerShare: 0.5 })) as CartelTrialResult;
    expect(c1.seats).toEqual([10, 10, 10]);
    expect(c1.predicted).toEqual(c1.seats);
    for (const s of c1.powerShare) expect(s).toBeCloseTo(0.5, 2);
  });
});

describe('pbft-throughput trial module', () => {
  it('counts PBFT messages per block at k = 4 and is deterministic', () => {
    const p = { committee: 4, batch: 10, inFlight: 40, gateways: 2, warmupBlocks: 2, blocks: 16, opBytes: 64 };
    const a = measurePbft(p, 5);
    const b = measurePbft(p, 5);
    expect(a).toEqual(b);
    expect(a.ops).toBe(160); // saturated: every block full
    // Counted by delivery time within the window, so blocks in flight at its edges blur the
    // per-block numbers a little (pipelining): within 5 % of k − 1, (k − 1)², k(k − 1).
    expect(a.perBlockByType['pre-prepare']).toBeGreaterThan(3 * 0.95);
    expect(a.perBlockByType['pre-prepare']).toBeLessThan(3 * 1.05);
    expect(a.perBlockByType.prepare).toBeGreaterThan(9 * 0.95);
    expect(a.perBlockByType.prepare).toBeLessThan(9 * 1.05);
    expect(a.perBlockByType.commit).toBeGreaterThan(12 * 0.95);
    expect(a.perBlockByType.commit).toBeLessThan(12 * 1.05);
    expect(a.opsPerSec).toBeCloseTo(a.ops / a.windowSeconds, 6);
    expect(a.latencyMsP50).toBeGreaterThan(0);
  });
});

describe('dpos run scenario', () => {
  it('validates: N institutions, all candidates, 2N nodes, cartel behaviour', () => {
    const s = runsScenario(1, 30, 10, 4, 3);
    expect(s.network.nodes).toBe(60);
    expect(s.duration).toBe(3_000_000);
    const p = s.protocol as unknown as { institutions: number; committee: number; byzantineCandidates: number; byzantineBehaviour: string; epochs: number };
    expect(p).toMatchObject({ institutions: 30, committee: 4, byzantineCandidates: 10, byzantineBehaviour: 'cartel', epochs: 1 });
  });
});
