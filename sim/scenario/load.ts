/**
 * Loading scenario files: YAML → `extends` resolution (deep merge, with per-key source positions)
 * → overrides → schema validation → a typed scenario with units parsed; and sweep expansion.
 *
 * Merge rules for `extends` (child over base):
 *   - mappings are merged key by key, recursively;
 *   - lists and scalars in the child replace the base's value whole;
 *   - a child value of null (`key: ~` or `key:` with nothing) removes the inherited key;
 *   - below the top level, a mapping whose `name` or `kind` differs from the base's (a protocol,
 *     a topology) replaces the base mapping whole instead of being merged into it, so switching
 *     `protocol.name` does not drag the old protocol's keys along.
 *
 * Sweep order: the cartesian product of the parameters in the order they are listed, the LAST
 * parameter varying fastest (like nested loops, first parameter outermost); point indices count
 * from 0 in that order.
 */
import path from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import type { z } from 'zod';
import { ScenarioError, describeValue, getPath as getPathArray, keyPathString, problemsFromZod } from './errors.ts';
import type { ScenarioProblem } from './errors.ts';
import { buildScenarioSchema, scenarioCrossChecks } from './schema.ts';
import type { ProtocolRegistry, ScenarioOf } from './schema.ts';
import { parseYaml, readScenarioText } from './yaml.ts';
import type { LocNode, SourcePos } from './yaml.ts';

/** A loaded, validated scenario. */
export interface LoadedScenario<S = ScenarioOf<ProtocolRegistry>> {
  /** Validated: defaults applied, durations in µs, sizes in bytes, bandwidths in bits/s. */
  scenario: S;
  /** The merged plain object as written (unit strings kept, `extends` removed, overrides applied), for manifests. */
  raw: Record<string, unknown>;
  /** The file as given to the loader. */
  file: string;
  /** The file and the files it extends, nearest first. */
  sources: string[];
  /** Source positions of every key in `raw` (used by expandSweep for its messages). */
  locations: LocNode;
}

export interface LoadOptions<R extends ProtocolRegistry> {
  registry: R;
  /** Values set after merging, by dot path: `{ 'network.loss': 0.01, 'duration': '30m' }`. */
  overrides?: Readonly<Record<string, unknown>>;
  /** How overrides are named in error messages (default "override"), e.g. "--set". */
  overrideSource?: string;
}

type Path = (string | number)[];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function problem(pos: SourcePos, keyPath: string, message: string): ScenarioProblem {
  return { file: pos.file, line: pos.line, column: pos.column, keyPath, message };
}

// ---------------------------------------------------------------------------------------------
// Paths

/** Splits "network.partitions.0.end" into ["network", "partitions", 0, "end"] (numeric segments become numbers). */
export function splitPath(p: string | readonly PropertyKey[]): Path {
  if (typeof p !== 'string') return p.map((s) => (typeof s === 'number' ? s : String(s)));
  if (p === '') return [];
  return p.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The value at a dot path (or path array) in a plain object tree; undefined when absent. */
export function getPath(root: unknown, p: string | readonly PropertyKey[]): unknown {
  return getPathArray(root, splitPath(p));
}

/**
 * Sets the value at a dot path (or path array), in place. Missing mapping keys along the way are
 * created as mappings; a list index must already exist. Throws an Error saying which part of the
 * path does not exist otherwise.
 */
export function setPath(root: Record<string, unknown>, p: string | readonly PropertyKey[], value: unknown): void {
  const segs = splitPath(p);
  if (segs.length === 0) throw new Error('empty path');
  let cur: unknown = root;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    const here = keyPathString(segs.slice(0, i)) || 'the scenario';
    if (Array.isArray(cur)) {
      if (typeof seg !== 'number') throw new Error(`${here} is a list; "${seg}" is not an index`);
      if (seg >= cur.length) throw new Error(`${here} has ${cur.length} item${cur.length === 1 ? '' : 's'}; there is no index ${seg}`);
      if (last) cur[seg] = value;
      else cur = cur[seg];
    } else if (isPlainObject(cur)) {
      const key = String(seg);
      if (last) cur[key] = value;
      else {
        if (cur[key] === undefined || cur[key] === null) {
          if (typeof segs[i + 1] === 'number') throw new Error(`${keyPathString(segs.slice(0, i + 1))} does not exist, so it has no index ${segs[i + 1]}`);
          cur[key] = {};
        }
        cur = cur[key];
      }
    } else {
      throw new Error(`${here} is ${describeValue(cur)}, not a mapping or list`);
    }
  }
}

