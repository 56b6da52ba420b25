/**
 * The HealthChain workload: seed 000's Algorithms 2–4 end to end on the simulated chain, with the
 * real record library (`protocols/records/flows.ts`):
 *
 *   issue (Alg. 2)   a doctor hashes and signs a record M, publishes the data-storage tx (paying a
 *                    fee from its wallet), encrypts Digest|M|H(M)|Sig under a fresh key and wraps
 *                    the key for the patient (X25519 + HKDF + XChaCha20-Poly1305);
 *   store (Alg. 3)   the patient unwraps, decrypts, verifies the issuer signature and H(M),
 *                    re-encrypts under a new key and uploads the ciphertext to the run's one
 *                    `RecordStore` (the "cloud"), keeping key and URI in its `PatientWallet`; the
 *                    record's owner key is fresh per record (seed 000 §3.2 pseudonymity);
 *   share (Alg. 4)   the patient publishes an access-control tx granting 'read' to a third party,
 *                    carrying the record key wrapped for the grantee, signed by the owner key;
 *   revoke           an access tx with an empty permission set;
 *   fetch            a third party answers the store's challenge, the store checks authorisation
 *                    against the chain (`ChainLedger` over one honest node's best chain, at
 *                    `fetchConfirmations`), serves the ciphertext, and the third party checks the
 *                    content address, unwraps, decrypts and verifies against the on-chain storage
 *                    tx. Random fetches (`fetchRate`) pick any grant ever made (so revoked, expired
 *                    and not-yet-deep grants are refused with the store's typed reasons); besides,
 *                    every grantee fetches its new grant as soon as its share tx is
 *                    `fetchConfirmations` deep on the store's chain view — the record-share
 *                    latency is share-tx broadcast → that successful fetch;
 *   transfer         plain value transfers.
 *
 * Every tx is really signed (Ed25519, RFC 8032) and pays a fee from a UTXO wallet. Arrivals are
 * Poisson processes at the scenario's rates (per second of virtual time), drawn from harness
 * streams, so the schedule depends only on the seed. Keys, record bytes, content keys, nonces
 * and ephemeral wrap keys come from seeded ChaCha20 streams (`protocols/crypto/random.ts`):
 * `pow/workload/keys` (wallet and third-party keys), `pow/workload/records` (flows) and
 * `pow/records/store` (store challenges), so one extra draw in one does not reshuffle the others.
 */
import { publicKeyFromSecret, sign } from '../crypto/ed25519.ts';
import type { Simulation } from '../../sim/kernel.ts';
import type { Rng } from '../../sim/rng.ts';
import type { NodeId } from '../../sim/types.ts';
import { seededRandom, type RandomSource } from '../crypto/random.ts';
import { fetchRecord, issueRecord, PatientWallet, RecordError, revokeRecord, shareRecord, storeRecord, type KeyPair, type WalletEntry } from '../records/flows.ts';
import { RecordStore } from '../records/store.ts';
import { ChainLedger, outpointKey, type PowEntry } from './chain.ts';
import { makeTx, type Tx, type TxOutput } from './tx.ts';
import type { PowMessage, PowNode, PowWorld } from './world.ts';

export interface WorkloadOptions {
  /** Record issues (storage txs) per second of virtual time, whole network. */
  recordRate: number;
  /** Access grants (share) per second. */
  shareRate: number;
  /** Revocations per second. */
  revokeRate: number;
  /** Third-party fetches through the record store per second. */
  fetchRate: number;
  /** Value transfers per second. */
  transferRate: number;
  /** Number of doctors (issuers), patients and third parties (grantees). */
  doctors: number;
  patients: number;
  thirdParties: number;
  /** Fee rate range, base units per byte (uniform). */
  feeRateMin: number;
  feeRateMax: number;
  /** Genesis coins per wallet and their value, base units. */
  coinsPerWallet: number;
  coinValue: number;
  /** Confirmations the store requires of an access tx (and fetchers of the storage tx). */
  fetchConfirmations: number;
  /** Lifetime of a grant, µs of virtual time. */
  grantLifetimeUs: number;
  /** Size of each plaintext record M, bytes. */
  recordBytes: number;
}

