/**
 * The WebGPU `MatMul` kernel: `[..., m, k] @ [..., k, n]` over strided
 * operands (transposed views are read through their strides, never copied)
 * with broadcast batch axes, into a contiguous float32 `[..., m, n]`.
 *
 * Two shader families, generated per case and cached by their code:
 *
 * - **Tiled GEMM** (the general case): each workgroup of 16×16 invocations
 *   computes a 64×64 output tile, 4×4 outputs per invocation kept in
 *   registers (a 128×64 tile, 8×4 per invocation, when `m` ≥ 256), staging
 *   16-deep slices of both operands in workgroup memory. An operand whose
 *   inner stride is 1 (and whose row stride, offsets and inner size are
 *   multiples of 4) is read as `vec4<f32>`; when `n` is a multiple of 4 the
 *   output is written as `vec4<f32>` too. When `m` and `n` are multiples of
 *   the tile and `k` of 16 a variant without bounds checks runs.
 * - **Split-k reduction** (matrix-vector, vector-matrix, and small outputs
 *   with a long `k`): `L` invocations (a power of two up to 256) share each
 *   output, each walking every `L`-th entry of `k` (every `L`-th `vec4<f32>`
 *   where both operands are contiguous along `k` and aligned to 4), and a
 *   tree reduction in workgroup memory adds their partial sums.
 *
 * Every output is written once, except that a very long `k` is split into
 * chunks run as successive dispatches that add to what the previous ones
 * wrote (so no invocation loops more than ~20,000 times: llvmpipe aborts
 * shaders past 65,535 loop iterations). Grids larger than 65,535
 * workgroups fold into x and y, and larger still are split across dispatches.
 *
 * @module
 */
import { type KernelOutput, registerKernel, type TensorInfo } from "../backend.ts";
import { BackendError, fmtShape } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import type { GpuStorage, WebGPUBackend } from "./backend.ts";
import { activationWgsl, type FusedActivation } from "../fused.ts";

const buf = (t: TensorInfo) => (t.storage as GpuStorage).buffer;
const be = (t: TensorInfo) => t.storage.backend as WebGPUBackend;

/** Output tile columns, slice depth, and most batch axes the shaders decode. */
const TN = 64, DEPTH = 16, MAXB = 6;
/**
 * Limits of the WebGPU matmul's dispatches and its choice of loads, exposed
 * so that tests can lower them to reach the splitting logic on small shapes:
 * `grid` (workgroups per grid dimension, WebGPU's 65,535), `gemmKChunk` (k
 * per dispatch of the tiled GEMM, a multiple of 16; 8,192 keeps every
 * invocation under ~20,000 loop iterations, well below llvmpipe's 65,535), `reduceSteps` (loop iterations
 * per invocation per dispatch of the split-k reduction) and `vec4` (use the
 * `vec4<f32>` loads and stores where the layout allows).
 *
 * @example
 * ```ts
 * import { matmulLimits } from "./kernels_matmul.ts";
 * console.assert(matmulLimits.grid === 65535 && matmulLimits.gemmKChunk % 16 === 0);
 * ```
 */
export const matmulLimits: {
  grid: number;
  gemmKChunk: number;
  reduceSteps: number;
  vec4: boolean;
} = { grid: 65535, gemmKChunk: 8192, reduceSteps: 4096, vec4: true };

// info: 0 M, 1 N, 2 K, 3 nb, 4 aRow, 5 aCol, 6 bRow, 7 bCol, 8 aOff, 9 bOff,
//       10 end of this dispatch's tiles (GEMM), 11 its first tile (GEMM) / its outputs
//       (reduce), 12 add to the output, 13 column tiles (GEMM), 14 row tiles (GEMM),
//       15 first output (reduce),
//       16.. batch shape [6], 22.. a batch strides [6], 28.. b batch strides [6],
//       34 bias offset, 35 bias stride
// info[12]: bit 0 adds to the output (a later chunk of k), bit 1 applies the
// epilogue (bias, activation: the last chunk).
const INFO = 36;

/** What the output gets on the way out: `linear`'s bias and activation. */
interface Epilogue {
  bias: boolean;
  act?: FusedActivation;
}

/** The binding and function `epi(x, column)` of an epilogue. */
function epilogueCode(e: Epilogue): string {
  const act = activationWgsl(e.act);
  return `${e.bias ? "@group(0) @binding(4) var<storage, read> Bias: array<f32>;" : ""}
fn epi(v: f32, col: i32) -> f32 {
  let x = v${e.bias ? " + Bias[info[34] + col * info[35]]" : ""};
  return ${act};
}`;
}

