/**
 * Small settlement worlds for tests: 1024-bit keys (cached under .cache/medsim/keys/ after the
 * first run), 3 hospitals + insurer, a few patients, uniform LAN.
 */
import { settlementModule, settlementSchema, layoutOf, settlementWorld, type SettlementConfig } from '../../protocols/settlement/module.ts';
import { encodeEnvelope, endorsementDigest, envelopeOf, envelopeOperation, type Endorsement, type Envelope } from '../../protocols/settlement/envelope.ts';
import { rwsetDigest } from '../../protocols/settlement/ledger.ts';
import { PAY, PayChaincode } from '../../protocols/settlement/pay-chaincode.ts';
import { buildPayment, signPayment, type SignedPayment } from '../../protocols/settlement/payment.ts';
import type { SettlementWorld } from '../../protocols/settlement/world.ts';
import { seededRandom } from '../../protocols/crypto/random.ts';
import { buildSimulation, runScenario } from '../../sim/runner.ts';
import { validateScenario } from '../../sim/scenario/load.ts';

export const REGISTRY = { settlement: settlementModule };

/** The key seed of test worlds (cached keys shared by every settlement test). */
export const TEST_KEY_SEED = 'medchain-sim/test/settlement/v1';

export function settlementScenario(protocol: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const patients = (protocol.patients as number | undefined) ?? 4;
  const replay = ((protocol.adversaries as { kind: string; nodes?: number }[] | undefined) ?? []).filter((a) => a.kind === 'replay').reduce((n, a) => n + (a.nodes ?? 1), 0);
  const raw = {
    name: 'settlement-test',
    seed: 1,
    duration: '8s',
    network: { nodes: 4 + 4 + 1 + patients + replay, regions: { preset: 'uniform-lan' }, jitter: 0.1, topology: { kind: 'full-mesh' } },
    protocol: { name: 'settlement', keySeed: TEST_KEY_SEED, patients, ...protocol },
    ...extra,
  };
  return validateScenario(raw, { settlement: settlementSchema }) as any;
}

export function runSettlement(protocol: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, seed?: number) {
  const s = settlementScenario(protocol, extra);
  return runScenario(s, REGISTRY, seed ?? s.seed);
}

export function buildSettlement(protocol: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return buildSimulation(settlementScenario(protocol, extra), REGISTRY);
}

/** A world (directory, keys, policy) without a simulation. */
export function testWorld(protocol: Record<string, unknown> = {}, seed = 1): SettlementWorld {
  const cfg = settlementScenario(protocol).protocol as SettlementConfig;
  return settlementWorld(cfg, seed, layoutOf(cfg));
}

/** An honest payment by patient `i` of `amount` to `payee`, built on (balance, version). */
export function pay(w: SettlementWorld, i: number, payee: string, amount: bigint, balance?: bigint, version = 0, label = 'pay'): SignedPayment {
  const payer = w.directory.account(`patient/${i}`)!;
  const tx = buildPayment(
    w.payment,
    { payer: payer.id, payee, amount, balance: balance ?? w.directory.genesis.get(payer.id)!, version },
    w.directory.keyPair(payer.id),
    seededRandom('settlement-test', `${label}/${i}/${payee}/${amount}/${version}`),
  );
  return signPayment(tx, (id) => w.keys.sign(payer.node, id));
}

/** Valid endorsements of `p` by the given organisations' peers. */
export function endorse(w: SettlementWorld, p: SignedPayment, orgs: readonly number[]): Endorsement[] {
  const digest = endorsementDigest(PAY, p.txId, rwsetDigest(new PayChaincode(w.payment).rwset(p.tx)));
  return orgs.map((org) => ({ org, signature: w.keys.sign(w.layout.orgs[org].peer, digest) }));
}

/** The decoded envelope of a payment with endorsements (as committers see it in a block). */
export function envelope(w: SettlementWorld, p: SignedPayment, orgs: readonly number[] = [0, 1]): Envelope {
  const e = envelopeOf(envelopeOperation(encodeEnvelope({ chaincode: PAY, body: p.body, authorization: p.authorization, endorsements: endorse(w, p, orgs) })));
  if (e instanceof Error) throw e;
  return e;
}
