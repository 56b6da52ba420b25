/**
 * The payment-channel graph (seed 002 §3.4; Lightning BOLT 7 channel announcements and
 * `channel_update` policies): who has a channel with whom, its capacity, how the capacity is split
 * between the two ends, and each direction's forwarding policy.
 *
 * Where graphs come from:
 *   - `barabasiAlbertGraph`: preferential attachment (Barabási & Albert 1999), the scale-free
 *     shape measured on the Lightning Network and used by CLoTH's generated networks; seeded with
 *     a sim `Rng` stream, so one seed gives one graph in any process.
 *   - `hubAndSpokeGraph`: hospitals (hubs) in a full mesh, each serving clinics/patients (spokes)
 *     that open a channel to their hospital — and, optionally, to the next hospital too.
 *   - `parseGraphCsv` / `loadGraphCsv`: a CSV of channels (and optionally one of nodes).
 *   - `parseLndGraph` / `loadLndGraph`: lnd's `lncli describegraph` JSON.
 * Loaders are strict: every problem names the file, line (CSV) or key path (JSON) and what was
 * expected, collected into one `ScenarioError` (the CLI prints it and exits with code 2).
 *
 * Amounts are millisatoshi (msat) as bigint, as BOLT 7 counts them; lock-time deltas are blocks.
 * `policyAtoB` is the policy node `a` announces for HTLCs it forwards over the channel to `b`
 * (lnd's `node1_policy` when `a` is `node1`): `a` charges its fee on the amount it forwards.
 */
import { readFileSync } from 'node:fs';
import { Rng } from '../../sim/rng.ts';
import { ScenarioError, type ScenarioProblem } from '../../sim/scenario/errors.ts';

/** One direction's forwarding policy, as announced in a BOLT 7 `channel_update`. */
export interface ChannelPolicy {
  /** Fixed fee per forwarded HTLC, msat (`fee_base_msat`). */
  baseFeeMsat: bigint;
  /** Proportional fee, millionths of the forwarded amount (`fee_proportional_millionths`). */
  feeRatePpm: number;
  /** Blocks the forwarding node wants between its incoming and outgoing HTLC expiry (`cltv_expiry_delta`). */
  cltvDelta: number /* blocks */;
  /** Smallest HTLC this direction carries, msat (`htlc_minimum_msat`). */
  htlcMinimumMsat: bigint;
  /** Largest HTLC this direction carries, msat (`htlc_maximum_msat`); absent = the capacity. */
  htlcMaximumMsat?: bigint;
  /** The direction is disabled (`channel_flags` bit 1; lnd's `disabled`, or no policy announced): never routed through. */
  disabled?: boolean;
}

/** A channel between `a` and `b`. */
export interface ChannelEdge {
  /** Unique channel id (lnd: the decimal short channel id). */
  id: string;
  a: string;
  b: string;
  /** Funding amount, msat. */
  capacityMsat: bigint;
  /** What `a` can send, msat. */
  balanceA: bigint;
  /** What `b` can send, msat. */
  balanceB: bigint;
  /** Policy of `a` for HTLCs it forwards to `b`. */
  policyAtoB: ChannelPolicy;
  /** Policy of `b` for HTLCs it forwards to `a`. */
  policyBtoA: ChannelPolicy;
}

/** A channel network. Node ids are unique; every channel's ends are among `nodes`. */
export interface ChannelGraph {
  nodes: string[];
  channels: ChannelEdge[];
}

/** lnd's defaults (lnd `--bitcoin.basefee=1000`, `--bitcoin.feerate=1`, `--bitcoin.timelockdelta=80`, `--bitcoin.minhtlc=1000`). */
export const LND_DEFAULT_POLICY: Readonly<ChannelPolicy> = Object.freeze({
  baseFeeMsat: 1000n,
  feeRatePpm: 1,
  cltvDelta: 80,
  htlcMinimumMsat: 1000n,
});

