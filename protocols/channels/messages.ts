/**
 * Messages of the channel protocol. Off-chain (party ↔ party, BOLT 2 vocabulary, simplified):
 * `open-propose` / `open-accept` / `open-sig` (funding handshake), `update` (a batch of operations
 * and the proposed next state with the proposer's signature: update_add_htlc … commitment_signed),
 * `ack` (countersignature, the acker's revocation secret of the previous state and its next
 * revocation hash: commitment_signed + revoke_and_ack), `revoke` (the proposer's revocation secret
 * and next hash), `close-sig` (cooperative closing signature). Party → watchtower: `tower-update`.
 * Party/tower → chain: `submit`, `subscribe`, `query`; chain → parties: `chain-event`, `rejected`.
 *
 * Every field received is checked (`messageProblem`, state.ts `stateShapeProblem`); a malformed
 * message is dropped and counted (`channels.malformed`), never a crash.
 */
import type { NodeId } from '../../sim/types.ts';
import { requestProblem, type ChannelObject, type ChannelRequest } from './chaincode.ts';
import type { Hop } from './routing.ts';
import { isHash, stateShapeProblem, type ChannelState, type Htlc, type SignedState } from './state.ts';

/** Routing information carried with an HTLC (Sphinx onion encryption is not modelled: docs/channels.md). */
export interface Onion {
  readonly paymentId: string;
  readonly hops: readonly Hop[];
  /** Index of the hop this HTLC is. */
  readonly index: number;
}

export type FailReason = 'no-path' | 'insufficient-balance' | 'offline-node' | 'timeout' | 'htlc-slots-full' | 'policy' | 'unknown-payment' | 'expiry-too-soon';
export const FAIL_REASONS: readonly FailReason[] = ['no-path', 'insufficient-balance', 'offline-node', 'timeout', 'htlc-slots-full', 'policy', 'unknown-payment', 'expiry-too-soon'];

export type Op =
  | { readonly kind: 'pay'; readonly amount: bigint }
  | { readonly kind: 'add'; readonly htlc: Htlc; readonly onion: Onion }
  | { readonly kind: 'fulfill'; readonly id: string; readonly preimage: string }
  | { readonly kind: 'fail'; readonly id: string; readonly reason: FailReason; readonly failedChannel: string };

export type ChannelMessage =
  | { type: 'open-propose'; size: number; digest: string; channel: string; depositA: bigint; depositB: bigint; window: number; rev0: string; rev1: string }
  | { type: 'open-accept'; size: number; digest: string; channel: string; rev0: string; rev1: string; sigTerms: string; sigState: string }
  | { type: 'open-sig'; size: number; digest: string; channel: string; sigState: string }
  | { type: 'update'; size: number; digest: string; channel: string; ops: readonly Op[]; state: ChannelState; sig: string }
  | { type: 'ack'; size: number; digest: string; channel: string; seq: number; sig: string; secret: string; nextHash: string }
  | { type: 'revoke'; size: number; digest: string; channel: string; seq: number; secret: string; nextHash: string }
  | { type: 'close-sig'; size: number; digest: string; channel: string; seq: number; sig: string }
  | { type: 'tower-update'; size: number; digest: string; channel: string; owner: NodeId; signed: SignedState; secrets: readonly (readonly [number, string])[] }
  | { type: 'submit'; size: number; digest: string; req: ChannelRequest; auth: string }
  | { type: 'subscribe'; size: number; digest: string; channel: string }
  | { type: 'query'; size: number; digest: string; channel: string }
  | { type: 'chain-event'; size: number; digest: string; channel: string; height: number; object: ChannelObject | null }
  | { type: 'rejected'; size: number; digest: string; channel: string; op: string; reason: string };

const isSig = (x: unknown) => typeof x === 'string' && /^[0-9a-f]{128}$/.test(x);
const isStr = (x: unknown) => typeof x === 'string' && x.length > 0 && x.length <= 64;
const isInt = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;

