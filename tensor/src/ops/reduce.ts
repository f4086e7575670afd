/**
 * Core reductions: `sum`, `mean`, `prod`, `max`, `min`, `argmax`, `argmin`
 * over any axes, with `keepDim`; the `Reduce` kernel.
 *
 * @module
 */
import { registerKernel } from "../backend.ts";
import { allocArray, type DType } from "../dtype.ts";
import { DTypeError, fmtShape } from "../errors.ts";
import { normAxes, sizeOf } from "../shape.ts";
import { record } from "../autodiff.ts";
import type { Tensor } from "../tensor.ts";
import { cpuContiguous, cpuOutput } from "../cpu/backend.ts";
import { run, setSumTo } from "./define.ts";
import { div, mul, sub } from "./arith.ts";
import { eq } from "./compare.ts";
import { expand, permute, reshape } from "./movement.ts";
import { cast } from "./movement.ts";

/** Options of reductions. */
export interface ReduceOptions {
  /** Keep reduced axes with size 1 (default false). */
  keepDim?: boolean;
}

/** The reduction a `Reduce` kernel computes. */
export type ReduceOp = "sum" | "prod" | "max" | "min" | "argmax" | "argmin";

function keptShape(shape: readonly number[], axes: number[], keepDim: boolean): number[] {
  return keepDim
    ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : shape.filter((_, i) => !axes.includes(i));
}

/**
 * Runs the `Reduce` kernel over normalised axes.
 *
 * @param x The input.
 * @param op The reduction.
 * @param axes Sorted axes.
 * @param keepDim Keep reduced axes as size 1.
 * @returns The reduced tensor (no autograd).
 */
export function reduceRaw(x: Tensor, op: ReduceOp, axes: number[], keepDim: boolean): Tensor {
  let outDType: DType = x.dtype === "bool" ? "int32" : x.dtype;
  if (op === "argmax" || op === "argmin") outDType = "int32";
  if ((op === "max" || op === "min") && x.dtype === "bool") outDType = "bool";
  const [out] = run("Reduce", [x], { op, axes, outDType });
  return keepDim ? reshape(out, keptShape(x.shape, axes, true)) : out;
}

registerKernel("Reduce", "cpu", ([x], { op, axes, outDType }) => {
  const nd = x.shape.length;
  const kept = [...Array(nd).keys()].filter((a) => !axes.includes(a));
  const outShape = kept.map((a) => x.shape[a]);
  const outer = sizeOf(outShape);
  const inner = sizeOf(axes.map((a: number) => x.shape[a]));
  const out = allocArray(outDType, outer);
  // Leading-axes reduction of a contiguous tensor: accumulate rows into columns.
  const leading = axes.every((a: number, i: number) => a === i);
  if (leading && (op === "sum" || op === "max" || op === "min") && outer > 1) {
    const src = cpuContiguous(x);
    const acc = new Float64Array(outer);
    if (inner === 0) {
      if (op !== "sum") acc.fill(op === "max" ? -Infinity : Infinity);
    } else {
      for (let j = 0; j < outer; j++) acc[j] = src[j];
      for (let i = 1; i < inner; i++) {
        const base = i * outer;
        if (op === "sum") {
          for (let j = 0; j < outer; j++) acc[j] += src[base + j];
        } else if (op === "max") {
          for (let j = 0; j < outer; j++) {
            const v = src[base + j];
            if (v > acc[j] || v !== v) acc[j] = v;
          }
        } else {
          for (let j = 0; j < outer; j++) {
            const v = src[base + j];
            if (v < acc[j] || v !== v) acc[j] = v;
          }
        }
      }
    }
    out.set(acc);
    return [cpuOutput(out, outShape)];
  }
  const perm = [...kept, ...axes];
  const pv = {
    storage: x.storage,
    shape: perm.map((a) => x.shape[a]),
    strides: perm.map((a) => x.strides[a]),
    offset: x.offset,
    dtype: x.dtype,
  };
  const src = cpuContiguous(pv);
  for (let r = 0; r < outer; r++) {
    const base = r * inner;
    let acc: number;
    switch (op) {
      case "sum":
        acc = 0;
        for (let i = 0; i < inner; i++) acc += src[base + i];
        break;
      case "prod":
        acc = 1;
        for (let i = 0; i < inner; i++) acc *= src[base + i];
        break;
      case "max":
        acc = -Infinity;
        for (let i = 0; i < inner; i++) {
          const v = src[base + i];
          if (v > acc || v !== v) acc = v;
          if (v !== v) break;
        }
        break;
      case "min":
        acc = Infinity;
        for (let i = 0; i < inner; i++) {
          const v = src[base + i];
          if (v < acc || v !== v) acc = v;
          if (v !== v) break;
        }
        break;
      case "argmax": {
        let best = -Infinity, bi = 0;
        for (let i = 0; i < inner; i++) {
          const v = src[base + i];
          if (v !== v) {
            bi = i;
            break;
          }
          if (v > best) best = v, bi = i;
        }
        acc = bi;
        break;
      }
      default: {
        let best = Infinity, bi = 0;
        for (let i = 0; i < inner; i++) {
          const v = src[base + i];
          if (v !== v) {
            bi = i;
            break;
          }
          if (v < best) best = v, bi = i;
        }
        acc = bi;
      }
    }
    out[r] = acc;
  }
  return [cpuOutput(out, outShape)];
});

