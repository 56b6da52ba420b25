import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decrypt, decryptSigned, encryptWithNonce, isValidCiphertext } from '../../protocols/crypto/paillier.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { proveBalanceUpdate, verifyBalanceUpdate, type SameKeyProof } from '../../protocols/crypto/zk-equality.ts';
import { CodecError } from '../../protocols/settlement/codec.ts';
import { decodeEnvelope, encodeEnvelope, endorsementDigest, envelopeOf, envelopeOperation, type Envelope } from '../../protocols/settlement/envelope.ts';
import { ChaincodeRegistry, Ledger, rwsetDigest, type Chaincode, type RwSet, type StateView } from '../../protocols/settlement/ledger.ts';
import { balanceKey, PAY, PayChaincode } from '../../protocols/settlement/pay-chaincode.ts';
import { decodePaymentBody, encodePaymentBody, verifyPayment } from '../../protocols/settlement/payment.ts';
import { genesisState, ledgerEnv, newLedger, chaincodes } from '../../protocols/settlement/world.ts';
import { endorse, envelope, pay, testWorld } from './helpers.ts';

const w = testWorld({ patients: 3 });
const dir = w.directory;
const plain = (account: string, l: Ledger) => {
  const v = l.get(balanceKey(account))!.value;
  if (v.kind !== 'ciphertext') throw new Error('not a balance');
  return decryptSigned(dir.keyPair(account).privateKey, v.ciphertext);
};

