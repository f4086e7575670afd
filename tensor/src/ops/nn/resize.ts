/**
 * Resampling and rearranging: `interpolate` / `upsample` (nearest,
 * nearest-exact, linear, bilinear, bicubic), `pixelShuffle`,
 * `pixelUnshuffle`, `unfold`, `fold`, and `embedding`.
 *
 * Interpolation along each spatial axis is a matrix product with a sparse
 * weight matrix built from PyTorch's coordinate rules, so gradients come
 * for free.
 *
 * @module
 */
import { registerKernel } from "../../backend.ts";
import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { record } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import { cpuAllocF32, cpuContiguous, cpuOutput } from "../../cpu/backend.ts";
import { run } from "../define.ts";
import type { Pair } from "./conv.ts";
import { fromTypedArray } from "../creation.ts";
import { matmul } from "../matmul.ts";
import { permute, reshape, transpose } from "../movement.ts";
import { indexSelect } from "../shape/indexing.ts";
import { where } from "../arith.ts";
import { col2im, im2col, outSize } from "./im2col.ts";
import { adaptiveAvgPool1d, adaptiveAvgPool2d } from "./pool.ts";

/** Interpolation modes. */
export type InterpolateMode =
  | "nearest"
  | "nearest-exact"
  | "linear"
  | "bilinear"
  | "bicubic"
  | "area";

function cubic(t: number): number[] {
  const A = -0.75;
  const c1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)];
}

/** The `[out, in]` resampling matrix of one axis. */
function axisMatrix(
  inSize: number,
  outSizeN: number,
  mode: "nearest" | "nearest-exact" | "linear" | "cubic",
  alignCorners: boolean,
  scaleFactor: number | undefined,
): Float32Array {
  const m = new Float32Array(outSizeN * inSize);
  // PyTorch's (bi)linear modes copy an axis whose size the scale factor
  // leaves unchanged (scale 1.3 on 2 columns gives the same 2 columns),
  // though the factor's coordinates would move them. Nearest and bicubic
  // apply the factor (their backward kernels in PyTorch 1.13 copy instead,
  // which fails its own gradcheck; here the gradient is the forward's).
  if (mode === "linear" && inSize === outSizeN) {
    for (let o = 0; o < outSizeN; o++) m[o * inSize + o] = 1;
    return m;
  }
  const scale = scaleFactor ? 1 / scaleFactor : inSize / outSizeN;
  for (let o = 0; o < outSizeN; o++) {
    const row = o * inSize;
    if (mode === "nearest" || mode === "nearest-exact") {
      const src = mode === "nearest" ? Math.floor(o * scale) : Math.floor((o + 0.5) * scale);
      m[row + Math.min(src, inSize - 1)] = 1;
      continue;
    }
    let src: number;
    if (alignCorners) src = outSizeN > 1 ? o * (inSize - 1) / (outSizeN - 1) : 0;
    else src = (o + 0.5) * scale - 0.5;
    if (mode === "linear") {
      if (!alignCorners && src < 0) src = 0;
      const i0 = Math.min(Math.floor(src), inSize - 1);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const l1 = src - i0;
      m[row + i0] += 1 - l1;
      m[row + i1] += l1;
    } else {
      const i = Math.floor(src);
      const w = cubic(src - i);
      for (let k = 0; k < 4; k++) {
        const idx = Math.min(Math.max(i - 1 + k, 0), inSize - 1);
        m[row + idx] += w[k];
      }
    }
  }
  return m;
}

/** Options of `interpolate`. */
export interface InterpolateOptions {
  /** Output spatial size (one number per spatial axis, or one for all). */
  size?: number | readonly number[];
  /** Scale per spatial axis (or one for all); used for coordinates as PyTorch does. */
  scaleFactor?: number | readonly number[];
  /** The mode (default "nearest"). */
  mode?: InterpolateMode;
  /** Align the corner pixels (linear, bilinear, bicubic). */
  alignCorners?: boolean;
}

