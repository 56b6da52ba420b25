/**
 * Sweep trial module: one PBFT throughput/latency measurement (Castro & Liskov, TOCS'02) on the
 * real replica code of protocols/pbft, for the `pbft-throughput` figure.
 *
 * Setup (as protocols/pbft/bench.ts, with a measurement window): a committee of k replicas in one
 * data centre (uniform-lan: 0.5 ms one way, 1 Gbps up and down per node, jitter 10 %), real
 * HMAC-SHA-256 authenticators, no CPU cost charged (simulated time advances only with the
 * network), checkpoint interval 16, watermark window 64, batch timeout 5 ms. `gateways` client
 * nodes keep `inFlight` requests outstanding in all (closed loop: a new request as soon as one is
 * accepted with f + 1 matching replies), each carrying `opBytes` of payload.
 *
 * Measurement: a block counts as committed when every replica has committed its sequence number
 * (`pbft.commit` observations). After `warmupBlocks`, the window runs until `blocks` more blocks
 * are committed; the run then stops. Over the window: committed operations per simulated second,
 * client-observed latency of requests accepted in the window (issue → f + 1 replies), and the
 * messages (by type) and bytes delivered, per committed block — counted by delivery time, so the
 * pipelined blocks in flight at the window's edges blur per-block counts by a few per cent
 * (more with short windows). The invariant checkers of
 * protocols/pbft run throughout; a violation fails the trial.
 *
 * Point params `PbftThroughputParams`; no options.
 */
import { KeyRing } from '../../protocols/pbft/auth.ts';
import { makeCheckers } from '../../protocols/pbft/checkers.ts';
import { PbftClient } from '../../protocols/pbft/client.ts';
import type { PbftMessage } from '../../protocols/pbft/messages.ts';
import { type Committee, DEFAULT_PBFT_OPTIONS, type PbftOptions, PbftReplica } from '../../protocols/pbft/replica.ts';
import { Simulation } from '../../sim/kernel.ts';
import { REGION_PRESETS } from '../../sim/regions.ts';
import type { Micros, NodeContext, NodeId, Observation, Observer, ProtocolNode } from '../../sim/types.ts';
import { percentile } from '../stats.ts';
import type { TrialTask } from '../trial.ts';

export interface PbftThroughputParams {
  /** Committee size k. */
  committee: number;
  /** Most requests per pre-prepare. */
  batch: number;
  /** Requests outstanding over all gateways (closed loop). */
  inFlight: number;
  /** Client gateway nodes. */
  gateways: number;
  /** Blocks committed before the window opens. */
  warmupBlocks: number;
  /** Blocks in the window. */
  blocks: number;
  /** Payload bytes per request. */
  opBytes: number;
}

export interface PbftThroughputResult {
  committee: number;
  batch: number;
  inFlight: number;
  blocks: number;
  /** Window length, simulated seconds. */
  windowSeconds: number;
  /** Operations committed in the window. */
  ops: number;
  opsPerSec: number;
  blocksPerSec: number;
  /** Client latency of requests accepted in the window, simulated ms. */
  latencyMsP50: number | null;
  latencyMsP99: number | null;
  latencyMsMean: number | null;
  /** Messages delivered in the window per committed block, all types. */
  messagesPerBlock: number;
  /** …by message type. */
  perBlockByType: Record<string, number>;
  /** Bytes delivered in the window per committed block (message sizes as the network charges them). */
  bytesPerBlock: number;
  /** Delivered events of the whole run (for the wall-cost record). */
  events: number;
}

/** Closed-loop gateway: keeps `target` requests outstanding. */
class ClosedLoopClient extends PbftClient {
  private n = 0;
  constructor(id: NodeId, committee: Committee, keys: KeyRing, private readonly target: number, private readonly opBytes: number) {
    super(id, committee, keys, { ratePerSec: 0, maxOutstanding: 1_000_000, retransmitUs: 5_000_000, opBytes, startUs: 0, stopUs: Number.POSITIVE_INFINITY });
  }
  private topUp(ctx: NodeContext<PbftMessage>): void {
    while (this.inFlight < this.target) this.submit(ctx, { kind: 'data', bytes: this.opBytes, tag: `gw${this.self}/${this.n++}` });
  }
  override onStart(ctx: NodeContext<PbftMessage>): void {
    super.onStart(ctx);
    this.topUp(ctx);
  }
  override onMessage(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void {
    super.onMessage(ctx, from, msg);
    this.topUp(ctx);
  }
}

/** Counts delivered messages by type and bytes while `on` is set. */
class Counter {
  on = false;
  readonly byType = new Map<string, number>();
  bytes = 0;
  snapshot(): { byType: Map<string, number>; bytes: number } {
    return { byType: new Map(this.byType), bytes: this.bytes };
  }
}

class CountingNode implements ProtocolNode<PbftMessage> {
  constructor(private readonly inner: ProtocolNode<PbftMessage>, private readonly counter: Counter) {}
  onStart(ctx: NodeContext<PbftMessage>): void {
    this.inner.onStart?.(ctx);
  }
  onMessage(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void {
    const c = this.counter;
    if (c.on) {
      const t = (msg as { type?: string }).type ?? 'unknown';
      c.byType.set(t, (c.byType.get(t) ?? 0) + 1);
      c.bytes += (msg as { size?: number }).size ?? 0;
    }
    this.inner.onMessage(ctx, from, msg);
  }
  onTimer(ctx: NodeContext<PbftMessage>, tag: unknown): void {
    this.inner.onTimer?.(ctx, tag);
  }
  onCrash(): void {
    this.inner.onCrash?.();
  }
  onRecover(ctx: NodeContext<PbftMessage>): void {
    if (this.inner.onRecover) this.inner.onRecover(ctx);
    else this.inner.onStart?.(ctx);
  }
}

/** Follows commits; opens and closes the window; stops the run. */
class Window implements Observer {
  readonly name = 'pbft-throughput-window';
  sim?: Simulation<PbftMessage>;
  private readonly highest: Int32Array;
  private committedAll = 0;
  startUs = -1;
  endUs = -1;
  ops = 0;
  readonly latencies: number[] = [];
  start?: { byType: Map<string, number>; bytes: number };
  end?: { byType: Map<string, number>; bytes: number };
  private readonly sizeOfSeq = new Map<number, number>();