describe('settlement ledger: validate and commit (Fabric VSCC + MVCC)', () => {
  const p1 = pay(w, 0, 'hospital/0', 2_500n);
  const p1b = pay(w, 0, 'insurer', 700n); // same read set as p1: a double spend
  const e1 = envelope(w, p1, [0, 1]);
  const e1b = envelope(w, p1b, [0, 3]);

  it('applies a valid payment: A ← A\', B ← B·T_B, versions advance, the digest moves', () => {
    const l = newLedger(w, ledgerEnv(w));
    const d0 = l.stateDigest;
    const b = l.applyBlock(1, [e1]);
    expect(b.outcomes.map((o) => [o.valid, o.reason])).toEqual([[true, null]]);
    expect(plain('patient/0', l)).toBe(1_000_000n - 2_500n);
    expect(plain('hospital/0', l)).toBe(2_500n);
    expect(l.get(balanceKey('patient/0'))!.version).toBe(1);
    expect(l.get(balanceKey('hospital/0'))!.version).toBe(1);
    expect(l.get(balanceKey('hospital/1'))!.version).toBe(0);
    expect(b.state).not.toBe(d0);
    expect(l.committed(p1.txId)).toBe(true);
  });

  it('version check: of two payments on one balance version exactly the first commits', () => {
    const l = newLedger(w, ledgerEnv(w));
    const b = l.applyBlock(1, [e1b, e1]);
    expect(b.outcomes.map((o) => o.reason)).toEqual([null, 'version']);
    expect(plain('patient/0', l)).toBe(1_000_000n - 700n);
    expect(plain('hospital/0', l)).toBe(0n);
    // and across blocks
    const l2 = newLedger(w, ledgerEnv(w));
    l2.applyBlock(1, [e1]);
    expect(l2.applyBlock(2, [e1b]).outcomes[0].reason).toBe('version');
  });

  it('a replayed transaction is a duplicate, in the same block and later', () => {
    const l = newLedger(w, ledgerEnv(w));
    expect(l.applyBlock(1, [e1, e1]).outcomes.map((o) => o.reason)).toEqual([null, 'duplicate']);
    expect(l.applyBlock(2, [e1]).outcomes[0].reason).toBe('duplicate');
    expect(l.counts).toMatchObject({ valid: 1, duplicate: 2 });
  });

  it('endorsement policy: distinct organisations of the policy with valid signatures', () => {
    const l = newLedger(w, ledgerEnv(w));
    const one = envelope(w, p1, [2]);
    const sameTwice = { ...one, endorsements: [...one.endorsements, ...one.endorsements] };
    const forged = { ...e1, endorsements: e1.endorsements.map((x) => ({ ...x, signature: (x.signature[0] === '0' ? '1' : '0') + x.signature.slice(1) })) };
    const otherTx = { ...envelope(w, p1b, [0, 1]), txId: p1.txId, body: p1.body } as Envelope; // signatures over another tx
    const b = l.applyBlock(1, [one, sameTwice, forged, otherTx]);
    expect(b.outcomes.map((o) => o.reason)).toEqual(['endorsement', 'endorsement', 'endorsement', 'endorsement']);
    expect(plain('patient/0', l)).toBe(1_000_000n);
    // a policy restricted to the insurer (org 3) ignores the hospitals' endorsements
    const strict = new Ledger(genesisState(dir), chaincodes(w), { ...ledgerEnv(w), policy: { required: 1, orgs: [3] } });
    expect(strict.applyBlock(1, [e1]).outcomes[0].reason).toBe('endorsement');
    expect(strict.applyBlock(2, [envelope(w, p1, [3])]).outcomes[0].valid).toBe(true);
  });

  it('malformed envelopes, bodies and ciphertexts are invalid and change nothing', () => {
    const l = newLedger(w, ledgerEnv(w));
    const n2 = dir.account('hospital/0')!.publicKey.n2;
    const badCipher = { ...p1.tx, transfer: { ...p1.tx.transfer, transferB: n2 + 5n } };
    const body = encodePaymentBody(badCipher);
    const garbage = envelopeOf({ kind: 'data', bytes: 3, tag: 'settle|AAAA' });
    expect(garbage).toBeInstanceOf(CodecError);
    expect(envelopeOf({ kind: 'data', bytes: 99, tag: 'settle|' + Buffer.from(encodeEnvelope({ chaincode: PAY, body: p1.body, authorization: p1.authorization, endorsements: [] })).toString('base64') })).toBeInstanceOf(CodecError); // size lie
    const unknown = { ...e1, chaincode: 'no-such' };
    const cut = { ...e1, body: e1.body.subarray(0, 100), txId: 'ab'.repeat(32) };
    const withBad = { ...envelope(w, p1, [0, 1]), body, txId: createHash('sha256').update(body).digest('hex') } as Envelope;
    const b = l.applyBlock(1, [garbage as CodecError, unknown, cut, withBad]);
    expect(b.outcomes.map((o) => o.reason)).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    expect(l.counts.valid).toBe(0);
    expect(() => decodePaymentBody(e1.body.subarray(0, 50))).toThrow(CodecError);
    expect(() => decodeEnvelope(new Uint8Array([1, 2, 3]))).toThrow(CodecError);
  });

  it('committers that apply the same blocks agree on the state digest; different outcomes differ', () => {
    const a = newLedger(w, ledgerEnv(w));
    const b = newLedger(w, ledgerEnv(w));
    expect(a.applyBlock(1, [e1, e1b]).state).toBe(b.applyBlock(1, [e1, e1b]).state);
    const c = newLedger(w, ledgerEnv(w));
    expect(c.applyBlock(1, [e1b, e1]).state).not.toBe(a.stateDigest);
  });

  it('verification: each check of 2e, 2a–2d, 2r on the real payment', () => {
    expect(verifyPayment(w.payment, p1)).toMatchObject({ valid: true, reason: null });
    // 2e: someone else's signature over the id
    expect(verifyPayment(w.payment, { ...p1, authorization: w.keys.sign(dir.account('patient/1')!.node, p1.txId) }).reason).toBe('2e');
    // the proofs are bound to the header: another payee in the body breaks every proof
    // (to a payee under whose key T_B is still a unit below n², so the proofs are reached)
    const other = ['hospital/1', 'hospital/2', 'insurer'].find((o) => isValidCiphertext(dir.account(o)!.publicKey, p1.tx.transfer.transferB))!;
    expect(other).toBeDefined();
    const moved = { ...p1.tx, payee: other };
    const v = verifyPayment(w.payment, { tx: moved, txId: p1.txId, authorization: p1.authorization });
    expect(v.checks).toMatchObject({ malformed: true, '2a': false, '2b': false, '2c': false, '2d': false, '2r': false });
  });
});

