/**
 * Joining and splitting: `cat`, `stack`, `split`, `chunk`.
 *
 * @module
 */
import { registerKernel } from "../../backend.ts";
import { promoteTypes } from "../../dtype.ts";
import { fmtShape, ShapeError } from "../../errors.ts";
import { isContiguous, normAxis, sizeOf, stridesOf } from "../../shape.ts";
import { record } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import { cpuBackend, cpuData, cpuOutput } from "../../cpu/backend.ts";
import { coalesce, walkRows } from "../../cpu/strided.ts";
import { run } from "../define.ts";
import { cast, narrow, unsqueeze } from "../movement.ts";

registerKernel("Concat", "cpu", (inputs, { axis, outShape, dtype }) => {
  const out = cpuBackend.allocArray(dtype, sizeOf(outShape));
  const os = stridesOf(outShape);
  const outer = sizeOf(outShape.slice(0, axis)), inner = os[axis], rowOut = outShape[axis] * inner;
  let start = 0;
  for (const x of inputs) {
    const src = cpuData(x);
    if (isContiguous(x.shape, x.strides)) {
      // Contiguous input: one block of x.shape[axis] * inner elements per outer index.
      const rowIn = x.shape[axis] * inner;
      for (let o = 0, s = x.offset, d = start * inner; o < outer; o++, s += rowIn, d += rowOut) {
        if (rowIn >= 32) out.set(src.subarray(s, s + rowIn), d);
        else for (let i = 0; i < rowIn; i++) out[d + i] = src[s + i];
      }
      start += x.shape[axis];
      continue;
    }
    const walk = coalesce(x.shape, [os, x.strides]);
    const last = walk.shape.length - 1;
    const ost = walk.strides[0][last], ist = walk.strides[1][last];
    walkRows(walk, [start * os[axis], x.offset], (off, len) => {
      for (let i = 0; i < len; i++) out[off[0] + i * ost] = src[off[1] + i * ist];
    });
    start += x.shape[axis];
  }
  return [cpuOutput(out, outShape)];
});

/**
 * Concatenates tensors along an existing axis (other sizes must match; 1-D
 * empty tensors are skipped, as in PyTorch).
 *
 * @param tensors The tensors (at least one).
 * @param axis The axis (default 0).
 * @returns The concatenation.
 * @example
 * ```ts
 * import { cat, tensor } from "@dendrite/tensor";
 * console.assert(cat([tensor([[1, 2]]), tensor([[3, 4]])], 0).shape.join() === "2,2");
 * ```
 */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) {
    throw new RangeError("Cannot concatenate an empty list in cat(): expected at least one tensor");
  }
  tensors.forEach((t, i) => {
    if (t.ndim === 0) {
      throw new ShapeError(
        `Cannot concatenate a 0-d tensor (tensor ${i}, shape []) in cat(): expected at least 1 axis`,
      );
    }
  });
  const list = tensors.filter((t) => !(t.ndim === 1 && t.size === 0));
  if (list.length === 0) return tensors[0];
  const ref = list[0];
  const a = normAxis(axis, ref.ndim, "cat");
  let dtype = ref.dtype;
  let total = 0;
  list.forEach((t, i) => {
    if (t.ndim !== ref.ndim || t.shape.some((d, k) => k !== a && d !== ref.shape[k])) {
      throw new ShapeError(
        `Cannot concatenate shapes ${fmtShape(ref.shape)} and ${
          fmtShape(t.shape)
        } (tensor ${i}) in cat() along axis ${a}: all other axes must match`,
      );
    }
    dtype = promoteTypes(dtype, t.dtype);
    total += t.shape[a];
  });
  const inputs = list.map((t) => cast(t.detach(), dtype));
  const outShape = ref.shape.map((d, k) => (k === a ? total : d));
  const [out] = run("Concat", inputs, { axis: a, outShape, dtype });
  return record("Cat", out, list, (dy) => {
    let start = 0;
    return list.map((t) => {
      const g = narrow(dy, a, start, t.shape[a]);
      start += t.shape[a];
      return g;
    });
  });
}

/**
 * Stacks same-shaped tensors along a new axis.
 *
 * @param tensors The tensors (same shape).
 * @param axis Position of the new axis (default 0).
 * @returns The stacked tensor.
 * @example
 * ```ts
 * import { stack, tensor } from "@dendrite/tensor";
 * console.assert(stack([tensor([1, 2]), tensor([3, 4])], 1).dataSync().join() === "1,3,2,4");
 * ```
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) {
    throw new RangeError("Cannot stack an empty list in stack(): expected at least one tensor");
  }
  const ref = tensors[0];
  tensors.forEach((t, i) => {
    if (t.shape.join() !== ref.shape.join()) {
      throw new ShapeError(
        `Cannot stack shapes ${fmtShape(ref.shape)} and ${
          fmtShape(t.shape)
        } (tensor ${i}) in stack(): all shapes must be equal`,
      );
    }
  });
  const a = normAxis(axis, ref.ndim + 1, "stack");
  return cat(tensors.map((t) => unsqueeze(t, a)), a);
}

/**
 * Splits into views along `axis`: pieces of `size` (the last may be smaller)
 * or of the listed sizes.
 *
 * @param x The input.
 * @param sizeOrSections A piece size, or the sizes of all pieces (summing to the axis size).
 * @param axis The axis (default 0).
 * @returns The pieces.
 * @example
 * ```ts
 * import { arange, split } from "@dendrite/tensor";
 * console.assert(split(arange(5), 2).map((t) => t.size).join() === "2,2,1");
 * console.assert(split(arange(5), [1, 4]).map((t) => t.size).join() === "1,4");
 * ```
 */
export function split(x: Tensor, sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  const a = normAxis(axis, x.ndim, "split");
  const n = x.shape[a];
  let sizes: number[];
  if (typeof sizeOrSections === "number") {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) {
      throw new RangeError(
        `Cannot split with size ${sizeOrSections} in split(): expected a positive integer`,
      );
    }
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
    if (n === 0) sizes = [0];
  } else {
    sizes = [...sizeOrSections];
    const total = sizes.reduce((p, q) => p + q, 0);
    if (total !== n || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ShapeError(
        `Cannot split axis ${a} of ${fmtShape(x.shape)} into sizes [${
          sizes.join(", ")
        }] in split(): they must be non-negative and sum to ${n}`,
      );
    }
  }
  let start = 0;
  return sizes.map((s) => {
    const piece = narrow(x, a, start, s);
    start += s;
    return piece;
  });
}

/**
 * Splits into `chunks` nearly equal views along `axis` (as `torch.chunk`:
 * pieces of `ceil(n / chunks)`).
 *
 * @param x The input.
 * @param chunks Number of pieces wanted.
 * @param axis The axis (default 0).
 * @returns The pieces (possibly fewer than `chunks`).
 * @example
 * ```ts
 * import { arange, chunk } from "@dendrite/tensor";
 * console.assert(chunk(arange(6), 4).map((t) => t.size).join() === "2,2,2");
 * ```
 */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new RangeError(
      `Cannot chunk into ${chunks} pieces in chunk(): expected a positive integer`,
    );
  }
  const a = normAxis(axis, x.ndim, "chunk");
  // An empty axis gives `chunks` empty pieces, as in PyTorch.
  if (x.shape[a] === 0) return Array.from({ length: chunks }, () => narrow(x, a, 0, 0));
  return split(x, Math.max(1, Math.ceil(x.shape[a] / chunks)), a);
}
