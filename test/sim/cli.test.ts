import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Runs the CLI in a separate Node process, exactly as `npx medsim` does. */
function medsim(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/medsim.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'medsim-cli-'));

function scenarioFile(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const small = scenarioFile(
  'small.yaml',
  `name: small
seed: 3
duration: 2m
network:
  nodes: 30
  topology: { kind: random, degree: 4 }
  loss: 0.01
protocol:
  name: gossip
  itemSize: 100kB
  interval: 5s
  items: 5
`,
);

describe('medsim run', () => {
  it('--json prints one object with the documented fields, and writes the results directory', () => {
    const out = join(tmp, 'run-a');
    const r = medsim('run', small, '--seed', '11', '--json', '--out', out);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]);
    for (const k of ['scenario', 'seed', 'traceHash', 'events', 'simTimeUs', 'wallMs', 'metrics', 'resultsDir']) expect(j).toHaveProperty(k);
    expect(j.scenario).toBe('small');
    expect(j.seed).toBe(11);
    expect(j.traceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(j.events).toBeGreaterThan(100);
    expect(j.resultsDir).toBe(out);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'metrics.csv', 'scenario.yaml', 'summary.json', 'timeline.csv']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ scenario: 'small', seed: 11, nodeVersion: process.version });
    expect(manifest.packageVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.resolvedScenario.network.nodes).toBe(30);
    expect(readFileSync(join(out, 'metrics.csv'), 'utf8')).toContain('net.messages.delivered,counter');
  });

  it('is deterministic across processes: same seed same trace hash, other seed other hash', () => {
    const a = JSON.parse(medsim('run', small, '--seed', '5', '--json', '--no-write').stdout);
    const b = JSON.parse(medsim('run', small, '--seed', '5', '--json', '--no-write').stdout);
    const c = JSON.parse(medsim('run', small, '--seed', '6', '--json', '--no-write').stdout);
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.events).toBe(b.events);
    expect(a.metrics).toEqual(b.metrics);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('the readable summary names the trace hash and results folder', () => {
    const r = medsim('run', small, '--out', join(tmp, 'run-b'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/trace hash\s+[0-9a-f]{64}/);
    expect(r.stdout).toContain('run-b');
  });
});

describe('bad input', () => {
  it('a scenario error exits 2 with file, line and key path, and no stack trace', () => {
    const bad = scenarioFile('bad.yaml', 'name: bad\nduration: 1m\nnetwork:\n  nodes: 10\n  topology: { kind: random, degre: 3 }\nprotocol: { name: gossip }\n');
    const r = medsim('run', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.yaml:5');
    expect(r.stderr).toContain('network.topology');
    expect(r.stderr).toContain('degree');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack frames
    expect(r.stdout).toBe('');
  });

  it('a missing file exits 2', () => {
    const r = medsim('run', join(tmp, 'nope.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad usage exits 2', () => {
    expect(medsim('run').code).toBe(2);
    expect(medsim('frobnicate').code).toBe(2);
    expect(medsim('run', small, '--seed', 'abc').code).toBe(2);
  });

  it('--help exits 0 for every command', () => {
    for (const cmd of [[], ['run'], ['validate'], ['schema'], ['bench', 'kernel']]) {
      const r = medsim(...cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: medsim');
    }
  });
});

describe('validate and schema', () => {
  it('validate accepts a good file', () => {
    const r = medsim('validate', small, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, scenario: 'small', protocol: 'gossip' });
  });

  it('schema prints a JSON Schema covering core keys and protocol sections', () => {
    const r = medsim('schema');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    const text = JSON.stringify(schema);
    for (const key of ['network', 'topology', 'partitions', 'sweep', 'itemSize']) expect(text).toContain(key);
  });
});
