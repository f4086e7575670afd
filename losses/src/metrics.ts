/**
 * Classification metrics: `accuracy`, `topKAccuracy`, `confusionMatrix`,
 * `precisionRecallF1`, and `RunningAverage` for epoch statistics.
 *
 * @module
 */
import { BackendError, fmtShape, ShapeError, type Tensor } from "@dendrite/tensor";

/** Reads a tensor for a metric; metrics count on the CPU and return plain numbers. */
function values(t: Tensor, op: string): ArrayLike<number> {
  if (t.backend.name !== "cpu") {
    throw new BackendError(
      `Cannot compute ${op}() from a tensor on backend "${t.backend.name}": metrics read values synchronously; move it first with await t.to("cpu")`,
    );
  }
  return t.dataSync();
}

function labelsOf(pred: Tensor, op: string): Int32Array {
  const p = pred.ndim === 2 ? pred.argmax(1) : pred;
  return Int32Array.from(values(p, op));
}

function checkPairs(pred: Tensor, target: Tensor, op: string): void {
  const n = pred.ndim === 2 ? pred.shape[0] : pred.size;
  if (target.ndim !== 1 || target.shape[0] !== n) {
    throw new ShapeError(
      `Cannot compute ${op}() of predictions ${fmtShape(pred.shape)} and targets ${
        fmtShape(target.shape)
      }: expected [N, C] or [N] and [N]`,
    );
  }
}

/**
 * Fraction of correct predictions.
 *
 * @param pred Scores `[N, C]` (argmax is taken) or predicted labels `[N]`.
 * @param target Labels `[N]`.
 * @returns Accuracy in [0, 1].
 * @example
 * ```ts
 * import { accuracy } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(accuracy(tensor([[0.9, 0.1], [0.2, 0.8]]), tensor(new Int32Array([0, 0]))) === 0.5);
 * ```
 */
export function accuracy(pred: Tensor, target: Tensor): number {
  checkPairs(pred, target, "accuracy");
  const p = labelsOf(pred, "accuracy"), t = values(target, "accuracy");
  let ok = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) ok++;
  return p.length ? ok / p.length : 0;
}

/**
 * Fraction of rows whose target is among the `k` highest scores (top-1, top-5).
 *
 * @param scores `[N, C]`.
 * @param target Labels `[N]`.
 * @param k How many top scores count (default 5).
 * @returns Accuracy in [0, 1].
 * @example
 * ```ts
 * import { topKAccuracy } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(topKAccuracy(tensor([[0.1, 0.5, 0.4]]), tensor(new Int32Array([2])), 2) === 1);
 * ```
 */
export function topKAccuracy(scores: Tensor, target: Tensor, k = 5): number {
  if (scores.ndim !== 2) {
    throw new ShapeError(
      `Cannot compute topKAccuracy() of scores ${fmtShape(scores.shape)}: expected [N, C]`,
    );
  }
  checkPairs(scores, target, "topKAccuracy");
  const [n, c] = scores.shape;
  if (!Number.isInteger(k) || k < 1 || k > c) {
    throw new RangeError(
      `Cannot compute topKAccuracy() with k ${k}: expected an integer in [1, ${c}]`,
    );
  }
  const s = values(scores, "topKAccuracy"), t = values(target, "topKAccuracy");
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const v = s[i * c + t[i]];
    let higher = 0;
    for (let j = 0; j < c; j++) {
      const u = s[i * c + j];
      if (u > v || (u === v && j < t[i])) higher++;
    }
    if (higher < k) ok++;
  }
  return n ? ok / n : 0;
}

/**
 * Confusion matrix: rows are true classes, columns predicted classes.
 *
 * @param pred Scores `[N, C]` or labels `[N]`.
 * @param target Labels `[N]`.
 * @param numClasses Number of classes.
 * @returns `numClasses × numClasses` counts.
 * @example
 * ```ts
 * import { confusionMatrix } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const m = confusionMatrix(tensor(new Int32Array([0, 1, 1])), tensor(new Int32Array([0, 0, 1])), 2);
 * console.assert(JSON.stringify(m) === "[[1,1],[0,1]]");
 * ```
 */
