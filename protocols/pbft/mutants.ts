/**
 * Deliberately broken replicas for the check harness (mutation testing of the checkers): each
 * overrides one rule of the honest replica. A checker is only trusted if it catches them.
 *
 * - `commit-quorum-2f`  commits with 2f matching commits instead of 2f + 1 (TOCS'02 §4.2), so two
 *                       commit quorums need not share a correct replica.
 * - `forget-prepared`   sends view-changes with empty P and Q sets (TOCS'02 §4.4), so a new
 *                       primary may re-propose a sequence number some replica already committed
 *                       (the null request or another batch) — agreement breaks even with no
 *                       Byzantine replica at all.
 * - `skip-request-auth` accepts client requests without checking the digest or the MAC
 *                       (TOCS'02 §4.2 "the request is authentic"): a Byzantine primary can order
 *                       operations no client issued (the validity checker must fire).
 * - `execute-out-of-order` executes every committed batch as soon as it commits, not in
 *                       sequence order (the total-order checker must fire).
 * - `rollback-on-new-view` executes a batch once it is prepared and reports it final (tentative
 *                       execution, TOCS'02 §5.1.2, without the "tentative" mark); when a new view
 *                       re-proposes an executed sequence number with another batch it rolls back
 *                       and executes that one instead (the no-revert checker must fire).
 */
import type { NodeContext } from '../../sim/types.ts';
import type { CertEntry, PbftMessage, PreparedEntry, RequestMsg } from './messages.ts';
import { PbftReplica, type Slot } from './replica.ts';

export class CommitQuorum2fReplica extends PbftReplica {
  protected override commitQuorum(): number {
    return this.quorum() - 1; // 2f when k = 3f + 1
  }
}

export class ForgetPreparedReplica extends PbftReplica {
  protected override certificatesForViewChange(): { prepared: PreparedEntry[]; prePrepared: CertEntry[] } {
    return { prepared: [], prePrepared: [] };
  }
}

export class SkipRequestAuthReplica extends PbftReplica {
  protected override requestAuthentic(_ctx: NodeContext<PbftMessage>, _r: RequestMsg): boolean {
    return true;
  }
}

export class ExecuteOutOfOrderReplica extends PbftReplica {
  protected override executeReady(ctx: NodeContext<PbftMessage>): void {
    for (const seq of [...this.slots.keys()]) {
      const s = this.slots.get(seq)!;
      if (!s.committed || !s.requests || this.chains[seq] !== undefined) continue;
      if (seq > this.lastExec + 1) this.chains[seq - 1] ??= this.chains[this.lastExec];
      this.execute(ctx, seq, s.ppView, s.ppBatch, s.requests, 'commit');
    }
  }
}

/**
 * Tentative execution (TOCS'02 §5.1.2) done wrong: a batch executes as soon as it is prepared
 * and the replica reports it committed, although a view change may still replace it; when a new
 * view then re-proposes an executed sequence number with another batch, the replica rolls its
 * ledger back and executes the new view's batch in its place — reverting a block it reported
 * final. (§5.1.2 allows tentative execution only with replies marked tentative and the block
 * not final until it commits.)
 */
export class RollbackOnNewViewReplica extends PbftReplica {
  protected override checkProgress(ctx: NodeContext<PbftMessage>, s: Slot): void {
    super.checkProgress(ctx, s);
    if (s.prepared && !s.committed && s.ppView === this.view && !this.changing) {
      s.committed = true; // tentative, reported as final
      this.executeReady(ctx);
    }
  }

  protected override acceptPrePrepare(ctx: NodeContext<PbftMessage>, seq: number, view: number, batch: string, requests: RequestMsg[]): void {
    const revert = seq > this.h && seq <= this.lastExec && this.ledger[seq - 1]?.batch !== batch;
    if (revert) {
      // Throw away the executed suffix from `seq` on and adopt the new primary's batch.
      for (const b of this.ledger.slice(seq - 1)) for (const r of b.requests) this.results.forget(r.client, r.timestamp);
      this.lastExec = seq - 1;
      this.ledger.length = seq - 1;
      this.chains.length = seq;
      for (const [n, slot] of this.slots) if (n >= seq) slot.committed = false;
    }
    super.acceptPrePrepare(ctx, seq, view, batch, requests);
    if (revert) {
      this.slot(seq).committed = true;
      this.executeReady(ctx);
    }
  }
}

/** A replica implementation: the honest `PbftReplica` or one of the mutants above. */
export type ReplicaClass = new (...args: ConstructorParameters<typeof PbftReplica>) => PbftReplica;

/**
 * The mutants by name, with the rule each breaks and the invariant it is named after; the
 * module (module.ts) declares them as `pbftModule.mutants` (sim/protocol.ts `ProtocolMutant`).
 */
export const PBFT_MUTANTS: Readonly<Record<string, { description: string; invariant: string; replica: ReplicaClass }>> = {
  'commit-quorum-2f': { description: 'commits with 2f matching commits instead of 2f + 1 (TOCS\'02 §4.2 committed-local)', invariant: 'agreement', replica: CommitQuorum2fReplica },
  'forget-prepared': { description: 'view-changes carry no prepared or pre-prepared certificates (TOCS\'02 §4.4 P and Q sets)', invariant: 'agreement', replica: ForgetPreparedReplica },
  'skip-request-auth': { description: "accepts client requests without checking the digest and the client's MAC (TOCS'02 §4.2)", invariant: 'validity', replica: SkipRequestAuthReplica },
  'execute-out-of-order': { description: 'executes each batch as it commits instead of in sequence-number order (TOCS\'02 §4.2)', invariant: 'total-order', replica: ExecuteOutOfOrderReplica },
  'rollback-on-new-view': { description: "executes batches once prepared and reports them final, then rolls them back when a new view re-proposes their sequence numbers (TOCS'02 §5.1.2 tentative execution)", invariant: 'no-revert', replica: RollbackOnNewViewReplica },
};
