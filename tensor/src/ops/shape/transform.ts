/**
 * Rearranging values: `flip`, `roll`, `repeat`, `tile`, `tril`, `triu`,
 * `maskedFill`, and `pad` (one "Pad" kernel pass for all padded axes, and a
 * "PadGrad" scatter-add kernel for the gradient of the non-constant modes).
 *
 * @module
 */
import { hasKernel, registerKernel } from "../../backend.ts";
import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { normAxes, normAxis, sizeOf, stridesOf } from "../../shape.ts";
import { record } from "../../autodiff.ts";
import type { Tensor } from "../../tensor.ts";
import { cpuBackend, cpuContiguous, cpuOutput } from "../../cpu/backend.ts";
import { run } from "../define.ts";
import { where } from "../arith.ts";
import { ge, le } from "../compare.ts";
import { arange, fromTypedArray, full } from "../creation.ts";
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
  // A broadcast axis before each repeated axis, expanded to its count; the
  // axes that are not repeated merge into the data axis before them, so a
  // stage has at most 2·3 + 1 axes (WebGPU kernels take 8). More repeated
  // axes than 3 run in stages.
  const repeated = repeats.map((r, i) => (r !== 1 ? i : -1)).filter((i) => i >= 0);
  if (repeated.length > 3) {
    const early = (i: number) => repeated.indexOf(i) < 3;
    const first = repeats.map((r, i) => (early(i) ? r : 1));
    return repeat(repeat(reshape(x, shape), first), repeats.map((r, i) => (early(i) ? 1 : r)));
  }
  const inter: number[] = [], exp: number[] = [];
  shape.forEach((d, i) => {
    if (repeats[i] !== 1) {
      inter.push(1, d);
      exp.push(repeats[i], d);
    } else if (inter.length === 0) {
      inter.push(d);
      exp.push(d);
    } else {
      inter[inter.length - 1] *= d;
      exp[exp.length - 1] *= d;
    }
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

/** A 0-d zero of `x`'s dtype, so that `where` keeps bool and int32 inputs' dtype. */
function zeroOf(x: Tensor): Tensor {
  return full([], 0, { dtype: x.dtype, backend: x.backend.name });
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
  return where(triMask(x, diagonal, true, "tril"), x, zeroOf(x));
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
  return where(triMask(x, diagonal, false, "triu"), x, zeroOf(x));
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
    throw new DTypeError(`Cannot use a ${mask.dtype} mask in maskedFill(): expected a bool tensor`);
  }
  const lead = x.ndim - mask.ndim;
  if (lead < 0 || mask.shape.some((d, i) => d !== 1 && d !== x.shape[lead + i])) {
    throw new ShapeError(
      `Cannot apply maskedFill() with mask ${fmtShape(mask.shape)} to ${
        fmtShape(x.shape)
      }: the mask must broadcast to the input`,
    );
  }
  return where(mask, value, x);
}

/** Padding modes of {@link pad}. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

const MODES: readonly string[] = ["constant", "reflect", "replicate", "circular"];

/**
 * For each axis, the source index of every output position (-1: the
 * constant fill). `before`/`after` are non-negative.
 */
function sourceMaps(
  shape: readonly number[],
  before: readonly number[],
  after: readonly number[],
  mode: PadMode,
): Int32Array[] {
  return shape.map((n, d) => {
    const map = new Int32Array(before[d] + n + after[d]);
    const period = 2 * (n - 1);
    for (let i = 0; i < map.length; i++) {
      const j = i - before[d];
      let s: number;
      if (j >= 0 && j < n) s = j;
      else if (mode === "constant") s = -1;
      else if (mode === "replicate") s = j < 0 ? 0 : n - 1;
      else if (mode === "circular") s = ((j % n) + n) % n;
      else {
        s = n === 1 ? 0 : ((j % period) + period) % period;
        if (s >= n) s = period - s;
      }
      map[i] = s;
    }
    return map;
  });
}

/**
 * Calls `row(src, dst, map)` once per innermost output row: `src` is the
 * offset of the source row (-1 when an outer axis is in the constant
 * fill), `dst` the output offset, `map` the last axis' source map.
 */
function forEachRow(
  inShape: readonly number[],
  maps: readonly Int32Array[],
  row: (src: number, dst: number) => void,
): void {
  const nd = inShape.length;
  const xst = stridesOf(inShape);
  const outShape = maps.map((m) => m.length);
  const rowLen = outShape[nd - 1];
  const rows = sizeOf(outShape.slice(0, -1));
  const coord = new Array(Math.max(nd - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let src = 0;
    for (let d = 0; d < nd - 1; d++) {
      const s = maps[d][coord[d]];
      if (s < 0) {
        src = -1;
        break;
      }
      src += s * xst[d];
    }
    row(src, r * rowLen);
    for (let d = nd - 2; d >= 0; d--) {
      if (++coord[d] < outShape[d]) break;
      coord[d] = 0;
    }
  }
}

registerKernel("Pad", "cpu", ([x], { before, after, mode, value }) => {
  const xs = cpuContiguous(x);
  const maps = sourceMaps(x.shape, before, after, mode);
  const outShape = maps.map((m) => m.length);
  const out = cpuBackend.allocArray(x.dtype, sizeOf(outShape));
  const fill = x.dtype === "bool" ? (value ? 1 : 0) : value;
  const last = maps[maps.length - 1];
  const nd = x.shape.length;
  const n = x.shape[nd - 1], lo = before[nd - 1], rowLen = last.length;
  forEachRow(x.shape, maps, (src, dst) => {
    if (src < 0) {
      if (fill !== 0) out.fill(fill, dst, dst + rowLen);
    } else if (mode === "constant") {
      if (fill !== 0) {
        out.fill(fill, dst, dst + lo);
        out.fill(fill, dst + lo + n, dst + rowLen);
      }
      const d = dst + lo;
      if (n >= 64) out.set(xs.subarray(src, src + n), d);
      else for (let i = 0; i < n; i++) out[d + i] = xs[src + i];
    } else {
      for (let i = 0; i < rowLen; i++) out[dst + i] = xs[src + last[i]];
    }
  });
  return [cpuOutput(out, outShape)];
});

registerKernel("PadGrad", "cpu", ([dy], { inShape, before, after, mode }) => {
  const g = cpuContiguous(dy);
  const maps = sourceMaps(inShape, before, after, mode);
  const out = cpuBackend.allocArray(dy.dtype, sizeOf(inShape));
  const last = maps[maps.length - 1], rowLen = last.length;
  forEachRow(inShape, maps, (src, dst) => {
    for (let i = 0; i < rowLen; i++) out[src + last[i]] += g[dst + i];
  });
  return [cpuOutput(out, inShape)];
});

/** Runs "Pad" and records its gradient (a slice for constant mode, "PadGrad" otherwise). */
function padKernel(
  x: Tensor,
  before: number[],
  after: number[],
  mode: PadMode,
  value: number,
): Tensor {
  const [out] = run("Pad", [x], { before, after, mode, value });
  return record("Pad", out, [x], (dy) => {
    if (mode === "constant") {
      return [slice(dy, x.shape.map((n, d): SliceSpec => [before[d], before[d] + n]))];
    }
    return [padGrad(dy, x.shape, before, after, mode)];
  });
}

/** The adjoint of a non-constant pad: sums each output gradient into its source. */
function padGrad(
  dy: Tensor,
  inShape: readonly number[],
  before: number[],
  after: number[],
  mode: PadMode,
): Tensor {
  const [out] = run("PadGrad", [dy], { inShape: [...inShape], before, after, mode });
  // The adjoint of the adjoint is the pad itself, so double backward works.
  return record("PadGrad", out, [dy], (ddx) => [padKernel(ddx, before, after, mode, 0)]);
}

/**
 * Pads the trailing axes, like `torch.nn.functional.pad`: `pads` lists
 * `(before, after)` pairs starting from the last axis. Negative pads crop.
 * Input `[..., d1, d0]` gives `[..., d1 + p2 + p3, d0 + p0 + p1]`.
 *
 * @param x The input.
 * @param pads `[lastBefore, lastAfter, prevBefore, prevAfter, ...]`, integers.
 * @param options `mode` ("constant"), `value` (0, constant mode only).
 * @returns The padded tensor.
 * @example
 * ```ts
 * import { pad, tensor } from "@dendrite/tensor";
 * console.assert(pad(tensor([1, 2, 3]), [2, 1], { mode: "reflect" }).dataSync().join() === "3,2,1,2,3,2");
 * console.assert(pad(tensor([1, 2]), [1, 1], { value: 9 }).dataSync().join() === "9,1,2,9");
 * console.assert(pad(tensor([[1, 2]]), [0, 0, 1, 0], { mode: "replicate" }).shape.join() === "2,2");
 * ```
 */
export function pad(
  x: Tensor,
  pads: readonly number[],
  options: { mode?: PadMode; value?: number } = {},
): Tensor {
  const mode = options.mode ?? "constant";
  const value = options.value ?? 0;
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim) {
    throw new RangeError(
      `Cannot pad ${fmtShape(x.shape)} with [${
        pads.join(", ")
      }] in pad(): expected pairs for at most ${x.ndim} trailing axes`,
    );
  }
  if (pads.some((p) => !Number.isInteger(p))) {
    throw new RangeError(
      `Cannot pad ${fmtShape(x.shape)} with [${pads.join(", ")}] in pad(): expected integers`,
    );
  }
  if (!MODES.includes(mode)) {
    throw new RangeError(
      `Cannot pad with mode "${mode}" in pad(): expected "constant", "reflect", "replicate" or "circular"`,
    );
  }
  const before = x.shape.map(() => 0), after = x.shape.map(() => 0);
  for (let k = 0; k < pads.length / 2; k++) {
    before[x.ndim - 1 - k] = pads[2 * k];
    after[x.ndim - 1 - k] = pads[2 * k + 1];
  }
  // Negative pads crop first (a view); the rest pads the cropped tensor.
  let y = x;
  if (pads.some((p) => p < 0)) {
    y = slice(
      x,
      x.shape.map((n, d): SliceSpec => [Math.max(0, -before[d]), n - Math.max(0, -after[d])]),
    );
    for (let d = 0; d < x.ndim; d++) {
      before[d] = Math.max(0, before[d]);
      after[d] = Math.max(0, after[d]);
    }
  }
  if (before.every((b, d) => b === 0 && after[d] === 0)) return y;
  for (let d = 0; d < y.ndim; d++) {
    const n = y.shape[d], b = before[d], a = after[d];
    if (mode === "constant" || (b === 0 && a === 0)) continue;
    if (mode === "reflect" && (b >= n || a >= n)) {
      throw new RangeError(
        `Cannot reflect-pad axis ${d} of size ${n} by (${b}, ${a}) in pad(): padding must be smaller than the size`,
      );
    }
    if (mode === "circular" && (b > n || a > n)) {
      throw new RangeError(
        `Cannot circular-pad axis ${d} of size ${n} by (${b}, ${a}) in pad(): padding must not exceed the size`,
      );
    }
    if (n === 0) throw new RangeError(`Cannot ${mode}-pad an empty axis ${d} in pad()`);
  }
  const kernels = hasKernel("Pad", y.backend.name) && hasKernel("PadGrad", y.backend.name);
  return kernels
    ? padKernel(y, before, after, mode, value)
    : padComposite(y, before, after, mode, value);
}

/**
 * `pad` from joins and index selects, one axis at a time, for backends
 * without "Pad"/"PadGrad" kernels (differentiable through cat and indexSelect).
 */
function padComposite(
  x: Tensor,
  before: number[],
  after: number[],
  mode: PadMode,
  value: number,
): Tensor {
  const maps = sourceMaps(x.shape, before, after, mode);
  let y = x;
  for (let d = 0; d < x.ndim; d++) {
    if (before[d] === 0 && after[d] === 0) continue;
    if (mode === "constant") {
      const block = (m: number) =>
        full(y.shape.map((n, i) => (i === d ? m : n)), value, {
          dtype: y.dtype,
          backend: y.backend.name,
        });
      y = cat([block(before[d]), y, block(after[d])], d);
    } else {
      y = indexSelect(y, d, fromTypedArray(maps[d], [maps[d].length], { backend: y.backend.name }));
    }
  }
  return y;
}
