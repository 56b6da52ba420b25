/**
 * `dpos-consistency`: seed 003 (Feng Tao et al., 2020), abstract — "consensus with 99 %
 * probability" by consistency analysis: P(elected committee holds ≤ ⌊(k−1)/3⌋ Byzantine
 * delegates) for 100 and 1,000 candidates, Byzantine shares 10–33 %, committees 4, 7, 21, 31, 101.
 *
 * Analytic: hypergeometric (analysis/consistency.ts). Simulated: uniform elections with a 95 %
 * Wilson interval. (protocols/dpos will add elections with tiers and collusion; this figure uses
 * its functions when they land — see docs/analysis.md.)
 */
import { join } from 'node:path';
import { deriveSeed } from '../../sim/rng.ts';
import { writeFileAtomic } from '../../sim/results.ts';
import { writeChart, type ChartRow } from '../charts.ts';
import { committeeSafeProbability, electionMonteCarlo } from '../consistency.ts';
import { toCsv } from '../io.ts';
import { wilson } from '../stats.ts';
import { optionalExport } from './needs.ts';
import type { Figure, FigureResult } from './types.ts';

type DposMc = (N: number, B: number, k: number, trials: number, seed: number | string) => { successes: number; trials: number };
type DposAnalytic = (N: number, B: number, k: number) => number;

export const COLUMNS = ['candidates', 'byzantine', 'committee', 'analytic', 'simulated', 'ciLow', 'ciHigh', 'trials'];
const SHARES = [0.1, 0.2, 0.25, 0.33];
const COMMITTEES = [4, 7, 21, 31, 101];

export const dposConsistencyFigure: Figure = {
  id: 'dpos-consistency',
  title: 'Probability that the elected committee stays within PBFT’s fault bound',
  source: 'seed 003 (Feng Tao et al., 2020), abstract: “consensus with 99 % probability” (consistency analysis)',
  published: 'the abstract’s 99 % claim (no table of values is published)',
  async run(ctx): Promise<FigureResult> {
    // protocols/dpos (issue 5): exact BigInt hypergeometric and elections through the real
    // election code. Without it: analysis/consistency.ts (float hypergeometric, fast sampler).
    const dposAnalytic = (await optionalExport('protocols/dpos', 'consistencyProbability')) as DposAnalytic | undefined;
    const dposMc = (await optionalExport('protocols/dpos', 'uniformElectionMonteCarlo')) as DposMc | undefined;
    const electionsFor = (N: number) => ctx.trials ?? (dposMc ? (ctx.quick ? (N > 100 ? 60 : 300) : N > 100 ? 1_000 : 5_000) : ctx.quick ? 20_000 : 200_000);
    const elections = electionsFor(100);
    const rows: Record<string, unknown>[] = [];
    const chartRows: ChartRow[] = [];
    for (const candidates of [100, 1000]) {
      for (const share of SHARES) {
        const byzantine = Math.round(share * candidates);
        for (const committee of COMMITTEES) {
          if (committee > candidates) continue;
          const analytic = dposAnalytic ? dposAnalytic(candidates, byzantine, committee) : committeeSafeProbability(candidates, byzantine, committee);
          const seed = deriveSeed(ctx.seed, `dpos-consistency/N=${candidates}/B=${byzantine}/k=${committee}`);
          const n = electionsFor(candidates);
          const mc = dposMc ? (({ successes, trials }) => ({ safe: successes, elections: trials }))(dposMc(candidates, byzantine, committee, n, seed)) : electionMonteCarlo({ candidates, byzantine, committee, elections: n, seed });
          const w = wilson(mc.safe, mc.elections);
          rows.push({ candidates, byzantine, committee, analytic, simulated: w.estimate, ciLow: w.low, ciHigh: w.high, trials: mc.elections });
          const panel = `${candidates} candidates`;
          const series = `${Math.round(share * 100)} % Byzantine`;
          chartRows.push({ panel, group: series, series: `${series} (hypergeometric)`, style: 'line', x: committee, y: analytic });
          chartRows.push({ panel, group: series, series: `${series} (simulated, 95 % CI)`, style: 'interval', x: committee, y: w.estimate, low: w.low, high: w.high, n: mc.elections });
        }
      }
    }
    writeFileAtomic(join(ctx.dir, 'dpos-consistency.csv'), toCsv(rows, COLUMNS));
    const chart = await writeChart(ctx.dir, 'dpos-consistency', {
      title: 'Seed 003: P(committee has ≤ ⌊(k−1)/3⌋ Byzantine delegates)',
      subtitle: `lines: hypergeometric (uniform election); dots with 95 % Wilson bands: ${elections.toLocaleString('en-US')} (100 candidates) / ${electionsFor(1000).toLocaleString('en-US')} (1000) ${dposMc ? 'elections through protocols/dpos' : 'sampled elections'} per point`,
      colorBy: 'group',
      groupTitle: 'Byzantine candidates',
      xTitle: 'committee size k (delegates, log scale)',
      yTitle: 'probability the committee is safe',
      xLog: true,
      panelTitle: 'candidate pool',
      width: 300,
      height: 260,
    }, chartRows);
    const meets = rows.filter((r) => (r.analytic as number) >= 0.99).map((r) => `N=${r.candidates} B=${r.byzantine} k=${r.committee}`);
    const comparisons = rows.filter((r) => r.candidates === 1000 && (r.byzantine === 100 || r.byzantine === 330)).map((r) => ({
      label: `N=${r.candidates}, ${Math.round(((r.byzantine as number) / (r.candidates as number)) * 100)} % Byzantine, k=${r.committee}`,
      paper: '≥ 0.99 (claimed)',
      ours: Number((r.analytic as number).toFixed(4)),
      difference: (r.analytic as number) >= 0.99 ? 'meets the claim' : 'below the claim',
    }));
    return {
      rows, columns: COLUMNS, comparisons, charts: [chart],
      notes: [
        dposMc
          ? 'Analytic: protocols/dpos consistencyProbability (exact hypergeometric). Simulated: protocols/dpos uniformElectionMonteCarlo — real ballots, tally and deterministic tie-break, uniform approval voting.'
          : 'Election model: uniform sampling of k delegates without replacement (analysis/consistency.ts); protocols/dpos not available.',
        `Configurations reaching the 99 % claim: ${meets.length ? meets.join('; ') : 'none'}.`,
      ],
    };
  },
};
