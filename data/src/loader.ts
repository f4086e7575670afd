/**
 * `DataLoader`: batches, shuffling and prefetching over a dataset.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { Tensor } from "@dendrite/tensor";
import { type Collated, defaultCollate } from "./collate.ts";
import type { Dataset } from "./dataset.ts";
import { randomSeed, Rng } from "./rng.ts";

/** Options for {@link DataLoader}. */
export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1). */
  batchSize?: number;
  /** Visit items in a new random order every epoch (default false). */
  shuffle?: boolean;
  /** Skip the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /**
   * Turns a list of items into a batch (default: the dataset's `batch()`
   * when it has one, else `defaultCollate`).
   */
  collate?: (items: T[]) => B;
  /**
   * A generator to shuffle with: each epoch draws its permutation from it in
   * turn (takes precedence over `seed`).
   */
  rng?: Rng;
  /** The shuffle seed: epoch `e` uses `new Rng(seed, e).permutation(n)` (default: random). */
  seed?: number;
  /** Build the next batch in the background while the current one is used (default true). */
  prefetch?: boolean;
  /**
   * Move every batch's tensors to this backend (e.g. "webgpu") as part of
   * preparing it, so the copy overlaps with training (default: leave them
   * where the dataset made them, the CPU for the built-in datasets).
   */
  backend?: string;
}

async function moveDeep(v: unknown, backend: string): Promise<unknown> {
  if (v instanceof Tensor) {
    const moved = await v.to(backend);
    if (moved !== v) v.dispose();
    return moved;
  }
  if (Array.isArray(v)) return await Promise.all(v.map((e) => moveDeep(e, backend)));
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) out[k] = await moveDeep(e, backend);
    return out;
  }
  return v;
}

function disposeDeep(v: unknown): void {
  if (v instanceof Tensor) v.dispose();
  else if (Array.isArray(v)) v.forEach(disposeDeep);
  else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    Object.values(v).forEach(disposeDeep);
  }
}

