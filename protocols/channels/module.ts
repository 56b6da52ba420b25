/**
 * The `channels` protocol module: seed 002 §3.4's off-chain payment channels — deposits locked on
 * the settlement ledger out of Paillier-encrypted balances, co-signed state updates with
 * revocation, cooperative and unilateral closes with a dispute window and penalties, watchtowers,
 * and HTLC multi-hop payments with retries — under attack. docs/channels.md is the reference.
 *
 * Node layout: node 0 is the chain (executes, orders and commits the channel contract on the
 * settlement ledger: chain.ts), nodes 1 … P the parties, then the watchtowers.
 */
import { z } from 'zod';
import type { RunResult, Simulation } from '../../sim/kernel.ts';
import type { HeadlineOutcome, ProtocolModule, ProtocolRun } from '../../sim/protocol.ts';
import { integer, protocolScenarioRules, refineIssue } from '../../sim/scenario/schema.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { NodeId, ProtocolNode } from '../../sim/types.ts';
import { duration } from '../../sim/units.ts';
import { costOf, loadCostTable } from '../../sim/cost-table.ts';
import { SettlementKeys } from '../settlement/keys.ts';
import { RevokedStatePublisher, Jammer, Griefer, OfflineIntermediary, Forger } from './adversaries.ts';
import { ChainNode, chaincodeEnv } from './chain.ts';
import { ChannelChaincode, type ChannelObject } from './chaincode.ts';
import { channelBalanceChecker, honestBalanceChecker, htlcAtomicityChecker, valueConservationChecker, type Downtime } from './checkers.ts';
import type { ChannelMessage } from './messages.ts';
import { DisputeIgnoresNewerChaincode, ForwardWithoutLockNode, PenaltyPaysBothChaincode, SkipBalanceCheckNode } from './mutants.ts';
import { ChannelNode, ChannelStats } from './node.ts';
import { barabasiAlbertGraph, hubAndSpokeGraph, type ChannelGraph, type ChannelPolicy } from './graph.ts';
import { parseSigned } from './chaincode.ts';
import { Watchtower } from './watchtower.ts';
import { nodeKeys, type ChannelDef, type ChannelWorld } from './world.ts';

const party = () => integer({ min: 0 }).describe('Party index (0 … parties − 1; node id = index + 1).');

const adversarySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('revoked-state').describe('Publishes an old, revoked state of its channel with `victim` (adversaries.ts RevokedStatePublisher).'),
    party: party(),
    victim: party(),
    pays: integer({ min: 1 }).default(3).describe('Direct payments to the victim before the attack (count). Default 3.'),
    amount: integer({ min: 1 }).default(100_000).describe('Each direct payment (msat). Default 100000.'),
    every: duration({ positive: true }).prefault('2s').describe('Time between them (µs after parsing). Default 2s.'),
    payFrom: duration().prefault('8s').describe('First direct payment (µs after parsing). Default 8s.'),
    at: duration({ positive: true }).describe('When it publishes the old state (µs after parsing).'),
    withholdRevoke: z.boolean().default(false).describe('Never hand over its own revocation secrets and publish the state before the latest: only a newer state can defeat it. Default false.'),
  }),
  z.strictObject({
    kind: z.literal('jamming').describe('A sender and a receiver under one control; the receiver holds every HTLC for `hold`, then fails it (adversaries.ts Jammer).'),
    sender: party(),
    receiver: party(),
    count: integer({ min: 1 }).default(50).describe('Jamming payments sent (count). Default 50.'),
    amount: integer({ min: 1 }).default(1000).describe('Each jamming payment (msat). Default 1000.'),
    every: duration({ positive: true }).prefault('100ms').describe('Time between jamming payments (µs after parsing). Default 100ms.'),
    start: duration().prefault('6s').describe('First jamming payment (µs after parsing). Default 6s.'),
    hold: duration({ positive: true }).prefault('20s').describe('How long the receiver holds each HTLC before failing it (µs after parsing). Default 20s.'),
  }),
  z.strictObject({
    kind: z.literal('griefing').describe('Holds every HTLC it should forward or receive until it expires (adversaries.ts Griefer).'),
    party: party(),
  }),
  z.strictObject({
    kind: z.literal('offline-intermediary').describe('Forwards honestly, goes offline after its k-th forward with HTLCs in flight (adversaries.ts OfflineIntermediary).'),
    party: party(),
    afterForwards: integer({ min: 1 }).default(3).describe('Goes offline right after this forward (count). Default 3.'),
    downtime: duration({ positive: true }).prefault('30s').describe('How long it stays offline (µs after parsing). Default 30s.'),
  }),
  z.strictObject({
    kind: z.literal('forger').describe('Proposes HTLC adds it cannot fund (balance not debited) routed through its peer to `receiver` (adversaries.ts Forger).'),
    party: party(),
    receiver: party(),
    amount: integer({ min: 1 }).default(50_000).describe('Forged HTLC amount delivered (msat). Default 50000.'),
    at: duration({ positive: true }).prefault('8s').describe('First forgery (µs after parsing). Default 8s.'),
    count: integer({ min: 1 }).default(3).describe('Forgeries (count). Default 3.'),
    every: duration({ positive: true }).prefault('3s').describe('Time between forgeries (µs after parsing). Default 3s.'),
  }),
]);

