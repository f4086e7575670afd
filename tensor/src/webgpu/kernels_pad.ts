/**
 * The WebGPU "Pad" and "PadGrad" kernels (modes constant, reflect, replicate
 * and circular; any dtype; strided inputs read in place; rank up to 8).
 *
 * "Pad" runs one invocation per output element, mapping each coordinate to
 * its source in closed form. "PadGrad" is a deterministic gather (no
 * atomics), one dispatch per padded axis from the last back: each reduces
 * that axis with the pad's adjoint, one invocation per element of the
 * reduced tensor summing the few output positions that map to it (reflect
 * and circular: up to 3; replicate: the position itself plus the whole
 * before range at index 0 and after range at index n − 1, summed in chunks
 * so every loop stays short).
 *
 * @module
 */
import { registerKernel, type TensorInfo } from "../backend.ts";
import type { DType } from "../dtype.ts";
import { BackendError } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import { defaultStrides, type GpuStorage, type WebGPUBackend, WG, wgslType } from "./backend.ts";

type Mode = "constant" | "reflect" | "replicate" | "circular";

const buf = (t: TensorInfo) => (t.storage as GpuStorage).buffer;
const be = (t: TensorInfo) => t.storage.backend as WebGPUBackend;

/** Replicate edges are summed at most this many positions per dispatch. */
const CHUNK = 8192;

function checkRank(nd: number): void {
  if (nd > 8) {
    throw new BackendError(
      `Cannot run a WebGPU pad kernel on ${nd} axes: at most 8 are supported`,
    );
  }
}

/** `value` as the 32-bit pattern of a `dtype` element. */
function fillBits(value: number, dtype: DType): number {
  if (dtype === "float32") return new Int32Array(new Float32Array([value]).buffer)[0];
  if (dtype === "int32") return new Int32Array([value])[0];
  return value ? 1 : 0;
}

const HEADER = (t: string) => `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<${t}>;
@group(0) @binding(2) var<storage, read> X: array<${t}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * ${WG}u;
  if (idx >= u32(info[0])) { return; }`;

/**
 * Maps an out-of-range `j` to the source index `s` on an axis of size `n`.
 * `%` only ever sees non-negative operands: on some drivers (Mesa llvmpipe
 * through naga) `i32 %` of a negative dividend computes the unsigned remainder.
 */
const OUTSIDE: Record<Mode, string> = {
  constant: "fill = true;",
  replicate: "s = clamp(j, 0, n - 1);",
  circular: "if (j < 0) { s = n - 1 - (-j - 1) % n; } else { s = j % n; }",
  reflect: "let p = max(2 * (n - 1), 1); s = abs(j) % p; if (s >= n) { s = p - s; }",
};

// info: 0 total, 1 nd, 2.. out shape[8], 10.. in shape[8], 18.. before[8],
//       26.. input strides[8], 34 input offset, 35 fill bits
function padCode(t: string, mode: Mode): string {
  return `${HEADER(t)}
  var rem = i32(idx);
  var src = info[34];
  var fill = false;
  for (var d = info[1] - 1; d >= 0; d--) {
    let m = info[2 + d];
    let c = rem % m;
    rem = rem / m;
    let n = info[10 + d];
    let j = c - info[18 + d];
    var s = j;
    if (j < 0 || j >= n) { ${OUTSIDE[mode]} }
    src += s * info[26 + d];
  }
  if (fill) { o[idx] = bitcast<${t}>(info[35]); } else { o[idx] = X[src]; }
}`;
}

registerKernel("Pad", "webgpu", ([x], { before, after, mode, value }) => {
  const b = be(x), nd = x.shape.length;
  checkRank(nd);
  const outShape = x.shape.map((n, d) => before[d] + n + after[d]);
  const total = sizeOf(outShape);
  const o = b.alloc(x.dtype, total);
  const info = new Int32Array(36);
  info[0] = total;
  info[1] = nd;
  for (let d = 0; d < nd; d++) {
    info[2 + d] = outShape[d];
    info[10 + d] = x.shape[d];
    info[18 + d] = before[d];
    info[26 + d] = x.strides[d];
  }
  info[34] = x.offset;
  info[35] = fillBits(value ?? 0, x.dtype);
  b.dispatch(padCode(wgslType(x.dtype), mode), info, [o.buffer, buf(x)], total);
  return [{ storage: o, shape: outShape }];
});

