/**
 * PBFT messages (Castro & Liskov, TOCS'02 §4.2 normal case, §4.3 checkpoints, §4.4–4.5 view
 * changes), typed, with honest byte sizes and a content digest for the trace.
 *
 * Wire sizes follow BFT's layout loosely but honestly: a 16-byte header (tag, size, epoch,
 * view/seq), 32-byte SHA-256 digests, 16-byte MAC tags (one per receiver in an authenticator),
 * 64-byte Ed25519 signatures, and the request payloads themselves inside pre-prepares (BFT
 * piggybacks small requests, TOCS'02 §5.1.4 / §6.2 "request batching").
 *
 * Every normal-case message is authenticated over a 13-word header (see auth.ts): type code,
 * epoch, view, sequence number, sender, and a 32-byte digest of the content.
 */
import type { Message, NodeId } from '../../sim/types.ts';
import { digestWords, HEADER_WORDS, SIGNATURE_BYTES, sha256Hex, TAG_BYTES } from './auth.ts';

/** An application operation ordered by PBFT. */
export type Operation =
  /** Opaque application payload of `bytes` bytes identified by `tag` (e.g. a record hash or an access event). */
  | { kind: 'data'; bytes: number; tag: string }
  /** A new ordered committee (node ids); takes effect at the next checkpoint boundary (docs/pbft.md). */
  | { kind: 'reconfigure'; members: NodeId[] };

