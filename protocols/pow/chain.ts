/**
 * Chain state, validation and fork choice for the HealthChain PoW chain.
 *
 * `ChainStore` holds every VALID block any node has accepted, as a tree of `BlockEntry`s with
 * height, cumulative work and the chain state after the block. It is shared by all simulated
 * nodes of a run: the validity of a block and the state after it depend only on the block's
 * bytes and its ancestors (which its hash commits to), so the outcome is the same on every node
 * and is computed once (seed 000 Algorithm 1 runs for real, once per distinct block). What each
 * node holds is node-local: `entry.have[node]`, the node's tip, its orphans and requests.
 *
 * Validation (seed 000 Alg. 1; Bitcoin whitepaper §§4–7):
 *   context-free, per distinct block object: PoW meets the header's target, Merkle root of the
 *     txids equals the header's, size ≤ limit;
 *   contextual, per block hash: the target equals the retarget rule's, timestamp > median time
 *     past, first tx is the only coinbase, every tx valid against the parent state (signatures,
 *     unspent inputs, no duplicate, fee ≥ 0, storage issuer signature, access grantor signature,
 *     ownership and expiry), coinbase ≤ fees.
 * A block with a bad Merkle root is NOT remembered as invalid by hash: its header may be honest
 * and the body tampered (Bitcoin Core's "mutated block" rule), so the honest body must still pass.
 */
import {
  accessSigningMessage,
  storageSigningMessage,
  type AccessGrant,
  type AccessLedger,
  type AccessPayload,
  type StorageEntry,
  type StoragePayload,
} from '../records/payloads.ts';
import { computeMerkleRoot, parseHeader, verifyHeader, type Block } from './block.ts';
import { toHex, VerifyCache } from './crypto.ts';
import { Layered } from './layered.ts';
import { retarget, workOfBits, type RetargetRule } from './target.ts';
import { outputTotal, type Tx } from './tx.ts';

export type RejectReason =
  | 'bad-pow'
  | 'bad-merkle-root'
  | 'oversize'
  | 'bad-target'
  | 'time-too-old'
  | 'bad-coinbase'
  | 'bad-signature'
  | 'double-spend'
  | 'missing-input'
  | 'duplicate-tx'
  | 'fee-negative'
  | 'no-inputs'
  | 'expired-access'
  | 'unauthorised-access'
  | 'filler-not-allowed';

export class TxRejected extends Error {
  constructor(readonly reason: RejectReason) {
    super(reason);
  }
}

/** An unspent output. */
export interface Coin {
  readonly value: number;
  readonly owner: Uint8Array;
  /** Height of the block that created it. */
  readonly height: number;
}

interface AccessRecord {
  readonly payload: AccessPayload;
  readonly height: number;
}

/** The chain state after a block (persistent; shared between nodes and with child blocks). */
export class ChainState {
  constructor(
    /** Unspent outputs by `txid:index`. */
    readonly utxo: Layered<Coin>,
    /** Height of every confirmed tx, by txid. */
    readonly txIndex: Layered<number>,
    /** Earliest valid storage payload per record digest (hex). */
    readonly storage: Layered<{ payload: StoragePayload; height: number }>,
    /** Access-control history per `uri|granteeHex`, oldest first (arrays are never mutated). */
    readonly access: Layered<readonly AccessRecord[]>,
    /** Owner (grantor of the first access tx) per URI (seed 000 Alg. 1 resource validity). */
    readonly owners: Layered<{ key: Uint8Array; height: number }>,
  ) {}

  static empty(): ChainState {
    return new ChainState(Layered.empty(), Layered.empty(), Layered.empty(), Layered.empty(), Layered.empty());
  }

  derive(): ChainState {
    return new ChainState(this.utxo.derive(), this.txIndex.derive(), this.storage.derive(), this.access.derive(), this.owners.derive());
  }
}

export const outpointKey = (txid: string, index: number) => `${txid}:${index}`;
const accessKey = (uri: string, grantee: Uint8Array) => `${uri}|${toHex(grantee)}`;

/** One valid block in the shared block tree. */
export class BlockEntry {
  /** Per node: 1 once the node has accepted the block. */
  readonly have: Uint8Array;
  /** Nodes that hold it so far, and when 50 % / 90 % of nodes first held it (µs, −1 = not yet). */
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
  /** The block's relay messages, built once and shared by every sender (node.ts). */
  relay: unknown = undefined;
  constructor(
    readonly hash: string,
    readonly block: Block,
    readonly parent: BlockEntry | null,
    readonly height: number,
    /** Work of this block (expected hashes) and the sum from genesis. */
    readonly work: number,
    readonly cumWork: number,
    readonly state: ChainState,
    /** Σ fees of its txs. */
    readonly fees: number,
    /** Virtual time (µs) it was first accepted anywhere (≈ when it was mined). */
    readonly firstSeenUs: number,
    nodeCount: number,
  ) {
    this.have = new Uint8Array(nodeCount);
  }

