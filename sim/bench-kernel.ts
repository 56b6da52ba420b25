/**
 * `medsim bench kernel`: kernel throughput against a bare binary-heap loop, in the same process.
 *
 * Workload ("ping storm"): 1,000 nodes on a random degree-8 graph with the bitcoin-2019 region
 * table. Every node runs a timer with exponential inter-arrival (mean 100 ms, so about 1.5
 * messages per node are in flight at the region latencies); when it fires the node sends a
 * 250-byte message to a random peer and re-arms the timer. The run delivers 1 M events (timers
 * and messages), all trace-hashed, with latency jitter drawn per message.
 *
 * Baseline (the yardstick the target refers to, unchanged since this benchmark was written): a
 * bare binary heap of `{time, seq}` objects at the same steady-state size, doing the same number
 * of pops and pushes (a new object per push) with the same kind of random increments, and
 * nothing else.
 *
 * Each repetition runs the kernel and then the baseline, and its ratio is kernel events/s ÷
 * baseline events/s; `ratio` is the median of those per-repetition ratios (a pair measured
 * back to back sees the same machine, which matters on a shared host), `ratioRange` their
 * spread. `eventsPerSec` and `baselineEventsPerSec` are the medians of each side.
 *
 * `ownQueue` is the stricter comparison: the kernel's own queue (`TimeHeap`, typed arrays, no
 * allocation) in the same bare loop — the cost floor of any event loop on that queue, so its
 * ratio counts only what the kernel adds around the queue.
 *
 * A second check builds and runs a 10,000-node network with 8 outbound peers per node and
 * reports its RSS (target < 1 GB).
 */
import { TimeHeap } from './heap.ts';
import { Simulation } from './kernel.ts';
import { REGION_PRESETS } from './regions.ts';
import type { Message, NodeContext, NodeId, ProtocolNode } from './types.ts';

interface Ping extends Message {
  readonly type: 'ping';
  readonly n: number;
}

const MEAN_TICK_US = 100_000;

class PingNode implements ProtocolNode<Ping> {
  received = 0;
  onStart(ctx: NodeContext<Ping>): void {
    ctx.setTimer(ctx.rng().exponential(MEAN_TICK_US), 'tick');
  }
  onTimer(ctx: NodeContext<Ping>): void {
    const r = ctx.rng();
    const peers = ctx.peers;
    const n = this.received++;
    ctx.send(peers[r.int(peers.length)], { type: 'ping', size: 250, digest: n } as Ping);
    ctx.setTimer(r.exponential(MEAN_TICK_US), 'tick');
  }
  onMessage(_ctx: NodeContext<Ping>, _from: NodeId, _msg: Ping): void {
    this.received++;
  }
}

export interface KernelBenchResult {
  eventsPerSec: number;
  baselineEventsPerSec: number;
  ratio: number;
  nodes: number;
  events: number;
  rssMb: number;
  repetitions: number;
  /** Lowest and highest per-repetition ratio. */
  ratioRange: [number, number];
  /** The same measurements against a bare loop over the kernel's own queue (stricter). */
  ownQueue: { eventsPerSec: number; ratio: number; ratioRange: [number, number] };
  /** Steady-state event-queue size; the baseline heap uses the same. */
  queueDepth: number;
  traceHash: string;
  scale: { nodes: number; degree: number; events: number; wallMs: number; rssMb: number };
}

/** The ping-storm workload on `nodes` nodes, stopping after `maxEvents` events. */
export function pingSimulation(nodes: number, seed: number, maxEvents: number): Simulation<Ping> {
  return new Simulation<Ping>({
    seed,
    network: {
      nodes,
      regions: REGION_PRESETS['bitcoin-2019'],
      jitter: 0.1,
      loss: 0,
      duplication: 0,
      topology: { kind: 'random', degree: 8 },
      partitions: [],
      clogs: [],
    },
    createNode: () => new PingNode(),
    endTimeUs: Number.MAX_SAFE_INTEGER,
    maxEvents,
  });
}

/**
 * The kernel's own queue (`TimeHeap`) in a bare loop: `events` pop+push pairs at steady-state
 * size `size`, each re-queuing the popped item at its time plus an exponential increment.
 * Nothing else happens per event, so this is the cost floor of any event loop built on the
 * queue. Returns events/s.
 */
