/**
 * The WebGPU convolution as an implicit GEMM: per group, `out[f, p] =
 * Σ_k W[f, k] · col[k, p]` with `k = (c, i, j)` over the filter and `p =
 * (n, y, x)` over the output positions, where `col` is never built: each
 * workgroup computes a 64×64 output tile (4×4 per invocation) and loads the
 * 16-deep slices of `W` and of the virtual `col` it needs into workgroup
 * memory, computing each input coordinate (with stride, padding and
 * dilation) as it loads.
 *
 * @module
 */
import { type KernelFn, registerKernel, type TensorInfo } from "../backend.ts";
import { defaultStrides, type GpuStorage, type WebGPUBackend, WG } from "./backend.ts";
import { activationWgsl, type FusedActivation } from "../fused.ts";

const buf = (t: TensorInfo) => (t.storage as GpuStorage).buffer;
const be = (t: TensorInfo) => t.storage.backend as WebGPUBackend;

function contig(t: TensorInfo): TensorInfo {
  const s = defaultStrides(t.shape);
  if (t.offset === 0 && t.strides.every((v, i) => v === s[i] || t.shape[i] === 1)) return t;
  const out = be(t).copy(t, t.dtype);
  temps.push(out.storage as GpuStorage);
  return { storage: out.storage, shape: out.shape, strides: s, offset: 0, dtype: t.dtype };
}

/** Contiguous copies made by `contig` for the kernel being run. */
const temps: GpuStorage[] = [];

/** Frees the copies `contig` made (their buffers return to the pool once the recorded work is submitted). */
function freeTemps(b: WebGPUBackend): void {
  for (const t of temps.splice(0)) b.free(t);
}

/** Registers a WebGPU kernel that frees its contiguous copies when it returns. */
function registerGpu(name: string, fn: KernelFn): void {
  registerKernel(name, "webgpu", (inputs, attrs) => {
    try {
      return fn(inputs, attrs);
    } finally {
      if (temps.length) freeTemps(be(inputs[0]));
    }
  });
}

/** Convolution geometry (as the conv op passes it). */
interface ConvAttrs {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  groups: number;
}

const TILE = 64, DEPTH = 16;

// info: 0 n, 1 c, 2 h, 3 w, 4 f, 5 cg, 6 kh, 7 kw, 8 sh, 9 sw, 10 ph, 11 pw, 12 dh, 13 dw,
//       14 fg, 15 oh, 16 ow, 17 K, 18 N (columns), 19 row tiles, 20 column tiles, 21 groups,
//       22 M (rows), 23 depth of one split of K, 24 splits of K

/**
 * A convolution's window geometry as the shaders read it: `[kh, kw, sh, sw,
 * ph, pw, dh, dw]` (also used by the im2col kernels in kernels_nn.ts).
 */
export function convGeometry(a: ConvAttrs): number[] {
  return [a.kh, a.kw, a.sh, a.sw, a.ph, a.pw, a.dh, a.dw];
}

/**
 * The metadata the implicit-GEMM shaders read (layout in the comment above):
 * the input `[n, c, h, w]`, `f` filters of `cg` channels, the geometry, the
 * output size, the GEMM's `[K, N, row tiles, column tiles]`, its rows `M`,
 * and how K is split (`[depth of a split, splits]`).
 */
function convInfo(
  input: readonly number[],
  f: number,
  cg: number,
  a: ConvAttrs,
  out: readonly number[],
  gemm: readonly number[],
  rows: number,
  split: readonly number[],
): Int32Array {
  return new Int32Array([
    ...input,
    f,
    cg,
    ...convGeometry(a),
    f / a.groups,
    ...out,
    ...gemm,
    a.groups,
    rows,
    ...split,
  ]);
}

/**
 * A tiled GEMM `out[r, q] = Σ_k A[r, k] · B[k, q]` per group `g`, where the
 * WGSL snippets `loadA` (sets `av` from `r`, `k`) and `loadB` (sets `bv` from
 * `k`, `q`) read the operands virtually and `store` writes `v` for `(r, q)`.
 */
