/**
 * TEMPORARY uniform-only decoy selection with exactly the API of `protocols/ringchain/decoys.ts`
 * (owned by the anonymity work on branch issue-11-anonymity: uniform and Monero-style gamma
 * policies). The chain imports `selectRing` from here until that file lands on main; then the
 * import in ring-builder.ts switches and this file is deleted.
 *
 * Uniform: the ringSize − 1 decoys are drawn uniformly without replacement from the known keys
 * other than the real one; the real key is put at a uniformly drawn position.
 */
import type { Rng } from '../../sim/rng.ts';

export type DecoyPolicyName = 'uniform' | 'gamma';

export interface KnownKey {
  readonly publicKeyHex: string;
  /** Block height at which the key first appeared on chain. */
  readonly height: number;
}

export function selectRing(policy: DecoyPolicyName, known: readonly KnownKey[], real: KnownKey, ringSize: number, _tipHeight: number, rng: Rng): { members: KnownKey[]; realIndex: number } {
  if (policy !== 'uniform') throw new RangeError(`decoy policy ${policy} is not available in the stub (only uniform)`);
  const pool = known.filter((k) => k.publicKeyHex !== real.publicKeyHex);
  const decoys = Math.min(ringSize - 1, pool.length);
  const picked = rng.sample(pool.length, decoys).map((i) => pool[i]);
  const realIndex = rng.int(decoys + 1);
  picked.splice(realIndex, 0, real);
  return { members: picked, realIndex };
}
