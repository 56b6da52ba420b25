/**
 * The contract between the simulator and protocol code.
 *
 * Protocol nodes are sans-I/O state machines: they never see sockets, clocks or the event queue.
 * The simulator calls `onStart`, `onMessage` and `onTimer`, always passing the node's
 * `NodeContext`, and the node acts only through that context. Nothing here refers to a specific
 * protocol: the kernel imports no protocol code.
 */
import type { Rng } from './rng.ts';
import type { Metrics } from './metrics.ts';

/** Node identifier: a dense integer 0 … nodes − 1. */
export type NodeId = number;

/** Virtual time, an integer number of microseconds since the start of the run. */
export type Micros = number;

/** A message on the simulated wire. Protocols extend this with their own fields. */
export interface Message {
  /** Message kind, e.g. `inv`, `block`, `pre-prepare`; part of the trace hash. */
  readonly type: string;
  /** Bytes on the wire (header and payload); drives transmission time. Must be ≥ 0. */
  readonly size: number;
  /**
   * Identifies the payload for the trace hash: a content hash (hex string) or a number.
   * Messages of the same type and size but different content should differ here.
   */
  readonly digest?: string | number;
}

/**
 * Handle of a pending timer; pass it to `cancelTimer`. An opaque positive number (never 0, so
 * `if (handle)` works); a handle whose timer has fired or been cancelled cancels nothing.
 */
export type TimerHandle = number & { readonly __brand: 'TimerHandle' };

/** A fact a node reports about itself for checkers (commits, confirmations, …). */
export interface Observation {
  /** Observation kind, e.g. `commit`; checkers dispatch on it. */
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** What a protocol node may do; one per node. */
export interface NodeContext<M extends Message = Message> {
  /** This node's id. */
  readonly id: NodeId;
  /** Total number of nodes in the run. */
  readonly nodeCount: number;
  /** Index of this node's region in the network's region table. */
  readonly region: number;
  /** Neighbours in the topology; `broadcast` sends to these. */
  readonly peers: readonly NodeId[];
  /** Shared metrics registry of the run. */
  readonly metrics: Metrics;
  /** Current virtual time (µs), including any CPU time charged in this handler. */
  now(): Micros;
  /** Sends `msg` to any node (direct connection), subject to the network model. */
  send(to: NodeId, msg: M): void;
  /** Sends `msg` to every peer except `except`. */
  broadcast(msg: M, except?: NodeId): void;
  /** Calls `onTimer(ctx, tag)` after `delay` µs of virtual time unless cancelled or crashed. */
  setTimer(delay: Micros, tag: unknown): TimerHandle;
  /** Cancels a pending timer; cancelling a fired or cancelled timer does nothing. */
  cancelTimer(handle: TimerHandle): void;
  /** This node's seeded random stream for `label` (independent of every other stream). */
  rng(label?: string): Rng;
  /**
   * A seed string for (run seed, this node, label), for seeding a cryptographic generator
   * (e.g. `seededRandom(ctx.seedFor('keys'), 'keys')`) without the kernel knowing about crypto.
   */
  seedFor(label: string): string;
  /**
   * Charges `us` microseconds of CPU time (e.g. a signature check): later sends in this handler
   * leave that much later, and the node handles its next event no earlier than now + charged.
   */
  charge(us: Micros): void;
  /** Reports a fact to the run's observers (invariant checkers). */
  emit(observation: Observation): void;
  /** Debug log line, kept only when the run's log level asks for it. */
  log(line: string): void;
}

/** A protocol node: a state machine driven by the simulator. */
export interface ProtocolNode<M extends Message = Message> {
  /** Called once at time 0 (and, unless `onRecover` exists, after each recovery). */
  onStart?(ctx: NodeContext<M>): void;
  /** Called when a message arrives. `from` is the sending node. */
  onMessage(ctx: NodeContext<M>, from: NodeId, msg: M): void;
  /** Called when a timer set with `setTimer` fires. */
  onTimer?(ctx: NodeContext<M>, tag: unknown): void;
  /** Called when the node crashes: drop volatile state here. Timers are cancelled by the kernel. */
  onCrash?(): void;
  /** Called when the node recovers from a crash. */
  onRecover?(ctx: NodeContext<M>): void;
}

/** Kinds of failure a run can end with; exit codes follow TigerBeetle's VOPR split. */
export type ViolationKind = 'safety' | 'liveness' | 'crash';

/** A violated invariant: stops the run. */
export interface Violation {
  kind: ViolationKind;
  /** Invariant name, e.g. `agreement`. */
  invariant: string;
  /** Human-readable details. */
  message: string;
  /** Virtual time of detection (µs); filled in by the kernel. */
  time?: Micros;
  /** Node where it was detected, if any. */
  node?: NodeId;
}

/** Watches observations and the run; may declare a violation. */
export interface Observer {
  /** Invariant or observer name, for reports. */
  readonly name: string;
  /** A node emitted an observation. Return a violation to stop the run. */
  onObservation?(node: NodeId, obs: Observation, now: Micros): Violation | undefined;
  /** The run ended without an earlier violation; a final check (e.g. liveness). */
  onEnd?(now: Micros): Violation | undefined;
}
