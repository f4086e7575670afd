/**
 * A WebAssembly SIMD GEMM for the CPU backend when no native BLAS is loaded.
 *
 * The module is written here, byte by byte, by a small emitter (no binary
 * file ships with the package): one function, the macro-kernel, that runs a
 * register-tiled `MR × NR` micro-kernel over packed panels, four float32
 * lanes per instruction, with fused multiply-adds (`f32x4.relaxed_madd`)
 * where the runtime has relaxed SIMD and a multiply then an add where it has
 * only SIMD. TypeScript packs cache-sized panels of A and B into the
 * module's memory, the module writes a block of C there, and TypeScript
 * copies (or adds) that block into C.
 *
 * It is used when the runtime validates the module, unless
 * `DENDRITE_WASM=off` or {@link setWasmGemmEnabled} turns it off; then the
 * pure TypeScript kernel (`gemm.ts`) runs.
 *
 * @module
 */

/** Rows and columns of the micro-kernel's register tile. */
const MR = 4, NR = 8;
/** Cache blocks: rows of A per packed block, inner size per block, columns of B per panel. */
const MC = 64, KC = 256, NC = 512;
/** Rows of C per slab: the module holds a `MS × NC` block of C. */
const MS = 512;

// ---------------------------------------------------------------------------
// The emitter: just what the macro-kernel needs.

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  while (true) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

const I32 = 0x7f, V128 = 0x7b, EMPTY = 0x40;
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32LtS: 0x48,
  i32GeS: 0x4e,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  simd: 0xfd,
} as const;
const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f32x4RelaxedMadd: 0x105,
} as const;

/**
 * The module's bytes: it imports `env.mem` and exports
 * `kernel(mc, nc, kc, aPtr, bPtr, cPtr, ldcBytes, accumulate)`, which sets
 * (or, with `accumulate`, adds to) the `mc × nc` block of C at `cPtr` to the
 * product of the packed A (`mc/MR` panels of `kc × MR`) and packed B (`nc/NR`
 * panels of `kc × NR`). `mc` and `nc` are multiples of MR and NR, `kc ≥ 1`.
 */
