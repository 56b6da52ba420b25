import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import {
  G,
  IDENTITY,
  ORDER,
  Point,
  decodePoint,
  encodePoint,
  encodeScalar,
  frame,
  fromRaw,
  hashEncoding,
  hashToGroup,
  hashToScalar,
  mulPublic,
  mulPublicRaw,
  mulSecretTable,
  publicSplitTable,
  publicTable,
  randomScalar,
  sha512Native,
  toRaw,
  tryDecodePoint,
  tryDecodeScalar,
} from '../../protocols/crypto/group.ts';
import {
  RingKeyCache,
  RingSignatureError,
  deserializeSignature,
  generateKeyPair,
  hashToPoint,
  keyImageOf,
  linked,
  prepareRing,
  publicKeyFromSecret,
  serializeSignature,
  sign,
  signatureLength,
  verify,
} from '../../protocols/crypto/ringsig.ts';
import type { KeyPair, RingSignature } from '../../protocols/crypto/ringsig.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { measureRingSignVerify } from '../../protocols/crypto/bench-ring-pre.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

function keys(n: number, seed: string): KeyPair[] {
  const r = seededRandom(seed, 'keys');
  return Array.from({ length: n }, () => generateKeyPair(r));
}

/** Adds `delta` to an encoded scalar mod ℓ (keeps it canonical). */
function bumpScalar(enc: Uint8Array, delta = 1n): Uint8Array {
  return encodeScalar((bytesToNumberLE(enc) + delta) % ORDER);
}

/** The same scalar value with ℓ added: still < 2^256, so same length but non-canonical. */
function plusOrder(enc: Uint8Array): Uint8Array {
  return numberToBytesLE(bytesToNumberLE(enc) + ORDER, 32);
}

// Regularised upper incomplete gamma Q(a, x) (Numerical Recipes §6.2), for chi-square p-values.
function lnGamma(z: number): number {
  const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let x = z;
  let y = z;
  let tmp = x + 5.5;
  tmp -= (x + 0.5) * Math.log(tmp);
  let ser = 1.000000000190015;
  for (const cj of c) ser += cj / ++y;
  return -tmp + Math.log((2.5066282746310005 * ser) / x);
}
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) {
    let sum = 1 / a;
    let del = sum;
    let ap = a;
    for (let n = 0; n < 500; n++) {
      del *= x / ++ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
  }
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}
/** Pearson chi-square test of independence on a contingency table; returns the p-value. */
function chiSquareIndependenceP(table: number[][]): number {
  const rows = table.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = table[0]!.map((_, j) => table.reduce((a, r) => a + r[j]!, 0));
  const total = rows.reduce((a, b) => a + b, 0);
  let stat = 0;
  let usedRows = 0;
  let usedCols = 0;
  rows.forEach((r) => { if (r > 0) usedRows++; });
  cols.forEach((c) => { if (c > 0) usedCols++; });
  table.forEach((r, i) => r.forEach((o, j) => {
    const e = (rows[i]! * cols[j]!) / total;
    if (e > 0) stat += ((o - e) * (o - e)) / e;
  }));
  const df = (usedRows - 1) * (usedCols - 1);
  return gammaQ(df / 2, stat / 2);
}

