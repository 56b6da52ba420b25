/**
 * Every settlement scenario file loads, runs and shows what its header promises: the honest
 * network settles and audits clean; each attack is refused at the check it breaks (2b, 2c, 2d,
 * 2e, malformed), invalidated by the committers (duplicate, version, endorsement) or — with a
 * policy that trusts one Byzantine endorser — applied and then caught, by the checkers and by the
 * regulator's own audit. Runs are shortened (3 patients, duration 3 s, bills at 1.5/s per patient until 2 s) to keep the test
 * in seconds; the files' own lengths only add more of the same payments.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOLS, protocolSchemas } from '../../protocols/registry.ts';
import { settlementModule } from '../../protocols/settlement/module.ts';
import { runScenario } from '../../sim/runner.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHORT = { duration: '3s', 'protocol.workload.stop': '2s', 'protocol.workload.rate': 1.5, 'protocol.patients': 3, 'network.nodes': 12 };

function run(name: string, overrides: Record<string, unknown> = SHORT, modules = PROTOCOLS) {
  const { scenario } = loadScenario(join(ROOT, 'scenarios', `${name}.yaml`), { registry: protocolSchemas(), overrides });
  const r = runScenario(scenario as Scenario, modules, scenario.seed);
  const s = r.protocol as any;
  return { result: r.result, s, headline: r.headline };
}

describe('settlement scenario files', () => {
  it('settlement.yaml (honest): payments commit, nothing invalidated or refused, the audit passes', () => {
    const { result, s } = run('settlement', SHORT);
    expect(result.violation).toBeUndefined();
    expect(s.committed).toBeGreaterThan(2);
    expect(s.invalidated).toEqual({ version: 0, duplicate: 0, endorsement: 0, malformed: 0 });
    expect(s.refused).toEqual({});
    expect(s.audit).toMatchObject({ result: 'pass', payments: s.committed });
  });

  const refusedAt: [string, string, string][] = [
    ['settlement-overdraft', 'overdraft', '2b'],
    ['settlement-mismatch', 'mismatch', '2c'],
    ['settlement-wrong-balance', 'wrong-balance', '2d'],
    ['settlement-foreign-spend', 'foreign-spend', '2e'],
  ];
  for (const [file, kind, check] of refusedAt) {
    it(`${file}.yaml: honest endorsers refuse the cheat on ${check}; none applied; the audit passes`, () => {
      const { result, s, headline } = run(file);
      expect(result.violation).toBeUndefined();
      expect(s.refused[check]).toBeGreaterThan(0);
      expect(Object.keys(s.refused).filter((k) => k !== check && k !== 'behind' && k !== 'stale')).toEqual([]);
      expect(s.adversaries.cheats[kind].built).toBeGreaterThan(0);
      expect(s.adversaries.cheats[kind].committed).toBe(0);
      expect(s.committed).toBeGreaterThan(0);
      expect(s.audit.result).toBe('pass');
      expect(headline.find((h: { name: string }) => h.name === 'cheatsCommitted')).toMatchObject({ value: 0 });
    });
  }

  it('settlement-malformed.yaml: malformed ciphertexts are refused by endorsers, junk envelopes rejected by the orderers, all counted; nothing crashes', () => {
    const { result, s } = run('settlement-malformed');
    expect(result.violation).toBeUndefined();
    expect(s.refused.malformed).toBeGreaterThan(0);
    expect(s.rejected['pbft.invalid-op']).toBeGreaterThan(0);
    expect(s.adversaries.cheats.malformed.committed).toBe(0);
    expect(s.audit.result).toBe('pass');
  });

  it('settlement-replay.yaml: replayed payments are invalidated as duplicates', () => {
    const { result, s } = run('settlement-replay', { ...SHORT, 'network.nodes': 13 });
    expect(result.violation).toBeUndefined();
    expect(s.adversaries.replays).toBeGreaterThan(0);
    expect(s.invalidated.duplicate).toBeGreaterThan(0);
    expect(s.audit).toMatchObject({ result: 'pass', payments: s.committed });
  });

  it('settlement-double-spend.yaml: of two payments racing on one balance version exactly one commits', () => {
    const { result, s } = run('settlement-double-spend');
    expect(result.violation).toBeUndefined();
    const d = s.adversaries.doubleSpends;
    expect(d.pairs).toBeGreaterThan(0);
    expect(d.bothCommitted).toBe(0);
    expect(d.oneCommitted).toBe(d.pairs - d.noneCommitted);
    expect(d.oneCommitted).toBeGreaterThan(0);
    expect(s.invalidated.version).toBeGreaterThan(0);
    expect(s.audit.result).toBe('pass');
  });

  it('settlement-byzantine-endorser-2of3.yaml: the colluding endorsement alone never gets a payment applied', () => {
    const { result, s } = run('settlement-byzantine-endorser-2of3');
    expect(result.violation).toBeUndefined();
    expect(s.policy).toBe('2 of [hospital/0, hospital/1, hospital/2]');
    expect(s.invalidated.endorsement).toBeGreaterThan(0);
    expect(s.adversaries.cheats.overdraft.committed).toBe(0);
    expect(s.audit.result).toBe('pass');
  });

  it('settlement-byzantine-endorser-1.yaml: with one endorsement required the overdraft is applied — the checkers stop the run, and the regulator\'s audit alone catches it too', () => {
    const { result } = run('settlement-byzantine-endorser-1');
    expect(result.violation).toMatchObject({ kind: 'safety', invariant: 'no-negative-balance' });
    // The same run without the omniscient checkers: only the regulator's audit stands between
    // the Byzantine endorser and an unnoticed overdraft.
    const auditOnly = { ...PROTOCOLS, settlement: { ...settlementModule, build: (sc: Scenario<any>, seed: number) => ({ ...settlementModule.build(sc, seed), observers: [] }) } };
    const { result: r2, s } = run('settlement-byzantine-endorser-1', SHORT, auditOnly as typeof PROTOCOLS);
    expect(r2.violation).toBeUndefined();
    expect(s.audit.result).toBe('fail');
    expect(s.audit.findings['2b']).toBeGreaterThan(0);
    expect(s.audit.findings.negative).toBeGreaterThan(0);
  });
});
