/**
 * The shared Nakamoto machinery (protocols/nakamoto/) on its own, with the tiny chain of
 * tiny-chain.ts: relay, compact blocks, orphans, request time-outs, fork choice, shared outcomes,
 * per-node CPU charging, the mining timer and the private-chain double spender.
 */
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../sim/types.ts';
import { DoubleSpendAttacker, installDoubleSpend } from '../../protocols/nakamoto/double-spend.ts';
import { MOST_WORK, type ForkChoice } from '../../protocols/nakamoto/fork-choice.ts';
import { NakamotoNode } from '../../protocols/nakamoto/node.ts';
import type { BlockEntry } from '../../protocols/nakamoto/tree.ts';
import type { CompactReconstruction } from '../../protocols/nakamoto/world.ts';
import { GENESIS, TinyChain, tinyBlock, tinyRun, tinyTx, txRootOf, type TinyBlock, type TinyContext, type TinyEntry, type TinyMessage, type TinyState, type TinyTx, type TinyWorld } from './tiny-chain.ts';

type Node = NakamotoNode<TinyBlock, TinyTx, TinyState>;

/** An honest node that counts what it receives, by message type (shared tally). */
class CountingNode extends NakamotoNode<TinyBlock, TinyTx, TinyState> {
  constructor(
    id: NodeId,
    world: TinyWorld,
    readonly tally: Map<string, number>,
  ) {
    super(id, world);
  }
  override onMessage(ctx: TinyContext, from: NodeId, msg: TinyMessage): void {
    this.tally.set(msg.type, (this.tally.get(msg.type) ?? 0) + 1);
    super.onMessage(ctx, from, msg);
  }
}

/** Holds blocks and announces them, but never answers a getdata (a stalled or malicious peer). */
class SilentNode extends NakamotoNode<TinyBlock, TinyTx, TinyState> {
  override onMessage(ctx: TinyContext, from: NodeId, msg: TinyMessage): void {
    if (msg.type !== 'getdata') super.onMessage(ctx, from, msg);
  }
}

/** Holds blocks without announcing them (so they only move when someone asks). */
class QuietNode extends NakamotoNode<TinyBlock, TinyTx, TinyState> {
  protected override announce(): void {}
}

const honest = (id: NodeId, world: TinyWorld): Node => new NakamotoNode(id, world);
const blockAt = (parent: { hash: string; time: number }, opts: { difficulty?: number; txs?: TinyTx[]; miner?: number; powOk?: boolean } = {}) =>
  tinyBlock({ parent: parent.hash, difficulty: opts.difficulty ?? 1000, time: parent.time + 600, miner: opts.miner, txs: opts.txs, powOk: opts.powOk });
/** A branch of `n` blocks on `from`, each of `difficulty`. */
function branch(from: TinyBlock, n: number, difficulty: number, miner = 0): TinyBlock[] {
  const out: TinyBlock[] = [];
  let p = from;
  for (let i = 0; i < n; i++) out.push((p = blockAt(p, { difficulty, miner })));
  return out;
}
const LINE = (n: number): [number, number][] => Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]);

