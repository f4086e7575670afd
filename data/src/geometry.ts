/**
 * Geometric image operations: flips, crops with padding, resizing (bilinear
 * or nearest) and rotation, on CPU tensors `[..., H, W]`, like torchvision's
 * functional transforms.
 *
 * @module
 */
import type { Tensor, TypedArray } from "@dendrite/tensor";
import { imageGeometry, like } from "./_image.ts";
import type { Transform } from "./transforms.ts";

/**
 * Copies pixels by row and column index maps: `out[p, y, x] = src[p, rows[y], cols[x]]`,
 * or `fill` where either index is -1. The engine behind flips, crops and padding.
 *
 * @param x The image `[..., H, W]`.
 * @param rows Source row per output row (-1: fill).
 * @param cols Source column per output column (-1: fill).
 * @param fill The value for filled pixels (default 0).
 * @returns The image `[..., rows.length, cols.length]`, same dtype.
 * @example
 * ```ts
 * import { remapImage } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const y = remapImage(tensor([[1, 2], [3, 4]]), new Int32Array([1, -1]), new Int32Array([0, 1]));
 * console.assert(y.dataSync().join() === "3,4,0,0");
 * ```
 */
export function remapImage(
  x: Tensor,
  rows: Int32Array,
  cols: Int32Array,
  fill = 0,
): Tensor {
  const { data, planes, h, w } = imageGeometry(x, "remapImage");
  const oh = rows.length, ow = cols.length;
  const out = new (data.constructor as new (n: number) => TypedArray)(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    const si = p * h * w;
    let o = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      const r = rows[y];
      if (r < 0) {
        for (let c = 0; c < ow; c++) out[o++] = fill;
        continue;
      }
      const rs = si + r * w;
      for (let c = 0; c < ow; c++) {
        const s = cols[c];
        out[o++] = s < 0 ? fill : data[rs + s];
      }
    }
  }
  return like(x, out, [...x.shape.slice(0, -2), oh, ow]);
}

/**
 * Mirrors images left to right (`[..., H, W]`).
 *
 * @param x The image(s).
 * @returns The flipped image(s).
 * @example
 * ```ts
 * import { hflip } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(hflip(tensor([[1, 2, 3]])).dataSync().join() === "3,2,1");
 * ```
 */
export function hflip(x: Tensor): Tensor {
  const { h, w } = imageGeometry(x, "hflip");
  return remapImage(
    x,
    Int32Array.from({ length: h }, (_, i) => i),
    Int32Array.from({ length: w }, (_, i) => w - 1 - i),
  );
}

/**
 * Mirrors images top to bottom (`[..., H, W]`).
 *
 * @param x The image(s).
 * @returns The flipped image(s).
 * @example
 * ```ts
 * import { vflip } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(vflip(tensor([[1], [2]])).dataSync().join() === "2,1");
 * ```
 */
export function vflip(x: Tensor): Tensor {
  const { h, w } = imageGeometry(x, "vflip");
  return remapImage(
    x,
    Int32Array.from({ length: h }, (_, i) => h - 1 - i),
    Int32Array.from({ length: w }, (_, i) => i),
  );
}

/** How `crop` and `randomCrop` fill pixels outside the image. */
export type PaddingMode = "constant" | "edge" | "reflect" | "symmetric";

function mapIndex(p: number, n: number, mode: PaddingMode): number {
  if (p >= 0 && p < n) return p;
  if (mode === "constant" || n === 0) return -1;
  if (mode === "edge") return p < 0 ? 0 : n - 1;
  if (mode === "reflect") {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    let q = ((p % period) + period) % period;
    if (q >= n) q = period - q;
    return q;
  }
  const period = 2 * n;
  let q = ((p % period) + period) % period;
  if (q >= n) q = period - 1 - q;
  return q;
}

/** Options for {@link crop}. */
export interface CropOptions {
  /** Value outside the image in "constant" mode (default 0). */
  fill?: number;
  /** How to fill outside the image (default "constant"). */
  paddingMode?: PaddingMode;
}

/**
 * Cuts the window of `height x width` pixels whose top-left corner is at
 * `(top, left)`; parts outside the image are padded (`fill`, or by edge,
 * reflect or symmetric mode), like torchvision's `F.crop`.
 *
 * @param x The image(s) `[..., H, W]`.
 * @param box `[top, left, height, width]` (top/left may be negative).
 * @param options `fill`, `paddingMode`.
 * @returns The window `[..., height, width]`.
 * @example
 * ```ts
 * import { crop } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const y = crop(tensor([[1, 2], [3, 4]]), [-1, 0, 2, 2]);
 * console.assert(y.dataSync().join() === "0,0,1,2");
 * ```
 */
