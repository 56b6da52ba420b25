/**
 * Hybrid encryption for off-chain medical records (HealthChain's `E_pk(k)` and `E_k(M)`):
 *   - key wrapping: X25519 ECDH (RFC 7748 §6.1) with an ephemeral sender key, HKDF-SHA-256
 *     (RFC 5869) to derive a key-encryption key and nonce, XChaCha20-Poly1305 to seal the
 *     32-byte content key. The shape follows HPKE's DHKEM + KDF + AEAD (RFC 9180), simplified:
 *     one fixed suite, one message per ephemeral key;
 *   - payload encryption: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03: HChaCha20 subkey +
 *     ChaCha20-Poly1305 of RFC 8439 §2.8) under the content key, with a random 24-byte nonce and
 *     the record URI as associated data, so a ciphertext moved to another URI fails to decrypt.
 *
 * Wrapping (`wrapKey`), step by step:
 *   1. e ← random(32); E = X25519(e, 9)                               (RFC 7748 §6.1)
 *   2. Z = X25519(e, pk_R); the all-zero Z of a low-order pk_R is refused (RFC 7748 §6.1 check)
 *   3. okm = HKDF-SHA-256(IKM = Z, salt = "medchain-sim/hybrid/v1/wrap",
 *                         info = E ‖ pk_R ‖ context, L = 56)            (RFC 5869 §2.2-2.3)
 *      kek = okm[0..32), nonce = okm[32..56). Binding E and pk_R in info ties the wrap to this
 *      exact recipient key and ephemeral encoding (X25519 ignores the top bit of a u-coordinate,
 *      so without this a flipped bit 255 of E would still unwrap); `context` binds the use,
 *      e.g. the record URI and the grant.
 *   4. wrapped = header ‖ E ‖ XChaCha20-Poly1305(kek, nonce, aad = header).seal(contentKey)
 *   A fresh e per wrap means each kek encrypts exactly one message, so a derived nonce is safe.
 *
 * Wire formats (all lengths in bytes; version 1):
 *   wrapped key  = 0x01 ‖ 0x01 ‖ E (32) ‖ ciphertext (32) ‖ tag (16)           = 82 bytes
 *   sealed record = 0x01 ‖ 0x02 ‖ nonce (24) ‖ ciphertext (|M|) ‖ tag (16)      = |M| + 42 bytes
 * The two header bytes (version, kind) are authenticated as associated data.
 *
 * X25519 runs on OpenSSL through `node:crypto` (about 10× faster than @noble/curves here; the
 * tests cross-check both on random and malformed inputs, RFC 7748 masking of bit 255 included);
 * HKDF and XChaCha20-Poly1305 come from @noble/hashes and @noble/ciphers.
 *
 * Failures to decrypt — wrong key, wrong recipient, wrong URI or context, any modified byte,
 * truncation, unknown version — throw `DecryptionError`; no plaintext is ever returned unless
 * the Poly1305 tag verified. Programming errors (a content key that is not 32 bytes, …) throw
 * `TypeError`/`RangeError`.
 */
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes, concatBytes, fromBuffer, toBuffer, utf8ToBytes } from './encoding.ts';
import { isValidPublicKey } from './ed25519.ts';
import { osRandom } from './random.ts';
import type { RandomSource } from './random.ts';

export const HYBRID_VERSION = 1;
export const KIND_WRAPPED_KEY = 1;
export const KIND_SEALED_RECORD = 2;
export const X25519_KEY_BYTES = 32;
export const CONTENT_KEY_BYTES = 32;
export const XCHACHA_NONCE_BYTES = 24;
export const POLY1305_TAG_BYTES = 16;
const HEADER_BYTES = 2;
/** Length of a version-1 wrapped key. */
export const WRAPPED_KEY_BYTES = HEADER_BYTES + X25519_KEY_BYTES + CONTENT_KEY_BYTES + POLY1305_TAG_BYTES; // 82
/** Overhead of a version-1 sealed record over its plaintext. */
export const RECORD_OVERHEAD_BYTES = HEADER_BYTES + XCHACHA_NONCE_BYTES + POLY1305_TAG_BYTES; // 42

