/**
 * Minimal RGB image helpers for the examples: an RGB canvas, a 3×5 pixel
 * digit font, and a PNG encoder (zlib through fflate).
 *
 * @module
 */
import { zlibSync } from "fflate";

/** An RGB image, row-major, 3 bytes per pixel. */
export class Canvas {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** RGB bytes. */
  readonly data: Uint8Array;

  /**
   * Creates a canvas filled with `background`.
   *
   * @param width Width.
   * @param height Height.
   * @param background RGB fill.
   */
  constructor(
    width: number,
    height: number,
    background: [number, number, number] = [255, 255, 255],
  ) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.data.set(background, i * 3);
  }

  /**
   * Sets one pixel (ignored outside the canvas).
   *
   * @param x Column.
   * @param y Row.
   * @param rgb Colour.
   */
  set(x: number, y: number, rgb: readonly number[]): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 3;
    this.data[o] = rgb[0], this.data[o + 1] = rgb[1], this.data[o + 2] = rgb[2];
  }

  /**
   * Fills a rectangle.
   *
   * @param x Left.
   * @param y Top.
   * @param w Width.
   * @param h Height.
   * @param rgb Colour.
   */
  rect(x: number, y: number, w: number, h: number, rgb: readonly number[]): void {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) this.set(i, j, rgb);
  }

  /**
   * Draws text with the 3×5 font (digits, '/', letters used by the demo).
   *
   * @param x Left.
   * @param y Top.
   * @param text The text.
   * @param rgb Colour.
   * @param scale Pixel size.
   */
  text(x: number, y: number, text: string, rgb: readonly number[], scale = 1): void {
    let cx = x;
    for (const ch of text) {
      const glyph = FONT[ch.toUpperCase()] ?? FONT["?"];
      for (let r = 0; r < 5; r++) {
        for (let c = 0; c < 3; c++) {
          if (glyph[r] & (4 >> c)) this.rect(cx + c * scale, y + r * scale, scale, scale, rgb);
        }
      }
      cx += 4 * scale;
    }
  }

  /**
   * Encodes the canvas as PNG.
   *
   * @returns The file contents.
   */
  toPng(): Uint8Array {
    return encodePng(this.width, this.height, this.data);
  }
}

/** 3×5 glyphs, one row per number, bits 4-2-1 from left to right. */
const FONT: Record<string, number[]> = {
  "0": [7, 5, 5, 5, 7],
  "1": [2, 6, 2, 2, 7],
  "2": [7, 1, 7, 4, 7],
  "3": [7, 1, 7, 1, 7],
  "4": [5, 5, 7, 1, 1],
  "5": [7, 4, 7, 1, 7],
  "6": [7, 4, 7, 5, 7],
  "7": [7, 1, 1, 1, 1],
  "8": [7, 5, 7, 5, 7],
  "9": [7, 5, 7, 1, 7],
  "/": [1, 1, 2, 4, 4],
  " ": [0, 0, 0, 0, 0],
  "?": [7, 1, 3, 0, 2],
  "%": [5, 1, 2, 4, 5],
  ".": [0, 0, 0, 0, 2],
  "-": [0, 0, 7, 0, 0],
  ":": [0, 2, 0, 2, 0],
  A: [2, 5, 7, 5, 5],
  B: [6, 5, 6, 5, 6],
  C: [7, 4, 4, 4, 7],
  D: [6, 5, 5, 5, 6],
  E: [7, 4, 6, 4, 7],
  F: [7, 4, 6, 4, 4],
  G: [7, 4, 5, 5, 7],
  H: [5, 5, 7, 5, 5],
  I: [7, 2, 2, 2, 7],
  K: [5, 5, 6, 5, 5],
  L: [4, 4, 4, 4, 7],
  M: [5, 7, 7, 5, 5],
  N: [6, 5, 5, 5, 5],
  O: [7, 5, 5, 5, 7],
  P: [7, 5, 7, 4, 4],
  R: [7, 5, 6, 5, 5],
  S: [7, 4, 7, 1, 7],
  T: [7, 2, 2, 2, 2],
  U: [5, 5, 5, 5, 7],
  V: [5, 5, 5, 5, 2],
  W: [5, 5, 7, 7, 5],
  X: [5, 5, 2, 5, 5],
  Y: [5, 5, 2, 2, 2],
};

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes 8-bit RGB pixels as a PNG file.
 *
 * @param width Width.
 * @param height Height.
 * @param rgb `width·height·3` bytes.
 * @returns The PNG bytes.
 */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const raw = new Uint8Array(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) {
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width), dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlibSync(raw, { level: 6 })),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), o += p.length;
  return out;
}
