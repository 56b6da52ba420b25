import { describe, expect, it } from 'vitest';
import { osRandom, randomBelow, seededRandom } from '../../protocols/crypto/random.ts';

describe('random sources', () => {
  it('seeded streams are reproducible and independent of chunking', () => {
    const a = seededRandom(42, 'node/1');
    const b = seededRandom(42, 'node/1');
    const whole = a(3000);
    const parts = new Uint8Array(3000);
    let off = 0;
    for (const n of [1, 63, 64, 900, 1972]) { parts.set(b(n), off); off += n; }
    expect(Buffer.from(parts).equals(Buffer.from(whole))).toBe(true);
  });
  it('different labels and seeds give different streams', () => {
    const x = Buffer.from(seededRandom(42, 'node/1')(32));
    expect(x.equals(Buffer.from(seededRandom(42, 'node/2')(32)))).toBe(false);
    expect(x.equals(Buffer.from(seededRandom(43, 'node/1')(32)))).toBe(false);
    expect(x.equals(Buffer.from(seededRandom('42', 'node/1')(32)))).toBe(false);
  });
  it('os random returns fresh bytes', () => {
    expect(Buffer.from(osRandom(32)).equals(Buffer.from(osRandom(32)))).toBe(false);
  });
  it('randomBelow stays in range and covers it', () => {
    const r = seededRandom(1, 'below');
    const seen = new Set<bigint>();
    for (let i = 0; i < 2000; i++) { const v = randomBelow(7n, r); expect(v >= 0n && v < 7n).toBe(true); seen.add(v); }
    expect(seen.size).toBe(7);
  });
});

describe('seeded key derivation is injective (length-prefixed seed and label, type-tagged seed)', () => {
  const first = (seed: number | string | Uint8Array, label: string) => Buffer.from(seededRandom(seed, label)(32)).toString('hex');
  const u = (s: string) => new TextEncoder().encode(s);
  it('pairs that a plain separator or untagged bytes would merge give different streams', () => {
    const pairs: Array<[number | string | Uint8Array, string]> = [
      ['a\0b', 'c'],
      ['a', 'b\0c'],
      ['ab', 'c'],
      ['a', 'bc'],
      [1, 'x'],
      ['1', 'x'],
      [u('1'), 'x'],
      [u('n:1'), 'x'], // v1 encoded the number 1 as the bytes "n:1"
      [u('s:1'), 'x'], // … and the string "1" as "s:1"
      [u('a'), '\0x'],
      [u('a\0'), 'x'],
      [new Uint8Array(0), ''],
      ['', ''],
      [0, ''],
    ];
    const streams = new Set(pairs.map(([s, l]) => first(s, l)));
    expect(streams.size).toBe(pairs.length);
  });
  it('equal seeds give equal streams (−0 is 0); bad seeds are refused', () => {
    expect(first(-0, 'x')).toBe(first(0, 'x'));
    expect(first(u('q'), 'x')).toBe(first(Uint8Array.of(0x71), 'x'));
    expect(() => seededRandom(Number.NaN, 'x')).toThrow(RangeError);
    expect(() => seededRandom({} as unknown as string, 'x')).toThrow(TypeError);
  });
});
