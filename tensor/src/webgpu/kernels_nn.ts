/**
 * WebGPU kernels for indexing, joining, convolution, pooling and the fused
 * optimizer updates, under the same names as the CPU kernels (batch norm,
 * scans, scatter-add, index-add, the average-pool gradient and the convolution's
 * weight gradient are in kernels_reduce.ts, the convolution and its input
 * gradient in kernels_conv.ts).
 * Written for correctness first: one invocation per output element,
 * deterministic (no float atomics).
 *
 * @module
 */
import { type KernelFn, type KernelOutput, registerKernel, type TensorInfo } from "../backend.ts";
import type { DType } from "../dtype.ts";
import { sizeOf } from "../shape.ts";
import { defaultStrides, type GpuStorage, type WebGPUBackend, WG, wgslType } from "./backend.ts";
import { convGeometry } from "./kernels_conv.ts";

const buf = (t: TensorInfo) => (t.storage as GpuStorage).buffer;
const be = (t: TensorInfo) => t.storage.backend as WebGPUBackend;

/** A shader with `info: array<i32>` at binding 0 and the given arrays after it. */
function shader(arrays: [string, string, boolean][], body: string): string {
  const decls = arrays.map(([name, type, rw], i) =>
    `@group(0) @binding(${i + 1}) var<storage, ${
      rw ? "read_write" : "read"
    }> ${name}: array<${type}>;`
  ).join("\n");
  return `
@group(0) @binding(0) var<storage, read> info: array<i32>;
${decls}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nwg.x * ${WG}u);
${body}
}`;
}

/** Makes `t` contiguous on its backend (kernels here index contiguous arrays). */
function contig(t: TensorInfo): TensorInfo {
  const s = defaultStrides(t.shape);
  if (t.offset === 0 && t.strides.every((v, i) => v === s[i] || t.shape[i] === 1)) return t;
  const out = be(t).copy(t, t.dtype);
  temps.push(out.storage as GpuStorage);
  return { storage: out.storage, shape: out.shape, strides: s, offset: 0, dtype: t.dtype };
}

/** Contiguous copies made by `contig` for the kernel being run. */
const temps: GpuStorage[] = [];

/** Registers a WebGPU kernel that frees its contiguous copies (pooled again once the recorded work is submitted). */
function registerGpu(name: string, fn: KernelFn): void {
  registerKernel(name, "webgpu", (inputs, attrs) => {
    try {
      return fn(inputs, attrs);
    } finally {
      const b = temps.length ? be(inputs[0]) : null;
      for (const t of temps.splice(0)) b!.free(t);
    }
  });
}

function out(b: WebGPUBackend, dtype: DType, shape: number[], zero = false): KernelOutput {
  return { storage: b.alloc(dtype, sizeOf(shape), zero), shape };
}

const ob = (o: KernelOutput) => (o.storage as GpuStorage).buffer;

// ---- indexing and joining -------------------------------------------------

registerGpu("Gather", ([x0, i0], { axis }) => {
  const x = contig(x0), index = contig(i0), b = be(x);
  const o = out(b, x.dtype, [...index.shape]);
  const nd = x.shape.length;
  const info = new Int32Array([
    sizeOf(index.shape),
    nd,
    axis,
    ...pad8(index.shape),
    ...pad8(defaultStrides(x.shape)),
    x.shape[axis],
  ]);
  b.dispatch(
    shader(
      [["o", wgslType(x.dtype), true], ["X", wgslType(x.dtype), false], ["I", "i32", false]],
      `
  if (idx >= info[0]) { return; }
  var rem = idx; var src = 0;
  for (var d = info[1] - 1; d >= 0; d--) {
    let c = rem % info[3 + d]; rem = rem / info[3 + d];
    var k = c;
    if (d == info[2]) { k = I[idx]; if (k < 0) { k += info[19]; } }
    src += k * info[11 + d];
  }
  o[idx] = X[src];`,
    ),
    info,
    [ob(o), buf(x), buf(index)],
    sizeOf(index.shape),
  );
  return [o];
});

