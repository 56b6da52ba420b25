/**
 * Differential property test: random call sequences — deployments, owner and non-owner calls,
 * direct calls to the ALC's callbacks, malformed call data and constructor arguments, starved and
 * too-small gas limits — run through the TypeScript engine and through the compiled contracts on
 * @ethereumjs/vm. Every transaction must give the same status, return / revert data, created
 * address and logs; the TypeScript meter must never charge more than the EVM; fees go to the
 * beneficiary; and at the end every contract's runtime code and storage must be identical, slot for
 * slot.
 *
 * `npm test` runs 60 sequences (a few seconds). A longer run:
 *   MEDSIM_CONTRACTS_DIFF_RUNS=2000 npx vitest run test/ringchain/contracts-differential.test.ts
 * (MEDSIM_CONTRACTS_DIFF_SEED picks the fast-check seed; a failure prints the seed and path.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../protocols/crypto/encoding.ts';
import { keccak256 } from '../../protocols/crypto/hash.ts';
import { wordFromBigint } from '../../protocols/ringchain/contracts/abi.ts';
import { CODE } from '../../protocols/ringchain/contracts/artefact.ts';
import { EvmReference } from '../../protocols/ringchain/contracts/evm-reference.ts';
import {
  contractReader,
  contractTxData,
  createContractEngine,
  emptyContractState,
  parseAddress,
  type Address,
  type BlockEnv,
  type ContractTx,
  type ContractWorldState,
} from '../../protocols/ringchain/contracts/index.ts';
import { floorGas, intrinsicGas } from '../../protocols/ringchain/contracts/gas-schedule.ts';

const RUNS = Number(process.env.MEDSIM_CONTRACTS_DIFF_RUNS ?? 60);
const SEED = Number(process.env.MEDSIM_CONTRACTS_DIFF_SEED ?? 20190613);
const ACTORS = ['patient-a', 'patient-b', 'hospital-x', 'hospital-y', 'outsider'];
const AMPLE_GAS = 10_000_000;
const KIND = ['RC', 'MRC', 'ALC'] as const;
const BLOCK_GAS = 30_000_000;

/** How a step picks its gas limit. `starved` (intrinsic + a little) is used only where both meters must run out. */
type GasChoice = { kind: 'ample' } | { kind: 'starved'; extra: number } | { kind: 'below-intrinsic'; short: number };

type Step =
  | { op: 'deployRC'; who: number; name: Uint8Array; year: number; sex: number; gas: GasChoice }
  | { op: 'deployMRC'; who: number; record: Uint8Array; gas: GasChoice }
  | { op: 'deployALC'; who: number; gas: GasChoice }
  | { op: 'deployRaw'; who: number; contract: 0 | 1 | 2; tail: Uint8Array }
  | { op: 'deployBadRecord'; who: number; offset: bigint; length: bigint; data: Uint8Array }
  | { op: 'personInfo'; owner: boolean; who: number; rc: number; name: Uint8Array; year: number; sex: number; gas: GasChoice }
  | { op: 'subjoin'; owner: boolean; who: number; rc: number; target: number; gas: GasChoice }
  | { op: 'warrant' | 'unwarrant'; owner: boolean; who: number; mrc: number; target: number; gas: GasChoice }
  | { op: 'query' | 'readFor' | 'authorisedList' | 'owner' | 'timestamp'; owner: boolean; who: number; mrc: number }
  | { op: 'getData' | 'recordList' | 'institution' | 'add' | 'remove'; owner: boolean; who: number; alc: number; gas: GasChoice }
  | { op: 'rcGetters'; who: number; rc: number; which: 0 | 1 | 2 }
  | { op: 'isWarranted'; who: number; mrc: number; target: number }
  | { op: 'raw'; who: number; contract: number; data: Uint8Array; mutate: 'none' | 'truncate' | 'dirty-address' | 'bad-uint8' }
  | { op: 'tick'; seconds: number };

