/**
 * Convolutions: `conv2d`, `conv1d`, `convTranspose2d`, `convTranspose1d`,
 * with stride, padding (including "same"), dilation and groups.
 *
 * CPU kernels, by case:
 * - oneDNN loaded (cpu/dnnl.ts; `libdnnl2` on Debian and Ubuntu): every
 *   convolution and both gradients run as its primitives, which is what
 *   PyTorch's CPU convolutions do; the cases below are for machines
 *   without it, or with it turned off;
 * - stride 1, 16+ channels per group, native BLAS: `kh` GEMMs over
 *   row-shifted copies of the input (conv_shifted.ts), and a joint backward
 *   kernel for dx and dw;
 * - stride 1, 3×3 kernel without dilation: Winograd F(2×2, 3×3)
 *   (conv_winograd.ts) for the output and dx, and for dw with 4+ input
 *   channels per group, for depthwise-like layers, and without native BLAS
 *   for layers with 16+ input and output channels per group (every layer when
 *   the GEMM is plain TypeScript);
 * - otherwise im2col + GEMM: one GEMM per image and group when that product
 *   is at least 2^15 multiply-adds (the im2col matrix taken by block copies
 *   from the shifted layout when the stride is 1 and the output as wide as
 *   its rows), else one per group over the whole batch.
 *
 * @module
 */
import { hasKernel, type KernelOutput, registerKernel, type TensorInfo } from "../../backend.ts";
import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { record } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import {
  cpuAllocF32,
  cpuAllocF32Overwritten,
  cpuContiguous,
  cpuData,
  cpuOutput,
  type CpuStorage,
} from "../../cpu/backend.ts";
import { gemm } from "../../cpu/gemm.ts";
import { blasInfo } from "../../cpu/blas.ts";
import { wasmInfo } from "../../cpu/wasm_emit.ts";
import {
  dnnlConvBackwardData,
  dnnlConvBackwardWeights,
  dnnlConvForward,
  type DnnlConvGeometry,
  dnnlReady,
} from "../../cpu/dnnl.ts";
import { run } from "../define.ts";
import {
  activateInPlace,
  checkActivation,
  type FusedActivation,
  throughActivation,
} from "../../fused.ts";
import { add } from "../arith.ts";
import { sum } from "../reduce.ts";
import { reshape, squeeze, unsqueeze } from "../movement.ts";
import { pad as padOp } from "../shape/transform.ts";
import { col2im, im2col, outSize, type Window2d } from "./im2col.ts";
import {
  buildShifted,
  colFromShifted,
  type GradientScratch,
  rowChunks,
  rowForward,
  type RowGeometry,
  rowGeometry,
  rowGradients,
  stackedWeights,
  weightRows,
  withImages,
} from "./conv_shifted.ts";
import { winogradConv, type WinogradShape, winogradWeightGrad } from "./conv_winograd.ts";
import { scratch } from "./scratch.ts";

/**
 * What the "x3" scratch holds: the shifted copies of which input (storage
 * array, offset and strides) for which layout and chunk. A forward kernel
 * always builds its copies and records them here; a backward kernel for the
 * same input finds them here and skips rebuilding (they hold the values the
 * forward pass used, which are what the gradient is of).
 */
let x3Holds: { data: unknown; key: string } | null = null;

/**
 * The shifted copies of images `[b0, b0 + gc.n)` of `x` in the "x3" scratch:
 * built when `build` or when the scratch holds something else, else reused.
 */
function shiftedInput(
  x: TensorInfo,
  xs: Float32Array,
  b0: number,
  gc: RowGeometry,
  build: boolean,
): Float32Array {
  const x3 = scratch("x3", gc.cin * gc.kw * gc.ld);
  const data = cpuData(x);
  const key = `${x.offset}|${x.strides.join(",")}|${b0}|${JSON.stringify(gc)}`;
  if (build || x3Holds?.data !== data || x3Holds.key !== key) {
    x3Holds = null;
    buildShifted(xs.subarray(b0 * gc.cin * gc.h * gc.w), gc, x3);
    x3Holds = { data, key };
  }
  return x3;
}

/** The scratch of `rowGradients` for a geometry ("dy3" and "tmp"). */
function gradientScratch(geo: RowGeometry): GradientScratch {
  const { width } = rowChunks(geo);
  return {
    d3: scratch("dy3", geo.cout * geo.kh * width),
    dx3: scratch("tmp", geo.cin * geo.kw * width),
    width,
  };
}

/** Convolution geometry after normalisation. */
interface ConvAttrs extends Window2d {
  groups: number;
}

/**
 * The CPU convolution algorithm: "auto" picks per call (see `shiftedGeometry`
 * and `winogradApplies`).
 */
export type ConvAlgorithm = "auto" | "im2col" | "shifted" | "winograd" | "dnnl";
let convAlgorithm: ConvAlgorithm = "auto";

/**
 * Forces the CPU convolution algorithm (internal: tests and benchmarks
 * compare the two; not exported from the package).
 *
 * @param algo "auto", "im2col", "shifted" (stride-1 convolutions only),
 *   "winograd" (3×3 stride-1 convolutions without dilation; im2col for the
 *   others) or "dnnl" (oneDNN when loaded; "auto"'s choice otherwise).
 * @returns The previous setting.
 */
export function _setConvAlgorithm(algo: ConvAlgorithm): ConvAlgorithm {
  const prev = convAlgorithm;
  convAlgorithm = algo;
  return prev;
}