registerGpu("IndexSelect", ([x0, i0], { axis }) => {
  const x = contig(x0), index = contig(i0), b = be(x);
  const n = x.shape[axis], m = sizeOf(index.shape);
  const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1));
  const o = out(b, x.dtype, [...x.shape.slice(0, axis), m, ...x.shape.slice(axis + 1)]);
  const info = new Int32Array([outer * m * inner, m, inner, n]);
  b.dispatch(
    shader(
      [["o", wgslType(x.dtype), true], ["X", wgslType(x.dtype), false], ["I", "i32", false]],
      `
  if (idx >= info[0]) { return; }
  let i = idx % info[2];
  let j = (idx / info[2]) % info[1];
  let ou = idx / (info[2] * info[1]);
  var k = I[j];
  if (k < 0) { k += info[3]; }
  o[idx] = X[(ou * info[3] + k) * info[2] + i];`,
    ),
    info,
    [ob(o), buf(x), buf(index)],
    outer * m * inner,
  );
  return [o];
});

registerGpu("Concat", (inputs, { axis, outShape, dtype }) => {
  const b = be(inputs[0]);
  const o = out(b, dtype, [...outShape]);
  const os = defaultStrides(outShape);
  let start = 0;
  for (const x of inputs) {
    b.stridedCopy(ob(o), dtype, x.shape, os, start * os[axis], x, false);
    start += x.shape[axis];
  }
  return [o];
});

// ---- convolution ---------------------------------------------------------

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

// ---- pooling -------------------------------------------------------------

interface Windows {
  start: number[];
  end: number[];
  padEnd: number[];
  padStart: number[];
  step: number;
}

function windowInfo(hw: Windows, ww: Windows): number[] {
  return [
    hw.step,
    ww.step,
    ...hw.start,
    ...hw.end,
    ...hw.padStart,
    ...hw.padEnd,
    ...ww.start,
    ...ww.end,
    ...ww.padStart,
    ...ww.padEnd,
  ];
}

registerGpu("MaxPool2d", ([x0], { hw, ww }: { hw: Windows; ww: Windows }) => {
  const x = contig(x0), b = be(x);
  const [n, c, h, w] = x.shape;
  const oh = hw.start.length, ow = ww.start.length;
  const v = out(b, "float32", [n, c, oh, ow]), ix = out(b, "int32", [n, c, oh, ow]);
  // info: total, h, w, oh, ow, hstep, wstep, then window arrays at 7
  const win = windowInfo(hw, ww);
  const info = new Int32Array([n * c * oh * ow, h, w, oh, ow, ...win]);
  const H = 7 + 0, base = 5 + 2;
  void H;
  b.dispatch(
    shader(
      [["o", "f32", true], ["oi", "i32", true], ["X", "f32", false]],
      `
  if (idx >= info[0]) { return; }
  let oh = info[3]; let ow = info[4];
  let j = idx % ow; let i = (idx / ow) % oh; let pl = idx / (ow * oh);
  let hs = info[${base} + i]; let he = info[${base} + oh + i];
  let ws = info[${base} + 4 * oh + j]; let we = info[${base} + 4 * oh + ow + j];
  // −∞ (from bits at run time: WGSL has no infinity constant) stays the
  // value of a window that holds only padding, as on the CPU.
  var ninf_bits = 0xff800000u;
  var best = bitcast<f32>(ninf_bits); var bi = -1;
  for (var y = hs; y < he; y += info[5]) {
    if (y < 0 || y >= info[1]) { continue; }
    for (var z = ws; z < we; z += info[6]) {
      if (z < 0 || z >= info[2]) { continue; }
      let v = X[pl * info[1] * info[2] + y * info[2] + z];
      if (v > best || v != v || bi < 0) { best = v; bi = y * info[2] + z; }
    }
  }
  o[idx] = best; oi[idx] = bi;`,
    ),
    info,
    [ob(v), ob(ix), buf(x)],
    n * c * oh * ow,
  );
  return [v, ix];
});

