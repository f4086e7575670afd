/**
 * Pooling: max and average, regular (with padding, dilation, ceil mode) and
 * adaptive, in 1-D and 2-D, with PyTorch's window rules and indices.
 *
 * @module
 */
import { registerKernel } from "../../backend.ts";
import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { record } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import {
  cpuAllocF32,
  cpuAllocF32Overwritten,
  cpuBackend,
  cpuContiguous,
  cpuOutput,
} from "../../cpu/backend.ts";
import { run } from "../define.ts";
import type { Pair } from "./conv.ts";
import { reshape, squeeze, unsqueeze } from "../movement.ts";
import { gather, scatterAdd } from "../shape/indexing.ts";
import { div, maximum, where } from "../arith.ts";
import { onesLike, zeros } from "../creation.ts";
import { ge } from "../compare.ts";

/** Per-output windows along one axis: start, end (exclusive), step. */
interface Windows {
  start: number[];
  end: number[];
  /** The window end before clipping to the input (for average pool divisors). */
  padEnd: number[];
  padStart: number[];
  step: number;
}

function regularWindows(
  n: number,
  k: number,
  s: number,
  p: number,
  d: number,
  out: number,
): Windows {
  const start: number[] = [], end: number[] = [], padEnd: number[] = [], padStart: number[] = [];
  for (let o = 0; o < out; o++) {
    const a = o * s - p;
    padStart.push(a);
    padEnd.push(Math.min(a + (k - 1) * d + 1, n + p));
    start.push(a);
    end.push(a + (k - 1) * d + 1);
  }
  return { start, end, padEnd, padStart, step: d };
}

function adaptiveWindows(n: number, out: number): Windows {
  const start: number[] = [], end: number[] = [];
  for (let o = 0; o < out; o++) {
    start.push(Math.floor(o * n / out));
    end.push(Math.ceil((o + 1) * n / out));
  }
  return { start, end, padEnd: end, padStart: start, step: 1 };
}

function poolOut(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

registerKernel("MaxPool2d", "cpu", ([x], { hw, ww }: { hw: Windows; ww: Windows }) => {
  const [n, c, h, w] = x.shape;
  const oh = hw.start.length, ow = ww.start.length;
  const xs = cpuContiguous(x);
  // Both loops write every output and index.
  const out = cpuAllocF32Overwritten(n * c * oh * ow);
  const idx = cpuBackend.allocArray("int32", n * c * oh * ow, false) as Int32Array;
  let o = 0;
  // Fast path: non-overlapping in-bounds 2x2 windows (the common CNN pool).
  const simple2 = hw.step === 1 && ww.step === 1 &&
    hw.start.every((s, i) => s === 2 * i && hw.end[i] === s + 2 && s + 2 <= h) &&
    ww.start.every((s, j) => s === 2 * j && ww.end[j] === s + 2 && s + 2 <= w);
  if (simple2) {
    // Branch-free: on real activations which of the four wins is random, and
    // a mispredicted branch per comparison made this loop 3x slower. `+(cond)`
    // compiles to a flag, not a jump; the winner's index is built from flags
    // and its value reloaded. The pairwise tree picks what a scan in window
    // order would (the first of equal maxima, the last NaN), as PyTorch does.
    for (let pl = 0; pl < n * c; pl++) {
      const base = pl * h * w;
      for (let i = 0; i < oh; i++) {
        const r0 = 2 * i * w;
        for (let j = 0; j < ow; j++, o++) {
          const p0 = r0 + 2 * j, p2 = p0 + w;
          const a = xs[base + p0], b = xs[base + p0 + 1];
          const c0 = xs[base + p2], d = xs[base + p2 + 1];
          const top = p0 + (+(b > a) | +(b !== b));
          const bottom = p2 + (+(d > c0) | +(d !== d));
          const m1 = xs[base + top], m2 = xs[base + bottom];
          const bi = top + (+(m2 > m1) | +(m2 !== m2)) * (bottom - top);
          out[o] = xs[base + bi];
          idx[o] = bi;
        }
      }
    }
    return [cpuOutput(out, [n, c, oh, ow]), cpuOutput(idx, [n, c, oh, ow])];
  }
  for (let pl = 0; pl < n * c; pl++) {
    const base = pl * h * w;
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, o++) {
        let best = -Infinity, bi = -1;
        for (let y = hw.start[i]; y < hw.end[i]; y += hw.step) {
          if (y < 0 || y >= h) continue;
          for (let z = ww.start[j]; z < ww.end[j]; z += ww.step) {
            if (z < 0 || z >= w) continue;
            const v = xs[base + y * w + z];
            if (v > best || v !== v || bi < 0) {
              best = v;
              bi = y * w + z;
              if (v !== v) break;
            }
          }
        }
        out[o] = best;
        idx[o] = bi;
      }
    }
  }
  return [cpuOutput(out, [n, c, oh, ow]), cpuOutput(idx, [n, c, oh, ow])];
});

