/**
 * The contract ABI codec (Solidity documentation, "Contract ABI Specification": function selector
 * and argument encoding, "Formal Specification of the Encoding"), for the types the record
 * contracts use: uint<M>, address, bool, bytes<M>, bytes, T[] and tuples.
 *
 * Encoding is the standard head/tail layout: static values in place, each dynamic value replaced
 * in the head by its offset (from the start of the enclosing tuple) and appended in the tail.
 *
 * Decoding is **strict in the way Solidity's ABI coder v2 is**, because the TypeScript contracts
 * must accept and refuse exactly the inputs the compiled contracts do (the differential test
 * feeds both malformed input):
 *   - too few bytes for the head → reject; bytes after the last value are ignored;
 *   - uint<M> with bits above M, an address with non-zero upper 12 bytes, a bool other than 0/1,
 *     bytes<M> with non-zero bytes after the first M → reject (no silent truncation);
 *   - a dynamic value's offset or length above 2^64 − 1, or a tail that does not fit → reject;
 *   - decoding from memory (constructor arguments, return data), a `bytes` whose allocation would
 *     move solc's free-memory pointer past 2^64 − 1 → Panic(0x41) "too much memory", checked
 *     before the bounds, reported as `panic: 0x41`.
 * Rejections throw `AbiDecodeError`; callers turn them into a revert with empty data (or the panic).
 */
import { bytesToHex, hexToBytes } from '../../crypto/encoding.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { addressFromBytes, addressToBytes, type Address } from './api.ts';

export type AbiType =
  | { readonly t: 'uint'; readonly bits: number }
  | { readonly t: 'address' }
  | { readonly t: 'bool' }
  | { readonly t: 'fixedBytes'; readonly size: number }
  | { readonly t: 'bytes' }
  | { readonly t: 'array'; readonly of: AbiType }
  | { readonly t: 'tuple'; readonly of: readonly AbiType[] };

/** uint → bigint, address → Address, bool → boolean, bytes<M> / bytes → Uint8Array, T[] / tuple → array. */
export type AbiValue = bigint | Address | boolean | Uint8Array | readonly AbiValue[];

export const abi = {
  uint: (bits: number): AbiType => ({ t: 'uint', bits }),
  address: { t: 'address' } as AbiType,
  bool: { t: 'bool' } as AbiType,
  fixedBytes: (size: number): AbiType => ({ t: 'fixedBytes', size }),
  bytes: { t: 'bytes' } as AbiType,
  array: (of: AbiType): AbiType => ({ t: 'array', of }),
  tuple: (...of: AbiType[]): AbiType => ({ t: 'tuple', of }),
};

export class AbiDecodeError extends Error {
  override readonly name = 'AbiDecodeError';
  /** Set when Solidity would raise a Panic (e.g. 0x41, allocation too large) rather than revert empty. */
  constructor(
    message: string,
    readonly panic?: number,
  ) {
    super(message);
  }
}

const WORD = 32;
const U64_MAX = (1n << 64n) - 1n;

function roundUp32(n: bigint): bigint {
  return (n + 31n) & ~31n;
}

function isDynamic(type: AbiType): boolean {
  if (type.t === 'bytes' || type.t === 'array') return true;
  if (type.t === 'tuple') return type.of.some(isDynamic);
  return false;
}

/** Head size of a type in bytes: 32 for dynamic types and scalars, the sum of members for a static tuple. */
function headSize(type: AbiType): number {
  if (type.t === 'tuple' && !isDynamic(type)) return type.of.reduce((n, m) => n + headSize(m), 0);
  return WORD;
}

// --- words -----------------------------------------------------------------------------------

/** A 256-bit unsigned integer as a 32-byte big-endian word. */
export function wordFromBigint(value: bigint): Uint8Array {
  if (value < 0n || value >> 256n !== 0n) throw new RangeError('word out of range');
  // Through hex: one native conversion instead of 32 BigInt shifts (storage digests convert every slot).
  return hexToBytes(value.toString(16).padStart(64, '0'));
}

/** The big-endian unsigned value of `bytes` (any length ≤ 32). */
export function bigintFromBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + bytesToHex(bytes));
}

/** An address as a 32-byte word (left-padded) and back. */
export function addressWord(address: Address): bigint {
  return bigintFromBytes(addressToBytes(address));
}

export function addressFromWord(word: bigint): Address {
  return addressFromBytes(wordFromBigint(word).subarray(12));
}

