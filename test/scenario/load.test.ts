import { describe, expect, it } from 'vitest';
import { ScenarioError, formatProblem } from '../../sim/scenario/errors.ts';
import { deepMerge, getPath, loadScenario, parseOverride, parseScenarioText, setPath, splitPath } from '../../sim/scenario/load.ts';
import { buildScenarioSchema } from '../../sim/scenario/schema.ts';
import { gossipProtocolSchema } from './helpers.ts';
import { MINIMAL, errorFor, fixture, registry, scenarioError } from './helpers.ts';
import { z } from 'zod';

describe('loading a valid scenario', () => {
  it('parses units to integers and applies defaults', () => {
    const { scenario, raw, sources } = loadScenario(fixture('valid.yaml'), { registry });
    expect(scenario.duration).toBe(7_200_000_000);
    expect(scenario.seed).toBe(42);
    expect(scenario.network.bandwidth).toEqual({ upload: 20_000_000, download: 50_000_000 });
    expect(scenario.network.partitions[0]).toEqual({ start: 600_000_000, end: 1_200_000_000, groups: [[0, 1, 2], [3, 4]], direction: 'one-way' });
    expect(scenario.network.partitions[1]).toEqual({ start: 1_800_000_000, end: 2_400_000_000, split: 0.5, direction: 'both' });
    expect(scenario.network.clogs[0]!.delay).toBe(2_000_000);
    expect(scenario.faults.crashes).toEqual([{ node: 3, at: 60_000_000, recoverAt: 300_000_000 }, { node: 4, at: 90_000_000 }]);
    expect(scenario.protocol).toEqual({ name: 'gossip', blockSize: 524_288, interval: 1_500_000, count: 20 });
    expect(scenario.sweep?.trials).toBe(100);
    // raw keeps what was written
    expect(getPath(raw, 'network.clogs.0.delay')).toBe('2s');
    expect(sources).toEqual([fixture('valid.yaml')]);
  });

  it('fills every default for a minimal scenario', () => {
    const { scenario } = parseScenarioText(MINIMAL, 'x.yaml', registry);
    expect(scenario).toEqual({
      name: 't', seed: 1, duration: 3_600_000_000,
      network: {
        nodes: 10, regions: { preset: 'bitcoin-2019' }, jitter: 0.1, loss: 0, duplication: 0,
        latency: { distribution: 'uniform', paretoGap: 5000 },
        uploads: { mode: 'fifo', controlBytes: 0, controlDelay: 0, bulkDelay: 0 },
        topology: { kind: 'random', degree: 8 }, partitions: [], clogs: [],
      },
      faults: { crashes: [] },
      protocol: { name: 'gossip', blockSize: 1_000_000, interval: 10_000_000, count: 20 },
    });
  });

  it('custom regions: latency in ms becomes µs', () => {
    const { scenario } = parseScenarioText(MINIMAL.replace('nodes: 10', `nodes: 10
  regions:
    custom:
      names: [eu, us]
      latency: [[5, 80.5], [80.5, 5]]
      distribution: [0.25, 0.75]
      upload: [20Mbps, 10Mbps]
      download: [50Mbps, 1Gbps]`), 'x.yaml', registry);
    expect(scenario.network.regions.custom).toEqual({
      names: ['eu', 'us'], latency: [[5000, 80_500], [80_500, 5000]], distribution: [0.25, 0.75],
      upload: [20e6, 10e6], download: [50e6, 1e9],
    });
  });

  it('other protocols from the registry', () => {
    const { scenario } = parseScenarioText(MINIMAL.replace('name: gossip', 'name: pbft\n  replicas: 7'), 'x.yaml', registry);
    expect(scenario.protocol).toEqual({ name: 'pbft', replicas: 7, viewTimeout: 2_000_000 });
  });
});

