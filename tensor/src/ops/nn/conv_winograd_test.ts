// The Winograd F(2×2, 3×3) convolution agrees with im2col + GEMM on outputs
// and both gradients (both computed by Winograd transforms too),
// with and without native BLAS and with one image per chunk; it passes
// gradcheck; and the TypeScript path picks it for 3×3 stride-1 layers.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradcheck, gradients } from "@dendrite/autograd";
import { assertClose } from "@dendrite/tensor/testing";
import { _setConvAlgorithm, type ConvAlgorithm } from "./conv.ts";
import { WINOGRAD_CHUNK, winogradWeights } from "./conv_winograd.ts";
import { setBlasEnabled } from "../../cpu/blas.ts";
import { setDnnlEnabled } from "../../cpu/dnnl.ts";
import { setWasmEnabled, wasmInfo } from "../../cpu/wasm_emit.ts";

interface Case {
  x: number[];
  w: number[];
  padding?: number | [number, number];
  groups?: number;
  bias?: boolean;
}

const CASES: Case[] = [
  // Products as GEMMs (8+ channels per group); odd output sizes crop the last tiles.
  { x: [2, 16, 7, 9], w: [8, 16, 3, 3], padding: 1, bias: true },
  { x: [3, 8, 6, 5], w: [16, 8, 3, 3], padding: 0 },
  { x: [2, 16, 5, 6], w: [16, 8, 3, 3], padding: [0, 2], groups: 2 },
  // Padding beyond the kernel's reach: the input gradient falls back to im2col.
  { x: [1, 8, 4, 4], w: [8, 8, 3, 3], padding: 3 },
  // One input channel per group: products fused with the output transform.
  { x: [3, 1, 7, 6], w: [8, 1, 3, 3], padding: 1, bias: true },
  { x: [2, 4, 5, 5], w: [8, 1, 3, 3], padding: 1, groups: 4 },
  { x: [2, 3, 6, 5], w: [3, 1, 3, 3], padding: 2, groups: 3 },
  // Few channels, through the GEMMs (forced only).
  { x: [2, 3, 5, 4], w: [5, 3, 3, 3], padding: 1 },
];

function run(c: Case, algo: ConvAlgorithm): T.Tensor[] {
  const g = new T.Generator(11);
  const x = T.randn(c.x, { rng: g, requiresGrad: true });
  const w = T.randn(c.w, { rng: g, requiresGrad: true });
  const b = c.bias ? T.randn([c.w[0]], { rng: g, requiresGrad: true }) : undefined;
  const prev = _setConvAlgorithm(algo);
  try {
    const y = T.conv2d(x, w, { bias: b, padding: c.padding, groups: c.groups });
    const up = T.randn(y.shape, { rng: g });
    const [dx, dw] = gradients(y, [x, w], { gradOutputs: [up] });
    return [y, dx, dw];
  } finally {
    _setConvAlgorithm(prev);
  }
}

for (const blas of [true, false]) {
  for (const tiles of [WINOGRAD_CHUNK.tiles, 1]) {
    const chunk = tiles === 1 ? "one image per chunk" : "default chunks";
    Deno.test(`conv2d: Winograd equals im2col on outputs and gradients (BLAS ${blas ? "on" : "off"}, ${chunk})`, () => {
      setBlasEnabled(blas);
      const saved = WINOGRAD_CHUNK.tiles;
      WINOGRAD_CHUNK.tiles = tiles;
      try {
        for (const c of CASES) {
          const ref = run(c, "im2col"), got = run(c, "winograd");
          ref.forEach((r, i) => {
            assert.deepEqual(got[i].shape, r.shape);
            assertClose(got[i], r, { atol: 2e-5, rtol: 1e-4 });
          });
        }
      } finally {
        WINOGRAD_CHUNK.tiles = saved;
        setBlasEnabled(true);
      }
    });
  }
}

