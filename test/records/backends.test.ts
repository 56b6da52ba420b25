import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { DirectoryBackend, MemoryBackend, RecordTamperedError, contentUri, nodeFileOps } from '../../protocols/records/backends.ts';
import type { FileOps } from '../../protocols/records/backends.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'medrec-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const rnd = seededRandom(5, 'test/records/backends');

describe('MemoryBackend', () => {
  it('put/get/has/delete, copies, idempotent', () => {
    const b = new MemoryBackend();
    const bytes = rnd(100);
    const uri = b.put(bytes);
    expect(uri).toBe(contentUri(bytes));
    expect(b.put(bytes)).toBe(uri);
    expect(b.size).toBe(1);
    bytes[0] ^= 1; // caller mutation does not reach the stored copy
    expect(b.get(uri)![0]).toBe(bytes[0] ^ 1);
    expect(b.has(uri)).toBe(true);
    expect(b.delete(uri)).toBe(true);
    expect(b.get(uri)).toBeUndefined();
  });
});

describe('DirectoryBackend', () => {
  it('round-trips content-addressed files and survives reopening', () => {
    const dir = tempDir();
    const b = new DirectoryBackend(dir);
    const objs = [rnd(1), rnd(1000), new Uint8Array(0)];
    const uris = objs.map((o) => b.put(o));
    uris.forEach((u, i) => expect(b.get(u)).toEqual(objs[i]));
    const again = new DirectoryBackend(dir);
    expect(again.list()).toEqual([...uris].sort());
    expect(again.get(uris[1])).toEqual(objs[1]);
    expect(readdirSync(dir).sort()).toEqual(uris.map((u) => u.slice(7)).sort());
    expect(again.get('medrec:' + 'ff'.repeat(32))).toBeUndefined();
    expect(again.get('../etc/passwd')).toBeUndefined();
    expect(again.delete(uris[0])).toBe(true);
    expect(again.has(uris[0])).toBe(false);
  });

  it('reports a file whose hash does not match its name as tampered', () => {
    const dir = tempDir();
    const b = new DirectoryBackend(dir);
    const uri = b.put(rnd(64));
    const path = join(dir, uri.slice(7));
    const bytes = readFileSync(path);
    bytes[10] ^= 0x80;
    writeFileSync(path, bytes);
    expect(() => b.get(uri)).toThrow(RecordTamperedError);
  });

  it('writes atomically: a crash mid-write leaves no file under a content name', () => {
    const dir = tempDir();
    const crashing: FileOps = {
      writeDurable(path, bytes) {
        writeFileSync(path, bytes.subarray(0, bytes.length >> 1)); // half the bytes, then crash
        throw new Error('simulated crash');
      },
      rename: nodeFileOps.rename,
    };
    const b = new DirectoryBackend(dir, crashing);
    const bytes = rnd(4096);
    expect(() => b.put(bytes)).toThrow('simulated crash');
    const uri = contentUri(bytes);
    expect(b.has(uri)).toBe(false);
    expect(b.get(uri)).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]); // the temp file was cleaned up
    // a crash at rename, with the temp file left behind (process killed): reopening cleans it
    const dying: FileOps = {
      writeDurable: nodeFileOps.writeDurable,
      rename() {
        throw new Error('killed before rename');
      },
    };
    const leftover = join(dir, '.tmp-stale');
    writeFileSync(leftover, bytes.subarray(0, 10));
    expect(() => new DirectoryBackend(dir, dying).put(bytes)).toThrow('killed');
    expect(readdirSync(dir)).toEqual([]); // reopening removed .tmp-stale; failed put removed its temp
    const ok = new DirectoryBackend(dir);
    expect(ok.put(bytes)).toBe(uri);
    expect(ok.get(uri)).toEqual(bytes);
    expect(readdirSync(dir)).toEqual([uri.slice(7)]);
  });
});
