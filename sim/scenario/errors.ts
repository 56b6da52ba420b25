/**
 * Scenario errors: one ScenarioError carries every problem found, each naming the file, line,
 * column and key path, what was expected and what was found, e.g.
 *
 *     scenarios/x.yaml:12:5: network.topology.degree: expected an integer ≥ 1, got "eight"
 *     scenarios/x.yaml:14:5: network.topology.degre: unknown key "degre" — did you mean "degree"?
 *
 * `problemsFromZod` translates zod v4 issues into such problems. It never shows zod's own wording
 * or JSON: the "expected …" phrase comes from the schema at the issue's path (the expectations
 * registry in meta.ts, or a phrase derived from the schema's structure), the "got …" part from
 * the value actually written, and the position from the YAML source map (LocNode).
 */
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { expectations } from './meta.ts';
import type { Expectation } from './meta.ts';
import type { LocNode, SourcePos } from './yaml.ts';

/** One thing wrong with a scenario. */
export interface ScenarioProblem {
  /** File the offending value (or its parent) was written in. */
  file: string;
  /** 1-based line; 0 when the problem has no line (e.g. a command-line override). */
  line: number;
  /** 1-based column; 0 when unknown. */
  column: number;
  /** Dot path of the offending key, e.g. "network.topology.degree" ('' for the whole file). */
  keyPath: string;
  /** What was wrong, without the location prefix: `expected an integer ≥ 1, got "eight"`. */
  message: string;
  /** The "expected …" phrase, when the problem is about a value's shape. */
  expected?: string;
}

/** `file:line:col: keyPath: message` (parts that are unknown are left out). */
export function formatProblem(p: ScenarioProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return `${where}: ${p.keyPath ? `${p.keyPath}: ` : ''}${p.message}`;
}

function compareProblems(a: ScenarioProblem, b: ScenarioProblem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  const la = a.line === 0 ? Number.MAX_SAFE_INTEGER : a.line;
  const lb = b.line === 0 ? Number.MAX_SAFE_INTEGER : b.line;
  return la - lb || a.column - b.column;
}

/**
 * Everything wrong with a scenario. `message` lists every problem, one per line (continuation
 * lines, such as a YAML code frame, are indented), sorted by file, line and column; the
 * convenience fields (file, line, …) describe the first.
 */
/** Problems printed in a ScenarioError's message; the rest are summarised in one line (all stay in `problems`). */
export const MAX_PRINTED_PROBLEMS = 20;
/** Longest message of one problem in the printed list (a binary file's "line" could be megabytes). */
const MAX_PROBLEM_CHARS = 400;

function clip(text: string): string {
  return text.length > MAX_PROBLEM_CHARS ? `${text.slice(0, MAX_PROBLEM_CHARS)}… (${text.length - MAX_PROBLEM_CHARS} more characters)` : text;
}

export class ScenarioError extends Error {
  readonly problems: readonly ScenarioProblem[];
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly keyPath: string;
  readonly expected: string | undefined;

  constructor(problems: ScenarioProblem[]) {
    const sorted = [...problems].sort(compareProblems);
    if (sorted.length === 0) sorted.push({ file: '<scenario>', line: 0, column: 0, keyPath: '', message: 'invalid scenario' });
    const shown = sorted.slice(0, MAX_PRINTED_PROBLEMS).map((p) => clip(formatProblem(p)));
    const more = sorted.length - shown.length;
    super([...shown, ...(more > 0 ? [`… and ${more} more problem${more === 1 ? '' : 's'} (fix these first)`] : [])].join('\n'));
    this.name = 'ScenarioError';
    this.problems = sorted;
    const first = sorted[0]!;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.keyPath = first.keyPath;
    this.expected = first.expected;
  }
}

// ---------------------------------------------------------------------------------------------
// Suggestions

