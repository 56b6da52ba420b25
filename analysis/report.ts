/**
 * `medsim report <results-dir>`: one self-contained `index.html` a researcher can put in a lab
 * notebook. No scripts, no external fonts or styles: charts are inline SVG, so it opens offline.
 *
 * What each kind of results directory shows:
 * - a sweep: what it found first — the protocol's headline outcomes charted against every swept
 *   parameter with 95 % bands and the closed form as a line where the protocol has one; then the
 *   violations per invariant with their replay commands; the points table (headline outcomes, not
 *   every counter); the resolved scenario and the manifest;
 * - a single run: the headline outcomes (with closed forms), a timeline over virtual time (blocks,
 *   commits, view changes as step lines; attack phases and the violation as markers), why it
 *   stopped, the violation with its replay command, the protocol metrics with units, the scenario
 *   and the manifest;
 * - a reproduced figure: its charts, published values next to ours, rows and notes.
 * A folder of several is walked (three levels; a sweep's, run's or figure's own subfolders are
 * part of it, not sections of their own).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { humanDuration, humanInterval, humanNumber } from '../sim/format.ts';
import { replayCommand } from '../sim/replay.ts';
import { writeFileAtomic } from '../sim/results.ts';
import { headlineValueText, metricRows } from '../sim/run-text.ts';
import { parseBandwidth, parseDuration, parseSize } from '../sim/units.ts';
import { lineChartSpec, renderSvg, timelineSpec, type ChartRow, type TimelineRow } from './charts.ts';
import { headlineValue, type HeadlineAggregate, type ViolationAggregate } from './outcomes.ts';

const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fmt(v: unknown): string {
  if (typeof v === 'number') return esc(humanNumber(v));
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

function readJson(file: string): Record<string, any> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
  } catch {
    return undefined;
  }
}

type Kind = 'sweep' | 'run' | 'figure' | 'other';

function kindOf(dir: string): Kind | undefined {
  const manifest = readJson(join(dir, 'manifest.json'));
  const summary = readJson(join(dir, 'summary.json'));
  if (manifest?.kind === 'sweep') return 'sweep';
  if (summary?.figure) return 'figure';
  if (summary && typeof summary.traceHash === 'string') return 'run';
  if (summary || manifest || readdirSync(dir).some((e) => e.endsWith('.svg'))) return 'other';
  return undefined;
}

/** Result directories under `root` (itself included); a result's own subfolders are not walked. */
function sectionDirs(root: string, depth = 3): { dir: string; kind: Kind }[] {
  const out: { dir: string; kind: Kind }[] = [];
  const visit = (d: string, level: number) => {
    const kind = kindOf(d);
    if (kind) out.push({ dir: d, kind });
    if (kind && kind !== 'other') return;
    if (level >= depth) return;
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) visit(p, level + 1);
    }
  };
  visit(root, 0);
  return out;
}

async function figureHtml(spec: Parameters<typeof renderSvg>[0], caption: string): Promise<string> {
  const svg = await renderSvg(spec);
  return `<figure class="chart">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${esc(summary)}</summary>${body}</details>`;
}

