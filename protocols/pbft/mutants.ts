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
 */
import type { CertEntry, PreparedEntry } from './messages.ts';
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

/** Mutants by name (scenario `protocol.mutant`). */
export const MUTANTS = {
  'commit-quorum-2f': CommitQuorum2fReplica,
  'forget-prepared': ForgetPreparedReplica,
} as const;

export type MutantName = keyof typeof MUTANTS;
export const MUTANT_NAMES = Object.keys(MUTANTS) as MutantName[];