/** The row-shifted geometry of a stride-1 convolution (undefined for other strides). */
function stride1Geometry(
  a: ConvAttrs,
  [n, c, h, w]: readonly number[],
  f: number,
): RowGeometry | undefined {
  if (a.sh !== 1 || a.sw !== 1) return undefined;
  return rowGeometry(n, c, f, a.groups, h, w, a.kh, a.kw, a.ph, a.pw, a.dh, a.dw);
}

/**
 * The geometry for oneDNN (cpu/dnnl.ts) when a convolution may run there:
 * "auto" or "dnnl" (the other settings force Dendrite's own kernels), and
 * oneDNN loaded and enabled (checked by the dnnl functions, which also
 * decline geometries oneDNN rejects). oneDNN is what PyTorch's CPU
 * convolutions run on: with AVX-512 it does the 32 → 64 layer of the
 * benchmarks at 14×14 (batch 64) in about 2 ms forward and 6 ms forward and
 * backward, where OpenBLAS's AVX2 kernels under the shifted GEMMs take 4.3
 * and 14.7.
 */
function dnnlGeometry(
  a: ConvAttrs,
  [n, c, h, w]: readonly number[],
  f: number,
  oh: number,
  ow: number,
): DnnlConvGeometry | undefined {
  if (convAlgorithm !== "auto" && convAlgorithm !== "dnnl") return undefined;
  if (n * c * h * w * f * oh * ow === 0 || !dnnlReady()) return undefined;
  const { groups, kh, kw, sh, sw, ph, pw, dh, dw } = a;
  return { n, c, h, w, f, groups, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw };
}

/**
 * The row-shifted geometry when a convolution runs as shifted GEMMs
 * (conv_shifted.ts), else undefined: stride 1, native BLAS (the other GEMMs
 * pack their operands in TypeScript, so the few thin products cost more than
 * one im2col product there, or Winograd's), enough channels per group that each
 * GEMM's inner size is worth a call, a kernel larger than 1×1, padding
 * within the kernel's reach, and a computed grid not much larger than the
 * output.
 */
function shiftedGeometry(
  a: ConvAttrs,
  shape: readonly number[],
  f: number,
): RowGeometry | undefined {
  if (convAlgorithm === "im2col" || convAlgorithm === "winograd") return undefined;
  const geo = stride1Geometry(a, shape, f);
  if (!geo || convAlgorithm === "shifted") return geo;
  if (!blasInfo().enabled) return undefined;
  const cg = shape[1] / a.groups;
  const useful = geo.oh * geo.ow;
  return cg >= 16 && a.kh * a.kw > 1 && geo.plane <= 2 * useful ? geo : undefined;
}

/**
 * Whether a convolution with `cg` input and `fg` output channels per group
 * runs as Winograd F(2×2, 3×3) (conv_winograd.ts): stride 1, a 3×3 kernel
 * without dilation, and, unless forced:
 * - for depthwise-like layers (1 input and at most 2 output channels per
 *   group), whose products are too small for any GEMM (64 depthwise
 *   channels at 28×28 with BLAS: 59 → 42 ms);
 * - with native BLAS, no others: OpenBLAS's products are fast enough that
 *   the transforms, in TypeScript, cost more than the multiply-adds they save
 *   (1 → 32 channels: 3.5 ms against 7.7);
 * - with the WebAssembly GEMM, when both channel counts per group are 16 or
 *   more (dx swaps them): 32 → 64 at 14×14, batch 64, forward 17.3 → 11.8
 *   ms; thinner layers lose (1 → 32 at 28×28: 2.7 against 4.6 ms; with one
 *   output channel per group, dx's products are matrix-vector products);
 * - with plain TypeScript GEMMs, always: it was faster than im2col for the
 *   output and dx at every channel count measured (1 to 256 per group,
 *   depthwise included, 1×1 to 28×28 images).
 * The weight gradient has its own rule (`weightGradCpu`).
 */
function winogradApplies(a: ConvAttrs, cg: number, fg: number): boolean {
  if (a.sh !== 1 || a.sw !== 1 || a.kh !== 3 || a.kw !== 3 || a.dh !== 1 || a.dw !== 1) {
    return false;
  }
  if (convAlgorithm === "winograd") return true;
  if (convAlgorithm !== "auto") return false;
  if (cg === 1 && fg <= 2) return true;
  if (blasInfo().enabled) return false;
  return Math.min(cg, fg) >= 16 || !wasmInfo().enabled;
}

/**
 * Whether every element is finite. Winograd's transforms mix values that a
 * direct convolution keeps apart (an infinity meets a subtraction before
 * the products that would cancel it), so a NaN or infinity would spread to
 * outputs outside its receptive field and infinities would turn into NaN;
 * such operands take im2col, which gives PyTorch's pattern. One branch-free
 * pass: `x·0` is NaN exactly when `x` is not finite.
 */
function allFinite(a: Float32Array): boolean {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i] * 0;
  return acc === 0;
}

/** The Winograd kernel's view of a convolution of `x`-shaped input. */
function winogradShape(a: ConvAttrs, [n, c, h, w]: readonly number[], f: number): WinogradShape {
  return {
    n,
    c,
    h,
    w,
    f,
    groups: a.groups,
    ph: a.ph,
    pw: a.pw,
    oh: h + 2 * a.ph - 2,
    ow: w + 2 * a.pw - 2,
  };
}

/**
 * The most scratch memory (floats) the shifted kernels use at once: larger
 * batches run in chunks of images, each chunk with its own layout, so a
 * big layer (64 channels at 224×224, say) does not hold copies of the whole
 * batch. Exported for tests.
 */
export const SHIFTED_BUDGET = { floats: 1 << 24 };

