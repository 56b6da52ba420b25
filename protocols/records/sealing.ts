/**
 * The four symmetric/hybrid operations the record flows use, in one place:
 *
 * - `aeadSeal` / `aeadOpen`: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2; Poly1305 per
 *   RFC 8439) with a 24-byte random nonce; wire form nonce ‖ ciphertext ‖ tag.
 * - `wrapKey` / `unwrapKey`: E_pk(k) for an Ed25519 recipient key. The recipient's X25519 key is
 *   the Montgomery form of its Ed25519 key (RFC 7748 §4.1 birational map; the secret scalar is the
 *   clamped SHA-512 of the Ed25519 seed, RFC 8032 §5.1.5). ECIES-style: ephemeral X25519 key
 *   (RFC 7748 §6.1), shared secret → HKDF-SHA-256 (RFC 5869) with salt = eph ‖ recipient, then
 *   XChaCha20-Poly1305 under the derived key with the caller's AAD (e.g. the record URI).
 *   Wire form: eph[32] ‖ nonce[24] ‖ ct[32] ‖ tag[16] = 104 bytes for a 32-byte key.
 *
 * PROVISIONAL: written on @noble primitives while `protocols/crypto/hybrid.ts` is being finished;
 * to be replaced by re-exports of it (same semantics) — see docs/records.md.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '../crypto/encoding.ts';
import type { RandomSource } from '../crypto/random.ts';

const NONCE = 24;
const TAG = 16;
const HKDF_INFO = utf8ToBytes('medchain-sim/healthchain/key-wrap/v1');

/** XChaCha20-Poly1305 encryption of `plaintext` under `key`, binding `aad`. */
export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, random: RandomSource): Uint8Array {
  const nonce = random(NONCE);
  return concatBytes(nonce, xchacha20poly1305(key, nonce, aad).encrypt(plaintext));
}

/** Decryption; undefined if the input is short or authentication fails. */
export function aeadOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  if (sealed.length < NONCE + TAG) return undefined;
  try {
    return xchacha20poly1305(key, sealed.subarray(0, NONCE), aad).decrypt(sealed.subarray(NONCE));
  } catch {
    return undefined;
  }
}

/** Wraps `key` for the holder of Ed25519 public key `recipientEdPub`, binding `aad`. */
export function wrapKey(recipientEdPub: Uint8Array, key: Uint8Array, aad: Uint8Array, random: RandomSource): Uint8Array {
  const recipient = ed25519.utils.toMontgomery(recipientEdPub);
  const ephSecret = random(32);
  const eph = x25519.getPublicKey(ephSecret);
  const shared = x25519.getSharedSecret(ephSecret, recipient);
  const kek = hkdf(sha256, shared, concatBytes(eph, recipient), HKDF_INFO, 32);
  return concatBytes(eph, aeadSeal(kek, key, aad, random));
}

/** Unwraps with the recipient's Ed25519 secret key (seed); undefined on any failure. */
export function unwrapKey(recipientEdSecret: Uint8Array, wrapped: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  if (wrapped.length < 32 + NONCE + TAG) return undefined;
  try {
    const secret = ed25519.utils.toMontgomerySecret(recipientEdSecret);
    const recipient = x25519.getPublicKey(secret);
    const eph = wrapped.subarray(0, 32);
    const shared = x25519.getSharedSecret(secret, eph);
    const kek = hkdf(sha256, shared, concatBytes(eph, recipient), HKDF_INFO, 32);
    return aeadOpen(kek, wrapped.subarray(32), aad);
  } catch {
    return undefined;
  }
}
