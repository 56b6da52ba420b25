/**
 * The channel contract: seed 002 §3.4's on-chain part (open, close, dispute) as a chaincode of
 * the settlement ledger (protocols/settlement/ledger.ts, docs/settlement.md "Ledger interface for
 * channels") — the same versioned world state, read-write sets, endorsement policy and MVCC
 * validation the `pay` chaincode uses; no second ledger.
 *
 * Operations (a *request* signed by its submitter; the executing endorser — the chain node —
 * resolves it against its state into a transaction that also carries the channel object it read,
 * that object's version and the height of the block it goes into, so that `rwset` stays a pure
 * function of the transaction as the ledger requires):
 *
 *   fund     party moves a public amount D out of its Paillier-encrypted balance A into deposits
 *            `deposit/<channel>/<party>`: EL-AHE proof that A' = A − D against the deterministic
 *            E(D; 1) and a range proof that A' ≥ 0 (docs/settlement.md, "What a deposit needs").
 *   open     both parties' signatures over the terms; consumes both deposits, creates `channel/<id>`.
 *   close    cooperative (a final state with no HTLCs, signed by both; pays out at once) or
 *            unilateral (any fully signed state; opens the dispute window of `window` blocks).
 *   dispute  within the window, anyone presents either the closer's revocation secret of the
 *            published state (penalty: the whole channel to the honest party, BOLT 5 "revoked
 *            transaction close") or a fully signed state with a higher sequence number (replaces
 *            the published one).
 *   claim    the recipient of a pending HTLC of the published state shows its preimage before
 *            the HTLC's expiry height (BOLT 5 "HTLC output handling").
 *   settle   after the window and every HTLC expiry: pays the published balances, claimed HTLCs to
 *            their recipients, unclaimed ones back to their offerers.
 *
 * Payouts return to the settlement ledger: in `encrypted` funding as homomorphic credits E(x; 1)
 * to `balance/<party>` (anyone can recompute them; no proof needed), in `public` funding as
 * `payout/<channel>/<side>` entries.
 */
import { isValidCiphertext, encryptWithNonce, type PaillierPublicKey } from '../crypto/paillier.ts';
import { verifyBalanceUpdate, type SameKeyProof } from '../crypto/zk-equality.ts';
import { verifyRange, type RangeProof } from '../crypto/zk-range.ts';
import type { RingPedersenParams } from '../crypto/ring-pedersen.ts';
import { verify as edVerify } from '../crypto/ed25519.ts';
import type { NodeId } from '../../sim/types.ts';
import { CodecError } from '../settlement/codec.ts';
import type { Chaincode, RwSet, Simulation, StateView, WriteEntry } from '../settlement/ledger.ts';
import { balanceKey } from '../settlement/pay-chaincode.ts';
import { fullySigned, verifyClosing, isHash, other, revocationHash, sha256hex, stateShapeProblem, stateValue, type ChannelState, type Side, type SignedState } from './state.ts';

export const CHANNEL_CHAINCODE = 'channel';

// ---- JSON with bigints ---------------------------------------------------------------------------

export function encodeJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? { $big: v.toString() } : v));
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$big === 'string') {
      if (!/^-?\d{1,5000}$/.test(v.$big)) throw new CodecError('bad integer');
      return BigInt(v.$big);
    }
    return v;
  });
}

// ---- requests and transactions -----------------------------------------------------------------

export interface Deposit {
  readonly channel: string;
  readonly amount: bigint;
}

export type ChannelRequest =
  | { readonly op: 'fund'; readonly party: NodeId; readonly deposits: readonly Deposit[]; readonly version: number; readonly oldBalance: bigint; readonly newBalance: bigint; readonly elahe: SameKeyProof; readonly range: RangeProof }
  | { readonly op: 'open'; readonly channel: string; readonly a: NodeId; readonly b: NodeId; readonly depositA: bigint; readonly depositB: bigint; readonly window: number; readonly sigA: string; readonly sigB: string }
  | { readonly op: 'close'; readonly channel: string; readonly signed: SignedState; readonly by: Side; readonly cooperative: boolean }
  | { readonly op: 'dispute'; readonly channel: string; readonly revocationSecret?: string; readonly newer?: SignedState }
  | { readonly op: 'claim'; readonly channel: string; readonly htlcId: string; readonly preimage: string }
  | { readonly op: 'settle'; readonly channel: string };

