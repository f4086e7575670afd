// Training on WebGPU against the CPU, step for step, with the memory counts
// checked every step. In its own file so that no garbage from other tests
// (tensors they left undisposed, which the finalizer returns to the pool at
// any later point) changes the counts while this test watches them.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { trainAlike } from "./_train_alike.ts";

await T.initWebGPU({ allowSoftware: true });

Deno.test("a CNN trains on WebGPU exactly as on the CPU, and memory returns to baseline every step [webgpu]", async () => {
  const { Sequential, Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear } = await import(
    "@dendrite/layers"
  );
  const { Adam } = await import("@dendrite/optimizers");
  const { crossEntropy } = await import("@dendrite/losses");
  const make = () =>
    new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, rng: new T.Generator(5) }),
      new BatchNorm2d(4),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(4 * 4 * 4, 3, { rng: new T.Generator(6) }),
    );
  const cpuModel = make(), gpuModel = await make().to("webgpu");
  const cpuOpt = new Adam(cpuModel.parameters(), { lr: 0.01 }),
    gpuOpt = new Adam(gpuModel.parameters(), { lr: 0.01 });
  const x = T.randn([6, 1, 8, 8], { rng: new T.Generator(7) }),
    y = T.randint(0, 3, [6], { rng: new T.Generator(8) });
  const xg = await x.to("webgpu"), yg = await y.to("webgpu");
  const losses = await trainAlike(200, () => {
    cpuOpt.zeroGrad();
    const l = crossEntropy(cpuModel.call(x), y);
    l.backward();
    cpuOpt.step();
    return l;
  }, () => {
    gpuOpt.zeroGrad();
    const l = crossEntropy(gpuModel.call(xg), yg);
    l.backward();
    gpuOpt.step();
    gpuOpt.zeroGrad();
    return l;
  }, { atol: 1e-3, rtol: 1e-3, compareSteps: 20 });
  const lossGpu = losses[199];
  assert.ok(lossGpu < 0.2, `loss after 200 steps: ${lossGpu}`);
});
