/**
 * The record contracts' engine: the interface the ringchain chain calls (seed 001 §3,
 * Protocols 1–3: RC register contract, MRC medical-record contract, ALC access-list contract).
 *
 * Division of labour with the chain (`protocols/ringchain/`):
 *   - the chain decodes `RLP(Tn, Tt, Ts, Tc)` / `RLP(Tn, Tt, Td, Ts)`, verifies the ring signature,
 *     derives the sender pseudonym from the key image, enforces (key image, nonce) uniqueness,
 *     keeps the externally-owned accounts (balances, nonces), pays block rewards and fees, builds
 *     the state root and decides the block gas budget;
 *   - the engine executes one transaction against the contract world state (σ → σ′ for the
 *     contract accounts, yellow paper §6 "Transaction Execution"), meters gas from the yellow
 *     paper's schedule, and reports status, gas, fee, return data, logs and decoded events.
 *
 * Bytes on the wire are real Ethereum bytes, so the same transaction drives this engine and
 * `@ethereumjs/evm` (the differential test in test/ringchain/contracts-differential.test.ts):
 *   - `Tc` (deployment code) = the compiled **init bytecode** of RC, MRC or ALC (solc output,
 *     committed in `compiled.json`) followed by the ABI-encoded constructor arguments. The engine
 *     recognises the contract by its init-code prefix (compared byte for byte); any other code is
 *     `invalid` (this simulator runs only the three record contracts).
 *   - `Td` (call data) = the ABI call data: 4-byte selector ‖ ABI-encoded arguments
 *     (Solidity ABI specification, "Function Selector and Argument Encoding").
 *
 * Gas schedule: the **Prague** (Pectra) fork's, see gas-schedule.ts for every constant and the EIP
 * that sets it. Fees follow the pre-London (legacy) rule: the whole fee `gasUsed × gasPrice` goes
 * to the block's beneficiary (no base-fee burn — the ringchain is a PoW chain with its own fee
 * policy, seed 001 §2.2).
 *
 * Determinism: everything here is pure — no clock, no randomness, no iteration over
 * arrival-ordered collections; the same (state, transaction, block) gives the same result in any
 * process.
 */

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

/**
 * A 20-byte account address, written `0x` + 40 **lowercase** hex digits (the one canonical
 * spelling, so addresses compare and sort as strings and key maps directly).
 *
 * For ringchain senders the address is a pseudonym the chain derives from the ring signature's key
 * image (its choice; the engine only takes a sender address). Contract addresses follow the
 * CREATE rule (yellow paper eq. 86): the last 20 bytes of KEC(RLP(sender, nonce)).
 */
export type Address = string & { readonly __address: unique symbol };

/** Length of an address, in bytes. */
export const ADDRESS_BYTES = 20;

const ADDRESS_PATTERN = /^0x[0-9a-f]{40}$/;

/** Checks and brands a canonical address string (`0x` + 40 lowercase hex digits); throws otherwise. */
export function parseAddress(text: string): Address {
  if (typeof text !== 'string' || !ADDRESS_PATTERN.test(text)) {
    throw new TypeError(`address must be 0x followed by 40 lowercase hex digits, got ${JSON.stringify(text)}`);
  }
  return text as Address;
}

/** The address spelled by 20 bytes. */
export function addressFromBytes(bytes: Uint8Array): Address {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ADDRESS_BYTES) {
    throw new TypeError(`address must be ${ADDRESS_BYTES} bytes`);
  }
  let hex = '0x';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex as Address;
}

