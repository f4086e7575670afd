/**
 * `deno bench` for convolutions and a training step on the WebGPU backend:
 * conv2d 3x3 with padding 1, 32 → 64 channels at 14x14 (W2 b of
 * ../shared/bench/spec.json at batch 8, so a software adapter finishes),
 * forward and forward+backward (dx and dw), and one Adam step of a small CNN
 * (conv + batch norm + ReLU + max-pool + linear, batch 16). Each iteration
 * ends by reading one value back, so queued GPU work is inside the timing.
 * Ignored when no WebGPU adapter is available; llvmpipe is accepted.
 * `webgpu_matmul_bench.ts` times the matmuls; `deno task bench:gpu` prints
 * GFLOPS for the full-size workloads.
 *
 * Run: `deno bench -A tensor/bench/webgpu_bench.ts`
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { gradients, noGrad } from "@dendrite/autograd";
import { crossEntropy } from "@dendrite/losses";
import { Adam } from "@dendrite/optimizers";
import {
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from "@dendrite/layers";
import { readBack } from "./read_back.ts";

const gpu = await T.initWebGPU({ allowSoftware: true }).then(() => true, () => false);
const rng = new T.Generator(1234);

const onGpu = async (t: T.Tensor) => gpu ? await t.to("webgpu") : t;
const x = await onGpu(T.randn([8, 32, 14, 14], { rng }));
const w = await onGpu(T.randn([64, 32, 3, 3], { rng }).mul(1 / Math.sqrt(288)));
const dy = await onGpu(T.randn([8, 64, 14, 14], { rng }));

Deno.bench({
  name: "webgpu conv2d 8x32x14x14 -> 64, 3x3, forward",
  group: "webgpu conv2d",
  baseline: true,
  ignore: !gpu,
  n: 10,
  warmup: 2,
  async fn() {
    await T.tidy(() => readBack(noGrad(() => T.conv2d(x, w, { padding: 1 }))));
  },
});

Deno.bench({
  name: "webgpu conv2d 8x32x14x14 -> 64, 3x3, forward+backward",
  group: "webgpu conv2d",
  ignore: !gpu,
  n: 10,
  warmup: 2,
  async fn() {
    await T.tidy(() => {
      const xr = x.detach().requiresGrad_(), wr = w.detach().requiresGrad_();
      const y = T.conv2d(xr, wr, { padding: 1 });
      return readBack(...gradients(y, [xr, wr], { gradOutputs: [dy] }));
    });
  },
});

const model = new Sequential(
  new Conv2d(1, 16, 3, { padding: 1, rng }),
  new BatchNorm2d(16),
  new ReLU(),
  new MaxPool2d(2),
  new Flatten(),
  new Linear(16 * 14 * 14, 10, { rng }),
);
if (gpu) await model.to("webgpu");
const opt = new Adam(model.parameters(), { lr: 1e-3 });
const images = await onGpu(T.randn([16, 1, 28, 28], { rng }));
const labels = await onGpu(T.randint(0, 10, [16], { rng }));

Deno.bench({
  name: "webgpu CNN training step (batch 16, Adam)",
  group: "webgpu training step",
  ignore: !gpu,
  n: 10,
  warmup: 2,
  async fn() {
    await T.tidy(() => {
      opt.zeroGrad();
      const loss = crossEntropy(model.call(images), labels);
      loss.backward();
      opt.step();
      return readBack(loss);
    });
  },
});
