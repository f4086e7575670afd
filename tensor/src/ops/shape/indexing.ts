/**
 * Indexing with integer tensors: `gather`, `scatterAdd`, `indexSelect`,
 * `indexAdd`, `oneHot`, `nonzero`, and NumPy/PyTorch advanced indexing
 * (`index`).
 *
 * @module
 */
import { hasKernel, registerKernel } from "../../backend.ts";
import { allocArray } from "../../dtype.ts";
import { BackendError, DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { broadcastShapes, normAxis, sizeOf, stridesOf } from "../../shape.ts";
import { record } from "../../autodiff.ts";
import { Tensor } from "../../tensor.ts";
import { cpuBackend, cpuContiguous, cpuOutput } from "../../cpu/backend.ts";
import { run } from "../define.ts";
import { add, minimum, mul, sub, where } from "../arith.ts";
import { eq, ge, le, logicalAnd, lt } from "../compare.ts";
import { arange, fromTypedArray } from "../creation.ts";
import { cast, expand, permute, reshape, slice, type SliceSpec } from "../movement.ts";
import { cat } from "./join.ts";
import { floor } from "../elementwise/unary.ts";

function checkIndexTensor(index: Tensor, op: string): void {
  if (index.dtype !== "int32") {
    throw new DTypeError(`Cannot use a ${index.dtype} index in ${op}(): expected an int32 tensor`);
  }
}

function boundsError(op: string, bad: number, n: number, axis: number): RangeError {
  return new RangeError(
    `Cannot index axis ${axis} of size ${n} with ${bad} in ${op}(): expected indices in [${-n}, ${
      n - 1
    }]`,
  );
}

/** True when `index` has `x`'s shape on every axis but `axis` (the common case). */
function sameOuterInner(x: readonly number[], index: readonly number[], axis: number): boolean {
  return index.every((d, i) => i === axis || d === x[i]);
}

registerKernel("Gather", "cpu", ([x, index], { axis }) => {
  const xs = cpuContiguous(x), is = cpuContiguous(index);
  const shape = index.shape;
  const out = cpuBackend.allocArray(x.dtype, sizeOf(shape));
  const n = x.shape[axis];
  if (sameOuterInner(x.shape, shape, axis)) {
    // out[o, j, i] = x[o, index[o, j, i], i] with outer/inner axes merged.
    const outer = sizeOf(shape.slice(0, axis)), m = shape[axis];
    const inner = sizeOf(shape.slice(axis + 1));
    let p = 0;
    for (let o = 0; o < outer; o++) {
      const xb = o * n * inner;
      if (inner === 1) {
        // Last axis (e.g. picking class scores): one lookup per element.
        for (let j = 0; j < m; j++, p++) {
          let k = is[p];
          if (k < 0 || k >= n) {
            if (k < -n || k >= n) throw boundsError("gather", k, n, axis);
            k += n;
          }
          out[p] = xs[xb + k];
        }
        continue;
      }
      for (let j = 0; j < m; j++) {
        for (let i = 0; i < inner; i++, p++) {
          let k = is[p];
          if (k < 0 || k >= n) {
            if (k < -n || k >= n) throw boundsError("gather", k, n, axis);
            k += n;
          }
          out[p] = xs[xb + k * inner + i];
        }
      }
    }
    return [cpuOutput(out, shape)];
  }
  const xst = stridesOf(x.shape), ist = stridesOf(shape);
  const nd = shape.length;
  for (let i = 0; i < out.length; i++) {
    let rem = i, src = 0;
    for (let d = 0; d < nd; d++) {
      const c = Math.floor(rem / ist[d]);
      rem -= c * ist[d];
      let k = c;
      if (d === axis) {
        k = is[i];
        if (k < -n || k >= n) throw boundsError("gather", k, n, axis);
        if (k < 0) k += n;
      }
      src += k * xst[d];
    }
    out[i] = xs[src];
  }
  return [cpuOutput(out, shape)];
});

registerKernel("ScatterAdd", "cpu", ([x, index, src], { axis }) => {
  const out = cpuBackend.allocArray(x.dtype, sizeOf(x.shape));
  out.set(cpuContiguous(x));
  const is = cpuContiguous(index), ss = cpuContiguous(src);
  const n = x.shape[axis];
  const shape = index.shape;
  if (sameOuterInner(x.shape, shape, axis) && src.shape.every((d, i) => d === shape[i])) {
    // out[o, index[o, j, i], i] += src[o, j, i] with outer/inner axes merged.
    const outer = sizeOf(shape.slice(0, axis)), mj = shape[axis];
    const inner = sizeOf(shape.slice(axis + 1));
    let p = 0;
    for (let o = 0; o < outer; o++) {
      const xb = o * n * inner;
      if (inner === 1) {
        for (let j = 0; j < mj; j++, p++) {
          let k = is[p];
          if (k < 0 || k >= n) {
            if (k < -n || k >= n) throw boundsError("scatterAdd", k, n, axis);
            k += n;
          }
          out[xb + k] += ss[p];
        }
        continue;
      }
      for (let j = 0; j < mj; j++) {
        for (let i = 0; i < inner; i++, p++) {
          let k = is[p];
          if (k < 0 || k >= n) {
            if (k < -n || k >= n) throw boundsError("scatterAdd", k, n, axis);
            k += n;
          }
          out[xb + k * inner + i] += ss[p];
        }
      }
    }
    return [cpuOutput(out, x.shape)];
  }
  const xst = stridesOf(x.shape), ist = stridesOf(shape), sst = stridesOf(src.shape);
  const nd = shape.length, m = sizeOf(shape);
  for (let i = 0; i < m; i++) {
    let rem = i, dst = 0, s = 0;
    for (let d = 0; d < nd; d++) {
      const c = Math.floor(rem / ist[d]);
      rem -= c * ist[d];
      s += c * sst[d];
      let k = c;
      if (d === axis) {
        k = is[i];
        if (k < -n || k >= n) throw boundsError("scatterAdd", k, n, axis);
        if (k < 0) k += n;
      }
      dst += k * xst[d];
    }
    out[dst] += ss[s];
  }
  return [cpuOutput(out, x.shape)];
});

function checkGatherShapes(x: Tensor, axis: number, index: Tensor, op: string, src?: Tensor): void {
  if (index.ndim !== x.ndim) {
    throw new ShapeError(
      `Cannot ${op}() ${fmtShape(x.shape)} with index ${
        fmtShape(index.shape)
      }: index must have ${x.ndim} axes`,
    );
  }
  for (let d = 0; d < x.ndim; d++) {
    if (d !== axis && index.shape[d] > x.shape[d]) {
      throw new ShapeError(
        `Cannot ${op}() ${fmtShape(x.shape)} with index ${
          fmtShape(index.shape)
        }: index axis ${d} is larger than the input's`,
      );
    }
    if (src && index.shape[d] > src.shape[d]) {
      throw new ShapeError(
        `Cannot ${op}() with index ${fmtShape(index.shape)} and src ${
          fmtShape(src.shape)
        }: index axis ${d} is larger than src's`,
      );
    }
  }
}

/**
 * Picks values along `axis` at `index` (`out[i][j] = x[index[i][j]][j]` for
 * axis 0), like `torch.gather`.
 *
 * @param x The input.
 * @param axis The axis to index.
 * @param index int32 indices, same number of axes as `x`.
 * @returns A tensor shaped like `index`.
 * @example
 * ```ts
 * import { gather, tensor } from "@dendrite/tensor";
 * const x = tensor([[1, 2], [3, 4]]);
 * console.assert(gather(x, 1, tensor(new Int32Array([1, 0]), { shape: [2, 1] })).dataSync().join() === "2,3");
 * ```
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  checkIndexTensor(index, "gather");
  const a = normAxis(axis, x.ndim, "gather");
  checkGatherShapes(x, a, index, "gather");
  const [out] = run("Gather", [x, index], { axis: a });
  return record("Gather", out, [x], (dy) => [scatterAdd(zerosOf(x), a, index, dy)]);
}

function zerosOf(x: Tensor): Tensor {
  return fromTypedArray(allocArray(x.dtype, x.size), x.shape, { backend: x.backend.name });
}

/**
 * Adds `src` into a copy of `x` at `index` along `axis` (out of place), like
 * `torch.scatter_add`.
 *
 * @param x The base tensor.
 * @param axis The axis.
 * @param index int32 indices.
 * @param src Values to add, at least as large as `index` on every axis.
 * @returns The updated copy.
 * @example
 * ```ts
 * import { scatterAdd, tensor, zeros } from "@dendrite/tensor";
 * const idx = tensor(new Int32Array([0, 1, 0]));
 * console.assert(scatterAdd(zeros([2]), 0, idx, tensor([1, 2, 3])).dataSync().join() === "4,2");
 * ```
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  checkIndexTensor(index, "scatterAdd");
  const a = normAxis(axis, x.ndim, "scatterAdd");
  checkGatherShapes(x, a, index, "scatterAdd", src);
  const s = cast(src.detach(), x.dtype);
  const [out] = run("ScatterAdd", [x.detach(), index, s], { axis: a });
  return record("ScatterAdd", out, [x, src], (dy) => {
    const g = gather(dy, a, index);
    const gs = src.shape.join() === index.shape.join() ? g : padTo(g, src.shape);
    return [dy, gs];
  });
}

/** Zero-pads `g` at the end of each axis up to `shape` (gradient of src elements outside index). */
function padTo(g: Tensor, shape: readonly number[]): Tensor {
  let out = g;
  for (let d = 0; d < shape.length; d++) {
    const extra = shape[d] - out.shape[d];
    if (extra > 0) {
      const zshape = out.shape.map((n, i) => (i === d ? extra : n));
      out = cat([
        out,
        fromTypedArray(new Float32Array(sizeOf(zshape)), zshape, { backend: out.backend.name }),
      ], d);
    }
  }
  return out;
}

registerKernel("IndexSelect", "cpu", ([x, index], { axis }) => {
  const xs = cpuContiguous(x), is = cpuContiguous(index);
  const n = x.shape[axis];
  const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1));
  const m = sizeOf(index.shape);
  const out = cpuBackend.allocArray(x.dtype, outer * m * inner);
  for (let j = 0; j < m; j++) {
    let k = is[j];
    if (k < -n || k >= n) throw boundsError("indexSelect", k, n, axis);
    if (k < 0) k += n;
    for (let o = 0; o < outer; o++) {
      const s = (o * n + k) * inner, d = (o * m + j) * inner;
      if (inner === 1) out[d] = xs[s];
      else out.set(xs.subarray(s, s + inner), d);
    }
  }
  return [cpuOutput(out, [...x.shape.slice(0, axis), m, ...x.shape.slice(axis + 1)])];
});

