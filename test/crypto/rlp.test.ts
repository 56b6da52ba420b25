import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../protocols/crypto/encoding.ts';
import {
  RlpError,
  asBytes,
  asList,
  decodeString,
  decodeUint,
  decodeUintNumber,
  encodeString,
  encodeUint,
  rlpDecode,
  rlpEncode,
} from '../../protocols/crypto/rlp.ts';
import type { RlpErrorCode, RlpItem, RlpOptions } from '../../protocols/crypto/rlp.ts';

const s = encodeString;
const enc = (item: RlpItem) => bytesToHex(rlpEncode(item));
const LOREM = 'Lorem ipsum dolor sit amet, consectetur adipisicing elit';

/** Asserts that `fn` throws an RlpError with `code`. */
function expectCode(fn: () => unknown, code: RlpErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(RlpError);
  expect((caught as RlpError).code).toBe(code);
}
const decodeHex = (h: string, opts?: RlpOptions) => rlpDecode(hexToBytes(h), opts);

describe('RLP: yellow paper / Ethereum wiki examples', () => {
  const cases: [string, RlpItem, string][] = [
    ['"dog"', s('dog'), '83646f67'],
    ['["cat", "dog"]', [s('cat'), s('dog')], 'c88363617483646f67'],
    ['empty string', new Uint8Array(0), '80'],
    ['empty list', [], 'c0'],
    ['integer 0', encodeUint(0), '80'],
    ['byte 0x00', new Uint8Array([0]), '00'],
    ['byte 0x0f', new Uint8Array([0x0f]), '0f'],
    ['integer 15', encodeUint(15), '0f'],
    ['integer 1024', encodeUint(1024), '820400'],
    ['set-theoretical three', [[], [[]], [[], [[]]]], 'c7c0c1c0c3c0c1c0'],
    ['56-byte string', s(LOREM), 'b838' + bytesToHex(utf8ToBytes(LOREM))],
  ];
  for (const [name, item, hex] of cases) {
    it(`${name} ↔ 0x${hex.length > 20 ? hex.slice(0, 12) + '…' : hex}`, () => {
      expect(enc(item)).toBe(hex);
      expect(rlpDecode(hexToBytes(hex))).toEqual(item);
    });
  }
  it('boundaries: 55/56-byte strings and lists, 256-byte strings, 2^64-1', () => {
    expect(enc(new Uint8Array(55)).slice(0, 2)).toBe('b7');
    expect(enc(new Uint8Array(56)).slice(0, 4)).toBe('b838');
    expect(enc(new Uint8Array(256)).slice(0, 6)).toBe('b90100');
    expect(enc(new Uint8Array([0x80]))).toBe('8180');
    const list55 = Array.from({ length: 55 }, () => new Uint8Array([1]));
    expect(enc(list55).slice(0, 2)).toBe('f7');
    expect(enc([...list55, new Uint8Array([1])]).slice(0, 4)).toBe('f838');
    expect(enc(encodeUint(2n ** 64n - 1n))).toBe('88ffffffffffffffff');
    expect(decodeUint(rlpDecode(hexToBytes('88ffffffffffffffff')))).toBe(2n ** 64n - 1n);
  });
  it('scalar and string helpers', () => {
    expect(bytesToHex(encodeUint(0x0400))).toBe('0400');
    expect(bytesToHex(encodeUint(0n))).toBe('');
    expect(decodeUint(new Uint8Array(0))).toBe(0n);
    expect(decodeUintNumber(encodeUint(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeString(rlpDecode(rlpEncode(s('héllo ✓'))))).toBe('héllo ✓');
    expect(asList(rlpDecode(hexToBytes('c88363617483646f67')), 2)).toHaveLength(2);
  });
});

describe('RLP: strict decoding, one test per rejection code', () => {
  it('non-canonical-single-byte: 0x81 followed by a byte < 0x80', () => {
    expectCode(() => decodeHex('8100'), 'non-canonical-single-byte');
    expectCode(() => decodeHex('817f'), 'non-canonical-single-byte');
    expectCode(() => decodeHex('c28105'), 'non-canonical-single-byte');
    expect(decodeHex('8180')).toEqual(new Uint8Array([0x80]));
  });
  it('non-canonical-length: long form for a length < 56', () => {
    expectCode(() => decodeHex('b803646f67'), 'non-canonical-length');
    expectCode(() => decodeHex('b837' + '61'.repeat(55)), 'non-canonical-length');
    expectCode(() => decodeHex('f800'), 'leading-zero-length'); // f8 00: zero-length long form → leading zero
    expectCode(() => decodeHex('f837' + '01'.repeat(55)), 'non-canonical-length');
  });
  it('leading-zero-length: long-form length with a leading 0x00', () => {
    expectCode(() => decodeHex('b90038' + '61'.repeat(56)), 'leading-zero-length');
    expectCode(() => decodeHex('f90038' + '01'.repeat(56)), 'leading-zero-length');
  });
  it('truncated: input shorter than the declared length', () => {
    expectCode(() => decodeHex(''), 'truncated');
    expectCode(() => decodeHex('83646f'), 'truncated');
    expectCode(() => decodeHex('c88363617483646f'), 'truncated');
    expectCode(() => decodeHex('b838' + '61'.repeat(55)), 'truncated');
    expectCode(() => decodeHex('b9'), 'truncated'); // length field itself missing
    expectCode(() => decodeHex('bfffffffffffffffff'), 'truncated'); // 2^64-1 declared
    expectCode(() => decodeHex('c283616263'), 'truncated'); // member overruns its list
  });
  it('trailing-bytes: anything after the top-level item', () => {
    expectCode(() => decodeHex('83646f6700'), 'trailing-bytes');
    expectCode(() => decodeHex('8080'), 'trailing-bytes');
    expectCode(() => decodeHex('c0c0'), 'trailing-bytes');
  });
  it('too-large: input above maxBytes (and encode output above maxBytes)', () => {
    expectCode(() => decodeHex('83646f67', { maxBytes: 3 }), 'too-large');
    expect(decodeHex('83646f67', { maxBytes: 4 })).toEqual(s('dog'));
    expectCode(() => rlpEncode(s('dog'), { maxBytes: 3 }), 'too-large');
  });
  it('too-deep: nesting above maxDepth (decode and encode)', () => {
    expectCode(() => decodeHex('c7c0c1c0c3c0c1c0', { maxDepth: 3 }), 'too-deep'); // depth 4: [ [ [ [] ] ] ] path
    expect(decodeHex('c7c0c1c0c3c0c1c0', { maxDepth: 4 })).toEqual([[], [[]], [[], [[]]]]);
    let deep: RlpItem = [];
    for (let i = 0; i < 64; i++) deep = [deep];
    const bytes = rlpEncode(deep, { maxDepth: 65 });
    expectCode(() => rlpDecode(bytes), 'too-deep'); // default maxDepth 64
    expectCode(() => rlpEncode(deep), 'too-deep');
    const cyclic: RlpItem[] = [];
    cyclic.push(cyclic);
    expectCode(() => rlpEncode(cyclic), 'too-deep');
  });
  it('invalid-input: non-bytes items, negative or fractional integers', () => {
    expectCode(() => rlpEncode(5 as unknown as RlpItem), 'invalid-input');
    expectCode(() => rlpEncode(['dog' as unknown as RlpItem]), 'invalid-input');
    expectCode(() => rlpDecode('83646f67' as unknown as Uint8Array), 'invalid-input');
    expectCode(() => encodeUint(-1), 'invalid-input');
    expectCode(() => encodeUint(1.5), 'invalid-input');
    expectCode(() => encodeUint(-1n), 'invalid-input');
  });
  it('non-canonical-integer, integer-overflow, invalid-utf8, unexpected-type (helpers)', () => {
    expectCode(() => decodeUint(new Uint8Array([0, 1])), 'non-canonical-integer');
    expectCode(() => decodeUintNumber(encodeUint(2n ** 53n)), 'integer-overflow');
    expectCode(() => decodeString(new Uint8Array([0xff])), 'invalid-utf8');
    expectCode(() => asBytes([]), 'unexpected-type');
    expectCode(() => asList(new Uint8Array(0)), 'unexpected-type');
    expectCode(() => asList([], 1), 'unexpected-type');
    expectCode(() => decodeUint([]), 'unexpected-type');
  });
});

describe('RLP: properties (fast-check)', () => {
  const bytesArb = fc.oneof(
    fc.uint8Array({ maxLength: 1 }),
    fc.uint8Array({ maxLength: 70 }),
    fc.uint8Array({ minLength: 250, maxLength: 300 }),
  );
  const { item: itemArb } = fc.letrec<{ item: RlpItem }>((tie) => ({
    item: fc.oneof({ depthSize: 'small', withCrossShrink: true }, bytesArb, fc.array(tie('item'), { maxLength: 6 })),
  }));

  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(itemArb, (item) => {
        expect(rlpDecode(rlpEncode(item))).toEqual(item);
      }),
      { numRuns: 400, seed: 20240601 },
    );
  });
  it('integers round-trip through encodeUint/decodeUint', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 300n }), (n) => {
        expect(decodeUint(rlpDecode(rlpEncode(encodeUint(n))))).toBe(n);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
  it('canonical: any accepted byte string re-encodes to itself (random and mutated inputs)', () => {
    const check = (bytes: Uint8Array) => {
      let item: RlpItem;
      try {
        item = rlpDecode(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(RlpError);
        return;
      }
      expect(bytesToHex(rlpEncode(item))).toBe(bytesToHex(bytes));
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), check), { numRuns: 500, seed: 11 });
    fc.assert(
      fc.property(itemArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (item, at, mask) => {
        const bytes = rlpEncode(item);
        if (bytes.length === 0) return;
        const mutated = bytes.slice();
        mutated[at % bytes.length] ^= mask;
        check(mutated);
        check(bytes.subarray(0, at % bytes.length));
      }),
      { numRuns: 500, seed: 12 },
    );
  });
});
