/**
 * What one run of a Nakamoto-consensus chain shares between its simulated nodes: the options,
 * the block tree (with the chain's verification caches — see tree.ts for why sharing outcomes is
 * sound), the pooled-mode transaction pool, and measurement records. Nothing here lets a node
 * learn what it has not received: node-local knowledge is `entry.have[node]`, the node's tip and
 * its mempool.
 */
import type { NodeContext, NodeId } from '../../sim/types.ts';
import type { Chain, ChainBlock, ChainTx } from './chain.ts';
import type { ForkChoice } from './fork-choice.ts';
import { BlockTree, type BlockEntry, type Genesis } from './tree.ts';

/** A block request may be re-sent to another peer after this long without the block, µs (default). */
export const REQUEST_TIMEOUT_US = 60_000_000;

/** What a reconstruction model may use of the receiving node's context. */
export type ReconstructionContext = Pick<NodeContext, 'id' | 'now' | 'rng' | 'metrics'>;

/**
 * BIP 152 reconstruction: which txs of a received compact block the receiver must fetch with a
 * `getblocktxn` round trip. The default (`FROM_MEMPOOL`) asks exactly for the txs the node does not
 * hold. A model of imperfect reconstruction (SimBlock's failure probability, churning nodes with
 * stale mempools) is another implementation, chosen per run in `NakamotoOptions` — the relay has
 * no special case for it.
 */
export interface CompactReconstruction {
  /**
   * `ctx` is the receiving node's context (its id and seeded streams), `block` the compact
   * block, `firstShortId` the index of its first non-prefilled tx, `holds(tx)` whether the node
   * can rebuild a tx from what it holds. Returns the count and total bytes of the txs to fetch
   * (0 ⇒ the block is rebuilt at once).
   */
  missing<T extends ChainTx>(ctx: ReconstructionContext, block: ChainBlock<T>, firstShortId: number, holds: (tx: T) => boolean): { count: number; bytes: number };
}

/** Exact reconstruction from the receiver's mempool (BIP 152 as specified). */
export const FROM_MEMPOOL: CompactReconstruction = {
  missing(_ctx, block, firstShortId, holds) {
    let count = 0;
    let bytes = 0;
    const txs = block.txs;
    for (let i = firstShortId; i < txs.length; i++) {
      if (!holds(txs[i])) {
        count++;
        bytes += txs[i].size;
      }
    }
    return { count, bytes };
  },
};

/** One entry of a missing-bytes distribution: `share` of the block's bytes, drawn with relative `weight`. */
export interface MissingShare {
  share: number;
  weight: number;
}

/** Options of `ProbabilisticReconstruction` (units: probabilities and shares of the block's bytes). */
export interface ProbabilisticReconstructionOptions {
  /** Probability that an ordinary node fails to rebuild a compact block (SimBlock: 0.13). */
  failure: number;
  /** Same for a churning node (SimBlock: 0.27). */
  churnFailure: number;
  /** Per node: 1 if it churns (its mempool is often stale after reconnecting). */
  churn: Uint8Array;
  /** After a failure, the share of the block's bytes an ordinary node fetches, by weight. */
  missingOrdinary: MissingShare[];
  /** Same for a churning node. */
  missingChurn: MissingShare[];
}

/**
 * SimBlock's compact-block model (dsg-titech/simblock `Node.receiveMessage` for
 * CmpctBlockMessageTask, `getFailedBlockSize`): the receiver fails to rebuild a block with a
 * fixed probability that depends only on whether it churns, and then fetches a random share of
 * the block's bytes with getblocktxn/blocktxn. A statistical stand-in for mempool divergence,
 * for comparing with SimBlock: it ignores what the receiver's mempool actually holds. Draws come
 * from the receiving node's own `cmpct-reconstruction` stream, so runs stay deterministic.
 */
export class ProbabilisticReconstruction implements CompactReconstruction {
  private readonly ordinaryTotal: number;
  private readonly churnTotal: number;

  constructor(readonly options: ProbabilisticReconstructionOptions) {
    this.ordinaryTotal = options.missingOrdinary.reduce((a, m) => a + m.weight, 0);
    this.churnTotal = options.missingChurn.reduce((a, m) => a + m.weight, 0);
    if (!(this.ordinaryTotal > 0) || !(this.churnTotal > 0)) throw new RangeError('ProbabilisticReconstruction: each missing-bytes distribution needs a positive total weight');
  }

  /** `_holds` is ignored: the model stands for mempool divergence statistically. */
  missing<T extends ChainTx>(ctx: ReconstructionContext, block: ChainBlock<T>, firstShortId: number, _holds?: (tx: T) => boolean): { count: number; bytes: number } {
    const o = this.options;
    const churns = o.churn[ctx.id] === 1;
    const rng = ctx.rng('cmpct-reconstruction');
    if (!(rng.next() < (churns ? o.churnFailure : o.failure))) return { count: 0, bytes: 0 };
    const table = churns ? o.missingChurn : o.missingOrdinary;
    let pick = rng.next() * (churns ? this.churnTotal : this.ordinaryTotal);
    let share = table[table.length - 1].share;
    for (const m of table) {
      if (pick < m.weight) {
        share = m.share;
        break;
      }
      pick -= m.weight;
    }
    const shortIds = Math.max(0, block.txs.length - firstShortId);
    return { count: Math.max(1, Math.round(shortIds * share)), bytes: Math.max(1, Math.floor(block.size * share)) };
  }
}

/**
 * Exactly ⌈share · n⌉ nodes flagged, in a seeded random order (SimBlock `makeRandomList`: a quota,
 * not independent coin flips, so the share is met exactly in every run).
 */
