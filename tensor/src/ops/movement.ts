/**
 * Movement ops that are views when they can be: reshape, permute, expand,
 * slice, squeeze/unsqueeze, plus `contiguous` and `cast` copies.
 *
 * @module
 */
import type { DType } from "../dtype.ts";
import { checkDType } from "../dtype.ts";
import { fmtShape, ShapeError } from "../errors.ts";
import { isContiguous, normAxes, normAxis, shapesEqual, sizeOf, stridesOf } from "../shape.ts";
import { record } from "../autodiff.ts";
import { Tensor } from "../tensor.ts";
import { run, sameBackend, sumToShape, wrap } from "./define.ts";
import { registerKernel } from "../backend.ts";
import { cpuBackend, cpuData, cpuOutput } from "../cpu/backend.ts";
import { allocArray } from "../dtype.ts";
import { coalesce, walkRows } from "../cpu/strided.ts";

function view(
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Tensor {
  return new Tensor(x.storage, shape, strides, offset);
}

/**
 * Computes strides for viewing `x` as `shape` without a copy, or null when
 * the layout does not allow it (as `torch.Tensor.view` decides).
 */
function viewStrides(x: Tensor, shape: readonly number[]): number[] | null {
  if (x.isContiguous) return stridesOf(shape);
  // Split old shape into chunks of contiguous memory and map new dims onto them.
  const oldShape = x.shape, oldStrides = x.strides;
  const newStrides = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  let chunkBase = oldStrides[oldShape.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= shape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}

function resolveShape(x: Tensor, shape: readonly number[], op: string): number[] {
  const out = [...shape];
  let infer = -1;
  let known = 1;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === -1) {
      if (infer >= 0) {
        throw new ShapeError(
          `Cannot ${op} ${fmtShape(x.shape)} to ${fmtShape(shape)}: only one size may be -1`,
        );
      }
      infer = i;
    } else if (!Number.isInteger(out[i]) || out[i] < 0) {
      throw new ShapeError(
        `Cannot ${op} ${fmtShape(x.shape)} to ${
          fmtShape(shape)
        }: sizes must be non-negative integers or -1`,
      );
    } else known *= out[i];
  }
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(
        `Cannot ${op} ${fmtShape(x.shape)} (${x.size} elements) to ${
          fmtShape(shape)
        }: the -1 size cannot be inferred`,
      );
    }
    out[infer] = x.size / known;
  }
  if (sizeOf(out) !== x.size) {
    throw new ShapeError(
      `Cannot ${op} ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)} (${
        sizeOf(out)
      } elements)`,
    );
  }
  return out;
}

/**
 * Gives `x` a new shape with the same elements; a view when the layout
 * allows, a copy otherwise. One size may be `-1`.
 *
 * @param x The input.
 * @param shape The new shape.
 * @returns The reshaped tensor.
 * @example
 * ```ts
 * import { arange, reshape } from "@dendrite/tensor";
 * console.assert(reshape(arange(6), [2, -1]).shape.join() === "2,3");
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.assertAlive("reshape");
  const s = resolveShape(x, shape, "reshape");
  if (shapesEqual(s, x.shape)) return x.requiresGrad ? alias(x) : x;
  const strides = viewStrides(x, s);
  const out = strides ? view(x, s, strides, x.offset) : wrap(x.backend.copy(x, x.dtype));
  const res = strides ? out : view(out, s, stridesOf(s), 0);
  return record("Reshape", res, [x], (dy) => [reshape(dy, x.shape)]);
}

function alias(x: Tensor): Tensor {
  return record("Alias", view(x, x.shape, x.strides, x.offset), [x], (dy) => [dy]);
}

/**
 * Views `x` with a new shape; throws when the memory layout does not allow
 * it without a copy (use `reshape` then).
 *
 * @param x The input.
 * @param shape The new shape (one size may be -1).
 * @returns A view.
 * @example
 * ```ts
 * import { arange, viewAs } from "@dendrite/tensor";
 * console.assert(viewAs(arange(4), [2, 2]).shape.join() === "2,2");
 * ```
 */
