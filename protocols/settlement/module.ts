/**
 * The `settlement` protocol module: seed 002's confidential medical-fee settlement (Yu–Hu–Ding
 * 2021, §§3.1–3.3) on a permissioned chain with Fabric's execute–order–validate flow — patients
 * pay hospitals and the insurance centre from Paillier-encrypted balances with zero-knowledge
 * proofs, organisation peers endorse, the PBFT committee of protocols/pbft orders, committers
 * validate (endorsement policy, MVCC) and apply homomorphically, the regulator audits.
 * docs/settlement.md is the reference; parties.ts gives the node layout.
 */
import { z } from 'zod';
import type { RunResult, Simulation } from '../../sim/kernel.ts';
import type { ProtocolModule, ProtocolRun } from '../../sim/protocol.ts';
import { integer, fraction } from '../../sim/scenario/schema.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { NodeId, ProtocolNode } from '../../sim/types.ts';
import { duration } from '../../sim/units.ts';
import { CostTableError, loadCostTable } from '../../sim/cost-table.ts';
import {
  BadAuthReplica, Cartel, CartelReplica, DelayingReplica, DoubleVotingReplica, EquivocatingPrimary, SilentReplica, SlowPrimary, WithholdingReplica,
} from '../pbft/adversaries/index.ts';
import { KeyRing } from '../pbft/auth.ts';
import { makeCheckers } from '../pbft/checkers.ts';
import type { PbftMessage } from '../pbft/messages.ts';
import { PbftReplica, type PbftOptions } from '../pbft/replica.ts';
import { CHEAT_KINDS, CheatingPatient, DoubleSpender, EndorseAnythingPeer, ReplayAttacker, type CheatKind } from './adversaries.ts';
import { makeSettlementCheckers } from './checkers.ts';
import { costNames, settlementCosts } from './costs.ts';
import { SettlementKeys } from './keys.ts';
import type { SettleMessage } from './messages.ts';
import { MUTANTS, type SettlementMutant } from './mutants.ts';
import { settlementHeadline } from './outcomes.ts';
import { OrdererNode } from './orderer.ts';
import { Directory, Layout } from './parties.ts';
import { PatientNode } from './patient.ts';
import { OrgPeer } from './peer.ts';
import { Regulator } from './regulator.ts';
import type { PaymentEnv } from './payment.ts';
import { FREE, type SettlementWorld } from './world.ts';

const ORDERER_ADVERSARIES = ['silent', 'equivocate', 'double-vote', 'withhold', 'delay', 'bad-auth', 'slow-primary', 'cartel'] as const;

const patientsTarget = {
  patients: z.array(integer({ min: 0 })).min(1).optional().describe('Patient indices (0 … patients − 1) that run this adversary.'),
  count: integer({ min: 1 }).optional().describe('Alternatively: the first `count` patients.'),
};

const adversarySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.enum(CHEAT_KINDS).describe('A cheating patient (protocols/settlement/adversaries.ts): overdraft (fails 2b), mismatch (2c), wrong-balance (2d), foreign-spend (2e), hide-from-regulator (2r), malformed (ciphertexts not units / ≥ n², garbage envelopes).'),
    ...patientsTarget,
    share: fraction().default(1).describe('Probability that a bill is paid dishonestly (the rest honestly). Default 1.'),
    colludeWith: z.array(z.string()).default([]).describe('Organisations (e.g. "hospital/0") asked first for endorsements: colluding Byzantine endorsers. Default none.'),
    submitUnendorsed: z.boolean().default(false).describe('Submit dishonest payments to ordering with whatever endorsements were obtained when honest peers refuse. Default false.'),
  }),
  z.strictObject({
    kind: z.literal('double-spend').describe('A patient paying each bill twice from one balance version (two honest payments racing; exactly one may commit).'),
    ...patientsTarget,
  }),
  z.strictObject({
    kind: z.literal('replay').describe('Eavesdropping member nodes (after the patients) that resubmit every committed payment to ordering.'),
    nodes: integer({ min: 1 }).default(1).describe('Number of replaying nodes. Default 1.'),
    poll: duration({ positive: true }).prefault('200ms').describe('How often each polls an orderer for new blocks (µs after parsing). Default 200ms.'),
  }),
  z.strictObject({
    kind: z.literal('endorse-anything').describe('Byzantine organisation peers that endorse every proposal they can decode, valid or not.'),
    orgs: z.array(z.string()).min(1).describe('Organisation names, e.g. ["hospital/1"].'),
  }),
]);

