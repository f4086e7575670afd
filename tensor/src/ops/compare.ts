/**
 * Comparisons and logical ops; all return bool tensors and have no gradient.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import {
  type BinaryOp,
  defineBinaryOp,
  defineUnaryOp,
  type TensorLike,
  type UnaryOp,
} from "./define.ts";

const cmp = (name: string, cpu: (a: number, b: number) => number, wgsl: string): BinaryOp =>
  defineBinaryOp({ name, cpu, wgsl, dtype: "bool", vjp: null });

/** `a == b`. */
export const Eq: BinaryOp = cmp("Eq", (a, b) => (a === b ? 1 : 0), "select(0.0, 1.0, a == b)");
/** `a != b`. */
export const Ne: BinaryOp = cmp("Ne", (a, b) => (a !== b ? 1 : 0), "select(0.0, 1.0, a != b)");
/** `a < b`. */
export const Lt: BinaryOp = cmp("Lt", (a, b) => (a < b ? 1 : 0), "select(0.0, 1.0, a < b)");
/** `a <= b`. */
export const Le: BinaryOp = cmp("Le", (a, b) => (a <= b ? 1 : 0), "select(0.0, 1.0, a <= b)");
/** `a > b`. */
export const Gt: BinaryOp = cmp("Gt", (a, b) => (a > b ? 1 : 0), "select(0.0, 1.0, a > b)");
/** `a >= b`. */
export const Ge: BinaryOp = cmp("Ge", (a, b) => (a >= b ? 1 : 0), "select(0.0, 1.0, a >= b)");
/** Logical and (non-zero is true). */
export const LogicalAnd: BinaryOp = cmp(
  "LogicalAnd",
  (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  "select(0.0, 1.0, a != 0.0 && b != 0.0)",
);
/** Logical or. */
export const LogicalOr: BinaryOp = cmp(
  "LogicalOr",
  (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  "select(0.0, 1.0, a != 0.0 || b != 0.0)",
);
/** Logical not. */
export const LogicalNot: UnaryOp = defineUnaryOp({
  name: "LogicalNot",
  cpu: (a) => (a === 0 ? 1 : 0),
  wgsl: "select(0.0, 1.0, a == 0.0)",
  dtype: "bool",
  vjp: null,
});

/**
 * Element-wise `a == b` with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { eq, tensor } from "@dendrite/tensor";
 * console.assert(eq(tensor([1, 2]), 2).dataSync().join() === "0,1");
 * ```
 */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return Eq.apply(a, b);
}

/**
 * Element-wise `a != b` with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { ne, tensor } from "@dendrite/tensor";
 * console.assert(ne(tensor([1, 2]), 2).dataSync().join() === "1,0");
 * ```
 */
export function ne(a: TensorLike, b: TensorLike): Tensor {
  return Ne.apply(a, b);
}

/**
 * Element-wise `a < b` with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { lt, tensor } from "@dendrite/tensor";
 * console.assert(lt(tensor([1, 2]), 2).dataSync().join() === "1,0");
 * ```
 */
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return Lt.apply(a, b);
}

/**
 * Element-wise `a <= b` with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { le, tensor } from "@dendrite/tensor";
 * console.assert(le(tensor([1, 3]), 2).dataSync().join() === "1,0");
 * ```
 */
export function le(a: TensorLike, b: TensorLike): Tensor {
  return Le.apply(a, b);
}

/**
 * Element-wise `a > b` with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { gt, tensor } from "@dendrite/tensor";
 * console.assert(gt(tensor([1, 3]), 2).dataSync().join() === "0,1");
 * ```
 */
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return Gt.apply(a, b);
}

/**
 * Element-wise `a >= b` with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { ge, tensor } from "@dendrite/tensor";
 * console.assert(ge(tensor([1, 2]), 2).dataSync().join() === "0,1");
 * ```
 */
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return Ge.apply(a, b);
}

/**
 * Element-wise logical and (non-zero counts as true).
 *
 * @param a A tensor or boolean.
 * @param b A tensor or boolean.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { logicalAnd, tensor } from "@dendrite/tensor";
 * console.assert(logicalAnd(tensor([true, true]), tensor([true, false])).dataSync().join() === "1,0");
 * ```
 */
export function logicalAnd(a: TensorLike, b: TensorLike): Tensor {
  return LogicalAnd.apply(a, b);
}

/**
 * Element-wise logical or.
 *
 * @param a A tensor or boolean.
 * @param b A tensor or boolean.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { logicalOr, tensor } from "@dendrite/tensor";
 * console.assert(logicalOr(tensor([false, true]), false).dataSync().join() === "0,1");
 * ```
 */
export function logicalOr(a: TensorLike, b: TensorLike): Tensor {
  return LogicalOr.apply(a, b);
}

/**
 * Element-wise logical not.
 *
 * @param x The input.
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { logicalNot, tensor } from "@dendrite/tensor";
 * console.assert(logicalNot(tensor([true, false])).dataSync().join() === "0,1");
 * ```
 */
export function logicalNot(x: Tensor): Tensor {
  return LogicalNot.apply(x);
}
