/**
 * The TypeScript gas meter against the real thing: every schedule constant against
 * @ethereumjs/common's Prague parameters, the SSTORE rule against @ethereumjs/evm on every
 * EIP-3529-style sequence, intrinsic gas and the EIP-7623 floor against @ethereumjs/tx.
 */
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { createEVM, paramsEVM } from '@ethereumjs/evm';
import { createLegacyTx, paramsTx } from '@ethereumjs/tx';
import { Account, Address as EthAddress } from '@ethereumjs/util';
import { paramsVM } from '@ethereumjs/vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as G from '../../protocols/ringchain/contracts/gas-schedule.ts';
import { wordFromBigint } from '../../protocols/ringchain/contracts/abi.ts';

/** The three packages' parameter tables merged per EIP (each is { [eip]: { name: value } }). */
function mergeParams(...tables: Record<string, Record<string, unknown>>[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const t of tables) for (const [eip, values] of Object.entries(t)) out[eip] = { ...out[eip], ...values };
  return out;
}
const common = new Common({ chain: Mainnet, hardfork: Hardfork.Prague, params: mergeParams(paramsEVM, paramsTx, paramsVM) as never });
const param = (name: string) => Number(common.param(name));

describe('gas schedule: Prague constants', () => {
  it('equal @ethereumjs/common’s Prague parameters', () => {
    expect(common.hardfork()).toBe('prague');
    const pairs: [number, string][] = [
      [G.G_TRANSACTION, 'txGas'],
      [G.G_TXCREATE, 'txCreationGas'],
      [G.G_TXDATAZERO, 'txDataZeroGas'],
      [G.G_TXDATANONZERO, 'txDataNonZeroGas'],
      [G.G_INITCODEWORD, 'initCodeWordGas'],
      [G.TOTAL_COST_FLOOR_PER_TOKEN, 'totalCostFloorPerToken'],
      [G.MAX_REFUND_QUOTIENT, 'maxRefundQuotient'],
      [G.G_COLDSLOAD, 'coldsloadGas'],
      [G.G_WARMACCESS, 'warmstoragereadGas'],
      [G.G_COLDACCOUNTACCESS, 'coldaccountaccessGas'],
      [G.G_SSET, 'sstoreInitEIP2200Gas'],
      [G.G_SRESET, 'sstoreCleanEIP2200Gas'],
      [G.G_WARMACCESS, 'sstoreNoopEIP2200Gas'],
      [G.G_WARMACCESS, 'sstoreDirtyEIP2200Gas'],
      [G.G_SSET - G.G_WARMACCESS, 'sstoreInitRefundEIP2200Gas'],
      // (ethereumjs stores the reset-to-original refund before its EIP-2929 adjustment; the SSTORE
      // test below checks the refunds as the EVM pays them.)
      [G.R_SCLEAR, 'sstoreClearRefundEIP2200Gas'],
      [G.SSTORE_SENTRY, 'sstoreSentryEIP2200Gas'],
      [G.G_LOG, 'logGas'],
      [G.G_LOGTOPIC, 'logTopicGas'],
      [G.G_LOGDATA, 'logDataGas'],
      [G.G_KECCAK256, 'keccak256Gas'],
      [G.G_KECCAK256WORD, 'keccak256WordGas'],
      [G.G_CODEDEPOSIT, 'createDataGas'],
      [G.MAX_CODE_SIZE, 'maxCodeSize'],
    ];
    for (const [ours, name] of pairs) expect(ours, name).toBe(param(name));
  });
});

describe('gas schedule: intrinsic gas and the EIP-7623 floor', () => {
  it('match @ethereumjs/tx for calls and creations', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (data, creation) => {
        const tx = createLegacyTx({ gasLimit: 10_000_000n, gasPrice: 1n, data, ...(creation ? {} : { to: new EthAddress(new Uint8Array(20).fill(0x22)) }) }, { common });
        expect(G.intrinsicGas(data, creation)).toBe(Number(tx.getIntrinsicGas()));
        // Prague's minimum gas limit is max(intrinsic, floor); ethereumjs's getIntrinsicGas omits the floor.
        const tokens = data.reduce((n, b) => n + (b === 0 ? 1 : 4), 0);
        expect(G.floorGas(data)).toBe(param('txGas') + param('totalCostFloorPerToken') * tokens);
      }),
      { numRuns: 200, seed: 7623 },
    );
  });
});

describe('gas schedule: SSTORE against @ethereumjs/evm', () => {
  // Every sequence of up to three writes from {0, 1, 2} to one slot whose original value is 0 or 1,
  // in one call (the cases of the EIP-2200 / EIP-3529 test tables and more): execution gas and
  // the refund counter must equal PUSH costs + Σ sstoreCost.
  const cases: { original: bigint; writes: bigint[] }[] = [];
  for (const original of [0n, 1n]) {
    const seqs: bigint[][] = [[]];
    for (let len = 1; len <= 3; len++) {
      for (const prefix of seqs.filter((s) => s.length === len - 1)) for (const v of [0n, 1n, 2n]) seqs.push([...prefix, v]);
    }
    for (const writes of seqs) if (writes.length > 0) cases.push({ original, writes });
  }

  it(`prices ${cases.length} write sequences exactly as the EVM`, async () => {
    const evm = await createEVM({ common });
    const contract = new EthAddress(new Uint8Array(20).fill(0xcc));
    const caller = new EthAddress(new Uint8Array(20).fill(0xaa));
    for (const { original, writes } of cases) {
      const code: number[] = [];
      for (const v of writes) code.push(0x60, Number(v), 0x60, 0x00, 0x55); // PUSH1 v PUSH1 0 SSTORE
      code.push(0x00); // STOP
      await evm.stateManager.putAccount(contract, new Account(1n));
      await evm.stateManager.putCode(contract, Uint8Array.from(code));
      await evm.stateManager.clearStorage(contract);
      if (original !== 0n) await evm.stateManager.putStorage(contract, wordFromBigint(0n), wordFromBigint(original));
      evm.stateManager.originalStorageCache.clear(); // as runTx does between transactions
      await evm.journal.cleanup();
      const result = await evm.runCall({ to: contract, caller, gasLimit: 1_000_000n, skipBalance: true });
      expect(result.execResult.exceptionError).toBeUndefined();
      let gas = 0;
      let refund = 0;
      let current = original;
      writes.forEach((v, i) => {
        const c = G.sstoreCost(original, current, v, i === 0);
        gas += 6 + c.gas;
        refund += c.refund;
        current = v;
      });
      const label = `original ${original}, writes ${writes.join(',')}`;
      expect(gas, label).toBe(Number(result.execResult.executionGasUsed));
      expect(refund, label).toBe(Number(result.execResult.gasRefund ?? 0n));
    }
  });
});
