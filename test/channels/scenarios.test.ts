/**
 * The scenario outcomes docs/channels.md quotes (seed 1), so the table cannot drift from the code.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { protocolSchemas, PROTOCOLS } from '../../protocols/registry.ts';
import { runScenario } from '../../sim/runner.ts';
import { loadScenario } from '../../sim/scenario/load.ts';

const ROOT = join(import.meta.dirname, '../..');

function run(file: string, overrides: Record<string, unknown> = {}) {
  const { scenario } = loadScenario(join(ROOT, 'scenarios', file), { registry: protocolSchemas(), overrides });
  const r = runScenario(scenario as any, PROTOCOLS, (scenario as any).seed);
  expect(r.result.violation).toBeUndefined();
  return r.protocol as any;
}

describe('docs/channels.md scenario table', () => {
  it('channels.yaml: every payment settles, fees paid = fees earned, cooperative closes', () => {
    const p = run('channels.yaml');
    expect([p.payments, p.succeeded]).toEqual([56, 56]);
    expect(p.attemptsMean).toBeCloseTo(1.02, 2);
    expect(p.routeLengthMean).toBeCloseTo(1.79, 2);
    expect(p.latencyMsMedian).toBeCloseTo(4.95, 2);
    expect(Math.round(p.feesMsatMean)).toBe(825);
    expect(p.feesMsatTotal).toBe(46_224);
    expect(Object.values(p.feesEarnedMsat as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(46_224);
    expect(p.channelStatus).toEqual({ cooperative: 10 });
  }, 60_000);

  it('revoked state: stolen without a tower, punished with one', () => {
    expect(run('channels-revoked.yaml')).toMatchObject({ theft: 'stolen', attackedChannel: { published: 0 } });
    expect(run('channels-revoked-watched.yaml')).toMatchObject({ theft: 'punished', towerDisputes: 1, attackedChannel: { paidA: '10000000', paidB: '0' } });
  });

  it('jamming fills HTLC slots; without the attack every payment settles', () => {
    const p = run('channels-jamming.yaml');
    expect([p.payments, p.succeeded, p.failures]).toEqual([43, 20, { 'htlc-slots-full': 23 }]);
    const q = run('channels-jamming.yaml', { 'protocol.adversaries': [] });
    expect([q.payments, q.succeeded]).toEqual([43, 43]);
  }, 30_000);

  it('griefing and an offline intermediary: some payments time out, stuck channels settle on chain', () => {
    expect(run('channels-griefing.yaml')).toMatchObject({ payments: 56, succeeded: 53, failures: { timeout: 3 }, forceCloses: 2, channelStatus: { open: 4, settled: 2 } });
    expect(run('channels-offline.yaml')).toMatchObject({ payments: 56, succeeded: 54, failures: { timeout: 2 }, forceCloses: 2, channelStatus: { open: 4, settled: 2 } });
  }, 30_000);

  it('hospitals (hub-and-spoke): clinics pay through the hospitals, which alone earn fees', () => {
    const p = run('channels-hospitals.yaml');
    expect([p.payments, p.succeeded, p.failures]).toEqual([159, 138, { 'no-path': 11, 'insufficient-balance': 10 }]);
    expect(Object.keys(p.feesEarnedMsat).sort()).toEqual(['1', '2', '3']); // the three hubs are parties 0–2 (nodes 1–3)
  }, 30_000);

  it('forger: the honest hop refuses the unfunded update', () => {
    expect(run('channels-forger.yaml')).toMatchObject({ malformed: 1, updates: 0 });
  });

  it('one channel on a LAN at 1,000 payments/s: batched updates keep up, one operation per update queues (0.5 s of load)', () => {
    const set = (b: number) => ({ 'protocol.timing.maxOpsPerUpdate': b, 'protocol.payments.stop': '5.5s', duration: '11s' });
    const batched = run('channels-single.yaml', set(16));
    expect(batched.successRate).toBe(1);
    expect(batched.payments).toBeGreaterThan(400);
    expect(batched.latencyMsMedian).toBeLessThan(20);
    const single = run('channels-single.yaml', set(1));
    expect(single.latencyMsMedian).toBeGreaterThan(10 * batched.latencyMsMedian);
  }, 60_000);
});
