/**
 * Arithmetic: the binary ops every gradient rule is written in, and the
 * handful of unary ops they need (`neg`, `exp`, `log`, `sqrt`, ...).
 *
 * @module
 */
import type { Backend, ElementwiseSpec } from "../backend.ts";
import { promoteTypes } from "../dtype.ts";
import { DTypeError } from "../errors.ts";
import { broadcastShapes } from "../shape.ts";
import { record } from "../autodiff.ts";
import type { Tensor } from "../tensor.ts";
import {
  asTensor,
  type BinaryOp,
  defineBinaryOp,
  defineUnaryOp,
  sameBackend,
  sumToShape,
  type TensorLike,
  type UnaryOp,
  wrap,
} from "./define.ts";

/** Elementwise addition. */
export const Add: BinaryOp = defineBinaryOp({
  name: "Add",
  cpu: (a, b) => a + b,
  wgsl: "a + b",
  vjp: (dy) => [dy, dy],
});
/** Elementwise subtraction. */
export const Sub: BinaryOp = defineBinaryOp({
  name: "Sub",
  cpu: (a, b) => a - b,
  wgsl: "a - b",
  vjp: (dy) => [dy, neg(dy)],
});
/** Elementwise multiplication. */
export const Mul: BinaryOp = defineBinaryOp({
  name: "Mul",
  cpu: (a, b) => a * b,
  wgsl: "a * b",
  // Only the gradients some input needs are computed (x·constant, x·mask).
  vjp: (dy, a, b) => [a.requiresGrad ? mul(dy, b) : null, b.requiresGrad ? mul(dy, a) : null],
});
/** Elementwise true division. */
export const Div: BinaryOp = defineBinaryOp({
  name: "Div",
  cpu: (a, b) => a / b,
  wgsl: "a / b",
  dtype: "float",
  vjp: (dy, a, b, out) => [
    a.requiresGrad ? div(dy, b) : null,
    b.requiresGrad ? neg(mul(dy, div(out, b))) : null,
  ],
});
/** Elementwise power. */
export const Pow: BinaryOp = defineBinaryOp({
  name: "Pow",
  cpu: (a, b) => Math.pow(a, b),
  wgsl: "pow_f(a, b)",
  dtype: "float",
  vjp: (dy, a, b, out) => [
    // Zero where the exponent is 0 (b·a^(b−1) would be 0·∞ = NaN at a = 0), as in PyTorch.
    a.requiresGrad ? mul(dy, where(Equal.apply(b, 0), 0, mul(b, pow(a, sub(b, 1))))) : null,
    b.requiresGrad ? mul(dy, where(logicalAndMask(a, b), 0, mul(out, log(a)))) : null,
  ],
});
/** Elementwise maximum (gradient split evenly on ties, as in PyTorch). */
export const Maximum: BinaryOp = defineBinaryOp({
  name: "Maximum",
  cpu: (a, b) => (a !== a || b !== b) ? NaN : a > b ? a : b,
  wgsl: "max(a, b)",
  vjp: (dy, a, b) => tieSplit(dy, a, b, true),
});
/** Elementwise minimum (gradient split evenly on ties, as in PyTorch). */
export const Minimum: BinaryOp = defineBinaryOp({
  name: "Minimum",
  cpu: (a, b) => (a !== a || b !== b) ? NaN : a < b ? a : b,
  wgsl: "min(a, b)",
  vjp: (dy, a, b) => tieSplit(dy, a, b, false),
});

const Equal = defineBinaryOp({
  name: "Equal",
  cpu: (a, b) => (a === b ? 1 : 0),
  wgsl: "select(0.0, 1.0, a == b)",
  dtype: "bool",
  vjp: null,
});
const Greater = defineBinaryOp({
  name: "Greater",
  cpu: (a, b) => (a > b ? 1 : 0),
  wgsl: "select(0.0, 1.0, a > b)",
  dtype: "bool",
  vjp: null,
});
const PowMask = defineBinaryOp({
  name: "PowMask",
  cpu: (a, b) => (a === 0 && b >= 0 ? 1 : 0),
  wgsl: "select(0.0, 1.0, a == 0.0 && b >= 0.0)",
  dtype: "bool",
  vjp: null,
});
function logicalAndMask(a: Tensor, b: Tensor): Tensor {
  return PowMask.apply(a, b);
}

