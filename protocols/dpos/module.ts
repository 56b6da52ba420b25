/**
 * The `dpos` protocol module: seed 003's alliance chain (Feng Tao et al., 2020) — ranked medical
 * institutions elect delegates by stake-weighted vote (DPoS, after BitShares/EOS) and the
 * delegates order blocks of record hashes, access events and ballots with PBFT (Castro & Liskov,
 * OSDI'99 / TOCS'02, protocols/pbft); the committee changes every epoch through a PBFT
 * `reconfigure` that every delegate checks against the tally of the committed ballots.
 *
 * Node layout: delegate nodes 0 … C − 1 (one per candidate institution, in candidate id order),
 * then institution nodes C … C + I − 1 (institution i is node C + i); further nodes idle.
 * Byzantine delegates (the cartel's candidates and `byzantineCandidates` extra ones) run the PBFT
 * adversary named by `cartel.behaviour` / `byzantineBehaviour`.
 */
import { z } from 'zod';
import type { RunResult, Simulation } from '../../sim/kernel.ts';
import type { ProtocolModule } from '../../sim/protocol.ts';
import { fraction, integer, protocolScenarioRules, refineIssue } from '../../sim/scenario/schema.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { NodeId, ProtocolNode } from '../../sim/types.ts';
import { duration, size } from '../../sim/units.ts';
import {
  BadAuthReplica, Cartel, CartelReplica, DoubleVotingReplica, EquivocatingPrimary, SilentReplica, WithholdingReplica,
} from '../pbft/adversaries/index.ts';
import { KeyRing } from '../pbft/auth.ts';
import { makeCheckers } from '../pbft/checkers.ts';
import type { PbftMessage } from '../pbft/messages.ts';
import type { Committee, PbftOptions, ReplicaHooks } from '../pbft/replica.ts';
import { PbftReplica } from '../pbft/replica.ts';
import { CommitteeMatchesTallyChecker, NoUngrantedReencryptionChecker } from './checker.ts';
import type { ElectionOptions } from './election.ts';
import { faultBound, runElection } from './election.ts';
import type { PopulationSpec, Tier, TierSpec } from './institutions.ts';
import { buildPopulation, cartelShares, DEFAULT_TIERS, TIERS } from './institutions.ts';
import { DposLedger, makeLayout } from './ledger.ts';
import type { DposMessage, DposWorld, PbftStackFactory, ProxyFactory } from './node.ts';
import { DelegateNode, InstitutionNode } from './node.ts';
import { CorruptCFragProxy, TamperingReplicaStore, UngrantedProxy } from './offchain-adversaries.ts';
import type { OffchainWorld } from './offchain.ts';
import { PreProxy, ReplicaStore, UmbralDirectory } from './offchain.ts';
import { dposHeadline, dposTimeline } from './outcomes.ts';
import { candidateCount } from './rules.ts';

const stakeSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('fixed').describe('Every member holds the same stake.'), value: integer({ min: 1 }).describe('Stake tokens (integer ≥ 1).') }),
    z.strictObject({
      kind: z.literal('uniform').describe('Uniform integer stake.'),
      min: integer({ min: 1 }).describe('Smallest stake, tokens.'),
      max: integer({ min: 1 }).describe('Largest stake, tokens.'),
    }),
    z.strictObject({
      kind: z.literal('lognormal').describe('Log-normal stake, rounded, at least 1.'),
      median: z.number().positive().describe('Median stake, tokens.'),
      sigma: z.number().min(0).describe('σ of the underlying normal (unitless).'),
    }),
  ])
  .describe('Stake distribution of the tier (tokens).');

const tierSchema = (t: Tier) => {
  const d = DEFAULT_TIERS[t];
  return z
    .strictObject({
      weight: integer({ min: 0 }).default(d.weight).describe(`Vote weight: a ballot counts stake × weight (integer ≥ 0). Default ${d.weight}.`),
      share: z.number().min(0).default(d.share).describe(`Share of the institutions in this tier (fraction; shares are normalised). Default ${d.share}.`),
      stake: stakeSchema.default(d.stake).describe('Stake distribution of the tier (tokens).'),
      candidateShare: fraction().default(d.candidateShare).describe(`Fraction of the tier (richest first) standing as delegate candidates. Default ${d.candidateShare}.`),
      trust: z.number().min(0).default(d.trust).describe(`Honest voters' base preference for this tier's candidates (unitless score). Default ${d.trust}.`),
    })
    .prefault({})
    .describe(`The ${t} tier.`);
};