describe('overrides', () => {
  it('are applied after merging and validated like the file', () => {
    const { scenario, raw } = parseScenarioText(MINIMAL, 'x.yaml', registry, { overrides: { 'network.loss': 0.25, duration: '30m', 'network.topology.degree': 3 } });
    expect(scenario.network.loss).toBe(0.25);
    expect(scenario.duration).toBe(1_800_000_000);
    expect(scenario.network.topology).toEqual({ kind: 'random', degree: 3 });
    expect(raw.duration).toBe('30m');
  });
  it('name the override in errors', () => {
    const err = scenarioError(() => parseScenarioText(MINIMAL, 'x.yaml', registry, { overrides: { 'network.loss': 2 }, overrideSource: '--set' }));
    expect(err.message).toBe('--set: network.loss: expected a probability from 0 to 1, got 2');
    const bad = scenarioError(() => parseScenarioText(MINIMAL, 'x.yaml', registry, { overrides: { 'network.partitions.0.end': '1m' } }));
    expect(bad.message).toBe('override: network.partitions.0.end: cannot set network.partitions.0.end: network.partitions does not exist, so it has no index 0');
  });
  it('parseOverride reads the value as YAML', () => {
    expect(parseOverride('network.loss=0.01')).toEqual(['network.loss', 0.01]);
    expect(parseOverride('duration=30m')).toEqual(['duration', '30m']);
    expect(parseOverride('network.partitions=[]')).toEqual(['network.partitions', []]);
    expect(parseOverride('description=a=b')).toEqual(['description', 'a=b']);
    expect(() => parseOverride('nonsense')).toThrow(/expected path=value/);
  });
});

describe('paths', () => {
  it('splitPath, getPath, setPath', () => {
    expect(splitPath('network.partitions.0.end')).toEqual(['network', 'partitions', 0, 'end']);
    const o: Record<string, unknown> = { a: { list: [{ x: 1 }] } };
    expect(getPath(o, 'a.list.0.x')).toBe(1);
    expect(getPath(o, 'a.nope.x')).toBeUndefined();
    setPath(o, 'a.list.0.x', 2);
    setPath(o, 'b.c', 3);
    expect(o).toEqual({ a: { list: [{ x: 2 }] }, b: { c: 3 } });
    expect(() => setPath(o, 'a.list.5.x', 1)).toThrow('a.list has 1 item; there is no index 5');
    expect(() => setPath(o, 'b.c.d', 1)).toThrow('b.c is 3, not a mapping or list');
    expect(() => setPath(o, 'a.list.x', 1)).toThrow('a.list is a list; "x" is not an index');
  });
});

