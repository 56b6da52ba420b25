/**
 * The `pbft` protocol module: a PBFT committee (Castro & Liskov, TOCS'02) with clients,
 * scenario-driven adversaries and the invariant checkers; its mutants (mutants.ts) are declared
 * in `pbftModule.mutants`, for the check harness only.
 *
 * Node layout: replicas are nodes 0 … committee − 1 (member order = primary order), clients
 * the next `clients` nodes, then the twin copy if `twins` is set; any further nodes idle.
 */
import { z } from 'zod';
import type { Simulation } from '../../sim/kernel.ts';
import type { ProtocolModule, ProtocolRun } from '../../sim/protocol.ts';
import { integer, nodeId, probability, protocolScenarioRules, refineIssue } from '../../sim/scenario/schema.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { NodeId, ProtocolNode } from '../../sim/types.ts';
import { duration, size } from '../../sim/units.ts';
import {
  BadAuthReplica,
  Cartel,
  CartelReplica,
  DelayingReplica,
  DoubleVotingReplica,
  EquivocatingPrimary,
  RequestForgingPrimary,
  SilentReplica,
  SlowPrimary,
  TwinCopy,
  TwinOriginal,
  WithholdingReplica,
} from './adversaries/index.ts';
import { KeyRing } from './auth.ts';
import { makeCheckers } from './checkers.ts';
import { PbftClient } from './client.ts';
import type { PbftMessage } from './messages.ts';
import { PBFT_MUTANTS } from './mutants.ts';
import { type Committee, type PbftOptions, PbftReplica, type ReplicaHooks, type ReplicaVariant } from './replica.ts';
import { pbftHeadline, pbftTimeline } from './outcomes.ts';

const target = {
  replicas: z.array(nodeId()).min(1).optional().describe('Replica node ids (each < committee) taken over by this adversary.'),
  count: integer({ min: 1 }).optional().describe('Alternatively: the first `count` replicas (ids 0 … count − 1, so the initial primary is included).'),
};

const adversarySchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('crash').describe('Crash (and optionally recover) replicas; crash faults, not Byzantine.'),
      ...target,
      params: z.strictObject({
        at: duration().describe('When the replicas crash (µs after parsing).'),
        recoverAt: duration().optional().describe('When they recover (after `at`); omitted = stay down.'),
      }).describe('Crash timing.'),
    }),
    z.strictObject({
      kind: z.literal('silent').describe('Fail-silent replicas: send nothing from `from` on.'),
      ...target,
      params: z.strictObject({ from: duration().prefault('0s').describe('When they fall silent (µs after parsing). Default 0s.') }).prefault({}).describe('Silence start.'),
    }),
    z.strictObject({ kind: z.literal('equivocate').describe('Equivocating primary: conflicting pre-prepares for one (view, seq) to the two halves of the committee.'), ...target, params: z.strictObject({}).prefault({}).describe('No parameters.') }),
    z.strictObject({ kind: z.literal('double-vote').describe('Double voting: every prepare/commit is accompanied by one for a fabricated digest.'), ...target, params: z.strictObject({}).prefault({}).describe('No parameters.') }),
    z.strictObject({
      kind: z.literal('withhold').describe('Vote withholding: honest except that prepares and/or commits are never sent.'),
      ...target,
      params: z.strictObject({ votes: z.enum(['prepare', 'commit', 'both']).default('both').describe('Which votes are withheld. Default both.') }).prefault({}).describe('Withheld votes.'),
    }),
    z.strictObject({
      kind: z.literal('delay').describe('Delaying/reordering: each sent message leaves after an independent uniform random delay.'),
      ...target,
      params: z.strictObject({
        min: duration().prefault('0ms').describe('Smallest extra delay (µs after parsing). Default 0ms.'),
        max: duration({ positive: true }).prefault('100ms').describe('Largest extra delay (µs after parsing). Default 100ms.'),
      }).prefault({}).describe('Delay range.'),
    }),
    z.strictObject({
      kind: z.literal('bad-auth').describe('Invalid authenticators/signatures, impersonation, malformed messages and replays.'),
      ...target,
      params: z.strictObject({
        forgeRate: probability().default(1).describe('Probability that a sent message is corrupted (plus an impersonated and a malformed copy). Default 1.'),
        replayRate: probability().default(0.2).describe('Probability of replaying a captured message with each send. Default 0.2.'),
      }).prefault({}).describe('Forgery rates.'),
    }),
    z.strictObject({
      kind: z.literal('slow-primary').describe('Slow primary: holds each pre-prepare for (viewChangeTimeout − margin).'),
      ...target,
      params: z.strictObject({ margin: duration({ positive: true }).prefault('50ms').describe('How far below the view-change timeout each pre-prepare is held (µs after parsing). Default 50ms.') }).prefault({}).describe('Hold margin.'),
    }),
    z.strictObject({ kind: z.literal('forge-requests').describe('Request-forging primary: adds an operation no client issued to every batch.'), ...target, params: z.strictObject({}).prefault({}).describe('No parameters.') }),
    z.strictObject({ kind: z.literal('cartel').describe('Colluding cartel: as primary, split the honest replicas with two batches and vote for both.'), ...target, params: z.strictObject({}).prefault({}).describe('No parameters.') }),
  ])
  .superRefine((a, ctx) => {
    if ((a.replicas === undefined) === (a.count === undefined)) ctx.addIssue({ code: 'custom', path: [], message: 'an adversary needs exactly one of "replicas" (a list of ids) or "count"' });
  })
  .describe('One adversary: its kind, the replicas it controls, kind-specific params.');

