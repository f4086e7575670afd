// Self-attention training on WebGPU against the CPU, step for step, with the
// memory counts checked every step; in its own file for the reason given in
// training_memory_test.ts (garbage of other tests freed while counting).
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { trainAlike } from "./_train_alike.ts";

await T.initWebGPU({ allowSoftware: true });

Deno.test("self-attention trains on WebGPU as on the CPU, and memory returns to baseline every step [webgpu]", async () => {
  const { MultiheadAttention, Linear } = await import("@dendrite/layers");
  const { Adam } = await import("@dendrite/optimizers");
  const { crossEntropy } = await import("@dendrite/losses");
  const make = async (backend: string) => {
    const mha = await new MultiheadAttention(8, 2, { batchFirst: true, rng: new T.Generator(3) })
      .to(backend);
    const head = await new Linear(8, 3, { rng: new T.Generator(4) }).to(backend);
    return { mha, head, opt: new Adam([...mha.parameters(), ...head.parameters()], { lr: 0.01 }) };
  };
  const cpu = await make("cpu"), gpu = await make("webgpu");
  const x = T.randn([4, 5, 8], { rng: new T.Generator(7) });
  const y = T.randint(0, 3, [4], { rng: new T.Generator(8) });
  const pad = T.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 1]]).gt(0);
  const [xg, yg, padg] = [await x.to("webgpu"), await y.to("webgpu"), await pad.to("webgpu")];
  const loss = (m: typeof cpu, x: T.Tensor, y: T.Tensor, pad: T.Tensor) => {
    const [h] = m.mha.call(x, x, x, { keyPaddingMask: pad }) as [T.Tensor, T.Tensor];
    return crossEntropy(m.head.call(h.mean(1)), y);
  };
  const step = (m: typeof cpu, x: T.Tensor, y: T.Tensor, pad: T.Tensor) => {
    m.opt.zeroGrad();
    const l = loss(m, x, y, pad);
    l.backward();
    m.opt.step();
    return l;
  };
  const losses = await trainAlike(30, () => step(cpu, x, y, pad), () => {
    const l = step(gpu, xg, yg, padg);
    gpu.opt.zeroGrad();
    return l;
  }, { atol: 1e-3, rtol: 1e-3 });
  assert.ok(losses[29] < 0.5 * losses[0], `loss ${losses[0]} -> ${losses[29]}`);
});