const BEHAVIOURS = ['honest', 'silent', 'equivocate', 'double-vote', 'withhold', 'cartel', 'bad-auth'] as const;
type Behaviour = (typeof BEHAVIOURS)[number];
const behaviourSchema = (def: Behaviour) =>
  z.enum(BEHAVIOURS).default(def).describe(`PBFT adversary a Byzantine delegate runs (protocols/pbft/adversaries): ${BEHAVIOURS.join(' | ')}; "cartel" = colluding equivocation split. Default ${def}.`);

const cpuField = (what: string) => duration().prefault('0us').describe(`CPU time charged to the virtual clock ${what} (µs after parsing). Default 0.`);

const recordsSchema = z.strictObject({
  initialRecords: integer({ min: 0 }).default(0).describe('Records each institution creates at the start, at uniform times within 1 s after `start` (so shares have records to pick from). Default 0.'),
  createRate: z.number().min(0).default(0.02).describe('Records each institution creates per second (Poisson, 1/s): encrypt, store at the replicas, commit the hash. Default 0.02.'),
  shareRate: z.number().min(0).default(0.01).describe('Shares (grants) each institution makes per second (Poisson, 1/s), of a random committed own record with a random other institution. Default 0.01.'),
  revokeRate: z.number().min(0).default(0.002).describe('Revocations each institution makes per second (Poisson, 1/s), of a random active grant. Default 0.002.'),
  fetchRate: z.number().min(0).default(0.01).describe('Re-fetches each institution makes per second (Poisson, 1/s) of a random record shared with it (revoked ones included; besides the fetch right after each share). Default 0.01.'),
  recordSize: size().prefault('4KiB').describe('Plaintext bytes of a record; the stored object adds the 96-byte capsule, 24-byte nonce and 16-byte tag. Default 4KiB.'),
  replication: integer({ min: 1 }).default(3).describe('r: replica institutions storing each record (not the owner; at most institutions − 1). Default 3.'),
  proxies: integer({ min: 1 }).default(5).describe('n: proxy delegates (kFrags) per grant, chosen from the committee the owner knows; at most the committee size. Default 5.'),
  threshold: integer({ min: 1 }).default(3).describe('m: cFrags needed to decrypt (m ≤ n); revocation holds while ≥ n − m + 1 proxies delete their kFrags. Default 3.'),
  spare: integer({ min: 0 }).default(1).describe('Proxies a reader asks beyond m at the start of a fetch (more are asked on refusals, bad cFrags and timeouts). Default 1.'),
  redelegate: z.boolean().default(true).describe('When the committee changes, owners re-delegate active grants left with fewer than threshold + spare proxies in it (fresh kFrags for proxies of the new committee, a new grant on chain). Default true.'),
  timeout: duration({ positive: true }).prefault('1s').describe('A replica or proxy that has not answered within this is treated as unavailable; also the owner\'s wait for replica acknowledgements (µs after parsing). Default 1s.'),
  start: duration().prefault('0s').describe('No records workload before this time (µs after parsing). Default 0s.'),
  stop: duration().optional().describe('No new records workload after this time (µs after parsing); omitted = workload.stop, else the end.'),
  tamperingReplicas: z.array(integer({ min: 0 })).default([]).describe('Institution ids whose replica serves altered bytes (Byzantine storage). Default none.'),
  byzantineProxies: z
    .strictObject({
      behaviour: z.enum(['corrupt-cfrag', 'ungranted']).describe('corrupt-cfrag: serves cFrags that fail their proof; ungranted: re-encrypts without a committed grant and keeps kFrags after revokes.'),
      count: integer({ min: 1 }).describe('How many: the first `count` members of the genesis committee (rank order).'),
    })
    .optional()
    .describe('Byzantine proxies (not judged by no-ungranted-reencryption). Default none.'),
  cpu: z
    .strictObject({
      encrypt: cpuField('per record encryption'),
      kfrag: cpuField('per kFrag generated (owner) or verified (proxy)'),
      reencrypt: cpuField('per cFrag a proxy produces'),
      verifyCfrag: cpuField('per cFrag a reader verifies'),
      decrypt: cpuField('per decryption of m cFrags'),
    })
    .prefault({})
    .describe('Per-operation CPU costs of the off-chain crypto (measured values: docs/crypto-ring-pre.md).'),
});

