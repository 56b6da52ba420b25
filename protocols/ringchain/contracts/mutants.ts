/**
 * Broken record contracts for the chain's check suite: each mutant is a subclass overriding one
 * behaviour of an honest contract (contracts.ts), selected by name through
 * `createContractEngine({ mutant })`. The honest code carries no flags for them.
 *
 * A mutant runs under the honest contract's code hash (the chain cannot tell from the bytes): it
 * models a client whose contract execution is wrong, which the invariants must catch.
 */
import type { Address, ContractKind, ContractMutantName } from './api.ts';
import { MedicalRecordContract, RegisterContract, honestContracts, type ContractLogic } from './contracts.ts';
import type { Frame } from './execution.ts';
import type { ContractAccount } from './world-state.ts';

/** `unwarrant` forgets to tell the ALC: the institution keeps its entry (caught by "every ALC equals the MRCs that warrant it"). */
class RecordWithoutAlcUpdate extends MedicalRecordContract {
  protected override notifyRemove(_frame: Frame, _alc: Address): void {}
}

/** MRC `warrant` / `unwarrant` for any caller (caught by "no authorisation list changed except by its owner"). */
class RecordWithoutOwnerCheck extends MedicalRecordContract {
  protected override onlyOwner(_frame: Frame, _self: ContractAccount): void {}
}

/** RC `personInfo` / `subjoin` for any caller. */
class RegisterWithoutOwnerCheck extends RegisterContract {
  protected override onlyOwner(_frame: Frame, _self: ContractAccount): void {}
}

export interface ContractMutant {
  /** One line for `medsim check` listings (sim/protocol.ts `ProtocolMutant.description`). */
  readonly description: string;
  /** The invariant that must catch it, in words (the chain's checker declares the name). */
  readonly caughtBy: string;
  /** The contracts it replaces. */
  readonly contracts: () => Partial<Record<ContractKind, ContractLogic>>;
}

/** Every contract mutant, for the chain's `ProtocolModule.mutants` (docs/check.md "Declaring mutants"). */
export const CONTRACT_MUTANTS: Readonly<Record<ContractMutantName, ContractMutant>> = {
  'alc-not-updated-on-unwarrant': {
    description: 'MRC unwarrant never tells the ALC: a revoked institution stays on the record list',
    caughtBy: 'every ALC equals the set of MRCs that currently warrant that institution',
    contracts: () => ({ MRC: new RecordWithoutAlcUpdate() }),
  },
  'owner-check-skipped': {
    description: 'MRC warrant / unwarrant and RC personInfo / subjoin run for any caller',
    caughtBy: "no MRC's authorisation list changed except by its owner",
    contracts: () => ({ MRC: new RecordWithoutOwnerCheck(), RC: new RegisterWithoutOwnerCheck() }),
  },
};

/** Names accepted by `createContractEngine({ mutant })`. */
export const CONTRACT_MUTANT_NAMES = Object.keys(CONTRACT_MUTANTS) as ContractMutantName[];

/** The contract implementations an engine with this mutant (or none) runs. */
export function contractsFor(mutant: ContractMutantName | undefined): Record<ContractKind, ContractLogic> {
  const honest = honestContracts();
  if (mutant === undefined) return honest;
  const declared = CONTRACT_MUTANTS[mutant];
  if (declared === undefined) throw new RangeError(`unknown contract mutant ${JSON.stringify(mutant)}; known: ${CONTRACT_MUTANT_NAMES.join(', ')}`);
  return { ...honest, ...declared.contracts() };
}