/**
 * Runs `fn(b0, geo)` over chunks of the batch whose scratch, at
 * `floatsPerImage` per image, stays within {@link SHIFTED_BUDGET}; `geo` is
 * the chunk's geometry and `b0` its first image.
 */
function inChunks(
  geo: RowGeometry,
  floatsPerImage: number,
  fn: (b0: number, geo: RowGeometry) => void,
): void {
  const nb = Math.max(1, Math.floor(SHIFTED_BUDGET.floats / floatsPerImage));
  for (let b0 = 0; b0 < geo.n; b0 += nb) {
    const m = Math.min(nb, geo.n - b0);
    fn(b0, m === geo.n ? geo : withImages(geo, m));
  }
}

/**
 * Whether the im2col algorithm runs one GEMM per image (a per-image product
 * of at least 2^15 multiply-adds): each product then reads the image's `dy`
 * and writes its output where they already are, `[F, P]` per image, instead
 * of one GEMM over the whole batch plus a reordering copy of the output or of
 * `dy` (for 1→32 channels at 28×28 with OpenBLAS the copy cost more than the
 * product; the TypeScript GEMM gains 4-16% on the W2 and W4 workloads).
 */
function perImage(fg: number, k: number, p: number): boolean {
  return fg * k * p >= 1 << 15;
}

/**
 * The input's shifted copies (conv_shifted.ts) for building each image's
 * im2col matrix by block copies, when the convolution has stride 1 and its
 * output is as wide as the layout's rows; else undefined (element-wise
 * im2col).
 */
function rowLayout(
  a: ConvAttrs,
  x: TensorInfo,
  f: number,
  xs: Float32Array,
  build: boolean,
): { geo: RowGeometry; x3: Float32Array } | undefined {
  const geo = stride1Geometry(a, x.shape, f);
  if (!geo || geo.ws !== geo.ow) return undefined;
  return { geo, x3: shiftedInput(x, xs, 0, geo, build) };
}

/**
 * Calls `fn(b, gi, col)` with the im2col matrix `[(C/g)·kh·kw, oh·ow]` of
 * every image `b` and group `gi` of `x` (one reused buffer); `forward` says
 * whether the shifted copies must be built afresh (see `shiftedInput`).
 */
function eachImageCol(
  x: TensorInfo,
  xs: Float32Array,
  f: number,
  a: ConvAttrs,
  oh: number,
  ow: number,
  forward: boolean,
  fn: (b: number, gi: number, col: Float32Array) => void,
): void {
  const [n, c, h, w] = x.shape;
  const g = a.groups, cg = c / g, chw = c * h * w;
  const col = scratch("col", cg * a.kh * a.kw * oh * ow);
  const rows = rowLayout(a, x, f, xs, forward);
  for (let b = 0; b < n; b++) {
    const xb = xs.subarray(b * chw, (b + 1) * chw);
    for (let gi = 0; gi < g; gi++) {
      if (rows) colFromShifted(rows.x3, rows.geo, b, gi * cg, cg, col);
      else im2col(xb, 1, c, h, w, gi * cg, cg, a, oh, ow, col);
      fn(b, gi, col);
    }
  }
}

registerKernel("Conv2d", "cpu", ([x, w, bias], a: ConvForwardAttrs) => {
  const [out] = conv2dCpu(x, w, bias, a);
  if (a.activation) activateInPlace((out.storage as CpuStorage).data as Float32Array, a.activation);
  return [out];
});

/** The forward convolution's attributes (geometry, output size, fused activation). */
type ConvForwardAttrs = ConvAttrs & { oh: number; ow: number; activation?: FusedActivation };

function conv2dCpu(
  x: TensorInfo,
  w: TensorInfo,
  bias: TensorInfo | undefined,
  a: ConvForwardAttrs,
): KernelOutput[] {
  const [n, c, h, wd] = x.shape;
  const [f, cg, kh, kw] = w.shape;
  const { groups: g, oh, ow } = a;
  const fg = f / g, K = cg * kh * kw, P = oh * ow, NP = n * P;
  const xs = cpuContiguous(x) as Float32Array, ws = cpuContiguous(w) as Float32Array;
  const bs = bias ? cpuContiguous(bias) as Float32Array : undefined;
  const out = cpuAllocF32Overwritten(n * f * P);
  const dg = dnnlGeometry({ ...a, kh, kw }, x.shape, f, oh, ow);
  if (dg && dnnlConvForward(dg, xs, ws, bs, out)) return [cpuOutput(out, [n, f, oh, ow])];
  const geo = shiftedGeometry(a, [n, c, h, wd], f);
  if (geo) {
    const wr = weightRows(ws, f, cg, kh, kw);
    inChunks(geo, c * kw * geo.plane, (b0, gc) => {
      const x3 = shiftedInput(x, xs, b0, gc, true);
      const tmp = scratch("tmp", f * Math.min(gc.len, rowChunks(gc).per * gc.plane));
      rowForward(x3, wr, gc, tmp, out.subarray(b0 * f * P), bs);
    });
    return [cpuOutput(out, [n, f, oh, ow])];
  }
  if (winogradApplies(a, cg, fg) && allFinite(ws) && allFinite(xs)) {
    winogradConv(xs, ws, winogradShape(a, x.shape, f), bs, out);
    return [cpuOutput(out, [n, f, oh, ow])];
  }
  if (perImage(fg, K, P)) {
    eachImageCol(x, xs, f, a, oh, ow, true, (b, gi, col) => {
      const o = (b * f + gi * fg) * P;
      // The bias goes in first and the product is added to it.
      if (bs) {
        for (let fi = 0; fi < fg; fi++) out.fill(bs[gi * fg + fi], o + fi * P, o + fi * P + P);
      }
      gemm(false, false, fg, P, K, ws, gi * fg * K, K, col, 0, P, out, o, P, bs !== undefined);
    });
    return [cpuOutput(out, [n, f, oh, ow])];
  }
  const col = scratch("col", K * NP);
  const tmp = scratch("tmp", fg * NP);
  for (let gi = 0; gi < g; gi++) {
    im2col(xs, n, c, h, wd, gi * cg, cg, a, oh, ow, col);
    gemm(false, false, fg, NP, K, ws, gi * fg * K, K, col, 0, NP, tmp, 0, NP);
    for (let fi = 0; fi < fg; fi++) {
      const bv = bs ? bs[gi * fg + fi] : 0;
      for (let b = 0; b < n; b++) {
        const src = fi * NP + b * P, dst = (b * f + gi * fg + fi) * P;
        if (bv === 0) out.set(tmp.subarray(src, src + P), dst);
        else for (let p = 0; p < P; p++) out[dst + p] = tmp[src + p] + bv;
      }
    }
  }
  return [cpuOutput(out, [n, f, oh, ow])];
}

