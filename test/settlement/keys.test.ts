import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearKeyCacheMemory } from '../../protocols/crypto/keycache.ts';
import { decrypt } from '../../protocols/crypto/paillier.ts';
import { SettlementKeys } from '../../protocols/settlement/keys.ts';

describe('settlement keys through the shared key cache (protocols/crypto/keycache.ts)', () => {
  it('a cold derivation, a warm disk load and a tampered file give the same key and genesis balance', () => {
    const dir = mkdtempSync(join(tmpdir(), 'settle-keys-'));
    clearKeyCacheMemory();
    const cold = new SettlementKeys('keys-test', { dir });
    const kp = cold.paillier('patient/0', 1024);
    const g = cold.genesisBalance('patient/0', 1024, 777n);
    expect(cold.sources).toMatchObject({ generated: 1, memory: 1 });
    expect(decrypt(kp.privateKey, g)).toBe(777n);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^settlement-account_v1-1024-/);
    expect(readFileSync(join(dir, files[0]), 'utf8')).toContain('"extra.rn"');

    clearKeyCacheMemory();
    const warm = new SettlementKeys('keys-test', { dir });
    expect(warm.paillier('patient/0', 1024).privateKey.p).toBe(kp.privateKey.p);
    expect(warm.genesisBalance('patient/0', 1024, 777n)).toBe(g);
    expect(warm.sources).toMatchObject({ disk: 1, memory: 1, generated: 0 });

    // An edited prime (checksum no longer matches) is refused and re-derived to the same key.
    const f = join(dir, files[0]);
    const entry = JSON.parse(readFileSync(f, 'utf8'));
    entry.fields.p = '0x' + (BigInt(entry.fields.p) + 2n).toString(16);
    writeFileSync(f, JSON.stringify(entry));
    clearKeyCacheMemory();
    const again = new SettlementKeys('keys-test', { dir });
    expect(again.genesisBalance('patient/0', 1024, 777n)).toBe(g);
    expect(again.sources.generated).toBe(1);

    // Another seed or label is another key.
    expect(new SettlementKeys('keys-test-2', { dir: false }).paillier('patient/0', 1024).publicKey.n).not.toBe(kp.publicKey.n);
    expect(again.paillier('patient/1', 1024).publicKey.n).not.toBe(kp.publicKey.n);
  });
});

describe('medsim bench settlement --startup (benchSettlementStartup)', () => {
  it('the warm start reads every key from the disk cache and generates none', async () => {
    const { benchSettlementStartup } = await import('../../protocols/settlement/bench.ts');
    const r = benchSettlementStartup({ bits: 1024, patients: 3 });
    expect(r).toMatchObject({ patients: 3, bits: 1024, nodes: 12, targetMs: 10_000 });
    // 3 patients + 4 organisations + the regulator: 8 Paillier keys, and the ring-Pedersen setup
    expect(r.warmSources).toMatchObject({ disk: 9, generated: 0 });
    expect(r.firstSources.disk + r.firstSources.generated).toBe(9);
    expect(r.warmMs).toBeGreaterThan(0);
    expect(r.warmCpuMs).toBeGreaterThan(0);
  });
});
