/**
 * The honest Nakamoto-consensus node, for any chain that implements `Chain` (chain.ts): keeps a
 * mempool, validates and relays transactions and blocks, mines on its best tip, and switches to
 * a received chain the fork-choice rule prefers (Bitcoin whitepaper §§5–6; seed 000 Alg. 1).
 *
 * Relay (Bitcoin P2P protocol): a node announces a new block with `inv`; a peer that lacks it
 * asks with `getdata` and receives the `block` (its real byte size crosses the bandwidth
 * model). With `compactBlocks`, BIP 152 high-bandwidth mode: each node asks up to 3 peers
 * (`sendcmpct(1)`) to push `cmpctblock` (header + 6-byte short ids + prefilled coinbase) right
 * away; the receiver rebuilds the block from its mempool (`CompactReconstruction`) and fetches
 * missing txs with `getblocktxn`/`blocktxn` (one more round trip). Other peers still get `inv`.
 * In low-bandwidth mode (`compactMode`) every BIP 152 node announces support to its peers with
 * `sendcmpct(0)`; blocks are announced with `inv`, and a node asks a peer that announced support
 * with getdata(MSG_CMPCT_BLOCK) and gets the `cmpctblock`. A node that does not speak BIP 152
 * (`compactSupport`) sends no sendcmpct and ignores the ones it receives, so its peers fall back
 * to full blocks with it — negotiation, not a special case.
 *
 * Orphans: a block whose parent the node does not hold is kept (at most 16 per missing parent)
 * and the first missing ancestor — the parent, or, when the parent is itself an orphan waiting
 * here, the block its orphan chain is missing — is requested from the same peer; once the parent is adopted the orphans are
 * processed in arrival order. A partitioned or lagging node thus fetches a whole branch, one
 * getdata per block, as soon as it hears of its tip.
 *
 * Transactions: in `full` relay each tx is gossiped with txinv/gettx/tx and every node keeps its
 * own mempool; in `pooled` relay (BlockSim's modelled propagation, for thousands of nodes) a tx
 * reaches every mempool `pooledDelayUs` after submission and only blocks are gossiped.
 *
 * Relay bookkeeping is node-local — which peers announced a block to this node (so it does not
 * announce it back: Bitcoin Core's per-peer known-inventory filter) and which peer it asked — but
 * for blocks in the shared tree it is stored densely in the `BlockEntry` (`heard`, `asked`,
 * `askedAt`, indexed by node id) instead of in per-node maps: one lookup per message, and the
 * slots of all nodes for a hot block sit together in memory. A request older than
 * `requestTimeoutUs` may be re-sent to another peer that announces the block (or to the peer
 * that sent a child), so a getdata lost to a partition, loss or a crashed peer does not stall the
 * node forever (Bitcoin Core re-requests stalled blocks from other peers too).
 *
 * Mining in virtual time: a miner with hash share s finds the next block after an exponential
 * time with mean `blockInterval · work(difficulty)/work(genesis) / s`. Discovery is memoryless,
 * so a pending discovery time stays valid when the tip changes (the block found then extends
 * whatever tip the miner has); the timer is redrawn only when the difficulty of the next block
 * changes. When it fires, the node assembles a block (`Chain.assemble`: fee-rate order, invalid
 * txs dropped, a real nonce search) and announces it.
 *
 * Extension points for adversaries (separate subclasses, never flags here): `share`,
 * `scheduleMining`, `mineBlock`, `setTip`, `blockTime`, `buildBlock`, `announce`, `onStart`.
 */
import type { NodeContext, NodeId, ProtocolNode, TimerHandle } from '../../sim/types.ts';
import type { ChainBlock, ChainTx } from './chain.ts';
import { INV_BYTES, MSG_HEADER_BYTES, relayMessages, type RelayMessage } from './messages.ts';
import { forkPoint, type BlockEntry } from './tree.ts';
import { FROM_MEMPOOL, type CompactReconstruction, type NakamotoWorld } from './world.ts';

export type RelayContext<B, T> = NodeContext<RelayMessage<B, T>>;

/** BIP 152: a node selects at most 3 high-bandwidth peers. */
const HB_PEERS = 3;
/** Peer indices tracked in `BlockEntry.heard` bitmasks; later peers use the node-local map. */
const HEARD_BITS = 32;
/** Orphans kept per missing parent (more are dropped; their sender will announce them again). */
const MAX_ORPHANS_PER_PARENT = 16;

