import assert from "node:assert/strict";
import { Generator, ones, setWasmEnabled, tensor, wasmInfo } from "@dendrite/tensor";
import { Adam, AdamW } from "@dendrite/optimizers";
import { adamStepWasm } from "./wasm_adam.ts";

/** PyTorch's Adam step in float32, one rounding per operation, in its order. */
function reference(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  a: {
    stepSize: number;
    beta1: number;
    beta2: number;
    bc2Sqrt: number;
    eps: number;
    decay: number;
  },
): void {
  const f = Math.fround;
  const [b1, c1, b2, c2] = [f(a.beta1), f(1 - a.beta1), f(a.beta2), f(1 - a.beta2)];
  const [bc, eps, ns, dec] = [f(a.bc2Sqrt), f(a.eps), f(-a.stepSize), f(a.decay)];
  for (let i = 0; i < p.length; i++) {
    const mi = f(f(b1 * m[i]) + f(c1 * g[i]));
    const vi = f(f(b2 * v[i]) + f(f(c2 * g[i]) * g[i]));
    const denom = f(f(f(Math.sqrt(vi)) / bc) + eps);
    p[i] = f(f(p[i] * dec) + f(ns * f(mi / denom)));
    m[i] = mi;
    v[i] = vi;
  }
}

Deno.test("the WebAssembly Adam step is PyTorch's float32 arithmetic, bit for bit, across chunks and ragged ends", () => {
  assert.ok(wasmInfo().enabled, `Deno has WebAssembly SIMD: ${wasmInfo().reason}`);
  const rng = new Generator(8);
  for (const [n, decay] of [[10_007, 1], [3, 0.999], [8192, 0.99]]) {
    const off = 5;
    const fill = (scale: number) =>
      rng.fillNormal(new Float32Array(off + n + 3)).map((x) => x * scale);
    const p = fill(1), g = fill(0.1), m = fill(0.01), v = fill(0.001).map(Math.abs);
    const want = [p, g, m, v].map((x) => x.slice(off, off + n));
    const a = {
      stepSize: 1e-3 / (1 - 0.9 ** 3),
      beta1: 0.9,
      beta2: 0.999,
      bc2Sqrt: Math.sqrt(1 - 0.999 ** 3),
      eps: 1e-8,
      decay,
    };
    reference(want[0], want[1], want[2], want[3], a);
    const before = [p, m, v].map((x) => [...x.subarray(0, off), ...x.subarray(off + n)]);
    assert.ok(adamStepWasm(p, off, g, off, m, off, v, off, n, a));
    assert.deepEqual(p.subarray(off, off + n), want[0], `parameter, n = ${n}`);
    assert.deepEqual(m.subarray(off, off + n), want[2], `first moment, n = ${n}`);
    assert.deepEqual(v.subarray(off, off + n), want[3], `second moment, n = ${n}`);
    // Nothing outside the n elements is touched.
    [p, m, v].forEach((x, i) =>
      assert.deepEqual([...x.subarray(0, off), ...x.subarray(off + n)], before[i])
    );
  }
});

Deno.test("Adam and AdamW give the same trajectory in WebAssembly and in TypeScript", () => {
  for (
    const make of [
      (ps: never[]) => new Adam(ps, { lr: 0.05 }),
      (ps: never[]) => new AdamW(ps, { lr: 0.05, weightDecay: 0.1 }),
    ]
  ) {
    const run = (wasm: boolean) => {
      setWasmEnabled(wasm);
      try {
        const w = tensor(Array.from({ length: 37 }, (_, i) => Math.sin(i)), { requiresGrad: true });
        const opt = make([w] as never[]);
        for (let step = 0; step < 20; step++) {
          opt.zeroGrad();
          w.square().mul(ones([37]).mul(0.5)).sum().backward();
          opt.step();
        }
        return w.dataSync() as Float32Array;
      } finally {
        setWasmEnabled(true);
      }
    };
    const a = run(true), b = run(false);
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) <= 1e-5, `${i}: ${a[i]} vs ${b[i]}`);
    }
    assert.notDeepEqual(a, b); // float32 against double arithmetic: the two paths really ran
  }
});
