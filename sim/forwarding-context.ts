/**
 * A `NodeContext` that forwards every operation to another context.
 *
 * For protocol code that runs one state machine inside another node (a DPoS delegate hosting a
 * PBFT replica) or wraps honest code (an adversary intercepting a replica's sends): extend it
 * and override only what changes, so the forwarding of the rest is written once.
 */
import type { Metrics } from './metrics.ts';
import type { Rng } from './rng.ts';
import type { Message, Micros, NodeContext, NodeId, Observation, TimerHandle } from './types.ts';

export class ForwardingContext<M extends Message> implements NodeContext<M> {
  /** `inner` may carry a wider message type than `M` (e.g. the host protocol's union). */
  constructor(readonly inner: NodeContext<Message>) {}

  get id(): NodeId {
    return this.inner.id;
  }
  get nodeCount(): number {
    return this.inner.nodeCount;
  }
  get region(): number {
    return this.inner.region;
  }
  get peers(): readonly NodeId[] {
    return this.inner.peers;
  }
  get metrics(): Metrics {
    return this.inner.metrics;
  }
  now(): Micros {
    return this.inner.now();
  }
  send(to: NodeId, msg: M): void {
    this.inner.send(to, msg);
  }
  broadcast(msg: M, except?: NodeId): void {
    this.inner.broadcast(msg, except);
  }
  setTimer(delay: Micros, tag: unknown): TimerHandle {
    return this.inner.setTimer(delay, tag);
  }
  cancelTimer(handle: TimerHandle): void {
    this.inner.cancelTimer(handle);
  }
  rng(label?: string): Rng {
    return this.inner.rng(label);
  }
  seedFor(label: string): string {
    return this.inner.seedFor(label);
  }
  charge(us: Micros): void {
    this.inner.charge(us);
  }
  emit(observation: Observation): void {
    this.inner.emit(observation);
  }
  log(line: string): void {
    this.inner.log(line);
  }
}
