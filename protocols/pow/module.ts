/**
 * The `pow` protocol module: HealthChain (seed 000) on a Bitcoin-style proof-of-work chain, with
 * the double-spend, selfish-mining, time-warp and tampering adversaries, for scenario files. The
 * relay, fork choice, mining timer and the double-spend attacker are the shared Nakamoto
 * machinery (protocols/nakamoto/); this folder supplies Bitcoin's chain (`PowChain`), seed 000's
 * transactions and workload, and the pow-specific attacks and mutants.
 */
import { z } from 'zod';
import type { Simulation } from '../../sim/kernel.ts';
import type { ProtocolModule, ProtocolRun } from '../../sim/protocol.ts';
import { fraction, integer, probability } from '../../sim/scenario/schema.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { NodeId, Observer } from '../../sim/types.ts';
import { duration, size } from '../../sim/units.ts';
import { ForkConvergence } from '../nakamoto/checkers.ts';
import { DoubleSpendAttacker, installDoubleSpend, type DoubleSpendOutcome } from '../nakamoto/double-spend.ts';
import { MOST_WORK } from '../nakamoto/fork-choice.ts';
import { NakamotoNode } from '../nakamoto/node.ts';
import { ProbabilisticReconstruction, quotaMask, REQUEST_TIMEOUT_US, type CompactReconstruction, type MissingShare } from '../nakamoto/world.ts';
import { Rng } from '../../sim/rng.ts';
import { SIMBLOCK_MISSING_CHURN, SIMBLOCK_MISSING_ORDINARY } from './simblock.ts';
import { SelfishMiner } from './attacks/selfish.ts';
import { TamperingMiner } from './attacks/tampering.ts';
import { TimewarpAttacker } from './attacks/timewarp.ts';
import type { Block } from './block.ts';
import type { ChainState, PowEntry } from './chain.ts';
import { ConfirmedNotReversed } from './checkers.ts';
import { powMetrics } from './metrics.ts';
import type { ForkChoice } from '../nakamoto/fork-choice.ts';
import { POW_MUTANTS } from './mutants.ts';
import { powHeadline, powTimeline } from './outcomes.ts';
import { makeTx, type Tx } from './tx.ts';
import { makeSubmitter, Workload, type WorkloadOptions } from './workload.ts';
import { MemoryBackend } from '../records/store.ts';
import { PowWorld, type PowMessage, type PowNode, type PowOptions } from './world.ts';
import { publicKeyFromSecret, sign as edSign } from '../crypto/ed25519.ts';
import { seededRandom } from '../crypto/random.ts';

const rate = (what: string) => z.number().min(0).default(0).describe(`${what}, events per second of virtual time (whole network, Poisson). Default 0.`);

const workloadSchema = z
  .strictObject({
    recordRate: rate('Records issued (data-storage txs, seed 000 Alg. 2)'),
    shareRate: rate('Access grants (access-control txs, Alg. 4)'),
    revokeRate: rate('Revocations (access txs with an empty permission set)'),
    fetchRate: rate('Random third-party fetches through the record store (challenge, chain authorisation at fetchConfirmations, decrypt, verify); grantees also fetch each new grant once it is deep enough'),
    transferRate: rate('Plain value transfers'),
    doctors: integer({ min: 0 }).default(20).describe('Record issuers (integer). Default 20.'),
    patients: integer({ min: 0 }).default(100).describe('Record owners (integer). Default 100.'),
    thirdParties: integer({ min: 0 }).default(20).describe('Grantees (integer). Default 20.'),
    feeRateMin: z.number().min(0).default(1).describe('Lowest fee rate, base units per byte. Default 1.'),
    feeRateMax: z.number().min(0).default(10).describe('Highest fee rate, base units per byte. Default 10.'),
    coinsPerWallet: integer({ min: 1 }).default(16).describe('Genesis coins per wallet (integer). Default 16.'),
    coinValue: integer({ min: 1 }).default(1_000_000_000).describe('Value of each genesis coin, base units. Default 1e9.'),
    fetchConfirmations: integer({ min: 1 }).default(1).describe('Confirmations an access tx (and the storage tx) needs before the store serves the record and the fetcher accepts it. Default 1.'),
    recordSize: size({ positive: true }).prefault('256B').describe('Size of each plaintext medical record M (bytes after parsing); the stored ciphertext is 203 bytes larger. Default 256B.'),
    grantLifetime: duration({ positive: true }).prefault('1d').describe('Lifetime of a grant (expiration − issue time; µs after parsing). Default 1d.'),
  })
  .prefault({})
  .describe('The HealthChain workload; every tx is really signed and pays a fee.');

const attackSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({
      kind: z.literal('double-spend'),
      hashShare: fraction().describe('Attacker hash share q (0..1); honest miners share 1 − q equally.'),
      confirmations: integer({ min: 0 }).default(6).describe('Confirmations z the merchant waits for. Default 6.'),
      payAt: duration().prefault('1s').describe('When the payment is broadcast and the secret chain starts (µs after parsing). Default 1s.'),
      giveUpDeficit: integer({ min: 1 }).default(30).describe('The attacker abandons when the public chain leads by this many blocks. Default 30.'),
    }),
    z.strictObject({
      kind: z.literal('selfish'),
      hashShare: fraction().describe('Selfish pool hash share α (0..1).'),
      gamma: fraction().default(0.5).describe('Share γ of honest nodes the pool reaches first in a tie (direct pushes). Default 0.5.'),
    }),
    z.strictObject({
      kind: z.literal('timewarp'),
      hashShare: fraction().describe('Attacker hash share q (0..1), used only to mine its private branches; honest miners share 1 − q equally.'),
      startAt: duration().prefault('30m').describe('When the first private branch forks from the attacker\'s view of the public tip (µs after parsing). Default 30m.'),
      timeStretch: z
        .number()
        .min(1)
        .default(4)
        .describe('Fake timestamp step of each private block, in block intervals (parent time + timeStretch × blockInterval). ≥ 4 eases the target ×4 per retarget window (the clamp), down to powLimit. Default 4.'),
      publishDepth: integer({ min: 1 })
        .default(8)
        .describe('Publish only once the public chain holds this many blocks above the fork (set it ≥ checks.confirmedDepth so reversed txs count as confirmed). Default 8.'),
      lead: integer({ min: 1 }).default(2).describe('Publish only when the private branch is this many blocks HIGHER than the public tip (and carries less work). Default 2.'),
      workMargin: integer({ min: 0 })
        .default(3)
        .describe('Publish only when the branch carries LESS work than the public chain had this many blocks below its tip, so honest most-work nodes lagging by up to that many blocks still ignore it. Default 3.'),
      maxBlocks: integer({ min: 1 }).default(5000).describe('Abandon a round after this many private blocks. Default 5000.'),
      repeat: z.boolean().default(false).describe('Start a new round from the public tip after each publication or abandonment. Default false.'),
    }),
    z.strictObject({
      kind: z.literal('tampering'),
      hashShare: fraction().default(0.1).describe('How often the tamperer forges: its "hash share" of the block rate. Default 0.1.'),
      mode: z.enum(['rewrite', 'body']).default('rewrite').describe('rewrite: re-mined block with an altered tx (bad signature); body: genuine header, altered body (bad Merkle root).'),
    }),
  ])
  .prefault({ kind: 'none' })
  .describe('Adversary, chosen by `kind`: none | double-spend | selfish | timewarp | tampering. The attacker is the last node.');

/** A missing-bytes distribution: [share of the block's bytes, relative weight] pairs. */
const missingTable = (who: string) =>
  z
    .array(z.tuple([fraction(), z.number().positive()]))
    .min(1)
    .describe(`After a failed reconstruction, the share of the block's bytes ${who} fetches with getblocktxn: [share, weight] pairs, one drawn by weight.`);

const reconstructionSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('mempool') }).describe('BIP 152 as specified: the receiver fetches exactly the txs its mempool lacks.'),
    z
      .strictObject({
        kind: z.literal('probabilistic'),
        failure: probability().default(0.13).describe('Probability that an ordinary node fails to rebuild a compact block. Default 0.13 (SimBlock CBR_FAILURE_RATE_FOR_CONTROL_NODE).'),
        churnFailure: probability().default(0.27).describe('Same for a churning node. Default 0.27 (SimBlock CBR_FAILURE_RATE_FOR_CHURN_NODE).'),
        churnShare: fraction().default(0.976).describe('Share of nodes that churn (exactly ⌈share × nodes⌉, seeded). Churn here only raises the failure rate and the bytes fetched, as in SimBlock; nodes do not leave. Default 0.976 (SimBlock CHURN_NODE_RATE).'),
        missing: z
          .union([
            z.literal('simblock').describe('SimBlock\'s tables: ordinary nodes fetch 1 % of the block; churning nodes a share from 1 % to 96 % (mean 8.7 %) (CBR_FAILURE_BLOCK_SIZE_DISTRIBUTION_*).'),
            z.strictObject({ ordinary: missingTable('an ordinary node'), churn: missingTable('a churning node') }),
          ])
          .default('simblock')
          .describe('Bytes fetched after a failure: simblock, or your own tables. Default simblock.'),
      })
      .describe('SimBlock\'s statistical model (a stand-in for mempool divergence that ignores the mempool): a receiver fails with a fixed probability, higher for churning nodes, and then fetches a random share of the block.'),
  ])
  .prefault({ kind: 'mempool' })
  .describe('How a compact block is rebuilt, chosen by `kind`: mempool (default) | probabilistic.');

export const powSchema = z
  .strictObject({
    name: z.literal('pow'),
    blockInterval: duration({ positive: true }).prefault('600s').describe('Target block spacing (µs after parsing). Default 600s (Bitcoin).'),
    zeroBits: integer({ min: 1, max: 24 }).default(8).describe('Leading zero bits of the initial simulation target: each block costs ~2^bits real hashes. Default 8.'),
    retargetInterval: integer({ min: 0 }).default(2016).describe('Blocks between difficulty retargets (0 = fixed target). Default 2016 (Bitcoin).'),
    maxBlockSize: size({ positive: true }).prefault('1MB').describe('Largest block (bytes after parsing). Default 1MB.'),
    miners: integer({ min: 1 }).optional().describe('Honest mining nodes (ids 0..miners−1, equal shares); omitted = every honest node mines.'),
    txRelay: z.enum(['full', 'pooled']).default('pooled').describe('full: every tx gossiped with inv/getdata (small networks); pooled: txs reach all mempools after `pooledDelay`. Default pooled.'),
    pooledDelay: duration().prefault('2s').describe('Pooled relay: tx propagation delay to every mempool (µs after parsing). Default 2s.'),
    compactBlocks: z.boolean().default(false).describe('BIP 152 compact-block relay (mode: compactMode). Default false.'),
    compactMode: z
      .enum(['high-bandwidth', 'low-bandwidth'])
      .default('high-bandwidth')
      .describe('BIP 152 mode. high-bandwidth: each node asks 3 peers to push cmpctblock unasked (sendcmpct(1)). low-bandwidth: blocks are announced with inv and fetched with getdata(MSG_CMPCT_BLOCK) from peers that announced support (sendcmpct(0)) — SimBlock\'s model. Default high-bandwidth.'),
    compactShare: fraction()
      .default(1)
      .describe('Share of nodes that speak BIP 152 (exactly ⌈share × nodes⌉, chosen with a seeded stream); two nodes use compact blocks only if both do, others get full blocks. SimBlock: 0.964 (CBR_USAGE_RATE). Default 1.'),
    reconstruction: reconstructionSchema,
    fillerSize: size().prefault('0B').describe('Padding per mined block (bytes after parsing), for SimBlock-style propagation runs. Default 0B.'),
    fillerTxSize: size()
      .prefault('0B')
      .describe('Split the padding into filler txs of this wire size (bytes after parsing; the last takes the remainder, ≥ 20 B each), so a compact block carries one 6-byte short id per filler as it would per mempool tx (180B gives SimBlock\'s 18 kB compact block for 535 kB). Default 0B: one filler tx.'),
    stopAfterBlocks: integer({ min: 0 }).default(0).describe('Miners stop after this many blocks in total (0 = never). Default 0.'),
    workload: workloadSchema,
    attack: attackSchema,
    checks: z
      .strictObject({
        confirmedDepth: integer({ min: 1 }).default(6).describe('Fail if an honest node reverses a tx with ≥ this many confirmations. Default 6.'),
        convergenceSlack: integer({ min: 0 }).optional().describe('Fail at the end if an honest tip forks more than this many blocks below the best tip; omitted = off.'),
      })
      .prefault({})
      .describe('Invariant checkers.'),
  })
  .describe('HealthChain (seed 000) on proof of work: real blocks, txs, signatures and PoW; inv/getdata relay; attacks.');