interface Coin {
  txid: string;
  index: number;
  value: number;
}

class Wallet {
  readonly coins: Coin[] = [];
  constructor(
    readonly secret: Uint8Array,
    readonly key: Uint8Array,
  ) {}
}

/** A record stored by a patient, and who it was shared with. */
interface HeldRecord {
  entry: WalletEntry;
  patient: number;
  /** Third parties holding a grant that has not been revoked (indices). */
  active: number[];
  /** Every third party ever granted (indices), for random fetches. */
  granted: number[];
}

/** A grant waiting for its grantee's first fetch (record-share latency). */
interface PendingShare {
  record: HeldRecord;
  grantee: number;
  txid: string;
  broadcastUs: number;
  expiration: number;
}

/** The chain view the store reads: one honest node's best chain. */
export interface StoreView {
  node: NodeId;
  tip(): PowEntry;
}

export interface FetchCounts {
  /** Random third-party fetches served (decrypted and verified). */
  served: number;
  /** Random fetches refused, and why (store refusal reasons or the fetcher's RecordError codes). */
  refused: number;
  reasons: Record<string, number>;
}

/** Submits txs to the network: a node's mempool (full relay) or the shared pool (pooled). */
export type Submit = (tx: Tx, fee: number) => void;

export class Workload {
  readonly wallets: Wallet[] = [];
  readonly records: HeldRecord[] = [];
  /** Records shared at least once (random fetches draw from them). */
  private readonly shared: HeldRecord[] = [];
  /** Each patient's wallet of stored records (Alg. 3 "remember key and location"). */
  readonly patientWallets: PatientWallet[] = [];
  readonly thirdParties: KeyPair[] = [];
  private readonly random: RandomSource;
  /** Flow randomness: record bytes, digests, content keys, AEAD nonces, ephemeral wrap keys. */
  private readonly flowRandom: RandomSource;
  private pending: PendingShare[] = [];
  /** The run's record store (the "cloud"), created by `install`. */
  store: RecordStore | undefined;
  ledger: ChainLedger | undefined;
  fetches: FetchCounts = { served: 0, refused: 0, reasons: {} };
  /** Grants fetched by their grantee, and share broadcast → that fetch, seconds. */
  readonly shareLatenciesS: number[] = [];
  /** Grants whose first fetch was pre-empted (revoked or expired first), or failed otherwise. */
  shareOutcomes = { fetched: 0, superseded: 0, failed: 0 };
  /** Records issued but discarded by the patient (Alg. 3 verification failed; 0 with honest doctors). */
  discarded = 0;

  constructor(
    readonly options: WorkloadOptions,
    readonly seed: number | string,
  ) {
    this.random = seededRandom(String(seed), 'pow/workload/keys');
    this.flowRandom = seededRandom(String(seed), 'pow/workload/records');
    const n = Math.max(options.doctors + options.patients, options.transferRate > 0 ? 2 : 0);
    for (let i = 0; i < n; i++) {
      const secret = this.random(32);
      this.wallets.push(new Wallet(secret, publicKeyFromSecret(secret)));
    }
    for (let i = 0; i < options.thirdParties; i++) {
      const secret = this.random(32);
      this.thirdParties.push({ secretKey: secret, publicKey: publicKeyFromSecret(secret) });
    }
    for (let i = 0; i < options.patients; i++) this.patientWallets.push(new PatientWallet());
  }

  /** Outputs of the genesis allocation (coinsPerWallet coins to each wallet). */
  genesisOutputs(): TxOutput[] {
    const out: TxOutput[] = [];
    for (const w of this.wallets) for (let c = 0; c < this.options.coinsPerWallet; c++) out.push({ value: this.options.coinValue, owner: w.key });
    return out;
  }