export type ChannelAdversary = z.output<typeof adversarySchema>;

const channelSchema = z.strictObject({
  a: party(),
  b: party(),
  depositA: integer({ min: 0 }).describe('Deposit of party a (msat).'),
  depositB: integer({ min: 0 }).default(0).describe('Deposit of party b (msat). Default 0.'),
});

export const channelsSchema = z
  .strictObject({
    name: z.literal('channels'),
    parties: integer({ min: 2, max: 10_000 }).describe('Channel parties (nodes 1 … parties).'),
    watchtowers: integer({ min: 0, max: 1000 }).default(0).describe('Watchtower nodes (after the parties). Default 0.'),
    watched: z.array(party()).default([]).describe('Parties that hand their revocation data to a watchtower (party i → tower i mod watchtowers). Default none.'),
    funding: z.enum(['encrypted', 'public']).default('encrypted').describe('encrypted: each party funds its deposits out of its Paillier-encrypted balance with EL-AHE + range proofs; public: deposits exist at genesis (large networks). Default encrypted.'),
    keySeed: z.string().min(1).default('medchain-sim/channels/v1').describe('Seed of the parties\' Paillier keys and the range-proof setup (cached on disk, results/cache/keys/). Default "medchain-sim/channels/v1".'),
    keyBits: z.union([z.literal(1024), z.literal(2048)]).default(1024).describe('Paillier modulus of each party (bits). Default 1024.'),
    amountBits: integer({ min: 8, max: 128 }).default(64).describe('ℓ: balances lie in [0, 2^ℓ) msat (bits). Default 64.'),
    balance: integer({ min: 0 }).default(100_000_000).describe('Genesis encrypted balance of each party (msat). Default 100000000.'),
    channels: z.array(channelSchema).default([]).describe('Channels, explicitly. Default none (then `topology`).'),
    topology: z
      .strictObject({
        kind: z.enum(['line', 'ring', 'star', 'complete', 'barabasi-albert', 'hub-and-spoke']).describe('line 0–1–2…, ring, star around party 0, complete graph, Barabási–Albert preferential attachment or hospitals (hubs, fully meshed) with clinics (spokes) — the last two from graph.ts, node i of the generated graph being party i.'),
        deposit: integer({ min: 1 }).default(10_000_000).describe('Each party\'s deposit in each channel (msat). Default 10000000.'),
        edgesPerNode: integer({ min: 1 }).default(2).describe('barabasi-albert: channels each arriving party opens (m). Default 2.'),
        hubs: integer({ min: 1 }).default(3).describe('hub-and-spoke: hospitals; parties must be hubs × (1 + spokesPerHub). Default 3.'),
        spokesPerHub: integer({ min: 0 }).default(3).describe('hub-and-spoke: clinics per hospital. Default 3.'),
      })
      .optional()
      .describe('Generated channels (used when `channels` is empty).'),
    policy: z
      .strictObject({
        baseFee: integer({ min: 0 }).default(1000).describe('Base fee per forward (msat). Default 1000.'),
        feeRatePpm: integer({ min: 0 }).default(100).describe('Proportional fee (parts per million of the forwarded amount). Default 100.'),
        cltvDelta: integer({ min: 1 }).default(10).describe('Expiry decrease per hop (blocks). Default 10.'),
        finalCltvDelta: integer({ min: 1 }).default(12).describe('Expiry of the last hop above the current height (blocks). Default 12.'),
        maxHtlcs: integer({ min: 1 }).default(30).describe('Most HTLCs a party may have offered and pending per channel (count; BOLT 2 max_accepted_htlcs). Default 30.'),
      })
      .prefault({})
      .describe('Forwarding policy of every channel (Lightning channel_update).'),
    chain: z
      .strictObject({
        blockInterval: duration({ positive: true }).prefault('1s').describe('Chain block interval (µs after parsing). Default 1s.'),
        disputeBlocks: integer({ min: 1 }).default(6).describe('Dispute window after a unilateral close (blocks). Default 6.'),
        waitBlocks: integer({ min: 0 }).default(5).describe('An open waiting for its deposits is retried this many blocks (count). Default 5.'),
      })
      .prefault({})
      .describe('The on-chain side.'),
    timing: z
      .strictObject({
        updateTimeout: duration({ positive: true }).prefault('500ms').describe('Resend an unanswered update and mark the peer unreachable after this long (µs after parsing). Default 500ms.'),
        paymentTimeout: duration({ positive: true }).prefault('30s').describe('A payment not settled after this long counts as timed out (µs after parsing). Default 30s.'),
        expiryMargin: integer({ min: 0 }).default(2).describe('Go on chain when a pending HTLC is this close to its expiry (blocks). Default 2.'),
        maxOpsPerUpdate: integer({ min: 1 }).default(16).describe('Most operations batched into one update (count). Default 16.'),
      })
      .prefault({})
      .describe('Off-chain timing.'),
    payments: z
      .strictObject({
        rate: z.number().min(0).default(2).describe('Payments per second in the whole network (Poisson, 1/s). Default 2.'),
        minAmount: integer({ min: 1 }).default(10_000).describe('Smallest payment (msat). Default 10000.'),
        maxAmount: integer({ min: 1 }).default(1_000_000).describe('Largest payment (msat). Default 1000000.'),
        start: duration().prefault('5s').describe('No payments before this time (µs after parsing). Default 5s.'),
        stop: duration().optional().describe('No payments after this time (µs after parsing); omitted = until the end minus the payment timeout.'),
        maxAttempts: integer({ min: 1 }).default(5).describe('Routes tried per payment (count). Default 5.'),
        maxHops: integer({ min: 1 }).default(20).describe('Longest route (hops). Default 20.'),
      })
      .prefault({})
      .describe('Payment workload (senders and receivers uniform over honest parties, amounts uniform).'),
    closeAt: duration().optional().describe('Every channel without pending HTLCs is closed cooperatively at this time (µs after parsing). Default: never.'),
    adversaries: z.array(adversarySchema).default([]).describe('Adversarial parties. Default none.'),
    cpu: z
      .strictObject({
        table: z.string().default('reference').describe('Cost table: "reference", "calibrated" or a JSON path. Default reference.'),
        charge: z.boolean().default(true).describe('Charge CPU time of signatures and proofs to nodes\' virtual clocks. Default true.'),
      })
      .prefault({})
      .describe('CPU costs of the real cryptography.'),
  })
  .superRefine((c, ctx) => {
    c.channels.forEach((ch, i) => {
      if (ch.a >= c.parties) refineIssue(ctx, ['channels', i, 'a'], `party ${ch.a} does not exist`, `an index below ${c.parties}`);
      if (ch.b >= c.parties) refineIssue(ctx, ['channels', i, 'b'], `party ${ch.b} does not exist`, `an index below ${c.parties}`);
      if (ch.a === ch.b) refineIssue(ctx, ['channels', i, 'b'], 'a channel needs two different parties', 'b ≠ a');
    });
    if (c.channels.length === 0 && !c.topology) refineIssue(ctx, ['channels'], 'no channels: give `channels` or `topology`', 'a list of channels or a topology');
    c.watched.forEach((p, i) => {
      if (p >= c.parties) refineIssue(ctx, ['watched', i], `party ${p} does not exist`, `an index below ${c.parties}`);
    });
    if (c.watched.length > 0 && c.watchtowers === 0) refineIssue(ctx, ['watchtowers'], 'watched parties need a watchtower', 'at least 1');
    c.adversaries.forEach((a, i) => {
      for (const key of ['party', 'victim', 'sender', 'receiver'] as const) {
        const v = (a as Record<string, unknown>)[key];
        if (typeof v === 'number' && v >= c.parties) refineIssue(ctx, ['adversaries', i, key], `party ${v} does not exist`, `an index below ${c.parties}`);
      }
    });
    if (c.channels.length === 0 && c.topology?.kind === 'hub-and-spoke' && c.parties !== c.topology.hubs * (1 + c.topology.spokesPerHub)) {
      refineIssue(ctx, ['parties'], `a hub-and-spoke topology of ${c.topology.hubs} hubs with ${c.topology.spokesPerHub} spokes each has ${c.topology.hubs * (1 + c.topology.spokesPerHub)} parties, not ${c.parties}`, String(c.topology.hubs * (1 + c.topology.spokesPerHub)));
    }
    if (c.channels.length === 0 && c.topology?.kind === 'barabasi-albert' && c.parties < c.topology.edgesPerNode + 1) {
      refineIssue(ctx, ['parties'], `a Barabási–Albert graph with m = ${c.topology.edgesPerNode} needs at least ${c.topology.edgesPerNode + 1} parties`, `at least ${c.topology.edgesPerNode + 1}`);
    }
    if (c.payments.minAmount > c.payments.maxAmount) refineIssue(ctx, ['payments', 'maxAmount'], 'maxAmount is below minAmount', `at least ${c.payments.minAmount}`);
  })
  .describe('Off-chain payment channels on the settlement ledger (seed 002 §3.4): docs/channels.md.');

