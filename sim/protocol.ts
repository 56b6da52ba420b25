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
 *   `summarize` hook for protocol metrics;
 * - optionally `mutants`: deliberately broken variants of the protocol, by name, for the check
 *   harness (docs/check.md "Declaring mutants"). A mutant lives in the protocol's own mutants
 *   module and is reached only through this field — never through the scenario schema — so a
 *   scenario file cannot switch production code into a broken mode, and the harness can run the
 *   *control* (the same scenario with `build`) beside every mutant run.
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

/**
 * A deliberately broken variant of a protocol: one rule of the honest code replaced (mutation
 * testing of the invariant checkers). `medsim check --mutant <name>` runs it on a suite's seeds
 * and, as the control, the honest `build` on the same seeds and scenario; the mutant counts as
 * caught only when it violates `invariant` (a safety invariant the suite declares) and the
 * control passes.
 */
export interface ProtocolMutant<P extends { name: string } = { name: string } & Record<string, unknown>, M extends Message = Message> {
  /** The rule it breaks, one line, citing the paper section or standard the honest rule follows. */
  readonly description: string;
  /** The invariant it is named after: the checker that must catch it (as the checkers name themselves). */
  readonly invariant: string;
  /** Prepares one run of the broken protocol (same contract as `ProtocolModule.build`). */
  build(scenario: Scenario<P>, seed: number): ProtocolRun<M>;
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
  /** Deliberately broken variants by name (kebab-case, unique across protocols), for `medsim check`. */
  readonly mutants?: Readonly<Record<string, ProtocolMutant<P, M>>>;
}

export type ProtocolModules = Readonly<Record<string, ProtocolModule<any, any>>>;

/** A mutant name no protocol declares (or not the scenario's protocol): a usage error. */
export class UnknownMutantError extends Error {}

/** Every declared mutant, as (protocol, mutant name, declaration), sorted by name. */
export function declaredMutants(modules: ProtocolModules): { protocol: string; name: string; mutant: ProtocolMutant<any, any> }[] {
  const out: { protocol: string; name: string; mutant: ProtocolMutant<any, any> }[] = [];
  for (const [protocol, m] of Object.entries(modules)) for (const [name, mutant] of Object.entries(m.mutants ?? {})) out.push({ protocol, name, mutant });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The registry with protocol `protocol` replaced by its mutant `mutant`: what the runner is
 * given to run a mutant (everything else — scenario, seed, other protocols — stays the same, so
 * the honest registry on the same scenario is the control).
 */
export function withMutant(modules: ProtocolModules, protocol: string, mutant: string): ProtocolModules {
  const module = modules[protocol];
  const declared = module?.mutants?.[mutant];
  if (!module || !declared) {
    const names = Object.keys(module?.mutants ?? {});
    throw new UnknownMutantError(`protocol "${protocol}" declares no mutant "${mutant}" (${names.length ? `it declares: ${names.join(', ')}` : 'it declares none'})`);
  }
  return { ...modules, [protocol]: { ...module, build: (scenario: Scenario<any>, seed: number) => declared.build(scenario, seed) } };
}
