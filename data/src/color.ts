/**
 * Colour adjustments (brightness, contrast, saturation) for float images in
 * 0..1, like torchvision's functional transforms.
 *
 * @module
 */
import { fmtShape, ShapeError, type Tensor, type TypedArray } from "@dendrite/tensor";
import { clamp01, imageGeometry, like } from "./_image.ts";

/**
 * Scales brightness: `clamp(x * factor, 0, 1)`, like torchvision's
 * `F.adjust_brightness` for float images.
 *
 * @param x The image(s) `[..., C, H, W]` or `[H, W]`, float32 in 0..1.
 * @param factor Non-negative; 1 leaves the image unchanged.
 * @returns The adjusted image(s).
 * @example
 * ```ts
 * import { adjustBrightness } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(adjustBrightness(tensor([[0.2, 0.8]]), 2).dataSync().join() === "0.4000000059604645,1");
 * ```
 */
export function adjustBrightness(x: Tensor, factor: number): Tensor {
  const { data } = imageGeometry(x, "adjustBrightness", true);
  for (let i = 0; i < data.length; i++) data[i] = clamp01(data[i] * factor);
  return like(x, data);
}

/** Writes the grayscale of each image (0.2989 R + 0.587 G + 0.114 B) per pixel. */
function grayPlanes(data: TypedArray, images: number, c: number, hw: number): Float32Array {
  const g = new Float32Array(images * hw);
  for (let b = 0; b < images; b++) {
    const o = b * c * hw, go = b * hw;
    if (c === 3) {
      for (let i = 0; i < hw; i++) {
        g[go + i] = 0.2989 * data[o + i] + 0.587 * data[o + hw + i] + 0.114 * data[o + 2 * hw + i];
      }
    } else {
      for (let i = 0; i < hw; i++) g[go + i] = data[o + i];
    }
  }
  return g;
}

function colorGeometry(x: Tensor, op: string) {
  const g = imageGeometry(x, op, true);
  const c = x.ndim >= 3 ? x.shape[x.ndim - 3] : 1;
  if (c !== 1 && c !== 3) {
    throw new ShapeError(
      `Cannot apply ${op}() to shape ${fmtShape(x.shape)}: expected 1 or 3 channels, got ${c}`,
    );
  }
  const hw = g.h * g.w;
  return { ...g, c, hw, images: hw === 0 ? 0 : g.data.length / (c * hw) };
}

/**
 * Scales contrast: blends each image with the mean of its grayscale,
 * `clamp(factor * x + (1 - factor) * mean, 0, 1)`, like torchvision's
 * `F.adjust_contrast`.
 *
 * @param x The image(s) `[..., C, H, W]` (C = 1 or 3) or `[H, W]`, float32 in 0..1.
 * @param factor Non-negative; 0 gives a gray image, 1 the original.
 * @returns The adjusted image(s).
 * @example
 * ```ts
 * import { adjustContrast } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(adjustContrast(tensor([[[0, 1]]]), 0).dataSync().join() === "0.5,0.5");
 * ```
 */
export function adjustContrast(x: Tensor, factor: number): Tensor {
  const { data, c, hw, images } = colorGeometry(x, "adjustContrast");
  const g = grayPlanes(data, images, c, hw);
  for (let b = 0; b < images; b++) {
    let s = 0;
    for (let i = 0; i < hw; i++) s += g[b * hw + i];
    const mean = Math.fround(s / hw) * (1 - factor);
    const o = b * c * hw;
    for (let i = 0; i < c * hw; i++) data[o + i] = clamp01(factor * data[o + i] + mean);
  }
  return like(x, data);
}

/**
 * Scales saturation: blends each pixel with its grayscale,
 * `clamp(factor * x + (1 - factor) * gray, 0, 1)`, like torchvision's
 * `F.adjust_saturation` (single-channel images are returned unchanged).
 *
 * @param x The image(s) `[..., C, H, W]` (C = 1 or 3) or `[H, W]`, float32 in 0..1.
 * @param factor Non-negative; 0 gives grayscale, 1 the original.
 * @returns The adjusted image(s).
 * @example
 * ```ts
 * import { adjustSaturation } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const y = adjustSaturation(tensor([[[1]], [[0]], [[0]]]), 0).dataSync();
 * console.assert(Math.abs(y[0] - 0.2989) < 1e-6 && y[0] === y[2]);
 * ```
 */
export function adjustSaturation(x: Tensor, factor: number): Tensor {
  const { data, c, hw, images } = colorGeometry(x, "adjustSaturation");
  if (c === 1) return like(x, data);
  const g = grayPlanes(data, images, c, hw);
  for (let b = 0; b < images; b++) {
    const o = b * c * hw, go = b * hw;
    for (let k = 0; k < c; k++) {
      for (let i = 0; i < hw; i++) {
        const j = o + k * hw + i;
        data[j] = clamp01(factor * data[j] + (1 - factor) * g[go + i]);
      }
    }
  }
  return like(x, data);
}
