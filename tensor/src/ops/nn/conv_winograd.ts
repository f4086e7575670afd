/**
 * Winograd F(2×2, 3×3) convolution for the TypeScript CPU path (stride 1,
 * 3×3 kernel, no dilation, any padding and groups).
 *
 * Each 2×2 block of outputs is computed from the 4×4 input patch `d` as
 * `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`, summed over input channels, with the
 * transforms of Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks" (2016). The channel sum of the 16 element-wise products is 16
 * GEMMs `U[ξ]·V[ξ]` of size `[F/g × C/g] · [C/g × tiles]`: 16 multiply-adds
 * per 2×2 outputs and input channel instead of 36, so 2.25x fewer than
 * im2col. The transforms are additions and halvings; the weights' transform
 * is computed in doubles and rounded once.
 *
 * The weight gradient is the adjoint: `dw = Gᵀ [Σₜ (A dyₜ Aᵀ) ⊙ (Bᵀ dₜ B)] G`
 * over the 2×2 tiles `dyₜ` of the output gradient, again 16 GEMMs, with the
 * tiles as their inner dimension.
 *
 * The batch runs in chunks of about {@link WINOGRAD_CHUNK} tiles, so the
 * transformed inputs and products stay in cache between the three phases.
 * Each chunk's 16 products go to `gemmBatch` as one batch: when the
 * TypeScript GEMM runs them and has worker threads, the transformed data
 * live in the workers' shared memory (`batchOperands`) and the products are
 * shared out whole (they are too thin to split by rows).
 *
 * @module
 */
import { batchOperands, gemmBatch, type GemmJob } from "../../cpu/gemm.ts";
import { scratch } from "./scratch.ts";

/**
 * Tiles (2×2 output blocks) per chunk of images: the transformed input
 * (16·C floats per tile) and the products (16·F per tile) of a chunk stay
 * in the core's cache. Exported so tests can force one image per chunk.
 */
export const WINOGRAD_CHUNK = { tiles: 512 };

/** A convolution's shape as the Winograd kernel sees it (stride 1, 3×3). */
export interface WinogradShape {
  /** Images. */
  n: number;
  /** Input channels. */
  c: number;
  /** Input height. */
  h: number;
  /** Input width. */
  w: number;
  /** Output channels. */
  f: number;
  /** Groups. */
  groups: number;
  /** Padding above and below. */
  ph: number;
  /** Padding left and right. */
  pw: number;
  /** Output height (`h + 2·ph − 2`). */
  oh: number;
  /** Output width (`w + 2·pw − 2`). */
  ow: number;
}

/**
 * The transformed weights `U[ξ][f][c/g] = (G g Gᵀ)[ξ]` of `[f, c/g, 3, 3]`
 * weights, with `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`.
 */
export function winogradWeights(ws: Float32Array, f: number, cg: number): Float32Array {
  const u = new Float32Array(16 * f * cg);
  const plane = f * cg;
  for (let fc = 0; fc < plane; fc++) {
    const o = fc * 9;
    // t = G·g (4×3), column by column of g.
    const t = new Array<number>(12);
    for (let j = 0; j < 3; j++) {
      const g0 = ws[o + j], g1 = ws[o + 3 + j], g2 = ws[o + 6 + j];
      t[j] = g0;
      t[3 + j] = 0.5 * (g0 + g1 + g2);
      t[6 + j] = 0.5 * (g0 - g1 + g2);
      t[9 + j] = g2;
    }
    // U = t·Gᵀ (4×4), row by row of t.
    for (let i = 0; i < 4; i++) {
      const r0 = t[i * 3], r1 = t[i * 3 + 1], r2 = t[i * 3 + 2];
      u[(i * 4) * plane + fc] = r0;
      u[(i * 4 + 1) * plane + fc] = 0.5 * (r0 + r1 + r2);
      u[(i * 4 + 2) * plane + fc] = 0.5 * (r0 - r1 + r2);
      u[(i * 4 + 3) * plane + fc] = r2;
    }
  }
  return u;
}

/**
 * Writes `V[ξ][ci][t] = (Bᵀ d B)[ξ]` for every channel and 2×2 output tile
 * `t` of images `b0 .. b0 + nb`, where `d` is the tile's 4×4 input patch
 * (zeros outside the image) and
 * `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`.
 */
