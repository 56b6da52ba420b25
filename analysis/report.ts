/**
 * `medsim report <results-dir>`: one self-contained `index.html` for a results directory — every
 * chart as inline SVG, the tables (figure rows, published-vs-ours comparisons, sweep points,
 * failures) and the manifests. No scripts, no external fonts or styles: it opens offline.
 *
 * The directory may be a single run, a sweep, one reproduced figure, or a folder of them
 * (e.g. results/reproduce/); sections are found by walking up to three levels deep.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../sim/results.ts';

const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fmt(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  }
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return esc(JSON.stringify(v));
  return esc(v);
}

function table(columns: string[], rows: Record<string, unknown>[], limit = 500): string {
  const head = `<tr>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = rows.slice(0, limit).map((r) => `<tr>${columns.map((c) => `<td>${fmt(r[c])}</td>`).join('')}</tr>`).join('\n');
  const more = rows.length > limit ? `<p>… ${rows.length - limit} more rows in the CSV files.</p>` : '';
  return `<table>${head}\n${body}</table>${more}`;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function sectionDirs(root: string, depth = 3): string[] {
  const out: string[] = [];
  const visit = (d: string, level: number) => {
    const entries = readdirSync(d).sort();
    if (entries.includes('summary.json') || entries.includes('manifest.json') || entries.some((e) => e.endsWith('.svg'))) out.push(d);
    if (level >= depth) return;
    for (const e of entries) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) visit(p, level + 1);
    }
  };
  visit(root, 0);
  return out;
}

function section(root: string, dir: string): string {
  const name = relative(root, dir) || '.';
  const summary = readJson(join(dir, 'summary.json'));
  const manifest = readJson(join(dir, 'manifest.json'));
  const parts: string[] = [`<section><h2>${esc(name)}</h2>`];
  if (summary?.figure) {
    parts.push(`<p><b>${esc(summary.title)}</b><br>Source: ${esc(summary.source)}<br>Published values: ${esc(summary.published)}</p>`);
  }
  for (const svgFile of readdirSync(dir).filter((f) => f.endsWith('.svg')).sort()) {
    const svg = readFileSync(join(dir, svgFile), 'utf8').replace(/^<\?xml[^>]*>\s*/, '');
    parts.push(`<figure>${svg}<figcaption>${esc(svgFile)} (spec: ${esc(svgFile.replace(/\.svg$/, '.vl.json'))}, data: ${esc(svgFile.replace(/\.svg$/, '.chart.csv'))})</figcaption></figure>`);
  }
  if (summary) {
    if (Array.isArray(summary.notes) && summary.notes.length) parts.push(`<ul>${(summary.notes as string[]).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
    if (Array.isArray(summary.comparisons) && summary.comparisons.length) {
      parts.push('<h3>Published values next to ours</h3>', table(['label', 'paper', 'ours', 'difference'], summary.comparisons as Record<string, unknown>[]));
    }
    if (Array.isArray(summary.rows) && summary.rows.length) {
      const cols = Array.isArray(summary.columns) ? (summary.columns as string[]) : Object.keys((summary.rows as Record<string, unknown>[])[0]);
      parts.push('<h3>Rows</h3>', table(cols, summary.rows as Record<string, unknown>[]));
    }
    if (Array.isArray(summary.perPoint)) {
      const pts = summary.perPoint as { index: number; assignments: Record<string, unknown>; n: number; failures: number; summary: Record<string, Record<string, unknown>> | null }[];
      const keys = [...new Set(pts.flatMap((p) => Object.keys(p.summary ?? {})))].slice(0, 12);
      const rows = pts.map((p) => {
        const r: Record<string, unknown> = { point: p.index, ...p.assignments, n: p.n, failures: p.failures };
        for (const k of keys) {
          const s = p.summary?.[k];
          r[k] = s && typeof s === 'object' ? (s.mean ?? s.proportion ?? '') : s;
        }
        return r;
      });
      parts.push(`<h3>Sweep points (aggregate ${esc(summary.aggregateHash)}, ${fmt(summary.records)} trials${summary.complete ? '' : ', INCOMPLETE'})</h3>`);
      parts.push(table(['point', ...Object.keys(pts[0]?.assignments ?? {}), 'n', 'failures', ...keys], rows));
    }
    if (Array.isArray(summary.failures) && summary.failures.length) {
      parts.push('<h3>Failed trials</h3>', table(['p', 'i', 'seed', 'error'], summary.failures as Record<string, unknown>[]));
    }
    if (!summary.figure && !summary.perPoint) parts.push(`<details><summary>summary.json</summary><pre>${esc(JSON.stringify(summary, null, 2))}</pre></details>`);
  }
  if (manifest) parts.push(`<details><summary>manifest.json</summary><pre>${esc(JSON.stringify(manifest, null, 2))}</pre></details>`);
  parts.push('</section>');
  return parts.join('\n');
}

const STYLE = `body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1500px;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#f0f0f0}
figure{margin:1em 0}figcaption{font-size:12px;color:#666}pre{background:#f7f7f7;padding:.5em;overflow:auto;font-size:12px}section{border-top:2px solid #ddd;margin-top:1.5em}`;

/** Writes `<dir>/index.html`; returns its path. */
export function writeReport(dirArg: string): string {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`report: ${dirArg} is not a directory`);
  const sections = sectionDirs(dir);
  if (sections.length === 0) throw new Error(`report: ${dirArg} holds no results (no summary.json, manifest.json or charts)`);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>medchain-sim report: ${esc(relative(process.cwd(), dir) || dir)}</title><style>${STYLE}</style></head>
<body><h1>medchain-sim report</h1><p>${esc(dir)} — ${sections.length} section${sections.length === 1 ? '' : 's'}. Self-contained: charts are inline SVG; Vega-Lite specs and CSV data sit next to each chart.</p>
${sections.map((s) => section(dir, s)).join('\n')}
</body></html>
`;
  const file = join(dir, 'index.html');
  writeFileAtomic(file, html);
  return file;
}