registerKernel("IndexAdd", "cpu", ([x, index, src], { axis }) => {
  const out = cpuBackend.allocArray(x.dtype, sizeOf(x.shape));
  out.set(cpuContiguous(x));
  const is = cpuContiguous(index), ss = cpuContiguous(src);
  const n = x.shape[axis];
  const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1));
  const m = sizeOf(index.shape);
  for (let j = 0; j < m; j++) {
    let k = is[j];
    if (k < -n || k >= n) throw boundsError("indexAdd", k, n, axis);
    if (k < 0) k += n;
    for (let o = 0; o < outer; o++) {
      const d = (o * n + k) * inner, s = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[d + i] += ss[s + i];
    }
  }
  return [cpuOutput(out, x.shape)];
});

/**
 * Selects entries along `axis` by a 1-D int32 index (repeats allowed), like
 * `torch.index_select`.
 *
 * @param x The input.
 * @param axis The axis.
 * @param index 1-D int32 indices (negative count from the end).
 * @returns `x` with `axis` replaced by `index.size` entries.
 * @example
 * ```ts
 * import { indexSelect, tensor } from "@dendrite/tensor";
 * const x = tensor([[1, 2], [3, 4], [5, 6]]);
 * console.assert(indexSelect(x, 0, tensor(new Int32Array([2, 0]))).dataSync().join() === "5,6,1,2");
 * ```
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  checkIndexTensor(index, "indexSelect");
  if (index.ndim > 1) {
    throw new ShapeError(
      `Cannot use index ${fmtShape(index.shape)} in indexSelect(): expected a 1-D index`,
    );
  }
  const a = normAxis(axis, x.ndim, "indexSelect");
  const [out] = run("IndexSelect", [x, index], { axis: a });
  return record("IndexSelect", out, [x], (dy) => [indexAdd(zerosOf(x), a, index, dy)]);
}

/**
 * Adds slices of `src` into a copy of `x` at positions `index` along `axis`
 * (out of place), like `torch.index_add`.
 *
 * @param x The base tensor.
 * @param axis The axis.
 * @param index 1-D int32 positions.
 * @param src Values, shaped like `x` with `axis` of size `index.size`.
 * @returns The updated copy.
 * @example
 * ```ts
 * import { indexAdd, tensor, zeros } from "@dendrite/tensor";
 * const out = indexAdd(zeros([3]), 0, tensor(new Int32Array([0, 0, 2])), tensor([1, 2, 3]));
 * console.assert(out.dataSync().join() === "3,0,3");
 * ```
 */