/** Outputs per plane one invocation scatters in one dispatch of the serial max-pool gradient. */
const MAXPOOL_CHUNK = 16384;

/** The most windows of `win` that cover one position of an axis of size `n`. */
function maxCover(win: Windows, n: number): number {
  const diff = new Int32Array(n + 1);
  win.start.forEach((a, o) => {
    const lo = Math.max(a, 0), hi = Math.min(win.end[o], n);
    if (lo < hi) {
      diff[lo]++;
      diff[hi]--;
    }
  });
  let run = 0, most = 0;
  for (let i = 0; i < n; i++) most = Math.max(most, run += diff[i]);
  return most;
}

registerGpu(
  "MaxPool2dBackward",
  ([d0, i0], { h, w, hw, ww }: { h: number; w: number; hw?: Windows; ww?: Windows }) => {
    const dy = contig(d0), idx = contig(i0), b = be(dy);
    const [n, c, oh, ow] = dy.shape;
    if (hw && ww && maxCover(hw, h) * maxCover(ww, w) <= MAXPOOL_CHUNK) {
      // With the windows known (they are monotone along each axis): one
      // invocation per input element gathers, in output order, the outputs
      // whose windows cover it and whose argmax it is.
      const o = out(b, "float32", [n, c, h, w]);
      const info = new Int32Array([
        n * c * h * w,
        h,
        w,
        oh,
        ow,
        ...hw.start,
        ...hw.end,
        ...ww.start,
        ...ww.end,
      ]);
      const first = (arr: string, len: string) => `
  lo = 0; hi = ${len};
  for (var s = 0; s < 32 && lo < hi; s++) {
    let mid = (lo + hi) / 2;
    if (info[${arr} + mid] > v) { hi = mid; } else { lo = mid + 1; }
  }`;
      b.dispatch(
        shader(
          [["o", "f32", true], ["D", "f32", false], ["I", "i32", false]],
          `
  if (idx >= info[0]) { return; }
  let h = info[1]; let w = info[2]; let oh = info[3]; let ow = info[4];
  let y = (idx / w) % h; let z = idx % w; let pl = idx / (h * w);
  let k = y * w + z;
  var lo = 0; var hi = 0; var v = y;
  ${first("5 + oh", "oh")}
  let i0 = lo;
  ${first("5", "oh")}
  let i1 = lo;
  v = z;
  ${first("5 + 2 * oh + ow", "ow")}
  let j0 = lo;
  ${first("5 + 2 * oh", "ow")}
  let j1 = lo;
  var acc = 0.0;
  for (var i = i0; i < i1; i++) {
    for (var j = j0; j < j1; j++) {
      let q = (pl * oh + i) * ow + j;
      if (I[q] == k) { acc += D[q]; }
    }
  }
  o[idx] = acc;`,
        ),
        info,
        [ob(o), buf(dy), buf(idx)],
        n * c * h * w,
      );
      return [o];
    }
    // Otherwise one invocation per input plane scatters its outputs'
    // gradients (windows may overlap), at most MAXPOOL_CHUNK of them per
    // dispatch so no invocation's loop grows with the plane.
    const o = out(b, "float32", [n, c, h, w], true);
    const P = oh * ow;
    for (let q0 = 0; q0 < P; q0 += MAXPOOL_CHUNK) {
      b.dispatch(
        shader(
          [["o", "f32", true], ["D", "f32", false], ["I", "i32", false]],
          `
  if (idx >= info[0]) { return; }
  let P = info[1]; let HW = info[2];
  for (var q = info[3]; q < min(info[4], P); q++) {
    let k = I[idx * P + q];
    if (k >= 0) { o[idx * HW + k] += D[idx * P + q]; }
  }`,
        ),
        new Int32Array([n * c, P, h * w, q0, q0 + MAXPOOL_CHUNK]),
        [ob(o), buf(dy), buf(idx)],
        n * c,
      );
    }
    return [o];
  },
);

