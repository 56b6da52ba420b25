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
 * - `rollback-on-new-view` forgets P and Q like `forget-prepared` and, worse, when a new primary
 *                       pre-prepares another batch for a sequence number it has executed, rolls
 *                       its ledger back and executes the new one (the no-revert checker must fire).
 */
import type { NodeContext } from '../../sim/types.ts';
import type { CertEntry, PbftMessage, PreparedEntry, RequestMsg } from './messages.ts';
import { PbftReplica } from './replica.ts';

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

export class RollbackOnNewViewReplica extends ForgetPreparedReplica {
  protected override acceptPrePrepare(ctx: NodeContext<PbftMessage>, seq: number, view: number, batch: string, requests: RequestMsg[]): void {
    if (seq <= this.lastExec && this.ledger[seq - 1]?.batch !== batch) {
      // Throw away the executed suffix and adopt the new primary's log instead.
      this.lastExec = seq - 1;
      this.ledger.length = seq - 1;
      this.chains.length = seq;
      this.results.clear();
      for (const [n, s] of this.slots) if (n >= seq) s.committed = false;
      if (this.h > this.lastExec) this.h = Math.floor(this.lastExec / this.options.checkpointInterval) * this.options.checkpointInterval;
    }
    super.acceptPrePrepare(ctx, seq, view, batch, requests);
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
