/**
 * The event queue: a binary min-heap of integer ids ordered by (time, seq).
 *
 * Events at the same virtual time run in the order they were scheduled (`seq` is a global,
 * strictly increasing counter), so ties never depend on heap internals or object identity —
 * the reproducibility gap SimBlock has with identity-hash tie breaking.
 *
 * Everything the heap holds lives in typed arrays: per entry its time, its seq and the id of
 * what it orders (the kernel's event table index). Sifting compares plain float64s and moves
 * plain numbers. Two costs of the obvious heap of objects are gone: loading each key through
 * an object pointer, and — in V8 — the write barrier every stored object reference passes, which
 * must record the slot whenever a long-lived array receives a newly allocated object (a heap
 * moves each entry about log₂ n times, so that was several recordings per event).
 */
export class TimeHeap {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private ids = new Int32Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Time key of the first entry; +∞ when empty. */
  peekTime(): number {
    return this.count > 0 ? this.times[0] : Number.POSITIVE_INFINITY;
  }

  /** Queues `id` under key (`time`, `seq`); `seq` must be unique (it breaks time ties). */
  push(time: number, seq: number, id: number): void {
    if (this.count === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const ids = this.ids;
    let i = this.count++;
    // Sift up: move parents down until the new key's place is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      ids[i] = ids[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    ids[i] = id;
  }

  /** Removes the entry with the smallest (time, seq) and returns its id; −1 when empty. */
  pop(): number {
    const n = this.count;
    if (n === 0) return -1;
    const times = this.times;
    const seqs = this.seqs;
    const ids = this.ids;
    const top = ids[0];
    const size = n - 1;
    this.count = size;
    if (size > 0) {
      // Sift down the former last entry from the root.
      const lastTime = times[size];
      const lastSeq = seqs[size];
      const lastId = ids[size];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= size) break;
        let ct = times[c];
        const r = c + 1;
        if (r < size) {
          const rt = times[r];
          if (rt < ct || (rt === ct && seqs[r] < seqs[c])) {
            c = r;
            ct = rt;
          }
        }
        if (lastTime < ct || (lastTime === ct && lastSeq < seqs[c])) break;
        times[i] = ct;
        seqs[i] = seqs[c];
        ids[i] = ids[c];
        i = c;
      }
      times[i] = lastTime;
      seqs[i] = lastSeq;
      ids[i] = lastId;
    }
    return top;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    this.times = resized(this.times, capacity);
    this.seqs = resized(this.seqs, capacity);
    this.ids = resized(this.ids, capacity);
  }
}

/** A copy of `array` in a larger array of the same type (the extra elements are zero). */
export function resized<A extends Float64Array | Int32Array | Uint8Array>(array: A, capacity: number): A {
  const bigger = new (array.constructor as new (length: number) => A)(capacity);
  bigger.set(array);
  return bigger;
}
