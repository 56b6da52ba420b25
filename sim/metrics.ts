/**
 * Metrics registry: counters, gauges and histograms, shared by all nodes of a run.
 *
 * Snapshots list names in sorted order so that summaries and their hashes never depend on the
 * order in which metrics were first touched.
 */

export class Counter {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Gauge {
  value = 0;
  max = -Infinity;
  set(v: number): void {
    this.value = v;
    if (v > this.max) this.max = v;
  }
}

/** Percentile by linear interpolation between closest ranks (the "R-7" / NumPy default). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface HistogramSummary {
  count: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Keeps every sample (runs are bounded), so percentiles are exact. */
export class Histogram {
  private samples: number[] = [];
  private sorted: Float64Array | null = null;

  observe(v: number): void {
    this.samples.push(v);
    this.sorted = null;
  }

  get count(): number {
    return this.samples.length;
  }

  values(): readonly number[] {
    return this.samples;
  }

  percentile(p: number): number {
    if (!this.sorted) this.sorted = Float64Array.from(this.samples).sort();
    return percentileOfSorted(this.sorted, p);
  }

  summary(): HistogramSummary {
    const n = this.samples.length;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of this.samples) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return {
      count: n,
      mean: n ? sum / n : NaN,
      min: n ? min : NaN,
      max: n ? max : NaN,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
    };
  }
}

export interface MetricsSnapshot {
  counters: Record<string, number>;
  gauges: Record<string, { value: number; max: number }>;
  histograms: Record<string, HistogramSummary>;
}

export class Metrics {
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();

  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new Counter()));
    return c;
  }

  gauge(name: string): Gauge {
    let g = this.gauges.get(name);
    if (!g) this.gauges.set(name, (g = new Gauge()));
    return g;
  }

  histogram(name: string): Histogram {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = new Histogram()));
    return h;
  }

  snapshot(): MetricsSnapshot {
    const byName = <V, R>(m: Map<string, V>, f: (v: V) => R): Record<string, R> => {
      const out: Record<string, R> = {};
      for (const k of [...m.keys()].sort()) out[k] = f(m.get(k) as V);
      return out;
    };
    return {
      counters: byName(this.counters, (c) => c.value),
      gauges: byName(this.gauges, (g) => ({ value: g.value, max: g.max })),
      histograms: byName(this.histograms, (h) => h.summary()),
    };
  }

  /** One CSV row per metric: `name,kind,count,value,mean,min,max,p50,p90,p99`. */
  toCsv(): string {
    const s = this.snapshot();
    const rows = ['name,kind,count,value,mean,min,max,p50,p90,p99'];
    const num = (v: number) => (Number.isFinite(v) ? String(v) : '');
    for (const [k, v] of Object.entries(s.counters)) rows.push(`${k},counter,,${v},,,,,,`);
    for (const [k, v] of Object.entries(s.gauges)) rows.push(`${k},gauge,,${num(v.value)},,,${num(v.max)},,,`);
    for (const [k, h] of Object.entries(s.histograms)) {
      rows.push(`${k},histogram,${h.count},,${num(h.mean)},${num(h.min)},${num(h.max)},${num(h.p50)},${num(h.p90)},${num(h.p99)}`);
    }
    return rows.join('\n') + '\n';
  }
}
