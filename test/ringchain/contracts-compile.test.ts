/**
 * The committed reference artefact (compiled.json) is what the pinned solc-js makes of sol/*.sol,
 * and the TypeScript contracts answer exactly the functions the compiled ones do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../protocols/crypto/encoding.ts';
import { selector } from '../../protocols/ringchain/contracts/abi.ts';
import { CODE, KINDS } from '../../protocols/ringchain/contracts/artefact.ts';
import { ARTEFACT_PATH, SOLC_VERSION, compileContracts, formatArtefact } from '../../protocols/ringchain/contracts/compile.ts';
import { honestContracts } from '../../protocols/ringchain/contracts/contracts.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('compiled.json', () => {
  it('is exactly what solc-js (bundled compiler, no download) makes of sol/*.sol', () => {
    const fresh = formatArtefact(compileContracts());
    expect(fresh === readFileSync(ARTEFACT_PATH, 'utf8'), 'compiled.json is stale: npx tsx protocols/ringchain/contracts/compile.ts --write').toBe(true);
  }, 60_000);

  it('comes from the solc version package.json pins', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(SOLC_VERSION.startsWith(`${pkg.dependencies.solc}+`)).toBe(true);
  });

  it('has the immutables and storage slots the engine lays out', () => {
    expect(Object.keys(CODE.RC.immutables)).toEqual(['owner']);
    expect(Object.keys(CODE.MRC.immutables).sort()).toEqual(['owner', 'timestamp']);
    expect(Object.keys(CODE.ALC.immutables)).toEqual(['institution']);
    expect(CODE.RC.slots).toEqual({ info: 0n, records: 2n });
    expect(CODE.MRC.slots).toEqual({ record: 0n, authorised: 1n }); // AddressList: items at 1, position mapping at 2
    expect(CODE.ALC.slots).toEqual({ records: 0n }); // AddressList: items at 0, position mapping at 1
  });
});

describe('TypeScript contracts vs the compiled ABI', () => {
  it('answer the same selectors as solc reports, and no others', () => {
    const logic = honestContracts();
    for (const kind of KINDS) {
      const ours = Object.fromEntries(logic[kind].signatures().map((s) => [s, bytesToHex(selector(s))]));
      expect(ours, kind).toEqual(CODE[kind].selectors);
    }
  });
});