// --- encoding --------------------------------------------------------------------------------

function encodeStatic(type: AbiType, value: AbiValue): Uint8Array {
  switch (type.t) {
    case 'uint': {
      const v = value as bigint;
      if (typeof v !== 'bigint' || v < 0n || v >> BigInt(type.bits) !== 0n) throw new RangeError(`value does not fit uint${type.bits}`);
      return wordFromBigint(v);
    }
    case 'address':
      return wordFromBigint(addressWord(value as Address));
    case 'bool':
      return wordFromBigint((value as boolean) ? 1n : 0n);
    case 'fixedBytes': {
      const b = value as Uint8Array;
      if (!(b instanceof Uint8Array) || b.length !== type.size) throw new RangeError(`expected bytes${type.size}`);
      const out = new Uint8Array(WORD);
      out.set(b);
      return out;
    }
    default:
      throw new Error(`not a static scalar: ${type.t}`);
  }
}

function encodeOne(type: AbiType, value: AbiValue): Uint8Array {
  switch (type.t) {
    case 'bytes': {
      const b = value as Uint8Array;
      if (!(b instanceof Uint8Array)) throw new TypeError('expected bytes');
      const out = new Uint8Array(WORD + Math.ceil(b.length / WORD) * WORD);
      out.set(wordFromBigint(BigInt(b.length)));
      out.set(b, WORD);
      return out;
    }
    case 'array': {
      const items = value as readonly AbiValue[];
      const body = encodeTuple(
        items.map(() => type.of),
        items,
      );
      const out = new Uint8Array(WORD + body.length);
      out.set(wordFromBigint(BigInt(items.length)));
      out.set(body, WORD);
      return out;
    }
    case 'tuple':
      return encodeTuple(type.of, value as readonly AbiValue[]);
    default:
      return encodeStatic(type, value);
  }
}

function encodeTuple(types: readonly AbiType[], values: readonly AbiValue[]): Uint8Array {
  if (types.length !== values.length) throw new RangeError(`expected ${types.length} values, got ${values.length}`);
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let headLength = 0;
  for (const t of types) headLength += headSize(t);
  let tailOffset = headLength;
  for (let i = 0; i < types.length; i++) {
    const enc = encodeOne(types[i], values[i]);
    if (isDynamic(types[i])) {
      heads.push(wordFromBigint(BigInt(tailOffset)));
      tails.push(enc);
      tailOffset += enc.length;
    } else {
      heads.push(enc);
    }
  }
  const out = new Uint8Array(tailOffset);
  let at = 0;
  for (const h of heads) {
    out.set(h, at);
    at += h.length;
  }
  for (const t of tails) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}

/** ABI-encodes `values` as the tuple `types` (function arguments, return values, error arguments). */
export function abiEncode(types: readonly AbiType[], values: readonly AbiValue[]): Uint8Array {
  return encodeTuple(types, values);
}

// --- decoding --------------------------------------------------------------------------------

/** Where the data comes from: Solidity checks the same things but panics differently. */
export type AbiSource = 'calldata' | 'memory';

class Reader {
  constructor(
    readonly data: Uint8Array,
    readonly source: AbiSource,
    /** Memory decoding: solc's free-memory pointer when decoding starts, in bytes. */
    public freePointer: bigint,
  ) {}

  /**
   * solc's `allocate_memory` for a decoded `bytes` of `length` bytes, before it checks that the
   * bytes are there: Panic(0x41) if the new free pointer would pass 2^64 − 1.
   */
  allocateBytes(length: bigint): void {
    if (this.source !== 'memory') return;
    if (length > U64_MAX) throw new AbiDecodeError('bytes length too large', 0x41);
    const size = roundUp32(length) + 32n;
    const next = this.freePointer + roundUp32(size);
    if (next > U64_MAX) throw new AbiDecodeError('allocation past 2^64 − 1', 0x41);
    this.freePointer = next;
  }

  word(at: number): bigint {
    if (at + WORD > this.data.length) throw new AbiDecodeError('read past the end');
    return bigintFromBytes(this.data.subarray(at, at + WORD));
  }
}