/** Largest fee rate we accept, ppm (100 %: a node charging more than the amount is not a policy, it is a typo). */
export const MAX_FEE_RATE_PPM = 1_000_000;
/** Largest `cltv_expiry_delta` (BOLT 7 encodes it in 16 bits). */
export const MAX_CLTV_DELTA = 0xffff;

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * Checks the graph is well formed: unique node and channel ids, endpoints among the nodes, no
 * self-channels, non-negative balances that sum to the capacity (no HTLC is pending in a graph
 * description), valid policies. Throws a ScenarioError naming `source` and the offending key.
 * `balancesSumToCapacity: false` drops the sum check, for graphs of a running network (HTLCs in
 * flight, or a node's view with its own spendable balances patched in).
 */
export function validateGraph(graph: ChannelGraph, source = '<graph>', options: { balancesSumToCapacity?: boolean } = {}): void {
  const exactSums = options.balancesSumToCapacity ?? true;
  const problems: ScenarioProblem[] = [];
  const bad = (keyPath: string, message: string) => problems.push({ file: source, line: 0, column: 0, keyPath, message });
  const nodes = new Set<string>();
  graph.nodes.forEach((n, i) => {
    if (typeof n !== 'string' || n.length === 0) bad(`nodes[${i}]`, 'expected a non-empty node id');
    else if (nodes.has(n)) bad(`nodes[${i}]`, `duplicate node id "${n}"`);
    nodes.add(n);
  });
  const ids = new Set<string>();
  graph.channels.forEach((c, i) => {
    const at = `channels[${i}]`;
    if (ids.has(c.id)) bad(`${at}.id`, `duplicate channel id "${c.id}"`);
    ids.add(c.id);
    if (!nodes.has(c.a)) bad(`${at}.a`, `unknown node "${c.a}"`);
    if (!nodes.has(c.b)) bad(`${at}.b`, `unknown node "${c.b}"`);
    if (c.a === c.b) bad(`${at}.b`, `expected a node other than a ("${c.a}"): a channel joins two nodes`);
    for (const m of channelProblems(c, exactSums)) bad(`${at}.${m.key}`, m.message);
  });
  if (problems.length > 0) throw new ScenarioError(problems);
}

/** Amount and policy problems of one channel (key relative to the channel). */
function channelProblems(c: ChannelEdge, exactSums: boolean): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  if (c.capacityMsat <= 0n) out.push({ key: 'capacityMsat', message: `expected a capacity > 0 msat, got ${c.capacityMsat}` });
  if (c.balanceA < 0n) out.push({ key: 'balanceA', message: `expected a balance ≥ 0 msat, got ${c.balanceA}` });
  if (c.balanceB < 0n) out.push({ key: 'balanceB', message: `expected a balance ≥ 0 msat, got ${c.balanceB}` });
  if (exactSums && c.balanceA + c.balanceB !== c.capacityMsat) {
    out.push({ key: 'balanceB', message: `expected balances summing to the capacity ${c.capacityMsat} msat, got ${c.balanceA} + ${c.balanceB} = ${c.balanceA + c.balanceB}` });
  }
  for (const [key, p] of [['policyAtoB', c.policyAtoB], ['policyBtoA', c.policyBtoA]] as const) {
    for (const m of policyProblems(p)) out.push({ key: `${key}.${m.key}`, message: m.message });
  }
  return out;
}

function policyProblems(p: ChannelPolicy): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  if (p.baseFeeMsat < 0n) out.push({ key: 'baseFeeMsat', message: `expected a base fee ≥ 0 msat, got ${p.baseFeeMsat}` });
  if (!Number.isInteger(p.feeRatePpm) || p.feeRatePpm < 0 || p.feeRatePpm > MAX_FEE_RATE_PPM) {
    out.push({ key: 'feeRatePpm', message: `expected an integer fee rate in [0, ${MAX_FEE_RATE_PPM}] ppm, got ${p.feeRatePpm}` });
  }
  if (!Number.isInteger(p.cltvDelta) || p.cltvDelta < 0 || p.cltvDelta > MAX_CLTV_DELTA) {
    out.push({ key: 'cltvDelta', message: `expected an integer lock-time delta in [0, ${MAX_CLTV_DELTA}] blocks, got ${p.cltvDelta}` });
  }
  if (p.htlcMinimumMsat < 0n) out.push({ key: 'htlcMinimumMsat', message: `expected a minimum HTLC ≥ 0 msat, got ${p.htlcMinimumMsat}` });
  if (p.htlcMaximumMsat !== undefined && p.htlcMaximumMsat < p.htlcMinimumMsat) {
    out.push({ key: 'htlcMaximumMsat', message: `expected a maximum HTLC ≥ the minimum ${p.htlcMinimumMsat} msat, got ${p.htlcMaximumMsat}` });
  }
  return out;
}

