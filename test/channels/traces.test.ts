import { describe, expect, it } from 'vitest';
import { generateTrace, parseTraceCsv, traceToCsv, type PaymentRequest } from '../../protocols/channels/traces.ts';
import { ScenarioError } from '../../sim/scenario/errors.ts';
import { mean, sampleStandardDeviation } from 'simple-statistics';

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

const NODES = ['a', 'b', 'c', 'd'];

describe('trace CSV', () => {
  it('reads times in µs, ms or s and amounts in msat or sat', () => {
    expect(parseTraceCsv({ text: 'time_us,sender,receiver,amount_msat\n0,a,b,1000\n5,b,c,1\n5,c,a,7\n', file: 't.csv' })).toEqual([
      { atUs: 0, sender: 'a', receiver: 'b', amountMsat: 1000n },
      { atUs: 5, sender: 'b', receiver: 'c', amountMsat: 1n },
      { atUs: 5, sender: 'c', receiver: 'a', amountMsat: 7n },
    ]);
    expect(parseTraceCsv({ text: '# s\nsender,receiver,amount_sat,time_s\r\na,b,3,0.0000015\r\nb,a,2,1.25\r\n', file: 't.csv' }, { nodes: NODES })).toEqual([
      { atUs: 2, sender: 'a', receiver: 'b', amountMsat: 3000n },
      { atUs: 1_250_000, sender: 'b', receiver: 'a', amountMsat: 2000n },
    ]);
    expect(parseTraceCsv({ text: 'time_ms,sender,receiver,amount_msat\n1.5,a,b,9\n', file: 't.csv' })[0].atUs).toBe(1500);
  });

  it('round-trips a generated trace', () => {
    const trace = generateTrace({ nodes: ['x,1', 'y "2"', 'z'], count: 50, ratePerSec: 3, amount: { kind: 'lognormal', medianMsat: 1e6, sigma: 1 }, seed: 1 });
    expect(parseTraceCsv({ text: traceToCsv(trace), file: 't' })).toEqual(trace);
  });

  it('rejects bad traces with file, line, column and what was expected', () => {
    const msg = (text: string, nodes?: string[]) => problemOf(() => parseTraceCsv({ text, file: 't.csv' }, { nodes }));
    expect(msg('time_us,sender,receiver,amount_msat\n10,a,b,5\n9,b,c,5\n')).toBe("t.csv:3:1: time_us: expected rows in time order: a time ≥ the previous row's 10, got 9");
    expect(msg('time_us,sender,receiver,amount_msat\n10,a,a,5\n')).toBe('t.csv:2:6: receiver: expected a receiver other than the sender ("a")');
    expect(msg('time_us,sender,receiver,amount_msat\n10,a,e,5\n', NODES)).toBe('t.csv:2:6: receiver: unknown node "e": expected a node of the channel graph');
    expect(msg('time_us,sender,receiver,amount_msat\n10,a,b,0\n')).toBe('t.csv:2:8: amount_msat: expected an amount in msat (an integer > 0), got "0"');
    expect(msg('time_us,sender,receiver,amount_sat\n1.5,a,b,1\n')).toBe('t.csv:2:1: time_us: expected a time in µs (an integer ≥ 0), got "1.5"');
    expect(msg('time_s,sender,receiver,amount_sat\n-1,a,b,1\n')).toBe('t.csv:2:1: time_s: expected a time in s (a number ≥ 0), got "-1"');
    expect(msg('time_us,time_s,sender,receiver,amount_msat\n')).toBe('t.csv:1:1: time_us,time_s: expected exactly one time column (time_us, time_ms or time_s), got time_us, time_s');
    expect(msg('time_us,sender,receiver\n')).toBe('t.csv:1:1: amount_msat: expected exactly one amount column (amount_msat or amount_sat), got none');
    expect(msg('time_us,sender,recipient,amount_msat\n')).toBe(
      [
        't.csv:1:1: receiver: missing column "receiver": expected the columns sender,receiver',
        't.csv:1:16: recipient: unknown column "recipient": expected the columns sender,receiver (optional: time_us, time_ms, time_s, amount_msat, amount_sat)',
      ].join('\n'),
    );
  });
});

