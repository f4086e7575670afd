/**
 * Classification losses: `crossEntropy`, `nllLoss`, `binaryCrossEntropy`,
 * `binaryCrossEntropyWithLogits`, `klDiv`, `multiMarginLoss`,
 * `softMarginLoss`, `distillationLoss`, `zeroOneLoss`.
 *
 * @module
 */
import {
  arange,
  cast,
  clamp,
  DTypeError,
  exp,
  fmtShape,
  gather,
  indexSelect,
  log,
  log1p,
  logSigmoid,
  logSoftmax,
  maximum,
  permute,
  reshape,
  ShapeError,
  softmax,
  type Tensor,
  where,
} from "@dendrite/tensor";
import { type LossOptions, reduceLoss, type Reduction, sameShape } from "./reduce.ts";

/** Options of `crossEntropy` and `nllLoss`. */
export interface ClassLossOptions extends LossOptions {
  /** A weight per class `[C]`. */
  weight?: Tensor;
  /** Targets equal to this index are ignored (default -100). */
  ignoreIndex?: number;
}

/** `[N, C, d...]` -> `[N·d..., C]` with the class axis last. */
function classLast(x: Tensor): Tensor {
  if (x.ndim <= 2) return x.ndim === 1 ? reshape(x, [1, x.shape[0]]) : x;
  const perm = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1];
  return reshape(permute(x, perm), [-1, x.shape[1]]);
}

function checkTargets(target: Tensor, c: number, ignore: number, op: string): void {
  if (!target.backend.readSync) return; // validated on the host only where reads are free
  const t = target.dataSync();
  for (const v of t) {
    if ((v < 0 || v >= c) && v !== ignore) {
      throw new RangeError(
        `Cannot compute ${op}() with target class ${v}: expected classes in [0, ${
          c - 1
        }] (or ignoreIndex ${ignore})`,
      );
    }
  }
}

/**
 * Negative log-likelihood of log-probabilities: `−w[y]·logp[y]`, averaged
 * over the summed weights of non-ignored targets (PyTorch's rule).
 *
 * @param logProbs `[N, C]` or `[N, C, d...]` log-probabilities.
 * @param target int32 class indices `[N]` or `[N, d...]`.
 * @param options `weight`, `ignoreIndex` (-100), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { nllLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const lp = tensor([[-0.1, -2.3], [-1.2, -0.4]]);
 * console.assert(Math.abs((nllLoss(lp, tensor(new Int32Array([0, 1]))).itemSync() as number) - 0.25) < 1e-6);
 * ```
 */
export function nllLoss(logProbs: Tensor, target: Tensor, options: ClassLossOptions = {}): Tensor {
  return pickLoss(logProbs, target, options, "nllLoss", 0);
}

function pickLoss(
  logp: Tensor,
  target: Tensor,
  options: ClassLossOptions,
  op: string,
  smoothing: number,
): Tensor {
  if (target.dtype !== "int32") {
    throw new DTypeError(
      `Cannot compute ${op}() with a ${target.dtype} target: expected int32 class indices`,
    );
  }
  const c = logp.ndim === 1 ? logp.shape[0] : logp.shape[1];
  const want = logp.ndim === 1 ? [] : [logp.shape[0], ...logp.shape.slice(2)];
  if (target.shape.join() !== want.join()) {
    throw new ShapeError(
      `Cannot compute ${op}() of input ${fmtShape(logp.shape)} with target ${
        fmtShape(target.shape)
      }: expected target ${fmtShape(want)}`,
    );
  }
  if (options.weight && (options.weight.ndim !== 1 || options.weight.shape[0] !== c)) {
    throw new ShapeError(
      `Cannot compute ${op}() with weight ${fmtShape(options.weight.shape)}: expected [${c}]`,
    );
  }
  const ignore = options.ignoreIndex ?? -100;
  checkTargets(target, c, ignore, op);
  const lp = classLast(logp);
  const t = reshape(target, [-1]);
  const valid = t.ne(ignore);
  const safe = cast(where(valid, t, 0), "int32");
  const picked = reshape(gather(lp, 1, reshape(safe, [-1, 1])), [-1]).neg();
  const w = options.weight ? indexSelect(options.weight, 0, safe) : undefined;
  const wv = w ? where(valid, w, 0) : cast(valid, "float32");
  let loss = picked.mul(wv);
  if (smoothing > 0) {
    const all = options.weight ? lp.mul(options.weight) : lp;
    const smooth = all.sum(1).neg().div(c).mul(cast(valid, "float32"));
    loss = loss.mul(1 - smoothing).add(smooth.mul(smoothing));
  }
  const reduction: Reduction = options.reduction ?? "mean";
  if (reduction === "none") return reshape(loss, target.shape);
  if (reduction === "sum") return loss.sum();
  if (reduction !== "mean") return reduceLoss(loss, reduction, op);
  // When every target is ignored (or weighs 0), the mean is 0/0 = NaN, as in
  // PyTorch, whose gradient is then 0, not NaN: divide by 1 there and add
  // the NaN as a constant.
  const total = wv.sum(), none = total.eq(0);
  return loss.sum().div(where(none, 1, total)).add(where(none, NaN, 0));
}