/** The on-chain record of a channel (`channel/<id>`). Amounts as decimal strings (JSON data). */
export interface ChannelObject {
  readonly a: NodeId;
  readonly b: NodeId;
  readonly depositA: string;
  readonly depositB: string;
  /** Dispute window, blocks. */
  readonly window: number;
  readonly status: 'open' | 'closing' | 'closed';
  /** The published state (encodeJson of a SignedState) while closing / after closing. */
  readonly published?: string;
  readonly closedBy?: Side;
  /** Height of the unilateral close. */
  readonly closeHeight?: number;
  /** Last height at which a dispute counts. */
  readonly deadline?: number;
  /** HTLC id → preimage, claimed on chain. */
  readonly claims?: Readonly<Record<string, string>>;
  /** How it ended: cooperative, settled after the window, or penalty (with the honest side). */
  readonly outcome?: 'cooperative' | 'settled' | 'penalty';
  readonly penaltyTo?: Side;
  /** What each side was paid (decimal strings), once closed. */
  readonly paidA?: string;
  readonly paidB?: string;
}

/** A request resolved by the executing endorser against its state. */
export interface ChannelTx {
  readonly req: ChannelRequest;
  /** Submitter node and its Ed25519 signature (hex) over `requestDigest(req)`. */
  readonly submitter: NodeId;
  readonly auth: string;
  /** Height of the block the transaction goes into. */
  readonly height: number;
  /** The channel object read (null for fund / open) and its version (−1: absent). */
  readonly prior: ChannelObject | null;
  readonly priorVersion: number;
}

export const channelKey = (id: string) => `channel/${id}`;
export const depositKey = (channel: string, party: NodeId) => `deposit/${channel}/${party}`;
export const payoutKey = (channel: string, side: Side) => `payout/${channel}/${side}`;

export function requestDigest(req: ChannelRequest): string {
  return sha256hex(`channels/request|${encodeJson(req)}`);
}

/** What both parties sign to open a channel. */
export function openTermsDigest(channel: string, a: NodeId, b: NodeId, depositA: bigint, depositB: bigint, window: number): string {
  return sha256hex(`channels/open|${channel}|${a}|${b}|${depositA}|${depositB}|${window}`);
}

export const sigBytes = (digestHex: string) => new TextEncoder().encode(`channels/sig|${digestHex}`);

export function verifySig(publicKey: Uint8Array | undefined, digestHex: string, sigHex: unknown): boolean {
  if (!publicKey || typeof sigHex !== 'string' || !/^[0-9a-f]{128}$/.test(sigHex)) return false;
  return edVerify(new Uint8Array(Buffer.from(sigHex, 'hex')), sigBytes(digestHex), publicKey);
}

export function encodeTx(tx: ChannelTx): Uint8Array {
  return new TextEncoder().encode(encodeJson(tx));
}

const isInt = (x: unknown, min = 0) => Number.isSafeInteger(x) && (x as number) >= min;
const isBig = (x: unknown) => typeof x === 'bigint';
const isSig = (x: unknown) => typeof x === 'string' && /^[0-9a-f]{128}$/.test(x);
const isChannelId = (x: unknown) => typeof x === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(x);

function signedShapeOk(s: unknown): s is SignedState {
  const x = s as SignedState;
  return !!x && typeof x === 'object' && stateShapeProblem(x.state) === undefined && isSig(x.sigA) && isSig(x.sigB);
}

