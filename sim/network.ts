/**
 * The simulated network: placement, topology, latency, bandwidth, loss, duplication,
 * partitions and clogged links.
 *
 * Transmission model (per message of `size` bytes from node a to node b, sent at time t):
 *
 *   upStart  = max(t, a's upload link free)          — a node's sends queue FIFO behind each other
 *   upEnd    = upStart + size / upload(a)            — a's upload link is busy until then
 *   latency  = mean(region a → region b) · U(1 − jitter, 1 + jitter) (+ clog delay)
 *   arrival  = max(upEnd, upStart + size / download(b)) + latency
 *
 * On an idle link this is latency + size / min(upload, download), the pipelined delay SimBlock
 * uses. Under load the sender's uploads queue, which is what shapes block propagation (a miner
 * pushing a 1 MB block to its peers sends them one after another). The receiver's download rate
 * limits each message but is not a shared FIFO queue: concurrent transfers from different peers
 * travel on different connections that share the link, and inventory-based relay fetches a
 * large object from one peer at a time, so receiver contention is small; modelling it as a FIFO
 * queue would also wrongly hold a near peer's message behind a far peer's bytes still in flight.
 * Times are integer microseconds (transmission times rounded up).
 *
 * Options that reproduce SimBlock's message model (Aoki et al. 2019; dsg-titech/simblock
 * `Node.sendNextBlockMessage`, `AbstractMessageTask`, `Network.getLatency`), all off by default:
 *
 * - `uploads.mode: stop-and-wait`: a node has one bulk message in flight at a time — its upload
 *   link stays busy until the message has ARRIVED (transmission + latency), not only until its
 *   last byte left (`fifo`, the default). SimBlock sends the next queued block only when the
 *   previous one has been delivered.
 * - `uploads.controlBytes`: messages of at most this size (inv, getdata, …) are control messages:
 *   they neither wait for nor occupy the upload link (they interleave with bulk transfers on the
 *   shared link), arriving after their own transmission time + latency + `controlDelayUs`.
 *   SimBlock: latency + 10 ms for inv/getdata/getblocktxn, never queued behind blocks.
 * - `uploads.bulkDelayUs`: a fixed delay added to every other message (SimBlock: 2 ms processing
 *   per block message), inside the stop-and-wait busy period.
 * - `latency: pareto`: each message's latency is drawn from a Pareto distribution with the
 *   table's mean and minimum mean − `paretoGapUs` (shape = mean / gap), instead of the uniform
 *   ±`jitter` band. SimBlock: shape 0.2/ms × mean, scale mean − 5 ms, which is exactly this
 *   with a 5 ms gap.
 *
 * Partitions and loss are decided when a message is sent: a message already on the wire when a
 * partition starts still arrives (as with TCP segments already in flight).
 */
import { Rng, StreamBank } from './rng.ts';
import type { RegionTable } from './regions.ts';
import type { Micros, NodeId } from './types.ts';

export type TopologyOptions =
  /** Each node opens `degree` outbound links to distinct random nodes; links carry both ways. */
  | { kind: 'random'; degree: number }
  /**
   * Each node dials a number of outbound peers drawn from `outboundShares` (share of nodes that
   * dial 1, 2, 3, … peers; quotas like SimBlock's `makeRandomListFollowDistribution`, shuffled),
   * each a distinct random node it is not linked to yet; inbound links are unlimited and every
   * link carries both ways (SimBlock `BitcoinCoreTable`).
   */
  | { kind: 'random-degrees'; outboundShares: number[] }
  /** Every node is a peer of every other node. */
  | { kind: 'full-mesh' }
  /** Exactly these undirected links. */
  | { kind: 'explicit'; edges: [NodeId, NodeId][] };

export interface PartitionOptions {
  /** Virtual time the partition starts, µs. */
  startUs: Micros;
  /** Virtual time it heals, µs (exclusive). */
  endUs: Micros;
  /** Node groups; nodes in no group form one more group. Exactly one of groups / split. */
  groups?: NodeId[][];
  /** Fraction of nodes (ids 0 … ⌊split·n⌋ − 1) in the first group; the rest form the second. */
  split?: number;
  /** `both`: no traffic between groups; `one-way`: traffic from the first group to others is lost. */
  direction: 'both' | 'one-way';
}

