/**
 * Ringchain blocks (seed 001 §2.2): an Ethereum-style header and a list of ring-signed txs.
 *
 *   header = RLP(parentHash, ommersHash, txRoot, beneficiary, stateRoot, difficulty, number,
 *                timestamp, nonce, mixHash)                     (the fields seed 001 §2.2 lists)
 *   hash   = KEC(header)                                        Keccak-256, as Ethereum
 *   txRoot = KEC(RLP([T_0, T_1, …]))                            the encoded txs, in block order
 *   ommersHash = KEC(RLP([U_0, U_1]))                           the ommer headers (yellow paper H_o)
 *
 * txRoot and stateRoot are flat Keccak commitments, not Merkle Patricia tries: nothing inside
 * the simulator needs inclusion proofs, only that the header commits to exactly these txs and
 * this state (docs/ringchain.md).
 *
 * Proof of work: Ethash (yellow paper §11.5, Appendix J) computes (mixHash, result) =
 * hashimoto(KEC(header without nonce and mixHash), nonce, DAG) and accepts iff the header's
 * mixHash equals the recomputed one and result ≤ 2^256 / difficulty. Here the DAG lookups are
 * replaced by Keccak-256 — mix = KEC("ringchain/mix" ‖ sealHash ‖ nonce), result =
 * KEC(sealHash ‖ nonce ‖ mix) — so the check has Ethash's shape (a cheap mix check, then the
 * target) without its memory hardness, which the simulator does not need: hash rate is virtual
 * (protocols/nakamoto/node.ts), and the nonce search is real at a small simulation difficulty.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { concatBytes } from '../crypto/encoding.ts';
import { keccak256 } from '../crypto/hash.ts';
import { asBytes, decodeUintNumber, encodeString, encodeUint, rlpDecode, rlpEncode, type RlpItem } from '../crypto/rlp.ts';
import type { ChainBlock } from '../nakamoto/chain.ts';
import { addressFromBytes, addressToBytes, type Address } from './contracts/index.ts';
import type { RingTx } from './tx.ts';

export interface RingHeader {
  /** KEC of the parent header, 32 bytes. */
  readonly parentHash: Uint8Array;
  /** KEC(RLP(ommer headers)), 32 bytes. */
  readonly ommersHash: Uint8Array;
  /** KEC(RLP(encoded txs)), 32 bytes. */
  readonly txRoot: Uint8Array;
  /** The miner credited with the reward and the fees. */
  readonly beneficiary: Address;
  /** Commitment to the state after the block (state.ts), 32 bytes. */
  readonly stateRoot: Uint8Array;
  /** Expected hashes per block (target = 2^256 / difficulty). */
  readonly difficulty: number;
  /** Block number (genesis 0). */
  readonly number: number;
  /** Seconds since the start of the run. */
  readonly timestamp: number;
  /** 8 bytes. */
  readonly nonce: Uint8Array;
  /** 32 bytes (see the module comment). */
  readonly mixHash: Uint8Array;
}

export interface RingBlock extends ChainBlock<RingTx> {
  readonly header: RingHeader;
  /** The RLP header bytes (hashed for the block hash). */
  readonly headerBytes: Uint8Array;
  /** KEC(headerBytes) as the builder claims it; receivers recompute it. */
  readonly hash: string;
  readonly txs: readonly RingTx[];
  /** Ommer headers (RLP bytes), at most 2. */
  readonly ommers: readonly Uint8Array[];
  readonly size: number;
}

export const ZERO32 = new Uint8Array(32);
const MIX_LABEL = encodeString('ringchain/mix');
const TWO_256 = 1n << 256n;

function headerItems(h: Omit<RingHeader, 'nonce' | 'mixHash'>): RlpItem[] {
  return [h.parentHash, h.ommersHash, h.txRoot, addressToBytes(h.beneficiary), h.stateRoot, encodeUint(h.difficulty), encodeUint(h.number), encodeUint(h.timestamp)];
}

export function encodeHeader(h: RingHeader): Uint8Array {
  return rlpEncode([...headerItems(h), h.nonce, h.mixHash]);
}

/** KEC(RLP(the first eight fields)): what the proof of work seals (Ethash's "header hash without nonce"). */
export function sealHash(h: Omit<RingHeader, 'nonce' | 'mixHash'>): Uint8Array {
  return keccak256(rlpEncode(headerItems(h)));
}

