import { describe, expect, it } from 'vitest';
import {
  barabasiAlbertGraph,
  degrees,
  graphToCsv,
  hubAndSpokeGraph,
  LND_DEFAULT_POLICY,
  parseGraphCsv,
  parseLndGraph,
  validateGraph,
  type ChannelGraph,
} from '../../protocols/channels/graph.ts';
import { ScenarioError } from '../../sim/scenario/errors.ts';

/** The message a loader throws, or a failure if it does not throw a ScenarioError. */
function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

describe('Barabási–Albert generator', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = barabasiAlbertGraph({ nodes: 200, edgesPerNode: 2, seed: 7 });
    const b = barabasiAlbertGraph({ nodes: 200, edgesPerNode: 2, seed: 7 });
    const c = barabasiAlbertGraph({ nodes: 200, edgesPerNode: 2, seed: 8 });
    expect(b).toEqual(a);
    expect(c.channels.map((x) => `${x.a}-${x.b}`)).not.toEqual(a.channels.map((x) => `${x.a}-${x.b}`));
  });

  it('has m(m+1)/2 + (n−m−1)·m channels, every node ≥ m channels, no self or parallel channels', () => {
    for (const [n, m] of [[100, 1], [100, 3], [500, 2]] as const) {
      const g = barabasiAlbertGraph({ nodes: n, edgesPerNode: m, seed: 1 });
      expect(g.nodes.length).toBe(n);
      expect(g.channels.length).toBe((m * (m + 1)) / 2 + (n - m - 1) * m);
      const d = degrees(g);
      expect(Math.min(...d.values())).toBeGreaterThanOrEqual(m);
      expect([...d.values()].reduce((x, y) => x + y, 0)).toBe(2 * g.channels.length);
      const pairs = new Set(g.channels.map((c) => [c.a, c.b].sort().join('|')));
      expect(pairs.size).toBe(g.channels.length);
      expect(g.channels.every((c) => c.a !== c.b)).toBe(true);
      expect(() => validateGraph(g)).not.toThrow();
    }
  });

  it('is scale-free in shape: hubs far above the mean degree', () => {
    const g = barabasiAlbertGraph({ nodes: 1000, edgesPerNode: 2, seed: 3 });
    const d = [...degrees(g).values()];
    const mean = d.reduce((x, y) => x + y, 0) / d.length;
    expect(mean).toBeCloseTo((2 * g.channels.length) / 1000, 10);
    // A random graph of the same density (Poisson degree, mean ≈ 4) almost never has a node of
    // degree 20; preferential attachment makes hubs of degree ≈ m·√n ≈ 60.
    expect(Math.max(...d)).toBeGreaterThan(30);
  });

  it('funds channels as asked', () => {
    const even = barabasiAlbertGraph({ nodes: 20, edgesPerNode: 2, seed: 1, channels: { capacity: { kind: 'fixed', msat: 1001n }, balance: 'even' } });
    expect(even.channels.every((c) => c.capacityMsat === 1001n && c.balanceA === 501n && c.balanceB === 500n)).toBe(true);
    const funder = barabasiAlbertGraph({ nodes: 20, edgesPerNode: 2, seed: 1, channels: { capacity: { kind: 'fixed', msat: 5000n }, balance: 'funder' } });
    expect(funder.channels.every((c) => c.balanceA === 5000n && c.balanceB === 0n)).toBe(true);
    const rnd = barabasiAlbertGraph({
      nodes: 200, edgesPerNode: 2, seed: 1,
      channels: { capacity: { kind: 'uniform', minMsat: 1000n, maxMsat: 2000n }, balance: 'uniform', feeRatePpmRange: [10, 20] },
    });
    const caps = rnd.channels.map((c) => c.capacityMsat);
    expect(caps.every((c) => c >= 1000n && c <= 2000n)).toBe(true);
    expect(new Set(caps).size).toBeGreaterThan(100);
    expect(rnd.channels.every((c) => c.balanceA + c.balanceB === c.capacityMsat && c.balanceA >= 0n && c.balanceB >= 0n)).toBe(true);
    const rates = rnd.channels.flatMap((c) => [c.policyAtoB.feeRatePpm, c.policyBtoA.feeRatePpm]);
    expect(Math.min(...rates)).toBe(10);
    expect(Math.max(...rates)).toBe(20);
    expect(rnd.channels[0].policyAtoB.baseFeeMsat).toBe(LND_DEFAULT_POLICY.baseFeeMsat);
  });

  it('rejects impossible sizes', () => {
    expect(() => barabasiAlbertGraph({ nodes: 3, edgesPerNode: 3, seed: 1 })).toThrow('nodes must be an integer ≥ edgesPerNode + 1 = 4, got 3');
    expect(() => barabasiAlbertGraph({ nodes: 10, edgesPerNode: 0, seed: 1 })).toThrow('edgesPerNode must be an integer ≥ 1, got 0');
  });
});