/** Message type codes (first word of the MAC'd header). */
export const Code = {
  Request: 1,
  PrePrepare: 2,
  Prepare: 3,
  Commit: 4,
  Reply: 5,
  Checkpoint: 6,
  Fetch: 7,
  Blocks: 8,
  Status: 9,
  Join: 10,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

const HEADER_BYTES = 16;
const DIGEST_BYTES = 32;

export interface RequestMsg extends Message {
  type: 'request';
  client: NodeId;
  /** Client's request number (BFT's timestamp t): strictly increasing per client. */
  timestamp: number;
  op: Operation;
  /** SHA-256 (hex) of (client, timestamp, op): what the authenticator covers. */
  opDigest: string;
  /** Committee epoch whose members the authenticator is for. */
  epoch: number;
  /** Authenticator: one tag per member of the epoch's committee, in member order. */
  auth: Int32Array;
}

export interface PrePrepareMsg extends Message {
  type: 'pre-prepare';
  epoch: number;
  view: number;
  seq: number;
  sender: NodeId;
  /** Batch digest (hex). */
  batch: string;
  requests: RequestMsg[];
  auth: Int32Array;
}

export interface VoteMsg extends Message {
  type: 'prepare' | 'commit';
  epoch: number;
  view: number;
  seq: number;
  sender: NodeId;
  batch: string;
  auth: Int32Array;
}

export interface ReplyMsg extends Message {
  type: 'reply';
  epoch: number;
  view: number;
  sender: NodeId;
  client: NodeId;
  /** Results, one per request of this client executed in the block. */
  entries: { timestamp: number; result: string }[];
  /** Digest of the entries (hex) covered by the tag. */
  body: string;
  auth: Int32Array;
}

export interface CheckpointMsg extends Message {
  type: 'checkpoint';
  epoch: number;
  seq: number;
  sender: NodeId;
  /** State digest after executing `seq` (the chain hash). */
  state: string;
  auth: Int32Array;
}

/** One entry of a view-change's P (prepared) or Q (pre-prepared) set, TOCS'02 §4.5. */
export interface CertEntry {
  seq: number;
  view: number;
  batch: string;
}

/** P entries also carry the batch contents, so the new primary can re-propose it (condition A3). */
export interface PreparedEntry extends CertEntry {
  requests: RequestMsg[];
}

export interface ViewChangeMsg extends Message {
  type: 'view-change';
  epoch: number;
  /** The view being moved to (v + 1 in the paper's notation). */
  newView: number;
  sender: NodeId;
  /** Sequence number of the sender's last stable checkpoint (h). */
  stable: number;
  /** Checkpoints the sender holds: (seq, state digest), including the stable one (C). */
  checkpoints: { seq: number; state: string }[];
  prepared: PreparedEntry[];
  prePrepared: CertEntry[];
  /** SHA-256 of the canonical encoding (hex), signed. */
  body: string;
  signature: string;
}

export interface NewViewMsg extends Message {
  type: 'new-view';
  epoch: number;
  newView: number;
  sender: NodeId;
  /** The view-change messages the decision was computed from (V). */
  viewChanges: ViewChangeMsg[];
  /** Chosen checkpoint (h*, state) and pre-prepares O for (h*, maxSeq]. */
  checkpoint: { seq: number; state: string };
  proposals: { seq: number; batch: string; requests: RequestMsg[] }[];
  body: string;
  signature: string;
}

/** State transfer (TOCS'02 §5.3.2, simplified): ask for executed blocks up to a certified checkpoint. */
export interface FetchMsg extends Message {
  type: 'fetch';
  epoch: number;
  sender: NodeId;
  fromSeq: number;
  toSeq: number;
  auth: Int32Array;
}

export interface BlockRecord {
  seq: number;
  batch: string;
  requests: RequestMsg[];
}

export interface BlocksMsg extends Message {
  type: 'blocks';
  epoch: number;
  sender: NodeId;
  blocks: BlockRecord[];
  body: string;
  auth: Int32Array;
}

/** Sent after a recovery: "I am at (view, lastExecuted)"; peers answer with what it missed. */
export interface StatusMsg extends Message {
  type: 'status';
  epoch: number;
  view: number;
  seq: number;
  sender: NodeId;
  auth: Int32Array;
}

/**
 * A certified committee change (docs/pbft.md "Reconfiguration"): at least f + 1 members of the
 * committee of epoch − 1 signed (Ed25519) that after executing sequence number `seq`, with state
 * digest `state`, the committee of `epoch` is `members`. At least one signer is correct, and a
 * correct replica signs only what its own log dictates, so the statement is true; and unlike
 * MACs the certificate is transferable, so any node can check it later.
 */
export interface EpochCert {
  epoch: number;
  members: NodeId[];
  /** Activation sequence number: the last one ordered by the previous committee. */
  seq: number;
  state: string;
  /** Signatures over `epochStatement(epoch, members, seq, state)` by distinct old members. */
  shares: { signer: NodeId; signature: string }[];
}

/** At activation, each old member sends its signature share to the continuing members. */
export interface EpochShareMsg extends Message {
  type: 'epoch-share';
  epoch: number;
  members: NodeId[];
  seq: number;
  state: string;
  sender: NodeId;
  signature: string;
}

/**
 * Reconfiguration (docs/pbft.md): an old member tells a new member (or a lagging one) the
 * state at the activation sequence number and proves who the committees are.
 */
export interface JoinMsg extends Message {
  type: 'join';
  /** The new epoch. */
  epoch: number;
  /** First view of the new epoch (views restart at 0 in every epoch). */
  view: number;
  /** Activation sequence number e. */
  seq: number;
  sender: NodeId;
  state: string;
  members: NodeId[];
  /** The ledger up to e, so the new member can serve and check it. */
  blocks: BlockRecord[];
  /**
   * Certificates of the committee changes the sender knows, in epoch order (1, 2, …): a
   * standby that knows only an older committee learns the later ones from them.
   */
  chain: EpochCert[];
  /** The sender's signature share over this change's statement ('' when `chain` already certifies `epoch`). */
  share: string;
  auth: Int32Array;
}

export type PbftMessage =
  | RequestMsg
  | PrePrepareMsg
  | VoteMsg
  | ReplyMsg
  | CheckpointMsg
  | ViewChangeMsg
  | NewViewMsg
  | FetchMsg
  | BlocksMsg
  | StatusMsg
  | JoinMsg
  | EpochShareMsg;

// ---- digests ----------------------------------------------------------------------------------

/** What the members of epoch − 1 sign for a committee change (SHA-256, hex). */
export function epochStatement(epoch: number, members: readonly NodeId[], seq: number, state: string): string {
  return sha256Hex(`pbft-epoch|${epoch}|${members.join(',')}|${seq}|${state}`);
}

/** Canonical text of an operation. */
export function opText(op: Operation): string {
  return op.kind === 'data' ? `data|${op.bytes}|${op.tag}` : `reconfigure|${op.members.join(',')}`;
}

/** SHA-256 of (client, timestamp, op). */
export function requestDigest(client: NodeId, timestamp: number, op: Operation): string {
  return sha256Hex(`req|${client}|${timestamp}|${opText(op)}`);
}

/**
 * Memo of `requestDigest` for a request object's own fields. Messages are immutable once sent
 * (adversaries build new objects), and the digest is a pure function of those fields, so every
 * replica that checks `opDigest` against the operation gets the same answer it would compute
 * itself; the memo only saves k − 1 recomputations of one SHA-256 per request. The MAC check,
 * which differs per receiver, is never shared.
 */
const REQUEST_DIGESTS = new WeakMap<object, string>();

export function requestDigestOf(r: { client: NodeId; timestamp: number; op: Operation }): string {
  let d = REQUEST_DIGESTS.get(r);
  if (d === undefined) REQUEST_DIGESTS.set(r, (d = requestDigest(r.client, r.timestamp, r.op)));
  return d;
}

/** `client:timestamp`, the identity of a request (at-most-once execution, checkers). */
export function requestKey(client: NodeId, timestamp: number): string {
  return `${client}:${timestamp}`;
}

/**
 * Memo of `requestKey` per request object: one string per request, shared by every replica
 * that handles the request (its hash is computed once, Map lookups by it are cheap). A pure
 * function of fields that never change after sending (see REQUEST_DIGESTS).
 */
const REQUEST_KEYS = new WeakMap<object, string>();

export function requestKeyOf(r: { client: NodeId; timestamp: number }): string {
  let k = REQUEST_KEYS.get(r);
  if (k === undefined) REQUEST_KEYS.set(r, (k = requestKey(r.client, r.timestamp)));
  return k;
}

/**
 * Memo of `batchDigest` for *frozen* arrays of frozen requests (clients freeze their requests,
 * the honest primary each batch it proposes; every backup then checks the digest of the same
 * array object). Frozen objects cannot change, so the memo is exact; anything else is hashed
 * every time.
 */
const BATCH_DIGESTS = new WeakMap<readonly RequestMsg[], string>();

/** Digest of a batch: SHA-256 over its requests' digests in order (the null request: empty batch). */
export function batchDigest(requests: readonly RequestMsg[]): string {
  let frozen = Object.isFrozen(requests);
  for (let i = 0; frozen && i < requests.length; i++) frozen = Object.isFrozen(requests[i]);
  if (frozen) {
    const d = BATCH_DIGESTS.get(requests);
    if (d !== undefined) return d;
  }
  let s = 'batch';
  for (const r of requests) s += '|' + r.opDigest;
  const d = sha256Hex(s);
  if (frozen) BATCH_DIGESTS.set(requests, d);
  return d;
}

export const NULL_BATCH = batchDigest([]);
export const GENESIS_STATE = sha256Hex('medchain-sim/pbft/genesis');

/** Chain digest after executing a batch: SHA-256(previous state ‖ seq ‖ batch). */
export function chainDigest(previous: string, seq: number, batch: string): string {
  return sha256Hex(`${previous}|${seq}|${batch}`);
}

/** A 32-bit number for the trace from a hex digest and small integers. */
export function traceDigest(hex: string, a: number, b: number, c: number): number {
  let h = parseInt(hex.slice(0, 8), 16) | 0;
  h = Math.imul(h ^ a, 0x9e3779b1);
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ c, 0xc2b2ae35);
  return h >>> 0;
}

