// WebGPU reductions on long axes against the CPU: sums, extremes and
// arg-reductions over more elements than one invocation may loop over on
// llvmpipe (65,535 trips), batch norm over big channels and the convolution's
// weight gradient over many positions. The first kernels looped serially per
// output and returned partial sums past that limit, so a CNN did not learn on
// WebGPU; these shapes are the smallest that caught it.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import { assertClose } from "@dendrite/tensor/testing";

await T.initWebGPU({ allowSoftware: true });

/** Runs `fn` and the gradients of `Σ fn(...) · up` on both backends; compares everything. */
async function agree(
  fn: (...xs: T.Tensor[]) => T.Tensor,
  inputs: T.Tensor[],
  tol = { atol: 1e-4, rtol: 2e-3 },
): Promise<void> {
  const results: (Float32Array | Int32Array | Uint8Array)[][] = [];
  for (const backend of ["cpu", "webgpu"]) {
    const xs = await Promise.all(inputs.map(async (t) => {
      const m = await t.to(backend);
      return t.dtype === "float32" ? m.detach().requiresGrad_() : m;
    }));
    const y = fn(...xs);
    assert.equal(y.backend.name, backend);
    const out = [await y.data()];
    if (y.dtype === "float32") {
      const up = await T.randn(y.shape, { rng: new T.Generator(9) }).to(backend);
      const wrt = xs.filter((x) => x.requiresGrad);
      for (const g of gradients(y, wrt, { gradOutputs: [up] })) out.push(await g.data());
    }
    results.push(out as (Float32Array | Int32Array | Uint8Array)[]);
  }
  const [cpu, gpu] = results;
  assert.equal(gpu.length, cpu.length);
  cpu.forEach((c, i) => assertClose(gpu[i], c, tol));
}

const g = new T.Generator(0);

Deno.test("WebGPU sums, means and extremes agree with the CPU on long axes", async () => {
  for (const n of [1, 255, 257, 70_001, 300_000]) {
    const x = T.randn([n], { rng: g });
    await agree((t) => t.sum(), [x], { atol: 1e-3, rtol: 1e-4 });
    await agree((t) => t.amax(), [x]);
    await agree((t) => t.argmax(), [x]);
    await agree((t) => t.argmin(), [x]);
  }
  const y = T.randn([16, 8, 40, 40], { rng: g });
  await agree((t) => t.sum([0, 2, 3]), [y]);
  await agree((t) => t.mean(1, { keepDim: true }), [y]);
  await agree((t) => t.permute([3, 1, 2, 0]).sum([1, 3]), [y]);
  await agree((t) => t.argmax(1), [y]);
});

Deno.test("WebGPU arg-reductions keep the CPU's NaN and tie rules", async () => {
  const v = T.tensor([1, 5, NaN, 7, NaN, 2]);
  assert.equal(await (await v.to("webgpu")).argmax().item(), 2);
  assert.equal(await (await v.to("webgpu")).argmin().item(), 2);
  assert.ok(Number.isNaN(await (await v.to("webgpu")).amax().item() as number));
  const ties = await T.tensor([1, 3, 3, 0, 3]).to("webgpu");
  assert.equal(await ties.argmax().item(), 1);
  // Ties across chunks of a long reduction: the first index still wins.
  assert.equal(await (await T.ones([150_000]).to("webgpu")).argmax().item(), 0);
  const ints = T.randint(0, 5, [1000], { rng: g });
  assert.equal(await (await ints.to("webgpu")).sum().item(), ints.sum().itemSync());
});

Deno.test("WebGPU batch norm agrees with the CPU on channels of 80,000 elements", async () => {
  const bn = (x: T.Tensor, w: T.Tensor, b: T.Tensor) =>
    T.batchNorm(x, null, null, w, b, { training: true });
  await agree(bn, [
    T.randn([8, 4, 100, 100], { rng: g }),
    T.rand([4], { rng: g }),
    T.randn([4], { rng: g }),
  ]);
});

