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
import type { NodeId, Observation, Observer, Violation } from '../../sim/types.ts';
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

/** A block an honest node disconnected in a reorg, with the confirmations it had on the old chain. */
export interface DisconnectedBlock<E> {
  entry: E;
  confirmations: number;
  oldTip: E;
  newTip: E;
  fork: E;
}

/**
 * The blocks a `reorg` observation disconnects that had at least `depth` confirmations on the old
 * chain (oldest last) — what "no confirmed tx is ever reversed" checkers walk (pow's
 * `confirmed-not-reversed`, ringchain's `unwarrant-not-reversed`). Empty for other observations.
 */
export function* disconnectedConfirmed<E extends { height: number; parent: E | null }>(obs: Observation, depth: number): Generator<DisconnectedBlock<E>> {
  if (obs.kind !== 'reorg') return;
  const oldTip = obs.oldTip as E;
  const newTip = obs.newTip as E;
  const fork = obs.fork as E;
  for (let x: E = oldTip; x !== fork; x = x.parent!) {
    const confirmations = oldTip.height - x.height + 1;
    if (confirmations >= depth) yield { entry: x, confirmations, oldTip, newTip, fork };
  }
}