function normalizeKey(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/** The candidate a human most likely meant by `word`, if any is close enough. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || word.length === 0) return undefined;
  const norm = normalizeKey(word);
  const same = candidates.find((c) => normalizeKey(c) === norm);
  if (same !== undefined) return same;
  const best = closest(word, candidates as string[]);
  const d = distance(word.toLowerCase(), best.toLowerCase());
  const limit = word.length <= 2 ? 1 : Math.max(2, Math.floor(word.length / 3));
  return d <= limit && d < word.length ? best : undefined;
}

// ---------------------------------------------------------------------------------------------
// Walking zod v4 schemas (internal structure, read-only)

type AnySchema = z.ZodType & { _zod: { def: any; propValues?: Record<string, Set<unknown>> } };

function defOf(s: AnySchema): any {
  return s._zod.def;
}

/** One wrapper layer inward (optional, default, pipe input, …), or undefined at a concrete schema. */
function innerOf(s: AnySchema, value: unknown): AnySchema | undefined {
  const def = defOf(s);
  switch (def.type) {
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
      return def.innerType;
    case 'pipe':
      return def.in;
    case 'lazy':
      return def.getter();
    case 'union':
      return def.discriminator ? pickOption(s, value) : undefined;
    default:
      return undefined;
  }
}

/** For a discriminated union: the option whose discriminator matches `value`. */
function pickOption(s: AnySchema, value: unknown): AnySchema | undefined {
  const def = defOf(s);
  if (typeof value !== 'object' || value === null) return undefined;
  const tag = (value as Record<string, unknown>)[def.discriminator];
  return (def.options as AnySchema[]).find((o) => o._zod.propValues?.[def.discriminator]?.has(tag as never));
}

/** The innermost concrete schema (object, array, number, …) for `value`. */
function concrete(s: AnySchema, value: unknown): AnySchema {
  let cur = s;
  for (let i = 0; i < 50; i++) {
    const next = innerOf(cur, value);
    if (!next) return cur;
    cur = next;
  }
  return cur;
}

/** The schema describing the value at `path` (with wrappers), or undefined if the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[], rootValue: unknown): z.ZodType | undefined {
  let s = root as AnySchema;
  let v = rootValue;
  for (const seg of path) {
    const c = concrete(s, v);
    const def = defOf(c);
    const key = String(seg);
    let next: AnySchema | undefined;
    if (def.type === 'object') next = def.shape[key] ?? (def.catchall && defOf(def.catchall).type !== 'never' ? def.catchall : undefined);
    else if (def.type === 'array') next = def.element;
    else if (def.type === 'tuple') next = def.items[Number(key)] ?? def.rest ?? undefined;
    else if (def.type === 'record') next = def.valueType;
    if (!next) return undefined;
    s = next;
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  }
  return s;
}

/** Keys allowed in the mapping at `path` (for unknown-key suggestions). */
function allowedKeysAt(root: z.ZodType, path: readonly PropertyKey[], rootValue: unknown): string[] {
  const s = schemaAt(root, path, rootValue);
  if (!s) return [];
  const c = concrete(s as AnySchema, getPath(rootValue, path));
  const def = defOf(c);
  if (def.type === 'object') return Object.keys(def.shape);
  return [];
}

/** Every key name in the schema → the dot paths where it is allowed (lists shown as `[]`). */
const keyIndexCache = new WeakMap<object, Map<string, string[]>>();
function keyIndex(root: z.ZodType): Map<string, string[]> {
  const cached = keyIndexCache.get(root);
  if (cached) return cached;
  const index = new Map<string, string[]>();
  const seen = new Set<object>();
  const visit = (s: AnySchema, prefix: string, depth: number) => {
    if (depth > 12 || seen.has(s)) return;
    seen.add(s);
    const def = defOf(s);
    switch (def.type) {
      case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
        return visit(def.innerType, prefix, depth);
      case 'pipe':
        return visit(def.in, prefix, depth);
      case 'union':
        for (const o of def.options) visit(o, prefix, depth);
        return;
      case 'array':
        return visit(def.element, `${prefix}[]`, depth + 1);
      case 'object':
        for (const [k, v] of Object.entries(def.shape)) {
          const p = prefix ? `${prefix}.${k}` : k;
          index.set(k, [...(index.get(k) ?? []), p]);
          visit(v as AnySchema, p, depth + 1);
        }
        return;
      default:
        return;
    }
  };
  visit(root as AnySchema, '', 0);
  keyIndexCache.set(root, index);
  return index;
}

/** The registered expectation or description found on `s` or any wrapper inside it. */
function lookup<T>(s: AnySchema, value: unknown, get: (x: AnySchema) => T | undefined): T | undefined {
  let cur: AnySchema | undefined = s;
  for (let i = 0; cur && i < 50; i++) {
    const found = get(cur);
    if (found !== undefined) return found;
    cur = innerOf(cur, value);
  }
  return undefined;
}

function expectationOf(s: AnySchema, value: unknown): Expectation | undefined {
  return lookup(s, value, (x) => expectations.get(x));
}

/** The `.describe()` text of `s` or a wrapper inside it. */
export function descriptionOf(s: z.ZodType, value?: unknown): string | undefined {
  return lookup(s as AnySchema, value, (x) => z.globalRegistry.get(x)?.description);
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function numberPhrase(def: any): string {
  let isInt = def.format === 'safeint' || def.format === 'int32' || def.format === 'uint32';
  let min: number | undefined, max: number | undefined, minIncl = true, maxIncl = true;
  for (const check of def.checks ?? []) {
    const cd = check._zod.def;
    if (cd.check === 'number_format' && /int/.test(cd.format)) isInt = true;
    if (cd.check === 'greater_than') { min = cd.value; minIncl = cd.inclusive; }
    if (cd.check === 'less_than') { max = cd.value; maxIncl = cd.inclusive; }
  }
  const noun = isInt ? 'an integer' : 'a number';
  if (isInt && max !== undefined && max >= Number.MAX_SAFE_INTEGER) max = undefined;
  if (isInt && min !== undefined && min <= Number.MIN_SAFE_INTEGER) min = undefined;
  if (min !== undefined && max !== undefined && minIncl && maxIncl) return `${noun} from ${min} to ${max}`;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`${minIncl ? '≥' : '>'} ${min}`);
  if (max !== undefined) parts.push(`${maxIncl ? '≤' : '<'} ${max}`);
  return parts.length ? `${noun} ${parts.join(' and ')}` : noun;
}

/** "an integer ≥ 1", "one of "a", "b"", "a mapping", … for any schema. */
export function expectedPhrase(s: z.ZodType, value?: unknown): string {
  const registered = expectationOf(s as AnySchema, value);
  if (registered) return registered.expected;
  const c = concrete(s as AnySchema, value);
  const def = defOf(c);
  switch (def.type) {
    case 'number': return numberPhrase(def);
    case 'int': return 'an integer';
    case 'bigint': return 'an integer';
    case 'string': return 'a string';
    case 'boolean': return 'true or false';
    case 'literal': return def.values.length === 1 ? JSON.stringify(def.values[0]) : `one of ${quoteList(def.values)}`;
    case 'enum': return `one of ${quoteList(Object.values(def.entries))}`;
    case 'object': return 'a mapping (key: value lines)';
    case 'record': return 'a mapping (key: value lines)';
    case 'array': return 'a list';
    case 'tuple': return `a list of ${def.items.length} items`;
    case 'null': return 'null';
    case 'union':
      if (def.discriminator) {
        const tags = (def.options as AnySchema[]).flatMap((o) => [...(o._zod.propValues?.[def.discriminator] ?? [])]).filter((t) => t !== undefined && t !== null);
        return `a mapping with ${def.discriminator}: one of ${quoteList(tags)}`;
      }
      return (def.options as z.ZodType[]).map((o) => expectedPhrase(o)).join(' or ');
    default: return 'a valid value';
  }
}

/** How a found value is shown after "got". */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return Object.keys(v as object).length === 0 ? 'an empty mapping' : 'a mapping';
  return typeof v;
}

