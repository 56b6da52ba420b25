import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { seededRandom } from '../../protocols/crypto/random.ts';
import {
  canonicalPermissions,
  createAccessPayload,
  createStoragePayload,
  decodeAccessPayload,
  decodeStoragePayload,
  encodeAccessPayload,
  encodeStoragePayload,
  verifyAccessPayload,
  verifyStoragePayload,
} from '../../protocols/records/payloads.ts';
import type { AccessPayload, StoragePayload } from '../../protocols/records/payloads.ts';

const rnd = seededRandom(7, 'test/records/payloads');
const issuerSk = rnd(32);
const grantorSk = rnd(32);
const granteePk = ed25519.getPublicKey(rnd(32));
const uri = 'medrec:' + 'ab'.repeat(32);

function storage(): StoragePayload {
  return createStoragePayload({ digest: rnd(32), hM: rnd(32), location: 'cloud://a' }, issuerSk);
}
function access(perms: string[] = ['write', 'read']): AccessPayload {
  return createAccessPayload({ uri, permissions: perms, granteeKey: granteePk, expiration: 3_600_000_000, wrappedKey: perms.length ? rnd(104) : new Uint8Array(0) }, grantorSk);
}

describe('storage payload', () => {
  it('round-trips through the canonical encoding and verifies', () => {
    const p = storage();
    const bytes = encodeStoragePayload(p);
    expect(bytes.length).toBe(1 + 32 + 32 + 1 + 9 + 32 + 64);
    const q = decodeStoragePayload(bytes);
    expect(q).toEqual(p);
    expect(verifyStoragePayload(q)).toBe(true);
  });
  it('rejects a changed hM, digest, signature or issuer key', () => {
    const p = storage();
    expect(verifyStoragePayload({ ...p, hM: rnd(32) })).toBe(false);
    expect(verifyStoragePayload({ ...p, digest: rnd(32) })).toBe(false);
    const sig = p.signature.slice();
    sig[0] ^= 1;
    expect(verifyStoragePayload({ ...p, signature: sig })).toBe(false);
    expect(verifyStoragePayload({ ...p, issuerKey: ed25519.getPublicKey(rnd(32)) })).toBe(false);
    expect(verifyStoragePayload({ ...p, hM: new Uint8Array(31) })).toBe(false);
  });
  it('location is an unsigned hint (seed 000 signs only Digest, H(M))', () => {
    expect(verifyStoragePayload({ ...storage(), location: 'elsewhere' })).toBe(true);
  });
  it('decoder rejects truncation, trailing bytes and a wrong tag', () => {
    const b = encodeStoragePayload(storage());
    expect(() => decodeStoragePayload(b.subarray(0, b.length - 1))).toThrow();
    expect(() => decodeStoragePayload(Uint8Array.of(...b, 0))).toThrow();
    expect(() => decodeStoragePayload(Uint8Array.of(2, ...b.subarray(1)))).toThrow();
  });
});

describe('access payload', () => {
  it('canonicalises permissions and round-trips', () => {
    const p = access(['write', 'read', 'read']);
    expect(p.permissions).toEqual(['read', 'write']);
    const bytes = encodeAccessPayload(p);
    expect(bytes.length).toBe(1 + 1 + 71 + 1 + 5 + 6 + 32 + 8 + 1 + 104 + 32 + 64);
    const q = decodeAccessPayload(bytes);
    expect(q).toEqual(p);
    expect(verifyAccessPayload(q)).toBe(true);
  });
  it('revocation = empty permission set with an empty wrapped key', () => {
    const r = access([]);
    expect(verifyAccessPayload(r)).toBe(true);
    expect(decodeAccessPayload(encodeAccessPayload(r))).toEqual(r);
    expect(verifyAccessPayload({ ...r, wrappedKey: rnd(8) })).toBe(false);
  });
  it('every signed field is covered by the grantor signature', () => {
    const p = access();
    expect(verifyAccessPayload({ ...p, uri: 'medrec:' + 'cd'.repeat(32) })).toBe(false);
    expect(verifyAccessPayload({ ...p, permissions: ['read'] })).toBe(false);
    expect(verifyAccessPayload({ ...p, granteeKey: ed25519.getPublicKey(rnd(32)) })).toBe(false);
    expect(verifyAccessPayload({ ...p, expiration: p.expiration + 1 })).toBe(false);
    expect(verifyAccessPayload({ ...p, wrappedKey: rnd(104) })).toBe(false);
    expect(verifyAccessPayload({ ...p, grantorKey: ed25519.getPublicKey(rnd(32)) })).toBe(false);
  });
  it('rejects non-canonical permission encodings', () => {
    const p = access();
    expect(verifyAccessPayload({ ...p, permissions: ['write', 'read'] })).toBe(false);
    // hand-build bytes with permissions out of order: swap the two permission entries
    const bytes = encodeAccessPayload(p);
    const at = 1 + 1 + 71 + 1;
    const swapped = Uint8Array.of(...bytes.subarray(0, at), 5, ...new TextEncoder().encode('write'), 4, ...new TextEncoder().encode('read'), ...bytes.subarray(at + 11));
    expect(() => decodeAccessPayload(swapped)).toThrow(/canonical/);
    expect(() => canonicalPermissions([''])).toThrow();
  });
  it('noble and node:crypto Ed25519 agree on payload signatures', async () => {
    const { createPublicKey, verify } = await import('node:crypto');
    const p = access();
    const { accessSigningMessage } = await import('../../protocols/records/payloads.ts');
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(p.grantorKey)]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(verify(null, accessSigningMessage(p), key, p.grantorSignature)).toBe(true);
  });
});
