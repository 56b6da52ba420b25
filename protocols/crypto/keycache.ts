/**
 * A deterministic key-material cache: derive expensive key material (Paillier keys, ring-Pedersen
 * moduli from safe primes) once per (kind, seed, label, size) and reuse it across processes.
 *
 * Contract: `generate` must be a pure function of the id — e.g. a generator driven by
 * `seededRandom(seed, label)` — so a value loaded from the cache is exactly the value a cold run
 * would derive, and simulations stay deterministic whether the cache is warm, cold or disabled.
 *
 * - **Key**: SHA-256 over the length-prefixed parts ("medchain-sim/keycache/v1", kind,
 *   `encodeSeed(seed)` (type-tagged, see `random.ts`), label, size in bits as u32) — injective,
 *   so two different ids never share an entry. Bump the kind (e.g. `paillier/v2`) whenever the
 *   generator changes its output.
 * - **Where**: `<project>/.cache/medsim/keys/` (git-ignored; no key material is ever committed),
 *   or `$MEDSIM_CACHE_DIR/keys` when that variable is set, or an explicit `dir`. One JSON file
 *   per id, named `<kind>-<bits>-<first 32 hex digits of the key>.json`.
 * - **Writes** are atomic (`writeFileAtomic`: temp file, fsync, rename), so concurrent workers
 *   deriving the same id at once simply write the same bytes; a reader never sees half a file.
 * - **Verified on load**: the file must name the same id and key, its SHA-256 checksum over
 *   (key ‖ fields) must match, the codec must decode it, and the codec's `check` (e.g. primality
 *   and bit lengths) must pass. Anything else — a truncated, edited or foreign file — is ignored,
 *   the material is re-derived and the file rewritten; the result says so (`replaced`).
 * - A process-wide in-memory map (by key) sits in front of the disk, so each id is decoded once
 *   per process.
 *
 * The cache never decides anything: it only saves the time of recomputing a deterministic value.
 * It stores private keys in the clear — simulation keys, not real ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { PROJECT_ROOT, writeFileAtomic } from '../../sim/results.ts';
import { bytesToHex, frameParts } from './encoding.ts';
import { encodeSeed, type SeedInput } from './random.ts';

const FORMAT = 'medchain-sim/keycache/v1';
const encoder = new TextEncoder();

/** What a cache entry is: the kind of material and the (seed, label, size) it is derived from. */
export interface KeyCacheId {
  /** kind of material and generator version, e.g. `ring-pedersen/v1`, `paillier/v1` */
  readonly kind: string;
  /** the seed the generator's random stream is derived from */
  readonly seed: SeedInput;
  /** the stream label, e.g. `settlement/patient/17` */
  readonly label: string;
  /** size parameter in bits (modulus length) */
  readonly bits: number;
}

/** How to store one kind of material: as named strings (bigints as hex), and how to check it. */
export interface KeyCodec<T> {
  /** The material as a flat record of strings (e.g. `{ p: '0x…', q: '0x…' }`). */
  encode(value: T): Record<string, string>;
  /** Inverse of `encode`; may throw on malformed fields (the entry is then re-derived). */
  decode(fields: Readonly<Record<string, string>>): T;
  /** Semantic check of decoded material (bit lengths, primality…); false ⇒ re-derive. */
  check?(value: T, id: KeyCacheId): boolean;
}

export interface KeyCacheOptions {
  /**
   * Cache directory; `false` disables the disk (memory only). Default: `$MEDSIM_CACHE_DIR/keys`
   * if set, else `<project>/.cache/medsim/keys`.
   */
  readonly dir?: string | false;
}

/** Where a value came from: this process's memory, a verified file, or the generator. */
export type KeyCacheSource = 'memory' | 'disk' | 'generated';

export interface KeyCacheResult<T> {
  readonly value: T;
  readonly source: KeyCacheSource;
  /** the entry's file (undefined when the disk is disabled) */
  readonly file?: string;
  /** why an existing file was not used (it was then rewritten) */
  readonly replaced?: string;
  /** set when the derived value could not be written (the value is still returned) */
  readonly writeError?: string;
}

/** The default cache directory (see `KeyCacheOptions.dir`). */
export function defaultKeyCacheDir(): string {
  const env = process.env.MEDSIM_CACHE_DIR;
  return env ? join(env, 'keys') : join(PROJECT_ROOT, '.cache', 'medsim', 'keys');
}

function checkId(id: KeyCacheId): void {
  if (typeof id.kind !== 'string' || !/^[a-z0-9][a-z0-9./-]*$/.test(id.kind)) throw new RangeError('keycache: kind must be lower-case [a-z0-9./-]');
  if (typeof id.label !== 'string') throw new TypeError('keycache: label must be a string');
  if (!Number.isInteger(id.bits) || id.bits < 1 || id.bits > 0xffffffff) throw new RangeError('keycache: bits must be a positive integer');
}