/**
 * Resizes `[N, C, L]` (nearest, linear) or `[N, C, H, W]` (nearest,
 * bilinear, bicubic) inputs with PyTorch's `interpolate` coordinate rules;
 * "area" (either rank) averages each output pixel's share of the input
 * (adaptive average pooling), as PyTorch does.
 *
 * @param x The input.
 * @param options `size` or `scaleFactor`, `mode`, `alignCorners`.
 * @returns The resized tensor.
 * @example
 * ```ts
 * import { interpolate, tensor } from "@dendrite/tensor";
 * const x = tensor([[[[1, 2], [3, 4]]]]);
 * const y = interpolate(x, { scaleFactor: 2, mode: "bilinear", alignCorners: true });
 * console.assert(y.shape.join() === "1,1,4,4" && Math.abs(y.dataSync()[1] - 4 / 3) < 1e-6);
 * ```
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const mode = options.mode ?? "nearest";
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot apply interpolate() to a ${x.dtype} tensor: expected float32`);
  }
  const spatial = x.ndim - 2;
  if (spatial !== 1 && spatial !== 2) {
    throw new ShapeError(
      `Cannot apply interpolate() to input ${
        fmtShape(x.shape)
      }: expected [N, C, L] or [N, C, H, W]`,
    );
  }
  if (
    (mode === "linear" && spatial !== 1) ||
    ((mode === "bilinear" || mode === "bicubic") && spatial !== 2)
  ) {
    throw new ShapeError(
      `Cannot apply interpolate() with mode "${mode}" to input ${
        fmtShape(x.shape)
      }: "${mode}" needs ${mode === "linear" ? "[N, C, L]" : "[N, C, H, W]"}`,
    );
  }
  if (!["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "area"].includes(mode)) {
    throw new RangeError(`Cannot apply interpolate() with mode "${mode}"`);
  }
  if (
    options.alignCorners !== undefined &&
    (mode === "nearest" || mode === "nearest-exact" || mode === "area")
  ) {
    throw new RangeError(
      `Cannot apply interpolate() with alignCorners in mode "${mode}": it applies to linear modes only`,
    );
  }
  if ((options.size === undefined) === (options.scaleFactor === undefined)) {
    throw new RangeError("Cannot apply interpolate(): give exactly one of size and scaleFactor");
  }
  const inSizes = x.shape.slice(2);
  const list = (
    v: number | readonly number[],
  ) => (typeof v === "number" ? inSizes.map(() => v) : [...v]);
  const scales = options.scaleFactor !== undefined ? list(options.scaleFactor) : undefined;
  const sizes = options.size !== undefined
    ? list(options.size)
    : inSizes.map((n, i) => Math.floor(n * scales![i]));
  if (sizes.length !== spatial || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(
      `Cannot apply interpolate() with output size [${
        sizes.join(", ")
      }]: expected ${spatial} positive integers`,
    );
  }
  // "area" averages each output pixel's share of the input: adaptive average pooling.
  if (mode === "area") {
    return spatial === 1
      ? adaptiveAvgPool1d(x, sizes[0])
      : adaptiveAvgPool2d(x, [sizes[0], sizes[1]]);
  }
  const kind = mode === "bicubic" ? "cubic" : mode === "bilinear" ? "linear" : mode;
  let y = x;
  for (let a = 0; a < spatial; a++) {
    const axis = 2 + a;
    const m = axisMatrix(
      inSizes[a],
      sizes[a],
      kind as "nearest" | "nearest-exact" | "linear" | "cubic",
      options.alignCorners ?? false,
      scales?.[a],
    );
    const mt = fromTypedArray(m, [sizes[a], inSizes[a]], { backend: x.backend.name });
    // Move the axis last, multiply by Mᵀ, move it back.
    const perm = [...Array(y.ndim).keys()].filter((d) => d !== axis).concat([axis]);
    const inv = new Array<number>(y.ndim);
    perm.forEach((p, i) => (inv[p] = i));
    y = permute(matmul(permute(y, perm), transpose(mt)), inv);
  }
  return y;
}

/**
 * Same as {@link interpolate} (PyTorch's `nn.Upsample` semantics).
 *
 * @param x The input.
 * @param options `size` or `scaleFactor`, `mode`, `alignCorners`.
 * @returns The resized tensor.
 * @example
 * ```ts
 * import { ones, upsample } from "@dendrite/tensor";
 * console.assert(upsample(ones([1, 1, 2, 2]), { scaleFactor: 2 }).shape.join() === "1,1,4,4");
 * ```
 */
export function upsample(x: Tensor, options: InterpolateOptions): Tensor {
  return interpolate(x, options);
}