function decodeStatic(r: Reader, type: AbiType, at: number): AbiValue {
  const w = r.word(at);
  switch (type.t) {
    case 'uint':
      if (w >> BigInt(type.bits) !== 0n) throw new AbiDecodeError(`uint${type.bits} out of range`);
      return w;
    case 'address':
      if (w >> 160n !== 0n) throw new AbiDecodeError('address with dirty upper bytes');
      return addressFromWord(w);
    case 'bool':
      if (w > 1n) throw new AbiDecodeError('bool other than 0 or 1');
      return w === 1n;
    case 'fixedBytes': {
      const bytes = r.data.slice(at, at + WORD);
      for (let i = type.size; i < WORD; i++) if (bytes[i] !== 0) throw new AbiDecodeError(`bytes${type.size} with dirty lower bytes`);
      return bytes.slice(0, type.size);
    }
    default:
      throw new Error(`not a static scalar: ${type.t}`);
  }
}

/** Decodes the value of `type` whose encoding starts at `start` (the tuple's base for its offsets). */
function decodeAt(r: Reader, type: AbiType, start: number, end: number): AbiValue {
  switch (type.t) {
    case 'bytes': {
      // Solidity: require(offset + 0x1f < end) before reading the length word.
      if (!(start + 0x1f < end)) throw new AbiDecodeError('bytes head out of range');
      const length = r.word(start);
      r.allocateBytes(length); // memory: solc allocates (and may panic) before the bounds check
      if (length > U64_MAX) throw new AbiDecodeError('bytes length too large');
      if (BigInt(start + WORD) + length > BigInt(end)) throw new AbiDecodeError('bytes tail out of range');
      const n = Number(length);
      return r.data.slice(start + WORD, start + WORD + n);
    }
    case 'array': {
      if (!(start + 0x1f < end)) throw new AbiDecodeError('array head out of range');
      const length = r.word(start);
      if (length > U64_MAX) {
        if (r.source === 'memory') throw new AbiDecodeError('array length too large', 0x41);
        throw new AbiDecodeError('array length too large');
      }
      const base = start + WORD;
      const elemHead = headSize(type.of);
      if (BigInt(base) + length * BigInt(elemHead) > BigInt(end)) throw new AbiDecodeError('array out of range');
      const types = Array.from({ length: Number(length) }, () => type.of);
      return decodeTupleBody(r, types, base, end);
    }
    case 'tuple':
      return decodeTupleBody(r, type.of, start, end);
    default:
      return decodeStatic(r, type, start);
  }
}

function decodeTupleBody(r: Reader, types: readonly AbiType[], base: number, end: number): AbiValue[] {
  let need = 0;
  for (const t of types) need += headSize(t);
  if (end - base < need) throw new AbiDecodeError('too few bytes for the head');
  const out: AbiValue[] = [];
  let at = base;
  for (const t of types) {
    if (isDynamic(t)) {
      const offset = r.word(at);
      if (offset > U64_MAX) throw new AbiDecodeError('offset too large');
      if (BigInt(base) + offset > BigInt(end)) throw new AbiDecodeError('offset out of range');
      out.push(decodeAt(r, t, base + Number(offset), end));
    } else {
      out.push(decodeAt(r, t, at, end));
    }
    at += headSize(t);
  }
  return out;
}

/** Decodes `data` as the tuple `types`, strictly (see the module comment). Trailing bytes are ignored. */
export function abiDecode(types: readonly AbiType[], data: Uint8Array, source: AbiSource = 'calldata', freePointer = 0x80): AbiValue[] {
  return decodeTupleBody(new Reader(data, source, BigInt(freePointer)), types, 0, data.length);
}

// --- selectors and errors --------------------------------------------------------------------

/** The 4-byte selector of a function or error signature such as `warrant(address)`: Keccak-256, first 4 bytes. */
export function selector(signature: string): Uint8Array {
  return keccak256(new TextEncoder().encode(signature)).slice(0, 4);
}

/** The 32-byte topic 0 of an event signature such as `Warranted(address)`. */
export function eventTopic(signature: string): Uint8Array {
  return keccak256(new TextEncoder().encode(signature));
}

/** selector ‖ ABI(args): call data, or the revert data of a custom error. */
export function encodeWithSelector(signature: string, types: readonly AbiType[], values: readonly AbiValue[]): Uint8Array {
  const sel = selector(signature);
  const body = abiEncode(types, values);
  const out = new Uint8Array(4 + body.length);
  out.set(sel);
  out.set(body, 4);
  return out;
}

/** Solidity's Panic(uint256) revert data (0x41: memory allocation too large). */
export function panicData(code: number): Uint8Array {
  return encodeWithSelector('Panic(uint256)', [abi.uint(256)], [BigInt(code)]);
}
