/**
 * RLP, Recursive Length Prefix serialisation: Ethereum yellow paper, Appendix B
 * ("Recursive Length Prefix"; functions RLP, R_b, R_l, s and BE).
 *
 * An item is either a byte array or a list of items. Encoding (yellow paper B, R_b and R_l):
 *   - a single byte x < 0x80                     → x itself
 *   - a byte array of length n < 56              → (0x80 + n) ‖ bytes
 *   - a byte array of length n ≥ 56              → (0xb7 + |BE(n)|) ‖ BE(n) ‖ bytes
 *   - a list whose payload s(x) has length n < 56 → (0xc0 + n) ‖ s(x)
 *   - a list whose payload has length n ≥ 56     → (0xf7 + |BE(n)|) ‖ BE(n) ‖ s(x)
 * where s(x) is the concatenation of the members' encodings and BE(n) is the big-endian
 * representation of n *without leading zero bytes* (so |BE(n)| ≤ 8). Scalars (unsigned integers)
 * are encoded as BE(n) byte arrays, 0 as the empty array (yellow paper: "RLP(BE(i))").
 *
 * Decoding is STRICT: every item has exactly one accepted encoding, so `rlpEncode(rlpDecode(b))`
 * reproduces `b` byte for byte and hashes of RLP (Ethereum transaction/block hashes) are
 * unambiguous. Violations throw `RlpError` with a `code`:
 *   - `non-canonical-single-byte` 0x81 followed by a byte < 0x80 (must be the byte alone)
 *   - `non-canonical-length`      long form used for a length < 56
 *   - `leading-zero-length`       long-form length with a leading zero byte
 *   - `truncated`                 input (or an enclosing list) shorter than a declared length
 *   - `trailing-bytes`            bytes left after the top-level item
 *   - `too-large`                 input longer than `maxBytes`
 *   - `too-deep`                  lists nested deeper than `maxDepth`
 * plus, for the helpers: `invalid-input`, `non-canonical-integer`, `integer-overflow`,
 * `invalid-utf8`, `unexpected-type`.
 */
import { bytesToUtf8, utf8ToBytes } from './encoding.ts';

/** An RLP item: a byte array or a (nested) list of items. */
export type RlpItem = Uint8Array | RlpList;
/** A list of RLP items. Decoding returns ordinary (mutable) arrays. */
export type RlpList = readonly RlpItem[];

export type RlpErrorCode =
  | 'invalid-input'
  | 'truncated'
  | 'trailing-bytes'
  | 'non-canonical-single-byte'
  | 'non-canonical-length'
  | 'leading-zero-length'
  | 'too-large'
  | 'too-deep'
  | 'non-canonical-integer'
  | 'integer-overflow'
  | 'invalid-utf8'
  | 'unexpected-type';

