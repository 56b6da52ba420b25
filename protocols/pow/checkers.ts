/**
 * Invariant checkers (observers) for PoW runs.
 *
 * - `confirmed-not-reversed(z)` (safety): no honest node ever disconnects a block holding a tx
 *   that had ≥ z confirmations, unless the new chain contains the same tx. This is the property a
 *   merchant waiting for z confirmations relies on (Bitcoin whitepaper §11); with an honest
 *   majority and the most-work rule it holds with overwhelming probability for moderate z.
 * - `fork-convergence(slack)` (liveness, at the end of the run): every live honest node's tip
 *   shares an ancestor with the best honest tip at most `slack` blocks below it — forks created
 *   by latency or by a healed partition have been resolved.
 */
import type { NodeId, Observation, Observer, Violation } from '../../sim/types.ts';
import { forkPoint, type BlockEntry } from './chain.ts';

export class ConfirmedNotReversed implements Observer {
  readonly name = 'confirmed-not-reversed';
  constructor(
    /** Confirmations after which a tx must never be reversed. */
    readonly depth: number,
    private readonly isHonest: (node: NodeId) => boolean,
  ) {}

  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'reorg' || !this.isHonest(node)) return undefined;
    const oldTip = obs.oldTip as BlockEntry;
    const newTip = obs.newTip as BlockEntry;
    const fork = obs.fork as BlockEntry;
    for (let x: BlockEntry = oldTip; x !== fork; x = x.parent!) {
      const confirmations = oldTip.height - x.height + 1;
      if (confirmations < this.depth) continue;
      for (const tx of x.block.txs) {
        if (tx.kind === 'coinbase' || tx.kind === 'filler') continue;
        if (!newTip.state.txIndex.has(tx.txid)) {
          return {
            kind: 'safety',
            invariant: this.name,
            message: `node ${node} reversed tx ${tx.txid.slice(0, 16)} with ${confirmations} confirmations (≥ ${this.depth}): reorg from height ${oldTip.height} to ${newTip.height} at fork ${fork.height}`,
          };
        }
      }
    }
    return undefined;
  }
}

export class ForkConvergence implements Observer {
  readonly name = 'fork-convergence';
  constructor(
    /** Blocks below the best honest tip within which all tips must agree. */
    readonly slack: number,
    /** Tips of the live honest nodes at the end of the run. */
    private readonly tips: () => { node: NodeId; tip: BlockEntry }[],
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
