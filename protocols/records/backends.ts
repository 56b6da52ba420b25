/**
 * Storage backends for the off-chain record store (seed 000 §2.3: medical records are kept
 * encrypted in "cloud storage" off the chain; the chain holds only their hash and location).
 *
 * Every backend is content-addressed: `put(bytes)` returns `medrec:<hex SHA-256(bytes)>`
 * (FIPS 180-4), so a stored object cannot be altered without changing its name. Backends store
 * whatever bytes they are given; the store only ever hands them ciphertexts.
 *
 * - `MemoryBackend` — a Map (the simulation default).
 * - `DirectoryBackend` — one file per object in a directory, named by the hex hash. Writes are
 *   atomic: bytes go to a temp file in the same directory, are fsync'ed, then `rename(2)`d onto
 *   the final name (POSIX rename is atomic within one file system), so a crash leaves either no
 *   object or the whole object, never a partial file under a content name. Stale temp files are
 *   removed when a backend opens the directory. Reads re-hash the file; a mismatch throws
 *   `RecordTamperedError`.
 * - `TamperingBackend` — wraps another backend and alters objects on read: the attack model
 *   "a storage node alters a ciphertext" (issue 3), detected by the reader.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, existsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../crypto/hash.ts';
import { bytesToHex } from '../crypto/encoding.ts';

/** URI scheme of stored records. */
export const URI_PREFIX = 'medrec:';
const URI_RE = /^medrec:[0-9a-f]{64}$/;

/** The content address of `bytes`: `medrec:` + hex SHA-256. */
export function contentUri(bytes: Uint8Array): string {
  return URI_PREFIX + bytesToHex(sha256(bytes));
}

/** True iff `uri` is syntactically a record URI. */
export function isRecordUri(uri: string): boolean {
  return URI_RE.test(uri);
}

/** True iff `bytes` hash to `uri`. */
export function matchesUri(uri: string, bytes: Uint8Array): boolean {
  return contentUri(bytes) === uri;
}

/** Thrown by a backend's `get` when a stored object no longer hashes to its name. */
export class RecordTamperedError extends Error {
  constructor(readonly uri: string) {
    super(`record ${uri} is tampered: content does not match its address`);
    this.name = 'RecordTamperedError';
  }
}

/** One content-addressed object store. */
export interface RecordBackend {
  /** Stores `bytes` (idempotent) and returns their URI. */
  put(bytes: Uint8Array): string;
  /** The bytes stored under `uri`, or undefined. Throws `RecordTamperedError` if verification fails. */
  get(uri: string): Uint8Array | undefined;
  has(uri: string): boolean;
  /** Removes the object; returns whether it existed. */
  delete?(uri: string): boolean;
}

/** In-memory backend. Copies on the way in and out, so callers cannot alias stored bytes. */
export class MemoryBackend implements RecordBackend {
  private readonly objects = new Map<string, Uint8Array>();
  /** @param verifyOnRead re-hash on every `get` (default true) */
  constructor(private readonly verifyOnRead = true) {}

  put(bytes: Uint8Array): string {
    const uri = contentUri(bytes);
    if (!this.objects.has(uri)) this.objects.set(uri, bytes.slice());
    return uri;
  }

  get(uri: string): Uint8Array | undefined {
    const b = this.objects.get(uri);
    if (b === undefined) return undefined;
    if (this.verifyOnRead && !matchesUri(uri, b)) throw new RecordTamperedError(uri);
    return b.slice();
  }

  has(uri: string): boolean {
    return this.objects.has(uri);
  }

  delete(uri: string): boolean {
    return this.objects.delete(uri);
  }

  /** Number of stored objects. */
  get size(): number {
    return this.objects.size;
  }

  /** Test / attack hook: overwrite the stored bytes in place (simulates silent corruption). */
  corrupt(uri: string, mutate: (bytes: Uint8Array) => Uint8Array): void {
    const b = this.objects.get(uri);
    if (b !== undefined) this.objects.set(uri, mutate(b.slice()));
  }
}

/** File operations used by `DirectoryBackend`; injectable to simulate crashes in tests. */
export interface FileOps {
  /** Writes `bytes` to a new file at `path` and makes them durable (fsync). */
  writeDurable(path: string, bytes: Uint8Array): void;
  rename(from: string, to: string): void;
}

export const nodeFileOps: FileOps = {
  writeDurable(path, bytes) {
    const fd = openSync(path, 'wx', 0o600);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  rename(from, to) {
    renameSync(from, to);
  },
};

const TMP_PREFIX = '.tmp-';

/** Content-addressed files in one directory, written atomically, verified on read. */
export class DirectoryBackend implements RecordBackend {
  private tmpCounter = 0;

  /**
   * Opens (creating if needed) `dir` and removes stale temp files left by an interrupted write.
   * @param ops file operations (override to inject failures)
   */
  constructor(
    readonly dir: string,
    private readonly ops: FileOps = nodeFileOps,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (name.startsWith(TMP_PREFIX)) rmSync(join(dir, name), { force: true });
  }

  private pathOf(uri: string): string {
    if (!isRecordUri(uri)) throw new RangeError(`not a record URI: ${uri}`);
    return join(this.dir, uri.slice(URI_PREFIX.length));
  }

  put(bytes: Uint8Array): string {
    const uri = contentUri(bytes);
    const final = this.pathOf(uri);
    if (existsSync(final)) return uri; // content-addressed: identical bytes already present
    const tmp = join(this.dir, `${TMP_PREFIX}${uri.slice(URI_PREFIX.length)}-${process.pid}-${this.tmpCounter++}`);
    try {
      this.ops.writeDurable(tmp, bytes);
      this.ops.rename(tmp, final);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return uri;
  }

  get(uri: string): Uint8Array | undefined {
    if (!isRecordUri(uri)) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(this.pathOf(uri)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (!matchesUri(uri, bytes)) throw new RecordTamperedError(uri);
    return bytes;
  }

  has(uri: string): boolean {
    return isRecordUri(uri) && existsSync(this.pathOf(uri));
  }

  delete(uri: string): boolean {
    if (!this.has(uri)) return false;
    rmSync(this.pathOf(uri), { force: true });
    return true;
  }

  /** The URIs present, sorted (temp files excluded). */
  list(): string[] {
    return readdirSync(this.dir)
      .filter((n) => /^[0-9a-f]{64}$/.test(n))
      .sort()
      .map((n) => URI_PREFIX + n);
  }
}

/**
 * A dishonest storage node: serves `mutate(uri, bytes)` instead of the stored bytes and skips
 * verification. Readers detect it by the content address and by AEAD authentication.
 */
export class TamperingBackend implements RecordBackend {
  constructor(
    private readonly inner: RecordBackend,
    private readonly mutate: (uri: string, bytes: Uint8Array) => Uint8Array,
  ) {}
  put(bytes: Uint8Array): string {
    return this.inner.put(bytes);
  }
  get(uri: string): Uint8Array | undefined {
    const b = this.inner.get(uri);
    return b === undefined ? undefined : this.mutate(uri, b);
  }
  has(uri: string): boolean {
    return this.inner.has(uri);
  }
}

/** Flips one bit of byte `index` (default: the last byte) — a minimal ciphertext tamper. */
export function flipBit(bytes: Uint8Array, index = bytes.length - 1): Uint8Array {
  const out = bytes.slice();
  out[index] ^= 0x01;
  return out;
}