export interface ClogOptions {
  /** Virtual time the clog starts, µs. */
  startUs: Micros;
  /** Virtual time it ends, µs (exclusive). */
  endUs: Micros;
  /** Senders affected; absent = all. */
  from?: NodeId[];
  /** Receivers affected; absent = all. */
  to?: NodeId[];
  /** Extra one-way delay on affected links, µs. */
  delayUs: Micros;
}

/** How a node's messages share its upload link (see the file comment). Defaults: fifo, 0, 0, 0. */
export interface UploadOptions {
  /** fifo: busy until the last byte left; stop-and-wait: busy until the message arrived. */
  mode: 'fifo' | 'stop-and-wait';
  /** Messages of at most this many bytes bypass the upload queue (control messages); 0 = none. */
  controlBytes: number;
  /** Extra one-way delay of each control message, µs. */
  controlDelayUs: Micros;
  /** Extra one-way delay of each bulk message (counted in the stop-and-wait busy time), µs. */
  bulkDelayUs: Micros;
}

/** Per-message latency around the table's mean. */
export type LatencyModel =
  /** mean · U(1 − jitter, 1 + jitter) (`NetworkOptions.jitter`). */
  | { kind: 'uniform' }
  /** Pareto with the table's mean and minimum mean − gap (gap clamped to mean / 2), µs. */
  | { kind: 'pareto'; gapUs: Micros };

export const FIFO_UPLOADS: UploadOptions = { mode: 'fifo', controlBytes: 0, controlDelayUs: 0, bulkDelayUs: 0 };

export interface NetworkOptions {
  /** Number of nodes. */
  nodes: number;
  /** Region table (latency matrix, bandwidths, placement distribution). */
  regions: RegionTable;
  /** Latency jitter as a fraction of the mean (0 … 1). */
  jitter: number;
  /** Upload bandwidth of every node, bits/s; overrides the region table. Infinity = unlimited. */
  uploadBps?: number;
  /** Download bandwidth of every node, bits/s; overrides the region table. */
  downloadBps?: number;
  /** Probability that a message is lost (0 … 1). */
  loss: number;
  /** Probability that a message is delivered twice (0 … 1). */
  duplication: number;
  topology: TopologyOptions;
  partitions: PartitionOptions[];
  clogs: ClogOptions[];
  /** Upload-link sharing; default FIFO_UPLOADS. */
  uploads?: UploadOptions;
  /** Latency distribution; default uniform (±jitter). */
  latency?: LatencyModel;
}

interface ActivePartition {
  startUs: Micros;
  endUs: Micros;
  groupOf: Int32Array;
  oneWay: boolean;
}

interface ActiveClog {
  startUs: Micros;
  endUs: Micros;
  from: Uint8Array | null;
  to: Uint8Array | null;
  delayUs: Micros;
}

export class Network {
  readonly nodes: number;
  readonly regionOf: Uint16Array;
  readonly peers: NodeId[][];
  private readonly latencyUs: Float64Array; // R × R mean one-way latency
  private readonly regionCount: number;
  private readonly jitter: number;
  private readonly upBps: Float64Array;
  private readonly downBps: Float64Array;
  /** When each node's upload link is next free, µs. */
  private readonly upFree: Float64Array;
  private readonly uploads: UploadOptions;
  /** Pareto latency: gap below the mean, µs (0 = uniform jitter). */
  private readonly paretoGapUs: number;
  readonly loss: number;
  readonly duplication: number;
  private readonly partitions: ActivePartition[];
  private readonly clogs: ActiveClog[];
  /** Per-sender link streams (`network/link/<sender>`), packed for cache locality. */
  private readonly linkStreams: StreamBank;

  constructor(
    private readonly options: NetworkOptions,
    runSeed: number | string,
  ) {
    const n = options.nodes;
    const table = options.regions;
    this.nodes = n;
    this.regionCount = table.names.length;
    this.jitter = options.jitter;
    this.loss = options.loss;
    this.duplication = options.duplication;

    // Placement: each node draws its region from the table's distribution.
    const placement = Rng.stream(runSeed, 'network/placement');
    this.regionOf = new Uint16Array(n);
    for (let i = 0; i < n; i++) this.regionOf[i] = placement.weighted(table.distribution);

    const R = this.regionCount;
    this.latencyUs = new Float64Array(R * R);
    for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) this.latencyUs[i * R + j] = table.latencyMs[i][j] * 1000;

