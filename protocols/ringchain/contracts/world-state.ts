/**
 * The contract world state: every contract account (kind, runtime code, storage) per block, with
 * copy-on-write forks and a canonical commitment.
 *
 * Layers. A state is a `Layered` map (protocols/pow/layered.ts, the persistent per-block map pow
 * uses) from address to account. `fork()` seals the parent and returns a mutable child; the first
 * write to an account in a child copies that account's storage once, later writes in the same
 * child change the copy in place. So a block costs O(storage of the contracts it touches), and
 * every simulated node holding the block can share the sealed state.
 *
 * Commitment (the chain folds it into the state root). Ethereum commits to storage with a Merkle
 * Patricia trie; the simulator needs equality of states, not light-client proofs, so it uses a
 * two-level hash that is canonical (equal contents ⇒ equal commitment, whatever the history) and
 * cheap to update:
 *   storageDigest(a) = KEC( ‖ over non-zero slots in ascending order: slot(32) ‖ value(32) )
 *   accountDigest(a) = KEC( address(20) ‖ codeHash(32) ‖ storageDigest(a) )
 *   bucket(b)        = KEC( ‖ accountDigest over the accounts whose address starts with byte b, ascending )
 *   commitment       = KEC( ‖ for b = 0x00..0xff: bucket(b), or 32 zero bytes for an empty bucket )
 * A block recomputes only the digests of the accounts it touched and the buckets holding them.
 */
import { Layered } from '../../pow/layered.ts';
import { keccak256 } from '../../crypto/hash.ts';
import type { Address, ContractAccountView, ContractKind, ContractWorldState } from './api.ts';
import { addressToBytes } from './api.ts';
import { wordFromBigint } from './abi.ts';

/** Values the compiled code carries in its runtime bytecode (Solidity `immutable`), decoded. */
export interface Immutables {
  /** RC / MRC owner, ALC institution: the deployer. */
  readonly owner: Address;
  /** MRC only: the deployment block's timestamp, in seconds (0 for RC / ALC). */
  readonly timestamp: number;
}

/** A contract account. Mutable only while owned by an unsealed state (see `ContractWorld`). */
export class ContractAccount implements ContractAccountView {
  private digestCache: Uint8Array | undefined;

  constructor(
    readonly address: Address,
    readonly kind: ContractKind,
    readonly code: Uint8Array,
    readonly codeHash: Uint8Array,
    readonly immutables: Immutables,
    readonly storage: Map<bigint, bigint>,
  ) {}

  /** A copy with its own storage map (code and immutables are shared: they never change). */
  copy(): ContractAccount {
    return new ContractAccount(this.address, this.kind, this.code, this.codeHash, this.immutables, new Map(this.storage));
  }

  /** Storage value of a slot (0 when absent). */
  load(slot: bigint): bigint {
    return this.storage.get(slot) ?? 0n;
  }

  /** Writes a slot; zero deletes it, so the map holds exactly the non-zero slots. */
  store(slot: bigint, value: bigint): void {
    if (value === 0n) this.storage.delete(slot);
    else this.storage.set(slot, value);
    this.digestCache = undefined;
  }

  /** accountDigest (module comment). */
  digest(): Uint8Array {
    if (this.digestCache !== undefined) return this.digestCache;
    const slots = [...this.storage.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const buf = new Uint8Array(slots.length * 64);
    slots.forEach((slot, i) => {
      buf.set(wordFromBigint(slot), i * 64);
      buf.set(wordFromBigint(this.storage.get(slot)!), i * 64 + 32);
    });
    const head = new Uint8Array(20 + 32 + 32);
    head.set(addressToBytes(this.address));
    head.set(this.codeHash, 20);
    head.set(keccak256(buf), 52);
    this.digestCache = keccak256(head);
    return this.digestCache;
  }
}

/** The accounts whose address starts with one byte, in ascending order, with their digest cached. */
interface Bucket {
  readonly addresses: readonly Address[];
  digest?: Uint8Array;
}

const BUCKETS = 256;
const EMPTY_BUCKET = new Uint8Array(32);

function bucketOf(address: Address): string {
  return address.slice(2, 4);
}

function insertSorted(list: readonly Address[], address: Address): Address[] {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < address) lo = mid + 1;
    else hi = mid;
  }
  const out = list.slice();
  out.splice(lo, 0, address);
  return out;
}

