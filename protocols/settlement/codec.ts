/**
 * Canonical binary encoding of settlement transactions and endorsements.
 *
 * A record is a 4-byte ASCII tag, a version byte and a sequence of length-prefixed items
 * (u32be length ‖ bytes). Integers use the crypto library's canonical signed big-endian form
 * (`encodeInt`, protocols/crypto/zk-transcript.ts), strings UTF-8, small numbers u32be. Decoding
 * is strict — exact item count, no trailing bytes, canonical integers — so every transaction has
 * exactly one encoding and its SHA-256 is a sound identifier (Fabric's transaction id is likewise
 * a hash over the signed proposal). Malformed input throws `CodecError`; callers turn it into a
 * counted rejection, never a crash.
 */
import { decodeInt, encodeInt } from '../crypto/zk-transcript.ts';

/** A malformed encoding (rejected and counted by the caller). */
export class CodecError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Builds one record: tag, version, items. */
export class Writer {
  private readonly parts: Uint8Array[] = [];
  private length = 5;

  constructor(tag: string, version: number) {
    const t = encoder.encode(tag);
    if (t.length !== 4) throw new RangeError('codec: tag must be 4 ASCII bytes');
    const head = new Uint8Array(5);
    head.set(t, 0);
    head[4] = version;
    this.parts.push(head);
  }

  bytes(b: Uint8Array): this {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length, false);
    this.parts.push(len, b);
    this.length += 4 + b.length;
    return this;
  }

  int(x: bigint): this {
    return this.bytes(encodeInt(x));
  }

  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError('codec: u32 out of range');
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    return this.bytes(b);
  }

  string(s: string): this {
    return this.bytes(encoder.encode(s));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

/** Reads one record written by `Writer`; every accessor throws `CodecError` on bad input. */
export class Reader {
  private off = 5;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    tag: string,
    version: number,
  ) {
    const t = encoder.encode(tag);
    if (buf.length < 5) throw new CodecError(`codec: ${tag} record too short`);
    for (let i = 0; i < 4; i++) if (buf[i] !== t[i]) throw new CodecError(`codec: expected a ${tag} record`);
    if (buf[4] !== version) throw new CodecError(`codec: unsupported ${tag} version ${buf[4]}`);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  bytes(max = 1 << 24): Uint8Array {
    if (this.off + 4 > this.buf.length) throw new CodecError('codec: truncated');
    const len = this.view.getUint32(this.off, false);
    if (len > max || this.off + 4 + len > this.buf.length) throw new CodecError('codec: truncated or oversized item');
    const out = this.buf.subarray(this.off + 4, this.off + 4 + len);
    this.off += 4 + len;
    return out;
  }

  int(maxBytes = 4096): bigint {
    try {
      return decodeInt(this.bytes(maxBytes + 1));
    } catch (err) {
      if (err instanceof CodecError) throw err;
      throw new CodecError(`codec: ${(err as Error).message}`);
    }
  }

  u32(): number {
    const b = this.bytes(4);
    if (b.length !== 4) throw new CodecError('codec: bad u32');
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false);
  }

  string(max = 256): string {
    try {
      return decoder.decode(this.bytes(max));
    } catch (err) {
      if (err instanceof CodecError) throw err;
      throw new CodecError('codec: invalid UTF-8');
    }
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.off !== this.buf.length) throw new CodecError('codec: trailing bytes');
  }
}

/** Runs a decoder; any exception (the crypto library's RangeErrors included) becomes a CodecError. */
export function strictly<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof CodecError) throw err;
    throw new CodecError(`codec: ${(err as Error).message}`);
  }
}