/** Every RLP encoding or decoding failure. `code` says which rule was broken. */
export class RlpError extends Error {
  override readonly name = 'RlpError';
  constructor(
    readonly code: RlpErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface RlpOptions {
  /** Largest accepted input (decode) or output (encode), in bytes. Default 16 MiB. */
  maxBytes?: number;
  /** Deepest accepted list nesting; a flat list has depth 1. Default 64. */
  maxDepth?: number;
}

export const RLP_DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
export const RLP_DEFAULT_MAX_DEPTH = 64;

const SHORT_STRING = 0x80; // 0x80..0xb7: string, length in the prefix
const LONG_STRING = 0xb7; //  0xb8..0xbf: string, length-of-length in the prefix
const SHORT_LIST = 0xc0; //   0xc0..0xf7: list, payload length in the prefix
const LONG_LIST = 0xf7; //    0xf8..0xff: list, length-of-length in the prefix
const SHORT_LIMIT = 56;

function limits(options: RlpOptions | undefined): { maxBytes: number; maxDepth: number } {
  const maxBytes = options?.maxBytes ?? RLP_DEFAULT_MAX_BYTES;
  const maxDepth = options?.maxDepth ?? RLP_DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError('maxBytes must be a non-negative integer');
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 0) throw new RangeError('maxDepth must be a non-negative integer');
  return { maxBytes, maxDepth };
}

/** Bytes needed for BE(n), n > 0 (yellow paper: big-endian, no leading zeros). */
function beLength(n: number): number {
  let len = 0;
  while (n > 0) {
    len++;
    n = Math.floor(n / 256);
  }
  return len;
}

/** Length of the prefix for a payload of `n` bytes (string or list). */
function prefixLength(n: number): number {
  return n < SHORT_LIMIT ? 1 : 1 + beLength(n);
}

// ---------------------------------------------------------------------------------------------
// Encoding: a sizing pass records every list's payload length (pre-order), then one write pass
// fills a single output buffer. No intermediate concatenations.
// ---------------------------------------------------------------------------------------------

function measure(item: RlpItem, depth: number, maxDepth: number, listSizes: number[]): number {
  if (item instanceof Uint8Array) {
    // B, R_b: a lone byte < 0x80 is its own encoding.
    if (item.length === 1 && item[0] < SHORT_STRING) return 1;
    return prefixLength(item.length) + item.length;
  }
  if (!Array.isArray(item)) throw new RlpError('invalid-input', 'items must be Uint8Arrays or arrays of items');
  if (depth + 1 > maxDepth) throw new RlpError('too-deep', `list nesting exceeds maxDepth ${maxDepth}`);
  const slot = listSizes.length;
  listSizes.push(0);
  let payload = 0;
  for (const member of item) payload += measure(member, depth + 1, maxDepth, listSizes);
  listSizes[slot] = payload;
  return prefixLength(payload) + payload;
}

function writePrefix(out: Uint8Array, pos: number, shortBase: number, longBase: number, n: number): number {
  if (n < SHORT_LIMIT) {
    out[pos] = shortBase + n;
    return pos + 1;
  }
  const lenLen = beLength(n);
  out[pos] = longBase + lenLen;
  for (let k = lenLen; k >= 1; k--) {
    out[pos + k] = n % 256;
    n = Math.floor(n / 256);
  }
  return pos + 1 + lenLen;
}

function write(item: RlpItem, out: Uint8Array, pos: number, listSizes: number[], cursor: { i: number }): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < SHORT_STRING) {
      out[pos] = item[0];
      return pos + 1;
    }
    pos = writePrefix(out, pos, SHORT_STRING, LONG_STRING, item.length);
    out.set(item, pos);
    return pos + item.length;
  }
  const payload = listSizes[cursor.i++];
  pos = writePrefix(out, pos, SHORT_LIST, LONG_LIST, payload);
  for (const member of item as RlpList) pos = write(member, out, pos, listSizes, cursor);
  return pos;
}