export function indexAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  checkIndexTensor(index, "indexAdd");
  const a = normAxis(axis, x.ndim, "indexAdd");
  const want = x.shape.map((d, i) => (i === a ? index.size : d));
  if (src.shape.join() !== want.join()) {
    throw new ShapeError(
      `Cannot indexAdd() src ${fmtShape(src.shape)} into ${
        fmtShape(x.shape)
      } along axis ${a}: expected src shape ${fmtShape(want)}`,
    );
  }
  const [out] = run("IndexAdd", [x.detach(), index, cast(src.detach(), x.dtype)], { axis: a });
  return record("IndexAdd", out, [x, src], (dy) => [dy, indexSelect(dy, a, index)]);
}

/**
 * One-hot encodes int32 class indices: `[...] -> [..., numClasses]` (int32).
 *
 * On a backend that cannot read synchronously (WebGPU), `numClasses` must
 * be given, and the encoding runs there without reading the indices back:
 * an index outside `[0, numClasses)` then gives a row of zeros instead of
 * the error the CPU raises.
 *
 * @param indices int32 indices in `[0, numClasses)`.
 * @param numClasses Number of classes (default: max index + 1).
 * @returns The one-hot tensor.
 * @example
 * ```ts
 * import { oneHot, tensor } from "@dendrite/tensor";
 * console.assert(oneHot(tensor(new Int32Array([2, 0])), 3).dataSync().join() === "0,0,1,1,0,0");
 * ```
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  checkIndexTensor(indices, "oneHot");
  let n = numClasses;
  if (indices.backend.readSync) {
    // The CPU checks the indices (and infers the class count).
    let maxIdx = -1;
    for (const v of indices.dataSync()) {
      if (v < 0) {
        throw new RangeError(
          `Cannot one-hot encode index ${v} in oneHot(): indices must be non-negative`,
        );
      }
      if (v > maxIdx) maxIdx = v;
    }
    if (n === -1) n = maxIdx + 1;
    if (maxIdx >= n) {
      throw new RangeError(`Cannot one-hot encode index ${maxIdx} in oneHot() with ${n} classes`);
    }
  } else if (!Number.isInteger(n) || n < 1) {
    throw new BackendError(
      `Cannot run oneHot() on backend "${indices.backend.name}" without numClasses: inferring it needs the values, which that backend cannot read synchronously`,
    );
  }
  const classes = arange(n, undefined, { backend: indices.backend.name });
  return cast(eq(indices.reshape([...indices.shape, 1]), classes), "int32");
}

/**
 * Counts of each non-negative integer in a 1-D int32 tensor, like
 * `torch.bincount`: length `max(max(x) + 1, minlength)`, the weights'
 * sums instead of counts when `weights` are given (float32). Segmentation's
 * confusion matrix is `bincount(target·C + pred, { minlength: C² })`.
 *
 * On a backend that cannot read synchronously (WebGPU) the length cannot
 * depend on the values: `minlength` must be given, and values at or beyond
 * it are not counted (the CPU makes the result longer instead).
 *
 * @param x 1-D int32, non-negative.
 * @param options `weights` (same length, float32), `minlength` (0).
 * @returns The counts (int32) or weight sums (float32).
 * @example
 * ```ts
 * import { bincount, tensor } from "@dendrite/tensor";
 * console.assert(bincount(tensor(new Int32Array([1, 3, 1]))).dataSync().join() === "0,2,0,1");
 * ```
 */