/**
 * Fills the MAC'd header. Returns false if the digest is malformed (wrong length, not hex).
 */
export function fillHeader(out: Int32Array, code: Code, epoch: number, view: number, seq: number, sender: NodeId, digest: string): boolean {
  out[0] = code;
  out[1] = epoch | 0;
  out[2] = view | 0;
  out[3] = seq | 0;
  out[4] = sender | 0;
  return digestWords(digest, out, 5);
}

export function newHeader(): Int32Array {
  return new Int32Array(HEADER_WORDS);
}

// ---- sizes -----------------------------------------------------------------------------------

export function authBytes(tags: number): number {
  return 4 + tags * TAG_BYTES;
}

export function requestSize(op: Operation, members: number): number {
  const payload = op.kind === 'data' ? op.bytes : 4 + 4 * op.members.length;
  return HEADER_BYTES + 4 + 8 + DIGEST_BYTES + payload + authBytes(members);
}

export function requestsBytes(requests: readonly RequestMsg[]): number {
  let s = 0;
  for (const r of requests) s += r.size;
  return s;
}

export function prePrepareSize(requests: readonly RequestMsg[], members: number): number {
  return HEADER_BYTES + 8 + DIGEST_BYTES + 4 + requestsBytes(requests) + authBytes(members);
}