export class ContractWorld implements ContractWorldState {
  private sealed = false;
  /** Accounts this (unsealed) state copied or created: written in place until sealed. */
  private readonly owned = new Set<Address>();
  /** New accounts of this state, added to their buckets when sealed. */
  private readonly created: Address[] = [];
  private commitmentCache: Uint8Array | undefined;

  private constructor(
    private readonly accounts: Layered<ContractAccount>,
    private readonly buckets: Layered<Bucket>,
    private count: number,
  ) {}

  /** The empty (genesis) contract state, sealed. */
  static empty(): ContractWorld {
    const world = new ContractWorld(Layered.empty(), Layered.empty(), 0);
    world.freeze();
    return world;
  }

  get frozen(): boolean {
    return this.sealed;
  }

  get size(): number {
    return this.count;
  }

  fork(): ContractWorld {
    this.freeze();
    return new ContractWorld(this.accounts.derive(), this.buckets.derive(), this.count);
  }

  freeze(): void {
    if (this.sealed) return;
    this.sealed = true;
    const touched = new Set<string>();
    for (const address of this.owned) touched.add(bucketOf(address));
    const byBucket = new Map<string, Address[]>();
    for (const address of this.created) {
      const b = bucketOf(address);
      const list = byBucket.get(b) ?? [];
      list.push(address);
      byBucket.set(b, list);
    }
    for (const b of [...touched].sort()) {
      let addresses = this.buckets.get(b)?.addresses ?? [];
      for (const address of byBucket.get(b) ?? []) addresses = insertSorted(addresses, address);
      this.buckets.set(b, { addresses });
    }
    this.owned.clear();
    this.created.length = 0;
  }

  commitment(): Uint8Array {
    if (!this.sealed) throw new Error('commitment of an unsealed contract state: freeze() it first');
    if (this.commitmentCache !== undefined) return this.commitmentCache;
    const all = new Uint8Array(BUCKETS * 32);
    for (let b = 0; b < BUCKETS; b++) {
      const key = b.toString(16).padStart(2, '0');
      const bucket = this.buckets.get(key);
      if (bucket === undefined || bucket.addresses.length === 0) {
        all.set(EMPTY_BUCKET, b * 32);
        continue;
      }
      if (bucket.digest === undefined) {
        const buf = new Uint8Array(bucket.addresses.length * 32);
        bucket.addresses.forEach((a, i) => buf.set(this.accounts.get(a)!.digest(), i * 32));
        bucket.digest = keccak256(buf);
      }
      all.set(bucket.digest, b * 32);
    }
    this.commitmentCache = keccak256(all);
    return this.commitmentCache;
  }

  get(address: Address): ContractAccount | undefined {
    return this.accounts.get(address);
  }

  addresses(): readonly Address[] {
    const out: Address[] = [];
    for (let b = 0; b < BUCKETS; b++) {
      const bucket = this.buckets.get(b.toString(16).padStart(2, '0'));
      if (bucket !== undefined) out.push(...bucket.addresses);
    }
    // An unsealed state's new contracts are not in their buckets yet.
    if (this.created.length > 0) {
      out.push(...this.created);
      out.sort();
    }
    return out;
  }

  // --- writes (the engine's; the chain only forks, freezes and reads) ---------------------------

  private assertWritable(): void {
    if (this.sealed) throw new Error('write to a sealed contract state: fork() it first');
  }

  /** Adds a new contract account (the address must be free). */
  create(account: ContractAccount): void {
    this.assertWritable();
    if (this.accounts.get(account.address) !== undefined) throw new Error(`contract ${account.address} already exists`);
    this.accounts.set(account.address, account);
    this.owned.add(account.address);
    this.created.push(account.address);
    this.count++;
  }

  /** Writes one storage slot of an existing contract. */
  store(address: Address, slot: bigint, value: bigint): void {
    this.assertWritable();
    let account = this.accounts.get(address);
    if (account === undefined) throw new Error(`no contract at ${address}`);
    if (!this.owned.has(address)) {
      account = account.copy();
      this.accounts.set(address, account);
      this.owned.add(address);
    }
    account.store(slot, value);
  }
}