const WRAP_SALT = utf8ToBytes('medchain-sim/hybrid/v1/wrap');
const RECORD_AAD_PREFIX = utf8ToBytes('medchain-sim/hybrid/v1/record\u0000');

export type DecryptionErrorCode = 'malformed' | 'unsupported-version' | 'wrong-kind' | 'authentication-failed';

/** Any failure to unwrap or decrypt. Never accompanied by partial plaintext. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
  constructor(
    readonly code: DecryptionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface X25519KeyPair {
  /** 32 random bytes; clamped by X25519 itself (RFC 7748 §5 decodeScalar25519). */
  readonly secretKey: Uint8Array;
  /** u-coordinate of [clamp(secretKey)]·9, 32 bytes little-endian. */
  readonly publicKey: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// X25519 on node:crypto (RFC 7748 §5: clamping and bit-255 masking happen inside OpenSSL)
// ---------------------------------------------------------------------------------------------

/** JWK import needs an `x`; Node derives it from `d` (the all-zero u is never a real public key). */
const PLACEHOLDER_U = Buffer.alloc(32).toString('base64url');

function x25519PrivateKeyObject(secretKey: Uint8Array): KeyObject {
  const d = toBuffer(secretKey).toString('base64url');
  try {
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: PLACEHOLDER_U }, format: 'jwk' });
    if (createPublicKey(key).export({ format: 'jwk' }).x !== PLACEHOLDER_U) return key;
  } catch {
    // A runtime that checks x against d: use PKCS#8 DER (RFC 8410 §7) instead.
  }
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), toBuffer(secretKey)]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function publicFromPrivateObject(key: KeyObject): Uint8Array {
  const x = createPublicKey(key).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('x25519: runtime returned no public key');
  return new Uint8Array(Buffer.from(x, 'base64url')); // copy: small Buffers share a pool
}

/** X25519(secretKey, 9): the public u-coordinate (RFC 7748 §6.1). */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', X25519_KEY_BYTES);
  return publicFromPrivateObject(x25519PrivateKeyObject(secretKey));
}

function sharedSecret(privateKey: KeyObject, publicKey: Uint8Array): Uint8Array {
  const x = toBuffer(publicKey).toString('base64url');
  try {
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
    return fromBuffer(diffieHellman({ privateKey, publicKey: pub }));
  } catch {
    // OpenSSL refuses the all-zero output of a low-order u (RFC 7748 §6.1 "check").
    throw new RangeError('x25519: public key is of low order (all-zero shared secret)');
  }
}

/** X25519(secretKey, publicKey) (RFC 7748 §6.1); throws `RangeError` for low-order points. */
export function x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', X25519_KEY_BYTES);
  assertBytes(publicKey, 'publicKey', X25519_KEY_BYTES);
  return sharedSecret(x25519PrivateKeyObject(secretKey), publicKey);
}

/** A recipient key pair for key wrapping (RFC 7748 §6.1). */
export function generateX25519KeyPair(random: RandomSource = osRandom): X25519KeyPair {
  const secretKey = random(X25519_KEY_BYTES);
  assertBytes(secretKey, 'random output', X25519_KEY_BYTES);
  return { secretKey, publicKey: x25519PublicKey(secretKey) };
}

/**
 * The X25519 key pair that belongs to an Ed25519 secret key, for schemes where one key pair both
 * signs and receives wrapped keys (HealthChain's patients): the X25519 secret is the clamped low
 * half of SHA-512(seed) (RFC 8032 §5.1.5 steps 1-2), so its public key is the Montgomery image
 * of the Ed25519 public key A (RFC 7748 §4.1, u = (1 + y) / (1 − y)). libsodium's
 * `crypto_sign_ed25519_sk_to_curve25519` does the same. Thormarker (IACR ePrint 2021/509) argues
 * that reusing an Ed25519 key pair for an X25519-based KEM is secure; separate keys remain the
 * conservative choice.
 */
export function x25519KeyPairFromEd25519(edSecretKey: Uint8Array): X25519KeyPair {
  assertBytes(edSecretKey, 'edSecretKey', 32);
  const secretKey = ed25519.utils.toMontgomerySecret(edSecretKey).slice();
  return { secretKey, publicKey: x25519PublicKey(secretKey) };
}

