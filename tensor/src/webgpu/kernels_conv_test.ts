// The implicit-GEMM WebGPU convolution against the CPU: tile edges (sizes
// that are not multiples of the 64×64 tile or the 16-deep slices), 1×1
// filters, stride, padding, dilation, groups, depthwise and "same".
import * as T from "@dendrite/tensor";
import { assertClose } from "@dendrite/tensor/testing";

await T.initWebGPU({ allowSoftware: true });

Deno.test("WebGPU conv2d (implicit GEMM) agrees with the CPU across geometries", async () => {
  const g = new T.Generator(0);
  const cases: [number[], number[], T.Conv2dOptions][] = [
    [[2, 3, 9, 9], [4, 3, 3, 3], { padding: 1 }],
    [[3, 70, 5, 7], [65, 70, 1, 1], {}],
    [[2, 5, 17, 13], [7, 5, 3, 2], { stride: [2, 1], padding: [1, 2], dilation: [2, 1] }],
    [[2, 8, 11, 11], [12, 2, 3, 3], { groups: 4, padding: 1 }],
    [[2, 6, 10, 10], [6, 1, 3, 3], { groups: 6, padding: 1, stride: 2 }],
    [[8, 32, 14, 14], [64, 32, 3, 3], { padding: 1 }],
    [[1, 3, 8, 8], [2, 3, 4, 4], { padding: "same" }],
  ];
  for (const [xs, ws, o] of cases) {
    const x = T.randn(xs, { rng: g }), w = T.randn(ws, { rng: g });
    const gpu = T.conv2d(await x.to("webgpu"), await w.to("webgpu"), o);
    assertClose(await gpu.data(), T.conv2d(x, w, o).dataSync(), { atol: 1e-4, rtol: 1e-4 });
  }
});

Deno.test("WebGPU conv input gradients and convTranspose2d (implicit GEMM) agree with the CPU", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const g = new T.Generator(1);
  const cases: [number[], number[], T.Conv2dOptions][] = [
    [[2, 3, 9, 9], [4, 3, 3, 3], { padding: 1 }],
    [[2, 5, 17, 13], [7, 5, 3, 2], { stride: [2, 3], padding: [1, 2], dilation: [2, 1] }],
    [[2, 8, 11, 11], [12, 2, 3, 3], { groups: 4, padding: 1, stride: 2 }],
    [[3, 70, 5, 7], [65, 70, 1, 1], {}],
  ];
  for (const [xs, ws, o] of cases) {
    const x = T.randn(xs, { rng: g }), w = T.randn(ws, { rng: g });
    const run = async (backend: string) => {
      const xb = (await x.to(backend)).requiresGrad_();
      const y = T.conv2d(xb, await w.to(backend), o);
      const up = await T.randn(y.shape, { rng: new T.Generator(2) }).to(backend);
      return await gradients(y, [xb], { gradOutputs: [up] })[0].data();
    };
    assertClose(await run("webgpu"), await run("cpu"), { atol: 1e-4, rtol: 1e-4 });
  }
  const x = T.randn([2, 6, 5, 7], { rng: g }), w = T.randn([6, 2, 3, 3], { rng: g });
  const opts = { stride: 2, padding: 1, outputPadding: 1, groups: 2 } as const;
  const gpu = T.convTranspose2d(await x.to("webgpu"), await w.to("webgpu"), opts);
  assertClose(await gpu.data(), T.convTranspose2d(x, w, opts).dataSync(), {
    atol: 1e-4,
    rtol: 1e-4,
  });
});

Deno.test("WebGPU conv, batch norm, pooling, indexing and reductions free the copies they make of strided inputs", async () => {
  const g = new T.Generator(3);
  const x = await T.randn([2, 4, 6, 6], { rng: g }).to("webgpu");
  const w = await T.randn([3, 4, 3, 3], { rng: g }).to("webgpu");
  const b = await T.randn([3], { rng: g }).to("webgpu");
  const idx = await T.tensor(new Int32Array([1, 0])).to("webgpu");
  const step = () =>
    T.tidy(() => {
      const xt = x.permute([0, 1, 3, 2]); // a strided view: the kernels copy it
      const y = T.conv2d(xt, w.flip([3]), { bias: b, padding: 1 });
      const z = T.batchNorm(xt, null, null, null, null, { training: true });
      const m = T.maxPool2d(xt, 2).sum().add(
        T.indexSelect(xt, 2, idx).sum(),
      );
      return T.add(y.sum(), z.softmax(1).sum()).add(m);
    });
  (await step()).dispose();
  const before = T.memory("webgpu");
  for (let i = 0; i < 3; i++) (await step()).dispose();
  const after = T.memory("webgpu");
  assertClose([after.tensors, after.buffers, after.bytes], [
    before.tensors,
    before.buffers,
    before.bytes,
  ], { atol: 0, rtol: 0 });
});

Deno.test("WebGPU conv weight gradients (split-K implicit GEMM) agree with the CPU", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const g = new T.Generator(4);
  const cases: [number[], number[], T.Conv2dOptions][] = [
    [[2, 3, 9, 9], [4, 3, 3, 3], { padding: 1 }], // one split
    [[16, 32, 14, 14], [64, 32, 3, 3], { padding: 1 }], // K = 3136 split over workgroups
    [[2, 5, 17, 13], [7, 5, 3, 2], { stride: [2, 3], padding: [1, 2], dilation: [2, 1] }],
    [[2, 8, 11, 11], [12, 2, 3, 3], { groups: 4, padding: 1, stride: 2 }],
    [[3, 70, 5, 7], [65, 70, 1, 1], {}], // tile edges on both sides
    [[2, 6, 10, 10], [6, 1, 3, 3], { groups: 6, padding: 1 }], // depthwise
  ];
  for (const [xs, ws, o] of cases) {
    const x = T.randn(xs, { rng: g }), w = T.randn(ws, { rng: g });
    const up = T.randn(T.conv2d(x, w, o).shape, { rng: g });
    const run = async (backend: string) => {
      const wb = (await w.to(backend)).requiresGrad_();
      const y = T.conv2d(await x.to(backend), wb, o);
      return await gradients(y, [wb], { gradOutputs: [await up.to(backend)] })[0].data();
    };
    assertClose(await run("webgpu"), await run("cpu"), { atol: 1e-3, rtol: 1e-4 });
  }
});

Deno.test("WebGPU conv2d's fused bias and activation agree with the CPU, gradients included", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const g = new T.Generator(5);
  const x = T.randn([2, 3, 7, 6], { rng: g }), w = T.randn([5, 3, 3, 3], { rng: g });
  const b = T.randn([5], { rng: g }), up = T.randn([2, 5, 7, 6], { rng: g });
  // Each variant compiles for many seconds on llvmpipe: two cover bias/no bias and two activations.
  for (const [activation, bias] of [["relu", true], ["tanh", false]] as const) {
    const run = async (backend: string) => {
      const xb = (await x.to(backend)).requiresGrad_(), wb = (await w.to(backend)).requiresGrad_();
      const y = T.conv2d(xb, wb, {
        padding: 1,
        bias: bias ? await b.to(backend) : undefined,
        activation,
      });
      const [gx, gw] = gradients(y, [xb, wb], { gradOutputs: [await up.to(backend)] });
      return [await y.data(), await gx.data(), await gw.data()];
    };
    const [gpu, cpu] = [await run("webgpu"), await run("cpu")];
    for (let i = 0; i < 3; i++) assertClose(gpu[i], cpu[i], { atol: 1e-4, rtol: 1e-4 });
  }
});
