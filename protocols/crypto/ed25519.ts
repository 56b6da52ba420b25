/**
 * Ed25519 signatures, RFC 8032 §5.1 (PureEdDSA over edwards25519, SHA-512, no context).
 *
 * Two backends with one verification policy:
 *   - native (default): OpenSSL through `node:crypto` — about 10× faster than pure JavaScript;
 *   - noble: `@noble/curves` (`nobleSign`, `nobleVerify`, `noblePublicKeyFromSecret`), exported
 *     so tests can cross-check the backends on every run.
 *
 * Keys are raw bytes as in RFC 8032: a 32-byte secret key (the seed `k` of §5.1.5 step 1) and
 * the 32-byte encoding of A = [s]B (§5.1.5 step 4). Signatures are R ‖ S, 64 bytes (§5.1.6).
 * Signing is deterministic (the nonce r = SHA-512(prefix ‖ M) of §5.1.6 step 2), so the only
 * randomness is the secret key itself, drawn from a `RandomSource` (seeded inside simulations).
 *
 * Verification policy (both backends; §5.1.7 plus the usual hardening). `verify` returns
 * `false` — never throws — when:
 *   1. a length is wrong (signature 64, public key 32 bytes) or an argument is not bytes;
 *   2. S ≥ L, the group order (§5.1.7 step 1: "including S being out of range"; this also
 *      removes the classic S ↦ S + L malleability);
 *   3. A or R is a non-canonical encoding: y ≥ p (§5.1.3 decoding step 1);
 *   4. A or R is a point of small order (one of the eight 8-torsion points, including the
 *      "x = 0 with the sign bit set" non-canonical encodings of §5.1.3 step 4). RFC 8032 does
 *      not demand this; libsodium does it too. It prevents a key that validates any signature
 *      and keeps the outcome independent of cofactored vs cofactorless checks for such points;
 *   5. the group equation fails. Native (OpenSSL) checks the cofactorless [S]B = R + [k]A',
 *      noble the cofactored [8][S]B = [8]R + [8][k]A'; §5.1.7 step 3 allows either. They can only
 *      disagree on points of mixed order (a non-zero torsion component that is not itself small
 *      order) — never on signatures produced by an honest signer.
 *
 * Native key handling: `node:crypto` needs `KeyObject`s. A secret key is imported as a JWK
 * (measured about 10× faster than PKCS#8 DER import on Node 20 / OpenSSL 3.0) and cached in a `WeakMap` keyed by the caller's `Uint8Array` (the entry holds a
 * copy of the bytes and is ignored if the array was modified since). Public keys are imported as
 * JWKs and cached in a bounded LRU map (`PUBLIC_KEY_CACHE_SIZE` entries) keyed by their bytes.
 * The caches are invisible in results: they only skip re-imports.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { assertBytes, fromBuffer, toBuffer } from './encoding.ts';
import { osRandom } from './random.ts';
import type { RandomSource } from './random.ts';

export const ED25519_SECRET_KEY_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
/** Public-key `KeyObject`s kept for the native backend. */
export const PUBLIC_KEY_CACHE_SIZE = 4096;

export interface Ed25519KeyPair {
  /** 32-byte RFC 8032 secret key (seed). */
  readonly secretKey: Uint8Array;
  /** 32-byte encoded public key A. */
  readonly publicKey: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Encoding checks (policy items 2-4)
// ---------------------------------------------------------------------------------------------

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032 §5.1). */
const L_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/** S (bytes 32..63 of the signature, little-endian) < L. */
function isCanonicalScalar(sig: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = sig[32 + i];
    if (s !== L_LE[i]) return s < L_LE[i];
  }
  return false; // S = L
}

