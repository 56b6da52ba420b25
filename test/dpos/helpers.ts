import { dposModule } from '../../protocols/dpos/module.ts';
import { buildSimulation, runScenario } from '../../sim/runner.ts';
import { validateScenario } from '../../sim/scenario/load.ts';

export const REGISTRY = { dpos: dposModule };

/** A validated small DPoS scenario on a uniform LAN (nodes: enough for candidates + institutions). */
export function dposScenario(protocol: Record<string, unknown>, extra: Record<string, unknown> = {}, nodes = 400) {
  const raw = {
    name: 'dpos-test',
    seed: 1,
    duration: '12s',
    network: { nodes, regions: { preset: 'uniform-lan' }, jitter: 0.1, topology: { kind: 'full-mesh' } },
    protocol: { name: 'dpos', ...protocol },
    ...extra,
  };
  return validateScenario(raw, { dpos: dposModule.schema }) as any;
}

export function runDpos(protocol: Record<string, unknown>, extra: Record<string, unknown> = {}, seed?: number, nodes?: number) {
  const s = dposScenario(protocol, extra, nodes);
  return runScenario(s, REGISTRY, seed ?? s.seed);
}

export function buildDpos(protocol: Record<string, unknown>, extra: Record<string, unknown> = {}, nodes?: number) {
  return buildSimulation(dposScenario(protocol, extra, nodes), REGISTRY);
}
