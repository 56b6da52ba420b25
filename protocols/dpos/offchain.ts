/**
 * Seed 003's off-chain records and sharing (Feng Tao et al., 2020: "records stay in a distributed
 * database off-chain; the chain stores records' hashes and access events; sharing uses proxy
 * re-encryption"), as real network flows between the alliance chain's nodes.
 *
 * - **Replicated store.** An institution that creates a record encrypts it under a fresh
 *   per-record Umbral key pair (KEM + XChaCha20-Poly1305, `protocols/crypto/umbral.ts`; one key
 *   per record, as NuCypher's per-label keys, so a delegation covers that record only), and stores
 *   the object `capsule ‖ ciphertext` at r replica institutions under its content address
 *   SHA-256(object). Replicas recompute the address before storing. Once all r acknowledged, the
 *   owner submits the PBFT op `record|owner|hash|capsule id|key|bytes|replicas` — the hash and
 *   metadata, never the ciphertext.
 * - **Sharing.** To share record R with institution B, the owner draws m-of-n kFrags of its
 *   per-record key for B's public key (signed with its long-term Umbral identity key), sends one
 *   to each of n proxies and submits the grant `access|owner|R|B|grant|delegation|m|proxies`. The
 *   proxies are delegates of the committee the owner currently knows, chosen by rendezvous hashing
 *   of (R, B) (highest-random-weight: the n members with the smallest SHA-256(R|B|member)), so the
 *   load spreads over the committee and every party can recompute the choice. Delegates are the
 *   natural proxies: they hold the ledger that says whether a grant is in force. When the grant is
 *   committed (f + 1 matching PBFT replies) the owner sends B a share notice.
 * - **Fetch.** B asks a replica for the object and proxies for cFrags (m + `spare` at first, more
 *   on refusals, bad cFrags and timeouts), checks the content address, verifies each cFrag's
 *   correctness proof, and decrypts with m of them. A proxy re-encrypts only if its ledger holds a
 *   committed grant for (R, B) whose delegation is its kFrag's and no later revoke, while it is a
 *   member of the current committee (a standby no longer follows the log, so it could miss a
 *   revoke). Revocation is a committed revoke event: proxies delete the kFrags when they execute
 *   it and refuse from then on.
 *
 * Off-chain messages go point to point; the receiver identifies the sender by the transport's
 * `from` (an authenticated channel, e.g. mutual TLS between institutions), and their sizes are the
 * binary encodings' bytes (16-byte header + fields).
 *
 * Byzantine variants (separate classes, `offchain-adversaries.ts`): a proxy that corrupts its
 * cFrags, a proxy that re-encrypts without a grant, a replica that serves altered bytes.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Micros, NodeContext, NodeId } from '../../sim/types.ts';
import { sha256 } from '../crypto/hash.ts';
import type { RandomSource } from '../crypto/random.ts';
import { seededRandom } from '../crypto/random.ts';
import type { Capsule, CFrag, KFrag, UmbralKeyPair } from '../crypto/umbral.ts';
import {
  CAPSULE_BYTES, CFRAG_BYTES, decryptReencrypted, deserializeCapsule, encrypt, generateKeyPair, generateKFrags, KFRAG_BYTES,
  reencrypt, serializeCapsule, UmbralError, verifyCFrag, verifyKFrag,
} from '../crypto/umbral.ts';
import type { Operation } from '../pbft/messages.ts';
import type { AccessEntry, DposLedger, NodeLayout } from './ledger.ts';
import { grantOpBytes, grantTag, recordOpBytes, recordTag, REVOKE_OP_BYTES, revokeTag } from './ledger.ts';

const HEADER = 16;
const HASH = 32;

// ---- options -----------------------------------------------------------------------------------

/** CPU time charged to the virtual clock per operation, µs (0 = free). */
export interface RecordsCpu {
  /** Per record encryption (encapsulate + AEAD). */
  encryptUs: Micros;
  /** Per kFrag generated (owner) and per kFrag verified (proxy). */
  kfragUs: Micros;
  /** Per cFrag a proxy produces (ReEncapsulate with its proof). */
  reencryptUs: Micros;
  /** Per cFrag the receiver verifies (CheckCFrag). */
  verifyCfragUs: Micros;
  /** Per decryption (combination of m cFrags + AEAD). */
  decryptUs: Micros;
}

export interface RecordsOptions {
  /** Records each institution creates at the start (at uniform times within 1 s after `startUs`). */
  initialRecords: number;
  /** Records created per second per institution (Poisson). */
  createRate: number;
  /** Shares (grants) per second per institution (Poisson). */
  shareRate: number;
  /** Revocations per second per institution (Poisson). */
  revokeRate: number;
  /** Re-fetches of shared records per second per institution (Poisson). */
  fetchRate: number;
  /** Plaintext bytes of a record. */
  recordBytes: number;
  /** r: replica institutions per record. */
  replication: number;
  /** n: proxies (kFrags) per grant. */
  proxies: number;
  /** m: cFrags needed to decrypt. */
  threshold: number;
  /** Proxies asked beyond m at the start of a fetch. */
  spare: number;
  /** Re-delegate active grants that lost a proxy when the committee changes. */
  redelegate: boolean;
  /** A replica or proxy that has not answered within this is treated as unavailable, µs. */
  timeoutUs: Micros;
  /** No workload before this time, µs. */
  startUs: Micros;
  /** No workload after this time, µs. */
  stopUs: Micros;
  cpu: RecordsCpu;
}

/** Every institution's long-term Umbral identity key (the PKI of the alliance), derived from the run seed. */
export class UmbralDirectory {
  private readonly keys = new Map<number, UmbralKeyPair>();
  constructor(private readonly seed: number | string) {}

