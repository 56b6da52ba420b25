/**
 * The record contracts (seed 001 §3) — what the ringchain chain imports. The interface is in
 * api.ts; docs/ringchain-contracts.md explains the design.
 */
export * from './api.ts';
export { createContractEngine, createdAddress, recogniseDeployment } from './engine.ts';
export { contractReader } from './reader.ts';
export { contractTxData, decodeGetDataResult, decodeQueryResult, type RecordData } from './txdata.ts';
export { CONTRACT_MUTANTS, CONTRACT_MUTANT_NAMES, type ContractMutant } from './mutants.ts';
import { ContractWorld } from './world-state.ts';
import type { ContractWorldState } from './api.ts';

/** The genesis contract state: empty and sealed; `fork()` it to apply the first block. */
export function emptyContractState(): ContractWorldState {
  return ContractWorld.empty();
}
