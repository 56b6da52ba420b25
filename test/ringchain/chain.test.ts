import { describe, expect, it } from 'vitest';
import { contractReader, contractTxData } from '../../protocols/ringchain/contracts/index.ts';
import { transferData } from '../../protocols/ringchain/tx.ts';
import { ETHER, PARAMS, testWorld } from './helpers.ts';

describe('ringchain chain', () => {
  it('executes a block of ring-signed txs and commits state and tx roots', () => {
    const t = testWorld();
    const [a, b] = t.ids;
    const g = t.world.store.genesis;
    const deploy = t.sign(a, { kind: 'deploy', nonce: 0, data: contractTxData.deployAccessList() });
    const pay = t.sign(a, { kind: 'call', nonce: 1, to: b.pseudonym, data: transferData(ETHER) });
    const blk = t.block(g, [deploy, pay]);
    expect(blk.txs.length).toBe(2);
    const e = t.accept(blk);
    const alc = contractTxData.createdAddress(a.pseudonym, 0);
    expect(contractReader.accessList(e.state.contracts, alc)?.institution).toBe(a.pseudonym);
    expect(e.state.account(a.pseudonym).nonce).toBe(2);
    expect(e.state.account(b.pseudonym).balance).toBe(11n * ETHER);
    const fees = e.state.receipts.reduce((s, r) => s + r.fee, 0n);
    expect(e.state.account(a.pseudonym).balance).toBe(9n * ETHER - fees);
    expect(e.state.receipts.map((r) => r.status)).toEqual(['success', 'success']);
    expect(t.world.chain.params).toBe(t.chain.params);
    expect(e.state.root()).not.toEqual(g.state.root());
  });
});

import { assembleBlock, mineBlock, txRootOf, type RingBlock, type RingHeader } from '../../protocols/ringchain/block.ts';
import { minerAddress, RingChain } from '../../protocols/ringchain/chain.ts';
import { decodeTx } from '../../protocols/ringchain/tx.ts';
import type { RingTx } from '../../protocols/ringchain/tx.ts';

function remine(b: RingBlock, change: Partial<RingHeader>, txs: readonly RingTx[] = b.txs): RingBlock {
  const { nonce: _n, mixHash: _m, ...rest } = b.header;
  return mineBlock({ ...rest, ...change }, txs, b.ommers);
}

