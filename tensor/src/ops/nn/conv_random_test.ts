// The fast CPU convolution algorithms (shifted GEMMs, Winograd) agree with
// im2col + GEMM on random geometries drawn with a fixed seed: the output and
// both gradients, from the joint backward kernel and from each kernel alone,
// with native BLAS, the WebAssembly GEMM and plain TypeScript, and at chunk
// sizes down to one image.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import { _setConvAlgorithm, type ConvAlgorithm, SHIFTED_BUDGET } from "./conv.ts";
import { ROW_CHUNK } from "./conv_shifted.ts";
import { WINOGRAD_CHUNK } from "./conv_winograd.ts";
import { setBlasEnabled } from "../../cpu/blas.ts";
import { setWasmEnabled } from "../../cpu/wasm_emit.ts";

/** A drawn convolution: shapes, padding, dilation, groups, bias, GEMM. */
interface Geometry {
  g: number;
  cg: number;
  fg: number;
  kh: number;
  kw: number;
  dh: number;
  dw: number;
  ph: number;
  pw: number;
  h: number;
  w: number;
  n: number;
  bias: boolean;
  gemm: "blas" | "wasm" | "ts";
}

const GEMMS = ["blas", "wasm", "ts"] as const;

/** Integers in [0, n) from a 32-bit LCG (its high bits). */
function lcg(seed: number): (n: number) => number {
  return (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.floor((seed / 4294967296) * n);
  };
}

/** Output, dx, dw (joint kernel), dx alone and dw alone under `algo`. */
function resultsUnder(algo: ConvAlgorithm, c: Geometry, trial: number): Float32Array[] {
  const gen = new T.Generator(trial);
  const x = T.randn([c.n, c.g * c.cg, c.h, c.w], { rng: gen });
  const wt = T.randn([c.g * c.fg, c.cg, c.kh, c.kw], { rng: gen });
  const b = c.bias ? T.randn([c.g * c.fg], { rng: gen }) : undefined;
  const oh = c.h + 2 * c.ph - c.dh * (c.kh - 1), ow = c.w + 2 * c.pw - c.dw * (c.kw - 1);
  const up = T.randn([c.n, c.g * c.fg, oh, ow], { rng: gen });
  const o = {
    padding: [c.ph, c.pw] as [number, number],
    dilation: [c.dh, c.dw] as [number, number],
    groups: c.g,
    bias: b,
  };
  const prev = _setConvAlgorithm(algo);
  try {
    const xb = x.detach().requiresGrad_(), wb = wt.detach().requiresGrad_();
    const y = T.conv2d(xb, wb, o);
    const [dx, dw] = gradients(y, [xb, wb], { gradOutputs: [up] });
    const xo = x.detach().requiresGrad_(), wo = wt.detach().requiresGrad_();
    const [dxOnly] = gradients(T.conv2d(xo, wt, o), [xo], { gradOutputs: [up] });
    const [dwOnly] = gradients(T.conv2d(x, wo, o), [wo], { gradOutputs: [up] });
    return [y, dx, dw, dxOnly, dwOnly].map((t) => t.dataSync() as Float32Array);
  } finally {
    _setConvAlgorithm(prev);
  }
}

/**
 * Draws `trials` geometries with `draw` (which may also set chunk sizes, and
 * returns undefined for a geometry without output) and asserts that `algo`
 * gives im2col's results within 1e-5 of the largest value.
 */
function agreesWithIm2col(
  algo: ConvAlgorithm,
  trials: number,
  seed: number,
  draw: (rnd: (n: number) => number) => Geometry | undefined,
): void {
  const rnd = lcg(seed);
  try {
    for (let trial = 0; trial < trials;) {
      const c = draw(rnd);
      if (!c) continue;
      trial++;
      setBlasEnabled(c.gemm === "blas");
      setWasmEnabled(c.gemm === "wasm");
      const want = resultsUnder("im2col", c, trial), got = resultsUnder(algo, c, trial);
      want.forEach((wa, k) => {
        let scale = 1e-6, diff = 0;
        for (let i = 0; i < wa.length; i++) {
          scale = Math.max(scale, Math.abs(wa[i]));
          diff = Math.max(diff, Math.abs(wa[i] - got[k][i]));
        }
        const what = ["output", "dx", "dw", "dx alone", "dw alone"][k];
        assert.ok(
          diff <= 1e-5 * scale,
          `${what} differs by ${diff} (largest ${scale}) for ${JSON.stringify(c)}`,
        );
      });
    }
  } finally {
    setBlasEnabled(true);
    setWasmEnabled(true);
  }
}

Deno.test("shifted convolutions equal im2col over 300 random geometries (fixed seed)", () => {
  // Groups, kernels 1-4, dilation 1-2, every padding within the kernel's
  // reach, images from 1×1, chunks of 1 to 4096 positions.
  const prevBudget = SHIFTED_BUDGET.floats, prevRows = ROW_CHUNK.positions;
  try {
    agreesWithIm2col("shifted", 300, 12345, (rnd) => {
      const g = 1 + rnd(3), cg = 1 + rnd(6), fg = 1 + rnd(5);
      const kh = 1 + rnd(4), kw = 1 + rnd(4), dh = 1 + rnd(2), dw = 1 + rnd(2);
      const ph = rnd(dh * (kh - 1) + 1), pw = rnd(dw * (kw - 1) + 1);
      const h = 1 + rnd(9), w = 1 + rnd(9), n = 1 + rnd(4);
      const gemm = GEMMS[rnd(3)];
      ROW_CHUNK.positions = [1, 7, 50, 4096][rnd(4)];
      SHIFTED_BUDGET.floats = [1, prevBudget][rnd(2)];
      if (h + 2 * ph - dh * (kh - 1) < 1 || w + 2 * pw - dw * (kw - 1) < 1) return undefined;
      return { g, cg, fg, kh, kw, dh, dw, ph, pw, h, w, n, bias: false, gemm };
    });
  } finally {
    SHIFTED_BUDGET.floats = prevBudget;
    ROW_CHUNK.positions = prevRows;
  }
});

Deno.test("Winograd convolutions equal im2col over 200 random geometries (fixed seed)", () => {
  // 3×3 kernels: groups, 1-9 channels per group, images from 1×1, padding
  // 0-3 per axis, bias, chunks of 1 to 512 tiles.
  const prevTiles = WINOGRAD_CHUNK.tiles;
  try {
    agreesWithIm2col("winograd", 200, 777, (rnd) => {
      const g = 1 + rnd(3), cg = 1 + rnd(9), fg = 1 + rnd(9);
      const ph = rnd(4), pw = rnd(4), h = 1 + rnd(9), w = 1 + rnd(9), n = 1 + rnd(3);
      const gemm = GEMMS[rnd(3)], bias = rnd(2) === 0;
      WINOGRAD_CHUNK.tiles = [1, 7, 512][rnd(3)];
      if (h + 2 * ph - 2 < 1 || w + 2 * pw - 2 < 1) return undefined;
      return { g, cg, fg, kh: 3, kw: 3, dh: 1, dw: 1, ph, pw, h, w, n, bias, gemm };
    });
  } finally {
    WINOGRAD_CHUNK.tiles = prevTiles;
  }
});
