/**
 * The rest of PyTorch's activation modules: `PReLU` (a learned slope),
 * `RReLU` (a random slope while training), `GLU`, `Softshrink`, `Hardshrink`, `Tanhshrink`, `Threshold`, `Softmin`
 * and `Softmax2d`.
 *
 * @module
 */
import {
  full,
  type Generator,
  glu,
  hardshrink,
  prelu,
  rrelu,
  softmax,
  softmin,
  softshrink,
  tanhshrink,
  type Tensor,
  threshold,
} from "./deps.ts";
import { checkInput, Module, Parameter } from "./module.ts";
import { checkSizes } from "./linear.ts";

/**
 * Parametric ReLU: `max(0, x) + a·min(0, x)` with a learned slope `a`, one
 * for all channels or one per channel (axis 1), starting at `init`.
 *
 * @example
 * ```ts
 * import { PReLU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new PReLU().call(tensor([-2, 3])).dataSync().join() === "-0.5,3");
 * ```
 */
export class PReLU extends Module {
  /** The slopes `[numParameters]`. */
  weight: Parameter;
  /**
   * Creates the layer.
   *
   * @param numParameters 1, or the number of channels (default 1).
   * @param init The initial slope (default 0.25).
   */
  constructor(numParameters = 1, init = 0.25) {
    super();
    checkSizes("PReLU", { numParameters });
    this.weight = new Parameter(full([numParameters], init));
  }
  /**
   * Applies the activation.
   *
   * @param x The input (channels on axis 1 when there are several slopes).
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
  /** The layer's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    return `numParameters=${this.weight.size}`;
  }
}

/**
 * Randomized leaky ReLU, as `torch.nn.RReLU`: while training, each negative
 * input is scaled by its own slope drawn from `U(lower, upper)`; in
 * evaluation mode by the mean slope `(lower + upper) / 2`.
 *
 * @example
 * ```ts
 * import { RReLU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const layer = new RReLU(0.1, 0.3);
 * const t = layer.call(tensor([-10, 2])).dataSync();
 * console.assert(t[0] <= -1 && t[0] >= -3 && t[1] === 2);
 * layer.eval();
 * console.assert(Math.abs(layer.call(tensor([-10])).dataSync()[0] + 2) < 1e-6);
 * ```
 */
export class RReLU extends Module {
  /** Lower bound of the slope. */
  readonly lower: number;
  /** Upper bound of the slope. */
  readonly upper: number;
  /** Generator (default: the global one). */
  rng: Generator | undefined;
  /**
   * Creates the layer.
   *
   * @param lower Lower bound of the slope (default 1/8).
   * @param upper Upper bound of the slope (default 1/3).
   * @param options `rng`.
   */
  constructor(lower = 1 / 8, upper = 1 / 3, options: { rng?: Generator } = {}) {
    super();
    if (!(Number.isFinite(lower) && Number.isFinite(upper) && lower <= upper)) {
      throw new RangeError(
        `Cannot create RReLU with lower ${lower} and upper ${upper}: expected finite bounds with lower <= upper`,
      );
    }
    this.lower = lower;
    this.upper = upper;
    this.rng = options.rng;
  }
  /**
   * Applies the activation (random slopes in training mode).
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return rrelu(x, {
      lower: this.lower,
      upper: this.upper,
      training: this.training,
      rng: this.rng,
    });
  }
  /** The layer's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    return `lower=${this.lower}, upper=${this.upper}`;
  }
}

/**
 * Gated linear unit along an axis (default -1): `a · σ(b)` of its two halves.
 *
 * @example
 * ```ts
 * import { GLU } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new GLU().call(ones([2, 6])).shape.join() === "2,3");
 * ```
 */
export class GLU extends Module {
  /** The axis halved. */
  readonly dim: number;
  /**
   * Creates the layer.
   *
   * @param dim The axis (default -1).
   */
  constructor(dim = -1) {
    super();
    this.dim = dim;
  }
  /**
   * Applies the gate.
   *
   * @param x The input, even along `dim`.
   * @returns Half as long along `dim`.
   */
  forward(x: Tensor): Tensor {
    return glu(x, this.dim);
  }
}

/**
 * Soft shrinkage: `x ∓ λ` outside `[−λ, λ]`, 0 inside.
 *
 * @example
 * ```ts
 * import { Softshrink } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Softshrink(1).call(tensor([-3, 0.5, 2])).dataSync().join() === "-2,0,1");
 * ```
 */
export class Softshrink extends Module {
  /** λ. */
  readonly lambd: number;
  /**
   * Creates the layer.
   *
   * @param lambd λ (default 0.5).
   */
  constructor(lambd = 0.5) {
    super();
    this.lambd = lambd;
  }
  /**
   * Applies the shrinkage.
   *
   * @param x The input.
   * @returns The shrunk values.
   */
  forward(x: Tensor): Tensor {
    return softshrink(x, { lambd: this.lambd });
  }
}

/**
 * Hard shrinkage: `x` where `|x| > λ`, else 0.
 *
 * @example
 * ```ts
 * import { Hardshrink } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Hardshrink(1).call(tensor([-3, 0.5, 2])).dataSync().join() === "-3,0,2");
 * ```
 */
export class Hardshrink extends Module {
  /** λ. */
  readonly lambd: number;
  /**
   * Creates the layer.
   *
   * @param lambd λ (default 0.5).
   */
  constructor(lambd = 0.5) {
    super();
    this.lambd = lambd;
  }
  /**
   * Applies the shrinkage.
   *
   * @param x The input.
   * @returns The shrunk values.
   */
  forward(x: Tensor): Tensor {
    return hardshrink(x, { lambd: this.lambd });
  }
}

/**
 * `x − tanh(x)`.
 *
 * @example
 * ```ts
 * import { Tanhshrink } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Tanhshrink().call(tensor([0])).dataSync()[0] === 0);
 * ```
 */
export class Tanhshrink extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The values.
   */
  forward(x: Tensor): Tensor {
    return tanhshrink(x);
  }
}

/**
 * `x` where `x > threshold`, else `value`.
 *
 * @example
 * ```ts
 * import { Threshold } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Threshold(0.1, 20).call(tensor([0, 1])).dataSync().join() === "20,1");
 * ```
 */
export class Threshold extends Module {
  /** The threshold. */
  readonly threshold: number;
  /** The replacement. */
  readonly value: number;
  /**
   * Creates the layer.
   *
   * @param threshold The threshold.
   * @param value What replaces the values at or below it.
   */
  constructor(threshold: number, value: number) {
    super();
    this.threshold = threshold;
    this.value = value;
  }
  /**
   * Applies the threshold.
   *
   * @param x The input.
   * @returns The thresholded values.
   */
  forward(x: Tensor): Tensor {
    return threshold(x, this.threshold, this.value);
  }
}

/**
 * Softmin along an axis (default -1): `softmax(−x)`.
 *
 * @example
 * ```ts
 * import { Softmin } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Softmin().call(tensor([[1, 1]])).dataSync().join() === "0.5,0.5");
 * ```
 */
export class Softmin extends Module {
  /** The axis. */
  readonly dim: number;
  /**
   * Creates the layer.
   *
   * @param dim The axis (default -1).
   */
  constructor(dim = -1) {
    super();
    this.dim = dim;
  }
  /**
   * Applies softmin.
   *
   * @param x The input.
   * @returns Probabilities.
   */
  forward(x: Tensor): Tensor {
    return softmin(x, this.dim);
  }
}

/**
 * Softmax over the channels of each position of `[N, C, H, W]` or `[C, H, W]`.
 *
 * @example
 * ```ts
 * import { Softmax2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new Softmax2d().call(ones([1, 4, 2, 2])).dataSync()[0] === 0.25);
 * ```
 */
export class Softmax2d extends Module {
  /**
   * Applies softmax over the channel axis (-3).
   *
   * @param x `[N, C, H, W]` or `[C, H, W]`.
   * @returns Probabilities per position.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      "Softmax2d",
      x,
      "the input must be [N, C, H, W] or [C, H, W]",
      x.ndim === 3 || x.ndim === 4,
    );
    return softmax(x, -3);
  }
}
