/**
 * Runs one resolved scenario: builds the network and the protocol's nodes, schedules the
 * scenario's crash faults, runs the kernel and collects the summary.
 *
 * Deterministic: the result (trace hash, metrics, summary) depends only on the scenario and the
 * seed. Wall-clock time is measured by callers (CLI, sweeps), never here.
 */
import { Simulation, type RunResult } from './kernel.ts';
import type { NetworkOptions, TopologyOptions } from './network.ts';
import type { HeadlineKind, HeadlineTheory, ProtocolModule, ProtocolModules, TimelineSpec } from './protocol.ts';
import { DEGREE_PRESETS, REGION_PRESETS, type RegionTable } from './regions.ts';
import type { Scenario } from './scenario/schema.ts';
import type { Micros, NodeId, Observation, Observer } from './types.ts';

export interface ScenarioRun {
  result: RunResult;
  /** Protocol-specific results (from the module's `summarize`). */
  protocol: Record<string, unknown>;
  /** The protocol's headline outcomes in this run, in the module's order (those that apply). */
  headline: HeadlineValue[];
  /** Progress marks over virtual time (only when asked for with `{ timeline: true }`). */
  timeline?: TimelineEntry[];
}

/** One headline outcome's value in one run, with what a reader needs to understand it. */
export interface HeadlineValue {
  name: string;
  label: string;
  kind: HeadlineKind;
  unit?: string;
  categories?: readonly string[];
  value: string | number;
  /** The closed form at this scenario, when the protocol has one. */
  theory?: HeadlineTheory;
}

/** A timeline row: a progress series reaching `value` first, or a named event. */
export interface TimelineEntry {
  timeUs: Micros;
  series?: string;
  value?: number;
  event?: string;
}

/** Most timeline rows a run keeps (later marks are counted, not stored). */
export const MAX_TIMELINE_ROWS = 20_000;

/** Maps the scenario's `network:` section (units already parsed) onto kernel options. */
export function networkOptions(scenario: Scenario): NetworkOptions {
  const net = scenario.network;
  let regions: RegionTable;
  if (net.regions.custom) {
    const c = net.regions.custom;
    regions = {
      names: c.names,
      latencyMs: c.latency.map((row) => row.map((us) => us / 1000)), // the loader gives µs
      uploadBps: c.upload,
      downloadBps: c.download,
      distribution: c.distribution,
    };
  } else {
    regions = REGION_PRESETS[net.regions.preset ?? 'bitcoin-2019'];
  }
  return {
    nodes: net.nodes,
    regions,
    jitter: net.jitter,
    uploadBps: net.bandwidth?.upload,
    downloadBps: net.bandwidth?.download,
    loss: net.loss,
    duplication: net.duplication,
    topology: topologyOptions(net.topology),
    uploads: { mode: net.uploads.mode, controlBytes: net.uploads.controlBytes, controlDelayUs: net.uploads.controlDelay, bulkDelayUs: net.uploads.bulkDelay },
    latency: net.latency.distribution === 'pareto' ? { kind: 'pareto', gapUs: net.latency.paretoGap } : { kind: 'uniform' },
    partitions: net.partitions.map((p) => ({ startUs: p.start, endUs: p.end, groups: p.groups, split: p.split, direction: p.direction })),
    clogs: net.clogs.map((c) => ({ startUs: c.start, endUs: c.end, from: c.from, to: c.to, delayUs: c.delay })),
  };
}

function topologyOptions(t: Scenario['network']['topology']): TopologyOptions {
  switch (t.kind) {
    case 'random':
      return { kind: 'random', degree: t.degree };
    case 'random-degrees':
      return { kind: 'random-degrees', outboundShares: typeof t.outbound === 'string' ? DEGREE_PRESETS[t.outbound] : t.outbound };
    case 'full-mesh':
      return { kind: 'full-mesh' };
    case 'explicit':
      return { kind: 'explicit', edges: t.edges };
  }
}

