/**
 * PBFT benchmark: wall-clock speed of the simulator running real PBFT (`benchPbft`, for
 * `medsim bench pbft`). Simulated throughput and latency versus committee and batch size are
 * the `pbft-throughput` figure (analysis/reproduce/pbft-throughput.ts).
 *
 * Setup: a committee of k replicas in one data centre (uniform-lan preset: 0.5 ms, 1 Gbps),
 * `gateways` client nodes that submit requests on behalf of `institutions` institutions (each
 * request's operation names its institution), saturated load so every pre-prepare carries a
 * full batch, real HMAC-SHA-256 authenticators on every message and Ed25519 on view changes.
 * A block is a committed batch (a sequence number executed by the honest replicas).
 *
 * Wall-clock reads here are for measurement only (marked `wall-clock: benchmark only`); the
 * simulated run itself is deterministic.
 */
import { Simulation } from '../../sim/kernel.ts';
import { REGION_PRESETS } from '../../sim/regions.ts';
import type { Micros, NodeContext, NodeId, ProtocolNode } from '../../sim/types.ts';
import { KeyRing } from './auth.ts';
import { makeCheckers } from './checkers.ts';
import { PbftClient } from './client.ts';
import type { PbftMessage } from './messages.ts';
import { type Committee, DEFAULT_PBFT_OPTIONS, type PbftOptions, PbftReplica } from './replica.ts';

export interface BenchPbftOptions {
  /** Committee size k (default 100). */
  committee?: number;
  /** Institutions whose requests the gateways submit (default 1000). */
  institutions?: number;
  /** Requests per block (batch size, default 100). */
  batch?: number;
  /** Blocks to commit (default 50). */
  blocks?: number;
  /** Client gateway nodes (default 10). */
  gateways?: number;
  /** Run seed (default 1). */
  seed?: number;
}

export interface BenchPbftResult {
  committee: number;
  blocks: number;
  wallMs: number;
  blocksPerWallSec: number;
  messagesPerSec: number;
  rssMb: number;
}

/** A gateway client whose requests cycle through its share of the institutions. */
class Gateway extends PbftClient {
  private n = 0;
  constructor(id: NodeId, committee: Committee, keys: KeyRing, private readonly institutions: number[], private readonly perBurst: number, private readonly opBytes: number) {
    super(id, committee, keys, { ratePerSec: 0, maxOutstanding: 1_000_000, retransmitUs: 5_000_000, opBytes, startUs: 0, stopUs: Number.POSITIVE_INFINITY });
  }
  override onStart(ctx: NodeContext<PbftMessage>): void {
    ctx.setTimer(0, { type: 'gateway-burst' });
  }
  override onTimer(ctx: NodeContext<PbftMessage>, tag: unknown): void {
    if ((tag as { type?: string }).type !== 'gateway-burst') return super.onTimer(ctx, tag);
    // Keep the pipeline full: top up to `perBurst` requests in flight every 5 ms.
    while (this.inFlight < this.perBurst) {
      const inst = this.institutions[this.n++ % this.institutions.length];
      this.submit(ctx, { kind: 'data', bytes: this.opBytes, tag: `institution/${inst}/record/${this.n}` });
    }
    ctx.setTimer(5_000, { type: 'gateway-burst' });
  }
}

interface PbftRun {
  sim: Simulation<PbftMessage>;
  replicas: PbftReplica[];
  committed: () => number;
}

function buildRun(k: number, institutions: number, batch: number, gateways: number, seed: number, opBytes = 128): PbftRun {
  const keys = KeyRing.fromSeed(seed);
  const committee: Committee = { members: Array.from({ length: k }, (_, i) => i), epoch: 0, startView: 0 };
  const options: PbftOptions = { ...DEFAULT_PBFT_OPTIONS, batchSize: batch, batchTimeoutUs: 5_000, checkpointInterval: 16, watermarkWindow: 64, viewChangeTimeoutUs: 10_000_000 };
  const checkers = makeCheckers(new Set());
  const replicas: PbftReplica[] = [];
  // Enough requests in flight for ~4 full batches in the pipeline.
  const perBurst = Math.ceil((4 * batch) / gateways);
  const sim = new Simulation<PbftMessage>({
    seed,
    network: {
      nodes: k + gateways,
      regions: REGION_PRESETS['uniform-lan'],
      jitter: 0.1,
      loss: 0,
      duplication: 0,
      topology: { kind: 'explicit', edges: [] },
      partitions: [],
      clogs: [],
    },
    createNode: (id): ProtocolNode<PbftMessage> => {
      if (id < k) return (replicas[id] = new PbftReplica(id, committee, keys, options));
      const g = id - k;
      const mine = Array.from({ length: Math.ceil(institutions / gateways) }, (_, i) => g + i * gateways).filter((x) => x < institutions);
      return new Gateway(id, committee, keys, mine.length ? mine : [g], perBurst, opBytes);
    },
    endTimeUs: 3_600_000_000,
    observers: checkers.all,
  });
  return { sim, replicas, committed: () => Math.min(...replicas.map((r) => r.lastExecuted)) };
}

/** Runs until every replica executed `blocks` blocks (or `maxSimUs` passed); returns simulated time used. */
function runBlocks(run: PbftRun, blocks: number, maxSimUs: Micros): Micros {
  let t = 0;
  while (run.committed() < blocks && t < maxSimUs && !run.sim.violation) {
    t += 20_000;
    run.sim.run(t);
  }
  if (run.sim.violation) throw new Error(`benchPbft: ${run.sim.violation.invariant} violated: ${run.sim.violation.message}`);
  return t;
}

/** Wall-clock speed of the simulator running PBFT with real MAC authenticators. */
export function benchPbft(opts: BenchPbftOptions = {}): BenchPbftResult {
  const k = opts.committee ?? 100;
  const blocks = opts.blocks ?? 50;
  const run = buildRun(k, opts.institutions ?? 1000, opts.batch ?? 100, opts.gateways ?? 10, opts.seed ?? 1);
  const start = performance.now(); // wall-clock: benchmark only
  runBlocks(run, blocks, 600_000_000);
  const wallMs = performance.now() - start; // wall-clock: benchmark only
  const done = run.committed();
  const delivered = run.sim.events;
  return {
    committee: k,
    blocks: done,
    wallMs: Math.round(wallMs),
    blocksPerWallSec: Math.round((done / (wallMs / 1000)) * 100) / 100,
    messagesPerSec: Math.round(delivered / (wallMs / 1000)),
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  };
}
