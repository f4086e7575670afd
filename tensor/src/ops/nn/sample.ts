/**
 * Spatial transformers: `affineGrid` and `gridSample`, like PyTorch's
 * `F.affine_grid` and `F.grid_sample` (bilinear or nearest; zeros, border
 * or reflection padding; both corner conventions).
 *
 * Both are built from existing ops (the four corners are `gather`s of the
 * flattened input, weighted by their distances), so every backend runs them,
 * the input's gradient is gather's and the grid's follows from the weights.
 *
 * @module
 */
import { fmtShape, ShapeError } from "../../errors.ts";
import type { Tensor } from "../../tensor.ts";
import { add, mul, sub, where } from "../arith.ts";
import { ge, logicalAnd, lt } from "../compare.ts";
import { linspace, onesLike, zeros } from "../creation.ts";
import { matmul } from "../matmul.ts";
import { cast, expand, narrow, reshape } from "../movement.ts";
import { stack } from "../shape/join.ts";
import { gather } from "../shape/indexing.ts";
import { meshgrid } from "../shape/grid.ts";
import { abs, clamp, floor, round } from "../elementwise/unary.ts";
import { floorDivide, fmod } from "../elementwise/binary_more.ts";

/** Options of `affineGrid` and `gridSample`. */
export interface GridOptions {
  /** Whether ±1 are the centres of the corner pixels (true) or their outer edges (false, the default). */
  alignCorners?: boolean;
}

/**
 * Sampling grids of 2-D affine maps, like `F.affine_grid`: for `theta
 * [N, 2, 3]` and an output size `[N, C, H, W]`, grid `[N, H, W, 2]` holds
 * `theta · (x, y, 1)` for each output pixel's normalised `(x, y)` in [−1, 1].
 *
 * @param theta Affine maps `[N, 2, 3]`.
 * @param size The output size `[N, C, H, W]`.
 * @param options `alignCorners` (false).
 * @returns `[N, H, W, 2]` (x then y).
 * @example
 * ```ts
 * import { affineGrid, tensor } from "@dendrite/tensor";
 * const g = affineGrid(tensor([[[1, 0, 0], [0, 1, 0]]]), [1, 1, 2, 2], { alignCorners: true });
 * console.assert(g.dataSync().join() === "-1,-1,1,-1,-1,1,1,1");
 * ```
 */
export function affineGrid(
  theta: Tensor,
  size: readonly number[],
  options: GridOptions = {},
): Tensor {
  if (theta.ndim !== 3 || theta.shape[1] !== 2 || theta.shape[2] !== 3 || size.length !== 4) {
    throw new ShapeError(
      `Cannot apply affineGrid() to theta ${fmtShape(theta.shape)} with size ${
        fmtShape(size)
      }: expected theta [N, 2, 3] and size [N, C, H, W]`,
    );
  }
  const [n, , h, w] = size;
  if (theta.shape[0] !== n) {
    throw new ShapeError(
      `Cannot apply affineGrid() to theta ${fmtShape(theta.shape)} with size ${
        fmtShape(size)
      }: theta has ${theta.shape[0]} maps for ${n} images`,
    );
  }
  const be = { backend: theta.backend.name };
  // Pixel centres in [−1, 1]; without alignCorners they sit half a pixel in.
  const axis = (k: number) =>
    k === 1
      ? zeros([1], be)
      : options.alignCorners
      ? linspace(-1, 1, k, be)
      : mul(linspace(-1, 1, k, be), (k - 1) / k);
  const [ys, xs] = meshgrid([axis(h), axis(w)]);
  const base = reshape(stack([xs, ys, onesLike(xs)], 2), [1, h * w, 3]);
  // [N, H·W, 3] · θᵀ [N, 3, 2] -> [N, H·W, 2]
  const grid = matmul(expand(base, [n, h * w, 3]), theta.transpose(1, 2));
  return reshape(grid, [n, h, w, 2]);
}

/** Options of `gridSample`. */
export interface GridSampleOptions extends GridOptions {
  /** "bilinear" (default) or "nearest". */
  mode?: "bilinear" | "nearest";
  /** Where samples outside the input come from: "zeros" (default), "border" or "reflection". */
  paddingMode?: "zeros" | "border" | "reflection";
}

/** Reflects coordinates into `[lo2/2, hi2/2]` (PyTorch's reflect_coordinates). */
function reflect(c: Tensor, lo2: number, hi2: number): Tensor {
  if (lo2 === hi2) return mul(c, 0);
  const min = lo2 / 2, span = (hi2 - lo2) / 2;
  const d = abs(sub(c, min));
  const extra = fmod(d, span);
  const flips = floorDivide(d.detach(), span);
  const even = lt(fmod(flips, 2), 0.5);
  return where(even, add(extra, min), sub(span + min, extra));
}

