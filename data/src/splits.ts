/**
 * Splitting data for validation: `randomSplit`, `stratifiedSplit`, `kFold`.
 *
 * @module
 */
import { DTypeError, fmtShape, ShapeError, Tensor } from "@dendrite/tensor";
import { type Dataset, Subset } from "./dataset.ts";
import { randomSeed, Rng, type RngOptions } from "./rng.ts";

/**
 * Turns fractions (summing to 1) into counts for `n` items the way PyTorch's
 * `random_split` does: floors, then one extra item to each split in turn
 * until all are used.
 */
function fractionCounts(n: number, fractions: readonly number[]): number[] {
  const counts = fractions.map((f) => Math.floor(n * f));
  let rest = n - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]++;
  return counts;
}

function isFractions(lengths: readonly number[]): boolean {
  const sum = lengths.reduce((a, b) => a + b, 0);
  return lengths.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-6;
}

/**
 * Splits a dataset into non-overlapping random subsets, like
 * `torch.utils.data.random_split`: `lengths` are counts summing to the
 * dataset length, or fractions summing to 1 (floored, the remainder handed
 * out one by one from the first split).
 *
 * @param dataset The dataset.
 * @param lengths Counts or fractions, one per split.
 * @param options `rng` or `seed` for the permutation.
 * @returns One `Subset` per split.
 * @example
 * ```ts
 * import { randomSplit } from "@dendrite/data";
 * const ds = { length: 10, get: (i: number) => i };
 * const [train, val] = randomSplit(ds, [0.8, 0.2], { seed: 0 });
 * console.assert(train.length === 8 && val.length === 2);
 * ```
 */
export function randomSplit<T>(
  dataset: Dataset<T>,
  lengths: readonly number[],
  options: RngOptions = {},
): Subset<T>[] {
  const n = dataset.length;
  if (lengths.length === 0) {
    throw new RangeError("Cannot randomSplit() into no lengths: expected at least one");
  }
  let counts: number[];
  if (isFractions(lengths)) {
    counts = fractionCounts(n, lengths);
  } else {
    if (!lengths.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new RangeError(
        `Cannot randomSplit() with lengths [${
          lengths.join(", ")
        }]: expected non-negative integer counts or fractions summing to 1`,
      );
    }
    counts = [...lengths];
  }
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== n) {
    throw new RangeError(
      `Cannot randomSplit() a dataset of ${n} items into lengths [${
        lengths.join(", ")
      }]: they sum to ${total}`,
    );
  }
  const perm = (options.rng ?? new Rng(options.seed ?? randomSeed())).permutation(n);
  const out: Subset<T>[] = [];
  let o = 0;
  for (const c of counts) {
    out.push(new Subset(dataset, perm.slice(o, o + c)));
    o += c;
  }
  return out;
}

function labelArray(labels: ArrayLike<number> | Tensor): ArrayLike<number> {
  if (labels instanceof Tensor) {
    if (labels.ndim !== 1) {
      throw new ShapeError(
        `Cannot stratifiedSplit() labels of shape ${fmtShape(labels.shape)}: expected [N]`,
      );
    }
    if (labels.dtype === "float32") {
      throw new DTypeError("Cannot stratifiedSplit() float32 labels: expected int32 or bool");
    }
    return labels.dataSync();
  }
  return labels;
}

/**
 * Splits indices `0..N-1` so that every class keeps its proportions in each
 * split (per class: shuffle, then sizes by the largest-remainder rule).
 *
 * @param labels One label per item (array or 1-D int tensor).
 * @param fractions One fraction per split, summing to 1.
 * @param options `rng` or `seed`.
 * @returns The indices of each split, ascending.
 * @example
 * ```ts
 * import { stratifiedSplit } from "@dendrite/data";
 * const labels = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
 * const [train, test] = stratifiedSplit(labels, [0.75, 0.25], { seed: 1 });
 * console.assert(train.length === 9 && test.filter((i) => labels[i] === 0).length === 1);
 * ```
 */
