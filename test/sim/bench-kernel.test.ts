import { describe, expect, it } from 'vitest';
import { benchKernel, pingSimulation } from '../../sim/bench-kernel.ts';

// The kernel benchmark's numbers are checked by `medsim bench kernel`, not here; this only
// checks that a tiny run reports every documented field consistently and replays its workload.
describe('medsim bench kernel (tiny run)', () => {
  it('reports the documented fields, and the same workload gives the same trace hash', () => {
    const options = { nodes: 50, events: 20_000, repetitions: 3, scaleNodes: 200 };
    const a = benchKernel(options);
    const b = benchKernel(options);
    for (const key of ['eventsPerSec', 'baselineEventsPerSec', 'ratio', 'nodes', 'events', 'rssMb'] as const) {
      expect(a[key]).toBeGreaterThan(0);
    }
    expect(a.events).toBe(20_000);
    expect(a.nodes).toBe(50);
    expect(a.ratioRange[0]).toBeLessThanOrEqual(a.ratio);
    expect(a.ratio).toBeLessThanOrEqual(a.ratioRange[1]);
    expect(a.ownQueue.eventsPerSec).toBeGreaterThan(0);
    expect(a.ownQueue.ratioRange[0]).toBeLessThanOrEqual(a.ownQueue.ratio);
    expect(a.queueDepth).toBeGreaterThan(50); // one timer per node plus messages in flight
    expect(a.scale.events).toBeGreaterThan(0);
    expect(a.traceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.traceHash).toBe(a.traceHash);
  });
});

describe('kernel event order is pinned', () => {
  it('the ping-storm workload keeps the trace hash it had before the kernel kept events in typed arrays', () => {
    // Reworking the kernel's internals for speed must not move a single event. This hash was
    // produced by the kernel of an object-per-event heap and seedrandom's own Alea closures, and
    // the typed-array kernel reproduces it (as it does all 23 scenario files' hashes). Change
    // it only with a deliberate change to the model (network arithmetic, stream labels, trace
    // record layout), and say so in the commit.
    const result = pingSimulation(200, 1, 50_000).run();
    expect(result.events).toBe(50_000);
    expect(result.traceHash).toBe('dbee98719937159ff9e17b15728ce6bbc517a58bc717943030ee1b2129e339a8');
  });
});