/** Strict shape check of a request (the fields every operation needs, with their types). */
export function requestProblem(r: unknown): string | undefined {
  const q = r as ChannelRequest;
  if (!q || typeof q !== 'object') return 'request: not an object';
  switch (q.op) {
    case 'fund':
      if (!isInt(q.party) || !Array.isArray(q.deposits) || q.deposits.length === 0 || q.deposits.length > 1000) return 'fund: party/deposits';
      if (!q.deposits.every((d) => d && isChannelId(d.channel) && isBig(d.amount) && d.amount > 0n)) return 'fund: deposit';
      if (new Set(q.deposits.map((d) => d.channel)).size !== q.deposits.length) return 'fund: duplicate channel';
      if (!isInt(q.version) || !isBig(q.oldBalance) || !isBig(q.newBalance) || !q.elahe || !q.range) return 'fund: fields';
      return undefined;
    case 'open':
      if (!isChannelId(q.channel) || !isInt(q.a) || !isInt(q.b) || q.a === q.b || !isBig(q.depositA) || !isBig(q.depositB)) return 'open: fields';
      if (q.depositA < 0n || q.depositB < 0n || q.depositA + q.depositB <= 0n || !isInt(q.window, 1) || !isSig(q.sigA) || !isSig(q.sigB)) return 'open: values';
      return undefined;
    case 'close':
      if (!isChannelId(q.channel) || !signedShapeOk(q.signed) || (q.by !== 'a' && q.by !== 'b') || typeof q.cooperative !== 'boolean') return 'close: fields';
      return q.signed.state.channel === q.channel ? undefined : 'close: channel';
    case 'dispute':
      if (!isChannelId(q.channel)) return 'dispute: channel';
      if ((q.revocationSecret === undefined) === (q.newer === undefined)) return 'dispute: exactly one of revocationSecret, newer';
      if (q.revocationSecret !== undefined && !isHash(q.revocationSecret)) return 'dispute: secret';
      if (q.newer !== undefined && (!signedShapeOk(q.newer) || q.newer.state.channel !== q.channel)) return 'dispute: newer';
      return undefined;
    case 'claim':
      return isChannelId(q.channel) && typeof q.htlcId === 'string' && q.htlcId.length <= 64 && isHash(q.preimage) ? undefined : 'claim: fields';
    case 'settle':
      return isChannelId(q.channel) ? undefined : 'settle: channel';
    default:
      return 'request: unknown op';
  }
}

export function decodeTx(body: Uint8Array): ChannelTx {
  let tx: ChannelTx;
  try {
    tx = decodeJson(new TextDecoder('utf-8', { fatal: true }).decode(body)) as ChannelTx;
  } catch (e) {
    throw e instanceof CodecError ? e : new CodecError('channel tx: not JSON');
  }
  if (!tx || typeof tx !== 'object') throw new CodecError('channel tx: not an object');
  const p = requestProblem(tx.req);
  if (p) throw new CodecError(p);
  if (!isInt(tx.submitter) || !isSig(tx.auth) || !isInt(tx.height) || !Number.isSafeInteger(tx.priorVersion) || tx.priorVersion < -1) throw new CodecError('channel tx: header');
  if (tx.prior !== null && (typeof tx.prior !== 'object' || !isInt(tx.prior.a) || !isInt(tx.prior.b))) throw new CodecError('channel tx: prior');
  return tx;
}

// ---- the contract ------------------------------------------------------------------------------

/** What the contract needs from the run: keys and the funding model. */
export interface ChannelLedgerEnv {
  /** Ed25519 public key of a node. */
  nodeKey(node: NodeId): Uint8Array | undefined;
  readonly funding: 'encrypted' | 'public';
  /** The Paillier key of a party's encrypted balance (encrypted funding). */
  paillierKey(party: NodeId): PaillierPublicKey | undefined;
  /** Ring-Pedersen setup for the range proof, and ℓ. */
  readonly setup?: RingPedersenParams;
  readonly amountBits: number;
  /** Called before each proof verification (the executing node charges CPU time). */
  onVerify?(kind: 'fund' | 'signature'): void;
}

export const accountOf = (party: NodeId) => `party/${party}`;

/** Context bound into a fund's proofs: party, version, deposits. */
export function fundContext(party: NodeId, version: number, deposits: readonly Deposit[]): Uint8Array {
  return new TextEncoder().encode(`channels/fund|${party}|${version}|${deposits.map((d) => `${d.channel}:${d.amount}`).join(',')}`);
}

