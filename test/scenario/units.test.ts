import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  bandwidth, duration, formatBandwidth, formatBytes, formatDuration, parseBandwidth, parseDuration, parseSize, size, UnitError,
} from '../../sim/units.ts';

describe('parseDuration', () => {
  it.each([
    ['1us', 1], ['250µs', 250], ['250μs', 250], ['50ms', 50_000], ['1.5s', 1_500_000], ['0.1s', 100_000], ['.5s', 500_000],
    ['10m', 600_000_000], ['10min', 600_000_000], ['2h', 7_200_000_000], ['1d', 86_400_000_000], ['0s', 0], ['  7 ms ', 7_000],
    ['1.000001s', 1_000_001], ['+3s', 3_000_000],
  ])('%s → %i µs', (text, us) => {
    expect(parseDuration(text)).toBe(us);
  });

  it.each([
    ['50 mz', /unknown unit "mz" — did you mean "50ms"\?/],
    ['5 sec', /did you mean "5s"\?/],
    ['50MS', /did you mean "50ms"\?/],
    ['50', /missing unit/],
    ['fast', /starts with a number/],
    ['', /empty duration/],
    ['-5s', /cannot be negative/],
    ['1.5us', /not a whole number of microseconds/],
    ['0.0000001s', /not a whole number of microseconds/],
    ['1e3ms', /unknown unit "e3ms"/],
    ['99999999999d', /too large/],
  ])('rejects %j (%s)', (text, reason) => {
    expect(() => parseDuration(text)).toThrow(UnitError);
    expect(() => parseDuration(text)).toThrow(reason);
  });

  it('rejects non-strings', () => {
    expect(() => parseDuration(600 as unknown as string)).toThrow(/must be a string with a unit/);
  });
});

describe('parseSize', () => {
  it.each([
    ['100B', 100], ['1kB', 1000], ['1KB', 1000], ['1.5MB', 1_500_000], ['2GB', 2e9], ['1KiB', 1024], ['1MiB', 1_048_576],
    ['1.5GiB', 1_610_612_736], ['0B', 0],
  ])('%s → %i bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
  it.each([
    ['1Mb', /sizes are in bytes/],
    ['1mb', /did you mean "1MB"\?/],
    ['1M', /did you mean "1MB"\?/],
    ['0.5B', /not a whole number of bytes/],
    ['1 parsec', /unknown unit "parsec"/],
  ])('rejects %j', (text, reason) => {
    expect(() => parseSize(text)).toThrow(reason);
  });
});

describe('parseBandwidth', () => {
  it.each([
    ['1bps', 1], ['512kbps', 512_000], ['20Mbps', 20_000_000], ['1.5Gbps', 1_500_000_000],
  ])('%s → %i bit/s', (text, bps) => {
    expect(parseBandwidth(text)).toBe(bps);
  });
  it.each([
    ['20MB/s', /bits per second, not bytes \(20 MB\/s = 160Mbps\)/],
    ['2.5MBps', /2.5 MBps = 20Mbps/],
    ['20mbps', /did you mean "20Mbps"\?/],
    ['20Mb/s', /did you mean "20Mbps"\?/],
    ['0.5bps', /not a whole number of bits per second/],
  ])('rejects %j', (text, reason) => {
    expect(() => parseBandwidth(text)).toThrow(reason);
  });
});

describe('formatters', () => {
  it.each([
    [0, '0s'], [999, '999us'], [1500, '1.5ms'], [1_500_000, '1.5s'], [90_000_000, '1.5min'], [5_400_000_000, '1.5h'],
    [172_800_000_000, '2d'], [1_234_567, '1.235s'], [-2_000_000, '-2s'],
  ])('formatDuration(%i) = %s', (us, text) => {
    expect(formatDuration(us)).toBe(text);
  });
  it('formatBytes and formatBandwidth', () => {
    expect(formatBytes(0)).toBe('0B');
    expect(formatBytes(512)).toBe('512B');
    expect(formatBytes(1_500_000)).toBe('1.5MB');
    expect(formatBytes(2e9)).toBe('2GB');
    expect(formatBandwidth(20_000_000)).toBe('20Mbps');
    expect(formatBandwidth(512_000)).toBe('512kbps');
    expect(formatBandwidth(999)).toBe('999bps');
  });
  it('formatted durations parse back to the same value when exact', () => {
    for (const us of [1, 1500, 1_500_000, 90_000_000, 5_400_000_000, 86_400_000_000]) expect(parseDuration(formatDuration(us))).toBe(us);
  });
});

describe('zod helpers', () => {
  it('produce integers from unit strings', () => {
    const s = z.strictObject({ d: duration(), b: size(), w: bandwidth() });
    expect(s.parse({ d: '1.5s', b: '1MB', w: '20Mbps' })).toEqual({ d: 1_500_000, b: 1_000_000, w: 20_000_000 });
  });
  it('reject bare numbers with a message naming the expectation', () => {
    const r = duration().safeParse(600);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toBe("expected a duration with a unit, like '50ms' or '600s'");
  });
  it('reject bad units with the reason', () => {
    const r = duration().safeParse('50 mz');
    expect(r.error!.issues[0]!.message).toBe(
      `expected a duration with a unit, like '50ms' or '600s', got "50 mz": unknown unit "mz" — did you mean "50ms"? (units: us, µs, ms, s, min, m, h, d)`,
    );
  });
  it('positive: rejects zero; bandwidth is positive by default', () => {
    expect(duration({ positive: true }).safeParse('0s').success).toBe(false);
    expect(duration().safeParse('0s').success).toBe(true);
    expect(bandwidth().safeParse('0bps').success).toBe(false);
    expect(bandwidth({}).safeParse('0bps').success).toBe(true);
  });
});
