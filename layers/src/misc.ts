/**
 * Pooling, resampling, embedding and dropout layers.
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  dropout,
  dropout2d,
  embedding,
  empty,
  type Generator,
  interpolate,
  type InterpolateOptions,
  maxPool2d,
  pixelShuffle,
  type Tensor,
} from "./deps.ts";
import { normal_, zeros_ } from "./init.ts";
import { Module, Parameter } from "./module.ts";
import { checkSizes } from "./linear.ts";
import type { Pair } from "./deps.ts";

/**
 * 2-D max pooling layer.
 *
 * @example
 * ```ts
 * import { MaxPool2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new MaxPool2d(2).call(ones([1, 3, 28, 28])).shape.join() === "1,3,14,14");
 * ```
 */
export class MaxPool2d extends Module {
  /** Window size. */
  readonly kernelSize: Pair;
  /** Options (stride, padding, dilation, ceilMode). */
  readonly options: { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean };
  /**
   * Creates the layer.
   *
   * @param kernelSize Window size.
   * @param options `stride`, `padding`, `dilation`, `ceilMode`.
   */
  constructor(kernelSize: Pair, options: MaxPool2d["options"] = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = options;
  }
  /**
   * Pools.
   *
   * @param x `[N, C, H, W]`.
   * @returns The pooled maps.
   */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

/**
 * 2-D average pooling layer.
 *
 * @example
 * ```ts
 * import { AvgPool2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new AvgPool2d(2).call(ones([1, 1, 4, 4])).dataSync().join() === "1,1,1,1");
 * ```
 */
export class AvgPool2d extends Module {
  /** Window size. */
  readonly kernelSize: Pair;
  /** Options. */
  readonly options: {
    stride?: Pair;
    padding?: Pair;
    ceilMode?: boolean;
    countIncludePad?: boolean;
    divisorOverride?: number;
  };
  /**
   * Creates the layer.
   *
   * @param kernelSize Window size.
   * @param options `stride`, `padding`, `ceilMode`, `countIncludePad`, `divisorOverride`.
   */
  constructor(kernelSize: Pair, options: AvgPool2d["options"] = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = options;
  }
  /**
   * Pools.
   *
   * @param x `[N, C, H, W]`.
   * @returns The pooled maps.
   */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

/**
 * Adaptive average pooling to a fixed size.
 *
 * @example
 * ```ts
 * import { AdaptiveAvgPool2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new AdaptiveAvgPool2d(1).call(ones([2, 8, 7, 7])).shape.join() === "2,8,1,1");
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /** Output size. */
  readonly outputSize: Pair;
  /**
   * Creates the layer.
   *
   * @param outputSize `[oh, ow]` or one number.
   */
  constructor(outputSize: Pair) {
    super();
    this.outputSize = outputSize;
  }
  /**
   * Pools.
   *
   * @param x `[N, C, H, W]`.
   * @returns `[N, C, oh, ow]`.
   */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

/**
 * Adaptive max pooling to a fixed size.
 *
 * @example
 * ```ts
 * import { AdaptiveMaxPool2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new AdaptiveMaxPool2d([2, 3]).call(ones([1, 1, 7, 7])).shape.join() === "1,1,2,3");
 * ```
 */
export class AdaptiveMaxPool2d extends Module {
  /** Output size. */
  readonly outputSize: Pair;
  /**
   * Creates the layer.
   *
   * @param outputSize `[oh, ow]` or one number.
   */
  constructor(outputSize: Pair) {
    super();
    this.outputSize = outputSize;
  }
  /**
   * Pools.
   *
   * @param x `[N, C, H, W]`.
   * @returns `[N, C, oh, ow]`.
   */
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize).values;
  }
}

/**
 * Resampling layer (`nn.Upsample`).
 *
 * @example
 * ```ts
 * import { Upsample } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const up = new Upsample({ scaleFactor: 2, mode: "bilinear", alignCorners: false });
 * console.assert(up.call(ones([1, 1, 3, 3])).shape.join() === "1,1,6,6");
 * ```
 */
export class Upsample extends Module {
  /** Options of `interpolate`. */
  readonly options: InterpolateOptions;
  /**
   * Creates the layer.
   *
   * @param options `size` or `scaleFactor`, `mode`, `alignCorners`.
   */
  constructor(options: InterpolateOptions) {
    super();
    this.options = options;
  }
  /**
   * Resamples.
   *
   * @param x `[N, C, H, W]` or `[N, C, L]`.
   * @returns The resized tensor.
   */
  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }
}

