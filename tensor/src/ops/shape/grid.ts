/**
 * Grids and diagonals: `meshgrid` (anchor grids), `diag`, `diagonal`,
 * `trace`, and `repeatInterleave`, built from views, `indexSelect` and
 * `scatterAdd`, so every backend runs them and their gradients.
 *
 * @module
 */
import { fmtShape, ShapeError } from "../../errors.ts";
import { normAxis } from "../../shape.ts";
import type { Tensor } from "../../tensor.ts";
import { fromTypedArray, zeros } from "../creation.ts";
import { contiguous, expand, flatten, permute, reshape, unsqueeze } from "../movement.ts";
import { sum } from "../reduce.ts";
import { indexSelect, scatterAdd } from "./indexing.ts";

/**
 * Coordinate grids from 1-D tensors, like `torch.meshgrid`: output `i` holds
 * input `i` along axis `i` ("ij", the default) and is constant along the
 * others; "xy" swaps the first two axes (Cartesian, as NumPy's default).
 *
 * @param tensors 1-D (or 0-D) tensors.
 * @param options `indexing` ("ij" or "xy").
 * @returns One grid per input, each of shape `[n0, n1, ...]` ("xy": `[n1, n0, ...]`).
 * @example
 * ```ts
 * import { meshgrid, tensor } from "@dendrite/tensor";
 * const [ys, xs] = meshgrid([tensor([0, 1]), tensor([0, 10, 20])]);
 * console.assert(ys.dataSync().join() === "0,0,0,1,1,1" && xs.dataSync().join() === "0,10,20,0,10,20");
 * ```
 */
export function meshgrid(
  tensors: readonly Tensor[],
  options: { indexing?: "ij" | "xy" } = {},
): Tensor[] {
  const indexing = options.indexing ?? "ij";
  if (indexing !== "ij" && indexing !== "xy") {
    throw new RangeError(
      `Cannot apply meshgrid() with indexing "${indexing}": expected "ij" or "xy"`,
    );
  }
  tensors.forEach((t, i) => {
    if (t.ndim > 1) {
      throw new ShapeError(
        `Cannot apply meshgrid() to input ${i} of shape ${
          fmtShape(t.shape)
        }: expected 0-D or 1-D tensors`,
      );
    }
  });
  const lens = tensors.map((t) => t.size);
  // "xy" lays the first two inputs out in swapped axes.
  const axisOf = (i: number) => (indexing === "xy" && tensors.length > 1 && i < 2 ? 1 - i : i);
  // (The swap is its own inverse: axis a holds input axisOf(a).)
  const shape = lens.map((_, a) => lens[axisOf(a)]);
  return tensors.map((t, i) => {
    const view = shape.map((_, a) => (a === axisOf(i) ? lens[i] : 1));
    return expand(reshape(t, view), shape);
  });
}

/** Flat positions of diagonal `offset` of an `[m, n]` matrix, and its length. */
function diagonalPositions(m: number, n: number, offset: number): number[] {
  const out: number[] = [];
  for (let i = Math.max(0, -offset); i < m && i + offset < n; i++) out.push(i * n + i + offset);
  return out;
}

/**
 * A diagonal of `x` over two axes, like `torch.diagonal`: those axes are
 * removed and the diagonal becomes the last axis (offset > 0 above the main
 * diagonal, < 0 below).
 *
 * @param x The input (at least 2-D).
 * @param offset Which diagonal (default 0).
 * @param axis1 First axis (default 0).
 * @param axis2 Second axis (default 1).
 * @returns The diagonal.
 * @example
 * ```ts
 * import { diagonal, tensor } from "@dendrite/tensor";
 * console.assert(diagonal(tensor([[1, 2], [3, 4]])).dataSync().join() === "1,4");
 * ```
 */
