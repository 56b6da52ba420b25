/**
 * PBFT message authentication: MAC authenticators and Ed25519 signatures.
 *
 * Castro & Liskov, TOCS 20(4) 2002, §3.2 and §4.1 (and OSDI'99 §4): in the normal case every
 * message carries an *authenticator* — a vector of MACs, one per receiving replica, each computed
 * with the session key shared by the sender and that receiver; a receiver checks only its own
 * entry. View-change and new-view messages must be *transferable* (a new-view carries the
 * view-change messages that justify it, and every backup re-checks them), so they are signed
 * (the BFT-PK variant, OSDI'99 §4.4). This module provides both, for real:
 *
 * - MAC = HMAC-SHA-256 (RFC 2104, FIPS 180-4) truncated to 128 bits (RFC 2104 §5 truncation),
 *   over a fixed 52-byte message header (13 big-endian 32-bit words: type, epoch, view, seq,
 *   sender, 8 words of content digest). Each session key's inner and outer SHA-256 midstates
 *   (the compression of key ⊕ ipad and key ⊕ opad) are computed once per directed pair, so a tag
 *   costs exactly two SHA-256 compressions. `hmacHeader` is a byte-exact HMAC-SHA-256 (checked
 *   against node:crypto `createHmac` in test/pbft/auth.test.ts); it exists because
 *   `createHmac` costs ~4 µs per call in object set-up, ten times the two compressions, and a
 *   committee of 100 computes ~64,000 tags per block (sent and checked). It only handles this
 *   one header shape and is not a general hash module (protocols/crypto/ owns those).
 * - The same HMAC runs in a small generated WebAssembly module (hmac-wasm.ts), which is what
 *   the key ring uses when the runtime has WebAssembly SIMD (Node ≥ 16): an authenticator's k
 *   tags are computed four at a time in the lanes of 128-bit vectors (one header, four keys;
 *   the inner block's schedule expanded once per header), a single tag (a check) in scalar code.
 *   Measured on the bench machine: ~0.2 µs per authenticator tag and ~0.5 µs per checked tag,
 *   against ~0.75 µs for `hmacHeader`. `hmacHeader` stays as the reference and the fallback
 *   (`KeyRing.fromSeed(seed, { wasm: false })`); both give identical tags, so traces do not
 *   depend on the path.
 * - Signatures: Ed25519 (RFC 8032) from protocols/crypto/ed25519.ts (native backend), keys
 *   derived from the node's seeded ChaCha20 stream (protocols/crypto/random.ts), so runs are
 *   reproducible. Verification results are cached by (signer, message digest, signature) and
 *   shared by all nodes, but CPU time is charged per verifying node (`KeyRing.verifyBy`).
 *
 * Session keys: as in BFT, the *receiver* chooses the key its peers use to send to it (BFT
 * distributes them in `new-key` messages encrypted under the peers' public keys). The simulator
 * models that exchange as done before the run: `KeyRing` derives receiver j's key for sender i as
 * HMAC(secret_j, "mac-key" ‖ i) from j's seeded secret. A node's code only ever asks for keys of
 * pairs it belongs to (adversaries included: they hold only their own keys).
 */
import { createHash } from 'node:crypto';
import { deriveSeed } from '../../sim/rng.ts';
import type { NodeId } from '../../sim/types.ts';
import { generateKeyPair, sign as edSign, verify as edVerify, type Ed25519KeyPair } from '../crypto/ed25519.ts';
import { seededRandom } from '../crypto/random.ts';
import { HEAP_BASE, type HmacWasm, instantiateHmacWasm, K256 as SHA256_K, OFF } from './hmac-wasm.ts';

/** Words of a MAC'd header: type, epoch, view, seq, sender, digest[8]. */
export const HEADER_WORDS = 13;
/** Words per truncated tag (128 bits). */
export const TAG_WORDS = 4;
/** Bytes per tag on the wire. */
export const TAG_BYTES = TAG_WORDS * 4;
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

// ---- SHA-256 compression (FIPS 180-4 §6.2.2) ------------------------------------------------

const K256 = Int32Array.from(SHA256_K); // FIPS 180-4 §4.2.2
const IV256 = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64);