/**
 * The X25519 public key (u-coordinate) of an Ed25519 public key (RFC 7748 §4.1). Throws
 * `RangeError` unless the key is acceptable to Ed25519 verification (canonical, on the curve,
 * not of small order).
 */
export function x25519PublicFromEd25519(edPublicKey: Uint8Array): Uint8Array {
  if (!isValidPublicKey(edPublicKey)) throw new RangeError('x25519PublicFromEd25519: not a valid Ed25519 public key');
  return ed25519.utils.toMontgomery(edPublicKey);
}

/** A fresh 32-byte content key for `encryptRecord`. */
export function generateContentKey(random: RandomSource = osRandom): Uint8Array {
  const key = random(CONTENT_KEY_BYTES);
  assertBytes(key, 'random output', CONTENT_KEY_BYTES);
  return key;
}

function contextBytes(context: string | Uint8Array): Uint8Array {
  if (typeof context === 'string') return utf8ToBytes(context);
  assertBytes(context, 'context');
  return context;
}

/** Wrapping step 3: (kek, nonce) from the shared secret, bound to E, pk_R and the context. */
function deriveWrapKey(shared: Uint8Array, ephemeralPub: Uint8Array, recipientPub: Uint8Array, context: Uint8Array) {
  const okm = hkdf(sha256, shared, WRAP_SALT, concatBytes(ephemeralPub, recipientPub, context), CONTENT_KEY_BYTES + XCHACHA_NONCE_BYTES);
  return { kek: okm.subarray(0, CONTENT_KEY_BYTES), nonce: okm.subarray(CONTENT_KEY_BYTES) };
}

/**
 * Wraps `contentKey` (32 bytes) for the holder of `recipientPub`. `context` (e.g. the record
 * URI) must be given again to `unwrapKey`. Throws `RangeError` for a low-order recipient key.
 */
export function wrapKey(
  contentKey: Uint8Array,
  recipientPub: Uint8Array,
  random: RandomSource = osRandom,
  context: string | Uint8Array = '',
): Uint8Array {
  assertBytes(contentKey, 'contentKey', CONTENT_KEY_BYTES);
  assertBytes(recipientPub, 'recipientPub', X25519_KEY_BYTES);
  const ctx = contextBytes(context);
  // Step 1: ephemeral key pair.
  const ephemeralSecret = random(X25519_KEY_BYTES);
  assertBytes(ephemeralSecret, 'random output', X25519_KEY_BYTES);
  const ephemeral = x25519PrivateKeyObject(ephemeralSecret);
  const ephemeralPub = publicFromPrivateObject(ephemeral);
  // Step 2: shared secret; the all-zero output of a low-order recipient key throws RangeError.
  const shared = sharedSecret(ephemeral, recipientPub);
  // Steps 3-4.
  const { kek, nonce } = deriveWrapKey(shared, ephemeralPub, recipientPub, ctx);
  const header = new Uint8Array([HYBRID_VERSION, KIND_WRAPPED_KEY]);
  const sealed = xchacha20poly1305(kek, nonce, header).encrypt(contentKey);
  return concatBytes(header, ephemeralPub, sealed);
}

function checkHeader(bytes: Uint8Array, kind: number, minLength: number, what: string): void {
  if (bytes.length < HEADER_BYTES) throw new DecryptionError('malformed', `${what}: too short`);
  if (bytes[0] !== HYBRID_VERSION) throw new DecryptionError('unsupported-version', `${what}: unknown version ${bytes[0]}`);
  if (bytes[1] !== kind) throw new DecryptionError('wrong-kind', `${what}: kind ${bytes[1]} is not ${kind}`);
  if (bytes.length < minLength) throw new DecryptionError('malformed', `${what}: ${bytes.length} bytes, need at least ${minLength}`);
}

/**
 * Recovers the content key from `wrapped` with the recipient's secret key (or key pair, which
 * saves recomputing the public key) and the same `context` as `wrapKey`. Throws
 * `DecryptionError` for anything but an authentic wrap for this recipient and context.
 */
