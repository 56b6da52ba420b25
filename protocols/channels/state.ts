/**
 * Off-chain channel states (seed 002 §3.4 step 2; BOLT 2 "channel state machine", simplified to
 * one symmetric state that both parties sign — docs/channels.md "Model").
 *
 * A state is (channel, sequence number, balance of a, balance of b, pending HTLCs, one
 * revocation hash per party). Its digest is SHA-256 of a canonical text; each party signs
 * "channels/state|" ‖ digest with Ed25519. A state is *fully signed* when both signatures verify.
 *
 * Revocation (Lightning's per-commitment secrets, BOLT 3 §"Per-commitment Secret Requirements"):
 * party X's secret for sequence n is SHA-256(X's revocation seed ‖ channel ‖ n); the state of
 * sequence n carries H(secret). Moving to n + 1, each party hands the counterparty its secret for
 * n. Publishing state n on chain afterwards lets the counterparty present that secret: the
 * channel contract then gives the whole channel to the honest party (chaincode.ts).
 *
 * Amounts are millisatoshi-like integer units ("msat"), bigint throughout.
 */
import { createHash } from 'node:crypto';
import { sign as edSign, verify as edVerify } from '../crypto/ed25519.ts';

export type Side = 'a' | 'b';
export const other = (s: Side): Side => (s === 'a' ? 'b' : 'a');

export interface Htlc {
  /** Unique within the channel (the offerer's counter, prefixed by its side). */
  readonly id: string;
  /** Who offered (locked funds into) the HTLC. */
  readonly offerer: Side;
  readonly amount: bigint;
  /** SHA-256 of the payment preimage, hex. */
  readonly hash: string;
  /** Absolute expiry, chain height (blocks). */
  readonly expiry: number;
}

export interface ChannelState {
  readonly channel: string;
  readonly seq: number;
  readonly balanceA: bigint;
  readonly balanceB: bigint;
  readonly htlcs: readonly Htlc[];
  /** H(a's revocation secret for this seq), hex. */
  readonly revA: string;
  /** H(b's revocation secret for this seq), hex. */
  readonly revB: string;
}

/** A state with both parties' signatures (hex). */
export interface SignedState {
  readonly state: ChannelState;
  readonly sigA: string;
  readonly sigB: string;
}

export const sha256hex = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

export function stateText(s: ChannelState): string {
  let t = `chan|${s.channel}|${s.seq}|${s.balanceA}|${s.balanceB}|${s.revA}|${s.revB}|${s.htlcs.length}`;
  for (const h of s.htlcs) t += `|${h.id},${h.offerer},${h.amount},${h.hash},${h.expiry}`;
  return t;
}

export function stateDigest(s: ChannelState): string {
  return sha256hex(stateText(s));
}

/** Total value a state holds: balances plus every pending HTLC (must equal the channel capacity). */
export function stateValue(s: ChannelState): bigint {
  let v = s.balanceA + s.balanceB;
  for (const h of s.htlcs) v += h.amount;
  return v;
}

const te = new TextEncoder();
const signedBytes = (digest: string) => te.encode(`channels/state|${digest}`);

export function signState(s: ChannelState, secretKey: Uint8Array): string {
  return Buffer.from(edSign(signedBytes(stateDigest(s)), secretKey)).toString('hex');
}

export function verifyStateSig(s: ChannelState, sigHex: string, publicKey: Uint8Array): boolean {
  if (typeof sigHex !== 'string' || !/^[0-9a-f]{128}$/.test(sigHex)) return false;
  return edVerify(new Uint8Array(Buffer.from(sigHex, 'hex')), signedBytes(stateDigest(s)), publicKey);
}

/** What both parties sign to close cooperatively on a state (BOLT 2 closing_signed): never an ordinary update signature. */
const closingBytes = (digest: string) => te.encode(`channels/closing|${digest}`);

export function signClosing(s: ChannelState, secretKey: Uint8Array): string {
  return Buffer.from(edSign(closingBytes(stateDigest(s)), secretKey)).toString('hex');
}

export function verifyClosing(s: ChannelState, sigHex: string, publicKey: Uint8Array): boolean {
  if (typeof sigHex !== 'string' || !/^[0-9a-f]{128}$/.test(sigHex)) return false;
  return edVerify(new Uint8Array(Buffer.from(sigHex, 'hex')), closingBytes(stateDigest(s)), publicKey);
}

/** Both signatures verify under the channel parties' keys. */
export function fullySigned(ss: SignedState, keyA: Uint8Array, keyB: Uint8Array): boolean {
  return verifyStateSig(ss.state, ss.sigA, keyA) && verifyStateSig(ss.state, ss.sigB, keyB);
}

/** Party's revocation secret for (channel, seq), from its private revocation seed. */
export function revocationSecret(seed: string, channel: string, seq: number): string {
  return sha256hex(`channels/revocation|${seed}|${channel}|${seq}`);
}

export const revocationHash = (secret: string): string => sha256hex(`channels/revocation-hash|${secret}`);

export const balanceOf = (s: ChannelState, side: Side): bigint => (side === 'a' ? s.balanceA : s.balanceB);

/**
 * Strict shape check of a state received from the wire (types, hex fields, non-negative
 * amounts, distinct HTLC ids). Semantic checks (sequence, sum, who may change what) are the
 * update rules' (node.ts `applyOps`). Returns the problem or undefined.
 */
export function stateShapeProblem(x: unknown): string | undefined {
  const s = x as ChannelState;
  if (!s || typeof s !== 'object') return 'state: not an object';
  if (typeof s.channel !== 'string' || s.channel.length === 0 || s.channel.length > 64) return 'state: channel';
  if (!Number.isSafeInteger(s.seq) || s.seq < 0) return 'state: seq';
  if (typeof s.balanceA !== 'bigint' || typeof s.balanceB !== 'bigint' || s.balanceA < 0n || s.balanceB < 0n) return 'state: balances';
  if (!isHash(s.revA) || !isHash(s.revB)) return 'state: revocation hashes';
  if (!Array.isArray(s.htlcs) || s.htlcs.length > 1000) return 'state: htlcs';
  const ids = new Set<string>();
  for (const h of s.htlcs) {
    if (!h || typeof h.id !== 'string' || ids.has(h.id) || (h.offerer !== 'a' && h.offerer !== 'b')) return 'state: htlc id/offerer';
    if (typeof h.amount !== 'bigint' || h.amount <= 0n || !isHash(h.hash) || !Number.isSafeInteger(h.expiry) || h.expiry < 0) return 'state: htlc fields';
    ids.add(h.id);
  }
  return undefined;
}

export const isHash = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);