describe('ringchain block validation', () => {
  it('rejects a wrong state root, a wrong tx root, bad proof of work and a tampered body', () => {
    const t = testWorld();
    const [a, b] = t.ids;
    const g = t.world.store.genesis;
    const pay = t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(ETHER) });
    const honest = t.block(g, [pay]);
    const root = new Uint8Array(honest.header.stateRoot);
    root[0] ^= 1;
    expect(t.world.store.accept(remine(honest, { stateRoot: root }), 0)).toMatchObject({ ok: false, reason: 'bad-state-root' });
    const txRoot = new Uint8Array(honest.header.txRoot);
    txRoot[5] ^= 1;
    expect(t.world.store.accept(remine(honest, { txRoot }), 0)).toMatchObject({ ok: false, reason: 'bad-tx-root' });
    // Honest header, body without the tx: bad tx root, and not remembered by hash.
    const stripped = assembleBlock(honest.header, [], []);
    expect(t.world.store.accept(stripped, 0)).toMatchObject({ ok: false, reason: 'bad-tx-root' });
    // Same header with a nonce that does not meet the target (difficulty 64: try until one fails).
    let bad: RingBlock | undefined;
    for (let i = 1; !bad; i++) {
      const nonce = new Uint8Array(honest.header.nonce);
      nonce[7] ^= i;
      const cand = assembleBlock({ ...honest.header, nonce }, honest.txs, []);
      if (t.chain.checkBody(cand).reason === 'bad-pow') bad = cand;
    }
    expect(t.world.store.accept(bad, 0)).toMatchObject({ ok: false, reason: 'bad-pow' });
    expect(t.world.store.accept(honest, 0).ok).toBe(true);
  });

  it('rejects forged and mutated ring signatures, unknown ring members and malformed txs', () => {
    const t = testWorld();
    const [a, b, c] = t.ids;
    const g = t.world.store.genesis;
    const pay = t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(ETHER) });
    // Mutated: one response scalar changed (re-encoded so it still decodes).
    const bytes = new Uint8Array(pay.bytes);
    const sOffset = bytes.length - 32 - 1 - 32 * pay.ring.length + 1; // inside the s list
    bytes[sOffset + 3] ^= 0x01;
    const mutated = decodeTx(bytes);
    expect('reason' in mutated).toBe(false);
    expect(t.chain.checkTx(g, mutated as RingTx, 0)).toBe('bad-ring-signature');
    // Forged: a ring that does not contain the signer's key is impossible to sign; take a valid signature
    // and swap the message (different recipient) — the signature no longer matches.
    const other = t.sign(a, { kind: 'call', nonce: 0, to: c.pseudonym, data: transferData(ETHER) });
    expect(t.chain.checkTx(g, other, 0)).toBeNull();
    // A block holding the mutated tx, mined with valid PoW and roots, is rejected.
    const withRoot = remine(t.block(g, []), { txRoot: txRootOf([mutated as RingTx]) }, [mutated as RingTx]);
    expect(t.world.store.accept(withRoot, 0)).toMatchObject({ ok: false, reason: 'bad-ring-signature' });
    // Malformed bytes never crash: decoding reports why.
    expect(decodeTx(new Uint8Array([0xc0]))).toEqual({ reason: 'malformed-tx' });
    expect(decodeTx(new Uint8Array([0xff, 0x00]))).toEqual({ reason: 'malformed-rlp' });
    expect(decodeTx(pay.bytes.subarray(0, pay.bytes.length - 1))).toEqual({ reason: 'malformed-rlp' });
    // A ring with a key nobody enrolled.
    const outsider = t.ids[11];
    const t2 = testWorld({ ids: 6 });
    expect(t2.world.store.genesis.state.keys.has(outsider.publicHex)).toBe(false);
    const withOutsider = t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(1n) }, 12);
    expect(t2.chain.checkTx(t2.world.store.genesis, withOutsider, 0)).toBe('unknown-ring-member');
  });

  it('accepts a (key image, nonce) pair at most once: replays and re-signed replays are refused', () => {
    const t = testWorld();
    const [a, b] = t.ids;
    const g = t.world.store.genesis;
    const pay = t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(ETHER) });
    const e1 = t.accept(t.block(g, [pay]));
    // Exact replay, and the same key and nonce re-signed over another ring and payload.
    const resigned = t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(2n * ETHER) }, 6);
    expect(resigned.keyImageHex).toBe(pay.keyImageHex);
    expect(resigned.sender).toBe(pay.sender);
    expect(t.chain.checkTx(e1, pay, 0)).toBe('replayed-nonce');
    expect(t.chain.checkTx(e1, resigned, 0)).toBe('replayed-nonce');
    // The builder drops them; a block forced to hold one is rejected.
    expect(t.block(e1, [pay, resigned]).txs.length).toBe(0);
    const forced = remine(t.block(e1, []), { txRoot: txRootOf([pay]) }, [pay]);
    expect(t.world.store.accept(forced, 0)).toMatchObject({ ok: false, reason: 'replayed-nonce' });
    // Both orders within one block: the second is dropped.
    const both = t.block(g, [pay, resigned]);
    expect(both.txs.map((x) => x.txid)).toEqual([pay.txid]);
  });

  it('links txs of one key by pseudonym, not to a ring member', () => {
    const t = testWorld();
    const [a, b] = t.ids;
    const x = t.sign(a, { kind: 'call', nonce: 0, to: b.pseudonym, data: transferData(1n) });
    const y = t.sign(a, { kind: 'call', nonce: 1, to: b.pseudonym, data: transferData(1n) }, 8);
    expect(x.sender).toBe(a.pseudonym);
    expect(y.sender).toBe(a.pseudonym);
    for (const k of [...x.ring, ...y.ring]) expect(x.sender.includes(Buffer.from(k).toString('hex').slice(0, 40))).toBe(false);
    expect(t.sign(b, { kind: 'call', nonce: 0, to: a.pseudonym, data: transferData(1n) }).sender).not.toBe(a.pseudonym);
  });

  it('includes ommers and rewards them as the yellow paper says', () => {
    const t = testWorld();
    const g = t.world.store.genesis;
    const b1 = t.accept(t.block(g, [], { miner: 1 }));
    const u1 = t.accept(t.block(g, [], { miner: 2, time: 16 }));
    const b2 = t.accept(t.block(b1, [], { miner: 1, ommers: [u1.block.headerBytes] }));
    const R = PARAMS.blockReward;
    expect(b2.state.account(minerAddress(2)).balance).toBe((R * 7n) / 8n);
    expect(b2.state.account(minerAddress(1)).balance).toBe(2n * R + R / 32n);
    // The same ommer twice, or an ancestor as ommer, is refused.
    expect(t.world.store.accept(t.block(b2, [], { ommers: [u1.block.headerBytes] }), 0)).toMatchObject({ ok: false, reason: 'bad-ommer' });
    expect(t.world.store.accept(t.block(b2, [], { ommers: [b1.block.headerBytes] }), 0)).toMatchObject({ ok: false, reason: 'bad-ommer' });
    // A miner holding the sibling picks it up by itself.
    u1.have[0] = 1;
    const c = new RingChain(PARAMS);
    expect(c).toBeDefined();
    const auto = t.chain.assemble({} as never, { parent: b1, txs: [], extra: [], timeSec: 40, miner: 0 });
    expect(auto.ommers.length).toBe(1);
    expect(t.world.store.accept(auto, 0).ok).toBe(true);
  });
});
