/**
 * The dpos protocol's headline outcomes and timeline (sim/protocol.ts): seed 003's claim is that
 * the alliance chain "reaches consensus with 99 % probability" — read as every elected committee
 * holding at most f = ⌊(k − 1)/3⌋ Byzantine delegates — so the first outcome is whether that held
 * in the run, next to the hypergeometric closed form where it applies; then the chain's work.
 */
import type { HeadlineOutcome, TimelineSpec } from '../../sim/protocol.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import { consistencyProbability } from './analysis.ts';
import type { DposConfig } from './module.ts';
import { candidateCount } from './rules.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export const dposHeadline: readonly HeadlineOutcome<DposConfig>[] = [
  {
    name: 'consistency',
    label: 'committee consistency',
    kind: 'categorical',
    categories: ['held', 'broken'],
    description: 'held: every committee elected in the run had at most f = ⌊(k − 1)/3⌋ Byzantine delegates (seed 003’s consistency condition); broken: some committee had more.',
    read: (s) => (typeof s.consistencyHeld === 'boolean' ? (s.consistencyHeld ? 'held' : 'broken') : undefined),
    // Exchangeability: with no cartel, the Byzantine candidates are a uniform sample of the
    // candidates, independent of stake, tiers and votes, so one election's Byzantine seat count
    // is hypergeometric whatever the voting strategy (protocols/dpos/analysis.ts). Over several
    // epochs the committees are not independent, so the closed form is given for one epoch only.
    theory: (scenario: Scenario<DposConfig>) => {
      const p = scenario.protocol;
      if (p.cartel || p.epochs !== 1) return undefined;
      const c = candidateCount(p);
      if (c.min !== c.max || p.committee > c.min || p.byzantineCandidates > c.min) return undefined;
      return { value: consistencyProbability(c.min, p.byzantineCandidates, p.committee), label: `hypergeometric closed form (${c.min} candidates, ${p.byzantineCandidates} Byzantine, k = ${p.committee})` };
    },
  },
  {
    name: 'byzantineSeats',
    label: 'most Byzantine seats in a committee',
    kind: 'count',
    unit: 'delegates',
    description: 'The largest number of Byzantine delegates any committee of the run held.',
    read: (s) => {
      const epochs = s.epochs as { byzantineSeats: number }[] | undefined;
      return epochs?.length ? Math.max(...epochs.map((e) => e.byzantineSeats)) : undefined;
    },
  },
  {
    name: 'committedBlocks',
    label: 'committed blocks',
    kind: 'count',
    unit: 'blocks',
    description: 'Blocks the committee committed (PBFT sequence numbers executed).',
    read: (s) => num(s.committedBlocks),
  },
  {
    name: 'committedOpsPerSec',
    label: 'committed operations per second',
    kind: 'rate',
    unit: 'ops/s',
    description: 'Record hashes and access events committed per second of virtual time.',
    read: (s) => num(s.committedOpsPerSec),
  },
];

/** Timeline: committed blocks, PBFT views, and each committee installation. */
export function dposTimeline(): TimelineSpec {
  return {
    mark(_node, obs) {
      if (obs.kind === 'dpos.block') return { series: 'committed blocks', value: obs.seq as number };
      if (obs.kind === 'pbft.view') return { series: 'PBFT view', value: obs.view as number };
      if (obs.kind === 'dpos.installed') return { series: 'committee epoch', value: obs.epoch as number };
      return undefined;
    },
  };
}