function implicitGemm(loadA: string, loadB: string, store: string, extra = ""): string {
  return `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
${extra}
var<workgroup> tA: array<array<f32, ${TILE}>, ${DEPTH}>;
var<workgroup> tB: array<array<f32, ${TILE}>, ${DEPTH}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let item = i32(wid.x + wid.y * nwg.x);
  let valid = item < info[19] * info[20] * info[21] * info[24];
  let qt = item % info[20];
  let rt = (item / info[20]) % info[19];
  let gs = item / (info[20] * info[19]);
  let g = gs % info[21]; let sp = gs / info[21];
  let t = i32(lid.x);
  let tx = t % 16; let ty = t / 16;
  let K = info[17]; let N = info[18]; let M = info[22];
  let khw = info[6] * info[7]; let ohw = info[15] * info[16]; let hw = info[2] * info[3];
  let fg = info[14];
  let kb = sp * info[23]; let ke = min(K, kb + info[23]);
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = kb; k0 < ke; k0 += ${DEPTH}) {
    // Each invocation stages 4 entries of each operand.
    for (var e = 0; e < 4; e++) {
      let slot = t * 4 + e;
      let kk = slot / ${TILE}; let col = slot % ${TILE};
      let k = k0 + kk;
      let r = rt * ${TILE} + col;
      var av = 0.0;
      if (valid && k < ke && r < M) { ${loadA} }
      tA[kk][col] = av;
      let q = qt * ${TILE} + col;
      var bv = 0.0;
      if (valid && k < ke && q < N) { ${loadB} }
      tB[kk][col] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${DEPTH}; kk++) {
      var a: array<f32, 4>; var b: array<f32, 4>;
      for (var u = 0; u < 4; u++) { a[u] = tA[kk][ty * 4 + u]; b[u] = tB[kk][tx * 4 + u]; }
      for (var u = 0; u < 4; u++) { for (var s = 0; s < 4; s++) { acc[u][s] += a[u] * b[s]; } }
    }
    workgroupBarrier();
  }
  if (!valid) { return; }
  for (var u = 0; u < 4; u++) {
    let r = rt * ${TILE} + ty * 4 + u;
    if (r >= M) { continue; }
    for (var s = 0; s < 4; s++) {
      let q = qt * ${TILE} + tx * 4 + s;
      if (q >= N) { continue; }
      let v = acc[u][s];
      ${store}
    }
  }
}`;
}

/** Forward: rows are the group's filters, columns the output positions, X the input. */
const FORWARD_LOAD_B = `let ci = k / khw; let i = (k / info[7]) % info[6]; let j = k % info[7];
        let bn = q / ohw; let yo = (q / info[16]) % info[15]; let xo = q % info[16];
        let iy = yo * info[8] - info[10] + i * info[12];
        let ix = xo * info[9] - info[11] + j * info[13];
        if (iy >= 0 && iy < info[2] && ix >= 0 && ix < info[3]) {
          bv = X[((bn * info[1] + g * info[5] + ci) * info[2] + iy) * info[3] + ix];
        }`;
/** Forward shaders by epilogue (bias, activation), generated on first use. */
const forwardShaders = new Map<string, string>();

/** The forward pass, with the bias and activation applied as the output is written. */
function forwardCode(bias: boolean, act: FusedActivation | undefined): string {
  const key = `${bias}:${act}`;
  let code = forwardShaders.get(key);
  if (!code) {
    code = implicitGemm(
      "av = W[(g * fg + r) * K + k];",
      FORWARD_LOAD_B,
      `o[((q / ohw) * info[4] + g * fg + r) * ohw + q % ohw] = epi(v${
        bias ? " + Bias[g * fg + r]" : ""
      });`,
      `${bias ? "@group(0) @binding(4) var<storage, read> Bias: array<f32>;" : ""}
fn epi(x: f32) -> f32 { return ${activationWgsl(act)}; }`,
    );
    forwardShaders.set(key, code);
  }
  return code;
}

