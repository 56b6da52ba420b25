import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSuites, mutantVerdict, runChecks, suiteVerdict, type SeedResult } from '../../analysis/check/check.ts';
import { applyFaultDraws } from '../../analysis/check/draws.ts';
import { scenarioSize, shrinkFailure } from '../../analysis/check/shrink.ts';
import { loadSuite } from '../../analysis/check/suite.ts';
import { checkScenario, runCheck } from '../../analysis/check/trial.ts';
import { PROTOCOLS } from '../../protocols/registry.ts';
import { declaredMutants } from '../../sim/protocol.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/safety');
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

  it("a mutant's control builds the very scenario of its mutant run (same draws, same pins)", () => {
    const suite = loadSuite(join(ROOT, 'scenarios/safety/pbft-twins.yaml'));
    const a = checkScenario(suite, 5, 'commit-quorum-2f');
    expect(a.raw).toEqual(checkScenario(suite, 5, 'commit-quorum-2f').raw);
    expect((a.scenario.protocol as any).committee).toBe(4);
    const mutant = runCheck(suite, 5, 'commit-quorum-2f');
    const control = runCheck(suite, 5, 'commit-quorum-2f', { control: true });
    expect(control.control).toBe(true);
    expect(control.drawn).toEqual(mutant.drawn);
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

/** The mutant table of docs/check.md, between its markers. */
function docsMutantTable(): { mutant: string; suite: string; invariant: string; firstCatch: number }[] {
  const md = readFileSync(join(ROOT, 'docs/check.md'), 'utf8');
  const body = md.slice(md.indexOf('<!-- mutant-table -->'), md.indexOf('<!-- /mutant-table -->'));
  return body
    .split('\n')
    .filter((l) => /^\| `[a-z0-9-]+` \|/.test(l))
    .map((l) => {
      const cells = l.split('|').slice(1, -1).map((c) => c.trim());
      return { mutant: cells[0].replace(/`/g, ''), suite: cells[2].replace(/`/g, ''), invariant: cells[3].replace(/`/g, ''), firstCatch: Number(/#(\d+)/.exec(cells[4])?.[1]) };
    });
}

describe('every mutant is caught by its named invariant, and its control passes (the docs/check.md table)', () => {
  const table = docsMutantTable();
  const listed = listSuites().flatMap((f) => Object.keys(loadSuite(f).mutants).map((m) => ({ mutant: m, suite: loadSuite(f).suite })));

  it('the table lists every (suite, mutant) pair the suites declare, and every declared mutant is in a suite', () => {
    expect(table.map((r) => `${r.suite}/${r.mutant}`).sort()).toEqual(listed.map((r) => `${r.suite}/${r.mutant}`).sort());
    const declared = declaredMutants(PROTOCOLS).map((d) => d.name);
    for (const name of declared) expect(listed.map((l) => l.mutant), `${name} is declared by a protocol but no suite lists it`).toContain(name);
    for (const row of table) expect(declared).toContain(row.mutant);
    expect(table.map((r) => r.mutant)).toEqual(expect.arrayContaining(['commit-quorum-2f', 'forget-prepared', 'skip-request-auth', 'execute-out-of-order', 'rollback-on-new-view', 'pow-height']));
  });

  for (const row of table) {
    it(`${row.mutant} in ${row.suite}: first caught at seed #${row.firstCatch} by ${row.invariant}, control passes`, async () => {
      const r = await runChecks({ suites: [row.suite], mutant: row.mutant, seeds: row.firstCatch, seed: 1, workers: 0, out: join(out(), 'run') });
      expect(r.exitCode).toBe(0);
      const s = r.suites[0];
      expect(s.ok, s.reason ?? '').toBe(true);
      expect(s.mutant!.invariant).toBe(row.invariant);
      expect(s.mutant!.firstCatch!.seedsToCatch).toBe(row.firstCatch);
      expect(s.mutant!.firstCatch!.kind).toBe('safety');
      expect(s.mutant!.firstCatch!.invariants).toContain(row.invariant);
      expect(s.mutant!.firstCatch!.replay).toContain(`--mutant ${row.mutant}`);
      expect(s.mutant!.firstCatch!.history!.length).toBeGreaterThan(0);
      expect(s.control).toMatchObject({ seeds: row.firstCatch, passed: row.firstCatch, failed: 0, liveness: 0, crashed: 0, errors: 0 });
    });
  }
});

describe('verdicts: only a declared safety violation is a catch, and only with a passing control', () => {
  const suite = loadSuite(join(ROOT, 'scenarios/safety/pbft-twins.yaml'));
  const info = { protocol: 'pbft', invariant: 'no-revert', description: 'rollback' };
  const seed = (n: number, status: SeedResult['status'], invariants: string[] = []): SeedResult => ({
    suite: suite.suite, seed: n, mutant: 'rollback-on-new-view', control: false, status, invariant: invariants[0] ?? null, invariants, message: null, traceHash: '', events: 0, simTimeUs: 0, drawn: {},
  });
  const passing = [seed(1, 'pass'), seed(2, 'pass')];

  it('a mutant caught by its own invariant with a passing control is proven', () => {
    const v = mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'pass'), seed(2, 'safety', ['agreement', 'no-revert'])], passing);
    expect(v).toMatchObject({ ok: true, expect: 'caught', failed: 1, control: { seeds: 2, passed: 2, failed: 0, liveness: 0 } });
    expect(v.mutant).toMatchObject({ caught: 1, caughtByName: 1, firstCatch: { seed: 2, seedsToCatch: 2, invariants: ['agreement', 'no-revert'] } });
  });

  it('a failing control refutes the catch (finding 1)', () => {
    const v = mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'safety', ['no-revert'])], [seed(1, 'safety', ['agreement'])]);
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/control failed/);
    expect(mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'safety', ['no-revert'])], [seed(1, 'liveness', ['liveness'])]).ok).toBe(false);
  });

  it('a catch by another invariant only is not the mutant caught by its own (finding 2)', () => {
    const v = mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'safety', ['agreement'])], [seed(1, 'pass')]);
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/never by "no-revert"/);
  });

  it('crashes, liveness failures, harness errors and undeclared invariants are never catches (finding 4)', () => {
    const control = [seed(1, 'pass')];
    expect(mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'crash', ['no-exception'])], control)).toMatchObject({ ok: false, crashed: 1, failed: 0 });
    expect(mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'liveness', ['liveness'])], control)).toMatchObject({ ok: false, liveness: 1 });
    expect(mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'error')], control)).toMatchObject({ ok: false, errors: 1 });
    expect(mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'safety', ['some-other-invariant'])], control).mutant!.caught).toBe(0);
    // A crash on one seed spoils a catch on another: a crash is its own outcome.
    expect(mutantVerdict(suite, 'rollback-on-new-view', info, 1, [seed(1, 'safety', ['no-revert']), seed(2, 'crash', ['no-exception'])], passing).ok).toBe(false);
  });

  it('expect: violation suites need a declared safety violation; crashes and liveness do not do', () => {
    const above = loadSuite(join(ROOT, 'scenarios/safety/dpos-cartel-above.yaml')); // invariants: [agreement]
    expect(suiteVerdict(above, [seed(1, 'safety', ['agreement'])]).ok).toBe(true);
    expect(suiteVerdict(above, [seed(1, 'liveness', ['liveness'])]).ok).toBe(false);
    expect(suiteVerdict(above, [seed(1, 'crash', ['no-exception'])]).ok).toBe(false);
    expect(suiteVerdict(above, [seed(1, 'safety', ['committee-matches-tally'])]).ok).toBe(false);
    expect(suiteVerdict(above, [seed(1, 'safety', ['agreement']), seed(2, 'crash', ['no-exception'])]).ok).toBe(false);
  });

  it('safe suites fail on any safety violation (declared or not), crash or error, and report crashes apart', () => {
    const v = suiteVerdict(suite, [seed(1, 'crash', ['no-exception']), seed(2, 'pass')]);
    expect(v).toMatchObject({ ok: false, failed: 0, crashed: 1, firstFailure: { kind: 'crash' } });
    expect(suiteVerdict(suite, [seed(1, 'safety', ['undeclared'])]).ok).toBe(false);
    expect(suiteVerdict(suite, [seed(1, 'error')])).toMatchObject({ ok: false, errors: 1 });
  });
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
    expect(j.suites[0]).toMatchObject({ name: 'pbft-byzantine', seeds: 1, passed: 1, failed: 0, liveness: 0, crashed: 0, errors: 0, firstFailure: null, status: 'pass' });
  });

  it('--mutant runs the control beside the mutant: JSON, human output and exit 0 when proven', () => {
    const r = medsim('check', 'pbft-byzantine', '--mutant', 'skip-request-auth', '--seeds', '1', '--seed', '5', '--workers', '0', '--json', '--out', join(out(), 'cli'));
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).suites[0];
    expect(s.control).toMatchObject({ seeds: 1, passed: 1, failed: 0, liveness: 0 });
    expect(s.mutant).toMatchObject({ name: 'skip-request-auth', invariant: 'validity', caughtByName: 1, firstCatch: { seed: 5, invariant: 'validity' } });
    const h = medsim('check', 'pbft-byzantine', '--mutant', 'skip-request-auth', '--seeds', '1', '--seed', '5', '--workers', '0', '--out', join(out(), 'cli'));
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/pbft-byzantine \/ skip-request-auth: caught by "validity" on 1 of 1 seeds.*control 1\/1 passed\s+PROVEN/);
    expect(h.stdout).toMatch(/CAUGHT\s+suite pbft-byzantine, mutant skip-request-auth .*seed 5: safety violation of "validity"/);
    expect(h.stdout).toContain('events leading up to it');
    expect(h.stdout).toMatch(/replay: npx medsim check pbft-byzantine --seed 5 --mutant skip-request-auth/);
  });

  it('a mutant whose setting breaks the honest protocol too is not proven (exit 1)', () => {
    const r = medsim('check', join(FIXTURES, 'mutant-needs-no-mutant.yaml'), '--mutant', 'commit-quorum-2f', '--seeds', '1', '--seed', '1', '--workers', '0', '--json', '--out', join(out(), 'cli'));
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout).suites[0];
    expect(s.failed).toBe(1); // the mutant "fails" …
    expect(s.control).toMatchObject({ seeds: 1, failed: 1 }); // … and so does the honest protocol
    expect(s).toMatchObject({ ok: false });
    expect(s.reason).toMatch(/control failed/);
  });

  it('a suite that expects a violation and finds one passes (exit 0)', async () => {
    const r = await runChecks({ suites: ['dpos-cartel-above'], seeds: 1, seed: 1, workers: 0, out: join(out(), 'run') });
    expect(r.suites[0]).toMatchObject({ expect: 'violation', failed: 1, ok: true });
    expect(r.exitCode).toBe(0);
  });

  it('a liveness failure exits 3', () => {
    const r = medsim('check', join(FIXTURES, 'liveness-stall.yaml'), '--seeds', '1', '--seed', '1', '--workers', '0', '--json', '--out', join(out(), 'cli'));
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.suites[0]).toMatchObject({ failed: 0, liveness: 1 });
    expect(j.suites[0].firstFailure.invariant).toBe('liveness');
  });

  it('a seed the harness cannot run is an error of the harness: exit 2, not a crash or a pass; the determinism self-test calls it a mismatch', () => {
    const r = medsim('check', join(FIXTURES, 'harness-error.yaml'), '--seeds', '1', '--seed', '1', '--workers', '0', '--json', '--out', join(out(), 'cli'));
    expect(r.code).toBe(2);
    const s = JSON.parse(r.stdout).suites[0];
    expect(s).toMatchObject({ errors: 1, crashed: 0, passed: 0, ok: false, status: 'error', firstFailure: { kind: 'error' } });
    const d = medsim('check', join(FIXTURES, 'harness-error.yaml'), '--determinism', '--samples', '1', '--seed', '1', '--json');
    expect(d.code).toBe(1);
    const c = JSON.parse(d.stdout).determinism.checked[0];
    expect(c.same).toBe(false);
    expect(c.problem).toMatch(/could not run/);
  });

  it('an unknown suite or mutant, a mutant the protocol does not declare or not named after a suite invariant: bad usage (exit 2)', () => {
    expect(medsim('check', 'no-such-suite').code).toBe(2);
    expect(medsim('check', '--mutant', 'no-such-mutant').code).toBe(2);
    expect(medsim('check', '--seeds', 'many').code).toBe(2);
    const undeclared = medsim('check', join(FIXTURES, 'undeclared-mutant.yaml'), '--mutant', 'pow-height', '--seeds', '1');
    expect(undeclared.code).toBe(2);
    expect(undeclared.stderr).toMatch(/protocol "pbft" declares no such mutant/);
    const notNamed = medsim('check', join(FIXTURES, 'mutant-invariant-undeclared.yaml'), '--mutant', 'skip-request-auth', '--seeds', '1');
    expect(notNamed.code).toBe(2);
    expect(notNamed.stderr).toMatch(/named after "validity", which is not among the suite's invariants/);
  });
});

