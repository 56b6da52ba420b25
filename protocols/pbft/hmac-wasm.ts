/**
 * HMAC-SHA-256 over PBFT's 52-byte MAC header, as a small WebAssembly module generated here
 * (no build step, no binary blob): the same computation as `hmacHeader` in auth.ts — two SHA-256
 * compressions (FIPS 180-4 §6.2.2) from a key's precomputed inner/outer midstates (RFC 2104) —
 * with two entry points:
 *
 * - `mac1`: one tag (a receiver checking its entry of an authenticator, a point-to-point tag);
 *   scalar code, with WebAssembly's native 32-bit rotate.
 * - `mac4`: four tags over the *same* header under four different keys, one per 32-bit lane of
 *   128-bit SIMD registers (WebAssembly fixed-width SIMD, `i32x4`). An authenticator is k tags
 *   over one header, so a sender computes it ⌈k/4⌉ calls at a time. The inner block (header and
 *   padding) is the same for all lanes, so its message schedule is expanded once per header
 *   (`prepare`) and broadcast; the outer block (the inner digests) is expanded per lane.
 *
 * Both are checked bit for bit against node:crypto's `createHmac` and against the JavaScript
 * reference in test/pbft/auth.test.ts. Nothing here is secret-dependent in timing, and nothing
 * is nondeterministic: the module is a pure function of its memory.
 *
 * Memory layout (byte offsets, little-endian words as the host's Int32Array sees them):
 *
 *   K      0    64 words   SHA-256 round constants
 *   WK     256  64 words   inner schedule + K (written by `prepare`)
 *   HDR    512  16 words   inner block: header words 0..12, padding 13..15 (host writes 0..12)
 *   OUT1   576   4 words   `mac1` tag
 *   1024 …                 the host's: key states (16 words each: inner midstate 0..7, outer
 *                          8..15) and output buffers, allocated by auth.ts
 *
 * The generator below is a minimal WebAssembly binary emitter (WebAssembly Core Specification
 * 2.0, §5 binary format; SIMD opcodes from the fixed-width SIMD proposal, merged in 2.0).
 */

/**
 * The part of the WebAssembly JS API used here (tsconfig's `lib` is ES2022 without DOM, which is
 * where TypeScript declares it; Node has it as a global).
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WASM = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

export const OFF = { K: 0, WK: 256, HDR: 512, OUT1: 576 } as const;

/** SHA-256 round constants K₀…K₆₃ (FIPS 180-4 §4.2.2); shared with the JavaScript reference in auth.ts. */
export const K256: readonly number[] = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

// ---- binary encoding helpers (spec §5.2) -------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  n |= 0;
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

// Opcodes (spec §5.4).
const I32 = 0x7f;
const V128 = 0x7b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_LOAD = 0x28;
const I32_STORE = 0x36;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_XOR = 0x73;
const I32_SHR_U = 0x76;
const I32_ROTR = 0x78;
const END = 0x0b;
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const I32X4_SPLAT = 0x11;
const I32X4_EXTRACT_LANE = 0x1b;
const I32X4_REPLACE_LANE = 0x1c;
const V128_XOR = 0x51;
const V128_OR = 0x50;
const V128_BITSELECT = 0x52;
const I32X4_SHL = 0xab;
const I32X4_SHR_U = 0xad;
const I32X4_ADD = 0xae;

/** Code builder for one function body. */
class Body {
  readonly code: number[] = [];
  get(l: number): this {
    this.code.push(LOCAL_GET, ...uleb(l));
    return this;
  }
  set(l: number): this {
    this.code.push(LOCAL_SET, ...uleb(l));
    return this;
  }
  tee(l: number): this {
    this.code.push(LOCAL_TEE, ...uleb(l));
    return this;
  }
  i32(n: number): this {
    this.code.push(I32_CONST, ...sleb(n));
    return this;
  }
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  simd(op: number): this {
    this.code.push(SIMD, ...uleb(op));
    return this;
  }
  /** i32.load from constant address `addr` (address operand 0, offset addr). */
  load(addr: number): this {
    this.code.push(I32_CONST, 0, I32_LOAD, 2, ...uleb(addr));
    return this;
  }
  /** Pushes the address operand for a following store. */
  addr0(): this {
    this.code.push(I32_CONST, 0);
    return this;
  }
  store(addr: number): this {
    this.code.push(I32_STORE, 2, ...uleb(addr));
    return this;
  }
  vload(addr: number): this {
    this.code.push(I32_CONST, 0, SIMD, ...uleb(V128_LOAD), 4, ...uleb(addr));
    return this;
  }
  vstore(addr: number): this {
    this.code.push(SIMD, ...uleb(V128_STORE), 4, ...uleb(addr));
    return this;
  }
}