function tieSplit(
  dy: Tensor,
  a: Tensor,
  b: Tensor,
  isMax: boolean,
): [Tensor | null, Tensor | null] {
  const tie = Equal.apply(a, b);
  const half = mul(dy, 0.5);
  const side = (first: Tensor, second: Tensor) =>
    where(Greater.apply(first, second), dy, where(tie, half, 0));
  return [
    a.requiresGrad ? (isMax ? side(a, b) : side(b, a)) : null,
    b.requiresGrad ? (isMax ? side(b, a) : side(a, b)) : null,
  ];
}

/**
 * Adds `a + b` element-wise with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns The sum, at the broadcast shape.
 * @example
 * ```ts
 * import { add, tensor } from "@dendrite/tensor";
 * console.assert(add(tensor([1, 2]), 10).dataSync().join() === "11,12");
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return Add.apply(a, b);
}

/**
 * Subtracts `a - b` element-wise with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns The difference.
 * @example
 * ```ts
 * import { sub, tensor } from "@dendrite/tensor";
 * console.assert(sub(tensor([3, 4]), tensor([1])).dataSync().join() === "2,3");
 * ```
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return Sub.apply(a, b);
}

/**
 * Multiplies `a * b` element-wise with broadcasting.
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns The product.
 * @example
 * ```ts
 * import { mul, tensor } from "@dendrite/tensor";
 * console.assert(mul(tensor([1, 2]), tensor([3, 4])).dataSync().join() === "3,8");
 * ```
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return Mul.apply(a, b);
}

/**
 * Divides `a / b` element-wise (true division: the result is float32).
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns The quotient.
 * @example
 * ```ts
 * import { div, tensor } from "@dendrite/tensor";
 * console.assert(div(tensor([1, 3]), 2).dataSync().join() === "0.5,1.5");
 * ```
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return Div.apply(a, b);
}

/**
 * Raises `a` to the power `b` element-wise.
 *
 * @param a Base, a tensor or number.
 * @param b Exponent, a tensor or number.
 * @returns `a ** b` (float32).
 * @example
 * ```ts
 * import { pow, tensor } from "@dendrite/tensor";
 * console.assert(pow(tensor([2, 3]), 2).dataSync().join() === "4,9");
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return Pow.apply(a, b);
}

/**
 * Computes `b - a` (reversed subtraction), like `torch.rsub`.
 *
 * @param a A tensor.
 * @param b A tensor or number.
 * @returns `b - a`.
 * @example
 * ```ts
 * import { rsub, tensor } from "@dendrite/tensor";
 * console.assert(rsub(tensor([1, 2]), 1).dataSync().join() === "0,-1");
 * ```
 */
export function rsub(a: TensorLike, b: TensorLike): Tensor {
  return Sub.apply(b, a);
}

/**
 * Computes `b / a` (reversed division).
 *
 * @param a A tensor.
 * @param b A tensor or number.
 * @returns `b / a`.
 * @example
 * ```ts
 * import { rdiv, tensor } from "@dendrite/tensor";
 * console.assert(rdiv(tensor([2, 4]), 1).dataSync().join() === "0.5,0.25");
 * ```
 */
export function rdiv(a: TensorLike, b: TensorLike): Tensor {
  return Div.apply(b, a);
}

/**
 * Element-wise maximum with broadcasting (NaN propagates).
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns The larger of each pair.
 * @example
 * ```ts
 * import { maximum, tensor } from "@dendrite/tensor";
 * console.assert(maximum(tensor([1, 5]), 3).dataSync().join() === "3,5");
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return Maximum.apply(a, b);
}

/**
 * Element-wise minimum with broadcasting (NaN propagates).
 *
 * @param a A tensor or number.
 * @param b A tensor or number.
 * @returns The smaller of each pair.
 * @example
 * ```ts
 * import { minimum, tensor } from "@dendrite/tensor";
 * console.assert(minimum(tensor([1, 5]), 3).dataSync().join() === "1,3");
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return Minimum.apply(a, b);
}

/** Negation. */
export const Neg: UnaryOp = defineUnaryOp({
  name: "Neg",
  cpu: (a) => -a,
  wgsl: "-a",
  dtype: "same",
  vjp: (dy) => neg(dy),
});
/** Natural exponential. */
export const Exp: UnaryOp = defineUnaryOp({
  name: "Exp",
  cpu: (a) => Math.exp(a),
  wgsl: "exp(a)",
  vjp: (dy, _x, out) => mul(dy, out),
});
/** Natural logarithm. */
export const Log: UnaryOp = defineUnaryOp({
  name: "Log",
  cpu: (a) => Math.log(a),
  wgsl: "log(a)",
  vjp: (dy, x) => div(dy, x),
});
/** Square root. */
export const Sqrt: UnaryOp = defineUnaryOp({
  name: "Sqrt",
  cpu: (a) => Math.sqrt(a),
  wgsl: "sqrt(a)",
  vjp: (dy, _x, out) => div(dy, mul(out, 2)),
});
/** Square. */
export const Square: UnaryOp = defineUnaryOp({
  name: "Square",
  cpu: (a) => a * a,
  wgsl: "a * a",
  dtype: "same",
  vjp: (dy, x) => mul(dy, mul(x, 2)),
});

