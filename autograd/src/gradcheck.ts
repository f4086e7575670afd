/**
 * Numeric gradient checks: `gradcheck` compares autograd's gradients with
 * central differences; `gradgradcheck` does the same for the gradients'
 * own gradients (double backward).
 *
 * @module
 */
import { fmtShape, fromTypedArray, gradScope, mul, noGradScope, sum, type Tensor } from "./deps.ts";
import { gradients } from "./engine.ts";

/** Tolerances and step of the numeric check. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-3). */
  eps?: number;
  /** Absolute tolerance (default 1e-3, fitting float32 kernels). */
  atol?: number;
  /** Relative tolerance (default 1e-2). */
  rtol?: number;
  /** Seed of the random output projection (default 0). */
  seed?: number;
}

function lcg(seed: number): () => number {
  let s = (seed * 2654435761 + 12345) >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 * 2 - 1;
  };
}

function checkPositive(v: number, name: string, op: string, strict: boolean): void {
  if (!(Number.isFinite(v) && (strict ? v > 0 : v >= 0))) {
    throw new RangeError(
      `Cannot run ${op}() with ${name} ${v}: expected a ${
        strict ? "positive" : "non-negative"
      } finite number`,
    );
  }
}

function noInputError(inputs: Tensor[], op: string): Error {
  return new Error(
    `Cannot run ${op}(): none of the ${inputs.length} inputs requires grad; mark the ones to check with requiresGrad`,
  );
}

function check(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions,
  op: string,
): true {
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 1e-3;
  const rtol = options.rtol ?? 1e-2;
  checkPositive(eps, "eps", op, true);
  checkPositive(atol, "atol", op, false);
  checkPositive(rtol, "rtol", op, false);
  const rand = lcg(options.seed ?? 0);
  const checked = inputs.map((t, i) => ({ t, i })).filter(({ t }) => t.requiresGrad);
  if (checked.length === 0) throw noInputError(inputs, op);
  const base = [...inputs];
  // Recording stays on even when the check runs inside noGrad().
  const y0 = gradScope(() => fn(...inputs));
  const r = fromTypedArray(
    Float32Array.from({ length: y0.size }, () => rand()),
    y0.shape,
    { backend: y0.backend.name },
  );
  // An output that does not depend differentiably on the inputs (e.g. the
  // gradient of a piecewise-linear function) has an all-zero derivative.
  const proj = gradScope(() => sum(mul(y0, r)));
  const analytic = proj.requiresGrad
    ? gradients(proj, checked.map((c) => c.t), { allowUnused: true })
    : checked.map((c) => mul(c.t.detach(), 0));
  // Inputs keep requiresGrad so that functions which differentiate
  // internally (gradgradcheck) see the same graph as the analytic pass.
  const evalAt = (xs: Tensor[]): number =>
    gradScope(() => Number(sum(mul(fn(...xs), r)).itemSync()));
  checked.forEach(({ t, i }, ci) => {
    const data = Float32Array.from(t.dataSync() as Float32Array);
    const got = analytic[ci].dataSync();
    for (let k = 0; k < data.length; k++) {
      const orig = data[k];
      const plus = Math.fround(orig + eps), minus = Math.fround(orig - eps);
      const xs = [...base];
      data[k] = plus;
      xs[i] = fromTypedArray(data, t.shape, { backend: t.backend.name, requiresGrad: true });
      const fp = evalAt(xs);
      data[k] = minus;
      xs[i] = fromTypedArray(data, t.shape, { backend: t.backend.name, requiresGrad: true });
      const fm = evalAt(xs);
      data[k] = orig;
      const numeric = (fp - fm) / (plus - minus);
      const a = got[k];
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        throw new Error(
          `${op}() failed for input ${i} (shape ${
            fmtShape(t.shape)
          }) at flat index ${k}: analytic ${a}, numeric ${numeric} (atol ${atol}, rtol ${rtol})`,
        );
      }
    }
  });
  return true;
}

/**
 * Checks the gradients of `fn` at `inputs` against central differences. The
 * output is projected on a fixed random tensor `r` (checking `Jᵀr`); each
 * float32 input that requires grad is perturbed element by element, and the
 * differences are taken in float64 over the actually representable steps.
 * An element passes when `|analytic − numeric| ≤ atol + rtol·|numeric|`.
 *
 * @param fn A function of the inputs returning a tensor of any shape.
 * @param inputs Inputs; those with `requiresGrad` are checked, the others
 * are passed through unchanged.
 * @param options `eps` (step), `atol`, `rtol`, `seed` (of the projection).
 * @returns True; throws an `Error` naming the input, its shape and the flat
 * index of the first mismatch otherwise.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { gradcheck } from "@dendrite/autograd";
 * const x = tensor([0.5, -1.5, 2], { requiresGrad: true });
 * console.assert(gradcheck((x) => x.mul(x).exp(), [x]));
 * ```
 */
export function gradcheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): true {
  return check(fn, inputs, options, "gradcheck");
}

/**
 * Checks second derivatives: the gradient of `⟨∇⟨fn(x), r⟩, v⟩` with
 * respect to the inputs (fixed random `r` and `v`), computed with
 * `createGraph`, against central differences of the first gradient.
 *
 * @param fn A function of the inputs returning a tensor of any shape.
 * @param inputs Inputs; those with `requiresGrad` are checked.
 * @param options `eps`, `atol`, `rtol`, `seed`.
 * @returns True; throws an `Error` naming the input and flat index of the
 * first mismatch otherwise.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { gradgradcheck } from "@dendrite/autograd";
 * const x = tensor([0.5, -1.5, 2], { requiresGrad: true });
 * console.assert(gradgradcheck((x) => x.mul(x).mul(x), [x]));
 * ```
 */
export function gradgradcheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): true {
  const diff = inputs.filter((t) => t.requiresGrad);
  if (diff.length === 0) throw noInputError(inputs, "gradgradcheck");
  const rand = lcg((options.seed ?? 0) + 7);
  const y0 = noGradScope(() => fn(...inputs));
  const r = fromTypedArray(Float32Array.from({ length: y0.size }, () => rand()), y0.shape, {
    backend: y0.backend.name,
  });
  const vs = diff.map((t) =>
    fromTypedArray(Float32Array.from({ length: t.size }, () => rand()), t.shape, {
      backend: t.backend.name,
    })
  );
  const second = (...xs: Tensor[]): Tensor => {
    const ds = xs.filter((_, i) => inputs[i].requiresGrad);
    const y = sum(mul(fn(...xs), r));
    if (!y.requiresGrad) return mul(sum(ds[0].detach()), 0);
    const gs = gradients(y, ds, { createGraph: true, allowUnused: true });
    let total: Tensor | undefined;
    gs.forEach((g, j) => {
      const term = sum(mul(g, vs[j]));
      total = total ? total.add(term) : term;
    });
    return total!;
  };
  return check(second, inputs, options, "gradgradcheck");
}
