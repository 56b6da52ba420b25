/**
 * The honest HealthChain node (seed 000 Algorithm 1, "Mining"): keeps a mempool, validates and
 * relays transactions and blocks, mines on its best tip, and switches to a received chain with
 * more cumulative work (Bitcoin whitepaper §§5–6).
 *
 * Relay (Bitcoin P2P protocol): a node announces a new block with `inv`; a peer that lacks it
 * asks with `getdata` and receives the `block` (its real byte size crosses the bandwidth
 * model). With `compactBlocks`, BIP 152 high-bandwidth mode: each node asks up to 3 peers
 * (`sendcmpct(1)`) to push `cmpctblock` (header + 6-byte short ids + prefilled coinbase) right
 * away; the receiver rebuilds the block from its mempool and fetches missing txs with
 * `getblocktxn`/`blocktxn` (one more round trip). Other peers still get `inv`.
 *
 * Transactions: in `full` relay each tx is gossiped with inv/gettx/tx and every node keeps its
 * own mempool; in `pooled` relay (BlockSim's modelled propagation, for thousands of nodes) a tx
 * reaches every mempool `pooledDelayUs` after submission and only blocks are gossiped.
 *
 * Relay bookkeeping is node-local — which peers announced a block to this node (so it does not
 * announce it back: Bitcoin Core's per-peer known-inventory filter) and which peer it asked — but
 * for blocks in the shared tree it is stored densely in the `BlockEntry` (`heard`, `asked`,
 * `askedAt`, indexed by node id) instead of in per-node maps: one lookup per message, and the
 * slots of all nodes for a hot block sit together in memory. A request older than
 * `REQUEST_TIMEOUT_US` may be re-sent to another peer that announces the block (or to the peer
 * that sent a child), so a getdata lost to a partition, loss or a crashed peer does not stall the
 * node forever (Bitcoin Core re-requests stalled blocks from other peers too).
 *
 * Mining in virtual time: a miner with hash share s finds the next block after an exponential
 * time with mean `blockInterval · work(target)/work(initial target) / s` (memoryless, so it
 * simply restarts whenever the tip changes), then builds the block (fee-rate order, Alg. 1
 * drops invalid txs), searches a real nonce and announces it.
 */
import type { NodeContext, NodeId, ProtocolNode, TimerHandle } from '../../sim/types.ts';
import { computeMerkleRoot as computeRoot, mineNonce, type Block } from './block.ts';
import { applyTx, forkPoint, TxRejected, type BlockEntry } from './chain.ts';
import { seededRandom } from '../crypto/random.ts';
import { publicKeyFromSecret, sign as edSign } from '../crypto/ed25519.ts';
import { makeTx, type Tx } from './tx.ts';
import { INV_BYTES, MSG_HEADER_BYTES, type PowMessage, type PowWorld } from './world.ts';

type Ctx = NodeContext<PowMessage>;

/** Coinbase size estimate reserved in templates, bytes. */
const COINBASE_RESERVE = 128;
/** BIP 152 short transaction id length, bytes. */
const SHORT_ID_BYTES = 6;
/** BIP 152: a node selects at most 3 high-bandwidth peers. */
const HB_PEERS = 3;
/** A block request may be re-sent to another peer after this long without the block, µs. */
export const REQUEST_TIMEOUT_US = 60_000_000;
/** Peer indices tracked in `BlockEntry.heard` bitmasks; later peers use the node-local map. */
const HEARD_BITS = 32;

export class PowNode implements ProtocolNode<PowMessage> {
  tip: BlockEntry;
  /** Blocks asked for and not yet received, for hashes NOT in the shared tree (else `BlockEntry.asked`). */
  protected readonly requested = new Map<string, { peer: NodeId; atUs: number }>();
  /** Blocks whose parent this node lacks, by parent hash. */
  protected readonly orphans = new Map<string, { block: Block; from: NodeId }[]>();
  /** Full relay: this node's mempool (txid → tx). */
  readonly mempool = new Map<string, Tx>();
  /** Peers that asked this node for high-bandwidth compact blocks (BIP 152 sendcmpct(1)). */
  protected readonly hbPeers = new Set<NodeId>();
  /** Peers that announced a block this node does not hold yet (hash → peers), when not in `BlockEntry.heard`. */
  protected readonly announcedBy = new Map<string, NodeId[]>();
  protected mineTimer: TimerHandle | undefined;
  /** Compact target the pending mining timer was drawn for. */
  private mineBits = -1;
  private minerKey: Uint8Array | undefined;
  /** Blocks this node mined. */
  mined = 0;

