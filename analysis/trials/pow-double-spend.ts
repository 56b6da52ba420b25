/**
 * Sweep trial module: one double-spend attack on the full PoW network simulation
 * (protocols/pow `doubleSpendFullNetwork`, found by name so this file does not pin its path).
 * Point params `{q, z}`; options are passed through to the PoW function.
 */
import { pathToFileURL } from 'node:url';
import { findExport } from '../reproduce/needs.ts';
import type { TrialTask } from '../trial.ts';

type Full = (q: number, z: number, seed: number, options?: unknown) => { success: boolean; result: string; attackerBlocks: number; blocksMined: number; traceHash: string };
let fn: Promise<Full> | undefined;

function load(): Promise<Full> {
  if (!fn) {
    const file = findExport('protocols/pow', 'doubleSpendFullNetwork');
    if (!file) throw new Error('needs protocols/pow: doubleSpendFullNetwork (not available)');
    fn = import(pathToFileURL(file).href).then((m: { doubleSpendFullNetwork: Full }) => m.doubleSpendFullNetwork);
  }
  return fn;
}

export async function runTrial(task: TrialTask<{ q: number; z: number }, Record<string, unknown> | null>): Promise<Record<string, unknown>> {
  const full = await load();
  const r = full(task.point.params.q, task.point.params.z, task.seed, task.options ?? {});
  return { success: r.success, result: r.result, attackerBlocks: r.attackerBlocks, blocksMined: r.blocksMined, traceHash: r.traceHash };
}
