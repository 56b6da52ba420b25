/**
 * YAML text → plain value + a tree of source positions, so every key path of a scenario can be
 * traced back to the file, line and column where it was written (also after `extends` merges,
 * because each position carries its own file).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { ScenarioError } from './errors.ts';
import type { ScenarioProblem } from './errors.ts';

/**
 * Limits on scenario input, so a hostile or mistaken file gets a clear error (exit 2) instead of
 * exhausting the heap or flooding the terminal. Real scenarios are a few kilobytes; an explicit
 * topology of 10,000 nodes × 8 peers is about 1 MB.
 */
export const SCENARIO_LIMITS = Object.freeze({
  /** Largest scenario file (and each file it extends), bytes. */
  fileBytes: 4 * 1024 * 1024,
  /** Most items in one YAML list (edges, partitions, sweep values, …). */
  listItems: 100_000,
  /** Most alias expansions (`*anchor`) in one file: YAML "billion laughs" bombs stop here. */
  aliases: 100,
  /** Deepest nesting of mappings and lists. */
  depth: 64,
});

const MiB = (n: number) => `${(n / 1024 / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB`;

/**
 * Reads a scenario file as text, refusing what is not one: larger than the limit (checked
 * before reading), binary (a NUL byte) or not UTF-8. Throws a ScenarioError at `shown`.
 */
export function readScenarioText(path: string, shown: string): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > SCENARIO_LIMITS.fileBytes) {
      throw new ScenarioError([{ file: shown, line: 0, column: 0, keyPath: '', message: `the file is ${MiB(size)}, larger than the ${MiB(SCENARIO_LIMITS.fileBytes)} a scenario may be (scenarios are YAML text of a few kilobytes)` }]);
    }
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    const nul = bytes.subarray(0, read).indexOf(0);
    if (nul >= 0) throw new ScenarioError([{ file: shown, line: 0, column: 0, keyPath: '', message: `not a text file (a NUL byte at offset ${nul}): a scenario is YAML text` }]);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, read));
    } catch {
      throw new ScenarioError([{ file: shown, line: 0, column: 0, keyPath: '', message: 'not UTF-8 text: a scenario is YAML text in UTF-8' }]);
    }
  } finally {
    closeSync(fd);
  }
}

/** Problems with list lengths and nesting depth, found on the parsed document before it is converted. */
function shapeProblems(root: unknown, lc: LineCounter, file: string): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const visit = (node: unknown, depth: number) => {
    if (out.length >= 5 || !node || typeof node !== 'object') return;
    const n = node as YamlNode;
    const at = () => posAt(lc, file, n.range?.[0]);
    if (depth > SCENARIO_LIMITS.depth) {
      const p = at();
      out.push({ file, line: p.line, column: p.column, keyPath: '', message: `nested more than ${SCENARIO_LIMITS.depth} levels deep (the limit for scenario files)` });
      return;
    }
    if (isSeq(n)) {
      if (n.items.length > SCENARIO_LIMITS.listItems) {
        const p = at();
        out.push({ file, line: p.line, column: p.column, keyPath: '', message: `a list of ${n.items.length.toLocaleString('en-US')} items, more than the ${SCENARIO_LIMITS.listItems.toLocaleString('en-US')} a scenario list may hold` });
        return;
      }
      for (const item of n.items) visit(item, depth + 1);
    } else if (isMap(n)) {
      for (const pair of n.items) if (isPair(pair)) visit(pair.value, depth + 1);
    }
  };
  visit(root, 1);
  return out;
}

/** A position in a source file; line and column are 1-based, line 0 means "no line" (e.g. a command-line override). */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/**
 * Source positions of one value: where its key was written (absent for list items and the
 * document root), where the value itself starts, and the positions of its children, keyed by
 * mapping key or list index (as a string).
 */
export interface LocNode {
  key?: SourcePos;
  value: SourcePos;
  children?: Map<string, LocNode>;
}

export interface ParsedYaml {
  /** The document as plain JS (undefined for an empty document). */
  value: unknown;
  locations: LocNode;
}

function posAt(lc: LineCounter, file: string, offset: number | undefined): SourcePos {
  if (offset === undefined) return { file, line: 1, column: 1 };
  const { line, col } = lc.linePos(offset);
  return { file, line, column: col };
}

function buildLocations(node: unknown, doc: Document, lc: LineCounter, file: string, fallback: SourcePos, depth = 0): LocNode {
  if (node === null || node === undefined || depth > 200) return { value: fallback };
  const n = node as YamlNode;
  const here = n.range ? posAt(lc, file, n.range[0]) : fallback;
  if (isAlias(n)) {
    const target = n.resolve(doc);
    const resolved = buildLocations(target, doc, lc, file, here, depth + 1);
    return { ...resolved, value: here };
  }
  if (isMap(n)) {
    const children = new Map<string, LocNode>();
    for (const pair of n.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyName = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const keyPos = keyNode && keyNode.range ? posAt(lc, file, keyNode.range[0]) : here;
      const child = buildLocations(pair.value, doc, lc, file, keyPos, depth + 1);
      children.set(keyName, { ...child, key: keyPos });
    }
    return { value: here, children };
  }
  if (isSeq(n)) {
    const children = new Map<string, LocNode>();
    n.items.forEach((item, i) => children.set(String(i), buildLocations(item, doc, lc, file, here, depth + 1)));
    return { value: here, children };
  }
  return { value: here };
}

/** The first line of a yaml library message, without its "at line X, column Y:" suffix and code frame. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Parses YAML text. Throws a ScenarioError listing every syntax error (with the yaml library's
 * line and column, and the offending line with a caret under the column).
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new ScenarioError([{ file, line: 0, column: 0, keyPath: '', message: `cannot be read as YAML: ${(err as Error).message}` }]);
  }
  if (doc.errors.length > 0) {
    const lines = text.split(/\r?\n/);
    const problems: ScenarioProblem[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
      const source = lines[pos.line - 1];
      const frame = source === undefined ? '' : `\n    ${source.length > 160 ? `${source.slice(0, 160)}…` : source}\n    ${' '.repeat(Math.min(160, Math.max(0, pos.col - 1)))}^`;
      return { file, line: pos.line, column: pos.col, keyPath: '', message: `YAML syntax error: ${yamlMessage(e.message)}${frame}` };
    });
    throw new ScenarioError(problems);
  }
  const shape = shapeProblems(doc.contents, lc, file);
  if (shape.length) throw new ScenarioError(shape);
  const root: SourcePos = { file, line: 1, column: 1 };
  let value: unknown;
  try {
    value = doc.contents === null ? undefined : doc.toJS({ maxAliasCount: SCENARIO_LIMITS.aliases });
  } catch (err) {
    const aliasBomb = /alias/i.test((err as Error).message);
    throw new ScenarioError([{
      file, line: 1, column: 1, keyPath: '',
      message: aliasBomb
        ? `too many alias expansions (*anchor references; the limit is ${SCENARIO_LIMITS.aliases}): a scenario needs few aliases, and a file that multiplies them is refused`
        : `cannot be read as YAML: ${(err as Error).message}`,
    }]);
  }
  return { value, locations: buildLocations(doc.contents, doc, lc, file, root) };
}