/** Metric names of one protocol (`<name>.block.rejected.<reason>`, …). */
interface MetricNames {
  rerequested: string;
  roundtrips: string;
  reorgs: string;
  mined: string;
  blockRejected: string;
  txRejected: string;
}
const metricNameCache = new Map<string, MetricNames>();
function metricNames(protocol: string): MetricNames {
  let m = metricNameCache.get(protocol);
  if (m === undefined) {
    m = {
      rerequested: `${protocol}.block.rerequested`,
      roundtrips: `${protocol}.cmpct.roundtrips`,
      reorgs: `${protocol}.reorgs`,
      mined: `${protocol}.blocks.mined`,
      blockRejected: `${protocol}.block.rejected.`,
      txRejected: `${protocol}.tx.rejected.`,
    };
    metricNameCache.set(protocol, m);
  }
  return m;
}

export class NakamotoNode<B extends ChainBlock<T>, T extends ChainTx, S> implements ProtocolNode<RelayMessage<B, T>> {
  tip: BlockEntry<B, S>;
  /** Blocks asked for and not yet received, for hashes NOT in the shared tree (else `BlockEntry.asked`). */
  protected readonly requested = new Map<string, { peer: NodeId; atUs: number }>();
  /** Blocks whose parent this node lacks, by parent hash. */
  protected readonly orphans = new Map<string, { block: B; from: NodeId }[]>();
  /** Parent hash of every block waiting in `orphans`, by the block's claimed hash. */
  protected readonly orphanParent = new Map<string, string>();
  /** Full relay: this node's mempool (txid → tx). */
  readonly mempool = new Map<string, T>();
  /** Peers that asked this node for high-bandwidth compact blocks (BIP 152 sendcmpct(1)). */
  protected readonly hbPeers = new Set<NodeId>();
  /** Peers that announced BIP 152 support (sendcmpct(0), low-bandwidth mode). */
  protected readonly cmpctPeers = new Set<NodeId>();
  /** Peers that announced a block this node does not hold yet (hash → peers), when not in `BlockEntry.heard`. */
  protected readonly announcedBy = new Map<string, NodeId[]>();
  protected mineTimer: TimerHandle | undefined;
  /** Difficulty the pending mining timer was drawn for. */
  private mineDifficulty = -1;
  private readonly metricNames: MetricNames;
  private readonly reconstruction: CompactReconstruction;
  /** Blocks this node mined. */
  mined = 0;

  constructor(
    readonly id: NodeId,
    readonly world: NakamotoWorld<B, T, S>,
  ) {
    this.tip = world.store.genesis;
    this.metricNames = metricNames(world.chain.name);
    this.reconstruction = world.options.compactReconstruction ?? FROM_MEMPOOL;
  }

  /** This node's hash share (fraction of the network's hash power it mines with now). */
  get share(): number {
    return this.world.options.hashShare[this.id];
  }

  /** True if this node speaks BIP 152 (compact blocks on, and this node among `compactSupport`). */
  get speaksCompact(): boolean {
    const o = this.world.options;
    return o.compactBlocks && (o.compactSupport === undefined || o.compactSupport[this.id] === 1);
  }

  onStart(ctx: RelayContext<B, T>): void {
    if (this.speaksCompact) {
      if (this.world.options.compactMode === 'low-bandwidth') {
        for (const p of ctx.peers) ctx.send(p, { type: 'sendcmpct', size: MSG_HEADER_BYTES + 9, digest: this.id, highBandwidth: false });
      } else {
        const peers = ctx.rng('cmpct').shuffle([...ctx.peers]).slice(0, HB_PEERS);
        for (const p of peers) ctx.send(p, { type: 'sendcmpct', size: MSG_HEADER_BYTES + 9, digest: this.id, highBandwidth: true });
      }
    }
    this.scheduleMining(ctx);
  }

  onCrash(): void {
    this.requested.clear();
    this.announcedBy.clear();
    this.orphans.clear();
    this.orphanParent.clear();
    // The dense per-block slots are this node's volatile memory too.
    for (const e of this.world.store.all()) {
      if (e.asked) e.asked[this.id] = 0;
      if (e.heard) e.heard[this.id] = 0;
    }
    this.mineTimer = undefined;
  }

  onRecover(ctx: RelayContext<B, T>): void {
    this.scheduleMining(ctx);
  }

  onTimer(ctx: RelayContext<B, T>, tag: unknown): void {
    if ((tag as { type?: string }).type === 'mine') {
      this.mineTimer = undefined;
      this.mineBlock(ctx);
    }
  }

