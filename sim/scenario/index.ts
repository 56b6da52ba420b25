/** The scenario-file layer: schema, loader, errors, JSON Schema export. See docs/scenarios.md. */
export { ScenarioError, formatProblem, didYouMean } from './errors.ts';
export type { ScenarioProblem } from './errors.ts';
export {
  loadScenario, parseScenarioText, validateScenario, expandSweep, deepMerge, getPath, setPath, splitPath, parseOverride, rangeValues,
  MAX_SWEEP_POINTS,
} from './load.ts';
export type { LoadedScenario, LoadOptions, ScenarioSource, SweepPoint } from './load.ts';
export {
  buildScenarioSchema, integer, fraction, probability, nodeId, REGION_PRESETS, MAX_SWEEP_RANGE_VALUES,
} from './schema.ts';
export type { ProtocolRegistry, ProtocolConfig, Scenario, ScenarioOf, ScenarioInput, RegionPreset } from './schema.ts';
export { scenarioJsonSchema } from './json-schema.ts';
export { expecting } from './meta.ts';
export type { Expectation } from './meta.ts';
export type { LocNode, SourcePos } from './yaml.ts';
export { SCENARIO_LIMITS } from './yaml.ts';
