/**
 * Activation functions with PyTorch's definitions and gradients.
 *
 * @module
 */
import { fmtShape, ShapeError } from "../../errors.ts";
import type { Tensor } from "../../tensor.ts";
import { defineUnaryOp, type UnaryOp } from "../define.ts";
import { add, exp, mul, neg, square, where } from "../arith.ts";
import { gt } from "../compare.ts";
import { reshape } from "../movement.ts";
import { erfn } from "../../cpu/prelude.ts";
import { abs, erf, tanh } from "./unary.ts";

/** Logistic sigmoid, stable for large |x|. */
export const Sigmoid: UnaryOp = defineUnaryOp({
  name: "Sigmoid",
  cpu: (a) => (a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a))),
  wgsl: "select(exp(a) / (1.0 + exp(a)), 1.0 / (1.0 + exp(-a)), a >= 0.0)",
  vjp: (dy, _x, out) => mul(dy, mul(out, out.rsub(1))),
});
/** Rectified linear unit. */
export const Relu: UnaryOp = defineUnaryOp({
  name: "Relu",
  cpu: (a) => (a > 0 ? a : a !== a ? a : 0),
  wgsl: "max(a, 0.0)",
  dtype: "same",
  vjp: (dy, x) => where(gt(x, 0), dy, 0),
});
/** ReLU capped at `p0`..`p1` (hardtanh, relu6). */
export const Hardtanh: UnaryOp = defineUnaryOp({
  name: "Hardtanh",
  cpu: (a, lo, hi) => (a < lo ? lo : a > hi ? hi : a),
  wgsl: "clamp(a, p0, p1)",
  dtype: "same",
  vjp: (dy, x, _o, [lo, hi]) => where(gt(x, lo).logicalAnd(x.lt(hi)), dy, 0),
});
/** Leaky ReLU with slope `p0`. */
export const LeakyRelu: UnaryOp = defineUnaryOp({
  name: "LeakyRelu",
  cpu: (a, s) => (a > 0 ? a : a * s),
  wgsl: "select(a * p0, a, a > 0.0)",
  vjp: (dy, x, _o, [s]) => where(gt(x, 0), dy, mul(dy, s)),
});
/** ELU with scale `p1` on the positive side (1 for ELU, used by SELU). */
export const Elu: UnaryOp = defineUnaryOp({
  name: "Elu",
  cpu: (a, alpha, scale) => (a > 0 ? scale * a : scale * alpha * Math.expm1(a)),
  wgsl: "select(p1 * p0 * (exp(a) - 1.0), p1 * a, a > 0.0)",
  vjp: (dy, x, out, [alpha, scale]) =>
    where(gt(x, 0), mul(dy, scale), mul(dy, out.add(scale * alpha))),
});
/** CELU: `max(0, x) + min(0, α(exp(x/α) − 1))`. */
export const Celu: UnaryOp = defineUnaryOp({
  name: "Celu",
  cpu: (a, alpha) => (a > 0 ? a : alpha * Math.expm1(a / alpha)),
  wgsl: "select(p0 * (exp(a / p0) - 1.0), a, a > 0.0)",
  vjp: (dy, x, _o, [alpha]) => where(gt(x, 0), dy, mul(dy, exp(x.div(alpha)))),
});
/** Softplus `log(1 + exp(βx))/β`, linear above `threshold`. */
export const Softplus: UnaryOp = defineUnaryOp({
  name: "Softplus",
  cpu: (a, beta, th) => (a * beta > th ? a : Math.log1p(Math.exp(a * beta)) / beta),
  wgsl: "select(log(1.0 + exp(a * p0)) / p0, a, a * p0 > p1)",
  vjp: (dy, x, _o, [beta, th]) => {
    const z = exp(x.mul(beta));
    return where(gt(x.mul(beta), th), dy, mul(dy, z.div(z.add(1))));
  },
});
/** Log-sigmoid, stable: `min(x, 0) − log1p(exp(−|x|))`. */
export const LogSigmoid: UnaryOp = defineUnaryOp({
  name: "LogSigmoid",
  cpu: (a) => Math.min(a, 0) - Math.log1p(Math.exp(-Math.abs(a))),
  wgsl: "min(a, 0.0) - log(1.0 + exp(-abs(a)))",
  vjp: (dy, x) => mul(dy, sigmoid(neg(x))),
});
/** GELU, exact (erf) form. */
export const Gelu: UnaryOp = defineUnaryOp({
  name: "Gelu",
  cpu: (a) => 0.5 * a * (1 + erfn(a * Math.SQRT1_2)),
  wgsl: "0.5 * a * (1.0 + erf_f(a * 0.7071067811865476))",
  vjp: (dy, x) => {
    const cdf = erf(x.mul(Math.SQRT1_2)).add(1).mul(0.5);
    const pdf = exp(square(x).mul(-0.5)).mul(0.3989422804014327);
    return mul(dy, add(cdf, mul(x, pdf)));
  },
});
/** GELU, tanh approximation. */
export const GeluTanh: UnaryOp = defineUnaryOp({
  name: "GeluTanh",
  cpu: (a) => 0.5 * a * (1 + Math.tanh(0.7978845608028654 * (a + 0.044715 * a * a * a))),
  wgsl: "0.5 * a * (1.0 + tanh(0.7978845608028654 * (a + 0.044715 * a * a * a)))",
  vjp: (dy, x) => {
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(0.7978845608028654);
    const t = tanh(inner);
    const dInner = square(x).mul(3 * 0.044715).add(1).mul(0.7978845608028654);
    const d = t.add(1).mul(0.5).add(x.mul(0.5).mul(square(t).rsub(1)).mul(dInner));
    return mul(dy, d);
  },
});
/** Heaviside step: 1 where x > 0, else 0 (gradient 0). */
export const Step: UnaryOp = defineUnaryOp({
  name: "Step",
  cpu: (a) => (a > 0 ? 1 : 0),
  wgsl: "select(0.0, 1.0, a > 0.0)",
  vjp: (dy) => dy.mul(0),
});
/** Softsign `x / (1 + |x|)`. */
export const Softsign: UnaryOp = defineUnaryOp({
  name: "Softsign",
  cpu: (a) => a / (1 + Math.abs(a)),
  wgsl: "a / (1.0 + abs(a))",
  vjp: (dy, x) => {
    const d = abs(x).add(1);
    return dy.div(d.mul(d));
  },
});
/** Hard sigmoid `relu6(x + 3) / 6`. */
export const HardSigmoid: UnaryOp = defineUnaryOp({
  name: "HardSigmoid",
  cpu: (a) => (a <= -3 ? 0 : a >= 3 ? 1 : a / 6 + 0.5),
  wgsl: "clamp(a / 6.0 + 0.5, 0.0, 1.0)",
  vjp: (dy, x) => where(gt(x, -3).logicalAnd(x.lt(3)), dy.div(6), 0),
});
/** Hard swish `x · relu6(x + 3) / 6`. */
export const HardSwish: UnaryOp = defineUnaryOp({
  name: "HardSwish",
  cpu: (a) => (a <= -3 ? 0 : a >= 3 ? a : a * (a + 3) / 6),
  wgsl: "select(select(a * (a + 3.0) / 6.0, a, a >= 3.0), 0.0, a <= -3.0)",
  vjp: (dy, x) =>
    where(x.lt(-3), 0, where(x.gt(3), dy, mul(dy, x.div(3).add(0.5)))),
});

