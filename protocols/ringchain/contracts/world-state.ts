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
 *   slotBucket(s)    = KEC( ‖ over the non-zero slots whose lowest byte is s, ascending: slot(32) ‖ value(32) )
 *   storageDigest(a) = KEC( ‖ over the non-empty slot buckets s, ascending: s(1) ‖ slotBucket(s) )
 *   accountDigest(a) = KEC( address(20) ‖ codeHash(32) ‖ storageDigest(a) )
 *   bucket(b)        = KEC( ‖ accountDigest over the accounts whose address starts with byte b, ascending )
 *   commitment       = KEC( ‖ for b = 0x00..0xff: bucket(b), or 32 zero bytes for an empty bucket )
 * A block recomputes only the digests of the accounts it touched, and of those only the slot
 * buckets it wrote (an ALC listing thousands of records rehashes a few of its 256 buckets), and the
 * address buckets holding them.
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

/** Storage bucket of a slot: its lowest byte (array elements KEC(p) + i spread over all buckets). */
function slotBucket(slot: bigint): number {
  return Number(slot & 0xffn);
}

/** A contract account. Mutable only while owned by an unsealed state (see `ContractWorld`). */
export class ContractAccount implements ContractAccountView {
  private digestCache: Uint8Array | undefined;
  /** Digest of each non-empty storage bucket, cached; `dirty` buckets need recomputing. */
  private readonly bucketDigests: Map<number, Uint8Array>;
  private readonly dirty: Set<number>;

  constructor(
    readonly address: Address,
    readonly kind: ContractKind,
    readonly code: Uint8Array,
    readonly codeHash: Uint8Array,
    readonly immutables: Immutables,
    readonly storage: Map<bigint, bigint>,
    bucketDigests?: Map<number, Uint8Array>,
  ) {
    this.bucketDigests = bucketDigests ?? new Map();
    this.dirty = bucketDigests === undefined ? new Set([...storage.keys()].map(slotBucket)) : new Set();
  }

  /** A copy with its own storage map (code and immutables are shared: they never change). */
  copy(): ContractAccount {
    this.digest(); // settle the bucket digests so the copy inherits them clean
    return new ContractAccount(this.address, this.kind, this.code, this.codeHash, this.immutables, new Map(this.storage), new Map(this.bucketDigests));
  }

  /** Storage value of a slot (0 when absent). */
  load(slot: bigint): bigint {
    return this.storage.get(slot) ?? 0n;
  }

  /** Writes a slot; zero deletes it, so the map holds exactly the non-zero slots. */
  store(slot: bigint, value: bigint): void {
    if (value === 0n) this.storage.delete(slot);
    else this.storage.set(slot, value);
    this.dirty.add(slotBucket(slot));
    this.digestCache = undefined;
  }

  /** accountDigest (module comment): only the storage buckets written since the last digest are rehashed. */
  digest(): Uint8Array {
    if (this.digestCache !== undefined) return this.digestCache;
    if (this.dirty.size > 0) {
      const members = new Map<number, bigint[]>();
      for (const b of this.dirty) members.set(b, []);
      for (const slot of this.storage.keys()) members.get(slotBucket(slot))?.push(slot);
      for (const [b, slots] of members) {
        if (slots.length === 0) {
          this.bucketDigests.delete(b);
          continue;
        }
        slots.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        const buf = new Uint8Array(slots.length * 64);
        slots.forEach((slot, i) => {
          buf.set(wordFromBigint(slot), i * 64);
          buf.set(wordFromBigint(this.storage.get(slot)!), i * 64 + 32);
        });
        this.bucketDigests.set(b, keccak256(buf));
      }
      this.dirty.clear();
    }
    const buckets = [...this.bucketDigests.keys()].sort((x, y) => x - y);
    const storageBuf = new Uint8Array(buckets.length * 33);
    buckets.forEach((b, i) => {
      storageBuf[i * 33] = b;
      storageBuf.set(this.bucketDigests.get(b)!, i * 33 + 1);
    });
    const head = new Uint8Array(20 + 32 + 32);
    head.set(addressToBytes(this.address));
    head.set(this.codeHash, 20);
    head.set(keccak256(storageBuf), 52);
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
