import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { sha256 } from '../../protocols/crypto/hash.ts';
import { utf8ToBytes, bytesToUtf8 } from '../../protocols/crypto/encoding.ts';
import { encodeAccessPayload, encodeStoragePayload, verifyAccessPayload } from '../../protocols/records/payloads.ts';
import { TamperedChainView } from '../../protocols/records/attacks.ts';
import { SimpleLedger } from '../../protocols/records/ledger.ts';
import { MemoryBackend, RecordStore, TamperingBackend, contentUri } from '../../protocols/records/store.ts';
import { DirectoryBackend, flipBit } from '../../protocols/records/backends.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PatientWallet,
  RecordError,
  fetchRecord,
  generateKeyPair,
  issueRecord,
  openRecord,
  revokeRecord,
  shareRecord,
  storeRecord,
} from '../../protocols/records/flows.ts';
import type { RecordErrorCode } from '../../protocols/records/flows.ts';

const HOUR = 3_600_000_000;
const M = utf8ToBytes('Patient: P-17. Dx: type 2 diabetes. Rx: metformin 500 mg twice daily.');

function world(seed = 1, backend = new MemoryBackend() as ConstructorParameters<typeof RecordStore>[0]['backend']) {
  const random = seededRandom(seed, 'test/records/flows');
  const ledger = new SimpleLedger({ now: 10_000 });
  const store = new RecordStore({ ledger, random: seededRandom(seed, 'store'), backend });
  const doctor = generateKeyPair(random);
  const patient = generateKeyPair(random);
  const researcher = generateKeyPair(random);
  const wallet = new PatientWallet();
  return { random, ledger, store, doctor, patient, researcher, wallet };
}

function code(f: () => unknown): RecordErrorCode | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof RecordError) return e.code;
    throw e;
  }
}

/** Alg. 2 + publish + Alg. 3 + Alg. 4 grant + publish. */
function issueStoreShare(w: ReturnType<typeof world>) {
  const issued = issueRecord(w.doctor, w.patient.publicKey, M, w.random);
  expect(w.ledger.submitStorage(issued.storage)).toBeUndefined();
  w.ledger.mine();
  const entry = storeRecord(w.patient, issued.envelope, w.store, w.random, { wallet: w.wallet, ledger: w.ledger });
  const grant = shareRecord(entry, w.researcher.publicKey, ['read'], w.ledger.now() + HOUR, w.random);
  expect(w.ledger.submitAccess(grant)).toBeUndefined();
  w.ledger.mine();
  return { issued, entry, grant };
}

