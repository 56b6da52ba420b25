/**
 * Random sources for the crypto library.
 *
 * Every function in `protocols/crypto/` that needs randomness takes a `RandomSource`: a function
 * returning `n` fresh bytes. Two implementations:
 *
 * - `osRandom` — the operating system's CSPRNG (`node:crypto.randomFillSync`). This is the
 *   default outside a simulation.
 * - `seededRandom(seed, label)` — a deterministic, cryptographically strong stream: ChaCha20
 *   (RFC 8439 §2.4) keyed with SHA-256(frame("medchain-sim/random/v2", encodeSeed(seed), label)),
 *   zero nonce, used as a keystream generator. `frame` length-prefixes every part and
 *   `encodeSeed` tags the seed with its type, so the key derivation is injective: distinct
 *   (seed, label) pairs — ("a\0b", "c") and ("a", "b\0c"), the number 1 and the string "1", a
 *   string and its UTF-8 bytes — never share a stream. (v1 joined the parts with a 0x00
 *   separator and passed byte seeds untagged, which was not injective.) Inside a simulation
 *   every node and subsystem gets its own label, so the same run seed yields byte-identical
 *   keys, signatures, ciphertexts and proofs, and draws in one stream never perturb another.
 *
 * A stream produces at most 2^32 blocks of 64 bytes (256 GiB), far beyond any simulation; the
 * generator throws rather than wrap the block counter.
 */
import { randomFillSync } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { frameParts } from './encoding.ts';

/** Returns `n` fresh random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** The OS CSPRNG; the default random source outside simulations. */
export const osRandom: RandomSource = (n: number) => {
  const out = new Uint8Array(n);
  if (n > 0) randomFillSync(out); // allowed: this is the non-simulated default source
  return out;
};

const encoder = new TextEncoder();

/** A seed as the crypto library accepts it: a run seed number, a string, or raw bytes. */
export type SeedInput = number | string | Uint8Array;

/** Tag bytes of `encodeSeed`: the seed's type is part of its encoding. */
const SEED_TAG = { number: 0x01, string: 0x02, bytes: 0x03 } as const;

/**
 * The injective byte encoding of a seed: one tag byte naming its type (0x01 number, 0x02 string,
 * 0x03 bytes) followed by its content — the shortest round-trip decimal form of a number
 * (`String(x)`; −0 counts as 0), the UTF-8 of a string, or the bytes themselves. So the number 1,
 * the string "1" and the byte 0x31 are three different seeds. Non-finite numbers are refused.
 */
export function encodeSeed(seed: SeedInput): Uint8Array {
  let tag: number;
  let body: Uint8Array;
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new RangeError('seed: a number seed must be finite');
    tag = SEED_TAG.number;
    body = encoder.encode(String(seed === 0 ? 0 : seed));
  } else if (typeof seed === 'string') {
    tag = SEED_TAG.string;
    body = encoder.encode(seed);
  } else if (seed instanceof Uint8Array) {
    tag = SEED_TAG.bytes;
    body = seed;
  } else {
    throw new TypeError('seed: expected a number, a string or a Uint8Array');
  }
  const out = new Uint8Array(1 + body.length);
  out[0] = tag;
  out.set(body, 1);
  return out;
}

const STREAM_DOMAIN = encoder.encode('medchain-sim/random/v2');
/** Keystream bytes generated per ChaCha20 call (16 blocks); amortises the call overhead. */
const CHUNK_BYTES = 1024;
const MAX_BLOCKS = 2 ** 32;

/**
 * A deterministic ChaCha20 keystream generator keyed from (seed, label).
 *
 * @param seed  the run seed (a number, a string or raw bytes)
 * @param label names the consumer, e.g. `node/17/keys`; distinct labels give independent streams
 */
export function seededRandom(seed: SeedInput, label: string): RandomSource {
  if (typeof label !== 'string') throw new TypeError('seededRandom: label must be a string');
  // Injective in (seed, label): both length-prefixed, the seed tagged with its type (encodeSeed).
  const key = sha256(frameParts([STREAM_DOMAIN, encodeSeed(seed), encoder.encode(label)]));
  const nonce = new Uint8Array(12);
  let counter = 0; // next ChaCha20 block counter
  let buffer = new Uint8Array(0);
  let offset = 0;

  const refill = () => {
    if (counter + CHUNK_BYTES / 64 > MAX_BLOCKS) throw new Error('seededRandom: stream exhausted');
    buffer = chacha20(key, nonce, new Uint8Array(CHUNK_BYTES), undefined, counter);
    counter += CHUNK_BYTES / 64;
    offset = 0;
  };

  return (n: number) => {
    const out = new Uint8Array(n);
    let written = 0;
    while (written < n) {
      if (offset === buffer.length) refill();
      const take = Math.min(n - written, buffer.length - offset);
      out.set(buffer.subarray(offset, offset + take), written);
      offset += take;
      written += take;
    }
    return out;
  };
}

/** A uniformly random bigint in [0, bound) by rejection sampling (no modulo bias). */
export function randomBelow(bound: bigint, random: RandomSource = osRandom): bigint {
  if (bound <= 0n) throw new RangeError('randomBelow: bound must be positive');
  const bits = bound.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const excess = BigInt(bytes * 8 - bits);
  for (;;) {
    let x = 0n;
    for (const b of random(bytes)) x = (x << 8n) | BigInt(b);
    x >>= excess;
    if (x < bound) return x;
  }
}