function inputTransform(
  xs: Float32Array,
  s: WinogradShape,
  b0: number,
  nb: number,
  v: Float32Array,
): void {
  const { c, h, w, ph, pw } = s;
  const th = Math.ceil(s.oh / 2), tw = Math.ceil(s.ow / 2);
  const tiles = nb * th * tw, xi = c * tiles;
  const d = new Float64Array(16);
  for (let bi = 0; bi < nb; bi++) {
    for (let ci = 0; ci < c; ci++) {
      const plane = ((b0 + bi) * c + ci) * h * w;
      let t = bi * th * tw;
      let vo = ci * tiles + t;
      for (let ty = 0; ty < th; ty++) {
        const y0 = 2 * ty - ph;
        const rowsIn = y0 >= 0 && y0 + 3 < h;
        for (let tx = 0; tx < tw; tx++, t++, vo++) {
          const x0 = 2 * tx - pw;
          let d00, d01, d02, d03, d10, d11, d12, d13, d20, d21, d22, d23, d30, d31, d32, d33;
          if (rowsIn && x0 >= 0 && x0 + 3 < w) {
            let p = plane + y0 * w + x0;
            d00 = xs[p], d01 = xs[p + 1], d02 = xs[p + 2], d03 = xs[p + 3];
            p += w;
            d10 = xs[p], d11 = xs[p + 1], d12 = xs[p + 2], d13 = xs[p + 3];
            p += w;
            d20 = xs[p], d21 = xs[p + 1], d22 = xs[p + 2], d23 = xs[p + 3];
            p += w;
            d30 = xs[p], d31 = xs[p + 1], d32 = xs[p + 2], d33 = xs[p + 3];
          } else {
            for (let i = 0; i < 4; i++) {
              const y = y0 + i;
              for (let j = 0; j < 4; j++) {
                const x = x0 + j;
                d[i * 4 + j] = y >= 0 && y < h && x >= 0 && x < w ? xs[plane + y * w + x] : 0;
              }
            }
            d00 = d[0], d01 = d[1], d02 = d[2], d03 = d[3];
            d10 = d[4], d11 = d[5], d12 = d[6], d13 = d[7];
            d20 = d[8], d21 = d[9], d22 = d[10], d23 = d[11];
            d30 = d[12], d31 = d[13], d32 = d[14], d33 = d[15];
          }
          // Bᵀ·d, column by column.
          const a00 = d00 - d20, a01 = d01 - d21, a02 = d02 - d22, a03 = d03 - d23;
          const a10 = d10 + d20, a11 = d11 + d21, a12 = d12 + d22, a13 = d13 + d23;
          const a20 = d20 - d10, a21 = d21 - d11, a22 = d22 - d12, a23 = d23 - d13;
          const a30 = d10 - d30, a31 = d11 - d31, a32 = d12 - d32, a33 = d13 - d33;
          // (Bᵀ·d)·B, row by row.
          v[vo] = a00 - a02;
          v[vo + xi] = a01 + a02;
          v[vo + 2 * xi] = a02 - a01;
          v[vo + 3 * xi] = a01 - a03;
          v[vo + 4 * xi] = a10 - a12;
          v[vo + 5 * xi] = a11 + a12;
          v[vo + 6 * xi] = a12 - a11;
          v[vo + 7 * xi] = a11 - a13;
          v[vo + 8 * xi] = a20 - a22;
          v[vo + 9 * xi] = a21 + a22;
          v[vo + 10 * xi] = a22 - a21;
          v[vo + 11 * xi] = a21 - a23;
          v[vo + 12 * xi] = a30 - a32;
          v[vo + 13 * xi] = a31 + a32;
          v[vo + 14 * xi] = a32 - a31;
          v[vo + 15 * xi] = a31 - a33;
        }
      }
    }
  }
}

/**
 * Writes the outputs of images `b0 .. b0 + nb` from the products
 * `M[ξ][fi][t]`: `Y = Aᵀ M A` with `Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`,
 * plus the bias.
 */
