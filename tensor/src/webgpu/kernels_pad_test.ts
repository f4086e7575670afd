// The WebGPU "Pad"/"PadGrad" kernels against the CPU: every mode on 1-D to
// 4-D inputs, asymmetric and partial pads, cropping, int32 and bool inputs,
// strided views, gradients (and double backward), long replicate edges, and
// no leaked buffers; plus the max-pool gradient on a large plane.
import * as T from "@dendrite/tensor";
import { assertClose } from "@dendrite/tensor/testing";

await T.initWebGPU({ allowSoftware: true });

const MODES = ["constant", "reflect", "replicate", "circular"] as const;
type PadOptions = { mode?: T.PadMode; value?: number };

/** Inputs and pads that suit every mode (pads smaller than the sizes). */
const CASES: [number[], number[]][] = [
  [[5], [2, 3]],
  [[5], [0, 4]],
  [[4, 6], [1, 2, 3, 0]],
  [[4, 6], [2, 5]],
  [[3, 4, 5], [1, 0, 0, 2, 2, 1]],
  [[3, 4, 5], [0, 0, 3, 1]],
  [[2, 3, 4, 5], [4, 1, 1, 3, 0, 0, 1, 1]],
  [[2, 3, 4, 5], [1, 1, 2, 2, 2, 1]],
  [[1, 2, 1, 3], [0, 2, 0, 0]],
];

async function agree(x: T.Tensor, pads: number[], options: PadOptions = {}): Promise<void> {
  const want = T.pad(x, pads, options);
  const got = T.pad(await x.to("webgpu"), pads, options);
  assertClose(got.shape, want.shape, { atol: 0, rtol: 0 });
  assertClose(await got.data(), want.dataSync(), { atol: 0, rtol: 0 });
}

Deno.test("WebGPU Pad and PadGrad kernels are registered and run directly", async () => {
  assertClose([+T.hasKernel("Pad", "webgpu"), +T.hasKernel("PadGrad", "webgpu")], [1, 1], {
    atol: 0,
    rtol: 0,
  });
  // The kernels themselves (not the cat/indexSelect composite) on a
  // transposed view, against the CPU kernels.
  const gpu = T.webgpuBackend()!;
  const x = T.randn([4, 3], { rng: new T.Generator(11) });
  const xg = await x.to("webgpu");
  for (const mode of ["reflect", "replicate", "circular"] as const) {
    const attrs = { before: [2, 1], after: [1, 2], mode, value: 0 };
    const [want] = T.runKernel("Pad", T.cpuBackend, [x.transpose(0, 1)], attrs);
    const [got] = T.runKernel("Pad", gpu, [xg.transpose(0, 1)], attrs);
    assertClose(await gpu.read(got.storage), await T.cpuBackend.read(want.storage), {
      atol: 0,
      rtol: 0,
    });
    gpu.free(got.storage);
    const dy = T.randn([6, 7], { rng: new T.Generator(12) });
    const dyg = await dy.to("webgpu");
    const gattrs = { inShape: [4, 3], before: [1, 2], after: [2, 1], mode };
    const [gw] = T.runKernel("PadGrad", T.cpuBackend, [dy.transpose(0, 1)], gattrs);
    const [gg] = T.runKernel("PadGrad", gpu, [dyg.transpose(0, 1)], gattrs);
    assertClose(await gpu.read(gg.storage), await T.cpuBackend.read(gw.storage), {
      atol: 1e-6,
      rtol: 1e-6,
    });
    gpu.free(gg.storage);
  }
});

Deno.test("WebGPU pad agrees with the CPU in every mode on 1-D to 4-D inputs", async () => {
  const g = new T.Generator(0);
  for (const [shape, pads] of CASES) {
    const x = T.randn(shape, { rng: g });
    for (const mode of MODES) await agree(x, pads, { mode, value: mode === "constant" ? 1.5 : 0 });
  }
  // Pads as large as circular allows, and a size-1 axis replicated far.
  const x = T.randn([3, 4], { rng: g });
  await agree(x, [4, 4, 3, 3], { mode: "circular" });
  await agree(T.randn([1, 1], { rng: g }), [7, 2, 3, 9], { mode: "replicate" });
  await agree(x, [5, 6, 7, 8], { value: -2 });
  // Rank 5 and rank 8.
  const x5 = T.randn([2, 3, 2, 2, 3], { rng: g });
  for (const mode of MODES) await agree(x5, [1, 2, 0, 1, 1, 0, 2, 1, 1, 1], { mode });
  const x8 = T.randn([1, 2, 1, 2, 1, 2, 1, 2], { rng: g });
  for (const mode of ["constant", "replicate", "circular"] as const) {
    await agree(x8, Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? 1 : 0)), { mode });
  }
  await agree(x8, [1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1], { mode: "reflect" });
});

Deno.test("WebGPU pad crops with negative pads", async () => {
  const x = T.randn([4, 6, 7], { rng: new T.Generator(1) });
  for (const mode of MODES) {
    await agree(x, [-2, 3, 1, -1], { mode });
    await agree(x, [-1, -2, -1, 0, 2, -1], { mode });
  }
});

