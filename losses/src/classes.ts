/**
 * Class forms of the losses, for code written in the `nn.MSELoss()` style:
 * construct with options, then `call(...)` (or `forward(...)`).
 *
 * @module
 */
import type { Tensor } from "@dendrite/tensor";
import type { LossOptions, Reduction } from "./reduce.ts";
import { ctcLoss, type CtcOptions } from "./ctc.ts";
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  type ClassLossOptions,
  crossEntropy,
  distillationLoss,
  klDiv,
  multiLabelSoftMarginLoss,
  multiMarginLoss,
  nllLoss,
  softMarginLoss,
} from "./classification.ts";
import {
  gaussianNllLoss,
  huberLoss,
  l1Loss,
  mseLoss,
  poissonNllLoss,
  smoothL1Loss,
} from "./regression.ts";
import {
  contrastiveLoss,
  cosineEmbeddingLoss,
  hingeEmbeddingLoss,
  marginRankingLoss,
  tripletMarginLoss,
  tripletMarginWithDistanceLoss,
} from "./embedding.ts";

/**
 * The mean squared error as an object; see `mseLoss`.
 *
 * @example
 * ```ts
 * import { MSELoss } from "@dendrite/losses";
 * console.assert(typeof new MSELoss().call === "function");
 * ```
 */
export class MSELoss {
  /** The options passed to `mseLoss`. */
  readonly options: LossOptions;

