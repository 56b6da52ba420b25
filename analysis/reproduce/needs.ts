/**
 * Finding the functions other folders export, by name, without knowing the file: the figure
 * registry names `{ folder: 'protocols/pow', name: 'powModule' }` and this scans that
 * folder's TypeScript files for `export … name` and imports the first that has it. A figure
 * whose dependency has not landed fails with "needs protocols/pow: powModule (not
 * available)" instead of a stack trace.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../sim/results.ts';

export class FigureUnavailable extends Error {}

function tsFiles(dir: string, depth = 2): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isDirectory() && depth > 0) out.push(...tsFiles(p, depth - 1));
    else if (e.endsWith('.ts') && !e.endsWith('.test.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file in `folder` that exports `name`, or undefined. */
export function findExport(folder: string, name: string): string | undefined {
  const re = new RegExp(`export\\s+(?:async\\s+)?(?:function\\*?|const|let|class)\\s+${name}\\b|export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`);
  for (const f of tsFiles(join(PROJECT_ROOT, folder))) {
    if (re.test(readFileSync(f, 'utf8'))) return f;
  }
  return undefined;
}

/** Imports every dependency or throws FigureUnavailable naming the missing ones. */
export async function resolveNeeds(needs: { folder: string; name: string }[] = []): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const n of needs) {
    const file = findExport(n.folder, n.name);
    if (!file) {
      missing.push(`${n.folder}: ${n.name}`);
      continue;
    }
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    if (mod[n.name] === undefined) missing.push(`${n.folder}: ${n.name}`);
    else out[n.name] = mod[n.name];
  }
  if (missing.length) throw new FigureUnavailable(`needs ${missing.join(', ')} (not available)`);
  return out;
}

/** Like resolveNeeds but returns undefined for a missing optional export. */
export async function optionalExport(folder: string, name: string): Promise<unknown> {
  try {
    return (await resolveNeeds([{ folder, name }]))[name];
  } catch (err) {
    if (err instanceof FigureUnavailable) return undefined;
    throw err;
  }
}
