/**
 * The TypeScript contract engine on its own: the record-contract semantics the chain relies on
 * (owner checks, automatic ALC updates, events), transaction-level outcomes (invalid, revert, out of
 * gas, fees), the copy-on-write world state and its canonical commitment, the read helpers, and the
 * mutants — each caught by the check the chain's invariant will make, with the honest engine as the
 * control.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../protocols/crypto/encoding.ts';
import { keccak256 } from '../../protocols/crypto/hash.ts';
import {
  CONTRACT_MUTANT_NAMES,
  addressFromBytes,
  contractReader,
  contractTxData,
  createContractEngine,
  createdAddress,
  decodeGetDataResult,
  decodeQueryResult,
  emptyContractState,
  parseAddress,
  type Address,
  type BlockEnv,
  type ContractEngine,
  type ContractEvent,
  type ContractWorldState,
  type ExecutionResult,
} from '../../protocols/ringchain/contracts/index.ts';
import { ContractAccount } from '../../protocols/ringchain/contracts/world-state.ts';

const actor = (label: string): Address => addressFromBytes(keccak256(new TextEncoder().encode(label)).subarray(12));
const PATIENT = actor('patient');
const OTHER_PATIENT = actor('other patient');
const HOSPITAL = actor('hospital');
const EVE = actor('eve');
const MINER = actor('miner');
const BLOCK: BlockEnv = { number: 3, timestamp: 1_600_000_000, beneficiary: MINER, gasLimit: 30_000_000 };
const GAS = { gasLimit: 5_000_000, gasPrice: 2n };
const INFO = { nameDigest: keccak256(new TextEncoder().encode('Zhang San')), birthYear: 1970, sex: 1 };

/** A tiny driver: one mutable state, per-sender nonces, every result kept. */
class Driver {
  state: ContractWorldState = emptyContractState().fork();
  private readonly nonces = new Map<Address, number>();
  constructor(readonly engine: ContractEngine = createContractEngine()) {}

  private nonce(sender: Address): number {
    const n = this.nonces.get(sender) ?? 0;
    this.nonces.set(sender, n + 1);
    return n;
  }

  deploy(sender: Address, code: Uint8Array, gas = GAS): ExecutionResult {
    return this.engine.execute(this.state, { kind: 'deploy', sender, nonce: this.nonce(sender), code, ...gas }, BLOCK);
  }

  call(sender: Address, to: Address, data: Uint8Array, gas = GAS): ExecutionResult {
    return this.engine.execute(this.state, { kind: 'call', sender, nonce: this.nonce(sender), to, data, ...gas }, BLOCK);
  }

  /** Seals the current state and continues on a fork of it (a block boundary). */
  seal(): ContractWorldState {
    const sealed = this.state;
    sealed.freeze();
    this.state = sealed.fork();
    return sealed;
  }
}

function setup(engine?: ContractEngine) {
  const d = new Driver(engine);
  const alc = d.deploy(HOSPITAL, contractTxData.deployAccessList()).created!;
  const rc = d.deploy(PATIENT, contractTxData.deployRegister(INFO)).created!;
  const mrc = d.deploy(PATIENT, contractTxData.deployRecord(new Uint8Array(64).fill(9))).created!;
  const mrc2 = d.deploy(OTHER_PATIENT, contractTxData.deployRecord(new Uint8Array(20).fill(4))).created!;
  return { d, alc, rc, mrc, mrc2 };
}

/** The invariant "every ALC equals the set of MRCs that currently warrant that institution". */
function alcMismatches(state: ContractWorldState): string[] {
  const out: string[] = [];
  for (const [alc, warranting] of contractReader.warrantsByAccessList(state)) {
    const listed = [...contractReader.accessList(state, alc)!.records].sort();
    if (JSON.stringify(listed) !== JSON.stringify(warranting)) out.push(`${alc}: lists ${listed} but warranted by ${warranting}`);
  }
  return out;
}

/** The invariant "no MRC's authorisation list changed except by its owner". */
function foreignListChanges(events: readonly ContractEvent[]): ContractEvent[] {
  return events.filter((e) => (e.kind === 'warranted' || e.kind === 'unwarranted') && e.caller !== e.owner);
}

