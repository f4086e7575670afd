/**
 * Stride-1 convolutions as a few large GEMMs over row-shifted copies of the
 * input, without an im2col matrix.
 *
 * The input is laid out channel-major with all images one after another,
 * each followed by `zh` zero rows (one gap serves as the bottom padding of an
 * image and the top padding of the next). For every input channel there are
 * `kw` copies of that layout, copy `j` shifted left by `j·dw − pw` columns
 * with the columns that fall outside the image set to zero:
 * `x3 [(c, j), p] = x[c, y, x + j·dw − pw]` at `p = b·plane + y·ws + x`.
 * Output position `p` then finds the input of kernel row `i` at `p + i·dh·ws`
 * in every copy, so the convolution is `Σ_i W_i · x3[:, i·dh·ws : … + len]`:
 * `kh` GEMMs with `K = (C/groups)·kw`, accumulated into one `[F, len]`
 * buffer, of which each image's first `oh` rows are the output. Only the gap
 * rows are computed in vain (`(H + zh) / OH`, 7% for a 3×3 "same" layer at
 * 14×14, where padding both axes cost 31%), and when the output is as wide as
 * the rows every copy in and out moves whole planes.
 *
 * The gradients start from `dy` stacked by kernel row (`rowGradients`): row
 * `(i, f)` holds `dy` of channel `f` in the output layout, moved `i·dh·ws`
 * positions along, so that it lines up with the positions of the shifted
 * copies that kernel row `i` read. The weight gradient is then one GEMM,
 * `x3 · d3ᵀ`, and the input gradient one GEMM, `W · d3`, which gives the
 * gradient of every shifted copy, followed by one pass that adds each copy's
 * gradient back at its shift (`unshiftInto`). Both products are wider than
 * per-row ones (for 32→64 channels at 14×14 with OpenBLAS: dw 3.5 → 2.7 ms,
 * dx 3.0 → 2.1 ms), and `dy` is copied whole instead of column by column with
 * the wrapped-around columns zeroed (1.8 ms of copies for the same layer's
 * earlier input gradient, the convolution of `dy` with the flipped kernel).
 *
 * The forward product and the gradients run over the images in chunks of
 * about `ROW_CHUNK` positions: the output's crop and the sum over the copies
 * read each chunk's product right after it, and the gradients stack each
 * chunk's part of `dy` for both of their products, all while in cache. 4096
 * positions (about 2 MB of result for 64 channels, the size of the L2 cache
 * here) were faster than 2048 or 8192; against whole-batch products, the
 * 32→64-channel layer at 14×14 ran 2% faster forward and forward+backward
 * went 11.7 → 10.2 ms.
 *
 * @module
 */
import { gemm } from "../../cpu/gemm.ts";

/** Geometry of one stride-1 convolution in the row-shifted layout. */
export interface RowGeometry {
  /** Batch, input channels, output channels, groups. */
  n: number;
  cin: number;
  cout: number;
  g: number;
  /** Input and output height and width. */
  h: number;
  w: number;
  oh: number;
  ow: number;
  /** Kernel size, padding and dilation. */
  kh: number;
  kw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  /** Row stride of the layout (`max(w, ow)`). */
  ws: number;
  /** Positions per image (`(h + zh)·ws`) and in all (`n·plane`). */
  plane: number;
  len: number;
  /** Zero positions before the first image (`ph·ws`). */
  lead: number;
  /** Length of one row of the shifted copies. */
  ld: number;
}

/**
 * The row-shifted geometry of a stride-1 convolution, or `undefined` when the
 * layout does not apply (padding larger than the kernel's reach, which would
 * need negative padding for the input gradient).
 *
 * @returns The geometry, or undefined.
 */
