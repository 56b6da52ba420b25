/**
 * Determinism: the same settlement scenario and seed give the same trace hash — across runs in
 * one process (key material, verdict caches and OpenSSL contexts warm the second time) and in a
 * separate process (`medsim run --json`, cold caches) — and another seed gives another.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOLS, protocolSchemas } from '../../protocols/registry.ts';
import { runScenario } from '../../sim/runner.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import { runSettlement } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const short = { workload: { rate: 2, stop: '1500ms', inFlight: 2 } };
const extra = { duration: '2s' };

describe('settlement determinism', () => {
  it('same scenario and seed, same trace hash (in this process and in another); another seed, another hash', () => {
    const a = runSettlement({ patients: 3, ...short }, extra, 5);
    const b = runSettlement({ patients: 3, ...short }, extra, 5);
    const c = runSettlement({ patients: 3, ...short }, extra, 6);
    expect((a.protocol as { committed: number }).committed).toBeGreaterThan(0);
    expect(b.result.traceHash).toBe(a.result.traceHash);
    expect(c.result.traceHash).not.toBe(a.result.traceHash);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/medsim.js'), 'run', join(ROOT, 'scenarios/settlement-double-spend.yaml'), '--seed', '5', '--set', 'duration=2s', '--set', 'protocol.workload.stop=1500ms', '--no-write', '--json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { scenario } = loadScenario(join(ROOT, 'scenarios/settlement-double-spend.yaml'), { registry: protocolSchemas(), overrides: { duration: '2s', 'protocol.workload.stop': '1500ms' } });
    const here = runScenario(scenario as Scenario, PROTOCOLS, 5);
    expect(JSON.parse(r.stdout).traceHash).toBe(here.result.traceHash);
  }, 120_000);
});
