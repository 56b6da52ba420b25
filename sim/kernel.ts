/**
 * The discrete-event kernel.
 *
 * One run = one `Simulation`: a set of sans-I/O protocol nodes, a `Network`, an event queue
 * ordered by (time, sequence number) and a run seed. Everything that happens is an event:
 * a message delivery, a timer, or an external action scheduled by the harness (workload,
 * fault injection). The kernel is single-threaded and uses no wall clock, so the same inputs
 * always deliver the same events in the same order; the trace hash (`trace.ts`) proves it.
 *
 * Virtual time does not advance while code runs (as in Shadow). A node may charge CPU time for
 * expensive work with `ctx.charge(us)`: its later sends in that handler leave later, and events
 * that reach it while it is busy wait until it is free.
 *
 * Crash and recovery: a crashed node receives nothing (deliveries are dropped and counted), its
 * timers are void (each crash starts a new incarnation, timers of older incarnations are
 * skipped) and its queued transmissions are forgotten. On recovery the kernel calls
 * `onRecover` (or `onStart` when the node has none).
 */
import { resized, TimeHeap } from './heap.ts';
import { Metrics, type MetricsSnapshot } from './metrics.ts';
import { Network, type NetworkOptions } from './network.ts';
import { deriveSeed, Rng, StreamBank } from './rng.ts';
import { EventKind, TraceHasher, type TraceEntry } from './trace.ts';
import type { Message, Micros, NodeContext, NodeId, Observation, Observer, ProtocolNode, TimerHandle, Violation } from './types.ts';

// Event kinds as module constants: the hot loop compares small integers (tsx compiles each file
// on its own, so an imported const enum would be a property load on every comparison).
const MESSAGE = EventKind.Message as number;
const TIMER = EventKind.Timer as number;
const EXTERNAL = EventKind.External as number;