const dposSection = z
  .strictObject({
    name: z.literal('dpos'),
    institutions: integer({ min: 4, max: 100_000 }).default(200).describe('Number of institutions (voters), each a client node. Default 200.'),
    tiers: z
      .strictObject(Object.fromEntries(TIERS.map((t) => [t, tierSchema(t)])) as Record<Tier, ReturnType<typeof tierSchema>>)
      .prefault({})
      .describe('Per-tier vote weight, share of institutions, stake, candidacy and trust.'),
    committee: integer({ min: 1, max: 1000 }).default(19).describe('Committee size k (delegates); PBFT tolerates f = ⌊(k − 1)/3⌋. Default 19.'),
    votesPerInstitution: integer({ min: 1 }).optional().describe('V: most candidates one ballot approves. Default: the committee size.'),
    strategy: z.enum(['trust', 'stake', 'uniform']).default('trust').describe('Honest voting strategy (protocols/dpos/election.ts). Default trust.'),
    trustNoise: z.number().min(0).default(1).describe('Per-voter random term added to tier trust (unitless). Default 1.'),
    tieBreak: z.enum(['epoch-hash', 'lowest-id']).default('epoch-hash').describe('Rule for equal weighted votes. Default epoch-hash.'),
    epochLength: duration({ positive: true }).prefault('10s').describe('Length of an epoch (µs after parsing); the reconfigure is submitted at each boundary. Default 10s.'),
    epochs: integer({ min: 1 }).default(3).describe('Number of epochs (0 … epochs − 1); epochs − 1 reconfigurations. Default 3.'),
    votingWindow: fraction().default(0.5).describe('Ballots are cast at a uniform time in this first fraction of each epoch. Default 0.5.'),
    byzantineCandidates: integer({ min: 0 }).default(0).describe('Extra Byzantine candidates outside the cartel (uniform sample). Default 0.'),
    byzantineBehaviour: behaviourSchema('silent'),
    cartel: z
      .strictObject({
        institutions: integer({ min: 0 }).describe('Number of colluding institutions.'),
        stakeShare: fraction().nullable().default(null).describe('Share the cartel holds after rescaling its stakes (of stake, or of voting power if basis = power); null = as drawn. Default null.'),
        basis: z.enum(['stake', 'power']).default('stake').describe('What stakeShare is a share of: stake, or voting power (stake × weight). Default stake.'),
        candidates: integer({ min: 0 }).describe('Cartel members standing as (Byzantine) candidates; the cartel pools all its votes on them.'),
        tiers: z.array(z.enum(TIERS)).min(1).optional().describe('Tiers the cartel members come from. Default all.'),
        behaviour: behaviourSchema('cartel'),
      })
      .optional()
      .describe('A colluding cartel of institutions. Default none.'),
    workload: z
      .strictObject({
        rate: z.number().min(0).default(0.5).describe('Record-hash/access operations per second per institution (Poisson). Default 0.5.'),
        accessShare: fraction().default(0.3).describe('Fraction of operations that are access events. Default 0.3.'),
        opSize: size().prefault('128B').describe('Bytes of each record-hash/access operation. Default 128B.'),
        stop: duration().optional().describe('No new operations after this time (µs after parsing); omitted = until the end.'),
      })
      .prefault({})
      .describe('Institutions submitting record hashes and access events.'),
    pbft: z
      .strictObject({
        batchSize: integer({ min: 1 }).default(50).describe('Most requests per pre-prepare. Default 50.'),
        batchTimeout: duration({ positive: true }).prefault('5ms').describe('Longest wait for a full batch (µs after parsing). Default 5ms.'),
        checkpointInterval: integer({ min: 1 }).default(16).describe('K: sequence numbers between checkpoints; committees switch at multiples of K. Default 16.'),
        watermarkWindow: integer({ min: 1 }).default(64).describe('L: sequence numbers above the low watermark; a multiple of K. Default 64.'),
        viewChangeTimeout: duration({ positive: true }).prefault('1s').describe('T: view-change timer (µs after parsing). Default 1s.'),
        fetchTimeout: duration({ positive: true }).prefault('200ms').describe('State-transfer retry timer (µs after parsing). Default 200ms.'),
        retransmit: duration({ positive: true }).prefault('1s').describe('Clients\' first retransmission timeout, doubling (µs after parsing). Default 1s.'),
        maxOutstanding: integer({ min: 1 }).default(1000).describe('Most requests in flight per client. Default 1000.'),
        cpu: z
          .strictObject({
            mac: duration().prefault('0us').describe('CPU time charged per MAC tag computed or checked (µs after parsing). Default 0.'),
            sign: duration().prefault('0us').describe('CPU time per Ed25519 signature (µs after parsing). Default 0.'),
            verify: duration().prefault('0us').describe('CPU time per Ed25519 verification, PBFT\'s and ballot signatures alike (µs after parsing). Default 0.'),
          })
          .prefault({})
          .describe('Per-operation CPU costs charged to the delegates\' virtual clocks.'),
      })
      .prefault({})
      .describe('PBFT options passed through to every delegate.'),
    records: recordsSchema.optional().describe('Off-chain records and sharing by proxy re-encryption (docs/dpos.md "Off-chain records and sharing"). Default off.'),
    mutant: z
      .enum(['accept-any-reconfigure', 'skip-grant-check'])
      .optional()
      .describe('Deliberately broken honest delegates (checker tests): accept-any-reconfigure skips the tally check; skip-grant-check makes their proxies re-encrypt without a committed grant (and keep kFrags after a revoke).'),
    bogusReconfigure: z
      .strictObject({ at: duration().describe('When institution 0 submits a reconfigure naming the cartel\'s (or the last candidates\') delegates (µs after parsing).') })
      .optional()
      .describe('Attack: an institution submits a committee change no tally supports; honest delegates must refuse it.'),
    checkers: z
      .strictObject({
        liveness: z
          .strictObject({
            enabled: z.boolean().default(true).describe('Check liveness. Default true.'),
            bound: duration({ positive: true }).prefault('15s').describe('Every request issued after gst is accepted within this (µs after parsing). Default 15s.'),
            gst: duration().prefault('0s').describe('Global stabilisation time (µs after parsing). Default 0s.'),
          })
          .prefault({})
          .describe('Liveness after stabilisation.'),
      })
      .prefault({})
      .describe('Invariant checkers (PBFT agreement, validity, no-revert, total order, and committee-matches-tally are always on).'),
  });

