/**
 * The contract engine: applies one deployment or call to the contract world state, the way the
 * yellow paper's transaction execution (§6) does for the contract accounts:
 *
 *   1. validity (§6.2): T_g ≤ the block gas limit; T_g ≥ max(intrinsic gas g_0, EIP-7623 floor);
 *      a deployment's Tc starts with the init code of RC, MRC or ALC (this simulator runs only the
 *      three record contracts) — otherwise `invalid`: no state change, no fee;
 *   2. execution with g = T_g − g_0 gas: the constructor (then the EIP-170 size check and the code
 *      deposit, 200 gas per runtime-code byte) or the called contract's dispatcher; calls to an
 *      address without code do nothing; accessed addresses start warm for the sender, the target
 *      (or new contract) and the beneficiary (EIP-2929, EIP-3651);
 *   3. gas used (eq. 72–73): g* = T_g − g′ on success or revert, T_g on an exceptional halt (out of
 *      gas); the refund min(counter, g* ÷ 5) only on success (EIP-3529); then at least the EIP-7623
 *      floor; fee = gasUsed × T_p for the beneficiary (no base fee: see api.ts);
 *   4. on success, the pending storage writes and the new contract are committed to the state.
 */
import { keccak256 } from '../../crypto/hash.ts';
import { encodeUint, rlpEncode } from '../../crypto/rlp.ts';
import {
  addressFromBytes,
  addressToBytes,
  parseAddress,
  type Address,
  type BlockEnv,
  type ContractEngine,
  type ContractEngineOptions,
  type ContractEvent,
  type ContractKind,
  type ContractMutantName,
  type ContractTx,
  type ContractWorldState,
  type ExecStatus,
  type ExecutionResult,
  type LogRecord,
} from './api.ts';
import { addressFromWord, bigintFromBytes, eventTopic } from './abi.ts';
import { CODE, KINDS, runtimeCode } from './artefact.ts';
import type { ContractLogic } from './contracts.ts';
import { Frame, OutOfGas, Revert, TxContext, type CodeRunner } from './execution.ts';
import { G_CODEDEPOSIT, MAX_CODE_SIZE, MAX_REFUND_QUOTIENT, floorGas, intrinsicGas } from './gas-schedule.ts';
import { contractsFor } from './mutants.ts';
import { ContractAccount, ContractWorld } from './world-state.ts';

/** EIP-3860: largest init code, in bytes. */
const MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE;
const EMPTY = new Uint8Array(0);

/** The address a CREATE by `sender` at `nonce` yields: KEC(RLP(sender, nonce))[12..32] (yellow paper eq. 86). */
export function createdAddress(sender: Address, nonce: number): Address {
  if (!Number.isSafeInteger(nonce) || nonce < 0) throw new RangeError('nonce must be a non-negative safe integer');
  return addressFromBytes(keccak256(rlpEncode([addressToBytes(sender), encodeUint(nonce)])).subarray(12));
}

/** Which record contract a deployment's Tc deploys, by its init-code prefix; undefined for any other code. */
export function recogniseDeployment(code: Uint8Array): ContractKind | undefined {
  for (const kind of KINDS) {
    const init = CODE[kind].initCode;
    if (code.length < init.length) continue;
    let same = true;
    for (let i = 0; i < init.length && same; i++) same = code[i] === init[i];
    if (same) return kind;
  }
  return undefined;
}

