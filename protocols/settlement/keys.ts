/**
 * The settlement parties' keys: deterministic Paillier key pairs and the regulator's
 * ring-Pedersen setup, through the shared key-material cache (protocols/crypto/keycache.ts,
 * `.cache/medsim/keys/` or `$MEDSIM_CACHE_DIR/keys`, git-ignored: no key material is committed).
 *
 * Every key is a pure function of (key seed, label, size), so a cache hit and a fresh generation
 * give the same key and the cache can be deleted at any time:
 * - an account's key pair is `generateKeyPair(bits, seededRandom(seed, "settlement/account/<label>"))`,
 *   stored with its genesis rⁿ mod n² (r from `seededRandom(seed, "settlement/genesis-nonce/<label>")`),
 *   so a warm start pays one multiplication per genesis balance instead of an exponentiation
 *   (Damgård–Jurik §3's off-line/on-line split);
 * - the regulator's ring-Pedersen setup is `deriveRingPedersenSetup(seed, "settlement/<label>", bits)`.
 * A warm 2048-bit account costs a file read, the CRT precomputation and 2 Miller–Rabin rounds
 * per prime (`medsim bench settlement --startup` measures 500 patients).
 */
import type { KeyCacheOptions, KeyCacheSource } from '../crypto/keycache.ts';
import { encryptWithRn, nonceToRn, randomNonce, type PaillierKeyPair } from '../crypto/paillier.ts';
import { derivePaillierKeyPair } from '../crypto/paillier-keys.ts';
import { seededRandom } from '../crypto/random.ts';
import { deriveRingPedersenSetupDetailed, type RingPedersenSetup } from '../crypto/ring-pedersen.ts';

/** Cache kind of settlement account keys (bump when the derivation above changes). */
export const ACCOUNT_KEY_KIND = 'settlement-account/v1';

/** Miller–Rabin rounds per prime when a cached account key is loaded (see paillier-keys.ts). */
const LOAD_ROUNDS = 2;

/** Keys by source over the whole process (the start-up benchmark reads it around a build). */
export const processKeySources: Record<KeyCacheSource, number> = { memory: 0, disk: 0, generated: 0 };

/** The keys of one key seed, with counts of where they came from. */
export class SettlementKeys {
  /** Keys by source since construction: this process's memory, a verified cache file, or generated. */
  readonly sources: Record<KeyCacheSource, number> = { memory: 0, disk: 0, generated: 0 };

  constructor(
    readonly seed: string,
    private readonly cache: KeyCacheOptions = {},
  ) {}

  private account(label: string, bits: number): { keyPair: PaillierKeyPair; rn: bigint } {
    const seed = this.seed;
    const r = derivePaillierKeyPair(
      { kind: ACCOUNT_KEY_KIND, seed, label: `settlement/account/${label}`, bits },
      {
        ...this.cache,
        rounds: LOAD_ROUNDS,
        extraNames: ['rn'],
        extra: (kp) => ({ rn: nonceToRn(kp.privateKey, randomNonce(kp.publicKey, seededRandom(seed, `settlement/genesis-nonce/${label}`))) }),
      },
    );
    this.sources[r.source]++;
    processKeySources[r.source]++;
    return { keyPair: r.value.keyPair, rn: r.value.extra.rn };
  }

  /** The Paillier key pair of `label` (an account or the regulator) with an n of `bits` bits. */
  paillier(label: string, bits: number): PaillierKeyPair {
    return this.account(label, bits).keyPair;
  }

  /**
   * An encryption of `amount` under `label`'s key with the nonce fixed by (seed, label): the
   * genesis balance (public at genesis, so a fixed nonce hides nothing that is not public).
   */
  genesisBalance(label: string, bits: number, amount: bigint): bigint {
    const { keyPair, rn } = this.account(label, bits);
    return encryptWithRn(keyPair.publicKey, amount, rn);
  }

  /** Ring-Pedersen parameters (N̂ of `bits` bits, two safe primes) for `label`, with the trapdoor. */
  ringPedersen(label: string, bits: number): RingPedersenSetup {
    const r = deriveRingPedersenSetupDetailed(this.seed, `settlement/${label}`, bits, this.cache);
    this.sources[r.source]++;
    processKeySources[r.source]++;
    return r.value;
  }
}
