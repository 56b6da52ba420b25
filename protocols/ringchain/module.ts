/**
 * The `ringchain` protocol module: seed 001 inside the simulator — a proof-of-work account chain
 * of ring-signed transactions (§2) running the RC / MRC / ALC record contracts (§3), under attack
 * (§4). The relay, fork choice, mining timer and the 51 % attacker are the shared Nakamoto
 * machinery (protocols/nakamoto/); this folder supplies the chain (`RingChain`), the workload,
 * the adversaries, the invariant checkers and the mutants. docs/ringchain.md describes it.
 */
import { z } from 'zod';
import type { Simulation } from '../../sim/kernel.ts';
import type { HeadlineOutcome, ProtocolModule, ProtocolRun } from '../../sim/protocol.ts';
import { fraction, integer } from '../../sim/scenario/schema.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { NodeId, Observer } from '../../sim/types.ts';
import { duration, size } from '../../sim/units.ts';
import { seededRandom } from '../crypto/random.ts';
import { ForkConvergence } from '../nakamoto/checkers.ts';
import { DoubleSpendAttacker } from '../nakamoto/double-spend.ts';
import { MOST_WORK } from '../nakamoto/fork-choice.ts';
import { NakamotoNode } from '../nakamoto/node.ts';
import { BadRootMiner, ForgingMiner, installUnwarrantReversal, NonOwnerClient, ReplayMiner, scheduleAttackTxs, type AdversaryKit, type UnwarrantReversalOutcome } from './adversaries.ts';
import type { RingBlock } from './block.ts';
import { RingChain, type RingChainParams, type RingEntry } from './chain.ts';
import { AlcConsistency, KeyImageNonceOnce, OwnerOnlyAuthorisation, StateRootAgreement, UnwarrantNotReversed } from './checkers.ts';
import { contractTxData, type Address } from './contracts/index.ts';
import { callSelector } from './contracts/txdata.ts';
import { newIdentity } from './keys.ts';
import { observe, type RingTx as AnonymityTx } from './anonymity.ts';
import { RINGCHAIN_MUTANTS, type RingchainVariant } from './mutants.ts';
import type { RingState } from './state.ts';
import type { RingTx } from './tx.ts';
import { makeSubmitter, RingWorkload } from './workload.ts';
import { RingWorld, type RingMessage, type RingNode } from './world.ts';

const ETHER = 10n ** 18n;
const rate = (what: string) => z.number().min(0).default(0).describe(`${what}, events per second of virtual time (whole network, Poisson). Default 0.`);
const ether = (what: string, dflt: number) => z.number().min(0).default(dflt).describe(`${what}, ether (10^18 wei). Default ${dflt}.`);

const workloadSchema = z
  .strictObject({
    registrationRate: rate('Registrations (a patient deploys its RC, Protocol 1)'),
    recordRate: rate('Records created (a patient deploys an MRC and subjoins it to its RC: two txs, Protocol 2)'),
    warrantRate: rate('Warrants (a patient authorises an institution\'s ALC on one of its records)'),
    unwarrantRate: rate('Unwarrants (a patient revokes a warranted institution; its ALC entry goes too)'),
    readRate: rate('Institution reads (getData on the institution\'s ALC, Protocol 3)'),
    transferRate: rate('Plain value transfers (each also enrols one new one-time key on chain)'),
    patients: integer({ min: 1 }).default(40).describe('Patients: identities enrolled and funded at genesis (integer). Default 40.'),
    institutions: integer({ min: 1 }).default(5).describe('Institutions: each deploys one ALC at the start (integer). Default 5.'),
    coverKeys: integer({ min: 0 }).default(20).describe('Extra keys enrolled at genesis only to serve as decoys (integer). Default 20.'),
    recordSize: size({ positive: true }).prefault('256B').describe('Record payload stored in each MRC (bytes after parsing). Default 256B.'),
    enrolOnTransfer: z.boolean().default(true).describe('Each plain transfer also enrols one new one-time key (so keys appear on chain over time, for recency-biased decoys). Default true.'),
    stopAt: duration().optional().describe('No new workload txs after this time (µs after parsing); omitted = until the end of the run.'),
    initialBalance: ether('Genesis balance of every participant', 100),
    transferValue: ether('Value of each plain transfer', 0.01),
  })
  .prefault({})
  .describe('The record workload; every tx is really ring-signed with a ring chosen by the decoy policy.');