/**
 * Logistic sigmoid `1 / (1 + e^(−x))`.
 *
 * @param x The input.
 * @returns Values in (0, 1).
 * @example
 * ```ts
 * import { sigmoid, tensor } from "@dendrite/tensor";
 * console.assert(sigmoid(tensor([0])).dataSync()[0] === 0.5);
 * ```
 */
export function sigmoid(x: Tensor): Tensor {
  return Sigmoid.apply(x);
}

/**
 * Rectified linear unit `max(x, 0)` (gradient 0 at 0; int32 stays int32).
 *
 * @param x The input.
 * @returns The activations.
 * @example
 * ```ts
 * import { relu, tensor } from "@dendrite/tensor";
 * console.assert(relu(tensor([-1, 2])).dataSync().join() === "0,2");
 * ```
 */
export function relu(x: Tensor): Tensor {
  return Relu.apply(x);
}

/**
 * ReLU capped at 6: `min(max(x, 0), 6)`.
 *
 * @param x The input.
 * @returns The activations.
 * @example
 * ```ts
 * import { relu6, tensor } from "@dendrite/tensor";
 * console.assert(relu6(tensor([-1, 2, 9])).dataSync().join() === "0,2,6");
 * ```
 */
export function relu6(x: Tensor): Tensor {
  return Hardtanh.apply(x, [0, 6]);
}

/**
 * Hard tanh: clamps to `[minVal, maxVal]` (gradient 1 strictly inside).
 *
 * @param x The input.
 * @param options `minVal` (-1), `maxVal` (1).
 * @returns The activations.
 * @example
 * ```ts
 * import { hardtanh, tensor } from "@dendrite/tensor";
 * console.assert(hardtanh(tensor([-2, 0.5, 2])).dataSync().join() === "-1,0.5,1");
 * ```
 */