export type PowConfig = z.output<typeof powSchema>;

export interface PowRun extends ProtocolRun<PowMessage> {
  world: PowWorld;
  nodes: PowNode[];
  honest: NodeId[];
  workload: Workload;
}

/** Builds a run of the pow protocol for `scenario` (exported for tests and benchmarks). */
/** `forkChoice` is the extension point a mutant (mutants.ts) replaces; honest runs use MOST_WORK. */
export function buildPow(scenario: Scenario<PowConfig>, seed: number, forkChoice: ForkChoice = MOST_WORK): PowRun {
  const cfg = scenario.protocol;
  const n = scenario.network.nodes;
  const attack = cfg.attack;
  const attacker = attack.kind === 'none' ? -1 : n - 1;
  const honest: NodeId[] = [];
  for (let i = 0; i < n; i++) if (i !== attacker) honest.push(i);
  const q = attack.kind === 'none' ? 0 : attack.hashShare;
  const miners = honest.slice(0, Math.min(cfg.miners ?? honest.length, honest.length));
  const share = new Float64Array(n);
  for (const m of miners) share[m] = (1 - q) / miners.length;
  if (attacker >= 0) share[attacker] = q;

  const { grantLifetime, recordSize, ...rates } = cfg.workload;
  const wl: WorkloadOptions = { ...rates, grantLifetimeUs: grantLifetime, recordBytes: recordSize };
  const workload = new Workload(wl, seed);
  const genesisOutputs = workload.genesisOutputs();
  // The double spender owns one genesis coin (paid to the merchant, then double-spent).
  const attackKeys = attack.kind === 'double-spend' ? attackerKeys(seed) : undefined;
  if (attackKeys) genesisOutputs.push({ value: 1_000_000_000, owner: attackKeys.pay.key });
  const options: PowOptions = {
    blockIntervalUs: cfg.blockInterval,
    zeroBits: cfg.zeroBits,
    retargetInterval: cfg.retargetInterval,
    maxBlockBytes: cfg.maxBlockSize,
    txRelay: cfg.txRelay,
    pooledDelayUs: cfg.pooledDelay,
    compactBlocks: cfg.compactBlocks,
    compactMode: cfg.compactMode,
    // Quotas drawn only when the knob is off its default, so default runs consume no extra draws.
    compactSupport: cfg.compactShare < 1 ? quotaMask(n, cfg.compactShare, Rng.stream(seed, 'pow/compact-support')) : undefined,
    compactReconstruction: reconstructionModel(cfg.reconstruction, n, seed),
    fillerBytes: cfg.fillerSize,
    fillerTxBytes: cfg.fillerTxSize,
    forkChoice,
    hashShare: share,
    stopAfterBlocks: cfg.stopAfterBlocks,
    requestTimeoutUs: REQUEST_TIMEOUT_US,
  };
  const world = new PowWorld(options, n, genesisOutputs);
  workload.fund(world.genesisAllocation);
  const nodes: PowNode[] = new Array(n);
  const isHonest = (id: NodeId) => id !== attacker;
  let simRef: Simulation<PowMessage> | undefined;
  const observers: Observer[] = [new ConfirmedNotReversed(cfg.checks.confirmedDepth, isHonest)];
  if (cfg.checks.convergenceSlack !== undefined) {
    observers.push(new ForkConvergence(cfg.checks.convergenceSlack, () => honest.filter((id) => !simRef?.isCrashed(id)).map((id) => ({ node: id, tip: nodes[id].tip }))));
  }
  const outcome: { doubleSpend?: DoubleSpendOutcome } = {};

  return {
    world,
    nodes,
    honest,
    workload,
    observers,
    createNode(id) {
      let node: PowNode;
      if (id !== attacker) node = new NakamotoNode(id, world);
      else if (attack.kind === 'double-spend') node = new DoubleSpendAttacker(id, world, attack.confirmations, attack.giveUpDeficit);
      else if (attack.kind === 'selfish') node = new SelfishMiner(id, world, attack.gamma, honest);
      else if (attack.kind === 'tampering') node = new TamperingMiner(id, world, attack.mode);
      else if (attack.kind === 'timewarp') {
        node = new TimewarpAttacker(id, world, {
          startAtUs: attack.startAt,
          timeStretch: attack.timeStretch,
          publishDepth: attack.publishDepth,
          lead: attack.lead,
          workMargin: attack.workMargin,
          maxBlocks: attack.maxBlocks,
          repeat: attack.repeat,
        });
      }
      else node = new NakamotoNode(id, world);
      return (nodes[id] = node);
    },
    install(sim) {
      simRef = sim;
      const submit = makeSubmitter(sim, world, nodes, honest);
      // The record store (the "cloud") reads the chain through the first honest node.
      const storeNode = honest[0];
      workload.install(sim, world, submit, scenario.duration, { node: storeNode, tip: () => nodes[storeNode].tip });
      if (attack.kind === 'double-spend' && attackKeys) {
        outcome.doubleSpend = installPowDoubleSpend(sim, world, nodes, attacker, honest[0], attackKeys, submit, attack.payAt);
      }
    },
    summarize(sim, result) {
      const m = powMetrics(world, nodes, honest, result.simTimeUs, workload.shareLatenciesS);
      const store = workload.store!;
      const out: Record<string, unknown> = {
        ...m,
        records: { issued: workload.records.length, discarded: workload.discarded, stored: store.backend instanceof MemoryBackend ? store.backend.size : undefined },
        shares: { ...workload.shareOutcomes, pending: workload.pendingShares },
        fetches: workload.fetches,
        store: { served: store.served, refusals: { ...store.refusals } },
      };
      if (outcome.doubleSpend) out.doubleSpend = { ...outcome.doubleSpend };
      if (attack.kind === 'selfish') {
        const pool = nodes[attacker] as SelfishMiner;
        const ties = pool.tiesOnPool + pool.tiesOnHonest;
        out.selfish = { q: attack.hashShare, gamma: attack.gamma, revenueShare: m.minerShare[attacker] ?? 0, ties, effectiveGamma: ties > 0 ? pool.tiesOnPool / ties : null };
      }
      if (attack.kind === 'timewarp') {
        const a = nodes[attacker] as TimewarpAttacker;
        let adopted = 0;
        for (const id of honest) {
          for (let e: PowEntry | null = nodes[id].tip; e && e.parent; e = e.parent) {
            if (world.minedBy.get(e.hash) === attacker) {
              adopted++;
              break;
            }
          }
        }
        out.timewarp = { rounds: a.rounds, publications: a.publications, abandoned: a.abandoned, privateBlocks: a.privateBlocks, published: a.published, honestTipsOnAttackerBranch: adopted };
      }
      if (attack.kind === 'tampering') {
        const c = sim.metrics.snapshot().counters;
        out.tampering = { forged: c['pow.tamper.forged'] ?? 0, rejectedBadSignature: c['pow.block.rejected.bad-signature'] ?? 0, rejectedBadMerkleRoot: c['pow.block.rejected.bad-merkle-root'] ?? 0 };
      }
      return out;
    },
  };
}