const hashShare = (dflt?: number) => (dflt === undefined ? fraction() : fraction().default(dflt));

const attackSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({
      kind: z.literal('forged-signatures'),
      rate: z.number().min(0).default(0.2).describe('Forged / mutated txs submitted, per second of virtual time. Default 0.2.'),
      hashShare: hashShare(0.1).describe('Hash share of the forging miner, whose every block carries a forged tx (0..1). Default 0.1.'),
    }),
    z.strictObject({
      kind: z.literal('replay'),
      rate: z.number().min(0).default(0.2).describe('Replayed txs submitted (confirmed txs byte for byte, and the attacker\'s own used nonces re-signed), per second of virtual time. Default 0.2.'),
      hashShare: hashShare(0.1).describe('Hash share of the replaying miner, whose every block carries a replayed tx (0..1). Default 0.1.'),
    }),
    z.strictObject({
      kind: z.literal('non-owner'),
      rate: z.number().min(0).default(0.2).describe('Owner-only calls (warrant, unwarrant, personInfo) on other patients\' contracts, per second of virtual time. Default 0.2.'),
    }),
    z.strictObject({
      kind: z.literal('bad-root'),
      hashShare: hashShare(0.2).describe('Hash share of the miner whose blocks commit to a wrong root (0..1). Default 0.2.'),
      mode: z.enum(['state-root', 'tx-root']).default('state-root').describe('Which header root is wrong. Default state-root.'),
    }),
    z.strictObject({
      kind: z.literal('unwarrant-reversal'),
      hashShare: hashShare().describe('Attacker (an institution) hash share q (0..1); honest miners share 1 − q equally. q > 0.5 is the 51 % attack.'),
      confirmations: integer({ min: 0 }).default(6).describe('Confirmations the patient\'s node waits for before the revocation counts as done. Default 6.'),
      setupAt: duration().prefault('1m').describe('When the victim deploys its MRC and warrants the attacker\'s ALC (µs after parsing). Default 1m.'),
      revokeAt: duration().prefault('10m').describe('When the victim broadcasts the unwarrant and the secret branch starts (µs after parsing). Default 10m.'),
      giveUpDeficit: integer({ min: 1 }).default(30).describe('The attacker abandons when the public chain leads by this many blocks. Default 30.'),
    }),
  ])
  .prefault({ kind: 'none' })
  .describe('Adversary, chosen by `kind`: none | forged-signatures | replay | non-owner | bad-root | unwarrant-reversal. The attacker is the last node.');

