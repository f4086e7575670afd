/**
 * Cumulative sums and products along an axis.
 *
 * @module
 */
import { registerKernel } from "../../backend.ts";
import { allocArray } from "../../dtype.ts";
import { normAxis, sizeOf } from "../../shape.ts";
import { record } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import { cpuContiguous, cpuOutput } from "../../cpu/backend.ts";
import { run } from "../define.ts";
import { permute, reshape } from "../movement.ts";

registerKernel("Scan", "cpu", ([x], { op, reverse, outDType }) => {
  const [rows, n] = x.shape;
  const src = cpuContiguous(x);
  const out = allocArray(outDType, rows * n);
  for (let r = 0; r < rows; r++) {
    const b = r * n;
    let acc = op === "sum" ? 0 : 1;
    if (reverse) {
      for (let i = n - 1; i >= 0; i--) {
        acc = op === "sum" ? acc + src[b + i] : acc * src[b + i];
        out[b + i] = acc;
      }
    } else {
      for (let i = 0; i < n; i++) {
        acc = op === "sum" ? acc + src[b + i] : acc * src[b + i];
        out[b + i] = acc;
      }
    }
  }
  return [cpuOutput(out, x.shape)];
});

/** Exact cumprod gradient per row: dx_i = Σ_{j≥i} dy_j · Π_{k≤j, k≠i} x_k (O(n²), zero-safe). */
registerKernel("CumprodBackward", "cpu", ([x, dy]) => {
  const [rows, n] = x.shape;
  const xs = cpuContiguous(x), gs = cpuContiguous(dy);
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const b = r * n;
    for (let i = 0; i < n; i++) {
      let prefix = 1;
      for (let k = 0; k < i; k++) prefix *= xs[b + k];
      let acc = 0, run = prefix;
      for (let j = i; j < n; j++) {
        if (j > i) run *= xs[b + j];
        acc += gs[b + j] * run;
      }
      out[b + i] = acc;
    }
  }
  return [cpuOutput(out, x.shape)];
});

function scanRaw(x: Tensor, axis: number, op: "sum" | "prod", reverse: boolean): Tensor {
  const perm = [...Array(x.ndim).keys()].filter((i) => i !== axis).concat([axis]);
  const inv = new Array<number>(x.ndim);
  perm.forEach((p, i) => (inv[p] = i));
  const moved = permute(x.detach(), perm);
  const rows = reshape(moved, [sizeOf(moved.shape.slice(0, -1)), x.shape[axis]]);
  const outDType = x.dtype === "bool" ? "int32" : x.dtype;
  const [o] = run("Scan", [rows], { op, reverse, outDType });
  return permute(reshape(o, moved.shape), inv);
}

function reverseCumsum(dy: Tensor, axis: number): Tensor {
  const out = scanRaw(dy, axis, "sum", true);
  return record("ReverseCumsum", out, [dy], (ddy) => [cumsum(ddy, axis)]);
}

/**
 * Cumulative sum along `axis`.
 *
 * @param x The input.
 * @param axis The axis.
 * @returns Running sums, same shape (bool counts as int32).
 * @example
 * ```ts
 * import { cumsum, tensor } from "@dendrite/tensor";
 * console.assert(cumsum(tensor([[1, 2, 3], [4, 5, 6]]), 1).dataSync().join() === "1,3,6,4,9,15");
 * ```
 */
export function cumsum(x: Tensor, axis: number): Tensor {
  if (x.ndim === 0) return cumsum(reshape(x, [1]), 0).reshape([]);
  const a = normAxis(axis, x.ndim, "cumsum");
  const out = scanRaw(x, a, "sum", false);
  return record("Cumsum", out, [x], (dy) => [reverseCumsum(dy, a)]);
}

/**
 * Cumulative product along `axis` (gradient exact also through zeros).
 *
 * @param x The input.
 * @param axis The axis.
 * @returns Running products, same shape.
 * @example
 * ```ts
 * import { cumprod, tensor } from "@dendrite/tensor";
 * console.assert(cumprod(tensor([1, 2, 3, 4]), 0).dataSync().join() === "1,2,6,24");
 * ```
 */
export function cumprod(x: Tensor, axis: number): Tensor {
  if (x.ndim === 0) return cumprod(reshape(x, [1]), 0).reshape([]);
  const a = normAxis(axis, x.ndim, "cumprod");
  const out = scanRaw(x, a, "prod", false);
  return record("Cumprod", out, [x], (dy) => {
    const perm = [...Array(x.ndim).keys()].filter((i) => i !== a).concat([a]);
    const inv = new Array<number>(x.ndim);
    perm.forEach((p, i) => (inv[p] = i));
    const xm = permute(x.detach(), perm), gm = permute(dy.detach(), perm);
    const shape = [sizeOf(xm.shape.slice(0, -1)), x.shape[a]];
    const [g] = run("CumprodBackward", [reshape(xm, shape), reshape(gm, shape)], {});
    const grad = permute(reshape(g, xm.shape), inv);
    return [
      record("CumprodBackward", grad, [x, dy], () => {
        throw new Error(
          "Cannot differentiate cumprod() twice: its double backward is not implemented",
        );
      }),
    ];
  });
}
