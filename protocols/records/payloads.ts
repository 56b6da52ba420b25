/**
 * HealthChain transaction payloads (seed 000 §2.5, Fig. 4; Algorithms 2–4) and the read-only
 * view of the chain that the off-chain record store and the flows need (`AccessLedger`).
 *
 * Two payload types, embedded by the PoW chain (`protocols/pow/`) in its transactions:
 *
 * - data storage  (seed 000: `{Digest; H(M); Sig_issuer(Digest, H(M))}` + off-chain location)
 *     `StoragePayload {digest, hM, location, issuerKey, signature}`
 *     signature = Ed25519_issuer(STORAGE_DST ‖ digest ‖ hM)                      (RFC 8032 §5.1.6)
 *     `location` is NOT signed, exactly as in the seed: it is a non-authoritative locator hint
 *     (often empty: the doctor does not know where the patient will store the record). Nothing
 *     relies on it for integrity: stored objects are content-addressed and the decrypted record
 *     carries Digest|M|H(M)|Sig, which is checked against this payload.
 *
 * - access control (seed 000: `{URI; permission; pk_o; expiration; Sig(URI, permission, pk_o); E_pk_o(k)}`)
 *     `AccessPayload {uri, permissions, granteeKey, expiration, wrappedKey, grantorKey, grantorSignature}`
 *     grantorSignature = Ed25519_grantor(ACCESS_DST ‖ lp(uri) ‖ perms ‖ granteeKey ‖ u64(expiration) ‖ lp(wrappedKey))
 *     The seed signs (URI, permission, pk); we also sign expiration and E_pk(k) so a miner or relay
 *     cannot extend a grant or swap the wrapped key. An EMPTY permission set revokes (then
 *     wrappedKey is empty too).
 *
 * Key decision — one grantee key: `granteeKey` is the grantee's Ed25519 public key (RFC 8032). It
 * authenticates the grantee to the store (Ed25519 challenge signature) AND receives the wrapped
 * record key: the wrap uses the X25519 (RFC 7748) key obtained by the birational map
 * Edwards → Montgomery (u = (1+y)/(1−y)), i.e. noble's `ed25519.utils.toMontgomery`, and the
 * grantee derives the matching X25519 secret with `toMontgomerySecret` (clamped SHA-512 of the
 * seed, as RFC 8032 §5.1.5 / RFC 7748 §5). This mirrors the seed's single `pk_o` and saves 32 bytes
 * per access tx. Reusing one key for EdDSA and X25519 is analysed as safe by Thormarker (2021,
 * "On using the same key pair for Ed25519 and an X25519 based KEM", IACR ePrint 2021/509).
 *
 * Canonical binary encoding (all integers big-endian; `cs(n)` = Bitcoin CompactSize, minimal):
 *   storage: 0x01 ‖ digest[32] ‖ hM[32] ‖ cs(|loc|) ‖ loc(UTF-8) ‖ issuerKey[32] ‖ signature[64]
 *   access:  0x02 ‖ cs(|uri|) ‖ uri ‖ cs(#perms) ‖ (cs(|p|) ‖ p)* ‖ granteeKey[32] ‖ u64(expiration)
 *            ‖ cs(|wk|) ‖ wk ‖ grantorKey[32] ‖ grantorSignature[64]
 * Fixed-size fields are raw; every variable field is length-prefixed. Permissions must be sorted
 * (by UTF-8 bytes), unique and non-empty; decoding rejects non-canonical input and trailing bytes,
 * so equal payloads ⇔ equal bytes (the chain may hash/cache by bytes).
 *
 * This file is the stable contract with `protocols/pow/`; see docs/records.md.
 */
import { publicKeyFromSecret, sign, verify } from '../crypto/ed25519.ts';

/** Length in bytes of an Ed25519 public key, record digest and SHA-256 output. */
export const KEY_BYTES = 32;
export const DIGEST_BYTES = 32;
export const SIGNATURE_BYTES = 64;
/** Payload type tags (first byte of the canonical encoding). */
export const STORAGE_TAG = 0x01;
export const ACCESS_TAG = 0x02;
/** Maximum lengths accepted by the decoder (bounds memory use on hostile input). */
export const MAX_URI_BYTES = 512;
export const MAX_LOCATION_BYTES = 512;
export const MAX_PERMISSIONS = 16;
export const MAX_PERMISSION_BYTES = 32;
export const MAX_WRAPPED_KEY_BYTES = 256;

/** Data-storage payload (seed 000 Alg. 2): published by the issuer (doctor). */
export interface StoragePayload {
  /** 32-byte record identifier ("Digest"), chosen by the issuer. */
  digest: Uint8Array;
  /** SHA-256 of the plaintext record M ("H(M)"). */
  hM: Uint8Array;
  /** Off-chain locator hint; not signed (see header). May be ''. */
  location: string;
  /** Issuer's Ed25519 public key (institutions are public, seed 000 §3.2). */
  issuerKey: Uint8Array;
  /** Ed25519 signature by the issuer over STORAGE_DST ‖ digest ‖ hM. */
  signature: Uint8Array;
}

