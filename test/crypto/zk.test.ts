import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modPow } from '../../protocols/crypto/modexp.ts';
import {
  add,
  decrypt,
  encrypt,
  encryptDetailed,
  encryptRecordDetailed,
  encryptWithNonce,
  maxChunkBytes,
  privateKeyFromPrimes,
  RnPool,
  type PaillierKeyPair,
} from '../../protocols/crypto/paillier.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';
import {
  checkRingPedersenParams,
  decodeRingPedersenProof,
  encodeRingPedersenProof,
  generateRingPedersen,
  proveRingPedersen,
  ringPedersenFromPrimes,
  verifyRingPedersen,
  type RingPedersenSetup,
} from '../../protocols/crypto/ring-pedersen.ts';
import {
  decodeCrossKeyProof,
  encodeCrossKeyProof,
  proveBalanceUpdate,
  proveEqualAcrossKeys,
  proveSameKeyEquality,
  sameKeyRoot,
  verifyBalanceUpdate,
  verifyEqualAcrossKeys,
  verifySameKeyEquality,
  type CrossKeyStatement,
} from '../../protocols/crypto/zk-equality.ts';
import {
  creditRecipient,
  decodeSettlementProof,
  settlementContext,
  encodeSettlementProof,
  proveSettlement,
  verifySettlement,
  type SettlementProof,
  type SettlementPublic,
} from '../../protocols/crypto/zk-paillier.ts';
import {
  decodeRangeProof,
  decodeRecordProof,
  encodeRangeProof,
  encodeRecordProof,
  isqrt,
  proveRange,
  proveRangeWithDecomposition,
  proveRecordChunks,
  provableChunkBytes,
  threeSquares,
  twoSquaresPrime,
  verifyRange,
  verifyRecordChunks,
  type RangeStatement,
  type RecordStatement,
} from '../../protocols/crypto/zk-range.ts';
import { decodeFields, decodeInt, encodeFields, encodeInt, Transcript } from '../../protocols/crypto/zk-transcript.ts';

