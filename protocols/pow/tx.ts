/**
 * HealthChain transactions (seed 000 §2.5): the two medical payload types of
 * `protocols/records/payloads.ts` wrapped in a Bitcoin-style UTXO transaction, so that every
 * transaction pays a fee = Σ inputs − Σ outputs that goes to the miner of its block (seed 000:
 * "the block reward is replaced by transaction fees"; Bitcoin whitepaper §6).
 *
 * Canonical encoding (integers little-endian as in Bitcoin, `cs` = CompactSize):
 *
 *   tx      = version u8 (1) ‖ kind u8 ‖ body ‖ cs(#in) ‖ input* ‖ cs(#out) ‖ output*
 *   body    = coinbase: u32 height ‖ u32 miner         transfer: (empty)
 *             storage:  cs(|p|) ‖ encodeStoragePayload  access:  cs(|p|) ‖ encodeAccessPayload
 *             filler:   u32 height ‖ u32 miner ‖ u32 n ‖ n padding bytes (benchmark padding,
 *                       SimBlock-style block bytes; height+miner keep each filler's txid unique;
 *                       the padding is zeros, except that the k-th filler of a block, k ≥ 1,
 *                       starts it with u32 k — so a block may carry many distinct fillers)
 *   input   = prev txid[32] ‖ u32 index ‖ Ed25519 signature[64]
 *   output  = u64 value ‖ owner Ed25519 public key[32]
 *
 * txid = double SHA-256 of the encoding. Every input signs the same message: the double SHA-256
 * of the encoding with every input signature replaced by 64 zero bytes (Bitcoin's SIGHASH_ALL
 * idea, simplified: one digest commits to all inputs, outputs and the payload).
 *
 * Objects are immutable: built only by `makeTx`, frozen, their bytes never mutated, so an
 * object's identity stands for its exact bytes (caches rely on this). A tampered transaction is
 * a NEW object with different bytes, hence a different txid.
 */
import { encodeAccessPayload, encodeStoragePayload, type AccessPayload, type StoragePayload } from '../records/payloads.ts';
import { doubleSha256, toHex } from './crypto.ts';

export type TxKind = 'coinbase' | 'transfer' | 'storage' | 'access' | 'filler';
const KIND_CODE: Record<TxKind, number> = { coinbase: 0, transfer: 1, storage: 2, access: 3, filler: 4 };

export interface TxInput {
  /** Hex txid of the transaction whose output is spent. */
  readonly txid: string;
  /** Output index in that transaction. */
  readonly index: number;
  /** Ed25519 signature of the output's owner over the tx's sighash (64 bytes). */
  readonly signature: Uint8Array;
}

export interface TxOutput {
  /** Amount, integer base units ("satoshi-like"; fees are in the same unit). */
  readonly value: number;
  /** Owner's Ed25519 public key (32 bytes); spending needs its signature. */
  readonly owner: Uint8Array;
}

export interface TxFields {
  kind: TxKind;
  inputs?: { txid: string; index: number }[];
  outputs?: TxOutput[];
  storage?: StoragePayload;
  access?: AccessPayload;
  /** Coinbase and filler: block height and miner id (makes each one unique). */
  coinbase?: { height: number; miner: number };
  /** Filler only: padding bytes. */
  fillerBytes?: number;
  /** Filler only: index among the block's fillers (0 or absent for the first; ≥ 1 needs fillerBytes ≥ 4). */
  fillerIndex?: number;
}

export interface Tx extends Readonly<Omit<TxFields, 'inputs' | 'outputs'>> {
  readonly inputs: readonly TxInput[];
  readonly outputs: readonly TxOutput[];
  /** Wire size, bytes. */
  readonly size: number;
  /** Double SHA-256 of the encoding (32 bytes) and its hex form. */
  readonly txidBytes: Uint8Array;
  readonly txid: string;
  /** The message every input signs. */
  readonly sighash: Uint8Array;
}

class Writer {
  private buf: Uint8Array;
  private o = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }
  private room(n: number): void {
    if (this.o + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.o + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.o));
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.o++] = v;
  }
  u32(v: number): void {
    this.room(4);
    new DataView(this.buf.buffer).setUint32(this.o, v >>> 0, true);
    this.o += 4;
  }
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('u64 must be a safe non-negative integer');
    this.room(8);
    new DataView(this.buf.buffer).setBigUint64(this.o, BigInt(v), true);
    this.o += 8;
  }
  /** Bitcoin CompactSize. */
  cs(n: number): void {
    if (n < 0xfd) this.u8(n);
    else if (n <= 0xffff) {
      this.u8(0xfd);
      this.room(2);
      this.buf[this.o++] = n & 0xff;
      this.buf[this.o++] = n >>> 8;
    } else {
      this.u8(0xfe);
      this.u32(n);
    }
  }
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.o);
    this.o += b.length;
  }
  zeros(n: number): void {
    this.room(n);
    this.buf.fill(0, this.o, this.o + n);
    this.o += n;
  }
  finish(): Uint8Array {
    // Exactly sized buffers (fillers) are returned as they are, without a copy.
    return this.o === this.buf.length ? this.buf : this.buf.slice(0, this.o);
  }
}

