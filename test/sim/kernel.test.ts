import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeHeap } from '../../sim/heap.ts';
import { Simulation, type SimulationOptions } from '../../sim/kernel.ts';
import { Metrics } from '../../sim/metrics.ts';
import type { NetworkOptions } from '../../sim/network.ts';
import { REGION_PRESETS, type RegionTable } from '../../sim/regions.ts';
import { deriveSeed, Rng, StreamBank } from '../../sim/rng.ts';
import seedrandom from 'seedrandom';
import type { Message, NodeContext, NodeId, Observer, ProtocolNode, TimerHandle } from '../../sim/types.ts';

interface Note extends Message {
  readonly type: string;
  readonly size: number;
  readonly n?: number;
}

/** Two regions, 10 ms inside a region and 50 ms across; 8 Mbps up, 16 Mbps down. */
const TWO_REGIONS: RegionTable = {
  names: ['a', 'b'],
  latencyMs: [
    [10, 50],
    [50, 10],
  ],
  uploadBps: [8_000_000, 8_000_000],
  downloadBps: [16_000_000, 16_000_000],
  distribution: [0.5, 0.5],
};

function net(nodes: number, extra: Partial<NetworkOptions> = {}): NetworkOptions {
  return { nodes, regions: TWO_REGIONS, jitter: 0, loss: 0, duplication: 0, topology: { kind: 'full-mesh' }, partitions: [], clogs: [], ...extra };
}

/** Records every delivery; behaviour supplied per test. */
class Recorder implements ProtocolNode<Note> {
  got: { at: number; from: NodeId; msg: Note }[] = [];
  timers: { at: number; tag: unknown }[] = [];
  constructor(
    private readonly start?: (ctx: NodeContext<Note>) => void,
    private readonly onTick?: (ctx: NodeContext<Note>, tag: unknown) => void,
  ) {}
  onStart(ctx: NodeContext<Note>) {
    this.start?.(ctx);
  }
  onMessage(ctx: NodeContext<Note>, from: NodeId, msg: Note) {
    this.got.push({ at: ctx.now(), from, msg });
  }
  onTimer(ctx: NodeContext<Note>, tag: unknown) {
    this.timers.push({ at: ctx.now(), tag });
    this.onTick?.(ctx, tag);
  }
}

function sim(nodes: Recorder[], extra: Partial<SimulationOptions<Note>> = {}, network = net(nodes.length)) {
  return new Simulation<Note>({ seed: 7, network, createNode: (id) => nodes[id], endTimeUs: 60_000_000, ...extra });
}

