/**
 * WebGPU kernels of the core primitives: `CopyInto` and `SliceScatter`
 * (`MatMul` is in kernels_matmul.ts, `Reduce` and `Softmax` in
 * kernels_reduce.ts). Each registers under the same name as its CPU
 * kernel.
 *
 * @module
 */
import { registerKernel, type TensorInfo } from "../backend.ts";
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
