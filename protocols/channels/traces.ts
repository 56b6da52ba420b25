/**
 * Payment traces for a channel network: who pays whom, how much, and when.
 *
 *   - `parseTraceCsv` / `loadTraceCsv`: a CSV with columns sender, receiver, one time column
 *     (`time_us`, `time_ms` or `time_s`) and one amount column (`amount_msat` or `amount_sat`), rows
 *     in time order. Strict, with file:line:column messages (ScenarioError, exit code 2).
 *   - `generateTrace`: Poisson arrivals (exponential inter-arrival times, as CLoTH generates its
 *     payments), sender and receiver drawn uniformly from distinct nodes (or from given weights),
 *     amounts from a fixed, uniform, exponential or log-normal distribution. Arrivals, endpoints
 *     and amounts come from three separate seeded streams, so changing the amount distribution
 *     leaves the times and the pairs as they were.
 */
import { Rng } from '../../sim/rng.ts';
import { ScenarioError, type ScenarioProblem } from '../../sim/scenario/errors.ts';
import { CsvCells, parseCsvTable, readInputFile, type NamedText } from './graph.ts';

/** One payment to make. */
export interface PaymentRequest {
  /** Virtual time the sender starts the payment, µs. */
  atUs: number;
  sender: string;
  receiver: string;
  /** Amount the receiver must get, msat. */
  amountMsat: bigint;
}

const TIME_COLUMNS = { time_us: 1, time_ms: 1_000, time_s: 1_000_000 } as const;
const AMOUNT_COLUMNS = { amount_msat: 1n, amount_sat: 1000n } as const;

/**
 * Parses a payment trace. Times may be decimals in ms or s (rounded to the nearest µs) and must
 * not decrease; amounts are whole msat or sat, > 0; sender ≠ receiver; with `nodes`, both must be
 * among them.
 */
