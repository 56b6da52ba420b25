/**
 * Caches shared by every replica of every run in the process — pure functions of frozen data,
 * so sharing them changes no outcome, only the work: what executing a batch produces (results,
 * request keys, replies), the lists a commit observation reports, and reply digests. The
 * replicas of a committee all execute the same frozen batch object, so the 2nd … k-th replica
 * finds the work done.
 */
import type { NodeId } from '../../../sim/types.ts';
import { sha256Hex } from '../auth.ts';
import { requestKeyOf, type RequestMsg } from '../messages.ts';

/** One reply's worth of results for a client: `(timestamp, result)` per request, in batch order. */
export interface ReplyGroup {
  client: NodeId;
  entries: { timestamp: number; result: string }[];
}

/**
 * Groups the results of `requests[i]` for `i` in `indices` into one reply per client, in client
 * order (TOCS'02 §4.2 replies, batched per client and block). `freeze`: entries and lists frozen,
 * so every replica's reply can share them (and their digest memo).
 */
export function groupReplies(requests: readonly RequestMsg[], indices: Iterable<number>, resultOf: (i: number) => string, freeze: boolean): ReplyGroup[] {
  const byClient = new Map<NodeId, { timestamp: number; result: string }[]>();
  for (const i of indices) {
    const r = requests[i];
    let list = byClient.get(r.client);
    if (!list) byClient.set(r.client, (list = []));
    const entry = { timestamp: r.timestamp, result: resultOf(i) };
    list.push(freeze ? Object.freeze(entry) : entry);
  }
  return [...byClient.keys()].sort((a, b) => a - b).map((client) => {
    const entries = byClient.get(client)!;
    return { client, entries: freeze ? (Object.freeze(entries) as { timestamp: number; result: string }[]) : entries };
  });
}

/**
 * What executing a frozen batch at `seq` produces when none of its requests ran before — the
 * same for every replica: result strings, request keys, and one reply (entries and body) per
 * client in client order. Computed once per batch object and shared.
 */
export interface ExecutionPlan {
  seq: number;
  keys: readonly string[];
  results: readonly string[];
  replies: readonly (ReplyGroup & { body: string })[];
}
const PLANS = new WeakMap<readonly RequestMsg[], ExecutionPlan>();

/** The result of request `i` executed at sequence number `seq`. */
export function resultOf(seq: number, i: number): string {
  return `${seq}.${i}`;
}

export function executionPlan(requests: readonly RequestMsg[], seq: number): ExecutionPlan {
  let p = PLANS.get(requests);
  if (p && p.seq === seq) return p;
  const results = requests.map((_, i) => resultOf(seq, i));
  // Frozen: every replica's reply to a client carries this same entries array.
  const replies = groupReplies(requests, requests.keys(), (i) => results[i], true).map((g) => ({ ...g, body: replyBody(g.client, g.entries) }));
  p = { seq, keys: commitLists(requests).keys, results, replies };
  PLANS.set(requests, p);
  return p;
}

/**
 * The request keys and digests of a batch, as reported in `pbft.commit`: computed once per
 * frozen batch array and shared (frozen) by every replica's observation; other arrays each time.
 */
export interface CommitLists {
  keys: readonly string[];
  opDigests: readonly string[];
  clients: readonly number[];
  timestamps: readonly number[];
}
const COMMIT_LISTS = new WeakMap<readonly RequestMsg[], CommitLists>();

/** True for a frozen array of frozen objects (contents can no longer change: safe to memoise on). */
export function deepFrozen(a: readonly object[]): boolean {
  if (!Object.isFrozen(a)) return false;
  for (let i = 0; i < a.length; i++) if (!Object.isFrozen(a[i])) return false;
  return true;
}

export function commitLists(requests: readonly RequestMsg[]): CommitLists {
  const frozen = deepFrozen(requests);
  let l = frozen ? COMMIT_LISTS.get(requests) : undefined;
  if (!l) {
    l = {
      keys: Object.freeze(requests.map(requestKeyOf)),
      opDigests: Object.freeze(requests.map((r) => r.opDigest)),
      clients: Object.freeze(requests.map((r) => r.client)),
      timestamps: Object.freeze(requests.map((r) => r.timestamp)),
    };
    if (frozen) COMMIT_LISTS.set(requests, l);
  }
  return l;
}

/**
 * Memo of reply digests (text → SHA-256): a pure function, and every replica sends each client
 * the same entries for a block, so the client and 99 of 100 replicas find it here. Cleared
 * wholesale when large.
 */
const REPLY_BODIES = new Map<string, string>();

/** Reply digests of frozen entry arrays (shared by all replicas' replies to a client, see executionPlan). */
const FROZEN_REPLY_BODIES = new WeakMap<object, { client: NodeId; body: string }>();

/** Digest a reply's tag covers. */
export function replyBody(client: NodeId, entries: readonly { timestamp: number; result: string }[]): string {
  let frozen = Object.isFrozen(entries);
  for (let i = 0; frozen && i < entries.length; i++) frozen = Object.isFrozen(entries[i]);
  if (frozen) {
    const m = FROZEN_REPLY_BODIES.get(entries);
    if (m && m.client === client) return m.body;
  }
  const body = replyBodyOfText(client, entries);
  if (frozen) FROZEN_REPLY_BODIES.set(entries, { client, body });
  return body;
}

function replyBodyOfText(client: NodeId, entries: readonly { timestamp: number; result: string }[]): string {
  let s = `reply|${client}`;
  for (const e of entries) s += `|${e.timestamp}=${e.result}`;
  let d = REPLY_BODIES.get(s);
  if (d === undefined) {
    if (REPLY_BODIES.size >= 20_000) REPLY_BODIES.clear();
    REPLY_BODIES.set(s, (d = sha256Hex(s)));
  }
  return d;
}
