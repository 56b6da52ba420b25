/**
 * How the parts of a replica reach each other. Each part owns its state (documented on its
 * class): others read it through getters and change it only through the owner's methods. The
 * core (identity, committee, view) is the one state all parts share; view changes and
 * reconfiguration move the view. `ReplicaParts` is the wiring replica.ts builds once per replica.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import type { PbftMessage } from '../messages.ts';
import type { Checkpoints } from './checkpoints.ts';
import type { ReplicaCore } from './core.ts';
import type { ExecutionLog } from './execution.ts';
import type { NormalCase } from './normal-case.ts';
import type { Reconfiguration } from './reconfiguration.ts';
import type { RequestBook } from './requests.ts';
import type { ViewChanges } from './view-change.ts';

export interface ReplicaParts {
  readonly core: ReplicaCore;
  readonly requests: RequestBook;
  readonly normal: NormalCase;
  readonly exec: ExecutionLog;
  readonly checkpoints: Checkpoints;
  readonly views: ViewChanges;
  readonly reconfig: Reconfiguration;
  /** Hands a message to the replica's dispatcher (replays of buffered messages). */
  deliver(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void;
}

/**
 * Which implementation of each replaceable part a replica uses: the honest ones by default. The
 * extension point of deliberately broken variants (mutants.ts) — each replaces one part with a
 * subclass that changes one rule; the scenario schema cannot reach it.
 */
export interface ReplicaVariant {
  requests?: new (parts: ReplicaParts) => RequestBook;
  normalCase?: new (parts: ReplicaParts) => NormalCase;
  execution?: new (parts: ReplicaParts) => ExecutionLog;
  viewChanges?: new (parts: ReplicaParts) => ViewChanges;
}
