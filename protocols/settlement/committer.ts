/**
 * A committing peer (Fabric's committer): receives the ordered blocks from the ordering service,
 * validates and applies them to its ledger (ledger.ts), and answers balance queries. Organisation
 * peers (peer.ts) add endorsement; the regulator (regulator.ts) adds the audit.
 *
 * Block delivery from a BFT ordering service (as Fabric's BFT orderer, SmartBFT, where peers
 * accept a block vouched for by enough orderers): every orderer sends every committer a header
 * (sequence number, PBFT batch digest) for each block it executes, and one designated orderer per
 * (committer, block) — orderer (committer + seq) mod K — also sends the block's requests. A
 * committer applies block n once f + 1 orderers sent the same digest for n and it holds requests
 * that hash to that digest (each request's digest checked against its operation): at least one
 * correct orderer vouches for it, and correct orderers executed the same block n (PBFT
 * agreement). Blocks apply strictly in order. A committer that lacks block n — the designated
 * orderer is silent or crashed, a message was lost, it was partitioned — pulls it: after
 * `deliveryTimeout` it asks f + 1 orderers (rotating) for blocks from n on, which answer with
 * header and requests.
 *
 * Each applied block is reported as a `settlement.block` observation (the invariant checkers'
 * input: checkers.ts).
 */
import type { NodeContext, NodeId, ProtocolNode, TimerHandle } from '../../sim/types.ts';
import { batchDigest, requestDigestOf, type RequestMsg } from '../pbft/messages.ts';
import { CodecError } from './codec.ts';
import { envelopeOf, type Envelope } from './envelope.ts';
import type { BlockOutcome, Ledger } from './ledger.ts';
import { accountMsg, fetchMsg, type DeliverMsg, type QueryMsg, type SettleMessage } from './messages.ts';
import { PAY } from './pay-chaincode.ts';
import { balanceKey } from './pay-chaincode.ts';
import type { PaymentTx } from './payment.ts';
import { ledgerEnv, newLedger, type SettlementWorld } from './world.ts';

type CommitterTimer = { type: 'settle-pull'; attempt: number };

const isHex64 = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);

export abstract class Committer implements ProtocolNode<SettleMessage> {
  readonly ledger: Ledger;
  /** The context of the handler running now (hooks charge CPU time to it). */
  protected current: NodeContext<SettleMessage> | undefined;
  /** Headers per sequence number: batch digest → orderers that sent it. */
  private readonly headers = new Map<number, Map<string, Set<NodeId>>>();
  /** Requests per sequence number and batch digest (checked against the digest). */
  private readonly bodies = new Map<number, Map<string, readonly RequestMsg[]>>();
  /** Highest sequence number any orderer announced. */
  private announced = 0;
  private pullTimer: TimerHandle | undefined;
  private pullAttempt = 0;

  constructor(
    readonly self: NodeId,
    protected readonly w: SettlementWorld,
    ledger?: (w: SettlementWorld, charge: () => NodeContext<never> | undefined) => Ledger,
  ) {
    const charge = () => this.current as NodeContext<never> | undefined;
    this.ledger = ledger ? ledger(w, charge) : newLedger(w, ledgerEnv(w, charge));
  }

  onStart(ctx: NodeContext<SettleMessage>): void {
    this.current = ctx;
  }

  onCrash(): void {
    // The ledger is on disk; pending deliveries and timers are not.
    this.pullTimer = undefined;
  }

  onRecover(ctx: NodeContext<SettleMessage>): void {
    this.current = ctx;
    this.pull(ctx);
  }

  onTimer(ctx: NodeContext<SettleMessage>, tag: unknown): void {
    this.current = ctx;
    const t = tag as CommitterTimer;
    if (t?.type === 'settle-pull') {
      this.pullTimer = undefined;
      if (this.announced > this.ledger.height) {
        this.pullAttempt = t.attempt + 1;
        this.pull(ctx);
      }
      return;
    }
    this.onOtherTimer(ctx, tag);
  }

  onMessage(ctx: NodeContext<SettleMessage>, from: NodeId, msg: SettleMessage): void {
    this.current = ctx;
    if (msg?.type === 'settle-deliver') return this.onDeliver(ctx, from, msg);
    if (msg?.type === 'settle-query') return this.onQuery(ctx, from, msg);
    this.onOtherMessage(ctx, from, msg);
  }

  /** Subclasses: endorsement traffic, audit timers. */
  protected onOtherMessage(ctx: NodeContext<SettleMessage>, _from: NodeId, _msg: SettleMessage): void {
    ctx.metrics.counter('settlement.rejected.unexpected').inc();
  }

  protected onOtherTimer(_ctx: NodeContext<SettleMessage>, _tag: unknown): void {}

  /** Called after each applied block (statuses, audits, deferred endorsements). */
  protected afterBlock(_ctx: NodeContext<SettleMessage>, _block: BlockOutcome): void {}