export const ringchainSchema = z
  .strictObject({
    name: z.literal('ringchain'),
    blockInterval: duration({ positive: true }).prefault('15s').describe('Target block spacing (µs after parsing). Default 15s (Ethereum PoW).'),
    difficulty: integer({ min: 1, max: 1_000_000 }).default(256).describe('Block difficulty: expected hashes of the real nonce search per block (fixed). Default 256.'),
    ringSize: integer({ min: 1, max: 64 }).default(11).describe('Ring members per transaction (integer). Default 11 (Monero).'),
    decoyPolicy: z.enum(['uniform', 'gamma']).default('uniform').describe('How decoys are drawn from the enrolled keys: uniform, or recency-biased like Monero\'s gamma selection. Default uniform.'),
    ringReuse: z.boolean().default(false).describe('Each key signs all its txs with the ring chosen for its first one, so the rings sharing a key image are identical and intersecting them reveals nothing (docs/ringchain.md). Default false.'),
    txGasLimit: integer({ min: 21_000 }).default(3_000_000).describe('Gas limit of every tx, gas (seed 001\'s RLP carries none). Default 3,000,000.'),
    gasPrice: z.number().min(0).default(1).describe('Gas price of every tx, gwei (10^9 wei) per gas. Default 1.'),
    blockGasLimit: integer({ min: 21_000 }).default(30_000_000).describe('Block gas limit: Σ gas used of a block\'s txs, gas. Default 30,000,000.'),
    maxBlockTxs: integer({ min: 1 }).default(100).describe('Most txs per block (integer). Default 100.'),
    blockReward: ether('Block reward R_block (yellow paper §11.3); ommers earn (1 + (U − H)/8)·R, the includer R/32 each', 2),
    miners: integer({ min: 1 }).optional().describe('Honest mining nodes (ids 0..miners−1, equal shares); omitted = every honest node mines.'),
    txRelay: z.enum(['full', 'pooled']).default('pooled').describe('full: every tx gossiped with inv/getdata (small networks); pooled: txs reach all mempools after `pooledDelay`. Default pooled.'),
    pooledDelay: duration().prefault('2s').describe('Pooled relay: tx propagation delay to every mempool (µs after parsing). Default 2s.'),
    compactBlocks: z.boolean().default(false).describe('BIP 152-style compact-block relay (high-bandwidth mode, 3 peers). Default false.'),
    stopAfterBlocks: integer({ min: 0 }).default(0).describe('Miners stop after this many blocks in total (0 = never). Default 0.'),
    requestTimeout: duration({ positive: true }).prefault('5s').describe('A block request unanswered this long may be re-sent to another peer (µs after parsing). Default 5s (geth\'s block fetcher, eth/fetcher fetchTimeout).'),
    cpu: z
      .strictObject({
        verifyPerMember: duration().prefault('0us').describe('CPU time charged to a node per ring member of each tx signature it verifies (µs after parsing; ≈ 680us on the reference machine for cached keys). Default 0us (not charged).'),
        executePerTx: duration().prefault('0us').describe('CPU time charged to a node per tx it executes in a block (µs after parsing). Default 0us.'),
      })
      .prefault({})
      .describe('Per-node CPU charges in virtual time; outcomes are computed once and shared, the time is charged to every node.'),
    workload: workloadSchema,
    attack: attackSchema,
    checks: z
      .strictObject({
        confirmedDepth: integer({ min: 1 }).default(6).describe('Fail if an honest node reverses an unwarrant with ≥ this many confirmations, or honest nodes disagree on a state root this deep. Default 6.'),
        convergenceSlack: integer({ min: 0 }).optional().describe('Fail at the end if an honest tip forks more than this many blocks below the best tip; omitted = off.'),
      })
      .prefault({})
      .describe('Invariant checkers.'),
  })
  .describe('Seed 001: a PoW account chain of ring-signed txs running the RC / MRC / ALC record contracts; real bLSAG signatures, Keccak PoW, contract gas; attacks.');

export type RingchainConfig = z.output<typeof ringchainSchema>;

export interface RingchainRun extends ProtocolRun<RingMessage> {
  world: RingWorld;
  nodes: RingNode[];
  honest: NodeId[];
  workload: RingWorkload;
}

const toWei = (etherValue: number) => (BigInt(Math.round(etherValue * 1e9)) * ETHER) / 1_000_000_000n;

/** The chain parameters of a scenario. */
export function chainParams(cfg: RingchainConfig): RingChainParams {
  return {
    difficulty: cfg.difficulty,
    txGasLimit: cfg.txGasLimit,
    gasPrice: BigInt(Math.round(cfg.gasPrice * 1e9)),
    blockGasLimit: cfg.blockGasLimit,
    maxBlockTxs: cfg.maxBlockTxs,
    blockReward: toWei(cfg.blockReward),
  };
}

