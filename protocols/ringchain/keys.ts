/**
 * Ring-signing identities and transaction signing for the workload and the adversaries: a
 * one-time key pair (protocols/crypto/ringsig.ts), its key image and the sender pseudonym derived
 * from it (tx.ts), and `signTx`, which signs with a ring chosen by the decoy policy.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateKeyPair, keyImageOf, sign, type RingKeyCache } from '../crypto/ringsig.ts';
import type { RandomSource } from '../crypto/random.ts';
import type { Address } from './contracts/index.ts';
import { decodeTx, encodeTx, pseudonymOf, signingMessage, type RingTx, type UnsignedTx } from './tx.ts';

export interface RingIdentity {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly publicHex: string;
  readonly keyImage: Uint8Array;
  /** The sender address of every tx this key signs. */
  readonly pseudonym: Address;
}

export function newIdentity(random: RandomSource): RingIdentity {
  const kp = generateKeyPair(random);
  const keyImage = keyImageOf(kp.secretKey);
  return { secretKey: kp.secretKey, publicKey: kp.publicKey, publicHex: bytesToHex(kp.publicKey), keyImage, pseudonym: pseudonymOf(keyImage) };
}

/** Signs `u` with `signer`'s key over `ring` (which must contain its public key) and decodes the result. */
export function signTx(u: UnsignedTx, ring: readonly Uint8Array[], signer: RingIdentity, cache: RingKeyCache, random: RandomSource): RingTx {
  const sig = sign(signingMessage(u.nonce, u.to, u.data), cache.prepare(ring), signer.secretKey, random);
  const tx = decodeTx(encodeTx(u, ring, sig));
  if ('reason' in tx) throw new Error(`signTx produced an undecodable tx: ${tx.reason}`);
  return tx;
}
