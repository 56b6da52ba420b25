/**
 * The off-chain record store of HealthChain (seed 000 §2.3 and Alg. 3–4: "the cloud storage
 * uses the blockchain as its permission manager").
 *
 * - Stores only ciphertexts, content-addressed (`medrec:<hex SHA-256(ciphertext)>`), through a
 *   `RecordBackend` (memory by default, or a directory on disk; see backends.ts).
 * - Serves a record only to a requester the chain currently authorises: the latest access tx for
 *   (uri, requester) at ≥ `minConfirmations` confirmations (seed 000 Alg. 4 tx
 *   `{URI; permission; pk_o; expiration; …}`) must carry `requiredPermission` (default 'read'),
 *   have `expiration > ledger.now()`, and be signed by the URI's owner; the owner itself may always
 *   fetch. An empty permission set is a revocation.
 * - The requester proves possession of the grantee key by an Ed25519 signature (RFC 8032) over a
 *   fresh, single-use store nonce: challenge → respond → fetch. Nonces come from an injected
 *   RandomSource (seeded inside simulations) and expire after `challengeTtl` µs of ledger time.
 * - Every refusal has a typed reason and is counted in `refusals`.
 *
 * No wall clock, no ambient randomness: time is `ledger.now()`, randomness is the RandomSource.
 */
import { sign, verify } from '../crypto/ed25519.ts';
import { bytesToHex, equalBytes } from '../crypto/encoding.ts';
import type { RandomSource } from '../crypto/random.ts';
import { MemoryBackend, RecordTamperedError, isRecordUri } from './backends.ts';
import type { RecordBackend } from './backends.ts';
import type { AccessLedger } from './payloads.ts';

export { MemoryBackend, DirectoryBackend, TamperingBackend, RecordTamperedError, contentUri, isRecordUri, matchesUri } from './backends.ts';
export type { RecordBackend, FileOps } from './backends.ts';

/** Why the store refused a fetch. */
export type RefusalReason =
  | 'not-found' // authorised, but the store has no such object
  | 'not-authorised' // no grant for this requester, grant lacks the permission, or grantor ≠ owner
  | 'expired' // the grant's expiration ≤ ledger.now()
  | 'revoked' // the latest grant (at the required depth) has an empty permission set
  | 'insufficient-confirmations' // a shallower access tx would decide differently
  | 'bad-proof' // unknown/used/expired nonce, or the challenge signature does not verify
  | 'tampered'; // the backend's object no longer matches its content address

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'not-found',
  'not-authorised',
  'expired',
  'revoked',
  'insufficient-confirmations',
  'bad-proof',
  'tampered',
];

/** A nonce issued by the store for one (uri, requester) fetch. */
export interface Challenge {
  storeId: string;
  uri: string;
  requester: Uint8Array;
  nonce: Uint8Array;
  /** Ledger time (µs) after which the nonce is rejected. */
  expiresAt: number;
}

/** A fetch request: the challenge fields plus the requester's signature over them. */
export interface FetchRequest {
  uri: string;
  requester: Uint8Array;
  nonce: Uint8Array;
  signature: Uint8Array;
}

export type FetchResult = { ok: true; ciphertext: Uint8Array } | { ok: false; reason: RefusalReason };

export interface RecordStoreOptions {
  ledger: AccessLedger;
  /** Source of challenge nonces (seededRandom inside a simulation). */
  random: RandomSource;
  backend?: RecordBackend;
  /** Confirmation depth an access tx needs before the store honours it (default 1). */
  minConfirmations?: number;
  /** Permission required to fetch (default 'read'). */
  requiredPermission?: string;
  /** Challenge lifetime in µs of ledger time (default 60 s). */
  challengeTtl?: number;
  /** Name bound into challenge signatures, so a proof for one store is useless at another. */
  storeId?: string;
  /** Max outstanding challenges; the oldest are dropped beyond it (default 10 000). */
  maxPendingChallenges?: number;
}

const CHALLENGE_DST = new TextEncoder().encode('medchain-sim/healthchain/store-challenge/v1');
const utf8 = new TextEncoder();

/** Bytes a requester signs to answer a challenge: DST ‖ lp(storeId) ‖ lp(uri) ‖ requester ‖ nonce. */
export function challengeMessage(storeId: string, uri: string, requester: Uint8Array, nonce: Uint8Array): Uint8Array {
  const sid = utf8.encode(storeId);
  const u = utf8.encode(uri);
  const out = new Uint8Array(CHALLENGE_DST.length + 4 + sid.length + 4 + u.length + requester.length + nonce.length);
  const dv = new DataView(out.buffer);
  let o = 0;
  out.set(CHALLENGE_DST, o);
  o += CHALLENGE_DST.length;
  dv.setUint32(o, sid.length);
  out.set(sid, o + 4);
  o += 4 + sid.length;
  dv.setUint32(o, u.length);
  out.set(u, o + 4);
  o += 4 + u.length;
  out.set(requester, o);
  out.set(nonce, o + requester.length);
  return out;
}

/** Answers a challenge with the requester's Ed25519 secret key. */
export function answerChallenge(challenge: Challenge, requesterSecretKey: Uint8Array): FetchRequest {
  const signature = sign(challengeMessage(challenge.storeId, challenge.uri, challenge.requester, challenge.nonce), requesterSecretKey);
  return { uri: challenge.uri, requester: challenge.requester, nonce: challenge.nonce, signature };
}