export function bincount(
  x: Tensor,
  options: { weights?: Tensor; minlength?: number } = {},
): Tensor {
  checkIndexTensor(x, "bincount");
  const { weights } = options;
  const minlength = options.minlength ?? 0;
  if (x.ndim !== 1 || (weights && (weights.ndim !== 1 || weights.shape[0] !== x.shape[0]))) {
    throw new ShapeError(
      `Cannot apply bincount() to ${fmtShape(x.shape)}${
        weights ? ` with weights ${fmtShape(weights.shape)}` : ""
      }: expected a 1-D input (and weights of its length)`,
    );
  }
  if (!Number.isInteger(minlength) || minlength < 0) {
    throw new RangeError(
      `Cannot apply bincount() with minlength ${minlength}: expected a non-negative integer`,
    );
  }
  let n = minlength, idx = x, w: Tensor | undefined = weights;
  if (x.backend.readSync) {
    let max = -1;
    for (const v of x.dataSync()) {
      if (v < 0) {
        throw new RangeError(
          `Cannot apply bincount() to value ${v}: expected non-negative integers`,
        );
      }
      if (v > max) max = v;
    }
    n = Math.max(max + 1, minlength);
  } else {
    if (minlength < 1) {
      throw new BackendError(
        `Cannot run bincount() on backend "${x.backend.name}" without minlength: the length would depend on the values, which that backend cannot read synchronously`,
      );
    }
    // Values outside [0, minlength) go to bin 0 with nothing to add.
    const inside = logicalAnd(ge(x, 0), lt(x, n));
    idx = cast(where(inside, x, 0), "int32");
    w = where(inside, weights ?? 1, 0);
  }
  // Counts add up in int32 on the CPU; WebGPU's scatterAdd adds float32
  // (exact up to 2^24 per bin), cast back to int32.
  const dtype = weights || !x.backend.readSync ? "float32" : "int32";
  const src = w
    ? cast(w, dtype)
    : fromTypedArray(new Int32Array(x.shape[0]).fill(1), [x.shape[0]], { backend: x.backend.name });
  const empty = fromTypedArray(dtype === "int32" ? new Int32Array(n) : new Float32Array(n), [n], {
    backend: x.backend.name,
  });
  const counts = scatterAdd(empty, 0, idx, src);
  return weights ? counts : cast(counts, "int32");
}