registerKernel(
  "AvgPool2d",
  "cpu",
  ([x], a: { hw: Windows; ww: Windows; countIncludePad: boolean; divisor?: number }) => {
    const [n, c, h, w] = x.shape;
    const { hw, ww } = a;
    const oh = hw.start.length, ow = ww.start.length;
    const xs = cpuContiguous(x);
    const out = cpuAllocF32(n * c * oh * ow);
    const div = divisors(a, h, w);
    let o = 0;
    for (let pl = 0; pl < n * c; pl++) {
      const base = pl * h * w;
      for (let i = 0; i < oh; i++) {
        const y0 = Math.max(hw.start[i], 0), y1 = Math.min(hw.end[i], h);
        for (let j = 0; j < ow; j++, o++) {
          const z0 = Math.max(ww.start[j], 0), z1 = Math.min(ww.end[j], w);
          let s = 0;
          for (let y = y0; y < y1; y++) for (let z = z0; z < z1; z++) s += xs[base + y * w + z];
          out[o] = s / div[i * ow + j];
        }
      }
    }
    return [cpuOutput(out, [n, c, oh, ow])];
  },
);

registerKernel(
  "AvgPool2dBackward",
  "cpu",
  (
    [dy],
    a: {
      hw: Windows;
      ww: Windows;
      countIncludePad: boolean;
      divisor?: number;
      h: number;
      w: number;
    },
  ) => {
    const [n, c, oh, ow] = dy.shape;
    const { hw, ww, h, w } = a;
    const gs = cpuContiguous(dy);
    const dx = cpuAllocF32(n * c * h * w);
    const div = divisors(a, h, w);
    let o = 0;
    for (let pl = 0; pl < n * c; pl++) {
      const base = pl * h * w;
      for (let i = 0; i < oh; i++) {
        const y0 = Math.max(hw.start[i], 0), y1 = Math.min(hw.end[i], h);
        for (let j = 0; j < ow; j++, o++) {
          const z0 = Math.max(ww.start[j], 0), z1 = Math.min(ww.end[j], w);
          const g = gs[o] / div[i * ow + j];
          for (let y = y0; y < y1; y++) for (let z = z0; z < z1; z++) dx[base + y * w + z] += g;
        }
      }
    }
    return [cpuOutput(dx, [n, c, h, w])];
  },
);

registerKernel("MaxPool2dBackward", "cpu", ([dy, idx], { h, w }: { h: number; w: number }) => {
  const [n, c, oh, ow] = dy.shape;
  const gs = cpuContiguous(dy), is = cpuContiguous(idx);
  const dx = cpuAllocF32(n * c * h * w);
  const P = oh * ow, HW = h * w;
  for (let pl = 0; pl < n * c; pl++) {
    const ob = pl * P, ib = pl * HW;
    for (let o = 0; o < P; o++) {
      const k = is[ob + o];
      if (k >= 0) dx[ib + k] += gs[ob + o];
    }
  }
  return [cpuOutput(dx, [n, c, h, w])];
});

function divisors(
  a: { hw: Windows; ww: Windows; countIncludePad: boolean; divisor?: number },
  h: number,
  w: number,
): Float64Array {
  const { hw, ww } = a;
  const oh = hw.start.length, ow = ww.start.length;
  const d = new Float64Array(oh * ow);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      if (a.divisor) {
        d[i * ow + j] = a.divisor;
      } else if (a.countIncludePad) {
        d[i * ow + j] = (hw.padEnd[i] - hw.padStart[i]) * (ww.padEnd[j] - ww.padStart[j]);
      } else {
        const y = Math.min(hw.end[i], h) - Math.max(hw.start[i], 0);
        const z = Math.min(ww.end[j], w) - Math.max(ww.start[j], 0);
        d[i * ow + j] = y * z;
      }
    }
  }
  return d;
}

