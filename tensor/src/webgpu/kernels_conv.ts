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
import { registerKernel, type TensorInfo } from "../backend.ts";
import { defaultStrides, type GpuStorage, type WebGPUBackend, WG } from "./backend.ts";

const buf = (t: TensorInfo) => (t.storage as GpuStorage).buffer;
const be = (t: TensorInfo) => t.storage.backend as WebGPUBackend;

function contig(t: TensorInfo): TensorInfo {
  const s = defaultStrides(t.shape);
  if (t.offset === 0 && t.strides.every((v, i) => v === s[i] || t.shape[i] === 1)) return t;
  const out = be(t).copy(t, t.dtype);
  return { storage: out.storage, shape: out.shape, strides: s, offset: 0, dtype: t.dtype };
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
//       14 fg, 15 oh, 16 ow, 17 K (cg·kh·kw), 18 P (n·oh·ow), 19 f tiles, 20 p tiles, 21 groups
const CODE = `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
var<workgroup> tW: array<array<f32, ${TILE}>, ${DEPTH}>;
var<workgroup> tX: array<array<f32, ${TILE}>, ${DEPTH}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let item = i32(wid.x + wid.y * nwg.x);
  let valid = item < info[19] * info[20] * info[21];
  let pt = item % info[20];
  let ft = (item / info[20]) % info[19];
  let g = item / (info[20] * info[19]);
  let t = i32(lid.x);
  let tx = t % 16; let ty = t / 16;
  let K = info[17]; let P = info[18]; let fg = info[14];
  let khw = info[6] * info[7]; let ohw = info[15] * info[16];
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0; k0 < K; k0 += ${DEPTH}) {
    // Each invocation loads 4 weights and 4 virtual im2col entries.
    for (var e = 0; e < 4; e++) {
      let slot = t * 4 + e;
      let kk = slot / ${TILE}; let col = slot % ${TILE};
      let k = k0 + kk;
      // Weight tile: rows of filters, columns of k.
      let fw = ft * ${TILE} + col;
      var wv = 0.0;
      if (valid && k < K && fw < fg) { wv = W[(g * fg + fw) * K + k]; }
      tW[kk][col] = wv;
      // Input tile: rows of k, columns of output positions.
      let p = pt * ${TILE} + col;
      var xv = 0.0;
      if (valid && k < K && p < P) {
        let ci = k / khw; let i = (k / info[7]) % info[6]; let j = k % info[7];
        let bn = p / ohw; let yo = (p / info[16]) % info[15]; let xo = p % info[16];
        let iy = yo * info[8] - info[10] + i * info[12];
        let ix = xo * info[9] - info[11] + j * info[13];
        if (iy >= 0 && iy < info[2] && ix >= 0 && ix < info[3]) {
          xv = X[((bn * info[1] + g * info[5] + ci) * info[2] + iy) * info[3] + ix];
        }
      }
      tX[kk][col] = xv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${DEPTH}; kk++) {
      var a: array<f32, 4>; var bv: array<f32, 4>;
      for (var r = 0; r < 4; r++) { a[r] = tW[kk][ty * 4 + r]; bv[r] = tX[kk][tx * 4 + r]; }
      for (var r = 0; r < 4; r++) { for (var s = 0; s < 4; s++) { acc[r][s] += a[r] * bv[s]; } }
    }
    workgroupBarrier();
  }
  if (!valid) { return; }
  for (var r = 0; r < 4; r++) {
    let fo = ft * ${TILE} + ty * 4 + r;
    if (fo >= fg) { continue; }
    for (var s = 0; s < 4; s++) {
      let p = pt * ${TILE} + tx * 4 + s;
      if (p >= P) { continue; }
      let bn = p / ohw; let rest = p % ohw;
      o[(bn * info[4] + g * fg + fo) * ohw + rest] = acc[r][s];
    }
  }
}`;

registerKernel("Conv2d", "webgpu", ([x0, w0], a: ConvAttrs & { oh: number; ow: number }) => {
  const x = contig(x0), w = contig(w0), b = be(x);
  const [n, c, h, wd] = x.shape, [f, cg] = w.shape;
  const fg = f / a.groups;
  const K = cg * a.kh * a.kw, P = n * a.oh * a.ow;
  if (WG !== 256) {
    throw new Error(`Conv2d on WebGPU expects 256 invocations per workgroup: got ${WG}`);
  }
  const o = b.alloc("float32", n * f * a.oh * a.ow, K === 0);
  const fTiles = Math.ceil(fg / TILE), pTiles = Math.ceil(P / TILE);
  const tiles = fTiles * pTiles * a.groups;
  if (tiles > 0 && K > 0) {
    const info = new Int32Array([
      n,
      c,
      h,
      wd,
      f,
      cg,
      a.kh,
      a.kw,
      a.sh,
      a.sw,
      a.ph,
      a.pw,
      a.dh,
      a.dw,
      fg,
      a.oh,
      a.ow,
      K,
      P,
      fTiles,
      pTiles,
      a.groups,
    ]);
    b.dispatch(CODE, info, [o.buffer, buf(x), buf(w)], tiles * WG);
  }
  return [{ storage: o, shape: [n, f, a.oh, a.ow] }];
});