/** The backward kernels' attributes: the geometry plus the input's size. */
type ConvGradAttrs = ConvAttrs & { h: number; w: number; c: number };

/** dx of a convolution: `[n, c, h, w]` from `dy` and the weights. */
function inputGradCpu(dy: TensorInfo, w: TensorInfo, a: ConvGradAttrs): Float32Array {
  const [n, f, oh, ow] = dy.shape;
  const [, cg, kh, kw] = w.shape;
  const { groups: g, h, w: wd, c } = a;
  const fg = f / g, K = cg * kh * kw, P = oh * ow, NP = n * P;
  const ys = cpuContiguous(dy) as Float32Array, ws = cpuContiguous(w) as Float32Array;
  // oneDNN's input gradient sums many output channels into each single
  // input channel slowly (1 → 32 channels at 28×28, batch 64: 2.3 ms against
  // 1.4 for im2col with OpenBLAS; from 2 input channels on, and for
  // depthwise layers, it is the faster one).
  const dg = cg === 1 && fg > 2
    ? undefined
    : dnnlGeometry({ ...a, kh, kw }, [n, c, h, wd], f, oh, ow);
  if (dg) {
    const dx = cpuAllocF32Overwritten(n * c * h * wd);
    if (dnnlConvBackwardData(dg, ys, ws, dx)) return dx;
  }
  const geo = shiftedGeometry(a, [n, c, h, wd], f);
  if (geo) {
    const wst = stackedWeights(ws, f, cg, g, kh, kw);
    const dx = cpuAllocF32Overwritten(n * c * h * wd);
    // (rowGradients keeps its scratch small itself, chunk by chunk.)
    rowGradients(ys, geo, gradientScratch(geo), { dx, wst });
    return dx;
  }
  // (dx's convolution has fg input and cg output channels per group.)
  if (a.ph <= 2 && a.pw <= 2 && winogradApplies(a, fg, cg) && allFinite(ws) && allFinite(ys)) {
    // dx is the convolution of dy with the flipped weights, each group's
    // [fg, cg] block transposed, padded by 2 − p.
    const wt = new Float32Array(ws.length);
    for (let gi = 0; gi < g; gi++) {
      for (let fi = 0; fi < fg; fi++) {
        for (let ci = 0; ci < cg; ci++) {
          const src = ((gi * fg + fi) * cg + ci) * 9, dst = ((gi * cg + ci) * fg + fi) * 9;
          for (let t = 0; t < 9; t++) wt[dst + t] = ws[src + 8 - t];
        }
      }
    }
    const dx = cpuAllocF32Overwritten(n * c * h * wd);
    const flipped = { ...a, ph: 2 - a.ph, pw: 2 - a.pw };
    winogradConv(ys, wt, winogradShape(flipped, dy.shape, c), undefined, dx);
    return dx;
  }
  // col2im adds into dx: it starts from zeros.
  const dx = cpuAllocF32(n * c * h * wd);
  if (perImage(fg, K, P)) {
    const col = scratch("col", K * P), chw = c * h * wd;
    for (let b = 0; b < n; b++) {
      const dxb = dx.subarray(b * chw, (b + 1) * chw);
      for (let gi = 0; gi < g; gi++) {
        gemm(true, false, K, P, fg, ws, gi * fg * K, K, ys, (b * f + gi * fg) * P, P, col, 0, P);
        col2im(col, 1, c, h, wd, gi * cg, cg, a, oh, ow, dxb);
      }
    }
    return dx;
  }
  const dyg = scratch("dyg", fg * NP);
  const col = scratch("col", K * NP);
  for (let gi = 0; gi < g; gi++) {
    for (let fi = 0; fi < fg; fi++) {
      for (let b = 0; b < n; b++) {
        const src = (b * f + gi * fg + fi) * P;
        dyg.set(ys.subarray(src, src + P), fi * NP + b * P);
      }
    }
    gemm(true, false, K, NP, fg, ws, gi * fg * K, K, dyg, 0, NP, col, 0, NP);
    col2im(col, n, c, h, wd, gi * cg, cg, a, oh, ow, dx);
  }
  return dx;
}

