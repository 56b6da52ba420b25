/**
 * Execution machinery for the TypeScript contracts: a transaction context (warm sets, original
 * storage values, pending writes, refund counter, logs) and call frames with a gas meter.
 *
 * The contracts are ordinary TypeScript state machines that do every state access through a
 * `Frame`, which prices it from gas-schedule.ts exactly as the EVM prices the corresponding
 * SLOAD / SSTORE / CALL / LOG / KECCAK256 (EIP-2929 warm/cold sets, EIP-2200/3529 SSTORE, EIP-150
 * 63/64 rule, EIP-2200 SSTORE sentry). Storage is laid out as solc lays it out (Solidity docs,
 * "Layout of State Variables in Storage"): a dynamic array's length at its slot p and element i at
 * KEC(p) + i; a mapping's value for key k at KEC(k ‖ p); a `bytes` value of length < 32 packed into
 * its slot with 2·length in the lowest byte, a longer one as 2·length + 1 in the slot and the data
 * from KEC(p) on. The contents — not only the gas — therefore match the EVM's storage slot for slot.
 *
 * Failure model. Every external call the record contracts make is a Solidity high-level call,
 * which re-raises the callee's failure; so any failing frame fails the whole transaction and the
 * context keeps one transaction-level set of pending writes instead of a per-frame journal.
 */
import { keccak256 } from '../../crypto/hash.ts';
import type { Address, BlockEnv, LogRecord } from './api.ts';
import { addressFromWord, bigintFromBytes, wordFromBigint } from './abi.ts';
import {
  CALL_GAS_RETAINED_DIVISOR,
  G_COLDACCOUNTACCESS,
  G_COLDSLOAD,
  G_WARMACCESS,
  SSTORE_SENTRY,
  keccakGas,
  logGas,
  sstoreCost,
} from './gas-schedule.ts';
import type { ContractAccount } from './world-state.ts';

/** The gas ran out: the frame (and, bubbling, the transaction) consumes all its gas. */
export class OutOfGas extends Error {
  override readonly name = 'OutOfGas';
}

