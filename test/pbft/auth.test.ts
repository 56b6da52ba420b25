import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkTag, headerBytes, hmacHeaderFull, KeyRing, makeAuthenticator, makeTag } from '../../protocols/pbft/auth.ts';
import { Code, fillHeader, newHeader, type PbftMessage } from '../../protocols/pbft/messages.ts';
import { pbftModule } from '../../protocols/pbft/module.ts';
import { ForwardingContext } from '../../sim/forwarding-context.ts';
import { Simulation } from '../../sim/kernel.ts';
import { networkOptions } from '../../sim/runner.ts';
import type { NodeContext } from '../../sim/types.ts';
import { pbftScenario } from './helpers.ts';

describe('pbft auth', () => {
  it('hmacHeader is byte-exact HMAC-SHA-256 (RFC 2104) against node:crypto', () => {
    for (let t = 0; t < 20; t++) {
      const key = new Uint8Array(32).map((_, i) => (i * 31 + t * 7) & 255);
      const h = Int32Array.from({ length: 13 }, (_, i) => Math.imul(i + 1, 0x9e3779b1 + t));
      const ours = Buffer.from(hmacHeaderFull(key, h)).toString('hex');
      const ref = createHmac('sha256', key).update(headerBytes(h)).digest('hex');
      expect(ours).toBe(ref);
    }
  });

  it('authenticator entries verify only for their receiver and the exact header', () => {
    const keys = KeyRing.fromSeed(7);
    const hdr = newHeader();
    fillHeader(hdr, Code.Prepare, 0, 3, 17, 1, 'ab'.repeat(32));
    const auth = makeAuthenticator(keys, 1, [0, 1, 2, 3], hdr);
    expect(checkTag(keys, 1, 2, hdr, auth, 2)).toBe(true);
    expect(checkTag(keys, 1, 3, hdr, auth, 2)).toBe(false); // someone else's entry
    expect(checkTag(keys, 0, 2, hdr, auth, 2)).toBe(false); // another claimed sender
    const other = newHeader();
    fillHeader(other, Code.Prepare, 0, 3, 18, 1, 'ab'.repeat(32));
    expect(checkTag(keys, 1, 2, other, auth, 2)).toBe(false); // another sequence number
    expect(checkTag(keys, 1, 2, hdr, 'garbage', 2)).toBe(false);
    expect(checkTag(keys, 1, 2, hdr, new Int32Array(4), 9)).toBe(false);
  });

  it('the WebAssembly engine (mac4 lanes, mac1) equals the JavaScript reference and node:crypto', () => {
    const wasm = KeyRing.fromSeed(11);
    const js = KeyRing.fromSeed(11, { wasm: false });
    expect(wasm.engine).toBeDefined(); // Node 20 has WebAssembly SIMD
    expect(js.engine).toBeUndefined();
    for (const k of [1, 2, 3, 4, 5, 7, 13, 100]) {
      const members = Array.from({ length: k }, (_, i) => (i * 7 + 3) % 211);
      const hdr = newHeader();
      fillHeader(hdr, Code.Commit, k, 5, 99 + k, 4, 'cd'.repeat(32));
      const a = makeAuthenticator(wasm, 4, members, hdr);
      const b = makeAuthenticator(js, 4, members, hdr);
      expect(a.length).toBe(4 * k);
      expect([...a]).toEqual([...b]);
      for (let j = 0; j < k; j++) {
        expect(checkTag(wasm, 4, members[j], hdr, a, j)).toBe(true);
        expect(checkTag(js, 4, members[j], hdr, a, j)).toBe(true);
        expect([...makeTag(wasm, 4, members[j], hdr)]).toEqual([...a.subarray(4 * j, 4 * j + 4)]);
      }
      // Against node:crypto, under the receiver-chosen session key the ring derives.
      for (const j of [0, k - 1]) {
        const ref = createHmac('sha256', js.macKey(4, members[j])).update(headerBytes(hdr)).digest().subarray(0, 16);
        const ours = Buffer.alloc(16);
        for (let w = 0; w < 4; w++) ours.writeInt32BE(a[4 * j + w], 4 * w);
        expect(ours.toString('hex')).toBe(ref.toString('hex'));
      }
    }
    // A second message with the same receivers (cached key addresses) and a changed list.
    const hdr = newHeader();
    fillHeader(hdr, Code.Prepare, 0, 1, 2, 4, 'ef'.repeat(32));
    expect([...makeAuthenticator(wasm, 4, [1, 2, 3], hdr)]).toEqual([...makeAuthenticator(js, 4, [1, 2, 3], hdr)]);
    expect([...makeAuthenticator(wasm, 4, [3, 2, 1], hdr)]).toEqual([...makeAuthenticator(js, 4, [3, 2, 1], hdr)]);
  });

  it('Ed25519 signatures verify and forgeries fail', () => {
    const keys = KeyRing.fromSeed(7);
    const d = 'cd'.repeat(32);
    const sig = keys.sign(2, d);
    expect(keys.verify(2, d, sig)).toBe(true);
    expect(keys.verify(3, d, sig)).toBe(false);
    expect(keys.verify(2, 'ce'.repeat(32), sig)).toBe(false);
    expect(keys.verify(2, d, '00'.repeat(64))).toBe(false);
    expect(keys.verify(2, d, 12)).toBe(false);
    // Same seed ⇒ same keys.
    expect(KeyRing.fromSeed(7).publicKey(2)).toBe(keys.publicKey(2));
    expect(KeyRing.fromSeed(8).publicKey(2)).not.toBe(keys.publicKey(2));
  });

  it('verifyBy charges every verifying node for its own check (the shared cache saves wall time only)', () => {
    const keys = KeyRing.fromSeed(7);
    const d = 'cd'.repeat(32);
    const sig = keys.sign(2, d);
    const node = (id: number) => ({ id, charged: 0, charge(us: number) { this.charged += us; } });
    const [a, b] = [node(0), node(1)];
    expect(keys.verifyBy(a, 100, 2, d, sig)).toBe(true);
    expect(keys.verifyBy(b, 100, 2, d, sig)).toBe(true); // already verified by a: b pays all the same
    expect(keys.verifyBy(a, 100, 2, d, sig)).toBe(true); // a checked it before: free
    expect([a.charged, b.charged]).toEqual([100, 100]);
    // A node whose first check went through plain verify (no cost) still pays when it is charged.
    const c = node(2);
    keys.verify(2, d, sig);
    expect(keys.verifyBy(c, 100, 2, d, sig)).toBe(true);
    expect(c.charged).toBe(100);
    // Invalid signatures are checked, and charged, every time.
    expect(keys.verifyBy(a, 100, 3, d, sig)).toBe(false);
    expect(keys.verifyBy(a, 100, 3, d, sig)).toBe(false);
    expect(a.charged).toBe(300);
    // No cost: nothing charged, same answers.
    const z = node(3);
    expect(keys.verifyBy(z, 0, 2, d, sig)).toBe(true);
    expect(keys.verifyBy(z, 0, 2, d, 'xx')).toBe(false);
    expect(z.charged).toBe(0);
  });

  it('in a view change every replica pays for the signatures it verifies (cpu.verify)', () => {
    const verifyUs = 1_000;
    const scenario = pbftScenario({ cpu: { verify: '1ms' }, adversaries: [{ kind: 'silent', replicas: [0], params: { from: '500ms' } }] }, { duration: '3s' });
    const run = pbftModule.build(scenario, scenario.seed);
    const charged = new Map<number, number>();
    /** Wraps a node so that its context records what it charges (MACs and signing cost 0 here). */
    class Spy extends ForwardingContext<PbftMessage> {
      override charge(us: number): void {
        charged.set(this.id, (charged.get(this.id) ?? 0) + us);
        super.charge(us);
      }
    }
    const spies = new Map<NodeContext<PbftMessage>, Spy>();
    const spy = (ctx: NodeContext<PbftMessage>) => spies.get(ctx) ?? spies.set(ctx, new Spy(ctx)).get(ctx)!;
    const sim = new Simulation<PbftMessage>({
      seed: scenario.seed,
      network: networkOptions(scenario),
      endTimeUs: scenario.duration,
      observers: run.observers,
      createNode: (id, network) => {
        const n = run.createNode(id, network);
        return {
          onStart: (ctx) => n.onStart?.(spy(ctx)),
          onMessage: (ctx, from, m) => n.onMessage(spy(ctx), from, m),
          onTimer: (ctx, tag) => n.onTimer?.(spy(ctx), tag),
        };
      },
    });
    run.install?.(sim);
    const r = sim.run();
    expect(r.violation).toBeUndefined();
    expect(r.metrics.counters['pbft.new-views']).toBeGreaterThan(0);
    // Replicas 1–3 each send a signed view-change that the two others verify, and the new
    // primary's signed new-view is verified by the two backups: ≥ 2 checks for the new primary,
    // ≥ 3 for each backup. (Charged once per signature overall, the three would share 4.)
    expect(charged.get(1) ?? 0).toBeGreaterThanOrEqual(2 * verifyUs);
    expect(charged.get(2) ?? 0).toBeGreaterThanOrEqual(3 * verifyUs);
    expect(charged.get(3) ?? 0).toBeGreaterThanOrEqual(3 * verifyUs);
  });
});