export function viewAs(x: Tensor, shape: readonly number[]): Tensor {
  x.assertAlive("view");
  const s = resolveShape(x, shape, "view");
  const strides = viewStrides(x, s);
  if (!strides) {
    throw new ShapeError(
      `Cannot view ${fmtShape(x.shape)} with strides ${fmtShape(x.strides)} as ${
        fmtShape(s)
      } in view(): the layout is not compatible; use reshape() to copy`,
    );
  }
  return record("View", view(x, s, strides, x.offset), [x], (dy) => [reshape(dy, x.shape)]);
}

/**
 * Reorders the axes of `x` (a view).
 *
 * @param x The input.
 * @param axes A permutation of `0..ndim-1` (negative allowed).
 * @returns The permuted view.
 * @example
 * ```ts
 * import { permute, zeros } from "@dendrite/tensor";
 * console.assert(permute(zeros([2, 3, 4]), [2, 0, 1]).shape.join() === "4,2,3");
 * ```
 */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  x.assertAlive("permute");
  if (axes.length !== x.ndim) {
    throw new ShapeError(
      `Cannot permute ${fmtShape(x.shape)} with axes ${fmtShape(axes)}: expected ${x.ndim} axes`,
    );
  }
  const p = axes.map((a) => normAxis(a, x.ndim, "permute"));
  if (new Set(p).size !== p.length) {
    throw new ShapeError(
      `Cannot permute ${fmtShape(x.shape)} with axes ${fmtShape(axes)}: an axis repeats`,
    );
  }
  const out = view(x, p.map((a) => x.shape[a]), p.map((a) => x.strides[a]), x.offset);
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  return record("Permute", out, [x], (dy) => [permute(dy, inv)]);
}

/**
 * Swaps two axes (a view). With no axes on a 2-D tensor, transposes it.
 *
 * @param x The input.
 * @param a First axis (default -2).
 * @param b Second axis (default -1).
 * @returns The transposed view.
 * @example
 * ```ts
 * import { transpose, zeros } from "@dendrite/tensor";
 * console.assert(transpose(zeros([2, 3])).shape.join() === "3,2");
 * ```
 */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  if (x.ndim < 2) return x;
  const p = [...Array(x.ndim).keys()];
  const i = normAxis(a, x.ndim, "transpose"), j = normAxis(b, x.ndim, "transpose");
  [p[i], p[j]] = [p[j], p[i]];
  return permute(x, p);
}

/**
 * Broadcasts `x` to a larger shape without copying (`-1` keeps a size).
 *
 * @param x The input.
 * @param shape The target shape.
 * @returns A view with stride 0 on broadcast axes.
 * @example
 * ```ts
 * import { expand, tensor } from "@dendrite/tensor";
 * console.assert(expand(tensor([[1], [2]]), [2, 3]).dataSync().join() === "1,1,1,2,2,2");
 * ```
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  x.assertAlive("expand");
  if (shape.length < x.ndim) {
    throw new ShapeError(
      `Cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}: the target has fewer axes`,
    );
  }
  const lead = shape.length - x.ndim;
  const outShape: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const src = i >= lead ? x.shape[i - lead] : 1;
    const want = shape[i] === -1 ? src : shape[i];
    if (i < lead && shape[i] === -1) {
      throw new ShapeError(
        `Cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}: -1 is not allowed on a new axis`,
      );
    }
    if (src !== want && src !== 1) {
      throw new ShapeError(
        `Cannot expand ${fmtShape(x.shape)} to ${
          fmtShape(shape)
        }: axis ${i} has size ${src}, expected 1 or ${want}`,
      );
    }
    outShape.push(want);
    strides.push(i >= lead && src === want ? x.strides[i - lead] : 0);
  }
  if (shapesEqual(outShape, x.shape)) return x;
  return record(
    "Expand",
    view(x, outShape, strides, x.offset),
    [x],
    (dy) => [sumToShape(dy, x.shape)],
  );
}

/**
 * Broadcasts `x` to `shape` (same as {@link expand}).
 *
 * @param x The input.
 * @param shape The target shape.
 * @returns A broadcast view.
 * @example
 * ```ts
 * import { broadcastTo, tensor } from "@dendrite/tensor";
 * console.assert(broadcastTo(tensor(1), [2]).shape.join() === "2");
 * ```
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, shape);
}

/**
 * Removes size-1 axes (all, or the given ones; axes whose size is not 1 are
 * left as they are, as in PyTorch).
 *
 * @param x The input.
 * @param axes Axes to remove (default: all size-1 axes).
 * @returns A view.
 * @example
 * ```ts
 * import { squeeze, zeros } from "@dendrite/tensor";
 * console.assert(squeeze(zeros([1, 3, 1])).shape.join() === "3");
 * ```
 */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const drop = new Set(
    axes === undefined
      ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      : normAxes(axes, x.ndim, "squeeze").filter((a) => x.shape[a] === 1),
  );
  return reshape(x, x.shape.filter((_, i) => !drop.has(i)));
}

