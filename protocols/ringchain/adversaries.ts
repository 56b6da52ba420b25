/**
 * Ringchain adversaries, each a separate implementation (never flags in honest code). The attacker
 * is the scenario's last node; it relays like an honest node and holds its own funded, enrolled
 * identity.
 *
 *   ForgingMiner        `forged-signatures`: submits txs whose ring signature is mutated (one
 *                       response scalar changed) or forged (a valid signature presented over a
 *                       ring where the signer's key is replaced by another enrolled key), and
 *                       mines blocks carrying them (valid PoW and roots). Honest nodes refuse the
 *                       txs (`bad-ring-signature`) and the blocks.
 *   ReplayMiner         `replay`: re-submits confirmed txs byte for byte and re-signs its own
 *                       used (key image, nonce) pairs over other rings and payloads; mines blocks
 *                       carrying a replay. Refused as `replayed-nonce`.
 *   NonOwnerClient      `non-owner`: calls the owner-only functions (MRC warrant / unwarrant,
 *                       RC personInfo) of other patients' contracts. The txs are valid and pay
 *                       gas; the contracts revert `NotOwner`.
 *   BadRootMiner        `bad-root`: mines blocks whose header commits to a wrong state root or a
 *                       wrong tx root (valid PoW over the wrong header). Refused as
 *                       `bad-state-root` / `bad-tx-root`.
 *   unwarrant reversal  `unwarrant-reversal`: the 51 % attack through the shared double-spend
 *                       machinery (protocols/nakamoto/double-spend.ts): see `installUnwarrantReversal`.
 */
import type { Simulation } from '../../sim/kernel.ts';
import type { Rng } from '../../sim/rng.ts';
import type { NodeId } from '../../sim/types.ts';
import { blockMessage } from '../nakamoto/messages.ts';
import { NakamotoNode } from '../nakamoto/node.ts';
import { installDoubleSpend, type DoubleSpendOutcome } from '../nakamoto/double-spend.ts';
import { mineBlock, txRootOf, type RingBlock } from './block.ts';
import { contractReader, contractTxData, type Address } from './contracts/index.ts';
import { minerAddress, RingChain, type RingContext, type RingEntry, type TxRejectReason } from './chain.ts';
import type { RingIdentity } from './keys.ts';
import type { RingState } from './state.ts';
import { decodeTx, encodeTx, type RingTx } from './tx.ts';
import { hexToBytes, type RingWorkload, type Submit } from './workload.ts';
import type { RingMessage, RingNode, RingWorld } from './world.ts';

/** Re-mines `block` with `txs` and header changes (the adversary does real PoW for its blocks). */
function remine(block: RingBlock, txs: readonly RingTx[], change: Partial<RingBlock['header']> = {}): RingBlock {
  const { nonce: _n, mixHash: _m, ...rest } = block.header;
  return mineBlock({ ...rest, txRoot: txRootOf(txs), ...change }, txs, block.ommers);
}

/** Sends a block straight to every peer (its own node would refuse it, so it cannot go through `receiveBlock`). */
function push(ctx: RingContext, block: RingBlock, digest: string): void {
  const msg = blockMessage<RingBlock, RingTx>(block, digest);
  for (const p of ctx.peers) ctx.send(p, msg);
}

/** A tx with one byte of one response scalar flipped (still decodes; the signature no longer verifies). */
export function mutateSignature(tx: RingTx): RingTx {
  const s = tx.signature.s.map((x) => x.slice());
  s[0][1] ^= 0x01;
  const d = decodeTx(encodeTx({ kind: tx.kind, nonce: tx.nonce, to: tx.to, data: tx.data }, tx.ring, { ...tx.signature, s }));
  if ('reason' in d) throw new Error('mutated tx does not decode');
  return d;
}

/** A valid signature presented over a ring whose member `signerIndex` is replaced by `other` (a forgery attempt). */
export function forgeRing(tx: RingTx, signerIndex: number, other: Uint8Array): RingTx {
  const ring = tx.ring.map((k, i) => (i === signerIndex ? other : k));
  const d = decodeTx(encodeTx({ kind: tx.kind, nonce: tx.nonce, to: tx.to, data: tx.data }, ring, tx.signature));
  if ('reason' in d) throw new Error('forged tx does not decode');
  return d;
}

