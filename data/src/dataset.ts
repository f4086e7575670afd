/**
 * The `Dataset` interface and the generic datasets: `TensorDataset`,
 * `Subset`, `ConcatDataset`.
 *
 * @module
 */
import {
  fmtShape,
  fromTypedArray,
  indexSelect,
  narrow,
  reshape,
  ShapeError,
} from "@dendrite/tensor";
import type { Tensor } from "@dendrite/tensor";
import type { Collated } from "./collate.ts";

/**
 * A map-style dataset: `length` items addressed by index, like PyTorch's
 * `Dataset` with `__len__` and `__getitem__`.
 *
 * A dataset may also offer `batch(indices)`, building a whole batch at once
 * (the same value `defaultCollate` would make of the items); `DataLoader`
 * uses it when present, which is much faster for in-memory datasets.
 *
 * @example
 * ```ts
 * import type { Dataset } from "@dendrite/data";
 * const squares: Dataset<number> = { length: 4, get: (i) => i * i };
 * console.assert(squares.get(3) === 9);
 * ```
 */
export interface Dataset<T> {
  /** The number of items. */
  readonly length: number;
  /**
   * Returns item `index` (0 <= index < length).
   *
   * @param index The item index.
   */
  get(index: number): T;
  /**
   * Optionally builds the collated batch of the given items in one go.
   *
   * @param indices Item indices.
   */
  batch?(indices: readonly number[]): Collated<T>;
}

/**
 * Checks an item index and resolves negative ones (Python style).
 *
 * @param index The index (negative counts from the end).
 * @param length The dataset length.
 * @param what The dataset name for the message.
 * @returns The index in [0, length).
 * @example
 * ```ts
 * import { checkIndex } from "@dendrite/data";
 * console.assert(checkIndex(-1, 5, "MyDataset") === 4);
 * ```
 */
export function checkIndex(index: number, length: number, what: string): number {
  if (!Number.isInteger(index) || index < -length || index >= length) {
    throw new RangeError(
      `Cannot get item ${index} of ${what} with ${length} items: expected an integer in [${-length}, ${
        length - 1
      }]`,
    );
  }
  return index < 0 ? index + length : index;
}

/**
 * A dataset over tensors that share their first axis: item `i` is the list
 * of each tensor's `i`-th row, like `torch.utils.data.TensorDataset`.
 *
 * For tensors `[N, ...S1]`, `[N, ...S2]`, an item is `[row [...S1], row [...S2]]`
 * and a batch of `B` indices is `[[B, ...S1], [B, ...S2]]`.
 *
 * @example
 * ```ts
 * import { TensorDataset } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const ds = new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([0, 1, 0]));
 * const [x, y] = ds.get(1);
 * console.assert(ds.length === 3 && x.dataSync().join() === "3,4" && y.itemSync() === 1);
 * ```
 */
export class TensorDataset implements Dataset<Tensor[]> {
  /** The tensors, all with the same first axis size. */
  readonly tensors: readonly Tensor[];
  /** The number of rows. */
  readonly length: number;

  /**
   * Wraps tensors sharing their first axis.
   *
   * @param tensors One or more tensors `[N, ...]`.
   */
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) {
      throw new RangeError("Cannot create a TensorDataset from no tensors: expected at least one");
    }
    tensors.forEach((t, k) => {
      if (t.ndim === 0) {
        throw new ShapeError(
          `Cannot create a TensorDataset from tensor ${k} of shape []: expected at least one axis`,
        );
      }
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new ShapeError(
          `Cannot create a TensorDataset from shapes ${fmtShape(tensors[0].shape)} and ${
            fmtShape(t.shape)
          } (tensor ${k}): the first axes must match`,
        );
      }
    });
    this.tensors = [...tensors];
    this.length = tensors[0].shape[0];
  }

  /**
   * Returns row `index` of every tensor (views, no copy).
   *
   * @param index The row (negative counts from the end).
   * @returns One tensor per wrapped tensor, each without the first axis.
   */
  get(index: number): Tensor[] {
    const i = checkIndex(index, this.length, "TensorDataset");
    return this.tensors.map((t) => reshape(narrow(t, 0, i, 1), t.shape.slice(1)));
  }

  /**
   * Gathers rows into batch tensors in one op per tensor.
   *
   * @param indices Row indices.
   * @returns One `[B, ...]` tensor per wrapped tensor.
   */
  batch(indices: readonly number[]): Tensor[] {
    const idx = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) {
      idx[k] = checkIndex(indices[k], this.length, "TensorDataset");
    }
    return this.tensors.map((t) =>
      indexSelect(t, 0, fromTypedArray(idx, [idx.length], { backend: t.backend.name }))
    );
  }
}

