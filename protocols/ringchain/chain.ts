/**
 * The ringchain as the shared Nakamoto machinery sees it (protocols/nakamoto/chain.ts): an
 * Ethereum-style account chain (seed 001 §2.2) whose transactions are ring-signed (§2.1) and run
 * the RC / MRC / ALC record contracts (§3, protocols/ringchain/contracts/).
 *
 * Validation, computed once per block and shared by every node that receives it (tree.ts says
 * why that is sound; each node is still charged its own CPU time through NakamotoOptions.cpu):
 *   context-free (`checkBody`, per block object): the header parses strictly, KEC(header) is the
 *     hash, the proof of work checks (block.ts), txRoot = KEC(RLP(txs)), ommersHash =
 *     KEC(RLP(ommers)) and every ommer header parses and carries valid work, every tx decodes
 *     strictly from its bytes, size and count limits;
 *   contextual (`connect`, per hash): number = parent + 1, the difficulty rule, timestamp >
 *     parent's, ommers are kin of the last 6 ancestors and not included before (yellow paper
 *     §11.1), then Υ transaction by transaction (`applyTx`): ring members enrolled, nonce =
 *     the pseudonym's nonce, up-front cost, ring signature, contract execution, fee to the
 *     beneficiary; Σ gasUsed ≤ the block gas limit; rewards (yellow paper §11.3); finally the
 *     recomputed state root must equal the header's.
 * Blocks invalid on their own (bad PoW, tx root, ommers hash, malformed tx) are not remembered
 * by hash (a tampered body under an honest header must not poison the honest block).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { keccak256 } from '../crypto/hash.ts';
import { RingKeyCache, verify as ringVerify } from '../crypto/ringsig.ts';
import { tryDecodePoint } from '../crypto/group.ts';
import { encodeString } from '../crypto/rlp.ts';
import type { BlockTemplate, BodyVerdict, Chain, Connected } from '../nakamoto/chain.ts';
import type { RelayContext } from '../nakamoto/node.ts';
import type { BlockEntry, BlockTree } from '../nakamoto/tree.ts';
import { addressFromBytes, createContractEngine, type Address, type BlockEnv, type ContractEngine, type ContractMutantName } from './contracts/index.ts';
import { checkPow, mineBlock, ommersHashOf, parseHeader, txRootOf, type RingBlock, type RingHeader } from './block.ts';
import { RingState, type Receipt } from './state.ts';
import { decodeTx, parseTransferData, type RingTx } from './tx.ts';

export type RingEntry = BlockEntry<RingBlock, RingState>;
export type RingContext = RelayContext<RingBlock, RingTx>;

/** Chain parameters (units in every comment). */
export interface RingChainParams {
  /** Difficulty of every block: expected hashes per block (fixed; no difficulty adjustment). */
  difficulty: number;
  /** Gas limit T_g of every tx, gas (seed 001's RLP has no gas fields: the chain fixes it). */
  txGasLimit: number;
  /** Gas price T_p of every tx, wei per gas. */
  gasPrice: bigint;
  /** Block gas limit H_l: Σ gasUsed of a block's txs ≤ it, gas. */
  blockGasLimit: number;
  /** Most txs per block. */
  maxBlockTxs: number;
  /** R_block, wei (yellow paper §11.3; Constantinople: 2 ether). */
  blockReward: bigint;
}

/** Most ommers per block and how far back they may fork (yellow paper §11.1). */
export const MAX_OMMERS = 2;
export const OMMER_GENERATIONS = 6;

/** Why a tx cannot go into a block on a given state. */
export type TxRejectReason =
  | 'unknown-ring-member'
  | 'bad-ring-signature'
  | 'replayed-nonce'
  | 'nonce-too-high'
  | 'insufficient-funds'
  | 'invalid-gas'
  | 'block-gas-exceeded';

/** The beneficiary address of miner `id` (deterministic, no key needed: rewards are never spent in the simulation). */
export function minerAddress(id: number): Address {
  return addressFromBytes(keccak256(encodeString(`ringchain/miner/${id}`)).subarray(12));
}

const hex = bytesToHex;

export class RingChain implements Chain<RingBlock, RingTx, RingState> {
  readonly name = 'ringchain';
  /** Rewards are credited in the state: no coinbase tx. */
  readonly coinbaseTxs = 0;
  /** Ring-member data shared by every node's verifier (an entry depends only on the key bytes). */
  readonly ringCache = new RingKeyCache({ maxKeys: 8192 });
  /** Ring-signature verdict by txid (= KEC of the bytes, which hold ring, message and signature). */
  private readonly sigVerdicts = new Map<string, boolean>();
  /** Decoded txs by bytes object (decoding is a pure function of the bytes). */
  private readonly decoded = new WeakMap<Uint8Array, RingTx | { reason: string }>();
  /** Parsed headers by block object. */
  private readonly headers = new WeakMap<RingBlock, RingHeader>();
  readonly engine: ContractEngine;
  /** The run's block tree (set by the world): ommer candidates for block templates. */
  store: BlockTree<RingBlock, RingTx, RingState> | undefined;
  /** Ring signatures really verified (cache misses), for benchmarks and tests. */
  verifications = 0;