export type ChannelsConfig = z.output<typeof channelsSchema>;

protocolScenarioRules.add(channelsSchema, {
  check(s) {
    const c = s.protocol as ChannelsConfig;
    const need = 1 + c.parties + c.watchtowers;
    return s.network.nodes === need ? [] : [{ path: ['network', 'nodes'], message: `expected ${need} nodes for protocol channels (the chain + ${c.parties} parties + ${c.watchtowers} watchtowers), got ${s.network.nodes}`, expected: `${need} nodes` }];
  },
});

export function channelDefs(cfg: ChannelsConfig, seed: number | string = 1): ChannelDef[] {
  const node = (p: number) => p + 1;
  if (cfg.channels.length > 0) return cfg.channels.map((c, i) => ({ id: `c${i}`, a: node(c.a), b: node(c.b), depositA: BigInt(c.depositA), depositB: BigInt(c.depositB) }));
  const t = cfg.topology!;
  const d = BigInt(t.deposit);
  if (t.kind === 'barabasi-albert' || t.kind === 'hub-and-spoke') {
    const channels = { capacity: { kind: 'fixed' as const, msat: 2n * d }, balance: 'even' as const };
    const g = t.kind === 'barabasi-albert'
      ? barabasiAlbertGraph({ nodes: cfg.parties, edgesPerNode: t.edgesPerNode, seed, channels })
      : hubAndSpokeGraph({ hubs: t.hubs, spokesPerHub: t.spokesPerHub, seed, hubChannels: channels, spokeChannels: channels });
    const index = new Map(g.nodes.map((n, i) => [n, i]));
    return g.channels.map((e, i) => ({ id: `c${i}`, a: node(index.get(e.a)!), b: node(index.get(e.b)!), depositA: e.balanceA, depositB: e.balanceB }));
  }
  const pairs: [number, number][] = [];
  const n = cfg.parties;
  if (t.kind === 'line' || t.kind === 'ring') for (let i = 0; i + 1 < n; i++) pairs.push([i, i + 1]);
  if (t.kind === 'ring' && n > 2) pairs.push([0, n - 1]);
  if (t.kind === 'star') for (let i = 1; i < n; i++) pairs.push([0, i]);
  if (t.kind === 'complete') for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
  return pairs.map(([a, b], i) => ({ id: `c${i}`, a: node(a), b: node(b), depositA: d, depositB: d }));
}