function scenarioBlock(raw: unknown, manifest: unknown): string {
  const parts: string[] = [];
  if (raw && typeof raw === 'object') parts.push(details('Scenario (resolved: extends merged, overrides applied)', `<pre>${esc(stringify(raw, { lineWidth: 0 }))}</pre>`));
  if (manifest) parts.push(details('Manifest (versions, commit, identity)', `<pre>${esc(JSON.stringify(manifest, null, 2))}</pre>`));
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Sweeps

/** A swept value as a number on an axis: numbers as they are, unit strings in a base unit, anything else by position. */
function axisOf(path: string, values: unknown[]): { title: string; x: (v: unknown) => number; labels?: Record<number, string> } | undefined {
  if (values.every((v) => typeof v === 'number')) return { title: path, x: (v) => v as number };
  if (values.every((v) => typeof v === 'string')) {
    for (const [parse, unit, scale] of [[parseDuration, 's', 1e-6], [parseSize, 'bytes', 1], [parseBandwidth, 'bit/s', 1]] as const) {
      try {
        for (const v of values) parse(v as string);
        return { title: `${path} (${unit})`, x: (v) => parse(v as string) * scale };
      } catch {
        /* not this kind */
      }
    }
    const distinct = [...new Set(values as string[])];
    return { title: path, x: (v) => distinct.indexOf(v as string), labels: Object.fromEntries(distinct.map((d, i) => [i, d])) };
  }
  if (values.every((v) => typeof v === 'boolean')) return { title: path, x: (v) => (v ? 1 : 0), labels: { 0: 'false', 1: 'true' } };
  return undefined;
}

interface PointSummary {
  index: number;
  assignments: Record<string, unknown>;
  n: number;
  failures: number;
  summary: (Record<string, unknown> & { headline?: HeadlineAggregate[]; violations?: ViolationAggregate }) | null;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Charts of every headline outcome (and the violation rate) against every swept parameter. */
async function sweepCharts(points: PointSummary[], name: string): Promise<string[]> {
  const params = Object.keys(points[0]?.assignments ?? {});
  const outcomes: HeadlineAggregate[] = [];
  for (const p of points) for (const h of p.summary?.headline ?? []) if (!outcomes.some((o) => o.name === h.name)) outcomes.push(h);
  const anyViolation = points.some((p) => (p.summary?.violations?.trials ?? 0) > 0);
  const out: string[] = [];
  // The first three outcomes (the protocol's most important) and the violation rate; the rest are in the table.
  outcomes.splice(3);
  for (const param of params) {
    const axis = axisOf(param, points.map((p) => p.assignments[param]));
    if (!axis) continue;
    const others = params.filter((q) => q !== param);
    const groupOf = (p: PointSummary) => others.map((q) => `${q} = ${show(p.assignments[q])}`).join(', ');
    const charts: { title: string; yTitle: string; rows: ChartRow[]; theory?: string }[] = [];
    for (const meta of outcomes) {
      const rows: ChartRow[] = [];
      for (const p of points) {
        const h = p.summary?.headline?.find((x) => x.name === meta.name);
        if (!h) continue;
        const v = headlineValue(h);
        const group = groupOf(p) || 'all points';
        rows.push({ group, series: `simulated, 95 % CI (${group})`, style: 'interval', x: axis.x(p.assignments[param]), y: v.value, low: v.ciLow, high: v.ciHigh, n: h.n });
        if (h.theory) rows.push({ group, series: `closed form: ${h.theory.label} (${group})`, style: 'line', x: axis.x(p.assignments[param]), y: h.theory.value });
      }
      if (!rows.length) continue;
      const v = headlineValue(meta);
      charts.push({
        title: `${meta.label} vs ${param}`,
        yTitle: meta.kind === 'categorical' ? `${v.what}: share of trials (fraction)` : `${meta.label} (${meta.unit ?? 'value'})`,
        rows: rows.sort((a, b) => a.x - b.x),
        theory: [...new Set(rows.filter((r) => r.style === 'line').map((r) => r.series.replace(/ \([^()]*\)$/, '')))].join('; '),
      });
    }
    if (anyViolation) {
      const rows: ChartRow[] = points.filter((p) => p.summary?.violations).map((p) => {
        const va = p.summary!.violations!;
        const g = groupOf(p);
        const share = va.n ? va.trials / va.n : 0;
        const w = va.byInvariant.length === 1 ? va.byInvariant[0] : undefined;
        return { group: g || 'all points', series: `trials with a violation, 95 % CI (${g || 'all points'})`, style: 'interval', x: axis.x(p.assignments[param]), y: share, low: w ? w.ciLow : share, high: w ? w.ciHigh : share, n: va.n };
      });
      charts.push({ title: `trials that violated an invariant vs ${param}`, yTitle: 'share of trials (fraction)', rows: rows.sort((a, b) => a.x - b.x) });
    }
    for (const c of charts) {
      const spec = lineChartSpec({ title: c.title, subtitle: name, xTitle: axis.title, yTitle: c.yTitle, colorBy: 'group', groupTitle: others.length ? others.join(', ') : 'points', ...(axis.labels ? { xLabels: axis.labels } : {}), width: 420, height: 240 }, { values: c.rows });
      out.push(await figureHtml(spec, `${c.title}: dots and bands are simulated values with 95 % intervals (Wilson for shares, Student t for means)${c.theory ? `; lines: ${c.theory}` : ''}. Colours: ${others.length ? others.join(', ') : 'one series'}.`));
    }
  }
  return out;
}

async function sweepSection(root: string, dir: string): Promise<string> {
  const summary = readJson(join(dir, 'summary.json')) ?? {};
  const manifest = readJson(join(dir, 'manifest.json')) ?? {};
  const raw = manifest.resolvedScenario as Record<string, unknown> | null;
  const title = `${manifest.name ?? basename(dir)}${raw?.description ? ` — ${raw.description}` : ''}`;
  const points = (summary.perPoint ?? []) as PointSummary[];
  const parts = [`<section class="sweep"><h2>Sweep: ${esc(title)}</h2>`, `<p class="where">${esc(relative(root, dir) || dir)}</p>`];
  const vCount = summary.violationCount ?? 0;
  const by = Object.entries((summary.violationsByInvariant ?? {}) as Record<string, number>);
  parts.push(
    `<p>${fmt(summary.points)} points × ${fmt(summary.trialsPerPoint)} trials (${fmt(summary.records)} recorded${summary.complete ? '' : ', <b>INCOMPLETE</b>'}); seed ${fmt(summary.seed)}; aggregate ${esc(summary.aggregateHash)}.<br>` +
      `<b>${vCount ? `${fmt(vCount)} trials violated an invariant` : 'No trial violated an invariant'}</b>${by.length ? ` (${by.map(([k, n]) => `${esc(k)}: ${fmt(n)}`).join(', ')})` : ''}; ${fmt((summary.failures ?? []).length)} trials failed (threw).</p>`,
  );
  parts.push('<h3>Headline outcomes</h3>', ...(await sweepCharts(points, String(manifest.name ?? ''))));
  const outcomes: HeadlineAggregate[] = [];
  for (const p of points) for (const h of p.summary?.headline ?? []) if (!outcomes.some((o) => o.name === h.name)) outcomes.push(h);
  const keys = Object.keys(points[0]?.assignments ?? {});
  const rows = points.map((p) => {
    const r: Record<string, unknown> = { point: p.index, ...Object.fromEntries(keys.map((k) => [k, show(p.assignments[k])])), trials: p.n, failed: p.failures };
    for (const o of outcomes) {
      const h = p.summary?.headline?.find((x) => x.name === o.name);
      const v = h ? headlineValue(h) : undefined;
      r[o.kind === 'categorical' ? `${o.label}: ${headlineValue(o).what}` : `${o.label}${o.unit ? ` (${o.unit})` : ''}`] = v ? humanInterval(v.value, v.ciLow, v.ciHigh) : '';
      if (h?.theory) r[`${o.label}: closed form`] = h.theory.value;
    }
    if (p.summary?.violations) r['violating trials'] = p.summary.violations.trials;
    return r;
  });
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  parts.push('<h3>Points</h3>', table(columns, rows), `<p>Every field of every point: points.csv; every trial: trials.csv.</p>`);
  const violations = (summary.violations ?? []) as { p: number; i: number; seed: number; kind: string; invariant: string; message: string; replay: string | null }[];
  const failures = (summary.failures ?? []) as { p: number; i: number; seed: number; error: string; replay: string | null }[];
  if (violations.length || failures.length) {
    const fromHere = (x: { p: number; seed: number; replay: string | null }) => (x.replay ? replayCommand(join(dir, `replay/point-${x.p}.yaml`), x.seed) : '');
    parts.push(
      '<h3>Violations and failures, with their replay commands</h3>',
      table(['point', 'trial', 'seed', 'what', 'message', 'replay'], [
        ...violations.map((v) => ({ point: v.p, trial: v.i, seed: String(v.seed), what: `${v.kind}: ${v.invariant}`, message: v.message, replay: fromHere(v) })),
        ...failures.map((f) => ({ point: f.p, trial: f.i, seed: String(f.seed), what: 'failed (threw)', message: f.error, replay: fromHere(f) })),
      ], 200),
      '<p>Each replay reproduces the trial’s trace hash at the commit in the manifest (the point’s resolved scenario is in replay/).</p>',
    );
  }
  parts.push(scenarioBlock(raw, manifest), '</section>');
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Single runs

function readTimeline(dir: string): TimelineRow[] {
  const file = join(dir, 'timeline.csv');
  if (!existsSync(file)) return [];
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.filter(Boolean).map((line) => {
    // Fields: timeUs,series,value,event — series and event may be quoted (CSV).
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') cells.push(cur), (cur = '');
      else cur += ch;
    }
    cells.push(cur);
    const r = Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
    return { timeUs: Number(r.timeUs), ...(r.series ? { series: r.series, value: Number(r.value) } : {}), ...(r.event ? { event: r.event } : {}) };
  });
}

function stopWords(s: Record<string, any>): string {
  switch (s.stopReason) {
    case 'violation':
      return `invariant ${s.violation?.invariant} (${s.violation?.kind}) fired at ${humanDuration(s.violation?.time ?? s.simTimeUs)}`;
    case 'end-time':
      return `the scenario's duration${s.durationUs ? ` (${humanDuration(s.durationUs)})` : ''} was reached`;
    case 'stopped':
      return `the protocol ended the run at ${humanDuration(s.simTimeUs)} (its attack or workload was decided)`;
    case 'drained':
      return `no events were left at ${humanDuration(s.simTimeUs)}`;
    default:
      return String(s.stopReason);
  }
}

async function runSection(root: string, dir: string): Promise<string> {
  const s = readJson(join(dir, 'summary.json')) ?? {};
  const manifest = readJson(join(dir, 'manifest.json'));
  const scenarioFile = join(dir, 'scenario.yaml');
  const raw = manifest?.resolvedScenario as Record<string, unknown> | undefined;
  const description = s.description ?? raw?.description;
  const parts = [`<section class="run"><h2>Run: ${esc(s.scenario)}${description ? ` — ${esc(description)}` : ''}</h2>`, `<p class="where">${esc(relative(root, dir) || dir)}</p>`];
  const c = (s.metrics?.counters ?? {}) as Record<string, number>;
  parts.push(
    `<p>Seed ${fmt(s.seed)}; trace hash ${esc(s.traceHash)}.<br>Stopped: ${esc(stopWords(s))}; ${esc(humanDuration(s.simTimeUs))} simulated, ${fmt(s.events)} events, ${fmt(c['net.messages.delivered'] ?? 0)} messages delivered.</p>`,
  );
  const headline = (s.headline ?? []) as { label: string; kind: string; unit?: string; categories?: string[]; value: unknown; theory?: { value: number; label: string } }[];
  if (headline.length) {
    parts.push('<h3>Headline outcomes</h3>', table(['outcome', 'value', 'closed form'], headline.map((h) => ({
      outcome: h.label,
      value: headlineValueText(h as { value: string | number; unit?: string }),
      'closed form': h.theory ? `${humanNumber(h.theory.value)}${h.kind === 'categorical' && h.categories?.[0] ? ` = P(${h.categories[0]})` : ''} — ${h.theory.label}` : '',
    }))));
  }
  const timeline = readTimeline(dir);
  const events = timeline.filter((e) => e.event).map((e) => ({ ...e }));
  if (s.violation) events.push({ timeUs: s.violation.time ?? s.simTimeUs, event: `VIOLATION: ${s.violation.invariant} (${s.violation.kind})` });
  if (timeline.length || events.length) {
    const rows = [...timeline.filter((e) => e.series), ...events];
    parts.push('<h3>Timeline</h3>', await figureHtml(timelineSpec(rows, { title: `${s.scenario}: progress over virtual time`, subtitle: `seed ${s.seed}`, endUs: Math.max(1, s.simTimeUs ?? 1) }), 'Step lines: the first time each value was reached (any node); markers: events (attack phases, violations). Data: timeline.csv.'));
    if (events.length) parts.push(table(['time', 'event'], events.sort((a, b) => a.timeUs - b.timeUs).map((e) => ({ time: humanDuration(e.timeUs), event: e.event }))));
  } else {
    parts.push('<p>No timeline: this protocol declares no progress marks, or the run predates timeline.csv.</p>');
  }
  if (s.violation) {
    const v = s.violation;
    const history = ((v.history ?? []) as { time: number; kind: string; type: string; from: number; to: number }[]).slice(-16);
    parts.push(
      `<h3>Violation</h3><p><b>${esc(v.kind)}: ${esc(v.invariant)}</b> at ${esc(humanDuration(v.time ?? 0))}: ${esc(v.message)}</p>`,
      table(['time', 'kind', 'type', 'from', 'to'], history.map((e) => ({ ...e, time: humanDuration(e.time) }))),
    );
  }
  if (s.replay) parts.push(`<p>Replay (same trace hash at the commit in the manifest): <code>${esc(s.replay)}</code></p>`);
  const metrics = metricRows((s.protocol ?? {}) as Record<string, unknown>);
  if (metrics.length) parts.push('<h3>Protocol metrics</h3>', table(['metric', 'value'], metrics.map(([k, v]) => ({ metric: k, value: v }))));
  const net = Object.entries(c).filter(([k]) => k.startsWith('net.')).map(([k, v]) => ({ counter: k, value: v }));
  if (net.length) parts.push(details('Network counters', table(['counter', 'value'], net)));
  if (existsSync(scenarioFile)) parts.push(details('Scenario (resolved; replay with it)', `<pre>${esc(readFileSync(scenarioFile, 'utf8'))}</pre>`));
  else if (raw) parts.push(details('Scenario (resolved)', `<pre>${esc(stringify(raw, { lineWidth: 0 }))}</pre>`));
  if (manifest) parts.push(details('Manifest (versions, commit)', `<pre>${esc(JSON.stringify(manifest, null, 2))}</pre>`));
  parts.push('</section>');
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Figures and anything else

function inlineSvgs(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.svg')).sort().map((svgFile) => {
    const svg = readFileSync(join(dir, svgFile), 'utf8').replace(/^<\?xml[^>]*>\s*/, '');
    return `<figure class="chart">${svg}<figcaption>${esc(svgFile)} (spec: ${esc(svgFile.replace(/\.svg$/, '.vl.json'))}, data: ${esc(svgFile.replace(/\.svg$/, '.chart.csv'))})</figcaption></figure>`;
  });
}

function figureSection(root: string, dir: string): string {
  const summary = readJson(join(dir, 'summary.json')) ?? {};
  const manifest = readJson(join(dir, 'manifest.json'));
  const parts = [`<section class="figure"><h2>${esc(summary.title ?? summary.figure)}</h2>`, `<p class="where">${esc(relative(root, dir) || dir)} — medsim reproduce ${esc(summary.figure)}</p>`];
  parts.push(`<p>Source: ${esc(summary.source)}<br>Published values: ${esc(summary.published)}</p>`);
  parts.push(...inlineSvgs(dir));
  if (Array.isArray(summary.notes) && summary.notes.length) parts.push(`<ul>${(summary.notes as string[]).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  if (Array.isArray(summary.comparisons) && summary.comparisons.length) parts.push('<h3>Published values next to ours</h3>', table(['label', 'paper', 'ours', 'difference'], summary.comparisons as Record<string, unknown>[]));
  if (Array.isArray(summary.rows) && summary.rows.length) {
    const cols = Array.isArray(summary.columns) ? (summary.columns as string[]) : Object.keys((summary.rows as Record<string, unknown>[])[0]);
    parts.push('<h3>Rows</h3>', table(cols, summary.rows as Record<string, unknown>[]));
  }
  if (manifest) parts.push(details('Manifest', `<pre>${esc(JSON.stringify(manifest, null, 2))}</pre>`));
  parts.push('</section>');
  return parts.join('\n');
}

function otherSection(root: string, dir: string): string {
  const summary = readJson(join(dir, 'summary.json'));
  const manifest = readJson(join(dir, 'manifest.json'));
  const parts = [`<section><h2>${esc(basename(dir))}</h2>`, `<p class="where">${esc(relative(root, dir) || dir)}</p>`, ...inlineSvgs(dir)];
  if (summary) parts.push(details('summary.json', `<pre>${esc(JSON.stringify(summary, null, 2))}</pre>`));
  if (manifest) parts.push(details('manifest.json', `<pre>${esc(JSON.stringify(manifest, null, 2))}</pre>`));
  parts.push('</section>');
  return parts.join('\n');
}

const STYLE = `body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1500px;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top}th{background:#f0f0f0}
td:last-child{text-align:left}code{font-size:12px}.where{color:#666;font-size:12px;margin-top:-.6em}
figure{margin:1em 0;display:inline-block;vertical-align:top}figcaption{font-size:12px;color:#666;max-width:640px}pre{background:#f7f7f7;padding:.5em;overflow:auto;font-size:12px}section{border-top:2px solid #ddd;margin-top:1.5em}`;

/** Writes `<dir>/index.html`; returns its path. */
export async function writeReport(dirArg: string): Promise<string> {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`report: ${dirArg} is not a directory`);
  const sections = sectionDirs(dir);
  if (sections.length === 0) throw new Error(`report: ${dirArg} holds no results (no summary.json, manifest.json or charts)`);
  const bodies: string[] = [];
  const names: string[] = [];
  for (const { dir: d, kind } of sections) {
    if (kind === 'sweep') bodies.push(await sweepSection(dir, d));
    else if (kind === 'run') bodies.push(await runSection(dir, d));
    else if (kind === 'figure') bodies.push(figureSection(dir, d));
    else bodies.push(otherSection(dir, d));
    const s = readJson(join(d, 'summary.json'));
    const m = readJson(join(d, 'manifest.json'));
    names.push(String(s?.title ?? s?.scenario ?? m?.name ?? basename(d)));
  }
  const title = names.length === 1 ? names[0] : `${names.length} results (${[...new Set(names)].slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''})`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>medchain-sim report: ${esc(title)}</title><style>${STYLE}</style></head>
<body><h1>medchain-sim report: ${esc(title)}</h1><p class="where">${esc(dir)} — ${sections.length} section${sections.length === 1 ? '' : 's'}. Self-contained: charts are inline SVG, no network needed.</p>
${bodies.join('\n')}
</body></html>
`;
  const file = join(dir, 'index.html');
  writeFileAtomic(file, html);
  return file;
}