/** dw of a convolution: `[f, c/groups, kh, kw]` from the input and `dy`. */
function weightGradCpu(x: TensorInfo, dy: TensorInfo, a: ConvAttrs & { kh: number; kw: number }) {
  const [n, c, h, wd] = x.shape;
  const [, f, oh, ow] = dy.shape;
  const { groups: g, kh, kw } = a;
  const cg = c / g, fg = f / g, K = cg * kh * kw, P = oh * ow, NP = n * P;
  const xs = cpuContiguous(x) as Float32Array, ys = cpuContiguous(dy) as Float32Array;
  const dw = new Float32Array(f * K);
  const dg = dnnlGeometry(a, x.shape, f, oh, ow);
  if (dg && dnnlConvBackwardWeights(dg, xs, ys, dw)) return dw;
  const geo = shiftedGeometry(a, [n, c, h, wd], f);
  if (geo) {
    const part = new Float32Array(dw.length);
    // Chunks of the batch bound the input's shifted copies.
    inChunks(geo, c * kw * geo.plane, (b0, gc) => {
      const x3 = shiftedInput(x, xs, b0, gc, false);
      rowGradients(ys.subarray(b0 * f * P), gc, gradientScratch(gc), {
        dw: b0 === 0 ? dw : part,
        x3,
      });
      if (b0 > 0) { for (let i = 0; i < dw.length; i++) dw[i] += part[i]; }
    });
    return dw;
  }
  // The 16 products are [fg × tiles]·[tiles × cg]: with fewer than 4 input
  // channels per group they are too thin for the packed GEMM (forward and
  // dw, 3 → 32 channels at 28×28: 49 ms with im2col, 81 with Winograd;
  // forward and both gradients, 1 → 32: 43 ms with im2col's dw, 70 without).
  const thickEnough = cg >= 4 || convAlgorithm === "winograd";
  if (thickEnough && winogradApplies(a, cg, fg) && allFinite(xs) && allFinite(ys)) {
    return winogradWeightGrad(xs, ys, winogradShape(a, x.shape, f));
  }
  if (perImage(fg, K, P)) {
    eachImageCol(x, xs, f, a, oh, ow, false, (b, gi, col) => {
      const dyOff = (b * f + gi * fg) * P;
      gemm(false, true, fg, K, P, ys, dyOff, P, col, 0, P, dw, gi * fg * K, K, true);
    });
    return dw;
  }
  const col = scratch("col", K * NP);
  const dyg = scratch("dyg", fg * NP);
  for (let gi = 0; gi < g; gi++) {
    im2col(xs, n, c, h, wd, gi * cg, cg, a, oh, ow, col);
    for (let fi = 0; fi < fg; fi++) {
      for (let b = 0; b < n; b++) {
        const src = (b * f + gi * fg + fi) * P;
        dyg.set(ys.subarray(src, src + P), fi * NP + b * P);
      }
    }
    gemm(false, true, fg, K, NP, dyg, 0, NP, col, 0, NP, dw, gi * fg * K, K);
  }
  return dw;
}

/** dx of a convolution (also the transposed convolution's forward). */
registerKernel("Conv2dBackwardInput", "cpu", ([dy, w], a: ConvGradAttrs) => {
  const [n] = dy.shape;
  return [cpuOutput(inputGradCpu(dy, w, a), [n, a.c, a.h, a.w])];
});

registerKernel(
  "Conv2dBackwardWeight",
  "cpu",
  ([x, dy], a: ConvAttrs & { kh: number; kw: number }) => {
    const [f] = dy.shape.slice(1);
    return [cpuOutput(weightGradCpu(x, dy, a), [f, x.shape[1] / a.groups, a.kh, a.kw])];
  },
);

/**
 * Both gradients of a convolution in one kernel (CPU only; other backends
 * run the two kernels above): with shifted GEMMs, `dy` is stacked by kernel
 * row once for both products, and the shifted copies of `x` that the forward
 * pass built are reused when they are still in the scratch.
 */
registerKernel("Conv2dBackward", "cpu", ([dy, w, x], a: ConvGradAttrs) => {
  const [n, f] = dy.shape;
  const [, cg, kh, kw] = w.shape;
  const { groups: g, h, w: wd, c } = a;
  // With oneDNN, the two kernels above run its primitives (or, where it
  // declines or is slower, Dendrite's kernels) one after the other.
  const geo = dnnlGeometry({ ...a, kh, kw }, [n, c, h, wd], f, dy.shape[2], dy.shape[3])
    ? undefined
    : shiftedGeometry(a, [n, c, h, wd], f);
  if (!geo) {
    const wa = { ...a, kh, kw };
    return [
      cpuOutput(inputGradCpu(dy, w, a), [n, c, h, wd]),
      cpuOutput(weightGradCpu(x, dy, wa), [f, cg, kh, kw]),
    ];
  }
  const ys = cpuContiguous(dy) as Float32Array, ws = cpuContiguous(w) as Float32Array;
  const xs = cpuContiguous(x) as Float32Array;
  const wst = stackedWeights(ws, f, cg, g, kh, kw);
  const dx = cpuAllocF32Overwritten(n * c * h * wd);
  const dw = new Float32Array(f * cg * kh * kw), part = new Float32Array(dw.length);
  const ohw = geo.oh * geo.ow, chw = c * h * wd;
  inChunks(geo, c * kw * geo.plane, (b0, gc) => {
    const x3 = shiftedInput(x, xs, b0, gc, false);
    rowGradients(ys.subarray(b0 * f * ohw), gc, gradientScratch(gc), {
      dx: dx.subarray(b0 * chw),
      wst,
      dw: b0 === 0 ? dw : part,
      x3,
    });
    if (b0 > 0) { for (let i = 0; i < dw.length; i++) dw[i] += part[i]; }
  });
  return [cpuOutput(dx, [n, c, h, wd]), cpuOutput(dw, [f, cg, kh, kw])];
});

