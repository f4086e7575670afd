// Kernels that take pooled arrays without zeroing them (every element is
// written) must give the same result whatever the reused array held.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";

/** Fills the CPU pool with NaN arrays of each size, then disposes them. */
function poison(...shapes: number[][]): void {
  for (const s of shapes) {
    T.full(s, NaN).dispose();
    T.full(s, -7, { dtype: "int32" }).dispose();
  }
}

function same(a: T.Tensor, b: T.Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, what);
  const x = a.dataSync(), y = b.dataSync();
  for (let i = 0; i < x.length; i++) assert.ok(Object.is(x[i], y[i]), `${what}: element ${i}`);
}

Deno.test("outputs written over reused pool arrays do not depend on their old contents", () => {
  const g = new T.Generator(5);
  const x = T.randn([4, 16, 8, 8], { rng: g, requiresGrad: true });
  const w = T.randn([8, 16, 3, 3], { rng: g, requiresGrad: true });
  const ops: [string, () => T.Tensor[]][] = [
    ["relu", () => [x.detach().relu()]],
    ["copy of a transposed view", () => [x.detach().transpose(1, 3).contiguous()]],
    ["batchNorm", () => [T.batchNorm(x.detach(), null, null, null, null, { training: true })]],
    ["maxPool2d", () => {
      const r = T.maxPool2dWithIndices(x.detach(), 2);
      return [r.values, r.indices];
    }],
    ["conv2d and both gradients", () => {
      const y = T.conv2d(x, w, { padding: 1 });
      const up = T.ones(y.shape);
      return [y, ...gradients(y, [x, w], { gradOutputs: [up] })];
    }],
  ];
  for (const [name, op] of ops) {
    const ref = op();
    poison(...ref.map((t) => [...t.shape]), [4, 16, 8, 8], [4, 8, 8, 8]);
    const got = op();
    ref.forEach((r, i) => same(got[i], r, `${name} output ${i}`));
  }
});
