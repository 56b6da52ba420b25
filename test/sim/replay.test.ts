import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeSmallDoubleSpend } from '../fixtures/double-spend.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.ts';
import { replayWithOverrides, shellQuote } from '../../sim/replay.ts';

// Every replay line `medsim run` prints or stores must reproduce the identical trace hash, also
// when the run used --set overrides (issue 14, item 1).

const dir = mkdtempSync(join(tmpdir(), 'medsim-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let stdout = '';
let stderr = '';
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

/** Runs `medsim …` in this process; returns the exit code and what it printed. */
async function medsim(args: string[]) {
  stdout = '';
  stderr = '';
  const code = await main(args);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

/** The arguments of a printed `npx medsim …` line (paths here need no shell quoting). */
function argsOf(command: string): string[] {
  expect(command.startsWith('npx medsim ')).toBe(true);
  return command.slice('npx medsim '.length).split(' ').map((w) => w.replace(/^'(.*)'$/, '$1'));
}

const scenario = join(dir, 'ds.yaml');
writeSmallDoubleSpend(scenario, { name: 'replay-ds', seed: 3, hashShare: 0.1, confirmations: 1, confirmedDepth: 1000 });
// Without the overrides this seed ends quietly; with them an honest node reverses a confirmed tx.
const sets = ['--set', 'protocol.attack.hashShare=0.49', '--set', 'protocol.checks.confirmedDepth=1'];

describe('faithful replays of medsim run', () => {
  it('the replay of a run with --set reproduces the violation and the trace hash (JSON, summary.json and text)', async () => {
    const out = join(dir, 'run');
    const first = await medsim(['run', scenario, '--seed', '11', ...sets, '--json', '--out', out]);
    expect(first.code).toBe(1);
    const j = JSON.parse(first.stdout);
    expect(j.violation.invariant).toBe('confirmed-not-reversed');
    const replay: string = j.violation.replay;
    expect(replay).toBe(`npx medsim run ${join(out, 'scenario.yaml')} --seed 11`);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).replay).toBe(replay);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.overrides).toEqual(['protocol.attack.hashShare=0.49', 'protocol.checks.confirmedDepth=1']);
    const yaml = readFileSync(join(out, 'scenario.yaml'), 'utf8');
    expect(yaml).toContain('hashShare: 0.49');
    expect(yaml).toContain('seed: 11');

    const again = await medsim([...argsOf(replay), '--json', '--no-write']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).traceHash).toBe(j.traceHash);
    expect(JSON.parse(again.stdout).violation.invariant).toBe('confirmed-not-reversed');

    // The original file without the overrides is a different run (what the old replay line did).
    const plain = await medsim(['run', scenario, '--seed', '11', '--json', '--no-write']);
    expect(JSON.parse(plain.stdout).traceHash).not.toBe(j.traceHash);

    // The readable output prints the same replay line; replaying into the run's own directory leaves its scenario.yaml alone.
    const text = await medsim([...argsOf(replay), '--out', out]);
    expect(text.stderr).toContain(`replay: ${replay}`);
    expect(readFileSync(join(out, 'scenario.yaml'), 'utf8')).toBe(yaml);
  });

  it('with --no-write the replay carries the file and every override', async () => {
    const r = await medsim(['run', scenario, '--seed', '11', ...sets, '--json', '--no-write']);
    const replay: string = JSON.parse(r.stdout).violation.replay;
    expect(replay).toBe(replayWithOverrides(scenario, 11, ['protocol.attack.hashShare=0.49', 'protocol.checks.confirmedDepth=1']));
    expect(replay).toContain('--set protocol.checks.confirmedDepth=1');
    const again = await medsim([...argsOf(replay), '--json', '--no-write']);
    expect(JSON.parse(again.stdout).traceHash).toBe(JSON.parse(r.stdout).traceHash);
    expect(existsSync(join(dir, 'results'))).toBe(false);
  });

  it('quotes words a shell would split', () => {
    expect(shellQuote('network.loss=0.01')).toBe('network.loss=0.01');
    expect(shellQuote('protocol.adversaries=[{kind: silent}]')).toBe(`'protocol.adversaries=[{kind: silent}]'`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
