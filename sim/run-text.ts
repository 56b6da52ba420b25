/**
 * The readable summary `medsim run` prints: what the run was (description), what it found (the
 * protocol's headline outcomes first, with closed forms), what happened when (the timeline's
 * events, the violation), why it stopped, then the protocol's other metrics with human units.
 * JSON output and summary.json keep the raw values (µs, unrounded floats).
 */
import type { RunResult } from './kernel.ts';
import { humanDuration, humanMs, humanNumber, humanPercent } from './format.ts';
import type { HeadlineValue, TimelineEntry } from './runner.ts';
import type { Scenario } from './scenario/schema.ts';

/** Events printed from the timeline before "… N more". */
const MAX_EVENTS = 12;
/** Trace events printed before a violation (check prints the same number). */
export const VIOLATION_HISTORY = 16;

/** Why the run stopped, in words. */
export function stopText(result: RunResult, scenario: Pick<Scenario, 'duration' | 'maxEvents'>): string {
  switch (result.stopReason) {
    case 'violation': {
      const v = result.violation!;
      return `invariant ${v.invariant} (${v.kind}) fired at ${humanDuration(v.time ?? result.simTimeUs)}`;
    }
    case 'end-time':
      return `the scenario's duration (${humanDuration(scenario.duration)}) was reached`;
    case 'stopped':
      return `the protocol ended the run at ${humanDuration(result.simTimeUs)} (its attack or workload was decided)`;
    case 'drained':
      return `no events were left at ${humanDuration(result.simTimeUs)}`;
    case 'max-events':
      return `maxEvents (${humanNumber(scenario.maxEvents ?? result.events)}) was reached`;
  }
}

/** A headline value with its unit (and the closed form, when there is one). */
/** A headline value with its unit, for people: "2 confirmations", "100 % of honest blocks", "success". */
export function headlineValueText(h: Pick<HeadlineValue, 'value' | 'unit'>): string {
  const fraction = h.unit?.match(/^fraction( of .*)?$/);
  return typeof h.value === 'number' ? (fraction ? `${humanPercent(h.value)}${fraction[1] ?? ''}` : `${humanNumber(h.value)}${h.unit ? ` ${h.unit}` : ''}`) : h.value;
}

export function headlineText(h: HeadlineValue, violation?: RunResult['violation']): string {
  let v = headlineValueText(h);
  // Convention: a categorical outcome is "undecided" when the run ended before it was decided.
  if (h.value === 'undecided' && violation) v += ` — invariant ${violation.invariant} stopped the run first (${violation.message})`;
  const theory = h.theory ? `   (closed form${h.kind === 'categorical' && h.categories?.[0] ? ` P(${h.categories[0]})` : ''}: ${humanNumber(h.theory.value)} — ${h.theory.label})` : '';
  return `${v}${theory}`;
}

const UNIT_SUFFIXES: [RegExp, (v: number) => string][] = [
  [/Us$/, (v) => (v < 0 ? 'never' : humanDuration(v))],
  [/Ms$/, (v) => humanMs(v)],
  [/S$/, (v) => humanDuration(v * 1e6)],
  [/PerSec$/, (v) => `${humanNumber(v)} /s`],
  [/Bytes$/, (v) => `${humanNumber(v)} B`],
];

/** A protocol metric for people: times by their key's unit suffix (…Us, …Ms, …S), floats rounded. */
function metricValue(key: string, v: number): string {
  for (const [re, f] of UNIT_SUFFIXES) if (re.test(key)) return f(v);
  return humanNumber(v);
}

/** Flattens the protocol summary into "key  value" lines; empty objects and nulls are left out, long hex shortened. */
export function metricLines(protocol: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): string[] {
  const out = metricRows(protocol, skip);
  const width = Math.min(40, Math.max(0, ...out.map(([k]) => k.length)));
  return out.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

/** The protocol summary as [key path, value for people] rows (units from the keys' suffixes). */
export function metricRows(protocol: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): [string, string][] {
  const out: [string, string][] = [];
  const walk = (v: unknown, key: string, leaf: string) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'number') out.push([key, metricValue(leaf, v)]);
    else if (typeof v === 'boolean') out.push([key, v ? 'yes' : 'no']);
    else if (typeof v === 'string') out.push([key, /^[0-9a-f]{32,}$/.test(v) ? `${v.slice(0, 16)}…` : v]);
    else if (Array.isArray(v)) {
      if (v.length === 0) return;
      if (v.every((x) => typeof x === 'number')) out.push([key, `[${v.slice(0, 12).map((x) => humanNumber(x as number)).join(', ')}${v.length > 12 ? `, … (${v.length})` : ''}]`]);
      else v.slice(0, 4).forEach((x, i) => walk(x, `${key}.${i}`, leaf));
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      // A group of counters that are all zero reads better as one line.
      if (entries.length > 1 && entries.every(([, x]) => x === 0)) out.push([key, `0 each (${entries.map(([k]) => k).join(', ')})`]);
      // A child without a unit suffix of its own (latencyMs.p50) takes its parent's.
      else for (const [k, x] of entries) walk(x, key ? `${key}.${k}` : k, UNIT_SUFFIXES.some(([re]) => re.test(k)) ? k : leaf);
    }
  };
  for (const [k, v] of Object.entries(protocol)) if (!skip.has(k)) walk(v, k, k);
  return out;
}

