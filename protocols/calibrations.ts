/**
 * Every protocol's CPU-cost calibration provider, for `medsim calibrate` (analysis/calibrate.ts).
 * Adding entries for a protocol (ring signatures, channel-state signatures, …): export a
 * `CalibrationProvider` (sim/cost-table.ts) from the protocol's folder — its entries named
 * `<protocol or primitive>.<operation>[.<size>]` — and add it here; the protocol then reads its
 * entries from the scenario's cost table with `costOf`. docs/settlement.md "CPU costs" explains.
 */
import type { CalibrationProvider } from '../sim/cost-table.ts';
import { settlementCalibration } from './settlement/costs.ts';

export const CALIBRATIONS: readonly CalibrationProvider[] = [settlementCalibration];
