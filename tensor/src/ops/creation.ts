/**
 * Tensor creation: from data, constants, ranges and identity matrices.
 *
 * @module
 */
import { backendByName, getBackend } from "../backend.ts";
import type { DType, TypedArray } from "../dtype.ts";
import { allocArray, checkDType, dtypeOfArray } from "../dtype.ts";
import { fmtShape, ShapeError } from "../errors.ts";
import { checkShape, sizeOf } from "../shape.ts";
import { Tensor } from "../tensor.ts";

/** Nested arrays of numbers or booleans, or one of them. */
export type NestedData = number | boolean | readonly NestedData[];

/** Options for tensor creation. */
export interface CreateOptions {
  /** Element type (default: float32; bool for boolean data; int32 for an `Int32Array`). */
  dtype?: DType;
  /** Track gradients (float32 only). */
  requiresGrad?: boolean;
  /** Backend name (default: the current backend). */
  backend?: string;
}

/** Options for `tensor()` from a flat typed array. */
export interface TensorOptions extends CreateOptions {
  /** Shape for flat data (default: 1-D). */
  shape?: readonly number[];
}

/**
 * Creates a tensor from nested arrays, a number, or a typed array.
 *
 * @param data Nested arrays (rectangular), a number/boolean, or a typed array.
 * @param options `dtype`, `requiresGrad`, `shape` (for flat data), `backend`.
 * @returns A new tensor holding a copy of the data.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * console.assert(x.shape.join() === "2,3");
 * const i = tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] });
 * console.assert(i.dtype === "int32");
 * ```
 */
export function tensor(
  data: NestedData | TypedArray,
  options: TensorOptions = {},
): Tensor {
  let flat: TypedArray;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    const dt = options.dtype ? checkDType(options.dtype, "tensor") : dtypeOfArray(data);
    flat = convert(data, dt);
    shape = options.shape ? checkShape(options.shape, "tensor") : [data.length];
  } else {
    shape = inferShape(data);
    const values: (number | boolean)[] = [];
    flatten(data, shape, 0, values);
    const isBool = values.length > 0 && typeof values[0] === "boolean";
    const dt = options.dtype ? checkDType(options.dtype, "tensor") : isBool ? "bool" : "float32";
    flat = allocArray(dt, values.length);
    for (let i = 0; i < values.length; i++) flat[i] = Number(values[i]);
    if (options.shape) {
      const s = checkShape(options.shape, "tensor");
      if (sizeOf(s) !== values.length) {
        throw new ShapeError(
          `Cannot create a tensor of shape ${
            fmtShape(s)
          } in tensor(): the data has ${values.length} elements`,
        );
      }
      shape = s;
    }
  }
  if (sizeOf(shape) !== flat.length) {
    throw new ShapeError(
      `Cannot create a tensor of shape ${
        fmtShape(shape)
      } in tensor(): the data has ${flat.length} elements`,
    );
  }
  return finish(flat, shape, options);
}

function convert(data: TypedArray | ArrayBufferView, dt: DType): TypedArray {
  const src = data as unknown as ArrayLike<number>;
  const out = allocArray(dt, src.length);
  if (dt === "bool") { for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0; }
  else out.set(src);
  return out;
}

