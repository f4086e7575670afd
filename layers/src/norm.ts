/**
 * Normalisation layers with PyTorch's statistics, parameter names and
 * buffers (`running_mean`, `running_var`, `num_batches_tracked`, named as
 * PyTorch names them so state dicts carry over): `BatchNorm1d`,
 * `BatchNorm2d`, `LayerNorm`, `GroupNorm`, `InstanceNorm2d`,
 * `LocalResponseNorm`, `SwitchableNorm2d`, `RMSNorm`.
 *
 * @module
 */
import {
  avgPool2d,
  batchNorm,
  copy_,
  fmtShape,
  noGradScope,
  ones,
  pad,
  reshape,
  ShapeError,
  softmax,
  type Tensor,
  zeros,
} from "./deps.ts";
import { Buffer, checkInput, Module, Parameter } from "./module.ts";
import { checkSizes } from "./linear.ts";

/** Options of the batch-norm layers. */
export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Running-average factor; `null` for a cumulative average (default 0.1). */
  momentum?: number | null;
  /** Learn a scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
}

function normalize(x: Tensor, mean: Tensor, variance: Tensor, eps: number): Tensor {
  return x.sub(mean).div(variance.add(eps).sqrt());
}

/**
 * Shared implementation of `BatchNorm1d` and `BatchNorm2d`.
 *
 * @example
 * ```ts
 * import { BatchNorm2d, BatchNormBase } from "@dendrite/layers";
 * console.assert(new BatchNorm2d(2) instanceof BatchNormBase);
 * ```
 */
export abstract class BatchNormBase extends Module {
  /** Scale `[C]` (γ), or null without `affine`. */
  weight: Parameter | null;
  /** Shift `[C]` (β), or null without `affine`. */
  bias: Parameter | null;
  /** Running mean `[C]`, or null without `trackRunningStats`. */
  running_mean: Buffer | null;
  /** Running (unbiased) variance `[C]`. */
  running_var: Buffer | null;
  /** Batches seen in training mode (int32; PyTorch stores int64). */
  num_batches_tracked: Buffer | null;
  /** Number of channels. */
  readonly numFeatures: number;
  /** Variance epsilon. */
  readonly eps: number;
  /** Running-average factor. */
  readonly momentum: number | null;

  /**
   * Creates the parameters and buffers.
   *
   * @param numFeatures Channels.
   * @param options Options.
   * @param name The layer name for errors.
   */
  constructor(numFeatures: number, options: BatchNormOptions, name: string) {
    super();
    checkSizes(name, { numFeatures });
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures])) : null;
    const track = options.trackRunningStats ?? true;
    this.running_mean = track ? new Buffer(zeros([numFeatures])) : null;
    this.running_var = track ? new Buffer(ones([numFeatures])) : null;
    this.num_batches_tracked = track ? new Buffer(zeros([], { dtype: "int32" })) : null;
  }

  /**
   * Axes reduced for an input of this rank, and the shape of per-channel tensors.
   *
   * @param x The input.
   * @returns Axes and shape.
   */
  protected abstract geometry(x: Tensor): { axes: number[]; shape: number[] };

  /**
   * Normalises with batch statistics in training mode (updating the running
   * ones) and with the running statistics in eval mode.
   *
   * @param x The input.
   * @returns The normalised input.
   */
  forward(x: Tensor): Tensor {
    const { axes } = this.geometry(x);
    const useBatch = this.training || !this.running_mean;
    if (this.training) {
      const n = axes.reduce((p, a) => p * x.shape[a], 1);
      if (n <= 1) {
        throw new ShapeError(
          `Cannot apply ${this.constructor.name}(${this.numFeatures}) in training mode to input ${
            fmtShape(x.shape)
          }: expected more than 1 value per channel`,
        );
      }
    }
    let momentum: number | Tensor = this.momentum ?? 0;
    if (this.training && this.num_batches_tracked) {
      const nb = this.num_batches_tracked;
      noGradScope(() => copy_(nb, nb.add(1)));
      // A cumulative average: 1 / batches seen, computed on the device (no read-back).
      if (this.momentum === null) momentum = noGradScope(() => nb.cast("float32").rdiv(1));
    }
    return batchNorm(
      x,
      this.training ? this.running_mean : this.running_mean,
      this.running_var,
      this.weight,
      this.bias,
      { training: useBatch, momentum: this.training ? momentum : 0, eps: this.eps },
    );
  }

  /** The layer's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${
      this.weight !== null
    }, trackRunningStats=${this.running_mean !== null}`;
  }
}

/**
 * Batch normalisation over `[N, C]` or `[N, C, L]` (statistics per channel).
 *
 * @example
 * ```ts
 * import { BatchNorm1d } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const bn = new BatchNorm1d(2);
 * const y = bn.call(tensor([[1, 10], [3, 30]]));
 * console.assert(Math.abs(y.dataSync()[0] + 1) < 1e-3);
 * ```
 */
