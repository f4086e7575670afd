/**
 * Random augmentations, torchvision style, each seeded: flips, random crop,
 * random resized crop, colour jitter, random rotation and random erasing.
 *
 * Every factory takes `{ rng }` or `{ seed }`; the transform it returns
 * draws from the generator passed at call time when there is one, else from
 * its own. With the same seed (and the same call sequence) the outputs are
 * the same. A batch `[N, C, H, W]` gets one draw for all its images, as in
 * torchvision.
 *
 * @module
 */
import { fmtShape, ShapeError, type Tensor } from "@dendrite/tensor";
import { adjustBrightness, adjustContrast, adjustSaturation } from "./color.ts";
import {
  crop,
  hflip,
  type PaddingMode,
  resizedCrop,
  type ResizeOptions,
  rotate,
  vflip,
} from "./geometry.ts";
import { channelsOf, imageGeometry, like } from "./_image.ts";
import { resolveRng, type Rng, type RngOptions } from "./rng.ts";
import type { Transform } from "./transforms.ts";

function checkProbability(p: number, op: string): void {
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`Cannot create ${op}() with p = ${p}: expected a probability in [0, 1]`);
  }
}

function checkRange(r: readonly number[], op: string, what: string, positive = false): void {
  if (r.length !== 2 || !(r[0] <= r[1]) || (positive && !(r[0] > 0))) {
    throw new RangeError(
      `Cannot create ${op}() with ${what} [${r.join(", ")}]: expected [low, high] with low <= high${
        positive ? " and low > 0" : ""
      }`,
    );
  }
}

/** Python's `round` (ties to even), used where torchvision rounds sizes. */
function roundEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function sizePair(size: number | readonly [number, number], op: string): [number, number] {
  const s: [number, number] = typeof size === "number" ? [size, size] : [size[0], size[1]];
  if (!s.every((v) => Number.isInteger(v) && v > 0)) {
    throw new RangeError(
      `Cannot create ${op}() with size ${
        JSON.stringify(size)
      }: expected a positive integer or [height, width]`,
    );
  }
  return s;
}

/**
 * Makes a transform that mirrors images left to right with probability `p`,
 * like torchvision's `RandomHorizontalFlip`.
 *
 * @param p The flip probability (default 0.5).
 * @param options `rng` or `seed`.
 * @returns The transform (`[..., H, W]` in, same shape out).
 * @example
 * ```ts
 * import { randomHorizontalFlip } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(randomHorizontalFlip(1)(tensor([[1, 2]])).dataSync().join() === "2,1");
 * ```
 */
export function randomHorizontalFlip(p = 0.5, options: RngOptions = {}): Transform {
  checkProbability(p, "randomHorizontalFlip");
  const own = resolveRng(options);
  return (x: Tensor, rng?: Rng) => ((rng ?? own).random() < p ? hflip(x) : x);
}

/**
 * Makes a transform that mirrors images top to bottom with probability `p`,
 * like torchvision's `RandomVerticalFlip`.
 *
 * @param p The flip probability (default 0.5).
 * @param options `rng` or `seed`.
 * @returns The transform (`[..., H, W]` in, same shape out).
 * @example
 * ```ts
 * import { randomVerticalFlip } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(randomVerticalFlip(1)(tensor([[1], [2]])).dataSync().join() === "2,1");
 * ```
 */
export function randomVerticalFlip(p = 0.5, options: RngOptions = {}): Transform {
  checkProbability(p, "randomVerticalFlip");
  const own = resolveRng(options);
  return (x: Tensor, rng?: Rng) => ((rng ?? own).random() < p ? vflip(x) : x);
}

/** Options for {@link randomCrop}. */
export interface RandomCropOptions extends RngOptions {
  /**
   * Padding added first: one number for all sides, `[leftRight, topBottom]`,
   * or `[left, top, right, bottom]` (torchvision's order). Default 0.
   */
  padding?: number | readonly number[];
  /** Pad images smaller than the crop, as torchvision's `pad_if_needed` (default false). */
  padIfNeeded?: boolean;
  /** The padding value in "constant" mode (default 0). */
  fill?: number;
  /** How padding is filled (default "constant"). */
  paddingMode?: PaddingMode;
}

