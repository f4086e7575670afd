// The WebGPU matmul against the CPU: tile edges (sizes that are not
// multiples of the 64×64 tile or of the 16-deep slices), exact multiples (the
// shader without bounds checks), transposed views read through their strides,
// broadcast and sliced batches, the split-k path for matrix-vector products
// and small outputs, k = 0, empty outputs, long k (split into dispatches),
// grids past the per-dimension limit (with the limits lowered), gradients,
// and no leaked buffers.
import * as T from "@dendrite/tensor";
import { assertClose } from "@dendrite/tensor/testing";
import { matmulLimits } from "./kernels_matmul.ts";

await T.initWebGPU({ allowSoftware: true });

const tol = { atol: 1e-3, rtol: 1e-3 };

/** Asserts matmul(a, b) on WebGPU agrees with the CPU (a and b are CPU tensors, maybe views). */
async function check(a: T.Tensor, b: T.Tensor, opts = tol): Promise<void> {
  const want = T.matmul(a, b);
  const got = T.matmul(await a.to("webgpu"), await b.to("webgpu"));
  if (got.shape.join() !== want.shape.join()) {
    throw new Error(`shape ${got.shape} != ${want.shape}`);
  }
  assertClose(await got.data(), want.dataSync(), opts);
}

/** Like `check`, with both operands moved first and viewed on the device. */
async function checkViews(
  a: T.Tensor,
  b: T.Tensor,
  view: (x: T.Tensor, y: T.Tensor) => [T.Tensor, T.Tensor],
  opts = tol,
): Promise<void> {
  const [ac, bc] = view(a, b);
  const [ag, bg] = view(await a.to("webgpu"), await b.to("webgpu"));
  assertClose(await T.matmul(ag, bg).data(), T.matmul(ac, bc).dataSync(), opts);
}

Deno.test("WebGPU matmul agrees with the CPU on sizes that are not multiples of the tile", async () => {
  const g = new T.Generator(0);
  const sizes = [1, 3, 17, 63, 64, 65, 130];
  for (const m of sizes) {
    for (const n of sizes) {
      for (const k of [1, 17, 64, 130]) {
        await check(T.randn([m, k], { rng: g }), T.randn([k, n], { rng: g }));
      }
    }
  }
});

Deno.test("WebGPU matmul agrees with the CPU on exact multiples of the tile", async () => {
  const g = new T.Generator(1);
  const shapes = [[64, 64, 64], [128, 64, 192], [64, 48, 128], [192, 16, 64], [256, 32, 64], [
    320,
    16,
    64,
  ]];
  for (const [m, k, n] of shapes) {
    const a = T.randn([m, k], { rng: g }), b = T.randn([k, n], { rng: g });
    await check(a, b);
    // The same through transposed views (vec4 loads along the other axis).
    const at = T.randn([k, m], { rng: g }), bt = T.randn([n, k], { rng: g });
    await checkViews(at, bt, (x, y) => [x.transpose(-1, -2), y.transpose(-1, -2)]);
  }
});

Deno.test("WebGPU matmul with 128-row tiles (m >= 256) agrees with the CPU at the edges", async () => {
  const g = new T.Generator(10);
  for (const [m, k, n] of [[257, 17, 65], [300, 64, 3], [383, 33, 130]]) {
    await check(T.randn([m, k], { rng: g }), T.randn([k, n], { rng: g }));
    const at = T.randn([k, m], { rng: g }), bt = T.randn([n, k], { rng: g });
    await checkViews(at, bt, (x, y) => [x.transpose(-1, -2), y.transpose(-1, -2)]);
  }
  const at = T.randn([2, 40, 260], { rng: g }), b = T.randn([40, 68], { rng: g });
  await checkViews(at, b, (x, y) => [x.transpose(-1, -2), y]);
  await checkViews(at, b, (x, y) => [x.slice("::2, 1:, 2:").transpose(-1, -2), y.slice("1:, :")]);
});

