/**
 * A small harness for PBFT reconfiguration, built on the kernel directly (the `pbft` scenario
 * module has a fixed committee): `universe` replica nodes 0 … universe − 1, of which `genesis`
 * form the committee of epoch 0 and the rest are standbys; `clients` client nodes after them.
 * At each `changes[i].at` client 0 submits `{kind: 'reconfigure', members}`. Clients follow
 * committees through a directory: the first time any replica enters an epoch, every client is
 * pointed at it with `setCommittee(committee, ctx)` (what DPoS does with its announcements).
 */
import { KeyRing } from '../../protocols/pbft/auth.ts';
import { makeCheckers } from '../../protocols/pbft/checkers.ts';
import { PbftClient } from '../../protocols/pbft/client.ts';
import type { PbftMessage } from '../../protocols/pbft/messages.ts';
import { type Committee, DEFAULT_PBFT_OPTIONS, type PbftOptions, PbftReplica, type ReplicaHooks } from '../../protocols/pbft/replica.ts';
import { Simulation } from '../../sim/kernel.ts';
import { REGION_PRESETS } from '../../sim/regions.ts';
import type { Micros, NodeId, Observation, ProtocolNode } from '../../sim/types.ts';

export interface ReconfigRun {
  sim: Simulation<PbftMessage>;
  replicas: PbftReplica[];
  clients: PbftClient[];
  /** Per replica, the (epoch, atSeq) of every `onReconfigured` call, in order. */
  switches: { epoch: number; at: number; members: NodeId[] }[][];
  /** Observations by kind (all nodes). */
  observations: { node: NodeId; obs: Observation }[];
  result: ReturnType<Simulation<PbftMessage>['run']>;
  counter(name: string): number;
}

export interface ReconfigOptions {
  universe: number;
  genesis: NodeId[];
  changes: { at: Micros; members: NodeId[] }[];
  clients?: number;
  /** Requests per second per client. */
  rate?: number;
  durationUs: Micros;
  seed?: number;
  checkpointInterval?: number;
  /** Extra hooks per replica (merged with the harness's onReconfigured recorder). */
  hooks?: (id: NodeId, record: (c: Committee, at: number) => void) => ReplicaHooks;
  /** Crash (and recover) replicas at given times. */
  crashes?: { id: NodeId; at: Micros; recoverAt?: Micros }[];
  liveness?: { boundUs: Micros; gstUs: Micros };
  /** Client retransmission timeout, µs (default 1 s). */
  retransmitUs?: Micros;
  /** Byzantine replicas: the honest replica wrapped by an adversary (not judged by the checkers). */
  byzantine?: Map<NodeId, (replica: PbftReplica, keys: KeyRing) => ProtocolNode<PbftMessage>>;
}

export function runReconfig(o: ReconfigOptions): ReconfigRun {
  const seed = o.seed ?? 1;
  const keys = KeyRing.fromSeed(seed);
  const genesis: Committee = { members: o.genesis, epoch: 0, startView: 0 };
  const options: PbftOptions = { ...DEFAULT_PBFT_OPTIONS, batchSize: 10, batchTimeoutUs: 2_000, checkpointInterval: o.checkpointInterval ?? 8, watermarkWindow: 4 * (o.checkpointInterval ?? 8), viewChangeTimeoutUs: 300_000 };
  const nClients = o.clients ?? 2;
  const replicas: PbftReplica[] = [];
  const clients: PbftClient[] = [];
  const switches: { epoch: number; at: number; members: NodeId[] }[][] = Array.from({ length: o.universe }, () => []);
  const observations: { node: NodeId; obs: Observation }[] = [];
  const checkers = makeCheckers(new Set(o.byzantine?.keys() ?? []), o.liveness);
  let directoryEpoch = 0;
  let sim: Simulation<PbftMessage>;
  const directory = (c: Committee) => {
    if (c.epoch <= directoryEpoch) return;
    directoryEpoch = c.epoch;
    sim.at(sim.now, 'directory', () => {
      for (let i = 0; i < clients.length; i++) clients[i].setCommittee(c, sim.context(o.universe + i));
    });
  };
  sim = new Simulation<PbftMessage>({
    seed,
    network: {
      nodes: o.universe + nClients,
      regions: REGION_PRESETS['uniform-lan'],
      jitter: 0.1,
      loss: 0,
      duplication: 0,
      topology: { kind: 'explicit', edges: [] },
      partitions: [],
      clogs: [],
    },
    createNode: (id): ProtocolNode<PbftMessage> => {
      if (id < o.universe) {
        const record = (c: Committee, at: number) => {
          switches[id].push({ epoch: c.epoch, at, members: [...c.members] });
          directory(c);
        };
        const extra = o.hooks?.(id, record) ?? {};
        const hooks: ReplicaHooks = {
          ...extra,
          onReconfigured: (c, at, ctx) => {
            record(c, at);
            extra.onReconfigured?.(c, at, ctx);
          },
        };
        replicas[id] = new PbftReplica(id, genesis, keys, options, hooks);
        return o.byzantine?.get(id)?.(replicas[id], keys) ?? replicas[id];
      }
      const c = new PbftClient(id, genesis, keys, { ratePerSec: o.rate ?? 100, maxOutstanding: 1000, retransmitUs: o.retransmitUs ?? 1_000_000, opBytes: 64, startUs: 0, stopUs: o.durationUs });
      clients.push(c);
      return c;
    },
    endTimeUs: o.durationUs,
    observers: [...checkers.all, { name: 'record', onObservation: (node, obs) => void observations.push({ node, obs }) }],
  });
  for (const ch of o.changes) {
    sim.at(ch.at, 'reconfigure', () => void clients[0].submit(sim.context(o.universe), { kind: 'reconfigure', members: ch.members }));
  }
  for (const c of o.crashes ?? []) {
    sim.at(c.at, 'crash', () => sim.crash(c.id));
    if (c.recoverAt !== undefined) sim.at(c.recoverAt, 'recover', () => sim.recover(c.id));
  }
  const result = sim.run();
  return { sim, replicas, clients, switches, observations, result, counter: (name) => result.metrics.counters[name] ?? 0 };
}
