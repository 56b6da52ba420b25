/**
 * The scenario schema: what a scenario file may contain, with units, defaults and the checks that
 * span several fields. See docs/scenarios.md for the reference a scenario author reads.
 *
 * Every object is strict (unknown keys are errors, so typos never pass silently). Every field is
 * `.describe()`d with its meaning and unit; the descriptions feed the JSON Schema export and the
 * "missing required key" messages.
 *
 * The `protocol` section is pluggable: `buildScenarioSchema(registry)` makes it a union
 * discriminated on `protocol.name`, with one strict zod object per registered protocol, e.g.
 *
 *     export const powProtocolSchema = z.strictObject({
 *       name: z.literal('pow'),
 *       blockInterval: duration({ positive: true }).prefault('600s').describe('…'),
 *     });
 *     buildScenarioSchema({ gossip: gossipSchema, pow: powProtocolSchema });
 *
 * Parsed values: durations are integer microseconds, sizes integer bytes, bandwidths integer
 * bits per second, custom region latencies integer microseconds.
 */
import { z } from 'zod';
import { bandwidth, duration, formatDuration, size } from '../units.ts';
import { expecting } from './meta.ts';

// ---------------------------------------------------------------------------------------------
// Small building blocks, exported for protocol modules.

/** Bound description used in messages: "an integer from 1 to 100000", "an integer ≥ 0". */
function integerPhrase(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min !== undefined) return `an integer ≥ ${min}`;
  if (max !== undefined) return `an integer ≤ ${max}`;
  return 'an integer';
}

/** An integer (safe integer) within optional inclusive bounds. */
export function integer(opts: { min?: number; max?: number } = {}) {
  const phrase = integerPhrase(opts.min, opts.max);
  const error = `expected ${phrase}`;
  let schema = z.number({ error }).int({ error });
  if (opts.min !== undefined) schema = schema.min(opts.min, { error });
  if (opts.max !== undefined) schema = schema.max(opts.max, { error });
  return expecting(schema, phrase);
}

/** A number in [0, 1]. `what` names it in messages ("a fraction", "a probability"). */
export function fraction(what = 'a fraction') {
  const phrase = `${what} from 0 to 1`;
  return expecting(z.number({ error: `expected ${phrase}` }).min(0, { error: `expected ${phrase}` }).max(1, { error: `expected ${phrase}` }), phrase);
}

/** A probability in [0, 1]. */
export function probability() {
  return fraction('a probability');
}

/** A number strictly between 0 and 1. */
function openFraction() {
  const phrase = 'a fraction strictly between 0 and 1';
  return expecting(z.number({ error: `expected ${phrase}` }).gt(0, { error: `expected ${phrase}` }).lt(1, { error: `expected ${phrase}` }), phrase);
}

/** A node id: an integer ≥ 0 (checked against `network.nodes` by the scenario-level checks). */
export function nodeId() {
  const phrase = 'a node id (an integer ≥ 0)';
  return expecting(z.number({ error: `expected ${phrase}` }).int({ error: `expected ${phrase}` }).min(0, { error: `expected ${phrase}` }), phrase);
}

function nodeIdList(what: string) {
  return expecting(z.array(nodeId()), `a list of node ids, like [0, 1, 2]`).describe(what);
}

// ---------------------------------------------------------------------------------------------
// Network

/** Names of the built-in region tables (latency, bandwidth, node distribution) the network model provides. */
export const REGION_PRESETS = ['bitcoin-2019', 'bitcoin-2015', 'uniform-lan'] as const;
/** Names of the built-in outbound-degree tables (sim/regions.ts DEGREE_PRESETS). */
export const DEGREE_PRESET_NAMES = ['bitcoin-2015'] as const;
export type RegionPreset = (typeof REGION_PRESETS)[number];

const NAME_RE = /^[a-z0-9_-]+$/;

