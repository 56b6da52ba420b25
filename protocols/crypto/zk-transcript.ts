/**
 * Fiat–Shamir transcripts and canonical proof encodings for the Paillier zero-knowledge proofs
 * (`ring-pedersen.ts`, `zk-range.ts`, `zk-equality.ts`, `zk-paillier.ts`).
 *
 * **Transcript** (Fiat–Shamir, CRYPTO 1986; the "absorb everything, then squeeze" discipline of
 * Merlin/STROBE transcripts and of Bernhard–Pereira–Warinschi, "How not to prove yourself",
 * ASIACRYPT 2012, which shows that omitting public inputs from the hash breaks soundness):
 * a running SHA-256 (FIPS 180-4) over framed items. Each item is
 *   u32be(len(label)) ‖ label ‖ u32be(len(value)) ‖ value
 * so no two different item sequences give the same byte stream. A transcript starts with the
 * protocol-wide tag `medchain-sim/zk/v1` and a per-proof domain-separation label, then every
 * public input (keys, ciphertexts, bounds, setup parameters, caller context) and every prover
 * message is absorbed *before* a challenge is squeezed.
 *
 * **Challenge** squeezing: for a challenge labelled L, block i (i = 0, 1, …) is
 * SHA-256(state ‖ frame("squeeze", L) ‖ u32be(i)) where `state` is the digest of everything absorbed
 * so far; blocks are concatenated, read big-endian and truncated to the requested bit length
 * (uniform in [0, 2^bits)). The challenge is then absorbed under frame("challenge", L), so later
 * challenges depend on earlier ones.
 *
 * **Integer encoding** (used both in transcripts and in serialised proofs): a sign byte (0x00 for
 * x ≥ 0, 0x01 for x < 0) followed by |x| big-endian without leading zero bytes (0 is the sign byte
 * alone). Decoding is strict: a leading zero byte, negative zero or unknown sign byte is
 * rejected, so every integer — and therefore every proof — has exactly one encoding.
 *
 * **Proof encoding**: 4-byte ASCII tag ‖ version byte ‖ u32be(field count) ‖ for each field
 * u32be(len) ‖ integer encoding. `decodeFields` checks tag, version, count and exact length.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { RandomSource } from './random.ts';

const encoder = new TextEncoder();
const PROTOCOL_TAG = 'medchain-sim/zk/v1';

function u32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError('u32 out of range');
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

/** Canonical signed big-endian encoding of an integer (see header). */
export function encodeInt(x: bigint): Uint8Array {
  const neg = x < 0n;
  const mag = neg ? -x : x;
  if (mag === 0n) return new Uint8Array([0]);
  let hex = mag.toString(16);
  if (hex.length & 1) hex = '0' + hex;
  const body = Buffer.from(hex, 'hex');
  const out = new Uint8Array(body.length + 1);
  out[0] = neg ? 1 : 0;
  out.set(body, 1);
  return out;
}

/** Strict inverse of `encodeInt`; throws on any non-canonical encoding. */
export function decodeInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) throw new RangeError('integer encoding: empty');
  const sign = bytes[0];
  if (sign !== 0 && sign !== 1) throw new RangeError('integer encoding: bad sign byte');
  if (bytes.length === 1) {
    if (sign === 1) throw new RangeError('integer encoding: negative zero');
    return 0n;
  }
  if (bytes[1] === 0) throw new RangeError('integer encoding: leading zero byte');
  const mag = BigInt('0x' + Buffer.from(bytes.subarray(1)).toString('hex'));
  return sign === 1 ? -mag : mag;
}

/** A Fiat–Shamir transcript with domain separation (see header). */
export class Transcript {
  private readonly hash = sha256.create();

  /** @param domain per-proof domain-separation label, e.g. `paillier/range` */
  constructor(domain: string) {
    this.appendBytes('protocol', encoder.encode(PROTOCOL_TAG));
    this.appendBytes('domain', encoder.encode(domain));
  }

  private frame(label: string, value: Uint8Array): void {
    const l = encoder.encode(label);
    this.hash.update(u32(l.length));
    this.hash.update(l);
    this.hash.update(u32(value.length));
    this.hash.update(value);
  }

  /** Absorbs raw bytes under a label. */
  appendBytes(label: string, value: Uint8Array): this {
    this.frame(label, value);
    return this;
  }

  /** Absorbs a UTF-8 string. */
  appendString(label: string, value: string): this {
    return this.appendBytes(label, encoder.encode(value));
  }

  /** Absorbs a non-negative safe integer (e.g. a bit length). */
  appendNumber(label: string, value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('transcript: bad number');
    return this.appendInt(label, BigInt(value));
  }

  /** Absorbs an integer in its canonical encoding. */
  appendInt(label: string, value: bigint): this {
    return this.appendBytes(label, encodeInt(value));
  }

