/**
 * Block propagation MEASURED FROM SIMBLOCK — not ours — on this project's 2-core machine
 * (issue 16), the reference of `medsim reproduce simblock-propagation`.
 *
 * SimBlock: dsg-titech/simblock at commit 5fc7f9f71745e4f689799a317c8438fe41304c01 (Aoki et al.,
 * "SimBlock: A Blockchain Network Simulator", INFOCOM CryBlock 2019), compiled with OpenJDK
 * javac 17 from `simulator/src/main/java` and run as
 * `java -cp classes:conf simblock.simulator.Main` (conf = `simulator/src/dist/conf`), after
 * setting in `SimulationConfiguration`: NUM_OF_NODES = the row's node count, END_BLOCK_HEIGHT =
 * 100 (the value its "TODO revert" comment restores; the commit ships 300 nodes × 3 blocks as a
 * debugging leftover); everything else as shipped (535,000-byte blocks, 600 s interval, the
 * bitcoin-2019 tables, BitcoinCoreTable with the 2015 degree distribution, CBR_USAGE_RATE 0.964,
 * CHURN_NODE_RATE 0.976, failure rates 0.13 / 0.27, 18 kB compact blocks). `seed` is the seed of
 * `Main.random` (`new Random(10)` as shipped; 11–14 for more samples). Rows with relay `full`
 * also set CBR_USAGE_RATE = 0 (no node uses compact blocks). Nothing of SimBlock is in this
 * repository; only these measured numbers are.
 *
 * t50 / t90 of a block: from the per-node arrival times SimBlock prints on stdout
 * (`printAllPropagation`, time since the block was mined, ms), the ⌈0.5·N⌉-th / ⌈0.9·N⌉-th
 * smallest, for the main-chain blocks of heights 1–100 (`blockList.txt` "OnChain"; a block the
 * run stopped before it reached 90 % has no t90). Mean and median over those blocks. `wallS` and
 * `maxRssMb` are `/usr/bin/time -v` elapsed and maximum RSS under `nice -n 10` on a machine shared
 * with other jobs (load average 2.5–19): indicative only.
 */

export const SIMBLOCK_COMMIT = '5fc7f9f71745e4f689799a317c8438fe41304c01';

export interface SimblockRun {
  nodes: number;
  relay: 'full' | 'compact';
  /** Seed of SimBlock's `Main.random`. */
  seed: number;
  /** Main-chain blocks measured (heights 1–100). */
  blocks: number;
  t50MeanMs: number;
  t50MedianMs: number;
  t90MeanMs: number;
  t90MedianMs: number;
  /** Wall-clock seconds and peak RSS (MB = 10^6 bytes) of the SimBlock process. */
  wallS: number;
  maxRssMb: number;
}

export const SIMBLOCK_RUNS: readonly SimblockRun[] = [
  { nodes: 1000, relay: 'compact', seed: 10, blocks: 100, t50MeanMs: 972.39, t50MedianMs: 866, t90MeanMs: 2181.23, t90MedianMs: 1894.5, wallS: 12.81, maxRssMb: 315.2 },
  { nodes: 1000, relay: 'compact', seed: 11, blocks: 100, t50MeanMs: 1095.19, t50MedianMs: 1044, t90MeanMs: 2356.58, t90MedianMs: 2143.5, wallS: 10.48, maxRssMb: 311.5 },
  { nodes: 1000, relay: 'compact', seed: 12, blocks: 100, t50MeanMs: 991.6, t50MedianMs: 702.5, t90MeanMs: 2145.23, t90MedianMs: 1781, wallS: 26.29, maxRssMb: 313.5 },
  { nodes: 1000, relay: 'compact', seed: 13, blocks: 100, t50MeanMs: 942.85, t50MedianMs: 732.5, t90MeanMs: 2100.8, t90MedianMs: 1843, wallS: 58.54, maxRssMb: 312.2 },
  { nodes: 1000, relay: 'compact', seed: 14, blocks: 100, t50MeanMs: 1061.13, t50MedianMs: 982.5, t90MeanMs: 2308.08, t90MedianMs: 2097.5, wallS: 36.29, maxRssMb: 310.7 },
  { nodes: 10000, relay: 'compact', seed: 10, blocks: 100, t50MeanMs: 1195.78, t50MedianMs: 1147.5, t90MeanMs: 2298.22, t90MedianMs: 2232, wallS: 129.65, maxRssMb: 541.3 },
  { nodes: 1000, relay: 'full', seed: 10, blocks: 100, t50MeanMs: 2992.46, t50MedianMs: 2724, t90MeanMs: 5041.12, t90MedianMs: 4645.5, wallS: 66.82, maxRssMb: 315.1 },
  { nodes: 1000, relay: 'full', seed: 11, blocks: 100, t50MeanMs: 3016.99, t50MedianMs: 2991.5, t90MeanMs: 5106.64, t90MedianMs: 4925, wallS: 75.05, maxRssMb: 311.9 },
  { nodes: 1000, relay: 'full', seed: 12, blocks: 100, t50MeanMs: 2945.36, t50MedianMs: 2953, t90MeanMs: 4959.51, t90MedianMs: 4814, wallS: 22.88, maxRssMb: 305.1 },
  { nodes: 1000, relay: 'full', seed: 13, blocks: 100, t50MeanMs: 2894.69, t50MedianMs: 2553.5, t90MeanMs: 4887.99, t90MedianMs: 4496, wallS: 16.6, maxRssMb: 309.2 },
  { nodes: 1000, relay: 'full', seed: 14, blocks: 100, t50MeanMs: 2953.21, t50MedianMs: 2526.5, t90MeanMs: 5063.14, t90MedianMs: 4520.5, wallS: 93.09, maxRssMb: 309.9 },
];

/** SimBlock's numbers for one (nodes, relay): the mean over its measured seeds of each statistic. */
export interface SimblockReference {
  t50MeanMs: number;
  t50MedianMs: number;
  t90MeanMs: number;
  t90MedianMs: number;
  seeds: number;
}

export function simblockReference(nodes: number, relay: 'full' | 'compact'): SimblockReference | undefined {
  const runs = SIMBLOCK_RUNS.filter((r) => r.nodes === nodes && r.relay === relay);
  if (runs.length === 0) return undefined;
  const mean = (k: 't50MeanMs' | 't50MedianMs' | 't90MeanMs' | 't90MedianMs') => runs.reduce((a, r) => a + r[k], 0) / runs.length;
  return { t50MeanMs: mean('t50MeanMs'), t50MedianMs: mean('t50MedianMs'), t90MeanMs: mean('t90MeanMs'), t90MedianMs: mean('t90MedianMs'), seeds: runs.length };
}