export function hardtanh(x: Tensor, options: { minVal?: number; maxVal?: number } = {}): Tensor {
  const lo = options.minVal ?? -1, hi = options.maxVal ?? 1;
  if (lo > hi) {
    throw new RangeError(`Cannot apply hardtanh() with minVal ${lo} > maxVal ${hi}`);
  }
  return Hardtanh.apply(x, [lo, hi]);
}

/**
 * Leaky ReLU: `x` for positive inputs, `negativeSlope · x` otherwise.
 *
 * @param x The input.
 * @param options `negativeSlope` (0.01).
 * @returns The activations.
 * @example
 * ```ts
 * import { leakyRelu, tensor } from "@dendrite/tensor";
 * console.assert(leakyRelu(tensor([-10, 2])).dataSync().join() === "-0.10000000149011612,2");
 * ```
 */
export function leakyRelu(x: Tensor, options: { negativeSlope?: number } = {}): Tensor {
  return LeakyRelu.apply(x, [options.negativeSlope ?? 0.01]);
}

/**
 * ELU: `x` for positive inputs, `α(eˣ − 1)` otherwise.
 *
 * @param x The input.
 * @param options `alpha` (1).
 * @returns The activations.
 * @example
 * ```ts
 * import { elu, tensor } from "@dendrite/tensor";
 * console.assert(elu(tensor([0, 2])).dataSync().join() === "0,2");
 * ```
 */
export function elu(x: Tensor, options: { alpha?: number } = {}): Tensor {
  return Elu.apply(x, [options.alpha ?? 1, 1]);
}

/**
 * SELU: `scale · elu(x, α)` with the self-normalising constants.
 *
 * @param x The input.
 * @returns The activations.
 * @example
 * ```ts
 * import { selu, tensor } from "@dendrite/tensor";
 * console.assert(Math.abs(selu(tensor([1])).dataSync()[0] - 1.0507) < 1e-4);
 * ```
 */
export function selu(x: Tensor): Tensor {
  return Elu.apply(x, [1.6732632423543772, 1.0507009873554805]);
}

/**
 * CELU: `max(0, x) + min(0, α(e^(x/α) − 1))`.
 *
 * @param x The input.
 * @param options `alpha` (1, must not be 0).
 * @returns The activations.
 * @example
 * ```ts
 * import { celu, tensor } from "@dendrite/tensor";
 * console.assert(celu(tensor([2])).dataSync()[0] === 2);
 * ```
 */
export function celu(x: Tensor, options: { alpha?: number } = {}): Tensor {
  const alpha = options.alpha ?? 1;
  if (alpha === 0) throw new RangeError("Cannot apply celu() with alpha 0: expected a non-zero alpha");
  return Celu.apply(x, [alpha]);
}

/**
 * GELU: `x · Φ(x)` exactly (erf), or its tanh approximation.
 *
 * @param x The input.
 * @param options `approximate`: "none" (default) or "tanh".
 * @returns The activations.
 * @example
 * ```ts
 * import { gelu, tensor } from "@dendrite/tensor";
 * console.assert(Math.abs(gelu(tensor([1])).dataSync()[0] - 0.8413) < 1e-4);
 * ```
 */
export function gelu(x: Tensor, options: { approximate?: "none" | "tanh" } = {}): Tensor {
  const a = options.approximate ?? "none";
  if (a !== "none" && a !== "tanh") {
    throw new RangeError(`Cannot apply gelu() with approximate "${a}": expected "none" or "tanh"`);
  }
  return a === "tanh" ? GeluTanh.apply(x) : Gelu.apply(x);
}

/**
 * Softplus `log(1 + e^(βx)) / β`, returning `x` where `βx > threshold`.
 *
 * @param x The input.
 * @param options `beta` (1), `threshold` (20).
 * @returns The activations.
 * @example
 * ```ts
 * import { softplus, tensor } from "@dendrite/tensor";
 * console.assert(Math.abs(softplus(tensor([0])).dataSync()[0] - Math.LN2) < 1e-6);
 * ```
 */
export function softplus(x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  return Softplus.apply(x, [options.beta ?? 1, options.threshold ?? 20]);
}

/**
 * Step (Heaviside) activation: 1 where `x > 0`, else 0; gradient 0.
 *
 * @param x The input.
 * @returns 0/1 values (float32).
 * @example
 * ```ts
 * import { step, tensor } from "@dendrite/tensor";
 * console.assert(step(tensor([-1, 0, 2])).dataSync().join() === "0,0,1");
 * ```
 */