/**
 * Inserts a size-1 axis at `axis`.
 *
 * @param x The input.
 * @param axis Position in the result (`-ndim-1 <= axis <= ndim`).
 * @returns A view.
 * @example
 * ```ts
 * import { unsqueeze, zeros } from "@dendrite/tensor";
 * console.assert(unsqueeze(zeros([3]), 0).shape.join() === "1,3");
 * ```
 */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.ndim + 1, "unsqueeze");
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/**
 * Flattens axes `start..end` into one.
 *
 * @param x The input.
 * @param start First axis (default 0).
 * @param end Last axis, inclusive (default -1).
 * @returns The flattened tensor.
 * @example
 * ```ts
 * import { flatten, zeros } from "@dendrite/tensor";
 * console.assert(flatten(zeros([2, 3, 4]), 1).shape.join() === "2,12");
 * ```
 */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normAxis(start, x.ndim, "flatten"), e = normAxis(end, x.ndim, "flatten");
  if (s > e) {
    throw new RangeError(`Cannot flatten axes ${start} to ${end}: start comes after end`);
  }
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/**
 * Returns a contiguous (row-major) tensor: `x` itself when it already is.
 *
 * @param x The input.
 * @returns A contiguous tensor with the same values.
 * @example
 * ```ts
 * import { contiguous, zeros } from "@dendrite/tensor";
 * console.assert(contiguous(zeros([2, 3]).transpose()).isContiguous);
 * ```
 */
export function contiguous(x: Tensor): Tensor {
  x.assertAlive("contiguous");
  if (isContiguous(x.shape, x.strides)) return x;
  return record("Contiguous", wrap(x.backend.copy(x, x.dtype)), [x], (dy) => [dy]);
}

/**
 * A copy of `x` in new memory, like `torch.clone`: later in-place updates of
 * either leave the other alone, and gradients flow through it unchanged.
 *
 * @param x The input.
 * @returns A contiguous copy (same dtype and backend).
 * @example
 * ```ts
 * import { add_, clone, tensor } from "@dendrite/tensor";
 * const x = tensor([1, 2]);
 * const y = clone(x);
 * add_(x, 10);
 * console.assert(y.dataSync().join() === "1,2");
 * ```
 */
export function clone(x: Tensor): Tensor {
  x.assertAlive("clone");
  return record("Clone", wrap(x.backend.copy(x, x.dtype)), [x], (dy) => [dy]);
}