function customRegionsSchema() {
  return z
    .strictObject({
      names: expecting(z.array(z.string().min(1)).min(1), 'a non-empty list of region names').describe(
        'Region names, e.g. [north-america, europe, asia]. Their order indexes every other list here.',
      ),
      latency: expecting(
        z.array(z.array(z.number().min(0))),
        'a square matrix of latencies in milliseconds, like [[10, 80], [80, 10]]',
      )
        .describe(
          'One-way latency matrix in milliseconds (plain numbers, may be fractional): latency[i][j] is from region i to region j. ' +
            'Square, one row and one column per name. Parsed to integer microseconds.',
        )
        .transform((rows) => rows.map((row) => row.map((ms) => Math.round(ms * 1000)))),
      distribution: z
        .array(fraction())
        .describe('Fraction of the nodes placed in each region, one per name; must sum to 1 (±1e-6).'),
      upload: z.array(bandwidth()).describe('Upload bandwidth of a node in each region, one per name (e.g. "20Mbps"; bits per second after parsing).'),
      download: z.array(bandwidth()).describe('Download bandwidth of a node in each region, one per name (e.g. "50Mbps"; bits per second after parsing).'),
    })
    .superRefine((r, ctx) => {
      if (!Array.isArray(r.names)) return;
      const n = r.names.length;
      const seen = new Map<string, number>();
      r.names.forEach((name, i) => {
        const first = seen.get(name);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['names', i], message: `region "${name}" is listed twice (also at index ${first})` });
        else seen.set(name, i);
      });
      if (Array.isArray(r.latency)) {
        if (r.latency.length !== n) {
          ctx.addIssue({
            code: 'custom', path: ['latency'],
            message: `expected a ${n}×${n} matrix (one row per region name), got ${r.latency.length} row${r.latency.length === 1 ? '' : 's'}`,
            params: { expected: `a ${n}×${n} matrix` },
          });
        }
        r.latency.forEach((row, i) => {
          if (Array.isArray(row) && row.length !== n) {
            ctx.addIssue({
              code: 'custom', path: ['latency', i],
              message: `expected ${n} latencies in row ${i} (one per region name), got ${row.length}`,
              params: { expected: `${n} latencies (one per region name)` },
            });
          }
        });
      }
      for (const key of ['distribution', 'upload', 'download'] as const) {
        const list = r[key];
        if (Array.isArray(list) && list.length !== n) {
          ctx.addIssue({
            code: 'custom', path: [key],
            message: `expected ${n} entries (one per region name), got ${list.length}`,
            params: { expected: `${n} entries (one per region name)` },
          });
        }
      }
      if (Array.isArray(r.distribution) && r.distribution.every((x) => typeof x === 'number')) {
        const sum = r.distribution.reduce((a, b) => a + b, 0);
        if (Math.abs(sum - 1) > 1e-6) {
          ctx.addIssue({
            code: 'custom', path: ['distribution'],
            message: `expected fractions that sum to 1, got a sum of ${Number(sum.toPrecision(10))}`,
            params: { expected: 'fractions that sum to 1' },
          });
        }
      }
    })
    .describe('A custom region table instead of a preset.');
}

function regionsSchema() {
  return z
    .strictObject({
      preset: z.enum(REGION_PRESETS).optional().describe(`Name of a built-in region table: ${REGION_PRESETS.join(', ')}.`),
      custom: customRegionsSchema().optional(),
    })
    .superRefine((r, ctx) => exactlyOne(r, ['preset', 'custom'], ctx, 'give a preset name (bitcoin-2019, bitcoin-2015, uniform-lan) or a custom table'))
    .prefault({ preset: 'bitcoin-2019' })
    .describe('Where nodes live and what links between regions look like: either `preset: <name>` or `custom: {names, latency, distribution, upload, download}`. Default: preset bitcoin-2019.');
}