export const fundTotal = (deposits: readonly Deposit[]) => deposits.reduce((s, d) => s + d.amount, 0n);

export function parseSigned(text: string): SignedState {
  return decodeJson(text) as SignedState;
}

/** The new channel object and the payouts a transaction produces (pure function of the tx). */
export interface Effect {
  readonly object: ChannelObject;
  readonly payA: bigint;
  readonly payB: bigint;
}

export class ChannelChaincode implements Chaincode<ChannelTx> {
  readonly name = CHANNEL_CHAINCODE;

  constructor(protected readonly env: ChannelLedgerEnv) {}

  decode(body: Uint8Array): ChannelTx {
    return decodeTx(body);
  }

  rwset(tx: ChannelTx): RwSet {
    const r = tx.req;
    if (r.op === 'fund') {
      const pk = this.env.paillierKey(r.party);
      return {
        reads: [{ key: balanceKey(accountOf(r.party)), version: r.version }, ...r.deposits.map((d) => ({ key: depositKey(d.channel, r.party), version: -1 }))],
        writes: [
          ...(pk ? [{ key: balanceKey(accountOf(r.party)), put: { kind: 'ciphertext' as const, ciphertext: r.newBalance, publicKey: pk } }] : []),
          ...r.deposits.map((d) => ({ key: depositKey(d.channel, r.party), put: { kind: 'data' as const, data: { amount: d.amount.toString(), used: false } } })),
        ],
      };
    }
    if (r.op === 'open') {
      const reads = [{ key: depositKey(r.channel, r.a), version: 0 }, { key: depositKey(r.channel, r.b), version: 0 }, { key: channelKey(r.channel), version: -1 }];
      const object: ChannelObject = { a: r.a, b: r.b, depositA: r.depositA.toString(), depositB: r.depositB.toString(), window: r.window, status: 'open' };
      return {
        reads,
        writes: [
          { key: depositKey(r.channel, r.a), put: { kind: 'data', data: { amount: r.depositA.toString(), used: true } } },
          { key: depositKey(r.channel, r.b), put: { kind: 'data', data: { amount: r.depositB.toString(), used: true } } },
          { key: channelKey(r.channel), put: { kind: 'data', data: object } },
        ],
      };
    }
    const eff = this.effect(tx);
    const writes: WriteEntry[] = [{ key: channelKey(r.channel), put: { kind: 'data', data: eff?.object ?? tx.prior } }];
    if (eff && eff.object.status === 'closed' && tx.prior) writes.push(...this.payouts(r.channel, tx.prior, eff.payA, eff.payB));
    return { reads: [{ key: channelKey(r.channel), version: tx.priorVersion }], writes };
  }

  private payouts(channel: string, o: ChannelObject, payA: bigint, payB: bigint): WriteEntry[] {
    if (this.env.funding === 'public') {
      return [
        { key: payoutKey(channel, 'a'), put: { kind: 'data', data: { amount: payA.toString() } } },
        { key: payoutKey(channel, 'b'), put: { kind: 'data', data: { amount: payB.toString() } } },
      ];
    }
    const out: WriteEntry[] = [];
    for (const [node, x] of [[o.a, payA], [o.b, payB]] as const) {
      const pk = this.env.paillierKey(node);
      // a public payout x to an encrypted balance: the deterministic E(x; 1) = 1 + x·n, which anyone recomputes
      if (pk) out.push({ key: balanceKey(accountOf(node)), addCiphertext: encryptWithNonce(pk, x, 1n) });
    }
    return out;
  }

  /** Capacity of a channel object. */
  static capacity(o: ChannelObject): bigint {
    return BigInt(o.depositA) + BigInt(o.depositB);
  }

  /** Last height at which an HTLC of the published state may still be claimed, and settle is due after. */
  static settleAfter(o: ChannelObject): number {
    const s = parseSigned(o.published!).state;
    return Math.max(o.deadline!, ...s.htlcs.map((h) => h.expiry));
  }

