/**
 * CLI commands added with the settlement protocol: `medsim calibrate` (CPU cost tables for every
 * protocol that registers a calibration provider) and `medsim bench settlement`. sim/cli.ts calls
 * `registerSettlementCommands(program)` after the other registrations.
 *
 * Conventions as the rest of the CLI: `--json` prints one JSON object on stdout (progress on
 * stderr); exit 0 success, 2 bad usage.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CALIBRATIONS } from '../protocols/calibrations.ts';
import { benchSettlement, benchSettlementStartup, formatSettlementBench, formatSettlementStartup } from '../protocols/settlement/bench.ts';
import { CALIBRATED_TABLE } from '../sim/cost-table.ts';
import { PROJECT_ROOT } from '../sim/results.ts';
import { calibrateToFile, formatCostTable } from './calibrate.ts';
import { SweepUsageError } from './sweep.ts';

function bitsList(flag: string, text: string): number[] {
  const out = text.split(',').map((t) => t.trim());
  for (const b of out) if (!['1024', '2048', '4096'].includes(b)) throw new SweepUsageError(`${flag}: expected a comma-separated list of 1024, 2048, 4096; got "${text}"`);
  return out.map(Number);
}

function count(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new SweepUsageError(`${flag}: expected an integer ≥ 1, got "${text}"`);
  return Number(text);
}

export function registerSettlementCommands(program: Command): void {
  program
    .command('calibrate')
    .description('Measure the CPU cost of real crypto operations (proofs, signatures, MACs) into a cost table scenarios charge from')
    .option('--bits <list>', 'Paillier key sizes, comma-separated', '1024,2048,4096')
    .option('--only <providers>', `only these providers, comma-separated (${CALIBRATIONS.map((c) => c.name).join(', ')})`)
    .option('--quick', 'fewer repetitions (smoke test)')
    .option('--out <file>', `where to write the table (default ${CALIBRATED_TABLE.replace(PROJECT_ROOT + '/', '')}; the committed reference is results/reference/cost-table.json)`)
    .option('--json', 'print the table as one JSON object')
    .action((opts: { bits: string; only?: string; quick?: boolean; out?: string; json?: boolean }) => {
      const only = opts.only?.split(',').map((s) => s.trim());
      for (const o of only ?? []) if (!CALIBRATIONS.some((c) => c.name === o)) throw new SweepUsageError(`--only: unknown provider "${o}" (known: ${CALIBRATIONS.map((c) => c.name).join(', ')})`);
      const file = opts.out ? resolve(opts.out) : CALIBRATED_TABLE;
      const t = calibrateToFile(CALIBRATIONS, { bits: bitsList('--bits', opts.bits), quick: Boolean(opts.quick), only, log: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`) }, file);
      if (opts.json) process.stdout.write(JSON.stringify({ file, ...t }) + '\n');
      else process.stdout.write(`${formatCostTable(t)}\nwritten: ${file}\n`);
    });

  const bench = program.commands.find((c) => c.name() === 'bench') ?? program.command('bench').description('Performance benchmarks');
  bench
    .command('settlement')
    .description('Seed 002 settlement end to end (prove + verify once + order + apply) against the crypto limit 1 / (prove + verify), same run')
    .option('--bits <list>', 'Paillier key sizes, comma-separated', '1024,2048')
    .option('--payments <n>', 'payments per key size (default 40 at 1024 bits, 16 at 2048, 6 at 4096)')
    .option('--repetitions <n>', 'crypto-limit measurements per key size (median)', '5')
    .option('--startup', 'instead: time the start of a scenario with --patients patients at the first --bits size, cold and with a warm key cache (target < 10 s for 500 at 2048)')
    .option('--patients <n>', 'patients of the --startup scenario', '500')
    .option('--json', 'print one JSON object: {"runs":[{"bits","payments","wallMs","paymentsPerWallSec","cryptoLimitPerSec","ratio",…}]} (--startup: {"patients","bits","firstMs","warmMs",…})')
    .action((opts: { bits: string; payments?: string; repetitions: string; json?: boolean; startup?: boolean; patients: string }) => {
      if (opts.startup) {
        const bitsGiven = bench.commands.find((c) => c.name() === 'settlement')!.getOptionValueSource('bits') === 'default' ? [2048] : bitsList('--bits', opts.bits);
        const r = benchSettlementStartup({ bits: bitsGiven[0], patients: count('--patients', opts.patients), log: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`) });
        if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
        else process.stdout.write(formatSettlementStartup(r) + '\n');
        return;
      }
      const r = benchSettlement({
        bits: bitsList('--bits', opts.bits),
        payments: opts.payments !== undefined ? count('--payments', opts.payments) : undefined,
        repetitions: count('--repetitions', opts.repetitions),
        log: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`),
      });
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else process.stdout.write(formatSettlementBench(r) + '\n');
    });
}