/** A size given once for both spatial axes or as `[h, w]`. */
export type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);

/** Options of `conv2d`. */
export interface Conv2dOptions {
  /** Bias `[F]`. */
  bias?: Tensor;
  /** Stride (default 1). */
  stride?: Pair;
  /** Zero padding, or "same" / "valid" (default 0). */
  padding?: Pair | "same" | "valid";
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Groups (default 1; `groups = C` is depthwise). */
  groups?: number;
  /**
   * An activation the kernel applies, with the bias, as it writes the output
   * (`"relu"`, `"sigmoid"`, `"tanh"`; none by default).
   */
  activation?: FusedActivation;
}

function checkPositive(op: string, name: string, v: [number, number]): void {
  if (v.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new RangeError(
      `Cannot apply ${op}() with ${name} [${v.join(", ")}]: expected positive integers`,
    );
  }
}

/**
 * Raw convolution (validated), recorded for autograd. A bias is added by the
 * kernel itself (in the pass that writes the output) rather than by a
 * separate broadcast add.
 */
function conv2dRaw(
  x: Tensor,
  w: Tensor,
  a: ConvAttrs,
  bias?: Tensor,
  activation?: FusedActivation,
): Tensor {
  const [, , h, wd] = x.shape;
  const oh = outSize(h, a.kh, a.sh, a.ph, a.dh), ow = outSize(wd, a.kw, a.sw, a.pw, a.dw);
  const inputs = bias ? [x, w, bias] : [x, w];
  const [out] = run("Conv2d", inputs.map((t) => t.detach()), { ...a, oh, ow, activation });
  return record("Conv2d", out, inputs, (dy) => {
    const d = throughActivation(dy, out, activation);
    const both = x.requiresGrad && w.requiresGrad && hasKernel("Conv2dBackward", d.backend.name);
    const [gx, gw] = both ? convGrads(d, x, w, a) : [
      x.requiresGrad ? convInputGrad(d, w, a, x.shape) : null,
      w.requiresGrad ? convWeightGrad(x, d, a) : null,
    ];
    return [gx, gw, ...(bias ? [bias.requiresGrad ? sum(d, [0, 2, 3]) : null] : [])];
  });
}

/** dx and dw from one kernel (where the backend has it), each recorded as below. */
function convGrads(dy: Tensor, x: Tensor, w: Tensor, a: ConvAttrs): [Tensor, Tensor] {
  const [, c, h, wd] = x.shape;
  const [gx, gw] = run("Conv2dBackward", [dy.detach(), w.detach(), x.detach()], {
    ...a,
    h,
    w: wd,
    c,
  });
  return [convInputGrad(dy, w, a, x.shape, gx), convWeightGrad(x, dy, a, gw)];
}

/**
 * dx = the transposed convolution of dy (recorded so double backward works);
 * `computed` is dx when a joint kernel already produced it.
 */
function convInputGrad(
  dy: Tensor,
  w: Tensor,
  a: ConvAttrs,
  xShape: readonly number[],
  computed?: Tensor,
): Tensor {
  const [, c, h, wd] = xShape;
  const out = computed ??
    run("Conv2dBackwardInput", [dy.detach(), w.detach()], { ...a, h, w: wd, c })[0];
  return record("Conv2dBackwardInput", out, [dy, w], (g) => {
    // As a transposed convolution with outputPadding ≥ stride (allowed when
    // the dilation is larger), the output has rows or columns that no
    // position of `dy` reaches: the convolution of `g` then covers
    // `dy` and more. Its extra positions belong to no input, so the input's
    // gradient drops them and the weight's sees zeros there.
    const eh = outSize(g.shape[2], a.kh, a.sh, a.ph, a.dh) - dy.shape[2];
    const ew = outSize(g.shape[3], a.kw, a.sw, a.pw, a.dw) - dy.shape[3];
    const extra = eh > 0 || ew > 0;
    return [
      dy.requiresGrad
        ? extra ? padOp(conv2dRaw(g, w, a), [0, -ew, 0, -eh]) : conv2dRaw(g, w, a)
        : null,
      w.requiresGrad ? convWeightGrad(g, extra ? padOp(dy, [0, ew, 0, eh]) : dy, a) : null,
    ];
  });
}

/**
 * dw = correlation of x with dy (recorded so double backward works);
 * `computed` is dw when a joint kernel already produced it.
 */
function convWeightGrad(x: Tensor, dy: Tensor, a: ConvAttrs, computed?: Tensor): Tensor {
  const out = computed ?? run("Conv2dBackwardWeight", [x.detach(), dy.detach()], a)[0];
  return record("Conv2dBackwardWeight", out, [x, dy], (g) => [
    x.requiresGrad ? convInputGrad(dy, g, a, x.shape) : null,
    dy.requiresGrad ? conv2dRaw(x, g, a) : null,
  ]);
}

