/**
 * The ringchain workload: seed 001's record flows (§3, Protocols 1–3) as ring-signed transactions
 * arriving as Poisson processes at the scenario's rates (per second of virtual time):
 *
 *   registration   a patient without a register contract deploys its RC (Protocol 1);
 *   record         a registered patient deploys an MRC holding the record (Protocol 2) and
 *                  `subjoin`s it to its RC (two txs, consecutive nonces);
 *   warrant        a patient warrants an institution's ALC on one of its records (the MRC adds
 *                  itself to the ALC in the same tx);
 *   unwarrant      a patient revokes a warranted institution (the ALC entry goes with it);
 *   read           an institution calls `getData` on its ALC (Protocol 3);
 *   transfer       a plain value transfer between participants, which also publishes one new
 *                  one-time key (as a Monero output does), so ring-member keys keep appearing
 *                  on chain at increasing heights (what recency-biased decoy selection needs).
 * Institutions deploy their ALCs at the start.
 *
 * Every tx is really ring-signed: the ring is chosen by the scenario's decoy policy
 * (`selectRing`) from the keys enrolled on the workload's reference chain (the first honest
 * node's tip, as a wallet would read its node), at `ringSize` members (a tx is skipped, counted
 * as `<kind>-no-ring`, while fewer keys than that are enrolled). Decisions (which record,
 * which institution) are made on that reference view. Nonces are tracked per identity; a sender
 * keeps at most `MAX_PENDING` txs unconfirmed, and resynchronises with the chain when its txs
 * have not confirmed for a while (a dropped tx would otherwise block its successors).
 *
 * Randomness: arrivals and choices from harness streams `ringchain/workload/<kind>`, keys from
 * `ringchain/workload/keys` (ChaCha20), signature randomness from `ringchain/workload/sign`.
 */
import type { Simulation } from '../../sim/kernel.ts';
import type { Rng } from '../../sim/rng.ts';
import type { NodeId } from '../../sim/types.ts';
import { seededRandom, type RandomSource } from '../crypto/random.ts';
import { contractReader, contractTxData, ZERO_ADDRESS, type Address } from './contracts/index.ts';
import type { RingEntry } from './chain.ts';
import { newIdentity, signTx, type RingIdentity } from './keys.ts';
import { generateKeyPair } from '../crypto/ringsig.ts';
import { NotEnoughDecoysError, selectRing, type DecoyPolicyName, type KnownKey } from './decoys.ts';
import type { RingMessage, RingNode, RingWorld } from './world.ts';
import { transferData, type RingTx, type UnsignedTx } from './tx.ts';
import { keccak256 } from '../crypto/hash.ts';

/** Most unconfirmed txs one sender keeps in flight. */
const MAX_PENDING = 8;
/** A sender whose txs have not confirmed for this many block intervals resynchronises its nonce. */
const STALE_INTERVALS = 20;

export interface RingWorkloadOptions {
  /** Events per second of virtual time (whole network, Poisson). */
  registrationRate: number;
  recordRate: number;
  warrantRate: number;
  unwarrantRate: number;
  readRate: number;
  transferRate: number;
  /** Patients (identities enrolled and funded at genesis). */
  patients: number;
  /** Institutions (each deploys one ALC at the start). */
  institutions: number;
  /** Extra keys enrolled at genesis only as decoys (their secrets are discarded). */
  coverKeys: number;
  /** Record payload size, bytes. */
  recordBytes: number;
  /** Ring members per tx. */
  ringSize: number;
  decoyPolicy: DecoyPolicyName;
  /** A key signs every tx with the ring chosen for its first one (docs/ringchain.md, "Anonymity"). */
  ringReuse: boolean;
  /** Genesis balance of every participant, wei. */
  initialBalance: bigint;
  /** Value of a plain transfer, wei. */
  transferValue: bigint;
  /** Each transfer enrols one new one-time key. */
  enrolOnTransfer: boolean;
}

export type WorkloadKind = 'alc' | 'registration' | 'record' | 'subjoin' | 'warrant' | 'unwarrant' | 'read' | 'transfer';

interface Sender {
  readonly id: RingIdentity;
  next: number;
  confirmed: number;
  lastProgressUs: number;
}

interface RecordRef {
  readonly mrc: Address;
  readonly owner: Sender;
}

export type Submit = (tx: RingTx, kind: string) => void;

export class RingWorkload {
  readonly patients: Sender[];
  readonly institutions: Sender[];
  readonly coverKeys: string[];
  /** Patients that have deployed an RC (submitted), with its address. */
  readonly registers = new Map<Sender, Address>();
  readonly records: RecordRef[] = [];
  readonly submitted: Record<string, number> = {};
  readonly skipped: Record<string, number> = {};
  /** Ring-reuse mode: the ring of each key's first tx (by public key hex). */
  private readonly rings = new Map<string, Uint8Array[]>();
  private readonly keyRandom: RandomSource;
  private readonly signRandom: RandomSource;
  private ringRng: Rng | undefined;
  private knownCache: { entry: RingEntry; known: KnownKey[]; byHex: Map<string, KnownKey> } | undefined;