describe('contracts engine: Protocols 1–3', () => {
  it('deploys at the CREATE address with the deployer as owner / institution', () => {
    const d = new Driver();
    const r = d.deploy(HOSPITAL, contractTxData.deployAccessList());
    expect(r.status).toBe('success');
    expect(r.created).toBe(createdAddress(HOSPITAL, 0));
    expect(r.events).toEqual([{ kind: 'deployed', contract: 'ALC', address: r.created, owner: HOSPITAL }]);
    const rc = d.deploy(PATIENT, contractTxData.deployRegister(INFO));
    expect(contractReader.register(d.state, rc.created!)).toEqual({ address: rc.created, owner: PATIENT, info: INFO, records: [] });
    const mrc = d.deploy(PATIENT, contractTxData.deployRecord(Uint8Array.of(1, 2, 3)));
    expect(contractReader.record(d.state, mrc.created!)).toMatchObject({ owner: PATIENT, timestamp: BLOCK.timestamp, data: Uint8Array.of(1, 2, 3), authorised: [] });
    // The CREATE rule (yellow paper eq. 86) on a known vector: sender 0x6ac7…1b1, nonce 0.
    expect(createdAddress(parseAddress('0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0'), 0)).toBe('0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d');
  });

  it('warrant lists the record in the institution’s ALC; unwarrant removes it automatically', () => {
    const { d, alc, mrc, mrc2 } = setup();
    const w = d.call(PATIENT, mrc, contractTxData.warrant(alc));
    expect(w.status).toBe('success');
    expect(w.events).toEqual([
      { kind: 'warranted', mrc, alc, institution: HOSPITAL, owner: PATIENT, caller: PATIENT },
      { kind: 'alc-added', alc, mrc, institution: HOSPITAL },
    ]);
    expect(d.call(OTHER_PATIENT, mrc2, contractTxData.warrant(alc)).status).toBe('success');
    expect(contractReader.accessList(d.state, alc)!.records).toEqual([mrc, mrc2]);
    const data = d.call(HOSPITAL, alc, contractTxData.getData());
    expect(decodeGetDataResult(data.returnData)).toEqual([
      { data: new Uint8Array(64).fill(9), timestamp: BLOCK.timestamp },
      { data: new Uint8Array(20).fill(4), timestamp: BLOCK.timestamp },
    ]);
    const u = d.call(PATIENT, mrc, contractTxData.unwarrant(alc));
    expect(u.status).toBe('success');
    expect(u.events.map((e) => e.kind)).toEqual(['unwarranted', 'alc-removed']);
    // Removal by value: the last entry moved into the freed place.
    expect(contractReader.accessList(d.state, alc)!.records).toEqual([mrc2]);
    expect(contractReader.record(d.state, mrc)!.authorised).toEqual([]);
    expect(decodeGetDataResult(d.call(HOSPITAL, alc, contractTxData.getData()).returnData)).toHaveLength(1);
    expect(alcMismatches(d.seal())).toEqual([]);
    expect(contractReader.warrantsByInstitution(d.state)).toEqual(new Map([[HOSPITAL, [mrc2]]]));
  });

  it('refuses non-owners with NotOwner(caller) and changes nothing', () => {
    const { d, alc, rc, mrc } = setup();
    const before = bytesToHex(d.seal().commitment());
    for (const data of [contractTxData.warrant(alc), contractTxData.unwarrant(alc), contractTxData.query()]) {
      const r = d.call(EVE, mrc, data);
      expect(r.status).toBe('revert');
      expect(bytesToHex(r.returnData)).toBe(bytesToHex(keccak256(new TextEncoder().encode('NotOwner(address)')).slice(0, 4)) + '000000000000000000000000' + EVE.slice(2));
      expect(r.events).toEqual([]);
      expect(r.gasUsed).toBeGreaterThan(21_000);
      expect(r.fee).toBe(BigInt(r.gasUsed) * GAS.gasPrice);
    }
    expect(d.call(EVE, rc, contractTxData.subjoin(mrc)).reason).toBe(`NotOwner(${EVE})`);
    expect(d.call(EVE, alc, contractTxData.getData()).reason).toBe(`NotInstitution(${EVE})`);
    // Nobody but a warranting MRC can touch an ALC's list (an account without code cannot answer isWarranted).
    expect(d.call(EVE, alc, keccak256(new TextEncoder().encode('add()')).slice(0, 4)).status).toBe('revert');
    expect(bytesToHex(d.seal().commitment())).toBe(before);
  });

  it('rejects bad warrants: twice, not warranted, not an ALC', () => {
    const { d, alc, rc, mrc } = setup();
    expect(d.call(PATIENT, mrc, contractTxData.warrant(alc)).status).toBe('success');
    expect(d.call(PATIENT, mrc, contractTxData.warrant(alc)).reason).toBe(`AlreadyWarranted(${alc})`);
    expect(d.call(PATIENT, mrc, contractTxData.unwarrant(rc)).reason).toBe(`NotWarranted(${rc})`);
    expect(d.call(PATIENT, mrc, contractTxData.warrant(rc)).status).toBe('revert'); // an RC has no add()
    expect(d.call(PATIENT, mrc, contractTxData.warrant(EVE)).status).toBe('revert'); // no code at all
    expect(contractReader.record(d.state, mrc)!.authorised).toEqual([alc]);
  });

  it('query returns the record to its owner; subjoin appends; personInfo updates', () => {
    const { d, rc, mrc, mrc2 } = setup();
    expect(decodeQueryResult(d.call(PATIENT, mrc, contractTxData.query()).returnData)).toEqual({ data: new Uint8Array(64).fill(9), timestamp: BLOCK.timestamp });
    expect(d.call(PATIENT, rc, contractTxData.subjoin(mrc)).events).toEqual([{ kind: 'subjoined', rc, mrc, owner: PATIENT, caller: PATIENT }]);
    d.call(PATIENT, rc, contractTxData.subjoin(mrc2));
    const info = { ...INFO, birthYear: 1971 };
    expect(d.call(PATIENT, rc, contractTxData.personInfo(info)).events).toEqual([{ kind: 'info-updated', rc, owner: PATIENT, caller: PATIENT }]);
    expect(contractReader.register(d.state, rc)).toMatchObject({ info, records: [mrc, mrc2] });
  });
});

