/**
 * 1-D pooling layers (`MaxPool1d`, `AvgPool1d`, `AdaptiveAvgPool1d`,
 * `AdaptiveMaxPool1d`), `MaxUnpool2d` and `PixelUnshuffle`.
 *
 * @module
 */
import {
  adaptiveAvgPool1d,
  adaptiveMaxPool1d,
  avgPool1d,
  maxPool1d,
  maxUnpool2d,
  type Pair,
  pixelUnshuffle,
  type Tensor,
} from "./deps.ts";
import { Module } from "./module.ts";

/**
 * 1-D max pooling layer over `[N, C, L]`.
 *
 * @example
 * ```ts
 * import { MaxPool1d } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new MaxPool1d(2).call(tensor([[[1, 3, 2, 5]]])).dataSync().join() === "3,5");
 * ```
 */
export class MaxPool1d extends Module {
  /** Window size. */
  readonly kernelSize: number;
  /** Options. */
  readonly options: { stride?: number; padding?: number; dilation?: number; ceilMode?: boolean };
  /**
   * Creates the layer.
   *
   * @param kernelSize Window size.
   * @param options `stride` (the window), `padding`, `dilation`, `ceilMode`.
   */
  constructor(kernelSize: number, options: MaxPool1d["options"] = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = options;
  }
  /**
   * Pools.
   *
   * @param x `[N, C, L]`.
   * @returns The pooled sequences.
   */
  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this.options);
  }
}

/**
 * 1-D average pooling layer over `[N, C, L]`.
 *
 * @example
 * ```ts
 * import { AvgPool1d } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new AvgPool1d(2).call(tensor([[[1, 3, 2, 6]]])).dataSync().join() === "2,4");
 * ```
 */
export class AvgPool1d extends Module {
  /** Window size. */
  readonly kernelSize: number;
  /** Options. */
  readonly options: {
    stride?: number;
    padding?: number;
    ceilMode?: boolean;
    countIncludePad?: boolean;
  };
  /**
   * Creates the layer.
   *
   * @param kernelSize Window size.
   * @param options `stride` (the window), `padding`, `ceilMode`, `countIncludePad`.
   */
  constructor(kernelSize: number, options: AvgPool1d["options"] = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = options;
  }
  /**
   * Pools.
   *
   * @param x `[N, C, L]`.
   * @returns The pooled sequences.
   */
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, this.options);
  }
}

/**
 * Adaptive average pooling of `[N, C, L]` to a fixed length.
 *
 * @example
 * ```ts
 * import { AdaptiveAvgPool1d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new AdaptiveAvgPool1d(3).call(ones([2, 4, 10])).shape.join() === "2,4,3");
 * ```
 */
export class AdaptiveAvgPool1d extends Module {
  /** Output length. */
  readonly outputSize: number;
  /**
   * Creates the layer.
   *
   * @param outputSize Output length.
   */
  constructor(outputSize: number) {
    super();
    this.outputSize = outputSize;
  }
  /**
   * Pools.
   *
   * @param x `[N, C, L]`.
   * @returns `[N, C, outputSize]`.
   */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
}

/**
 * Adaptive max pooling of `[N, C, L]` to a fixed length (values only; the
 * functional `adaptiveMaxPool1d` also gives the indices).
 *
 * @example
 * ```ts
 * import { AdaptiveMaxPool1d } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(new AdaptiveMaxPool1d(1).call(tensor([[[1, 4, 2]]])).dataSync()[0] === 4);
 * ```
 */
export class AdaptiveMaxPool1d extends Module {
  /** Output length. */
  readonly outputSize: number;
  /**
   * Creates the layer.
   *
   * @param outputSize Output length.
   */
  constructor(outputSize: number) {
    super();
    this.outputSize = outputSize;
  }
  /**
   * Pools.
   *
   * @param x `[N, C, L]`.
   * @returns `[N, C, outputSize]`.
   */
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool1d(x, this.outputSize).values;
  }
}

/**
 * Unpooling with a max pooling's indices (`maxUnpool2d`), as in SegNet.
 *
 * @example
 * ```ts
 * import { MaxUnpool2d } from "@dendrite/layers";
 * import { maxPool2dWithIndices, tensor } from "@dendrite/tensor";
 * const { values, indices } = maxPool2dWithIndices(tensor([[[[1, 5], [3, 2]]]]), 2);
 * console.assert(new MaxUnpool2d(2).call(values, indices).dataSync().join() === "0,5,0,0");
 * ```
 */
export class MaxUnpool2d extends Module {
  /** The pooling's window. */
  readonly kernelSize: Pair;
  /** The pooling's stride and padding. */
  readonly options: { stride?: Pair; padding?: Pair };
  /**
   * Creates the layer.
   *
   * @param kernelSize The pooling's window.
   * @param options `stride` (the window), `padding`.
   */
  constructor(kernelSize: Pair, options: MaxUnpool2d["options"] = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = options;
  }
  /**
   * Unpools.
   *
   * @param x Pooled values `[N, C, h, w]`.
   * @param indices The pooling's indices.
   * @param outputSize `[H, W]` (default from the window, stride and padding).
   * @returns `[N, C, H, W]`.
   */
  override forward(x: Tensor, indices: Tensor, outputSize?: readonly [number, number]): Tensor {
    return maxUnpool2d(x, indices, this.kernelSize, { ...this.options, outputSize });
  }
}

/**
 * Moves `r × r` blocks of each channel into channels: `[N, C, H·r, W·r]` to
 * `[N, C·r², H, W]` (the inverse of `PixelShuffle`).
 *
 * @example
 * ```ts
 * import { PixelUnshuffle } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new PixelUnshuffle(2).call(ones([1, 1, 4, 4])).shape.join() === "1,4,2,2");
 * ```
 */
export class PixelUnshuffle extends Module {
  /** The downscale factor. */
  readonly downscaleFactor: number;
  /**
   * Creates the layer.
   *
   * @param downscaleFactor r.
   */
  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = downscaleFactor;
  }
  /**
   * Rearranges.
   *
   * @param x `[N, C, H·r, W·r]`.
   * @returns `[N, C·r², H, W]`.
   */
  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }
}
