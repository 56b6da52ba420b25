/**
 * The shared block tree of one run: every VALID block any node has accepted, as a tree of
 * `BlockEntry`s with height, cumulative work and the chain state after the block.
 *
 * Sharing outcomes between simulated nodes (why one tree serves every node of a run):
 *   - the validity of a block and the state after it depend only on the block's bytes and its
 *     ancestors, which its hash commits to, so they are the same on every node and are computed
 *     once — `Chain.checkBody` once per distinct block object, `Chain.connect` once per hash;
 *   - a block invalid on its own (bad PoW, bad tx root, oversize) is NOT remembered by hash: its
 *     header may be honest and its body tampered (Bitcoin Core's "mutated block" rule), so the
 *     honest body must still pass. Only contextual failures are cached by hash;
 *   - what each node KNOWS stays node-local: `entry.have[node]`, and the node's own tip, orphans,
 *     requests and mempool (node.ts). A node adopts a block only after receiving it and holding
 *     its parent, so sharing never lets a node learn what it has not received;
 *   - CPU time is charged per node (`NakamotoOptions.cpu`), even though the outcome is computed
 *     once: every node that validates a block pays for validating it.
 */
import type { BodyVerdict, Chain, ChainBlock, ChainTx } from './chain.ts';

/** One valid block in the shared block tree. */
export class BlockEntry<B, S> {
  /** Per node: 1 once the node has accepted the block. */
  readonly have: Uint8Array;
  /** Nodes that hold it so far, and when 50 % / 90 % of nodes first held it (µs after `firstSeenUs`, −1 = not yet). */
  holders = 0;
  t50Us = -1;
  t90Us = -1;
  /**
   * Node-local relay bookkeeping, stored densely per block (indexed by node id; each node reads
   * and writes only its own slot) for cache locality on 10,000-node runs — see node.ts:
   * `asked[n]` = 1 + the peer node n asked for this block (0 = none) and `askedAt[n]` when (µs);
   * `heard[n]` = bitmask of the peer indices (< 32 in n's peer list) that announced it to n.
   */
  asked: Int32Array | undefined = undefined;
  askedAt: Float64Array | undefined = undefined;
  heard: Uint32Array | undefined = undefined;
  /** The block's relay messages, built once and shared by every sender (messages.ts). */
  relay: unknown = undefined;
  constructor(
    readonly hash: string,
    readonly block: B,
    readonly parent: BlockEntry<B, S> | null,
    readonly height: number,
    /** Work of this block (expected hashes) and the sum from genesis. */
    readonly work: number,
    readonly cumWork: number,
    /** The chain state after this block (shared by every node and with child blocks). */
    readonly state: S,
    /** Σ fees of its txs, base units. */
    readonly fees: number,
    /** Virtual time (µs) it was first accepted anywhere (≈ when it was mined). */
    readonly firstSeenUs: number,
    nodeCount: number,
  ) {
    this.have = new Uint8Array(nodeCount);
  }

  /** The ancestor at `height` (or this block). */
  ancestor(height: number): BlockEntry<B, S> {
    let e: BlockEntry<B, S> = this;
    while (e.height > height) e = e.parent!;
    return e;
  }
}

/** The last common block of two entries. */
export function forkPoint<B, S>(a: BlockEntry<B, S>, b: BlockEntry<B, S>): BlockEntry<B, S> {
  let x = a;
  let y = b;
  while (x.height > y.height) x = x.parent!;
  while (y.height > x.height) y = y.parent!;
  while (x !== y) {
    x = x.parent!;
    y = y.parent!;
  }
  return x;
}

export type AcceptResult<B, S> = { ok: true; entry: BlockEntry<B, S>; isNew: boolean } | { ok: false; reason: string; hash: string };

/** The genesis block of a run, trusted as given. */
export interface Genesis<B, S> {
  block: B;
  /** State after genesis. */
  state: S;
  /** Work of the genesis block (expected hashes at its difficulty); also the mining timer's unit. */
  work: number;
}

/** The shared block tree of one run. */
export class BlockTree<B extends ChainBlock<T>, T extends ChainTx, S> {
  readonly genesis: BlockEntry<B, S>;
  /** Best (most-work) valid block known to anyone; ties keep the first. */
  best: BlockEntry<B, S>;
  /** Blocks really validated by `Chain.connect` (cache misses), for benchmarks and tests. */
  validatedBlocks = 0;
  private readonly entries = new Map<string, BlockEntry<B, S>>();
  private readonly byHeight: BlockEntry<B, S>[][] = [];
  private readonly bodyVerdicts = new WeakMap<B, BodyVerdict>();
  private readonly invalid = new Map<string, string>();
  /** Called for each block newly added to the tree. */
  onNewEntry: ((e: BlockEntry<B, S>) => void) | undefined;

  constructor(
    readonly chain: Chain<B, T, S>,
    genesis: Genesis<B, S>,
    readonly nodeCount: number,
  ) {
    this.genesis = new BlockEntry<B, S>(genesis.block.hash, genesis.block, null, 0, genesis.work, genesis.work, genesis.state, 0, 0, nodeCount);
    this.genesis.have.fill(1);
    this.genesis.holders = nodeCount;
    this.genesis.t50Us = this.genesis.t90Us = 0;
    this.entries.set(this.genesis.hash, this.genesis);
    this.byHeight.push([this.genesis]);
    this.best = this.genesis;
  }

  get(hash: string): BlockEntry<B, S> | undefined {
    return this.entries.get(hash);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every block in the tree (insertion order). */
  all(): IterableIterator<BlockEntry<B, S>> {
    return this.entries.values();
  }

  /** The blocks at `height`, in insertion order (for ommer / uncle selection and tests). */
  atHeight(height: number): readonly BlockEntry<B, S>[] {
    return this.byHeight[height] ?? [];
  }

  /** Context-free checks, once per distinct block object (identity ⇔ bytes: blocks are immutable). */
  checkBody(block: B): BodyVerdict {
    let v = this.bodyVerdicts.get(block);
    if (v) return v;
    v = this.chain.checkBody(block);
    this.bodyVerdicts.set(block, v);
    return v;
  }

  /**
   * Full validation of a received block. Returns the tree entry, or why the block is rejected,
   * or `orphan` when the parent is not in the tree yet. `nowUs` stamps the entry's first-seen time.
   */
  accept(block: B, nowUs: number): AcceptResult<B, S> {
    const body = this.checkBody(block);
    const hash = body.hash;
    if (body.reason) return { ok: false, reason: body.reason, hash };
    const known = this.entries.get(hash);
    if (known) return { ok: true, entry: known, isNew: false };
    const bad = this.invalid.get(hash);
    if (bad) return { ok: false, reason: bad, hash };
    const parent = this.entries.get(body.parentHash);
    if (!parent) return { ok: false, reason: 'orphan', hash };
    this.validatedBlocks++;
    const result = this.chain.connect(block, hash, parent);
    if (typeof result === 'string') {
      this.invalid.set(hash, result);
      return { ok: false, reason: result, hash };
    }
    const height = parent.height + 1;
    const entry = new BlockEntry<B, S>(hash, block, parent, height, result.work, parent.cumWork + result.work, result.state, result.fees, nowUs, this.nodeCount);
    this.entries.set(hash, entry);
    (this.byHeight[height] ??= []).push(entry);
    if (entry.cumWork > this.best.cumWork) this.best = entry;
    this.onNewEntry?.(entry);
    return { ok: true, entry, isNew: true };
  }
}
