/**
 * Convolution layers: `Conv1d`, `Conv2d`, `ConvTranspose2d`, and
 * `weightStandardization` as a reparametrisation of a convolution's weight.
 *
 * @module
 */
import {
  checkActivation,
  conv1d,
  conv2d,
  convTranspose2d,
  empty,
  type FusedActivation,
  type Generator,
  pad,
  type Tensor,
} from "./deps.ts";
import { uniform_ } from "./init.ts";
import { checkInput, Module, Parameter } from "./module.ts";
import { checkSizes } from "./linear.ts";
import type { Pair } from "./deps.ts";

const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);

/** How a convolution layer fills its padding (PyTorch's `padding_mode`). */
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

/** Options of the convolution layers. */
export interface ConvOptions {
  /** Stride (default 1). */
  stride?: Pair;
  /** Padding: a number, a pair, "same" or "valid" (default 0). */
  padding?: Pair | "same" | "valid";
  /**
   * What the padding holds (default "zeros"); "reflect", "replicate" and
   * "circular" pad the input with `pad()` first, as PyTorch does.
   */
  paddingMode?: PaddingMode;
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Groups (default 1). */
  groups?: number;
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights. */
  rng?: Generator;
}

/** Options of `Conv2d`: those of every convolution layer plus a fused activation. */
export interface Conv2dLayerOptions extends ConvOptions {
  /**
   * An activation the convolution kernel applies with the bias as it writes
   * its output (`"relu"`, `"sigmoid"`, `"tanh"`; none by default): one kernel
   * instead of a `Conv2d` and a `ReLU`.
   */
  activation?: FusedActivation;
}

function initConv(w: Tensor, fanIn: number, rng?: Generator): Tensor {
  // kaiming_uniform_(a=√5) reduces to U(±1/√fanIn), PyTorch's default.
  const bound = 1 / Math.sqrt(fanIn);
  return uniform_(w, -bound, bound, { rng });
}

const PADDING_MODES = ["zeros", "reflect", "replicate", "circular"];

function checkPaddingMode(layer: string, mode: string | undefined): void {
  if (mode !== undefined && !PADDING_MODES.includes(mode)) {
    throw new RangeError(
      `Cannot create ${layer} with paddingMode "${mode}": expected "zeros", "reflect", "replicate" or "circular"`,
    );
  }
}

/**
 * `x` padded for a convolution whose padding mode is not "zeros", as
 * PyTorch does it: `padding` on both sides of each spatial axis, or for
 * "same" half of `dilation·(k − 1)` before (rounded down) and the rest after.
 * Returns `x` itself for "zeros" (the convolution pads).
 */
function padInput(
  x: Tensor,
  mode: PaddingMode | undefined,
  padding: Pair | "same" | "valid" | undefined,
  kernel: number[],
  dilation: number[],
): Tensor {
  if (!mode || mode === "zeros" || padding === undefined || padding === "valid") return x;
  const n = kernel.length;
  const per = padding === "same"
    ? kernel.map((k, i) => {
      const total = dilation[i] * (k - 1), before = Math.floor(total / 2);
      return [before, total - before];
    })
    : (typeof padding === "number" ? Array(n).fill(padding) : [...padding]).map((p) => [p, p]);
  // pad() takes the last axis first.
  return pad(x, per.reverse().flat(), { mode });
}

function checkGroups(layer: string, cin: number, cout: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0 || cout % groups !== 0) {
    throw new RangeError(
      `Cannot create ${layer} with groups = ${groups}: inChannels ${cin} and outChannels ${cout} must be divisible by it`,
    );
  }
}

/**
 * 2-D convolution layer: weight `[out, in/groups, kh, kw]`, PyTorch's default
 * initialisation, optional `weightTransform` (see `weightStandardization`).
 *
 * @example
 * ```ts
 * import { Conv2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const conv = new Conv2d(1, 32, 3, { padding: 1 });
 * console.assert(conv.call(ones([8, 1, 28, 28])).shape.join() === "8,32,28,28");
 * ```
 */
export class Conv2d extends Module {
  /** `[out, in/groups, kh, kw]`. */
  weight: Parameter;
  /** `[out]`, or null. */
  bias: Parameter | null;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Kernel size. */
  readonly kernelSize: [number, number];
  /** Convolution options. */
  readonly options: Conv2dLayerOptions;
  /** Applied to the weight before each convolution (reparametrisations). */
  weightTransform: ((w: Tensor) => Tensor) | null = null;

