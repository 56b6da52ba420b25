/**
 * Deterministic Paillier and ring-Pedersen keys with an on-disk cache, so that a scenario with
 * hundreds of parties does not spend its start-up in prime generation.
 *
 * Every key is a pure function of (key seed, label, size): its primes come from
 * `seededRandom(seed, label)` (ChaCha20, protocols/crypto/random.ts), so a cache hit and a fresh
 * generation give the same key, and the cache can be deleted at any time. The cache holds the
 * primes (and, for genesis balances, one precomputed rⁿ per account: see `genesisRn`) in JSON
 * files under `results/cache/keys/` (git-ignored; `MEDSIM_KEY_CACHE` overrides the directory,
 * `MEDSIM_KEY_CACHE=off` disables it). It is key material: never commit it. Files are written
 * atomically (temp + rename); two processes filling the same file at once may each drop the
 * other's new entries, which only costs a regeneration.
 *
 * The file name includes `DERIVATION`, the version of the seed-to-key derivation: a change to
 * `seededRandom` or to the key generators must bump it, so stale primes are never reused.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { writeFileAtomic, PROJECT_ROOT } from '../../sim/results.ts';
import { encryptWithRn, generateKeyPair, nonceToRn, privateKeyFromPrimes, randomNonce, type PaillierKeyPair } from '../crypto/paillier.ts';
import { seededRandom } from '../crypto/random.ts';
import { generateRingPedersen, ringPedersenFromPrimes, type RingPedersenSetup } from '../crypto/ring-pedersen.ts';

/** Version of the (seed, label, size) → key derivation; part of every cache file name. */
export const DERIVATION = 'settlement-keys/v2'; // v2: seededRandom's injective derivation (random/v2)

interface CacheFile {
  derivation: string;
  seed: string;
  kind: 'paillier' | 'ring-pedersen';
  bits: number;
  /** label → primes (hex) and, for Paillier keys, the genesis rⁿ mod n² (hex) */
  entries: Record<string, { p: string; q: string; rn?: string }>;
}

/** Where cache files live; undefined = cache disabled. */
export function keyCacheDir(): string | undefined {
  const env = process.env.MEDSIM_KEY_CACHE;
  if (env === 'off') return undefined;
  return env && env.length > 0 ? env : join(PROJECT_ROOT, 'results', 'cache', 'keys');
}

const hex = (x: bigint) => '0x' + x.toString(16);

/**
 * A key source for one key seed. Keys are memoised in memory for the process; `flush()` writes
 * new entries to disk (callers flush once after building a run's directory).
 */
export class KeyStore {
  private readonly files = new Map<string, CacheFile>();
  private readonly dirty = new Set<string>();
  private readonly paillierMemo = new Map<string, PaillierKeyPair>();
  private readonly rpMemo = new Map<string, RingPedersenSetup>();
  /** Keys generated (not found in the cache) since construction. */
  generated = 0;

  constructor(
    readonly seed: string,
    private readonly dir: string | undefined = keyCacheDir(),
  ) {}

  private fileName(kind: CacheFile['kind'], bits: number): string {
    const id = Buffer.from(sha256(new TextEncoder().encode(`${DERIVATION}\u0000${this.seed}`))).toString('hex').slice(0, 16);
    return `${kind}-${bits}-${id}.json`;
  }

  private file(kind: CacheFile['kind'], bits: number): CacheFile {
    const name = this.fileName(kind, bits);
    let f = this.files.get(name);
    if (f) return f;
    f = { derivation: DERIVATION, seed: this.seed, kind, bits, entries: {} };
    const path = this.dir ? join(this.dir, name) : undefined;
    if (path && existsSync(path)) {
      try {
        const j = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
        if (j.derivation === DERIVATION && j.seed === this.seed && j.kind === kind && j.bits === bits && j.entries) f = j;
      } catch {
        // a corrupt cache file is ignored and rewritten
      }
    }
    this.files.set(name, f);
    return f;
  }

