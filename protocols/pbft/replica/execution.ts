/**
 * Execution (TOCS'02 §4.2): committed batches are applied in sequence order; each request runs
 * at most once (a retransmitted request gets its cached result), each client gets one reply per
 * block, and the state advances along a hash chain over the executed batches — the state digest
 * checkpoints certify (§4.3) and state transfers check (§5.3.2).
 *
 * State: the state chain (digest after each sequence number), the executed ledger, the last
 * executed sequence number, and the results of executed requests.
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import { type BlockRecord, chainDigest, Code, GENESIS_STATE, type Operation, type PbftMessage, type ReplyMsg, replySize, requestKeyOf, type RequestMsg, traceDigest } from '../messages.ts';
import { commitLists, deepFrozen, executionPlan, groupReplies, replyBody, resultOf } from './memo.ts';
import type { ReplicaParts } from './parts.ts';

export class ExecutionLog {
  /** State digest after each executed sequence number (index 0: the genesis state). */
  readonly chains: string[] = [GENESIS_STATE];
  /** Executed blocks, sequence numbers 1 … lastExec. */
  readonly ledger: BlockRecord[] = [];
  /** The last executed sequence number. */
  private last = 0;
  /** Executed requests (client, timestamp) → result: at-most-once execution and reply cache. */
  readonly results = new ResultLog();
  /** True while a join's ledger is replayed (`replay`): only the state advances. */
  private replayingLedger = false;
  get replaying(): boolean {
    return this.replayingLedger;
  }

  constructor(protected readonly parts: ReplicaParts) {}

  get lastExec(): number {
    return this.last;
  }

  /** State digest after sequence number `seq` (if executed). */
  stateAt(seq: number): string | undefined {
    return this.chains[seq];
  }

  /**
   * Applies one batch: replies, ledger, chain, checkpoint, reconfiguration. While a join's ledger
   * is replayed (`replaying`) only the state advances: no replies, checkpoints or joins, and a
   * committee change in the log is recorded as history instead of switching this replica.
   */
  execute(ctx: NodeContext<PbftMessage>, seq: number, view: number, batch: string, requests: readonly RequestMsg[], via: 'commit' | 'transfer'): void {
    const { core, reconfig } = this.parts;
    const pending = this.parts.requests;
    const plan = deepFrozen(requests) ? executionPlan(requests, seq) : undefined;
    let ran: number[] | undefined; // indices executed, only when some request was executed before
    let reconfigure: Extract<Operation, { kind: 'reconfigure' }> | undefined;
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i];
      pending.executed(requestKeyOf(r));
      if (this.results.has(r.client, r.timestamp)) {
        ran ??= Array.from({ length: i }, (_, j) => j); // executed before: at most once
        continue;
      }
      this.results.set(r.client, r.timestamp, plan ? plan.results[i] : resultOf(seq, i));
      ran?.push(i);
      if (r.op.kind === 'reconfigure' && !reconfigure) reconfigure = r.op;
    }
    const executed = ran?.map((i) => requestKeyOf(requests[i])); // undefined: all of them
    const state = chainDigest(this.parentState(seq), seq, batch);
    this.chains[seq] = state;
    this.ledger[seq - 1] = { seq, batch, requests: requests as RequestMsg[] };
    this.last = seq;
    const obs = commitLists(requests);
    ctx.emit({
      kind: 'pbft.commit', seq, view, epoch: core.committee.epoch, batch, batchRequests: requests, requests: obs.keys, opDigests: obs.opDigests, clients: obs.clients, timestamps: obs.timestamps,
      executed: executed ?? obs.keys, executedIndex: ran ?? null, via,
    });
    if (!this.replaying) {
      if (plan && !ran) for (const g of plan.replies) this.sendReply(ctx, g.client, g.entries, seq, g.body);
      else for (const g of groupReplies(requests, ran ?? requests.keys(), (i) => this.results.get(requests[i].client, requests[i].timestamp)!, false)) this.sendReply(ctx, g.client, g.entries, seq);
    }
    core.hooks.onExecute?.({ seq, view, epoch: core.committee.epoch, batch, requests, state }, ctx);
    if (reconfigure) reconfig.noteCommitted(ctx, reconfigure, seq);
    if (seq % core.options.checkpointInterval === 0 && core.index >= 0 && !this.replaying) this.parts.checkpoints.sendCheckpoint(ctx, seq, state);
    reconfig.activateIfDue(ctx, seq);
  }

  /**
   * Replays a join's ledger from `blocks[from]` on (reconfiguration.ts): only the state advances
   * — no replies, checkpoints or joins — and a committee change in it is recorded as history.
   */
  replay(ctx: NodeContext<PbftMessage>, blocks: readonly BlockRecord[], from: number): void {
    this.replayingLedger = true;
    try {
      for (let i = from; i < blocks.length; i++) {
        const b = blocks[i];
        this.execute(ctx, b.seq, 0, b.batch, b.requests, 'transfer');
      }
    } finally {
      this.replayingLedger = false;
    }
  }

  /** One reply message per client and block, MAC'd for the client (TOCS'02 §4.2, batched). */
  sendReply(ctx: NodeContext<PbftMessage>, client: NodeId, entries: { timestamp: number; result: string }[], seq: number, body = replyBody(client, entries)): void {
    const core = this.parts.core;
    const rep: ReplyMsg = {
      type: 'reply', epoch: core.committee.epoch, view: core.view, sender: core.self, client, entries, body, size: replySize(entries.length),
      digest: traceDigest(body, core.self, core.view, seq), auth: core.pointTag(ctx, client, Code.Reply, core.committee.epoch, core.view, 0, body),
    };
    ctx.send(client, rep);
  }

  /**
   * The state a batch at `seq` executes on: the state after `seq − 1` (execution is in order, so
   * that is the last executed one). A variant that executes out of order replaces this.
   */
  protected parentState(seq: number): string {
    return this.chains[seq - 1];
  }

  /**
   * Undoes the execution of every block from `seq` on (results forgotten, ledger and state chain
   * cut back). Honest replicas never do; it is the extension point of tentative execution
   * (TOCS'02 §5.1.2), which rolls back executions a view change aborts.
   */
  rollBackFrom(seq: number): void {
    for (const b of this.ledger.slice(seq - 1)) for (const r of b.requests) this.results.forget(r.client, r.timestamp);
    this.last = seq - 1;
    this.ledger.length = seq - 1;
    this.chains.length = seq;
  }
}

