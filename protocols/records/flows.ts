/**
 * Seed 000's record flows, end to end, as library functions:
 *
 * - Algorithm 2 "Issuing" (doctor)      → `issueRecord`
 * - Algorithm 3 "Storing" (patient)     → `storeRecord` (+ `PatientWallet`)
 * - Algorithm 4 "Sharing" (patient)     → `shareRecord`, `revokeRecord` (empty permission set)
 * - third-party access                  → `fetchRecord`
 *
 * Cryptography, all from `protocols/crypto/` (all randomness from an injected RandomSource, so a
 * seeded run is byte-identical):
 * - H = SHA-256 (FIPS 180-4); signatures Ed25519 (RFC 8032), `crypto/ed25519.ts`.
 * - Record encryption `crypto/hybrid.ts#encryptRecord`: XChaCha20-Poly1305
 *   (draft-irtf-cfrg-xchacha-03) under a fresh 32-byte key, random 24-byte nonce, associated data
 *   = a context string: `healthchain/envelope/<hex digest>` for the doctor → patient envelope,
 *   `healthchain/stored-record/v1` for stored records (their URI is the hash of the ciphertext,
 *   so it cannot be inside the AAD; the content address binds bytes to URI instead).
 * - Key wrapping E_pk(k) `crypto/hybrid.ts#wrapKey`: X25519 (RFC 7748) ephemeral-static ECDH +
 *   HKDF-SHA-256 (RFC 5869) + XChaCha20-Poly1305; the recipient's X25519 key is the Montgomery
 *   form of its Ed25519 key (`x25519PublicFromEd25519`, see payloads.ts header). The wrap context
 *   binds the wrapped key to its use: `healthchain/wrap/envelope/<hex digest>`, or
 *   `healthchain/wrap/access/<uri>` for access txs (a wrapped key cannot be replayed elsewhere).
 *
 * The signed record body ("Digest | M | H(M) | Sig" of Alg. 2) is encoded as
 *   0x01 ‖ digest[32] ‖ hM[32] ‖ issuerKey[32] ‖ sig[64] ‖ M
 * where sig is the same issuer signature as the storage tx, Sig(Digest, H(M)) — H(M) binds M, so
 * one signature serves both the chain and the envelope.
 */
import { generateKeyPair, verify } from '../crypto/ed25519.ts';
import type { Ed25519KeyPair } from '../crypto/ed25519.ts';
import { sha256 } from '../crypto/hash.ts';
import { bytesToHex, concatBytes, equalBytes } from '../crypto/encoding.ts';
import type { RandomSource } from '../crypto/random.ts';
import { contentUri } from './backends.ts';
import { createAccessPayload, createStoragePayload, DIGEST_BYTES, KEY_BYTES, SIGNATURE_BYTES, storageSigningMessage, verifyStoragePayload } from './payloads.ts';
import type { AccessLedger, AccessPayload, StoragePayload } from './payloads.ts';
import { answerChallenge } from './store.ts';
import type { Challenge, FetchRequest, FetchResult, RefusalReason } from './store.ts';
import { DecryptionError, decryptRecord, encryptRecord, generateContentKey, unwrapKey, wrapKey, x25519KeyPairFromEd25519, x25519PublicFromEd25519 } from '../crypto/hybrid.ts';

/** An Ed25519 key pair (secretKey = 32-byte RFC 8032 seed), from protocols/crypto/ed25519.ts. */
export type KeyPair = Ed25519KeyPair;

/** A fresh Ed25519 key pair from `random` (re-exported from protocols/crypto/ed25519.ts). */
export { generateKeyPair };

/** Why a flow rejected a record. */
export type RecordErrorCode =
  | 'unwrap-failed' // the wrapped key does not open with our key (not for us, or altered)
  | 'decrypt-failed' // AEAD authentication failed: ciphertext altered
  | 'malformed' // decrypted body does not parse
  | 'bad-signature' // issuer signature over (Digest, H(M)) does not verify
  | 'hash-mismatch' // SHA-256(M) ≠ H(M)
  | 'digest-mismatch' // envelope header and signed body disagree on the digest
  | 'not-on-chain' // no storage tx for the digest at the required depth
  | 'chain-mismatch' // the on-chain storage tx is invalid or disagrees with the signed record
  | 'refused' // the store refused (see `reason`)
  | 'content-mismatch' // the store served bytes that do not hash to the URI
  | 'no-grant'; // the chain holds no usable access grant for us

