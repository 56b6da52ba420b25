import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pointScenarioRaw, scenarioSweepSpec, trialSeed } from '../../analysis/sweep.ts';
import { PROTOCOLS, protocolSchemas } from '../../protocols/registry.ts';
import { buildProgram, main } from '../../sim/cli.ts';
import { packageVersion } from '../../sim/results.ts';
import { runScenario } from '../../sim/runner.ts';
import { validateScenario } from '../../sim/scenario/index.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';

// Issue 14, item 9: the README and the CLI agree, and the docs cite only what a user has.

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Every command (with its path) and the long flags its --help shows. */
function commands(): { path: string; flags: string[] }[] {
  const out: { path: string; flags: string[] }[] = [];
  const walk = (c: Command, path: string[]) => {
    for (const sub of c.commands) {
      const p = [...path, sub.name()];
      out.push({ path: p.join(' '), flags: sub.options.map((o) => o.long!).filter((f) => f && f !== '--help') });
      walk(sub, p);
    }
  };
  walk(buildProgram(), []);
  return out;
}

/** Flags written in the first cell of the README table rows for `medsim <path>` (a command may have several rows). */
function readmeFlags(path: string): string[] | undefined {
  const rows = README.split('\n').filter((l) => {
    const m = /^\| `medsim ([^`]*)`/.exec(l);
    return m !== null && (m[1] === path || m[1].startsWith(`${path} `));
  });
  if (!rows.length) return undefined;
  return [...new Set(rows.flatMap((l) => l.split(' | ')[0].match(/--[a-z][a-z-]*/g) ?? []))];
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('README command tables list every flag --help shows', () => {
  for (const { path, flags } of commands()) {
    if (path === 'bench' || path === 'help') continue; // a group without options of its own
    it(`medsim ${path}`, () => {
      const documented = readmeFlags(path);
      expect(documented, `README has no table row for "medsim ${path}": add one with its flags (${flags.join(' ')})`).toBeDefined();
      const missing = flags.filter((f) => !documented!.includes(f));
      expect(missing, `README row for "medsim ${path}" lacks ${missing.join(', ')}`).toEqual([]);
    });
  }
});

describe('versions, citations, references', () => {
  it('medsim --version prints the package version', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
    expect(await main(['--version'])).toBe(0);
    expect(out.trim()).toBe(packageVersion());
    expect(README).toContain('medsim --version');
  });

  it('the README cites the four seed papers by title', () => {
    for (const title of ['安全存储医疗记录的区块链方法研究', 'Medical Blockchain of Privacy Data Sharing Model Based on Ring Signature', '一种面向中医药临床数据的区块链安全与隐私保护方案', 'Medical Health Data Security Model Based on Alliance Blockchain']) {
      expect(README).toContain(title);
    }
  });

  it('docs cite only what a user of the repository has (no team guide, no machine paths)', () => {
    const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => [`docs/${f}`, readFileSync(join(ROOT, 'docs', f), 'utf8')] as const);
    for (const [file, text] of [['README.md', README] as const, ...docs]) {
      expect(text, file).not.toMatch(/GUIDE\.md|DEVELOPERS\.md|shared\/seeds|\/work\//);
    }
  });

  it('the protocol-name example in docs/scenarios.md names only registered protocols', () => {
    const doc = readFileSync(join(ROOT, 'docs/scenarios.md'), 'utf8');
    const line = doc.split('\n').find((l) => l.startsWith('| wrong protocol name'))!;
    const listed = [...line.matchAll(/"([a-z-]+)"/g)].map((m) => m[1]).filter((n) => n !== 'pbtf');
    for (const n of listed) expect(Object.keys(PROTOCOLS), n).toContain(n);
  });
});

describe('the README quick start replays a real violating trial', () => {
  it('its replay line names a violating trial of the sweep it shows, with the trace hash it quotes', () => {
    const sweep = /npx medsim sweep (\S+) --out (\S+)/.exec(README)!;
    const replay = /npx medsim run (\S+)\/replay\/point-(\d+)\.yaml --seed (\d+)/.exec(README)!;
    expect(replay[1]).toBe(sweep[2]);
    const quoted = /same trace hash \(([0-9a-f]+)…\)/.exec(README)![1];
    return scenarioSweepSpec({ scenario: join(ROOT, sweep[1]) }).then((spec) => {
      const p = Number(replay[2]);
      const seed = Number(replay[3]);
      const i = Array.from({ length: spec.trials }, (_, k) => k).find((k) => trialSeed(spec.seed, p, k).seed === seed);
      expect(i, 'the seed is a trial seed of that point').toBeDefined();
      const scenario = validateScenario(pointScenarioRaw(spec, p)!, protocolSchemas()) as Scenario;
      const { result } = runScenario(scenario, PROTOCOLS, seed);
      expect(result.violation?.invariant).toBe('confirmed-not-reversed');
      expect(result.traceHash.startsWith(quoted)).toBe(true);
    });
  });
});