  // ---- delivery --------------------------------------------------------------------------------

  private onDeliver(ctx: NodeContext<SettleMessage>, from: NodeId, m: DeliverMsg): void {
    if (!this.w.layout.orderers.includes(from)) return void ctx.metrics.counter('settlement.rejected.deliver-sender').inc();
    if (!Number.isSafeInteger(m.seq) || m.seq < 1 || !isHex64(m.batch) || (m.requests !== null && !Array.isArray(m.requests))) {
      return void ctx.metrics.counter('settlement.rejected.deliver-malformed').inc();
    }
    if (m.seq <= this.ledger.height) return;
    if (m.requests) {
      const shaped = m.requests.every((r) => !!r && typeof r === 'object' && !!r.op && typeof r.opDigest === 'string');
      const ok = shaped && batchDigest(m.requests) === m.batch && m.requests.every((r) => requestDigestOf(r) === r.opDigest);
      if (!ok) return void ctx.metrics.counter('settlement.rejected.deliver-digest').inc();
      let b = this.bodies.get(m.seq);
      if (!b) this.bodies.set(m.seq, (b = new Map()));
      b.set(m.batch, m.requests);
    }
    let h = this.headers.get(m.seq);
    if (!h) this.headers.set(m.seq, (h = new Map()));
    let set = h.get(m.batch);
    if (!set) h.set(m.batch, (set = new Set()));
    set.add(from);
    if (m.seq > this.announced) this.announced = m.seq;
    this.tryCommit(ctx);
    if (this.announced > this.ledger.height) this.armPull(ctx);
  }

  /** Applies every consecutive block that is vouched for by f + 1 orderers and whose requests are here. */
  private tryCommit(ctx: NodeContext<SettleMessage>): void {
    const need = this.w.ordererFaults + 1;
    for (;;) {
      const seq = this.ledger.height + 1;
      const h = this.headers.get(seq);
      if (!h) return;
      let requests: readonly RequestMsg[] | undefined;
      for (const [batch, who] of h) {
        if (who.size >= need) requests = this.bodies.get(seq)?.get(batch);
        if (requests) break;
      }
      if (!requests) return;
      this.headers.delete(seq);
      this.bodies.delete(seq);
      this.pullAttempt = 0;
      this.commit(ctx, seq, requests);
    }
  }

  private commit(ctx: NodeContext<SettleMessage>, seq: number, requests: readonly RequestMsg[]): void {
    const envelopes: (Envelope | CodecError)[] = requests.map((r) => envelopeOf(r.op));
    const block = this.ledger.applyBlock(seq, envelopes);
    let applied = 0;
    for (const o of block.outcomes) if (o.valid) applied++;
    if (applied > 0) ctx.charge(applied * this.w.costs.creditUs);
    ctx.emit({ kind: 'settlement.block', seq, state: block.state, block, committer: this.self });
    this.afterBlock(ctx, block);
  }

  private armPull(ctx: NodeContext<SettleMessage>): void {
    if (this.pullTimer) return;
    this.pullTimer = ctx.setTimer(this.w.timing.deliveryTimeoutUs, { type: 'settle-pull', attempt: this.pullAttempt } satisfies CommitterTimer);
  }

  /** Asks f + 1 orderers (rotating with each attempt) for the blocks from height + 1 on. */
  private pull(ctx: NodeContext<SettleMessage>): void {
    const os = this.w.layout.orderers;
    const k = os.length;
    const ask = Math.min(k, this.w.ordererFaults + 1);
    ctx.metrics.counter('settlement.pulls').inc();
    for (let i = 0; i < ask; i++) ctx.send(os[(this.self + this.pullAttempt * ask + i) % k], fetchMsg(this.ledger.height + 1));
    this.armPull(ctx);
  }

  // ---- queries -------------------------------------------------------------------------------

  private onQuery(ctx: NodeContext<SettleMessage>, from: NodeId, m: QueryMsg): void {
    const e = typeof m.account === 'string' ? this.ledger.get(balanceKey(m.account)) : undefined;
    if (!e || e.value.kind !== 'ciphertext') return void ctx.metrics.counter('settlement.rejected.query').inc();
    ctx.send(from, accountMsg(m.account, e.value.ciphertext, e.version, this.ledger.height, this.w.directory.options.keyBits));
  }
}

/** The payments of a block outcome with their transactions (for statuses, audits, checkers). */
export function payments(block: BlockOutcome): { txId: string | null; valid: boolean; reason: string | null; tx: PaymentTx | null }[] {
  return block.outcomes.filter((o) => o.chaincode === PAY || o.chaincode === null).map((o) => ({ txId: o.txId, valid: o.valid, reason: o.reason, tx: (o.tx as PaymentTx | null) ?? null }));
}
