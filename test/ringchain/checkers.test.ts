/**
 * Every ringchain invariant checker fires on a real violation (a block built and adopted by a
 * broken chain, or a real reorganisation) and stays quiet on the honest chain.
 */
import { describe, expect, it } from 'vitest';
import { RingChain } from '../../protocols/ringchain/chain.ts';
import { AlcConsistency, KeyImageNonceOnce, OwnerOnlyAuthorisation, StateRootAgreement, UnwarrantNotReversed } from '../../protocols/ringchain/checkers.ts';
import { contractReader, contractTxData, type Address } from '../../protocols/ringchain/contracts/index.ts';
import { mineBlock } from '../../protocols/ringchain/block.ts';
import { RINGCHAIN_MUTANTS } from '../../protocols/ringchain/mutants.ts';
import type { RingEntry } from '../../protocols/ringchain/chain.ts';
import { transferData } from '../../protocols/ringchain/tx.ts';
import { PARAMS, testWorld, type TestWorld } from './helpers.ts';

const honest = () => true;
const tip = (entry: RingEntry) => ({ kind: 'tip', entry });

function chainOf(t: TestWorld, from: RingEntry, blocks: number, miner = 0): RingEntry {
  let e = from;
  for (let i = 0; i < blocks; i++) e = t.accept(t.block(e, [], { miner }));
  return e;
}

/** Patient a: MRC (nonce 0); institution b: ALC (nonce 0); a warrants b's ALC (nonce 1). */
function warranted(t: TestWorld): { e: RingEntry; mrc: Address; alc: Address } {
  const [a, b] = t.ids;
  const mrc = contractTxData.createdAddress(a.pseudonym, 0);
  const alc = contractTxData.createdAddress(b.pseudonym, 0);
  const e1 = t.accept(t.block(t.world.store.genesis, [t.sign(a, { kind: 'deploy', nonce: 0, data: contractTxData.deployRecord(new Uint8Array(8)) }), t.sign(b, { kind: 'deploy', nonce: 0, data: contractTxData.deployAccessList() })]));
  const e2 = t.accept(t.block(e1, [t.sign(a, { kind: 'call', nonce: 1, to: mrc, data: contractTxData.warrant(alc) })]));
  expect(contractReader.record(e2.state.contracts, mrc)!.authorised).toEqual([alc]);
  return { e: e2, mrc, alc };
}

describe('state-root-agreement', () => {
  it('fires when a node adopts a block whose header root is not its own execution (state-root-unchecked)', () => {
    const t = testWorld({ chain: new RINGCHAIN_MUTANTS['state-root-unchecked'].variant.Chain!(PARAMS) });
    const g = t.world.store.genesis;
    const good = t.block(g, []);
    const root = good.header.stateRoot.slice();
    root[0] ^= 1;
    const { nonce: _n, mixHash: _m, ...rest } = good.header;
    const bad = t.accept(mineBlock({ ...rest, stateRoot: root }, [], []));
    const c = new StateRootAgreement(t.chain, 6, honest);
    expect(c.onObservation(0, tip(t.accept(good)))).toBeUndefined();
    expect(c.onObservation(1, tip(bad))?.message).toMatch(/commits to state root/);
  });

  it('fires when two honest nodes hold different roots at a height both hold ≥ depth deep, not before', () => {
    const t = testWorld();
    const [a, b] = t.ids;
    const g = t.world.store.genesis;
    const left = chainOf(t, t.accept(t.block(g, [t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(1n) })])), 2);
    const right = chainOf(t, t.accept(t.block(g, [t.sign(b, { kind: 'call', nonce: 0, to: a.pseudonym, data: transferData(1n) })], { miner: 1 })), 2, 1);
    const c = new StateRootAgreement(t.chain, 3, honest);
    expect(c.onObservation(0, tip(left))).toBeUndefined();
    expect(c.onObservation(1, tip(right.parent!))).toBeUndefined(); // height 1 is only 2 deep there
    expect(c.onObservation(1, tip(right))?.message).toMatch(/different state roots at height 1/);
  });
});

