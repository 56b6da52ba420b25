/**
 * Sweep trial module: runs one sweep point's scenario with the kernel (sim/runner.ts) at the
 * trial's seed. Options `{registryModule?}`: path (absolute or relative to the project) of a module exporting `PROTOCOLS`
 * (default protocols/registry.ts), so tests can sweep fixture protocols.
 *
 * Result: trace hash, events, simulated time, stop reason, whether an invariant was violated
 * (and which), the metrics (counters, gauge values, histogram summaries) and the protocol's own
 * summary. Violations are results (counted per point), not failed trials; a trial fails only when
 * the code throws.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../sim/results.ts';
import type { ProtocolModules } from '../../sim/protocol.ts';
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { TrialTask } from '../trial.ts';

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
  const { result, protocol } = runScenario(task.point.params, protocols, task.seed);
  const m = result.metrics;
  const gauges: Record<string, number> = {};
  for (const [k, g] of Object.entries(m.gauges)) gauges[k] = g.value;
  return {
    traceHash: result.traceHash,
    events: result.events,
    simTimeUs: result.simTimeUs,
    stopReason: result.stopReason,
    violated: Boolean(result.violation),
    violation: result.violation ? `${result.violation.kind}: ${result.violation.invariant}: ${result.violation.message}` : null,
    counters: m.counters,
    gauges,
    histograms: m.histograms,
    protocol,
  };
}