export class BatchNorm1d extends BatchNormBase {
  /**
   * Creates the layer.
   *
   * @param numFeatures Channels `C`.
   * @param options `eps`, `momentum`, `affine`, `trackRunningStats`.
   */
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, "BatchNorm1d");
  }
  /**
   * Reduced axes and the per-channel shape for this input.
   *
   * @param x The input.
   * @returns Axes and shape.
   */
  protected geometry(x: Tensor): { axes: number[]; shape: number[] } {
    checkInput(
      `BatchNorm1d(${this.numFeatures})`,
      x,
      `the input must be [N, ${this.numFeatures}] or [N, ${this.numFeatures}, L]`,
      (x.ndim === 2 || x.ndim === 3) && x.shape[1] === this.numFeatures,
    );
    return x.ndim === 2
      ? { axes: [0], shape: [1, this.numFeatures] }
      : { axes: [0, 2], shape: [1, this.numFeatures, 1] };
  }
}

/**
 * Batch normalisation over `[N, C, H, W]` (statistics per channel).
 *
 * @example
 * ```ts
 * import { BatchNorm2d } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const bn = new BatchNorm2d(3);
 * const y = bn.call(randn([4, 3, 5, 5]));
 * console.assert(Math.abs(y.mean().itemSync() as number) < 1e-5);
 * console.assert(bn.namedBuffers().map(([n]) => n).join() === "running_mean,running_var,num_batches_tracked");
 * ```
 */
export class BatchNorm2d extends BatchNormBase {
  /**
   * Creates the layer.
   *
   * @param numFeatures Channels `C`.
   * @param options `eps`, `momentum`, `affine`, `trackRunningStats`.
   */
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, "BatchNorm2d");
  }
  /**
   * Reduced axes and the per-channel shape for this input.
   *
   * @param x The input.
   * @returns Axes and shape.
   */
  protected geometry(x: Tensor): { axes: number[]; shape: number[] } {
    checkInput(
      `BatchNorm2d(${this.numFeatures})`,
      x,
      `the input must be [N, ${this.numFeatures}, H, W]`,
      x.ndim === 4 && x.shape[1] === this.numFeatures,
    );
    return { axes: [0, 2, 3], shape: [1, this.numFeatures, 1, 1] };
  }
}

/**
 * Layer normalisation over the trailing `normalizedShape` axes.
 *
 * @example
 * ```ts
 * import { LayerNorm } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const y = new LayerNorm([2]).call(tensor([[1, 3]]));
 * console.assert(Math.abs(y.dataSync()[1] - 1) < 1e-3);
 * ```
 */
export class LayerNorm extends Module {
  /** Scale, shaped like `normalizedShape`, or null. */
  weight: Parameter | null;
  /** Shift, or null. */
  bias: Parameter | null;
  /** The normalised trailing shape. */
  readonly normalizedShape: number[];
  /** Variance epsilon. */
  readonly eps: number;

  /**
   * Creates the layer.
   *
   * @param normalizedShape Trailing shape (a number for one axis).
   * @param options `eps` (1e-5), `elementwiseAffine` (true), `bias` (true).
   */
  constructor(
    normalizedShape: number | readonly number[],
    options: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === "number"
      ? [normalizedShape]
      : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? new Parameter(ones(this.normalizedShape)) : null;
    this.bias = affine && options.bias !== false
      ? new Parameter(zeros(this.normalizedShape))
      : null;
  }

  /**
   * Normalises each sample over the trailing axes.
   *
   * @param x `[..., ...normalizedShape]`.
   * @returns The normalised input.
   */
  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    checkInput(
      `LayerNorm(${fmtShape(this.normalizedShape)})`,
      x,
      `the trailing axes must be ${fmtShape(this.normalizedShape)}`,
      x.ndim >= k && x.shape.slice(-k).join() === this.normalizedShape.join(),
    );
    const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    let y = normalize(
      x,
      x.mean(axes, { keepDim: true }),
      x.variance(axes, { keepDim: true, unbiased: false }),
      this.eps,
    );
    if (this.weight) y = y.mul(this.weight);
    if (this.bias) y = y.add(this.bias);
    return y;
  }
}