function finish(flat: TypedArray, shape: number[], options: CreateOptions): Tensor {
  const b = options.backend ? backendByName(options.backend) : getBackend();
  const t = new Tensor(b.fromArray(flat), shape);
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(data: NestedData): number[] {
  const shape: number[] = [];
  let cur: NestedData = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  if (!Array.isArray(data) && typeof data !== "number" && typeof data !== "boolean") {
    throw new TypeError(
      `Cannot create a tensor from ${typeof data} in tensor(): expected a number, boolean, nested array or typed array`,
    );
  }
  return shape;
}

function flatten(
  data: NestedData,
  shape: number[],
  axis: number,
  out: (number | boolean)[],
): void {
  if (axis === shape.length) {
    if (typeof data !== "number" && typeof data !== "boolean") {
      throw new ShapeError(
        `Cannot create a tensor in tensor(): the nested arrays are ragged (expected shape ${
          fmtShape(shape)
        })`,
      );
    }
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[axis]) {
    throw new ShapeError(
      `Cannot create a tensor in tensor(): the nested arrays are ragged at depth ${axis} (expected length ${
        shape[axis]
      }, got ${Array.isArray(data) ? data.length : typeof data})`,
    );
  }
  for (const d of data) flatten(d, shape, axis + 1, out);
}

/**
 * Creates a tensor filled with `value`.
 *
 * @param shape The shape.
 * @param value The fill value.
 * @param options `dtype` (default float32, or bool for a boolean), `requiresGrad`, `backend`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { full } from "@dendrite/tensor";
 * console.assert(full([2], 7).dataSync().join() === "7,7");
 * ```
 */
export function full(
  shape: readonly number[],
  value: number | boolean,
  options: CreateOptions = {},
): Tensor {
  const s = checkShape(shape, "full");
  const dt = options.dtype
    ? checkDType(options.dtype, "full")
    : typeof value === "boolean"
    ? "bool"
    : "float32";
  const flat = allocArray(dt, sizeOf(s));
  if (value !== 0 && value !== false) flat.fill(Number(value));
  return finish(flat, s, options);
}

/**
 * Creates a tensor of zeros.
 *
 * @param shape The shape.
 * @param options `dtype`, `requiresGrad`, `backend`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { zeros } from "@dendrite/tensor";
 * console.assert(zeros([2, 3]).size === 6);
 * ```
 */
export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

/**
 * Creates a tensor of ones.
 *
 * @param shape The shape.
 * @param options `dtype`, `requiresGrad`, `backend`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { ones } from "@dendrite/tensor";
 * console.assert(ones([2]).dataSync().join() === "1,1");
 * ```
 */
export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

/**
 * Creates zeros with the shape, dtype and backend of `x`.
 *
 * @param x The model tensor.
 * @param options Overrides.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { ones, zerosLike } from "@dendrite/tensor";
 * console.assert(zerosLike(ones([3])).dataSync().join() === "0,0,0");
 * ```
 */
export function zerosLike(x: Tensor, options: CreateOptions = {}): Tensor {
  return full(x.shape, 0, { dtype: x.dtype, backend: x.backend.name, ...options });
}

/**
 * Creates ones with the shape, dtype and backend of `x`.
 *
 * @param x The model tensor.
 * @param options Overrides.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { onesLike, zeros } from "@dendrite/tensor";
 * console.assert(onesLike(zeros([2])).dataSync().join() === "1,1");
 * ```
 */
export function onesLike(x: Tensor, options: CreateOptions = {}): Tensor {
  return full(x.shape, 1, { dtype: x.dtype, backend: x.backend.name, ...options });
}

/**
 * Creates a tensor filled with `value` with the shape, dtype and backend of `x`.
 *
 * @param x The model tensor.
 * @param value The fill value.
 * @param options Overrides.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { fullLike, zeros } from "@dendrite/tensor";
 * console.assert(fullLike(zeros([2]), 3).dataSync().join() === "3,3");
 * ```
 */
export function fullLike(x: Tensor, value: number | boolean, options: CreateOptions = {}): Tensor {
  return full(x.shape, value, { dtype: x.dtype, backend: x.backend.name, ...options });
}

/**
 * Creates `[start, start + step, ...)` up to (excluding) `end`, like
 * `torch.arange`. With one argument it counts from 0.
 *
 * @param start Start (or end when `end` is omitted).
 * @param end End, exclusive.
 * @param options `step` (default 1), `dtype` (int32 when all arguments are integers, else float32).
 * @returns A 1-D tensor.
 * @example
 * ```ts
 * import { arange } from "@dendrite/tensor";
 * console.assert(arange(4).dataSync().join() === "0,1,2,3");
 * console.assert(arange(1, 2, { step: 0.5 }).dataSync().join() === "1,1.5");
 * ```
 */
export function arange(
  start: number,
  end?: number,
  options: CreateOptions & { step?: number } = {},
): Tensor {
  if (end === undefined) [start, end] = [0, start];
  const step = options.step ?? 1;
  if (step === 0 || !Number.isFinite(step)) {
    throw new RangeError(`Cannot use step ${step} in arange(): expected a finite non-zero number`);
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new RangeError(
      `Cannot use start ${start} and end ${end} in arange(): expected finite numbers`,
    );
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInt = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dt = options.dtype ?? (allInt ? "int32" : "float32");
  const flat = allocArray(dt, n);
  for (let i = 0; i < n; i++) flat[i] = start + i * step;
  return finish(flat, [n], options);
}

/**
 * Creates `steps` evenly spaced values from `start` to `end` inclusive.
 *
 * @param start First value.
 * @param end Last value.
 * @param steps Number of values (>= 0).
 * @param options `dtype`, `requiresGrad`, `backend`.
 * @returns A 1-D tensor.
 * @example
 * ```ts
 * import { linspace } from "@dendrite/tensor";
 * console.assert(linspace(0, 1, 5).dataSync().join() === "0,0.25,0.5,0.75,1");
 * ```
 */
export function linspace(
  start: number,
  end: number,
  steps: number,
  options: CreateOptions = {},
): Tensor {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new RangeError(
      `Cannot use steps ${steps} in linspace(): expected a non-negative integer`,
    );
  }
  const flat = allocArray(options.dtype ?? "float32", steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Like PyTorch, fill the second half from the end for symmetry.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    flat[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  }
  return finish(flat, [steps], options);
}

/**
 * Creates an identity matrix `[n, m]`.
 *
 * @param n Rows.
 * @param m Columns (default `n`).
 * @param options `dtype`, `requiresGrad`, `backend`.
 * @returns A 2-D tensor with ones on the diagonal.
 * @example
 * ```ts
 * import { eye } from "@dendrite/tensor";
 * console.assert(eye(2).dataSync().join() === "1,0,0,1");
 * ```
 */
export function eye(n: number, m: number = n, options: CreateOptions = {}): Tensor {
  const s = checkShape([n, m], "eye");
  const flat = allocArray(options.dtype ?? "float32", n * m);
  for (let i = 0; i < Math.min(n, m); i++) flat[i * m + i] = 1;
  return finish(flat, s, options);
}

/**
 * Creates a tensor from a typed array without copying checks beyond size
 * (for kernels and loaders that already hold row-major data).
 *
 * @param flat Row-major elements (copied).
 * @param shape The shape.
 * @param options `requiresGrad`, `backend`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { fromTypedArray } from "@dendrite/tensor";
 * console.assert(fromTypedArray(new Float32Array(4), [2, 2]).shape.join() === "2,2");
 * ```
 */
export function fromTypedArray(
  flat: TypedArray,
  shape: readonly number[],
  options: CreateOptions = {},
): Tensor {
  if (sizeOf(shape) !== flat.length) {
    throw new ShapeError(
      `Cannot create a tensor of shape ${
        fmtShape(shape)
      } in fromTypedArray(): the data has ${flat.length} elements`,
    );
  }
  return finish(flat, [...shape], options);
}

/**
 * Creates a tensor to be filled later (zero-filled here, so reading it is
 * deterministic), like `torch.empty`.
 *
 * @param shape The shape.
 * @param options `dtype`, `requiresGrad`, `backend`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { empty } from "@dendrite/tensor";
 * console.assert(empty([2, 3]).size === 6);
 * ```
 */
export function empty(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}