/**
 * Rearranges `[N, C·r², H, W]` into `[N, C, H·r, W·r]` (sub-pixel convolution).
 *
 * @param x The input.
 * @param upscaleFactor `r`.
 * @returns The rearranged tensor.
 * @example
 * ```ts
 * import { arange, pixelShuffle } from "@dendrite/tensor";
 * const y = pixelShuffle(arange(8).reshape([1, 4, 1, 2]), 2);
 * console.assert(y.shape.join() === "1,1,2,4" && y.dataSync().join() === "0,2,1,3,4,6,5,7");
 * ```
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const r = upscaleFactor;
  if (x.ndim !== 4 || x.shape[1] % (r * r) !== 0) {
    throw new ShapeError(
      `Cannot apply pixelShuffle() to input ${fmtShape(x.shape)} with factor ${r}: expected [N, C·${
        r * r
      }, H, W]`,
    );
  }
  const [n, c, h, w] = x.shape;
  const co = c / (r * r);
  const y = permute(reshape(x, [n, co, r, r, h, w]), [0, 1, 4, 2, 5, 3]);
  return reshape(y, [n, co, h * r, w * r]);
}

/**
 * Rearranges `[N, C, H·r, W·r]` into `[N, C·r², H, W]` (inverse of `pixelShuffle`).
 *
 * @param x The input.
 * @param downscaleFactor `r`.
 * @returns The rearranged tensor.
 * @example
 * ```ts
 * import { arange, pixelShuffle, pixelUnshuffle } from "@dendrite/tensor";
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * console.assert(pixelShuffle(pixelUnshuffle(x, 2), 2).dataSync().join() === x.dataSync().join());
 * ```
 */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const r = downscaleFactor;
  if (x.ndim !== 4 || x.shape[2] % r !== 0 || x.shape[3] % r !== 0) {
    throw new ShapeError(
      `Cannot apply pixelUnshuffle() to input ${
        fmtShape(x.shape)
      } with factor ${r}: H and W must be divisible by ${r}`,
    );
  }
  const [n, c, h, w] = x.shape;
  const y = permute(reshape(x, [n, c, h / r, r, w / r, r]), [0, 1, 3, 5, 2, 4]);
  return reshape(y, [n, c * r * r, h / r, w / r]);
}

const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);

/** Options of `unfold` and `fold`. */
export interface UnfoldOptions {
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Zero padding (default 0). */
  padding?: Pair;
  /** Stride (default 1). */
  stride?: Pair;
}

registerKernel("Im2Col", "cpu", ([x], a) => {
  const [n, c, h, w] = x.shape;
  const K = c * a.kh * a.kw, P = a.oh * a.ow;
  const col = new Float32Array(K * n * P);
  im2col(cpuContiguous(x) as Float32Array, n, c, h, w, 0, c, a, a.oh, a.ow, col);
  // [K, N·P] -> [N, K, P]
  const out = cpuAllocF32(n * K * P);
  for (let k = 0; k < K; k++) {
    for (let b = 0; b < n; b++) {
      out.set(col.subarray(k * n * P + b * P, k * n * P + (b + 1) * P), (b * K + k) * P);
    }
  }
  return [cpuOutput(out, [n, K, P])];
});

registerKernel("Col2Im", "cpu", ([cols], a) => {
  const [n, K, P] = cols.shape;
  const cs = cpuContiguous(cols);
  const col = new Float32Array(K * n * P);
  for (let k = 0; k < K; k++) {
    for (let b = 0; b < n; b++) {
      col.set(cs.subarray((b * K + k) * P, (b * K + k + 1) * P), k * n * P + b * P);
    }
  }
  const dx = cpuAllocF32(n * a.c * a.h * a.w);
  col2im(col, n, a.c, a.h, a.w, 0, a.c, a, a.oh, a.ow, dx);
  return [cpuOutput(dx, [n, a.c, a.h, a.w])];
});

function windowAttrs(op: string, h: number, w: number, kernelSize: Pair, o: UnfoldOptions) {
  const [kh, kw] = pair(kernelSize);
  const [sh, sw] = pair(o.stride ?? 1);
  const [ph, pw] = pair(o.padding ?? 0);
  const [dh, dw] = pair(o.dilation ?? 1);
  const oh = outSize(h, kh, sh, ph, dh), ow = outSize(w, kw, sw, pw, dw);
  if (oh < 1 || ow < 1) {
    throw new ShapeError(
      `Cannot apply ${op}() to spatial size [${h}, ${w}] with kernel [${kh}, ${kw}]: no window fits`,
    );
  }
  return { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow };
}