  /** Registers the genesis coins with their wallets (after the world built the genesis block). */
  fund(genesisAlloc: Tx): void {
    let i = 0;
    for (const w of this.wallets) for (let c = 0; c < this.options.coinsPerWallet; c++, i++) w.coins.push({ txid: genesisAlloc.txid, index: i, value: genesisAlloc.outputs[i].value });
  }

  /**
   * Creates the record store over `view`'s chain and schedules every arrival of the run
   * (Poisson processes) on the simulation.
   */
  install(sim: Simulation<PowMessage>, world: PowWorld, submit: Submit, untilUs: number, view: StoreView): void {
    const o = this.options;
    const ledger = new ChainLedger(() => view.tip(), () => sim.now);
    this.ledger = ledger;
    this.store = new RecordStore({ ledger, random: seededRandom(String(this.seed), 'pow/records/store'), minConfirmations: o.fetchConfirmations, storeId: 'healthchain-cloud' });
    const processes: [string, number, (rng: Rng) => void][] = [
      ['record', o.recordRate, (r) => this.issue(r, world, submit)],
      ['share', o.shareRate, (r) => this.share(r, world, submit, sim.now)],
      ['revoke', o.revokeRate, (r) => this.revoke(r, world, submit)],
      ['transfer', o.transferRate, (r) => this.transfer(r, world, submit)],
      ['fetch', o.fetchRate, (r) => this.fetch(r)],
    ];
    for (const [label, rate, act] of processes) {
      if (!(rate > 0)) continue;
      const rng = sim.rng(`pow/workload/${label}`);
      const next = (t: number) => {
        const at = t + Math.max(1, Math.round(rng.exponential(1e6 / rate)));
        if (at > untilUs) return;
        sim.at(at, `pow/${label}`, () => {
          act(rng);
          next(at);
        });
      };
      next(0);
    }
    // Grantees fetch a new grant as soon as it is deep enough on the store's view of the chain.
    if (o.shareRate > 0) {
      sim.observe({
        name: 'pow-share-fetch',
        onObservation: (node, obs, now) => {
          if (node === view.node && obs.kind === 'tip' && this.pending.length > 0) this.pollShares(view.tip(), now);
          return undefined;
        },
      });
    }
  }

  /** A spendable coin of wallet `w` (confirmed on the best chain), or undefined. */
  private takeCoin(world: PowWorld, w: Wallet): Coin | undefined {
    const utxo = world.store.best.state.utxo;
    for (let i = 0; i < w.coins.length; i++) {
      const c = w.coins[i];
      if (utxo.has(outpointKey(c.txid, c.index))) {
        w.coins.splice(i, 1);
        return c;
      }
    }
    return undefined;
  }

  /**
   * Builds a fee-paying tx for wallet `w` with an optional payload and payment; the change goes
   * back to the wallet (usable once confirmed).
   */
  private pay(rng: Rng, world: PowWorld, w: Wallet, fields: Pick<Tx, 'storage' | 'access'> & { kind: 'storage' | 'access' | 'transfer' }, payTo?: { key: Uint8Array; wallet?: Wallet }): { tx: Tx; fee: number } | undefined {
    const coin = this.takeCoin(world, w);
    if (!coin) return undefined;
    const o = this.options;
    const rate = o.feeRateMin + rng.next() * (o.feeRateMax - o.feeRateMin);
    // Size is known only after building; estimate with a draft, then fix the fee.
    const build = (fee: number, signed: boolean) => {
      const spend = coin.value - fee;
      const outputs: TxOutput[] = [];
      if (payTo) {
        const amount = Math.floor(spend / 2);
        outputs.push({ value: amount, owner: payTo.key }, { value: spend - amount, owner: w.key });
      } else outputs.push({ value: spend, owner: w.key });
      return makeTx({ ...fields, inputs: [{ txid: coin.txid, index: coin.index }], outputs }, signed ? (_i, msg) => sign(msg, w.secret) : undefined);
    };
    // Signatures have a fixed length, so an unsigned draft has the final size.
    const draft = build(0, false);
    const fee = Math.ceil(rate * draft.size);
    if (fee >= coin.value) {
      w.coins.push(coin);
      return undefined;
    }
    const tx = build(fee, true);
    const changeIndex = payTo ? 1 : 0;
    w.coins.push({ txid: tx.txid, index: changeIndex, value: tx.outputs[changeIndex].value });
    if (payTo?.wallet) payTo.wallet.coins.push({ txid: tx.txid, index: 0, value: tx.outputs[0].value });
    return { tx, fee };
  }