/** Number of channels at each node (parallel channels count separately), in `graph.nodes` order. */
export function degrees(graph: ChannelGraph): Map<string, number> {
  const d = new Map<string, number>(graph.nodes.map((n) => [n, 0]));
  for (const c of graph.channels) {
    d.set(c.a, (d.get(c.a) ?? 0) + 1);
    d.set(c.b, (d.get(c.b) ?? 0) + 1);
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Generators

/** How generated channels are funded, priced and split. */
export interface GeneratedChannelOptions {
  /** Channel capacity, msat: fixed, or drawn uniformly from [minMsat, maxMsat] (whole msat). */
  capacity: { kind: 'fixed'; msat: bigint } | { kind: 'uniform'; minMsat: bigint; maxMsat: bigint };
  /**
   * How the capacity is split: `even` (half each; an odd msat goes to `a`), `funder` (all on
   * `a`, the opener, as a single-funded channel right after opening) or `uniform` (a's share drawn
   * uniformly in [0, 1], rounded down to whole msat).
   */
  balance: 'even' | 'funder' | 'uniform';
  /** Policy of every direction; defaults to `LND_DEFAULT_POLICY`. */
  policy?: ChannelPolicy;
  /** When set, each direction's proportional fee is drawn uniformly from [min, max] ppm (integers) instead of `policy.feeRatePpm`. */
  feeRatePpmRange?: readonly [number, number];
}

const DEFAULT_CHANNELS: GeneratedChannelOptions = { capacity: { kind: 'fixed', msat: 100_000_000n /* 100k sat */ }, balance: 'even' };

/** Draws a uniform bigint in [lo, hi] from two 26-bit draws per 52 bits (exact for spans < 2^52). */
function uniformBigint(rng: Rng, lo: bigint, hi: bigint): bigint {
  if (hi < lo) throw new RangeError(`uniform amount: max ${hi} < min ${lo}`);
  const span = hi - lo + 1n;
  if (span <= BigInt(Number.MAX_SAFE_INTEGER)) return lo + BigInt(Math.floor(rng.next() * Number(span)));
  // Wider spans: compose 48-bit digits, then reduce (negligible modulo bias at these widths).
  let x = 0n;
  for (let bits = 0n; (1n << bits) < span * 1024n; bits += 48n) x = (x << 48n) | BigInt(Math.floor(rng.next() * 2 ** 48));
  return lo + (x % span);
}

/** A channel `id` between `a` and `b` funded as `opts` says, drawing from `rng`. */
function makeChannel(id: string, a: string, b: string, opts: GeneratedChannelOptions, rng: Rng): ChannelEdge {
  const cap = opts.capacity.kind === 'fixed' ? opts.capacity.msat : uniformBigint(rng, opts.capacity.minMsat, opts.capacity.maxMsat);
  let balanceA: bigint;
  if (opts.balance === 'even') balanceA = cap - cap / 2n;
  else if (opts.balance === 'funder') balanceA = cap;
  else balanceA = uniformBigint(rng, 0n, cap);
  const base = opts.policy ?? LND_DEFAULT_POLICY;
  const policy = (): ChannelPolicy => {
    const p: ChannelPolicy = { ...base };
    if (opts.feeRatePpmRange) p.feeRatePpm = rng.intBetween(opts.feeRatePpmRange[0], opts.feeRatePpmRange[1]);
    return p;
  };
  return { id, a, b, capacityMsat: cap, balanceA, balanceB: cap - balanceA, policyAtoB: policy(), policyBtoA: policy() };
}

/** Options of `barabasiAlbertGraph`. */
export interface BarabasiAlbertOptions {
  /** Number of nodes (≥ edgesPerNode + 1). */
  nodes: number;
  /** Channels each arriving node opens (Barabási–Albert's m ≥ 1). */
  edgesPerNode: number;
  /** Run seed: the graph is drawn from the sim stream `channels/graph/barabasi-albert`. */
  seed: number | string;
  /** Funding, split and policies; default 100,000 sat channels, even split, lnd's default policy. */
  channels?: GeneratedChannelOptions;
  /** Node id prefix; nodes are `${prefix}${i}` for i = 0 … nodes − 1 (default "n"). */
  prefix?: string;
}

/**
 * A Barabási–Albert preferential-attachment graph: the first m + 1 nodes form a clique; each later
 * node opens channels to m distinct earlier nodes, each chosen with probability proportional to
 * its current number of channels (the classic "repeated nodes" list). Channel count is
 * m(m + 1)/2 + (n − m − 1)·m; every node has at least m channels. Node i opens its channels, so
 * with `balance: 'funder'` the newer node holds the funds. Channel ids are `c0`, `c1`, … in
 * creation order.
 */
export function barabasiAlbertGraph(options: BarabasiAlbertOptions): ChannelGraph {
  const { nodes: n, edgesPerNode: m } = options;
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`barabasiAlbertGraph: edgesPerNode must be an integer ≥ 1, got ${m}`);
  if (!Number.isInteger(n) || n < m + 1) throw new RangeError(`barabasiAlbertGraph: nodes must be an integer ≥ edgesPerNode + 1 = ${m + 1}, got ${n}`);
  const prefix = options.prefix ?? 'n';
  const chOpts = options.channels ?? DEFAULT_CHANNELS;
  const topo = Rng.stream(options.seed, 'channels/graph/barabasi-albert');
  const funds = Rng.stream(options.seed, 'channels/graph/barabasi-albert/funding');
  const names = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const channels: ChannelEdge[] = [];
  // Every channel end appears once in `ends`: a uniform pick from it is a degree-proportional pick.
  const ends: number[] = [];
  const open = (i: number, j: number) => {
    channels.push(makeChannel(`c${channels.length}`, names[i], names[j], chOpts, funds));
    ends.push(i, j);
  };
  for (let i = 0; i <= m; i++) for (let j = 0; j < i; j++) open(i, j);
  for (let i = m + 1; i < n; i++) {
    const targets: number[] = [];
    const chosen = new Set<number>();
    while (targets.length < m) {
      const t = ends[topo.int(ends.length)];
      if (!chosen.has(t)) {
        chosen.add(t);
        targets.push(t);
      }
    }
    for (const t of targets) open(i, t);
  }
  return { nodes: names, channels };
}

/** Options of `hubAndSpokeGraph`. */
export interface HubAndSpokeOptions {
  /** Hospitals (hubs), fully meshed with one channel per pair. */
  hubs: number;
  /** Clinics / patients (spokes) per hospital. */
  spokesPerHub: number;
  /** Seed for random capacities, splits and fees (the topology itself is fixed). */
  seed: number | string;
  /** Hub–hub channels; default 10,000,000 sat, even split. */
  hubChannels?: GeneratedChannelOptions;
  /** Spoke–hub channels (the spoke is `a`); default 1,000,000 sat, all funds on the spoke. */
  spokeChannels?: GeneratedChannelOptions;
  /** Each spoke also opens a channel to the next hospital (hub (h + 1) mod hubs), so losing one hub does not cut it off. Default false. */
  multiHomed?: boolean;
}

/**
 * Hospitals `hub0 … hub{H−1}` in a full mesh, each with spokes `hub{h}-s{k}` connected to it
 * (and, multi-homed, to the next hospital). Channels: H(H − 1)/2 + H·S·(multiHomed ? 2 : 1).
 * Channel ids: `hh{i}-{j}` between hubs, `hs{h}-{k}` (and `hs{h}-{k}-b` to the backup hub).
 */
export function hubAndSpokeGraph(options: HubAndSpokeOptions): ChannelGraph {
  const { hubs: h, spokesPerHub: s } = options;
  if (!Number.isInteger(h) || h < 1) throw new RangeError(`hubAndSpokeGraph: hubs must be an integer ≥ 1, got ${h}`);
  if (!Number.isInteger(s) || s < 0) throw new RangeError(`hubAndSpokeGraph: spokesPerHub must be an integer ≥ 0, got ${s}`);
  const multi = options.multiHomed ?? false;
  if (multi && h < 2) throw new RangeError('hubAndSpokeGraph: multiHomed needs at least 2 hubs');
  const hubOpts = options.hubChannels ?? { capacity: { kind: 'fixed', msat: 10_000_000_000n }, balance: 'even' };
  const spokeOpts = options.spokeChannels ?? { capacity: { kind: 'fixed', msat: 1_000_000_000n }, balance: 'funder' };
  const rng = Rng.stream(options.seed, 'channels/graph/hub-and-spoke');
  const hubName = (i: number) => `hub${i}`;
  const nodes: string[] = [];
  const channels: ChannelEdge[] = [];
  for (let i = 0; i < h; i++) nodes.push(hubName(i));
  for (let i = 0; i < h; i++) for (let j = i + 1; j < h; j++) channels.push(makeChannel(`hh${i}-${j}`, hubName(i), hubName(j), hubOpts, rng));
  for (let i = 0; i < h; i++) {
    for (let k = 0; k < s; k++) {
      const spoke = `${hubName(i)}-s${k}`;
      nodes.push(spoke);
      channels.push(makeChannel(`hs${i}-${k}`, spoke, hubName(i), spokeOpts, rng));
      if (multi) channels.push(makeChannel(`hs${i}-${k}-b`, spoke, hubName((i + 1) % h), spokeOpts, rng));
    }
  }
  return { nodes, channels };
}

// ---------------------------------------------------------------------------------------------
// CSV

/** Columns of the channels CSV; `_a` is node_a's policy (for HTLCs it forwards to node_b). */
export const CHANNEL_CSV_COLUMNS = [
  'id', 'node_a', 'node_b', 'capacity_msat', 'balance_a_msat', 'balance_b_msat',
  'base_fee_a_msat', 'fee_rate_a_ppm', 'cltv_delta_a', 'htlc_min_a_msat',
  'base_fee_b_msat', 'fee_rate_b_ppm', 'cltv_delta_b', 'htlc_min_b_msat',
] as const;
/** Optional columns of the channels CSV (an empty cell means "none" / "no"). */
export const CHANNEL_CSV_OPTIONAL_COLUMNS = ['htlc_max_a_msat', 'htlc_max_b_msat', 'disabled_a', 'disabled_b'] as const;
/** Columns of the nodes CSV. */
export const NODE_CSV_COLUMNS = ['id'] as const;

/** One data row of a CSV file: its 1-based line and cells by column name (with each cell's 1-based column). */
export interface CsvRow {
  line: number;
  cells: Map<string, { value: string; column: number }>;
}

/**
 * Parses a CSV with a header line (RFC 4180 subset: comma-separated; a cell may be double-quoted,
 * with "" for a quote; no line breaks inside cells). Blank lines and lines starting with `#` are
 * skipped. The header must name every `required` column, may name `optional` ones, and nothing
 * else; each row must have as many cells as the header. Problems are appended to `problems`.
 */
export function parseCsv(text: string, file: string, required: readonly string[], optional: readonly string[], problems: ScenarioProblem[]): CsvRow[] {
  return parseCsvTable(text, file, required, optional, problems).rows;
}

/** `parseCsv` with the header's column names and line (0 when there is none). */
export function parseCsvTable(text: string, file: string, required: readonly string[], optional: readonly string[], problems: ScenarioProblem[]): { columns: string[]; headerLine: number; rows: CsvRow[] } {
  let headerLine = 0;
  const lines = text.split('\n');
  let header: { names: string[]; columns: number[] } | undefined;
  const rows: CsvRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const lineNo = i + 1;
    const split = splitCsvLine(raw);
    if ('message' in split) {
      problems.push({ file, line: lineNo, column: split.column, keyPath: '', message: split.message });
      continue;
    }
    if (header === undefined) {
      header = { names: split.map((c) => c.value.trim()), columns: split.map((c) => c.column) };
      headerLine = lineNo;
      const known = new Set([...required, ...optional]);
      const seen = new Set<string>();
      header.names.forEach((name, k) => {
        if (seen.has(name)) problems.push({ file, line: lineNo, column: header!.columns[k], keyPath: name, message: `duplicate column "${name}"` });
        seen.add(name);
        if (!known.has(name)) {
          problems.push({ file, line: lineNo, column: header!.columns[k], keyPath: name, message: `unknown column "${name}": expected the columns ${required.join(',')}${optional.length ? ` (optional: ${optional.join(', ')})` : ''}` });
        }
      });
      for (const r of required) if (!seen.has(r)) problems.push({ file, line: lineNo, column: 1, keyPath: r, message: `missing column "${r}": expected the columns ${required.join(',')}` });
      continue;
    }
    if (split.length !== header.names.length) {
      problems.push({ file, line: lineNo, column: 1, keyPath: '', message: `expected ${header.names.length} cells (one per header column), got ${split.length}` });
      continue;
    }
    const cells = new Map<string, { value: string; column: number }>();
    split.forEach((c, k) => cells.set(header!.names[k], { value: c.value.trim(), column: c.column }));
    rows.push({ line: lineNo, cells });
  }
  if (header === undefined) problems.push({ file, line: 0, column: 0, keyPath: '', message: `expected a header line naming the columns ${required.join(',')}, got an empty file` });
  return { columns: header?.names ?? [], headerLine, rows };
}

