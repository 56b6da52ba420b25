/**
 * Honest-network metrics of a PoW run (issue 3, Analysis): stale-block rate, block propagation
 * delay to 50 % and 90 % of nodes (median and 90th percentile over blocks), confirmed tx/s,
 * confirmation latency, record-share latency (share-tx broadcast → the grantee's successful
 * fetch through the record store, measured by the workload), and the revenue share of each
 * adversarial miner.
 *
 * The reference chain is the best tip among honest nodes at the end of the run. Deterministic:
 * virtual times only.
 */
import type { NodeId } from '../../sim/types.ts';
import type { PowEntry } from './chain.ts';
import type { PowNode, PowWorld } from './world.ts';

/** Median and 90th percentile of a list (nearest-rank), or null when empty. */
export function medianP90(values: number[]): { median: number; p90: number } | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { median: at(0.5), p90: at(0.9) };
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (0 for a single value). */
function sdOf(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export interface PowMetrics {
  /** Height of the best honest tip. */
  height: number;
  /** Blocks mined by honest miners, and how many of them are not on the best honest chain. */
  blocksMined: number;
  staleBlocks: number;
  staleRate: number;
  /** Propagation to 50 % / 90 % of nodes over honest main-chain blocks, milliseconds. */
  propagation50Ms: { median: number; p90: number } | null;
  propagation90Ms: { median: number; p90: number } | null;
  /**
   * Mean and sample standard deviation over the same blocks of the time to reach 50 % / 90 % of
   * nodes, milliseconds, and how many blocks reached 50 % / 90 % (null when none reached 50 %).
   */
  propagationMeanMs: { t50: number; t50Sd: number; t90: number | null; t90Sd: number | null; blocks50: number; blocks90: number } | null;
  /** Non-coinbase txs on the best honest chain, and per second of virtual time. */
  confirmedTxs: number;
  confirmedTxPerSec: number;
  /** Submission → first block holding the tx (on the best chain), seconds. */
  confirmationLatencyS: { median: number; p90: number } | null;
  /** Same, for access grants only. */
  shareConfirmationLatencyS: { median: number; p90: number } | null;
  /** Record-share latency: share-tx broadcast → the grantee's first successful fetch and decryption through the store, seconds. */
  shareLatencyS: { median: number; p90: number } | null;
  /** Fraction of best-chain blocks (above genesis) mined by each adversarial node. */
  minerShare: Record<number, number>;
}

export function bestHonestTip(nodes: PowNode[], honest: readonly NodeId[]): PowEntry {
  let best = nodes[honest[0]].tip;
  for (const id of honest) if (nodes[id].tip.cumWork > best.cumWork) best = nodes[id].tip;
  return best;
}

export function powMetrics(world: PowWorld, nodes: PowNode[], honest: readonly NodeId[], simTimeUs: number, shareLatenciesS: readonly number[] = []): PowMetrics {
  const tip = bestHonestTip(nodes, honest);
  const honestSet = new Set(honest);
  const t50: number[] = [];
  const t90: number[] = [];
  const conf: number[] = [];
  const share: number[] = [];
  let txs = 0;
  const byMiner = new Map<number, number>();
  for (let e: PowEntry = tip; e.parent; e = e.parent) {
    const miner = world.minedBy.get(e.hash) ?? -1;
    byMiner.set(miner, (byMiner.get(miner) ?? 0) + 1);
    if (honestSet.has(miner)) {
      if (e.t50Us >= 0) t50.push(e.t50Us / 1000);
      if (e.t90Us >= 0) t90.push(e.t90Us / 1000);
    }
    for (const tx of e.block.txs) {
      if (tx.kind === 'coinbase' || tx.kind === 'filler') continue;
      txs++;
      const sub = world.submissions.get(tx.txid);
      if (sub && sub.submittedUs >= 0) {
        const lat = (e.firstSeenUs - sub.submittedUs) / 1e6;
        conf.push(lat);
        if (sub.kind === 'share') share.push(lat);
      }
    }
  }
  // Stale rate over honest miners' blocks (an attacker's withheld blocks are not "stale").
  let mined = 0;
  for (const m of world.minedBy.values()) if (honestSet.has(m)) mined++;
  let onChain = 0;
  for (const [m, c] of byMiner) if (honestSet.has(m)) onChain += c;
  const stale = mined - onChain;
  const minerShare: Record<number, number> = {};
  for (const [m, c] of byMiner) if (!honestSet.has(m) && m >= 0) minerShare[m] = c / Math.max(1, tip.height);
  return {
    height: tip.height,
    blocksMined: mined,
    staleBlocks: Math.max(0, stale),
    staleRate: mined > 0 ? Math.max(0, stale) / mined : 0,
    propagation50Ms: medianP90(t50),
    propagation90Ms: medianP90(t90),
    propagationMeanMs: t50.length ? { t50: meanOf(t50), t50Sd: sdOf(t50), t90: t90.length ? meanOf(t90) : null, t90Sd: t90.length ? sdOf(t90) : null, blocks50: t50.length, blocks90: t90.length } : null,
    confirmedTxs: txs,
    confirmedTxPerSec: simTimeUs > 0 ? txs / (simTimeUs / 1e6) : 0,
    confirmationLatencyS: medianP90(conf),
    shareConfirmationLatencyS: medianP90(share),
    shareLatencyS: medianP90([...shareLatenciesS]),
    minerShare,
  };
}
