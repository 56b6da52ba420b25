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

interface ReencryptObs extends Observation {
  kind: 'dpos.reencrypt';
  record: string;
  grantee: number;
  delegation: string;
  /** The proxy's ledger height when it served. */
  seq: number;
}

/**
 * `no-ungranted-reencryption`: an honest proxy produces a cFrag for (record R, grantee B) only
 * while the agreed log, up to the proxy's own ledger height, holds a committed grant for (R, B)
 * with the delegation of the kFrag it used and no later revoke. Judged against the shared model
 * ledger (the same agreed log as `committee-matches-tally`), not the proxy's own state. Byzantine
 * proxies (and PBFT-Byzantine delegates) are counted, not judged: re-encrypting without a grant is
 * exactly what proxy re-encryption cannot prevent (docs/dpos.md, "Off-chain records and sharing").
 */
export class NoUngrantedReencryptionChecker implements Observer {
  readonly name = 'no-ungranted-reencryption';
  /** Re-encryptions by judged (honest) proxies, and how many of them had no grant in force. */
  honestServed = 0;
  honestUngranted = 0;
  /** The same for Byzantine proxies (not judged). */
  byzantineServed = 0;
  byzantineUngranted = 0;
  /** Observations whose ledger height the model has not reached yet (checked when it has). */
  private readonly deferred: { node: NodeId; o: ReencryptObs }[] = [];

  constructor(
    /** The agreed-log model (shared with the tally checker, which feeds it and must come first). */
    readonly model: DposLedger,
    /** Nodes not judged: Byzantine proxies and PBFT-Byzantine delegates. */
    private readonly unjudged: ReadonlySet<NodeId>,
  ) {}

  onObservation(node: NodeId, obs: Observation, _now: Micros): Violation | undefined {
    if (obs.kind === 'dpos.block' && this.deferred.length > 0) {
      const ready = this.deferred.filter((d) => d.o.seq <= this.model.lastSeq);
      if (ready.length === 0) return undefined;
      this.deferred.splice(0, this.deferred.length, ...this.deferred.filter((d) => d.o.seq > this.model.lastSeq));
      for (const d of ready) {
        const v = this.judge(d.node, d.o);
        if (v) return v;
      }
      return undefined;
    }
    if (obs.kind !== 'dpos.reencrypt') return undefined;
    const o = obs as ReencryptObs;
    if (o.seq > this.model.lastSeq) {
      this.deferred.push({ node, o });
      return undefined;
    }
    return this.judge(node, o);
  }

  private judge(node: NodeId, o: ReencryptObs): Violation | undefined {
    const granted = this.model.granted(o.record, o.grantee, o.delegation, o.seq);
    if (this.unjudged.has(node)) {
      this.byzantineServed++;
      if (!granted) this.byzantineUngranted++;
      return undefined;
    }
    this.honestServed++;
    if (granted) return undefined;
    this.honestUngranted++;
    const last = this.model.accessAt(o.record, o.grantee, o.seq);
    const state = !last ? 'no access event' : last.grant ? `a grant of another delegation (${last.delegation?.id.slice(0, 12) ?? 'none'}) at seq ${last.seq}` : `a revoke at seq ${last.seq}`;
    return {
      kind: 'safety',
      invariant: this.name,
      message: `proxy ${node} re-encrypted record ${o.record.slice(0, 12)}… for institution ${o.grantee} (delegation ${o.delegation.slice(0, 12)}…) at ledger seq ${o.seq}, but the agreed log holds ${state}`,
    };
  }
}
