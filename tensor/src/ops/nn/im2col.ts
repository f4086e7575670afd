/**
 * im2col / col2im on typed arrays: the layout transforms behind the CPU
 * convolution kernels, `unfold` and `fold`.
 *
 * Column layout for one group: rows `c·kh·kw + i·kw + j` (channel-major, as
 * PyTorch's `unfold`), columns `n·P + p` with `P = OH·OW`.
 *
 * @module
 */

/** Geometry of a 2-D sliding window. */
export interface Window2d {
  /** Kernel height and width. */
  kh: number;
  /** Kernel width. */
  kw: number;
  /** Stride along H. */
  sh: number;
  /** Stride along W. */
  sw: number;
  /** Padding along H. */
  ph: number;
  /** Padding along W. */
  pw: number;
  /** Dilation along H. */
  dh: number;
  /** Dilation along W. */
  dw: number;
}

/**
 * Output size of a sliding window: `floor((n + 2p − d(k − 1) − 1)/s) + 1`.
 *
 * @param n Input size.
 * @param k Kernel size.
 * @param s Stride.
 * @param p Padding.
 * @param d Dilation.
 * @returns The output size (may be ≤ 0 for impossible geometry).
 */
export function outSize(n: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * Writes columns for channels `[c0, c0 + cg)` of every image into `col`
 * (`[cg·kh·kw, N·OH·OW]`).
 */
export function im2col(
  x: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
  c0: number,
  cg: number,
  win: Window2d,
  oh: number,
  ow: number,
  col: Float32Array,
): void {
  const { kh, kw, sh, sw, ph, pw, dh, dw } = win;
  const P = oh * ow, NP = n * P;
  for (let ci = 0; ci < cg; ci++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((ci * kh + i) * kw + j) * NP;
        for (let b = 0; b < n; b++) {
          const plane = ((b * c) + c0 + ci) * h * w;
          const base = row + b * P;
          for (let y = 0; y < oh; y++) {
            const iy = y * sh - ph + i * dh;
            const o = base + y * ow;
            if (iy < 0 || iy >= h) {
              col.fill(0, o, o + ow);
              continue;
            }
            const rowIn = plane + iy * w;
            const ix0 = -pw + j * dw;
            // Output columns whose input column lies inside the image.
            const lo = ix0 >= 0 ? 0 : Math.min(ow, Math.ceil(-ix0 / sw));
            const hi = Math.max(lo, Math.min(ow, Math.floor((w - 1 - ix0) / sw) + 1));
            for (let xo = 0; xo < lo; xo++) col[o + xo] = 0;
            if (sw === 1) {
              const src = rowIn + ix0;
              for (let xo = lo; xo < hi; xo++) col[o + xo] = x[src + xo];
            } else {
              for (let xo = lo; xo < hi; xo++) col[o + xo] = x[rowIn + xo * sw + ix0];
            }
            for (let xo = hi; xo < ow; xo++) col[o + xo] = 0;
          }
        }
      }
    }
  }
}

/** The adjoint of {@link im2col}: accumulates columns back into `dx`. */
export function col2im(
  col: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
  c0: number,
  cg: number,
  win: Window2d,
  oh: number,
  ow: number,
  dx: Float32Array,
): void {
  const { kh, kw, sh, sw, ph, pw, dh, dw } = win;
  const P = oh * ow, NP = n * P;
  for (let ci = 0; ci < cg; ci++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((ci * kh + i) * kw + j) * NP;
        for (let b = 0; b < n; b++) {
          const plane = ((b * c) + c0 + ci) * h * w;
          const base = row + b * P;
          for (let y = 0; y < oh; y++) {
            const iy = y * sh - ph + i * dh;
            if (iy < 0 || iy >= h) continue;
            const rowIn = plane + iy * w;
            const o = base + y * ow;
            const ix0 = -pw + j * dw;
            const lo = ix0 >= 0 ? 0 : Math.min(ow, Math.ceil(-ix0 / sw));
            const hi = Math.max(lo, Math.min(ow, Math.floor((w - 1 - ix0) / sw) + 1));
            if (sw === 1) {
              const dst = rowIn + ix0;
              for (let xo = lo; xo < hi; xo++) dx[dst + xo] += col[o + xo];
            } else {
              for (let xo = lo; xo < hi; xo++) dx[rowIn + xo * sw + ix0] += col[o + xo];
            }
          }
        }
      }
    }
  }
}