  /** Absorbs a list of integers (count first, then each one). */
  appendInts(label: string, values: readonly bigint[]): this {
    this.appendNumber(`${label}#`, values.length);
    values.forEach((v, i) => this.appendInt(`${label}[${i}]`, v));
    return this;
  }

  /** Squeezes a uniform challenge in [0, 2^bits) and absorbs it. */
  challenge(label: string, bits: number): bigint {
    if (!Number.isInteger(bits) || bits < 1 || bits > 4096) throw new RangeError('transcript: bad challenge size');
    const state = this.hash.clone().digest();
    const blocks = Math.ceil(bits / 256);
    const l = encoder.encode(label);
    let hex = '';
    for (let i = 0; i < blocks; i++) {
      const h = sha256.create();
      h.update(state);
      h.update(u32(7));
      h.update(encoder.encode('squeeze'));
      h.update(u32(l.length));
      h.update(l);
      h.update(u32(i));
      hex += Buffer.from(h.digest()).toString('hex');
    }
    const value = BigInt('0x' + hex) >> BigInt(blocks * 256 - bits);
    this.appendInt(`challenge/${label}`, value);
    return value;
  }

  /** The digest of everything absorbed so far (does not change the transcript). */
  digest(): Uint8Array {
    return this.hash.clone().digest();
  }
}

/** Encodes a proof as tag ‖ version ‖ count ‖ fields (see header). */
export function encodeFields(tag: string, version: number, fields: readonly bigint[]): Uint8Array {
  const t = encoder.encode(tag);
  if (t.length !== 4) throw new RangeError('proof tag must be 4 ASCII bytes');
  const parts: Uint8Array[] = [t, new Uint8Array([version]), u32(fields.length)];
  for (const f of fields) {
    const e = encodeInt(f);
    parts.push(u32(e.length), e);
  }
  const len = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Strict inverse of `encodeFields`; `count` (if given) must match. */
export function decodeFields(tag: string, version: number, bytes: Uint8Array, count?: number): bigint[] {
  const t = encoder.encode(tag);
  if (bytes.length < 9) throw new RangeError('proof encoding: too short');
  for (let i = 0; i < 4; i++) if (bytes[i] !== t[i]) throw new RangeError(`proof encoding: expected tag ${tag}`);
  if (bytes[4] !== version) throw new RangeError('proof encoding: unsupported version');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(5, false);
  if (count !== undefined && n !== count) throw new RangeError('proof encoding: wrong field count');
  const out: bigint[] = [];
  let off = 9;
  for (let i = 0; i < n; i++) {
    if (off + 4 > bytes.length) throw new RangeError('proof encoding: truncated');
    const len = view.getUint32(off, false);
    off += 4;
    if (off + len > bytes.length) throw new RangeError('proof encoding: truncated');
    out.push(decodeInt(bytes.subarray(off, off + len)));
    off += len;
  }
  if (off !== bytes.length) throw new RangeError('proof encoding: trailing bytes');
  return out;
}

/** Uniform integer in [0, 2^bits) from a random source (sampling helper for provers). */
export function randomBits(bits: number, random: RandomSource): bigint {
  const bytes = random(Math.ceil(bits / 8));
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x & ((1n << BigInt(bits)) - 1n);
}

/**
 * Security parameters shared by the Paillier proofs.
 * - `challengeBits` c: Fiat–Shamir challenges are uniform in [0, 2^c); special soundness gives
 *   knowledge error 2^-c per proof (c ≥ 80 is enforced; default 128).
 * - `slackBits` σ: integer masks exceed the masked value by 2^σ, so each response (and each
 *   commitment's randomness) is within statistical distance 2^-σ of a value independent of the
 *   witness. The proofs have at most 16 such values, so σ = 84 keeps the total below 2^-80.
 * - `batchBits` κ: weights of the batched ring-Pedersen check (failure probability 2^-κ).
 */
export interface ZkParams {
  readonly challengeBits: number;
  readonly slackBits: number;
  readonly batchBits: number;
}

export const DEFAULT_ZK_PARAMS: ZkParams = Object.freeze({ challengeBits: 128, slackBits: 84, batchBits: 128 });

/** Throws unless c ≥ 80, σ ≥ 80, κ ≥ 80 (all ≤ 512). */
export function checkZkParams(p: ZkParams): void {
  for (const [name, v] of [
    ['challengeBits', p.challengeBits],
    ['slackBits', p.slackBits],
    ['batchBits', p.batchBits],
  ] as const) {
    if (!Number.isInteger(v) || v < 80 || v > 512) throw new RangeError(`ZK params: ${name} must be an integer in [80, 512]`);
  }
}

/** Absorbs the ZK parameters into a transcript. */
export function appendZkParams(tr: Transcript, p: ZkParams): void {
  tr.appendNumber('zk/c', p.challengeBits).appendNumber('zk/sigma', p.slackBits).appendNumber('zk/kappa', p.batchBits);
}
