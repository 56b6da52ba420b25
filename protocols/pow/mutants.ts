/**
 * Deliberately broken variants of the pow protocol for the check harness (mutation testing of
 * the checkers). A checker is only trusted if it catches them, and each mutant must be caught
 * while the same seeds without it pass.
 *
 * - `pow-height`  fork choice by HEIGHT instead of cumulative work (Bitcoin whitepaper §4 broken).
 *                 Wrong under retargeting: a long chain of low-difficulty blocks beats a shorter
 *                 chain with more work. The `timewarp` attacker builds such a chain on the
 *                 network and `confirmed-not-reversed` catches the reversal
 *                 (scenarios/safety/pow-fork-choice.yaml, test/pow/timewarp.test.ts).
 *
 * A mutant reaches the run through the fork-choice extension point of the shared Nakamoto
 * machinery (`NakamotoOptions.forkChoice`, protocols/nakamoto/fork-choice.ts); honest code has no
 * branch for it. Mutants are declared in `powModule.mutants` (for `medsim check --mutant` and
 * `medsim run --mutant`), never in the scenario schema.
 */
import type { ForkChoice } from '../nakamoto/fork-choice.ts';

/** MUTANT: longest chain by height; ties keep the first seen. */
export const LONGEST_HEIGHT: ForkChoice = { name: 'height', prefer: (c, cur) => c.height > cur.height };

/** What a mutant changes in a pow run. */
export interface PowMutant {
  readonly description: string;
  /** The checker that must catch it (docs/check.md "Declaring mutants"). */
  readonly invariant: string;
  /** Fork-choice rule every node of the run uses instead of MOST_WORK. */
  readonly forkChoice: ForkChoice;
}

/** Mutants by name (declared in `powModule.mutants`). */
export const POW_MUTANTS = {
  'pow-height': {
    description: 'fork choice by height instead of cumulative work (Bitcoin whitepaper §4: the chain with the most proof-of-work wins)',
    invariant: 'confirmed-not-reversed',
    forkChoice: LONGEST_HEIGHT,
  },
} as const satisfies Record<string, PowMutant>;