const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);

function check4d(x: Tensor, op: string): void {
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot apply ${op}() to a ${x.dtype} tensor: expected float32`);
  }
  if (x.ndim !== 4) {
    throw new ShapeError(
      `Cannot apply ${op}() to input ${fmtShape(x.shape)}: expected [N, C, H, W]`,
    );
  }
}

/** Options of `maxPool2d`. */
export interface MaxPool2dOptions {
  /** Stride (default: the kernel size). */
  stride?: Pair;
  /** Implicit -∞ padding (default 0; at most half the kernel). */
  padding?: Pair;
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Use ceil instead of floor for the output size (default false). */
  ceilMode?: boolean;
}

/** Values and flat `h·W + w` indices of a max pool. */
export interface PoolWithIndices {
  /** The maxima. */
  values: Tensor;
  /** int32 positions within each input plane, as PyTorch returns them. */
  indices: Tensor;
}

function geometry(
  op: string,
  x: Tensor,
  kernel: Pair,
  o: { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean },
): { hw: Windows; ww: Windows } {
  const [kh, kw] = pair(kernel);
  const [sh, sw] = pair(o.stride ?? kernel);
  const [ph, pw] = pair(o.padding ?? 0);
  const [dh, dw] = pair(o.dilation ?? 1);
  if ([kh, kw, sh, sw, dh, dw].some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(
      `Cannot apply ${op}() with kernel [${kh}, ${kw}], stride [${sh}, ${sw}], dilation [${dh}, ${dw}]: expected positive integers`,
    );
  }
  if (ph < 0 || pw < 0 || ph > kh / 2 || pw > kw / 2) {
    throw new RangeError(
      `Cannot apply ${op}() with padding [${ph}, ${pw}]: expected at most half the kernel [${kh}, ${kw}]`,
    );
  }
  const [, , h, w] = x.shape;
  const oh = poolOut(h, kh, sh, ph, dh, o.ceilMode ?? false);
  const ow = poolOut(w, kw, sw, pw, dw, o.ceilMode ?? false);
  if (oh < 1 || ow < 1) {
    throw new ShapeError(
      `Cannot apply ${op}() to input ${
        fmtShape(x.shape)
      } with kernel [${kh}, ${kw}]: the output would be [${oh}, ${ow}]`,
    );
  }
  return { hw: regularWindows(h, kh, sh, ph, dh, oh), ww: regularWindows(w, kw, sw, pw, dw, ow) };
}

function maxWithWindows(x: Tensor, win: { hw: Windows; ww: Windows }): PoolWithIndices {
  const [values, indices] = run("MaxPool2d", [x.detach()], win);
  const [n, c, h, w] = x.shape;
  const out = record("MaxPool2d", values, [x], (dy) => [
    maxPoolBackward(dy, indices, n, c, h, w, win),
  ]);
  return { values: out, indices };
}

/** Scatters `dy` to the argmax positions; its own gradient gathers them back. */
function maxPoolBackward(
  dy: Tensor,
  indices: Tensor,
  n: number,
  c: number,
  h: number,
  w: number,
  win: { hw: Windows; ww: Windows },
): Tensor {
  // The windows let a backend gather per input element (WebGPU) instead of
  // scattering per output; the CPU kernel scatters and ignores them.
  const [dx] = run("MaxPool2dBackward", [dy.detach(), indices], { h, w, ...win });
  return record("MaxPool2dBackward", dx, [dy], (g) => {
    // A window of only padding has index −1 and took no gradient.
    const picked = gather(reshape(g, [n, c, h * w]), 2, reshape(maximum(indices, 0), [n, c, -1]));
    return [where(ge(indices, 0), reshape(picked, dy.shape), 0)];
  });
}

/**
 * 2-D max pooling of `[N, C, H, W]`.
 *
 * @param x The input.
 * @param kernelSize Window size.
 * @param options `stride`, `padding`, `dilation`, `ceilMode`.
 * @returns The pooled maps.
 * @example
 * ```ts
 * import { arange, maxPool2d } from "@dendrite/tensor";
 * const x = arange(16).cast("float32").reshape([1, 1, 4, 4]);
 * console.assert(maxPool2d(x, 2).dataSync().join() === "5,7,13,15");
 * ```
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor {
  return maxPool2dWithIndices(x, kernelSize, options).values;
}

/**
 * 2-D max pooling that also returns the argmax positions (for `maxUnpool`
 * and inspection), like `return_indices=True`.
 *
 * A window that holds only padding (which dilation allows) gives −∞ with
 * index −1 and passes no gradient; PyTorch gives −∞ too, with an index
 * outside the window, where its backward then sends the gradient.
 *
 * @param x The input.
 * @param kernelSize Window size.
 * @param options `stride`, `padding`, `dilation`, `ceilMode`.
 * @returns `{ values, indices }`.
 * @example
 * ```ts
 * import { arange, maxPool2dWithIndices } from "@dendrite/tensor";
 * const { indices } = maxPool2dWithIndices(arange(16).cast("float32").reshape([1, 1, 4, 4]), 2);
 * console.assert(indices.dataSync().join() === "5,7,13,15");
 * ```
 */
export function maxPool2dWithIndices(
  x: Tensor,
  kernelSize: Pair,
  options: MaxPool2dOptions = {},
): PoolWithIndices {
  check4d(x, "maxPool2d");
  return maxWithWindows(x, geometry("maxPool2d", x, kernelSize, options));
}

/** Options of `avgPool2d`. */
export interface AvgPool2dOptions {
  /** Stride (default: the kernel size). */
  stride?: Pair;
  /** Zero padding (default 0). */
  padding?: Pair;
  /** Use ceil for the output size (default false). */
  ceilMode?: boolean;
  /** Count padded zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Use this divisor instead. */
  divisorOverride?: number;
}

function avgWithWindows(
  x: Tensor,
  a: { hw: Windows; ww: Windows; countIncludePad: boolean; divisor?: number },
): Tensor {
  const [out] = run("AvgPool2d", [x.detach()], a);
  return record("AvgPool2d", out, [x], (dy) => [avgBackward(dy, a, x.shape)]);
}

function avgBackward(
  dy: Tensor,
  a: { hw: Windows; ww: Windows; countIncludePad: boolean; divisor?: number },
  xShape: readonly number[],
): Tensor {
  const [dx] = run("AvgPool2dBackward", [dy.detach()], { ...a, h: xShape[2], w: xShape[3] });
  return record("AvgPool2dBackward", dx, [dy], (g) => [avgWithWindows(g, a)]);
}

/**
 * 2-D average pooling of `[N, C, H, W]`.
 *
 * @param x The input.
 * @param kernelSize Window size.
 * @param options `stride`, `padding`, `ceilMode`, `countIncludePad`, `divisorOverride`.
 * @returns The pooled maps.
 * @example
 * ```ts
 * import { arange, avgPool2d } from "@dendrite/tensor";
 * const x = arange(16).cast("float32").reshape([1, 1, 4, 4]);
 * console.assert(avgPool2d(x, 2).dataSync().join() === "2.5,4.5,10.5,12.5");
 * ```
 */
export function avgPool2d(x: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  check4d(x, "avgPool2d");
  const win = geometry("avgPool2d", x, kernelSize, options);
  if (options.divisorOverride !== undefined && !(options.divisorOverride > 0)) {
    throw new RangeError(
      `Cannot apply avgPool2d() with divisorOverride ${options.divisorOverride}: expected a positive number`,
    );
  }
  return avgWithWindows(x, {
    ...win,
    countIncludePad: options.countIncludePad ?? true,
    divisor: options.divisorOverride,
  });
}

function adaptive(
  x: Tensor,
  outputSize: Pair | readonly (number | null)[],
  op: string,
): { hw: Windows; ww: Windows } {
  check4d(x, op);
  const [, , h, w] = x.shape;
  const [oh0, ow0] = typeof outputSize === "number"
    ? [outputSize, outputSize]
    : [outputSize[0], outputSize[1]];
  const oh = oh0 ?? h, ow = ow0 ?? w;
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) {
    throw new RangeError(
      `Cannot apply ${op}() with output size [${oh}, ${ow}]: expected positive integers`,
    );
  }
  return { hw: adaptiveWindows(h, oh), ww: adaptiveWindows(w, ow) };
}

/**
 * Adaptive average pooling to a fixed output size (PyTorch's bins:
 * `[floor(i·H/out), ceil((i+1)·H/out))`).
 *
 * @param x Input `[N, C, H, W]`.
 * @param outputSize `[oh, ow]`, one number, or `null` to keep an axis.
 * @returns `[N, C, oh, ow]`.
 * @example
 * ```ts
 * import { adaptiveAvgPool2d, ones } from "@dendrite/tensor";
 * console.assert(adaptiveAvgPool2d(ones([2, 3, 7, 5]), 1).shape.join() === "2,3,1,1");
 * ```
 */
export function adaptiveAvgPool2d(
  x: Tensor,
  outputSize: Pair | readonly (number | null)[],
): Tensor {
  return avgWithWindows(x, {
    ...adaptive(x, outputSize, "adaptiveAvgPool2d"),
    countIncludePad: false,
  });
}

/**
 * Adaptive max pooling to a fixed output size.
 *
 * @param x Input `[N, C, H, W]`.
 * @param outputSize `[oh, ow]` or one number.
 * @returns `{ values, indices }`.
 * @example
 * ```ts
 * import { adaptiveMaxPool2d, arange } from "@dendrite/tensor";
 * const r = adaptiveMaxPool2d(arange(9).cast("float32").reshape([1, 1, 3, 3]), 1);
 * console.assert(r.values.itemSync() === 8 && r.indices.itemSync() === 8);
 * ```
 */
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: Pair | readonly (number | null)[],
): PoolWithIndices {
  return maxWithWindows(x, adaptive(x, outputSize, "adaptiveMaxPool2d"));
}

function as2d(x: Tensor, op: string): Tensor {
  if (x.ndim !== 3) {
    throw new ShapeError(`Cannot apply ${op}() to input ${fmtShape(x.shape)}: expected [N, C, L]`);
  }
  return unsqueeze(x, 2);
}

/**
 * 1-D max pooling of `[N, C, L]`.
 *
 * @param x The input.
 * @param kernelSize Window size.
 * @param options `stride`, `padding`, `dilation`, `ceilMode` (numbers).
 * @returns `[N, C, L']`.
 * @example
 * ```ts
 * import { maxPool1d, tensor } from "@dendrite/tensor";
 * console.assert(maxPool1d(tensor([[[1, 3, 2, 5]]]), 2).dataSync().join() === "3,5");
 * ```
 */
export function maxPool1d(
  x: Tensor,
  kernelSize: number,
  options: { stride?: number; padding?: number; dilation?: number; ceilMode?: boolean } = {},
): Tensor {
  const y = maxPool2d(as2d(x, "maxPool1d"), [1, kernelSize], {
    stride: [1, options.stride ?? kernelSize],
    padding: [0, options.padding ?? 0],
    dilation: [1, options.dilation ?? 1],
    ceilMode: options.ceilMode,
  });
  return squeeze(y, 2);
}

/**
 * 1-D average pooling of `[N, C, L]`.
 *
 * @param x The input.
 * @param kernelSize Window size.
 * @param options `stride`, `padding`, `ceilMode`, `countIncludePad`.
 * @returns `[N, C, L']`.
 * @example
 * ```ts
 * import { avgPool1d, tensor } from "@dendrite/tensor";
 * console.assert(avgPool1d(tensor([[[1, 3, 2, 6]]]), 2).dataSync().join() === "2,4");
 * ```
 */
export function avgPool1d(
  x: Tensor,
  kernelSize: number,
  options: { stride?: number; padding?: number; ceilMode?: boolean; countIncludePad?: boolean } =
    {},
): Tensor {
  const y = avgPool2d(as2d(x, "avgPool1d"), [1, kernelSize], {
    stride: [1, options.stride ?? kernelSize],
    padding: [0, options.padding ?? 0],
    ceilMode: options.ceilMode,
    countIncludePad: options.countIncludePad,
  });
  return squeeze(y, 2);
}

/**
 * 1-D adaptive average pooling of `[N, C, L]`.
 *
 * @param x The input.
 * @param outputSize Output length.
 * @returns `[N, C, outputSize]`.
 * @example
 * ```ts
 * import { adaptiveAvgPool1d, tensor } from "@dendrite/tensor";
 * console.assert(adaptiveAvgPool1d(tensor([[[1, 3, 2, 6]]]), 2).dataSync().join() === "2,4");
 * ```
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  return squeeze(adaptiveAvgPool2d(as2d(x, "adaptiveAvgPool1d"), [1, outputSize]), 2);
}

/**
 * 1-D adaptive max pooling of `[N, C, L]`.
 *
 * @param x The input.
 * @param outputSize Output length.
 * @returns `{ values, indices }` of shape `[N, C, outputSize]`.
 * @example
 * ```ts
 * import { adaptiveMaxPool1d, tensor } from "@dendrite/tensor";
 * console.assert(adaptiveMaxPool1d(tensor([[[1, 3, 2, 6]]]), 2).values.dataSync().join() === "3,6");
 * ```
 */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number): PoolWithIndices {
  const r = adaptiveMaxPool2d(as2d(x, "adaptiveMaxPool1d"), [1, outputSize]);
  return { values: squeeze(r.values, 2), indices: squeeze(r.indices, 2) };
}

/** Options of `maxUnpool2d`. */
export interface MaxUnpool2dOptions {
  /** The pooling's stride (default: the kernel size). */
  stride?: Pair;
  /** The pooling's padding (default 0). */
  padding?: Pair;
  /** `[H, W]` of the result (default `(in − 1)·stride − 2·padding + kernel`). */
  outputSize?: readonly [number, number];
}

/**
 * The partial inverse of `maxPool2dWithIndices` (SegNet's unpooling): each
 * value goes to its argmax position in a zero map, like
 * `torch.nn.functional.max_unpool2d`; the gradient gathers from the same
 * positions. With overlapping windows a position two windows picked holds
 * its value once, and each of those windows' values gets its full gradient,
 * as in PyTorch.
 *
 * @param x Pooled values `[N, C, h, w]`.
 * @param indices The pooling's indices (int32, same shape, flat per plane).
 * @param kernelSize The pooling's window.
 * @param options `stride`, `padding`, `outputSize`.
 * @returns `[N, C, H, W]`.
 * @example
 * ```ts
 * import { maxPool2dWithIndices, maxUnpool2d, tensor } from "@dendrite/tensor";
 * const x = tensor([[[[1, 5], [3, 2]]]]);
 * const { values, indices } = maxPool2dWithIndices(x, 2);
 * console.assert(maxUnpool2d(values, indices, 2).dataSync().join() === "0,5,0,0");
 * ```
 */
export function maxUnpool2d(
  x: Tensor,
  indices: Tensor,
  kernelSize: Pair,
  options: MaxUnpool2dOptions = {},
): Tensor {
  check4d(x, "maxUnpool2d");
  if (indices.dtype !== "int32" || indices.shape.join() !== x.shape.join()) {
    throw new ShapeError(
      `Cannot apply maxUnpool2d() to input ${fmtShape(x.shape)} with ${indices.dtype} indices ${
        fmtShape(indices.shape)
      }: expected int32 indices of the input's shape`,
    );
  }
  const [n, c, h, w] = x.shape;
  const [kh, kw] = pair(kernelSize);
  const [sh, sw] = pair(options.stride ?? kernelSize);
  const [ph, pw] = pair(options.padding ?? 0);
  const [oh, ow] = options.outputSize ?? [(h - 1) * sh - 2 * ph + kh, (w - 1) * sw - 2 * pw + kw];
  if (!(oh >= 1 && ow >= 1 && Number.isInteger(oh) && Number.isInteger(ow))) {
    throw new ShapeError(
      `Cannot apply maxUnpool2d() to input ${
        fmtShape(x.shape)
      }: the output would be [${oh}, ${ow}]`,
    );
  }
  const flat = reshape(indices, [n, c, h * w]);
  const empty = zeros([n, c, oh * ow], { backend: x.backend.name });
  const sums = scatterAdd(empty, 2, flat, reshape(x.detach(), [n, c, h * w]));
  // Overlapping windows (stride below the window) can pick one position
  // twice; both hold the same input element, which PyTorch writes once:
  // divide the sums by the counts. Windows that do not overlap need no counts.
  const overlap = sh < kh || sw < kw;
  const counts = overlap ? scatterAdd(empty, 2, flat, onesLike(flat, { dtype: "float32" })) : null;
  const out = reshape(counts ? div(sums, maximum(counts, 1)) : sums, [n, c, oh, ow]);
  return record("MaxUnpool2d", out, [x], (dy) => [
    reshape(gather(reshape(dy, [n, c, oh * ow]), 2, flat), x.shape),
  ]);
}
