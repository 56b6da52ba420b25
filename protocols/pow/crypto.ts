/**
 * The crypto the PoW chain uses, behind one small adapter: double SHA-256 (Bitcoin whitepaper §4),
 * Merkle roots and proofs, and Ed25519 verification (RFC 8032) with a verification cache.
 *
 * Verification cache: the outcome of verifying the same (public key, message, signature) bytes
 * is the same on every simulated node, so the run shares one cache keyed by the exact bytes
 * verified. Each distinct signature is really verified once; nothing is ever skipped — a forged
 * or altered signature has different bytes, misses the cache and fails the real check.
 */
import { createHash } from 'node:crypto';
import { doubleSha256 as dsha, sha256 as sha } from '../crypto/hash.ts';
import { merkleRoot as root, merkleProof as proof, verifyMerkleProof as verifyProof } from '../crypto/merkle.ts';
import { verify as edVerify } from '../crypto/ed25519.ts';

export const sha256 = sha;
export const doubleSha256 = dsha;
export const merkleRoot = root;
export const merkleProof = proof;
export const verifyMerkleProof = verifyProof;

/** Lower-case hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Shared cache of Ed25519 verification outcomes, keyed by SHA-256(pk ‖ sig ‖ msg). */
export class VerifyCache {
  private readonly results = new Map<string, boolean>();
  /** Real verifications performed (cache misses). */
  verified = 0;
  /** Verifications answered from the cache. */
  hits = 0;

  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    // The key is a digest of all three byte strings, length-prefixed so fields cannot shift.
    const h = createHash('sha256');
    const len = Buffer.alloc(8);
    len.writeUInt32BE(publicKey.length, 0);
    len.writeUInt32BE(signature.length, 4);
    h.update(len).update(publicKey).update(signature).update(message);
    const key = h.digest('base64');
    const cached = this.results.get(key);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    this.verified++;
    let ok: boolean;
    try {
      ok = edVerify(signature, message, publicKey);
    } catch {
      ok = false;
    }
    this.results.set(key, ok);
    return ok;
  }
}
