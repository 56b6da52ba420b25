/**
 * The chain node: the on-chain side of every channel, one node executing and ordering the channel
 * contract's transactions on the settlement ledger (docs/channels.md "The on-chain model").
 *
 * It plays the roles the settlement protocol splits over organisation peers and the PBFT
 * committee: it *executes* each request (resolves it against its state, runs the chaincode's
 * `simulate` — every signature and proof — and signs the endorsement), *orders* (cuts block k at
 * k · blockInterval, so heights are a function of virtual time) and *commits* through the
 * settlement `Ledger` (endorsement policy, MVCC). Channel parties learn of on-chain events for
 * their channels (and towers of the channels they subscribed to) by `chain-event` messages; a
 * node back from a crash asks with `query`. As "anyone may settle", the chain node submits the
 * `settle` of a closing channel once its window and HTLC expiries have passed.
 */
import type { NodeContext, NodeId, ProtocolNode } from '../../sim/types.ts';
import { bodyTxId, endorsementDigest, type Envelope } from '../settlement/envelope.ts';
import { ChaincodeRegistry, Ledger, rwsetDigest, type BlockOutcome } from '../settlement/ledger.ts';
import { ChannelChaincode, channelKey, encodeTx, requestDigest, verifySig, type ChannelObject, type ChannelRequest, type ChannelTx } from './chaincode.ts';
import { messageProblem, wireSize, type ChannelMessage } from './messages.ts';
import { genesisState, signDigest, type ChannelWorld } from './world.ts';

interface Pending {
  readonly req: ChannelRequest;
  readonly auth: string;
  readonly from: NodeId;
  waited: number;
}

const channelOf = (r: ChannelRequest) => (r.op === 'fund' ? null : r.channel);

export class ChainNode implements ProtocolNode<ChannelMessage> {
  readonly ledger: Ledger;
  private pending: Pending[] = [];
  private readonly subscribers = new Map<string, Set<NodeId>>();
  private ctx!: NodeContext<ChannelMessage>;
  /** Requests refused by the executing node, by reason. */
  readonly rejected: Record<string, number> = {};
  malformed = 0;

  constructor(
    readonly w: ChannelWorld,
    makeChaincode: (w: ChannelWorld, onVerify: (kind: 'fund' | 'signature') => void) => ChannelChaincode = defaultChaincode,
  ) {
    const cc = makeChaincode(w, (kind) => this.ctx?.charge(kind === 'fund' ? w.costs.fundVerifyUs : w.costs.verifyUs));
    this.ledger = new Ledger(genesisState(w), new ChaincodeRegistry().register(cc), {
      policy: { required: 1, orgs: [0] },
      peerOf: (org) => (org === 0 ? w.chain : undefined),
      verifySignature: (node, digest, sig) => verifySig(w.key(node).publicKey, digest, sig),
    });
    for (const c of w.channels) this.subscribers.set(c.id, new Set([c.a, c.b]));
  }

  get chaincode(): ChannelChaincode {
    return this.ledger.chaincodes.get('channel') as ChannelChaincode;
  }

  onStart(ctx: NodeContext<ChannelMessage>): void {
    this.ctx = ctx;
    ctx.setTimer(this.w.timing.blockUs, 'block');
  }

  onMessage(ctx: NodeContext<ChannelMessage>, from: NodeId, msg: ChannelMessage): void {
    this.ctx = ctx;
    const problem = messageProblem(msg);
    if (problem) {
      this.malformed++;
      ctx.metrics.counter('channels.malformed').inc();
      return;
    }
    if (msg.type === 'submit') this.pending.push({ req: msg.req, auth: msg.auth, from, waited: 0 });
    else if (msg.type === 'subscribe') {
      let s = this.subscribers.get(msg.channel);
      if (!s) this.subscribers.set(msg.channel, (s = new Set()));
      s.add(from);
      this.tell(ctx, from, msg.channel);
    } else if (msg.type === 'query') this.tell(ctx, from, msg.channel);
    else {
      // a party-to-party message sent to the chain: not for it
      this.malformed++;
      ctx.metrics.counter('channels.malformed').inc();
    }
  }

  onTimer(ctx: NodeContext<ChannelMessage>, tag: unknown): void {
    this.ctx = ctx;
    if (tag === 'block') {
      this.cutBlock(ctx);
      // block k is due at k · interval whatever CPU time executing this one took: heights stay a function of time
      ctx.setTimer(Math.max(1, (this.ledger.height + 1) * this.w.timing.blockUs - ctx.now()), 'block');
    }
  }

  /** The current object of a channel (null: not on chain). */
  object(channel: string): { object: ChannelObject; version: number } | null {
    const e = this.ledger.get(channelKey(channel));
    return e && e.value.kind === 'data' ? { object: e.value.data as ChannelObject, version: e.version } : null;
  }

