/**
 * Read helpers for the chain's invariant checkers and metrics: the contracts' lists and owners
 * decoded straight from storage (the single source of truth, so a broken contract shows up here),
 * without gas, using the same storage layout as execution.ts.
 */
import type {
  AccessListView,
  Address,
  ContractReader,
  ContractWorldState,
  PersonInfo,
  RecordView,
  RegisterView,
} from './api.ts';
import { wordFromBigint } from './abi.ts';
import { CODE } from './artefact.ts';
import { readAddressArray, readStoredBytes } from './execution.ts';
import type { ContractAccount } from './world-state.ts';

function account(state: ContractWorldState, address: Address, kind: ContractAccount['kind']): ContractAccount | undefined {
  const a = state.get(address) as ContractAccount | undefined;
  return a !== undefined && a.kind === kind ? a : undefined;
}

function addressArray(a: ContractAccount, slot: bigint): Address[] {
  return readAddressArray((s) => a.load(s), slot);
}

function storedBytes(a: ContractAccount, slot: bigint): Uint8Array {
  return readStoredBytes((s) => a.load(s), slot);
}

function byAddress(a: Address, b: Address): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const contractReader: ContractReader = {
  register(state, address): RegisterView | undefined {
    const a = account(state, address, 'RC');
    if (a === undefined) return undefined;
    const slots = CODE.RC.slots;
    const tail = a.load(slots.info + 1n);
    const info: PersonInfo = { nameDigest: wordFromBigint(a.load(slots.info)), birthYear: Number(tail & 0xffffn), sex: Number((tail >> 16n) & 0xffn) };
    return { address, owner: a.immutables.owner, info, records: addressArray(a, slots.records) };
  },

  record(state, address): RecordView | undefined {
    const a = account(state, address, 'MRC');
    if (a === undefined) return undefined;
    const slots = CODE.MRC.slots;
    return {
      address,
      owner: a.immutables.owner,
      timestamp: a.immutables.timestamp,
      data: storedBytes(a, slots.record),
      authorised: addressArray(a, slots.authorised),
    };
  },

  accessList(state, address): AccessListView | undefined {
    const a = account(state, address, 'ALC');
    if (a === undefined) return undefined;
    return { address, institution: a.immutables.owner, records: addressArray(a, CODE.ALC.slots.records) };
  },

  warrantsByAccessList(state) {
    const out = new Map<Address, Address[]>();
    const addresses = state.addresses();
    for (const address of addresses) if (account(state, address, 'ALC')) out.set(address, []);
    for (const address of addresses) {
      const a = account(state, address, 'MRC');
      if (a === undefined) continue;
      for (const alc of addressArray(a, CODE.MRC.slots.authorised)) out.get(alc)?.push(address);
    }
    for (const list of out.values()) list.sort(byAddress);
    return out;
  },

  warrantsByInstitution(state) {
    const out = new Map<Address, Address[]>();
    for (const [alc, mrcs] of this.warrantsByAccessList(state)) {
      const institution = (state.get(alc) as ContractAccount).immutables.owner;
      const list = out.get(institution) ?? [];
      for (const m of mrcs) if (!list.includes(m)) list.push(m);
      out.set(institution, list);
    }
    for (const list of out.values()) list.sort(byAddress);
    return out;
  },
};
