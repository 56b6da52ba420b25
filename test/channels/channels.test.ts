import { describe, expect, it } from 'vitest';
import { channelsModule, channelsSchema, buildChannels, channelWorld } from '../../protocols/channels/module.ts';
import { applyOps, type ChannelNode } from '../../protocols/channels/node.ts';
import { ChainNode, chaincodeEnv } from '../../protocols/channels/chain.ts';
import { ChannelChaincode, requestDigest, type ChannelTx } from '../../protocols/channels/chaincode.ts';
import { signState, signClosing, revocationHash, sha256hex, type ChannelState } from '../../protocols/channels/state.ts';
import { signDigest } from '../../protocols/channels/world.ts';
import { Ledger, ChaincodeRegistry } from '../../protocols/settlement/ledger.ts';
import { genesisState } from '../../protocols/channels/world.ts';
import { runScenario, buildSimulation } from '../../sim/runner.ts';
import { withMutant } from '../../sim/protocol.ts';
import { validateScenario } from '../../sim/scenario/load.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { decrypt, encryptDetailed, encryptWithNonce } from '../../protocols/crypto/paillier.ts';
import { proveBalanceUpdate } from '../../protocols/crypto/zk-equality.ts';
import { proveRange } from '../../protocols/crypto/zk-range.ts';
import { fundContext, encodeTx, verifySig } from '../../protocols/channels/chaincode.ts';
import { bodyTxId, endorsementDigest } from '../../protocols/settlement/envelope.ts';
import { rwsetDigest } from '../../protocols/settlement/ledger.ts';
import type { ChannelWorld } from '../../protocols/channels/world.ts';

/** The envelope the chain node would commit: the transaction endorsed by the chain's key. */
function envelopeFor(w: ChannelWorld, cc: ChannelChaincode, tx: ChannelTx) {
  const body = encodeTx(tx);
  const txId = bodyTxId(body);
  return { chaincode: cc.name, body, txId, authorization: tx.auth, endorsements: [{ org: 0, signature: signDigest(w, 0, endorsementDigest(cc.name, txId, rwsetDigest(cc.rwset(tx)))) }] };
}

const REGISTRY = { channels: channelsModule };

function scenario(protocol: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const p = { name: 'channels', parties: 3, funding: 'public', topology: { kind: 'line', deposit: 5_000_000 }, payments: { rate: 0 }, ...protocol } as Record<string, unknown>;
  const nodes = 1 + (p.parties as number) + ((p.watchtowers as number | undefined) ?? 0);
  return validateScenario({ name: 'channels-test', seed: 1, duration: '40s', network: { nodes, regions: { preset: 'uniform-lan' }, jitter: 0.1, topology: { kind: 'full-mesh' } }, protocol: p, ...extra }, { channels: channelsSchema }) as any;
}

const revoked = (over: Record<string, unknown> = {}) => ({ adversaries: [{ kind: 'revoked-state', party: 1, victim: 0, pays: 3, amount: 1_000_000, every: '1s', payFrom: '6s', at: '15s', ...over }] });
const victimOffline = { faults: { crashes: [{ node: 1, at: '14s', recoverAt: '38s' }] } };

