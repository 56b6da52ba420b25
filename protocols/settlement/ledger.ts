/**
 * The settlement ledger: a versioned key-value world state with Fabric's validate-and-commit
 * rules (Androulaki et al., EuroSys 2018, §3.4 "validation phase"), and the chaincode interface
 * transactions plug into. Every committing peer (organisation peers and the regulator) holds one
 * and feeds it the blocks the ordering service delivers; endorsing peers read it to simulate
 * proposals. The interface is what payment channels (issue 13) build on — docs/settlement.md,
 * "Ledger interface for channels".
 *
 * State: keys such as `balance/patient/3` map to a value and a version (the number of writes to
 * that key since genesis). A value is either a Paillier ciphertext together with the public key
 * it is under (balances) or chaincode data (JSON-serialisable).
 *
 * A chaincode turns a transaction body into a read-write set — a pure function of the
 * transaction, so endorsers and committers agree on it without shipping it:
 *   reads   [{ key, version }]                     what the transaction's validity depends on;
 *   writes  [{ key, put: value }]                  overwrite (e.g. the payer's new balance A');
 *           [{ key, addCiphertext: c }]            homomorphic credit B ← B·c mod n_B² (Paillier
 *                                                  §8): commutative, so it needs no read and two
 *                                                  payments to one hospital never conflict.
 *
 * Validation of each envelope of a block, in block order (Fabric VSCC + MVCC):
 *   1. decodes, names a known chaincode, and the chaincode finds it well formed   → `malformed`
 *   2. its id was not committed before (in this or an earlier block)              → `duplicate`
 *   3. endorsements satisfy the policy: valid signatures of ≥ `required` distinct
 *      organisations (of the policy's set) over (chaincode, txId, rwset digest)    → `endorsement`
 *   4. every read's version equals the current version of that key                → `version`
 *   5. apply the writes (each written key's version + 1) and record the id.
 * Invalid transactions stay in the block, marked with their reason, and change nothing (Fabric
 * keeps them in the ledger too). Committers do not re-run the proofs: that is the endorsers' job,
 * and what the endorsement policy stands for (a policy needing one endorsement trusts one org).
 *
 * The state digest after block n is SHA-256(digest(n − 1) ‖ n ‖ each transaction's id and
 * outcome ‖ each write applied), so two committers with equal digests at n applied the same
 * blocks with the same outcomes and writes.
 *
 * Mutation testing (mutants.ts) overrides `readsCurrent` and `endorsed`; nothing else is
 * protected.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { add, type PaillierPublicKey } from '../crypto/paillier.ts';
import type { NodeId } from '../../sim/types.ts';
import { CodecError } from './codec.ts';
import { endorsementDigest, type Envelope } from './envelope.ts';

export type StateValue =
  | { readonly kind: 'ciphertext'; readonly ciphertext: bigint; readonly publicKey: PaillierPublicKey }
  | { readonly kind: 'data'; readonly data: unknown };

export interface StateEntry {
  readonly value: StateValue;
  /** Writes to this key since genesis (0 at genesis). */
  readonly version: number;
}

/** Read-only view of the world state (what chaincodes and endorsers see). */
export interface StateView {
  get(key: string): StateEntry | undefined;
  /** Number of blocks applied. */
  readonly height: number;
  /** Whether a transaction id was already committed (valid). */
  committed(txId: string): boolean;
}

export interface ReadEntry {
  readonly key: string;
  /** The version read; −1 = the key must not exist (a transaction creating it). */
  readonly version: number;
}

export type WriteEntry = { readonly key: string; readonly put: StateValue } | { readonly key: string; readonly addCiphertext: bigint };

export interface RwSet {
  readonly reads: readonly ReadEntry[];
  readonly writes: readonly WriteEntry[];
}

/** An endorser's answer: endorse, refuse (invalid), or not yet (its state is behind the read set). */
export type Simulation = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly behind?: boolean };

/** A transaction type (Fabric: chaincode). Implementations: pay-chaincode.ts. */
export interface Chaincode<T = unknown> {
  /** Name in envelopes, e.g. `pay`. */
  readonly name: string;
  /** Strict decoding of the body; throws CodecError. */
  decode(body: Uint8Array): T;
  /** The read-write set: a pure function of the transaction. */
  rwset(tx: T): RwSet;
  /**
   * Committer-side structural checks (no proofs): every written ciphertext is a unit below n² of
   * the key it is written under, keys exist, … A committer must never apply what would corrupt
   * its state, whatever the endorsers signed.
   */
  wellFormed(tx: T, state: StateView): boolean;
  /**
   * Endorser-side execution against the endorser's current state: every check the chaincode
   * defines (for `pay`: 2a–2e and 2r) plus the read set against the state. `authorization` is
   * the envelope's submitter signature.
   */
  simulate(tx: T, txId: string, authorization: string, state: StateView): Simulation;
}

