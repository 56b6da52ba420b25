/**
 * What one ringchain run shares between its simulated nodes: the generic Nakamoto world (options,
 * the block tree with the chain's verification caches, the pooled-mode tx pool, miners of blocks)
 * plus the ringchain chain and its genesis (funded pseudonyms, enrolled keys).
 */
import type { RelayMessage } from '../nakamoto/messages.ts';
import type { NakamotoNode } from '../nakamoto/node.ts';
import { NakamotoWorld, type NakamotoOptions } from '../nakamoto/world.ts';
import { emptyContractState, ZERO_ADDRESS, type Address } from './contracts/index.ts';
import { assembleBlock, ommersHashOf, txRootOf, ZERO32, type RingBlock } from './block.ts';
import { RingChain, type RingChainParams } from './chain.ts';
import { RingState } from './state.ts';
import type { RingTx } from './tx.ts';

export type RingMessage = RelayMessage<RingBlock, RingTx>;
export type RingNode = NakamotoNode<RingBlock, RingTx, RingState>;

export interface RingGenesis {
  /** Balances of the genesis accounts (pseudonyms), wei. */
  readonly balances: ReadonlyMap<Address, bigint>;
  /** Ring-member keys enrolled at height 0, hex, in order. */
  readonly keys: readonly string[];
}

/** Submission record of a workload tx (latency metrics). */
export interface RingSubmission {
  submittedUs: number;
  kind: string;
}

export class RingWorld extends NakamotoWorld<RingBlock, RingTx, RingState> {
  declare readonly chain: RingChain;
  readonly submissions = new Map<string, RingSubmission>();
  /** Ground truth for the anonymity analysis: the real signer's key (hex) of every tx the workload signed, by txid. */
  readonly realSigners = new Map<string, string>();

  constructor(options: NakamotoOptions<RingBlock, RingTx>, chain: RingChain, nodeCount: number, genesis: RingGenesis) {
    const state = RingState.genesis(emptyContractState());
    for (const [a, wei] of [...genesis.balances].sort(([x], [y]) => (x < y ? -1 : 1))) state.credit(a, wei);
    for (const k of genesis.keys) state.enrol(k, 0);
    state.seal();
    const block = assembleBlock(
      {
        parentHash: ZERO32,
        ommersHash: ommersHashOf([]),
        txRoot: txRootOf([]),
        beneficiary: ZERO_ADDRESS,
        stateRoot: state.root(),
        difficulty: chain.params.difficulty,
        number: 0,
        timestamp: 0,
        nonce: new Uint8Array(8),
        mixHash: ZERO32,
      },
      [],
      [],
    );
    super(options, chain, { block, state, work: chain.params.difficulty }, nodeCount);
    chain.store = this.store;
  }
}

export type { RingChainParams };