registerKernel("Nonzero", "cpu", ([x]) => {
  const d = cpuContiguous(x);
  const st = stridesOf(x.shape);
  const hits: number[] = [];
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) hits.push(i);
  const nd = x.shape.length;
  const out = new Int32Array(hits.length * nd);
  hits.forEach((flat, r) => {
    let rem = flat;
    for (let k = 0; k < nd; k++) {
      out[r * nd + k] = Math.floor(rem / st[k]);
      rem %= st[k];
    }
  });
  return [cpuOutput(out, [hits.length, nd])];
});

/**
 * Coordinates of the non-zero elements, `[count, ndim]` (int32), like
 * `torch.nonzero`.
 *
 * @param x The input.
 * @returns The coordinates, in row-major order.
 * @example
 * ```ts
 * import { nonzero, tensor } from "@dendrite/tensor";
 * console.assert(nonzero(tensor([[0, 1], [1, 0]])).dataSync().join() === "0,1,1,0");
 * ```
 */
export function nonzero(x: Tensor): Tensor {
  const backend = x.backend.name;
  if (!hasKernel("Nonzero", backend) && !x.backend.readSync) {
    throw new BackendError(
      `Cannot run nonzero() on backend "${backend}": the result's size depends on the values, which that backend cannot read synchronously; use await nonzeroAsync(x)`,
    );
  }
  return run("Nonzero", [x], {})[0];
}