export type DposConfig = z.output<typeof dposSection>;

export const dposSchema = dposSection
  .superRefine((cfg, ctx) => dposSectionRules(cfg, ctx))
  .describe('Seed 003 alliance chain: tiered institutions elect delegates (DPoS) who run PBFT; committee changes are PBFT reconfigurations checked against the tally.');

/** "tertiary ⌈1 × 30⌉ = 30, secondary ⌈0.5 × 60⌉ = 30, …": where the candidate count comes from. */
function candidateBreakdown(cfg: DposConfig, sizes: number[]): string {
  return TIERS.map((t, i) => `${t} ⌈${cfg.tiers[t].candidateShare} × ${sizes[i]}⌉ = ${Math.ceil(cfg.tiers[t].candidateShare * sizes[i] - 1e-9)}`).join(', ');
}

/**
 * Rules across the dpos section's fields, checked when the scenario is loaded (validate, run,
 * sweep points) with messages that give the number needed: the committee must fit the
 * candidates the tiers produce, the Byzantine candidates must exist, the records settings must be
 * consistent. The node count is checked against the whole scenario below.
 */
function dposSectionRules(cfg: DposConfig, ctx: z.RefinementCtx): void {
  if (!TIERS.some((t) => cfg.tiers[t].share > 0)) {
    refineIssue(ctx, ['tiers'], 'expected at least one tier with share > 0 (every institution belongs to a tier)');
    return;
  }
  const c = candidateCount(cfg);
  const cartelCandidates = cfg.cartel?.candidates ?? 0;
  if (cfg.cartel) {
    if (cfg.cartel.institutions > c.cartelPool) {
      refineIssue(ctx, ['cartel', 'institutions'], `expected at most ${c.cartelPool} (the institutions of the cartel's tiers${cfg.cartel.tiers ? ` ${cfg.cartel.tiers.join(', ')}` : ''}), got ${cfg.cartel.institutions}`);
    }
    if (cfg.cartel.candidates > cfg.cartel.institutions) {
      refineIssue(ctx, ['cartel', 'candidates'], `expected at most cartel.institutions (${cfg.cartel.institutions}), got ${cfg.cartel.candidates}`);
    }
  }
  const range = c.min === c.max ? `${c.min} candidates` : `${c.min} candidates (the fewest any seed gives: which tiers the cartel's members come from is drawn from the seed)`;
  if (cfg.committee > c.min) {
    refineIssue(ctx, ['committee'], `expected at most the ${range} this population has — ${candidateBreakdown(cfg, c.tierSizes)}${cartelCandidates ? ` + ${cartelCandidates} cartel candidates` : ''}; raise tiers.*.candidateShare or institutions — got ${cfg.committee}`, `at most ${c.min}`);
  }
  if (cfg.byzantineCandidates > c.min - cartelCandidates) {
    refineIssue(ctx, ['byzantineCandidates'], `expected at most ${c.min - cartelCandidates} (the candidates outside the cartel), got ${cfg.byzantineCandidates}`);
  }
  if (cfg.pbft.watermarkWindow % cfg.pbft.checkpointInterval !== 0) {
    refineIssue(ctx, ['pbft', 'watermarkWindow'], `expected a multiple of pbft.checkpointInterval (${cfg.pbft.checkpointInterval}), got ${cfg.pbft.watermarkWindow}`);
  }
  const r = cfg.records;
  if (r) {
    if (r.threshold > r.proxies) refineIssue(ctx, ['records', 'threshold'], `expected at most records.proxies (${r.proxies}), got ${r.threshold}`);
    if (r.proxies > cfg.committee) refineIssue(ctx, ['records', 'proxies'], `expected at most the committee size (${cfg.committee}), got ${r.proxies}`);
    if (r.replication > cfg.institutions - 1) refineIssue(ctx, ['records', 'replication'], `expected at most institutions − 1 (${cfg.institutions - 1}), got ${r.replication}`);
    r.tamperingReplicas.forEach((i, j) => {
      if (i >= cfg.institutions) refineIssue(ctx, ['records', 'tamperingReplicas', j], `expected an institution id from 0 to ${cfg.institutions - 1}, got ${i}`);
    });
    if (r.byzantineProxies && r.byzantineProxies.count > cfg.committee) refineIssue(ctx, ['records', 'byzantineProxies', 'count'], `expected at most the committee size (${cfg.committee}), got ${r.byzantineProxies.count}`);
  }
}

