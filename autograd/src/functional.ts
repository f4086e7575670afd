/**
 * Grad mode scopes and the functional forms `grad(fn)` and `valueAndGrad(fn)`.
 *
 * @module
 */
import {
  DTypeError,
  fmtShape,
  isGradEnabled,
  runWithGradMode,
  ShapeError,
  Tensor,
  zerosLike,
} from "@dendrite/tensor";
import { gradients } from "./engine.ts";

/**
 * Runs `fn` with gradient recording off (like `torch.no_grad()`). An async
 * `fn` keeps recording off across its `await`s, in its own context: code
 * running concurrently outside it is not affected, and concurrent scopes
 * cannot leave the mode switched when they finish.
 *
 * @param fn The function to run (sync or async).
 * @returns What `fn` returns.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { gradEnabled, noGrad } from "@dendrite/autograd";
 * const w = tensor([1], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2));
 * console.assert(!y.requiresGrad);
 * const z = await noGrad(async () => {
 *   await null;
 *   return w.mul(2);
 * });
 * console.assert(!z.requiresGrad && gradEnabled());
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return runWithGradMode(false, fn);
}

/**
 * Runs `fn` with gradient recording on, even inside `noGrad` (sync or async,
 * with the same context rules as {@link noGrad}).
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
  return runWithGradMode(true, fn);
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

/** Options of {@link grad} and {@link valueAndGrad}. */
export interface GradFnOptions {
  /** Make the gradients differentiable, for higher derivatives (default false). */
  createGraph?: boolean;
  /**
   * Which arguments to differentiate with respect to (default: all). Others,
   * such as integer labels, are passed through unchanged.
   */
  argnums?: number | readonly number[];
}

function whichArgs(options: GradFnOptions, n: number, op: string): number[] {
  const a = options.argnums;
  const idx = a === undefined
    ? Array.from({ length: n }, (_, i) => i)
    : typeof a === "number"
    ? [a]
    : [...a];
  for (const i of idx) {
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(
        `Cannot differentiate in ${op} with respect to argument ${i}: the function got ${n} arguments`,
      );
    }
  }
  return idx;
}

function prepare(args: Tensor[], idx: number[], createGraph: boolean, op: string): Tensor[] {
  const xs = [...args];
  for (const i of idx) {
    const a = args[i];
    if (!(a instanceof Tensor)) {
      throw new TypeError(
        `Cannot differentiate in ${op} with respect to argument ${i}: it is not a Tensor`,
      );
    }
    if (a.dtype !== "float32") {
      throw new DTypeError(
        `Cannot differentiate in ${op} with respect to argument ${i}: it is a ${a.dtype} tensor (shape ${
          fmtShape(a.shape)
        }), expected float32; leave it out with argnums`,
      );
    }
    // With createGraph, an argument that already requires grad stays in its
    // graph, so that an outer grad() can differentiate through this one.
    xs[i] = createGraph && a.requiresGrad ? a : a.detach().requiresGrad_(true);
  }
  return xs;
}

/**
 * Transforms a scalar-valued function into one that returns its gradients
 * with respect to its arguments (like `jax.grad`; all arguments unless
 * `argnums` says otherwise). The arguments are not modified and their
 * `.grad` is not touched.
 *
 * @param fn A function of tensors returning a one-element tensor.
 * @param options `createGraph` to make the gradients differentiable (nest
 * `grad` for higher derivatives), `argnums` to pick the arguments.
 * @returns A function taking `fn`'s arguments and returning one gradient per
 * differentiated argument, each of that argument's shape (zeros where `fn`
 * does not depend on it).
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { grad } from "@dendrite/autograd";
 * const df = grad((x, y) => x.mul(y).sum());
 * const [gx, gy] = df(tensor([2]), tensor([5]));
 * console.assert(gx.dataSync()[0] === 5 && gy.dataSync()[0] === 2);
 * ```
 */
export function grad(
  fn: (...args: Tensor[]) => Tensor,
  options: GradFnOptions = {},
): (...args: Tensor[]) => Tensor[] {
  const vg = valueAndGradImpl(fn, options, "grad()");
  return (...args) => vg(...args)[1];
}

/**
 * Like {@link grad}, but also returns the function's value.
 *
 * @param fn A function of tensors returning a one-element tensor.
 * @param options `createGraph`, `argnums`.
 * @returns A function returning `[value, gradients]`: the value (detached
 * unless `createGraph`) and one gradient per differentiated argument.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { valueAndGrad } from "@dendrite/autograd";
 * const [v, [g]] = valueAndGrad((x) => x.square().sum())(tensor([3]));
 * console.assert(v.itemSync() === 9 && g.dataSync()[0] === 6);
 * ```
 */
export function valueAndGrad(
  fn: (...args: Tensor[]) => Tensor,
  options: GradFnOptions = {},
): (...args: Tensor[]) => [Tensor, Tensor[]] {
  return valueAndGradImpl(fn, options, "valueAndGrad()");
}

function valueAndGradImpl(
  fn: (...args: Tensor[]) => Tensor,
  options: GradFnOptions,
  op: string,
): (...args: Tensor[]) => [Tensor, Tensor[]] {
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot build ${op}: expected a function, got ${typeof fn}`);
  }
  const createGraph = options.createGraph ?? false;
  return (...args) => {
    const idx = whichArgs(options, args.length, op);
    const xs = prepare(args, idx, createGraph, op);
    const y = enableGrad(() => fn(...xs));
    if (!(y instanceof Tensor)) {
      throw new TypeError(
        `Cannot differentiate in ${op}: the function returned ${typeof y}, expected a Tensor`,
      );
    }
    if (y.size !== 1) {
      throw new ShapeError(
        `Cannot differentiate in ${op}: the function returned shape ${
          fmtShape(y.shape)
        }, expected a single element`,
      );
    }
    const wrt = idx.map((i) => xs[i]);
    const gs = y.requiresGrad
      ? gradients(y, wrt, { createGraph, allowUnused: true })
      : wrt.map((x) => zerosLike(x));
    return [createGraph ? y : y.detach(), gs];
  };
}
