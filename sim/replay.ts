/**
 * Faithful replays: the one way every command tells a user how to re-run what it ran.
 *
 * A replay is `npx medsim run <resolved.yaml> --seed <S>`, where `<resolved.yaml>` is the
 * scenario exactly as it was run — `extends:` merged, every `--set` override (and, for sweeps,
 * the point's swept values; for checks, the seed's fault draws) applied, unit strings kept —
 * written into the results directory. Because the file is self-contained, the replay reproduces
 * the identical trace hash at the same commit (recorded in manifest.json) no matter which
 * overrides, sweep point or fault draws produced it, and no matter where it is run from.
 *
 * - `medsim run` writes `<run dir>/scenario.yaml` (seed pinned) and stores the command in
 *   `summary.json` (`replay`); with `--no-write` there is no directory, so the printed replay
 *   carries the original file and every override instead (`replayWithOverrides`).
 * - `medsim sweep` writes `<sweep dir>/replay/point-<p>.yaml` for each point with a violating
 *   or failed trial; trial i of point p replays with `--seed <its trial seed>`.
 * - the check harness (analysis/check) can write `<suite>-seed-<S>.yaml` the same way with
 *   `writeReplayScenario` and print `replayCommand` next to its own `medsim check … --seed S`.
 */
import { isAbsolute, join, relative } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from './results.ts';

/** Name of the resolved scenario in a run directory. */
export const RESOLVED_SCENARIO_FILE = 'scenario.yaml';

/** Quotes a word for a POSIX shell when it holds anything but safe characters. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A path as a user would type it from the current directory: relative when inside it, absolute otherwise. */
export function displayPath(path: string, cwd = process.cwd()): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** `npx medsim run <file> --seed <seed>` (path shown relative to the current directory when inside it). */
export function replayCommand(file: string, seed: number): string {
  return `npx medsim run ${shellQuote(displayPath(file))} --seed ${seed}`;
}

/**
 * The replay of a run that wrote no directory: the original file, the seed and every `--set`
 * (as given, each quoted for the shell), in the order they were given.
 */
export function replayWithOverrides(file: string, seed: number, sets: readonly string[]): string {
  return [replayCommand(file, seed), ...sets.map((s) => `--set ${shellQuote(s)}`)].join(' ');
}

/** YAML text of a resolved scenario with `seed` pinned, `sweep:` removed, and a comment header. */
export function resolvedScenarioYaml(raw: Record<string, unknown>, seed: number, header: readonly string[] = []): string {
  const { sweep: _sweep, extends: _extends, ...rest } = raw;
  // The scenario reference's order (docs/scenarios.md), whatever order extends merged them in.
  const first = ['name', 'description', 'seed', 'duration', 'maxEvents', 'network', 'faults', 'protocol'];
  const ordered: Record<string, unknown> = {};
  for (const k of first) if (k === 'seed') ordered.seed = seed; else if (k in rest) ordered[k] = rest[k];
  for (const [k, v] of Object.entries(rest)) if (!(k in ordered)) ordered[k] = v;
  const body = stringify(ordered, { lineWidth: 0 });
  const comments = header.map((l) => `# ${l}`.trimEnd()).join('\n');
  return (comments ? comments + '\n' : '') + body;
}

/**
 * Writes `<dir>/<fileName>` (the resolved scenario, `seed` pinned) atomically and returns its
 * path and the replay command for `seed`. The header comment must not depend on the current
 * directory, so a replay that rewrites the same run directory writes the same bytes.
 */
export function writeReplayScenario(dir: string, fileName: string, raw: Record<string, unknown>, seed: number, header: readonly string[] = []): { file: string; command: string } {
  const file = join(dir, fileName);
  writeFileAtomic(file, resolvedScenarioYaml(raw, seed, header));
  return { file, command: replayCommand(file, seed) };
}