interface Fixture {
  paillier: Record<string, Record<string, { p: string; q: string }>>;
  ringPedersen: Record<string, { nHat: string; s: string; t: string; p: string; q: string; lambda: string }>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/paillier-keys.json', import.meta.url), 'utf8')) as Fixture;
const key = (bits: number, who: string): PaillierKeyPair => {
  const sk = privateKeyFromPrimes(BigInt(fixture.paillier[bits][who].p), BigInt(fixture.paillier[bits][who].q));
  return { publicKey: sk.publicKey, privateKey: sk };
};
const A = key(512, 'A');
const B = key(512, 'B');
const C = key(512, 'C');
const rpFix = fixture.ringPedersen['512'];
const RP: RingPedersenSetup = {
  params: { nHat: BigInt(rpFix.nHat), s: BigInt(rpFix.s), t: BigInt(rpFix.t), bits: 512 },
  trapdoor: {
    p: BigInt(rpFix.p),
    q: BigInt(rpFix.q),
    phi: (BigInt(rpFix.p) - 1n) * (BigInt(rpFix.q) - 1n),
    lambda: BigInt(rpFix.lambda),
  },
};
const setup = RP.params;
const RP2 = generateRingPedersen(256, seededRandom(1, 'other-setup')).params;

/** Every variant of a proof object with one integer field (or array element) incremented. */
function mutations<T extends object>(proof: T): Array<[string, T]> {
  const out: Array<[string, T]> = [];
  for (const [k, v] of Object.entries(proof)) {
    if (typeof v === 'bigint') out.push([k, { ...proof, [k]: v + 1n }]);
    else if (Array.isArray(v)) {
      v.forEach((x: bigint, i: number) => {
        const arr = [...v];
        arr[i] = x + 1n;
        out.push([`${k}[${i}]`, { ...proof, [k]: arr }]);
      });
    }
  }
  return out;
}

describe('transcript and encodings', () => {
  it('integer encoding is canonical', () => {
    for (const x of [0n, 1n, -1n, 255n, 256n, -65536n, (1n << 521n) - 1n]) expect(decodeInt(encodeInt(x))).toBe(x);
    expect(() => decodeInt(Uint8Array.of(1))).toThrow(RangeError); // negative zero
    expect(() => decodeInt(Uint8Array.of(0, 0, 5))).toThrow(RangeError); // leading zero
    expect(() => decodeInt(Uint8Array.of(2, 5))).toThrow(RangeError); // bad sign
    const enc = encodeFields('TEST', 1, [1n, -2n, 3n]);
    expect(decodeFields('TEST', 1, enc, 3)).toEqual([1n, -2n, 3n]);
    expect(() => decodeFields('TEST', 2, enc)).toThrow(RangeError);
    expect(() => decodeFields('TSET', 1, enc)).toThrow(RangeError);
    expect(() => decodeFields('TEST', 1, enc, 4)).toThrow(RangeError);
    expect(() => decodeFields('TEST', 1, Uint8Array.of(...enc, 0))).toThrow(RangeError);
  });

  it('challenges depend on domain, labels, framing and order', () => {
    const ch = (f: (t: Transcript) => void, domain = 'd') => {
      const t = new Transcript(domain);
      f(t);
      return t.challenge('e', 128);
    };
    const base = ch((t) => t.appendString('a', 'bc'));
    expect(ch((t) => t.appendString('a', 'bc'))).toBe(base);
    expect(ch((t) => t.appendString('a', 'bc'), 'other')).not.toBe(base);
    expect(ch((t) => t.appendString('ab', 'c'))).not.toBe(base);
    expect(ch((t) => t.appendString('a', 'b').appendString('', 'c'))).not.toBe(base);
    const t = new Transcript('d');
    const e1 = t.challenge('e', 300);
    expect(e1 < 1n << 300n).toBe(true);
    expect(t.challenge('e', 300)).not.toBe(e1); // a challenge is absorbed
  });
});

describe('sums of squares', () => {
  it('isqrt, two squares of a prime, three squares of 4y + 1', () => {
    for (const n of [0n, 1n, 2n, 15n, 16n, 17n, (1n << 200n) + 12345n]) {
      const s = isqrt(n);
      expect(s * s <= n && (s + 1n) * (s + 1n) > n).toBe(true);
    }
    const r = seededRandom(1, 'sq');
    const [a, b] = twoSquaresPrime(1000000000000000000000000000057n, r) ?? [0n, 0n];
    expect(a * a + b * b).toBe(1000000000000000000000000000057n);
    for (const n of [1n, 5n, 9n, 25n, 4n * 1000003n + 1n, (1n << 100n) + 1n, 4n * ((1n << 256n) - 3n) * 3n + 1n]) {
      const [x, y, z] = threeSquares(n, r);
      expect(x * x + y * y + z * z).toBe(n);
    }
    expect(() => threeSquares(7n, r)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 140n) - 1n }), (y) => {
        const [x1, x2, x3] = threeSquares(4n * y + 1n, r);
        return x1 * x1 + x2 * x2 + x3 * x3 === 4n * y + 1n;
      }),
      { numRuns: 20 },
    );
  });
});

describe('ring-Pedersen setup (Π^prm)', () => {
  it('fixture parameters are well formed and provably so', () => {
    expect(checkRingPedersenParams(setup)).toBe(true);
    const again = ringPedersenFromPrimes(RP.trapdoor.p, RP.trapdoor.q, seededRandom(9, 'rp'));
    expect(checkRingPedersenParams(again.params)).toBe(true);
    const proof = proveRingPedersen(RP, seededRandom(2, 'prm'));
    expect(verifyRingPedersen(setup, proof)).toBe(true);
    expect(verifyRingPedersen(setup, decodeRingPedersenProof(encodeRingPedersenProof(proof)))).toBe(true);
    expect(verifyRingPedersen({ ...setup, s: (setup.s * setup.t) % setup.nHat }, proof)).toBe(false);
    const z = [...proof.z];
    z[5] += 1n;
    expect(verifyRingPedersen(setup, { ...proof, z })).toBe(false);
    expect(verifyRingPedersen(setup, { A: proof.A.slice(0, 40), z: proof.z.slice(0, 40) })).toBe(false); // too few rounds
    // s outside ⟨t⟩ is not provable: a proof made with a wrong λ fails
    const wrong = proveRingPedersen({ ...RP, trapdoor: { ...RP.trapdoor, lambda: RP.trapdoor.lambda + 1n } }, seededRandom(3, 'prm'));
    expect(verifyRingPedersen(setup, wrong)).toBe(false);
  });
});

