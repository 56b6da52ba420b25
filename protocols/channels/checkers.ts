/**
 * The channel invariants (issue 13). Each is an observer of the run; each has a test in
 * test/channels/ showing it fires on a real violation (a mutant's run), and `medsim check`'s
 * channels-safety suite proves the mutants against them.
 *
 * - `channel-balance`: every fully signed state a party holds puts exactly the channel's capacity
 *   in its balances and pending HTLCs (seed 002 §3.4: the balances of a state sum to the deposit).
 * - `honest-balance`: when a channel closes on chain, an honest party that was online — or had an
 *   online watchtower — at some point of the dispute window but its last block is paid at least its balance in the
 *   latest state it holds signed by both (pending HTLCs aside: they may go either way).
 * - `htlc-atomicity`: an honest node that forwarded a payment and paid downstream (its outgoing
 *   HTLC was fulfilled) held, before that, a co-signed state with the incoming HTLC of the same
 *   hash for at least the amount it paid — so it can always collect upstream (BOLT 4's "a node
 *   never forwards what it has not locked").
 * - `value-conservation`: after every block, plaintext encrypted balances (decrypted with every
 *   party's key: the checker is omniscient) + unspent deposits + capacity of channels not yet
 *   closed + public payouts equal the total at genesis.
 */
import type { Micros, NodeId, Observation, Observer, Violation } from '../../sim/types.ts';
import { decrypt } from '../crypto/paillier.ts';
import type { Ledger, TxOutcome } from '../settlement/ledger.ts';
import { ChannelChaincode, type ChannelObject } from './chaincode.ts';
import type { Htlc, Side } from './state.ts';
import { totalSupply, type ChannelWorld } from './world.ts';

export const INVARIANTS = ['channel-balance', 'honest-balance', 'htlc-atomicity', 'value-conservation'] as const;

export function channelBalanceChecker(): Observer {
  return {
    name: 'channel-balance',
    onObservation(node: NodeId, obs: Observation): Violation | undefined {
      if (obs.kind !== 'signed-state') return undefined;
      const value = obs.value as bigint;
      const capacity = obs.capacity as bigint;
      if (value === capacity) return undefined;
      return { kind: 'safety', invariant: 'channel-balance', node, message: `party ${node} holds a state of channel ${obs.channel} (seq ${obs.seq}) signed by both whose balances and HTLCs sum to ${value}, but the deposits were ${capacity}` };
    },
  };
}

/** Offline intervals of a node, µs (from the scenario's crash faults). */
export type Downtime = ReadonlyMap<NodeId, readonly { from: Micros; to: Micros }[]>;

export function onlineSometime(down: Downtime, node: NodeId, from: Micros, to: Micros): boolean {
  const iv = [...(down.get(node) ?? [])].sort((x, y) => x.from - y.from);
  let t = from;
  for (const d of iv) {
    if (d.to <= t) continue;
    if (d.from > t) return true; // a gap before this downtime
    t = d.to;
    if (t >= to) return false;
  }
  return t < to;
}

export function honestBalanceChecker(w: ChannelWorld, down: Downtime): Observer {
  const latest = new Map<string, { seq: number; balance: bigint }>(); // `${party}/${channel}`
  const closingAt = new Map<string, Micros>();
  return {
    name: 'honest-balance',
    onObservation(node: NodeId, obs: Observation, now: Micros): Violation | undefined {
      if (obs.kind === 'signed-state') {
        const k = `${obs.party}/${obs.channel}`;
        const cur = latest.get(k);
        if (!cur || (obs.seq as number) > cur.seq) latest.set(k, { seq: obs.seq as number, balance: obs.balance as bigint });
        return undefined;
      }
      if (obs.kind !== 'channels-block') return undefined;
      for (const e of obs.events as { channel: string; object: ChannelObject | null; before: ChannelObject | null }[]) {
        const o = e.object;
        if (!o) continue;
        if (o.status === 'closing' && e.before?.status === 'open') closingAt.set(e.channel, now);
        if (o.status !== 'closed' || e.before?.status === 'closed') continue;
        const start = closingAt.get(e.channel) ?? now;
        // to answer, a party must be up at least one block before the window closes (its dispute
        // has to reach a block inside the window)
        const end = o.outcome === 'cooperative' ? now : start + (o.window - 1) * w.timing.blockUs;
        for (const side of ['a', 'b'] as Side[]) {
          const party = side === 'a' ? o.a : o.b;
          if (w.adversarial.has(party)) continue;
          const l = latest.get(`${party}/${e.channel}`);
          if (!l) continue;
          const tower = w.towerOf.get(party);
          const protectedNow = onlineSometime(down, party, start, end) || (tower !== undefined && onlineSometime(down, tower, start, end));
          if (!protectedNow) continue;
          const paid = BigInt((side === 'a' ? o.paidA : o.paidB) ?? '0');
          if (paid < l.balance) {
            return { kind: 'safety', invariant: 'honest-balance', node, message: `channel ${e.channel} closed (${o.outcome}) paying honest party ${party} ${paid}, less than its balance ${l.balance} in the latest state it holds (seq ${l.seq}); it was ${onlineSometime(down, party, start, end) ? 'online' : 'watched'} during the dispute window` };
          }
        }
      }
      return undefined;
    },
  };
}

