/**
 * A spend model: a history of confirmed ring-signed transactions produced without the chain,
 * for the anonymity analysis (analysis/reproduce/ring-anonymity.ts) while protocols/ringchain's
 * chain is not available. Rings are chosen by the same code the chain uses
 * (`selectRing` in protocols/ringchain/decoys.ts); what the model stands in for is *which keys
 * exist and when each is spent*.
 *
 * The model (each choice is the simplest one that matches the literature's observations):
 * - `keysPerBlock` new one-time keys appear in every block from height 0 (outputs / fresh
 *   account keys — seed 000's "fresh key per record"); each key signs `spendsPerKey` transactions
 *   under its one key image (1 = Monero's one-time keys; > 1 models an account key reused for
 *   several calls, which the chain's pseudonym design allows; spends after the first follow the
 *   previous one by a fresh age draw);
 * - **real inputs are recent**: a key's spend age is drawn from the distribution Monero's gamma
 *   picker was fitted to — the spend ages of real, deducible Monero inputs (Möser et al. 2018
 *   §6): x = exp(G) s, G ~ Gamma(19.28, 1.61), shifted by the unlock time exactly as the picker
 *   shifts it, and mapped to blocks with the same `blockIntervalSeconds`, so that a real input's
 *   age and a gamma decoy's age have the same law (up to the chain's finite length). Spends that
 *   would fall after the last block do not happen (the key stays unspent, still a decoy);
 * - a share `zeroDecoyShare` of transactions is made by wallets that use no decoys (ring size 1,
 *   as 65 % of Monero inputs were before 2016, Kumar et al. 2017 §4); the others use `ringSize`;
 * - a ring in block s draws decoys from every key of blocks < s (spent or not), as Monero does;
 *   spending starts at the first block whose predecessors hold ≥ `ringSize` keys, so no ring is
 *   short.
 *
 * Deterministic: the spend schedule comes from `Rng.stream(seed, 'spend-schedule')`, the rings
 * from `Rng.stream(seed, 'decoys/<policy>')` — the same schedule under both policies (common
 * random numbers), different rings.
 */
import { GAMMA_RATE, GAMMA_SHAPE, sampleGamma, selectRing, type DecoyOptions, type DecoyPolicyName, type KnownKey } from '../protocols/ringchain/decoys.ts';
import type { RingTx } from '../protocols/ringchain/anonymity.ts';
import { Rng } from '../sim/rng.ts';

export interface SpendModelParams {
  /** Blocks in the history (heights 0 … blocks − 1). */
  blocks: number;
  /** New keys appearing per block (keys). */
  keysPerBlock: number;
  /** Seconds per block, shared by the spend-age model and the gamma picker (s). */
  blockIntervalSeconds: number;
  /** Ring size of the transactions that use decoys (members, signer included). */
  ringSize: number;
  /** Share of transactions with no decoys (ring size 1), 0 … 1. */
  zeroDecoyShare: number;
  /** Transactions each key signs under its key image (1 = one-time keys). */
  spendsPerKey: number;
  /** Decoy-selection policy of the wallets. */
  policy: DecoyPolicyName;
  /** Seed of the history (the spend schedule does not depend on the policy). */
  seed: number | string;
}

/** Monero's unlock time and recent-spend window in seconds (wallet2.cpp: 10 and 15 blocks of 120 s). */
const MONERO_UNLOCK_SECONDS = 1200;
const MONERO_RECENT_WINDOW_SECONDS = 1800;

/** The picker options for a chain of `blockIntervalSeconds`: Monero's unlock and window kept in seconds. */
export function decoyOptionsFor(blockIntervalSeconds: number): DecoyOptions {
  return {
    blockIntervalSeconds,
    unlockBlocks: MONERO_UNLOCK_SECONDS / blockIntervalSeconds,
    recentSpendWindowBlocks: MONERO_RECENT_WINDOW_SECONDS / blockIntervalSeconds,
  };
}

/** A spend age in blocks (≥ 1), drawn as the picker draws a decoy age (see the header). */
export function spendAgeBlocks(blockIntervalSeconds: number, rng: Rng): number {
  let x = Math.exp(sampleGamma(GAMMA_SHAPE, GAMMA_RATE, rng));
  x = x > MONERO_UNLOCK_SECONDS ? x - MONERO_UNLOCK_SECONDS : rng.uniform(0, MONERO_RECENT_WINDOW_SECONDS);
  // The picker counts back from the newest key of the tip (block s − 1); a real input at the same
  // count back sits floor(x / interval) blocks below s − 1.
  return 1 + Math.floor(x / blockIntervalSeconds);
}

/** The confirmed ring transactions of one simulated history, in block order. */
export function spendModelHistory(p: SpendModelParams): RingTx[] {
  if (!(p.blocks >= 1 && p.keysPerBlock >= 1 && p.ringSize >= 1 && p.spendsPerKey >= 1)) throw new RangeError('spend model: blocks, keysPerBlock, ringSize and spendsPerKey must be ≥ 1');
  if (!(p.zeroDecoyShare >= 0 && p.zeroDecoyShare <= 1)) throw new RangeError('spend model: zeroDecoyShare must be in [0, 1]');
  const schedule = Rng.stream(p.seed, 'spend-schedule');
  const decoys = Rng.stream(p.seed, `decoys/${p.policy}`);
  const options = { ...decoyOptionsFor(p.blockIntervalSeconds), knownAreDistinct: true }; // keys are named by (height, index)
  const firstSpendHeight = Math.ceil(p.ringSize / p.keysPerBlock);

  // spendsAt[h]: (key index, ring size) pairs spent in block h, in schedule order.
  const spendsAt: { key: number; ringSize: number }[][] = Array.from({ length: p.blocks }, () => []);
  const keys: KnownKey[] = [];
  for (let h = 0; h < p.blocks; h++) {
    for (let j = 0; j < p.keysPerBlock; j++) {
      const index = keys.length;
      keys.push({ publicKeyHex: `key/${h}/${j}`, height: h });
      let at = h;
      for (let s = 0; s < p.spendsPerKey; s++) {
        at = Math.max(at + spendAgeBlocks(p.blockIntervalSeconds, schedule), firstSpendHeight);
        const ringSize = schedule.chance(p.zeroDecoyShare) ? 1 : p.ringSize;
        if (at < p.blocks) spendsAt[at].push({ key: index, ringSize });
      }
    }
  }
  const txs: RingTx[] = [];
  for (let h = firstSpendHeight; h < p.blocks; h++) {
    const known = keys.slice(0, h * p.keysPerBlock); // every key of blocks < h
    for (const spend of spendsAt[h]) {
      const real = keys[spend.key];
      const { members } = selectRing(p.policy, known, real, spend.ringSize, h - 1, decoys, options);
      txs.push({ members, keyImage: `image/${real.publicKeyHex}`, height: h, realSigner: real.publicKeyHex });
    }
  }
  return txs;
}