export function diagonal(x: Tensor, offset = 0, axis1 = 0, axis2 = 1): Tensor {
  if (x.ndim < 2) {
    throw new ShapeError(
      `Cannot take diagonal() of ${fmtShape(x.shape)}: expected at least 2 axes`,
    );
  }
  const a = normAxis(axis1, x.ndim, "diagonal"), b = normAxis(axis2, x.ndim, "diagonal");
  if (a === b) {
    throw new RangeError(
      `Cannot take diagonal() over axes ${axis1} and ${axis2}: they are the same axis`,
    );
  }
  const rest = [...Array(x.ndim).keys()].filter((i) => i !== a && i !== b);
  const m = x.shape[a], n = x.shape[b];
  const moved = reshape(contiguous(permute(x, [...rest, a, b])), [
    ...rest.map((i) => x.shape[i]),
    m * n,
  ]);
  const pos = diagonalPositions(m, n, offset);
  const idx = fromTypedArray(Int32Array.from(pos), [pos.length], { backend: x.backend.name });
  return indexSelect(moved, moved.ndim - 1, idx);
}

/**
 * `torch.diag`: a 1-D input becomes a square matrix with it on diagonal
 * `offset`; a 2-D input gives its diagonal `offset` as 1-D.
 *
 * @param x 1-D or 2-D.
 * @param offset Which diagonal (default 0).
 * @returns The matrix or the diagonal.
 * @example
 * ```ts
 * import { diag, tensor } from "@dendrite/tensor";
 * console.assert(diag(tensor([1, 2])).dataSync().join() === "1,0,0,2");
 * ```
 */
export function diag(x: Tensor, offset = 0): Tensor {
  if (x.ndim === 2) return diagonal(x, offset);
  if (x.ndim !== 1) {
    throw new ShapeError(`Cannot apply diag() to ${fmtShape(x.shape)}: expected 1-D or 2-D`);
  }
  const n = x.shape[0] + Math.abs(offset);
  const pos = diagonalPositions(n, n, offset);
  const idx = fromTypedArray(Int32Array.from(pos), [pos.length], { backend: x.backend.name });
  const flat = zeros([n * n], { dtype: x.dtype, backend: x.backend.name });
  return reshape(scatterAdd(flat, 0, idx, x), [n, n]);
}

/**
 * Sum of the main diagonal of a matrix (`torch.trace`).
 *
 * @param x 2-D.
 * @returns A 0-D tensor.
 * @example
 * ```ts
 * import { trace, tensor } from "@dendrite/tensor";
 * console.assert(trace(tensor([[1, 2], [3, 4]])).itemSync() === 5);
 * ```
 */
export function trace(x: Tensor): Tensor {
  if (x.ndim !== 2) {
    throw new ShapeError(`Cannot take trace() of ${fmtShape(x.shape)}: expected a 2-D matrix`);
  }
  return sum(diagonal(x));
}

/**
 * Repeats each element `repeats` times in place along an axis (or of the
 * flattened tensor), like `torch.repeat_interleave` with an integer count.
 *
 * @param x The input.
 * @param repeats Copies of each element (non-negative integer).
 * @param axis The axis (default: flatten first).
 * @returns The repeated tensor.
 * @example
 * ```ts
 * import { repeatInterleave, tensor } from "@dendrite/tensor";
 * console.assert(repeatInterleave(tensor([1, 2]), 2).dataSync().join() === "1,1,2,2");
 * ```
 */
export function repeatInterleave(x: Tensor, repeats: number, axis?: number): Tensor {
  if (!Number.isInteger(repeats) || repeats < 0) {
    throw new RangeError(
      `Cannot apply repeatInterleave() with repeats ${repeats}: expected a non-negative integer`,
    );
  }
  const t = axis === undefined ? flatten(x) : x;
  const a = axis === undefined ? 0 : normAxis(axis, x.ndim, "repeatInterleave");
  const shape = [...t.shape];
  const wide = [...shape.slice(0, a + 1), repeats, ...shape.slice(a + 1)];
  shape[a] *= repeats;
  return reshape(contiguous(expand(unsqueeze(t, a + 1), wide)), shape);
}