  constructor(
    readonly id: NodeId,
    readonly world: PowWorld,
  ) {
    this.tip = world.store.genesis;
  }

  get share(): number {
    return this.world.options.hashShare[this.id];
  }

  onStart(ctx: Ctx): void {
    if (this.world.options.compactBlocks) {
      const peers = ctx.rng('cmpct').shuffle([...ctx.peers]).slice(0, HB_PEERS);
      for (const p of peers) ctx.send(p, { type: 'sendcmpct', size: MSG_HEADER_BYTES + 9, digest: this.id });
    }
    this.scheduleMining(ctx);
  }

  onCrash(): void {
    this.requested.clear();
    this.announcedBy.clear();
    this.orphans.clear();
    // The dense per-block slots are this node's volatile memory too.
    for (const e of this.world.store.all()) {
      if (e.asked) e.asked[this.id] = 0;
      if (e.heard) e.heard[this.id] = 0;
    }
    this.mineTimer = undefined;
  }

  onRecover(ctx: Ctx): void {
    this.scheduleMining(ctx);
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    if ((tag as { type?: string }).type === 'mine') {
      this.mineTimer = undefined;
      this.mineBlock(ctx);
    }
  }

  onMessage(ctx: Ctx, from: NodeId, msg: PowMessage): void {
    switch (msg.type) {
      case 'inv': {
        const e = this.world.store.get(msg.hash);
        if (e !== undefined && e.have[this.id] === 1) break;
        // Remember who already has it: we will not announce it back to them (Bitcoin Core's
        // per-peer known-inventory filter).
        this.noteAnnouncer(ctx, msg.hash, e, from);
        this.request(ctx, msg.hash, e, from);
        break;
      }
      case 'getdata': {
        const e = this.world.store.get(msg.hash);
        if (e && e.have[this.id]) ctx.send(from, relayMessages(e).block);
        break;
      }
      case 'block':
      case 'blocktxn':
        this.receiveBlock(ctx, from, msg.block);
        break;
      case 'sendcmpct':
        this.hbPeers.add(from);
        break;
      case 'cmpctblock':
        this.receiveCompact(ctx, from, msg.block);
        break;
      case 'getblocktxn': {
        const e = this.world.store.get(msg.hash);
        if (e && e.have[this.id]) ctx.send(from, { type: 'blocktxn', size: MSG_HEADER_BYTES + 32 + 3 + msg.missingBytes, digest: e.hash, block: e.block });
        break;
      }
      case 'txinv':
        if (!this.mempool.has(msg.txid) && !this.tip.state.txIndex.has(msg.txid)) ctx.send(from, { type: 'gettx', size: INV_BYTES, digest: msg.txid, txid: msg.txid });
        break;
      case 'gettx': {
        const tx = this.mempool.get(msg.txid);
        if (tx) ctx.send(from, { type: 'tx', size: MSG_HEADER_BYTES + tx.size, digest: tx.txid, tx });
        break;
      }
      case 'tx':
        this.acceptTx(ctx, msg.tx, from);
        break;
    }
  }

  /** True if this node has accepted block `hash`. */
  holds(hash: string): boolean {
    const e = this.world.store.get(hash);
    return e !== undefined && e.have[this.id] === 1;
  }

  /** Records that peer `from` announced block `hash` (`e`: its tree entry, if any) to this node. */
  protected noteAnnouncer(ctx: Ctx, hash: string, e: BlockEntry | undefined, from: NodeId): void {
    if (e !== undefined) {
      const i = ctx.peers.indexOf(from);
      if (i >= 0 && i < HEARD_BITS) {
        const heard = (e.heard ??= new Uint32Array(this.world.nodeCount));
        heard[this.id] |= 1 << i;
        return;
      }
    }
    const known = this.announcedBy.get(hash);
    if (known) known.push(from);
    else this.announcedBy.set(hash, [from]);
  }

  /**
   * Asks `peer` for block `hash` (`e`: its tree entry, if any) unless a request younger than
   * `REQUEST_TIMEOUT_US` is outstanding.
   */
  protected request(ctx: Ctx, hash: string, e: BlockEntry | undefined, peer: NodeId): void {
    if (!this.markRequested(ctx, hash, e, peer)) return;
    ctx.send(peer, e !== undefined ? relayMessages(e).getdata : { type: 'getdata', size: INV_BYTES, digest: hash, hash });
  }