  constructor(
    readonly params: RingChainParams,
    contractMutant?: ContractMutantName,
  ) {
    this.engine = createContractEngine({ mutant: contractMutant });
  }

  /** The header of a block as its bytes say (undefined: malformed). */
  header(block: RingBlock): RingHeader | undefined {
    let h = this.headers.get(block);
    if (h === undefined) {
      h = parseHeader(block.headerBytes);
      if (h) this.headers.set(block, h);
    }
    return h;
  }

  /** Strictly decodes tx bytes (cached per bytes object); a `reason` for malformed ones. */
  decode(bytes: Uint8Array): RingTx | { reason: string } {
    let d = this.decoded.get(bytes);
    if (d === undefined) {
      d = decodeTx(bytes);
      this.decoded.set(bytes, d);
    }
    return d;
  }

  /** The ring-signature verdict of a decoded tx, verified once per distinct tx. */
  signatureValid(tx: RingTx): boolean {
    let v = this.sigVerdicts.get(tx.txid);
    if (v === undefined) {
      this.verifications++;
      const ring = this.ringCache.tryPrepare(tx.ring);
      v = ring !== undefined && ringVerify(tx.message, ring, tx.signature);
      this.sigVerdicts.set(tx.txid, v);
    }
    return v;
  }

  checkBody(block: RingBlock): BodyVerdict {
    const h = this.header(block);
    const hash = hex(keccak256(block.headerBytes));
    if (h === undefined) return { hash, parentHash: '', reason: 'malformed-header' };
    const parentHash = hex(h.parentHash);
    const reason = this.bodyReason(block, h);
    return { hash, parentHash, reason };
  }

  private bodyReason(block: RingBlock, h: RingHeader): string | null {
    if (!checkPow(h)) return 'bad-pow';
    if (block.txs.length > this.params.maxBlockTxs) return 'too-many-txs';
    const txs: RingTx[] = [];
    for (const t of block.txs) {
      const d = this.decode(t.bytes);
      if ('reason' in d) return 'malformed-tx';
      txs.push(d);
    }
    if (hex(txRootOf(txs)) !== hex(h.txRoot)) return 'bad-tx-root';
    if (block.ommers.length > MAX_OMMERS) return 'too-many-ommers';
    let ommersHash: Uint8Array;
    try {
      ommersHash = ommersHashOf(block.ommers);
    } catch {
      return 'bad-ommers-hash';
    }
    if (hex(ommersHash) !== hex(h.ommersHash)) return 'bad-ommers-hash';
    for (const o of block.ommers) {
      const u = parseHeader(o);
      if (u === undefined || !checkPow(u)) return 'bad-ommer';
    }
    return null;
  }

  /** The decoded txs of a block that passed checkBody. */
  txsOf(block: RingBlock): RingTx[] {
    return block.txs.map((t) => this.decode(t.bytes) as RingTx);
  }

  connect(block: RingBlock, _hash: string, parent: RingEntry): Connected<RingState> | string {
    const h = this.header(block)!;
    const number = parent.height + 1;
    if (h.number !== number) return 'bad-number';
    if (h.difficulty !== this.childDifficulty(parent)) return 'bad-difficulty';
    if (h.timestamp <= this.header(parent.block)!.timestamp && parent.height > 0) return 'time-too-old';
    const ommers = this.checkOmmers(block, parent);
    if (typeof ommers === 'string') return ommers;
    const state = parent.state.derive();
    const env: BlockEnv = { number, timestamp: h.timestamp, beneficiary: h.beneficiary, gasLimit: this.params.blockGasLimit };
    let gas = 0;
    let fees = 0n;
    for (const tx of this.txsOf(block)) {
      const r = this.applyTx(state, tx, env, number, this.params.blockGasLimit - gas);
      if (typeof r === 'string') return r;
      gas += r.gasUsed;
      fees += r.fee;
    }
    this.reward(state, h.beneficiary, number, ommers);
    state.seal();
    if (!this.stateRootMatches(h.stateRoot, state.root())) return 'bad-state-root';
    return { state, work: h.difficulty, fees: Number(fees / 1_000_000_000n) };
  }

  /**
   * Whether the header's committed state root equals the root this node computed by re-executing
   * the block. (The seam the `state-root-unchecked` mutant replaces.)
   */
  protected stateRootMatches(committed: Uint8Array, computed: Uint8Array): boolean {
    return hex(committed) === hex(computed);
  }

