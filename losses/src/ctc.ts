/**
 * Connectionist temporal classification (Graves et al.), like
 * `torch.nn.functional.ctc_loss`: the negative log-likelihood of a target
 * sequence summed over every alignment of it (with blanks and repeats) to
 * the input frames.
 *
 * The forward (alpha) recursion runs over time in log space on `[N, 2S + 1]`
 * tensors built from existing ops, so both backends run it and the gradient
 * comes from autograd; states no alignment reaches stay at −∞ with a zero
 * gradient.
 *
 * @module
 */
import {
  BackendError,
  cat,
  defineBinaryOp,
  exp,
  fmtShape,
  fromTypedArray,
  full,
  gather,
  log,
  maximum,
  narrow,
  reshape,
  ShapeError,
  type Tensor,
  where,
} from "@dendrite/tensor";
import { type LossOptions, reduceLoss } from "./reduce.ts";

/**
 * `a` itself, with the gradient NaN where `infinite` is 1: PyTorch's
 * gradient of an infinite CTC loss (without `zeroInfinity`) is NaN, so a
 * training step shows it; finite losses' gradients pass unchanged.
 */
const NanGradientWhere = defineBinaryOp({
  name: "CtcNanGradientWhere",
  cpu: (a) => a,
  wgsl: "a",
  vjp: (dy, _a, infinite) => [dy.mul(where(infinite.gt(0.5), NaN, 1)), null],
});

/** Options of `ctcLoss`. */
export interface CtcOptions extends LossOptions {
  /** The blank class (default 0). */
  blank?: number;
  /** Turn infinite losses (targets longer than their input allows) and their gradients into 0 (default false). */
  zeroInfinity?: boolean;
}

/** log(exp a + exp b + exp c), −∞ when all are −∞, with a zero gradient there. */
function logAddExp3(a: Tensor, b: Tensor, c: Tensor): Tensor {
  const m = maximum(maximum(a, b), c).detach();
  const finite = m.gt(-Infinity);
  const ms = where(finite, m, 0);
  const s = exp(a.sub(ms)).add(exp(b.sub(ms))).add(exp(c.sub(ms)));
  const safe = where(finite, s, 1);
  return where(finite, log(safe).add(ms), -Infinity);
}

/** Lengths as numbers (a tensor is read; lengths are small metadata). */
function lengths(v: Tensor | readonly number[], n: number, what: string): number[] {
  const out = Array.isArray(v) ? [...v] : [...(v as Tensor).dataSync()].map(Number);
  if (out.length !== n || out.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new ShapeError(
      `Cannot compute ctcLoss() with ${what} [${
        out.join(", ")
      }]: expected ${n} non-negative integers`,
    );
  }
  return out;
}

