/**
 * `Module`, `Parameter` and `Buffer`: the building blocks of every model,
 * with PyTorch's names (`parameters()`, `stateDict()`, `train()`, ...).
 *
 * @module
 */
import {
  copy_,
  DTypeError,
  fmtShape,
  noGradScope,
  ShapeError,
  shapesEqual,
  Tensor,
  zeros,
} from "./deps.ts";

/**
 * A tensor that a module learns: it requires grad and is listed by
 * `parameters()`.
 *
 * @example
 * ```ts
 * import { Parameter } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * const p = new Parameter(zeros([2, 2]));
 * console.assert(p.requiresGrad);
 * ```
 */
export class Parameter extends Tensor {
  /**
   * Wraps the storage of `data` (no copy) as a parameter.
   *
   * @param data The initial values (float32).
   * @param requiresGrad Whether it is trained (default true).
   */
  constructor(data: Tensor, requiresGrad = true) {
    if (data.dtype !== "float32" && requiresGrad) {
      throw new DTypeError(
        `Cannot create a Parameter from a ${data.dtype} tensor: parameters that require grad must be float32`,
      );
    }
    super(data.storage, data.shape, data.strides, data.offset);
    this.requiresGrad = requiresGrad;
  }
}

/**
 * A tensor that belongs to a module's state but is not trained (running
 * statistics, for example): listed by `buffers()` and saved in `stateDict()`.
 *
 * @example
 * ```ts
 * import { Buffer } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(!new Buffer(zeros([3])).requiresGrad);
 * ```
 */
export class Buffer extends Tensor {
  /**
   * Wraps the storage of `data` (no copy) as a buffer.
   *
   * @param data The initial values.
   */
  constructor(data: Tensor) {
    super(data.storage, data.shape, data.strides, data.offset);
  }
}

/** A forward hook: called with the module, its inputs and output; may replace the output. */
export type ForwardHook = (module: Module, inputs: unknown[], output: unknown) => unknown;

/** A forward pre-hook: called with the module and inputs; may replace the inputs. */
export type ForwardPreHook = (module: Module, inputs: unknown[]) => unknown[] | void;

/** Options of `loadStateDict`. */
export interface LoadOptions {
  /** Require exactly the module's keys (default true). */
  strict?: boolean;
}

/** The outcome of a non-strict `loadStateDict`. */
export interface LoadResult {
  /** Keys the module has but the state dict lacks. */
  missingKeys: string[];
  /** Keys the state dict has but the module lacks. */
  unexpectedKeys: string[];
}

/**
 * Thrown by `loadStateDict` (and weight loading) listing every problem; the
 * module is left unchanged.
 *
 * @example
 * ```ts
 * import { StateDictError } from "@dendrite/layers";
 * const e = new StateDictError(["Missing key \"fc.weight\""]);
 * console.assert(e.problems.length === 1);
 * ```
 */
export class StateDictError extends Error {
  /** Every problem found. */
  readonly problems: string[];
  /**
   * Creates the error.
   *
   * @param problems The problems, one line each.
   */
  constructor(problems: string[]) {
    super(
      `Cannot load state dict: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n  ${
        problems.join("\n  ")
      }`,
    );
    this.name = "StateDictError";
    this.problems = problems;
  }
}

const INTERNAL = new Set(["training", "_forwardHooks", "_forwardPreHooks"]);

/**
 * Base class of every layer and model. Subclasses assign parameters,
 * buffers and sub-modules to fields (in the order PyTorch would register
 * them) and implement `forward`; callers use `call(...)`, which also runs
 * forward hooks.
 *
 * @example
 * ```ts
 * import { Module, Parameter } from "@dendrite/layers";
 * import { ones, type Tensor } from "@dendrite/tensor";
 * class Scale extends Module {
 *   weight = new Parameter(ones([3]));
 *   forward(x: Tensor): Tensor { return x.mul(this.weight); }
 * }
 * const m = new Scale();
 * console.assert(m.namedParameters()[0][0] === "weight");
 * console.assert(m.call(ones([3])).shape[0] === 3);
 * ```
 */
