/**
 * Random tensors and sampling: `rand`, `randn`, `randint`, `randperm`,
 * `uniform`, `normal`, `bernoulli`, `multinomial`, `dropout`, and the
 * random activations `rrelu` and `gumbelSoftmax`.
 *
 * Values are drawn on the host from a {@link Generator} and uploaded, so
 * every backend gives the same numbers for the same seed.
 *
 * @module
 */

import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { checkShape, normAxis, sizeOf } from "../../shape.ts";
import type { Tensor } from "../../tensor.ts";
import { arange, fromTypedArray } from "../creation.ts";
import { add, div, mul, sub, where } from "../arith.ts";
import { eq, gt } from "../compare.ts";
import { leakyRelu } from "../elementwise/activation.ts";
import { softmax } from "../reduction/softmax.ts";
import { argmax } from "../reduce.ts";
import { cast, reshape } from "../movement.ts";
import { type Generator, getDefaultGenerator } from "./generator.ts";

/** Options of the random creation functions. */
export interface RandomOptions {
  /** The generator (default: the global one, see `manualSeed`). */
  rng?: Generator;
  /** Track gradients. */
  requiresGrad?: boolean;
  /** Backend name (default: current). */
  backend?: string;
}

const gen = (o: RandomOptions) => o.rng ?? getDefaultGenerator();

/**
 * Uniform samples in [0, 1).
 *
 * @param shape The shape.
 * @param options `rng`, `requiresGrad`, `backend`.
 * @returns A float32 tensor.
 * @example
 * ```ts
 * import { rand } from "@dendrite/tensor";
 * const x = rand([1000]).dataSync();
 * console.assert(x.every((v) => v >= 0 && v < 1));
 * ```
 */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const s = checkShape(shape, "rand");
  return fromTypedArray(gen(options).fillUniform(new Float32Array(sizeOf(s))), s, options);
}

/**
 * Standard normal samples.
 *
 * @param shape The shape.
 * @param options `rng`, `requiresGrad`, `backend`.
 * @returns A float32 tensor.
 * @example
 * ```ts
 * import { Generator, randn } from "@dendrite/tensor";
 * console.assert(randn([2, 3], { rng: new Generator(0) }).shape.join() === "2,3");
 * ```
 */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const s = checkShape(shape, "randn");
  return fromTypedArray(gen(options).fillNormal(new Float32Array(sizeOf(s))), s, options);
}

/**
 * Uniform samples in [low, high).
 *
 * @param low Lower bound.
 * @param high Upper bound.
 * @param shape The shape.
 * @param options `rng`, `requiresGrad`, `backend`.
 * @returns A float32 tensor.
 * @example
 * ```ts
 * import { uniform } from "@dendrite/tensor";
 * console.assert(uniform(-2, -1, [10]).dataSync().every((v) => v >= -2 && v < -1));
 * ```
 */
export function uniform(
  low: number,
  high: number,
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  if (!(low <= high)) {
    throw new RangeError(`Cannot sample uniform(${low}, ${high}): expected low <= high`);
  }
  const s = checkShape(shape, "uniform");
  const a = gen(options).fillUniform(new Float32Array(sizeOf(s)));
  for (let i = 0; i < a.length; i++) a[i] = low + (high - low) * a[i];
  return fromTypedArray(a, s, options);
}

/**
 * Normal samples with the given mean and standard deviation.
 *
 * @param mean The mean.
 * @param std The standard deviation (>= 0).
 * @param shape The shape.
 * @param options `rng`, `requiresGrad`, `backend`.
 * @returns A float32 tensor.
 * @example
 * ```ts
 * import { normal } from "@dendrite/tensor";
 * console.assert(normal(5, 0, [3]).dataSync().join() === "5,5,5");
 * ```
 */
export function normal(
  mean: number,
  std: number,
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  if (!(std >= 0)) {
    throw new RangeError(`Cannot sample normal() with std ${std}: expected std >= 0`);
  }
  const s = checkShape(shape, "normal");
  const a = gen(options).fillNormal(new Float32Array(sizeOf(s)));
  for (let i = 0; i < a.length; i++) a[i] = mean + std * a[i];
  return fromTypedArray(a, s, options);
}

