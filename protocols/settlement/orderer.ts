/**
 * An ordering node: a PBFT replica (protocols/pbft, composed through `ReplicaHooks` exactly as
 * DPoS composes it — no second consensus) plus the delivery of executed blocks to the committing
 * peers (committer.ts describes the delivery rule).
 *
 * Hooks given to the replica:
 * - `validateOp`: an operation is ordered only if it is a settlement envelope that decodes
 *   (garbage is refused before it takes a slot and counted as `pbft.rejected.invalid-op`).
 *   Orderers do not check endorsements or proofs — in Fabric that is the committers' job — so a
 *   badly endorsed transaction is ordered and then marked invalid by every committer.
 * - `onExecute`: every executed block (in sequence order, also blocks replayed from a state
 *   transfer) is kept and announced to every committer: a header to all, the requests to the
 *   committers this orderer is the designated deliverer for. `settle-fetch` requests are answered
 *   with up to 32 blocks, requests included.
 *
 * Byzantine orderers are the PBFT adversaries wrapping the same replica (module.ts); their
 * delivery runs through the wrapper's context, so a silent replica delivers nothing either.
 */
import type { NodeContext, NodeId, ProtocolNode } from '../../sim/types.ts';
import type { PbftMessage, RequestMsg } from '../pbft/messages.ts';
import type { ExecutedBlock, PbftReplica, ReplicaHooks } from '../pbft/replica.ts';
import { CodecError } from './codec.ts';
import { envelopeOf } from './envelope.ts';
import { deliverMsg, isSettleMessage, type FetchMsg, type SettleMessage } from './messages.ts';
import type { SettlementWorld } from './world.ts';

const FETCH_LIMIT = 32;

/** Builds the replica with the given hooks and the node that runs it (the replica or an adversary wrapper). */
export type OrdererStack = (hooks: ReplicaHooks) => { replica: PbftReplica; node: ProtocolNode<PbftMessage> };

export type OrdererMessage = PbftMessage | SettleMessage;

export class OrdererNode implements ProtocolNode<OrdererMessage> {
  readonly replica: PbftReplica;
  private readonly node: ProtocolNode<PbftMessage>;
  /** Executed blocks by sequence number: batch digest and requests. */
  private readonly executed = new Map<number, { batch: string; requests: readonly RequestMsg[] }>();

  constructor(
    readonly self: NodeId,
    private readonly w: SettlementWorld,
    stack: OrdererStack,
  ) {
    const { replica, node } = stack(this.hooks());
    this.replica = replica;
    this.node = node;
  }

  private hooks(): ReplicaHooks {
    return {
      validateOp: (op) => !(envelopeOf(op) instanceof CodecError),
      onExecute: (block, ctx) => this.onExecute(block, ctx),
    };
  }

  private onExecute(block: ExecutedBlock, ctx: NodeContext<PbftMessage>): void {
    this.executed.set(block.seq, { batch: block.batch, requests: block.requests });
    const out = ctx as unknown as NodeContext<SettleMessage>;
    const k = this.w.layout.orderers.length;
    const index = this.w.layout.orderers.indexOf(this.self);
    for (const c of this.w.layout.committers) {
      const designated = (c + block.seq) % k === index;
      out.send(c, deliverMsg(block.seq, block.batch, designated ? block.requests : null));
    }
  }

  onStart(ctx: NodeContext<OrdererMessage>): void {
    this.node.onStart?.(ctx as NodeContext<PbftMessage>);
  }

  onCrash(): void {
    this.node.onCrash?.();
  }

  onRecover(ctx: NodeContext<OrdererMessage>): void {
    this.node.onRecover?.(ctx as NodeContext<PbftMessage>);
  }

  onTimer(ctx: NodeContext<OrdererMessage>, tag: unknown): void {
    this.node.onTimer?.(ctx as NodeContext<PbftMessage>, tag);
  }

  onMessage(ctx: NodeContext<OrdererMessage>, from: NodeId, msg: OrdererMessage): void {
    if (isSettleMessage(msg)) {
      if (msg.type === 'settle-fetch') this.onFetch(ctx as NodeContext<SettleMessage>, from, msg);
      else ctx.metrics.counter('settlement.rejected.unexpected').inc();
      return;
    }
    this.node.onMessage(ctx as NodeContext<PbftMessage>, from, msg as PbftMessage);
  }

  private onFetch(ctx: NodeContext<SettleMessage>, from: NodeId, m: FetchMsg): void {
    if (!Number.isSafeInteger(m.from) || m.from < 1) return void ctx.metrics.counter('settlement.rejected.fetch').inc();
    for (let seq = m.from; seq < m.from + FETCH_LIMIT; seq++) {
      const b = this.executed.get(seq);
      if (!b) break;
      ctx.send(from, deliverMsg(seq, b.batch, b.requests));
    }
  }
}
