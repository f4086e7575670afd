/**
 * `deno bench` for the CPU conv2d (W2 of ../shared/bench/spec.json): batch 64,
 * 3x3 kernels, padding 1, no bias, 1 -> 32 channels at 28x28 and 32 -> 64 at
 * 14x14; forward (no gradient recorded) and forward+backward (dx and dw for a
 * fixed random dy); each with native BLAS (baseline), with the TypeScript
 * kernels (Winograd for these layers), and with the TypeScript kernels made
 * to use im2col + GEMM instead, which shows what Winograd saves. The BLAS
 * variants are ignored when no BLAS library loads.
 *
 * Run: `deno bench -A tensor/bench/conv_bench.ts`
 *
 * @module
 */
import {
  blasInfo,
  conv2d,
  Generator,
  randn,
  setBlasEnabled,
  setGradEnabled,
} from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import { _setConvAlgorithm, type ConvAlgorithm } from "../src/ops/nn/conv.ts";
import { readBack } from "./read_back.ts";

const haveBlas = blasInfo().enabled;
const rng = new Generator(1234);

for (const [cin, cout, hw] of [[1, 32, 28], [32, 64, 14]]) {
  const x = randn([64, cin, hw, hw], { rng });
  const w = randn([cout, cin, 3, 3], { rng }).mul(1 / Math.sqrt(9 * cin));
  const xg = x.detach().requiresGrad_(), wg = w.detach().requiresGrad_();
  const dy = randn([64, cout, hw, hw], { rng });
  const shape = `64x${cin}x${hw}x${hw} -> ${cout}`;
  const variants: [string, boolean, ConvAlgorithm][] = [
    ["blas", true, "auto"],
    ["ts", false, "auto"],
    ["ts, im2col", false, "im2col"],
  ];
  for (const [tag, blas, algo] of variants) {
    const common = { baseline: blas, ignore: blas && !haveBlas, ...(blas ? {} : { n: 20 }) };
    Deno.bench({
      name: `conv2d ${shape} forward [${tag}]`,
      group: `conv2d ${shape} forward`,
      ...common,
      async fn() {
        setBlasEnabled(blas);
        const prevAlgo = _setConvAlgorithm(algo);
        const prev = setGradEnabled(false);
        try {
          await readBack(conv2d(x, w, { padding: 1 }));
        } finally {
          setGradEnabled(prev);
          _setConvAlgorithm(prevAlgo);
          setBlasEnabled(true);
        }
      },
    });
    Deno.bench({
      name: `conv2d ${shape} forward+backward [${tag}]`,
      group: `conv2d ${shape} forward+backward`,
      ...common,
      async fn() {
        setBlasEnabled(blas);
        const prevAlgo = _setConvAlgorithm(algo);
        try {
          const y = conv2d(xg, wg, { padding: 1 });
          await readBack(...gradients(y, [xg, wg], { gradOutputs: [dy] }));
        } finally {
          _setConvAlgorithm(prevAlgo);
          setBlasEnabled(true);
        }
      },
    });
  }
}
