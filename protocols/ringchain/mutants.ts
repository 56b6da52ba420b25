/**
 * Deliberately broken variants of the ringchain for the check harness (docs/check.md "Declaring
 * mutants"): each replaces one rule and must be caught by the invariant it is named after while
 * the same seeds without it pass (the control).
 *
 * - `alc-not-updated-on-unwarrant`, `owner-check-skipped`: the record contracts' mutants
 *   (contracts/mutants.ts), run by every node's contract engine;
 * - `state-root-unchecked`: nodes adopt a block without comparing its header's state root with
 *   the root of their own execution (yellow paper §4.3.2: H_r = TRIE(L_S(Π(σ, B)))) — with a
 *   bad-root miner on the network, `state-root-agreement` catches it;
 * - `nonce-unchecked`: Tn is not compared with the pseudonym's nonce (yellow paper §6.2: T_n = σ[S(T)]_n),
 *   so a replayed (key image, nonce) executes again — with a replaying miner, `key-image-nonce-once`
 *   catches it.
 * Reached only through `ringchainModule.mutants`, never through the scenario schema.
 */
import { RingChain, type TxRejectReason } from './chain.ts';
import { CONTRACT_MUTANTS, type ContractMutantName } from './contracts/index.ts';

/** What a mutant changes in a ringchain run. */
export interface RingchainVariant {
  /** The contract engine's mutant (every node runs it). */
  readonly contractMutant?: ContractMutantName;
  /** The chain implementation every node runs instead of `RingChain`. */
  readonly Chain?: typeof RingChain;
}

/** MUTANT: adopts blocks whatever state root they commit to. */
class StateRootUncheckedChain extends RingChain {
  protected override stateRootMatches(): boolean {
    return true;
  }
}

/** MUTANT: executes a tx whatever its nonce (the account nonce still counts up). */
class NonceUncheckedChain extends RingChain {
  protected override checkNonce(): TxRejectReason | null {
    return null;
  }
}

export interface RingchainMutant {
  readonly description: string;
  /** The checker that must catch it (as it names itself). */
  readonly invariant: string;
  readonly variant: RingchainVariant;
}

export const RINGCHAIN_MUTANTS: Readonly<Record<string, RingchainMutant>> = {
  'alc-not-updated-on-unwarrant': {
    description: `${CONTRACT_MUTANTS['alc-not-updated-on-unwarrant'].description} (seed 001 Protocol 3)`,
    invariant: 'alc-consistency',
    variant: { contractMutant: 'alc-not-updated-on-unwarrant' },
  },
  'owner-check-skipped': {
    description: `${CONTRACT_MUTANTS['owner-check-skipped'].description} (seed 001 Protocols 1–2: msg.sender == owner)`,
    invariant: 'owner-only-authorisation',
    variant: { contractMutant: 'owner-check-skipped' },
  },
  'state-root-unchecked': {
    description: 'nodes adopt blocks without comparing the header state root with their own execution (yellow paper §4.3.2)',
    invariant: 'state-root-agreement',
    variant: { Chain: StateRootUncheckedChain },
  },
  'nonce-unchecked': {
    description: 'Tn is not compared with the sender pseudonym\'s nonce, so a (key image, nonce) pair can execute twice (yellow paper §6.2)',
    invariant: 'key-image-nonce-once',
    variant: { Chain: NonceUncheckedChain },
  },
};
