/**
 * The regulator (seed 002 §3.3: "the regulator can decrypt the amounts … and audit"): a committing
 * peer that endorses nothing and audits every applied payment.
 *
 * For each valid payment of each block it
 *  1. decrypts T_R with its own key — the amount T of every payment is readable by the regulator
 *     (and by payer and payee), by nobody else;
 *  2. re-verifies the payment's proofs and authorisation (2e, 2a–2d, 2r): "every applied payment
 *     passed 2a–2e" — with a policy that trusts a single endorsement, this is where a Byzantine
 *     endorser's invalid payment is caught;
 *  3. keeps shadow books from the decrypted amounts and the public genesis balances: each
 *     payment debits T from the payer and credits T to the payee, so Σ debits = Σ credits by
 *     construction *if* the payment's proofs hold (2c and 2r make T_B, T_A and T_R hide one T,
 *     2d makes A' = A − T); a shadow balance below zero means a payer spent what it did not have.
 * Findings are counted, reported as `settlement.audit` observations and in the summary. Its CPU
 * time (one decryption and one verification per payment) is charged to its clock.
 */
import type { NodeContext } from '../../sim/types.ts';
import { decryptSigned } from '../crypto/paillier.ts';
import { Committer, payments } from './committer.ts';
import type { BlockOutcome } from './ledger.ts';
import type { SettleMessage } from './messages.ts';
import { verifyPaymentShared, type PaymentCheck } from './payment.ts';

export interface AuditFinding {
  txId: string;
  seq: number;
  /** The failed check, or `negative` (the payer's shadow balance went below zero). */
  problem: PaymentCheck | 'negative';
}

export class Regulator extends Committer {
  /** Shadow balances from T_R (amount units). */
  readonly shadow = new Map<string, bigint>();
  readonly audit = { payments: 0, debits: 0n, credits: 0n, findings: [] as AuditFinding[] };

  protected override onOtherMessage(ctx: NodeContext<SettleMessage>): void {
    ctx.metrics.counter('settlement.rejected.unexpected').inc();
  }

  private shadowOf(account: string): bigint {
    let v = this.shadow.get(account);
    if (v === undefined) this.shadow.set(account, (v = this.w.directory.genesisAmounts.get(account) ?? 0n));
    return v;
  }

  protected override afterBlock(ctx: NodeContext<SettleMessage>, block: BlockOutcome): void {
    const found: AuditFinding[] = [];
    for (const p of payments(block)) {
      if (!p.valid || !p.tx || !p.txId) continue;
      const o = block.outcomes.find((x) => x.txId === p.txId)!;
      ctx.charge(this.w.costs.decryptUs + this.w.costs.verifyUs);
      this.audit.payments++;
      const v = verifyPaymentShared(this.w.payment, { tx: p.tx, txId: p.txId, authorization: o.envelope!.authorization });
      if (!v.valid) found.push({ txId: p.txId, seq: block.seq, problem: v.reason! });
      let amount: bigint;
      try {
        amount = decryptSigned(this.w.directory.regulatorKey.privateKey, p.tx.transferR);
      } catch {
        amount = 0n; // an undecryptable T_R is already a failed 2r (or malformed) above
      }
      this.audit.debits += amount;
      this.audit.credits += amount;
      const payerAfter = this.shadowOf(p.tx.payer) - amount;
      this.shadow.set(p.tx.payer, payerAfter);
      this.shadow.set(p.tx.payee, this.shadowOf(p.tx.payee) + amount);
      if (payerAfter < 0n) found.push({ txId: p.txId, seq: block.seq, problem: 'negative' });
    }
    for (const f of found) ctx.metrics.counter(`settlement.audit.${f.problem}`).inc();
    this.audit.findings.push(...found);
    ctx.emit({ kind: 'settlement.audit', seq: block.seq, findings: found });
  }
}