/** The violation block, in the compact form `medsim check` uses: invariant, message, the last events, the replay. */
export function violationText(v: NonNullable<RunResult['violation']>, replay: string, also: readonly { kind: string; invariant: string; message: string }[] = []): string {
  const lines = [`VIOLATION (${v.kind}) ${v.invariant} at ${humanDuration(v.time ?? 0)}${v.node !== undefined ? ` on node ${v.node}` : ''}`, `  ${v.message}`];
  for (const o of also) lines.push(`  on the same event also (${o.kind}) ${o.invariant}: ${o.message}`);
  const history = v.history.slice(-VIOLATION_HISTORY);
  if (history.length) {
    lines.push(`  events leading up to it (time, kind, type, from -> to)${v.history.length > history.length ? `, last ${history.length} of ${v.history.length}` : ''}:`);
    for (const e of history) lines.push(`    ${humanDuration(e.time).padStart(12)}  ${e.kind.padEnd(8)} ${e.type.padEnd(18)} ${e.from} -> ${e.to}`);
  }
  lines.push(`  replay: ${replay}`);
  return lines.join('\n');
}

export interface RunTextInput {
  scenario: Scenario;
  seed: number;
  result: RunResult;
  protocol: Record<string, unknown>;
  headline: readonly HeadlineValue[];
  timeline?: readonly TimelineEntry[];
  wallMs: number;
  resultsDir?: string;
}

/** The whole readable summary of one run (the violation block is printed separately, on stderr). */
export function runText(r: RunTextInput): string {
  const { scenario, result } = r;
  const c = result.metrics.counters;
  const dropped = Object.entries(c).filter(([k]) => k.startsWith('net.dropped.')).reduce((n, [, v]) => n + v, 0);
  const lines = [`scenario    ${scenario.name}${scenario.description ? ` — ${scenario.description}` : ''}`, `seed        ${r.seed}`];
  if (r.headline.length) {
    const width = Math.max(...r.headline.map((h) => h.label.length));
    lines.push('outcomes', ...r.headline.map((h) => `  ${h.label.padEnd(width)}  ${headlineText(h, result.violation)}`));
  }
  const events = (r.timeline ?? []).filter((e) => e.event);
  const violation = result.violation;
  if (events.length || violation) {
    lines.push('what happened');
    const rows = events.map((e) => ({ t: e.timeUs, text: e.event! }));
    if (violation) rows.push({ t: violation.time ?? result.simTimeUs, text: `invariant ${violation.invariant} (${violation.kind}) fired — the run stops here` });
    rows.sort((a, b) => a.t - b.t);
    for (const e of rows.slice(0, MAX_EVENTS)) lines.push(`  ${humanDuration(e.t).padStart(10)}  ${e.text}`);
    if (rows.length > MAX_EVENTS) lines.push(`  … ${rows.length - MAX_EVENTS} more (timeline.csv)`);
  }
  lines.push(
    `stopped     ${stopText(result, scenario)}`,
    `simulated   ${humanDuration(result.simTimeUs)}, ${result.events.toLocaleString('en-US')} events, ${(c['net.messages.delivered'] ?? 0).toLocaleString('en-US')} messages delivered, ${dropped.toLocaleString('en-US')} dropped`,
    `wall time   ${humanMs(r.wallMs)}`,
    `trace hash  ${result.traceHash}`,
  );
  const metrics = metricLines(r.protocol);
  if (metrics.length) lines.push('protocol metrics', ...metrics);
  if (r.resultsDir) lines.push(`results     ${r.resultsDir}`);
  return lines.join('\n');
}
