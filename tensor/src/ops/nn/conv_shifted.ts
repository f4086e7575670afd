/**
 * Stride-1 convolutions as sums of shifted GEMMs, without an im2col matrix.
 *
 * The input is copied once into a zero-padded, channel-major buffer
 * `xP [C, N·Hp·Wp (+ slack)]`. For kernel tap `(i, j)` the input pixel of
 * output position `p = b·Hp·Wp + y·Wp + x` sits at `p + i·dh·Wp + j·dw`, so
 * the whole convolution is `Σ_(i,j) W_ij · xP[:, shift_ij : shift_ij + L]`:
 * one GEMM per tap with `K = C/groups`, accumulated into the same output.
 * Outputs are computed over the padded grid (positions with `y ≥ OH` or
 * `x ≥ OW` are discarded), which costs `Hp·Wp / (OH·OW)` times the useful
 * work but removes the im2col copy (`kh·kw` times the input) that dominates
 * the im2col algorithm in TypeScript. The input gradient scatters the same
 * GEMMs at the shifted offsets (`accumulate`), and the weight gradient is one
 * GEMM per tap against the shifted input.
 *
 * @module
 */
import { gemm } from "../../cpu/gemm.ts";
import type { Window2d } from "./im2col.ts";

/** Geometry shared by the three kernels. */
export interface ShiftedGeometry {
  n: number;
  c: number;
  f: number;
  g: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  /** Padded height and width. */
  hp: number;
  wp: number;
  /** Positions per image (`hp·wp`) and in all (`n·hp·wp`). */
  plane: number;
  len: number;
  /** Row length of the padded buffers (`len` plus the largest shift). */
  ld: number;
  /** The offset of each kernel tap, tap-major (`i·kw + j`). */
  shifts: number[];
}

/**
 * The geometry of a stride-1 convolution in the shifted layout.
 *
 * @returns The geometry.
 */
export function shiftedGeometry(
  n: number,
  c: number,
  f: number,
  g: number,
  h: number,
  w: number,
  win: Window2d,
): ShiftedGeometry {
  const hp = h + 2 * win.ph, wp = w + 2 * win.pw;
  const oh = hp - win.dh * (win.kh - 1), ow = wp - win.dw * (win.kw - 1);
  const plane = hp * wp, len = n * plane;
  const shifts: number[] = [];
  for (let i = 0; i < win.kh; i++) {
    for (let j = 0; j < win.kw; j++) shifts.push(i * win.dh * wp + j * win.dw);
  }
  return {
    n,
    c,
    f,
    g,
    h,
    w,
    oh,
    ow,
    hp,
    wp,
    plane,
    len,
    ld: len + shifts[shifts.length - 1],
    shifts,
  };
}

/** Copies `x [N, C, H, W]` into the zero-padded `[C, ld]` layout. */
export function padChannelMajor(
  x: Float32Array,
  geo: ShiftedGeometry,
  win: Window2d,
  out: Float32Array,
): void {
  const { n, c, h, w, wp, plane, ld } = geo;
  out.fill(0);
  for (let ci = 0; ci < c; ci++) {
    for (let b = 0; b < n; b++) {
      const src = (b * c + ci) * h * w;
      const dst = ci * ld + b * plane + win.ph * wp + win.pw;
      for (let y = 0; y < h; y++) {
        const s = src + y * w, d = dst + y * wp;
        for (let x0 = 0; x0 < w; x0++) out[d + x0] = x[s + x0];
      }
    }
  }
}

/** Rearranges weights `[F, Cg, kh, kw]` as one `[F, Cg]` matrix per tap. */
export function weightsByTap(wt: Float32Array, f: number, cg: number, taps: number): Float32Array {
  const out = new Float32Array(taps * f * cg);
  for (let fi = 0; fi < f; fi++) {
    for (let ci = 0; ci < cg; ci++) {
      const src = (fi * cg + ci) * taps;
      for (let t = 0; t < taps; t++) out[(t * f + fi) * cg + ci] = wt[src + t];
    }
  }
  return out;
}

/**
 * Forward: `out [N, F, OH, OW]` from the padded input and per-tap weights,
 * plus `bias [F]` when given. `tmp` holds `F/groups × len` floats.
 */