describe('Algorithms 2–4 end to end', () => {
  it('issue → store → share → fetch → revoke', () => {
    const w = world();
    const { issued, entry, grant } = issueStoreShare(w);
    // Alg. 2: storage payload carries H(M) and is valid on chain; the record never appears in clear
    expect(issued.storage.hM).toEqual(sha256(M));
    // Alg. 3: stored object is a ciphertext under a NEW key, content-addressed
    const stored = w.store.backend.get(entry.uri)!;
    expect(entry.uri).toBe(contentUri(stored));
    expect(Buffer.from(stored).includes(Buffer.from(M.subarray(0, 16)))).toBe(false);
    expect(w.wallet.get(entry.uri)).toBe(entry);
    expect(w.wallet.byDigest(issued.envelope.digest)).toBe(entry);
    // pseudonymity: the record's owner key is fresh, not the patient's key
    expect(entry.owner.publicKey).not.toEqual(w.patient.publicKey);
    expect(w.ledger.recordOwner(entry.uri)).toEqual(entry.owner.publicKey);
    // Alg. 4: access tx valid, sized for bandwidth accounting
    expect(verifyAccessPayload(grant)).toBe(true);
    expect(grant.wrappedKey.length).toBe(82);
    expect(encodeAccessPayload(grant).length).toBe(298);
    expect(encodeStoragePayload(issued.storage).length).toBe(162);
    // third party fetches and decrypts
    const got = fetchRecord(w.researcher, entry.uri, w.store, w.ledger);
    expect(bytesToUtf8(got.record.M)).toBe(bytesToUtf8(M));
    expect(got.storage.digest).toEqual(issued.envelope.digest);
    // revocation: empty permission set
    const rev = revokeRecord(entry, w.researcher.publicKey);
    expect(rev.permissions).toEqual([]);
    expect(encodeAccessPayload(rev).length).toBe(211);
    expect(w.ledger.submitAccess(rev)).toBeUndefined();
    w.ledger.mine();
    let err: unknown;
    try {
      fetchRecord(w.researcher, entry.uri, w.store, w.ledger);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecordError);
    expect((err as RecordError).code).toBe('refused');
    expect((err as RecordError).reason).toBe('revoked');
  });

  it("the patient may use its own key as owner, and shares several records independently", () => {
    const w = world(2);
    const a = issueRecord(w.doctor, w.patient.publicKey, M, w.random);
    const b = issueRecord(w.doctor, w.patient.publicKey, utf8ToBytes('second'), w.random);
    w.ledger.submitStorage(a.storage);
    w.ledger.submitStorage(b.storage);
    w.ledger.mine();
    const ea = storeRecord(w.patient, a.envelope, w.store, w.random, { wallet: w.wallet, owner: 'patient' });
    const eb = storeRecord(w.patient, b.envelope, w.store, w.random, { wallet: w.wallet });
    expect(ea.owner.publicKey).toEqual(w.patient.publicKey);
    expect(eb.owner.publicKey).not.toEqual(ea.owner.publicKey);
    expect(w.wallet.size).toBe(2);
    w.ledger.submitAccess(shareRecord(eb, w.researcher.publicKey, ['read'], HOUR, w.random));
    w.ledger.mine();
    expect(bytesToUtf8(fetchRecord(w.researcher, eb.uri, w.store, w.ledger).record.M)).toBe('second');
    expect(code(() => fetchRecord(w.researcher, ea.uri, w.store, w.ledger))).toBe('refused');
  });

  it('a wrapped key opens only for its grantee and only under its URI', async () => {
    const { unwrapKey, x25519KeyPairFromEd25519, DecryptionError } = await import('../../protocols/crypto/hybrid.ts');
    const { accessWrapContext } = await import('../../protocols/records/flows.ts');
    const w = world(3);
    const { entry, grant } = issueStoreShare(w);
    const mallory = generateKeyPair(w.random);
    const unwrap = (sk: Uint8Array, uri: string) => unwrapKey(grant.wrappedKey, x25519KeyPairFromEd25519(sk), accessWrapContext(uri));
    expect(unwrap(w.researcher.secretKey, entry.uri)).toEqual(entry.key);
    expect(() => unwrap(mallory.secretKey, entry.uri)).toThrow(DecryptionError);
    expect(() => unwrap(w.researcher.secretKey, 'medrec:' + '00'.repeat(32))).toThrow(DecryptionError);
    // mallory, unauthorised, is refused by the store
    expect(code(() => fetchRecord(mallory, entry.uri, w.store, w.ledger))).toBe('refused');
    expect(w.store.refusals['not-authorised']).toBe(1);
  });
});