// ---------------------------------------------------------------------------------------------
// Paths and positions

/** The value at `path` in a plain object/array tree, or undefined. */
export function getPath(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return cur;
}

/** Dot path string: ["network", "partitions", 0, "end"] → "network.partitions.0.end". */
export function keyPathString(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/**
 * Where to point for `path`: the key's own position when it was written, otherwise (a missing
 * key) the position of the nearest written ancestor. `exact` says which.
 */
export function locate(locations: LocNode | undefined, path: readonly PropertyKey[], file: string): SourcePos & { exact: boolean } {
  if (!locations) return { file, line: 0, column: 0, exact: false };
  let node = locations;
  for (const seg of path) {
    const next = node.children?.get(String(seg));
    if (!next) return { ...(node.key ?? node.value), exact: false };
    node = next;
  }
  return { ...(node.key ?? node.value), exact: true };
}

// ---------------------------------------------------------------------------------------------
// zod issues → problems

/** What problemsFromZod needs to know about the validated document. */
export interface IssueContext {
  /** The plain object that was validated (unit strings, as written). */
  raw: unknown;
  /** The schema it was validated against. */
  schema: z.ZodType;
  /** Source positions (from the YAML, merged through `extends`). */
  locations?: LocNode;
  /** File named when a path has no recorded position. */
  file: string;
}

type Issue = z.core.$ZodIssue;

function withHint(base: string, expectation: Expectation | undefined, got: unknown): string {
  const hint = expectation?.hint?.(got);
  return hint ? `${base} — ${hint}` : base;
}

function problemAt(ctx: IssueContext, path: readonly PropertyKey[], message: string, expected?: string): ScenarioProblem {
  const pos = locate(ctx.locations, path, ctx.file);
  return { file: pos.file, line: pos.line, column: pos.column, keyPath: keyPathString(path), message, ...(expected ? { expected } : {}) };
}

function missingKeyProblem(ctx: IssueContext, path: readonly PropertyKey[], schema: z.ZodType | undefined, expectedFallback: string): ScenarioProblem {
  const key = String(path[path.length - 1]);
  const expected = schema ? expectedPhrase(schema) : expectedFallback;
  const description = schema ? descriptionOf(schema) : undefined;
  const parent = path.length > 1 ? ` in "${keyPathString(path.slice(0, -1))}"` : '';
  const message = `missing required key "${key}"${parent}: expected ${expected}${description ? ` — ${description}` : ''}`;
  // Point at the parent mapping's key: the closest written ancestor.
  return problemAt(ctx, path, message, expected);
}

function typeProblem(ctx: IssueContext, path: readonly PropertyKey[], fallbackExpected: string): ScenarioProblem {
  const value = getPath(ctx.raw, path);
  const schema = schemaAt(ctx.schema, path, ctx.raw);
  const expectation = schema ? expectationOf(schema as AnySchema, value) : undefined;
  const expected = schema ? expectedPhrase(schema, value) : fallbackExpected;
  let message = withHint(`expected ${expected}, got ${describeValue(value)}`, expectation, value);
  if (typeof value === 'string' && schema) {
    const c = defOf(concrete(schema as AnySchema, value));
    const text = value.trim();
    if (c.type === 'number' && text !== '' && Number.isFinite(Number(text))) {
      message += ` — that is text because of the quotes; write ${text} without quotes`;
    } else if (c.type === 'number' && /^[+-]?(\d+(\.\d*)?|\.\d+)\s*%$/.test(text)) {
      message += ` — write percentages as fractions: ${Number((Number.parseFloat(text) / 100).toPrecision(12))}`;
    } else if (c.type === 'boolean' && /^(yes|no|on|off|y|n)$/i.test(text)) {
      message += ' — write true or false';
    }
    const choices: unknown[] = c.type === 'enum' ? Object.values(c.entries) : c.type === 'literal' ? c.values : [];
    const strings = choices.filter((x): x is string => typeof x === 'string');
    const guess = didYouMean(value, strings);
    if (guess !== undefined && guess !== value) message += ` — did you mean "${guess}"?`;
  }
  return problemAt(ctx, path, message, expected);
}

function fallbackExpectedFromIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const e = issue.expected;
      const map: Record<string, string> = {
        int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', object: 'a mapping (key: value lines)',
        array: 'a list', bigint: 'an integer', null: 'null',
      };
      return map[e] ?? `a value of type ${e}`;
    }
    case 'too_small':
      return issue.origin === 'array' ? `a list with at least ${issue.minimum} item(s)` : issue.origin === 'string' ? `at least ${issue.minimum} character(s)` : `a number ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `a list with at most ${issue.maximum} item(s)` : issue.origin === 'string' ? `at most ${issue.maximum} character(s)` : `a number ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`;
    case 'invalid_value':
      return `one of ${quoteList(issue.values)}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue ? `a string matching ${String(issue.pattern)}` : `a ${issue.format}`;
    default:
      return 'a valid value';
  }
}

