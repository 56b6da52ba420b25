/**
 * The scenario-driven low-work-branch ("time-warp") attacker: the `pow-height` fork-choice mutant
 * is caught by `confirmed-not-reversed` on most seeds, and the correct most-work rule never fires
 * on the same seeds. Runs scenarios/pow-timewarp.yaml itself (the file the check suites build on).
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSimulation } from '../../sim/runner.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import { TimewarpAttacker } from '../../protocols/pow/attacks/timewarp.ts';
import type { PowEntry } from '../../protocols/pow/chain.ts';
import { powModule, powSchema, type PowConfig, type PowRun } from '../../protocols/pow/module.ts';
import { workOfBits } from '../../protocols/pow/target.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';

const FILE = join(resolve(import.meta.dirname, '../..'), 'scenarios/pow-timewarp.yaml');
const HONEST = { pow: powModule };
/** The run with the `pow-height` mutant, reached through `powModule.mutants` as `medsim check` does. */
const HEIGHT_MUTANT = { pow: { ...powModule, build: powModule.mutants!['pow-height']!.build } };

function runFile(seed: number, mutant = false) {
  const { scenario } = loadScenario(FILE, { registry: { pow: powSchema } });
  const { sim, run } = buildSimulation(scenario as unknown as Scenario<PowConfig>, mutant ? HEIGHT_MUTANT : HONEST, seed);
  const result = sim.run();
  const r = run as PowRun;
  return { result, run: r, summary: r.summarize!(sim, result) as any, attacker: r.nodes[r.nodes.length - 1] as TimewarpAttacker };
}

/** The highest block the attacker mined (every one is in the shared tree: it passed validation). */
function branchTip(run: PowRun): PowEntry {
  const attacker = run.nodes.length - 1;
  const mine = [...run.world.minedBy].filter(([, m]) => m === attacker).map(([h]) => run.world.store.get(h)!);
  expect(mine.every((e) => e !== undefined)).toBe(true);
  return mine.reduce((a, b) => (b.height > a.height ? b : a));
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

describe('pow time-warp attacker (low-work branch)', () => {
  it('the pow-height fork-choice mutant is caught by confirmed-not-reversed on most seeds', () => {
    let caught = 0;
    for (const seed of SEEDS) {
      const { result, attacker } = runFile(seed, true);
      if (result.violation) {
        expect(result.violation.invariant).toBe('confirmed-not-reversed');
        expect(result.violation.kind).toBe('safety');
        expect(attacker.publications).toBeGreaterThan(0);
        caught++;
      }
    }
    expect(caught).toBeGreaterThanOrEqual(SEEDS.length - 1);
  });

  it('the correct most-work rule never fires on the same seeds, and every honest tip stays off the branch', () => {
    let published = 0;
    for (const seed of SEEDS) {
      const { result, summary, attacker, run } = runFile(seed);
      expect(result.violation).toBeUndefined();
      expect(summary.timewarp.honestTipsOnAttackerBranch).toBe(0);
      for (const p of attacker.published) {
        // LONGER (more blocks) but LESS work than the public chain above the same fork.
        expect(p.privateHeight).toBeGreaterThan(p.publicHeight);
        expect(p.privateWork).toBeLessThan(p.publicWork);
        published++;
      }
      // Honest nodes received the published branch (so they really chose to ignore it).
      if (attacker.publications > 0) {
        const top = branchTip(run);
        expect(run.honest.every((id) => top.have[id] === 1)).toBe(true);
      }
    }
    expect(published).toBeGreaterThanOrEqual(SEEDS.length - 1);
  });

  it('the private branch is valid: real retargets ease its target ×4 per window to powLimit with MTP-valid fake timestamps', () => {
    const { run, attacker } = runFile(6);
    expect(attacker.publications).toBe(1);
    // Walk the attacker's blocks: each one is in the shared tree (so it passed full validation).
    const tip = branchTip(run);
    const works: number[] = [];
    for (let e: PowEntry = tip; run.world.minedBy.get(e.hash) === run.nodes.length - 1; e = e.parent!) {
      works.push(e.work);
      expect(e.block.header.time - e.parent!.block.header.time).toBe(4 * 600);
    }
    // Work per block falls from the initial 2^8 to powLimit's 2 (1 leading zero bit).
    expect(Math.min(...works)).toBe(workOfBits(run.world.chain.params.retarget.limitBits));
    expect(Math.max(...works)).toBeGreaterThan(100);
  });

  it('is deterministic', () => {
    const a = runFile(3, true);
    const b = runFile(3, true);
    expect(a.result.traceHash).toBe(b.result.traceHash);
    expect(a.result.violation?.message).toBe(b.result.violation?.message);
  });
});
