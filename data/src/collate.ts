/**
 * Batching: turning a list of dataset items into batch tensors.
 *
 * @module
 */
import { DTypeError, fmtShape, ShapeError, stack, Tensor } from "@dendrite/tensor";
import { cpuTensor } from "./_image.ts";

/**
 * The type `defaultCollate` makes of a list of items of type `T`: tensors,
 * numbers and booleans become one batch tensor; tuples, arrays and plain
 * objects are collated per position / key; strings become string arrays.
 */
export type Collated<T> = T extends Tensor | number | boolean ? Tensor
  : T extends string ? string[]
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> }
  : T extends object ? { -readonly [K in keyof T]: Collated<T[K]> }
  : never;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Tensor) return `a tensor of shape ${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v;
}

function collateAt(items: readonly unknown[], where: string): unknown {
  const first = items[0];
  if (first instanceof Tensor) {
    for (let i = 1; i < items.length; i++) {
      const t = items[i];
      if (!(t instanceof Tensor) || t.shape.join() !== first.shape.join()) {
        throw new ShapeError(
          `Cannot collate ${describe(t)} (item ${i}${where}) with ${
            describe(first)
          } (item 0) in defaultCollate(): items must share one shape`,
        );
      }
      if (t.dtype !== first.dtype) {
        throw new DTypeError(
          `Cannot collate dtypes ${first.dtype} and ${t.dtype} (item ${i}${where}) in defaultCollate(): items must share one dtype`,
        );
      }
    }
    return stack(items as Tensor[], 0);
  }
  if (typeof first === "number") {
    let ints = true;
    for (let i = 0; i < items.length; i++) {
      const v = items[i];
      if (typeof v !== "number") {
        throw new TypeError(
          `Cannot collate ${describe(v)} (item ${i}${where}) with numbers in defaultCollate()`,
        );
      }
      if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) ints = false;
    }
    const arr = ints ? Int32Array.from(items as number[]) : Float32Array.from(items as number[]);
    return cpuTensor(arr, [items.length]);
  }
  if (typeof first === "boolean") {
    const arr = new Uint8Array(items.length);
    for (let i = 0; i < items.length; i++) {
      if (typeof items[i] !== "boolean") {
        throw new TypeError(
          `Cannot collate ${
            describe(items[i])
          } (item ${i}${where}) with booleans in defaultCollate()`,
        );
      }
      arr[i] = items[i] ? 1 : 0;
    }
    return cpuTensor(arr, [items.length]);
  }
  if (typeof first === "string") {
    return items.map((v, i) => {
      if (typeof v !== "string") {
        throw new TypeError(
          `Cannot collate ${describe(v)} (item ${i}${where}) with strings in defaultCollate()`,
        );
      }
      return v;
    });
  }
  if (Array.isArray(first)) {
    const n = first.length;
    items.forEach((v, i) => {
      if (!Array.isArray(v) || v.length !== n) {
        throw new TypeError(
          `Cannot collate ${describe(v)} (item ${i}${where}) with ${
            describe(first)
          } in defaultCollate(): items must have the same structure`,
        );
      }
    });
    const out = new Array(n);
    for (let k = 0; k < n; k++) {
      out[k] = collateAt(items.map((v) => (v as unknown[])[k]), `${where}, position ${k}`);
    }
    return out;
  }
  if (
    first !== null && typeof first === "object" && Object.getPrototypeOf(first) === Object.prototype
  ) {
    const keys = Object.keys(first);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      out[key] = collateAt(
        items.map((v, i) => {
          if (v === null || typeof v !== "object" || !(key in v)) {
            throw new TypeError(
              `Cannot collate ${
                describe(v)
              } (item ${i}${where}) in defaultCollate(): missing key "${key}"`,
            );
          }
          return (v as Record<string, unknown>)[key];
        }),
        `${where}, key "${key}"`,
      );
    }
    return out;
  }
  throw new TypeError(
    `Cannot collate ${
      describe(first)
    }${where} in defaultCollate(): expected tensors, numbers, booleans, strings, arrays or plain objects`,
  );
}

/**
 * Combines dataset items into a batch, like PyTorch's `default_collate`:
 * tensors of shape `S` are stacked into `[N, ...S]`; numbers become a 1-D
 * tensor `[N]` (int32 when every number is a 32-bit integer, such as class
 * labels, float32 otherwise); booleans a bool tensor `[N]`; strings a string
 * array; tuples, arrays and plain objects are collated per position / key.
 *
 * @param items The items of one batch (at least one).
 * @returns The batch, with the structure of one item.
 * @example
 * ```ts
 * import { defaultCollate } from "@dendrite/data";
 * import { zeros } from "@dendrite/tensor";
 * const [x, y] = defaultCollate([[zeros([1, 2, 2]), 3], [zeros([1, 2, 2]), 7]]);
 * console.assert(x.shape.join() === "2,1,2,2");
 * console.assert(y.dtype === "int32" && y.dataSync().join() === "3,7");
 * ```
 */
export function defaultCollate<T>(items: readonly T[]): Collated<T> {
  if (items.length === 0) {
    throw new RangeError(
      "Cannot collate an empty batch in defaultCollate(): expected at least one item",
    );
  }
  return collateAt(items, "") as Collated<T>;
}