const pbftSection = z
  .strictObject({
    name: z.literal('pbft'),
    committee: integer({ min: 1, max: 1000 }).default(4).describe('Committee size k (replica nodes 0 … k − 1); tolerates f = ⌊(k − 1)/3⌋ faults. Default 4.'),
    standbys: integer({ min: 0, max: 1000 }).default(0).describe('Standby replicas outside the genesis committee (ids k … k + standbys − 1), which reconfigurations may seat. Default 0.'),
    clients: integer({ min: 1, max: 10_000 }).default(2).describe('Number of client nodes (ids k + standbys … k + standbys + clients − 1). Default 2.'),
    reconfigure: z
      .array(
        z.strictObject({
          at: duration().describe('When client 0 submits the reconfigure operation (µs after parsing).'),
          members: z.array(nodeId()).min(1).describe('The new committee: replica ids in primary order, distinct.'),
        }),
      )
      .default([])
      .describe('Committee changes (docs/pbft.md "Reconfiguration"): each takes effect at the checkpoint boundary after it commits; clients follow. Default none.'),
    batchSize: integer({ min: 1 }).default(10).describe('Most requests per pre-prepare (batch). Default 10.'),
    batchTimeout: duration({ positive: true }).prefault('2ms').describe('Longest wait of the primary for a full batch (µs after parsing). Default 2ms.'),
    checkpointInterval: integer({ min: 1 }).default(16).describe('K: sequence numbers between checkpoints. Default 16.'),
    watermarkWindow: integer({ min: 1 }).default(64).describe('L: sequence numbers accepted above the low watermark; a multiple of K. Default 64.'),
    viewChangeTimeout: duration({ positive: true }).prefault('500ms').describe('T: view-change timer for a pending request, doubled per failed view change (µs after parsing). Default 500ms.'),
    fetchTimeout: duration({ positive: true }).prefault('200ms').describe('State-transfer retry timer (µs after parsing). Default 200ms.'),
    client: z
      .strictObject({
        rate: z.number().min(0).default(100).describe('Requests per second per client (Poisson arrivals). Default 100.'),
        maxOutstanding: integer({ min: 1 }).default(100).describe('Most requests in flight per client. Default 100.'),
        retransmit: duration({ positive: true }).prefault('1s').describe('First retransmission timeout, doubling (µs after parsing). Default 1s.'),
        opSize: size().prefault('256B').describe('Payload of each request (bytes after parsing). Default 256B.'),
        start: duration().prefault('0s').describe('First arrival not before (µs after parsing). Default 0s.'),
        stop: duration().optional().describe('No new requests after this time (µs after parsing); omitted = until the end.'),
      })
      .prefault({})
      .describe('Client workload.'),
    cpu: z
      .strictObject({
        mac: duration().prefault('0us').describe('CPU time charged per MAC tag computed or checked (µs after parsing). Default 0.'),
        sign: duration().prefault('0us').describe('CPU time per Ed25519 signature (µs after parsing). Default 0.'),
        verify: duration().prefault('0us').describe('CPU time per Ed25519 verification (µs after parsing). Default 0.'),
      })
      .prefault({})
      .describe('Per-operation CPU costs charged to the virtual clock.'),
    adversaries: z.array(adversarySchema).default([]).describe('Adversaries (Byzantine or crash) among the replicas. Default none.'),
    twins: z
      .strictObject({
        replica: nodeId().describe('Replica id whose identity gets a twin (the twin runs on the node after the clients).'),
        forward: probability().default(0.5).describe('Probability that a message received by the original is forwarded to the twin. Default 0.5.'),
      })
      .optional()
      .describe('Twins mode: a second copy of one replica with the same keys, both honest.'),
    checkers: z
      .strictObject({
        liveness: z
          .strictObject({
            enabled: z.boolean().default(true).describe('Check liveness. Default true.'),
            bound: duration({ positive: true }).prefault('10s').describe('Every request issued after `gst` must be accepted within this (µs after parsing). Default 10s.'),
            gst: duration().prefault('0s').describe('Global stabilisation time: faults and partitions are over (µs after parsing). Default 0s.'),
          })
          .prefault({})
          .describe('Liveness after stabilisation.'),
      })
      .prefault({})
      .describe('Invariant checkers (agreement, validity, no-revert and total order are always on).'),
  });

