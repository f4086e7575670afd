// The WebGPU backend against the CPU backend on this machine's adapter
// (Mesa llvmpipe here, a real GPU where one exists), on small shapes.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import { assertClose, assertThrowsMessage } from "@dendrite/tensor/testing";

const info = await T.initWebGPU({ allowSoftware: true });

/** Runs `fn` on both backends with the same inputs and compares the outputs. */
async function agree(
  name: string,
  inputs: T.Tensor[],
  fn: (...xs: T.Tensor[]) => T.Tensor,
  tol = { atol: 1e-5, rtol: 1e-4 },
) {
  const cpu = fn(...inputs);
  const moved = await Promise.all(inputs.map(async (t) => {
    const g = await t.to("webgpu");
    return t.requiresGrad ? g.requiresGrad_() : g;
  }));
  const gpu = fn(...moved);
  assert.equal(gpu.backend.name, "webgpu", name);
  assert.equal(gpu.dtype, cpu.dtype, name);
  assert.deepEqual(gpu.shape, cpu.shape, name);
  assertClose(await gpu.data(), cpu.dataSync(), tol);
  return { cpu, gpu, moved };
}

Deno.test("initWebGPU describes the adapter and its limits", () => {
  assert.equal(typeof info.software, "boolean");
  assert.ok(info.limits.maxStorageBuffersPerShaderStage >= 8);
  assert.ok(info.limits.maxComputeInvocationsPerWorkgroup >= 256);
  assert.ok(T.listBackends().includes("webgpu"));
});

Deno.test("elementwise ops agree with the CPU backend, with broadcasting and strided views [webgpu]", async () => {
  const g = new T.Generator(1);
  const a = T.randn([3, 4, 5], { rng: g }), b = T.randn([4, 1], { rng: g });
  await agree("add", [a, b], (x, y) => x.add(y));
  await agree("mul transposed", [a, b], (x, y) => x.transpose(0, 2).mul(y));
  await agree("sub scalar", [a], (x) => x.sub(2).rsub(1));
  await agree("div pow", [a, b], (x, y) => x.abs().add(0.5).pow(y).div(y.abs().add(1)));
  await agree("unary", [a], (x) => T.tanh(T.sigmoid(x)).exp().log().sqrt());
  await agree(
    "relu gelu",
    [a],
    (x) => T.gelu(T.relu(x)).add(T.leakyRelu(x, { negativeSlope: 0.2 })),
    { atol: 2e-4, rtol: 1e-3 },
  );
  await agree("compare", [a, b], (x, y) => x.gt(y).logicalAnd(x.lt(1)));
  await agree("where", [a, b], (x, y) => T.where(x.gt(0), x, y));
  await agree("int32", [T.arange(12).reshape([3, 4])], (x) => x.mul(3).add(1));
  await agree("slice flip", [a], (x) => x.slice("1:, ::-1, ::2").contiguous());
  await agree("cast", [a], (x) => x.cast("int32"));
});

Deno.test("reductions, softmax and matmul agree with the CPU backend [webgpu]", async () => {
  const g = new T.Generator(2);
  const a = T.randn([4, 5, 6], { rng: g }), m = T.randn([6, 7], { rng: g });
  await agree("sum", [a], (x) => x.sum([0, 2]));
  await agree("mean keep", [a], (x) => x.mean(1, { keepDim: true }));
  await agree("max", [a], (x) => x.max(-1));
  await agree("argmax", [a], (x) => x.argmax(1));
  await agree("prod", [a], (x) => x.prod(0));
  await agree("softmax", [a], (x) => T.softmax(x, 1));
  await agree("logSoftmax", [a], (x) => T.logSoftmax(x, -1));
  await agree("matmul batched", [a, m], (x, y) => T.matmul(x, y), { atol: 1e-4, rtol: 1e-4 });
  await agree("matmul transposed", [m], (y) => T.matmul(y.transpose(), y), {
    atol: 1e-4,
    rtol: 1e-4,
  });
  await agree("linear", [a, m], (x, w) => T.linear(x, w.transpose()), { atol: 1e-4, rtol: 1e-4 });
});

