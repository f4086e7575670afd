/**
 * Gradient clipping.
 *
 * @module
 */
import { maximum, minimum, setGradEnabled, type Tensor, tensor } from "@dendrite/tensor";

/**
 * Scales all gradients together so that their joint norm is at most
 * `maxNorm` (PyTorch's `clip_grad_norm_`: `coef = min(1, maxNorm/(norm + 1e-6))`).
 *
 * @param params Parameters whose `.grad` to clip (those without are skipped).
 * @param maxNorm The largest allowed norm.
 * @param options `normType`: 2 (default), 1, or `Infinity`; `errorIfNonfinite` (false).
 * @returns The total norm before clipping (a 0-d tensor, so no read-back is forced).
 * @example
 * ```ts
 * import { clipGradNorm } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([3, 4], { requiresGrad: true });
 * w.mul(w).sum().backward(); // grad [6, 8], norm 10
 * const norm = clipGradNorm([w], 5);
 * console.assert(Math.abs((norm.itemSync() as number) - 10) < 1e-5);
 * console.assert(Math.abs(w.grad!.dataSync()[1] - 4) < 1e-4);
 * ```
 */
export function clipGradNorm(
  params: Tensor[],
  maxNorm: number,
  options: { normType?: number; errorIfNonfinite?: boolean } = {},
): Tensor {
  const p = options.normType ?? 2;
  if (!(p > 0)) {
    throw new RangeError(
      `Cannot clip gradients with normType = ${p}: expected a positive number or Infinity`,
    );
  }
  const grads = params.map((q) => q.grad).filter((g): g is Tensor => g !== null);
  const prev = setGradEnabled(false);
  try {
    if (grads.length === 0) return tensor(0);
    let total: Tensor;
    if (p === Infinity) {
      total = grads.map((g) => maximum(g, g.neg()).max()).reduce((a, b) => maximum(a, b));
    } else {
      total = grads.map((g) => maximum(g, g.neg()).pow(p).sum()).reduce((a, b) => a.add(b)).pow(
        1 / p,
      );
    }
    if (options.errorIfNonfinite) {
      const v = total.itemSync() as number;
      if (!Number.isFinite(v)) {
        throw new RangeError(`Cannot clip gradients: their total norm is ${v}`);
      }
    }
    const coef = minimum(total.add(1e-6).rdiv(maxNorm), 1);
    for (const g of grads) g.mul_(coef);
    return total;
  } finally {
    setGradEnabled(prev);
  }
}

/**
 * Clamps every gradient element to `[-clipValue, clipValue]` in place.
 *
 * @param params Parameters whose `.grad` to clip.
 * @param clipValue The bound (positive).
 * @example
 * ```ts
 * import { clipGradValue } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([3, -4], { requiresGrad: true });
 * w.mul(w).sum().backward();
 * clipGradValue([w], 1);
 * console.assert(w.grad!.dataSync().join() === "1,-1");
 * ```
 */
export function clipGradValue(params: Tensor[], clipValue: number): void {
  if (!(clipValue > 0)) {
    throw new RangeError(
      `Cannot clip gradients with clipValue = ${clipValue}: expected a positive number`,
    );
  }
  const prev = setGradEnabled(false);
  try {
    for (const q of params) {
      if (q.grad) q.grad.copy_(minimum(maximum(q.grad, -clipValue), clipValue));
    }
  } finally {
    setGradEnabled(prev);
  }
}