describe('group helpers (ristretto255)', () => {
  it('encodes multiples of the generator as in the RFC 9496 test vectors', () => {
    expect(hex(encodePoint(IDENTITY))).toBe('00'.repeat(32));
    expect(hex(encodePoint(G))).toBe('e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76');
    expect(hex(encodePoint(G.multiply(2n)))).toBe('6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919');
    expect(hex(encodePoint(G.multiply(5n)))).toBe('e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e');
  });

  it('rejects the RFC 9496 bad encodings, wrong lengths, and the identity when asked', () => {
    for (const h of [
      '00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // non-canonical field element
      'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // = p
      '0100000000000000000000000000000000000000000000000000000000000000', // negative s
      '26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371', // non-square
    ]) expect(tryDecodePoint(unhex(h))).toBeUndefined();
    const g = encodePoint(G);
    expect(tryDecodePoint(g.slice(0, 31))).toBeUndefined();
    expect(tryDecodePoint(new Uint8Array([...g, 0]))).toBeUndefined();
    expect(tryDecodePoint('not bytes')).toBeUndefined();
    expect(tryDecodePoint(new Uint8Array(32))?.is0()).toBe(true);
    expect(tryDecodePoint(new Uint8Array(32), false)).toBeUndefined();
    expect(() => decodePoint(new Uint8Array(32), false)).toThrow(RangeError);
  });

  it('decodes scalars strictly: values >= l and wrong lengths are rejected', () => {
    expect(tryDecodeScalar(encodeScalar(ORDER - 1n))).toBe(ORDER - 1n);
    expect(tryDecodeScalar(numberToBytesLE(ORDER, 32))).toBeUndefined();
    expect(tryDecodeScalar(plusOrder(encodeScalar(5n)))).toBeUndefined();
    expect(tryDecodeScalar(new Uint8Array(32).fill(255))).toBeUndefined();
    expect(tryDecodeScalar(new Uint8Array(31))).toBeUndefined();
    expect(() => encodeScalar(ORDER)).toThrow(RangeError);
    expect(() => encodeScalar(-1n)).toThrow(RangeError);
  });

  it('frames hash inputs unambiguously and separates domains', () => {
    const e = new TextEncoder();
    expect(hex(frame([e.encode('ab'), e.encode('c')]))).not.toBe(hex(frame([e.encode('a'), e.encode('bc')])));
    expect(hashToScalar('D1', e.encode('ab'), e.encode('c'))).not.toBe(hashToScalar('D1', e.encode('a'), e.encode('bc')));
    expect(hashToScalar('D1', e.encode('x'))).not.toBe(hashToScalar('D2', e.encode('x')));
    expect(hashToGroup('D1', e.encode('x')).equals(hashToGroup('D2', e.encode('x')))).toBe(false);
    expect(hashToGroup('D1', e.encode('x')).equals(hashToGroup('D1', e.encode('x')))).toBe(true);
  });

  it('mulPublic (variable-time Straus/wNAF) agrees with noble on edge cases', () => {
    const r = seededRandom(7, 'msm-edge');
    const P = G.multiply(randomScalar(r));
    const Q = decodePoint(encodePoint(G.multiply(randomScalar(r)))); // a freshly decoded representative
    const cases: Array<[bigint, bigint]> = [[0n, 0n], [1n, 0n], [0n, 1n], [1n, 1n], [ORDER - 1n, 1n], [ORDER - 1n, ORDER - 1n], [2n ** 252n, 3n], [ORDER + 5n, 7n]];
    for (const [a, b] of cases) {
      const want = G.multiplyUnsafe(a % ORDER).add(Q.multiplyUnsafe(b % ORDER));
      expect(mulPublic([[a, 'G'], [b, Q]]).equals(want)).toBe(true);
      expect(encodePoint(mulPublic([[a, 'G'], [b, publicTable(Q, 7)]]))).toEqual(encodePoint(want));
    }
    expect(mulPublic([]).is0()).toBe(true);
    expect(mulPublic([[5n, IDENTITY]]).is0()).toBe(true);
    expect(mulPublic([[3n, P], [ORDER - 3n, P]]).is0()).toBe(true);
    expect(mulPublic([[1n, P], [1n, P], [1n, P]]).equals(P.multiply(3n))).toBe(true);
  });

  it('hashEncoding is canonical (same bytes for every representative) and injective', () => {
    const r = seededRandom(8, 'hash-encoding');
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const k = randomScalar(r);
      const viaNoble = G.multiply(k);
      const decoded = decodePoint(encodePoint(viaNoble)); // generally a different Edwards representative
      const viaMsm = mulPublicRaw([[k, 'G']]);
      const viaSum = mulPublicRaw([[k - 1n, 'G'], [1n, decodePoint(encodePoint(G))]]);
      const encs = [toRaw(viaNoble), toRaw(decoded), viaMsm, viaSum].map((p) => hex(hashEncoding([p])));
      expect(new Set(encs).size).toBe(1);
      expect(fromRaw(viaMsm).equals(viaNoble)).toBe(true);
      seen.add(encs[0]!);
    }
    expect(seen.size).toBe(12);
    // Batched encoding equals the per-point encodings; the identity has a fixed encoding.
    const pts = [G, G.multiply(3n), IDENTITY].map(toRaw);
    expect(hex(hashEncoding(pts))).toBe(pts.map((p) => hex(hashEncoding([p]))).join(''));
    expect(hex(hashEncoding([toRaw(IDENTITY)]))).toBe('01' + '00'.repeat(31));
    // Ristretto-equal points with different Edwards representatives: P and P + T2, where
    // T2 = (0, −1) is the Edwards point of order 2 (wrapped directly, as noble's fromAffine does).
    const P = G.multiply(5n);
    const T2 = Point.fromAffine({ x: 0n, y: 2n ** 255n - 20n });
    const Q = P.add(T2);
    expect(Q.equals(P)).toBe(true);
    expect(Q.toAffine().y).not.toBe(P.toAffine().y);
    expect(hex(hashEncoding([toRaw(Q)]))).toBe(hex(hashEncoding([toRaw(P)])));
  });

  it('mulPublic agrees with noble on random inputs (property)', () => {
    const scalar = fc.bigInt({ min: 0n, max: ORDER - 1n });
    fc.assert(
      fc.property(scalar, scalar, scalar, fc.integer({ min: 2, max: 8 }), (a, b, x, w) => {
        const P = G.multiplyUnsafe(x);
        const want = G.multiplyUnsafe(a).add(P.multiplyUnsafe(b));
        return mulPublic([[a, 'G'], [b, publicTable(P, w)]]).equals(want);
      }),
      { numRuns: 25, seed: 20240601 },
    );
  });
});