Deno.test("WebGPU pad handles int32 and bool inputs", async () => {
  const i = T.tensor(new Int32Array([1, -2, 3, 4, 5, -6]), { dtype: "int32" }).reshape([2, 3]);
  const m = T.tensor(new Int32Array([1, 0, 0, 1, 1, 0])).cast("bool").reshape([3, 2]);
  for (const mode of MODES) {
    await agree(i, [1, 2, 1, 0], { mode, value: 7 });
    await agree(m, [1, 1, 2, 1], { mode, value: 1 });
  }
  await agree(i, [2, 1], { value: -3 });
  await agree(m, [2, 1, 1, 0], { value: 0 });
  const got = T.pad(await m.to("webgpu"), [1, 0], { value: 1 });
  assertClose(got.dtype === "bool" ? 1 : 0, 1, { atol: 0, rtol: 0 });
});

Deno.test("WebGPU pad reads strided views in place", async () => {
  const g = new T.Generator(2);
  const base = T.randn([5, 4, 6], { rng: g });
  const gpu = await base.to("webgpu");
  const views: [T.Tensor, T.Tensor][] = [
    [base.transpose(0, 2), gpu.transpose(0, 2)],
    [base.permute([1, 2, 0]), gpu.permute([1, 2, 0])],
    [base.flip([1]), gpu.flip([1])],
    [base.slice([[1, 4], [0, 4], [2, 5]]), gpu.slice([[1, 4], [0, 4], [2, 5]])],
  ];
  for (const [cpu, dev] of views) {
    for (const mode of MODES) {
      const pads = [1, 2, 2, 0];
      assertClose(
        await T.pad(dev, pads, { mode }).data(),
        T.pad(cpu, pads, { mode }).dataSync(),
        { atol: 0, rtol: 0 },
      );
    }
  }
});

Deno.test("WebGPU pad gradients agree with the CPU in every mode", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const g = new T.Generator(3);
  for (const [shape, pads] of CASES) {
    const x = T.randn(shape, { rng: g });
    for (const mode of MODES) {
      const grad = async (backend: string) => {
        const xb = (await x.to(backend)).requiresGrad_();
        const y = T.pad(xb, pads, { mode });
        const r = await T.randn(y.shape, { rng: new T.Generator(4) }).to(backend);
        return await gradients(T.pad(xb, pads, { mode }).mul(r).sum(), [xb])[0].data();
      };
      assertClose(await grad("webgpu"), await grad("cpu"), { atol: 1e-5, rtol: 1e-5 });
    }
  }
});

Deno.test("WebGPU pad gradients of cropped, strided and long-replicated inputs", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const g = new T.Generator(5);
  const cases: [number[], number[], PadOptions, boolean][] = [
    [[4, 6, 7], [-2, 3, 1, -1], { mode: "reflect" }, false],
    [[4, 6, 7], [-1, -2, 2, 1], { mode: "circular" }, true],
    [[3, 5], [2, 1, 1, 2], { mode: "replicate" }, true],
    [[2, 3], [9000, 20], { mode: "replicate" }, false],
    [[3, 2], [0, 0, 20, 8500], { mode: "replicate" }, true],
  ];
  for (const [shape, pads, options, transpose] of cases) {
    const x = T.randn(shape, { rng: g });
    const grad = async (backend: string) => {
      const xb = (await x.to(backend)).requiresGrad_();
      const v = transpose ? xb.transpose(0, 1) : xb;
      const y = T.pad(v, pads, options);
      const r = await T.randn(y.shape, { rng: new T.Generator(6) }).to(backend);
      return await gradients(y.mul(r).sum(), [xb])[0].data();
    };
    assertClose(await grad("webgpu"), await grad("cpu"), { atol: 1e-3, rtol: 1e-5 });
  }
});

Deno.test("WebGPU pad gradients read broadcast upstream gradients in place", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const x = T.randn([3, 4, 5], { rng: new T.Generator(13) });
  for (const mode of MODES) {
    const grad = async (backend: string) => {
      const xb = (await x.to(backend)).requiresGrad_();
      return await gradients(T.pad(xb, [2, 2, 0, 3, 1, 1], { mode }).sum(), [xb])[0].data();
    };
    assertClose(await grad("webgpu"), await grad("cpu"), { atol: 1e-6, rtol: 1e-6 });
  }
});

Deno.test("WebGPU pad supports double backward", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const g = new T.Generator(7);
  const x = T.randn([3, 4], { rng: g });
  for (const mode of MODES) {
    const run = async (backend: string) => {
      const xb = (await x.to(backend)).requiresGrad_();
      const y0 = T.pad(xb, [2, 1, 1, 2], { mode });
      const r = (await T.randn(y0.shape, { rng: new T.Generator(8) }).to(backend)).requiresGrad_();
      const s = await T.randn(x.shape, { rng: new T.Generator(9) }).to(backend);
      const [gx] = gradients(T.pad(xb, [2, 1, 1, 2], { mode }).mul(r).sum(), [xb], {
        createGraph: true,
      });
      return await gradients(gx.mul(s).sum(), [r])[0].data();
    };
    assertClose(await run("webgpu"), await run("cpu"), { atol: 1e-5, rtol: 1e-5 });
  }
});

