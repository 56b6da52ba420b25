/**
 * Seed 003's off-chain records and sharing on the alliance chain (protocols/dpos/offchain.ts):
 * create → share → fetch/decrypt → revoke → refused, replica tampering, corrupted cFrags,
 * too few proxies, determinism, and the no-ungranted-reencryption invariant (with the trust limit
 * of proxy re-encryption shown by Byzantine proxies).
 *
 * Scripted runs set every records rate to 0 and drive the institutions' `RecordsAgent`s through
 * `sim.at`, the way the module's own attacks are scheduled.
 */
import { describe, expect, it } from 'vitest';
import { grantTag, parseTag, recordTag, revokeTag } from '../../protocols/dpos/ledger.ts';
import type { DelegateNode, DposMessage } from '../../protocols/dpos/node.ts';
import { InstitutionNode } from '../../protocols/dpos/node.ts';
import type { OffchainMessage } from '../../protocols/dpos/offchain.ts';
import { chooseProxies } from '../../protocols/dpos/offchain.ts';
import type { Simulation } from '../../sim/kernel.ts';
import type { NodeContext } from '../../sim/types.ts';
import { buildDpos, runDpos } from './helpers.ts';

const quiet = { createRate: 0, shareRate: 0, revokeRate: 0, fetchRate: 0 };
const base = { institutions: 20, committee: 4, epochs: 1, workload: { rate: 0 } };

/** A scripted run: `script(h)` schedules actions; returns the run's summary and handles. */
function scripted(records: Record<string, unknown>, script: (h: Handles) => void, opts: { protocol?: Record<string, unknown>; duration?: string; nodes?: number } = {}) {
  const { sim, run } = buildDpos({ ...base, ...opts.protocol, records: { ...quiet, ...records } }, { duration: opts.duration ?? '6s' }, opts.nodes ?? 40);
  const C = sim.nodes.findIndex((n) => n instanceof InstitutionNode);
  const h: Handles = {
    sim,
    C,
    inst: (i) => sim.nodes[C + i] as unknown as InstitutionNode,
    ctx: (i) => sim.context(C + i) as unknown as NodeContext<OffchainMessage>,
    at: (t, label, f) => sim.at(t * 1000, label, f),
    delegates: () => sim.nodes.slice(0, C) as unknown as DelegateNode[],
  };
  script(h);
  const result = sim.run();
  return { result, summary: run.summarize!(sim, result) as any, h };
}

interface Handles {
  sim: Simulation<DposMessage>;
  C: number;
  inst(i: number): InstitutionNode;
  ctx(i: number): NodeContext<OffchainMessage>;
  /** Schedules at `t` ms. */
  at(t: number, label: string, f: () => void): void;
  delegates(): DelegateNode[];
}

/** Owner 0 creates a record at 300 ms and shares it with `grantee` at 600 ms; returns a getter for its hash. */
function createAndShare(h: Handles, grantee: number, owner = 0): () => string {
  let hash = '';
  h.at(300, 'create', () => (hash = h.inst(owner).records!.create(h.ctx(owner))));
  h.at(600, 'share', () => expect(h.inst(owner).records!.share(h.ctx(owner), hash, grantee)).toBe(true));
  return () => hash;
}