/** out[0..8) = SHA-256 compression of state[so..so+8) with block words[0..16) (FIPS 180-4 §6.2.2). */
function compress(state: Int32Array, so: number, block: Int32Array, out: Int32Array): void {
  for (let t = 0; t < 16; t++) W[t] = block[t];
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15];
    const w2 = W[t - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
  }
  let a = state[so], b = state[so + 1], c = state[so + 2], d = state[so + 3];
  let e = state[so + 4], f = state[so + 5], g = state[so + 6], h = state[so + 7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K256[t] + W[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  out[0] = (state[so] + a) | 0; out[1] = (state[so + 1] + b) | 0; out[2] = (state[so + 2] + c) | 0; out[3] = (state[so + 3] + d) | 0;
  out[4] = (state[so + 4] + e) | 0; out[5] = (state[so + 5] + f) | 0; out[6] = (state[so + 6] + g) | 0; out[7] = (state[so + 7] + h) | 0;
}

/** Inner/outer SHA-256 midstates of an HMAC key: words 0..8 inner (key ⊕ ipad), 8..16 outer (key ⊕ opad). */
export function hmacKeyState(key: Uint8Array): Int32Array {
  if (key.length > 64) throw new RangeError('hmacKeyState: keys longer than one block are not needed here');
  const ipad = new Int32Array(16);
  const opad = new Int32Array(16);
  for (let i = 0; i < 16; i++) {
    let w = 0;
    for (let b = 0; b < 4; b++) w = (w << 8) | (key[i * 4 + b] ?? 0);
    ipad[i] = w ^ 0x36363636;
    opad[i] = w ^ 0x5c5c5c5c;
  }
  const st = new Int32Array(16);
  const tmp = new Int32Array(8);
  compress(IV256, 0, ipad, tmp);
  st.set(tmp, 0);
  compress(IV256, 0, opad, tmp);
  st.set(tmp, 8);
  return st;
}

const INNER = new Int32Array(16);
const OUTER = new Int32Array(16);
const DIGEST = new Int32Array(8);
// Padding of the inner block: 52-byte message, then 0x80, then the bit length (64 + 52) · 8.
INNER[13] = 0x80000000 | 0;
INNER[15] = (64 + HEADER_WORDS * 4) * 8;
// Padding of the outer block: 32-byte inner digest, 0x80, bit length (64 + 32) · 8.
OUTER[8] = 0x80000000 | 0;
OUTER[15] = (64 + 32) * 8;

/**
 * HMAC-SHA-256 of the 52-byte big-endian header `header[0..13)` under the key whose midstates
 * are `keyState`, truncated to 128 bits, written to `out[off..off+4)`.
 */
export function hmacHeader(keyState: Int32Array, header: Int32Array, out: Int32Array, off: number): void {
  for (let i = 0; i < HEADER_WORDS; i++) INNER[i] = header[i];
  compress(keyState, 0, INNER, DIGEST);
  for (let i = 0; i < 8; i++) OUTER[i] = DIGEST[i];
  compress(keyState, 8, OUTER, DIGEST);
  out[off] = DIGEST[0];
  out[off + 1] = DIGEST[1];
  out[off + 2] = DIGEST[2];
  out[off + 3] = DIGEST[3];
}

/** The full 32-byte HMAC-SHA-256 of a header, as bytes (for tests against node:crypto). */
export function hmacHeaderFull(key: Uint8Array, header: Int32Array): Uint8Array {
  const st = hmacKeyState(key);
  for (let i = 0; i < HEADER_WORDS; i++) INNER[i] = header[i];
  compress(st, 0, INNER, DIGEST);
  for (let i = 0; i < 8; i++) OUTER[i] = DIGEST[i];
  compress(st, 8, OUTER, DIGEST);
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) dv.setInt32(i * 4, DIGEST[i]);
  return out;
}

/** Big-endian bytes of a header (what the MAC covers), for tests and documentation. */
export function headerBytes(header: Int32Array): Uint8Array {
  const out = new Uint8Array(HEADER_WORDS * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < HEADER_WORDS; i++) dv.setInt32(i * 4, header[i]);
  return out;
}

/**
 * Parsed digests, memoised (a pure function of the string: the same batch digest is parsed for
 * each of the ~2k² votes of a block). Cleared wholesale when it grows large.
 */
const WORDS = new Map<string, Int32Array>();

/** Writes the 8 words of a 64-hex-digit digest into `out[off..off+8)`. Returns false if malformed. */
export function digestWords(hex: string, out: Int32Array, off: number): boolean {
  let w = WORDS.get(hex);
  if (!w) {
    if (typeof hex !== 'string' || hex.length !== 64 || !/^[0-9a-f]{64}$/.test(hex)) return false;
    w = new Int32Array(8);
    for (let i = 0; i < 8; i++) w[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16) | 0;
    if (WORDS.size > 50_000) WORDS.clear();
    WORDS.set(hex, w);
  }
  for (let i = 0; i < 8; i++) out[off + i] = w[i];
  return true;
}