/** The 20 bytes of an address. */
export function addressToBytes(address: Address): Uint8Array {
  parseAddress(address);
  const out = new Uint8Array(ADDRESS_BYTES);
  for (let i = 0; i < ADDRESS_BYTES; i++) out[i] = parseInt(address.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

/** The zero address (no account; the `to` of a deployment in Ethereum's encoding is empty instead). */
export const ZERO_ADDRESS = ('0x' + '00'.repeat(ADDRESS_BYTES)) as Address;

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

/** The block a transaction executes in (yellow paper §4.3, header fields H_i, H_s, H_c, H_l). */
export interface BlockEnv {
  /** Block number H_i (genesis = 0), a non-negative safe integer. */
  readonly number: number;
  /** Block timestamp H_s, in **seconds** (Unix epoch in virtual time); MRCs store it as their record timestamp. */
  readonly timestamp: number;
  /** Beneficiary H_c: the miner credited with every fee of the block. */
  readonly beneficiary: Address;
  /** Block gas limit H_l, in gas. A transaction whose own gas limit exceeds it is `invalid`. */
  readonly gasLimit: number;
}

/** Per-transaction gas terms (Ethereum's T_g and T_p; seed 001's RLP omits them, the chain supplies them). */
export interface TxGas {
  /** Gas limit T_g, in gas: the most this transaction may consume, paid for up front by the chain. */
  readonly gasLimit: number;
  /** Gas price T_p, in **wei per gas** (1 ether = 10^18 wei). */
  readonly gasPrice: bigint;
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

/** Deployment `RLP(Tn, Tt = ∅, Ts, Tc)` as the engine sees it (after the chain checked Ts). */
export interface DeployTx extends TxGas {
  readonly kind: 'deploy';
  /** The sender (pseudonym), becomes the contract's owner / institution (`msg.sender` in the constructor). */
  readonly sender: Address;
  /** Tn: the sender's transaction count before this one; with `sender` it fixes the new address (CREATE rule). */
  readonly nonce: number;
  /** Tc: init bytecode of RC / MRC / ALC ‖ ABI-encoded constructor arguments, in bytes. */
  readonly code: Uint8Array;
}

/** Contract call `RLP(Tn, Tt, Td, Ts)` as the engine sees it. Calls carry no value (seed 001 has no value field). */
export interface CallTx extends TxGas {
  readonly kind: 'call';
  /** The sender (pseudonym): `msg.sender` of the outermost call. */
  readonly sender: Address;
  /** Tn: the sender's transaction count; not used by the contracts (the chain checks it). */
  readonly nonce: number;
  /** Tt: the called address. A call to an address without a contract succeeds and does nothing (as in the EVM). */
  readonly to: Address;
  /** Td: ABI call data (4-byte selector ‖ arguments), in bytes. */
  readonly data: Uint8Array;
}

export type ContractTx = DeployTx | CallTx;

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/**
 * - `success`: executed; state changes kept.
 * - `revert`: the contract refused (REVERT: not the owner, not warranted, malformed arguments,
 *   unknown function…); state changes undone, gas used so far is charged, `returnData` holds the
 *   revert data (an ABI-encoded custom error, or empty).
 * - `out-of-gas`: the gas limit ran out; state changes undone, the whole gas limit is charged.
 * - `invalid`: the transaction cannot be included in a block at all (gas limit below the intrinsic
 *   gas or above the block gas limit, unknown deployment code); nothing changes, no fee. The chain
 *   must reject a block containing one.
 */
export type ExecStatus = 'success' | 'revert' | 'out-of-gas' | 'invalid';

/** A log record (yellow paper §4.3.1, O = (O_a, (O_t0, O_t1, …), O_d)) exactly as the EVM emits it. */
export interface LogRecord {
  /** O_a: the emitting contract. */
  readonly address: Address;
  /** O_t: 0–4 topics, each 32 bytes (topic 0 = Keccak-256 of the event signature). */
  readonly topics: readonly Uint8Array[];
  /** O_d: ABI-encoded non-indexed fields, in bytes. */
  readonly data: Uint8Array;
}

/**
 * Decoded contract events, for the chain's metrics and invariant checkers. Produced only by
 * successful transactions (a reverted transaction has no logs). `caller` is the transaction's
 * sender, i.e. `msg.sender` of the MRC / RC function that changed the list.
 */
export type ContractEvent =
  | {
      readonly kind: 'deployed';
      readonly contract: ContractKind;
      readonly address: Address;
      /** RC / MRC owner, ALC institution (= the deploying sender). */
      readonly owner: Address;
    }
  | {
      /** An MRC's owner added an ALC to the record's authorisation list (Protocol 2 `warrant`). */
      readonly kind: 'warranted' | 'unwarranted';
      readonly mrc: Address;
      /** The access-list contract named by the call. */
      readonly alc: Address;
      /** That ALC's institution (its deployer). */
      readonly institution: Address;
      /** The MRC's owner. */
      readonly owner: Address;
      /** The transaction's sender (equals `owner` unless the owner check is broken). */
      readonly caller: Address;
    }
  | {
      /** An ALC's list gained / lost an MRC (Protocol 3; driven by the MRC's warrant / unwarrant). */
      readonly kind: 'alc-added' | 'alc-removed';
      readonly alc: Address;
      readonly mrc: Address;
      readonly institution: Address;
    }
  | {
      /** An RC appended an MRC to the patient's record list (Protocol 1 `subjoin`). */
      readonly kind: 'subjoined';
      readonly rc: Address;
      readonly mrc: Address;
      readonly owner: Address;
      readonly caller: Address;
    }
  | {
      /** An RC's patient information changed (Protocol 1 `personInfo`). */
      readonly kind: 'info-updated';
      readonly rc: Address;
      readonly owner: Address;
      readonly caller: Address;
    };

export interface ExecutionResult {
  readonly status: ExecStatus;
  /** Why an `invalid` transaction was refused, or the decoded revert reason / `out of gas`; empty on success. */
  readonly reason: string;
  /**
   * Gas charged to the sender, in gas, after the refund (yellow paper eq. 72–73 with EIP-3529's
   * refund cap of gasUsed / 5 and EIP-7623's calldata floor). 0 for `invalid`.
   */
  readonly gasUsed: number;
  /** gasUsed × gasPrice, in wei: debit the sender, credit `BlockEnv.beneficiary`. 0n for `invalid`. */
  readonly fee: bigint;
  /** Return data (success) or revert data (revert), in bytes; empty otherwise. */
  readonly returnData: Uint8Array;
  /** The new contract's address, for a successful deployment. */
  readonly created?: Address;
  /** Logs in emission order (empty unless `success`). */
  readonly logs: readonly LogRecord[];
  /** `logs` decoded, plus a `deployed` event for a successful deployment. */
  readonly events: readonly ContractEvent[];
}

// ---------------------------------------------------------------------------------------------
// World state
// ---------------------------------------------------------------------------------------------

export type ContractKind = 'RC' | 'MRC' | 'ALC';

/** One contract account as stored (read-only view). */
export interface ContractAccountView {
  readonly address: Address;
  readonly kind: ContractKind;
  /** Keccak-256 of the runtime code (with the immutables — owner, timestamp — filled in), 32 bytes. */
  readonly codeHash: Uint8Array;
  /** Runtime code, in bytes (as the EVM stores it after the constructor ran). */
  readonly code: Uint8Array;
  /** Storage: 256-bit slot → non-zero 256-bit value, exactly Solidity's storage layout. */
  readonly storage: ReadonlyMap<bigint, bigint>;
}

/**
 * The contract part of the world state, one per block (σ after the block's transactions).
 *
 * Copy-on-write: `fork()` returns a mutable child that reads through to its parent and stores only
 * what changes, so the chain can keep one state per block hash and share it across every simulated
 * node holding the block. A state that has been forked must not be written again (writes to a
 * frozen state throw); `freeze()` seals a block's state once its transactions are applied.
 */
export interface ContractWorldState {
  /** True once sealed; a sealed state can be read, forked and committed to, never written. */
  readonly frozen: boolean;
  /** A new mutable state on top of this one (seals this one). */
  fork(): ContractWorldState;
  /** Seals this state. Idempotent. */
  freeze(): void;
  /**
   * 32-byte canonical commitment to every contract account (address, code hash, storage): equal
   * contract states give equal commitments whatever the history. The chain folds it into the block's
   * state root. Defined in world-state.ts.
   */
  commitment(): Uint8Array;
  /** The contract at an address, or undefined (no contract there). */
  get(address: Address): ContractAccountView | undefined;
  /** Every contract address, in ascending order. */
  addresses(): readonly Address[];
  /** Number of contracts. */
  readonly size: number;
}

// ---------------------------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------------------------

/**
 * Broken contract behaviours for the chain's check suite (seed-level mutants): separate
 * implementations in mutants.ts, selected by name, never flags inside the honest contracts.
 *   - `alc-not-updated-on-unwarrant`: an MRC's `unwarrant` removes the ALC from its own list but
 *     never tells the ALC (breaks "every ALC equals the set of MRCs that currently warrant it");
 *   - `owner-check-skipped`: MRC `warrant` / `unwarrant` and RC `subjoin` / `personInfo` run for
 *     any caller (breaks "no MRC's authorisation list changed except by its owner").
 */
export type ContractMutantName = 'alc-not-updated-on-unwarrant' | 'owner-check-skipped';

export interface ContractEngineOptions {
  /** Run a broken contract implementation instead of the honest one (tests / `medsim check` only). Default none. */
  readonly mutant?: ContractMutantName;
}

/** Executes transactions against a contract world state. Stateless apart from its options. */
export interface ContractEngine {
  readonly mutant: ContractMutantName | undefined;
  /**
   * Applies one transaction to `state` (which must be mutable: a `fork()` not yet frozen).
   * On anything but `success` the state is left exactly as it was.
   */
  execute(state: ContractWorldState, tx: ContractTx, block: BlockEnv): ExecutionResult;
}

// ---------------------------------------------------------------------------------------------
// Read helpers for the invariant checkers (decoded from storage, the single source of truth)
// ---------------------------------------------------------------------------------------------

/** Protocol 1, RC: one per patient. */
export interface RegisterView {
  readonly address: Address;
  /** Fixed at construction (immutable). */
  readonly owner: Address;
  /** Patient information (Protocol 1 `Pinfo`): Keccak-256 digest of the name (32 bytes), birth year, sex code. */
  readonly info: PersonInfo;
  /** MRC addresses, in subjoin order (append only). */
  readonly records: readonly Address[];
}

/** Patient information as the RC stores it — a digest, not the name (the chain is public). */
export interface PersonInfo {
  /** Keccak-256 of the patient's name, 32 bytes. */
  readonly nameDigest: Uint8Array;
  /** Year of birth, 0–65535. */
  readonly birthYear: number;
  /** Sex code, 0–255 (ISO/IEC 5218: 0 unknown, 1 male, 2 female, 9 not applicable). */
  readonly sex: number;
}

/** Protocol 2, MRC: one per record. */
export interface RecordView {
  readonly address: Address;
  /** Fixed at construction (immutable). */
  readonly owner: Address;
  /** Block timestamp of the deployment, in seconds. */
  readonly timestamp: number;
  /** The record payload (an anonymised record, or the digest and locator of an off-chain one), in bytes. */
  readonly data: Uint8Array;
  /** ALC addresses currently warranted, in storage order (swap-and-pop on unwarrant). */
  readonly authorised: readonly Address[];
}

/** Protocol 3, ALC: one per institution. */
export interface AccessListView {
  readonly address: Address;
  /** The institution (deployer), fixed at construction (immutable). */
  readonly institution: Address;
  /** MRC addresses this institution may read, in storage order. */
  readonly records: readonly Address[];
}

export interface ContractReader {
  register(state: ContractWorldState, address: Address): RegisterView | undefined;
  record(state: ContractWorldState, address: Address): RecordView | undefined;
  accessList(state: ContractWorldState, address: Address): AccessListView | undefined;
  /**
   * For every institution with an ALC: which MRCs currently warrant one of its ALCs (from the MRCs'
   * authorisation lists, not from the ALCs), sorted by address. The invariant "every ALC equals the
   * set of MRCs that currently warrant that institution" compares this with `accessList().records`.
   */
  warrantsByInstitution(state: ContractWorldState): ReadonlyMap<Address, readonly Address[]>;
  /** The same per ALC: for every ALC, the MRCs whose authorisation list names it, sorted by address. */
  warrantsByAccessList(state: ContractWorldState): ReadonlyMap<Address, readonly Address[]>;
}

// ---------------------------------------------------------------------------------------------
// Building transactions (the bytes of Tc and Td)
// ---------------------------------------------------------------------------------------------

/** Encoders for Tc / Td, so workloads build real transactions of real sizes. */
export interface ContractTxData {
  /** Tc for an RC: RC init code ‖ ABI(PersonInfo). */
  deployRegister(info: PersonInfo): Uint8Array;
  /** Tc for an MRC: MRC init code ‖ ABI(bytes record). */
  deployRecord(record: Uint8Array): Uint8Array;
  /** Tc for an ALC: ALC init code (no arguments; the deployer is the institution). */
  deployAccessList(): Uint8Array;
  /** Td: RC `personInfo(PersonInfo)`. */
  personInfo(info: PersonInfo): Uint8Array;
  /** Td: RC `subjoin(address mrc)`. */
  subjoin(mrc: Address): Uint8Array;
  /** Td: MRC `warrant(address alc)`. */
  warrant(alc: Address): Uint8Array;
  /** Td: MRC `unwarrant(address alc)`. */
  unwarrant(alc: Address): Uint8Array;
  /** Td: MRC `query()` (owner only; returns (bytes record, uint64 timestamp)). */
  query(): Uint8Array;
  /** Td: ALC `getData()` (institution only; returns the records it may read, without owners). */
  getData(): Uint8Array;
  /** The address a deployment by `sender` with nonce `nonce` creates (CREATE rule, yellow paper eq. 86). */
  createdAddress(sender: Address, nonce: number): Address;
}

/*
 * Entry points (index.ts):
 *   createContractEngine(options?: ContractEngineOptions): ContractEngine
 *   emptyContractState(): ContractWorldState            // the genesis contract state (frozen, empty)
 *   contractReader: ContractReader
 *   contractTxData: ContractTxData
 *   decodeQueryResult / decodeGetDataResult             // return-data decoders for metrics
 */
