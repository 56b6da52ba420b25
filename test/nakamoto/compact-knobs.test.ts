/**
 * The BIP 152 knobs SimBlock's model needs, on the tiny chain: low-bandwidth mode (inv →
 * getdata(CMPCT) → cmpctblock), a share of nodes that do not speak BIP 152 (negotiated with
 * sendcmpct, so their peers fall back to full blocks), and the probabilistic reconstruction model
 * with churning nodes. Each test compares against the knob's default (the control).
 */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../sim/metrics.ts';
import { Rng } from '../../sim/rng.ts';
import type { NodeId } from '../../sim/types.ts';
import { NakamotoNode } from '../../protocols/nakamoto/node.ts';
import { ProbabilisticReconstruction, quotaMask, type ReconstructionContext } from '../../protocols/nakamoto/world.ts';
import { tinyRun, tinyTx, type TinyContext, type TinyMessage, type TinyTx, type TinyWorld } from './tiny-chain.ts';

/** Every delivered message as `type` (cmpct getdata as `getdata(cmpct)`), `sendcmpct(0|1)`, by receiver. */
class Logging extends NakamotoNode<any, TinyTx, any> {
  constructor(
    id: NodeId,
    world: TinyWorld,
    readonly log: { to: NodeId; from: NodeId; what: string }[],
  ) {
    super(id, world);
  }
  override onMessage(ctx: TinyContext, from: NodeId, msg: TinyMessage): void {
    const what = msg.type === 'getdata' && msg.compact ? 'getdata(cmpct)' : msg.type === 'sendcmpct' ? `sendcmpct(${msg.highBandwidth ? 1 : 0})` : msg.type;
    this.log.push({ to: this.id, from, what });
    super.onMessage(ctx, from, msg);
  }
}

const LINE3: [number, number][] = [[0, 1], [1, 2]];

/** Node 0 mines one block with three txs every node holds; returns the message log and tips. */
function relayOnce(options: Parameters<typeof tinyRun>[0]['options']) {
  const log: { to: NodeId; from: NodeId; what: string }[] = [];
  const { sim, world, nodes } = tinyRun({ nodes: 3, edges: LINE3, options: { txRelay: 'full', ...options } }, (id, w) => new Logging(id, w, log));
  const txs = [tinyTx(), tinyTx(), tinyTx()];
  sim.at(1e6, 'test/load', () => {
    for (const n of nodes) for (const tx of txs) n.mempool.set(tx.txid, tx);
  });
  sim.at(2e6, 'test/mine', () => {
    const ctx = sim.context(0);
    nodes[0].receiveBlock(ctx, -1, world.chain.assemble(ctx, { parent: nodes[0].tip, txs, extra: [], timeSec: 2, miner: 0 }));
  });
  const result = sim.run();
  const kinds = (to: NodeId) => log.filter((l) => l.to === to && !l.what.startsWith('sendcmpct') && l.what !== 'txinv').map((l) => l.what);
  return { log, kinds, heights: nodes.map((n) => n.tip.height), result };
}

