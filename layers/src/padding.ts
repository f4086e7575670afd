/**
 * Padding layers, as in PyTorch: `ZeroPad2d`, `ConstantPad1d`/`2d`,
 * `ReflectionPad1d`/`2d` and `ReplicationPad1d`/`2d` (the image-to-image
 * generators of Pix2Pix and CycleGAN pad by reflection).
 *
 * @module
 */
import { pad, type PadMode, type Tensor } from "./deps.ts";
import { checkInput, Module } from "./module.ts";

/**
 * The padding of an `n`-axis pad layer as `pad()` takes it (last axis first,
 * before then after): one number for every side, or `2n` numbers.
 */
function sides(layer: string, padding: number | readonly number[], n: number): number[] {
  const list = typeof padding === "number" ? Array(2 * n).fill(padding) : [...padding];
  if (list.length !== 2 * n || list.some((p) => !Number.isInteger(p))) {
    throw new RangeError(
      `Cannot create ${layer} with padding ${JSON.stringify(padding)}: expected an integer or ${
        2 * n
      } integers (${n === 1 ? "left, right" : "left, right, top, bottom"})`,
    );
  }
  return list;
}

/**
 * Base of the pad layers: pads the last 1 or 2 axes of a batched or
 * unbatched input with `pad()`.
 *
 * @example
 * ```ts
 * import { PadLayer, ReflectionPad2d } from "@dendrite/layers";
 * console.assert(new ReflectionPad2d(1) instanceof PadLayer);
 * ```
 */
export abstract class PadLayer extends Module {
  /** Padding per side, last axis first: `[left, right]` or `[left, right, top, bottom]`. */
  readonly padding: number[];
  /** How the padding is filled. */
  readonly mode: PadMode;
  /** The fill value ("constant" mode). */
  readonly value: number;
  /** Spatial axes padded (1 or 2). */
  readonly spatial: number;

  /**
   * Creates the layer.
   *
   * @param padding One number for every side, or two per axis (last axis first).
   * @param spatial Spatial axes (1 or 2).
   * @param mode How the padding is filled.
   * @param value The fill value.
   */
  constructor(padding: number | readonly number[], spatial: number, mode: PadMode, value = 0) {
    super();
    this.padding = sides(new.target.name, padding, spatial);
    this.spatial = spatial;
    this.mode = mode;
    this.value = value;
  }

  /**
   * Pads.
   *
   * @param x `[N, C, ...]` or `[C, ...]` with `spatial` trailing axes.
   * @returns The padded input.
   */
  forward(x: Tensor): Tensor {
    const n = this.spatial;
    checkInput(
      this.constructor.name,
      x,
      n === 1
        ? "the input must be [N, C, L] or [C, L]"
        : "the input must be [N, C, H, W] or [C, H, W]",
      x.ndim === n + 1 || x.ndim === n + 2,
    );
    return pad(x, this.padding, { mode: this.mode, value: this.value });
  }

  /** The layer's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    return `[${this.padding}]` + (this.mode === "constant" ? `, value=${this.value}` : "");
  }
}

/**
 * Pads the last axis of `[N, C, L]` with a constant.
 *
 * @example
 * ```ts
 * import { ConstantPad1d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const y = new ConstantPad1d([1, 2], 0.5).call(ones([1, 1, 2]));
 * console.assert(y.dataSync().join() === "0.5,1,1,0.5,0.5");
 * ```
 */
export class ConstantPad1d extends PadLayer {
  /**
   * Creates the layer.
   *
   * @param padding Both sides, or `[left, right]`.
   * @param value The fill value.
   */
  constructor(padding: number | readonly number[], value: number) {
    super(padding, 1, "constant", value);
  }
}

/**
 * Pads the last two axes of `[N, C, H, W]` with a constant.
 *
 * @example
 * ```ts
 * import { ConstantPad2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new ConstantPad2d([1, 0, 2, 1], 3).call(ones([1, 1, 2, 2])).shape.join() === "1,1,5,3");
 * ```
 */
export class ConstantPad2d extends PadLayer {
  /**
   * Creates the layer.
   *
   * @param padding Every side, or `[left, right, top, bottom]`.
   * @param value The fill value.
   */
  constructor(padding: number | readonly number[], value: number) {
    super(padding, 2, "constant", value);
  }
}

/**
 * Pads the last two axes of `[N, C, H, W]` with zeros.
 *
 * @example
 * ```ts
 * import { ZeroPad2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new ZeroPad2d(1).call(ones([1, 1, 2, 2])).shape.join() === "1,1,4,4");
 * ```
 */
export class ZeroPad2d extends PadLayer {
  /**
   * Creates the layer.
   *
   * @param padding Every side, or `[left, right, top, bottom]`.
   */
  constructor(padding: number | readonly number[]) {
    super(padding, 2, "constant", 0);
  }
}

/**
 * Pads the last axis of `[N, C, L]` with its reflection (the edge not repeated).
 *
 * @example
 * ```ts
 * import { ReflectionPad1d } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const y = new ReflectionPad1d(2).call(tensor([[[1, 2, 3]]]));
 * console.assert(y.dataSync().join() === "3,2,1,2,3,2,1");
 * ```
 */
export class ReflectionPad1d extends PadLayer {
  /**
   * Creates the layer.
   *
   * @param padding Both sides, or `[left, right]` (each less than the length).
   */
  constructor(padding: number | readonly number[]) {
    super(padding, 1, "reflect");
  }
}

/**
 * Pads the last two axes of `[N, C, H, W]` with their reflection.
 *
 * @example
 * ```ts
 * import { ReflectionPad2d } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const y = new ReflectionPad2d([1, 0, 0, 0]).call(tensor([[[[1, 2], [3, 4]]]]));
 * console.assert(y.dataSync().join() === "2,1,2,4,3,4");
 * ```
 */
export class ReflectionPad2d extends PadLayer {
  /**
   * Creates the layer.
   *
   * @param padding Every side, or `[left, right, top, bottom]` (each less than its axis).
   */
  constructor(padding: number | readonly number[]) {
    super(padding, 2, "reflect");
  }
}

/**
 * Pads the last axis of `[N, C, L]` by repeating its edge values.
 *
 * @example
 * ```ts
 * import { ReplicationPad1d } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const y = new ReplicationPad1d([2, 1]).call(tensor([[[1, 2]]]));
 * console.assert(y.dataSync().join() === "1,1,1,2,2");
 * ```
 */
export class ReplicationPad1d extends PadLayer {
  /**
   * Creates the layer.
   *
   * @param padding Both sides, or `[left, right]`.
   */
  constructor(padding: number | readonly number[]) {
    super(padding, 1, "replicate");
  }
}

/**
 * Pads the last two axes of `[N, C, H, W]` by repeating their edge values.
 *
 * @example
 * ```ts
 * import { ReplicationPad2d } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const y = new ReplicationPad2d([0, 0, 1, 0]).call(tensor([[[[1, 2]]]]));
 * console.assert(y.dataSync().join() === "1,2,1,2");
 * ```
 */
export class ReplicationPad2d extends PadLayer {
  /**
   * Creates the layer.
   *
   * @param padding Every side, or `[left, right, top, bottom]`.
   */
  constructor(padding: number | readonly number[]) {
    super(padding, 2, "replicate");
  }
}
