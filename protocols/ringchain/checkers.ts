/**
 * Invariant checkers of the ringchain (observers of honest nodes' `tip` and `reorg` observations,
 * protocols/nakamoto/node.ts). Each one judges from what the chain commits to — headers, tx
 * bytes, the contract storage after each block — and keeps its own bookkeeping, so a broken rule
 * in the chain's own code (a mutant) cannot hide the violation from it.
 *
 * - `state-root-agreement` (safety): (a) every block an honest node adopts commits (header
 *   stateRoot) to the root of the state that node obtains by executing it; (b) honest nodes agree
 *   on the state root at every height both hold at least `confirmedDepth` deep.
 * - `key-image-nonce-once` (safety): along every honest node's chain, no (key image, nonce) pair
 *   is executed twice (decoded from the txs' bytes).
 * - `owner-only-authorisation` (safety): an MRC's authorisation list changes in a block only if a
 *   tx of that block from the MRC's owner (pseudonym) called it, and no successful
 *   warrant / unwarrant call to it came from anyone else.
 * - `alc-consistency` (safety): after every block an honest node adopts, every ALC's list equals
 *   the set of MRCs whose authorisation list names it (seed 001 Protocol 3: an unwarrant removes
 *   the institution's entry automatically).
 * - `unwarrant-not-reversed` (safety): no honest node disconnects a block holding a successful
 *   `unwarrant` with ≥ `confirmedDepth` confirmations unless its new chain holds the same tx — the
 *   medical harm of a 51 % attack: a revoked institution regains access.
 * Every check is computed once per block (memoised by hash) however many nodes adopt it.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { NodeId, Observation, Observer, Violation } from '../../sim/types.ts';
import { disconnectedConfirmed } from '../nakamoto/checkers.ts';
import { Layered } from '../pow/layered.ts';
import { contractReader, contractTxData, type Address } from './contracts/index.ts';
import { callSelector } from './contracts/txdata.ts';
import type { RingChain, RingEntry } from './chain.ts';
import { decodeTx, type RingTx } from './tx.ts';

const SEL_WARRANT = callSelector(contractTxData.warrant('0x0000000000000000000000000000000000000000' as Address))!;
const SEL_UNWARRANT = callSelector(contractTxData.unwarrant('0x0000000000000000000000000000000000000000' as Address))!;

function blockTxs(e: RingEntry): RingTx[] {
  const out: RingTx[] = [];
  for (const t of e.block.txs) {
    const d = decodeTx(t.bytes);
    if (!('reason' in d)) out.push(d);
  }
  return out;
}

/**
 * A checker whose verdict on a chain is the first violation of any of its blocks: `check` runs
 * once per block (memoised by hash, oldest first), the chain's verdict is inherited from the parent.
 */
abstract class PerBlockChecker implements Observer {
  abstract readonly name: string;
  /** Per block hash: the first violation on the chain ending there, or null. */
  private readonly chainVerdicts = new Map<string, string | null>();
  constructor(protected readonly isHonest: (node: NodeId) => boolean) {}

  protected abstract check(e: RingEntry): string | null;

  protected verdict(tip: RingEntry): string | null {
    const pending: RingEntry[] = [];
    for (let e: RingEntry | null = tip; e && e.parent && !this.chainVerdicts.has(e.hash); e = e.parent) pending.push(e);
    for (let i = pending.length - 1; i >= 0; i--) {
      const e = pending[i];
      const inherited = e.parent!.parent ? this.chainVerdicts.get(e.parent!.hash)! : null;
      this.chainVerdicts.set(e.hash, inherited ?? this.check(e));
    }
    return tip.parent ? this.chainVerdicts.get(tip.hash)! : null;
  }

  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'tip' || !this.isHonest(node)) return undefined;
    const v = this.verdict(obs.entry as RingEntry);
    return v ? { kind: 'safety', invariant: this.name, message: `node ${node}: ${v}` } : undefined;
  }
}

export class StateRootAgreement implements Observer {
  readonly name = 'state-root-agreement';
  private readonly own = new Map<string, string | null>();
  /** Root at each height as the first honest node holding it ≥ depth deep saw it. */
  private readonly settled = new Map<number, { root: string; node: NodeId }>();
  constructor(
    private readonly chain: RingChain,
    readonly depth: number,
    private readonly isHonest: (node: NodeId) => boolean,
  ) {}

  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'tip' || !this.isHonest(node)) return undefined;
    const tip = obs.entry as RingEntry;
    for (let e: RingEntry | null = tip; e && e.parent; e = e.parent) {
      let v = this.own.get(e.hash);
      if (v === undefined) {
        const committed = bytesToHex(this.chain.header(e.block)!.stateRoot);
        const computed = bytesToHex(e.state.root());
        v = committed === computed ? null : `adopted block ${e.hash.slice(0, 12)} at height ${e.height} commits to state root ${committed.slice(0, 12)}… but executing it gives ${computed.slice(0, 12)}…`;
        this.own.set(e.hash, v);
      } else if (v === null) break;
      if (v) return { kind: 'safety', invariant: this.name, message: `node ${node}: ${v}` };
    }
    const h = tip.height - this.depth + 1;
    if (h >= 1) {
      const root = bytesToHex(this.chain.header(tip.ancestor(h).block)!.stateRoot);
      const s = this.settled.get(h);
      if (!s) this.settled.set(h, { root, node });
      else if (s.root !== root) {
        return { kind: 'safety', invariant: this.name, message: `nodes ${s.node} and ${node} hold different state roots at height ${h} (≥ ${this.depth} deep): ${s.root.slice(0, 12)}… vs ${root.slice(0, 12)}…` };
      }
    }
    return undefined;
  }
}

