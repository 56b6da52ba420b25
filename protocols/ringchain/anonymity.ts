/**
 * Traceability of ring signatures, measured: an observer who sees every confirmed block tries to
 * name each ring's real signer (seed 001 §4.1 claims it succeeds with probability ≤ 1/n).
 *
 * Heuristics, from the Monero traceability literature:
 *
 * - `none` — no side information: a uniform guess among the ring's members (the 1/n baseline).
 * - `guess-newest` — Möser et al. 2018 ("An Empirical Analysis of Traceability in the Monero
 *   Blockchain", PoPETs 2018(3)) §5: the real input is usually the most recent ring member, so
 *   guess the member that appeared on chain last (uniformly among members of that height).
 * - `chain-reaction` — Kumar et al. 2017 ("A Traceability Analysis of Monero's Blockchain",
 *   ESORICS 2017) §3, Möser et al. §4: a key can have been spent only under its own key image, so
 *   a key known to be the signer behind one key image is removed from every ring with another key
 *   image; rings reduced to one candidate reveal their signer, whose key is removed elsewhere in
 *   turn, iterated to a fixed point. Zero-decoy rings (ring size 1) start the reaction. Rings that
 *   share a key image were signed by the same key (the chain's pseudonym model: calls made with
 *   one key are linkable), so the candidates of a key image are the intersection of its rings —
 *   with one-time keys (Monero) every key image has one ring and this is a no-op.
 * - `collusion` — Kumar et al. §3.2 / Möser et al. §4.2 ("malicious ring members"): the owners
 *   of a set of keys collude with the observer; each knows its own key and key image, so a
 *   colluder's key is removed from every ring it did not sign, which feeds the chain reaction.
 *   The colluders' own transactions are not scored (they de-anonymise themselves trivially).
 * - `combined` — the strongest observer here: collusion + chain reaction, then guess the newest of
 *   the remaining candidates.
 *
 * Scoring, per heuristic, over the scored transactions: the observer makes one guess per ring,
 * uniformly among the candidates its rule leaves (drawn from the caller's `Rng`, so the guess
 * rate is a real success count with a binomial interval), and the ring is *fully de-anonymised*
 * when the observer is certain: its sound elimination (no elimination for `none` and
 * `guess-newest`) leaves exactly one candidate. Certainty is never wrong: elimination removes
 * only keys proven to belong to another key image. The ground-truth signer is used for scoring
 * and for the colluders' knowledge of their own keys, nowhere else.
 *
 * Pure functions: no I/O, no clock, randomness only from the `Rng` passed in.
 */
import type { Rng } from '../../sim/rng.ts';
import type { KnownKey } from './decoys.ts';

/** One confirmed ring-signed transaction, as the observer sees it plus the ground truth. */
export interface RingTx {
  /** The ring's member keys in on-chain order, each with the height it first appeared at. */
  readonly members: readonly KnownKey[];
  /** The bLSAG key image (hex): equal for every signature made with one key. */
  readonly keyImage: string;
  /** Height of the block that confirmed the transaction. */
  readonly height: number;
  /** Ground truth — the real signer's public key (hex); used only to score and for colluders' own keys. */
  readonly realSigner: string;
}

export type HeuristicName = 'none' | 'guess-newest' | 'chain-reaction' | 'collusion' | 'combined';

/** The heuristics, in the order figures list them. */
export const HEURISTICS: readonly HeuristicName[] = ['none', 'guess-newest', 'chain-reaction', 'collusion', 'combined'];

export interface ObserverOptions {
  /** Public keys (hex) whose owners collude with the observer (`collusion`, `combined`); default none. */
  readonly colluding?: ReadonlySet<string>;
  /** Which transactions to score (default all); the observer still uses the whole history as side information. */
  readonly scored?: (tx: RingTx, index: number) => boolean;
}

/** What a heuristic concludes about one transaction. */
export interface Observation {
  /** Index of the transaction in the input. */
  readonly tx: number;
  /** Keys the observer guesses among, uniformly (a subset of the ring). */
  readonly guessAmong: readonly string[];
  /** True when the observer's sound elimination leaves exactly one candidate: the ring is fully de-anonymised. */
  readonly certain: boolean;
}

export interface HeuristicScore {
  heuristic: HeuristicName;
  /** Transactions scored (`options.scored`, minus those signed by a colluder for collusion/combined). */
  trials: number;
  /** Guesses that named the real signer. */
  successes: number;
  /** successes / trials. */
  guessRate: number;
  /** Mean over scored rings of the exact success probability of the uniform guess (1/|guessAmong| or 0). */
  expectedRate: number;
  /** Scored rings the observer is certain about (one candidate left). */
  deanonymizedCount: number;
  /** deanonymizedCount / trials. */
  deanonymized: number;
}

