/**
 * The remaining activations of `torch.nn.functional` (`softshrink`,
 * `hardshrink`, `tanhshrink`, `threshold`, `glu`) and `lerp` and `isclose`,
 * built from the
 * elementwise ops (so every backend runs them and their gradients, double
 * backward included, follow from those ops').
 *
 * @module
 */
import { fmtShape, ShapeError } from "../../errors.ts";
import type { Tensor } from "../../tensor.ts";
import { add, mul, sub, where } from "../arith.ts";
import { eq, gt, le, logicalAnd, logicalOr, lt } from "../compare.ts";
import { normAxis } from "../../shape.ts";
import { narrow } from "../movement.ts";
import { abs, isFinite, isNan, tanh } from "./unary.ts";
import { sigmoid } from "./activation.ts";
import { checkNumber } from "./_check.ts";

function checkLambda(op: string, lambd: number | undefined): number {
  checkNumber(op, "lambd", lambd, true);
  const l = lambd ?? 0.5;
  if (l < 0) {
    throw new RangeError(`Cannot apply ${op}() with lambd ${l}: expected a non-negative value`);
  }
  return l;
}

/**
 * Soft shrinkage: `x − λ` above `λ`, `x + λ` below `−λ`, 0 between (and at
 * ±λ, where the gradient is 0 too, as in PyTorch).
 *
 * @param x The input (float32).
 * @param options `lambd` (0.5, non-negative).
 * @returns The shrunk values.
 * @example
 * ```ts
 * import { softshrink, tensor } from "@dendrite/tensor";
 * console.assert(softshrink(tensor([-2, 0.3, 1])).dataSync().join() === "-1.5,0,0.5");
 * ```
 */
export function softshrink(x: Tensor, options: { lambd?: number } = {}): Tensor {
  const l = checkLambda("softshrink", options.lambd);
  return where(gt(x, l), sub(x, l), where(lt(x, -l), add(x, l), 0));
}

/**
 * Hard shrinkage: `x` where `|x| > λ`, else 0.
 *
 * @param x The input (float32).
 * @param options `lambd` (0.5, non-negative).
 * @returns The shrunk values.
 * @example
 * ```ts
 * import { hardshrink, tensor } from "@dendrite/tensor";
 * console.assert(hardshrink(tensor([-2, 0.3, 1])).dataSync().join() === "-2,0,1");
 * ```
 */
export function hardshrink(x: Tensor, options: { lambd?: number } = {}): Tensor {
  const l = checkLambda("hardshrink", options.lambd);
  return where(gt(abs(x), l), x, 0);
}

/**
 * `x − tanh(x)`.
 *
 * @param x The input (float32).
 * @returns The values.
 * @example
 * ```ts
 * import { tanhshrink, tensor } from "@dendrite/tensor";
 * console.assert(tanhshrink(tensor([0])).dataSync()[0] === 0);
 * ```
 */
export function tanhshrink(x: Tensor): Tensor {
  return sub(x, tanh(x));
}

/**
 * `x` where `x > threshold`, else `value` (PyTorch's `F.threshold`; the
 * gradient is 0 at and below the threshold).
 *
 * @param x The input (float32).
 * @param threshold The threshold.
 * @param value What replaces the values at or below it.
 * @returns The thresholded values.
 * @example
 * ```ts
 * import { threshold, tensor } from "@dendrite/tensor";
 * console.assert(threshold(tensor([-1, 0.5, 2]), 0.5, -3).dataSync().join() === "-3,-3,2");
 * ```
 */
export function threshold(x: Tensor, threshold: number, value: number): Tensor {
  checkNumber("threshold", "threshold", threshold, false);
  checkNumber("threshold", "value", value, false);
  return where(gt(x, threshold), x, value);
}

/**
 * Gated linear unit: the first half of `axis` times the sigmoid of the
 * second half, `a · σ(b)`.
 *
 * @param x The input (float32), even along `axis`.
 * @param axis The axis halved (default -1).
 * @returns Half as long along `axis`.
 * @example
 * ```ts
 * import { glu, tensor } from "@dendrite/tensor";
 * console.assert(glu(tensor([[2, 0]])).dataSync()[0] === 1);
 * ```
 */
export function glu(x: Tensor, axis = -1): Tensor {
  const a = normAxis(axis, x.ndim, "glu");
  const n = x.shape[a];
  if (n % 2 !== 0) {
    throw new ShapeError(
      `Cannot apply glu() along axis ${axis} of ${fmtShape(x.shape)}: its size ${n} must be even`,
    );
  }
  return mul(narrow(x, a, 0, n / 2), sigmoid(narrow(x, a, n / 2, n / 2)));
}

/**
 * Linear interpolation `start + weight·(end − start)`, like `torch.lerp`
 * (for weights from 0.5 up computed as `end − (end − start)·(1 − weight)`,
 * as PyTorch does, so weight 1 gives `end` exactly). Handy for exponential
 * moving averages of weights.
 *
 * @param start The start (float32).
 * @param end The end, broadcastable.
 * @param weight A number or a broadcastable tensor.
 * @returns The interpolation.
 * @example
 * ```ts
 * import { lerp, tensor } from "@dendrite/tensor";
 * console.assert(lerp(tensor([0, 10]), tensor([10, 20]), 0.25).dataSync().join() === "2.5,12.5");
 * ```
 */
export function lerp(start: Tensor, end: Tensor, weight: number | Tensor): Tensor {
  const diff = sub(end, start);
  if (typeof weight === "number") {
    return weight < 0.5 ? add(start, mul(diff, weight)) : sub(end, mul(diff, 1 - weight));
  }
  return where(lt(weight, 0.5), add(start, mul(diff, weight)), sub(end, mul(diff, sub(1, weight))));
}

/**
 * Elementwise closeness, like `torch.isclose`: `|a − b| ≤ atol + rtol·|b|`
 * for finite values, equality for infinities, and NaN close to NaN only
 * with `equalNan`.
 *
 * @param a The first input.
 * @param b The second, broadcastable.
 * @param options `rtol` (1e-5), `atol` (1e-8), `equalNan` (false).
 * @returns A bool tensor.
 * @example
 * ```ts
 * import { isclose, tensor } from "@dendrite/tensor";
 * console.assert(isclose(tensor([1, 2]), tensor([1 + 1e-7, 2.1])).dataSync().join() === "1,0");
 * ```
 */
export function isclose(
  a: Tensor,
  b: Tensor,
  options: { rtol?: number; atol?: number; equalNan?: boolean } = {},
): Tensor {
  const rtol = options.rtol ?? 1e-5, atol = options.atol ?? 1e-8;
  if (rtol < 0 || atol < 0) {
    throw new RangeError(
      `Cannot apply isclose() with rtol ${rtol} and atol ${atol}: expected non-negative tolerances`,
    );
  }
  const finite = logicalAnd(isFinite(a), isFinite(b));
  const near = logicalAnd(finite, le(abs(sub(a, b)), add(mul(abs(b), rtol), atol)));
  const close = logicalOr(eq(a, b), near);
  return options.equalNan ? logicalOr(close, logicalAnd(isNan(a), isNan(b))) : close;
}