  get time(): number {
    return this.block.header.time;
  }
  get bits(): number {
    return this.block.header.bits;
  }

  /** The ancestor at `height` (or this block). */
  ancestor(height: number): BlockEntry {
    let e: BlockEntry = this;
    while (e.height > height) e = e.parent!;
    return e;
  }
}

/** Fork-choice rule: should a node switch its tip from `current` to `candidate`? */
export interface ForkChoice {
  readonly name: string;
  prefer(candidate: BlockEntry, current: BlockEntry): boolean;
}

/** Nakamoto's rule (Bitcoin whitepaper §4): most cumulative work; ties keep the first seen. */
export const MOST_WORK: ForkChoice = { name: 'most-work', prefer: (c, cur) => c.cumWork > cur.cumWork };

/**
 * MUTANT for the check harness: longest chain by HEIGHT. Wrong under retargeting — a long chain
 * of low-difficulty blocks beats a shorter chain with more work — and the
 * `confirmed-not-reversed` checker catches it (the `timewarp` attacker builds such a chain on the
 * network: test/pow/timewarp.test.ts).
 */
export const LONGEST_HEIGHT: ForkChoice = { name: 'height', prefer: (c, cur) => c.height > cur.height };

export const FORK_CHOICES: Record<string, ForkChoice> = { 'most-work': MOST_WORK, height: LONGEST_HEIGHT };

