import { pbftModule } from '../../protocols/pbft/module.ts';
import { withMutant } from '../../sim/protocol.ts';
import { buildSimulation, runScenario } from '../../sim/runner.ts';
import { validateScenario } from '../../sim/scenario/load.ts';

export const REGISTRY = { pbft: pbftModule };

/** A validated PBFT scenario: uniform LAN, full mesh, enough nodes for committee + clients (+ twin). */
export function pbftScenario(protocol: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const committee = (protocol.committee as number | undefined) ?? 4;
  const clients = (protocol.clients as number | undefined) ?? 2;
  const raw = {
    name: 'pbft-test',
    seed: 1,
    duration: '8s',
    network: { nodes: committee + clients + 1, regions: { preset: 'uniform-lan' }, jitter: 0.1, topology: { kind: 'full-mesh' } },
    protocol: { name: 'pbft', ...protocol },
    ...extra,
  };
  return validateScenario(raw, { pbft: pbftModule.schema }) as any;
}

export function runPbft(protocol: Record<string, unknown>, extra: Record<string, unknown> = {}, seed?: number) {
  const s = pbftScenario(protocol, extra);
  return runScenario(s, REGISTRY, seed ?? s.seed);
}

/** Runs a scenario with one of `pbftModule.mutants` (the harness's extension point). */
export function runPbftMutant(mutant: string, protocol: Record<string, unknown>, extra: Record<string, unknown> = {}, seed?: number) {
  const s = pbftScenario(protocol, extra);
  return runScenario(s, withMutant(REGISTRY, 'pbft', mutant), seed ?? s.seed);
}

export function buildPbft(protocol: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return buildSimulation(pbftScenario(protocol, extra), REGISTRY);
}
