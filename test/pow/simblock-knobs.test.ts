/**
 * The pow scenario options that express SimBlock's configuration (issue 16): compact-block mode,
 * share of BIP 152 nodes, probabilistic reconstruction with churning nodes, split fillers — each
 * checked against its default (the control), and the defaults checked to be today's behaviour.
 */
import { describe, expect, it } from 'vitest';
import { buildSimulation } from '../../sim/runner.ts';
import { buildScenarioSchema } from '../../sim/scenario/schema.ts';
import { fileURLToPath } from 'node:url';
import { loadScenario, validateScenario } from '../../sim/scenario/index.ts';
import { powModule, powSchema, type PowRun } from '../../protocols/pow/module.ts';
import { ProbabilisticReconstruction } from '../../protocols/nakamoto/world.ts';
import { SIMBLOCK_MISSING_CHURN, SIMBLOCK_MISSING_ORDINARY, simblockScenario } from '../../protocols/pow/simblock.ts';

const schema = buildScenarioSchema({ pow: powSchema });

function build(protocol: Record<string, unknown>, nodes = 30, seed = 1) {
  const scenario = schema.parse({
    name: 'simblock-knobs',
    seed,
    duration: '100000h',
    network: { nodes, regions: { preset: 'bitcoin-2019' }, topology: { kind: 'random', degree: 4 } },
    protocol: { name: 'pow', retargetInterval: 0, fillerSize: '50kB', stopAfterBlocks: 3, ...protocol },
  });
  const { sim, run } = buildSimulation(scenario, { pow: powModule }, seed);
  return { sim, run: run as PowRun };
}
function counters(protocol: Record<string, unknown>, nodes = 30, seed = 1) {
  const { sim, run } = build(protocol, nodes, seed);
  const result = sim.run();
  return { c: result.metrics.counters, hash: result.traceHash, run };
}

describe('pow SimBlock knobs: schema', () => {
  it('defaults are today\'s behaviour: high-bandwidth mode, every node speaks BIP 152, mempool reconstruction, one filler', () => {
    const p = schema.parse({ name: 'x', duration: '1h', network: { nodes: 4 }, protocol: { name: 'pow' } }).protocol as any;
    expect(p.compactMode).toBe('high-bandwidth');
    expect(p.compactShare).toBe(1);
    expect(p.reconstruction).toEqual({ kind: 'mempool' });
    expect(p.fillerTxSize).toBe(0);
    const { run } = build({ compactBlocks: true });
    expect(run.world.options.compactSupport).toBeUndefined();
    expect(run.world.options.compactReconstruction).toBeUndefined();
  });

  it('SimBlock\'s configuration parses, with its defaults for the probabilistic model', () => {
    const s = validateScenario(simblockScenario({ nodes: 100, blocks: 3, relay: 'compact', seed: 1 }), { pow: powSchema }) as any;
    expect(s.network.uploads).toEqual({ mode: 'stop-and-wait', controlBytes: 5_000, controlDelay: 10_000, bulkDelay: 2_000 });
    expect(s.network.latency).toEqual({ distribution: 'pareto', paretoGap: 5_000 });
    expect(s.protocol.reconstruction).toEqual({ kind: 'probabilistic', failure: 0.13, churnFailure: 0.27, churnShare: 0.976, missing: 'simblock' });
    const bare = schema.parse({ name: 'x', duration: '1h', network: { nodes: 4 }, protocol: { name: 'pow', reconstruction: { kind: 'probabilistic' } } }).protocol as any;
    expect(bare.reconstruction).toEqual({ kind: 'probabilistic', failure: 0.13, churnFailure: 0.27, churnShare: 0.976, missing: 'simblock' });
  });

  it('rejects what the knobs cannot mean (strict keys, probabilities, weights)', () => {
    const bad = (protocol: Record<string, unknown>) => () => schema.parse({ name: 'x', duration: '1h', network: { nodes: 4 }, protocol: { name: 'pow', ...protocol } });
    expect(bad({ compactShare: 1.2 })).toThrow();
    expect(bad({ compactMode: 'medium' })).toThrow();
    expect(bad({ reconstruction: { kind: 'probabilistic', failure: -0.1 } })).toThrow();
    expect(bad({ reconstruction: { kind: 'probabilistic', failur: 0.1 } })).toThrow();
    expect(bad({ reconstruction: { kind: 'probabilistic', missing: { ordinary: [[0.5, 0]], churn: [[0.5, 1]] } } })).toThrow();
    expect(bad({ reconstruction: { kind: 'mempool', failure: 0.1 } })).toThrow();
    expect(bad({ fillerTxSize: 180 })).toThrow(); // a size needs its unit
  });
});

