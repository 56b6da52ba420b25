/**
 * YAML text → plain value + a tree of source positions, so every key path of a scenario can be
 * traced back to the file, line and column where it was written (also after `extends` merges,
 * because each position carries its own file).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { ScenarioError } from './errors.ts';
import type { ScenarioProblem } from './errors.ts';

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
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = text.split(/\r?\n/);
    const problems: ScenarioProblem[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
      const source = lines[pos.line - 1];
      const frame = source === undefined ? '' : `\n    ${source}\n    ${' '.repeat(Math.max(0, pos.col - 1))}^`;
      return { file, line: pos.line, column: pos.col, keyPath: '', message: `YAML syntax error: ${yamlMessage(e.message)}${frame}` };
    });
    throw new ScenarioError(problems);
  }
  const root: SourcePos = { file, line: 1, column: 1 };
  const value = doc.contents === null ? undefined : doc.toJS({ maxAliasCount: 1000 });
  return { value, locations: buildLocations(doc.contents, doc, lc, file, root) };
}