/** Scalar or 4-lane operations with one interface, so one round generator serves both. */
interface Ops {
  add(b: Body): void;
  xor(b: Body): void;
  or(b: Body): void;
  /** Rotate right by n (value on the stack; needs a temp local for SIMD). */
  rotr(b: Body, local: number, n: number): void;
  shr(b: Body, n: number): void;
  /** Pushes K[t] + W[t] for round t (from memory or a splat). */
  ch(b: Body, e: number, f: number, g: number): void;
  maj(b: Body, a: number, bb: number, c: number): void;
}

const scalarOps: Ops = {
  add: (b) => void b.op(I32_ADD),
  xor: (b) => void b.op(I32_XOR),
  or: (b) => void b.op(I32_OR),
  rotr: (b, _l, n) => void b.i32(n).op(I32_ROTR),
  shr: (b, n) => void b.i32(n).op(I32_SHR_U),
  // ch = g ^ (e & (f ^ g))
  ch: (b, e, f, g) => void b.get(g).get(e).get(f).get(g).op(I32_XOR).op(I32_AND).op(I32_XOR),
  // maj = (a & b) | (c & (a | b))
  maj: (b, a, bb, c) => void b.get(a).get(bb).op(I32_AND).get(c).get(a).get(bb).op(I32_OR).op(I32_AND).op(I32_OR),
};

const simdOps: Ops = {
  add: (b) => void b.simd(I32X4_ADD),
  xor: (b) => void b.simd(V128_XOR),
  or: (b) => void b.simd(V128_OR),
  rotr: (b, l, n) => void b.tee(l).i32(n).simd(I32X4_SHR_U).get(l).i32(32 - n).simd(I32X4_SHL).simd(V128_OR),
  shr: (b, n) => void b.i32(n).simd(I32X4_SHR_U),
  // ch = bitselect(f, g, e): f where e is 1, g where e is 0
  ch: (b, e, f, g) => void b.get(f).get(g).get(e).simd(V128_BITSELECT),
  // maj = bitselect(c, a, a ^ b): where a and b differ the majority is c, else a
  maj: (b, a, bb, c) => void b.get(c).get(a).get(a).get(bb).simd(V128_XOR).simd(V128_BITSELECT),
};

/** Σ/σ function of the value in local `src`: rotr(x, r1) ^ rotr(x, r2) ^ (rotr or shr)(x, r3). */
function sigma(b: Body, o: Ops, src: number, tmp: number, r1: number, r2: number, r3: number, lastIsShift: boolean): void {
  b.get(src);
  o.rotr(b, tmp, r1);
  b.get(src);
  o.rotr(b, tmp, r2);
  o.xor(b);
  b.get(src);
  if (lastIsShift) o.shr(b, r3);
  else o.rotr(b, tmp, r3);
  o.xor(b);
}

/**
 * Emits 64 rounds. `regs` are the locals of a..h; `pushKW(t)` pushes K[t] + W[t]. Renaming
 * instead of moving: after a round the new a goes into h's local and the new e into d's.
 */
function emitRounds(b: Body, o: Ops, regs: number[], t1: number, tmp: number, pushKW: (t: number) => void): number[] {
  let r = [...regs];
  for (let t = 0; t < 64; t++) {
    const [a, bb, c, d, e, f, g, h] = r;
    // t1 = h + Σ1(e) + ch(e, f, g) + K[t] + W[t]
    b.get(h);
    sigma(b, o, e, tmp, 6, 11, 25, false);
    o.add(b);
    o.ch(b, e, f, g);
    o.add(b);
    pushKW(t);
    o.add(b);
    b.set(t1);
    // d = d + t1 (the new e)
    b.get(d).get(t1);
    o.add(b);
    b.set(d);
    // h = t1 + Σ0(a) + maj(a, b, c) (the new a)
    b.get(t1);
    sigma(b, o, a, tmp, 2, 13, 22, false);
    o.add(b);
    o.maj(b, a, bb, c);
    o.add(b);
    b.set(h);
    r = [h, a, bb, c, d, e, f, g];
  }
  return r;
}

