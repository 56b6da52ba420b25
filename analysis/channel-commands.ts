/**
 * CLI commands added with the channel network (issue 13): `medsim bench channels`.
 * sim/cli.ts calls `registerChannelCommands(program)` after the other registrations.
 * Conventions as the rest of the CLI: `--json` prints one JSON object on stdout; exit 2 on bad usage.
 */
import type { Command } from 'commander';
import { benchChannels } from './channel-bench.ts';
import { SweepUsageError } from './sweep.ts';

function count(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new SweepUsageError(`${flag}: expected an integer ≥ 1, got "${text}"`);
  return Number(text);
}

export function registerChannelCommands(program: Command): void {
  const bench = program.commands.find((c) => c.name() === 'bench') ?? program.command('bench').description('Performance benchmarks');
  bench
    .command('channels')
    .description('Payment channels: signed state updates per second on one channel, and a 1,000-node network routing 10,000 payments with every state signed')
    .option('--updates <n>', 'state updates in the single-channel loop', '5000')
    .option('--nodes <n>', 'nodes of the Barabási–Albert network', '1000')
    .option('--payments <n>', 'payments routed over the network', '10000')
    .option('--repetitions <n>', 'single-channel loops (median)', '3')
    .option('--json', 'print one JSON object on stdout')
    .action((opts: { updates: string; nodes: string; payments: string; repetitions: string; json?: boolean }) => {
      const r = benchChannels({
        updates: count('--updates', opts.updates),
        nodes: count('--nodes', opts.nodes),
        payments: count('--payments', opts.payments),
        repetitions: count('--repetitions', opts.repetitions),
      });
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        const s = r.single;
        const n = r.network;
        process.stdout.write(
          `one channel  ${r.updatesPerWallSec.toLocaleString('en-US')} updates/s wall (${s.updatesPerCpuSec.toLocaleString('en-US')} per CPU s; median of ${r.repetitions} × ${s.updates} updates; each update: 2 signatures, 2 verifications, 2 revocations)\n` +
            `             state signature ${r.signUs} µs, verification ${r.verifyUs} µs (medians)\n` +
            `network      ${n.nodes} nodes, ${n.channels} channels: ${n.payments.toLocaleString('en-US')} payments (${n.succeeded.toLocaleString('en-US')} succeeded), ${n.stateUpdates.toLocaleString('en-US')} signed state updates in ${(n.wallMs / 1000).toFixed(1)} s wall (${(n.cpuMs / 1000).toFixed(1)} s CPU) = ${n.paymentsPerWallSec} payments/s\n` +
            `routing      ${r.routing.routes.toLocaleString('en-US')} route searches on ${r.routing.nodes} nodes (${r.routing.found.toLocaleString('en-US')} found): ${r.routing.routesPerWallSec.toLocaleString('en-US')}/s wall, ${r.routing.routesPerCpuSec.toLocaleString('en-US')}/s CPU\n` +
            `rss          ${r.rssMb} MB\n`,
        );
      }
    });
}
