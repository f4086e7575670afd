/**
 * Sorting along an axis: `sort`, `argsort` and `topk`, like PyTorch's.
 *
 * The kernel ("SortIndices") only orders indices along the last axis of a
 * `[rows, n]` tensor (a merge-friendly comparison on the CPU, a bitonic
 * network on WebGPU); values are then `gather(x, axis, indices)`, so their
 * gradient is gather's (a scatter-add into the picked positions), double
 * backward included. The order is stable: equal values keep their index
 * order, and NaN sorts above +∞, as in PyTorch.
 *
 * @module
 */
import { registerKernel } from "../../backend.ts";
import { DTypeError, fmtShape } from "../../errors.ts";
import { normAxis } from "../../shape.ts";
import type { Tensor } from "../../tensor.ts";
import { cpuContiguous, cpuOutput } from "../../cpu/backend.ts";
import { run } from "../define.ts";
import { cast, contiguous, narrow, permute, reshape } from "../movement.ts";
import { gather } from "../shape/indexing.ts";

registerKernel("SortIndices", "cpu", ([x], { descending }: { descending: boolean }) => {
  const [rows, n] = x.shape;
  const d = cpuContiguous(x);
  const out = new Int32Array(rows * n);
  const order = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    const b = r * n;
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((i, j) => {
      const a = d[b + i], c = d[b + j];
      if (a !== a || c !== c) {
        // NaN above everything (first when descending); NaNs in index order.
        if (a !== a && c !== c) return i - j;
        return (a !== a ? 1 : -1) * (descending ? -1 : 1);
      }
      if (a === c) return i - j;
      return (a < c ? -1 : 1) * (descending ? -1 : 1);
    });
    for (let i = 0; i < n; i++) out[b + i] = order[i];
  }
  return [cpuOutput(out, [rows, n])];
});

/** `indices` of `x` sorted along `axis` (int32, the shape of `x`). */
function sortIndices(x: Tensor, axis: number, descending: boolean, op: string): Tensor {
  if (x.dtype === "bool") x = cast(x, "int32");
  if (x.ndim === 0) return reshape(sortIndices(reshape(x, [1]), 0, descending, op), []);
  const a = normAxis(axis, x.ndim, op);
  const perm = [...Array(x.ndim).keys()].filter((i) => i !== a).concat([a]);
  const inv = new Array<number>(x.ndim);
  perm.forEach((p, i) => (inv[p] = i));
  const moved = contiguous(permute(x.detach(), perm));
  const n = x.shape[a], rows = moved.size / Math.max(n, 1);
  const [idx] = run("SortIndices", [reshape(moved, [rows, n])], { descending });
  return permute(reshape(idx, moved.shape), inv);
}

/** Values and indices, as `torch.sort` and `torch.topk` return them. */
export interface SortResult {
  /** The sorted values (differentiable). */
  values: Tensor;
  /** Their positions along the axis in the input (int32). */
  indices: Tensor;
}

/**
 * Sorts along an axis, like `torch.sort(x, dim, descending, stable=True)`:
 * equal values keep their order and NaN sorts above +∞. The values'
 * gradient goes back to the positions they came from.
 *
 * @param x The input (any dtype; bool sorts as 0 and 1).
 * @param axis The axis (default -1).
 * @param options `descending` (false).
 * @returns `{ values, indices }`.
 * @example
 * ```ts
 * import { sort, tensor } from "@dendrite/tensor";
 * const { values, indices } = sort(tensor([3, 1, 2]));
 * console.assert(values.dataSync().join() === "1,2,3" && indices.dataSync().join() === "1,2,0");
 * ```
 */
export function sort(x: Tensor, axis = -1, options: { descending?: boolean } = {}): SortResult {
  const indices = sortIndices(x, axis, options.descending ?? false, "sort");
  const values = x.ndim === 0 ? x : gather(x, normAxis(axis, x.ndim, "sort"), indices);
  return { values, indices };
}

/**
 * The indices that sort `x` along an axis (`torch.argsort`, stable).
 *
 * @param x The input.
 * @param axis The axis (default -1).
 * @param options `descending` (false).
 * @returns int32 indices, the shape of `x`.
 * @example
 * ```ts
 * import { argsort, tensor } from "@dendrite/tensor";
 * console.assert(argsort(tensor([3, 1, 2]), -1, { descending: true }).dataSync().join() === "0,2,1");
 * ```
 */
export function argsort(x: Tensor, axis = -1, options: { descending?: boolean } = {}): Tensor {
  return sortIndices(x, axis, options.descending ?? false, "argsort");
}

/**
 * The `k` largest (or smallest) values along an axis and their indices,
 * sorted, like `torch.topk` (ties: the lower index first).
 *
 * @param x The input.
 * @param k How many (at most the axis length).
 * @param options `axis` (-1), `largest` (true).
 * @returns `{ values, indices }`, `k` long along the axis.
 * @example
 * ```ts
 * import { tensor, topk } from "@dendrite/tensor";
 * const { values, indices } = topk(tensor([[1, 5, 3, 4]]), 2);
 * console.assert(values.dataSync().join() === "5,4" && indices.dataSync().join() === "1,3");
 * ```
 */
export function topk(
  x: Tensor,
  k: number,
  options: { axis?: number; largest?: boolean } = {},
): SortResult {
  if (x.ndim === 0) x = reshape(x, [1]);
  const axis = normAxis(options.axis ?? -1, x.ndim, "topk");
  const n = x.shape[axis];
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(
      `Cannot take topk() of ${k} along axis ${axis} of ${
        fmtShape(x.shape)
      }: expected an integer in [0, ${n}]`,
    );
  }
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new DTypeError(`Cannot take topk() of a ${x.dtype} tensor: expected float32 or int32`);
  }
  const all = sortIndices(x, axis, options.largest ?? true, "topk");
  const indices = narrow(all, axis, 0, k);
  return { values: gather(x, axis, indices), indices };
}
