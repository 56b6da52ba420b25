/**
 * The figures `medsim reproduce` knows. Adding a figure: write analysis/reproduce/<id>.ts
 * exporting a `Figure` (id, title, source, published, needs, run) and add it here.
 */
import { channelRoutingFigure } from './channel-routing.ts';
import { channelTpsFigure } from './channel-tps.ts';
import { contractGasFigure } from './contract-gas.ts';
import { doubleSpendFigure } from './double-spend.ts';
import { dposConsistencyFigure } from './dpos-consistency.ts';
import { paillierTableFigure } from './paillier-table.ts';
import { pbftThroughputFigure } from './pbft-throughput.ts';
import { powPropagationFigure } from './pow-propagation.ts';
import { ringAnonymityFigure } from './ring-anonymity.ts';
import { selfishMiningFigure } from './selfish-mining.ts';
import { settlementThroughputFigure } from './settlement-throughput.ts';
import { simblockPropagationFigure } from './simblock-propagation.ts';
import type { Figure } from './types.ts';

export const FIGURES: readonly Figure[] = [channelRoutingFigure, channelTpsFigure, contractGasFigure, doubleSpendFigure, dposConsistencyFigure, paillierTableFigure, pbftThroughputFigure, powPropagationFigure, ringAnonymityFigure, selfishMiningFigure, settlementThroughputFigure, simblockPropagationFigure];