/** What the adversaries share: the attacker's identity and a way to sign with the scenario's ring policy. */
export interface AdversaryKit {
  readonly identity: RingIdentity;
  readonly workload: RingWorkload;
  readonly rng: () => Rng;
  nonce: number;
}

/** Signs a transfer of 1 wei to itself from the attacker (a valid tx to corrupt). */
function validTx(world: RingWorld, kit: AdversaryKit, tip: RingEntry, nonce: number): RingTx | undefined {
  return kit.workload.sign(world, tip, kit.identity, { kind: 'call', nonce, to: kit.identity.pseudonym, data: new Uint8Array(32) }, kit.rng());
}

export class ForgingMiner extends NakamotoNode<RingBlock, RingTx, RingState> {
  forgedTxs = 0;
  forgedBlocks = 0;
  constructor(
    id: NodeId,
    override readonly world: RingWorld,
    private readonly kit: AdversaryKit,
  ) {
    super(id, world);
  }

  /** A forged or mutated tx (alternating). */
  forge(): RingTx | undefined {
    const tx = validTx(this.world, this.kit, this.tip, this.tip.state.account(this.kit.identity.pseudonym).nonce);
    if (!tx) return undefined;
    this.forgedTxs++;
    if (this.forgedTxs % 2 === 1) return mutateSignature(tx);
    const me = tx.ring.findIndex((k) => bytesHex(k) === this.kit.identity.publicHex);
    const { known } = this.kit.workload.knownKeys(this.tip);
    const inRing = new Set(tx.ring.map(bytesHex));
    const other = known.find((k) => !inRing.has(k.publicKeyHex));
    return other ? forgeRing(tx, me, hexToBytes(other.publicKeyHex)) : mutateSignature(tx);
  }

  protected override mineBlock(ctx: RingContext): void {
    const forged = this.forge();
    const honest = this.buildBlock(ctx, this.tip, this.candidates(ctx, this.tip));
    if (forged) {
      this.forgedBlocks++;
      ctx.metrics.counter('ringchain.attack.forged-blocks').inc();
      push(ctx, remine(honest, [...honest.txs, forged]), `forged-${this.forgedBlocks}`);
    }
    this.scheduleMining(ctx);
  }
}

/** The replaying miner's own executor: the chain without the nonce rule (yellow paper §6.2). */
class ReplayExecutor extends RingChain {
  protected override checkNonce(): TxRejectReason | null {
    return null;
  }
}

export class ReplayMiner extends NakamotoNode<RingBlock, RingTx, RingState> {
  replayedBlocks = 0;
  constructor(
    id: NodeId,
    override readonly world: RingWorld,
    private readonly kit: AdversaryKit,
  ) {
    super(id, world);
  }

  /** A replay of a confirmed tx on this node's chain (byte for byte), or undefined if none yet. */
  replay(rng: Rng): RingTx | undefined {
    const confirmed: RingTx[] = [];
    for (let e: RingEntry | null = this.tip; e && e.parent && confirmed.length < 64; e = e.parent) confirmed.push(...e.block.txs);
    return confirmed.length ? confirmed[rng.int(confirmed.length)] : undefined;
  }

  /** Its own used (key image, nonce) pair, re-signed over a fresh ring with another payload. */
  resign(): RingTx | undefined {
    const used = this.tip.state.account(this.kit.identity.pseudonym).nonce;
    if (used === 0) return undefined;
    return validTx(this.world, this.kit, this.tip, used - 1);
  }

  /**
   * Builds its block with an executor that skips the nonce rule, so the header commits to the
   * state the replay produces: what a node without that rule would compute. Honest nodes refuse
   * it (`replayed-nonce`) before they get to the state root.
   */
  private executor: ReplayExecutor | undefined;

  protected override mineBlock(ctx: RingContext): void {
    const replay = this.replay(this.kit.rng());
    if (replay) {
      this.replayedBlocks++;
      ctx.metrics.counter('ringchain.attack.replay-blocks').inc();
      const block = (this.executor ??= new ReplayExecutor(this.world.chain.params)).build(this.tip, [replay], this.blockTime(ctx, this.tip), minerAddress(this.id), []);
      push(ctx, block, `replay-${this.replayedBlocks}`);
    }
    this.scheduleMining(ctx);
  }
}

export type BadRootMode = 'state-root' | 'tx-root';