interface Pending {
  uri: string;
  requester: Uint8Array;
  expiresAt: number;
}

/** The off-chain store. One instance per storage node. */
export class RecordStore {
  readonly backend: RecordBackend;
  readonly storeId: string;
  readonly minConfirmations: number;
  readonly requiredPermission: string;
  /** Refusals by reason (every reason present, starting at 0). */
  readonly refusals: Record<RefusalReason, number>;
  /** Successful fetches. */
  served = 0;
  private readonly ledger: AccessLedger;
  private readonly random: RandomSource;
  private readonly challengeTtl: number;
  private readonly maxPending: number;
  /** Outstanding nonces by hex; Map iteration = insertion order, so eviction is deterministic. */
  private readonly pending = new Map<string, Pending>();

  constructor(opts: RecordStoreOptions) {
    this.ledger = opts.ledger;
    this.random = opts.random;
    this.backend = opts.backend ?? new MemoryBackend();
    this.minConfirmations = opts.minConfirmations ?? 1;
    this.requiredPermission = opts.requiredPermission ?? 'read';
    this.challengeTtl = opts.challengeTtl ?? 60_000_000;
    this.storeId = opts.storeId ?? 'store';
    this.maxPending = opts.maxPendingChallenges ?? 10_000;
    if (!Number.isInteger(this.minConfirmations) || this.minConfirmations < 1) throw new RangeError('minConfirmations must be an integer ≥ 1');
    if (!(this.challengeTtl > 0)) throw new RangeError('challengeTtl must be positive');
    this.refusals = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;
  }

  /** Uploads a ciphertext (anyone may upload; objects are opaque). Returns its URI. */
  upload(ciphertext: Uint8Array): string {
    return this.backend.put(ciphertext);
  }

  has(uri: string): boolean {
    return this.backend.has(uri);
  }

  /** Issues a fresh single-use nonce for (uri, requester). */
  challenge(uri: string, requester: Uint8Array): Challenge {
    const nonce = this.random(32);
    const expiresAt = this.ledger.now() + this.challengeTtl;
    this.pending.set(bytesToHex(nonce), { uri, requester: requester.slice(), expiresAt });
    while (this.pending.size > this.maxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
    }
    return { storeId: this.storeId, uri, requester: requester.slice(), nonce, expiresAt };
  }

  /** Serves the ciphertext if the proof verifies and the chain authorises the requester. */
  fetch(req: FetchRequest): FetchResult {
    const reason = this.check(req);
    if (reason !== undefined) return this.refuse(reason);
    let ciphertext: Uint8Array | undefined;
    try {
      ciphertext = this.backend.get(req.uri);
    } catch (err) {
      if (err instanceof RecordTamperedError) return this.refuse('tampered');
      throw err;
    }
    if (ciphertext === undefined) return this.refuse('not-found');
    this.served++;
    return { ok: true, ciphertext };
  }

  /** Total refusals. */
  get refused(): number {
    let n = 0;
    for (const r of REFUSAL_REASONS) n += this.refusals[r];
    return n;
  }

  private refuse(reason: RefusalReason): FetchResult {
    this.refusals[reason]++;
    return { ok: false, reason };
  }

  private check(req: FetchRequest): RefusalReason | undefined {
    // 1. Proof of possession of the requester key (single-use, unexpired nonce).
    const key = bytesToHex(req.nonce);
    const p = this.pending.get(key);
    if (p === undefined) return 'bad-proof';
    this.pending.delete(key); // single use, whatever the outcome
    if (p.uri !== req.uri || !equalBytes(p.requester, req.requester) || this.ledger.now() > p.expiresAt) return 'bad-proof';
    let valid = false;
    try {
      valid = verify(req.signature, challengeMessage(this.storeId, req.uri, req.requester, req.nonce), req.requester);
    } catch {
      valid = false;
    }
    if (!valid) return 'bad-proof';
    if (!isRecordUri(req.uri)) return 'not-found';
    // 2. Authorisation by the chain.
    return this.authorise(req.uri, req.requester);
  }

  /** The chain's verdict for (uri, requester) at this store's depth; undefined = allowed. */
  authorise(uri: string, requester: Uint8Array): RefusalReason | undefined {
    const d = this.minConfirmations;
    const owner = this.ledger.recordOwner(uri, d);
    if (owner !== undefined && equalBytes(owner, requester)) return undefined;
    const deep = this.verdict(uri, requester, d, owner);
    if (deep === undefined) return undefined;
    if (d > 1) {
      // Would the chain tip (depth 1) allow it? Then the refusal is only a matter of depth.
      const shallowOwner = this.ledger.recordOwner(uri, 1);
      if (shallowOwner !== undefined && equalBytes(shallowOwner, requester)) return 'insufficient-confirmations';
      if (this.verdict(uri, requester, 1, shallowOwner) === undefined) return 'insufficient-confirmations';
    }
    return deep;
  }

  private verdict(uri: string, requester: Uint8Array, depth: number, owner: Uint8Array | undefined): RefusalReason | undefined {
    const g = this.ledger.accessGrant(uri, requester, depth);
    if (g === undefined) return 'not-authorised';
    if (owner === undefined || !equalBytes(g.grantor, owner)) return 'not-authorised';
    if (g.permissions.length === 0) return 'revoked';
    if (!g.permissions.includes(this.requiredPermission)) return 'not-authorised';
    if (g.expiration <= this.ledger.now()) return 'expired';
    return undefined;
  }
}
