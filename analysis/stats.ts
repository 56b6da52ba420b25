/**
 * Statistics for reported figures: summaries, binomial confidence intervals and batch means.
 *
 * Every reported number carries its sample size `n`. Summaries use simple-statistics; the
 * incomplete-beta function (Numerical Recipes §6.4, modified Lentz continued fraction) gives the
 * exact Clopper–Pearson interval and Student-t quantiles for batch means.
 *
 * Conventions: intervals are two-sided at level `1 − alpha` (default 95 %); percentiles use
 * simple-statistics' `quantile` (linear interpolation between order statistics, R type 7).
 */
import { gammaln, mean as ssMean, quantile, sampleStandardDeviation } from 'simple-statistics';

/** A two-sided confidence interval with the sample size it was computed from. */
export interface Interval {
  low: number;
  high: number;
  /** Point estimate (proportion or mean). */
  estimate: number;
  /** Sample size (trials, or batches for batch means). */
  n: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
}

/** Summary of a sample: mean, sample standard deviation and percentiles, with n. */
export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 denominator); 0 when n = 1. */
  sd: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Mean, sd and percentiles. Throws on an empty sample (a figure without data is a bug). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize: empty sample');
  const xs = values as number[];
  return {
    n: xs.length,
    mean: ssMean(xs),
    sd: xs.length > 1 ? sampleStandardDeviation(xs) : 0,
    min: Math.min(...xs),
    p50: quantile(xs, 0.5),
    p90: quantile(xs, 0.9),
    p99: quantile(xs, 0.99),
    max: Math.max(...xs),
  };
}

/** Percentile `p` ∈ [0, 1] (R type 7). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile: empty sample');
  return quantile(values as number[], p);
}

/**
 * Standard normal quantile, Wichura's AS 241 (PPND16), relative accuracy ~1e-16.
 * (simple-statistics' `probit` is a short approximation: 1.9591 instead of 1.95996 at 0.975.)
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608)) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let val: number;
  if (r <= 5) {
    r -= 1.6;
    val =
      (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    val =
      (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -val : val;
}

// ---------------------------------------------------------------------------------------------
// Incomplete beta

/** Continued fraction of the incomplete beta (Numerical Recipes `betacf`). */
function betacf(a: number, b: number, x: number): number {
  const FPMIN = 1e-300;
  const EPS = 1e-15;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b), a, b > 0, x ∈ [0, 1]. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x);
  const bt = Math.exp(lbt);
  if (x < (a + 1) / (a + b + 2)) return (bt * betacf(a, b, x)) / a;
  return 1 - (bt * betacf(b, a, 1 - x)) / b;
}

/** Inverse of I_x(a, b) in x (bisection to ~1e-15; monotone, so always converges). */
export function inverseIncompleteBeta(p: number, a: number, b: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (incompleteBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-16) break;
  }
  return (lo + hi) / 2;
}

/** Student-t quantile with `df` degrees of freedom (via the incomplete beta). */
export function tQuantile(p: number, df: number): number {
  if (p === 0.5) return 0;
  const tail = p < 0.5 ? p : 1 - p;
  // P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2) = 2·tail.
  const x = inverseIncompleteBeta(2 * tail, df / 2, 0.5);
  const t = Math.sqrt((df * (1 - x)) / x);
  return p < 0.5 ? -t : t;
}

// ---------------------------------------------------------------------------------------------
// Binomial proportions

function checkCounts(successes: number, n: number): void {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || n <= 0 || successes < 0 || successes > n) {
    throw new RangeError(`binomial interval: need integers 0 ≤ successes ≤ n, n > 0 (got ${successes}/${n})`);
  }
}

/**
 * Wilson score interval (Wilson 1927; Agresti & Coull 1998): centre (x + z²/2)/(n + z²),
 * half-width z·√(p̂(1−p̂)/n + z²/4n²)/(1 + z²/n). Good coverage even for small counts.
 */
export function wilson(successes: number, n: number, level = 0.95): Interval {
  checkCounts(successes, n);
  const z = normalQuantile(1 - (1 - level) / 2);
  const phat = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (phat + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((phat * (1 - phat)) / n + z2 / (4 * n * n))) / denom;
  return {
    estimate: phat,
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === n ? 1 : Math.min(1, centre + half),
    n,
    level,
  };
}

/**
 * Clopper–Pearson "exact" interval: the beta quantiles B(α/2; x, n−x+1) and
 * B(1−α/2; x+1, n−x), with 0 and 1 at the ends. Conservative (coverage ≥ level).
 */
export function clopperPearson(successes: number, n: number, level = 0.95): Interval {
  checkCounts(successes, n);
  const alpha = 1 - level;
  const x = successes;
  return {
    estimate: x / n,
    low: x === 0 ? 0 : inverseIncompleteBeta(alpha / 2, x, n - x + 1),
    high: x === n ? 1 : inverseIncompleteBeta(1 - alpha / 2, x + 1, n - x),
    n,
    level,
  };
}

