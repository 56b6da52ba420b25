/**
 * The pow protocol's headline outcomes and timeline (sim/protocol.ts, `HeadlineOutcome`,
 * `TimelineSpec`): what a researcher runs HealthChain for — whether a double spend succeeded and
 * how many confirmations it reversed, the selfish pool's revenue, and the chain's health (stale
 * rate, main-chain blocks, confirmed tx/s).
 *
 * Closed forms drawn next to them: the double-spend race (analysis/doublespend.ts `raceExact`,
 * with the full-network attack's rule — published once strictly longer, given up `giveUpDeficit`
 * blocks behind) and Eyal & Sirer's Eq. 8 for selfish mining (analysis/selfish.ts).
 */
import { raceExact } from '../../analysis/doublespend.ts';
import { selfishRevenue } from '../../analysis/selfish.ts';
import type { HeadlineOutcome, TimelineSpec } from '../../sim/protocol.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { NodeId } from '../../sim/types.ts';
import type { BlockEntry } from './chain.ts';
import type { DoubleSpendOutcome, PowConfig } from './module.ts';

type Summary = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const doubleSpendOf = (s: Summary) => s.doubleSpend as DoubleSpendOutcome | undefined;

export const powHeadline: readonly HeadlineOutcome<PowConfig>[] = [
  {
    name: 'doubleSpend',
    label: 'double-spend outcome',
    kind: 'categorical',
    categories: ['success', 'gave-up', 'undecided'],
    description: 'success: the merchant accepted the payment after z confirmations, then its own node switched to the chain holding the conflicting tx; gave-up: the attacker abandoned its secret chain; undecided: the run ended first (time limit, or an invariant checker stopped it).',
    read: (s) => {
      const d = doubleSpendOf(s);
      if (!d) return undefined;
      return d.result === 'pending' ? 'undecided' : d.result;
    },
    theory: (scenario: Scenario<PowConfig>) => {
      const a = scenario.protocol.attack;
      if (a.kind !== 'double-spend' || !(a.hashShare > 0 && a.hashShare < 1)) return undefined;
      return {
        value: raceExact(a.hashShare, a.confirmations, { strict: true, giveUp: a.giveUpDeficit }),
        label: `race closed form (strictly longer, give up ${a.giveUpDeficit} behind)`,
      };
    },
  },
  {
    name: 'revertedConfirmations',
    label: 'confirmations reverted',
    kind: 'count',
    unit: 'confirmations',
    description: 'Confirmations the payment had on the merchant’s chain when the double spend reversed it (0 when the attack did not succeed).',
    read: (s) => doubleSpendOf(s)?.revertedConfirmations,
  },
  {
    name: 'selfishRevenue',
    label: 'selfish pool revenue share',
    kind: 'rate',
    unit: 'fraction of main-chain blocks',
    description: 'Share of the best honest chain’s blocks mined by the selfish pool.',
    read: (s) => num((s.selfish as { revenueShare?: unknown } | undefined)?.revenueShare),
    theory: (scenario) => {
      const a = scenario.protocol.attack;
      return a.kind === 'selfish' ? { value: selfishRevenue(a.hashShare, a.gamma), label: 'Eyal & Sirer 2014 Eq. 8 (closed form)' } : undefined;
    },
  },
  {
    name: 'staleRate',
    label: 'stale-block rate',
    kind: 'rate',
    unit: 'fraction of honest blocks',
    description: 'Honest miners’ blocks that are not on the best honest chain, over all honest blocks.',
    read: (s) => num(s.staleRate),
  },
  {
    name: 'height',
    label: 'main-chain blocks',
    kind: 'count',
    unit: 'blocks',
    description: 'Height of the best honest tip at the end of the run.',
    read: (s) => num(s.height),
  },
  {
    name: 'confirmedTxPerSec',
    label: 'confirmed transactions per second',
    kind: 'rate',
    unit: 'tx/s',
    description: 'Non-coinbase transactions on the best honest chain per second of virtual time.',
    read: (s) => num(s.confirmedTxPerSec),
  },
];

/**
 * Timeline: the best height any honest node has reached, blocks rejected as invalid
 * (tampering), and the attack's phases (secret chain published or given up, time-warp rounds;
 * for a double spend also the payment, the merchant's acceptance and the outcome).
 */
export function powTimeline(scenario: Scenario<PowConfig>): TimelineSpec {
  const attacker: NodeId = scenario.protocol.attack.kind === 'none' ? -1 : scenario.network.nodes - 1;
  let rejected = 0;
  return {
    mark(node, obs) {
      switch (obs.kind) {
        case 'tip':
          return node === attacker ? undefined : { series: 'honest chain height (blocks)', value: (obs.entry as BlockEntry).height };
        case 'block-rejected':
          return { series: 'invalid blocks rejected', value: ++rejected };
        case 'attack-published':
          return { event: `attacker publishes its chain (height ${obs.privateHeight} vs public ${obs.publicHeight})` };
        case 'attack-gave-up':
          return { event: `attacker gives up (height ${obs.privateHeight} vs public ${obs.publicHeight})` };
        case 'attack-started':
          return { event: `attacker forks a private branch at height ${obs.forkHeight}` };
        case 'attack-abandoned':
          return { event: 'attacker abandons its branch' };
        default:
          return undefined;
      }
    },
    fromSummary(s) {
      const d = doubleSpendOf(s);
      if (!d) return [];
      return [
        { timeUs: d.paidUs, event: 'payment broadcast; secret chain starts' },
        { timeUs: d.acceptedUs, event: 'merchant accepts the payment (z confirmations)' },
        { timeUs: d.decidedUs, event: d.result === 'success' ? `double spend succeeds: ${d.revertedConfirmations} confirmations reversed` : `double spend ${d.result}` },
      ];
    },
  };
}