function prepare(
  op: string,
  x: Tensor,
  w: Tensor,
  o: Conv2dOptions,
): { x: Tensor; a: ConvAttrs } {
  if (x.dtype !== "float32" || w.dtype !== "float32") {
    throw new DTypeError(
      `Cannot apply ${op}() to ${x.dtype} input and ${w.dtype} weight: expected float32`,
    );
  }
  if (x.ndim !== 4) {
    throw new ShapeError(
      `Cannot apply ${op}() to input ${fmtShape(x.shape)}: expected [N, C, H, W]`,
    );
  }
  if (w.ndim !== 4) {
    throw new ShapeError(
      `Cannot apply ${op}() with weight ${fmtShape(w.shape)}: expected [F, C/groups, kh, kw]`,
    );
  }
  const groups = o.groups ?? 1;
  const [, c, h, wd] = x.shape;
  const [f, cg, kh, kw] = w.shape;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || f % groups !== 0) {
    throw new RangeError(
      `Cannot apply ${op}() with groups ${groups}: input channels ${c} and output channels ${f} must both be divisible by it`,
    );
  }
  if (cg * groups !== c) {
    throw new ShapeError(
      `Cannot apply ${op}() to input ${fmtShape(x.shape)} with weight ${
        fmtShape(w.shape)
      }: input has ${c} channels, weight expects ${cg * groups} (groups ${groups})`,
    );
  }
  const [sh, sw] = pair(o.stride ?? 1);
  const [dh, dw] = pair(o.dilation ?? 1);
  checkPositive(op, "stride", [sh, sw]);
  checkPositive(op, "dilation", [dh, dw]);
  let xin = x, ph = 0, pw = 0;
  if (o.padding === "same") {
    if (sh !== 1 || sw !== 1) {
      throw new RangeError(
        `Cannot apply ${op}() with padding "same" and stride [${sh}, ${sw}]: "same" needs stride 1`,
      );
    }
    const th = dh * (kh - 1), tw = dw * (kw - 1);
    ph = Math.floor(th / 2), pw = Math.floor(tw / 2);
    if (th % 2 || tw % 2) {
      // PyTorch pads the extra row/column at the bottom/right.
      xin = padOp(x, [0, tw % 2, 0, th % 2]);
    }
  } else if (o.padding !== "valid" && o.padding !== undefined) {
    [ph, pw] = pair(o.padding);
    if (ph < 0 || pw < 0) {
      throw new RangeError(
        `Cannot apply ${op}() with padding [${ph}, ${pw}]: expected non-negative integers`,
      );
    }
  }
  const hh = xin.shape[2], ww = xin.shape[3];
  if (outSize(hh, kh, sh, ph, dh) < 1 || outSize(ww, kw, sw, pw, dw) < 1) {
    throw new ShapeError(
      `Cannot apply ${op}() to input ${
        fmtShape(x.shape)
      } with kernel [${kh}, ${kw}] (dilation [${dh}, ${dw}], padding [${ph}, ${pw}]): the kernel is larger than the padded input`,
    );
  }
  void h, wd;
  return { x: xin, a: { kh, kw, sh, sw, ph, pw, dh, dw, groups } };
}

function checkBias(bias: Tensor, f: number, op: string): void {
  if (bias.ndim !== 1 || bias.shape[0] !== f) {
    throw new ShapeError(`Cannot apply ${op}() with bias ${fmtShape(bias.shape)}: expected [${f}]`);
  }
}

function addBias(y: Tensor, bias: Tensor | undefined, op: string, spatial: number): Tensor {
  if (!bias) return y;
  const f = y.shape[1];
  checkBias(bias, f, op);
  return add(y, reshape(bias, [f, ...Array(spatial).fill(1)]));
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of `[N, C, H, W]` with
 * weight `[F, C/groups, kh, kw]`, giving `[N, F, H', W']`.
 *
 * @param x Input `[N, C, H, W]`.
 * @param weight Filters `[F, C/groups, kh, kw]`.
 * @param options `bias`, `stride`, `padding` (number, pair, "same", "valid"), `dilation`,
 *   `groups`, `activation` (fused into the kernel: `conv2d(x, w, { bias, activation: "relu" })`
 *   equals `relu(conv2d(x, w, { bias }))`).
 * @returns The feature maps.
 * @example
 * ```ts
 * import { conv2d, ones } from "@dendrite/tensor";
 * const y = conv2d(ones([1, 1, 4, 4]), ones([2, 1, 3, 3]), { padding: 1 });
 * console.assert(y.shape.join() === "1,2,4,4" && y.dataSync()[5] === 9);
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, options: Conv2dOptions = {}): Tensor {
  const { x: xin, a } = prepare("conv2d", x, weight, options);
  if (options.bias) checkBias(options.bias, weight.shape[0], "conv2d");
  checkActivation("conv2d()", options.activation);
  return conv2dRaw(xin, weight, a, options.bias, options.activation);
}

/** Options of `conv1d` (as `conv2d`, with scalar geometry). */
export interface Conv1dOptions {
  /** Bias `[F]`. */
  bias?: Tensor;
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding or "same" / "valid" (default 0). */
  padding?: number | "same" | "valid";
  /** Dilation (default 1). */
  dilation?: number;
  /** Groups (default 1). */
  groups?: number;
}

/**
 * 1-D convolution of `[N, C, L]` with weight `[F, C/groups, k]`.
 *
 * @param x Input `[N, C, L]`.
 * @param weight Filters `[F, C/groups, k]`.
 * @param options `bias`, `stride`, `padding`, `dilation`, `groups`.
 * @returns `[N, F, L']`.
 * @example
 * ```ts
 * import { conv1d, ones } from "@dendrite/tensor";
 * console.assert(conv1d(ones([2, 3, 10]), ones([4, 3, 3])).shape.join() === "2,4,8");
 * ```
 */
export function conv1d(x: Tensor, weight: Tensor, options: Conv1dOptions = {}): Tensor {
  if (x.ndim !== 3) {
    throw new ShapeError(`Cannot apply conv1d() to input ${fmtShape(x.shape)}: expected [N, C, L]`);
  }
  if (weight.ndim !== 3) {
    throw new ShapeError(
      `Cannot apply conv1d() with weight ${fmtShape(weight.shape)}: expected [F, C/groups, k]`,
    );
  }
  const p = options.padding;
  const y = conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), {
    bias: options.bias,
    stride: [1, options.stride ?? 1],
    padding: p === "same" || p === "valid" ? p : [0, p ?? 0],
    dilation: [1, options.dilation ?? 1],
    groups: options.groups,
  });
  return squeeze(y, 2);
}