/** t-interval for the mean of independent observations. */
export function meanInterval(values: readonly number[], level = 0.95): Interval {
  const n = values.length;
  if (n === 0) throw new RangeError('meanInterval: empty sample');
  const m = ssMean(values as number[]);
  if (n === 1) return { estimate: m, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY, n, level };
  const half = (tQuantile(1 - (1 - level) / 2, n - 1) * sampleStandardDeviation(values as number[])) / Math.sqrt(n);
  return { estimate: m, low: m - half, high: m + half, n, level };
}

/** Result of the batch-means method. */
export interface BatchMeansInterval extends Interval {
  /** Observations per batch (the tail that does not fill a batch is dropped). */
  batchSize: number;
  /** Observations discarded as warm-up. */
  warmup: number;
  /** Observations used (batches × batchSize). */
  observations: number;
}

/**
 * Batch-means confidence interval for the steady-state mean of a correlated time series
 * (Law & Kelton, *Simulation Modeling and Analysis*, §9.5.3; as CLoTH reports its payment
 * metrics): drop `warmup` observations, cut the rest into `batches` equal consecutive batches,
 * and take a t-interval over the batch means (batches − 1 degrees of freedom). `n` is the number
 * of batches; `observations` how many values entered.
 */
export function batchMeans(series: readonly number[], options: { batches?: number; warmup?: number; level?: number } = {}): BatchMeansInterval {
  const batches = options.batches ?? 20;
  const warmup = options.warmup ?? 0;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(batches) || batches < 2) throw new RangeError('batchMeans: need at least 2 batches');
  const usable = series.length - warmup;
  const batchSize = Math.floor(usable / batches);
  if (batchSize < 1) throw new RangeError(`batchMeans: ${series.length} observations (warm-up ${warmup}) are too few for ${batches} batches`);
  const means: number[] = [];
  for (let b = 0; b < batches; b++) {
    let s = 0;
    const start = warmup + b * batchSize;
    for (let i = 0; i < batchSize; i++) s += series[start + i];
    means.push(s / batchSize);
  }
  const iv = meanInterval(means, level);
  return { ...iv, n: batches, batchSize, warmup, observations: batches * batchSize };
}

/** Result of `batchMeansByTime`. */
export interface TimeBatchMeansInterval extends Interval {
  /** Length of each batch window, in the unit of the times given. */
  batchLength: number;
  /** Start of the first batch (end of the warm-up) and end of the last. */
  start: number;
  end: number;
  /** Observations that fell inside [start, end). */
  observations: number;
  /** The per-batch statistic, batch by batch. */
  batchValues: number[];
}

/**
 * Batch means over equal windows of simulated time, as CLoTH reports its payment metrics: the
 * steady-state span [start, end) (start = end of the warm-up) is cut into `batches` windows of
 * equal length; each window yields one value — the mean of the observations whose time falls in
 * it (`statistic: 'mean'`, e.g. success 0/1 per payment → success rate), or their sum divided by
 * the window length (`'rate'`, e.g. 1 per completed payment → throughput per time unit) — and a
 * Student-t interval is taken over the window values (batches − 1 degrees of freedom). A window
 * without observations has no mean: asking for 'mean' then throws (use fewer batches).
 */
export function batchMeansByTime(
  times: readonly number[],
  values: readonly number[],
  options: { batches?: number; start: number; end: number; statistic?: 'mean' | 'rate'; level?: number },
): TimeBatchMeansInterval {
  const batches = options.batches ?? 20;
  const level = options.level ?? 0.95;
  const statistic = options.statistic ?? 'mean';
  const { start, end } = options;
  if (times.length !== values.length) throw new RangeError(`batchMeansByTime: ${times.length} times but ${values.length} values`);
  if (!Number.isInteger(batches) || batches < 2) throw new RangeError('batchMeansByTime: need at least 2 batches');
  if (!(end > start)) throw new RangeError(`batchMeansByTime: end ${end} must be after start ${start}`);
  const length = (end - start) / batches;
  const sums = new Array<number>(batches).fill(0);
  const counts = new Array<number>(batches).fill(0);
  let observations = 0;
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (!(t >= start && t < end)) continue;
    const b = Math.min(batches - 1, Math.floor((t - start) / length));
    sums[b] += values[i];
    counts[b]++;
    observations++;
  }
  const batchValues = sums.map((s, b) => {
    if (statistic === 'rate') return s / length;
    if (counts[b] === 0) throw new RangeError(`batchMeansByTime: batch ${b} ([${start + b * length}, ${start + (b + 1) * length})) has no observations; use fewer batches`);
    return s / counts[b];
  });
  const iv = meanInterval(batchValues, level);
  return { ...iv, n: batches, batchLength: length, start, end, observations, batchValues };
}