  constructor(
    readonly options: RingWorkloadOptions,
    seed: number,
  ) {
    this.keyRandom = seededRandom(seed, 'ringchain/workload/keys');
    this.signRandom = seededRandom(seed, 'ringchain/workload/sign');
    const sender = (): Sender => ({ id: newIdentity(this.keyRandom), next: 0, confirmed: 0, lastProgressUs: 0 });
    this.patients = Array.from({ length: options.patients }, sender);
    this.institutions = Array.from({ length: options.institutions }, sender);
    this.coverKeys = Array.from({ length: options.coverKeys }, () => newIdentity(this.keyRandom).publicHex);
  }

  /** Genesis: balances of every participant and the enrolled keys. */
  genesis(extra: RingIdentity[] = []): { balances: Map<Address, bigint>; keys: string[] } {
    const all = [...this.patients.map((s) => s.id), ...this.institutions.map((s) => s.id), ...extra];
    return { balances: new Map(all.map((i) => [i.pseudonym, this.options.initialBalance])), keys: [...all.map((i) => i.publicHex), ...this.coverKeys] };
  }

  /** The enrolled keys of a tip, as the decoy policy takes them (cached per tip). */
  knownKeys(tip: RingEntry): { known: KnownKey[]; byHex: Map<string, KnownKey> } {
    if (this.knownCache?.entry !== tip) {
      const s = tip.state;
      const known = s.keyList.slice(0, s.keyCount).map((k) => ({ publicKeyHex: k.hex, height: k.height }));
      this.knownCache = { entry: tip, known, byHex: new Map(known.map((k) => [k.publicKeyHex, k])) };
    }
    return this.knownCache;
  }

  /** Signs `u` for `id` with a ring chosen by the decoy policy on `tip` (also used by adversaries). */
  sign(world: RingWorld, tip: RingEntry, id: RingIdentity, u: UnsignedTx, rng: Rng): RingTx | undefined {
    const reused = this.options.ringReuse ? this.rings.get(id.publicHex) : undefined;
    if (reused) {
      const tx = signTx(u, reused, id, world.chain.ringCache, this.signRandom);
      world.realSigners.set(tx.txid, id.publicHex);
      return tx;
    }
    const { known, byHex } = this.knownKeys(tip);
    const real = byHex.get(id.publicHex);
    if (!real) return undefined;
    let members: KnownKey[];
    try {
      ({ members } = selectRing(this.options.decoyPolicy, known, real, this.options.ringSize, tip.height, rng, { knownAreDistinct: true }));
    } catch (e) {
      if (e instanceof NotEnoughDecoysError) return undefined;
      throw e;
    }
    const ring = members.map((m) => hexToBytes(m.publicKeyHex));
    if (this.options.ringReuse) this.rings.set(id.publicHex, ring);
    const tx = signTx(u, ring, id, world.chain.ringCache, this.signRandom);
    world.realSigners.set(tx.txid, id.publicHex);
    return tx;
  }

