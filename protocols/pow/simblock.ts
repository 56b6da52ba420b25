/**
 * SimBlock's compact-block settings as data (dsg-titech/simblock at commit 5fc7f9f,
 * `simulator/src/main/java/simblock/settings/SimulationConfiguration.java`): the share of a
 * 535 kB block a node fetches with getblocktxn after it failed to rebuild a compact block
 * (`CBR_FAILURE_BLOCK_SIZE_DISTRIBUTION_FOR_CONTROL_NODE` / `…_FOR_CHURN_NODE`). SimBlock draws
 * one entry of a long list uniformly; the list is written here as [share, number of entries]
 * runs, which is the same distribution. Ordinary ("control") nodes always fetch 1 %; churning
 * nodes fetch from 1 % to 96 %, mean 8.72 %. Used by `reconstruction: {kind: probabilistic,
 * missing: simblock}` in the pow scenario schema.
 */
import type { MissingShare } from '../nakamoto/world.ts';

/** SimBlock CBR_FAILURE_BLOCK_SIZE_DISTRIBUTION_FOR_CONTROL_NODE: 210 entries, all 0.01. */
export const SIMBLOCK_MISSING_ORDINARY: MissingShare[] = [{ share: 0.01, weight: 210 }];

/** SimBlock CBR_FAILURE_BLOCK_SIZE_DISTRIBUTION_FOR_CHURN_NODE: 945 entries, as runs. */
export const SIMBLOCK_MISSING_CHURN: MissingShare[] = (() => {
  // [share in %, entries]; from 49 % to 96 % every share appears once.
  const runs: [number, number][] = [
    [1, 546], [2, 66], [3, 39], [4, 27], [5, 21], [6, 17], [7, 14], [8, 12], [9, 11], [10, 10], [11, 9], [12, 8],
    [13, 7], [14, 7], [15, 6], [16, 6], [17, 5], [18, 5], [19, 5], [20, 4], [21, 4], [22, 4], [23, 4], [24, 4],
    [25, 3], [26, 3], [27, 3], [28, 3], [29, 3], [30, 3], [31, 3], [32, 3],
  ];
  for (let pct = 33; pct <= 48; pct++) runs.push([pct, 2]);
  for (let pct = 49; pct <= 96; pct++) runs.push([pct, 1]);
  return runs.map(([pct, weight]) => ({ share: pct / 100, weight }));
})();

/** Options of `simblockScenario`. */
export interface SimblockScenarioOptions {
  /** Simulated nodes (SimBlock NUM_OF_NODES). */
  nodes: number;
  /** Blocks mined before the miners stop (SimBlock END_BLOCK_HEIGHT, 100 in its intended configuration). */
  blocks: number;
  /** `compact`: BIP 152 as SimBlock models it; `full`: inv/getdata/block for every node. */
  relay: 'full' | 'compact';
  /** Scenario seed. */
  seed: number;
}

/**
 * SimBlock's shipped configuration (commit 5fc7f9f: `SimulationConfiguration`,
 * `NetworkConfiguration`, `Node`, `BitcoinCoreTable`, the message tasks) as a pow scenario
 * (unparsed input; units as strings):
 *
 * - network: the bitcoin-2019 region table (latency, bandwidth, node shares); SimBlock's routing
 *   table (`random-degrees`, its bitcoin-2015 outbound table); Pareto latency with a 5 ms gap;
 *   one block message in flight per node (`stop-and-wait`); inv/getdata/getblocktxn as control
 *   messages (they never queue behind blocks) with +10 ms; +2 ms per block message. The
 *   control/bulk line is 5 kB: every blocktxn is larger (≥ 1 % of 535 kB = 5.35 kB) and must
 *   queue as SimBlock's block messages do; a getblocktxn is larger only when a churning node
 *   misses more than 55 % of the block (< 5 % of round trips) and then leaves, as bulk, a link
 *   with nothing else to send (+2 ms instead of +10 ms). A 10 kB line let the common 1 % blocktxn
 *   jump the queue and made compact relay ~10 % too fast;
 * - blocks: 535,000 bytes every 600 s (fixed target), padded with 180-byte filler txs so the
 *   compact block has SimBlock's 18 kB (2,972 short ids);
 * - compact relay: low-bandwidth BIP 152 (SimBlock sends the cmpctblock in answer to a request),
 *   96.4 % of nodes speak it, reconstruction fails with probability 0.13 (ordinary nodes) or 0.27
 *   (the 97.6 % churning nodes), fetching SimBlock's share of the block after a failure.
 *
 * What stays different (docs/pow.md "Comparing with SimBlock"): SimBlock's mining power is
 * Gaussian per node (ours: equal shares — where a block starts is uniform either way), its
 * region placement is a quota (ours: independent draws from the same shares), and we hash real
 * headers, txs and Merkle roots.
 */
export function simblockScenario(o: SimblockScenarioOptions): Record<string, unknown> {
  return {
    name: `simblock-${o.relay}-${o.nodes}`,
    description: `SimBlock's configuration (commit 5fc7f9f), ${o.relay} relay, ${o.nodes} nodes, ${o.blocks} blocks of 535 kB`,
    seed: o.seed,
    duration: '100000h',
    network: {
      nodes: o.nodes,
      regions: { preset: 'bitcoin-2019' },
      topology: { kind: 'random-degrees', outbound: 'bitcoin-2015' },
      latency: { distribution: 'pareto', paretoGap: '5ms' },
      uploads: { mode: 'stop-and-wait', controlBytes: '5kB', controlDelay: '10ms', bulkDelay: '2ms' },
    },
    protocol: {
      name: 'pow',
      blockInterval: '600s',
      zeroBits: 8,
      retargetInterval: 0,
      maxBlockSize: '1MB',
      fillerSize: `${SIMBLOCK_FILLER_BYTES}B`,
      fillerTxSize: '180B',
      stopAfterBlocks: o.blocks,
      ...(o.relay === 'compact'
        ? { compactBlocks: true, compactMode: 'low-bandwidth', compactShare: 0.964, reconstruction: { kind: 'probabilistic', failure: 0.13, churnFailure: 0.27, churnShare: 0.976, missing: 'simblock' } }
        : {}),
    },
  };
}

/** Filler bytes that make a block with an empty coinbase 535,000 bytes minus 5 (SimBlock BLOCK_SIZE). */
export const SIMBLOCK_FILLER_BYTES = 534_900;