describe('ZKRP (exact range proof)', () => {
  const L = 64;
  const r = seededRandom(11, 'zkrp');
  const mk = (m: bigint, pk = A, extra: Partial<RangeStatement> = {}) => {
    const enc = encryptDetailed(pk.privateKey, m, r);
    const st: RangeStatement = { publicKey: pk.publicKey, ciphertext: enc.ciphertext, bits: L, setup, ...extra };
    return { st, w: { plaintext: m, nonce: enc.nonce } };
  };
  const B64 = (1n << 64n) - 1n;

  it('honest proofs verify at the ends and inside the range, with and without offset', () => {
    for (const m of [0n, 1n, 2n, B64 - 1n, B64, 123456789012345678n]) {
      const { st, w } = mk(m);
      const proof = proveRange(st, w, { random: r, privateKey: A.privateKey });
      expect(verifyRange(st, proof)).toBe(true);
    }
    const { st, w } = mk(1n << 64n, A, { offset: 1n }); // T = 2^ℓ: T − 1 ∈ [0, 2^ℓ)
    expect(verifyRange(st, proveRange(st, w, { random: r }))).toBe(true);
  });

  it('the prover refuses out-of-range values', () => {
    for (const m of [B64 + 1n, 1n << 70n, A.publicKey.n - 1n]) {
      const { st, w } = mk(m);
      expect(() => proveRange(st, w, { random: r })).toThrow(RangeError);
    }
    const { st, w } = mk(0n, A, { offset: 1n }); // T = 0 is not > 0
    expect(() => proveRange(st, w, { random: r })).toThrow(RangeError);
    const big = mk(5n, A, { bits: 400 });
    expect(() => proveRange(big.st, big.w, { random: r })).toThrow(RangeError); // ℓ too large for a 512-bit N
  });

  it('proofs do not transfer to another statement', () => {
    const { st, w } = mk(42n);
    const proof = proveRange(st, w, { random: r, privateKey: A.privateKey });
    const other = mk(42n); // same value, other ciphertext (replay)
    const checks: Array<[string, RangeStatement]> = [
      ['other ciphertext (same value)', { ...st, ciphertext: other.st.ciphertext }],
      ['re-randomised ciphertext', { ...st, ciphertext: (st.ciphertext * encrypt(A.publicKey, 0n, r)) % A.publicKey.n2 }],
      ['other key', { ...st, publicKey: C.publicKey }],
      ['other bound ℓ − 1', { ...st, bits: L - 1 }],
      ['other bound ℓ + 1', { ...st, bits: L + 1 }],
      ['other offset', { ...st, offset: 1n }],
      ['other context', { ...st, context: Uint8Array.of(1) }],
      ['other setup', { ...st, setup: RP2 }],
      ['other ZK params', { ...st, params: { challengeBits: 120, slackBits: 84, batchBits: 128 } }],
    ];
    for (const [name, s] of checks) expect(verifyRange(s, proof), name).toBe(false);
    expect(verifyRange(st, proof)).toBe(true);
  });

  it('every mutated field is rejected; encoding round-trips', () => {
    const { st, w } = mk(987654321n);
    const proof = proveRange(st, w, { random: r });
    const muts = mutations(proof);
    expect(muts.length).toBe(20);
    for (const [name, p] of muts) expect(verifyRange(st, p), name).toBe(false);
    const bytes = encodeRangeProof(proof);
    expect(verifyRange(st, decodeRangeProof(bytes))).toBe(true);
    const flipped = Uint8Array.from(bytes);
    flipped[bytes.length - 3] ^= 1;
    expect(verifyRange(st, decodeRangeProof(flipped))).toBe(false);
    expect(() => decodeRangeProof(bytes.subarray(0, bytes.length - 1))).toThrow(RangeError);
  });

  it('cheating provers (refusal bypassed) are rejected', () => {
    // x = 2^ℓ (one above the range): 4x(B − x) + 1 < 0 has no decomposition; use the one of |·|
    const over = mk(B64 + 1n);
    const y = 4n * (B64 + 1n) * (B64 - (B64 + 1n)) + 1n; // negative
    const fake = threeSquares(-y + 2n, r); // some three squares (−y + 2 ≡ 1 mod 4)
    expect(verifyRange(over.st, proveRangeWithDecomposition(over.st, over.w, fake, { random: r }))).toBe(false);
    // x = −5, i.e. N − 5 in the ciphertext (wrap-around)
    const neg = mk(A.publicKey.n - 5n);
    const wneg = { plaintext: -5n, nonce: neg.w.nonce };
    expect(verifyRange(neg.st, proveRangeWithDecomposition(neg.st, wneg, [1n, 0n, 0n], { random: r }))).toBe(false);
    // commitments to an in-range x while the ciphertext holds 2^ℓ + 7
    const mism = mk((1n << 64n) + 7n);
    const d = threeSquares(4n * 7n * (B64 - 7n) + 1n, r);
    expect(verifyRange(mism.st, proveRangeWithDecomposition(mism.st, { ...mism.w, plaintext: 7n }, d, { random: r }))).toBe(false);
    // a wrong decomposition for an in-range value
    const ok = mk(9n);
    expect(verifyRange(ok.st, proveRangeWithDecomposition(ok.st, ok.w, [1n, 2n, 3n], { random: r }))).toBe(false);
    // wrong nonce
    expect(verifyRange(ok.st, proveRange(ok.st, { ...ok.w, nonce: ok.w.nonce + 1n }, { random: r }))).toBe(false);
  });

  it('is deterministic for a seeded source and works with an rⁿ pool', () => {
    const enc = encryptDetailed(A.privateKey, 5n, seededRandom(1, 'e'));
    const st: RangeStatement = { publicKey: A.publicKey, ciphertext: enc.ciphertext, bits: L, setup };
    const w = { plaintext: 5n, nonce: enc.nonce };
    const p1 = encodeRangeProof(proveRange(st, w, { random: seededRandom(2, 'p'), privateKey: A.privateKey }));
    const p2 = encodeRangeProof(proveRange(st, w, { random: seededRandom(2, 'p') }));
    expect(Buffer.from(p1).equals(Buffer.from(p2))).toBe(true);
    const pool = new RnPool(A.privateKey, seededRandom(3, 'pool'));
    pool.precompute(1);
    const pp = proveRange(st, w, { random: seededRandom(4, 'p'), nonceSource: pool });
    expect(pool.size).toBe(0);
    expect(verifyRange(st, pp)).toBe(true);
  });

  it('fast-check: random in-range values verify, just-out-of-range values are refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }), (bits, raw) => {
        const m = raw % (1n << BigInt(bits));
        const enc = encryptDetailed(A.publicKey, m, r);
        const st: RangeStatement = { publicKey: A.publicKey, ciphertext: enc.ciphertext, bits, setup };
        expect(verifyRange(st, proveRange(st, { plaintext: m, nonce: enc.nonce }, { random: r }))).toBe(true);
        expect(() => proveRange(st, { plaintext: m + (1n << BigInt(bits)), nonce: enc.nonce }, { random: r })).toThrow(RangeError);
      }),
      { numRuns: 8 },
    );
  });
});