describe('nakamoto relay', () => {
  it('inv → getdata → block carries a new block hop by hop; nobody is told twice or asked twice', () => {
    const tally = new Map<string, number>();
    const share = new Float64Array(5);
    share[0] = 1;
    const { sim, world, nodes, chain } = tinyRun({ nodes: 5, edges: LINE(5), options: { hashShare: share, stopAfterBlocks: 1 }, endTimeUs: 100 * 3600e6 }, (id, w) => new CountingNode(id, w, tally));
    sim.run();
    const mined = [...world.minedBy.keys()];
    expect(mined).toHaveLength(1);
    for (const n of nodes) expect(n.tip.hash).toBe(mined[0]);
    // Four hops: one inv, one getdata and one block each (no inv back to the sender).
    expect(Object.fromEntries(tally)).toEqual({ inv: 4, getdata: 4, block: 4 });
    // Validated once for all five nodes.
    expect(chain.connects.get(mined[0])).toBe(1);
    expect(world.store.get(mined[0])!.holders).toBe(5);
  });

  it('BIP 152 compact blocks: a receiver holding every tx rebuilds at once; one missing txs fetches them with getblocktxn', () => {
    for (const preload of [true, false]) {
      const tally = new Map<string, number>();
      const { sim, world, nodes } = tinyRun({ nodes: 2, options: { compactBlocks: true } }, (id, w) => new CountingNode(id, w, tally));
      const txs = [tinyTx(), tinyTx(), tinyTx()];
      sim.at(1e6, 'test/load', () => {
        for (const tx of txs) nodes[0].mempool.set(tx.txid, tx);
        if (preload) for (const tx of txs) nodes[1].mempool.set(tx.txid, tx);
      });
      sim.at(2e6, 'test/mine', () => {
        const ctx = sim.context(0);
        nodes[0].receiveBlock(ctx, -1, world.chain.assemble(ctx, { parent: nodes[0].tip, txs, extra: [], timeSec: 2, miner: 0 }));
      });
      const result = sim.run();
      expect(nodes[1].tip.height).toBe(1);
      expect(nodes[1].tip.block.txs).toHaveLength(3);
      expect(tally.get('cmpctblock')).toBe(1);
      expect(tally.get('getblocktxn') ?? 0).toBe(preload ? 0 : 1);
      expect(tally.get('blocktxn') ?? 0).toBe(preload ? 0 : 1);
      expect(tally.get('getdata') ?? 0).toBe(0);
      expect(result.metrics.counters['tiny.cmpct.roundtrips'] ?? 0).toBe(preload ? 0 : 1);
    }
  });

  it('compact-block reconstruction is a pluggable model: a model that always fails makes every receipt a round trip for all txs', () => {
    const asked: number[] = [];
    const alwaysFails: CompactReconstruction = {
      missing(_ctx, block, first) {
        let bytes = 0;
        for (let i = first; i < block.txs.length; i++) bytes += block.txs[i].size;
        return { count: block.txs.length - first, bytes };
      },
    };
    const { sim, world, nodes } = tinyRun({ nodes: 2, options: { compactBlocks: true, compactReconstruction: alwaysFails } }, (id, w) => {
      const n = new NakamotoNode(id, w);
      const onMessage = n.onMessage.bind(n);
      n.onMessage = (ctx, from, msg) => {
        if (msg.type === 'getblocktxn') asked.push(msg.missingBytes);
        onMessage(ctx, from, msg);
      };
      return n;
    });
    const txs = [tinyTx({ size: 300 }), tinyTx({ size: 400 })];
    sim.at(1e6, 'test/mine', () => {
      for (const tx of txs) nodes[1].mempool.set(tx.txid, tx); // held, yet the model fails
      const ctx = sim.context(0);
      nodes[0].receiveBlock(ctx, -1, world.chain.assemble(ctx, { parent: nodes[0].tip, txs, extra: [], timeSec: 1, miner: 0 }));
    });
    sim.run();
    expect(asked).toEqual([700]);
    expect(nodes[1].tip.height).toBe(1);
  });
});

