/**
 * The relay's wire messages, with Bitcoin P2P sizes (every message carries its real byte size
 * through the bandwidth model; `digest` identifies the payload in the trace hash):
 *
 *   inv / getdata / block            block announcement, request, delivery (Bitcoin P2P protocol);
 *   sendcmpct / cmpctblock           BIP 152 compact blocks: header + 8-byte nonce + 6-byte short
 *                                    ids + prefilled coinbase txs; sendcmpct(1) asks a peer to push
 *                                    them (high-bandwidth mode), sendcmpct(0) announces support
 *                                    (low-bandwidth mode: the receiver asks with getdata(CMPCT));
 *   getblocktxn / blocktxn           BIP 152 round trip for the txs a receiver could not rebuild;
 *   txinv / gettx / tx               transaction gossip (`full` tx relay).
 */
import type { Chain, ChainBlock, ChainTx } from './chain.ts';
import type { BlockEntry } from './tree.ts';

/** A message header: 24 bytes (magic, command, length, checksum). */
export const MSG_HEADER_BYTES = 24;
/** An inv-style message: 24-byte header + count + one 36-byte inventory entry. */
export const INV_BYTES = 61;
/** BIP 152 short transaction id length, bytes. */
export const SHORT_ID_BYTES = 6;

export type RelayMessage<B, T> =
  | { type: 'inv'; size: number; digest: string; hash: string }
  /** `compact`: BIP 152 getdata(MSG_CMPCT_BLOCK) — answer with a cmpctblock instead of the block. */
  | { type: 'getdata'; size: number; digest: string; hash: string; compact?: boolean }
  | { type: 'block'; size: number; digest: string; block: B }
  /** BIP 152 sendcmpct: `highBandwidth` true = push cmpctblocks to me (mode 1), false = I speak BIP 152 (mode 0). */
  | { type: 'sendcmpct'; size: number; digest: number; highBandwidth: boolean }
  | { type: 'cmpctblock'; size: number; digest: string; block: B }
  | { type: 'getblocktxn'; size: number; digest: string; hash: string; missing: number; missingBytes: number }
  | { type: 'blocktxn'; size: number; digest: string; block: B }
  | { type: 'txinv'; size: number; digest: string; txid: string }
  | { type: 'gettx'; size: number; digest: string; txid: string }
  | { type: 'tx'; size: number; digest: string; tx: T };

/** The announcement, request and delivery messages of one block. */
export interface BlockRelayMessages<B, T> {
  inv: RelayMessage<B, T>;
  getdata: RelayMessage<B, T>;
  /** getdata(MSG_CMPCT_BLOCK), BIP 152 low-bandwidth mode. */
  getcmpct: RelayMessage<B, T>;
  block: RelayMessage<B, T>;
  cmpct: RelayMessage<B, T>;
}

/** A `block` message carrying `block` (also what attackers push directly). */
export function blockMessage<B extends ChainBlock, T>(block: B, digest: string = block.hash): RelayMessage<B, T> {
  return { type: 'block', size: MSG_HEADER_BYTES + block.size, digest, block };
}

/**
 * The relay messages of a block, built once and shared by every sender (messages are immutable;
 * sharing saves one allocation per send on 10,000-node runs).
 */
export function relayMessages<B extends ChainBlock<T>, T extends ChainTx, S>(e: BlockEntry<B, S>, chain: Chain<B, T, S>): BlockRelayMessages<B, T> {
  let m = e.relay as BlockRelayMessages<B, T> | undefined;
  if (m === undefined) {
    const key = e.hash;
    const txs = e.block.txs;
    const headerBytes = chain.headerBytes(e.block);
    const prefilled = Math.min(chain.coinbaseTxs, txs.length);
    let prefilledBytes = 0;
    for (let i = 0; i < prefilled; i++) prefilledBytes += txs[i].size;
    // BIP 152 cmpctblock: header + nonce 8 + count 3 + short ids (6 bytes each) + count 3 + prefilled txs.
    const cmpctSize = MSG_HEADER_BYTES + headerBytes + 8 + 3 + SHORT_ID_BYTES * (txs.length - prefilled) + 3 + prefilledBytes;
    m = {
      inv: { type: 'inv', size: INV_BYTES, digest: key, hash: key },
      getdata: { type: 'getdata', size: INV_BYTES, digest: key, hash: key },
      getcmpct: { type: 'getdata', size: INV_BYTES, digest: key, hash: key, compact: true },
      block: blockMessage(e.block, key),
      cmpct: { type: 'cmpctblock', size: cmpctSize, digest: key, block: e.block },
    };
    e.relay = m;
  }
  return m;
}
