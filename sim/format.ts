/**
 * Numbers and times for people (CLI summaries, reports). JSON outputs keep raw values (µs,
 * unrounded floats); only what a person reads goes through here.
 */

/** `x` to `digits` significant digits, without exponent noise for everyday magnitudes: 0.000123, 0.0312, 4.57, 1,234, 1.23e-9. */
export function humanNumber(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e15) return x.toLocaleString('en-US');
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a < 1e-4) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

/** A share as a percentage for people: 0.0312 → "3.12 %", 1 → "100 %". */
export function humanPercent(x: number, digits = 3): string {
  return `${humanNumber(x * 100, digits)} %`;
}

const SCALES: [number, string][] = [
  [86_400_000_000, 'd'],
  [3_600_000_000, 'h'],
  [60_000_000, 'min'],
  [1_000_000, 's'],
  [1_000, 'ms'],
  [1, 'µs'],
];

/** Virtual or wall time in µs as a person reads it: 850 µs, 12.3 ms, 4.57 s, 53.9 min, 12.6 h, 20 d. */
export function humanDuration(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us === 0) return '0 s';
  const a = Math.abs(us);
  // Hours up to two days read better than fractional days.
  for (const [scale, unit] of SCALES) {
    if (unit === 'd' && a < 2 * scale) continue;
    if (a >= scale) return `${humanNumber(us / scale)} ${unit}`;
  }
  return `${humanNumber(us)} µs`;
}

/** Milliseconds (wall clock) as a person reads them. */
export function humanMs(ms: number): string {
  return humanDuration(ms * 1000);
}

/** A value with its 95 % interval: "0.312 [0.251, 0.38]". */
export function humanInterval(value: number, low: number | null | undefined, high: number | null | undefined): string {
  const iv = low === null || low === undefined || high === null || high === undefined ? '' : ` [${humanNumber(low)}, ${humanNumber(high)}]`;
  return `${humanNumber(value)}${iv}`;
}
