import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { createAccessPayload } from '../../protocols/records/payloads.ts';
import { SimpleLedger } from '../../protocols/records/ledger.ts';
import { RecordStore, TamperingBackend, MemoryBackend, answerChallenge, contentUri } from '../../protocols/records/store.ts';
import type { RefusalReason } from '../../protocols/records/store.ts';
import { flipBit } from '../../protocols/records/backends.ts';

const HOUR = 3_600_000_000;

function setup(minConfirmations = 1) {
  const rnd = seededRandom(11, 'test/records/store');
  const ledger = new SimpleLedger({ now: 1_000 });
  const store = new RecordStore({ ledger, random: seededRandom(11, 'store/nonces'), minConfirmations });
  const ownerSk = rnd(32);
  const granteeSk = rnd(32);
  const granteePk = ed25519.getPublicKey(granteeSk);
  const ct = rnd(200);
  const uri = store.upload(ct);
  const grant = (perms: string[], expiration = HOUR, sk = ownerSk, grantee = granteePk) =>
    ledger.submitAccess(
      createAccessPayload({ uri, permissions: perms, granteeKey: grantee, expiration, wrappedKey: perms.length ? rnd(104) : new Uint8Array(0) }, sk),
    );
  const fetchAs = (sk: Uint8Array, u = uri) => store.fetch(answerChallenge(store.challenge(u, ed25519.getPublicKey(sk)), sk));
  return { rnd, ledger, store, ownerSk, granteeSk, granteePk, ct, uri, grant, fetchAs };
}

function reason(r: { ok: boolean } & ({ ok: true } | { ok: false; reason: RefusalReason })): string {
  return r.ok ? 'ok' : (r as { reason: RefusalReason }).reason;
}

