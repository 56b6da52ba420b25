/**
 * The settlement mutants (protocols/settlement/mutants.ts), declared through
 * `settlementModule.mutants`: `medsim check settlement-safety --mutant M` catches each with its
 * own invariant on seed 1 while the control (the honest protocol, same draws and pins) passes —
 * and no scenario file can switch a mutant on.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../analysis/check/check.ts';
import { settlementModule } from '../../protocols/settlement/module.ts';
import { settlementScenario } from './helpers.ts';

const EXPECTED: Record<string, { invariant: string; message: RegExp }> = {
  'skip-version-check': { invariant: 'conservation-of-value', message: /created \d+: patient\/\d+ \d+ → \d+/ },
  'skip-range-check': { invariant: 'no-negative-balance', message: /left patient\/0 with -\d+/ },
  'skip-endorsement-check': { invariant: 'valid-payments-only', message: /was applied but fails check 2r/ },
};

describe('settlement mutants: caught by their own invariant, control passes (medsim check --mutant)', () => {
  it('declares exactly these mutants, each named after a settlement checker', () => {
    expect(Object.keys(settlementModule.mutants!).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [name, m] of Object.entries(settlementModule.mutants!)) expect(m.invariant).toBe(EXPECTED[name].invariant);
  });

  it('the scenario schema has no switch for them', () => {
    expect(() => settlementScenario({ mutant: 'skip-version-check' })).toThrow(/mutant/);
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: caught by ${want.invariant} on seed 1, control passes`, async () => {
      const r = await runChecks({ suites: ['settlement-safety'], mutant: name, seeds: 1, seed: 1, workers: 0, out: join(mkdtempSync(join(tmpdir(), 'settle-mutant-')), 'run') });
      expect(r.exitCode).toBe(0);
      const s = r.suites[0];
      expect(s.ok, s.reason ?? '').toBe(true);
      expect(s.mutant).toMatchObject({ name, invariant: want.invariant, caughtByName: 1 });
      expect(s.mutant!.firstCatch).toMatchObject({ seedsToCatch: 1, kind: 'safety', invariant: want.invariant });
      expect(s.mutant!.firstCatch!.message).toMatch(want.message);
      expect(s.control).toMatchObject({ seeds: 1, passed: 1, failed: 0, liveness: 0, crashed: 0, errors: 0 });
    }, 240_000); // two real-crypto runs (mutant and control): seconds idle, more on a shared machine
  }
});