function checkNonEmpty(x: Tensor, axes: number[], op: string): void {
  if (axes.some((a) => x.shape[a] === 0)) {
    throw new RangeError(
      `Cannot compute ${op}() over an empty axis of ${
        fmtShape(x.shape)
      }: the reduction has no identity`,
    );
  }
}

/**
 * Sums over `axes` (all by default).
 *
 * @param x The input (bool counts as int32).
 * @param axes One axis or a list (negative allowed).
 * @param options `keepDim`.
 * @returns The sums.
 * @example
 * ```ts
 * import { sum, tensor } from "@dendrite/tensor";
 * const x = tensor([[1, 2], [3, 4]]);
 * console.assert(sum(x).itemSync() === 10);
 * console.assert(sum(x, 0).dataSync().join() === "4,6");
 * ```
 */
export function sum(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  const ax = normAxes(axes, x.ndim, "sum");
  const keep = options.keepDim ?? false;
  const out = reduceRaw(x, "sum", ax, keep);
  return record("Sum", out, [x], (dy) => [
    expand(keep ? dy : reshape(dy, keptShape(x.shape, ax, true)), x.shape),
  ]);
}

/**
 * Averages over `axes` (all by default).
 *
 * @param x The input (float32).
 * @param axes One axis or a list.
 * @param options `keepDim`.
 * @returns The means.
 * @example
 * ```ts
 * import { mean, tensor } from "@dendrite/tensor";
 * console.assert(mean(tensor([1, 2, 3, 4])).itemSync() === 2.5);
 * ```
 */
export function mean(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  if (x.dtype !== "float32") {
    throw new DTypeError(
      `Cannot compute mean() of a ${x.dtype} tensor: expected float32; use cast(x, "float32")`,
    );
  }
  const ax = normAxes(axes, x.ndim, "mean");
  const n = sizeOf(ax.map((a) => x.shape[a]));
  return div(sum(x, ax, options), n);
}

/**
 * Multiplies over `axes` (all by default).
 *
 * @param x The input.
 * @param axes One axis or a list.
 * @param options `keepDim`.
 * @returns The products.
 * @example
 * ```ts
 * import { prod, tensor } from "@dendrite/tensor";
 * console.assert(prod(tensor([1, 2, 3, 4])).itemSync() === 24);
 * ```
 */
export function prod(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  const ax = normAxes(axes, x.ndim, "prod");
  const keep = options.keepDim ?? false;
  const out = reduceRaw(x, "prod", ax, keep);
  return record("Prod", out, [x], (dy) => {
    // d prod / dx_i = prod_{j != i} x_j, computed without dividing by zero.
    const shape = keptShape(x.shape, ax, true);
    const g = expand(reshape(dy, shape), x.shape);
    return [mul(g, prodExcludingSelf(x, ax))];
  });
}

/** For each element, the product of the other elements in its reduction group. */
function prodExcludingSelf(x: Tensor, axes: number[]): Tensor {
  const nd = x.ndim;
  const kept = [...Array(nd).keys()].filter((a) => !axes.includes(a));
  const perm = [...kept, ...axes];
  const inv = new Array<number>(nd);
  perm.forEach((a, i) => (inv[a] = i));
  const xp = permute(x, perm);
  const outer = sizeOf(kept.map((a) => x.shape[a]));
  const inner = sizeOf(axes.map((a) => x.shape[a]));
  const flat = reshape(xp, [outer, inner]);
  const [res] = run("ProdExcl", [flat], {});
  const back = reshape(res, xp.shape);
  const out = permute(back, inv);
  // Differentiable in x so that double backward works.
  return record("ProdExcl", out, [x], (dy) => [prodExclBackward(x, axes, dy)]);
}

/**
 * Gradient of the exclusive product: `(Σ_i dy_i·pe_i − dy_j·pe_j) / x_j`.
 * Exact for non-zero inputs; double backward of `prod` through zeros is not
 * supported (PyTorch special-cases it).
 */
