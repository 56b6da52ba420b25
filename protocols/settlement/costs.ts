/**
 * The settlement protocol's CPU cost entries: their names in cost tables (sim/cost-table.ts), how
 * a run reads them, and how `medsim calibrate` measures them (the `settlement` calibration
 * provider, registered in protocols/calibrations.ts).
 *
 * Entries (µs of CPU per operation; `<k>` = Paillier key bits, `<s>` = ring-Pedersen N̂ bits):
 *   settlement.prove.<k>@<s>     build one payment: decrypt A, encrypt A', T_A, T_B, T_R, the
 *                                four settlement proofs (ℓ = 64), the regulator's EL-Enc
 *   settlement.verify.<k>@<s>    verify one payment: 2a–2d and 2r (the signature is separate)
 *   settlement.credit.<k>        a committer applying one payment: unit checks of A' and T_B,
 *                                one ciphertext product mod n²
 *   paillier.decrypt.<k>         one CRT decryption by the key owner
 *   ring-pedersen.verify-setup.<s>  Π^prm verification (80 rounds), once per prover
 *   ed25519.sign, ed25519.verify one signature / verification (authorisations, endorsements, and
 *                                PBFT's view-change signatures)
 *   pbft.mac                     one HMAC-SHA-256-128 tag of PBFT's authenticators
 * Proof costs depend a little on ℓ (the three-square decomposition); the table is measured at
 * ℓ = 64 and a run with another ℓ charges the same (its summary says so).
 */
import type { CalibrationEntry, CalibrationProvider } from '../../sim/cost-table.ts';
import { costOf, type LoadedCostTable } from '../../sim/cost-table.ts';
import { add, decrypt, encrypt, isValidCiphertext } from '../crypto/paillier.ts';
import { seededRandom } from '../crypto/random.ts';
import { proveRingPedersen, verifyRingPedersen } from '../crypto/ring-pedersen.ts';
import { verify as edVerify } from '../crypto/ed25519.ts';
import { KeyRing, makeTag } from '../pbft/auth.ts';
import { Code, fillHeader, newHeader } from '../pbft/messages.ts';
import { SettlementKeys } from './keys.ts';
import { Directory, Layout } from './parties.ts';
import { buildPayment, signPayment, verifyPayment, type PaymentEnv } from './payment.ts';
import type { SettlementCosts } from './world.ts';

export const CALIBRATION_AMOUNT_BITS = 64;

export const costNames = (keyBits: number, setupBits: number) => ({
  prove: `settlement.prove.${keyBits}@${setupBits}`,
  verify: `settlement.verify.${keyBits}@${setupBits}`,
  credit: `settlement.credit.${keyBits}`,
  decrypt: `paillier.decrypt.${keyBits}`,
  setupVerify: `ring-pedersen.verify-setup.${setupBits}`,
  sign: 'ed25519.sign',
  sigVerify: 'ed25519.verify',
  mac: 'pbft.mac',
});

/** The costs a run charges, from a loaded table (throws CostTableError naming a missing entry). */
export function settlementCosts(t: LoadedCostTable, keyBits: number, setupBits: number): SettlementCosts {
  const n = costNames(keyBits, setupBits);
  return {
    proveUs: costOf(t, n.prove),
    verifyUs: costOf(t, n.verify),
    creditUs: costOf(t, n.credit),
    decryptUs: costOf(t, n.decrypt),
    setupVerifyUs: costOf(t, n.setupVerify),
    signUs: costOf(t, n.sign),
    sigVerifyUs: costOf(t, n.sigVerify),
    macUs: costOf(t, n.mac),
  };
}

/** The seed of the calibration's keys (fixed: every machine times the same keys). */
const CALIBRATION_SEED = 'medchain-sim/calibration/settlement/v1';