export function rowGeometry(
  n: number,
  cin: number,
  cout: number,
  g: number,
  h: number,
  w: number,
  kh: number,
  kw: number,
  ph: number,
  pw: number,
  dh: number,
  dw: number,
): RowGeometry | undefined {
  if (ph > dh * (kh - 1) || pw > dw * (kw - 1)) return undefined;
  const oh = h + 2 * ph - dh * (kh - 1), ow = w + 2 * pw - dw * (kw - 1);
  if (oh < 1 || ow < 1) return undefined;
  const ws = Math.max(w, ow);
  // Image b reads rows up to h − 1 + ph of its own block and, from above,
  // ph rows of the previous block's gap; outputs occupy oh rows of a block.
  const zh = Math.max(ph, oh - h);
  const plane = (h + zh) * ws, len = n * plane, lead = ph * ws;
  const ld = Math.max(len + dh * (kh - 1) * ws, lead + len);
  return { n, cin, cout, g, h, w, oh, ow, kh, kw, ph, pw, dh, dw, ws, plane, len, lead, ld };
}

/** Copies `count` floats (typed-array `set` for long runs, a loop for short ones). */
function copy(dst: Float32Array, d: number, src: Float32Array, s: number, count: number): void {
  if (count >= 64) dst.set(src.subarray(s, s + count), d);
  else for (let k = 0; k < count; k++) dst[d + k] = src[s + k];
}

/**
 * Builds the `kw` shifted copies of `x [n, cin, h, w]`: `x3 [(cin·kw), ld]`
 * (every element written, so `x3` may hold anything before).
 *
 * When rows are as wide as the image, copies are built plane by plane (a
 * block copy of the plane moved by the shift, then the columns that came
 * from a neighbouring row set to zero). Where one shift is zero, that copy
 * holds every column, and the others are it moved by their shift as a whole
 * row (`copyWithin`, 0.66 → 0.46 ms for 64 images of 32 channels at 14×14);
 * a copy with a nonzero shift lacks the columns it shifted out, so without a
 * zero shift every copy is built from `x`. Rows wider than the image are
 * built element by element.
 */
export function buildShifted(x: Float32Array, geo: RowGeometry, x3: Float32Array): void {
  const { cin, w, kw, pw, dw, ws, ld } = geo;
  let j0 = -1;
  for (let j = 0; j < kw; j++) if (j * dw === pw) j0 = j;
  for (let ci = 0; ci < cin; ci++) {
    for (let j = 0; j < kw; j++) {
      const row = (ci * kw + j) * ld, s = j * dw - pw;
      if (ws !== w || j0 < 0 || j === j0) buildCopy(x, geo, ci, s, x3, row);
    }
    if (ws !== w || j0 < 0) continue;
    const r0 = (ci * kw + j0) * ld;
    for (let j = 0; j < kw; j++) {
      if (j === j0) continue;
      const row = (ci * kw + j) * ld, d = (j - j0) * dw, e = Math.abs(d);
      if (e >= w) {
        x3.fill(0, row, row + ld);
        continue;
      }
      // Positions are row-aligned (lead, planes and ld are multiples of ws),
      // so column x of every row sits at a multiple of ws plus x; the
      // columns whose source crossed into the next (d > 0) or previous row
      // are zeroed.
      if (d > 0) {
        x3.copyWithin(row, r0 + d, r0 + ld);
        x3.fill(0, row + ld - d, row + ld);
      } else {
        x3.copyWithin(row + e, r0, r0 + ld - e);
        x3.fill(0, row, row + e);
      }
      for (let q = row + (d > 0 ? w - d : 0); q < row + ld; q += ws) {
        for (let k = 0; k < e; k++) x3[q + k] = 0;
      }
    }
  }
}

/**
 * One shifted copy of channel `ci` (shift `s`) at `row` of `x3`: plane by
 * plane when rows are as wide as the image, else element by element.
 */