/**
 * Group normalisation: channels split into groups, statistics per sample and group.
 *
 * @example
 * ```ts
 * import { GroupNorm } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * console.assert(new GroupNorm(2, 4).call(randn([3, 4, 5, 5])).shape.join() === "3,4,5,5");
 * ```
 */
export class GroupNorm extends Module {
  /** Scale `[C]`, or null. */
  weight: Parameter | null;
  /** Shift `[C]`, or null. */
  bias: Parameter | null;
  /** Number of groups. */
  readonly numGroups: number;
  /** Number of channels. */
  readonly numChannels: number;
  /** Variance epsilon. */
  readonly eps: number;

  /**
   * Creates the layer.
   *
   * @param numGroups Groups (must divide `numChannels`).
   * @param numChannels Channels.
   * @param options `eps` (1e-5), `affine` (true).
   */
  constructor(
    numGroups: number,
    numChannels: number,
    options: { eps?: number; affine?: boolean } = {},
  ) {
    super();
    checkSizes("GroupNorm", { numGroups, numChannels });
    if (numChannels % numGroups !== 0) {
      throw new RangeError(
        `Cannot create GroupNorm with numGroups = ${numGroups}: it must divide numChannels = ${numChannels}`,
      );
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(ones([numChannels])) : null;
    this.bias = affine ? new Parameter(zeros([numChannels])) : null;
  }

  /**
   * Normalises.
   *
   * @param x `[N, C, ...]`.
   * @returns The normalised input.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      `GroupNorm(${this.numGroups}, ${this.numChannels})`,
      x,
      `the input must be [N, ${this.numChannels}, ...]`,
      x.ndim >= 2 && x.shape[1] === this.numChannels,
    );
    const n = x.shape[0];
    const g = reshape(x, [n, this.numGroups, -1]);
    let y = reshape(
      normalize(
        g,
        g.mean(2, { keepDim: true }),
        g.variance(2, { keepDim: true, unbiased: false }),
        this.eps,
      ),
      x.shape,
    );
    const shape = [1, this.numChannels, ...Array(x.ndim - 2).fill(1)];
    if (this.weight) y = y.mul(reshape(this.weight, shape));
    if (this.bias) y = y.add(reshape(this.bias, shape));
    return y;
  }
}

/**
 * Instance normalisation over `[N, C, H, W]`: statistics per sample and
 * channel (no affine and no running statistics by default, as PyTorch).
 *
 * @example
 * ```ts
 * import { InstanceNorm2d } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const y = new InstanceNorm2d(3).call(randn([2, 3, 4, 4]));
 * console.assert(Math.abs(y.mean([2, 3]).dataSync()[0]) < 1e-5);
 * ```
 */
export class InstanceNorm2d extends Module {
  /** Scale `[C]`, or null. */
  weight: Parameter | null;
  /** Shift `[C]`, or null. */
  bias: Parameter | null;
  /** Running mean, or null. */
  running_mean: Buffer | null;
  /** Running variance, or null. */
  running_var: Buffer | null;
  /** Batches seen, or null. */
  num_batches_tracked: Buffer | null;
  /** Channels. */
  readonly numFeatures: number;
  /** Variance epsilon. */
  readonly eps: number;
  /** Running-average factor. */
  readonly momentum: number;

  /**
   * Creates the layer.
   *
   * @param numFeatures Channels.
   * @param options `eps` (1e-5), `momentum` (0.1), `affine` (false), `trackRunningStats` (false).
   */
  constructor(
    numFeatures: number,
    options: { eps?: number; momentum?: number; affine?: boolean; trackRunningStats?: boolean } =
      {},
  ) {
    super();
    checkSizes("InstanceNorm2d", { numFeatures });
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.weight = options.affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = options.affine ? new Parameter(zeros([numFeatures])) : null;
    const track = options.trackRunningStats ?? false;
    this.running_mean = track ? new Buffer(zeros([numFeatures])) : null;
    this.running_var = track ? new Buffer(ones([numFeatures])) : null;
    this.num_batches_tracked = track ? new Buffer(zeros([], { dtype: "int32" })) : null;
  }

  /**
   * Normalises each sample and channel.
   *
   * @param x `[N, C, H, W]`.
   * @returns The normalised input.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      `InstanceNorm2d(${this.numFeatures})`,
      x,
      `the input must be [N, ${this.numFeatures}, H, W]`,
      x.ndim === 4 && x.shape[1] === this.numFeatures,
    );
    const shape = [1, this.numFeatures, 1, 1];
    let y: Tensor;
    if (this.training || !this.running_mean) {
      const mean = x.mean([2, 3], { keepDim: true });
      const variance = x.variance([2, 3], { keepDim: true, unbiased: false });
      y = normalize(x, mean, variance, this.eps);
      if (this.training && this.running_mean && this.running_var && this.num_batches_tracked) {
        const m = this.momentum, n = x.shape[2] * x.shape[3];
        const rm = this.running_mean, rv = this.running_var, nb = this.num_batches_tracked;
        // PyTorch's instance norm keeps num_batches_tracked at 0.
        void nb;
        noGradScope(() => {
          copy_(rm, rm.mul(1 - m).add(mean.mean([0, 2, 3]).mul(m)));
          copy_(rv, rv.mul(1 - m).add(variance.mean([0, 2, 3]).mul(m * n / (n - 1))));
        });
      }
    } else {
      y = normalize(
        x,
        reshape(this.running_mean, shape),
        reshape(this.running_var!, shape),
        this.eps,
      );
    }
    if (this.weight) y = y.mul(reshape(this.weight, shape));
    if (this.bias) y = y.add(reshape(this.bias, shape));
    return y;
  }
}

/**
 * Local response normalisation across channels (AlexNet):
 * `x / (k + α/n · Σ_{nearby c} x²)^β`.
 *
 * @example
 * ```ts
 * import { LocalResponseNorm } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new LocalResponseNorm(5).call(ones([1, 8, 3, 3])).shape.join() === "1,8,3,3");
 * ```
 */
export class LocalResponseNorm extends Module {
  /** Channels in each window. */
  readonly size: number;
  /** Scale α. */
  readonly alpha: number;
  /** Exponent β. */
  readonly beta: number;
  /** Additive constant k. */
  readonly k: number;

  /**
   * Creates the layer.
   *
   * @param size Channels per window.
   * @param options `alpha` (1e-4), `beta` (0.75), `k` (1).
   */
  constructor(size: number, options: { alpha?: number; beta?: number; k?: number } = {}) {
    super();
    checkSizes("LocalResponseNorm", { size });
    this.size = size;
    this.alpha = options.alpha ?? 1e-4;
    this.beta = options.beta ?? 0.75;
    this.k = options.k ?? 1;
  }

  /**
   * Normalises.
   *
   * @param x `[N, C, ...]` (at least 3 axes).
   * @returns The normalised input.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      `LocalResponseNorm(${this.size})`,
      x,
      "the input must have at least 3 axes",
      x.ndim >= 3,
    );
    const [n, c] = x.shape;
    const sq = reshape(x.square(), [n, 1, c, -1]);
    const padded = pad(sq, [0, 0, Math.floor(this.size / 2), Math.floor((this.size - 1) / 2)]);
    const avg = reshape(avgPool2d(padded, [this.size, 1], { stride: 1 }), x.shape);
    return x.div(avg.mul(this.alpha).add(this.k).pow(this.beta));
  }
}

/**
 * Switchable normalisation (Luo et al.): a learned softmax mix of instance,
 * layer and batch statistics, with running batch statistics for eval mode.
 *
 * @example
 * ```ts
 * import { SwitchableNorm2d } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const sn = new SwitchableNorm2d(4);
 * console.assert(sn.call(randn([2, 4, 3, 3])).shape.join() === "2,4,3,3");
 * console.assert(sn.namedParameters().map(([n]) => n).join() === "weight,bias,mean_weight,var_weight");
 * ```
 */
export class SwitchableNorm2d extends Module {
  /** Scale `[C]`. */
  weight: Parameter;
  /** Shift `[C]`. */
  bias: Parameter;
  /** Mixing logits of the means (IN, LN, BN). */
  mean_weight: Parameter;
  /** Mixing logits of the variances (IN, LN, BN). */
  var_weight: Parameter;
  /** Running batch mean. */
  running_mean: Buffer;
  /** Running batch variance. */
  running_var: Buffer;
  /** Channels. */
  readonly numFeatures: number;
  /** Variance epsilon. */
  readonly eps: number;
  /** Running-average factor. */
  readonly momentum: number;

  /**
   * Creates the layer.
   *
   * @param numFeatures Channels.
   * @param options `eps` (1e-5), `momentum` (0.1).
   */
  constructor(numFeatures: number, options: { eps?: number; momentum?: number } = {}) {
    super();
    checkSizes("SwitchableNorm2d", { numFeatures });
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.weight = new Parameter(ones([numFeatures]));
    this.bias = new Parameter(zeros([numFeatures]));
    this.mean_weight = new Parameter(ones([3]));
    this.var_weight = new Parameter(ones([3]));
    this.running_mean = new Buffer(zeros([numFeatures]));
    this.running_var = new Buffer(ones([numFeatures]));
  }

  /**
   * Normalises with the mixed statistics.
   *
   * @param x `[N, C, H, W]`.
   * @returns The normalised input.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      `SwitchableNorm2d(${this.numFeatures})`,
      x,
      `the input must be [N, ${this.numFeatures}, H, W]`,
      x.ndim === 4 && x.shape[1] === this.numFeatures,
    );
    const c = this.numFeatures;
    const meanIn = x.mean([2, 3], { keepDim: true });
    const varIn = x.variance([2, 3], { keepDim: true, unbiased: false });
    const second = varIn.add(meanIn.square());
    const meanLn = meanIn.mean(1, { keepDim: true });
    const varLn = second.mean(1, { keepDim: true }).sub(meanLn.square());
    let meanBn: Tensor, varBn: Tensor;
    if (this.training) {
      meanBn = meanIn.mean(0, { keepDim: true });
      varBn = second.mean(0, { keepDim: true }).sub(meanBn.square());
      const m = this.momentum;
      noGradScope(() => {
        copy_(this.running_mean, this.running_mean.mul(1 - m).add(reshape(meanBn, [c]).mul(m)));
        copy_(this.running_var, this.running_var.mul(1 - m).add(reshape(varBn, [c]).mul(m)));
      });
    } else {
      meanBn = reshape(this.running_mean, [1, c, 1, 1]);
      varBn = reshape(this.running_var, [1, c, 1, 1]);
    }
    const mw = softmax(this.mean_weight, 0), vw = softmax(this.var_weight, 0);
    const pick = (w: Tensor, i: number) => reshape(w.slice([i]), []);
    const mean = meanIn.mul(pick(mw, 0)).add(meanLn.mul(pick(mw, 1))).add(meanBn.mul(pick(mw, 2)));
    const variance = varIn.mul(pick(vw, 0)).add(varLn.mul(pick(vw, 1))).add(varBn.mul(pick(vw, 2)));
    const y = normalize(x, mean, variance, this.eps);
    return y.mul(reshape(this.weight, [1, c, 1, 1])).add(reshape(this.bias, [1, c, 1, 1]));
  }
}

/**
 * RMS normalisation: `x · rsqrt(mean(x²) + eps) · weight` over the trailing axes.
 *
 * @example
 * ```ts
 * import { RMSNorm } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const y = new RMSNorm(2, { eps: 0 }).call(tensor([[3, 4]]));
 * console.assert(Math.abs(y.dataSync()[1] - 4 / Math.sqrt(12.5)) < 1e-6);
 * ```
 */
export class RMSNorm extends Module {
  /** Scale, shaped like `normalizedShape`, or null. */
  weight: Parameter | null;
  /** The normalised trailing shape. */
  readonly normalizedShape: number[];
  /** Added to the mean square (default 1e-6). */
  readonly eps: number;

  /**
   * Creates the layer.
   *
   * @param normalizedShape Trailing shape.
   * @param options `eps` (1e-6), `elementwiseAffine` (true).
   */
  constructor(
    normalizedShape: number | readonly number[],
    options: { eps?: number; elementwiseAffine?: boolean } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === "number"
      ? [normalizedShape]
      : [...normalizedShape];
    this.eps = options.eps ?? 1e-6;
    this.weight = options.elementwiseAffine === false
      ? null
      : new Parameter(ones(this.normalizedShape));
  }

  /**
   * Normalises.
   *
   * @param x `[..., ...normalizedShape]`.
   * @returns The normalised input.
   */
  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    checkInput(
      `RMSNorm(${fmtShape(this.normalizedShape)})`,
      x,
      `the trailing axes must be ${fmtShape(this.normalizedShape)}`,
      x.ndim >= k && x.shape.slice(-k).join() === this.normalizedShape.join(),
    );
    const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    const y = x.mul(x.square().mean(axes, { keepDim: true }).add(this.eps).rsqrt());
    return this.weight ? y.mul(this.weight) : y;
  }
}