function outputTransform(
  m: Float32Array,
  s: WinogradShape,
  b0: number,
  nb: number,
  bias: Float32Array | undefined,
  out: Float32Array,
): void {
  const { f, oh, ow } = s;
  const th = Math.ceil(oh / 2), tw = Math.ceil(ow / 2);
  const tiles = nb * th * tw, xi = f * tiles;
  const evenW = ow % 2 === 0;
  for (let bi = 0; bi < nb; bi++) {
    for (let fi = 0; fi < f; fi++) {
      const bv = bias ? bias[fi] : 0;
      const plane = ((b0 + bi) * f + fi) * oh * ow;
      let mo = fi * tiles + bi * th * tw;
      for (let ty = 0; ty < th; ty++) {
        const oy = 2 * ty, two = oy + 1 < oh;
        for (let tx = 0; tx < tw; tx++, mo++) {
          const m00 = m[mo], m01 = m[mo + xi], m02 = m[mo + 2 * xi], m03 = m[mo + 3 * xi];
          const m10 = m[mo + 4 * xi], m11 = m[mo + 5 * xi];
          const m12 = m[mo + 6 * xi], m13 = m[mo + 7 * xi];
          const m20 = m[mo + 8 * xi], m21 = m[mo + 9 * xi];
          const m22 = m[mo + 10 * xi], m23 = m[mo + 11 * xi];
          const m30 = m[mo + 12 * xi], m31 = m[mo + 13 * xi];
          const m32 = m[mo + 14 * xi], m33 = m[mo + 15 * xi];
          // Aᵀ·M, column by column.
          const s00 = m00 + m10 + m20, s01 = m01 + m11 + m21;
          const s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
          const s10 = m10 - m20 - m30, s11 = m11 - m21 - m31;
          const s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
          const o = plane + oy * ow + 2 * tx;
          out[o] = s00 + s01 + s02 + bv;
          if (evenW || 2 * tx + 1 < ow) {
            out[o + 1] = s01 - s02 - s03 + bv;
            if (two) {
              out[o + ow] = s10 + s11 + s12 + bv;
              out[o + ow + 1] = s11 - s12 - s13 + bv;
            }
          } else if (two) out[o + ow] = s10 + s11 + s12 + bv;
        }
      }
    }
  }
}

/**
 * The products and output transform in one pass, for groups of one input
 * channel (`C/g = 1`: a first layer on gray images, a depthwise layer),
 * where a GEMM over one channel would spend its time packing: for each
 * output channel, `M = U[f] ⊙ V[t]` tile by tile with the 16 values of
 * `U[f]` held in locals, then `Y = Aᵀ M A` as in {@link outputTransform}.
 * (The tile's stores repeat outputTransform's on purpose: moved into a
 * shared function they made this loop 6% slower, or 40% with the branches
 * ordered differently, as V8 inlined it or not.)
 */
function singleChannelOutput(
  u: Float32Array,
  v: Float32Array,
  s: WinogradShape,
  b0: number,
  nb: number,
  bias: Float32Array | undefined,
  out: Float32Array,
): void {
  const { c, f, oh, ow, groups: g } = s;
  const fg = f / g;
  const th = Math.ceil(oh / 2), tw = Math.ceil(ow / 2);
  const tiles = nb * th * tw, xi = c * tiles, uxi = f;
  const evenW = ow % 2 === 0;
  for (let fo = 0; fo < f; fo++) {
    const bv = bias ? bias[fo] : 0;
    const u00 = u[fo], u01 = u[fo + uxi], u02 = u[fo + 2 * uxi], u03 = u[fo + 3 * uxi];
    const u10 = u[fo + 4 * uxi], u11 = u[fo + 5 * uxi];
    const u12 = u[fo + 6 * uxi], u13 = u[fo + 7 * uxi];
    const u20 = u[fo + 8 * uxi], u21 = u[fo + 9 * uxi];
    const u22 = u[fo + 10 * uxi], u23 = u[fo + 11 * uxi];
    const u30 = u[fo + 12 * uxi], u31 = u[fo + 13 * uxi];
    const u32 = u[fo + 14 * uxi], u33 = u[fo + 15 * uxi];
    // The group's one input channel.
    const vc = Math.floor(fo / fg) * tiles;
    for (let bi = 0; bi < nb; bi++) {
      const plane = ((b0 + bi) * f + fo) * oh * ow;
      let vo = vc + bi * th * tw;
      for (let ty = 0; ty < th; ty++) {
        const oy = 2 * ty, two = oy + 1 < oh;
        for (let tx = 0; tx < tw; tx++, vo++) {
          const m00 = u00 * v[vo], m01 = u01 * v[vo + xi];
          const m02 = u02 * v[vo + 2 * xi], m03 = u03 * v[vo + 3 * xi];
          const m10 = u10 * v[vo + 4 * xi], m11 = u11 * v[vo + 5 * xi];
          const m12 = u12 * v[vo + 6 * xi], m13 = u13 * v[vo + 7 * xi];
          const m20 = u20 * v[vo + 8 * xi], m21 = u21 * v[vo + 9 * xi];
          const m22 = u22 * v[vo + 10 * xi], m23 = u23 * v[vo + 11 * xi];
          const m30 = u30 * v[vo + 12 * xi], m31 = u31 * v[vo + 13 * xi];
          const m32 = u32 * v[vo + 14 * xi], m33 = u33 * v[vo + 15 * xi];
          const s00 = m00 + m10 + m20, s01 = m01 + m11 + m21;
          const s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
          const s10 = m10 - m20 - m30, s11 = m11 - m21 - m31;
          const s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
          const o = plane + oy * ow + 2 * tx;
          out[o] = s00 + s01 + s02 + bv;
          if (evenW || 2 * tx + 1 < ow) {
            out[o + 1] = s01 - s02 - s03 + bv;
            if (two) {
              out[o + ow] = s10 + s11 + s12 + bv;
              out[o + ow + 1] = s11 - s12 - s13 + bv;
            }
          } else if (two) out[o + ow] = s10 + s11 + s12 + bv;
        }
      }
    }
  }
}

