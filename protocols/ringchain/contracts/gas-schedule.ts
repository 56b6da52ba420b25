/**
 * The gas schedule the TypeScript engine meters with: Ethereum's **Prague** (Pectra) fork.
 *
 * Names follow the yellow paper's Appendix G ("Fee Schedule"); each constant cites the EIP that
 * gives it its Prague value. test/ringchain/contracts-gas.test.ts checks every constant against
 * `@ethereumjs/common`'s parameters for the same fork, so a typo here cannot survive.
 *
 * What the engine charges (everything a record contract does that the schedule prices by what it
 * touches): intrinsic gas, storage reads and writes with refunds, account accesses, the 63/64
 * call-gas rule, logs, Keccak-256 of mapping keys, and the code deposit. What it does not charge:
 * the per-opcode base costs of stack arithmetic, jumps, memory expansion and ABI encoding inside the
 * compiled code — the difference `medsim reproduce contract-gas` prints.
 */

// --- Transactions (yellow paper §6.2, eq. 60: the intrinsic gas g_0) -------------------------
/** G_transaction: paid by every transaction. */
export const G_TRANSACTION = 21_000;
/** G_txcreate: added for a contract creation (Homestead, EIP-2). */
export const G_TXCREATE = 32_000;
/** G_txdatazero: per zero byte of data / init code. */
export const G_TXDATAZERO = 4;
/** G_txdatanonzero: per non-zero byte (EIP-2028, Istanbul). */
export const G_TXDATANONZERO = 16;
/** G_initcodeword: per 32-byte word of init code in a creation (EIP-3860, Shanghai). */
export const G_INITCODEWORD = 2;
/** EIP-7623 (Prague): calldata tokens = zero bytes + 4 × non-zero bytes. */
export const STANDARD_TOKEN_COST = 4;
/** EIP-7623 (Prague): floor price per calldata token; a transaction pays at least 21000 + 10 × tokens. */
export const TOTAL_COST_FLOOR_PER_TOKEN = 10;
/** EIP-3529 (London): the refund is at most gasUsed / 5. */
export const MAX_REFUND_QUOTIENT = 5;

// --- State access (EIP-2929, Berlin) ---------------------------------------------------------
/** G_coldsload: first SLOAD of a slot in a transaction. */
export const G_COLDSLOAD = 2_100;
/** G_warmaccess: a later access to a slot or an account already touched. */
export const G_WARMACCESS = 100;
/** G_coldaccountaccess: first access to an account (CALL, EXTCODESIZE, …) in a transaction. */
export const G_COLDACCOUNTACCESS = 2_600;

// --- SSTORE (EIP-2200 net metering, with EIP-2929's cold surcharge and EIP-3529's refunds) ----
/** G_sset: a slot goes from zero (originally) to non-zero. */
export const G_SSET = 20_000;
/** G_sreset: a slot's original non-zero value is changed (5000 − G_coldsload). */
export const G_SRESET = 2_900;
/** R_sclear: refund when a slot's original non-zero value is cleared (EIP-3529: G_sreset + G_accesslistslot). */
export const R_SCLEAR = 4_800;
/** EIP-2200: SSTORE fails (out of gas) unless more than this is left. */
export const SSTORE_SENTRY = 2_300;

// --- Calls, logs, hashing, creation ------------------------------------------------------------
/** EIP-150: a call forwards at most all but one 64th of the gas left. */
export const CALL_GAS_RETAINED_DIVISOR = 64;
/** G_log: per LOG operation. */
export const G_LOG = 375;
/** G_logtopic: per topic. */
export const G_LOGTOPIC = 375;
/** G_logdata: per byte of log data. */
export const G_LOGDATA = 8;
/** G_keccak256: per KECCAK256 operation. */
export const G_KECCAK256 = 30;
/** G_keccak256word: per 32-byte word hashed. */
export const G_KECCAK256WORD = 6;
/** G_codedeposit: per byte of runtime code stored by a creation. */
export const G_CODEDEPOSIT = 200;
/** EIP-170: largest runtime code, in bytes. */
export const MAX_CODE_SIZE = 24_576;

/** Number of 32-byte words covering `bytes` bytes. */
export function words(bytes: number): number {
  return Math.ceil(bytes / 32);
}

/** EIP-7623 calldata tokens of `data`: zero bytes + 4 × non-zero bytes. */
export function calldataTokens(data: Uint8Array): number {
  let zeros = 0;
  for (const b of data) if (b === 0) zeros++;
  return zeros + STANDARD_TOKEN_COST * (data.length - zeros);
}

/**
 * Intrinsic gas g_0 (yellow paper eq. 60, with EIP-2028's data price and EIP-3860's init-code
 * word price): 21000 + data bytes + (creation: 32000 + 2 per init-code word). No access lists.
 */
export function intrinsicGas(data: Uint8Array, isCreation: boolean): number {
  let zeros = 0;
  for (const b of data) if (b === 0) zeros++;
  let gas = G_TRANSACTION + G_TXDATAZERO * zeros + G_TXDATANONZERO * (data.length - zeros);
  if (isCreation) gas += G_TXCREATE + G_INITCODEWORD * words(data.length);
  return gas;
}

/** EIP-7623 floor: the least gas a transaction with this data is charged (and must be allowed). */
export function floorGas(data: Uint8Array): number {
  return G_TRANSACTION + TOTAL_COST_FLOOR_PER_TOKEN * calldataTokens(data);
}

/** KECCAK256 of `bytes` bytes. */
export function keccakGas(bytes: number): number {
  return G_KECCAK256 + G_KECCAK256WORD * words(bytes);
}

/** LOGn with `topics` topics and `dataBytes` bytes of data (memory expansion not included). */
export function logGas(topics: number, dataBytes: number): number {
  return G_LOG + G_LOGTOPIC * topics + G_LOGDATA * dataBytes;
}

/**
 * SSTORE cost and refund change (EIP-2200 as amended by EIP-2929 and EIP-3529), given the slot's
 * value at the start of the transaction (`original`), now (`current`) and the new value, and
 * whether the slot was cold. Refunds may be negative (an earlier refund taken back).
 */
export function sstoreCost(original: bigint, current: bigint, next: bigint, cold: boolean): { gas: number; refund: number } {
  const coldCost = cold ? G_COLDSLOAD : 0;
  if (current === next) return { gas: coldCost + G_WARMACCESS, refund: 0 };
  if (original === current) {
    // Clean slot: first change in this transaction.
    if (original === 0n) return { gas: coldCost + G_SSET, refund: 0 };
    return { gas: coldCost + G_SRESET, refund: next === 0n ? R_SCLEAR : 0 };
  }
  // Dirty slot: already changed in this transaction.
  let refund = 0;
  if (original !== 0n) {
    if (current === 0n) refund -= R_SCLEAR; // the clearing refund given earlier is taken back
    else if (next === 0n) refund += R_SCLEAR;
  }
  if (original === next) {
    // Reset to the original value: refund the difference to a warm read.
    refund += original === 0n ? G_SSET - G_WARMACCESS : G_SRESET - G_WARMACCESS;
  }
  return { gas: coldCost + G_WARMACCESS, refund };
}