function plainZodMessage(message: string): string {
  return message.replace(/^(Invalid input|Too small|Too big|Invalid option|Invalid string): /, '');
}

function issueToProblems(issue: Issue, ctx: IssueContext, prefix: readonly PropertyKey[] = []): ScenarioProblem[] {
  const path = [...prefix, ...(issue.path as PropertyKey[])];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(ctx.schema, path, ctx.raw);
      return issue.keys.map((key) => {
        const guess = didYouMean(key, allowed);
        let message = `unknown key "${key}"`;
        if (guess) message += ` — did you mean "${guess}"?`;
        else {
          const elsewhere = (keyIndex(ctx.schema).get(key) ?? []).filter((p) => !p.includes('[]')).slice(0, 2);
          if (elsewhere.length) {
            const places = elsewhere.map((p) => {
              const parent = p.split('.').slice(0, -1).join('.');
              return parent ? `under "${parent}" (${p})` : 'at the top level';
            });
            message += ` here — it belongs ${places.join(' or ')}`;
          }
          else if (allowed.length) message += ` (allowed here: ${allowed.join(', ')})`;
        }
        return problemAt(ctx, [...path, key], message, allowed.length ? `one of the keys ${allowed.join(', ')}` : undefined);
      });
    }
    case 'invalid_type': {
      const value = getPath(ctx.raw, path);
      const parent = getPath(ctx.raw, path.slice(0, -1));
      if (value === undefined && path.length > 0 && parent !== null && typeof parent === 'object' && !Array.isArray(parent)) {
        return [missingKeyProblem(ctx, path, schemaAt(ctx.schema, path, ctx.raw), fallbackExpectedFromIssue(issue))];
      }
      return [typeProblem(ctx, path, fallbackExpectedFromIssue(issue))];
    }
    case 'too_small': case 'too_big': case 'invalid_value': case 'invalid_format': case 'not_multiple_of':
      return [typeProblem(ctx, path, fallbackExpectedFromIssue(issue))];
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      if (issue.errors.length === 0 && disc !== undefined) {
        // No option matches the discriminator. zod puts the discriminator key at the end of the path.
        const tagPath = path[path.length - 1] === disc ? path : [...path, disc];
        const tags = ((issue as { options?: unknown[] }).options ?? []).filter((t) => t !== undefined && t !== null).map(String);
        const value = getPath(ctx.raw, tagPath);
        const expected = `one of ${quoteList(tags)}`;
        const container = getPath(ctx.raw, tagPath.slice(0, -1));
        if (container === null || typeof container !== 'object' || Array.isArray(container)) {
          const unionPath = tagPath.slice(0, -1);
          const phrase = `a mapping with ${disc}: ${expected}`;
          return [problemAt(ctx, unionPath, `expected ${phrase}, got ${describeValue(container)}`, phrase)];
        }
        if (value === undefined) {
          return [problemAt(ctx, tagPath, `missing required key "${disc}": expected ${expected}`, expected)];
        }
        const guess = typeof value === 'string' ? didYouMean(value, tags) : undefined;
        return [problemAt(ctx, tagPath, `expected ${expected}, got ${describeValue(value)}${guess ? ` — did you mean "${guess}"?` : ''}`, expected)];
      }
      // A plain union: explain the alternative that came closest (fewest problems).
      const value = getPath(ctx.raw, path);
      const branches = issue.errors.map((errs) => errs.flatMap((e) => issueToProblems(e, { ...ctx }, path)));
      const rootTypeMismatch = issue.errors.every((errs) => errs.some((e) => e.code === 'invalid_type' && e.path.length === 0));
      if (branches.length === 0 || rootTypeMismatch) {
        const schema = schemaAt(ctx.schema, path, ctx.raw);
        const expected = schema ? expectedPhrase(schema, value) : 'a valid value';
        return [problemAt(ctx, path, `expected ${expected}, got ${describeValue(value)}`, expected)];
      }
      return branches.reduce((best, b) => (b.length < best.length ? b : best));
    }
    case 'custom': {
      const params = (issue as { params?: { expected?: string } }).params;
      return [problemAt(ctx, path, plainZodMessage(issue.message), params?.expected)];
    }
    default:
      return [problemAt(ctx, path, plainZodMessage(issue.message))];
  }
}

/**
 * Translates zod issues into scenario problems (deduplicated). A "missing required key" is
 * dropped when an unknown key next to it is a misspelling of it: one mistake, one message.
 */
export function problemsFromZod(issues: readonly Issue[], ctx: IssueContext): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    for (const p of issueToProblems(issue, ctx)) {
      const id = `${p.keyPath}\u0000${p.message}`;
      if (!seen.has(id)) {
        seen.add(id);
        out.push(p);
      }
    }
  }
  const misspelled = new Set<string>();
  for (const p of out) {
    const m = /^unknown key "[^"]*" — did you mean "([^"]*)"\?$/.exec(p.message);
    if (m) misspelled.add([...p.keyPath.split('.').slice(0, -1), m[1]].join('.'));
  }
  return out.filter((p) => !(p.message.startsWith('missing required key') && misspelled.has(p.keyPath)));
}