  /** Records a request for `hash` from `peer`; false if a recent one is outstanding. */
  protected markRequested(ctx: Ctx, hash: string, e: BlockEntry | undefined, peer: NodeId): boolean {
    const now = ctx.now();
    if (e !== undefined) {
      const n = this.world.nodeCount;
      const asked = (e.asked ??= new Int32Array(n));
      const at = (e.askedAt ??= new Float64Array(n));
      if (asked[this.id] !== 0 && now - at[this.id] < REQUEST_TIMEOUT_US) return false;
      if (asked[this.id] !== 0) ctx.metrics.counter('pow.block.rerequested').inc();
      asked[this.id] = peer + 1;
      at[this.id] = now;
      return true;
    }
    const r = this.requested.get(hash);
    if (r !== undefined && now - r.atUs < REQUEST_TIMEOUT_US) return false;
    if (r !== undefined) ctx.metrics.counter('pow.block.rerequested').inc();
    this.requested.set(hash, { peer, atUs: now });
    return true;
  }

  // ---- transactions ------------------------------------------------------------------------

  /** A tx submitted by a local client (workload): validate, keep, relay. */
  submitTx(ctx: Ctx, tx: Tx): boolean {
    return this.acceptTx(ctx, tx, -1);
  }

  /** Mempool admission: the tx must be valid on top of the current tip (Alg. 1 checks). */
  protected acceptTx(ctx: Ctx, tx: Tx, from: NodeId): boolean {
    if (this.mempool.has(tx.txid)) return false;
    try {
      applyTx(this.tip.state.derive(), tx, { height: this.tip.height + 1, timeUs: ctx.now() }, this.world.store.sigs, this.world.store.params);
    } catch (e) {
      if (e instanceof TxRejected) {
        ctx.metrics.counter(`pow.tx.rejected.${e.reason}`).inc();
        return false;
      }
      throw e;
    }
    this.mempool.set(tx.txid, tx);
    ctx.broadcast({ type: 'txinv', size: INV_BYTES, digest: tx.txid, txid: tx.txid }, from);
    return true;
  }

  // ---- blocks ------------------------------------------------------------------------------

  protected receiveCompact(ctx: Ctx, from: NodeId, block: Block): void {
    const hash = block.hash;
    if (this.holds(hash)) return;
    // Rebuild from the mempool: count the txs (beyond the prefilled coinbase) this node lacks.
    let missing = 0;
    let missingBytes = 0;
    const pooled = this.world.options.txRelay === 'pooled';
    const now = ctx.now();
    for (let i = 1; i < block.txs.length; i++) {
      const tx = block.txs[i];
      const have = pooled ? (this.world.pool.get(tx.txid)?.availableUs ?? Infinity) <= now : this.mempool.has(tx.txid);
      if (!have) {
        missing++;
        missingBytes += tx.size;
      }
    }
    if (missing === 0) this.receiveBlock(ctx, from, block);
    else {
      ctx.metrics.counter('pow.cmpct.roundtrips').inc();
      // The block is on its way: do not also getdata it from peers that announce it meanwhile.
      this.markRequested(ctx, hash, this.world.store.get(hash), from);
      ctx.send(from, { type: 'getblocktxn', size: MSG_HEADER_BYTES + 32 + 3 * missing, digest: hash, hash, missing, missingBytes });
    }
  }

  /** Validates a received (or self-mined) block and adopts it (Alg. 1 / whitepaper §5 step 5–6). */
  receiveBlock(ctx: Ctx, from: NodeId, block: Block): void {
    const store = this.world.store;
    const body = store.checkBody(block);
    if (body.reason) return this.reject(ctx, body.reason);
    if (this.holds(body.hash)) return;
    const prev = body.prevHash;
    if (!this.holds(prev)) {
      // Parent unknown here: keep the block and fetch the parent from the same peer.
      let list = this.orphans.get(prev);
      if (!list) this.orphans.set(prev, (list = []));
      if (list.length < 16) list.push({ block, from });
      if (from >= 0) this.request(ctx, prev, store.get(prev), from);
      return;
    }
    let entry = store.get(body.hash);
    if (entry === undefined) {
      const res = store.accept(block, ctx.now());
      if (!res.ok) return this.reject(ctx, res.reason);
      entry = res.entry;
    }
    if (this.requested.size > 0) this.requested.delete(entry.hash);
    entry.have[this.id] = 1;
    this.world.noteArrival(entry, ctx.now());
    if (this.world.options.forkChoice.prefer(entry, this.tip)) this.setTip(ctx, entry);
    this.announce(ctx, entry, from);
    const waiting = this.orphans.get(entry.hash);
    if (waiting) {
      this.orphans.delete(entry.hash);
      for (const o of waiting) this.receiveBlock(ctx, o.from, o.block);
    }
  }