  /** Alg. 2 (doctor) then Alg. 3 (patient). */
  private issue(rng: Rng, world: PowWorld, submit: Submit): void {
    const o = this.options;
    if (o.doctors === 0 || o.patients === 0) return;
    const dw = this.wallets[rng.int(o.doctors)];
    const p = rng.int(o.patients);
    const pw = this.wallets[o.doctors + p];
    const doctor: KeyPair = { secretKey: dw.secret, publicKey: dw.key };
    const patient: KeyPair = { secretKey: pw.secret, publicKey: pw.key };
    const M = this.flowRandom(o.recordBytes); // the plaintext record (opaque bytes)
    const issued = issueRecord(doctor, patient.publicKey, M, this.flowRandom);
    const r = this.pay(rng, world, dw, { kind: 'storage', storage: issued.storage });
    if (!r) return; // the doctor has no confirmed coin: the record is not issued
    world.submissions.set(r.tx.txid, { submittedUs: -1, kind: 'storage' });
    submit(r.tx, r.fee);
    // The envelope reaches the patient off-chain; Alg. 3 stores it in the cloud.
    let entry: WalletEntry;
    try {
      entry = storeRecord(patient, issued.envelope, this.store!, this.flowRandom, { wallet: this.patientWallets[p] });
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      this.discarded++;
      return;
    }
    this.records.push({ entry, patient: o.doctors + p, active: [], granted: [] });
  }

  /** Alg. 4: the patient grants 'read' on one of its records to a third party. */
  private share(rng: Rng, world: PowWorld, submit: Submit, nowUs: number): void {
    if (this.records.length === 0 || this.thirdParties.length === 0) return;
    const rec = this.records[rng.int(this.records.length)];
    const g = rng.int(this.thirdParties.length);
    const expiration = nowUs + this.options.grantLifetimeUs;
    const payload = shareRecord(rec.entry, this.thirdParties[g].publicKey, ['read'], expiration, this.flowRandom);
    const r = this.pay(rng, world, this.wallets[rec.patient], { kind: 'access', access: payload });
    if (!r) return;
    if (!rec.active.includes(g)) rec.active.push(g);
    if (rec.granted.length === 0) this.shared.push(rec);
    if (!rec.granted.includes(g)) rec.granted.push(g);
    world.submissions.set(r.tx.txid, { submittedUs: -1, kind: 'share' });
    submit(r.tx, r.fee);
    this.pending.push({ record: rec, grantee: g, txid: r.tx.txid, broadcastUs: nowUs, expiration });
  }

  private revoke(rng: Rng, world: PowWorld, submit: Submit): void {
    const withGrants = this.shared.filter((r) => r.active.length > 0);
    if (withGrants.length === 0) return;
    const rec = withGrants[rng.int(withGrants.length)];
    const i = rng.int(rec.active.length);
    const payload = revokeRecord(rec.entry, this.thirdParties[rec.active[i]].publicKey);
    const r = this.pay(rng, world, this.wallets[rec.patient], { kind: 'access', access: payload });
    if (!r) return;
    rec.active.splice(i, 1);
    world.submissions.set(r.tx.txid, { submittedUs: -1, kind: 'revoke' });
    submit(r.tx, r.fee);
  }