/**
 * Extracts sliding patches (im2col): `[N, C, H, W] -> [N, C·kh·kw, L]`, like
 * `torch.nn.functional.unfold`.
 *
 * @param x Input `[N, C, H, W]`.
 * @param kernelSize Patch size.
 * @param options `dilation`, `padding`, `stride`.
 * @returns The patches.
 * @example
 * ```ts
 * import { ones, unfold } from "@dendrite/tensor";
 * console.assert(unfold(ones([1, 2, 4, 4]), 2).shape.join() === "1,8,9");
 * ```
 */
export function unfold(x: Tensor, kernelSize: Pair, options: UnfoldOptions = {}): Tensor {
  if (x.ndim !== 4) {
    throw new ShapeError(
      `Cannot apply unfold() to input ${fmtShape(x.shape)}: expected [N, C, H, W]`,
    );
  }
  const [, c, h, w] = x.shape;
  const a = windowAttrs("unfold", h, w, kernelSize, options);
  const [out] = run("Im2Col", [x.detach()], a);
  return record("Unfold", out, [x], (dy) => [fold(dy, [h, w], kernelSize, options, c)]);
}

/**
 * Sums sliding patches back into an image (col2im, the adjoint of
 * `unfold`): `[N, C·kh·kw, L] -> [N, C, H, W]`.
 *
 * @param x Patches `[N, C·kh·kw, L]`.
 * @param outputSize `[H, W]`.
 * @param kernelSize Patch size.
 * @param options `dilation`, `padding`, `stride`.
 * @param channels Internal: the channel count (derived when omitted).
 * @returns The image.
 * @example
 * ```ts
 * import { fold, ones, unfold } from "@dendrite/tensor";
 * const y = fold(unfold(ones([1, 1, 3, 3]), 2), [3, 3], 2);
 * console.assert(y.dataSync().join() === "1,2,1,2,4,2,1,2,1");
 * ```
 */
export function fold(
  x: Tensor,
  outputSize: Pair,
  kernelSize: Pair,
  options: UnfoldOptions = {},
  channels?: number,
): Tensor {
  if (x.ndim !== 3) {
    throw new ShapeError(
      `Cannot apply fold() to input ${fmtShape(x.shape)}: expected [N, C·kh·kw, L]`,
    );
  }
  const [h, w] = pair(outputSize);
  const a = windowAttrs("fold", h, w, kernelSize, options);
  const c = channels ?? x.shape[1] / (a.kh * a.kw);
  if (!Number.isInteger(c) || x.shape[2] !== a.oh * a.ow) {
    throw new ShapeError(
      `Cannot apply fold() to input ${fmtShape(x.shape)}: expected [N, C·${a.kh * a.kw}, ${
        a.oh * a.ow
      }] for output [${h}, ${w}]`,
    );
  }
  const [out] = run("Col2Im", [x.detach()], { ...a, c, h, w });
  return record("Fold", out, [x], (dy) => [unfold(dy, kernelSize, options)]);
}

/**
 * Looks up rows of an embedding table; rows at `paddingIdx` get no gradient.
 *
 * @param indices int32 indices of any shape.
 * @param weight The table `[V, D]`.
 * @param options `paddingIdx`.
 * @returns `[...indices.shape, D]`.
 * @example
 * ```ts
 * import { embedding, tensor } from "@dendrite/tensor";
 * const w = tensor([[0, 0], [1, 1], [2, 2]]);
 * console.assert(embedding(tensor(new Int32Array([2, 1])), w).dataSync().join() === "2,2,1,1");
 * ```
 */
export function embedding(
  indices: Tensor,
  weight: Tensor,
  options: { paddingIdx?: number } = {},
): Tensor {
  if (indices.dtype !== "int32") {
    throw new DTypeError(`Cannot look up ${indices.dtype} indices in embedding(): expected int32`);
  }
  if (weight.ndim !== 2) {
    throw new ShapeError(
      `Cannot apply embedding() with weight ${fmtShape(weight.shape)}: expected [V, D]`,
    );
  }
  const flat = reshape(indices, [indices.size]);
  let rows = indexSelect(weight, 0, flat);
  const p = options.paddingIdx;
  if (p !== undefined) {
    const pi = p < 0 ? p + weight.shape[0] : p;
    rows = where(reshape(flat.eq(pi), [indices.size, 1]), rows.detach(), rows);
  }
  return reshape(rows, [...indices.shape, weight.shape[1]]);
}
