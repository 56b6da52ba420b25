import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import { ScenarioError } from '../../sim/scenario/errors.ts';
import { parseScenarioText } from '../../sim/scenario/load.ts';
import { integer } from '../../sim/scenario/schema.ts';
import { duration, size } from '../../sim/units.ts';


/** A small protocol section for loader tests (independent of the real protocols, so their changes never break these tests). */
export const gossipProtocolSchema = z
  .strictObject({
    name: z.literal('gossip'),
    blockSize: size({ positive: true }).prefault('1MB').describe('Size of each block (e.g. "1MB"; bytes after parsing). Default 1MB.'),
    interval: duration({ positive: true }).prefault('10s').describe('Time between two blocks (e.g. "10s"; µs after parsing). Default 10s.'),
    count: integer({ min: 1 }).default(20).describe('Number of blocks broadcast (integer ≥ 1). Default 20.'),
  })
  .describe('Built-in flooding gossip: a block of `blockSize` every `interval`, `count` blocks, relayed by every node.');

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'scenarios');
export const fixture = (name: string) => path.join(FIXTURES, name);

/** A second protocol, as a protocol module would register it. */
export const pbftProtocolSchema = z.strictObject({
  name: z.literal('pbft'),
  replicas: integer({ min: 4 }).describe('Number of replicas (integer ≥ 4).'),
  viewTimeout: duration({ positive: true }).prefault('2s').describe('View-change timeout (duration; µs after parsing).'),
});

export const registry = { gossip: gossipProtocolSchema, pbft: pbftProtocolSchema };

/** A minimal valid scenario; tests append or replace lines. */
export const MINIMAL = `name: t
duration: 1h
network:
  nodes: 10
protocol:
  name: gossip
`;

/** Runs `fn`, expects a ScenarioError, returns it. */
export function scenarioError(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error('expected a ScenarioError, but nothing was thrown');
}

/** The ScenarioError for scenario text, parsed as file `file` (default "x.yaml"). */
export function errorFor(text: string, file = 'x.yaml'): ScenarioError {
  return scenarioError(() => parseScenarioText(text, file, registry));
}

/** Zod's own wording and JSON must never reach the user. */
export function expectNoZodLeak(err: ScenarioError): void {
  expect(err.message).not.toMatch(/Invalid input|Too small|Too big|Invalid option|"code"|unrecognized_keys|invalid_type|\[object Object\]/);
}
