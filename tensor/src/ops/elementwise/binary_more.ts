/**
 * Integer-style division and angles: `floorDivide`, `remainder` (Python's
 * `//` and `%`, the sign of the divisor), `fmod` (C's, the sign of the
 * dividend) and `atan2`, with broadcasting and tensor-scalar forms.
 *
 * @module
 */
import type { Tensor } from "../../tensor.ts";
import { type BinaryOp, defineBinaryOp, type TensorLike } from "../define.ts";
import { add, div, mul, neg, square } from "../arith.ts";
import { trunc } from "./unary.ts";

// The CPU formulas are compiled into the elementwise loops from their source
// text, so each is self-contained (no helpers from this module).

/** Floor of `a / b`, exact for integers (Python's //). */
export const FloorDivide: BinaryOp = defineBinaryOp({
  name: "FloorDivide",
  cpu: (a, b) => {
    // Exact for integers: (a − Python's a % b) / b, from the exact fmod.
    if (b === 0) return Math.floor(a / b);
    const r = a % b, m = r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
    return Math.round((a - m) / b);
  },
  wgsl: "floor(a / b)",
  vjp: null,
});

/** `a − b·floor(a / b)`: the sign of the divisor. */
export const Remainder: BinaryOp = defineBinaryOp({
  name: "Remainder",
  cpu: (a, b) => {
    const r = a % b;
    return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
  },
  wgsl: "select(a % b, a % b + b, a % b != 0.0 && ((a % b < 0.0) != (b < 0.0)))",
  vjp: (dy, a, b) => [
    a.requiresGrad ? dy : null,
    b.requiresGrad ? neg(mul(dy, FloorDivide.apply(a, b))) : null,
  ],
});

/** `a − b·trunc(a / b)`: the sign of the dividend. */
export const Fmod: BinaryOp = defineBinaryOp({
  name: "Fmod",
  cpu: (a, b) => a % b,
  wgsl: "a % b",
  vjp: (dy, a, b) => [
    a.requiresGrad ? dy : null,
    b.requiresGrad ? neg(mul(dy, trunc(div(a, b)))) : null,
  ],
});

/** The angle of the point `(b, a)`. */
export const Atan2: BinaryOp = defineBinaryOp({
  name: "Atan2",
  cpu: (a, b) => Math.atan2(a, b),
  wgsl: "atan2(a, b)",
  dtype: "float",
  vjp: (dy, a, b) => {
    const r2 = add(square(a), square(b));
    return [
      a.requiresGrad ? mul(dy, div(b, r2)) : null,
      b.requiresGrad ? neg(mul(dy, div(a, r2))) : null,
    ];
  },
});

/**
 * Floor division, like Python's `//` and `torch.div(a, b, rounding_mode="floor")`
 * (int32 stays int32: turning a flat index into a row is `floorDivide(i, width)`).
 * Not differentiable.
 *
 * @param a Dividend (tensor or number).
 * @param b Divisor (tensor or number).
 * @returns `floor(a / b)`.
 * @example
 * ```ts
 * import { floorDivide, tensor } from "@dendrite/tensor";
 * console.assert(floorDivide(tensor(new Int32Array([7, -7])), 2).dataSync().join() === "3,-4");
 * ```
 */
export function floorDivide(a: TensorLike, b: TensorLike): Tensor {
  return FloorDivide.apply(a, b);
}

/**
 * Remainder with the sign of the divisor, like Python's `%` and
 * `torch.remainder` (`a − b·floor(a / b)`).
 *
 * @param a Dividend (tensor or number).
 * @param b Divisor (tensor or number).
 * @returns The remainders.
 * @example
 * ```ts
 * import { remainder, tensor } from "@dendrite/tensor";
 * console.assert(remainder(tensor([7, -7]), 3).dataSync().join() === "1,2");
 * ```
 */
export function remainder(a: TensorLike, b: TensorLike): Tensor {
  return Remainder.apply(a, b);
}

/**
 * Remainder with the sign of the dividend, like C's `fmod` and `torch.fmod`.
 *
 * @param a Dividend (tensor or number).
 * @param b Divisor (tensor or number).
 * @returns The remainders.
 * @example
 * ```ts
 * import { fmod, tensor } from "@dendrite/tensor";
 * console.assert(fmod(tensor([7, -7]), 3).dataSync().join() === "1,-1");
 * ```
 */
export function fmod(a: TensorLike, b: TensorLike): Tensor {
  return Fmod.apply(a, b);
}

/**
 * The four-quadrant arctangent of `a / b` (`torch.atan2(a, b)`), in radians.
 *
 * @param a The y coordinates (tensor or number).
 * @param b The x coordinates (tensor or number).
 * @returns Angles in (−π, π].
 * @example
 * ```ts
 * import { atan2, tensor } from "@dendrite/tensor";
 * console.assert(Math.abs(atan2(tensor([1]), tensor([-1])).dataSync()[0] - 3 * Math.PI / 4) < 1e-6);
 * ```
 */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  return Atan2.apply(a, b);
}
