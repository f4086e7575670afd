/**
 * Elementwise math: `abs`, `sign`, `log1p`, `expm1`, `rsqrt`, `reciprocal`,
 * trigonometry, `erf`, rounding, `clamp`, `isNan`, `isFinite`.
 *
 * @module
 */
import type { Tensor } from "../../tensor.ts";
import { defineUnaryOp, type UnaryOp } from "../define.ts";
import { div, exp, mul, neg, square, where } from "../arith.ts";
import { erfn } from "../../cpu/prelude.ts";
import { ge, le, logicalAnd } from "../compare.ts";
import { zerosLike } from "../creation.ts";
import { cast } from "../movement.ts";
import { checkNumber } from "./_check.ts";

const zeroGrad = (dy: Tensor) => zerosLike(dy);

/** Absolute value. */
export const Abs: UnaryOp = defineUnaryOp({
  name: "Abs",
  cpu: (a) => Math.abs(a),
  wgsl: "abs(a)",
  dtype: "same",
  vjp: (dy, x) => mul(dy, sign(x)),
});
/** Sign (-1, 0, 1; 0 for NaN, as in PyTorch). */
export const Sign: UnaryOp = defineUnaryOp({
  name: "Sign",
  cpu: (a) => (a > 0 ? 1 : a < 0 ? -1 : 0),
  wgsl: "select(select(0.0, -1.0, a < 0.0), 1.0, a > 0.0)",
  dtype: "keep",
  vjp: zeroGrad,
});
/** `log(1 + x)`. */
export const Log1p: UnaryOp = defineUnaryOp({
  name: "Log1p",
  cpu: (a) => Math.log1p(a),
  wgsl: "log1p_f(a)",
  vjp: (dy, x) => div(dy, x.add(1)),
});
/** `exp(x) - 1`. */
export const Expm1: UnaryOp = defineUnaryOp({
  name: "Expm1",
  cpu: (a) => Math.expm1(a),
  wgsl: "expm1_f(a)",
  vjp: (dy, _x, out) => mul(dy, out.add(1)),
});
/** `1 / sqrt(x)`. */
export const Rsqrt: UnaryOp = defineUnaryOp({
  name: "Rsqrt",
  cpu: (a) => 1 / Math.sqrt(a),
  wgsl: "inverseSqrt(a)",
  vjp: (dy, _x, out) => mul(dy, mul(out, square(out)).mul(-0.5)),
});
/** `1 / x`. */
export const Reciprocal: UnaryOp = defineUnaryOp({
  name: "Reciprocal",
  cpu: (a) => 1 / a,
  wgsl: "1.0 / a",
  vjp: (dy, _x, out) => neg(mul(dy, square(out))),
});
/** Sine. */
export const Sin: UnaryOp = defineUnaryOp({
  name: "Sin",
  cpu: (a) => Math.sin(a),
  wgsl: "sin(a)",
  vjp: (dy, x) => mul(dy, cos(x)),
});
/** Cosine. */
export const Cos: UnaryOp = defineUnaryOp({
  name: "Cos",
  cpu: (a) => Math.cos(a),
  wgsl: "cos(a)",
  vjp: (dy, x) => neg(mul(dy, sin(x))),
});
/** Hyperbolic tangent. */
export const Tanh: UnaryOp = defineUnaryOp({
  name: "Tanh",
  cpu: (a) => Math.tanh(a),
  wgsl:
    "select(select(tanh(a), sign(a), abs(a) > 15.0), a, (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u)",
  vjp: (dy, _x, out) => mul(dy, square(out).rsub(1)),
});
/** Gauss error function. */
export const Erf: UnaryOp = defineUnaryOp({
  name: "Erf",
  cpu: (a) => erfn(a),
  wgsl: "erf_f(a)",
  vjp: (dy, x) => mul(dy, exp(square(x).neg()).mul(1.1283791670955126)),
});
/** Round down. */
export const Floor: UnaryOp = defineUnaryOp({
  name: "Floor",
  cpu: (a) => Math.floor(a),
  wgsl: "floor(a)",
  dtype: "same",
  vjp: zeroGrad,
});
/** Round up. */
export const Ceil: UnaryOp = defineUnaryOp({
  name: "Ceil",
  cpu: (a) => Math.ceil(a),
  wgsl: "ceil(a)",
  dtype: "same",
  vjp: zeroGrad,
});
/** Round half to even. */
export const Round: UnaryOp = defineUnaryOp({
  name: "Round",
  cpu: (a) => {
    // Math.round sends halves up; move odd results of a tie back down.
    const r = Math.round(a);
    return r - a === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  wgsl: "round(a)",
  dtype: "same",
  vjp: zeroGrad,
});
/** Round toward zero. */
export const Trunc: UnaryOp = defineUnaryOp({
  name: "Trunc",
  cpu: (a) => Math.trunc(a),
  wgsl: "trunc(a)",
  dtype: "same",
  vjp: zeroGrad,
});
/** Clamp: `min(max(a, p0), p1)` (so `p1` wins when `p0 > p1`; NaN input stays NaN). */
export const Clamp: UnaryOp = defineUnaryOp({
  name: "Clamp",
  cpu: (a, lo, hi) => {
    const v = a < lo ? lo : a;
    return v > hi ? hi : v;
  },
  wgsl: "select(min(max(a, p0), p1), a, a != a)",
  dtype: "same",
  vjp: (dy, x, _out, [lo, hi]) => {
    const mask = lo === -Infinity
      ? le(x, hi)
      : hi === Infinity
      ? ge(x, lo)
      : logicalAnd(ge(x, lo), le(x, hi));
    return where(mask, dy, 0);
  },
});
/** NaN test. */
export const IsNan: UnaryOp = defineUnaryOp({
  name: "IsNan",
  cpu: (a) => (a !== a ? 1 : 0),
  wgsl: "select(0.0, 1.0, a != a)",
  dtype: "bool",
  vjp: null,
});
/** Finite test. */
export const IsFinite: UnaryOp = defineUnaryOp({
  name: "IsFinite",
  cpu: (a) => (a - a === 0 ? 1 : 0),
  wgsl: "select(0.0, 1.0, abs(a) <= 3.4028234663852886e38)",
  dtype: "bool",
  vjp: null,
});

/**
 * Absolute value element-wise (keeps int32; gradient `sign(x)`, 0 at 0).
 *
 * @param x The input, any shape.
 * @returns `|x|`, same shape as `x`.
 * @example
 * ```ts
 * import { abs, tensor } from "@dendrite/tensor";
 * console.assert(abs(tensor([-2, 3])).dataSync().join() === "2,3");
 * ```
 */
export function abs(x: Tensor): Tensor {
  return Abs.apply(x);
}

/**
 * Sign element-wise: -1, 0 or 1, and 0 for NaN as in PyTorch (gradient 0;
 * int32 and bool keep their dtype).
 *
 * @param x The input, any shape.
 * @returns The signs, same shape as `x`.
 * @example
 * ```ts
 * import { sign, tensor } from "@dendrite/tensor";
 * console.assert(sign(tensor([-2, 0, 3])).dataSync().join() === "-1,0,1");
 * ```
 */
export function sign(x: Tensor): Tensor {
  return Sign.apply(x);
}

/**
 * `log(1 + x)`, accurate near 0.
 *
 * @param x The input, any shape.
 * @returns `log1p(x)` (float32), same shape as `x`.
 * @example
 * ```ts
 * import { log1p, tensor } from "@dendrite/tensor";
 * console.assert(log1p(tensor([0])).dataSync()[0] === 0);
 * ```
 */
export function log1p(x: Tensor): Tensor {
  return Log1p.apply(x);
}

/**
 * `exp(x) - 1`, accurate near 0.
 *
 * @param x The input, any shape.
 * @returns `expm1(x)` (float32), same shape as `x`.
 * @example
 * ```ts
 * import { expm1, tensor } from "@dendrite/tensor";
 * console.assert(expm1(tensor([0])).dataSync()[0] === 0);
 * ```
 */
export function expm1(x: Tensor): Tensor {
  return Expm1.apply(x);
}

/**
 * `1 / sqrt(x)`.
 *
 * @param x The input, any shape.
 * @returns The reciprocal square root (float32), same shape as `x`.
 * @example
 * ```ts
 * import { rsqrt, tensor } from "@dendrite/tensor";
 * console.assert(rsqrt(tensor([4])).dataSync()[0] === 0.5);
 * ```
 */
export function rsqrt(x: Tensor): Tensor {
  return Rsqrt.apply(x);
}

/**
 * `1 / x`.
 *
 * @param x The input, any shape.
 * @returns The reciprocal (float32), same shape as `x`.
 * @example
 * ```ts
 * import { reciprocal, tensor } from "@dendrite/tensor";
 * console.assert(reciprocal(tensor([4])).dataSync()[0] === 0.25);
 * ```
 */
export function reciprocal(x: Tensor): Tensor {
  return Reciprocal.apply(x);
}

/**
 * Sine element-wise. On WebGPU the accuracy for large arguments is the
 * device's (WGSL only promises it near [-π, π]): Mesa's llvmpipe matches the
 * CPU to float32 up to |x| = 1e7 and returns ±1 from about 1e10.
 *
 * @param x The input in radians, any shape.
 * @returns `sin(x)`, same shape as `x`.
 * @example
 * ```ts
 * import { sin, tensor } from "@dendrite/tensor";
 * console.assert(sin(tensor([0])).dataSync()[0] === 0);
 * ```
 */
export function sin(x: Tensor): Tensor {
  return Sin.apply(x);
}

/**
 * Cosine element-wise. On WebGPU the accuracy for large arguments is the
 * device's (WGSL only promises it near [-π, π]): Mesa's llvmpipe matches the
 * CPU to float32 up to |x| = 1e7 and returns ±1 from about 1e10.
 *
 * @param x The input in radians, any shape.
 * @returns `cos(x)`, same shape as `x`.
 * @example
 * ```ts
 * import { cos, tensor } from "@dendrite/tensor";
 * console.assert(cos(tensor([0])).dataSync()[0] === 1);
 * ```
 */
export function cos(x: Tensor): Tensor {
  return Cos.apply(x);
}

/**
 * Hyperbolic tangent element-wise.
 *
 * @param x The input, any shape.
 * @returns `tanh(x)`, same shape as `x`.
 * @example
 * ```ts
 * import { tanh, tensor } from "@dendrite/tensor";
 * console.assert(tanh(tensor([0])).dataSync()[0] === 0);
 * ```
 */
export function tanh(x: Tensor): Tensor {
  return Tanh.apply(x);
}

/**
 * Gauss error function element-wise.
 *
 * @param x The input, any shape.
 * @returns `erf(x)`, same shape as `x`.
 * @example
 * ```ts
 * import { erf, tensor } from "@dendrite/tensor";
 * console.assert(Math.abs(erf(tensor([1])).dataSync()[0] - 0.8427) < 1e-4);
 * ```
 */
export function erf(x: Tensor): Tensor {
  return Erf.apply(x);
}

/**
 * Rounds down element-wise (gradient 0; int32 stays int32).
 *
 * @param x The input, any shape.
 * @returns `floor(x)`, same shape as `x`.
 * @example
 * ```ts
 * import { floor, tensor } from "@dendrite/tensor";
 * console.assert(floor(tensor([-1.5, 1.5])).dataSync().join() === "-2,1");
 * ```
 */
export function floor(x: Tensor): Tensor {
  return Floor.apply(x);
}

/**
 * Rounds up element-wise (gradient 0; int32 stays int32).
 *
 * @param x The input, any shape.
 * @returns `ceil(x)`, same shape as `x`.
 * @example
 * ```ts
 * import { ceil, tensor } from "@dendrite/tensor";
 * console.assert(ceil(tensor([-1.5, 1.5])).dataSync().join() === "-1,2");
 * ```
 */
export function ceil(x: Tensor): Tensor {
  return Ceil.apply(x);
}

/**
 * Rounds to the nearest integer, halves to even as `torch.round` (gradient
 * 0; int32 stays int32).
 *
 * @param x The input, any shape.
 * @returns The rounded values, same shape as `x`.
 * @example
 * ```ts
 * import { round, tensor } from "@dendrite/tensor";
 * console.assert(round(tensor([0.5, 1.5, 2.5, -0.5])).dataSync().join() === "0,2,2,0");
 * ```
 */
export function round(x: Tensor): Tensor {
  return Round.apply(x);
}

/**
 * Rounds toward zero (gradient 0; int32 stays int32).
 *
 * @param x The input, any shape.
 * @returns `trunc(x)`, same shape as `x`.
 * @example
 * ```ts
 * import { trunc, tensor } from "@dendrite/tensor";
 * console.assert(trunc(tensor([-1.7, 1.7])).dataSync().join() === "-1,1");
 * ```
 */
export function trunc(x: Tensor): Tensor {
  return Trunc.apply(x);
}

/** Options of {@link clamp}. */
export interface ClampOptions {
  /** Lower bound (omitted or NaN: none). */
  min?: number;
  /** Upper bound (omitted or NaN: none). */
  max?: number;
}

/**
 * Clamps to `[min, max]`: `min(max(x, min), max)`, so `max` wins when
 * `min > max`, as in PyTorch. Either bound may be omitted, not both. The
 * gradient flows where `min <= x <= max`; NaN inputs stay NaN. An int32
 * tensor stays int32 unless a bound is fractional (then the result is
 * float32).
 *
 * @param x The input, any shape.
 * @param options `min`, `max` (numbers).
 * @returns The clamped values, same shape as `x`.
 * @example
 * ```ts
 * import { clamp, tensor } from "@dendrite/tensor";
 * console.assert(clamp(tensor([-2, 0.5, 3]), { min: 0, max: 1 }).dataSync().join() === "0,0.5,1");
 * console.assert(clamp(tensor([-2, 3]), { max: 1 }).dataSync().join() === "-2,1");
 * ```
 */
export function clamp(x: Tensor, options: ClampOptions = {}): Tensor {
  const { min, max } = options;
  checkNumber("clamp", "min", min, true);
  checkNumber("clamp", "max", max, true);
  if (min === undefined && max === undefined) {
    throw new TypeError("Cannot apply clamp() without bounds: expected min, max or both");
  }
  const lo = min === undefined || Number.isNaN(min) ? -Infinity : min;
  const hi = max === undefined || Number.isNaN(max) ? Infinity : max;
  const fractional = [min, max].some((b) => b !== undefined && !Number.isInteger(b));
  const input = x.dtype === "int32" && fractional ? cast(x, "float32") : x;
  return Clamp.apply(input, [lo, hi]);
}

/**
 * Tests for NaN element-wise; not differentiable.
 *
 * @param x The input, any shape.
 * @returns A bool tensor, same shape as `x`.
 * @example
 * ```ts
 * import { isNan, tensor } from "@dendrite/tensor";
 * console.assert(isNan(tensor([NaN, 1])).dataSync().join() === "1,0");
 * ```
 */
export function isNan(x: Tensor): Tensor {
  return IsNan.apply(x);
}

/**
 * Tests for finite values (neither NaN nor ±Infinity) element-wise; not
 * differentiable.
 *
 * @param x The input, any shape.
 * @returns A bool tensor, same shape as `x`.
 * @example
 * ```ts
 * import { isFinite, tensor } from "@dendrite/tensor";
 * console.assert(isFinite(tensor([Infinity, 1, NaN])).dataSync().join() === "0,1,0");
 * ```
 */
export function isFinite(x: Tensor): Tensor {
  return IsFinite.apply(x);
}
