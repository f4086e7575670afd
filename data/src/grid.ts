/**
 * `makeGrid`: tile a batch of images into one image, like
 * `torchvision.utils.make_grid`.
 *
 * @module
 */
import { fmtShape, ShapeError, stack, Tensor } from "@dendrite/tensor";
import { cpuTensor } from "./_image.ts";

/** Options for {@link makeGrid}. */
export interface MakeGridOptions {
  /** Images per row (default 8). */
  nrow?: number;
  /** Pixels between and around images (default 2). */
  padding?: number;
  /** The value of padding pixels (default 0). */
  padValue?: number;
  /** Shift and scale values into 0..1 by their min and max (or `valueRange`) (default false). */
  normalize?: boolean;
  /** With `normalize`, the `[min, max]` mapped to 0..1 (default: the data's). */
  valueRange?: readonly [number, number];
  /** With `normalize`, scale each image by its own min and max (default false). */
  scaleEach?: boolean;
}

/**
 * Tiles images into a grid image, like `torchvision.utils.make_grid`: `nrow`
 * images per row with `padding` pixels of `padValue` between and around
 * them. Single-channel images are repeated to 3 channels (as torchvision
 * does); a single image is returned without padding.
 *
 * For `N` images `[C, H, W]` the output is `[C', rows * (H + padding) + padding,
 * cols * (W + padding) + padding]` with `cols = min(nrow, N)`, `rows = ceil(N / cols)`.
 *
 * @param images A batch `[N, C, H, W]`, a list of same-shaped `[C, H, W]` tensors, or one image.
 * @param options `nrow`, `padding`, `padValue`, `normalize`, `valueRange`, `scaleEach`.
 * @returns The grid image `[C', H', W']`, float32 (C' = 3 for 1-channel input).
 * @example
 * ```ts
 * import { makeGrid } from "@dendrite/data";
 * import { ones } from "@dendrite/tensor";
 * const g = makeGrid(ones([5, 3, 4, 4]), { nrow: 2 });
 * console.assert(g.shape.join() === "3,20,14");
 * ```
 */
export function makeGrid(
  images: Tensor | readonly Tensor[],
  options: MakeGridOptions = {},
): Tensor {
  const nrow = options.nrow ?? 8, padding = options.padding ?? 2, padValue = options.padValue ?? 0;
  if (!Number.isInteger(nrow) || nrow < 1) {
    throw new RangeError(`Cannot makeGrid() with nrow ${nrow}: expected a positive integer`);
  }
  if (!Number.isInteger(padding) || padding < 0) {
    throw new RangeError(
      `Cannot makeGrid() with padding ${padding}: expected a non-negative integer`,
    );
  }
  let x: Tensor;
  if (images instanceof Tensor) x = images;
  else {
    if (images.length === 0) {
      throw new RangeError("Cannot makeGrid() of an empty list: expected at least one image");
    }
    x = stack(images, 0);
  }
  let shape = [...x.shape];
  if (shape.length === 2) shape = [1, ...shape];
  if (shape.length === 3) shape = [1, ...shape];
  if (shape.length !== 4) {
    throw new ShapeError(
      `Cannot makeGrid() shape ${fmtShape(x.shape)}: expected [N, C, H, W], [C, H, W] or [H, W]`,
    );
  }
  let [n, c, h, w] = shape;
  let data = Float32Array.from(x.dataSync());
  if (c === 1) {
    const rep = new Float32Array(n * 3 * h * w), hw = h * w;
    for (let i = 0; i < n; i++) {
      const src = data.subarray(i * hw, (i + 1) * hw);
      for (let k = 0; k < 3; k++) rep.set(src, (i * 3 + k) * hw);
    }
    data = rep;
    c = 3;
  }
  if (options.normalize) {
    const per = c * h * w;
    const groups = options.scaleEach ? n : 1, len = options.scaleEach ? per : n * per;
    for (let g = 0; g < groups; g++) {
      const seg = data.subarray(g * len, (g + 1) * len);
      let lo: number, hi: number;
      if (options.valueRange) [lo, hi] = options.valueRange;
      else {
        lo = Infinity;
        hi = -Infinity;
        for (const v of seg) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      const scale = 1 / Math.max(hi - lo, 1e-5);
      for (let i = 0; i < seg.length; i++) {
        const v = (Math.min(Math.max(seg[i], lo), hi) - lo) * scale;
        seg[i] = v;
      }
    }
  }
  if (n === 1) return cpuTensor(data, [c, h, w]);
  const cols = Math.min(nrow, n), rows = Math.ceil(n / cols);
  const cellH = h + padding, cellW = w + padding;
  const gh = rows * cellH + padding, gw = cols * cellW + padding;
  const out = new Float32Array(c * gh * gw).fill(padValue);
  for (let k = 0; k < n; k++) {
    const r = Math.floor(k / cols), col = k % cols;
    const top = r * cellH + padding, left = col * cellW + padding;
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        const s = ((k * c + ch) * h + y) * w;
        out.set(data.subarray(s, s + w), (ch * gh + top + y) * gw + left);
      }
    }
  }
  return cpuTensor(out, [c, gh, gw]);
}