  install(sim: Simulation<RingMessage>, world: RingWorld, submit: Submit, durationUs: number, reference: () => RingEntry): void {
    const o = this.options;
    this.ringRng = sim.rng('ringchain/workload/ring');
    const blockUs = world.options.blockIntervalUs;
    const send = (s: Sender, kind: WorkloadKind, u: Omit<UnsignedTx, 'nonce'>): boolean => {
      const tip = reference();
      const confirmed = tip.state.account(s.id.pseudonym).nonce;
      if (confirmed !== s.confirmed) {
        s.confirmed = confirmed;
        s.lastProgressUs = sim.now;
      }
      if (s.next < confirmed) s.next = confirmed;
      if (s.next > confirmed && sim.now - s.lastProgressUs > STALE_INTERVALS * blockUs) s.next = confirmed;
      if (s.next - confirmed >= MAX_PENDING) return this.skip(`${kind}-busy`);
      if (s.next === confirmed) s.lastProgressUs = sim.now;
      const tx = this.sign(world, tip, s.id, { ...u, nonce: s.next } as UnsignedTx, this.ringRng!);
      if (!tx) return this.skip(`${kind}-no-ring`);
      s.next++;
      this.submitted[kind] = (this.submitted[kind] ?? 0) + 1;
      submit(tx, kind);
      return true;
    };
    // Institutions deploy their ALCs during the first block interval.
    const alcRng = sim.rng('ringchain/workload/alc');
    for (const inst of this.institutions) sim.at(alcRng.uniform(0, blockUs), 'ringchain/workload/alc', () => send(inst, 'alc', { kind: 'deploy', data: contractTxData.deployAccessList() }));
    const alcOf = (inst: Sender) => contractTxData.createdAddress(inst.id.pseudonym, 0);

    const poisson = (kind: WorkloadKind, rate: number, action: (rng: Rng) => void) => {
      if (!(rate > 0)) return;
      const rng = sim.rng(`ringchain/workload/${kind}`);
      const meanUs = 1e6 / rate;
      const next = (t: number) => {
        const at = t + rng.exponential(meanUs);
        if (at > durationUs) return;
        sim.at(at, `ringchain/workload/${kind}`, () => {
          action(rng);
          next(at);
        });
      };
      next(0);
    };

    poisson('registration', o.registrationRate, () => {
      const p = this.patients.find((s) => !this.registers.has(s));
      if (!p) return void this.skip('registration-no-patient');
      const info = { nameDigest: keccak256(p.id.publicKey), birthYear: 1950 + (p.id.publicKey[0] % 60), sex: 1 + (p.id.publicKey[1] % 2) };
      const rc = contractTxData.createdAddress(p.id.pseudonym, p.next);
      if (send(p, 'registration', { kind: 'deploy', data: contractTxData.deployRegister(info) })) this.registers.set(p, rc);
    });
    poisson('record', o.recordRate, (rng) => {
      const owners = [...this.registers.keys()];
      if (owners.length === 0) return void this.skip('record-no-register');
      const p = rng.pick(owners);
      const data = new Uint8Array(o.recordBytes);
      for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
      const mrc = contractTxData.createdAddress(p.id.pseudonym, p.next);
      if (!send(p, 'record', { kind: 'deploy', data: contractTxData.deployRecord(data) })) return;
      this.records.push({ mrc, owner: p });
      send(p, 'subjoin', { kind: 'call', to: this.registers.get(p)!, data: contractTxData.subjoin(mrc) });
    });
    poisson('warrant', o.warrantRate, (rng) => {
      const state = reference().state.contracts;
      const live = this.records.filter((r) => contractReader.record(state, r.mrc) !== undefined);
      const alcs = this.institutions.map(alcOf).filter((a) => contractReader.accessList(state, a) !== undefined);
      if (live.length === 0 || alcs.length === 0) return void this.skip('warrant-nothing-to-warrant');
      const r = rng.pick(live);
      const have = new Set(contractReader.record(state, r.mrc)!.authorised);
      const free = alcs.filter((a) => !have.has(a));
      if (free.length === 0) return void this.skip('warrant-all-warranted');
      send(r.owner, 'warrant', { kind: 'call', to: r.mrc, data: contractTxData.warrant(rng.pick(free)) });
    });
    poisson('unwarrant', o.unwarrantRate, (rng) => {
      const state = reference().state.contracts;
      const warranted = this.records.filter((r) => (contractReader.record(state, r.mrc)?.authorised.length ?? 0) > 0);
      if (warranted.length === 0) return void this.skip('unwarrant-nothing-warranted');
      const r = rng.pick(warranted);
      send(r.owner, 'unwarrant', { kind: 'call', to: r.mrc, data: contractTxData.unwarrant(rng.pick(contractReader.record(state, r.mrc)!.authorised)) });
    });
    poisson('read', o.readRate, (rng) => {
      const state = reference().state.contracts;
      const ready = this.institutions.filter((s) => contractReader.accessList(state, alcOf(s)) !== undefined);
      if (ready.length === 0) return void this.skip('read-no-alc');
      const inst = rng.pick(ready);
      send(inst, 'read', { kind: 'call', to: alcOf(inst), data: contractTxData.getData() });
    });
    poisson('transfer', o.transferRate, (rng) => {
      const everyone = [...this.patients, ...this.institutions];
      if (everyone.length < 2) return void this.skip('transfer-no-peer');
      const from = rng.pick(everyone);
      let to = rng.pick(everyone);
      if (to === from) to = everyone[(everyone.indexOf(from) + 1) % everyone.length];
      const enrol = o.enrolOnTransfer ? [generateKeyPair(this.keyRandom).publicKey] : [];
      send(from, 'transfer', { kind: 'call', to: to.id.pseudonym, data: transferData(o.transferValue, enrol) });
    });
    void ZERO_ADDRESS;
  }

  private skip(reason: string): false {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    return false;
  }
}

export function hexToBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Puts a tx into the network: the shared pool (pooled relay) or a random honest node's mempool (full relay). */
export function makeSubmitter(sim: Simulation<RingMessage>, world: RingWorld, nodes: RingNode[], honest: NodeId[]): Submit {
  const pick = sim.rng('ringchain/workload/home');
  const fee = world.chain.params.txGasLimit * Number(world.chain.params.gasPrice / 1_000_000_000n);
  return (tx, kind) => {
    const now = sim.now;
    if (!world.submissions.has(tx.txid)) world.submissions.set(tx.txid, { submittedUs: now, kind });
    world.fees.set(tx.txid, fee);
    if (world.options.txRelay === 'pooled') world.pool.set(tx.txid, { tx, availableUs: now + world.options.pooledDelayUs, feeRate: fee / tx.size });
    else {
      const home = honest[pick.int(honest.length)];
      if (!sim.isCrashed(home)) nodes[home].submitTx(sim.context(home) as never, tx);
    }
  };
}
