import { readFileSync } from 'node:fs';
import { checkPrimeSync } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modInverse, modPow } from '../../protocols/crypto/modexp.ts';
import {
  add,
  decrypt,
  encrypt,
  encryptDetailed,
  encryptRecordDetailed,
  encryptWithNonce,
  maxChunkBytes,
  privateKeyFromPrimes,
  publicKeyFromModulus,
  randomNonce,
  RnPool,
  type PaillierKeyPair,
} from '../../protocols/crypto/paillier.ts';
import { seededRandom, type RandomSource } from '../../protocols/crypto/random.ts';
import {
  checkRingPedersenParams,
  decodeRingPedersenProof,
  DEFAULT_PRM_ROUNDS,
  deriveRingPedersenSetup,
  encodeRingPedersenProof,
  MAX_PRM_ROUNDS,
  MIN_RING_PEDERSEN_BITS,
  minRingPedersenBits,
  proveRingPedersen,
  ringPedersenFromPrimes,
  ringPedersenSetupProblem,
  verifyRingPedersen,
  type RingPedersenParams,
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
  rangeChallenge,
  provableChunkBytes,
  threeSquares,
  twoSquaresPrime,
  verifyRange,
  verifyRecordChunks,
  type RangeProof,
  type RangeStatement,
  type RecordStatement,
} from '../../protocols/crypto/zk-range.ts';
import { decodeFields, decodeInt, encodeFields, encodeInt, randomBits, Transcript } from '../../protocols/crypto/zk-transcript.ts';

interface Fixture {
  paillier: Record<string, Record<string, { p: string; q: string }>>;
  ringPedersen: Record<string, { nHat: string; s: string; t: string; p: string; q: string; lambda: string }>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/paillier-keys.json', import.meta.url), 'utf8')) as Fixture;
const key = (bits: number, who: string): PaillierKeyPair => {
  const sk = privateKeyFromPrimes(BigInt(fixture.paillier[bits][who].p), BigInt(fixture.paillier[bits][who].q));
  return { publicKey: sk.publicKey, privateKey: sk };
};
// The smallest sizes the hardened verifiers accept: 1024-bit Paillier keys, a 2048-bit N̂.
const A = key(1024, 'A');
const B = key(1024, 'B');
const C = key(1024, 'C');
const fixtureSetup = (bits: number): RingPedersenSetup => {
  const f = fixture.ringPedersen[bits];
  const [p, q] = [BigInt(f.p), BigInt(f.q)];
  return {
    params: { nHat: BigInt(f.nHat), s: BigInt(f.s), t: BigInt(f.t), bits },
    trapdoor: { p, q, phi: (p - 1n) * (q - 1n), lambda: BigInt(f.lambda) },
  };
};
const RP = fixtureSetup(2048);
const setup = RP.params;
/** Another valid setup: same N̂, other s and t (a proof must not transfer to it). */
const RP2 = ringPedersenFromPrimes(RP.trapdoor.p, RP.trapdoor.q, seededRandom(1, 'other-setup')).params;
/** A short setup (512-bit N̂): anyone who factors it can open commitments to anything. */
const SHORT = fixtureSetup(512);

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
    expect(proof.A.length).toBe(DEFAULT_PRM_ROUNDS);
    expect(verifyRingPedersen(setup, proof)).toBe(true);
    expect(decodeRingPedersenProof(encodeRingPedersenProof(proof))).toEqual(proof);
    expect(verifyRingPedersen({ ...setup, s: (setup.s * setup.t) % setup.nHat }, proof)).toBe(false);
    const z = [...proof.z];
    z[5] += 1n;
    expect(verifyRingPedersen(setup, { ...proof, z })).toBe(false);
    expect(verifyRingPedersen(setup, { A: proof.A.slice(0, 80), z: proof.z.slice(0, 80) })).toBe(false); // too few rounds
    // the round count is capped: a verifier never does more than MAX_PRM_ROUNDS exponentiations,
    // and a huge proof is refused (it used to throw: a challenge of more than 4096 bits)
    const pad = (n: number) => ({ A: Array.from({ length: n }, (_, i) => proof.A[i % proof.A.length]), z: Array.from({ length: n }, (_, i) => proof.z[i % proof.z.length]) });
    expect(verifyRingPedersen(setup, pad(MAX_PRM_ROUNDS + 1), 1)).toBe(false);
    expect(verifyRingPedersen(setup, pad(5000), 1)).toBe(false);
    expect(() => proveRingPedersen(RP, seededRandom(2, 'prm'), MAX_PRM_ROUNDS + 1)).toThrow(RangeError);
    expect(() => decodeRingPedersenProof(encodeFields('RPRM', 1, [BigInt(MAX_PRM_ROUNDS + 1), ...pad(MAX_PRM_ROUNDS + 1).A, ...pad(MAX_PRM_ROUNDS + 1).z]))).toThrow(RangeError);
    // Π^prm is checked with the setup: a short N̂ fails even with a valid proof for it
    expect(verifyRingPedersen(SHORT.params, proveRingPedersen(SHORT, seededRandom(2, 'prm')))).toBe(false);
    expect(verifyRingPedersen(SHORT.params, proveRingPedersen(SHORT, seededRandom(2, 'prm')), DEFAULT_PRM_ROUNDS, 512)).toBe(true);
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
    const big = mk(5n, A, { bits: 900 });
    expect(() => proveRange(big.st, big.w, { random: r })).toThrow(RangeError); // ℓ too large for a 1024-bit N
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