Deno.test("gradients on WebGPU equal the CPU gradients [webgpu]", async () => {
  const g = new T.Generator(3);
  const x = T.randn([5, 6], { rng: g, requiresGrad: true }),
    w = T.randn([6, 3], { rng: g, requiresGrad: true });
  const f = (x: T.Tensor, w: T.Tensor) =>
    T.softmax(T.matmul(x, w).tanh(), 1).mul(x.slice(":, :3")).sum();
  const cpu = gradients(f(x, w), [x, w]);
  const xg = (await x.to("webgpu")).requiresGrad_(), wg = (await w.to("webgpu")).requiresGrad_();
  const gpu = gradients(f(xg, wg), [xg, wg]);
  for (let i = 0; i < 2; i++) {
    assertClose(await gpu[i].data(), cpu[i].dataSync(), { atol: 1e-4, rtol: 1e-3 });
  }
});

Deno.test("WebGPU buffers return to the pool and counts return to baseline [webgpu]", async () => {
  const be = T.webgpuBackend()!;
  const x = await T.randn([64, 64]).to("webgpu");
  const before = be.memory();
  for (let i = 0; i < 20; i++) {
    const t = x.mul(2);
    const y = t.add(1);
    const z = y.sum();
    await z.data();
    for (const u of [t, y, z]) u.dispose();
  }
  const after = be.memory();
  assert.equal(after.buffers, before.buffers);
  assert.equal(after.bytes, before.bytes);
});

Deno.test("mixing backends and missing kernels give clear errors [webgpu]", async () => {
  const gpu = await T.ones([2]).to("webgpu");
  assertThrowsMessage(
    () => gpu.add(T.ones([2])),
    T.BackendError,
    'Cannot mix backends in add(): got tensors on "webgpu" and "cpu"; move one with await t.to("webgpu")',
  );
  const x = await T.ones([3, 3]).to("webgpu");
  assertThrowsMessage(
    () => T.runKernel("NoSuchKernel", x.backend, [], {}),
    T.BackendError,
    'Cannot run kernel "NoSuchKernel" on backend "webgpu": no kernel registered (registered on: none)',
  );
});