describe('BIP 152 low-bandwidth mode', () => {
  it('announces support with sendcmpct(0) to every peer, then fetches inv → getdata(cmpct) → cmpctblock', () => {
    const lb = relayOnce({ compactBlocks: true, compactMode: 'low-bandwidth' });
    expect(lb.heights).toEqual([1, 1, 1]);
    // Two links, support announced both ways on each, never a high-bandwidth request.
    expect(lb.log.filter((l) => l.what === 'sendcmpct(0)')).toHaveLength(4);
    expect(lb.log.filter((l) => l.what === 'sendcmpct(1)')).toHaveLength(0);
    expect(lb.kinds(1)).toEqual(['inv', 'cmpctblock', 'getdata(cmpct)']);
    expect(lb.kinds(0)).toEqual(['getdata(cmpct)']);
    expect(lb.kinds(2)).toEqual(['inv', 'cmpctblock']);
    // Control: high-bandwidth mode pushes cmpctblock unasked (no inv, no getdata).
    const hb = relayOnce({ compactBlocks: true });
    expect(hb.kinds(2)).toEqual(['cmpctblock']);
    expect(hb.log.filter((l) => l.what === 'getdata(cmpct)')).toHaveLength(0);
  });

  it('a node that does not speak BIP 152 gets and relays full blocks; its peers still use compact blocks with each other', () => {
    // Node 1 (the middle) does not speak BIP 152: both hops fall back to inv/getdata/block.
    const middle = relayOnce({ compactBlocks: true, compactMode: 'low-bandwidth', compactSupport: Uint8Array.from([1, 0, 1]) });
    expect(middle.heights).toEqual([1, 1, 1]);
    expect(middle.kinds(1)).toEqual(['inv', 'block', 'getdata']);
    expect(middle.kinds(2)).toEqual(['inv', 'block']);
    expect(middle.log.filter((l) => l.from === 1 && l.what.startsWith('sendcmpct'))).toHaveLength(0);
    // Only the last node lacks it: the first hop is compact, the second full.
    const last = relayOnce({ compactBlocks: true, compactMode: 'low-bandwidth', compactSupport: Uint8Array.from([1, 1, 0]) });
    expect(last.kinds(1)).toEqual(['inv', 'cmpctblock', 'getdata']);
    expect(last.kinds(2)).toEqual(['inv', 'block']);
    // In high-bandwidth mode a non-speaker neither asks for nor is pushed compact blocks.
    const hb = relayOnce({ compactBlocks: true, compactSupport: Uint8Array.from([1, 0, 1]) });
    expect(hb.heights).toEqual([1, 1, 1]);
    expect(hb.kinds(1)).toEqual(['inv', 'block', 'getdata']);
  });
});

function reconstructionCtx(id: NodeId, seed = 1): ReconstructionContext {
  const streams = new Map<string, Rng>();
  return { id, now: () => 0, metrics: new Metrics(), rng: (label = 'default') => streams.get(label) ?? (streams.set(label, Rng.stream(seed, `${id}/${label}`)), streams.get(label)!) } as ReconstructionContext;
}
const BLOCK = { hash: 'b', size: 100_000, txs: Array.from({ length: 1001 }, () => tinyTx({ size: 100 })) };

