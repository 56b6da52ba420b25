/**
 * The contract-gas figure's claims: every operation the issue lists is measured on both engines,
 * the meter is never above the EVM, and the table in docs/ringchain-contracts.md is what a fresh
 * run measures (both columns are deterministic: same compiler output, same EVM, same meter).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureContractGas } from '../../analysis/reproduce/contract-gas.ts';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'ringchain-contracts.md');

function docTable(): string[][] {
  const text = readFileSync(DOC, 'utf8');
  const body = text.split('<!-- contract-gas table: start -->')[1].split('<!-- contract-gas table: end -->')[0];
  return body
    .trim()
    .split('\n')
    .slice(2)
    .map((line) => line.split('|').slice(1, -1).map((c) => c.trim()));
}

describe('medsim reproduce contract-gas', () => {
  it('measures every operation on both engines and matches the documented table', async () => {
    const rows = await measureContractGas();
    const ops = rows.map((r) => r.operation);
    for (const needed of ['deploy RC', 'deploy MRC', 'deploy ALC', 'subjoin', 'warrant', 'unwarrant', 'query', 'getData (1 entry)', 'getData (10 entries)', 'getData (100 entries)']) {
      expect(ops.some((o) => o.startsWith(needed)), needed).toBe(true);
    }
    for (const r of rows) {
      expect(r.tsGas, r.operation).toBeLessThanOrEqual(r.evmGas);
      expect(r.difference).toBe(r.evmGas - r.tsGas);
    }
    expect(docTable()).toEqual(rows.map((r) => [r.operation, String(r.evmGas), String(r.tsGas), String(r.difference), String(r.tsOverEvm)]));
  }, 120_000);
});