function topologySchema() {
  return z
    .discriminatedUnion('kind', [
      z
        .strictObject({
          kind: z.literal('random').default('random'),
          degree: integer({ min: 1 }).default(8).describe('Number of peers each node dials (integer; clamped to nodes − 1). Default 8.'),
        })
        .describe('Random graph: each node connects to `degree` distinct random peers (links are bidirectional).'),
      z
        .strictObject({
          kind: z.literal('random-degrees'),
          outbound: z
            .union([
              z.enum(DEGREE_PRESET_NAMES).describe(`A built-in table: ${DEGREE_PRESET_NAMES.join(', ')} (SimBlock's Bitcoin 2015 outbound-degree distribution, after Miller et al. 2015; mean 8.6).`),
              expecting(z.array(fraction()).min(1), 'a list of shares, like [0.2, 0.3, 0.5]').describe('Share of nodes that dial 1, 2, 3, … outbound peers (element k is the share dialling k + 1); must sum to 1 (±1e-6).'),
            ])
            .default('bitcoin-2015')
            .describe('Outbound-degree distribution: a preset name or a list of shares. Default bitcoin-2015.'),
        })
        .superRefine((t, ctx) => {
          if (!Array.isArray(t.outbound)) return;
          const sum = t.outbound.reduce((a, b) => a + b, 0);
          if (Math.abs(sum - 1) > 1e-6) ctx.addIssue({ code: 'custom', path: ['outbound'], message: `expected shares that sum to 1, got a sum of ${Number(sum.toPrecision(10))}`, params: { expected: 'shares that sum to 1' } });
        })
        .describe('SimBlock\'s routing table (BitcoinCoreTable): each node dials a number of distinct random peers drawn by quota from `outbound`; inbound links are unlimited; links are bidirectional.'),
      z.strictObject({ kind: z.literal('full-mesh') }).describe('Every node is linked to every other node.'),
      z
        .strictObject({
          kind: z.literal('explicit'),
          edges: expecting(
            z.array(expecting(z.tuple([nodeId(), nodeId()]), 'an edge [a, b] of two node ids')),
            'a list of edges, like [[0, 1], [1, 2]]',
          ).describe('Bidirectional links as [a, b] pairs of node ids (each < network.nodes, a ≠ b).'),
        })
        .describe('Exactly the listed links.'),
    ])
    .prefault({ kind: 'random' })
    .describe('Peer-to-peer overlay, chosen by `kind`: random (the default, also when `kind` is left out; degree 8) | random-degrees | full-mesh | explicit.');
}

function partitionSchema() {
  return z
    .strictObject({
      start: duration().describe('When the partition begins (simulated time since start, e.g. "10m"; µs after parsing).'),
      end: duration().describe('When it heals (duration since start, must be after `start`; µs after parsing).'),
      groups: expecting(
        z.array(expecting(z.array(nodeId()).min(1), 'a group: a non-empty list of node ids, like [0, 1]', (got) =>
          typeof got === 'number' ? '"groups" is a list of groups, so one group of nodes 0 and 1 is [[0, 1]]' : undefined)).min(1),
        'a list of node-id lists, like [[0, 1], [2, 3]]',
      )
        .optional()
        .describe('Node-id lists; nodes in different groups cannot talk. Nodes listed in no group form one more group together. A node may be in one group only.'),
      split: openFraction()
        .optional()
        .describe('Instead of `groups`: fraction of the nodes (lowest ids first, rounded down) in the first group; the rest form the second.'),
      direction: z
        .enum(['both', 'one-way'])
        .default('both')
        .describe('both: traffic is cut both ways (default). one-way: only traffic from the first group to the others is dropped.'),
    })
    .superRefine((p, ctx) => {
      exactlyOne(p, ['groups', 'split'], ctx, 'a partition needs one of them (groups: lists of node ids; split: the fraction of nodes in the first group)');
      afterCheck(p.start, p.end, 'start', 'end', ctx);
    })
    .describe('A network partition between `start` and `end`.');
}

function clogSchema() {
  return z
    .strictObject({
      start: duration().describe('When the clog begins (duration since start; µs after parsing).'),
      end: duration().describe('When it ends (must be after `start`; µs after parsing).'),
      from: nodeIdList('Senders affected (node ids); omitted = all nodes.').optional(),
      to: nodeIdList('Receivers affected (node ids); omitted = all nodes.').optional(),
      delay: duration({ positive: true }).describe('Extra one-way delay added to each affected message (e.g. "2s"; µs after parsing).'),
    })
    .superRefine((c, ctx) => afterCheck(c.start, c.end, 'start', 'end', ctx))
    .describe('Slow links: messages from `from` to `to` between `start` and `end` take `delay` longer.');
}

