/**
 * Colluding cartel: several Byzantine delegates coordinating out of band (shared `Cartel`
 * object = their private channel). When a cartel member is primary it splits the honest
 * replicas into two halves A and B: A gets the honest pre-prepare X, B a conflicting one Y for
 * the same (view, seq); every cartel member sends prepare + commit for X to A and for Y to B
 * (and withholds its honest votes for that slot). When the primary is honest they behave
 * honestly.
 *
 * With at most f colluders the quorum intersection argument (TOCS'02 §4.2: any two quorums of
 * 2f + 1 share a correct replica) keeps agreement. With f + 1 colluders at k = 3f + 1 each half
 * can complete a quorum with the cartel's votes, and two honest replicas commit different
 * batches at one sequence number — the violation the agreement checker must catch (and the
 * commit-quorum-2f mutant makes it easier still).
 */
import type { NodeContext, NodeId } from '../../../sim/types.ts';
import type { KeyRing } from '../auth.ts';
import type { PbftMessage, PrePrepareMsg } from '../messages.ts';
import type { PbftReplica } from '../replica.ts';
import { conflictingBatch, forgePrePrepare, forgeVote, ReplicaWrapper } from './wrap.ts';

interface Plan {
  x: PrePrepareMsg;
  y: PrePrepareMsg;
  groupA: ReadonlySet<NodeId>;
  groupB: ReadonlySet<NodeId>;
  voted: Set<NodeId>;
}

/** The cartel's shared state: its member identities and the current split plans. */
export class Cartel {
  readonly plans = new Map<string, Plan>();
  constructor(readonly members: ReadonlySet<NodeId>) {}
}

export class CartelReplica extends ReplicaWrapper {
  constructor(inner: PbftReplica, keys: KeyRing, private readonly cartel: Cartel) {
    super(inner, keys);
  }

  private split(): { a: Set<NodeId>; b: Set<NodeId> } {
    const honest = this.members.filter((m) => !this.cartel.members.has(m));
    const cut = Math.ceil(honest.length / 2);
    return { a: new Set(honest.slice(0, cut)), b: new Set(honest.slice(cut)) };
  }

  /** Sends our prepare (unless we are the primary) and commit for X to A ∪ cartel and for Y to B. */
  private vote(ctx: NodeContext<PbftMessage>, plan: Plan): void {
    const me = this.inner.self;
    if (plan.voted.has(me)) return;
    plan.voted.add(me);
    const members = this.members;
    const types: ('prepare' | 'commit')[] = plan.x.sender === me ? ['commit'] : ['prepare', 'commit'];
    for (const type of types) {
      const vx = forgeVote(this.keys, me, members, type, plan.x.epoch, plan.x.view, plan.x.seq, plan.x.batch);
      const vy = forgeVote(this.keys, me, members, type, plan.y.epoch, plan.y.view, plan.y.seq, plan.y.batch);
      for (const m of members) {
        if (m === me) continue;
        if (plan.groupB.has(m)) ctx.send(m, vy);
        else ctx.send(m, vx);
      }
    }
  }

  protected override outgoing(ctx: NodeContext<PbftMessage>, to: NodeId, msg: PbftMessage): void {
    if (msg.type === 'pre-prepare') {
      const key = `${msg.epoch}:${msg.view}:${msg.seq}`;
      let plan = this.cartel.plans.get(key);
      if (!plan) {
        const { a, b } = this.split();
        const y = forgePrePrepare(this.keys, this.inner.self, this.members, msg, conflictingBatch(msg.requests));
        plan = { x: msg, y, groupA: a, groupB: b, voted: new Set() };
        this.cartel.plans.set(key, plan);
        ctx.metrics.counter('pbft.adversary.cartel-splits').inc();
        this.vote(ctx, plan);
      }
      ctx.send(to, plan.groupB.has(to) ? plan.y : plan.x);
      return;
    }
    if ((msg.type === 'prepare' || msg.type === 'commit') && this.cartel.plans.has(`${msg.epoch}:${msg.view}:${msg.seq}`)) return; // our votes for split slots are the plan's
    ctx.send(to, msg);
  }

  protected override incoming(ctx: NodeContext<PbftMessage>, from: NodeId, msg: PbftMessage): void {
    if (msg.type === 'pre-prepare') {
      const plan = this.cartel.plans.get(`${msg.epoch}:${msg.view}:${msg.seq}`);
      if (plan && this.cartel.members.has(msg.sender)) this.vote(ctx, plan);
    }
    super.incoming(ctx, from, msg);
  }
}