/** The last common block of two entries. */
export function forkPoint(a: BlockEntry, b: BlockEntry): BlockEntry {
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

export interface ChainParams {
  /** Largest serialized block, bytes (Bitcoin legacy: 1,000,000). */
  maxBlockBytes: number;
  /** Retargeting rule; `interval` 0 disables retargeting (fixed target). */
  retarget: RetargetRule;
  /** Compact target of the genesis block and of every block until the first retarget. */
  initialBits: number;
  /** Accept `filler` padding txs (propagation benchmarks only). */
  allowFiller: boolean;
}

/** Context for applying a tx: the block it goes in. */
export interface TxContext {
  height: number;
  /** Block timestamp, µs (access expirations are µs of virtual time). */
  timeUs: number;
}

/**
 * Validates `tx` against `state` (a layer being built) and applies it. Throws `TxRejected`
 * without touching the state when invalid. Returns the fee. Coinbases are handled by the block.
 */
export function applyTx(state: ChainState, tx: Tx, ctx: TxContext, sigs: VerifyCache, params: Pick<ChainParams, 'allowFiller'>): number {
  if (tx.kind === 'coinbase') throw new TxRejected('bad-coinbase');
  if (state.txIndex.has(tx.txid)) throw new TxRejected('duplicate-tx');
  if (tx.kind === 'filler') {
    if (!params.allowFiller) throw new TxRejected('filler-not-allowed');
    if (tx.inputs.length || tx.outputs.length) throw new TxRejected('bad-coinbase');
    state.txIndex.set(tx.txid, ctx.height);
    return 0;
  }
  // Every other tx pays a fee, so it spends at least one coin.
  if (tx.inputs.length === 0) throw new TxRejected('no-inputs');
  let inTotal = 0;
  const keys: string[] = [];
  for (const inp of tx.inputs) {
    const key = outpointKey(inp.txid, inp.index);
    if (keys.includes(key)) throw new TxRejected('double-spend');
    const coin = state.utxo.get(key);
    if (!coin) throw new TxRejected(state.txIndex.has(inp.txid) ? 'double-spend' : 'missing-input');
    if (!sigs.verify(inp.signature, tx.sighash, coin.owner)) throw new TxRejected('bad-signature');
    inTotal += coin.value;
    keys.push(key);
  }
  const fee = inTotal - outputTotal(tx);
  if (fee < 0) throw new TxRejected('fee-negative');

  // Payload rules (seed 000 Alg. 1: issuer signature; resource validity + grantor signature).
  let owner: { key: Uint8Array; height: number } | undefined;
  if (tx.kind === 'storage') {
    const p = tx.storage!;
    if (!sigs.verify(p.signature, storageSigningMessage(p.digest, p.hM), p.issuerKey)) throw new TxRejected('bad-signature');
  } else if (tx.kind === 'access') {
    const p = tx.access!;
    if (!sigs.verify(p.grantorSignature, accessSigningMessage(p), p.grantorKey)) throw new TxRejected('bad-signature');
    owner = state.owners.get(p.uri);
    if (owner && !equalBytes(owner.key, p.grantorKey)) throw new TxRejected('unauthorised-access');
    if (p.permissions.length > 0 && p.expiration <= ctx.timeUs) throw new TxRejected('expired-access');
  }

  // All checks passed: apply.
  for (const key of keys) state.utxo.delete(key);
  tx.outputs.forEach((out, i) => state.utxo.set(outpointKey(tx.txid, i), { value: out.value, owner: out.owner, height: ctx.height }));
  state.txIndex.set(tx.txid, ctx.height);
  if (tx.kind === 'storage') {
    const p = tx.storage!;
    const k = toHex(p.digest);
    if (!state.storage.has(k)) state.storage.set(k, { payload: p, height: ctx.height });
  } else if (tx.kind === 'access') {
    const p = tx.access!;
    if (!owner) state.owners.set(p.uri, { key: p.grantorKey, height: ctx.height });
    const k = accessKey(p.uri, p.granteeKey);
    state.access.set(k, [...(state.access.get(k) ?? []), { payload: p, height: ctx.height }]);
  }
  return fee;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface BodyVerdict {
  hash: string;
  /** Parent hash as encoded in the header bytes. */
  prevHash: string;
  reason: RejectReason | null;
}

export type AcceptResult = { ok: true; entry: BlockEntry; isNew: boolean } | { ok: false; reason: RejectReason | 'orphan'; hash: string };

/** Median of the timestamps of the last 11 blocks (Bitcoin's median-time-past rule). */
function medianTimePast(e: BlockEntry): number {
  const times: number[] = [];
  for (let x: BlockEntry | null = e; x && times.length < 11; x = x.parent) times.push(x.time);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** The shared block tree of one run. */
export class ChainStore {
  readonly genesis: BlockEntry;
  readonly sigs = new VerifyCache();
  /** Best (most-work) valid block known to anyone. */
  best: BlockEntry;
  /** Blocks really validated (cache misses), for benchmarks. */
  validatedBlocks = 0;
  private readonly entries = new Map<string, BlockEntry>();
  private readonly bodyVerdicts = new WeakMap<Block, BodyVerdict>();
  private readonly invalid = new Map<string, RejectReason>();
  /** Called for each block newly added to the tree. */
  onNewEntry: ((e: BlockEntry) => void) | undefined;

  constructor(
    readonly params: ChainParams,
    genesisBlock: Block,
    genesisState: ChainState,
    readonly nodeCount: number,
  ) {
    this.genesis = new BlockEntry(genesisBlock.hash, genesisBlock, null, 0, workOfBits(genesisBlock.header.bits), workOfBits(genesisBlock.header.bits), genesisState, 0, 0, nodeCount);
    this.genesis.have.fill(1);
    this.genesis.holders = nodeCount;
    this.genesis.t50Us = this.genesis.t90Us = 0;
    this.entries.set(this.genesis.hash, this.genesis);
    this.best = this.genesis;
  }

  get(hash: string): BlockEntry | undefined {
    return this.entries.get(hash);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every block in the tree (insertion order). */
  all(): IterableIterator<BlockEntry> {
    return this.entries.values();
  }

  /** Compact target a child of `parent` must carry (Bitcoin Core GetNextWorkRequired). */
  expectedBits(parent: BlockEntry): number {
    const rule = this.params.retarget;
    const height = parent.height + 1;
    if (rule.interval <= 0 || height % rule.interval !== 0) return parent.bits;
    const first = parent.ancestor(Math.max(0, height - 1 - rule.interval));
    return retarget(parent.bits, first.time, parent.time, parent.height - first.height, rule);
  }

  /** Context-free checks, once per distinct block object (identity ⇔ bytes; see block.ts). */
  checkBody(block: Block): BodyVerdict {
    let v = this.bodyVerdicts.get(block);
    if (v) return v;
    const { hash, powOk } = verifyHeader(block);
    let reason: RejectReason | null = null;
    if (!powOk) reason = 'bad-pow';
    else if (block.size > this.params.maxBlockBytes) reason = 'oversize';
    else {
      let root: Uint8Array | null;
      try {
        root = computeMerkleRoot(block.txs);
      } catch {
        root = null; // a mutated tx list (CVE-2012-2459) has no acceptable root
      }
      if (!root || !equalBytes(root, parseHeader(block.headerBytes).merkleRoot)) reason = 'bad-merkle-root';
    }
    v = { hash, prevHash: parseHeader(block.headerBytes).prevHash, reason };
    this.bodyVerdicts.set(block, v);
    return v;
  }

  /**
   * Full validation of a received block (seed 000 Alg. 1 "verify … adopt a received valid
   * block"). Returns the tree entry, or why the block is rejected, or `orphan` when the parent is
   * not in the tree yet. `nowUs` stamps the entry's first-seen time.
   */
  accept(block: Block, nowUs: number): AcceptResult {
    const body = this.checkBody(block);
    const hash = body.hash;
    if (body.reason) return { ok: false, reason: body.reason, hash };
    const known = this.entries.get(hash);
    if (known) return { ok: true, entry: known, isNew: false };
    const bad = this.invalid.get(hash);
    if (bad) return { ok: false, reason: bad, hash };
    const header = parseHeader(block.headerBytes);
    const parent = this.entries.get(header.prevHash);
    if (!parent) return { ok: false, reason: 'orphan', hash };
    this.validatedBlocks++;
    const result = this.connect(block, hash, header.bits, header.time, parent, nowUs);
    if (typeof result === 'string') {
      this.invalid.set(hash, result);
      return { ok: false, reason: result, hash };
    }
    this.entries.set(hash, result);
    if (result.cumWork > this.best.cumWork) this.best = result;
    this.onNewEntry?.(result);
    return { ok: true, entry: result, isNew: true };
  }

  private connect(block: Block, hash: string, bits: number, time: number, parent: BlockEntry, nowUs: number): BlockEntry | RejectReason {
    if (bits !== this.expectedBits(parent)) return 'bad-target';
    if (time <= medianTimePast(parent) && parent.height > 0) return 'time-too-old';
    const height = parent.height + 1;
    const txs = block.txs;
    const cb = txs[0];
    if (!cb || cb.kind !== 'coinbase' || cb.coinbase?.height !== height || cb.inputs.length !== 0) return 'bad-coinbase';
    const state = parent.state.derive();
    const ctx: TxContext = { height, timeUs: time * 1_000_000 };
    let fees = 0;
    try {
      for (let i = 1; i < txs.length; i++) fees += applyTx(state, txs[i], ctx, this.sigs, this.params);
    } catch (e) {
      if (e instanceof TxRejected) return e.reason;
      throw e;
    }
    // Seed 000: no block subsidy; the miner collects the fees (inputs − outputs) of its block.
    if (outputTotal(cb) > fees) return 'bad-coinbase';
    if (state.txIndex.has(cb.txid)) return 'duplicate-tx';
    cb.outputs.forEach((out, i) => state.utxo.set(outpointKey(cb.txid, i), { value: out.value, owner: out.owner, height }));
    state.txIndex.set(cb.txid, height);
    const work = workOfBits(bits);
    return new BlockEntry(hash, block, parent, height, work, parent.cumWork + work, state, fees, nowUs, this.nodeCount);
  }
}

/**
 * The `AccessLedger` of `protocols/records/` over one node's best chain: what the off-chain
 * store and third parties read. Confirmations: 1 = in the tip block.
 */
export class ChainLedger implements AccessLedger {
  constructor(
    private readonly tip: () => BlockEntry,
    private readonly clock: () => number,
  ) {}

  now(): number {
    return this.clock();
  }

  private maxHeight(minConfirmations: number | undefined): number {
    return this.tip().height - Math.max(1, minConfirmations ?? 1) + 1;
  }

  accessGrant(uri: string, grantee: Uint8Array, minConfirmations: number): AccessGrant | undefined {
    const tip = this.tip();
    const max = this.maxHeight(minConfirmations);
    const history = tip.state.access.get(accessKey(uri, grantee));
    if (!history) return undefined;
    for (let i = history.length - 1; i >= 0; i--) {
      const r = history[i];
      if (r.height > max) continue;
      const p = r.payload;
      return { uri, grantee: p.granteeKey, grantor: p.grantorKey, permissions: p.permissions, expiration: p.expiration, wrappedKey: p.wrappedKey, confirmations: tip.height - r.height + 1 };
    }
    return undefined;
  }

  recordOwner(uri: string, minConfirmations?: number): Uint8Array | undefined {
    const o = this.tip().state.owners.get(uri);
    return o && o.height <= this.maxHeight(minConfirmations) ? o.key : undefined;
  }

  storageRecord(digest: Uint8Array, minConfirmations?: number): StorageEntry | undefined {
    const tip = this.tip();
    const s = tip.state.storage.get(toHex(digest));
    return s && s.height <= this.maxHeight(minConfirmations) ? { payload: s.payload, confirmations: tip.height - s.height + 1 } : undefined;
  }
}