function buildCopy(
  x: Float32Array,
  geo: RowGeometry,
  ci: number,
  s: number,
  x3: Float32Array,
  row: number,
): void {
  const { n, cin, h, w, ws, plane, lead, ld } = geo;
  const hw = h * w;
  x3.fill(0, row, row + lead);
  for (let b = 0; b < n; b++) {
    const base = row + lead + b * plane, src = (b * cin + ci) * hw;
    if (ws !== w) {
      for (let y = 0; y < h; y++) {
        const d = base + y * ws, sy = src + y * w;
        for (let x0 = 0; x0 < ws; x0++) {
          const xs = x0 + s;
          x3[d + x0] = xs >= 0 && xs < w ? x[sy + xs] : 0;
        }
      }
      x3.fill(0, base + h * ws, base + plane);
      continue;
    }
    if (Math.abs(s) >= w) x3.fill(0, base, base + hw);
    else if (s >= 0) {
      copy(x3, base, x, src + s, hw - s);
      for (let y = 0; y < h; y++) {
        const e = base + y * w + w;
        for (let k = e - s; k < e; k++) x3[k] = 0;
      }
    } else {
      copy(x3, base - s, x, src, hw + s);
      for (let y = 0; y < h; y++) {
        const e = base + y * w;
        for (let k = e; k < e - s; k++) x3[k] = 0;
      }
    }
    x3.fill(0, base + hw, base + plane);
  }
  x3.fill(0, row + lead + n * plane, row + ld);
}

/** Weights `[F, Cg, kh, kw]` as one `[F, Cg·kw]` matrix per kernel row: `[kh, F, Cg·kw]`. */
export function weightRows(
  wt: Float32Array,
  f: number,
  cg: number,
  kh: number,
  kw: number,
): Float32Array {
  const out = new Float32Array(kh * f * cg * kw), k = cg * kw;
  for (let fi = 0; fi < f; fi++) {
    for (let ci = 0; ci < cg; ci++) {
      for (let i = 0; i < kh; i++) {
        const src = ((fi * cg + ci) * kh + i) * kw, dst = (i * f + fi) * k + ci * kw;
        for (let j = 0; j < kw; j++) out[dst + j] = wt[src + j];
      }
    }
  }
  return out;
}

/**
 * The convolution: `out [n, cout, oh, ow]` from the shifted copies and the
 * weight rows, plus `bias [cout]` when given. `tmp` holds `cout` times the
 * positions of one chunk (`rowChunks(geo).per · plane`, at most `len`).
 */
export function rowForward(
  x3: Float32Array,
  wRows: Float32Array,
  geo: RowGeometry,
  tmp: Float32Array,
  out: Float32Array,
  bias?: Float32Array,
): void {
  const { n, cin, cout: f, g, oh, ow, kh, kw, dh, ws, plane, ld } = geo;
  const cg = cin / g, fg = f / g, k = cg * kw, ohw = oh * ow;
  // Images in chunks of about ROW_CHUNK positions, each cropped from tmp
  // while its columns are still in cache.
  const { per } = rowChunks(geo);
  for (let b0 = 0; b0 < n; b0 += per) {
    const b1 = Math.min(n, b0 + per), cols = (b1 - b0) * plane;
    for (let gi = 0; gi < g; gi++) {
      for (let i = 0; i < kh; i++) {
        gemm(
          false,
          false,
          fg,
          cols,
          k,
          wRows,
          (i * f + gi * fg) * k,
          k,
          x3,
          gi * k * ld + i * dh * ws + b0 * plane,
          ld,
          tmp,
          gi * fg * cols,
          cols,
          i > 0,
        );
      }
    }
    for (let fi = 0; fi < f; fi++) {
      const bv = bias ? bias[fi] : 0;
      for (let b = b0; b < b1; b++) {
        const src = fi * cols + (b - b0) * plane, dst = (b * f + fi) * ohw;
        if (ws === ow && bv === 0) copy(out, dst, tmp, src, ohw);
        else if (ws === ow) { for (let p = 0; p < ohw; p++) out[dst + p] = tmp[src + p] + bv; }
        else {
          for (let y = 0; y < oh; y++) {
            const s = src + y * ws, d = dst + y * ow;
            for (let x0 = 0; x0 < ow; x0++) out[d + x0] = tmp[s + x0] + bv;
          }
        }
      }
    }
  }
}