  protected reject(ctx: Ctx, reason: string): void {
    ctx.metrics.counter(`pow.block.rejected.${reason}`).inc();
    ctx.emit({ kind: 'block-rejected', reason });
  }

  /** Announces a block this node now holds to its peers (inv, or cmpctblock to HB peers). */
  protected announce(ctx: Ctx, entry: BlockEntry, from: NodeId): void {
    const peers = ctx.peers;
    let known: NodeId[] | undefined;
    if (this.announcedBy.size > 0) {
      known = this.announcedBy.get(entry.hash);
      if (known) this.announcedBy.delete(entry.hash);
    }
    const heard = entry.heard === undefined ? 0 : entry.heard[this.id];
    const compact = this.world.options.compactBlocks && this.hbPeers.size > 0;
    const msgs = relayMessages(entry);
    for (let i = 0; i < peers.length; i++) {
      const p = peers[i];
      if (p === from || (i < HEARD_BITS && (heard >>> i) & 1) || (known !== undefined && known.includes(p))) continue;
      if (compact && this.hbPeers.has(p)) ctx.send(p, msgs.cmpct);
      else ctx.send(p, msgs.inv);
    }
  }

  /** Switches the best tip; reports reorganisations to the checkers. */
  protected setTip(ctx: Ctx, next: BlockEntry): void {
    const old = this.tip;
    this.tip = next;
    if (next.parent !== old) {
      const fork = forkPoint(old, next);
      ctx.metrics.counter('pow.reorgs').inc();
      ctx.emit({ kind: 'reorg', oldTip: old, newTip: next, fork });
      if (this.world.options.txRelay === 'full') {
        // Return the disconnected blocks' txs to the mempool (they may be mined again).
        for (let x: BlockEntry = old; x !== fork; x = x.parent!) for (const tx of x.block.txs) if (tx.kind !== 'coinbase') this.mempool.set(tx.txid, tx);
      }
    }
    if (this.world.options.txRelay === 'full' && this.mempool.size > 0) {
      for (const tx of next.block.txs) this.mempool.delete(tx.txid);
    }
    ctx.emit({ kind: 'tip', entry: next });
    // Mining is memoryless: a pending discovery time stays valid when the tip changes (the block
    // found then extends whatever tip the miner has). Redraw only if the difficulty changed.
    if (this.mineTimer === undefined || this.world.store.expectedBits(next) !== this.mineBits) this.scheduleMining(ctx);
  }

  // ---- mining ------------------------------------------------------------------------------

  protected scheduleMining(ctx: Ctx): void {
    if (this.mineTimer) ctx.cancelTimer(this.mineTimer);
    this.mineTimer = undefined;
    const share = this.share;
    if (!(share > 0)) return;
    const stop = this.world.options.stopAfterBlocks;
    if (stop > 0 && this.world.blocksMined >= stop) return;
    this.mineBits = this.world.store.expectedBits(this.tip);
    const mean = this.world.meanBlockTimeUs(this.mineBits, share);
    this.mineTimer = ctx.setTimer(ctx.rng('mining').exponential(mean), { type: 'mine' });
  }

  /** This miner's payout key (Ed25519, from its seeded key stream). */
  protected payoutKey(ctx: Ctx): Uint8Array {
    if (!this.minerKey) this.minerKey = publicKeyFromSecret(seededRandom(ctx.seedFor('miner-key'), 'miner-key')(32));
    return this.minerKey;
  }

