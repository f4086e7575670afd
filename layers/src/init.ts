/**
 * Parameter initialisation with PyTorch's definitions (`torch.nn.init`):
 * gains, fans, Xavier/Glorot, Kaiming/He, normal, uniform, constant,
 * orthogonal. Each fills a tensor in place and returns it.
 *
 * @module
 */
import {
  copy_,
  fmtShape,
  fromTypedArray,
  type Generator,
  getDefaultGenerator,
  ShapeError,
  type Tensor,
} from "./deps.ts";
import { noGradScope } from "./deps.ts";

/** Nonlinearities `calculateGain` knows. */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "conv_transpose1d"
  | "conv_transpose2d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "selu";

/**
 * The recommended gain for a nonlinearity (`torch.nn.init.calculate_gain`).
 *
 * @param nonlinearity The nonlinearity.
 * @param param The negative slope for `leaky_relu` (default 0.01).
 * @returns The gain.
 * @example
 * ```ts
 * import { calculateGain } from "@dendrite/layers";
 * console.assert(calculateGain("relu") === Math.SQRT2);
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "conv_transpose1d":
    case "conv_transpose2d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const s = param ?? 0.01;
      return Math.sqrt(2 / (1 + s * s));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new RangeError(`Cannot compute calculateGain() for "${nonlinearity}"`);
  }
}

/**
 * Fan-in and fan-out of a weight (`[out, in, ...kernel]`), as PyTorch computes them.
 *
 * @param t The weight (at least 2-D).
 * @returns `[fanIn, fanOut]`.
 * @example
 * ```ts
 * import { fans } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(fans(zeros([8, 4, 3, 3])).join() === "36,72");
 * ```
 */
export function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) {
    throw new ShapeError(
      `Cannot compute fan in and fan out of a tensor of shape ${
        fmtShape(t.shape)
      }: expected at least 2 axes`,
    );
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

/** Options with an explicit generator. */
export interface InitOptions {
  /** The generator (default: the global one). */
  rng?: Generator;
}

function fill(t: Tensor, f: (g: Generator, out: Float32Array) => void, rng?: Generator): Tensor {
  const data = new Float32Array(t.size);
  f(rng ?? getDefaultGenerator(), data);
  noGradScope(() => copy_(t, fromTypedArray(data, t.shape, { backend: t.backend.name })));
  return t;
}

/**
 * Fills with `U(low, high)`.
 *
 * @param t The tensor to fill.
 * @param low Lower bound (default 0).
 * @param high Upper bound (default 1).
 * @param options `rng`.
 * @returns `t`.
 * @example
 * ```ts
 * import { uniform_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(uniform_(zeros([10]), -1, 1).dataSync().every((v) => v >= -1 && v < 1));
 * ```
 */
export function uniform_(t: Tensor, low = 0, high = 1, options: InitOptions = {}): Tensor {
  return fill(t, (g, o) => {
    g.fillUniform(o);
    for (let i = 0; i < o.length; i++) o[i] = low + (high - low) * o[i];
  }, options.rng);
}

/**
 * Fills with `N(mean, std²)`.
 *
 * @param t The tensor to fill.
 * @param mean The mean (default 0).
 * @param std The standard deviation (default 1).
 * @param options `rng`.
 * @returns `t`.
 * @example
 * ```ts
 * import { normal_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(normal_(zeros([4]), 0, 0).dataSync().join() === "0,0,0,0");
 * ```
 */
export function normal_(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  return fill(t, (g, o) => {
    g.fillNormal(o);
    for (let i = 0; i < o.length; i++) o[i] = mean + std * o[i];
  }, options.rng);
}

/**
 * Fills with a normal distribution truncated to `[a, b]` (absolute bounds),
 * like `torch.nn.init.trunc_normal_` (the initialisation of Vision
 * Transformers): values outside are redrawn.
 *
 * @param t The tensor to fill.
 * @param options `mean` (0), `std` (1), `a` (−2), `b` (2), `rng`.
 * @returns `t`.
 * @example
 * ```ts
 * import { truncNormal_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * const w = truncNormal_(zeros([1000]), { std: 0.02, a: -0.04, b: 0.04 });
 * console.assert(w.dataSync().every((v) => Math.abs(v) <= 0.04));
 * ```
 */
export function truncNormal_(
  t: Tensor,
  options: InitOptions & { mean?: number; std?: number; a?: number; b?: number } = {},
): Tensor {
  const mean = options.mean ?? 0, std = options.std ?? 1;
  const a = options.a ?? -2, b = options.b ?? 2;
  // Redrawing is slow when the window holds little of the distribution.
  if (!(a < b) || !(std > 0) || (b - mean) / std < -3 || (a - mean) / std > 3) {
    throw new RangeError(
      `Cannot fill with truncNormal_() for mean ${mean}, std ${std} in [${a}, ${b}]: expected a < b, std > 0 and bounds within 3 std of the mean`,
    );
  }
  return fill(t, (g, o) => {
    const draw = new Float32Array(Math.max(64, o.length));
    let filled = 0, used = draw.length;
    while (filled < o.length) {
      if (used === draw.length) {
        g.fillNormal(draw);
        used = 0;
      }
      const v = mean + std * draw[used++];
      if (v >= a && v <= b) o[filled++] = v;
    }
  }, options.rng);
}

/**
 * Fills a 2-D tensor with the identity (ones on the main diagonal), like
 * `torch.nn.init.eye_` (it need not be square).
 *
 * @param t A 2-D tensor.
 * @returns `t`.
 * @example
 * ```ts
 * import { eye_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(eye_(zeros([2, 3])).dataSync().join() === "1,0,0,0,1,0");
 * ```
 */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) {
    throw new ShapeError(
      `Cannot fill a tensor of shape ${fmtShape(t.shape)} with eye_(): expected 2 axes`,
    );
  }
  return fill(t, (_g, o) => {
    o.fill(0);
    const [r, c] = t.shape;
    for (let i = 0; i < Math.min(r, c); i++) o[i * c + i] = 1;
  });
}