describe('channels: honest network', () => {
  it('funds from encrypted balances, routes every payment, pays fees to intermediaries, closes cooperatively; deterministic', () => {
    const s = scenario({ parties: 4, funding: 'encrypted', topology: { kind: 'ring', deposit: 5_000_000 }, payments: { rate: 2, start: '5s', stop: '20s' }, closeAt: '30s' });
    const r = runScenario(s, REGISTRY, 1);
    expect(r.result.violation).toBeUndefined();
    const p = r.protocol as any;
    expect(p.payments).toBeGreaterThan(10);
    expect(p.succeeded).toBe(p.payments);
    expect(p.channelStatus).toEqual({ cooperative: 4 });
    const earned = Object.values(p.feesEarnedMsat as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(earned).toBe(p.feesMsatTotal);
    expect(p.routeLengthMean).toBeGreaterThan(1);
    expect(runScenario(s, REGISTRY, 1).result.traceHash).toBe(r.result.traceHash);
  }, 60_000);
});

describe('channels: revoked-state theft succeeds only if nobody answers within the window', () => {
  const theft = (s: any) => (runScenario(s, REGISTRY, 1).protocol as any).theft;
  it('victim offline through the window, no watchtower: stolen', () => expect(theft(scenario(revoked(), victimOffline))).toBe('stolen'));
  it('victim offline but watched: the tower shows the revocation secret — punished', () => expect(theft(scenario({ ...revoked(), watchtowers: 1, watched: [0] }, victimOffline))).toBe('punished'));
  it('victim online: it disputes itself — punished', () => expect(theft(scenario(revoked()))).toBe('punished'));
  it('cheater withholds its secrets: the newer state defeats it', () => expect(theft(scenario(revoked({ withholdRevoke: true })))).toBe('defeated'));
  it('the window at which theft stops (sweep-channels-window.yaml): victim offline 14 s – 30 s, close in block 16 — stolen up to 14 blocks, punished from 15', () => {
    const at = (blocks: number) => theft(scenario({ ...revoked(), chain: { blockInterval: '1s', disputeBlocks: blocks } }, { duration: '60s', faults: { crashes: [{ node: 1, at: '14s', recoverAt: '30s' }] } }));
    expect([at(14), at(15)]).toEqual(['stolen', 'punished']);
  });
  it('victim back before the window ends: punished', () => expect(theft(scenario(revoked(), { faults: { crashes: [{ node: 1, at: '14s', recoverAt: '18s' }] } }))).toBe('punished'));
});

describe('channels: each invariant fires on a real violation (the mutants), and not on the same run without it', () => {
  const forger = { adversaries: [{ kind: 'forger', party: 0, receiver: 2, amount: 50_000, at: '6s', count: 1 }] };
  const cases: [string, string, any][] = [
    ['skip-balance-check', 'channel-balance', scenario(forger)],
    ['forward-without-lock', 'htlc-atomicity', scenario(forger)],
    ['dispute-ignores-newer-state', 'honest-balance', scenario(revoked({ withholdRevoke: true }))],
    ['penalty-pays-both', 'value-conservation', scenario(revoked())],
  ];
  for (const [mutant, invariant, s] of cases) {
    it(`${mutant} → ${invariant}`, () => {
      const bad = runScenario(s, withMutant(REGISTRY, 'channels', mutant), 1);
      expect(bad.result.violation?.invariant).toBe(invariant);
      expect(bad.result.violation?.kind).toBe('safety');
      expect(runScenario(s, REGISTRY, 1).result.violation).toBeUndefined();
    });
  }
});

describe('channels: malformed messages are rejected and counted, never a crash', () => {
  it('garbage to a party and to the chain', () => {
    const s = scenario({ payments: { rate: 1, start: '5s', stop: '10s' } }, { duration: '15s' });
    const { sim } = buildSimulation(s, REGISTRY, 1);
    const garbage: any[] = [
      { type: 'update', size: 10, channel: 'c0', ops: [], state: null, sig: 'zz' },
      { type: 'ack', size: 10, channel: 'c0', seq: -1, sig: 'x', secret: 'y', nextHash: 'z' },
      { type: 'submit', size: 10, req: { op: 'fund', party: 'x' }, auth: '00' },
      { type: 'nonsense', size: 10 },
      { type: 'revoke', size: 10, channel: 'no-such-channel', seq: 0, secret: 'ab'.repeat(32), nextHash: 'cd'.repeat(32) },
    ];
    sim.at(7_000_000, 'garbage', () => {
      for (const g of garbage) sim.context(2).send(1, g);
      for (const g of garbage) sim.context(2).send(0, g);
    });
    const r = sim.run();
    expect(r.violation).toBeUndefined();
    expect(sim.metrics.counter('channels.malformed').value).toBe(10);
  });
});

describe('channels: update rules and the contract', () => {
  const s0: ChannelState = { channel: 'c0', seq: 0, balanceA: 100n, balanceB: 50n, htlcs: [], revA: 'a'.repeat(64), revB: 'b'.repeat(64) };
  it('applyOps: no overdraft, HTLC slots capped, fulfil needs the preimage, only the recipient removes an HTLC', () => {
    expect(applyOps(s0, [{ kind: 'pay', amount: 101n }], 'a', 0, 5)).toBe('balance');
    const pre = '11'.repeat(32);
    const hash = sha256hex(Buffer.from(pre, 'hex'));
    const add = (id: string) => ({ kind: 'add' as const, htlc: { id, offerer: 'a' as const, amount: 10n, hash, expiry: 50 }, onion: { paymentId: 'p', hops: [], index: 0 } });
    const s1 = applyOps(s0, [add('a0')], 'a', 0, 1) as ChannelState;
    expect(s1.balanceA).toBe(90n);
    expect(applyOps(s1, [add('a1')], 'a', 0, 1)).toBe('slots');
    expect(applyOps(s1, [{ kind: 'fulfill', id: 'a0', preimage: '22'.repeat(32) }], 'b', 0, 1)).toBe('preimage');
    expect(applyOps(s1, [{ kind: 'fail', id: 'a0', reason: 'policy', failedChannel: '' }], 'a', 0, 1)).toBe('no such htlc');
    expect((applyOps(s1, [{ kind: 'fulfill', id: 'a0', preimage: pre }], 'b', 0, 1) as ChannelState).balanceB).toBe(60n);
  });

  it('a cooperative close needs closing signatures, a dispute the right secret, a newer state both signatures', () => {
    const sc = scenario({});
    const w = channelWorld(sc.protocol, sc, 1);
    const cc = new ChannelChaincode(chaincodeEnv(w));
    const ledger = new Ledger(genesisState(w), new ChaincodeRegistry().register(cc), { policy: { required: 1, orgs: [0] }, peerOf: () => 0, verifySignature: () => true });
    const a = 1, b = 2;
    const st: ChannelState = { channel: 'c0', seq: 3, balanceA: 6_000_000n, balanceB: 4_000_000n, htlcs: [], revA: revocationHash('aa'.repeat(32)), revB: revocationHash('bb'.repeat(32)) };
    const prior = { a, b, depositA: '5000000', depositB: '5000000', window: 6, status: 'open' as const };
    ledger.applyBlock(1, []);
    // put the channel object in place as an open would
    (ledger as any).state.set('channel/c0', { value: { kind: 'data', data: prior }, version: 0 });
    const tx = (req: any, submitter = a): ChannelTx => ({ req, submitter, auth: signDigest(w, submitter, requestDigest(req)), height: ledger.height + 1, prior, priorVersion: 0 });
    const upd = { state: st, sigA: signState(st, w.key(a).secretKey), sigB: signState(st, w.key(b).secretKey) };
    const clo = { state: st, sigA: signClosing(st, w.key(a).secretKey), sigB: signClosing(st, w.key(b).secretKey) };
    expect(cc.simulate(tx({ op: 'close', channel: 'c0', signed: upd, by: 'a', cooperative: true }), 'x', '', ledger)).toMatchObject({ ok: false, reason: 'state signatures' });
    expect(cc.simulate(tx({ op: 'close', channel: 'c0', signed: clo, by: 'a', cooperative: true }), 'x', '', ledger)).toEqual({ ok: true });
    expect(cc.simulate(tx({ op: 'close', channel: 'c0', signed: upd, by: 'a', cooperative: false }, b), 'x', '', ledger)).toMatchObject({ ok: false, reason: 'authorization' });
    const closing = cc.effect(tx({ op: 'close', channel: 'c0', signed: upd, by: 'a', cooperative: false }))!.object;
    const dtx = (req: any): ChannelTx => ({ req, submitter: b, auth: signDigest(w, b, requestDigest(req)), height: 2, prior: closing, priorVersion: 1 });
    expect(cc.effect(dtx({ op: 'dispute', channel: 'c0', revocationSecret: 'cc'.repeat(32) }))).toBeUndefined();
    expect(cc.effect(dtx({ op: 'dispute', channel: 'c0', revocationSecret: 'aa'.repeat(32) }))!.object).toMatchObject({ status: 'closed', outcome: 'penalty', penaltyTo: 'b', paidB: '10000000', paidA: '0' });
    const newer = { ...st, seq: 4, balanceA: 5_000_000n, balanceB: 5_000_000n };
    expect(cc.effect(dtx({ op: 'dispute', channel: 'c0', newer: { state: { ...newer, balanceB: 6_000_000n }, sigA: 'x', sigB: 'y' } }))).toBeUndefined(); // value ≠ capacity
    expect(cc.effect(dtx({ op: 'dispute', channel: 'c0', newer: { state: newer, sigA: signState(newer, w.key(a).secretKey), sigB: signState(newer, w.key(b).secretKey) } }))!.object.status).toBe('closing');
  });

  it('fund: a public deposit leaves the encrypted balance only with EL-AHE + range proofs for exactly that amount', () => {
    const sc = scenario({ parties: 2, funding: 'encrypted', topology: { kind: 'line', deposit: 3_000_000 } });
    const w = channelWorld(sc.protocol, sc, 1);
    const cc = new ChannelChaincode(chaincodeEnv(w));
    const ledger = new Ledger(genesisState(w), new ChaincodeRegistry().register(cc), { policy: { required: 1, orgs: [0] }, peerOf: () => 0, verifySignature: (node, d, sig) => verifySig(w.key(node).publicKey, d, sig) });
    const party = 1;
    const kp = w.paillier(party)!;
    const A = w.genesisBalances.get(party)!;
    const deposits = [{ channel: 'c0', amount: 3_000_000n }];
    const random = seededRandom('channels-test', 'fund');
    const next = encryptDetailed(kp.publicKey, w.genesisAmount - 3_000_000n, random);
    const context = fundContext(party, 0, deposits);
    const elahe = proveBalanceUpdate({ publicKey: kp.publicKey, oldBalance: A, transfer: encryptWithNonce(kp.publicKey, 3_000_000n, 1n), newBalance: next.ciphertext, context }, kp.privateKey, { random });
    const range = proveRange({ publicKey: kp.publicKey, ciphertext: next.ciphertext, bits: w.amountBits, setup: w.setup!.params, context }, { plaintext: w.genesisAmount - 3_000_000n, nonce: next.nonce }, { random, privateKey: kp.privateKey });
    const fund = (ds: typeof deposits) => {
      const req = { op: 'fund' as const, party, deposits: ds, version: 0, oldBalance: A, newBalance: next.ciphertext, elahe, range };
      return { req, submitter: party, auth: signDigest(w, party, requestDigest(req)), height: 1, prior: null, priorVersion: -1 } as ChannelTx;
    };
    expect(cc.simulate(fund(deposits), 'id', '', ledger)).toEqual({ ok: true });
    // claiming a smaller deposit with the same new balance (value created) fails the proof
    expect(cc.simulate(fund([{ channel: 'c0', amount: 2_000_000n }]), 'id', '', ledger)).toEqual({ ok: false, reason: 'proof' });
    const b = ledger.applyBlock(1, [envelopeFor(w, cc, fund(deposits))]);
    expect(b.outcomes[0].valid).toBe(true);
    expect(decrypt(kp.privateKey, (ledger.get('balance/party/1')!.value as { ciphertext: bigint }).ciphertext)).toBe(w.genesisAmount - 3_000_000n);
  });

  it('the scenario must have the chain + parties + towers nodes', () => {
    expect(() => validateScenario({ name: 'x', duration: '1s', network: { nodes: 3 }, protocol: { name: 'channels', parties: 3, topology: { kind: 'line' } } }, { channels: channelsSchema })).toThrow(/expected 4 nodes/);
  });
});

void buildChannels;
void ChainNode;
void (null as unknown as ChannelNode);