const HEADER = `
fn batchOffsets(bt: i32) -> vec2<i32> {
  var rem = bt;
  var o = vec2<i32>(info[8], info[9]);
  for (var d = info[3] - 1; d >= 0; d--) {
    let s = info[16 + d];
    let c = rem % s;
    rem = rem / s;
    o += c * vec2<i32>(info[22 + d], info[28 + d]);
  }
  return o;
}`;

/** How the tiled GEMM stages an operand. */
type Mode = "vecInner" | "vecOuter" | "scalarInner" | "scalarOuter";

/**
 * A: "Inner" is along k (the column stride is 1), "Outer" along m (the row
 * stride is 1). B: "Inner" is along n (column stride 1), "Outer" along k
 * (row stride 1). The scalar modes only choose which index consecutive
 * invocations read, for coalescing.
 */
interface GemmVariant {
  a: Mode;
  b: Mode;
  bounds: boolean;
  vecOut: boolean;
  /** Output tile rows: 64 (4×4 outputs per invocation) or 128 (8×4). */
  tm: 64 | 128;
  /** Bias and activation applied as the output is written. */
  epi: Epilogue;
}

function gemmCode(v: GemmVariant): string {
  const { bounds, tm: TM } = v;
  const RM = TM / 64, W = TM / 4; // row halves per invocation; vec4s per k in tA
  const ck = (cond: string) => bounds ? cond : "true";
  const arr = (mode: Mode) => mode.startsWith("vec") ? "vec4<f32>" : "f32";
  // Stage A's TM×DEPTH slice: tA[kk * W + r / 4][r % 4] = A[row r0 + r, k k0 + kk].
  let loadA: string;
  if (v.a === "vecInner") {
    loadA = `for (var p = 0; p < ${DEPTH * RM}; p += 16) {
      let r = t / 4 + p / ${DEPTH} * 64; let q = p % ${DEPTH} + t % 4 * 4;
      let R = r0 + r; let k = k0 + q;
      var x = vec4<f32>(0.0);
      if (${ck("R < M && k < K")}) { x = A[(ao + R * aRow + k) / 4]; }
      for (var j = 0; j < 4; j++) { tA[(q + j) * ${W} + r / 4][r % 4] = x[j]; }
    }`;
  } else if (v.a === "vecOuter") {
    loadA = `for (var p = 0; p < ${DEPTH * RM}; p += 16) {
      let kk = p % ${DEPTH} + t / 16; let rq = t % 16 + p / ${DEPTH} * 16;
      let R = r0 + rq * 4; let k = k0 + kk;
      var x = vec4<f32>(0.0);
      if (${ck("R < M && k < K")}) { x = A[(ao + R + k * aCol) / 4]; }
      tA[kk * ${W} + rq] = x;
    }`;
  } else {
    const idx = v.a === "scalarInner"
      ? `let kk = slot % ${DEPTH}; let r = slot / ${DEPTH};`
      : `let kk = slot / ${TM}; let r = slot % ${TM};`;
    loadA = `for (var e = 0; e < ${(TM * DEPTH) / 256}; e++) {
      let slot = t + 256 * e;
      ${idx}
      let R = r0 + r; let k = k0 + kk;
      var x = 0.0;
      if (${ck("R < M && k < K")}) { x = A[ao + R * aRow + k * aCol]; }
      tA[kk * ${W} + r / 4][r % 4] = x;
    }`;
  }
  // Stage B's DEPTH×64 slice: tB[kk * 16 + c / 4][c % 4] = B[k k0 + kk, column c0 + c].
  let loadB: string;
  if (v.b === "vecInner") {
    loadB = `for (var p = 0; p < ${DEPTH}; p += 16) {
      let kk = p + t / 16; let cq = t % 16;
      let C = c0 + cq * 4; let k = k0 + kk;
      var x = vec4<f32>(0.0);
      if (${ck("C < N && k < K")}) { x = B[(bo + k * bRow + C) / 4]; }
      tB[kk * 16 + cq] = x;
    }`;
  } else if (v.b === "vecOuter") {
    loadB = `for (var p = 0; p < ${DEPTH}; p += 16) {
      let c = t / 4; let q = p + t % 4 * 4;
      let C = c0 + c; let k = k0 + q;
      var x = vec4<f32>(0.0);
      if (${ck("C < N && k < K")}) { x = B[(bo + C * bCol + k) / 4]; }
      for (var j = 0; j < 4; j++) { tB[(q + j) * 16 + c / 4][c % 4] = x[j]; }
    }`;
  } else {
    const idx = v.b === "scalarInner"
      ? "let c = slot % 64; let kk = slot / 64;"
      : `let c = slot / ${DEPTH}; let kk = slot % ${DEPTH};`;
    loadB = `for (var e = 0; e < ${DEPTH / 4}; e++) {
      let slot = t + 256 * e;
      ${idx}
      let C = c0 + c; let k = k0 + kk;
      var x = 0.0;
      if (${ck("C < N && k < K")}) { x = B[bo + k * bRow + C * bCol]; }
      tB[kk * 16 + c / 4][c % 4] = x;
    }`;
  }
  const accs = Array.from({ length: 4 * RM }, (_, u) => `acc${u}`);
  const fmaRows = Array.from({ length: RM }, (_, h) =>
    `{ let a = tA[kk * ${W} + ${h * 16} + ty];
      ${["x", "y", "z", "w"].map((c, u) => `acc${h * 4 + u} += a.${c} * b;`).join(" ")} }`).join(
      "\n      ",
    );
  const fma = `for (var kk = 0; kk < ${DEPTH}; kk++) {
      let b = tB[kk * 16 + tx];
      ${fmaRows}
    }`;
  let store: string;
  const row = `let R = r0 + u / 4 * 64 + ty * 4 + u % 4;`;
  if (v.vecOut) {
    store = `for (var u = 0; u < ${4 * RM}; u++) {
    ${row}
    if (${ck("R < M && C < N")}) {
      let o = (ob + R * N + C) / 4;
      var x = acc[u];
      if ((info[12] & 1) != 0) { x += O[o]; }
      if ((info[12] & 2) != 0) {
        x = vec4<f32>(epi(x.x, C), epi(x.y, C + 1), epi(x.z, C + 2), epi(x.w, C + 3));
      }
      O[o] = x;
    }
  }`;
  } else {
    store = `for (var u = 0; u < ${4 * RM}; u++) {
    ${row}
    if (${ck("R < M")}) {
      for (var s = 0; s < 4; s++) {
        if (${ck("C + s < N")}) {
          let o = ob + R * N + C + s;
          var x = acc[u][s];
          if ((info[12] & 1) != 0) { x += O[o]; }
          if ((info[12] & 2) != 0) { x = epi(x, C + s); }
          O[o] = x;
        }
      }
    }
  }`;
  }
  return `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> O: array<${v.vecOut ? "vec4<f32>" : "f32"}>;
@group(0) @binding(2) var<storage, read> A: array<${arr(v.a)}>;
@group(0) @binding(3) var<storage, read> B: array<${arr(v.b)}>;
var<workgroup> tA: array<vec4<f32>, ${DEPTH * W}>;
var<workgroup> tB: array<vec4<f32>, ${DEPTH * 16}>;
${HEADER}
${epilogueCode(v.epi)}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let item = info[11] + i32(wid.x + wid.y * nwg.x);
  let valid = item < info[10];
  let M = info[0]; let N = info[1];
  let K = select(0, info[2], valid);
  let aRow = info[4]; let aCol = info[5]; let bRow = info[6]; let bCol = info[7];
  let ct = item % info[13];
  let rt = (item / info[13]) % info[14];
  let bt = item / (info[13] * info[14]);
  let offs = batchOffsets(select(0, bt, valid));
  let ao = offs.x; let bo = offs.y;
  let t = i32(lid.x);
  let tx = t % 16; let ty = t / 16;
  let r0 = rt * ${TM}; let c0 = ct * 64;
  ${accs.map((a) => `var ${a} = vec4<f32>(0.0);`).join(" ")}
  for (var k0 = 0; k0 < K; k0 += ${DEPTH}) {
    ${loadA}
    ${loadB}
    workgroupBarrier();
    ${fma}
    workgroupBarrier();
  }
  if (!valid) { return; }
  let acc = array<vec4<f32>, ${4 * RM}>(${accs.join(", ")});
  let ob = bt * M * N;
  let C = c0 + tx * 4;
  ${store}
}`;
}