export function quotaMask(n: number, share: number, rng: { int(n: number): number }): Uint8Array {
  const mask = new Uint8Array(n);
  const k = Math.min(n, Math.ceil(share * n - 1e-9));
  for (let i = 0; i < k; i++) mask[i] = 1;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = mask[i];
    mask[i] = mask[j];
    mask[j] = t;
  }
  return mask;
}

/**
 * CPU time charged to a node's virtual clock for the work it does itself, µs. Charged per node
 * (`ctx.charge`) even though the tree computes each outcome once for all nodes.
 */
export interface CpuCosts<B, T> {
  /** Validating a block the node has not validated before (every node that adopts or rejects it pays). */
  blockUs(block: B): number;
  /** Validating a transaction offered to the node's mempool (`full` tx relay). */
  txUs(tx: T): number;
}

/** Options of a Nakamoto-consensus run (units in every field name or comment). */
export interface NakamotoOptions<B, T> {
  /** Target block spacing at the genesis difficulty, µs of virtual time (Bitcoin: 600 s). */
  blockIntervalUs: number;
  /** Transaction relay: `full` = inv/gettx/tx gossip per node; `pooled` = every mempool gets a tx after `pooledDelayUs`. */
  txRelay: 'full' | 'pooled';
  /** Pooled mode: delay from submission until every mempool holds the tx, µs. */
  pooledDelayUs: number;
  /** BIP 152 compact-block relay instead of inv/getdata/block (see `compactMode`). */
  compactBlocks: boolean;
  /**
   * BIP 152 mode: `high-bandwidth` (default) — each node asks up to 3 peers to push cmpctblock
   * unasked; `low-bandwidth` — blocks are still announced with inv, and a node asks a peer that
   * speaks BIP 152 for the cmpctblock with getdata(MSG_CMPCT_BLOCK) (SimBlock's model).
   */
  compactMode?: 'high-bandwidth' | 'low-bandwidth';
  /** Per node: 1 if it speaks BIP 152 (default: every node). Pairs use compact blocks only if both do. */
  compactSupport?: Uint8Array;
  /** Fork-choice rule (MOST_WORK; anything else is a mutant for checker tests). */
  forkChoice: ForkChoice;
  /** Hash share per node (fraction of total hash power; attackers included). Length = nodes. */
  hashShare: Float64Array;
  /** Honest miners stop after this many blocks have been mined in total (0 = never); lets a run drain. */
  stopAfterBlocks: number;
  /** A block request may be re-sent to another peer after this long without the block, µs (REQUEST_TIMEOUT_US). */
  requestTimeoutUs: number;
  /** How compact blocks are rebuilt; default FROM_MEMPOOL. */
  compactReconstruction?: CompactReconstruction;
  /** Per-node CPU costs; default none (nothing charged). */
  cpu?: CpuCosts<B, T>;
}

/** A tx in the pooled-mode shared pool. */
export interface PooledTx<T> {
  tx: T;
  /** Virtual time from which every mempool holds it, µs. */
  availableUs: number;
  /** Fee per byte (fee ordering of block templates), base units per byte. */
  feeRate: number;
}

/** Pooled txs confirmed this many blocks deep on the best chain are dropped from the pool. */
const POOL_PRUNE_DEPTH = 12;

export class NakamotoWorld<B extends ChainBlock<T>, T extends ChainTx, S> {
  readonly store: BlockTree<B, T, S>;
  /** Work of the genesis block: the unit of the mining timer (`meanBlockTimeUs`). */
  readonly baseWork: number;
  /** Pooled mode: the shared transaction pool, by txid. */
  readonly pool = new Map<string, PooledTx<T>>();
  /** Fee of each submitted tx (by txid), base units, for fee-rate ordering in full mode. */
  readonly fees = new Map<string, number>();
  /** Miner of each block (by hash). */
  readonly minedBy = new Map<string, NodeId>();
  private prunedHeight = 0;
  /** Blocks mined so far by anyone. */
  blocksMined = 0;

  constructor(
    readonly options: NakamotoOptions<B, T>,
    readonly chain: Chain<B, T, S>,
    genesis: Genesis<B, S>,
    readonly nodeCount: number,
  ) {
    this.baseWork = genesis.work;
    this.store = new BlockTree<B, T, S>(chain, genesis, nodeCount);
    this.store.onNewEntry = (e) => this.prunePool(e);
  }

  /** Mean virtual time for a miner of share `share` to find a block at `difficulty`, µs. */
  meanBlockTimeUs(difficulty: number, share: number): number {
    return (this.options.blockIntervalUs * (this.chain.workOf(difficulty) / this.baseWork)) / share;
  }

  /** Records that a node now holds `entry` (propagation metrics). */
  noteArrival(entry: BlockEntry<B, S>, nowUs: number): void {
    entry.holders++;
    const n = this.nodeCount;
    if (entry.t50Us < 0 && entry.holders >= Math.ceil(0.5 * n)) entry.t50Us = nowUs - entry.firstSeenUs;
    if (entry.t90Us < 0 && entry.holders >= Math.ceil(0.9 * n)) entry.t90Us = nowUs - entry.firstSeenUs;
  }

  /** Drops pool txs confirmed POOL_PRUNE_DEPTH blocks deep on the best chain (they can no longer be mined). */
  private prunePool(e: BlockEntry<B, S>): void {
    if (this.pool.size === 0 || e !== this.store.best) return;
    const deep = e.height - POOL_PRUNE_DEPTH;
    if (deep <= this.prunedHeight) return;
    for (let x: BlockEntry<B, S> | null = e.ancestor(deep); x && x.height > this.prunedHeight; x = x.parent) {
      for (const tx of x.block.txs) this.pool.delete(tx.txid);
    }
    this.prunedHeight = deep;
  }
}
