// Data-dependent shapes on WebGPU: nonzero() cannot read synchronously there
// and says so; nonzeroAsync() and indexAsync() work on every backend (with
// gradients through the selection).
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import { assertClose } from "@dendrite/tensor/testing";

await T.initWebGPU({ allowSoftware: true });

Deno.test("nonzero on WebGPU names the async form; nonzeroAsync matches the CPU", async () => {
  const x = T.tensor([[0, 1.5, 0], [2, 0, -1]]);
  const gx = await x.to("webgpu");
  assert.throws(() => T.nonzero(gx), {
    message:
      `Cannot run nonzero() on backend "webgpu": the result's size depends on the values, which that backend cannot read synchronously; use await nonzeroAsync(x)`,
  });
  const nz = await T.nonzeroAsync(gx);
  assert.equal(nz.backend.name, "webgpu");
  assert.deepEqual(nz.shape, [3, 2]);
  assert.deepEqual([...await nz.data()], [...T.nonzero(x).dataSync()]);
  assert.deepEqual((await T.nonzeroAsync(await T.zeros([2, 3]).to("webgpu"))).shape, [0, 2]);
  assert.deepEqual([...(await T.nonzeroAsync(x)).dataSync()], [0, 1, 1, 0, 1, 2]);
});

Deno.test("indexAsync selects with bool masks on WebGPU, gradients included", async () => {
  const x = T.randn([4, 5], { rng: new T.Generator(0) });
  const mask = x.gt(0.2);
  const cpu = T.index(x, [mask]);
  const gx = (await x.to("webgpu")).requiresGrad_();
  const sel = await T.indexAsync(gx, [await mask.to("webgpu")]);
  assertClose(await sel.data(), cpu.dataSync(), { atol: 0, rtol: 0 });
  const [g] = gradients(sel.square().sum(), [gx]);
  const expected = T.where(mask, x.mul(2), T.zerosLike(x));
  assertClose(await g.data(), expected.dataSync(), { atol: 1e-6, rtol: 1e-6 });
  // A row mask on the first axis, then a slice on the second.
  const rows = await T.tensor([true, false, true, true]).to("webgpu");
  const r = await T.indexAsync(gx, [rows, [1, 4, 2]]);
  assertClose(
    await r.data(),
    T.index(x, [T.tensor([true, false, true, true]), [1, 4, 2]]).dataSync(),
    {
      atol: 0,
      rtol: 0,
    },
  );
  const short = await T.tensor([true, false]).to("webgpu");
  await assert.rejects(
    () => T.indexAsync(gx, [short]),
    {
      message:
        "Cannot index [4, 5] with a bool mask [2] at axis 0 in indexAsync(): the mask must match [4]",
    },
  );
});
