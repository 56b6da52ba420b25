/**
 * A watchtower (beyond seed 002; Lightning's BOLT 13 draft / "The Eye of Sauron"): a party hands
 * it, after every update, its latest fully signed state and the revocation secrets it received.
 * The tower subscribes to the channel on chain and, when the counterparty publishes an older
 * state, disputes for the party — with the revocation secret (penalty) if it holds it, else with
 * the newer state — whether or not the party is online. (Real towers receive encrypted blobs keyed
 * by the breach transaction; here the tower sees the states in the clear: docs/channels.md.)
 */
import type { NodeContext, NodeId, ProtocolNode } from '../../sim/types.ts';
import { parseSigned, requestDigest, type ChannelObject, type ChannelRequest } from './chaincode.ts';
import { messageProblem, wireSize, type ChannelMessage } from './messages.ts';
import { fullySigned, type SignedState } from './state.ts';
import type { ChannelStats } from './node.ts';
import { signDigest, type ChannelWorld } from './world.ts';

interface Watched {
  owner: NodeId;
  latest: SignedState;
  secrets: Map<number, string>;
  disputed: Set<number>;
}

export class Watchtower implements ProtocolNode<ChannelMessage> {
  readonly watched = new Map<string, Watched>();
  malformed = 0;

  constructor(
    readonly id: NodeId,
    readonly w: ChannelWorld,
    readonly stats: ChannelStats,
  ) {}

  onMessage(ctx: NodeContext<ChannelMessage>, from: NodeId, msg: ChannelMessage): void {
    if (messageProblem(msg)) return this.bad(ctx);
    if (msg.type === 'tower-update') {
      const def = this.w.channels.find((c) => c.id === msg.channel);
      // only a channel party may register, only for its own channel, only with a state both signed
      if (!def || msg.owner !== from || (def.a !== from && def.b !== from) || this.w.towerOf.get(from) !== this.id) return this.bad(ctx);
      ctx.charge(2 * this.w.costs.verifyUs);
      if (!fullySigned(msg.signed, this.w.key(def.a).publicKey, this.w.key(def.b).publicKey) || msg.signed.state.channel !== def.id) return this.bad(ctx);
      let x = this.watched.get(msg.channel);
      if (!x) {
        this.watched.set(msg.channel, (x = { owner: from, latest: msg.signed, secrets: new Map(), disputed: new Set() }));
        ctx.send(this.w.chain, { type: 'subscribe', size: 60, digest: `sub|${msg.channel}`, channel: msg.channel });
      }
      if (msg.signed.state.seq >= x.latest.state.seq) x.latest = msg.signed;
      for (const [seq, secret] of msg.secrets) x.secrets.set(seq, secret);
    } else if (msg.type === 'chain-event' && from === this.w.chain) this.onChainEvent(ctx, msg.channel, msg.object);
  }

  private bad(ctx: NodeContext<ChannelMessage>): void {
    this.malformed++;
    ctx.metrics.counter('channels.malformed').inc();
  }

  private onChainEvent(ctx: NodeContext<ChannelMessage>, channel: string, o: ChannelObject | null): void {
    const x = this.watched.get(channel);
    if (!x || !o || o.status !== 'closing') return;
    const def = this.w.channels.find((c) => c.id === channel)!;
    const ownerSide = def.a === x.owner ? 'a' : 'b';
    if (o.closedBy === ownerSide) return;
    const published = parseSigned(o.published!);
    const seq = published.state.seq;
    if (seq >= x.latest.state.seq || x.disputed.has(seq)) return;
    x.disputed.add(seq);
    const secret = x.secrets.get(seq);
    const req: ChannelRequest = secret ? { op: 'dispute', channel, revocationSecret: secret } : { op: 'dispute', channel, newer: x.latest };
    this.stats.counts.towerDisputes++;
    ctx.charge(this.w.costs.signUs);
    const msg = { type: 'submit' as const, req, auth: signDigest(this.w, this.id, requestDigest(req)) };
    ctx.send(this.w.chain, { ...msg, size: wireSize(msg), digest: `tower-dispute|${channel}|${seq}` } as ChannelMessage);
  }
}
