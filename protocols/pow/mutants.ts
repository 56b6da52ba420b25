/**
 * Deliberately broken variants of the pow protocol for the check harness (mutation testing of
 * the checkers).
 */
import { MOST_WORK, type ForkChoice } from '../nakamoto/fork-choice.ts';

/**
 * MUTANT for the check harness: longest chain by HEIGHT. Wrong under retargeting — a long chain
 * of low-difficulty blocks beats a shorter chain with more work — and the
 * `confirmed-not-reversed` checker catches it (the `timewarp` attacker builds such a chain on the
 * network: test/pow/timewarp.test.ts).
 */
export const LONGEST_HEIGHT: ForkChoice = { name: 'height', prefer: (c, cur) => c.height > cur.height };

export const FORK_CHOICES: Record<string, ForkChoice> = { 'most-work': MOST_WORK, height: LONGEST_HEIGHT };