export interface EndorsementPolicy {
  /** Signatures of this many distinct organisations are required. */
  readonly required: number;
  /** Organisation indices whose endorsements count (all organisations by default). */
  readonly orgs: readonly number[];
}

export interface LedgerEnv {
  readonly policy: EndorsementPolicy;
  /** Peer node of organisation `org` (its key signs endorsements), or undefined. */
  peerOf(org: number): NodeId | undefined;
  /** Ed25519 check by a node's key (never throws). */
  verifySignature(node: NodeId, digestHex: string, signatureHex: string): boolean;
  /** Called before each endorsement signature check (committers charge CPU time here). */
  onSignatureCheck?(node: NodeId, digestHex: string, signatureHex: string): void;
}

export type InvalidReason = 'malformed' | 'duplicate' | 'endorsement' | 'version';
export const INVALID_REASONS: readonly InvalidReason[] = ['malformed', 'duplicate', 'endorsement', 'version'];

export interface TxOutcome {
  /** Transaction id, or null when the envelope did not decode. */
  readonly txId: string | null;
  readonly chaincode: string | null;
  readonly valid: boolean;
  readonly reason: InvalidReason | null;
  /** The decoded transaction (null when malformed). */
  readonly tx: unknown;
  readonly envelope: Envelope | null;
  /** For valid transactions: each written key's entry before and after. */
  readonly changes: readonly { key: string; before: StateEntry | undefined; after: StateEntry }[];
}

export interface BlockOutcome {
  readonly seq: number;
  readonly outcomes: readonly TxOutcome[];
  /** State digest after the block. */
  readonly state: string;
}

export const GENESIS_DIGEST = Buffer.from(sha256(new TextEncoder().encode('medchain-sim/settlement/genesis'))).toString('hex');

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Canonical digest of a read-write set (what endorsements cover). */
export function rwsetDigest(rw: RwSet): string {
  let s = 'rwset';
  for (const r of rw.reads) s += `|r:${r.key}@${r.version}`;
  for (const w of rw.writes) s += 'put' in w ? `|w:${w.key}=${valueText(w.put)}` : `|a:${w.key}+${w.addCiphertext.toString(16)}`;
  return hexOf(sha256(new TextEncoder().encode(s)));
}

function valueText(v: StateValue): string {
  return v.kind === 'ciphertext' ? `c:${v.publicKey.n.toString(16).slice(0, 16)}:${v.ciphertext.toString(16)}` : `d:${JSON.stringify(v.data)}`;
}

export class ChaincodeRegistry {
  private readonly byName = new Map<string, Chaincode>();
  register(c: Chaincode): this {
    if (this.byName.has(c.name)) throw new Error(`chaincode ${c.name} registered twice`);
    this.byName.set(c.name, c);
    return this;
  }
  get(name: string): Chaincode | undefined {
    return this.byName.get(name);
  }
  get names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/**
 * Decoded chaincode bodies by transaction id (a pure function of the body, whose hash the id
 * is): every committer and endorser of a run decodes each body once.
 */
const BODIES = new Map<string, unknown>();
const BODIES_LIMIT = 20_000;

export function decodeBody(c: Chaincode, e: Envelope): unknown {
  const key = `${c.name}|${e.txId}`;
  if (BODIES.has(key)) {
    const v = BODIES.get(key);
    if (v instanceof CodecError) throw v;
    return v;
  }
  let v: unknown;
  try {
    v = c.decode(e.body);
  } catch (err) {
    v = err instanceof CodecError ? err : new CodecError((err as Error).message);
  }
  if (BODIES.size >= BODIES_LIMIT) BODIES.clear();
  BODIES.set(key, v);
  if (v instanceof CodecError) throw v;
  return v;
}

export class Ledger implements StateView {
  private readonly state = new Map<string, StateEntry>();
  private readonly txIds = new Set<string>();
  private digest = GENESIS_DIGEST;
  private blocks = 0;
  /** Valid and invalid transactions committed, by outcome (summaries). */
  readonly counts = { valid: 0, malformed: 0, duplicate: 0, endorsement: 0, version: 0 };

  constructor(
    genesis: ReadonlyMap<string, StateValue>,
    readonly chaincodes: ChaincodeRegistry,
    protected readonly env: LedgerEnv,
  ) {
    for (const [k, v] of [...genesis].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) this.state.set(k, { value: v, version: 0 });
  }

  get(key: string): StateEntry | undefined {
    return this.state.get(key);
  }