/** The compact-block reconstruction model of a run (undefined = the relay's default, FROM_MEMPOOL). */
function reconstructionModel(r: PowConfig['reconstruction'], n: number, seed: number): CompactReconstruction | undefined {
  if (r.kind === 'mempool') return undefined;
  const pairs = (t: [number, number][]): MissingShare[] => t.map(([share, weight]) => ({ share, weight }));
  return new ProbabilisticReconstruction({
    failure: r.failure,
    churnFailure: r.churnFailure,
    churn: quotaMask(n, r.churnShare, Rng.stream(seed, 'pow/churn')),
    missingOrdinary: r.missing === 'simblock' ? SIMBLOCK_MISSING_ORDINARY : pairs(r.missing.ordinary),
    missingChurn: r.missing === 'simblock' ? SIMBLOCK_MISSING_CHURN : pairs(r.missing.churn),
  });
}

interface AttackKeys {
  pay: { secret: Uint8Array; key: Uint8Array };
  merchant: Uint8Array;
  back: Uint8Array;
}

function attackerKeys(seed: number): AttackKeys {
  const r = seededRandom(String(seed), 'pow/attack/keys');
  const secret = r(32);
  return { pay: { secret, key: publicKeyFromSecret(secret) }, merchant: publicKeyFromSecret(r(32)), back: publicKeyFromSecret(r(32)) };
}

