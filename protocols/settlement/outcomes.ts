/**
 * The settlement protocol's headline outcomes (sim/protocol.ts "headline"): what a researcher of
 * seed 002 runs it to learn — how many payments the chain settled and how fast, how many the
 * committers invalidated and why, what the endorsers refused, whether the regulator's audit
 * passed, and whether an attack got anything onto the ledger. Read from the module's summary.
 */
import type { HeadlineOutcome } from '../../sim/protocol.ts';
import type { SettlementConfig } from './module.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const sum = (v: unknown): number | undefined =>
  v !== null && typeof v === 'object' ? Object.values(v as Record<string, unknown>).reduce<number>((a, x) => a + (num(x) ?? 0), 0) : undefined;

export const settlementHeadline: readonly HeadlineOutcome<SettlementConfig>[] = [
  {
    name: 'committed',
    label: 'committed payments',
    kind: 'count',
    unit: 'payments',
    description: 'Payments applied by the honest committers (valid in an ordered block).',
    read: (s) => num(s.committed),
  },
  {
    name: 'throughput',
    label: 'settlement throughput',
    kind: 'rate',
    unit: 'payments/s',
    description: 'Committed payments per second of virtual time (CPU of the real cryptography charged from the cost table).',
    read: (s) => num(s.committedPerSec),
  },
  {
    name: 'invalidated',
    label: 'invalidated transactions',
    kind: 'count',
    unit: 'transactions',
    description: 'Ordered transactions the committers marked invalid: stale read set (version), replay (duplicate), endorsement policy, malformed; by reason in `invalidated`.',
    read: (s) => sum(s.invalidated),
  },
  {
    name: 'versionConflicts',
    label: 'version-conflict rate',
    kind: 'rate',
    unit: 'fraction',
    description: 'Share of submitted payments invalidated because the payer\'s balance changed after endorsement (MVCC).',
    read: (s) => num(s.conflictRate),
  },
  {
    name: 'refused',
    label: 'refused by endorsers',
    kind: 'count',
    unit: 'proposals',
    description: 'Proposals endorsing peers refused (a failed check 2a–2e / 2r, malformed, stale); by reason in `refused`.',
    read: (s) => sum(s.refused),
  },
  {
    name: 'audit',
    label: "regulator's audit",
    kind: 'categorical',
    categories: ['pass', 'fail'],
    description: 'The regulator decrypts every applied amount: Σ debits = Σ credits, no negative balance, every applied payment passed 2a–2e and 2r.',
    read: (s) => (s.audit as { result?: string } | undefined)?.result,
  },
  {
    name: 'cheatsCommitted',
    label: 'dishonest payments applied',
    kind: 'count',
    unit: 'payments',
    description: 'Payments built by cheating patients (overdraft, mismatch, wrong-balance, foreign-spend, hide-from-regulator, malformed) that the ledger applied; none configured: not counted.',
    read: (s) => {
      const cheats = (s.adversaries as { cheats?: Record<string, { committed: number }> } | undefined)?.cheats;
      if (!cheats || Object.keys(cheats).length === 0) return undefined;
      return Object.values(cheats).reduce((a, c) => a + c.committed, 0);
    },
  },
  {
    name: 'doubleSpendsBothCommitted',
    label: 'racing pairs both applied',
    kind: 'count',
    unit: 'pairs',
    description: 'Pairs of payments built on one balance version of which both were applied (must be 0); no double spender: not counted.',
    read: (s) => num((s.adversaries as { doubleSpends?: { bothCommitted?: number } | null } | undefined)?.doubleSpends?.bothCommitted),
  },
  {
    name: 'latencyP50',
    label: 'median payment latency',
    kind: 'quantity',
    unit: 'ms',
    description: 'Median time from a bill to its payment being committed, as the patient sees it.',
    read: (s) => num((s.latency as { p50Ms?: unknown } | undefined)?.p50Ms),
  },
];