  /**
   * Stores the options.
   *
   * @param options See `mseLoss`.
   */
  constructor(options: LossOptions = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `mseLoss`.
   * @param target See `mseLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `mseLoss`.
   * @param target See `mseLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The mean absolute error as an object; see `l1Loss`.
 *
 * @example
 * ```ts
 * import { L1Loss } from "@dendrite/losses";
 * console.assert(typeof new L1Loss().call === "function");
 * ```
 */
export class L1Loss {
  /** The options passed to `l1Loss`. */
  readonly options: LossOptions;

  /**
   * Stores the options.
   *
   * @param options See `l1Loss`.
   */
  constructor(options: LossOptions = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `l1Loss`.
   * @param target See `l1Loss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `l1Loss`.
   * @param target See `l1Loss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The smooth L1 loss as an object; see `smoothL1Loss`.
 *
 * @example
 * ```ts
 * import { SmoothL1Loss } from "@dendrite/losses";
 * console.assert(typeof new SmoothL1Loss().call === "function");
 * ```
 */
export class SmoothL1Loss {
  /** The options passed to `smoothL1Loss`. */
  readonly options: LossOptions & { beta?: number };

  /**
   * Stores the options.
   *
   * @param options See `smoothL1Loss`.
   */
  constructor(options: LossOptions & { beta?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `smoothL1Loss`.
   * @param target See `smoothL1Loss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `smoothL1Loss`.
   * @param target See `smoothL1Loss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The Huber loss as an object; see `huberLoss`.
 *
 * @example
 * ```ts
 * import { HuberLoss } from "@dendrite/losses";
 * console.assert(typeof new HuberLoss().call === "function");
 * ```
 */
export class HuberLoss {
  /** The options passed to `huberLoss`. */
  readonly options: LossOptions & { delta?: number };

  /**
   * Stores the options.
   *
   * @param options See `huberLoss`.
   */
  constructor(options: LossOptions & { delta?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `huberLoss`.
   * @param target See `huberLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `huberLoss`.
   * @param target See `huberLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The Poisson negative log-likelihood as an object; see `poissonNllLoss`.
 *
 * @example
 * ```ts
 * import { PoissonNLLLoss } from "@dendrite/losses";
 * console.assert(typeof new PoissonNLLLoss().call === "function");
 * ```
 */
export class PoissonNLLLoss {
  /** The options passed to `poissonNllLoss`. */
  readonly options: LossOptions & { logInput?: boolean; full?: boolean; eps?: number };

  /**
   * Stores the options.
   *
   * @param options See `poissonNllLoss`.
   */
  constructor(options: LossOptions & { logInput?: boolean; full?: boolean; eps?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `poissonNllLoss`.
   * @param target See `poissonNllLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return poissonNllLoss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `poissonNllLoss`.
   * @param target See `poissonNllLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The Gaussian negative log-likelihood as an object; see `gaussianNllLoss`.
 *
 * @example
 * ```ts
 * import { GaussianNLLLoss } from "@dendrite/losses";
 * console.assert(typeof new GaussianNLLLoss().call === "function");
 * ```
 */
export class GaussianNLLLoss {
  /** The options passed to `gaussianNllLoss`. */
  readonly options: LossOptions & { full?: boolean; eps?: number };

  /**
   * Stores the options.
   *
   * @param options See `gaussianNllLoss`.
   */
  constructor(options: LossOptions & { full?: boolean; eps?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `gaussianNllLoss`.
   * @param target See `gaussianNllLoss`.
   * @param variance See `gaussianNllLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return gaussianNllLoss(input, target, variance, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `gaussianNllLoss`.
   * @param target See `gaussianNllLoss`.
   * @param variance See `gaussianNllLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return this.call(input, target, variance);
  }
}

/**
 * The cross-entropy of logits as an object; see `crossEntropy`.
 *
 * @example
 * ```ts
 * import { CrossEntropyLoss } from "@dendrite/losses";
 * console.assert(typeof new CrossEntropyLoss().call === "function");
 * ```
 */
export class CrossEntropyLoss {
  /** The options passed to `crossEntropy`. */
  readonly options: ClassLossOptions & { labelSmoothing?: number };

  /**
   * Stores the options.
   *
   * @param options See `crossEntropy`.
   */
  constructor(options: ClassLossOptions & { labelSmoothing?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `crossEntropy`.
   * @param target See `crossEntropy`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `crossEntropy`.
   * @param target See `crossEntropy`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The negative log-likelihood as an object; see `nllLoss`.
 *
 * @example
 * ```ts
 * import { NLLLoss } from "@dendrite/losses";
 * console.assert(typeof new NLLLoss().call === "function");
 * ```
 */
export class NLLLoss {
  /** The options passed to `nllLoss`. */
  readonly options: ClassLossOptions;

  /**
   * Stores the options.
   *
   * @param options See `nllLoss`.
   */
  constructor(options: ClassLossOptions = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `nllLoss`.
   * @param target See `nllLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `nllLoss`.
   * @param target See `nllLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The binary cross-entropy as an object; see `binaryCrossEntropy`.
 *
 * @example
 * ```ts
 * import { BCELoss } from "@dendrite/losses";
 * console.assert(typeof new BCELoss().call === "function");
 * ```
 */
export class BCELoss {
  /** The options passed to `binaryCrossEntropy`. */
  readonly options: LossOptions & { weight?: Tensor };

  /**
   * Stores the options.
   *
   * @param options See `binaryCrossEntropy`.
   */
  constructor(options: LossOptions & { weight?: Tensor } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `binaryCrossEntropy`.
   * @param target See `binaryCrossEntropy`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `binaryCrossEntropy`.
   * @param target See `binaryCrossEntropy`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The binary cross-entropy of logits as an object; see `binaryCrossEntropyWithLogits`.
 *
 * @example
 * ```ts
 * import { BCEWithLogitsLoss } from "@dendrite/losses";
 * console.assert(typeof new BCEWithLogitsLoss().call === "function");
 * ```
 */
export class BCEWithLogitsLoss {
  /** The options passed to `binaryCrossEntropyWithLogits`. */
  readonly options: LossOptions & { weight?: Tensor; posWeight?: Tensor };

  /**
   * Stores the options.
   *
   * @param options See `binaryCrossEntropyWithLogits`.
   */
  constructor(options: LossOptions & { weight?: Tensor; posWeight?: Tensor } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `binaryCrossEntropyWithLogits`.
   * @param target See `binaryCrossEntropyWithLogits`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `binaryCrossEntropyWithLogits`.
   * @param target See `binaryCrossEntropyWithLogits`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The Kullback-Leibler divergence as an object; see `klDiv`.
 *
 * @example
 * ```ts
 * import { KLDivLoss } from "@dendrite/losses";
 * console.assert(typeof new KLDivLoss().call === "function");
 * ```
 */
export class KLDivLoss {
  /** The options passed to `klDiv`. */
  readonly options: { reduction?: Reduction | "batchmean"; logTarget?: boolean };

  /**
   * Stores the options.
   *
   * @param options See `klDiv`.
   */
  constructor(options: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `klDiv`.
   * @param target See `klDiv`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `klDiv`.
   * @param target See `klDiv`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The multi-class hinge loss as an object; see `multiMarginLoss`.
 *
 * @example
 * ```ts
 * import { MultiMarginLoss } from "@dendrite/losses";
 * console.assert(typeof new MultiMarginLoss().call === "function");
 * ```
 */
export class MultiMarginLoss {
  /** The options passed to `multiMarginLoss`. */
  readonly options: LossOptions & { p?: 1 | 2; margin?: number; weight?: Tensor };

  /**
   * Stores the options.
   *
   * @param options See `multiMarginLoss`.
   */
  constructor(options: LossOptions & { p?: 1 | 2; margin?: number; weight?: Tensor } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `multiMarginLoss`.
   * @param target See `multiMarginLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return multiMarginLoss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `multiMarginLoss`.
   * @param target See `multiMarginLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The soft margin loss as an object; see `softMarginLoss`.
 *
 * @example
 * ```ts
 * import { SoftMarginLoss } from "@dendrite/losses";
 * console.assert(typeof new SoftMarginLoss().call === "function");
 * ```
 */
export class SoftMarginLoss {
  /** The options passed to `softMarginLoss`. */
  readonly options: LossOptions;

  /**
   * Stores the options.
   *
   * @param options See `softMarginLoss`.
   */
  constructor(options: LossOptions = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `softMarginLoss`.
   * @param target See `softMarginLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return softMarginLoss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `softMarginLoss`.
   * @param target See `softMarginLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The hinge embedding loss as an object; see `hingeEmbeddingLoss`.
 *
 * @example
 * ```ts
 * import { HingeEmbeddingLoss } from "@dendrite/losses";
 * console.assert(typeof new HingeEmbeddingLoss().call === "function");
 * ```
 */
export class HingeEmbeddingLoss {
  /** The options passed to `hingeEmbeddingLoss`. */
  readonly options: LossOptions & { margin?: number };

  /**
   * Stores the options.
   *
   * @param options See `hingeEmbeddingLoss`.
   */
  constructor(options: LossOptions & { margin?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `hingeEmbeddingLoss`.
   * @param target See `hingeEmbeddingLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return hingeEmbeddingLoss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `hingeEmbeddingLoss`.
   * @param target See `hingeEmbeddingLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/**
 * The margin ranking loss as an object; see `marginRankingLoss`.
 *
 * @example
 * ```ts
 * import { MarginRankingLoss } from "@dendrite/losses";
 * console.assert(typeof new MarginRankingLoss().call === "function");
 * ```
 */
export class MarginRankingLoss {
  /** The options passed to `marginRankingLoss`. */
  readonly options: LossOptions & { margin?: number };

  /**
   * Stores the options.
   *
   * @param options See `marginRankingLoss`.
   */
  constructor(options: LossOptions & { margin?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param x1 See `marginRankingLoss`.
   * @param x2 See `marginRankingLoss`.
   * @param target See `marginRankingLoss`.
   * @returns The loss.
   */
  call(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return marginRankingLoss(x1, x2, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param x1 See `marginRankingLoss`.
   * @param x2 See `marginRankingLoss`.
   * @param target See `marginRankingLoss`.
   * @returns The loss.
   */
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return this.call(x1, x2, target);
  }
}

/**
 * The cosine embedding loss as an object; see `cosineEmbeddingLoss`.
 *
 * @example
 * ```ts
 * import { CosineEmbeddingLoss } from "@dendrite/losses";
 * console.assert(typeof new CosineEmbeddingLoss().call === "function");
 * ```
 */
export class CosineEmbeddingLoss {
  /** The options passed to `cosineEmbeddingLoss`. */
  readonly options: LossOptions & { margin?: number };

  /**
   * Stores the options.
   *
   * @param options See `cosineEmbeddingLoss`.
   */
  constructor(options: LossOptions & { margin?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param x1 See `cosineEmbeddingLoss`.
   * @param x2 See `cosineEmbeddingLoss`.
   * @param target See `cosineEmbeddingLoss`.
   * @returns The loss.
   */
  call(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(x1, x2, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param x1 See `cosineEmbeddingLoss`.
   * @param x2 See `cosineEmbeddingLoss`.
   * @param target See `cosineEmbeddingLoss`.
   * @returns The loss.
   */
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return this.call(x1, x2, target);
  }
}

/**
 * The triplet margin loss as an object; see `tripletMarginLoss`.
 *
 * @example
 * ```ts
 * import { TripletMarginLoss } from "@dendrite/losses";
 * console.assert(typeof new TripletMarginLoss().call === "function");
 * ```
 */
export class TripletMarginLoss {
  /** The options passed to `tripletMarginLoss`. */
  readonly options: LossOptions & { margin?: number; p?: number; eps?: number; swap?: boolean };

  /**
   * Stores the options.
   *
   * @param options See `tripletMarginLoss`.
   */
  constructor(
    options: LossOptions & { margin?: number; p?: number; eps?: number; swap?: boolean } = {},
  ) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param anchor See `tripletMarginLoss`.
   * @param positive See `tripletMarginLoss`.
   * @param negative See `tripletMarginLoss`.
   * @returns The loss.
   */
  call(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginLoss(anchor, positive, negative, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param anchor See `tripletMarginLoss`.
   * @param positive See `tripletMarginLoss`.
   * @param negative See `tripletMarginLoss`.
   * @returns The loss.
   */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return this.call(anchor, positive, negative);
  }
}

/**
 * The contrastive loss as an object; see `contrastiveLoss`.
 *
 * @example
 * ```ts
 * import { ContrastiveLoss } from "@dendrite/losses";
 * console.assert(typeof new ContrastiveLoss().call === "function");
 * ```
 */
export class ContrastiveLoss {
  /** The options passed to `contrastiveLoss`. */
  readonly options: LossOptions & { margin?: number };

  /**
   * Stores the options.
   *
   * @param options See `contrastiveLoss`.
   */
  constructor(options: LossOptions & { margin?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param x1 See `contrastiveLoss`.
   * @param x2 See `contrastiveLoss`.
   * @param target See `contrastiveLoss`.
   * @returns The loss.
   */
  call(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return contrastiveLoss(x1, x2, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param x1 See `contrastiveLoss`.
   * @param x2 See `contrastiveLoss`.
   * @param target See `contrastiveLoss`.
   * @returns The loss.
   */
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return this.call(x1, x2, target);
  }
}

/**
 * The distillation loss as an object; see `distillationLoss`.
 *
 * @example
 * ```ts
 * import { DistillationLoss } from "@dendrite/losses";
 * console.assert(typeof new DistillationLoss().call === "function");
 * ```
 */
export class DistillationLoss {
  /** The options passed to `distillationLoss`. */
  readonly options: { temperature?: number; alpha?: number };

  /**
   * Stores the options.
   *
   * @param options See `distillationLoss`.
   */
  constructor(options: { temperature?: number; alpha?: number } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param student See `distillationLoss`.
   * @param teacher See `distillationLoss`.
   * @param target See `distillationLoss`.
   * @returns The loss.
   */
  call(student: Tensor, teacher: Tensor, target: Tensor): Tensor {
    return distillationLoss(student, teacher, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param student See `distillationLoss`.
   * @param teacher See `distillationLoss`.
   * @param target See `distillationLoss`.
   * @returns The loss.
   */
  forward(student: Tensor, teacher: Tensor, target: Tensor): Tensor {
    return this.call(student, teacher, target);
  }
}

/**
 * The multi-label soft margin loss as an object; see `multiLabelSoftMarginLoss`.
 *
 * @example
 * ```ts
 * import { MultiLabelSoftMarginLoss } from "@dendrite/losses";
 * console.assert(typeof new MultiLabelSoftMarginLoss().call === "function");
 * ```
 */
export class MultiLabelSoftMarginLoss {
  /** The options passed to `multiLabelSoftMarginLoss`. */
  readonly options: LossOptions & { weight?: Tensor };

  /**
   * Stores the options.
   *
   * @param options See `multiLabelSoftMarginLoss`.
   */
  constructor(options: LossOptions & { weight?: Tensor } = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param input See `multiLabelSoftMarginLoss`.
   * @param target See `multiLabelSoftMarginLoss`.
   * @returns The loss.
   */
  call(input: Tensor, target: Tensor): Tensor {
    return multiLabelSoftMarginLoss(input, target, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param input See `multiLabelSoftMarginLoss`.
   * @param target See `multiLabelSoftMarginLoss`.
   * @returns The loss.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

/** Options of `tripletMarginWithDistanceLoss`. */
export interface TripletDistanceOptions extends LossOptions {
  /** The distance (default: `pairwiseDistance`). */
  distanceFunction?: (x: Tensor, y: Tensor) => Tensor;
  /** The margin (default 1). */
  margin?: number;
  /** Use `min(d(a, n), d(p, n))` as the negative distance (default false). */
  swap?: boolean;
}

/**
 * The triplet loss with any distance as an object; see `tripletMarginWithDistanceLoss`.
 *
 * @example
 * ```ts
 * import { TripletMarginWithDistanceLoss } from "@dendrite/losses";
 * console.assert(typeof new TripletMarginWithDistanceLoss().call === "function");
 * ```
 */
export class TripletMarginWithDistanceLoss {
  /** The options passed to `tripletMarginWithDistanceLoss`. */
  readonly options: TripletDistanceOptions;

  /**
   * Stores the options.
   *
   * @param options See `tripletMarginWithDistanceLoss`.
   */
  constructor(options: TripletDistanceOptions = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param anchor See `tripletMarginWithDistanceLoss`.
   * @param positive See `tripletMarginWithDistanceLoss`.
   * @param negative See `tripletMarginWithDistanceLoss`.
   * @returns The loss.
   */
  call(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginWithDistanceLoss(anchor, positive, negative, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param anchor See `tripletMarginWithDistanceLoss`.
   * @param positive See `tripletMarginWithDistanceLoss`.
   * @param negative See `tripletMarginWithDistanceLoss`.
   * @returns The loss.
   */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return this.call(anchor, positive, negative);
  }
}

/**
 * The CTC loss as an object; see `ctcLoss`.
 *
 * @example
 * ```ts
 * import { CTCLoss } from "@dendrite/losses";
 * console.assert(typeof new CTCLoss({ blank: 0 }).call === "function");
 * ```
 */
export class CTCLoss {
  /** The options passed to `ctcLoss`. */
  readonly options: CtcOptions;

  /**
   * Stores the options.
   *
   * @param options See `ctcLoss`.
   */
  constructor(options: CtcOptions = {}) {
    this.options = options;
  }

  /**
   * Computes the loss.
   *
   * @param logProbs See `ctcLoss`.
   * @param targets See `ctcLoss`.
   * @param inputLengths See `ctcLoss`.
   * @param targetLengths See `ctcLoss`.
   * @returns The loss.
   */
  call(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths: Tensor | readonly number[],
    targetLengths: Tensor | readonly number[],
  ): Tensor {
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, this.options);
  }

  /**
   * Same as `call`.
   *
   * @param logProbs See `ctcLoss`.
   * @param targets See `ctcLoss`.
   * @param inputLengths See `ctcLoss`.
   * @param targetLengths See `ctcLoss`.
   * @returns The loss.
   */
  forward(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths: Tensor | readonly number[],
    targetLengths: Tensor | readonly number[],
  ): Tensor {
    return this.call(logProbs, targets, inputLengths, targetLengths);
  }
}
