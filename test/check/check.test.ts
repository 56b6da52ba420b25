import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSuites, runChecks } from '../../analysis/check/check.ts';
import { applyFaultDraws } from '../../analysis/check/draws.ts';
import { scenarioSize, shrinkFailure } from '../../analysis/check/shrink.ts';
import { loadSuite } from '../../analysis/check/suite.ts';
import { checkScenario, runCheck } from '../../analysis/check/trial.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const LIVENESS_FIXTURE = join(ROOT, 'test/fixtures/safety/liveness-stall.yaml');
const out = () => mkdtempSync(join(tmpdir(), 'medsim-check-'));

function medsim(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/medsim.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('fault draws', () => {
  it('are a function of the seed: same seed same mix, other seeds other mixes', () => {
    const suite = loadSuite(join(ROOT, 'scenarios/safety/pbft-byzantine.yaml'));
    const a = checkScenario(suite, 10).drawn;
    const b = checkScenario(suite, 10).drawn;
    expect(a).toEqual(b);
    const mixes = new Set(Array.from({ length: 12 }, (_, i) => JSON.stringify(checkScenario(suite, 100 + i).drawn)));
    expect(mixes.size).toBeGreaterThan(8);
  });

  it('respect f for the drawn committee and keep partitions well-formed', () => {
    const suite = loadSuite(join(ROOT, 'scenarios/safety/pbft-byzantine.yaml'));
    for (let seed = 0; seed < 30; seed++) {
      const { scenario } = checkScenario(suite, seed);
      const p = scenario.protocol as unknown as { committee: number; adversaries: { count: number }[] };
      expect(p.adversaries[0].count).toBe(Math.floor((p.committee - 1) / 3));
      for (const part of scenario.network.partitions) expect(part.end).toBeGreaterThan(part.start);
    }
  });

  it('bounds may name scenario paths', () => {
    const raw: Record<string, unknown> = { network: { nodes: 10 }, protocol: { committee: 7 } };
    applyFaultDraws(raw, [{ path: 'protocol.clients', int: [1, 'protocol.committee'] }], 3);
    const c = (raw.protocol as { clients: number }).clients;
    expect(c).toBeGreaterThanOrEqual(1);
    expect(c).toBeLessThanOrEqual(7);
  });
});

describe('honest suites pass on fixed seeds', () => {
  for (const file of listSuites()) {
    const suite = loadSuite(file);
    if (suite.expect !== 'safe') continue;
    it(`${suite.suite}`, async () => {
      const r = await runChecks({ suites: [file], seeds: 2, seed: 1, workers: 0, out: join(out(), 'run') });
      expect(r.suites[0].seeds).toBe(2);
      expect(r.suites[0].firstFailure).toBeNull();
      expect(r.exitCode).toBe(0);
    });
  }
});

describe('every mutant is caught', () => {
  const mutants = new Map<string, string>(); // mutant → a suite declaring it
  // The last suite declaring a mutant is the one tested (suites are sorted by name, so the
  // crash-recover suite, where forget-prepared bites most often, wins over the Byzantine one).
  for (const file of listSuites()) for (const m of Object.keys(loadSuite(file).mutants)) mutants.set(m, file);
  it('there are mutants for PBFT commit quorum and view change, and PoW fork choice', () => {
    expect([...mutants.keys()]).toEqual(expect.arrayContaining(['commit-quorum-2f', 'forget-prepared', 'pow-height']));
  });
  for (const [mutant, file] of mutants) {
    it(`${mutant}`, async () => {
      const r = await runChecks({ suites: [file], mutant, seeds: 6, seed: 1, workers: 0, out: join(out(), 'run') });
      const caught = r.suites.filter((s) => s.failed > 0);
      expect(caught.length).toBeGreaterThan(0);
      expect(r.exitCode).toBe(1);
      const f = caught[0].firstFailure!;
      // Caught by an invariant checker, not by the protocol code crashing.
      expect(f.kind, f.message ?? '').toBe('safety');
      expect(f.replay).toContain(`--mutant ${mutant}`);
      expect(f.history!.length).toBeGreaterThan(0);
    });
  }
});

describe('replay and exit codes', () => {
  it('replaying a seed gives the identical trace hash, in process and through the CLI', () => {
    const suite = loadSuite(join(ROOT, 'scenarios/safety/pbft-byzantine.yaml'));
    const a = runCheck(suite, 42);
    const b = runCheck(suite, 42);
    expect(a.traceHash).toBe(b.traceHash);
    const cli = medsim('check', 'pbft-byzantine', '--seed', '42', '--workers', '0', '--json', '--out', join(out(), 'cli'));
    expect(cli.code).toBe(0);
    const j = JSON.parse(cli.stdout);
    expect(j.suites[0].traceHash).toBe(a.traceHash);
    expect(j).toHaveProperty('mutant', null);
    expect(j.suites[0]).toMatchObject({ name: 'pbft-byzantine', seeds: 1, passed: 1, failed: 0, liveness: 0, firstFailure: null });
  });

  it('a safety violation exits 1 and prints suite, seed, invariant, events and the replay command', () => {
    const r = medsim('check', 'pbft-byzantine', '--mutant', 'commit-quorum-2f', '--seeds', '2', '--seed', '5', '--workers', '0', '--out', join(out(), 'cli'));
    expect(r.code).toBe(1);
    // A caught mutant is what this run is for, so it is labelled EXPECTED (exit code still 1).
    expect(r.stdout).toMatch(/EXPECTED suite pbft-byzantine, seed \d+: safety violation of "agreement"/);
    expect(r.stdout).toContain('events leading up to it');
    expect(r.stdout).toMatch(/replay: npx medsim check pbft-byzantine --seed \d+ --mutant commit-quorum-2f/);
  });

  it('a suite that expects a violation and finds one passes (exit 0)', async () => {
    const r = await runChecks({ suites: ['dpos-cartel-above'], seeds: 1, seed: 1, workers: 0, out: join(out(), 'run') });
    expect(r.suites[0]).toMatchObject({ expect: 'violation', failed: 1, ok: true });
    expect(r.exitCode).toBe(0);
  });

  it('a liveness failure exits 3', () => {
    const r = medsim('check', LIVENESS_FIXTURE, '--seeds', '1', '--seed', '1', '--workers', '0', '--json', '--out', join(out(), 'cli'));
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.suites[0]).toMatchObject({ failed: 0, liveness: 1 });
    expect(j.suites[0].firstFailure.invariant).toBe('liveness');
  });

  it('an unknown suite or mutant is bad usage (exit 2)', () => {
    expect(medsim('check', 'no-such-suite').code).toBe(2);
    expect(medsim('check', '--mutant', 'no-such-mutant').code).toBe(2);
    expect(medsim('check', '--seeds', 'many').code).toBe(2);
  });
});

describe('shrinking', () => {
  it('the shrunk scenario still fails and is smaller than the original', async () => {
    const suite = loadSuite(join(ROOT, 'scenarios/safety/pbft-crash-recover.yaml'));
    const r = await runChecks({ suites: [suite.file], mutant: 'forget-prepared', seeds: 8, seed: 1, workers: 0, out: join(out(), 'run') });
    const first = r.suites[0].firstFailure;
    expect(first).not.toBeNull();
    const failure = runCheck(suite, first!.seed, 'forget-prepared');
    expect(failure.status).toBe('safety');
    const shrunk = shrinkFailure(suite, failure, { maxRuns: 30 });
    expect(shrunk.sizeAfter).toBeLessThan(shrunk.sizeBefore);
    expect(scenarioSize(shrunk.scenario)).toBe(shrunk.sizeAfter);
    expect(shrunk.outcome.status).toBe('safety');
    // The YAML is a plain scenario: `medsim run` accepts it and finds the violation again.
    const dir = out();
    const file = join(dir, 'shrunk.yaml');
    (await import('node:fs')).writeFileSync(file, shrunk.yaml);
    const run = medsim('run', file, '--no-write', '--json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).violation.kind).toBe('safety');
  });
});