/** Returns a copy of `loc` where the node at `p` is replaced by `node` (intermediate nodes created as needed). */
function graftLocation(loc: LocNode, p: readonly PropertyKey[], node: LocNode): LocNode {
  if (p.length === 0) return node;
  const [head, ...rest] = p;
  const children = new Map(loc.children ?? []);
  const existing = children.get(String(head)) ?? { value: loc.key ?? loc.value };
  children.set(String(head), graftLocation(existing, rest, node));
  return { ...loc, children };
}

// ---------------------------------------------------------------------------------------------
// extends

/** Deep merge of plain values, with source positions merged alongside (see the module comment for the rules). */
function mergeLocated(base: unknown, baseLoc: LocNode | undefined, child: unknown, childLoc: LocNode | undefined, depth: number): [unknown, LocNode | undefined] {
  if (!isPlainObject(base) || !isPlainObject(child)) return [child, childLoc];
  if (depth > 0) {
    for (const tag of ['name', 'kind']) {
      if (tag in base && tag in child && base[tag] !== child[tag] && child[tag] !== null) return [child, childLoc];
    }
  }
  const out: Record<string, unknown> = {};
  const locs = new Map<string, LocNode>();
  const bl = baseLoc?.children;
  const cl = childLoc?.children;
  for (const [k, v] of Object.entries(base)) {
    if (k in child) continue;
    out[k] = v;
    const l = bl?.get(k);
    if (l) locs.set(k, l);
  }
  for (const [k, v] of Object.entries(child)) {
    if (v === null && k in base) continue; // null removes the inherited key
    if (k in base) {
      const [mv, ml] = mergeLocated(base[k], bl?.get(k), v, cl?.get(k), depth + 1);
      out[k] = mv;
      if (ml) locs.set(k, ml);
    } else {
      out[k] = v;
      const l = cl?.get(k);
      if (l) locs.set(k, l);
    }
  }
  const shell = childLoc ?? baseLoc ?? { value: { file: '<merged>', line: 0, column: 0 } };
  return [out, { ...shell, children: locs }];
}

/** Deep merge (child over base) by the `extends` rules, without positions. */
export function deepMerge(base: unknown, child: unknown): unknown {
  return mergeLocated(base, undefined, child, undefined, 0)[0];
}

interface Resolved {
  raw: Record<string, unknown>;
  locations: LocNode;
  sources: string[];
}

interface Via {
  /** Position of the `extends:` key that brought this file in. */
  pos: SourcePos;
  /** The chain of absolute paths, outermost first. */
  chain: string[];
  /** The same chain as shown in messages. */
  shown: string[];
}

function describeTopLevel(v: unknown): string {
  return describeValue(v);
}