export function parseTraceCsv(input: NamedText, options: { nodes?: Iterable<string> } = {}): PaymentRequest[] {
  const { file } = input;
  const problems: ScenarioProblem[] = [];
  const optional = [...Object.keys(TIME_COLUMNS), ...Object.keys(AMOUNT_COLUMNS)];
  const { columns, headerLine, rows } = parseCsvTable(input.text, file, ['sender', 'receiver'], optional, problems);
  const present = (names: readonly string[]) => names.filter((n) => columns.includes(n));
  const times = present(Object.keys(TIME_COLUMNS));
  const amounts = present(Object.keys(AMOUNT_COLUMNS));
  if (problems.length === 0) {
    if (times.length !== 1) problems.push({ file, line: headerLine, column: 1, keyPath: times.join(',') || 'time_us', message: `expected exactly one time column (time_us, time_ms or time_s), got ${times.length === 0 ? 'none' : times.join(', ')}` });
    if (amounts.length !== 1) problems.push({ file, line: headerLine, column: 1, keyPath: amounts.join(',') || 'amount_msat', message: `expected exactly one amount column (amount_msat or amount_sat), got ${amounts.length === 0 ? 'none' : amounts.join(', ')}` });
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  const timeCol = times[0] as keyof typeof TIME_COLUMNS;
  const amountCol = amounts[0] as keyof typeof AMOUNT_COLUMNS;
  const known = options.nodes === undefined ? undefined : new Set(options.nodes);
  const out: PaymentRequest[] = [];
  let lastUs = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const c = new CsvCells(file, row, problems);
    const before = problems.length;
    const t = timeCol === 'time_us' ? c.int(timeCol, 'a time in µs (an integer ≥ 0)', 0, Number.MAX_SAFE_INTEGER) : c.decimal(timeCol, `a time in ${timeCol.slice(5)} (a number ≥ 0)`, 0);
    const atUs = t === undefined ? undefined : Math.round(t * TIME_COLUMNS[timeCol]);
    if (atUs !== undefined && atUs < lastUs) c.report(timeCol, `expected rows in time order: a time ≥ the previous row's ${lastUs / TIME_COLUMNS[timeCol]}, got ${t}`);
    const ends = (['sender', 'receiver'] as const).map((k) => {
      const n = c.text(k, 'a non-empty node id');
      if (n !== undefined && known && !known.has(n)) c.report(k, `unknown node "${n}": expected a node of the channel graph`);
      return n;
    });
    if (ends[0] !== undefined && ends[0] === ends[1]) c.report('receiver', `expected a receiver other than the sender ("${ends[0]}")`);
    const amount = c.amount(amountCol, `an amount in ${amountCol.slice(7)} (an integer > 0)`, 1n);
    if (problems.length > before) continue;
    lastUs = atUs!;
    out.push({ atUs: atUs!, sender: ends[0]!, receiver: ends[1]!, amountMsat: amount! * AMOUNT_COLUMNS[amountCol] });
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  return out;
}

/** `parseTraceCsv` on a file. */
export function loadTraceCsv(path: string, options: { nodes?: Iterable<string> } = {}): PaymentRequest[] {
  return parseTraceCsv({ text: readInputFile(path), file: path }, options);
}

/** A trace as CSV (`time_us,sender,receiver,amount_msat`) that `parseTraceCsv` reads back. */
export function traceToCsv(trace: readonly PaymentRequest[]): string {
  const cell = (s: string) => (/[",]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s);
  return ['time_us,sender,receiver,amount_msat', ...trace.map((p) => `${p.atUs},${cell(p.sender)},${cell(p.receiver)},${p.amountMsat}`)].join('\n') + '\n';
}

/** Distribution of generated payment amounts, msat (each draw rounded to whole msat, at least 1). */
export type AmountDistribution =
  | { kind: 'fixed'; msat: bigint }
  | { kind: 'uniform'; minMsat: bigint; maxMsat: bigint }
  /** Exponential with the given mean (CLoTH's default amount model is exponential-like: many small payments). */
  | { kind: 'exponential'; meanMsat: number }
  /** exp(N(ln median, sigma²)): heavy-tailed, as measured payment sizes are. */
  | { kind: 'lognormal'; medianMsat: number; sigma: number };

/** Options of `generateTrace`. */
export interface GenerateTraceOptions {
  /** Nodes that send and receive (at least 2). */
  nodes: readonly string[];
  /** Number of payments. */
  count: number;
  /** Mean arrival rate of the whole network, payments per virtual second (Poisson process). */
  ratePerSec: number;
  amount: AmountDistribution;
  /** Run seed: streams `channels/trace/arrivals`, `…/endpoints`, `…/amounts`. */
  seed: number | string;
  /** Time of the first possible arrival, µs (default 0). */
  startUs?: number;
  /** Relative sending weights per node (same order as `nodes`); default uniform. Receivers are uniform over the other nodes. */
  senderWeights?: readonly number[];
}

/** Draws one amount. */
export function drawAmount(rng: Rng, d: AmountDistribution): bigint {
  switch (d.kind) {
    case 'fixed':
      return d.msat;
    case 'uniform':
      return d.minMsat + BigInt(Math.floor(rng.next() * Number(d.maxMsat - d.minMsat + 1n)));
    case 'exponential':
      return BigInt(Math.max(1, Math.round(rng.exponential(d.meanMsat))));
    case 'lognormal':
      return BigInt(Math.max(1, Math.round(Math.exp(Math.log(d.medianMsat) + d.sigma * rng.normal()))));
  }
}

/** A generated trace: Poisson arrivals from `startUs`, distinct uniform endpoints, amounts from `amount`. */
export function generateTrace(o: GenerateTraceOptions): PaymentRequest[] {
  if (o.nodes.length < 2) throw new RangeError(`generateTrace: need at least 2 nodes, got ${o.nodes.length}`);
  if (!Number.isInteger(o.count) || o.count < 0) throw new RangeError(`generateTrace: count must be an integer ≥ 0, got ${o.count}`);
  if (!(o.ratePerSec > 0 && Number.isFinite(o.ratePerSec))) throw new RangeError(`generateTrace: ratePerSec must be > 0, got ${o.ratePerSec}`);
  if (o.senderWeights && o.senderWeights.length !== o.nodes.length) throw new RangeError(`generateTrace: ${o.senderWeights.length} sender weights for ${o.nodes.length} nodes`);
  const a = o.amount;
  if (a.kind === 'fixed' && a.msat < 1n) throw new RangeError(`generateTrace: fixed amount must be ≥ 1 msat, got ${a.msat}`);
  if (a.kind === 'uniform' && !(a.minMsat >= 1n && a.maxMsat >= a.minMsat)) throw new RangeError(`generateTrace: uniform amounts need 1 ≤ min ≤ max, got [${a.minMsat}, ${a.maxMsat}]`);
  if (a.kind === 'exponential' && !(a.meanMsat > 0)) throw new RangeError(`generateTrace: exponential mean must be > 0 msat, got ${a.meanMsat}`);
  if (a.kind === 'lognormal' && !(a.medianMsat > 0 && a.sigma >= 0)) throw new RangeError(`generateTrace: log-normal needs median > 0 and sigma ≥ 0, got ${a.medianMsat}, ${a.sigma}`);
  const arrivals = Rng.stream(o.seed, 'channels/trace/arrivals');
  const endpoints = Rng.stream(o.seed, 'channels/trace/endpoints');
  const amounts = Rng.stream(o.seed, 'channels/trace/amounts');
  const meanGapUs = 1e6 / o.ratePerSec;
  const n = o.nodes.length;
  const out: PaymentRequest[] = [];
  let t = o.startUs ?? 0;
  for (let i = 0; i < o.count; i++) {
    t += arrivals.exponential(meanGapUs);
    const s = o.senderWeights ? endpoints.weighted(o.senderWeights) : endpoints.int(n);
    const r = (s + 1 + endpoints.int(n - 1)) % n;
    out.push({ atUs: Math.floor(t), sender: o.nodes[s], receiver: o.nodes[r], amountMsat: drawAmount(amounts, a) });
  }
  return out;
}