  /**
   * Creates the layer.
   *
   * @param inChannels Input channels.
   * @param outChannels Output channels.
   * @param kernelSize Kernel size.
   * @param options `stride`, `padding`, `dilation`, `groups`, `bias`, `rng`, `activation`.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    const [kh, kw] = pair(kernelSize);
    checkSizes("Conv2d", { inChannels, outChannels, kernelHeight: kh, kernelWidth: kw });
    checkActivation("Conv2d", options.activation);
    checkPaddingMode("Conv2d", options.paddingMode);
    const g = options.groups ?? 1;
    checkGroups("Conv2d", inChannels, outChannels, g);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = [kh, kw];
    this.options = options;
    const fanIn = (inChannels / g) * kh * kw;
    this.weight = new Parameter(
      initConv(empty([outChannels, inChannels / g, kh, kw]), fanIn, options.rng),
    );
    this.bias = options.bias === false
      ? null
      : new Parameter(initConv(empty([outChannels]), fanIn, options.rng));
  }

  /**
   * Convolves.
   *
   * @param x `[N, inChannels, H, W]`.
   * @returns `[N, outChannels, H', W']`.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      `Conv2d(${this.inChannels}, ${this.outChannels})`,
      x,
      `the input must be [N, ${this.inChannels}, H, W]`,
      x.ndim === 4 && x.shape[1] === this.inChannels,
    );
    const w = this.weightTransform ? this.weightTransform(this.weight) : this.weight;
    const o = this.options, padded = o.paddingMode && o.paddingMode !== "zeros";
    const d = pair(o.dilation ?? 1);
    return conv2d(padInput(x, o.paddingMode, o.padding, this.kernelSize, d), w, {
      bias: this.bias ?? undefined,
      stride: o.stride,
      padding: padded ? 0 : o.padding,
      dilation: o.dilation,
      groups: this.options.groups,
      activation: this.options.activation,
    });
  }

  /** The layer's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    const o = this.options;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}]` +
      (o.stride ? `, stride=${JSON.stringify(o.stride)}` : "") +
      (o.padding ? `, padding=${JSON.stringify(o.padding)}` : "") +
      (o.paddingMode && o.paddingMode !== "zeros" ? `, paddingMode=${o.paddingMode}` : "") +
      (o.groups && o.groups > 1 ? `, groups=${o.groups}` : "") +
      (this.bias ? "" : ", bias=false") +
      (o.activation ? `, activation=${o.activation}` : "");
  }
}

/**
 * 1-D convolution layer: weight `[out, in/groups, k]`.
 *
 * @example
 * ```ts
 * import { Conv1d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(new Conv1d(3, 5, 3).call(ones([2, 3, 10])).shape.join() === "2,5,8");
 * ```
 */
export class Conv1d extends Module {
  /** `[out, in/groups, k]`. */
  weight: Parameter;
  /** `[out]`, or null. */
  bias: Parameter | null;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Options. */
  readonly options: Omit<ConvOptions, "stride" | "padding" | "dilation"> & {
    stride?: number;
    padding?: number | "same" | "valid";
    dilation?: number;
  };

