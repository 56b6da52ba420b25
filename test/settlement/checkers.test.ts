/**
 * The settlement checkers fire on real violations fed from real ledgers: `ledger-agreement` on
 * two committers that applied different blocks at the same height (here: the two halves of a
 * double spend in opposite orders), the fact checkers on a block a broken ledger applied. The
 * end-to-end catches (through the mutants) are in mutants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { makeSettlementCheckers } from '../../protocols/settlement/checkers.ts';
import { ChaincodeRegistry, Ledger, type ReadEntry } from '../../protocols/settlement/ledger.ts';
import { PayChaincode } from '../../protocols/settlement/pay-chaincode.ts';
import { genesisState, ledgerEnv, newLedger } from '../../protocols/settlement/world.ts';
import { envelope, pay, testWorld } from './helpers.ts';

const w = testWorld();
const p1 = pay(w, 0, 'hospital/0', 2_500n);
const p1b = pay(w, 0, 'insurer', 700n); // same read set as p1
const e1 = envelope(w, p1, [0, 1]);
const e1b = envelope(w, p1b, [0, 3]);
const report = (committer: number, block: ReturnType<Ledger['applyBlock']>) => ({ kind: 'settlement.block', seq: block.seq, state: block.state, block, committer });

describe('settlement invariant checkers fire on real violations', () => {
  it('ledger-agreement: two honest committers with different blocks at one height', () => {
    const c = makeSettlementCheckers(w, new Set());
    const a = newLedger(w, ledgerEnv(w)).applyBlock(1, [e1, e1b]);
    const b = newLedger(w, ledgerEnv(w)).applyBlock(1, [e1b, e1]);
    expect(c.agreement.onObservation(4, report(4, a))).toBeUndefined();
    expect(c.agreement.onObservation(5, report(5, a))).toBeUndefined();
    expect(c.agreement.onObservation(6, report(6, b))).toMatchObject({ kind: 'safety', invariant: 'ledger-agreement', message: expect.stringMatching(/committers 4 and 6 hold different ledgers after block 1/) });
    // A Byzantine committer's different ledger is not a violation.
    const c2 = makeSettlementCheckers(w, new Set([6]));
    c2.agreement.onObservation(4, report(4, a));
    expect(c2.agreement.onObservation(6, report(6, b))).toBeUndefined();
  });

  it('conservation-of-value: a ledger without the version check applies both halves of a double spend', () => {
    class NoMvcc extends Ledger {
      protected override readsCurrent(_reads: readonly ReadEntry[]): boolean {
        return true;
      }
    }
    const broken = new NoMvcc(genesisState(w.directory), new ChaincodeRegistry().register(new PayChaincode(w.payment)), ledgerEnv(w));
    const block = broken.applyBlock(1, [e1, e1b]);
    expect(block.outcomes.filter((o) => o.valid)).toHaveLength(2);
    const c = makeSettlementCheckers(w, new Set());
    expect(c.negative.onObservation(4, report(4, block), 0)).toBeUndefined();
    // The second payment's A' = 1 000 000 − 700 overwrote the first's: 2 500 created.
    expect(c.conservation.onObservation(4, report(4, block), 0)).toMatchObject({ invariant: 'conservation-of-value', message: expect.stringMatching(/created 2500/) });
    // The honest ledger invalidates the second: nothing fires.
    const good = makeSettlementCheckers(w, new Set());
    const ok = newLedger(w, ledgerEnv(w)).applyBlock(1, [e1, e1b]);
    expect(ok.outcomes.map((o) => o.valid)).toEqual([true, false]);
    for (const o of good.all) expect(o.onObservation!(4, report(4, ok), 0)).toBeUndefined();
  });

  it('valid-payments-only: a payment with endorsements of one organisation under a 2-of-n policy', () => {
    class NoPolicy extends Ledger {
      protected override endorsed(): boolean {
        return true;
      }
    }
    const broken = new NoPolicy(genesisState(w.directory), new ChaincodeRegistry().register(new PayChaincode(w.payment)), ledgerEnv(w));
    const block = broken.applyBlock(1, [envelope(w, p1, [2])]);
    expect(block.outcomes[0].valid).toBe(true);
    const c = makeSettlementCheckers(w, new Set());
    for (const o of [c.agreement, c.negative, c.conservation]) expect(o.onObservation(4, report(4, block), 0)).toBeUndefined();
    expect(c.valid.onObservation(4, report(4, block), 0)).toMatchObject({ invariant: 'valid-payments-only', message: expect.stringMatching(/valid endorsements of 1 organisation\(s\) \[2\]; the policy requires 2/) });
  });
});
