/**
 * The double-spend attack of Bitcoin whitepaper §11 / seed 001 §4.2 on the FULL network
 * simulation, for the analysis (Fig. 7 reproduction): one call = one seeded trial.
 *
 * Success rule (see protocols/nakamoto/double-spend.ts): the payment P and the conflicting C are
 * created at `payAt`; the attacker mines C's secret chain from the block before P; the merchant
 * (node 0) accepts once P has z confirmations on its best chain (z = 0: at once); after acceptance
 * the attacker publishes as soon as its chain has strictly more work than the public chain;
 * success = the merchant's node adopts a chain holding C. Failure = the attacker gives up when the public
 * chain leads by `giveUpDeficit` blocks, or the time limit passes (`timeout`).
 */
import { buildSimulation } from '../../sim/runner.ts';
import { buildScenarioSchema, type ScenarioInput } from '../../sim/scenario/schema.ts';
import type { DoubleSpendOutcome } from '../nakamoto/double-spend.ts';
import { powModule, powSchema } from './module.ts';

export interface DoubleSpendOptions {
  /** Simulated nodes including the attacker (default 12). */
  nodes?: number;
  /** Peers dialled per node (default 4). */
  degree?: number;
  /** Region preset (default bitcoin-2019). */
  regions?: 'bitcoin-2019' | 'bitcoin-2015' | 'uniform-lan';
  /** Block interval, e.g. '600s' (default). */
  blockInterval?: string;
  /** Blocks of deficit after which the attacker gives up (default 30). */
  giveUpDeficit?: number;
  /** Virtual-time limit, e.g. '30d' (default: (z + giveUpDeficit + 20) · 4 block intervals). */
  duration?: string;
  /** Leading zero bits of the simulation target (default 8). */
  zeroBits?: number;
}

export interface DoubleSpendTrial {
  success: boolean;
  result: 'success' | 'gave-up' | 'timeout';
  /** Virtual time of the decision, µs (−1 on timeout). */
  decidedUs: number;
  /** Virtual time the merchant accepted, µs (−1 = never). */
  acceptedUs: number;
  /** Blocks mined by the attacker / by everyone. */
  attackerBlocks: number;
  blocksMined: number;
  /** Trace hash of the run (determinism). */
  traceHash: string;
  events: number;
}

const schema = buildScenarioSchema({ pow: powSchema });

/**
 * Runs one double-spend trial with attacker hash share `q` and merchant confirmations `z` on a
 * full network simulation seeded by `seed`.
 */
export function doubleSpendFullNetwork(q: number, z: number, seed: number, options: DoubleSpendOptions = {}): DoubleSpendTrial {
  if (!(q > 0 && q < 1)) throw new RangeError('q must be in (0, 1)');
  if (!Number.isInteger(z) || z < 0) throw new RangeError('z must be an integer ≥ 0');
  const giveUp = options.giveUpDeficit ?? 30;
  const interval = options.blockInterval ?? '600s';
  const input: ScenarioInput = {
    name: 'pow-double-spend-trial',
    seed,
    duration: options.duration ?? `${(z + giveUp + 20) * 4 * 600}s`,
    network: { nodes: options.nodes ?? 12, regions: { preset: options.regions ?? 'bitcoin-2019' }, topology: { kind: 'random', degree: options.degree ?? 4 } },
    protocol: {
      name: 'pow',
      blockInterval: interval,
      zeroBits: options.zeroBits ?? 8,
      retargetInterval: 0,
      attack: { kind: 'double-spend', hashShare: q, confirmations: z, payAt: '1s', giveUpDeficit: giveUp },
      checks: { confirmedDepth: 1_000_000 },
    },
  };
  const scenario = schema.parse(input);
  const { sim, run } = buildSimulation(scenario, { pow: powModule }, seed);
  const result = sim.run();
  if (result.violation) throw new Error(`double-spend trial failed: ${result.violation.message}`);
  const summary = run.summarize!(sim, result) as { doubleSpend: DoubleSpendOutcome; blocksMined: number };
  const o = summary.doubleSpend;
  const attacker = scenario.network.nodes - 1;
  const attackerBlocks = [...(run as unknown as { world: { minedBy: Map<string, number> } }).world.minedBy.values()].filter((m) => m === attacker).length;
  return {
    success: o.result === 'success',
    result: o.result === 'pending' ? 'timeout' : o.result,
    decidedUs: o.decidedUs,
    acceptedUs: o.acceptedUs,
    attackerBlocks,
    blocksMined: summary.blocksMined,
    traceHash: result.traceHash,
    events: result.events,
  };
}
