/**
 * Bitcoin-style Merkle trees: roots, inclusion proofs and their verification.
 *
 * Construction (Bitcoin whitepaper §7; Bitcoin Core `consensus/merkle.cpp`, `ComputeMerkleRoot`):
 *   1. The leaves are 32-byte hashes (for Bitcoin: txids in internal byte order, i.e. the reverse
 *      of the hex shown by block explorers).
 *   2. While a level has more than one node: if its length is odd, the last node is paired with
 *      itself ("duplicated"); each pair (L, R) becomes SHA256d(L ‖ R).
 *   3. The single remaining node is the root. A one-leaf tree's root is the leaf itself; an empty
 *      list has the all-zero root (Core returns `uint256()`; real Bitcoin blocks always hold a
 *      coinbase, but a fee-only chain may mine empty blocks).
 *
 * CVE-2012-2459 (duplication ambiguity). Because odd levels duplicate their last node, distinct
 * leaf lists can share a root: [a, b, c] and [a, b, c, c] both give
 * H(H(a‖b) ‖ H(c‖c)). An attacker could relay the mutated list, get the block marked invalid
 * (duplicate transaction) and have honest nodes reject the genuine block with the same header.
 *
 * Defence chosen here: Bitcoin Core's own — *reject mutated lists*. A list is "mutated" when, at
 * any level, a real pair (positions 2k, 2k+1 before any duplication) consists of two equal
 * hashes. Every ambiguous list contains such a pair, and lists of distinct txids never do (for a
 * pair of equal inner nodes to occur without equal leaves would need a SHA256d collision).
 * `merkleRoot` and `merkleProof` throw `MerkleError('mutated')`, `computeMerkleRoot` reports
 * the flag like Core, and `verifyMerkleProof` refuses a proof in which a path node equals its
 * (real) sibling, so a proof can never place a leaf at a duplicated position.
 *
 * We did not choose domain-separated hashing (e.g. RFC 6962's 0x00 leaf / 0x01 node prefixes)
 * because it would change every root and lose byte-for-byte agreement with real Bitcoin blocks,
 * which the tests use as vectors. Two caveats remain and are the caller's to respect:
 *   - Bitcoin trees also do not separate leaves from inner nodes: an inner node is SHA256d of
 *     64 bytes, so a *64-byte transaction* could pass as an inner node (the "64-byte transaction"
 *     weakness). Transaction encodings hashed into leaves must never be exactly 64 bytes long,
 *     or leaves must be hashed with a domain tag before they reach this module.
 *   - A proof carries `leafCount`, which the root does not authenticate (as in Bitcoin SPV):
 *     [a, b, c] and [a, b, c, c] have the same root, so a proof of `a` at index 0 verifies with
 *     either count. The leaf's *index* is authenticated; compare `leafCount` with a trusted count
 *     (e.g. one committed in the block header) when it matters.
 */
import { concatBytes, equalBytes } from './encoding.ts';
import { doubleSha256 } from './hash.ts';

/** Bytes in a leaf and in every node. */
export const MERKLE_NODE_BYTES = 32;

/** An inclusion proof: the sibling hashes on the path from leaf `index` to the root. */
export interface MerkleProof {
  /** Position of the leaf in the list, 0-based. */
  readonly index: number;
  /** Number of leaves in the tree (decides where nodes were duplicated). */
  readonly leafCount: number;
  /**
   * Sibling hashes bottom-up. Levels where the path node was the duplicated last node of an odd
   * level contribute no entry: the verifier pairs the node with itself there.
   */
  readonly siblings: readonly Uint8Array[];
}

export type MerkleErrorCode = 'bad-leaf' | 'mutated' | 'empty' | 'index-out-of-range';

/** Raised for inputs that have no well-defined root or proof. */
export class MerkleError extends Error {
  override readonly name = 'MerkleError';
  constructor(
    readonly code: MerkleErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Inner node: SHA256d(left ‖ right) (Core's `Hash(left, right)`). */
function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  return doubleSha256(concatBytes(left, right));
}

function checkLeaves(leaves: readonly Uint8Array[]): void {
  if (!Array.isArray(leaves)) throw new TypeError('leaves must be an array of 32-byte hashes');
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (!(leaf instanceof Uint8Array) || leaf.length !== MERKLE_NODE_BYTES) {
      throw new MerkleError('bad-leaf', `leaf ${i} is not a 32-byte hash`);
    }
  }
}

/**
 * Builds every level of the tree, leaves first, root last, and reports whether any level held
 * a real pair of equal nodes (Core's `mutated` flag).
 */
function buildLevels(leaves: readonly Uint8Array[]): { levels: Uint8Array[][]; mutated: boolean } {
  const levels: Uint8Array[][] = [leaves.slice()];
  let mutated = false;
  let level = levels[0];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 < level.length) {
        // Step 2, real pair: CVE-2012-2459 check before hashing.
        if (equalBytes(level[i], level[i + 1])) mutated = true;
        next.push(hashPair(level[i], level[i + 1]));
      } else {
        // Step 2, odd level: the last node is paired with itself.
        next.push(hashPair(level[i], level[i]));
      }
    }
    levels.push(next);
    level = next;
  }
  return { levels, mutated };
}

