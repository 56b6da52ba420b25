/**
 * What one PoW run shares between its simulated nodes: the generic Nakamoto world
 * (protocols/nakamoto/world.ts: options, the block tree with its verification caches, the
 * pooled-mode transaction pool, miners of blocks) plus the HealthChain chain (`PowChain`), its
 * genesis allocation and the workload's submission records. Nothing here lets a node learn what
 * it has not received: node-local knowledge is `entry.have[node]`, the node's tip and its mempool.
 */
import type { RelayMessage } from '../nakamoto/messages.ts';
import type { NakamotoNode } from '../nakamoto/node.ts';
import { NakamotoWorld, type NakamotoOptions } from '../nakamoto/world.ts';
import { assembleBlock, computeMerkleRoot, ZERO_HASH, type Block } from './block.ts';
import { ChainState, outpointKey, PowChain, type ChainParams } from './chain.ts';
import { encodeCompact, targetForZeroBits, workOfBits } from './target.ts';
import { makeTx, type Tx, type TxOutput } from './tx.ts';

/** Options of a PoW run: the shared relay and mining options plus Bitcoin's chain parameters (units in every comment). */
export interface PowOptions extends NakamotoOptions<Block, Tx> {
  /** Leading zero bits of the initial simulation target (real nonce search costs ~2^bits hashes). */
  zeroBits: number;
  /** Blocks between difficulty retargets; 0 = fixed target. */
  retargetInterval: number;
  /** Largest block, bytes. */
  maxBlockBytes: number;
  /** Padding bytes per mined block (`filler` txs; SimBlock-style propagation benchmarks only). */
  fillerBytes: number;
  /** Wire size of each filler tx, bytes (0 = one filler for all the padding). */
  fillerTxBytes?: number;
}

/** The pow protocol's wire messages: the shared relay's, carrying HealthChain blocks and txs. */
export type PowMessage = RelayMessage<Block, Tx>;

/** A pow node: the shared honest node (or an adversary subclass) on the HealthChain chain. */
export type PowNode = NakamotoNode<Block, Tx, ChainState>;

/** Per-tx submission record for latency metrics. */
export interface Submission {
  submittedUs: number;
  kind: string;
}

export class PowWorld extends NakamotoWorld<Block, Tx, ChainState> {
  declare readonly chain: PowChain;
  declare readonly options: PowOptions;
  /** When each workload tx was submitted (by txid). */
  readonly submissions = new Map<string, Submission>();

  constructor(options: PowOptions, nodeCount: number, genesisOutputs: TxOutput[]) {
    const bits = encodeCompact(targetForZeroBits(options.zeroBits));
    const params: ChainParams = {
      maxBlockBytes: options.maxBlockBytes,
      initialBits: bits,
      allowFiller: options.fillerBytes > 0,
      retarget: {
        interval: options.retargetInterval,
        spacingSec: options.blockIntervalUs / 1_000_000,
        // powLimit: one leading zero bit — retargets may ease the target down to it.
        limitBits: encodeCompact(targetForZeroBits(1)),
      },
    };
    // Genesis: one allocation tx paying the workload's wallets (no PoW needed: it is a constant).
    const alloc = makeTx({ kind: 'coinbase', coinbase: { height: 0, miner: 0xffffffff }, outputs: genesisOutputs });
    const txs = [alloc];
    const genesis: Block = assembleBlock({ version: 1, prevHash: ZERO_HASH, merkleRoot: computeMerkleRoot(txs), time: 0, bits, nonce: 0 }, txs);
    const state = ChainState.empty().derive();
    alloc.outputs.forEach((o, i) => state.utxo.set(outpointKey(alloc.txid, i), { value: o.value, owner: o.owner, height: 0 }));
    state.txIndex.set(alloc.txid, 0);
    super(options, new PowChain(params, options.fillerBytes, options.fillerTxBytes ?? 0), { block: genesis, state, work: workOfBits(bits) }, nodeCount);
  }

  get genesisAllocation(): Tx {
    return this.store.genesis.block.txs[0];
  }
}
