// Every layer against PyTorch 1.13 (layers/testdata/layers.json, made by
// _tools/fixtures/gen_layers.py): parameter names and count, forward values
// with PyTorch's weights loaded through loadStateDict, gradients reaching the
// input and every parameter, running statistics after a training step, and
// eval-mode outputs.
import assert from "node:assert/strict";
import { flip, initWebGPU, maxPool2dWithIndices, type Tensor } from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import {
  assertClose,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
} from "@dendrite/tensor/testing";
import * as L from "../mod.ts";

interface Case {
  state: Record<string, FixtureTensor>;
  input: FixtureTensor;
  output: FixtureTensor;
  r: FixtureTensor;
  inputGrad: FixtureTensor | null;
  paramGrads: Record<string, FixtureTensor>;
  stateAfter: Record<string, FixtureTensor>;
  evalOutput: FixtureTensor;
  numParameters: number;
}
const fx = await loadFixtures<Record<string, Case>>(
  new URL("../testdata/layers.json", import.meta.url),
);

const make: Record<string, () => L.Module> = {
  Linear: () => new L.Linear(5, 3),
  LinearNoBias: () => new L.Linear(5, 3, { bias: false }),
  Bilinear: () => new L.Bilinear(3, 3, 2),
  Conv2d: () => new L.Conv2d(3, 4, 3, { stride: 2, padding: 1 }),
  Conv2dGroups: () => new L.Conv2d(4, 6, [3, 2], { padding: "same", groups: 2, dilation: [1, 2] }),
  Conv1d: () => new L.Conv1d(2, 3, 4, { stride: 2 }),
  ConvTranspose2d: () => new L.ConvTranspose2d(3, 2, 4, { stride: 2, padding: 1 }),
  BatchNorm1d: () => new L.BatchNorm1d(3),
  BatchNorm1dSeq: () => new L.BatchNorm1d(3, { momentum: null }),
  BatchNorm2d: () => new L.BatchNorm2d(3),
  BatchNorm2dNoAffine: () => new L.BatchNorm2d(3, { affine: false, momentum: 0.3 }),
  LayerNorm: () => new L.LayerNorm([4, 5]),
  GroupNorm: () => new L.GroupNorm(2, 4),
  InstanceNorm2d: () => new L.InstanceNorm2d(3, { affine: true }),
  InstanceNorm2dTrack: () => new L.InstanceNorm2d(3, { trackRunningStats: true }),
  LocalResponseNorm: () => new L.LocalResponseNorm(3, { alpha: 0.1, beta: 0.75, k: 2 }),
  Embedding: () => new L.Embedding(6, 3, { paddingIdx: 2 }),
  MaxPool2d: () => new L.MaxPool2d(3, { stride: 2, padding: 1 }),
  AvgPool2d: () => new L.AvgPool2d(2),
  AdaptiveAvgPool2d: () => new L.AdaptiveAvgPool2d([2, 3]),
  Upsample: () => new L.Upsample({ scaleFactor: 2, mode: "bilinear", alignCorners: false }),
  PixelShuffle: () => new L.PixelShuffle(2),
  Flatten: () => new L.Flatten(),
  Unflatten: () => new L.Unflatten(1, [3, 4]),
  Softmax: () => new L.Softmax(1),
  LogSoftmax: () => new L.LogSoftmax(-1),
  Sigmoid: () => new L.Sigmoid(),
  Tanh: () => new L.Tanh(),
  ReLU: () => new L.ReLU(),
  ReLU6: () => new L.ReLU6(),
  SiLU: () => new L.SiLU(),
  Mish: () => new L.Mish(),
  SELU: () => new L.SELU(),
  Softsign: () => new L.Softsign(),
  LogSigmoid: () => new L.LogSigmoid(),
  Hardsigmoid: () => new L.Hardsigmoid(),
  Hardswish: () => new L.Hardswish(),
  LeakyReLU: () => new L.LeakyReLU({ negativeSlope: 0.2 }),
  ELU: () => new L.ELU({ alpha: 0.7 }),
  CELU: () => new L.CELU({ alpha: 1.5 }),
  GELU: () => new L.GELU({ approximate: "tanh" }),
  Softplus: () => new L.Softplus({ beta: 2, threshold: 3 }),
  Hardtanh: () => new L.Hardtanh({ minVal: -0.5, maxVal: 0.5 }),
  Sequential: () => new L.Sequential(new L.Linear(4, 6), new L.ReLU(), new L.Linear(6, 2)),
  Conv2dReflect: () => new L.Conv2d(2, 3, 3, { padding: 1, paddingMode: "reflect" }),
  Conv2dCircularSame: () =>
    new L.Conv2d(2, 2, [3, 2], { padding: "same", dilation: [1, 2], paddingMode: "circular" }),
  Conv2dReplicateStride: () =>
    new L.Conv2d(2, 2, 3, { stride: 2, padding: [2, 1], paddingMode: "replicate" }),
  Conv1dReplicate: () => new L.Conv1d(2, 3, 3, { padding: 2, paddingMode: "replicate" }),
  ZeroPad2d: () => new L.ZeroPad2d([1, 2, 0, 1]),
  ConstantPad1d: () => new L.ConstantPad1d([2, 1], -0.5),
  ConstantPad2d: () => new L.ConstantPad2d(1, 0.25),
  ReflectionPad1d: () => new L.ReflectionPad1d([2, 1]),
  ReflectionPad2d: () => new L.ReflectionPad2d([1, 2, 2, 0]),
  ReplicationPad1d: () => new L.ReplicationPad1d(2),
  ReplicationPad2d: () => new L.ReplicationPad2d([0, 1, 2, 1]),
  PReLU: () => new L.PReLU(),
  PReLUChannels: () => new L.PReLU(3, 0.1),
  GLU: () => new L.GLU(1),
  Softshrink: () => new L.Softshrink(0.7),
  Hardshrink: () => new L.Hardshrink(0.3),
  Tanhshrink: () => new L.Tanhshrink(),
  Threshold: () => new L.Threshold(0.2, -1),
  Softmin: () => new L.Softmin(1),
  Softmax2d: () => new L.Softmax2d(),
  MaxPool1d: () => new L.MaxPool1d(3, { stride: 2, padding: 1 }),
  AvgPool1d: () =>
    new L.AvgPool1d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  AdaptiveAvgPool1d: () => new L.AdaptiveAvgPool1d(4),
  AdaptiveMaxPool1d: () => new L.AdaptiveMaxPool1d(3),
  PixelUnshuffle: () => new L.PixelUnshuffle(2),
  MaxUnpool2d: () => new PoolUnpool(2, 2, 0, false),
  MaxUnpool2dOverlap: () => new PoolUnpool(3, 2, 1, true),
};

