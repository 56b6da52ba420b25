/**
 * The reproduction registry's contract. A figure is one file in analysis/reproduce/ exporting a
 * `Figure`, and one entry in registry.ts.
 */
import type { WrittenChart } from '../charts.ts';

export interface FigureContext {
  /** CI smoke mode: under a minute per figure, fewer trials. */
  quick: boolean;
  /** Trials override (meaning per figure: races, elections, runs). */
  trials?: number;
  /** Worker threads for sweeps (default: cores). */
  workers?: number;
  /** This figure's output directory (created). */
  dir: string;
  /** Seed of the reproduction. */
  seed: number;
  /** Progress lines (stderr; silent with --json). */
  log: (line: string) => void;
}

/** One published value next to ours. */
export interface Comparison {
  label: string;
  paper: number | string;
  /** Ours: always a simulated or measured value (with its interval or sample size), never a closed form. */
  ours: number | string;
  /** Ours as a number, when `ours` is text (value with interval). */
  oursValue?: number;
  /** ours − paper, or a ratio with its convention named ("paper ÷ ours ×2.1"), in words. */
  difference?: string;
}

export interface FigureResult {
  /** The figure's rows (its `--json` output is `{ rows }`). */
  rows: Record<string, unknown>[];
  /** Column order for the table / CSV. */
  columns: string[];
  /** Published values next to ours. */
  comparisons?: Comparison[];
  charts: WrittenChart[];
  /** Statements: rule simulated, substitutions, caveats. */
  notes: string[];
}

export interface Figure {
  id: string;
  title: string;
  /** Seed paper and figure/table number, e.g. "seed 001 (Wang et al. 2019), Fig. 7". */
  source: string;
  /** Where the published values come from. */
  published: string;
  /** Exports this figure needs from other folders: checked before running. */
  needs?: { folder: string; name: string }[];
  run(ctx: FigureContext, deps: Record<string, unknown>): Promise<FigureResult>;
}