Deno.test("WebGPU convolution weight gradients agree with the CPU over 73,728 positions", async () => {
  await agree((x, w) => T.conv2d(x, w, { padding: 1 }), [
    T.randn([32, 1, 48, 48], { rng: g }),
    T.randn([4, 1, 3, 3], { rng: g }),
  ], { atol: 1e-3, rtol: 2e-3 });
  await agree((x, w) => T.conv2d(x, w, { padding: 1, stride: 2, groups: 2 }), [
    T.randn([4, 8, 9, 9], { rng: g }),
    T.randn([6, 4, 3, 3], { rng: g }),
  ]);
});

Deno.test("WebGPU softmax and logSoftmax agree with the CPU on rows of 70,000 and with NaN", async () => {
  const x = T.randn([3, 70_000], { rng: g }).mul(4);
  await agree((t) => t.softmax(1), [x], { atol: 1e-6, rtol: 2e-3 });
  await agree((t) => t.logSoftmax(1), [x], { atol: 1e-4, rtol: 1e-4 });
  await agree((t) => t.softmax(0), [T.randn([5, 300], { rng: g })]);
  const nan = await T.tensor([[1, NaN, 2], [0, 1, 2]]).to("webgpu");
  const s = await nan.softmax(1).data();
  assert.ok([0, 1, 2].every((i) => Number.isNaN(s[i])) && !Number.isNaN(s[3]));
});

Deno.test("WebGPU cumsum and cumprod agree with the CPU along 70,000 elements, both ways", async () => {
  const x = T.rand([2, 70_000], { rng: g });
  await agree((t) => t.cumsum(1), [x], { atol: 1e-2, rtol: 1e-4 });
  await agree((t) => t.flip([1]).cumsum(1).flip([1]), [x], { atol: 1e-2, rtol: 1e-4 });
  await agree((t) => t.cumsum(0), [T.randn([5000, 3], { rng: g })], { atol: 1e-3, rtol: 1e-4 });
  await agree((t) => t.cumprod(1), [T.rand([3, 5000], { rng: g }).mul(0.01).add(0.995)], {
    atol: 1e-4,
    rtol: 1e-3,
  });
  const ints = T.randint(0, 3, [4100], { rng: g });
  assert.deepEqual(
    [...await (await ints.to("webgpu")).cumsum(0).data()],
    [...ints.cumsum(0).dataSync()],
  );
});

Deno.test("WebGPU indexAdd and scatterAdd agree with the CPU for 9,000 source entries (chunked)", async () => {
  const idx = T.randint(-50, 50, [9000], { rng: g });
  await agree(
    (x, s, i) => T.indexAdd(x, 0, i, s),
    [T.randn([50, 3], { rng: g }), T.randn([9000, 3], { rng: g }), idx],
    { atol: 1e-3, rtol: 1e-4 },
  );
  const sidx = T.randint(0, 4, [2, 9000], { rng: g });
  await agree(
    (x, s, i) => T.scatterAdd(x, 1, i, s),
    [T.randn([3, 4], { rng: g }), T.randn([2, 9000], { rng: g }), sidx],
    { atol: 1e-3, rtol: 1e-4 },
  );
  // The embedding gradient sums over every token (here 70,000 of them).
  const tokens = T.randint(0, 20, [70_000], { rng: g });
  await agree((w, t) => T.embedding(t, w), [T.randn([20, 4], { rng: g }), tokens], {
    atol: 1e-2,
    rtol: 1e-4,
  });
});

Deno.test("WebGPU average-pool gradients agree with the CPU (gathered per input element)", async () => {
  const x = T.randn([2, 3, 75, 75], { rng: g });
  await agree((t) => T.avgPool2d(t, 3, { stride: 1, padding: 1 }), [x]);
  await agree((t) => T.avgPool2d(t, 3, { stride: 2, padding: 1, ceilMode: true }), [x]);
  await agree(
    (t) => T.avgPool2d(t, [3, 2], { stride: [2, 3], padding: [1, 0], countIncludePad: false }),
    [x],
  );
  await agree((t) => T.avgPool2d(t, 2, { divisorOverride: 3 }), [x]);
  await agree((t) => T.adaptiveAvgPool2d(t, [7, 5]), [x]);
});