/**
 * Row length of `dy` stacked by kernel row (`rowGradients`): the layout's
 * length plus the reach of the kernel rows, `len + dh·(kh−1)·ws` (at most
 * `ld`, and at least `lead + len`).
 *
 * @returns The row length.
 */
function stackedLength(geo: RowGeometry): number {
  return geo.len + geo.dh * (geo.kh - 1) * geo.ws;
}

/**
 * Weights `[F, Cg, kh, kw]` as the matrix of the input gradient's product,
 * one `[Cg·kw, kh·Fg]` block per group: element `((c, j), (i, fo))` is
 * `W[gi·Fg + fo, c, i, j]`.
 */
export function stackedWeights(
  wt: Float32Array,
  f: number,
  cg: number,
  g: number,
  kh: number,
  kw: number,
): Float32Array {
  const fg = f / g, cols = kh * fg, blk = cg * kw * cols;
  const out = new Float32Array(g * blk);
  for (let gi = 0; gi < g; gi++) {
    for (let fo = 0; fo < fg; fo++) {
      for (let ci = 0; ci < cg; ci++) {
        for (let i = 0; i < kh; i++) {
          const src = (((gi * fg + fo) * cg + ci) * kh + i) * kw;
          const dst = gi * blk + ci * kw * cols + i * fg + fo;
          for (let j = 0; j < kw; j++) out[dst + j * cols] = wt[src + j];
        }
      }
    }
  }
  return out;
}

/** Positions per chunk of `rowForward` and `rowGradients` (exported for tests). */
export const ROW_CHUNK = { positions: 4096 };

/**
 * The adjoint of `buildShifted`: `dx [n, cin, h, w]` (overwritten) as the sum
 * over the `kw` shifted copies of their gradients, `dx3 [(c, j), ld3]`
 * (which it overwrites in part). Copy `j` holds `x[c, y, x]` at column
 * `x − s` of its row `y` (`s = j·dw − pw`), where that column lies within
 * the row.
 *
 * When rows are as wide as the image and one shift is zero, each image plane
 * of `dx` is summed as whole planes, every copy read `s` positions along (a
 * read that leaves its row takes another row's value), and then the columns
 * where a read left the row are summed again over the copies that hold
 * them. With three copies the plane sum is one loop.
 */