function resolveDocument(text: string, file: string, abs: string, via: Via | undefined): Resolved {
  const parsed = parseYaml(text, file);
  const top: SourcePos = { file, line: 1, column: 1 };
  const viaNote = via ? ` (extended from ${via.pos.file}:${via.pos.line}:${via.pos.column})` : '';
  if (parsed.value === undefined || parsed.value === null) {
    throw new ScenarioError([
      problem(top, '', via
        ? `the extended file is empty${viaNote}`
        : 'the file is empty: a scenario is a mapping with at least "name", "duration", "network" and "protocol"'),
    ]);
  }
  if (!isPlainObject(parsed.value)) {
    throw new ScenarioError([
      problem(parsed.locations.value, '', `expected a mapping (key: value lines) at the top of the file, got ${describeTopLevel(parsed.value)}${viaNote}`),
    ]);
  }
  const value = parsed.value;
  const locations = parsed.locations;
  if (!('extends' in value)) return { raw: value, locations, sources: [file] };

  const extLoc = locations.children?.get('extends');
  const extPos = extLoc?.key ?? top;
  const ext = value.extends;
  if (typeof ext !== 'string' || ext.trim() === '') {
    throw new ScenarioError([problem(extPos, 'extends', `expected the path of a scenario file to inherit from, like "base.yaml", got ${describeValue(ext)}`)]);
  }
  const baseAbs = path.resolve(path.dirname(abs), ext);
  const baseShown = path.isAbsolute(ext) ? ext : path.normalize(path.join(path.dirname(file), ext));
  const chain = [...(via?.chain ?? []), abs];
  const shown = [...(via?.shown ?? []), file];
  const cycleAt = chain.indexOf(baseAbs);
  if (cycleAt >= 0) {
    const loop = [...shown.slice(cycleAt), shown[cycleAt]!].join(' → ');
    throw new ScenarioError([problem(extPos, 'extends', `extends cycle: ${loop}`)]);
  }
  let baseText: string;
  try {
    baseText = readScenarioText(baseAbs, baseShown);
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    throw new ScenarioError([problem(extPos, 'extends', `cannot read "${ext}" (looked for ${baseShown}): ${why}`)]);
  }
  const base = resolveDocument(baseText, baseShown, baseAbs, { pos: extPos, chain, shown });
  const child = { ...value };
  delete child.extends;
  const childLocs: LocNode = { ...locations, children: new Map([...(locations.children ?? [])].filter(([k]) => k !== 'extends')) };
  const [merged, mergedLocs] = mergeLocated(base.raw, base.locations, child, childLocs, 0);
  return { raw: merged as Record<string, unknown>, locations: mergedLocs ?? childLocs, sources: [file, ...base.sources] };
}

// ---------------------------------------------------------------------------------------------
// Overrides

/**
 * Parses a command-line override "network.loss=0.01" into its path and value; the value is read
 * as YAML, so `0.01` is a number, `50ms` a string and `[1, 2]` a list.
 */
export function parseOverride(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`expected path=value, like network.loss=0.01, got ${JSON.stringify(text)}`);
  const key = text.slice(0, eq).trim();
  const valueText = text.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYamlValue(valueText);
  } catch {
    value = valueText;
  }
  return [key, value === null && valueText.trim() === '' ? '' : value];
}

function applyOverrides(raw: Record<string, unknown>, locations: LocNode, overrides: Readonly<Record<string, unknown>>, label: string): LocNode {
  let locs = locations;
  const problems: ScenarioProblem[] = [];
  for (const key of Object.keys(overrides).sort()) {
    const pos: SourcePos = { file: label, line: 0, column: 0 };
    try {
      setPath(raw, key, overrides[key]);
      locs = graftLocation(locs, splitPath(key), { key: pos, value: pos });
    } catch (err) {
      problems.push(problem(pos, key, `cannot set ${key}: ${(err as Error).message}`));
    }
  }
  if (problems.length) throw new ScenarioError(problems);
  return locs;
}

// ---------------------------------------------------------------------------------------------
// Validation and loading

/** Where a raw scenario came from, for error positions. */
export interface ScenarioSource {
  file: string;
  locations?: LocNode;
}

/** The node-id cross-checks as zod-shaped issues. */
function crossCheckIssues(raw: unknown): z.core.$ZodIssue[] {
  if (!isPlainObject(raw)) return [];
  return scenarioCrossChecks(raw).map((i) => ({
    code: 'custom' as const, path: i.path, message: i.message, input: undefined, ...(i.expected ? { params: { expected: i.expected } } : {}),
  }));
}

/**
 * Validates a merged plain scenario (unit strings) against the registry's schema; returns the
 * typed scenario or throws a ScenarioError listing every problem.
 */