function divisorCode(base: string): string {
  return `
  var div = f32(info[7]);
  if (info[7] == 0) {
    if (info[8] == 1) { div = f32((info[${base} + 3 * oh + i] - info[${base} + 2 * oh + i]) * (info[${base} + 4 * oh + 3 * ow + j] - info[${base} + 4 * oh + 2 * ow + j])); }
    else { div = f32((min(he, info[1]) - max(hs, 0)) * (min(we, info[2]) - max(ws, 0))); }
  }`;
}

registerGpu(
  "AvgPool2d",
  ([x0], a: { hw: Windows; ww: Windows; countIncludePad: boolean; divisor?: number }) => {
    const x = contig(x0), b = be(x);
    const [n, c, h, w] = x.shape;
    const oh = a.hw.start.length, ow = a.ww.start.length;
    const o = out(b, "float32", [n, c, oh, ow]);
    const info = new Int32Array([
      n * c * oh * ow,
      h,
      w,
      oh,
      ow,
      0,
      0,
      a.divisor ?? 0,
      a.countIncludePad ? 1 : 0,
      ...windowInfo(a.hw, a.ww).slice(2),
    ]);
    const base = "9";
    b.dispatch(
      shader(
        [["o", "f32", true], ["X", "f32", false]],
        `
  if (idx >= info[0]) { return; }
  let oh = info[3]; let ow = info[4];
  let j = idx % ow; let i = (idx / ow) % oh; let pl = idx / (ow * oh);
  let hs = info[${base} + i]; let he = info[${base} + oh + i];
  let ws = info[${base} + 4 * oh + j]; let we = info[${base} + 4 * oh + ow + j];
  ${divisorCode(base)}
  var s = 0.0;
  for (var y = max(hs, 0); y < min(he, info[1]); y++) {
    for (var z = max(ws, 0); z < min(we, info[2]); z++) { s += X[pl * info[1] * info[2] + y * info[2] + z]; }
  }
  o[idx] = s / div;`,
      ),
      info,
      [ob(o), buf(x)],
      n * c * oh * ow,
    );
    return [o];
  },
);

// ---- fused optimizer updates (in place) ------------------------------------

registerGpu("AdamStep", (inputs, a) => {
  const b = be(inputs[0]);
  const ams = inputs.length === 5;
  const f = (v: number) => new Int32Array(new Float32Array([v]).buffer)[0];
  const n = sizeOf(inputs[0].shape);
  const info = new Int32Array([
    n,
    ...inputs.map((t) => t.offset),
    ...(ams ? [] : [0]),
    f(a.stepSize),
    f(a.beta1),
    f(a.beta2),
    f(a.bc2Sqrt),
    f(a.eps),
    f(a.weightDecay),
    f(a.decay),
    a.maximize ? 1 : 0,
  ]);
  const arrays: [string, string, boolean][] = [["P", "f32", true], ["G", "f32", false], [
    "M",
    "f32",
    true,
  ], ["V", "f32", true]];
  if (ams) arrays.push(["X", "f32", true]);
  b.dispatch(
    shader(
      arrays,
      `
  if (idx >= info[0]) { return; }
  let lr = bitcast<f32>(info[6]); let b1 = bitcast<f32>(info[7]); let b2 = bitcast<f32>(info[8]);
  let bc2 = bitcast<f32>(info[9]); let eps = bitcast<f32>(info[10]); let wd = bitcast<f32>(info[11]); let decay = bitcast<f32>(info[12]);
  var p = P[info[1] + idx] * decay;
  var g = G[info[2] + idx];
  if (info[13] == 1) { g = -g; }
  g = g + wd * p;
  let m = b1 * M[info[3] + idx] + (1.0 - b1) * g;
  var v = b2 * V[info[4] + idx] + (1.0 - b2) * g * g;
  M[info[3] + idx] = m; V[info[4] + idx] = v;
  ${ams ? "let mx = max(X[info[5] + idx], v); X[info[5] + idx] = mx; v = mx;" : ""}
  P[info[1] + idx] = p - lr * m / (sqrt(v) / bc2 + eps);`,
    ),
    info,
    inputs.map(buf),
    n,
  );
  return [];
});

