/**
 * `deno bench` for the CPU conv2d (W2 of ../shared/bench/spec.json): batch 64,
 * 3x3 kernels, padding 1, no bias, 1 -> 32 channels at 28x28 and 32 -> 64 at
 * 14x14; forward (no gradient recorded) and forward+backward (dx and dw for a
 * fixed random dy); each with the native libraries (baseline: oneDNN, when it
 * is loaded, else OpenBLAS), with OpenBLAS without oneDNN, with the WebAssembly
 * SIMD GEMM (im2col for 1 → 32, Winograd for 32 → 64), with the plain
 * TypeScript kernels (Winograd for both), and with each of these two made to
 * use im2col + GEMM or Winograd instead, which shows what the choice saves.
 * A variant is ignored when this runtime lacks it (`gemm_modes.ts`).
 *
 * Run: `deno bench -A tensor/bench/conv_bench.ts`
 *
 * @module
 */
import { conv2d, Generator, randn } from "@dendrite/tensor";
import { gradients, noGrad } from "@dendrite/autograd";
import { _setConvAlgorithm, type ConvAlgorithm } from "../src/ops/nn/conv.ts";
import { readBack } from "./read_back.ts";
import { BLAS_ONLY, GEMM_MODES, inMode } from "./gemm_modes.ts";

const [BLAS, WASM, TS] = GEMM_MODES;

/** Runs `fn` with the convolution algorithm forced to `algo` (synchronously; see `inMode`). */
function withAlgorithm<T>(algo: ConvAlgorithm, fn: () => T): T {
  const prev = _setConvAlgorithm(algo);
  try {
    return fn();
  } finally {
    _setConvAlgorithm(prev);
  }
}
const rng = new Generator(1234);

for (const [cin, cout, hw] of [[1, 32, 28], [32, 64, 14]]) {
  const x = randn([64, cin, hw, hw], { rng });
  const w = randn([cout, cin, 3, 3], { rng }).mul(1 / Math.sqrt(9 * cin));
  const xg = x.detach().requiresGrad_(), wg = w.detach().requiresGrad_();
  const dy = randn([64, cout, hw, hw], { rng });
  const shape = `64x${cin}x${hw}x${hw} -> ${cout}`;
  const variants: [string, (typeof GEMM_MODES)[number], ConvAlgorithm][] = [
    ["native", BLAS, "auto"],
    ["blas only", BLAS_ONLY, "auto"],
    ["wasm", WASM, "auto"],
    ["wasm, im2col", WASM, "im2col"],
    ["wasm, winograd", WASM, "winograd"],
    ["ts", TS, "auto"],
    ["ts, im2col", TS, "im2col"],
  ];
  for (const [tag, mode, algo] of variants) {
    const native = mode === BLAS || mode === BLAS_ONLY;
    const common = {
      baseline: mode === BLAS,
      ignore: !mode.available,
      ...(native ? {} : { n: 20 }),
    };
    Deno.bench({
      name: `conv2d ${shape} forward [${tag}]`,
      group: `conv2d ${shape} forward`,
      ...common,
      async fn() {
        await readBack(
          inMode(mode, () => withAlgorithm(algo, () => noGrad(() => conv2d(x, w, { padding: 1 })))),
        );
      },
    });
    Deno.bench({
      name: `conv2d ${shape} forward+backward [${tag}]`,
      group: `conv2d ${shape} forward+backward`,
      ...common,
      async fn() {
        await readBack(
          ...inMode(mode, () =>
            withAlgorithm(algo, () => {
              const y = conv2d(xg, wg, { padding: 1 });
              return gradients(y, [xg, wg], { gradOutputs: [dy] });
            })),
        );
      },
    });
  }
}