  /**
   * The effect of close / dispute / claim / settle on the prior object, or undefined when the
   * transaction is not applicable (the endorser refuses it). Seams for mutants: `newerState`,
   * `penalty`.
   */
  effect(tx: ChannelTx): Effect | undefined {
    const r = tx.req;
    const o = tx.prior;
    if (!o || r.op === 'fund' || r.op === 'open') return undefined;
    const cap = ChannelChaincode.capacity(o);
    if (r.op === 'close') {
      if (o.status !== 'open' || r.signed.state.channel !== r.channel || stateValue(r.signed.state) !== cap) return undefined;
      if (r.cooperative) {
        if (r.signed.state.htlcs.length > 0) return undefined;
        const { balanceA, balanceB } = r.signed.state;
        return { object: { ...o, status: 'closed', published: encodeJson(r.signed), outcome: 'cooperative', paidA: balanceA.toString(), paidB: balanceB.toString() }, payA: balanceA, payB: balanceB };
      }
      return { object: { ...o, status: 'closing', published: encodeJson(r.signed), closedBy: r.by, closeHeight: tx.height, deadline: tx.height + o.window, claims: {} }, payA: 0n, payB: 0n };
    }
    if (o.status !== 'closing') return undefined;
    const published = parseSigned(o.published!);
    if (r.op === 'dispute') {
      if (tx.height > o.deadline!) return undefined;
      const closer = o.closedBy!;
      if (r.revocationSecret !== undefined) {
        const rev = closer === 'a' ? published.state.revA : published.state.revB;
        if (revocationHash(r.revocationSecret) !== rev) return undefined;
        return this.penalty(o, other(closer), cap);
      }
      const newer = r.newer!;
      if (newer.state.seq <= published.state.seq || stateValue(newer.state) !== cap) return undefined;
      return this.newerState(o, newer);
    }
    if (r.op === 'claim') {
      const h = published.state.htlcs.find((x) => x.id === r.htlcId);
      if (!h || tx.height > h.expiry || sha256hex(Buffer.from(r.preimage, 'hex')) !== h.hash || o.claims?.[h.id] !== undefined) return undefined;
      return { object: { ...o, claims: { ...o.claims, [h.id]: r.preimage } }, payA: 0n, payB: 0n };
    }
    // settle
    if (tx.height <= ChannelChaincode.settleAfter(o)) return undefined;
    let payA = published.state.balanceA;
    let payB = published.state.balanceB;
    for (const h of published.state.htlcs) {
      const toRecipient = o.claims?.[h.id] !== undefined;
      const side = toRecipient ? other(h.offerer) : h.offerer;
      if (side === 'a') payA += h.amount;
      else payB += h.amount;
    }
    return { object: { ...o, status: 'closed', outcome: 'settled', paidA: payA.toString(), paidB: payB.toString() }, payA, payB };
  }

  /** A newer fully signed state replaces the published one (the deadline stays). */
  protected newerState(o: ChannelObject, newer: SignedState): Effect | undefined {
    return { object: { ...o, published: encodeJson(newer), claims: {} }, payA: 0n, payB: 0n };
  }

  /** Revocation secret shown: the honest side takes the whole channel. */
  protected penalty(o: ChannelObject, honest: Side, cap: bigint): Effect {
    const payA = honest === 'a' ? cap : 0n;
    const payB = cap - payA;
    return { object: { ...o, status: 'closed', outcome: 'penalty', penaltyTo: honest, paidA: payA.toString(), paidB: payB.toString() }, payA, payB };
  }

  wellFormed(tx: ChannelTx, state: StateView): boolean {
    const r = tx.req;
    if (r.op === 'fund') {
      const pk = this.env.paillierKey(r.party);
      if (this.env.funding !== 'encrypted' || !pk) return false;
      return state.get(balanceKey(accountOf(r.party)))?.value.kind === 'ciphertext' && isValidCiphertext(pk, r.newBalance);
    }
    if (r.op === 'open') return true;
    return tx.prior !== null && tx.priorVersion >= 0;
  }