Deno.test("WebGPU matmul reads transposed and strided operands through their strides", async () => {
  const g = new T.Generator(2);
  for (const [m, k, n] of [[3, 5, 7], [17, 63, 65], [65, 130, 64], [64, 64, 64], [130, 17, 3]]) {
    const at = T.randn([k, m], { rng: g }), bt = T.randn([n, k], { rng: g });
    const a = T.randn([m, k], { rng: g }), b = T.randn([k, n], { rng: g });
    await checkViews(at, b, (x, y) => [x.transpose(-1, -2), y]);
    await checkViews(a, bt, (x, y) => [x, y.transpose(-1, -2)]);
    await checkViews(at, bt, (x, y) => [x.transpose(-1, -2), y.transpose(-1, -2)]);
    // Every other column and row: neither stride is 1.
    const a2 = T.randn([m * 2, k * 2], { rng: g }), b2 = T.randn([k * 2, n * 2], { rng: g });
    await checkViews(a2, b2, (x, y) => [x.slice("::2, ::2"), y.slice("::2, 1::2")]);
  }
});

Deno.test("WebGPU matmul broadcasts batch axes and reads sliced batches at offsets", async () => {
  const g = new T.Generator(3);
  for (const [m, k, n] of [[17, 9, 33], [64, 32, 64], [1, 40, 5], [5, 40, 1], [2, 3, 2]]) {
    await check(T.randn([2, 1, m, k], { rng: g }), T.randn([3, k, n], { rng: g }));
    await check(T.randn([m, k], { rng: g }), T.randn([4, k, n], { rng: g }));
    await check(T.randn([2, 3, m, k], { rng: g }), T.randn([k, n], { rng: g }));
    // Slices: offsets that are and are not multiples of 4, batch strides of both kinds.
    const a = T.randn([5, m + 3, k + 4], { rng: g }), b = T.randn([4, k + 5, n + 4], { rng: g });
    await checkViews(
      a,
      b,
      (x, y) => [x.slice([[1, 4], [3, m + 3], [4, k + 4]]), y.slice([[0, 3], [1, k + 1], [0, n]])],
    );
    await checkViews(
      a,
      b,
      (
        x,
        y,
      ) => [x.slice([[2, 5], [1, m + 1], [1, k + 1]]), y.slice([[1, 4], [5, k + 5], [3, n + 3]])],
    );
    await checkViews(a, b, (x, y) => [
      x.slice([[0, 3], [0, m], [0, k]]).permute([0, 2, 1]).transpose(-1, -2),
      y.slice([[0, 3], [0, k], [4, n + 4]]),
    ]);
  }
  // Several batch axes that cannot be merged (permuted batch axes).
  const a = T.randn([3, 2, 4, 6, 5], { rng: g }), b = T.randn([2, 3, 4, 5, 7], { rng: g });
  await checkViews(a, b, (x, y) => [x.permute([1, 0, 2, 3, 4]), y]);
});

Deno.test("WebGPU matmul of matrices and vectors (split-k path) agrees with the CPU", async () => {
  const g = new T.Generator(4);
  const k = 5000;
  const A = T.randn([37, k], { rng: g }), v = T.randn([k], { rng: g });
  const Bm = T.randn([k, 45], { rng: g });
  await check(A, v); // 1-D right operand: n = 1
  await check(v, Bm); // 1-D left operand: m = 1
  await check(v, v); // dot product
  await check(T.randn([1, k], { rng: g }), Bm);
  await check(A, T.randn([k, 1], { rng: g }));
  await checkViews(T.randn([k, 37], { rng: g }), v, (x, y) => [x.transpose(-1, -2), y]);
  await checkViews(v, T.randn([45, k], { rng: g }), (x, y) => [x, y.transpose(-1, -2)]);
  await checkViews(A, v, (x, y) => [x.slice("::2, 1::2"), y.slice("::2")]);
  // Contiguous along k but not aligned to 4 (scalar loads), and batched (vec4 loads).
  const A1 = T.randn([9, k + 1], { rng: g }), v1 = T.randn([k + 1], { rng: g });
  await checkViews(A1, v1, (x, y) => [x.slice(":, 1:"), y.slice("1:")]);
  await checkViews(A1, v1, (x, y) => [x.slice(":, :-1"), y.slice(":-1")]);
  await check(T.randn([3, 5, 4 * 300], { rng: g }), T.randn([3, 4 * 300, 1], { rng: g }));
  // Many outputs (fewer lanes each), small k, and small outputs with a long k.
  await check(T.randn([300, 70], { rng: g }), T.randn([70], { rng: g }));
  await check(T.randn([70], { rng: g }), T.randn([70, 300], { rng: g }));
  await check(T.randn([300, 3], { rng: g }), T.randn([3, 1], { rng: g }));
  await check(T.randn([8, 3000], { rng: g }), T.randn([3000, 16], { rng: g }));
  await check(T.randn([6, 2, 3, 40], { rng: g }), T.randn([6, 1, 40, 5], { rng: g }));
});