describe('extends', () => {
  it('deepMerge: mappings merged, lists and scalars replaced, null removes, a new name/kind replaces', () => {
    expect(deepMerge({ a: { x: 1, y: [1, 2] }, b: 1, c: 3 }, { a: { y: [3] }, b: 2, c: null })).toEqual({ a: { x: 1, y: [3] }, b: 2 });
    expect(deepMerge({ p: { name: 'pow', d: 1 } }, { p: { name: 'pbft', r: 4 } })).toEqual({ p: { name: 'pbft', r: 4 } });
    expect(deepMerge({ p: { name: 'pow', d: 1 } }, { p: { name: 'pow', e: 2 } })).toEqual({ p: { name: 'pow', d: 1, e: 2 } });
    expect(deepMerge({ name: 'base', x: 1 }, { name: 'child' })).toEqual({ name: 'child', x: 1 });
  });

  it('resolves relative paths recursively and merges', () => {
    const loaded = loadScenario(fixture('nested/grandchild.yaml'), { registry });
    expect(loaded.sources).toEqual([fixture('nested/grandchild.yaml'), fixture('child.yaml'), fixture('base.yaml')]);
    expect(loaded.raw).toEqual({
      name: 'grandchild',
      duration: '1h',
      network: { nodes: 50, jitter: 0.05, topology: { kind: 'random', degree: 4 }, partitions: [] },
      protocol: { name: 'pbft', replicas: 7 },
    });
    expect(loaded.scenario.network.nodes).toBe(50);
    expect(loaded.scenario.protocol).toEqual({ name: 'pbft', replicas: 7, viewTimeout: 2_000_000 });
  });

  it('an error in an inherited value names the file and line where it was written', () => {
    const err = scenarioError(() => loadScenario(fixture('inherits-bad.yaml'), { registry }));
    expect(err.problems.map(formatProblem)).toEqual([
      `${fixture('base-bad.yaml')}:7:5: network.topology.degree: expected an integer ≥ 1, got 0`,
      `${fixture('inherits-bad.yaml')}:4:3: network.loss: expected a probability from 0 to 1, got 2`,
    ]);
  });

  it('cycle: names the chain and the extends line', () => {
    const err = scenarioError(() => loadScenario(fixture('cycle-a.yaml'), { registry }));
    const a = fixture('cycle-a.yaml');
    const b = fixture('cycle-b.yaml');
    expect(err.message).toBe(`${b}:2:1: extends: extends cycle: ${a} → ${b} → ${a}`);
    expect(err.file).toBe(b);
  });

  it('missing base file: names the file and the line of the extends key', () => {
    const err = scenarioError(() => loadScenario(fixture('missing-base.yaml'), { registry }));
    expect(err.message).toBe(`${fixture('missing-base.yaml')}:3:1: extends: cannot read "no-such-base.yaml" (looked for ${fixture('no-such-base.yaml')}): file not found`);
    expect(err.line).toBe(3);
  });

  it('relative display paths stay relative', () => {
    const err = scenarioError(() => parseScenarioText('name: a\nextends: ../nowhere/base.yaml\n', 'scenarios/a.yaml', registry));
    expect(err.message).toBe('scenarios/a.yaml:2:1: extends: cannot read "../nowhere/base.yaml" (looked for nowhere/base.yaml): file not found');
  });

  it('extending a file that is not a mapping', () => {
    const err = scenarioError(() => loadScenario(fixture('extends-list.yaml'), { registry }));
    expect(err.message).toBe(
      `${fixture('list.yaml')}:1:1: expected a mapping (key: value lines) at the top of the file, got a list of 2 items (extended from ${fixture('extends-list.yaml')}:2:1)`,
    );
  });

  it('extending an empty file, and extends that is not a path', () => {
    const err = scenarioError(() => parseScenarioText('name: a\nextends: empty.yaml\n', fixture('x.yaml'), registry));
    expect(err.message).toBe(`${fixture('empty.yaml')}:1:1: the extended file is empty (extended from ${fixture('x.yaml')}:2:1)`);
    const notPath = errorFor('name: a\nextends: [a.yaml, b.yaml]\n');
    expect(notPath.message).toBe('x.yaml:2:1: extends: expected the path of a scenario file to inherit from, like "base.yaml", got a list of 2 items');
  });

  it('a YAML error in a base file names the base file', () => {
    const err = scenarioError(() => parseScenarioText('name: a\nextends: syntax-error.yaml\n', fixture('x.yaml'), registry));
    expect(err.file).toBe(fixture('syntax-error.yaml'));
    expect(err.line).toBe(5);
  });
});

describe('protocol registry', () => {
  it('rejects schemas whose name literal does not match the key', () => {
    expect(() => buildScenarioSchema({ pow: gossipProtocolSchema })).toThrow(/protocol "pow" must be a z.strictObject with name: z.literal\('pow'\)/);
    expect(() => buildScenarioSchema({})).toThrow(/registry is empty/);
  });
  it('a one-protocol registry works', () => {
    const only = { gossip: gossipProtocolSchema };
    const err = scenarioError(() => parseScenarioText(MINIMAL.replace('name: gossip', 'name: gosip'), 'x.yaml', only));
    expect(err.message).toBe('x.yaml:6:3: protocol.name: expected one of "gossip", got "gosip" — did you mean "gossip"?');
  });
  it('protocol schemas written with plain zod still get readable messages', () => {
    const plain = { gossip: gossipProtocolSchema, raw: z.strictObject({ name: z.literal('raw'), k: z.number().int().positive(), mode: z.enum(['a', 'b']), flag: z.boolean() }) };
    const err = scenarioError(() => parseScenarioText(MINIMAL.replace('name: gossip', 'name: raw\n  k: 0\n  mode: c\n  flag: maybe'), 'x.yaml', plain));
    expect(err.problems.map(formatProblem)).toEqual([
      'x.yaml:7:3: protocol.k: expected an integer > 0, got 0',
      'x.yaml:8:3: protocol.mode: expected one of "a", "b", got "c"',
      'x.yaml:9:3: protocol.flag: expected true or false, got "maybe"',
    ]);
    expect(err).toBeInstanceOf(ScenarioError);
  });
});
