/**
 * Chain state, validation and block assembly for the HealthChain PoW chain: `PowChain`, the
 * chain-specific part the shared Nakamoto machinery (protocols/nakamoto/) plugs in.
 *
 * The run's shared block tree (`BlockTree`, protocols/nakamoto/tree.ts) holds every VALID block
 * any node has accepted, with height, cumulative work and the `ChainState` after the block. The
 * validity of a block and the state after it depend only on the block's bytes and its ancestors
 * (which its hash commits to), so the outcome is the same on every node and is computed once
 * (seed 000 Algorithm 1 runs for real, once per distinct block). What each node holds is
 * node-local: `entry.have[node]`, the node's tip, its orphans and requests.
 *
 * Validation (seed 000 Alg. 1; Bitcoin whitepaper §§4–7):
 *   context-free, per distinct block object (`checkBody`): PoW meets the header's target, Merkle
 *     root of the txids equals the header's, size ≤ limit;
 *   contextual, per block hash (`connect`): the target equals the retarget rule's, timestamp >
 *     median time past, first tx is the only coinbase, every tx valid against the parent state
 *     (signatures, unspent inputs, no duplicate, fee ≥ 0, storage issuer signature, access
 *     grantor signature, ownership and expiry), coinbase ≤ fees.
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
import type { BlockTemplate, BodyVerdict, Chain, Connected } from '../nakamoto/chain.ts';
import type { RelayContext } from '../nakamoto/node.ts';
import type { BlockEntry } from '../nakamoto/tree.ts';
import { publicKeyFromSecret } from '../crypto/ed25519.ts';
import { seededRandom } from '../crypto/random.ts';
import { computeMerkleRoot, HEADER_BYTES, mineNonce, parseHeader, verifyHeader, type Block } from './block.ts';
import { toHex, VerifyCache } from './crypto.ts';
import { Layered } from './layered.ts';
import { retarget, workOfBits, type RetargetRule } from './target.ts';
import { makeTx, outputTotal, type Tx } from './tx.ts';

/** A block in the run's shared tree (protocols/nakamoto/tree.ts), with the HealthChain state after it. */
export type PowEntry = BlockEntry<Block, ChainState>;
/** A pow node's context. */
export type PowContext = RelayContext<Block, Tx>;

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