Deno.test("a WebGPU validation error is reported at the next read, not returned as data", async () => {
  const { webgpuBackend } = await import("./backend.ts");
  const b = webgpuBackend()!;
  const x = await T.ones([4]).to("webgpu");
  // The shader's "auto" layout has no binding 1, but the dispatch binds a buffer there.
  b.dispatch(
    `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(1) fn main() { }`,
    new Int32Array([1]),
    [b.allocBuffer(16)],
    1,
  );
  await assert.rejects(
    () => x.data(),
    /^BackendError: WebGPU reported an error for earlier work, whose results are invalid: /,
  );
  assert.deepEqual([...await x.data()], [1, 1, 1, 1]);
});

Deno.test("extremes of infinities are infinities on both backends", async () => {
  // The WebGPU reductions once started from ∓3.4e38, so the max of a row of
  // −∞ came out as −3.4e38 (and a max-pooling window of only padding too).
  const rows = [[-Infinity, -Infinity, -Infinity], [Infinity, Infinity, Infinity]];
  for (const backend of ["cpu", "webgpu"]) {
    const x = await T.tensor(rows).to(backend);
    const r = (t: T.Tensor) => t.data().then((d) => [...d]);
    assert.deepEqual(await r(T.max(x, 1)), [-Infinity, Infinity], backend);
    assert.deepEqual(await r(T.min(x, 1)), [-Infinity, Infinity], backend);
    assert.deepEqual(await r(T.amax(x, 1)), [-Infinity, Infinity], backend);
    assert.deepEqual(await r(T.amin(x, 1)), [-Infinity, Infinity], backend);
    assert.deepEqual(await r(T.max(T.neg(T.abs(x)))), [-Infinity], backend);
    // A window of only padding (dilation 2 skips the one column) is −∞, with
    // index −1 and no gradient.
    const p = (await T.tensor([[[[1], [2]]]]).to(backend)).requiresGrad_();
    const { values, indices } = T.maxPool2dWithIndices(p, [1, 2], {
      padding: [0, 1],
      dilation: [1, 2],
    });
    assert.deepEqual(await r(values), [-Infinity, -Infinity], backend);
    assert.deepEqual(await r(indices), [-1, -1], backend);
    const up = T.onesLike(values).requiresGrad_();
    const [gp] = gradients(values, [p], { gradOutputs: [up], createGraph: true });
    assert.deepEqual(await r(gp), [0, 0], backend);
    // ... also in double backward (the gather of index −1 once read the
    // last element).
    assert.deepEqual(await r(gradients(gp.sum(), [up])[0]), [0, 0], backend);
  }
});

Deno.test("sort on WebGPU orders long rows like the CPU (bitonic network, NaN and ties)", async () => {
  // Rows longer than a workgroup and not powers of two; values with ties and NaN.
  const g = new T.Generator(12);
  for (const [rows, n] of [[3, 700], [2, 1025], [5, 1]]) {
    const r = T.rand([rows, n], { rng: g }).mul(6).floor().dataSync();
    r.forEach((_, i) => (i % 97 === 5 ? (r[i] = NaN) : 0));
    const x = T.tensor(r, { shape: [rows, n] });
    for (const descending of [false, true]) {
      const want = T.argsort(x, -1, { descending }).dataSync();
      const got = await T.argsort(await x.to("webgpu"), -1, { descending }).data();
      assert.deepEqual([...got], [...want], `[${rows}, ${n}] descending=${descending}`);
    }
  }
  const ints = await T.tensor(new Int32Array([5, -3, 5, 0])).to("webgpu");
  assert.deepEqual([...await T.sort(ints).values.data()], [-3, 0, 5, 5]);
});