/** REVERT with `data` (an ABI-encoded error, or empty); `reason` is for people. */
export class Revert extends Error {
  override readonly name = 'Revert';
  constructor(
    readonly data: Uint8Array,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** What a frame needs to run a contract's code (implemented by the engine). */
export interface CodeRunner {
  /** Runs the contract at `frame.self` with `calldata`; returns its return data or throws Revert / OutOfGas. */
  run(frame: Frame, account: ContractAccount, calldata: Uint8Array): Uint8Array;
}

const MASK_256 = (1n << 256n) - 1n;

/** Everything one transaction shares across its frames. */
export class TxContext {
  /** EIP-2929 accessed_addresses. */
  private readonly warmAccounts = new Set<Address>();
  /** EIP-2929 accessed_storage_keys, as `address:slot`. */
  private readonly warmSlots = new Set<string>();
  /** Storage written in this transaction (current values); the world keeps the originals. */
  readonly writes = new Map<Address, Map<bigint, bigint>>();
  /** Contracts created in this transaction (their original storage is all zero). */
  readonly created = new Map<Address, ContractAccount>();
  readonly logs: LogRecord[] = [];
  /** The refund counter (EIP-3529 rules, capped at the end of the transaction). */
  refund = 0;

  constructor(
    readonly block: BlockEnv,
    readonly origin: Address,
    private readonly lookup: (address: Address) => ContractAccount | undefined,
    readonly runner: CodeRunner,
    warm: readonly Address[],
  ) {
    for (const a of warm) this.warmAccounts.add(a);
  }

  account(address: Address): ContractAccount | undefined {
    return this.created.get(address) ?? this.lookup(address);
  }

  /** Marks an account accessed; returns whether it was cold. */
  touchAccount(address: Address): boolean {
    if (this.warmAccounts.has(address)) return false;
    this.warmAccounts.add(address);
    return true;
  }

  touchSlot(address: Address, slot: bigint): boolean {
    const key = `${address}:${slot.toString(16)}`;
    if (this.warmSlots.has(key)) return false;
    this.warmSlots.add(key);
    return true;
  }

  original(address: Address, slot: bigint): bigint {
    if (this.created.has(address)) return 0n;
    return this.lookup(address)?.load(slot) ?? 0n;
  }

  current(address: Address, slot: bigint): bigint {
    const pending = this.writes.get(address)?.get(slot);
    if (pending !== undefined) return pending;
    return this.original(address, slot);
  }

  write(address: Address, slot: bigint, value: bigint): void {
    let m = this.writes.get(address);
    if (m === undefined) {
      m = new Map();
      this.writes.set(address, m);
    }
    m.set(slot, value);
  }
}

/** A call frame: the executing contract, its caller and its gas. */
export class Frame {
  constructor(
    readonly ctx: TxContext,
    /** The executing contract (`address(this)`). */
    readonly self: Address,
    /** `msg.sender`. */
    readonly caller: Address,
    /** Gas left in this frame. */
    public gasLeft: number,
  ) {}

  get block(): BlockEnv {
    return this.ctx.block;
  }

  /** Charges `gas`, or runs out. */
  charge(gas: number): void {
    if (gas > this.gasLeft) {
      this.gasLeft = 0;
      throw new OutOfGas(`out of gas in ${this.self}`);
    }
    this.gasLeft -= gas;
  }

  revert(data: Uint8Array, reason: string): never {
    throw new Revert(data, reason);
  }

  // --- storage ---------------------------------------------------------------------------------

  /** SLOAD (EIP-2929: 2100 cold, 100 warm). */
  sload(slot: bigint): bigint {
    this.charge(this.ctx.touchSlot(this.self, slot) ? G_COLDSLOAD : G_WARMACCESS);
    return this.ctx.current(this.self, slot);
  }

  /** SSTORE (EIP-2200 / 2929 / 3529 pricing and refunds; EIP-2200 sentry). */
  sstore(slot: bigint, value: bigint): void {
    if (this.gasLeft <= SSTORE_SENTRY) {
      this.gasLeft = 0;
      throw new OutOfGas('SSTORE with no more than the 2300-gas sentry left');
    }
    const cold = this.ctx.touchSlot(this.self, slot);
    const { gas, refund } = sstoreCost(this.ctx.original(this.self, slot), this.ctx.current(this.self, slot), value, cold);
    this.charge(gas);
    this.ctx.refund += refund;
    this.ctx.write(this.self, slot, value);
  }

  /** The slot of `mapping[key]` for the mapping at `slot`: KEC(key ‖ slot), charged as a 64-byte KECCAK256. */
  mappingSlot(key: bigint, slot: bigint): bigint {
    this.charge(keccakGas(64));
    const buf = new Uint8Array(64);
    buf.set(wordFromBigint(key));
    buf.set(wordFromBigint(slot), 32);
    return bigintFromBytes(keccak256(buf));
  }

  /** Length of the dynamic array at `slot`. */
  arrayLength(slot: bigint): bigint {
    return this.sload(slot);
  }

  /** Element `i` of the array at `slot` (caller checks bounds). */
  arrayGet(slot: bigint, i: bigint): bigint {
    return this.sload(elementSlot(slot, i));
  }

  arraySet(slot: bigint, i: bigint, value: bigint): void {
    this.sstore(elementSlot(slot, i), value);
  }

  /** `array.push(value)`; returns the new length. */
  arrayPush(slot: bigint, value: bigint): bigint {
    const length = this.sload(slot);
    this.sstore(slot, length + 1n);
    this.sstore(elementSlot(slot, length), value);
    return length + 1n;
  }

  /** `array.pop()` of a non-empty array: clears the last element, shortens by one. */
  arrayPop(slot: bigint, length: bigint): void {
    this.sstore(elementSlot(slot, length - 1n), 0n);
    this.sstore(slot, length - 1n);
  }

  /** Reads a `bytes` value stored at `slot` (short or long form). */
  loadBytes(slot: bigint): Uint8Array {
    return readStoredBytes((s) => this.sload(s), slot);
  }

  /** Writes a `bytes` value to an empty `slot` (the constructor's `record = data`). */
  storeNewBytes(slot: bigint, data: Uint8Array): void {
    // solc reads the old length first, to clear a longer old value (there is none here).
    if (this.sload(slot) !== 0n) throw new Error('storeNewBytes: slot not empty');
    if (data.length < 32) {
      const word = new Uint8Array(32);
      word.set(data);
      this.sstore(slot, bigintFromBytes(word) | BigInt(data.length * 2));
      return;
    }
    this.sstore(slot, BigInt(data.length * 2 + 1));
    for (let i = 0; i * 32 < data.length; i++) {
      const word = new Uint8Array(32);
      word.set(data.subarray(i * 32, i * 32 + 32));
      this.sstore(elementSlot(slot, BigInt(i)), bigintFromBytes(word));
    }
  }

  // --- logs and calls --------------------------------------------------------------------------

  /** LOGn (memory expansion not charged). */
  log(topics: readonly Uint8Array[], data: Uint8Array): void {
    this.charge(logGas(topics.length, data.length));
    this.ctx.logs.push({ address: this.self, topics, data });
  }

  /** Pays for an account access (EIP-2929). */
  private access(address: Address): void {
    this.charge(this.ctx.touchAccount(address) ? G_COLDACCOUNTACCESS : G_WARMACCESS);
  }

  /**
   * A Solidity high-level external call without value. `expectsReturn` mirrors solc: a function
   * with no return values is preceded by an EXTCODESIZE check (reverting if `to` has no code);
   * one with return values is not (its empty return data then fails to decode). The callee gets
   * all but 1/64 of the gas left (EIP-150). A failure is re-raised, as solc does: the callee's
   * revert data, or empty revert data when the callee ran out of gas.
   */
  call(to: Address, calldata: Uint8Array, expectsReturn: boolean): Uint8Array {
    if (!expectsReturn) {
      this.access(to);
      if (this.ctx.account(to) === undefined) this.revert(new Uint8Array(0), `call to ${to}, which has no code`);
    }
    this.access(to);
    const target = this.ctx.account(to);
    if (target === undefined) return new Uint8Array(0);
    const forwarded = this.gasLeft - Math.floor(this.gasLeft / CALL_GAS_RETAINED_DIVISOR);
    this.gasLeft -= forwarded;
    const child = new Frame(this.ctx, to, this.self, forwarded);
    try {
      const out = this.ctx.runner.run(child, target, calldata);
      this.gasLeft += child.gasLeft;
      return out;
    } catch (e) {
      if (e instanceof Revert) {
        this.gasLeft += child.gasLeft;
        throw new Revert(e.data, e.reason);
      }
      if (e instanceof OutOfGas) throw new Revert(new Uint8Array(0), `callee ${to} ran out of gas`);
      throw e;
    }
  }
}

const arrayDataCache = new Map<bigint, bigint>();

/** KEC(slot): where a dynamic array's (or long `bytes`') data starts. solc folds it to a constant, so no gas. */
export function arrayData(slot: bigint): bigint {
  let v = arrayDataCache.get(slot);
  if (v === undefined) {
    v = bigintFromBytes(keccak256(wordFromBigint(slot & MASK_256)));
    arrayDataCache.set(slot, v);
  }
  return v;
}

/** Slot of element `i` (or data word `i` of a long `bytes`) of the array at `slot`: KEC(slot) + i mod 2^256. */
export function elementSlot(slot: bigint, i: bigint): bigint {
  return (arrayData(slot) + i) & MASK_256;
}

/** A `bytes` value in solc's storage layout at `slot`, read through `load` (metered or not). */
export function readStoredBytes(load: (slot: bigint) => bigint, slot: bigint): Uint8Array {
  const head = load(slot);
  if ((head & 1n) === 0n) return wordFromBigint(head).slice(0, Number((head & 0xffn) >> 1n));
  const length = Number((head - 1n) >> 1n);
  const out = new Uint8Array(Math.ceil(length / 32) * 32);
  for (let i = 0; i * 32 < length; i++) out.set(wordFromBigint(load(elementSlot(slot, BigInt(i)))), i * 32);
  return out.slice(0, length);
}

/** An `address[]` in solc's storage layout at `slot`, read through `load` (metered or not). */
export function readAddressArray(load: (slot: bigint) => bigint, slot: bigint): Address[] {
  const n = load(slot);
  const out: Address[] = [];
  for (let i = 0n; i < n; i++) out.push(addressFromWord(load(elementSlot(slot, i))));
  return out;
}
