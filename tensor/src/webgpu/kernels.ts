/**
 * WebGPU kernels of the core primitives: `MatMul`, `CopyInto`,
 * `SliceScatter` (`Reduce` and `Softmax` are in kernels_reduce.ts). Each registers under the same name as its CPU
 * kernel.
 *
 * @module
 */
import { type KernelOutput, registerKernel, type TensorInfo } from "../backend.ts";
import { sizeOf } from "../shape.ts";
import { defaultStrides, type GpuStorage, type WebGPUBackend } from "./backend.ts";

const buf = (t: TensorInfo) => (t.storage as GpuStorage).buffer;
const be = (t: TensorInfo) => t.storage.backend as WebGPUBackend;

registerKernel("CopyInto", "webgpu", ([dst, src]) => {
  be(dst).stridedCopy(buf(dst), dst.dtype, dst.shape, dst.strides, dst.offset, src, false);
  return [];
});

registerKernel("SliceScatter", "webgpu", ([dy], { shape, starts, lens, steps, keep }) => {
  const b = be(dy);
  const out = b.alloc(dy.dtype, sizeOf(shape), true);
  const full = defaultStrides(shape);
  let offset = 0;
  const vstrides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (lens[d] > 0) offset += starts[d] * full[d];
    if (keep[d]) vstrides.push(full[d] * steps[d]);
  }
  b.stridedCopy(out.buffer, dy.dtype, dy.shape, vstrides, offset, dy, false);
  return [{ storage: out, shape: [...shape] }];
});

registerKernel("MatMul", "webgpu", ([a, bm]): KernelOutput[] => {
  const b = be(a);
  const nd = a.shape.length;
  const m = a.shape[nd - 2], k = a.shape[nd - 1], n = bm.shape[nd - 1];
  const batchShape = a.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  const out = b.alloc("float32", batch * m * n);
  if (batch * m * n === 0) return [{ storage: out, shape: [...batchShape, m, n] }];
  const nb = batchShape.length;
  if (nb > 4) throw new Error("MatMul on WebGPU supports at most 4 batch axes");
  // meta: m, n, k, nb, batchShape[4], aStrides[4], bStrides[4], aRow, aCol, bRow, bCol, aOff, bOff
  const info = new Int32Array(4 + 12 + 6);
  info.set([m, n, k, nb]);
  batchShape.forEach((d, i) => (info[4 + i] = d));
  for (let i = 0; i < nb; i++) {
    info[8 + i] = a.strides[i];
    info[12 + i] = bm.strides[i];
  }
  info.set([
    a.strides[nd - 2],
    a.strides[nd - 1],
    bm.strides[nd - 2],
    bm.strides[nd - 1],
    a.offset,
    bm.offset,
  ], 16);
  const code = `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
const T = 16u;
var<workgroup> tA: array<array<f32, 16>, 16>;
var<workgroup> tB: array<array<f32, 16>, 16>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = info[0]; let N = info[1]; let K = info[2]; let NB = info[3];
  let row = i32(wid.y * T + lid.y);
  let col = i32(wid.x * T + lid.x);
  var rem = i32(wid.z);
  var ao = info[20]; var bo = info[21];
  for (var d = NB - 1; d >= 0; d--) {
    let c = rem % info[4 + d];
    rem = rem / info[4 + d];
    ao += c * info[8 + d];
    bo += c * info[12 + d];
  }
  var acc = 0.0;
  for (var t = 0; t < K; t += 16) {
    let ak = t + i32(lid.x);
    let bk = t + i32(lid.y);
    tA[lid.y][lid.x] = select(0.0, A[ao + row * info[16] + ak * info[17]], row < M && ak < K);
    tB[lid.y][lid.x] = select(0.0, B[bo + bk * info[18] + col * info[19]], bk < K && col < N);
    workgroupBarrier();
    for (var i = 0u; i < T; i++) { acc += tA[lid.y][i] * tB[i][lid.x]; }
    workgroupBarrier();
  }
  if (row < M && col < N) { out[i32(wid.z) * M * N + row * N + col] = acc; }
}`;
  // 16x16 workgroups over (n, m), one z slice per batch entry.
  const p = b.pipeline(code);
  const mb = b.allocBuffer(info.byteLength);
  b.device.queue.writeBuffer(mb, 0, info.buffer as ArrayBuffer, 0, info.byteLength);
  const group = b.device.createBindGroup({
    layout: p.getBindGroupLayout(0),
    entries: [mb, out.buffer, buf(a), buf(bm)].map((buffer, binding) => ({
      binding,
      resource: { buffer },
    })),
  });
  const enc = b.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(p);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.ceil(n / 16), Math.ceil(m / 16), batch);
  pass.end();
  b.device.queue.submit([enc.finish()]);
  b.releaseBuffer(mb);
  return [{ storage: out, shape: [...batchShape, m, n] }];
});
