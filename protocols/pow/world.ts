/**
 * What one PoW run shares between its simulated nodes: the options, the block tree (with its
 * verification caches — see chain.ts for why sharing outcomes is sound), the pooled-mode
 * transaction pool, and measurement records. Nothing here lets a node learn what it has not
 * received: node-local knowledge is `entry.have[node]`, the node's tip and its mempool.
 */
import type { Message, NodeId } from '../../sim/types.ts';
import { assembleBlock, computeMerkleRoot, ZERO_HASH, type Block } from './block.ts';
import { ChainState, ChainStore, outpointKey, type BlockEntry, type ChainParams, type ForkChoice } from './chain.ts';
import { encodeCompact, targetForZeroBits, workOfBits } from './target.ts';
import { makeTx, type Tx, type TxOutput } from './tx.ts';

/** Options of a PoW run (units in every field name or comment). */
export interface PowOptions {
  /** Target block spacing, µs of virtual time (Bitcoin: 600 s). */
  blockIntervalUs: number;
  /** Leading zero bits of the initial simulation target (real nonce search costs ~2^bits hashes). */
  zeroBits: number;
  /** Blocks between difficulty retargets; 0 = fixed target. */
  retargetInterval: number;
  /** Largest block, bytes. */
  maxBlockBytes: number;
  /** Transaction relay: `full` = inv/getdata/tx gossip per node; `pooled` = every mempool gets a tx after `pooledDelayUs`. */
  txRelay: 'full' | 'pooled';
  /** Pooled mode: delay from submission until every mempool holds the tx, µs. */
  pooledDelayUs: number;
  /** BIP 152 compact-block relay (high-bandwidth mode, up to 3 peers) instead of inv/getdata/block. */
  compactBlocks: boolean;
  /** Padding bytes per mined block (a `filler` tx; SimBlock-style propagation benchmarks only). */
  fillerBytes: number;
  /** Fork-choice rule (most cumulative work; the `height` mutant exists for checker tests). */
  forkChoice: ForkChoice;
  /** Hash share per node (fraction of total hash power; attackers included). Length = nodes. */
  hashShare: Float64Array;
  /** Honest miners stop after this many blocks have been mined in total (0 = never); lets a run drain. */
  stopAfterBlocks: number;
}

export const INV_BYTES = 61; // 24-byte message header + count + one 36-byte inventory entry
export const MSG_HEADER_BYTES = 24;

export type PowMessage =
  | { type: 'inv'; size: number; digest: string; hash: string }
  | { type: 'getdata'; size: number; digest: string; hash: string }
  | { type: 'block'; size: number; digest: string; block: Block }
  | { type: 'sendcmpct'; size: number; digest: number }
  | { type: 'cmpctblock'; size: number; digest: string; block: Block }
  | { type: 'getblocktxn'; size: number; digest: string; hash: string; missing: number; missingBytes: number }
  | { type: 'blocktxn'; size: number; digest: string; block: Block }
  | { type: 'txinv'; size: number; digest: string; txid: string }
  | { type: 'gettx'; size: number; digest: string; txid: string }
  | { type: 'tx'; size: number; digest: string; tx: Tx };

export type PowMsg = PowMessage & Message;

/** A tx in the pooled-mode shared pool. */
export interface PooledTx {
  tx: Tx;
  /** Virtual time from which every mempool holds it, µs. */
  availableUs: number;
  /** Fee per byte (fee ordering of the mempool). */
  feeRate: number;
}

/** Per-tx submission record for latency metrics. */
export interface Submission {
  submittedUs: number;
  kind: string;
}

export class PowWorld {
  readonly store: ChainStore;
  /** Work of a block at the initial target (calibrates virtual hash rate). */
  readonly baseWork: number;
  /** Pooled mode: the shared transaction pool, by txid. */
  readonly pool = new Map<string, PooledTx>();
  /** When each workload tx was submitted (by txid). */
  readonly submissions = new Map<string, Submission>();
  /** Miner of each block (by hash) and blocks mined per node. */
  readonly minedBy = new Map<string, NodeId>();
  /** Fee of each tx known to the workload (by txid), for fee-rate ordering in full mode. */
  readonly fees = new Map<string, number>();
  private prunedHeight = 0;
  /** Blocks mined so far by anyone. */
  blocksMined = 0;

  constructor(
    readonly options: PowOptions,
    readonly nodeCount: number,
    genesisOutputs: TxOutput[],
  ) {
    const bits = encodeCompact(targetForZeroBits(options.zeroBits));
    this.baseWork = workOfBits(bits);
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
    this.store = new ChainStore(params, genesis, state, nodeCount);
    this.store.onNewEntry = (e) => this.prunePool(e);
  }

  get genesisAllocation(): Tx {
    return this.store.genesis.block.txs[0];
  }

  /** Mean virtual time for a miner of share `share` to find a block with compact target `bits`, µs. */
  meanBlockTimeUs(bits: number, share: number): number {
    return (this.options.blockIntervalUs * (workOfBits(bits) / this.baseWork)) / share;
  }

  /** Records that `node` now holds `entry` (propagation metrics). */
  noteArrival(entry: BlockEntry, nowUs: number): void {
    entry.holders++;
    const n = this.nodeCount;
    if (entry.t50Us < 0 && entry.holders >= Math.ceil(0.5 * n)) entry.t50Us = nowUs - entry.firstSeenUs;
    if (entry.t90Us < 0 && entry.holders >= Math.ceil(0.9 * n)) entry.t90Us = nowUs - entry.firstSeenUs;
  }

  /** Drops pool txs confirmed 12 blocks deep on the best chain (they can no longer be mined). */
  private prunePool(e: BlockEntry): void {
    if (this.pool.size === 0 || e !== this.store.best) return;
    const deep = e.height - 12;
    if (deep <= this.prunedHeight) return;
    for (let x: BlockEntry | null = e.ancestor(deep); x && x.height > this.prunedHeight; x = x.parent) {
      for (const tx of x.block.txs) this.pool.delete(tx.txid);
    }
    this.prunedHeight = deep;
  }
}