describe('contracts engine: transaction outcomes', () => {
  it('invalid: unknown code, gas below intrinsic, gas above the block limit — no change, no fee', () => {
    const d = new Driver();
    const unknown = d.deploy(PATIENT, Uint8Array.of(0x60, 0x00, 0x60, 0x00, 0xf3));
    expect(unknown).toMatchObject({ status: 'invalid', gasUsed: 0, fee: 0n });
    expect(d.deploy(PATIENT, contractTxData.deployAccessList(), { gasLimit: 21_000, gasPrice: 1n }).status).toBe('invalid');
    expect(d.deploy(PATIENT, contractTxData.deployAccessList(), { gasLimit: 31_000_000, gasPrice: 1n }).reason).toMatch(/block gas limit/);
    expect(d.state.size).toBe(0);
  });

  it('out of gas: the whole limit is charged and nothing is kept', () => {
    const d = new Driver();
    const r = d.deploy(HOSPITAL, contractTxData.deployAccessList(), { gasLimit: 200_000, gasPrice: 3n });
    expect(r).toMatchObject({ status: 'out-of-gas', gasUsed: 200_000, fee: 600_000n, logs: [], events: [] });
    expect(r.created).toBeUndefined();
    expect(d.state.size).toBe(0);
  });

  it('a call to an address without code succeeds and does nothing (as in the EVM)', () => {
    const d = new Driver();
    const r = d.call(PATIENT, EVE, contractTxData.query());
    expect(r.status).toBe('success');
    // Intrinsic 21000 + 4 × 16 = 21064, raised to the EIP-7623 floor 21000 + 10 × 4 × 4 = 21160.
    expect(r.gasUsed).toBe(21_160);
  });

  it('is deterministic: the same transactions give the same results and commitment', () => {
    const run = () => {
      const { d, alc, mrc, mrc2 } = setup();
      const results = [d.call(PATIENT, mrc, contractTxData.warrant(alc)), d.call(OTHER_PATIENT, mrc2, contractTxData.warrant(alc)), d.call(PATIENT, mrc, contractTxData.unwarrant(alc))];
      return { results: results.map((r) => [r.status, r.gasUsed, bytesToHex(r.returnData)]), commitment: bytesToHex(d.seal().commitment()) };
    };
    expect(run()).toEqual(run());
  });
});

