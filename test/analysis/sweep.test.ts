import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerAnalysisCommands } from '../../analysis/commands.ts';
import { aggregateHash, mergeSweeps, parseShard, readRecords, runSweep, runSweepSpec, shardTrials, SweepUsageError, trialSeed, type SweepSpec } from '../../analysis/sweep.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'medsim-sweep-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function spec(overrides: Partial<SweepSpec> = {}): SweepSpec {
  return {
    name: 'fixture',
    seed: 42,
    trials: 6,
    points: [1, 2, 5].map((mean, index) => ({ index, assignments: { mean }, params: { mean } })),
    trialModule: join(ROOT, 'test/analysis/fixtures/trial.ts'),
    trialOptions: null,
    ...overrides,
  };
}
const summaryOf = (dir: string) => readFileSync(join(dir, 'summary.json'), 'utf8');

describe('sweep engine', () => {
  let single: { hash: string; dir: string };

  it('gives the same aggregate for 1 and 2 workers (and in-thread)', async () => {
    const a = await runSweepSpec(spec(), { workers: 1, out: join(tmp, 'k1') });
    const b = await runSweepSpec(spec(), { workers: 2, out: join(tmp, 'k2') });
    const c = await runSweepSpec(spec(), { workers: 0, out: join(tmp, 'k0') });
    expect(a.complete && b.complete && c.complete).toBe(true);
    expect(a.trials).toBe(18);
    expect(b.aggregateHash).toBe(a.aggregateHash);
    expect(c.aggregateHash).toBe(a.aggregateHash);
    expect(summaryOf(b.resultsDir)).toBe(summaryOf(a.resultsDir));
    // The hash is over trial-ordered records, whatever order trials.jsonl holds them in.
    expect(aggregateHash(readRecords(b.resultsDir).values())).toBe(a.aggregateHash);
    single = { hash: a.aggregateHash, dir: a.resultsDir };
    const s = JSON.parse(summaryOf(a.resultsDir));
    expect(s.perPoint[0].summary.x.n).toBe(6);
    expect(s.perPoint[0].summary.hit).toMatchObject({ n: 6 });
  });

  it('seeds trial i of point p from (seed, p, i) only', () => {
    const recs = readRecords(single.dir);
    expect(recs.get(1 * 6 + 3)!.seed).toBe(trialSeed(42, 1, 3).seed);
    expect(trialSeed(42, 1, 3)).toEqual(trialSeed(42, 1, 3));
    expect(trialSeed(42, 1, 3).seed).not.toBe(trialSeed(43, 1, 3).seed);
  });

  it('3 shards merged give exactly the single-machine result', async () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('0/3')).toThrow(SweepUsageError);
    expect(() => parseShard('4/3')).toThrow(SweepUsageError);
    const all = [1, 2, 3].flatMap((k) => shardTrials(3, 6, { index: k, count: 3 }));
    expect(all.sort((x, y) => x - y)).toEqual([...Array(18).keys()]);
    const dirs: string[] = [];
    for (const k of [3, 1, 2]) {
      const o = await runSweepSpec(spec(), { workers: k === 2 ? 2 : 0, shard: { index: k, count: 3 }, out: join(tmp, `shard${k}`) });
      expect(o.trials).toBe(6);
      expect(o.complete).toBe(true);
      dirs.push(o.resultsDir);
    }
    const m = await mergeSweeps(dirs, { out: join(tmp, 'merged') });
    expect(m.aggregateHash).toBe(single.hash);
    expect(m.trials).toBe(18);
    expect(summaryOf(m.resultsDir)).toBe(summaryOf(single.dir));
    expect(readFileSync(join(m.resultsDir, 'points.csv'), 'utf8')).toBe(readFileSync(join(single.dir, 'points.csv'), 'utf8'));
    // Refusals: a missing shard, a duplicate, a shard of another seed, an existing output.
    await expect(mergeSweeps(dirs.slice(0, 2), { out: join(tmp, 'm2') })).rejects.toThrow(/missing shard/);
    await expect(mergeSweeps([dirs[0], dirs[0], dirs[1]], { out: join(tmp, 'm3') })).rejects.toThrow(/given twice/);
    const other = await runSweepSpec(spec({ seed: 7 }), { workers: 0, shard: { index: 1, count: 3 }, out: join(tmp, 'other-seed') });
    await expect(mergeSweeps([other.resultsDir, dirs[0], dirs[2]], { out: join(tmp, 'm4') })).rejects.toThrow(/different sweep.*seed/);
    const otherTrials = await runSweepSpec(spec({ trials: 5 }), { workers: 0, shard: { index: 1, count: 3 }, out: join(tmp, 'other-trials') });
    await expect(mergeSweeps([otherTrials.resultsDir, dirs[0], dirs[2]], { out: join(tmp, 'm5') })).rejects.toThrow(/trials per point/);
    await expect(mergeSweeps(dirs, { out: join(tmp, 'merged') })).rejects.toThrow(/already holds/);
  });

  it('resumes an interrupted sweep without redoing finished trials, with the same aggregate', async () => {
    const out = join(tmp, 'resume');
    const controller = new AbortController();
    const first = await runSweepSpec(spec(), {
      workers: 2,
      out,
      signal: controller.signal,
      onTrial: (done) => {
        if (done >= 5) controller.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    expect(first.complete).toBe(false);
    const kept = first.ran;
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThan(18);
    // A torn last line (power cut mid-write) is ignored.
    writeFileSync(join(out, 'trials.jsonl'), readFileSync(join(out, 'trials.jsonl'), 'utf8') + '{"p":2,"i":5,"se');
    await expect(runSweepSpec(spec(), { workers: 2, out })).rejects.toThrow(/--resume/);
    const second = await runSweepSpec(spec(), { workers: 2, out, resume: true });
    expect(second.resumed).toBe(kept);
    expect(second.ran).toBe(18 - kept);
    expect(second.complete).toBe(true);
    expect(second.aggregateHash).toBe(single.hash);
    expect(summaryOf(out)).toBe(summaryOf(single.dir));
    await expect(runSweepSpec(spec({ seed: 1 }), { workers: 0, out, resume: true })).rejects.toThrow(/different sweep/);
  });

  it('records a throwing trial with its seed; stops without keepGoing, runs everything with it', async () => {
    const failing = spec({ trialOptions: { failAt: [[1, 2]] } });
    const stop = await runSweepSpec(failing, { workers: 0, out: join(tmp, 'fail-stop') });
    expect(stop.failures).toHaveLength(1);
    expect(stop.failures[0]).toMatchObject({ p: 1, i: 2, seed: trialSeed(42, 1, 2).seed, ok: false, error: 'Error: boom at point 1 trial 2' });
    expect(stop.complete).toBe(false);
    const go = await runSweepSpec(failing, { workers: 2, out: join(tmp, 'fail-go'), keepGoing: true });
    expect(go.complete).toBe(true);
    expect(go.failures.map((f) => [f.p, f.i, f.seed])).toEqual([[1, 2, trialSeed(42, 1, 2).seed]]);
    const s = JSON.parse(summaryOf(go.resultsDir));
    expect(s.failures).toEqual([{ p: 1, i: 2, seed: trialSeed(42, 1, 2).seed, error: 'Error: boom at point 1 trial 2', replay: null }]);
    expect(s.perPoint[1]).toMatchObject({ n: 5, failures: 1 });
  });

  it('sweeps a scenario file (gossip) end to end', async () => {
    const file = join(tmp, 'sweep-gossip.yaml');
    writeFileSync(file, `name: sweep-gossip-test
seed: 5
duration: 2m
network:
  nodes: 30
  topology: { kind: random, degree: 4 }
protocol: { name: gossip, itemSize: 100kB, interval: 10s, items: 3 }
sweep:
  trials: 2
  parameters:
    - path: network.nodes
      values: [20, 40]
`);
    const a = await runSweep({ scenario: file, workers: 2, out: join(tmp, 'gossip-a') });
    const b = await runSweep({ scenario: file, workers: 0, out: join(tmp, 'gossip-b') });
    expect(a.points).toBe(2);
    expect(a.trials).toBe(4);
    expect(a.failures).toEqual([]);
    expect(b.aggregateHash).toBe(a.aggregateHash);
    const s = JSON.parse(summaryOf(a.resultsDir));
    expect(s.perPoint.map((p: { assignments: unknown }) => p.assignments)).toEqual([{ 'network.nodes': 20 }, { 'network.nodes': 40 }]);
    const manifest = JSON.parse(readFileSync(join(a.resultsDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ kind: 'sweep', seed: 5, trials: 2, points: 2, nodeVersion: process.version });
    expect(existsSync(join(a.resultsDir, 'trials.csv'))).toBe(true);
  });
});

describe('sweep CLI', () => {
  const cli = (args: string[], onStderr?: (s: string, kill: () => void) => void) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/analysis/fixtures/cli.ts'), ...args], { cwd: ROOT, env: { ...process.env, CI: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => {
        stderr += d;
        onStderr?.(stderr, () => child.kill('SIGINT'));
      });
      child.on('close', (code) => done({ code, stdout, stderr }));
    });

  it('--json prints exactly the documented object; bad usage exits 2', async () => {
    const file = join(tmp, 'cli-gossip.yaml');
    writeFileSync(file, `name: cli-gossip-test
seed: 3
duration: 1m
network: { nodes: 20, topology: { kind: random, degree: 4 } }
protocol: { name: gossip, itemSize: 10kB, interval: 10s, items: 2 }
sweep:
  parameters:
    - path: protocol.items
      values: [1, 2]
`);
    const r = await cli(['sweep', file, '--trials', '2', '--workers', '2', '--out', join(tmp, 'cli-out'), '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(Object.keys(o)).toEqual(['points', 'trials', 'workers', 'wallMs', 'aggregateHash', 'resultsDir', 'violations', 'violationsByInvariant', 'failed', 'replays']);
    expect(o).toMatchObject({ points: 2, trials: 4, workers: 2, violations: 0, violationsByInvariant: {}, failed: 0, replays: [] });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    // Bad usage, in-process (same commands, no extra process start-up).
    const inProcess = async (args: string[]) => {
      const program = new Command().name('medsim').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
      registerAnalysisCommands(program);
      const saved = process.exitCode;
      const write = process.stderr.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        await program.parseAsync(args, { from: 'user' });
        return process.exitCode;
      } catch (err) {
        return err instanceof CommanderError ? (err.exitCode === 0 ? 0 : 2) : 1;
      } finally {
        process.stderr.write = write;
        process.exitCode = saved;
      }
    };
    expect(await inProcess(['sweep', file, '--trials', 'x'])).toBe(2);
    expect(await inProcess(['sweep', file, '--shard', '5/3'])).toBe(2);
    expect(await inProcess(['sweep', join(tmp, 'nope.yaml')])).toBe(2);
    expect(await inProcess(['sweep', file, '--bogus'])).toBe(2);
    expect(await inProcess(['merge', join(tmp, 'cli-out'), join(tmp, 'cli-out'), '--json'])).toBe(2);
    expect(await inProcess(['reproduce', 'no-such-figure'])).toBe(2);
  });

  it('Ctrl-C keeps finished trials and exits 130; --resume completes with the same hash', async () => {
    const file = join(tmp, 'cli-sigint.yaml');
    writeFileSync(file, `name: cli-sigint-test
seed: 9
duration: 2m
network: { nodes: 40, topology: { kind: random, degree: 6 } }
protocol: { name: gossip, itemSize: 200kB, interval: 5s, items: 12 }
`);
    const out = join(tmp, 'cli-sigint');
    let sent = false;
    const interrupted = await new Promise<{ code: number | null }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/analysis/fixtures/cli.ts'), 'sweep', file, '--trials', '16', '--workers', '1', '--out', out], { cwd: ROOT, env: { ...process.env, CI: '1' } });
      const timer = setInterval(() => {
        const f = join(out, 'trials.jsonl');
        if (!sent && existsSync(f) && readFileSync(f, 'utf8').split('\n').filter(Boolean).length >= 2) {
          sent = true;
          child.kill('SIGINT');
        }
      }, 20);
      child.on('close', (code) => {
        clearInterval(timer);
        done({ code });
      });
    });
    expect(sent).toBe(true);
    expect(interrupted.code).toBe(130);
    const kept = readRecords(out).size;
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(16);
    const resumed = await cli(['sweep', file, '--trials', '16', '--workers', '2', '--out', out, '--resume', '--json']);
    expect(resumed.code).toBe(0);
    const fresh = await cli(['sweep', file, '--trials', '16', '--workers', '2', '--out', join(tmp, 'cli-sigint-fresh'), '--json']);
    expect(JSON.parse(resumed.stdout).aggregateHash).toBe(JSON.parse(fresh.stdout).aggregateHash);
  });
});