/**
 * Cross-entropy of logits against class indices (int32) or class
 * probabilities (float32, same shape as the input), with class weights,
 * `ignoreIndex` and label smoothing, exactly as `torch.nn.functional.cross_entropy`.
 *
 * @param input Logits `[N, C]` or `[N, C, d...]`.
 * @param target int32 indices `[N, d...]`, or probabilities shaped like `input`.
 * @param options `weight`, `ignoreIndex` (-100), `labelSmoothing` (0), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { crossEntropy } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const logits = tensor([[2, 0, 0], [0, 0, 0]]);
 * const loss = crossEntropy(logits, tensor(new Int32Array([0, 2])));
 * console.assert(Math.abs((loss.itemSync() as number) - 0.6691) < 1e-4);
 * ```
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  options: ClassLossOptions & { labelSmoothing?: number } = {},
): Tensor {
  const eps = options.labelSmoothing ?? 0;
  if (eps < 0 || eps > 1) {
    throw new RangeError(
      `Cannot compute crossEntropy() with labelSmoothing ${eps}: expected a value in [0, 1]`,
    );
  }
  if (input.ndim === 0) {
    throw new ShapeError(
      `Cannot compute crossEntropy() of input ${fmtShape(input.shape)}: expected [N, C] or [C]`,
    );
  }
  const axis = input.ndim === 1 ? 0 : 1;
  const logp = logSoftmax(input, axis);
  if (target.dtype === "int32") return pickLoss(logp, target, options, "crossEntropy", eps);
  sameShape(input, target, "crossEntropy");
  const c = input.shape[axis];
  let t = eps > 0 ? target.mul(1 - eps).add(eps / c) : target;
  if (options.weight) {
    const wshape = input.shape.map((d, i) => (i === axis ? d : 1));
    t = t.mul(reshape(options.weight, wshape));
  }
  const per = logp.mul(t).sum(axis).neg();
  return reduceLoss(per, options.reduction, "crossEntropy");
}

/**
 * Binary cross-entropy of probabilities: `−w·(t·log x + (1 − t)·log(1 − x))`,
 * logs clamped at −100 as in PyTorch.
 *
 * @param input Probabilities in [0, 1].
 * @param target Targets in [0, 1], same shape.
 * @param options `weight` (broadcast), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { binaryCrossEntropy } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(Math.abs((binaryCrossEntropy(tensor([0.5]), tensor([1])).itemSync() as number) - Math.LN2) < 1e-6);
 * ```
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { weight?: Tensor } = {},
): Tensor {
  sameShape(input, target, "binaryCrossEntropy");
  if (input.backend.readSync) {
    const d = input.dataSync();
    for (const v of d) {
      if (!(v >= 0 && v <= 1)) {
        throw new RangeError(
          `Cannot compute binaryCrossEntropy() of input value ${v}: expected probabilities in [0, 1] (use binaryCrossEntropyWithLogits for logits)`,
        );
      }
    }
  }
  const lx = clamp(log(input), { min: -100 });
  const l1x = clamp(log(input.rsub(1)), { min: -100 });
  let loss = target.mul(lx).add(target.rsub(1).mul(l1x)).neg();
  if (options.weight) loss = loss.mul(options.weight);
  return reduceLoss(loss, options.reduction, "binaryCrossEntropy");
}

/**
 * Binary cross-entropy of logits, computed stably:
 * `(1 − t)·x + (1 + (pw − 1)·t)·(log(1 + e^(−|x|)) + max(−x, 0))`.
 *
 * @param input Logits.
 * @param target Targets in [0, 1], same shape.
 * @param options `posWeight` (per class, broadcast), `weight`, `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { binaryCrossEntropyWithLogits } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(Math.abs((binaryCrossEntropyWithLogits(tensor([0]), tensor([1])).itemSync() as number) - Math.LN2) < 1e-6);
 * ```
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { weight?: Tensor; posWeight?: Tensor } = {},
): Tensor {
  sameShape(input, target, "binaryCrossEntropyWithLogits");
  const softTerm = log1p(exp(input.abs().neg())).add(maximum(input.neg(), 0));
  const coef = options.posWeight ? target.mul(options.posWeight.sub(1)).add(1) : undefined;
  let loss = target.rsub(1).mul(input).add(coef ? coef.mul(softTerm) : softTerm);
  if (options.weight) loss = loss.mul(options.weight);
  return reduceLoss(loss, options.reduction, "binaryCrossEntropyWithLogits");
}

/**
 * Kullback-Leibler divergence with log-probability inputs:
 * `target·(log target − input)` (0 where target is 0), or with `logTarget`
 * `e^target·(target − input)`. Use `reduction: "batchmean"` for the true KL.
 *
 * @param input Log-probabilities.
 * @param target Probabilities (or log-probabilities with `logTarget`).
 * @param options `logTarget` (false), `reduction` ("mean" | "batchmean" | "sum" | "none").
 * @returns The divergence.
 * @example
 * ```ts
 * import { klDiv } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const p = tensor([[0.5, 0.5]]);
 * console.assert(klDiv(p.log(), p, { reduction: "batchmean" }).itemSync() === 0);
 * ```
 */