  /** The Paillier key pair for `label` with an n of `bits` bits. */
  paillier(label: string, bits: number): PaillierKeyPair {
    const memoKey = `${bits}/${label}`;
    const hit = this.paillierMemo.get(memoKey);
    if (hit) return hit;
    const f = this.file('paillier', bits);
    const e = f.entries[label];
    let kp: PaillierKeyPair;
    if (e) {
      const sk = privateKeyFromPrimes(BigInt(e.p), BigInt(e.q));
      kp = { publicKey: sk.publicKey, privateKey: sk };
    } else {
      kp = generateKeyPair(bits, seededRandom(this.seed, `paillier/${bits}/${label}`));
      f.entries[label] = { p: hex(kp.privateKey.p), q: hex(kp.privateKey.q) };
      this.dirty.add(this.fileName('paillier', bits));
      this.generated++;
    }
    this.paillierMemo.set(memoKey, kp);
    return kp;
  }

  /**
   * An encryption of `amount` under `label`'s key with a nonce fixed by (seed, label): the
   * genesis balance. Its rⁿ mod n² (the only exponentiation) is cached next to the primes, so a
   * warm start pays one multiplication per account (Damgård–Jurik §3 off-line/on-line split).
   */
  genesisBalance(label: string, bits: number, amount: bigint): bigint {
    const kp = this.paillier(label, bits);
    const f = this.file('paillier', bits);
    const e = f.entries[label];
    let rn = e.rn !== undefined ? BigInt(e.rn) : undefined;
    if (rn === undefined) {
      const r = randomNonce(kp.publicKey, seededRandom(this.seed, `genesis-nonce/${bits}/${label}`));
      rn = nonceToRn(kp.publicKey, r);
      e.rn = hex(rn);
      this.dirty.add(this.fileName('paillier', bits));
    }
    return encryptWithRn(kp.publicKey, amount, rn);
  }

  /** Ring-Pedersen parameters (N̂ of `bits` bits, two safe primes) for `label`, with the trapdoor. */
  ringPedersen(label: string, bits: number): RingPedersenSetup {
    const memoKey = `${bits}/${label}`;
    const hit = this.rpMemo.get(memoKey);
    if (hit) return hit;
    const f = this.file('ring-pedersen', bits);
    const e = f.entries[label];
    let setup: RingPedersenSetup;
    const bases = seededRandom(this.seed, `ring-pedersen/${bits}/${label}/bases`);
    if (e) setup = ringPedersenFromPrimes(BigInt(e.p), BigInt(e.q), bases);
    else {
      const g = generateRingPedersen(bits, seededRandom(this.seed, `ring-pedersen/${bits}/${label}`));
      // s and t are re-derived from the primes exactly as a cache hit does, so both paths agree
      setup = ringPedersenFromPrimes(g.trapdoor.p, g.trapdoor.q, bases);
      f.entries[label] = { p: hex(setup.trapdoor.p), q: hex(setup.trapdoor.q) };
      this.dirty.add(this.fileName('ring-pedersen', bits));
      this.generated++;
    }
    this.rpMemo.set(memoKey, setup);
    return setup;
  }

  /** Writes new cache entries to disk (atomically); a no-op when the cache is off or clean. */
  flush(): void {
    if (!this.dir || this.dirty.size === 0) return;
    mkdirSync(this.dir, { recursive: true });
    for (const name of this.dirty) {
      const f = this.files.get(name)!;
      // Merge what another process may have written meanwhile, then write ours over it.
      const path = join(this.dir, name);
      if (existsSync(path)) {
        try {
          const j = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
          if (j.derivation === DERIVATION && j.entries) for (const [k, v] of Object.entries(j.entries)) f.entries[k] ??= v;
        } catch {
          // unreadable: overwrite
        }
      }
      writeFileAtomic(path, JSON.stringify(f) + '\n');
    }
    this.dirty.clear();
  }
}

/** One store per key seed per process (a sweep worker builds many runs with the same keys). */
const stores = new Map<string, KeyStore>();

export function keyStoreFor(seed: string): KeyStore {
  let s = stores.get(seed);
  if (!s) stores.set(seed, (s = new KeyStore(seed)));
  return s;
}
