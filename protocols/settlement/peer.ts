/**
 * An organisation's peer — a TCM hospital or the medical-insurance centre (seed 002 §3.3 "peer
 * verification"): it endorses proposals and commits blocks (committer.ts).
 *
 * Endorsement (Fabric's execute phase): on a proposal the peer decodes the envelope, runs the
 * chaincode's `simulate` against its own committed state — for a payment: the read set (is A the
 * balance at that version?), then checks 2e, 2a–2d and 2r — and, if everything holds, signs the
 * endorsement over (chaincode, txId, read-write set digest) and returns it to the client; else it
 * refuses with the failed check. Verification time (cost table) is charged to this peer's clock
 * for every proposal it verifies, even when the verdict was already computed by another node.
 * A proposal whose read set is *ahead* of this peer's ledger (it has not yet committed the block
 * the client read) waits up to `endorseWait` for the ledger to catch up, then is refused as
 * `behind`.
 *
 * After each block the peer reports each payment's outcome to the payer when the payer is one of
 * its *home* patients (patient i's home organisation is i mod O), as Fabric peers deliver commit
 * events to their clients.
 */
import type { NodeContext, NodeId } from '../../sim/types.ts';
import { CodecError } from './codec.ts';
import { Committer, payments } from './committer.ts';
import { decodeEnvelope, endorsementDigest, type Envelope } from './envelope.ts';
import { decodeBody, rwsetDigest, type BlockOutcome, type ChaincodeRegistry, type Simulation } from './ledger.ts';
import { endorseMsg, refuseMsg, statusMsg, type ProposeMsg, type SettleMessage } from './messages.ts';
import type { Organisation } from './parties.ts';
import { chaincodes, type SettlementWorld } from './world.ts';

interface Deferred {
  from: NodeId;
  envelope: Envelope;
  tx: unknown;
  untilUs: number;
}

type PeerTimer = { type: 'settle-endorse-wait' };

export class OrgPeer extends Committer {
  /** This peer's chaincodes (verification time charged to this node). */
  protected readonly registry: ChaincodeRegistry;
  private deferred: Deferred[] = [];
  private waitTimer = false;
  /** Proposals endorsed and refused (by reason), for summaries and tests. */
  readonly endorsed = { count: 0, refused: new Map<string, number>() };

  constructor(
    readonly org: Organisation,
    w: SettlementWorld,
    ledger?: ConstructorParameters<typeof Committer>[2],
  ) {
    super(org.peer, w, ledger);
    this.registry = this.makeRegistry(() => this.current?.charge(this.w.costs.verifyUs));
  }

  /** The endorser's chaincodes; mutants override (mutants.ts). */
  protected makeRegistry(onVerify: () => void): ChaincodeRegistry {
    return chaincodes(this.w, onVerify);
  }

  /** Whether to endorse after simulation: honest peers endorse exactly what simulates ok. */
  protected endorses(sim: Simulation): boolean {
    return sim.ok;
  }

  protected override onOtherMessage(ctx: NodeContext<SettleMessage>, from: NodeId, msg: SettleMessage): void {
    if (msg?.type === 'settle-propose') return this.onPropose(ctx, from, msg);
    super.onOtherMessage(ctx, from, msg);
  }

  private onPropose(ctx: NodeContext<SettleMessage>, from: NodeId, m: ProposeMsg): void {
    let e: Envelope;
    let tx: unknown;
    try {
      if (!(m.envelope instanceof Uint8Array)) throw new CodecError('proposal: no envelope bytes');
      e = decodeEnvelope(m.envelope);
      const c = this.registry.get(e.chaincode);
      if (!c) throw new CodecError(`proposal: unknown chaincode ${e.chaincode}`);
      tx = decodeBody(c, e);
    } catch {
      this.refuse(ctx, from, '-', 'malformed');
      return;
    }
    this.execute(ctx, { from, envelope: e, tx, untilUs: ctx.now() + this.w.timing.endorseWaitUs });
  }

  /** Simulates and answers (or defers) one proposal. */
  private execute(ctx: NodeContext<SettleMessage>, d: Deferred): boolean {
    const c = this.registry.get(d.envelope.chaincode)!;
    const sim = c.simulate(d.tx, d.envelope.txId, d.envelope.authorization, this.ledger);
    if (!sim.ok && sim.behind) {
      if (ctx.now() >= d.untilUs) {
        this.refuse(ctx, d.from, d.envelope.txId, 'behind');
        return true;
      }
      this.deferred.push(d);
      this.armWait(ctx);
      return false;
    }
    if (!this.endorses(sim)) {
      this.refuse(ctx, d.from, d.envelope.txId, sim.ok ? 'policy' : sim.reason);
      return true;
    }
    const digest = endorsementDigest(c.name, d.envelope.txId, rwsetDigest(c.rwset(d.tx)));
    ctx.charge(this.w.costs.signUs);
    const signature = this.w.keys.sign(this.self, digest);
    this.endorsed.count++;
    ctx.metrics.counter('settlement.endorsements').inc();
    ctx.send(d.from, endorseMsg(d.envelope.txId, this.org.index, signature));
    return true;
  }

  private refuse(ctx: NodeContext<SettleMessage>, to: NodeId, txId: string, reason: string): void {
    this.endorsed.refused.set(reason, (this.endorsed.refused.get(reason) ?? 0) + 1);
    ctx.metrics.counter(`settlement.refused.${reason}`).inc();
    ctx.send(to, refuseMsg(txId, this.org.index, reason));
  }

  private armWait(ctx: NodeContext<SettleMessage>): void {
    if (this.waitTimer) return;
    this.waitTimer = true;
    ctx.setTimer(this.w.timing.endorseWaitUs, { type: 'settle-endorse-wait' } satisfies PeerTimer);
  }

  /** Retries deferred proposals (after a block, or when their wait expires). */
  private retryDeferred(ctx: NodeContext<SettleMessage>): void {
    const waiting = this.deferred;
    this.deferred = [];
    for (const d of waiting) this.execute(ctx, d);
  }

  protected override onOtherTimer(ctx: NodeContext<SettleMessage>, tag: unknown): void {
    if ((tag as PeerTimer)?.type === 'settle-endorse-wait') {
      this.waitTimer = false;
      this.retryDeferred(ctx);
    }
  }

  override onCrash(): void {
    super.onCrash();
    this.deferred = [];
    this.waitTimer = false;
  }

  protected override afterBlock(ctx: NodeContext<SettleMessage>, block: BlockOutcome): void {
    const orgs = this.w.layout.orgs.length;
    for (const p of payments(block)) {
      if (!p.tx || !p.txId) continue;
      const payer = this.w.directory.account(p.tx.payer);
      if (!payer || payer.kind !== 'patient') continue;
      if (this.w.layout.patientIndex(payer.node) % orgs !== this.org.index) continue;
      ctx.send(payer.node, statusMsg(p.txId, block.seq, p.valid, p.reason));
    }
    if (this.deferred.length > 0) this.retryDeferred(ctx);
  }
}