export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const ZERO_SIG = new Uint8Array(64);

function encode(f: TxFields, signatures: readonly Uint8Array[] | null): Uint8Array {
  // A filler's size is known up front: 2 + 12 + n + 1 + 1 (no inputs, no outputs).
  const w = new Writer(f.kind === 'filler' ? 16 + f.fillerBytes! + (f.outputs?.length ? 256 : 0) : 256);
  w.u8(1);
  w.u8(KIND_CODE[f.kind]);
  switch (f.kind) {
    case 'coinbase':
      w.u32(f.coinbase!.height);
      w.u32(f.coinbase!.miner);
      break;
    case 'storage': {
      const p = encodeStoragePayload(f.storage!);
      w.cs(p.length);
      w.raw(p);
      break;
    }
    case 'access': {
      const p = encodeAccessPayload(f.access!);
      w.cs(p.length);
      w.raw(p);
      break;
    }
    case 'filler':
      w.u32(f.coinbase!.height);
      w.u32(f.coinbase!.miner);
      w.u32(f.fillerBytes!);
      if (f.fillerIndex) {
        if (f.fillerBytes! < 4) throw new RangeError('a filler with an index needs at least 4 padding bytes');
        w.u32(f.fillerIndex);
        w.zeros(f.fillerBytes! - 4);
      } else w.zeros(f.fillerBytes!);
      break;
    case 'transfer':
      break;
  }
  const inputs = f.inputs ?? [];
  w.cs(inputs.length);
  inputs.forEach((inp, i) => {
    const id = hexToBytes(inp.txid);
    if (id.length !== 32) throw new RangeError('input txid must be 32 bytes');
    w.raw(id);
    w.u32(inp.index);
    const sig = signatures ? signatures[i] : ZERO_SIG;
    if (sig.length !== 64) throw new RangeError('input signature must be 64 bytes');
    w.raw(sig);
  });
  const outputs = f.outputs ?? [];
  w.cs(outputs.length);
  for (const out of outputs) {
    w.u64(out.value);
    if (out.owner.length !== 32) throw new RangeError('output owner must be a 32-byte key');
    w.raw(out.owner);
  }
  return w.finish();
}

/** The message the inputs of a tx with these fields sign. */
export function sighashOf(fields: TxFields): Uint8Array {
  return doubleSha256(encode(fields, null));
}

/**
 * Builds a transaction. `sign(i, sighash)` returns input i's signature (callers hold the keys);
 * a forger may return anything — validation, not construction, decides.
 */
export function makeTx(fields: TxFields, sign?: (index: number, sighash: Uint8Array) => Uint8Array): Tx {
  const inputs = fields.inputs ?? [];
  let sighash: Uint8Array;
  let signatures: Uint8Array[];
  let bytes: Uint8Array;
  let txidBytes: Uint8Array;
  if (inputs.length === 0) {
    // No input signatures: the signed encoding IS the sighash encoding (one encode, one hash;
    // this matters for 535 kB benchmark fillers).
    signatures = [];
    bytes = encode(fields, signatures);
    sighash = txidBytes = doubleSha256(bytes);
  } else {
    sighash = sighashOf(fields);
    signatures = inputs.map((_, i) => (sign ? sign(i, sighash) : ZERO_SIG));
    bytes = encode(fields, signatures);
    txidBytes = doubleSha256(bytes);
  }
  const tx: Tx = Object.freeze({
    kind: fields.kind,
    storage: fields.storage,
    access: fields.access,
    coinbase: fields.coinbase,
    fillerBytes: fields.fillerBytes,
    fillerIndex: fields.fillerIndex,
    inputs: Object.freeze(inputs.map((inp, i) => Object.freeze({ txid: inp.txid, index: inp.index, signature: signatures[i] }))),
    outputs: Object.freeze([...(fields.outputs ?? [])]),
    size: bytes.length,
    txidBytes,
    txid: toHex(txidBytes),
    sighash,
  });
  return tx;
}

/** Same transaction with input signatures replaced (for forgery tests and attackers). */
export function withSignatures(tx: Tx, signatures: Uint8Array[]): Tx {
  const fields: TxFields = { kind: tx.kind, storage: tx.storage, access: tx.access, coinbase: tx.coinbase, fillerBytes: tx.fillerBytes, fillerIndex: tx.fillerIndex, outputs: [...tx.outputs], inputs: tx.inputs.map((i) => ({ txid: i.txid, index: i.index })) };
  return makeTx(fields, (i) => signatures[i]);
}

/** Σ output values. */
export function outputTotal(tx: Tx): number {
  let s = 0;
  for (const o of tx.outputs) s += o.value;
  return s;
}
