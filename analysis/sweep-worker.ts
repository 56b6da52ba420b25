/**
 * Piscina worker: runs one sweep trial. Loaded in a worker thread with `--import tsx`, so it
 * imports TypeScript trial modules directly. A trial that throws is returned as a failed
 * record (message only: stack traces differ between machines and would break the aggregate).
 */
import { pathToFileURL } from 'node:url';
import type { TrialModule, TrialTask } from './trial.ts';

export interface WorkerTask extends TrialTask {
  /** Absolute path of the trial module. */
  module: string;
}

export type WorkerReply = { ok: true; result: unknown } | { ok: false; error: string };

const modules = new Map<string, Promise<TrialModule>>();

export function loadTrialModule(path: string): Promise<TrialModule> {
  let m = modules.get(path);
  if (!m) {
    m = import(pathToFileURL(path).href) as Promise<TrialModule>;
    modules.set(path, m);
  }
  return m;
}

/** Runs one task; never throws for a trial's own failure. */
export async function runTask(task: WorkerTask): Promise<WorkerReply> {
  const mod = await loadTrialModule(task.module);
  if (typeof mod.runTrial !== 'function') throw new Error(`${task.module} does not export runTrial(task)`);
  try {
    const { module: _m, ...trialTask } = task;
    const result = await mod.runTrial(trialTask);
    // Normalise through JSON so in-process, worker and file-read records are identical.
    return { ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  } catch (err) {
    const e = err as Error;
    return { ok: false, error: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}` };
  }
}

export default runTask;
