/**
 * Sweep trial module: runs one sweep point's scenario with the kernel (sim/runner.ts) at the
 * trial's seed. Options `{registryModule?}`: path (absolute or relative to the project) of a module exporting `PROTOCOLS`
 * (default protocols/registry.ts), so tests can sweep fixture protocols.
 *
 * Result: trace hash, events, simulated time, stop reason, the protocol's headline outcomes
 * (`headline: {name: value}`, sim/protocol.ts), the violation that stopped the run
 * (`violation: {kind, invariant, message, timeUs}` or null), the metrics (counters, gauge values,
 * histogram summaries) and the protocol's own summary. Violations are results — counted per point
 * and per invariant, each with a replay line — not failed trials; a trial fails only when the
 * code throws.
 *
 * `summarizePoint` puts the headline outcomes first (analysis/outcomes.ts: categories as shares
 * with Wilson intervals, numbers as means with t intervals, the protocol's closed form beside
 * them), then the violations per invariant, then every numeric field as before.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../sim/results.ts';
import type { ProtocolModules } from '../../sim/protocol.ts';
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import { aggregateHeadline, aggregateViolations, type TrialViolation } from '../outcomes.ts';
import { defaultSummarizePoint } from '../summarize.ts';
import type { TrialPoint, TrialTask } from '../trial.ts';

export interface ScenarioTrialOptions {
  registryModule?: string | null;
}

const registries = new Map<string, Promise<ProtocolModules>>();

export function loadRegistry(path?: string | null): Promise<ProtocolModules> {
  const key = path ?? '';
  let r = registries.get(key);
  if (!r) {
    r = (path ? import(pathToFileURL(resolve(PROJECT_ROOT, path)).href) : import('../../protocols/registry.ts')).then((m: { PROTOCOLS: ProtocolModules }) => m.PROTOCOLS);
    registries.set(key, r);
  }
  return r;
}

export async function runTrial(task: TrialTask<Scenario, ScenarioTrialOptions | null>): Promise<Record<string, unknown>> {
  const protocols = await loadRegistry(task.options?.registryModule);
  const { result, protocol, headline } = runScenario(task.point.params, protocols, task.seed);
  const m = result.metrics;
  const gauges: Record<string, number> = {};
  for (const [k, g] of Object.entries(m.gauges)) gauges[k] = g.value;
  const v = result.violation;
  const violation: TrialViolation | null = v ? { kind: v.kind, invariant: v.invariant, message: v.message, timeUs: v.time ?? result.simTimeUs } : null;
  return {
    traceHash: result.traceHash,
    events: result.events,
    simTimeUs: result.simTimeUs,
    stopReason: result.stopReason,
    headline: Object.fromEntries(headline.map((h) => [h.name, h.value])),
    violated: Boolean(v),
    violation,
    counters: m.counters,
    gauges,
    histograms: m.histograms,
    protocol,
  };
}

/** Per-point summary: headline outcomes first, then violations per invariant, then every numeric field. */
export async function summarizePoint(results: Record<string, unknown>[], point: TrialPoint<Scenario>, options: ScenarioTrialOptions | null): Promise<Record<string, unknown>> {
  const protocols = await loadRegistry(options?.registryModule);
  const module = protocols[point.params.protocol.name];
  const metas = (module?.headline ?? []).map(({ name, label, kind, unit, categories }) => ({ name, label, kind, ...(unit ? { unit } : {}), ...(categories ? { categories } : {}) }));
  const theory = Object.fromEntries((module?.headline ?? []).map((h) => [h.name, h.theory?.(point.params)]));
  const rest = results.map(({ headline: _h, violation: _v, ...r }) => r);
  return {
    headline: aggregateHeadline(metas, results.map((r) => r.headline as Record<string, unknown> | undefined), theory),
    violations: aggregateViolations(results.map((r) => r.violation as TrialViolation | null)),
    ...defaultSummarizePoint(rest),
  };
}