function networkSchema() {
  return z
    .strictObject({
      nodes: integer({ min: 1, max: 100_000 }).describe('Number of simulated nodes (integer 1..100000); node ids are 0..nodes−1.'),
      regions: regionsSchema(),
      jitter: fraction().default(0.1).describe('Random latency variation as a fraction of the link latency (0..1). Default 0.1.'),
      bandwidth: z
        .strictObject({
          upload: bandwidth().optional().describe('Upload bandwidth of every node (e.g. "20Mbps"; bits per second after parsing).'),
          download: bandwidth().optional().describe('Download bandwidth of every node (e.g. "50Mbps"; bits per second after parsing).'),
        })
        .optional()
        .describe('Overrides the region table bandwidth for all nodes.'),
      loss: probability().default(0).describe('Probability that a message is dropped (0..1). Default 0.'),
      duplication: probability().default(0).describe('Probability that a message is delivered twice (0..1). Default 0.'),
      latency: z
        .strictObject({
          distribution: z
            .enum(['uniform', 'pareto'])
            .default('uniform')
            .describe('uniform: mean × U(1 − jitter, 1 + jitter); pareto: Pareto with the region table\'s mean and minimum mean − paretoGap, shape mean / paretoGap (SimBlock Network.getLatency: shape 0.2/ms × mean, scale mean − 5 ms). Default uniform.'),
          paretoGap: duration({ positive: true }).prefault('5ms').describe('Pareto only: how far the minimum latency lies below the mean (µs after parsing; clamped to half the mean). Default 5ms (SimBlock).'),
        })
        .prefault({})
        .describe('Per-message latency distribution around the region table\'s mean.'),
      uploads: z
        .strictObject({
          mode: z
            .enum(['fifo', 'stop-and-wait'])
            .default('fifo')
            .describe('fifo: a node\'s messages queue on its upload link, each starting when the previous one\'s last byte left. stop-and-wait: one message in flight — the next starts when the previous has arrived (SimBlock Node.sendNextBlockMessage). Default fifo.'),
          controlBytes: size().prefault('0B').describe('Messages of at most this size are control messages: they neither wait for nor occupy the upload link (SimBlock: inv, getdata and getblocktxn are never queued behind blocks). Bytes after parsing; default 0B (none).'),
          controlDelay: duration().prefault('0s').describe('Extra one-way delay of every control message (µs after parsing). Default 0s; SimBlock 10ms (AbstractMessageTask).'),
          bulkDelay: duration().prefault('0s').describe('Extra one-way delay of every other message, counted in the stop-and-wait busy time (µs after parsing). Default 0s; SimBlock 2ms (Node.processingTime).'),
        })
        .prefault({})
        .describe('How a node\'s messages share its upload link.'),
      topology: topologySchema(),
      partitions: z.array(partitionSchema()).default([]).describe('Network partitions, each active from `start` to `end`. Default none.'),
      clogs: z.array(clogSchema()).default([]).describe('Periods of extra delay on some links. Default none.'),
    })
    .describe('The simulated network: nodes, regions (latency and bandwidth), topology and network faults.');
}

function faultsSchema() {
  return z
    .strictObject({
      crashes: z
        .array(
          z
            .strictObject({
              node: nodeId().describe('Id of the node that crashes (< network.nodes).'),
              at: duration().describe('When it crashes (duration since start; µs after parsing).'),
              recoverAt: duration().optional().describe('When it restarts (after `at`); omitted = stays down.'),
            })
            .superRefine((c, ctx) => afterCheck(c.at, c.recoverAt, 'at', 'recoverAt', ctx))
            .describe('A node crash (stops handling messages and timers) with optional recovery.'),
        )
        .default([])
        .describe('Node crashes. Default none.'),
    })
    .prefault({})
    .describe('Node faults.');
}

/** Largest number of values one `range` may produce. */
export const MAX_SWEEP_RANGE_VALUES = 10_000;