/**
 * Uniform integers in [low, high).
 *
 * @param low Lowest value (inclusive).
 * @param high Upper bound (exclusive).
 * @param shape The shape.
 * @param options `rng`, `backend`.
 * @returns An int32 tensor.
 * @example
 * ```ts
 * import { randint } from "@dendrite/tensor";
 * console.assert(randint(0, 3, [50]).dataSync().every((v) => v >= 0 && v < 3));
 * ```
 */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || low >= high) {
    throw new RangeError(
      `Cannot sample randint(${low}, ${high}): expected integers with low < high`,
    );
  }
  const s = checkShape(shape, "randint");
  const g = gen(options), range = high - low;
  const a = new Int32Array(sizeOf(s));
  for (let i = 0; i < a.length; i++) a[i] = low + Math.floor(g.nextFloat() * range);
  return fromTypedArray(a, s, { backend: options.backend });
}

/**
 * A random permutation of `0..n-1` (Fisher-Yates).
 *
 * @param n The length.
 * @param options `rng`, `backend`.
 * @returns An int32 tensor.
 * @example
 * ```ts
 * import { randperm } from "@dendrite/tensor";
 * console.assert([...randperm(5).dataSync()].sort().join() === "0,1,2,3,4");
 * ```
 */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Cannot create randperm(${n}): expected a non-negative integer`);
  }
  const g = gen(options);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.nextFloat() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return fromTypedArray(a, [n], { backend: options.backend });
}

/**
 * Bernoulli draws: 1 with probability `p` (a number with a `shape`, or a
 * tensor of probabilities).
 *
 * @param p Probabilities in [0, 1].
 * @param options `shape` (for a number), `rng`, `backend`.
 * @returns A float32 tensor of 0/1.
 * @example
 * ```ts
 * import { bernoulli, tensor } from "@dendrite/tensor";
 * console.assert(bernoulli(tensor([0, 1])).dataSync().join() === "0,1");
 * ```
 */
export function bernoulli(
  p: Tensor | number,
  options: RandomOptions & { shape?: readonly number[] } = {},
): Tensor {
  const g = gen(options);
  const probs = typeof p === "number" ? undefined : p.dataSync();
  const shape = typeof p === "number" ? checkShape(options.shape ?? [], "bernoulli") : [...p.shape];
  const n = sizeOf(shape);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const pi = probs ? probs[i] : (p as number);
    if (!(pi >= 0 && pi <= 1)) {
      throw new RangeError(
        `Cannot sample bernoulli() with probability ${pi}: expected a value in [0, 1]`,
      );
    }
    a[i] = g.nextFloat() < pi ? 1 : 0;
  }
  return fromTypedArray(a, shape, {
    backend: options.backend ?? (typeof p === "number" ? undefined : p.backend.name),
  });
}

/**
 * Samples class indices from (unnormalised) probabilities, like `torch.multinomial`.
 *
 * @param probs `[C]` or `[N, C]` non-negative weights.
 * @param numSamples Samples per row.
 * @param options `replacement` (false), `rng`.
 * @returns int32 `[numSamples]` or `[N, numSamples]`.
 * @example
 * ```ts
 * import { multinomial, tensor } from "@dendrite/tensor";
 * console.assert(multinomial(tensor([0, 0, 1]), 2, { replacement: true }).dataSync().join() === "2,2");
 * ```
 */
export function multinomial(
  probs: Tensor,
  numSamples: number,
  options: RandomOptions & { replacement?: boolean } = {},
): Tensor {
  if (probs.ndim !== 1 && probs.ndim !== 2) {
    throw new ShapeError(
      `Cannot sample multinomial() from ${fmtShape(probs.shape)}: expected [C] or [N, C]`,
    );
  }
  const rows = probs.ndim === 1 ? 1 : probs.shape[0], c = probs.shape[probs.ndim - 1];
  if (!options.replacement && numSamples > c) {
    throw new RangeError(
      `Cannot draw ${numSamples} samples without replacement from ${c} categories in multinomial()`,
    );
  }
  const g = gen(options), w = probs.dataSync();
  const out = new Int32Array(rows * numSamples);
  for (let r = 0; r < rows; r++) {
    const weights = Array.from(w.subarray(r * c, (r + 1) * c) as ArrayLike<number>);
    if (weights.some((v) => !(v >= 0) || !Number.isFinite(v))) {
      throw new RangeError(
        "Cannot sample multinomial(): probabilities must be finite and non-negative",
      );
    }
    for (let s = 0; s < numSamples; s++) {
      const total = weights.reduce((a, b) => a + b, 0);
      if (total <= 0) {
        throw new RangeError("Cannot sample multinomial(): a row has no positive probability");
      }
      let u = g.nextFloat() * total, k = 0;
      while (k < c - 1 && (u >= weights[k] || weights[k] === 0)) u -= weights[k++];
      out[r * numSamples + s] = k;
      if (!options.replacement) weights[k] = 0;
    }
  }
  return fromTypedArray(out, probs.ndim === 1 ? [numSamples] : [rows, numSamples], {
    backend: probs.backend.name,
  });
}

/** Options of `dropout`. */
export interface DropoutOptions {
  /** Probability of zeroing an element (default 0.5). */
  p?: number;
  /** Apply dropout (true) or return the input (false). Default true. */
  training?: boolean;
  /** The generator. */
  rng?: Generator;
}

function checkP(p: number, op: string): void {
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`Cannot apply ${op}() with p ${p}: expected a value in [0, 1]`);
  }
}

/**
 * Inverted dropout: zeroes each element with probability `p` and scales the
 * rest by `1/(1 − p)`; the identity when not training.
 *
 * @param x The input (float32).
 * @param options `p` (0.5), `training` (true), `rng`.
 * @returns The result (gradient: the same mask and scale).
 * @example
 * ```ts
 * import { dropout, ones } from "@dendrite/tensor";
 * const y = dropout(ones([1000]), { p: 0.5 }).dataSync();
 * console.assert(y.every((v) => v === 0 || v === 2));
 * ```
 */
export function dropout(x: Tensor, options: DropoutOptions = {}): Tensor {
  const p = options.p ?? 0.5;
  checkP(p, "dropout");
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot apply dropout() to a ${x.dtype} tensor: expected float32`);
  }
  if (options.training === false || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const mask = bernoulli(1 - p, { shape: x.shape, rng: options.rng, backend: x.backend.name });
  return mul(x, mul(mask, 1 / (1 - p)));
}