export function channelWorld(cfg: ChannelsConfig, scenario: Scenario<ChannelsConfig>, seed: number): ChannelWorld {
  const parties = Array.from({ length: cfg.parties }, (_, i) => i + 1);
  const towers = Array.from({ length: cfg.watchtowers }, (_, i) => cfg.parties + 1 + i);
  const towerOf = new Map<NodeId, NodeId>(cfg.watched.map((p) => [p + 1, towers[p % towers.length]]));
  const channels = channelDefs(cfg, seed);
  const keys = nodeKeys(seed, 1 + cfg.parties + cfg.watchtowers);
  const policy: ChannelPolicy = { baseFeeMsat: BigInt(cfg.policy.baseFee), feeRatePpm: cfg.policy.feeRatePpm, cltvDelta: cfg.policy.cltvDelta, htlcMinimumMsat: 1n };
  const graph: ChannelGraph = {
    nodes: parties.map(String),
    channels: channels.map((c) => ({ id: c.id, a: String(c.a), b: String(c.b), capacityMsat: c.depositA + c.depositB, balanceA: c.depositA, balanceB: c.depositB, policyAtoB: policy, policyBtoA: policy })),
  };
  const edges = new Map(graph.channels.map((e) => [e.id, e]));
  const encrypted = cfg.funding === 'encrypted';
  const store = encrypted ? new SettlementKeys(cfg.keySeed) : undefined;
  const paillier = new Map(encrypted ? parties.map((p) => [p, store!.paillier(`channels/party/${p}`, cfg.keyBits)] as const) : []);
  const genesisBalances = new Map(encrypted ? parties.map((p) => [p, store!.genesisBalance(`channels/party/${p}`, cfg.keyBits, BigInt(cfg.balance))] as const) : []);
  const setup = encrypted ? store!.ringPedersen('channels/setup', 2048) : undefined;
  let costs = { signUs: 0, verifyUs: 0, fundProveUs: 0, fundVerifyUs: 0 };
  if (cfg.cpu.charge) {
    const t = loadCostTable(cfg.cpu.table);
    costs = { signUs: costOf(t, 'ed25519.sign'), verifyUs: costOf(t, 'ed25519.verify'), fundProveUs: costOf(t, `settlement.prove.${cfg.keyBits}@2048`), fundVerifyUs: costOf(t, `settlement.verify.${cfg.keyBits}@2048`) };
  }
  const adversarial = new Set<NodeId>();
  for (const a of cfg.adversaries) {
    if ('party' in a) adversarial.add(a.party + 1);
    if (a.kind === 'jamming') adversarial.add(a.sender + 1).add(a.receiver + 1);
  }
  return {
    chain: 0, parties, towers, towerOf, channels, policy, finalCltvDelta: cfg.policy.finalCltvDelta, maxHtlcs: cfg.policy.maxHtlcs, maxAttempts: cfg.payments.maxAttempts, maxHops: cfg.payments.maxHops,
    maxOpsPerUpdate: cfg.timing.maxOpsPerUpdate, funding: cfg.funding, amountBits: cfg.amountBits,
    timing: { blockUs: cfg.chain.blockInterval, disputeBlocks: cfg.chain.disputeBlocks, updateTimeoutUs: cfg.timing.updateTimeout, paymentTimeoutUs: cfg.timing.paymentTimeout, expiryMarginBlocks: cfg.timing.expiryMargin, chainWaitBlocks: cfg.chain.waitBlocks },
    costs, adversarial, key: (n) => keys[n], edge: (id) => edges.get(id)!, paillier: (p) => paillier.get(p), setup, genesisBalances, genesisAmount: BigInt(cfg.balance), graph,
  };
  void scenario;
}