describe('hub-and-spoke hospitals', () => {
  it('meshes the hubs and hangs spokes off them', () => {
    const g = hubAndSpokeGraph({ hubs: 4, spokesPerHub: 5, seed: 1 });
    expect(g.nodes.length).toBe(4 + 20);
    expect(g.channels.length).toBe(6 + 20);
    const d = degrees(g);
    expect(d.get('hub0')).toBe(3 + 5);
    expect(d.get('hub2-s4')).toBe(1);
    expect(g.channels.find((c) => c.id === 'hs2-4')).toMatchObject({ a: 'hub2-s4', b: 'hub2', balanceB: 0n });
    validateGraph(g);
  });

  it('multi-homed spokes also reach the next hub', () => {
    const g = hubAndSpokeGraph({ hubs: 3, spokesPerHub: 2, seed: 1, multiHomed: true });
    expect(g.channels.length).toBe(3 + 3 * 2 * 2);
    expect(degrees(g).get('hub2-s1')).toBe(2);
    expect(g.channels.find((c) => c.id === 'hs2-1-b')).toMatchObject({ a: 'hub2-s1', b: 'hub0' });
    expect(hubAndSpokeGraph({ hubs: 3, spokesPerHub: 2, seed: 1, multiHomed: true })).toEqual(g);
  });
});

describe('validateGraph', () => {
  const ok = (): ChannelGraph => ({
    nodes: ['a', 'b'],
    channels: [{ id: 'c', a: 'a', b: 'b', capacityMsat: 10n, balanceA: 4n, balanceB: 6n, policyAtoB: { ...LND_DEFAULT_POLICY }, policyBtoA: { ...LND_DEFAULT_POLICY } }],
  });
  it('accepts a good graph and names what is wrong with a bad one', () => {
    validateGraph(ok());
    const g1 = ok();
    g1.channels[0].balanceB = 7n;
    expect(problemOf(() => validateGraph(g1, 'g'))).toBe('g: channels[0].balanceB: expected balances summing to the capacity 10 msat, got 4 + 7 = 11');
    const g2 = ok();
    g2.channels[0].b = 'z';
    expect(problemOf(() => validateGraph(g2, 'g'))).toBe('g: channels[0].b: unknown node "z"');
    const g3 = ok();
    g3.channels[0].policyBtoA.feeRatePpm = 1.5;
    expect(problemOf(() => validateGraph(g3, 'g'))).toBe('g: channels[0].policyBtoA.feeRatePpm: expected an integer fee rate in [0, 1000000] ppm, got 1.5');
  });
});

const CHANNELS_HEADER = 'id,node_a,node_b,capacity_msat,balance_a_msat,balance_b_msat,base_fee_a_msat,fee_rate_a_ppm,cltv_delta_a,htlc_min_a_msat,base_fee_b_msat,fee_rate_b_ppm,cltv_delta_b,htlc_min_b_msat';