/** Builds a run of the ringchain protocol (exported for tests and benchmarks); `variant` is a mutant's. */
export function buildRingchain(scenario: Scenario<RingchainConfig>, seed: number, variant: RingchainVariant = {}): RingchainRun {
  const cfg = scenario.protocol;
  const n = scenario.network.nodes;
  const attack = cfg.attack;
  const attacker = attack.kind === 'none' ? -1 : n - 1;
  const honest: NodeId[] = [];
  for (let i = 0; i < n; i++) if (i !== attacker) honest.push(i);
  const q = 'hashShare' in attack ? attack.hashShare : 0;
  const miners = honest.slice(0, Math.min(cfg.miners ?? honest.length, honest.length));
  const share = new Float64Array(n);
  for (const m of miners) share[m] = (1 - q) / miners.length;
  if (attacker >= 0) share[attacker] = q;

  const workload = new RingWorkload(
    {
      registrationRate: cfg.workload.registrationRate,
      recordRate: cfg.workload.recordRate,
      warrantRate: cfg.workload.warrantRate,
      unwarrantRate: cfg.workload.unwarrantRate,
      readRate: cfg.workload.readRate,
      transferRate: cfg.workload.transferRate,
      patients: cfg.workload.patients,
      institutions: cfg.workload.institutions,
      coverKeys: cfg.workload.coverKeys,
      recordBytes: cfg.workload.recordSize,
      ringSize: cfg.ringSize,
      decoyPolicy: cfg.decoyPolicy,
      ringReuse: cfg.ringReuse,
      initialBalance: toWei(cfg.workload.initialBalance),
      transferValue: toWei(cfg.workload.transferValue),
      enrolOnTransfer: cfg.workload.enrolOnTransfer,
    },
    seed,
  );
  // The attacker's own identity (and the unwarrant victim's), enrolled and funded at genesis.
  const attackRandom = seededRandom(seed, 'ringchain/attack/keys');
  const attackerId = attacker >= 0 ? newIdentity(attackRandom) : undefined;
  const victimId = attack.kind === 'unwarrant-reversal' ? newIdentity(attackRandom) : undefined;
  const genesis = workload.genesis([attackerId, victimId].filter((x) => x !== undefined));
  const chain = new (variant.Chain ?? RingChain)(chainParams(cfg), variant.contractMutant);
  const verifyUs = cfg.cpu.verifyPerMember;
  const execUs = cfg.cpu.executePerTx;
  const charging = verifyUs > 0 || execUs > 0;
  const world = new RingWorld(
    {
      blockIntervalUs: cfg.blockInterval,
      txRelay: cfg.txRelay,
      pooledDelayUs: cfg.pooledDelay,
      compactBlocks: cfg.compactBlocks,
      forkChoice: MOST_WORK,
      hashShare: share,
      stopAfterBlocks: cfg.stopAfterBlocks,
      requestTimeoutUs: cfg.requestTimeout,
      ...(charging
        ? {
            cpu: {
              blockUs: (b: RingBlock) => {
                let us = 0;
                for (const t of b.txs) us += verifyUs * t.ring.length + execUs;
                return us;
              },
              txUs: (t: RingTx) => verifyUs * t.ring.length,
            },
          }
        : {}),
    },
    chain,
    n,
    genesis,
  );
  const nodes: RingNode[] = new Array(n);
  const isHonest = (id: NodeId) => id !== attacker;
  let simRef: Simulation<RingMessage> | undefined;
  const depth = cfg.checks.confirmedDepth;
  const observers: Observer[] = [new StateRootAgreement(chain, depth, isHonest), new KeyImageNonceOnce(isHonest), new OwnerOnlyAuthorisation(isHonest), new AlcConsistency(isHonest), new UnwarrantNotReversed(depth, isHonest)];
  if (cfg.checks.convergenceSlack !== undefined) {
    observers.push(new ForkConvergence(cfg.checks.convergenceSlack, () => honest.filter((id) => !simRef?.isCrashed(id)).map((id) => ({ node: id, tip: nodes[id].tip }))));
  }
  let attackRng: ReturnType<Simulation['rng']> | undefined;
  const kit: AdversaryKit | undefined = attackerId ? { identity: attackerId, workload, rng: () => (attackRng ??= simRef!.rng('ringchain/attack/ring')), nonce: 0 } : undefined;
  const attackCounts: Record<string, number> = {};
  let reversal: { outcome: () => UnwarrantReversalOutcome } | undefined;
  const reference = () => nodes[honest[0]].tip;

  return {
    world,
    nodes,
    honest,
    workload,
    observers,
    createNode(id) {
      let node: RingNode;
      if (id !== attacker || !kit) node = new NakamotoNode(id, world);
      else if (attack.kind === 'forged-signatures') node = new ForgingMiner(id, world, kit);
      else if (attack.kind === 'replay') node = new ReplayMiner(id, world, kit);
      else if (attack.kind === 'bad-root') node = new BadRootMiner(id, world, attack.mode);
      else if (attack.kind === 'unwarrant-reversal') node = new DoubleSpendAttacker<RingBlock, RingTx, RingState>(id, world, attack.confirmations, attack.giveUpDeficit);
      else node = new NakamotoNode(id, world);
      return (nodes[id] = node);
    },
    install(sim) {
      simRef = sim;
      const submit = makeSubmitter(sim, world, nodes, honest);
      workload.install(sim, world, submit, Math.min(scenario.duration, cfg.workload.stopAt ?? Infinity), reference);
      const count = (k: string) => (attackCounts[k] = (attackCounts[k] ?? 0) + 1);
      if (attack.kind === 'forged-signatures') scheduleAttackTxs(sim, scenario.duration, attack.rate, 'forged', () => (nodes[attacker] as ForgingMiner).forge(), submit, count);
      if (attack.kind === 'replay') {
        const m = nodes[attacker] as ReplayMiner;
        scheduleAttackTxs(sim, scenario.duration, attack.rate, 'replay', (rng) => (rng.chance(0.5) ? m.replay(rng) : m.resign()) ?? m.replay(rng), submit, count);
      }
      if (attack.kind === 'non-owner') {
        const client = new NonOwnerClient(world, kit!, () => nodes[attacker].tip);
        scheduleAttackTxs(sim, scenario.duration, attack.rate, 'non-owner', (rng) => client.next(rng), submit, count);
      }
      if (attack.kind === 'unwarrant-reversal') {
        reversal = installUnwarrantReversal(sim, world, nodes, kit!, { patient: victimId!, setupAtUs: attack.setupAt, revokeAtUs: attack.revokeAt }, honest[0], attacker, submit);
      }
    },
    summarize(sim, result) {
      const out: Record<string, unknown> = ringchainMetrics(world, nodes, honest, result.simTimeUs, cfg.ringSize);
      out.workload = { submitted: { ...workload.submitted }, skipped: { ...workload.skipped } };
      const counters = sim.metrics.snapshot().counters;
      const rejected: Record<string, number> = {};
      for (const [k, v] of Object.entries(counters)) if (k.startsWith('ringchain.block.rejected.') || k.startsWith('ringchain.tx.rejected.')) rejected[k.slice('ringchain.'.length)] = v;
      out.rejected = rejected;
      if (attack.kind !== 'none') out.attack = { kind: attack.kind, submitted: { ...attackCounts } };
      if (reversal) out.unwarrantReversal = reversal.outcome();
      return out;
    },
  };
}