describe('readability: who can decrypt what (seed 002 §3.3)', () => {
  const p = pay(w, 1, 'hospital/2', 4_321n);
  const tx = p.tx;
  const key = (a: string) => dir.keyPair(a).privateKey;
  /** What decrypting `c` with the wrong key yields: an exception or not the amount. */
  const unreadable = (account: string | 'regulator', c: bigint, value: bigint) => {
    const sk = account === 'regulator' ? dir.regulatorKey.privateKey : key(account);
    if (!isValidCiphertext(sk.publicKey, c)) return true;
    try {
      return decrypt(sk, c) !== value;
    } catch {
      return true;
    }
  };

  it('the payer reads A\' and T_A, the payee T_B, the regulator T_R', () => {
    expect(decrypt(key('patient/1'), tx.transfer.newBalanceA)).toBe(1_000_000n - 4_321n);
    expect(decrypt(key('patient/1'), tx.transfer.transferA)).toBe(4_321n);
    expect(decrypt(key('hospital/2'), tx.transfer.transferB)).toBe(4_321n);
    expect(decrypt(dir.regulatorKey.privateKey, tx.transferR)).toBe(4_321n);
  });

  it('nobody else reads them: other patients, other hospitals, the insurer, the regulator (for A\')', () => {
    for (const other of ['patient/0', 'patient/2', 'hospital/0', 'hospital/1', 'insurer']) {
      expect(unreadable(other, tx.transfer.newBalanceA, 1_000_000n - 4_321n)).toBe(true);
      expect(unreadable(other, tx.transfer.transferA, 4_321n)).toBe(true);
      expect(unreadable(other, tx.transferR, 4_321n)).toBe(true);
    }
    for (const other of ['patient/0', 'patient/1', 'patient/2', 'hospital/0', 'hospital/1', 'insurer']) expect(unreadable(other, tx.transfer.transferB, 4_321n)).toBe(true);
    expect(unreadable('regulator', tx.transfer.newBalanceA, 1_000_000n - 4_321n)).toBe(true);
    expect(unreadable('regulator', tx.transfer.transferB, 4_321n)).toBe(true);
    // and the encoding carries no amount in the clear: two payments of different amounts have equal-length bodies
    expect(pay(w, 1, 'hospital/2', 5n).body.length).toBeGreaterThan(1000);
  });
});

// ---- the ledger interface payment channels build on (docs/settlement.md) -------------------------

/**
 * A deposit into a new channel, as issue 13 will need it: a public amount D leaves an encrypted
 * balance with a proof that A' = A − D (EL-AHE against the deterministic encryption of D with
 * nonce 1, which anyone can recompute), and a data object `channel/<id>` is created (read at
 * version −1: it must not exist yet).
 */
interface Lock {
  owner: string;
  channel: string;
  deposit: bigint;
  version: number;
  oldBalance: bigint;
  newBalance: bigint;
  proof: SameKeyProof;
}

class LockChaincode implements Chaincode<Lock> {
  readonly name = 'lock';
  decode(body: Uint8Array): Lock {
    return JSON.parse(Buffer.from(body).toString(), (_k, v) => (typeof v === 'string' && /^n\d+$/.test(v) ? BigInt(v.slice(1)) : v));
  }
  rwset(t: Lock): RwSet {
    const pk = dir.account(t.owner)!.publicKey;
    return {
      reads: [{ key: balanceKey(t.owner), version: t.version }, { key: `channel/${t.channel}`, version: -1 }],
      writes: [
        { key: balanceKey(t.owner), put: { kind: 'ciphertext', ciphertext: t.newBalance, publicKey: pk } },
        { key: `channel/${t.channel}`, put: { kind: 'data', data: { owner: t.owner, deposit: String(t.deposit) } } },
      ],
    };
  }
  wellFormed(t: Lock, state: StateView): boolean {
    const a = dir.account(t.owner);
    return !!a && state.get(balanceKey(t.owner)) !== undefined && isValidCiphertext(a.publicKey, t.newBalance);
  }
  simulate(t: Lock): { ok: true } | { ok: false; reason: string } {
    const pk = dir.account(t.owner)!.publicKey;
    const ok = verifyBalanceUpdate({ publicKey: pk, oldBalance: t.oldBalance, transfer: encryptWithNonce(pk, t.deposit, 1n), newBalance: t.newBalance }, t.proof);
    return ok ? { ok: true } : { ok: false, reason: 'proof' };
  }
}