/**
 * CTC loss of log-probabilities `[T, N, C]` (e.g. `logSoftmax` over C)
 * against padded targets `[N, S]` (int32, no blanks), with each sample's
 * input and target lengths. Reductions as PyTorch: "mean" divides each
 * loss by its target length, then averages over the batch.
 *
 * @param logProbs `[T, N, C]` log-probabilities.
 * @param targets `[N, S]` int32 class indices (padding ignored), on a backend that reads synchronously (the CPU).
 * @param inputLengths Frames per sample (at most T).
 * @param targetLengths Target length per sample (at most S).
 * @param options `blank` (0), `reduction` ("mean"), `zeroInfinity` (false).
 * @returns The loss.
 * @example
 * ```ts
 * import { ctcLoss } from "@dendrite/losses";
 * import { logSoftmax, tensor, zeros } from "@dendrite/tensor";
 * // Two frames of uniform predictions over {blank, a}: target "a" has 3 alignments of 4.
 * const lp = logSoftmax(zeros([2, 1, 2]), 2);
 * const l = ctcLoss(lp, tensor(new Int32Array([1]), { shape: [1, 1] }), [2], [1], { reduction: "sum" });
 * console.assert(Math.abs((l.itemSync() as number) + Math.log(3 / 4)) < 1e-5);
 * ```
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Tensor | readonly number[],
  targetLengths: Tensor | readonly number[],
  options: CtcOptions = {},
): Tensor {
  if (logProbs.ndim !== 3 || targets.ndim !== 2 || targets.shape[0] !== logProbs.shape[1]) {
    throw new ShapeError(
      `Cannot compute ctcLoss() of log-probabilities ${fmtShape(logProbs.shape)} with targets ${
        fmtShape(targets.shape)
      }: expected [T, N, C] and [N, S]`,
    );
  }
  const [T, N, C] = logProbs.shape, S = targets.shape[1];
  const blank = options.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) {
    throw new RangeError(
      `Cannot compute ctcLoss() with blank ${blank}: expected a class in [0, ${C})`,
    );
  }
  const inLen = lengths(inputLengths, N, "inputLengths");
  const tgLen = lengths(targetLengths, N, "targetLengths");
  if (inLen.some((l) => l > T) || tgLen.some((l) => l > S)) {
    throw new ShapeError(
      `Cannot compute ctcLoss() with inputLengths [${inLen}] and targetLengths [${tgLen}]: expected at most ${T} and ${S}`,
    );
  }
  // The extended targets l' (blank, l1, blank, l2, ..., blank), read once.
  const L = 2 * S + 1;
  if (!targets.backend.readSync) {
    throw new BackendError(
      `Cannot compute ctcLoss() with targets on backend "${targets.backend.name}": the alignment is built from their values, so keep them on the CPU (await targets.to("cpu"))`,
    );
  }
  const tg = targets.dataSync();
  const ext = new Int32Array(N * L).fill(blank);
  const skip = new Uint8Array(N * L);
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < tgLen[n]; s++) {
      const c = tg[n * S + s];
      if (c < 0 || c >= C || c === blank) {
        throw new RangeError(
          `Cannot compute ctcLoss() with target class ${c} (sample ${n}): expected classes in [0, ${C}) other than the blank ${blank}`,
        );
      }
      ext[n * L + 2 * s + 1] = c;
      // A label may follow the previous label directly (skipping the blank) unless it repeats.
      if (s > 0 && tg[n * S + s - 1] !== c) skip[n * L + 2 * s + 1] = 1;
    }
  }
  const be = { backend: logProbs.backend.name };
  const idx = fromTypedArray(ext, [1, N, L], be);
  // Emissions E[t, n, s] = logProbs[t, n, l'_s].
  const E = gather(logProbs, 2, idx.expand([T, N, L]));
  const canSkip = fromTypedArray(skip, [N, L], be);
  const start = new Uint8Array(N * L);
  for (let n = 0; n < N; n++) {
    start[n * L] = 1;
    if (tgLen[n] > 0) start[n * L + 1] = 1;
  }
  // The −∞ columns the shifted alphas start with, made once.
  const ninf1 = full([N, 1], -Infinity, be), ninf2 = full([N, 2], -Infinity, be);
  const noSkip = full([N, L], -Infinity, be);
  let alpha = where(
    fromTypedArray(start, [N, L], be),
    reshape(narrow(E, 0, 0, 1), [N, L]),
    -Infinity,
  );
  const lastFrame = fromTypedArray(Int32Array.from(inLen), [N, 1], be);
  for (let t = 1; t < T; t++) {
    // alpha moved one and two states along (the first states have no predecessor).
    const from1 = cat([ninf1, narrow(alpha, 1, 0, L - 1)], 1);
    const from2 = L > 2
      ? where(canSkip, cat([ninf2, narrow(alpha, 1, 0, L - 2)], 1), -Infinity)
      : noSkip;
    const next = logAddExp3(alpha, from1, from2).add(reshape(narrow(E, 0, t, 1), [N, L]));
    // Samples whose input has ended keep their alphas.
    alpha = where(lastFrame.gt(t), next, alpha);
  }
  // End in the last label or the blank after it.
  const endIdx = new Int32Array(N * 2);
  for (let n = 0; n < N; n++) {
    endIdx[2 * n] = 2 * tgLen[n];
    endIdx[2 * n + 1] = tgLen[n] > 0 ? 2 * tgLen[n] - 1 : 2 * tgLen[n];
  }
  const ends = gather(alpha, 1, fromTypedArray(endIdx, [N, 2], be));
  const e0 = narrow(ends, 1, 0, 1), e1 = narrow(ends, 1, 1, 1);
  const same = fromTypedArray(Uint8Array.from(tgLen.map((l) => (l === 0 ? 1 : 0))), [N, 1], be);
  let loss = logAddExp3(e0, where(same, -Infinity, e1), ninf1).neg().reshape([N]);
  const infinite = loss.eq(Infinity);
  if (options.zeroInfinity) loss = where(infinite, 0, loss);
  else {
    // PyTorch's gradient of an infinite loss is NaN over the sample's frames
    // (our recursion gives 0 there): add 0 whose gradient is NaN for them.
    const frames = new Uint8Array(T * N);
    for (let t = 0; t < T; t++) {
      for (let n = 0; n < N; n++) {
        frames[t * N + n] = t < inLen[n] ? 1 : 0;
      }
    }
    const inside = fromTypedArray(frames, [T, N, 1], be);
    const zero = where(inside, logProbs, 0).sum([0, 2]).mul(0);
    loss = loss.add(NanGradientWhere.apply(zero, infinite.cast("float32")));
  }
  const reduction = options.reduction ?? "mean";
  if (reduction === "mean") {
    const div = fromTypedArray(Float32Array.from(tgLen.map((l) => Math.max(l, 1))), [N], be);
    return loss.div(div).mean();
  }
  return reduceLoss(loss, reduction, "ctcLoss");
}
