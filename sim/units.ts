/**
 * Units for scenario files: durations, sizes and bandwidths written as strings with a unit
 * ("50ms", "1.5s", "1MB", "20Mbps") and parsed to exact integers:
 *
 *   - durations → microseconds (the simulator's integer virtual time unit),
 *   - sizes     → bytes,
 *   - bandwidth → bits per second.
 *
 * Parsing is exact decimal arithmetic (BigInt), never floating point, so "0.1s" is exactly
 * 100000 µs and a value that is not a whole number of the base unit ("1.5us", "0.5B") is an
 * error instead of being rounded silently. A bare number ("600") is rejected: the unit is the
 * whole point, and guessing it is how scenarios go wrong.
 *
 * The zod helpers `duration()`, `size()` and `bandwidth()` accept only such strings and produce
 * the integers; their error messages are the ones scenario authors see.
 */
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { expecting } from './scenario/meta.ts';

/** Microseconds per duration unit. `m` and `min` are both minutes; `µs` (micro sign) and `μs` (Greek mu) both work. */
export const DURATION_UNITS: Readonly<Record<string, number>> = Object.freeze({
  us: 1, 'µs': 1, 'μs': 1, ms: 1_000, s: 1_000_000, min: 60_000_000, m: 60_000_000, h: 3_600_000_000, d: 86_400_000_000,
});
/** Bytes per size unit. Decimal (kB = KB = 1000) and binary (KiB = 1024) prefixes. */
export const SIZE_UNITS: Readonly<Record<string, number>> = Object.freeze({
  B: 1, kB: 1_000, KB: 1_000, MB: 1_000_000, GB: 1_000_000_000, KiB: 1_024, MiB: 1_048_576, GiB: 1_073_741_824,
});
/** Bits per second per bandwidth unit (decimal prefixes, as network links are sold). */
export const BANDWIDTH_UNITS: Readonly<Record<string, number>> = Object.freeze({
  bps: 1, kbps: 1_000, Mbps: 1_000_000, Gbps: 1_000_000_000,
});

/** A unit string that could not be parsed; `reason` says why in plain words. */
export class UnitError extends Error {
  constructor(readonly input: unknown, readonly reason: string) {
    super(`${JSON.stringify(input)}: ${reason}`);
    this.name = 'UnitError';
  }
}

interface QuantityKind {
  noun: string;
  units: Readonly<Record<string, number>>;
  /** Name of the base unit in the plural, for "not a whole number of …". */
  base: string;
  example: string;
  /** Common misspellings → the unit meant. */
  aliases: Readonly<Record<string, string>>;
  /** Kind-specific advice for a unit that is not known (bits vs bytes…). */
  extraHint?: (unit: string, amount: string) => string | undefined;
  /** Suggested spellings for a bare number that lacks its unit. */
  bare: (n: number) => string;
}

const DURATION_KIND: QuantityKind = {
  noun: 'duration', units: DURATION_UNITS, base: 'microseconds', example: "'50ms' or '600s'",
  bare: (n) => `"${n}s" or "${n}ms"`,
  aliases: {
    sec: 's', secs: 's', second: 's', seconds: 's', msec: 'ms', msecs: 'ms', millis: 'ms', millisecond: 'ms',
    milliseconds: 'ms', usec: 'us', usecs: 'us', micros: 'us', microsecond: 'us', microseconds: 'us', mins: 'min',
    minute: 'min', minutes: 'min', hr: 'h', hrs: 'h', hour: 'h', hours: 'h', day: 'd', days: 'd', ns: 'us',
  },
};
const SIZE_KIND: QuantityKind = {
  noun: 'size', units: SIZE_UNITS, base: 'bytes', example: "'512kB' or '1MB'",
  bare: (n) => `"${n}B"`,
  aliases: { byte: 'B', bytes: 'B', kiB: 'KiB', kb: 'kB', Kb: 'kB', mb: 'MB', Mb: 'MB', gb: 'GB', Gb: 'GB', K: 'kB', k: 'kB', M: 'MB', G: 'GB' },
  extraHint: (unit) => (/^[kKMG]?b$/.test(unit) ? 'sizes are in bytes (B); a lowercase b means bits' : undefined),
};
const BANDWIDTH_KIND: QuantityKind = {
  noun: 'bandwidth', units: BANDWIDTH_UNITS, base: 'bits per second', example: "'20Mbps' or '1Gbps'",
  bare: (n) => `"${n}Mbps"`,
  aliases: {
    'b/s': 'bps', 'kb/s': 'kbps', 'Kb/s': 'kbps', Kbps: 'kbps', 'Mb/s': 'Mbps', 'Gb/s': 'Gbps', 'kbit/s': 'kbps', 'Mbit/s': 'Mbps',
    'Gbit/s': 'Gbps', mbps: 'Mbps', gbps: 'Gbps',
  },
  extraHint: (unit, amount) => {
    const m = /^([kKMG]?)(?:B\/s|Bps|iB\/s)$/.exec(unit);
    if (!m) return undefined;
    const bitsUnit = `${m[1] === 'K' ? 'k' : m[1]}bps`;
    const times8 = decimalTimes(amount, 8n);
    const inBits = times8 === undefined ? '' : ` (${amount} ${unit} = ${times8}${bitsUnit})`;
    return `bandwidth is in bits per second, not bytes${inBits}`;
  },
};

