/**
 * The parties of seed 002's settlement network (Yu–Hu–Ding 2021, §2 and Fig. 1) and where they
 * run: patients (clients), TCM hospitals and the medical-insurance centre (organisations, each
 * with one endorsing and committing peer), the regulator (a committing peer that audits), and the
 * ordering service (a PBFT committee, protocols/pbft).
 *
 * Node layout of a run: orderers 0 … K − 1, organisation peers K … K + O − 1 (hospitals first,
 * then the insurer), the regulator K + O, patients K + O + 1 … K + O + P, then any extra
 * attacker nodes (replay eavesdroppers); further nodes idle.
 *
 * Accounts (ledger keys `balance/<account>`): `patient/<i>`, `hospital/<j>`, `insurer`. Each
 * balance is a Paillier ciphertext under its owner's key; the regulator has a key (for E_R(T))
 * but no balance. Keys come from `SettlementKeys` (keys.ts) keyed by the scenario's key seed, so every node and
 * every checker of a run, and every run with that key seed, use the same keys.
 *
 * Who may use what: a node uses the private key of its own account only; the directory hands out
 * all private keys because the invariant checkers are omniscient observers (they decrypt every
 * balance to judge conservation), not because nodes may.
 */
import type { NodeId } from '../../sim/types.ts';
import type { PaillierKeyPair, PaillierPublicKey } from '../crypto/paillier.ts';
import type { RingPedersenParams, RingPedersenSetup } from '../crypto/ring-pedersen.ts';
import type { SettlementKeys } from './keys.ts';

export type AccountKind = 'patient' | 'hospital' | 'insurer';

export interface Account {
  /** Account id, e.g. `patient/3`, `hospital/0`, `insurer`. */
  readonly id: string;
  readonly kind: AccountKind;
  /** The node that owns the account (signs for it, holds its secret key). */
  readonly node: NodeId;
  /** Organisation index for hospitals and the insurer; null for patients. */
  readonly org: number | null;
  readonly publicKey: PaillierPublicKey;
}

export interface Organisation {
  /** 0 … O − 1: hospitals, then the insurer. */
  readonly index: number;
  /** `hospital/<j>` or `insurer`. */
  readonly name: string;
  /** Its peer's node id. */
  readonly peer: NodeId;
}

export interface LayoutOptions {
  /** Ordering nodes (PBFT committee size). */
  orderers: number;
  hospitals: number;
  /** Whether the medical-insurance centre is an organisation (and a payee). */
  insurer: boolean;
  patients: number;
  /** Extra attacker client nodes after the patients. */
  extraNodes: number;
}

/** Node ids by role (see header). */
export class Layout {
  readonly orderers: readonly NodeId[];
  readonly orgs: readonly Organisation[];
  readonly regulator: NodeId;
  readonly patients: readonly NodeId[];
  readonly extra: readonly NodeId[];
  readonly nodes: number;

  constructor(o: LayoutOptions) {
    this.orderers = Array.from({ length: o.orderers }, (_, i) => i);
    const names = [...Array.from({ length: o.hospitals }, (_, j) => `hospital/${j}`), ...(o.insurer ? ['insurer'] : [])];
    this.orgs = names.map((name, index) => ({ index, name, peer: o.orderers + index }));
    this.regulator = o.orderers + names.length;
    this.patients = Array.from({ length: o.patients }, (_, i) => this.regulator + 1 + i);
    this.extra = Array.from({ length: o.extraNodes }, (_, i) => this.regulator + 1 + o.patients + i);
    this.nodes = this.regulator + 1 + o.patients + o.extraNodes;
  }

  /** Committing peers: every organisation's peer and the regulator. */
  get committers(): NodeId[] {
    return [...this.orgs.map((o) => o.peer), this.regulator];
  }

  orgOfPeer(node: NodeId): Organisation | undefined {
    const i = node - this.orderers.length;
    return i >= 0 && i < this.orgs.length ? this.orgs[i] : undefined;
  }

  patientIndex(node: NodeId): number {
    return node - this.regulator - 1;
  }
}

export interface DirectoryOptions {
  /** Paillier modulus bits of every account and of the regulator (1024 / 2048 / 4096). */
  keyBits: number;
  /** Bits of the regulator's ring-Pedersen modulus N̂. */
  setupBits: number;
  /** Initial balance of each patient (amount units). */
  patientBalance: bigint;
  /** Initial balance of each hospital and of the insurer. */
  orgBalance: bigint;
}

/** Accounts, keys and the regulator's proof setup of one run. */
export class Directory {
  readonly accounts = new Map<string, Account>();
  /** Genesis balance ciphertexts by account. */
  readonly genesis = new Map<string, bigint>();
  /** Genesis plaintext balances (public at genesis: the insurer's initial deposits). */
  readonly genesisAmounts = new Map<string, bigint>();
  readonly regulatorKey: PaillierKeyPair;
  /** The regulator's ring-Pedersen setup (N̂, s, t) and trapdoor (kept by the regulator). */
  readonly setupWithTrapdoor: RingPedersenSetup;
  private readonly keyPairs = new Map<string, PaillierKeyPair>();
  private readonly byNode = new Map<NodeId, Account>();

  constructor(
    readonly layout: Layout,
    readonly options: DirectoryOptions,
    readonly store: SettlementKeys,
  ) {
    const add = (id: string, kind: AccountKind, node: NodeId, org: number | null, amount: bigint) => {
      const kp = store.paillier(`account/${id}`, options.keyBits);
      this.keyPairs.set(id, kp);
      const a: Account = { id, kind, node, org, publicKey: kp.publicKey };
      this.accounts.set(id, a);
      this.byNode.set(node, a);
      this.genesis.set(id, store.genesisBalance(`account/${id}`, options.keyBits, amount));
      this.genesisAmounts.set(id, amount);
    };
    layout.patients.forEach((node, i) => add(`patient/${i}`, 'patient', node, null, options.patientBalance));
    for (const o of layout.orgs) add(o.name, o.name === 'insurer' ? 'insurer' : 'hospital', o.peer, o.index, options.orgBalance);
    this.regulatorKey = store.paillier('regulator', options.keyBits);
    this.setupWithTrapdoor = store.ringPedersen('regulator/setup', options.setupBits);
  }

  get setup(): RingPedersenParams {
    return this.setupWithTrapdoor.params;
  }

  get regulatorPublicKey(): PaillierPublicKey {
    return this.regulatorKey.publicKey;
  }

  account(id: string): Account | undefined {
    return this.accounts.get(id);
  }

  accountOfNode(node: NodeId): Account | undefined {
    return this.byNode.get(node);
  }

  /** The owner's key pair (for the owner node, and for omniscient checkers only). */
  keyPair(id: string): PaillierKeyPair {
    const kp = this.keyPairs.get(id);
    if (!kp) throw new RangeError(`settlement: no account ${id}`);
    return kp;
  }

  /** Total value at genesis (conservation checks compare against it). */
  get totalSupply(): bigint {
    let s = 0n;
    for (const v of this.genesisAmounts.values()) s += v;
    return s;
  }
}