export function voteSize(members: number): number {
  return HEADER_BYTES + 8 + DIGEST_BYTES + 4 + authBytes(members);
}

export function replySize(entries: number): number {
  return HEADER_BYTES + 8 + DIGEST_BYTES + entries * (8 + DIGEST_BYTES) + authBytes(1);
}

export function checkpointSize(members: number): number {
  return HEADER_BYTES + 8 + DIGEST_BYTES + 4 + authBytes(members);
}

export function viewChangeSize(m: Pick<ViewChangeMsg, 'checkpoints' | 'prepared' | 'prePrepared'>): number {
  let s = HEADER_BYTES + 8 + 4 + m.checkpoints.length * (8 + DIGEST_BYTES) + m.prePrepared.length * (8 + 4 + DIGEST_BYTES) + SIGNATURE_BYTES;
  for (const p of m.prepared) s += 8 + 4 + DIGEST_BYTES + requestsBytes(p.requests);
  return s;
}

export function newViewSize(m: Pick<NewViewMsg, 'viewChanges' | 'proposals'>): number {
  let s = HEADER_BYTES + 8 + DIGEST_BYTES + SIGNATURE_BYTES;
  for (const v of m.viewChanges) s += v.size;
  for (const p of m.proposals) s += 8 + DIGEST_BYTES + requestsBytes(p.requests);
  return s;
}

export function epochCertSize(c: Pick<EpochCert, 'members' | 'shares'>): number {
  return 8 + 4 * c.members.length + 8 + DIGEST_BYTES + c.shares.length * (4 + SIGNATURE_BYTES);
}

export function epochShareSize(members: number): number {
  return HEADER_BYTES + 8 + 4 * members + DIGEST_BYTES + SIGNATURE_BYTES;
}

export function blocksSize(blocks: readonly BlockRecord[]): number {
  let s = HEADER_BYTES + DIGEST_BYTES + authBytes(1);
  for (const b of blocks) s += 8 + DIGEST_BYTES + requestsBytes(b.requests);
  return s;
}

/** Canonical text of a view-change (what its signature covers). */
export function viewChangeText(m: Omit<ViewChangeMsg, 'body' | 'signature' | 'size' | 'digest' | 'type'>): string {
  const c = m.checkpoints.map((x) => `${x.seq}:${x.state}`).join(',');
  const p = m.prepared.map((x) => `${x.seq}:${x.view}:${x.batch}`).join(',');
  const q = m.prePrepared.map((x) => `${x.seq}:${x.view}:${x.batch}`).join(',');
  return `vc|${m.epoch}|${m.newView}|${m.sender}|${m.stable}|C=${c}|P=${p}|Q=${q}`;
}

/** Canonical text of a new-view (what its signature covers): the view-changes by their bodies, and O. */
export function newViewText(m: Omit<NewViewMsg, 'body' | 'signature' | 'size' | 'digest' | 'type'>): string {
  const v = m.viewChanges.map((x) => `${x.sender}:${x.body}`).join(',');
  const o = m.proposals.map((x) => `${x.seq}:${x.batch}`).join(',');
  return `nv|${m.epoch}|${m.newView}|${m.sender}|V=${v}|ck=${m.checkpoint.seq}:${m.checkpoint.state}|O=${o}`;
}