export abstract class Module {
  /** True in training mode (the default), false after `eval()`. */
  training = true;
  private _forwardHooks: ForwardHook[] = [];
  private _forwardPreHooks: ForwardPreHook[] = [];

  /**
   * The computation; implemented by subclasses. Use `call()` to run it with hooks.
   *
   * @param args Inputs.
   * @returns Outputs.
   */
  // deno-lint-ignore no-explicit-any
  abstract forward(...args: any[]): any;

  /**
   * Runs `forward` with pre-hooks and hooks (what `model(x)` does in PyTorch).
   *
   * @param args Inputs.
   * @returns What `forward` returns (or a hook's replacement).
   */
  // deno-lint-ignore no-explicit-any
  call(...args: any[]): any {
    let inputs: unknown[] = args;
    for (const h of this._forwardPreHooks) {
      const r = h(this, inputs);
      if (r) inputs = r;
    }
    let out = this.forward(...inputs);
    for (const h of this._forwardHooks) {
      const r = h(this, inputs, out);
      if (r !== undefined) out = r;
    }
    return out;
  }

  /**
   * Registers a hook run after `forward` (feature extraction, distillation hints).
   *
   * @param hook The hook.
   * @returns A function that removes it.
   */
  registerForwardHook(hook: ForwardHook): () => void {
    this._forwardHooks.push(hook);
    return () => {
      const i = this._forwardHooks.indexOf(hook);
      if (i >= 0) this._forwardHooks.splice(i, 1);
    };
  }

  /**
   * Registers a hook run before `forward`; it may replace the inputs.
   *
   * @param hook The hook.
   * @returns A function that removes it.
   */
  registerForwardPreHook(hook: ForwardPreHook): () => void {
    this._forwardPreHooks.push(hook);
    return () => {
      const i = this._forwardPreHooks.indexOf(hook);
      if (i >= 0) this._forwardPreHooks.splice(i, 1);
    };
  }

