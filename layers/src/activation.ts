/**
 * Activation layers: thin modules over the activation functions, plus
 * `Softmax`, `LogSoftmax` and `Maxout`.
 *
 * @module
 */
import {
  celu,
  elu,
  gelu,
  hardSigmoid,
  hardSwish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  mish,
  relu,
  relu6,
  reshape,
  selu,
  sigmoid,
  silu,
  softmax,
  softplus,
  softsign,
  step,
  tanh,
  type Tensor,
} from "./deps.ts";
import { Module } from "./module.ts";
import { type LayerOptions, Linear } from "./linear.ts";

/**
 * Applies the logistic sigmoid element-wise.
 *
 * @example
 * ```ts
 * import { Sigmoid } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Sigmoid().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Sigmoid extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/**
 * Applies the hyperbolic tangent element-wise.
 *
 * @example
 * ```ts
 * import { Tanh } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Tanh().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Tanh extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/**
 * Applies the rectified linear unit element-wise.
 *
 * @example
 * ```ts
 * import { ReLU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new ReLU().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class ReLU extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * Applies ReLU capped at 6 element-wise.
 *
 * @example
 * ```ts
 * import { ReLU6 } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new ReLU6().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class ReLU6 extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

/**
 * Applies SiLU (swish) element-wise.
 *
 * @example
 * ```ts
 * import { SiLU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new SiLU().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class SiLU extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/**
 * Applies Mish element-wise.
 *
 * @example
 * ```ts
 * import { Mish } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Mish().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Mish extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

/**
 * Applies SELU element-wise.
 *
 * @example
 * ```ts
 * import { SELU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new SELU().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class SELU extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

/**
 * Applies softsign element-wise.
 *
 * @example
 * ```ts
 * import { Softsign } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Softsign().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Softsign extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

/**
 * Applies log-sigmoid element-wise.
 *
 * @example
 * ```ts
 * import { LogSigmoid } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new LogSigmoid().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class LogSigmoid extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return logSigmoid(x);
  }
}

/**
 * Applies hard sigmoid element-wise.
 *
 * @example
 * ```ts
 * import { Hardsigmoid } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Hardsigmoid().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Hardsigmoid extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return hardSigmoid(x);
  }
}

/**
 * Applies hard swish element-wise.
 *
 * @example
 * ```ts
 * import { Hardswish } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Hardswish().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Hardswish extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return hardSwish(x);
  }
}

/**
 * Applies the step (Heaviside) activation element-wise.
 *
 * @example
 * ```ts
 * import { Step } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Step().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Step extends Module {
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return step(x);
  }
}

/**
 * Applies `leakyRelu` element-wise with fixed options.
 *
 * @example
 * ```ts
 * import { LeakyReLU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new LeakyReLU().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class LeakyReLU extends Module {
  /** The options. */
  readonly options: { negativeSlope?: number };
  /**
   * Creates the layer.
   *
   * @param options negativeSlope (0.01).
   */
  constructor(options: { negativeSlope?: number } = {}) {
    super();
    this.options = options;
  }
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.options);
  }
}

/**
 * Applies `elu` element-wise with fixed options.
 *
 * @example
 * ```ts
 * import { ELU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new ELU().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class ELU extends Module {
  /** The options. */
  readonly options: { alpha?: number };
  /**
   * Creates the layer.
   *
   * @param options alpha (1).
   */
  constructor(options: { alpha?: number } = {}) {
    super();
    this.options = options;
  }
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return elu(x, this.options);
  }
}

/**
 * Applies `celu` element-wise with fixed options.
 *
 * @example
 * ```ts
 * import { CELU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new CELU().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class CELU extends Module {
  /** The options. */
  readonly options: { alpha?: number };
  /**
   * Creates the layer.
   *
   * @param options alpha (1).
   */
  constructor(options: { alpha?: number } = {}) {
    super();
    this.options = options;
  }
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return celu(x, this.options);
  }
}