const who = fc.nat({ max: ACTORS.length - 1 });
const idx = fc.nat({ max: 50 });
const gasChoice: fc.Arbitrary<GasChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'ample' } as GasChoice) },
  { weight: 1, arbitrary: fc.nat({ max: 1_999 }).map((extra) => ({ kind: 'starved', extra }) as GasChoice) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((short) => ({ kind: 'below-intrinsic', short }) as GasChoice) },
);
const name = fc.uint8Array({ minLength: 32, maxLength: 32 });
const year = fc.oneof(fc.integer({ min: 1900, max: 2025 }), fc.constant(0));
const sex = fc.constantFrom(0, 1, 2, 9, 255);
/** Record payloads around the 31/32-byte short/long `bytes` boundary and beyond. */
const record = fc.oneof(fc.uint8Array({ maxLength: 33 }), fc.uint8Array({ minLength: 60, maxLength: 200 }));

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deployRC' as const), who, name, year, sex, gas: gasChoice }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('deployMRC' as const), who, record, gas: gasChoice }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deployALC' as const), who, gas: gasChoice }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('deployBadRecord' as const),
      who,
      offset: fc.constantFrom(0n, 0x20n, 0x40n, 0x3fn, (1n << 64n) - 1n, 1n << 64n, 1n << 255n),
      length: fc.oneof(
        fc.constantFrom(0n, 1n, 31n, 32n, 33n, 64n, 65n, 1000n, 1n << 64n, 1n << 255n),
        // Around solc's allocation limit (free pointer + size past 2^64 − 1 panics).
        fc.integer({ min: 1, max: 400 }).map((k) => (1n << 64n) - BigInt(k)),
      ),
      data: fc.uint8Array({ maxLength: 80 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('deployRaw' as const), who, contract: fc.constantFrom(0 as const, 1 as const, 2 as const), tail: fc.uint8Array({ maxLength: 100 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('personInfo' as const), owner: fc.boolean(), who, rc: idx, name, year, sex, gas: gasChoice }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('subjoin' as const), owner: fc.boolean(), who, rc: idx, target: idx, gas: gasChoice }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('warrant' as const, 'unwarrant' as const), owner: fc.boolean(), who, mrc: idx, target: idx, gas: gasChoice }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constantFrom('query' as const, 'readFor' as const, 'authorisedList' as const, 'owner' as const, 'timestamp' as const), owner: fc.boolean(), who, mrc: idx }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constantFrom('getData' as const, 'recordList' as const, 'institution' as const, 'add' as const, 'remove' as const),
      owner: fc.boolean(),
      who,
      alc: idx,
      gas: gasChoice,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rcGetters' as const), who, rc: idx, which: fc.constantFrom(0 as const, 1 as const, 2 as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('isWarranted' as const), who, mrc: idx, target: idx }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('raw' as const),
      who,
      contract: idx,
      data: fc.uint8Array({ maxLength: 72 }),
      mutate: fc.constantFrom('none' as const, 'truncate' as const, 'dirty-address' as const, 'bad-uint8' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 86_400 }) }) },
);

interface Deployed {
  address: Address;
  owner: Address;
}

function pick<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length];
}

function hex(b: Uint8Array): string {
  return bytesToHex(b);
}