export class RecordError extends Error {
  constructor(
    readonly code: RecordErrorCode,
    message: string,
    readonly reason?: RefusalReason,
  ) {
    super(message);
    this.name = 'RecordError';
  }
}

// ---------------------------------------------------------------------------------------------
// Record body: Digest | M | H(M) | Sig (Alg. 2).

const BODY_VERSION = 0x01;
const BODY_HEADER = 1 + DIGEST_BYTES + DIGEST_BYTES + KEY_BYTES + SIGNATURE_BYTES;
/** AEAD context of a stored record (see header). */
export const STORED_RECORD_CONTEXT = 'healthchain/stored-record/v1';
/** AEAD context of the doctor → patient envelope. */
export const envelopeContext = (digest: Uint8Array): string => `healthchain/envelope/${bytesToHex(digest)}`;
/** Wrap context of the envelope key. */
export const envelopeWrapContext = (digest: Uint8Array): string => `healthchain/wrap/envelope/${bytesToHex(digest)}`;
/** Wrap context of an access tx's key. */
export const accessWrapContext = (uri: string): string => `healthchain/wrap/access/${uri}`;

/** Unwraps with an Ed25519 identity's X25519 form; undefined on DecryptionError. */
function tryUnwrap(edSecretKey: Uint8Array, wrapped: Uint8Array, context: string): Uint8Array | undefined {
  try {
    return unwrapKey(wrapped, x25519KeyPairFromEd25519(edSecretKey), context);
  } catch (e) {
    if (e instanceof DecryptionError) return undefined;
    throw e;
  }
}

/** Decrypts; undefined on DecryptionError. */
function tryDecrypt(sealed: Uint8Array, key: Uint8Array, context: string): Uint8Array | undefined {
  try {
    return decryptRecord(sealed, key, context);
  } catch (e) {
    if (e instanceof DecryptionError) return undefined;
    throw e;
  }
}

/** A signed medical record (the plaintext inside every ciphertext). */
export interface SignedRecord {
  digest: Uint8Array;
  hM: Uint8Array;
  issuerKey: Uint8Array;
  signature: Uint8Array;
  M: Uint8Array;
}

export function encodeSignedRecord(r: SignedRecord): Uint8Array {
  return concatBytes(Uint8Array.of(BODY_VERSION), r.digest, r.hM, r.issuerKey, r.signature, r.M);
}

export function decodeSignedRecord(b: Uint8Array): SignedRecord {
  if (b.length < BODY_HEADER || b[0] !== BODY_VERSION) throw new RecordError('malformed', 'record body malformed');
  let o = 1;
  const take = (n: number) => b.slice(o, (o += n));
  return { digest: take(DIGEST_BYTES), hM: take(DIGEST_BYTES), issuerKey: take(KEY_BYTES), signature: take(SIGNATURE_BYTES), M: b.slice(o) };
}

/** Alg. 3 checks: the issuer signature over (Digest, H(M)), then H(M) = SHA-256(M). Throws RecordError. */
export function verifySignedRecord(r: SignedRecord): void {
  let ok = false;
  try {
    ok = verify(r.signature, storageSigningMessage(r.digest, r.hM), r.issuerKey);
  } catch {
    ok = false;
  }
  if (!ok) throw new RecordError('bad-signature', 'issuer signature does not verify');
  if (!equalBytes(sha256(r.M), r.hM)) throw new RecordError('hash-mismatch', 'SHA-256(M) differs from H(M)');
}

/** Checks that the chain's storage tx for `r.digest` is valid and matches the signed record. */
export function checkAgainstChain(r: SignedRecord, ledger: AccessLedger, minConfirmations = 1): StoragePayload {
  const e = ledger.storageRecord(r.digest, minConfirmations);
  if (e === undefined) throw new RecordError('not-on-chain', 'no storage tx for this digest on the chain');
  const p = e.payload;
  if (!verifyStoragePayload(p)) throw new RecordError('chain-mismatch', 'on-chain storage tx has an invalid signature');
  if (!equalBytes(p.hM, r.hM) || !equalBytes(p.issuerKey, r.issuerKey) || !equalBytes(p.signature, r.signature)) {
    throw new RecordError('chain-mismatch', 'on-chain storage tx disagrees with the signed record');
  }
  return p;
}

