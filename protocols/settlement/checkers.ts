/**
 * Settlement invariant checkers (kernel observers fed by the committers' `settlement.block`
 * observations). The checkers are omniscient: they hold every account's secret key through the
 * run's directory and decrypt balances — unlike any node, including the regulator.
 *
 * - `ledger-agreement`      honest committers that applied block n hold the same state digest
 *                           after it (same transactions, same outcomes, same writes: ledger.ts);
 * - `no-negative-balance`   every balance a committed block leaves behind decrypts, as a signed
 *                           integer in (−n/2, n/2], to a value ≥ 0;
 * - `conservation-of-value` every committed payment leaves the sum of all plaintext balances
 *                           unchanged (what the payer loses the payee gains): Σ = the genesis
 *                           supply after every block — the regulator's audit, made exact;
 * - `valid-payments-only`   every committed payment has a valid proof set for the balance it
 *                           claims to spend (2e, 2a–2d, 2r, re-verified) and endorsements of the
 *                           policy's required number of distinct organisations.
 *
 * The last three judge the agreed log: the first honest report of each block, in sequence order
 * (ledger-agreement guarantees the others equal it). Whether a payment's read set was still
 * current is the ledger's version check; when it is skipped, the damage shows as a conservation
 * violation (a stale A' overwrites a newer balance), which is where it is reported.
 *
 * Observer order matters when one bug breaks two invariants at the same observation (the kernel
 * reports the first): agreement, no-negative-balance, conservation, valid-payments-only. So an
 * overdraft that got through is reported as a negative balance, not as the failed range proof
 * that let it through — which valid-payments-only reports when nothing else is visibly wrong
 * (for example a payment hiding its amount from the regulator).
 */
import type { Micros, NodeId, Observation, Observer, Violation } from '../../sim/types.ts';
import { decryptSigned } from '../crypto/paillier.ts';
import { endorsementDigest, type Endorsement } from './envelope.ts';
import { rwsetDigest, type BlockOutcome } from './ledger.ts';
import { PAY, PayChaincode } from './pay-chaincode.ts';
import type { Directory } from './parties.ts';
import { PAYMENT_CHECKS, verifyPaymentShared, type PaymentTx } from './payment.ts';
import type { SettlementWorld } from './world.ts';

interface BlockObs extends Observation {
  kind: 'settlement.block';
  seq: number;
  state: string;
  block: BlockOutcome;
  committer: NodeId;
}

/** One committed payment as the agreed log shows it, with the plaintexts behind it. */
export interface PaymentFact {
  seq: number;
  txId: string;
  tx: PaymentTx;
  authorization: string;
  endorsements: readonly Endorsement[];
  payerBefore: bigint;
  payerAfter: bigint;
  payeeBefore: bigint;
  payeeAfter: bigint;
}

/**
 * The agreed log replayed in plaintext: fed from the first honest `settlement.block` report of
 * each sequence number, in order; decrypts the balances every committed payment wrote.
 */
export class PlaintextModel {
  readonly plain = new Map<string, bigint>();
  private readonly buffered = new Map<number, BlockOutcome>();
  /** Facts of processed blocks, by sequence number. */
  readonly facts: PaymentFact[][] = [];
  height = 0;
  sum: bigint;

  constructor(
    private readonly w: SettlementWorld,
    private readonly byzantine: ReadonlySet<NodeId>,
  ) {
    for (const [id, amount] of w.directory.genesisAmounts) this.plain.set(id, amount);
    this.sum = w.directory.totalSupply;
  }

  get directory(): Directory {
    return this.w.directory;
  }

  /** Feeds one observation; returns true if it was an honest block report. */
  feed(node: NodeId, obs: Observation): boolean {
    if (obs.kind !== 'settlement.block' || this.byzantine.has(node)) return false;
    const b = obs as BlockObs;
    if (b.seq > this.height && !this.buffered.has(b.seq)) this.buffered.set(b.seq, b.block);
    while (this.buffered.has(this.height + 1)) {
      const block = this.buffered.get(this.height + 1)!;
      this.buffered.delete(this.height + 1);
      this.process(block);
    }
    return true;
  }

  private decrypt(account: string, c: bigint): bigint {
    return decryptSigned(this.w.directory.keyPair(account).privateKey, c);
  }

  private process(block: BlockOutcome): void {
    const facts: PaymentFact[] = [];
    for (const o of block.outcomes) {
      if (!o.valid || o.chaincode !== PAY || !o.txId) continue;
      const tx = o.tx as PaymentTx;
      const after = (account: string) => {
        const c = o.changes.find((x) => x.key === `balance/${account}`)!.after.value;
        return c.kind === 'ciphertext' ? this.decrypt(account, c.ciphertext) : 0n;
      };
      const payerBefore = this.plain.get(tx.payer) ?? 0n;
      const payeeBefore = this.plain.get(tx.payee) ?? 0n;
      const payerAfter = after(tx.payer);
      const payeeAfter = after(tx.payee);
      this.plain.set(tx.payer, payerAfter);
      this.plain.set(tx.payee, payeeAfter);
      this.sum += payerAfter - payerBefore + payeeAfter - payeeBefore;
      facts.push({ seq: block.seq, txId: o.txId, tx, authorization: o.envelope!.authorization, endorsements: o.envelope!.endorsements, payerBefore, payerAfter, payeeBefore, payeeAfter });
    }
    this.facts[block.seq] = facts;
    this.height = block.seq;
  }
}