/** A timer's trace type: the tag if it is a string, else its `type` field if that is one. */
function timerType(tag: unknown): string {
  if (typeof tag === 'string') return tag;
  const type = (tag as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? type : 'timer';
}

/** An external action scheduled by the harness; `label` is its trace type. */
interface ExternalAction {
  readonly label: string;
  readonly action: () => void;
}

/**
 * Event ids stay below 2²⁶; a handle is generation · 2²⁶ + id, and a slot is retired once its
 * generation reaches 2²⁷, so handles stay exact integers (< 2⁵³) and are never reused.
 */
const ID_LIMIT = 2 ** 26;
const GENERATION_LIMIT = 2 ** 27;

/**
 * The queued events, stored by id in parallel arrays; the queue orders the ids. An event is just
 * its row — kind, sender, receiver, payload (message, timer tag or external action), the
 * receiver's incarnation for timers, a cancelled flag — so neither sending nor setting a timer
 * allocates an event object, and the event loop reads small typed arrays instead of touching
 * objects scattered over the heap. Ids are reused as soon as their event is handled; a timer
 * handle names the id and its generation, so a stale handle cannot cancel a later event.
 */
class EventTable {
  kind = new Uint8Array(1024);
  from = new Int32Array(1024);
  to = new Int32Array(1024);
  /** Receiver incarnation when a timer was set (a crash voids the timers of older ones). */
  epoch = new Int32Array(1024);
  cancelled = new Uint8Array(1024);
  /** How many times each id has been used, from 1. */
  private generation = new Float64Array(1024);
  payload: unknown[] = [];
  private free = new Int32Array(1024);
  private freeCount = 0;

  add(kind: number, from: NodeId, to: NodeId, payload: unknown): number {
    let id: number;
    if (this.freeCount > 0) {
      id = this.free[--this.freeCount];
      this.payload[id] = payload;
    } else {
      id = this.payload.length;
      if (id === this.kind.length) this.grow();
      this.payload.push(payload);
      this.generation[id] = 1;
    }
    this.kind[id] = kind;
    this.from[id] = from;
    this.to[id] = to;
    return id;
  }

  /** The cancellation handle of event `id` (positive, so `if (handle)` works). */
  handle(id: number): TimerHandle {
    return (this.generation[id] * ID_LIMIT + id) as TimerHandle;
  }

  /** Cancels the event `handle` names, if it is still queued. */
  cancel(handle: TimerHandle): void {
    const id = handle % ID_LIMIT;
    if (id < this.payload.length && this.generation[id] === (handle - id) / ID_LIMIT) this.cancelled[id] = 1;
  }

  release(id: number): void {
    this.payload[id] = undefined; // do not keep a delivered message alive
    this.cancelled[id] = 0;
    if (++this.generation[id] < GENERATION_LIMIT) this.free[this.freeCount++] = id;
  }

  private grow(): void {
    const capacity = this.kind.length * 2;
    if (capacity > ID_LIMIT) throw new RangeError(`more than ${ID_LIMIT} events queued at once`);
    this.kind = resized(this.kind, capacity);
    this.from = resized(this.from, capacity);
    this.to = resized(this.to, capacity);
    this.epoch = resized(this.epoch, capacity);
    this.cancelled = resized(this.cancelled, capacity);
    this.generation = resized(this.generation, capacity);
    this.free = resized(this.free, capacity);
  }
}

export interface SimulationOptions<M extends Message = Message> {
  /** Run seed: decides every random draw of the run. */
  seed: number | string;
  /** Network model (nodes, regions, topology, faults). */
  network: NetworkOptions;
  /** Builds the protocol node with id `id`; called once per node, in id order. */
  createNode: (id: NodeId, network: Network) => ProtocolNode<M>;
  /** Virtual time limit, µs; events after it are not delivered. */
  endTimeUs: Micros;
  /** Stop after this many delivered events (a runaway guard); default unlimited. */
  maxEvents?: number;
  /** Invariant checkers and other observers. */
  observers?: Observer[];
  /** Recent events kept for failure reports; default 64. */
  historySize?: number;
  /** Keep `ctx.log` lines (default false: logging costs nothing when off). */
  debugLog?: boolean;
}

export type StopReason = 'drained' | 'end-time' | 'max-events' | 'violation' | 'stopped';

export interface RunResult {
  seed: number | string;
  /** Rolling SHA-256 over every delivered event (hex). */
  traceHash: string;
  /** Delivered events (messages, timers, external actions). */
  events: number;
  /** Virtual time reached, µs. */
  simTimeUs: Micros;
  stopReason: StopReason;
  /** First violated invariant, with the events that led up to it. */
  violation?: Violation & { history: TraceEntry[] };
  /**
   * Every invariant that fired on the violating event, in the order the checkers reported them,
   * each once (its first report; the first is `violation`); empty without a violation. One event can break several
   * invariants at once — a replica replacing a committed block breaks both no-revert and
   * agreement — and reports name them all.
   */
  violations: Violation[];
  metrics: MetricsSnapshot;
}

export class Simulation<M extends Message = Message> {
  readonly seed: number | string;
  readonly network: Network;
  readonly metrics = new Metrics();
  readonly nodes: ProtocolNode<M>[];
  readonly nodeCount: number;
  private readonly contexts: NodeContextImpl<M>[];
  private readonly queue = new TimeHeap();
  private readonly table = new EventTable();
  private readonly trace: TraceHasher;
  private readonly observers: Observer[];
  private readonly endTimeUs: Micros;
  private readonly maxEvents: number;
  private readonly debugLog: boolean;
  private readonly crashed: Uint8Array;
  private readonly epoch: Int32Array;
  private readonly busyUntil: Float64Array;
  /** Every node's default stream (`node/<id>/main`), packed side by side for cache locality. */
  readonly mainStreams: StreamBank;
  private seq = 0;
  private started = false;
  private stopped = false;
  private stopReason: StopReason = 'drained';
  private violationFound: (Violation & { history: TraceEntry[] }) | undefined;
  /** Every violation declared on the violating event (see `RunResult.violations`). */
  private readonly violationsFound: Violation[] = [];
  /** Delivered-event count when the first violation was declared. */
  private violationEvent = -1;
  /** Current virtual time, µs. */
  now: Micros = 0;
  /** Node whose handler is running, or −1. */
  private current: NodeId = -1;
  /** CPU time charged so far in the running handler, µs. */
  private charged: Micros = 0;
  readonly logLines: string[] = [];

  // Network accounting kept in plain fields (hot path); copied into metrics at the end.
  private sent = 0;
  private bytesSent = 0;
  private delivered = 0;
  private dropPartition = 0;
  private dropLoss = 0;
  private dropCrashed = 0;
  private duplicated = 0;

  constructor(options: SimulationOptions<M>) {
    this.seed = options.seed;
    this.network = new Network(options.network, options.seed);
    this.nodeCount = options.network.nodes;
    this.endTimeUs = options.endTimeUs;
    this.maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    this.observers = options.observers ?? [];
    this.debugLog = options.debugLog ?? false;
    this.trace = new TraceHasher(options.historySize ?? 64);
    const n = this.nodeCount;
    this.crashed = new Uint8Array(n);
    this.epoch = new Int32Array(n);
    this.busyUntil = new Float64Array(n);
    this.mainStreams = new StreamBank(this.seed, n, (id) => `node/${id}/main`);
    this.contexts = new Array(n);
    this.nodes = new Array(n);
    for (let i = 0; i < n; i++) {
      this.contexts[i] = new NodeContextImpl<M>(this, i);
      this.nodes[i] = options.createNode(i, this.network);
    }
  }

  /** Adds an observer (checker) before or during the run. */
  observe(observer: Observer): void {
    this.observers.push(observer);
  }

  /** The context of node `id` (for harness code acting on a node's behalf). */
  context(id: NodeId): NodeContext<M> {
    return this.contexts[id];
  }

  /** A harness-level random stream (workload, fault schedule), independent of node streams. */
  rng(label: string): Rng {
    return Rng.stream(this.seed, `harness/${label}`);
  }

  /** Schedules an external action (workload arrival, fault) at virtual time `time`. */
  at(time: Micros, label: string, action: () => void): TimerHandle {
    const id = this.table.add(EXTERNAL, -1, -1, { label, action } satisfies ExternalAction);
    this.queue.push(Math.max(time, this.now), this.seq++, id);
    return this.table.handle(id);
  }

  /** Cancels an external action or timer. */
  cancel(handle: TimerHandle): void {
    this.table.cancel(handle);
  }

  isCrashed(id: NodeId): boolean {
    return this.crashed[id] === 1;
  }

  /** Crashes node `id` now. */
  crash(id: NodeId): void {
    if (this.crashed[id]) return;
    this.crashed[id] = 1;
    this.epoch[id]++;
    this.busyUntil[id] = 0;
    this.network.resetNode(id, this.now);
    this.metrics.counter('node.crashes').inc();
    this.nodes[id].onCrash?.();
  }

  /** Recovers node `id` now. */
  recover(id: NodeId): void {
    if (!this.crashed[id]) return;
    this.crashed[id] = 0;
    this.metrics.counter('node.recoveries').inc();
    const node = this.nodes[id];
    this.runHandler(id, () => (node.onRecover ? node.onRecover(this.contexts[id]) : node.onStart?.(this.contexts[id])));
  }

  /**
   * Declares a violation: the run stops after the current event. The first is the run's
   * violation; the first report of each other invariant while the same event is handled is
   * kept beside it (`violations`); anything after that event is ignored.
   */
  fail(violation: Violation): void {
    const v = { ...violation, time: violation.time ?? this.now };
    if (this.violationFound) {
      // Same event: keep the first report of each further invariant.
      if (this.trace.count === this.violationEvent && !this.violationsFound.some((x) => x.invariant === v.invariant)) this.violationsFound.push(v);
      return;
    }
    this.violationFound = { ...v, history: this.trace.history() };
    this.violationsFound.push(v);
    this.violationEvent = this.trace.count;
    this.stopped = true;
    this.stopReason = 'violation';
  }

  /** Stops the run after the current event (e.g. the workload is done). */
  stop(): void {
    this.stopped = true;
    if (this.stopReason !== 'violation') this.stopReason = 'stopped';
  }

  get violation(): (Violation & { history: TraceEntry[] }) | undefined {
    return this.violationFound;
  }

  /** Events waiting in the queue (including cancelled ones not yet popped). */
  get pendingEvents(): number {
    return this.queue.size;
  }

  /** Events delivered so far. */
  get events(): number {
    return this.trace.count;
  }

  /** Runs until `untilUs` (default: the end time) or until stopped; can be called again to continue. */
  run(untilUs: Micros = this.endTimeUs): RunResult {
    const limit = Math.min(untilUs, this.endTimeUs);
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.nodeCount; i++) {
        const node = this.nodes[i];
        if (node.onStart) this.runHandler(i, () => node.onStart!(this.contexts[i]));
      }
    }
    // Locals for the hot loop (these references never change during a run; the event table's
    // arrays may grow inside a handler, so they are read from it each time).
    const queue = this.queue;
    const events = this.table;
    const crashed = this.crashed;
    const epoch = this.epoch;
    const busyUntil = this.busyUntil;
    const trace = this.trace;
    const nodes = this.nodes;
    const contexts = this.contexts;
    const maxEvents = this.maxEvents;
    this.stopped = this.violationFound !== undefined;
    while (!this.stopped) {
      if (queue.size === 0) {
        this.stopReason = 'drained';
        break;
      }
      const time = queue.peekTime();
      if (time > limit) {
        this.now = limit; // the event stays queued for a later run()
        this.stopReason = 'end-time';
        break;
      }
      const id = queue.pop();
      const kind = events.kind[id];
      const to = events.to[id];
      if (kind === MESSAGE) {
        if (crashed[to] === 1) {
          this.dropCrashed++;
          events.release(id);
          continue;
        }
        if (busyUntil[to] > time) {
          // The node is still busy with charged CPU work: handle this event when it is free.
          queue.push(busyUntil[to], this.seq++, id);
          continue;
        }
        const from = events.from[id];
        const msg = events.payload[id] as M;
        events.release(id);
        this.now = time;
        trace.record(time, MESSAGE, from, to, msg.type, msg.digest);
        this.delivered++;
        // Handlers are called right here, not through runHandler: no closure and no extra
        // call per event on the hottest path of the simulator.
        this.current = to;
        this.charged = 0;
        try {
          nodes[to].onMessage(contexts[to], from, msg);
        } catch (err) {
          this.handlerThrew(to, err);
        }
        this.handlerDone(to);
      } else {
        if (events.cancelled[id] === 1) {
          events.release(id);
          continue;
        }
        if (kind === TIMER) {
          if (crashed[to] === 1 || events.epoch[id] !== epoch[to]) {
            events.release(id); // a timer of a crashed node, or of an earlier incarnation
            continue;
          }
          if (busyUntil[to] > time) {
            queue.push(busyUntil[to], this.seq++, id);
            continue;
          }
          const tag = events.payload[id];
          events.release(id);
          this.now = time;
          trace.record(time, TIMER, to, to, timerType(tag), undefined);
          this.current = to;
          this.charged = 0;
          try {
            nodes[to].onTimer?.(contexts[to], tag);
          } catch (err) {
            this.handlerThrew(to, err);
          }
          this.handlerDone(to);
        } else {
          const external = events.payload[id] as ExternalAction;
          events.release(id);
          this.now = time;
          trace.record(time, EXTERNAL, -1, -1, external.label, undefined);
          try {
            external.action();
          } catch (err) {
            // Actions call into protocol code (workload, attacks): an exception there is a
            // crash of the run, reported like a handler's, not an error of the harness.
            this.fail({ kind: 'crash', invariant: 'no-exception', message: `action "${external.label}" threw: ${(err as Error)?.stack ?? err}` });
          }
        }
      }
      if (trace.count >= maxEvents && !this.stopped) {
        this.stopped = true;
        this.stopReason = 'max-events';
      }
    }
    if (this.stopReason === 'drained' || this.stopReason === 'end-time') {
      // Every end-of-run check runs: all that fire are reported together.
      for (const o of this.observers) {
        const v = o.onEnd?.(this.now);
        if (v) this.fail(v);
      }
    }
    return this.result();
  }

  /** A protocol bug must not be mistaken for a protocol outcome: stop with a crash report. */
  private handlerThrew(id: NodeId, err: unknown): void {
    this.fail({ kind: 'crash', invariant: 'no-exception', message: `node ${id} threw: ${(err as Error)?.stack ?? err}`, node: id });
  }

  /** After a handler: CPU time it charged keeps the node busy. */
  private handlerDone(id: NodeId): void {
    if (this.charged > 0) this.busyUntil[id] = this.now + this.charged;
    this.current = -1;
    this.charged = 0;
  }

  /** Runs `handler` on behalf of node `id` outside the event loop (start, recovery), nestable. */
  private runHandler(id: NodeId, handler: () => void): void {
    const previous = this.current;
    const previousCharged = this.charged;
    this.current = id;
    this.charged = 0;
    try {
      handler();
    } catch (err) {
      this.handlerThrew(id, err);
    }
    if (this.charged > 0) this.busyUntil[id] = this.now + this.charged;
    this.current = previous;
    this.charged = previousCharged;
  }

  // ---- operations behind NodeContext -------------------------------------------------------

  /** Virtual time as seen by node `id` (includes CPU charged in its running handler). */
  timeAt(id: NodeId): Micros {
    return this.current === id ? this.now + this.charged : this.now;
  }

  chargeCpu(id: NodeId, us: Micros): void {
    if (this.current === id && us > 0) this.charged += Math.round(us);
  }

  send(from: NodeId, to: NodeId, msg: M): void {
    if (this.crashed[from] === 1) return;
    if (to < 0 || to >= this.nodeCount) throw new RangeError(`send: no node ${to}`);
    const t = this.timeAt(from);
    this.sent++;
    this.bytesSent += msg.size;
    const net = this.network;
    if (net.blocked(from, to, t)) {
      this.dropPartition++;
      return;
    }
    if (net.loss > 0 && net.linkDraw(from) < net.loss) {
      this.dropLoss++;
      return;
    }
    this.queue.push(net.transfer(from, to, msg.size, t), this.seq++, this.table.add(MESSAGE, from, to, msg));
    if (net.duplication > 0 && net.linkDraw(from) < net.duplication) {
      this.duplicated++;
      this.queue.push(net.transfer(from, to, msg.size, t), this.seq++, this.table.add(MESSAGE, from, to, msg));
    }
  }

  setTimer(id: NodeId, delay: Micros, tag: unknown): TimerHandle {
    const table = this.table;
    const event = table.add(TIMER, id, id, tag);
    table.epoch[event] = this.epoch[id];
    this.queue.push(this.timeAt(id) + Math.max(0, Math.round(delay)), this.seq++, event);
    return table.handle(event);
  }

  emit(id: NodeId, obs: Observation): void {
    for (const o of this.observers) {
      const v = o.onObservation?.(id, obs, this.now);
      if (v) this.fail({ ...v, node: v.node ?? id });
    }
  }

  log(id: NodeId, line: string): void {
    if (this.debugLog) this.logLines.push(`${this.now}us node ${id}: ${line}`);
  }

  private result(): RunResult {
    const c = (name: string, v: number) => (this.metrics.counter(name).value = v);
    c('net.messages.sent', this.sent);
    c('net.messages.delivered', this.delivered);
    c('net.bytes.sent', this.bytesSent);
    c('net.dropped.partition', this.dropPartition);
    c('net.dropped.loss', this.dropLoss);
    c('net.dropped.crashed', this.dropCrashed);
    c('net.duplicated', this.duplicated);
    return {
      seed: this.seed,
      traceHash: this.trace.digest(),
      events: this.trace.count,
      simTimeUs: this.now,
      stopReason: this.stopReason,
      violation: this.violationFound,
      violations: [...this.violationsFound],
      metrics: this.metrics.snapshot(),
    };
  }
}

