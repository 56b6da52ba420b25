import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { G, ORDER, encodePoint, encodeScalar } from '../../protocols/crypto/group.ts';
import {
  CAPSULE_BYTES,
  CFRAG_BYTES,
  KFRAG_BYTES,
  UmbralError,
  decapsulate,
  decapsulateReencrypted,
  decryptOriginal,
  decryptReencrypted,
  deserializeCFrag,
  deserializeCapsule,
  deserializeKFrag,
  encapsulate,
  encrypt,
  generateKFrags,
  generateKeyPair,
  publicKeyFromSecret,
  reencrypt,
  serializeCFrag,
  serializeCapsule,
  serializeKFrag,
  verifyCFrag,
  verifyCapsule,
  verifyKFrag,
} from '../../protocols/crypto/umbral.ts';
import type { CFrag, Capsule, DelegationKeys, KFrag, UmbralErrorCode } from '../../protocols/crypto/umbral.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { benchPre, benchRing } from '../../protocols/crypto/bench-ring-pre.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const text = (s: string) => new TextEncoder().encode(s);

function expectCode(f: () => unknown, code: UmbralErrorCode): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UmbralError);
  expect((caught as UmbralError).code).toBe(code);
}

const bumpScalar = (enc: Uint8Array) => encodeScalar((bytesToNumberLE(enc) + 1n) % ORDER);
const otherPoint = encodePoint(G.multiply(123456789n));

const rnd = seededRandom('umbral-tests', 'keys');
const alice = generateKeyPair(rnd); // delegator (patient)
const bob = generateKeyPair(rnd); // receiver (hospital B)
const carol = generateKeyPair(rnd); // someone else
const signer = generateKeyPair(rnd); // separate kFrag signing key
const keysDefault: DelegationKeys = { verifyingPub: alice.publicKey, delegatingPub: alice.publicKey, receivingPub: bob.publicKey };
const record = text('diagnosis: essential hypertension; prescription: amlodipine 5 mg');

describe('Umbral KEM', () => {
  it('encapsulate/decapsulate round-trips and the capsule passes CheckCapsule', () => {
    const { capsule, key } = encapsulate(alice.publicKey, seededRandom(1, 'kem'));
    expect(key.length).toBe(32);
    expect(verifyCapsule(capsule)).toBe(true);
    expect(hex(decapsulate(capsule, alice.secretKey))).toBe(hex(key));
    expect(hex(decapsulate(capsule, bob.secretKey))).not.toBe(hex(key));
    expect(hex(publicKeyFromSecret(alice.secretKey))).toBe(hex(alice.publicKey));
  });

  it('CheckCapsule rejects every tampered or non-canonical field', () => {
    const { capsule } = encapsulate(alice.publicKey, seededRandom(2, 'kem'));
    const bad: Capsule[] = [
      { ...capsule, e: otherPoint },
      { ...capsule, v: otherPoint },
      { ...capsule, s: bumpScalar(capsule.s) },
      { ...capsule, s: numberToBytesLE(bytesToNumberLE(capsule.s) + ORDER, 32) },
      { ...capsule, e: new Uint8Array(32) },
      { ...capsule, v: capsule.v.slice(1) },
      { e: capsule.v, v: capsule.e, s: capsule.s },
    ];
    for (const c of bad) {
      expect(verifyCapsule(c)).toBe(false);
      expectCode(() => decapsulate(c, alice.secretKey), 'invalid-capsule');
    }
    expect(verifyCapsule(null as unknown as Capsule)).toBe(false);
  });

  it('the delegator decrypts her own ciphertext; tampering is detected by the AEAD', () => {
    const { capsule, ciphertext } = encrypt(alice.publicKey, record, seededRandom(3, 'dem'));
    expect(hex(decryptOriginal(alice.secretKey, capsule, ciphertext))).toBe(hex(record));
    const t = Uint8Array.from(ciphertext);
    t[30]! ^= 1;
    expectCode(() => decryptOriginal(alice.secretKey, capsule, t), 'decryption-failed');
    expectCode(() => decryptOriginal(bob.secretKey, capsule, ciphertext), 'decryption-failed');
    expectCode(() => decryptOriginal(alice.secretKey, capsule, ciphertext.slice(0, 20)), 'decryption-failed');
    // Another valid capsule for the same key is bound as AAD: swapping capsules fails.
    const other = encrypt(alice.publicKey, record, seededRandom(4, 'dem'));
    expectCode(() => decryptOriginal(alice.secretKey, other.capsule, ciphertext), 'decryption-failed');
  });
});

