/**
 * Decoy selection: which public keys a wallet puts next to its own in a ring (seed 001 §2.1,
 * `Ts` is a bLSAG over a ring of `ringSize` keys).
 *
 * Two policies, as a scenario parameter:
 *
 * - `uniform` — every known key other than the signer's is equally likely. This is what early
 *   CryptoNote wallets did, and what Möser et al. (2018, "An Empirical Analysis of Traceability
 *   in the Monero Blockchain", PoPETs 2018(3), §4–5) showed to be weak: real inputs are usually
 *   recent, uniformly chosen decoys usually old, so "the newest member is the real one" guesses
 *   right far more often than 1/n.
 * - `gamma` — recency-biased, as Monero's wallet has done since v0.13 following Möser et al. §6:
 *   the age of a decoy, in seconds, is exp(G) with G ~ Gamma(shape 19.28, rate 1.61) fitted to
 *   the log spend-age of real inputs. Mapped to the chain exactly as `wallet2.cpp`'s
 *   `gamma_picker::pick` does:
 *     1. x = exp(G) seconds; if x > unlock time (`unlockBlocks` × `blockIntervalSeconds`) then
 *        x −= unlock time, else x is uniform over the recent-spend window
 *        (`recentSpendWindowBlocks` × `blockIntervalSeconds`);
 *     2. the average time per output is `blockIntervalSeconds` × blocks spanned ÷ keys known
 *        (blocks spanned = tipHeight − lowest known height + 1); x ÷ that time is an index
 *        counted back from the newest known key; an index past the oldest key is a bad pick and
 *        is drawn again;
 *     3. the decoy is a uniformly chosen known key of the same block as the indexed key (Monero
 *        picks the block through the output, then an output inside it).
 *   A pick that is the signer's key or already in the ring is drawn again, as in Monero. If a
 *   chain is so short for its block interval that 10,000 draws per decoy find nothing, the
 *   remaining decoys are uniform among the unchosen keys (no infinite loop; deterministic). The
 *   block interval is a parameter (`DecoyOptions.blockIntervalSeconds`, default 120 s, Monero's
 *   DIFFICULTY_TARGET_V2); a chain simulated with another interval should pass its own, so
 *   "age in seconds" means the same thing on both.
 *
 * The signer's position is uniformly random: the ring is shuffled with the caller's `Rng`
 * (Fisher–Yates), so the index carries no information (Monero sorts by global output index
 * instead; either way position is independent of which member is real).
 *
 * Too few decoys: a ring of `ringSize` needs `ringSize − 1` distinct known keys other than the
 * signer's. By default `selectRing` throws `NotEnoughDecoysError`, as Monero's wallet refuses to
 * build a transaction it cannot mix ("not enough outputs for specified ring size"): silently
 * shrinking the ring would hand the observer exactly the small rings that make the chain-reaction
 * heuristic bite. A caller that prefers a smaller ring (e.g. the first blocks of a simulated
 * chain) passes `{ onShortage: 'shrink' }` and gets every available decoy.
 *
 * Determinism: the result depends only on the arguments and the `Rng`'s state. `known` should be
 * in a canonical order (the chain passes keys in on-chain order); `uniform` indexes it as given,
 * `gamma` uses it sorted stably by height (equal heights keep the caller's order).
 */
import type { Rng } from '../../sim/rng.ts';

export type DecoyPolicyName = 'uniform' | 'gamma';

/** The decoy policies, in a stable order (for schemas and figures). */
export const DECOY_POLICIES: readonly DecoyPolicyName[] = ['uniform', 'gamma'];

export interface KnownKey {
  /** The member's public key, hex (the ring stores keys; identity of a member is this string). */
  readonly publicKeyHex: string;
  /** Block height at which the key first appeared on chain (0 = genesis). */
  readonly height: number;
}

/** Monero's fitted log-age distribution (Möser et al. 2018 §6.1; wallet2.cpp GAMMA_SHAPE). */
export const GAMMA_SHAPE = 19.28;
/** Rate of the same gamma distribution, per unit of ln(seconds) (wallet2.cpp GAMMA_SCALE = 1/1.61). */
export const GAMMA_RATE = 1.61;