export function crop(
  x: Tensor,
  box: readonly [number, number, number, number],
  options: CropOptions = {},
): Tensor {
  const [top, left, ch, cw] = box;
  if (![top, left, ch, cw].every(Number.isInteger) || ch < 0 || cw < 0) {
    throw new RangeError(
      `Cannot crop() box [${
        box.join(", ")
      }]: expected integers [top, left, height, width] with non-negative sizes`,
    );
  }
  const { h, w } = imageGeometry(x, "crop");
  const mode = options.paddingMode ?? "constant";
  const rows = Int32Array.from({ length: ch }, (_, i) => mapIndex(top + i, h, mode));
  const cols = Int32Array.from({ length: cw }, (_, i) => mapIndex(left + i, w, mode));
  return remapImage(x, rows, cols, options.fill ?? 0);
}

/**
 * Resamples the window `[top, top+ch) x [left, left+cw)` of float planes to
 * `oh x ow` by bilinear interpolation (half-pixel centres, edge clamped) or
 * nearest neighbour: the arithmetic of PyTorch's `interpolate` with
 * `align_corners=false`, `antialias=false`.
 */
function resample(
  src: TypedArray,
  planes: number,
  h: number,
  w: number,
  box: readonly [number, number, number, number],
  oh: number,
  ow: number,
  mode: "bilinear" | "nearest",
): Float32Array {
  const [top, left, ch, cw] = box;
  const out = new Float32Array(planes * oh * ow);
  const sy = ch / oh, sx = cw / ow;
  if (mode === "nearest") {
    const rows = new Int32Array(oh), cols = new Int32Array(ow);
    for (let y = 0; y < oh; y++) rows[y] = top + Math.min(Math.floor(y * sy), ch - 1);
    for (let x = 0; x < ow; x++) cols[x] = left + Math.min(Math.floor(x * sx), cw - 1);
    let o = 0;
    for (let p = 0; p < planes; p++) {
      const base = p * h * w;
      for (let y = 0; y < oh; y++) {
        const rb = base + rows[y] * w;
        for (let x = 0; x < ow; x++) out[o++] = src[rb + cols[x]];
      }
    }
    return out;
  }
  const y0 = new Int32Array(oh), y1 = new Int32Array(oh), fy = new Float64Array(oh);
  for (let y = 0; y < oh; y++) {
    const s = Math.max(0, (y + 0.5) * sy - 0.5);
    const i = Math.min(Math.floor(s), ch - 1);
    y0[y] = top + i;
    y1[y] = top + Math.min(i + 1, ch - 1);
    fy[y] = s - i;
  }
  const x0 = new Int32Array(ow), x1 = new Int32Array(ow), fx = new Float64Array(ow);
  for (let x = 0; x < ow; x++) {
    const s = Math.max(0, (x + 0.5) * sx - 0.5);
    const i = Math.min(Math.floor(s), cw - 1);
    x0[x] = left + i;
    x1[x] = left + Math.min(i + 1, cw - 1);
    fx[x] = s - i;
  }
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let y = 0; y < oh; y++) {
      const r0 = base + y0[y] * w, r1 = base + y1[y] * w, b = fy[y], a = 1 - b;
      for (let x = 0; x < ow; x++) {
        const c0 = x0[x], c1 = x1[x], d = fx[x], c = 1 - d;
        out[o++] = a * (c * src[r0 + c0] + d * src[r0 + c1]) +
          b * (c * src[r1 + c0] + d * src[r1 + c1]);
      }
    }
  }
  return out;
}

/** Options for {@link resize}. */
export interface ResizeOptions {
  /** "bilinear" (default) or "nearest". */
  interpolation?: "bilinear" | "nearest";
}

/**
 * Computes the output size of `resize`: `[h, w]` as given, or for a single
 * number the shorter side set to it and the other scaled to keep the aspect
 * ratio (truncated), like torchvision.
 *
 * @param h Input height.
 * @param w Input width.
 * @param size A number or `[height, width]`.
 * @returns `[outH, outW]`.
 * @example
 * ```ts
 * import { resizeShape } from "@dendrite/data";
 * console.assert(resizeShape(20, 40, 10).join() === "10,20");
 * ```
 */
export function resizeShape(
  h: number,
  w: number,
  size: number | readonly [number, number],
): [number, number] {
  if (typeof size === "number") {
    if (w <= h) return [Math.floor(size * h / w), size];
    return [size, Math.floor(size * w / h)];
  }
  return [size[0], size[1]];
}

/**
 * Resamples an image region (the engine behind `resize` and `randomResizedCrop`).
 *
 * @param x The image(s) `[..., H, W]`, float32.
 * @param box `[top, left, height, width]` inside the image.
 * @param size `[outH, outW]`.
 * @param options `interpolation`.
 * @returns `[..., outH, outW]`.
 * @example
 * ```ts
 * import { resizedCrop } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const y = resizedCrop(tensor([[1, 2], [3, 4]]), [0, 1, 2, 1], [1, 1]);
 * console.assert(y.dataSync()[0] === 3);
 * ```
 */
