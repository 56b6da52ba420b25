/**
 * Settlement messages between patients, organisation peers, the regulator and the orderers
 * (PBFT's own messages travel alongside, protocols/pbft/messages.ts).
 *
 * Point-to-point channels between the settlement nodes are mutually authenticated (Fabric runs
 * gRPC over mutual TLS), which the simulator models by the kernel's unforgeable `from`: a node
 * trusts who sent a message, not what it says. What must convince third parties is signed:
 * payments carry the payer's authorisation, endorsements the endorsing peer's signature; blocks
 * are accepted from orderers only when f + 1 of them vouch for the same batch.
 *
 * Sizes: a 16-byte header, 32-byte digests, 64-byte signatures, and the payload's own bytes.
 */
import type { Message, NodeId } from '../../sim/types.ts';
import type { RequestMsg } from '../pbft/messages.ts';

const HEADER = 16;
const DIGEST = 32;
const SIGNATURE = 64;

/** Patient → endorsing peer: a payment to execute and endorse (the envelope without endorsements). */
export interface ProposeMsg extends Message {
  type: 'settle-propose';
  /** Encoded envelope (chaincode, body, authorisation; no endorsements). */
  envelope: Uint8Array;
}

/** Endorsing peer → patient: the endorsement of a proposal. */
export interface EndorseMsg extends Message {
  type: 'settle-endorse';
  txId: string;
  org: number;
  signature: string;
}

/** Endorsing peer → patient: a refused proposal (`behind`: the peer's state never caught up). */
export interface RefuseMsg extends Message {
  type: 'settle-refuse';
  txId: string;
  org: number;
  reason: string;
}

/**
 * Orderer → committer: block `seq` (its PBFT batch digest); the block's requests are included
 * when this orderer is the block's designated deliverer for the committer, or answers a fetch.
 */
export interface DeliverMsg extends Message {
  type: 'settle-deliver';
  seq: number;
  batch: string;
  requests: readonly RequestMsg[] | null;
}

/** Committer → orderer: send me blocks from `from` on (with their requests). */
export interface FetchMsg extends Message {
  type: 'settle-fetch';
  from: number;
}

/** Committing peer → payer: the outcome of the payer's transaction. */
export interface StatusMsg extends Message {
  type: 'settle-status';
  txId: string;
  seq: number;
  valid: boolean;
  reason: string | null;
}

/** Client → committing peer: the current balance and version of an account (the ledger is readable by members). */
export interface QueryMsg extends Message {
  type: 'settle-query';
  account: string;
}

export interface AccountMsg extends Message {
  type: 'settle-account';
  account: string;
  ciphertext: bigint;
  version: number;
  height: number;
}

export type SettleMessage = ProposeMsg | EndorseMsg | RefuseMsg | DeliverMsg | FetchMsg | StatusMsg | QueryMsg | AccountMsg;

export const SETTLE_TYPES = new Set(['settle-propose', 'settle-endorse', 'settle-refuse', 'settle-deliver', 'settle-fetch', 'settle-status', 'settle-query', 'settle-account']);

export function isSettleMessage(m: unknown): m is SettleMessage {
  return !!m && typeof m === 'object' && SETTLE_TYPES.has((m as { type?: unknown }).type as string);
}

const short = (hex: string) => hex.slice(0, 16);

export function proposeMsg(envelope: Uint8Array, txId: string): ProposeMsg {
  return { type: 'settle-propose', size: HEADER + envelope.length, digest: short(txId), envelope };
}

export function endorseMsg(txId: string, org: number, signature: string): EndorseMsg {
  return { type: 'settle-endorse', size: HEADER + DIGEST + 4 + SIGNATURE, digest: short(txId), txId, org, signature };
}

export function refuseMsg(txId: string, org: number, reason: string): RefuseMsg {
  return { type: 'settle-refuse', size: HEADER + DIGEST + 4 + 8, digest: short(txId), txId, org, reason };
}

export function deliverMsg(seq: number, batch: string, requests: readonly RequestMsg[] | null): DeliverMsg {
  let size = HEADER + 8 + DIGEST;
  if (requests) for (const r of requests) size += r.size;
  return { type: 'settle-deliver', size, digest: `${seq}:${short(batch)}:${requests ? 'b' : 'h'}`, seq, batch, requests };
}

export function fetchMsg(from: number): FetchMsg {
  return { type: 'settle-fetch', size: HEADER + 8, digest: from, from };
}

export function statusMsg(txId: string, seq: number, valid: boolean, reason: string | null): StatusMsg {
  return { type: 'settle-status', size: HEADER + DIGEST + 8 + 4, digest: short(txId), txId, seq, valid, reason };
}

export function queryMsg(account: string): QueryMsg {
  return { type: 'settle-query', size: HEADER + account.length, digest: account, account };
}

export function accountMsg(account: string, ciphertext: bigint, version: number, height: number, keyBits: number): AccountMsg {
  return { type: 'settle-account', size: HEADER + account.length + 2 * Math.ceil(keyBits / 8) + 8, digest: `${account}@${version}`, account, ciphertext, version, height };
}

export type { NodeId };