describe('bLSAG ring signature', () => {
  const all = keys(64, 'ring-all');

  it('signs and verifies for every ring size 1..16, and 32 and 64, at a random signer index', () => {
    const r = seededRandom(1, 'sizes');
    for (const n of [...Array.from({ length: 16 }, (_, i) => i + 1), 32, 64]) {
      const ring = all.slice(0, n);
      const pi = Number(r(1)[0]!) % n;
      const msg = `record access #${n}`;
      const sig = sign(msg, ring.map((k) => k.publicKey), ring[pi]!.secretKey, r);
      expect(sig.s.length).toBe(n);
      expect(verify(msg, ring.map((k) => k.publicKey), sig)).toBe(true);
      const bytes = serializeSignature(sig);
      expect(bytes.length).toBe(signatureLength(n));
      expect(verify(msg, ring.map((k) => k.publicKey), bytes)).toBe(true);
      expect(hex(sig.keyImage)).toBe(hex(keyImageOf(ring[pi]!.secretKey)));
    }
  });

  it('works with a prepared ring interchangeably with the plain key list', () => {
    const ring = all.slice(0, 5).map((k) => k.publicKey);
    const prepared = prepareRing(ring);
    const r = seededRandom(2, 'prepared');
    const a = sign('m', prepared, all[3]!.secretKey, r);
    expect(verify('m', ring, a)).toBe(true);
    expect(verify('m', prepared, a)).toBe(true);
    const r1 = seededRandom(3, 'x');
    const r2 = seededRandom(3, 'x');
    expect(hex(serializeSignature(sign('m', prepared, all[1]!.secretKey, r1)))).toBe(hex(serializeSignature(sign('m', ring, all[1]!.secretKey, r2))));
  });

  it('is deterministic under a seeded random source', () => {
    const ring = all.slice(0, 7).map((k) => k.publicKey);
    const s1 = serializeSignature(sign('msg', ring, all[4]!.secretKey, seededRandom(99, 'sig')));
    const s2 = serializeSignature(sign('msg', ring, all[4]!.secretKey, seededRandom(99, 'sig')));
    const s3 = serializeSignature(sign('msg', ring, all[4]!.secretKey, seededRandom(100, 'sig')));
    expect(hex(s1)).toBe(hex(s2));
    expect(hex(s1)).not.toBe(hex(s3));
    const k1 = generateKeyPair(seededRandom(5, 'k'));
    const k2 = generateKeyPair(seededRandom(5, 'k'));
    expect(hex(k1.secretKey)).toBe(hex(k2.secretKey));
    expect(hex(k1.publicKey)).toBe(hex(publicKeyFromSecret(k1.secretKey)));
  });

  describe('rejects every tampered component', () => {
    const ring = all.slice(0, 6).map((k) => k.publicKey);
    const msg = 'prescription #42';
    const sig = sign(msg, ring, all[2]!.secretKey, seededRandom(11, 'tamper'));
    const other = sign(msg, ring, all[4]!.secretKey, seededRandom(12, 'tamper'));
    const withS = (i: number, v: Uint8Array): RingSignature => ({ ...sig, s: sig.s.map((x, j) => (j === i ? v : x)) });

    it('accepts the untampered signature', () => expect(verify(msg, ring, sig)).toBe(true));
    it('c0', () => expect(verify(msg, ring, { ...sig, c0: bumpScalar(sig.c0) })).toBe(false));
    it('each s_i', () => {
      for (let i = 0; i < ring.length; i++) expect(verify(msg, ring, withS(i, bumpScalar(sig.s[i]!)))).toBe(false);
    });
    it('the key image (another valid point, a foreign key image, the identity)', () => {
      expect(verify(msg, ring, { ...sig, keyImage: encodePoint(G) })).toBe(false);
      expect(verify(msg, ring, { ...sig, keyImage: other.keyImage })).toBe(false);
      expect(verify(msg, ring, { ...sig, keyImage: keyImageOf(all[50]!.secretKey) })).toBe(false);
      expect(verify(msg, ring, { ...sig, keyImage: new Uint8Array(32) })).toBe(false);
    });
    it('the message', () => {
      expect(verify('prescription #43', ring, sig)).toBe(false);
      expect(verify(new TextEncoder().encode(msg + ' '), ring, sig)).toBe(false);
    });
    it('a ring member replaced, the ring reordered, extended or shrunk', () => {
      for (let i = 0; i < ring.length; i++) {
        expect(verify(msg, ring.map((k, j) => (j === i ? all[40]!.publicKey : k)), sig)).toBe(false);
      }
      const swapped = [...ring];
      [swapped[0], swapped[5]] = [swapped[5]!, swapped[0]!];
      expect(verify(msg, swapped, sig)).toBe(false);
      expect(verify(msg, [...ring].reverse(), sig)).toBe(false);
      expect(verify(msg, [...ring, all[40]!.publicKey], sig)).toBe(false);
      expect(verify(msg, ring.slice(0, 5), sig)).toBe(false);
    });
    it('mixing components of two valid signatures', () => {
      expect(verify(msg, ring, { ...sig, c0: other.c0 })).toBe(false);
      expect(verify(msg, ring, withS(0, other.s[0]!))).toBe(false);
    });
    it('single-bit flips spread over the whole serialisation', () => {
      const bytes = serializeSignature(sig);
      for (let bit = 3; bit < bytes.length * 8; bit += 41) {
        const t = Uint8Array.from(bytes);
        t[bit >> 3]! ^= 1 << (bit & 7);
        expect(verify(msg, ring, t)).toBe(false);
      }
    });
  });

  describe('enforces canonical encodings and never throws', () => {
    const ring = all.slice(0, 4).map((k) => k.publicKey);
    const msg = new Uint8Array([1, 2, 3]);
    const sig = sign(msg, ring, all[1]!.secretKey, seededRandom(21, 'canon'));

    it('non-canonical scalars s_i + l and c0 + l', () => {
      expect(verify(msg, ring, { ...sig, c0: plusOrder(sig.c0) })).toBe(false);
      for (let i = 0; i < ring.length; i++) {
        expect(verify(msg, ring, { ...sig, s: sig.s.map((x, j) => (j === i ? plusOrder(x) : x)) })).toBe(false);
      }
    });
    it('non-canonical or invalid key-image encodings', () => {
      for (const h of ['edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', '0100000000000000000000000000000000000000000000000000000000000000', '26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371']) {
        expect(verify(msg, ring, { ...sig, keyImage: unhex(h) })).toBe(false);
      }
      // Non-canonical field encoding of the same element: s + p (only possible when s + p < 2^256).
      const sVal = bytesToNumberLE(sig.keyImage);
      const p = 2n ** 255n - 19n;
      if (sVal + p < 2n ** 256n) expect(verify(msg, ring, { ...sig, keyImage: numberToBytesLE(sVal + p, 32) })).toBe(false);
    });
    it('wrong lengths and malformed structures', () => {
      const bytes = serializeSignature(sig);
      expect(verify(msg, ring, bytes.slice(0, bytes.length - 1))).toBe(false);
      expect(verify(msg, ring, bytes.slice(0, bytes.length - 32))).toBe(false);
      expect(verify(msg, ring, new Uint8Array([...bytes, ...new Uint8Array(32)]))).toBe(false);
      expect(verify(msg, ring, new Uint8Array(0))).toBe(false);
      expect(verify(msg, ring, { ...sig, c0: sig.c0.slice(1) })).toBe(false);
      expect(verify(msg, ring, { ...sig, keyImage: new Uint8Array(33) })).toBe(false);
      expect(verify(msg, ring, { ...sig, s: sig.s.slice(1) })).toBe(false);
      expect(deserializeSignature(new Uint8Array(64))).toBeUndefined();
      const junk: unknown[] = [null, undefined, 42, 'sig', {}, { c0: 1, s: 2, keyImage: 3 }, { ...sig, s: 'nope' }, { ...sig, s: [null, null, null, null] }];
      for (const j of junk) expect(() => verify(msg, ring, j as RingSignature)).not.toThrow();
      for (const j of junk) expect(verify(msg, ring, j as RingSignature)).toBe(false);
      expect(verify(42 as unknown as string, ring, sig)).toBe(false);
    });
    it('malformed rings: empty, duplicated, identity or invalid member', () => {
      expect(verify(msg, [], sig)).toBe(false);
      expect(verify(msg, [ring[0]!, ring[0]!, ring[2]!, ring[3]!], sig)).toBe(false);
      expect(verify(msg, [ring[0]!, new Uint8Array(32), ring[2]!, ring[3]!], sig)).toBe(false);
      expect(verify(msg, [ring[0]!, unhex('0100000000000000000000000000000000000000000000000000000000000000'), ring[2]!, ring[3]!], sig)).toBe(false);
      expect(verify(msg, null as unknown as Uint8Array[], sig)).toBe(false);
      expect(verify(msg, [ring[0]!, 'x', ring[2]!, ring[3]!] as unknown as Uint8Array[], sig)).toBe(false);
    });
  });

  it('sign refuses unusable inputs with a typed error', () => {
    const ring = all.slice(0, 3).map((k) => k.publicKey);
    expect(() => sign('m', ring, all[9]!.secretKey)).toThrow(RingSignatureError);
    expect(() => sign('m', [], all[0]!.secretKey)).toThrow(RingSignatureError);
    expect(() => sign('m', [ring[0]!, ring[0]!], all[0]!.secretKey)).toThrow(RingSignatureError);
    expect(() => sign('m', ring, new Uint8Array(32))).toThrow(RingSignatureError);
    expect(() => sign('m', ring, numberToBytesLE(ORDER, 32))).toThrow(RingSignatureError);
  });

  describe('linkability', () => {
    it('the same key is linked across different rings and messages', () => {
      const me = all[10]!;
      const r = seededRandom(31, 'link');
      const a = sign('visit 1', [all[0]!, me, all[1]!].map((k) => k.publicKey), me.secretKey, r);
      const b = sign('visit 2', [all[20]!, all[21]!, all[22]!, all[23]!, me].map((k) => k.publicKey), me.secretKey, r);
      const c = sign('visit 1', [me.publicKey], me.secretKey, r);
      expect(verify('visit 2', [all[20]!, all[21]!, all[22]!, all[23]!, me].map((k) => k.publicKey), b)).toBe(true);
      expect(linked(a, b)).toBe(true);
      expect(linked(a, c)).toBe(true);
      expect(linked(serializeSignature(a), serializeSignature(b))).toBe(true);
    });
    it('different keys give different images and are not linked, even on the same ring', () => {
      const ring = all.slice(0, 8).map((k) => k.publicKey);
      const r = seededRandom(32, 'link');
      const sigs = all.slice(0, 8).map((k) => sign('same message', ring, k.secretKey, r));
      const images = new Set(sigs.map((s) => hex(s.keyImage)));
      expect(images.size).toBe(8);
      for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) expect(linked(sigs[i]!, sigs[j]!)).toBe(false);
      const imagesAll = new Set(all.map((k) => hex(keyImageOf(k.secretKey))));
      expect(imagesAll.size).toBe(all.length);
    });
    it('malformed signatures are never linked', () => {
      const s = sign('m', [all[0]!.publicKey], all[0]!.secretKey, seededRandom(33, 'l'));
      expect(linked({ ...s, keyImage: new Uint8Array(32) }, { ...s, keyImage: new Uint8Array(32) })).toBe(false);
      expect(linked(new Uint8Array(5), serializeSignature(s))).toBe(false);
    });
  });

  it('property: random rings, signers and messages verify; any byte change is rejected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (n, idx, msg, pos, xor) => {
        const ring = all.slice(20, 20 + n);
        const pi = idx % n;
        const sig = serializeSignature(sign(msg, ring.map((k) => k.publicKey), ring[pi]!.secretKey, seededRandom(idx, 'prop')));
        if (!verify(msg, ring.map((k) => k.publicKey), sig)) return false;
        const t = Uint8Array.from(sig);
        t[pos % t.length]! ^= xor;
        return !verify(msg, ring.map((k) => k.publicKey), t);
      }),
      { numRuns: 15, seed: 424242 },
    );
  });

  it('does not reveal the signer index: 400 signatures on a ring of 8 show no index-dependent feature', () => {
    const N = 400;
    const n = 8;
    const ring = prepareRing(all.slice(0, n).map((k) => k.publicKey));
    const r = seededRandom(2024, 'anonymity');
    const idx: number[] = [];
    const feats: bigint[][] = []; // per signature: [c0, s_0 … s_7]
    for (let t = 0; t < N; t++) {
      const pi = r(1)[0]! % n;
      const sig = sign(`tx ${t}`, ring, all[pi]!.secretKey, r);
      idx.push(pi);
      feats.push([bytesToNumberLE(sig.c0), ...sig.s.map((x) => bytesToNumberLE(x))]);
    }
    // (1) Chi-square independence of the signer index and the top two bits of each scalar
    //     (c0 and every s_j), 8 × 4 tables with ~12.5 expected per cell. Bonferroni over 9 tests.
    const pValues: number[] = [];
    for (let f = 0; f < n + 1; f++) {
      const table = Array.from({ length: n }, () => [0, 0, 0, 0]);
      feats.forEach((v, t) => { table[idx[t]!]![Number((v[f]! * 4n) / ORDER)]!++; });
      pValues.push(chiSquareIndependenceP(table));
    }
    expect(Math.min(...pValues)).toBeGreaterThan(0.001 / pValues.length);
    // Sanity check of the test's power: a feature that does depend on the index is caught.
    const leaky = Array.from({ length: n }, () => [0, 0, 0, 0]);
    idx.forEach((pi, t) => { leaky[pi]![(pi + (t % 5 === 0 ? 1 : 0)) % 4]!++; });
    expect(chiSquareIndependenceP(leaky)).toBeLessThan(1e-10);
    // (2) Simple classifiers do no better than chance (1/8; 4σ bound with σ = √(p(1−p)/N)).
    const chance = 1 / n;
    const bound = (m: number) => chance + 4 * Math.sqrt((chance * (1 - chance)) / m);
    const argBy = (v: bigint[], better: (a: bigint, b: bigint) => boolean) => v.slice(1).reduce((best, x, j, arr) => (better(x, arr[best]!) ? j : best), 0);
    const accMin = idx.filter((pi, t) => argBy(feats[t]!, (a, b) => a < b) === pi).length / N;
    const accMax = idx.filter((pi, t) => argBy(feats[t]!, (a, b) => a > b) === pi).length / N;
    expect(accMin).toBeLessThan(bound(N));
    expect(accMax).toBeLessThan(bound(N));
    // Nearest-centroid classifier trained on the first half, tested on the second half.
    const toVec = (v: bigint[]) => v.map((x) => Number((x * 1_000_000n) / ORDER) / 1_000_000);
    const half = N / 2;
    const centroids = Array.from({ length: n }, () => ({ sum: new Array<number>(n + 1).fill(0), count: 0 }));
    for (let t = 0; t < half; t++) {
      const c = centroids[idx[t]!]!;
      toVec(feats[t]!).forEach((x, j) => { c.sum[j]! += x; });
      c.count++;
    }
    let correct = 0;
    for (let t = half; t < N; t++) {
      const v = toVec(feats[t]!);
      let best = 0;
      let bestD = Infinity;
      centroids.forEach((c, k) => {
        if (c.count === 0) return;
        const d = c.sum.reduce((acc, s, j) => acc + (s / c.count - v[j]!) ** 2, 0);
        if (d < bestD) { bestD = d; best = k; }
      });
      if (best === idx[t]) correct++;
    }
    expect(correct / half).toBeLessThan(bound(half));
  });
});