describe('disk-backed store', () => {
  it('runs Algorithms 2–4 over a DirectoryBackend', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medrec-flow-'));
    try {
      const w = world(9, new DirectoryBackend(dir));
      const { entry } = issueStoreShare(w);
      expect(bytesToUtf8(fetchRecord(w.researcher, entry.uri, w.store, w.ledger).record.M)).toBe(bytesToUtf8(M));
      expect(new DirectoryBackend(dir).list()).toEqual([entry.uri]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Algorithm 3 discards bad envelopes', () => {
  it('altered envelope ciphertext → decrypt-failed', () => {
    const w = world(4);
    const { envelope } = issueRecord(w.doctor, w.patient.publicKey, M, w.random);
    expect(code(() => storeRecord(w.patient, { ...envelope, ciphertext: flipBit(envelope.ciphertext) }, w.store, w.random))).toBe('decrypt-failed');
    expect(code(() => storeRecord(w.researcher, envelope, w.store, w.random))).toBe('unwrap-failed');
    expect(code(() => storeRecord(w.patient, { ...envelope, digest: w.random(32) }, w.store, w.random))).toBe('unwrap-failed');
  });

  it('a forged signature or a wrong H(M) inside a validly encrypted envelope is discarded', async () => {
    const { decryptRecord, encryptRecord, unwrapKey, x25519KeyPairFromEd25519 } = await import('../../protocols/crypto/hybrid.ts');
    const { decodeSignedRecord, encodeSignedRecord, envelopeContext, envelopeWrapContext } = await import('../../protocols/records/flows.ts');
    const w = world(5);
    const { envelope } = issueRecord(w.doctor, w.patient.publicKey, M, w.random);
    const k = unwrapKey(envelope.wrappedKey, x25519KeyPairFromEd25519(w.patient.secretKey), envelopeWrapContext(envelope.digest));
    const rec = decodeSignedRecord(decryptRecord(envelope.ciphertext, k, envelopeContext(envelope.digest)));
    const reseal = (r: typeof rec) => ({ ...envelope, ciphertext: encryptRecord(encodeSignedRecord(r), k, envelopeContext(envelope.digest), w.random) });
    expect(code(() => storeRecord(w.patient, reseal({ ...rec, M: utf8ToBytes('Dx: healthy') }), w.store, w.random))).toBe('hash-mismatch');
    expect(code(() => storeRecord(w.patient, reseal({ ...rec, hM: sha256(utf8ToBytes('x')) }), w.store, w.random))).toBe('bad-signature');
    expect(code(() => storeRecord(w.patient, reseal({ ...rec, signature: flipBit(rec.signature, 3) }), w.store, w.random))).toBe('bad-signature');
    expect(code(() => storeRecord(w.patient, reseal(rec), w.store, w.random))).toBe('ok');
  });
});

describe('tamper detection', () => {
  it('store side: an altered ciphertext fails the content address and the AEAD', () => {
    const w = world(6, new TamperingBackend(new MemoryBackend(), (_u, b) => flipBit(b, 40)));
    const { entry } = issueStoreShare(w);
    expect(code(() => fetchRecord(w.researcher, entry.uri, w.store, w.ledger))).toBe('content-mismatch');
    const served = w.store.backend.get(entry.uri)!;
    expect(code(() => openRecord(entry.key, served))).toBe('decrypt-failed');
  });

  it('on chain: a changed hM or signature in the storage tx is detected by patient and third party', () => {
    for (const field of ['hM', 'signature', 'issuerKey'] as const) {
      const w = world(7);
      const issued = issueRecord(w.doctor, w.patient.publicKey, M, w.random);
      w.ledger.submitStorage(issued.storage);
      w.ledger.mine();
      // patient side, before storing
      const tampered = (p: typeof issued.storage) => ({ ...p, [field]: field === 'issuerKey' ? generateKeyPair(w.random).publicKey : flipBit(p[field]) });
      const w2 = world(7);
      const i2 = issueRecord(w2.doctor, w2.patient.publicKey, M, w2.random);
      w2.ledger.submitStorage(i2.storage);
      w2.ledger.mine();
      const view2 = new TamperedChainView(w2.ledger);
      expect(code(() => storeRecord(w2.patient, i2.envelope, w2.store, w2.random, { ledger: view2 }))).toBe('ok'); // not yet altered
      view2.tamperStorage(i2.storage.digest, tampered);
      expect(code(() => storeRecord(w2.patient, i2.envelope, w2.store, w2.random, { ledger: view2 }))).toBe('chain-mismatch');
      // third party, after sharing
      const entry = storeRecord(w.patient, issued.envelope, w.store, w.random, { ledger: w.ledger });
      w.ledger.submitAccess(shareRecord(entry, w.researcher.publicKey, ['read'], HOUR, w.random));
      w.ledger.mine();
      expect(code(() => fetchRecord(w.researcher, entry.uri, w.store, w.ledger))).toBe('ok');
      const view = new TamperedChainView(w.ledger);
      view.tamperStorage(issued.storage.digest, tampered);
      expect(code(() => fetchRecord(w.researcher, entry.uri, w.store, view))).toBe('chain-mismatch');
    }
  });

  it('a record whose storage tx never reached the chain is flagged', () => {
    const w = world(8);
    const issued = issueRecord(w.doctor, w.patient.publicKey, M, w.random);
    expect(code(() => storeRecord(w.patient, issued.envelope, w.store, w.random, { ledger: w.ledger }))).toBe('not-on-chain');
  });
});

describe('determinism', () => {
  it('the same seed gives byte-identical payloads, ciphertexts and URIs', () => {
    const run = (seed: number) => {
      const w = world(seed);
      const { issued, entry, grant } = issueStoreShare(w);
      return [encodeStoragePayload(issued.storage), issued.envelope.ciphertext, issued.envelope.wrappedKey, w.store.backend.get(entry.uri)!, encodeAccessPayload(grant), utf8ToBytes(entry.uri)];
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)[5]).not.toEqual(run(43)[5]);
  });
});