describe('nakamoto orphans and request time-outs', () => {
  it('a child that arrives before its parent is kept, the parent is fetched from the same peer, and both are adopted', () => {
    const [b1, b2] = branch(GENESIS, 2, 1000);
    const { sim, nodes } = tinyRun({ nodes: 2 }, (id, w) => (id === 0 ? new QuietNode(id, w) : new NakamotoNode(id, w)));
    sim.at(1e6, 'test/holder', () => {
      nodes[0].receiveBlock(sim.context(0), -1, b1);
      nodes[0].receiveBlock(sim.context(0), -1, b2);
    });
    let heldBefore = true;
    sim.at(2e6, 'test/child-first', () => {
      nodes[1].receiveBlock(sim.context(1), 0, b2);
      heldBefore = nodes[1].holds(b2.hash);
    });
    sim.run();
    expect(heldBefore).toBe(false); // kept as an orphan, not adopted without its parent
    expect(nodes[1].holds(b1.hash)).toBe(true);
    expect(nodes[1].tip.hash).toBe(b2.hash);
  });

  it('a getdata a peer never answers is re-sent to another peer once requestTimeoutUs has passed (and not before)', () => {
    // 2 is linked to 0 (announces, never answers) and to 1 (honest, hears of the block later).
    const [b1, b2] = branch(GENESIS, 2, 1000);
    const run = (timeoutUs: number) => {
      const { sim, nodes } = tinyRun({ nodes: 3, edges: [[0, 2], [1, 2]], options: { requestTimeoutUs: timeoutUs } }, (id, w) => (id === 0 ? new SilentNode(id, w) : new NakamotoNode(id, w)));
      sim.at(1e6, 'test/silent-announces', () => nodes[0].receiveBlock(sim.context(0), -1, b1));
      sim.at(30e6, 'test/honest-has-it', () => nodes[1].receiveBlock(sim.context(1), -1, b1));
      const at80s = { held: true };
      sim.at(80e6, 'test/look', () => void (at80s.held = nodes[2].holds(b1.hash)));
      // A child announced by the honest peer at 90 s: the orphan path asks for b1 again.
      sim.at(90e6, 'test/child', () => nodes[1].receiveBlock(sim.context(1), -1, b2));
      const result = sim.run();
      return { held80: at80s.held, tip: nodes[2].tip.hash, rerequested: result.metrics.counters['tiny.block.rerequested'] ?? 0 };
    };
    const healed = run(60e6);
    expect(healed.held80).toBe(false); // the honest inv at 30 s did not trigger a second request
    expect(healed.rerequested).toBe(1);
    expect(healed.tip).toBe(b2.hash);
    const stalled = run(200e6);
    expect(stalled.rerequested).toBe(0);
    expect(stalled.tip).toBe(GENESIS.hash);
  });
});

describe('nakamoto fork choice', () => {
  /** One node fed blocks in order at 1 s intervals; returns its final tip and the reorgs it reported. */
  function feed(blocks: TinyBlock[], forkChoice: ForkChoice = MOST_WORK) {
    const reorgs: { fork: number; from: number; to: number }[] = [];
    const { sim, nodes } = tinyRun(
      {
        nodes: 1,
        options: { forkChoice },
        observers: [{ name: 'reorgs', onObservation: (_n, o) => void (o.kind === 'reorg' && reorgs.push({ fork: (o.fork as TinyEntry).height, from: (o.oldTip as TinyEntry).height, to: (o.newTip as TinyEntry).height })) }],
      },
      honest,
    );
    blocks.forEach((b, i) =>
      sim.at((i + 1) * 1e6, 'test/feed', () => nodes[0].receiveBlock(sim.context(0), -1, b)),
    );
    sim.run();
    return { tip: nodes[0].tip, reorgs };
  }

  it('follows the most cumulative work, not the longest chain; switches (with a reorg report) once a branch is heavier', () => {
    const heavy = branch(GENESIS, 2, 1000); // work 2000
    const light = branch(GENESIS, 3, 500, 1); // longer, work 1500
    const { tip, reorgs } = feed([...heavy, ...light]);
    expect(tip.hash).toBe(heavy[1].hash);
    expect(reorgs).toEqual([]);
    const heavier = blockAt(light[2], { difficulty: 600, miner: 1 }); // light branch reaches 2100
    const after = feed([...heavy, ...light, heavier]);
    expect(after.tip.hash).toBe(heavier.hash);
    expect(after.reorgs).toEqual([{ fork: 0, from: 2, to: 4 }]);
  });

  it('on equal work keeps the block seen first', () => {
    const a = blockAt(GENESIS, { miner: 1 });
    const b = blockAt(GENESIS, { miner: 2 });
    expect(feed([a, b]).tip.hash).toBe(a.hash);
    expect(feed([b, a]).tip.hash).toBe(b.hash);
  });

  it('the rule is an extension point: a height rule (a mutant) follows the longer, lighter branch', () => {
    const height: ForkChoice = { name: 'height', prefer: (c, cur) => c.height > cur.height };
    const heavy = branch(GENESIS, 2, 1000);
    const light = branch(GENESIS, 3, 500, 1);
    expect(feed([...heavy, ...light], height).tip.hash).toBe(light[2].hash);
  });

  it('the tree indexes blocks by height in arrival order (ommer candidates)', () => {
    const { world } = tinyRun({ nodes: 1 }, honest);
    const a = blockAt(GENESIS, { miner: 1 });
    const b = blockAt(GENESIS, { miner: 2 });
    for (const x of [a, b, blockAt(a)]) expect(world.store.accept(x, 0).ok).toBe(true);
    expect(world.store.atHeight(1).map((e) => e.hash)).toEqual([a.hash, b.hash]);
    expect(world.store.atHeight(2)).toHaveLength(1);
    expect(world.store.atHeight(9)).toEqual([]);
  });
});

