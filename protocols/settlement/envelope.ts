/**
 * Transaction envelopes and endorsements — Fabric's execute–order–validate vocabulary
 * (Androulaki et al., "Hyperledger Fabric: a distributed operating system for permissioned
 * blockchains", EuroSys 2018, §3): a client's transaction proposal is executed by endorsing
 * peers, each of which signs an *endorsement* over the transaction id and the read-write set it
 * produced; the client wraps the proposal and enough endorsements in an *envelope* and submits it
 * for ordering; committing peers validate the endorsements against the endorsement policy and the
 * read set against their state (MVCC), then apply the write set.
 *
 * An envelope names its chaincode (`pay` for seed 002's payment; the channels work adds its own),
 * carries the chaincode's canonical body, the submitter's authorisation and the endorsements.
 * On the ordering service it travels as a PBFT `data` operation whose tag is
 * `settle|<base64 envelope>` and whose size is the envelope's byte length: what PBFT orders is
 * the transaction itself, not a reference to it.
 *
 * Digests: the transaction id is SHA-256 of the body (chaincodes may not choose otherwise); an
 * endorsement signs SHA-256("endorse|<chaincode>|<txId>|<rwset digest>") with the endorsing
 * peer's Ed25519 key.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { NodeId } from '../../sim/types.ts';
import type { Operation } from '../pbft/messages.ts';
import { CodecError, Reader, Writer } from './codec.ts';

export interface Endorsement {
  /** Organisation index of the endorsing peer. */
  readonly org: number;
  /** Ed25519 signature (hex) by that organisation's peer over `endorsementDigest`. */
  readonly signature: string;
}

export interface Envelope {
  readonly chaincode: string;
  /** The chaincode's canonical transaction body. */
  readonly body: Uint8Array;
  /** SHA-256(body), hex (computed on decoding, never read from the wire). */
  readonly txId: string;
  /** The submitter's signature over txId (hex). */
  readonly authorization: string;
  readonly endorsements: readonly Endorsement[];
}

const TAG_PREFIX = 'settle|';
const MAX_ENDORSEMENTS = 64;

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function bodyTxId(body: Uint8Array): string {
  return hexOf(sha256(body));
}

/** What an endorsing peer signs. */
export function endorsementDigest(chaincode: string, txId: string, rwsetDigest: string): string {
  return hexOf(sha256(new TextEncoder().encode(`endorse|${chaincode}|${txId}|${rwsetDigest}`)));
}

export function encodeEnvelope(e: Omit<Envelope, 'txId'>): Uint8Array {
  const w = new Writer('SENV', 1).string(e.chaincode).bytes(e.body).string(e.authorization).u32(e.endorsements.length);
  for (const x of e.endorsements) w.u32(x.org).string(x.signature);
  return w.finish();
}

/** Strict decoding; throws CodecError. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const r = new Reader(bytes, 'SENV', 1);
  const chaincode = r.string(32);
  const body = r.bytes();
  const authorization = r.string(256);
  const n = r.u32();
  if (n > MAX_ENDORSEMENTS) throw new CodecError('envelope: too many endorsements');
  const endorsements: Endorsement[] = [];
  for (let i = 0; i < n; i++) endorsements.push({ org: r.u32(), signature: r.string(256) });
  r.end();
  return { chaincode, body, txId: bodyTxId(body), authorization, endorsements };
}

/** The PBFT operation that carries an envelope. */
export function envelopeOperation(bytes: Uint8Array): Extract<Operation, { kind: 'data' }> {
  return { kind: 'data', bytes: bytes.length, tag: TAG_PREFIX + Buffer.from(bytes).toString('base64') };
}

/**
 * Decoded envelopes by operation tag: decoding is a pure function of the (immutable) tag, and
 * every orderer and committer of a run sees the same operations, so each is decoded once.
 * Failures are memoised too (as the CodecError).
 */
const DECODED = new Map<string, Envelope | CodecError>();
const DECODED_LIMIT = 20_000;

/** The envelope an operation carries, or a CodecError for anything else. */
export function envelopeOf(op: unknown): Envelope | CodecError {
  const o = op as { kind?: unknown; tag?: unknown; bytes?: unknown } | null;
  if (!o || o.kind !== 'data' || typeof o.tag !== 'string' || !o.tag.startsWith(TAG_PREFIX)) return new CodecError('not a settlement operation');
  let d = DECODED.get(o.tag);
  if (d) return d;
  try {
    const b64 = o.tag.slice(TAG_PREFIX.length);
    const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
    // Buffer's base64 decoder skips junk silently: require the canonical text back.
    if (Buffer.from(bytes).toString('base64') !== b64) throw new CodecError('envelope: non-canonical base64');
    if (o.bytes !== bytes.length) throw new CodecError('envelope: declared size differs from the payload');
    d = decodeEnvelope(bytes);
  } catch (err) {
    d = err instanceof CodecError ? err : new CodecError((err as Error).message);
  }
  if (DECODED.size >= DECODED_LIMIT) DECODED.clear();
  DECODED.set(o.tag, d);
  return d;
}

/** Distinct endorsing organisations, for policies that count organisations. */
export function endorsingOrgs(e: Envelope): number[] {
  return [...new Set(e.endorsements.map((x) => x.org))].sort((a, b) => a - b);
}

export type { NodeId };
