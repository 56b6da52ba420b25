/**
 * `ring-anonymity`: seed 001 (Wang et al. 2019) §4.1 claims an observer names the signer of a
 * ring signature with probability ≤ 1/n. This figure measures what an observer who sees every
 * confirmed block achieves with the Monero traceability heuristics (protocols/ringchain/
 * anonymity.ts: none, guess-newest, chain reaction, colluding ring members, combined), per decoy
 * policy (protocols/ringchain/decoys.ts: uniform, gamma) and ring size n ∈ {1, 2, 4, 8, 11, 16}.
 *
 * Data source: `ringHistory(request, source)` — the one switch. `historySource()` picks the
 * ringchain protocol's confirmed ring transactions (analysis/ring-chain-history.ts: runs
 * scenarios/ringchain.yaml per point) when protocols/ringchain and its `ringTransactionsOf` are in
 * the tree, and otherwise the documented spend model of analysis/ring-spend-model.ts, whose rings
 * come from the same `selectRing` the chain calls. The subtitle and notes name the source. The
 * side tables (zero-decoy share, key reuse) vary what the chain does not, so they always use the
 * spend model.
 *
 * Rows (`--json`, ring-anonymity.csv) — one per (policy, heuristic, ring size):
 *   policy        decoy-selection policy of every wallet ("uniform" | "gamma");
 *   heuristic     the observer's rule ("none" = no side information);
 *   ringSize      n, members per ring (the rows score only rings of size n; a share of
 *                 zero-decoy rings made by other wallets is in the history as side information);
 *   trials        rings scored (over all histories; colluders' own rings excluded for collusion
 *                 and combined);
 *   guessRate     share of scored rings whose real signer the observer's one guess named;
 *   ciLow/ciHigh  Wilson 95 % interval of guessRate (conditional on the histories);
 *   deanonymized  share of scored rings the observer is certain about (one candidate left).
 *
 * Charts: ring-anonymity-chart (guess rate with its interval vs n, the 1/n closed form as a line)
 * and ring-deanonymized-chart (fully de-anonymised share vs n), one panel per policy; extra
 * tables ring-anonymity-zero-decoy.csv (chain reaction vs zero-decoy share) and
 * ring-anonymity-key-reuse.csv (one key signing several transactions under one key image).
 */
import { join } from 'node:path';
import { HEURISTICS, scoreAll, type HeuristicName, type HeuristicScore, type RingTx } from '../../protocols/ringchain/anonymity.ts';
import { DECOY_POLICIES, type DecoyPolicyName } from '../../protocols/ringchain/decoys.ts';
import { writeFileAtomic } from '../../sim/results.ts';
import { Rng } from '../../sim/rng.ts';
import { writeChart, type ChartRow } from '../charts.ts';
import { toCsv } from '../io.ts';
import { chainAvailable, chainRingHistory } from '../ring-chain-history.ts';
import { spendModelHistory, type SpendModelParams } from '../ring-spend-model.ts';
import { wilson } from '../stats.ts';
import type { Comparison, Figure, FigureContext, FigureResult } from './types.ts';

export const COLUMNS = ['policy', 'heuristic', 'ringSize', 'trials', 'guessRate', 'ciLow', 'ciHigh', 'deanonymized'];
export const RING_SIZES = [1, 2, 4, 8, 11, 16] as const;

export interface RingAnonymityRow {
  policy: DecoyPolicyName;
  heuristic: HeuristicName;
  ringSize: number;
  trials: number;
  guessRate: number;
  ciLow: number;
  ciHigh: number;
  deanonymized: number;
}

/** The spend model's fixed parameters (see analysis/ring-spend-model.ts and docs/ring-anonymity.md). */
export const SPEND_MODEL = {
  /** New one-time keys per block. */
  keysPerBlock: 20,
  /** Seconds per block: the median real spend age (≈ 129,000 s) is ≈ 21 blocks, so real inputs are recent relative to a 150–300-block chain. */
  blockIntervalSeconds: 6_000,
  /** Share of rings made by zero-decoy wallets (side information for the chain reaction). */
  zeroDecoyShare: 0.2,
  /** One-time keys. */
  spendsPerKey: 1,
} as const;

