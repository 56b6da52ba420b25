/**
 * Chain-agnostic invariant checkers for Nakamoto-consensus runs.
 *
 * - `fork-convergence(slack)` (liveness, at the end of the run): every live honest node's tip
 *   shares an ancestor with the best honest tip at most `slack` blocks below it — forks created
 *   by latency or by a healed partition have been resolved.
 *
 * Which transactions must never be reversed is a property of each chain's transactions, so
 * `confirmed-not-reversed` checkers live with their protocol (e.g. protocols/pow/checkers.ts);
 * they read the `reorg` observations (`oldTip`, `newTip`, `fork`) every node emits.
 */
import type { NodeId, Observer, Violation } from '../../sim/types.ts';
import { forkPoint, type BlockEntry } from './tree.ts';

export class ForkConvergence<B, S> implements Observer {
  readonly name = 'fork-convergence';
  constructor(
    /** Blocks below the best honest tip within which all tips must agree. */
    readonly slack: number,
    /** Tips of the live honest nodes at the end of the run. */
    private readonly tips: () => { node: NodeId; tip: BlockEntry<B, S> }[],
  ) {}

  onEnd(): Violation | undefined {
    const tips = this.tips();
    if (tips.length === 0) return undefined;
    let best = tips[0].tip;
    for (const t of tips) if (t.tip.cumWork > best.cumWork) best = t.tip;
    for (const { node, tip } of tips) {
      const f = forkPoint(tip, best);
      if (best.height - f.height > this.slack) {
        return {
          kind: 'liveness',
          invariant: this.name,
          message: `node ${node} is on a fork: its tip ${tip.hash.slice(0, 12)} (height ${tip.height}) diverges from the best tip (height ${best.height}) at height ${f.height}, more than ${this.slack} blocks below`,
          node,
        };
      }
    }
    return undefined;
  }
}
