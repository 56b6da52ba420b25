import { mkdtempSync, rmSync } from 'node:fs';
import { writeSmallDoubleSpend } from '../fixtures/double-spend.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.ts';
import { humanDuration, humanNumber } from '../../sim/format.ts';

// Issue 14, item 8: what `medsim run` prints is for people — times in ms / s / h, rounded
// numbers, the scenario's description, the headline outcomes first, what stopped the run, and a
// violation block as compact as `medsim check`'s.

const dir = mkdtempSync(join(tmpdir(), 'medsim-runtext-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const file = join(dir, 'ds.yaml');
writeSmallDoubleSpend(file, { name: 'text-ds', description: 'Double spend on a small LAN', seed: 3, hashShare: 0.49, confirmations: 1, confirmedDepth: 1000 });

describe('human units', () => {
  it('formats durations and numbers for people', () => {
    expect(humanDuration(850)).toBe('850 µs');
    expect(humanDuration(12_345)).toBe('12.3 ms');
    expect(humanDuration(3_232_992_642)).toBe('53.9 min');
    expect(humanDuration(45_299_298_218)).toBe('12.6 h');
    expect(humanDuration(20 * 86_400e6)).toBe('20 d');
    expect(humanNumber(0.00030931094213)).toBe('0.000309');
    expect(humanNumber(1234567)).toBe('1,234,567');
  });
});

describe('medsim run, readable output', () => {
  it('states the double spend’s outcome, the reverted confirmations and when, and what stopped the run', async () => {
    // Seeds 1 … 8: find a success and an undecided run stopped by the checker.
    let success = '';
    for (let seed = 1; seed <= 8 && !success; seed++) {
      out = '';
      await main(['run', file, '--seed', String(seed), '--no-write']);
      if (/double-spend outcome\s+success/.test(out)) success = out;
    }
    expect(success, 'no successful double spend in seeds 1–8').not.toBe('');
    expect(success).toContain('scenario    text-ds — Double spend on a small LAN');
    expect(success).toMatch(/confirmations reverted\s+\d+ confirmations/);
    expect(success).toMatch(/what happened\n\s+1 s\s+payment broadcast/);
    expect(success).toMatch(/\n\s+[\d.]+ (s|min|h)\s+double spend succeeds: \d+ confirmations reversed/);
    expect(success).toMatch(/stopped\s+the protocol ended the run at [\d.]+ (s|min|h)/);
    expect(success).not.toMatch(/stopped: stopped|\{\}|\d{7,}us|\d{7,} ?µs/); // no raw µs, no empty objects
    expect(success).not.toMatch(/\d\.\d{7,}/); // floats rounded

    out = '';
    err = '';
    expect(await main(['run', file, '--seed', '2', '--set', 'protocol.checks.confirmedDepth=1', '--no-write'])).toBe(1);
    expect(out).toMatch(/double-spend outcome\s+undecided — invariant confirmed-not-reversed stopped the run first/);
    expect(out).toMatch(/stopped\s+invariant confirmed-not-reversed \(safety\) fired at/);
    const block = err.trim().split('\n');
    expect(block[0]).toMatch(/^VIOLATION \(safety\) confirmed-not-reversed at [\d.]+ (s|min|h)/);
    expect(block.length).toBeLessThanOrEqual(2 + 1 + 16 + 1); // header, message, caption, ≤ 16 events, replay
    expect(block.at(-1)).toMatch(/^ {2}replay: npx medsim run .* --seed 2 --set protocol\.checks\.confirmedDepth=1$/);
  });
});