/** Median of the timestamps of the last 11 blocks (Bitcoin's median-time-past rule). */
function medianTimePast(e: PowEntry): number {
  const times: number[] = [];
  for (let x: PowEntry | null = e; x && times.length < 11; x = x.parent) times.push(x.block.header.time);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Wire bytes of a filler tx besides its padding (version, kind, height, miner, n, 2 empty lists). */
const FILLER_OVERHEAD_BYTES = 16;
/** Smallest split filler tx, bytes (overhead + the 4-byte index). */
const FILLER_MIN_TX_BYTES = FILLER_OVERHEAD_BYTES + 4;

/** Coinbase size estimate reserved in block templates, bytes. */
const COINBASE_RESERVE = 128;

/**
 * The HealthChain PoW chain as the shared Nakamoto machinery sees it (protocols/nakamoto/chain.ts):
 * Bitcoin's header, proof of work, retargeting and Merkle root; seed 000's transactions and
 * state; a Bitcoin-style coinbase collecting the fees. One instance per run, shared by every node
 * together with its signature-verification cache.
 */
export class PowChain implements Chain<Block, Tx, ChainState> {
  readonly name = 'pow';
  /** The coinbase: first tx of every block, made by the miner. */
  readonly coinbaseTxs = 1;
  /** Ed25519 outcomes shared by every node (see crypto.ts: each distinct signature verified once). */
  readonly sigs = new VerifyCache();
  /** Each miner's payout key (from its seeded key stream), by node id. */
  private readonly payoutKeys: (Uint8Array | undefined)[] = [];

  constructor(
    readonly params: ChainParams,
    /** Padding bytes per mined block (`filler` txs; SimBlock-style propagation benchmarks only). */
    readonly fillerBytes = 0,
    /**
     * Wire size of each filler tx, bytes: the padding is split into fillers of this size (the
     * last one takes the remainder), so a compact block carries one short id per filler as it
     * would per mempool tx; 0 = one filler carrying all the padding.
     */
    readonly fillerTxBytes = 0,
  ) {}

  /** The filler txs of a block at `height` by `miner`, `bytes` of wire size in total (about). */
  private fillers(height: number, miner: number, bytes: number): Tx[] {
    const coinbase = { height, miner };
    if (this.fillerTxBytes <= 0) return [makeTx({ kind: 'filler', coinbase, fillerBytes: bytes })];
    const out: Tx[] = [];
    let left = bytes;
    const each = Math.max(FILLER_MIN_TX_BYTES, this.fillerTxBytes);
    for (let k = 0; left > 0; k++) {
      // The last filler takes the remainder (never a sliver below the minimum size).
      const size = left - each < FILLER_MIN_TX_BYTES ? left : each;
      out.push(makeTx({ kind: 'filler', coinbase, fillerBytes: Math.max(4, size - FILLER_OVERHEAD_BYTES), fillerIndex: k }));
      left -= size;
    }
    return out;
  }

  /** Compact target a child of `parent` must carry (Bitcoin Core GetNextWorkRequired). */
  expectedBits(parent: PowEntry): number {
    const rule = this.params.retarget;
    const height = parent.height + 1;
    const bits = parent.block.header.bits;
    if (rule.interval <= 0 || height % rule.interval !== 0) return bits;
    const first = parent.ancestor(Math.max(0, height - 1 - rule.interval));
    return retarget(bits, first.block.header.time, parent.block.header.time, parent.height - first.height, rule);
  }

  /** Context-free checks: PoW meets the header's own target, size ≤ limit, Merkle root matches. */
  checkBody(block: Block): BodyVerdict {
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
    return { hash, parentHash: parseHeader(block.headerBytes).prevHash, reason };
  }

  /**
   * Contextual validation (seed 000 Alg. 1 "verify … adopt a received valid block"): target,
   * median time past, coinbase, every tx on the parent state; returns the state after the block.
   */
  connect(block: Block, _hash: string, parent: PowEntry): Connected<ChainState> | RejectReason {
    const { bits, time } = parseHeader(block.headerBytes);
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
    return { state, work: workOfBits(bits), fees };
  }

  childDifficulty(parent: PowEntry): number {
    return this.expectedBits(parent);
  }

  workOf(bits: number): number {
    return workOfBits(bits);
  }

  timestampSec(block: Block): number {
    return block.header.time;
  }

  headerBytes(): number {
    return HEADER_BYTES;
  }

  txHeight(state: ChainState, txid: string): number | undefined {
    return state.txIndex.get(txid);
  }

  /** Mempool admission: the tx must be valid on top of `tip` (Alg. 1 checks). */
  checkTx(tip: PowEntry, tx: Tx, nowUs: number): RejectReason | null {
    try {
      applyTx(tip.state.derive(), tx, { height: tip.height + 1, timeUs: nowUs }, this.sigs, this.params);
      return null;
    } catch (e) {
      if (e instanceof TxRejected) return e.reason;
      throw e;
    }
  }

  /** Builds a block (Alg. 1: invalid txs are dropped) with a coinbase collecting the fees, and mines a real nonce. */
  assemble(ctx: PowContext, t: BlockTemplate<Block, Tx, ChainState>): Block {
    const parent = t.parent;
    const height = parent.height + 1;
    const state = parent.state.derive();
    const time = t.timeSec;
    const tctx = { height, timeUs: time * 1_000_000 };
    const chosen: Tx[] = [];
    let fees = 0;
    let room = this.params.maxBlockBytes - HEADER_BYTES - 5 - COINBASE_RESERVE;
    for (const tx of [...t.extra, ...t.txs]) {
      if (tx.size > room) continue;
      try {
        fees += applyTx(state, tx, tctx, this.sigs, this.params);
      } catch (e) {
        if (e instanceof TxRejected) continue;
        throw e;
      }
      chosen.push(tx);
      room -= tx.size;
    }
    if (this.fillerBytes > 0) chosen.push(...this.fillers(height, t.miner, Math.min(this.fillerBytes, room)));
    const coinbase = makeTx({ kind: 'coinbase', coinbase: { height, miner: t.miner }, outputs: fees > 0 ? [{ value: fees, owner: this.payoutKey(ctx, t.miner) }] : [] });
    const all = [coinbase, ...chosen];
    return mineNonce({ version: 1, prevHash: parent.hash, merkleRoot: computeMerkleRoot(all), time, bits: this.expectedBits(parent) }, all);
  }

  /** A miner's payout key (Ed25519, from its seeded key stream). */
  private payoutKey(ctx: PowContext, miner: number): Uint8Array {
    return (this.payoutKeys[miner] ??= publicKeyFromSecret(seededRandom(ctx.seedFor('miner-key'), 'miner-key')(32)));
  }
}


/**
 * The `AccessLedger` of `protocols/records/` over one node's best chain: what the off-chain
 * store and third parties read. Confirmations: 1 = in the tip block.
 */
export class ChainLedger implements AccessLedger {
  constructor(
    private readonly tip: () => PowEntry,
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