registerGpu("SgdStep", (inputs, a) => {
  const b = be(inputs[0]);
  const mom = inputs.length === 3;
  const f = (v: number) => new Int32Array(new Float32Array([v]).buffer)[0];
  const n = sizeOf(inputs[0].shape);
  const info = new Int32Array([
    n,
    inputs[0].offset,
    inputs[1].offset,
    mom ? inputs[2].offset : 0,
    f(a.lr),
    f(a.momentum),
    f(a.dampening),
    f(a.weightDecay),
    a.nesterov ? 1 : 0,
    a.maximize ? 1 : 0,
    a.first ? 1 : 0,
  ]);
  const arrays: [string, string, boolean][] = [["P", "f32", true], ["G", "f32", false]];
  if (mom) arrays.push(["B", "f32", true]);
  b.dispatch(
    shader(
      arrays,
      `
  if (idx >= info[0]) { return; }
  var g = G[info[2] + idx];
  if (info[9] == 1) { g = -g; }
  g = g + bitcast<f32>(info[7]) * P[info[1] + idx];
  ${
        mom
          ? `let mo = bitcast<f32>(info[5]);
  var bv = g;
  if (info[10] == 0) { bv = mo * B[info[3] + idx] + (1.0 - bitcast<f32>(info[6])) * g; }
  B[info[3] + idx] = bv;
  if (info[8] == 1) { g = g + mo * bv; } else { g = bv; }`
          : ""
      }
  P[info[1] + idx] = P[info[1] + idx] - bitcast<f32>(info[4]) * g;`,
    ),
    info,
    inputs.map(buf),
    n,
  );
  return [];
});

function pad8(xs: readonly number[]): number[] {
  const out = new Array<number>(8).fill(0);
  xs.forEach((v, i) => (out[i] = v));
  return out;
}

// ---- unfold / fold, row-wise scans and selections ---------------------------

registerGpu("Im2Col", ([x0], a) => {
  const x = contig(x0), b = be(x);
  const [n, c, h, w] = x.shape;
  const K = c * a.kh * a.kw, P = a.oh * a.ow;
  const o = out(b, "float32", [n, K, P]);
  const info = new Int32Array([
    n * K * P,
    c,
    h,
    w,
    ...convGeometry(a),
    a.oh,
    a.ow,
    K,
  ]);
  b.dispatch(
    shader(
      [["o", "f32", true], ["X", "f32", false]],
      `
  if (idx >= info[0]) { return; }
  let P = info[12] * info[13];
  let p = idx % P; let k = (idx / P) % info[14]; let bn = idx / (P * info[14]);
  let j = k % info[5]; let i = (k / info[5]) % info[4]; let ci = k / (info[5] * info[4]);
  let yo = p / info[13]; let xo = p % info[13];
  let iy = yo * info[6] - info[8] + i * info[10];
  let ix = xo * info[7] - info[9] + j * info[11];
  var v = 0.0;
  if (iy >= 0 && iy < info[2] && ix >= 0 && ix < info[3]) { v = X[((bn * info[1] + ci) * info[2] + iy) * info[3] + ix]; }
  o[idx] = v;`,
    ),
    info,
    [ob(o), buf(x)],
    n * K * P,
  );
  return [o];
});

