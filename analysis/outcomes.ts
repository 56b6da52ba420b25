/**
 * Aggregating what a sweep was run for: the protocol's headline outcomes (sim/protocol.ts
 * `HeadlineOutcome`) and the invariant violations, per sweep point.
 *
 * - categorical outcome → for every category: count, share of the trials where the outcome
 *   applied, Wilson 95 % interval; categories in the protocol's declared order, then any other
 *   label seen (sorted);
 * - rate / count / quantity → n, mean, sd, min, max, Student-t 95 % interval of the mean (and the
 *   total, for counts);
 * - violations → trials with a violation, and per invariant: kind, count, share, Wilson 95 %.
 *
 * A trial result carries its values as `headline: {name: value}` and its violation as
 * `violation: {kind, invariant, message, timeUs}` (analysis/trials/scenario.ts); the outcome's
 * declaration (label, kind, unit, categories, closed form) comes from the protocol module.
 */
import type { HeadlineKind, HeadlineTheory } from '../sim/protocol.ts';
import { meanInterval, summarize, wilson } from './stats.ts';

/** What the aggregation needs to know about an outcome (a HeadlineOutcome without its functions). */
export interface HeadlineMeta {
  name: string;
  label: string;
  kind: HeadlineKind;
  unit?: string;
  categories?: readonly string[];
}

export interface CategoryShare {
  category: string;
  count: number;
  share: number;
  ciLow: number;
  ciHigh: number;
}

/** One outcome at one sweep point. */
export interface HeadlineAggregate extends HeadlineMeta {
  /** Trials where the outcome applied. */
  n: number;
  /** Categorical: every category's share (declared ones always listed, also when 0). */
  shares?: CategoryShare[];
  mean?: number;
  sd?: number;
  min?: number;
  max?: number;
  ciLow?: number | null;
  ciHigh?: number | null;
  /** Counts: the sum over trials. */
  total?: number;
  /** The closed form at this point, when the protocol has one. */
  theory?: HeadlineTheory;
}

/** A violation as a trial records it. */
export interface TrialViolation {
  kind: string;
  invariant: string;
  message: string;
  timeUs?: number;
}

export interface ViolationAggregate {
  /** Trials summarised (successful trials of the point). */
  n: number;
  /** Trials that ended in a violation. */
  trials: number;
  byInvariant: { invariant: string; kind: string; count: number; share: number; ciLow: number; ciHigh: number }[];
}

/** Aggregates the outcomes' values over a point's trials (`values[t][name]`), in `metas` order; outcomes seen in no trial are left out. */
export function aggregateHeadline(metas: readonly HeadlineMeta[], values: readonly (Record<string, unknown> | undefined)[], theory: Record<string, HeadlineTheory | undefined> = {}): HeadlineAggregate[] {
  const out: HeadlineAggregate[] = [];
  for (const meta of metas) {
    const xs = values.map((v) => v?.[meta.name]).filter((v) => v !== undefined && v !== null);
    if (xs.length === 0) continue;
    const base: HeadlineAggregate = { ...meta, n: xs.length, ...(theory[meta.name] ? { theory: theory[meta.name] } : {}) };
    if (meta.kind === 'categorical') {
      const counts = new Map<string, number>();
      for (const x of xs) counts.set(String(x), (counts.get(String(x)) ?? 0) + 1);
      const declared = meta.categories ?? [];
      const order = [...declared, ...[...counts.keys()].filter((c) => !declared.includes(c)).sort()];
      base.shares = order.map((category) => {
        const count = counts.get(category) ?? 0;
        const w = wilson(count, xs.length);
        return { category, count, share: w.estimate, ciLow: w.low, ciHigh: w.high };
      });
    } else {
      const nums = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      if (nums.length === 0) continue;
      const s = summarize(nums);
      const iv = nums.length > 1 ? meanInterval(nums) : undefined;
      // A t interval ignores natural bounds; clip it to them (counts and rates are ≥ 0, fractions ≤ 1).
      const low = iv ? (s.min >= 0 ? Math.max(0, iv.low) : iv.low) : null;
      const high = iv ? (s.max <= 1 && meta.unit?.startsWith('fraction') ? Math.min(1, iv.high) : iv.high) : null;
      Object.assign(base, { n: nums.length, mean: s.mean, sd: s.sd, min: s.min, max: s.max, ciLow: low, ciHigh: high });
      if (meta.kind === 'count') base.total = nums.reduce((a, b) => a + b, 0);
    }
    out.push(base);
  }
  return out;
}

/** Counts the violations among a point's trial results (`violation` field, null when none). */
export function aggregateViolations(violations: readonly (TrialViolation | null | undefined)[]): ViolationAggregate {
  const by = new Map<string, { kind: string; count: number }>();
  let trials = 0;
  for (const v of violations) {
    if (!v) continue;
    trials++;
    const e = by.get(v.invariant) ?? { kind: v.kind, count: 0 };
    e.count++;
    by.set(v.invariant, e);
  }
  const n = violations.length;
  return {
    n,
    trials,
    byInvariant: [...by].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0])).map(([invariant, e]) => {
      const w = wilson(e.count, n);
      return { invariant, kind: e.kind, count: e.count, share: w.estimate, ciLow: w.low, ciHigh: w.high };
    }),
  };
}

/** The figure a person reads first: a categorical outcome's first category share, or a number's mean. */
export function headlineValue(h: HeadlineAggregate): { value: number; ciLow: number | null; ciHigh: number | null; what: string } {
  if (h.kind === 'categorical') {
    const first = h.shares![0];
    return { value: first.share, ciLow: first.ciLow, ciHigh: first.ciHigh, what: `P(${first.category})` };
  }
  return { value: h.mean!, ciLow: h.ciLow ?? null, ciHigh: h.ciHigh ?? null, what: `mean${h.unit ? ` (${h.unit})` : ''}` };
}

/** Columns for points.csv: the headline outcomes first (shares with intervals, means with intervals, closed forms). */
export function headlineCsvColumns(h: HeadlineAggregate): [string, number | null | undefined][] {
  const cols: [string, number | null | undefined][] = [];
  if (h.kind === 'categorical') {
    for (const s of h.shares!) cols.push([`${h.name}=${s.category}`, s.share], [`${h.name}=${s.category}.ciLow`, s.ciLow], [`${h.name}=${s.category}.ciHigh`, s.ciHigh]);
  } else {
    cols.push([`${h.name}.mean`, h.mean], [`${h.name}.ciLow`, h.ciLow], [`${h.name}.ciHigh`, h.ciHigh]);
  }
  if (h.theory) cols.push([`${h.name}.theory`, h.theory.value]);
  return cols;
}