/**
 * Bitcoin Core–compatible root computation: the root plus the `mutated` flag (true when the
 * list is ambiguous in the CVE-2012-2459 sense). Accepts mutated lists; most callers want
 * `merkleRoot`, which refuses them.
 */
export function computeMerkleRoot(leaves: readonly Uint8Array[]): { root: Uint8Array; mutated: boolean } {
  checkLeaves(leaves);
  if (leaves.length === 0) return { root: new Uint8Array(MERKLE_NODE_BYTES), mutated: false };
  const { levels, mutated } = buildLevels(leaves);
  return { root: levels[levels.length - 1][0].slice(), mutated };
}

/**
 * The Merkle root of `leaves` (32-byte hashes). Throws `MerkleError('mutated')` when two equal
 * hashes form a real pair at some level (duplicate transactions; CVE-2012-2459), so distinct
 * accepted lists never share a root. The empty list gives 32 zero bytes.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const { root, mutated } = computeMerkleRoot(leaves);
  if (mutated) throw new MerkleError('mutated', 'leaf list is ambiguous (CVE-2012-2459): equal hashes form a pair');
  return root;
}

/** The inclusion proof of leaf `index` in `leaves`. Throws on empty, mutated or bad input. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): MerkleProof {
  checkLeaves(leaves);
  if (leaves.length === 0) throw new MerkleError('empty', 'no proof exists in an empty tree');
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
    throw new MerkleError('index-out-of-range', `index ${index} not in [0, ${leaves.length})`);
  }
  const { levels, mutated } = buildLevels(leaves);
  if (mutated) throw new MerkleError('mutated', 'leaf list is ambiguous (CVE-2012-2459): equal hashes form a pair');
  const siblings: Uint8Array[] = [];
  let i = index;
  for (let d = 0; d < levels.length - 1; d++) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    // The duplicated last node of an odd level has no separate sibling: nothing to record.
    if (sibling < levels[d].length) siblings.push(levels[d][sibling].slice());
    i = Math.floor(i / 2);
  }
  return { index, leafCount: leaves.length, siblings };
}

/**
 * Checks that `leaf` sits at `proof.index` of a `proof.leafCount`-leaf tree with root `root`.
 * Returns `false` (never throws) for malformed proofs, wrong lengths, a path node equal to its
 * real sibling (a duplicated position, CVE-2012-2459) or a root mismatch.
 */
export function verifyMerkleProof(leaf: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  try {
    if (!(leaf instanceof Uint8Array) || leaf.length !== MERKLE_NODE_BYTES) return false;
    if (!(root instanceof Uint8Array) || root.length !== MERKLE_NODE_BYTES) return false;
    if (proof === null || typeof proof !== 'object' || !Array.isArray(proof.siblings)) return false;
    const { index, leafCount, siblings } = proof;
    if (!Number.isSafeInteger(leafCount) || leafCount < 1) return false;
    if (!Number.isSafeInteger(index) || index < 0 || index >= leafCount) return false;
    let node = leaf;
    let i = index;
    let width = leafCount;
    let used = 0;
    while (width > 1) {
      const isLeft = i % 2 === 0;
      if (isLeft && i + 1 === width) {
        // Odd level and we are its last node: paired with itself (construction step 2).
        node = hashPair(node, node);
      } else {
        const sibling = siblings[used++];
        if (!(sibling instanceof Uint8Array) || sibling.length !== MERKLE_NODE_BYTES) return false;
        // A real pair of equal nodes exists only in a mutated tree: refuse (CVE-2012-2459).
        if (equalBytes(sibling, node)) return false;
        node = isLeft ? hashPair(node, sibling) : hashPair(sibling, node);
      }
      i = Math.floor(i / 2);
      width = Math.ceil(width / 2);
    }
    if (used !== siblings.length) return false;
    return equalBytes(node, root);
  } catch {
    return false;
  }
}
