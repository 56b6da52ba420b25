/**
 * Runs a figure's points through the sweep engine with any trial module (analysis/trials/*.ts),
 * in `<figure dir>/<subdir>/`: an identical earlier sweep there is resumed (instant when it is
 * complete), a different one is replaced. Returns each point's per-trial results in trial order.
 * (scenario-points.ts is the same for the scenario trial module, in `<figure dir>/sweep/`.)
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeSpec, readManifest, readRecords, runSweepSpec, sweepIdentity, type SweepSpec } from '../sweep.ts';
import type { TrialPoint } from '../trial.ts';
import type { FigureContext } from './types.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface TrialSweep {
  /** Sweep name (manifest). */
  name: string;
  /** Directory under the figure's directory. */
  subdir: string;
  /** Trial module file name in analysis/trials/ (e.g. `dpos-election.ts`). */
  trialModule: string;
  points: TrialPoint[];
  /** Trials per point. */
  trials: number;
  /** Options passed to every trial (JSON). */
  trialOptions?: unknown;
}

export async function sweepTrials<R>(ctx: Pick<FigureContext, 'dir' | 'seed' | 'workers'>, s: TrialSweep): Promise<R[][]> {
  const spec: SweepSpec = normalizeSpec({ name: s.name, seed: ctx.seed, trials: s.trials, points: s.points, trialModule: join(HERE, '..', 'trials', s.trialModule), trialOptions: s.trialOptions ?? null });
  const dir = join(ctx.dir, s.subdir);
  let resume = false;
  if (existsSync(join(dir, 'manifest.json'))) {
    if (readManifest(dir).identity === sweepIdentity(spec)) resume = true;
    else rmSync(dir, { recursive: true, force: true });
  }
  const o = await runSweepSpec(spec, { out: dir, resume, ...(ctx.workers !== undefined ? { workers: ctx.workers } : {}) });
  if (o.failures.length) throw new Error(`${s.name}: trial failed, seed ${o.failures[0].seed}: ${o.failures[0].error}`);
  if (!o.complete) throw new Error(`${s.name}: interrupted`);
  const recs = readRecords(dir);
  return s.points.map((p) => Array.from({ length: s.trials }, (_, i) => recs.get(p.index * s.trials + i)!.result as R));
}
