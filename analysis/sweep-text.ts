/**
 * What `medsim sweep` and `medsim merge` print: the headline outcomes per point first (shares or
 * means with 95 % intervals, the closed form beside them), then one summary line of violations
 * per invariant and failures, the first few replay lines (all of them are in summary.json), and
 * where the results are.
 */
import { join } from 'node:path';
import { humanInterval, humanMs, humanNumber } from '../sim/format.ts';
import { displayPath, replayCommand, shellQuote } from '../sim/replay.ts';
import { headlineValue, type HeadlineAggregate, type ViolationAggregate } from './outcomes.ts';
import { replayFileOf, type SweepFindings } from './sweep.ts';

/** Replay lines printed before "… and N more in summary.json". */
export const PRINTED_REPLAYS = 5;
/** Headline outcomes shown per point in the table (all are in summary.json and points.csv). */
const TABLE_OUTCOMES = 2;

/** The replay command as typed from the current directory (summary.json keeps it relative to the sweep directory). */
export function replayFromHere(resultsDir: string, p: number, seed: number): string {
  return replayCommand(join(resultsDir, replayFileOf(p)), seed);
}

function pad(cells: string[][]): string[] {
  const widths = cells[0].map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]))).join('  ').trimEnd());
}

function outcomeHeader(h: HeadlineAggregate): string {
  const v = headlineValue(h);
  return h.kind === 'categorical' ? `${h.label}: ${v.what}` : `${h.label}${h.unit ? ` (${h.unit})` : ''}`;
}

/** The per-point table: assignments, n, the first headline outcomes (and closed forms), violating trials. */
export function pointsTable(findings: SweepFindings): string[] {
  const pts = findings.perPoint;
  const keys = Object.keys(pts[0]?.assignments ?? {});
  const names: HeadlineAggregate[] = [];
  for (const p of pts) for (const h of (p.summary?.headline as HeadlineAggregate[] | undefined) ?? []) if (!names.some((x) => x.name === h.name)) names.push(h);
  const shown = names.slice(0, TABLE_OUTCOMES);
  const withTheory = new Set(pts.flatMap((p) => ((p.summary?.headline as HeadlineAggregate[] | undefined) ?? []).filter((h) => h.theory).map((h) => h.name)));
  const hasViolations = pts.some((p) => p.summary && 'violations' in p.summary);
  const header = ['point', ...keys, 'n', ...shown.flatMap((h) => [outcomeHeader(h), ...(withTheory.has(h.name) ? ['closed form'] : [])]), ...(hasViolations ? ['violating trials'] : []), ...(pts.some((p) => p.failures) ? ['failed'] : [])];
  const rows = pts.map((p) => {
    const hs = (p.summary?.headline as HeadlineAggregate[] | undefined) ?? [];
    const cells = shown.flatMap((meta) => {
      const h = hs.find((x) => x.name === meta.name);
      const v = h ? headlineValue(h) : undefined;
      return [v ? humanInterval(v.value, v.ciLow, v.ciHigh) : '–', ...(withTheory.has(meta.name) ? [h?.theory ? humanNumber(h.theory.value) : '–'] : [])];
    });
    const va = p.summary?.violations as ViolationAggregate | undefined;
    return [String(p.index), ...keys.map((k) => JSON.stringify(p.assignments[k])), String(p.n), ...cells, ...(hasViolations ? [va ? String(va.trials) : '–'] : []), ...(pts.some((x) => x.failures) ? [String(p.failures)] : [])];
  });
  const lines = shown.length ? ['(headline outcomes: share of trials or mean, with its 95 % interval)'] : [];
  lines.push(...pad([header, ...rows]));
  const theoryLabels = [...new Set(pts.flatMap((p) => ((p.summary?.headline as HeadlineAggregate[] | undefined) ?? []).filter((h) => h.theory && shown.some((s) => s.name === h.name)).map((h) => `${h.label}: ${h.theory!.label}`)))];
  if (theoryLabels.length) lines.push(`closed form: ${theoryLabels.slice(0, 3).join('; ')}${theoryLabels.length > 3 ? ' …' : ''}`);
  if (names.length > shown.length) lines.push(`(${names.length - shown.length} more outcome${names.length - shown.length === 1 ? '' : 's'} in points.csv and summary.json: ${names.slice(shown.length).map((h) => h.label).join(', ')})`);
  return lines;
}

/** "7 of 60 trials violated an invariant (confirmed-not-reversed 7), in 3 of 6 points; 0 failed" */
export function violationLine(findings: SweepFindings, trials: number): string {
  const v = findings.violations;
  const by = new Map<string, number>();
  for (const x of v) by.set(x.invariant, (by.get(x.invariant) ?? 0) + 1);
  const points = new Set(v.map((x) => x.p)).size;
  const what = v.length === 0
    ? `no trial violated an invariant`
    : `${v.length} of ${trials} trials violated an invariant (${[...by].map(([k, n]) => `${k} ${n}`).join(', ')}), in ${points} of ${findings.perPoint.length} points`;
  const failed = findings.failures.length;
  return `${what}; ${failed} trial${failed === 1 ? '' : 's'} failed (threw)`;
}

/** Replay lines of the first violating and failed trials, as typed from the current directory. */
export function replayLines(findings: SweepFindings, resultsDir: string): string[] {
  const lines: string[] = [];
  const all = [
    ...findings.violations.map((v) => ({ p: v.p, i: v.i, seed: v.seed, what: `${v.kind} violation of ${v.invariant}`, has: v.replay !== null })),
    ...findings.failures.map((f) => ({ p: f.p, i: f.i, seed: f.seed, what: `FAILED: ${f.error}`, has: f.replay !== null })),
  ];
  for (const x of all.slice(0, PRINTED_REPLAYS)) {
    lines.push(`  point ${x.p} trial ${x.i} (seed ${x.seed}): ${x.what}`);
    if (x.has) lines.push(`    replay: ${replayFromHere(resultsDir, x.p, x.seed)}`);
  }
  if (all.length > PRINTED_REPLAYS) lines.push(`  … and ${all.length - PRINTED_REPLAYS} more, each with its replay command, in ${join(resultsDir, 'summary.json')}`);
  return lines;
}

export interface SweepTextInput {
  points: number;
  trialsPerPoint: number;
  /** Trials in this sweep or shard. */
  trials: number;
  workers?: number;
  wallMs?: number;
  aggregateHash: string;
  resultsDir: string;
  findings: SweepFindings;
  /** Extra line after the trial count (shard, ran/resumed, INCOMPLETE). */
  progress?: string;
}

/** The readable summary of a sweep or merge. */
export function sweepText(o: SweepTextInput): string {
  const lines = [
    `points     ${o.points} × ${o.trialsPerPoint} trials${o.progress ? ` (${o.progress})` : ''}`,
    '',
    ...pointsTable(o.findings),
    '',
    `outcome    ${violationLine(o.findings, o.trials)}`,
    ...replayLines(o.findings, o.resultsDir),
    ...(o.workers !== undefined && o.wallMs !== undefined ? [`workers    ${o.workers}, wall time ${humanMs(o.wallMs)}`] : []),
    `aggregate  ${o.aggregateHash}`,
    `results    ${o.resultsDir}   (charts: npx medsim report ${shellQuote(displayPath(o.resultsDir))})`,
  ];
  return lines.join('\n') + '\n';
}