protocolScenarioRules.add(dposSchema, {
  check(scenario) {
    const cfg = scenario.protocol as DposConfig;
    if (!TIERS.some((t) => cfg.tiers[t].share > 0)) return [];
    const c = candidateCount(cfg);
    const needed = c.max + cfg.institutions;
    const nodes = scenario.network.nodes;
    if (nodes >= needed) return [];
    const delegates = c.min === c.max ? `${c.max} candidate delegates` : `up to ${c.max} candidate delegates (the count depends on the seed with a cartel)`;
    return [{ path: ['network', 'nodes'], message: `expected at least ${needed} nodes for protocol dpos (${delegates} + ${cfg.institutions} institutions), got ${nodes}`, expected: `at least ${needed} nodes` }];
  },
});

/** The off-chain world of a run (undefined when `records` is absent). */
function offchainWorldOf(cfg: DposConfig, scenarioDuration: number, layout: ReturnType<typeof makeLayout>, seed: number): OffchainWorld | undefined {
  const r = cfg.records;
  if (!r) return undefined;
  if (r.threshold > r.proxies) throw new Error(`dpos: records.threshold ${r.threshold} > records.proxies ${r.proxies}`);
  if (r.proxies > cfg.committee) throw new Error(`dpos: records.proxies ${r.proxies} > committee ${cfg.committee}`);
  if (r.replication > cfg.institutions - 1) throw new Error(`dpos: records.replication ${r.replication} > institutions − 1 (${cfg.institutions - 1})`);
  for (const i of r.tamperingReplicas) if (i >= cfg.institutions) throw new Error(`dpos: records.tamperingReplicas names institution ${i}, but there are ${cfg.institutions}`);
  if (r.byzantineProxies && r.byzantineProxies.count > cfg.committee) throw new Error(`dpos: records.byzantineProxies.count ${r.byzantineProxies.count} > committee ${cfg.committee}`);
  return {
    layout,
    institutions: cfg.institutions,
    directory: new UmbralDirectory(seed),
    records: {
      initialRecords: r.initialRecords, createRate: r.createRate, shareRate: r.shareRate, revokeRate: r.revokeRate, fetchRate: r.fetchRate,
      recordBytes: r.recordSize, replication: r.replication, proxies: r.proxies, threshold: r.threshold, spare: r.spare, redelegate: r.redelegate,
      timeoutUs: r.timeout, startUs: r.start, stopUs: r.stop ?? cfg.workload.stop ?? scenarioDuration,
      cpu: { encryptUs: r.cpu.encrypt, kfragUs: r.cpu.kfrag, reencryptUs: r.cpu.reencrypt, verifyCfragUs: r.cpu.verifyCfrag, decryptUs: r.cpu.decrypt },
    },
  };
}

const msOf = (h: { count: number; mean: number; p50: number; p90: number; p99: number; max: number } | undefined) =>
  h && h.count > 0 ? { count: h.count, meanMs: h.mean / 1000, p50Ms: h.p50 / 1000, p90Ms: h.p90 / 1000, p99Ms: h.p99 / 1000, maxMs: h.max / 1000 } : { count: 0 };

class IdleNode implements ProtocolNode<DposMessage> {
  onMessage(): void {}
}

/** Honest delegate whose tally check is switched off (mutant for checker tests). */
class AcceptAnyReconfigureDelegate extends DelegateNode {
  protected override authorize(): boolean {
    return true;
  }
}