Deno.test("WebGPU matmul with k = 0 gives zeros and empty operands give empty results", async () => {
  const a = await T.zeros([3, 0]).to("webgpu"), b = await T.zeros([0, 4]).to("webgpu");
  const y = T.matmul(a, b);
  assertClose(await y.data(), T.matmul(T.zeros([3, 0]), T.zeros([0, 4])).dataSync());
  assertClose(await y.data(), new Float32Array(12));
  assertClose(
    await T.matmul(await T.zeros([130, 0]).to("webgpu"), b).data(),
    new Float32Array(520),
  );
  for (
    const [as, bs] of [[[0, 5], [5, 4]], [[3, 5], [5, 0]], [[0, 2, 5], [0, 5, 3]], [[0], [0, 3]]]
  ) {
    const r = T.matmul(await T.ones(as).to("webgpu"), await T.ones(bs).to("webgpu"));
    const want = T.matmul(T.ones(as), T.ones(bs));
    if (r.shape.join() !== want.shape.join()) throw new Error(`shape ${r.shape}`);
    assertClose(await r.data(), want.dataSync());
  }
});

Deno.test("WebGPU matmul splits a long k across dispatches", async () => {
  const g = new T.Generator(5);
  // The tiled GEMM runs k in chunks of 8,192; the split-k path in chunks of lanes · 4,096.
  await check(T.randn([65, 8200], { rng: g }), T.randn([8200, 66], { rng: g }), {
    atol: 2e-2,
    rtol: 1e-3,
  });
  const n = 1_100_000;
  const x = T.randn([n], { rng: g }), y = T.randn([n], { rng: g });
  await check(x, y, { atol: 2e-2, rtol: 1e-3 });
});

Deno.test("WebGPU matmul folds large grids into x and y and splits them across dispatches", async () => {
  // Lowered limits reach the same logic as grids past 65,535 workgroups and
  // k past 16,384 on small shapes.
  const saved = { ...matmulLimits };
  const g = new T.Generator(6);
  try {
    for (const [grid, gemmKChunk, reduceSteps] of [[3, 8192, 4096], [2, 32, 4], [1, 16, 1]]) {
      Object.assign(matmulLimits, { grid, gemmKChunk, reduceSteps });
      await check(T.randn([3, 65, 40], { rng: g }), T.randn([3, 40, 66], { rng: g }));
      await check(T.randn([128, 64], { rng: g }), T.randn([64, 64], { rng: g }));
      await check(T.randn([256, 48], { rng: g }), T.randn([48, 65], { rng: g }));
      await check(T.randn([300, 70], { rng: g }), T.randn([70], { rng: g }));
      await check(T.randn([300, 72], { rng: g }), T.randn([72], { rng: g }));
      await check(T.randn([2000], { rng: g }), T.randn([2000], { rng: g }));
      await check(T.randn([70], { rng: g }), T.randn([70, 300], { rng: g }));
      await check(T.randn([5, 7, 9], { rng: g }), T.randn([5, 9, 3], { rng: g }));
      await checkViews(
        T.randn([2, 40, 65], { rng: g }),
        T.randn([2, 66, 40], { rng: g }),
        (x, y) => [x.transpose(-1, -2), y.transpose(-1, -2)],
      );
    }
  } finally {
    Object.assign(matmulLimits, saved);
  }
});