  simulate(tx: ChannelTx, txId: string, _authorization: string, state: StateView): Simulation {
    const r = tx.req;
    if (!this.wellFormed(tx, state)) return { ok: false, reason: 'malformed' };
    if (state.committed(txId)) return { ok: false, reason: 'duplicate' };
    if (tx.height !== state.height + 1) return { ok: false, reason: 'height' };
    // the submitter authorises its request
    this.env.onVerify?.('signature');
    if (!verifySig(this.env.nodeKey(tx.submitter), requestDigest(r), tx.auth)) return { ok: false, reason: 'authorization' };
    if (r.op === 'fund') {
      if (tx.submitter !== r.party) return { ok: false, reason: 'authorization' };
      const cur = state.get(balanceKey(accountOf(r.party)))!;
      if (cur.version !== r.version || (cur.value.kind === 'ciphertext' && cur.value.ciphertext !== r.oldBalance)) return { ok: false, reason: 'stale' };
      for (const d of r.deposits) if (state.get(depositKey(d.channel, r.party))) return { ok: false, reason: 'deposit exists' };
      const pk = this.env.paillierKey(r.party)!;
      const context = fundContext(r.party, r.version, r.deposits);
      this.env.onVerify?.('fund');
      const okBalance = verifyBalanceUpdate({ publicKey: pk, oldBalance: r.oldBalance, transfer: encryptWithNonce(pk, fundTotal(r.deposits), 1n), newBalance: r.newBalance, context }, r.elahe);
      const okRange = !!this.env.setup && verifyRange({ publicKey: pk, ciphertext: r.newBalance, bits: this.env.amountBits, setup: this.env.setup, context }, r.range);
      return okBalance && okRange ? { ok: true } : { ok: false, reason: 'proof' };
    }
    if (r.op === 'open') {
      for (const [p, d] of [[r.a, r.depositA], [r.b, r.depositB]] as const) {
        const e = state.get(depositKey(r.channel, p));
        if (!e) return { ok: false, reason: 'behind', behind: true };
        const data = e.value.kind === 'data' ? (e.value.data as { amount: string; used: boolean }) : undefined;
        if (!data || data.used || data.amount !== d.toString() || e.version !== 0) return { ok: false, reason: 'deposit' };
      }
      if (state.get(channelKey(r.channel))) return { ok: false, reason: 'channel exists' };
      const terms = openTermsDigest(r.channel, r.a, r.b, r.depositA, r.depositB, r.window);
      this.env.onVerify?.('signature');
      this.env.onVerify?.('signature');
      if (!verifySig(this.env.nodeKey(r.a), terms, r.sigA) || !verifySig(this.env.nodeKey(r.b), terms, r.sigB)) return { ok: false, reason: 'open signatures' };
      return { ok: true };
    }
    const cur = state.get(channelKey(r.channel));
    if (!cur || cur.version !== tx.priorVersion || encodeJson(cur.value.kind === 'data' ? cur.value.data : null) !== encodeJson(tx.prior)) return { ok: false, reason: 'prior' };
    const o = tx.prior!;
    const keyA = this.env.nodeKey(o.a)!;
    const keyB = this.env.nodeKey(o.b)!;
    if (r.op === 'close') {
      if (tx.submitter !== (r.by === 'a' ? o.a : o.b)) return { ok: false, reason: 'authorization' };
      this.env.onVerify?.('signature');
      this.env.onVerify?.('signature');
      // a cooperative close needs closing signatures (BOLT 2 closing_signed), never update signatures:
      // otherwise an old, revoked state without HTLCs would pay out at once, with no dispute window
      const ok = r.cooperative
        ? verifyClosing(r.signed.state, r.signed.sigA, keyA) && verifyClosing(r.signed.state, r.signed.sigB, keyB)
        : fullySigned(r.signed, keyA, keyB);
      if (!ok) return { ok: false, reason: 'state signatures' };
    }
    if (r.op === 'dispute' && r.newer) {
      this.env.onVerify?.('signature');
      this.env.onVerify?.('signature');
      if (!fullySigned(r.newer, keyA, keyB)) return { ok: false, reason: 'state signatures' };
    }
    return this.effect(tx) ? { ok: true } : { ok: false, reason: `${r.op} not applicable` };
  }
}