/** Encrypts a signed record for storage under key k (XChaCha20-Poly1305, fixed AAD). */
export function sealRecord(key: Uint8Array, record: SignedRecord, random: RandomSource): Uint8Array {
  return encryptRecord(encodeSignedRecord(record), key, STORED_RECORD_CONTEXT, random);
}

/** Decrypts a stored record; throws RecordError('decrypt-failed') on AEAD failure. */
export function openRecord(key: Uint8Array, ciphertext: Uint8Array): SignedRecord {
  const body = tryDecrypt(ciphertext, key, STORED_RECORD_CONTEXT);
  if (body === undefined) throw new RecordError('decrypt-failed', 'record ciphertext failed authentication');
  return decodeSignedRecord(body);
}

// ---------------------------------------------------------------------------------------------
// Algorithm 2 — Issuing (doctor).

/** What the doctor sends to the patient: Enc_k(Digest|M|H(M)|Sig) and E_pk_patient(k). */
export interface IssuedEnvelope {
  digest: Uint8Array;
  ciphertext: Uint8Array;
  wrappedKey: Uint8Array;
}

export interface IssuedRecord {
  /** The data-storage payload to publish on the chain. */
  storage: StoragePayload;
  /** The envelope to send to the patient. */
  envelope: IssuedEnvelope;
}

/**
 * Seed 000 Alg. 2: hash M, sign (Digest, H(M)), build the storage payload; encrypt the signed
 * record under a fresh key k and wrap k for the patient's public key.
 */
export function issueRecord(
  doctor: KeyPair,
  patientPub: Uint8Array,
  M: Uint8Array,
  random: RandomSource,
  opts: { location?: string; digest?: Uint8Array } = {},
): IssuedRecord {
  const digest = opts.digest ?? random(DIGEST_BYTES);
  const hM = sha256(M);
  const storage = createStoragePayload({ digest, hM, location: opts.location ?? '' }, doctor.secretKey);
  const record: SignedRecord = { digest, hM, issuerKey: storage.issuerKey, signature: storage.signature, M };
  const k = generateContentKey(random);
  const ciphertext = encryptRecord(encodeSignedRecord(record), k, envelopeContext(digest), random);
  const wrappedKey = wrapKey(k, x25519PublicFromEd25519(patientPub), random, envelopeWrapContext(digest));
  return { storage, envelope: { digest, ciphertext, wrappedKey } };
}

// ---------------------------------------------------------------------------------------------
// Algorithm 3 — Storing (patient), and the patient's wallet.

/** What the patient remembers about a stored record (Alg. 3 "remember key and location"). */
export interface WalletEntry {
  uri: string;
  digest: Uint8Array;
  hM: Uint8Array;
  issuerKey: Uint8Array;
  /** The record key k' the stored ciphertext is encrypted under. */
  key: Uint8Array;
  /** The key pair that owns the record on chain (signs its access txs); fresh per record by default. */
  owner: KeyPair;
}

/** The patient's records, by URI, in insertion order. */
export class PatientWallet {
  private readonly entries = new Map<string, WalletEntry>();
  add(e: WalletEntry): void {
    this.entries.set(e.uri, e);
  }
  get(uri: string): WalletEntry | undefined {
    return this.entries.get(uri);
  }
  byDigest(digest: Uint8Array): WalletEntry | undefined {
    for (const e of this.entries.values()) if (equalBytes(e.digest, digest)) return e;
    return undefined;
  }
  list(): WalletEntry[] {
    return [...this.entries.values()];
  }
  get size(): number {
    return this.entries.size;
  }
}

export interface StoreRecordOptions {
  /** Where to remember the record. */
  wallet?: PatientWallet;
  /** If given, also require the doctor's storage tx on chain and check it matches (tampered chain). */
  ledger?: AccessLedger;
  minConfirmations?: number;
  /** Owner key for the record's access txs: 'fresh' (default; pseudonymity, seed 000 §3.2), 'patient', or a key pair. */
  owner?: 'fresh' | 'patient' | KeyPair;
}

/**
 * Seed 000 Alg. 3: unwrap k, decrypt, verify the issuer signature and the hash (a mismatch
 * discards the record with a RecordError), re-encrypt under a NEW key, upload, remember key and
 * location.
 */