  it('works with 256-bit amounts and is deterministic for a seed', () => {
    const A1 = A;
    const B1 = B;
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

// ---------------------------------------------------------------------------------------------
// Hardening found in review (issue 12)

/**
 * A cheating prover who knows the factorisation of N̂ (its trapdoor: φ(N̂) and λ = log_t s): it
 * proves that K encrypts a value in [0, 2^ℓ) while K encrypts the integer `x` (negative here).
 * Every equation the verifier checks holds: the (★) deficit s^{−Δ}, Δ = Σd_i² − (4x(B − x) + 1),
 * is absorbed into τ as t^{−λΔ mod φ(N̂)}. Follows `proveRangeWithDecomposition` step by step.
 */
function forgeRangeWithTrapdoor(rp: RingPedersenSetup, pk: PaillierKeyPair, x: bigint, bits: number, random: RandomSource): { st: RangeStatement; proof: RangeProof } {
  const { n, n2 } = pk.publicKey;
  const enc = encryptDetailed(pk.privateKey, ((x % n) + n) % n, random); // K encrypts x mod N
  const st: RangeStatement = { publicKey: pk.publicKey, ciphertext: enc.ciphertext, bits, setup: rp.params };
  const { nHat, s, t } = rp.params;
  const nb = rp.params.bits;
  const [c, sigma] = [128, 84];
  const B = (1n << BigInt(bits)) - 1n;
  const pw = (b: bigint, e: bigint) => (e >= 0n ? modPow(b, e, nHat) : modInverse(modPow(b, -e, nHat), nHat));
  const d = [1n, 0n, 0n]; // any decomposition: 4x(B − x) + 1 < 0 has none
  const mu = randomBits(nb + sigma, random);
  const muW = d.map(() => randomBits(nb + sigma, random));
  const S = (pw(s, x) * pw(t, mu)) % nHat;
  const W = d.map((di, i) => (pw(s, di) * pw(t, muW[i])) % nHat);
  const delta4 = d.reduce((a, di) => a + di * di, 0n) - (4n * x * (B - x) + 1n);
  const lamDelta = (((-rp.trapdoor.lambda * delta4) % rp.trapdoor.phi) + rp.trapdoor.phi) % rp.trapdoor.phi;
  const tau = -4n * mu * x - d.reduce((a, di, i) => a + di * muW[i], 0n) + lamDelta;
  const alpha = randomBits(bits + c + sigma, random);
  const beta = d.map(() => randomBits(bits + c + sigma, random));
  const gamma = randomBits(nb + c + 2 * sigma, random);
  const gW = d.map(() => randomBits(nb + c + 2 * sigma, random));
  const delta = randomBits(nb + bits + c + 2 * sigma + 3, random);
  const r = randomNonce(pk.publicKey, random);
  const AK = ((1n + alpha * n) * modPow(r, n, n2)) % n2;
  const AS = (pw(s, alpha) * pw(t, gamma)) % nHat;
  const AW = beta.map((bi, i) => (pw(s, bi) * pw(t, gW[i])) % nHat);
  let AL = (pw(S, 4n * alpha) * pw(t, delta)) % nHat;
  for (let i = 0; i < 3; i++) AL = (AL * pw(W[i], beta[i])) % nHat;
  AL = (AL * pw(s, -4n * B * alpha)) % nHat;
  const e = rangeChallenge(st, { S, W, AK, AS, AW, AL });
  const proof: RangeProof = {
    S, W, AK, AS, AW, AL,
    zx: alpha + e * x,
    zrho: (r * modPow(enc.nonce, e, n)) % n,
    zmu: gamma + e * mu,
    zd: beta.map((bi, i) => bi + e * d[i]),
    zmuW: gW.map((gi, i) => gi + e * muW[i]),
    ztau: delta + e * tau,
  };
  return { st, proof };
}

describe('hardening: ring-Pedersen setup size and validation', () => {
  it('the attack from review: with a factorable short N̂ a range proof of −5 would verify; the verifier now refuses the setup', () => {
    const r = seededRandom(21, 'forge');
    // control: the forgery is sound algebra — under a setup whose trapdoor the forger holds it
    // passes every check (binding rests on the setup party, as docs/crypto-paillier-zk.md says)
    const control = forgeRangeWithTrapdoor(RP, A, -5n, 64, r);
    expect(verifyRange(control.st, control.proof)).toBe(true);
    expect(decrypt(A.privateKey, control.st.ciphertext)).toBe(A.publicKey.n - 5n);
    // the attack: a 512-bit N̂ anyone can factor (this test generated it, so it "knows" p̂, q̂);
    // before the hardening verifyRange accepted any N̂ of ≥ 256 bits and this proof verified
    const attack = forgeRangeWithTrapdoor(SHORT, A, -5n, 64, r);
    expect(ringPedersenSetupProblem(SHORT.params, minRingPedersenBits(64))).toBe('N̂ has 512 bits, fewer than the 2048 required');
    expect(verifyRange(attack.st, attack.proof)).toBe(false);
    // … and through the settlement verifier: a short setup fails every step
    const honest = proveSettlement(
      { publicKeyB: B.publicKey, setup, bits: 64, oldBalanceA: encrypt(A.publicKey, 100n, r) },
      A.privateKey,
      7n,
      { random: r },
    );
    const pub: SettlementPublic = { publicKeyA: A.publicKey, publicKeyB: B.publicKey, setup: SHORT.params, bits: 64, oldBalanceA: encrypt(A.publicKey, 100n, r) };
    expect(verifySettlement(pub, honest.transfer, { ...honest.proof, rangeBalance: attack.proof })).toEqual({ valid: false, checks: { '2a': false, '2b': false, '2c': false, '2d': false } });
    // provers refuse a short setup too, naming why
    const enc = encryptDetailed(A.privateKey, 5n, r);
    expect(() => proveRange({ publicKey: A.publicKey, ciphertext: enc.ciphertext, bits: 64, setup: SHORT.params }, { plaintext: 5n, nonce: enc.nonce })).toThrow(/ring-Pedersen setup refused: N̂ has 512 bits/);
    const b = encryptDetailed(B.publicKey, 5n, r);
    const cross: CrossKeyStatement = { publicKeyA: A.publicKey, ciphertextA: enc.ciphertext, publicKeyB: B.publicKey, ciphertextB: b.ciphertext, bits: 64, setup: SHORT.params };
    expect(() => proveEqualAcrossKeys(cross, { plaintext: 5n, nonceA: enc.nonce, nonceB: b.nonce })).toThrow(/ring-Pedersen setup refused/);
    const rec = encryptRecordDetailed(A.privateKey, Uint8Array.of(1, 2, 3), { source: r, chunkBytes: provableChunkBytes(A.publicKey) });
    const recSt: RecordStatement = { publicKey: A.publicKey, chunks: rec.chunks, chunkBytes: provableChunkBytes(A.publicKey), setup: SHORT.params, bounded: true };
    expect(() => proveRecordChunks(recSt, rec)).toThrow(/ring-Pedersen setup refused/);
    // and every verifier refuses it: proofs made under the good setup, statements moved to SHORT
    const good = proveEqualAcrossKeys({ ...cross, setup }, { plaintext: 5n, nonceA: enc.nonce, nonceB: b.nonce }, { random: r });
    expect(verifyEqualAcrossKeys({ ...cross, setup }, good)).toBe(true);
    expect(verifyEqualAcrossKeys(cross, good)).toBe(false);
    const goodRec = proveRecordChunks({ ...recSt, setup }, rec, { random: r });
    expect(verifyRecordChunks({ ...recSt, setup }, goodRec)).toBe(true);
    expect(verifyRecordChunks(recSt, goodRec)).toBe(false);
  });

  it('|N̂| ≥ max(2048, 2(ℓ + σ) + c)', () => {
    expect(MIN_RING_PEDERSEN_BITS).toBe(2048);
    expect(minRingPedersenBits(64)).toBe(2048);
    expect(minRingPedersenBits(876)).toBe(2048); // 2·(876 + 84) + 128 = 2048
    expect(minRingPedersenBits(877)).toBe(2050);
    expect(minRingPedersenBits(1000, { challengeBits: 128, slackBits: 100, batchBits: 128 })).toBe(2328);
    expect(ringPedersenSetupProblem(setup, minRingPedersenBits(64))).toBeUndefined();
    expect(ringPedersenSetupProblem(setup, minRingPedersenBits(877))).toMatch(/fewer than the 2050 required/);
    // a range proof with ℓ = 877 over this 2048-bit N̂ is refused (2048-bit Paillier modulus, so
    // only the setup size stands in the way)
    const pk2048 = publicKeyFromModulus(A.publicKey.n * C.publicKey.n);
    const enc = encryptDetailed(pk2048, 5n, seededRandom(22, 'big-l'));
    expect(() => proveRange({ publicKey: pk2048, ciphertext: enc.ciphertext, bits: 877, setup }, { plaintext: 5n, nonce: enc.nonce })).toThrow(/N̂ has 2048 bits, fewer than the 2050 required/);
  });

  it('structural checks without the trapdoor: composite, no small factor, not a power, units of Jacobi symbol +1; cached per setup', () => {
    const sp = SHORT.params;
    const at512 = (params: RingPedersenParams) => ringPedersenSetupProblem(params, 512);
    expect(at512(sp)).toBeUndefined();
    const { p, q } = SHORT.trapdoor;
    const withN = (nHat: bigint, extra: Partial<RingPedersenParams> = {}): RingPedersenParams => ({ ...sp, nHat, bits: nHat.toString(2).length, s: sp.s % nHat, t: sp.t % nHat, ...extra });
    let nonResidue = 2n;
    while (jacobiByEuler(nonResidue, p, q) !== -1) nonResidue++;
    const cases: Array<[string, RingPedersenParams, RegExp]> = [
      ['N̂ = p̂² (perfect power)', withN(p * p), /N̂ is a perfect power/],
      ['N̂ prime', withN(largePrimeNear(p * q)), /N̂ is prime/],
      ['N̂ with a small factor', withN(sp.nHat * 3n), /prime factor below 2\^15/],
      ['N̂ even', withN(sp.nHat + 1n), /N̂ not an odd integer|prime factor/],
      ['s = t', { ...sp, s: sp.t }, /s = t/],
      ['s = 1', { ...sp, s: 1n }, /s is not in Z\*_N̂/],
      ['t = N̂ − 1', { ...sp, t: sp.nHat - 1n }, /t is not in Z\*_N̂/],
      ['s shares a factor with N̂', { ...sp, s: p }, /s is not in Z\*_N̂/],
      ['s a non-residue (Jacobi −1)', { ...sp, s: nonResidue }, /s has Jacobi symbol −1/],
      ['bits field lies', { ...sp, bits: 2048 }, /bits does not match/],
      ['malformed', { ...sp, s: 5 as unknown as bigint }, /malformed/],
    ];
    for (const [name, params, reason] of cases) {
      expect(at512(params), name).toMatch(reason);
      expect(at512(params), `${name} (cached verdict)`).toMatch(reason);
      expect(checkRingPedersenParams(params, 512), name).toBe(false);
    }
    // the cache is by value: an equal copy gets the same verdict, a changed value a new one
    expect(at512({ ...sp })).toBeUndefined();
    expect(checkRingPedersenParams(setup)).toBe(true);
  });

  it('deterministic setup generator: one setup per (seed, label, size), cached and checked', () => {
    const a = deriveRingPedersenSetup('gen-test', 'rp', 512, { dir: false });
    const b = deriveRingPedersenSetup('gen-test', 'rp', 512, { dir: false });
    expect(b).toBe(a); // the in-memory cache hands back the same object
    expect(checkRingPedersenParams(a.params, 512)).toBe(true);
    const other = deriveRingPedersenSetup('gen-test', 'rp2', 512, { dir: false });
    expect(other.params.nHat).not.toBe(a.params.nHat);
    // the fixture is what the generator derives for its seed and label (checked in paillier.test.ts)
  });
});

describe('hardening: Paillier keys in every verifier', () => {
  it('keys below 1024 bits or with small factors are refused by provers and verifiers', () => {
    const small = key(512, 'A');
    const r = seededRandom(23, 'small-keys');
    const enc = encryptDetailed(small.privateKey, 5n, r);
    const st: RangeStatement = { publicKey: small.publicKey, ciphertext: enc.ciphertext, bits: 64, setup };
    expect(() => proveRange(st, { plaintext: 5n, nonce: enc.nonce })).toThrow(/Paillier key refused: n has 512 bits/);
    expect(() => proveBalanceUpdate({ publicKey: small.publicKey, oldBalance: enc.ciphertext, transfer: enc.ciphertext, newBalance: encrypt(small.publicKey, 0n, r) }, small.privateKey)).toThrow(/Paillier key refused/);
    // a key with a small factor: N·3 (odd, right size, not prime, not a power)
    const tainted = publicKeyFromModulus(A.publicKey.n * 3n);
    const honest = mkRange(A, 42n, r);
    expect(verifyRange(honest.st, honest.proof)).toBe(true);
    expect(verifyRange({ ...honest.st, publicKey: tainted }, honest.proof)).toBe(false);
    expect(verifyRange({ ...honest.st, publicKey: { ...A.publicKey, n2: A.publicKey.n2 - 2n } }, honest.proof)).toBe(false);
    expect(verifySameKeyEquality({ publicKey: small.publicKey, left: enc.ciphertext, right: enc.ciphertext }, { a: 1n, z: 1n })).toBe(false);
  });
});

describe('hardening: verifiers return false on malformed input, never throw', () => {
  const r = seededRandom(24, 'malformed');
  const junk: unknown[] = [undefined, null, 0, 5, '5', [], {}, [1n], -1n, 0n, 1n << 5000n, true];
  /** Every value of `obj` with each field replaced by each junk value. */
  function* variants<T extends object>(obj: T): Generator<[string, T]> {
    for (const k of Object.keys(obj)) {
      for (const j of junk) {
        if (isDeepStrictEqual((obj as Record<string, unknown>)[k], j)) continue; // not a change (e.g. an empty list stays empty)
        yield [`${k} = ${String(j).slice(0, 12)}`, { ...obj, [k]: j } as T];
      }
    }
    yield ['null', null as unknown as T];
    yield ['a number', 7 as unknown as T];
  }
  const expectFalse = (f: () => boolean, name: string) => {
    let v: boolean | undefined;
    expect(() => (v = f()), name).not.toThrow();
    expect(v, name).toBe(false);
  };

  it('range, EL-Enc, EL-AHE, same-key, record, settlement and Π^prm verifiers', () => {
    const range = mkRange(A, 9n, r);
    for (const [name, p] of variants(range.proof)) expectFalse(() => verifyRange(range.st, p), `range proof ${name}`);
    for (const [name, st] of variants(range.st)) expectFalse(() => verifyRange(st, range.proof), `range statement ${name}`);

    const a = encryptDetailed(A.privateKey, 3n, r);
    const b = encryptDetailed(B.publicKey, 3n, r);
    const cst: CrossKeyStatement = { publicKeyA: A.publicKey, ciphertextA: a.ciphertext, publicKeyB: B.publicKey, ciphertextB: b.ciphertext, bits: 64, setup };
    const cp = proveEqualAcrossKeys(cst, { plaintext: 3n, nonceA: a.nonce, nonceB: b.nonce }, { random: r });
    for (const [name, p] of variants(cp)) expectFalse(() => verifyEqualAcrossKeys(cst, p), `EL-Enc proof ${name}`);
    for (const [name, st] of variants(cst)) expectFalse(() => verifyEqualAcrossKeys(st, cp), `EL-Enc statement ${name}`);

    const old = encrypt(A.publicKey, 10n, r);
    const t = encrypt(A.privateKey, 4n, r);
    const nb = encrypt(A.privateKey, 6n, r);
    const bst = { publicKey: A.publicKey, oldBalance: old, transfer: t, newBalance: nb };
    const bp = proveBalanceUpdate(bst, A.privateKey, { random: r });
    for (const [name, p] of variants(bp)) expectFalse(() => verifyBalanceUpdate(bst, p), `EL-AHE proof ${name}`);
    for (const [name, st] of variants(bst)) expectFalse(() => verifyBalanceUpdate(st, bp), `EL-AHE statement ${name}`);
    for (const [name, p] of variants(bp)) expectFalse(() => verifySameKeyEquality({ publicKey: A.publicKey, left: old, right: old }, p), `same-key proof ${name}`);

    const rec = encryptRecordDetailed(A.privateKey, Uint8Array.of(9, 8, 7), { source: r, chunkBytes: 20 });
    const rst: RecordStatement = { publicKey: A.publicKey, chunks: rec.chunks, chunkBytes: 20 };
    const rp = proveRecordChunks(rst, rec, { random: r });
    expect(verifyRecordChunks(rst, rp)).toBe(true);
    for (const [name, p] of variants(rp)) expectFalse(() => verifyRecordChunks(rst, p), `record proof ${name}`);
    for (const [name, st] of variants(rst)) expectFalse(() => verifyRecordChunks(st, rp), `record statement ${name}`);

    const pub: SettlementPublic = { publicKeyA: A.publicKey, publicKeyB: B.publicKey, setup, bits: 64, oldBalanceA: encrypt(A.publicKey, 50n, r) };
    const sett = proveSettlement(pub, A.privateKey, 5n, { random: r });
    const rejected = { valid: false, checks: { '2a': false, '2b': false, '2c': false, '2d': false } };
    expect(verifySettlement(pub, sett.transfer, sett.proof).valid).toBe(true);
    for (const [name, p] of variants(sett.proof)) expectFalse(() => verifySettlement(pub, sett.transfer, p).valid, `settlement proof ${name}`);
    for (const [name, tr] of variants(sett.transfer)) expectFalse(() => verifySettlement(pub, tr, sett.proof).valid, `settlement transfer ${name}`);
    for (const [name, pb] of variants(pub)) expectFalse(() => verifySettlement(pb, sett.transfer, sett.proof).valid, `settlement public ${name}`);
    expect(verifySettlement(null as never, sett.transfer, sett.proof)).toEqual(rejected);

    const prm = proveRingPedersen(SHORT, seededRandom(2, 'prm'), 4);
    for (const [name, p] of variants(prm)) expectFalse(() => verifyRingPedersen(SHORT.params, p, 4, 512), `Π^prm proof ${name}`);
    for (const [name, params] of variants(SHORT.params)) expectFalse(() => verifyRingPedersen(params, prm, 4, 512), `Π^prm params ${name}`);
  });
});

/** An honest range proof of m under key `kp` (ℓ = 64). */
function mkRange(kp: PaillierKeyPair, m: bigint, r: RandomSource) {
  const enc = encryptDetailed(kp.privateKey, m, r);
  const st: RangeStatement = { publicKey: kp.publicKey, ciphertext: enc.ciphertext, bits: 64, setup };
  return { st, proof: proveRange(st, { plaintext: m, nonce: enc.nonce }, { random: r, privateKey: kp.privateKey }) };
}

/** The Jacobi symbol (x / pq) from Euler's criterion modulo each prime (a cross-check of jacobi()). */
function jacobiByEuler(x: bigint, p: bigint, q: bigint): number {
  const leg = (pr: bigint) => {
    const e = modPow(x % pr, (pr - 1n) / 2n, pr);
    return e === 1n ? 1 : e === 0n ? 0 : -1;
  };
  return leg(p) * leg(q);
}

/** The smallest prime above n (odd n of a few hundred bits: a short search). */
function largePrimeNear(n: bigint): bigint {
  let c = n | 1n;
  for (;;) {
    c += 2n;
    if (checkPrimeSync(c)) return c;
  }
}