export const settlementSchema = z
  .strictObject({
    name: z.literal('settlement'),
    keyBits: z.union([z.literal(1024), z.literal(2048), z.literal(4096)]).default(1024).describe('Paillier modulus size of every account and of the regulator (bits): 1024, 2048 or 4096. Default 1024.'),
    setupBits: z.union([z.literal(2048), z.literal(3072)]).default(2048).describe('Size of the regulator\'s ring-Pedersen modulus N̂ (bits). Default 2048.'),
    amountBits: integer({ min: 8, max: 256 }).default(64).describe('ℓ: amounts and balances lie in [0, 2^ℓ) amount units (bits). Default 64.'),
    keySeed: z.string().min(1).default('medchain-sim/settlement/v1').describe('Seed of every Paillier and ring-Pedersen key (keys are cached on disk by seed, label and size: .cache/medsim/keys/ or $MEDSIM_CACHE_DIR/keys, outside git); "run" derives the keys from the run seed. Default "medchain-sim/settlement/v1": the same parties in every run.'),
    orderers: integer({ min: 1, max: 100 }).default(4).describe('Ordering nodes: the PBFT committee (tolerates f = ⌊(K − 1)/3⌋ Byzantine). Default 4.'),
    hospitals: integer({ min: 1, max: 100 }).default(3).describe('TCM hospitals: organisations with an endorsing and committing peer each. Default 3.'),
    insurer: z.boolean().default(true).describe('Whether the medical-insurance centre is an organisation (a payee and endorser). Default true.'),
    patients: integer({ min: 1, max: 100_000 }).default(20).describe('Patients (clients), each with an encrypted balance. Default 20.'),
    balances: z
      .strictObject({
        patient: integer({ min: 0 }).default(1_000_000).describe('Initial balance of each patient (amount units). Default 1000000.'),
        organisation: integer({ min: 0 }).default(0).describe('Initial balance of each hospital and of the insurer (amount units). Default 0.'),
      })
      .prefault({})
      .describe('Genesis balances (public at genesis; encrypted on the ledger).'),
    endorsement: z
      .strictObject({
        required: integer({ min: 1 }).default(2).describe('Endorsements of this many distinct organisations are required (k of n). Default 2.'),
        orgs: z.array(z.string()).optional().describe('Organisations whose endorsements count (default: all).'),
      })
      .prefault({})
      .describe('The endorsement policy committers check.'),
    workload: z
      .strictObject({
        rate: z.number().min(0).default(0.2).describe('Bills per second per patient (Poisson, 1/s). Default 0.2.'),
        minAmount: integer({ min: 1 }).default(100).describe('Smallest bill (amount units). Default 100.'),
        maxAmount: integer({ min: 1 }).default(5000).describe('Largest bill (amount units). Default 5000.'),
        insurerShare: fraction().default(0.3).describe('Fraction of bills payable to the insurer (the rest to a uniform hospital). Default 0.3.'),
        inFlight: integer({ min: 1 }).default(1).describe('Most open payments per patient; > 1 builds several on one committed balance (MVCC conflicts). Default 1.'),
        maxBills: integer({ min: 0 }).optional().describe('At most this many bills per patient (then none); omitted = no limit.'),
        start: duration().prefault('0s').describe('No bills before this time (µs after parsing). Default 0s.'),
        stop: duration().optional().describe('No bills after this time (µs after parsing); omitted = until the end.'),
      })
      .prefault({})
      .describe('Patients paying bills.'),
    timing: z
      .strictObject({
        endorseTimeout: duration({ positive: true }).prefault('3s').describe('A patient asks another organisation when an endorsement takes longer (µs after parsing). Default 3s.'),
        endorseWait: duration({ positive: true }).prefault('1s').describe('An endorser behind a proposal\'s read set waits at most this long for its ledger (µs after parsing). Default 1s.'),
        deliveryTimeout: duration({ positive: true }).prefault('500ms').describe('A committer missing a block pulls it from other orderers after this long (µs after parsing). Default 500ms.'),
        statusTimeout: duration({ positive: true }).prefault('10s').describe('A patient without an outcome queries its balance after this long (µs after parsing). Default 10s.'),
      })
      .prefault({})
      .describe('Client and peer timeouts.'),
    pbft: z
      .strictObject({
        batchSize: integer({ min: 1 }).default(20).describe('Most transactions per PBFT batch (block). Default 20.'),
        batchTimeout: duration({ positive: true }).prefault('10ms').describe('Longest wait for a full batch (µs after parsing). Default 10ms.'),
        checkpointInterval: integer({ min: 1 }).default(16).describe('K: sequence numbers between checkpoints. Default 16.'),
        watermarkWindow: integer({ min: 1 }).default(64).describe('L: sequence numbers above the low watermark; a multiple of K. Default 64.'),
        viewChangeTimeout: duration({ positive: true }).prefault('2s').describe('View-change timer (µs after parsing). Default 2s.'),
        fetchTimeout: duration({ positive: true }).prefault('200ms').describe('PBFT state-transfer retry timer (µs after parsing). Default 200ms.'),
        retransmit: duration({ positive: true }).prefault('5s').describe('Clients\' first PBFT retransmission timeout, doubling (µs after parsing). Default 5s.'),
        byzantine: z
          .strictObject({
            kind: z.enum(ORDERER_ADVERSARIES).describe(`PBFT adversary (protocols/pbft/adversaries): ${ORDERER_ADVERSARIES.join(' | ')}.`),
            count: integer({ min: 1 }).describe('The first `count` orderers run it.'),
          })
          .optional()
          .describe('Byzantine orderers. Default none.'),
      })
      .prefault({})
      .describe('The ordering service.'),
    cpu: z
      .strictObject({
        table: z.string().default('reference').describe('Cost table to charge from: "reference" (results/reference/cost-table.json, committed), "calibrated" (results/calibration/cost-table.json from `medsim calibrate`) or a JSON file path. Default reference.'),
        charge: z.boolean().default(true).describe('Charge CPU time of proofs, verifications, signatures and MACs to the nodes\' virtual clocks. Default true.'),
      })
      .prefault({})
      .describe('CPU costs of the real cryptography (docs/settlement.md "CPU costs").'),
    adversaries: z.array(adversarySchema).default([]).describe('Attacks (docs/settlement.md "Attacks"). Default none.'),
  })
  .superRefine((c, ctx) => {
    const orgNames = [...Array.from({ length: c.hospitals }, (_, j) => `hospital/${j}`), ...(c.insurer ? ['insurer'] : [])];
    const orgExpected = `one of ${orgNames.map((n) => `"${n}"`).join(', ')}`;
    const checkOrg = (name: string, path: (string | number)[]) => {
      if (!orgNames.includes(name)) ctx.addIssue({ code: 'custom', path, message: `expected ${orgExpected}, got "${name}"`, params: { expected: orgExpected } });
    };
    (c.endorsement.orgs ?? []).forEach((n, i) => checkOrg(n, ['endorsement', 'orgs', i]));
    const policyOrgs = c.endorsement.orgs?.length ?? orgNames.length;
    if (c.endorsement.required > policyOrgs) {
      const expected = `at most ${policyOrgs} (the organisations whose endorsements count)`;
      ctx.addIssue({ code: 'custom', path: ['endorsement', 'required'], message: `expected ${expected}, got ${c.endorsement.required}`, params: { expected } });
    }
    if (c.workload.maxAmount < c.workload.minAmount) {
      const expected = `at least workload.minAmount (${c.workload.minAmount})`;
      ctx.addIssue({ code: 'custom', path: ['workload', 'maxAmount'], message: `expected ${expected}, got ${c.workload.maxAmount}`, params: { expected } });
    }
    if (c.pbft.watermarkWindow % c.pbft.checkpointInterval !== 0) {
      const expected = `a multiple of pbft.checkpointInterval (${c.pbft.checkpointInterval})`;
      ctx.addIssue({ code: 'custom', path: ['pbft', 'watermarkWindow'], message: `expected ${expected}, got ${c.pbft.watermarkWindow}`, params: { expected } });
    }
    if (c.pbft.byzantine && c.pbft.byzantine.count > c.orderers) {
      const expected = `at most orderers (${c.orderers})`;
      ctx.addIssue({ code: 'custom', path: ['pbft', 'byzantine', 'count'], message: `expected ${expected}, got ${c.pbft.byzantine.count}`, params: { expected } });
    }
    const taken = new Map<number, number>();
    c.adversaries.forEach((a, i) => {
      if (a.kind === 'replay') return;
      if (a.kind === 'endorse-anything') return a.orgs.forEach((n, k) => checkOrg(n, ['adversaries', i, 'orgs', k]));
      if ('colludeWith' in a) a.colludeWith.forEach((n, k) => checkOrg(n, ['adversaries', i, 'colludeWith', k]));
      if ((a.patients === undefined) === (a.count === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['adversaries', i], message: 'expected exactly one of `patients` or `count`', params: { expected: 'exactly one of `patients` or `count`' } });
        return;
      }
      const ids = a.patients ?? Array.from({ length: a.count! }, (_, k) => k);
      ids.forEach((p, k) => {
        const path = a.patients ? ['adversaries', i, 'patients', k] : ['adversaries', i, 'count'];
        const expected = `patient indices 0 … ${c.patients - 1} (patients is ${c.patients})`;
        if (p >= c.patients) ctx.addIssue({ code: 'custom', path, message: `expected ${expected}, got ${p}`, params: { expected } });
        else if (taken.has(p)) ctx.addIssue({ code: 'custom', path, message: `patient ${p} already runs adversary ${taken.get(p)}`, params: { expected: 'each patient in at most one adversary' } });
        else taken.set(p, i);
      });
    });
    try {
      const t = loadCostTable(c.cpu.table);
      const names = costNames(c.keyBits, c.setupBits);
      const missing = Object.values(names).filter((n) => !t.table.entries[n]);
      if (missing.length && c.cpu.charge) {
        const expected = `a cost table with entries ${missing.join(', ')} (run \`npx medsim calibrate --bits ${c.keyBits}\`)`;
        ctx.addIssue({ code: 'custom', path: ['cpu', 'table'], message: `expected ${expected}`, params: { expected } });
      }
    } catch (err) {
      if (!(err instanceof CostTableError)) throw err;
      if (c.cpu.charge) ctx.addIssue({ code: 'custom', path: ['cpu', 'table'], message: err.message, params: { expected: 'an existing cost table' } });
    }
  });

