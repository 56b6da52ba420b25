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
 *
 * seedrandom seeds each stream (its Mash hash of the seed string gives Alea's initial state);
 * the stream then steps that state held in one small Float64Array. The step is Alea's own
 * three-line recurrence, so every stream yields exactly the numbers `seedrandom.alea(seed)`
 * yields (a test checks them draw for draw). Why not call seedrandom's generator directly: its
 * state sits in four separately boxed numbers behind a closure, and a simulation touches
 * thousands of streams (two per node) in random order, so each draw cost several cache misses;
 * with the state packed next to the stream object the 1,000-node kernel benchmark runs ~15 %
 * faster, with identical trace hashes.
 */
import { hash } from 'node:crypto';
import seedrandom from 'seedrandom';

/** Derives the seed string of stream `label` from the run seed. */
export function deriveSeed(runSeed: number | string, label: string): string {
  // One-shot crypto.hash (Node ≥ 20.12): a third of createHash's cost; simulations derive
  // thousands of stream seeds.
  return hash('sha256', `medchain-sim/stream/v1\u0000${runSeed}\u0000${label}`, 'hex');
}

/** 2⁻³², Alea's carry scale. */
const TWO_POW_MINUS_32 = 2.3283064365386963e-10;

/**
 * One Alea step on the state [s0, s1, s2, c] at `s[b … b + 3]`, exactly as seedrandom's
 * `lib/alea.js`: t = 2091639·s0 + c·2⁻³², shift the state, split t into carry and fraction.
 */
function aleaStep(s: Float64Array, b: number): number {
  const t = 2091639 * s[b] + s[b + 3] * TWO_POW_MINUS_32;
  s[b] = s[b + 1];
  s[b + 1] = s[b + 2];
  const carry = t | 0;
  s[b + 3] = carry;
  return (s[b + 2] = t - carry);
}

export class Rng {
  /** Alea state [s0, s1, s2, c] (Baagøe's Alea, as in seedrandom's `lib/alea.js`) at `base`. */
  private readonly state: Float64Array;
  private readonly base: number;

  /**
   * A stream seeded with `seed`. Its four state numbers live in `state[base … base + 3]`: by
   * default a fresh array; a `StreamBank` passes one shared array for a whole family of streams.
   */
  constructor(seed: string, state: Float64Array = new Float64Array(4), base = 0) {
    const initial = seedrandom.alea(seed, { state: true }).state();
    this.state = state;
    this.base = base;
    state[base] = initial.s0;
    state[base + 1] = initial.s1;
    state[base + 2] = initial.s2;
    state[base + 3] = initial.c;
  }

  private next01(): number {
    return aleaStep(this.state, this.base);
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

/**
 * A family of streams indexed 0 … count − 1 (e.g. one per node) whose states are packed side by
 * side in one array. Streams are seeded on first use, each exactly as `Rng.stream(runSeed,
 * label(i))`, so a bank changes no number drawn — only where the state lives: per-node streams
 * touched in random order stay within a few cache lines instead of scattered objects.
 */
export class StreamBank {
  private readonly state: Float64Array;
  private readonly streams: (Rng | undefined)[];

  constructor(
    private readonly runSeed: number | string,
    count: number,
    private readonly label: (index: number) => string,
  ) {
    this.state = new Float64Array(4 * count);
    this.streams = new Array(count).fill(undefined);
  }

  /** Stream `index`. */
  get(index: number): Rng {
    return this.streams[index] ?? this.create(index);
  }

  /** The next uniform [0, 1) of stream `index` (same as `get(index).next()`, without the object). */
  next(index: number): number {
    if (this.streams[index] === undefined) this.create(index);
    return aleaStep(this.state, 4 * index);
  }

  private create(index: number): Rng {
    if (index < 0 || index >= this.streams.length) throw new RangeError(`stream bank: no stream ${index}`);
    return (this.streams[index] = new Rng(deriveSeed(this.runSeed, this.label(index)), this.state, 4 * index));
  }
}
