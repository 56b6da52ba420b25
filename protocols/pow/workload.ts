/**
 * The HealthChain workload: doctors issue records (storage txs, seed 000 Alg. 2), patients share
 * and revoke them (access txs, Alg. 4), third parties fetch (reads of the chain's access state,
 * the decision the off-chain store makes), and wallets make plain value transfers. Every
 * transaction is really signed (Ed25519, RFC 8032) and pays a fee from a UTXO wallet.
 *
 * Arrivals are Poisson processes at the scenario's rates (per second of virtual time), drawn from
 * harness streams, so the schedule depends only on the seed. Keys come from a seeded ChaCha20
 * stream (`protocols/crypto/random.ts`). Patients use a fresh key pair per record (seed 000 §3.2
 * pseudonymity); the record's owner key signs every access tx for it (ownership rule).
 *
 * Scope note: the encrypted off-chain flows (encrypt, wrap k for the patient, re-encrypt, store,
 * fetch and decrypt — Algorithms 2–4 in full) live in `protocols/records/`. Here the wrapped key
 * is a random 80-byte stand-in of the size of an X25519+XChaCha20-Poly1305 wrap, and a fetch is
 * the store's authorisation decision against this chain (`ChainLedger`), not a ciphertext transfer.
 */
import { publicKeyFromSecret, sign } from '../crypto/ed25519.ts';
import type { Simulation } from '../../sim/kernel.ts';
import type { Rng } from '../../sim/rng.ts';
import { accessSigningMessage, canonicalPermissions, storageSigningMessage, type AccessPayload, type StoragePayload } from '../records/payloads.ts';
import { seededRandom, type RandomSource } from '../crypto/random.ts';
import { ChainLedger, outpointKey } from './chain.ts';
import { sha256, toHex } from './crypto.ts';
import type { PowNode } from './node.ts';
import { makeTx, type Tx, type TxOutput } from './tx.ts';
import type { PowMessage, PowWorld } from './world.ts';

export interface WorkloadOptions {
  /** Record issues (storage txs) per second of virtual time, whole network. */
  recordRate: number;
  /** Access grants (share) per second. */
  shareRate: number;
  /** Revocations per second. */
  revokeRate: number;
  /** Off-chain fetch authorisation checks per second. */
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
  /** Confirmations a third party's fetch requires (the store's configured depth). */
  fetchConfirmations: number;
  /** Lifetime of a grant, µs of virtual time. */
  grantLifetimeUs: number;
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

interface IssuedRecord {
  uri: string;
  ownerSecret: Uint8Array;
  patient: number;
  grants: Uint8Array[];
}

/** Submits txs to the network: a node's mempool (full relay) or the shared pool (pooled). */
export type Submit = (tx: Tx, fee: number) => void;

export class Workload {
  readonly wallets: Wallet[] = [];
  readonly records: IssuedRecord[] = [];
  private readonly random: RandomSource;
  private readonly thirdPartyKeys: { secret: Uint8Array; key: Uint8Array }[] = [];
  fetches = { allowed: 0, refused: 0 };

