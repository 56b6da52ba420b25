/**
 * `reproduce(id | 'all', options)`: runs registered figures, writes each into
 * `<out>/<id>/` (rows CSV, chart spec + CSV + SVG + PNG, summary.json, manifest.json), and
 * returns what happened to each. A figure whose dependencies have not landed is reported as
 * `unavailable` with the reason ("needs protocols/pow: powModule (not available)").
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeManifest, PROJECT_ROOT, writeJsonAtomic } from '../../sim/results.ts';
import { FigureUnavailable, resolveNeeds } from './needs.ts';
import { FIGURES } from './registry.ts';
import type { Comparison, Figure } from './types.ts';

export { FIGURES } from './registry.ts';
export type { Figure, FigureContext, FigureResult } from './types.ts';

export interface ReproduceOptions {
  quick?: boolean;
  /** Only collects output (the CLI prints JSON); figures log nothing. */
  json?: boolean;
  /** Output root (default results/reproduce). */
  out?: string;
  trials?: number;
  workers?: number;
  seed?: number;
  /** Progress lines (default: stderr unless json). */
  log?: (line: string) => void;
}

export interface FigureOutcome {
  id: string;
  title: string;
  source: string;
  published: string;
  status: 'ok' | 'unavailable' | 'failed';
  reason?: string;
  rows?: Record<string, unknown>[];
  columns?: string[];
  comparisons?: Comparison[];
  notes?: string[];
  dir?: string;
  charts?: string[];
  wallMs: number;
}

export class UnknownFigure extends Error {}

export function findFigure(id: string): Figure {
  const f = FIGURES.find((x) => x.id === id);
  if (!f) throw new UnknownFigure(`unknown figure "${id}"; known: ${FIGURES.map((x) => x.id).join(', ')} (or "all")`);
  return f;
}

export const DEFAULT_REPRODUCE_SEED = 2019;

export async function reproduce(id: string, options: ReproduceOptions = {}): Promise<FigureOutcome[]> {
  const figures = id === 'all' ? [...FIGURES] : [findFigure(id)];
  const root = resolve(options.out ?? join(PROJECT_ROOT, 'results', 'reproduce'));
  const log = options.log ?? (options.json ? () => {} : (line: string) => process.stderr.write(line + '\n'));
  const out: FigureOutcome[] = [];
  for (const fig of figures) {
    const t0 = performance.now(); // wall-clock: reported only
    const base = { id: fig.id, title: fig.title, source: fig.source, published: fig.published };
    let deps: Record<string, unknown>;
    try {
      deps = await resolveNeeds(fig.needs);
    } catch (err) {
      if (!(err instanceof FigureUnavailable)) throw err;
      log(`${fig.id}: unavailable — ${err.message}`);
      out.push({ ...base, status: 'unavailable', reason: err.message, wallMs: 0 });
      continue;
    }
    const dir = join(root, fig.id);
    mkdirSync(dir, { recursive: true });
    const seed = options.seed ?? DEFAULT_REPRODUCE_SEED;
    log(`${fig.id}: running${options.quick ? ' (quick)' : ''} → ${dir}`);
    try {
      const result = await fig.run({ quick: Boolean(options.quick), ...(options.trials !== undefined ? { trials: options.trials } : {}), ...(options.workers !== undefined ? { workers: options.workers } : {}), dir, seed, log }, deps);
      const wallMs = Math.round(performance.now() - t0);
      writeJsonAtomic(join(dir, 'manifest.json'), makeManifest({ scenario: `reproduce/${fig.id}`, seed, resolvedScenario: null, figure: fig.id, quick: Boolean(options.quick), trials: options.trials ?? null }));
      writeJsonAtomic(join(dir, 'summary.json'), { figure: fig.id, title: fig.title, source: fig.source, published: fig.published, columns: result.columns, rows: result.rows, comparisons: result.comparisons ?? [], notes: result.notes });
      out.push({ ...base, status: 'ok', rows: result.rows, columns: result.columns, comparisons: result.comparisons ?? [], notes: result.notes, dir, charts: result.charts.map((c) => c.png), wallMs });
      log(`${fig.id}: done in ${(wallMs / 1000).toFixed(1)} s`);
    } catch (err) {
      if (err instanceof FigureUnavailable) {
        out.push({ ...base, status: 'unavailable', reason: err.message, wallMs: 0 });
        continue;
      }
      const e = err as Error;
      log(`${fig.id}: FAILED — ${e.message}`);
      out.push({ ...base, status: 'failed', reason: e.message, dir, wallMs: Math.round(performance.now() - t0) });
    }
  }
  return out;
}