Deno.test("WebGPU pad and its gradient leak no buffers", async () => {
  const { gradients } = await import("@dendrite/autograd");
  const x = await T.randn([3, 4, 5], { rng: new T.Generator(10) }).to("webgpu");
  const b = T.webgpuBackend()!;
  // Synchronous from the first count to the last, so no finalizer of an
  // earlier test's tensors runs in between.
  const step = () => {
    for (const mode of MODES) {
      T.tidy(() => {
        const xb = x.transpose(0, 2).detach().requiresGrad_();
        const y = T.pad(xb, [1, 2, 2, 1, 1, 1], { mode });
        const [gx] = gradients(y.square().sum(), [xb]);
        return gx.sum().add(y.sum());
      }).dispose();
      const dy = T.zeros([9, 7, 5], { backend: "webgpu" }), dyt = dy.transpose(0, 2);
      const attrs = { inShape: [3, 4, 5], before: [1, 2, 2], after: [1, 1, 2], mode };
      const [g] = T.runKernel("PadGrad", b, [dyt], attrs);
      b.free(g.storage);
      dyt.dispose();
      dy.dispose();
    }
  };
  step();
  const before = b.memory().buffers;
  step();
  step();
  assertClose(b.memory().buffers, before, { atol: 0, rtol: 0 });
});

// ---- max-pool gradient -------------------------------------------------

Deno.test("WebGPU max-pool gradient on a plane of more than 65,535 outputs agrees with the CPU", async () => {
  // 299 × 299 windows per plane: more than one invocation may loop over.
  const { gradients } = await import("@dendrite/autograd");
  const x = T.randn([1, 1, 300, 300], { rng: new T.Generator(20) });
  const grad = async (backend: string) => {
    const xb = (await x.to(backend)).requiresGrad_();
    const y = T.maxPool2d(xb, 2, { stride: 1 });
    const r = await T.randn(y.shape, { rng: new T.Generator(21) }).to(backend);
    return await gradients(y.mul(r).sum(), [xb])[0].data();
  };
  assertClose(await grad("webgpu"), await grad("cpu"), { atol: 0, rtol: 0 });
});

/** Windows as the pooling ops build them (start, end, step per output). */
function windows(n: number, k: number, s: number, p: number, d: number) {
  const out = Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
  const start = Array.from({ length: out }, (_, o) => o * s - p);
  const end = start.map((a) => a + (k - 1) * d + 1);
  return { start, end, padStart: start, padEnd: end, step: d };
}

function adaptive(n: number, out: number) {
  const start = Array.from({ length: out }, (_, o) => Math.floor(o * n / out));
  const end = start.map((_, o) => Math.ceil((o + 1) * n / out));
  return { start, end, padStart: start, padEnd: end, step: 1 };
}

Deno.test("WebGPU max-pool gradient gathers per input element when given the windows", async () => {
  const gpu = T.webgpuBackend()!;
  const g = new T.Generator(22);
  const cases: [number[], ReturnType<typeof windows>, ReturnType<typeof windows>][] = [
    [[2, 3, 9, 8], windows(9, 3, 1, 1, 1), windows(8, 2, 1, 0, 1)],
    [[1, 2, 11, 10], windows(11, 3, 2, 1, 2), windows(10, 4, 3, 2, 1)],
    [[1, 1, 7, 9], adaptive(7, 5), adaptive(9, 4)],
    [[1, 1, 3, 4], adaptive(3, 7), adaptive(4, 9)],
    [[1, 1, 300, 300], windows(300, 2, 1, 0, 1), windows(300, 2, 1, 0, 1)],
  ];
  for (const [shape, hw, ww] of cases) {
    const x = T.randn(shape, { rng: g });
    const [, idx] = T.runKernel("MaxPool2d", T.cpuBackend, [x], { hw, ww });
    const idxT = T.fromTypedArray(await T.cpuBackend.read(idx.storage), idx.shape);
    const dy = T.randn(idx.shape, { rng: g });
    const [h, w] = shape.slice(2);
    const [want] = T.runKernel("MaxPool2dBackward", T.cpuBackend, [dy, idxT], { h, w });
    const dyg = await dy.to("webgpu"), idxg = await idxT.to("webgpu");
    for (const attrs of [{ h, w, hw, ww }, { h, w }]) {
      const [got] = T.runKernel("MaxPool2dBackward", gpu, [dyg, idxg], attrs);
      assertClose(await gpu.read(got.storage), await T.cpuBackend.read(want.storage), {
        atol: 0,
        rtol: 0,
      });
      gpu.free(got.storage);
    }
    T.cpuBackend.free(want.storage);
    T.cpuBackend.free(idx.storage);
  }
});
