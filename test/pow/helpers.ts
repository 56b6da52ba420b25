/** Shared fixtures for the PoW tests: a small world with funded keys and a block builder. */
import { publicKeyFromSecret, sign } from '../../protocols/crypto/ed25519.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { computeMerkleRoot, mineNonce, type Block } from '../../protocols/pow/block.ts';
import { MOST_WORK } from '../../protocols/nakamoto/fork-choice.ts';
import { REQUEST_TIMEOUT_US } from '../../protocols/nakamoto/world.ts';
import type { PowEntry } from '../../protocols/pow/chain.ts';
import { makeTx, type Tx, type TxFields } from '../../protocols/pow/tx.ts';
import { PowWorld, type PowOptions } from '../../protocols/pow/world.ts';

export interface Key {
  secret: Uint8Array;
  key: Uint8Array;
}

export function keys(n: number, label = 'test'): Key[] {
  const r = seededRandom('pow-tests', label);
  return Array.from({ length: n }, () => {
    const secret = r(32);
    return { secret, key: publicKeyFromSecret(secret) };
  });
}

export function testWorld(owners: Key[], opts: Partial<PowOptions> = {}, coins = 4, value = 1_000_000): PowWorld {
  const options: PowOptions = {
    blockIntervalUs: 600e6,
    zeroBits: 8,
    retargetInterval: 0,
    maxBlockBytes: 1_000_000,
    txRelay: 'pooled',
    pooledDelayUs: 0,
    compactBlocks: false,
    fillerBytes: 0,
    forkChoice: MOST_WORK,
    hashShare: new Float64Array(4).fill(0.25),
    stopAfterBlocks: 0,
    requestTimeoutUs: REQUEST_TIMEOUT_US,
    ...opts,
  };
  const outs = owners.flatMap((o) => Array.from({ length: coins }, () => ({ value, owner: o.key })));
  return new PowWorld(options, 4, outs);
}

/** Genesis coin `i` (owner order × coins). */
export function genesisCoin(world: PowWorld, i: number): { txid: string; index: number } {
  return { txid: world.genesisAllocation.txid, index: i };
}

/** A signed tx spending `inputs` (all owned by `owner`). */
export function spend(owner: Key, fields: Omit<TxFields, 'kind'> & { kind?: TxFields['kind'] }): Tx {
  return makeTx({ kind: 'transfer', ...fields } as TxFields, (_i, msg) => sign(msg, owner.secret));
}

/** Mines a block on `parent` with `txs`, coinbase claiming `claim` (default: nothing). */
export function blockOn(world: PowWorld, parent: PowEntry, txs: Tx[], opts: { claim?: number; payTo?: Uint8Array; time?: number; miner?: number } = {}): Block {
  const height = parent.height + 1;
  const cb = makeTx({ kind: 'coinbase', coinbase: { height, miner: opts.miner ?? 0 }, outputs: opts.claim ? [{ value: opts.claim, owner: opts.payTo! }] : [] });
  const all = [cb, ...txs];
  return mineNonce({ version: 1, prevHash: parent.hash, merkleRoot: computeMerkleRoot(all), time: opts.time ?? parent.block.header.time + 600, bits: world.chain.expectedBits(parent) }, all);
}

/** Accepts a block that must be valid. */
export function mustAccept(world: PowWorld, block: Block): PowEntry {
  const r = world.store.accept(block, 0);
  if (!r.ok) throw new Error(`expected a valid block, got ${r.reason}`);
  return r.entry;
}
