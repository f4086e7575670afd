/**
 * Dense layers: `Linear`, `Bilinear`, plus `Identity`, `Flatten`, `Unflatten`.
 *
 * @module
 */
import {
  checkActivation,
  einsum,
  empty,
  flatten,
  fmtShape,
  type FusedActivation,
  linear,
  reshape,
  ShapeError,
  type Tensor,
} from "./deps.ts";
import { uniform_ } from "./init.ts";
import { checkInput, Module, Parameter } from "./module.ts";
import type { Generator } from "./deps.ts";

/** Options of layers with a bias and a seeded initialisation. */
export interface LayerOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Generator;
}

/** Options of `Linear`. */
export interface LinearOptions extends LayerOptions {
  /**
   * An activation fused into the product (`"relu"`, `"sigmoid"`, `"tanh"`;
   * none by default), like TensorFlow.js's `dense({ activation })`: the
   * kernel applies it as it writes the output, instead of a separate layer.
   */
  activation?: FusedActivation;
}

/**
 * `y = x·Wᵀ + b` for inputs `[..., inFeatures]`; weight `[out, in]`, both
 * initialised `U(±1/√in)` as in PyTorch. With `activation` the layer also
 * applies it, fused into the matmul (`new Linear(784, 256, { activation:
 * "relu" })` equals `Linear` followed by `ReLU`, in one kernel).
 *
 * @example
 * ```ts
 * import { Linear } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const fc = new Linear(784, 10);
 * console.assert(fc.call(ones([32, 784])).shape.join() === "32,10");
 * console.assert(fc.numParameters() === 7850);
 * ```
 */
export class Linear extends Module {
  /** `[outFeatures, inFeatures]`. */
  weight: Parameter;
  /** `[outFeatures]`, or null. */
  bias: Parameter | null;
  /** Input size. */
  readonly inFeatures: number;
  /** Output size. */
  readonly outFeatures: number;
  /** The fused activation, if any. */
  readonly activation: FusedActivation | undefined;

  /**
   * Creates the layer.
   *
   * @param inFeatures Input size.
   * @param outFeatures Output size.
   * @param options `bias` (true), `rng`, `activation` (none).
   */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkSizes("Linear", { inFeatures, outFeatures });
    checkActivation("Linear", options.activation);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.activation = options.activation;
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = new Parameter(uniform_(empty([outFeatures, inFeatures]), -bound, bound, options));
    this.bias = options.bias === false
      ? null
      : new Parameter(uniform_(empty([outFeatures]), -bound, bound, options));
  }

  /**
   * Applies the layer.
   *
   * @param x `[..., inFeatures]`.
   * @returns `[..., outFeatures]`.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      `Linear(${this.inFeatures}, ${this.outFeatures})`,
      x,
      `the last axis must be ${this.inFeatures}`,
      x.ndim > 0 && x.shape[x.ndim - 1] === this.inFeatures,
    );
    return linear(x, this.weight, this.bias ?? undefined, { activation: this.activation });
  }

  /** The layer's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${
      this.bias !== null
    }${this.activation ? `, activation=${this.activation}` : ""}`;
  }
}

/**
 * Checks that sizes are positive integers.
 *
 * @param layer The layer name.
 * @param sizes Named sizes.
 */
export function checkSizes(layer: string, sizes: Record<string, number>): void {
  for (const [k, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot create ${layer} with ${k} = ${v}: expected a positive integer`);
    }
  }
}

/**
 * `y_k = x1ᵀ·W_k·x2 + b_k`; weight `[out, in1, in2]` initialised `U(±1/√in1)`.
 *
 * @example
 * ```ts
 * import { Bilinear } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const m = new Bilinear(3, 4, 5);
 * console.assert(m.call(ones([2, 3]), ones([2, 4])).shape.join() === "2,5");
 * ```
 */
export class Bilinear extends Module {
  /** `[out, in1, in2]`. */
  weight: Parameter;
  /** `[out]`, or null. */
  bias: Parameter | null;
  /** Sizes `[in1, in2, out]`. */
  readonly sizes: [number, number, number];

  /**
   * Creates the layer.
   *
   * @param in1 First input size.
   * @param in2 Second input size.
   * @param out Output size.
   * @param options `bias`, `rng`.
   */
  constructor(in1: number, in2: number, out: number, options: LayerOptions = {}) {
    super();
    checkSizes("Bilinear", { in1, in2, out });
    this.sizes = [in1, in2, out];
    const bound = 1 / Math.sqrt(in1);
    this.weight = new Parameter(uniform_(empty([out, in1, in2]), -bound, bound, options));
    this.bias = options.bias === false
      ? null
      : new Parameter(uniform_(empty([out]), -bound, bound, options));
  }

  /**
   * Applies the layer.
   *
   * @param x1 `[N, in1]`.
   * @param x2 `[N, in2]`.
   * @returns `[N, out]`.
   */
  forward(x1: Tensor, x2: Tensor): Tensor {
    const [i1, i2, o] = this.sizes;
    const name = `Bilinear(${i1}, ${i2}, ${o})`;
    checkInput(name, x1, `the first input must be [N, ${i1}]`, x1.ndim === 2 && x1.shape[1] === i1);
    checkInput(
      name,
      x2,
      `the second input must be [N, ${i2}]`,
      x2.ndim === 2 && x2.shape[1] === i2,
    );
    const y = einsum("bi,oij,bj->bo", x1, this.weight, x2);
    return this.bias ? y.add(this.bias) : y;
  }
}

/**
 * Returns its input.
 *
 * @example
 * ```ts
 * import { Identity } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const x = ones([2]);
 * console.assert(new Identity().call(x) === x);
 * ```
 */
export class Identity extends Module {
  /**
   * Returns the input.
   *
   * @param x Any tensor.
   * @returns `x`.
   */
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Flattens axes `startDim..endDim` (default 1..-1).
 *
 * @example
 * ```ts
 * import { Flatten } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new Flatten().call(ones([2, 3, 4])).shape.join() === "2,12");
 * ```
 */
export class Flatten extends Module {
  /** First axis. */
  readonly startDim: number;
  /** Last axis. */
  readonly endDim: number;

  /**
   * Creates the layer.
   *
   * @param startDim First axis (default 1).
   * @param endDim Last axis (default -1).
   */
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /**
   * Flattens.
   *
   * @param x The input.
   * @returns The flattened tensor.
   */
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/**
 * Expands one axis into a shape (inverse of `Flatten`).
 *
 * @example
 * ```ts
 * import { Unflatten } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new Unflatten(1, [3, 4]).call(ones([2, 12])).shape.join() === "2,3,4");
 * ```
 */
export class Unflatten extends Module {
  /** The axis. */
  readonly dim: number;
  /** Its new shape. */
  readonly unflattenedSize: number[];

  /**
   * Creates the layer.
   *
   * @param dim The axis to expand.
   * @param unflattenedSize The shape it becomes.
   */
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }

  /**
   * Expands the axis.
   *
   * @param x The input.
   * @returns The reshaped tensor.
   */
  forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    const n = this.unflattenedSize.reduce((a, b) => a * b, 1);
    if (d < 0 || d >= x.ndim || x.shape[d] !== n) {
      throw new ShapeError(
        `Cannot apply Unflatten(${this.dim}, ${fmtShape(this.unflattenedSize)}) to input ${
          fmtShape(x.shape)
        }: axis ${this.dim} must have size ${n}`,
      );
    }
    return reshape(x, [...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)]);
  }
}
