/**
 * Ring-signed transactions of the ringchain (seed 001 §2.1), strictly encoded and decoded.
 *
 *   deployment  T = RLP(Tn, Tt = ∅, Ts, Tc)      Tc: init bytecode ‖ constructor arguments
 *   call        T = RLP(Tn, Tt, Td, Ts)          Tt: 20-byte address, Td: call data
 *   Ts          = RLP([P_0 … P_{n−1}], c_0, [s_0 … s_{n−1}], I)     a bLSAG (protocols/crypto/ringsig.ts)
 *
 * Both forms are a 4-item list; the second item tells them apart (empty ⇒ deployment, 20 bytes ⇒
 * call). The ring signature signs m = KEC(RLP("ringchain/v1", Tn, Tt, Tc or Td)) — every field
 * but Ts itself (Ethereum signs the same fields minus v, r, s) — under the domain label so a
 * signature made for another system cannot be replayed here.
 *
 * The sender (seed 001 leaves `msg.sender` undefined for a ring-signed tx; docs/ringchain.md):
 * sender = KEC(I)[12..32], a pseudonym derived from the key image. Every tx signed with one key
 * has the same key image, hence the same pseudonym: calls by one key are linkable to each other
 * (as the contracts' owner checks need) but not to a ring member. The chain keeps a nonce per
 * pseudonym (Tn must equal it), so a (key image, nonce) pair executes at most once.
 *
 * Plain value transfers: seed 001's RLP has no value field. A call to an address without code
 * whose Td is `amount (32 bytes, big-endian) ‖ k × 32-byte public keys` moves `amount` wei to Tt
 * and enrols the k keys (ring members must be enrolled keys — like Monero's outputs, keys appear
 * on chain before they can be decoys).
 *
 * Decoding never throws on malformed input: `decodeTx` returns `{ reason }` instead (counted by
 * the chain as `ringchain.tx.rejected.<reason>` / `ringchain.block.rejected.<reason>`).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { keccak256 } from '../crypto/hash.ts';
import { deserializeSignature, type RingSignature } from '../crypto/ringsig.ts';
import { asBytes, decodeUintNumber, encodeString, encodeUint, RlpError, rlpDecode, rlpEncode, type RlpItem } from '../crypto/rlp.ts';
import type { ChainTx } from '../nakamoto/chain.ts';
import { addressFromBytes, addressToBytes, type Address } from './contracts/index.ts';

/** Largest accepted ring, members (a block of such rings stays far below any size limit). */
export const MAX_RING_SIZE = 64;
/** Largest accepted encoded transaction, bytes (Tc of the record contracts is a few kB). */
export const MAX_TX_BYTES = 64 * 1024;
const DOMAIN = encodeString('ringchain/v1');
const EMPTY = new Uint8Array(0);

export interface RingTx extends ChainTx {
  /** KEC(bytes), hex. */
  readonly txid: string;
  /** The encoded transaction (what a `tx` message and a block carry). */
  readonly bytes: Uint8Array;
  readonly size: number;
  readonly kind: 'deploy' | 'call';
  /** Tn: the sender pseudonym's transaction count before this tx. */
  readonly nonce: number;
  /** Tt (calls only). */
  readonly to: Address | undefined;
  /** Tc (deployment) or Td (call). */
  readonly data: Uint8Array;
  /** Ring member public keys (RFC 9496 encodings), in signature order. */
  readonly ring: readonly Uint8Array[];
  readonly signature: RingSignature;
  /** The key image, hex (links every tx of one key). */
  readonly keyImageHex: string;
  /** The sender pseudonym: KEC(key image)[12..32]. */
  readonly sender: Address;
  /** The message the ring signature signs (32 bytes). */
  readonly message: Uint8Array;
}

/** The sender pseudonym of a key image: KEC(I)[12..32] (docs/ringchain.md, "Who is msg.sender"). */
export function pseudonymOf(keyImage: Uint8Array): Address {
  return addressFromBytes(keccak256(keyImage).subarray(12));
}

/** m = KEC(RLP("ringchain/v1", Tn, Tt, Tc | Td)): what Ts signs. */
export function signingMessage(nonce: number, to: Address | undefined, data: Uint8Array): Uint8Array {
  return keccak256(rlpEncode([DOMAIN, encodeUint(nonce), to === undefined ? EMPTY : addressToBytes(to), data]));
}

/** The unsigned part of a tx, as a builder fills it. */
export interface UnsignedTx {
  kind: 'deploy' | 'call';
  nonce: number;
  to?: Address;
  data: Uint8Array;
}

function encodeTs(ring: readonly Uint8Array[], sig: RingSignature): RlpItem {
  return [ring.slice(), sig.c0, sig.s.slice(), sig.keyImage];
}

