/**
 * Dataset-level decorrelation: PCA projection and ZCA whitening fitted on a
 * data matrix `[N, D]`.
 *
 * @module
 */
import { DTypeError, fmtShape, matmul, ShapeError, type Tensor, transpose } from "@dendrite/tensor";
import { symmetricEigen } from "./eigen.ts";
import { cpuTensor } from "./_image.ts";

/** A fitted PCA: `apply(x) = (x - mean) @ components^T` (divided by `sqrt(variance)` with whitening). */
export interface PcaTransform {
  /** The feature means `[D]`. */
  readonly mean: Tensor;
  /** The principal axes `[k, D]`, by decreasing variance (unit rows). */
  readonly components: Tensor;
  /** The variance along each axis `[k]` (covariance eigenvalues, with the N - 1 divisor). */
  readonly explainedVariance: Tensor;
  /** The fraction of the total variance each axis explains. */
  readonly explainedVarianceRatio: readonly number[];
  /**
   * Projects samples `[M, D]` (or `[M, ...]` with D features each) to `[M, k]`, or one sample `[D]` to `[k]`.
   *
   * @param x The samples.
   */
  apply(x: Tensor): Tensor;
  /**
   * Maps projections `[M, k]` back to the feature space `[M, D]`.
   *
   * @param z The projections.
   */
  inverse(z: Tensor): Tensor;
}

/** A fitted ZCA whitening: `apply(x) = (x - mean) @ matrix`, same shape out. */
export interface ZcaTransform {
  /** The feature means `[D]`. */
  readonly mean: Tensor;
  /** The symmetric whitening matrix `U diag(1 / sqrt(lambda + eps)) U^T`, `[D, D]`. */
  readonly matrix: Tensor;
  /**
   * Whitens samples `[M, D]` (or `[M, ...]` with D features each) or one sample `[D]`, keeping the shape.
   *
   * @param x The samples.
   */
  apply(x: Tensor): Tensor;
}

interface Moments {
  n: number;
  d: number;
  mean: Float64Array;
  cov: Float64Array;
}