/** The RLP encoding of `item` (yellow paper Appendix B, function RLP). */
export function rlpEncode(item: RlpItem, options?: RlpOptions): Uint8Array {
  const { maxBytes, maxDepth } = limits(options);
  const listSizes: number[] = [];
  const total = measure(item, 0, maxDepth, listSizes);
  if (total > maxBytes) throw new RlpError('too-large', `encoding is ${total} bytes, above maxBytes ${maxBytes}`);
  const out = new Uint8Array(total);
  const end = write(item, out, 0, listSizes, { i: 0 });
  if (end !== total) throw new Error('rlpEncode: internal size mismatch'); // unreachable
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

interface Cursor {
  readonly input: Uint8Array;
  readonly maxDepth: number;
  pos: number;
}

/** Reads a long-form length of `lenLen` bytes at `c.pos`, enforcing canonical form. */
function readLongLength(c: Cursor, lenLen: number, end: number): number {
  if (c.pos + lenLen > end) throw new RlpError('truncated', `length field of ${lenLen} bytes runs past the end`);
  // BE(n) has no leading zeros (yellow paper B): 0xb9 0x00 0x40 is not a valid 64.
  if (c.input[c.pos] === 0) throw new RlpError('leading-zero-length', `length field at offset ${c.pos} starts with 0x00`);
  let n = 0;
  for (let k = 0; k < lenLen; k++) n = n * 256 + c.input[c.pos + k]; // ≤ 8 bytes; huge values only compare
  c.pos += lenLen;
  // Long form is only for lengths ≥ 56.
  if (n < SHORT_LIMIT) throw new RlpError('non-canonical-length', `long-form length ${n} < 56 must use the short form`);
  return n;
}

function decodeItem(c: Cursor, end: number, depth: number): RlpItem {
  if (c.pos >= end) throw new RlpError('truncated', 'expected an item, found the end of input');
  const start = c.pos;
  const b = c.input[c.pos++];

  if (b < SHORT_STRING) return c.input.slice(start, start + 1); // single byte, its own encoding

  if (b <= LONG_STRING) {
    const len = b - SHORT_STRING;
    if (c.pos + len > end) throw new RlpError('truncated', `string at offset ${start} declares ${len} bytes`);
    // 0x81 0x00..0x7f: a byte < 0x80 must be encoded as itself.
    if (len === 1 && c.input[c.pos] < SHORT_STRING) {
      throw new RlpError('non-canonical-single-byte', `byte 0x${c.input[c.pos].toString(16).padStart(2, '0')} at offset ${start} must not carry a prefix`);
    }
    const out = c.input.slice(c.pos, c.pos + len);
    c.pos += len;
    return out;
  }

  if (b < SHORT_LIST) {
    const len = readLongLength(c, b - LONG_STRING, end);
    if (c.pos + len > end) throw new RlpError('truncated', `string at offset ${start} declares ${len} bytes`);
    const out = c.input.slice(c.pos, c.pos + len);
    c.pos += len;
    return out;
  }

  if (depth + 1 > c.maxDepth) throw new RlpError('too-deep', `list nesting exceeds maxDepth ${c.maxDepth}`);
  const len = b <= LONG_LIST ? b - SHORT_LIST : readLongLength(c, b - LONG_LIST, end);
  if (c.pos + len > end) throw new RlpError('truncated', `list at offset ${start} declares ${len} payload bytes`);
  const listEnd = c.pos + len;
  const items: RlpItem[] = [];
  // Members must tile the payload exactly; a member running past listEnd is 'truncated'.
  while (c.pos < listEnd) items.push(decodeItem(c, listEnd, depth + 1));
  return items;
}

/**
 * Decodes exactly one RLP item occupying all of `input`, strictly (see the header for the
 * rules and error codes). Returned byte arrays are copies, not views of `input`.
 */
export function rlpDecode(input: Uint8Array, options?: RlpOptions): RlpItem {
  if (!(input instanceof Uint8Array)) throw new RlpError('invalid-input', 'input must be a Uint8Array');
  const { maxBytes, maxDepth } = limits(options);
  if (input.length > maxBytes) throw new RlpError('too-large', `input is ${input.length} bytes, above maxBytes ${maxBytes}`);
  const c: Cursor = { input, maxDepth, pos: 0 };
  const item = decodeItem(c, input.length, 0);
  if (c.pos !== input.length) throw new RlpError('trailing-bytes', `${input.length - c.pos} bytes after the item`);
  return item;
}

// ---------------------------------------------------------------------------------------------
// Scalar and string helpers
// ---------------------------------------------------------------------------------------------

/** BE(n) without leading zeros, 0 ↦ empty (yellow paper B: scalars as minimal big-endian). */
export function encodeUint(n: bigint | number): Uint8Array {
  let v: bigint;
  if (typeof n === 'number') {
    if (!Number.isSafeInteger(n) || n < 0) throw new RlpError('invalid-input', `not a non-negative safe integer: ${n}`);
    v = BigInt(n);
  } else if (typeof n === 'bigint') {
    if (n < 0n) throw new RlpError('invalid-input', 'negative integers have no RLP encoding');
    v = n;
  } else {
    throw new RlpError('invalid-input', 'expected a bigint or a number');
  }
  if (v === 0n) return new Uint8Array(0);
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The unsigned integer in `item`; rejects lists and leading zero bytes (0 must be empty). */
export function decodeUint(item: RlpItem): bigint {
  const bytes = asBytes(item);
  if (bytes.length > 0 && bytes[0] === 0) throw new RlpError('non-canonical-integer', 'integer has a leading zero byte');
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Like `decodeUint`, as a number; throws `integer-overflow` above `Number.MAX_SAFE_INTEGER`. */
export function decodeUintNumber(item: RlpItem): number {
  const v = decodeUint(item);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RlpError('integer-overflow', `${v} exceeds Number.MAX_SAFE_INTEGER`);
  return Number(v);
}

/** UTF-8 bytes of `s`, for use as an RLP string item. */
export function encodeString(s: string): Uint8Array {
  if (typeof s !== 'string') throw new RlpError('invalid-input', 'expected a string');
  return utf8ToBytes(s);
}

/** The UTF-8 string in `item`; rejects lists and malformed UTF-8. */
export function decodeString(item: RlpItem): string {
  const bytes = asBytes(item);
  try {
    return bytesToUtf8(bytes);
  } catch {
    throw new RlpError('invalid-utf8', 'string item is not valid UTF-8');
  }
}

/** `item` if it is a byte array, else `RlpError('unexpected-type')`. */
export function asBytes(item: RlpItem): Uint8Array {
  if (item instanceof Uint8Array) return item;
  throw new RlpError('unexpected-type', 'expected a byte string, found a list');
}

/** `item` if it is a list (optionally of exactly `length` members), else `RlpError('unexpected-type')`. */
export function asList(item: RlpItem, length?: number): RlpList {
  if (!Array.isArray(item)) throw new RlpError('unexpected-type', 'expected a list, found a byte string');
  const list = item as RlpList;
  if (length !== undefined && list.length !== length) {
    throw new RlpError('unexpected-type', `expected a list of ${length} items, found ${list.length}`);
  }
  return list;
}