  onMessage(ctx: RelayContext<B, T>, from: NodeId, msg: RelayMessage<B, T>): void {
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
        if (e && e.have[this.id]) {
          const msgs = relayMessages(e, this.world.chain);
          ctx.send(from, msg.compact && this.speaksCompact ? msgs.cmpct : msgs.block);
        }
        break;
      }
      case 'block':
      case 'blocktxn':
        this.receiveBlock(ctx, from, msg.block);
        break;
      case 'sendcmpct':
        // A node that does not speak BIP 152 ignores the unknown message.
        if (!this.speaksCompact) break;
        if (msg.highBandwidth) this.hbPeers.add(from);
        else this.cmpctPeers.add(from);
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
        if (!this.mempool.has(msg.txid) && this.world.chain.txHeight(this.tip.state, msg.txid) === undefined) ctx.send(from, { type: 'gettx', size: INV_BYTES, digest: msg.txid, txid: msg.txid });
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
  protected noteAnnouncer(ctx: RelayContext<B, T>, hash: string, e: BlockEntry<B, S> | undefined, from: NodeId): void {
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
   * `requestTimeoutUs` is outstanding.
   */
  protected request(ctx: RelayContext<B, T>, hash: string, e: BlockEntry<B, S> | undefined, peer: NodeId): void {
    if (!this.markRequested(ctx, hash, e, peer)) return;
    // Low-bandwidth BIP 152: ask a peer that announced support for the compact block.
    const compact = this.cmpctPeers.size > 0 && this.cmpctPeers.has(peer);
    if (e !== undefined) {
      const msgs = relayMessages(e, this.world.chain);
      ctx.send(peer, compact ? msgs.getcmpct : msgs.getdata);
    } else ctx.send(peer, { type: 'getdata', size: INV_BYTES, digest: hash, hash, ...(compact ? { compact: true } : {}) });
  }

  /** Records a request for `hash` from `peer`; false if a recent one is outstanding. */
  protected markRequested(ctx: RelayContext<B, T>, hash: string, e: BlockEntry<B, S> | undefined, peer: NodeId): boolean {
    const now = ctx.now();
    const timeout = this.world.options.requestTimeoutUs;
    if (e !== undefined) {
      const n = this.world.nodeCount;
      const asked = (e.asked ??= new Int32Array(n));
      const at = (e.askedAt ??= new Float64Array(n));
      if (asked[this.id] !== 0 && now - at[this.id] < timeout) return false;
      if (asked[this.id] !== 0) ctx.metrics.counter(this.metricNames.rerequested).inc();
      asked[this.id] = peer + 1;
      at[this.id] = now;
      return true;
    }
    const r = this.requested.get(hash);
    if (r !== undefined && now - r.atUs < timeout) return false;
    if (r !== undefined) ctx.metrics.counter(this.metricNames.rerequested).inc();
    this.requested.set(hash, { peer, atUs: now });
    return true;
  }

  // ---- transactions ------------------------------------------------------------------------

  /** A tx submitted by a local client (workload): validate, keep, relay. */
  submitTx(ctx: RelayContext<B, T>, tx: T): boolean {
    return this.acceptTx(ctx, tx, -1);
  }

  /** Mempool admission: the tx must be valid on top of the current tip (`Chain.checkTx`). */
  protected acceptTx(ctx: RelayContext<B, T>, tx: T, from: NodeId): boolean {
    if (this.mempool.has(tx.txid)) return false;
    const reason = this.world.chain.checkTx(this.tip, tx, ctx.now());
    const cpu = this.world.options.cpu;
    if (cpu !== undefined) ctx.charge(cpu.txUs(tx));
    if (reason !== null) {
      ctx.metrics.counter(this.metricNames.txRejected + reason).inc();
      return false;
    }
    this.mempool.set(tx.txid, tx);
    ctx.broadcast({ type: 'txinv', size: INV_BYTES, digest: tx.txid, txid: tx.txid }, from);
    return true;
  }

  /** True if this node can rebuild `tx` from what it holds now (its mempool, or the pooled-relay pool). */
  protected holdsTx(nowUs: number, tx: T): boolean {
    if (this.world.options.txRelay === 'pooled') return (this.world.pool.get(tx.txid)?.availableUs ?? Infinity) <= nowUs;
    return this.mempool.has(tx.txid);
  }

  // ---- blocks ------------------------------------------------------------------------------

  protected receiveCompact(ctx: RelayContext<B, T>, from: NodeId, block: B): void {
    const hash = block.hash;
    if (this.holds(hash)) return;
    // Rebuild from the mempool: count the txs (beyond the prefilled coinbase) this node lacks.
    const now = ctx.now();
    const missing = this.reconstruction.missing(ctx, block, this.world.chain.coinbaseTxs, (tx: T) => this.holdsTx(now, tx));
    if (missing.count === 0) this.receiveBlock(ctx, from, block);
    else {
      ctx.metrics.counter(this.metricNames.roundtrips).inc();
      // The block is on its way: do not also getdata it from peers that announce it meanwhile.
      this.markRequested(ctx, hash, this.world.store.get(hash), from);
      ctx.send(from, { type: 'getblocktxn', size: MSG_HEADER_BYTES + 32 + 3 * missing.count, digest: hash, hash, missing: missing.count, missingBytes: missing.bytes });
    }
  }

  /** Validates a received (or self-mined) block and adopts it (Alg. 1 / whitepaper §5 steps 5–6). */
  receiveBlock(ctx: RelayContext<B, T>, from: NodeId, block: B): void {
    const store = this.world.store;
    const body = store.checkBody(block);
    if (body.reason) {
      this.chargeValidation(ctx, block);
      return this.reject(ctx, body.reason);
    }
    if (this.holds(body.hash)) return;
    const prev = body.parentHash;
    if (!this.holds(prev)) {
      // Parent unknown here: keep the block and fetch the missing ancestor from the same peer.
      let list = this.orphans.get(prev);
      if (!list) this.orphans.set(prev, (list = []));
      if (list.length < MAX_ORPHANS_PER_PARENT && !this.orphanParent.has(body.hash)) {
        list.push({ block, from });
        this.orphanParent.set(body.hash, prev);
      }
      // The first block of the branch this node has not received: the parent may itself be an
      // orphan waiting here (received, its own parent lost), and asking for it again would be
      // useless — and, while that request is younger than the time-out, silently skipped, so a
      // node that lost one block would never catch up while new blocks keep arriving.
      let missing = prev;
      for (let p = this.orphanParent.get(missing); p !== undefined; p = this.orphanParent.get(missing)) missing = p;
      if (from >= 0) this.request(ctx, missing, store.get(missing), from);
      return;
    }
    let entry = store.get(body.hash);
    if (entry === undefined) {
      const res = store.accept(block, ctx.now());
      if (!res.ok) {
        this.chargeValidation(ctx, block);
        return this.reject(ctx, res.reason);
      }
      entry = res.entry;
    }
    this.chargeValidation(ctx, block);
    if (this.requested.size > 0) this.requested.delete(entry.hash);
    entry.have[this.id] = 1;
    this.world.noteArrival(entry, ctx.now());
    if (this.world.options.forkChoice.prefer(entry, this.tip)) this.setTip(ctx, entry);
    this.announce(ctx, entry, from);
    const waiting = this.orphans.get(entry.hash);
    if (waiting) {
      this.orphans.delete(entry.hash);
      for (const o of waiting) {
        this.orphanParent.delete(o.block.hash);
        this.receiveBlock(ctx, o.from, o.block);
      }
    }
  }

  /** Charges this node's CPU for validating `block` (the outcome may come from the shared tree; the time is this node's). */
  private chargeValidation(ctx: RelayContext<B, T>, block: B): void {
    const cpu = this.world.options.cpu;
    if (cpu !== undefined) ctx.charge(cpu.blockUs(block));
  }

  protected reject(ctx: RelayContext<B, T>, reason: string): void {
    ctx.metrics.counter(this.metricNames.blockRejected + reason).inc();
    ctx.emit({ kind: 'block-rejected', reason });
  }

  /** Announces a block this node now holds to its peers (inv, or cmpctblock to HB peers). */
  protected announce(ctx: RelayContext<B, T>, entry: BlockEntry<B, S>, from: NodeId): void {
    const peers = ctx.peers;
    let known: NodeId[] | undefined;
    if (this.announcedBy.size > 0) {
      known = this.announcedBy.get(entry.hash);
      if (known) this.announcedBy.delete(entry.hash);
    }
    const heard = entry.heard === undefined ? 0 : entry.heard[this.id];
    const compact = this.world.options.compactBlocks && this.hbPeers.size > 0;
    const msgs = relayMessages(entry, this.world.chain);
    for (let i = 0; i < peers.length; i++) {
      const p = peers[i];
      if (p === from || (i < HEARD_BITS && (heard >>> i) & 1) || (known !== undefined && known.includes(p))) continue;
      if (compact && this.hbPeers.has(p)) ctx.send(p, msgs.cmpct);
      else ctx.send(p, msgs.inv);
    }
  }

  /** Switches the best tip; reports reorganisations to the checkers. */
  protected setTip(ctx: RelayContext<B, T>, next: BlockEntry<B, S>): void {
    const old = this.tip;
    this.tip = next;
    const fullRelay = this.world.options.txRelay === 'full';
    if (next.parent !== old) {
      const fork = forkPoint(old, next);
      ctx.metrics.counter(this.metricNames.reorgs).inc();
      ctx.emit({ kind: 'reorg', oldTip: old, newTip: next, fork });
      if (fullRelay) {
        // Return the disconnected blocks' txs to the mempool (they may be mined again).
        const first = this.world.chain.coinbaseTxs;
        for (let x: BlockEntry<B, S> = old; x !== fork; x = x.parent!) {
          const txs = x.block.txs;
          for (let i = first; i < txs.length; i++) this.mempool.set(txs[i].txid, txs[i]);
        }
      }
    }
    if (fullRelay && this.mempool.size > 0) {
      for (const tx of next.block.txs) this.mempool.delete(tx.txid);
    }
    ctx.emit({ kind: 'tip', entry: next });
    // Mining is memoryless: a pending discovery time stays valid when the tip changes (the block
    // found then extends whatever tip the miner has). Redraw only if the difficulty changed.
    if (this.mineTimer === undefined || this.world.chain.childDifficulty(next) !== this.mineDifficulty) this.scheduleMining(ctx);
  }

  // ---- mining ------------------------------------------------------------------------------

  protected scheduleMining(ctx: RelayContext<B, T>): void {
    if (this.mineTimer) ctx.cancelTimer(this.mineTimer);
    this.mineTimer = undefined;
    const share = this.share;
    if (!(share > 0)) return;
    const stop = this.world.options.stopAfterBlocks;
    if (stop > 0 && this.world.blocksMined >= stop) return;
    this.mineDifficulty = this.world.chain.childDifficulty(this.tip);
    const mean = this.world.meanBlockTimeUs(this.mineDifficulty, share);
    this.mineTimer = ctx.setTimer(ctx.rng('mining').exponential(mean), { type: 'mine' });
  }

  /** Candidate txs for a block template on `parent`, best fee rate first (ties by txid). */
  protected candidates(ctx: RelayContext<B, T>, parent: BlockEntry<B, S>): T[] {
    const out: { tx: T; rate: number }[] = [];
    const chain = this.world.chain;
    const state = parent.state;
    if (this.world.options.txRelay === 'pooled') {
      const now = ctx.now();
      for (const p of this.world.pool.values()) if (p.availableUs <= now && chain.txHeight(state, p.tx.txid) === undefined) out.push({ tx: p.tx, rate: p.feeRate });
    } else {
      for (const tx of this.mempool.values()) if (chain.txHeight(state, tx.txid) === undefined) out.push({ tx, rate: (this.world.fees.get(tx.txid) ?? 0) / tx.size });
    }
    out.sort((a, b) => b.rate - a.rate || (a.tx.txid < b.tx.txid ? -1 : a.tx.txid > b.tx.txid ? 1 : 0));
    return out.map((c) => c.tx);
  }

  /** Header timestamp (s) of a block this node builds on `parent`: its clock, above the parent's. */
  protected blockTime(ctx: RelayContext<B, T>, parent: BlockEntry<B, S>): number {
    return Math.max(Math.floor(ctx.now() / 1_000_000), this.world.chain.timestampSec(parent.block) + 1);
  }

  /** Builds a block on `parent` from `txs` (invalid ones dropped), `extra` first, with a real nonce. */
  protected buildBlock(ctx: RelayContext<B, T>, parent: BlockEntry<B, S>, txs: Iterable<T>, extra: T[] = []): B {
    return this.world.chain.assemble(ctx, { parent, txs, extra, timeSec: this.blockTime(ctx, parent), miner: this.id });
  }

  /** The mining timer fired: this node found a block on its tip. */
  protected mineBlock(ctx: RelayContext<B, T>): void {
    const stop = this.world.options.stopAfterBlocks;
    if (stop > 0 && this.world.blocksMined >= stop) return;
    const block = this.buildBlock(ctx, this.tip, this.candidates(ctx, this.tip));
    this.publishMined(ctx, block);
    if (this.mineTimer === undefined) this.scheduleMining(ctx);
  }

  /** Counts a freshly mined block and adopts and announces it like a received one. */
  protected publishMined(ctx: RelayContext<B, T>, block: B): void {
    this.mined++;
    this.world.blocksMined++;
    this.world.minedBy.set(block.hash, this.id);
    ctx.metrics.counter(this.metricNames.mined).inc();
    this.receiveBlock(ctx, -1, block);
  }
}
