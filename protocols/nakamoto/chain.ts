/**
 * What a proof-of-work chain supplies to the shared Nakamoto-consensus machinery of this folder.
 *
 * "Nakamoto consensus" is the part of Bitcoin (whitepaper §§4–6) that does not depend on any one
 * block format: miners extend the chain they consider best, blocks spread peer to peer, and every
 * node follows the valid chain with the most cumulative proof of work. Everything here is written
 * once for any chain with that shape — the pow protocol's Bitcoin-style HealthChain and an
 * Ethereum-style account chain alike:
 *
 *   tree.ts          the shared block tree: validity and post-state computed once per block hash,
 *                    cumulative work, node-local possession (`entry.have[node]`);
 *   fork-choice.ts   the fork-choice extension point and Nakamoto's most-work rule;
 *   messages.ts      the relay's wire messages (Bitcoin P2P framing: inv / getdata / block, BIP 152
 *                    cmpctblock / getblocktxn / blocktxn, tx gossip);
 *   world.ts         what one run shares between its nodes (options, tree, tx pool, records);
 *   node.ts          the honest node: relay, orphans, request time-outs, tx gossip, mining timer;
 *   private-chain.ts, double-spend.ts   the private-branch ("51 %") attacker machinery;
 *   checkers.ts      chain-agnostic invariant checkers.
 *
 * A chain plugs in by implementing `Chain` below: its block and tx types, how a receiver checks a
 * block alone (header hash, PoW, tx root, size) and on top of its parent (difficulty rule,
 * timestamps, txs, state transition), how a miner assembles a block, and two wire sizes.
 * docs/nakamoto.md walks through it.
 */
import type { NodeContext, NodeId } from '../../sim/types.ts';
import type { RelayMessage } from './messages.ts';
import type { BlockEntry } from './tree.ts';

/** What the machinery needs of a transaction. */
export interface ChainTx {
  /** Transaction id, lower-case hex; equal ids ⇔ equal transactions. */
  readonly txid: string;
  /** Serialized size, bytes (what a `tx` message and a compact-block round trip carry). */
  readonly size: number;
}

/**
 * What the machinery needs of a block. Block objects are immutable and shared by every simulated
 * node that holds them; a receiver never trusts `hash` (it recomputes it in `Chain.checkBody`).
 */
export interface ChainBlock<T extends ChainTx = ChainTx> {
  /** Hash claimed by the builder, lower-case hex. */
  readonly hash: string;
  /** Transactions in block order; the first `Chain.coinbaseTxs` are made by the miner itself. */
  readonly txs: readonly T[];
  /** Serialized size, bytes (what a `block` message carries). */
  readonly size: number;
}

/** Result of the context-free checks of a block (`Chain.checkBody`). */
export interface BodyVerdict {
  /** Hash recomputed from the header bytes (never the builder's claim). */
  readonly hash: string;
  /** Parent hash as encoded in the header bytes. */
  readonly parentHash: string;
  /** Why the block is invalid on its own (e.g. `bad-pow`, `bad-merkle-root`), or null. */
  readonly reason: string | null;
}

/** A block that passed `Chain.connect`: what the tree stores with it. */
export interface Connected<S> {
  /** The chain state after the block (persistent: shared with every child and every node). */
  readonly state: S;
  /** Work of the block: expected hashes to find it at its difficulty (Bitcoin Core GetBlockProof). */
  readonly work: number;
  /** Σ fees its transactions pay the miner, base units. */
  readonly fees: number;
}

/** What a miner puts into a block (`Chain.assemble`). */
export interface BlockTemplate<B, T, S> {
  /** The block to extend. */
  readonly parent: BlockEntry<B, S>;
  /** Candidate txs, best first; the chain drops those invalid on top of `parent` (seed 000 Alg. 1). */
  readonly txs: Iterable<T>;
  /** Txs placed before the candidates (e.g. a double spender's conflicting tx). */
  readonly extra: readonly T[];
  /** Header timestamp, seconds since the start of the run. */
  readonly timeSec: number;
  /** The mining node (coinbase / beneficiary). */
  readonly miner: NodeId;
}

/**
 * A proof-of-work chain as the shared machinery sees it. `B` is its block type, `T` its
 * transaction type, `S` its (persistent) state after a block. Implementations are pure functions
 * of their inputs plus run-wide caches of outcomes that depend only on the bytes checked (e.g. a
 * signature-verification cache): the tree calls `checkBody` once per block object and `connect`
 * once per block hash, for all nodes together.
 */
export interface Chain<B extends ChainBlock<T>, T extends ChainTx, S> {
  /** Protocol name: prefix of the relay's metric names (`<name>.block.rejected.<reason>`, …). */
  readonly name: string;
  /**
   * Leading txs of every block that the miner makes itself (Bitcoin: 1, the coinbase; a chain
   * that credits rewards in its state: 0). They are prefilled in compact blocks (BIP 152 always
   * prefills the coinbase) and not returned to the mempool when their block is disconnected.
   */
  readonly coinbaseTxs: number;
  /**
   * Context-free checks, run once per distinct block object: recompute the header hash, check the
   * proof of work against the header's own target, the tx root against the txs, the size limit.
   * Must not throw on malformed input (return a reason instead).
   */
  checkBody(block: B): BodyVerdict;
  /**
   * Contextual validation and state transition on top of `parent` (which is valid), run once per
   * block hash: the difficulty rule, timestamp rules, every tx valid against the parent state.
   * Returns the new state, or the reject reason. `hash` is `checkBody`'s recomputed hash.
   */
  connect(block: B, hash: string, parent: BlockEntry<B, S>): Connected<S> | string;
  /**
   * The difficulty a child of `parent` must meet, as a number that identifies it (Bitcoin: the
   * compact nBits). The mining timer is redrawn when it changes.
   */
  childDifficulty(parent: BlockEntry<B, S>): number;
  /** Expected hashes to find a block at `difficulty` (calibrates virtual hash rate). */
  workOf(difficulty: number): number;
  /** Header timestamp of `block`, seconds since the start of the run. */
  timestampSec(block: B): number;
  /** Serialized header size of `block`, bytes (the header part of a BIP 152 cmpctblock). */
  headerBytes(block: B): number;
  /** Height of the block that confirmed `txid` on the chain whose state is `state`, if any. */
  txHeight(state: S, txid: string): number | undefined;
  /** Mempool admission: null if `tx` is valid on top of `tip` at virtual time `nowUs`, else why not. */
  checkTx(tip: BlockEntry<B, S>, tx: T, nowUs: number): string | null;
  /**
   * Builds a block on `template.parent` from the template's txs (dropping invalid ones) and
   * searches a real nonce for it. `ctx` is the miner's context (for its seeded payout key).
   */
  assemble(ctx: NodeContext<RelayMessage<B, T>>, template: BlockTemplate<B, T, S>): B;
}