/**
 * Negates element-wise.
 *
 * @param x The input.
 * @returns `-x`.
 * @example
 * ```ts
 * import { neg, tensor } from "@dendrite/tensor";
 * console.assert(neg(tensor([1, -2])).dataSync().join() === "-1,2");
 * ```
 */
export function neg(x: Tensor): Tensor {
  return Neg.apply(x);
}

/**
 * Computes `e^x` element-wise.
 *
 * @param x The input.
 * @returns `exp(x)` (float32).
 * @example
 * ```ts
 * import { exp, tensor } from "@dendrite/tensor";
 * console.assert(exp(tensor([0])).dataSync()[0] === 1);
 * ```
 */
export function exp(x: Tensor): Tensor {
  return Exp.apply(x);
}

/**
 * Computes the natural logarithm element-wise.
 *
 * @param x The input.
 * @returns `ln(x)` (float32; NaN for negative inputs, -Infinity at 0).
 * @example
 * ```ts
 * import { log, tensor } from "@dendrite/tensor";
 * console.assert(log(tensor([1])).dataSync()[0] === 0);
 * ```
 */
export function log(x: Tensor): Tensor {
  return Log.apply(x);
}

/**
 * Computes the square root element-wise.
 *
 * @param x The input.
 * @returns `sqrt(x)` (float32).
 * @example
 * ```ts
 * import { sqrt, tensor } from "@dendrite/tensor";
 * console.assert(sqrt(tensor([4, 9])).dataSync().join() === "2,3");
 * ```
 */
export function sqrt(x: Tensor): Tensor {
  return Sqrt.apply(x);
}

/**
 * Squares element-wise.
 *
 * @param x The input.
 * @returns `x * x`.
 * @example
 * ```ts
 * import { square, tensor } from "@dendrite/tensor";
 * console.assert(square(tensor([3])).dataSync()[0] === 9);
 * ```
 */
export function square(x: Tensor): Tensor {
  return Square.apply(x);
}

/** Element selection `cond ? a : b` (inputs: cond, a, b). */
export const WhereSpec: ElementwiseSpec = {
  name: "Where",
  arity: 3,
  cpu: (c: number, a: number, b: number) => (c !== 0 ? a : b),
  wgsl: "select(c, b, a != 0.0)",
};

/**
 * Picks `a` where `cond` is true and `b` elsewhere, with broadcasting.
 *
 * @param cond A bool tensor (other dtypes: non-zero is true).
 * @param a Values where true (tensor or number).
 * @param b Values where false (tensor or number).
 * @returns The selection at the broadcast shape of all three.
 * @example
 * ```ts
 * import { tensor, where } from "@dendrite/tensor";
 * const c = tensor([true, false]);
 * console.assert(where(c, 1, tensor([5, 6])).dataSync().join() === "1,6");
 * ```
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const like = a instanceof Object ? a as Tensor : b instanceof Object ? b as Tensor : undefined;
  // Numbers go to the condition's backend (where(mask, 1, 0) on a WebGPU mask
  // stays on WebGPU).
  const ta = asTensor(a, like, cond.backend);
  const tb = asTensor(b, like ?? ta, cond.backend);
  const backend: Backend = sameBackend([cond, ta, tb], "where");
  const shape = broadcastShapes(
    broadcastShapes(cond.shape, ta.shape, "where"),
    tb.shape,
    "where",
  );
  let dt = promoteTypes(ta.dtype, tb.dtype);
  if (typeof a === "number" && !Number.isInteger(a)) dt = "float32";
  if (typeof b === "number" && !Number.isInteger(b)) dt = "float32";
  if (dt === "bool" && (ta.dtype !== "bool" || tb.dtype !== "bool")) {
    throw new DTypeError("Cannot mix bool and non-bool values in where()");
  }
  const out = wrap(backend.elementwise(WhereSpec, [cond, ta, tb], shape, dt, []));
  if (dt !== "float32") return out;
  return record("Where", out, [cond, ta, tb], (dy) => [
    null,
    ta.requiresGrad ? sumToShape(where(cond, dy, 0), ta.shape) : null,
    tb.requiresGrad ? sumToShape(where(cond, 0, dy), tb.shape) : null,
  ]);
}