  /** Key pair of institution `i` (only its owner uses the secret). */
  keyPair(i: number): UmbralKeyPair {
    let k = this.keys.get(i);
    if (!k) this.keys.set(i, (k = generateKeyPair(seededRandom(this.seed, `dpos/umbral/identity/${i}`))));
    return k;
  }

  publicKey(i: number): Uint8Array {
    return this.keyPair(i).publicKey;
  }
}

// ---- messages ----------------------------------------------------------------------------------

/** Owner → replica: store an object under its content address. */
export interface StoreMsg { type: 'dpos-store'; size: number; digest: string; hash: string; object: Uint8Array }
/** Replica → owner: stored (ok) or refused (the bytes do not hash to the address). */
export interface StoredMsg { type: 'dpos-stored'; size: number; digest: string; hash: string; ok: boolean }
/** Reader → replica. */
export interface GetMsg { type: 'dpos-get'; size: number; digest: string; hash: string; fetch: number }
/** Replica → reader: the object, or nothing if it does not hold it. */
export interface ObjectMsg { type: 'dpos-object'; size: number; digest: string; hash: string; fetch: number; object: Uint8Array | undefined }
/** Owner → proxy: one kFrag of a delegation (sent over the encrypted channel; it holds the secret rk). */
export interface KFragMsg {
  type: 'dpos-kfrag'; size: number; digest: string;
  record: string; owner: number; grantee: number; delegation: string; delegatingKey: Uint8Array; kfrag: KFrag;
}
/** Reader → proxy: re-encrypt this capsule for me. */
export interface ReencryptMsg { type: 'dpos-reencrypt'; size: number; digest: string; record: string; capsule: Uint8Array; fetch: number }
/** Why a proxy refuses. */
export type ProxyRefusal = 'not-member' | 'unknown-record' | 'no-grant' | 'revoked' | 'no-kfrag' | 'bad-capsule';
/** Proxy → reader: a cFrag, or a refusal. */
export interface CFragMsg { type: 'dpos-cfrag'; size: number; digest: string; record: string; fetch: number; cfrag: CFrag | undefined; refusal: ProxyRefusal | undefined }
/** Owner → grantee, once the grant is committed: where the record is and who the proxies are. */
export interface ShareNoticeMsg {
  type: 'dpos-share'; size: number; digest: string;
  record: string; owner: number; capsule: Uint8Array; delegatingKey: Uint8Array; replicas: number[]; proxies: NodeId[]; threshold: number;
  delegation: string;
  /** When the owner submitted the grant (measurement only: share latency). */
  grantedAt: Micros;
  /** New proxies for a grant already shared (after a committee change): update, no fetch. */
  redelegation: boolean;
}

export type OffchainMessage = StoreMsg | StoredMsg | GetMsg | ObjectMsg | KFragMsg | ReencryptMsg | CFragMsg | ShareNoticeMsg;

const OFFCHAIN_TYPES = new Set(['dpos-store', 'dpos-stored', 'dpos-get', 'dpos-object', 'dpos-kfrag', 'dpos-reencrypt', 'dpos-cfrag', 'dpos-share']);
export function isOffchainMessage(m: { type: string }): m is OffchainMessage {
  return OFFCHAIN_TYPES.has(m.type);
}

const hex = (b: Uint8Array) => bytesToHex(b);
const sha256Of = (b: Uint8Array) => bytesToHex(sha256(b));
/** A short trace digest of identifiers (the trace hash needs content, not bytes). */
const traceOf = (...parts: (string | number)[]) => parts.join('|');

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Rendezvous choice of the n proxies for (record, grantee) among the committee's members. */
export function chooseProxies(record: string, grantee: number, members: readonly NodeId[], n: number): NodeId[] {
  return members
    .map((m) => ({ m, w: sha256Of(new TextEncoder().encode(`dpos/proxy|${record}|${grantee}|${m}`)) }))
    .sort((a, b) => (a.w < b.w ? -1 : a.w > b.w ? 1 : a.m - b.m))
    .slice(0, n)
    .map((x) => x.m);
}

/** Everything the off-chain parts of a node need from the run. */
export interface OffchainWorld {
  readonly layout: NodeLayout;
  readonly institutions: number;
  readonly directory: UmbralDirectory;
  readonly records: RecordsOptions;
}

/** Institution of a node, or undefined for delegates and idle nodes. */
export function institutionOf(w: OffchainWorld, node: NodeId): number | undefined {
  const i = node - w.layout.candidates.length;
  return i >= 0 && i < w.institutions ? i : undefined;
}

// ---- replica store (held by institutions) ------------------------------------------------------

/** The replica an institution runs for the off-chain store: content-addressed, verifies on write. */
export class ReplicaStore {
  protected readonly objects = new Map<string, Uint8Array>();
  bytesStored = 0;

  get size(): number {
    return this.objects.size;
  }

  onStore(ctx: NodeContext<OffchainMessage>, from: NodeId, m: StoreMsg): void {
    const ok = m.object instanceof Uint8Array && sha256Of(m.object) === m.hash;
    if (ok && !this.objects.has(m.hash)) {
      this.objects.set(m.hash, m.object);
      this.bytesStored += m.object.length;
      ctx.metrics.counter('dpos.records.replica.stored').inc();
    } else if (!ok) ctx.metrics.counter('dpos.records.replica.rejected').inc();
    ctx.send(from, { type: 'dpos-stored', size: HEADER + HASH + 1, digest: traceOf('stored', m.hash, ok ? 1 : 0), hash: m.hash, ok } satisfies StoredMsg);
  }

