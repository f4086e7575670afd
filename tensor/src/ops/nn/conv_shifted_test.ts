// The two CPU convolution algorithms (im2col + GEMM, shifted GEMMs) agree on
// outputs and both gradients, with and without native BLAS, and the shifted
// one passes gradcheck itself.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradcheck, gradients } from "@dendrite/autograd";
import { assertClose } from "@dendrite/tensor/testing";
import { _setConvAlgorithm, type ConvAlgorithm, SHIFTED_BUDGET } from "./conv.ts";
import { setBlasEnabled } from "../../cpu/blas.ts";
import { setDnnlEnabled } from "../../cpu/dnnl.ts";
import { setWasmEnabled } from "../../cpu/wasm_emit.ts";
import { ROW_CHUNK } from "./conv_shifted.ts";

interface Case {
  x: number[];
  w: number[];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

const CASES: Case[] = [
  { x: [2, 16, 7, 9], w: [8, 16, 3, 3], padding: 1 },
  { x: [3, 32, 6, 5], w: [16, 32, 3, 3], padding: 0 },
  { x: [2, 8, 9, 8], w: [6, 4, 3, 2], padding: [2, 1], dilation: [2, 1], groups: 2 },
  { x: [1, 12, 10, 7], w: [12, 4, 5, 5], padding: 2, groups: 3 },
  { x: [2, 5, 4, 4], w: [3, 5, 1, 3], padding: [0, 1] },
  // Per-image im2col built from the shifted copies, with dilation and groups.
  { x: [2, 16, 12, 10], w: [16, 8, 3, 3], padding: [2, 1], dilation: [2, 1], groups: 2 },
  // Shifts as wide as the image (every shifted column is padding).
  { x: [2, 16, 5, 2], w: [4, 16, 3, 5], padding: [1, 2] },
  // Output wider than the input (rows as wide as the output).
  { x: [2, 16, 5, 4], w: [8, 16, 3, 3], padding: [1, 2] },
  // Rows wider than the image, with a copy shifted left by the whole
  // width that still holds the image's column (at column 1 of its rows).
  { x: [2, 16, 3, 1], w: [4, 16, 1, 2], padding: [0, 1] },
  // No kernel column without a shift (dilation 2, padding 1): the input
  // gradient has no copy to assign first.
  { x: [2, 16, 6, 9], w: [8, 16, 2, 3], padding: 1, dilation: [1, 2] },
  // Padding beyond the kernel's reach: the shifted layout does not apply.
  { x: [1, 16, 4, 4], w: [4, 16, 3, 3], padding: 3 },
];

function run(c: Case, algo: ConvAlgorithm): T.Tensor[] {
  const g = new T.Generator(7);
  const x = T.randn(c.x, { rng: g, requiresGrad: true });
  const w = T.randn(c.w, { rng: g, requiresGrad: true });
  const prev = _setConvAlgorithm(algo);
  try {
    const y = T.conv2d(x, w, { padding: c.padding, dilation: c.dilation, groups: c.groups });
    const up = T.randn(y.shape, { rng: g });
    const [dx, dw] = gradients(y, [x, w], { gradOutputs: [up] });
    return [y, dx, dw];
  } finally {
    _setConvAlgorithm(prev);
  }
}

const MODES: [string, boolean, boolean][] = [
  ["BLAS", true, true],
  ["WebAssembly GEMM", false, true],
  ["plain TypeScript GEMM", false, false],
];

for (const [label, blas, wasm] of MODES) {
  Deno.test(`conv2d: shifted GEMMs equal im2col on outputs and gradients (${label})`, () => {
    setBlasEnabled(blas);
    setWasmEnabled(wasm);
    try {
      for (const c of CASES) {
        const ref = run(c, "im2col"), got = run(c, "shifted");
        assert.equal(ref.length, got.length);
        ref.forEach((r, i) => {
          assert.deepEqual(got[i].shape, r.shape);
          assertClose(got[i], r, { atol: 1e-4, rtol: 1e-4 });
        });
      }
    } finally {
      setBlasEnabled(true);
      setWasmEnabled(true);
    }
  });
}

Deno.test("conv2d with shifted GEMMs passes gradcheck", () => {
  const prev = _setConvAlgorithm("shifted");
  try {
    const g = new T.Generator(3);
    const x = T.randn([2, 4, 5, 6], { rng: g, requiresGrad: true });
    const w = T.randn([6, 2, 3, 2], { rng: g, requiresGrad: true });
    gradcheck(
      (x: T.Tensor, w: T.Tensor) =>
        T.conv2d(x, w, { padding: [1, 2], dilation: [1, 2], groups: 2 }),
      [x, w],
      { eps: 1e-2, atol: 3e-3, rtol: 2e-2 },
    );
  } finally {
    _setConvAlgorithm(prev);
  }
});

Deno.test("conv2d without oneDNN picks shifted GEMMs for wide stride-1 layers with BLAS; without BLAS, Winograd for wide 3×3 layers and im2col for other kernels", () => {
  // Same numbers from "auto" as from the algorithm it should pick, bit for
  // bit. (With oneDNN loaded, "auto" gives every convolution to it.)
  const c: Case = { x: [2, 32, 8, 8], w: [16, 32, 3, 3], padding: 1 };
  const same = (a: T.Tensor[], b: T.Tensor[]) =>
    a.forEach((t, i) => assert.deepEqual([...t.dataSync()], [...b[i].dataSync()]));
  setDnnlEnabled(false);
  try {
    same(run(c, "auto"), run(c, "shifted"));
  } finally {
    setDnnlEnabled(true);
  }
  setDnnlEnabled(false);
  setBlasEnabled(false);
  try {
    same(run(c, "auto"), run(c, "winograd"));
    const c32: Case = { x: [2, 32, 8, 8], w: [16, 32, 3, 2], padding: 1 };
    same(run(c32, "auto"), run(c32, "im2col"));
  } finally {
    setBlasEnabled(true);
    setDnnlEnabled(true);
  }
});

Deno.test("conv2d: the joint backward kernel gives the gradients of the two separate ones", () => {
  // Both inputs requiring gradients take the joint kernel (Conv2dBackward);
  // one at a time takes Conv2dBackwardInput or Conv2dBackwardWeight.
  for (const algo of ["shifted", "im2col", "winograd"] as const) {
    const prev = _setConvAlgorithm(algo);
    try {
      for (const c of CASES) {
        const g = new T.Generator(11);
        const x = T.randn(c.x, { rng: g }), w = T.randn(c.w, { rng: g });
        const o = { padding: c.padding, dilation: c.dilation, groups: c.groups };
        const up = T.randn(T.conv2d(x, w, o).shape, { rng: g });
        const xb = x.detach().requiresGrad_(), wb = w.detach().requiresGrad_();
        const [dx, dw] = gradients(T.conv2d(xb, wb, o), [xb, wb], { gradOutputs: [up] });
        const xo = x.detach().requiresGrad_();
        const [dxOnly] = gradients(T.conv2d(xo, w, o), [xo], { gradOutputs: [up] });
        const wo = w.detach().requiresGrad_();
        const [dwOnly] = gradients(T.conv2d(x, wo, o), [wo], { gradOutputs: [up] });
        assertClose(dx, dxOnly, { atol: 1e-5, rtol: 1e-5 });
        assertClose(dw, dwOnly, { atol: 1e-4, rtol: 1e-5 });
      }
    } finally {
      _setConvAlgorithm(prev);
    }
  }
});

Deno.test("conv2d adds the bias in every algorithm (shifted, im2col per image and batched)", () => {
  const g = new T.Generator(13);
  // Per group 8 filters × 72 inputs × 144 positions: above the per-image
  // threshold; 4 × 36 × 16 at 4×4 with 4 channels: below it (one batched GEMM).
  for (const [xs, ws] of [[[3, 16, 12, 12], [16, 8, 3, 3]], [[2, 4, 4, 4], [8, 2, 3, 3]]]) {
    const x = T.randn(xs, { rng: g }), w = T.randn(ws, { rng: g });
    const f = ws[0], bias = T.randn([f], { rng: g });
    const ref = T.conv2d(x, w, { padding: 1, groups: 2 }).add(bias.reshape([1, f, 1, 1]));
    for (const [, blas, wasm] of MODES) {
      setBlasEnabled(blas);
      setWasmEnabled(wasm);
      try {
        for (const algo of ["shifted", "im2col"] as const) {
          const prev = _setConvAlgorithm(algo);
          try {
            const y = T.conv2d(x, w, { padding: 1, groups: 2, bias });
            assertClose(y, ref, { atol: 1e-4, rtol: 1e-4 });
          } finally {
            _setConvAlgorithm(prev);
          }
        }
      } finally {
        setBlasEnabled(true);
        setWasmEnabled(true);
      }
    }
  }
});

Deno.test("shifted convolutions split into chunks of images give the same outputs and gradients", () => {
  const whole = CASES.map((c) => run(c, "shifted"));
  const prev = SHIFTED_BUDGET.floats, prevRows = ROW_CHUNK.positions;
  try {
    // One image per chunk of the batch, then per chunk of the input
    // gradient's product and sum.
    for (const [floats, positions] of [[1, prevRows], [prev, 1]]) {
      SHIFTED_BUDGET.floats = floats;
      ROW_CHUNK.positions = positions;
      CASES.forEach((c, k) => {
        run(c, "shifted").forEach((t, i) =>
          assertClose(t, whole[k][i], { atol: 1e-5, rtol: 1e-5 })
        );
      });
    }
  } finally {
    SHIFTED_BUDGET.floats = prev;
    ROW_CHUNK.positions = prevRows;
  }
});

Deno.test("conv2d backward reuses the forward's shifted copies only for the same input", () => {
  // Two forward passes with one geometry, then both backward passes in
  // reverse order: the second forward overwrote the scratch the first one's
  // backward would reuse, so that one must rebuild from its own input.
  const g = new T.Generator(21);
  const w = T.randn([16, 16, 3, 3], { rng: g, requiresGrad: true });
  const x1 = T.randn([2, 16, 6, 6], { rng: g }), x2 = T.randn([2, 16, 6, 6], { rng: g });
  const up = T.randn([2, 16, 6, 6], { rng: g });
  const prev = _setConvAlgorithm("shifted");
  let got: T.Tensor[];
  try {
    const y1 = T.conv2d(x1, w, { padding: 1 }), y2 = T.conv2d(x2, w, { padding: 1 });
    const [g2] = gradients(y2, [w], { gradOutputs: [up] });
    const [g1] = gradients(y1, [w], { gradOutputs: [up] });
    got = [g1, g2];
  } finally {
    _setConvAlgorithm(prev);
  }
  _setConvAlgorithm("im2col");
  try {
    [x1, x2].forEach((x, i) => {
      const [want] = gradients(T.conv2d(x, w, { padding: 1 }), [w], { gradOutputs: [up] });
      assertClose(got[i], want, { atol: 1e-4, rtol: 1e-4 });
    });
  } finally {
    _setConvAlgorithm(prev);
  }
});