export function confusionMatrix(pred: Tensor, target: Tensor, numClasses: number): number[][] {
  checkPairs(pred, target, "confusionMatrix");
  const p = labelsOf(pred, "confusionMatrix"), t = values(target, "confusionMatrix");
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < p.length; i++) {
    if (t[i] < 0 || t[i] >= numClasses || p[i] < 0 || p[i] >= numClasses) {
      throw new RangeError(
        `Cannot count class ${
          t[i] < 0 || t[i] >= numClasses ? t[i] : p[i]
        } in confusionMatrix() with ${numClasses} classes`,
      );
    }
    m[t[i]][p[i]]++;
  }
  return m;
}

/** Precision, recall and F1: per class, macro-averaged and micro-averaged. */
export interface PrecisionRecallF1 {
  /** Per class. */
  perClass: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  /** Unweighted means over classes. */
  macro: { precision: number; recall: number; f1: number };
  /** From the pooled counts (equals accuracy for single-label data). */
  micro: { precision: number; recall: number; f1: number };
}

/**
 * Precision, recall and F1 per class, macro- and micro-averaged (0 where undefined, as scikit-learn).
 *
 * @param pred Scores `[N, C]` or labels `[N]`.
 * @param target Labels `[N]`.
 * @param numClasses Number of classes.
 * @returns The scores.
 * @example
 * ```ts
 * import { precisionRecallF1 } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const r = precisionRecallF1(tensor(new Int32Array([0, 1, 1])), tensor(new Int32Array([0, 0, 1])), 2);
 * console.assert(r.perClass.precision[1] === 0.5 && r.perClass.recall[0] === 0.5);
 * ```
 */
export function precisionRecallF1(
  pred: Tensor,
  target: Tensor,
  numClasses: number,
): PrecisionRecallF1 {
  const m = confusionMatrix(pred, target, numClasses);
  const precision: number[] = [], recall: number[] = [], f1: number[] = [], support: number[] = [];
  let tpAll = 0, total = 0;
  for (let c = 0; c < numClasses; c++) {
    const tp = m[c][c];
    const predicted = m.reduce((s, row) => s + row[c], 0);
    const actual = m[c].reduce((s, v) => s + v, 0);
    const p = predicted ? tp / predicted : 0, r = actual ? tp / actual : 0;
    precision.push(p),
      recall.push(r),
      f1.push(p + r ? 2 * p * r / (p + r) : 0),
      support.push(actual);
    tpAll += tp, total += actual;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const micro = total ? tpAll / total : 0;
  return {
    perClass: { precision, recall, f1, support },
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    micro: { precision: micro, recall: micro, f1: micro },
  };
}

/**
 * A running (weighted) average, for losses and accuracies over an epoch.
 *
 * @example
 * ```ts
 * import { RunningAverage } from "@dendrite/losses";
 * const avg = new RunningAverage();
 * avg.update(1, 2);
 * avg.update(4, 1);
 * console.assert(avg.value === 2);
 * ```
 */
export class RunningAverage {
  #sum = 0;
  #count = 0;

  /**
   * Adds a value with a weight (e.g. a batch mean and the batch size).
   *
   * @param value The value.
   * @param weight Its weight (default 1).
   */
  update(value: number, weight = 1): void {
    this.#sum += value * weight;
    this.#count += weight;
  }

  /** The average so far (0 before any update). */
  get value(): number {
    return this.#count ? this.#sum / this.#count : 0;
  }

  /** The total weight so far. */
  get count(): number {
    return this.#count;
  }

  /** Starts over. */
  reset(): void {
    this.#sum = 0;
    this.#count = 0;
  }
}
