import { describe, expect, it } from 'vitest';
import { benchRingchain } from '../../protocols/ringchain/bench.ts';

describe('medsim bench ringchain', () => {
  it('reports confirmed txs against the crypto limit measured in the same run (small configuration)', () => {
    const r = benchRingchain({ nodes: 12, blocks: 2, txsPerBlock: 10, ringSize: 4 });
    for (const k of ['nodes', 'txs', 'blocks', 'wallMs', 'txPerWallSec', 'cryptoLimitTxPerSec', 'ratio', 'rssMb']) expect(r).toHaveProperty(k);
    expect(r.nodes).toBe(12);
    expect(r.blocks).toBeGreaterThanOrEqual(2);
    expect(r.maxTxsPerBlock).toBeLessThanOrEqual(10);
    expect(r.txs).toBeGreaterThan(10);
    expect(r.signaturesVerified).toBeGreaterThanOrEqual(r.txs);
    expect(r.signed).toBeGreaterThanOrEqual(r.txs);
    expect(r.cryptoLimitTxPerSec).toBeCloseTo(1000 / (r.signMs + r.verifyMs), 1);
    expect(r.ratio).toBeCloseTo(r.txPerWallSec / r.cryptoLimitTxPerSec, 2);
  }, 60_000);
});