  get height(): number {
    return this.blocks;
  }

  /** State digest after the last applied block (GENESIS_DIGEST before any). */
  get stateDigest(): string {
    return this.digest;
  }

  committed(txId: string): boolean {
    return this.txIds.has(txId);
  }

  /** Keys in sorted order (snapshots, summaries). */
  keys(): string[] {
    return [...this.state.keys()].sort();
  }

  /** Applies block `seq` (must be height + 1) of raw operations or decoded envelopes. */
  applyBlock(seq: number, envelopes: readonly (Envelope | CodecError)[]): BlockOutcome {
    if (seq !== this.blocks + 1) throw new RangeError(`ledger: block ${seq} applied at height ${this.blocks}`);
    const outcomes: TxOutcome[] = [];
    let text = `${this.digest}|${seq}`;
    for (const e of envelopes) {
      const o = this.validateAndApply(e);
      outcomes.push(o);
      text += `|${o.txId ?? '-'}:${o.valid ? 'ok' : o.reason}`;
      for (const c of o.changes) text += `|${c.key}@${c.after.version}=${valueText(c.after.value)}`;
      this.counts[o.valid ? 'valid' : o.reason!]++;
    }
    this.digest = hexOf(sha256(new TextEncoder().encode(text)));
    this.blocks = seq;
    return { seq, outcomes, state: this.digest };
  }

  private invalid(e: Envelope | null, reason: InvalidReason, tx: unknown = null): TxOutcome {
    return { txId: e?.txId ?? null, chaincode: e?.chaincode ?? null, valid: false, reason, tx, envelope: e, changes: [] };
  }

  private validateAndApply(e: Envelope | CodecError): TxOutcome {
    if (e instanceof CodecError) return this.invalid(null, 'malformed');
    const c = this.chaincodes.get(e.chaincode);
    if (!c) return this.invalid(e, 'malformed');
    let tx: unknown;
    try {
      tx = decodeBody(c, e);
    } catch {
      return this.invalid(e, 'malformed');
    }
    if (!c.wellFormed(tx, this)) return this.invalid(e, 'malformed', tx);
    if (this.txIds.has(e.txId)) return this.invalid(e, 'duplicate', tx);
    const rw = c.rwset(tx);
    if (!this.endorsed(e, rwsetDigest(rw))) return this.invalid(e, 'endorsement', tx);
    if (!this.readsCurrent(rw.reads)) return this.invalid(e, 'version', tx);
    const changes = this.apply(rw.writes);
    this.txIds.add(e.txId);
    return { txId: e.txId, chaincode: c.name, valid: true, reason: null, tx, envelope: e, changes };
  }

  /** MVCC: every read is at the key's current version (Fabric's read-set validation). */
  protected readsCurrent(reads: readonly ReadEntry[]): boolean {
    for (const r of reads) {
      // version −1 reads "the key does not exist yet" (creating a new object, e.g. a channel)
      if ((this.state.get(r.key)?.version ?? -1) !== r.version) return false;
    }
    return true;
  }

  /** The endorsement policy: valid signatures of ≥ `required` distinct organisations of the policy. */
  protected endorsed(e: Envelope, rwDigest: string): boolean {
    const { required, orgs } = this.env.policy;
    const digest = endorsementDigest(e.chaincode, e.txId, rwDigest);
    const good = new Set<number>();
    for (const x of e.endorsements) {
      if (good.has(x.org) || !orgs.includes(x.org)) continue;
      const peer = this.env.peerOf(x.org);
      if (peer === undefined) continue;
      this.env.onSignatureCheck?.(peer, digest, x.signature);
      if (this.env.verifySignature(peer, digest, x.signature)) good.add(x.org);
      if (good.size >= required) return true;
    }
    return good.size >= required;
  }

  private apply(writes: readonly WriteEntry[]): { key: string; before: StateEntry | undefined; after: StateEntry }[] {
    const changes: { key: string; before: StateEntry | undefined; after: StateEntry }[] = [];
    for (const w of writes) {
      const before = this.state.get(w.key);
      let value: StateValue;
      if ('put' in w) value = w.put;
      else {
        // A credit to a ciphertext that does not exist, or to data, was refused by wellFormed.
        if (!before || before.value.kind !== 'ciphertext') throw new Error(`ledger: credit to ${w.key}, which holds no ciphertext`);
        value = { kind: 'ciphertext', ciphertext: add(before.value.publicKey, before.value.ciphertext, w.addCiphertext), publicKey: before.value.publicKey };
      }
      const after: StateEntry = { value, version: (before?.version ?? -1) + 1 };
      this.state.set(w.key, after);
      changes.push({ key: w.key, before, after });
    }
    return changes;
  }
}