  /** Candidate txs for a block template, best fee rate first. */
  protected candidates(ctx: Ctx, parent: BlockEntry): Tx[] {
    const out: { tx: Tx; rate: number }[] = [];
    const idx = parent.state.txIndex;
    if (this.world.options.txRelay === 'pooled') {
      const now = ctx.now();
      for (const p of this.world.pool.values()) if (p.availableUs <= now && !idx.has(p.tx.txid)) out.push({ tx: p.tx, rate: p.feeRate });
    } else {
      for (const tx of this.mempool.values()) if (!idx.has(tx.txid)) out.push({ tx, rate: (this.world.fees.get(tx.txid) ?? 0) / tx.size });
    }
    out.sort((a, b) => b.rate - a.rate || (a.tx.txid < b.tx.txid ? -1 : a.tx.txid > b.tx.txid ? 1 : 0));
    return out.map((c) => c.tx);
  }

  /** Header timestamp (s) of a block this node builds on `parent`: its clock, above the parent's. */
  protected blockTime(ctx: Ctx, parent: BlockEntry): number {
    return Math.max(Math.floor(ctx.now() / 1_000_000), parent.time + 1);
  }

  /** Builds a block on `parent` from `txs` (Alg. 1: invalid txs are dropped), with a real nonce. */
  protected buildBlock(ctx: Ctx, parent: BlockEntry, txs: Iterable<Tx>, extra: Tx[] = []): Block {
    const store = this.world.store;
    const height = parent.height + 1;
    const state = parent.state.derive();
    const time = this.blockTime(ctx, parent);
    const tctx = { height, timeUs: time * 1_000_000 };
    const chosen: Tx[] = [];
    let fees = 0;
    let room = store.params.maxBlockBytes - 80 - 5 - COINBASE_RESERVE;
    for (const tx of [...extra, ...txs]) {
      if (tx.size > room) continue;
      try {
        fees += applyTx(state, tx, tctx, store.sigs, store.params);
      } catch (e) {
        if (e instanceof TxRejected) continue;
        throw e;
      }
      chosen.push(tx);
      room -= tx.size;
    }
    if (this.world.options.fillerBytes > 0) {
      const filler = makeTx({ kind: 'filler', coinbase: { height, miner: this.id }, fillerBytes: Math.min(this.world.options.fillerBytes, room) });
      chosen.push(filler);
    }
    const coinbase = makeTx({ kind: 'coinbase', coinbase: { height, miner: this.id }, outputs: fees > 0 ? [{ value: fees, owner: this.payoutKey(ctx) }] : [] });
    const all = [coinbase, ...chosen];
    return mineNonce({ version: 1, prevHash: parent.hash, merkleRoot: computeRoot(all), time, bits: store.expectedBits(parent) }, all);
  }

  /** The mining timer fired: this node found a block on its tip. */
  protected mineBlock(ctx: Ctx): void {
    const stop = this.world.options.stopAfterBlocks;
    if (stop > 0 && this.world.blocksMined >= stop) return;
    const block = this.buildBlock(ctx, this.tip, this.candidates(ctx, this.tip));
    this.publishMined(ctx, block);
    if (this.mineTimer === undefined) this.scheduleMining(ctx);
  }

  protected publishMined(ctx: Ctx, block: Block): void {
    this.mined++;
    this.world.blocksMined++;
    this.world.minedBy.set(block.hash, this.id);
    ctx.metrics.counter('pow.blocks.mined').inc();
    this.receiveBlock(ctx, -1, block);
  }
}

interface RelayMessages {
  inv: PowMessage;
  getdata: PowMessage;
  block: PowMessage;
  cmpct: PowMessage;
}

/**
 * The relay messages of a block, built once and shared by every sender (messages are immutable;
 * sharing saves one allocation per send on 10,000-node runs).
 */
function relayMessages(e: BlockEntry): RelayMessages {
  let m = e.relay as RelayMessages | undefined;
  if (m === undefined) {
    const key = e.hash;
    const cb = e.block.txs[0];
    // BIP 152 cmpctblock: header 80 + nonce 8 + short ids (6 bytes each) + prefilled coinbase.
    const cmpctSize = MSG_HEADER_BYTES + 80 + 8 + 3 + SHORT_ID_BYTES * (e.block.txs.length - 1) + 3 + cb.size;
    m = {
      inv: { type: 'inv', size: INV_BYTES, digest: key, hash: key },
      getdata: { type: 'getdata', size: INV_BYTES, digest: key, hash: key },
      block: { type: 'block', size: MSG_HEADER_BYTES + e.block.size, digest: key, block: e.block },
      cmpct: { type: 'cmpctblock', size: cmpctSize, digest: key, block: e.block },
    };
    e.relay = m;
  }
  return m;
}