  onGet(ctx: NodeContext<OffchainMessage>, from: NodeId, m: GetMsg): void {
    const stored = this.objects.get(m.hash);
    const object = stored ? this.serve(stored) : undefined;
    ctx.send(from, { type: 'dpos-object', size: HEADER + HASH + 4 + (object?.length ?? 0), digest: traceOf('object', m.hash, m.fetch, object ? sha256Of(object) : '-'), hash: m.hash, fetch: m.fetch, object } satisfies ObjectMsg);
  }

  /** The bytes served for a stored object (honest: as stored). */
  protected serve(object: Uint8Array): Uint8Array {
    return object;
  }
}

// ---- proxy (run by delegates) ------------------------------------------------------------------

export interface HeldKFrag {
  owner: number;
  delegation: string;
  delegatingKey: Uint8Array;
  kfrag: KFrag;
}

/** The proxy-re-encryption service a delegate runs; honest: serves only committed, unrevoked grants. */
export class PreProxy {
  /** kFrags held, by `record|grantee`, then by delegation id (a re-grant's kFrags may arrive before the revoke of the old one executes). */
  protected readonly held = new Map<string, Map<string, HeldKFrag>>();
  private random: RandomSource | undefined;
  /** cFrags produced (re-encryptions served). */
  reencryptions = 0;

  constructor(
    readonly self: NodeId,
    protected readonly w: OffchainWorld,
    protected readonly ledger: DposLedger,
    /** Whether this delegate is a member of the committee its replica runs (so it follows the log). */
    protected readonly isMember: () => boolean,
  ) {
    ledger.onAccess = (e) => this.onAccess(e);
  }

  get kfragsHeld(): number {
    let n = 0;
    for (const m of this.held.values()) n += m.size;
    return n;
  }

  private rand(ctx: NodeContext<OffchainMessage>): RandomSource {
    return (this.random ??= seededRandom(ctx.seedFor('dpos/proxy/umbral'), 'dpos/proxy/umbral'));
  }

  onKFrag(ctx: NodeContext<OffchainMessage>, from: NodeId, m: KFragMsg): void {
    if (from !== this.w.layout.institutionNode(m.owner) || institutionOf(this.w, from) === undefined || institutionOf(this.w, this.w.layout.institutionNode(m.grantee)) === undefined) {
      ctx.metrics.counter('dpos.records.kfrag.rejected').inc();
      return;
    }
    ctx.charge(this.w.records.cpu.kfragUs);
    const keys = { verifyingPub: this.w.directory.publicKey(m.owner), delegatingPub: m.delegatingKey, receivingPub: this.w.directory.publicKey(m.grantee) };
    if (!verifyKFrag(m.kfrag, keys) || sha256Of(m.kfrag.precursor) !== m.delegation) {
      ctx.metrics.counter('dpos.records.kfrag.rejected').inc();
      return;
    }
    // A kFrag of a delegation the log already superseded (granted, then revoked or replaced) is useless.
    if (this.stale(m.record, m.grantee, m.delegation)) return;
    const key = `${m.record}|${m.grantee}`;
    let byDelegation = this.held.get(key);
    if (!byDelegation) this.held.set(key, (byDelegation = new Map()));
    byDelegation.set(m.delegation, { owner: m.owner, delegation: m.delegation, delegatingKey: m.delegatingKey, kfrag: m.kfrag });
  }

  /** Delegation `id` was granted on the log and is no longer the grant in force. */
  private stale(record: string, grantee: number, id: string): boolean {
    const history = this.ledger.accessHistory(record, grantee);
    if (!history.some((e) => e.delegation?.id === id)) return false; // not granted yet (its grant is in flight)
    const last = history[history.length - 1];
    return !(last.grant && last.delegation?.id === id);
  }

  /** A committed access event: kFrags of delegations it revokes or replaces are deleted. */
  protected onAccess(e: AccessEntry): void {
    const key = `${e.record}|${e.grantee}`;
    const byDelegation = this.held.get(key);
    if (!byDelegation) return;
    for (const id of [...byDelegation.keys()]) if (this.stale(e.record, e.grantee, id)) byDelegation.delete(id);
    if (byDelegation.size === 0) this.held.delete(key);
  }

  /** Why this proxy will not re-encrypt `record` for `grantee` now, or the kFrag it will use. */
  protected authorise(record: string, grantee: number, capsuleBytes: Uint8Array): HeldKFrag | ProxyRefusal {
    if (!this.isMember()) return 'not-member';
    const rec = this.ledger.recordEntries.get(record);
    if (!rec?.meta) return 'unknown-record';
    const e = this.ledger.accessAt(record, grantee);
    if (!e) return 'no-grant';
    if (!e.grant) return 'revoked';
    const h = e.delegation && this.held.get(`${record}|${grantee}`)?.get(e.delegation.id);
    if (!h || h.owner !== rec.owner || hex(h.delegatingKey) !== rec.meta.key) return 'no-kfrag';
    if (sha256Of(capsuleBytes) !== rec.meta.capsule) return 'bad-capsule';
    return h;
  }