/** Options of `convTranspose2d`. */
export interface ConvTranspose2dOptions {
  /** Bias `[F]`. */
  bias?: Tensor;
  /** Stride (default 1). */
  stride?: Pair;
  /** Padding removed from the output (default 0). */
  padding?: Pair;
  /** Extra size added to one side of the output (default 0). */
  outputPadding?: Pair;
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Groups (default 1). */
  groups?: number;
}

/**
 * Transposed 2-D convolution (the gradient of `conv2d` with respect to its
 * input) of `[N, C, H, W]` with weight `[C, F/groups, kh, kw]`, giving
 * `H' = (H − 1)·s − 2p + d(k − 1) + outputPadding + 1`.
 *
 * @param x Input `[N, C, H, W]`.
 * @param weight `[C, F/groups, kh, kw]`.
 * @param options `bias`, `stride`, `padding`, `outputPadding`, `dilation`, `groups`.
 * @returns `[N, F, H', W']`.
 * @example
 * ```ts
 * import { convTranspose2d, ones } from "@dendrite/tensor";
 * const y = convTranspose2d(ones([1, 2, 3, 3]), ones([2, 4, 2, 2]), { stride: 2 });
 * console.assert(y.shape.join() === "1,4,6,6");
 * ```
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  options: ConvTranspose2dOptions = {},
): Tensor {
  const op = "convTranspose2d";
  if (x.dtype !== "float32" || weight.dtype !== "float32") {
    throw new DTypeError(
      `Cannot apply ${op}() to ${x.dtype} input and ${weight.dtype} weight: expected float32`,
    );
  }
  if (x.ndim !== 4) {
    throw new ShapeError(
      `Cannot apply ${op}() to input ${fmtShape(x.shape)}: expected [N, C, H, W]`,
    );
  }
  if (weight.ndim !== 4) {
    throw new ShapeError(
      `Cannot apply ${op}() with weight ${fmtShape(weight.shape)}: expected [C, F/groups, kh, kw]`,
    );
  }
  const groups = options.groups ?? 1;
  const [n, c, h, w] = x.shape;
  const [wc, fg, kh, kw] = weight.shape;
  if (wc !== c) {
    throw new ShapeError(
      `Cannot apply ${op}() to input ${fmtShape(x.shape)} with weight ${
        fmtShape(weight.shape)
      }: input has ${c} channels, weight expects ${wc}`,
    );
  }
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new RangeError(
      `Cannot apply ${op}() with groups ${groups}: input channels ${c} must be divisible by it`,
    );
  }
  const [sh, sw] = pair(options.stride ?? 1);
  const [ph, pw] = pair(options.padding ?? 0);
  const [oph, opw] = pair(options.outputPadding ?? 0);
  const [dh, dw] = pair(options.dilation ?? 1);
  checkPositive(op, "stride", [sh, sw]);
  checkPositive(op, "dilation", [dh, dw]);
  if (oph >= Math.max(sh, dh) || opw >= Math.max(sw, dw) || oph < 0 || opw < 0) {
    throw new RangeError(
      `Cannot apply ${op}() with outputPadding [${oph}, ${opw}]: it must be smaller than stride or dilation`,
    );
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (oh < 1 || ow < 1) {
    throw new ShapeError(
      `Cannot apply ${op}() to input ${fmtShape(x.shape)}: the output would be [${oh}, ${ow}]`,
    );
  }
  const a: ConvAttrs = { kh, kw, sh, sw, ph, pw, dh, dw, groups };
  // The conv whose input gradient this is maps [N, F, oh, ow] -> [N, C, h, w] with weight [C, F/g, kh, kw].
  const y = convInputGrad(x, weight, a, [n, fg * groups, oh, ow]);
  return addBias(y, options.bias, op, 2);
}

/**
 * Transposed 1-D convolution of `[N, C, L]` with weight `[C, F/groups, k]`.
 *
 * @param x Input `[N, C, L]`.
 * @param weight `[C, F/groups, k]`.
 * @param options `bias`, `stride`, `padding`, `outputPadding`, `dilation`, `groups` (numbers).
 * @returns `[N, F, L']`.
 * @example
 * ```ts
 * import { convTranspose1d, ones } from "@dendrite/tensor";
 * console.assert(convTranspose1d(ones([1, 2, 5]), ones([2, 3, 3]), { stride: 2 }).shape.join() === "1,3,11");
 * ```
 */
export function convTranspose1d(
  x: Tensor,
  weight: Tensor,
  options: {
    bias?: Tensor;
    stride?: number;
    padding?: number;
    outputPadding?: number;
    dilation?: number;
    groups?: number;
  } = {},
): Tensor {
  if (x.ndim !== 3) {
    throw new ShapeError(
      `Cannot apply convTranspose1d() to input ${fmtShape(x.shape)}: expected [N, C, L]`,
    );
  }
  const y = convTranspose2d(unsqueeze(x, 2), unsqueeze(weight, 2), {
    bias: options.bias,
    stride: [1, options.stride ?? 1],
    padding: [0, options.padding ?? 0],
    outputPadding: [0, options.outputPadding ?? 0],
    dilation: [1, options.dilation ?? 1],
    groups: options.groups,
  });
  return squeeze(y, 2);
}
