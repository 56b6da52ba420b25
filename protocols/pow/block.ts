/**
 * Blocks: an 80-byte Bitcoin-layout header and a list of transactions in a Merkle tree
 * (Bitcoin whitepaper §§4, 7; seed 000 §2.5 Fig. 3).
 *
 *   header = version u32 ‖ prevHash[32] ‖ merkleRoot[32] ‖ time u32 (s) ‖ bits u32 ‖ nonce u32
 *            (little-endian integers, as Bitcoin)
 *   hash   = double SHA-256(header)
 *   block  = header ‖ cs(#tx) ‖ tx*          (first tx: the coinbase collecting the fees)
 *
 * The proof of work is real: `mineNonce` searches nonces until the hash meets the target, and
 * every receiver re-hashes the header (`verifyHeader`). Scenarios use a small simulation target
 * (a few leading zero bits) so the search costs microseconds, while block discovery TIMES follow
 * the miners' hash shares in virtual time (see mining in protocols/nakamoto/node.ts).
 *
 * Block objects are immutable and shared by every simulated node that holds them (one copy per
 * run, whatever the node count); their size and hash are computed once at construction.
 */
import { doubleSha256, merkleRoot, toHex } from './crypto.ts';
import { hashMeetsBits } from './target.ts';
import { hexToBytes, type Tx } from './tx.ts';

export const HEADER_BYTES = 80;
export const BLOCK_VERSION = 1;

export interface BlockHeader {
  readonly version: number;
  /** Hex hash of the parent block (all zeros for genesis). */
  readonly prevHash: string;
  /** Merkle root of the txids (32 bytes). */
  readonly merkleRoot: Uint8Array;
  /** Seconds since the start of the run (the simulation's epoch). */
  readonly time: number;
  /** Compact target (nBits). */
  readonly bits: number;
  readonly nonce: number;
}

export interface Block {
  readonly header: BlockHeader;
  /** The 80 header bytes (hashed for the proof of work). */
  readonly headerBytes: Uint8Array;
  /** Hash claimed by the builder (receivers recompute it from `headerBytes`). */
  readonly hash: string;
  readonly txs: readonly Tx[];
  /** Serialized size in bytes (header + tx count + txs). */
  readonly size: number;
}

export const ZERO_HASH = '0'.repeat(64);

/** Serialises a header to its 80 bytes. */
export function encodeHeader(h: BlockHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, h.version >>> 0, true);
  out.set(hexToBytes(h.prevHash), 4);
  if (h.merkleRoot.length !== 32) throw new RangeError('merkle root must be 32 bytes');
  out.set(h.merkleRoot, 36);
  dv.setUint32(68, h.time >>> 0, true);
  dv.setUint32(72, h.bits >>> 0, true);
  dv.setUint32(76, h.nonce >>> 0, true);
  return out;
}

function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

/** Merkle root over the txids of `txs` (Bitcoin whitepaper §7). */
export function computeMerkleRoot(txs: readonly Tx[]): Uint8Array {
  return merkleRoot(txs.map((t) => t.txidBytes));
}

/** Assembles a block from a header (nonce included) and txs. Does not check anything. */
export function assembleBlock(header: BlockHeader, txs: readonly Tx[]): Block {
  const headerBytes = encodeHeader(header);
  let size = HEADER_BYTES + compactSizeLength(txs.length);
  for (const t of txs) size += t.size;
  return Object.freeze({
    header: Object.freeze({ ...header }),
    headerBytes,
    hash: toHex(doubleSha256(headerBytes)),
    txs: Object.freeze([...txs]),
    size,
  });
}

/**
 * Real nonce search (Bitcoin whitepaper §4): increments the nonce until double-SHA-256(header)
 * meets the target. With a k-zero-bit simulation target this takes ~2^k hashes. When the 32-bit
 * nonce space is exhausted the timestamp is bumped (as miners roll nTime/extraNonce).
 */
export function mineNonce(template: Omit<BlockHeader, 'nonce'>, txs: readonly Tx[]): Block {
  const header = { ...template, nonce: 0 };
  const bytes = encodeHeader(header);
  const dv = new DataView(bytes.buffer);
  for (;;) {
    for (let nonce = 0; nonce <= 0xffffffff; nonce++) {
      dv.setUint32(76, nonce, true);
      if (hashMeetsBits(doubleSha256(bytes), header.bits)) return assembleBlock({ ...header, nonce }, txs);
    }
    header.time++;
    dv.setUint32(68, header.time, true);
  }
}

/** Result of the context-free checks of a received block. */
export interface HeaderVerdict {
  /** Hash recomputed from the header bytes. */
  hash: string;
  /** Proof of work meets the header's own target. */
  powOk: boolean;
}

/** Recomputes the header hash and checks the proof of work (every receiver does this). */
export function verifyHeader(block: Block): HeaderVerdict {
  const hashBytes = doubleSha256(block.headerBytes);
  return { hash: toHex(hashBytes), powOk: hashMeetsBits(hashBytes, readBits(block.headerBytes)) };
}

function readBits(headerBytes: Uint8Array): number {
  return new DataView(headerBytes.buffer, headerBytes.byteOffset, HEADER_BYTES).getUint32(72, true);
}

/** The header fields as encoded in the bytes (what a receiver parses; never the builder's object). */
export function parseHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length !== HEADER_BYTES) throw new RangeError('header must be 80 bytes');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  return {
    version: dv.getUint32(0, true),
    prevHash: toHex(bytes.subarray(4, 36)),
    merkleRoot: bytes.slice(36, 68),
    time: dv.getUint32(68, true),
    bits: dv.getUint32(72, true),
    nonce: dv.getUint32(76, true),
  };
}
