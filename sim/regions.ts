/**
 * Region presets: where nodes sit and how fast the links between regions are.
 *
 * Source: SimBlock (Aoki, Otsuki, Kaneko, Banno, Shudo, "SimBlock: A Blockchain Network
 * Simulator", IEEE INFOCOM CryBlock workshop 2019), file
 * `simulator/src/main/java/simblock/settings/NetworkConfiguration.java` of dsg-titech/simblock.
 * SimBlock's tables come from public measurements: inter-region round-trip latencies from
 * Verizon's IP latency statistics and WonderNetwork pings (halved to one-way values by the
 * authors), per-region access bandwidth from testmy.net averages, and the node distribution
 * over regions from Bitnodes crawls (2015 and 2019). We copy the numbers (data, not code):
 *
 * - `latencyMs[i][j]`: mean one-way latency from region i to region j, milliseconds;
 * - `uploadBps[i]`, `downloadBps[i]`: access bandwidth of a node in region i, bits per second
 *   (SimBlock's one-dimensional 2019 tables; a link's rate is the slower of the sender's upload
 *   and the receiver's download, as in SimBlock);
 * - `distribution[i]`: fraction of nodes placed in region i.
 */

export interface RegionTable {
  /** Region names, in matrix order. */
  names: string[];
  /** Mean one-way latency, milliseconds, `latencyMs[from][to]`. */
  latencyMs: number[][];
  /** Upload bandwidth per region, bits per second. */
  uploadBps: number[];
  /** Download bandwidth per region, bits per second. */
  downloadBps: number[];
  /** Fraction of nodes per region; sums to 1. */
  distribution: number[];
}

const SIX_REGIONS = ['north-america', 'europe', 'south-america', 'asia-pacific', 'japan', 'australia'];

export const REGION_PRESETS: Record<string, RegionTable> = {
  /** Bitcoin, 2019 measurements (SimBlock LATENCY_2019, *_BANDWIDTH_2019, REGION_DISTRIBUTION_BITCOIN_2019). */
  'bitcoin-2019': {
    names: SIX_REGIONS,
    latencyMs: [
      [32, 124, 184, 198, 151, 189],
      [124, 11, 227, 237, 252, 294],
      [184, 227, 88, 325, 301, 322],
      [198, 237, 325, 85, 58, 198],
      [151, 252, 301, 58, 12, 126],
      [189, 294, 322, 198, 126, 16],
    ],
    uploadBps: [19_200_000, 20_700_000, 5_800_000, 15_700_000, 10_200_000, 11_300_000],
    downloadBps: [52_000_000, 40_000_000, 18_000_000, 22_800_000, 22_800_000, 29_900_000],
    distribution: [0.3316, 0.4998, 0.009, 0.1177, 0.0224, 0.0195],
  },
  /** Bitcoin, 2015 measurements (SimBlock LATENCY_2015, *_BANDWIDTH_2015, REGION_DISTRIBUTION_BITCOIN_2015). */
  'bitcoin-2015': {
    names: SIX_REGIONS,
    latencyMs: [
      [36, 119, 255, 310, 154, 208],
      [119, 12, 221, 242, 266, 350],
      [255, 221, 137, 347, 256, 269],
      [310, 242, 347, 99, 172, 278],
      [154, 266, 256, 172, 9, 163],
      [208, 350, 269, 278, 163, 22],
    ],
    uploadBps: [4_700_000, 8_100_000, 1_800_000, 5_300_000, 3_400_000, 5_200_000],
    downloadBps: [25_000_000, 24_000_000, 6_500_000, 10_000_000, 17_500_000, 14_000_000],
    distribution: [0.3869, 0.5159, 0.0113, 0.0574, 0.0119, 0.0166],
  },
  /** One data centre: 0.5 ms one-way, 1 Gbps; for consortium (PBFT) committees. */
  'uniform-lan': {
    names: ['lan'],
    latencyMs: [[0.5]],
    uploadBps: [1_000_000_000],
    downloadBps: [1_000_000_000],
    distribution: [1],
  },
};

/**
 * Outbound-degree presets for `topology: {kind: random-degrees}`: the share of nodes that dial
 * 1, 2, 3, … outbound peers. `bitcoin-2015`: SimBlock's DEGREE_DISTRIBUTION_BITCOIN_2015 (a
 * cumulative table, converted to shares here), which SimBlock attributes to Miller et al.,
 * "Discovering Bitcoin's public topology and influential nodes" (2015). Mean 8.645 outbound peers.
 */
export const DEGREE_PRESETS: Record<string, number[]> = {
  'bitcoin-2015': [0.025, 0.025, 0.025, 0.025, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.02, 0, 0.01, 0.01, 0.005, 0.005],
};