/**
 * The double spend of Bitcoin whitepaper §11 / seed 001 §4.2 on HealthChain: at `payAt` the
 * attacker pays the merchant (honest node `merchant`) with P and mines C, which spends the same
 * genesis coin back to itself, in its secret branch (protocols/nakamoto/double-spend.ts).
 */
function installPowDoubleSpend(
  sim: Simulation<PowMessage>,
  world: PowWorld,
  nodes: PowNode[],
  attacker: NodeId,
  merchant: NodeId,
  keys: AttackKeys,
  submit: (tx: Tx, fee: number) => void,
  payAtUs: number,
): DoubleSpendOutcome {
  const alloc = world.genesisAllocation;
  const coinIndex = alloc.outputs.length - 1;
  const coin = { txid: alloc.txid, index: coinIndex };
  const value = alloc.outputs[coinIndex].value;
  const fee = 10_000;
  const sign = (_i: number, msg: Uint8Array) => edSign(msg, keys.pay.secret);
  const payment = makeTx({ kind: 'transfer', inputs: [coin], outputs: [{ value: value - fee, owner: keys.merchant }] }, sign);
  const conflict = makeTx({ kind: 'transfer', inputs: [coin], outputs: [{ value: value - fee, owner: keys.back }] }, sign);
  return installDoubleSpend<Block, Tx, ChainState>(sim, world, nodes, { attacker, merchant, payment, conflict, payAtUs, submit: (tx) => submit(tx, fee) });
}

export const powModule: ProtocolModule<PowConfig, PowMessage> = {
  name: 'pow',
  description: 'HealthChain (seed 000) on proof of work, with double-spend, selfish-mining, time-warp and tampering attacks',
  schema: powSchema,
  build: (scenario, seed) => buildPow(scenario, seed),
  headline: powHeadline,
  timeline: powTimeline,
  mutants: Object.fromEntries(
    Object.entries(POW_MUTANTS).map(([name, m]) => [name, { description: m.description, invariant: m.invariant, build: (scenario: Scenario<PowConfig>, seed: number) => buildPow(scenario, seed, m.forkChoice) }]),
  ),
};