describe('key-image-nonce-once', () => {
  it('fires when a replayed (key image, nonce) executes again (nonce-unchecked), quiet on the honest chain', () => {
    const t = testWorld({ chain: new RINGCHAIN_MUTANTS['nonce-unchecked'].variant.Chain!(PARAMS) });
    const [a, b] = t.ids;
    const pay = t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(1n) });
    const e1 = t.accept(t.block(t.world.store.genesis, [pay]));
    const c = new KeyImageNonceOnce(honest);
    expect(c.onObservation(0, tip(e1))).toBeUndefined();
    const resigned = t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(2n) }, 5);
    const e2 = t.accept(t.block(e1, [resigned]));
    expect(e2.block.txs.length).toBe(1);
    expect(c.onObservation(0, tip(e2))?.message).toMatch(/executed at height 1 and again at height 2/);
  });
});

describe('owner-only-authorisation', () => {
  it('fires when a non-owner changes an MRC list (owner-check-skipped); the honest contract reverts NotOwner', () => {
    for (const mutant of [undefined, 'owner-check-skipped'] as const) {
      const t = testWorld({ chain: new RingChain(PARAMS, mutant) });
      const { e, mrc } = warranted(t);
      const [, , c] = t.ids;
      const alcC = contractTxData.createdAddress(c.pseudonym, 0);
      const e3 = t.accept(t.block(e, [t.sign(c, { kind: 'deploy', nonce: 0, data: contractTxData.deployAccessList() })]));
      const e4 = t.accept(t.block(e3, [t.sign(c, { kind: 'call', nonce: 1, to: mrc, data: contractTxData.warrant(alcC) })]));
      const checker = new OwnerOnlyAuthorisation(honest);
      const v = checker.onObservation(0, tip(e4));
      if (mutant) expect(v?.message).toMatch(/not its owner/);
      else {
        expect(e4.state.receipts[0].reason).toMatch(/NotOwner/);
        expect(v).toBeUndefined();
      }
    }
  });
});

describe('alc-consistency', () => {
  it('fires when an unwarrant leaves the ALC entry (alc-not-updated-on-unwarrant), quiet on the honest chain', () => {
    for (const mutant of [undefined, 'alc-not-updated-on-unwarrant'] as const) {
      const t = testWorld({ chain: new RingChain(PARAMS, mutant) });
      const { e, mrc, alc } = warranted(t);
      const checker = new AlcConsistency(honest);
      expect(checker.onObservation(0, tip(e))).toBeUndefined();
      const e3 = t.accept(t.block(e, [t.sign(t.ids[0], { kind: 'call', nonce: 2, to: mrc, data: contractTxData.unwarrant(alc) })]));
      const v = checker.onObservation(0, tip(e3));
      if (mutant) expect(v?.message).toMatch(/lists 1 MRCs but 0 warrant it/);
      else expect(v).toBeUndefined();
    }
  });
});

describe('unwarrant-not-reversed', () => {
  it('fires when a reorg drops an unwarrant confirmed ≥ depth, not when it is shallower', () => {
    const t = testWorld();
    const { e, mrc, alc } = warranted(t);
    const unwarrant = t.sign(t.ids[0], { kind: 'call', nonce: 2, to: mrc, data: contractTxData.unwarrant(alc) });
    const withUnwarrant = t.accept(t.block(e, [unwarrant]));
    const deep = chainOf(t, withUnwarrant, 3); // unwarrant has 4 confirmations
    const fork = chainOf(t, e, 5, 2);
    expect(fork.cumWork).toBeGreaterThan(deep.cumWork);
    const reorg = (oldTip: RingEntry) => ({ kind: 'reorg', oldTip, newTip: fork, fork: e });
    expect(new UnwarrantNotReversed(4, honest).onObservation(0, reorg(deep))?.message).toMatch(/reversed unwarrant .* with 4 confirmations/);
    expect(new UnwarrantNotReversed(5, honest).onObservation(0, reorg(deep))).toBeUndefined();
    // A new chain holding the same unwarrant reverses nothing.
    const same = chainOf(t, t.accept(t.block(e, [unwarrant], { miner: 3 })), 5, 3);
    expect(new UnwarrantNotReversed(4, honest).onObservation(0, { kind: 'reorg', oldTip: deep, newTip: same, fork: e })).toBeUndefined();
  });
});
