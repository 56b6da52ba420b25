/**
 * The three record contracts of seed 001 §3 as TypeScript state machines — line for line the
 * Solidity in sol/ (read them side by side), running on the metered `Frame` of execution.ts.
 *
 * Choices where the paper is loose (docs/ringchain-contracts.md lists them):
 *   - owner checks are `msg.sender == owner` with a revert (`NotOwner(caller)`), not the paper's
 *     silent `if … end if`, so a refused call is visible to the caller and the chain's metrics;
 *   - `warrant` / `unwarrant` take the institution's ALC address; the MRC tells the ALC in the same
 *     transaction (`add()` / `remove()`), and the ALC accepts only a caller that really (no longer)
 *     warrants it, by asking it back (`isWarranted`);
 *   - the paper's `Alist.pop(InstAddr)` is not Solidity (`pop()` removes the last element and takes
 *     no argument): both authorisation lists are an `AddressList` (sol/AddressList.sol), removed
 *     from by value in O(1) — a 1-based position mapping, the last entry moved into the freed
 *     place, then `pop()`;
 *   - `subjoin` appends any address (Protocol 1 does not check that it is the patient's MRC).
 *
 * Each contract is a class whose functions are methods, so a mutant (mutants.ts) is a subclass that
 * overrides one method — a separate implementation, not a flag in the honest code.
 */
import type { Address, ContractKind } from './api.ts';
import {
  AbiDecodeError,
  abi,
  abiDecode,
  abiEncode,
  addressFromWord,
  addressWord,
  bigintFromBytes,
  encodeWithSelector,
  eventTopic,
  panicData,
  selector,
  wordFromBigint,
  type AbiType,
  type AbiValue,
} from './abi.ts';
import { CODE } from './artefact.ts';
import { readAddressArray, type Frame } from './execution.ts';
import type { ContractAccount } from './world-state.ts';

/** A function of a contract's ABI: its signature, argument types and body. */
interface FunctionSpec {
  readonly signature: string;
  readonly inputs: readonly AbiType[];
  readonly body: (frame: Frame, self: ContractAccount, args: AbiValue[]) => Uint8Array;
}

const EMPTY = new Uint8Array(0);

