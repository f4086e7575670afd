/**
 * Regression losses: `mseLoss`, `l1Loss`, `smoothL1Loss`, `huberLoss`,
 * `poissonNllLoss`, `gaussianNllLoss`.
 *
 * @module
 */
import { abs, clamp, fmtShape, log, ShapeError, type Tensor, where } from "@dendrite/tensor";
import { type LossOptions, reduceLoss, sameShape } from "./reduce.ts";

/**
 * Mean squared error `(input − target)²`.
 *
 * @param input Predictions.
 * @param target Targets, same shape.
 * @param options `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { mseLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(mseLoss(tensor([1, 2]), tensor([1, 4])).itemSync() === 2);
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  sameShape(input, target, "mseLoss");
  return reduceLoss(input.sub(target).square(), options.reduction, "mseLoss");
}

/**
 * Mean absolute error `|input − target|`.
 *
 * @param input Predictions.
 * @param target Targets, same shape.
 * @param options `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { l1Loss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(l1Loss(tensor([1, 2]), tensor([1, 4])).itemSync() === 1);
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  sameShape(input, target, "l1Loss");
  return reduceLoss(abs(input.sub(target)), options.reduction, "l1Loss");
}

/**
 * Smooth L1: `0.5·d²/β` where `|d| < β`, else `|d| − 0.5·β`.
 *
 * @param input Predictions.
 * @param target Targets.
 * @param options `beta` (1), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { smoothL1Loss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(smoothL1Loss(tensor([0, 3]), tensor([0.5, 0])).itemSync() === (0.125 + 2.5) / 2);
 * ```
 */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { beta?: number } = {},
): Tensor {
  sameShape(input, target, "smoothL1Loss");
  const beta = options.beta ?? 1;
  if (beta < 0) {
    throw new RangeError(`Cannot compute smoothL1Loss() with beta ${beta}: expected beta >= 0`);
  }
  const d = abs(input.sub(target));
  const loss = beta === 0 ? d : where(d.lt(beta), d.square().mul(0.5 / beta), d.sub(0.5 * beta));
  return reduceLoss(loss, options.reduction, "smoothL1Loss");
}

/**
 * Huber loss: `0.5·d²` where `|d| < δ`, else `δ·(|d| − 0.5·δ)`.
 *
 * @param input Predictions.
 * @param target Targets.
 * @param options `delta` (1), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { huberLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(huberLoss(tensor([3]), tensor([0]), { delta: 2 }).itemSync() === 4);
 * ```
 */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { delta?: number } = {},
): Tensor {
  sameShape(input, target, "huberLoss");
  const delta = options.delta ?? 1;
  if (delta <= 0) {
    throw new RangeError(`Cannot compute huberLoss() with delta ${delta}: expected delta > 0`);
  }
  const d = abs(input.sub(target));
  const loss = where(d.lt(delta), d.square().mul(0.5), d.sub(0.5 * delta).mul(delta));
  return reduceLoss(loss, options.reduction, "huberLoss");
}

/**
 * Poisson negative log-likelihood: `exp(input) − target·input` for log
 * inputs (default), or `input − target·log(input + eps)`; with `full`, adds
 * Stirling's term for targets > 1.
 *
 * @param input Predicted log-rates (or rates).
 * @param target Counts.
 * @param options `logInput` (true), `full` (false), `eps` (1e-8), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { poissonNllLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(poissonNllLoss(tensor([0]), tensor([1])).itemSync() === 1);
 * ```
 */
export function poissonNllLoss(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { logInput?: boolean; full?: boolean; eps?: number } = {},
): Tensor {
  sameShape(input, target, "poissonNllLoss");
  const eps = options.eps ?? 1e-8;
  let loss = (options.logInput ?? true)
    ? input.exp().sub(target.mul(input))
    : input.sub(target.mul(log(input.add(eps))));
  if (options.full) {
    const t = target;
    const stirling = t.mul(log(t)).sub(t).add(log(t.mul(2 * Math.PI)).mul(0.5));
    loss = loss.add(where(t.gt(1), stirling, 0));
  }
  return reduceLoss(loss, options.reduction, "poissonNllLoss");
}

/**
 * Gaussian negative log-likelihood `0.5·(log(max(var, eps)) + (input −
 * target)²/max(var, eps))` (+ `0.5·log(2π)` with `full`).
 *
 * @param input Predicted means.
 * @param target Targets.
 * @param variance Predicted variances (same shape, or one fewer trailing axis of size 1).
 * @param options `full` (false), `eps` (1e-6), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { gaussianNllLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(gaussianNllLoss(tensor([0]), tensor([2]), tensor([1])).itemSync() === 2);
 * ```
 */
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  options: LossOptions & { full?: boolean; eps?: number } = {},
): Tensor {
  sameShape(input, target, "gaussianNllLoss");
  let v = variance;
  if (v.shape.join() !== input.shape.join()) {
    if (v.ndim === input.ndim && v.shape[v.ndim - 1] === 1) v = v.expand(input.shape);
    else if (v.ndim === input.ndim - 1) v = v.unsqueeze(-1).expand(input.shape);
    else {
      throw new ShapeError(
        `Cannot compute gaussianNllLoss() with variance ${fmtShape(variance.shape)} for input ${
          fmtShape(input.shape)
        }`,
      );
    }
  }
  // Checked where values can be read without waiting (the CPU backend).
  if (v.backend.readSync && v.lt(0).any().itemSync()) {
    throw new RangeError("Cannot compute gaussianNllLoss(): the variance has negative entries");
  }
  const vc = clamp(v, { min: options.eps ?? 1e-6 });
  let loss = log(vc).add(input.sub(target).square().div(vc)).mul(0.5);
  if (options.full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduceLoss(loss, options.reduction, "gaussianNllLoss");
}
