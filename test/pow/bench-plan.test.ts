/**
 * `medsim bench pow` does what its help says (issue 16): both relay models at 1,000 nodes, and
 * with --scale at 10,000 nodes too, each `repetitions` times.
 */
import { describe, expect, it } from 'vitest';
import { formatPowBench, propagationPlan, SCALE_HELP, type PowBenchResult, type PropagationBench } from '../../protocols/pow/bench.ts';

describe('bench pow plan', () => {
  it('runs every relay model `repetitions` times, and --scale repeats the 10,000-node runs as its help says', () => {
    const count = (plan: ReturnType<typeof propagationPlan>, nodes: number, relay: string) => plan.filter((p) => p.nodes === nodes && p.relay === relay).length;
    const plain = propagationPlan({ repetitions: 3 });
    expect(count(plain, 1000, 'full')).toBe(3);
    expect(count(plain, 1000, 'compact')).toBe(3);
    expect(plain.some((p) => p.nodes === 10_000)).toBe(false);
    const scaled = propagationPlan({ repetitions: 2, scale: true });
    expect(count(scaled, 10_000, 'full')).toBe(2);
    expect(count(scaled, 10_000, 'compact')).toBe(2);
    expect(SCALE_HELP).toMatch(/each relay model as many times as --repetitions/);
  });

  it('prints both relay models side by side', () => {
    const p = (relay: 'full' | 'compact', t50Ms: number): PropagationBench => ({ relay, nodes: 1000, blocks: 100, wallMs: 900, rssMb: 160, t50Ms, t90Ms: 2 * t50Ms, staleRate: 0, events: 1_000_000, peakRssMb: 170 });
    const r: PowBenchResult = { propagation: p('full', 2340), propagationCompact: p('compact', 900), full: { nodes: 1000, blocks: 144, txs: 17_939, wallMs: 35_000, txPerWallSec: 515, rssMb: 293, peakRssMb: 307, signaturesVerified: 31_617, signatureCacheHits: 0 }, repetitions: 3 };
    const lines = formatPowBench(r).split('\n');
    expect(lines.find((l) => /1,000 nodes\s+full\s+2,340 ms\s+4,680 ms/.test(l))).toBeDefined();
    expect(lines.find((l) => /1,000 nodes\s+compact\s+900 ms\s+1,800 ms/.test(l))).toBeDefined();
  });
});
