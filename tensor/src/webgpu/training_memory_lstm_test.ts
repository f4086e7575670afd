// LSTM training on WebGPU against the CPU, step for step, with the memory
// counts checked every step; in its own file for the reason given in
// training_memory_test.ts (garbage of other tests freed while counting).
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { trainAlike } from "./_train_alike.ts";

await T.initWebGPU({ allowSoftware: true });

Deno.test("an LSTM trains on WebGPU as on the CPU, and memory returns to baseline every step [webgpu]", async () => {
  const { LSTM, Linear } = await import("@dendrite/layers");
  const { Adam } = await import("@dendrite/optimizers");
  const { mseLoss } = await import("@dendrite/losses");
  const make = async (backend: string) => {
    const lstm = await new LSTM(3, 6, {
      numLayers: 2,
      bidirectional: true,
      rng: new T.Generator(3),
    })
      .to(backend);
    const head = await new Linear(12, 1, { rng: new T.Generator(4) }).to(backend);
    return {
      lstm,
      head,
      opt: new Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.02 }),
    };
  };
  const cpu = await make("cpu"), gpu = await make("webgpu");
  const x = T.randn([7, 4, 3], { rng: new T.Generator(7) });
  const y = x.sum([0, 2]).reshape([4, 1]).mul(0.2);
  const [xg, yg] = [await x.to("webgpu"), await y.to("webgpu")];
  const loss = (m: typeof cpu, x: T.Tensor, y: T.Tensor) => {
    const [out] = m.lstm.call(x) as [T.Tensor, [T.Tensor, T.Tensor]];
    return mseLoss(m.head.call(out.slice("-1")), y);
  };
  const step = (m: typeof cpu, x: T.Tensor, y: T.Tensor) => {
    m.opt.zeroGrad();
    const l = loss(m, x, y);
    l.backward();
    m.opt.step();
    return l;
  };
  const losses = await trainAlike(25, () => step(cpu, x, y), () => {
    const l = step(gpu, xg, yg);
    gpu.opt.zeroGrad();
    return l;
  }, { atol: 1e-4, rtol: 1e-3 });
  assert.ok(losses[24] < 0.5 * losses[0], `loss ${losses[0]} -> ${losses[24]}`);
});