  private transfer(rng: Rng, world: PowWorld, submit: Submit): void {
    if (this.wallets.length < 2) return;
    const a = rng.int(this.wallets.length);
    let b = rng.int(this.wallets.length - 1);
    if (b >= a) b++;
    const r = this.pay(rng, world, this.wallets[a], { kind: 'transfer' }, { key: this.wallets[b].key, wallet: this.wallets[b] });
    if (!r) return;
    world.submissions.set(r.tx.txid, { submittedUs: -1, kind: 'transfer' });
    submit(r.tx, r.fee);
  }

  /** One fetch through the store; returns the RecordError (code or store reason) or 'ok'. */
  private fetchOnce(grantee: number, uri: string): string {
    try {
      fetchRecord(this.thirdParties[grantee], uri, this.store!, this.ledger!, { minConfirmations: this.options.fetchConfirmations });
      return 'ok';
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      return e.reason ?? e.code;
    }
  }

  /** A third party fetches a record it was granted at some point (maybe revoked or expired since). */
  private fetch(rng: Rng): void {
    if (this.shared.length === 0) return;
    const rec = this.shared[rng.int(this.shared.length)];
    const grantee = rec.granted[rng.int(rec.granted.length)];
    const outcome = this.fetchOnce(grantee, rec.entry.uri);
    if (outcome === 'ok') this.fetches.served++;
    else {
      this.fetches.refused++;
      this.fetches.reasons[outcome] = (this.fetches.reasons[outcome] ?? 0) + 1;
    }
  }

  /**
   * The store's chain view has a new tip: every grantee whose share tx is now
   * `fetchConfirmations` deep fetches and decrypts its record (record-share latency).
   */
  private pollShares(tip: PowEntry, nowUs: number): void {
    const d = this.options.fetchConfirmations;
    const keep: PendingShare[] = [];
    for (const p of this.pending) {
      if (p.expiration <= nowUs) {
        this.shareOutcomes.superseded++;
        continue;
      }
      const h = tip.state.txIndex.get(p.txid);
      if (h === undefined || tip.height - h + 1 < d) {
        keep.push(p);
        continue;
      }
      const outcome = this.fetchOnce(p.grantee, p.record.entry.uri);
      if (outcome === 'ok') {
        this.shareOutcomes.fetched++;
        this.shareLatenciesS.push((nowUs - p.broadcastUs) / 1e6);
      } else if (outcome === 'not-on-chain') keep.push(p); // the storage tx is not deep enough yet
      else if (outcome === 'revoked' || outcome === 'expired') this.shareOutcomes.superseded++;
      else this.shareOutcomes.failed++;
    }
    this.pending = keep;
  }

  /** Grants not fetched yet at the end of the run. */
  get pendingShares(): number {
    return this.pending.length;
  }
}

/** Submitter for a run: stamps submission time and routes by relay mode. */
export function makeSubmitter(sim: Simulation<PowMessage>, world: PowWorld, nodes: PowNode[], honest: number[]): Submit {
  const pick = sim.rng('pow/workload/home');
  return (tx, fee) => {
    const now = sim.now;
    const sub = world.submissions.get(tx.txid);
    if (sub) sub.submittedUs = now;
    else world.submissions.set(tx.txid, { submittedUs: now, kind: tx.kind });
    world.fees.set(tx.txid, fee);
    if (world.options.txRelay === 'pooled') {
      world.pool.set(tx.txid, { tx, availableUs: now + world.options.pooledDelayUs, feeRate: fee / tx.size });
    } else {
      const home = honest[pick.int(honest.length)];
      if (!sim.isCrashed(home)) nodes[home].submitTx(sim.context(home) as any, tx);
    }
  };
}