function emitModule(fused: boolean): Uint8Array<ArrayBuffer> {
  const NV = NR / 4; // vectors per row of the tile
  // Parameters 0–7; i32 locals 8–13; v128 locals from 14.
  const [mc, nc, kc, aPtr, bPtr, cPtr, ldc, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [j, i, ap, bp, aEnd, cp] = [8, 9, 10, 11, 12, 13];
  const acc = 14, bv = acc + MR * NV, av = bv + NV;
  const code: number[] = [];
  const e = (...b: number[]) => code.push(...b);
  const get = (l: number) => e(OP.localGet, ...uleb(l));
  const set = (l: number) => e(OP.localSet, ...uleb(l));
  const i32 = (v: number) => e(OP.i32Const, ...sleb(v));
  const simd = (op: number, ...imm: number[]) => e(OP.simd, ...uleb(op), ...imm);
  const mem = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];
  const panelStart = (base: number, index: number, out: number) => {
    // out = base + index · kc · 4 (bytes): panel `index / R` of `kc × R` floats.
    get(base), get(index), get(kc), e(OP.i32Mul), i32(2), e(OP.i32Shl), e(OP.i32Add), set(out);
  };

  i32(0), set(j);
  e(OP.block, EMPTY), e(OP.loop, EMPTY); // for (j = 0; j < nc; j += NR)
  get(j), get(nc), e(OP.i32GeS), e(OP.brIf, 1);
  i32(0), set(i);
  e(OP.block, EMPTY), e(OP.loop, EMPTY); // for (i = 0; i < mc; i += MR)
  get(i), get(mc), e(OP.i32GeS), e(OP.brIf, 1);
  panelStart(aPtr, i, ap);
  panelStart(bPtr, j, bp);
  get(ap), get(kc), i32(MR * 4), e(OP.i32Mul), e(OP.i32Add), set(aEnd);
  for (let r = 0; r < MR * NV; r++) simd(SIMD.const, ...new Array(16).fill(0)), set(acc + r);
  e(OP.loop, EMPTY); // for (p = 0; p < kc; p++)
  for (let v = 0; v < NV; v++) get(bp), simd(SIMD.load, ...mem(4, v * 16)), set(bv + v);
  for (let r = 0; r < MR; r++) {
    get(ap), simd(SIMD.load32Splat, ...mem(2, r * 4)), set(av);
    for (let v = 0; v < NV; v++) {
      const t = acc + r * NV + v;
      if (fused) get(av), get(bv + v), get(t), simd(SIMD.f32x4RelaxedMadd);
      else get(t), get(av), get(bv + v), simd(SIMD.f32x4Mul), simd(SIMD.f32x4Add);
      set(t);
    }
  }
  get(ap), i32(MR * 4), e(OP.i32Add), set(ap);
  get(bp), i32(NR * 4), e(OP.i32Add), set(bp);
  get(ap), get(aEnd), e(OP.i32LtS), e(OP.brIf, 0);
  e(OP.end);
  // cp = cPtr + i · ldc + j · 4
  get(cPtr), get(i), get(ldc), e(OP.i32Mul), e(OP.i32Add);
  get(j), i32(2), e(OP.i32Shl), e(OP.i32Add), set(cp);
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NV; v++) {
      const t = acc + r * NV + v;
      get(cp);
      get(accumulate), e(OP.if, V128);
      get(t), get(cp), simd(SIMD.load, ...mem(4, v * 16)), simd(SIMD.f32x4Add);
      e(OP.else), get(t);
      e(OP.end);
      simd(SIMD.store, ...mem(4, v * 16));
    }
    get(cp), get(ldc), e(OP.i32Add), set(cp);
  }
  get(i), i32(MR), e(OP.i32Add), set(i);
  e(OP.br, 0), e(OP.end), e(OP.end);
  get(j), i32(NR), e(OP.i32Add), set(j);
  e(OP.br, 0), e(OP.end), e(OP.end);
  e(OP.end);

  const locals = vector([[...uleb(6), I32], [...uleb(MR * NV + NV + 1), V128]]);
  const body = [...locals, ...code];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector([[0x60, ...vector(new Array(8).fill([I32])), 0]])),
    ...section(2, vector([[...name("env"), ...name("mem"), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name("kernel"), 0x00, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}

// ---------------------------------------------------------------------------
// Loading and switching.

/** Whether the WebAssembly GEMM is used and why. */
export interface WasmGemmInfo {
  /** True when GEMM calls that BLAS does not take run in WebAssembly SIMD. */
  enabled: boolean;
  /** True when the kernel uses fused multiply-adds (relaxed SIMD). */
  fused: boolean;
  /** Why it is off, when it is. */
  reason?: string;
}

type Kernel = (
  mc: number,
  nc: number,
  kc: number,
  aPtr: number,
  bPtr: number,
  cPtr: number,
  ldcBytes: number,
  accumulate: number,
) => void;

const A_PTR = 0, B_PTR = A_PTR + MC * KC * 4, C_PTR = B_PTR + KC * NC * 4;
const BYTES = C_PTR + MS * NC * 4;

let kernel: Kernel | null = null;
let view: Float32Array | null = null;
let fused = false;
let reason: string | undefined;
let tried = false;
let enabled = true;

function envOff(): boolean {
  // deno-lint-ignore no-explicit-any
  const D = (globalThis as any).Deno;
  try {
    if (
      D?.permissions?.querySync?.({ name: "env", variable: "DENDRITE_WASM" }).state !== "granted"
    ) {
      return false;
    }
    const v = D.env.get("DENDRITE_WASM");
    return !!v && ["off", "0", "none", "false"].includes(v.toLowerCase());
  } catch {
    return false;
  }
}

function tryLoad(): void {
  tried = true;
  if (envOff()) {
    reason = "disabled by DENDRITE_WASM";
    return;
  }
  if (typeof WebAssembly !== "object") {
    reason = "no WebAssembly in this runtime";
    return;
  }
  for (const f of [true, false]) {
    const bytes = emitModule(f);
    if (!WebAssembly.validate(bytes)) continue;
    try {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(BYTES / 65536) });
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
        env: { mem: memory },
      });
      kernel = instance.exports.kernel as Kernel;
      view = new Float32Array(memory.buffer);
      fused = f;
      return;
    } catch (e) {
      reason = `could not instantiate the WebAssembly GEMM (${(e as Error).message})`;
      return;
    }
  }
  reason = "this runtime has no WebAssembly SIMD";
}

/**
 * Reports whether GEMMs that native BLAS does not take run in WebAssembly
 * SIMD (else in the pure TypeScript kernel).
 *
 * @returns The state, and why it is off when it is.
 * @example
 * ```ts
 * import { wasmGemmInfo } from "@dendrite/tensor";
 * const info = wasmGemmInfo();
 * console.log(info.enabled ? `WebAssembly SIMD GEMM (fused: ${info.fused})` : info.reason);
 * ```
 */
export function wasmGemmInfo(): WasmGemmInfo {
  if (!tried) tryLoad();
  const on = enabled && kernel !== null;
  return {
    enabled: on,
    fused: on && fused,
    reason: on ? undefined : enabled ? reason : "disabled by setWasmGemmEnabled(false)",
  };
}

/**
 * Turns the WebAssembly SIMD GEMM on or off for this process; when off (or
 * unavailable), products that native BLAS does not take run in the pure
 * TypeScript kernel.
 *
 * @param on Use the WebAssembly GEMM where the runtime has SIMD.
 * @example
 * ```ts
 * import { setWasmGemmEnabled, wasmGemmInfo } from "@dendrite/tensor";
 * setWasmGemmEnabled(false);
 * console.assert(!wasmGemmInfo().enabled);
 * setWasmGemmEnabled(true);
 * ```
 */
export function setWasmGemmEnabled(on: boolean): void {
  enabled = on;
}

