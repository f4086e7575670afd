/**
 * Activations that `linear` and `conv2d` can fuse into their kernels: the
 * matmul and convolution kernels apply them (with the bias) as they write
 * the output, and the gradient goes through the activation's derivative
 * computed from that output.
 *
 * @module
 */
import type { Tensor } from "./tensor.ts";

/** An activation a matmul or convolution kernel can apply as it writes its output. */
export type FusedActivation = "relu" | "sigmoid" | "tanh";

const FUSED: readonly string[] = ["relu", "sigmoid", "tanh"];

/**
 * Throws a `RangeError` naming `op` unless `act` is undefined or a fused activation.
 *
 * @param op What is being applied, for the message (`"linear()"`, `"Linear"`).
 * @param act The requested activation.
 * @example
 * ```ts
 * import { checkActivation } from "@dendrite/tensor";
 * checkActivation("Linear", "relu");
 * let threw = false;
 * try {
 *   checkActivation("Linear", "swish");
 * } catch {
 *   threw = true;
 * }
 * console.assert(threw);
 * ```
 */
export function checkActivation(op: string, act: unknown): asserts act is
  | FusedActivation
  | undefined {
  if (act !== undefined && !FUSED.includes(act as string)) {
    throw new RangeError(
      `Cannot apply ${op} with activation "${act}": expected "relu", "sigmoid" or "tanh"`,
    );
  }
}

/**
 * Applies an activation to every element in place (the CPU kernels' epilogue).
 *
 * @param out The values.
 * @param act The activation.
 */
export function activateInPlace(out: Float32Array, act: FusedActivation): void {
  const n = out.length;
  if (act === "relu") {
    for (let i = 0; i < n; i++) out[i] = out[i] > 0 ? out[i] : out[i] !== out[i] ? out[i] : 0;
  } else if (act === "sigmoid") {
    for (let i = 0; i < n; i++) {
      const a = out[i], e = Math.exp(-Math.abs(a));
      out[i] = a >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = Math.tanh(out[i]);
  }
}

/**
 * The WGSL expression of an activation of the f32 `x` (as the elementwise
 * ops compute it: NaN-preserving ReLU, sigmoid with one exponential of a
 * non-positive number, tanh saturating past 15), or `x` for none.
 *
 * @param act The activation, or undefined.
 * @returns A WGSL expression in `x`.
 */
export function activationWgsl(act: FusedActivation | undefined): string {
  return act === "relu"
    ? "select(max(x, 0.0), x, x != x)"
    : act === "sigmoid"
    ? "select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0)"
    : act === "tanh"
    ? "select(select(tanh(x), sign(x), abs(x) > 15.0), x, (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u)"
    : "x";
}

/**
 * The gradient before the activation, from the one after it and the
 * activation's output: `dy·relu'`, `dy·y(1−y)`, `dy·(1−y²)`.
 *
 * @param dy Gradient of the activated output.
 * @param out The activated output.
 * @param act The activation, or undefined (then `dy` itself).
 * @returns The gradient of the pre-activation values.
 */
export function throughActivation(dy: Tensor, out: Tensor, act?: FusedActivation): Tensor {
  if (!act) return dy;
  const local = act === "relu"
    ? out.sign()
    : act === "sigmoid"
    ? out.mul(out.rsub(1))
    : out.square().rsub(1);
  return dy.mul(local);
}
