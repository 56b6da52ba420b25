/**
 * Fork choice: the extension point every node consults when it learns a new valid block.
 *
 * The one correct rule is Nakamoto's (Bitcoin whitepaper §4; Ethereum's "total difficulty"):
 * follow the chain with the most cumulative work, and on a tie keep the block seen first
 * (Bitcoin Core: a node does not switch on equal work). Other rules exist only as deliberately
 * wrong mutants for the check harness, in their protocol's mutants module (e.g. the pow
 * protocol's `pow-height`, protocols/pow/mutants.ts); a run selects one through
 * `NakamotoOptions.forkChoice`.
 */
import type { BlockEntry } from './tree.ts';

/** Fork-choice rule: should a node switch its tip from `current` to `candidate`? */
export interface ForkChoice {
  readonly name: string;
  prefer(candidate: BlockEntry<unknown, unknown>, current: BlockEntry<unknown, unknown>): boolean;
}

/** Nakamoto's rule: most cumulative work; ties keep the first seen. */
export const MOST_WORK: ForkChoice = { name: 'most-work', prefer: (c, cur) => c.cumWork > cur.cumWork };
