/**
 * `medsim bench sweep`: the double-spend race Monte-Carlo through the sweep engine on 2 workers
 * versus 1, in the same process (GUIDE §5: ratios measured side by side). Wall times include
 * the pool start-up (workers load tsx and the trial module, about 1.5 s here), as a user would
 * see them; medians over `repetitions`, alternating 1 and 2 workers so machine noise hits both.
 * The default size (96 M races, ~20 s on one worker) keeps that fixed start-up from hiding the
 * scaling: measured side by side, 32 M races gave a speedup of 1.48 and 96 M gave 1.92.
 *
 * `benchRace()`: single-thread race trials per second (per core) of the abstract race model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import { raceMonteCarlo, raceSeed } from './doublespend.ts';
import { runSweepSpec, type SweepSpec } from './sweep.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface BenchSweepResult {
  trials: number;
  wallMs1: number;
  wallMs2: number;
  speedup: number;
}

/** The benchmark's sweep: q ∈ {0.1, 0.3}, z ∈ {6, 10}; `batches` trials per point of `races` races. */
export function benchSweepSpec(batches: number, races: number): SweepSpec {
  const grid = [{ q: 0.1, z: 6 }, { q: 0.3, z: 10 }];
  return {
    name: 'bench-sweep',
    seed: 7,
    trials: batches,
    points: grid.map((g, index) => ({ index, assignments: g, params: g })),
    trialModule: join(HERE, 'trials', 'race.ts'),
    trialOptions: { races },
  };
}

export async function benchSweep(options: { repetitions?: number; batches?: number; races?: number } = {}): Promise<BenchSweepResult> {
  const repetitions = options.repetitions ?? 3;
  const batches = options.batches ?? 48;
  const races = options.races ?? 1_000_000;
  const spec = benchSweepSpec(batches, races);
  const root = mkdtempSync(join(tmpdir(), 'medsim-bench-sweep-'));
  const w1: number[] = [];
  const w2: number[] = [];
  let hash: string | undefined;
  try {
    for (let r = 0; r < repetitions; r++) {
      for (const workers of [1, 2]) {
        const out = await runSweepSpec(spec, { workers, out: join(root, `r${r}-w${workers}`), writeOutputs: false });
        if (hash !== undefined && out.aggregateHash !== hash) throw new Error('bench sweep: aggregate differs between worker counts');
        hash = out.aggregateHash;
        (workers === 1 ? w1 : w2).push(out.wallMs);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const wallMs1 = Math.round(median(w1));
  const wallMs2 = Math.round(median(w2));
  return { trials: spec.points.length * batches * races, wallMs1, wallMs2, speedup: Number((wallMs1 / wallMs2).toFixed(2)) };
}

export interface BenchRaceResult {
  races: number;
  q: number;
  z: number;
  wallMs: number;
  racesPerSec: number;
  stepsPerRace: number;
}

/** Single-thread race throughput at (q, z); median of `repetitions`. */
export function benchRace(options: { q?: number; z?: number; races?: number; repetitions?: number } = {}): BenchRaceResult {
  const q = options.q ?? 0.1;
  const z = options.z ?? 6;
  const races = options.races ?? 2_000_000;
  const times: number[] = [];
  let steps = 0;
  raceMonteCarlo({ q, z, trials: 100_000, seed: raceSeed(0, q, z, 0) }); // warm-up (JIT)
  for (let r = 0; r < (options.repetitions ?? 5); r++) {
    const t0 = performance.now(); // wall-clock: benchmark timing
    const res = raceMonteCarlo({ q, z, trials: races, seed: raceSeed(1, q, z, r) });
    times.push(performance.now() - t0);
    steps = res.steps;
  }
  const wallMs = median(times);
  return { races, q, z, wallMs: Math.round(wallMs), racesPerSec: Math.round((races / wallMs) * 1000), stepsPerRace: Number((steps / races).toFixed(1)) };
}
