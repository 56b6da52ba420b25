/**
 * The compiled contracts the engine recognises: `compiled.json`, written by compile.ts from
 * sol/*.sol with the pinned solc-js (test/ringchain/contracts-compile.test.ts recompiles and
 * compares byte for byte).
 *
 * The engine needs from it: the init code (to recognise a deployment's Tc and split off the
 * constructor arguments), the runtime code with the offsets where solc puts each immutable (to
 * build the stored code and its hash exactly as the EVM would), its length (code-deposit gas) and
 * the storage slots of each state variable (to lay storage out as solc does).
 */
import { hexToBytes } from '../../crypto/encoding.ts';
import type { ContractKind } from './api.ts';
import artefactJson from './compiled.json' with { type: 'json' };

export interface ContractCode {
  readonly kind: ContractKind;
  /** Solidity contract name. */
  readonly name: string;
  /** Init bytecode; a deployment's Tc is this followed by the constructor arguments. */
  readonly initCode: Uint8Array;
  /** Runtime code with every immutable zeroed (a template). */
  readonly runtimeTemplate: Uint8Array;
  /** Immutable name → byte offsets of its 32-byte value in the runtime code. */
  readonly immutables: Readonly<Record<string, readonly number[]>>;
  /** State variable name → storage slot. */
  readonly slots: Readonly<Record<string, bigint>>;
  /** Solidity function signature → 4-byte selector (as solc reports it). */
  readonly selectors: Readonly<Record<string, string>>;
}

export const KINDS: readonly ContractKind[] = ['RC', 'MRC', 'ALC'];

/** Compiler, EVM version and optimizer settings of the artefact. */
export const ARTEFACT_INFO = {
  compiler: artefactJson.compiler,
  evmVersion: artefactJson.evmVersion,
  optimizer: artefactJson.optimizer,
} as const;

function load(kind: ContractKind): ContractCode {
  const c = artefactJson.contracts[kind];
  const slots: Record<string, bigint> = {};
  for (const [name, v] of Object.entries(c.storage as Record<string, { slot: string; offset: number }>)) {
    slots[name] = BigInt(v.slot);
  }
  return {
    kind,
    name: c.name,
    initCode: hexToBytes(c.initCode),
    runtimeTemplate: hexToBytes(c.runtimeCode),
    immutables: c.immutables as Record<string, number[]>,
    slots,
    selectors: c.selectors as Record<string, string>,
  };
}

export const CODE: Readonly<Record<ContractKind, ContractCode>> = { RC: load('RC'), MRC: load('MRC'), ALC: load('ALC') };

/** The runtime code the EVM stores for a deployment: the template with each immutable's word written in. */
export function runtimeCode(kind: ContractKind, immutableWords: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const code = CODE[kind];
  const out = code.runtimeTemplate.slice();
  for (const [name, offsets] of Object.entries(code.immutables)) {
    const word = immutableWords[name];
    if (word === undefined || word.length !== 32) throw new Error(`${kind}: immutable ${name} needs a 32-byte word`);
    for (const at of offsets) out.set(word, at);
  }
  return out;
}