/** Flattens to `[N, D]`, then computes means and the covariance (N - 1 divisor) with `matmul`. */
function moments(x: Tensor, op: string): Moments {
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot ${op}() dtype ${x.dtype}: expected float32`);
  }
  if (x.ndim < 2 || x.shape[0] < 2) {
    throw new ShapeError(
      `Cannot ${op}() shape ${fmtShape(x.shape)}: expected at least 2 samples [N, D] (or [N, ...])`,
    );
  }
  const n = x.shape[0], d = x.size / n;
  if (d === 0) {
    throw new ShapeError(`Cannot ${op}() shape ${fmtShape(x.shape)}: the samples have no features`);
  }
  const x2 = x.reshape([n, d]);
  const flat = x2.dataSync();
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) mean[j] += flat[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  const centred = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centred[i * d + j] = flat[i * d + j] - mean[j];
  }
  const xc = cpuTensor(centred, [n, d]);
  const gram = matmul(transpose(xc, 0, 1), xc).dataSync();
  const cov = new Float64Array(d * d);
  for (let k = 0; k < d * d; k++) cov[k] = gram[k] / (n - 1);
  return { n, d, mean, cov };
}

function samples(x: Tensor, d: number, op: string): { m: number; single: boolean } {
  if (x.ndim === 1 && x.size === d) return { m: 1, single: true };
  if (x.ndim >= 2 && x.size === x.shape[0] * d) return { m: x.shape[0], single: false };
  throw new ShapeError(
    `Cannot ${op} shape ${
      fmtShape(x.shape)
    }: expected [${d}] or samples [M, ...] of ${d} features each`,
  );
}

/**
 * Fits a principal component analysis on samples `x` `[N, D]` (or
 * `[N, ...]`, flattened): the eigenvectors of the covariance with the largest
 * eigenvalues. Each component's sign is fixed so that its largest-magnitude
 * entry is positive.
 *
 * @param x The data, float32 `[N, D]` with N >= 2.
 * @param options `components` (default min(N, D)); `whiten` to scale projections to unit variance.
 * @returns The fitted transform.
 * @example
 * ```ts
 * import { fitPca } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const pca = fitPca(tensor([[1, 1], [2, 2], [3, 3]]), { components: 1 });
 * const z = pca.apply(tensor([[4, 4]])).dataSync();
 * console.assert(Math.abs(z[0] - 2 * Math.SQRT2) < 1e-5);
 * ```
 */
export function fitPca(
  x: Tensor,
  options: { components?: number; whiten?: boolean } = {},
): PcaTransform {
  const { n, d, mean, cov } = moments(x, "fitPca");
  const k = options.components ?? Math.min(n, d);
  if (!Number.isInteger(k) || k < 1 || k > d) {
    throw new RangeError(
      `Cannot fitPca() with components ${k} for ${d} features: expected an integer in [1, ${d}]`,
    );
  }
  const { values, vectors } = symmetricEigen(cov, d);
  let total = 0;
  for (let j = 0; j < d; j++) total += Math.max(values[j], 0);
  const comps = new Float32Array(k * d), vars = new Float32Array(k);
  const ratio: number[] = [];
  for (let c = 0; c < k; c++) {
    const col = d - 1 - c; // descending order
    let big = 0;
    for (let i = 0; i < d; i++) {
      const v = vectors[i * d + col];
      if (Math.abs(v) > Math.abs(big)) big = v;
    }
    const sign = big < 0 ? -1 : 1;
    for (let i = 0; i < d; i++) comps[c * d + i] = sign * vectors[i * d + col];
    const lam = Math.max(values[col], 0);
    vars[c] = lam;
    ratio.push(total > 0 ? lam / total : 0);
  }
  const meanT = cpuTensor(Float32Array.from(mean), [d]);
  const compT = cpuTensor(comps, [k, d]);
  const varT = cpuTensor(vars, [k]);
  const whiten = options.whiten ?? false;
  const invStd = cpuTensor(vars.map((v) => (v > 0 ? 1 / Math.sqrt(v) : 0)), [k]);
  const std = cpuTensor(vars.map((v) => Math.sqrt(v)), [k]);
  return {
    mean: meanT,
    components: compT,
    explainedVariance: varT,
    explainedVarianceRatio: ratio,
    apply(s: Tensor): Tensor {
      const { m, single } = samples(s, d, "apply PCA to");
      let z = matmul(s.reshape([m, d]).sub(meanT), transpose(compT, 0, 1));
      if (whiten) z = z.mul(invStd);
      return single ? z.reshape([k]) : z;
    },
    inverse(z: Tensor): Tensor {
      if (z.ndim !== 2 || z.shape[1] !== k) {
        throw new ShapeError(
          `Cannot invert PCA for shape ${fmtShape(z.shape)}: expected [M, ${k}]`,
        );
      }
      return matmul(whiten ? z.mul(std) : z, compT).add(meanT);
    },
  };
}

/**
 * Fits ZCA whitening on samples `x` `[N, D]` (or `[N, ...]`, e.g. images
 * `[N, C, H, W]`): `W = U diag(1 / sqrt(lambda + eps)) U^T` from the
 * covariance's eigendecomposition, so whitened data has (nearly) identity
 * covariance while staying as close as possible to the original (Bell &
 * Sejnowski, 1997). The eigendecomposition costs O(D^3): fine for D up to
 * about a thousand.
 *
 * @param x The data, float32 with N >= 2.
 * @param options `eps` added to the eigenvalues (default 1e-5).
 * @returns The fitted transform; `apply` keeps its input's shape (`[N, C, H, W]` stays so).
 * @example
 * ```ts
 * import { fitZca } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const x = tensor([[1, 2], [3, 1], [0, 0], [4, 5]]);
 * const y = fitZca(x, { eps: 0 }).apply(x);
 * const cov = y.transpose(0, 1).matmul(y).div(3).dataSync();
 * console.assert(Math.abs(cov[0] - 1) < 1e-3 && Math.abs(cov[1]) < 1e-3);
 * ```
 */
export function fitZca(x: Tensor, options: { eps?: number } = {}): ZcaTransform {
  const eps = options.eps ?? 1e-5;
  if (!(eps >= 0)) {
    throw new RangeError(`Cannot fitZca() with eps ${eps}: expected a non-negative number`);
  }
  const { d, mean, cov } = moments(x, "fitZca");
  const { values, vectors } = symmetricEigen(cov, d);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const lam = Math.max(values[j], 0) + eps;
    scale[j] = lam > 0 ? 1 / Math.sqrt(lam) : 0;
  }
  // W = U diag(scale) U^T, symmetric.
  const us = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) us[i * d + j] = vectors[i * d + j] * scale[j];
  }
  const w = new Float32Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      const ri = i * d, rj = j * d;
      for (let k = 0; k < d; k++) s += us[ri + k] * vectors[rj + k];
      w[i * d + j] = w[j * d + i] = s;
    }
  }
  const meanT = cpuTensor(Float32Array.from(mean), [d]);
  const matT = cpuTensor(w, [d, d]);
  return {
    mean: meanT,
    matrix: matT,
    apply(s: Tensor): Tensor {
      const { m } = samples(s, d, "apply ZCA to");
      return matmul(s.reshape([m, d]).sub(meanT), matT).reshape(s.shape);
    },
  };
}