describe('generated traces', () => {
  const base = { nodes: NODES, count: 4000, ratePerSec: 20, amount: { kind: 'exponential', meanMsat: 50_000 } as const, seed: 3 };

  it('is deterministic per seed; changing the amounts keeps times and pairs', () => {
    const t1 = generateTrace(base);
    expect(generateTrace(base)).toEqual(t1);
    expect(generateTrace({ ...base, seed: 4 })).not.toEqual(t1);
    const fixed = generateTrace({ ...base, amount: { kind: 'fixed', msat: 77n } });
    const strip = (t: PaymentRequest[]) => t.map(({ atUs, sender, receiver }) => ({ atUs, sender, receiver }));
    expect(strip(fixed)).toEqual(strip(t1));
    expect(fixed.every((p) => p.amountMsat === 77n)).toBe(true);
  });

  it('has Poisson arrivals at the given rate, distinct uniform endpoints and the asked amount distribution', () => {
    const t = generateTrace(base);
    const gaps = t.slice(1).map((p, i) => (p.atUs - t[i].atUs) / 1e6);
    // Exponential gaps: mean 1/rate = 0.05 s and coefficient of variation 1 (±5 % at n = 4000).
    expect(mean(gaps)).toBeGreaterThan(0.05 * 0.95);
    expect(mean(gaps)).toBeLessThan(0.05 * 1.05);
    expect(sampleStandardDeviation(gaps) / mean(gaps)).toBeGreaterThan(0.93);
    expect(sampleStandardDeviation(gaps) / mean(gaps)).toBeLessThan(1.07);
    expect(t.every((p, i) => i === 0 || p.atUs >= t[i - 1].atUs)).toBe(true);
    expect(t.every((p) => p.sender !== p.receiver)).toBe(true);
    for (const n of NODES) {
      const share = t.filter((p) => p.sender === n).length / t.length;
      expect(share).toBeGreaterThan(0.22);
      expect(share).toBeLessThan(0.28);
    }
    expect(mean(t.map((p) => Number(p.amountMsat)))).toBeGreaterThan(50_000 * 0.95);
    expect(mean(t.map((p) => Number(p.amountMsat)))).toBeLessThan(50_000 * 1.05);
    const ln = generateTrace({ ...base, amount: { kind: 'lognormal', medianMsat: 10_000, sigma: 2 } }).map((p) => Number(p.amountMsat)).sort((x, y) => x - y);
    expect(ln[2000]).toBeGreaterThan(9000);
    expect(ln[2000]).toBeLessThan(11_000);
    const un = generateTrace({ ...base, amount: { kind: 'uniform', minMsat: 5n, maxMsat: 7n } }).map((p) => p.amountMsat);
    expect(new Set(un)).toEqual(new Set([5n, 6n, 7n]));
    const skew = generateTrace({ ...base, senderWeights: [1, 0, 0, 3] });
    expect(skew.some((p) => p.sender === 'b' || p.sender === 'c')).toBe(false);
    expect(skew.filter((p) => p.sender === 'd').length / skew.length).toBeGreaterThan(0.7);
  });

  it('rejects impossible options', () => {
    expect(() => generateTrace({ ...base, nodes: ['a'] })).toThrow('need at least 2 nodes, got 1');
    expect(() => generateTrace({ ...base, ratePerSec: 0 })).toThrow('ratePerSec must be > 0, got 0');
    expect(() => generateTrace({ ...base, amount: { kind: 'uniform', minMsat: 9n, maxMsat: 1n } })).toThrow('uniform amounts need 1 ≤ min ≤ max, got [9, 1]');
  });
});