export type PbftConfig = z.output<typeof pbftSection>;

export const pbftSchema = pbftSection
  .superRefine((cfg, ctx) => pbftSectionRules(cfg, ctx))
  .describe('PBFT (Castro & Liskov) among a committee, with clients, adversaries and invariant checkers.');

/**
 * Rules across the pbft section's fields, checked when the scenario is loaded (medsim validate,
 * run, sweep points) so a mistake is a `file:line:col: key.path: …` error naming what is allowed,
 * never an internal error or a run that silently does something else (a cartel of 14 in a
 * committee of 10 would otherwise run as 10 and report 0 committed blocks).
 */
function pbftSectionRules(cfg: PbftConfig, ctx: z.RefinementCtx): void {
  const k = cfg.committee;
  const replicas = k + cfg.standbys;
  const ids = `a replica id from 0 to ${k - 1} (committee is ${k})`;
  const owner = new Map<number, number>();
  cfg.adversaries.forEach((a, i) => {
    a.replicas?.forEach((id, j) => {
      if (id >= k) refineIssue(ctx, ['adversaries', i, 'replicas', j], `expected ${ids}, got ${id}`, ids);
    });
    if (a.count !== undefined && a.count > k) {
      refineIssue(ctx, ['adversaries', i, 'count'], `expected at most the committee size (${k}) replicas, got ${a.count}`, `an integer from 1 to ${k}`);
    }
    if (a.kind === 'crash') return;
    const mine = a.replicas ?? Array.from({ length: Math.min(a.count ?? 0, k) }, (_, x) => x);
    for (const id of mine) {
      const other = owner.get(id);
      if (other !== undefined && other !== i) refineIssue(ctx, ['adversaries', i], `replica ${id} is already Byzantine in adversaries.${other} (${cfg.adversaries[other].kind}); a replica can have one Byzantine role`);
      else owner.set(id, i);
    }
  });
  cfg.reconfigure.forEach((r, i) => {
    const seen = new Set<number>();
    r.members.forEach((m, j) => {
      if (m >= replicas) refineIssue(ctx, ['reconfigure', i, 'members', j], `expected a replica id from 0 to ${replicas - 1} (committee ${k} + standbys ${cfg.standbys}), got ${m}`);
      else if (seen.has(m)) refineIssue(ctx, ['reconfigure', i, 'members', j], `replica ${m} is listed twice; members must be distinct`);
      seen.add(m);
    });
  });
  if (cfg.watermarkWindow % cfg.checkpointInterval !== 0) {
    refineIssue(ctx, ['watermarkWindow'], `expected a multiple of checkpointInterval (${cfg.checkpointInterval}), got ${cfg.watermarkWindow}`, `a multiple of checkpointInterval (${cfg.checkpointInterval})`);
  }
  if (cfg.twins && cfg.twins.replica >= k) refineIssue(ctx, ['twins', 'replica'], `expected ${ids}, got ${cfg.twins.replica}`, ids);
}