  /**
   * Creates the layer.
   *
   * @param inChannels Input channels.
   * @param outChannels Output channels.
   * @param kernelSize Kernel size.
   * @param options `stride`, `padding`, `dilation`, `groups`, `bias`, `rng`.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: Conv1d["options"] = {},
  ) {
    super();
    checkSizes("Conv1d", { inChannels, outChannels, kernelSize });
    checkPaddingMode("Conv1d", options.paddingMode);
    const g = options.groups ?? 1;
    checkGroups("Conv1d", inChannels, outChannels, g);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.options = options;
    const fanIn = (inChannels / g) * kernelSize;
    this.weight = new Parameter(
      initConv(empty([outChannels, inChannels / g, kernelSize]), fanIn, options.rng),
    );
    this.bias = options.bias === false
      ? null
      : new Parameter(initConv(empty([outChannels]), fanIn, options.rng));
  }

  /**
   * Convolves.
   *
   * @param x `[N, inChannels, L]`.
   * @returns `[N, outChannels, L']`.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      `Conv1d(${this.inChannels}, ${this.outChannels})`,
      x,
      `the input must be [N, ${this.inChannels}, L]`,
      x.ndim === 3 && x.shape[1] === this.inChannels,
    );
    const { paddingMode, rng: _r, bias: _b, ...o } = this.options;
    if (!paddingMode || paddingMode === "zeros") {
      return conv1d(x, this.weight, { ...o, bias: this.bias ?? undefined });
    }
    const k = this.weight.shape[2], d = o.dilation ?? 1;
    const xp = padInput(x, paddingMode, o.padding, [k], [d]);
    return conv1d(xp, this.weight, { ...o, padding: 0, bias: this.bias ?? undefined });
  }
}

/**
 * Transposed 2-D convolution layer: weight `[in, out/groups, kh, kw]`.
 *
 * @example
 * ```ts
 * import { ConvTranspose2d } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const up = new ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1 });
 * console.assert(up.call(ones([1, 16, 7, 7])).shape.join() === "1,8,14,14");
 * ```
 */
export class ConvTranspose2d extends Module {
  /** `[in, out/groups, kh, kw]`. */
  weight: Parameter;
  /** `[out]`, or null. */
  bias: Parameter | null;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Options. */
  readonly options: {
    stride?: Pair;
    padding?: Pair;
    outputPadding?: Pair;
    dilation?: Pair;
    groups?: number;
    bias?: boolean;
    rng?: Generator;
  };

  /**
   * Creates the layer.
   *
   * @param inChannels Input channels.
   * @param outChannels Output channels.
   * @param kernelSize Kernel size.
   * @param options `stride`, `padding`, `outputPadding`, `dilation`, `groups`, `bias`, `rng`.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    options: ConvTranspose2d["options"] = {},
  ) {
    super();
    const [kh, kw] = pair(kernelSize);
    checkSizes("ConvTranspose2d", { inChannels, outChannels, kernelHeight: kh, kernelWidth: kw });
    const g = options.groups ?? 1;
    checkGroups("ConvTranspose2d", inChannels, outChannels, g);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.options = options;
    // PyTorch's fan-in for a transposed conv weight [in, out/g, kh, kw] is (out/g)·kh·kw.
    const fanIn = (outChannels / g) * kh * kw;
    this.weight = new Parameter(
      initConv(empty([inChannels, outChannels / g, kh, kw]), fanIn, options.rng),
    );
    this.bias = options.bias === false
      ? null
      : new Parameter(initConv(empty([outChannels]), fanIn, options.rng));
  }

  /**
   * Applies the transposed convolution.
   *
   * @param x `[N, inChannels, H, W]`.
   * @returns `[N, outChannels, H', W']`.
   */
  forward(x: Tensor): Tensor {
    checkInput(
      `ConvTranspose2d(${this.inChannels}, ${this.outChannels})`,
      x,
      `the input must be [N, ${this.inChannels}, H, W]`,
      x.ndim === 4 && x.shape[1] === this.inChannels,
    );
    const { rng: _r, bias: _b, ...o } = this.options;
    return convTranspose2d(x, this.weight, { ...o, bias: this.bias ?? undefined });
  }
}

/**
 * Reparametrises a convolution's weight as its standardisation per output
 * channel, `(w − mean)/ (std + eps)` over `[in, kh, kw]` (Qiao et al.); the
 * stored parameter stays the raw weight, as in PyTorch parametrisations.
 *
 * @param conv The convolution to modify.
 * @param options `eps` (1e-5).
 * @returns The same convolution.
 * @example
 * ```ts
 * import { Conv2d, weightStandardization } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const conv = weightStandardization(new Conv2d(3, 4, 3));
 * console.assert(conv.call(ones([1, 3, 5, 5])).shape.join() === "1,4,3,3");
 * ```
 */
export function weightStandardization(conv: Conv2d, options: { eps?: number } = {}): Conv2d {
  const eps = options.eps ?? 1e-5;
  conv.weightTransform = (w) => {
    const axes = [1, 2, 3];
    const mean = w.mean(axes, { keepDim: true });
    const std = w.std(axes, { keepDim: true, unbiased: false });
    return w.sub(mean).div(std.add(eps));
  };
  return conv;
}
