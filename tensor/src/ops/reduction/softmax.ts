/**
 * Fused, numerically stable `softmax` and `logSoftmax` along an axis, and
 * `softmin`.
 *
 * @module
 */
import { registerKernel } from "../../backend.ts";
import { DTypeError } from "../../errors.ts";
import { normAxis, sizeOf } from "../../shape.ts";
import { record } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import { cpuAllocF32, cpuContiguous, cpuOutput } from "../../cpu/backend.ts";
import { run } from "../define.ts";
import { exp, mul, neg, sub } from "../arith.ts";
import { permute, reshape } from "../movement.ts";
import { sum } from "../reduce.ts";

registerKernel("Softmax", "cpu", ([x], { log }) => {
  const [rows, n] = x.shape;
  const src = cpuContiguous(x);
  const out = cpuAllocF32(rows * n);
  for (let r = 0; r < rows; r++) {
    const b = r * n;
    let m = -Infinity;
    for (let i = 0; i < n; i++) if (src[b + i] > m || src[b + i] !== src[b + i]) m = src[b + i];
    if (m === -Infinity) m = 0;
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(src[b + i] - m);
    if (log) {
      const ls = Math.log(s) + m;
      for (let i = 0; i < n; i++) out[b + i] = src[b + i] - ls;
    } else {
      const inv = 1 / s;
      for (let i = 0; i < n; i++) out[b + i] = Math.exp(src[b + i] - m) * inv;
    }
  }
  return [cpuOutput(out, x.shape)];
});

function along(x: Tensor, axis: number, op: string, log: boolean): Tensor {
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot compute ${op}() of a ${x.dtype} tensor: expected float32`);
  }
  if (x.ndim === 0) return along(reshape(x, [1]), 0, op, log).reshape([]);
  const a = normAxis(axis, x.ndim, op);
  const perm = [...Array(x.ndim).keys()].filter((i) => i !== a).concat([a]);
  const inv = new Array<number>(x.ndim);
  perm.forEach((p, i) => (inv[p] = i));
  const moved = permute(x.detach(), perm);
  const rows = reshape(moved, [sizeOf(moved.shape.slice(0, -1)), x.shape[a]]);
  const [o] = run("Softmax", [rows], { log });
  return permute(reshape(o, moved.shape), inv);
}

/**
 * Softmax along `axis`: `exp(x − max) / Σ exp(x − max)`.
 *
 * @param x The input (float32).
 * @param axis The axis (default -1).
 * @returns Probabilities summing to 1 along `axis`.
 * @example
 * ```ts
 * import { softmax, tensor } from "@dendrite/tensor";
 * const p = softmax(tensor([[1, 1], [1000, 0]]));
 * console.assert(p.dataSync().join() === "0.5,0.5,1,0");
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const out = along(x, axis, "softmax", false);
  return record("Softmax", out, [x], (dy) => {
    const y = softmax(x, axis);
    return [mul(y, sub(dy, sum(mul(dy, y), axis, { keepDim: true })))];
  });
}

/**
 * Log-softmax along `axis`: `x − logsumexp(x)`, computed stably.
 *
 * @param x The input (float32).
 * @param axis The axis (default -1).
 * @returns Log-probabilities.
 * @example
 * ```ts
 * import { logSoftmax, tensor } from "@dendrite/tensor";
 * const l = logSoftmax(tensor([0, 0]));
 * console.assert(Math.abs(l.dataSync()[0] + Math.LN2) < 1e-6);
 * ```
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const out = along(x, axis, "logSoftmax", true);
  return record("LogSoftmax", out, [x], (dy) => {
    const p = exp(logSoftmax(x, axis));
    return [sub(dy, mul(p, sum(dy, axis, { keepDim: true })))];
  });
}

/**
 * Softmin along `axis`: `softmax(−x)`.
 *
 * @param x The input (float32).
 * @param axis The axis (default -1).
 * @returns Probabilities, largest for the smallest inputs.
 * @example
 * ```ts
 * import { softmin, tensor } from "@dendrite/tensor";
 * console.assert(softmin(tensor([0, 1000])).dataSync().join() === "1,0");
 * ```
 */
export function softmin(x: Tensor, axis = -1): Tensor {
  return softmax(neg(x), axis);
}
