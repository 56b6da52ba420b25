/**
 * The PBFT replica's public types (configuration, hooks, committees) and the small validation
 * helpers every part of the replica shares. The replica itself is split by concern, as the
 * TOCS'02 paper's sections are (replica.ts wires the parts):
 *
 *   core.ts             identity, committee, current view, quorum sizes, authenticated sending
 *   requests.ts         client requests and batching (§4.2, §5.1.4)
 *   normal-case.ts      pre-prepare / prepare / commit and the message log (§4.2)
 *   execution.ts        in-order execution, replies, the executed ledger and state chain (§4.2)
 *   checkpoints.ts      checkpoints, garbage collection and state transfer (§4.3, §5.3.2)
 *   view-change.ts      view changes and the new-view decision (§4.4, §4.5.2)
 *   reconfiguration.ts  committee changes, epoch certificates and joins (docs/pbft.md)
 *   tally.ts            the vote tally shared by prepares, commits and checkpoints
 *   memo.ts             per-batch caches shared by all replicas of all runs (pure functions)
 */
import type { Micros, NodeContext, NodeId } from '../../../sim/types.ts';
import type { Operation, PbftMessage, RequestMsg } from '../messages.ts';

/** An ordered committee: `members[(v − startView) mod k]` is the primary of view v. */
export interface Committee {
  /** Member node ids, in primary (rank) order. */
  readonly members: readonly NodeId[];
  /** Epoch number; 0 for the genesis committee, +1 per reconfiguration. */
  readonly epoch: number;
  /** First view of this epoch (0 for the genesis committee). */
  readonly startView: number;
}

/** CPU time charged to the node's virtual clock per cryptographic operation (all µs; 0 = free). */
export interface CpuCosts {
  /** Per MAC tag computed or checked, µs. */
  macUs: number;
  /** Per Ed25519 signature produced, µs. */
  signUs: number;
  /** Per Ed25519 signature verified, µs: charged to each verifying replica, once per valid signature it checks. */
  verifyUs: number;
}

export interface PbftOptions {
  /** Most requests per pre-prepare (batch); ≥ 1. */
  batchSize: number;
  /** Longest time the primary waits to fill a batch, µs. */
  batchTimeoutUs: Micros;
  /** K: sequence numbers between checkpoints; ≥ 1. */
  checkpointInterval: number;
  /** L: sequence numbers accepted above the low watermark h (h < n ≤ h + L); a multiple of K, ≥ K. */
  watermarkWindow: number;
  /** T: view-change timer for a pending request, µs; doubles per consecutive failed view change. */
  viewChangeTimeoutUs: Micros;
  /** State-transfer retry timer, µs. */
  fetchTimeoutUs: Micros;
  cpu: CpuCosts;
}

export const DEFAULT_PBFT_OPTIONS: PbftOptions = {
  batchSize: 10,
  batchTimeoutUs: 2_000,
  checkpointInterval: 16,
  watermarkWindow: 64,
  viewChangeTimeoutUs: 500_000,
  fetchTimeoutUs: 200_000,
  cpu: { macUs: 0, signUs: 0, verifyUs: 0 },
};

/** One executed block, as handed to `hooks.onExecute`. */
export interface ExecutedBlock {
  seq: number;
  view: number;
  epoch: number;
  batch: string;
  requests: readonly RequestMsg[];
  /** State digest after this block. */
  state: string;
}

/** Application hooks (DPoS composes through these). */
export interface ReplicaHooks {
  /**
   * Application-level validity of an operation, checked once per request and replica before it
   * is pre-prepared or accepted into a batch; default: accept. `ctx` is the replica's context,
   * so a check can charge its CPU time (`ctx.charge`) to the virtual clock.
   */
  validateOp?(op: Operation, ctx: NodeContext<PbftMessage>): boolean;
  /**
   * Whether a committed `reconfigure` is authorised (e.g. matches the election); default:
   * accept. `committee` is the committee *of the block* (the epoch sequence number `seq` belongs
   * to, as the log dictates — also while a joining replica replays an old log), so a hook that
   * is a deterministic function of the log gives every replica the same answer.
   */
  authorizeReconfigure?(op: Extract<Operation, { kind: 'reconfigure' }>, committee: Committee, seq: number): boolean;
  /** After each executed block, in sequence order (also blocks replayed from a state transfer or a join). */
  onExecute?(block: ExecutedBlock, ctx: NodeContext<PbftMessage>): void;
  /**
   * When this replica enters a new epoch (after executing `atSeq`): once per switch, as a member
   * or as a standby. A replica that jumps several epochs at once (a join after sitting some out)
   * is told only the epoch it lands in.
   */
  onReconfigured?(committee: Committee, atSeq: number, ctx: NodeContext<PbftMessage>): void;
}

/** Timer tags of the replica (each part owns one kind). */
export type TimerTag = { type: 'pbft-batch' } | { type: 'pbft-vc'; view: number } | { type: 'pbft-fetch'; attempt: number };

export const isInt = (x: unknown): x is number => Number.isSafeInteger(x);
export const isHex64 = (x: unknown): x is string => typeof x === 'string' && x.length === 64;

/** Counts a rejected message in metrics (`pbft.rejected.<reason>`). */
export function reject(ctx: NodeContext<PbftMessage>, reason: string): void {
  ctx.metrics.counter(`pbft.rejected.${reason}`).inc();
}

export function validMembers(members: unknown): members is NodeId[] {
  return Array.isArray(members) && members.length >= 1 && members.every(isInt) && new Set(members).size === members.length && members.every((x) => x >= 0);
}

export function validOp(op: unknown): op is Operation {
  if (!op || typeof op !== 'object') return false;
  const o = op as Record<string, unknown>;
  if (o.kind === 'data') return isInt(o.bytes) && o.bytes >= 0 && typeof o.tag === 'string';
  if (o.kind === 'reconfigure') return validMembers(o.members);
  return false;
}

/** An empty authenticator, filled in by `withAuth`. */
export const EMPTY_AUTH = new Int32Array(0);

/** The null batch's (frozen) request list. */
export const NO_REQUESTS = Object.freeze([]) as unknown as RequestMsg[];