/** The stand-in for hashimoto: (mix, result) of a seal hash and a nonce. */
export function powHash(seal: Uint8Array, nonce: Uint8Array): { mix: Uint8Array; result: Uint8Array } {
  const mix = keccak256(concatBytes(MIX_LABEL, seal, nonce));
  return { mix, result: keccak256(concatBytes(seal, nonce, mix)) };
}

/** result ≤ 2^256 / difficulty (yellow paper eq. 160). */
export function meetsDifficulty(result: Uint8Array, difficulty: number): boolean {
  let v = 0n;
  for (const b of result) v = (v << 8n) | BigInt(b);
  return v <= TWO_256 / BigInt(difficulty);
}

/** Strict header parsing; undefined on anything malformed. */
export function parseHeader(bytes: Uint8Array): RingHeader | undefined {
  try {
    const item = rlpDecode(bytes, { maxDepth: 1 });
    if (!Array.isArray(item) || item.length !== 10) return undefined;
    const b32 = (i: number) => {
      const b = asBytes(item[i]);
      if (b.length !== 32) throw new Error('not 32 bytes');
      return b;
    };
    const beneficiary = asBytes(item[3]);
    const nonce = asBytes(item[8]);
    if (beneficiary.length !== 20 || nonce.length !== 8) return undefined;
    const difficulty = decodeUintNumber(item[5]);
    if (difficulty < 1) return undefined;
    return {
      parentHash: b32(0),
      ommersHash: b32(1),
      txRoot: b32(2),
      beneficiary: addressFromBytes(beneficiary),
      stateRoot: b32(4),
      difficulty,
      number: decodeUintNumber(item[6]),
      timestamp: decodeUintNumber(item[7]),
      nonce,
      mixHash: b32(9),
    };
  } catch {
    return undefined;
  }
}

/** The proof of work of a parsed header checks (mix hash, then the target). */
export function checkPow(h: RingHeader): boolean {
  const { mix, result } = powHash(sealHash(h), h.nonce);
  for (let i = 0; i < 32; i++) if (mix[i] !== h.mixHash[i]) return false;
  return meetsDifficulty(result, h.difficulty);
}

/** KEC(RLP([T_0, …])). */
export function txRootOf(txs: readonly { bytes: Uint8Array }[]): Uint8Array {
  return keccak256(rlpEncode(txs.map((t) => t.bytes)));
}

/** KEC(RLP([U_0, …])) over the ommer headers (each an RLP list, embedded as such). */
export function ommersHashOf(ommers: readonly Uint8Array[]): Uint8Array {
  // RLP(list of already-encoded lists) = list prefix ‖ the encodings: decode and re-encode to stay canonical.
  return keccak256(rlpEncode(ommers.map((o) => rlpDecode(o))));
}

/** Assembles a block object (no checks). */
export function assembleBlock(header: RingHeader, txs: readonly RingTx[], ommers: readonly Uint8Array[]): RingBlock {
  const headerBytes = encodeHeader(header);
  let size = headerBytes.length + 8;
  for (const t of txs) size += t.size;
  for (const o of ommers) size += o.length;
  return Object.freeze({ header: Object.freeze({ ...header }), headerBytes, hash: bytesToHex(keccak256(headerBytes)), txs: Object.freeze([...txs]), ommers: Object.freeze([...ommers]), size });
}

/**
 * Real nonce search: tries nonces 0, 1, 2, … until the result meets the difficulty (~difficulty
 * tries), then assembles the block with that nonce and its mix hash.
 */
export function mineBlock(template: Omit<RingHeader, 'nonce' | 'mixHash'>, txs: readonly RingTx[], ommers: readonly Uint8Array[]): RingBlock {
  const seal = sealHash(template);
  const nonce = new Uint8Array(8);
  const dv = new DataView(nonce.buffer);
  for (let n = 0; ; n++) {
    dv.setUint32(0, Math.floor(n / 0x1_0000_0000));
    dv.setUint32(4, n >>> 0);
    const { mix, result } = powHash(seal, nonce);
    if (meetsDifficulty(result, template.difficulty)) return assembleBlock({ ...template, nonce: nonce.slice(), mixHash: mix }, txs, ommers);
  }
}
