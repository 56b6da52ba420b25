/**
 * One test per class of human mistake: each checks that the message names the file, the line,
 * the key path and what was expected (and a did-you-mean where one makes sense).
 */
import { describe, expect, it } from 'vitest';
import { ScenarioError, formatProblem } from '../../sim/scenario/errors.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import { MINIMAL, errorFor, expectNoZodLeak, fixture, registry, scenarioError } from './helpers.ts';

describe('scenario error messages', () => {
  it('unknown key: names line, key path and suggests the closest allowed key', () => {
    const err = errorFor(`name: t
duration: 1h
network:
  nodes: 10
  topology:
    kind: random
    degre: 3
protocol:
  name: gossip
`);
    expect(err.message).toBe('x.yaml:7:5: network.topology.degre: unknown key "degre" — did you mean "degree"?');
    expect(err.line).toBe(7);
    expect(err.column).toBe(5);
    expect(err.keyPath).toBe('network.topology.degre');
    expectNoZodLeak(err);
  });

  it('unknown key with no close match lists the allowed keys', () => {
    const err = errorFor(MINIMAL + 'colour: blue\n');
    expect(err.message).toMatch(/^x\.yaml:7:1: colour: unknown key "colour" \(allowed here: name, description, seed, duration, maxEvents, network, faults, sweep, extends, protocol\)$/);
  });

  it('unknown key that belongs at another level says where it goes', () => {
    const err = errorFor(MINIMAL + 'loss: 0.1\n');
    expect(err.message).toBe('x.yaml:7:1: loss: unknown key "loss" here — it belongs under "network" (network.loss)');
  });

  it('misspelled snake_case key suggests the camelCase one, and the missing-key echo is dropped', () => {
    const err = errorFor(MINIMAL.replace('network:\n  nodes: 10', 'network:\n  node_count: 10').replace('name: t', 'name: t\nmax_events: 5'));
    expect(err.message).toContain('x.yaml:2:1: max_events: unknown key "max_events" — did you mean "maxEvents"?');
    expect(err.problems.some((p) => p.message.startsWith('missing required key "nodes"'))).toBe(true);
    const err2 = errorFor(MINIMAL.replace('nodes: 10', 'nodez: 10'));
    expect(err2.message).toBe('x.yaml:4:3: network.nodez: unknown key "nodez" — did you mean "nodes"?');
  });

  it('wrong type: expected phrase includes the range, got shows the value as written', () => {
    const err = errorFor(`name: t
duration: 1h
network:
  nodes: 10
  topology:
    kind: random
    degree: eight
protocol:
  name: gossip
`, 'scenarios/x.yaml');
    expect(err.message).toBe('scenarios/x.yaml:7:5: network.topology.degree: expected an integer ≥ 1, got "eight"');
    expect(err.expected).toBe('an integer ≥ 1');
    expect(err.file).toBe('scenarios/x.yaml');
  });

  it('wrong type: a list where a mapping belongs, an empty value, a fractional integer', () => {
    expect(errorFor(MINIMAL.replace('network:\n  nodes: 10', 'network: [10]')).message).toBe(
      'x.yaml:3:1: network: expected a mapping (key: value lines), got a list of 1 item',
    );
    expect(errorFor(MINIMAL.replace('nodes: 10', 'nodes:')).message).toBe(
      'x.yaml:4:3: network.nodes: expected an integer from 1 to 100000, got an empty value',
    );
    expect(errorFor(MINIMAL.replace('nodes: 10', 'nodes: 2.5')).message).toBe(
      'x.yaml:4:3: network.nodes: expected an integer from 1 to 100000, got 2.5',
    );
  });

  it('wrong type: hints for quoted numbers, percentages and flat group lists', () => {
    expect(errorFor(MINIMAL.replace('nodes: 10', 'nodes: "10"')).message).toBe(
      'x.yaml:4:3: network.nodes: expected an integer from 1 to 100000, got "10" — that is text because of the quotes; write 10 without quotes',
    );
    expect(errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  loss: 1%')).message).toBe(
      'x.yaml:5:3: network.loss: expected a probability from 0 to 1, got "1%" — write percentages as fractions: 0.01',
    );
    expect(errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  partitions:\n    - {start: 1m, end: 2m, groups: [0, 1]}')).problems[0]!.message).toBe(
      'expected a group: a non-empty list of node ids, like [0, 1], got 0 — "groups" is a list of groups, so one group of nodes 0 and 1 is [[0, 1]]',
    );
    expect(errorFor(MINIMAL.replace('protocol:\n  name: gossip', 'protocol:')).message).toBe(
      'x.yaml:5:1: protocol: expected a mapping with name: one of "gossip", "pbft", got an empty value',
    );
  });

  it('bad unit: explains the unit problem and suggests a spelling', () => {
    const err = errorFor(MINIMAL.replace('duration: 1h', 'duration: 50 mz'));
    expect(err.message).toBe(
      `x.yaml:2:1: duration: expected a positive duration with a unit, like '50ms' or '600s', got "50 mz": unknown unit "mz" — did you mean "50ms"? (units: us, µs, ms, s, min, m, h, d)`,
    );
    expect(err.expected).toBe("a positive duration with a unit, like '50ms' or '600s'");
  });

  it('bare number where a unit is required: suggests adding one', () => {
    const err = errorFor(MINIMAL.replace('duration: 1h', 'duration: 600'));
    expect(err.message).toBe(
      `x.yaml:2:1: duration: expected a positive duration with a unit, like '50ms' or '600s', got 600 — a bare number has no unit; write it with one, like "600s" or "600ms"`,
    );
  });

  it('out-of-range numbers', () => {
    const err = errorFor(MINIMAL.replace('nodes: 10', 'nodes: 0\n  loss: 1.5\n  jitter: -0.1'));
    expect(err.problems.map(formatProblem)).toEqual([
      'x.yaml:4:3: network.nodes: expected an integer from 1 to 100000, got 0',
      'x.yaml:5:3: network.loss: expected a probability from 0 to 1, got 1.5',
      'x.yaml:6:3: network.jitter: expected a fraction from 0 to 1, got -0.1',
    ]);
  });

  it('missing required key: points at the parent mapping and says what the key is', () => {
    const err = errorFor(`name: t
duration: 1h
network:
  jitter: 0.1
protocol:
  name: gossip
`);
    expect(err.message).toBe(
      'x.yaml:3:1: network.nodes: missing required key "nodes" in "network": expected an integer from 1 to 100000 — Number of simulated nodes (integer 1..100000); node ids are 0..nodes−1.',
    );
  });

  it('missing required top-level keys are all reported', () => {
    const err = errorFor('name: t\n');
    const keys = err.problems.map((p) => p.keyPath);
    expect(keys).toEqual(expect.arrayContaining(['duration', 'network', 'protocol']));
    expect(err.message).toContain('x.yaml:1:1: protocol: missing required key "protocol": expected a mapping with name: one of "gossip", "pbft"');
  });

  it('wrong discriminator: protocol name with did-you-mean', () => {
    const err = errorFor(MINIMAL.replace('name: gossip', 'name: pbtf'));
    expect(err.message).toBe('x.yaml:6:3: protocol.name: expected one of "gossip", "pbft", got "pbtf" — did you mean "pbft"?');
    expectNoZodLeak(err);
  });

  it('wrong discriminator: topology kind; missing discriminator', () => {
    expect(errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  topology:\n    kind: fullmesh')).message).toBe(
      'x.yaml:6:5: network.topology.kind: expected one of "random", "random-degrees", "full-mesh", "explicit", got "fullmesh" — did you mean "full-mesh"?',
    );
    expect(errorFor(MINIMAL.replace('  name: gossip', '  count: 3')).message).toBe(
      'x.yaml:5:1: protocol.name: missing required key "name": expected one of "gossip", "pbft"',
    );
    expect(errorFor(MINIMAL.replace('protocol:\n  name: gossip', 'protocol: gossip')).message).toBe(
      'x.yaml:5:1: protocol: expected a mapping with name: one of "gossip", "pbft", got "gossip"',
    );
  });

  it('unknown key inside a protocol section uses that protocol\'s keys', () => {
    const err = errorFor(MINIMAL.replace('name: gossip', 'name: pbft\n  replicas: 4\n  viewTimeot: 1s'));
    expect(err.message).toBe('x.yaml:8:3: protocol.viewTimeot: unknown key "viewTimeot" — did you mean "viewTimeout"?');
  });

  it('enum value with did-you-mean', () => {
    const err = errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  regions:\n    preset: bitcoin2019'));
    expect(err.message).toBe(
      'x.yaml:6:5: network.regions.preset: expected one of "bitcoin-2019", "bitcoin-2015", "uniform-lan", got "bitcoin2019" — did you mean "bitcoin-2019"?',
    );
  });

  it('bad scenario name', () => {
    const err = errorFor(MINIMAL.replace('name: t', 'name: My Scenario'));
    expect(err.message).toBe(
      'x.yaml:1:1: name: expected a name of lowercase letters, digits, "-" and "_" (it names the results/<name>/ folder), got "My Scenario"',
    );
  });

  it('YAML syntax error: line and column from the parser, with the line shown', () => {
    const err = scenarioError(() => loadScenario(fixture('syntax-error.yaml'), { registry }));
    expect(err.line).toBe(5);
    expect(err.message).toMatch(/syntax-error\.yaml:5:1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }$/m);
    expect(err.message).toContain('\n    protocol:\n    ^');
    const dup = errorFor('name: a\nname: b\n');
    expect(dup.message).toMatch(/^x\.yaml:2:1: YAML syntax error: Map keys must be unique/);
    const tab = errorFor('name: a\nnetwork:\n\tnodes: 3\n');
    expect(tab.message).toMatch(/^x\.yaml:3:\d+: YAML syntax error: Tabs are not allowed as indentation/);
  });

  it('empty file and a file that is not a mapping', () => {
    const empty = scenarioError(() => loadScenario(fixture('empty.yaml'), { registry }));
    expect(empty.message).toMatch(/empty\.yaml:1:1: the file is empty: a scenario is a mapping with at least "name", "duration", "network" and "protocol"$/);
    expect(errorFor('# just a comment\n').message).toMatch(/^x\.yaml:1:1: the file is empty/);
    expect(errorFor('- a\n- b\n').message).toBe('x.yaml:1:1: expected a mapping (key: value lines) at the top of the file, got a list of 2 items');
    expect(errorFor('just text\n').message).toBe('x.yaml:1:1: expected a mapping (key: value lines) at the top of the file, got "just text"');
  });

  it('unreadable scenario file', () => {
    const err = scenarioError(() => loadScenario(fixture('nope.yaml'), { registry }));
    expect(err.message).toMatch(/nope\.yaml: cannot read the scenario: file not found$/);
  });

  it('cross-field: partition end before start, crash recovery before crash', () => {
    const err = errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  partitions:\n    - start: 20m\n      end: 10m\n      split: 0.5') +
      'faults:\n  crashes:\n    - node: 1\n      at: 5m\n      recoverAt: 5m\n');
    expect(err.problems.map(formatProblem)).toEqual([
      'x.yaml:7:7: network.partitions.0.end: expected a time after start (20min), got 10min',
      'x.yaml:15:7: faults.crashes.0.recoverAt: expected a time after at (5min), got 5min',
    ]);
  });

  it('cross-field: node ids must be < network.nodes (partitions, clogs, edges, crashes)', () => {
    const err = errorFor(`name: t
duration: 1h
network:
  nodes: 10
  topology:
    kind: explicit
    edges: [[0, 1], [2, 2], [3, 12]]
  partitions:
    - {start: 1m, end: 2m, groups: [[0, 1], [1, 30]]}
  clogs:
    - {start: 1m, end: 2m, from: [11], delay: 2s}
faults:
  crashes:
    - {node: 10, at: 1m}
protocol:
  name: gossip
`);
    expect(err.problems.map(formatProblem)).toEqual([
      'x.yaml:7:21: network.topology.edges.1: edge [2, 2] links node 2 to itself',
      'x.yaml:7:33: network.topology.edges.2.1: expected a node id from 0 to 9 (network.nodes is 10), got 12',
      'x.yaml:9:46: network.partitions.0.groups.1.0: node 1 is already in group 0; a node can be in only one group',
      'x.yaml:9:49: network.partitions.0.groups.1.1: expected a node id from 0 to 9 (network.nodes is 10), got 30',
      'x.yaml:11:35: network.clogs.0.from.0: expected a node id from 0 to 9 (network.nodes is 10), got 11',
      'x.yaml:14:8: faults.crashes.0.node: expected a node id from 0 to 9 (network.nodes is 10), got 10',
    ]);
  });

  it('cross-field checks are reported together with ordinary errors', () => {
    const err = errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  loss: lots') + 'faults:\n  crashes:\n    - {node: 99, at: 1m}\n');
    expect(err.problems.map((p) => p.keyPath)).toEqual(['network.loss', 'faults.crashes.0.node']);
  });

  it('exactly one of groups/split, preset/custom, values/range', () => {
    const both = errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  partitions:\n    - {start: 1m, end: 2m, split: 0.5, groups: [[1]]}'));
    expect(both.message).toBe('x.yaml:6:28: network.partitions.0.split: give either "groups" or "split", not both');
    const neither = errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  partitions:\n    - {start: 1m, end: 2m}'));
    expect(neither.message).toMatch(/^x\.yaml:6:7: network\.partitions\.0: missing "groups" or "split": a partition needs one of them/);
    const sweep = errorFor(MINIMAL + 'sweep:\n  parameters:\n    - path: network.loss\n');
    expect(sweep.message).toMatch(/^x\.yaml:9:7: sweep\.parameters\.0: missing "values" or "range"/);
  });

  it('custom region tables: shapes checked against the names', () => {
    const err = errorFor(MINIMAL.replace('nodes: 10', `nodes: 10
  regions:
    custom:
      names: [a, b, a]
      latency: [[1, 2, 3], [1, 2]]
      distribution: [0.5, 0.4]
      upload: [20Mbps, 20Mbps, 20Mbps]
      download: [20Mbps, 20Mbps]`));
    expect(err.problems.map(formatProblem)).toEqual([
      'x.yaml:7:21: network.regions.custom.names.2: region "a" is listed twice (also at index 0)',
      'x.yaml:8:7: network.regions.custom.latency: expected a 3×3 matrix (one row per region name), got 2 rows',
      'x.yaml:8:28: network.regions.custom.latency.1: expected 3 latencies in row 1 (one per region name), got 2',
      'x.yaml:9:7: network.regions.custom.distribution: expected 3 entries (one per region name), got 2',
      'x.yaml:9:7: network.regions.custom.distribution: expected fractions that sum to 1, got a sum of 0.9',
      'x.yaml:11:7: network.regions.custom.download: expected 3 entries (one per region name), got 2',
    ]);
  });

  it('several problems: all reported, sorted by line, no zod wording', () => {
    const err = errorFor(`name: t
seeed: 4
duration: 1h
network:
  nodes: 10
  jitter: high
  topology:
    kind: random
    degree: 0
protocol:
  name: gossip
  blockSize: 1Mb
`);
    expect(err.problems.map((p) => p.line)).toEqual([2, 6, 9, 12]);
    expect(err.message.split('\n')).toHaveLength(4);
    expect(err.message).toContain('x.yaml:12:3: protocol.blockSize: expected a positive size with a unit, like \'512kB\' or \'1MB\', got "1Mb": sizes are in bytes (B); a lowercase b means bits');
    expectNoZodLeak(err);
  });

  it('bandwidth given in bytes per second', () => {
    const err = errorFor(MINIMAL.replace('nodes: 10', 'nodes: 10\n  bandwidth:\n    upload: 20MB/s'));
    expect(err.message).toBe(
      `x.yaml:6:5: network.bandwidth.upload: expected a positive bandwidth with a unit, like '20Mbps' or '1Gbps', got "20MB/s": bandwidth is in bits per second, not bytes (20 MB/s = 160Mbps)`,
    );
  });
});
