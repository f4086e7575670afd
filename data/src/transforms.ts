/**
 * Transforms without randomness, torchvision style: `compose`, `toTensor`,
 * `normalize`, `subtractMean`, `minMaxScale`.
 *
 * Images are CPU tensors `[..., C, H, W]` (or `[H, W]`); leading axes are a
 * batch that gets the same treatment. Work is done on typed arrays.
 *
 * @module
 */
import { fmtShape, ShapeError, Tensor } from "@dendrite/tensor";
import type { Rng } from "./rng.ts";
import { channelsOf, cpuTensor, imageGeometry, like } from "./_image.ts";

/**
 * A transform: a function of one value, optionally given the generator that
 * random transforms draw from (otherwise they use their own).
 */
export type Transform<I = Tensor, O = Tensor> = (x: I, rng?: Rng) => O;

/**
 * Chains transforms left to right; a generator given at call time is passed
 * to each.
 *
 * @param transforms The transforms, applied in order.
 * @returns One transform.
 * @example
 * ```ts
 * import { compose, normalize, toTensor } from "@dendrite/data";
 * const t = compose([toTensor, normalize([0.5], [0.5])]);
 * const y = t({ data: new Uint8Array([0, 255]), width: 2, height: 1 });
 * console.assert(y.dataSync().join() === "-1,1");
 * ```
 */
export function compose<I = unknown, O = Tensor>(
  transforms: readonly Transform<never, unknown>[],
): Transform<I, O> {
  const list = [...transforms];
  list.forEach((t, i) => {
    if (typeof t !== "function") {
      throw new TypeError(`Cannot compose() item ${i} of type ${typeof t}: expected a function`);
    }
  });
  return (x: I, rng?: Rng) => {
    let v: unknown = x;
    for (const t of list) v = (t as Transform<unknown, unknown>)(v, rng);
    return v as O;
  };
}

/** An image in memory: interleaved `H x W x C` values in 0..255. */
export interface ImageLike {
  /** Row-major pixels, channels interleaved (e.g. RGBRGB...). */
  data: ArrayLike<number>;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Channels per pixel (default: `data.length / (width * height)`). */
  channels?: number;
}

/**
 * Converts an 8-bit image to a float tensor `[C, H, W]` in 0..1 (values
 * divided by 255), like torchvision's `ToTensor`. Accepts an `ImageLike`
 * (`{ data, width, height, channels }`, interleaved, e.g. canvas
 * `ImageData`), a tensor `[H, W]` or `[H, W, C]`, or nested arrays of the
 * same layouts. A `[H, W]` input gives `C = 1`.
 *
 * @param x The image.
 * @returns A float32 tensor `[C, H, W]`.
 * @example
 * ```ts
 * import { toTensor } from "@dendrite/data";
 * const t = toTensor([[[255, 0, 0], [0, 0, 255]]]); // 1x2 RGB
 * console.assert(t.shape.join() === "3,1,2" && t.dataSync().join() === "1,0,0,0,0,1");
 * ```
 */
export function toTensor(x: ImageLike | Tensor | number[][] | number[][][]): Tensor {
  let data: ArrayLike<number>, h: number, w: number, c: number;
  if (x instanceof Tensor) {
    if (x.ndim !== 2 && x.ndim !== 3) {
      throw new ShapeError(
        `Cannot apply toTensor() to shape ${fmtShape(x.shape)}: expected [H, W] or [H, W, C]`,
      );
    }
    [h, w, c = 1] = x.shape;
    data = x.dataSync();
  } else if (Array.isArray(x)) {
    h = x.length;
    w = h > 0 ? x[0].length : 0;
    const first = h > 0 && w > 0 ? x[0][0] : 0;
    c = Array.isArray(first) ? first.length : 1;
    const flat = new Float64Array(h * w * c);
    let o = 0;
    for (let i = 0; i < h; i++) {
      const row = x[i];
      if (!Array.isArray(row) || row.length !== w) {
        throw new ShapeError(`Cannot apply toTensor() to ragged rows: row ${i} differs from row 0`);
      }
      for (let j = 0; j < w; j++) {
        const px = row[j] as number | number[];
        if (c === 1 && typeof px === "number") flat[o++] = px;
        else if (Array.isArray(px) && px.length === c) { for (const v of px) flat[o++] = v; }
        else {
          throw new ShapeError(
            `Cannot apply toTensor() to ragged pixels: pixel [${i}, ${j}] differs from pixel [0, 0]`,
          );
        }
      }
    }
    data = flat;
  } else if (x && typeof x === "object" && "data" in x) {
    h = x.height;
    w = x.width;
    c = x.channels ?? (h * w > 0 ? x.data.length / (h * w) : 1);
    if (!Number.isInteger(c) || c < 1 || x.data.length !== h * w * c) {
      throw new RangeError(
        `Cannot apply toTensor() to ${x.data.length} values for a ${w}x${h} image: expected width * height * channels values`,
      );
    }
    data = x.data;
  } else {
    throw new TypeError(
      `Cannot apply toTensor() to ${typeof x}: expected an ImageLike, a tensor or nested arrays`,
    );
  }
  const out = new Float32Array(h * w * c);
  const hw = h * w;
  for (let p = 0; p < hw; p++) {
    for (let k = 0; k < c; k++) out[k * hw + p] = data[p * c + k] / 255;
  }
  return cpuTensor(out, [c, h, w]);
}

