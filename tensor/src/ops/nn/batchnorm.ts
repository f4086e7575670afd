/**
 * Fused batch normalisation (`torch.nn.functional.batch_norm`): one kernel
 * for the statistics and the normalisation, one for the gradient, instead of
 * about fifteen elementwise passes.
 *
 * @module
 */
import { hasKernel, registerKernel } from "../../backend.ts";
import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { isGradEnabled, record, setGradEnabled } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import { cpuAllocF32Overwritten, cpuContiguous, cpuOutput } from "../../cpu/backend.ts";
import { run } from "../define.ts";
import { add, div, mul, rsub, sqrt, sub } from "../arith.ts";
import { reshape } from "../movement.ts";
import { mean as meanOp } from "../reduce.ts";
import { copy_ } from "../inplace.ts";
import { variance } from "../reduction/stats.ts";

registerKernel(
  "BatchNorm",
  "cpu",
  ([x, w, b, rm, rv], a: { training: boolean; eps: number; affine: boolean }) => {
    const [n, c] = x.shape;
    const s = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const xs = cpuContiguous(x) as Float32Array;
    const ws = a.affine ? cpuContiguous(w) : undefined,
      bs = a.affine ? cpuContiguous(b) : undefined;
    const out = cpuAllocF32Overwritten(xs.length);
    const mean = new Float32Array(c), invstd = new Float32Array(c), varOut = new Float32Array(c);
    const m = n * s;
    for (let ch = 0; ch < c; ch++) {
      let mu: number, v: number;
      if (a.training) {
        // One pass: sums of d = x − k and d² with k the channel's first value
        // (shifted sums stay accurate in float64), four accumulators each so
        // the additions do not wait on one another.
        const k = xs[ch * s];
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        for (let i = 0; i < n; i++) {
          const base = (i * c + ch) * s, end = base + s;
          let j = base;
          for (; j + 3 < end; j += 4) {
            const d0 = xs[j] - k, d1 = xs[j + 1] - k, d2 = xs[j + 2] - k, d3 = xs[j + 3] - k;
            s0 += d0, s1 += d1, s2 += d2, s3 += d3;
            q0 += d0 * d0, q1 += d1 * d1, q2 += d2 * d2, q3 += d3 * d3;
          }
          for (; j < end; j++) {
            const d = xs[j] - k;
            s0 += d, q0 += d * d;
          }
        }
        const sd = (s0 + s1) + (s2 + s3), sq = (q0 + q1) + (q2 + q3);
        mu = k + sd / m;
        v = Math.max(0, (sq - sd * sd / m) / m);
      } else {
        mu = cpuContiguous(rm)[ch];
        v = cpuContiguous(rv)[ch];
      }
      const is = 1 / Math.sqrt(v + a.eps);
      mean[ch] = mu, varOut[ch] = v, invstd[ch] = is;
      const g = ws ? ws[ch] * is : is, sh = bs ? bs[ch] - mu * g : -mu * g;
      for (let i = 0; i < n; i++) {
        const base = (i * c + ch) * s;
        for (let j = 0; j < s; j++) out[base + j] = xs[base + j] * g + sh;
      }
    }
    return [
      cpuOutput(out, x.shape),
      cpuOutput(mean, [c]),
      cpuOutput(varOut, [c]),
      cpuOutput(invstd, [c]),
    ];
  },
);

