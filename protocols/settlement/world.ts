/**
 * What every node of a settlement run shares: the layout, the account directory and keys, the
 * endorsement policy, the CPU costs it charges, timing and workload options. Immutable once
 * built (module.ts builds it from the scenario).
 */
import type { Micros, NodeContext, NodeId } from '../../sim/types.ts';
import type { KeyRing } from '../pbft/auth.ts';
import type { PbftOptions } from '../pbft/replica.ts';
import { ChaincodeRegistry, Ledger, type EndorsementPolicy, type LedgerEnv, type StateValue } from './ledger.ts';
import { balanceKey, PayChaincode } from './pay-chaincode.ts';
import type { Directory, Layout } from './parties.ts';
import type { PaymentEnv } from './payment.ts';

/** CPU time charged per operation, µs (0 = free). From the cost table (costs.ts). */
export interface SettlementCosts {
  /** Build and sign one payment (settlement proofs + regulator copy), payer. */
  proveUs: Micros;
  /** Verify one payment (2e, 2a–2d, 2r), endorser and regulator. */
  verifyUs: Micros;
  /** One Paillier decryption (payer reading its balance; regulator reading T_R). */
  decryptUs: Micros;
  /** Apply one payment's writes (two unit checks, one ciphertext product), committer. */
  creditUs: Micros;
  /** One Ed25519 signature (authorisation, endorsement). */
  signUs: Micros;
  /** One Ed25519 verification (endorsements at committers). */
  sigVerifyUs: Micros;
  /** One PBFT MAC tag (orderers). */
  macUs: Micros;
  /** Verify the regulator's Π^prm proof for the ring-Pedersen setup (each patient, once). */
  setupVerifyUs: Micros;
}

export const FREE: SettlementCosts = { proveUs: 0, verifyUs: 0, decryptUs: 0, creditUs: 0, signUs: 0, sigVerifyUs: 0, macUs: 0, setupVerifyUs: 0 };

export interface WorkloadOptions {
  /** Bills per second per patient (Poisson). */
  ratePerSec: number;
  /** Smallest and largest bill, amount units (uniform integers). */
  minAmount: number;
  maxAmount: number;
  /** Fraction of bills payable to the insurer (the rest to a uniformly chosen hospital). */
  insurerShare: number;
  /** Most payments a patient has in flight; > 1 builds several on the same committed balance (conflicts). */
  inFlight: number;
  /** Bills per patient at most (Infinity = no limit). */
  maxBills: number;
  startUs: Micros;
  stopUs: Micros;
}

export interface TimingOptions {
  /** A patient waits this long for endorsements before asking other organisations. */
  endorseTimeoutUs: Micros;
  /** An endorser whose ledger is behind a proposal's read set waits at most this long. */
  endorseWaitUs: Micros;
  /** A committer missing a block pulls it from other orderers after this long. */
  deliveryTimeoutUs: Micros;
  /** A patient with no outcome for a submitted payment queries its balance after this long. */
  statusTimeoutUs: Micros;
}

export interface SettlementWorld {
  readonly seed: number;
  readonly layout: Layout;
  readonly directory: Directory;
  readonly keys: KeyRing;
  readonly payment: PaymentEnv;
  readonly policy: EndorsementPolicy;
  readonly costs: SettlementCosts;
  readonly pbft: PbftOptions;
  readonly retransmitUs: Micros;
  readonly workload: WorkloadOptions;
  readonly timing: TimingOptions;
  /** Byzantine faults tolerated by the ordering committee (f = ⌊(K − 1)/3⌋). */
  readonly ordererFaults: number;
}

/** The genesis world state: every account's balance ciphertext at version 0. */
export function genesisState(d: Directory): Map<string, StateValue> {
  const m = new Map<string, StateValue>();
  for (const a of d.accounts.values()) m.set(balanceKey(a.id), { kind: 'ciphertext', ciphertext: d.genesis.get(a.id)!, publicKey: a.publicKey });
  return m;
}

/** The ledger environment of a node: policy, peers, signature checks charged to `charge`. */
export function ledgerEnv(w: SettlementWorld, charge?: () => NodeContext<never> | undefined): LedgerEnv {
  return {
    policy: w.policy,
    peerOf: (org) => w.layout.orgs[org]?.peer,
    verifySignature: (node, digest, sig) => w.keys.verify(node, digest, sig),
    onSignatureCheck: charge ? () => charge()?.charge(w.costs.sigVerifyUs) : undefined,
  };
}

/** The chaincodes of an honest node (the `pay` chaincode; channels add theirs here). */
export function chaincodes(w: SettlementWorld, onVerify?: () => void): ChaincodeRegistry {
  return new ChaincodeRegistry().register(new PayChaincode(w.payment, onVerify));
}

/** A fresh ledger at genesis. */
export function newLedger(w: SettlementWorld, env: LedgerEnv, registry = chaincodes(w)): Ledger {
  return new Ledger(genesisState(w.directory), registry, env);
}

export type { NodeId };