/** Tiles per image, and images per chunk (about {@link WINOGRAD_CHUNK} tiles). */
function chunking(s: WinogradShape): { perImage: number; nb: number } {
  const perImage = Math.ceil(s.oh / 2) * Math.ceil(s.ow / 2);
  return { perImage, nb: Math.max(1, Math.min(s.n, Math.floor(WINOGRAD_CHUNK.tiles / perImage))) };
}

/**
 * The Winograd convolution of contiguous `[n, c, h, w]` input `xs` with
 * `[f, c/groups, 3, 3]` weights `ws` (stride 1, no dilation) into
 * `[n, f, oh, ow]` `out`, every element of which it writes.
 *
 * @param xs The input.
 * @param ws The weights.
 * @param s The geometry.
 * @param bias Per-output-channel bias, or undefined.
 * @param out The output.
 */
export function winogradConv(
  xs: Float32Array,
  ws: Float32Array,
  s: WinogradShape,
  bias: Float32Array | undefined,
  out: Float32Array,
): void {
  const { n, c, f, groups: g } = s;
  const cg = c / g, fg = f / g;
  let u = winogradWeights(ws, f, cg);
  const { perImage, nb } = chunking(s);
  const vSize = 16 * c * nb * perImage, mSize = 16 * f * nb * perImage;
  // With the TypeScript GEMM's worker threads, the transformed data live
  // where they can reach them and the 16 products per chunk are shared out.
  const tilesMax = nb * perImage;
  const shared = cg === 1
    ? undefined
    : batchOperands([u.length, vSize, mSize], fg, tilesMax, cg, 16 * g * fg * tilesMax * cg);
  if (shared) u = (shared[0].set(u), shared[0]);
  const v = shared ? shared[1] : scratch("winograd-v", vSize);
  const m = cg === 1 ? v : shared ? shared[2] : scratch("winograd-m", mSize);
  for (let b0 = 0; b0 < n; b0 += nb) {
    const cb = Math.min(nb, n - b0), tiles = cb * perImage;
    inputTransform(xs, s, b0, cb, v);
    if (cg === 1) {
      singleChannelOutput(u, v, s, b0, cb, bias, out);
      continue;
    }
    const jobs: GemmJob[] = [];
    for (let xi = 0; xi < 16; xi++) {
      for (let gi = 0; gi < g; gi++) {
        jobs.push({
          transA: false,
          transB: false,
          m: fg,
          n: tiles,
          k: cg,
          a: u,
          aOff: (xi * f + gi * fg) * cg,
          lda: cg,
          b: v,
          bOff: (xi * c + gi * cg) * tiles,
          ldb: tiles,
          c: m,
          cOff: (xi * f + gi * fg) * tiles,
          ldc: tiles,
        });
      }
    }
    gemmBatch(jobs);
    outputTransform(m, s, b0, cb, bias, out);
  }
}

/**
 * Writes `Z[ξ][fi][t] = (A dyₜ Aᵀ)[ξ]` for every output channel and 2×2
 * tile `dyₜ` of images `b0 .. b0 + nb` of the output gradient (zeros past
 * odd edges), with `A = [[1, 0], [1, 1], [1, −1], [0, −1]]`: the adjoint of
 * the output transform.
 */
