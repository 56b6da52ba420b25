/**
 * The ringchain's world state after a block (yellow paper §4.1, σ), persistent and shared:
 *
 *   accounts   externally owned accounts by sender pseudonym: nonce and balance (wei);
 *   contracts  the RC / MRC / ALC accounts (protocols/ringchain/contracts/, copy-on-write);
 *   keys       enrolled ring-member public keys (hex) → height of the block that enrolled them;
 *   txIndex    txid → height of the block that executed it;
 *   receipts   the block's own receipts (status, gas, events), for metrics and checkers.
 *
 * State root = KEC(accountsCommitment ‖ contracts.commitment() ‖ keysCommitment). The accounts
 * commitment uses the contract state's bucket scheme (world-state.ts): 256 buckets by the
 * address's first byte, each KEC(‖ address ‖ nonce ‖ balance over its accounts in address order),
 * commitment = KEC(‖ the 256 bucket digests); a block rehashes only the buckets it touched. The
 * keys commitment is a running hash: KEC(parent keys commitment ‖ keys enrolled by the block, in
 * order) — equal histories give equal roots, and a block that enrols anything else changes it.
 * Not a Merkle Patricia trie (no proofs are needed inside the simulator); a wrong root in a
 * header is still detected, since every node recomputes it (chain.ts `connect`).
 */
import { keccak256 } from '../crypto/hash.ts';
import { Layered } from '../pow/layered.ts';
import { addressToBytes, type Address, type ContractEvent, type ContractWorldState, type ExecStatus } from './contracts/index.ts';

export interface Account {
  readonly nonce: number;
  /** wei */
  readonly balance: bigint;
}

/** What executing one tx gave (stored per block; not committed in the header). */
export interface Receipt {
  readonly txid: string;
  readonly status: ExecStatus;
  /** Revert reason, or why a value transfer failed; empty on success. */
  readonly reason: string;
  readonly gasUsed: number;
  /** wei */
  readonly fee: bigint;
  readonly sender: Address;
  readonly keyImageHex: string;
  readonly nonce: number;
  readonly events: readonly ContractEvent[];
  /** Return data of a successful call (getData / query results), bytes. */
  readonly returnData: Uint8Array;
  readonly created?: Address;
}

interface AccountBucket {
  readonly addresses: readonly Address[];
  digest?: Uint8Array;
}

const EMPTY32 = new Uint8Array(32);

function insertSorted(list: readonly Address[], a: Address): Address[] {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < a) lo = mid + 1;
    else hi = mid;
  }
  const out = list.slice();
  out.splice(lo, 0, a);
  return out;
}