describe('probabilistic (SimBlock) reconstruction', () => {
  const model = (failure: number, churnFailure: number, churn: number[]) =>
    new ProbabilisticReconstruction({ failure, churnFailure, churn: Uint8Array.from(churn), missingOrdinary: [{ share: 0.01, weight: 1 }], missingChurn: [{ share: 0.25, weight: 3 }, { share: 0.75, weight: 1 }] });

  it('never fails at probability 0 and always at 1; a failure fetches the drawn share of the block', () => {
    const held = () => true;
    expect(model(0, 0, [0]).missing(reconstructionCtx(0), BLOCK, 1, held)).toEqual({ count: 0, bytes: 0 });
    // Ordinary node: 1 % of 100 kB and of the 1000 short ids.
    expect(model(1, 0, [0]).missing(reconstructionCtx(0), BLOCK, 1, held)).toEqual({ count: 10, bytes: 1000 });
    // The same model for a churning node uses the churn rate (0 here) …
    expect(model(1, 0, [1]).missing(reconstructionCtx(0), BLOCK, 1, held)).toEqual({ count: 0, bytes: 0 });
    // … and the churn table (25 % three times as often as 75 %).
    const m = model(0, 1, [1]);
    const ctx = reconstructionCtx(0);
    const bytes = Array.from({ length: 4000 }, () => m.missing(ctx, BLOCK, 1, held).bytes);
    expect(new Set(bytes)).toEqual(new Set([25_000, 75_000]));
    const quarter = bytes.filter((b) => b === 25_000).length / bytes.length;
    expect(quarter).toBeGreaterThan(0.72);
    expect(quarter).toBeLessThan(0.78);
  });

  it('fails at the configured rate, from the node\'s own seeded stream (same seed ⇒ same draws)', () => {
    const m = model(0.13, 0.27, [0, 1]);
    const rate = (id: NodeId, seed: number) => {
      const ctx = reconstructionCtx(id, seed);
      let fails = 0;
      for (let i = 0; i < 20_000; i++) if (m.missing(ctx, BLOCK, 1, () => true).count > 0) fails++;
      return fails / 20_000;
    };
    expect(rate(0, 1)).toBeGreaterThan(0.12);
    expect(rate(0, 1)).toBeLessThan(0.14);
    expect(rate(1, 1)).toBeGreaterThan(0.26);
    expect(rate(1, 1)).toBeLessThan(0.28);
    expect(rate(0, 1)).toBe(rate(0, 1));
    expect(rate(0, 2)).not.toBe(rate(0, 1));
  });

  it('drives the relay: every failed receipt is a getblocktxn round trip for the drawn bytes, and the block is still adopted', () => {
    const asked: number[] = [];
    const run = (failure: number) => {
      asked.length = 0;
      const { sim, world, nodes } = tinyRun(
        { nodes: 3, edges: LINE3, options: { compactBlocks: true, compactMode: 'low-bandwidth', compactReconstruction: new ProbabilisticReconstruction({ failure, churnFailure: failure, churn: new Uint8Array(3), missingOrdinary: [{ share: 0.5, weight: 1 }], missingChurn: [{ share: 0.5, weight: 1 }] }) } },
        (id, w) => {
          const n = new NakamotoNode(id, w);
          const onMessage = n.onMessage.bind(n);
          n.onMessage = (ctx, from, msg) => {
            if (msg.type === 'getblocktxn') asked.push(msg.missingBytes);
            onMessage(ctx, from, msg);
          };
          return n;
        },
      );
      const txs = [tinyTx({ size: 400 }), tinyTx({ size: 600 })];
      let size = 0;
      sim.at(1e6, 'test/mine', () => {
        const ctx = sim.context(0);
        const b = world.chain.assemble(ctx, { parent: nodes[0].tip, txs, extra: [], timeSec: 1, miner: 0 });
        size = b.size;
        nodes[0].receiveBlock(ctx, -1, b);
      });
      const result = sim.run();
      return { heights: nodes.map((n) => n.tip.height), roundtrips: result.metrics.counters['tiny.cmpct.roundtrips'] ?? 0, size };
    };
    const fails = run(1);
    expect(fails.heights).toEqual([1, 1, 1]);
    expect(fails.roundtrips).toBe(2);
    expect(asked).toEqual([Math.floor(fails.size * 0.5), Math.floor(fails.size * 0.5)]);
    const control = run(0);
    expect(control.heights).toEqual([1, 1, 1]);
    expect(control.roundtrips).toBe(0);
    expect(asked).toEqual([]);
  });
});

describe('quota masks (SimBlock makeRandomList)', () => {
  it('flags exactly ⌈share · n⌉ nodes, deterministically per stream', () => {
    const a = quotaMask(1000, 0.964, Rng.stream(1, 'pow/compact-support'));
    expect(a.reduce((s, x) => s + x, 0)).toBe(964);
    expect(quotaMask(1000, 0.976, Rng.stream(1, 'x')).reduce((s, x) => s + x, 0)).toBe(976);
    expect(quotaMask(7, 0.5, Rng.stream(1, 'x')).reduce((s, x) => s + x, 0)).toBe(4);
    expect(quotaMask(1000, 0.964, Rng.stream(1, 'pow/compact-support'))).toEqual(a);
    expect(quotaMask(1000, 0.964, Rng.stream(2, 'pow/compact-support'))).not.toEqual(a);
    expect(quotaMask(10, 0, Rng.stream(1, 'x')).reduce((s, x) => s + x, 0)).toBe(0);
    expect(quotaMask(10, 1, Rng.stream(1, 'x')).reduce((s, x) => s + x, 0)).toBe(10);
  });
});