/**
 * A view of a dataset restricted to some indices, like
 * `torch.utils.data.Subset`: item `i` is `dataset.get(indices[i])`.
 *
 * @example
 * ```ts
 * import { Subset } from "@dendrite/data";
 * const base = { length: 10, get: (i: number) => i * 10 };
 * const s = new Subset(base, [2, 5]);
 * console.assert(s.length === 2 && s.get(1) === 50);
 * ```
 */
export class Subset<T> implements Dataset<T> {
  /** The underlying dataset. */
  readonly dataset: Dataset<T>;
  /** The indices into `dataset`. */
  readonly indices: readonly number[];
  /** Builds a batch through the parent's `batch` (present when the parent has one). */
  readonly batch?: (indices: readonly number[]) => Collated<T>;

  /**
   * Creates the view.
   *
   * @param dataset The underlying dataset.
   * @param indices Indices into it (each in [0, dataset.length)).
   */
  constructor(dataset: Dataset<T>, indices: readonly number[]) {
    const n = dataset.length;
    indices.forEach((v, k) => {
      if (!Number.isInteger(v) || v < 0 || v >= n) {
        throw new RangeError(
          `Cannot create a Subset with index ${v} (position ${k}) of a dataset with ${n} items: expected an integer in [0, ${
            n - 1
          }]`,
        );
      }
    });
    this.dataset = dataset;
    this.indices = Object.freeze([...indices]);
    if (typeof dataset.batch === "function") {
      const parentBatch = dataset.batch.bind(dataset);
      this.batch = (idx) => {
        const mapped = new Array<number>(idx.length);
        for (let k = 0; k < idx.length; k++) {
          mapped[k] = this.indices[checkIndex(idx[k], this.length, "Subset")];
        }
        return parentBatch(mapped);
      };
    }
  }

  /** The number of items. */
  get length(): number {
    return this.indices.length;
  }

  /**
   * Returns item `index` of the subset.
   *
   * @param index The position in the subset (negative counts from the end).
   * @returns The parent's item `indices[index]`.
   */
  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex(index, this.length, "Subset")]);
  }
}

/**
 * Several datasets one after another, like `torch.utils.data.ConcatDataset`.
 *
 * @example
 * ```ts
 * import { ConcatDataset } from "@dendrite/data";
 * const a = { length: 2, get: (i: number) => `a${i}` };
 * const b = { length: 3, get: (i: number) => `b${i}` };
 * const c = new ConcatDataset([a, b]);
 * console.assert(c.length === 5 && c.get(2) === "b0" && c.get(-1) === "b2");
 * ```
 */
export class ConcatDataset<T> implements Dataset<T> {
  /** The parts, in order. */
  readonly datasets: readonly Dataset<T>[];
  /** Running totals: `cumulativeSizes[k]` is the length of parts 0..k together. */
  readonly cumulativeSizes: readonly number[];

  /**
   * Concatenates datasets.
   *
   * @param datasets At least one dataset.
   */
  constructor(datasets: readonly Dataset<T>[]) {
    if (datasets.length === 0) {
      throw new RangeError("Cannot create a ConcatDataset from no datasets: expected at least one");
    }
    this.datasets = [...datasets];
    const sizes: number[] = [];
    let total = 0;
    for (const d of datasets) sizes.push(total += d.length);
    this.cumulativeSizes = sizes;
  }

  /** The total number of items. */
  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }

  /**
   * Returns item `index` of the concatenation.
   *
   * @param index The global index (negative counts from the end).
   * @returns The item of the part it falls in.
   */
  get(index: number): T {
    const i = checkIndex(index, this.length, "ConcatDataset");
    const sizes = this.cumulativeSizes;
    let lo = 0, hi = sizes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sizes[mid] > i) hi = mid;
      else lo = mid + 1;
    }
    return this.datasets[lo].get(lo === 0 ? i : i - sizes[lo - 1]);
  }
}
