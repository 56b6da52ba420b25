/**
 * The `pay` chaincode: seed 002's confidential payment (payment.ts) as a ledger transaction.
 *
 *   reads   balance/<payer> @ tx.version
 *   writes  balance/<payer> ← A'                   (§3.3 ①: the new balance the payer built)
 *           balance/<payee> ← B · T_B mod n_B²      (§3.3 ②: the homomorphic credit)
 *
 * Endorsers (`simulate`) check the read set against their state — behind (their ledger has not
 * reached the version yet: wait), stale (the balance moved on, or the claimed A is not the
 * ledger's), duplicate — and then every check of the payment (2e, 2a–2d, 2r), with the verdict
 * shared between nodes (`verifyPaymentShared`). Committers (`wellFormed`) check only structure:
 * both balances exist, A' is a unit below n_A², T_B a unit below n_B².
 */
import { isValidCiphertext } from '../crypto/paillier.ts';
import type { Chaincode, RwSet, Simulation, StateView } from './ledger.ts';
import { decodePaymentBody, verifyPaymentShared, type PaymentEnv, type PaymentTx, type PaymentVerdict } from './payment.ts';

export const PAY = 'pay';

export function balanceKey(account: string): string {
  return `balance/${account}`;
}

export class PayChaincode implements Chaincode<PaymentTx> {
  readonly name = PAY;

  constructor(
    protected readonly env: PaymentEnv,
    /** Called with each verdict an endorser obtains (the node charges its verification time). */
    private readonly onVerify?: (tx: PaymentTx) => void,
  ) {}

  decode(body: Uint8Array): PaymentTx {
    return decodePaymentBody(body);
  }

  rwset(tx: PaymentTx): RwSet {
    const payer = this.env.directory.account(tx.payer);
    return {
      reads: [{ key: balanceKey(tx.payer), version: tx.version }],
      writes: [
        { key: balanceKey(tx.payer), put: { kind: 'ciphertext', ciphertext: tx.transfer.newBalanceA, publicKey: payer!.publicKey } },
        { key: balanceKey(tx.payee), addCiphertext: tx.transfer.transferB },
      ],
    };
  }

  wellFormed(tx: PaymentTx, state: StateView): boolean {
    const a = this.env.directory.account(tx.payer);
    const b = this.env.directory.account(tx.payee);
    if (!a || !b || a.id === b.id) return false;
    const ea = state.get(balanceKey(a.id));
    const eb = state.get(balanceKey(b.id));
    if (ea?.value.kind !== 'ciphertext' || eb?.value.kind !== 'ciphertext') return false;
    return isValidCiphertext(a.publicKey, tx.transfer.newBalanceA) && isValidCiphertext(b.publicKey, tx.transfer.transferB);
  }

  simulate(tx: PaymentTx, txId: string, authorization: string, state: StateView): Simulation {
    if (!this.wellFormed(tx, state)) return { ok: false, reason: 'malformed' };
    const cur = state.get(balanceKey(tx.payer))!;
    if (cur.version < tx.version) return { ok: false, reason: 'behind', behind: true };
    if (cur.version > tx.version || (cur.value.kind === 'ciphertext' && cur.value.ciphertext !== tx.oldBalance)) return { ok: false, reason: 'stale' };
    if (state.committed(txId)) return { ok: false, reason: 'duplicate' };
    this.onVerify?.(tx);
    return this.judge(verifyPaymentShared(this.env, { tx, txId, authorization }));
  }

  /** What an endorser does with a verdict: endorse only a fully valid payment. */
  protected judge(v: PaymentVerdict): Simulation {
    return v.valid ? { ok: true } : { ok: false, reason: v.reason! };
  }
}