Deno.test("conv2d with Winograd passes gradcheck", () => {
  const prev = _setConvAlgorithm("winograd");
  try {
    const g = new T.Generator(5);
    const x = T.randn([2, 4, 5, 4], { rng: g, requiresGrad: true });
    const w = T.randn([4, 2, 3, 3], { rng: g, requiresGrad: true });
    gradcheck(
      (x: T.Tensor, w: T.Tensor) => T.conv2d(x, w, { padding: [1, 2], groups: 2 }),
      [x, w],
      { eps: 1e-2, atol: 3e-3, rtol: 2e-2 },
    );
  } finally {
    _setConvAlgorithm(prev);
  }
});

Deno.test("Winograd weight transform: G g Gᵀ of a known kernel", () => {
  // g = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]; G·g rows: g0, (g0+g1+g2)/2, (g0−g1+g2)/2, g2.
  const u = winogradWeights(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 1, 1);
  const gg = [[1, 2, 3], [6, 7.5, 9], [2, 2.5, 3], [7, 8, 9]];
  const want = gg.flatMap(([a, b, c]) => [a, (a + b + c) / 2, (a - b + c) / 2, c]);
  assert.deepEqual(Array.from(u), want);
});

/**
 * Runs each case's convolution with the automatic choice and with each
 * algorithm forced, and checks which one produced the output, dx and dw:
 * the algorithms round differently, so equal bits identify the one used.
 */
function checkChoice(seed: number, cases: [number[], number[], number, boolean[]][]): void {
  const g = new T.Generator(seed);
  for (const [xs, ws, groups, byWinograd] of cases) {
    const x = T.randn(xs, { rng: g, requiresGrad: true });
    const w = T.randn(ws, { rng: g, requiresGrad: true });
    const up = T.randn([xs[0], ws[0], xs[2], xs[3]], { rng: g });
    const outs = (algo: ConvAlgorithm) => {
      const prev = _setConvAlgorithm(algo);
      try {
        const y = T.conv2d(x, w, { padding: 1, groups });
        return [y, ...gradients(y, [x, w], { gradOutputs: [up] })].map((t) => t.dataSync());
      } finally {
        _setConvAlgorithm(prev);
      }
    };
    const [auto, wino, im2col] = [outs("auto"), outs("winograd"), outs("im2col")];
    byWinograd.forEach((yes, i) => {
      const what = `${["y", "dx", "dw"][i]} of ${xs} * ${ws} (groups ${groups})`;
      assert.deepEqual(
        auto[i],
        yes ? wino[i] : im2col[i],
        `${what} should use ${yes ? "Winograd" : "im2col"}`,
      );
      assert.notDeepEqual(auto[i], yes ? im2col[i] : wino[i], what);
    });
  }
}

// The choice tests below are about Dendrite's own kernels: with oneDNN
// loaded, "auto" gives every convolution to it (dnnl_test.ts).
Deno.test("in plain TypeScript, 3×3 stride-1 layers run as Winograd, and their dw with 4+ input channels per group", () => {
  setDnnlEnabled(false);
  setBlasEnabled(false);
  setWasmEnabled(false);
  try {
    checkChoice(2, [
      // [x, w, groups, [y, dx, dw] by Winograd]
      [[2, 16, 6, 6], [16, 16, 3, 3], 1, [true, true, true]],
      [[2, 1, 8, 8], [8, 1, 3, 3], 1, [true, true, false]],
      [[2, 3, 7, 7], [8, 3, 3, 3], 1, [true, true, false]],
      [[2, 8, 6, 6], [8, 1, 3, 3], 8, [true, true, false]],
      [[2, 8, 5, 5], [4, 4, 3, 3], 2, [true, true, true]],
    ]);
  } finally {
    setWasmEnabled(true);
    setBlasEnabled(true);
    setDnnlEnabled(true);
  }
});