function assertSafeGas(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative safe integer (gas), got ${value}`);
}

function invalid(reason: string): ExecutionResult {
  return { status: 'invalid', reason, gasUsed: 0, fee: 0n, returnData: EMPTY, logs: [], events: [] };
}

const TOPIC = {
  warranted: eventTopic('Warranted(address)'),
  unwarranted: eventTopic('Unwarranted(address)'),
  listed: eventTopic('Listed(address)'),
  delisted: eventTopic('Delisted(address)'),
  subjoined: eventTopic('Subjoined(address)'),
  infoUpdated: eventTopic('InfoUpdated()'),
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The decoded events of a successful transaction's logs (state = the state after it). */
export function decodeEvents(logs: readonly LogRecord[], state: ContractWorldState, sender: Address): ContractEvent[] {
  const out: ContractEvent[] = [];
  const ownerOf = (a: Address): Address => (state.get(a) as ContractAccount | undefined)?.immutables.owner ?? a;
  for (const log of logs) {
    const t0 = log.topics[0];
    const arg = log.topics.length > 1 ? addressFromWord(bigintFromBytes(log.topics[1])) : undefined;
    if (arg !== undefined && (sameBytes(t0, TOPIC.warranted) || sameBytes(t0, TOPIC.unwarranted))) {
      out.push({
        kind: sameBytes(t0, TOPIC.warranted) ? 'warranted' : 'unwarranted',
        mrc: log.address,
        alc: arg,
        institution: ownerOf(arg),
        owner: ownerOf(log.address),
        caller: sender,
      });
    } else if (arg !== undefined && (sameBytes(t0, TOPIC.listed) || sameBytes(t0, TOPIC.delisted))) {
      out.push({ kind: sameBytes(t0, TOPIC.listed) ? 'alc-added' : 'alc-removed', alc: log.address, mrc: arg, institution: ownerOf(log.address) });
    } else if (arg !== undefined && sameBytes(t0, TOPIC.subjoined)) {
      out.push({ kind: 'subjoined', rc: log.address, mrc: arg, owner: ownerOf(log.address), caller: sender });
    } else if (sameBytes(t0, TOPIC.infoUpdated)) {
      out.push({ kind: 'info-updated', rc: log.address, owner: ownerOf(log.address), caller: sender });
    }
  }
  return out;
}

class RecordContractEngine implements ContractEngine, CodeRunner {
  readonly mutant: ContractMutantName | undefined;
  private readonly contracts: Record<ContractKind, ContractLogic>;

  constructor(options: ContractEngineOptions) {
    this.mutant = options.mutant;
    this.contracts = contractsFor(options.mutant);
  }

  run(frame: Frame, account: ContractAccount, calldata: Uint8Array): Uint8Array {
    return this.contracts[account.kind].dispatch(frame, account, calldata);
  }

  execute(state: ContractWorldState, tx: ContractTx, block: BlockEnv): ExecutionResult {
    if (!(state instanceof ContractWorld)) throw new TypeError('state must come from emptyContractState() / fork()');
    if (state.frozen) throw new Error('execute on a sealed contract state: fork() it first');
    parseAddress(tx.sender);
    parseAddress(block.beneficiary);
    assertSafeGas(tx.gasLimit, 'gasLimit');
    assertSafeGas(block.gasLimit, 'block gasLimit');
    if (typeof tx.gasPrice !== 'bigint' || tx.gasPrice < 0n) throw new RangeError('gasPrice must be a non-negative bigint (wei per gas)');

    const isCreation = tx.kind === 'deploy';
    const data = isCreation ? tx.code : tx.data;
    if (!(data instanceof Uint8Array)) throw new TypeError('code / data must be a Uint8Array');
    if (tx.gasLimit > block.gasLimit) return invalid(`gas limit ${tx.gasLimit} above the block gas limit ${block.gasLimit}`);
    const intrinsic = intrinsicGas(data, isCreation);
    const floor = floorGas(data);
    if (tx.gasLimit < Math.max(intrinsic, floor)) {
      return invalid(`gas limit ${tx.gasLimit} below the intrinsic gas ${intrinsic} (EIP-7623 floor ${floor})`);
    }
    let kind: ContractKind | undefined;
    let target: Address;
    if (isCreation) {
      if (data.length > MAX_INITCODE_SIZE) return invalid(`init code of ${data.length} bytes above the EIP-3860 limit ${MAX_INITCODE_SIZE}`);
      kind = recogniseDeployment(data);
      if (kind === undefined) return invalid('deployment code is not RC, MRC or ALC init code');
      target = createdAddress(tx.sender, tx.nonce);
    } else {
      target = parseAddress(tx.to);
    }

    const ctx = new TxContext(block, tx.sender, (a) => state.get(a), this, [tx.sender, target, block.beneficiary]);
    const frame = new Frame(ctx, target, tx.sender, tx.gasLimit - intrinsic);
    let status: ExecStatus = 'success';
    let reason = '';
    let returnData: Uint8Array = EMPTY;
    let created: ContractAccount | undefined;
    try {
      if (isCreation) {
        if (state.get(target) !== undefined) {
          frame.gasLeft = 0;
          throw new OutOfGas(`address collision at ${target}: all gas consumed (EIP-684)`);
        }
        created = this.deploy(ctx, frame, kind!, target, data.subarray(CODE[kind!].initCode.length));
      } else {
        const account = state.get(target);
        if (account !== undefined) returnData = this.run(frame, account, data);
      }
    } catch (e) {
      if (e instanceof Revert) {
        status = 'revert';
        reason = e.reason;
        returnData = e.data;
      } else if (e instanceof OutOfGas) {
        status = 'out-of-gas';
        reason = e.message;
        frame.gasLeft = 0;
      } else {
        throw e;
      }
    }

    let gasUsed = tx.gasLimit - frame.gasLeft;
    if (status === 'success') gasUsed -= Math.min(Math.max(ctx.refund, 0), Math.floor(gasUsed / MAX_REFUND_QUOTIENT));
    gasUsed = Math.max(gasUsed, floor);
    const fee = BigInt(gasUsed) * tx.gasPrice;
    if (status !== 'success') return { status, reason, gasUsed, fee, returnData, logs: [], events: [] };

    if (created !== undefined) state.create(created);
    for (const address of [...ctx.writes.keys()].sort()) {
      for (const [slot, value] of ctx.writes.get(address)!) state.store(address, slot, value);
    }
    const events = decodeEvents(ctx.logs, state, tx.sender);
    if (created !== undefined) events.unshift({ kind: 'deployed', contract: created.kind, address: created.address, owner: created.immutables.owner });
    return { status, reason, gasUsed, fee, returnData, ...(created ? { created: created.address } : {}), logs: ctx.logs, events };
  }

  /** Runs a constructor, then pays the code deposit; returns the account to commit. */
  private deploy(ctx: TxContext, frame: Frame, kind: ContractKind, address: Address, args: Uint8Array): ContractAccount {
    // While its constructor runs a new contract has no code and all-zero original storage.
    ctx.created.set(address, new ContractAccount(address, kind, EMPTY, keccak256(EMPTY), { owner: frame.caller, timestamp: 0 }, new Map()));
    const words = this.contracts[kind].construct(frame, args);
    const code = runtimeCode(kind, words);
    if (code.length > MAX_CODE_SIZE) throw new OutOfGas(`runtime code of ${code.length} bytes above the EIP-170 limit`);
    frame.charge(G_CODEDEPOSIT * code.length);
    const owner = addressFromWord(bigintFromBytes(words.owner ?? words.institution));
    const timestamp = words.timestamp === undefined ? 0 : Number(bigintFromBytes(words.timestamp));
    return new ContractAccount(address, kind, code, keccak256(code), { owner, timestamp }, new Map());
  }
}

/** An engine running the honest contracts, or the named mutant (mutants.ts). */
export function createContractEngine(options: ContractEngineOptions = {}): ContractEngine {
  return new RecordContractEngine(options);
}