/**
 * Sub-pixel rearrangement layer.
 *
 * @example
 * ```ts
 * import { PixelShuffle } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new PixelShuffle(2).call(ones([1, 8, 3, 3])).shape.join() === "1,2,6,6");
 * ```
 */
export class PixelShuffle extends Module {
  /** The factor. */
  readonly upscaleFactor: number;
  /**
   * Creates the layer.
   *
   * @param upscaleFactor `r`.
   */
  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = upscaleFactor;
  }
  /**
   * Rearranges.
   *
   * @param x `[N, C·r², H, W]`.
   * @returns `[N, C, H·r, W·r]`.
   */
  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }
}

/**
 * A lookup table of `numEmbeddings` vectors initialised `N(0, 1)`; the
 * `paddingIdx` row starts at zero and receives no gradient.
 *
 * @example
 * ```ts
 * import { Embedding } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const emb = new Embedding(10, 4, { paddingIdx: 0 });
 * console.assert(emb.call(tensor(new Int32Array([0, 3]))).dataSync().slice(0, 4).join() === "0,0,0,0");
 * ```
 */
export class Embedding extends Module {
  /** `[numEmbeddings, embeddingDim]`. */
  weight: Parameter;
  /** Index whose row is padding. */
  readonly paddingIdx: number | undefined;
  /**
   * Creates the table.
   *
   * @param numEmbeddings Vocabulary size.
   * @param embeddingDim Vector size.
   * @param options `paddingIdx`, `rng`.
   */
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    options: { paddingIdx?: number; rng?: Generator } = {},
  ) {
    super();
    checkSizes("Embedding", { numEmbeddings, embeddingDim });
    const w = normal_(empty([numEmbeddings, embeddingDim]), 0, 1, options);
    const p = options.paddingIdx;
    if (p !== undefined) {
      if (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings) {
        throw new RangeError(
          `Cannot create Embedding with paddingIdx ${p}: expected an index in [${-numEmbeddings}, ${
            numEmbeddings - 1
          }]`,
        );
      }
      zeros_(w.slice([p]));
    }
    this.paddingIdx = p;
    this.weight = new Parameter(w);
  }
  /**
   * Looks up vectors.
   *
   * @param indices int32 indices.
   * @returns `[...indices.shape, embeddingDim]`.
   */
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
}

/**
 * Dropout layer: active in training mode, the identity in eval mode.
 *
 * @example
 * ```ts
 * import { Dropout } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const d = new Dropout(0.5);
 * d.eval();
 * console.assert(d.call(ones([4])).dataSync().join() === "1,1,1,1");
 * ```
 */
export class Dropout extends Module {
  /** Drop probability. */
  readonly p: number;
  /** Generator (default: the global one). */
  rng: Generator | undefined;
  /**
   * Creates the layer.
   *
   * @param p Drop probability (default 0.5).
   * @param options `rng`.
   */
  constructor(p = 0.5, options: { rng?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`Cannot create Dropout with p = ${p}: expected a value in [0, 1]`);
    }
    this.p = p;
    this.rng = options.rng;
  }
  /**
   * Applies dropout in training mode.
   *
   * @param x The input.
   * @returns The result.
   */
  forward(x: Tensor): Tensor {
    return dropout(x, { p: this.p, training: this.training, rng: this.rng });
  }
}

/**
 * Channel dropout layer for `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * import { Dropout2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new Dropout2d(0.2).call(ones([2, 4, 3, 3])).shape.join() === "2,4,3,3");
 * ```
 */
export class Dropout2d extends Module {
  /** Drop probability. */
  readonly p: number;
  /** Generator. */
  rng: Generator | undefined;
  /**
   * Creates the layer.
   *
   * @param p Drop probability (default 0.5).
   * @param options `rng`.
   */
  constructor(p = 0.5, options: { rng?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`Cannot create Dropout2d with p = ${p}: expected a value in [0, 1]`);
    }
    this.p = p;
    this.rng = options.rng;
  }
  /**
   * Applies channel dropout in training mode.
   *
   * @param x `[N, C, ...]`.
   * @returns The result.
   */
  forward(x: Tensor): Tensor {
    return dropout2d(x, { p: this.p, training: this.training, rng: this.rng });
  }
}
