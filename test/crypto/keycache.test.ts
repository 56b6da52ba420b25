import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bigintToField,
  cachedKeyMaterial,
  clearKeyCacheMemory,
  fieldToBigint,
  keyCacheFile,
  keyCacheKey,
  type KeyCodec,
  type KeyCacheId,
} from '../../protocols/crypto/keycache.ts';
import { randomBelow, seededRandom } from '../../protocols/crypto/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'medsim-keycache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in "key": two numbers derived from the id's stream; `check` wants a < b. */
interface Pair { a: bigint; b: bigint }
const codec: KeyCodec<Pair> = {
  encode: (v) => ({ a: bigintToField(v.a), b: bigintToField(v.b) }),
  decode: (f) => ({ a: fieldToBigint(f.a, 'a'), b: fieldToBigint(f.b, 'b') }),
  check: (v) => v.a < v.b,
};
let generated = 0;
const derive = (id: KeyCacheId) => () => {
  generated++;
  const r = seededRandom(id.seed, id.label);
  const a = randomBelow(1n << BigInt(id.bits - 1), r);
  return { a, b: a + 1n + randomBelow(1000n, r) };
};

describe('key cache', () => {
  const id: KeyCacheId = { kind: 'test-pair/v1', seed: 7, label: 'alice', bits: 64 };

  it('derives once, then serves memory, then a verified file in a fresh process', () => {
    generated = 0;
    const first = cachedKeyMaterial(id, codec, derive(id), { dir });
    expect(first.source).toBe('generated');
    expect(cachedKeyMaterial(id, codec, derive(id), { dir }).source).toBe('memory');
    clearKeyCacheMemory(); // as a new process would start
    const again = cachedKeyMaterial(id, codec, derive(id), { dir });
    expect(again.source).toBe('disk');
    expect(again.value).toEqual(first.value);
    expect(generated).toBe(1);
    // no temporary files are left behind (atomic writes)
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a tampered, foreign or semantically bad file is ignored and rewritten', () => {
    const file = keyCacheFile(id, dir);
    const good = readFileSync(file, 'utf8');
    const cases: Array<[string, string]> = [
      ['edited value', good.replace(/"a": "0x[0-9a-f]+"/, '"a": "0x5"')],
      ['truncated', good.slice(0, good.length / 2)],
      ['other id', good.replace('"alice"', '"bob"')],
    ];
    for (const [name, text] of cases) {
      clearKeyCacheMemory();
      writeFileSync(file, text);
      const r = cachedKeyMaterial(id, codec, derive(id), { dir });
      expect(r.source, name).toBe('generated');
      expect(r.replaced, name).toBeTruthy();
      expect(readFileSync(file, 'utf8'), name).toBe(good); // rewritten with the derived value
    }
    // a well-formed file (valid checksum) whose content fails the codec's check: a > b
    const swapId = { ...id, label: 'swap' };
    const honest = derive(swapId)();
    const swappedCodec: KeyCodec<Pair> = { ...codec, encode: (v) => ({ a: bigintToField(v.b), b: bigintToField(v.a) }) };
    const written = cachedKeyMaterial(swapId, swappedCodec, () => honest, { dir });
    const swappedText = readFileSync(written.file as string, 'utf8');
    clearKeyCacheMemory();
    const r = cachedKeyMaterial(swapId, codec, derive(swapId), { dir });
    expect(r.replaced).toBe('failed its check');
    expect(r.value).toEqual(honest);
    expect(readFileSync(r.file as string, 'utf8')).not.toBe(swappedText);
  });

  it('keys are injective in kind, seed (with its type), label and size', () => {
    const base = keyCacheKey(id);
    const variants: KeyCacheId[] = [
      { ...id, kind: 'test-pair/v2' },
      { ...id, seed: '7' },
      { ...id, seed: new TextEncoder().encode('7') },
      { ...id, seed: 8 },
      { ...id, label: 'alice ' },
      { ...id, bits: 65 },
    ];
    const keys = new Set([base, ...variants.map(keyCacheKey)]);
    expect(keys.size).toBe(variants.length + 1);
    expect(keyCacheKey({ ...id, seed: 'ab', label: 'c' })).not.toBe(keyCacheKey({ ...id, seed: 'a', label: 'bc' }));
  });

  it('works without a disk', () => {
    clearKeyCacheMemory();
    const r = cachedKeyMaterial({ ...id, label: 'memory-only' }, codec, derive(id), { dir: false });
    expect(r.source).toBe('generated');
    expect(r.file).toBeUndefined();
    expect(cachedKeyMaterial({ ...id, label: 'memory-only' }, codec, derive(id), { dir: false }).source).toBe('memory');
  });
});
