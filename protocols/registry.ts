/**
 * Every protocol a scenario can name, by `protocol.name`. The CLI passes this registry to the
 * scenario loader (for validation and the JSON Schema) and to the runner. Adding a protocol is
 * one import and one entry here.
 */
import type { ProtocolModules } from '../sim/protocol.ts';

export const PROTOCOLS: ProtocolModules = {
};