/**
 * The split-k reduction: each workgroup computes `256 / L` outputs, `L`
 * invocations per output. `lanesInner` puts an output's lanes on
 * consecutive invocations (for an operand contiguous along k), otherwise
 * consecutive invocations take consecutive outputs; `vec` reads both
 * operands as `vec4<f32>` along k.
 */
function reduceCode(L: number, lanesInner: boolean, vec: boolean, epi: Epilogue): string {
  const outs = 256 / L;
  const split = lanesInner
    ? `let lane = t % ${L}; let j = t / ${L};`
    : `let j = t % ${outs}; let lane = t / ${outs};`;
  const partner = lanesInner ? "s" : `s * ${outs}`;
  // With vec4 loads both operands are contiguous along k, aligned, and K % 4 == 0.
  const walk = vec
    ? `var ia = (offs.x + row * info[4]) / 4 + lane;
    var ib = (offs.y + col * info[7]) / 4 + lane;
    for (var k = lane; k < K / 4; k += ${L}) {
      acc += dot(A[ia], B[ib]);
      ia += ${L}; ib += ${L};
    }`
    : `var ia = offs.x + row * info[4] + lane * info[5];
    var ib = offs.y + col * info[7] + lane * info[6];
    let sa = ${L} * info[5]; let sb = ${L} * info[6];
    for (var k = lane; k < K; k += ${L}) {
      acc += A[ia] * B[ib];
      ia += sa; ib += sb;
    }`;
  const reduce = L === 1 ? "" : `
  red[t] = acc;
  workgroupBarrier();
  for (var s = ${L / 2}; s > 0; s = s / 2) {
    if (lane < s) { red[t] += red[t + ${partner}]; }
    workgroupBarrier();
  }
  acc = red[t];`;
  return `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<${vec ? "vec4<f32>" : "f32"}>;
@group(0) @binding(3) var<storage, read> B: array<${vec ? "vec4<f32>" : "f32"}>;
${L === 1 ? "" : "var<workgroup> red: array<f32, 256>;"}
${HEADER}
${epilogueCode(epi)}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let item = i32(wid.x + wid.y * nwg.x);
  let t = i32(lid.x);
  ${split}
  let M = info[0]; let N = info[1]; let K = info[2];
  let p = item * ${outs} + j;
  let valid = p < info[11];
  let o = info[15] + p;
  var acc = 0.0;
  if (valid) {
    let col = o % N;
    let row = (o / N) % M;
    let offs = batchOffsets(o / (M * N));
    ${walk}
  }${reduce}
  if (valid && lane == 0) {
    if ((info[12] & 1) != 0) { acc += O[o]; }
    if ((info[12] & 2) != 0) { acc = epi(acc, o % N); }
    O[o] = acc;
  }
}`;
}

