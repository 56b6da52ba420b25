import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkTag, headerBytes, hmacHeaderFull, KeyRing, makeAuthenticator, makeTag } from '../../protocols/pbft/auth.ts';
import { Code, fillHeader, newHeader } from '../../protocols/pbft/messages.ts';

describe('pbft auth', () => {
  it('hmacHeader is byte-exact HMAC-SHA-256 (RFC 2104) against node:crypto', () => {
    for (let t = 0; t < 20; t++) {
      const key = new Uint8Array(32).map((_, i) => (i * 31 + t * 7) & 255);
      const h = Int32Array.from({ length: 13 }, (_, i) => Math.imul(i + 1, 0x9e3779b1 + t));
      const ours = Buffer.from(hmacHeaderFull(key, h)).toString('hex');
      const ref = createHmac('sha256', key).update(headerBytes(h)).digest('hex');
      expect(ours).toBe(ref);
    }
  });

  it('authenticator entries verify only for their receiver and the exact header', () => {
    const keys = KeyRing.fromSeed(7);
    const hdr = newHeader();
    fillHeader(hdr, Code.Prepare, 0, 3, 17, 1, 'ab'.repeat(32));
    const auth = makeAuthenticator(keys, 1, [0, 1, 2, 3], hdr);
    expect(checkTag(keys, 1, 2, hdr, auth, 2)).toBe(true);
    expect(checkTag(keys, 1, 3, hdr, auth, 2)).toBe(false); // someone else's entry
    expect(checkTag(keys, 0, 2, hdr, auth, 2)).toBe(false); // another claimed sender
    const other = newHeader();
    fillHeader(other, Code.Prepare, 0, 3, 18, 1, 'ab'.repeat(32));
    expect(checkTag(keys, 1, 2, other, auth, 2)).toBe(false); // another sequence number
    expect(checkTag(keys, 1, 2, hdr, 'garbage', 2)).toBe(false);
    expect(checkTag(keys, 1, 2, hdr, new Int32Array(4), 9)).toBe(false);
  });

  it('the WebAssembly engine (mac4 lanes, mac1) equals the JavaScript reference and node:crypto', () => {
    const wasm = KeyRing.fromSeed(11);
    const js = KeyRing.fromSeed(11, { wasm: false });
    expect(wasm.engine).toBeDefined(); // Node 20 has WebAssembly SIMD
    expect(js.engine).toBeUndefined();
    for (const k of [1, 2, 3, 4, 5, 7, 13, 100]) {
      const members = Array.from({ length: k }, (_, i) => (i * 7 + 3) % 211);
      const hdr = newHeader();
      fillHeader(hdr, Code.Commit, k, 5, 99 + k, 4, 'cd'.repeat(32));
      const a = makeAuthenticator(wasm, 4, members, hdr);
      const b = makeAuthenticator(js, 4, members, hdr);
      expect(a.length).toBe(4 * k);
      expect([...a]).toEqual([...b]);
      for (let j = 0; j < k; j++) {
        expect(checkTag(wasm, 4, members[j], hdr, a, j)).toBe(true);
        expect(checkTag(js, 4, members[j], hdr, a, j)).toBe(true);
        expect([...makeTag(wasm, 4, members[j], hdr)]).toEqual([...a.subarray(4 * j, 4 * j + 4)]);
      }
      // Against node:crypto, under the receiver-chosen session key the ring derives.
      for (const j of [0, k - 1]) {
        const ref = createHmac('sha256', js.macKey(4, members[j])).update(headerBytes(hdr)).digest().subarray(0, 16);
        const ours = Buffer.alloc(16);
        for (let w = 0; w < 4; w++) ours.writeInt32BE(a[4 * j + w], 4 * w);
        expect(ours.toString('hex')).toBe(ref.toString('hex'));
      }
    }
    // A second message with the same receivers (cached key addresses) and a changed list.
    const hdr = newHeader();
    fillHeader(hdr, Code.Prepare, 0, 1, 2, 4, 'ef'.repeat(32));
    expect([...makeAuthenticator(wasm, 4, [1, 2, 3], hdr)]).toEqual([...makeAuthenticator(js, 4, [1, 2, 3], hdr)]);
    expect([...makeAuthenticator(wasm, 4, [3, 2, 1], hdr)]).toEqual([...makeAuthenticator(js, 4, [3, 2, 1], hdr)]);
  });

  it('Ed25519 signatures verify and forgeries fail', () => {
    const keys = KeyRing.fromSeed(7);
    const d = 'cd'.repeat(32);
    const sig = keys.sign(2, d);
    expect(keys.verify(2, d, sig)).toBe(true);
    expect(keys.verify(3, d, sig)).toBe(false);
    expect(keys.verify(2, 'ce'.repeat(32), sig)).toBe(false);
    expect(keys.verify(2, d, '00'.repeat(64))).toBe(false);
    expect(keys.verify(2, d, 12)).toBe(false);
    // Same seed ⇒ same keys.
    expect(KeyRing.fromSeed(7).publicKey(2)).toBe(keys.publicKey(2));
    expect(KeyRing.fromSeed(8).publicKey(2)).not.toBe(keys.publicKey(2));
  });
});