// ───────────── issue 11 performance work: native hashing, split tables, the key cache ─────────────

describe('fast paths agree with the reference implementations', () => {
  it('hashToScalar / hashToGroup (OpenSSL SHA-512 expander) equal noble’s RFC 9380 hashers', () => {
    const r = seededRandom(31, 'hash-native');
    for (let i = 0; i < 40; i++) {
      const parts = [r(i), r(i % 5), r(64)];
      const dst = i % 10 === 9 ? 'long-dst/' + 'x'.repeat(300) : `medchain-sim/test/${i}`; // > 255 bytes: RFC 9380 §5.3.3
      expect(hashToScalar(dst, ...parts)).toBe(ristretto255_hasher.hashToScalar(frame(parts), { DST: dst }));
      expect(hashToGroup(dst, ...parts).equals(ristretto255_hasher.hashToCurve(frame(parts), { DST: dst }))).toBe(true);
    }
    expect(() => hashToScalar('', Uint8Array.of(1))).toThrow(RangeError);
    expect(hex(sha512Native(new TextEncoder().encode('abc')))).toBe(hex(nobleSha512(new TextEncoder().encode('abc'))));
  });

  it('split tables (31-doubling chains) agree with noble on random and edge-case scalars', () => {
    const r = seededRandom(32, 'split');
    const P = G.multiply(randomScalar(r));
    const Q = decodePoint(encodePoint(G.multiply(randomScalar(r))));
    const sp = publicSplitTable(P, 5);
    const sq = publicSplitTable(toRaw(Q), 6, false);
    expect(sp.teeth).toHaveLength(8);
    const edge = [0n, 1n, 2n, ORDER - 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 224n + 2n ** 31n, 2n ** 252n, ORDER + 9n];
    for (const a of edge) {
      for (const b of [0n, 1n, ORDER - 1n, 2n ** 128n + 1n]) {
        const want = G.multiplyUnsafe(a % ORDER).add(P.multiplyUnsafe(b % ORDER)).add(Q.multiplyUnsafe((a + b) % ORDER));
        expect(mulPublic([[a, 'G'], [b, sp], [a + b, sq]]).equals(want), `${a} ${b}`).toBe(true);
        // mixing a split and a plain table falls back to the full chain, same result
        expect(mulPublic([[a, 'G'], [b, sp], [a + b, publicTable(Q)]]).equals(want)).toBe(true);
      }
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: ORDER - 1n }), fc.bigInt({ min: 0n, max: ORDER - 1n }), fc.integer({ min: 2, max: 8 }), (a, b, w) =>
        mulPublic([[a, publicSplitTable(P, w)], [b, 'G']]).equals(P.multiplyUnsafe(a).add(G.multiplyUnsafe(b))),
      ),
      { numRuns: 12, seed: 20260101 },
    );
  });
});