describe('dpos off-chain records and sharing', () => {
  it('end to end: create → replicate → commit hash → share → fetch and decrypt → revoke → refused; a forged revoke is refused on chain', () => {
    let hashOf = () => '';
    const { result, summary, h } = scripted({ proxies: 4, threshold: 3, replication: 3 }, (h) => {
      hashOf = createAndShare(h, 5);
      // Institution 1 claims to be the owner (tag names institution 0): the ledger refuses it.
      h.at(1000, 'forged-revoke', () => h.inst(1).client.submit(h.ctx(1) as never, { kind: 'data', bytes: 42, tag: revokeTag(0, hashOf(), 5) }));
      h.at(1500, 'refetch', () => h.inst(5).records!.fetch(h.ctx(5), hashOf()));
      h.at(2000, 'revoke', () => expect(h.inst(0).records!.revoke(h.ctx(0), hashOf(), 5)).toBe(true));
      h.at(3000, 'fetch-after-revoke', () => h.inst(5).records!.fetch(h.ctx(5), hashOf()));
    });
    expect(result.violation, result.violation?.message).toBeUndefined();
    const hash = hashOf();
    const b = h.inst(5).records!;
    // The grantee decrypted the owner's plaintext twice (after the share, and the re-fetch), then was refused.
    expect(b.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'ok', 'revoked']);
    const first = b.outcomes[0];
    expect(first.ok && Buffer.from(first.plaintext).equals(Buffer.from(h.inst(0).records!.plaintexts.get(hash)!))).toBe(true);
    // The chain holds the hash and metadata, never the ciphertext; replicas verified and stored it.
    const ledger = h.delegates()[0].ledger;
    const rec = ledger.recordEntries.get(hash)!;
    expect(rec.owner).toBe(0);
    expect(rec.meta!.replicas).toHaveLength(3);
    expect(rec.meta!.bytes).toBe(4096 + 96 + 24 + 16);
    for (const r of rec.meta!.replicas) expect(h.inst(r).store!.size).toBe(1);
    expect(ledger.accessHistory(hash, 5).map((e) => e.grant)).toEqual([true, false]);
    // Every proxy deleted its kFrag when it executed the revoke.
    expect(h.delegates().reduce((n, d) => n + (d.proxy?.kfragsHeld ?? 0), 0)).toBe(0);
    const o = summary.offchain;
    expect(o).toMatchObject({ recordsCommitted: 1, recordsStored: 3, sharesCommitted: 1, revokesCommitted: 1, accessRefusedOnChain: 1 });
    expect(o.fetches).toEqual({ started: 3, ok: 2, failed: { revoked: 1 } });
    expect(o.proxyRefusals.revoked).toBeGreaterThanOrEqual(2); // n − m + 1 refusals end the fetch
    expect(o.reencryptions).toBeGreaterThanOrEqual(6);
    expect(o.ungrantedReencryptions).toEqual({ honest: 0, byzantine: 0 });
    expect(o.shareLatency.count).toBe(1);
    expect(o.shareLatency.p50Ms).toBeGreaterThan(0);
  });

  it('op tags round-trip; proxies are a rendezvous choice from the committee', () => {
    const H = 'ab'.repeat(32);
    const meta = { capsule: 'cd'.repeat(32), key: 'ef'.repeat(32), bytes: 4232, replicas: [3, 9, 1] };
    expect(parseTag(recordTag(4, H, meta))).toEqual({ kind: 'record', institution: 4, hash: H, meta });
    const d = { id: '01'.repeat(32), threshold: 2, proxies: [5, 0, 7] };
    expect(parseTag(grantTag(4, H, 6, d))).toEqual({ kind: 'access', institution: 4, record: H, grantee: 6, permission: 'grant', delegation: d });
    expect(parseTag(revokeTag(4, H, 6))).toEqual({ kind: 'access', institution: 4, record: H, grantee: 6, permission: 'revoke' });
    expect(parseTag(grantTag(4, H, 6, { ...d, threshold: 4 }))).toBeUndefined(); // m > n
    expect(parseTag(grantTag(4, H, 6, { ...d, proxies: [5, 5, 7] }))).toBeUndefined(); // duplicate proxy
    const p = chooseProxies(H, 6, [10, 11, 12, 13, 14, 15, 16], 4);
    expect(p).toHaveLength(4);
    expect(new Set(p).size).toBe(4);
    expect(chooseProxies(H, 6, [16, 15, 14, 13, 12, 11, 10], 4)).toEqual(p); // independent of member order
  });

  it('replica tampering is detected by the content address: the reader moves on to an honest replica, or fails with `tampered`', () => {
    const all = Array.from({ length: 19 }, (_, i) => i + 1);
    // Every replica but institution 7 serves altered bytes: three fetches all succeed.
    let hashOf = () => '';
    const partial = scripted({ proxies: 4, threshold: 3, replication: 19, tamperingReplicas: all.filter((i) => i !== 7) }, (h) => {
      hashOf = createAndShare(h, 5);
      for (const t of [1500, 2000, 2500]) h.at(t, 'refetch', () => h.inst(5).records!.fetch(h.ctx(5), hashOf()));
    });
    expect(partial.result.violation).toBeUndefined();
    expect(partial.h.inst(5).records!.outcomes.every((o) => o.ok)).toBe(true);
    expect(partial.summary.offchain.objectsTampered).toBeGreaterThanOrEqual(1);
    // Every replica tampers: the fetch fails cleanly after trying all 19.
    const none = scripted({ proxies: 4, threshold: 3, replication: 19, tamperingReplicas: all }, (h) => void createAndShare(h, 5));
    expect(none.h.inst(5).records!.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['tampered']);
    expect(none.summary.offchain.objectsTampered).toBe(19);
    expect(none.summary.offchain.replicaRejected).toBe(0); // they stored honestly; only serving lies
  });

  it('a corrupted cFrag fails its correctness proof; the reader asks another proxy and decrypts with m honest ones', () => {
    let hashOf = () => '';
    const { result, summary, h } = scripted({ proxies: 4, threshold: 3, spare: 0, replication: 2, byzantineProxies: { behaviour: 'corrupt-cfrag', count: 1 } }, (h) => {
      hashOf = createAndShare(h, 5);
      for (let t = 1200; t <= 3000; t += 300) h.at(t, 'refetch', () => h.inst(5).records!.fetch(h.ctx(5), hashOf()));
    });
    expect(result.violation).toBeUndefined();
    const outcomes = h.inst(5).records!.outcomes;
    expect(outcomes).toHaveLength(8);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(summary.offchain.cfragsInvalid).toBeGreaterThanOrEqual(1);
    expect(summary.offchain.byzantineProxies).toHaveLength(1);
    // With m = n = 4 the corrupted fragment cannot be replaced: the fetch fails, typed.
    const strict = scripted({ proxies: 4, threshold: 4, replication: 2, byzantineProxies: { behaviour: 'corrupt-cfrag', count: 1 } }, (h) => void createAndShare(h, 5));
    expect(strict.h.inst(5).records!.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['invalid-cfrags']);
  });

  it('fewer than m proxies available: the fetch fails cleanly with `proxies-unavailable` after the timeout', () => {
    let hashOf = () => '';
    const { result, h } = scripted(
      { proxies: 4, threshold: 3, replication: 2, timeout: '300ms' },
      (h) => {
        hashOf = createAndShare(h, 5);
        h.at(1500, 'crash-two-proxies', () => {
          const g = h.inst(0).records!.grants.get(`${hashOf()}|5`)!;
          expect(g.state).toBe('active');
          for (const p of g.proxies.slice(0, 2)) h.sim.crash(p);
        });
        h.at(2000, 'fetch', () => h.inst(5).records!.fetch(h.ctx(5), hashOf()));
      },
      { protocol: { institutions: 30, committee: 7 }, nodes: 60 },
    );
    expect(result.violation, result.violation?.message).toBeUndefined(); // k = 7 tolerates the two crashed delegates
    expect(h.inst(5).records!.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'proxies-unavailable']);
    expect(result.metrics.counters['dpos.records.proxy.timeouts']).toBe(2);
  });

  it('committee change: owners re-delegate grants that lost proxies; without re-delegation, proxies that left refuse (not-member)', () => {
    const go = (redelegate: boolean) => {
      let hashOf = () => '';
      const r = scripted({ proxies: 4, threshold: 3, replication: 2, redelegate }, (h) => {
        hashOf = createAndShare(h, 5);
        h.at(6000, 'fetch-in-epoch-1', () => h.inst(5).records!.fetch(h.ctx(5), hashOf()));
      }, { protocol: { institutions: 40, committee: 4, epochs: 2, epochLength: '4s' }, duration: '8s', nodes: 60 });
      expect(r.result.violation, r.result.violation?.message).toBeUndefined();
      expect(r.summary.reconfigurations).toBe(1);
      return { ...r, hash: hashOf(), members: r.summary.epochs[1].delegateNodes as number[] };
    };
    const on = go(true);
    expect(on.h.inst(5).records!.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'ok']);
    expect(on.summary.offchain.redelegationsCommitted).toBe(1);
    const g = on.h.inst(0).records!.grants.get(`${on.hash}|5`)!;
    expect([...g.proxies].sort()).toEqual([...on.members].sort()); // n = k: the whole new committee
    expect(on.h.delegates()[on.members[0]].ledger.accessHistory(on.hash, 5).map((e) => e.grant)).toEqual([true, true]);
    const off = go(false);
    expect(off.h.inst(5).records!.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'proxies-unavailable']);
    expect(off.summary.offchain.proxyRefusals['not-member']).toBeGreaterThanOrEqual(2);
  });

  it('no-ungranted-reencryption fires on honest delegates whose proxies skip the grant check (mutant)', () => {
    let hashOf = () => '';
    const { result } = scripted({ proxies: 4, threshold: 3, replication: 2 }, (h) => {
      hashOf = createAndShare(h, 5);
      h.at(1500, 'revoke', () => h.inst(0).records!.revoke(h.ctx(0), hashOf(), 5));
      h.at(2500, 'fetch-after-revoke', () => h.inst(5).records!.fetch(h.ctx(5), hashOf()));
    }, { protocol: { mutant: 'skip-grant-check' } });
    expect(result.stopReason).toBe('violation');
    expect(result.violation?.invariant).toBe('no-ungranted-reencryption');
    expect(result.violation?.kind).toBe('safety');
    expect(result.violation?.message).toMatch(/a revoke at seq/);
  });

  it('trust limit: m Byzantine proxies that keep kFrags let a revoked grantee decrypt (counted, not judged); m − 1 cannot', () => {
    const run = (count: number) => {
      let hashOf = () => '';
      return scripted({ proxies: 4, threshold: 2, spare: 2, replication: 2, byzantineProxies: { behaviour: 'ungranted', count } }, (h) => {
        hashOf = createAndShare(h, 5);
        h.at(1500, 'revoke', () => h.inst(0).records!.revoke(h.ctx(0), hashOf(), 5));
        h.at(2500, 'fetch-after-revoke', () => h.inst(5).records!.fetch(h.ctx(5), hashOf()));
      });
    };
    const two = run(2);
    expect(two.result.violation).toBeUndefined();
    expect(two.h.inst(5).records!.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'ok']);
    expect(two.summary.offchain.ungrantedReencryptions).toEqual({ honest: 0, byzantine: 2 });
    const one = run(1);
    expect(one.result.violation).toBeUndefined();
    expect(one.h.inst(5).records!.outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'revoked']);
    expect(one.summary.offchain.ungrantedReencryptions.honest).toBe(0);
  });

  it('Poisson workload: deterministic (same seed ⇒ same trace hash and summary), another seed differs; shares, revokes and re-fetches all happen', () => {
    const records = { createRate: 0.2, shareRate: 0.15, revokeRate: 0.05, fetchRate: 0.1, proxies: 4, threshold: 2, replication: 2 };
    const protocol = { ...base, workload: { rate: 0.2 }, records };
    const a = runDpos(protocol, { duration: '6s' }, 11, 40);
    const b = runDpos(protocol, { duration: '6s' }, 11, 40);
    const c = runDpos(protocol, { duration: '6s' }, 12, 40);
    expect(a.result.violation).toBeUndefined();
    expect(a.result.traceHash).toBe(b.result.traceHash);
    expect(a.protocol).toEqual(b.protocol);
    expect(c.result.traceHash).not.toBe(a.result.traceHash);
    const o = (a.protocol as any).offchain;
    expect(o.recordsCommitted).toBeGreaterThan(10);
    expect(o.sharesCommitted).toBeGreaterThan(3);
    expect(o.fetches.ok).toBeGreaterThanOrEqual(o.sharesCommitted - 1);
    expect(o.ungrantedReencryptions.honest).toBe(0);
  });
});
