/**
 * The sweep engine's default per-point summary (used when a trial module has no
 * `summarizePoint`, and by the scenario trial module for the fields after its headline outcomes).
 */
import { flattenNumbers } from './io.ts';
import { meanInterval, summarize, wilson } from './stats.ts';

/** Default per-point summary: every numeric leaf → n, mean, sd, percentiles and a 95 % t-interval of the mean; every boolean → proportion + Wilson 95 % CI. */
export function defaultSummarizePoint(results: unknown[]): Record<string, unknown> {
  const numeric = new Map<string, number[]>();
  const bools = new Map<string, number[]>();
  for (const r of results) {
    for (const [k, v] of flattenNumbers(r)) {
      const target = typeof v === 'boolean' ? bools : numeric;
      let list = target.get(k);
      if (!list) target.set(k, (list = []));
      list.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of [...numeric.keys()].sort()) {
    const xs = numeric.get(k)!;
    const iv = xs.length > 1 ? meanInterval(xs) : undefined;
    out[k] = { ...summarize(xs), ciLow: iv ? iv.low : null, ciHigh: iv ? iv.high : null };
  }
  for (const k of [...bools.keys()].sort()) {
    const xs = bools.get(k)!;
    const s = xs.reduce((a, b) => a + b, 0);
    const iv = wilson(s, xs.length);
    out[k] = { n: xs.length, count: s, proportion: iv.estimate, ciLow: iv.low, ciHigh: iv.high };
  }
  return out;
}