/** A fixed byte stream independent of random.ts (SHA-256 of label/counter), for golden vectors. */
function fixedSource(label: string): (n: number) => Uint8Array {
  let counter = 0;
  let buf = new Uint8Array(0);
  let off = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (off === buf.length) {
        buf = Uint8Array.from(createHash('sha256').update(`${label}/${counter++}`).digest());
        off = 0;
      }
      out[i] = buf[off++]!;
    }
    return out;
  };
}

describe('mulSecretTable (fixed operation sequence, regular recoding)', () => {
  it('agrees with noble for split, plain and generator tables on edge and random scalars', () => {
    const r = seededRandom(36, 'secret-mul');
    const B = G.multiply(randomScalar(r));
    const tables = [publicSplitTable(B, 5), publicSplitTable(B, 8), publicTable(B, 5), publicTable(B, 7)];
    const scalars = [0n, 1n, 2n, 3n, 16n, 17n, ORDER - 1n, ORDER - 2n, 2n ** 252n, 2n ** 128n, ORDER + 4n, ...Array.from({ length: 6 }, () => randomScalar(r))];
    for (const k of scalars) {
      const want = B.multiplyUnsafe(k % ORDER);
      for (const t of tables) expect(fromRaw(mulSecretTable(k, t)).equals(want), `${k}`).toBe(true);
      expect(fromRaw(mulSecretTable(k, 'G')).equals(G.multiplyUnsafe(k % ORDER))).toBe(true);
    }
    expect(() => mulSecretTable(5n, publicTable(B, 4))).toThrow(RangeError);
  });
});