/** Encodes a signed transaction (deployment: RLP(Tn, ∅, Ts, Tc); call: RLP(Tn, Tt, Td, Ts)). */
export function encodeTx(tx: UnsignedTx, ring: readonly Uint8Array[], sig: RingSignature): Uint8Array {
  const ts = encodeTs(ring, sig);
  if (tx.kind === 'deploy') return rlpEncode([encodeUint(tx.nonce), EMPTY, ts, tx.data]);
  if (tx.to === undefined) throw new TypeError('a call needs Tt');
  return rlpEncode([encodeUint(tx.nonce), addressToBytes(tx.to), tx.data, ts]);
}

/** Why a byte string is not a transaction (strict decoding). */
export type DecodeReason = 'malformed-rlp' | 'malformed-tx' | 'malformed-ring-signature' | 'oversize-tx';

function fixed32(item: RlpItem): Uint8Array {
  const b = asBytes(item);
  if (b.length !== 32) throw new RlpError('unexpected-type', 'expected 32 bytes');
  return b;
}

/** Strict decoding: exactly the shapes above, canonical RLP and integers, ring 1..MAX_RING_SIZE. */
export function decodeTx(bytes: Uint8Array): RingTx | { reason: DecodeReason } {
  if (!(bytes instanceof Uint8Array)) return { reason: 'malformed-rlp' };
  if (bytes.length > MAX_TX_BYTES) return { reason: 'oversize-tx' };
  let item: RlpItem;
  try {
    item = rlpDecode(bytes, { maxDepth: 3 });
  } catch {
    return { reason: 'malformed-rlp' };
  }
  if (!Array.isArray(item) || item.length !== 4) return { reason: 'malformed-tx' };
  let nonce: number;
  let to: Address | undefined;
  let data: Uint8Array;
  let ts: RlpItem;
  try {
    nonce = decodeUintNumber(item[0]);
    const tt = asBytes(item[1]);
    if (tt.length === 0) {
      ts = item[2];
      data = asBytes(item[3]);
    } else if (tt.length === 20) {
      to = addressFromBytes(tt);
      data = asBytes(item[2]);
      ts = item[3];
    } else return { reason: 'malformed-tx' };
  } catch {
    return { reason: 'malformed-tx' };
  }
  if (!Array.isArray(ts) || ts.length !== 4) return { reason: 'malformed-ring-signature' };
  let ring: Uint8Array[];
  let signature: RingSignature | undefined;
  try {
    const members = ts[0];
    const s = ts[2];
    if (!Array.isArray(members) || !Array.isArray(s) || members.length === 0 || members.length > MAX_RING_SIZE || s.length !== members.length) {
      return { reason: 'malformed-ring-signature' };
    }
    ring = members.map(fixed32);
    const sigBytes = new Uint8Array(32 * (members.length + 2));
    sigBytes.set(fixed32(ts[1]), 0);
    s.forEach((x, i) => sigBytes.set(fixed32(x), 32 * (i + 1)));
    sigBytes.set(fixed32(ts[3]), 32 * (members.length + 1));
    signature = deserializeSignature(sigBytes);
  } catch {
    return { reason: 'malformed-ring-signature' };
  }
  if (signature === undefined || signature.s.length !== ring.length) return { reason: 'malformed-ring-signature' };
  return {
    txid: bytesToHex(keccak256(bytes)),
    bytes,
    size: bytes.length,
    kind: to === undefined ? 'deploy' : 'call',
    nonce,
    to,
    data,
    ring,
    signature,
    keyImageHex: bytesToHex(signature.keyImage),
    sender: pseudonymOf(signature.keyImage),
    message: signingMessage(nonce, to, data),
  };
}

/** Value-transfer call data: amount (32 bytes, big-endian) ‖ keys to enrol (32 bytes each). */
export function transferData(amount: bigint, enrol: readonly Uint8Array[] = []): Uint8Array {
  const out = new Uint8Array(32 + 32 * enrol.length);
  let v = amount;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n || amount < 0n) throw new RangeError('amount must fit in 256 bits');
  enrol.forEach((k, i) => out.set(k, 32 + 32 * i));
  return out;
}

/** The amount and enrolled keys of transfer call data, or undefined if it is not one (length ≠ 32 + 32k). */
export function parseTransferData(data: Uint8Array): { amount: bigint; enrol: Uint8Array[] } | undefined {
  if (data.length < 32 || data.length % 32 !== 0) return undefined;
  let amount = 0n;
  for (let i = 0; i < 32; i++) amount = (amount << 8n) | BigInt(data[i]);
  const enrol: Uint8Array[] = [];
  for (let o = 32; o < data.length; o += 32) enrol.push(data.slice(o, o + 32));
  return { amount, enrol };
}
