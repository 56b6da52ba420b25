/**
 * Every protocol a scenario can name, by `protocol.name`. The CLI passes this registry to the
 * scenario loader (for validation and the JSON Schema) and to the runner. Adding a protocol is
 * one import and one entry here.
 */
import type { z } from 'zod';
import type { ProtocolModules } from '../sim/protocol.ts';
import { channelsModule } from './channels/module.ts';
import { dposModule } from './dpos/module.ts';
import { gossipModule } from './gossip/gossip.ts';
import { pbftModule } from './pbft/module.ts';
import { powModule } from './pow/module.ts';
import { ringchainModule } from './ringchain/module.ts';
import { settlementModule } from './settlement/module.ts';

export const PROTOCOLS: ProtocolModules = {
  channels: channelsModule,
  dpos: dposModule,
  gossip: gossipModule,
  pbft: pbftModule,
  pow: powModule,
  ringchain: ringchainModule,
  settlement: settlementModule,
};

/** The protocol sections' schemas, keyed by name, for the scenario loader. */
export function protocolSchemas(modules: ProtocolModules = PROTOCOLS): Record<string, z.ZodObject> {
  return Object.fromEntries(Object.entries(modules).map(([name, m]) => [name, m.schema]));
}