  constructor(
    readonly options: WorkloadOptions,
    seed: number | string,
  ) {
    this.random = seededRandom(String(seed), 'pow/workload/keys');
    const n = Math.max(options.doctors + options.patients, options.transferRate > 0 ? 2 : 0);
    for (let i = 0; i < n; i++) {
      const secret = this.random(32);
      this.wallets.push(new Wallet(secret, publicKeyFromSecret(secret)));
    }
    for (let i = 0; i < options.thirdParties; i++) {
      const secret = this.random(32);
      this.thirdPartyKeys.push({ secret, key: publicKeyFromSecret(secret) });
    }
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

  /** Schedules every arrival of the run (Poisson processes) on the simulation. */
  install(sim: Simulation<PowMessage>, world: PowWorld, submit: Submit, untilUs: number): void {
    const o = this.options;
    const processes: [string, number, (rng: Rng) => void][] = [
      ['record', o.recordRate, (r) => this.issue(r, world, submit)],
      ['share', o.shareRate, (r) => this.share(r, world, submit, sim.now)],
      ['revoke', o.revokeRate, (r) => this.revoke(r, world, submit)],
      ['transfer', o.transferRate, (r) => this.transfer(r, world, submit)],
      ['fetch', o.fetchRate, (r) => this.fetch(r, world, sim.now)],
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
  private pay(rng: Rng, world: PowWorld, w: Wallet, fields: { kind: 'storage' | 'access' | 'transfer'; storage?: any; access?: any }, payTo?: { key: Uint8Array; wallet?: Wallet }): { tx: Tx; fee: number } | undefined {
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
    if (fee >= coin.value) return undefined;
    const tx = build(fee, true);
    const changeIndex = payTo ? 1 : 0;
    w.coins.push({ txid: tx.txid, index: changeIndex, value: tx.outputs[changeIndex].value });
    if (payTo?.wallet) payTo.wallet.coins.push({ txid: tx.txid, index: 0, value: tx.outputs[0].value });
    return { tx, fee };
  }

  private issue(rng: Rng, world: PowWorld, submit: Submit): void {
    const o = this.options;
    if (o.doctors === 0 || o.patients === 0) return;
    const doctor = this.wallets[rng.int(o.doctors)];
    const patient = o.doctors + rng.int(o.patients);
    const record = this.random(64); // the plaintext record M (stand-in bytes)
    const digest = this.random(32);
    const hM = sha256(record);
    // Seed 000 Alg. 2: the doctor signs (Digest, H(M)).
    const payload: StoragePayload = { digest, hM, location: '', issuerKey: doctor.key, signature: sign(storageSigningMessage(digest, hM), doctor.secret) };
    const r = this.pay(rng, world, doctor, { kind: 'storage', storage: payload });
    if (!r) return;
    world.submissions.set(r.tx.txid, { submittedUs: -1, kind: 'storage' });
    // Alg. 3: the patient re-encrypts and stores; the URI is the content address of the ciphertext.
    const ownerSecret = this.random(32);
    this.records.push({ uri: `medrec:${toHex(sha256(this.random(32)))}`, ownerSecret, patient, grants: [] });
    submit(r.tx, r.fee);
  }

  private share(rng: Rng, world: PowWorld, submit: Submit, nowUs: number): void {
    if (this.records.length === 0 || this.thirdPartyKeys.length === 0) return;
    const rec = this.records[rng.int(this.records.length)];
    const grantee = this.thirdPartyKeys[rng.int(this.thirdPartyKeys.length)];
    const payload = signAccess({ uri: rec.uri, permissions: ['read'], granteeKey: grantee.key, expiration: nowUs + this.options.grantLifetimeUs, wrappedKey: this.random(80) }, rec.ownerSecret);
    const r = this.pay(rng, world, this.wallets[rec.patient], { kind: 'access', access: payload });
    if (!r) return;
    rec.grants.push(grantee.key);
    world.submissions.set(r.tx.txid, { submittedUs: -1, kind: 'share' });
    submit(r.tx, r.fee);
  }

  private revoke(rng: Rng, world: PowWorld, submit: Submit): void {
    const withGrants = this.records.filter((r) => r.grants.length > 0);
    if (withGrants.length === 0) return;
    const rec = withGrants[rng.int(withGrants.length)];
    const grantee = rec.grants.splice(rng.int(rec.grants.length), 1)[0];
    const payload = signAccess({ uri: rec.uri, permissions: [], granteeKey: grantee, expiration: 0, wrappedKey: new Uint8Array(0) }, rec.ownerSecret);
    const r = this.pay(rng, world, this.wallets[rec.patient], { kind: 'access', access: payload });
    if (!r) return;
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

  /** A third party asks the store for a record: allowed iff the chain authorises it now. */
  private fetch(rng: Rng, world: PowWorld, nowUs: number): void {
    const withGrants = this.records.filter((r) => r.grants.length > 0);
    if (withGrants.length === 0) return;
    const rec = withGrants[rng.int(withGrants.length)];
    const grantee = rec.grants[rng.int(rec.grants.length)];
    const ledger = new ChainLedger(() => world.store.best, () => nowUs);
    const g = ledger.accessGrant(rec.uri, grantee, this.options.fetchConfirmations);
    if (g && g.permissions.includes('read') && g.expiration > nowUs) this.fetches.allowed++;
    else this.fetches.refused++;
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

/**
 * An access payload signed by the record owner (seed 000 Alg. 4), with the same message as
 * `createAccessPayload` of records/payloads.ts but the native Ed25519 signer (10× faster).
 */
export function signAccess(body: Omit<AccessPayload, 'grantorKey' | 'grantorSignature' | 'permissions'> & { permissions: string[] }, ownerSecret: Uint8Array): AccessPayload {
  const b = { ...body, permissions: canonicalPermissions(body.permissions) };
  return { ...b, grantorKey: publicKeyFromSecret(ownerSecret), grantorSignature: sign(accessSigningMessage(b), ownerSecret) };
}