export function populationSpecOf(cfg: DposConfig): PopulationSpec {
  return {
    institutions: cfg.institutions,
    tiers: Object.fromEntries(TIERS.map((t) => [t, cfg.tiers[t] as TierSpec])) as Record<Tier, TierSpec>,
    cartel: cfg.cartel ? { institutions: cfg.cartel.institutions, stakeShare: cfg.cartel.stakeShare, basis: cfg.cartel.basis, candidates: cfg.cartel.candidates, tiers: cfg.cartel.tiers } : undefined,
    byzantineCandidates: cfg.byzantineCandidates,
  };
}

export function electionOptionsOf(cfg: DposConfig): ElectionOptions {
  return { committee: cfg.committee, votesPerInstitution: cfg.votesPerInstitution ?? cfg.committee, strategy: cfg.strategy, trustNoise: cfg.trustNoise, tieBreak: cfg.tieBreak };
}

export const dposModule: ProtocolModule<DposConfig, DposMessage> = {
  name: 'dpos',
  description: 'Seed 003 alliance chain: tiered institutions elect delegates by stake-weighted vote (DPoS); delegates run PBFT; committee changes checked against the tally',
  schema: dposSchema,
  headline: dposHeadline,
  timeline: dposTimeline,
  build(scenario: Scenario<DposConfig>, seed: number) {
    const cfg = scenario.protocol;
    const pop = buildPopulation(populationSpecOf(cfg), seed);
    const C = pop.candidates.length;
    const needed = C + cfg.institutions;
    if (cfg.committee > C) throw new Error(`dpos: committee ${cfg.committee} > ${C} candidates (raise tiers.*.candidateShare)`);
    if (scenario.network.nodes < needed) throw new Error(`dpos: network.nodes is ${scenario.network.nodes}, but ${C} candidate delegates + ${cfg.institutions} institutions need ${needed}`);
    if (cfg.pbft.watermarkWindow % cfg.pbft.checkpointInterval !== 0) throw new Error('dpos: pbft.watermarkWindow must be a multiple of pbft.checkpointInterval');
    const layout = makeLayout(pop);
    const keys = KeyRing.fromSeed(seed);
    const election = electionOptionsOf(cfg);
    const genesisElection = runElection(pop, 0, seed, election);
    const genesis: Committee = { members: genesisElection.committee.map((c) => layout.delegateNode(c)), epoch: 0, startView: 0 };
    const pbft: PbftOptions = {
      batchSize: cfg.pbft.batchSize,
      batchTimeoutUs: cfg.pbft.batchTimeout,
      checkpointInterval: cfg.pbft.checkpointInterval,
      watermarkWindow: cfg.pbft.watermarkWindow,
      viewChangeTimeoutUs: cfg.pbft.viewChangeTimeout,
      fetchTimeoutUs: cfg.pbft.fetchTimeout,
      cpu: { macUs: cfg.pbft.cpu.mac, signUs: cfg.pbft.cpu.sign, verifyUs: cfg.pbft.cpu.verify },
    };
    const ledgerOptions = { committee: cfg.committee, votesPerInstitution: election.votesPerInstitution, tieBreak: cfg.tieBreak, checkpointInterval: cfg.pbft.checkpointInterval };
    const world: DposWorld = {
      pop, layout, keys, seed, election, ledger: ledgerOptions, pbft,
      client: { maxOutstanding: cfg.pbft.maxOutstanding, retransmitUs: cfg.pbft.retransmit },
      genesis,
      epochLengthUs: cfg.epochLength,
      epochs: cfg.epochs,
      votingWindow: cfg.votingWindow,
      workloadRate: cfg.workload.rate,
      accessShare: cfg.workload.accessShare,
      opBytes: cfg.workload.opSize,
      stopUs: cfg.workload.stop ?? scenario.duration,
      nodeCount: needed,
      offchain: offchainWorldOf(cfg, scenario.duration, layout, seed),
    };

    // Byzantine delegates and their PBFT behaviour.
    const behaviourOf = new Map<NodeId, Behaviour>();
    for (const c of pop.byzantine) behaviourOf.set(layout.delegateNode(c), pop.institutions[c].cartel ? cfg.cartel!.behaviour : cfg.byzantineBehaviour);
    const byzantine = new Set<NodeId>(behaviourOf.keys());
    const cartel = new Cartel(new Set([...behaviourOf].filter(([, b]) => b === 'cartel').map(([id]) => id)));
    const stackFor = (id: NodeId): PbftStackFactory => (identity, committee, hooks: ReplicaHooks) => {
      const replica = new PbftReplica(identity, committee, keys, pbft, hooks);
      const b = behaviourOf.get(id) ?? 'honest';
      const node: ProtocolNode<PbftMessage> =
        b === 'silent' ? new SilentReplica(replica, keys, 0)
        : b === 'equivocate' ? new EquivocatingPrimary(replica, keys)
        : b === 'double-vote' ? new DoubleVotingReplica(replica, keys)
        : b === 'withhold' ? new WithholdingReplica(replica, keys, 'both')
        : b === 'cartel' ? new CartelReplica(replica, keys, cartel)
        : b === 'bad-auth' ? new BadAuthReplica(replica, keys, 1, 0.2)
        : replica;
      return { replica, node };
    };

    const live = cfg.checkers.liveness;
    const pbftCheckers = makeCheckers(byzantine, live.enabled ? { boundUs: live.bound, gstUs: live.gst } : undefined);
    const tallyChecker = new CommitteeMatchesTallyChecker(new DposLedger(pop, layout, keys, ledgerOptions, genesis.members), byzantine);
    const delegates: DelegateNode[] = [];
    const institutions: InstitutionNode[] = [];

    // Off-chain records: proxies (honest, Byzantine or the mutant) and replica stores.
    const off = world.offchain;
    const byzantineProxies = new Set<NodeId>(off && cfg.records?.byzantineProxies ? genesis.members.slice(0, cfg.records.byzantineProxies.count) : []);
    const proxyFor = (id: NodeId): ProxyFactory | undefined => {
      if (!off) return undefined;
      const kind = byzantineProxies.has(id) ? cfg.records!.byzantineProxies!.behaviour : cfg.mutant === 'skip-grant-check' && !byzantine.has(id) ? 'ungranted' : 'honest';
      return (self, ledger, isMember) =>
        kind === 'corrupt-cfrag' ? new CorruptCFragProxy(self, off, ledger, isMember)
        : kind === 'ungranted' ? new UngrantedProxy(self, off, ledger, isMember)
        : new PreProxy(self, off, ledger, isMember);
    };
    const tampering = new Set(cfg.records?.tamperingReplicas ?? []);
    const reencryptChecker = off ? new NoUngrantedReencryptionChecker(tallyChecker.model, new Set([...byzantine, ...byzantineProxies])) : undefined;

    return {
      observers: [...pbftCheckers.all, tallyChecker, ...(reencryptChecker ? [reencryptChecker] : [])],
      createNode(id: NodeId): ProtocolNode<DposMessage> {
        if (id < C) {
          const Impl = cfg.mutant === 'accept-any-reconfigure' && !byzantine.has(id) ? AcceptAnyReconfigureDelegate : DelegateNode;
          return (delegates[id] = new Impl(pop.candidates[id], id, world, stackFor(id), proxyFor(id)));
        }
        if (id < needed) {
          const store = off ? (tampering.has(id - C) ? new TamperingReplicaStore() : new ReplicaStore()) : undefined;
          return (institutions[id - C] = new InstitutionNode(id - C, id, world, store));
        }
        return new IdleNode();
      },
      install(sim: Simulation<DposMessage>) {
        if (cfg.bogusReconfigure) {
          const fake = (pop.cartelCandidates.length ? pop.cartelCandidates : pop.candidates.slice(-cfg.committee)).map((c) => layout.delegateNode(c));
          const members = [...fake, ...pop.candidates.map((c) => layout.delegateNode(c)).filter((n) => !fake.includes(n))].slice(0, cfg.committee);
          sim.at(cfg.bogusReconfigure.at, 'dpos/bogus-reconfigure', () => {
            if (!sim.isCrashed(C)) institutions[0].client.submit(sim.context(C) as never, { kind: 'reconfigure', members });
          });
        }
        const liveness = pbftCheckers.liveness;
        if (liveness) {
          const every = Math.max(1, Math.floor(live.bound / 4));
          const tick = (t: number) => {
            if (t > scenario.duration) return;
            sim.at(t, 'dpos/liveness-check', () => {
              const v = liveness.check(sim.now);
              if (v) sim.fail(v);
              else tick(t + every);
            });
          };
          tick(every);
        }
      },
      summarize(sim: Simulation<DposMessage>, result: RunResult) {
        const model = tallyChecker.model;
        const f = faultBound(cfg.committee);
        const epochs = [...model.committees.keys()].sort((a, b) => a - b).map((e) => {
          const nodes = model.committees.get(e)!;
          const members = nodes.map((n) => pop.candidates[n]);
          const byz = nodes.filter((n) => byzantine.has(n)).length;
          const predicted = runElection(pop, e, seed, election).committee;
          return {
            epoch: e,
            committee: members,
            delegateNodes: [...nodes],
            byzantineSeats: byz,
            f,
            consistent: byz <= f,
            ballotsCounted: e === 0 ? null : model.ballotsCounted.get(e) ?? null,
            matchesOffChainElection: predicted.length === members.length && predicted.every((c, i) => c === members[i]),
          };
        });
        const seconds = result.simTimeUs / 1e6;
        const ops = model.records + model.accessEvents;
        const counters = result.metrics.counters;
        const rejected: Record<string, number> = {};
        for (const [name, v] of Object.entries(counters)) if (name.startsWith('pbft.rejected.')) rejected[name.slice('pbft.rejected.'.length)] = v;
        const shares = cartelShares(pop);
        const prefixed = (prefix: string) => {
          const out: Record<string, number> = {};
          for (const [name, v] of Object.entries(counters)) if (name.startsWith(prefix)) out[name.slice(prefix.length)] = v;
          return out;
        };
        const offchainSummary = () => {
          const c = (name: string) => counters[`dpos.records.${name}`] ?? 0;
          const stores = institutions.filter((n) => n?.store).map((n) => n.store!);
          let grants = 0;
          let revokes = 0;
          let withMeta = 0;
          for (const r of model.recordEntries.values()) if (r.meta) withMeta++;
          const held = delegates.reduce((n, d) => n + (d?.proxy?.kfragsHeld ?? 0), 0);
          for (const inst of institutions) for (const g of inst?.records?.grants.values() ?? []) if (g.state === 'active') grants++; else if (g.state === 'revoked') revokes++;
          const r = cfg.records!;
          return {
            replication: r.replication,
            proxies: r.proxies,
            threshold: r.threshold,
            recordsCreated: c('created'),
            recordsCommitted: c('committed'),
            recordsOnChainWithMetadata: withMeta,
            recordsStored: stores.reduce((n, s) => n + s.size, 0),
            replicaBytes: stores.reduce((n, s) => n + s.bytesStored, 0),
            replicaRejected: c('replica.rejected'),
            storeFailed: c('store.failed'),
            storePartial: c('store.partial'),
            shares: c('shares'),
            sharesCommitted: c('shares.committed'),
            sharesSkipped: c('share.skipped'),
            redelegations: c('redelegations'),
            redelegationsCommitted: c('redelegations.committed'),
            revokes: c('revokes'),
            revokesCommitted: c('revokes.committed'),
            grantsActiveAtEnd: grants,
            grantsRevokedAtEnd: revokes,
            kfragsHeldAtEnd: held,
            accessRefusedOnChain: model.accessRefused,
            recordsRefusedOnChain: model.recordsRefused,
            fetches: { started: c('fetch.started'), ok: c('fetch.ok'), failed: prefixed('dpos.records.fetch.fail.') },
            proxyRefusals: prefixed('dpos.records.proxy.refused.'),
            proxyTimeouts: c('proxy.timeouts'),
            reencryptions: c('reencryptions'),
            cfragsInvalid: c('cfrag.invalid'),
            objectsTampered: c('object.tampered'),
            kfragsRejected: c('kfrag.rejected'),
            shareLatency: msOf(result.metrics.histograms['dpos.records.share-latency']),
            fetchLatency: msOf(result.metrics.histograms['dpos.records.fetch-latency']),
            byzantineProxies: [...byzantineProxies],
            ungrantedReencryptions: { honest: reencryptChecker!.honestUngranted, byzantine: reencryptChecker!.byzantineUngranted },
            reencryptionsJudged: { honest: reencryptChecker!.honestServed, byzantine: reencryptChecker!.byzantineServed },
          };
        };
        return {
          institutions: cfg.institutions,
          candidates: C,
          committee: cfg.committee,
          f,
          byzantineCandidates: pop.byzantine.length,
          cartel: pop.cartel.length ? { institutions: pop.cartel.length, candidates: pop.cartelCandidates.length, stakeShare: shares.stake, powerShare: shares.power } : null,
          epochs,
          consistencyHeld: epochs.every((e) => e.consistent),
          reconfigurations: epochs.length - 1,
          reconfigureDecisions: { authorized: model.decisions.filter((d) => d.authorized).length, refused: model.decisions.filter((d) => !d.authorized).length },
          committedBlocks: model.lastSeq,
          committedOps: { records: model.records, accessEvents: model.accessEvents, ballotsIgnored: model.ballotsIgnored, malformed: model.malformed },
          committedOpsPerSec: seconds > 0 ? ops / seconds : 0,
          installationsChecked: tallyChecker.checked,
          viewChanges: counters['pbft.view-changes'] ?? 0,
          messagesPerBlock: model.lastSeq > 0 ? (counters['net.messages.delivered'] ?? 0) / model.lastSeq : null,
          rejected,
          offchain: off ? offchainSummary() : null,
        };
      },
    };
  },
};