/** A checker that walks the model's facts once each. */
abstract class FactChecker implements Observer {
  abstract readonly name: string;
  private cursor = 0;
  /** Payments judged. */
  checked = 0;

  constructor(protected readonly model: PlaintextModel) {}

  onObservation(node: NodeId, obs: Observation, _now: Micros): Violation | undefined {
    if (!this.model.feed(node, obs)) return undefined;
    while (this.cursor < this.model.height) {
      this.cursor++;
      for (const f of this.model.facts[this.cursor] ?? []) {
        this.checked++;
        const v = this.judge(f);
        if (v) return { kind: 'safety', invariant: this.name, message: v };
      }
    }
    return undefined;
  }

  protected abstract judge(f: PaymentFact): string | undefined;
}

export class LedgerAgreementChecker implements Observer {
  readonly name = 'ledger-agreement';
  private readonly first = new Map<number, { state: string; node: NodeId }>();
  constructor(private readonly byzantine: ReadonlySet<NodeId>) {}
  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'settlement.block' || this.byzantine.has(node)) return undefined;
    const b = obs as BlockObs;
    const prev = this.first.get(b.seq);
    if (!prev) {
      this.first.set(b.seq, { state: b.state, node });
      return undefined;
    }
    if (prev.state !== b.state) {
      return { kind: 'safety', invariant: this.name, message: `committers ${prev.node} and ${node} hold different ledgers after block ${b.seq}: state ${prev.state.slice(0, 12)}… vs ${b.state.slice(0, 12)}…` };
    }
    return undefined;
  }
}

export class NoNegativeBalanceChecker extends FactChecker {
  readonly name = 'no-negative-balance';
  protected judge(f: PaymentFact): string | undefined {
    if (f.payerAfter < 0n) return `payment ${f.txId.slice(0, 12)}… (block ${f.seq}) left ${f.tx.payer} with ${f.payerAfter} (was ${f.payerBefore})`;
    if (f.payeeAfter < 0n) return `payment ${f.txId.slice(0, 12)}… (block ${f.seq}) left ${f.tx.payee} with ${f.payeeAfter}`;
    return undefined;
  }
}

export class ConservationChecker extends FactChecker {
  readonly name = 'conservation-of-value';
  protected judge(f: PaymentFact): string | undefined {
    const delta = f.payerAfter - f.payerBefore + (f.payeeAfter - f.payeeBefore);
    if (delta === 0n) return undefined;
    return `payment ${f.txId.slice(0, 12)}… (block ${f.seq}) ${delta > 0n ? 'created' : 'destroyed'} ${delta > 0n ? delta : -delta}: ${f.tx.payer} ${f.payerBefore} → ${f.payerAfter}, ${f.tx.payee} ${f.payeeBefore} → ${f.payeeAfter}; total supply now ${this.model.sum} (genesis ${this.model.directory.totalSupply})`;
  }
}

export class ValidPaymentsChecker extends FactChecker {
  readonly name = 'valid-payments-only';
  private readonly pay: PayChaincode;
  constructor(model: PlaintextModel, private readonly w: SettlementWorld) {
    super(model);
    this.pay = new PayChaincode(w.payment);
  }
  protected judge(f: PaymentFact): string | undefined {
    const v = verifyPaymentShared(this.w.payment, { tx: f.tx, txId: f.txId, authorization: f.authorization });
    if (!v.valid) return `payment ${f.txId.slice(0, 12)}… (block ${f.seq}) was applied but fails check ${v.reason} (${PAYMENT_CHECKS.filter((c) => !v.checks[c]).join(', ')} failed)`;
    const { required, orgs } = this.w.policy;
    const digest = endorsementDigest(PAY, f.txId, rwsetDigest(this.pay.rwset(f.tx)));
    const good = new Set<number>();
    for (const e of f.endorsements) {
      const peer = this.w.layout.orgs[e.org]?.peer;
      if (orgs.includes(e.org) && peer !== undefined && this.w.keys.verify(peer, digest, e.signature)) good.add(e.org);
    }
    if (good.size >= required) return undefined;
    return `payment ${f.txId.slice(0, 12)}… (block ${f.seq}) was applied with valid endorsements of ${good.size} organisation(s) [${[...good].join(',')}]; the policy requires ${required}`;
  }
}

/** The four settlement checkers in reporting order (see header), sharing one plaintext model. */
export function makeSettlementCheckers(w: SettlementWorld, byzantine: ReadonlySet<NodeId>) {
  const model = new PlaintextModel(w, byzantine);
  const agreement = new LedgerAgreementChecker(byzantine);
  const negative = new NoNegativeBalanceChecker(model);
  const conservation = new ConservationChecker(model);
  const valid = new ValidPaymentsChecker(model, w);
  return { model, agreement, negative, conservation, valid, all: [agreement, negative, conservation, valid] as Observer[] };
}
