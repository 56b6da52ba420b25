/**
 * Safety suites: `scenarios/safety/*.yaml`.
 *
 * A suite names a base scenario (a protocol and its network), fixed overrides, and a fault
 * model: a list of draws that each seed makes from itself — which adversary, how many faulty
 * nodes, partition shapes, clogs, crashes and their timings. Many seeds therefore explore many
 * fault mixes (the swarm-testing idea of TigerBeetle's VOPR), and any single seed replays
 * exactly. A suite also lists its mutants: deliberately broken protocol variants the harness
 * must catch. A mutant is declared by its protocol (`ProtocolModule.mutants`, reached by name);
 * the suite only names it and pins, with `set`, the setting in which it must be caught. That
 * setting applies to the mutant run and to its control (the honest protocol on the same seeds)
 * alike, so a catch can only come from the mutant.
 *
 * Suite file (all durations as unit strings):
 *
 *   suite: pbft-byzantine
 *   description: …
 *   scenario: ../pbft-default.yaml       # base scenario, relative to this file
 *   set: { protocol.batch: 10 }          # fixed overrides (dot paths)
 *   expect: safe                         # safe | violation (a suite that must find one)
 *   invariants: [agreement, validity, total-order, no-revert, liveness]
 *   faults:                              # drawn per seed, in order
 *     - { path: protocol.committee, oneOf: [4, 7, 10, 13, 16] }
 *     - { path: protocol.adversaries.0.count, bftFaults: protocol.committee }   # f of the drawn k
 *     - { path: protocol.clients, int: [1, protocol.committee] }              # bounds may be paths
 *     - { partitions: { max: 2, start: [1s, 20s], length: [1s, 10s] } }
 *     - { clogs: { max: 2, start: [1s, 20s], length: [1s, 5s], delay: [100ms, 2s] } }
 *     - { crashes: { max: 1, at: [1s, 20s], downtime: [1s, 10s] } }
 *   shrink: [{ path: protocol.committee, min: 4 }]   # numbers the shrinker may reduce
 *   mutants:                             # names the scenario's protocol declares
 *     commit-quorum-2f:
 *       why: …                           # why this setting exposes it
 *       set: { protocol.committee: 4 }   # pinned after the draws, for mutant and control alike
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../../sim/units.ts';

/** A duration string, checked with the scenario files' own unit parser. */
const durationText = z.string().refine((t) => {
  try {
    parseDuration(t);
    return true;
  } catch {
    return false;
  }
}, 'a duration with a unit, like "500ms", "10s" or "2d"');
const durationRange = z.tuple([durationText, durationText]).describe('[min, max] durations, drawn uniformly');

export const faultDrawSchema = z.union([
  z.strictObject({ path: z.string(), oneOf: z.array(z.unknown()).min(1).describe('pick one value uniformly') }),
  z.strictObject({
    path: z.string(),
    int: z.tuple([z.union([z.number().int(), z.string()]), z.union([z.number().int(), z.string()])]).describe('uniform integer in [lo, hi]; a bound may be a dot path read from the scenario'),
  }),
  z.strictObject({ path: z.string(), bftFaults: z.string().describe('sets f = ⌊(k − 1)/3⌋ where k is the number at this dot path (a BFT committee size)') }),
  z.strictObject({ path: z.string(), uniform: z.tuple([z.number(), z.number()]).describe('uniform number in [lo, hi)') }),
  z.strictObject({ path: z.string(), duration: durationRange }),
  z.strictObject({
    partitions: z.strictObject({
      max: z.number().int().min(0).describe('at most this many partitions'),
      start: durationRange,
      length: durationRange,
      oneWay: z.number().min(0).max(1).default(0.3).describe('probability a partition is one-way'),
    }),
  }),
  z.strictObject({
    clogs: z.strictObject({
      max: z.number().int().min(0),
      start: durationRange,
      length: durationRange,
      delay: durationRange,
    }),
  }),
  z.strictObject({
    crashes: z.strictObject({
      max: z.number().int().min(0),
      at: durationRange,
      downtime: durationRange.describe('time until recovery; a crashed node always recovers'),
      nodes: z.tuple([z.number().int().min(0), z.number().int().min(0)]).optional().describe('node-id range to crash (default: all nodes)'),
    }),
  }),
]);

export type FaultDraw = z.output<typeof faultDrawSchema>;

export const suiteSchema = z.strictObject({
  suite: z.string().regex(/^[a-z0-9-]+$/).describe('suite name'),
  description: z.string(),
  scenario: z.string().describe('base scenario file, relative to the suite file'),
  set: z.record(z.string(), z.unknown()).default({}).describe('fixed overrides by dot path'),
  expect: z.enum(['safe', 'violation']).default('safe').describe('safe: every seed must pass; violation: the suite exists to show a violation is found'),
  invariants: z.array(z.string()).min(1).describe('the invariants this suite checks (names the protocol checkers report); only a safety violation of one of them counts as an expected violation or as catching a mutant'),
  faults: z.array(faultDrawSchema).default([]),
  shrink: z.array(z.strictObject({ path: z.string(), min: z.number() })).default([]),
  mutants: z
    .record(
      z.string().regex(/^[a-z0-9-]+$/),
      z.strictObject({
        why: z.string().optional().describe('why this setting exposes the mutant'),
        set: z.record(z.string(), z.unknown()).default({}).describe('overrides by dot path, applied after the draws to the mutant run and its control alike'),
      }),
    )
    .default({})
    .describe("mutants the scenario's protocol declares (ProtocolModule.mutants), each with the setting that must expose it"),
});

export type Suite = z.output<typeof suiteSchema> & { file: string; scenarioFile: string };

/** Loads and validates a suite file; throws with the file name on any problem. */
export function loadSuite(file: string): Suite {
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SuiteError(`${file}: ${(err as Error).message}`);
  }
  const parsed = suiteSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new SuiteError(lines.join('\n'));
  }
  return { ...parsed.data, file: path, scenarioFile: resolve(dirname(path), parsed.data.scenario) };
}

/** A suite file problem (exit code 2). */
export class SuiteError extends Error {}