describe('CSV graphs', () => {
  it('reads channels and policies, with and without a nodes file', () => {
    const channels = [
      '# hospital network',
      CHANNELS_HEADER,
      'c1,alice,bob,1000000,600000,400000,1000,1,40,1000,0,250,18,1',
      '',
      '"c,2",bob,"carol ""c""",5000,0,5000,1,2,3,4,5,6,7,8\r',
    ].join('\n');
    const g = parseGraphCsv({ channels: { text: channels, file: 'ch.csv' } });
    expect(g.nodes).toEqual(['alice', 'bob', 'carol "c"']);
    expect(g.channels[0]).toEqual({
      id: 'c1', a: 'alice', b: 'bob', capacityMsat: 1_000_000n, balanceA: 600_000n, balanceB: 400_000n,
      policyAtoB: { baseFeeMsat: 1000n, feeRatePpm: 1, cltvDelta: 40, htlcMinimumMsat: 1000n },
      policyBtoA: { baseFeeMsat: 0n, feeRatePpm: 250, cltvDelta: 18, htlcMinimumMsat: 1n },
    });
    expect(g.channels[1].id).toBe('c,2');
    const withNodes = parseGraphCsv({ channels: { text: channels, file: 'ch.csv' }, nodes: { text: 'id\ndave\n"carol ""c"""\nbob\nalice\n', file: 'n.csv' } });
    expect(withNodes.nodes).toEqual(['dave', 'carol "c"', 'bob', 'alice']);
  });

  it('round-trips generated graphs, including optional columns', () => {
    const g = barabasiAlbertGraph({ nodes: 50, edgesPerNode: 2, seed: 4, channels: { capacity: { kind: 'uniform', minMsat: 1n, maxMsat: 10n ** 12n }, balance: 'uniform', feeRatePpmRange: [0, 5000] } });
    g.channels[3].policyAtoB.htlcMaximumMsat = 12345n;
    g.channels[4].policyBtoA.disabled = true;
    const csv = graphToCsv(g);
    expect(parseGraphCsv({ channels: { text: csv.channels, file: 'c' }, nodes: { text: csv.nodes, file: 'n' } })).toEqual(g);
  });

  it('rejects bad files naming file, line, column and what was expected', () => {
    const row = 'c1,alice,bob,1000000,600000,400000,1000,1,40,1000,0,250,18,1';
    const ch = (...rows: string[]) => ({ channels: { text: [CHANNELS_HEADER, ...rows].join('\n'), file: 'ch.csv' } });
    expect(problemOf(() => parseGraphCsv(ch('c1,alice,bob,1000000,600000,400001,1000,1,40,1000,0,250,18,1')))).toBe(
      'ch.csv:2:29: balance_b_msat: expected balance_a_msat + balance_b_msat = capacity_msat = 1000000, got 600000 + 400001 = 1000001',
    );
    expect(problemOf(() => parseGraphCsv(ch(row, 'c2,alice,bob,1000000,600000,400000,1000,1.5,40,1000,0,250,18,1')))).toBe(
      'ch.csv:3:41: fee_rate_a_ppm: expected a fee rate in ppm (an integer in [0, 1000000]), got "1.5"',
    );
    expect(problemOf(() => parseGraphCsv(ch(row, row)))).toBe('ch.csv:3:1: id: duplicate channel id "c1"');
    expect(problemOf(() => parseGraphCsv(ch('c1,alice,alice,10,5,5,1,1,1,1,1,1,1,1')))).toBe('ch.csv:2:10: node_b: expected a node other than node_a ("alice"): a channel joins two nodes');
    expect(problemOf(() => parseGraphCsv(ch('c1,alice,bob,-10,5,5,1,1,1,1,1,1,1,1')))).toContain('ch.csv:2:14: capacity_msat: expected a capacity in msat (an integer > 0), got "-10"');
    expect(problemOf(() => parseGraphCsv(ch('c1,alice,bob,10,5,5,1,1,70000,1,1,1,1,1')))).toBe('ch.csv:2:25: cltv_delta_a: expected a lock-time delta in blocks (an integer in [0, 65535]), got "70000"');
    expect(problemOf(() => parseGraphCsv(ch('c1,alice,bob,10,5,5')))).toBe('ch.csv:2:1: expected 14 cells (one per header column), got 6');
    expect(problemOf(() => parseGraphCsv(ch('c1,"alice,bob,10,5,5,1,1,1,1,1,1,1,1')))).toBe('ch.csv:2:4: expected a closing quote (") for the cell opened here');
    expect(problemOf(() => parseGraphCsv(ch('c1,al"ice,bob,10,5,5,1,1,1,1,1,1,1,1')))).toBe('ch.csv:2:6: expected a quote (") only at the start of a cell');
    expect(problemOf(() => parseGraphCsv({ channels: { text: CHANNELS_HEADER.replace('cltv_delta_a', 'cltv_a'), file: 'ch.csv' } }))).toBe(
      [
        'ch.csv:1:1: cltv_delta_a: missing column "cltv_delta_a": expected the columns ' + CHANNELS_HEADER,
        'ch.csv:1:93: cltv_a: unknown column "cltv_a": expected the columns ' + CHANNELS_HEADER + ' (optional: htlc_max_a_msat, htlc_max_b_msat, disabled_a, disabled_b)',
      ].join('\n'),
    );
    expect(problemOf(() => parseGraphCsv({ channels: { text: '\n# nothing\n', file: 'ch.csv' } }))).toBe('ch.csv: expected a header line naming the columns ' + CHANNELS_HEADER + ', got an empty file');
    expect(problemOf(() => parseGraphCsv({ ...ch(row), nodes: { text: 'id\nalice\n', file: 'n.csv' } }))).toBe('ch.csv:2:10: node_b: unknown node "bob": expected a node listed in n.csv');
    expect(problemOf(() => parseGraphCsv({ ...ch(row), nodes: { text: 'id\nalice\nbob\nalice', file: 'n.csv' } }))).toBe('n.csv:4:1: id: duplicate node id "alice"');
  });

  it('reports every problem at once, in file order', () => {
    const text = [CHANNELS_HEADER, 'c1,a,b,10,5,5,x,1,1,1,1,1,1,1', 'c2,a,b,10,5,5,1,1,1,1,1,1,1,y'].join('\n');
    const msg = problemOf(() => parseGraphCsv({ channels: { text, file: 'ch.csv' } }));
    expect(msg.split('\n')).toEqual([
      'ch.csv:2:15: base_fee_a_msat: expected a base fee in msat (an integer ≥ 0), got "x"',
      'ch.csv:3:29: htlc_min_b_msat: expected a minimum HTLC in msat (an integer ≥ 0), got "y"',
    ]);
  });
});

