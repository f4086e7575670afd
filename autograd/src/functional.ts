/**
 * Grad mode scopes and the functional forms `grad(fn)` and `valueAndGrad(fn)`.
 *
 * @module
 */
import { fmtShape, isGradEnabled, setGradEnabled, ShapeError, type Tensor } from "@dendrite/tensor";
import { gradients } from "./engine.ts";

/**
 * Runs `fn` with gradient recording off (like `torch.no_grad()`). When `fn`
 * returns a promise, recording stays off until it settles; do not interleave
 * other grad-recording work meanwhile.
 *
 * @param fn The function to run.
 * @returns What `fn` returns.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { noGrad } from "@dendrite/autograd";
 * const w = tensor([1], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2));
 * console.assert(!y.requiresGrad);
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/**
 * Runs `fn` with gradient recording on, even inside `noGrad`.
 *
 * @param fn The function to run.
 * @returns What `fn` returns.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { enableGrad, noGrad } from "@dendrite/autograd";
 * const w = tensor([1], { requiresGrad: true });
 * const y = noGrad(() => enableGrad(() => w.mul(2)));
 * console.assert(y.requiresGrad);
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

function withGradMode<T>(on: boolean, fn: () => T): T {
  const prev = setGradEnabled(on);
  let async = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      async = true;
      return r.finally(() => setGradEnabled(prev)) as T;
    }
    return r;
  } finally {
    if (!async) setGradEnabled(prev);
  }
}

/**
 * Tells whether ops record gradients right now.
 *
 * @returns False inside `noGrad()`.
 * @example
 * ```ts
 * import { gradEnabled, noGrad } from "@dendrite/autograd";
 * console.assert(gradEnabled() && !noGrad(() => gradEnabled()));
 * ```
 */
export function gradEnabled(): boolean {
  return isGradEnabled();
}

function prepare(args: Tensor[]): Tensor[] {
  return args.map((a) => a.detach().requiresGrad_(true));
}

function scalarOut(y: Tensor, op: string): void {
  if (y.size !== 1) {
    throw new ShapeError(
      `Cannot differentiate in ${op}: the function returned shape ${
        fmtShape(y.shape)
      }, expected a single element`,
    );
  }
}

/**
 * Transforms a scalar-valued function into one that returns its gradients
 * with respect to every argument (like `jax.grad` over all arguments).
 *
 * @param fn A function of tensors returning a one-element tensor.
 * @param options `createGraph` to make the gradients differentiable.
 * @returns A function returning one gradient per argument.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { grad } from "@dendrite/autograd";
 * const df = grad((x: any, y: any) => x.mul(y).sum());
 * const [gx, gy] = df(tensor([2]), tensor([5]));
 * console.assert(gx.dataSync()[0] === 5 && gy.dataSync()[0] === 2);
 * ```
 */
export function grad(
  fn: (...args: Tensor[]) => Tensor,
  options: { createGraph?: boolean } = {},
): (...args: Tensor[]) => Tensor[] {
  return (...args) => valueAndGrad(fn, options)(...args)[1];
}

/**
 * Like {@link grad}, but also returns the function's value.
 *
 * @param fn A function of tensors returning a one-element tensor.
 * @param options `createGraph`.
 * @returns A function returning `[value, gradients]`.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { valueAndGrad } from "@dendrite/autograd";
 * const [v, [g]] = valueAndGrad((x: any) => x.square().sum())(tensor([3]));
 * console.assert(v.itemSync() === 9 && g.dataSync()[0] === 6);
 * ```
 */
export function valueAndGrad(
  fn: (...args: Tensor[]) => Tensor,
  options: { createGraph?: boolean } = {},
): (...args: Tensor[]) => [Tensor, Tensor[]] {
  return (...args) => {
    const xs = options.createGraph
      ? args.map((a) => a.requiresGrad ? a : a.detach().requiresGrad_(true))
      : prepare(args);
    const y = enableGrad(() => fn(...xs));
    scalarOut(y, "valueAndGrad()");
    const gs = gradients(y, xs, { createGraph: options.createGraph, allowUnused: true });
    return [options.createGraph ? y : y.detach(), gs];
  };
}
