/**
 * Byte helpers shared by the crypto modules: hex (RFC 4648 §8, "base16", lower case), UTF-8
 * (RFC 3629), concatenation and a constant-time-ish byte comparison.
 *
 * Everything returns plain `Uint8Array`s (never Node `Buffer`s), like noble, so results compare
 * equal in tests no matter which backend produced them. Inputs are validated; invalid hex or
 * invalid UTF-8 throws instead of being silently truncated or replaced.
 */

/** Throws a `TypeError` unless `value` is a `Uint8Array` (Buffers are Uint8Arrays and pass). */
export function assertBytes(value: unknown, name = 'value', length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

/**
 * A plain `Uint8Array` view of the same memory as `buf` (no copy). Only for Buffers that own
 * their memory (digests, signatures); small `Buffer.from`/`allocUnsafe` results share a pool.
 */
export function fromBuffer(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A `Buffer` view of the same memory as `bytes` (no copy); for calling `node:crypto`. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Lower-case hex of `bytes` (RFC 4648 §8). */
export function bytesToHex(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return toBuffer(bytes).toString('hex');
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Bytes of a hex string: even length, digits 0-9a-fA-F only, no `0x` prefix. */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError('hex must be a string');
  // Buffer.from(…, 'hex') stops at the first bad digit without complaint: validate first.
  if (!HEX_RE.test(hex)) throw new RangeError('hexToBytes: expected an even number of hex digits');
  return new Uint8Array(Buffer.from(hex, 'hex')); // copy: small Buffers live in a shared pool
}

/** The concatenation of `arrays` into one fresh array. */
export function concatBytes(...arrays: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const a of arrays) {
    assertBytes(a, 'concatBytes argument');
    total += a.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/**
 * Byte-wise equality whose running time depends only on the lengths, not on where the arrays
 * differ ("constant-time-ish": JavaScript engines give no hard guarantee). Different lengths
 * return `false` at once; lengths are not secret in any of our uses.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) return false;
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string (RFC 3629). Lone surrogates become U+FFFD, as `TextEncoder` does. */
export function utf8ToBytes(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('utf8ToBytes: expected a string');
  return utf8Encoder.encode(text);
}

/** The string encoded by UTF-8 `bytes`; throws a `TypeError` on malformed UTF-8. */
export function bytesToUtf8(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return utf8Decoder.decode(bytes);
}

/**
 * Length-prefixed concatenation: for each part, its length as a 4-byte big-endian integer, then
 * its bytes. Injective on lists of byte strings: ("ab", "c") and ("a", "bc") frame differently.
 */
export function frameParts(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) {
    assertBytes(p, 'part');
    if (p.length > 0xffffffff) throw new RangeError('frameParts: part too long');
    total += 4 + p.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const p of parts) {
    view.setUint32(off, p.length, false);
    out.set(p, off + 4);
    off += 4 + p.length;
  }
  return out;
}
