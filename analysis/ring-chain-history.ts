/**
 * Ring histories from the real chain: runs scenarios/ringchain.yaml (the honest seed 001 chain)
 * with the requested ring size and decoy policy, and returns the ring transactions confirmed on
 * the first honest node's chain, as the anonymity observer reads them (member keys with the
 * height each was enrolled at, key image, block height, and the ground-truth signer).
 *
 * The ringchain protocol is looked up at run time (`PROTOCOLS.ringchain`, and
 * `ringTransactionsOf` exported from protocols/ringchain): when it is not in the tree this
 * returns undefined and the figure falls back to the spend model (and says so).
 *
 * Transactions the workload did not sign (an adversary's) have no ground truth and are left out.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RingTx } from '../protocols/ringchain/anonymity.ts';
import type { DecoyPolicyName } from '../protocols/ringchain/decoys.ts';
import { PROTOCOLS, protocolSchemas } from '../protocols/registry.ts';
import { PROJECT_ROOT } from '../sim/results.ts';
import { deriveSeed } from '../sim/rng.ts';
import { buildSimulation } from '../sim/runner.ts';
import { loadScenario, type Scenario } from '../sim/scenario/index.ts';
import { optionalExport } from './reproduce/needs.ts';

/** What `ringTransactionsOf` returns per confirmed ring tx (protocols/ringchain/module.ts). */
interface ChainRingRecord {
  readonly height: number;
  readonly ring: readonly string[];
  readonly keyImageHex: string;
  readonly realSignerHex: string | undefined;
}

/** The parts of a ringchain run this reads: the honest nodes' tips and their enrolled keys. */
interface ChainRun {
  readonly honest: readonly number[];
  readonly nodes: readonly { readonly tip: { readonly state: { readonly keyList: readonly { hex: string; height: number }[]; readonly keyCount: number } } }[];
}

export interface ChainHistoryRequest {
  policy: DecoyPolicyName;
  ringSize: number;
  /** Seed string of the history (hashed to the run seed). */
  seed: string;
  /** Virtual duration of the run, as a scenario duration string ("10m"). */
  duration: string;
  /** Nodes in the network. */
  nodes: number;
  /** The chain's `ringReuse` option: each key signs all its txs with the ring of its first (default: the scenario's, false). */
  ringReuse?: boolean;
}

export const CHAIN_SCENARIO = 'scenarios/ringchain.yaml';

/** True when the ringchain protocol, its history accessor and its honest scenario are in the tree. */
export async function chainAvailable(): Promise<boolean> {
  return 'ringchain' in PROTOCOLS && existsSync(join(PROJECT_ROOT, CHAIN_SCENARIO)) && (await optionalExport('protocols/ringchain', 'ringTransactionsOf')) !== undefined;
}

/** One chain run's confirmed ring transactions, or undefined when the chain is not available. */
export async function chainRingHistory(request: ChainHistoryRequest): Promise<RingTx[] | undefined> {
  if (!(await chainAvailable())) return undefined;
  const ringTransactionsOf = (await optionalExport('protocols/ringchain', 'ringTransactionsOf')) as (run: ChainRun) => ChainRingRecord[];
  const registry = protocolSchemas();
  const loaded = loadScenario(join(PROJECT_ROOT, CHAIN_SCENARIO), {
    registry,
    overrides: {
      'protocol.ringSize': request.ringSize,
      'protocol.decoyPolicy': request.policy,
      duration: request.duration,
      'network.nodes': request.nodes,
      ...(request.ringReuse !== undefined ? { 'protocol.ringReuse': request.ringReuse } : {}),
    },
    overrideSource: 'ring-anonymity',
  });
  const seed = Number.parseInt(deriveSeed(request.seed, 'ring-anonymity/chain-run').slice(0, 12), 16);
  const { sim, run } = buildSimulation(loaded.scenario as unknown as Scenario, PROTOCOLS, seed);
  sim.run();
  const chainRun = run as unknown as ChainRun;
  const tip = chainRun.nodes[chainRun.honest[0]].tip;
  const heightOf = new Map(tip.state.keyList.slice(0, tip.state.keyCount).map((k) => [k.hex, k.height] as const));
  const out: RingTx[] = [];
  for (const r of ringTransactionsOf(chainRun)) {
    if (r.realSignerHex === undefined) continue;
    out.push({
      members: r.ring.map((hex) => {
        const height = heightOf.get(hex);
        if (height === undefined) throw new Error(`ring-anonymity: ring member ${hex.slice(0, 16)}… of a confirmed tx is not enrolled on the chain`);
        return { publicKeyHex: hex, height };
      }),
      keyImage: r.keyImageHex,
      height: r.height,
      realSigner: r.realSignerHex,
    });
  }
  return out;
}