export function validateScenario<R extends ProtocolRegistry>(raw: unknown, registry: R, source: ScenarioSource = { file: '<scenario>' }): ScenarioOf<R> {
  const schema = buildScenarioSchema(registry);
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  // zod skips the scenario-level refinement while other fields are invalid; run it anyway so one
  // pass reports every problem (duplicates are dropped by problemsFromZod).
  const issues = [...result.error.issues, ...crossCheckIssues(raw)];
  throw new ScenarioError(problemsFromZod(issues, { raw, schema, file: source.file, ...(source.locations ? { locations: source.locations } : {}) }));
}

/** Parses scenario text as if it were the file `file` (relative `extends` resolve from its folder). */
export function parseScenarioText<R extends ProtocolRegistry>(
  text: string,
  file: string,
  registry: R,
  opts: Omit<LoadOptions<R>, 'registry'> = {},
): LoadedScenario<ScenarioOf<R>> {
  const resolved = resolveDocument(text, file, path.resolve(file), undefined);
  const raw = resolved.raw;
  const locations = opts.overrides ? applyOverrides(raw, resolved.locations, opts.overrides, opts.overrideSource ?? 'override') : resolved.locations;
  const scenario = validateScenario(raw, registry, { file, locations });
  return { scenario, raw, file, sources: resolved.sources, locations };
}

/** Reads, resolves, validates a scenario file. Throws ScenarioError (message ready to print) on any problem. */
export function loadScenario<R extends ProtocolRegistry>(file: string, opts: LoadOptions<R>): LoadedScenario<ScenarioOf<R>> {
  let text: string;
  try {
    text = readScenarioText(file, file);
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a directory' : String((err as Error).message);
    throw new ScenarioError([{ file, line: 0, column: 0, keyPath: '', message: `cannot read the scenario: ${why}` }]);
  }
  const { registry, ...rest } = opts;
  return parseScenarioText(text, file, registry, rest);
}

// ---------------------------------------------------------------------------------------------
// Sweeps

/** One combination of swept values. */
export interface SweepPoint<S = ScenarioOf<ProtocolRegistry>> {
  /** Position in the documented order (0-based; last parameter fastest). */
  index: number;
  /** The value set at each swept path, as written (unit strings kept). */
  assignments: Record<string, unknown>;
  /** The point's plain scenario (unit strings, `sweep` removed), for manifests. */
  raw: Record<string, unknown>;
  /** The point's validated scenario (`sweep` removed). */
  scenario: S;
}

/** Largest number of points one sweep may expand to. */
export const MAX_SWEEP_POINTS = 1_000_000;
const MAX_REPORTED = 20;

/** The numbers of a `range`: from, from+step, … ≤ to (rounded to 12 significant digits against float drift). */
export function rangeValues(range: { from: number; to: number; step: number }): number[] {
  const { from, to, step } = range;
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Number((from + i * step).toPrecision(12)));
  return out;
}

function showValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

/**
 * Expands `raw.sweep` into its points (the cartesian product of the parameters' values, last
 * parameter fastest), each re-validated. With no sweep, returns one point with no assignments.
 * Problems in a point name the sweep entry that set the offending value (or, for a value not
 * set by the sweep, its own position), followed by "(sweep point k: path = value, …)".
 * Pass the LoadedScenario (or its file and locations) as `source` to get line numbers.
 */