/** Max pooling with indices, then `MaxUnpool2d` (the SegNet pattern; the fixture's PoolUnpool). */
class PoolUnpool extends L.Module {
  unpool: L.MaxUnpool2d;
  constructor(readonly k: number, readonly s: number, readonly p: number, readonly same: boolean) {
    super();
    this.unpool = new L.MaxUnpool2d(k, { stride: s, padding: p });
  }
  forward(x: Tensor): Tensor {
    const { values, indices } = maxPool2dWithIndices(x, this.k, {
      stride: this.s,
      padding: this.p,
    });
    const size = this.same ? [x.shape[2], x.shape[3]] as [number, number] : undefined;
    return this.unpool.call(values, indices, size);
  }
}

const state = (s: Record<string, FixtureTensor>) =>
  new Map(Object.entries(s).map(([k, v]) => [k, fromFixture(v)] as [string, Tensor]));

// Every layer runs on the CPU and, where an adapter exists (Mesa llvmpipe
// here), on WebGPU: the same PyTorch numbers from both.
const backends = ["cpu"];
if (await initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  backends.push("webgpu");
}

for (const backend of backends) {
  for (const [name, c] of Object.entries(fx)) {
    Deno.test(`${name} matches PyTorch: names, values, gradients, running statistics [${backend}]`, async () => {
      const m = make[name]();
      assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), "state dict keys");
      assert.equal(m.numParameters(), c.numParameters);
      m.loadStateDict(state(c.state));
      await m.to(backend);
      m.train();
      const input = await fromFixture(c.input).to(backend);
      const x = c.inputGrad !== null ? input.detach().requiresGrad_() : input;
      const call = (t: Tensor) => (name === "Bilinear" ? m.call(t, flip(t, 1)) : m.call(t));
      const out = call(x);
      const tol = { atol: 1e-4, rtol: 1e-4 };
      assertClose(await out.data(), fromFixture(c.output).dataSync(), tol);
      const params = m.namedParameters();
      const targets = [...(c.inputGrad ? [x] : []), ...params.map(([, p]) => p)];
      if (targets.length) {
        const r = await fromFixture(c.r).to(backend);
        const gs = gradients(out.mul(r).sum(), targets, { allowUnused: true });
        let i = 0;
        if (c.inputGrad) {
          assertClose(await gs[i++].data(), fromFixture(c.inputGrad).dataSync(), {
            atol: 1e-4,
            rtol: 1e-3,
          });
        }
        for (const [pn] of params) {
          assertClose(await gs[i++].data(), fromFixture(c.paramGrads[pn]).dataSync(), {
            atol: 1e-4,
            rtol: 1e-3,
          });
        }
      }
      for (const [k, v] of m.stateDict()) {
        assertClose(await v.data(), fromFixture(c.stateAfter[k]).dataSync(), tol);
      }
      m.eval();
      assertClose(await call(input).data(), fromFixture(c.evalOutput).dataSync(), tol);
    });
  }
}