registerKernel(
  "BatchNormBackward",
  "cpu",
  ([x, dy, mean, invstd, w], a: { training: boolean; affine: boolean }) => {
    const [n, c] = x.shape;
    const s = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const xs = cpuContiguous(x),
      gs = cpuContiguous(dy),
      ms = cpuContiguous(mean),
      is = cpuContiguous(invstd);
    const ws = a.affine ? cpuContiguous(w) : undefined;
    const dx = cpuAllocF32Overwritten(xs.length),
      dw = new Float32Array(c),
      db = new Float32Array(c);
    const m = n * s;
    for (let ch = 0; ch < c; ch++) {
      const mu = ms[ch], inv = is[ch];
      // Σdy and Σdy·x̂ = inv·Σdy·(x − μ), four accumulators each.
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let i = 0; i < n; i++) {
        const base = (i * c + ch) * s, end = base + s;
        let j = base;
        for (; j + 3 < end; j += 4) {
          const g0 = gs[j], g1 = gs[j + 1], g2 = gs[j + 2], g3 = gs[j + 3];
          a0 += g0, a1 += g1, a2 += g2, a3 += g3;
          b0 += g0 * (xs[j] - mu), b1 += g1 * (xs[j + 1] - mu);
          b2 += g2 * (xs[j + 2] - mu), b3 += g3 * (xs[j + 3] - mu);
        }
        for (; j < end; j++) {
          a0 += gs[j];
          b0 += gs[j] * (xs[j] - mu);
        }
      }
      const sumDy = (a0 + a1) + (a2 + a3), sumDyXhat = ((b0 + b1) + (b2 + b3)) * inv;
      dw[ch] = sumDyXhat;
      db[ch] = sumDy;
      const gamma = ws ? ws[ch] : 1;
      if (a.training) {
        // dx = k·(m·dy − Σdy − x̂·Σdy·x̂) with x̂ = (x − μ)·inv, k = γ·inv / m,
        // as dy·(γ·inv) + (x − μ)·(−k·inv·Σdy·x̂) − k·Σdy: the same terms
        // with the per-channel factors folded (two multiplies and two adds
        // per element instead of four and three), still from x − μ, so a
        // large mean cancels exactly as before.
        const k = gamma * inv / m;
        const cy = gamma * inv, cx = -k * inv * sumDyXhat, c0 = -k * sumDy;
        for (let i = 0; i < n; i++) {
          const base = (i * c + ch) * s;
          for (let j = 0; j < s; j++) {
            dx[base + j] = gs[base + j] * cy + (xs[base + j] - mu) * cx + c0;
          }
        }
      } else {
        const k = gamma * inv;
        for (let i = 0; i < n; i++) {
          const base = (i * c + ch) * s;
          for (let j = 0; j < s; j++) dx[base + j] = k * gs[base + j];
        }
      }
    }
    return [cpuOutput(dx, x.shape), cpuOutput(dw, [c]), cpuOutput(db, [c])];
  },
);

/** Options of `batchNorm`. */
export interface BatchNormFnOptions {
  /** Use batch statistics and update the running ones (default false). */
  training?: boolean;
  /** Running-average factor (default 0.1); a 0-d tensor works too (a cumulative average). */
  momentum?: number | Tensor;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalisation of `[N, C, ...]` per channel, like
 * `torch.nn.functional.batch_norm`: batch statistics in training (updating
 * `runningMean`/`runningVar` in place with the unbiased variance), running
 * statistics otherwise. A fused kernel runs where the backend has one and
 * gradients need not be differentiated again; otherwise an op-by-op form.
 *
 * @param x Input `[N, C, ...]`.
 * @param runningMean `[C]` or null.
 * @param runningVar `[C]` or null.
 * @param weight γ `[C]` or null.
 * @param bias β `[C]` or null.
 * @param options `training`, `momentum`, `eps`.
 * @returns The normalised input.
 * @example
 * ```ts
 * import { batchNorm, tensor } from "@dendrite/tensor";
 * const y = batchNorm(tensor([[1], [3]]), null, null, null, null, { training: true, eps: 0 });
 * console.assert(y.dataSync().join() === "-1,1");
 * ```
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  options: BatchNormFnOptions = {},
): Tensor {
  if (x.dtype !== "float32") {
    throw new DTypeError(`Cannot apply batchNorm() to a ${x.dtype} tensor: expected float32`);
  }
  if (x.ndim < 2) {
    throw new ShapeError(
      `Cannot apply batchNorm() to input ${fmtShape(x.shape)}: expected [N, C, ...]`,
    );
  }
  const training = options.training ?? false,
    eps = options.eps ?? 1e-5,
    momentum = options.momentum ?? 0.1;
  const c = x.shape[1];
  if (!training && (!runningMean || !runningVar)) {
    throw new RangeError("Cannot apply batchNorm() in eval mode without running statistics");
  }
  const affine = weight !== null && bias !== null;
  const inputs = [x, weight, bias, runningMean, runningVar];
  const fused = hasKernel("BatchNorm", x.backend.name) &&
    inputs.every((t) => t === null || t.backend === x.backend);
  const count = x.size / c;
  if (!fused) return composite(x, runningMean, runningVar, weight, bias, training, momentum, eps);
  const dummy = x.detach();
  const [out, mean, biasedVar, invstd] = run(
    "BatchNorm",
    [
      x.detach(),
      weight?.detach() ?? dummy,
      bias?.detach() ?? dummy,
      runningMean ?? dummy,
      runningVar ?? dummy,
    ],
    { training, eps, affine },
  );
  if (training && runningMean && runningVar) {
    const prev = setGradEnabled(false);
    try {
      const keepOld = typeof momentum === "number" ? 1 - momentum : rsub(momentum, 1);
      copy_(runningMean, add(mul(runningMean, keepOld), mul(mean, momentum)));
      copy_(
        runningVar,
        add(
          mul(runningVar, keepOld),
          mul(mul(biasedVar, momentum), count / Math.max(count - 1, 1)),
        ),
      );
    } finally {
      setGradEnabled(prev);
    }
  }
  const recorded = affine ? [x, weight!, bias!] : [x];
  return record("BatchNorm", out, recorded, (dy) => {
    if (isGradEnabled()) {
      throw new Error(
        "Cannot differentiate batchNorm() twice (createGraph): use batchNormComposite(), whose gradient is differentiable",
      );
    }
    const [dx, dw, db] = run("BatchNormBackward", [
      x.detach(),
      dy,
      mean,
      invstd,
      weight?.detach() ?? dummy,
    ], {
      training,
      affine,
    });
    return affine ? [dx, dw, db] : [dx];
  });
}

