/**
 * Byzantine variants of the off-chain services (offchain.ts), each a separate class — the honest
 * code has no adversarial branches.
 *
 * - `CorruptCFragProxy`: re-encrypts honestly (only for committed grants) but sends a corrupted
 *   cFrag — E1 replaced by V1, both valid group elements, so the bytes decode and only the
 *   Chaum–Pedersen correctness proof (CheckCFrag, Umbral §"Verifiability") can tell. The receiver
 *   drops it and asks another proxy.
 * - `UngrantedProxy`: re-encrypts for anyone it holds a kFrag for — no committed grant needed, a
 *   revoke ignored (its kFrags are never deleted), committee membership ignored. This is the trust
 *   limit of proxy re-encryption: the chain only *records* the revoke; deleting kFrags is the
 *   proxies' good will. With m-of-n kFrags, fewer than m such proxies give the grantee fewer than
 *   m cFrags — useless (Umbral's combination check fails); m of them let a revoked grantee decrypt
 *   new fetches. Run as a Byzantine proxy it is excluded from the `no-ungranted-reencryption`
 *   invariant (counted, not judged); run as the `skip-grant-check` mutant on honest delegates it
 *   is judged, and the invariant fires.
 * - `TamperingReplicaStore`: stores honestly, serves altered bytes (one flipped ciphertext bit);
 *   the reader's content-address check rejects them and it tries another replica.
 */
import type { CFrag } from '../crypto/umbral.ts';
import type { AccessEntry } from './ledger.ts';
import { PreProxy, ReplicaStore } from './offchain.ts';
import type { ProxyRefusal } from './offchain.ts';

export class CorruptCFragProxy extends PreProxy {
  /** cFrags corrupted and sent. */
  corrupted = 0;

  protected override finish(cfrag: CFrag): CFrag {
    this.corrupted++;
    return { ...cfrag, e1: Uint8Array.from(cfrag.v1) };
  }
}

export class UngrantedProxy extends PreProxy {
  protected override authorise(record: string, grantee: number, capsuleBytes: Uint8Array): ReturnType<PreProxy['authorise']> {
    const byDelegation = this.held.get(`${record}|${grantee}`);
    if (!byDelegation || byDelegation.size === 0) return 'no-kfrag' satisfies ProxyRefusal;
    // The kFrag received last (Map keeps insertion order); the capsule is checked by reencrypt().
    void capsuleBytes;
    return [...byDelegation.values()][byDelegation.size - 1];
  }

  /** Keeps every kFrag, whatever the log says. */
  protected override onAccess(_e: AccessEntry): void {}
}

export class TamperingReplicaStore extends ReplicaStore {
  protected override serve(object: Uint8Array): Uint8Array {
    const altered = Uint8Array.from(object);
    altered[altered.length - 20] ^= 0x01; // a ciphertext byte (before the 16-byte AEAD tag)
    return altered;
  }
}