  /**
   * Direct sub-modules with their field names, in insertion order.
   *
   * @returns `[name, module]` pairs.
   */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, v] of this.fields()) if (v instanceof Module) out.push([k, v]);
    return out;
  }

  /**
   * Direct sub-modules.
   *
   * @returns The children.
   */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and every descendant with dotted names (`""` for this one).
   *
   * @param prefix Name prefix.
   * @returns `[name, module]` pairs, parents first.
   */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [k, m] of this.namedChildren()) {
      out.push(...m.namedModules(prefix ? `${prefix}.${k}` : k));
    }
    return out;
  }

  /**
   * This module and every descendant.
   *
   * @returns The modules, parents first.
   */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Own fields holding tensors or modules, with arrays expanded to `name.i`. */
  private fields(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const k of Object.keys(this)) {
      if (INTERNAL.has(k)) continue;
      const v = (this as Record<string, unknown>)[k];
      if (Array.isArray(v)) {
        v.forEach((e, i) => {
          if (e instanceof Module || e instanceof Parameter || e instanceof Buffer) {
            out.push([`${k}.${i}`, e]);
          }
        });
      } else if (v instanceof Module || v instanceof Parameter || v instanceof Buffer) {
        out.push([k, v]);
      } else if (v instanceof Map) {
        for (const [mk, mv] of v) if (mv instanceof Module) out.push([`${k}.${mk}`, mv]);
      }
    }
    return out;
  }

  /**
   * Every parameter with its dotted name (`"encoder.layers.0.weight"`), each
   * once even when shared.
   *
   * @param prefix Name prefix.
   * @returns `[name, parameter]` pairs.
   */
  namedParameters(prefix = ""): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const walk = (m: Module, pre: string) => {
      for (const [k, v] of m.fields()) {
        const name = pre ? `${pre}.${k}` : k;
        if (v instanceof Parameter) {
          if (!seen.has(v)) {
            seen.add(v);
            out.push([name, v]);
          }
        } else if (v instanceof Module) walk(v, name);
      }
    };
    walk(this, prefix);
    return out;
  }

  /**
   * Every parameter.
   *
   * @returns The parameters.
   */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Every buffer with its dotted name.
   *
   * @param prefix Name prefix.
   * @returns `[name, buffer]` pairs.
   */
  namedBuffers(prefix = ""): [string, Buffer][] {
    const out: [string, Buffer][] = [];
    const walk = (m: Module, pre: string) => {
      for (const [k, v] of m.fields()) {
        const name = pre ? `${pre}.${k}` : k;
        if (v instanceof Buffer) out.push([name, v]);
        else if (v instanceof Module) walk(v, name);
      }
    };
    walk(this, prefix);
    return out;
  }

  /**
   * Every buffer.
   *
   * @returns The buffers.
   */
  buffers(): Buffer[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /**
   * Calls `fn` on every descendant and then on this module (as PyTorch's `apply`).
   *
   * @param fn The function.
   * @returns This module.
   */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Sets training mode on this module and its descendants.
   *
   * @param mode True for training (default), false for evaluation.
   * @returns This module.
   */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /**
   * Sets evaluation mode (dropout off, batch norm uses running statistics).
   *
   * @returns This module.
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Sets whether every parameter requires grad, like PyTorch's
   * `module.requires_grad_()`: `backbone.requiresGrad_(false)` freezes a
   * pretrained part for fine-tuning (optimizers skip parameters without a
   * gradient).
   *
   * @param requiresGrad Whether gradients are recorded (default true).
   * @returns This module.
   */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * The number of parameter elements.
   *
   * @param trainableOnly Count only parameters that require grad.
   * @returns The count.
   */
  numParameters(trainableOnly = false): number {
    return this.parameters().filter((p) => !trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.size, 0);
  }

  /**
   * Parameters and buffers by dotted name, in registration order (the
   * tensors themselves, not copies).
   *
   * @returns The state dict.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const walk = (m: Module, pre: string) => {
      for (const [k, v] of m.fields()) {
        const name = pre ? `${pre}.${k}` : k;
        if (v instanceof Parameter || v instanceof Buffer) out.set(name, v);
        else if (v instanceof Module) walk(v, name);
      }
    };
    walk(this, "");
    return out;
  }

  /**
   * Copies values from a state dict into the parameters and buffers. All
   * problems (missing or unexpected keys in strict mode, shape or dtype
   * mismatches) are collected first and thrown together as a
   * {@link StateDictError}; nothing is copied unless everything fits.
   *
   * @param sd The state dict (a Map or a plain object).
   * @param options `strict` (default true).
   * @returns Missing and unexpected keys (empty in strict mode).
   */
  loadStateDict(
    sd: Map<string, Tensor> | Record<string, Tensor>,
    options: LoadOptions = {},
  ): LoadResult {
    const strict = options.strict ?? true;
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const problems: string[] = [];
    const missingKeys = [...own.keys()].filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    if (strict) {
      for (const k of missingKeys) problems.push(`Missing key "${k}"`);
      for (const k of unexpectedKeys) problems.push(`Unexpected key "${k}"`);
    }
    for (const [k, dst] of own) {
      const v = src.get(k);
      if (!v) continue;
      if (!(v instanceof Tensor)) {
        problems.push(`"${k}" must be a Tensor: got ${typeof v}`);
      } else if (!shapesEqual(v.shape, dst.shape)) {
        problems.push(`"${k}" must have shape ${fmtShape(dst.shape)}: got ${fmtShape(v.shape)}`);
      } else if (v.dtype !== dst.dtype) {
        problems.push(`"${k}" must have dtype ${dst.dtype}: got ${v.dtype}`);
      } else if (v.backend !== dst.backend) {
        problems.push(`"${k}" must be on backend "${dst.backend.name}": got "${v.backend.name}"`);
      }
    }
    if (problems.length) throw new StateDictError(problems);
    noGradScope(() => {
      for (const [k, dst] of own) {
        const v = src.get(k);
        if (v) copy_(dst, v);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves every parameter and buffer to another backend (like PyTorch's
   * `module.to(device)`): the fields are replaced by new tensors, so create
   * optimizers after moving a model.
   *
   * @param backend The backend name.
   * @returns This module.
   */
  async to(backend: string): Promise<this> {
    for (const m of this.modules()) {
      const rec = m as unknown as Record<string, unknown>;
      for (const k of Object.keys(m)) {
        const v = rec[k];
        const move = async (t: unknown): Promise<unknown> => {
          if (t instanceof Parameter) {
            if (t.backend.name === backend) return t;
            return new Parameter(await t.to(backend), t.requiresGrad);
          }
          if (t instanceof Buffer) {
            return t.backend.name === backend ? t : new Buffer(await t.to(backend));
          }
          return t;
        };
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) v[i] = await move(v[i]);
        } else rec[k] = await move(v);
      }
    }
    return this;
  }

  /**
   * A one-line description of this module's own settings (`"784, 10"` for
   * Linear); used by `toString()`.
   *
   * @returns The description.
   */
  extraRepr(): string {
    return "";
  }

  /**
   * Prints the module tree like PyTorch.
   *
   * @returns The tree.
   */
  toString(): string {
    const name = this.constructor.name;
    const kids = this.namedChildren();
    if (kids.length === 0) return `${name}(${this.extraRepr()})`;
    const lines = [`${name}(${this.extraRepr() ? this.extraRepr() : ""}`];
    for (const [k, m] of kids) {
      lines.push(`  (${k}): ${m.toString().split("\n").join("\n  ")}`);
    }
    lines.push(")");
    return lines.join("\n");
  }

  /**
   * Runs a zero input of `inputShape` through the model (without recording
   * gradients) and prints a table of every leaf module's output shape and
   * parameter count, as `torchsummary` does.
   *
   * @param inputShape The input shape, batch axis included.
   * @param makeInput Creates the input (default: zeros of the shape).
   * @returns The table as text.
   */
  summary(inputShape: readonly number[], makeInput?: (shape: readonly number[]) => Tensor): string {
    const rows: [string, string, number][] = [];
    const removers: (() => void)[] = [];
    for (const [name, m] of this.namedModules()) {
      if (m.children().length > 0) continue;
      removers.push(m.registerForwardHook((mod, _in, out) => {
        const shape = out instanceof Tensor ? fmtShape(out.shape) : "-";
        const own = mod.parameters().reduce((n, p) => n + p.size, 0);
        rows.push([`${name || mod.constructor.name} (${mod.constructor.name})`, shape, own]);
      }));
    }
    try {
      noGradScope(() => this.call(makeInput ? makeInput(inputShape) : zerosOf(inputShape)));
    } finally {
      for (const r of removers) r();
    }
    const total = this.numParameters();
    const trainable = this.numParameters(true);
    const w0 = Math.max(5, ...rows.map((r) => r[0].length));
    const w1 = Math.max(12, ...rows.map((r) => r[1].length));
    const line = "-".repeat(w0 + w1 + 16);
    const out = [
      line,
      `${"Layer".padEnd(w0)}  ${"Output shape".padEnd(w1)}  ${"Param #".padStart(12)}`,
      line,
      ...rows.map(([n, s, p]) =>
        `${n.padEnd(w0)}  ${s.padEnd(w1)}  ${p.toLocaleString("en-US").padStart(12)}`
      ),
      line,
      `Total params: ${total.toLocaleString("en-US")}`,
      `Trainable params: ${trainable.toLocaleString("en-US")}`,
      `Non-trainable params: ${(total - trainable).toLocaleString("en-US")}`,
      line,
    ];
    return out.join("\n");
  }
}

function zerosOf(shape: readonly number[]): Tensor {
  return zeros(shape);
}

/**
 * Checks that `x` has `ndim` axes and, for given positions, given sizes;
 * throws the house-style error naming the layer otherwise.
 *
 * @param layer The layer's printed form, e.g. `Linear(784, 10)`.
 * @param x The input.
 * @param what What is expected, e.g. `the last axis must be 784`.
 * @param ok Whether the input fits.
 */
export function checkInput(layer: string, x: Tensor, what: string, ok: boolean): void {
  if (!ok) {
    throw new ShapeError(`Cannot apply ${layer} as ${what}: input shape is ${fmtShape(x.shape)}`);
  }
}