/** Nodes the section needs: replicas (committee + standbys), clients, and the twin. */
export function pbftNodesNeeded(cfg: PbftConfig): { count: number; why: string } {
  const count = cfg.committee + cfg.standbys + cfg.clients + (cfg.twins ? 1 : 0);
  const why = `committee ${cfg.committee}${cfg.standbys ? ` + standbys ${cfg.standbys}` : ''} + clients ${cfg.clients}${cfg.twins ? ' + twin 1' : ''}`;
  return { count, why };
}

protocolScenarioRules.add(pbftSchema, {
  check(scenario) {
    const { count, why } = pbftNodesNeeded(scenario.protocol as PbftConfig);
    const nodes = scenario.network.nodes;
    return nodes < count ? [{ path: ['network', 'nodes'], message: `expected at least ${count} nodes for protocol pbft (${why}), got ${nodes}`, expected: `at least ${count} nodes` }] : [];
  },
});
type AdversaryConfig = PbftConfig['adversaries'][number];

class IdleNode implements ProtocolNode<PbftMessage> {
  onMessage(): void {}
}

export function pbftOptionsOf(cfg: PbftConfig): PbftOptions {
  return {
    batchSize: cfg.batchSize,
    batchTimeoutUs: cfg.batchTimeout,
    checkpointInterval: cfg.checkpointInterval,
    watermarkWindow: cfg.watermarkWindow,
    viewChangeTimeoutUs: cfg.viewChangeTimeout,
    fetchTimeoutUs: cfg.fetchTimeout,
    cpu: { macUs: cfg.cpu.mac, signUs: cfg.cpu.sign, verifyUs: cfg.cpu.verify },
  };
}

/** Replica ids an adversary controls. */
function idsOf(a: AdversaryConfig, k: number): NodeId[] {
  const ids = a.replicas ?? Array.from({ length: Math.min(a.count ?? 0, k) }, (_, i) => i);
  for (const id of ids) if (id >= k) throw new Error(`pbft: adversary "${a.kind}" names replica ${id}, but the committee has ids 0 … ${k - 1}`);
  return ids;
}

/**
 * One run of a PBFT scenario. `variant` replaces parts of the non-Byzantine replicas: none for
 * the honest protocol, a mutant's (mutants.ts; reached only through `pbftModule.mutants`).
 * Byzantine replicas always wrap the honest code.
 */