function sweepSchema() {
  return z
    .strictObject({
      parameters: expecting(
        z
          .array(
            z
              .strictObject({
                path: expecting(
                  z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/),
                  'a dot path into the scenario, like "network.loss" or "network.partitions.0.end"',
                ).describe('Dot path of the value to vary, e.g. network.loss or network.partitions.0.end (array indices allowed).'),
                values: expecting(z.array(z.unknown()).min(1), 'a non-empty list of values').optional().describe('The values to try, in order (as written in a scenario, units included).'),
                range: z
                  .strictObject({
                    from: z.number().describe('First value.'),
                    to: z.number().describe('Last value (included when reached exactly, up to rounding).'),
                    step: expecting(z.number().positive(), 'a number > 0').describe('Increment (> 0).'),
                  })
                  .optional()
                  .describe('Numbers from `from` to `to` in steps of `step`, instead of `values`.'),
              })
              .superRefine((p, ctx) => {
                exactlyOne(p, ['values', 'range'], ctx, 'a sweep parameter needs one of them (values: a list; range: {from, to, step})');
                if (p.path === 'sweep' || p.path?.startsWith('sweep.') || p.path === 'extends' || p.path === 'name') {
                  ctx.addIssue({ code: 'custom', path: ['path'], message: `"${p.path}" cannot be swept` });
                }
                const r = p.range;
                if (r && typeof r.from === 'number' && typeof r.to === 'number' && typeof r.step === 'number' && r.step > 0) {
                  if (r.to < r.from) {
                    ctx.addIssue({ code: 'custom', path: ['range', 'to'], message: `expected a number ≥ from (${r.from}), got ${r.to}`, params: { expected: `a number ≥ from (${r.from})` } });
                  } else if ((r.to - r.from) / r.step + 1 > MAX_SWEEP_RANGE_VALUES) {
                    ctx.addIssue({ code: 'custom', path: ['range', 'step'], message: `this range has more than ${MAX_SWEEP_RANGE_VALUES} values; use a larger step` });
                  }
                }
              })
              .describe('One swept parameter: a dot path and the values it takes.'),
          )
          .min(1),
        'a non-empty list of {path, values | range}',
      ).describe('Parameters to vary; the sweep runs every combination (cartesian product, first parameter slowest).'),
      trials: integer({ min: 1 }).optional().describe('Trials (seeds) per sweep point (integer ≥ 1). Default: the runner’s default.'),
    })
    .describe('Parameter sweep: the scenario is run at every combination of the listed values.');
}

// ---------------------------------------------------------------------------------------------
// Cross-field helpers

/** Issues an error unless exactly one of `keys` is present in `obj`. */
function exactlyOne(obj: Record<string, unknown>, keys: [string, string], ctx: z.RefinementCtx, neitherMessage: string): void {
  const present = keys.filter((k) => obj[k] !== undefined);
  if (present.length === 0) ctx.addIssue({ code: 'custom', path: [], message: `missing "${keys[0]}" or "${keys[1]}": ${neitherMessage}` });
  if (present.length > 1) {
    ctx.addIssue({ code: 'custom', path: [keys[1]], message: `give either "${keys[0]}" or "${keys[1]}", not both` });
  }
}

/** Issues an error at `laterKey` unless `later` > `earlier` (both µs, when both parsed). */
function afterCheck(earlier: unknown, later: unknown, earlierKey: string, laterKey: string, ctx: z.RefinementCtx): void {
  if (typeof earlier === 'number' && typeof later === 'number' && later <= earlier) {
    const expected = `a time after ${earlierKey} (${formatDuration(earlier)})`;
    ctx.addIssue({ code: 'custom', path: [laterKey], message: `expected ${expected}, got ${formatDuration(later)}`, params: { expected } });
  }
}

/** A problem found by scenarioCrossChecks; `path` is from the scenario root. */
export type CrossCheckIssue = { path: (string | number)[]; message: string; expected?: string };

/**
 * Checks that need `network.nodes`: node ids in partitions, clogs, explicit edges and crashes
 * are < nodes; a node is in at most one partition group; no self-loop edges. Works on the raw
 * scenario as well as on the parsed one (it only reads plain numbers), and skips whatever does
 * not have the right type yet, so it can also run when other parts of the scenario are invalid.
 */