Deno.test("with the WebAssembly GEMM, Winograd takes 16+ channels per group both ways, and depthwise-like layers", () => {
  setDnnlEnabled(false);
  setBlasEnabled(false);
  try {
    assert.ok(wasmInfo().enabled);
    checkChoice(4, [
      [[2, 16, 6, 6], [16, 16, 3, 3], 1, [true, true, true]],
      [[2, 16, 6, 6], [32, 16, 3, 3], 1, [true, true, true]],
      // 1 → 8: forward and dw by im2col; dx (8 → 1) too.
      [[2, 1, 8, 8], [8, 1, 3, 3], 1, [false, false, false]],
      [[2, 8, 5, 5], [16, 8, 3, 3], 1, [false, false, false]],
      [[2, 32, 5, 5], [8, 32, 3, 3], 1, [false, false, false]],
      // Depthwise: the output and dx by Winograd, dw (1 channel per group) by im2col.
      [[2, 8, 6, 6], [8, 1, 3, 3], 8, [true, true, false]],
    ]);
  } finally {
    setBlasEnabled(true);
    setDnnlEnabled(true);
  }
});

Deno.test("with BLAS (no oneDNN), only depthwise-like 3×3 layers run as Winograd", () => {
  setDnnlEnabled(false);
  try {
    withBlasOnly();
  } finally {
    setDnnlEnabled(true);
  }
});

function withBlasOnly(): void {
  const g = new T.Generator(3);
  const cases: [number[], number[], number, boolean][] = [
    [[2, 8, 6, 6], [8, 1, 3, 3], 8, true],
    [[2, 8, 6, 6], [16, 1, 3, 3], 8, true],
    [[2, 8, 6, 6], [32, 1, 3, 3], 8, false],
    [[2, 16, 6, 6], [16, 16, 3, 3], 1, false],
    [[2, 1, 8, 8], [8, 1, 3, 3], 1, false],
  ];
  for (const [xs, ws, groups, winograd] of cases) {
    const x = T.randn(xs, { rng: g }), w = T.randn(ws, { rng: g });
    const y = (algo: ConvAlgorithm) => {
      const prev = _setConvAlgorithm(algo);
      try {
        return T.conv2d(x, w, { padding: 1, groups }).dataSync();
      } finally {
        _setConvAlgorithm(prev);
      }
    };
    const auto = y("auto"), wino = y("winograd");
    if (winograd) assert.deepEqual(auto, wino);
    else assert.notDeepEqual(auto, wino, `${xs} ${ws} ${groups}`);
  }
}

Deno.test("Winograd leaves NaN and infinities where im2col puts them (non-finite operands take im2col)", () => {
  setBlasEnabled(false);
  try {
    const g = new T.Generator(4);
    const xv = T.randn([1, 8, 6, 6], { rng: g }).dataSync() as Float32Array;
    // A NaN and an infinity at the far corner of their 4×4 input patches: a
    // Winograd tile would mix them into outputs that do not see them.
    xv[3 * 6 + 3] = NaN;
    xv[36 + 5 * 6 + 5] = Infinity;
    const x = T.tensor(xv).reshape([1, 8, 6, 6]).requiresGrad_();
    const w = T.randn([8, 8, 3, 3], { rng: g, requiresGrad: true });
    const outs = (algo: ConvAlgorithm) => {
      const prev = _setConvAlgorithm(algo);
      try {
        const y = T.conv2d(x, w, { padding: 1 });
        const [dx, dw] = gradients(y, [x, w], { gradOutputs: [T.onesLike(y)] });
        return [y, dx, dw].map((t) => Array.from(t.dataSync()));
      } finally {
        _setConvAlgorithm(prev);
      }
    };
    const ref = outs("im2col");
    for (const algo of ["auto", "winograd"] as const) {
      outs(algo).forEach((got, i) => {
        got.forEach((v, j) => {
          const r = ref[i][j];
          if (Number.isFinite(r)) {
            assert.ok(
              Math.abs(v - r) <= 1e-4 * (1 + Math.abs(r)),
              `${algo} ${i}[${j}]: ${v} vs ${r}`,
            );
          } else assert.ok(Object.is(v, r), `${algo} ${i}[${j}]: ${v} vs ${r}`);
        });
      });
    }
    // The finite outputs around the NaN stay finite (the test would be empty otherwise).
    assert.ok(ref[0].some(Number.isFinite) && ref[0].some(Number.isNaN));
  } finally {
    setBlasEnabled(true);
  }
});
