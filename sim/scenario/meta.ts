/**
 * Human-readable expectations attached to schemas.
 *
 * Zod's own issue messages ("Too small: expected number to be >=1") are not what a scenario
 * author should read. Every schema built by the scenario layer registers here the phrase that
 * completes "expected …" (e.g. "an integer ≥ 1", "a duration with a unit, like '50ms' or '600s'"),
 * and optionally a hint computed from the offending value ("add a unit: '600s'?").
 * The error formatter (errors.ts) looks schemas up in this registry before falling back to a
 * description derived from the schema's structure.
 *
 * This is a private zod registry, so nothing here leaks into the JSON Schema export.
 */
import { z } from 'zod';

export interface Expectation {
  /** Completes the sentence "expected …", e.g. "an integer from 1 to 100000". */
  expected: string;
  /** Optional extra advice for a particular wrong value; returned text is appended after "—". */
  hint?: (got: unknown) => string | undefined;
}

export const expectations = z.registry<Expectation>();

/** Registers `expected` (and an optional hint) for `schema` and returns the schema. */
export function expecting<T extends z.ZodType>(schema: T, expected: string, hint?: (got: unknown) => string | undefined): T {
  expectations.add(schema, hint ? { expected, hint } : { expected });
  return schema;
}