function prodExclBackward(x: Tensor, axes: number[], dy: Tensor): Tensor {
  const shape = keptShape(x.shape, axes, true);
  const pe = prodExcludingSelf(x, axes);
  const total = expand(reshape(sum(mul(dy, pe), axes), shape), x.shape);
  return div(sub(total, mul(dy, pe)), x);
}

registerKernel("ProdExcl", "cpu", ([x]) => {
  const [outer, inner] = x.shape;
  const src = cpuContiguous(x);
  const out = allocArray("float32", outer * inner);
  for (let r = 0; r < outer; r++) {
    const b = r * inner;
    let left = 1;
    for (let i = 0; i < inner; i++) {
      out[b + i] = left;
      left *= src[b + i];
    }
    let right = 1;
    for (let i = inner - 1; i >= 0; i--) {
      out[b + i] *= right;
      right *= src[b + i];
    }
  }
  return [cpuOutput(out, x.shape)];
});

function extremum(
  x: Tensor,
  op: "max" | "min",
  axes: number | readonly number[] | undefined,
  options: ReduceOptions,
): Tensor {
  const ax = normAxes(axes, x.ndim, op);
  checkNonEmpty(x, ax, op);
  const keep = options.keepDim ?? false;
  const out = reduceRaw(x, op, ax, keep);
  return record(op === "max" ? "Max" : "Min", out, [x], (dy) => {
    const shape = keptShape(x.shape, ax, true);
    const o = expand(reshape(out.detach(), shape), x.shape);
    const mask = cast(eq(o, x), "float32");
    const count = sum(mask, ax, { keepDim: true });
    return [mul(div(mask, count), expand(reshape(dy, shape), x.shape))];
  });
}

/**
 * Maximum over `axes` (all by default); the gradient is shared evenly among
 * tied maxima, as for PyTorch's `amax`.
 *
 * @param x The input.
 * @param axes One axis or a list.
 * @param options `keepDim`.
 * @returns The maxima.
 * @example
 * ```ts
 * import { max, tensor } from "@dendrite/tensor";
 * console.assert(max(tensor([[1, 5], [3, 2]]), 1).dataSync().join() === "5,3");
 * ```
 */
export function max(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  return extremum(x, "max", axes, options);
}

/**
 * Minimum over `axes` (all by default).
 *
 * @param x The input.
 * @param axes One axis or a list.
 * @param options `keepDim`.
 * @returns The minima.
 * @example
 * ```ts
 * import { min, tensor } from "@dendrite/tensor";
 * console.assert(min(tensor([[1, 5], [3, 2]]), 1).dataSync().join() === "1,2");
 * ```
 */
export function min(
  x: Tensor,
  axes?: number | readonly number[],
  options: ReduceOptions = {},
): Tensor {
  return extremum(x, "min", axes, options);
}

/**
 * Index of the maximum along `axis` (of the flattened tensor when omitted).
 * The first index wins on ties; NaN counts as the maximum.
 *
 * @param x The input.
 * @param axis The axis (default: flatten).
 * @param options `keepDim`.
 * @returns int32 indices.
 * @example
 * ```ts
 * import { argmax, tensor } from "@dendrite/tensor";
 * console.assert(argmax(tensor([[1, 5], [3, 2]]), 1).dataSync().join() === "1,0");
 * ```
 */
export function argmax(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return argExtremum(x, "argmax", axis, options);
}

/**
 * Index of the minimum along `axis` (of the flattened tensor when omitted).
 *
 * @param x The input.
 * @param axis The axis (default: flatten).
 * @param options `keepDim`.
 * @returns int32 indices.
 * @example
 * ```ts
 * import { argmin, tensor } from "@dendrite/tensor";
 * console.assert(argmin(tensor([3, 1, 2])).itemSync() === 1);
 * ```
 */
export function argmin(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return argExtremum(x, "argmin", axis, options);
}

function argExtremum(
  x: Tensor,
  op: "argmax" | "argmin",
  axis: number | undefined,
  options: ReduceOptions,
): Tensor {
  if (axis === undefined) {
    const flat = reshape(x, [x.size]);
    checkNonEmpty(flat, [0], op);
    const r = reduceRaw(flat, op, [0], false);
    return options.keepDim ? reshape(r, x.shape.map(() => 1)) : r;
  }
  const ax = normAxes(axis, x.ndim, op);
  checkNonEmpty(x, ax, op);
  return reduceRaw(x, op, ax, options.keepDim ?? false);
}

setSumTo((g, shape) => {
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = sum(g, axes, { keepDim: true });
  return reshape(s, shape);
});
