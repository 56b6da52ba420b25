/**
 * The network knobs that reproduce SimBlock's message model (sim/network.ts file comment):
 * stop-and-wait uploads, control messages that bypass the upload queue, fixed per-message
 * delays, Pareto latency and the random-degrees routing table. Each test checks what the knob
 * does against the default (the control), on exact arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { buildTopology, FIFO_UPLOADS, Network, paretoLatency, quotaDegrees, type NetworkOptions, type UploadOptions } from '../../sim/network.ts';
import { DEGREE_PRESETS, type RegionTable } from '../../sim/regions.ts';
import { Rng } from '../../sim/rng.ts';

/** One region, 40 ms one-way; 8 Mbps up and down (1 MB = 1 s on the wire). */
const ONE_REGION: RegionTable = { names: ['a'], latencyMs: [[40]], uploadBps: [8_000_000], downloadBps: [8_000_000], distribution: [1] };

function network(extra: Partial<NetworkOptions> = {}, nodes = 3): Network {
  return new Network({ nodes, regions: ONE_REGION, jitter: 0, loss: 0, duplication: 0, topology: { kind: 'full-mesh' }, partitions: [], clogs: [], ...extra }, 1);
}
const uploads = (u: Partial<UploadOptions>): UploadOptions => ({ ...FIFO_UPLOADS, ...u });

describe('upload serialisation', () => {
  it('fifo: the second block starts when the first block\'s last byte left', () => {
    const n = network();
    expect(n.transfer(0, 1, 1_000_000, 0)).toBe(1_000_000 + 40_000);
    expect(n.transfer(0, 2, 1_000_000, 0)).toBe(2_000_000 + 40_000);
  });

  it('stop-and-wait: the second block starts only when the first has arrived', () => {
    const n = network({ uploads: uploads({ mode: 'stop-and-wait' }) });
    expect(n.transfer(0, 1, 1_000_000, 0)).toBe(1_040_000);
    expect(n.transfer(0, 2, 1_000_000, 0)).toBe(1_040_000 + 1_040_000);
    // Another sender is not affected.
    expect(n.transfer(1, 2, 1_000_000, 0)).toBe(1_040_000);
  });

  it('bulk delay is added to every bulk message and, in stop-and-wait, to the busy time', () => {
    const n = network({ uploads: uploads({ mode: 'stop-and-wait', bulkDelayUs: 2_000 }) });
    expect(n.transfer(0, 1, 1_000_000, 0)).toBe(1_042_000);
    expect(n.transfer(0, 2, 1_000_000, 0)).toBe(2 * 1_042_000);
  });

  it('control messages neither wait for nor occupy the upload link, and pay the control delay', () => {
    const fifo = network();
    fifo.transfer(0, 1, 1_000_000, 0);
    // Default: a 61-byte inv queues behind the megabyte (61 B = 61 µs at 8 Mbps).
    expect(fifo.transfer(0, 2, 61, 0)).toBe(1_000_000 + 61 + 40_000);

    const n = network({ uploads: uploads({ controlBytes: 1_000, controlDelayUs: 10_000 }) });
    n.transfer(0, 1, 1_000_000, 0);
    expect(n.transfer(0, 2, 61, 0)).toBe(61 + 40_000 + 10_000);
    // … and the next bulk message still starts at 1 s: the inv took no upload time.
    expect(n.transfer(0, 2, 1_000_000, 0)).toBe(2_000_000 + 40_000);
    // A message just above the threshold is bulk.
    expect(n.transfer(0, 1, 1_001, 0)).toBe(2_000_000 + 1_001 + 40_000);
  });
});