/**
 * `nonzero` for every backend: on one that cannot read synchronously (WebGPU)
 * it waits for the values, finds the coordinates on the CPU and returns them
 * on `x`'s backend (a synchronisation point, like `torch.nonzero` on a GPU).
 *
 * @param x The input.
 * @returns The coordinates `[count, ndim]` (int32), on `x`'s backend.
 * @example
 * ```ts
 * import { nonzeroAsync, tensor } from "@dendrite/tensor";
 * const nz = await nonzeroAsync(tensor([[0, 1], [1, 0]]));
 * console.assert((await nz.data()).join() === "0,1,1,0");
 * ```
 */
export async function nonzeroAsync(x: Tensor): Promise<Tensor> {
  if (hasKernel("Nonzero", x.backend.name) || x.backend.readSync) return nonzero(x);
  const host = await x.to("cpu");
  const nz = nonzero(host);
  const out = await nz.to(x.backend.name);
  host.dispose();
  nz.dispose();
  return out;
}

/**
 * `index` for every backend: bool masks are turned into coordinates with
 * {@link nonzeroAsync} first, so masked selection works on WebGPU too.
 *
 * @param x The input.
 * @param indices As for `index`.
 * @returns The selected elements (differentiable with respect to `x`).
 * @example
 * ```ts
 * import { arange, indexAsync } from "@dendrite/tensor";
 * const x = arange(12).reshape([3, 4]);
 * console.assert((await (await indexAsync(x, [x.gt(9)])).data()).join() === "10,11");
 * ```
 */
export async function indexAsync(x: Tensor, indices: readonly IndexSpec[]): Promise<Tensor> {
  const expanded: IndexSpec[] = [];
  for (const ix of indices) {
    if (ix instanceof Tensor && ix.dtype === "bool") {
      const axis = expanded.length;
      const want = x.shape.slice(axis, axis + ix.ndim);
      if (want.join() !== ix.shape.join()) {
        throw new ShapeError(
          `Cannot index ${fmtShape(x.shape)} with a bool mask ${
            fmtShape(ix.shape)
          } at axis ${axis} in indexAsync(): the mask must match ${fmtShape(want)}`,
        );
      }
      const nz = await nonzeroAsync(ix);
      for (let k = 0; k < ix.ndim; k++) {
        expanded.push(reshape(slice(nz, [null, k]), [nz.shape[0]]));
      }
    } else expanded.push(ix);
  }
  return index(x, expanded);
}

/** One entry of an advanced index. */
export type IndexSpec = Tensor | SliceSpec;

/**
 * Advanced indexing like `x[idx0, :, idx2]` in PyTorch: int32 tensors
 * (broadcast together), a bool mask, numbers, `null` (whole axis) and
 * `[start, stop, step]` ranges. When the tensor indices are adjacent, their
 * broadcast shape replaces those axes in place; otherwise it comes first.
 *
 * @param x The input.
 * @param indices One entry per leading axis.
 * @returns The selected elements (differentiable with respect to `x`).
 * @example
 * ```ts
 * import { arange, index, tensor } from "@dendrite/tensor";
 * const x = arange(12).reshape([3, 4]);
 * const rows = tensor(new Int32Array([0, 2]));
 * console.assert(index(x, [rows, tensor(new Int32Array([1, 3]))]).dataSync().join() === "1,11");
 * console.assert(index(x, [x.gt(9)]).dataSync().join() === "10,11");
 * ```
 */