describe('event queue', () => {
  it('orders by time, then by scheduling order (ties are FIFO)', () => {
    const h = new TimeHeap();
    const items = [
      { time: 5, name: 'a' },
      { time: 1, name: 'b' },
      { time: 5, name: 'c' },
      { time: 1, name: 'd' },
      { time: 3, name: 'e' },
    ];
    items.forEach((item, i) => h.push(item.time, i, i));
    const out: string[] = [];
    while (h.size) out.push(items[h.pop()].name);
    expect(out).toEqual(['b', 'd', 'e', 'a', 'c']);
    expect(h.pop()).toBe(-1);
    expect(h.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });

  it('matches a sorted reference under any interleaving of pushes and pops, across growth', () => {
    // Each command pushes an entry with a small time (many ties) or pops one; the heap must pop
    // exactly what a stable sort by (time, seq) of the live entries would give first.
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 3000 }), (commands) => {
        const h = new TimeHeap();
        const live: { time: number; seq: number }[] = [];
        let seq = 0;
        for (const c of commands) {
          if (c >= 0) {
            h.push(c, seq, seq);
            live.push({ time: c, seq: seq++ });
          } else {
            live.sort((a, b) => a.time - b.time || a.seq - b.seq);
            const expected = live.shift();
            expect(h.peekTime()).toBe(expected?.time ?? Number.POSITIVE_INFINITY);
            expect(h.pop()).toBe(expected?.seq ?? -1);
          }
          expect(h.size).toBe(live.length);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('delivers same-time events in the order they were scheduled', () => {
    const a = new Recorder((ctx) => {
      for (let i = 0; i < 5; i++) ctx.setTimer(1000, `t${i}`);
    });
    sim([a]).run();
    expect(a.timers.map((t) => t.tag)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(a.timers.every((t) => t.at === 1000)).toBe(true);
  });
});

describe('timers', () => {
  it('fires at now + delay and can be cancelled', () => {
    const a = new Recorder((ctx) => {
      ctx.setTimer(500, 'keep');
      const h = ctx.setTimer(300, 'cancel-me');
      ctx.setTimer(100, 'early');
      ctx.cancelTimer(h);
    });
    const s = sim([a]);
    const res = s.run();
    expect(a.timers).toEqual([
      { at: 100, tag: 'early' },
      { at: 500, tag: 'keep' },
    ]);
    expect(res.events).toBe(2); // the cancelled timer is not delivered
  });

  it('cancelling an already fired timer is harmless', () => {
    let handle: ReturnType<NodeContext['setTimer']> | undefined;
    const a = new Recorder(
      (ctx) => {
        handle = ctx.setTimer(10, 'first');
      },
      (ctx, tag) => {
        if (tag === 'first') {
          ctx.cancelTimer(handle!);
          ctx.setTimer(10, 'second');
        }
      },
    );
    sim([a]).run();
    expect(a.timers.map((t) => t.tag)).toEqual(['first', 'second']);
  });

  it('a stale handle cannot cancel the later event that reuses its slot', () => {
    // 'second' is set while 'first' fires, so it takes the event id 'first' just freed; the
    // handle of 'first' must still cancel nothing.
    const handles: TimerHandle[] = [];
    const a = new Recorder(
      (ctx) => {
        handles.push(ctx.setTimer(10, 'first'));
      },
      (ctx, tag) => {
        if (tag === 'first') {
          handles.push(ctx.setTimer(10, 'second'));
          ctx.cancelTimer(handles[0]);
        }
      },
    );
    sim([a]).run();
    expect(a.timers.map((t) => t.tag)).toEqual(['first', 'second']);
    expect(handles[0] % 2 ** 26).toBe(handles[1] % 2 ** 26); // same slot, different generation
    expect(handles[0]).not.toBe(handles[1]);
    expect(handles.every((h) => h > 0)).toBe(true);
  });

  it('a timer waiting for its busy node can still be cancelled', () => {
    let victim: TimerHandle | undefined;
    const a = new Recorder(
      (ctx) => {
        ctx.setTimer(10, 'busy');
        victim = ctx.setTimer(20, 'victim'); // due while the node is busy: re-queued for t = 110
        ctx.setTimer(200, 'after');
      },
      (ctx, tag) => {
        if (tag === 'busy') ctx.charge(100);
      },
    );
    // Node 1 cancels node 0's waiting timer at t = 50 (harness code may hold any handle).
    const b = new Recorder((ctx) => ctx.setTimer(50, 'cancel'), (ctx) => ctx.cancelTimer(victim!));
    sim([a, b]).run();
    expect(a.timers.map((t) => t.tag)).toEqual(['busy', 'after']);
  });
});

describe('random streams', () => {
  it('are reproducible per (seed, label)', () => {
    const x = Rng.stream(5, 'node/1/main');
    const y = Rng.stream(5, 'node/1/main');
    for (let i = 0; i < 100; i++) expect(x.next()).toBe(y.next());
    expect(Rng.stream(5, 'node/1/main').next()).not.toBe(Rng.stream(6, 'node/1/main').next());
  });

  it('extra draws in one stream leave another unchanged', () => {
    const reference = Rng.stream(9, 'b');
    const expected = Array.from({ length: 20 }, () => reference.next());
    const a = Rng.stream(9, 'a');
    const b = Rng.stream(9, 'b');
    const got: number[] = [];
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < i; k++) a.next(); // perturb stream a a lot
      got.push(b.next());
    }
    expect(got).toEqual(expected);
  });

  it('node streams are isolated inside a simulation', () => {
    // Node 1's draws must not depend on how much node 0 draws.
    const run = (node0Draws: number) => {
      let seen = 0;
      const nodes = [new Recorder((ctx) => { for (let i = 0; i < node0Draws; i++) ctx.rng().next(); }), new Recorder((ctx) => { seen = ctx.rng().next(); })];
      sim(nodes).run();
      return seen;
    };
    expect(run(0)).toBe(run(1000));
  });

  it('yield exactly the numbers of seedrandom.alea for the same seed string', () => {
    // Rng steps Alea over a packed state for speed; it must stay draw-for-draw identical to the
    // library, including after the carry has wrapped many times.
    for (const seed of ['', 'a', deriveSeed(1, 'node/0/main'), deriveSeed('x', 'network/link/7')]) {
      const ours = new Rng(seed);
      const theirs = seedrandom.alea(seed);
      for (let i = 0; i < 20_000; i++) expect(ours.next()).toBe(theirs());
    }
  });

  it('a stream bank gives each index the stream Rng.stream gives its label, however draws interleave', () => {
    const bank = new StreamBank(42, 50, (i) => `node/${i}/main`);
    const reference = Array.from({ length: 50 }, (_, i) => Rng.stream(42, `node/${i}/main`));
    const order = Rng.stream(1, 'order');
    for (let k = 0; k < 5000; k++) {
      const i = order.int(50);
      expect(bank.get(i).next()).toBe(reference[i].next());
    }
    expect(() => bank.get(50)).toThrow(RangeError);
  });

  it('samples exponential variates with the requested mean', () => {
    const r = Rng.stream(3, 'exp');
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) sum += r.exponential(50);
    expect(sum / n).toBeGreaterThan(49);
    expect(sum / n).toBeLessThan(51);
  });
});

describe('network arithmetic', () => {
  it('arrival = propagation latency + size / min(upload, download) on an idle link', () => {
    const receiver = new Recorder();
    const network = net(2);
    const s = sim([new Recorder((ctx) => ctx.send(1, { type: 'blob', size: 1_000_000 })), receiver], {}, network);
    s.run();
    const lat = s.network.meanLatencyUs(0, 1); // 10 ms or 50 ms depending on placement
    expect([10_000, 50_000]).toContain(lat);
    // 1 MB = 8 Mbit at 8 Mbps upload (the bottleneck) = 1 s.
    expect(receiver.got[0].at).toBe(lat + 1_000_000);
  });

  it('a second message queues behind the first on the sender upload link', () => {
    const receiver = new Recorder();
    const s = sim([new Recorder((ctx) => { ctx.send(1, { type: 'blob', size: 1_000_000 }); ctx.send(1, { type: 'ping', size: 100 }); }), receiver]);
    s.run();
    const lat = s.network.meanLatencyUs(0, 1);
    expect(receiver.got.map((g) => g.msg.type)).toEqual(['blob', 'ping']);
    // The ping leaves when the blob's upload ends (1 s) and takes 100 B at 8 Mbps = 100 µs.
    expect(receiver.got[1].at).toBe(1_000_000 + 100 + lat);
  });

  it('the receiver download rate limits a message when it is the bottleneck', () => {
    const receiver = new Recorder();
    const network = net(2, { uploadBps: 16_000_000, downloadBps: 8_000_000, regions: { ...TWO_REGIONS, latencyMs: [[10, 10], [10, 10]] } });
    sim([new Recorder((ctx) => ctx.send(1, { type: 'blob', size: 1_000_000 })), receiver], {}, network).run();
    // 8 Mbit at 8 Mbps download (slower than the 16 Mbps upload) = 1 s, plus 10 ms.
    expect(receiver.got[0].at).toBe(1_000_000 + 10_000);
  });

  it('jitter keeps latency within ±jitter of the mean', () => {
    const receiver = new Recorder();
    const network = net(2, { jitter: 0.2 });
    const s = sim([new Recorder((ctx) => { for (let i = 0; i < 200; i++) ctx.setTimer(i * 100_000, 'go'); }, (ctx) => ctx.send(1, { type: 'ping', size: 0 })), receiver], {}, network);
    s.run();
    const lat = s.network.meanLatencyUs(0, 1);
    const delays = receiver.got.map((g, i) => g.at - i * 100_000);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(Math.floor(lat * 0.8));
    expect(Math.max(...delays)).toBeLessThanOrEqual(Math.ceil(lat * 1.2));
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it('clogged links add their delay only inside the window', () => {
    const receiver = new Recorder();
    const network = net(2, { clogs: [{ startUs: 0, endUs: 50_000, delayUs: 2_000_000 }] });
    const s = sim([new Recorder((ctx) => { ctx.send(1, { type: 'a', size: 0 }); ctx.setTimer(100_000, 'later'); }, (ctx) => ctx.send(1, { type: 'b', size: 0 })), receiver], {}, network);
    s.run();
    const lat = s.network.meanLatencyUs(0, 1);
    expect(receiver.got.find((g) => g.msg.type === 'a')!.at).toBe(lat + 2_000_000);
    expect(receiver.got.find((g) => g.msg.type === 'b')!.at).toBe(100_000 + lat);
  });
});

describe('faults', () => {
  const sender = (count: number, every: number) =>
    new Recorder(
      (ctx) => ctx.setTimer(every, 0),
      (ctx, tag) => {
        const i = tag as number;
        ctx.send(1, { type: 'ping', size: 10, n: i });
        if (i + 1 < count) ctx.setTimer(every, i + 1);
      },
    );

  it('partitions drop messages between groups only while active', () => {
    const receiver = new Recorder();
    const network = net(2, { partitions: [{ startUs: 250_000, endUs: 650_000, groups: [[0], [1]], direction: 'both' }] });
    const s = sim([sender(10, 100_000), receiver], {}, network);
    const res = s.run();
    // Sends at 100..1000 ms; those at 300, 400, 500, 600 ms fall inside the partition.
    expect(receiver.got.map((g) => g.msg.n)).toEqual([0, 1, 6, 7, 8, 9]);
    expect(res.metrics.counters['net.dropped.partition']).toBe(4);
  });

  it('one-way partitions block only traffic from the first group', () => {
    const network = net(2, { partitions: [{ startUs: 0, endUs: 1_000_000, groups: [[0], [1]], direction: 'one-way' }] });
    const nodes = [new Recorder((ctx) => ctx.send(1, { type: 'x', size: 1 })), new Recorder((ctx) => ctx.send(0, { type: 'y', size: 1 }))];
    const res = sim(nodes, {}, network).run();
    expect(nodes[1].got).toHaveLength(0); // 0 → 1 blocked
    expect(nodes[0].got.map((g) => g.msg.type)).toEqual(['y']); // 1 → 0 passes
    expect(res.metrics.counters['net.dropped.partition']).toBe(1);
  });

  it('loss drops about the configured fraction, reproducibly', () => {
    const run = () => {
      const receiver = new Recorder();
      const res = sim([sender(2000, 1000), receiver], {}, net(2, { loss: 0.25 })).run();
      return { got: receiver.got.length, hash: res.traceHash, lost: res.metrics.counters['net.dropped.loss'] };
    };
    const first = run();
    expect(first.got + first.lost).toBe(2000);
    expect(first.lost).toBeGreaterThan(400);
    expect(first.lost).toBeLessThan(600);
    expect(run()).toEqual(first);
  });

  it('duplication delivers some messages twice', () => {
    const receiver = new Recorder();
    const res = sim([sender(1000, 1000), receiver], {}, net(2, { duplication: 0.1 })).run();
    expect(receiver.got.length).toBe(1000 + res.metrics.counters['net.duplicated']);
    expect(res.metrics.counters['net.duplicated']).toBeGreaterThan(50);
  });

  it('a crashed node receives nothing, loses its timers, and restarts on recovery', () => {
    let starts = 0;
    const victim = new Recorder(
      (ctx) => {
        starts++;
        ctx.setTimer(150_000, 'from-incarnation-' + starts);
      },
    );
    const s = sim([sender(10, 100_000), victim]);
    s.at(250_000, 'crash', () => s.crash(1));
    s.at(550_000, 'recover', () => s.recover(1));
    const res = s.run();
    // Pings sent at 100..1000 ms arrive ~10-50 ms later; those arriving while down are lost.
    const lat = s.network.meanLatencyUs(0, 1);
    const expected = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => k * 100_000 + lat + 10).filter((t) => t < 250_000 || t >= 550_000);
    expect(victim.got.map((g) => g.at)).toEqual(expected);
    expect(res.metrics.counters['net.dropped.crashed']).toBe(10 - expected.length);
    // The first incarnation's timer (due at 150 ms) fired; the recovered node's one too.
    expect(victim.timers.map((t) => t.tag)).toEqual(['from-incarnation-1', 'from-incarnation-2']);
    expect(starts).toBe(2);
  });

  it('timers of a crashed incarnation never fire', () => {
    const victim = new Recorder((ctx) => ctx.setTimer(500_000, 'late'));
    const s = sim([victim]);
    s.at(100_000, 'crash', () => s.crash(0));
    s.run();
    expect(victim.timers).toHaveLength(0);
  });
});

describe('CPU charging', () => {
  it('delays sends after the charge and defers events until the node is free', () => {
    const receiver = new Recorder();
    const busy = new Recorder(
      (ctx) => {
        ctx.charge(5_000);
        ctx.send(1, { type: 'after-work', size: 0 });
        ctx.setTimer(1_000, 'due-while-busy');
      },
    );
    const s = sim([busy, receiver], {}, net(2, { regions: { ...TWO_REGIONS, latencyMs: [[1, 1], [1, 1]] } }));
    s.run();
    expect(receiver.got[0].at).toBe(5_000 + 1_000);
    // Set at virtual time 5 ms (after the charge) for 1 ms later.
    expect(busy.timers[0].at).toBe(6_000);
  });
});

describe('observers and violations', () => {
  it('stops the run at the first violation with the recent history', () => {
    const checker: Observer = {
      name: 'no-odd',
      onObservation: (node, obs) => ((obs.value as number) % 2 === 1 ? { kind: 'safety', invariant: 'no-odd', message: `node ${node} saw odd` } : undefined),
    };
    const a = new Recorder(
      (ctx) => ctx.setTimer(10, 0),
      (ctx, tag) => {
        ctx.emit({ kind: 'value', value: tag });
        ctx.setTimer(10, (tag as number) + 2 - ((tag as number) >= 4 ? 1 : 0));
      },
    );
    const res = sim([a], { observers: [checker] }).run();
    expect(res.stopReason).toBe('violation');
    expect(res.violation?.invariant).toBe('no-odd');
    expect(res.violation?.time).toBe(40);
    expect(res.violation?.history.map((h) => h.time)).toEqual([10, 20, 30, 40]);
  });

  it('an exception in protocol code stops the run as a crash, not silently', () => {
    const bad = new Recorder(undefined, () => {
      throw new Error('boom');
    });
    const s = sim([bad]);
    s.context(0).setTimer(5, 'x');
    const res = s.run();
    expect(res.violation?.kind).toBe('crash');
    expect(res.violation?.message).toContain('boom');
  });

  it('onEnd checks run when the run ends without an earlier violation', () => {
    const res = sim([new Recorder()], { observers: [{ name: 'live', onEnd: () => ({ kind: 'liveness', invariant: 'progress', message: 'nothing happened' }) }] }).run();
    expect(res.violation?.kind).toBe('liveness');
    expect(res.violations.map((v) => v.invariant)).toEqual(['progress']);
  });

  it('reports every invariant that fires on the violating event, each once, and none from later events', () => {
    // Three checkers: "first" and "implied" fire on the same observation (as agreement and
    // no-revert do when a replica replaces a committed block); "later" fires only on the next one.
    const on = (name: string, when: (v: number) => boolean): Observer => ({
      name,
      onObservation: (_n, obs) => (when(obs.value as number) ? { kind: 'safety', invariant: name, message: `${name} at ${obs.value}` } : undefined),
    });
    const a = new Recorder(
      (ctx) => ctx.setTimer(10, 0),
      (ctx) => {
        ctx.emit({ kind: 'value', value: 1 });
        ctx.emit({ kind: 'value', value: 1 }); // the same invariants again, same event
        ctx.emit({ kind: 'value', value: 2 }); // still the same event: "later" counts too
      },
    );
    const res = sim([a], { observers: [on('first', (v) => v === 1), on('implied', (v) => v === 1), on('later', (v) => v === 2)] }).run();
    expect(res.violation?.invariant).toBe('first');
    expect(res.violations.map((v) => v.invariant)).toEqual(['first', 'implied', 'later']);
    expect(res.violations.every((v) => v.time === 10)).toBe(true);
    // A violation in a later event is not part of the report: the run stopped before it.
    const b = new Recorder(
      (ctx) => {
        ctx.setTimer(10, 1);
        ctx.setTimer(10, 2);
      },
      (ctx, tag) => ctx.emit({ kind: 'value', value: tag }),
    );
    const r2 = sim([b], { observers: [on('first', (v) => v === 1), on('later', (v) => v === 2)] }).run();
    expect(r2.violations.map((v) => v.invariant)).toEqual(['first']);
  });

  it('an exception in a scheduled action (workload, attack) is a crash of the run, not an error of the caller', () => {
    const s = sim([new Recorder()]);
    s.at(5, 'workload', () => {
      throw new Error('bad workload');
    });
    const res = s.run();
    expect(res.violation).toMatchObject({ kind: 'crash', invariant: 'no-exception' });
    expect(res.violation?.message).toContain('bad workload');
  });
});

describe('metrics', () => {
  it('histograms report exact percentiles', () => {
    const m = new Metrics();
    const h = m.histogram('x');
    for (let i = 1; i <= 101; i++) h.observe(i);
    expect(h.percentile(0.5)).toBe(51);
    expect(h.percentile(0.9)).toBe(91);
    expect(h.summary()).toMatchObject({ count: 101, min: 1, max: 101, mean: 51 });
    m.counter('b').inc(2);
    m.counter('a').inc();
    expect(Object.keys(m.snapshot().counters)).toEqual(['a', 'b']);
  });
});

describe('determinism', () => {
  const gossipish = (seed: number) => {
    const nodes = Array.from({ length: 50 }, () => new Recorder(
      (ctx) => ctx.setTimer(ctx.rng().exponential(10_000), 'tick'),
      (ctx) => {
        ctx.send(ctx.peers[ctx.rng().int(ctx.peers.length)], { type: 'ping', size: 500, digest: ctx.id });
        if (ctx.now() < 2_000_000) ctx.setTimer(ctx.rng().exponential(10_000), 'tick');
      },
    ));
    return new Simulation<Note>({
      seed,
      network: { nodes: 50, regions: REGION_PRESETS['bitcoin-2019'], jitter: 0.1, loss: 0.01, duplication: 0.01, topology: { kind: 'random', degree: 4 }, partitions: [{ startUs: 500_000, endUs: 900_000, split: 0.5, direction: 'both' }], clogs: [] },
      createNode: (id) => nodes[id],
      endTimeUs: 5_000_000,
    }).run();
  };

  it('same seed gives the same trace hash; a different seed a different one', () => {
    const a = gossipish(1);
    const b = gossipish(1);
    const c = gossipish(2);
    expect(a.events).toBeGreaterThan(5000);
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.metrics).toEqual(b.metrics);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('stepping the run in slices gives the same trace as one run', () => {
    const whole = gossipish(3);
    // Re-run in slices using the same construction.
    const nodes = Array.from({ length: 50 }, () => new Recorder(
      (ctx) => ctx.setTimer(ctx.rng().exponential(10_000), 'tick'),
      (ctx) => {
        ctx.send(ctx.peers[ctx.rng().int(ctx.peers.length)], { type: 'ping', size: 500, digest: ctx.id });
        if (ctx.now() < 2_000_000) ctx.setTimer(ctx.rng().exponential(10_000), 'tick');
      },
    ));
    const s = new Simulation<Note>({
      seed: 3,
      network: { nodes: 50, regions: REGION_PRESETS['bitcoin-2019'], jitter: 0.1, loss: 0.01, duplication: 0.01, topology: { kind: 'random', degree: 4 }, partitions: [{ startUs: 500_000, endUs: 900_000, split: 0.5, direction: 'both' }], clogs: [] },
      createNode: (id) => nodes[id],
      endTimeUs: 5_000_000,
    });
    for (let t = 100_000; t < 5_000_000; t += 100_000) s.run(t);
    expect(s.run().traceHash).toBe(whole.traceHash);
  });
});
