// Neural-network primitives against PyTorch 1.13 (tensor/testdata/nn.json,
// made by _tools/fixtures/gen_nn.py): values and gradients.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import type { Tensor } from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import {
  assertClose,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
  testOnBackends,
} from "@dendrite/tensor/testing";

interface Case {
  inputs: FixtureTensor[];
  output: FixtureTensor;
  r?: FixtureTensor;
  grads?: FixtureTensor[];
}
const fx = await loadFixtures<Record<string, Case>>(
  new URL("../../../testdata/nn.json", import.meta.url),
);
type Fn = (...xs: Tensor[]) => Tensor;
const ops: Record<string, Fn> = {
  conv2d: (x, w, b) => T.conv2d(x, w, { bias: b }),
  conv2dStridePadDil: (x, w) =>
    T.conv2d(x, w, { stride: [2, 1], padding: [1, 2], dilation: [2, 1] }),
  conv2dGroups: (x, w) => T.conv2d(x, w, { padding: 1, groups: 2 }),
  conv2dDepthwise: (x, w, b) => T.conv2d(x, w, { bias: b, padding: 1, groups: 4 }),
  conv2dSame: (x, w) => T.conv2d(x, w, { padding: "same", dilation: [1, 2] }),
  conv1d: (x, w, b) => T.conv1d(x, w, { bias: b, stride: 2, padding: 1 }),
  conv1dSame: (x, w) => T.conv1d(x, w, { padding: "same" }),
  convT2d: (x, w, b) =>
    T.convTranspose2d(x, w, { bias: b, stride: 2, padding: 1, outputPadding: 1 }),
  convT2dGroupsDil: (x, w) =>
    T.convTranspose2d(x, w, { stride: [1, 2], groups: 2, dilation: [2, 1] }),
  convT1d: (x, w) => T.convTranspose1d(x, w, { stride: 3, padding: 1, outputPadding: 2 }),
  convT2dOutPadDil: (x, w, b) =>
    T.convTranspose2d(x, w, {
      bias: b,
      padding: [1, 0],
      outputPadding: [1, 0],
      dilation: [2, 1],
      groups: 2,
    }),
  convT1dOutPadDil: (x, w) =>
    T.convTranspose1d(x, w, { padding: 1, outputPadding: 1, dilation: 2 }),
  maxPool2d: (x) => T.maxPool2d(x, 2),
  maxPool2dPadCeil: (x) => T.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
  maxPool2dDil: (x) => T.maxPool2d(x, [2, 2], { stride: 1, dilation: [2, 1] }),
  maxPool2dIdx: (x) => T.maxPool2dWithIndices(x, 3, { stride: 2, padding: 1 }).indices,
  avgPool2d: (x) => T.avgPool2d(x, 2),
  avgPool2dPadCeil: (x) => T.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
  avgPool2dNoPad: (x) => T.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
  avgPool2dDivisor: (x) => T.avgPool2d(x, 2, { divisorOverride: 3 }),
  adaptiveAvg: (x) => T.adaptiveAvgPool2d(x, [3, 4]),
  adaptiveMax: (x) => T.adaptiveMaxPool2d(x, [4, 5]).values,
  adaptiveMaxIdx: (x) => T.adaptiveMaxPool2d(x, [4, 5]).indices,
  maxPool1d: (x) => T.maxPool1d(x, 3, { stride: 2, padding: 1 }),
  avgPool1d: (x) => T.avgPool1d(x, 4, { stride: 3, ceilMode: true }),
  adaptiveAvg1d: (x) => T.adaptiveAvgPool1d(x, 4),
  nearest: (x) => T.interpolate(x, { size: [7, 8] }),
  nearestScale: (x) => T.interpolate(x, { scaleFactor: 2.5 }),
  nearestExact: (x) => T.interpolate(x, { size: [7, 3], mode: "nearest-exact" }),
  bilinear: (x) => T.interpolate(x, { size: [7, 8], mode: "bilinear" }),
  bilinearAlign: (x) => T.interpolate(x, { size: [7, 8], mode: "bilinear", alignCorners: true }),
  bilinearScale: (x) => T.interpolate(x, { scaleFactor: 1.5, mode: "bilinear" }),
  bicubic: (x) => T.interpolate(x, { size: [9, 6], mode: "bicubic" }),
  bicubicAlign: (x) => T.interpolate(x, { size: [3, 8], mode: "bicubic", alignCorners: true }),
  bilinearScaleSameAxis: (x) => T.interpolate(x, { scaleFactor: [0.75, 1.3], mode: "bilinear" }),
  linearScaleSame: (x) => T.interpolate(x, { scaleFactor: 1.1, mode: "linear" }),
  linear: (x) => T.interpolate(x, { size: 9, mode: "linear" }),
  linearAlign: (x) => T.interpolate(x, { scaleFactor: 0.6, mode: "linear", alignCorners: true }),
  pixelShuffle: (x) => T.pixelShuffle(x, 2),
  pixelUnshuffle: (x) => T.pixelUnshuffle(x, 2),
  unfold: (x) => T.unfold(x, [2, 3], { stride: [1, 2], padding: 1, dilation: [2, 1] }),
  fold: (x) => T.fold(x, [4, 5], [2, 2]),
  affineGrid: (t) => T.affineGrid(t, [2, 1, 3, 4]),
  affineGridAlign: (t) => T.affineGrid(t, [2, 1, 2, 3], { alignCorners: true }),
  gridSample_zeros_0: (x, g) => T.gridSample(x, g),
  gridSample_zeros_1: (x, g) => T.gridSample(x, g, { alignCorners: true }),
  gridSample_border_0: (x, g) => T.gridSample(x, g, { paddingMode: "border" }),
  gridSample_border_1: (x, g) => T.gridSample(x, g, { paddingMode: "border", alignCorners: true }),
  gridSample_reflection_0: (x, g) => T.gridSample(x, g, { paddingMode: "reflection" }),
  gridSample_reflection_1: (x, g) =>
    T.gridSample(x, g, { paddingMode: "reflection", alignCorners: true }),
  gridSampleNearest: (x, g) => T.gridSample(x, g, { mode: "nearest" }),
  gridSampleNearestReflect: (x, g) =>
    T.gridSample(x, g, { mode: "nearest", paddingMode: "reflection", alignCorners: true }),
  area2d: (x) => T.interpolate(x, { size: [3, 2], mode: "area" }),
  areaScale: (x) => T.interpolate(x, { scaleFactor: 0.5, mode: "area" }),
  area1d: (x) => T.interpolate(x, { size: 4, mode: "area" }),
  embedding: (w) =>
    T.embedding(T.tensor(new Int32Array([1, 0, 3, 3, 3, 2]), { shape: [2, 3] }), w, {
      paddingIdx: 3,
    }),
};