export function storeRecord(
  patient: KeyPair,
  envelope: IssuedEnvelope,
  store: { upload(ciphertext: Uint8Array): string },
  random: RandomSource,
  opts: StoreRecordOptions = {},
): WalletEntry {
  const k = tryUnwrap(patient.secretKey, envelope.wrappedKey, envelopeWrapContext(envelope.digest));
  if (k === undefined) throw new RecordError('unwrap-failed', 'envelope key does not unwrap with the patient key');
  const body = tryDecrypt(envelope.ciphertext, k, envelopeContext(envelope.digest));
  if (body === undefined) throw new RecordError('decrypt-failed', 'envelope ciphertext failed authentication');
  const record = decodeSignedRecord(body);
  if (!equalBytes(record.digest, envelope.digest)) throw new RecordError('digest-mismatch', 'envelope digest differs from the signed digest');
  verifySignedRecord(record);
  if (opts.ledger !== undefined) checkAgainstChain(record, opts.ledger, opts.minConfirmations);
  const key = generateContentKey(random); // NEW key k' (Alg. 3: re-encrypt)
  const uri = store.upload(sealRecord(key, record, random));
  const o = opts.owner ?? 'fresh';
  const owner = o === 'fresh' ? generateKeyPair(random) : o === 'patient' ? patient : o;
  const entry: WalletEntry = { uri, digest: record.digest, hM: record.hM, issuerKey: record.issuerKey, key, owner };
  opts.wallet?.add(entry);
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Algorithm 4 — Sharing and revocation (patient).

/**
 * Seed 000 Alg. 4: an access-control payload granting `permissions` on `entry.uri` to
 * `granteePub` until `expiration` (µs), carrying E_pk_grantee(k') bound to the URI, signed by the
 * record's owner key.
 */
export function shareRecord(
  entry: WalletEntry,
  granteePub: Uint8Array,
  permissions: readonly string[],
  expiration: number,
  random: RandomSource,
): AccessPayload {
  if (permissions.length === 0) throw new RangeError('shareRecord: empty permissions; use revokeRecord');
  const wrappedKey = wrapKey(entry.key, x25519PublicFromEd25519(granteePub), random, accessWrapContext(entry.uri));
  return createAccessPayload({ uri: entry.uri, permissions, granteeKey: granteePub, expiration, wrappedKey }, entry.owner.secretKey);
}

/** Revocation: a new access tx with an empty permission set (and no key) for the grantee. */
export function revokeRecord(entry: WalletEntry, granteePub: Uint8Array): AccessPayload {
  return createAccessPayload({ uri: entry.uri, permissions: [], granteeKey: granteePub, expiration: 0, wrappedKey: new Uint8Array(0) }, entry.owner.secretKey);
}

// ---------------------------------------------------------------------------------------------
// Third party: fetch and decrypt.

/** The store operations a fetcher needs (RecordStore, or a network proxy to one). */
export interface StoreClient {
  challenge(uri: string, requester: Uint8Array): Challenge;
  fetch(req: FetchRequest): FetchResult;
}

export interface FetchedRecord {
  record: SignedRecord;
  /** The on-chain storage tx the record was checked against. */
  storage: StoragePayload;
}

/**
 * Fetches `uri` from the store (challenge–response), checks the bytes against the content address,
 * unwraps k' from the latest access grant on chain, decrypts (AEAD), verifies the issuer
 * signature and H(M), and checks the on-chain storage tx. Throws RecordError.
 */
export function fetchRecord(
  requester: KeyPair,
  uri: string,
  store: StoreClient,
  ledger: AccessLedger,
  opts: { minConfirmations?: number } = {},
): FetchedRecord {
  const d = opts.minConfirmations ?? 1;
  const res = store.fetch(answerChallenge(store.challenge(uri, requester.publicKey), requester.secretKey));
  if (!res.ok) throw new RecordError('refused', `store refused: ${res.reason}`, res.reason);
  if (contentUri(res.ciphertext) !== uri) throw new RecordError('content-mismatch', 'served bytes do not hash to the URI');
  const grant = ledger.accessGrant(uri, requester.publicKey, d);
  if (grant === undefined || grant.permissions.length === 0) throw new RecordError('no-grant', 'no access grant on chain');
  const key = tryUnwrap(requester.secretKey, grant.wrappedKey, accessWrapContext(uri));
  if (key === undefined) throw new RecordError('unwrap-failed', 'grant key does not unwrap with our key');
  const record = openRecord(key, res.ciphertext);
  verifySignedRecord(record);
  const storage = checkAgainstChain(record, ledger, d);
  return { record, storage };
}
