/**
 * `committee-matches-tally`: every honest delegate installs exactly the committee the election
 * dictates (seed 003: "elections and committee changes are themselves transactions agreed by the
 * current committee").
 *
 * The checker keeps its own `DposLedger`, fed from the agreed log — the first honest report of
 * each sequence number (`dpos.block` observations; PBFT's agreement checker guarantees honest
 * reports agree) — so it re-derives, independently of any node's state, which reconfigure was
 * authorised for each epoch. On every honest `dpos.installed` (a committee taking effect on a
 * replica) it compares: a committee no tally authorised, or a different one, is a safety
 * violation.
 */
import type { Micros, NodeId, Observation, Observer, Violation } from '../../sim/types.ts';
import type { DposLedger, LedgerRequest } from './ledger.ts';

interface BlockObs extends Observation {
  kind: 'dpos.block';
  seq: number;
  requests: LedgerRequest[];
}
interface InstalledObs extends Observation {
  kind: 'dpos.installed';
  epoch: number;
  members: number[];
  seq: number;
}

export class CommitteeMatchesTallyChecker implements Observer {
  readonly name = 'committee-matches-tally';
  private readonly buffered = new Map<number, LedgerRequest[]>();
  /** Installations checked (for summaries and tests). */
  checked = 0;

  constructor(
    /** The checker's own ledger (fresh, genesis committee). */
    readonly model: DposLedger,
    private readonly byzantine: ReadonlySet<NodeId>,
  ) {}

  onObservation(node: NodeId, obs: Observation, _now: Micros): Violation | undefined {
    if (this.byzantine.has(node)) return undefined;
    if (obs.kind === 'dpos.block') {
      const b = obs as BlockObs;
      if (b.seq > this.model.lastSeq && !this.buffered.has(b.seq)) this.buffered.set(b.seq, b.requests);
      for (let next = this.model.lastSeq + 1; this.buffered.has(next); next++) {
        const reqs = this.buffered.get(next)!;
        this.buffered.delete(next);
        this.model.applyBlock(next, reqs);
      }
      return undefined;
    }
    if (obs.kind === 'dpos.installed') {
      const o = obs as InstalledObs;
      this.checked++;
      const expected = this.model.committees.get(o.epoch);
      if (!expected) {
        return { kind: 'safety', invariant: this.name, message: `delegate ${node} installed committee [${o.members.join(',')}] for epoch ${o.epoch} at seq ${o.seq}, but no tally authorised a committee for that epoch` };
      }
      if (expected.length !== o.members.length || expected.some((m, i) => m !== o.members[i])) {
        return { kind: 'safety', invariant: this.name, message: `delegate ${node} installed [${o.members.join(',')}] for epoch ${o.epoch}; the tally dictates [${expected.join(',')}]` };
      }
    }
    return undefined;
  }
}