describe('pow SimBlock knobs: behaviour', () => {
  const lb = { compactBlocks: true, compactMode: 'low-bandwidth' };
  const alwaysFails = { kind: 'probabilistic', failure: 1, churnFailure: 1, churnShare: 0 };

  it('compactShare picks exactly ⌈share × nodes⌉ BIP 152 nodes; with none, no compact block is ever rebuilt', () => {
    const { run } = build({ ...lb, compactShare: 0.5 }, 31);
    expect(run.world.options.compactSupport!.reduce((a, b) => a + b, 0)).toBe(16);
    // Every compact receipt fails here, so round trips count the compact blocks received.
    const all = counters({ ...lb, reconstruction: alwaysFails });
    const none = counters({ ...lb, compactShare: 0, reconstruction: alwaysFails });
    const half = counters({ ...lb, compactShare: 0.5, reconstruction: alwaysFails });
    expect(all.c['pow.cmpct.roundtrips']).toBeGreaterThan(0);
    expect(none.c['pow.cmpct.roundtrips'] ?? 0).toBe(0);
    expect(half.c['pow.cmpct.roundtrips']).toBeGreaterThan(0);
    expect(half.c['pow.cmpct.roundtrips']).toBeLessThan(all.c['pow.cmpct.roundtrips']);
    // Everyone still gets every block.
    for (const r of [all, none, half]) for (const n of r.run.nodes) expect(n.tip.height).toBe(3);
  });

  it('failure probability 0 / 1: no round trip / one per compact receipt (29 receivers × 3 blocks)', () => {
    const never = counters({ ...lb, reconstruction: { kind: 'probabilistic', failure: 0, churnFailure: 0 } });
    const always = counters({ ...lb, reconstruction: alwaysFails });
    expect(never.c['pow.cmpct.roundtrips'] ?? 0).toBe(0);
    expect(always.c['pow.cmpct.roundtrips']).toBe(29 * 3);
  });

  it('churn nodes use the churn failure rate: churnShare 0 vs 1 with failure 0, churnFailure 1', () => {
    const calm = counters({ ...lb, reconstruction: { kind: 'probabilistic', failure: 0, churnFailure: 1, churnShare: 0 } });
    const churning = counters({ ...lb, reconstruction: { kind: 'probabilistic', failure: 0, churnFailure: 1, churnShare: 1 } });
    expect(calm.c['pow.cmpct.roundtrips'] ?? 0).toBe(0);
    expect(churning.c['pow.cmpct.roundtrips']).toBe(29 * 3);
    const { run } = build({ ...lb, reconstruction: { kind: 'probabilistic', churnShare: 0.976 } }, 1000);
    const model = run.world.options.compactReconstruction as ProbabilisticReconstruction;
    expect(model.options.churn.reduce((a, b) => a + b, 0)).toBe(976);
    expect(model.options.missingOrdinary).toBe(SIMBLOCK_MISSING_ORDINARY);
    expect(model.options.missingChurn).toBe(SIMBLOCK_MISSING_CHURN);
  });

  it('is deterministic: same seed ⇒ same trace hash with every knob on; another seed differs', () => {
    const p = { ...lb, compactShare: 0.8, reconstruction: { kind: 'probabilistic' } };
    expect(counters(p, 30, 4).hash).toBe(counters(p, 30, 4).hash);
    expect(counters(p, 30, 5).hash).not.toBe(counters(p, 30, 4).hash);
  });

  it('fillerTxSize splits the padding into distinct filler txs; the compact block carries one short id each', () => {
    const one = build({ fillerSize: `${534_900}B` });
    const split = build({ fillerSize: `${534_900}B`, fillerTxSize: '180B' });
    const blockOf = (b: ReturnType<typeof build>) => {
      b.sim.run();
      return b.run.nodes[0].tip.block;
    };
    const a = blockOf(one);
    const b = blockOf(split);
    expect(a.txs.filter((t) => t.kind === 'filler')).toHaveLength(1);
    const fillers = b.txs.filter((t) => t.kind === 'filler');
    expect(fillers).toHaveLength(Math.ceil(534_900 / 180));
    expect(new Set(fillers.map((t) => t.txid)).size).toBe(fillers.length);
    expect(fillers.reduce((s, t) => s + t.size, 0)).toBe(534_900);
    expect(b.size).toBeGreaterThan(534_990);
    expect(b.size).toBeLessThanOrEqual(535_000);
    // BIP 152 size: 24 header + 80 + 8 nonce + 3 + 6 per short id + 3 + the prefilled coinbase.
    const cmpct = 24 + 80 + 8 + 3 + 6 * fillers.length + 3 + b.txs[0].size;
    expect(cmpct).toBeGreaterThan(17_900);
    expect(cmpct).toBeLessThan(18_100);
  });
});