  onReencrypt(ctx: NodeContext<OffchainMessage>, from: NodeId, m: ReencryptMsg): void {
    const grantee = institutionOf(this.w, from);
    if (grantee === undefined || typeof m.record !== 'string' || !(m.capsule instanceof Uint8Array)) return;
    const verdict = this.authorise(m.record, grantee, m.capsule);
    const capsule = typeof verdict === 'string' ? undefined : deserializeCapsule(m.capsule);
    if (typeof verdict === 'string' || !capsule) {
      const refusal: ProxyRefusal = typeof verdict === 'string' ? verdict : 'bad-capsule';
      ctx.metrics.counter(`dpos.records.proxy.refused.${refusal}`).inc();
      ctx.send(from, { type: 'dpos-cfrag', size: HEADER + HASH + 4 + 1, digest: traceOf('refuse', m.record, m.fetch, refusal), record: m.record, fetch: m.fetch, cfrag: undefined, refusal } satisfies CFragMsg);
      return;
    }
    let cfrag: CFrag;
    try {
      cfrag = reencrypt(capsule, verdict.kfrag, this.rand(ctx));
    } catch (err) {
      if (!(err instanceof UmbralError)) throw err;
      ctx.metrics.counter('dpos.records.proxy.refused.bad-capsule').inc();
      ctx.send(from, { type: 'dpos-cfrag', size: HEADER + HASH + 4 + 1, digest: traceOf('refuse', m.record, m.fetch, 'bad-capsule'), record: m.record, fetch: m.fetch, cfrag: undefined, refusal: 'bad-capsule' } satisfies CFragMsg);
      return;
    }
    ctx.charge(this.w.records.cpu.reencryptUs);
    this.reencryptions++;
    ctx.metrics.counter('dpos.records.reencryptions').inc();
    ctx.emit({ kind: 'dpos.reencrypt', record: m.record, grantee, delegation: verdict.delegation, seq: this.ledger.lastSeq });
    const out = this.finish(cfrag);
    ctx.send(from, { type: 'dpos-cfrag', size: HEADER + HASH + 4 + CFRAG_BYTES, digest: traceOf('cfrag', m.record, m.fetch, hex(out.e1)), record: m.record, fetch: m.fetch, cfrag: out, refusal: undefined } satisfies CFragMsg);
  }

  /** The cFrag sent (honest: as computed). */
  protected finish(cfrag: CFrag): CFrag {
    return cfrag;
  }
}

// ---- institution side: owner and reader --------------------------------------------------------

/** Why a fetch failed (counted as `dpos.records.fetch.fail.<reason>`). */
export type FetchFailure =
  /** A proxy reported the grant revoked, and too few others served. */
  | 'revoked'
  /** A proxy found no committed grant, and too few others served. */
  | 'no-grant'
  /** Some cFrags failed their proof and too few valid ones remained. */
  | 'invalid-cfrags'
  /** Fewer than m proxies answered with a cFrag (timeouts, standbys, missing kFrags). */
  | 'proxies-unavailable'
  /** Every replica that answered served bytes that do not hash to the address. */
  | 'tampered'
  /** No replica served the object. */
  | 'unavailable'
  /** The cFrags combined, but the AEAD rejected the ciphertext. */
  | 'decrypt-failed';

interface OwnRecord {
  hash: string;
  capsule: Capsule;
  capsuleBytes: Uint8Array;
  key: UmbralKeyPair;
  replicas: number[];
  acks: Set<number>;
  committed: boolean;
  bytes: number;
  /** The record op was submitted (or given up: no replica acknowledged). */
  submitted: boolean;
}

interface Grant {
  record: string;
  grantee: number;
  delegation: string;
  proxies: NodeId[];
  submittedAt: Micros;
  state: 'pending' | 'active' | 'revoking' | 'revoked';
  /** A re-delegation of an active grant after a committee change (not a new share). */
  redelegation: boolean;
}

/** A record shared with this institution (from a share notice). */
export interface SharedRecord {
  notice: ShareNoticeMsg;
  /** Share latency not yet measured: the first successful fetch measures it. */
  firstFetch: boolean;
}

interface Fetch {
  id: number;
  shared: SharedRecord;
  startedAt: Micros;
  capsule: Capsule;
  object: Uint8Array | undefined;
  replicaOrder: number[];
  replicaNext: number;
  tampered: number;
  proxyOrder: NodeId[];
  proxyNext: number;
  pending: Set<NodeId>;
  cfrags: CFrag[];
  invalid: number;
  refusals: Map<ProxyRefusal, number>;
  done: boolean;
}

type PendingOp = { kind: 'record'; hash: string } | { kind: 'grant'; key: string; delegation: string } | { kind: 'revoke'; key: string };

export type RecordsTimer =
  | { type: 'dpos-rec'; action: 'create' | 'share' | 'revoke' | 'fetch' }
  | { type: 'dpos-rec-initial' }
  | { type: 'dpos-rec-store-timeout'; hash: string }
  | { type: 'dpos-rec-replica-timeout'; fetch: number; replica: number }
  | { type: 'dpos-rec-proxy-timeout'; fetch: number; proxy: NodeId };

