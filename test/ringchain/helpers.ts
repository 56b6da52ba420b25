/** Shared fixtures for the ringchain chain tests: a small world with funded identities and a block builder. */
import { seededRandom } from '../../protocols/crypto/random.ts';
import { MOST_WORK } from '../../protocols/nakamoto/fork-choice.ts';
import { REQUEST_TIMEOUT_US } from '../../protocols/nakamoto/world.ts';
import { RingChain, minerAddress, type RingChainParams, type RingEntry } from '../../protocols/ringchain/chain.ts';
import { newIdentity, signTx, type RingIdentity } from '../../protocols/ringchain/keys.ts';
import type { RingBlock } from '../../protocols/ringchain/block.ts';
import type { RingTx, UnsignedTx } from '../../protocols/ringchain/tx.ts';
import { RingWorld } from '../../protocols/ringchain/world.ts';

export const ETHER = 10n ** 18n;

export const PARAMS: RingChainParams = {
  difficulty: 64,
  txGasLimit: 3_000_000,
  gasPrice: 1_000_000_000n,
  blockGasLimit: 30_000_000,
  maxBlockTxs: 100,
  blockReward: 2n * ETHER,
};

const idCache = new Map<string, RingIdentity[]>();
/** `n` identities from a seeded stream (memoised: key generation costs a few ms each). */
export function identities(n: number, label = 'test'): RingIdentity[] {
  const key = `${label}/${n}`;
  let ids = idCache.get(key);
  if (!ids) {
    const r = seededRandom('ringchain-tests', label);
    ids = Array.from({ length: n }, () => newIdentity(r));
    idCache.set(key, ids);
  }
  return ids;
}

export interface TestWorld {
  world: RingWorld;
  chain: RingChain;
  ids: RingIdentity[];
  /** A ring of `size` enrolled keys containing `signer`'s (signer first, then the others in order). */
  ring(signer: RingIdentity, size?: number): Uint8Array[];
  sign(signer: RingIdentity, u: UnsignedTx, size?: number): RingTx;
  block(parent: RingEntry, txs: RingTx[], opts?: { time?: number; miner?: number; ommers?: Uint8Array[] }): RingBlock;
  accept(block: RingBlock): RingEntry;
}

export function testWorld(opts: { ids?: number; params?: Partial<RingChainParams>; chain?: RingChain } = {}): TestWorld {
  const ids = identities(opts.ids ?? 12);
  const chain = opts.chain ?? new RingChain({ ...PARAMS, ...opts.params });
  const balances = new Map(ids.map((id) => [id.pseudonym, 10n * ETHER] as const));
  const world = new RingWorld(
    {
      blockIntervalUs: 15e6,
      txRelay: 'pooled',
      pooledDelayUs: 0,
      compactBlocks: false,
      forkChoice: MOST_WORK,
      hashShare: new Float64Array(4).fill(0.25),
      stopAfterBlocks: 0,
      requestTimeoutUs: REQUEST_TIMEOUT_US,
    },
    chain,
    4,
    { balances, keys: ids.map((i) => i.publicHex) },
  );
  const random = seededRandom('ringchain-tests', 'sign');
  const ring = (signer: RingIdentity, size = 4) => [signer.publicKey, ...ids.filter((i) => i !== signer).slice(0, size - 1).map((i) => i.publicKey)];
  return {
    world,
    chain,
    ids,
    ring,
    sign: (signer, u, size) => signTx(u, ring(signer, size), signer, chain.ringCache, random),
    block: (parent, txs, o = {}) => chain.build(parent, txs, o.time ?? chain.timestampSec(parent.block) + 15, minerAddress(o.miner ?? 0), o.ommers ?? []),
    accept(block) {
      const r = world.store.accept(block, 0);
      if (!r.ok) throw new Error(`expected a valid block, got ${r.reason}`);
      return r.entry;
    },
  };
}