describe('contract world state', () => {
  it('forks copy-on-write: a child’s writes never reach its sealed parent', () => {
    const { d, alc, mrc } = setup();
    const parent = d.seal();
    const parentCommitment = bytesToHex(parent.commitment());
    const child = d.state;
    d.call(PATIENT, mrc, contractTxData.warrant(alc));
    child.freeze();
    expect(contractReader.record(parent, mrc)!.authorised).toEqual([]);
    expect(contractReader.record(child, mrc)!.authorised).toEqual([alc]);
    expect(bytesToHex(parent.commitment())).toBe(parentCommitment);
    expect(bytesToHex(child.commitment())).not.toBe(parentCommitment);
    // Two forks of one parent (two competing blocks) stay independent.
    const sibling = parent.fork();
    expect(contractReader.record(sibling, mrc)!.authorised).toEqual([]);
    expect(() => d.engine.execute(parent, { kind: 'call', sender: PATIENT, nonce: 9, to: mrc, data: contractTxData.query(), ...GAS }, BLOCK)).toThrow(/sealed/);
  });

  it('commits canonically: equal contents give equal commitments whatever the history', () => {
    const a = setup();
    const b = setup();
    // a: warrant then unwarrant (all slots back to zero); b: nothing.
    a.d.call(PATIENT, a.mrc, contractTxData.warrant(a.alc));
    a.d.seal();
    a.d.call(PATIENT, a.mrc, contractTxData.unwarrant(a.alc));
    expect(bytesToHex(a.d.seal().commitment())).toBe(bytesToHex(b.d.seal().commitment()));
    // The same contracts deployed in a different order and across blocks.
    const x = new Driver();
    x.deploy(HOSPITAL, contractTxData.deployAccessList());
    x.deploy(PATIENT, contractTxData.deployRecord(Uint8Array.of(5)));
    const y = new Driver();
    y.deploy(PATIENT, contractTxData.deployRecord(Uint8Array.of(5)));
    y.seal();
    y.deploy(HOSPITAL, contractTxData.deployAccessList());
    const xSealed = x.seal();
    expect(bytesToHex(xSealed.commitment())).toBe(bytesToHex(y.seal().commitment()));
    expect(xSealed.addresses()).toEqual([...xSealed.addresses()].sort());
    // And any change of content changes it.
    y.call(PATIENT, createdAddress(PATIENT, 0), contractTxData.warrant(createdAddress(HOSPITAL, 0)));
    expect(bytesToHex(y.seal().commitment())).not.toBe(bytesToHex(xSealed.commitment()));
  });

  it('keeps incremental storage digests equal to a from-scratch digest', () => {
    // Writes spread over copies (blocks); each copy's cached bucket digests must stay exact.
    const write = fc.record({ slot: fc.oneof(fc.bigInt({ min: 0n, max: 600n }), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n })), value: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 1000n })) });
    fc.assert(
      fc.property(fc.array(fc.array(write, { maxLength: 30 }), { minLength: 1, maxLength: 6 }), (blocks) => {
        let account = new ContractAccount(PATIENT, 'ALC', new Uint8Array(1), new Uint8Array(32), { owner: PATIENT, timestamp: 0 }, new Map());
        for (const writes of blocks) {
          account = account.copy();
          for (const w of writes) account.store(w.slot, w.value);
          const fresh = new ContractAccount(PATIENT, 'ALC', new Uint8Array(1), new Uint8Array(32), { owner: PATIENT, timestamp: 0 }, new Map(account.storage));
          expect(bytesToHex(account.digest())).toBe(bytesToHex(fresh.digest()));
        }
      }),
      { numRuns: 100, seed: 42 },
    );
  });

  it('refuses to commit to or write an unsealed / sealed state', () => {
    const s = emptyContractState();
    expect(s.frozen).toBe(true);
    const child = s.fork();
    expect(() => child.commitment()).toThrow(/freeze/);
    child.freeze();
    expect(child.size).toBe(0);
  });
});

describe('contract mutants (for the chain’s check suite)', () => {
  it('lists the two mutants and rejects unknown names', () => {
    expect(CONTRACT_MUTANT_NAMES).toEqual(['alc-not-updated-on-unwarrant', 'owner-check-skipped']);
    expect(() => createContractEngine({ mutant: 'nope' as never })).toThrow(/unknown contract mutant/);
  });

  it('alc-not-updated-on-unwarrant: the ALC keeps a revoked record — caught; honest control passes', () => {
    const scenario = (engine: ContractEngine) => {
      const { d, alc, mrc } = setup(engine);
      d.call(PATIENT, mrc, contractTxData.warrant(alc));
      const u = d.call(PATIENT, mrc, contractTxData.unwarrant(alc));
      expect(u.status).toBe('success');
      return { mismatches: alcMismatches(d.seal()), reads: d.call(HOSPITAL, alc, contractTxData.getData()) };
    };
    const honest = scenario(createContractEngine());
    expect(honest.mismatches).toEqual([]);
    const mutant = scenario(createContractEngine({ mutant: 'alc-not-updated-on-unwarrant' }));
    expect(mutant.mismatches).toHaveLength(1);
    expect(mutant.reads.status).toBe('revert'); // the stale entry's MRC refuses the read
  });

  it('owner-check-skipped: a stranger changes an authorisation list — caught; honest control passes', () => {
    const scenario = (engine: ContractEngine) => {
      const { d, alc, mrc } = setup(engine);
      const r = d.call(EVE, mrc, contractTxData.warrant(alc));
      return { status: r.status, foreign: foreignListChanges(r.events), authorised: contractReader.record(d.state, mrc)!.authorised };
    };
    expect(scenario(createContractEngine())).toEqual({ status: 'revert', foreign: [], authorised: [] });
    const mutant = scenario(createContractEngine({ mutant: 'owner-check-skipped' }));
    expect(mutant.status).toBe('success');
    expect(mutant.foreign).toHaveLength(1);
    expect(mutant.foreign[0]).toMatchObject({ kind: 'warranted', caller: EVE, owner: PATIENT });
  });
});
