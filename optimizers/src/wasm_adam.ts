/**
 * The common Adam/AdamW step (no AMSGrad, no maximize, no L2 term) in
 * WebAssembly SIMD, four float32 lanes at a time, for the CPU backend. The
 * arithmetic is PyTorch's, in float32 and in its order:
 * `m = β₁·m + (1−β₁)·g`, `v = β₂·v + (1−β₂)·g·g`,
 * `p = p·decay + (−stepSize)·(m / (√v / √bc₂ + ε))`. The TypeScript kernel
 * (in `fused.ts`) computes the same in double precision; it is 5–8x slower
 * (a square root and a division per element).
 *
 * Runs in chunks: the parameter, gradient and both moments are copied into
 * the module's memory, updated there and copied back.
 *
 * @module
 */
import { wasmInfo } from "@dendrite/tensor";
import {
  instantiateWasm,
  WASM_OP,
  WASM_SIMD,
  WASM_TYPE,
  WasmCode,
  wasmModule,
} from "@dendrite/tensor/wasm";

/** Elements per chunk; the four arrays sit at 0, 1, 2 and 3 chunks' worth of bytes. */
const CHUNK = 4096;
const P = 0, G = CHUNK * 4, M = 2 * CHUNK * 4, V = 3 * CHUNK * 4;

type Kernel = (
  endBytes: number,
  beta1: number,
  c1: number,
  beta2: number,
  c2: number,
  bc2Sqrt: number,
  eps: number,
  negStep: number,
  decay: number,
) => void;

/** The module: `adam(endBytes, β₁, 1−β₁, β₂, 1−β₂, √bc₂, ε, −stepSize, decay)` over `[0, endBytes)`. */
function emit(): Uint8Array<ArrayBuffer> {
  const end = 0, scalars = 1, count = 8; // parameters: end, then 8 f32 scalars
  const o = 9, splat = 10; // i32 offset; v128 splats 10–17
  const [B1, C1, B2, C2, BC, EPS, NS, DEC] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => splat + i);
  const g = 18, m = 19, v = 20;
  const S = WASM_SIMD, w = new WasmCode();
  for (let i = 0; i < count; i++) w.get(scalars + i).simd(S.f32x4Splat).set(splat + i);
  w.i32(0).set(o);
  w.op(WASM_OP.loop, WASM_TYPE.empty);
  w.get(o).simd(S.load, ...w.mem(4, G)).set(g);
  // m = β₁·m + (1−β₁)·g
  w.get(B1).get(o).simd(S.load, ...w.mem(4, M)).simd(S.f32x4Mul);
  w.get(C1).get(g).simd(S.f32x4Mul).simd(S.f32x4Add).set(m);
  w.get(o).get(m).simd(S.store, ...w.mem(4, M));
  // v = β₂·v + (1−β₂)·g·g
  w.get(B2).get(o).simd(S.load, ...w.mem(4, V)).simd(S.f32x4Mul);
  w.get(C2).get(g).simd(S.f32x4Mul).get(g).simd(S.f32x4Mul).simd(S.f32x4Add).set(v);
  w.get(o).get(v).simd(S.store, ...w.mem(4, V));
  // p = p·decay + (−stepSize)·(m / (√v / √bc₂ + ε))
  w.get(o);
  w.get(o).simd(S.load, ...w.mem(4, P)).get(DEC).simd(S.f32x4Mul);
  w.get(NS).get(m);
  w.get(v).simd(S.f32x4Sqrt).get(BC).simd(S.f32x4Div).get(EPS).simd(S.f32x4Add);
  w.simd(S.f32x4Div).simd(S.f32x4Mul).simd(S.f32x4Add);
  w.simd(S.store, ...w.mem(4, P));
  w.get(o).i32(16).op(WASM_OP.i32Add).set(o);
  w.get(o).get(end).op(WASM_OP.i32LtS, WASM_OP.brIf, 0);
  w.op(WASM_OP.end);
  return wasmModule({
    name: "adam",
    params: [WASM_TYPE.i32, ...new Array(count).fill(WASM_TYPE.f32)],
    locals: [[1, WASM_TYPE.i32], [count + 3, WASM_TYPE.v128]],
    code: w,
  });
}

let kernel: Kernel | null = null;
let view: Float32Array | null = null;
let tried = false;

/** The step's attributes (see `AdamStepAttrs` in fused.ts). */
export interface WasmAdamAttrs {
  /** Learning rate divided by the first bias correction. */
  stepSize: number;
  /** β₁. */
  beta1: number;
  /** β₂. */
  beta2: number;
  /** √(second bias correction). */
  bc2Sqrt: number;
  /** ε. */
  eps: number;
  /** `1 − lr·wd` for AdamW, 1 for Adam. */
  decay: number;
}

/**
 * Updates `n` elements of the parameter and both moments in place.
 *
 * @returns False when the WebAssembly kernels are off or unavailable (the caller falls back).
 */
export function adamStepWasm(
  p: Float32Array,
  po: number,
  g: Float32Array,
  go: number,
  m: Float32Array,
  mo: number,
  v: Float32Array,
  vo: number,
  n: number,
  a: WasmAdamAttrs,
): boolean {
  if (!wasmInfo().enabled) return false;
  if (!tried) {
    tried = true;
    const r = instantiateWasm<Kernel>([emit()], 4 * CHUNK * 4, "adam");
    if ("kernel" in r) kernel = r.kernel.fn, view = r.kernel.f32;
  }
  if (!kernel || !view) return false;
  const f = view, run = kernel;
  for (let s = 0; s < n; s += CHUNK) {
    const len = Math.min(CHUNK, n - s);
    f.set(p.subarray(po + s, po + s + len), P / 4);
    f.set(g.subarray(go + s, go + s + len), G / 4);
    f.set(m.subarray(mo + s, mo + s + len), M / 4);
    f.set(v.subarray(vo + s, vo + s + len), V / 4);
    run(
      Math.ceil(len / 4) * 16,
      a.beta1,
      1 - a.beta1,
      a.beta2,
      1 - a.beta2,
      a.bc2Sqrt,
      a.eps,
      -a.stepSize,
      a.decay,
    );
    p.set(f.subarray(P / 4, P / 4 + len), po + s);
    m.set(f.subarray(M / 4, M / 4 + len), mo + s);
    v.set(f.subarray(V / 4, V / 4 + len), vo + s);
  }
  return true;
}