/** Splits `items` workgroups into a 2-D grid (x and y at most 65,535). */
function grid(items: number): [number, number] {
  const g = matmulLimits.grid;
  return [Math.min(items, g), Math.ceil(items / g)];
}

/**
 * Merges batch axes that both operands step through uniformly and drops
 * size-1 axes, so that at most `MAXB` axes remain in common cases.
 */
function collapseBatch(
  shape: readonly number[],
  as: readonly number[],
  bs: readonly number[],
): { shape: number[]; as: number[]; bs: number[] } {
  const out = { shape: [] as number[], as: [] as number[], bs: [] as number[] };
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = out.shape.length - 1;
    if (
      last >= 0 && out.as[last] === as[i] * shape[i] && out.bs[last] === bs[i] * shape[i]
    ) {
      out.shape[last] *= shape[i];
      out.as[last] = as[i];
      out.bs[last] = bs[i];
    } else {
      out.shape.push(shape[i]);
      out.as.push(as[i]);
      out.bs.push(bs[i]);
    }
  }
  return out;
}

const aligned = (...v: number[]) => v.every((x) => x % 4 === 0);

registerKernel("MatMul", "webgpu", (
  [a, bm, bias],
  attrs: { activation?: FusedActivation },
): KernelOutput[] => {
  const b = be(a);
  const nd = a.shape.length;
  const m = a.shape[nd - 2], k = a.shape[nd - 1], n = bm.shape[nd - 1];
  const batchShape = a.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  const shape = [...batchShape, m, n];
  const epi: Epilogue = { bias: !!bias, act: attrs.activation };
  if (batch * m * n === 0 || (k === 0 && !bias && !attrs.activation)) {
    return [{ storage: b.alloc("float32", batch * m * n, true), shape }];
  }
  const bc = collapseBatch(batchShape, a.strides.slice(0, -2), bm.strides.slice(0, -2));
  if (bc.shape.length > MAXB) {
    throw new BackendError(
      `Cannot run MatMul on WebGPU with batch shape ${
        fmtShape(batchShape)
      }: at most ${MAXB} batch axes that cannot be merged are supported`,
    );
  }
  const out = b.alloc("float32", batch * m * n);
  const aRow = a.strides[nd - 2], aCol = a.strides[nd - 1];
  const bRow = bm.strides[nd - 2], bCol = bm.strides[nd - 1];
  const info = new Int32Array(INFO);
  info.set([m, n, k, bc.shape.length, aRow, aCol, bRow, bCol, a.offset, bm.offset]);
  info.set(bc.shape, 16);
  info.set(bc.as, 22);
  info.set(bc.bs, 28);
  const buffers = [out.buffer, buf(a), buf(bm)];
  if (bias) {
    info[34] = bias.offset;
    info[35] = bias.strides[0];
    buffers.push(buf(bias));
  }
  const kChunks = (chunk: number, fn: (k0: number) => void) => {
    // One pass even for k = 0, so that the epilogue writes bias/activation.
    for (let k0 = 0; k0 < k || k0 === 0; k0 += chunk) {
      info[2] = Math.min(chunk, k - k0);
      info[8] = a.offset + k0 * aCol;
      info[9] = bm.offset + k0 * bRow;
      info[12] = (k0 > 0 ? 1 : 0) | (k0 + chunk >= k ? 2 : 0);
      fn(k0);
    }
  };

  const outputs = batch * m * n;
  if (k === 0 || m === 1 || n === 1 || m * n <= 256 || (outputs <= 4096 && k >= 1024)) {
    // Split-k reduction: L lanes per output, enough that each walks ~32
    // entries (or vec4s, where both operands are contiguous along k).
    const lanesInner = n === 1 ? aCol === 1 : m === 1 ? bRow === 1 : aCol === 1 || bRow === 1;
    const vec = matmulLimits.vec4 && aCol === 1 && bRow === 1 && k % 4 === 0 &&
      aligned(a.offset, ...bc.as, m > 1 ? aRow : 0, bm.offset, ...bc.bs, n > 1 ? bCol : 0);
    const width = vec ? 4 : 1;
    let L = Math.min(256, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(k / width / 32)))));
    // With many outputs, fewer lanes each (measured on llvmpipe: 4 lanes
    // across outputs read B's rows as whole cache lines).
    if (outputs >= 256) L = Math.min(L, lanesInner ? 64 : 4);
    const outs = 256 / L;
    const code = reduceCode(L, lanesInner, vec, epi);
    const maxItems = matmulLimits.grid ** 2;
    kChunks(L * matmulLimits.reduceSteps * width, () => {
      for (let p0 = 0; p0 < outputs; p0 += maxItems * outs) {
        const count = Math.min(outputs - p0, maxItems * outs);
        info[11] = count;
        info[15] = p0;
        b.dispatchGroups(code, info, buffers, grid(Math.ceil(count / outs)));
      }
    });
    return [{ storage: out, shape }];
  }

  // Tiled GEMM.
  // 8×4 outputs per invocation where m is large (~15% faster on llvmpipe at
  // 512×512), unless only the 64-row tile fits m without bounds checks.
  const tm = m >= 256 && (m % 128 === 0 || m % 64 !== 0) ? 128 : 64;
  const tilesM = Math.ceil(m / tm), tilesN = Math.ceil(n / TN);
  const perBatch = tilesM * tilesN;
  const bounds = m % tm !== 0 || n % TN !== 0 || k % DEPTH !== 0;
  const vec = matmulLimits.vec4;
  const aOffs = [a.offset, ...bc.as], bOffs = [bm.offset, ...bc.bs];
  const aMode: Mode = aCol === 1
    ? (vec && k % 4 === 0 && aligned(aRow, ...aOffs) ? "vecInner" : "scalarInner")
    : aRow === 1
    ? (vec && m % 4 === 0 && aligned(aCol, ...aOffs) ? "vecOuter" : "scalarOuter")
    : "scalarInner";
  const bMode: Mode = bCol === 1
    ? (vec && n % 4 === 0 && aligned(bRow, ...bOffs) ? "vecInner" : "scalarInner")
    : bRow === 1
    ? (vec && k % 4 === 0 && aligned(bCol, ...bOffs) ? "vecOuter" : "scalarOuter")
    : "scalarInner";
  const code = gemmCode({ a: aMode, b: bMode, bounds, vecOut: vec && n % 4 === 0, tm, epi });
  info[13] = tilesN;
  info[14] = tilesM;
  const total = batch * perBatch, most = matmulLimits.grid ** 2;
  kChunks(matmulLimits.gemmKChunk, () => {
    for (let i0 = 0; i0 < total; i0 += most) {
      info[10] = Math.min(total, i0 + most);
      info[11] = i0;
      b.dispatchGroups(code, info, buffers, grid(info[10] - i0));
    }
  });
  return [{ storage: out, shape }];
});