    this.upBps = new Float64Array(n);
    this.downBps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.upBps[i] = options.uploadBps ?? table.uploadBps[this.regionOf[i]];
      this.downBps[i] = options.downloadBps ?? table.downloadBps[this.regionOf[i]];
    }
    this.upFree = new Float64Array(n);
    this.uploads = options.uploads ?? FIFO_UPLOADS;
    this.paretoGapUs = options.latency?.kind === 'pareto' ? options.latency.gapUs : 0;
    this.linkStreams = new StreamBank(runSeed, n, (sender) => `network/link/${sender}`);

    this.peers = buildTopology(n, options.topology, Rng.stream(runSeed, 'network/topology'));
    this.partitions = options.partitions.map((p) => compilePartition(p, n));
    this.clogs = options.clogs.map((c) => ({
      startUs: c.startUs,
      endUs: c.endUs,
      delayUs: c.delayUs,
      from: c.from ? memberMask(c.from, n) : null,
      to: c.to ? memberMask(c.to, n) : null,
    }));
  }

  /** The next uniform [0, 1) of the sender's link stream, which decides loss, jitter and duplication. */
  linkDraw(from: NodeId): number {
    return this.linkStreams.next(from);
  }

  /** True if a partition active at `now` blocks traffic from → to. */
  blocked(from: NodeId, to: NodeId, now: Micros): boolean {
    if (this.partitions.length === 0) return false;
    for (const p of this.partitions) {
      if (now < p.startUs || now >= p.endUs) continue;
      const gf = p.groupOf[from];
      const gt = p.groupOf[to];
      if (gf === gt) continue;
      if (!p.oneWay || gf === 0) return true;
    }
    return false;
  }

  /** Mean one-way latency between two nodes' regions, µs (no jitter). */
  meanLatencyUs(from: NodeId, to: NodeId): number {
    return this.latencyUs[this.regionOf[from] * this.regionCount + this.regionOf[to]];
  }

  /** Upload / download bandwidth of a node, bits/s. */
  bandwidthOf(node: NodeId): { uploadBps: number; downloadBps: number } {
    return { uploadBps: this.upBps[node], downloadBps: this.downBps[node] };
  }

  /**
   * Reserves the links for one message and returns its arrival time (µs). Call only for
   * messages that are not blocked or lost.
   */
  transfer(from: NodeId, to: NodeId, size: number, now: Micros): Micros {
    if (from === to) return now;
    let latency = this.meanLatencyUs(from, to);
    if (this.paretoGapUs > 0) latency = paretoLatency(latency, this.paretoGapUs, this.linkDraw(from));
    else if (this.jitter > 0) latency *= 1 + this.jitter * (2 * this.linkDraw(from) - 1);
    latency = Math.round(latency);
    if (this.clogs.length > 0) latency += this.clogDelay(from, to, now);
    const bits = size * 8;
    const txUp = Math.ceil((bits * 1e6) / this.upBps[from]);
    const txDown = Math.ceil((bits * 1e6) / this.downBps[to]);
    const up = this.uploads;
    if (size <= up.controlBytes) return now + Math.max(txUp, txDown) + latency + up.controlDelayUs;
    const upStart = Math.max(now, this.upFree[from]);
    const upEnd = upStart + txUp;
    const arrival = Math.max(upEnd, upStart + txDown) + latency + up.bulkDelayUs;
    this.upFree[from] = up.mode === 'stop-and-wait' ? arrival : upEnd;
    return arrival;
  }

  /** Extra delay of clogs active on from → to at `now`, µs. */
  private clogDelay(from: NodeId, to: NodeId, now: Micros): Micros {
    let extra = 0;
    for (const c of this.clogs) {
      if (now >= c.startUs && now < c.endUs && (!c.from || c.from[from]) && (!c.to || c.to[to])) extra += c.delayUs;
    }
    return extra;
  }

  /** Forgets queued transmissions of a crashed node (its sockets are gone). */
  resetNode(node: NodeId, now: Micros): void {
    if (this.upFree[node] > now) this.upFree[node] = now;
  }
}