  private tell(ctx: NodeContext<ChannelMessage>, to: NodeId, channel: string): void {
    const o = this.object(channel)?.object ?? null;
    ctx.send(to, { type: 'chain-event', size: 60 + wireSize(o), digest: `${channel}|${this.ledger.height}|${o?.status ?? '-'}`, channel, height: this.ledger.height, object: o });
  }

  private cutBlock(ctx: NodeContext<ChannelMessage>): void {
    const height = this.ledger.height + 1;
    // the keeper: settle every closing channel whose window and HTLC expiries have passed
    for (const key of this.ledger.keys()) {
      if (!key.startsWith('channel/')) continue;
      const e = this.ledger.get(key)!;
      const o = e.value.kind === 'data' ? (e.value.data as ChannelObject) : undefined;
      const id = key.slice('channel/'.length);
      if (o?.status === 'closing' && height > ChannelChaincode.settleAfter(o) && !this.pending.some((p) => p.req.op === 'settle' && p.req.channel === id)) {
        const req: ChannelRequest = { op: 'settle', channel: id };
        this.pending.push({ req, auth: signDigest(this.w, this.w.chain, requestDigest(req)), from: this.w.chain, waited: 0 });
      }
    }
    const touched = new Set<string>();
    const envelopes: Envelope[] = [];
    const keep: Pending[] = [];
    const submitters = new Map<string, Pending>();
    for (const p of this.pending) {
      const ch = channelOf(p.req);
      if (ch !== null && touched.has(ch)) {
        keep.push(p); // one transaction per channel per block: the next one reads what this one writes
        continue;
      }
      const cur = ch === null || p.req.op === 'open' ? null : this.object(ch);
      const tx: ChannelTx = { req: p.req, submitter: p.from, auth: p.auth, height, prior: cur?.object ?? null, priorVersion: cur?.version ?? -1 };
      const body = encodeTx(tx);
      const txId = bodyTxId(body);
      const sim = this.chaincode.simulate(tx, txId, p.auth, this.ledger);
      if (!sim.ok) {
        if (sim.behind && p.waited < this.w.timing.chainWaitBlocks) {
          p.waited++;
          keep.push(p);
        } else this.reject(ctx, p, sim.reason);
        continue;
      }
      if (ch !== null) touched.add(ch);
      const digest = endorsementDigest(this.chaincode.name, txId, rwsetDigest(this.chaincode.rwset(tx)));
      ctx.charge(this.w.costs.signUs);
      envelopes.push({ chaincode: this.chaincode.name, body, txId, authorization: p.auth, endorsements: [{ org: 0, signature: signDigest(this.w, this.w.chain, digest) }] });
      submitters.set(txId, p);
    }
    this.pending = keep;
    const block = this.ledger.applyBlock(height, envelopes);
    this.announce(ctx, block, submitters);
  }

  private reject(ctx: NodeContext<ChannelMessage>, p: Pending, reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    ctx.metrics.counter('channels.chain.rejected').inc();
    if (p.from !== this.w.chain) ctx.send(p.from, { type: 'rejected', size: 80, digest: `${p.req.op}|${reason}`, channel: channelOf(p.req) ?? '', op: p.req.op, reason });
  }

  private announce(ctx: NodeContext<ChannelMessage>, block: BlockOutcome, submitters: Map<string, Pending>): void {
    const events: { channel: string; op: string; object: ChannelObject | null; before: ChannelObject | null }[] = [];
    for (const o of block.outcomes) {
      const tx = o.tx as ChannelTx | null;
      if (!o.valid || !tx) {
        const p = o.txId ? submitters.get(o.txId) : undefined;
        if (p) this.reject(ctx, p, o.reason ?? 'invalid');
        continue;
      }
      const ch = channelOf(tx.req);
      if (ch !== null) events.push({ channel: ch, op: tx.req.op, object: this.object(ch)?.object ?? null, before: tx.prior });
    }
    // checkers see every block with its writes (conservation) and each channel event (honest balance)
    ctx.emit({ kind: 'channels-block', height: block.seq, outcomes: block.outcomes, events });
    for (const e of events) for (const to of this.subscribers.get(e.channel) ?? []) this.tell(ctx, to, e.channel);
  }
}

function defaultChaincode(w: ChannelWorld, onVerify: (kind: 'fund' | 'signature') => void): ChannelChaincode {
  return new ChannelChaincode(chaincodeEnv(w, onVerify));
}

export function chaincodeEnv(w: ChannelWorld, onVerify?: (kind: 'fund' | 'signature') => void) {
  return {
    nodeKey: (n: NodeId) => (n >= 0 && n < w.parties.length + w.towers.length + 1 ? w.key(n).publicKey : undefined),
    funding: w.funding,
    paillierKey: (p: NodeId) => w.paillier(p)?.publicKey,
    setup: w.setup?.params,
    amountBits: w.amountBits,
    onVerify,
  };
}