export type SettlementConfig = z.output<typeof settlementSchema>;

class IdleNode implements ProtocolNode<SettleMessage> {
  onMessage(): void {}
}

const quantile = (h: { count: number; p50: number; p90: number; p99: number; max: number } | undefined) =>
  h && h.count > 0 ? { count: h.count, p50Ms: h.p50 / 1000, p90Ms: h.p90 / 1000, p99Ms: h.p99 / 1000, maxMs: h.max / 1000 } : { count: 0 };

/** Builds the shared world of a run (exported for tests and the benchmark). */
export function settlementWorld(cfg: SettlementConfig, seed: number, layout: Layout): SettlementWorld {
  const keySeed = cfg.keySeed === 'run' ? `run/${seed}` : cfg.keySeed;
  const directory = new Directory(layout, { keyBits: cfg.keyBits, setupBits: cfg.setupBits, patientBalance: BigInt(cfg.balances.patient), orgBalance: BigInt(cfg.balances.organisation) }, new SettlementKeys(keySeed));
  const keys = KeyRing.fromSeed(seed);
  const payment: PaymentEnv = { directory, amountBits: cfg.amountBits, verifySignature: (node, d, s) => keys.verify(node, d, s) };
  const orgIndex = (name: string) => layout.orgs.find((o) => o.name === name)!.index;
  const costs = cfg.cpu.charge ? settlementCosts(loadCostTable(cfg.cpu.table), cfg.keyBits, cfg.setupBits) : FREE;
  const pbft: PbftOptions = {
    batchSize: cfg.pbft.batchSize,
    batchTimeoutUs: cfg.pbft.batchTimeout,
    checkpointInterval: cfg.pbft.checkpointInterval,
    watermarkWindow: cfg.pbft.watermarkWindow,
    viewChangeTimeoutUs: cfg.pbft.viewChangeTimeout,
    fetchTimeoutUs: cfg.pbft.fetchTimeout,
    cpu: { macUs: costs.macUs, signUs: costs.signUs, verifyUs: costs.sigVerifyUs },
  };
  return {
    seed,
    layout,
    directory,
    keys,
    payment,
    policy: { required: cfg.endorsement.required, orgs: (cfg.endorsement.orgs ?? layout.orgs.map((o) => o.name)).map(orgIndex).sort((a, b) => a - b) },
    costs,
    pbft,
    retransmitUs: cfg.pbft.retransmit,
    workload: {
      ratePerSec: cfg.workload.rate, minAmount: cfg.workload.minAmount, maxAmount: cfg.workload.maxAmount, insurerShare: cfg.workload.insurerShare,
      inFlight: cfg.workload.inFlight, maxBills: cfg.workload.maxBills ?? Number.POSITIVE_INFINITY, startUs: cfg.workload.start, stopUs: cfg.workload.stop ?? Number.POSITIVE_INFINITY,
    },
    timing: { endorseTimeoutUs: cfg.timing.endorseTimeout, endorseWaitUs: cfg.timing.endorseWait, deliveryTimeoutUs: cfg.timing.deliveryTimeout, statusTimeoutUs: cfg.timing.statusTimeout },
    ordererFaults: Math.floor((cfg.orderers - 1) / 3),
  };
}

