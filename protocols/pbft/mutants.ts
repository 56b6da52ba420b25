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
 * - `rollback-on-new-view` forgets P and Q like `forget-prepared` and, worse, re-executes a
 *                       sequence number it had executed when a new-view proposes another batch
 *                       for it (the no-revert checker must fire).
 */
import type { NodeContext } from '../../sim/types.ts';
import type { CertEntry, NewViewMsg, PbftMessage, PreparedEntry, RequestMsg } from './messages.ts';
import { PbftReplica } from './replica.ts';

export class CommitQuorum2fReplica extends PbftReplica {
  protected override commitQuorum(): number {
    return 2 * this.f;
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

export class RollbackOnNewViewReplica extends ForgetPreparedReplica {
  protected override enterView(ctx: NodeContext<PbftMessage>, nv: NewViewMsg): void {
    let rollbackTo = Infinity;
    for (const p of nv.proposals) if (p.seq <= this.lastExec && this.ledger[p.seq - 1]?.batch !== p.batch) rollbackTo = Math.min(rollbackTo, p.seq);
    if (rollbackTo !== Infinity) {
      // Throw away the executed suffix and adopt the new view's log instead.
      this.lastExec = rollbackTo - 1;
      this.ledger.length = rollbackTo - 1;
      this.chains.length = rollbackTo;
      this.results.clear();
      if (this.h > this.lastExec) this.h = this.lastExec;
    }
    super.enterView(ctx, nv);
  }
}

/** Mutants by name (scenario `protocol.mutant`). */
export const MUTANTS = {
  'commit-quorum-2f': CommitQuorum2fReplica,
  'forget-prepared': ForgetPreparedReplica,
  'skip-request-auth': SkipRequestAuthReplica,
  'execute-out-of-order': ExecuteOutOfOrderReplica,
  'rollback-on-new-view': RollbackOnNewViewReplica,
} as const;

export type MutantName = keyof typeof MUTANTS;
export const MUTANT_NAMES = Object.keys(MUTANTS) as MutantName[];