export function htlcAtomicityChecker(w: ChannelWorld): Observer {
  const lockedIn = new Map<string, bigint>(); // `${node}/${hash}` → largest incoming HTLC held in a co-signed state
  const forwards = new Map<string, { hash: string; outAmount: bigint }>(); // `${node}/${outChannel}/${outHtlc}`
  return {
    name: 'htlc-atomicity',
    onObservation(node: NodeId, obs: Observation): Violation | undefined {
      if (obs.kind === 'signed-state') {
        for (const h of obs.htlcs as Htlc[]) {
          if (h.offerer === obs.side) continue;
          const k = `${obs.party}/${h.hash}`;
          if ((lockedIn.get(k) ?? -1n) < h.amount) lockedIn.set(k, h.amount);
        }
      } else if (obs.kind === 'forward') {
        forwards.set(`${obs.node}/${obs.outChannel}/${obs.outHtlc}`, { hash: obs.hash as string, outAmount: obs.outAmount as bigint });
      } else if (obs.kind === 'htlc-resolved' && obs.dir === 'out' && obs.outcome === 'fulfilled') {
        const f = forwards.get(`${obs.node}/${obs.channel}/${obs.id}`);
        const n = obs.node as NodeId;
        if (!f || w.adversarial.has(n)) return undefined;
        const held = lockedIn.get(`${n}/${f.hash}`);
        if (held === undefined || held < f.outAmount) {
          return { kind: 'safety', invariant: 'htlc-atomicity', node: n, message: `node ${n} paid ${f.outAmount} downstream for hash ${f.hash.slice(0, 12)}… on channel ${obs.channel}, but never held a co-signed incoming HTLC for it${held === undefined ? '' : ` of at least that amount (largest ${held})`}: it cannot collect upstream` };
        }
      }
      return undefined;
    },
  };
}

/** Plaintext value of every ledger key that holds value (decrypting balances with the owners' keys). */
export function ledgerValue(w: ChannelWorld, ledger: Ledger): { total: bigint; parts: Record<string, bigint> } {
  const parts: Record<string, bigint> = { balances: 0n, deposits: 0n, channels: 0n, payouts: 0n };
  for (const key of ledger.keys()) parts[classify(key)] = (parts[classify(key)] ?? 0n) + valueOf(w, key, ledger.get(key)!.value);
  const total = Object.values(parts).reduce((s, x) => s + x, 0n);
  return { total, parts };
}

function classify(key: string): string {
  return key.startsWith('balance/') ? 'balances' : key.startsWith('deposit/') ? 'deposits' : key.startsWith('channel/') ? 'channels' : key.startsWith('payout/') ? 'payouts' : 'other';
}

function valueOf(w: ChannelWorld, key: string, v: { kind: string; ciphertext?: bigint; data?: unknown }): bigint {
  if (key.startsWith('balance/party/')) {
    const kp = w.paillier(Number(key.slice('balance/party/'.length)));
    return kp && v.kind === 'ciphertext' ? decrypt(kp.privateKey, v.ciphertext!) : 0n;
  }
  if (key.startsWith('deposit/')) {
    const d = v.data as { amount: string; used: boolean };
    return d.used ? 0n : BigInt(d.amount);
  }
  if (key.startsWith('channel/')) {
    const o = v.data as ChannelObject;
    return o.status === 'closed' ? 0n : ChannelChaincode.capacity(o);
  }
  if (key.startsWith('payout/')) return BigInt((v.data as { amount: string }).amount);
  return 0n;
}

export function valueConservationChecker(w: ChannelWorld, ledger: () => Ledger): Observer {
  const supply = totalSupply(w);
  const values = new Map<string, bigint>();
  let total: bigint | undefined;
  return {
    name: 'value-conservation',
    onObservation(node: NodeId, obs: Observation): Violation | undefined {
      if (obs.kind !== 'channels-block') return undefined;
      if (total === undefined) {
        // first block: the state before it is genesis (every key at version 0 or written now)
        const l = ledger();
        total = 0n;
        for (const key of l.keys()) {
          const x = valueOf(w, key, l.get(key)!.value);
          values.set(key, x);
          total += x;
        }
      } else {
        for (const o of obs.outcomes as TxOutcome[]) {
          for (const c of o.changes) {
            const x = valueOf(w, c.key, c.after.value);
            total += x - (values.get(c.key) ?? 0n);
            values.set(c.key, x);
          }
        }
      }
      if (total === supply) return undefined;
      return { kind: 'safety', invariant: 'value-conservation', node, message: `after block ${obs.height} the ledger and channels hold ${total} (balances, deposits, open channels, payouts), but the supply is ${supply}` };
    },
  };
}
