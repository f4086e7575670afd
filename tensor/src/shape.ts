/**
 * Shape arithmetic: sizes, strides, broadcasting and axis normalisation.
 *
 * @module
 */
import { fmtShape, ShapeError } from "./errors.ts";

/**
 * Returns the number of elements of a shape.
 *
 * @param shape The shape.
 * @returns The product of its sizes (1 for a scalar).
 * @example
 * ```ts
 * import { sizeOf } from "@dendrite/tensor";
 * console.assert(sizeOf([2, 3]) === 6);
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Returns the row-major (C-order) strides of a shape.
 *
 * @param shape The shape.
 * @returns The stride of each axis, in elements.
 * @example
 * ```ts
 * import { stridesOf } from "@dendrite/tensor";
 * console.assert(stridesOf([2, 3, 4]).join() === "12,4,1");
 * ```
 */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Tells whether `strides` are the row-major strides of `shape` (size-1 axes
 * may have any stride).
 *
 * @param shape The shape.
 * @param strides The strides.
 * @returns True when a flat walk over the storage visits elements in order.
 * @example
 * ```ts
 * import { isContiguous } from "@dendrite/tensor";
 * console.assert(isContiguous([2, 3], [3, 1]));
 * console.assert(!isContiguous([2, 3], [1, 2]));
 * ```
 */
export function isContiguous(
  shape: readonly number[],
  strides: readonly number[],
): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

/**
 * Broadcasts two shapes with NumPy's rules.
 *
 * @param a The first shape.
 * @param b The second shape.
 * @param op The op name for the error message.
 * @returns The broadcast shape.
 * @example
 * ```ts
 * import { broadcastShapes } from "@dendrite/tensor";
 * console.assert(broadcastShapes([2, 1], [3], "add").join() === "2,3");
 * ```
 */
export function broadcastShapes(
  a: readonly number[],
  b: readonly number[],
  op: string,
): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `Cannot broadcast shapes ${fmtShape(a)} and ${
          fmtShape(b)
        } in ${op}(): axis ${i} has sizes ${da} and ${db}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Normalises a possibly negative axis against `ndim`.
 *
 * @param axis The axis, `-ndim <= axis < ndim`.
 * @param ndim The number of axes.
 * @param op The op name for the error message.
 * @returns The axis in `[0, ndim)`.
 * @example
 * ```ts
 * import { normAxis } from "@dendrite/tensor";
 * console.assert(normAxis(-1, 3, "sum") === 2);
 * ```
 */
export function normAxis(axis: number, ndim: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -Math.max(ndim, 1) || axis >= Math.max(ndim, 1)) {
    throw new RangeError(
      `Cannot use axis ${axis} in ${op}(): expected an integer in [${-Math.max(ndim, 1)}, ${
        Math.max(ndim, 1) - 1
      }] for a tensor with ${ndim} axes`,
    );
  }
  return axis < 0 ? axis + Math.max(ndim, 1) : axis;
}

/**
 * Normalises an axis list (or all axes when `axes` is undefined), sorted and
 * without duplicates.
 *
 * @param axes One axis, a list of axes, or undefined for all.
 * @param ndim The number of axes.
 * @param op The op name for the error message.
 * @returns Sorted axes in `[0, ndim)`.
 * @example
 * ```ts
 * import { normAxes } from "@dendrite/tensor";
 * console.assert(normAxes([-1, 0], 3, "sum").join() === "0,2");
 * ```
 */
export function normAxes(
  axes: number | readonly number[] | undefined,
  ndim: number,
  op: string,
): number[] {
  if (axes === undefined) return [...Array(ndim).keys()];
  const list = typeof axes === "number" ? [axes] : axes;
  const out = list.map((a) => normAxis(a, ndim, op));
  const set = new Set(out);
  if (set.size !== out.length) {
    throw new RangeError(
      `Cannot use axes [${list.join(", ")}] in ${op}(): an axis appears twice`,
    );
  }
  return out.sort((x, y) => x - y);
}

/**
 * Checks that a shape is a list of non-negative integers.
 *
 * @param shape The shape to check.
 * @param op The op name for the error message.
 * @returns The shape as a fresh array.
 * @example
 * ```ts
 * import { checkShape } from "@dendrite/tensor";
 * console.assert(checkShape([2, 0], "zeros").length === 2);
 * ```
 */
export function checkShape(shape: readonly number[], op: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(
      `Cannot use shape ${
        Array.isArray(shape) ? fmtShape(shape) : String(shape)
      } in ${op}(): expected a list of non-negative integers`,
    );
  }
  return [...shape];
}

/**
 * Compares two shapes for equality.
 *
 * @param a The first shape.
 * @param b The second shape.
 * @returns True when both have the same sizes.
 * @example
 * ```ts
 * import { shapesEqual } from "@dendrite/tensor";
 * console.assert(shapesEqual([2, 3], [2, 3]));
 * ```
 */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