/**
 * Channel dropout for `[N, C, ...]` inputs: zeroes whole channels with
 * probability `p`, scaling the rest by `1/(1 − p)`.
 *
 * @param x Input `[N, C, ...]`.
 * @param options `p` (0.5), `training` (true), `rng`.
 * @returns The result.
 * @example
 * ```ts
 * import { dropout2d, ones } from "@dendrite/tensor";
 * const y = dropout2d(ones([1, 8, 2, 2]), { p: 0.5 });
 * console.assert(y.shape.join() === "1,8,2,2");
 * ```
 */
export function dropout2d(x: Tensor, options: DropoutOptions = {}): Tensor {
  const p = options.p ?? 0.5;
  checkP(p, "dropout2d");
  if (x.ndim < 2) {
    throw new ShapeError(`Cannot apply dropout2d() to ${fmtShape(x.shape)}: expected [N, C, ...]`);
  }
  if (options.training === false || p === 0) return x;
  const shape = x.shape.map((d, i) => (i < 2 ? d : 1));
  const mask = bernoulli(1 - p, { shape, rng: options.rng, backend: x.backend.name });
  return p === 1 ? mul(x, 0) : mul(x, mul(mask, 1 / (1 - p)));
}

/** Options of `rrelu`. */
export interface RreluOptions {
  /** Lower bound of the random negative slope (default 1/8). */
  lower?: number;
  /** Upper bound of the random negative slope (default 1/3). */
  upper?: number;
  /**
   * Draw a slope per element (true) or use the mean slope `(lower + upper)/2`
   * (false, the default, as `torch.nn.functional.rrelu`).
   */
  training?: boolean;
  /** The generator. */
  rng?: Generator;
}

/**
 * Randomized leaky ReLU (Xu et al., 2015), as `torch.nn.functional.rrelu`:
 * `x` where `x > 0`, else `a·x` with a slope `a ~ U(lower, upper)` drawn per
 * element when training; otherwise the leaky ReLU with the mean slope
 * `(lower + upper) / 2`.
 *
 * @param x The input (float32).
 * @param options `lower` (1/8), `upper` (1/3), `training` (false), `rng`.
 * @returns The activations, same shape as `x` (gradient: 1 where `x > 0`,
 *   else the slope drawn for that element).
 * @example
 * ```ts
 * import { rrelu, tensor } from "@dendrite/tensor";
 * // Evaluation: the mean slope (1/8 + 1/3) / 2.
 * const y = rrelu(tensor([-24, 3])).dataSync();
 * console.assert(Math.abs(y[0] + 5.5) < 1e-5 && y[1] === 3);
 * // Training: a slope in [1/8, 1/3] per element.
 * const t = rrelu(tensor([-24]), { training: true }).dataSync()[0];
 * console.assert(t <= -3 && t >= -8);
 * ```
 */