/**
 * Makes a transform that normalises each channel, `(x - mean[c]) / std[c]`,
 * like torchvision's `Normalize`. Input `[..., C, H, W]` float32, with `C`
 * equal to the number of means (or a single mean and std for all channels).
 *
 * @param mean Per-channel means.
 * @param std Per-channel standard deviations (non-zero).
 * @returns The transform.
 * @example
 * ```ts
 * import { normalize } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const y = normalize([1, 2], [2, 4])(tensor([[[3]], [[10]]]));
 * console.assert(y.dataSync().join() === "1,2");
 * ```
 */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  if (mean.length === 0 || mean.length !== std.length) {
    throw new RangeError(
      `Cannot create normalize() with ${mean.length} means and ${std.length} standard deviations: expected equal, non-zero counts`,
    );
  }
  std.forEach((s, i) => {
    if (s === 0 || !Number.isFinite(s)) {
      throw new RangeError(
        `Cannot create normalize() with std[${i}] = ${s}: expected a finite non-zero value`,
      );
    }
  });
  const m = [...mean], inv = std.map((s) => 1 / s);
  return (x: Tensor) => {
    const c = channelsOf(x, "normalize");
    if (m.length !== 1 && m.length !== c) {
      throw new ShapeError(
        `Cannot normalize() shape ${
          fmtShape(x.shape)
        } with ${m.length} means: the image has ${c} channels`,
      );
    }
    const { data, planes, h, w } = imageGeometry(x, "normalize", true);
    const hw = h * w;
    for (let p = 0; p < planes; p++) {
      const k = m.length === 1 ? 0 : p % c;
      const mk = m[k], sk = inv[k], o = p * hw;
      for (let i = 0; i < hw; i++) data[o + i] = (data[o + i] - mk) * sk;
    }
    return like(x, data);
  };
}

/**
 * Subtracts from each channel of each image its own mean over `H x W`
 * (input `[..., C, H, W]` or `[H, W]`, float32).
 *
 * @param x The image(s).
 * @returns Same shape, each plane with zero mean.
 * @example
 * ```ts
 * import { subtractMean } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(subtractMean(tensor([[1, 3], [5, 7]])).dataSync().join() === "-3,-1,1,3");
 * ```
 */
export function subtractMean(x: Tensor): Tensor {
  const { data, planes, h, w } = imageGeometry(x, "subtractMean", true);
  const hw = h * w;
  for (let p = 0; p < planes; p++) {
    const o = p * hw;
    let s = 0;
    for (let i = 0; i < hw; i++) s += data[o + i];
    const mu = s / hw;
    for (let i = 0; i < hw; i++) data[o + i] -= mu;
  }
  return like(x, data);
}

/**
 * Rescales each image linearly so that its minimum becomes 0 and its
 * maximum 1 (a constant image becomes 0). An image is the last three axes
 * `[C, H, W]` of `[..., C, H, W]`, or the whole of a `[H, W]` input.
 *
 * @param x The image(s), float32.
 * @returns Same shape, values in 0..1.
 * @example
 * ```ts
 * import { minMaxScale } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(minMaxScale(tensor([[2, 4], [6, 10]])).dataSync().join() === "0,0.25,0.5,1");
 * ```
 */
export function minMaxScale(x: Tensor): Tensor {
  const { data, h, w } = imageGeometry(x, "minMaxScale", true);
  const per = x.ndim >= 3 ? x.shape[x.ndim - 3] * h * w : h * w;
  const n = per === 0 ? 0 : data.length / per;
  for (let b = 0; b < n; b++) {
    const o = b * per;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < per; i++) {
      const v = data[o + i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const scale = hi > lo ? 1 / (hi - lo) : 0;
    for (let i = 0; i < per; i++) data[o + i] = (data[o + i] - lo) * scale;
  }
  return like(x, data);
}