export function expandSweep<R extends ProtocolRegistry>(raw: Record<string, unknown>, registry: R, source: ScenarioSource = { file: '<scenario>' }): SweepPoint<ScenarioOf<R>>[] {
  const base = validateScenario(raw, registry, source) as { sweep?: { parameters: { path: string; values?: unknown[]; range?: { from: number; to: number; step: number } }[] } };
  const withoutSweep = structuredClone(raw);
  delete withoutSweep.sweep;
  const sweep = base.sweep;
  if (!sweep) {
    return [{ index: 0, assignments: {}, raw: withoutSweep, scenario: validateScenario(withoutSweep, registry, source) }];
  }
  const file = source.file;
  const where = (p: Path): SourcePos => {
    let node = source.locations;
    let best: SourcePos = { file, line: 0, column: 0 };
    if (node) best = node.key ?? node.value;
    for (const seg of p) {
      node = node?.children?.get(String(seg));
      if (!node) break;
      best = node.key ?? node.value;
    }
    return best;
  };

  // Each parameter: its path, values, and the position of each value's source.
  const params = sweep.parameters.map((p, i) => {
    const values = p.values ?? rangeValues(p.range!);
    const valuePos = (j: number) => (p.values ? where(['sweep', 'parameters', i, 'values', j]) : where(['sweep', 'parameters', i, 'range']));
    const entry = p.values ? (j: number) => `sweep.parameters.${i}.values.${j}` : () => `sweep.parameters.${i}.range`;
    return { path: p.path, segs: splitPath(p.path), values, valuePos, entry, index: i };
  });

  const problems: ScenarioProblem[] = [];
  const seenPaths = new Map<string, number>();
  for (const p of params) {
    const prev = seenPaths.get(p.path);
    if (prev !== undefined) {
      problems.push(problem(where(['sweep', 'parameters', p.index, 'path']), `sweep.parameters.${p.index}.path`, `"${p.path}" is already swept by sweep.parameters.${prev}`));
    }
    seenPaths.set(p.path, p.index);
    try {
      setPath(structuredClone(withoutSweep), p.segs, p.values[0]);
    } catch (err) {
      problems.push(problem(where(['sweep', 'parameters', p.index, 'path']), `sweep.parameters.${p.index}.path`, `cannot sweep "${p.path}": ${(err as Error).message}`));
    }
  }
  const total = params.reduce((n, p) => n * p.values.length, 1);
  if (total > MAX_SWEEP_POINTS) {
    problems.push(problem(where(['sweep', 'parameters']), 'sweep.parameters', `the sweep has ${total} points, more than the limit of ${MAX_SWEEP_POINTS}`));
  }
  if (problems.length) throw new ScenarioError(problems);

  const schema = buildScenarioSchema(registry);
  const points: SweepPoint<ScenarioOf<R>>[] = [];
  const seen = new Set<string>();
  let suppressed = 0;
  const digits = params.map(() => 0);
  for (let index = 0; index < total; index++) {
    const pointRaw = structuredClone(withoutSweep);
    const assignments: Record<string, unknown> = {};
    let locations = source.locations;
    for (const [k, p] of params.entries()) {
      const j = digits[k]!;
      const value = structuredClone(p.values[j]);
      assignments[p.path] = value;
      setPath(pointRaw, p.segs, value);
      if (locations) {
        const pos = p.valuePos(j);
        locations = graftLocation(locations, p.segs, { key: pos, value: pos });
      }
    }
    const result = schema.safeParse(pointRaw);
    if (result.success) {
      points.push({ index, assignments, raw: pointRaw, scenario: result.data });
    } else {
      const note = ` (sweep point ${index}: ${params.map((p, k) => `${p.path} = ${showValue(assignments[p.path])} from ${p.entry(digits[k]!)}`).join(', ')})`;
      const found = problemsFromZod(result.error.issues, { raw: pointRaw, schema, file, ...(locations ? { locations } : {}) });
      for (const pr of found) {
        const id = `${pr.file}:${pr.line}:${pr.column}:${pr.keyPath}:${pr.message}`;
        if (seen.has(id)) continue;
        seen.add(id);
        if (problems.length >= MAX_REPORTED) {
          suppressed++;
          continue;
        }
        problems.push({ ...pr, message: pr.message + note });
      }
    }
    // Odometer: the last parameter turns fastest.
    for (let k = params.length - 1; k >= 0; k--) {
      digits[k] += 1;
      if (digits[k] < params[k].values.length) break;
      digits[k] = 0;
    }
  }
  if (problems.length) {
    if (suppressed > 0) problems.push({ file, line: 0, column: 0, keyPath: 'sweep', message: `… and ${suppressed} more problem${suppressed === 1 ? '' : 's'} in other sweep points` });
    throw new ScenarioError(problems);
  }
  return points;
}