export function rrelu(x: Tensor, options: RreluOptions = {}): Tensor {
  const lower = options.lower ?? 1 / 8, upper = options.upper ?? 1 / 3;
  if (!(Number.isFinite(lower) && Number.isFinite(upper) && lower <= upper)) {
    throw new RangeError(
      `Cannot apply rrelu() with lower ${lower} and upper ${upper}: expected finite bounds with lower <= upper`,
    );
  }
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot apply rrelu() to a ${x.dtype} tensor: expected float32`);
  }
  if (!options.training) return leakyRelu(x, { negativeSlope: (lower + upper) / 2 });
  const slopes = uniform(lower, upper, x.shape, { rng: options.rng, backend: x.backend.name });
  return mul(x, where(gt(x, 0), 1, slopes));
}

/** Options of `gumbelSoftmax`. */
export interface GumbelSoftmaxOptions {
  /** Temperature, > 0 (default 1). */
  tau?: number;
  /** Return one-hot samples with the soft samples' gradient (default false). */
  hard?: boolean;
  /** The class axis (default -1). */
  axis?: number;
  /** The generator. */
  rng?: Generator;
}

/**
 * Samples from the Gumbel-softmax (concrete) distribution, as
 * `torch.nn.functional.gumbel_softmax`: `softmax((logits + g) / tau)` along
 * `axis` with `g = −log(E)`, `E ~ Exponential(1)` drawn per element. With
 * `hard`, the result is the one-hot encoding of each sample's largest
 * entry, `yHard − detach(ySoft) + ySoft`, so its gradient is the soft
 * sample's (the straight-through estimator).
 *
 * @param logits Unnormalised log-probabilities (float32, at least 1-D).
 * @param options `tau` (1), `hard` (false), `axis` (-1), `rng`.
 * @returns Samples of the same shape, summing to 1 along `axis`.
 * @example
 * ```ts
 * import { Generator, gumbelSoftmax, tensor } from "@dendrite/tensor";
 * const logits = tensor([[1, 2, 3], [0, 0, 0]]);
 * const soft = gumbelSoftmax(logits, { tau: 0.5, rng: new Generator(0) });
 * console.assert(Math.abs(soft.sum(1).dataSync()[0] - 1) < 1e-6);
 * const hard = gumbelSoftmax(logits, { hard: true }).dataSync();
 * console.assert(hard.every((v) => v === 0 || v === 1));
 * ```
 */
export function gumbelSoftmax(logits: Tensor, options: GumbelSoftmaxOptions = {}): Tensor {
  const tau = options.tau ?? 1;
  if (!(tau > 0 && Number.isFinite(tau))) {
    throw new RangeError(
      `Cannot apply gumbelSoftmax() with tau ${tau}: expected a finite positive temperature`,
    );
  }
  if (logits.dtype !== "float32") {
    throw new DTypeError(
      `Cannot apply gumbelSoftmax() to a ${logits.dtype} tensor: expected float32`,
    );
  }
  if (logits.ndim === 0) {
    throw new ShapeError(
      "Cannot apply gumbelSoftmax() to a 0-D tensor: expected at least 1-D logits",
    );
  }
  const axis = normAxis(options.axis ?? -1, logits.ndim, "gumbelSoftmax");
  // E = −log(1 − u) with u in [0, 1) is Exponential(1); the smallest positive
  // float keeps g finite when u = 0 (PyTorch's sample can be +∞ there).
  const g = gen(options).fillUniform(new Float32Array(logits.size));
  for (let i = 0; i < g.length; i++) g[i] = -Math.log(Math.max(-Math.log1p(-g[i]), 1e-45));
  const noise = fromTypedArray(g, logits.shape, { backend: logits.backend.name });
  const soft = softmax(tau === 1 ? add(logits, noise) : div(add(logits, noise), tau), axis);
  if (!options.hard) return soft;
  const n = logits.shape[axis];
  const at = logits.shape.map((_, i) => (i === axis ? n : 1));
  const classes = reshape(arange(0, n, { dtype: "int32", backend: logits.backend.name }), at);
  const best = argmax(soft, axis, { keepDim: true });
  const hard = cast(eq(classes, best), "float32");
  return add(sub(hard, soft.detach()), soft);
}
