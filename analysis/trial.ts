/**
 * The contract between the sweep engine and the code that runs one trial.
 *
 * A trial module is a TypeScript file exporting `runTrial(task)` (and optionally
 * `summarizePoint`). The engine sends each task to a worker thread (analysis/sweep-worker.ts),
 * which imports the module by path and calls `runTrial`. A trial must be deterministic: its
 * result may depend only on the task (point parameters, trial index, seed, options) — never on
 * the wall clock, the worker that ran it or the order of trials. Results must be JSON data.
 *
 * Built-in trial modules: `analysis/trials/scenario.ts` (runs a scenario point with the kernel)
 * and `analysis/trials/race.ts` (a batch of abstract double-spend races).
 */

/** One sweep point as the trial sees it. */
export interface TrialPoint<P = unknown> {
  /** Point index (0-based, sweep order). */
  index: number;
  /** Swept values at this point, by dot path (as written). */
  assignments: Record<string, unknown>;
  /** Parameters of the point (for scenario sweeps: the point's validated scenario). */
  params: P;
}

export interface TrialTask<P = unknown, O = unknown> {
  point: TrialPoint<P>;
  /** Trial index within the point (0-based). */
  trial: number;
  /** The trial's run seed (48-bit integer derived from the sweep seed, point and trial). */
  seed: number;
  /** The same derivation as 64 hex digits, for generators that want 128+ bits. */
  seedHex: string;
  /** Sweep-wide options of the trial module. */
  options: O;
}

export interface TrialModule<P = unknown, O = unknown, R = unknown> {
  runTrial(task: TrialTask<P, O>): R | Promise<R>;
  /**
   * Aggregates the successful results of one point (in trial order) into the point's summary
   * (JSON). Without it the engine summarises every numeric and boolean field.
   */
  summarizePoint?(results: R[], point: TrialPoint<P>, options: O): Record<string, unknown> | Promise<Record<string, unknown>>;
}