describe('Umbral threshold re-encryption', () => {
  function delegation(m: number, n: number, seed: number, signerSecret?: Uint8Array) {
    const r = seededRandom(seed, 'delegation');
    const kfrags = generateKFrags(alice.secretKey, bob.publicKey, signerSecret, m, n, r);
    const { capsule, ciphertext } = encrypt(alice.publicKey, record, r);
    const cfrags = kfrags.map((k) => reencrypt(capsule, k, r));
    return { kfrags, capsule, ciphertext, cfrags };
  }

  for (const [m, n] of [[1, 1], [1, 3], [2, 3], [3, 5], [4, 4], [5, 7]] as const) {
    it(`${m}-of-${n}: every kFrag and cFrag verifies, any ${m} cFrags decrypt, ${m - 1} do not`, () => {
      const { kfrags, capsule, ciphertext, cfrags } = delegation(m, n, 10 * m + n);
      expect(kfrags.length).toBe(n);
      for (const k of kfrags) expect(verifyKFrag(k, keysDefault)).toBe(true);
      for (const c of cfrags) expect(verifyCFrag(c, capsule, keysDefault)).toBe(true);
      // Two different subsets of size m (first m, last m), and all n.
      for (const subset of [cfrags.slice(0, m), cfrags.slice(n - m), cfrags]) {
        expect(hex(decryptReencrypted(bob.secretKey, alice.publicKey, capsule, subset, ciphertext))).toBe(hex(record));
      }
      expect(hex(decapsulateReencrypted(bob.secretKey, alice.publicKey, capsule, cfrags.slice(0, m)))).toBe(hex(decapsulate(capsule, alice.secretKey)));
      if (m > 1) {
        const few = cfrags.slice(0, m - 1);
        expectCode(() => decapsulateReencrypted(bob.secretKey, alice.publicKey, capsule, few), 'combination-failed');
        expectCode(() => decryptReencrypted(bob.secretKey, alice.publicKey, capsule, few, ciphertext, { threshold: m }), 'insufficient-cfrags');
      }
      // The delegator can still open it directly.
      expect(hex(decryptOriginal(alice.secretKey, capsule, ciphertext))).toBe(hex(record));
    });
  }

  it('revocation: once proxies delete their kFrags, the remaining (< m) cFrags yield nothing', () => {
    const m = 3;
    const n = 5;
    const r = seededRandom(77, 'revocation');
    const proxies = new Map<string, KFrag>();
    generateKFrags(alice.secretKey, bob.publicKey, undefined, m, n, r).forEach((k, i) => proxies.set(`proxy-${i}`, k));
    const before = encrypt(alice.publicKey, record, r);
    const serve = (capsule: Capsule) => [...proxies.keys()].sort().map((name) => reencrypt(capsule, proxies.get(name)!, r));
    expect(hex(decryptReencrypted(bob.secretKey, alice.publicKey, before.capsule, serve(before.capsule), before.ciphertext))).toBe(hex(record));
    // Revoke: n − m + 1 = 3 proxies delete their kFrag; only 2 < m remain.
    for (const name of ['proxy-0', 'proxy-2', 'proxy-4']) proxies.delete(name);
    const after = encrypt(alice.publicKey, text('new lab result'), r);
    const remaining = serve(after.capsule);
    expect(remaining.length).toBe(2);
    for (const c of remaining) expect(verifyCFrag(c, after.capsule, keysDefault)).toBe(true);
    expectCode(() => decryptReencrypted(bob.secretKey, alice.publicKey, after.capsule, remaining, after.ciphertext), 'combination-failed');
    expectCode(() => decryptReencrypted(bob.secretKey, alice.publicKey, after.capsule, remaining, after.ciphertext, { threshold: m }), 'insufficient-cfrags');
    // Even bypassing CheckCFrag, the combination check refuses to output a key.
    expectCode(() => decapsulateReencrypted(bob.secretKey, alice.publicKey, after.capsule, remaining, { skipVerification: true }), 'combination-failed');
  });

  describe('corrupted cFrags are detected by their proof', () => {
    const { capsule, cfrags, ciphertext } = delegation(2, 3, 99);
    const cf = cfrags[0]!;
    const withProof = (p: Partial<CFrag['proof']>): CFrag => ({ ...cf, proof: { ...cf.proof, ...p } });
    const flipped = (b: Uint8Array) => { const t = Uint8Array.from(b); t[0]! ^= 1; return t; };
    const corrupted: Record<string, CFrag> = {
      e1: { ...cf, e1: otherPoint },
      v1: { ...cf, v1: otherPoint },
      id: { ...cf, id: flipped(cf.id) },
      precursor: { ...cf, precursor: otherPoint },
      e2: withProof({ e2: otherPoint }),
      v2: withProof({ v2: otherPoint }),
      u2: withProof({ u2: otherPoint }),
      u1: withProof({ u1: otherPoint }),
      z3: withProof({ z3: bumpScalar(cf.proof.z3) }),
      'z3 + l (non-canonical)': withProof({ z3: numberToBytesLE(bytesToNumberLE(cf.proof.z3) + ORDER, 32) }),
      'kfragSignature z1': withProof({ kfragSignature: Uint8Array.from([...bumpScalar(cf.proof.kfragSignature.slice(0, 32)), ...cf.proof.kfragSignature.slice(32)]) }),
      'kfragSignature z2': withProof({ kfragSignature: Uint8Array.from([...cf.proof.kfragSignature.slice(0, 32), ...bumpScalar(cf.proof.kfragSignature.slice(32))]) }),
      'e1 from another cFrag': { ...cf, e1: cfrags[1]!.e1 },
      'identity e1': { ...cf, e1: new Uint8Array(32) },
      'short e2': withProof({ e2: cf.proof.e2.slice(1) }),
    };
    it('the untampered cFrag verifies', () => expect(verifyCFrag(cf, capsule, keysDefault)).toBe(true));
    for (const [field, bad] of Object.entries(corrupted)) {
      it(`field ${field}`, () => {
        expect(verifyCFrag(bad, capsule, keysDefault)).toBe(false);
        expectCode(() => decryptReencrypted(bob.secretKey, alice.publicKey, capsule, [bad, cfrags[1]!], ciphertext), 'invalid-cfrag');
      });
    }
    it('malformed objects never throw from verifyCFrag', () => {
      for (const junk of [null, undefined, 5, {}, { ...cf, proof: null }]) expect(verifyCFrag(junk as unknown as CFrag, capsule, keysDefault)).toBe(false);
      expectCode(() => decapsulateReencrypted(bob.secretKey, alice.publicKey, capsule, [null as unknown as CFrag]), 'invalid-cfrag');
    });
  });

  it('a cFrag made for a different capsule is rejected', () => {
    const r = seededRandom(5, 'other-capsule');
    const kfrags = generateKFrags(alice.secretKey, bob.publicKey, undefined, 2, 2, r);
    const one = encrypt(alice.publicKey, record, r);
    const two = encrypt(alice.publicKey, record, r);
    const cfOne = kfrags.map((k) => reencrypt(one.capsule, k, r));
    const cfTwo = kfrags.map((k) => reencrypt(two.capsule, k, r));
    expect(verifyCFrag(cfTwo[0]!, one.capsule, keysDefault)).toBe(false);
    expectCode(() => decryptReencrypted(bob.secretKey, alice.publicKey, one.capsule, [cfOne[0]!, cfTwo[1]!], one.ciphertext), 'invalid-cfrag');
    expectCode(() => decapsulateReencrypted(bob.secretKey, alice.publicKey, one.capsule, [cfOne[0]!, cfTwo[1]!], { skipVerification: true }), 'combination-failed');
  });

  it('cFrags of different delegations, duplicates, none, and the wrong receiver are refused', () => {
    const r = seededRandom(6, 'mix');
    const { capsule, ciphertext } = encrypt(alice.publicKey, record, r);
    const a = generateKFrags(alice.secretKey, bob.publicKey, undefined, 2, 3, r).map((k) => reencrypt(capsule, k, r));
    const b = generateKFrags(alice.secretKey, bob.publicKey, undefined, 2, 3, r).map((k) => reencrypt(capsule, k, r));
    expectCode(() => decapsulateReencrypted(bob.secretKey, alice.publicKey, capsule, [a[0]!, b[1]!]), 'mismatched-cfrags');
    expectCode(() => decapsulateReencrypted(bob.secretKey, alice.publicKey, capsule, [a[0]!, a[0]!]), 'duplicate-cfrags');
    expectCode(() => decapsulateReencrypted(bob.secretKey, alice.publicKey, capsule, []), 'no-cfrags');
    // Carol holds Bob's cFrags: they were issued for Bob, so CheckCFrag fails for her keys …
    expect(verifyCFrag(a[0]!, capsule, { ...keysDefault, receivingPub: carol.publicKey })).toBe(false);
    expectCode(() => decryptReencrypted(carol.secretKey, alice.publicKey, capsule, a.slice(0, 2), ciphertext), 'invalid-cfrag');
    // … and even without it, the combination check fails (her DH point gives other x_i and d).
    expectCode(() => decapsulateReencrypted(carol.secretKey, alice.publicKey, capsule, a.slice(0, 2), { skipVerification: true }), 'combination-failed');
  });

  it('kFrags: commitment and signature are checked; a separate signer works with its verifying key', () => {
    const r = seededRandom(8, 'kfrag');
    const kfrags = generateKFrags(alice.secretKey, bob.publicKey, signer.secretKey, 2, 3, r);
    const keys: DelegationKeys = { verifyingPub: signer.publicKey, delegatingPub: alice.publicKey, receivingPub: bob.publicKey };
    for (const k of kfrags) {
      expect(verifyKFrag(k, keys)).toBe(true);
      expect(verifyKFrag(k, keysDefault)).toBe(false); // wrong verifying key
      expect(verifyKFrag(k, { ...keys, receivingPub: carol.publicKey })).toBe(false);
      expect(verifyKFrag(k, { ...keys, delegatingPub: carol.publicKey })).toBe(false);
    }
    const k0 = kfrags[0]!;
    const badRk: KFrag = { ...k0, rk: bumpScalar(k0.rk) };
    expect(verifyKFrag(badRk, keys)).toBe(false);
    expect(verifyKFrag({ ...k0, commitment: otherPoint }, keys)).toBe(false);
    expect(verifyKFrag({ ...k0, id: new Uint8Array(32) }, keys)).toBe(false);
    expect(verifyKFrag({ ...k0, precursor: otherPoint }, keys)).toBe(false);
    const { capsule, ciphertext } = encrypt(alice.publicKey, record, r);
    expectCode(() => reencrypt(capsule, badRk, r), 'invalid-kfrag');
    expectCode(() => reencrypt({ ...capsule, s: bumpScalar(capsule.s) }, k0, r), 'invalid-capsule');
    const cfrags = kfrags.map((k) => reencrypt(capsule, k, r));
    for (const c of cfrags) expect(verifyCFrag(c, capsule, keys)).toBe(true);
    // The default verifying key is the delegator's, which did not sign these kFrags.
    expectCode(() => decryptReencrypted(bob.secretKey, alice.publicKey, capsule, cfrags, ciphertext), 'invalid-cfrag');
    expect(hex(decryptReencrypted(bob.secretKey, alice.publicKey, capsule, cfrags.slice(1), ciphertext, { verifyingPub: signer.publicKey }))).toBe(hex(record));
  });

  it('rejects invalid parameters and keys with typed errors', () => {
    expectCode(() => generateKFrags(alice.secretKey, bob.publicKey, undefined, 0, 3), 'invalid-parameters');
    expectCode(() => generateKFrags(alice.secretKey, bob.publicKey, undefined, 4, 3), 'invalid-parameters');
    expectCode(() => generateKFrags(alice.secretKey, bob.publicKey, undefined, 1.5, 3), 'invalid-parameters');
    expectCode(() => generateKFrags(new Uint8Array(32), bob.publicKey, undefined, 1, 1), 'invalid-key');
    expectCode(() => generateKFrags(alice.secretKey, new Uint8Array(32), undefined, 1, 1), 'invalid-key');
    expectCode(() => encapsulate(new Uint8Array(31)), 'invalid-key');
  });

  it('is deterministic with seededRandom: byte-identical keys, kFrags, capsules, cFrags and ciphertexts', () => {
    const run = (seed: number) => {
      const r = seededRandom(seed, 'determinism');
      const a = generateKeyPair(r);
      const b = generateKeyPair(r);
      const kfrags = generateKFrags(a.secretKey, b.publicKey, undefined, 2, 3, r);
      const { capsule, ciphertext } = encrypt(a.publicKey, record, r);
      const cfrags = kfrags.map((k) => reencrypt(capsule, k, r));
      return [a.secretKey, b.publicKey, ...kfrags.map(serializeKFrag), serializeCapsule(capsule), ciphertext, ...cfrags.map(serializeCFrag)].map(hex).join('|');
    };
    expect(run(1)).toBe(run(1));
    expect(run(1)).not.toBe(run(2));
  });

  it('serialises capsules, kFrags and cFrags to fixed sizes and back', () => {
    const { kfrags, capsule, cfrags, ciphertext } = delegation(2, 2, 55);
    const cb = serializeCapsule(capsule);
    const kb = serializeKFrag(kfrags[0]!);
    const fb = cfrags.map(serializeCFrag);
    expect([cb.length, kb.length, fb[0]!.length]).toEqual([CAPSULE_BYTES, KFRAG_BYTES, CFRAG_BYTES]);
    const capsule2 = deserializeCapsule(cb)!;
    const cfrags2 = fb.map((b) => deserializeCFrag(b)!);
    expect(hex(serializeKFrag(deserializeKFrag(kb)!))).toBe(hex(kb));
    expect(verifyCFrag(cfrags2[0]!, capsule2, keysDefault)).toBe(true);
    expect(hex(decryptReencrypted(bob.secretKey, alice.publicKey, capsule2, cfrags2, ciphertext))).toBe(hex(record));
    expect(deserializeCapsule(cb.slice(1))).toBeUndefined();
    expect(deserializeKFrag(kb.slice(1))).toBeUndefined();
    expect(deserializeCFrag(new Uint8Array(CFRAG_BYTES + 1))).toBeUndefined();
  });

  it('property: random plaintexts and any m-subset of n cFrags decrypt', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.nat(), (plaintext, m, extra, seed) => {
        const n = m + extra;
        const r = seededRandom(seed, 'prop');
        const kfrags = generateKFrags(alice.secretKey, bob.publicKey, undefined, m, n, r);
        const { capsule, ciphertext } = encrypt(alice.publicKey, plaintext, r);
        const start = seed % (n - m + 1);
        const cfrags = kfrags.slice(start, start + m).map((k) => reencrypt(capsule, k, r));
        return hex(decryptReencrypted(bob.secretKey, alice.publicKey, capsule, cfrags, ciphertext)) === hex(plaintext);
      }),
      { numRuns: 8, seed: 31337 },
    );
  });
});

describe('benchmark helpers (smoke)', () => {
  it('benchRing and benchPre return positive medians', () => {
    const ring = benchRing([1, 3], 1);
    expect(ring.map((r) => r.size)).toEqual([1, 3]);
    for (const r of ring) expect(Math.min(r.signMs, r.verifyMs, r.signCpuMs, r.verifyCpuMs)).toBeGreaterThanOrEqual(0);
    const pre = benchPre(1, { threshold: 1, shares: 2, plaintextBytes: 64 });
    expect(pre.encryptMs).toBeGreaterThan(0);
    expect(pre.reencryptMs).toBeGreaterThan(0);
    expect(pre.decryptMs).toBeGreaterThan(0);
    expect(() => benchRing([0], 1)).toThrow(RangeError);
    expect(() => benchPre(0)).toThrow(RangeError);
  });
});