/** One confirmed ring transaction, as an observer of the chain (plus the simulation's ground truth) sees it. */
export interface RingTransactionRecord {
  readonly txid: string;
  /** Height of the block that executed it. */
  readonly height: number;
  readonly blockHash: string;
  /** Ring member public keys (hex), in signature order. */
  readonly ring: readonly string[];
  readonly keyImageHex: string;
  /** The sender pseudonym (KEC(key image)[12..]). */
  readonly sender: Address;
  /** Ground truth (simulation only, never on chain): the real signer's public key (hex), if the workload signed it. */
  readonly realSignerHex: string | undefined;
  /** Its index in `ring` (−1 when unknown). */
  readonly realIndex: number;
}

/** Every ring tx confirmed on `tip`'s chain, oldest first (for the anonymity analysis; docs/ringchain.md). */
export function ringTransactionsOnChain(world: RingWorld, tip: RingEntry): RingTransactionRecord[] {
  const blocks: RingEntry[] = [];
  for (let e: RingEntry | null = tip; e && e.parent; e = e.parent) blocks.push(e);
  const out: RingTransactionRecord[] = [];
  for (let i = blocks.length - 1; i >= 0; i--) {
    const e = blocks[i];
    for (const tx of world.chain.txsOf(e.block)) {
      const ring = tx.ring.map(hex);
      const real = world.realSigners.get(tx.txid);
      out.push({ txid: tx.txid, height: e.height, blockHash: e.hash, ring, keyImageHex: tx.keyImageHex, sender: tx.sender, realSignerHex: real, realIndex: real === undefined ? -1 : ring.indexOf(real) });
    }
  }
  return out;
}