/** Builds the module bytes. */
function buildModule(): Uint8Array {
  const funcs: { body: Body; params: number; locals: [number, number][] }[] = [];

  // ---- prepare(): WK[t] = W[t] + K[t] for the inner block at HDR (scalar) ------------------
  {
    const b = new Body();
    // locals 0..15: w ring; 16: tmp; 17: scratch
    const W = (t: number) => t % 16;
    const tmp = 16;
    for (let t = 0; t < 16; t++) {
      b.load(OFF.HDR + 4 * t).tee(W(t));
      b.load(OFF.K + 4 * t);
      b.op(I32_ADD);
      b.set(17);
      b.addr0().get(17).store(OFF.WK + 4 * t);
    }
    for (let t = 16; t < 64; t++) {
      // W[t] = σ1(W[t−2]) + W[t−7] + σ0(W[t−15]) + W[t−16]
      sigma(b, scalarOps, W(t - 2), tmp, 17, 19, 10, true);
      b.get(W(t - 7)).op(I32_ADD);
      sigma(b, scalarOps, W(t - 15), tmp, 7, 18, 3, true);
      b.op(I32_ADD);
      b.get(W(t - 16)).op(I32_ADD);
      b.set(W(t)); // W(t) is W(t − 16)'s local: overwritten only after it was read
      b.addr0().get(W(t)).load(OFF.K + 4 * t).op(I32_ADD).store(OFF.WK + 4 * t);
    }
    b.op(END);
    funcs.push({ body: b, params: 0, locals: [[18, I32]] });
  }

  // ---- mac1(key): scalar HMAC of HDR under the key state at byte address `key` → OUT1 ------
  {
    const b = new Body();
    const key = 0; // parameter
    // locals: 1..16 w ring, 17..24 a..h, 25 t1, 26 tmp, 27..34 inner digest, 35..38 tag
    const W = (t: number) => 1 + (t % 16);
    const regs = [17, 18, 19, 20, 21, 22, 23, 24];
    const t1 = 25;
    const tmp = 26;
    const compress = (keyOff: number, loadBlock: (t: number) => void, outLocals: number[]) => {
      for (let i = 0; i < 8; i++) b.get(key).op(I32_LOAD, 2, ...uleb(keyOff + 4 * i)).set(regs[i]);
      const final = emitRounds(b, scalarOps, regs, t1, tmp, (t) => {
        if (t < 16) loadBlock(t);
        else {
          sigma(b, scalarOps, W(t - 2), tmp, 17, 19, 10, true);
          b.get(W(t - 7)).op(I32_ADD);
          sigma(b, scalarOps, W(t - 15), tmp, 7, 18, 3, true);
          b.op(I32_ADD);
          b.get(W(t - 16)).op(I32_ADD);
          b.tee(W(t));
        }
        b.i32(K256[t]).op(I32_ADD);
      });
      for (let i = 0; i < outLocals.length; i++) b.get(key).op(I32_LOAD, 2, ...uleb(keyOff + 4 * i)).get(final[i]).op(I32_ADD).set(outLocals[i]);
    };
    const inner = [27, 28, 29, 30, 31, 32, 33, 34];
    // Inner block: header words 0..12 from HDR; the padding words 13..15 are constants (so the
    // compiler folds them into the schedule).
    const PAD = [0x80000000 | 0, 0, (64 + 52) * 8];
    compress(0, (t) => void (t < 13 ? b.load(OFF.HDR + 4 * t) : b.i32(PAD[t - 13])).tee(W(t)), inner);
    // Outer block: inner digest, 0x80000000, zeros, bit length (64 + 32)·8.
    const outerWord = (t: number) => {
      if (t < 8) b.get(inner[t]).tee(W(t));
      else b.i32(t === 8 ? 0x80000000 | 0 : t === 15 ? 768 : 0).tee(W(t));
    };
    const tag = [35, 36, 37, 38];
    compress(32, outerWord, tag);
    for (let i = 0; i < 4; i++) b.addr0().get(tag[i]).store(OFF.OUT1 + 4 * i);
    b.op(END);
    funcs.push({ body: b, params: 1, locals: [[38, I32]] });
  }

  // ---- mac4(k0, k1, k2, k3, out): four lanes over HDR (prepare first) → 4 tags at `out` ----
  {
    const b = new Body();
    // params 0..3 key addresses, 4 output address; v128 locals from 5:
    // 5..20 w ring, 21..28 a..h, 29 t1, 30 tmp, 31..38 inner digest, 39..46 initial state
    const V = 5;
    const W = (t: number) => V + (t % 16);
    const regs = [21, 22, 23, 24, 25, 26, 27, 28];
    const t1 = 29;
    const tmp = 30;
    const inner = [31, 32, 33, 34, 35, 36, 37, 38];
    const init = [39, 40, 41, 42, 43, 44, 45, 46];
    /** Loads word `w` of the four key states into one vector (lane l from key l). */
    const loadKeys = (w: number, dst: number) => {
      b.get(0).op(I32_LOAD, 2, ...uleb(4 * w)).simd(I32X4_SPLAT);
      for (let l = 1; l < 4; l++) b.get(l).op(I32_LOAD, 2, ...uleb(4 * w)).op(SIMD, ...uleb(I32X4_REPLACE_LANE), l);
      b.tee(dst).set(regs[w % 8]);
    };
    // Inner: state = key words 0..7; K + W broadcast from WK.
    for (let i = 0; i < 8; i++) loadKeys(i, init[i]);
    let fin = emitRounds(b, simdOps, regs, t1, tmp, (t) => void b.load(OFF.WK + 4 * t).simd(I32X4_SPLAT));
    for (let i = 0; i < 8; i++) {
      b.get(init[i]).get(fin[i]);
      simdOps.add(b);
      b.set(inner[i]);
    }
    // Outer: state = key words 8..15; block = inner digest ‖ padding, expanded per lane.
    for (let i = 0; i < 8; i++) loadKeys(8 + i, init[i]);
    const splat = (x: number) => void b.i32(x).simd(I32X4_SPLAT);
    fin = emitRounds(b, simdOps, regs, t1, tmp, (t) => {
      if (t < 8) b.get(inner[t]).tee(W(t));
      else if (t < 16) {
        splat(t === 8 ? 0x80000000 | 0 : t === 15 ? 768 : 0);
        b.tee(W(t));
      } else {
        sigma(b, simdOps, W(t - 2), tmp, 17, 19, 10, true);
        b.get(W(t - 7));
        simdOps.add(b);
        sigma(b, simdOps, W(t - 15), tmp, 7, 18, 3, true);
        simdOps.add(b);
        b.get(W(t - 16));
        simdOps.add(b);
        b.tee(W(t));
      }
      splat(K256[t]);
      simdOps.add(b);
    });
    // Truncated tags (words 0..3), lane l's tag contiguous at out + 16·l.
    for (let i = 0; i < 4; i++) {
      b.get(init[i]).get(fin[i]);
      simdOps.add(b);
      b.set(tmp);
      for (let l = 0; l < 4; l++) b.get(4).get(tmp).op(SIMD, ...uleb(I32X4_EXTRACT_LANE), l).store(16 * l + 4 * i);
    }
    b.op(END);
    funcs.push({ body: b, params: 5, locals: [[42, V128]] });
  }

  const types = [0, 1, 5].map((n) => [0x60, ...uleb(n), ...Array<number>(n).fill(I32), 0]); // (i32 × n) → ()
  const typeOf = (params: number) => [0, 1, 5].indexOf(params);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((f) => uleb(typeOf(f.params))))),
    ...section(5, vec([[0x00, 1]])), // memory: min 1 page
    ...section(7, vec([
      [...name('memory'), 0x02, 0],
      ...['prepare', 'mac1', 'mac4'].map((n, i) => [...name(n), 0x00, i]),
    ])),
    ...section(10, vec(funcs.map(({ body, locals }) => {
      const l = vec(locals.map(([n, t]) => [...uleb(n), t]));
      const code = [...l, ...body.code];
      return [...uleb(code.length), ...code];
    }))),
  ];
  return Uint8Array.from(bytes);
}