describe('scenarios/pow-simblock.yaml', () => {
  it('is simblockScenario at 1,000 nodes, compact relay, 100 blocks', async () => {
    const file = fileURLToPath(new URL('../../scenarios/pow-simblock.yaml', import.meta.url));
    const loaded = loadScenario(file, { registry: { pow: powSchema } }).scenario as any;
    const built = validateScenario(simblockScenario({ nodes: 1000, blocks: 100, relay: 'compact', seed: 1 }), { pow: powSchema }) as any;
    expect({ ...loaded, name: '', description: '' }).toEqual({ ...built, name: '', description: '' });
  });
});

describe('SimBlock control/bulk line (simblockScenario uploads.controlBytes)', () => {
  it('every blocktxn is bulk (queues like SimBlock block messages); getblocktxn is control up to 55 % missing', () => {
    const s = validateScenario(simblockScenario({ nodes: 100, blocks: 1, relay: 'compact', seed: 1 }), { pow: powSchema }) as any;
    const line = s.network.uploads.controlBytes;
    const blockBytes = 534_995;
    const shortIds = 2972;
    // Sizes as protocols/nakamoto/node.ts sends them (header 24, hash 32, count 3, 3 per index).
    const blocktxn = (share: number) => 24 + 32 + 3 + Math.floor(blockBytes * share);
    const getblocktxn = (share: number) => 24 + 32 + 3 * Math.max(1, Math.round(shortIds * share));
    const smallest = Math.min(...SIMBLOCK_MISSING_ORDINARY.concat(SIMBLOCK_MISSING_CHURN).map((m) => m.share));
    expect(blocktxn(smallest)).toBeGreaterThan(line);
    expect(getblocktxn(0.55)).toBeLessThanOrEqual(line);
    // Share of churn round trips whose getblocktxn is bulk (> 55 % missing): under 5 %.
    const total = SIMBLOCK_MISSING_CHURN.reduce((a, m) => a + m.weight, 0);
    const bulk = SIMBLOCK_MISSING_CHURN.filter((m) => getblocktxn(m.share) > line).reduce((a, m) => a + m.weight, 0);
    expect(bulk / total).toBeLessThan(0.05);
    // The cmpctblock (≈ 18 kB) is bulk, inv/getdata (61 B) control.
    expect(24 + 80 + 8 + 3 + 6 * shortIds + 3 + 12).toBeGreaterThan(line);
    expect(61).toBeLessThanOrEqual(line);
  });
});