// ---- Key ring -------------------------------------------------------------------------------

interface SigningKeys extends Ed25519KeyPair {
  /** Raw 32-byte public key, hex. */
  publicHex: string;
}

/**
 * The MAC engine of one key ring: the WebAssembly HMAC module (hmac-wasm.ts) with its own memory,
 * holding every session key's midstates (16 words, at a byte address) and an output buffer.
 * One instance per KeyRing, so its memory is freed with the ring.
 */
class MacEngine {
  private mem: Int32Array;
  private top = HEAP_BASE;
  private out = 0;
  private outWords = 0;
  constructor(readonly wasm: HmacWasm) {
    this.mem = new Int32Array(wasm.memory.buffer);
  }
  /** Byte address of `words` fresh words (growing the memory if needed). */
  alloc(words: number): number {
    const addr = this.top;
    this.top += words * 4;
    const need = this.top - this.wasm.memory.buffer.byteLength;
    if (need > 0) {
      this.wasm.memory.grow(Math.max(Math.ceil(need / 65_536), this.wasm.memory.buffer.byteLength / 65_536));
      this.mem = new Int32Array(this.wasm.memory.buffer);
    }
    return addr;
  }
  store(state: Int32Array): number {
    const addr = this.alloc(16);
    this.mem.set(state, addr >> 2);
    return addr;
  }
  header(header: Int32Array): void {
    const m = this.mem;
    const o = OFF.HDR >> 2;
    for (let i = 0; i < HEADER_WORDS; i++) m[o + i] = header[i];
  }
  /** Authenticator over the header just written: tags under `addrs`, in order. */
  authenticator(addrs: Int32Array): Int32Array {
    const n = addrs.length;
    const words = ((n + 3) >> 2) * 16;
    if (words > this.outWords) {
      this.out = this.alloc(words);
      this.outWords = words;
    }
    const w = this.wasm;
    w.prepare();
    const out = this.out;
    let j = 0;
    for (; j + 4 <= n; j += 4) w.mac4(addrs[j], addrs[j + 1], addrs[j + 2], addrs[j + 3], out + j * 16);
    if (j < n) w.mac4(addrs[j], addrs[Math.min(j + 1, n - 1)], addrs[Math.min(j + 2, n - 1)], addrs[n - 1], out + j * 16);
    return this.mem.slice(out >> 2, (out >> 2) + n * TAG_WORDS);
  }
  /** Checks 4 words of `auth` at word offset `o` against the tag under `addr` over the header just written. */
  check(addr: number, auth: Int32Array, o: number): boolean {
    this.wasm.mac1(addr);
    const m = this.mem;
    const r = OFF.OUT1 >> 2;
    return auth[o] === m[r] && auth[o + 1] === m[r + 1] && auth[o + 2] === m[r + 2] && auth[o + 3] === m[r + 3];
  }
  tag(addr: number, out: Int32Array, off: number): void {
    this.wasm.mac1(addr);
    const m = this.mem;
    const r = OFF.OUT1 >> 2;
    out[off] = m[r];
    out[off + 1] = m[r + 1];
    out[off + 2] = m[r + 2];
    out[off + 3] = m[r + 3];
  }
}

export interface KeyRingOptions {
  /**
   * Compute MACs with the WebAssembly module (default) or the JavaScript reference `hmacHeader`
   * (for cross-checks; also the fallback when the runtime has no WebAssembly SIMD).
   */
  wasm?: boolean;
}

/**
 * Every node's long-term Ed25519 key pair and the pairwise MAC session keys, derived lazily and
 * deterministically from the run seed (see the module comment).
 */
export class KeyRing {
  private readonly secrets = new Map<NodeId, Uint8Array>();
  private readonly macStates = new Map<number | string, Int32Array>();
  /** Engine addresses of the session keys: `macAddrs[from][to]` (0 = not stored yet). */
  private readonly macAddrs: Int32Array[] = [];
  private readonly farAddrs = new Map<string, number>();
  /** Per sender: the receiver list last used and its key addresses (committees are reused arrays). */
  private readonly receiverAddrs = new Map<NodeId, { ids: Int32Array; addrs: Int32Array }>();
  private readonly signing = new Map<NodeId, SigningKeys>();
  /**
   * Signature verifications that succeeded, by signer/digest/signature, each with the nodes that
   * have checked it themselves (filled only by `verifyBy`, the charged path). The outcome is a
   * pure function, so it is computed once and shared; the CPU time is not: it is charged to every
   * verifying node (see `verifyBy`).
   */
  private readonly verified = new Map<string, Set<NodeId> | null>();
  /** The WebAssembly MAC engine, or undefined for the JavaScript reference path. */
  readonly engine: MacEngine | undefined;

