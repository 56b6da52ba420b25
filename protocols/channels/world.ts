/**
 * What every node of a channels run shares (built once by module.ts from the scenario): the node
 * layout, Ed25519 keys, the parties' Paillier keys and genesis balances (encrypted funding), the
 * channel definitions with their policies, timing, and CPU costs. Immutable once built.
 */
import { generateKeyPair, sign as edSign, type Ed25519KeyPair } from '../crypto/ed25519.ts';
import type { PaillierKeyPair } from '../crypto/paillier.ts';
import { seededRandom } from '../crypto/random.ts';
import type { RingPedersenSetup } from '../crypto/ring-pedersen.ts';
import type { Micros, NodeId } from '../../sim/types.ts';
import type { StateValue } from '../settlement/ledger.ts';
import { balanceKey } from '../settlement/pay-chaincode.ts';
import { accountOf, depositKey, sigBytes } from './chaincode.ts';
import type { ChannelGraph, ChannelPolicy } from './graph.ts';

export interface ChannelDef {
  readonly id: string;
  readonly a: NodeId;
  readonly b: NodeId;
  readonly depositA: bigint;
  readonly depositB: bigint;
}

/** CPU time charged per operation, µs (from the cost table; 0 when charging is off). */
export interface ChannelCosts {
  signUs: Micros;
  verifyUs: Micros;
  /** Build a fund transaction's proofs (EL-AHE + range), charged as one settlement proof. */
  fundProveUs: Micros;
  /** Verify them, at the executing node. */
  fundVerifyUs: Micros;
}

export interface ChannelTiming {
  /** Chain block interval, µs: block k is cut at k · blockUs. */
  blockUs: Micros;
  /** Dispute window, blocks. */
  disputeBlocks: number;
  /** An unanswered update is resent (and the peer marked unreachable) after this long, µs. */
  updateTimeoutUs: Micros;
  /** A payment not settled this long after it started counts as timed out, µs. */
  paymentTimeoutUs: Micros;
  /** Go on chain when a pending HTLC is this many blocks from its expiry. */
  expiryMarginBlocks: number;
  /** Requests the chain cannot execute yet (deposits not funded) wait this many blocks. */
  chainWaitBlocks: number;
}

export interface ChannelWorld {
  readonly chain: NodeId;
  readonly parties: readonly NodeId[];
  readonly towers: readonly NodeId[];
  /** Watchtower of a party, if it is watched. */
  readonly towerOf: ReadonlyMap<NodeId, NodeId>;
  readonly channels: readonly ChannelDef[];
  readonly policy: ChannelPolicy;
  readonly finalCltvDelta: number;
  /** Most HTLCs a party may have offered and pending on one channel (BOLT 2 max_accepted_htlcs). */
  readonly maxHtlcs: number;
  /** Most payment attempts (routes tried) per payment. */
  readonly maxAttempts: number;
  /** Longest route, hops. */
  readonly maxHops: number;
  /** Most operations batched into one update. */
  readonly maxOpsPerUpdate: number;
  readonly funding: 'encrypted' | 'public';
  readonly amountBits: number;
  readonly timing: ChannelTiming;
  readonly costs: ChannelCosts;
  /** Nodes running an adversary (not honest: the honesty invariants skip them). */
  readonly adversarial: ReadonlySet<NodeId>;
  key(node: NodeId): Ed25519KeyPair;
  paillier(party: NodeId): PaillierKeyPair | undefined;
  readonly setup?: RingPedersenSetup;
  /** Genesis encrypted balance of each party (encrypted funding). */
  readonly genesisBalances: ReadonlyMap<NodeId, bigint>;
  /** Genesis plaintext balance of each party (amount units). */
  readonly genesisAmount: bigint;
  /** Public graph every party routes on (gossip not modelled). */
  readonly graph: ChannelGraph;
  /** The graph's edge of a channel. */
  edge(channel: string): ChannelGraph['channels'][number];
}

export function nodeKeys(seed: number | string, nodes: number): Ed25519KeyPair[] {
  const out: Ed25519KeyPair[] = [];
  for (let i = 0; i < nodes; i++) out.push(generateKeyPair(seededRandom(`channels/${seed}`, `ed25519/${i}`)));
  return out;
}

export function signDigest(w: ChannelWorld, node: NodeId, digestHex: string): string {
  return Buffer.from(edSign(sigBytes(digestHex), w.key(node).secretKey)).toString('hex');
}

/** The ledger's genesis: encrypted balances (encrypted funding) or funded deposits (public). */
export function genesisState(w: ChannelWorld): Map<string, StateValue> {
  const m = new Map<string, StateValue>();
  if (w.funding === 'encrypted') {
    for (const p of w.parties) {
      const kp = w.paillier(p)!;
      m.set(balanceKey(accountOf(p)), { kind: 'ciphertext', ciphertext: w.genesisBalances.get(p)!, publicKey: kp.publicKey });
    }
  } else {
    for (const c of w.channels) {
      m.set(depositKey(c.id, c.a), { kind: 'data', data: { amount: c.depositA.toString(), used: false } });
      m.set(depositKey(c.id, c.b), { kind: 'data', data: { amount: c.depositB.toString(), used: false } });
    }
  }
  return m;
}

/** Total value at genesis (amount units): what value conservation compares against. */
export function totalSupply(w: ChannelWorld): bigint {
  if (w.funding === 'encrypted') return w.genesisAmount * BigInt(w.parties.length);
  return w.channels.reduce((s, c) => s + c.depositA + c.depositB, 0n);
}

export const heightAt = (w: ChannelWorld, now: Micros) => Math.floor(now / w.timing.blockUs);