/**
 * A Pareto latency with mean `meanUs` and minimum `meanUs − gapUs` (shape α = mean / gap, so
 * α·scale/(α − 1) = mean), from one uniform draw `u` ∈ [0, 1) by inversion. SimBlock
 * `Network.getLatency` is this with a 5 ms gap. The gap is clamped to mean / 2 (α ≥ 2, finite
 * variance) so sub-gap means (a LAN) stay valid.
 */
export function paretoLatency(meanUs: number, gapUs: number, u: number): number {
  if (meanUs <= 0) return 0;
  const gap = Math.min(gapUs, meanUs / 2);
  const shape = meanUs / gap;
  return (meanUs - gap) / Math.pow(1 - u, 1 / shape);
}

function memberMask(ids: NodeId[], n: number): Uint8Array {
  const mask = new Uint8Array(n);
  for (const id of ids) mask[id] = 1;
  return mask;
}

function compilePartition(p: PartitionOptions, n: number): ActivePartition {
  const groupOf = new Int32Array(n);
  if (p.groups) {
    const rest = p.groups.length; // nodes in no group share one extra group
    groupOf.fill(rest);
    p.groups.forEach((group, g) => {
      for (const id of group) groupOf[id] = g;
    });
  } else {
    const cut = Math.floor((p.split ?? 0.5) * n);
    for (let i = 0; i < n; i++) groupOf[i] = i < cut ? 0 : 1;
  }
  return { startUs: p.startUs, endUs: p.endUs, groupOf, oneWay: p.direction === 'one-way' };
}

/**
 * Outbound degrees by quota: ⌊n · cumulative share⌋ nodes dial at most k peers for each k
 * (the rest the largest degree), in a seeded random order — SimBlock assigns degrees from its
 * cumulative table the same way instead of drawing each node independently.
 */
export function quotaDegrees(n: number, shares: number[], rng: Rng): Int32Array {
  const out = new Int32Array(n);
  let filled = 0;
  let cumulative = 0;
  for (let k = 0; k < shares.length; k++) {
    cumulative += shares[k];
    const upTo = k === shares.length - 1 ? n : Math.min(n, Math.round(n * cumulative));
    for (; filled < upTo; filled++) out[filled] = k + 1;
  }
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Builds sorted, duplicate-free peer lists. */
export function buildTopology(n: number, topology: TopologyOptions, rng: Rng): NodeId[][] {
  const sets: Set<NodeId>[] = Array.from({ length: n }, () => new Set<NodeId>());
  const link = (a: NodeId, b: NodeId) => {
    if (a === b) return;
    sets[a].add(b);
    sets[b].add(a);
  };
  switch (topology.kind) {
    case 'full-mesh':
      return Array.from({ length: n }, (_, i) => {
        const peers = new Array<NodeId>(n - 1);
        for (let j = 0, k = 0; j < n; j++) if (j !== i) peers[k++] = j;
        return peers;
      });
    case 'explicit':
      for (const [a, b] of topology.edges) link(a, b);
      break;
    case 'random-degrees': {
      const degrees = quotaDegrees(n, topology.outboundShares, rng);
      for (let i = 0; i < n; i++) {
        // Dial distinct random nodes not linked yet (SimBlock BitcoinCoreTable.initTable walks a
        // shuffled node list; rejection sampling picks the same uniform subset without an O(n) shuffle).
        let dialled = 0;
        while (dialled < degrees[i] && sets[i].size < n - 1) {
          const j = rng.int(n);
          if (j === i || sets[i].has(j)) continue;
          link(i, j);
          dialled++;
        }
      }
      break;
    }
    case 'random': {
      const degree = Math.min(topology.degree, n - 1);
      for (let i = 0; i < n; i++) {
        const outbound = new Set<NodeId>();
        while (outbound.size < degree) {
          const j = rng.int(n);
          if (j !== i) outbound.add(j);
        }
        for (const j of outbound) link(i, j);
      }
      break;
    }
  }
  return sets.map((s) => Int32Array.from(s).sort() as unknown as NodeId[]).map((a) => Array.from(a));
}