export function layoutOf(cfg: SettlementConfig): Layout {
  const replayNodes = cfg.adversaries.reduce((n, a) => n + (a.kind === 'replay' ? a.nodes : 0), 0);
  return new Layout({ orderers: cfg.orderers, hospitals: cfg.hospitals, insurer: cfg.insurer, patients: cfg.patients, extraNodes: replayNodes });
}

/**
 * One run of the settlement protocol; `mutant` (mutants.ts, reached only through
 * `settlementModule.mutants`) replaces one rule of the honest peers or committers.
 */
export function buildSettlement(scenario: Scenario<SettlementConfig>, seed: number, mutantName?: string): ProtocolRun<SettleMessage | PbftMessage> {
    const cfg = scenario.protocol;
    const layout = layoutOf(cfg);
    if (scenario.network.nodes < layout.nodes) {
      throw new Error(`settlement: network.nodes is ${scenario.network.nodes}, but ${cfg.orderers} orderers + ${layout.orgs.length} organisations + the regulator + ${cfg.patients} patients${layout.extra.length ? ` + ${layout.extra.length} replay nodes` : ''} need ${layout.nodes}`);
    }
    const w = settlementWorld(cfg, seed, layout);
    const orgIndex = (name: string) => layout.orgs.find((o) => o.name === name)!.index;

    // Who is Byzantine.
    const byzantineOrgs = new Set<number>();
    const cheaters = new Map<number, { kind: CheatKind; share: number; colludeWith: number[]; submitUnendorsed: boolean }>();
    const doubleSpenders = new Set<number>();
    for (const a of cfg.adversaries) {
      if (a.kind === 'endorse-anything') for (const n of a.orgs) byzantineOrgs.add(orgIndex(n));
      else if (a.kind === 'double-spend') for (const p of a.patients ?? Array.from({ length: a.count! }, (_, k) => k)) doubleSpenders.add(p);
      else if (a.kind !== 'replay') for (const p of a.patients ?? Array.from({ length: a.count! }, (_, k) => k)) cheaters.set(p, { kind: a.kind, share: a.share, colludeWith: a.colludeWith.map(orgIndex), submitUnendorsed: a.submitUnendorsed });
    }
    const replayPoll = cfg.adversaries.find((a) => a.kind === 'replay')?.poll ?? 200_000;
    const byzOrderers = cfg.pbft.byzantine ? layout.orderers.slice(0, cfg.pbft.byzantine.count) : [];
    const byzantineCommitters = new Set<NodeId>([...byzantineOrgs].map((o) => layout.orgs[o].peer));
    const mutant: SettlementMutant | undefined = mutantName !== undefined ? MUTANTS[mutantName] : undefined;

    const settlementCheckers = makeSettlementCheckers(w, byzantineCommitters);
    const pbftCheckers = makeCheckers(new Set(byzOrderers));
    const cartel = new Cartel(new Set(cfg.pbft.byzantine?.kind === 'cartel' ? byzOrderers : []));
    const committee = { members: layout.orderers, epoch: 0, startView: 0 };

    const nodes = new Map<NodeId, ProtocolNode<never>>();
    const patients: PatientNode[] = [];
    const peers: OrgPeer[] = [];
    let regulator: Regulator | undefined;
    const replayers: ReplayAttacker[] = [];

    const createNode = (id: NodeId): ProtocolNode<SettleMessage | PbftMessage> => {
      if (id < layout.orderers.length) {
        const kind = byzOrderers.includes(id) ? cfg.pbft.byzantine!.kind : 'honest';
        return new OrdererNode(id, w, (hooks) => {
          const replica = new PbftReplica(id, committee, w.keys, w.pbft, hooks);
          const node: ProtocolNode<PbftMessage> =
            kind === 'silent' ? new SilentReplica(replica, w.keys, 0)
            : kind === 'equivocate' ? new EquivocatingPrimary(replica, w.keys)
            : kind === 'double-vote' ? new DoubleVotingReplica(replica, w.keys)
            : kind === 'withhold' ? new WithholdingReplica(replica, w.keys, 'both')
            : kind === 'delay' ? new DelayingReplica(replica, w.keys, 0, 100_000)
            : kind === 'bad-auth' ? new BadAuthReplica(replica, w.keys, 1, 0.2)
            : kind === 'slow-primary' ? new SlowPrimary(replica, w.keys, Math.max(1, cfg.pbft.viewChangeTimeout - 100_000))
            : kind === 'cartel' ? new CartelReplica(replica, w.keys, cartel)
            : replica;
          return { replica, node };
        }) as ProtocolNode<never>;
      }
      const org = layout.orgOfPeer(id);
      if (org) {
        const Impl = byzantineOrgs.has(org.index) ? EndorseAnythingPeer : (mutant?.peer ?? OrgPeer);
        const p = new Impl(org, w, byzantineOrgs.has(org.index) ? undefined : mutant?.ledger);
        peers.push(p);
        return p as ProtocolNode<never>;
      }
      if (id === layout.regulator) return (regulator = new Regulator(id, w, mutant?.ledger)) as ProtocolNode<never>;
      const pi = layout.patientIndex(id);
      if (pi >= 0 && pi < layout.patients.length) {
        const c = cheaters.get(pi);
        const p = c ? new CheatingPatient(id, pi, w, c.kind, c) : doubleSpenders.has(pi) ? new DoubleSpender(id, pi, w) : new PatientNode(id, pi, w);
        patients[pi] = p;
        return p as ProtocolNode<never>;
      }
      if (layout.extra.includes(id)) {
        const r = new ReplayAttacker(id, w, replayPoll);
        replayers.push(r);
        return r as ProtocolNode<never>;
      }
      return new IdleNode() as ProtocolNode<never>;
    };

    return {
      observers: [...pbftCheckers.all.filter((o) => o.name !== 'liveness'), ...settlementCheckers.all],
      createNode(id: NodeId) {
        const n = createNode(id);
        nodes.set(id, n as ProtocolNode<never>);
        return n;
      },
      install(_sim: Simulation<SettleMessage | PbftMessage>) {},
      summarize(_sim: Simulation<SettleMessage | PbftMessage>, result: RunResult) {
        const counters = result.metrics.counters;
        const prefixed = (prefix: string) => {
          const out: Record<string, number> = {};
          for (const [name, v] of Object.entries(counters)) if (name.startsWith(prefix)) out[name.slice(prefix.length)] = v;
          return out;
        };
        const model = settlementCheckers.model;
        let committed = 0;
        for (let s = 1; s <= model.height; s++) committed += model.facts[s]?.length ?? 0;
        const reference = regulator ?? peers.find((p) => !byzantineOrgs.has(p.org.index));
        const counts = reference?.ledger.counts ?? { valid: 0, malformed: 0, duplicate: 0, endorsement: 0, version: 0 };
        const submitted = counters['settlement.submitted'] ?? 0;
        const seconds = result.simTimeUs / 1e6;
        const findings = regulator?.audit.findings ?? [];
        const byProblem: Record<string, number> = {};
        for (const f of findings) byProblem[f.problem] = (byProblem[f.problem] ?? 0) + 1;
        const races = patients.filter((p): p is DoubleSpender => p instanceof DoubleSpender).flatMap((p) => p.races);
        const committedIds = new Set<string>();
        for (let s = 1; s <= model.height; s++) for (const f of model.facts[s] ?? []) committedIds.add(f.txId);
        const raceOutcome = races.map(([a, b]) => Number(committedIds.has(a)) + Number(committedIds.has(b)));
        const cheats: Record<string, { built: number; committed: number }> = {};
        for (const p of patients) {
          if (!(p instanceof CheatingPatient)) continue;
          const c = (cheats[p.kind] ??= { built: 0, committed: 0 });
          c.built += p.cheatStats.built;
          for (const id of p.cheats) if (committedIds.has(id)) c.committed++;
        }
        const table = cfg.cpu.charge ? loadCostTable(cfg.cpu.table) : undefined;
        return {
          keyBits: cfg.keyBits,
          setupBits: cfg.setupBits,
          parties: { orderers: cfg.orderers, organisations: layout.orgs.map((o) => o.name), patients: cfg.patients },
          policy: `${w.policy.required} of [${w.policy.orgs.map((o) => layout.orgs[o].name).join(', ')}]`,
          blocks: model.height,
          committed,
          committedPerSec: seconds > 0 ? Math.round((committed / seconds) * 1000) / 1000 : 0,
          submitted,
          invalidated: { version: counts.version, duplicate: counts.duplicate, endorsement: counts.endorsement, malformed: counts.malformed },
          refused: prefixed('settlement.refused.'),
          conflictRate: submitted > 0 ? Math.round((counts.version / submitted) * 10000) / 10000 : 0,
          bills: counters['settlement.bills'] ?? 0,
          clientDropped: prefixed('settlement.client.dropped.'),
          latency: quantile(result.metrics.histograms['settlement.latency']),
          audit: {
            result: findings.length === 0 ? 'pass' : 'fail',
            payments: regulator?.audit.payments ?? 0,
            amount: String(regulator?.audit.debits ?? 0n),
            findings: byProblem,
            first: findings.slice(0, 3).map((f) => ({ ...f, txId: f.txId.slice(0, 16) })),
          },
          adversaries: {
            cheats,
            doubleSpends: races.length ? { pairs: races.length, bothCommitted: raceOutcome.filter((n) => n === 2).length, oneCommitted: raceOutcome.filter((n) => n === 1).length, noneCommitted: raceOutcome.filter((n) => n === 0).length } : null,
            replays: replayers.reduce((n, r) => n + r.replays, 0),
            byzantineEndorsers: [...byzantineOrgs].map((o) => layout.orgs[o].name),
            byzantineOrderers: byzOrderers,
            mutant: mutantName ?? null,
          },
          checked: { payments: settlementCheckers.valid.checked },
          cpu: table
            ? { table: cfg.cpu.table, file: table.file, sha256: table.sha256, perOperationUs: w.costs, amountBitsNote: cfg.amountBits === 64 ? null : `costs measured at ℓ = 64; this run uses ℓ = ${cfg.amountBits}` }
            : { table: null, charged: false },
          rejected: { ...prefixed('settlement.rejected.'), ...Object.fromEntries(Object.entries(prefixed('pbft.rejected.')).map(([k, v]) => [`pbft.${k}`, v])) },
        };
      },
    };
}

export const settlementModule: ProtocolModule<SettlementConfig, SettleMessage | PbftMessage> = {
  name: 'settlement',
  description: 'Seed 002 confidential settlement: Paillier balances with ZK proofs; endorse, order (PBFT), validate; regulator audit',
  schema: settlementSchema,
  build: (scenario, seed) => buildSettlement(scenario, seed),
  headline: settlementHeadline,
  mutants: Object.fromEntries(
    Object.entries(MUTANTS).map(([name, m]) => [name, { description: m.description, invariant: m.invariant, build: (scenario: Scenario<SettlementConfig>, seed: number) => buildSettlement(scenario, seed, name) }]),
  ),
};