  constructor(
    private readonly runSeed: number | string,
    options: KeyRingOptions = {},
  ) {
    const wasm = options.wasm === false ? undefined : instantiateHmacWasm();
    this.engine = wasm ? new MacEngine(wasm) : undefined;
  }

  static fromSeed(runSeed: number | string, options?: KeyRingOptions): KeyRing {
    return new KeyRing(runSeed, options);
  }

  private secretOf(node: NodeId): Uint8Array {
    let s = this.secrets.get(node);
    if (!s) this.secrets.set(node, (s = seededRandom(deriveSeed(this.runSeed, `node/${node}/crypto/pbft-mac`), 'pbft-mac-secret')(32)));
    return s;
  }

  /** The session key for messages from `from` to `to` (chosen by the receiver `to`), 32 bytes. */
  macKey(from: NodeId, to: NodeId): Uint8Array {
    return createHash('sha256').update(this.secretOf(to)).update(`mac-key/${from}`).digest();
  }

  /** Midstates of that key (JavaScript path). */
  macState(from: NodeId, to: NodeId): Int32Array {
    const key = pairKey(from, to);
    let st = this.macStates.get(key);
    if (!st) this.macStates.set(key, (st = hmacKeyState(this.macKey(from, to))));
    return st;
  }

  /** Byte address of that key's midstates in the engine's memory. */
  macAddr(from: NodeId, to: NodeId): number {
    if ((from | 0) !== from || (to | 0) !== to || from < 0 || to < 0) throw new RangeError(`KeyRing: no session key for ${from} → ${to}`);
    if (from >= 1_048_576 || to >= 1_048_576) {
      // Ids no simulation uses (e.g. named in a Byzantine reconfigure): no dense table for them.
      const key = `${from}/${to}`;
      let a = this.farAddrs.get(key);
      if (a === undefined) this.farAddrs.set(key, (a = this.engine!.store(this.macState(from, to))));
      return a;
    }
    let row = this.macAddrs[from];
    if (row === undefined || to >= row.length) {
      const grown = new Int32Array(Math.max(to + 1, 2 * (row?.length ?? 0), 16));
      if (row) grown.set(row);
      this.macAddrs[from] = row = grown;
    }
    let a = row[to];
    if (a === 0) {
      a = row[to] = this.engine!.store(this.macState(from, to));
      this.macStates.delete(pairKey(from, to)); // the engine holds it now
    }
    return a;
  }

  /** Key addresses from `sender` to each of `receivers` (cached per sender: committees repeat). */
  receiverAddrsOf(sender: NodeId, receivers: readonly NodeId[]): Int32Array {
    const c = this.receiverAddrs.get(sender);
    if (c && c.ids.length === receivers.length) {
      let same = true;
      for (let j = 0; j < receivers.length && same; j++) same = c.ids[j] === receivers[j];
      if (same) return c.addrs;
    }
    const addrs = new Int32Array(receivers.length);
    for (let j = 0; j < receivers.length; j++) addrs[j] = this.macAddr(sender, receivers[j]);
    this.receiverAddrs.set(sender, { ids: Int32Array.from(receivers), addrs });
    return addrs;
  }

  private keysOf(node: NodeId): SigningKeys {
    let k = this.signing.get(node);
    if (!k) {
      const pair = generateKeyPair(seededRandom(deriveSeed(this.runSeed, `node/${node}/crypto/pbft-sign`), 'ed25519-seed'));
      this.signing.set(node, (k = { ...pair, publicHex: Buffer.from(pair.publicKey).toString('hex') }));
    }
    return k;
  }

  /** Node's Ed25519 public key (hex of the 32 raw bytes). */
  publicKey(node: NodeId): string {
    return this.keysOf(node).publicHex;
  }

  /** Ed25519 signature by `node` over `digestHex` (the message's SHA-256), hex. */
  sign(node: NodeId, digestHex: string): string {
    return Buffer.from(edSign(Buffer.from(digestHex, 'hex'), this.keysOf(node).secretKey)).toString('hex');
  }

