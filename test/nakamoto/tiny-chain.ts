/**
 * A tiny chain for testing the shared Nakamoto machinery on its own: blocks with a SHA-256 hash
 * over their fields, a declared "proof of work" flag and a tx root, txs that spend named coins
 * (two txs spending one coin conflict), and a state of confirmed txids and spent coins. Small
 * enough to build blocks by hand, real enough that a receiver recomputes the hash and the tx root
 * and that a conflicting or invalid tx really invalidates a block.
 */
import { createHash } from 'node:crypto';
import { Simulation } from '../../sim/kernel.ts';
import type { NetworkOptions } from '../../sim/network.ts';
import type { RegionTable } from '../../sim/regions.ts';
import type { NodeId, Observer, ProtocolNode } from '../../sim/types.ts';
import type { BlockTemplate, BodyVerdict, Chain, Connected } from '../../protocols/nakamoto/chain.ts';
import { MOST_WORK } from '../../protocols/nakamoto/fork-choice.ts';
import type { RelayMessage } from '../../protocols/nakamoto/messages.ts';
import type { RelayContext } from '../../protocols/nakamoto/node.ts';
import type { BlockEntry } from '../../protocols/nakamoto/tree.ts';
import { NakamotoWorld, REQUEST_TIMEOUT_US, type NakamotoOptions } from '../../protocols/nakamoto/world.ts';

export interface TinyTx {
  readonly txid: string;
  readonly size: number;
  /** The coin it spends (at most once per chain), if any. */
  readonly coin?: string;
  /** Stand-in for a signature check: false ⇒ the tx is invalid. */
  readonly valid: boolean;
}

export interface TinyBlock {
  readonly hash: string;
  readonly parent: string;
  readonly difficulty: number;
  readonly time: number;
  readonly miner: number;
  /** Stand-in for the PoW check: false ⇒ `bad-pow`. */
  readonly powOk: boolean;
  /** Hash over the txids (a Merkle root stand-in). */
  readonly txRoot: string;
  readonly txs: readonly TinyTx[];
  readonly size: number;
}

export interface TinyState {
  /** Height of each confirmed tx and each spent coin. */
  readonly txs: ReadonlyMap<string, number>;
  readonly spent: ReadonlySet<string>;
}

export type TinyEntry = BlockEntry<TinyBlock, TinyState>;
export type TinyMessage = RelayMessage<TinyBlock, TinyTx>;
export type TinyContext = RelayContext<TinyBlock, TinyTx>;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
export const txRootOf = (txs: readonly TinyTx[]) => sha(txs.map((t) => t.txid).join(','));
const headerOf = (b: Omit<TinyBlock, 'hash' | 'txs' | 'size'>) => `${b.parent}|${b.difficulty}|${b.time}|${b.miner}|${b.powOk}|${b.txRoot}`;
export const HEADER_BYTES = 100;

let txCounter = 0;
/** A tx of `size` bytes spending `coin` (a fresh id each call unless `id` is given). */
export function tinyTx(opts: { coin?: string; valid?: boolean; size?: number; id?: string } = {}): TinyTx {
  return { txid: sha(opts.id ?? `tx-${txCounter++}`), size: opts.size ?? 250, coin: opts.coin, valid: opts.valid ?? true };
}

/** Assembles a block; `hash` is computed over the header fields unless `fakeHash` is given. */
export function tinyBlock(fields: { parent: string; difficulty: number; time: number; miner?: number; powOk?: boolean; txs?: TinyTx[]; txRoot?: string }): TinyBlock {
  const txs = fields.txs ?? [];
  const header = { parent: fields.parent, difficulty: fields.difficulty, time: fields.time, miner: fields.miner ?? 0, powOk: fields.powOk ?? true, txRoot: fields.txRoot ?? txRootOf(txs) };
  let size = HEADER_BYTES;
  for (const t of txs) size += t.size;
  return { ...header, hash: sha(headerOf(header)), txs, size };
}

export class TinyChain implements Chain<TinyBlock, TinyTx, TinyState> {
  readonly name = 'tiny';
  readonly coinbaseTxs = 0;
  /** `connect` calls per block hash (shared outcomes: at most one each). */
  readonly connects = new Map<string, number>();

  constructor(
    /** Difficulty of a block at `height` (work per block). */
    readonly difficultyAt: (height: number) => number = () => 1000,
  ) {}

  checkBody(b: TinyBlock): BodyVerdict {
    const hash = sha(headerOf(b));
    const reason = !b.powOk ? 'bad-pow' : txRootOf(b.txs) !== b.txRoot ? 'bad-tx-root' : null;
    return { hash, parentHash: b.parent, reason };
  }