export interface DecoyOptions {
  /** Seconds of chain time per block, to map gamma's seconds to heights (default 120 s, Monero's DIFFICULTY_TARGET_V2). */
  readonly blockIntervalSeconds?: number;
  /** Blocks before an output is spendable, subtracted from a drawn age as Monero's DEFAULT_UNLOCK_TIME (default 10 blocks, CRYPTONOTE_DEFAULT_TX_SPENDABLE_AGE). */
  readonly unlockBlocks?: number;
  /** Blocks of the window a too-young draw is re-drawn uniformly from (default 15 blocks, Monero's RECENT_SPEND_WINDOW). */
  readonly recentSpendWindowBlocks?: number;
  /** Fewer distinct decoys than ringSize − 1: 'throw' NotEnoughDecoysError (default) or 'shrink' the ring to what exists. */
  readonly onShortage?: 'throw' | 'shrink';
  /** The caller guarantees `known` holds each public key at most once (e.g. built from first appearances on chain): skips the de-duplicating hash set; the result is the same. Default false. */
  readonly knownAreDistinct?: boolean;
}

/** The ring cannot be filled: fewer distinct known keys than ringSize − 1 besides the signer's. */
export class NotEnoughDecoysError extends RangeError {
  constructor(
    /** Ring size asked for (members, signer included). */
    readonly ringSize: number,
    /** Distinct known keys other than the signer's. */
    readonly available: number,
  ) {
    super(`selectRing: ring size ${ringSize} needs ${ringSize - 1} decoys, only ${available} distinct known keys besides the signer's`);
    this.name = 'NotEnoughDecoysError';
  }
}

/**
 * A ring of `ringSize` members: `real` plus decoys chosen from `known` by `policy`, shuffled;
 * `members[realIndex]` is `real`. `tipHeight` is the current chain height (ages are measured from
 * it). Throws RangeError on a bad ring size or a key above the tip, NotEnoughDecoysError when the
 * ring cannot be filled (unless `options.onShortage` is 'shrink').
 */
export function selectRing(
  policy: DecoyPolicyName,
  known: readonly KnownKey[],
  real: KnownKey,
  ringSize: number,
  tipHeight: number,
  rng: Rng,
  options: DecoyOptions = {},
): { members: KnownKey[]; realIndex: number } {
  if (!Number.isInteger(ringSize) || ringSize < 1) throw new RangeError(`selectRing: ring size must be an integer ≥ 1, got ${ringSize}`);
  if (!Number.isInteger(tipHeight) || tipHeight < 0) throw new RangeError(`selectRing: tip height must be an integer ≥ 0, got ${tipHeight}`);
  if (policy !== 'uniform' && policy !== 'gamma') throw new RangeError(`selectRing: unknown decoy policy '${String(policy)}' (expected uniform or gamma)`);

  // Distinct candidate keys (first occurrence wins), the signer's excluded. A caller that
  // guarantees distinct keys skips the hash set (same result, no per-key hashing).
  const seen = options.knownAreDistinct ? null : new Set<string>([real.publicKeyHex]);
  const candidates: KnownKey[] = [];
  for (const key of known) {
    if (!Number.isInteger(key.height) || key.height < 0 || key.height > tipHeight) {
      throw new RangeError(`selectRing: known key ${key.publicKeyHex.slice(0, 16)}… has height ${key.height}, outside [0, tip ${tipHeight}]`);
    }
    if (seen === null) {
      if (key.publicKeyHex !== real.publicKeyHex) candidates.push(key);
      continue;
    }
    if (seen.has(key.publicKeyHex)) continue;
    seen.add(key.publicKeyHex);
    candidates.push(key);
  }
  let decoyCount = ringSize - 1;
  if (candidates.length < decoyCount) {
    if ((options.onShortage ?? 'throw') === 'throw') throw new NotEnoughDecoysError(ringSize, candidates.length);
    decoyCount = candidates.length;
  }

  const decoys = policy === 'uniform' ? pickUniform(candidates, decoyCount, rng) : pickGamma(candidates, decoyCount, tipHeight, rng, options);
  const members = [real, ...decoys];
  rng.shuffle(members);
  return { members, realIndex: members.indexOf(real) };
}