/**
 * Makes a transform that pads images (optionally), then cuts a window of
 * `size` at a uniformly random position, like torchvision's `RandomCrop`
 * (the classic CIFAR augmentation is `randomCrop(32, { padding: 4 })`).
 *
 * @param size The crop size: one number (square) or `[height, width]`.
 * @param options `padding`, `padIfNeeded`, `fill`, `paddingMode`, `rng` or `seed`.
 * @returns The transform (`[..., H, W]` in, `[..., height, width]` out).
 * @example
 * ```ts
 * import { randomCrop } from "@dendrite/data";
 * import { ones } from "@dendrite/tensor";
 * const y = randomCrop(4, { padding: 2, seed: 0 })(ones([3, 4, 4]));
 * console.assert(y.shape.join() === "3,4,4");
 * ```
 */
export function randomCrop(
  size: number | readonly [number, number],
  options: RandomCropOptions = {},
): Transform {
  const [th, tw] = sizePair(size, "randomCrop");
  const pad = options.padding ?? 0;
  const p = typeof pad === "number"
    ? [pad, pad, pad, pad]
    : pad.length === 2
    ? [pad[0], pad[1], pad[0], pad[1]]
    : [...pad];
  if (p.length !== 4 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new RangeError(
      `Cannot create randomCrop() with padding ${
        JSON.stringify(pad)
      }: expected a non-negative integer, [leftRight, topBottom] or [left, top, right, bottom]`,
    );
  }
  const own = resolveRng(options);
  const mode = options.paddingMode ?? "constant";
  return (x: Tensor, rng?: Rng) => {
    const r = rng ?? own;
    const { h, w } = imageGeometry(x, "randomCrop");
    let [pl, pt, pr, pb] = p;
    let ph = h + pt + pb, pw = w + pl + pr;
    if (options.padIfNeeded && pw < tw) {
      const d = tw - pw;
      pl += d;
      pr += d;
      pw += 2 * d;
    }
    if (options.padIfNeeded && ph < th) {
      const d = th - ph;
      pt += d;
      pb += d;
      ph += 2 * d;
    }
    if (ph < th || pw < tw) {
      throw new ShapeError(
        `Cannot randomCrop() [${th}, ${tw}] from shape ${
          fmtShape(x.shape)
        } padded to ${ph}x${pw}: the crop is larger than the image (use padIfNeeded)`,
      );
    }
    const i = ph === th ? 0 : r.int(0, ph - th + 1);
    const j = pw === tw ? 0 : r.int(0, pw - tw + 1);
    return crop(x, [i - pt, j - pl, th, tw], { fill: options.fill ?? 0, paddingMode: mode });
  };
}

