import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../protocols/crypto/encoding.ts';
import { doubleSha256 } from '../../protocols/crypto/hash.ts';
import { MerkleError, computeMerkleRoot, merkleProof, merkleRoot, verifyMerkleProof } from '../../protocols/crypto/merkle.ts';
import type { MerkleProof } from '../../protocols/crypto/merkle.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';

/** Explorer hex (byte-reversed) → internal byte order, and back. */
const fromDisplay = (h: string) => hexToBytes(h).reverse();
const toDisplay = (b: Uint8Array) => bytesToHex(b.slice().reverse());

function leavesOf(n: number, label = 'leaves'): Uint8Array[] {
  const rnd = seededRandom(1, `${label}/${n}`);
  return Array.from({ length: n }, () => rnd(32));
}

describe('merkle root: Bitcoin block vectors', () => {
  it('genesis block (1 tx): root = coinbase txid', () => {
    const txid = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
    expect(toDisplay(merkleRoot([fromDisplay(txid)]))).toBe(txid);
  });
  it('block 170 (2 txs: coinbase + first person-to-person payment)', () => {
    const txids = [
      'b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082',
      'f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16',
    ];
    expect(toDisplay(merkleRoot(txids.map(fromDisplay)))).toBe('7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff');
  });
  it('block 100000 (4 txs)', () => {
    const txids = [
      '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
      'fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4',
      '6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4',
      'e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d',
    ];
    expect(toDisplay(merkleRoot(txids.map(fromDisplay)))).toBe('f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766');
  });
});

describe('merkle root: construction', () => {
  it('odd levels duplicate the last node; empty list gives zero root', () => {
    const [a, b, c] = leavesOf(3);
    const h = (l: Uint8Array, r: Uint8Array) => doubleSha256(new Uint8Array([...l, ...r]));
    expect(merkleRoot([a, b, c])).toEqual(h(h(a, b), h(c, c)));
    expect(merkleRoot([])).toEqual(new Uint8Array(32));
  });
  it('CVE-2012-2459: duplicated tail gives the same root and is flagged / rejected', () => {
    for (const n of [3, 5, 6, 7, 9, 11]) {
      const leaves = leavesOf(n, 'cve');
      const honest = computeMerkleRoot(leaves);
      expect(honest.mutated).toBe(false);
      // Duplicating the last leaf (odd n) or the last odd-level block reproduces the root.
      const mutatedList = n % 2 === 1 ? [...leaves, leaves[n - 1]] : [...leaves, ...leaves.slice(n - 2)];
      const mutated = computeMerkleRoot(mutatedList);
      expect(mutated.root).toEqual(honest.root);
      expect(mutated.mutated).toBe(true);
      expect(() => merkleRoot(mutatedList)).toThrow(MerkleError);
      try {
        merkleRoot(mutatedList);
      } catch (e) {
        expect((e as MerkleError).code).toBe('mutated');
      }
      expect(() => merkleProof(mutatedList, 0)).toThrow(MerkleError);
    }
  });
  it('rejects leaves that are not 32-byte hashes', () => {
    expect(() => merkleRoot([new Uint8Array(31)])).toThrow(MerkleError);
    expect(() => merkleProof([], 0)).toThrow(MerkleError);
    expect(() => merkleProof(leavesOf(3), 3)).toThrow(MerkleError);
  });
});

describe('merkle proofs', () => {
  it('every index of every size 1..33 proves, and only its own leaf and position', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = leavesOf(n);
      const root = merkleRoot(leaves);
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(leaves, i);
        expect(proof.leafCount).toBe(n);
        expect(verifyMerkleProof(leaves[i], proof, root)).toBe(true);
        // Wrong leaf and wrong position are refused.
        const other = n > 1 ? leaves[(i + 1) % n] : new Uint8Array(32).fill(7);
        expect(verifyMerkleProof(other, proof, root)).toBe(false);
        if (n > 1) expect(verifyMerkleProof(leaves[i], { ...proof, index: (i + 1) % n }, root)).toBe(false);
      }
    }
  });
  it('tampered proofs are rejected', () => {
    const leaves = leavesOf(13);
    const root = merkleRoot(leaves);
    const proof = merkleProof(leaves, 6);
    expect(verifyMerkleProof(leaves[6], proof, root)).toBe(true);
    for (let s = 0; s < proof.siblings.length; s++) {
      for (const bit of [0, 7, 255]) {
        const siblings = proof.siblings.map((x) => x.slice());
        siblings[s][bit >> 3] ^= 1 << (bit & 7);
        expect(verifyMerkleProof(leaves[6], { ...proof, siblings }, root)).toBe(false);
      }
    }
    const badRoot = root.slice();
    badRoot[0] ^= 1;
    expect(verifyMerkleProof(leaves[6], proof, badRoot)).toBe(false);
    // Structural tampering: dropped, extra, reordered or malformed siblings; bad counts.
    expect(verifyMerkleProof(leaves[6], { ...proof, siblings: proof.siblings.slice(1) }, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6], { ...proof, siblings: [...proof.siblings, root] }, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6], { ...proof, siblings: proof.siblings.slice().reverse() }, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6], { ...proof, siblings: [new Uint8Array(31), ...proof.siblings.slice(1)] }, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6], { ...proof, leafCount: 0 }, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6], { ...proof, leafCount: 6 }, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6], { ...proof, index: -1 }, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6], { ...proof, index: 1.5 }, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6], null as unknown as MerkleProof, root)).toBe(false);
    expect(verifyMerkleProof(leaves[6].subarray(1), proof, root)).toBe(false);
  });
  it('a proof cannot place a leaf at a duplicated position (CVE-2012-2459)', () => {
    const [a, b, c] = leavesOf(3, 'dup');
    const root = merkleRoot([a, b, c]);
    // [a, b, c, c] has the same root; "c at index 3 of 4" and "c at index 2 of 4" must fail.
    const forged3: MerkleProof = { index: 3, leafCount: 4, siblings: [c, doubleSha256(new Uint8Array([...a, ...b]))] };
    const forged2: MerkleProof = { index: 2, leafCount: 4, siblings: [c, doubleSha256(new Uint8Array([...a, ...b]))] };
    expect(verifyMerkleProof(c, forged3, root)).toBe(false);
    expect(verifyMerkleProof(c, forged2, root)).toBe(false);
    // The genuine proof works.
    expect(verifyMerkleProof(c, merkleProof([a, b, c], 2), root)).toBe(true);
  });
});