function unshiftInto(
  dx3: Float32Array,
  geo: RowGeometry,
  ld3: number,
  dx: Float32Array,
  b0 = 0,
  b1 = geo.n,
  q0 = 0,
): void {
  const { cin, h, w, kw, pw, dw, ws, plane, lead } = geo;
  const hw = h * w;
  let j0 = -1;
  for (let j = 0; j < kw; j++) if (j * dw === pw) j0 = j;
  const shifts: number[] = [];
  // Copies that hold some column of the image: x at column x − s, within
  // [0, ws) (with rows wider than the image a copy shifted left by w or
  // more still holds the first columns).
  for (let j = 0; j < kw; j++) {
    const s = j * dw - pw;
    if (j !== j0 && s < w && s > -ws) shifts.push(j);
  }
  const smax = Math.max(0, ...shifts.map((j) => j * dw - pw));
  const smin = Math.min(0, ...shifts.map((j) => j * dw - pw));
  const edges: number[] = [];
  for (let x0 = 0; x0 < w; x0++) if (x0 < smax || x0 >= w + smin) edges.push(x0);
  // The common case, two shifted copies (a 3-wide kernel): their offsets
  // and, per edge column, whether each holds it, worked out once.
  const two = shifts.length === 2;
  const s1 = two ? shifts[0] * dw - pw : 0, s2 = two ? shifts[1] * dw - pw : 0;
  const hold1 = edges.map((x0) => x0 - s1 >= 0 && x0 - s1 < w);
  const hold2 = edges.map((x0) => x0 - s2 >= 0 && x0 - s2 < w);
  const src: number[] = shifts.map(() => 0);
  for (let ci = 0; ci < cin; ci++) {
    for (let b = b0; b < b1; b++) {
      const dst = (b * cin + ci) * hw, at = lead + b * plane - q0;
      if (ws === w && j0 >= 0 && at - smax >= 0 && at + hw - smin <= ld3) {
        const a = (ci * kw + j0) * ld3 + at;
        if (two) {
          const p1 = (ci * kw + shifts[0]) * ld3 + at - s1,
            p2 = (ci * kw + shifts[1]) * ld3 + at - s2;
          sum3(dx, dst, dx3, a, p1, p2, hw);
          // The columns where a read left the row: again, over the copies
          // that hold them.
          for (let e = 0; e < edges.length; e++) {
            const h1 = hold1[e], h2 = hold2[e];
            for (let o = edges[e]; o < hw; o += w) {
              let v = dx3[a + o];
              if (h1) v += dx3[p1 + o];
              if (h2) v += dx3[p2 + o];
              dx[dst + o] = v;
            }
          }
          continue;
        }
        for (let t = 0; t < shifts.length; t++) {
          src[t] = (ci * kw + shifts[t]) * ld3 + at - (shifts[t] * dw - pw);
        }
        copy(dx, dst, dx3, a, hw);
        for (const f of src) for (let p = 0; p < hw; p++) dx[dst + p] += dx3[f + p];
        for (const x0 of edges) {
          for (let y = 0; y < h; y++) {
            const o = y * w + x0;
            let v = dx3[a + o];
            for (let t = 0; t < src.length; t++) {
              const s = shifts[t] * dw - pw;
              if (x0 - s >= 0 && x0 - s < w) v += dx3[src[t] + o];
            }
            dx[dst + o] = v;
          }
        }
        continue;
      }
      // Row by row: the unshifted copy (or zeros) first, then the others
      // over the columns where they hold the row.
      if (j0 < 0) dx.fill(0, dst, dst + hw);
      else {
        const src = (ci * kw + j0) * ld3 + at;
        for (let y = 0; y < h; y++) copy(dx, dst + y * w, dx3, src + y * ws, w);
      }
      for (const j of shifts) {
        const s = j * dw - pw, src = (ci * kw + j) * ld3 + at - s;
        const lo = Math.max(0, s), hi = Math.min(w, ws + s);
        for (let y = 0; y < h; y++) {
          const d = dst + y * w, r = src + y * ws;
          for (let x0 = lo; x0 < hi; x0++) dx[d + x0] += dx3[r + x0];
        }
      }
    }
  }
}

/** `out[o + p] = v[a + p] + v[b + p] + v[c + p]` for `p < count`. */
function sum3(
  out: Float32Array,
  o: number,
  v: Float32Array,
  a: number,
  b: number,
  c: number,
  count: number,
): void {
  for (let p = 0; p < count; p++) out[o + p] = v[a + p] + v[b + p] + v[c + p];
}

/** Scratch of `rowGradients`: `dy` stacked by kernel row and the copies' gradients, per chunk. */
export interface GradientScratch {
  /** `(g·kh·Fg) × width` floats. */
  d3: Float32Array;
  /** `(cin·kw) × width` floats. */
  dx3: Float32Array;
  /** Row length of `d3`. */
  width: number;
}

/**
 * The images of each chunk of `rowForward` and `rowGradients` (about
 * `ROW_CHUNK` positions of whole images), and the widest range of stacked
 * positions a chunk of `rowGradients` uses.
 *
 * @returns Images per chunk and the row length of the gradients' scratch.
 */
export function rowChunks(geo: RowGeometry): { per: number; width: number } {
  const { ws, plane, kh, dh } = geo;
  const per = Math.max(1, Math.floor(ROW_CHUNK.positions / plane));
  return {
    per,
    width: Math.min(stackedLength(geo), per * plane + 2 * ws + 2 * (kh - 1) * dh * ws),
  };
}