export function resizedCrop(
  x: Tensor,
  box: readonly [number, number, number, number],
  size: readonly [number, number],
  options: ResizeOptions = {},
): Tensor {
  const { data, planes, h, w } = imageGeometry(x, "resizedCrop", true);
  const [top, left, ch, cw] = box;
  if (
    ![top, left, ch, cw].every(Number.isInteger) || top < 0 || left < 0 || ch < 1 || cw < 1 ||
    top + ch > h || left + cw > w
  ) {
    throw new RangeError(
      `Cannot resizedCrop() box [${
        box.join(", ")
      }] of a ${h}x${w} image: expected a non-empty window inside it`,
    );
  }
  const [oh, ow] = size;
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) {
    throw new RangeError(`Cannot resize to [${size.join(", ")}]: expected positive integers`);
  }
  const out = resample(data, planes, h, w, box, oh, ow, options.interpolation ?? "bilinear");
  return like(x, out, [...x.shape.slice(0, -2), oh, ow]);
}

/**
 * Makes a transform that resizes images `[..., H, W]` (float32) to `size`,
 * like torchvision's `Resize` without antialiasing (the values of
 * `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`).
 *
 * @param size `[height, width]`, or one number: the shorter side's new length (aspect kept).
 * @param options `interpolation` ("bilinear" default, or "nearest").
 * @returns The transform.
 * @example
 * ```ts
 * import { resize } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const y = resize([2, 4])(tensor([[[0, 1], [2, 3]]]));
 * console.assert(y.shape.join() === "1,2,4" && y.dataSync()[1] === 0.25);
 * ```
 */
export function resize(
  size: number | readonly [number, number],
  options: ResizeOptions = {},
): Transform {
  const sizes = typeof size === "number" ? [size] : [...size];
  if (!sizes.every((s) => Number.isInteger(s) && s > 0) || sizes.length > 2) {
    throw new RangeError(
      `Cannot create resize() with size ${
        JSON.stringify(size)
      }: expected a positive integer or [height, width]`,
    );
  }
  return (x: Tensor) => {
    const { h, w } = imageGeometry(x, "resize", true);
    return resizedCrop(x, [0, 0, h, w], resizeShape(h, w, size), options);
  };
}

/** Options for {@link rotate}. */
export interface RotateOptions {
  /** "nearest" (default) or "bilinear". */
  interpolation?: "nearest" | "bilinear";
  /** The value outside the source image (default 0). */
  fill?: number;
  /** The centre of rotation `[x, y]` in pixels from the top-left corner (default: the image centre). */
  center?: readonly [number, number];
}

/**
 * Rotates images counter-clockwise by `angle` degrees about their centre
 * (same size; uncovered pixels get `fill`), like torchvision's `F.rotate`.
 *
 * @param x The image(s) `[..., H, W]`, float32.
 * @param angle Degrees, counter-clockwise.
 * @param options `interpolation`, `fill`, `center`.
 * @returns The rotated image(s), same shape.
 * @example
 * ```ts
 * import { rotate } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(rotate(tensor([[1, 2], [3, 4]]), 90).dataSync().join() === "2,4,1,3");
 * ```
 */
export function rotate(x: Tensor, angle: number, options: RotateOptions = {}): Tensor {
  const { data, planes, h, w } = imageGeometry(x, "rotate", true);
  const fill = options.fill ?? 0;
  const [cx, cy] = options.center ?? [w / 2, h / 2];
  const rad = (angle * Math.PI) / 180, cos = Math.cos(rad), sin = Math.sin(rad);
  const out = new Float32Array(planes * h * w);
  const bilinear = options.interpolation === "bilinear";
  const hw = h * w;
  for (let y = 0; y < h; y++) {
    const dy = y + 0.5 - cy;
    for (let x = 0; x < w; x++) {
      const dx = x + 0.5 - cx;
      // Inverse map (screen coordinates, y down): source of output pixel (x, y).
      const sx = cos * dx - sin * dy + cx - 0.5, sy = sin * dx + cos * dy + cy - 0.5;
      const o = y * w + x;
      if (!bilinear) {
        const ix = Math.round(sx), iy = Math.round(sy);
        const inside = ix >= 0 && ix < w && iy >= 0 && iy < h;
        for (let p = 0; p < planes; p++) {
          out[p * hw + o] = inside ? data[p * hw + iy * w + ix] : fill;
        }
        continue;
      }
      const ix = Math.floor(sx), iy = Math.floor(sy), fx = sx - ix, fy = sy - iy;
      const in00 = ix >= 0 && ix < w && iy >= 0 && iy < h;
      const in01 = ix + 1 >= 0 && ix + 1 < w && iy >= 0 && iy < h;
      const in10 = ix >= 0 && ix < w && iy + 1 >= 0 && iy + 1 < h;
      const in11 = ix + 1 >= 0 && ix + 1 < w && iy + 1 >= 0 && iy + 1 < h;
      for (let p = 0; p < planes; p++) {
        const b = p * hw;
        const v00 = in00 ? data[b + iy * w + ix] : fill;
        const v01 = in01 ? data[b + iy * w + ix + 1] : fill;
        const v10 = in10 ? data[b + (iy + 1) * w + ix] : fill;
        const v11 = in11 ? data[b + (iy + 1) * w + ix + 1] : fill;
        out[b + o] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
      }
    }
  }
  return like(x, out);
}