export function isRecordsTimer(t: unknown): t is RecordsTimer {
  const type = (t as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' && type.startsWith('dpos-rec');
}

/** Outcome of a fetch, for tests (`onFetchDone`). */
export type FetchOutcome = { ok: true; record: string; plaintext: Uint8Array; latency: Micros } | { ok: false; record: string; reason: FetchFailure };

/**
 * An institution's records agent: creates records (encrypt, replicate, commit the hash), shares
 * and revokes them (kFrags to proxies, access events on chain), and fetches records shared with
 * it (object from a replica, cFrags from proxies, decrypt).
 */
export class RecordsAgent {
  /** Own records in creation order. */
  readonly own: OwnRecord[] = [];
  private readonly ownByHash = new Map<string, OwnRecord>();
  /** Grants by `record|grantee`. */
  readonly grants = new Map<string, Grant>();
  /** Records shared with me, by record hash. */
  readonly shared = new Map<string, SharedRecord>();
  private readonly sharedOrder: string[] = [];
  private readonly fetches = new Map<number, Fetch>();
  private nextFetch = 1;
  private readonly pendingOps = new Map<number, PendingOp>();
  private random: RandomSource | undefined;
  /** Outcomes of finished fetches (tests). */
  readonly outcomes: FetchOutcome[] = [];
  /** Plaintexts of own records by hash (tests compare the grantee's decryption with them). */
  readonly plaintexts = new Map<string, Uint8Array>();

  constructor(
    readonly institution: number,
    readonly self: NodeId,
    private readonly w: OffchainWorld,
    /** Submits an operation through the institution's PBFT client; returns its request timestamp. */
    private readonly submit: (ctx: NodeContext<OffchainMessage>, op: Operation) => number,
    /** Members of the committee the institution currently knows (rank order). */
    private readonly committee: () => readonly NodeId[],
  ) {}

  private get o(): RecordsOptions {
    return this.w.records;
  }

  private rand(ctx: NodeContext<OffchainMessage>): RandomSource {
    return (this.random ??= seededRandom(ctx.seedFor('dpos/records/umbral'), 'dpos/records/umbral'));
  }

  // -- workload --

  onStart(ctx: NodeContext<OffchainMessage>): void {
    const rng = ctx.rng('dpos/records/initial');
    for (let i = 0; i < this.o.initialRecords; i++) {
      const at = Math.max(ctx.now(), this.o.startUs) + rng.int(1_000_000);
      if (at <= this.o.stopUs) ctx.setTimer(at - ctx.now(), { type: 'dpos-rec-initial' } satisfies RecordsTimer);
    }
    for (const action of ['create', 'share', 'revoke', 'fetch'] as const) this.schedule(ctx, action, true);
  }

  /**
   * After a crash (the kernel cancelled every timer): the workload resumes, fetches in flight are
   * abandoned (counted as `dpos.records.fetch.abandoned`), and records still waiting for replica
   * acknowledgements are committed with the replicas that acknowledged.
   */
  onRecover(ctx: NodeContext<OffchainMessage>): void {
    for (const f of this.fetches.values()) f.done = true;
    ctx.metrics.counter('dpos.records.fetch.abandoned').inc(this.fetches.size);
    this.fetches.clear();
    for (const r of this.own) if (!r.submitted) this.commitRecord(ctx, r, true);
    for (const action of ['create', 'share', 'revoke', 'fetch'] as const) this.schedule(ctx, action);
  }

  private rate(action: 'create' | 'share' | 'revoke' | 'fetch'): number {
    return action === 'create' ? this.o.createRate : action === 'share' ? this.o.shareRate : action === 'revoke' ? this.o.revokeRate : this.o.fetchRate;
  }

  private schedule(ctx: NodeContext<OffchainMessage>, action: 'create' | 'share' | 'revoke' | 'fetch', first = false): void {
    const rate = this.rate(action);
    if (rate <= 0) return;
    const gap = Math.max(1, Math.round(ctx.rng(`dpos/records/${action}`).exponential(1e6 / rate)));
    const at = (first ? Math.max(ctx.now(), this.o.startUs) : ctx.now()) + gap;
    if (at > this.o.stopUs) return;
    ctx.setTimer(at - ctx.now(), { type: 'dpos-rec', action } satisfies RecordsTimer);
  }

  onTimer(ctx: NodeContext<OffchainMessage>, t: RecordsTimer): void {
    switch (t.type) {
      case 'dpos-rec': {
        const rng = ctx.rng(`dpos/records/${t.action}/pick`);
        if (t.action === 'create') this.create(ctx);
        else if (t.action === 'share') {
          const mine = this.own.filter((r) => r.committed);
          if (mine.length > 0) {
            const r = mine[rng.int(mine.length)];
            const others = this.w.institutions - 1;
            const g = rng.int(others);
            const grantee = g >= this.institution ? g + 1 : g;
            const existing = this.grants.get(`${r.hash}|${grantee}`);
            if (!existing || existing.state === 'revoked') this.share(ctx, r.hash, grantee);
            else ctx.metrics.counter('dpos.records.share.skipped').inc();
          } else ctx.metrics.counter('dpos.records.share.skipped').inc();
        } else if (t.action === 'revoke') {
          const active = [...this.grants.values()].filter((g) => g.state === 'active');
          if (active.length > 0) {
            const g = active[rng.int(active.length)];
            this.revoke(ctx, g.record, g.grantee);
          }
        } else if (this.sharedOrder.length > 0) this.fetch(ctx, this.sharedOrder[rng.int(this.sharedOrder.length)]);
        this.schedule(ctx, t.action);
        return;
      }
      case 'dpos-rec-initial':
        this.create(ctx);
        return;
      case 'dpos-rec-store-timeout': {
        const r = this.ownByHash.get(t.hash);
        if (r && !r.committed && !r.submitted) this.commitRecord(ctx, r, true);
        return;
      }
      case 'dpos-rec-replica-timeout': {
        const f = this.fetches.get(t.fetch);
        if (f && !f.done && !f.object && f.replicaOrder[f.replicaNext - 1] === t.replica) this.askReplica(ctx, f);
        return;
      }
      case 'dpos-rec-proxy-timeout': {
        const f = this.fetches.get(t.fetch);
        if (f && !f.done && f.pending.delete(t.proxy)) {
          ctx.metrics.counter('dpos.records.proxy.timeouts').inc();
          this.askProxies(ctx, f);
        }
        return;
      }
    }
  }

  // -- create --

  /** Creates a record: encrypt under a fresh key, store at r replicas; the hash is committed once they acknowledged. Returns its hash. */
  create(ctx: NodeContext<OffchainMessage>): string {
    const rand = this.rand(ctx);
    const key = generateKeyPair(rand);
    const plaintext = rand(this.o.recordBytes);
    const { capsule, ciphertext } = encrypt(key.publicKey, plaintext, rand);
    ctx.charge(this.o.cpu.encryptUs);
    const capsuleBytes = serializeCapsule(capsule);
    const object = new Uint8Array(CAPSULE_BYTES + ciphertext.length);
    object.set(capsuleBytes, 0);
    object.set(ciphertext, CAPSULE_BYTES);
    const hash = sha256Of(object);
    const rng = ctx.rng('dpos/records/replicas');
    const replicas: number[] = [];
    const r = Math.min(this.o.replication, this.w.institutions - 1);
    while (replicas.length < r) {
      const c = rng.int(this.w.institutions);
      if (c !== this.institution && !replicas.includes(c)) replicas.push(c);
    }
    const rec: OwnRecord = { hash, capsule, capsuleBytes, key, replicas, acks: new Set(), committed: false, bytes: object.length, submitted: false };
    this.own.push(rec);
    this.ownByHash.set(hash, rec);
    this.plaintexts.set(hash, plaintext);
    ctx.metrics.counter('dpos.records.created').inc();
    for (const i of replicas) {
      ctx.send(this.w.layout.institutionNode(i), { type: 'dpos-store', size: HEADER + HASH + object.length, digest: traceOf('store', hash), hash, object } satisfies StoreMsg);
    }
    ctx.setTimer(this.o.timeoutUs, { type: 'dpos-rec-store-timeout', hash } satisfies RecordsTimer);
    return hash;
  }

  private onStored(ctx: NodeContext<OffchainMessage>, from: NodeId, m: StoredMsg): void {
    const rec = this.ownByHash.get(m.hash);
    const i = institutionOf(this.w, from);
    if (!rec || i === undefined || !rec.replicas.includes(i) || rec.submitted) return;
    if (m.ok) rec.acks.add(i);
    if (rec.acks.size === rec.replicas.length) this.commitRecord(ctx, rec, false);
  }

  /** Submits the record op, naming the replicas that acknowledged (all of them, or those by the timeout). */
  private commitRecord(ctx: NodeContext<OffchainMessage>, rec: OwnRecord, timedOut: boolean): void {
    const replicas = rec.replicas.filter((i) => rec.acks.has(i));
    rec.submitted = true;
    if (replicas.length === 0) {
      ctx.metrics.counter('dpos.records.store.failed').inc();
      return;
    }
    if (timedOut) ctx.metrics.counter('dpos.records.store.partial').inc();
    rec.replicas = replicas;
    const meta = { capsule: sha256Of(rec.capsuleBytes), key: hex(rec.key.publicKey), bytes: rec.bytes, replicas };
    const ts = this.submit(ctx, { kind: 'data', bytes: recordOpBytes(replicas.length), tag: recordTag(this.institution, rec.hash, meta) });
    this.pendingOps.set(ts, { kind: 'record', hash: rec.hash });
  }

  // -- share / revoke --

  /** Shares own record `hash` with institution `grantee`: kFrags to n proxies, grant on chain. False if not possible now. */
  share(ctx: NodeContext<OffchainMessage>, hash: string, grantee: number): boolean {
    const rec = this.ownByHash.get(hash);
    if (!rec?.committed || grantee === this.institution || Math.min(this.o.proxies, this.committee().length) < this.o.threshold) return false;
    const g0 = this.grants.get(`${hash}|${grantee}`);
    if (g0 && g0.state !== 'revoked') return false;
    this.delegate(ctx, rec, grantee, false);
    ctx.metrics.counter('dpos.records.shares').inc();
    return true;
  }

  /**
   * The committee changed: active grants left with fewer than m + spare proxies in the new
   * committee are re-delegated — fresh kFrags for proxies of the new committee and a new grant
   * (its delegation replaces the old one on chain, so the old proxies delete their kFrags when
   * they execute it; one that left the committee does so when it rejoins and replays the log).
   */
  onCommittee(ctx: NodeContext<OffchainMessage>, members: readonly NodeId[]): void {
    if (!this.o.redelegate || Math.min(this.o.proxies, members.length) < this.o.threshold) return;
    const enough = Math.min(this.o.threshold + this.o.spare, this.o.proxies, members.length);
    for (const g of [...this.grants.values()]) {
      if (g.state !== 'active' || g.proxies.filter((p) => members.includes(p)).length >= enough) continue;
      this.delegate(ctx, this.ownByHash.get(g.record)!, g.grantee, true);
      ctx.metrics.counter('dpos.records.redelegations').inc();
    }
  }

  private delegate(ctx: NodeContext<OffchainMessage>, rec: OwnRecord, grantee: number, redelegation: boolean): void {
    const members = this.committee();
    const n = Math.min(this.o.proxies, members.length);
    const hash = rec.hash;
    const key = `${hash}|${grantee}`;
    const proxies = chooseProxies(hash, grantee, members, n);
    const rand = this.rand(ctx);
    const kfrags = generateKFrags(rec.key.secretKey, this.w.directory.publicKey(grantee), this.w.directory.keyPair(this.institution).secretKey, this.o.threshold, n, rand);
    ctx.charge(this.o.cpu.kfragUs * n);
    const delegation = sha256Of(kfrags[0].precursor);
    kfrags.forEach((kfrag, i) => {
      ctx.send(proxies[i], {
        type: 'dpos-kfrag', size: HEADER + HASH + 4 + 4 + HASH + 32 + KFRAG_BYTES, digest: traceOf('kfrag', hash, grantee, delegation, i),
        record: hash, owner: this.institution, grantee, delegation, delegatingKey: rec.key.publicKey, kfrag,
      } satisfies KFragMsg);
    });
    const ts = this.submit(ctx, { kind: 'data', bytes: grantOpBytes(n), tag: grantTag(this.institution, hash, grantee, { id: delegation, threshold: this.o.threshold, proxies }) });
    const old = this.grants.get(key);
    this.grants.set(key, { record: hash, grantee, delegation, proxies, submittedAt: redelegation && old ? old.submittedAt : ctx.now(), state: 'pending', redelegation });
    this.pendingOps.set(ts, { kind: 'grant', key, delegation });
  }

  /** Revokes a grant: a revoke event on chain (proxies delete their kFrags when they execute it). */
  revoke(ctx: NodeContext<OffchainMessage>, hash: string, grantee: number): boolean {
    const key = `${hash}|${grantee}`;
    const g = this.grants.get(key);
    if (!g || (g.state !== 'active' && g.state !== 'pending')) return false;
    g.state = 'revoking';
    const ts = this.submit(ctx, { kind: 'data', bytes: REVOKE_OP_BYTES, tag: revokeTag(this.institution, hash, grantee) });
    this.pendingOps.set(ts, { kind: 'revoke', key });
    ctx.metrics.counter('dpos.records.revokes').inc();
    return true;
  }

  /** One of my PBFT requests was accepted (f + 1 matching replies: it is committed). */
  onAccepted(ctx: NodeContext<OffchainMessage>, timestamp: number): void {
    const p = this.pendingOps.get(timestamp);
    if (!p) return;
    this.pendingOps.delete(timestamp);
    if (p.kind === 'record') {
      const rec = this.ownByHash.get(p.hash);
      if (rec) rec.committed = true;
      ctx.metrics.counter('dpos.records.committed').inc();
      return;
    }
    const g = this.grants.get(p.key);
    if (!g) return;
    if (p.kind === 'revoke') {
      g.state = 'revoked';
      ctx.metrics.counter('dpos.records.revokes.committed').inc();
      return;
    }
    if (g.state !== 'pending' || g.delegation !== p.delegation) {
      // Revoked (or re-delegated) while this grant was in flight. PBFT need not order one client's
      // requests by timestamp, so the grant may have committed after the revoke: revoke again.
      if (g.state === 'revoking' || g.state === 'revoked') {
        g.state = 'revoking';
        const ts = this.submit(ctx, { kind: 'data', bytes: REVOKE_OP_BYTES, tag: revokeTag(this.institution, g.record, g.grantee) });
        this.pendingOps.set(ts, { kind: 'revoke', key: p.key });
      }
      return;
    }
    ctx.metrics.counter(g.redelegation ? 'dpos.records.redelegations.committed' : 'dpos.records.shares.committed').inc();
    g.state = 'active';
    const rec = this.ownByHash.get(g.record)!;
    ctx.send(this.w.layout.institutionNode(g.grantee), {
      type: 'dpos-share',
      size: HEADER + HASH + 4 + CAPSULE_BYTES + 32 + 1 + 4 * rec.replicas.length + 1 + 4 * g.proxies.length + 1 + HASH + 8 + 1,
      digest: traceOf('share', g.record, g.grantee, g.delegation),
      record: g.record, owner: this.institution, capsule: rec.capsuleBytes, delegatingKey: rec.key.publicKey, replicas: [...rec.replicas],
      proxies: [...g.proxies], threshold: this.o.threshold, delegation: g.delegation, grantedAt: g.submittedAt, redelegation: g.redelegation,
    } satisfies ShareNoticeMsg);
  }

  // -- fetch (grantee) --

  private onShare(ctx: NodeContext<OffchainMessage>, from: NodeId, m: ShareNoticeMsg): void {
    if (institutionOf(this.w, from) !== m.owner || !(m.capsule instanceof Uint8Array) || !Array.isArray(m.proxies) || !Array.isArray(m.replicas)) return;
    const known = this.shared.get(m.record);
    if (!known) this.sharedOrder.push(m.record);
    this.shared.set(m.record, { notice: m, firstFetch: known ? known.firstFetch : true });
    if (!m.redelegation || !known) this.fetch(ctx, m.record);
  }

  /** Fetches and decrypts a record shared with me; returns the fetch id (undefined if unknown). */
  fetch(ctx: NodeContext<OffchainMessage>, record: string): number | undefined {
    const s = this.shared.get(record);
    const capsule = s && deserializeCapsule(s.notice.capsule);
    if (!s || !capsule) return undefined;
    const rng = ctx.rng('dpos/records/fetch-order');
    const rotate = <T>(xs: readonly T[]) => {
      const k = xs.length ? rng.int(xs.length) : 0;
      return [...xs.slice(k), ...xs.slice(0, k)];
    };
    const f: Fetch = {
      id: this.nextFetch++, shared: s, startedAt: ctx.now(), capsule, object: undefined,
      replicaOrder: rotate(s.notice.replicas), replicaNext: 0, tampered: 0,
      proxyOrder: rotate(s.notice.proxies), proxyNext: 0, pending: new Set(), cfrags: [], invalid: 0, refusals: new Map(), done: false,
    };
    this.fetches.set(f.id, f);
    ctx.metrics.counter('dpos.records.fetch.started').inc();
    this.askReplica(ctx, f);
    this.askProxies(ctx, f, s.notice.threshold + this.o.spare);
    return f.id;
  }

  private askReplica(ctx: NodeContext<OffchainMessage>, f: Fetch): void {
    if (f.done) return;
    if (f.replicaNext >= f.replicaOrder.length) return this.fail(ctx, f, f.tampered > 0 ? 'tampered' : 'unavailable');
    const replica = f.replicaOrder[f.replicaNext++];
    const hash = f.shared.notice.record;
    ctx.send(this.w.layout.institutionNode(replica), { type: 'dpos-get', size: HEADER + HASH + 4, digest: traceOf('get', hash, f.id), hash, fetch: f.id } satisfies GetMsg);
    ctx.setTimer(this.o.timeoutUs, { type: 'dpos-rec-replica-timeout', fetch: f.id, replica } satisfies RecordsTimer);
  }

  /** Asks further proxies until m cFrags are valid or in flight; fails when too few remain. */
  private askProxies(ctx: NodeContext<OffchainMessage>, f: Fetch, want = f.shared.notice.threshold): void {
    if (f.done) return;
    const m = f.shared.notice.threshold;
    const target = Math.max(want, m);
    while (f.cfrags.length + f.pending.size < target && f.proxyNext < f.proxyOrder.length) {
      const p = f.proxyOrder[f.proxyNext++];
      f.pending.add(p);
      ctx.send(p, { type: 'dpos-reencrypt', size: HEADER + HASH + CAPSULE_BYTES + 4, digest: traceOf('reencrypt', f.shared.notice.record, f.id), record: f.shared.notice.record, capsule: f.shared.notice.capsule, fetch: f.id } satisfies ReencryptMsg);
      ctx.setTimer(this.o.timeoutUs, { type: 'dpos-rec-proxy-timeout', fetch: f.id, proxy: p } satisfies RecordsTimer);
    }
    if (f.cfrags.length + f.pending.size < m) {
      const reason: FetchFailure = f.refusals.has('revoked') ? 'revoked' : f.refusals.has('no-grant') ? 'no-grant' : f.invalid > 0 ? 'invalid-cfrags' : 'proxies-unavailable';
      this.fail(ctx, f, reason);
    }
  }

  private onObject(ctx: NodeContext<OffchainMessage>, from: NodeId, m: ObjectMsg): void {
    const f = this.fetches.get(m.fetch);
    const i = institutionOf(this.w, from);
    if (!f || f.done || f.object || i === undefined || f.replicaOrder[f.replicaNext - 1] !== i) return;
    const o = m.object;
    if (!(o instanceof Uint8Array)) return this.askReplica(ctx, f);
    if (sha256Of(o) !== f.shared.notice.record || o.length < CAPSULE_BYTES || !bytesEqual(o.subarray(0, CAPSULE_BYTES), f.shared.notice.capsule)) {
      f.tampered++;
      ctx.metrics.counter('dpos.records.object.tampered').inc();
      return this.askReplica(ctx, f);
    }
    f.object = o;
    this.tryFinish(ctx, f);
  }

  private onCFrag(ctx: NodeContext<OffchainMessage>, from: NodeId, m: CFragMsg): void {
    const f = this.fetches.get(m.fetch);
    if (!f || f.done || !f.pending.delete(from)) return;
    if (m.refusal !== undefined || !m.cfrag) {
      const r = m.refusal ?? 'no-kfrag';
      f.refusals.set(r, (f.refusals.get(r) ?? 0) + 1);
      return this.askProxies(ctx, f);
    }
    const n = f.shared.notice;
    ctx.charge(this.o.cpu.verifyCfragUs);
    const keys = { verifyingPub: this.w.directory.publicKey(n.owner), delegatingPub: n.delegatingKey, receivingPub: this.w.directory.publicKey(this.institution) };
    if (!verifyCFrag(m.cfrag, f.capsule, keys) || f.cfrags.some((c) => bytesEqual(c.id, m.cfrag!.id))) {
      f.invalid++;
      ctx.metrics.counter('dpos.records.cfrag.invalid').inc();
      return this.askProxies(ctx, f);
    }
    f.cfrags.push(m.cfrag);
    this.tryFinish(ctx, f);
  }

  private tryFinish(ctx: NodeContext<OffchainMessage>, f: Fetch): void {
    const n = f.shared.notice;
    if (f.done || !f.object || f.cfrags.length < n.threshold) return;
    ctx.charge(this.o.cpu.decryptUs);
    let plaintext: Uint8Array;
    try {
      plaintext = decryptReencrypted(
        this.w.directory.keyPair(this.institution).secretKey, n.delegatingKey, f.capsule, f.cfrags.slice(0, n.threshold), f.object.subarray(CAPSULE_BYTES),
        { verifyingPub: this.w.directory.publicKey(n.owner), skipVerification: true },
      );
    } catch (err) {
      if (!(err instanceof UmbralError)) throw err;
      return this.fail(ctx, f, 'decrypt-failed');
    }
    f.done = true;
    this.fetches.delete(f.id);
    const latency = ctx.now() - f.startedAt;
    ctx.metrics.counter('dpos.records.fetch.ok').inc();
    ctx.metrics.histogram('dpos.records.fetch-latency').observe(latency);
    if (f.shared.firstFetch) {
      f.shared.firstFetch = false;
      ctx.metrics.histogram('dpos.records.share-latency').observe(ctx.now() - n.grantedAt);
    }
    this.outcomes.push({ ok: true, record: n.record, plaintext, latency });
  }

  private fail(ctx: NodeContext<OffchainMessage>, f: Fetch, reason: FetchFailure): void {
    if (f.done) return;
    f.done = true;
    this.fetches.delete(f.id);
    ctx.metrics.counter(`dpos.records.fetch.fail.${reason}`).inc();
    this.outcomes.push({ ok: false, record: f.shared.notice.record, reason });
  }

  /** Routes an institution-side off-chain message (store messages go to the replica store). */
  onMessage(ctx: NodeContext<OffchainMessage>, from: NodeId, m: OffchainMessage): void {
    switch (m.type) {
      case 'dpos-stored': return this.onStored(ctx, from, m);
      case 'dpos-share': return this.onShare(ctx, from, m);
      case 'dpos-object': return this.onObject(ctx, from, m);
      case 'dpos-cfrag': return this.onCFrag(ctx, from, m);
      default: return;
    }
  }
}