export function stratifiedSplit(
  labels: ArrayLike<number> | Tensor,
  fractions: readonly number[],
  options: RngOptions = {},
): number[][] {
  if (fractions.length === 0 || !isFractions(fractions)) {
    throw new RangeError(
      `Cannot stratifiedSplit() with fractions [${
        fractions.join(", ")
      }]: expected values in [0, 1] summing to 1`,
    );
  }
  const ys = labelArray(labels);
  const rng = options.rng ?? new Rng(options.seed ?? randomSeed());
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    let list = byClass.get(y);
    if (!list) byClass.set(y, list = []);
    list.push(i);
  }
  const out: number[][] = fractions.map(() => []);
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  for (const y of classes) {
    const idx = rng.shuffle(byClass.get(y)!);
    const m = idx.length;
    const exact = fractions.map((f) => f * m);
    const counts = exact.map(Math.floor);
    let rest = m - counts.reduce((a, b) => a + b, 0);
    const order = exact.map((e, k) => [e - Math.floor(e), k]).sort((a, b) =>
      b[0] - a[0] || a[1] - b[1]
    );
    for (let t = 0; rest > 0; t++, rest--) counts[order[t % order.length][1]]++;
    let o = 0;
    counts.forEach((c, k) => {
      for (let t = 0; t < c; t++) out[k].push(idx[o + t]);
      o += c;
    });
  }
  for (const s of out) s.sort((a, b) => a - b);
  return out;
}

/** One fold of {@link kFold}. */
export interface Fold {
  /** Training indices, ascending. */
  train: number[];
  /** Validation indices, ascending. */
  val: number[];
  /** The fold number, 0..k-1. */
  fold: number;
  /** The repeat number, 0..repeats-1. */
  repeat: number;
}

/** Options for {@link kFold}. */
export interface KFoldOptions extends RngOptions {
  /** Shuffle before splitting into folds (default false; true when `repeats > 1`). */
  shuffle?: boolean;
  /** Repeat the whole k-fold with fresh shuffles (default 1). Repeat `r` uses `new Rng(seed, r)`. */
  repeats?: number;
}

/**
 * Yields k-fold cross-validation splits of `0..n-1`, like scikit-learn's
 * `KFold` / `RepeatedKFold`: each index is in the validation set exactly
 * once per repeat. The first `n % k` folds have one extra item. Pass a
 * dataset instead of `n` to split its indices (wrap them with `Subset`).
 *
 * @param items The number of items, or a dataset (its length is used).
 * @param k The number of folds (2 <= k <= n).
 * @param options `shuffle`, `repeats`, `rng` or `seed`.
 * @returns A generator of `{ train, val, fold, repeat }`.
 * @example
 * ```ts
 * import { kFold } from "@dendrite/data";
 * const folds = [...kFold(5, 2)];
 * console.assert(folds[0].val.join() === "0,1,2" && folds[1].train.join() === "0,1,2");
 * // The repeated, shuffled k-fold of the course notes, over a dataset:
 * const ds = { length: 10, get: (i: number) => i };
 * const runs = [...kFold(ds, 5, { repeats: 3, seed: 0 })];
 * console.assert(runs.length === 15 && runs.every((f) => f.val.length === 2));
 * ```
 */
export function* kFold(
  items: number | Dataset<unknown>,
  k: number,
  options: KFoldOptions = {},
): Generator<Fold> {
  const n = typeof items === "number" ? items : items.length;
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Cannot kFold() ${n} items: expected a non-negative integer`);
  }
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new RangeError(`Cannot kFold() ${n} items into ${k} folds: expected 2 <= k <= ${n}`);
  }
  const repeats = options.repeats ?? 1;
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new RangeError(`Cannot kFold() with repeats ${repeats}: expected a positive integer`);
  }
  if (repeats > 1 && options.shuffle === false) {
    throw new RangeError(
      `Cannot kFold() with repeats ${repeats} and shuffle false: the repeats would be identical`,
    );
  }
  const shuffle = options.shuffle ?? repeats > 1;
  const seed = options.seed ?? randomSeed();
  for (let r = 0; r < repeats; r++) {
    const perm = !shuffle
      ? Array.from({ length: n }, (_, i) => i)
      : options.rng
      ? options.rng.permutation(n)
      : new Rng(seed, r).permutation(n);
    const base = Math.floor(n / k), extra = n % k;
    let start = 0;
    for (let f = 0; f < k; f++) {
      const size = base + (f < extra ? 1 : 0);
      const inVal = new Uint8Array(n);
      for (let t = start; t < start + size; t++) inVal[perm[t]] = 1;
      const train: number[] = [], val: number[] = [];
      for (let i = 0; i < n; i++) (inVal[i] ? val : train).push(i);
      yield { train, val, fold: f, repeat: r };
      start += size;
    }
  }
}