/** y < p = 2^255 − 19 for a 32-byte point encoding (the sign bit, bit 255, is ignored). */
function isCanonicalY(enc: Uint8Array, off: number): boolean {
  if ((enc[off + 31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (enc[off + i] !== 0xff) return true;
  return enc[off] < 0xed;
}

/**
 * The y-coordinates (sign bit cleared) of the eight small-order points of edwards25519:
 * y = 0 (x = ±√−1, order 4), y = 1 (identity), y = −1 (order 2) and two order-8 values. Any
 * encoding with one of these y's is small-order or a non-canonical "x = 0, sign 1" encoding.
 * Computed with @noble/curves as the multiples of an order-8 point; re-checked in the tests.
 */
export const SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));

function hasSmallOrderY(enc: Uint8Array, off: number): boolean {
  outer: for (const y of SMALL_ORDER_Y) {
    for (let i = 0; i < 31; i++) if (enc[off + i] !== y[i]) continue outer;
    if ((enc[off + 31] & 0x7f) === y[31]) return true;
  }
  return false;
}

/** Policy items 1-4; the group equation (item 5) is the backend's job. */
function passesEncodingPolicy(sig: unknown, msg: unknown, pub: unknown): sig is Uint8Array {
  if (!(sig instanceof Uint8Array) || sig.length !== ED25519_SIGNATURE_BYTES) return false;
  if (!(msg instanceof Uint8Array)) return false;
  if (!(pub instanceof Uint8Array) || pub.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  if (!isCanonicalScalar(sig)) return false;
  if (!isCanonicalY(pub, 0) || !isCanonicalY(sig, 0)) return false;
  if (hasSmallOrderY(pub, 0) || hasSmallOrderY(sig, 0)) return false;
  return true;
}

/**
 * Whether `publicKey` is acceptable to `verify`: 32 bytes, canonical, a valid curve point and not
 * of small order. (Use it to validate keys when they are registered, not before every verify.)
 */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  if (!isCanonicalY(publicKey, 0) || hasSmallOrderY(publicKey, 0)) return false;
  try {
    ed25519.Point.fromBytes(publicKey, false); // strict (RFC 8032 §5.1.3) decoding: on the curve
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Native KeyObject handling
// ---------------------------------------------------------------------------------------------

const secretKeyObjects = new WeakMap<Uint8Array, { bytes: Uint8Array; key: KeyObject }>();
const publicKeyObjects = new Map<string, KeyObject>();
/** JWK import needs an `x`; Node derives the public key from `d` and ignores it (checked below). */
const PLACEHOLDER_X = Buffer.alloc(32).toString('base64url');

function importSecretKey(secretKey: Uint8Array): KeyObject {
  const d = toBuffer(secretKey).toString('base64url');
  try {
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x: PLACEHOLDER_X }, format: 'jwk' });
    // Guard against a runtime that would trust the placeholder instead of deriving A from d
    // (the all-zero encoding is small-order, never [s]B); such a runtime uses the DER path.
    if (createPublicKey(key).export({ format: 'jwk' }).x !== PLACEHOLDER_X) return key;
  } catch {
    // A runtime that checks x against d: fall through to the DER path.
  }
  // PKCS#8 OneAsymmetricKey with the raw 32-byte seed as CurvePrivateKey (RFC 8410 §7).
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), toBuffer(secretKey)]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function secretKeyObject(secretKey: Uint8Array): KeyObject {
  const hit = secretKeyObjects.get(secretKey);
  if (hit !== undefined && Buffer.compare(toBuffer(hit.bytes), toBuffer(secretKey)) === 0) return hit.key;
  const key = importSecretKey(secretKey);
  secretKeyObjects.set(secretKey, { bytes: secretKey.slice(), key });
  return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const x = toBuffer(publicKey).toString('base64url');
  let key = publicKeyObjects.get(x);
  if (key !== undefined) {
    publicKeyObjects.delete(x); // LRU: move to the most recent end
    publicKeyObjects.set(x, key);
    return key;
  }
  key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  if (publicKeyObjects.size >= PUBLIC_KEY_CACHE_SIZE) {
    const oldest = publicKeyObjects.keys().next().value;
    if (oldest !== undefined) publicKeyObjects.delete(oldest);
  }
  publicKeyObjects.set(x, key);
  return key;
}

function assertSecretKey(secretKey: Uint8Array): void {
  assertBytes(secretKey, 'secretKey', ED25519_SECRET_KEY_BYTES);
}

// ---------------------------------------------------------------------------------------------
// Public API (native backend)
// ---------------------------------------------------------------------------------------------

/** A new key pair; the secret key is 32 bytes from `random` (RFC 8032 §5.1.5 step 1). */
export function generateKeyPair(random: RandomSource = osRandom): Ed25519KeyPair {
  const secretKey = random(ED25519_SECRET_KEY_BYTES);
  assertSecretKey(secretKey);
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) };
}

/**
 * The public key A of a secret key (RFC 8032 §5.1.5 steps 2-4: h = SHA-512(k), clamp the low
 * half to s, A = [s]B, encode).
 */
export function publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  const x = createPublicKey(secretKeyObject(secretKey)).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('publicKeyFromSecret: runtime returned no public key');
  return new Uint8Array(Buffer.from(x, 'base64url')); // copy: small Buffers share a pool
}

/** Signs `message` (RFC 8032 §5.1.6); returns R ‖ S (64 bytes). Deterministic. */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertBytes(message, 'message');
  assertSecretKey(secretKey);
  return fromBuffer(nodeSign(null, toBuffer(message), secretKeyObject(secretKey)));
}

/** Verifies `signature` on `message` under `publicKey` (RFC 8032 §5.1.7 + the policy above). */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!passesEncodingPolicy(signature, message, publicKey)) return false;
  try {
    return nodeVerify(null, toBuffer(message), publicKeyObject(publicKey), toBuffer(signature));
  } catch {
    return false; // e.g. a public key that is not a curve point
  }
}

// ---------------------------------------------------------------------------------------------
// noble backend (pure JavaScript), for cross-checks
// ---------------------------------------------------------------------------------------------

/** `publicKeyFromSecret` computed by @noble/curves. */
export function noblePublicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  return ed25519.getPublicKey(secretKey);
}

/** `sign` computed by @noble/curves; byte-identical to the native result. */
export function nobleSign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertBytes(message, 'message');
  assertSecretKey(secretKey);
  return ed25519.sign(message, secretKey);
}

/** `verify` computed by @noble/curves in strict RFC 8032 mode (`zip215: false`), same policy. */
export function nobleVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!passesEncodingPolicy(signature, message, publicKey)) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