/**
 * Converts `x` to another dtype (float → int truncates toward zero; to bool
 * tests non-zero).
 *
 * @param x The input.
 * @param dtype The target dtype.
 * @returns A new tensor (or `x` when the dtype already matches).
 * @example
 * ```ts
 * import { cast, tensor } from "@dendrite/tensor";
 * console.assert(cast(tensor([1.7, -1.7]), "int32").dataSync().join() === "1,-1");
 * ```
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType(dtype, "cast");
  x.assertAlive("cast");
  if (x.dtype === dtype) return x;
  return wrap(x.backend.copy(x, dtype));
}

/** One axis of a slice: an index, a `[start, stop, step]` range (any may be null), or null for all. */
export type SliceSpec = number | null | readonly (number | null | undefined)[];

/**
 * Slices `x` like Python's `x[a:b:c, i, ...]` (a view). Each entry is an
 * index (removes the axis), a range `[start, stop, step]` with negative
 * indices counting from the end and a negative step walking backwards, or
 * `null` for the whole axis. A string such as `"1:, ::2, -1"` works too.
 *
 * @param x The input.
 * @param specs One spec per leading axis, or a string.
 * @returns The sliced view.
 * @example
 * ```ts
 * import { arange, slice } from "@dendrite/tensor";
 * const x = arange(12).reshape([3, 4]);
 * console.assert(slice(x, [[1], [null, null, 2]]).dataSync().join() === "4,6,8,10");
 * console.assert(slice(x, "-1, ::-1").dataSync().join() === "11,10,9,8");
 * ```
 */
export function slice(x: Tensor, specs: readonly SliceSpec[] | string): Tensor {
  x.assertAlive("slice");
  const list = typeof specs === "string" ? parseSlice(specs) : specs;
  if (list.length > x.ndim) {
    throw new ShapeError(
      `Cannot slice ${fmtShape(x.shape)} with ${list.length} specs: the tensor has ${x.ndim} axes`,
    );
  }
  const starts: number[] = [], lens: number[] = [], steps: number[] = [], keep: boolean[] = [];
  for (let d = 0; d < x.ndim; d++) {
    const n = x.shape[d];
    const sp = d < list.length ? list[d] : null;
    if (typeof sp === "number") {
      if (!Number.isInteger(sp) || sp < -n || sp >= n) {
        throw new RangeError(
          `Cannot index axis ${d} of ${
            fmtShape(x.shape)
          } with ${sp} in slice(): expected an integer in [${-n}, ${n - 1}]`,
        );
      }
      starts.push(sp < 0 ? sp + n : sp), lens.push(1), steps.push(1), keep.push(false);
      continue;
    }
    const [s0, e0, st0] = sp === null ? [null, null, null] : [sp[0], sp[1], sp[2]];
    const step = st0 ?? 1;
    if (!Number.isInteger(step) || step === 0) {
      throw new RangeError(
        `Cannot slice axis ${d} with step ${step} in slice(): expected a non-zero integer`,
      );
    }
    const [start, len] = sliceRange(n, s0 ?? null, e0 ?? null, step);
    starts.push(len > 0 ? start : 0), lens.push(len), steps.push(step), keep.push(true);
  }
  return stridedSlice(x, { starts, lens, steps, keep });
}

/** A normalised slice: per axis its start, length, step, and whether the axis stays. */
interface SliceInfo {
  starts: number[];
  lens: number[];
  steps: number[];
  keep: boolean[];
}

function stridedSlice(x: Tensor, info: SliceInfo): Tensor {
  const shape: number[] = [], strides: number[] = [];
  let offset = x.offset;
  for (let d = 0; d < x.ndim; d++) {
    if (info.lens[d] > 0) offset += info.starts[d] * x.strides[d];
    if (info.keep[d]) {
      shape.push(info.lens[d]);
      strides.push(x.strides[d] * info.steps[d]);
    }
  }
  const out = new Tensor(x.storage, shape, strides, offset);
  const r = record("Slice", out, [x], (dy) => [sliceBackward(dy, x.shape, info)]);
  if (r.gradFn) r.gradFn.placement = { ...info, shape: [...x.shape] };
  return r;
}

