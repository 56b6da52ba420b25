/**
 * Proof-of-work targets, work and difficulty retargeting.
 *
 * A block is valid when its header hash, read as a 256-bit BIG-endian integer, is ≤ the target
 * (Bitcoin whitepaper §4; Bitcoin Core reads the hash little-endian — we read it big-endian so
 * that "k leading zero bits" in the sense is exactly `target = 2^(256−k) − 1`).
 *
 * The target travels in the header in Bitcoin's compact "nBits" form (Bitcoin Core
 * `arith_uint256::SetCompact`/`GetCompact`): one exponent byte E and a 23-bit mantissa M,
 * target = M · 256^(E−3). Validation always uses the decoded (rounded) target, so encoding is
 * lossless after the first rounding.
 *
 * Work of a block = ⌊2^256 / (target + 1)⌋ (Bitcoin Core `GetBlockProof`): the expected number
 * of hashes needed to find it. Fork choice sums it (most cumulative work, not height).
 */

const TWO_256 = 1n << 256n;

/** Target for `bits` leading zero bits: 2^(256−bits) − 1. */
export function targetForZeroBits(bits: number): bigint {
  if (!Number.isInteger(bits) || bits < 0 || bits > 255) throw new RangeError('zero bits must be an integer 0..255');
  return (1n << BigInt(256 - bits)) - 1n;
}

/** Encodes a target in compact nBits form (Bitcoin Core GetCompact, without the sign bit). */
export function encodeCompact(target: bigint): number {
  if (target < 0n) throw new RangeError('negative target');
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let mantissa: bigint;
  if (size <= 3) mantissa = target << BigInt(8 * (3 - size));
  else mantissa = target >> BigInt(8 * (size - 3));
  // The mantissa's top bit is a sign bit in Bitcoin's format: shift it out if set.
  if (mantissa & 0x800000n) {
    mantissa >>= 8n;
    size++;
  }
  return ((size << 24) | Number(mantissa)) >>> 0;
}

/** Decodes compact nBits; throws on the sign bit or overflow (both invalid in headers). */
export function decodeCompact(bits: number): bigint {
  const size = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  if (bits & 0x00800000) throw new RangeError('negative compact target');
  const target = size <= 3 ? mantissa >> BigInt(8 * (3 - size)) : mantissa << BigInt(8 * (size - 3));
  if (target >= TWO_256) throw new RangeError('compact target overflows 256 bits');
  return target;
}

const workCache = new Map<number, number>();

/** Work of a block with compact target `bits`: ⌊2^256/(target+1)⌋ as a (small, exact) number. */
export function workOfBits(bits: number): number {
  let w = workCache.get(bits);
  if (w === undefined) {
    w = Number(TWO_256 / (decodeCompact(bits) + 1n));
    workCache.set(bits, w);
  }
  return w;
}

/** 32-byte big-endian form of a target, for byte-wise comparison with hashes. */
export function targetBytes(target: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let t = target;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

const targetBytesCache = new Map<number, Uint8Array>();

/** True iff `hash` (big-endian) ≤ the target encoded by `bits` (Bitcoin whitepaper §4). */
export function hashMeetsBits(hash: Uint8Array, bits: number): boolean {
  let t = targetBytesCache.get(bits);
  if (!t) targetBytesCache.set(bits, (t = targetBytes(decodeCompact(bits))));
  for (let i = 0; i < 32; i++) {
    if (hash[i] !== t[i]) return hash[i] < t[i];
  }
  return true;
}

export interface RetargetRule {
  /** Blocks between retargets (Bitcoin: 2016). */
  interval: number;
  /** Target block spacing, seconds (Bitcoin: 600). */
  spacingSec: number;
  /** Largest (easiest) target allowed, compact form ("powLimit"). */
  limitBits: number;
}

/**
 * Next target after `parentBits`, given the timestamps (seconds) of the retarget window.
 * Bitcoin Core `CalculateNextWorkRequired`: new = old · actual / expected with actual clamped to
 * [expected/4, 4·expected] and the result capped at powLimit. We measure `intervals` spacings
 * exactly (Bitcoin measures 2015 spacings against 2016 — a known off-by-one we do not copy).
 */
export function retarget(parentBits: number, firstTimeSec: number, lastTimeSec: number, intervals: number, rule: RetargetRule): number {
  const expected = BigInt(intervals * rule.spacingSec);
  let actual = BigInt(Math.max(0, lastTimeSec - firstTimeSec));
  if (actual < expected / 4n) actual = expected / 4n;
  if (actual > expected * 4n) actual = expected * 4n;
  if (actual === 0n) actual = 1n;
  let next = (decodeCompact(parentBits) * actual) / expected;
  const limit = decodeCompact(rule.limitBits);
  if (next > limit) next = limit;
  if (next < 1n) next = 1n;
  return encodeCompact(next);
}