const PK = (i: number) => `02${i.toString(16).padStart(2, '0').repeat(32)}`;

function lndDoc(): any {
  return {
    nodes: [
      { last_update: 1700000000, pub_key: PK(1), alias: 'alice', addresses: [], color: '#3399ff', features: {} },
      { last_update: 1700000000, pub_key: PK(2), alias: 'bob', addresses: [], color: '#3399ff', features: {} },
      { last_update: 1700000000, pub_key: PK(3), alias: 'carol', addresses: [], color: '#3399ff', features: {} },
    ],
    edges: [
      {
        channel_id: '810747927278534657', chan_point: 'aa:0', last_update: 1700000000, node1_pub: PK(1), node2_pub: PK(2), capacity: '1000000',
        node1_policy: { time_lock_delta: 80, min_htlc: '1000', fee_base_msat: '1000', fee_rate_milli_msat: '1', disabled: false, max_htlc_msat: '990000000', last_update: 1700000000, custom_records: {} },
        node2_policy: { time_lock_delta: 40, min_htlc: '1', fee_base_msat: '0', fee_rate_milli_msat: '2500', disabled: true, max_htlc_msat: '0', last_update: 1700000000 },
        custom_records: {},
      },
      { channel_id: '810747927278534658', chan_point: 'bb:1', last_update: 0, node1_pub: PK(2), node2_pub: PK(3), capacity: 20001, node1_policy: null, node2_policy: { time_lock_delta: 144, min_htlc: 1, fee_base_msat: 500, fee_rate_milli_msat: 10, disabled: false } },
    ],
  };
}