export function klDiv(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {},
): Tensor {
  sameShape(input, target, "klDiv");
  const loss = options.logTarget
    ? exp(target).mul(target.sub(input))
    : where(target.gt(0), target.mul(log(where(target.gt(0), target, 1)).sub(input)), 0);
  if (options.reduction === "batchmean") {
    return loss.sum().div(input.ndim > 0 ? input.shape[0] : 1);
  }
  return reduceLoss(loss, options.reduction, "klDiv");
}

/**
 * Multi-class hinge loss (the multiclass SVM):
 * `Σ_{j≠y} max(0, margin − x[y] + x[j])^p / C`, weighted by `weight[y]`.
 *
 * @param input Scores `[N, C]`.
 * @param target int32 classes `[N]`.
 * @param options `p` (1 or 2), `margin` (1), `weight`, `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { multiMarginLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const l = multiMarginLoss(tensor([[0.1, 0.2, 0.4, 0.8]]), tensor(new Int32Array([3])));
 * console.assert(Math.abs((l.itemSync() as number) - 0.325) < 1e-6);
 * ```
 */
export function multiMarginLoss(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { p?: 1 | 2; margin?: number; weight?: Tensor } = {},
): Tensor {
  if (input.ndim !== 2 || target.ndim !== 1 || target.shape[0] !== input.shape[0]) {
    throw new ShapeError(
      `Cannot compute multiMarginLoss() of input ${fmtShape(input.shape)} and target ${
        fmtShape(target.shape)
      }: expected [N, C] and [N]`,
    );
  }
  const p = options.p ?? 1;
  if (p !== 1 && p !== 2) {
    throw new RangeError(`Cannot compute multiMarginLoss() with p ${p}: expected 1 or 2`);
  }
  const [, c] = input.shape;
  checkTargets(target, c, -Infinity, "multiMarginLoss");
  const idx = reshape(target, [-1, 1]);
  const xy = gather(input, 1, idx);
  let m = maximum(input.sub(xy).add(options.margin ?? 1), 0);
  if (p === 2) m = m.square();
  const notY = idx.ne(reshape(arange(c, undefined, { backend: input.backend.name }), [1, c]));
  m = where(notY, m, 0);
  let per = m.sum(1).div(c);
  if (options.weight) per = per.mul(indexSelect(options.weight, 0, target));
  return reduceLoss(per, options.reduction, "multiMarginLoss");
}