  /** Yellow paper §11.1: ommers are kin (siblings of ancestors 2..7 back) not included before. */
  private checkOmmers(block: RingBlock, parent: RingEntry): RingHeader[] | string {
    if (block.ommers.length === 0) return [];
    const ancestors = new Map<string, RingEntry>();
    const included = new Set<string>();
    let x: RingEntry | null = parent;
    for (let i = 0; i <= OMMER_GENERATIONS && x; i++, x = x.parent) {
      ancestors.set(x.hash, x);
      for (const o of x.block.ommers) included.add(hex(keccak256(o)));
    }
    const seen = new Set<string>();
    const out: RingHeader[] = [];
    for (const o of block.ommers) {
      const u = parseHeader(o)!;
      const uh = hex(keccak256(o));
      const kin = ancestors.get(hex(u.parentHash));
      if (seen.has(uh) || included.has(uh) || ancestors.has(uh)) return 'bad-ommer';
      if (!kin || kin === parent || u.number !== kin.height + 1) return 'bad-ommer';
      if (u.difficulty !== this.childDifficulty(kin) || (kin.height > 0 && u.timestamp <= this.header(kin.block)!.timestamp)) return 'bad-ommer';
      seen.add(uh);
      out.push(u);
    }
    return out;
  }

  /** Block and ommer rewards (yellow paper §11.3, eq. 175–177). */
  private reward(state: RingState, beneficiary: Address, number: number, ommers: readonly RingHeader[]): void {
    const R = this.params.blockReward;
    state.credit(beneficiary, R + (R / 32n) * BigInt(ommers.length));
    for (const u of ommers) state.credit(u.beneficiary, (R * BigInt(8 + u.number - number)) / 8n);
  }

  /**
   * Validates `tx` on `state` (open) and applies it: Υ for one transaction. Returns the receipt,
   * or why the tx cannot be in a block (then the state is unchanged).
   */
  applyTx(state: RingState, tx: RingTx, env: BlockEnv, height: number, gasLeft: number): Receipt | TxRejectReason {
    for (const k of tx.ring) if (!state.keys.has(hex(k))) return 'unknown-ring-member';
    const acc = state.account(tx.sender);
    const nonceCheck = this.checkNonce(tx.nonce, acc.nonce);
    if (nonceCheck) return nonceCheck;
    const p = this.params;
    const upFront = BigInt(p.txGasLimit) * p.gasPrice;
    if (acc.balance < upFront) return 'insufficient-funds';
    if (p.txGasLimit > gasLeft) return 'block-gas-exceeded';
    if (!this.signatureValid(tx)) return 'bad-ring-signature';
    const base = { sender: tx.sender, nonce: tx.nonce, gasLimit: p.txGasLimit, gasPrice: p.gasPrice };
    const target = tx.to;
    const res = this.engine.execute(state.contracts, tx.kind === 'deploy' ? { kind: 'deploy', ...base, code: tx.data } : { kind: 'call', ...base, to: target!, data: tx.data }, env);
    if (res.status === 'invalid') return 'invalid-gas';
    let status = res.status;
    let reason = res.reason;
    let balance = acc.balance - res.fee;
    // A value transfer: a call to an account without code carrying `amount ‖ keys` (tx.ts).
    if (status === 'success' && tx.kind === 'call' && state.contracts.get(target!) === undefined) {
      const t = parseTransferData(tx.data);
      if (t) {
        if (t.amount > balance) [status, reason] = ['revert', 'insufficient-value'];
        else if (t.enrol.some((k) => tryDecodePoint(k, false) === undefined)) [status, reason] = ['revert', 'bad-enrolment'];
        else {
          balance -= t.amount;
          if (target !== tx.sender) state.credit(target!, t.amount);
          else balance += t.amount;
          for (const k of t.enrol) state.enrol(hex(k), height);
        }
      }
    }
    state.setAccount(tx.sender, { nonce: acc.nonce + 1, balance });
    state.credit(env.beneficiary, res.fee);
    state.txIndex.set(tx.txid, height);
    const receipt: Receipt = {
      txid: tx.txid,
      status,
      reason,
      gasUsed: res.gasUsed,
      fee: res.fee,
      sender: tx.sender,
      keyImageHex: tx.keyImageHex,
      nonce: tx.nonce,
      events: status === 'success' ? res.events : [],
      returnData: status === 'success' ? res.returnData : new Uint8Array(0),
      ...(res.created && status === 'success' ? { created: res.created } : {}),
    };
    state.receipts.push(receipt);
    return receipt;
  }

  /** Tn must equal the pseudonym's nonce (the seam the `nonce-unchecked` mutant replaces). */
  protected checkNonce(txNonce: number, accountNonce: number): TxRejectReason | null {
    if (txNonce < accountNonce) return 'replayed-nonce';
    if (txNonce > accountNonce) return 'nonce-too-high';
    return null;
  }

