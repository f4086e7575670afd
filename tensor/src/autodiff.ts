/**
 * The recording half of autograd, which lives in the core so that ops can
 * define their gradients beside their kernels: the grad mode switch, graph
 * nodes, and `record()`. The engine that walks the graph (`backward()`,
 * `grad()`, `gradcheck()`) is `@dendrite/autograd`, which registers itself
 * here with {@link setGradEngine}.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Tensor } from "./tensor.ts";

/** A vector-Jacobian product: the upstream gradient in, one gradient per input out. */
export type VjpFn = (dy: Tensor) => (Tensor | null | undefined)[];

/** A hook on a tensor's gradient; may return a replacement gradient. */
export type GradHook = (grad: Tensor) => Tensor | void;

/** One recorded op application in the autograd graph. */
export class Node {
  /** The op's name, for error messages and graph printing. */
  readonly name: string;
  /** The op's tensor inputs (gradients flow to those that require grad). */
  inputs: Tensor[];
  /** The gradient rule; `null` once released by a backward without `retainGraph`. */
  vjp: VjpFn | null;
  /** Hooks registered on the output tensor. */
  hooks: GradHook[] = [];
  /** Set by `retainGrad()`: the output tensor whose `.grad` should be kept. */
  retained: WeakRef<Tensor> | null = null;
  /** Monotonic creation index, used to order the backward sweep. */
  readonly seq: number;
  /**
   * Set on slices (views of input 0): where the output sits in the input,
   * per axis its start, length, step and whether the axis stays. The sweep
   * uses it to gather the gradients of many slices of one tensor into one
   * (the pieces of `split`, say) instead of adding a dense input-sized
   * gradient per slice.
   */
  placement:
    | { starts: number[]; lens: number[]; steps: number[]; keep: boolean[]; shape: number[] }
    | null = null;

  /**
   * Creates a node.
   *
   * @param name Op name.
   * @param inputs Inputs of the op.
   * @param vjp Gradient rule.
   */
  constructor(name: string, inputs: Tensor[], vjp: VjpFn) {
    this.name = name;
    this.inputs = inputs;
    this.vjp = vjp;
    this.seq = nextSeq++;
  }
}

let nextSeq = 0;

/** The grad mode of one async context (see {@link runWithGradMode}). */
interface GradModeCell {
  on: boolean;
}

const rootMode: GradModeCell = { on: true };
// Each runWithGradMode() scope gets its own cell that follows its async
// continuations, so concurrent async noGrad()/enableGrad() scopes cannot
// leave the mode of another context (or the global one) switched.
const modeStore = new AsyncLocalStorage<GradModeCell>();

function modeCell(): GradModeCell {
  return modeStore.getStore() ?? rootMode;
}

/**
 * Tells whether ops currently record gradients.
 *
 * @returns False inside `noGrad()`.
 * @example
 * ```ts
 * import { isGradEnabled } from "@dendrite/tensor";
 * console.assert(isGradEnabled());
 * ```
 */
export function isGradEnabled(): boolean {
  return modeCell().on;
}

/**
 * Switches gradient recording on or off and returns the previous state.
 * Prefer `noGrad(fn)` from `@dendrite/autograd`.
 *
 * @param on Whether to record.
 * @returns The previous state.
 * @example
 * ```ts
 * import { setGradEnabled } from "@dendrite/tensor";
 * const prev = setGradEnabled(false);
 * setGradEnabled(prev);
 * ```
 */
export function setGradEnabled(on: boolean): boolean {
  const c = modeCell();
  const prev = c.on;
  c.on = on;
  return prev;
}

/**
 * Runs `fn` in its own grad-mode context starting at `on`. The context
 * follows `fn`'s async continuations, so an async `fn` keeps its mode across
 * `await`s while code outside it keeps its own. The public forms are
 * `noGrad(fn)` and `enableGrad(fn)` from `@dendrite/autograd`.
 *
 * @param on Whether to record inside `fn`.
 * @param fn The function to run.
 * @returns What `fn` returns.
 * @example
 * ```ts
 * import { isGradEnabled, runWithGradMode } from "@dendrite/tensor";
 * const p = runWithGradMode(false, async () => {
 *   await null;
 *   return isGradEnabled();
 * });
 * console.assert(isGradEnabled() && (await p) === false);
 * ```
 */
export function runWithGradMode<T>(on: boolean, fn: () => T): T {
  return modeStore.run({ on }, fn);
}

/**
 * Attaches a graph node to `out` when grad mode is on and any input requires
 * grad. Ops call this after computing their output.
 *
 * @param name Op name.
 * @param out The op's output.
 * @param inputs The op's inputs.
 * @param vjp The gradient rule, or `null` for a non-differentiable op.
 * @returns `out`.
 * @example
 * ```ts
 * import { mul, record, tensor } from "@dendrite/tensor";
 * const x = tensor([1, 2], { requiresGrad: true });
 * const y = record("Double", mul(x.detach(), 2), [x], (dy) => [mul(dy, 2)]);
 * console.assert(y.requiresGrad);
 * ```
 */
export function record(
  name: string,
  out: Tensor,
  inputs: Tensor[],
  vjp: VjpFn | null,
): Tensor {
  if (!modeCell().on) return out;
  let needs = false;
  for (const t of inputs) if (t.requiresGrad) needs = true;
  if (!needs || vjp === null) return out;
  out.gradFn = new Node(name, inputs, vjp);
  out.requiresGrad = true;
  return out;
}

/** What `@dendrite/autograd` provides to `Tensor.backward()`. */
export interface GradEngine {
  /** Runs the backward sweep from `root`. */
  backward(
    root: Tensor,
    grad: Tensor | undefined,
    options: { retainGraph?: boolean; createGraph?: boolean },
  ): void;
}

let engine: GradEngine | undefined;

/**
 * Installs the backward engine (done by `@dendrite/autograd` on import).
 *
 * @param e The engine.
 * @example
 * ```ts
 * import { getGradEngine, setGradEngine } from "@dendrite/tensor";
 * const e = getGradEngine();
 * if (e) setGradEngine(e);
 * ```
 */
export function setGradEngine(e: GradEngine): void {
  engine = e;
}

/**
 * Returns the installed backward engine, if any.
 *
 * @returns The engine or undefined.
 * @example
 * ```ts
 * import { getGradEngine } from "@dendrite/tensor";
 * console.log(typeof getGradEngine());
 * ```
 */
export function getGradEngine(): GradEngine | undefined {
  return engine;
}