testOnBackends("every nn case has a Dendrite mapping", () => {
  assert.deepEqual(Object.keys(fx).filter((k) => !(k in ops)), []);
});

for (const [name, c] of Object.entries(fx)) {
  testOnBackends(`${name} matches PyTorch values and gradients`, () => {
    const xs = c.inputs.map((f) => fromFixture(f, { requiresGrad: true }));
    const out = ops[name](...xs);
    assert.equal(out.dtype, c.output.dtype ?? "float32");
    assertClose(out, fromFixture(c.output), { atol: 1e-4, rtol: 1e-4 });
    if (c.grads && c.r) {
      const gs = gradients(out.mul(fromFixture(c.r)).sum(), xs, { allowUnused: true });
      gs.forEach((g, i) => assertClose(g, fromFixture(c.grads![i]), { atol: 1e-4, rtol: 1e-3 }));
    }
  });
}

// The same cases on WebGPU (Mesa llvmpipe here).
if (await T.initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  for (const [name, c] of Object.entries(fx)) {
    Deno.test(`${name} matches PyTorch values and gradients [webgpu]`, async () => {
      const want = fromFixture(c.output).dataSync();
      const wantGrads = (c.grads ?? []).map((g) => fromFixture(g).dataSync());
      T.setBackend("webgpu");
      try {
        const xs = c.inputs.map((f) => fromFixture(f, { requiresGrad: true }));
        const out = ops[name](...xs);
        assert.equal(out.backend.name, "webgpu");
        assert.equal(out.dtype, c.output.dtype ?? "float32");
        assertClose(await out.data(), want, { atol: 1e-4, rtol: 1e-4 });
        if (c.grads && c.r) {
          const gs = gradients(out.mul(fromFixture(c.r)).sum(), xs, { allowUnused: true });
          for (let i = 0; i < gs.length; i++) {
            assertClose(await gs[i].data(), wantGrads[i], { atol: 1e-4, rtol: 1e-3 });
          }
        }
      } finally {
        T.setBackend("cpu");
      }
    });
  }
}