/** `count` distinct candidates, each uniformly among those not yet chosen. */
function pickUniform(candidates: readonly KnownKey[], count: number, rng: Rng): KnownKey[] {
  return rng.sample(candidates.length, count).map((i) => candidates[i]);
}

/** Monero's gamma picker over `candidates` (distinct, signer excluded); see the header. */
function pickGamma(candidates: readonly KnownKey[], count: number, tipHeight: number, rng: Rng, options: DecoyOptions): KnownKey[] {
  if (count === 0) return [];
  const interval = options.blockIntervalSeconds ?? 120;
  if (!(interval > 0)) throw new RangeError(`selectRing: blockIntervalSeconds must be > 0, got ${interval}`);
  const unlockSeconds = (options.unlockBlocks ?? 10) * interval;
  const recentWindowSeconds = (options.recentSpendWindowBlocks ?? 15) * interval;

  // Oldest first, stably (equal heights keep the caller's order; the chain passes keys in
  // on-chain order, which is already sorted, so the sort is usually skipped); the newest key is
  // last; a block's slice is found by binary search.
  let ascending: readonly KnownKey[] = candidates;
  for (let i = 1; i < candidates.length; i++) {
    if (candidates[i].height < candidates[i - 1].height) {
      ascending = candidates
        .map((key, order) => ({ key, order }))
        .sort((a, b) => a.key.height - b.key.height || a.order - b.order)
        .map((entry) => entry.key);
      break;
    }
  }
  const blocksSpanned = tipHeight - ascending[0].height + 1;
  const averageOutputSeconds = (interval * blocksSpanned) / ascending.length;

  const chosen = new Set<number>();
  const out: KnownKey[] = [];
  let draws = 0;
  while (out.length < count) {
    if (++draws > MAX_GAMMA_DRAWS_PER_DECOY * count) {
      // The gamma puts almost no mass on this chain (far too short for the block interval):
      // fill the rest uniformly rather than loop for ever. Deterministic; see the header.
      const rest = ascending.map((_, i) => i).filter((i) => !chosen.has(i));
      for (const i of rng.sample(rest.length, count - out.length)) out.push(ascending[rest[i]]);
      break;
    }
    let ageSeconds = Math.exp(sampleGamma(GAMMA_SHAPE, GAMMA_RATE, rng));
    ageSeconds = ageSeconds > unlockSeconds ? ageSeconds - unlockSeconds : rng.uniform(0, recentWindowSeconds);
    const fromNewest = Math.floor(ageSeconds / averageOutputSeconds);
    if (fromNewest >= ascending.length) continue; // older than the chain: a bad pick, as in wallet2
    const height = ascending[ascending.length - 1 - fromNewest].height;
    const first = firstAtLeast(ascending, height);
    const pick = first + rng.int(firstAtLeast(ascending, height + 1) - first);
    if (chosen.has(pick)) continue;
    chosen.add(pick);
    out.push(ascending[pick]);
  }
  return out;
}

/** The first index of `ascending` (sorted by height) whose height is ≥ `height`. */
function firstAtLeast(ascending: readonly KnownKey[], height: number): number {
  let lo = 0;
  let hi = ascending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ascending[mid].height < height) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Draws per decoy before the gamma picker gives up on a chain it barely covers (see pickGamma). */
const MAX_GAMMA_DRAWS_PER_DECOY = 10_000;

/**
 * A Gamma(shape, rate) variate by Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables", ACM TOMS 26(3) — valid for shape ≥ 1 (ours is 19.28).
 */
export function sampleGamma(shape: number, rate: number, rng: Rng): number {
  if (!(shape >= 1) || !(rate > 0)) throw new RangeError(`sampleGamma: needs shape ≥ 1 and rate > 0, got ${shape}, ${rate}`);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = 1 - rng.next(); // (0, 1]
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return (d * v) / rate;
  }
}