/** Cells of one CSV line with their 1-based start column, or what is wrong and where. */
function splitCsvLine(line: string): { value: string; column: number }[] | { column: number; message: string } {
  const out: { value: string; column: number }[] = [];
  let i = 0;
  for (;;) {
    const start = i;
    let value = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return { column: start + 1, message: 'expected a closing quote (") for the cell opened here' };
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      if (i < line.length && line[i] !== ',') return { column: i + 1, message: `expected "," after a quoted cell, got "${line[i]}"` };
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      value = line.slice(i, end);
      if (value.includes('"')) return { column: start + 1 + value.indexOf('"'), message: 'expected a quote (") only at the start of a cell' };
      i = end;
    }
    out.push({ value, column: start + 1 });
    if (i >= line.length) return out;
    i++; // the comma
  }
}

/** Reads cells of a CSV row with typed, located error messages. */
export class CsvCells {
  constructor(
    private readonly file: string,
    private readonly row: CsvRow,
    private readonly problems: ScenarioProblem[],
  ) {}

  private bad(name: string, message: string): void {
    this.problems.push({ file: this.file, line: this.row.line, column: this.row.cells.get(name)?.column ?? 1, keyPath: name, message });
  }

  /** Whether the column is present and its cell non-empty. */
  has(name: string): boolean {
    return (this.row.cells.get(name)?.value ?? '') !== '';
  }