function u256(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export class RingState {
  /** Accounts this (open) state wrote. */
  private readonly touched = new Set<Address>();
  private sealed = false;
  private rootCache: Uint8Array | undefined;
  private accountsRootCache: Uint8Array | undefined;
  /** Keys enrolled by this block, in order (hex). */
  private readonly enrolled: string[] = [];
  receipts: Receipt[] = [];

  private constructor(
    readonly accounts: Layered<Account>,
    private readonly buckets: Layered<AccountBucket>,
    readonly contracts: ContractWorldState,
    readonly keys: Layered<number>,
    readonly txIndex: Layered<number>,
    /** Running keys commitment of the parent (see module comment). */
    private readonly parentKeysCommitment: Uint8Array,
    /** Enrolled keys in order of enrolment (shared, append-only across the chain: a prefix per state). */
    readonly keyList: { hex: string; height: number }[],
    readonly keyCount: number,
  ) {}

  static genesis(contracts: ContractWorldState): RingState {
    return new RingState(Layered.empty(), Layered.empty(), contracts.fork(), Layered.empty(), Layered.empty(), EMPTY32, [], 0);
  }

  /** An open child state for the next block (the contract state forks copy-on-write). */
  derive(): RingState {
    if (!this.sealed) throw new Error('derive from an open state: seal() it first');
    return new RingState(this.accounts.derive(), this.buckets.derive(), this.contracts.fork(), this.keys.derive(), this.txIndex.derive(), this.keysCommitment(), this.keyList, this.keyCount);
  }

  get isSealed(): boolean {
    return this.sealed;
  }

  account(a: Address): Account {
    return this.accounts.get(a) ?? { nonce: 0, balance: 0n };
  }

  setAccount(a: Address, acc: Account): void {
    if (this.sealed) throw new Error('write to a sealed state');
    this.accounts.set(a, acc);
    this.touched.add(a);
  }

  credit(a: Address, wei: bigint): void {
    const acc = this.account(a);
    this.setAccount(a, { nonce: acc.nonce, balance: acc.balance + wei });
  }

  /** Enrols a ring-member key at `height` (no-op if already enrolled). */
  enrol(hex: string, height: number): boolean {
    if (this.sealed) throw new Error('write to a sealed state');
    if (this.keys.has(hex)) return false;
    this.keys.set(hex, height);
    this.enrolled.push(hex);
    return true;
  }

  /** Seals the block's state: buckets updated, contract state frozen. */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    this.contracts.freeze();
    const byBucket = new Map<string, Address[]>();
    for (const a of this.touched) {
      const b = a.slice(2, 4);
      (byBucket.get(b) ?? byBucket.set(b, []).get(b)!).push(a);
    }
    for (const [b, list] of [...byBucket].sort(([x], [y]) => (x < y ? -1 : 1))) {
      let addresses = this.buckets.get(b)?.addresses ?? [];
      for (const a of list.sort()) {
        if (!addresses.includes(a)) addresses = insertSorted(addresses, a);
      }
      this.buckets.set(b, { addresses });
    }
    // Keys enrolled by this block join the shared ordered list only if this state extends its end
    // (the first child of a block to enrol keys; siblings copy the list).
    if (this.enrolled.length > 0) {
      const height = this.keys.get(this.enrolled[0])!;
      const list = this.keyList.length === this.keyCount ? this.keyList : this.keyList.slice(0, this.keyCount);
      for (const hex of this.enrolled) list.push({ hex, height });
      (this as { keyList: typeof list }).keyList = list;
      (this as { keyCount: number }).keyCount = list.length;
    }
  }

  private keysCommitmentCache: Uint8Array | undefined;
  private keysCommitment(): Uint8Array {
    if (this.keysCommitmentCache) return this.keysCommitmentCache;
    if (this.enrolled.length === 0) return (this.keysCommitmentCache = this.parentKeysCommitment);
    const buf = new Uint8Array(32 + 32 * this.enrolled.length);
    buf.set(this.parentKeysCommitment);
    this.enrolled.forEach((hex, i) => {
      for (let j = 0; j < 32; j++) buf[32 + 32 * i + j] = parseInt(hex.slice(2 * j, 2 * j + 2), 16);
    });
    return (this.keysCommitmentCache = keccak256(buf));
  }

  private accountsRoot(): Uint8Array {
    if (this.accountsRootCache) return this.accountsRootCache;
    const all = new Uint8Array(256 * 32);
    for (let b = 0; b < 256; b++) {
      const key = b.toString(16).padStart(2, '0');
      const bucket = this.buckets.get(key);
      if (!bucket || bucket.addresses.length === 0) continue;
      if (bucket.digest === undefined) {
        const buf = new Uint8Array(bucket.addresses.length * (20 + 32 + 32));
        bucket.addresses.forEach((a, i) => {
          const acc = this.account(a);
          const o = i * 84;
          buf.set(addressToBytes(a), o);
          buf.set(u256(BigInt(acc.nonce)), o + 20);
          buf.set(u256(acc.balance), o + 52);
        });
        const digest = keccak256(buf);
        // Buckets this block touched are fresh objects (seal); others were digested by an ancestor.
        this.buckets.set(key, { addresses: bucket.addresses, digest });
        all.set(digest, b * 32);
      } else all.set(bucket.digest, b * 32);
    }
    return (this.accountsRootCache = keccak256(all));
  }

  /** The state root (sealed states only). */
  root(): Uint8Array {
    if (!this.sealed) throw new Error('root of an open state: seal() it first');
    if (this.rootCache) return this.rootCache;
    const buf = new Uint8Array(96);
    buf.set(this.accountsRoot());
    buf.set(this.contracts.commitment(), 32);
    buf.set(this.keysCommitment(), 64);
    return (this.rootCache = keccak256(buf));
  }
}
