/**
 * Tampering miner: tries to change a medical record already on the chain (seed 000's claim of
 * tamper resistance, §3.3). When its mining timer fires it takes the most recent storage tx on
 * its chain, alters H(M) (as a forger replacing a record would) and
 *   - `rewrite`: rebuilds the block that held it with the altered tx, a recomputed Merkle root and
 *     a real nonce, on the same parent — honest nodes reject it: the issuer's signature no longer
 *     verifies (`bad-signature`);
 *   - `body`: relays the original header with the altered body — honest nodes reject it: the
 *     Merkle root does not match (`bad-merkle-root`), and the genuine block stays valid.
 * It pushes the forged block to all its peers. A separate node class; it has no honest hash power.
 */
import { blockMessage } from '../../nakamoto/messages.ts';
import { NakamotoNode } from '../../nakamoto/node.ts';
import { assembleBlock, computeMerkleRoot, mineNonce, type Block } from '../block.ts';
import type { ChainState, PowContext, PowEntry } from '../chain.ts';
import { makeTx, type Tx } from '../tx.ts';
import type { PowWorld } from '../world.ts';

export type TamperMode = 'rewrite' | 'body';

/** The same tx with H(M) changed and everything else (including the signatures) kept. */
export function alterStorageTx(tx: Tx): Tx {
  const p = tx.storage!;
  const hM = Uint8Array.from(p.hM);
  hM[0] ^= 0x01;
  return makeTx(
    { kind: 'storage', storage: { ...p, hM }, inputs: tx.inputs.map((i) => ({ txid: i.txid, index: i.index })), outputs: [...tx.outputs] },
    (i) => tx.inputs[i].signature,
  );
}

/** Builds a forged copy of `entry`'s block with `tx` altered (see the modes above). */
export function tamperBlock(entry: PowEntry, txIndex: number, mode: TamperMode): Block {
  const txs = [...entry.block.txs];
  txs[txIndex] = alterStorageTx(txs[txIndex]);
  const h = entry.block.header;
  if (mode === 'body') return assembleBlock(h, txs);
  return mineNonce({ version: h.version, prevHash: h.prevHash, merkleRoot: computeMerkleRoot(txs), time: h.time, bits: h.bits }, txs);
}

export class TamperingMiner extends NakamotoNode<Block, Tx, ChainState> {
  forged = 0;
  constructor(
    id: number,
    world: PowWorld,
    readonly mode: TamperMode,
  ) {
    super(id, world);
  }

  protected override mineBlock(ctx: PowContext): void {
    for (let e: PowEntry | null = this.tip; e && e.parent; e = e.parent) {
      const i = e.block.txs.findIndex((t) => t.kind === 'storage');
      if (i < 0) continue;
      const forged = tamperBlock(e, i, this.mode);
      this.forged++;
      ctx.metrics.counter('pow.tamper.forged').inc();
      const msg = blockMessage<Block, Tx>(forged, `forged-${this.forged}`);
      for (const p of ctx.peers) ctx.send(p, msg);
      break;
    }
    this.scheduleMining(ctx);
  }
}
