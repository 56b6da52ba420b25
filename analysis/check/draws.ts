/**
 * Per-seed fault draws: turns a suite's fault model into concrete scenario overrides.
 *
 * Every draw uses the seed's own stream (`check/faults`), in suite order, so a seed always
 * produces the same fault mix and a different seed a different one. Draws write into the raw
 * scenario (unit strings, as a person would write them), which is then validated like any file.
 */
import { getPath, setPath } from '../../sim/scenario/index.ts';
import { parseDuration } from '../../sim/units.ts';
import { Rng } from '../../sim/rng.ts';
import type { FaultDraw } from './suite.ts';

/** A duration drawn uniformly from a [min, max] pair of unit strings, as a µs string. */
function drawDuration(rng: Rng, [lo, hi]: [string, string]): number {
  const a = parseDuration(lo);
  const b = parseDuration(hi);
  return Math.round(rng.uniform(a, Math.max(a, b)));
}

const us = (v: number) => `${Math.round(v)}us`;

/** Applies the suite's draws for `seed` to `raw` (mutated) and returns what was drawn, by path. */
export function applyFaultDraws(raw: Record<string, unknown>, draws: readonly FaultDraw[], seed: number): Record<string, unknown> {
  const rng = Rng.stream(seed, 'check/faults');
  const drawn: Record<string, unknown> = {};
  const set = (path: string, value: unknown) => {
    setPath(raw, path, value);
    drawn[path] = value;
  };
  const nodeCount = () => Number(getPath(raw, 'network.nodes'));
  /** A number given literally or as a dot path into the scenario drawn so far. */
  const bound = (b: number | string): number => {
    const v = typeof b === 'number' ? b : Number(getPath(raw, b));
    if (!Number.isFinite(v)) throw new Error(`check draw: "${b}" is not a number in the scenario`);
    return v;
  };
  for (const d of draws) {
    if ('oneOf' in d) set(d.path, rng.pick(d.oneOf));
    else if ('int' in d) set(d.path, rng.intBetween(bound(d.int[0]), bound(d.int[1])));
    else if ('bftFaults' in d) set(d.path, Math.floor((bound(d.bftFaults) - 1) / 3));
    else if ('uniform' in d) set(d.path, rng.uniform(d.uniform[0], d.uniform[1]));
    else if ('duration' in d) set(d.path, us(drawDuration(rng, d.duration)));
    else if ('partitions' in d) {
      const p = d.partitions;
      const count = rng.intBetween(0, p.max);
      const n = nodeCount();
      const list = [];
      for (let i = 0; i < count && n >= 2; i++) {
        const start = drawDuration(rng, p.start);
        const length = Math.max(1, drawDuration(rng, p.length));
        // A random minority group (1 … ⌊n/2⌋ nodes) against the rest.
        const group = rng.sample(n, rng.intBetween(1, Math.max(1, Math.floor(n / 2)))).sort((a, b) => a - b);
        list.push({ start: us(start), end: us(start + length), groups: [group], direction: rng.chance(p.oneWay) ? 'one-way' : 'both' });
      }
      const existing = (getPath(raw, 'network.partitions') as unknown[] | undefined) ?? [];
      set('network.partitions', [...existing, ...list]);
    } else if ('clogs' in d) {
      const c = d.clogs;
      const count = rng.intBetween(0, c.max);
      const n = nodeCount();
      const list = [];
      for (let i = 0; i < count; i++) {
        const start = drawDuration(rng, c.start);
        const length = Math.max(1, drawDuration(rng, c.length));
        list.push({ start: us(start), end: us(start + length), from: [rng.int(n)], delay: us(Math.max(1, drawDuration(rng, c.delay))) });
      }
      const existing = (getPath(raw, 'network.clogs') as unknown[] | undefined) ?? [];
      set('network.clogs', [...existing, ...list]);
    } else if ('crashes' in d) {
      const c = d.crashes;
      const count = rng.intBetween(0, c.max);
      const n = nodeCount();
      const [lo, hi] = c.nodes ?? [0, n - 1];
      const list = [];
      const used = new Set<number>();
      for (let i = 0; i < count; i++) {
        const node = rng.intBetween(lo, Math.min(hi, n - 1));
        if (used.has(node)) continue; // one crash window per node keeps schedules well-formed
        used.add(node);
        const at = drawDuration(rng, c.at);
        list.push({ node, at: us(at), recoverAt: us(at + Math.max(1, drawDuration(rng, c.downtime))) });
      }
      const existing = (getPath(raw, 'faults.crashes') as unknown[] | undefined) ?? [];
      set('faults.crashes', [...existing, ...list]);
    }
  }
  return drawn;
}