Deno.test("WebGPU matmul gradients agree with the CPU", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const g = new T.Generator(7);
  const cases: [number[], number[]][] = [
    [[17, 65], [65, 33]],
    [[64, 64], [64, 128]],
    [[2, 1, 9, 20], [3, 20, 7]],
    [[40], [40, 70]],
    [[70, 300], [300]],
  ];
  for (const [as, bs] of cases) {
    const a = T.randn(as, { rng: g }), b = T.randn(bs, { rng: g });
    const run = async (backend: string) => {
      const ab = (await a.to(backend)).requiresGrad_();
      const bb = (await b.to(backend)).requiresGrad_();
      const y = T.matmul(ab, bb);
      const up = await T.randn(y.shape, { rng: new T.Generator(8) }).to(backend);
      const [ga, gb] = gradients(y, [ab, bb], { gradOutputs: [up] });
      return [await ga.data(), await gb.data()];
    };
    const [gpuA, gpuB] = await run("webgpu"), [cpuA, cpuB] = await run("cpu");
    assertClose(gpuA, cpuA, tol);
    assertClose(gpuB, cpuB, tol);
  }
});

Deno.test("WebGPU matmul leaks no buffers", async () => {
  const g = new T.Generator(9);
  const a = await T.randn([3, 70, 40], { rng: g }).to("webgpu");
  const b = await T.randn([40, 66], { rng: g }).to("webgpu");
  const v = await T.randn([40], { rng: g }).to("webgpu");
  // tidy() disposes the views and the unsqueezed results of 1-D operands.
  const step = async () => {
    const ys = T.tidy(() => [
      T.matmul(a, b),
      T.matmul(a.slice("1:, ::2, :").transpose(-1, -2).transpose(-1, -2), b.slice(":, 1::2")),
      T.matmul(b.transpose(-1, -2), a.transpose(-1, -2).slice("0")),
      T.matmul(a, v),
      T.matmul(v, b),
    ]);
    for (const y of ys) {
      await y.data();
      y.dispose();
    }
  };
  await step();
  const before = T.webgpuBackend()!.memory(), tensors = T.memory("webgpu").tensors;
  for (let i = 0; i < 3; i++) await step();
  const after = T.webgpuBackend()!.memory();
  assertClose([after.buffers, after.bytes, T.memory("webgpu").tensors], [
    before.buffers,
    before.bytes,
    tensors,
  ], { atol: 0, rtol: 0 });
});

Deno.test("linear's fused bias and activation agree with the CPU on every WebGPU matmul path", async () => {
  const g = new T.Generator(21);
  const { matmulLimits } = await import("./kernels_matmul.ts");
  const saved = matmulLimits.gemmKChunk;
  // [m, n, k, activation, bias, k per GEMM dispatch]; each shader variant
  // compiles for seconds on llvmpipe, so the cases cover each path once.
  const cases: [number, number, number, T.FusedActivation | undefined, boolean, number][] = [
    [64, 64, 64, "relu", true, saved], // no-bounds GEMM, vec4 output
    [33, 17, 10, "sigmoid", true, saved], // bounds-checked GEMM, scalar output
    [33, 17, 40, "tanh", false, 16], // k split across dispatches: epilogue on the last
    [1, 300, 40, "relu", true, saved], // split-k reduction (one row)
    [5, 3, 2000, "tanh", true, saved], // split-k reduction over a long k
    [4, 6, 0, "relu", true, saved], // k = 0: the bias alone
    [9, 20, 30, undefined, true, saved], // bias without activation
  ];
  try {
    for (const [m, n, k, activation, bias, chunk] of cases) {
      matmulLimits.gemmKChunk = chunk;
      const x = T.randn([m, k], { rng: g }), w = T.randn([n, k], { rng: g });
      const b = T.randn([n], { rng: g });
      const [xg, wg, bg] = await Promise.all([x.to("webgpu"), w.to("webgpu"), b.to("webgpu")]);
      const gpu = T.linear(xg, wg, bias ? bg : undefined, { activation });
      const cpu = T.linear(x, w, bias ? b : undefined, { activation });
      assertClose(await gpu.data(), cpu.dataSync(), { atol: 1e-4, rtol: 1e-4 });
      gpu.dispose();
    }
  } finally {
    matmulLimits.gemmKChunk = saved;
  }
});