/**
 * Iterates a dataset in batches, like `torch.utils.data.DataLoader`:
 * `for await (const [x, y] of loader)`.
 *
 * Shuffling is reproducible: with `seed`, epoch `e` visits the items in the
 * order `new Rng(seed, e).permutation(length)`, so every epoch differs and a
 * run can be repeated exactly. The epoch counter starts at 0 and advances
 * each time an iteration starts; `setEpoch` sets it (e.g. when resuming).
 *
 * With `prefetch` (the default) the next batch is built in a macrotask
 * (`setImmediate`) as soon as the loop body awaits something, so loading
 * overlaps with the body's waiting (GPU work, reads, I/O).
 *
 * @example
 * ```ts
 * import { DataLoader, TensorDataset } from "@dendrite/data";
 * import { arange } from "@dendrite/tensor";
 * const ds = new TensorDataset(arange(10).reshape([5, 2]), arange(5));
 * const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed: 0 });
 * console.assert(loader.length === 3);
 * let rows = 0;
 * for await (const [x, y] of loader) {
 *   console.assert(x.shape[1] === 2 && y.shape[0] === x.shape[0]); // x [B, 2], y [B]
 *   rows += x.shape[0];
 * }
 * console.assert(rows === 5);
 * ```
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  /** The dataset. */
  readonly dataset: Dataset<T>;
  /** Items per batch. */
  readonly batchSize: number;
  /** Whether the order is shuffled every epoch. */
  readonly shuffle: boolean;
  /** Whether a final partial batch is skipped. */
  readonly dropLast: boolean;
  /** Whether the next batch is prepared while the current one is used. */
  readonly prefetch: boolean;
  /** The shuffle seed (drawn at random when neither `seed` nor `rng` was given). */
  readonly seed: number;
  /** The backend batches are moved to, if any. */
  readonly backend: string | undefined;
  #rng: Rng | undefined;
  #collate: ((items: T[]) => B) | undefined;
  #epoch = 0;

  /**
   * Creates a loader.
   *
   * @param dataset The dataset to iterate.
   * @param options `batchSize`, `shuffle`, `dropLast`, `collate`, `rng` or `seed`, `prefetch`, `backend`.
   */
  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `Cannot create a DataLoader with batchSize ${batchSize}: expected a positive integer`,
      );
    }
    if (options.seed !== undefined && (!Number.isSafeInteger(options.seed) || options.seed < 0)) {
      throw new RangeError(
        `Cannot create a DataLoader with seed ${options.seed}: expected a non-negative integer below 2^53`,
      );
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.prefetch = options.prefetch ?? true;
    this.seed = options.seed ?? randomSeed();
    this.backend = options.backend;
    this.#rng = options.rng;
    this.#collate = options.collate;
  }

  /** The number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The epoch the next iteration will use. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Sets the epoch the next iteration uses (for resuming a run).
   *
   * @param epoch A non-negative integer.
   * @example
   * ```ts
   * import { DataLoader } from "@dendrite/data";
   * const loader = new DataLoader({ length: 4, get: (i: number) => i }, { shuffle: true, seed: 1 });
   * loader.setEpoch(3);
   * console.assert(loader.epoch === 3);
   * ```
   */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new RangeError(
        `Cannot set DataLoader epoch to ${epoch}: expected a non-negative integer`,
      );
    }
    this.#epoch = epoch;
  }

  /**
   * The item order of one epoch, without building any batch.
   *
   * @param epoch The epoch (default: the next one; the counter is not advanced).
   * @returns Indices into the dataset, in visiting order.
   * @example
   * ```ts
   * import { DataLoader } from "@dendrite/data";
   * const loader = new DataLoader({ length: 3, get: (i: number) => i });
   * console.assert(loader.order().join() === "0,1,2");
   * ```
   */
  order(epoch: number = this.#epoch): number[] {
    const n = this.dataset.length;
    if (!this.shuffle) return Array.from({ length: n }, (_, i) => i);
    if (this.#rng) return this.#rng.permutation(n);
    return new Rng(this.seed, epoch).permutation(n);
  }

  #build(indices: readonly number[]): B {
    const ds = this.dataset;
    if (!this.#collate && typeof ds.batch === "function") return ds.batch(indices) as B;
    const items = new Array<T>(indices.length);
    for (let k = 0; k < indices.length; k++) items[k] = ds.get(indices[k]);
    return this.#collate ? this.#collate(items) : defaultCollate(items) as B;
  }

  async #make(indices: readonly number[]): Promise<B> {
    const batch = this.#build(indices);
    return this.backend === undefined ? batch : await moveDeep(batch, this.backend) as B;
  }

  /**
   * Iterates one epoch of batches (and advances the epoch counter).
   *
   * @returns An async iterator over batches.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    const order = this.order(this.#epoch);
    this.#epoch++;
    const nb = this.length, bs = this.batchSize;
    const slice = (k: number) => order.slice(k * bs, Math.min(order.length, (k + 1) * bs));
    if (!this.prefetch) {
      for (let k = 0; k < nb; k++) yield await this.#make(slice(k));
      return;
    }
    const schedule = (k: number) => {
      const p = new Promise<B>((resolve, reject) =>
        setImmediate(() => this.#make(slice(k)).then(resolve, reject))
      );
      // A failure surfaces when the batch is awaited; never as an unhandled rejection.
      p.catch(() => {});
      return p;
    };
    let pending: Promise<B> | null = nb > 0 ? this.#make(slice(0)) : null;
    try {
      for (let k = 0; k < nb; k++) {
        const batch: B = await pending!;
        pending = k + 1 < nb ? schedule(k + 1) : null;
        yield batch;
      }
    } finally {
      // The consumer stopped early: free the batch prepared in advance.
      pending?.then(disposeDeep, () => {});
    }
  }
}