  /** A non-empty string. */
  text(name: string, what = 'a non-empty id'): string | undefined {
    const v = this.row.cells.get(name)?.value ?? '';
    if (v === '') {
      this.bad(name, `expected ${what}, got an empty cell`);
      return undefined;
    }
    return v;
  }

  /** A non-negative integer amount (digits only), as bigint. */
  amount(name: string, what: string, min = 0n): bigint | undefined {
    const v = this.row.cells.get(name)?.value ?? '';
    if (!/^[0-9]+$/.test(v) || BigInt(v) < min) {
      this.bad(name, `expected ${what}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return BigInt(v);
  }

  /** An integer in [lo, hi]. */
  int(name: string, what: string, lo: number, hi: number): number | undefined {
    const v = this.row.cells.get(name)?.value ?? '';
    const x = /^-?[0-9]+$/.test(v) ? Number(v) : Number.NaN;
    if (!(Number.isSafeInteger(x) && x >= lo && x <= hi)) {
      this.bad(name, `expected ${what}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return x;
  }

  /** A finite decimal number ≥ lo. */
  decimal(name: string, what: string, lo: number): number | undefined {
    const v = this.row.cells.get(name)?.value ?? '';
    const x = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(v) ? Number(v) : Number.NaN;
    if (!(Number.isFinite(x) && x >= lo)) {
      this.bad(name, `expected ${what}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return x;
  }

  /** A boolean: true/false/1/0; an empty cell is false. */
  flag(name: string): boolean | undefined {
    const v = (this.row.cells.get(name)?.value ?? '').toLowerCase();
    if (v === '' || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    this.bad(name, `expected true, false, 1, 0 or an empty cell, got ${JSON.stringify(v)}`);
    return undefined;
  }

  /** Reports a problem with a cell (for cross-column checks). */
  report(name: string, message: string): void {
    this.bad(name, message);
  }
}

/** A CSV text with the name it is reported under. */
export interface NamedText {
  text: string;
  /** File name used in error messages. */
  file: string;
}

/**
 * Parses a channel graph from a channels CSV (columns `CHANNEL_CSV_COLUMNS`, optionally
 * `CHANNEL_CSV_OPTIONAL_COLUMNS`) and an optional nodes CSV (column `id`). Without a nodes file the
 * nodes are the channel ends in order of first appearance; with one, every channel end must be
 * listed there (nodes without channels are allowed). Balances must sum to the capacity.
 */
export function parseGraphCsv(input: { channels: NamedText; nodes?: NamedText }): ChannelGraph {
  const problems: ScenarioProblem[] = [];
  const nodes: string[] = [];
  const nodeSet = new Set<string>();
  const listed = input.nodes !== undefined;
  if (input.nodes) {
    const { file } = input.nodes;
    for (const row of parseCsv(input.nodes.text, file, NODE_CSV_COLUMNS, [], problems)) {
      const cells = new CsvCells(file, row, problems);
      const id = cells.text('id', 'a non-empty node id');
      if (id === undefined) continue;
      if (nodeSet.has(id)) cells.report('id', `duplicate node id "${id}"`);
      else {
        nodeSet.add(id);
        nodes.push(id);
      }
    }
  }
  const { file } = input.channels;
  const channels: ChannelEdge[] = [];
  const channelIds = new Set<string>();
  for (const row of parseCsv(input.channels.text, file, CHANNEL_CSV_COLUMNS, CHANNEL_CSV_OPTIONAL_COLUMNS, problems)) {
    const c = new CsvCells(file, row, problems);
    const before = problems.length;
    const id = c.text('id', 'a non-empty channel id');
    if (id !== undefined && channelIds.has(id)) c.report('id', `duplicate channel id "${id}"`);
    const ends = (['node_a', 'node_b'] as const).map((k) => {
      const n = c.text(k, 'a non-empty node id');
      if (n !== undefined && listed && !nodeSet.has(n)) c.report(k, `unknown node "${n}": expected a node listed in ${input.nodes!.file}`);
      return n;
    });
    if (ends[0] !== undefined && ends[0] === ends[1]) c.report('node_b', `expected a node other than node_a ("${ends[0]}"): a channel joins two nodes`);
    const capacity = c.amount('capacity_msat', 'a capacity in msat (an integer > 0)', 1n);
    const balanceA = c.amount('balance_a_msat', 'a balance in msat (an integer ≥ 0)');
    const balanceB = c.amount('balance_b_msat', 'a balance in msat (an integer ≥ 0)');
    if (capacity !== undefined && balanceA !== undefined && balanceB !== undefined && balanceA + balanceB !== capacity) {
      c.report('balance_b_msat', `expected balance_a_msat + balance_b_msat = capacity_msat = ${capacity}, got ${balanceA} + ${balanceB} = ${balanceA + balanceB}`);
    }
    const policy = (side: 'a' | 'b'): ChannelPolicy | undefined => {
      const baseFeeMsat = c.amount(`base_fee_${side}_msat`, 'a base fee in msat (an integer ≥ 0)');
      const feeRatePpm = c.int(`fee_rate_${side}_ppm`, `a fee rate in ppm (an integer in [0, ${MAX_FEE_RATE_PPM}])`, 0, MAX_FEE_RATE_PPM);
      const cltvDelta = c.int(`cltv_delta_${side}`, `a lock-time delta in blocks (an integer in [0, ${MAX_CLTV_DELTA}])`, 0, MAX_CLTV_DELTA);
      const htlcMinimumMsat = c.amount(`htlc_min_${side}_msat`, 'a minimum HTLC in msat (an integer ≥ 0)');
      const maxKey = `htlc_max_${side}_msat`;
      const htlcMaximumMsat = c.has(maxKey) ? c.amount(maxKey, 'a maximum HTLC in msat (an integer ≥ 0) or an empty cell') : undefined;
      if (htlcMaximumMsat !== undefined && htlcMinimumMsat !== undefined && htlcMaximumMsat < htlcMinimumMsat) {
        c.report(maxKey, `expected a maximum HTLC ≥ htlc_min_${side}_msat = ${htlcMinimumMsat}, got ${htlcMaximumMsat}`);
      }
      const disabled = c.flag(`disabled_${side}`);
      if (baseFeeMsat === undefined || feeRatePpm === undefined || cltvDelta === undefined || htlcMinimumMsat === undefined) return undefined;
      const p: ChannelPolicy = { baseFeeMsat, feeRatePpm, cltvDelta, htlcMinimumMsat };
      if (htlcMaximumMsat !== undefined) p.htlcMaximumMsat = htlcMaximumMsat;
      if (disabled) p.disabled = true;
      return p;
    };
    const policyAtoB = policy('a');
    const policyBtoA = policy('b');
    if (problems.length > before) continue;
    channelIds.add(id!);
    for (const n of ends) {
      if (!listed && !nodeSet.has(n!)) {
        nodeSet.add(n!);
        nodes.push(n!);
      }
    }
    channels.push({ id: id!, a: ends[0]!, b: ends[1]!, capacityMsat: capacity!, balanceA: balanceA!, balanceB: balanceB!, policyAtoB: policyAtoB!, policyBtoA: policyBtoA! });
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  return { nodes, channels };
}

/** Reads a file for a loader; a missing file is a located problem, not a stack trace. */
export function readInputFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ScenarioError([{ file: path, line: 0, column: 0, keyPath: '', message: `cannot read the file (${code})` }]);
  }
}

/** `parseGraphCsv` on files. */
export function loadGraphCsv(channelsPath: string, nodesPath?: string): ChannelGraph {
  return parseGraphCsv({
    channels: { text: readInputFile(channelsPath), file: channelsPath },
    nodes: nodesPath === undefined ? undefined : { text: readInputFile(nodesPath), file: nodesPath },
  });
}

/** CSV texts that `parseGraphCsv` reads back into an equal graph. */
export function graphToCsv(graph: ChannelGraph): { nodes: string; channels: string } {
  const cell = (s: string) => (/[",]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s);
  const header = [...CHANNEL_CSV_COLUMNS, ...CHANNEL_CSV_OPTIONAL_COLUMNS].join(',');
  const pol = (p: ChannelPolicy) => [p.baseFeeMsat, p.feeRatePpm, p.cltvDelta, p.htlcMinimumMsat];
  const rows = graph.channels.map((c) =>
    [
      cell(c.id), cell(c.a), cell(c.b), c.capacityMsat, c.balanceA, c.balanceB, ...pol(c.policyAtoB), ...pol(c.policyBtoA),
      c.policyAtoB.htlcMaximumMsat ?? '', c.policyBtoA.htlcMaximumMsat ?? '', c.policyAtoB.disabled ? 'true' : '', c.policyBtoA.disabled ? 'true' : '',
    ].join(','),
  );
  return { nodes: ['id', ...graph.nodes.map(cell)].join('\n') + '\n', channels: [header, ...rows].join('\n') + '\n' };
}

// ---------------------------------------------------------------------------------------------
// lnd describegraph JSON

/** How a loaded lnd graph splits each capacity (describegraph publishes capacities, never balances). */
export interface LndGraphOptions {
  /** File name used in error messages. */
  file: string;
  /** `even` (default): half each, as CLoTH assumes for unknown balances; `uniform`: a's share uniform in [0, capacity], drawn from the seeded stream. */
  balance?: 'even' | 'uniform';
  /** Seed of the `uniform` split (stream `channels/graph/lnd-balances`). */
  seed?: number | string;
}

/**
 * Parses `lncli describegraph` output (lnrpc.ChannelGraph as protojson: `nodes[].pub_key`,
 * `edges[].{channel_id, node1_pub, node2_pub, capacity, node1_policy, node2_policy}`; 64-bit
 * integers as decimal strings, 32-bit ones as numbers — both spellings are accepted for any
 * integer). `capacity` is in satoshi (×1000 → msat); `node1_policy` is node1's policy for HTLCs it
 * forwards to node2 (`fee_base_msat`, `fee_rate_milli_msat` = ppm, `time_lock_delta` blocks,
 * `min_htlc` and `max_htlc_msat` msat, `disabled`). A null policy (never announced) disables that
 * direction. Unknown keys are ignored (lnd adds fields across versions); the keys read are
 * checked strictly. Channel ends must be among `nodes`.
 */
export function parseLndGraph(text: string, options: LndGraphOptions): ChannelGraph {
  const file = options.file;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const located = locateJson(text).error;
    const at = located ? lineColumn(text, located.offset) : { line: 0, column: 0 };
    throw new ScenarioError([{ file, line: at.line, column: at.column, keyPath: '', message: `expected lnd describegraph JSON: ${located?.message ?? (err as Error).message}` }]);
  }
  const problems: ScenarioProblem[] = [];
  const bad = (keyPath: string, message: string) => problems.push({ file, line: 0, column: 0, keyPath, message });
  const got = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80) ?? String(v));
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(doc)) throw new ScenarioError([{ file, line: 1, column: 1, keyPath: '', message: `expected an object with "nodes" and "edges" (lncli describegraph), got ${got(doc)}` }]);
  const uint = (v: unknown, key: string, what: string, max: bigint): bigint | undefined => {
    let x: bigint | undefined;
    if (typeof v === 'string' && /^[0-9]+$/.test(v)) x = BigInt(v);
    else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) x = BigInt(v);
    if (x === undefined || x > max) {
      bad(key, `expected ${what}, got ${got(v)}`);
      return undefined;
    }
    return x;
  };
  const U64 = (1n << 64n) - 1n;
  const nodes: string[] = [];
  const nodeSet = new Set<string>();
  if (!Array.isArray(doc.nodes)) bad('nodes', `expected an array of nodes, got ${got(doc.nodes)}`);
  else {
    doc.nodes.forEach((n, i) => {
      const at = `nodes[${i}]`;
      if (!isObj(n)) return bad(at, `expected a node object, got ${got(n)}`);
      const pk = n.pub_key;
      if (typeof pk !== 'string' || !/^0[23][0-9a-f]{64}$/.test(pk)) return bad(`${at}.pub_key`, `expected a compressed secp256k1 public key (66 lower-case hex digits starting 02 or 03), got ${got(pk)}`);
      if (nodeSet.has(pk)) return bad(`${at}.pub_key`, `duplicate node ${pk}`);
      nodeSet.add(pk);
      nodes.push(pk);
    });
  }
  const rng = options.balance === 'uniform' ? Rng.stream(options.seed ?? 0, 'channels/graph/lnd-balances') : undefined;
  const channels: ChannelEdge[] = [];
  const channelIds = new Set<string>();
  if (!Array.isArray(doc.edges)) bad('edges', `expected an array of channels, got ${got(doc.edges)}`);
  else {
    doc.edges.forEach((e, i) => {
      const at = `edges[${i}]`;
      if (!isObj(e)) return bad(at, `expected a channel object, got ${got(e)}`);
      const before = problems.length;
      const id = uint(e.channel_id, `${at}.channel_id`, 'a short channel id (an unsigned 64-bit integer)', U64);
      if (id !== undefined && channelIds.has(id.toString())) bad(`${at}.channel_id`, `duplicate channel ${id}`);
      const ends = (['node1_pub', 'node2_pub'] as const).map((k) => {
        const v = e[k];
        if (typeof v !== 'string' || !nodeSet.has(v)) {
          bad(`${at}.${k}`, typeof v === 'string' && /^0[23][0-9a-f]{64}$/.test(v) ? `expected a node listed in nodes[].pub_key, got ${v}` : `expected a node public key listed in nodes[].pub_key, got ${got(v)}`);
          return undefined;
        }
        return v;
      });
      if (ends[0] !== undefined && ends[0] === ends[1]) bad(`${at}.node2_pub`, `expected a node other than node1_pub: a channel joins two nodes`);
      const capSat = uint(e.capacity, `${at}.capacity`, 'a capacity in satoshi (an integer > 0)', U64 / 1000n);
      if (capSat === 0n) bad(`${at}.capacity`, 'expected a capacity in satoshi (an integer > 0), got "0"');
      const policy = (k: 'node1_policy' | 'node2_policy'): ChannelPolicy | undefined => {
        const p = e[k];
        if (p === null || p === undefined) return { baseFeeMsat: 0n, feeRatePpm: 0, cltvDelta: 0, htlcMinimumMsat: 0n, disabled: true };
        if (!isObj(p)) {
          bad(`${at}.${k}`, `expected a routing policy object or null, got ${got(p)}`);
          return undefined;
        }
        const pk = `${at}.${k}`;
        const cltv = uint(p.time_lock_delta, `${pk}.time_lock_delta`, `a lock-time delta in blocks (an integer in [0, ${MAX_CLTV_DELTA}])`, BigInt(MAX_CLTV_DELTA));
        const min = uint(p.min_htlc, `${pk}.min_htlc`, 'a minimum HTLC in msat (an unsigned integer)', U64);
        const base = uint(p.fee_base_msat, `${pk}.fee_base_msat`, 'a base fee in msat (an unsigned integer)', U64);
        const rate = uint(p.fee_rate_milli_msat, `${pk}.fee_rate_milli_msat`, `a fee rate in ppm (an integer in [0, ${MAX_FEE_RATE_PPM}])`, BigInt(MAX_FEE_RATE_PPM));
        const max = p.max_htlc_msat === undefined ? undefined : uint(p.max_htlc_msat, `${pk}.max_htlc_msat`, 'a maximum HTLC in msat (an unsigned integer)', U64);
        if (p.disabled !== undefined && typeof p.disabled !== 'boolean') bad(`${pk}.disabled`, `expected true or false, got ${got(p.disabled)}`);
        if (cltv === undefined || min === undefined || base === undefined || rate === undefined) return undefined;
        const out: ChannelPolicy = { baseFeeMsat: base, feeRatePpm: Number(rate), cltvDelta: Number(cltv), htlcMinimumMsat: min };
        // lnd reports max_htlc_msat "0" when the update carried none.
        if (max !== undefined && max > 0n) {
          if (max < min) bad(`${pk}.max_htlc_msat`, `expected a maximum HTLC ≥ min_htlc ${min} msat, got ${max}`);
          out.htlcMaximumMsat = max;
        }
        if (p.disabled === true) out.disabled = true;
        return out;
      };
      const p1 = policy('node1_policy');
      const p2 = policy('node2_policy');
      if (problems.length > before) return;
      const cap = capSat! * 1000n;
      const balanceA = rng ? uniformBigint(rng, 0n, cap) : cap - cap / 2n;
      channelIds.add(id!.toString());
      channels.push({ id: id!.toString(), a: ends[0]!, b: ends[1]!, capacityMsat: cap, balanceA, balanceB: cap - balanceA, policyAtoB: p1!, policyBtoA: p2! });
    });
  }
  if (problems.length > 0) {
    // Put a line and column on each problem: the value at its key path, else the nearest enclosing one.
    const { positions } = locateJson(text);
    for (const p of problems) {
      for (let path = p.keyPath; ; ) {
        const offset = positions.get(path);
        if (offset !== undefined) {
          Object.assign(p, lineColumn(text, offset));
          break;
        }
        if (path === '') break;
        const parent = path.replace(/(\.[^.[\]]*|\[\d+\])$/, '');
        path = parent === path ? '' : parent;
      }
    }
    throw new ScenarioError(problems);
  }
  return { nodes, channels };
}

/** `parseLndGraph` on a file. */
export function loadLndGraph(path: string, options: Omit<LndGraphOptions, 'file'> = {}): ChannelGraph {
  return parseLndGraph(readInputFile(path), { ...options, file: path });
}

// ---------------------------------------------------------------------------------------------
// Locating JSON problems (run only after a problem is found: JSON.parse does the fast work)

/** Where each value of a JSON text starts (by key path, `edges[3].capacity`), or the first syntax error. */
export function locateJson(text: string): { positions: Map<string, number>; error?: { offset: number; message: string } } {
  const positions = new Map<string, number>();
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  class Stop extends Error {
    constructor(readonly offset: number, message: string) {
      super(message);
    }
  }
  const fail = (message: string): never => {
    throw new Stop(i, message);
  };
  const found = () => (i >= text.length ? 'the end of the file' : JSON.stringify(text[i]));
  const str = (): string => {
    const start = i++;
    for (;;) {
      if (i >= text.length) throw new Stop(start, 'expected a closing quote for the string opened here');
      const ch = text[i];
      if (ch === '"') break;
      if (ch === '\\') i++;
      else if (ch < ' ') fail(`expected no control character inside a string, got ${JSON.stringify(ch)}`);
      i++;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      throw new Stop(start, 'expected a valid string escape');
    }
  };
  const value = (path: string): void => {
    ws();
    positions.set(path, i);
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a quoted key, got ${found()}`);
        const key = str();
        ws();
        if (text[i] !== ':') fail(`expected ":" after a key, got ${found()}`);
        i++;
        value(path === '' ? key : `${path}.${key}`);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected "," or "}" after a value, got ${found()}`);
      }
    } else if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let k = 0; ; k++) {
        value(`${path}[${k}]`);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected "," or "]" after a value, got ${found()}`);
      }
    } else if (ch === '"') str();
    else {
      const m = /^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null)/.exec(text.slice(i, i + 400));
      if (!m) fail(`expected a value (object, array, string, number, true, false or null), got ${found()}`);
      i += m![0].length;
    }
  };
  try {
    value('');
    ws();
    if (i < text.length) fail(`expected the end of the document, got ${found()}`);
    return { positions };
  } catch (err) {
    if (err instanceof Stop) return { positions, error: { offset: err.offset, message: err.message } };
    throw err;
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastNewline = -1;
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    lastNewline = k;
  }
  return { line, column: offset - lastNewline };
}