export function index(x: Tensor, indices: readonly IndexSpec[]): Tensor {
  // Expand bool masks into one int index per masked axis.
  const expanded: IndexSpec[] = [];
  for (const ix of indices) {
    if (ix instanceof Tensor && ix.dtype === "bool") {
      const axis = expanded.length;
      const want = x.shape.slice(axis, axis + ix.ndim);
      if (want.join() !== ix.shape.join()) {
        throw new ShapeError(
          `Cannot index ${fmtShape(x.shape)} with a bool mask ${
            fmtShape(ix.shape)
          } at axis ${axis} in index(): the mask must match ${fmtShape(want)}`,
        );
      }
      const nz = nonzero(ix);
      for (let k = 0; k < ix.ndim; k++) {
        expanded.push(reshape(slice(nz, [null, k]), [nz.shape[0]]));
      }
    } else expanded.push(ix);
  }
  if (expanded.length > x.ndim) {
    throw new ShapeError(
      `Cannot index ${
        fmtShape(x.shape)
      } with ${expanded.length} indices in index(): the tensor has ${x.ndim} axes`,
    );
  }
  // Basic indices first (numbers remove axes; ranges keep them).
  const basic: SliceSpec[] = [];
  // axis: position among the axes left after numbers drop theirs; orig: axis of x.
  const adv: { axis: number; orig: number; t: Tensor }[] = [];
  let kept = 0;
  expanded.forEach((ix, orig) => {
    if (ix instanceof Tensor) {
      checkIndexTensor(ix, "index");
      basic.push(null);
      adv.push({ axis: kept, orig, t: ix });
      kept++;
    } else {
      basic.push(ix);
      if (typeof ix !== "number") kept++;
    }
  });
  const ys = slice(x, basic);
  if (adv.length === 0) return ys;
  const bshape = adv.map((a) => a.t.shape).reduce((p, q) => broadcastShapes(p, q, "index"));
  const axes = adv.map((a) => a.axis);
  const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  const rest = [...Array(ys.ndim).keys()].filter((d) => !axes.includes(d));
  const y = permute(ys, [...axes, ...rest]);
  const sizes = axes.map((a) => ys.shape[a]);
  // Flat index into the merged advanced axes.
  let flat: Tensor | null = null;
  let stride = 1;
  for (let k = axes.length - 1; k >= 0; k--) {
    const n = sizes[k];
    const t = expand(adv[k].t, bshape);
    // Indices are checked where they can be read without waiting (the CPU).
    if (t.backend.readSync) {
      for (const v of t.dataSync()) {
        if (v < -n || v >= n) throw boundsError("index", v, n, adv[k].orig);
      }
    }
    const wrapped = where(t.lt(0), add(t, n), t);
    const term = mul(wrapped, stride);
    flat = flat ? add(flat, term) : term;
    stride *= n;
  }
  const merged = reshape(y, [stride, ...y.shape.slice(axes.length)]);
  const picked = indexSelect(merged, 0, reshape(cast(flat!, "int32"), [sizeOf(bshape)]));
  let out = reshape(picked, [...bshape, ...merged.shape.slice(1)]);
  const first = axes[0];
  if (adjacent && first > 0) {
    const nb = bshape.length;
    const order = [
      ...[...Array(first).keys()].map((i) => nb + i),
      ...[...Array(nb).keys()],
      ...[...Array(out.ndim - nb - first).keys()].map((i) => nb + first + i),
    ];
    out = permute(out, order);
  }
  return out;
}

/** What `unique` returns. */
export interface UniqueResult {
  /** The distinct values, ascending (1-D, the input's dtype). */
  values: Tensor;
  /** For each input element, the position of its value in `values` (int32, the input's shape). */
  inverse: Tensor;
  /** How often each value occurs (int32). */
  counts: Tensor;
}

/**
 * The distinct values of a tensor, sorted, with each element's position in
 * them and their counts, like `torch.unique(x, sorted=True,
 * return_inverse=True, return_counts=True)` over all elements. NaN values
 * are each distinct, as in PyTorch. Not differentiable; the output size
 * depends on the values, so the input must be readable synchronously (the
 * CPU).
 *
 * @param x The input.
 * @returns `{ values, inverse, counts }`.
 * @example
 * ```ts
 * import { tensor, unique } from "@dendrite/tensor";
 * const { values, inverse, counts } = unique(tensor(new Int32Array([3, 1, 3, 2])));
 * console.assert(values.dataSync().join() === "1,2,3" && inverse.dataSync().join() === "2,0,2,1");
 * console.assert(counts.dataSync().join() === "1,1,2");
 * ```
 */
