/**
 * Invariant checkers (observers) for PoW runs (the chain-agnostic `fork-convergence` is in
 * protocols/nakamoto/checkers.ts).
 *
 * - `confirmed-not-reversed(z)` (safety): no honest node ever disconnects a block holding a tx
 *   that had ≥ z confirmations, unless the new chain contains the same tx. This is the property a
 *   merchant waiting for z confirmations relies on (Bitcoin whitepaper §11); with an honest
 *   majority and the most-work rule it holds with overwhelming probability for moderate z.
 */
import type { NodeId, Observation, Observer, Violation } from '../../sim/types.ts';
import { disconnectedConfirmed } from '../nakamoto/checkers.ts';
import type { PowEntry } from './chain.ts';

export class ConfirmedNotReversed implements Observer {
  readonly name = 'confirmed-not-reversed';
  constructor(
    /** Confirmations after which a tx must never be reversed. */
    readonly depth: number,
    private readonly isHonest: (node: NodeId) => boolean,
  ) {}

  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'reorg' || !this.isHonest(node)) return undefined;
    for (const { entry, confirmations, oldTip, newTip, fork } of disconnectedConfirmed<PowEntry>(obs, this.depth)) {
      for (const tx of entry.block.txs) {
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