function hex4(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

/** Revert data of a custom error with one address argument, e.g. `NotOwner(address)`. */
function addressError(name: string, who: Address): Uint8Array {
  return encodeWithSelector(`${name}(address)`, [abi.address], [who]);
}

/** The 32-byte topic of an indexed address. */
function addressTopic(address: Address): Uint8Array {
  return wordFromBigint(addressWord(address));
}

/** ABI-decodes constructor arguments or return data (memory); a malformed input reverts as solc's decoder does. */
export function decodeOrRevert(frame: Frame, types: readonly AbiType[], data: Uint8Array, what: string, freePointer?: number): AbiValue[] {
  try {
    return abiDecode(types, data, 'memory', freePointer);
  } catch (e) {
    if (e instanceof AbiDecodeError) {
      frame.revert(e.panic !== undefined ? panicData(e.panic) : EMPTY, `malformed ${what}: ${e.message}`);
    }
    throw e;
  }
}

/** One of the three contracts: a constructor and an ABI dispatcher over its functions. */
export abstract class ContractLogic {
  abstract readonly kind: ContractKind;
  protected abstract functions(): readonly FunctionSpec[];
  private table: Map<string, FunctionSpec> | undefined;

  /**
   * Runs the constructor on `frame` (self = the new address, caller = the deployer) with the
   * ABI-encoded constructor arguments; returns the immutables' 32-byte words by name.
   */
  abstract construct(frame: Frame, args: Uint8Array): Record<string, Uint8Array>;

  /** Solidity's dispatcher: selector lookup (no fallback: short or unknown call data reverts empty), strict argument decoding, body. */
  dispatch(frame: Frame, self: ContractAccount, calldata: Uint8Array): Uint8Array {
    if (this.table === undefined) {
      this.table = new Map(this.functions().map((f) => [hex4(selector(f.signature)), f]));
    }
    if (calldata.length < 4) frame.revert(EMPTY, 'call data shorter than a selector (no fallback function)');
    const fn = this.table.get(hex4(calldata));
    if (fn === undefined) frame.revert(EMPTY, `unknown selector 0x${hex4(calldata)}`);
    let args: AbiValue[];
    try {
      args = abiDecode(fn.inputs, calldata.subarray(4), 'calldata');
    } catch (e) {
      if (e instanceof AbiDecodeError) frame.revert(EMPTY, `malformed arguments to ${fn.signature}: ${e.message}`);
      throw e;
    }
    return fn.body(frame, self, args);
  }

  /** The function signatures this contract answers, for the selector cross-check against solc. */
  signatures(): string[] {
    return this.functions().map((f) => f.signature);
  }
}

// ---------------------------------------------------------------------------------------------
// Protocol 1 — RC, the register contract
// ---------------------------------------------------------------------------------------------

const RC_SLOTS = CODE.RC.slots;
const PERSON_INFO: AbiType = abi.tuple(abi.fixedBytes(32), abi.uint(16), abi.uint(8));
/** The same 96 bytes read without range checks (the `calldata` struct argument; see personInfo). */
const PERSON_INFO_UNCHECKED: AbiType = abi.tuple(abi.fixedBytes(32), abi.uint(256), abi.uint(256));

/** `PersonInfo` as stored: nameDigest in slot `info`, birthYear (bytes 0–1) and sex (byte 2) packed in `info + 1`. */
function packInfoTail(birthYear: bigint, sex: bigint): bigint {
  return birthYear | (sex << 16n);
}

export class RegisterContract extends ContractLogic {
  readonly kind = 'RC' as const;

  construct(frame: Frame, args: Uint8Array): Record<string, Uint8Array> {
    const [info] = decodeOrRevert(frame, [PERSON_INFO], args, 'RC constructor arguments');
    this.writeInfo(frame, info as AbiValue[]);
    return { owner: addressTopic(frame.caller) };
  }

  protected writeInfo(frame: Frame, info: AbiValue[]): void {
    const [nameDigest, birthYear, sex] = info as [Uint8Array, bigint, bigint];
    frame.sstore(RC_SLOTS.info, bigintFromBytes(nameDigest));
    frame.sload(RC_SLOTS.info + 1n); // solc read-modify-writes the packed slot
    frame.sstore(RC_SLOTS.info + 1n, packInfoTail(birthYear, sex));
  }

  protected onlyOwner(frame: Frame, self: ContractAccount): void {
    if (frame.caller !== self.immutables.owner) frame.revert(addressError('NotOwner', frame.caller), `NotOwner(${frame.caller})`);
  }

  /** Protocol 1 `personInfo(Pinfo)`. */
  personInfo(frame: Frame, self: ContractAccount, info: AbiValue[]): Uint8Array {
    this.onlyOwner(frame, self);
    // A `calldata` struct is not validated by the dispatcher: solc checks each member's range when
    // the body reads it, i.e. after the owner check (the differential test found this order).
    const [, birthYear, sex] = info as [Uint8Array, bigint, bigint];
    if (birthYear >> 16n !== 0n || sex >> 8n !== 0n) frame.revert(EMPTY, 'malformed PersonInfo: member out of range');
    this.writeInfo(frame, info);
    frame.log([eventTopic('InfoUpdated()')], EMPTY);
    return EMPTY;
  }

  /** Protocol 1 `subjoin(MRCAddr)`: append only. */
  subjoin(frame: Frame, self: ContractAccount, record: Address): Uint8Array {
    this.onlyOwner(frame, self);
    frame.arrayPush(RC_SLOTS.records, addressWord(record));
    frame.log([eventTopic('Subjoined(address)'), addressTopic(record)], EMPTY);
    return EMPTY;
  }

  protected functions(): readonly FunctionSpec[] {
    return [
      { signature: 'personInfo((bytes32,uint16,uint8))', inputs: [PERSON_INFO_UNCHECKED], body: (f, s, a) => this.personInfo(f, s, a[0] as AbiValue[]) },
      { signature: 'subjoin(address)', inputs: [abi.address], body: (f, s, a) => this.subjoin(f, s, a[0] as Address) },
      { signature: 'recordList()', inputs: [], body: (f) => abiEncode([abi.array(abi.address)], [loadAddressArray(f, RC_SLOTS.records)]) },
      { signature: 'owner()', inputs: [], body: (_f, s) => abiEncode([abi.address], [s.immutables.owner]) },
      {
        signature: 'info()',
        inputs: [],
        body: (f) => {
          const nameDigest = f.sload(RC_SLOTS.info);
          const tail = f.sload(RC_SLOTS.info + 1n);
          return abiEncode(
            [abi.fixedBytes(32), abi.uint(16), abi.uint(8)],
            [wordFromBigint(nameDigest), tail & 0xffffn, (tail >> 16n) & 0xffn],
          );
        },
      },
    ];
  }
}

/** Reads a whole `address[]` from storage (metered). */
function loadAddressArray(frame: Frame, slot: bigint): Address[] {
  return readAddressArray((s) => frame.sload(s), slot);
}

// --- AddressList (sol/AddressList.sol): items address[] at `slot`, position mapping at `slot + 1` ---

function positionSlot(frame: Frame, slot: bigint, item: Address): bigint {
  return frame.mappingSlot(addressWord(item), slot + 1n);
}

/** `list.contains(item)`. */
function listContains(frame: Frame, slot: bigint, item: Address): boolean {
  return frame.sload(positionSlot(frame, slot, item)) !== 0n;
}

/** `list.add(item)`: appends; false (no change) if already listed. */
function listAdd(frame: Frame, slot: bigint, item: Address): boolean {
  if (listContains(frame, slot, item)) return false;
  const length = frame.arrayPush(slot, addressWord(item));
  frame.sstore(positionSlot(frame, slot, item), length);
  return true;
}

/**
 * `list.remove(item)`, the replacement for the paper's `Alist.pop(InstAddr)`: removal by value —
 * the last entry moves into the freed place, then pop; false (no change) if not listed.
 */
function listRemove(frame: Frame, slot: bigint, item: Address): boolean {
  const itemPosition = positionSlot(frame, slot, item);
  const p = frame.sload(itemPosition);
  if (p === 0n) return false;
  const last = frame.arrayLength(slot);
  if (p !== last) {
    const moved = frame.arrayGet(slot, last - 1n);
    frame.arraySet(slot, p - 1n, moved);
    frame.sstore(frame.mappingSlot(moved, slot + 1n), p);
  }
  frame.arrayPop(slot, last);
  frame.sstore(itemPosition, 0n);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Protocol 2 — MRC, the medical-record contract
// ---------------------------------------------------------------------------------------------

const MRC_SLOTS = CODE.MRC.slots;
const RECORD_RESULT: AbiType[] = [abi.bytes, abi.uint(64)];

export class MedicalRecordContract extends ContractLogic {
  readonly kind = 'MRC' as const;

  construct(frame: Frame, args: Uint8Array): Record<string, Uint8Array> {
    // solc's constructor keeps the immutables at 0x80.. (one word each), copies the arguments right
    // after them and sets the free-memory pointer to their end, unrounded (see its assembly:
    // `mstore(0x40, 0xc0)` … `codecopy` … `add` `mstore(0x40, …)`); decoding allocates from there.
    const freePointer = 0x80 + 32 * Object.keys(CODE.MRC.immutables).length + args.length;
    const [data] = decodeOrRevert(frame, [abi.bytes], args, 'MRC constructor arguments', freePointer);
    frame.storeNewBytes(MRC_SLOTS.record, data as Uint8Array);
    // Solidity `uint64(block.timestamp)` keeps the low 64 bits.
    const timestamp = BigInt(frame.block.timestamp) & ((1n << 64n) - 1n);
    return { owner: addressTopic(frame.caller), timestamp: wordFromBigint(timestamp) };
  }

  protected onlyOwner(frame: Frame, self: ContractAccount): void {
    if (frame.caller !== self.immutables.owner) frame.revert(addressError('NotOwner', frame.caller), `NotOwner(${frame.caller})`);
  }

  /** Protocol 2 `warrant(InstAddr)`, with `alc` the institution's access-list contract. */
  warrant(frame: Frame, self: ContractAccount, alc: Address): Uint8Array {
    this.onlyOwner(frame, self);
    if (!listAdd(frame, MRC_SLOTS.authorised, alc)) frame.revert(addressError('AlreadyWarranted', alc), `AlreadyWarranted(${alc})`);
    frame.log([eventTopic('Warranted(address)'), addressTopic(alc)], EMPTY);
    this.notifyAdd(frame, alc);
    return EMPTY;
  }

  /** Protocol 2 `unwarrant(InstAddr)`: remove by value, then delist from the ALC. */
  unwarrant(frame: Frame, self: ContractAccount, alc: Address): Uint8Array {
    this.onlyOwner(frame, self);
    if (!listRemove(frame, MRC_SLOTS.authorised, alc)) frame.revert(addressError('NotWarranted', alc), `NotWarranted(${alc})`);
    frame.log([eventTopic('Unwarranted(address)'), addressTopic(alc)], EMPTY);
    this.notifyRemove(frame, alc);
    return EMPTY;
  }

  /** `IAccessList(alc).add()`. */
  protected notifyAdd(frame: Frame, alc: Address): void {
    frame.call(alc, selector('add()'), false);
  }

  /** `IAccessList(alc).remove()`: the automatic ALC update of seed 001 §3. */
  protected notifyRemove(frame: Frame, alc: Address): void {
    frame.call(alc, selector('remove()'), false);
  }

  /** Protocol 2 `query()`: owner only. */
  query(frame: Frame, self: ContractAccount): Uint8Array {
    this.onlyOwner(frame, self);
    return abiEncode(RECORD_RESULT, [frame.loadBytes(MRC_SLOTS.record), BigInt(self.immutables.timestamp)]);
  }

  /** The record for a warranted ALC (getData's source). */
  readFor(frame: Frame, self: ContractAccount): Uint8Array {
    if (!listContains(frame, MRC_SLOTS.authorised, frame.caller)) frame.revert(addressError('NotWarranted', frame.caller), `NotWarranted(${frame.caller})`);
    return abiEncode(RECORD_RESULT, [frame.loadBytes(MRC_SLOTS.record), BigInt(self.immutables.timestamp)]);
  }

  protected functions(): readonly FunctionSpec[] {
    return [
      { signature: 'warrant(address)', inputs: [abi.address], body: (f, s, a) => this.warrant(f, s, a[0] as Address) },
      { signature: 'unwarrant(address)', inputs: [abi.address], body: (f, s, a) => this.unwarrant(f, s, a[0] as Address) },
      { signature: 'query()', inputs: [], body: (f, s) => this.query(f, s) },
      { signature: 'readFor()', inputs: [], body: (f, s) => this.readFor(f, s) },
      {
        signature: 'isWarranted(address)',
        inputs: [abi.address],
        body: (f, _s, a) => abiEncode([abi.bool], [listContains(f, MRC_SLOTS.authorised, a[0] as Address)]),
      },
      { signature: 'authorisedList()', inputs: [], body: (f) => abiEncode([abi.array(abi.address)], [loadAddressArray(f, MRC_SLOTS.authorised)]) },
      { signature: 'owner()', inputs: [], body: (_f, s) => abiEncode([abi.address], [s.immutables.owner]) },
      { signature: 'timestamp()', inputs: [], body: (_f, s) => abiEncode([abi.uint(64)], [BigInt(s.immutables.timestamp)]) },
    ];
  }
}

// ---------------------------------------------------------------------------------------------
// Protocol 3 — ALC, the access-list contract
// ---------------------------------------------------------------------------------------------

const ALC_SLOTS = CODE.ALC.slots;
const RECORD_TUPLE: AbiType = abi.tuple(abi.bytes, abi.uint(64));

export class AccessListContract extends ContractLogic {
  readonly kind = 'ALC' as const;

  construct(frame: Frame, _args: Uint8Array): Record<string, Uint8Array> {
    return { institution: addressTopic(frame.caller) };
  }

  /** Asks the calling MRC whether it warrants this ALC (`IMedicalRecord(msg.sender).isWarranted(this)`). */
  private callerWarrants(frame: Frame): boolean {
    const ret = frame.call(frame.caller, encodeWithSelector('isWarranted(address)', [abi.address], [frame.self]), true);
    return decodeOrRevert(frame, [abi.bool], ret, 'isWarranted return data')[0] as boolean;
  }

  /** Called by an MRC's `warrant`. */
  add(frame: Frame): Uint8Array {
    if (!this.callerWarrants(frame)) frame.revert(addressError('NotWarrantedBy', frame.caller), `NotWarrantedBy(${frame.caller})`);
    if (!listAdd(frame, ALC_SLOTS.records, frame.caller)) frame.revert(addressError('AlreadyListed', frame.caller), `AlreadyListed(${frame.caller})`);
    frame.log([eventTopic('Listed(address)'), addressTopic(frame.caller)], EMPTY);
    return EMPTY;
  }

  /** Called by an MRC's `unwarrant`: the automatic removal. */
  remove(frame: Frame): Uint8Array {
    if (this.callerWarrants(frame)) frame.revert(addressError('StillWarrantedBy', frame.caller), `StillWarrantedBy(${frame.caller})`);
    if (!listRemove(frame, ALC_SLOTS.records, frame.caller)) frame.revert(addressError('NotListed', frame.caller), `NotListed(${frame.caller})`);
    frame.log([eventTopic('Delisted(address)'), addressTopic(frame.caller)], EMPTY);
    return EMPTY;
  }

  /** Protocol 3 `getData()`: institution only; each listed record via its `readFor()`. */
  getData(frame: Frame, self: ContractAccount): Uint8Array {
    if (frame.caller !== self.immutables.owner) frame.revert(addressError('NotInstitution', frame.caller), `NotInstitution(${frame.caller})`);
    const n = frame.arrayLength(ALC_SLOTS.records);
    const records: AbiValue[] = [];
    for (let i = 0n; i < n; i++) {
      const mrc = addressFromWord(frame.arrayGet(ALC_SLOTS.records, i));
      const ret = frame.call(mrc, selector('readFor()'), true);
      records.push(decodeOrRevert(frame, RECORD_RESULT, ret, 'readFor return data'));
    }
    return abiEncode([abi.array(RECORD_TUPLE)], [records]);
  }

  protected functions(): readonly FunctionSpec[] {
    return [
      { signature: 'add()', inputs: [], body: (f) => this.add(f) },
      { signature: 'remove()', inputs: [], body: (f) => this.remove(f) },
      { signature: 'getData()', inputs: [], body: (f, s) => this.getData(f, s) },
      { signature: 'recordList()', inputs: [], body: (f) => abiEncode([abi.array(abi.address)], [loadAddressArray(f, ALC_SLOTS.records)]) },
      { signature: 'institution()', inputs: [], body: (_f, s) => abiEncode([abi.address], [s.immutables.owner]) },
    ];
  }
}

/** The honest implementations. */
export function honestContracts(): Record<ContractKind, ContractLogic> {
  return { RC: new RegisterContract(), MRC: new MedicalRecordContract(), ALC: new AccessListContract() };
}
