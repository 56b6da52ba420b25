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
