/**
 * How a protocol plugs into scenarios, the runner and the CLI.
 *
 * Each protocol folder exports one `ProtocolModule`; `protocols/registry.ts` lists them. The
 * kernel never imports a protocol: the CLI hands the registry to the runner.
 *
 * A module contributes
 * - `schema`: a strict zod object for the scenario's `protocol:` section (its `name` field is a
 *   literal with the module's name), so scenario validation and `medsim schema` cover it;
 * - `build`: given the resolved scenario, returns the pieces of one run — a node factory, the
 *   invariant checkers (observers), an `install` hook to schedule workload and attacks, and a
 *   `summarize` hook for protocol metrics.
 */
import type { z } from 'zod';
import type { Simulation, RunResult } from './kernel.ts';
import type { Network } from './network.ts';
import type { Scenario } from './scenario/schema.ts';
import type { Message, NodeId, Observer, ProtocolNode } from './types.ts';

export interface ProtocolRun<M extends Message = Message> {
  /** Builds node `id` (honest or adversarial, as the scenario says). */
  createNode(id: NodeId, network: Network): ProtocolNode<M>;
  /** Invariant checkers that watch the run. */
  observers?: Observer[];
  /** Called once the simulation exists and before it runs: schedule workload, attacks, faults. */
  install?(sim: Simulation<M>): void;
  /** Protocol results after the run (JSON-serialisable, deterministic: no wall-clock values). */
  summarize?(sim: Simulation<M>, result: RunResult): Record<string, unknown>;
}

export interface ProtocolModule<P extends { name: string } = { name: string } & Record<string, unknown>, M extends Message = Message> {
  /** Name used as `protocol.name` in scenario files. */
  readonly name: string;
  /** One line for `medsim --help` and the README. */
  readonly description: string;
  /** Strict zod object for the `protocol:` section, with `name: z.literal(<name>)`. */
  readonly schema: z.ZodObject;
  /** Prepares one run of this protocol for a resolved scenario and seed. */
  build(scenario: Scenario<P>, seed: number): ProtocolRun<M>;
}

export type ProtocolModules = Readonly<Record<string, ProtocolModule<any, any>>>;