/** Share of key owners colluding with the observer (collusion, combined). */
export const COLLUDING_SHARE = 0.2;

/** Where the rings come from. */
export type HistorySource = 'ringchain' | 'spend-model';

/** The chain is in the tree but confirmed no ring signed with a policy (its wallet cannot use it yet). */
export class ChainPolicyUnsupported extends Error {
  constructor(readonly policy: DecoyPolicyName) {
    super(`the chain confirmed no ring transaction signed with ${policy} decoys (its wallet does not support that policy yet)`);
  }
}

/** The chain when it is in the tree, else the spend model. */
export async function historySource(): Promise<HistorySource> {
  return (await chainAvailable()) ? 'ringchain' : 'spend-model';
}

/** One history request: a policy, ring size and seed, plus each source's size and the spend model's overrides. */
export interface HistoryRequest {
  policy: DecoyPolicyName;
  ringSize: number;
  seed: string;
  /** Spend model: blocks in the history. */
  blocks: number;
  /** Chain: virtual duration of the run ("10m") and nodes. */
  chainDuration?: string;
  chainNodes?: number;
  zeroDecoyShare?: number;
  spendsPerKey?: number;
}

/** Chain runs per point: quick / full (virtual duration, nodes). */
export const CHAIN_RUN = { quick: { duration: '3m', nodes: 3 }, full: { duration: '20m', nodes: 10 } } as const;
/** Ring sizes of a quick run on the chain: each chain run costs ≈ 1–2 s of CPU (genesis, contracts, signatures), so --quick stays ≲ 15 s with two. */
export const QUICK_CHAIN_RING_SIZES = [2, 11] as const;

/** The figure's data source: one history from `source` (default: the spend model). */
export async function ringHistory(request: HistoryRequest, source: HistorySource = 'spend-model'): Promise<{ txs: RingTx[]; source: HistorySource }> {
  if (source === 'ringchain') {
    const txs = await chainRingHistory({ policy: request.policy, ringSize: request.ringSize, seed: request.seed, duration: request.chainDuration ?? CHAIN_RUN.full.duration, nodes: request.chainNodes ?? CHAIN_RUN.full.nodes });
    if (!txs) throw new Error('ring-anonymity: the ringchain protocol is not available in this tree');
    return { txs, source };
  }
  const params: SpendModelParams = {
    blocks: request.blocks,
    keysPerBlock: SPEND_MODEL.keysPerBlock,
    blockIntervalSeconds: SPEND_MODEL.blockIntervalSeconds,
    ringSize: request.ringSize,
    zeroDecoyShare: request.zeroDecoyShare ?? SPEND_MODEL.zeroDecoyShare,
    spendsPerKey: request.spendsPerKey ?? SPEND_MODEL.spendsPerKey,
    policy: request.policy,
    seed: request.seed,
  };
  return { txs: spendModelHistory(params), source: 'spend-model' };
}

/** Colluders: each key that appears in the history colludes with probability `share` (seeded). */
export function pickColluders(txs: readonly RingTx[], share: number, rng: Rng): Set<string> {
  const keys = new Set<string>();
  for (const tx of txs) for (const m of tx.members) keys.add(m.publicKeyHex);
  const out = new Set<string>();
  for (const k of [...keys].sort()) if (rng.chance(share)) out.add(k);
  return out;
}