describe('shrinking', () => {
  it("the shrunk scenario still fails with the mutant, still passes without it, and is smaller", async () => {
    const suite = loadSuite(join(ROOT, 'scenarios/safety/pbft-crash-recover.yaml'));
    const r = await runChecks({ suites: [suite.file], mutant: 'forget-prepared', seeds: 4, seed: 1, workers: 0, out: join(out(), 'run') });
    const first = r.suites[0].mutant!.firstCatch;
    expect(first).not.toBeNull();
    const failure = runCheck(suite, first!.seed, 'forget-prepared');
    expect(failure.status).toBe('safety');
    const shrunk = shrinkFailure(suite, failure, { maxRuns: 30 });
    expect(shrunk.sizeAfter).toBeLessThan(shrunk.sizeBefore);
    expect(scenarioSize(shrunk.scenario)).toBe(shrunk.sizeAfter);
    expect(shrunk.outcome.status).toBe('safety');
    expect(shrunk.replay).toBe('npx medsim run <file> --mutant forget-prepared');
    // The YAML is a plain scenario: `medsim run --mutant` finds the violation again, and
    // `medsim run` without the mutant passes it.
    const file = join(out(), 'shrunk.yaml');
    writeFileSync(file, shrunk.yaml);
    const run = medsim('run', file, '--no-write', '--json', '--mutant', 'forget-prepared');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).violation.kind).toBe('safety');
    expect(medsim('run', file, '--no-write', '--json').code).toBe(0);
  });
});