/**
 * The gradients of a convolution in the row-shifted layout, from `dy
 * [n, cout, oh, ow]`: `dx [n, cin, h, w]` (overwritten) when `dx` and the
 * weights from `stackedWeights` are given, and `dw [cout, cin/g, kh, kw]`
 * (overwritten) when `dw` and the shifted copies of the input are given.
 *
 * Both products work on `dy` stacked by kernel row, `d3 [(gi, i, fo), q]`:
 * row `(i, f)` holds `dy` of channel `f` in the output layout (image `b` at
 * `b·plane`, zero between images) moved `i·dh·ws` positions along, so that
 * position `q` pairs with position `q` of every shifted copy, which kernel
 * row `i` read for output position `q − i·dh·ws`. Then `dw = x3 · d3ᵀ` (as
 * `[(c, j), (i, fo)]`, scattered into `dw`) and `dx3 = W · d3` is the
 * gradient of every shifted copy, which `unshiftInto` adds up into `dx`.
 *
 * The batch runs in chunks of about `ROW_CHUNK` positions of whole images:
 * each chunk stacks its part of `dy`, which both products then read while it
 * is in cache, and the weight gradient accumulates over the chunks' own
 * positions (which partition `[0, stackedLength)`).
 */
export function rowGradients(
  dy: Float32Array,
  geo: RowGeometry,
  sc: GradientScratch,
  grads: { dx?: Float32Array; wst?: Float32Array; dw?: Float32Array; x3?: Float32Array },
): void {
  const { n, cin, cout: f, g, kh, kw, dh, ws, plane, lead, ld } = geo;
  const cg = cin / g, fg = f / g, k3 = stackedLength(geo), m = cg * kw, k = kh * fg;
  const { d3, dx3, width } = sc;
  const { dx, wst, dw, x3 } = grads;
  const { per } = rowChunks(geo);
  const prod = dw ? new Float32Array(g * m * k) : undefined;
  const reach = (kh - 1) * dh * ws;
  const row = new Float32Array(width + reach);
  for (let b0 = 0; b0 < n; b0 += per) {
    const b1 = Math.min(n, b0 + per);
    // The chunk's own positions (dw), those its images' sum reads (dx),
    // and the stacked range covering both.
    const o0 = b0 === 0 ? 0 : lead + b0 * plane, o1 = b1 === n ? k3 : lead + b1 * plane;
    const u0 = Math.max(0, lead + b0 * plane - ws), u1 = Math.min(k3, lead + b1 * plane + ws);
    const c0 = dx ? Math.min(o0, u0) : o0, c1 = dx ? Math.max(o1, u1) : o1;
    stackChunk(dy, geo, d3, width, row, c0, c1);
    if (dw && x3 && prod) {
      for (let gi = 0; gi < g; gi++) {
        gemm(
          false,
          true,
          m,
          k,
          o1 - o0,
          x3,
          gi * m * ld + o0,
          ld,
          d3,
          gi * k * width + o0 - c0,
          width,
          prod,
          gi * m * k,
          k,
          b0 > 0,
        );
      }
    }
    if (dx && wst) {
      const cols = u1 - u0;
      for (let gi = 0; gi < g; gi++) {
        gemm(
          false,
          false,
          m,
          cols,
          k,
          wst,
          gi * m * k,
          k,
          d3,
          gi * k * width + u0 - c0,
          width,
          dx3,
          gi * m * cols,
          cols,
        );
      }
      unshiftInto(dx3, geo, cols, dx, b0, b1, u0);
    }
  }
  if (dw && prod) scatterWeightGrad(prod, geo, dw);
}

/**
 * Stacked positions `[c0, c1)` of `dy` stacked by kernel row into `d3` (rows
 * of `width`): each channel's output layout over `[c0 − reach, c1)` once, in
 * `row` (`width + reach` floats), then its `kh` stacked rows as windows of
 * it. (A function of its own, like the other passes here, so that V8
 * optimizes each loop nest early instead of recompiling one large function.)
 */
