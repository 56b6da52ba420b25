/**
 * Compiles the three record contracts (sol/*.sol) with solc-js and writes the reference artefact
 * `compiled.json` the engine recognises deployments by.
 *
 * solc-js (`solc` on npm, version pinned exactly in package.json) bundles the compiler as
 * `soljson.js`, so compiling downloads nothing. The settings below are part of the artefact: the
 * bytecode — and so every code hash and gas figure — depends on them.
 *
 *   npx tsx protocols/ringchain/contracts/compile.ts          # check compiled.json is current
 *   npx tsx protocols/ringchain/contracts/compile.ts --write  # regenerate it after editing sol/
 *
 * Not imported by the engine (the engine reads compiled.json); the tests import it to recompile and
 * compare.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import type { ContractKind } from './api.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = join(HERE, 'sol');
export const ARTEFACT_PATH = join(HERE, 'compiled.json');

/** The compiler version the artefact was built with (must equal solc-js's bundled compiler). */
export const SOLC_VERSION = '0.8.30+commit.73712a01';
/** The EVM version solc targets; the engine's gas schedule and the reference EVM use the same fork. */
export const EVM_VERSION = 'prague';

const SOURCES = ['AddressList.sol', 'Interfaces.sol', 'RegisterContract.sol', 'MedicalRecordContract.sol', 'AccessListContract.sol'];

/** Which Solidity contract implements which seed-001 contract. */
export const CONTRACT_NAMES: Readonly<Record<ContractKind, { file: string; name: string }>> = {
  RC: { file: 'RegisterContract.sol', name: 'RegisterContract' },
  MRC: { file: 'MedicalRecordContract.sol', name: 'MedicalRecordContract' },
  ALC: { file: 'AccessListContract.sol', name: 'AccessListContract' },
};

/** One compiled contract, as committed in compiled.json (hex without 0x). */
export interface CompiledContract {
  /** Solidity contract name. */
  name: string;
  /** Init bytecode (constructor + runtime code), hex. Tc = this ‖ ABI-encoded constructor arguments. */
  initCode: string;
  /** Runtime bytecode with every immutable's bytes zeroed, hex. */
  runtimeCode: string;
  /** Immutable name → byte offsets in the runtime code where solc places its 32-byte value. */
  immutables: Record<string, number[]>;
  /** Function signature → 4-byte selector, hex. */
  selectors: Record<string, string>;
  /** Storage layout: variable name → slot (decimal string) and byte offset within the slot. */
  storage: Record<string, { slot: string; offset: number; type: string }>;
  /** The ABI JSON, for tools. */
  abi: unknown[];
}

export interface Artefact {
  compiler: string;
  evmVersion: string;
  optimizer: { enabled: boolean; runs: number };
  contracts: Record<ContractKind, CompiledContract>;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<
    string,
    Record<
      string,
      {
        abi: unknown[];
        evm: {
          bytecode: { object: string };
          deployedBytecode: { object: string; immutableReferences: Record<string, { start: number; length: number }[]> };
          methodIdentifiers: Record<string, string>;
        };
        storageLayout: { storage: { label: string; slot: string; offset: number; type: string }[] };
      }
    >
  >;
  sources: Record<string, { id: number; ast: { nodes: { nodeType: string; name?: string; nodes?: { nodeType: string; name?: string; id: number }[] }[] } }>;
}

/** Compiles sol/*.sol with the pinned settings; throws with solc's messages on any error. */
export function compileContracts(): Artefact {
  const version = (solc.version() as string).replace(/\.Emscripten\.clang$/, '');
  if (version !== SOLC_VERSION) throw new Error(`solc-js bundles ${version}, the artefact expects ${SOLC_VERSION}`);
  const optimizer = { enabled: true, runs: 200 };
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(SOURCES.map((f) => [f, { content: readFileSync(join(SOURCE_DIR, f), 'utf8') }])),
    settings: {
      optimizer,
      evmVersion: EVM_VERSION,
      outputSelection: {
        '*': {
          '': ['ast'],
          '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.deployedBytecode.immutableReferences', 'evm.methodIdentifiers', 'storageLayout'],
        },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contracts = {} as Record<ContractKind, CompiledContract>;
  for (const kind of ['RC', 'MRC', 'ALC'] as const) {
    const { file, name } = CONTRACT_NAMES[kind];
    const out = output.contracts[file][name];
    // immutableReferences is keyed by the AST id of the variable declaration; name them.
    const idToName = new Map<string, string>();
    for (const node of output.sources[file].ast.nodes) {
      if (node.nodeType !== 'ContractDefinition' || node.name !== name) continue;
      for (const member of node.nodes ?? []) {
        if (member.nodeType === 'VariableDeclaration' && member.name) idToName.set(String(member.id), member.name);
      }
    }
    const immutables: Record<string, number[]> = {};
    for (const [id, refs] of Object.entries(out.evm.deployedBytecode.immutableReferences)) {
      const label = idToName.get(id);
      if (label === undefined) throw new Error(`immutable with AST id ${id} not found in ${name}`);
      if (refs.some((r) => r.length !== 32)) throw new Error(`immutable ${label} is not a 32-byte word`);
      immutables[label] = refs.map((r) => r.start).sort((a, b) => a - b);
    }
    const storage: CompiledContract['storage'] = {};
    for (const v of out.storageLayout.storage) storage[v.label] = { slot: v.slot, offset: v.offset, type: v.type };
    contracts[kind] = {
      name,
      initCode: out.evm.bytecode.object,
      runtimeCode: out.evm.deployedBytecode.object,
      immutables,
      selectors: out.evm.methodIdentifiers,
      storage,
      abi: out.abi,
    };
  }
  return { compiler: SOLC_VERSION, evmVersion: EVM_VERSION, optimizer, contracts };
}

/** The artefact as committed, formatted as `--write` writes it. */
export function formatArtefact(artefact: Artefact): string {
  return JSON.stringify(artefact, null, 1) + '\n';
}

function main(): void {
  const fresh = formatArtefact(compileContracts());
  if (process.argv.includes('--write')) {
    const tmp = `${ARTEFACT_PATH}.tmp`;
    writeFileSync(tmp, fresh);
    renameSync(tmp, ARTEFACT_PATH);
    console.log(`wrote ${ARTEFACT_PATH}`);
    return;
  }
  const current = readFileSync(ARTEFACT_PATH, 'utf8');
  if (current !== fresh) {
    console.error(`${ARTEFACT_PATH} is stale: run with --write`);
    process.exit(1);
  }
  console.log('compiled.json is current');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
