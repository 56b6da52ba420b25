/**
 * `SimpleLedger`: an in-memory, single-chain `AccessLedger` for tests and examples. It applies the
 * same validity rules as seed 000 Alg. 1 (verify the issuer signature of storage txs; verify the
 * grantor signature and resource validity — the ownership rule — of access txs) but has no
 * mining, forks or network: `submit*` queues a tx, `mine()` seals the queue into a block. The real
 * implementation is the PoW chain in `protocols/pow/`.
 *
 * Confirmations of a tx = tipHeight − blockHeight + 1 (1 = in the tip block; queued txs have 0
 * and are invisible to readers). Time is set explicitly (`setNow`), in µs of virtual time.
 * A dishonest view of it (altered transactions) is an attack, in attacks.ts.
 */
import { bytesToHex, equalBytes } from '../crypto/encoding.ts';
import { verifyAccessPayload, verifyStoragePayload } from './payloads.ts';
import type { AccessGrant, AccessLedger, AccessPayload, StorageEntry, StoragePayload } from './payloads.ts';

interface Placed<T> {
  payload: T;
  height: number; // block height (1-based); 0 = queued
}

/** Why `submitAccess` / `submitStorage` rejected a tx. */
export type LedgerRejection = 'bad-signature' | 'not-owner';

export class SimpleLedger implements AccessLedger {
  private time: number;
  private height = 0;
  private readonly storage: Placed<StoragePayload>[] = [];
  private readonly access: Placed<AccessPayload>[] = [];

  constructor(opts: { now?: number } = {}) {
    this.time = opts.now ?? 0;
  }

  now(): number {
    return this.time;
  }

  setNow(t: number): void {
    this.time = t;
  }

  /** Height of the tip block (0 = empty chain). */
  get tipHeight(): number {
    return this.height;
  }

  /** Queues a storage tx after checking the issuer's signature. */
  submitStorage(p: StoragePayload): LedgerRejection | undefined {
    if (!verifyStoragePayload(p)) return 'bad-signature';
    this.storage.push({ payload: p, height: 0 });
    return undefined;
  }

  /** Queues an access tx after checking the grantor's signature and the ownership rule. */
  submitAccess(p: AccessPayload): LedgerRejection | undefined {
    if (!verifyAccessPayload(p)) return 'bad-signature';
    const first = this.access.find((a) => a.payload.uri === p.uri); // chain order, queue last
    if (first !== undefined && !equalBytes(first.payload.grantorKey, p.grantorKey)) return 'not-owner';
    this.access.push({ payload: p, height: 0 });
    return undefined;
  }

  /** Seals all queued txs into one new block, then adds `blocks − 1` empty blocks. */
  mine(blocks = 1): void {
    for (let i = 0; i < blocks; i++) {
      this.height++;
      for (const list of [this.storage, this.access] as Placed<unknown>[][]) for (const t of list) if (t.height === 0) t.height = this.height;
    }
  }

  private confirmations(height: number): number {
    return height === 0 ? 0 : this.height - height + 1;
  }

  accessGrant(uri: string, grantee: Uint8Array, minConfirmations: number): AccessGrant | undefined {
    const d = Math.max(1, minConfirmations);
    const owner = this.recordOwner(uri, d);
    for (let i = this.access.length - 1; i >= 0; i--) {
      const t = this.access[i];
      const c = this.confirmations(t.height);
      if (c < d || t.payload.uri !== uri || !equalBytes(t.payload.granteeKey, grantee)) continue;
      if (owner === undefined || !equalBytes(owner, t.payload.grantorKey)) continue;
      const p = t.payload;
      return {
        uri,
        grantee: p.granteeKey,
        grantor: p.grantorKey,
        permissions: p.permissions,
        expiration: p.expiration,
        wrappedKey: p.wrappedKey,
        confirmations: c,
      };
    }
    return undefined;
  }

  recordOwner(uri: string, minConfirmations = 1): Uint8Array | undefined {
    const d = Math.max(1, minConfirmations);
    const first = this.access.find((t) => t.payload.uri === uri);
    if (first === undefined || this.confirmations(first.height) < d) return undefined;
    return first.payload.grantorKey;
  }

  storageRecord(digest: Uint8Array, minConfirmations = 1): StorageEntry | undefined {
    const d = Math.max(1, minConfirmations);
    const hex = bytesToHex(digest);
    for (const t of this.storage) {
      const c = this.confirmations(t.height);
      if (c >= d && bytesToHex(t.payload.digest) === hex) return { payload: t.payload, confirmations: c };
    }
    return undefined;
  }
}