/**
 * Applies `gelu` element-wise with fixed options.
 *
 * @example
 * ```ts
 * import { GELU } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new GELU().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class GELU extends Module {
  /** The options. */
  readonly options: { approximate?: "none" | "tanh" };
  /**
   * Creates the layer.
   *
   * @param options approximate ("none").
   */
  constructor(options: { approximate?: "none" | "tanh" } = {}) {
    super();
    this.options = options;
  }
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return gelu(x, this.options);
  }
}

/**
 * Applies `softplus` element-wise with fixed options.
 *
 * @example
 * ```ts
 * import { Softplus } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Softplus().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Softplus extends Module {
  /** The options. */
  readonly options: { beta?: number; threshold?: number };
  /**
   * Creates the layer.
   *
   * @param options beta (1), threshold (20).
   */
  constructor(options: { beta?: number; threshold?: number } = {}) {
    super();
    this.options = options;
  }
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return softplus(x, this.options);
  }
}

/**
 * Applies `hardtanh` element-wise with fixed options.
 *
 * @example
 * ```ts
 * import { Hardtanh } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Hardtanh().call(tensor([0.5, -1])).shape.join() === "2");
 * ```
 */
export class Hardtanh extends Module {
  /** The options. */
  readonly options: { minVal?: number; maxVal?: number };
  /**
   * Creates the layer.
   *
   * @param options minVal (-1), maxVal (1).
   */
  constructor(options: { minVal?: number; maxVal?: number } = {}) {
    super();
    this.options = options;
  }
  /**
   * Applies the activation.
   *
   * @param x The input.
   * @returns The activations.
   */
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.options);
  }
}

/**
 * Softmax along an axis (default -1).
 *
 * @example
 * ```ts
 * import { Softmax } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new Softmax(1).call(tensor([[1, 1]])).dataSync().join() === "0.5,0.5");
 * ```
 */
export class Softmax extends Module {
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
   * Applies softmax.
   *
   * @param x The input.
   * @returns Probabilities.
   */
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

/**
 * Log-softmax along an axis (default -1).
 *
 * @example
 * ```ts
 * import { LogSoftmax } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new LogSoftmax().call(tensor([[0, 0]])).shape.join() === "1,2");
 * ```
 */
export class LogSoftmax extends Module {
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
   * Applies log-softmax.
   *
   * @param x The input.
   * @returns Log-probabilities.
   */
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}

/**
 * Maxout (Goodfellow et al.): a linear map to `outFeatures · pieces` units
 * followed by the maximum over each group of `pieces`.
 *
 * @example
 * ```ts
 * import { Maxout } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new Maxout(4, 3, 2).call(ones([5, 4])).shape.join() === "5,3");
 * ```
 */
export class Maxout extends Module {
  /** The underlying linear map (`lin.weight` is `[out·pieces, in]`). */
  lin: Linear;
  /** Output units. */
  readonly outFeatures: number;
  /** Pieces per unit. */
  readonly pieces: number;
  /**
   * Creates the layer.
   *
   * @param inFeatures Input size.
   * @param outFeatures Output size.
   * @param pieces Linear pieces per unit (k).
   * @param options `bias`, `rng`.
   */
  constructor(inFeatures: number, outFeatures: number, pieces: number, options: LayerOptions = {}) {
    super();
    if (!Number.isInteger(pieces) || pieces < 1) {
      throw new RangeError(
        `Cannot create Maxout with pieces = ${pieces}: expected a positive integer`,
      );
    }
    this.lin = new Linear(inFeatures, outFeatures * pieces, options);
    this.outFeatures = outFeatures;
    this.pieces = pieces;
  }
  /**
   * Applies the layer.
   *
   * @param x `[..., inFeatures]`.
   * @returns `[..., outFeatures]`.
   */
  forward(x: Tensor): Tensor {
    const y = this.lin.call(x);
    return reshape(y, [...y.shape.slice(0, -1), this.outFeatures, this.pieces]).max(-1);
  }
}
