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
import type { ReplicaVariant } from './replica.ts';
import { ExecutionLog } from './replica/execution.ts';
import { NormalCase, type Slot } from './replica/normal-case.ts';
import { RequestBook } from './replica/requests.ts';
import { ViewChanges } from './replica/view-change.ts';

// Each mutant replaces one part of the replica (replica/parts.ts `ReplicaVariant`) with a
// subclass that changes one rule, through the part's own methods — never another part's state.

class CommitQuorum2f extends NormalCase {
  override commitQuorum(): number {
    return this.parts.core.quorum() - 1; // 2f when k = 3f + 1
  }
}

class ForgetPrepared extends ViewChanges {
  override certificatesForViewChange(): { prepared: PreparedEntry[]; prePrepared: CertEntry[] } {
    return { prepared: [], prePrepared: [] };
  }
}

class SkipRequestAuth extends RequestBook {
  override requestAuthentic(_ctx: NodeContext<PbftMessage>, _r: RequestMsg): boolean {
    return true;
  }
}

/** Executes every committed batch as soon as it commits, whatever its sequence number. */
class ExecuteOutOfOrder extends NormalCase {
  override executeReady(ctx: NodeContext<PbftMessage>): void {
    const exec = this.parts.exec;
    for (const seq of [...this.slots.keys()]) {
      const s = this.slots.get(seq)!;
      if (!s.committed || !s.requests || exec.stateAt(seq) !== undefined) continue;
      exec.execute(ctx, seq, s.ppView, s.ppBatch, s.requests, 'commit');
    }
  }
}

/** …on top of whatever state it reached last (the state chain has a gap below an early batch). */
class ExecuteOnLatestState extends ExecutionLog {
  protected override parentState(seq: number): string {
    return this.chains[seq - 1] ?? this.chains[this.lastExec];
  }
}

/**
 * Tentative execution (TOCS'02 §5.1.2) done wrong: a batch executes as soon as it is prepared
 * and the replica reports it committed, although a view change may still replace it; when a new
 * view then re-proposes an executed sequence number with another batch, the replica rolls its
 * execution back (`ExecutionLog.rollBackFrom`) and executes the new view's batch in its place —
 * reverting a block it reported final. (§5.1.2 allows tentative execution only with replies
 * marked tentative and the block not final until it commits.)
 */
class RollbackOnNewView extends NormalCase {
  override checkProgress(ctx: NodeContext<PbftMessage>, s: Slot): void {
    super.checkProgress(ctx, s);
    const core = this.parts.core;
    if (s.prepared && !s.committed && s.ppView === core.view && !core.changing) this.markCommitted(ctx, s); // tentative, reported as final
  }

  override acceptPrePrepare(ctx: NodeContext<PbftMessage>, seq: number, view: number, batch: string, requests: RequestMsg[]): void {
    const exec = this.parts.exec;
    const revert = seq > this.parts.checkpoints.h && seq <= exec.lastExec && exec.ledger[seq - 1]?.batch !== batch;
    if (revert) {
      // Throw away the executed suffix from `seq` on and adopt the new primary's batch.
      exec.rollBackFrom(seq);
      this.uncommitFrom(seq);
    }
    super.acceptPrePrepare(ctx, seq, view, batch, requests);
    if (revert) this.markCommitted(ctx, this.slot(seq));
  }
}

/**
 * The mutants by name, with the rule each breaks and the invariant it is named after; the
 * module (module.ts) declares them as `pbftModule.mutants` (sim/protocol.ts `ProtocolMutant`).
 */
export const PBFT_MUTANTS: Readonly<Record<string, { description: string; invariant: string; variant: ReplicaVariant }>> = {
  'commit-quorum-2f': { description: 'commits with 2f matching commits instead of 2f + 1 (TOCS\'02 §4.2 committed-local)', invariant: 'agreement', variant: { normalCase: CommitQuorum2f } },
  'forget-prepared': { description: 'view-changes carry no prepared or pre-prepared certificates (TOCS\'02 §4.4 P and Q sets)', invariant: 'agreement', variant: { viewChanges: ForgetPrepared } },
  'skip-request-auth': { description: "accepts client requests without checking the digest and the client's MAC (TOCS'02 §4.2)", invariant: 'validity', variant: { requests: SkipRequestAuth } },
  'execute-out-of-order': { description: 'executes each batch as it commits instead of in sequence-number order (TOCS\'02 §4.2)', invariant: 'total-order', variant: { normalCase: ExecuteOutOfOrder, execution: ExecuteOnLatestState } },
  'rollback-on-new-view': { description: "executes batches once prepared and reports them final, then rolls them back when a new view re-proposes their sequence numbers (TOCS'02 §5.1.2 tentative execution)", invariant: 'no-revert', variant: { normalCase: RollbackOnNewView } },
};
