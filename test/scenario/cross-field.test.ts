import fc from 'fast-check';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../fixtures/capture.ts';
import { buildPopulation, DEFAULT_TIERS, TIERS } from '../../protocols/dpos/institutions.ts';
import { populationSpecOf, type DposConfig } from '../../protocols/dpos/module.ts';
import { candidateCount } from '../../protocols/dpos/rules.ts';
import { protocolSchemas } from '../../protocols/registry.ts';
import { main } from '../../sim/cli.ts';
import { ScenarioError } from '../../sim/scenario/errors.ts';
import { expandSweep, loadScenario, parseScenarioText } from '../../sim/scenario/load.ts';

// Issue 14, item 5: cross-field mistakes are scenario errors (exit 2, file:line:col, key path,
// what is allowed) caught before anything runs — never "internal error" and never a run that
// silently does something else.

const registry = protocolSchemas();
const problems = (text: string) => {
  try {
    parseScenarioText(text, 'x.yaml', registry);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).message;
  }
  return '';
};

const pbft = (nodes: number, section: string) => `name: t\nduration: 5s\nnetwork:\n  nodes: ${nodes}\nprotocol:\n  name: pbft\n${section}`;

describe('pbft cross-field rules', () => {
  it('an adversary naming replica 10 in a committee of 10', () => {
    const m = problems(pbft(12, '  committee: 10\n  adversaries:\n    - { kind: silent, replicas: [2, 10] }\n'));
    expect(m).toContain('x.yaml:9:37: protocol.adversaries.0.replicas.1: expected a replica id from 0 to 9 (committee is 10), got 10');
  });

  it('a cartel of 14 in a committee of 10 (it used to run as 10 and report 0 committed blocks)', () => {
    const m = problems(pbft(12, '  committee: 10\n  adversaries:\n    - { kind: cartel, count: 14 }\n'));
    expect(m).toContain('x.yaml:9:23: protocol.adversaries.0.count: expected at most the committee size (10) replicas, got 14');
  });

  it('a committee larger than the node count says how many nodes are needed', () => {
    expect(problems(pbft(8, '  committee: 10\n  clients: 3\n'))).toContain('x.yaml:4:3: network.nodes: expected at least 13 nodes for protocol pbft (committee 10 + clients 3), got 8');
  });

  it('two Byzantine roles, reconfigure members, watermarks and twins', () => {
    const m = problems(pbft(20, '  committee: 7\n  standbys: 1\n  adversaries:\n    - { kind: silent, count: 2 }\n    - { kind: equivocate, replicas: [1] }\n  reconfigure:\n    - { at: 1s, members: [0, 8, 8] }\n  watermarkWindow: 40\n  twins: { replica: 7 }\n'));
    expect(m).toContain('protocol.adversaries.1: replica 1 is already Byzantine in adversaries.0 (silent)');
    expect(m).toContain('protocol.reconfigure.0.members.1: expected a replica id from 0 to 7 (committee 7 + standbys 1), got 8');
    expect(m).toContain('protocol.watermarkWindow: expected a multiple of checkpointInterval (16), got 40');
    expect(m).toContain('protocol.twins.replica: expected a replica id from 0 to 6 (committee is 7), got 7');
    // Crash faults may overlap Byzantine roles (they are not a role).
    expect(problems(pbft(10, '  committee: 4\n  adversaries:\n    - { kind: silent, count: 1 }\n    - { kind: crash, replicas: [0], params: { at: 1s } }\n'))).toBe('');
  });
});

const dpos = (nodes: number, section: string) => `name: t\nduration: 5s\nnetwork:\n  nodes: ${nodes}\nprotocol:\n  name: dpos\n${section}`;