/**
 * Input gradient (and the transposed convolution): rows are the group's input
 * channels, columns the input positions, k = (filter, i, j), X the output
 * gradient, read where the stride divides the position.
 */
const BACKWARD_INPUT = implicitGemm(
  "let fi = k / khw; av = W[((g * fg + fi) * info[5] + r) * khw + k % khw];",
  `let fi = k / khw; let i = (k / info[7]) % info[6]; let j = k % info[7];
        let bn = q / hw; let y = (q / info[3]) % info[2]; let x = q % info[3];
        let yy = y + info[10] - i * info[12];
        let xx = x + info[11] - j * info[13];
        if (yy >= 0 && xx >= 0 && yy % info[8] == 0 && xx % info[9] == 0) {
          let yo = yy / info[8]; let xo = xx / info[9];
          if (yo < info[15] && xo < info[16]) {
            bv = X[((bn * info[4] + g * fg + fi) * info[15] + yo) * info[16] + xo];
          }
        }`,
  "o[((q / hw) * info[1] + g * info[5] + r) * hw + q % hw] = v;",
);

registerGpu("Conv2d", (
  [x0, w0, b0],
  a: ConvAttrs & {
    oh: number;
    ow: number;
    activation?: FusedActivation;
  },
) => {
  const x = contig(x0), w = contig(w0), b = be(x);
  const [n, c, h, wd] = x.shape, [f, cg] = w.shape;
  const fg = f / a.groups;
  const K = cg * a.kh * a.kw, P = n * a.oh * a.ow;
  if (WG !== 256) {
    throw new Error(`Conv2d on WebGPU expects 256 invocations per workgroup: got ${WG}`);
  }
  if (K === 0 && (b0 || a.activation)) {
    throw new Error("Cannot run Conv2d on WebGPU with a bias or activation and empty filters");
  }
  const o = b.alloc("float32", n * f * a.oh * a.ow, K === 0);
  const fTiles = Math.ceil(fg / TILE), pTiles = Math.ceil(P / TILE);
  const tiles = fTiles * pTiles * a.groups;
  if (tiles > 0 && K > 0) {
    const info = convInfo([n, c, h, wd], f, cg, a, [a.oh, a.ow], [K, P, fTiles, pTiles], fg, [
      K,
      1,
    ]);
    const code = forwardCode(!!b0, a.activation);
    if (b0) b.dispatch(code, info, [o.buffer, buf(x), buf(w), buf(contig(b0))], tiles * WG);
    else b.dispatch(code, info, [o.buffer, buf(x), buf(w)], tiles * WG);
  }
  return [{ storage: o, shape: [n, f, a.oh, a.ow] }];
});

registerGpu(
  "Conv2dBackwardInput",
  ([d0, w0], a: ConvAttrs & { h: number; w: number; c: number }) => {
    const dy = contig(d0), w = contig(w0), b = be(dy);
    const [n, f, oh, ow] = dy.shape, [, cg] = w.shape;
    const fg = f / a.groups;
    const K = fg * a.kh * a.kw, N = n * a.h * a.w;
    if (WG !== 256) {
      throw new Error(
        `Conv2dBackwardInput on WebGPU expects 256 invocations per workgroup: got ${WG}`,
      );
    }
    const o = b.alloc("float32", n * a.c * a.h * a.w, K === 0);
    const rTiles = Math.ceil(cg / TILE), qTiles = Math.ceil(N / TILE);
    const tiles = rTiles * qTiles * a.groups;
    if (tiles > 0 && K > 0) {
      const info = convInfo([n, a.c, a.h, a.w], f, cg, a, [oh, ow], [K, N, rTiles, qTiles], cg, [
        K,
        1,
      ]);
      b.dispatch(BACKWARD_INPUT, info, [o.buffer, buf(dy), buf(w)], tiles * WG);
    }
    return [{ storage: o, shape: [n, a.c, a.h, a.w] }];
  },
);