  connect(b: TinyBlock, hash: string, parent: TinyEntry): Connected<TinyState> | string {
    this.connects.set(hash, (this.connects.get(hash) ?? 0) + 1);
    const height = parent.height + 1;
    // No retarget rule: any declared difficulty counts as the block's work (tests build light
    // and heavy branches by hand); miners use `difficultyAt`.
    if (!(b.difficulty >= 1)) return 'bad-difficulty';
    if (b.time <= parent.block.time) return 'time-too-old';
    const txs = new Map(parent.state.txs);
    const spent = new Set(parent.state.spent);
    for (const tx of b.txs) {
      const reason = this.txProblem(txs, spent, tx);
      if (reason) return reason;
      txs.set(tx.txid, height);
      if (tx.coin) spent.add(tx.coin);
    }
    return { state: { txs, spent }, work: b.difficulty, fees: 0 };
  }

  private txProblem(txs: ReadonlyMap<string, number>, spent: ReadonlySet<string>, tx: TinyTx): string | null {
    if (!tx.valid) return 'bad-tx';
    if (txs.has(tx.txid)) return 'duplicate-tx';
    if (tx.coin && spent.has(tx.coin)) return 'double-spend';
    return null;
  }

  childDifficulty(parent: TinyEntry): number {
    return this.difficultyAt(parent.height + 1);
  }
  workOf(difficulty: number): number {
    return difficulty;
  }
  timestampSec(b: TinyBlock): number {
    return b.time;
  }
  headerBytes(): number {
    return HEADER_BYTES;
  }
  txHeight(state: TinyState, txid: string): number | undefined {
    return state.txs.get(txid);
  }
  checkTx(tip: TinyEntry, tx: TinyTx): string | null {
    return this.txProblem(tip.state.txs, tip.state.spent, tx);
  }

  assemble(_ctx: TinyContext, t: BlockTemplate<TinyBlock, TinyTx, TinyState>): TinyBlock {
    const txs = new Map(t.parent.state.txs);
    const spent = new Set(t.parent.state.spent);
    const chosen: TinyTx[] = [];
    for (const tx of [...t.extra, ...t.txs]) {
      if (this.txProblem(txs, spent, tx)) continue;
      chosen.push(tx);
      txs.set(tx.txid, 0);
      if (tx.coin) spent.add(tx.coin);
    }
    return tinyBlock({ parent: t.parent.hash, difficulty: this.childDifficulty(t.parent), time: t.timeSec, miner: t.miner, txs: chosen });
  }
}

export const GENESIS = tinyBlock({ parent: '0'.repeat(64), difficulty: 1000, time: 0 });

/** One region, 10 ms one-way latency, 100 Mbit/s. */
const ONE_REGION: RegionTable = { names: ['lan'], latencyMs: [[10]], uploadBps: [100e6], downloadBps: [100e6], distribution: [1] };

export type TinyWorld = NakamotoWorld<TinyBlock, TinyTx, TinyState>;

export interface TinyRunOptions {
  nodes: number;
  /** Undirected links; default: full mesh. */
  edges?: [number, number][];
  /** Options overriding the defaults (no mining, 600 s blocks, inv/getdata, full tx relay). */
  options?: Partial<NakamotoOptions<TinyBlock, TinyTx>>;
  chain?: TinyChain;
  endTimeUs?: number;
  seed?: number;
  observers?: Observer[];
}

/** A simulation of tiny-chain nodes; `make` builds node `id` (default: the honest node). */
export function tinyRun<N extends ProtocolNode<TinyMessage>>(opts: TinyRunOptions, make: (id: NodeId, world: TinyWorld) => N) {
  const chain = opts.chain ?? new TinyChain();
  const options: NakamotoOptions<TinyBlock, TinyTx> = {
    blockIntervalUs: 600e6,
    txRelay: 'full',
    pooledDelayUs: 0,
    compactBlocks: false,
    forkChoice: MOST_WORK,
    hashShare: new Float64Array(opts.nodes),
    stopAfterBlocks: 0,
    requestTimeoutUs: REQUEST_TIMEOUT_US,
    ...opts.options,
  };
  const world: TinyWorld = new NakamotoWorld(options, chain, { block: GENESIS, state: { txs: new Map(), spent: new Set() }, work: GENESIS.difficulty }, opts.nodes);
  const nodes: N[] = [];
  const network: NetworkOptions = {
    nodes: opts.nodes,
    regions: ONE_REGION,
    jitter: 0,
    loss: 0,
    duplication: 0,
    topology: opts.edges ? { kind: 'explicit', edges: opts.edges } : { kind: 'full-mesh' },
    partitions: [],
    clogs: [],
  };
  const sim = new Simulation<TinyMessage>({
    seed: opts.seed ?? 1,
    network,
    createNode: (id) => (nodes[id] = make(id, world)),
    endTimeUs: opts.endTimeUs ?? 3600e6,
    observers: opts.observers,
  });
  return { sim, world, chain, nodes };
}