/** Scores of every heuristic on `histories`, scoring only rings of `ringSize`, pooled. */
function pooledScores(histories: { txs: RingTx[]; seed: string }[], ringSize: number): Map<HeuristicName, { successes: number; trials: number; certain: number }> {
  const pooled = new Map<HeuristicName, { successes: number; trials: number; certain: number }>(HEURISTICS.map((h) => [h, { successes: 0, trials: 0, certain: 0 }]));
  for (const { txs, seed } of histories) {
    const colluding = pickColluders(txs, COLLUDING_SHARE, Rng.stream(seed, 'colluders'));
    const scores: HeuristicScore[] = scoreAll(txs, (h) => Rng.stream(seed, `guess/${h}`), { colluding, scored: (tx) => tx.members.length === ringSize });
    for (const s of scores) {
      const p = pooled.get(s.heuristic)!;
      p.successes += s.successes;
      p.trials += s.trials;
      p.certain += s.deanonymizedCount;
    }
  }
  return pooled;
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

export async function ringAnonymityRows(
  ctx: Pick<FigureContext, 'quick' | 'trials' | 'seed' | 'log'>,
  source: HistorySource,
): Promise<{ rows: RingAnonymityRow[]; source: HistorySource; histories: number; blocks: number }> {
  const chain = source === 'ringchain';
  const histories = ctx.trials !== undefined ? Math.max(1, Math.min(ctx.trials, 100)) : ctx.quick ? 1 : chain ? 3 : 8;
  const blocks = ctx.quick ? 150 : 300;
  const run = ctx.quick ? CHAIN_RUN.quick : CHAIN_RUN.full;
  const rows: RingAnonymityRow[] = [];
  const sizes: readonly number[] = chain && ctx.quick ? QUICK_CHAIN_RING_SIZES : RING_SIZES;
  // The spend schedule depends on (ring size, i) only: both policies see the same spends.
  const seedOf = (ringSize: number, i: number) => `${ctx.seed}/ring-anonymity/n${ringSize}/h${i}`;
  const cache = new Map<string, RingTx[]>();
  const history = async (policy: DecoyPolicyName, ringSize: number, i: number): Promise<RingTx[]> => {
    const key = `${policy}/${ringSize}/${i}`;
    if (!cache.has(key)) {
      const h = await ringHistory({ policy, ringSize, seed: seedOf(ringSize, i), blocks, chainDuration: run.duration, chainNodes: run.nodes }, source);
      if (chain && h.txs.length === 0) throw new ChainPolicyUnsupported(policy);
      cache.set(key, h.txs);
    }
    const txs = cache.get(key)!;
    cache.delete(key);
    return txs;
  };
  // On the chain, every policy's first history before anything else: a policy the chain cannot sign with fails fast.
  if (chain) for (const policy of DECOY_POLICIES) cache.set(`${policy}/${sizes[0]}/0`, await history(policy, sizes[0], 0));
  for (const policy of DECOY_POLICIES) {
    for (const ringSize of sizes) {
      const hs: { txs: RingTx[]; seed: string }[] = [];
      for (let i = 0; i < histories; i++) hs.push({ txs: await history(policy, ringSize, i), seed: `${seedOf(ringSize, i)}/${policy}` });
      const pooled = pooledScores(hs, ringSize);
      for (const heuristic of HEURISTICS) {
        const p = pooled.get(heuristic)!;
        if (p.trials === 0) throw new Error(`ring-anonymity: no ring of size ${ringSize} to score (${policy}, ${heuristic}, ${source})`);
        const w = wilson(p.successes, p.trials);
        rows.push({ policy, heuristic, ringSize, trials: p.trials, guessRate: round(w.estimate), ciLow: round(w.low), ciHigh: round(w.high), deanonymized: round(p.certain / p.trials) });
      }
      ctx.log(`ring-anonymity: ${source} ${policy} n=${ringSize} done (${pooled.get('none')!.trials} rings)`);
    }
  }
  return { rows, source, histories, blocks };
}

/** Chain reaction vs the zero-decoy share (uniform decoys), and key reuse vs certainty: the side tables. */
async function sideTables(ctx: Pick<FigureContext, 'quick' | 'seed'>, blocks: number) {
  const zeroShares = ctx.quick ? [0, 0.65] : [0, 0.1, 0.2, 0.4, 0.65, 0.8];
  const zeroRows: Record<string, unknown>[] = [];
  for (const ringSize of ctx.quick ? [2, 11] : [2, 4, 11]) {
    for (const zeroDecoyShare of zeroShares) {
      const seed = `${ctx.seed}/ring-anonymity/zero/${ringSize}/${zeroDecoyShare}`;
      const { txs } = await ringHistory({ policy: 'uniform', ringSize, seed, blocks, zeroDecoyShare }, 'spend-model');
      const pooled = pooledScores([{ txs, seed }], ringSize).get('chain-reaction')!;
      const w = wilson(pooled.successes, pooled.trials);
      zeroRows.push({ ringSize, zeroDecoyShare, trials: pooled.trials, guessRate: round(w.estimate), ciLow: round(w.low), ciHigh: round(w.high), deanonymized: round(pooled.certain / pooled.trials) });
    }
  }
  const reuseRows: Record<string, unknown>[] = [];
  for (const policy of DECOY_POLICIES) {
    for (const spendsPerKey of ctx.quick ? [1, 3] : [1, 2, 3, 5]) {
      const seed = `${ctx.seed}/ring-anonymity/reuse/${spendsPerKey}`;
      const { txs } = await ringHistory({ policy, ringSize: 11, seed, blocks, zeroDecoyShare: 0, spendsPerKey }, 'spend-model');
      const pooled = pooledScores([{ txs, seed: `${seed}/${policy}` }], 11).get('chain-reaction')!;
      const w = wilson(pooled.successes, pooled.trials);
      reuseRows.push({ policy, ringSize: 11, spendsPerKey, trials: pooled.trials, guessRate: round(w.estimate), ciLow: round(w.low), ciHigh: round(w.high), deanonymized: round(pooled.certain / pooled.trials) });
    }
  }
  return { zeroRows, reuseRows };
}

const HEURISTIC_LABEL: Record<HeuristicName, string> = {
  none: 'none (uniform guess)',
  'guess-newest': 'guess-newest',
  'chain-reaction': 'chain reaction',
  collusion: `collusion (${COLLUDING_SHARE * 100} % of key owners)`,
  combined: 'combined (collusion, chain reaction, newest)',
};

export const ringAnonymityFigure: Figure = {
  id: 'ring-anonymity',
  title: 'Ring-signature anonymity measured: guess rate and de-anonymised share vs ring size, per decoy policy and observer heuristic',
  source: 'seed 001 (Wang et al. 2019) §4.1 (signer hidden with probability ≤ 1/n); heuristics of Kumar et al. 2017 and Möser et al. 2018',
  published: 'seed 001 §4.1: an observer guesses the signer with probability ≤ 1/n (a claim, no measurement)',
  async run(ctx): Promise<FigureResult> {
    // The chain when it is in the tree and signs with both policies; otherwise, say so, and use the spend model throughout.
    let chainProblem: string | undefined;
    let measured: Awaited<ReturnType<typeof ringAnonymityRows>>;
    try {
      measured = await ringAnonymityRows(ctx, await historySource());
    } catch (err) {
      if (!(err instanceof ChainPolicyUnsupported)) throw err;
      chainProblem = err.message;
      ctx.log(`ring-anonymity: ${chainProblem}; using the spend model`);
      measured = await ringAnonymityRows(ctx, 'spend-model');
    }
    const { rows, source, histories, blocks } = measured;
    writeFileAtomic(join(ctx.dir, 'ring-anonymity.csv'), toCsv(rows as unknown as Record<string, unknown>[], COLUMNS));
    // With the chain as the source, the spend model's rows (docs/ring-anonymity.md) in full runs too.
    const spendRows = source === 'ringchain' && !ctx.quick ? (await ringAnonymityRows(ctx, 'spend-model')).rows : undefined;
    if (spendRows) writeFileAtomic(join(ctx.dir, 'ring-anonymity-spend-model.csv'), toCsv(spendRows as unknown as Record<string, unknown>[], COLUMNS));
    const { zeroRows, reuseRows } = await sideTables(ctx, blocks);
    writeFileAtomic(join(ctx.dir, 'ring-anonymity-zero-decoy.csv'), toCsv(zeroRows, ['ringSize', 'zeroDecoyShare', 'trials', 'guessRate', 'ciLow', 'ciHigh', 'deanonymized']));
    writeFileAtomic(join(ctx.dir, 'ring-anonymity-key-reuse.csv'), toCsv(reuseRows, ['policy', 'ringSize', 'spendsPerKey', 'trials', 'guessRate', 'ciLow', 'ciHigh', 'deanonymized']));

    const sourceLines =
      source === 'ringchain'
        ? [`rings confirmed by the ringchain protocol (scenarios/ringchain.yaml, ${(ctx.quick ? CHAIN_RUN.quick : CHAIN_RUN.full).duration} of virtual time, ${(ctx.quick ? CHAIN_RUN.quick : CHAIN_RUN.full).nodes} nodes, per history)`]
        : [
            'NOT chain output: rings from the spend model (analysis/ring-spend-model.ts) calling the chain’s selectRing:',
            `${blocks} blocks × ${SPEND_MODEL.keysPerBlock} one-time keys, ${SPEND_MODEL.blockIntervalSeconds} s blocks, real spend ages from Monero’s fit, ${SPEND_MODEL.zeroDecoyShare * 100} % zero-decoy rings`,
            ...(chainProblem ? [`(the ringchain protocol is present, but ${chainProblem})`] : []),
          ];
    const guessRows: ChartRow[] = [];
    const certainRows: ChartRow[] = [];
    for (const r of rows) {
      const panel = `${r.policy} decoys`;
      const series = HEURISTIC_LABEL[r.heuristic];
      guessRows.push({ panel, series, style: 'interval', x: r.ringSize, y: r.guessRate, low: r.ciLow, high: r.ciHigh, n: r.trials });
      guessRows.push({ panel, series, style: 'line', x: r.ringSize, y: r.guessRate });
      certainRows.push({ panel, series, style: 'line', x: r.ringSize, y: r.deanonymized, n: r.trials });
    }
    for (const policy of DECOY_POLICIES) for (const n of new Set(rows.map((r) => r.ringSize))) guessRows.push({ panel: `${policy} decoys`, series: 'closed form: 1/n (seed 001 §4.1 bound)', style: 'line', x: n, y: 1 / n });
    const lines = (...xs: string[]) => xs as unknown as string; // Vega-Lite takes string[] subtitles
    const common = { xTitle: 'ring size n (members, log scale)', xLog: true, xValues: [...RING_SIZES], panelTitle: 'policy', width: 300, height: 240 };
    const charts = [
      await writeChart(ctx.dir, 'ring-anonymity-chart', {
        ...common,
        title: 'Observer’s guess of the real signer vs ring size',
        subtitle: lines(...sourceLines, `${histories} histor${histories > 1 ? 'ies' : 'y'} per point; points: measured rate with Wilson 95 % band; line 1/n: closed form`),
        yTitle: 'guess success rate (probability)',
      }, guessRows),
      await writeChart(ctx.dir, 'ring-deanonymized-chart', {
        ...common,
        title: 'Rings fully de-anonymised (observer certain) vs ring size',
        subtitle: lines(...sourceLines),
        yTitle: 'fully de-anonymised (share of rings)',
      }, certainRows),
    ];

    const at = (policy: DecoyPolicyName, heuristic: HeuristicName, n: number) => rows.find((r) => r.policy === policy && r.heuristic === heuristic && r.ringSize === n)!;
    const fmt = (r: RingAnonymityRow) => `${r.guessRate} [${r.ciLow}, ${r.ciHigh}], ${r.trials.toLocaleString('en-US')} rings`;
    const comparisons: Comparison[] = (
      [
        ['uniform', 'none'],
        ['uniform', 'guess-newest'],
        ['gamma', 'guess-newest'],
        ['gamma', 'combined'],
      ] as [DecoyPolicyName, HeuristicName][]
    ).map(([policy, heuristic]) => {
      const r = at(policy, heuristic, 11);
      return { label: `guess rate, n = 11, ${policy} decoys, observer: ${heuristic}`, paper: '≤ 1/11 = 0.0909', ours: fmt(r), oursValue: r.guessRate, difference: `×${(r.guessRate * 11).toFixed(2)} of 1/n` };
    });
    const z65 = zeroRows.filter((r) => r.zeroDecoyShare === 0.65);
    const notes = [
      source === 'ringchain'
        ? `Rings are the ringchain protocol's confirmed ring transactions: scenarios/ringchain.yaml (patients sign many calls with one identity key, so their rings share a key image) with the row's ring size and decoy policy, ${(ctx.quick ? CHAIN_RUN.quick : CHAIN_RUN.full).duration} of virtual time on ${(ctx.quick ? CHAIN_RUN.quick : CHAIN_RUN.full).nodes} nodes per history; the side tables use the spend model${spendRows ? ', and ring-anonymity-spend-model.csv has the spend model\'s rows' : ''}.`
        : `The rings are NOT chain output: ${chainProblem ? `the ringchain protocol is in this tree, but ${chainProblem}` : 'the ringchain protocol (protocols/ringchain with ringTransactionsOf, scenarios/ringchain.yaml) is not in this tree'}, so the histories come from the spend model in analysis/ring-spend-model.ts, whose rings are chosen by the same selectRing the chain calls; key images there are labels (one per key), not curve points.`,
      `Observer: sees every ring and the height each member key appeared at. Guess rate = share of scored rings whose one uniform guess among the heuristic's candidates named the signer; deanonymized = share left with one candidate (certain, never wrong). Colluders: each key owner with probability ${COLLUDING_SHARE}; their own rings are not scored.`,
      source === 'spend-model'
        ? `Uniform decoys, n = 11: none ${at('uniform', 'none', 11).guessRate}, guess-newest ${at('uniform', 'guess-newest', 11).guessRate} (real inputs are recent, uniform decoys are not — Möser et al.'s finding). Gamma decoys, n = 11: guess-newest ${at('gamma', 'guess-newest', 11).guessRate}, close to 1/11 = 0.0909 because the decoys' ages follow the real spends' law.`
        : `Chain, n = 11: none ${at('uniform', 'none', 11).guessRate} (uniform) / ${at('gamma', 'none', 11).guessRate} (gamma); guess-newest ${at('uniform', 'guess-newest', 11).guessRate} / ${at('gamma', 'guess-newest', 11).guessRate}; chain reaction ${at('uniform', 'chain-reaction', 11).guessRate} / ${at('gamma', 'chain-reaction', 11).guessRate}, fully de-anonymised ${at('uniform', 'chain-reaction', 11).deanonymized} / ${at('gamma', 'chain-reaction', 11).deanonymized} (rings sharing a key image intersect).`,
      `${source === 'spend-model' ? `Chain reaction with ${SPEND_MODEL.zeroDecoyShare * 100} % zero-decoy rings in the history: de-anonymises ${at('uniform', 'chain-reaction', 2).deanonymized} of n = 2 rings (uniform) and ${at('uniform', 'chain-reaction', 11).deanonymized} of n = 11 rings. ` : 'Spend model (side table): '}At a 65 % zero-decoy share (Monero before 2016): ${z65.map((r) => `n = ${r.ringSize}: ${r.deanonymized}`).join(', ')} (ring-anonymity-zero-decoy.csv).`,
      `Key reuse (one key signing several transactions under its key image, as the chain's pseudonym model allows): rings with one key image intersect — n = 11, uniform decoys, chain reaction de-anonymises ${reuseRows.filter((r) => r.policy === 'uniform').map((r) => `${r.deanonymized} at ${r.spendsPerKey} spend${r.spendsPerKey === 1 ? '' : 's'}/key`).join(', ')} (ring-anonymity-key-reuse.csv).`,
      `Ring size 1: every observer is certain (no decoys). ${source === 'ringchain' ? `${histories} chain run${histories > 1 ? 's' : ''} per point${ctx.quick ? `; quick mode runs the chain at n = ${QUICK_CHAIN_RING_SIZES.join(' and ')} only` : ''}.` : ctx.quick ? 'Quick mode: one 150-block history per point.' : `${histories} histories of ${blocks} blocks per point.`}`,
    ];
    return { rows: rows as unknown as Record<string, unknown>[], columns: COLUMNS, comparisons, charts, notes };
  },
};