function moduleOf(scenario: Scenario, modules: ProtocolModules): ProtocolModule<any, any> {
  const module = modules[scenario.protocol.name];
  if (!module) throw new Error(`unknown protocol "${scenario.protocol.name}"`);
  return module;
}

/** Builds the simulation for a scenario without running it (tests and tools step it themselves). */
export function buildSimulation(scenario: Scenario, modules: ProtocolModules, seed = scenario.seed) {
  const module = moduleOf(scenario, modules);
  const run = module.build(scenario, seed);
  const sim = new Simulation({
    seed,
    network: networkOptions(scenario),
    createNode: run.createNode,
    endTimeUs: scenario.duration,
    maxEvents: scenario.maxEvents,
    observers: run.observers,
  });
  for (const crash of scenario.faults.crashes) {
    sim.at(crash.at, `crash/${crash.node}`, () => sim.crash(crash.node));
    if (crash.recoverAt !== undefined) sim.at(crash.recoverAt, `recover/${crash.node}`, () => sim.recover(crash.node));
  }
  run.install?.(sim);
  return { sim, run };
}

/**
 * Reads the module's headline outcomes from one run's protocol summary; outcomes that do not
 * apply (read returns null/undefined, or a number that is not finite) are left out.
 */
export function headlineValues(module: ProtocolModule<any, any>, scenario: Scenario, protocol: Record<string, unknown>, result: RunResult): HeadlineValue[] {
  const out: HeadlineValue[] = [];
  const info = { stopReason: result.stopReason, violation: result.violation ? { kind: result.violation.kind, invariant: result.violation.invariant } : null, simTimeUs: result.simTimeUs };
  for (const h of module.headline ?? []) {
    const value = h.read(protocol, info);
    if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) continue;
    const theory = h.theory?.(scenario);
    out.push({ name: h.name, label: h.label, kind: h.kind, ...(h.unit ? { unit: h.unit } : {}), ...(h.categories ? { categories: h.categories } : {}), value, ...(theory ? { theory } : {}) });
  }
  return out;
}

/** Records the module's timeline marks: the first time each (series, value) is reached, and every event. */
class TimelineRecorder implements Observer {
  readonly name = 'timeline';
  readonly rows: TimelineEntry[] = [];
  dropped = 0;
  private readonly seen = new Set<string>();
  constructor(private readonly mark: TimelineSpec['mark']) {}
  onObservation(node: NodeId, obs: Observation, now: Micros): undefined {
    const m = this.mark(node, obs);
    if (!m) return undefined;
    if ('series' in m) {
      const key = `${m.series}\u0000${m.value}`;
      if (this.seen.has(key)) return undefined;
      this.seen.add(key);
    }
    if (this.rows.length >= MAX_TIMELINE_ROWS) this.dropped++;
    else this.rows.push({ timeUs: now, ...m });
    return undefined;
  }
}

/** Runs a scenario to its end and summarises it; `timeline: true` also records the progress marks. */
export function runScenario(scenario: Scenario, modules: ProtocolModules, seed = scenario.seed, options: { timeline?: boolean } = {}): ScenarioRun {
  const { sim, run } = buildSimulation(scenario, modules, seed);
  const module = moduleOf(scenario, modules);
  const spec = options.timeline ? module.timeline?.(scenario) : undefined;
  // Appended last: it never returns a violation, so checkers see every observation first.
  const recorder = spec ? new TimelineRecorder((node, obs) => spec.mark(node, obs)) : undefined;
  if (recorder) sim.observe(recorder);
  const result = sim.run();
  const protocol = run.summarize?.(sim, result) ?? {};
  const out: ScenarioRun = { result, protocol, headline: headlineValues(module, scenario, protocol, result) };
  if (recorder && spec) {
    const events = spec.fromSummary?.(protocol) ?? [];
    out.timeline = [...recorder.rows, ...events.filter((e) => e.timeUs >= 0).map((e) => ({ timeUs: e.timeUs, event: e.event }))].sort((a, b) => a.timeUs - b.timeUs);
  }
  return out;
}