/** Access-control payload (seed 000 Alg. 4): published by the record owner (patient). */
export interface AccessPayload {
  /** Record URI in the off-chain store (`medrec:<hex sha256 of ciphertext>`). */
  uri: string;
  /** Canonical permission set (sorted, unique), e.g. ['read']; EMPTY = revoke. */
  permissions: string[];
  /** Grantee's Ed25519 public key; its X25519 form receives the wrapped key. */
  granteeKey: Uint8Array;
  /** Expiry in µs of virtual time: the grant is valid while ledger.now() < expiration. */
  expiration: number;
  /** E_pk(k): the record key wrapped for the grantee (empty on revocation). */
  wrappedKey: Uint8Array;
  /** Grantor's (record owner's) Ed25519 public key. */
  grantorKey: Uint8Array;
  /** Ed25519 signature by the grantor over the access signing message. */
  grantorSignature: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// The chain as seen by the store and the flows.

/** The state of one (uri, grantee) pair as decided by the chain. */
export interface AccessGrant {
  uri: string;
  grantee: Uint8Array;
  grantor: Uint8Array;
  /** Empty ⇒ revoked. */
  permissions: string[];
  expiration: number;
  wrappedKey: Uint8Array;
  /** Depth of the block holding the tx: 1 = in the tip block. */
  confirmations: number;
}

/** A storage payload found on the chain, with its depth. */
export interface StorageEntry {
  payload: StoragePayload;
  confirmations: number;
}

/**
 * What the store and third parties read from the chain. Implemented by the PoW node's view of its
 * best chain (`protocols/pow/`) and by `SimpleLedger` (tests). Only VALID transactions on the
 * best chain count (miners ran `verifyStoragePayload` / `verifyAccessPayload` and the ownership
 * rule, seed 000 Alg. 1). Order = chain order (block height, then position in the block).
 *
 * Ownership rule (seed 000 Alg. 1 "resource validity"): the owner of a URI is the grantorKey of
 * the earliest access tx for that URI on the best chain; any later access tx for the URI is
 * valid only if signed by that same key.
 */
export interface AccessLedger {
  /** The ledger's current time (µs virtual time); grants with expiration ≤ now() are expired. */
  now(): number;
  /**
   * The LATEST access tx for (uri, grantee) among those with ≥ minConfirmations confirmations
   * (values < 1 are treated as 1), or undefined if none. A revocation is returned as a grant with
   * empty permissions; callers must check permissions and expiration themselves.
   */
  accessGrant(uri: string, grantee: Uint8Array, minConfirmations: number): AccessGrant | undefined;
  /** The owner key of `uri` (see ownership rule) at ≥ minConfirmations (default 1), or undefined. */
  recordOwner(uri: string, minConfirmations?: number): Uint8Array | undefined;
  /** The earliest valid storage payload with this digest at ≥ minConfirmations (default 1). */
  storageRecord(digest: Uint8Array, minConfirmations?: number): StorageEntry | undefined;
}

// ---------------------------------------------------------------------------------------------
// Signing messages (domain separated).

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const STORAGE_DST = utf8.encode('medchain-sim/healthchain/storage/v1');
const ACCESS_DST = utf8.encode('medchain-sim/healthchain/access/v1');

/** Bytes signed by the issuer: STORAGE_DST ‖ digest ‖ hM (seed 000: Sig(Digest, H(M))). */
export function storageSigningMessage(digest: Uint8Array, hM: Uint8Array): Uint8Array {
  checkLen(digest, DIGEST_BYTES, 'digest');
  checkLen(hM, DIGEST_BYTES, 'hM');
  return concat([STORAGE_DST, digest, hM]);
}

/** Bytes signed by the grantor: ACCESS_DST ‖ lp(uri) ‖ perms ‖ granteeKey ‖ u64(exp) ‖ lp(wk). */
export function accessSigningMessage(p: Omit<AccessPayload, 'grantorKey' | 'grantorSignature'>): Uint8Array {
  const w = new Writer();
  w.raw(ACCESS_DST);
  writeAccessBody(w, p);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Construction and verification.

/** Builds and signs a storage payload (seed 000 Alg. 2, step "Sig(Digest, H(M))"). */
export function createStoragePayload(
  fields: { digest: Uint8Array; hM: Uint8Array; location?: string },
  issuerSecretKey: Uint8Array,
): StoragePayload {
  const issuerKey = publicKeyFromSecret(issuerSecretKey);
  const signature = sign(storageSigningMessage(fields.digest, fields.hM), issuerSecretKey);
  const payload: StoragePayload = { digest: fields.digest, hM: fields.hM, location: fields.location ?? '', issuerKey, signature };
  checkStorageShape(payload);
  return payload;
}

/** Builds and signs an access payload (seed 000 Alg. 4). Permissions are canonicalised. */
export function createAccessPayload(
  fields: { uri: string; permissions: readonly string[]; granteeKey: Uint8Array; expiration: number; wrappedKey: Uint8Array },
  grantorSecretKey: Uint8Array,
): AccessPayload {
  const body = {
    uri: fields.uri,
    permissions: canonicalPermissions(fields.permissions),
    granteeKey: fields.granteeKey,
    expiration: fields.expiration,
    wrappedKey: fields.wrappedKey,
  };
  const grantorKey = publicKeyFromSecret(grantorSecretKey);
  const grantorSignature = sign(accessSigningMessage(body), grantorSecretKey);
  const payload: AccessPayload = { ...body, grantorKey, grantorSignature };
  checkAccessShape(payload);
  return payload;
}

/** True iff the payload is well-formed and the issuer's signature verifies (RFC 8032 §5.1.7). */
export function verifyStoragePayload(p: StoragePayload): boolean {
  try {
    checkStorageShape(p);
    return verify(p.signature, storageSigningMessage(p.digest, p.hM), p.issuerKey);
  } catch {
    return false;
  }
}

/**
 * True iff the payload is well-formed (canonical permissions, revocation ⇒ empty wrappedKey,
 * non-revocation ⇒ non-empty wrappedKey) and the grantor's signature verifies. Ownership of the
 * URI is a chain-state check, not done here.
 */
export function verifyAccessPayload(p: AccessPayload): boolean {
  try {
    checkAccessShape(p);
    return verify(p.grantorSignature, accessSigningMessage(p), p.grantorKey);
  } catch {
    return false;
  }
}

/** Sorted (by UTF-8 bytes), de-duplicated copy; throws on empty or over-long names. */
export function canonicalPermissions(perms: readonly string[]): string[] {
  const uniq = [...new Set(perms)];
  for (const p of uniq) {
    const n = utf8.encode(p).length;
    if (n === 0 || n > MAX_PERMISSION_BYTES) throw new RangeError(`permission name must be 1..${MAX_PERMISSION_BYTES} bytes`);
  }
  uniq.sort((a, b) => compareBytes(utf8.encode(a), utf8.encode(b)));
  if (uniq.length > MAX_PERMISSIONS) throw new RangeError(`at most ${MAX_PERMISSIONS} permissions`);
  return uniq;
}

// ---------------------------------------------------------------------------------------------
// Canonical encoding.

export function encodeStoragePayload(p: StoragePayload): Uint8Array {
  checkStorageShape(p);
  const w = new Writer();
  w.byte(STORAGE_TAG);
  w.raw(p.digest);
  w.raw(p.hM);
  w.bytes(utf8.encode(p.location));
  w.raw(p.issuerKey);
  w.raw(p.signature);
  return w.finish();
}

export function decodeStoragePayload(bytes: Uint8Array): StoragePayload {
  const r = new Reader(bytes);
  if (r.byte() !== STORAGE_TAG) throw new Error('storage payload: bad tag');
  const digest = r.raw(DIGEST_BYTES);
  const hM = r.raw(DIGEST_BYTES);
  const location = r.string(MAX_LOCATION_BYTES);
  const issuerKey = r.raw(KEY_BYTES);
  const signature = r.raw(SIGNATURE_BYTES);
  r.end();
  return { digest, hM, location, issuerKey, signature };
}

export function encodeAccessPayload(p: AccessPayload): Uint8Array {
  checkAccessShape(p);
  const w = new Writer();
  w.byte(ACCESS_TAG);
  writeAccessBody(w, p);
  w.raw(p.grantorKey);
  w.raw(p.grantorSignature);
  return w.finish();
}

export function decodeAccessPayload(bytes: Uint8Array): AccessPayload {
  const r = new Reader(bytes);
  if (r.byte() !== ACCESS_TAG) throw new Error('access payload: bad tag');
  const uri = r.string(MAX_URI_BYTES);
  const n = r.compactSize();
  if (n > MAX_PERMISSIONS) throw new Error('access payload: too many permissions');
  const permissions: string[] = [];
  for (let i = 0; i < n; i++) permissions.push(r.string(MAX_PERMISSION_BYTES));
  const granteeKey = r.raw(KEY_BYTES);
  const expiration = r.u64();
  const wrappedKey = r.bytes(MAX_WRAPPED_KEY_BYTES);
  const grantorKey = r.raw(KEY_BYTES);
  const grantorSignature = r.raw(SIGNATURE_BYTES);
  r.end();
  const p: AccessPayload = { uri, permissions, granteeKey, expiration, wrappedKey, grantorKey, grantorSignature };
  checkAccessShape(p); // rejects non-canonical permission order/duplicates
  return p;
}

// ---------------------------------------------------------------------------------------------
// Internals.

function writeAccessBody(w: Writer, p: Omit<AccessPayload, 'grantorKey' | 'grantorSignature'>): void {
  w.bytes(utf8.encode(p.uri));
  w.compactSize(p.permissions.length);
  for (const perm of p.permissions) w.bytes(utf8.encode(perm));
  checkLen(p.granteeKey, KEY_BYTES, 'granteeKey');
  w.raw(p.granteeKey);
  w.u64(p.expiration);
  w.bytes(p.wrappedKey);
}

function checkStorageShape(p: StoragePayload): void {
  checkLen(p.digest, DIGEST_BYTES, 'digest');
  checkLen(p.hM, DIGEST_BYTES, 'hM');
  checkLen(p.issuerKey, KEY_BYTES, 'issuerKey');
  checkLen(p.signature, SIGNATURE_BYTES, 'signature');
  if (utf8.encode(p.location).length > MAX_LOCATION_BYTES) throw new RangeError('location too long');
}

function checkAccessShape(p: AccessPayload): void {
  const uriLen = utf8.encode(p.uri).length;
  if (uriLen === 0 || uriLen > MAX_URI_BYTES) throw new RangeError('uri must be 1..512 bytes');
  const canon = canonicalPermissions(p.permissions);
  if (canon.length !== p.permissions.length || canon.some((c, i) => c !== p.permissions[i])) {
    throw new RangeError('permissions not canonical (sorted, unique)');
  }
  checkLen(p.granteeKey, KEY_BYTES, 'granteeKey');
  checkLen(p.grantorKey, KEY_BYTES, 'grantorKey');
  checkLen(p.grantorSignature, SIGNATURE_BYTES, 'grantorSignature');
  if (!Number.isSafeInteger(p.expiration) || p.expiration < 0) throw new RangeError('expiration must be a safe non-negative integer (µs)');
  if (p.wrappedKey.length > MAX_WRAPPED_KEY_BYTES) throw new RangeError('wrappedKey too long');
  if (p.permissions.length === 0 && p.wrappedKey.length !== 0) throw new RangeError('revocation must carry an empty wrappedKey');
  if (p.permissions.length !== 0 && p.wrappedKey.length === 0) throw new RangeError('grant must carry a wrappedKey');
}

function checkLen(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new RangeError(`${what} must be ${n} bytes`);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

class Writer {
  private parts: Uint8Array[] = [];
  byte(b: number): void {
    this.parts.push(Uint8Array.of(b));
  }
  raw(b: Uint8Array): void {
    this.parts.push(b);
  }
  /** Bitcoin CompactSize: < 0xfd → 1 byte; ≤ 0xffff → 0xfd + u16 LE; else 0xfe + u32 LE. */
  compactSize(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError('compactSize out of range');
    if (n < 0xfd) this.byte(n);
    else if (n <= 0xffff) this.parts.push(Uint8Array.of(0xfd, n & 0xff, n >>> 8));
    else this.parts.push(Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24));
  }
  bytes(b: Uint8Array): void {
    this.compactSize(b.length);
    this.raw(b);
  }
  u64(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('u64 must be a safe non-negative integer');
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(n), false);
    this.parts.push(out);
  }
  finish(): Uint8Array {
    return concat(this.parts);
  }
}

class Reader {
  private o = 0;
  constructor(private readonly b: Uint8Array) {}
  private need(n: number): void {
    if (this.o + n > this.b.length) throw new Error('payload truncated');
  }
  byte(): number {
    this.need(1);
    return this.b[this.o++];
  }
  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.b.slice(this.o, this.o + n);
    this.o += n;
    return out;
  }
  compactSize(): number {
    const first = this.byte();
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      const v = this.byte() | (this.byte() << 8);
      if (v < 0xfd) throw new Error('non-minimal compactSize');
      return v;
    }
    if (first === 0xfe) {
      const v = (this.byte() | (this.byte() << 8) | (this.byte() << 16) | (this.byte() << 24)) >>> 0;
      if (v <= 0xffff) throw new Error('non-minimal compactSize');
      return v;
    }
    throw new Error('compactSize too large');
  }
  bytes(max: number): Uint8Array {
    const n = this.compactSize();
    if (n > max) throw new Error('field too long');
    return this.raw(n);
  }
  string(max: number): string {
    return utf8Strict.decode(this.bytes(max));
  }
  u64(): number {
    this.need(8);
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.o, 8).getBigUint64(0, false);
    this.o += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('u64 exceeds safe integer range');
    return Number(v);
  }
  end(): void {
    if (this.o !== this.b.length) throw new Error('trailing bytes');
  }
}