describe('dpos cross-field rules', () => {
  it('too few nodes for the candidates and institutions gives the number needed', () => {
    // 40 institutions: tertiary 6, secondary 12, clinic 18, insurer 3, regulator 1 → 6 + 6 + 0 + 2 + 1 = 15 candidates.
    expect(problems(dpos(40, '  institutions: 40\n  committee: 4\n'))).toContain('x.yaml:4:3: network.nodes: expected at least 55 nodes for protocol dpos (15 candidate delegates + 40 institutions), got 40');
    expect(problems(dpos(55, '  institutions: 40\n  committee: 4\n'))).toBe('');
  });

  it('a committee larger than the candidates, and Byzantine candidates that do not exist', () => {
    const m = problems(dpos(100, '  institutions: 40\n  committee: 16\n  byzantineCandidates: 16\n'));
    expect(m).toMatch(/x\.yaml:8:3: protocol\.committee: expected at most the 15 candidates this population has — tertiary ⌈1 × 6⌉ = 6, .*got 16/);
    expect(m).toContain('x.yaml:9:3: protocol.byzantineCandidates: expected at most 15 (the candidates outside the cartel), got 16');
  });

  it('records settings that cannot work', () => {
    const m = problems(dpos(100, '  institutions: 40\n  committee: 4\n  records: { proxies: 5, threshold: 6, replication: 40, tamperingReplicas: [40] }\n'));
    expect(m).toContain('protocol.records.threshold: expected at most records.proxies (5), got 6');
    expect(m).toContain('protocol.records.proxies: expected at most the committee size (4), got 5');
    expect(m).toContain('protocol.records.replication: expected at most institutions − 1 (39), got 40');
    expect(m).toContain('protocol.records.tamperingReplicas.0: expected an institution id from 0 to 39, got 40');
  });

  it('a sweep point that breaks a rule names the point', () => {
    const text = `${dpos(60, '  institutions: 40\n  committee: 4\n')}sweep:\n  parameters:\n    - { path: protocol.institutions, values: [40, 60] }\n`;
    const loaded = parseScenarioText(text, 'x.yaml', registry);
    let message = '';
    try {
      expandSweep(loaded.raw, registry, { file: 'x.yaml', locations: loaded.locations });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/network\.nodes: expected at least \d+ nodes for protocol dpos .* \(sweep point 1: protocol\.institutions = 60/);
  });

  it('the candidate count range holds for every seed (property check against buildPopulation)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 120 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1e6 }),
        (institutions, candidateShares, cartelSize, cartelCandidates, onlyTop, seed) => {
          const tiers = Object.fromEntries(TIERS.map((t, i) => [t, { ...DEFAULT_TIERS[t], candidateShare: Math.round(candidateShares[i] * 10) / 10 }]));
          const inst = Math.min(cartelSize, institutions);
          const cartel = inst > 0 ? { institutions: inst, candidates: Math.min(cartelCandidates, inst), stakeShare: null, basis: 'stake' as const, tiers: onlyTop ? (['tertiary', 'secondary'] as const) : undefined, behaviour: 'cartel' as const } : undefined;
          const cfg = { institutions, tiers, cartel, byzantineCandidates: 0 } as unknown as DposConfig;
          const range = candidateCount(cfg);
          if (cartel && cartel.institutions > range.cartelPool) return; // refused by the schema
          const actual = buildPopulation(populationSpecOf(cfg), seed).candidates.length;
          expect(actual).toBeGreaterThanOrEqual(range.min);
          expect(actual).toBeLessThanOrEqual(range.max);
          if (!cartel) expect(range.min).toBe(range.max);
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });
});

describe('through the CLI: exit 2 before anything runs, no "internal error"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medsim-cross-'));
  const io = captureOutput();

  it('validate and run both refuse, with the file position', async () => {
    const file = join(dir, 'cartel.yaml');
    writeFileSync(file, pbft(12, '  committee: 10\n  adversaries:\n    - { kind: cartel, count: 14 }\n'));
    for (const cmd of ['validate', 'run']) {
      io.err = '';
      expect(await main([cmd, file])).toBe(2);
      expect(io.err).toContain(`${file}:9:23: protocol.adversaries.0.count: expected at most the committee size (10) replicas, got 14`);
      expect(io.err).not.toContain('internal error');
    }
  });

  it('every shipped scenario still passes the rules', () => {
    const root = join(import.meta.dirname, '../../scenarios');
    const files = readdirSync(root).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(() => loadScenario(join(root, f), { registry }), f).not.toThrow();
  });
});
