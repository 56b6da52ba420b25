/**
 * JSON Schema export of the scenario format, for editor autocompletion and validation
 * (e.g. a `# yaml-language-server: $schema=…` comment at the top of a scenario file).
 *
 * Draft 2020-12, produced by zod's `z.toJSONSchema` on the input side of the schema, so unit
 * fields appear as strings (with a pattern and examples), defaults as written ("10s", not µs),
 * and every mapping has `additionalProperties: false`.
 */
import { z } from 'zod';
import { buildScenarioSchema } from './schema.ts';
import type { ProtocolRegistry } from './schema.ts';

/** The JSON Schema (draft 2020-12) of scenario files for this protocol registry. */
export function scenarioJsonSchema(registry: ProtocolRegistry): Record<string, unknown> {
  const schema = buildScenarioSchema(registry);
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: json.$schema,
    title: 'medchain-sim scenario',
    ...json,
    additionalProperties: false,
  };
}