export function step(x: Tensor): Tensor {
  return Step.apply(x);
}

/**
 * `torch.heaviside`: 0 for negative, `values` at zero, 1 for positive inputs.
 *
 * @param x The input.
 * @param values The value used where `x == 0` (tensor or number, broadcast).
 * @returns The step values (not differentiable).
 * @example
 * ```ts
 * import { heaviside, tensor } from "@dendrite/tensor";
 * console.assert(heaviside(tensor([-1, 0, 2]), 0.5).dataSync().join() === "0,0.5,1");
 * ```
 */
export function heaviside(x: Tensor, values: Tensor | number): Tensor {
  return where(x.eq(0), values, where(gt(x, 0), 1, 0)).detach();
}

/**
 * SiLU (swish): `x · σ(x)`.
 *
 * @param x The input.
 * @returns The activations.
 * @example
 * ```ts
 * import { silu, tensor } from "@dendrite/tensor";
 * console.assert(silu(tensor([0])).dataSync()[0] === 0);
 * ```
 */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}

/**
 * Mish: `x · tanh(softplus(x))`.
 *
 * @param x The input.
 * @returns The activations.
 * @example
 * ```ts
 * import { mish, tensor } from "@dendrite/tensor";
 * console.assert(Math.abs(mish(tensor([1])).dataSync()[0] - 0.8651) < 1e-4);
 * ```
 */
export function mish(x: Tensor): Tensor {
  return mul(x, tanh(softplus(x)));
}

/**
 * Softsign `x / (1 + |x|)`.
 *
 * @param x The input.
 * @returns The activations.
 * @example
 * ```ts
 * import { softsign, tensor } from "@dendrite/tensor";
 * console.assert(softsign(tensor([1])).dataSync()[0] === 0.5);
 * ```
 */
export function softsign(x: Tensor): Tensor {
  return Softsign.apply(x);
}

/**
 * Log-sigmoid `log σ(x)`, computed stably.
 *
 * @param x The input.
 * @returns The activations (≤ 0).
 * @example
 * ```ts
 * import { logSigmoid, tensor } from "@dendrite/tensor";
 * console.assert(logSigmoid(tensor([-200])).dataSync()[0] === -200);
 * ```
 */
export function logSigmoid(x: Tensor): Tensor {
  return LogSigmoid.apply(x);
}

/**
 * Hard sigmoid `relu6(x + 3) / 6`.
 *
 * @param x The input.
 * @returns Values in [0, 1].
 * @example
 * ```ts
 * import { hardSigmoid, tensor } from "@dendrite/tensor";
 * console.assert(hardSigmoid(tensor([0])).dataSync()[0] === 0.5);
 * ```
 */
export function hardSigmoid(x: Tensor): Tensor {
  return HardSigmoid.apply(x);
}

/**
 * Hard swish `x · relu6(x + 3) / 6` (MobileNetV3).
 *
 * @param x The input.
 * @returns The activations.
 * @example
 * ```ts
 * import { hardSwish, tensor } from "@dendrite/tensor";
 * console.assert(hardSwish(tensor([4])).dataSync()[0] === 4);
 * ```
 */
export function hardSwish(x: Tensor): Tensor {
  return HardSwish.apply(x);
}

/**
 * PReLU: `x` for positive inputs, `weight · x` otherwise, with one weight or
 * one per channel (axis 1), as `torch.nn.functional.prelu`.
 *
 * @param x The input `[N, C, ...]` (or any shape with a single weight).
 * @param weight `[1]` or `[C]`.
 * @returns The activations.
 * @example
 * ```ts
 * import { prelu, tensor } from "@dendrite/tensor";
 * console.assert(prelu(tensor([[-2, 2]]), tensor([0.5, 0.1])).dataSync().join() === "-1,2");
 * ```
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  if (weight.ndim !== 1) {
    throw new ShapeError(`Cannot apply prelu() with weight ${fmtShape(weight.shape)}: expected a 1-D weight`);
  }
  let w = weight;
  if (weight.size !== 1) {
    const c = x.ndim >= 2 ? x.shape[1] : -1;
    if (weight.size !== c) {
      throw new ShapeError(
        `Cannot apply prelu() to input ${fmtShape(x.shape)} with weight ${
          fmtShape(weight.shape)
        }: expected 1 weight or one per channel (axis 1)`,
      );
    }
    w = reshape(weight, [c, ...Array(x.ndim - 2).fill(1)]);
  }
  return where(gt(x, 0), x, mul(x, w));
}
