import { describe, expect, it } from 'vitest';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { doubleSha256, hmacSha256, keccak256, sha256 } from '../../protocols/crypto/hash.ts';
import { bytesToHex, bytesToUtf8, concatBytes, equalBytes, hexToBytes, utf8ToBytes } from '../../protocols/crypto/encoding.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';

const hex = bytesToHex;
const u = utf8ToBytes;

describe('encoding', () => {
  it('hex round trip, case-insensitive input, strict validation', () => {
    expect(hex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe('0001abff');
    expect(hexToBytes('0001ABff')).toEqual(new Uint8Array([0, 1, 0xab, 0xff]));
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
    expect(() => hexToBytes('abc')).toThrow(RangeError);
    expect(() => hexToBytes('zz')).toThrow(RangeError);
    expect(() => hexToBytes('0x00')).toThrow(RangeError);
    expect(hexToBytes('00') instanceof Uint8Array && !Buffer.isBuffer(hexToBytes('00'))).toBe(true);
  });
  it('concatBytes, equalBytes and utf8', () => {
    expect(concatBytes(u('ab'), new Uint8Array(0), u('c'))).toEqual(u('abc'));
    expect(equalBytes(u('abc'), u('abc'))).toBe(true);
    expect(equalBytes(u('abc'), u('abd'))).toBe(false);
    expect(equalBytes(u('abc'), u('ab'))).toBe(false);
    expect(bytesToUtf8(u('héllo ✓'))).toBe('héllo ✓');
    expect(() => bytesToUtf8(new Uint8Array([0xc3, 0x28]))).toThrow(TypeError);
  });
});

describe('hash', () => {
  it('SHA-256 FIPS 180-4 examples', () => {
    expect(hex(sha256(u('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(u('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(u('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
  it('double SHA-256 is SHA-256 twice; Bitcoin genesis block header hash', () => {
    const data = u('hello');
    expect(doubleSha256(data)).toEqual(sha256(sha256(data)));
    // The genesis block's 80-byte header (version 1, zero parent, merkle root, time
    // 1231006505, bits 0x1d00ffff, nonce 2083236893), all little-endian fields.
    const header = hexToBytes(
      '01000000' +
        '0000000000000000000000000000000000000000000000000000000000000000' +
        '3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a' +
        '29ab5f49' +
        'ffff001d' +
        '1dac2b7c',
    );
    // Block hashes are displayed byte-reversed.
    expect(hex(doubleSha256(header).reverse())).toBe('000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f');
  });
  it('Keccak-256 (Ethereum) differs from SHA3-256', () => {
    expect(hex(keccak256(u('')))).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(hex(keccak256(u('abc')))).toBe('4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
  });
  it('HMAC-SHA-256 RFC 4231 test cases 1, 2 and 6 (key longer than the block)', () => {
    expect(hex(hmacSha256(new Uint8Array(20).fill(0x0b), u('Hi There')))).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
    expect(hex(hmacSha256(u('Jefe'), u('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(hex(hmacSha256(new Uint8Array(131).fill(0xaa), u('Test Using Larger Than Block-Size Key - Hash Key First')))).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });
  it('node backend agrees with @noble/hashes on random inputs of every small length', () => {
    const rnd = seededRandom(7, 'hash-cross');
    for (let len = 0; len < 300; len++) {
      const data = rnd(len);
      expect(sha256(data)).toEqual(nobleSha256(data));
      expect(doubleSha256(data)).toEqual(nobleSha256(nobleSha256(data)));
      const key = rnd(len % 100);
      expect(hmacSha256(key, data)).toEqual(hmac(nobleSha256, key, data));
    }
    const big = rnd(100_000);
    expect(sha256(big)).toEqual(nobleSha256(big));
  });
  it('hashes subarray views by their own bytes only and returns plain Uint8Arrays', () => {
    const buf = u('xxabcxx');
    expect(sha256(buf.subarray(2, 5))).toEqual(sha256(u('abc')));
    const out = sha256(u('abc'));
    expect(Buffer.isBuffer(out)).toBe(false);
    expect(out.length).toBe(32);
    expect(() => sha256('abc' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