/**
 * Results of executed requests by (client, timestamp): at-most-once execution and the reply
 * cache (TOCS'02 §4.2 keeps the last reply per client; clients here keep many requests in
 * flight, so all are kept). Per client an array indexed by timestamp — clients number their
 * requests 1, 2, 3, … — so the per-request lookups of a block are array reads, not lookups in
 * one large hash table; other timestamps (negative, huge) go to a map.
 */
export class ResultLog {
  private readonly byClient = new Map<NodeId, (string | undefined)[]>();
  private readonly other = new Map<string, string>();
  get(client: NodeId, timestamp: number): string | undefined {
    if (timestamp >= 0 && timestamp < 1_073_741_824) return this.byClient.get(client)?.[timestamp];
    return this.other.get(`${client}:${timestamp}`);
  }
  has(client: NodeId, timestamp: number): boolean {
    return this.get(client, timestamp) !== undefined;
  }
  set(client: NodeId, timestamp: number, result: string): void {
    if (timestamp >= 0 && timestamp < 1_073_741_824) {
      let a = this.byClient.get(client);
      if (!a) this.byClient.set(client, (a = []));
      a[timestamp] = result;
    } else this.other.set(`${client}:${timestamp}`, result);
  }
  /** Drops one result (a rolled-back execution: `ExecutionLog.rollBackFrom`). */
  forget(client: NodeId, timestamp: number): void {
    if (timestamp >= 0 && timestamp < 1_073_741_824) {
      const a = this.byClient.get(client);
      if (a) a[timestamp] = undefined;
    } else this.other.delete(`${client}:${timestamp}`);
  }
  clear(): void {
    this.byClient.clear();
    this.other.clear();
  }
}
