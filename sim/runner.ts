/**
 * Runs one resolved scenario: builds the network and the protocol's nodes, schedules the
 * scenario's crash faults, runs the kernel and collects the summary.
 *
 * Deterministic: the result (trace hash, metrics, summary) depends only on the scenario and the
 * seed. Wall-clock time is measured by callers (CLI, sweeps), never here.
 */
import { Simulation, type RunResult } from './kernel.ts';
import type { NetworkOptions } from './network.ts';
import type { ProtocolModules } from './protocol.ts';
import { REGION_PRESETS, type RegionTable } from './regions.ts';
import type { Scenario } from './scenario/schema.ts';

export interface ScenarioRun {
  result: RunResult;
  /** Protocol-specific results (from the module's `summarize`). */
  protocol: Record<string, unknown>;
}

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
    topology: net.topology.kind === 'random' ? { kind: 'random', degree: net.topology.degree } : net.topology.kind === 'full-mesh' ? { kind: 'full-mesh' } : { kind: 'explicit', edges: net.topology.edges },
    partitions: net.partitions.map((p) => ({ startUs: p.start, endUs: p.end, groups: p.groups, split: p.split, direction: p.direction })),
    clogs: net.clogs.map((c) => ({ startUs: c.start, endUs: c.end, from: c.from, to: c.to, delayUs: c.delay })),
  };
}

/** Builds the simulation for a scenario without running it (tests and tools step it themselves). */
export function buildSimulation(scenario: Scenario, modules: ProtocolModules, seed = scenario.seed) {
  const module = modules[scenario.protocol.name];
  if (!module) throw new Error(`unknown protocol "${scenario.protocol.name}"`);
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

/** Runs a scenario to its end and summarises it. */
export function runScenario(scenario: Scenario, modules: ProtocolModules, seed = scenario.seed): ScenarioRun {
  const { sim, run } = buildSimulation(scenario, modules, seed);
  const result = sim.run();
  return { result, protocol: run.summarize?.(sim, result) ?? {} };
}
