/**
 * Rearranging values: `flip`, `roll`, `repeat`, `tile`, `tril`, `triu`,
 * `maskedFill`, `pad`.
 *
 * @module
 */
import { fmtShape, ShapeError } from "../../errors.ts";
import { normAxes, normAxis } from "../../shape.ts";

import { Tensor } from "../../tensor.ts";
import { where } from "../arith.ts";
import { ge, le } from "../compare.ts";
import { arange, full } from "../creation.ts";
import { expand, reshape, slice, type SliceSpec } from "../movement.ts";
import { cat } from "./join.ts";
import { indexSelect } from "./indexing.ts";

/**
 * Reverses the order along `axes` (a view with negative strides).
 *
 * @param x The input.
 * @param axes One axis or a list.
 * @returns The flipped view.
 * @example
 * ```ts
 * import { flip, tensor } from "@dendrite/tensor";
 * console.assert(flip(tensor([[1, 2], [3, 4]]), 1).dataSync().join() === "2,1,4,3");
 * ```
 */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  const ax = normAxes(axes, x.ndim, "flip");
  const specs: SliceSpec[] = x.shape.map((_, i) => (ax.includes(i) ? [null, null, -1] : null));
  return slice(x, specs);
}

/**
 * Rolls elements along axes (elements shifted past the end reappear at the
 * start), like `torch.roll`; without axes the flattened tensor is rolled.
 *
 * @param x The input.
 * @param shifts One shift or one per axis.
 * @param axes The axes (default: flatten, roll, restore shape).
 * @returns The rolled tensor.
 * @example
 * ```ts
 * import { roll, tensor } from "@dendrite/tensor";
 * console.assert(roll(tensor([1, 2, 3, 4]), 1).dataSync().join() === "4,1,2,3");
 * ```
 */
export function roll(
  x: Tensor,
  shifts: number | readonly number[],
  axes?: number | readonly number[],
): Tensor {
  const sh = typeof shifts === "number" ? [shifts] : [...shifts];
  if (axes === undefined) {
    if (sh.length !== 1) {
      throw new RangeError(
        `Cannot roll with ${sh.length} shifts and no axes in roll(): expected one shift`,
      );
    }
    return reshape(roll(reshape(x, [x.size]), sh[0], 0), x.shape);
  }
  const ax = typeof axes === "number" ? [axes] : [...axes];
  if (ax.length !== sh.length) {
    throw new RangeError(
      `Cannot roll with ${sh.length} shifts and ${ax.length} axes in roll(): expected one shift per axis`,
    );
  }
  let y = x;
  ax.forEach((a0, k) => {
    const a = normAxis(a0, x.ndim, "roll");
    const n = x.shape[a];
    if (n === 0) return;
    const s = ((sh[k] % n) + n) % n;
    if (s === 0) return;
    const head: SliceSpec[] = y.shape.map(() => null), tail: SliceSpec[] = y.shape.map(() => null);
    head[a] = [n - s, null];
    tail[a] = [0, n - s];
    y = cat([slice(y, head), slice(y, tail)], a);
  });
  return y;
}

/**
 * Repeats the tensor along each axis, like `torch.Tensor.repeat` (extra
 * leading repeats add axes).
 *
 * @param x The input.
 * @param repeats One count per axis (at least `x.ndim` of them).
 * @returns The repeated tensor.
 * @example
 * ```ts
 * import { repeat, tensor } from "@dendrite/tensor";
 * console.assert(repeat(tensor([1, 2]), [2, 2]).dataSync().join() === "1,2,1,2,1,2,1,2");
 * ```
 */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  if (repeats.length < x.ndim) {
    throw new ShapeError(
      `Cannot repeat ${fmtShape(x.shape)} with repeats [${
        repeats.join(", ")
      }] in repeat(): expected at least ${x.ndim} counts`,
    );
  }
  if (repeats.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new RangeError(
      `Cannot repeat with counts [${
        repeats.join(", ")
      }] in repeat(): expected non-negative integers`,
    );
  }
  const lead = repeats.length - x.ndim;
  const shape = [...Array(lead).fill(1), ...x.shape];
  const inter: number[] = [], exp: number[] = [];
  shape.forEach((d, i) => {
    inter.push(1, d);
    exp.push(repeats[i], d);
  });
  const y = expand(reshape(x, inter), exp);
  return reshape(y, shape.map((d, i) => d * repeats[i]));
}

/**
 * Tiles the tensor, like `torch.tile` (fewer counts than axes are padded
 * with ones at the front).
 *
 * @param x The input.
 * @param reps Counts.
 * @returns The tiled tensor.
 * @example
 * ```ts
 * import { tensor, tile } from "@dendrite/tensor";
 * console.assert(tile(tensor([[1, 2]]), [2]).shape.join() === "1,4");
 * ```
 */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  const r = reps.length < x.ndim ? [...Array(x.ndim - reps.length).fill(1), ...reps] : [...reps];
  return repeat(x, r);
}

function triMask(x: Tensor, diagonal: number, lower: boolean, op: string): Tensor {
  if (x.ndim < 2) {
    throw new ShapeError(
      `Cannot apply ${op}() to shape ${fmtShape(x.shape)}: expected at least 2 axes`,
    );
  }
  const [r, c] = x.shape.slice(-2);
  const rows = reshape(arange(r, undefined, { backend: x.backend.name }), [r, 1]);
  const cols = reshape(arange(c, undefined, { backend: x.backend.name }), [1, c]);
  const d = cols.sub(rows);
  return lower ? le(d, diagonal) : ge(d, diagonal);
}