export class BadRootMiner extends NakamotoNode<RingBlock, RingTx, RingState> {
  badBlocks = 0;
  constructor(
    id: NodeId,
    world: RingWorld,
    readonly mode: BadRootMode,
  ) {
    super(id, world);
  }

  protected override mineBlock(ctx: RingContext): void {
    const honest = this.buildBlock(ctx, this.tip, this.candidates(ctx, this.tip));
    const { nonce: _n, mixHash: _m, ...rest } = honest.header;
    const root = (this.mode === 'state-root' ? rest.stateRoot : rest.txRoot).slice();
    root[31] ^= 0x01;
    const bad = mineBlock(this.mode === 'state-root' ? { ...rest, stateRoot: root } : { ...rest, txRoot: root }, honest.txs, honest.ommers);
    this.badBlocks++;
    ctx.metrics.counter(`ringchain.attack.bad-${this.mode}-blocks`).inc();
    push(ctx, bad, `bad-root-${this.badBlocks}`);
    this.scheduleMining(ctx);
  }
}

/**
 * Schedules the attacker's tx stream for the client-side attacks (forged signatures, replays,
 * non-owner calls) at `rate` per second of virtual time, until `durationUs`.
 */
export function scheduleAttackTxs(sim: Simulation<RingMessage>, durationUs: number, rate: number, label: string, make: (rng: Rng) => RingTx | undefined, submit: Submit, count: (kind: string) => void): void {
  if (!(rate > 0)) return;
  const rng = sim.rng(`ringchain/attack/${label}`);
  const next = (t: number) => {
    const at = t + rng.exponential(1e6 / rate);
    if (at > durationUs) return;
    sim.at(at, `ringchain/attack/${label}`, () => {
      const tx = make(rng);
      if (tx) {
        count(label);
        submit(tx, `attack-${label}`);
      }
      next(at);
    });
  };
  next(0);
}

/**
 * Non-owner calls: the attacker (with its own ALC, deployed first) warrants its ALC on, and
 * unwarrants other institutions from, MRCs it does not own, and rewrites RCs' patient info.
 */
export class NonOwnerClient {
  attempts = 0;
  constructor(
    private readonly world: RingWorld,
    private readonly kit: AdversaryKit,
    private readonly reference: () => RingEntry,
  ) {}

  /** The attacker's own ALC address (its first tx deploys it). */
  get alc(): Address {
    return contractTxData.createdAddress(this.kit.identity.pseudonym, 0);
  }

  next(rng: Rng): RingTx | undefined {
    const tip = this.reference();
    const nonce = Math.max(this.kit.nonce, tip.state.account(this.kit.identity.pseudonym).nonce);
    const state = tip.state.contracts;
    let u: { kind: 'deploy' | 'call'; to?: Address; data: Uint8Array };
    if (nonce === 0) u = { kind: 'deploy', data: contractTxData.deployAccessList() };
    else {
      const mrcs: Address[] = [];
      const rcs: Address[] = [];
      for (const a of state.addresses()) {
        const k = state.get(a)!.kind;
        if (k === 'MRC' && contractReader.record(state, a)!.owner !== this.kit.identity.pseudonym) mrcs.push(a);
        if (k === 'RC' && contractReader.register(state, a)!.owner !== this.kit.identity.pseudonym) rcs.push(a);
      }
      const choice = rng.int(3);
      if (mrcs.length > 0 && choice === 0) u = { kind: 'call', to: rng.pick(mrcs), data: contractTxData.warrant(this.alc) };
      else if (mrcs.length > 0 && choice === 1) {
        const mrc = rng.pick(mrcs);
        const list = contractReader.record(state, mrc)!.authorised;
        u = { kind: 'call', to: mrc, data: contractTxData.unwarrant(list.length ? rng.pick(list) : this.alc) };
      } else if (rcs.length > 0) u = { kind: 'call', to: rng.pick(rcs), data: contractTxData.personInfo({ nameDigest: new Uint8Array(32).fill(0xee), birthYear: 1900, sex: 9 }) };
      else return undefined;
    }
    const tx = this.kit.workload.sign(this.world, tip, this.kit.identity, { ...u, nonce } as never, rng);
    if (tx) {
      this.kit.nonce = nonce + 1;
      this.attempts++;
    }
    return tx;
  }
}

