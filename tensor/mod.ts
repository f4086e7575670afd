/**
 * `@dendrite/tensor`: the `Tensor`, its ops, and the backends they run on.
 *
 * ```ts
 * import { tensor, matmul } from "@dendrite/tensor";
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = matmul(x, x.transpose()).add(1).relu();
 * console.log(y.toString());
 * ```
 *
 * @module
 */
export * from "./src/errors.ts";
export * from "./src/dtype.ts";
export * from "./src/shape.ts";
export * from "./src/backend.ts";
export * from "./src/autodiff.ts";
export * from "./src/format.ts";
export {
  installTensorOps,
  keep,
  liveTensors,
  memory,
  Tensor,
  tensorBytes,
  tidy,
} from "./src/tensor.ts";
export type { TensorOps } from "./src/tensor.ts";
export type { BackwardOptions, MemoryReport, NestedArray } from "./src/tensor.ts";
export { CpuBackend, cpuBackend, cpuData } from "./src/cpu/backend.ts";
export { type BlasInfo, blasInfo, setBlasEnabled } from "./src/cpu/blas.ts";
export { type DnnlInfo, dnnlInfo, setDnnlEnabled } from "./src/cpu/dnnl.ts";
export { setWasmEnabled, type WasmInfo, wasmInfo } from "./src/cpu/wasm_emit.ts";
export type { CpuStorage } from "./src/cpu/backend.ts";
import "./src/cpu/matmul.ts";
import "./src/methods.ts";
export * from "./src/ops/define.ts";
export * from "./src/ops/creation.ts";
export * from "./src/ops/arith.ts";
export * from "./src/ops/compare.ts";
export * from "./src/ops/movement.ts";
export * from "./src/ops/reduce.ts";
export * from "./src/ops/matmul.ts";
export * from "./src/ops/elementwise/mod.ts";
export * from "./src/ops/reduction/mod.ts";
export * from "./src/ops/shape/mod.ts";
export * from "./src/ops/nn/mod.ts";
export * from "./src/ops/random/mod.ts";
export * from "./src/ops/inplace.ts";
export * from "./src/io/safetensors.ts";
export { checkActivation, type FusedActivation } from "./src/fused.ts";
export {
  backendInfo,
  initBackend,
  initWebGPU,
  WebGPUBackend,
  webgpuBackend,
} from "./src/webgpu/backend.ts";
export type { GpuStorage, WebGPUInfo } from "./src/webgpu/backend.ts";
import "./src/webgpu/kernels.ts";
import "./src/webgpu/kernels_nn.ts";
import "./src/webgpu/kernels_reduce.ts";
import "./src/webgpu/kernels_conv.ts";
import "./src/webgpu/kernels_matmul.ts";
import "./src/webgpu/kernels_pad.ts";
