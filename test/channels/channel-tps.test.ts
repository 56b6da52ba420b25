import { describe, expect, it } from 'vitest';
import { channelTpsScenario, offeredLoad } from '../../analysis/reproduce/channel-tps.ts';
import { PROTOCOLS } from '../../protocols/registry.ts';
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';

describe('reproduce channel-tps: virtual points', () => {
  it('offers about twice the expected capacity, capped at 20,000/s', () => {
    expect(offeredLoad(10, 1)).toBe(90);
    expect(offeredLoad(10, 30)).toBe(900);
    expect(offeredLoad(1, 120)).toBe(9000);
    expect(offeredLoad(0.1, 30)).toBe(20_000);
  });

  it('a saturated channel completes more payments with more in flight and fewer with a longer round trip', () => {
    const run = (rttMs: number, inFlight: number) => {
      const s = channelTpsScenario({ rttMs, inFlight, seed: 1, measureS: 2 }) as Scenario;
      const p = runScenario(s, PROTOCOLS, 1).protocol as { succeeded: number; failures: Record<string, number> };
      expect(p.failures['htlc-slots-full']).toBeGreaterThan(0); // saturated: the rate is the capacity
      return p.succeeded / 2;
    };
    const lan1 = run(10, 1);
    const lan16 = run(10, 16);
    const wan16 = run(100, 16);
    expect(lan16).toBeGreaterThan(3 * lan1);
    expect(wan16).toBeLessThan(lan16 / 5);
    // One payment in flight: each payment waits for its add and fulfil round trips (≥ 2 RTT).
    expect(lan1).toBeLessThan(1000 / (2 * 10));
  });
});
