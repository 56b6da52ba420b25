/**
 * Binary min-heap ordered by (time, seq).
 *
 * Events at the same virtual time run in the order they were scheduled (`seq` is a global,
 * strictly increasing counter), so ties never depend on heap internals or object identity —
 * the reproducibility gap SimBlock has with identity-hash tie breaking.
 */
export interface Timed {
  time: number;
  seq: number;
}

export class TimeHeap<T extends Timed> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      if (p.time < item.time || (p.time === item.time && p.seq < item.seq)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const n = items.length;
    if (n === 0) return undefined;
    const top = items[0];
    const last = items.pop() as T;
    if (n > 1) {
      // Sift down the former last element from the root.
      const size = n - 1;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        let c = l;
        let child = items[l];
        if (r < size) {
          const rc = items[r];
          if (rc.time < child.time || (rc.time === child.time && rc.seq < child.seq)) {
            c = r;
            child = rc;
          }
        }
        if (last.time < child.time || (last.time === child.time && last.seq < child.seq)) break;
        items[i] = child;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items = [];
  }
}
