/**
 * Flooding gossip: the smallest protocol that exercises the whole network model.
 *
 * Every `interval`, one node (chosen by the harness's seeded stream) creates an item of
 * `itemSize` bytes and announces it. Announcements follow the inventory pattern real
 * blockchains use (Bitcoin's `inv` → `getdata` → `block`): a node that learns of an unknown
 * item asks the first announcer for it, stores it and announces it to its own peers. Small
 * announcements and large transfers both cross the bandwidth model, so the run shows
 * propagation delay under queueing, partitions and loss.
 *
 * Metrics: `gossip.delay` (µs from creation to arrival at each node), `gossip.t50` / `gossip.t90`
 * (µs until 50 % / 90 % of nodes hold an item) and `gossip.coverage` (fraction of nodes that
 * received each item by the end).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Simulation } from '../../sim/kernel.ts';
import type { HeadlineOutcome, ProtocolModule } from '../../sim/protocol.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { Message, NodeContext, NodeId, ProtocolNode } from '../../sim/types.ts';
import { duration, size } from '../../sim/units.ts';

/** Bytes of an `inv` or `getdata` message: header (24) + count (1) + one 36-byte inventory entry. */
const INV_BYTES = 61;

export type GossipMessage =
  | { type: 'inv'; size: number; digest: string; item: string }
  | { type: 'getdata'; size: number; digest: string; item: string }
  | { type: 'item'; size: number; digest: string; item: string; createdUs: number };

export const gossipSchema = z
  .strictObject({
    name: z.literal('gossip'),
    itemSize: size().prefault('1MB').describe('Size of each gossiped item (e.g. "1MB"; bytes after parsing). Default 1MB.'),
    interval: duration({ positive: true }).prefault('10s').describe('Time between new items (e.g. "10s"; µs after parsing). Default 10s.'),
    items: z.number().int().min(1).default(20).describe('Number of items created (integer ≥ 1). Default 20.'),
  })
  .describe('Flooding gossip with inv/getdata: a network-model exercise.');

export type GossipConfig = z.output<typeof gossipSchema>;

/** Tracks, per item, when it was created and when each node first held it. */
export class GossipLedger {
  readonly created = new Map<string, number>();
  readonly holders = new Map<string, number[]>(); // arrival times (µs) in arrival order

  record(item: string, arrivalUs: number): void {
    let h = this.holders.get(item);
    if (!h) this.holders.set(item, (h = []));
    h.push(arrivalUs);
  }
}

export class GossipNode implements ProtocolNode<GossipMessage> {
  private readonly have = new Set<string>();
  private readonly requested = new Set<string>();

  constructor(
    private readonly itemSize: number,
    private readonly ledger: GossipLedger,
  ) {}

  /** Creates a new item here (called by the harness) and announces it. */
  createItem(ctx: NodeContext<GossipMessage>, index: number): void {
    const item = createHash('sha256').update(`gossip-item/${index}/${ctx.id}`).digest('hex');
    this.ledger.created.set(item, ctx.now());
    this.accept(ctx, item, -1);
  }

  onMessage(ctx: NodeContext<GossipMessage>, from: NodeId, msg: GossipMessage): void {
    switch (msg.type) {
      case 'inv':
        if (!this.have.has(msg.item) && !this.requested.has(msg.item)) {
          this.requested.add(msg.item);
          ctx.send(from, { type: 'getdata', size: INV_BYTES, digest: msg.item, item: msg.item });
        }
        break;
      case 'getdata':
        if (this.have.has(msg.item)) {
          ctx.send(from, { type: 'item', size: this.itemSize, digest: msg.item, item: msg.item, createdUs: this.ledger.created.get(msg.item) ?? 0 });
        }
        break;
      case 'item':
        if (!this.have.has(msg.item)) {
          ctx.metrics.histogram('gossip.delay').observe(ctx.now() - msg.createdUs);
          this.accept(ctx, msg.item, from);
        }
        break;
    }
  }

  onCrash(): void {
    // Requests in flight are lost with the connection; items on disk survive.
    this.requested.clear();
  }

  private accept(ctx: NodeContext<GossipMessage>, item: string, from: NodeId): void {
    this.have.add(item);
    this.ledger.record(item, ctx.now());
    ctx.broadcast({ type: 'inv', size: INV_BYTES, digest: item, item }, from);
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const propagation = (s: Record<string, unknown>, key: 'propagation50' | 'propagation90') => num((s[key] as { medianMs?: unknown } | null | undefined)?.medianMs);

/** Headline outcomes (sim/protocol.ts): how far and how fast items spread. */
export const gossipHeadline: readonly HeadlineOutcome<GossipConfig>[] = [
  { name: 'coverage', label: 'coverage', kind: 'rate', unit: 'fraction of nodes', description: 'Mean over items of the fraction of nodes holding the item at the end.', read: (s) => num(s.meanCoverage) },
  { name: 't90', label: 'time to 90 % of nodes (median over items)', kind: 'quantity', unit: 'ms', description: 'Median over items of the time from creation until 90 % of nodes hold it.', read: (s) => propagation(s, 'propagation90') },
  { name: 't50', label: 'time to 50 % of nodes (median over items)', kind: 'quantity', unit: 'ms', description: 'Median over items of the time from creation until half the nodes hold it.', read: (s) => propagation(s, 'propagation50') },
];

export const gossipModule: ProtocolModule<GossipConfig, GossipMessage> = {
  name: 'gossip',
  description: 'Flooding gossip with inv/getdata; exercises latency, bandwidth, partitions and loss',
  schema: gossipSchema,
  headline: gossipHeadline,
  build(scenario: Scenario<GossipConfig>) {
    const cfg = scenario.protocol;
    const ledger = new GossipLedger();
    const nodes: GossipNode[] = [];
    return {
      createNode(id: NodeId) {
        return (nodes[id] = new GossipNode(cfg.itemSize, ledger));
      },
      install(sim: Simulation<GossipMessage>) {
        const pick = sim.rng('gossip/creators');
        for (let i = 0; i < cfg.items; i++) {
          const creator = pick.int(sim.nodeCount);
          sim.at((i + 1) * cfg.interval, 'gossip/create', () => {
            if (!sim.isCrashed(creator)) nodes[creator].createItem(sim.context(creator), i);
          });
        }
      },
      summarize(sim: Simulation<GossipMessage>) {
        const n = sim.nodeCount;
        const t50 = sim.metrics.histogram('gossip.t50');
        const t90 = sim.metrics.histogram('gossip.t90');
        const coverage = sim.metrics.histogram('gossip.coverage');
        for (const [item, created] of ledger.created) {
          const arrivals = ledger.holders.get(item) ?? [];
          coverage.observe(arrivals.length / n);
          const at = (share: number) => arrivals[Math.ceil(share * n) - 1];
          if (at(0.5) !== undefined) t50.observe(at(0.5) - created);
          if (at(0.9) !== undefined) t90.observe(at(0.9) - created);
        }
        const h = (x: typeof t50) => (x.count ? { medianMs: x.percentile(0.5) / 1000, p90Ms: x.percentile(0.9) / 1000 } : null);
        return {
          items: ledger.created.size,
          meanCoverage: coverage.count ? coverage.summary().mean : 0,
          propagation50: h(t50),
          propagation90: h(t90),
        };
      },
    };
  },
};