/** The conclusions of `heuristic` for every scored transaction of `txs`. */
export function observe(heuristic: HeuristicName, txs: readonly RingTx[], options: ObserverOptions = {}): Observation[] {
  const colluding = options.colluding ?? new Set<string>();
  const usesColluders = heuristic === 'collusion' || heuristic === 'combined';
  const candidates = heuristic === 'chain-reaction' ? chainReaction(txs, new Set()) : usesColluders ? chainReaction(txs, colluding) : null;
  const out: Observation[] = [];
  txs.forEach((tx, i) => {
    if (options.scored && !options.scored(tx, i)) return;
    if (usesColluders && colluding.has(tx.realSigner)) return;
    const ring = tx.members.map((m) => m.publicKeyHex);
    if (candidates === null) {
      const guessAmong = heuristic === 'guess-newest' ? newest(tx.members, new Set(ring)) : ring;
      out.push({ tx: i, guessAmong, certain: new Set(ring).size === 1 });
      return;
    }
    const left = candidates.get(tx.keyImage)!;
    const sound = ring.filter((k) => left.has(k));
    out.push({ tx: i, guessAmong: heuristic === 'combined' ? newest(tx.members, left) : sound, certain: left.size === 1 });
  });
  return out;
}

/** Scores one heuristic: one uniform guess per scored ring from `rng`, and the certain share. */
export function scoreHeuristic(heuristic: HeuristicName, txs: readonly RingTx[], rng: Rng, options: ObserverOptions = {}): HeuristicScore {
  const observations = observe(heuristic, txs, options);
  let successes = 0;
  let expected = 0;
  let certain = 0;
  for (const o of observations) {
    const real = txs[o.tx].realSigner;
    if (o.guessAmong.length > 0) {
      if (o.guessAmong[rng.int(o.guessAmong.length)] === real) successes++;
      if (o.guessAmong.includes(real)) expected += 1 / o.guessAmong.length;
    }
    if (o.certain) certain++;
  }
  const trials = observations.length;
  return {
    heuristic,
    trials,
    successes,
    guessRate: trials ? successes / trials : NaN,
    expectedRate: trials ? expected / trials : NaN,
    deanonymizedCount: certain,
    deanonymized: trials ? certain / trials : NaN,
  };
}

/** Every heuristic's score on one history; each heuristic draws its guesses from its own stream `rngFor(name)`. */
export function scoreAll(txs: readonly RingTx[], rngFor: (heuristic: HeuristicName) => Rng, options: ObserverOptions = {}): HeuristicScore[] {
  return HEURISTICS.map((h) => scoreHeuristic(h, txs, rngFor(h), options));
}

/** The members among `allowed` with the greatest height, in ring order (ties: all of them). */
function newest(members: readonly KnownKey[], allowed: ReadonlySet<string>): string[] {
  let top = -Infinity;
  for (const m of members) if (allowed.has(m.publicKeyHex) && m.height > top) top = m.height;
  return members.filter((m) => allowed.has(m.publicKeyHex) && m.height === top).map((m) => m.publicKeyHex);
}

/**
 * Candidate signers per key image after the chain reaction (Kumar et al. 2017 §3): start from
 * the intersection of the rings carrying each key image; the colluders' keys are resolved from the
 * start (own key image if it is on chain, otherwise spent nowhere); then, while some key image has
 * a single candidate, that key is removed from every other key image's candidates. Throws if the
 * history is inconsistent (a key image left with no candidate: two key images claiming one key).
 */
export function chainReaction(txs: readonly RingTx[], colluding: ReadonlySet<string>): Map<string, Set<string>> {
  const candidates = new Map<string, Set<string>>();
  for (const tx of txs) {
    const ring = new Set(tx.members.map((m) => m.publicKeyHex));
    const previous = candidates.get(tx.keyImage);
    candidates.set(tx.keyImage, previous ? new Set([...previous].filter((k) => ring.has(k))) : ring);
  }
  // Which key images each key is still a candidate for.
  const imagesOf = new Map<string, Set<string>>();
  for (const [image, keys] of candidates) {
    for (const k of keys) {
      let s = imagesOf.get(k);
      if (!s) imagesOf.set(k, (s = new Set()));
      s.add(image);
    }
  }
  const resolved = new Set<string>(); // key images whose signer is known and propagated
  const queue: string[] = [];
  const remove = (key: string, image: string) => {
    const keys = candidates.get(image)!;
    if (!keys.delete(key)) return;
    imagesOf.get(key)!.delete(image);
    if (keys.size === 0) throw new Error(`chain reaction: key image ${image.slice(0, 16)}… has no candidate left — inconsistent history (a key under two key images?)`);
    if (keys.size === 1) queue.push(image);
  };
  /** `key` signed under `image` (or under no image on chain, if undefined): it is no other image's signer. */
  const assign = (key: string, image: string | undefined) => {
    for (const other of [...(imagesOf.get(key) ?? [])]) if (other !== image) remove(key, other);
  };

  // Colluders know their own key image (the ground truth tells us which one it is).
  const imageOfColluder = new Map<string, string>();
  for (const tx of txs) if (colluding.has(tx.realSigner)) imageOfColluder.set(tx.realSigner, tx.keyImage);
  for (const key of [...colluding].sort()) {
    const image = imageOfColluder.get(key);
    if (image !== undefined) {
      for (const other of [...candidates.get(image)!]) if (other !== key) remove(other, image);
    }
    assign(key, image);
  }
  for (const [image, keys] of candidates) if (keys.size === 1) queue.push(image);
  while (queue.length > 0) {
    const image = queue.pop()!;
    if (resolved.has(image)) continue;
    resolved.add(image);
    const [key] = candidates.get(image)!;
    assign(key, image);
  }
  return candidates;
}