export function shiftedForward(
  xP: Float32Array,
  wTap: Float32Array,
  geo: ShiftedGeometry,
  tmp: Float32Array,
  out: Float32Array,
  bias?: Float32Array,
): void {
  const { n, c, f, g, oh, ow, wp, plane, len, ld, shifts } = geo;
  const cg = c / g, fg = f / g;
  for (let gi = 0; gi < g; gi++) {
    for (let t = 0; t < shifts.length; t++) {
      gemm(
        false,
        false,
        fg,
        len,
        cg,
        wTap,
        (t * f + gi * fg) * cg,
        cg,
        xP,
        gi * cg * ld + shifts[t],
        ld,
        tmp,
        0,
        len,
        t > 0,
      );
    }
    for (let fi = 0; fi < fg; fi++) {
      const bv = bias ? bias[gi * fg + fi] : 0;
      for (let b = 0; b < n; b++) {
        const src = fi * len + b * plane, dst = (b * f + gi * fg + fi) * oh * ow;
        for (let y = 0; y < oh; y++) {
          const s = src + y * wp, d = dst + y * ow;
          for (let x0 = 0; x0 < ow; x0++) out[d + x0] = tmp[s + x0] + bv;
        }
      }
    }
  }
}

/** Copies `dy [N, F, OH, OW]` (group `gi`) into the zero-filled `[F/g, len]` padded-grid layout. */
function gridOfGrad(
  dy: Float32Array,
  geo: ShiftedGeometry,
  gi: number,
  dyP: Float32Array,
): void {
  const { n, f, g, oh, ow, wp, plane, len } = geo;
  const fg = f / g;
  dyP.fill(0);
  for (let fi = 0; fi < fg; fi++) {
    for (let b = 0; b < n; b++) {
      const src = (b * f + gi * fg + fi) * oh * ow, dst = fi * len + b * plane;
      for (let y = 0; y < oh; y++) {
        const s = src + y * ow, d = dst + y * wp;
        for (let x0 = 0; x0 < ow; x0++) dyP[d + x0] = dy[s + x0];
      }
    }
  }
}

/**
 * Input gradient: `dx [N, C, H, W]` of a stride-1 convolution. `dyP` holds
 * `F/groups × len` floats and `dxP` `C × ld`.
 */
export function shiftedBackwardInput(
  dy: Float32Array,
  wTap: Float32Array,
  geo: ShiftedGeometry,
  win: Window2d,
  dyP: Float32Array,
  dxP: Float32Array,
  dx: Float32Array,
): void {
  const { n, c, f, g, h, w, wp, plane, len, ld, shifts } = geo;
  const cg = c / g, fg = f / g;
  dxP.fill(0);
  for (let gi = 0; gi < g; gi++) {
    gridOfGrad(dy, geo, gi, dyP);
    for (let t = 0; t < shifts.length; t++) {
      gemm(
        true,
        false,
        cg,
        len,
        fg,
        wTap,
        (t * f + gi * fg) * cg,
        cg,
        dyP,
        0,
        len,
        dxP,
        gi * cg * ld + shifts[t],
        ld,
        true,
      );
    }
  }
  for (let ci = 0; ci < c; ci++) {
    for (let b = 0; b < n; b++) {
      const src = ci * ld + b * plane + win.ph * wp + win.pw, dst = (b * c + ci) * h * w;
      for (let y = 0; y < h; y++) {
        const s = src + y * wp, d = dst + y * w;
        for (let x0 = 0; x0 < w; x0++) dx[d + x0] = dxP[s + x0];
      }
    }
  }
}

/**
 * Weight gradient `[F, Cg, kh, kw]` of a stride-1 convolution from the padded
 * input. `dyP` holds `F/groups × len` floats.
 */
export function shiftedBackwardWeight(
  xP: Float32Array,
  dy: Float32Array,
  geo: ShiftedGeometry,
  dyP: Float32Array,
  dw: Float32Array,
): void {
  const { c, f, g, len, ld, shifts } = geo;
  const cg = c / g, fg = f / g, taps = shifts.length;
  const byTap = new Float32Array(taps * f * cg);
  for (let gi = 0; gi < g; gi++) {
    gridOfGrad(dy, geo, gi, dyP);
    for (let t = 0; t < taps; t++) {
      gemm(
        false,
        true,
        fg,
        cg,
        len,
        dyP,
        0,
        len,
        xP,
        gi * cg * ld + shifts[t],
        ld,
        byTap,
        (t * f + gi * fg) * cg,
        cg,
      );
    }
  }
  for (let fi = 0; fi < f; fi++) {
    for (let ci = 0; ci < cg; ci++) {
      const dst = (fi * cg + ci) * taps;
      for (let t = 0; t < taps; t++) dw[dst + t] = byTap[(t * f + fi) * cg + ci];
    }
  }
}
