/**
 * Statistics built from the core reductions: `variance`, `std`,
 * `logsumexp`, `norm`, `amax`/`amin`, `all`/`any`, and the arg-returning
 * `maxAlong`, `minAlong`, `median`.
 *
 * @module
 */
import { registerKernel } from "../../backend.ts";
import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { normAxes, normAxis, sizeOf } from "../../shape.ts";
import { record } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import { cpuContiguous, cpuOutput } from "../../cpu/backend.ts";
import { run } from "../define.ts";
import { div, exp, log, maximum, mul, pow, sqrt, square, sub, where } from "../arith.ts";
import { eq } from "../compare.ts";
import { cast, expand, permute, reshape, unsqueeze } from "../movement.ts";
import { max, mean, min, type ReduceOptions, reduceRaw, sum } from "../reduce.ts";
import { arange } from "../creation.ts";
import { abs, isFinite, sign } from "../elementwise/unary.ts";

/** Options of `variance` and `std`. */
export interface VarianceOptions extends ReduceOptions {
  /** Degrees-of-freedom correction (default 1: unbiased, like PyTorch). */
  correction?: number;
  /** `false` is `correction: 0`; `true` is `correction: 1`. */
  unbiased?: boolean;
}

function floatOnly(x: Tensor, op: string): void {
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot compute ${op}() of a ${x.dtype} tensor: expected float32`);
  }
}

/**
 * Variance over `axes` (all by default), unbiased unless told otherwise.
 *
 * @param x The input (float32).
 * @param axes One axis or a list.
 * @param options `correction` (1) or `unbiased`, `keepDim`.
 * @returns The variances.
 * @example
 * ```ts
 * import { tensor, variance } from "@dendrite/tensor";
 * console.assert(Math.abs((variance(tensor([1, 2, 3, 4])).itemSync() as number) - 5 / 3) < 1e-6);
 * ```
 */
export function variance(
  x: Tensor,
  axes?: number | readonly number[],
  options: VarianceOptions = {},
): Tensor {
  floatOnly(x, "variance");
  const ax = normAxes(axes, x.ndim, "variance");
  const correction = options.correction ?? (options.unbiased === false ? 0 : 1);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  const centered = sub(x, mean(x, ax, { keepDim: true }));
  return div(sum(square(centered), ax, { keepDim: options.keepDim }), Math.max(0, n - correction));
}

/**
 * Standard deviation over `axes`: `sqrt(variance)`.
 *
 * @param x The input (float32).
 * @param axes One axis or a list.
 * @param options `correction` (1) or `unbiased`, `keepDim`.
 * @returns The standard deviations.
 * @example
 * ```ts
 * import { std, tensor } from "@dendrite/tensor";
 * console.assert(std(tensor([2, 4]), 0, { unbiased: false }).itemSync() === 1);
 * ```
 */
export function std(
  x: Tensor,
  axes?: number | readonly number[],
  options: VarianceOptions = {},
): Tensor {
  floatOnly(x, "std");
  const out = sqrt(variance(x.detach(), axes, options));
  // d std / dx = (x − mean) / ((n − correction)·std); where the data are
  // constant (std 0) the gradient is 0, as in PyTorch (sqrt's would be NaN).
  return record("Std", out, [x], (dy) => {
    const ax = normAxes(axes, x.ndim, "std");
    const correction = options.correction ?? (options.unbiased === false ? 0 : 1);
    const n = sizeOf(ax.map((a) => x.shape[a]));
    const s = std(x, ax, { ...options, keepDim: true });
    const g = options.keepDim ? dy : reshape(dy, s.shape);
    const centered = sub(x, mean(x, ax, { keepDim: true }));
    const scale = where(eq(s, 0), 0, div(g, mul(s, Math.max(0, n - correction))));
    return [mul(centered, expand(scale, x.shape))];
  });
}

/**
 * `log(sum(exp(x)))` over `axes`, computed stably by subtracting the maximum.
 *
 * @param x The input (float32).
 * @param axes One axis or a list (default all).
 * @param options `keepDim`.
 * @returns The log-sum-exps.
 * @example
 * ```ts
 * import { logsumexp, tensor } from "@dendrite/tensor";
 * console.assert(Math.abs((logsumexp(tensor([1000, 1000])).itemSync() as number) - 1000.6931) < 1e-3);
 * ```
 */
export function logsumexp(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  floatOnly(x, "logsumexp");
  const ax = normAxes(axes, x.ndim, "logsumexp");
  const m = reduceRaw(x.detach(), "max", ax, true);
  const safe = where(isFinite(m), m, 0);
  const s = log(sum(exp(sub(x, safe)), ax, { keepDim: true })).add(safe);
  return options.keepDim ? s : reshape(s, x.shape.filter((_, i) => !ax.includes(i)));
}

/** Options of `norm`. */
export interface NormOptions extends ReduceOptions {
  /** The order: a positive number, `"fro"` (2), `Infinity` or `-Infinity` (default 2). */
  p?: number | "fro";
  /** Axes (default all). */
  axes?: number | readonly number[];
}

/**
 * Vector p-norm over `axes`: `(Σ|x|^p)^(1/p)`, `max|x|` for Infinity. The
 * gradient at a zero vector is 0, as in PyTorch.
 *
 * @param x The input (float32).
 * @param options `p` (2), `axes`, `keepDim`.
 * @returns The norms.
 * @example
 * ```ts
 * import { norm, tensor } from "@dendrite/tensor";
 * console.assert(norm(tensor([3, 4])).itemSync() === 5);
 * console.assert(norm(tensor([3, -4]), { p: 1 }).itemSync() === 7);
 * ```
 */
export function norm(x: Tensor, options: NormOptions = {}): Tensor {
  floatOnly(x, "norm");
  const p = options.p === "fro" || options.p === undefined ? 2 : options.p;
  if (typeof p !== "number" || Number.isNaN(p) || p <= 0 && p !== -Infinity) {
    throw new RangeError(
      `Cannot compute norm() with p = ${
        String(options.p)
      }: expected a positive number, "fro", Infinity or -Infinity`,
    );
  }
  const ax = normAxes(options.axes, x.ndim, "norm");
  const keep = options.keepDim ?? false;
  if (p === Infinity) return max(abs(x), ax, { keepDim: keep });
  if (p === -Infinity) return min(abs(x), ax, { keepDim: keep });
  const xd = x.detach();
  const out = p === 2
    ? sqrt(reduceRaw(square(xd), "sum", ax, true))
    : pow(reduceRaw(pow(abs(xd), p), "sum", ax, true), 1 / p);
  const res = keep ? out : reshape(out, x.shape.filter((_, i) => !ax.includes(i)));
  return record("Norm", res, [x], (dy) => {
    const o = expand(norm(x, { p, axes: ax, keepDim: true }), x.shape);
    const g = expand(keep ? dy : reshape(dy, out.shape), x.shape);
    const ratio = p === 2 ? div(x, o) : mul(mul(pow(abs(x), p - 1), sign(x)), pow(o, 1 - p));
    return [mul(g, where(eq(o, 0), 0, ratio))];
  });
}

/**
 * `x / max(‖x‖_p, eps)` along an axis, like `torch.nn.functional.normalize`
 * (unit-length embeddings; a zero vector stays zero).
 *
 * @param x The input (float32).
 * @param options `p` (2), `dim` (1), `eps` (1e-12).
 * @returns The normalised tensor.
 * @example
 * ```ts
 * import { normalize, tensor } from "@dendrite/tensor";
 * console.assert(normalize(tensor([[3, 4]])).dataSync().join() === "0.6000000238418579,0.800000011920929");
 * ```
 */
export function normalize(
  x: Tensor,
  options: { p?: number; dim?: number; eps?: number } = {},
): Tensor {
  floatOnly(x, "normalize");
  const n = norm(x, { p: options.p ?? 2, axes: options.dim ?? 1, keepDim: true });
  return div(x, maximum(n, options.eps ?? 1e-12));
}

/**
 * All pairwise p-norm distances between the rows of two sets, like
 * `torch.cdist`: `[..., P, M]` and `[..., R, M]` give `[..., P, R]` (batch
 * axes broadcast). The gradient at a zero distance is 0, as in PyTorch.
 *
 * @param x1 `[..., P, M]`.
 * @param x2 `[..., R, M]`.
 * @param options `p` (2; any positive value or Infinity).
 * @returns `[..., P, R]` distances.
 * @example
 * ```ts
 * import { cdist, tensor } from "@dendrite/tensor";
 * console.assert(cdist(tensor([[0, 0]]), tensor([[3, 4], [0, 1]])).dataSync().join() === "5,1");
 * ```
 */
export function cdist(x1: Tensor, x2: Tensor, options: { p?: number } = {}): Tensor {
  floatOnly(x1, "cdist");
  floatOnly(x2, "cdist");
  if (x1.ndim < 2 || x2.ndim < 2 || x1.shape[x1.ndim - 1] !== x2.shape[x2.ndim - 1]) {
    throw new ShapeError(
      `Cannot compute cdist() of ${fmtShape(x1.shape)} and ${
        fmtShape(x2.shape)
      }: expected [..., P, M] and [..., R, M] with the same M`,
    );
  }
  const diff = sub(unsqueeze(x1, -2), unsqueeze(x2, -3));
  return norm(diff, { p: options.p ?? 2, axes: -1 });
}

/**
 * Maximum over axes; an alias of `max` (gradient shared among ties).
 *
 * @param x The input.
 * @param axes One axis or a list.
 * @param options `keepDim`.
 * @returns The maxima.
 * @example
 * ```ts
 * import { amax, tensor } from "@dendrite/tensor";
 * console.assert(amax(tensor([[1, 5], [7, 2]]), 0).dataSync().join() === "7,5");
 * ```
 */
export function amax(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  return max(x, axes, options);
}

/**
 * Minimum over axes; an alias of `min`.
 *
 * @param x The input.
 * @param axes One axis or a list.
 * @param options `keepDim`.
 * @returns The minima.
 * @example
 * ```ts
 * import { amin, tensor } from "@dendrite/tensor";
 * console.assert(amin(tensor([[1, 5], [7, 2]]), 1).dataSync().join() === "1,2");
 * ```
 */
export function amin(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  return min(x, axes, options);
}

/**
 * True where every element over `axes` is non-zero.
 *
 * @param x The input.
 * @param axes One axis or a list (default all).
 * @param options `keepDim`.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { all, tensor } from "@dendrite/tensor";
 * console.assert(all(tensor([[true, false], [true, true]]), 1).dataSync().join() === "0,1");
 * ```
 */
export function all(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  const ax = normAxes(axes, x.ndim, "all");
  if (ax.some((a) => x.shape[a] === 0)) {
    return cast(sum(cast(x, "int32"), ax, options).eq(0).logicalOr(true), "bool");
  }
  return reduceRaw(cast(x, "bool"), "min", ax, options.keepDim ?? false);
}

/**
 * True where any element over `axes` is non-zero.
 *
 * @param x The input.
 * @param axes One axis or a list (default all).
 * @param options `keepDim`.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { any, tensor } from "@dendrite/tensor";
 * console.assert(any(tensor([[true, false], [false, false]]), 1).dataSync().join() === "1,0");
 * ```
 */
export function any(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  const ax = normAxes(axes, x.ndim, "any");
  return sum(cast(x, "int32"), ax, options).gt(0);
}

/** Values and their indices along an axis, like `torch.max(x, dim)`. */
export interface ValuesIndices {
  /** The selected values (differentiable). */
  values: Tensor;
  /** Their int32 indices along the axis. */
  indices: Tensor;
}

function pickAlong(
  x: Tensor,
  axis: number,
  indices: Tensor,
  keepDim: boolean,
  op: string,
): ValuesIndices {
  const idxKeep = reshape(indices, x.shape.map((d, i) => (i === axis ? 1 : d)));
  const pos = reshape(
    arange(x.shape[axis], undefined, { backend: x.backend.name }),
    x.shape.map((d, i) => (i === axis ? d : 1)),
  );
  const mask = eq(pos, idxKeep);
  const values = sum(where(mask, x, 0), axis, { keepDim });
  void op;
  return { values, indices: keepDim ? idxKeep : indices };
}

/**
 * Maximum along one axis with its index (first on ties; NaN wins), like
 * `torch.max(x, dim)`; the gradient flows to the returned index.
 *
 * @param x The input.
 * @param axis The axis.
 * @param options `keepDim`.
 * @returns `{ values, indices }`.
 * @example
 * ```ts
 * import { maxAlong, tensor } from "@dendrite/tensor";
 * const { values, indices } = maxAlong(tensor([[1, 5], [7, 2]]), 1);
 * console.assert(values.dataSync().join() === "5,7" && indices.dataSync().join() === "1,0");
 * ```
 */
export function maxAlong(x: Tensor, axis: number, options: ReduceOptions = {}): ValuesIndices {
  const a = normAxis(axis, x.ndim, "maxAlong");
  checkAxisNonEmpty(x, a, "maxAlong");
  return pickAlong(x, a, reduceRaw(x, "argmax", [a], false), options.keepDim ?? false, "maxAlong");
}

/**
 * Minimum along one axis with its index, like `torch.min(x, dim)`.
 *
 * @param x The input.
 * @param axis The axis.
 * @param options `keepDim`.
 * @returns `{ values, indices }`.
 * @example
 * ```ts
 * import { minAlong, tensor } from "@dendrite/tensor";
 * console.assert(minAlong(tensor([[1, 5], [7, 2]]), 0).indices.dataSync().join() === "0,1");
 * ```
 */
export function minAlong(x: Tensor, axis: number, options: ReduceOptions = {}): ValuesIndices {
  const a = normAxis(axis, x.ndim, "minAlong");
  checkAxisNonEmpty(x, a, "minAlong");
  return pickAlong(x, a, reduceRaw(x, "argmin", [a], false), options.keepDim ?? false, "minAlong");
}

function checkAxisNonEmpty(x: Tensor, axis: number, op: string): void {
  if (x.shape[axis] === 0) {
    throw new RangeError(
      `Cannot compute ${op}() over an empty axis of ${
        fmtShape(x.shape)
      }: the reduction has no identity`,
    );
  }
}

registerKernel("MedianIndex", "cpu", ([x]) => {
  const [outer, n] = x.shape;
  const src = cpuContiguous(x);
  const out = new Int32Array(outer);
  const idx = new Int32Array(n);
  const k = (n - 1) >> 1;
  for (let r = 0; r < outer; r++) {
    const b = r * n;
    let nan = -1;
    for (let i = 0; i < n; i++) {
      idx[i] = i;
      if (nan < 0 && src[b + i] !== src[b + i]) nan = i;
    }
    if (nan >= 0) {
      out[r] = nan;
      continue;
    }
    // Stable sort by value, so equal values keep their order.
    const sorted = Array.from(idx).sort((i, j) => src[b + i] - src[b + j] || i - j);
    out[r] = sorted[k];
  }
  return [cpuOutput(out, [outer])];
});

/**
 * Lower median. Without an axis: of all elements (a 0-d tensor); with an
 * axis: `{ values, indices }` like `torch.median(x, dim)`. NaN propagates.
 *
 * @param x The input.
 * @param axis The axis (omit for all elements).
 * @param options `keepDim`.
 * @returns The median, or values and indices.
 * @example
 * ```ts
 * import { median, tensor } from "@dendrite/tensor";
 * console.assert(median(tensor([3, 1, 4, 2])).itemSync() === 2);
 * console.assert(median(tensor([[3, 1, 2]]), 1).indices.dataSync()[0] === 2);
 * ```
 */
export function median(x: Tensor): Tensor;
/**
 * Lower median. Without an axis: of all elements (a 0-d tensor); with an
 * axis: `{ values, indices }` like `torch.median(x, dim)`. NaN propagates.
 *
 * @param x The input.
 * @param axis The axis (omit for all elements).
 * @param options `keepDim`.
 * @returns The median, or values and indices.
 * @example
 * ```ts
 * import { median, tensor } from "@dendrite/tensor";
 * console.assert(median(tensor([3, 1, 4, 2])).itemSync() === 2);
 * console.assert(median(tensor([[3, 1, 2]]), 1).indices.dataSync()[0] === 2);
 * ```
 */
export function median(x: Tensor, axis: number, options?: ReduceOptions): ValuesIndices;
export function median(
  x: Tensor,
  axis?: number,
  options: ReduceOptions = {},
): Tensor | ValuesIndices {
  if (axis === undefined) {
    const flat = reshape(x, [x.size]);
    checkAxisNonEmpty(flat, 0, "median");
    return reshape(medianAlong(flat, 0, false).values, []);
  }
  const a = normAxis(axis, x.ndim, "median");
  checkAxisNonEmpty(x, a, "median");
  return medianAlong(x, a, options.keepDim ?? false);
}

function medianAlong(x: Tensor, axis: number, keepDim: boolean): ValuesIndices {
  const perm = [...Array(x.ndim).keys()].filter((i) => i !== axis).concat([axis]);
  const moved = permute(x.detach(), perm);
  const rows = reshape(moved, [sizeOf(moved.shape.slice(0, -1)), x.shape[axis]]);
  const [idx] = run("MedianIndex", [rows], {});
  const indices = reshape(idx, x.shape.filter((_, i) => i !== axis));
  return pickAlong(x, axis, indices, keepDim, "median");
}