describe('Pareto latency', () => {
  it('has the table mean and the minimum mean − gap (SimBlock: shape 0.2/ms × mean, scale mean − 5 ms)', () => {
    expect(paretoLatency(124_000, 5_000, 0)).toBe(119_000);
    // SimBlock Network.getLatency at mean 124 ms: scale 119 ms / U^(1/24.8); same at U = 0.5.
    expect(paretoLatency(124_000, 5_000, 0.5)).toBeCloseTo(119_000 / Math.pow(0.5, 1 / 24.8), 6);
    const r = Rng.stream(3, 'pareto-test');
    let sum = 0;
    let min = Infinity;
    const k = 200_000;
    for (let i = 0; i < k; i++) {
      const x = paretoLatency(32_000, 5_000, r.next());
      sum += x;
      min = Math.min(min, x);
    }
    expect(min).toBeGreaterThanOrEqual(27_000);
    expect(sum / k).toBeGreaterThan(32_000 * 0.98);
    expect(sum / k).toBeLessThan(32_000 * 1.02);
    // A mean below twice the gap clamps the gap to half the mean (shape 2).
    expect(paretoLatency(500, 5_000, 0)).toBe(250);
  });

  it('replaces uniform jitter in the network, deterministically per seed', () => {
    const draw = (seed: number) => {
      const n = new Network({ nodes: 2, regions: ONE_REGION, jitter: 0.1, loss: 0, duplication: 0, topology: { kind: 'full-mesh' }, partitions: [], clogs: [], latency: { kind: 'pareto', gapUs: 5_000 } }, seed);
      return Array.from({ length: 50 }, (_, i) => n.transfer(0, 1, 0, i * 1e6) - i * 1e6);
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(35_000);
    // Uniform ±10 % jitter would cap at 44 ms; Pareto's tail goes past it in 50 draws only rarely,
    // but its floor (35 ms) lies below uniform's (36 ms) — the two models are distinguishable.
    expect(a.some((x) => x < 36_000)).toBe(true);
  });
});

describe('random-degrees topology (SimBlock BitcoinCoreTable)', () => {
  it('assigns outbound degrees by quota from the shares', () => {
    const d = quotaDegrees(1000, DEGREE_PRESETS['bitcoin-2015'], Rng.stream(1, 'q'));
    const count = (k: number) => d.filter((x) => x === k).length;
    expect(count(1)).toBe(25);
    expect(count(5)).toBe(100);
    expect(count(16)).toBe(0);
    expect(count(20)).toBe(5);
    expect(d.reduce((a, b) => a + b, 0)).toBe(8645);
  });

  it('each node dials its quota of distinct new peers; inbound is unlimited; links are bidirectional', () => {
    const shares = DEGREE_PRESETS['bitcoin-2015'];
    const peers = buildTopology(1000, { kind: 'random-degrees', outboundShares: shares }, Rng.stream(5, 'network/topology'));
    const links = peers.reduce((a, p) => a + p.length, 0) / 2;
    // Every dial adds a new link, so links = Σ outbound degrees.
    expect(links).toBe(8645);
    const sets = peers.map((p) => new Set(p));
    const bad: string[] = [];
    for (let i = 0; i < peers.length; i++) {
      if (sets[i].has(i)) bad.push(`${i} links to itself`);
      if (sets[i].size !== peers[i].length) bad.push(`${i} lists a peer twice`);
      for (const j of peers[i]) if (!sets[j].has(i)) bad.push(`${i}→${j} is one-way`);
    }
    expect(bad).toEqual([]);
    // Unlimited inbound: some node ends with more than the largest outbound degree (20).
    expect(Math.max(...peers.map((p) => p.length))).toBeGreaterThan(20);
    const again = buildTopology(1000, { kind: 'random-degrees', outboundShares: shares }, Rng.stream(5, 'network/topology'));
    expect(again).toEqual(peers);
  });

  it('a degree of everyone on a tiny network stops at n − 1 peers', () => {
    const peers = buildTopology(4, { kind: 'random-degrees', outboundShares: [0, 0, 0, 0, 1] }, Rng.stream(1, 't'));
    for (const p of peers) expect(p.length).toBe(3);
  });
});