/** Calibration entries for the given key sizes (setup size 2048). */
function entries(options: { bits: readonly number[]; quick: boolean }): CalibrationEntry[] {
  const setupBits = 2048;
  const store = new SettlementKeys(CALIBRATION_SEED);
  const out: CalibrationEntry[] = [];
  const keys = new KeyRing(CALIBRATION_SEED);
  const digest = 'ab'.repeat(32);
  const sig = keys.sign(0, digest);
  out.push({ name: 'ed25519.sign', description: 'one Ed25519 signature over a 32-byte digest (node:crypto)', reps: 200, run: () => void keys.sign(0, digest) });
  const pub = Buffer.from(keys.publicKey(0), 'hex');
  const msg = Buffer.from(digest, 'hex');
  const sigBytes = Buffer.from(sig, 'hex');
  out.push({
    name: 'ed25519.verify',
    description: 'one Ed25519 verification (node:crypto; what KeyRing.verify does on a cache miss)',
    reps: 200,
    run: () => {
      if (!edVerify(sigBytes, msg, pub)) throw new Error('calibration: signature does not verify');
    },
  });
  const hdr = newHeader();
  fillHeader(hdr, Code.Prepare, 0, 0, 1, 0, digest);
  out.push({ name: 'pbft.mac', description: 'one HMAC-SHA-256-128 authenticator tag over a PBFT header (WebAssembly engine)', reps: 2000, run: () => void makeTag(keys, 0, 1, hdr) });
  for (const bits of options.bits) {
    const layout = new Layout({ orderers: 1, hospitals: 1, insurer: false, patients: 1, extraNodes: 0 });
    const dir = new Directory(layout, { keyBits: bits, setupBits, patientBalance: 1_000_000_000n, orgBalance: 0n }, store);
    const env: PaymentEnv = { directory: dir, amountBits: CALIBRATION_AMOUNT_BITS, verifySignature: (n, d, s) => keys.verify(n, d, s) };
    const payer = dir.account('patient/0')!;
    const kp = dir.keyPair(payer.id);
    const random = seededRandom(CALIBRATION_SEED, `prove/${bits}`);
    const req = { payer: payer.id, payee: 'hospital/0', amount: 12_345n, balance: dir.genesis.get(payer.id)!, version: 0 };
    const sign = (id: string) => keys.sign(payer.node, id);
    let sample = signPayment(buildPayment(env, req, kp, random), sign);
    const reps = options.quick ? 3 : bits >= 4096 ? 5 : 9;
    out.push({
      name: `settlement.prove.${bits}@${setupBits}`,
      description: `build one payment with ${bits}-bit Paillier keys, |N̂| = ${setupBits}, ℓ = ${CALIBRATION_AMOUNT_BITS}: settlement proofs + regulator copy`,
      reps,
      run: () => void (sample = signPayment(buildPayment(env, req, kp, random), sign)),
    });
    out.push({
      name: `settlement.verify.${bits}@${setupBits}`,
      description: `verify one payment (2e, 2a–2d, 2r) with ${bits}-bit keys, |N̂| = ${setupBits}`,
      reps,
      run: () => {
        if (!verifyPayment(env, sample).valid) throw new Error('calibration: the sample payment does not verify');
      },
    });
    const hospital = dir.account('hospital/0')!;
    const balanceB = dir.genesis.get('hospital/0')!;
    out.push({
      name: `settlement.credit.${bits}`,
      description: `apply one payment's writes with ${bits}-bit keys: two ciphertext unit checks and one product mod n²`,
      reps: 200,
      run: () => {
        isValidCiphertext(payer.publicKey, sample.tx.transfer.newBalanceA);
        isValidCiphertext(hospital.publicKey, sample.tx.transfer.transferB);
        add(hospital.publicKey, balanceB, sample.tx.transfer.transferB);
      },
    });
    const c = encrypt(kp.privateKey, 777n, random);
    out.push({ name: `paillier.decrypt.${bits}`, description: `one CRT decryption, ${bits}-bit key`, reps: 50, run: () => void decrypt(kp.privateKey, c) });
    if (bits === options.bits[0]) {
      const proof = proveRingPedersen(dir.setupWithTrapdoor, seededRandom(CALIBRATION_SEED, 'prm'));
      out.push({
        name: `ring-pedersen.verify-setup.${setupBits}`,
        description: `verify the regulator's Π^prm proof (80 rounds) for a ${setupBits}-bit N̂`,
        reps: options.quick ? 2 : 5,
        run: () => {
          if (!verifyRingPedersen(dir.setup, proof)) throw new Error('calibration: Π^prm does not verify');
        },
      });
    }
  }
  return out;
}

export const settlementCalibration: CalibrationProvider = {
  name: 'settlement',
  description: 'seed 002 payments (prove, verify, credit, decrypt), the Π^prm setup check, Ed25519 and PBFT MACs',
  entries,
};
