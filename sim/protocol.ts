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
 *   *control* (the same scenario with `build`) beside every mutant run;
 * - optionally `headline`: the outcomes a researcher runs this protocol for (double-spend
 *   success, committed blocks, committee consistency, …). `medsim run` prints them first, sweeps
 *   aggregate them first (categorical outcomes as shares of trials with 95 % intervals), and
 *   `medsim report` charts them against every swept parameter, with the closed form as an
 *   overlay where `theory` gives one (docs/analysis.md, "Headline outcomes");
 * - optionally `timeline`: which observations mark progress over virtual time (blocks, commits,
 *   view changes, attack phases), for the single-run report's timeline chart.
 */
import type { z } from 'zod';
import type { Simulation, RunResult } from './kernel.ts';
import type { Network } from './network.ts';
import type { Scenario } from './scenario/schema.ts';
import type { Message, Micros, NodeId, Observation, Observer, ProtocolNode } from './types.ts';

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

/**
 * How a sweep aggregates a headline outcome and how a report draws it:
 * - `categorical`: one label per trial ("success", "gave-up", "held"); aggregated as the share of
 *   trials in each category with Wilson 95 % intervals; charted as the share of `categories[0]`;
 * - `rate`: a per-trial fraction or per-time quantity (stale rate, ops/s); mean with a Student-t
 *   95 % interval;
 * - `count`: a per-trial count (blocks, view changes, reverted confirmations); mean with a t
 *   interval (and the total over trials);
 * - `quantity`: any other per-trial measurement with a unit (latency in s); mean with a t interval.
 */
export type HeadlineKind = 'categorical' | 'rate' | 'count' | 'quantity';

/** What `HeadlineOutcome.read` sees besides the protocol summary. */
export interface HeadlineRunInfo {
  /** Why the run stopped (kernel stop reason). */
  stopReason: RunResult['stopReason'];
  /** The invariant that stopped the run, if any. */
  violation: { kind: string; invariant: string } | null;
  /** Virtual time at the end of the run, µs. */
  simTimeUs: Micros;
}

/** A closed form drawn next to a headline outcome (for a categorical one: the probability of `categories[0]`). */
export interface HeadlineTheory {
  value: number;
  /** What the value is, named as a closed form, e.g. "race closed form (strict, give up 30 behind)". */
  label: string;
}

/**
 * One headline outcome of a protocol: what a researcher runs the protocol to learn. Values are
 * read from one run's protocol summary (the module's `summarize` output), so they exist for
 * single runs, sweep trials and check runs alike.
 */
export interface HeadlineOutcome<P = ProtocolConfigOf> {
  /** Stable key for summary.json, points.csv columns and chart files, e.g. "doubleSpend". */
  readonly name: string;
  /** Words for tables and chart axes, e.g. "double-spend outcome". */
  readonly label: string;
  readonly kind: HeadlineKind;
  /** Unit of a rate, count or quantity ("blocks", "ops/s", "s", "fraction"); none for categorical (shares of trials). */
  readonly unit?: string;
  /**
   * Categorical: every category in display order; the first is the one charted and compared with
   * `theory` (e.g. "success"). By convention "undecided" means the run ended before the outcome
   * was decided; `medsim run` then says what ended it (e.g. an invariant checker).
   */
  readonly categories?: readonly string[];
  /** One-line meaning, shown in reports and `docs/`. */
  readonly description: string;
  /**
   * The value in one run: a category (categorical) or a finite number. `undefined` or `null` when
   * the outcome does not apply to this run (e.g. no attack configured): not counted.
   */
  read(summary: Record<string, unknown>, run: HeadlineRunInfo): string | number | null | undefined;
  /** Optional closed form at a scenario (the same for every trial of a sweep point); undefined where none applies. */
  theory?(scenario: Scenario<P>): HeadlineTheory | undefined;
}

/** A mark on the single-run timeline: a step of a progress series, or a named event. */
export type TimelineMark = { series: string; value: number } | { event: string };

/**
 * Which observations mark progress over virtual time. The runner keeps the first time each
 * (series, value) is reached and every event; the report draws them as step lines and markers.
 */
export interface TimelineSpec {
  /** Maps an observation to a mark (or nothing). Called for every observation: keep it cheap. */
  mark(node: NodeId, obs: Observation): TimelineMark | undefined;
  /** Events known only at the end (read from the protocol summary), e.g. "merchant accepts payment". */
  fromSummary?(summary: Record<string, unknown>): { timeUs: Micros; event: string }[];
}

type ProtocolConfigOf = { name: string } & Record<string, unknown>;

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
  /** The outcomes this protocol is run for, most important first (see `HeadlineOutcome`). */
  readonly headline?: readonly HeadlineOutcome<P>[];
  /** Progress marks for the single-run timeline, given the scenario (e.g. which node is the attacker). */
  timeline?(scenario: Scenario<P>): TimelineSpec;
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