function stackChunk(
  dy: Float32Array,
  geo: RowGeometry,
  d3: Float32Array,
  width: number,
  row: Float32Array,
  c0: number,
  c1: number,
): void {
  const { n, cout: f, g, oh, ow, kh, dh, ws, plane } = geo;
  const fg = f / g, ohw = oh * ow, reach = (kh - 1) * dh * ws, span = c1 - c0 + reach;
  for (let fi = 0; fi < f; fi++) {
    let cur = 0;
    for (let b = Math.max(0, Math.floor((c0 - reach) / plane)); b < n; b++) {
      const at = b * plane - (c0 - reach);
      if (at >= span) break;
      const base = (b * f + fi) * ohw;
      for (let y = 0; y < oh; y++) {
        const q = at + y * ws, lo = Math.max(q, 0), hi = Math.min(q + ow, span);
        if (lo >= hi) continue;
        if (cur < lo) row.fill(0, cur, lo);
        if (ws === ow && y === 0 && q >= 0 && q + ohw <= span) {
          row.set(dy.subarray(base, base + ohw), q);
          cur = q + ohw;
          break;
        }
        row.set(dy.subarray(base + y * ow + lo - q, base + y * ow + hi - q), lo);
        cur = hi;
      }
    }
    if (cur < span) row.fill(0, cur, span);
    const gi = Math.floor(fi / fg), fo = fi - gi * fg;
    for (let i = 0; i < kh; i++) {
      const from = reach - i * dh * ws;
      d3.set(row.subarray(from, from + c1 - c0), ((gi * kh + i) * fg + fo) * width);
    }
  }
}

/** The weight gradient's product, `[(c, j), (i, fo)]` per group, into `dw [F, Cg, kh, kw]`. */
function scatterWeightGrad(prod: Float32Array, geo: RowGeometry, dw: Float32Array): void {
  const { cin, cout: f, g, kh, kw } = geo;
  const cg = cin / g, fg = f / g, m = cg * kw, k = kh * fg;
  for (let gi = 0; gi < g; gi++) {
    for (let fo = 0; fo < fg; fo++) {
      for (let ci = 0; ci < cg; ci++) {
        for (let i = 0; i < kh; i++) {
          const dst = (((gi * fg + fo) * cg + ci) * kh + i) * kw;
          const src = gi * m * k + ci * kw * k + i * fg + fo;
          for (let j = 0; j < kw; j++) dw[dst + j] = prod[src + j * k];
        }
      }
    }
  }
}

/**
 * The im2col matrix `[cg·kh·kw, oh·ow]` of image `b`, channels
 * `[c0, c0 + cg)`, copied from the shifted copies: when the output is as
 * wide as the layout's rows, row `(c, i, j)` is one contiguous run of copy
 * `(c, j)` starting `i·dh` rows down, so each row is a single block copy.
 * Only for geometries with `ws === ow`.
 */
export function colFromShifted(
  x3: Float32Array,
  geo: RowGeometry,
  b: number,
  c0: number,
  cg: number,
  col: Float32Array,
): void {
  const { kh, kw, dh, ws, plane, ld, oh, ow } = geo;
  const p = oh * ow;
  for (let ci = 0; ci < cg; ci++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const src = ((c0 + ci) * kw + j) * ld + b * plane + i * dh * ws;
        col.set(x3.subarray(src, src + p), ((ci * kh + i) * kw + j) * p);
      }
    }
  }
}

/**
 * The same geometry for a batch of `n` images (the layout depends on the
 * batch only through its length).
 *
 * @returns The geometry.
 */
export function withImages(geo: RowGeometry, n: number): RowGeometry {
  const { cin, cout, g, h, w, kh, kw, ph, pw, dh, dw } = geo;
  return rowGeometry(n, cin, cout, g, h, w, kh, kw, ph, pw, dh, dw)!;
}
