/**
 * The pbft protocol's headline outcomes and timeline (sim/protocol.ts): what the committee got
 * done (committed blocks, throughput, latency) and what it cost (view changes). Safety and
 * liveness are the invariant checkers' verdicts, counted per invariant by sweeps and checks.
 */
import type { HeadlineOutcome, TimelineSpec } from '../../sim/protocol.ts';
import type { PbftConfig } from './module.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export const pbftHeadline: readonly HeadlineOutcome<PbftConfig>[] = [
  {
    name: 'committedBlocks',
    label: 'committed blocks',
    kind: 'count',
    unit: 'blocks',
    description: 'Highest sequence number committed by an honest replica.',
    read: (s) => num(s.committedBlocks),
  },
  {
    name: 'throughput',
    label: 'throughput',
    kind: 'rate',
    unit: 'ops/s',
    description: 'Requests accepted by clients (f + 1 matching replies) per second of virtual time.',
    read: (s) => num(s.throughputOpsPerSec),
  },
  {
    name: 'latencyP50',
    label: 'median client latency',
    kind: 'quantity',
    unit: 'ms',
    description: 'Median time from a request’s issue to its acceptance by the client.',
    read: (s) => num((s.latencyMs as { p50?: unknown } | null | undefined)?.p50),
  },
  {
    name: 'viewChanges',
    label: 'view changes',
    kind: 'count',
    unit: 'view changes',
    description: 'View-change messages sent by replicas (a faulty primary costs one round per replica).',
    read: (s) => num(s.viewChanges),
  },
];

/** Timeline: the highest sequence number committed, the highest view entered, committee changes. */
export function pbftTimeline(): TimelineSpec {
  return {
    mark(_node, obs) {
      if (obs.kind === 'pbft.commit') return { series: 'committed sequence number', value: obs.seq as number };
      if (obs.kind === 'pbft.view') return { series: 'view', value: obs.view as number };
      if (obs.kind === 'pbft.reconfigured') return { series: 'committee epoch', value: obs.epoch as number };
      return undefined;
    },
  };
}