/** Adds the gradient of the positions of axis `ax` that map to index `i`. */
const ADJOINT: Record<Mode, string> = {
  constant: "",
  reflect: `
    if (i >= 1 && i <= b) { acc += X[base + (b - i) * st]; }
    if (i <= n - 2 && i >= n - 1 - a) { acc += X[base + (b + 2 * (n - 1) - i) * st]; }`,
  circular: `
    if (i >= n - b) { acc += X[base + (b + i - n) * st]; }
    if (i < a) { acc += X[base + (b + i + n) * st]; }`,
  replicate: "",
};

// info: 0 total, 1 nd, 2.. reduced shape[8], 10.. input strides[8], 18 input offset,
//       19 axis, 20 before, 21 n, 22 after, 23 chunk start, 24 chunk end, 25 pass
function axisGradCode(t: string, mode: Mode): string {
  const ranges = mode !== "replicate" ? "" : `
  let lo = info[23];
  if (i == 0) { for (var q = lo; q < min(info[24], b); q++) { acc += X[base + q * st]; } }
  if (i == n - 1) { for (var q = lo; q < min(info[24], a); q++) { acc += X[base + (b + n + q) * st]; } }`;
  return `${HEADER(t)}
  var rem = i32(idx);
  var base = info[18];
  var i = 0;
  let ax = info[19];
  for (var d = info[1] - 1; d >= 0; d--) {
    let m = info[2 + d];
    let c = rem % m;
    rem = rem / m;
    if (d == ax) { i = c; } else { base += c * info[10 + d]; }
  }
  let st = info[10 + ax];
  let b = info[20]; let n = info[21]; let a = info[22];
  var acc = ${t}(0);
  if (info[25] == 0) {
    acc = X[base + (i + b) * st];${ADJOINT[mode]}
  } else {
    acc = o[idx];
  }${ranges}
  o[idx] = acc;
}`;
}

registerKernel("PadGrad", "webgpu", ([dy], { inShape, before, after, mode }) => {
  const b = be(dy), nd = dy.shape.length;
  checkRank(nd);
  const t = wgslType(dy.dtype);
  let cur: TensorInfo = dy;
  for (let ax = nd - 1; ax >= 0; ax--) {
    const lo = before[ax], hi = after[ax];
    if (lo === 0 && hi === 0) continue;
    const shape = cur.shape.map((m, d) => (d === ax ? inShape[d] : m));
    const total = sizeOf(shape);
    const o = b.alloc(dy.dtype, total);
    const passes = mode === "replicate" ? Math.max(1, Math.ceil(Math.max(lo, hi) / CHUNK)) : 1;
    for (let p = 0; p < passes; p++) {
      const info = new Int32Array(26);
      info[0] = total;
      info[1] = nd;
      for (let d = 0; d < nd; d++) {
        info[2 + d] = shape[d];
        info[10 + d] = cur.strides[d];
      }
      info[18] = cur.offset;
      info[19] = ax;
      info[20] = lo;
      info[21] = inShape[ax];
      info[22] = hi;
      info[23] = p * CHUNK;
      info[24] = (p + 1) * CHUNK;
      info[25] = p;
      b.dispatch(axisGradCode(t, mode), info, [o.buffer, buf(cur)], total);
    }
    // Freed now, the previous temporary returns to the pool only after the
    // recorded dispatches that read it are submitted.
    if (cur !== dy) b.free(cur.storage);
    cur = { storage: o, shape, strides: defaultStrides(shape), offset: 0, dtype: dy.dtype };
  }
  if (cur === dy) return [b.copy(dy, dy.dtype)];
  return [{ storage: cur.storage, shape: [...inShape] }];
});