/**
 * Two-class logistic loss `log(1 + e^(−y·x))` for labels ±1.
 *
 * @param input Scores.
 * @param target Labels ±1, same shape.
 * @param options `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { softMarginLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(Math.abs((softMarginLoss(tensor([0]), tensor([1])).itemSync() as number) - Math.LN2) < 1e-6);
 * ```
 */
export function softMarginLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  sameShape(input, target, "softMarginLoss");
  return reduceLoss(log1p(exp(target.mul(input).neg())), options.reduction, "softMarginLoss");
}

/**
 * Multi-label one-versus-all loss, like
 * `torch.nn.functional.multilabel_soft_margin_loss`: per sample,
 * `−mean_c w_c·(y_c·log σ(x_c) + (1 − y_c)·log σ(−x_c))`.
 *
 * @param input Logits `[N, C]`.
 * @param target Labels in {0, 1} (or probabilities), `[N, C]`.
 * @param options `weight` `[C]`, `reduction` ("mean").
 * @returns The loss.
 * @example
 * ```ts
 * import { multiLabelSoftMarginLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const l = multiLabelSoftMarginLoss(tensor([[0, 0]]), tensor([[1, 0]]));
 * console.assert(Math.abs((l.itemSync() as number) - Math.LN2) < 1e-6);
 * ```
 */
export function multiLabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { weight?: Tensor } = {},
): Tensor {
  sameShape(input, target, "multiLabelSoftMarginLoss");
  if (input.ndim !== 2) {
    throw new ShapeError(
      `Cannot compute multiLabelSoftMarginLoss() of input ${
        fmtShape(input.shape)
      }: expected [N, C]`,
    );
  }
  let per = target.mul(logSigmoid(input)).add(target.rsub(1).mul(logSigmoid(input.neg()))).neg();
  if (options.weight) per = per.mul(options.weight);
  return reduceLoss(per.mean(1), options.reduction, "multiLabelSoftMarginLoss");
}

/**
 * Knowledge-distillation loss (Hinton et al.):
 * `α·CE(student, y) + (1 − α)·T²·KL(softmax(teacher/T) ‖ softmax(student/T))`
 * with the KL term averaged over the batch.
 *
 * @param student Student logits `[N, C]`.
 * @param teacher Teacher logits `[N, C]` (treated as constants).
 * @param target int32 hard labels `[N]`.
 * @param options `temperature` (4), `alpha` (0.5).
 * @returns The loss.
 * @example
 * ```ts
 * import { distillationLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const s = tensor([[1, 2, 0]]), t = tensor([[1, 2, 0]]);
 * const l = distillationLoss(s, t, tensor(new Int32Array([1])), { alpha: 0 });
 * console.assert(Math.abs(l.itemSync() as number) < 1e-5);
 * ```
 */
export function distillationLoss(
  student: Tensor,
  teacher: Tensor,
  target: Tensor,
  options: { temperature?: number; alpha?: number } = {},
): Tensor {
  sameShape(student, teacher, "distillationLoss");
  const T = options.temperature ?? 4;
  const alpha = options.alpha ?? 0.5;
  if (!(T > 0)) {
    throw new RangeError(`Cannot compute distillationLoss() with temperature ${T}: expected T > 0`);
  }
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new RangeError(
      `Cannot compute distillationLoss() with alpha ${alpha}: expected a value in [0, 1]`,
    );
  }
  const hard = crossEntropy(student, target);
  const soft = klDiv(logSoftmax(student.div(T), 1), softmax(teacher.detach().div(T), 1), {
    reduction: "batchmean",
  });
  return hard.mul(alpha).add(soft.mul((1 - alpha) * T * T));
}

/**
 * The 0-1 loss: the fraction of misclassified rows (a metric; not differentiable).
 *
 * @param input Scores `[N, C]`.
 * @param target int32 classes `[N]`.
 * @returns A 0-d tensor in [0, 1].
 * @example
 * ```ts
 * import { zeroOneLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(zeroOneLoss(tensor([[1, 0], [1, 0]]), tensor(new Int32Array([0, 1]))).itemSync() === 0.5);
 * ```
 */
export function zeroOneLoss(input: Tensor, target: Tensor): Tensor {
  return cast(input.argmax(1).ne(target), "float32").mean().detach();
}