/** Runs one sequence through both engines, asserting agreement after every step and at the end. */
async function runSequence(steps: Step[]): Promise<void> {
  const ref = await EvmReference.create();
  const actors: Address[] = [];
  for (const label of ACTORS) actors.push(await ref.actor(label));
  const engine = createContractEngine();
  let state: ContractWorldState = emptyContractState().fork();
  const beneficiary = parseAddress('0x' + 'be'.repeat(20));
  let block: BlockEnv = { number: 1, timestamp: 1_560_384_000, beneficiary, gasLimit: BLOCK_GAS };
  const rcs: Deployed[] = [];
  const mrcs: Deployed[] = [];
  const alcs: Deployed[] = [];
  const everything = () => [...rcs, ...mrcs, ...alcs].map((d) => d.address);
  const anyAddress = (i: number): Address => pick([...everything(), ...actors], i)!;
  const sender = (s: { owner?: boolean; who: number }, target: Deployed | undefined): Address => (s.owner && target ? target.owner : actors[s.who]);

  const gasLimit = (choice: GasChoice, data: Uint8Array, creation: boolean): number => {
    const need = Math.max(intrinsicGas(data, creation), floorGas(data));
    if (choice.kind === 'ample') return AMPLE_GAS;
    // Execution gets `extra` gas (or what the EIP-7623 floor leaves): below the 2100 of the first
    // cold SLOAD / SSTORE both meters must charge, so both run out.
    if (choice.kind === 'starved') return Math.max(need, intrinsicGas(data, creation) + choice.extra);
    return Math.max(0, need - choice.short);
  };

  let count = 0;
  const run = async (from: Address, build: (nonce: number) => ContractTx, label: string): Promise<void> => {
    const nonce = await ref.nonce(from);
    const tx = build(nonce);
    const where = `step ${count++} (${label}, from ${from})`;
    const evm = await ref.execute(tx, block);
    const ts = engine.execute(state, tx, block);
    expect(ts.status, `${where}: status (ts: ${ts.reason}; evm: ${evm.error})`).toBe(evm.status);
    expect(hex(ts.returnData), `${where}: return data`).toBe(hex(evm.returnData));
    expect(ts.created, `${where}: created address`).toBe(evm.created);
    expect(
      ts.logs.map((l) => [l.address, l.topics.map(hex), hex(l.data)]),
      `${where}: logs`,
    ).toEqual(evm.logs.map((l) => [l.address, l.topics.map(hex), hex(l.data)]));
    if (evm.status === 'invalid') {
      expect(ts.gasUsed).toBe(0);
    } else {
      // The TS meter prices state access, not computation: never more than the EVM.
      expect(ts.gasUsed, `${where}: TS gas ${ts.gasUsed} vs EVM ${evm.gasUsed}`).toBeLessThanOrEqual(evm.gasUsed);
      if (evm.status === 'out-of-gas') expect(ts.gasUsed).toBe(evm.gasUsed); // both consume the whole limit
      expect(evm.fee).toBe(BigInt(evm.gasUsed) * tx.gasPrice);
      expect(ts.fee).toBe(BigInt(ts.gasUsed) * tx.gasPrice);
    }
    if (ts.status === 'success' && ts.created !== undefined) {
      const d = { address: ts.created, owner: from };
      const kind = state.get(ts.created)!.kind;
      (kind === 'RC' ? rcs : kind === 'MRC' ? mrcs : alcs).push(d);
    }
  };
  const deploy = (from: Address, code: Uint8Array, choice: GasChoice, label: string) =>
    run(from, (nonce) => ({ kind: 'deploy', sender: from, nonce, code, gasLimit: gasLimit(choice, code, true), gasPrice: 3n }), label);
  const call = (from: Address, to: Address, data: Uint8Array, choice: GasChoice, label: string) =>
    run(from, (nonce) => ({ kind: 'call', sender: from, nonce, to, data, gasLimit: gasLimit(choice, data, false), gasPrice: 3n }), label);
  // Starved gas is meaningful only when both meters must run out before any cheap exit (see GasChoice).
  const ownerGas = (s: { owner: boolean; gas: GasChoice }): GasChoice => (s.owner || s.gas.kind !== 'starved' ? s.gas : { kind: 'ample' });

  for (const s of steps) {
    switch (s.op) {
      case 'deployRC':
        await deploy(actors[s.who], contractTxData.deployRegister({ nameDigest: s.name, birthYear: s.year, sex: s.sex }), s.gas, s.op);
        break;
      case 'deployMRC':
        await deploy(actors[s.who], contractTxData.deployRecord(s.record), s.gas, s.op);
        break;
      case 'deployALC':
        await deploy(actors[s.who], contractTxData.deployAccessList(), s.gas, s.op);
        break;
      case 'deployRaw':
        // Init code followed by arbitrary bytes: malformed constructor arguments must revert alike.
        await deploy(actors[s.who], concat(CODE[KIND[s.contract]].initCode, s.tail), { kind: 'ample' }, `deployRaw ${KIND[s.contract]}`);
        break;
      case 'deployBadRecord': {
        // MRC constructor argument `bytes` with hand-made offset and length words (Solidity's checks).
        const body = concat(concat(wordFromBigint(s.offset), wordFromBigint(s.length)), s.data);
        await deploy(actors[s.who], concat(CODE.MRC.initCode, body), { kind: 'ample' }, `deployBadRecord offset ${s.offset} length ${s.length}`);
        break;
      }
      case 'personInfo': {
        const rc = pick(rcs, s.rc);
        if (!rc) break;
        await call(sender(s, rc), rc.address, contractTxData.personInfo({ nameDigest: s.name, birthYear: s.year, sex: s.sex }), ownerGas(s), s.op);
        break;
      }
      case 'subjoin': {
        const rc = pick(rcs, s.rc);
        if (!rc) break;
        await call(sender(s, rc), rc.address, contractTxData.subjoin(anyAddress(s.target)), ownerGas(s), s.op);
        break;
      }
      case 'warrant':
      case 'unwarrant': {
        const mrc = pick(mrcs, s.mrc);
        if (!mrc) break;
        // Mostly a real ALC; sometimes any address (an EOA, an RC, another MRC).
        const target = s.target % 4 === 0 ? anyAddress(s.target) : (pick(alcs, s.target)?.address ?? anyAddress(s.target));
        await call(sender(s, mrc), mrc.address, (s.op === 'warrant' ? contractTxData.warrant : contractTxData.unwarrant)(target), ownerGas(s), s.op);
        break;
      }
      case 'query':
      case 'readFor':
      case 'authorisedList':
      case 'owner':
      case 'timestamp': {
        const mrc = pick(mrcs, s.mrc);
        if (!mrc) break;
        const data = s.op === 'query' ? contractTxData.query() : selectorOf(`${s.op}()`);
        await call(sender(s, mrc), mrc.address, data, { kind: 'ample' }, s.op);
        break;
      }
      case 'getData':
      case 'recordList':
      case 'institution':
      case 'add':
      case 'remove': {
        const alc = pick(alcs, s.alc);
        if (!alc) break;
        const data = s.op === 'getData' ? contractTxData.getData() : selectorOf(`${s.op}()`);
        await call(sender(s, alc), alc.address, data, s.op === 'getData' ? ownerGas(s) : { kind: 'ample' }, s.op);
        break;
      }
      case 'rcGetters': {
        const rc = pick(rcs, s.rc);
        if (!rc) break;
        await call(actors[s.who], rc.address, selectorOf(['recordList()', 'owner()', 'info()'][s.which]), { kind: 'ample' }, 'rc getter');
        break;
      }
      case 'isWarranted': {
        const mrc = pick(mrcs, s.mrc);
        if (!mrc) break;
        const data = concat(selectorOf('isWarranted(address)'), wordFromBigint(BigInt(anyAddress(s.target))));
        await call(actors[s.who], mrc.address, data, { kind: 'ample' }, s.op);
        break;
      }
      case 'raw': {
        const to = anyAddress(s.contract);
        // Start from a real selector of the callee, then break the arguments.
        const sigs = ['warrant(address)', 'unwarrant(address)', 'subjoin(address)', 'personInfo((bytes32,uint16,uint8))', 'isWarranted(address)', 'query()'];
        let data = s.data;
        if (s.mutate !== 'none') {
          const sig = sigs[s.data.length % sigs.length];
          const body = new Uint8Array(sig.startsWith('personInfo') ? 96 : 32);
          body.set(s.data.subarray(0, body.length));
          if (s.mutate === 'dirty-address') body[0] |= 1; // address with a non-zero upper byte
          if (s.mutate === 'bad-uint8' && body.length === 96) body[94] = 1; // sex > 255
          data = concat(selectorOf(sig), s.mutate === 'truncate' ? body.subarray(0, s.data.length % body.length) : body);
        }
        await call(actors[s.who], to, data, { kind: 'ample' }, `raw ${s.mutate}`);
        break;
      }
      case 'tick':
        block = { ...block, number: block.number + 1, timestamp: block.timestamp + s.seconds };
        break;
    }
    // The honest contracts keep every ALC equal to the set of MRCs warranting it.
    state.freeze();
    for (const [alc, mrcsWarranting] of contractReader.warrantsByAccessList(state)) {
      expect([...contractReader.accessList(state, alc)!.records].sort()).toEqual(mrcsWarranting);
    }
    state = state.fork();
  }

  // Final state: identical runtime code and storage, slot for slot, for every contract.
  state.freeze();
  for (const address of state.addresses()) {
    const account = state.get(address)!;
    expect(hex(await ref.code(address)), `code of ${account.kind} ${address}`).toBe(hex(account.code));
    for (const [slot, value] of account.storage) expect(await ref.storageAt(address, slot), `${address} slot ${slot}`).toBe(value);
    const slots = [...account.storage.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(ref.storageSlots(address), `${address}: the EVM has no other non-zero slot`).toEqual(slots);
  }
}

function selectorOf(signature: string): Uint8Array {
  return keccak256(new TextEncoder().encode(signature)).slice(0, 4);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('contracts: TypeScript engine vs solc + @ethereumjs/vm (differential)', () => {
  it('agree on where a huge `bytes` length panics (Panic 0x41) or reverts in the MRC constructor', async () => {
    // solc allocates memory for the decoded bytes before checking they are there: the free pointer
    // (after 2 immutables and the arguments) plus the allocation must stay ≤ 2^64 − 1.
    const ref = await EvmReference.create();
    const sender = await ref.actor('boundary');
    const engine = createContractEngine();
    const state = emptyContractState().fork();
    const block: BlockEnv = { number: 1, timestamp: 1, beneficiary: sender, gasLimit: BLOCK_GAS };
    const outcomes = new Set<string>();
    for (const dataLength of [0, 4, 40, 96]) {
      const free = 0x80 + 64 + 64 + dataLength;
      const threshold = (1n << 64n) - BigInt(free + 32 + 31); // around the last length that fits
      for (let d = -40n; d <= 40n; d += 8n) {
        const code = concat(CODE.MRC.initCode, concat(concat(wordFromBigint(32n), wordFromBigint(threshold + d)), new Uint8Array(dataLength)));
        const tx: ContractTx = { kind: 'deploy', sender, nonce: await ref.nonce(sender), code, gasLimit: AMPLE_GAS, gasPrice: 1n };
        const evm = await ref.execute(tx, block);
        const ts = engine.execute(state, tx, block);
        expect([ts.status, hex(ts.returnData)], `data ${dataLength}, length ${threshold + d}`).toEqual([evm.status, hex(evm.returnData)]);
        outcomes.add(hex(evm.returnData) === '' ? 'revert' : 'panic');
      }
    }
    expect([...outcomes].sort()).toEqual(['panic', 'revert']); // both sides of the boundary were hit
  });

  it(`agrees on ${RUNS} random call sequences (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 16 }), async (steps) => {
        // Every sequence starts with an ALC, an MRC and an RC so most calls have a target.
        await runSequence([
          { op: 'deployALC', who: 2, gas: { kind: 'ample' } },
          { op: 'deployMRC', who: 0, record: new Uint8Array(40).fill(7), gas: { kind: 'ample' } },
          { op: 'deployRC', who: 0, name: new Uint8Array(32).fill(1), year: 1990, sex: 2, gas: { kind: 'ample' } },
          ...steps,
        ]);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 600_000);
});