describe('EL-Enc (equality across keys)', () => {
  const r = seededRandom(12, 'elenc');
  const mk = (xA: bigint, xB = xA) => {
    const a = encryptDetailed(A.privateKey, xA, r);
    const b = encryptDetailed(B.publicKey, xB, r);
    const st: CrossKeyStatement = {
      publicKeyA: A.publicKey,
      ciphertextA: a.ciphertext,
      publicKeyB: B.publicKey,
      ciphertextB: b.ciphertext,
      bits: 64,
      setup,
    };
    return { st, w: { plaintext: xA, nonceA: a.nonce, nonceB: b.nonce } };
  };

  it('honest proofs verify; statements and fields cannot be changed', () => {
    const { st, w } = mk(5000n);
    const proof = proveEqualAcrossKeys(st, w, { random: r, privateKey: A.privateKey });
    expect(verifyEqualAcrossKeys(st, proof)).toBe(true);
    expect(verifyEqualAcrossKeys(st, decodeCrossKeyProof(encodeCrossKeyProof(proof)))).toBe(true);
    const other = mk(5000n);
    const bad: Array<[string, CrossKeyStatement]> = [
      ['other K_A', { ...st, ciphertextA: other.st.ciphertextA }],
      ['other K_B', { ...st, ciphertextB: other.st.ciphertextB }],
      ['keys swapped', { ...st, publicKeyA: st.publicKeyB, publicKeyB: st.publicKeyA, ciphertextA: st.ciphertextB, ciphertextB: st.ciphertextA }],
      ['other key B', { ...st, publicKeyB: C.publicKey }],
      ['other bound', { ...st, bits: 63 }],
      ['other setup', { ...st, setup: RP2 }],
      ['other context', { ...st, context: Uint8Array.of(7) }],
    ];
    for (const [name, s] of bad) expect(verifyEqualAcrossKeys(s, proof), name).toBe(false);
    for (const [name, p] of mutations(proof)) expect(verifyEqualAcrossKeys(st, p), name).toBe(false);
  });

  it('different plaintexts cannot be proven equal; refusals', () => {
    const { st, w } = mk(5000n, 5001n);
    expect(verifyEqualAcrossKeys(st, proveEqualAcrossKeys(st, w, { random: r }))).toBe(false);
    // B's ciphertext holds x + N_B-ish "same value mod N_A" games: x and x + N_A differ as integers
    const wrap = mk(5000n, 5000n + A.publicKey.n);
    expect(verifyEqualAcrossKeys(wrap.st, proveEqualAcrossKeys(wrap.st, wrap.w, { random: r }))).toBe(false);
    expect(() => proveEqualAcrossKeys(mk(1n << 64n).st, mk(1n << 64n).w, { random: r })).toThrow(RangeError);
    const same = mk(3n);
    expect(() => proveEqualAcrossKeys({ ...same.st, publicKeyB: A.publicKey }, same.w, { random: r })).toThrow(RangeError);
  });
});