const NUMBER_THEN_UNIT = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*(.*)$/;

/** Exact decimal `amount × factor` as a bigint, or undefined when it is not a whole number. */
function decimalTimes(amount: string, factor: bigint): bigint | undefined {
  const [intPart = '', fracPart = ''] = amount.split('.');
  const scaled = BigInt((intPart || '0') + fracPart) * factor;
  const divisor = 10n ** BigInt(fracPart.length);
  return scaled % divisor === 0n ? scaled / divisor : undefined;
}

function suggestUnit(unit: string, kind: QuantityKind): string | undefined {
  const known = Object.keys(kind.units);
  if (kind.aliases[unit]) return kind.aliases[unit];
  const folded = known.find((k) => k.toLowerCase() === unit.toLowerCase());
  if (folded) return folded;
  const alias = Object.keys(kind.aliases).find((a) => a.toLowerCase() === unit.toLowerCase());
  if (alias) return kind.aliases[alias];
  const best = closest(unit, known);
  return distance(unit, best) <= Math.max(1, Math.floor(unit.length / 3)) ? best : undefined;
}

function parseQuantity(text: unknown, kind: QuantityKind): number {
  if (typeof text !== 'string') {
    throw new UnitError(text, `a ${kind.noun} must be a string with a unit, like ${kind.example}`);
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new UnitError(text, `empty ${kind.noun}`);
  const m = NUMBER_THEN_UNIT.exec(trimmed);
  if (!m) throw new UnitError(text, `a ${kind.noun} starts with a number, like ${kind.example}`);
  const [, sign = '', amount = '', unit = ''] = m;
  const known = Object.keys(kind.units).filter((u) => u !== 'μs'); // the Greek-mu spelling is accepted, not advertised
  if (unit === '') throw new UnitError(text, `missing unit (one of ${known.join(', ')}), like ${kind.example}`);
  const factor = kind.units[unit];
  if (factor === undefined) {
    const extra = kind.extraHint?.(unit, amount);
    if (extra) throw new UnitError(text, extra);
    const suggestion = suggestUnit(unit, kind);
    const dym = suggestion ? ` — did you mean "${amount}${suggestion}"?` : '';
    throw new UnitError(text, `unknown unit "${unit}"${dym} (units: ${known.join(', ')})`);
  }
  if (sign === '-' && /[1-9]/.test(amount)) throw new UnitError(text, `a ${kind.noun} cannot be negative`);
  const value = decimalTimes(amount, BigInt(factor));
  if (value === undefined) {
    throw new UnitError(text, `not a whole number of ${kind.base}`);
  }
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnitError(text, `too large (more than 2^53 ${kind.base})`);
  return Number(value);
}

/** Parses a duration ("50ms", "1.5s", "10m", "2h", "1d") to an integer number of microseconds. */
export function parseDuration(text: string): number {
  return parseQuantity(text, DURATION_KIND);
}
/** Parses a size ("512B", "1.5MB", "64KiB") to an integer number of bytes. */
export function parseSize(text: string): number {
  return parseQuantity(text, SIZE_KIND);
}
/** Parses a bandwidth ("20Mbps", "1.5Gbps") to an integer number of bits per second. */
export function parseBandwidth(text: string): number {
  return parseQuantity(text, BANDWIDTH_KIND);
}

function formatScaled(value: number, scale: ReadonlyArray<readonly [string, number]>, zero: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return zero;
  const abs = Math.abs(value);
  const [unit, factor] = scale.find(([, f]) => abs >= f) ?? scale[scale.length - 1]!;
  const shown = Number((abs / factor).toFixed(3));
  return `${value < 0 ? '-' : ''}${shown}${unit}`;
}

const DURATION_SCALE = [['d', 86_400_000_000], ['h', 3_600_000_000], ['min', 60_000_000], ['s', 1_000_000], ['ms', 1_000], ['us', 1]] as const;
const BYTES_SCALE = [['GB', 1e9], ['MB', 1e6], ['kB', 1e3], ['B', 1]] as const;
const BANDWIDTH_SCALE = [['Gbps', 1e9], ['Mbps', 1e6], ['kbps', 1e3], ['bps', 1]] as const;

/** Formats microseconds with the largest unit that keeps the number ≥ 1, up to 3 decimals: 1500000 → "1.5s". */
export function formatDuration(us: number): string {
  return formatScaled(us, DURATION_SCALE, '0s');
}
/** Formats bytes with decimal prefixes, up to 3 decimals: 1500000 → "1.5MB". */
export function formatBytes(bytes: number): string {
  return formatScaled(bytes, BYTES_SCALE, '0B');
}
/** Formats bits per second, up to 3 decimals: 20000000 → "20Mbps". */
export function formatBandwidth(bps: number): string {
  return formatScaled(bps, BANDWIDTH_SCALE, '0bps');
}

// ---------------------------------------------------------------------------------------------
// zod helpers

function unitPattern(units: Readonly<Record<string, number>>): string {
  const alternatives = Object.keys(units).sort((a, b) => b.length - a.length).map((u) => u.replace(/[/]/g, '\\/'));
  return `^\\s*\\+?(\\d+(\\.\\d*)?|\\.\\d+)\\s*(${alternatives.join('|')})\\s*$`;
}

/** Options shared by the unit helpers. */
export interface UnitSchemaOptions {
  /** Reject zero ("0s", "0B"). */
  positive?: boolean;
}

function unitSchema(kind: QuantityKind, parse: (t: string) => number, opts: UnitSchemaOptions, examples: string[]) {
  const expected = `${opts.positive ? `a positive ${kind.noun}` : `a ${kind.noun}`} with a unit, like ${kind.example}`;
  const schema = z
    .string({ error: `expected ${expected}` })
    .transform((text, ctx) => {
      let value: number;
      try {
        value = parse(text);
      } catch (err) {
        const reason = err instanceof UnitError ? err.reason : String(err);
        ctx.addIssue({ code: 'custom', message: `expected ${expected}, got ${JSON.stringify(text)}: ${reason}`, params: { expected } });
        return z.NEVER;
      }
      if (opts.positive && value <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected ${expected}, got ${JSON.stringify(text)}: must be more than zero`, params: { expected } });
        return z.NEVER;
      }
      return value;
    })
    .meta({ pattern: unitPattern(kind.units), examples });
  return expecting(schema, expected, (got) =>
    typeof got === 'number' ? `a bare number has no unit; write it with one, like ${kind.bare(got)}` : undefined,
  );
}

/** A duration string ("50ms", "600s", "2h") parsed to integer microseconds. */
export function duration(opts: UnitSchemaOptions = {}) {
  return unitSchema(DURATION_KIND, parseDuration, opts, ['50ms', '1.5s', '10m', '2h']);
}
/** A size string ("1MB", "512KiB") parsed to integer bytes. */
export function size(opts: UnitSchemaOptions = {}) {
  return unitSchema(SIZE_KIND, parseSize, opts, ['250B', '1MB', '512KiB']);
}
/** A bandwidth string ("20Mbps") parsed to integer bits per second. Positive unless `positive: false`. */
export function bandwidth(opts: UnitSchemaOptions = { positive: true }) {
  return unitSchema(BANDWIDTH_KIND, parseBandwidth, opts, ['20Mbps', '1Gbps', '512kbps']);
}