  constructor(private readonly k: number, private readonly p: PbftThroughputParams, private readonly counter: Counter) {
    this.highest = new Int32Array(k);
  }

  onObservation(node: NodeId, obs: Observation, now: Micros): undefined {
    if (obs.kind === 'pbft.accepted') {
      if (this.startUs >= 0 && this.endUs < 0) this.latencies.push((obs as unknown as { latency: number }).latency);
      return undefined;
    }
    if (obs.kind !== 'pbft.commit' || node >= this.k) return undefined;
    const o = obs as unknown as { seq: number; requests: readonly string[] };
    if (!this.sizeOfSeq.has(o.seq)) this.sizeOfSeq.set(o.seq, o.requests.length);
    if (o.seq > this.highest[node]) this.highest[node] = o.seq;
    let min = this.highest[0];
    for (let i = 1; i < this.k; i++) if (this.highest[i] < min) min = this.highest[i];
    while (this.committedAll < min) {
      this.committedAll++;
      const seq = this.committedAll;
      if (seq === this.p.warmupBlocks) {
        this.startUs = now;
        this.counter.on = true;
        this.start = this.counter.snapshot();
      } else if (seq > this.p.warmupBlocks && this.endUs < 0) {
        this.ops += this.sizeOfSeq.get(seq) ?? 0;
        if (seq === this.p.warmupBlocks + this.p.blocks) {
          this.endUs = now;
          this.end = this.counter.snapshot();
          this.counter.on = false;
          this.sim?.stop();
        }
      }
      this.sizeOfSeq.delete(seq);
    }
    return undefined;
  }
}

export function measurePbft(p: PbftThroughputParams, seed: number): PbftThroughputResult {
  const k = p.committee;
  const keys = KeyRing.fromSeed(seed);
  const committee: Committee = { members: Array.from({ length: k }, (_, i) => i), epoch: 0, startView: 0 };
  const options: PbftOptions = { ...DEFAULT_PBFT_OPTIONS, batchSize: p.batch, batchTimeoutUs: 5_000, checkpointInterval: 16, watermarkWindow: 64, viewChangeTimeoutUs: 10_000_000 };
  const counter = new Counter();
  const window = new Window(k, p, counter);
  const checkers = makeCheckers(new Set());
  const base = Math.floor(p.inFlight / p.gateways);
  const sim = new Simulation<PbftMessage>({
    seed,
    network: { nodes: k + p.gateways, regions: REGION_PRESETS['uniform-lan'], jitter: 0.1, loss: 0, duplication: 0, topology: { kind: 'explicit', edges: [] }, partitions: [], clogs: [] },
    createNode: (id): ProtocolNode<PbftMessage> => {
      if (id < k) return new CountingNode(new PbftReplica(id, committee, keys, options), counter);
      const g = id - k;
      const target = base + (g < p.inFlight - base * p.gateways ? 1 : 0);
      return new CountingNode(new ClosedLoopClient(id, committee, keys, Math.max(1, target), p.opBytes), counter);
    },
    endTimeUs: 600_000_000,
    observers: [...checkers.all, window],
  });
  window.sim = sim;
  const result = sim.run();
  if (result.violation) throw new Error(`pbft-throughput: ${result.violation.invariant} violated: ${result.violation.message}`);
  if (window.endUs < 0 || !window.start || !window.end) throw new Error(`pbft-throughput: k=${k} batch=${p.batch}: window not completed by ${result.simTimeUs / 1e6} s simulated (${result.stopReason})`);
  const seconds = (window.endUs - window.startUs) / 1e6;
  const perBlockByType: Record<string, number> = {};
  let messages = 0;
  for (const [t, v] of [...window.end.byType].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const d = v - (window.start.byType.get(t) ?? 0);
    messages += d;
    perBlockByType[t] = d / p.blocks;
  }
  const lat = window.latencies;
  return {
    committee: k,
    batch: p.batch,
    inFlight: p.inFlight,
    blocks: p.blocks,
    windowSeconds: seconds,
    ops: window.ops,
    opsPerSec: window.ops / seconds,
    blocksPerSec: p.blocks / seconds,
    latencyMsP50: lat.length ? percentile(lat, 0.5) / 1000 : null,
    latencyMsP99: lat.length ? percentile(lat, 0.99) / 1000 : null,
    latencyMsMean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length / 1000 : null,
    messagesPerBlock: messages / p.blocks,
    perBlockByType,
    bytesPerBlock: (window.end.bytes - window.start.bytes) / p.blocks,
    events: result.events,
  };
}

export function runTrial(task: TrialTask<PbftThroughputParams, unknown>): PbftThroughputResult {
  return measurePbft(task.point.params, task.seed);
}