describe('nakamoto shared outcomes', () => {
  it('an invalid block is validated once for all nodes and rejected by each that receives it', () => {
    const { sim, chain, nodes } = tinyRun({ nodes: 4 }, honest);
    const bad = blockAt(GENESIS, { txs: [tinyTx({ valid: false })] });
    sim.at(1e6, 'test/push', () => {
      for (let id = 0; id < 4; id++) nodes[id].receiveBlock(sim.context(id), -1, bad);
    });
    const result = sim.run();
    expect(chain.connects.get(bad.hash)).toBe(1);
    expect(result.metrics.counters['tiny.block.rejected.bad-tx']).toBe(4);
    for (const n of nodes) expect(n.tip.hash).toBe(GENESIS.hash);
  });

  it('a copy with a tampered body is rejected without poisoning the genuine block (not cached by hash)', () => {
    const { sim, nodes } = tinyRun({ nodes: 2 }, honest);
    const genuine = blockAt(GENESIS, { txs: [tinyTx()] });
    const tampered: TinyBlock = { ...genuine, txs: [tinyTx()] }; // same header, other body
    expect(txRootOf(tampered.txs)).not.toBe(genuine.txRoot);
    sim.at(1e6, 'test/tampered', () => nodes[1].receiveBlock(sim.context(1), -1, tampered));
    sim.at(2e6, 'test/genuine', () => nodes[0].receiveBlock(sim.context(0), -1, genuine));
    const result = sim.run();
    expect(result.metrics.counters['tiny.block.rejected.bad-tx-root']).toBe(1);
    expect(nodes[1].tip.hash).toBe(genuine.hash);
    // The same through the tree directly: the tampered copy first, then the genuine block.
    const fresh = tinyRun({ nodes: 1 }, honest).world.store;
    expect(fresh.accept(tampered, 0)).toMatchObject({ ok: false, reason: 'bad-tx-root', hash: genuine.hash });
    expect(fresh.accept(genuine, 0).ok).toBe(true);
  });

  it('CPU time is charged per node: each node that validates a block pays, though the outcome is computed once', () => {
    const arrival = (blockUs: number) => {
      const seen: number[] = [];
      const { sim, chain, nodes } = tinyRun(
        { nodes: 4, edges: LINE(4), options: { cpu: { blockUs: () => blockUs, txUs: () => 0 } }, observers: [{ name: 'tips', onObservation: (n, o, now) => void (o.kind === 'tip' && (seen[n] = now)) }] },
        honest,
      );
      const b = blockAt(GENESIS);
      sim.at(1e6, 'test/mine', () => nodes[0].receiveBlock(sim.context(0), -1, b));
      sim.run();
      expect(chain.connects.get(b.hash)).toBe(1);
      return seen[3];
    };
    // Nodes 1 and 2 each validate the block (5 ms of CPU) before relaying it, so it reaches the
    // end of the line at least two charges later; the tree still connected it once.
    expect(arrival(5_000) - arrival(0)).toBeGreaterThanOrEqual(2 * 5_000);
  });
});

