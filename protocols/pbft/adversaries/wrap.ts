/**
 * Wrapping an honest replica to make a Byzantine one (GUIDE §3: Byzantine behaviour lives in
 * separate node implementations or wrappers, never in `if`s inside honest code).
 *
 * `ReplicaWrapper` runs an unmodified `PbftReplica` behind an intercepting context: every message
 * the honest code sends passes through `outgoing(ctx, to, msg)`, which may drop, delay, alter
 * (re-authenticating with the adversary's own keys — it holds nothing else) or multiply it; every
 * message received passes through `incoming`. Byzantine nodes' observations are dropped: the
 * checkers judge only honest replicas.
 */
import { ForwardingContext } from '../../../sim/forwarding-context.ts';
import type { Micros, NodeContext, NodeId, Observation, ProtocolNode } from '../../../sim/types.ts';
import { type KeyRing, makeAuthenticator } from '../auth.ts';
import { Code, fillHeader, newHeader, type PbftMessage, type PrePrepareMsg, prePrepareSize, type RequestMsg, traceDigest, voteSize, type VoteMsg, batchDigest } from '../messages.ts';
import type { PbftReplica } from '../replica.ts';

/** A NodeContext that routes sends through a filter and drops observations. */
export class InterceptContext extends ForwardingContext<PbftMessage> {
  constructor(
    readonly real: NodeContext<PbftMessage>,
    private readonly onSend: (to: NodeId, msg: PbftMessage) => void,
  ) {
    super(real);
  }
  override send(to: NodeId, msg: PbftMessage): void {
    this.onSend(to, msg);
  }
  override broadcast(msg: PbftMessage, except?: NodeId): void {
    for (const p of this.real.peers) if (p !== except) this.onSend(p, msg);
  }
  override emit(_observation: Observation): void {
    // Byzantine replicas' claims are not evidence.
  }
}

/** Timer tags owned by wrappers (not passed to the honest replica). */
export interface AdversaryTimer {
  type: 'adv';
  action: () => void;
}

export abstract class ReplicaWrapper implements ProtocolNode<PbftMessage> {
  private proxy: InterceptContext | undefined;
  protected real: NodeContext<PbftMessage> | undefined;

  constructor(
    readonly inner: PbftReplica,
    protected readonly keys: KeyRing,
  ) {}

  protected wrap(ctx: NodeContext<PbftMessage>): InterceptContext {
    this.real = ctx;
    if (!this.proxy || this.proxy.real !== ctx) this.proxy = new InterceptContext(ctx, (to, msg) => this.outgoing(ctx, to, msg));
    return this.proxy;
  }

  /** What happens to a message the honest code sends. Default: send it. */
  protected outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    ctx.send(to, msg);
  }

  /** What happens to a received message. Default: hand it to the honest code. */
  protected incoming(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void {
    this.inner.onMessage(this.wrap(ctx), from, msg);
  }

  onStart(ctx: NodeContext<PbftMessage>): void {
    this.inner.onStart(this.wrap(ctx));
  }
  onMessage(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void {
    this.incoming(ctx, from, msg);
  }
  onTimer(ctx: NodeContext<PbftMessage>, tag: unknown): void {
    if ((tag as AdversaryTimer)?.type === 'adv') {
      this.real = ctx;
      (tag as AdversaryTimer).action();
      return;
    }
    this.inner.onTimer(this.wrap(ctx), tag);
  }
  onCrash(): void {
    this.inner.onCrash();
  }
  onRecover(ctx: NodeContext<PbftMessage>): void {
    this.inner.onRecover(this.wrap(ctx));
  }

  /** Runs `action` after `delay` µs on this node. */
  protected later(ctx: NodeContext<PbftMessage>, delay: Micros, action: () => void): void {
    ctx.setTimer(delay, { type: 'adv', action } satisfies AdversaryTimer);
  }

  protected get members(): readonly NodeId[] {
    return this.inner.currentCommittee.members;
  }
}

// ---- message forging helpers (with the adversary's own keys) ----------------------------------

const HDR = newHeader();

/** A pre-prepare for (view, seq) with a batch of our choice, validly authenticated by `sender`. */
export function forgePrePrepare(keys: KeyRing, sender: NodeId, members: readonly NodeId[], base: PrePrepareMsg, requests: RequestMsg[]): PrePrepareMsg {
  const batch = batchDigest(requests);
  fillHeader(HDR, Code.PrePrepare, base.epoch, base.view, base.seq, sender, batch);
  return {
    type: 'pre-prepare', epoch: base.epoch, view: base.view, seq: base.seq, sender, batch, requests,
    size: prePrepareSize(requests, members.length), digest: traceDigest(batch, Code.PrePrepare * 65_536 + sender, base.view, base.seq),
    auth: makeAuthenticator(keys, sender, members, HDR),
  };
}

/** A prepare or commit for (view, seq, batch), validly authenticated by `sender`. */
export function forgeVote(keys: KeyRing, sender: NodeId, members: readonly NodeId[], type: 'prepare' | 'commit', epoch: number, view: number, seq: number, batch: string): VoteMsg {
  const code = type === 'prepare' ? Code.Prepare : Code.Commit;
  fillHeader(HDR, code, epoch, view, seq, sender, batch);
  return {
    type, epoch, view, seq, sender, batch, size: voteSize(members.length), digest: traceDigest(batch, code * 65_536 + sender, view, seq),
    auth: makeAuthenticator(keys, sender, members, HDR),
  };
}

/** A different, still valid batch: the same requests in reverse order, or the null batch. */
export function conflictingBatch(requests: readonly RequestMsg[]): RequestMsg[] {
  return requests.length >= 2 ? [...requests].reverse() : [];
}
