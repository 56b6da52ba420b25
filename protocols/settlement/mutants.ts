/**
 * Deliberately broken settlement nodes for the check harness (mutation testing of the
 * invariant checkers): each breaks one rule of the honest code, and the `settlement-safety`
 * suite must catch it with its own invariant while the same seeds without the mutant pass.
 *
 * - `skip-version-check`      committers apply a payment whose read set is stale (no MVCC):
 *                             of two payments built on one balance both commit, the second's A'
 *                             overwrites the first's → caught by conservation-of-value;
 * - `skip-range-check`        endorsers endorse a payment whose ZKRP for A' ≥ 0 fails (2b):
 *                             overdrafts commit → caught by no-negative-balance;
 * - `skip-endorsement-check`  committers accept any endorsements: a payment endorsed only by a
 *                             Byzantine organisation commits under a 2-of-n policy → caught by
 *                             valid-payments-only.
 * They are reached only through `settlementModule.mutants` (docs/check.md "Declaring mutants"),
 * never through the scenario schema. Mutants apply to every honest peer (endorsing mutants) or every honest committer (ledger
 * mutants); Byzantine organisations keep their own behaviour.
 */
import type { NodeContext } from '../../sim/types.ts';
import type { Envelope } from './envelope.ts';
import { ChaincodeRegistry, Ledger, type ReadEntry, type Simulation } from './ledger.ts';
import { PayChaincode } from './pay-chaincode.ts';
import { OrgPeer } from './peer.ts';
import type { PaymentVerdict } from './payment.ts';
import { genesisState, ledgerEnv, type SettlementWorld } from './world.ts';

class SkipVersionCheckLedger extends Ledger {
  protected override readsCurrent(_reads: readonly ReadEntry[]): boolean {
    return true;
  }
}

class SkipEndorsementCheckLedger extends Ledger {
  protected override endorsed(_e: Envelope, _rwDigest: string): boolean {
    return true;
  }
}

class SkipRangeCheckChaincode extends PayChaincode {
  protected override judge(v: PaymentVerdict): Simulation {
    const failed = Object.entries(v.checks).filter(([c, ok]) => !ok && c !== '2b');
    return failed.length === 0 ? { ok: true } : { ok: false, reason: v.reason! };
  }
}

class SkipRangeCheckPeer extends OrgPeer {
  protected override makeRegistry(onVerify: () => void): ChaincodeRegistry {
    return new ChaincodeRegistry().register(new SkipRangeCheckChaincode(this.w.payment, onVerify));
  }
}

type LedgerFactory = (w: SettlementWorld, charge: () => NodeContext<never> | undefined) => Ledger;

export interface SettlementMutant {
  /** The rule it breaks (one line, citing the rule's source). */
  readonly description: string;
  /** The checker that must catch it (checkers.ts names). */
  readonly invariant: string;
  /** Replaces honest organisation peers (endorsing mutants). */
  readonly peer?: typeof OrgPeer;
  /** Replaces the ledger of honest committers (committing mutants). */
  readonly ledger?: LedgerFactory;
}

export const MUTANTS: Readonly<Record<string, SettlementMutant>> = {
  'skip-version-check': {
    description: "committers skip the read-set version check (Fabric's MVCC validation): a payment built on a superseded balance is applied",
    invariant: 'conservation-of-value',
    ledger: (w, charge) => new SkipVersionCheckLedger(genesisState(w.directory), new ChaincodeRegistry().register(new PayChaincode(w.payment)), ledgerEnv(w, charge)),
  },
  'skip-range-check': {
    description: 'endorsers skip check 2b (seed 002 §3.3: the range proof A\' ≥ 0 of the new balance)',
    invariant: 'no-negative-balance',
    peer: SkipRangeCheckPeer,
  },
  'skip-endorsement-check': {
    description: "committers accept a transaction without checking the endorsement policy (Fabric's VSCC)",
    invariant: 'valid-payments-only',
    ledger: (w, charge) => new SkipEndorsementCheckLedger(genesisState(w.directory), new ChaincodeRegistry().register(new PayChaincode(w.payment)), ledgerEnv(w, charge)),
  },
};