  /**
   * Verifies `signer`'s signature over `digestHex`; never throws on malformed input. Charges no
   * CPU time: a node's check is `verifyBy`.
   */
  verify(signer: NodeId, digestHex: string, signatureHex: unknown): boolean {
    if (typeof signatureHex !== 'string' || signatureHex.length !== SIGNATURE_BYTES * 2 || !Number.isInteger(signer) || signer < 0) return false;
    const cacheKey = `${signer}/${digestHex}/${signatureHex}`;
    if (this.verified.has(cacheKey)) return true;
    let ok = false;
    try {
      ok = edVerify(Buffer.from(signatureHex, 'hex'), Buffer.from(digestHex, 'hex'), this.keysOf(signer).publicKey);
    } catch {
      ok = false;
    }
    if (ok) this.verified.set(cacheKey, null);
    return ok;
  }

  /**
   * Node `verifier.id` checks `signer`'s signature: `costUs` is charged to its virtual clock
   * unless this node has already found this very signature valid (its own memory of its own
   * checks; an invalid one is charged each time, as it is checked each time). Other nodes'
   * checks do not count: the shared outcome cache saves wall-clock time only, every node pays
   * for its own verification.
   */
  verifyBy(verifier: { readonly id: NodeId; charge(us: number): void }, costUs: number, signer: NodeId, digestHex: string, signatureHex: unknown): boolean {
    if (!(costUs > 0)) return this.verify(signer, digestHex, signatureHex);
    const cacheKey = `${signer}/${digestHex}/${String(signatureHex)}`;
    let by = this.verified.get(cacheKey);
    if (by && by.has(verifier.id)) return true;
    verifier.charge(costUs);
    if (!this.verify(signer, digestHex, signatureHex)) return false;
    by ??= this.verified.get(cacheKey);
    if (!by) this.verified.set(cacheKey, (by = new Set()));
    by.add(verifier.id);
    return true;
  }

  /**
   * True if *some* node's check of this signature succeeded before. Not a charging rule: it says
   * nothing about whether a given node has paid for its own check (use `verifyBy`).
   * @deprecated kept for callers outside this folder; charging through it under-charges.
   */
  isCachedValid(signer: NodeId, digestHex: string, signatureHex: string): boolean {
    return this.verified.has(`${signer}/${digestHex}/${signatureHex}`);
  }
}

// ---- Authenticators -------------------------------------------------------------------------

/**
 * An authenticator from `sender` for the members `receivers` (tag j for receivers[j]) over
 * `header`: receivers.length × 4 words.
 */
export function makeAuthenticator(keys: KeyRing, sender: NodeId, receivers: readonly NodeId[], header: Int32Array): Int32Array {
  const e = keys.engine;
  if (e) {
    e.header(header);
    return e.authenticator(keys.receiverAddrsOf(sender, receivers));
  }
  const out = new Int32Array(receivers.length * TAG_WORDS);
  for (let j = 0; j < receivers.length; j++) hmacHeader(keys.macState(sender, receivers[j]), header, out, j * TAG_WORDS);
  return out;
}

/** One tag from `sender` to `receiver` over `header`. */
export function makeTag(keys: KeyRing, sender: NodeId, receiver: NodeId, header: Int32Array): Int32Array {
  const out = new Int32Array(TAG_WORDS);
  const e = keys.engine;
  if (e) {
    e.header(header);
    e.tag(keys.macAddr(sender, receiver), out, 0);
  } else hmacHeader(keys.macState(sender, receiver), header, out, 0);
  return out;
}

const CHECK = new Int32Array(TAG_WORDS);

/** A collision-free map key for a directed pair of node ids. */
function pairKey(from: NodeId, to: NodeId): number | string {
  return from < 1_048_576 && to < 1_048_576 && from >= 0 && to >= 0 ? from * 1_048_576 + to : `${from}/${to}`;
}

const isNodeId = (x: unknown): x is NodeId => typeof x === 'number' && (x | 0) === x && x >= 0;

/** Checks entry `index` of authenticator `auth` (from `sender` to `receiver`); false on any malformation. */
export function checkTag(keys: KeyRing, sender: NodeId, receiver: NodeId, header: Int32Array, auth: unknown, index: number): boolean {
  if (!(auth instanceof Int32Array) || index < 0 || auth.length < (index + 1) * TAG_WORDS || !isNodeId(sender) || !isNodeId(receiver)) return false;
  const o = index * TAG_WORDS;
  const e = keys.engine;
  if (e) {
    e.header(header);
    return e.check(keys.macAddr(sender, receiver), auth, o);
  }
  hmacHeader(keys.macState(sender, receiver), header, CHECK, 0);
  return auth[o] === CHECK[0] && auth[o + 1] === CHECK[1] && auth[o + 2] === CHECK[2] && auth[o + 3] === CHECK[3];
}

/** SHA-256 hex of a string (content digests: requests, batches, view changes, state chain). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