/**
 * Keeps the lower triangle (`j - i <= diagonal`) of the last two axes, zeroing the rest.
 *
 * @param x The input (at least 2-D).
 * @param diagonal Which diagonal bounds the triangle (default 0).
 * @returns The masked tensor.
 * @example
 * ```ts
 * import { ones, tril } from "@dendrite/tensor";
 * console.assert(tril(ones([2, 2])).dataSync().join() === "1,0,1,1");
 * ```
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return where(triMask(x, diagonal, true, "tril"), x, 0);
}

/**
 * Keeps the upper triangle (`j - i >= diagonal`) of the last two axes.
 *
 * @param x The input (at least 2-D).
 * @param diagonal Which diagonal bounds the triangle (default 0).
 * @returns The masked tensor.
 * @example
 * ```ts
 * import { ones, triu } from "@dendrite/tensor";
 * console.assert(triu(ones([2, 2]), 1).dataSync().join() === "0,1,0,0");
 * ```
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return where(triMask(x, diagonal, false, "triu"), x, 0);
}

/**
 * Replaces elements where `mask` is true by `value` (out of place), like
 * `torch.masked_fill`.
 *
 * @param x The input.
 * @param mask A bool tensor broadcastable to `x`.
 * @param value The fill value (number or 0-d tensor).
 * @returns The filled tensor.
 * @example
 * ```ts
 * import { maskedFill, tensor } from "@dendrite/tensor";
 * const x = tensor([1, 2, 3]);
 * console.assert(maskedFill(x, x.gt(1), -1).dataSync().join() === "1,-1,-1");
 * ```
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (mask.dtype !== "bool") {
    throw new ShapeError(`Cannot use a ${mask.dtype} mask in maskedFill(): expected a bool tensor`);
  }
  const out = where(mask, value, x);
  if (out.shape.join() !== x.shape.join()) {
    throw new ShapeError(
      `Cannot apply maskedFill() with mask ${fmtShape(mask.shape)} to ${
        fmtShape(x.shape)
      }: the mask must broadcast to the input`,
    );
  }
  return out;
}

/** Padding modes of {@link pad}. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/**
 * Pads the trailing axes, like `torch.nn.functional.pad`: `pads` lists
 * `(before, after)` pairs starting from the last axis. Negative pads crop.
 *
 * @param x The input.
 * @param pads `[lastBefore, lastAfter, prevBefore, prevAfter, ...]`.
 * @param options `mode` ("constant"), `value` (0, constant mode only).
 * @returns The padded tensor.
 * @example
 * ```ts
 * import { pad, tensor } from "@dendrite/tensor";
 * console.assert(pad(tensor([1, 2, 3]), [2, 1], { mode: "reflect" }).dataSync().join() === "3,2,1,2,3,2");
 * console.assert(pad(tensor([1, 2]), [1, 1], { value: 9 }).dataSync().join() === "9,1,2,9");
 * ```
 */
export function pad(
  x: Tensor,
  pads: readonly number[],
  options: { mode?: PadMode; value?: number } = {},
): Tensor {
  const mode = options.mode ?? "constant";
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim) {
    throw new RangeError(
      `Cannot pad ${fmtShape(x.shape)} with [${
        pads.join(", ")
      }] in pad(): expected pairs for at most ${x.ndim} trailing axes`,
    );
  }
  if (!["constant", "reflect", "replicate", "circular"].includes(mode)) {
    throw new RangeError(
      `Cannot pad with mode "${mode}" in pad(): expected "constant", "reflect", "replicate" or "circular"`,
    );
  }
  let y = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const axis = x.ndim - 1 - k;
    const before = pads[2 * k], after = pads[2 * k + 1];
    y = padAxis(y, axis, before, after, mode, options.value ?? 0);
  }
  return y;
}

function padAxis(
  x: Tensor,
  axis: number,
  before: number,
  after: number,
  mode: PadMode,
  value: number,
): Tensor {
  const n = x.shape[axis];
  if (before < 0 || after < 0) {
    const specs: SliceSpec[] = x.shape.map(() => null);
    specs[axis] = [Math.max(0, -before), n - Math.max(0, -after)];
    return padAxis(slice(x, specs), axis, Math.max(0, before), Math.max(0, after), mode, value);
  }
  if (before === 0 && after === 0) return x;
  if (mode === "constant") {
    const parts: Tensor[] = [];
    const block = (m: number) =>
      full(x.shape.map((d, i) => (i === axis ? m : d)), value, {
        dtype: x.dtype,
        backend: x.backend.name,
      });
    if (before > 0) parts.push(block(before));
    parts.push(x);
    if (after > 0) parts.push(block(after));
    return cat(parts, axis);
  }
  if (mode === "reflect" && (before >= n || after >= n)) {
    throw new RangeError(
      `Cannot reflect-pad axis ${axis} of size ${n} by (${before}, ${after}) in pad(): padding must be smaller than the size`,
    );
  }
  if (mode === "circular" && (before > n || after > n)) {
    throw new RangeError(
      `Cannot circular-pad axis ${axis} of size ${n} by (${before}, ${after}) in pad(): padding must not exceed the size`,
    );
  }
  if (n === 0) {
    throw new RangeError(`Cannot ${mode}-pad an empty axis ${axis} in pad()`);
  }
  const idx = new Int32Array(before + n + after);
  for (let i = 0; i < idx.length; i++) {
    const j = i - before;
    let s: number;
    if (mode === "replicate") s = Math.min(Math.max(j, 0), n - 1);
    else if (mode === "circular") s = ((j % n) + n) % n;
    else {
      const period = 2 * (n - 1);
      s = n === 1 ? 0 : ((j % period) + period) % period;
      if (s >= n) s = period - s;
    }
    idx[i] = s;
  }
  return indexSelect(x, axis, new Tensor(x.backend.fromArray(idx), [idx.length]));
}