describe('EL-AHE (A\' = A − T by N-th residuosity)', () => {
  const r = seededRandom(13, 'elahe');
  const pk = A.publicKey;
  const oldBalance = add(pk, encrypt(pk, 700n, r), encrypt(pk, 300n, r)); // formed homomorphically
  const transfer = encrypt(A.privateKey, 250n, r);
  const newBalance = encrypt(A.privateKey, 750n, r);
  const st = { publicKey: pk, oldBalance, transfer, newBalance };

  it('honest proofs verify; every change is rejected', () => {
    const proof = proveBalanceUpdate(st, A.privateKey, { random: r });
    expect(verifyBalanceUpdate(st, proof)).toBe(true);
    const other = encrypt(pk, 250n, r);
    expect(verifyBalanceUpdate({ ...st, transfer: other }, proof)).toBe(false);
    expect(verifyBalanceUpdate({ ...st, newBalance: encrypt(pk, 750n, r) }, proof)).toBe(false);
    expect(verifyBalanceUpdate({ ...st, context: Uint8Array.of(1) }, proof)).toBe(false);
    // same product T·A' with the factors moved around is a different statement
    const t2 = (transfer * encrypt(pk, 0n, r)) % pk.n2;
    expect(verifyBalanceUpdate({ ...st, transfer: t2 }, proof)).toBe(false);
    for (const [name, p] of mutations(proof)) expect(verifyBalanceUpdate(st, p), name).toBe(false);
    // the generic same-key proof is domain-separated from EL-AHE
    const right = (transfer * newBalance) % pk.n2;
    const generic = { publicKey: pk, left: oldBalance, right };
    const gp = proveSameKeyEquality(generic, sameKeyRoot(A.privateKey, oldBalance, right), { random: r });
    expect(verifySameKeyEquality(generic, gp)).toBe(true);
    expect(verifyBalanceUpdate(st, gp)).toBe(false);
  });

  it('a wrong balance is refused and a forced proof fails', () => {
    const wrong = { ...st, newBalance: encrypt(pk, 751n, r) };
    expect(() => proveBalanceUpdate(wrong, A.privateKey, { random: r })).toThrow(RangeError);
    // cheater: use the N-th root as if the plaintexts matched
    const right = (wrong.transfer * wrong.newBalance) % pk.n2;
    const fakeRoot = modPow(oldBalance % pk.n, 3n, pk.n); // not an N-th root of the quotient
    const forged = proveSameKeyEquality({ publicKey: pk, left: oldBalance, right, domain: 'paillier/el-ahe', bind: [wrong.transfer, wrong.newBalance] }, fakeRoot, { random: r });
    expect(verifyBalanceUpdate(wrong, forged)).toBe(false);
    expect(() => proveBalanceUpdate(st, B.privateKey)).toThrow(RangeError);
  });
});