describe('RecordStore', () => {
  it('content-addresses uploads', () => {
    const { uri, ct } = setup();
    expect(uri).toBe(contentUri(ct));
    expect(uri).toMatch(/^medrec:[0-9a-f]{64}$/);
  });

  it('serves an authorised grantee and the owner', () => {
    const s = setup();
    expect(s.grant(['read'])).toBeUndefined();
    s.ledger.mine();
    const r = s.fetchAs(s.granteeSk);
    expect(r.ok && r.ciphertext).toEqual(s.ct);
    expect(reason(s.fetchAs(s.ownerSk))).toBe('ok');
    expect(s.store.served).toBe(2);
    expect(s.store.refused).toBe(0);
  });

  it('refuses: not authorised (no grant, missing permission, stranger)', () => {
    const s = setup();
    expect(reason(s.fetchAs(s.granteeSk))).toBe('not-authorised');
    s.grant(['write']);
    s.ledger.mine();
    expect(reason(s.fetchAs(s.granteeSk))).toBe('not-authorised');
    expect(reason(s.fetchAs(s.rnd(32)))).toBe('not-authorised');
    expect(s.store.refusals['not-authorised']).toBe(3);
  });

  it('refuses: a grant signed by someone other than the owner is invalid on chain', () => {
    const s = setup();
    s.grant(['read'], HOUR, s.ownerSk, ed25519.getPublicKey(s.rnd(32)));
    expect(s.grant(['read'], HOUR, s.rnd(32))).toBe('not-owner');
    s.ledger.mine();
    expect(reason(s.fetchAs(s.granteeSk))).toBe('not-authorised');
  });

  it('refuses: expired at the ledger time', () => {
    const s = setup();
    s.grant(['read'], 5_000);
    s.ledger.mine();
    s.ledger.setNow(4_999);
    expect(reason(s.fetchAs(s.granteeSk))).toBe('ok');
    s.ledger.setNow(5_000);
    expect(reason(s.fetchAs(s.granteeSk))).toBe('expired');
    expect(s.store.refusals.expired).toBe(1);
  });

  it('refuses: revoked (latest tx has empty permissions); a later grant restores', () => {
    const s = setup();
    s.grant(['read']);
    s.ledger.mine();
    s.grant([]);
    s.ledger.mine();
    expect(reason(s.fetchAs(s.granteeSk))).toBe('revoked');
    s.grant(['read']);
    s.ledger.mine();
    expect(reason(s.fetchAs(s.granteeSk))).toBe('ok');
  });

  it('refuses: insufficient confirmations, until the grant is deep enough', () => {
    const s = setup(3);
    s.grant(['read']);
    expect(reason(s.fetchAs(s.granteeSk))).toBe('not-authorised'); // still queued (0 confirmations)
    s.ledger.mine(2);
    expect(reason(s.fetchAs(s.granteeSk))).toBe('insufficient-confirmations');
    s.ledger.mine();
    expect(reason(s.fetchAs(s.granteeSk))).toBe('ok');
    // a revocation counts only once it is 3 deep too
    s.grant([]);
    s.ledger.mine();
    expect(reason(s.fetchAs(s.granteeSk))).toBe('ok');
    s.ledger.mine(2);
    expect(reason(s.fetchAs(s.granteeSk))).toBe('revoked');
    expect(s.store.refusals['insufficient-confirmations']).toBe(1);
  });

  it('refuses: bad proof (wrong key, replayed nonce, foreign nonce, wrong uri, expired nonce)', () => {
    const s = setup();
    s.grant(['read']);
    s.ledger.mine();
    const ch = s.store.challenge(s.uri, s.granteePk);
    // signed by the wrong key
    expect(reason(s.store.fetch(answerChallenge(ch, s.rnd(32))))).toBe('bad-proof');
    // nonce consumed by the failed attempt: even the right key cannot reuse it
    expect(reason(s.store.fetch(answerChallenge(ch, s.granteeSk)))).toBe('bad-proof');
    const ch2 = s.store.challenge(s.uri, s.granteePk);
    const good = answerChallenge(ch2, s.granteeSk);
    expect(reason(s.store.fetch(good))).toBe('ok');
    expect(reason(s.store.fetch(good))).toBe('bad-proof'); // replay
    expect(reason(s.store.fetch({ ...good, nonce: s.rnd(32) }))).toBe('bad-proof'); // never issued
    const ch3 = s.store.challenge(s.uri, s.granteePk);
    expect(reason(s.store.fetch({ ...answerChallenge(ch3, s.granteeSk), uri: 'medrec:' + '00'.repeat(32) }))).toBe('bad-proof');
    const ch4 = s.store.challenge(s.uri, s.granteePk);
    s.ledger.setNow(ch4.expiresAt + 1);
    expect(reason(s.store.fetch(answerChallenge(ch4, s.granteeSk)))).toBe('bad-proof');
    expect(s.store.refusals['bad-proof']).toBe(6);
  });

  it('refuses: not found (authorised but absent)', () => {
    const s = setup();
    const other = 'medrec:' + '11'.repeat(32);
    s.ledger.submitAccess(createAccessPayload({ uri: other, permissions: ['read'], granteeKey: s.granteePk, expiration: HOUR, wrappedKey: s.rnd(104) }, s.ownerSk));
    s.ledger.mine();
    expect(reason(s.fetchAs(s.granteeSk, other))).toBe('not-found');
    expect(s.store.refusals['not-found']).toBe(1);
  });

  it('detects a corrupted object (tampered) at the honest store', () => {
    const rnd = seededRandom(3, 't');
    const backend = new MemoryBackend();
    const ledger = new SimpleLedger();
    const store = new RecordStore({ ledger, random: rnd, backend });
    const ownerSk = rnd(32);
    const uri = store.upload(rnd(64));
    backend.corrupt(uri, (b) => flipBit(b, 0));
    const r = store.fetch(answerChallenge(store.challenge(uri, ed25519.getPublicKey(ownerSk)), ownerSk));
    expect(reason(r)).toBe('not-authorised'); // owner unknown to the chain yet
    ledger.submitAccess(createAccessPayload({ uri, permissions: ['read'], granteeKey: ed25519.getPublicKey(ownerSk), expiration: HOUR, wrappedKey: rnd(104) }, ownerSk));
    ledger.mine();
    expect(reason(store.fetch(answerChallenge(store.challenge(uri, ed25519.getPublicKey(ownerSk)), ownerSk)))).toBe('tampered');
    expect(store.refusals.tampered).toBe(1);
  });

  it('a dishonest store serving altered bytes is caught by the content address', () => {
    const rnd = seededRandom(4, 't');
    const ledger = new SimpleLedger();
    const store = new RecordStore({ ledger, random: rnd, backend: new TamperingBackend(new MemoryBackend(), (_u, b) => flipBit(b)) });
    const sk = rnd(32);
    const ct = rnd(64);
    const uri = store.upload(ct);
    ledger.submitAccess(createAccessPayload({ uri, permissions: ['read'], granteeKey: ed25519.getPublicKey(sk), expiration: HOUR, wrappedKey: rnd(104) }, sk));
    ledger.mine();
    const r = store.fetch(answerChallenge(store.challenge(uri, ed25519.getPublicKey(sk)), sk));
    expect(r.ok).toBe(true);
    if (r.ok) expect(contentUri(r.ciphertext)).not.toBe(uri);
  });

  it('is deterministic under seeded randomness', () => {
    const a = setup();
    const b = setup();
    expect(a.uri).toBe(b.uri);
    expect(a.store.challenge(a.uri, a.granteePk).nonce).toEqual(b.store.challenge(b.uri, b.granteePk).nonce);
  });
});