/**
 * Fills with a constant.
 *
 * @param t The tensor to fill.
 * @param value The value.
 * @returns `t`.
 * @example
 * ```ts
 * import { constant_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(constant_(zeros([2]), 3).dataSync().join() === "3,3");
 * ```
 */
export function constant_(t: Tensor, value: number): Tensor {
  noGradScope(() => copy_(t, value));
  return t;
}

/**
 * Fills with zeros.
 *
 * @param t The tensor to fill.
 * @returns `t`.
 * @example
 * ```ts
 * import { zeros_ } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * console.assert(zeros_(ones([2])).dataSync().join() === "0,0");
 * ```
 */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/**
 * Fills with ones.
 *
 * @param t The tensor to fill.
 * @returns `t`.
 * @example
 * ```ts
 * import { ones_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(ones_(zeros([2])).dataSync().join() === "1,1");
 * ```
 */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/**
 * Xavier/Glorot uniform: `U(±gain·√(6/(fanIn + fanOut)))`.
 *
 * @param t The weight.
 * @param options `gain` (1), `rng`.
 * @returns `t`.
 * @example
 * ```ts
 * import { xavierUniform_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * const b = Math.sqrt(6 / 30);
 * console.assert(xavierUniform_(zeros([10, 20])).dataSync().every((v) => Math.abs(v) <= b));
 * ```
 */
export function xavierUniform_(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  const [fi, fo] = fans(t);
  const a = (options.gain ?? 1) * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a, options);
}

/**
 * Xavier/Glorot normal: `N(0, gain²·2/(fanIn + fanOut))`.
 *
 * @param t The weight.
 * @param options `gain` (1), `rng`.
 * @returns `t`.
 * @example
 * ```ts
 * import { xavierNormal_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(xavierNormal_(zeros([10, 20])).shape.join() === "10,20");
 * ```
 */
export function xavierNormal_(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  const [fi, fo] = fans(t);
  return normal_(t, 0, (options.gain ?? 1) * Math.sqrt(2 / (fi + fo)), options);
}

/** Options of the Kaiming initialisers. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the following leaky ReLU (default 0). */
  a?: number;
  /** Preserve the variance of the forward ("fanIn", default) or backward ("fanOut") pass. */
  mode?: "fanIn" | "fanOut";
  /** The following nonlinearity (default "leaky_relu"). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fi, fo] = fans(t);
  const fan = (o.mode ?? "fanIn") === "fanIn" ? fi : fo;
  return calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(fan);
}

/**
 * Kaiming/He uniform: `U(±gain·√(3/fan))`.
 *
 * @param t The weight.
 * @param options `a`, `mode`, `nonlinearity`, `rng`.
 * @returns `t`.
 * @example
 * ```ts
 * import { kaimingUniform_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * const w = kaimingUniform_(zeros([64, 32]), { nonlinearity: "relu" });
 * console.assert(w.dataSync().every((v) => Math.abs(v) <= Math.sqrt(6 / 32)));
 * ```
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound, options);
}

/**
 * Kaiming/He normal: `N(0, gain²/fan)`.
 *
 * @param t The weight.
 * @param options `a`, `mode`, `nonlinearity`, `rng`.
 * @returns `t`.
 * @example
 * ```ts
 * import { kaimingNormal_ } from "@dendrite/layers";
 * import { zeros } from "@dendrite/tensor";
 * console.assert(kaimingNormal_(zeros([4, 4]), { mode: "fanOut" }).shape.join() === "4,4");
 * ```
 */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options), options);
}

/**
 * A (semi-)orthogonal matrix, scaled by `gain`, from the QR decomposition of
 * a Gaussian matrix with the sign fix of Saxe et al. (as PyTorch).
 *
 * @param t The weight (≥ 2-D; trailing axes are flattened).
 * @param options `gain` (1), `rng`.
 * @returns `t`.
 * @example
 * ```ts
 * import { orthogonal_ } from "@dendrite/layers";
 * import { matmul, zeros } from "@dendrite/tensor";
 * const q = orthogonal_(zeros([3, 3]));
 * const i = matmul(q, q.transpose()).dataSync();
 * console.assert(Math.abs(i[0] - 1) < 1e-5 && Math.abs(i[1]) < 1e-5);
 * ```
 */
export function orthogonal_(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  if (t.ndim < 2) {
    throw new ShapeError(
      `Cannot apply orthogonal_() to shape ${fmtShape(t.shape)}: expected at least 2 axes`,
    );
  }
  const rows = t.shape[0], cols = t.size / rows;
  const g = options.rng ?? getDefaultGenerator();
  // Work on the tall orientation: m >= n.
  const m = Math.max(rows, cols), n = Math.min(rows, cols);
  const a = new Float64Array(m * n);
  const tmp = g.fillNormal(new Float32Array(m * n));
  // The flat Gaussian is rows x cols; transpose when wide.
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = tmp[i * cols + j];
      if (rows >= cols) a[i * n + j] = v;
      else a[j * n + i] = v;
    }
  }
  // Modified Gram-Schmidt: Q (m x n) with R's diagonal signs folded in.
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
      for (let i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[i * n + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) a[i * n + j] /= norm;
  }
  const gain = options.gain ?? 1;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      out[i * cols + j] = gain * (rows >= cols ? a[i * n + j] : a[j * n + i]);
    }
  }
  noGradScope(() => copy_(t, fromTypedArray(out, t.shape, { backend: t.backend.name })));
  return t;
}