describe('seed 002 settlement (2a–2d)', () => {
  const r = seededRandom(14, 'settle');
  const L = 64;
  const balanceA = encrypt(A.publicKey, 10_000n, r);
  const pub = (extra: Partial<SettlementPublic> = {}): SettlementPublic => ({
    publicKeyA: A.publicKey,
    publicKeyB: B.publicKey,
    setup,
    bits: L,
    oldBalanceA: balanceA,
    context: new TextEncoder().encode('tx-1'),
    ...extra,
  });

  it('an honest payment verifies and credits B', () => {
    const poolA = new RnPool(A.privateKey, seededRandom(1, 'pA'));
    poolA.precompute(4);
    const s = proveSettlement(pub(), A.privateKey, 2_500n, { random: r, nonceSourceA: poolA });
    const v = verifySettlement(pub(), s.transfer, s.proof);
    expect(v).toEqual({ valid: true, checks: { '2a': true, '2b': true, '2c': true, '2d': true } });
    expect(decrypt(A.privateKey, s.transfer.newBalanceA)).toBe(7_500n);
    expect(decrypt(B.privateKey, s.transfer.transferB)).toBe(2_500n);
    const balanceB = encrypt(B.publicKey, 100n, r);
    expect(decrypt(B.privateKey, creditRecipient(B.publicKey, balanceB, s.transfer.transferB))).toBe(2_600n);
    const bytes = encodeSettlementProof(s.proof);
    expect(verifySettlement(pub(), s.transfer, decodeSettlementProof(bytes)).valid).toBe(true);
    // paying the whole balance leaves 0 — allowed
    expect(verifySettlement(pub(), ...pair(proveSettlement(pub(), A.privateKey, 10_000n, { random: r }))).valid).toBe(true);
  });

  it('the prover refuses T ≤ 0, T > balance and T > 2^ℓ', () => {
    expect(() => proveSettlement(pub(), A.privateKey, 0n, { random: r })).toThrow(RangeError);
    expect(() => proveSettlement(pub(), A.privateKey, -5n, { random: r })).toThrow(RangeError);
    expect(() => proveSettlement(pub(), A.privateKey, 10_001n, { random: r })).toThrow(RangeError);
    const rich = pub({ oldBalanceA: encrypt(A.publicKey, 1n << 65n, r) });
    expect(() => proveSettlement(rich, A.privateKey, (1n << 64n) + 1n, { random: r })).toThrow(RangeError);
  });

  it('tampered transfers, swapped proofs and replays are rejected step by step', () => {
    const s1 = proveSettlement(pub(), A.privateKey, 1_000n, { random: r });
    const s2 = proveSettlement(pub(), A.privateKey, 1_000n, { random: r });
    const v = (p: SettlementPublic, t = s1.transfer, proof: SettlementProof = s1.proof) => verifySettlement(p, t, proof);
    // any changed input changes the shared context, so every step fails
    expect(v(pub(), { ...s1.transfer, transferB: encrypt(B.publicKey, 1_000n, r) }).valid).toBe(false);
    expect(v(pub(), { ...s1.transfer, newBalanceA: s2.transfer.newBalanceA }).valid).toBe(false);
    expect(v(pub({ context: new TextEncoder().encode('tx-2') })).valid).toBe(false);
    expect(v(pub({ oldBalanceA: encrypt(A.publicKey, 10_000n, r) })).valid).toBe(false);
    expect(v(pub({ publicKeyB: C.publicKey })).valid).toBe(false);
    // proofs of another settlement with the same amounts
    expect(v(pub(), s1.transfer, s2.proof).valid).toBe(false);
    expect(v(pub(), s1.transfer, { ...s1.proof, rangeTransfer: s2.proof.rangeTransfer }).checks).toEqual({ '2a': false, '2b': true, '2c': true, '2d': true });
    // the two range proofs are not interchangeable (2a has offset 1)
    expect(v(pub(), s1.transfer, { ...s1.proof, rangeTransfer: s1.proof.rangeBalance }).checks['2a']).toBe(false);
  });

  it('a cheating payer is caught exactly by the step that should catch her', () => {
    const pk = A.publicKey;
    const ctx = pub();
    /** Builds a settlement for arbitrary (possibly illegal) plaintexts, forging only where needed. */
    const forge = (tVal: bigint, newVal: bigint, tForB: bigint) => {
      const t = encryptDetailed(A.privateKey, tVal, r);
      const nb = encryptDetailed(A.privateKey, newVal, r);
      const tb = encryptDetailed(B.publicKey, tForB, r);
      const transfer = { transferA: t.ciphertext, transferB: tb.ciphertext, newBalanceA: nb.ciphertext };
      const context = settlementContext(ctx, transfer);
      const common = { setup, context };
      const B64 = (1n << 64n) - 1n;
      const dec = (x: bigint) => (x >= 0n && x <= B64 ? threeSquares(4n * x * (B64 - x) + 1n, r) : [1n, 0n, 0n]);
      const rangeTransfer = proveRangeWithDecomposition(
        { ...common, publicKey: pk, ciphertext: t.ciphertext, bits: L, offset: 1n },
        { plaintext: tVal, nonce: t.nonce },
        dec(tVal - 1n),
        { random: r },
      );
      const rangeBalance = proveRangeWithDecomposition(
        { ...common, publicKey: pk, ciphertext: nb.ciphertext, bits: L },
        { plaintext: newVal, nonce: nb.nonce },
        dec(newVal),
        { random: r },
      );
      const ahe = { publicKey: pk, oldBalance: balanceA, transfer: t.ciphertext, newBalance: nb.ciphertext, context };
      const balanceUpdate = proveBalanceUpdate(ahe, A.privateKey, { random: r });
      const x = tVal >= 0n && tVal < 1n << 65n ? tVal : 0n;
      const equalTransfer = proveEqualAcrossKeys(
        { ...common, publicKeyA: pk, ciphertextA: t.ciphertext, publicKeyB: B.publicKey, ciphertextB: tb.ciphertext, bits: L + 1 },
        { plaintext: x, nonceA: t.nonce, nonceB: tb.nonce },
        { random: r },
      );
      return verifySettlement(ctx, transfer, { rangeTransfer, rangeBalance, equalTransfer, balanceUpdate }).checks;
    };
    // sanity: the forging harness accepts a legal payment
    expect(forge(1_000n, 9_000n, 1_000n)).toEqual({ '2a': true, '2b': true, '2c': true, '2d': true });
    // overdraft: pay 10 500 from 10 000, new balance −500 (N − 500 mod N)
    expect(forge(10_500n, -500n, 10_500n)).toEqual({ '2a': true, '2b': false, '2c': true, '2d': true });
    // negative payment: T = −100, new balance 10 100 (B would be debited)
    const neg = forge(-100n, 10_100n, -100n);
    expect(neg['2a']).toBe(false);
    expect(neg['2d']).toBe(true);
    // zero payment
    expect(forge(0n, 10_000n, 0n)['2a']).toBe(false);
    // B is credited 1 while A pays 1 000
    expect(forge(1_000n, 9_000n, 1n)).toEqual({ '2a': true, '2b': true, '2c': false, '2d': true });
    // money creation: A' = 9 500 after paying 1 000 from 10 000
    expect(() => forge(1_000n, 9_500n, 1_000n)).toThrow(RangeError); // honest EL-AHE prover refuses
  });

  it('works with 1024-bit keys and is deterministic for a seed', () => {
    const A1 = key(1024, 'A');
    const B1 = key(1024, 'B');
    const p: SettlementPublic = { publicKeyA: A1.publicKey, publicKeyB: B1.publicKey, setup, bits: 256, oldBalanceA: encrypt(A1.publicKey, 1n << 200n, r) };
    const s1 = proveSettlement(p, A1.privateKey, 12345n, { random: seededRandom(5, 's') });
    const s2 = proveSettlement(p, A1.privateKey, 12345n, { random: seededRandom(5, 's') });
    expect(Buffer.from(encodeSettlementProof(s1.proof)).equals(Buffer.from(encodeSettlementProof(s2.proof)))).toBe(true);
    expect(s1.transfer).toEqual(s2.transfer);
    expect(verifySettlement(p, s1.transfer, s1.proof).valid).toBe(true);
  });
});

