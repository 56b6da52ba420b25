/**
 * Seeded random streams.
 *
 * One run seed decides everything, but draws are split into independent streams identified by
 * a label (`net/17`, `node/4/election`, `workload`). Each stream is seeded from
 * SHA-256(run seed ‖ label), so an extra draw in one stream never shifts the values another
 * stream produces (the property FoundationDB and TigerBeetle rely on for replayable seeds).
 *
 * The generator is seedrandom's Alea: fast, 32-bit quality, and identical on every platform.
 * It is for simulation decisions (latency jitter, workload arrivals, fault schedules). Keys and
 * nonces come from a cryptographic stream instead (`protocols/crypto/random.ts`), seeded with
 * `NodeContext.seedFor`.
 */
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';

/** Derives the seed string of stream `label` from the run seed. */
export function deriveSeed(runSeed: number | string, label: string): string {
  return createHash('sha256').update(`medchain-sim/stream/v1\u0000${runSeed}\u0000${label}`).digest('hex');
}

export class Rng {
  private readonly next01: () => number;

  constructor(seed: string) {
    this.next01 = seedrandom.alea(seed);
  }

  /** A stream for `label` under `runSeed`. */
  static stream(runSeed: number | string, label: string): Rng {
    return new Rng(deriveSeed(runSeed, label));
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.next01();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next01() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  intBetween(lo: number, hi: number): number {
    return lo + Math.floor(this.next01() * (hi - lo + 1));
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + this.next01() * (hi - lo);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next01() < p;
  }

  /** Exponential variate with the given mean (inverse-CDF method). */
  exponential(mean: number): number {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    return -Math.log(1 - this.next01()) * mean;
  }

  /** Standard normal variate (Box–Muller, one value per call for stream stability). */
  normal(): number {
    const u1 = 1 - this.next01();
    const u2 = this.next01();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Index drawn with probability proportional to `weights[i]`. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.next01() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** k distinct indices from [0, n), in draw order. */
  sample(n: number, k: number): number[] {
    const chosen = new Set<number>();
    const out: number[] = [];
    if (k > n) throw new RangeError(`sample: k=${k} > n=${n}`);
    while (out.length < k) {
      const i = this.int(n);
      if (!chosen.has(i)) {
        chosen.add(i);
        out.push(i);
      }
    }
    return out;
  }
}