export class KeyImageNonceOnce extends PerBlockChecker {
  readonly name = 'key-image-nonce-once';
  /** Per block hash: the pairs executed on its chain, "keyImage:nonce" → height (the checker's own record). */
  private readonly executed = new Map<string, Layered<number>>();

  protected check(e: RingEntry): string | null {
    // Parents are checked first (PerBlockChecker), so the parent's record exists unless it is genesis.
    const parent = this.executed.get(e.parent!.hash);
    const mine = parent ? parent.derive() : Layered.empty<number>();
    let verdict: string | null = null;
    for (const tx of blockTxs(e)) {
      const key = `${tx.keyImageHex}:${tx.nonce}`;
      const prev = mine.get(key);
      if (prev !== undefined && verdict === null) verdict = `(key image ${tx.keyImageHex.slice(0, 12)}…, nonce ${tx.nonce}) executed at height ${prev} and again at height ${e.height}`;
      mine.set(key, e.height);
    }
    this.executed.set(e.hash, mine);
    return verdict;
  }
}

export class OwnerOnlyAuthorisation extends PerBlockChecker {
  readonly name = 'owner-only-authorisation';
  protected check(e: RingEntry): string | null {
    const before = e.parent!.state.contracts;
    const after = e.state.contracts;
    const txs = blockTxs(e);
    const statusById = new Map(e.state.receipts.map((r) => [r.txid, r.status]));
    const targets = new Set<Address>();
    for (const tx of txs) if (tx.to) targets.add(tx.to);
    for (const mrc of [...targets].sort()) {
      const now = contractReader.record(after, mrc);
      if (!now) continue;
      const was = contractReader.record(before, mrc);
      const changed = !was || !sameSet(was.authorised, now.authorised);
      for (const tx of txs) {
        if (tx.to !== mrc || statusById.get(tx.txid) !== 'success') continue;
        const sel = callSelector(tx.data);
        if ((sel === SEL_WARRANT || sel === SEL_UNWARRANT) && tx.sender !== now.owner) {
          return `MRC ${mrc} authorisation call by ${tx.sender}, not its owner ${now.owner}, succeeded at height ${e.height}`;
        }
      }
      if (was && changed && !txs.some((tx) => tx.to === mrc && tx.sender === now.owner)) {
        return `MRC ${mrc}'s authorisation list changed at height ${e.height} without a tx from its owner ${now.owner}`;
      }
    }
    return null;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

export class AlcConsistency extends PerBlockChecker {
  readonly name = 'alc-consistency';
  protected check(e: RingEntry): string | null {
    const state = e.state.contracts;
    const warrants = contractReader.warrantsByAccessList(state);
    for (const address of state.addresses()) {
      const alc = contractReader.accessList(state, address);
      if (!alc) continue;
      const expected = warrants.get(address) ?? [];
      if (!sameSet(alc.records, expected)) {
        const extra = alc.records.filter((m) => !expected.includes(m));
        return `after height ${e.height}, ALC ${address} (institution ${alc.institution}) lists ${alc.records.length} MRCs but ${expected.length} warrant it${extra.length ? ` (not warranting: ${extra.slice(0, 2).join(', ')})` : ''}`;
      }
    }
    return null;
  }
}

export class UnwarrantNotReversed implements Observer {
  readonly name = 'unwarrant-not-reversed';
  constructor(
    readonly depth: number,
    private readonly isHonest: (node: NodeId) => boolean,
  ) {}

  onObservation(node: NodeId, obs: Observation): Violation | undefined {
    if (obs.kind !== 'reorg' || !this.isHonest(node)) return undefined;
    for (const { entry: x, confirmations, oldTip, newTip, fork } of disconnectedConfirmed<RingEntry>(obs, this.depth)) {
      const ok = new Set(x.state.receipts.filter((r) => r.status === 'success').map((r) => r.txid));
      for (const tx of blockTxs(x)) {
        if (!tx.to || callSelector(tx.data) !== SEL_UNWARRANT || !ok.has(tx.txid)) continue;
        if (newTip.state.txIndex.get(tx.txid) === undefined) {
          return { kind: 'safety', invariant: this.name, message: `node ${node} reversed unwarrant ${tx.txid.slice(0, 16)} on MRC ${tx.to} with ${confirmations} confirmations (≥ ${this.depth}): reorg from height ${oldTip.height} to ${newTip.height} at fork ${fork.height}` };
        }
      }
    }
    return undefined;
  }
}
