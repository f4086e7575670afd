/**
 * `deno bench` for the CPU matmul (W1 of ../shared/bench/spec.json): square
 * `[n, n] @ [n, n]` for n = 256, 512 and 1024, with native BLAS (baseline)
 * and with the TypeScript GEMM, switched in-process by `setBlasEnabled`.
 * The BLAS variants are ignored when no BLAS library loads (no `--allow-ffi`,
 * `DENDRITE_BLAS=off`, or no OpenBLAS/Accelerate found).
 *
 * Run: `deno bench -A tensor/bench/matmul_bench.ts`
 *
 * @module
 */
import { blasInfo, Generator, matmul, randn, setBlasEnabled } from "@dendrite/tensor";
import { readBack } from "./read_back.ts";

const haveBlas = blasInfo().enabled;
const rng = new Generator(1234);

for (const n of [256, 512, 1024]) {
  const a = randn([n, n], { rng }), b = randn([n, n], { rng });
  for (const blas of [true, false]) {
    // The TypeScript GEMM needs ~0.3 s at n = 1024: cap the sample count.
    const slow = !blas && n >= 512;
    Deno.bench({
      name: `matmul ${n}x${n} [${blas ? "blas" : "ts"}]`,
      group: `matmul ${n}`,
      baseline: blas,
      ignore: blas && !haveBlas,
      ...(slow ? { n: 10, warmup: 3 } : {}),
      async fn() {
        setBlasEnabled(blas);
        try {
          await readBack(matmul(a, b));
        } finally {
          setBlasEnabled(true);
        }
      },
    });
  }
}