/** The entry key: hex SHA-256 of the framed id (see header). */
export function keyCacheKey(id: KeyCacheId): string {
  checkId(id);
  const bits = new Uint8Array(4);
  new DataView(bits.buffer).setUint32(0, id.bits, false);
  return bytesToHex(sha256(frameParts([encoder.encode(FORMAT), encoder.encode(id.kind), encodeSeed(id.seed), encoder.encode(id.label), bits])));
}

/** The file of an id's entry in `dir`. */
export function keyCacheFile(id: KeyCacheId, dir: string = defaultKeyCacheDir()): string {
  return join(dir, `${id.kind.replace(/[/.]/g, '_')}-${id.bits}-${keyCacheKey(id).slice(0, 32)}.json`);
}

function checksum(key: string, fields: Readonly<Record<string, string>>): string {
  const names = Object.keys(fields).sort();
  const parts = [encoder.encode(key)];
  for (const n of names) parts.push(encoder.encode(n), encoder.encode(fields[n]));
  return bytesToHex(sha256(frameParts(parts)));
}

function describeSeed(seed: SeedInput): { type: string; value: string } {
  if (typeof seed === 'number') return { type: 'number', value: String(seed) };
  if (typeof seed === 'string') return { type: 'string', value: seed };
  return { type: 'bytes', value: bytesToHex(seed) };
}

interface EntryFile {
  format: string;
  key: string;
  kind: string;
  label: string;
  bits: number;
  seed: { type: string; value: string };
  fields: Record<string, string>;
  checksum: string;
}

/** Reads and verifies an entry; returns the value or the reason it was not usable. */
function load<T>(file: string, id: KeyCacheId, key: string, codec: KeyCodec<T>): { value: T } | { reason: string } {
  let entry: EntryFile;
  try {
    entry = JSON.parse(readFileSync(file, 'utf8')) as EntryFile;
  } catch (e) {
    return { reason: `unreadable (${(e as Error).message})` };
  }
  if (entry === null || typeof entry !== 'object' || entry.format !== FORMAT) return { reason: 'unknown format' };
  if (entry.key !== key || entry.kind !== id.kind || entry.label !== id.label || entry.bits !== id.bits) return { reason: 'entry names another id' };
  const fields = entry.fields;
  if (fields === null || typeof fields !== 'object' || Object.values(fields).some((v) => typeof v !== 'string')) return { reason: 'malformed fields' };
  if (entry.checksum !== checksum(key, fields)) return { reason: 'checksum mismatch' };
  let value: T;
  try {
    value = codec.decode(fields);
  } catch (e) {
    return { reason: `undecodable (${(e as Error).message})` };
  }
  if (codec.check && !codec.check(value, id)) return { reason: 'failed its check' };
  return { value };
}

const memory = new Map<string, unknown>();

/**
 * The material for `id`: from this process's memory, else from a verified cache file, else from
 * `generate()` (then stored). `generate` must be deterministic in the id (see header).
 */
export function cachedKeyMaterial<T>(id: KeyCacheId, codec: KeyCodec<T>, generate: () => T, options: KeyCacheOptions = {}): KeyCacheResult<T> {
  const key = keyCacheKey(id);
  const dir = options.dir === undefined ? defaultKeyCacheDir() : options.dir;
  const file = dir === false ? undefined : keyCacheFile(id, dir);
  const inMemory = memory.get(key) as T | undefined;
  if (inMemory !== undefined) return { value: inMemory, source: 'memory', file };
  let replaced: string | undefined;
  if (file && existsSync(file)) {
    const got = load(file, id, key, codec);
    if ('value' in got) {
      memory.set(key, got.value);
      return { value: got.value, source: 'disk', file };
    }
    replaced = got.reason;
  }
  const value = generate();
  memory.set(key, value);
  let writeError: string | undefined;
  if (file) {
    const fields = codec.encode(value);
    const entry: EntryFile = { format: FORMAT, key, kind: id.kind, label: id.label, bits: id.bits, seed: describeSeed(id.seed), fields, checksum: checksum(key, fields) };
    try {
      writeFileAtomic(file, JSON.stringify(entry, null, 2) + '\n');
    } catch (e) {
      writeError = (e as Error).message;
    }
  }
  return { value, source: 'generated', file, replaced, writeError };
}

/** Forgets the in-memory entries (tests; the disk is untouched). */
export function clearKeyCacheMemory(): void {
  memory.clear();
}

/** `0x`-prefixed lower-case hex of a non-negative bigint (for codecs). */
export function bigintToField(x: bigint): string {
  if (x < 0n) throw new RangeError('keycache: negative integer');
  return '0x' + x.toString(16);
}

/** Inverse of `bigintToField`; throws on anything else. */
export function fieldToBigint(field: string | undefined, name = 'field'): bigint {
  if (typeof field !== 'string' || !/^0x[0-9a-f]+$/.test(field)) throw new RangeError(`keycache: ${name} is not 0x-hex`);
  return BigInt(field);
}
