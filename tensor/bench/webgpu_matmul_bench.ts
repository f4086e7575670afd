/**
 * `deno bench` for the WebGPU matmul: square `[n, n] @ [n, n]` for n = 256
 * and 512 (the tiled GEMM; also with the left operand a transposed view), and
 * matrix-vector / vector-matrix products with k = 5000 (the split-k path).
 * Each iteration waits for the result by reading one element back. The
 * benchmarks are ignored when no WebGPU adapter is available; a software
 * adapter such as llvmpipe is accepted.
 *
 * Run: `deno bench -A tensor/bench/webgpu_matmul_bench.ts`
 *
 * @module
 */
import { Generator, initWebGPU, matmul, randn, type Tensor, tidy } from "@dendrite/tensor";
import { readBack } from "./read_back.ts";

const gpu = await initWebGPU({ allowSoftware: true }).then(() => true, () => false);
const rng = new Generator(1234);

/** A random `[rows, cols]` matrix on the WebGPU device (or null without one). */
async function onGpu(shape: number[]): Promise<Tensor | null> {
  return gpu ? await randn(shape, { rng }).to("webgpu") : null;
}

for (const n of [256, 512]) {
  const a = await onGpu([n, n]), b = await onGpu([n, n]);
  Deno.bench({
    name: `webgpu matmul ${n}x${n}`,
    group: `webgpu matmul ${n}`,
    baseline: true,
    ignore: !gpu,
    ...(n >= 512 ? { n: 20, warmup: 3 } : {}),
    async fn() {
      await tidy(() => readBack(matmul(a!, b!)));
    },
  });
  Deno.bench({
    name: `webgpu matmul ${n}x${n} (left transposed view)`,
    group: `webgpu matmul ${n}`,
    ignore: !gpu,
    ...(n >= 512 ? { n: 20, warmup: 3 } : {}),
    async fn() {
      await tidy(() => readBack(matmul(a!.transpose(), b!)));
    },
  });
}

const k = 5000;
const A = await onGpu([1024, k]), v = await onGpu([k]);
Deno.bench({
  name: `webgpu matvec [1024, ${k}] @ [${k}]`,
  group: "webgpu matvec",
  baseline: true,
  ignore: !gpu,
  async fn() {
    await tidy(() => readBack(matmul(A!, v!)));
  },
});
const B = await onGpu([k, 1024]);
Deno.bench({
  name: `webgpu vecmat [${k}] @ [${k}, 1024]`,
  group: "webgpu matvec",
  ignore: !gpu,
  async fn() {
    await tidy(() => readBack(matmul(v!, B!)));
  },
});