function buildPbft(scenario: Scenario<PbftConfig>, seed: number, variant: ReplicaVariant = {}): ProtocolRun<PbftMessage> {
    const cfg = scenario.protocol;
    const k = cfg.committee;
    const replicaCount = k + cfg.standbys;
    const firstClient = replicaCount;
    const twinNode = cfg.twins ? replicaCount + cfg.clients : -1;
    const needed = replicaCount + cfg.clients + (cfg.twins ? 1 : 0);
    if (scenario.network.nodes < needed) {
      throw new Error(`pbft: network.nodes is ${scenario.network.nodes}, but committee (${k})${cfg.standbys ? ` + standbys (${cfg.standbys})` : ''} + clients (${cfg.clients})${cfg.twins ? ' + twin (1)' : ''} need ${needed}`);
    }
    for (const [i, r] of cfg.reconfigure.entries()) {
      if (new Set(r.members).size !== r.members.length || r.members.some((m) => m >= replicaCount)) {
        throw new Error(`pbft: reconfigure.${i}.members must be distinct replica ids (0 … ${replicaCount - 1})`);
      }
    }
    if (cfg.watermarkWindow % cfg.checkpointInterval !== 0) throw new Error(`pbft: watermarkWindow (${cfg.watermarkWindow}) must be a multiple of checkpointInterval (${cfg.checkpointInterval})`);
    if (cfg.twins && cfg.twins.replica >= k) throw new Error(`pbft: twins.replica ${cfg.twins.replica} is not a replica id (0 … ${k - 1})`);
    const keys = KeyRing.fromSeed(seed);
    const committee: Committee = { members: Array.from({ length: k }, (_, i) => i), epoch: 0, startView: 0 };
    const options = pbftOptionsOf(cfg);
    const roles = new Map<NodeId, AdversaryConfig>();
    const byzantine = new Set<NodeId>();
    const crashes: { ids: NodeId[]; at: number; recoverAt?: number }[] = [];
    let cartel: Cartel | undefined;
    for (const a of cfg.adversaries) {
      const ids = idsOf(a, k);
      if (a.kind === 'crash') {
        crashes.push({ ids, at: a.params.at, recoverAt: a.params.recoverAt });
        continue;
      }
      for (const id of ids) {
        if (roles.has(id)) throw new Error(`pbft: replica ${id} is given two Byzantine roles (${roles.get(id)!.kind}, ${a.kind})`);
        roles.set(id, a);
        byzantine.add(id);
      }
      if (a.kind === 'cartel') cartel = new Cartel(new Set([...(cartel?.members ?? []), ...ids]));
    }
    if (cfg.twins) {
      byzantine.add(cfg.twins.replica);
      byzantine.add(twinNode);
    }
    const live = cfg.checkers.liveness;
    const checkers = makeCheckers(byzantine, live.enabled ? { boundUs: live.bound, gstUs: live.gst } : undefined);
    const replicas: PbftReplica[] = [];
    const clients: PbftClient[] = [];
    // Clients follow committee changes through a directory: the first replica to enter an epoch
    // points every client at it (what DPoS does with its announcements).
    let sim: Simulation<PbftMessage> | undefined;
    let directoryEpoch = 0;
    let reconfigurations = 0;
    const hooks: ReplicaHooks = {
      onReconfigured: (c) => {
        if (c.epoch <= directoryEpoch || !sim) return;
        directoryEpoch = c.epoch;
        reconfigurations++;
        const s = sim;
        s.at(s.now, 'pbft/directory', () => {
          for (let i = 0; i < clients.length; i++) if (!s.isCrashed(firstClient + i)) clients[i].setCommittee(c, s.context(firstClient + i));
        });
      },
    };


    return {
      observers: checkers.all,
      createNode(id: NodeId): ProtocolNode<PbftMessage> {
        if (id < replicaCount) {
          const role = roles.get(id);
          const replica = role ? new PbftReplica(id, committee, keys, options, hooks) : new PbftReplica(id, committee, keys, options, hooks, variant);
          replicas[id] = replica;
          if (cfg.twins && cfg.twins.replica === id) return new TwinOriginal(replica, keys, twinNode, cfg.twins.forward);
          if (!role) return replica;
          switch (role.kind) {
            case 'silent':
              return new SilentReplica(replica, keys, role.params.from);
            case 'equivocate':
              return new EquivocatingPrimary(replica, keys);
            case 'double-vote':
              return new DoubleVotingReplica(replica, keys);
            case 'withhold':
              return new WithholdingReplica(replica, keys, role.params.votes);
            case 'delay':
              return new DelayingReplica(replica, keys, role.params.min, role.params.max);
            case 'bad-auth':
              return new BadAuthReplica(replica, keys, role.params.forgeRate, role.params.replayRate);
            case 'slow-primary':
              return new SlowPrimary(replica, keys, Math.max(0, cfg.viewChangeTimeout - role.params.margin));
            case 'cartel':
              return new CartelReplica(replica, keys, cartel!);
            case 'forge-requests':
              return new RequestForgingPrimary(replica, keys);
            default:
              return replica;
          }
        }
        if (id < firstClient + cfg.clients) {
          const c = new PbftClient(id, committee, keys, {
            ratePerSec: cfg.client.rate,
            maxOutstanding: cfg.client.maxOutstanding,
            retransmitUs: cfg.client.retransmit,
            opBytes: cfg.client.opSize,
            startUs: cfg.client.start,
            stopUs: cfg.client.stop ?? Number.POSITIVE_INFINITY,
          });
          clients.push(c);
          return c;
        }
        if (id === twinNode && cfg.twins) return new TwinCopy(new PbftReplica(cfg.twins.replica, committee, keys, options, hooks), keys);
        return new IdleNode();
      },
      install(simulation: Simulation<PbftMessage>) {
        sim = simulation;
        for (const [i, r] of cfg.reconfigure.entries()) {
          simulation.at(r.at, `pbft/reconfigure/${i}`, () => {
            if (!simulation.isCrashed(firstClient)) clients[0].submit(simulation.context(firstClient), { kind: 'reconfigure', members: [...r.members] });
          });
        }
        for (const c of crashes) {
          for (const id of c.ids) {
            simulation.at(c.at, `crash/${id}`, () => simulation.crash(id));
            if (c.recoverAt !== undefined) simulation.at(c.recoverAt, `recover/${id}`, () => simulation.recover(id));
          }
        }
        const liveness = checkers.liveness;
        if (liveness) {
          // Periodic liveness check, so a stalled run fails while it runs, not only at its end.
          const every = Math.max(1, Math.floor(live.bound / 4));
          const tick = (t: number) => {
            if (t > scenario.duration) return;
            simulation.at(t, 'pbft/liveness-check', () => {
              const v = liveness.check(simulation.now);
              if (v) simulation.fail(v);
              else tick(t + every);
            });
          };
          tick(every);
        }
      },
      summarize(sim: Simulation<PbftMessage>, result) {
        const seconds = result.simTimeUs / 1e6;
        const counters = result.metrics.counters;
        const rejected: Record<string, number> = {};
        for (const [name, v] of Object.entries(counters)) if (name.startsWith('pbft.rejected.')) rejected[name.slice('pbft.rejected.'.length)] = v;
        const lat = sim.metrics.histogram('pbft.latency');
        const honest = replicas.filter((r, i) => r && !byzantine.has(i));
        const blocks = checkers.agreement.highest;
        const accepted = clients.reduce((s, c) => s + c.accepted, 0);
        return {
          committee: k,
          f: Math.floor((k - 1) / 3),
          byzantine: [...byzantine].sort((a, b) => a - b),
          committedBlocks: blocks,
          acceptedRequests: accepted,
          throughputOpsPerSec: seconds > 0 ? accepted / seconds : 0,
          latencyMs: lat.count ? { p50: lat.percentile(0.5) / 1000, p90: lat.percentile(0.9) / 1000, p99: lat.percentile(0.99) / 1000 } : null,
          views: honest.map((r) => r.currentView),
          viewChanges: counters['pbft.view-changes'] ?? 0,
          newViews: counters['pbft.new-views'] ?? 0,
          stableCheckpoints: counters['pbft.checkpoints.stable'] ?? 0,
          stateTransfers: counters['pbft.state-transfers'] ?? 0,
          messagesPerBlock: blocks > 0 ? (counters['net.messages.delivered'] ?? 0) / blocks : null,
          rejected,
          ...(cfg.reconfigure.length > 0
            ? {
                reconfigurations,
                epochs: honest.map((r) => r.currentCommittee.epoch),
                members: [...(honest.find((r) => r.currentCommittee.epoch === directoryEpoch)?.currentCommittee.members ?? [])],
                stale: counters['pbft.stale'] ?? 0,
              }
            : {}),
        };
      },
    };
}

export const pbftModule: ProtocolModule<PbftConfig, PbftMessage> = {
  name: 'pbft',
  description: 'PBFT (Castro & Liskov) committee with MAC authenticators, view changes, checkpoints, adversaries and safety/liveness checkers',
  schema: pbftSchema,
  headline: pbftHeadline,
  timeline: pbftTimeline,
  build: (scenario, seed) => buildPbft(scenario, seed),
  mutants: Object.fromEntries(
    Object.entries(PBFT_MUTANTS).map(([name, m]) => [name, { description: m.description, invariant: m.invariant, build: (scenario: Scenario<PbftConfig>, seed: number) => buildPbft(scenario, seed, m.variant) }]),
  ),
};