registerGpu("Col2Im", ([c0], a) => {
  // One invocation per image pixel: sum the patch entries that cover it.
  const cols = contig(c0), b = be(cols);
  const [n, K, P] = cols.shape;
  const o = out(b, "float32", [n, a.c, a.h, a.w]);
  const info = new Int32Array([
    n * a.c * a.h * a.w,
    a.c,
    a.h,
    a.w,
    ...convGeometry(a),
    a.oh,
    a.ow,
    K,
    P,
  ]);
  b.dispatch(
    shader(
      [["o", "f32", true], ["C", "f32", false]],
      `
  if (idx >= info[0]) { return; }
  let x = idx % info[3]; let y = (idx / info[3]) % info[2]; let ci = (idx / (info[3] * info[2])) % info[1]; let bn = idx / (info[3] * info[2] * info[1]);
  var acc = 0.0;
  for (var i = 0; i < info[4]; i++) {
    let ty = y + info[8] - i * info[10];
    if (ty < 0 || ty % info[6] != 0) { continue; }
    let yo = ty / info[6];
    if (yo >= info[12]) { continue; }
    for (var j = 0; j < info[5]; j++) {
      let tx = x + info[9] - j * info[11];
      if (tx < 0 || tx % info[7] != 0) { continue; }
      let xo = tx / info[7];
      if (xo >= info[13]) { continue; }
      let k = (ci * info[4] + i) * info[5] + j;
      acc += C[(bn * info[14] + k) * info[15] + yo * info[13] + xo];
    }
  }
  o[idx] = acc;`,
    ),
    info,
    [ob(o), buf(cols)],
    n * a.c * a.h * a.w,
  );
  return [o];
});

registerGpu("ProdExcl", ([x0]) => {
  const x = contig(x0), b = be(x);
  const [rows, n] = x.shape;
  const o = out(b, "float32", [rows, n]);
  b.dispatch(
    shader(
      [["o", "f32", true], ["X", "f32", false]],
      `
  if (idx >= info[0]) { return; }
  let n = info[1]; let base = idx * n;
  var left = 1.0;
  for (var i = 0; i < n; i++) { o[base + i] = left; left = left * X[base + i]; }
  var right = 1.0;
  for (var i = n - 1; i >= 0; i--) { o[base + i] = o[base + i] * right; right = right * X[base + i]; }`,
    ),
    new Int32Array([rows, n]),
    [ob(o), buf(x)],
    rows,
  );
  return [o];
});

registerGpu("CumprodBackward", ([x0, d0]) => {
  const x = contig(x0), dy = contig(d0), b = be(x);
  const [rows, n] = x.shape;
  const o = out(b, "float32", [rows, n]);
  b.dispatch(
    shader(
      [["o", "f32", true], ["X", "f32", false], ["D", "f32", false]],
      `
  let n = info[1];
  if (idx >= info[0] * n) { return; }
  let r = idx / n; let i = idx % n; let base = r * n;
  var prefix = 1.0;
  for (var k = 0; k < i; k++) { prefix = prefix * X[base + k]; }
  var acc = 0.0; var run = prefix;
  for (var j = i; j < n; j++) {
    if (j > i) { run = run * X[base + j]; }
    acc += D[base + j] * run;
  }
  o[idx] = acc;`,
    ),
    new Int32Array([rows, n]),
    [ob(o), buf(x), buf(dy)],
    rows * n,
  );
  return [o];
});

registerGpu("MedianIndex", ([x0]) => {
  // Lower median by rank (stable: ties keep their order; NaN wins), O(n²) per row.
  const x = contig(x0), b = be(x);
  const [rows, n] = x.shape;
  const o = out(b, "int32", [rows]);
  b.dispatch(
    shader(
      [["o", "i32", true], ["X", "f32", false]],
      `
  if (idx >= info[0]) { return; }
  let n = info[1]; let base = idx * n; let k = (n - 1) / 2;
  for (var i = 0; i < n; i++) { let v = X[base + i]; if (v != v) { o[idx] = i; return; } }
  for (var i = 0; i < n; i++) {
    let v = X[base + i];
    var rank = 0;
    for (var j = 0; j < n; j++) {
      let u = X[base + j];
      if (u < v || (u == v && j < i)) { rank++; }
    }
    if (rank == k) { o[idx] = i; return; }
  }
  o[idx] = 0;`,
    ),
    new Int32Array([rows, n]),
    [ob(o), buf(x)],
    rows,
  );
  return [o];
});