Deno.test("indexing, joins, scans, convolutions, pooling and batch norm agree with the CPU backend [webgpu]", async () => {
  const g = new T.Generator(4);
  const x = T.randn([2, 3, 6, 5], { rng: g, requiresGrad: true });
  const w = T.randn([4, 3, 3, 2], { rng: g, requiresGrad: true });
  const wg = T.randn([6, 1, 3, 3], { rng: g, requiresGrad: true });
  const wt = T.randn([3, 2, 2, 2], { rng: g, requiresGrad: true });
  const tol = { atol: 1e-4, rtol: 1e-3 };
  const check = async (name: string, inputs: T.Tensor[], fn: (...xs: T.Tensor[]) => T.Tensor) => {
    const { cpu, gpu, moved } = await agree(name, inputs, fn, tol);
    const diff = inputs.filter((t) => t.requiresGrad);
    if (cpu.dtype !== "float32" || diff.length === 0) return;
    const r = T.randn(cpu.shape, { rng: new T.Generator(9) });
    const gc = gradients(cpu.mul(r).sum(), diff, { allowUnused: true });
    const rg = await r.to("webgpu");
    const gg = gradients(gpu.mul(rg).sum(), moved.filter((t) => t.requiresGrad), {
      allowUnused: true,
    });
    for (let i = 0; i < gc.length; i++) assertClose(await gg[i].data(), gc[i].dataSync(), tol);
  };
  const idx = T.tensor(new Int32Array([2, 0, 1, 1, 2, 0]), { shape: [2, 3] });
  await check(
    "gather",
    [T.randn([2, 4], { rng: g, requiresGrad: true }), idx],
    (a, i) => T.gather(a, 1, i),
  );
  await check("indexSelect", [
    T.randn([4, 3], { rng: g, requiresGrad: true }),
    T.tensor(new Int32Array([3, 0, 3])),
  ], (a, i) => T.indexSelect(a, 0, i));
  await check("cat", [x, x.detach().mul(2)], (a, b) => T.cat([a, b], 1));
  await check("cumsum", [x], (a) => T.cumsum(a, 2));
  await check(
    "conv2d",
    [x, w],
    (a, b) => T.conv2d(a, b, { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }),
  );
  await check("conv2d depthwise", [x, wg], (a, b) => T.conv2d(a, b, { padding: 1, groups: 3 }));
  await check(
    "convTranspose2d",
    [x, wt],
    (a, b) => T.convTranspose2d(a, b, { stride: 2, padding: 1 }),
  );
  await check("maxPool2d", [x], (a) => T.maxPool2d(a, 2, { stride: 1, padding: 1 }));
  await check(
    "avgPool2d",
    [x],
    (a) => T.avgPool2d(a, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  );
  await check("adaptiveAvgPool2d", [x], (a) => T.adaptiveAvgPool2d(a, [4, 3]));
  const bw = T.randn([3], { rng: g, requiresGrad: true }),
    bb = T.randn([3], { rng: g, requiresGrad: true });
  await check(
    "batchNorm",
    [x, bw, bb],
    (a, ww, b) => T.batchNorm(a, null, null, ww, b, { training: true }),
  );
  await check(
    "unfold",
    [x],
    (a) => T.unfold(a, [2, 3], { stride: [1, 2], padding: 1, dilation: [2, 1] }),
  );
  await check(
    "fold",
    [T.randn([2, 8, 12], { rng: g, requiresGrad: true })],
    (a) => T.fold(a, [4, 5], [2, 2]),
  );
  await check("prod", [x], (a) => T.prod(a, 3));
  await check("cumprod", [x], (a) => T.cumprod(a, 1));
  await check("median", [x], (a) => T.median(a, 2).values);
  const rm = T.randn([3], { rng: g }), rv = T.rand([3], { rng: g }).add(0.5);
  await check(
    "batchNorm eval",
    [x, rm, rv, bw, bb],
    (a, m, v, ww, b) => T.batchNorm(a, m, v, ww, b, { training: false }),
  );
});

Deno.test("randomized agreement: random shapes, broadcasting, size-1 axes and strided views [webgpu]", async () => {
  const g = new T.Generator(21);
  const rnd = (n: number) => Math.floor(g.nextFloat() * n);
  const unary: ((x: T.Tensor) => T.Tensor)[] = [
    T.exp,
    T.tanh,
    T.sigmoid,
    T.relu,
    T.abs,
    (x) => x.square(),
    T.neg,
    T.sin,
  ];
  const binary: ((a: T.Tensor, b: T.Tensor) => T.Tensor)[] = [
    T.add,
    T.sub,
    T.mul,
    T.maximum,
    T.minimum,
    (a, b) => a.gt(b),
  ];
  for (let trial = 0; trial < 25; trial++) {
    const nd = 1 + rnd(4);
    const shape = Array.from({ length: nd }, () => 1 + rnd(5));
    const bshape = shape.map((d) => (g.nextFloat() < 0.3 ? 1 : d)).slice(rnd(nd));
    const a = T.randn(shape, { rng: g }), b = T.randn(bshape, { rng: g });
    const f = unary[rnd(unary.length)], h = binary[rnd(binary.length)];
    const axis = rnd(nd);
    await agree(`trial ${trial}`, [a, b], (x, y) => {
      const v = nd > 1 ? x.transpose(0, nd - 1) : x.flip(0);
      const w = nd > 1 ? v.transpose(0, nd - 1) : v.flip(0);
      return h(f(w), y).cast("float32").sum(axis, { keepDim: trial % 2 === 0 });
    }, { atol: 1e-4, rtol: 1e-4 });
  }
});

Deno.test("initBackend picks WebGPU only for a real GPU, and backendInfo names the adapter [webgpu]", async () => {
  const name = await T.initBackend();
  assert.equal(name, info.software ? "cpu" : "webgpu");
  assert.match(T.backendInfo(), /^(cpu|webgpu): /);
  T.setBackend("webgpu");
  assert.match(T.backendInfo(), /^webgpu: /);
  T.setBackend("cpu");
});

Deno.test("maxPool2d 2x2 indices agree with the CPU on ties and NaNs", async () => {
  // Every window of four values drawn from {0, 1, NaN}, side by side.
  const vals = [0, 1, NaN];
  const win = Array.from(
    { length: 81 },
    (_, q) => [0, 1, 2, 3].map((k) => vals[Math.floor(q / 3 ** k) % 3]),
  );
  const rows = [0, 1].map((r) => win.flatMap((w) => [w[2 * r], w[2 * r + 1]]));
  await agree(
    "maxPool2dWithIndices",
    [T.tensor([[rows]])],
    (a) => T.maxPool2dWithIndices(a, 2).indices,
  );
});

Deno.test("where() with two numbers stays on the condition's backend", async () => {
  // The numbers used to become tensors on the current backend (the CPU here),
  // so where(mask, 1, 0) on a WebGPU mask threw "Cannot mix backends".
  const mask = await T.tensor([true, false, true]).to("webgpu");
  const y = T.where(mask, 1, 0.5);
  assert.equal(y.backend.name, "webgpu");
  assert.deepEqual([...await y.data()], [1, 0.5, 1]);
});

Deno.test("oneHot with numClasses runs on WebGPU without reading the indices", async () => {
  const i = await T.tensor(new Int32Array([2, 0, 1, 7])).to("webgpu");
  const y = T.oneHot(i, 3);
  assert.equal(y.backend.name, "webgpu");
  // An index out of range gives zeros (the CPU throws; this backend cannot check).
  assert.deepEqual([...await y.data()], [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
  assertThrowsMessage(
    () => T.oneHot(i),
    T.BackendError,
    'Cannot run oneHot() on backend "webgpu" without numClasses: inferring it needs the values, which that backend cannot read synchronously',
  );
});

Deno.test("clone on WebGPU copies into new memory", async () => {
  const x = await T.tensor([1, 2, 3]).to("webgpu");
  const y = x.clone();
  T.add_(x, 1);
  assert.equal(y.backend.name, "webgpu");
  assert.deepEqual([...await y.data()], [1, 2, 3]);
  assert.deepEqual([...await x.data()], [2, 3, 4]);
});

Deno.test("bincount on WebGPU needs minlength and counts only values below it", async () => {
  const x = await T.tensor(new Int32Array([1, 3, 1, 9])).to("webgpu");
  const c = T.bincount(x, { minlength: 5 });
  assert.equal(c.dtype, "int32");
  assert.deepEqual([...await c.data()], [0, 2, 0, 1, 0]);
  assertThrowsMessage(
    () => T.bincount(x),
    T.BackendError,
    'Cannot run bincount() on backend "webgpu" without minlength: the length would depend on the values, which that backend cannot read synchronously',
  );
  assertThrowsMessage(
    () => T.bincount(T.tensor(new Int32Array([1, -2]))),
    RangeError,
    "Cannot apply bincount() to value -2: expected non-negative integers",
  );
});

Deno.test("unique needs a tensor it can read: WebGPU says to move it", async () => {
  const x = await T.tensor([1, 2]).to("webgpu");
  assertThrowsMessage(
    () => T.unique(x),
    T.BackendError,
    'Cannot run unique() on backend "webgpu": the result\'s size depends on the values, which that backend cannot read synchronously; move the tensor with await t.to("cpu")',
  );
  // NaN values are each distinct and sort last.
  const { values, counts } = T.unique(T.tensor([NaN, 1, NaN, 1]));
  assert.deepEqual([...values.dataSync()], [1, NaN, NaN]);
  assert.deepEqual([...counts.dataSync()], [2, 1, 1]);
});

Deno.test("rrelu and gumbelSoftmax on WebGPU draw the CPU's numbers, gradients included", async () => {
  const x = T.randn([4, 6], { rng: new T.Generator(2) });
  for (const training of [false, true]) {
    await agree("rrelu", [x], (x) => T.rrelu(x, { training, rng: new T.Generator(9) }));
  }
  for (const [hard, axis] of [[false, -1], [true, -1], [true, 0]] as const) {
    const lx = x.detach().requiresGrad_();
    const { gpu, moved } = await agree(
      `gumbelSoftmax hard ${hard} axis ${axis}`,
      [lx],
      (l) => T.gumbelSoftmax(l, { tau: 0.5, hard, axis, rng: new T.Generator(4) }),
    );
    const w = T.randn(x.shape, { rng: new T.Generator(1) });
    T.gumbelSoftmax(lx, { tau: 0.5, hard, axis, rng: new T.Generator(4) }).mul(w).sum().backward();
    gpu.mul(await w.to("webgpu")).sum().backward();
    assertClose(await moved[0].grad!.data(), lx.grad!.dataSync(), { atol: 1e-5, rtol: 1e-4 });
  }
});