/** Every ring tx confirmed on the chain of honest node `node` (default: the first honest node) at the end of a run. */
export function ringTransactionsOf(run: Pick<RingchainRun, 'world' | 'nodes' | 'honest'>, node: NodeId = run.honest[0]): RingTransactionRecord[] {
  return ringTransactionsOnChain(run.world, run.nodes[node].tip);
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

const FUNCTION_BY_SELECTOR = new Map<number, string>(
  (
    [
      ['personInfo', contractTxData.personInfo({ nameDigest: new Uint8Array(32), birthYear: 0, sex: 0 })],
      ['subjoin', contractTxData.subjoin('0x0000000000000000000000000000000000000000' as Address)],
      ['warrant', contractTxData.warrant('0x0000000000000000000000000000000000000000' as Address)],
      ['unwarrant', contractTxData.unwarrant('0x0000000000000000000000000000000000000000' as Address)],
      ['query', contractTxData.query()],
      ['getData', contractTxData.getData()],
    ] as const
  ).map(([name, data]) => [callSelector(data)!, name]),
);

/** Chain, contract and anonymity metrics over the best honest chain. */
export function ringchainMetrics(world: RingWorld, nodes: RingNode[], honest: NodeId[], simTimeUs: number, ringSize: number): Record<string, unknown> {
  let best = nodes[honest[0]].tip;
  for (const id of honest) if (nodes[id].tip.cumWork > best.cumWork) best = nodes[id].tip;
  const calls: Record<string, Record<string, number>> = {};
  const deployed: Record<string, number> = {};
  let gasUsed = 0;
  let txs = 0;
  let ommers = 0;
  let notOwner = 0;
  let transfers = 0;
  const bump = (fn: string, status: string) => ((calls[fn] ??= {})[status] = (calls[fn]?.[status] ?? 0) + 1);
  for (let e: RingEntry | null = best; e && e.parent; e = e.parent) {
    ommers += e.block.ommers.length;
    const decoded = world.chain.txsOf(e.block);
    e.state.receipts.forEach((r, i) => {
      txs++;
      gasUsed += r.gasUsed;
      const tx = decoded[i];
      if (r.reason.includes('NotOwner')) notOwner++;
      if (tx.kind === 'deploy') {
        const kind = r.events.find((ev) => ev.kind === 'deployed');
        if (kind && kind.kind === 'deployed') deployed[kind.contract] = (deployed[kind.contract] ?? 0) + 1;
        bump('deploy', r.status);
        return;
      }
      const sel = callSelector(tx.data);
      const fn = sel !== undefined ? FUNCTION_BY_SELECTOR.get(sel) : undefined;
      if (fn === undefined) transfers++;
      bump(fn ?? 'transfer', r.status);
    });
  }
  const ringTxs = ringTransactionsOnChain(world, best);
  const heightOf = new Map(best.state.keyList.slice(0, best.state.keyCount).map((k) => [k.hex, k.height] as const));
  let sizeSum = 0;
  const observed: AnonymityTx[] = [];
  for (const r of ringTxs) {
    sizeSum += r.ring.length;
    if (r.realSignerHex === undefined) continue; // an adversary's tx: no ground truth
    observed.push({ members: r.ring.map((k) => ({ publicKeyHex: k, height: heightOf.get(k) ?? 0 })), keyImage: r.keyImageHex, height: r.height, realSigner: r.realSignerHex });
  }
  // The observer heuristics of anonymity.ts (guess-newest: Möser et al. 2018; chain reaction:
  // Kumar et al. 2017), scored by their exact success probability (no random guess needed).
  const heuristics: Record<string, { expectedRate: number; deanonymized: number }> = {};
  for (const h of ['none', 'guess-newest', 'chain-reaction'] as const) {
    const obs = observe(h, observed);
    let expected = 0;
    let certain = 0;
    for (const o of obs) {
      if (o.guessAmong.includes(observed[o.tx].realSigner)) expected += 1 / o.guessAmong.length;
      if (o.certain) certain++;
    }
    heuristics[h] = { expectedRate: obs.length ? expected / obs.length : 0, deanonymized: obs.length ? certain / obs.length : 0 };
  }
  const stale = world.store.size - 1 - best.height;
  const seconds = simTimeUs / 1e6;
  return {
    height: best.height,
    blocksMined: world.blocksMined,
    staleBlocks: stale,
    staleRate: world.blocksMined > 0 ? stale / world.blocksMined : 0,
    ommersIncluded: ommers,
    confirmedTxs: txs,
    confirmedTxPerSec: seconds > 0 ? txs / seconds : 0,
    signaturesVerified: world.chain.verifications,
    contracts: { deployed, calls, gasUsed, notOwnerReverts: notOwner, transfers },
    anonymity: {
      ringTxs: ringTxs.length,
      meanRingSize: ringTxs.length ? sizeSum / ringTxs.length : 0,
      distinctSenders: new Set(ringTxs.map((r) => r.sender)).size,
      scored: observed.length,
      guessNewestRate: heuristics['guess-newest'].expectedRate,
      chainReactionRate: heuristics['chain-reaction'].expectedRate,
      deanonymized: heuristics['chain-reaction'].deanonymized,
      oneOverN: 1 / ringSize,
    },
  };
}

type Summary = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export const ringchainHeadline: readonly HeadlineOutcome<RingchainConfig>[] = [
  {
    name: 'unwarrantReversal',
    label: 'unwarrant reversal',
    kind: 'categorical',
    categories: ['success', 'gave-up', 'undecided'],
    description: 'success: the patient\'s node accepted the unwarrant after z confirmations, then switched to the attacker\'s branch where the revoked institution read the record again; gave-up: the attacker abandoned; undecided: the run ended first.',
    read: (s) => {
      const d = s.unwarrantReversal as UnwarrantReversalOutcome | undefined;
      if (!d) return undefined;
      return d.result === 'pending' ? 'undecided' : d.result;
    },
  },
  {
    name: 'revokedRecordsRead',
    label: 'records read after revocation',
    kind: 'count',
    unit: 'records',
    description: 'Records the revoked institution\'s getData returned on the branch that reversed the unwarrant (0 unless the attack succeeded).',
    read: (s) => (s.unwarrantReversal as UnwarrantReversalOutcome | undefined)?.recordsReadAfterRevocation,
  },
  {
    name: 'confirmedTxPerSec',
    label: 'confirmed tx/s',
    kind: 'rate',
    unit: 'tx/s',
    description: 'Transactions on the best honest chain per second of virtual time.',
    read: (s) => num(s.confirmedTxPerSec),
  },
  {
    name: 'notOwnerReverts',
    label: 'owner-only calls refused',
    kind: 'count',
    unit: 'txs',
    description: 'Confirmed txs that reverted with NotOwner (a non-owner called warrant / unwarrant / personInfo / subjoin).',
    read: (s) => num((s.contracts as { notOwnerReverts?: unknown } | undefined)?.notOwnerReverts),
  },
  {
    name: 'guessNewestRate',
    label: 'guess-newest success rate',
    kind: 'rate',
    unit: 'fraction of ring txs',
    description: 'Probability that an observer guessing the ring\'s most recently enrolled member (Möser et al. 2018; uniformly among ties) names the real signer, averaged over confirmed ring txs; compare with 1/n.',
    read: (s) => num((s.anonymity as { guessNewestRate?: unknown } | undefined)?.guessNewestRate),
    theory: (scenario) => ({ value: 1 / scenario.protocol.ringSize, label: '1/n (seed 001 §4.1 claim, closed form)' }),
  },
  {
    name: 'deanonymized',
    label: 'rings fully de-anonymised',
    kind: 'rate',
    unit: 'fraction of ring txs',
    description: 'Share of confirmed ring txs whose signer the chain-reaction observer (Kumar et al. 2017) determines with certainty.',
    read: (s) => num((s.anonymity as { deanonymized?: unknown } | undefined)?.deanonymized),
  },
  {
    name: 'staleRate',
    label: 'stale rate',
    kind: 'rate',
    unit: 'fraction of blocks mined',
    description: 'Blocks mined that are not on the best honest chain.',
    read: (s) => num(s.staleRate),
  },
];

export const ringchainModule: ProtocolModule<RingchainConfig, RingMessage> = {
  name: 'ringchain',
  description: 'Seed 001: PoW chain of ring-signed txs running the RC/MRC/ALC record contracts, with forged-signature, replay, non-owner, bad-root and 51 % unwarrant-reversal attacks',
  schema: ringchainSchema,
  build: (scenario, seed) => buildRingchain(scenario, seed),
  headline: ringchainHeadline,
  timeline: (scenario) => {
    const attacker = scenario.protocol.attack.kind === 'none' ? -1 : scenario.network.nodes - 1;
    return {
      mark(node, obs) {
        if (node === 0 && obs.kind === 'tip') return { series: 'height (node 0)', value: (obs.entry as RingEntry).height };
        if (node === attacker && obs.kind === 'attack-published') return { event: 'attacker publishes its branch' };
        return undefined;
      },
    };
  },
  mutants: Object.fromEntries(
    Object.entries(RINGCHAIN_MUTANTS).map(([name, m]) => [name, { description: m.description, invariant: m.invariant, build: (scenario: Scenario<RingchainConfig>, seed: number) => buildRingchain(scenario, seed, m.variant) }]),
  ),
};