describe('record chunk proofs', () => {
  const r = seededRandom(15, 'record');
  const data = r(700);

  for (const bounded of [false, true]) {
    it(`${bounded ? 'bounded (Π^enc)' : 'plaintext-knowledge'} proofs verify and resist tampering`, () => {
      const chunkBytes = bounded ? provableChunkBytes(A.publicKey) : maxChunkBytes(A.publicKey);
      const rec = encryptRecordDetailed(A.privateKey, data, { source: r, chunkBytes });
      const st: RecordStatement = { publicKey: A.publicKey, chunks: rec.chunks, chunkBytes, setup, bounded };
      const proof = proveRecordChunks(st, rec, { random: r, privateKey: A.privateKey });
      expect(verifyRecordChunks(st, proof)).toBe(true);
      expect(verifyRecordChunks(st, decodeRecordProof(encodeRecordProof(proof)))).toBe(true);
      const swapped = [rec.chunks[1], rec.chunks[0], ...rec.chunks.slice(2)];
      expect(verifyRecordChunks({ ...st, chunks: swapped }, proof)).toBe(false);
      const other = encryptRecordDetailed(A.privateKey, data, { source: r, chunkBytes });
      expect(verifyRecordChunks({ ...st, chunks: other.chunks }, proof)).toBe(false); // replay for another encryption
      expect(verifyRecordChunks({ ...st, publicKey: C.publicKey }, proof)).toBe(false);
      expect(verifyRecordChunks({ ...st, context: Uint8Array.of(1) }, proof)).toBe(false);
      expect(verifyRecordChunks({ ...st, bounded: !bounded }, proof)).toBe(false);
      const muts = mutations(proof);
      expect(muts.length).toBe(rec.chunks.length * (bounded ? 6 : 3));
      for (const [name, p] of muts.filter((_, i) => i % 3 === 0)) expect(verifyRecordChunks(st, p), name).toBe(false);
    });
  }

  it('the bounded proof rejects a chunk above the slack bound', () => {
    const chunkBytes = provableChunkBytes(A.publicKey);
    const rec = encryptRecordDetailed(A.privateKey, data.subarray(0, 50), { source: r, chunkBytes });
    const huge = A.publicKey.n - 3n;
    const chunks = [encryptWithNonce(A.publicKey, huge, 7n), ...rec.chunks.slice(1)];
    const st: RecordStatement = { publicKey: A.publicKey, chunks, chunkBytes, setup, bounded: true };
    expect(() => proveRecordChunks(st, { plaintexts: [huge, ...rec.plaintexts.slice(1)], nonces: [7n, ...rec.nonces.slice(1)] })).toThrow(RangeError);
    const forged = proveRecordChunks({ ...st, chunks: rec.chunks }, rec, { random: r });
    expect(verifyRecordChunks(st, forged)).toBe(false);
  });
});

function pair(s: { transfer: ReturnType<typeof proveSettlement>['transfer']; proof: SettlementProof }) {
  return [s.transfer, s.proof] as const;
}