export function scenarioCrossChecks(s: Record<string, any>): CrossCheckIssue[] {
  const out: CrossCheckIssue[] = [];
  const net = s.network;
  const nodes = net?.nodes;
  if (typeof nodes !== 'number' || !Number.isInteger(nodes)) return out;
  const expected = nodes === 1 ? 'node id 0 (network.nodes is 1)' : `a node id from 0 to ${nodes - 1} (network.nodes is ${nodes})`;
  const checkId = (id: unknown, path: (string | number)[]) => {
    if (typeof id === 'number' && Number.isInteger(id) && id >= nodes) {
      out.push({ path, message: `expected ${expected}, got ${id}`, expected });
    }
  };
  const partitions: unknown[] = Array.isArray(net.partitions) ? net.partitions : [];
  partitions.forEach((p: any, i) => {
    if (!Array.isArray(p?.groups)) return;
    const groupOf = new Map<number, number>();
    p.groups.forEach((g: unknown, gi: number) => {
      if (!Array.isArray(g)) return;
      g.forEach((id: unknown, k: number) => {
        const path = ['network', 'partitions', i, 'groups', gi, k];
        checkId(id, path);
        if (typeof id !== 'number') return;
        const first = groupOf.get(id);
        if (first === undefined) groupOf.set(id, gi);
        else if (first === gi) out.push({ path, message: `node ${id} is listed twice in group ${gi}` });
        else out.push({ path, message: `node ${id} is already in group ${first}; a node can be in only one group` });
      });
    });
  });
  const clogs: unknown[] = Array.isArray(net.clogs) ? net.clogs : [];
  clogs.forEach((c: any, i) => {
    for (const key of ['from', 'to'] as const) {
      if (Array.isArray(c?.[key])) c[key].forEach((id: unknown, k: number) => checkId(id, ['network', 'clogs', i, key, k]));
    }
  });
  const topo = net.topology;
  if (topo?.kind === 'explicit' && Array.isArray(topo.edges)) {
    topo.edges.forEach((e: unknown, i: number) => {
      if (!Array.isArray(e)) return;
      e.forEach((id: unknown, k: number) => checkId(id, ['network', 'topology', 'edges', i, k]));
      if (e.length === 2 && e[0] === e[1] && typeof e[0] === 'number') {
        out.push({ path: ['network', 'topology', 'edges', i], message: `edge [${e[0]}, ${e[1]}] links node ${e[0]} to itself` });
      }
    });
  }
  const crashes: unknown[] = Array.isArray(s.faults?.crashes) ? s.faults.crashes : [];
  crashes.forEach((c: any, i) => checkId(c?.node, ['faults', 'crashes', i, 'node']));
  return out;
}

/**
 * Rules that tie a protocol section to the rest of the scenario (network.nodes, duration): a
 * protocol registers them for its schema with `protocolScenarioRules.add(schema, { check })`,
 * next to the schema in its own folder (the loader imports no protocol). They run on the parsed
 * scenario (units in µs/bytes, defaults applied) after every field is valid; `path` is from the
 * scenario root (e.g. ['network', 'nodes']) and `message` says what is allowed — "expected at
 * least 296 nodes (96 delegates + 200 institutions), got 100". Rules inside the protocol section
 * alone (an adversary naming a replica outside the committee) belong in the section's own
 * `.superRefine`.
 */
export interface ProtocolScenarioRule {
  check(scenario: Scenario<any>): CrossCheckIssue[];
}
export const protocolScenarioRules = z.registry<ProtocolScenarioRule>();

/** Adds a custom issue at `path` (relative to the refined object) saying what is allowed. */
export function refineIssue(ctx: z.RefinementCtx, path: (string | number)[], message: string, expected?: string): void {
  ctx.addIssue({ code: 'custom', path, message, ...(expected ? { params: { expected } } : {}) });
}

// ---------------------------------------------------------------------------------------------
// The scenario