export function unwrapKey(wrapped: Uint8Array, recipient: Uint8Array | X25519KeyPair, context: string | Uint8Array = ''): Uint8Array {
  assertBytes(wrapped, 'wrapped');
  const recipientSecret = recipient instanceof Uint8Array ? recipient : recipient.secretKey;
  assertBytes(recipientSecret, 'recipient secret key', X25519_KEY_BYTES);
  const ctx = contextBytes(context);
  checkHeader(wrapped, KIND_WRAPPED_KEY, WRAPPED_KEY_BYTES, 'wrapped key');
  if (wrapped.length !== WRAPPED_KEY_BYTES) throw new DecryptionError('malformed', `wrapped key: ${wrapped.length} bytes, expected ${WRAPPED_KEY_BYTES}`);
  const header = wrapped.subarray(0, HEADER_BYTES);
  const ephemeralPub = wrapped.subarray(HEADER_BYTES, HEADER_BYTES + X25519_KEY_BYTES);
  const sealed = wrapped.subarray(HEADER_BYTES + X25519_KEY_BYTES);
  const privateKey = x25519PrivateKeyObject(recipientSecret);
  let shared: Uint8Array;
  try {
    shared = sharedSecret(privateKey, ephemeralPub);
  } catch {
    throw new DecryptionError('authentication-failed', 'wrapped key: ephemeral key is of low order');
  }
  // pk_R for the HKDF info; a key pair whose public half does not match simply fails to open.
  const recipientPub = recipient instanceof Uint8Array ? publicFromPrivateObject(privateKey) : recipient.publicKey;
  assertBytes(recipientPub, 'recipient public key', X25519_KEY_BYTES);
  const { kek, nonce } = deriveWrapKey(shared, ephemeralPub, recipientPub, ctx);
  try {
    return xchacha20poly1305(kek, nonce, header).decrypt(sealed);
  } catch {
    throw new DecryptionError('authentication-failed', 'wrapped key: authentication failed (wrong recipient, context or modified bytes)');
  }
}

/** Associated data of a sealed record: domain ‖ header ‖ UTF-8(uri). */
function recordAad(header: Uint8Array, uri: string): Uint8Array {
  if (typeof uri !== 'string') throw new TypeError('uri must be a string');
  return concatBytes(RECORD_AAD_PREFIX, header, utf8ToBytes(uri));
}

/**
 * Encrypts a record under `key` (32 bytes) with XChaCha20-Poly1305, a random 24-byte nonce
 * (192-bit nonces make random choice safe for any realistic number of records per key) and
 * the record URI as associated data.
 */
export function encryptRecord(plaintext: Uint8Array, key: Uint8Array, uri: string, random: RandomSource = osRandom): Uint8Array {
  assertBytes(plaintext, 'plaintext');
  assertBytes(key, 'key', CONTENT_KEY_BYTES);
  const header = new Uint8Array([HYBRID_VERSION, KIND_SEALED_RECORD]);
  const aad = recordAad(header, uri);
  const nonce = random(XCHACHA_NONCE_BYTES);
  assertBytes(nonce, 'random output', XCHACHA_NONCE_BYTES);
  const sealed = xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
  return concatBytes(header, nonce, sealed);
}

/**
 * Decrypts a sealed record; `uri` must equal the one used to encrypt. Throws `DecryptionError`
 * unless the tag verifies — never returns unauthenticated bytes.
 */
export function decryptRecord(sealedRecord: Uint8Array, key: Uint8Array, uri: string): Uint8Array {
  assertBytes(sealedRecord, 'sealedRecord');
  assertBytes(key, 'key', CONTENT_KEY_BYTES);
  checkHeader(sealedRecord, KIND_SEALED_RECORD, RECORD_OVERHEAD_BYTES, 'sealed record');
  const header = sealedRecord.subarray(0, HEADER_BYTES);
  const nonce = sealedRecord.subarray(HEADER_BYTES, HEADER_BYTES + XCHACHA_NONCE_BYTES);
  const sealed = sealedRecord.subarray(HEADER_BYTES + XCHACHA_NONCE_BYTES);
  const aad = recordAad(header, uri);
  try {
    return xchacha20poly1305(key, nonce, aad).decrypt(sealed);
  } catch {
    throw new DecryptionError('authentication-failed', 'sealed record: authentication failed (wrong key, URI or modified bytes)');
  }
}
