/**
 * PNG image I/O (through pngjs): `readPng`, `encodePng`, `writePng`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { fmtShape, ShapeError, type Tensor } from "@dendrite/tensor";
import { PNG } from "pngjs";
import { cpuTensor } from "./_image.ts";

/** Options for {@link readPng}. */
export interface ReadPngOptions {
  /** The file name used in error messages (default: the path, or "PNG data"). */
  name?: string;
}

/**
 * Decodes a PNG into a float tensor `[C, H, W]` with values in 0..1:
 * grayscale images give `C = 1`, colour (RGB, palette) images `C = 3`; any
 * alpha channel is dropped. 16-bit and low-bit-depth images are scaled by
 * their own maximum (`2^depth - 1`).
 *
 * @param source The PNG bytes, or a file path (read synchronously).
 * @param options `name` for error messages.
 * @returns The image tensor `[C, H, W]`, float32.
 * @example
 * ```ts
 * import { encodePng, readPng } from "@dendrite/data";
 * import { tensor } from "@dendrite/tensor";
 * const img = readPng(encodePng(tensor([[0, 1], [1, 0]])));
 * console.assert(img.shape.join() === "1,2,2" && img.dataSync().join() === "0,1,1,0");
 * ```
 */
export function readPng(source: Uint8Array | string, options: ReadPngOptions = {}): Tensor {
  const name = options.name ?? (typeof source === "string" ? source : "PNG data");
  const bytes = typeof source === "string" ? Deno.readFileSync(source) : source;
  // deno-lint-ignore no-explicit-any
  let png: any;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      skipRescale: true,
    });
  } catch (e) {
    throw new Error(`Cannot read PNG ${name}: ${(e as Error).message}`);
  }
  const w: number = png.width, h: number = png.height;
  const c = png.color ? 3 : 1;
  const max = png.colorType === 3 ? 255 : 2 ** png.depth - 1;
  const src = png.data as ArrayLike<number>;
  const hw = h * w;
  const out = new Float32Array(c * hw);
  for (let k = 0; k < c; k++) {
    const o = k * hw;
    for (let p = 0; p < hw; p++) out[o + p] = src[4 * p + k] / max;
  }
  return cpuTensor(out, [c, h, w]);
}

function pngGeometry(x: Tensor, op: string): { c: number; h: number; w: number } {
  if (x.ndim === 2) return { c: 1, h: x.shape[0], w: x.shape[1] };
  if (x.ndim === 3 && (x.shape[0] === 1 || x.shape[0] === 3)) {
    return { c: x.shape[0], h: x.shape[1], w: x.shape[2] };
  }
  throw new ShapeError(
    `Cannot ${op}() shape ${fmtShape(x.shape)}: expected [H, W], [1, H, W] or [3, H, W]`,
  );
}

function encode(values: ArrayLike<number>, c: number, h: number, w: number): Uint8Array {
  const hw = h * w;
  const bytes = Buffer.alloc(hw * c);
  for (let k = 0; k < c; k++) {
    const o = k * hw;
    for (let p = 0; p < hw; p++) {
      const v = values[o + p];
      // Clamp to 0..1 (NaN -> 0), then scale and round.
      bytes[p * c + k] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
    }
  }
  const out = PNG.sync.write({ width: w, height: h, data: bytes } as unknown as PNG, {
    colorType: c === 1 ? 0 : 2,
    inputColorType: c === 1 ? 0 : 2,
    inputHasAlpha: false,
    bitDepth: 8,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Encodes an image tensor as an 8-bit PNG: `[H, W]` or `[1, H, W]` as
 * grayscale, `[3, H, W]` as RGB; values are clamped to 0..1 (NaN as 0),
 * multiplied by 255 and rounded.
 *
 * @param x The image (CPU tensor; `writePng` also accepts other backends).
 * @returns The PNG file bytes.
 * @example
 * ```ts
 * import { encodePng } from "@dendrite/data";
 * import { zeros } from "@dendrite/tensor";
 * const png = encodePng(zeros([3, 4, 4]));
 * console.assert(png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47); // "PNG"
 * ```
 */
export function encodePng(x: Tensor): Uint8Array {
  const { c, h, w } = pngGeometry(x, "encodePng");
  if (h === 0 || w === 0) {
    throw new ShapeError(`Cannot encodePng() shape ${fmtShape(x.shape)}: the image is empty`);
  }
  return encode(x.dataSync(), c, h, w);
}

/**
 * Writes an image tensor to a PNG file (see {@link encodePng} for the
 * accepted shapes and value mapping).
 *
 * @param path The file to write.
 * @param x The image `[H, W]`, `[1, H, W]` or `[3, H, W]` with values in 0..1.
 * @returns Resolves when the file is written.
 * @example
 * ```ts
 * import { readPng, writePng } from "@dendrite/data";
 * import { rand } from "@dendrite/tensor";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await writePng(path, rand([3, 8, 8]));
 * console.assert(readPng(path).shape.join() === "3,8,8");
 * ```
 */
export async function writePng(path: string, x: Tensor): Promise<void> {
  const { c, h, w } = pngGeometry(x, "writePng");
  if (h === 0 || w === 0) {
    throw new ShapeError(`Cannot writePng() shape ${fmtShape(x.shape)}: the image is empty`);
  }
  await Deno.writeFile(path, encode(await x.data(), c, h, w));
}