/** Which honest-node class and chaincode a run uses (the mutants swap one of them). */
export interface ChannelVariant {
  Party?: typeof ChannelNode;
  Chaincode?: typeof ChannelChaincode;
}

export function buildChannels(scenario: Scenario<ChannelsConfig>, seed: number, variant: ChannelVariant = {}): ProtocolRun<ChannelMessage> {
  const cfg = scenario.protocol;
  const w = channelWorld(cfg, scenario, seed);
  const stats = new ChannelStats();
  const Party = variant.Party ?? ChannelNode;
  const CC = variant.Chaincode ?? ChannelChaincode;
  const chain = new ChainNode(w, (world, onVerify) => new CC(chaincodeEnv(world, onVerify)));
  const nodes: ProtocolNode<ChannelMessage>[] = [];
  const advOf = new Map<NodeId, ChannelAdversary>();
  for (const a of cfg.adversaries) {
    if ('party' in a) advOf.set(a.party + 1, a);
    if (a.kind === 'jamming') advOf.set(a.receiver + 1, a);
  }
  const down = new Map<NodeId, { from: number; to: number }[]>();
  for (const c of scenario.faults.crashes) {
    const l = down.get(c.node) ?? [];
    l.push({ from: c.at, to: c.recoverAt ?? Number.POSITIVE_INFINITY });
    down.set(c.node, l);
  }
  const offlineIntermediaries: OfflineIntermediary[] = [];
  const adversaryDown: Downtime = down;
  return {
    createNode(id: NodeId) {
      let n: ProtocolNode<ChannelMessage>;
      if (id === 0) n = chain;
      else if (id > cfg.parties) n = new Watchtower(id, w, stats);
      else {
        const a = advOf.get(id);
        if (!a || (a.kind === 'jamming' && id !== a.receiver + 1)) n = a?.kind === 'jamming' ? new ChannelNode(id, w, stats) : new Party(id, w, stats);
        else if (a.kind === 'revoked-state') n = new RevokedStatePublisher(id, w, stats, a.victim + 1, a.withholdRevoke);
        else if (a.kind === 'jamming') n = new Jammer(id, w, stats, a.hold);
        else if (a.kind === 'griefing') n = new Griefer(id, w, stats);
        else if (a.kind === 'offline-intermediary') offlineIntermediaries.push((n = new OfflineIntermediary(id, w, stats, a.afterForwards)) as OfflineIntermediary);
        else n = new Forger(id, w, stats);
      }
      nodes[id] = n;
      return n;
    },
    observers: [channelBalanceChecker(), honestBalanceChecker(w, adversaryDown), htlcAtomicityChecker(w), valueConservationChecker(w, () => chain.ledger)],
    install(sim: Simulation<ChannelMessage>) {
      const party = (p: number) => nodes[p + 1] as ChannelNode;
      // offline intermediaries take themselves down (and the honesty checkers know they are adversarial)
      for (const o of offlineIntermediaries) {
        const a = advOf.get(o.id) as Extract<ChannelAdversary, { kind: 'offline-intermediary' }>;
        o.goOffline = (id) => {
          sim.at(0, `offline/${id}`, () => sim.crash(id));
          sim.at(sim.context(id).now() + a.downtime, `online/${id}`, () => sim.recover(id));
        };
      }
      // the payment workload
      const honest = w.parties.filter((p) => !w.adversarial.has(p));
      const rng = sim.rng('channels/payments');
      const stop = cfg.payments.stop ?? Math.max(cfg.payments.start, scenario.duration - cfg.timing.paymentTimeout);
      if (cfg.payments.rate > 0 && honest.length >= 2) {
        let t = cfg.payments.start;
        for (;;) {
          t += Math.max(1, Math.round(-Math.log(1 - rng.next()) * (1e6 / cfg.payments.rate)));
          if (t > stop) break;
          const s = honest[rng.int(honest.length)];
          let r = honest[rng.int(honest.length - 1)];
          if (r >= s) r = honest[honest.indexOf(r) + 1] ?? r;
          if (r === s) continue;
          const amount = BigInt(cfg.payments.minAmount + rng.int(cfg.payments.maxAmount - cfg.payments.minAmount + 1));
          sim.at(t, 'channels/pay', () => {
            if (sim.isCrashed(s) || sim.isCrashed(r)) return;
            const hash = (nodes[r] as ChannelNode).createInvoice(amount);
            (nodes[s] as ChannelNode).pay(sim.context(s), r, amount, hash);
          });
        }
      }
      for (const a of cfg.adversaries) {
        if (a.kind === 'revoked-state') {
          const adv = party(a.party) as RevokedStatePublisher;
          for (let i = 0; i < a.pays; i++) sim.at(a.payFrom + i * a.every, 'channels/adv-pay', () => !sim.isCrashed(adv.id) && adv.payVictim(sim.context(adv.id), BigInt(a.amount)));
          sim.at(a.at, 'channels/revoked-state', () => !sim.isCrashed(adv.id) && adv.attack(sim.context(adv.id)));
        } else if (a.kind === 'jamming') {
          const s = party(a.sender);
          const r = party(a.receiver);
          for (let i = 0; i < a.count; i++) {
            sim.at(a.start + i * a.every, 'channels/jam', () => {
              if (sim.isCrashed(s.id)) return;
              s.pay(sim.context(s.id), r.id, BigInt(a.amount), r.createInvoice(BigInt(a.amount)));
            });
          }
        } else if (a.kind === 'forger') {
          const f = party(a.party) as Forger;
          const r = party(a.receiver);
          for (let i = 0; i < a.count; i++) sim.at(a.at + i * a.every, 'channels/forge', () => !sim.isCrashed(f.id) && f.forge(sim.context(f.id), r.id, r.createInvoice(BigInt(a.amount)), BigInt(a.amount)));
        }
      }
      if (cfg.closeAt !== undefined) {
        sim.at(cfg.closeAt, 'channels/close', () => {
          for (const p of w.parties) {
            if (sim.isCrashed(p)) continue;
            const n = nodes[p] as ChannelNode;
            for (const ch of n.channels.values()) n.closeCooperatively(sim.context(p), ch.def.id);
          }
        });
      }
    },
    summarize(sim: Simulation<ChannelMessage>, _result: RunResult) {
      return summarize(w, stats, chain, cfg);
    },
  };
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function summarize(w: ChannelWorld, stats: ChannelStats, chain: ChainNode, cfg: ChannelsConfig): Record<string, unknown> {
  const honestPayments = [...stats.payments.values()].filter((p) => !w.adversarial.has(p.sender));
  const done = honestPayments.filter((p) => p.status !== 'pending');
  const ok = done.filter((p) => p.status === 'succeeded');
  const failures: Record<string, number> = {};
  for (const p of done) if (p.status === 'failed') failures[p.reason ?? 'no-path'] = (failures[p.reason ?? 'no-path'] ?? 0) + 1;
  const closes: Record<string, number> = {};
  const channels: Record<string, unknown>[] = [];
  let theft: string | null = null;
  const rs = cfg.adversaries.find((a) => a.kind === 'revoked-state') as Extract<ChannelAdversary, { kind: 'revoked-state' }> | undefined;
  for (const def of w.channels) {
    const o = chain.object(def.id)?.object as ChannelObject | undefined;
    const status = o ? (o.status === 'closed' ? o.outcome! : o.status) : 'unopened';
    closes[status] = (closes[status] ?? 0) + 1;
    if (rs && ((def.a === rs.party + 1 && def.b === rs.victim + 1) || (def.b === rs.party + 1 && def.a === rs.victim + 1))) {
      const cheaterSide = def.a === rs.party + 1 ? 'a' : 'b';
      if (!o || o.status === 'open' || o.closedBy !== cheaterSide) theft = o?.status === 'closing' ? 'undecided' : theft ?? 'not-attempted';
      else if (o.status === 'closing') theft = 'undecided';
      else if (o.outcome === 'penalty') theft = 'punished';
      else {
        const published = parseSigned(o.published!);
        theft = published.state.seq < (stats.latestSeq.get(def.id) ?? 0) ? 'stolen' : 'defeated';
      }
      channels.push({ channel: def.id, status, published: o?.published ? parseSigned(o.published).state.seq : null, paidA: o?.paidA ?? null, paidB: o?.paidB ?? null });
    }
  }
  const fees = ok.map((p) => Number(p.feesMsat ?? 0n));
  return {
    payments: honestPayments.length,
    succeeded: ok.length,
    failed: done.length - ok.length,
    pending: honestPayments.length - done.length,
    successRate: done.length ? ok.length / done.length : null,
    failures,
    attemptsMean: mean(done.map((p) => p.attempts)),
    routeLengthMean: mean(ok.map((p) => p.routeLength ?? 0)),
    latencyMsMedian: median(ok.map((p) => (p.endUs! - p.startUs) / 1000)),
    latencyMsMean: mean(ok.map((p) => (p.endUs! - p.startUs) / 1000)),
    feesMsatTotal: fees.reduce((s, x) => s + x, 0),
    feesMsatMean: mean(fees),
    feesEarnedMsat: Object.fromEntries([...stats.feesEarned].map(([n, f]) => [String(n), Number(f)])),
    updates: stats.counts.updates,
    forceCloses: stats.counts.forceCloses,
    disputes: stats.counts.disputes,
    towerDisputes: stats.counts.towerDisputes,
    onChainClaims: stats.counts.claims,
    rejectedUpdates: stats.counts.rejectedUpdates,
    malformed: stats.counts.malformed + chain.malformed,
    staleMessages: stats.counts.stale,
    chain: { height: chain.ledger.height, valid: chain.ledger.counts.valid, invalid: chain.ledger.counts.malformed + chain.ledger.counts.duplicate + chain.ledger.counts.endorsement + chain.ledger.counts.version, refused: chain.rejected },
    channelStatus: closes,
    theft,
    attackedChannel: channels[0] ?? null,
  };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export const channelsHeadline: readonly HeadlineOutcome<ChannelsConfig>[] = [
  { name: 'successRate', label: 'payment success rate', kind: 'rate', unit: 'fraction of payments', description: 'Share of honest payments that settled (CLoTH success rate), among those decided by the end.', read: (s) => num(s.successRate) },
  {
    name: 'theft', label: 'revoked-state theft', kind: 'categorical', categories: ['stolen', 'punished', 'defeated', 'undecided', 'not-attempted'],
    description: 'Outcome of publishing a revoked state: stolen (the old state paid out), punished (penalty: the victim took the channel), defeated (a newer state replaced it), undecided (still in its window at the end).',
    read: (s) => (typeof s.theft === 'string' ? s.theft : null),
  },
  { name: 'attempts', label: 'attempts per payment', kind: 'quantity', unit: 'routes', description: 'Mean routes tried per decided payment.', read: (s) => num(s.attemptsMean) },
  { name: 'routeLength', label: 'route length', kind: 'quantity', unit: 'hops', description: 'Mean hops of settled payments.', read: (s) => num(s.routeLengthMean) },
  { name: 'latency', label: 'payment latency (median)', kind: 'quantity', unit: 'ms', description: 'Median time from start to the sender learning the preimage, settled payments.', read: (s) => num(s.latencyMsMedian) },
  { name: 'fees', label: 'fees per payment', kind: 'quantity', unit: 'msat', description: 'Mean fee paid by settled payments.', read: (s) => num(s.feesMsatMean) },
];

export const channelsModule: ProtocolModule<ChannelsConfig, ChannelMessage> = {
  name: 'channels',
  description: 'Off-chain payment channels on the settlement ledger (seed 002 §3.4): revocation, disputes, watchtowers, HTLC routing, attacks',
  schema: channelsSchema,
  headline: channelsHeadline,
  build: (scenario, seed) => buildChannels(scenario, seed),
  mutants: {
    'dispute-ignores-newer-state': {
      description: 'the channel contract accepts a dispute with a newer co-signed state but keeps the published one (seed 002 §3.4 step 3: the newer state must win)',
      invariant: 'honest-balance',
      build: (scenario, seed) => buildChannels(scenario, seed, { Chaincode: DisputeIgnoresNewerChaincode }),
    },
    'forward-without-lock': {
      description: 'a party forwards an HTLC when the update offering it arrives, before validating and locking it (BOLT 2/4: forward only irrevocably committed HTLCs)',
      invariant: 'htlc-atomicity',
      build: (scenario, seed) => buildChannels(scenario, seed, { Party: ForwardWithoutLockNode }),
    },
    'skip-balance-check': {
      description: 'a party countersigns a proposed state checking only its sequence number and signature, not that it follows from the operations (seed 002 §3.4 step 2)',
      invariant: 'channel-balance',
      build: (scenario, seed) => buildChannels(scenario, seed, { Party: SkipBalanceCheckNode }),
    },
    'penalty-pays-both': {
      description: 'the contract\'s penalty gives the honest party the whole channel and still pays the cheater its published balance (BOLT 5 revoked close: the cheater gets nothing)',
      invariant: 'value-conservation',
      build: (scenario, seed) => buildChannels(scenario, seed, { Chaincode: PenaltyPaysBothChaincode }),
    },
  },
};
