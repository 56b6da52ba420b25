import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../sim/scenario/errors.ts';
import { expandSweep, loadScenario, parseScenarioText, rangeValues } from '../../sim/scenario/load.ts';
import { MINIMAL, fixture, registry, scenarioError } from './helpers.ts';

describe('sweep expansion', () => {
  it('cartesian product, last parameter fastest, each point validated with units parsed', () => {
    const loaded = loadScenario(fixture('sweep.yaml'), { registry });
    const points = expandSweep(loaded.raw, registry, loaded);
    expect(points.map((p) => [p.index, p.assignments])).toEqual([
      [0, { 'network.loss': 0, 'network.nodes': 10 }],
      [1, { 'network.loss': 0, 'network.nodes': 20 }],
      [2, { 'network.loss': 0, 'network.nodes': 30 }],
      [3, { 'network.loss': 0.5, 'network.nodes': 10 }],
      [4, { 'network.loss': 0.5, 'network.nodes': 20 }],
      [5, { 'network.loss': 0.5, 'network.nodes': 30 }],
    ]);
    expect(points[4]!.scenario.network).toMatchObject({ loss: 0.5, nodes: 20 });
    expect(points[4]!.scenario.duration).toBe(3_600_000_000);
    expect(points[4]!.raw.sweep).toBeUndefined();
    expect(points[4]!.scenario.sweep).toBeUndefined();
    // points are independent copies
    expect(points[0]!.raw.network).not.toBe(points[1]!.raw.network);
    expect((loaded.raw.network as Record<string, unknown>).nodes).toBe(100);
  });

  it('no sweep: one point with no assignments', () => {
    const loaded = parseScenarioText(MINIMAL, 'x.yaml', registry);
    const points = expandSweep(loaded.raw, registry, loaded);
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ index: 0, assignments: {} });
    expect(points[0]!.scenario).toEqual(loaded.scenario);
  });

  it('unit strings and array indices can be swept', () => {
    const loaded = parseScenarioText(`${MINIMAL}  interval: 1s
sweep:
  parameters:
    - path: protocol.interval
      values: [500ms, 2s]
`, 'x.yaml', registry);
    const points = expandSweep(loaded.raw, registry, loaded);
    expect(points.map((p) => p.scenario.protocol)).toEqual([
      { name: 'gossip', blockSize: 1_000_000, interval: 500_000, count: 20 },
      { name: 'gossip', blockSize: 1_000_000, interval: 2_000_000, count: 20 },
    ]);
    const withIndex = parseScenarioText(`${MINIMAL.replace('nodes: 10', 'nodes: 10\n  partitions:\n    - {start: 1m, end: 2m, split: 0.5}')}sweep:
  parameters:
    - path: network.partitions.0.end
      values: [3m, 4m]
`, 'x.yaml', registry);
    expect(expandSweep(withIndex.raw, registry, withIndex).map((p) => p.scenario.network.partitions[0]!.end)).toEqual([180_000_000, 240_000_000]);
  });

  it('range values are exact decimals and include the end', () => {
    expect(rangeValues({ from: 0, to: 0.3, step: 0.1 })).toEqual([0, 0.1, 0.2, 0.3]);
    expect(rangeValues({ from: 1, to: 10, step: 4 })).toEqual([1, 5, 9]);
    expect(rangeValues({ from: 2, to: 2, step: 1 })).toEqual([2]);
  });

  it('a bad swept value names the sweep entry and the point', () => {
    const loaded = loadScenario(fixture('sweep-bad.yaml'), { registry });
    const err = scenarioError(() => expandSweep(loaded.raw, registry, loaded));
    const f = fixture('sweep-bad.yaml');
    expect(err.problems.map(formatProblem)).toEqual([
      `${f}:6:24: network.loss: expected a probability from 0 to 1, got 1.5 (sweep point 4: network.loss = 1.5 from sweep.parameters.0.values.2, duration = "10m" from sweep.parameters.1.values.0)`,
      `${f}:8:21: duration: expected a positive duration with a unit, like '50ms' or '600s', got "1 hour": unknown unit "hour" — did you mean "1h"? (units: us, µs, ms, s, min, m, h, d) (sweep point 1: network.loss = 0 from sweep.parameters.0.values.0, duration = "1 hour" from sweep.parameters.1.values.1)`,
    ]);
  });

  it('a swept value that breaks a cross-field check points at the checked key and names the point', () => {
    const loaded = parseScenarioText(`${MINIMAL}faults:
  crashes:
    - {node: 7, at: 1m}
sweep:
  parameters:
    - path: network.nodes
      values: [10, 5]
`, 'x.yaml', registry);
    const err = scenarioError(() => expandSweep(loaded.raw, registry, loaded));
    expect(err.message).toBe(
      'x.yaml:9:8: faults.crashes.0.node: expected a node id from 0 to 4 (network.nodes is 5), got 7 (sweep point 1: network.nodes = 5 from sweep.parameters.0.values.1)',
    );
  });

  it('a path that does not exist, or a key the schema does not know', () => {
    const missing = parseScenarioText(`${MINIMAL}sweep:
  parameters:
    - path: network.partitions.2.end
      values: [1m]
`, 'x.yaml', registry);
    expect(scenarioError(() => expandSweep(missing.raw, registry, missing)).message).toBe(
      'x.yaml:9:7: sweep.parameters.0.path: cannot sweep "network.partitions.2.end": network.partitions does not exist, so it has no index 2',
    );
    const typo = parseScenarioText(`${MINIMAL}sweep:
  parameters:
    - path: network.los
      values: [0.1]
`, 'x.yaml', registry);
    expect(scenarioError(() => expandSweep(typo.raw, registry, typo)).message).toBe(
      'x.yaml:10:16: network.los: unknown key "los" — did you mean "loss"? (sweep point 0: network.los = 0.1 from sweep.parameters.0.values.0)',
    );
  });

  it('sweep section errors: both values and range, duplicate paths, bad range, unsweepable path', () => {
    const both = scenarioError(() => parseScenarioText(`${MINIMAL}sweep:
  parameters:
    - path: network.loss
      values: [0]
      range: {from: 0, to: 1, step: 0.5}
`, 'x.yaml', registry));
    expect(both.message).toBe('x.yaml:11:7: sweep.parameters.0.range: give either "values" or "range", not both');
    const badRange = scenarioError(() => parseScenarioText(`${MINIMAL}sweep:
  parameters:
    - path: network.loss
      range: {from: 1, to: 0, step: 0}
`, 'x.yaml', registry));
    expect(badRange.message).toBe('x.yaml:10:31: sweep.parameters.0.range.step: expected a number > 0, got 0');
    const dup = parseScenarioText(`${MINIMAL}sweep:
  parameters:
    - {path: network.loss, values: [0]}
    - {path: network.loss, values: [1]}
`, 'x.yaml', registry);
    expect(scenarioError(() => expandSweep(dup.raw, registry, dup)).message).toBe(
      'x.yaml:10:8: sweep.parameters.1.path: "network.loss" is already swept by sweep.parameters.0',
    );
    const self = scenarioError(() => parseScenarioText(`${MINIMAL}sweep:
  parameters:
    - {path: sweep.trials, values: [1]}
`, 'x.yaml', registry));
    expect(self.message).toBe('x.yaml:9:8: sweep.parameters.0.path: "sweep.trials" cannot be swept');
  });
});