export interface HmacWasm {
  readonly memory: WasmMemory;
  /** Expands the inner block at HDR (header words 0..12 written by the host) into WK. */
  prepare(): void;
  /** One tag under the key state at byte address `key` (16 words) over HDR → OUT1. */
  mac1(key: number): void;
  /** Four tags over HDR (after `prepare`) under four key states; tag l at `out + 16·l`. */
  mac4(k0: number, k1: number, k2: number, k3: number, out: number): void;
}

/** First byte address free for the host (key states, output buffers). */
export const HEAP_BASE = 1024;

let compiled: object | null | undefined;

/**
 * A fresh instance (own memory, K and padding initialised); undefined if this runtime lacks
 * WebAssembly or its fixed-width SIMD. The module is compiled once per process.
 */
export function instantiateHmacWasm(): HmacWasm | undefined {
  if (compiled === undefined) {
    try {
      const bytes = buildModule();
      compiled = WASM && WASM.validate(bytes) ? new WASM.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return undefined;
  const e = new WASM!.Instance(compiled, {}).exports as HmacWasm;
  const mem = new Int32Array(e.memory.buffer);
  for (let t = 0; t < 64; t++) mem[OFF.K / 4 + t] = K256[t] | 0;
  mem[OFF.HDR / 4 + 13] = 0x80000000 | 0;
  mem[OFF.HDR / 4 + 14] = 0;
  mem[OFF.HDR / 4 + 15] = (64 + 52) * 8;
  return e;
}
