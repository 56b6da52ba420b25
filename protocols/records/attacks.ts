/**
 * Attacks on the chain view that record flows read (seed 000, §"tamper resistance"): separate
 * implementations of the `AccessLedger` interface — the extension point through which the store,
 * patients and third parties read the chain — never hooks inside an honest ledger.
 *
 * - `TamperedChainView` — "a miner alters a recorded transaction" (issue 3): wraps an honest
 *   ledger and serves chosen confirmed storage transactions altered (hash, signature, issuer key…),
 *   bypassing validation, as a dishonest chain view would. Readers that check the storage tx
 *   against the signed record (flows.ts `checkOnChain`) must answer `chain-mismatch`.
 */
import { bytesToHex } from '../crypto/encoding.ts';
import type { AccessGrant, AccessLedger, StorageEntry, StoragePayload } from './payloads.ts';

export class TamperedChainView implements AccessLedger {
  private readonly altered = new Map<string, (p: StoragePayload) => StoragePayload>();

  constructor(private readonly honest: AccessLedger) {}

  /** From now on, serve the storage tx with this digest altered by `mutate` (on a copy). */
  tamperStorage(digest: Uint8Array, mutate: (p: StoragePayload) => StoragePayload): void {
    this.altered.set(bytesToHex(digest), mutate);
  }

  now(): number {
    return this.honest.now();
  }
  accessGrant(uri: string, grantee: Uint8Array, minConfirmations: number): AccessGrant | undefined {
    return this.honest.accessGrant(uri, grantee, minConfirmations);
  }
  recordOwner(uri: string, minConfirmations?: number): Uint8Array | undefined {
    return this.honest.recordOwner(uri, minConfirmations);
  }
  storageRecord(digest: Uint8Array, minConfirmations?: number): StorageEntry | undefined {
    const e = this.honest.storageRecord(digest, minConfirmations);
    const mutate = this.altered.get(bytesToHex(digest));
    return e && mutate ? { ...e, payload: mutate({ ...e.payload }) } : e;
  }
}