function coreShape() {
  return {
    name: expecting(
      z.string().regex(NAME_RE),
      'a name of lowercase letters, digits, "-" and "_" (it names the results/<name>/ folder)',
    ).describe('Scenario name: lowercase letters, digits, "-" and "_"; results go to results/<name>/.'),
    description: z.string().optional().describe('Free text shown in summaries.'),
    seed: integer({ min: 0 }).default(1).describe('Run seed (integer ≥ 0); trial k of a sweep point derives its own seed from it. Default 1.'),
    duration: duration({ positive: true }).describe('Simulated time limit (e.g. "2h"; µs after parsing).'),
    maxEvents: integer({ min: 1 }).optional().describe('Safety cap on processed events (integer ≥ 1); the run stops with an error when reached.'),
    network: networkSchema(),
    faults: faultsSchema(),
    sweep: sweepSchema().optional(),
    extends: z
      .string()
      .optional()
      .describe('Path of a scenario to inherit from, relative to this file; resolved by the loader (deep merge: mappings merged key by key, lists and scalars replaced).'),
  };
}

/** A registry of protocol schemas: `name` literal → strict zod object that includes `name: z.literal(<key>)`. */
export type ProtocolRegistry = Readonly<Record<string, z.ZodObject>>;

/** A protocol section after parsing, when the registry is not known statically. */
export type ProtocolConfig = { name: string } & Record<string, unknown>;

const coreForTypes = z.strictObject(coreShape());
/** The scenario as written (unit strings) — the input side of the schema. */
export type ScenarioInput = z.input<typeof coreForTypes> & { protocol: { name: string } & Record<string, unknown> };
/** A validated scenario: defaults applied, units parsed (µs, bytes, bits/s). `P` is the protocol section's type. */
export type Scenario<P = ProtocolConfig> = Omit<z.output<typeof coreForTypes>, 'extends'> & { protocol: P };
/** The scenario type for a given registry. */
export type ScenarioOf<R extends ProtocolRegistry> = Scenario<z.output<R[keyof R]>>;

const cache = new WeakMap<object, z.ZodType>();

/**
 * Builds the scenario schema for a protocol registry. Each registry entry must be a zod object
 * whose `name` field is `z.literal(<its key>)`; `protocol` becomes a union discriminated on
 * `name`. The result is cached per registry object.
 */
export function buildScenarioSchema<R extends ProtocolRegistry>(protocols: R): z.ZodType<ScenarioOf<R>> {
  const cached = cache.get(protocols);
  if (cached) return cached as z.ZodType<ScenarioOf<R>>;
  const options = Object.entries(protocols).map(([key, schema]) => {
    const nameField = (schema as any)?.shape?.name;
    const values: unknown[] | undefined = nameField?._zod?.def?.values;
    if (!values || values.length !== 1 || values[0] !== key) {
      throw new Error(`buildScenarioSchema: protocol "${key}" must be a z.strictObject with name: z.literal('${key}')`);
    }
    return schema;
  });
  if (options.length === 0) throw new Error('buildScenarioSchema: the protocol registry is empty');
  const names = Object.keys(protocols);
  const protocol = z
    .discriminatedUnion('name', options as unknown as [z.ZodObject, ...z.ZodObject[]])
    .describe(`The protocol run by every node, chosen by \`name\`: ${names.join(' | ')}.`);
  expecting(protocol, `a mapping with name: one of ${names.map((n) => `"${n}"`).join(', ')}`);
  const schema = z
    .strictObject({ ...coreShape(), protocol })
    .superRefine((s, ctx) => {
      const rule = protocolScenarioRules.get(protocols[String(s.protocol.name)] as z.ZodObject);
      for (const issue of [...scenarioCrossChecks(s as Record<string, any>), ...(rule?.check(s as Scenario) ?? [])]) {
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, ...(issue.expected ? { params: { expected: issue.expected } } : {}) });
      }
    })
    .meta({ title: 'medchain-sim scenario', description: 'A medchain-sim scenario file (YAML). Reference: docs/scenarios.md.' });
  cache.set(protocols, schema);
  return schema as unknown as z.ZodType<ScenarioOf<R>>;
}