describe('nakamoto mining timer', () => {
  it('discovery times are exponential with mean blockInterval · work/work(genesis) / share, redrawn when the difficulty changes', () => {
    const share = new Float64Array(2).fill(0.5);
    // Difficulty doubles from height 101: blocks should then take twice as long.
    const chain = new TinyChain((h) => (h <= 100 ? 1000 : 2000));
    const { sim, world, nodes } = tinyRun({ nodes: 2, chain, options: { hashShare: share, blockIntervalUs: 10e6, stopAfterBlocks: 300 }, endTimeUs: 1e12 }, honest);
    sim.run();
    const tip = nodes[0].tip;
    expect(tip.height).toBeGreaterThanOrEqual(280); // a few stale blocks at most
    const span = (from: number, to: number) => (tip.ancestor(to).firstSeenUs - tip.ancestor(from).firstSeenUs) / (to - from);
    const early = span(0, 100);
    const late = span(100, tip.height);
    expect(early).toBeGreaterThan(10e6 * 0.75);
    expect(early).toBeLessThan(10e6 * 1.25);
    expect(late / early).toBeGreaterThan(1.5);
    expect(late / early).toBeLessThan(2.6);
    expect(world.blocksMined).toBe(300);
    expect(nodes[0].mined + nodes[1].mined).toBe(300);
  });
});

describe('nakamoto mining timer redraw', () => {
  it('a pending discovery time is redrawn when the next block gets harder (memoryless otherwise)', () => {
    // Two miners, 10 s blocks; from height 3 blocks are 1,000× harder (mean ≈ 10,000 s). When
    // block 2 arrives, the other miner's pending timer (drawn for the easy target) must be
    // redrawn, so block 3 takes thousands of seconds, not ~20 s.
    const gaps: number[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const chain = new TinyChain((h) => (h <= 2 ? 1000 : 1_000_000));
      const { sim, world } = tinyRun({ nodes: 2, seed, chain, options: { hashShare: new Float64Array(2).fill(0.5), blockIntervalUs: 10e6, stopAfterBlocks: 4 }, endTimeUs: 1e12 }, honest);
      sim.run();
      const third = world.store.atHeight(3)[0];
      gaps.push((third.firstSeenUs - third.parent!.firstSeenUs) / 1e6);
    }
    gaps.sort((a, b) => a - b);
    expect(gaps[4]).toBeGreaterThan(1000); // median; exponential with mean 10,000 s
  });
});

describe('nakamoto private-chain attacker', () => {
  it('a majority double spender reverses a confirmed payment; the same seeds with a 10 % attacker do not', () => {
    const trial = (q: number, seed: number) => {
      const n = 5;
      const share = new Float64Array(n).fill((1 - q) / (n - 1));
      share[n - 1] = q;
      const { sim, world, nodes } = tinyRun({ nodes: n, seed, options: { hashShare: share }, endTimeUs: 200 * 600e6 }, (id, w) => (id === n - 1 ? new DoubleSpendAttacker(id, w, 2, 10) : new NakamotoNode(id, w)));
      const payment = tinyTx({ coin: 'attacker-coin' });
      const conflict = tinyTx({ coin: 'attacker-coin' });
      const outcome = installDoubleSpend(sim, world, nodes, { attacker: n - 1, merchant: 0, payment, conflict, payAtUs: 1e6, submit: (tx) => nodes[0].submitTx(sim.context(0), tx) });
      sim.run();
      const merchantTip: BlockEntry<TinyBlock, TinyState> = nodes[0].tip;
      return { outcome, conflictOnChain: world.chain.txHeight(merchantTip.state, conflict.txid) !== undefined };
    };
    let strong = 0;
    let weak = 0;
    for (const seed of [1, 2, 3, 4]) {
      const s = trial(0.7, seed);
      if (s.outcome.result === 'success') {
        strong++;
        expect(s.outcome.acceptedUs).toBeGreaterThan(0); // the payment was confirmed (z = 2) first
        expect(s.conflictOnChain).toBe(true);
      }
      if (trial(0.1, seed).outcome.result === 'success') weak++;
    }
    expect(strong).toBeGreaterThanOrEqual(3);
    expect(weak).toBe(0);
  });
});
