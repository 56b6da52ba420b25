/**
 * Runs a figure's scenario points through the sweep engine (the scenario trial module), resuming
 * an identical earlier sweep in the figure's directory and starting afresh otherwise, and
 * returns each point's per-trial results in trial order.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeSpec, readManifest, readRecords, runSweepSpec, sweepIdentity, type SweepSpec } from '../sweep.ts';
import type { TrialPoint } from '../trial.ts';
import type { FigureContext } from './types.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** What the scenario trial module returns for one trial (the fields figures read). */
export interface ScenarioTrialResult {
  protocol: Record<string, unknown>;
}

/** `sub`: the sweep's folder under the figure's directory (default `sweep`; a figure with several sweeps names each). */
export async function sweepScenarioPoints(ctx: FigureContext, name: string, points: TrialPoint[], trials: number, sub = 'sweep'): Promise<ScenarioTrialResult[][]> {
  const spec: SweepSpec = normalizeSpec({ name, seed: ctx.seed, trials, points, trialModule: join(HERE, '..', 'trials', 'scenario.ts'), trialOptions: { registryModule: null } });
  const dir = join(ctx.dir, sub);
  let resume = false;
  if (existsSync(join(dir, 'manifest.json'))) {
    if (readManifest(dir).identity === sweepIdentity(spec)) resume = true;
    else rmSync(dir, { recursive: true, force: true });
  }
  const o = await runSweepSpec(spec, { out: dir, resume, ...(ctx.workers !== undefined ? { workers: ctx.workers } : {}) });
  if (o.failures.length) throw new Error(`${name}: trial failed, seed ${o.failures[0].seed}: ${o.failures[0].error}`);
  const recs = readRecords(dir);
  return points.map((p) => Array.from({ length: trials }, (_, i) => recs.get(p.index * trials + i)!.result as ScenarioTrialResult));
}