/** Options for {@link randomResizedCrop}. */
export interface RandomResizedCropOptions extends RngOptions, ResizeOptions {
  /** Range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width/height (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
}

/**
 * Draws the crop window of `randomResizedCrop` the way torchvision does: up
 * to 10 tries of a random area and log-uniform aspect ratio, else a centre
 * crop with the ratio clamped.
 *
 * @param h Image height.
 * @param w Image width.
 * @param scale Area fraction range.
 * @param ratio Aspect ratio range.
 * @param rng The generator.
 * @returns `[top, left, height, width]`.
 * @example
 * ```ts
 * import { randomResizedCropBox, Rng } from "@dendrite/data";
 * const [t, l, h, w] = randomResizedCropBox(10, 10, [1, 1], [1, 1], new Rng(0));
 * console.assert(t === 0 && l === 0 && h === 10 && w === 10);
 * ```
 */
export function randomResizedCropBox(
  h: number,
  w: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: Rng,
): [number, number, number, number] {
  const area = h * w;
  const logLo = Math.log(ratio[0]), logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const cw = roundEven(Math.sqrt(target * aspect));
    const ch = roundEven(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      return [rng.int(0, h - ch + 1), rng.int(0, w - cw + 1), ch, cw];
    }
  }
  const inRatio = w / h;
  let cw: number, ch: number;
  if (inRatio < ratio[0]) {
    cw = w;
    ch = roundEven(cw / ratio[0]);
  } else if (inRatio > ratio[1]) {
    ch = h;
    cw = roundEven(ch * ratio[1]);
  } else {
    cw = w;
    ch = h;
  }
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

/**
 * Makes a transform that cuts a random window (random area fraction and
 * aspect ratio) and resizes it to `size`, like torchvision's
 * `RandomResizedCrop` (bilinear, no antialiasing).
 *
 * @param size Output size: one number (square) or `[height, width]`.
 * @param options `scale` (default [0.08, 1]), `ratio` (default [3/4, 4/3]), `interpolation`, `rng` or `seed`.
 * @returns The transform (`[..., H, W]` float32 in, `[..., height, width]` out).
 * @example
 * ```ts
 * import { randomResizedCrop } from "@dendrite/data";
 * import { rand } from "@dendrite/tensor";
 * const y = randomResizedCrop(8, { seed: 1 })(rand([3, 20, 30]));
 * console.assert(y.shape.join() === "3,8,8");
 * ```
 */
export function randomResizedCrop(
  size: number | readonly [number, number],
  options: RandomResizedCropOptions = {},
): Transform {
  const out = sizePair(size, "randomResizedCrop");
  const scale = options.scale ?? [0.08, 1];
  const ratio = options.ratio ?? [3 / 4, 4 / 3];
  checkRange(scale, "randomResizedCrop", "scale", true);
  checkRange(ratio, "randomResizedCrop", "ratio", true);
  const own = resolveRng(options);
  return (x: Tensor, rng?: Rng) => {
    const { h, w } = imageGeometry(x, "randomResizedCrop", true);
    const box = randomResizedCropBox(h, w, scale, ratio, rng ?? own);
    return resizedCrop(x, box, out, options);
  };
}

/** A jitter strength: `s` means factors in `[max(0, 1 - s), 1 + s]`; or `[low, high]`. */
export type JitterRange = number | readonly [number, number];

/** Options for {@link colorJitter}. */
export interface ColorJitterOptions extends RngOptions {
  /** Brightness jitter (default 0: off). */
  brightness?: JitterRange;
  /** Contrast jitter (default 0: off). */
  contrast?: JitterRange;
  /** Saturation jitter (default 0: off). */
  saturation?: JitterRange;
}

function jitterRange(v: JitterRange | undefined, name: string): [number, number] | null {
  if (v === undefined) return null;
  if (typeof v === "number") {
    if (!(v >= 0)) {
      throw new RangeError(`Cannot create colorJitter() with ${name} ${v}: expected >= 0`);
    }
    return v === 0 ? null : [Math.max(0, 1 - v), 1 + v];
  }
  if (v.length !== 2 || !(v[0] >= 0 && v[0] <= v[1])) {
    throw new RangeError(
      `Cannot create colorJitter() with ${name} [${v.join(", ")}]: expected 0 <= low <= high`,
    );
  }
  return v[0] === 1 && v[1] === 1 ? null : [v[0], v[1]];
}

/**
 * Makes a transform that randomly changes brightness, contrast and
 * saturation, each by a factor drawn uniformly from its range, applied in a
 * random order, like torchvision's `ColorJitter` (without hue).
 *
 * @param options `brightness`, `contrast`, `saturation`, `rng` or `seed`.
 * @returns The transform (`[..., C, H, W]` float32 in 0..1, C = 1 or 3).
 * @example
 * ```ts
 * import { colorJitter } from "@dendrite/data";
 * import { full } from "@dendrite/tensor";
 * const y = colorJitter({ brightness: 0.5, seed: 3 })(full([3, 2, 2], 0.5)).dataSync();
 * console.assert(y[0] >= 0.25 && y[0] <= 0.75);
 * ```
 */
export function colorJitter(options: ColorJitterOptions = {}): Transform {
  const ranges = [
    jitterRange(options.brightness, "brightness"),
    jitterRange(options.contrast, "contrast"),
    jitterRange(options.saturation, "saturation"),
  ];
  const fns = [adjustBrightness, adjustContrast, adjustSaturation];
  const own = resolveRng(options);
  return (x: Tensor, rng?: Rng) => {
    const r = rng ?? own;
    const order = r.permutation(3);
    const factors = ranges.map((rg) => (rg ? r.uniform(rg[0], rg[1]) : 1));
    let y = x;
    for (const k of order) if (ranges[k]) y = fns[k](y, factors[k]);
    return y;
  };
}

/** Options for {@link randomRotation}. */
export interface RandomRotationOptions extends RngOptions {
  /** "nearest" (default) or "bilinear". */
  interpolation?: "nearest" | "bilinear";
  /** The value outside the rotated image (default 0). */
  fill?: number;
  /** Centre of rotation `[x, y]` in pixels (default: the image centre). */
  center?: readonly [number, number];
}

/**
 * Makes a transform that rotates images by a uniformly random angle,
 * counter-clockwise, like torchvision's `RandomRotation`.
 *
 * @param degrees Angles in `[-degrees, degrees]`, or a `[min, max]` range.
 * @param options `interpolation`, `fill`, `center`, `rng` or `seed`.
 * @returns The transform (`[..., H, W]` float32 in, same shape out).
 * @example
 * ```ts
 * import { randomRotation } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const y = randomRotation([90, 90])(tensor([[1, 2], [3, 4]]));
 * console.assert(y.dataSync().join() === "2,4,1,3");
 * ```
 */
export function randomRotation(
  degrees: number | readonly [number, number],
  options: RandomRotationOptions = {},
): Transform {
  let range: [number, number];
  if (typeof degrees === "number") {
    if (!(degrees >= 0)) {
      throw new RangeError(
        `Cannot create randomRotation() with degrees ${degrees}: expected a non-negative number or [min, max]`,
      );
    }
    range = [-degrees, degrees];
  } else {
    checkRange(degrees, "randomRotation", "degrees");
    range = [degrees[0], degrees[1]];
  }
  const own = resolveRng(options);
  return (x: Tensor, rng?: Rng) => rotate(x, (rng ?? own).uniform(range[0], range[1]), options);
}

/** Options for {@link randomErasing}. */
export interface RandomErasingOptions extends RngOptions {
  /** The probability of erasing (default 0.5). */
  p?: number;
  /** Range of the erased area as a fraction of the image's (default [0.02, 0.33]). */
  scale?: readonly [number, number];
  /** Range of the erased box's aspect ratio (default [0.3, 3.3]). */
  ratio?: readonly [number, number];
  /** The fill: one value, one per channel, or "random" (standard normal noise). Default 0. */
  value?: number | readonly number[] | "random";
}

/**
 * Makes a transform that, with probability `p`, overwrites a random
 * rectangle of each image (Zhong et al., 2017), like torchvision's
 * `RandomErasing`. Apply it after `toTensor`/`normalize`.
 *
 * @param options `p`, `scale`, `ratio`, `value`, `rng` or `seed`.
 * @returns The transform (`[..., C, H, W]` float32 in, same shape out).
 * @example
 * ```ts
 * import { randomErasing } from "@dendrite/data";
 * import { ones } from "@dendrite/tensor";
 * const y = randomErasing({ p: 1, seed: 0 })(ones([1, 10, 10]));
 * console.assert(y.dataSync().includes(0));
 * ```
 */
export function randomErasing(options: RandomErasingOptions = {}): Transform {
  const p = options.p ?? 0.5;
  checkProbability(p, "randomErasing");
  const scale = options.scale ?? [0.02, 0.33];
  const ratio = options.ratio ?? [0.3, 3.3];
  checkRange(scale, "randomErasing", "scale");
  checkRange(ratio, "randomErasing", "ratio", true);
  const value = options.value ?? 0;
  const own = resolveRng(options);
  return (x: Tensor, rng?: Rng) => {
    const r = rng ?? own;
    const c = channelsOf(x, "randomErasing");
    if (Array.isArray(value) && value.length !== 1 && value.length !== c) {
      throw new ShapeError(
        `Cannot apply randomErasing() with ${value.length} values to shape ${
          fmtShape(x.shape)
        }: expected 1 or ${c} (one per channel)`,
      );
    }
    if (!(r.random() < p)) return x;
    const { data, planes, h, w } = imageGeometry(x, "randomErasing", true);
    const area = h * w;
    const logLo = Math.log(ratio[0]), logHi = Math.log(ratio[1]);
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * r.uniform(scale[0], scale[1]);
      const aspect = Math.exp(r.uniform(logLo, logHi));
      const eh = roundEven(Math.sqrt(target * aspect));
      const ew = roundEven(Math.sqrt(target / aspect));
      if (!(eh < h && ew < w)) continue;
      let noise: Float32Array | null = null;
      if (value === "random") {
        noise = new Float32Array(c * eh * ew);
        for (let k = 0; k < noise.length; k++) noise[k] = r.normal();
      }
      const top = r.int(0, h - eh + 1), left = r.int(0, w - ew + 1);
      for (let pl = 0; pl < planes; pl++) {
        const ch = pl % c;
        const v = typeof value === "number"
          ? value
          : Array.isArray(value)
          ? value[value.length === 1 ? 0 : ch]
          : 0;
        for (let y = 0; y < eh; y++) {
          const row = pl * area + (top + y) * w + left;
          for (let xx = 0; xx < ew; xx++) {
            data[row + xx] = noise ? noise[(ch * eh + y) * ew + xx] : v;
          }
        }
      }
      return like(x, data);
    }
    return x;
  };
}