function opProblem(o: Op): string | undefined {
  if (!o || typeof o !== 'object') return 'op';
  switch (o.kind) {
    case 'pay':
      return typeof o.amount === 'bigint' && o.amount > 0n ? undefined : 'pay amount';
    case 'add': {
      const h = o.htlc;
      if (!h || !isStr(h.id) || (h.offerer !== 'a' && h.offerer !== 'b') || typeof h.amount !== 'bigint' || h.amount <= 0n || !isHash(h.hash) || !isInt(h.expiry)) return 'add htlc';
      const on = o.onion;
      if (!on || !isStr(on.paymentId) || !Array.isArray(on.hops) || on.hops.length === 0 || on.hops.length > 30 || !isInt(on.index) || on.index >= on.hops.length) return 'add onion';
      for (const hop of on.hops) if (!hop || !isStr(hop.channelId) || !isStr(hop.from) || !isStr(hop.to) || typeof hop.amountMsat !== 'bigint' || hop.amountMsat <= 0n || !isInt(hop.expiryHeight)) return 'add onion hop';
      return undefined;
    }
    case 'fulfill':
      return isStr(o.id) && isHash(o.preimage) ? undefined : 'fulfill';
    case 'fail':
      return isStr(o.id) && isStr(o.reason) && typeof o.failedChannel === 'string' ? undefined : 'fail';
    default:
      return 'op kind';
  }
}

/** What is wrong with a received message, or undefined. */
export function messageProblem(m: ChannelMessage): string | undefined {
  if (!m || typeof m !== 'object' || typeof m.type !== 'string') return 'not a message';
  const ch = (m as { channel?: unknown }).channel;
  if (m.type !== 'submit' && !isStr(ch)) return 'channel id';
  switch (m.type) {
    case 'open-propose':
      return typeof m.depositA === 'bigint' && typeof m.depositB === 'bigint' && m.depositA >= 0n && m.depositB >= 0n && isInt(m.window) && isHash(m.rev0) && isHash(m.rev1) ? undefined : 'open-propose';
    case 'open-accept':
      return isHash(m.rev0) && isHash(m.rev1) && isSig(m.sigTerms) && isSig(m.sigState) ? undefined : 'open-accept';
    case 'open-sig':
      return isSig(m.sigState) ? undefined : 'open-sig';
    case 'update': {
      if (!Array.isArray(m.ops) || m.ops.length === 0 || m.ops.length > 500 || !isSig(m.sig)) return 'update';
      for (const o of m.ops) {
        const p = opProblem(o);
        if (p) return p;
      }
      return stateShapeProblem(m.state) ?? (m.state.channel === ch ? undefined : 'update channel');
    }
    case 'ack':
      return isInt(m.seq) && isSig(m.sig) && isHash(m.secret) && isHash(m.nextHash) ? undefined : 'ack';
    case 'revoke':
      return isInt(m.seq) && isHash(m.secret) && isHash(m.nextHash) ? undefined : 'revoke';
    case 'close-sig':
      return isInt(m.seq) && isSig(m.sig) ? undefined : 'close-sig';
    case 'tower-update':
      if (!isInt(m.owner) || !m.signed || stateShapeProblem(m.signed.state) || !isSig(m.signed.sigA) || !isSig(m.signed.sigB)) return 'tower-update';
      return Array.isArray(m.secrets) && m.secrets.every((s) => Array.isArray(s) && isInt(s[0]) && isHash(s[1])) ? undefined : 'tower-update secrets';
    case 'submit':
      return requestProblem(m.req) ?? (isSig(m.auth) ? undefined : 'submit auth');
    case 'subscribe':
    case 'query':
      return undefined;
    case 'chain-event':
      return isInt(m.height) ? undefined : 'chain-event';
    case 'rejected':
      return undefined;
    default:
      return 'unknown type';
  }
}

/** Approximate wire size of a message (JSON length; bigints as decimal), bytes. */
export function wireSize(x: unknown): number {
  return 40 + JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).length;
}