/**
 * Samples `x` at the grid's points, like `F.grid_sample` for 2-D inputs:
 * `grid [N, Ho, Wo, 2]` holds normalised `(x, y)` in [−1, 1] (beyond it
 * padding applies), the output is `[N, C, Ho, Wo]`. Differentiable with
 * respect to the input and the grid (bilinear).
 *
 * @param x The input `[N, C, H, W]`.
 * @param grid The points `[N, Ho, Wo, 2]`.
 * @param options `mode`, `paddingMode`, `alignCorners` (false).
 * @returns The samples.
 * @example
 * ```ts
 * import { gridSample, tensor } from "@dendrite/tensor";
 * const x = tensor([[[[1, 2], [3, 4]]]]);
 * const mid = gridSample(x, tensor([[[[0, 0]]]]), { alignCorners: true });
 * console.assert(mid.dataSync()[0] === 2.5);
 * ```
 */
export function gridSample(x: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  const mode = options.mode ?? "bilinear", padding = options.paddingMode ?? "zeros";
  if (mode !== "bilinear" && mode !== "nearest") {
    throw new RangeError(
      `Cannot apply gridSample() with mode "${mode}": expected "bilinear" or "nearest"`,
    );
  }
  if (!["zeros", "border", "reflection"].includes(padding)) {
    throw new RangeError(
      `Cannot apply gridSample() with paddingMode "${padding}": expected "zeros", "border" or "reflection"`,
    );
  }
  if (
    x.ndim !== 4 || grid.ndim !== 4 || grid.shape[3] !== 2 || grid.shape[0] !== x.shape[0]
  ) {
    throw new ShapeError(
      `Cannot apply gridSample() to input ${fmtShape(x.shape)} with grid ${
        fmtShape(grid.shape)
      }: expected [N, C, H, W] and [N, Ho, Wo, 2]`,
    );
  }
  const [n, c, h, w] = x.shape, [, ho, wo] = grid.shape;
  const align = options.alignCorners ?? false;
  // Pixel coordinates of each point along an axis of size k.
  const pixel = (g: Tensor, k: number) => {
    let p = align ? mul(add(g, 1), (k - 1) / 2) : mul(sub(mul(add(g, 1), k), 1), 0.5);
    if (padding === "reflection") {
      p = align ? reflect(p, 0, 2 * (k - 1)) : reflect(p, -1, 2 * k - 1);
    }
    if (padding !== "zeros") p = clamp(p, { min: 0, max: k - 1 });
    return p;
  };
  const ix = pixel(reshape(narrow(grid, 3, 0, 1), [n, ho * wo]), w);
  const iy = pixel(reshape(narrow(grid, 3, 1, 1), [n, ho * wo]), h);
  const flat = reshape(x, [n, c, h * w]);
  // The input at integer points (px, py) [N, P], zero outside.
  const at = (px: Tensor, py: Tensor): Tensor => {
    const inside = logicalAnd(
      logicalAnd(ge(px, 0), lt(px, w)),
      logicalAnd(ge(py, 0), lt(py, h)),
    );
    const cx = clamp(px, { min: 0, max: w - 1 }), cy = clamp(py, { min: 0, max: h - 1 });
    const idx = cast(add(mul(cy, w), cx), "int32");
    const v = gather(flat, 2, expand(reshape(idx, [n, 1, ho * wo]), [n, c, ho * wo]));
    return where(reshape(inside, [n, 1, ho * wo]), v, 0);
  };
  let out: Tensor;
  if (mode === "nearest") {
    out = at(round(ix.detach()), round(iy.detach()));
  } else {
    const x0 = floor(ix.detach()), y0 = floor(iy.detach());
    const x1 = add(x0, 1), y1 = add(y0, 1);
    const wx1 = sub(ix, x0), wy1 = sub(iy, y0);
    const wx0 = sub(1, wx1), wy0 = sub(1, wy1);
    const weigh = (v: Tensor, wa: Tensor, wb: Tensor) =>
      mul(v, reshape(mul(wa, wb), [n, 1, ho * wo]));
    out = add(
      add(weigh(at(x0, y0), wx0, wy0), weigh(at(x1, y0), wx1, wy0)),
      add(weigh(at(x0, y1), wx0, wy1), weigh(at(x1, y1), wx1, wy1)),
    );
  }
  return reshape(out, [n, c, ho, wo]);
}
