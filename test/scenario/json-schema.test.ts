import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../sim/scenario/json-schema.ts';
import { registry } from './helpers.ts';

type Json = Record<string, any>;

const schema = scenarioJsonSchema(registry) as Json;

describe('JSON Schema export', () => {
  it('is draft 2020-12 with a title and no extra top-level keys', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toBe('medchain-sim scenario');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'duration', 'network', 'protocol']));
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['name', 'description', 'seed', 'duration', 'maxEvents', 'network', 'faults', 'protocol', 'sweep', 'extends']),
    );
  });

  it('unit fields are strings with descriptions, patterns and defaults as written', () => {
    expect(schema.properties.duration).toMatchObject({ type: 'string', description: expect.stringContaining('µs after parsing') });
    expect(schema.properties.duration.pattern).toBeTypeOf('string');
    expect(new RegExp(schema.properties.duration.pattern).test('1.5s')).toBe(true);
    expect(new RegExp(schema.properties.duration.pattern).test('50 mz')).toBe(false);
    const gossip = schema.properties.protocol.oneOf.find((o: Json) => o.properties.name.const === 'gossip');
    expect(gossip.properties.interval).toMatchObject({ type: 'string', default: '10s' });
    expect(gossip.properties.blockSize).toMatchObject({ type: 'string', default: '1MB' });
    expect(gossip.additionalProperties).toBe(false);
  });

  it('every mapping forbids extra keys and every property is described', () => {
    const undocumented: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${where}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      const n = node as Json;
      if (n.type === 'object' && n.properties) {
        expect(n.additionalProperties, where).toBe(false);
        for (const [k, v] of Object.entries(n.properties as Json)) {
          const described = typeof (v as Json).description === 'string' || k === 'name' || k === 'kind';
          if (!described) undocumented.push(`${where}.${k}`);
        }
      }
      for (const [k, v] of Object.entries(n)) visit(v, `${where}/${k}`);
    };
    visit(schema, '#');
    expect(undocumented).toEqual([]);
  });

  it('network keys and protocols are present', () => {
    const net = schema.properties.network;
    expect(Object.keys(net.properties)).toEqual(['nodes', 'regions', 'jitter', 'bandwidth', 'loss', 'duplication', 'latency', 'uploads', 'topology', 'partitions', 'clogs']);
    expect(net.properties.nodes).toMatchObject({ type: 'integer', minimum: 1, maximum: 100000 });
    expect(net.properties.loss.default).toBe(0);
    expect(schema.properties.protocol.oneOf.map((o: Json) => o.properties.name.const).sort()).toEqual(['gossip', 'pbft']);
    expect(net.properties.topology.oneOf.map((o: Json) => o.properties.kind.const)).toEqual(['random', 'random-degrees', 'full-mesh', 'explicit']);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

describe('docs/scenarios.md', () => {
  it('mentions every key of the core schema', () => {
    const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    const doc = readFileSync(path.join(root, 'docs', 'scenarios.md'), 'utf8');
    const keys = new Set<string>();
    const visit = (node: unknown) => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (node === null || typeof node !== 'object') return;
      const n = node as Json;
      if (n.properties) for (const k of Object.keys(n.properties)) keys.add(k);
      Object.values(n).forEach(visit);
    };
    const core = { ...schema, properties: { ...schema.properties, protocol: {} } };
    visit(core);
    // A key counts as documented when it appears in code style, alone or at the end of a path (`crashes[].node`).
    const missing = [...keys].filter((k) => !new RegExp(`\`(?:[\\w.\\[\\]]*[.\\]])?${k}\``).test(doc));
    expect(missing).toEqual([]);
  });
});