describe('lnd describegraph JSON', () => {
  it('reads nodes, capacities (sat → msat) and both directions’ policies', () => {
    const g = parseLndGraph(JSON.stringify(lndDoc(), null, 2), { file: 'graph.json' });
    expect(g.nodes).toEqual([PK(1), PK(2), PK(3)]);
    expect(g.channels[0]).toEqual({
      id: '810747927278534657', a: PK(1), b: PK(2), capacityMsat: 1_000_000_000n, balanceA: 500_000_000n, balanceB: 500_000_000n,
      policyAtoB: { baseFeeMsat: 1000n, feeRatePpm: 1, cltvDelta: 80, htlcMinimumMsat: 1000n, htlcMaximumMsat: 990_000_000n },
      policyBtoA: { baseFeeMsat: 0n, feeRatePpm: 2500, cltvDelta: 40, htlcMinimumMsat: 1n, disabled: true },
    });
    // A never-announced policy disables that direction; odd msat go to node1.
    expect(g.channels[1]).toMatchObject({ capacityMsat: 20_001_000n, balanceA: 10_000_500n, balanceB: 10_000_500n });
    expect(g.channels[1].policyAtoB.disabled).toBe(true);
    expect(g.channels[1].policyBtoA).toEqual({ baseFeeMsat: 500n, feeRatePpm: 10, cltvDelta: 144, htlcMinimumMsat: 1n });
    const u1 = parseLndGraph(JSON.stringify(lndDoc()), { file: 'g', balance: 'uniform', seed: 5 });
    const u2 = parseLndGraph(JSON.stringify(lndDoc()), { file: 'g', balance: 'uniform', seed: 5 });
    expect(u1).toEqual(u2);
    expect(u1.channels.every((c) => c.balanceA + c.balanceB === c.capacityMsat)).toBe(true);
  });

  it('rejects bad documents naming the key path and what was expected', () => {
    const withEdit = (edit: (d: any) => void) => {
      const d = lndDoc();
      edit(d);
      return JSON.stringify(d, null, 2);
    };
    const msg = (text: string) => problemOf(() => parseLndGraph(text, { file: 'graph.json' }));
    expect(msg('{\n  "nodes": [,\n]}')).toBe('graph.json:2:13: expected lnd describegraph JSON: expected a value (object, array, string, number, true, false or null), got ","');
    expect(msg('[]')).toBe('graph.json:1:1: expected an object with "nodes" and "edges" (lncli describegraph), got []');
    expect(msg(withEdit((d) => (d.edges[0].capacity = '1.5e6')))).toBe('graph.json:35:19: edges[0].capacity: expected a capacity in satoshi (an integer > 0), got "1.5e6"');
    expect(msg(withEdit((d) => (d.edges[1].node2_pub = PK(9))))).toBe(`graph.json:62:20: edges[1].node2_pub: expected a node listed in nodes[].pub_key, got ${PK(9)}`);
    expect(msg(withEdit((d) => (d.nodes[2].pub_key = 'carol')))).toContain('graph.json:21:18: nodes[2].pub_key: expected a compressed secp256k1 public key (66 lower-case hex digits starting 02 or 03), got "carol"');
    expect(msg(withEdit((d) => (d.edges[0].node1_policy.fee_rate_milli_msat = '-1')))).toBe('graph.json:40:32: edges[0].node1_policy.fee_rate_milli_msat: expected a fee rate in ppm (an integer in [0, 1000000]), got "-1"');
    expect(msg(withEdit((d) => (d.edges[0].node2_policy.time_lock_delta = 70000)))).toBe('graph.json:47:28: edges[0].node2_policy.time_lock_delta: expected a lock-time delta in blocks (an integer in [0, 65535]), got 70000');
    expect(msg(withEdit((d) => (d.edges[1].channel_id = d.edges[0].channel_id)))).toBe('graph.json:58:21: edges[1].channel_id: duplicate channel 810747927278534657');
    expect(msg(withEdit((d) => delete d.edges))).toBe('graph.json:1:1: edges: expected an array of channels, got nothing');
    expect(msg(withEdit((d) => (d.edges[0].node1_policy = 'fast')))).toBe('graph.json:36:23: edges[0].node1_policy: expected a routing policy object or null, got "fast"');
  });
});