/** xorshift32 in [0, 1): the cheapest reasonable generator, so a baseline is a pure heap cost. */
function xorshift(): () => number {
  let x = 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

interface TimedObject {
  time: number;
  seq: number;
}

/** The yardstick: a textbook binary min-heap of `{time, seq}` objects. */
class ObjectHeap {
  private readonly items: TimedObject[] = [];

  push(item: TimedObject): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      if (p.time < item.time || (p.time === item.time && p.seq < item.seq)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): TimedObject {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    const size = items.length;
    if (size > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        let c = l;
        let child = items[l];
        if (l + 1 < size) {
          const rc = items[l + 1];
          if (rc.time < child.time || (rc.time === child.time && rc.seq < child.seq)) {
            c = l + 1;
            child = rc;
          }
        }
        if (last.time < child.time || (last.time === child.time && last.seq < child.seq)) break;
        items[i] = child;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }
}

/** Baseline: `events` pop+push pairs on an `ObjectHeap` of steady-state size `size`. Returns events/s. */
function objectHeapLoop(events: number, size: number): number {
  const heap = new ObjectHeap();
  let seq = 0;
  const rand = xorshift();
  for (let i = 0; i < size; i++) heap.push({ time: Math.round(rand() * MEAN_TICK_US), seq: seq++ });
  const t0 = performance.now(); // wall-clock: benchmark only
  for (let i = 0; i < events; i++) {
    const e = heap.pop();
    heap.push({ time: e.time + Math.round(-Math.log(1 - rand()) * MEAN_TICK_US), seq: seq++ });
  }
  const ms = performance.now() - t0; // wall-clock: benchmark only
  return events / (ms / 1000);
}

/** The stricter comparison: the same loop over the kernel's own `TimeHeap`, re-queuing each popped id. */
function ownQueueLoop(events: number, size: number): number {
  const heap = new TimeHeap();
  let seq = 0;
  const rand = xorshift();
  for (let i = 0; i < size; i++) heap.push(Math.round(rand() * MEAN_TICK_US), seq++, i);
  const t0 = performance.now(); // wall-clock: benchmark only
  for (let i = 0; i < events; i++) {
    const time = heap.peekTime();
    const id = heap.pop();
    heap.push(time + Math.round(-Math.log(1 - rand()) * MEAN_TICK_US), seq++, id);
  }
  const ms = performance.now() - t0; // wall-clock: benchmark only
  return events / (ms / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function benchKernel(options: { nodes?: number; events?: number; repetitions?: number; scaleNodes?: number } = {}): KernelBenchResult {
  const nodes = options.nodes ?? 1000;
  const events = options.events ?? 1_000_000;
  const reps = options.repetitions ?? 7;
  const kernelRates: number[] = [];
  const baseRates: number[] = [];
  const ownRates: number[] = [];
  const ratios: number[] = [];
  const ownRatios: number[] = [];
  let traceHash = '';
  let delivered = 0;
  let queueDepth = 0;
  for (let r = 0; r < reps + 1; r++) {
    const sim = pingSimulation(nodes, 1, events);
    const t0 = performance.now(); // wall-clock: benchmark only
    const res = sim.run();
    const ms = performance.now() - t0; // wall-clock: benchmark only
    // The baseline heaps hold as many events as the kernel's queue did at steady state (one
    // timer per node plus the messages in flight), so all pay the same heap depth.
    queueDepth = sim.pendingEvents;
    const base = objectHeapLoop(res.events, queueDepth);
    const own = ownQueueLoop(res.events, queueDepth);
    if (r === 0) continue; // warm-up (JIT)
    const rate = res.events / (ms / 1000);
    kernelRates.push(rate);
    baseRates.push(base);
    ownRates.push(own);
    ratios.push(rate / base);
    ownRatios.push(rate / own);
    traceHash = res.traceHash;
    delivered = res.events;
  }
  const rssMbSmall = process.memoryUsage().rss / 2 ** 20;

  const scaleNodes = options.scaleNodes ?? 10_000;
  const t0 = performance.now(); // wall-clock: benchmark only
  const big = pingSimulation(scaleNodes, 2, 500_000);
  const bigRes = big.run();
  const scaleMs = performance.now() - t0; // wall-clock: benchmark only
  const scaleRss = process.memoryUsage().rss / 2 ** 20;

  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  const range = (xs: number[]): [number, number] => [round3(Math.min(...xs)), round3(Math.max(...xs))];
  return {
    eventsPerSec: Math.round(median(kernelRates)),
    baselineEventsPerSec: Math.round(median(baseRates)),
    ratio: round3(median(ratios)),
    ratioRange: range(ratios),
    ownQueue: { eventsPerSec: Math.round(median(ownRates)), ratio: round3(median(ownRatios)), ratioRange: range(ownRatios) },
    nodes,
    events: delivered,
    rssMb: Math.round(rssMbSmall),
    repetitions: reps,
    queueDepth,
    traceHash,
    scale: { nodes: scaleNodes, degree: 8, events: bigRes.events, wallMs: Math.round(scaleMs), rssMb: Math.round(scaleRss) },
  };
}