describe('RingKeyCache (member keys recurring across rings)', () => {
  const all = keys(24, 'cache-keys');
  const pubs = all.map((k) => k.publicKey);

  it('golden vector: the signature bytes are those of the pre-optimisation code (commit 5e1d585), cold and cached', () => {
    const src = fixedSource('medchain-sim/ringsig/golden');
    const ks = Array.from({ length: 11 }, () => generateKeyPair(src));
    const ring = ks.map((k) => k.publicKey);
    const cold = sign('golden message', ring, ks[7]!.secretKey, src);
    const GOLDEN = 'b6577b1ccd302a6ea7859c6ef28a689ec893be5c08cd6ceca8f4c88c467ba6c5';
    expect(hex(createHash('sha256').update(serializeSignature(cold)).digest())).toBe(GOLDEN);
    expect(hex(cold.keyImage)).toBe('16eca84ce79567c54b23d48a0e57783d9a1a712dbc5db24370a7d3ea0075754f');
    // the same stream position, signing over a cached ring, gives the same bytes
    const src2 = fixedSource('medchain-sim/ringsig/golden');
    const ks2 = Array.from({ length: 11 }, () => generateKeyPair(src2));
    const cache = new RingKeyCache();
    const cached = sign('golden message', cache.prepare(ks2.map((k) => k.publicKey)), ks2[7]!.secretKey, src2);
    expect(hex(serializeSignature(cached))).toBe(hex(serializeSignature(cold)));
    expect(verify('golden message', ring, cold)).toBe(true);
    expect(verify('golden message', cache.prepare(ring), cold)).toBe(true);
  });

  it('entries are exactly the fresh derivations; invalid keys are never cached', () => {
    const cache = new RingKeyCache();
    const m = cache.member(pubs[0]!)!;
    expect(m.point.equals(decodePoint(pubs[0]!))).toBe(true);
    expect(m.hashPoint.equals(hashToPoint(pubs[0]!))).toBe(true);
    expect(m.pointTable.teeth).toHaveLength(8);
    const k = randomScalar(seededRandom(33, 'k'));
    expect(mulPublic([[k, m.hashTable]]).equals(m.hashPoint.multiplyUnsafe(k))).toBe(true);
    expect(cache.member(pubs[0]!)).toBe(m); // a hit returns the same entry
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
    const nonCanonical = unhex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    expect(cache.member(nonCanonical)).toBeUndefined();
    expect(cache.member(new Uint8Array(32))).toBeUndefined(); // identity
    expect(cache.size).toBe(1);
    expect(() => cache.prepare([pubs[1]!, nonCanonical])).toThrow(RingSignatureError);
    expect(() => cache.prepare([pubs[1]!, pubs[1]!])).toThrow(RingSignatureError);
    expect(cache.tryPrepare([])).toBeUndefined();
  });

  it('is bounded: least recently used keys go first, and a ring larger than the cache still works', () => {
    const cache = new RingKeyCache({ maxKeys: 4 });
    const ring = pubs.slice(0, 6);
    const sig = sign('m', cache.prepare(ring), all[2]!.secretKey, seededRandom(34, 's'));
    expect(cache.size).toBe(4);
    expect(verify('m', cache.prepare(ring), sig)).toBe(true);
    expect(verify('m', ring, sig)).toBe(true);
    cache.member(pubs[5]!); // most recent: kept
    cache.member(pubs[10]!); // evicts the least recent
    expect(cache.size).toBe(4);
    const before = cache.hits;
    cache.member(pubs[5]!);
    expect(cache.hits).toBe(before + 1);
    expect(() => new RingKeyCache({ maxKeys: 0 })).toThrow(RangeError);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('never changes a verdict: forged and tampered signatures over cached keys fail exactly as cold ones (property)', () => {
    const cache = new RingKeyCache();
    cache.warm(pubs); // every member key already cached
    const r = seededRandom(35, 'verdicts');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 6 }), (n, start, who, tamper) => {
        const idx = Array.from({ length: n }, (_, i) => (start + i) % pubs.length);
        const ring = idx.map((i) => pubs[i]!);
        const signer = all[idx[who % n]!]!;
        const sig = sign('msg', cache.prepare(ring), signer.secretKey, r);
        const other = all[(start + n) % pubs.length]!; // a cached key outside the ring
        let msg = 'msg';
        let vRing = ring;
        let vSig: RingSignature = sig;
        if (tamper === 1) msg = 'msh';
        if (tamper === 2) vSig = { ...sig, c0: bumpScalar(sig.c0) };
        if (tamper === 3) vSig = { ...sig, s: sig.s.map((x, i) => (i === 0 ? bumpScalar(x) : x)) };
        if (tamper === 4) vSig = { ...sig, keyImage: keyImageOf(other.secretKey) }; // someone else's image
        if (tamper === 5) vRing = [...ring.slice(0, -1), other.publicKey]; // a member swapped for another cached key
        if (tamper === 6) vRing = [...ring].reverse();
        const cold = verify(msg, vRing, vSig);
        const warm = verify(msg, cache.prepare(vRing), vSig);
        expect(warm).toBe(cold);
        const mustHold = tamper === 0 || (tamper === 6 && n === 1);
        expect(warm).toBe(mustHold);
      }),
      { numRuns: 40, seed: 11 },
    );
    // a signature by a key outside the ring, built by hand with that key's image: rejected
    const ring = pubs.slice(0, 5);
    const outsider = all[20]!;
    const bySelf = sign('m', cache.prepare([...ring.slice(0, 4), outsider.publicKey]), outsider.secretKey, r);
    expect(verify('m', cache.prepare(ring), bySelf)).toBe(false);
    expect(verify('m', ring, bySelf)).toBe(false);
  });

  it('measureRingSignVerify reports medians at a ring size, cached and cold', () => {
    const warm = measureRingSignVerify(3, { reps: 1 });
    const cold = measureRingSignVerify(3, { reps: 1, cached: false });
    expect([warm.size, warm.reps, warm.cached, cold.cached]).toEqual([3, 1, true, false]);
    for (const t of [warm, cold]) expect(Math.min(t.signMs, t.verifyMs, t.signCpuMs, t.verifyCpuMs)).toBeGreaterThanOrEqual(0);
    expect(() => measureRingSignVerify(0)).toThrow(RangeError);
  });
});