/** The unwarrant-reversal plan: who the victim is, and the txs of the attack. */
export interface UnwarrantReversalPlan {
  /** The patient who warrants the attacker's institution and later revokes it. */
  readonly patient: RingIdentity;
  /** When the patient deploys the MRC and warrants the attacker's ALC, µs. */
  readonly setupAtUs: number;
  /** When the patient broadcasts the unwarrant and the attacker starts its secret branch, µs. */
  readonly revokeAtUs: number;
}

export interface UnwarrantReversalOutcome extends DoubleSpendOutcome {
  /** Records the revoked institution's `getData` returned on the branch that reversed the unwarrant. */
  recordsReadAfterRevocation: number;
}

/**
 * The 51 % attack on a revocation (seed 001 §4.2 applied to §3): the attacker is an institution.
 * Setup: it deploys its ALC; the victim patient deploys an MRC and warrants that ALC. At
 * `revokeAtUs` the patient broadcasts `unwarrant` (the "payment" P of the double-spend
 * machinery); the attacker mines a secret branch from its tip whose first block holds its own
 * `getData` call (the conflicting tx C: executed where the revocation never happened, it returns
 * the revoked record) and publishes once the unwarrant has `confirmations` on the victim's node
 * and its branch has more work. Success: the victim's node adopts the branch holding C — the
 * confirmed unwarrant is reversed and the revoked institution has read the record again.
 */
export function installUnwarrantReversal(
  sim: Simulation<RingMessage>,
  world: RingWorld,
  nodes: RingNode[],
  kit: AdversaryKit,
  plan: UnwarrantReversalPlan,
  merchant: NodeId,
  attacker: NodeId,
  submit: Submit,
): { outcome: () => UnwarrantReversalOutcome } {
  const wl = kit.workload;
  const rng = kit.rng();
  // Every tx is fixed up front: the victim and the attacker use their keys for nothing else, so
  // their nonces are known (victim: MRC 0, warrant 1, unwarrant 2; attacker: ALC 0, getData 1).
  const g = world.store.genesis;
  const p = plan.patient;
  const alc = contractTxData.createdAddress(kit.identity.pseudonym, 0);
  const mrc = contractTxData.createdAddress(p.pseudonym, 0);
  const sign = (id: RingIdentity, u: Parameters<RingWorkload['sign']>[3]) => {
    const tx = wl.sign(world, g, id, u, rng);
    if (!tx) throw new Error('unwarrant reversal: keys not enrolled at genesis');
    return tx;
  };
  const deployAlc = sign(kit.identity, { kind: 'deploy', nonce: 0, data: contractTxData.deployAccessList() });
  const deployMrc = sign(p, { kind: 'deploy', nonce: 0, data: contractTxData.deployRecord(new Uint8Array(64).fill(0x4d)) });
  const warrant = sign(p, { kind: 'call', nonce: 1, to: mrc, data: contractTxData.warrant(alc) });
  const unwarrant = sign(p, { kind: 'call', nonce: 2, to: mrc, data: contractTxData.unwarrant(alc) });
  const conflict = sign(kit.identity, { kind: 'call', nonce: 1, to: alc, data: contractTxData.getData() });
  sim.at(1, 'ringchain/attack/alc', () => submit(deployAlc, 'attack-setup'));
  sim.at(plan.setupAtUs, 'ringchain/attack/setup', () => {
    submit(deployMrc, 'attack-setup');
    submit(warrant, 'attack-setup');
  });
  const ds = installDoubleSpend<RingBlock, RingTx, RingState>(sim, world, nodes, { attacker, merchant, payment: unwarrant, conflict, payAtUs: plan.revokeAtUs, submit: (tx) => submit(tx, 'unwarrant') });
  return {
    outcome: () => {
      let records = 0;
      if (ds.result === 'success') {
        for (let e: RingEntry | null = nodes[merchant].tip; e && e.parent; e = e.parent) {
          const r = e.state.receipts.find((x) => x.txid === conflict.txid);
          if (r) {
            records = r.status === 'success' ? decodeRecordCount(r.returnData) : 0;
            break;
          }
        }
      }
      return { ...ds, recordsReadAfterRevocation: records };
    },
  };
}

function decodeRecordCount(returnData: Uint8Array): number {
  // getData returns (bytes,uint64)[]: word 0 = offset, word 1 = length.
  if (returnData.length < 64) return 0;
  let n = 0;
  for (let i = 32; i < 64; i++) n = n * 256 + returnData[i];
  return n;
}

function bytesHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