function gradTransform(
  ys: Float32Array,
  s: WinogradShape,
  b0: number,
  nb: number,
  z: Float32Array,
): void {
  const { f, oh, ow } = s;
  const th = Math.ceil(oh / 2), tw = Math.ceil(ow / 2);
  const tiles = nb * th * tw, xi = f * tiles;
  for (let bi = 0; bi < nb; bi++) {
    for (let fi = 0; fi < f; fi++) {
      const plane = ((b0 + bi) * f + fi) * oh * ow;
      let zo = fi * tiles + bi * th * tw;
      for (let ty = 0; ty < th; ty++) {
        const oy = 2 * ty, two = oy + 1 < oh;
        for (let tx = 0; tx < tw; tx++, zo++) {
          const o = plane + oy * ow + 2 * tx, right = 2 * tx + 1 < ow;
          const a = ys[o], b = right ? ys[o + 1] : 0;
          const c = two ? ys[o + ow] : 0, d = two && right ? ys[o + ow + 1] : 0;
          // A·dy (4×2), then (A·dy)·Aᵀ row by row.
          const q10 = a + c, q11 = b + d, q20 = a - c, q21 = b - d;
          z[zo] = a;
          z[zo + xi] = a + b;
          z[zo + 2 * xi] = a - b;
          z[zo + 3 * xi] = -b;
          z[zo + 4 * xi] = q10;
          z[zo + 5 * xi] = q10 + q11;
          z[zo + 6 * xi] = q10 - q11;
          z[zo + 7 * xi] = -q11;
          z[zo + 8 * xi] = q20;
          z[zo + 9 * xi] = q20 + q21;
          z[zo + 10 * xi] = q20 - q21;
          z[zo + 11 * xi] = -q21;
          z[zo + 12 * xi] = -c;
          z[zo + 13 * xi] = -c - d;
          z[zo + 14 * xi] = d - c;
          z[zo + 15 * xi] = d;
        }
      }
    }
  }
}

/**
 * The weight gradient `[f, c/groups, 3, 3]` of {@link winogradConv}'s
 * convolution, from the contiguous input `xs` and output gradient `ys`.
 *
 * @param xs The input, `[n, c, h, w]`.
 * @param ys The output gradient, `[n, f, oh, ow]`.
 * @param s The geometry.
 * @returns The weight gradient.
 */
export function winogradWeightGrad(
  xs: Float32Array,
  ys: Float32Array,
  s: WinogradShape,
): Float32Array {
  const { n, c, f, groups: g } = s;
  const cg = c / g, fg = f / g;
  const { perImage, nb } = chunking(s);
  const vSize = 16 * c * nb * perImage, zSize = 16 * f * nb * perImage, tilesMax = nb * perImage;
  // (See winogradConv: the worker threads' shared arrays, when they run.)
  const shared = batchOperands(
    [vSize, zSize, 16 * f * cg],
    fg,
    cg,
    tilesMax,
    16 * g * fg * cg * tilesMax,
  );
  const v = shared ? shared[0] : scratch("winograd-v", vSize);
  const z = shared ? shared[1] : scratch("winograd-m", zSize);
  // dU[ξ][f][c/g], summed over the chunks (every element written by the first).
  const du = shared ? shared[2] : new Float32Array(16 * f * cg);
  for (let b0 = 0; b0 < n; b0 += nb) {
    const cb = Math.min(nb, n - b0), tiles = cb * perImage;
    inputTransform(xs, s, b0, cb, v);
    gradTransform(ys, s, b0, cb, z);
    const jobs: GemmJob[] = [];
    for (let xi = 0; xi < 16; xi++) {
      for (let gi = 0; gi < g; gi++) {
        jobs.push({
          transA: false,
          transB: true,
          m: fg,
          n: cg,
          k: tiles,
          a: z,
          aOff: (xi * f + gi * fg) * tiles,
          lda: tiles,
          b: v,
          bOff: (xi * c + gi * cg) * tiles,
          ldb: tiles,
          c: du,
          cOff: (xi * f + gi * fg) * cg,
          ldc: cg,
          accumulate: b0 > 0,
        });
      }
    }
    gemmBatch(jobs);
  }
  // dw = Gᵀ·dU·G with Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]].
  const plane = f * cg, dw = new Float32Array(plane * 9);
  for (let fc = 0; fc < plane; fc++) {
    const t = new Array<number>(12);
    // t = Gᵀ·dU (3×4), column by column.
    for (let j = 0; j < 4; j++) {
      const d0 = du[j * plane + fc], d1 = du[(4 + j) * plane + fc];
      const d2 = du[(8 + j) * plane + fc], d3 = du[(12 + j) * plane + fc];
      t[j] = d0 + 0.5 * (d1 + d2);
      t[4 + j] = 0.5 * (d1 - d2);
      t[8 + j] = 0.5 * (d1 + d2) + d3;
    }
    // dw = t·G (3×3), row by row.
    for (let i = 0; i < 3; i++) {
      const r0 = t[i * 4], r1 = t[i * 4 + 1], r2 = t[i * 4 + 2], r3 = t[i * 4 + 3];
      dw[fc * 9 + i * 3] = r0 + 0.5 * (r1 + r2);
      dw[fc * 9 + i * 3 + 1] = 0.5 * (r1 - r2);
      dw[fc * 9 + i * 3 + 2] = 0.5 * (r1 + r2) + r3;
    }
  }
  return dw;
}