class NodeContextImpl<M extends Message> implements NodeContext<M> {
  private streams: Map<string, Rng> | undefined; // labelled streams, created on first use
  private mainStream: Rng | undefined; // the default stream, cached outside the map (hot path)
  /** Neighbours (the topology is fixed for the run, so the list is looked up once). */
  readonly peers: readonly NodeId[];

  constructor(
    private readonly sim: Simulation<M>,
    readonly id: NodeId,
  ) {
    this.peers = sim.network.peers[id];
  }

  get nodeCount(): number {
    return this.sim.nodeCount;
  }
  get region(): number {
    return this.sim.network.regionOf[this.id];
  }
  get metrics(): Metrics {
    return this.sim.metrics;
  }
  now(): Micros {
    return this.sim.timeAt(this.id);
  }
  send(to: NodeId, msg: M): void {
    this.sim.send(this.id, to, msg);
  }
  broadcast(msg: M, except?: NodeId): void {
    for (const p of this.peers) if (p !== except) this.sim.send(this.id, p, msg);
  }
  setTimer(delay: Micros, tag: unknown): TimerHandle {
    return this.sim.setTimer(this.id, delay, tag);
  }
  cancelTimer(handle: TimerHandle): void {
    this.sim.cancel(handle);
  }
  rng(label?: string): Rng {
    if (label === undefined) return (this.mainStream ??= this.sim.mainStreams.get(this.id));
    const streams = (this.streams ??= new Map());
    let r = streams.get(label);
    if (!r) streams.set(label, (r = Rng.stream(this.sim.seed, `node/${this.id}/${label}`)));
    return r;
  }
  seedFor(label: string): string {
    return deriveSeed(this.sim.seed, `node/${this.id}/crypto/${label}`);
  }
  charge(us: Micros): void {
    this.sim.chargeCpu(this.id, us);
  }
  emit(observation: Observation): void {
    this.sim.emit(this.id, observation);
  }
  log(line: string): void {
    this.sim.log(this.id, line);
  }
}
