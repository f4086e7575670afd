/**
 * `deno bench` for the CPU matmul (W1 of ../shared/bench/spec.json): square
 * `[n, n] @ [n, n]` for n = 256, 512 and 1024, with native BLAS (baseline),
 * with the WebAssembly SIMD GEMM and with the plain TypeScript GEMM, switched
 * in-process (`gemm_modes.ts`). A variant is ignored when this runtime lacks
 * it (no `--allow-ffi`, `DENDRITE_BLAS=off`, no OpenBLAS/Accelerate found;
 * no WebAssembly SIMD).
 *
 * Run: `deno bench -A tensor/bench/matmul_bench.ts`
 *
 * @module
 */
import { Generator, matmul, randn } from "@dendrite/tensor";
import { readBack } from "./read_back.ts";
import { GEMM_MODES, inMode } from "./gemm_modes.ts";

const rng = new Generator(1234);

for (const n of [256, 512, 1024]) {
  const a = randn([n, n], { rng }), b = randn([n, n], { rng });
  for (const mode of GEMM_MODES) {
    // The TypeScript GEMM needs ~0.3 s at n = 1024: cap the sample count.
    const slow = mode.tag === "ts" && n >= 512;
    Deno.bench({
      name: `matmul ${n}x${n} [${mode.tag}]`,
      group: `matmul ${n}`,
      baseline: mode.tag === "blas",
      ignore: !mode.available,
      ...(slow ? { n: 10, warmup: 3 } : {}),
      fn: async () => {
        await readBack(inMode(mode, () => matmul(a, b)));
      },
    });
  }
}