export function unique(x: Tensor): UniqueResult {
  if (!x.backend.readSync) {
    throw new BackendError(
      `Cannot run unique() on backend "${x.backend.name}": the result's size depends on the values, which that backend cannot read synchronously; move the tensor with await t.to("cpu")`,
    );
  }
  const data = x.dataSync();
  const order = Array.from({ length: data.length }, (_, i) => i);
  // NaN sorts last and is never equal to another value.
  order.sort((i, j) => {
    const a = data[i], b = data[j];
    if (a !== a || b !== b) return a !== a ? (b !== b ? i - j : 1) : -1;
    return a - b || i - j;
  });
  const inverse = new Int32Array(data.length);
  const values: number[] = [], counts: number[] = [];
  for (const i of order) {
    const v = data[i];
    if (values.length === 0 || v !== values[values.length - 1] || v !== v) {
      values.push(v);
      counts.push(0);
    }
    inverse[i] = values.length - 1;
    counts[counts.length - 1]++;
  }
  const be = { backend: x.backend.name };
  const arr = x.dtype === "float32"
    ? Float32Array.from(values)
    : x.dtype === "int32"
    ? Int32Array.from(values)
    : Uint8Array.from(values);
  return {
    values: fromTypedArray(arr, [values.length], be),
    inverse: fromTypedArray(inverse, x.shape, be),
    counts: fromTypedArray(Int32Array.from(counts), [counts.length], be),
  };
}

/**
 * Histogram of the values in `bins` equal-width bins over `[min, max]`,
 * like `torch.histc` (values outside are not counted; `max` falls in the
 * last bin). With `min` and `max` both 0 (the default) the data's own range
 * is used, which needs a backend that reads synchronously (the CPU); with a
 * range given it runs on any backend.
 *
 * @param x The input (float32).
 * @param options `bins` (100), `min` (0), `max` (0).
 * @returns `[bins]` float32 counts.
 * @example
 * ```ts
 * import { histc, tensor } from "@dendrite/tensor";
 * console.assert(histc(tensor([0, 0.5, 1, 3]), { bins: 2, min: 0, max: 1 }).dataSync().join() === "1,2");
 * ```
 */
export function histc(
  x: Tensor,
  options: { bins?: number; min?: number; max?: number } = {},
): Tensor {
  const bins = options.bins ?? 100;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`Cannot compute histc() with ${bins} bins: expected a positive integer`);
  }
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot compute histc() of a ${x.dtype} tensor: expected float32`);
  }
  let lo = options.min ?? 0, hi = options.max ?? 0;
  if (lo === hi) {
    if (!x.backend.readSync) {
      throw new BackendError(
        `Cannot compute histc() on backend "${x.backend.name}" without a range: the data's range needs its values, which that backend cannot read synchronously; pass min and max`,
      );
    }
    const d = x.dataSync();
    lo = Infinity;
    hi = -Infinity;
    for (const v of d) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (d.length === 0) lo = hi = 0;
    if (lo === hi) {
      lo -= 1;
      hi += 1;
    }
  }
  if (!(lo < hi)) {
    throw new RangeError(`Cannot compute histc() over [${lo}, ${hi}]: expected min < max`);
  }
  const flat = reshape(x.detach(), [-1]);
  const inside = logicalAnd(ge(flat, lo), le(flat, hi));
  const pos = floor(mul(sub(flat, lo), bins / (hi - lo)));
  const bin = cast(where(inside, minimum(pos, bins - 1), 0), "int32");
  const counts = fromTypedArray(new Float32Array(bins), [bins], { backend: x.backend.name });
  return scatterAdd(counts, 0, bin, cast(inside, "float32"));
}