describe('ledger interface for channels: a custom chaincode', () => {
  const reg = new ChaincodeRegistry().register(new PayChaincode(w.payment)).register(new LockChaincode());
  const owner = 'patient/2';
  const kp = dir.keyPair(owner);
  const A = dir.genesis.get(owner)!;
  const D = 30_000n;
  const r = seededRandom('lock-test', 'r');
  const newBalance = encryptWithNonce(kp.privateKey, 1_000_000n - D, 5n);
  const proof = proveBalanceUpdate({ publicKey: kp.publicKey, oldBalance: A, transfer: encryptWithNonce(kp.publicKey, D, 1n), newBalance }, kp.privateKey, { random: r });
  const lock: Lock = { owner, channel: 'c1', deposit: D, version: 0, oldBalance: A, newBalance, proof };
  const lockEnvelope = (orgs: number[], t: Lock = lock) => {
    const body = new TextEncoder().encode(JSON.stringify(t, (_k, v) => (typeof v === 'bigint' ? `n${v}` : v)));
    const txId = createHash('sha256').update(body).digest('hex');
    const digest = endorsementDigest('lock', txId, rwsetDigest(new LockChaincode().rwset(t)));
    const e = envelopeOf(envelopeOperation(encodeEnvelope({ chaincode: 'lock', body, authorization: '00', endorsements: orgs.map((org) => ({ org, signature: w.keys.sign(w.layout.orgs[org].peer, digest) })) })));
    if (e instanceof Error) throw e;
    return e;
  };

  it('simulates (EL-AHE for a public D), creates the channel object once, debits the balance', () => {
    const l = new Ledger(genesisState(dir), reg, ledgerEnv(w));
    expect(new LockChaincode().simulate(lock)).toEqual({ ok: true });
    const e = lockEnvelope([0, 1]);
    const b = l.applyBlock(1, [e]);
    expect(b.outcomes[0]).toMatchObject({ valid: true, chaincode: 'lock' });
    expect(plain(owner, l)).toBe(1_000_000n - D);
    expect(l.get('channel/c1')).toEqual({ value: { kind: 'data', data: { owner, deposit: String(D) } }, version: 0 });
    // another lock of channel c1 (reads "c1 does not exist", version −1) is stale now, even on a current balance
    const second = lockEnvelope([0, 1], { ...lock, version: 1, oldBalance: newBalance, deposit: 1n });
    expect(l.applyBlock(2, [second]).outcomes[0].reason).toBe('version');
    // an envelope whose endorsements cover another transaction is refused
    expect(l.applyBlock(3, [{ ...e, txId: 'cd'.repeat(32) } as Envelope]).outcomes[0].reason).toBe('endorsement');
    // a payment still works next to it, built on the new version
    const p = pay(w, 2, 'insurer', 10n, l.get(balanceKey(owner))!.value.kind === 'ciphertext' ? newBalance : 0n, 1);
    expect(l.applyBlock(4, [envelope(w, p, [1, 2])]).outcomes[0].valid).toBe(true);
    expect(plain(owner, l)).toBe(1_000_000n - D - 10n);
    void endorse;
  });

  it('a wrong deposit proof is refused by the simulation', () => {
    expect(new LockChaincode().simulate({ ...lock, deposit: D - 1n })).toEqual({ ok: false, reason: 'proof' });
  });
});
