/**
 * The run's fingerprint: a rolling SHA-256 over every delivered event.
 *
 * Each delivered event appends a fixed 32-byte record
 *   time (float64 µs) ‖ payload digest (float64) ‖ source (u32) ‖ destination (u32) ‖
 *   type hash (u32) ‖ event kind (u32)
 * to a buffer that is fed to one streaming SHA-256 whenever it fills. Two runs have the same
 * trace hash exactly when they delivered the same events in the same order (up to SHA-256 and
 * the 32-bit FNV-1a digests of string fields). Hashing in 64 KiB blocks keeps the cost to a few
 * nanoseconds per event.
 *
 * The last `historySize` events are also kept in a ring buffer, so a failed run can print the
 * events leading up to the violation.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Micros, NodeId } from './types.ts';

/** 32-bit FNV-1a of a string (over UTF-16 code units; stable across platforms). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** What kind of event was delivered. */
export const enum EventKind {
  Message = 0,
  Timer = 1,
  External = 2,
}

export interface TraceEntry {
  time: Micros;
  kind: 'message' | 'timer' | 'external';
  from: NodeId;
  to: NodeId;
  type: string;
}

const RECORD_BYTES = 32;
const BLOCK_RECORDS = 2048; // 64 KiB per hash update

/**
 * Records are written into one of two 64 KiB blocks; a full block is hashed and writing moves to
 * the other block, which still holds the previous 2,048 records until overwritten. The recent
 * history is therefore read straight from the record blocks, with no extra work per event.
 */
export class TraceHasher {
  private readonly hash: Hash = createHash('sha256');
  private readonly blocks = [new ArrayBuffer(RECORD_BYTES * BLOCK_RECORDS), new ArrayBuffer(RECORD_BYTES * BLOCK_RECORDS)];
  private readonly f64s = this.blocks.map((b) => new Float64Array(b));
  private readonly u32s = this.blocks.map((b) => new Uint32Array(b));
  private active = 0; // block being written
  private f64 = this.f64s[0];
  private u32 = this.u32s[0];
  private fill = 0; // records in the active block
  private readonly typeHashes = new Map<string, number>();
  private readonly typeNames = new Map<number, string>();
  /** Events recorded so far. */
  count = 0;

  constructor(private readonly historySize = 64) {
    if (historySize > BLOCK_RECORDS) throw new RangeError(`history size is at most ${BLOCK_RECORDS}`);
  }

  // A two-entry cache in front of the map: consecutive events very often share a type, or
  // alternate between two (a timer and the message it sends; prepare and commit). A miss
  // replaces the entries in turn.
  private typeA = '';
  private typeHashA = 0;
  private typeB = '';
  private typeHashB = 0;
  private replaceA = true;

  private typeHash(type: string): number {
    if (type === this.typeA) return this.typeHashA;
    if (type === this.typeB) return this.typeHashB;
    let h = this.typeHashes.get(type);
    if (h === undefined) {
      h = fnv1a32(type);
      this.typeHashes.set(type, h);
      this.typeNames.set(h, type);
    }
    if (this.replaceA) {
      this.typeA = type;
      this.typeHashA = h;
    } else {
      this.typeB = type;
      this.typeHashB = h;
    }
    this.replaceA = !this.replaceA;
    return h;
  }

  record(time: Micros, kind: EventKind, from: NodeId, to: NodeId, type: string, digest: string | number | undefined): void {
    const f = this.fill * 4; // float64 index (32-byte record = 4 float64 slots)
    const u = this.fill * 8; // uint32 index
    const f64 = this.f64;
    const u32 = this.u32;
    f64[f] = time;
    f64[f + 1] = digest === undefined ? -1 : typeof digest === 'number' ? digest : fnv1a32(digest) + digest.length * 4294967296;
    u32[u + 4] = from;
    u32[u + 5] = to;
    u32[u + 6] = this.typeHash(type);
    u32[u + 7] = kind;
    this.count++;
    if (++this.fill === BLOCK_RECORDS) {
      this.hash.update(new Uint8Array(this.blocks[this.active]));
      this.active ^= 1;
      this.f64 = this.f64s[this.active];
      this.u32 = this.u32s[this.active];
      this.fill = 0;
    }
  }

  /** The trace hash of the events so far (hex); recording may continue afterwards. */
  digest(): string {
    const h = this.hash.copy(); // the running hash stays open for a run that continues
    if (this.fill > 0) h.update(new Uint8Array(this.blocks[this.active], 0, this.fill * RECORD_BYTES));
    h.update(`events:${this.count}`);
    return h.digest('hex');
  }

  /** The most recent events (at most the history size), oldest first. */
  history(): TraceEntry[] {
    const n = Math.min(this.count, this.historySize);
    const kinds = ['message', 'timer', 'external'] as const;
    const out: TraceEntry[] = [];
    for (let back = n; back >= 1; back--) {
      // Record `back` positions before the write cursor, possibly in the other block.
      let block = this.active;
      let slot = this.fill - back;
      if (slot < 0) {
        block ^= 1;
        slot += BLOCK_RECORDS;
      }
      const f64 = this.f64s[block];
      const u32 = this.u32s[block];
      const from = u32[slot * 8 + 4] | 0;
      const to = u32[slot * 8 + 5] | 0;
      out.push({ time: f64[slot * 4], kind: kinds[u32[slot * 8 + 7]], from, to, type: this.typeNames.get(u32[slot * 8 + 6]) ?? '?' });
    }
    return out;
  }
}