function sliceRange(
  n: number,
  start: number | null,
  stop: number | null,
  step: number,
): [number, number] {
  // Python's slice.indices semantics.
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
  let s: number, e: number;
  if (step > 0) {
    s = start === null ? 0 : clamp(start < 0 ? start + n : start, 0, n);
    e = stop === null ? n : clamp(stop < 0 ? stop + n : stop, 0, n);
    return [s, Math.max(0, Math.ceil((e - s) / step))];
  }
  s = start === null ? n - 1 : clamp(start < 0 ? start + n : start, -1, n - 1);
  e = stop === null ? -1 : clamp(stop < 0 ? stop + n : stop, -1, n - 1);
  return [s, Math.max(0, Math.ceil((e - s) / step))];
}

function parseSlice(s: string): SliceSpec[] {
  return s.split(",").map((part) => {
    const p = part.trim();
    if (p === "" || p === ":" || p === "::") return null;
    if (!p.includes(":")) {
      const v = Number(p);
      if (!Number.isInteger(v)) {
        throw new RangeError(`Cannot parse slice "${s}": "${p}" is not an integer`);
      }
      return v;
    }
    const bits = p.split(":").map((b) => {
      const t = b.trim();
      if (t === "") return null;
      const v = Number(t);
      if (!Number.isInteger(v)) {
        throw new RangeError(`Cannot parse slice "${s}": "${t}" is not an integer`);
      }
      return v;
    });
    if (bits.length > 3) {
      throw new RangeError(`Cannot parse slice "${s}": "${p}" has more than two colons`);
    }
    return [bits[0], bits[1] ?? null, bits[2] ?? null];
  });
}

/** The gradient of a slice: `dy` placed into zeros of the input's shape. */
function sliceBackward(dy: Tensor, shape: readonly number[], info: SliceInfo): Tensor {
  const [out] = run("SliceScatter", [dy], { shape, ...info });
  return record("SliceBackward", out, [dy], (ddy) => [stridedSlice(ddy, info)]);
}

registerKernel("SliceScatter", "cpu", ([dy], { shape, starts, lens, steps, keep }) => {
  const n = sizeOf(shape);
  const out = allocArray(dy.dtype, n);
  const full = stridesOf(shape);
  let offset = 0;
  const vstrides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (lens[d] > 0) offset += starts[d] * full[d];
    if (keep[d]) vstrides.push(full[d] * steps[d]);
  }
  const src = cpuData(dy);
  const walk = coalesce(dy.shape, [vstrides, dy.strides]);
  const last = walk.shape.length - 1;
  const os = walk.strides[0][last], is = walk.strides[1][last];
  walkRows(walk, [offset, dy.offset], (off, len) => {
    for (let i = 0; i < len; i++) out[off[0] + i * os] = src[off[1] + i * is];
  });
  return [cpuOutput(out, shape)];
});

/**
 * Narrows axis `axis` to `length` elements from `start` (a view).
 *
 * @param x The input.
 * @param axis The axis.
 * @param start First index (negative counts from the end).
 * @param length Number of elements.
 * @returns The narrowed view.
 * @example
 * ```ts
 * import { arange, narrow } from "@dendrite/tensor";
 * console.assert(narrow(arange(5), 0, 1, 2).dataSync().join() === "1,2");
 * ```
 */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normAxis(axis, x.ndim, "narrow");
  const n = x.shape[a];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || s < 0 || !Number.isInteger(length) || length < 0 || s + length > n) {
    throw new RangeError(
      `Cannot narrow axis ${a} of ${
        fmtShape(x.shape)
      } to start ${start}, length ${length}: out of range [0, ${n}]`,
    );
  }
  const specs: SliceSpec[] = x.shape.map(() => null);
  specs[a] = [s, s + length, 1];
  return slice(x, specs);
}

// Keep the CPU backend registered whenever movement ops are loaded.
void cpuBackend;
void sameBackend;
