/**
 * Every protocol a scenario can name, by `protocol.name`. The CLI passes this registry to the
 * scenario loader (for validation and the JSON Schema) and to the runner. Adding a protocol is
 * one import and one entry here.
 */
import type { z } from 'zod';
import type { ProtocolModule, ProtocolModules } from '../sim/protocol.ts';
import { dposModule } from './dpos/module.ts';
import { gossipModule } from './gossip/gossip.ts';
import { pbftModule } from './pbft/module.ts';
import { powModule } from './pow/module.ts';
import { settlementModule } from './settlement/module.ts';

/**
 * Interim, until pow declares its own `mutants` (its fork choice is being moved behind an
 * extension point): the `pow-height` mutant is still the scenario setting
 * `protocol.forkChoice: height`, declared here through the same mutant extension point so that
 * `medsim check` reaches it like any other (and its control runs the scenario as written).
 * Mutants pow declares itself take precedence; delete this once `pow-height` is among them.
 */
const pow: ProtocolModule<any, any> = {
  ...powModule,
  mutants: {
    'pow-height': {
      description: 'fork choice by height instead of cumulative work (Bitcoin whitepaper §4: the chain with the most proof-of-work wins)',
      invariant: 'confirmed-not-reversed',
      build: (scenario, seed) => powModule.build({ ...scenario, protocol: { ...scenario.protocol, forkChoice: 'height' } }, seed),
    },
    ...(powModule as ProtocolModule<any, any>).mutants,
  },
};

export const PROTOCOLS: ProtocolModules = {
  dpos: dposModule,
  gossip: gossipModule,
  pbft: pbftModule,
  pow,
  settlement: settlementModule,
};

/** The protocol sections' schemas, keyed by name, for the scenario loader. */
export function protocolSchemas(modules: ProtocolModules = PROTOCOLS): Record<string, z.ZodObject> {
  return Object.fromEntries(Object.entries(modules).map(([name, m]) => [name, m.schema]));
}
