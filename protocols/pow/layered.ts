/**
 * A persistent map for per-block chain state.
 *
 * Every valid block has a state (UTXO set, access grants, …) that is its parent's state plus the
 * block's changes. Copying whole maps per block would cost O(state) memory per block; a chain of
 * overlays costs O(changes) but lookups walk the chain. We overlay and flatten every
 * `FLATTEN_DEPTH` layers, so a lookup visits at most that many small maps and memory stays
 * O(changes + state · blocks / FLATTEN_DEPTH). States are shared by every simulated node that
 * holds the block (the state after a block depends only on the block and its ancestors, which the
 * block hash commits to).
 *
 * A layer is mutable only while its block is being applied (`derive()` → set/delete → freeze by
 * convention: nothing keeps a reference to the builder afterwards).
 */

const FLATTEN_DEPTH = 24;
const TOMBSTONE = Symbol('deleted');

export class Layered<V> {
  private constructor(
    private readonly parent: Layered<V> | null,
    private readonly own: Map<string, V | typeof TOMBSTONE>,
    private readonly depth: number,
  ) {}

  static empty<V>(): Layered<V> {
    return new Layered<V>(null, new Map(), 0);
  }

  get(key: string): V | undefined {
    for (let l: Layered<V> | null = this; l !== null; l = l.parent) {
      const v = l.own.get(key);
      if (v !== undefined) return v === TOMBSTONE ? undefined : v;
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): void {
    this.own.set(key, value);
  }

  delete(key: string): void {
    if (this.parent === null) this.own.delete(key);
    else this.own.set(key, TOMBSTONE);
  }

  /** A new mutable layer on top of this one (flattened when the chain of layers is deep). */
  derive(): Layered<V> {
    if (this.depth < FLATTEN_DEPTH) return new Layered<V>(this, new Map(), this.depth + 1);
    const flat = new Map<string, V | typeof TOMBSTONE>();
    const layers: Layered<V>[] = [];
    for (let l: Layered<V> | null = this; l !== null; l = l.parent) layers.push(l);
    for (let i = layers.length - 1; i >= 0; i--) {
      for (const [k, v] of layers[i].own) {
        if (v === TOMBSTONE) flat.delete(k);
        else flat.set(k, v);
      }
    }
    return new Layered<V>(new Layered<V>(null, flat, 0), new Map(), 1);
  }
}
