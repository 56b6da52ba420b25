/**
 * The reference the TypeScript engine is checked against: the compiled contracts (compiled.json)
 * run as real signed transactions on `@ethereumjs/vm` (its EVM, `runTx` with intrinsic gas,
 * refunds, the EIP-7623 floor and fee payment) at the Prague fork.
 *
 * Used by the differential test and `medsim reproduce contract-gas`; the simulator never imports it
 * (it is asynchronous and much slower). Senders are secp256k1 keys derived from labels
 * (KEC("medchain-sim ringchain actor" ‖ label)), because an Ethereum transaction's sender is
 * recovered from its signature; the TypeScript engine is given the same addresses.
 */
import { createBlock } from '@ethereumjs/block';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { SimpleStateManager } from '@ethereumjs/statemanager';
import { createLegacyTx } from '@ethereumjs/tx';
import { Account, Address as EthAddress, privateToAddress } from '@ethereumjs/util';
import { createVM, runTx, type VM } from '@ethereumjs/vm';
import { keccak256 } from '../../crypto/hash.ts';
import { addressFromBytes, addressToBytes, type Address, type BlockEnv, type ContractTx, type ExecStatus, type LogRecord } from './api.ts';
import { bigintFromBytes, wordFromBigint } from './abi.ts';

/** The fork both engines follow (see gas-schedule.ts). */
export const REFERENCE_HARDFORK = Hardfork.Prague;

export interface ReferenceResult {
  readonly status: ExecStatus;
  /** Receipt gas (after refund and EIP-7623 floor); 0 for invalid. */
  readonly gasUsed: number;
  /** What the beneficiary's balance grew by, in wei. */
  readonly fee: bigint;
  readonly returnData: Uint8Array;
  readonly created?: Address;
  readonly logs: readonly LogRecord[];
  /** ethereumjs's error text, for failures. */
  readonly error: string;
}

const INITIAL_BALANCE = 10n ** 30n;

export class EvmReference {
  private readonly keys = new Map<Address, Uint8Array>();

  private constructor(
    readonly vm: VM,
    readonly common: Common,
    private readonly state: SimpleStateManager,
  ) {}

  static async create(): Promise<EvmReference> {
    const common = new Common({ chain: Mainnet, hardfork: REFERENCE_HARDFORK });
    // The flat state manager: no Merkle Patricia trie to hash after every transaction (contract
    // execution and gas do not depend on it), and storage keys stay readable for the comparison.
    const state = new SimpleStateManager({ common });
    const vm = await createVM({ common, stateManager: state });
    return new EvmReference(vm, common, state);
  }

  /** A funded externally-owned account with a key derived from `label`. */
  async actor(label: string): Promise<Address> {
    const key = keccak256(new TextEncoder().encode(`medchain-sim ringchain actor ${label}`));
    const address = addressFromBytes(privateToAddress(key));
    if (!this.keys.has(address)) {
      this.keys.set(address, key);
      await this.vm.stateManager.putAccount(new EthAddress(addressToBytes(address)), new Account(0n, INITIAL_BALANCE));
    }
    return address;
  }

  /** The account's next nonce (its transaction count). */
  async nonce(address: Address): Promise<number> {
    const acc = await this.vm.stateManager.getAccount(new EthAddress(addressToBytes(address)));
    return Number(acc?.nonce ?? 0n);
  }

  async balance(address: Address): Promise<bigint> {
    const acc = await this.vm.stateManager.getAccount(new EthAddress(addressToBytes(address)));
    return acc?.balance ?? 0n;
  }

  /** Runtime code at an address (empty when none). */
  async code(address: Address): Promise<Uint8Array> {
    return this.vm.stateManager.getCode(new EthAddress(addressToBytes(address)));
  }

  /** One storage word. */
  async storageAt(address: Address, slot: bigint): Promise<bigint> {
    const v = await this.vm.stateManager.getStorage(new EthAddress(addressToBytes(address)), wordFromBigint(slot));
    return bigintFromBytes(v);
  }

  /** Every non-zero storage slot of an account, ascending (to check the EVM holds no slot the engine lacks). */
  storageSlots(address: Address): bigint[] {
    const prefix = `${address}_0x`;
    const top = this.state.storageStack[this.state.storageStack.length - 1];
    const out: bigint[] = [];
    for (const [key, value] of top) {
      if (key.startsWith(prefix) && bigintFromBytes(value) !== 0n) out.push(BigInt('0x' + key.slice(prefix.length)));
    }
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private lastBlock: { env: BlockEnv; block: ReturnType<typeof createBlock> } | undefined;

  /** The ethereumjs block for an environment (cached: building one copies the Common). */
  private block(env: BlockEnv): ReturnType<typeof createBlock> {
    const last = this.lastBlock;
    if (last && last.env.number === env.number && last.env.timestamp === env.timestamp && last.env.gasLimit === env.gasLimit && last.env.beneficiary === env.beneficiary) {
      return last.block;
    }
    const block = createBlock(
      {
        header: {
          number: BigInt(env.number),
          timestamp: BigInt(env.timestamp),
          gasLimit: BigInt(env.gasLimit),
          coinbase: new EthAddress(addressToBytes(env.beneficiary)),
          baseFeePerGas: 0n, // the whole fee goes to the beneficiary (api.ts)
        },
      },
      { common: this.common },
    );
    this.lastBlock = { env: { ...env }, block };
    return block;
  }

  /** Signs and runs one transaction; the tx's nonce must be the sender's current nonce. */
  async execute(tx: ContractTx, block: BlockEnv): Promise<ReferenceResult> {
    const key = this.keys.get(tx.sender);
    if (key === undefined) throw new Error(`${tx.sender} is not an actor of this reference EVM`);
    const expected = await this.nonce(tx.sender);
    if (tx.nonce !== expected) throw new Error(`nonce ${tx.nonce} of ${tx.sender}, the reference expects ${expected}`);
    const common = this.common;
    const ethBlock = this.block(block);
    const signed = createLegacyTx(
      {
        nonce: BigInt(tx.nonce),
        gasLimit: BigInt(tx.gasLimit),
        gasPrice: tx.gasPrice,
        ...(tx.kind === 'call' ? { to: new EthAddress(addressToBytes(tx.to)) } : {}),
        data: tx.kind === 'call' ? tx.data : tx.code,
      },
      { common },
    ).sign(key);
    const before = await this.balance(block.beneficiary);
    let result;
    try {
      result = await runTx(this.vm, { tx: signed, block: ethBlock, skipHardForkValidation: true });
    } catch (e) {
      return { status: 'invalid', gasUsed: 0, fee: 0n, returnData: new Uint8Array(0), logs: [], error: (e as Error).message };
    }
    const after = await this.balance(block.beneficiary);
    const err = result.execResult.exceptionError;
    const status: ExecStatus = err === undefined ? 'success' : err.error === 'revert' ? 'revert' : 'out-of-gas';
    const logs: LogRecord[] = (result.execResult.logs ?? []).map(([address, topics, data]) => ({
      address: addressFromBytes(address),
      topics: topics.map((t) => Uint8Array.from(t)),
      data: Uint8Array.from(data),
    }));
    return {
      status,
      gasUsed: Number(result.totalGasSpent),
      fee: after - before,
      returnData: status === 'success' && tx.kind === 'deploy' ? new Uint8Array(0) : Uint8Array.from(result.execResult.returnValue),
      ...(status === 'success' && result.createdAddress ? { created: addressFromBytes(result.createdAddress.bytes) } : {}),
      logs,
      error: err?.error ?? '',
    };
  }
}
