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

/** Every mutant: which contracts it replaces. */
export const CONTRACT_MUTANTS: Readonly<Record<ContractMutantName, () => Partial<Record<ContractKind, ContractLogic>>>> = {
  'alc-not-updated-on-unwarrant': () => ({ MRC: new RecordWithoutAlcUpdate() }),
  'owner-check-skipped': () => ({ MRC: new RecordWithoutOwnerCheck(), RC: new RegisterWithoutOwnerCheck() }),
};

/** Names accepted by `createContractEngine({ mutant })`. */
export const CONTRACT_MUTANT_NAMES = Object.keys(CONTRACT_MUTANTS) as ContractMutantName[];

/** The contract implementations an engine with this mutant (or none) runs. */
export function contractsFor(mutant: ContractMutantName | undefined): Record<ContractKind, ContractLogic> {
  const honest = honestContracts();
  if (mutant === undefined) return honest;
  const make = CONTRACT_MUTANTS[mutant];
  if (make === undefined) throw new RangeError(`unknown contract mutant ${JSON.stringify(mutant)}; known: ${CONTRACT_MUTANT_NAMES.join(', ')}`);
  return { ...honest, ...make() };
}