// ---------------------------------------------------------------------------
// The driver.

/**
 * `C[m×n] = op(A)[m×k] · op(B)[k×n]` (or `+=` with `accumulate`) through the
 * WebAssembly kernel; the contract of `gemm` in gemm.ts.
 *
 * @returns False when the WebAssembly GEMM is off or unavailable (the caller falls back).
 */
export function wasmSgemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  accumulate = false,
): boolean {
  if (!enabled) return false;
  if (!tried) tryLoad();
  if (!kernel || !view) return false;
  const run = kernel, f = view;
  if (k === 0) {
    if (!accumulate) { for (let r = 0; r < m; r++) c.fill(0, cOff + r * ldc, cOff + r * ldc + n); }
    return true;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc), ncPad = Math.ceil(nc / NR) * NR;
    for (let is = 0; is < m; is += MS) {
      const ms = Math.min(MS, m - is);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(f, transB, b, bOff, ldb, pc, jc, kc, nc);
        for (let ic = 0; ic < ms; ic += MC) {
          const mc = Math.min(MC, ms - ic), mcPad = Math.ceil(mc / MR) * MR;
          packA(f, transA, a, aOff, lda, is + ic, pc, mc, kc);
          run(mcPad, ncPad, kc, A_PTR, B_PTR, C_PTR + ic * NC * 4, NC * 4, pc > 0 ? 1 : 0);
        }
      }
      // Copy (or add) the slab's block into C.
      const src0 = C_PTR >> 2;
      for (let r = 0; r < ms; r++) {
        const s = src0 + r * NC, d = cOff + (is + r) * ldc + jc;
        if (accumulate) { for (let q = 0; q < nc; q++) c[d + q] += f[s + q]; }
        else c.set(f.subarray(s, s + nc), d);
      }
    }
  }
  return true;
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] at B_PTR as NR-column panels `[panel][p][NR]`, zero-padded. */
function packB(
  f: Float32Array,
  trans: boolean,
  b: Float32Array,
  bOff: number,
  ldb: number,
  pc: number,
  jc: number,
  kc: number,
  nc: number,
): void {
  let o = B_PTR >> 2;
  for (let j = 0; j < nc; j += NR) {
    const w = Math.min(NR, nc - j);
    if (!trans) {
      // B[p][col] at b[bOff + p·ldb + col]: each row of the panel is contiguous.
      let src = bOff + pc * ldb + jc + j;
      if (w === NR) {
        for (let p = 0; p < kc; p++, src += ldb, o += NR) {
          f[o] = b[src], f[o + 1] = b[src + 1], f[o + 2] = b[src + 2], f[o + 3] = b[src + 3];
          f[o + 4] = b[src + 4],
            f[o + 5] = b[src + 5],
            f[o + 6] = b[src + 6],
            f[o + 7] = b[src + 7];
        }
      } else {
        for (let p = 0; p < kc; p++, src += ldb, o += NR) {
          for (let q = 0; q < NR; q++) f[o + q] = q < w ? b[src + q] : 0;
        }
      }
    } else {
      // B[p][col] at b[bOff + col·ldb + p]: each column of the panel is contiguous.
      for (let q = 0; q < NR; q++) {
        if (q < w) {
          const src = bOff + (jc + j + q) * ldb + pc;
          for (let p = 0; p < kc; p++) f[o + p * NR + q] = b[src + p];
        } else {
          for (let p = 0; p < kc; p++) f[o + p * NR + q] = 0;
        }
      }
      o += kc * NR;
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] at A_PTR as MR-row panels `[panel][p][MR]`, zero-padded. */
function packA(
  f: Float32Array,
  trans: boolean,
  a: Float32Array,
  aOff: number,
  lda: number,
  ic: number,
  pc: number,
  mc: number,
  kc: number,
): void {
  let o = A_PTR >> 2;
  for (let i = 0; i < mc; i += MR) {
    const h = Math.min(MR, mc - i);
    if (trans) {
      // A[row][p] at a[aOff + p·lda + row]: each step of the panel is contiguous.
      let src = aOff + pc * lda + ic + i;
      if (h === MR) {
        for (let p = 0; p < kc; p++, src += lda, o += MR) {
          f[o] = a[src], f[o + 1] = a[src + 1], f[o + 2] = a[src + 2], f[o + 3] = a[src + 3];
        }
      } else {
        for (let p = 0; p < kc; p++, src += lda, o += MR) {
          for (let q = 0; q < MR; q++) f[o + q] = q < h ? a[src + q] : 0;
        }
      }
    } else {
      // A[row][p] at a[aOff + row·lda + p]: each row of the panel is contiguous.
      for (let q = 0; q < MR; q++) {
        if (q < h) {
          const src = aOff + (ic + i + q) * lda + pc;
          for (let p = 0; p < kc; p++) f[o + p * MR + q] = a[src + p];
        } else {
          for (let p = 0; p < kc; p++) f[o + p * MR + q] = 0;
        }
      }
      o += kc * MR;
    }
  }
}