  childDifficulty(_parent: RingEntry): number {
    return this.params.difficulty;
  }

  workOf(difficulty: number): number {
    return difficulty;
  }

  timestampSec(block: RingBlock): number {
    return this.header(block)?.timestamp ?? 0;
  }

  headerBytes(block: RingBlock): number {
    return block.headerBytes.length;
  }

  txHeight(state: RingState, txid: string): number | undefined {
    return state.txIndex.get(txid);
  }

  /**
   * Mempool admission (what an Ethereum tx pool checks): decodes, ring members enrolled, nonce
   * not already used (a later nonce may wait for its predecessor), up-front cost, ring signature.
   */
  checkTx(tip: RingEntry, tx: RingTx, _nowUs: number): string | null {
    const d = this.decode(tx.bytes);
    if ('reason' in d) return d.reason;
    const state = tip.state;
    for (const k of d.ring) if (!state.keys.has(hex(k))) return 'unknown-ring-member';
    const acc = state.account(d.sender);
    if (d.nonce < acc.nonce) return 'replayed-nonce';
    if (acc.balance < BigInt(this.params.txGasLimit) * this.params.gasPrice) return 'insufficient-funds';
    if (!this.signatureValid(d)) return 'bad-ring-signature';
    return null;
  }

  /** Ommer candidates for a block on `parent` that `miner` holds (yellow paper §11.1), at most 2, oldest-first. */
  private pickOmmers(parent: RingEntry, miner: number): Uint8Array[] {
    if (!this.store) return [];
    const ancestors = new Set<string>();
    const included = new Set<string>();
    const byHeight = new Map<number, RingEntry>();
    let x: RingEntry | null = parent;
    for (let i = 0; i <= OMMER_GENERATIONS && x; i++, x = x.parent) {
      ancestors.add(x.hash);
      byHeight.set(x.height, x);
      for (const o of x.block.ommers) included.add(hex(keccak256(o)));
    }
    const out: Uint8Array[] = [];
    const number = parent.height + 1;
    for (let h = Math.max(1, number - OMMER_GENERATIONS); h < number && out.length < MAX_OMMERS; h++) {
      for (const e of this.store.atHeight(h)) {
        if (out.length >= MAX_OMMERS) break;
        if (ancestors.has(e.hash) || included.has(e.hash) || e.have[miner] !== 1) continue;
        const kin = e.parent;
        if (!kin || byHeight.get(kin.height) !== kin || kin === parent) continue;
        out.push(e.block.headerBytes);
      }
    }
    return out;
  }

  assemble(_ctx: RingContext, t: BlockTemplate<RingBlock, RingTx, RingState>): RingBlock {
    return this.build(t.parent, [...t.extra, ...t.txs], t.timeSec, minerAddress(t.miner), this.pickOmmers(t.parent, t.miner));
  }

  /**
   * Builds and mines a valid block on `parent` from `candidates` (invalid ones dropped; a tx whose
   * nonce is ahead is retried after the others, so a sender's consecutive txs fit in one block).
   */
  build(parent: RingEntry, candidates: readonly RingTx[], timestamp: number, beneficiary: Address, ommerBytes: Uint8Array[]): RingBlock {
    const number = parent.height + 1;
    const state = parent.state.derive();
    const env: BlockEnv = { number, timestamp, beneficiary, gasLimit: this.params.blockGasLimit };
    const chosen: RingTx[] = [];
    let gas = 0;
    let pending = candidates.map((c) => this.decode(c.bytes)).filter((c): c is RingTx => !('reason' in c));
    for (let progress = true; progress && pending.length > 0 && chosen.length < this.params.maxBlockTxs; ) {
      progress = false;
      const deferred: RingTx[] = [];
      for (const tx of pending) {
        if (chosen.length >= this.params.maxBlockTxs) break;
        const r = this.applyTx(state, tx, env, number, this.params.blockGasLimit - gas);
        if (r === 'nonce-too-high') deferred.push(tx);
        if (typeof r === 'string') continue;
        chosen.push(tx);
        gas += r.gasUsed;
        progress = true;
      }
      pending = deferred;
    }
    const ommers = ommerBytes.map((o) => parseHeader(o)!);
    this.reward(state, beneficiary, number, ommers);
    state.seal();
    return mineBlock(
      {
        parentHash: hexToBytes32(parent.hash),
        ommersHash: ommersHashOf(ommerBytes),
        txRoot: txRootOf(chosen),
        beneficiary,
        stateRoot: state.root(),
        difficulty: this.childDifficulty(parent),
        number,
        timestamp,
      },
      chosen,
      ommerBytes,
    );
  }
}

export function hexToBytes32(h: string): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