/**
 * Weight gradient: rows are the group's filters, columns `(c, i, j)` of the
 * filter, and k runs over every (image, output row, output column): the
 * output gradient is A and the input, read at the filter tap, is B. K is
 * long and the output small, so K is split across workgroups (`sp`), each
 * writing its partial sum to its own slice; a second pass adds the slices.
 */
const BACKWARD_WEIGHT = implicitGemm(
  `let bn = k / ohw; let p = k % ohw;
        av = X[(bn * info[4] + g * fg + r) * ohw + p];`,
  `let ci = q / khw; let i = (q / info[7]) % info[6]; let j = q % info[7];
        let bn = k / ohw; let yo = (k / info[16]) % info[15]; let xo = k % info[16];
        let iy = yo * info[8] - info[10] + i * info[12];
        let ix = xo * info[9] - info[11] + j * info[13];
        if (iy >= 0 && iy < info[2] && ix >= 0 && ix < info[3]) {
          bv = W[((bn * info[1] + g * info[5] + ci) * info[2] + iy) * info[3] + ix];
        }`,
  "o[(sp * info[4] + g * fg + r) * N + q] = v;",
);

/** Sums `info[1]` slices of `info[0]` values each. */
const SUM_SLICES = `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> P: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (idx >= info[0]) { return; }
  var acc = 0.0;
  for (var s = 0; s < info[1]; s++) { acc += P[s * info[0] + idx]; }
  o[idx] = acc;
}`;

/** Workgroups the weight gradient aims to keep busy (split-K fills the rest). */
const TARGET_WORKGROUPS = 256;

registerGpu("Conv2dBackwardWeight", ([x0, d0], a: ConvAttrs) => {
  // The GEMM reads the output gradient through binding "X" and the input
  // through "W" (the template's names).
  const x = contig(x0), dy = contig(d0), b = be(x);
  const [n, c, h, wd] = x.shape, [, f, oh, ow] = dy.shape;
  const cg = c / a.groups, fg = f / a.groups;
  const N = cg * a.kh * a.kw, K = n * oh * ow, count = f * N;
  const rTiles = Math.ceil(fg / TILE), qTiles = Math.ceil(N / TILE);
  const tiles = rTiles * qTiles * a.groups;
  if (tiles === 0 || K === 0) {
    return [{ storage: b.alloc("float32", count, true), shape: [f, cg, a.kh, a.kw] }];
  }
  // Split K so the grid has about TARGET_WORKGROUPS workgroups, each split at
  // least 256 deep and at most 65,536 (so no shader loop runs too long), and
  // the partial sums stay under 64 MiB.
  let splits = Math.min(
    Math.ceil(TARGET_WORKGROUPS / tiles),
    Math.ceil(K / 256),
    Math.max(1, Math.floor((64 << 20) / (4 * count))),
  );
  splits = Math.max(splits, Math.ceil(K / 65536), 1);
  const depth = Math.ceil(K / splits / DEPTH) * DEPTH;
  splits = Math.ceil(K / depth);
  const info = convInfo([n, c, h, wd], f, cg, a, [oh, ow], [K, N, rTiles, qTiles], fg, [
    depth,
    splits,
  ]);
  const o = b.alloc("float32", count);
  if (splits === 1) {
    b.dispatch(BACKWARD_WEIGHT, info, [o.buffer, buf(dy), buf(x)], tiles * WG);
  } else {
    const partial = b.alloc("float32", splits * count);
    b.dispatch(BACKWARD_WEIGHT, info, [partial.buffer, buf(dy), buf(x)], tiles * splits * WG);
    b.dispatch(SUM_SLICES, new Int32Array([count, splits]), [o.buffer, partial.buffer], count);
    b.free(partial);
  }
  return [{ storage: o, shape: [f, cg, a.kh, a.kw] }];
});