function composite(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum: number | Tensor,
  eps: number,
): Tensor {
  const c = x.shape[1];
  const axes = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
  const shape = [1, c, ...Array(x.ndim - 2).fill(1)];
  let m: Tensor, v: Tensor;
  if (training) {
    m = meanOp(x, axes, { keepDim: true });
    v = variance(x, axes, { keepDim: true, unbiased: false });
    if (runningMean && runningVar) {
      const n = x.size / c;
      const prev = setGradEnabled(false);
      try {
        const keepOld = typeof momentum === "number" ? 1 - momentum : rsub(momentum, 1);
        copy_(runningMean, add(mul(runningMean, keepOld), mul(reshape(m, [c]), momentum)));
        copy_(
          runningVar,
          add(
            mul(runningVar, keepOld),
            mul(mul(reshape(v, [c]), momentum), n / Math.max(n - 1, 1)),
          ),
        );
      } finally {
        setGradEnabled(prev);
      }
    }
  } else {
    m = reshape(runningMean!, shape);
    v = reshape(runningVar!, shape);
  }
  let y = div(sub(x, m), sqrt(add(v, eps)));
  if (weight) y = mul(y, reshape(weight, shape));
  if (bias) y = add(y, reshape(bias, shape));
  return y;
}

/**
 * The op-by-op batch normalisation (differentiable twice), same contract
 * as {@link batchNorm}.
 *
 * @param x Input `[N, C, ...]`.
 * @param runningMean `[C]` or null.
 * @param runningVar `[C]` or null.
 * @param weight γ or null.
 * @param bias β or null.
 * @param options `training`, `momentum`, `eps`.
 * @returns The normalised input.
 * @example
 * ```ts
 * import { batchNormComposite, tensor } from "@dendrite/tensor";
 * const y = batchNormComposite(tensor([[1], [3]]), null, null, null, null, { training: true, eps: 0 });
 * console.assert(y.dataSync().join() === "-1,1");
 * ```
 */
export function batchNormComposite(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  options: BatchNormFnOptions = {},
): Tensor {
  return composite(
    x,
    runningMean,
    runningVar,
    weight,
    bias,
    options.training ?? false,
    options.momentum ?? 0.1,
    options.eps ?? 1e-5,
  );
}
