// The shape, joining and indexing ops against PyTorch 1.13 reference values
// (tensor/testdata/shape.json, made by _tools/fixtures/gen_shape.py): the
// output(s) and the gradient of sum(output * r) for each float input, a
// numeric gradcheck on the same inputs, and the same op on non-contiguous
// (transposed in memory) inputs. Complements ops_fixture_test.ts with negative
// axes, several operands, empty tensors, int32/bool dtypes, list outputs,
// every einsum equation of a Transformer or bilinear layer, and more indexing.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import type { Tensor } from "@dendrite/tensor";
import { gradcheck, gradients } from "@dendrite/autograd";
import {
  assertClose,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
  testOnBackends,
} from "@dendrite/tensor/testing";

interface Case {
  inputs: FixtureTensor[];
  output?: FixtureTensor;
  outputs?: FixtureTensor[];
  rs?: FixtureTensor[];
  grads?: FixtureTensor[];
}
const fx = await loadFixtures<Record<string, Case>>(
  new URL("../../../testdata/shape.json", import.meta.url),
);
const ix = (xs: number[], shape?: number[]) =>
  T.tensor(Int32Array.from(xs), shape ? { shape } : {});
const mask = (xs: number[]) => T.tensor(Uint8Array.from(xs), { dtype: "bool" });

type Fn = (...xs: Tensor[]) => Tensor | Tensor[];
const ops: Record<string, Fn> = {
  catNegAxis: (a, b) => T.cat([a, b], -1),
  catThree: (a, b, c) => T.cat([a, b, c]),
  catEmpty1d: (a, b) => T.cat([a, b]),
  cat3d: (a, b) => T.cat([a, b], 1),
  catInt: (a, b) => T.cat([a, b], 1),
  catBool: (a, b) => T.cat([a, b]),
  stackNegAxis: (a, b, c) => T.stack([a, b, c], -1),
  stackFirst: (a, b) => T.stack([a, b]),
  stackInt: (a, b) => T.stack([a, b], 1),
  stackBool: (a, b) => T.stack([a, b], -1),
  splitSize: (x) => T.split(x, 2, 1),
  splitSections: (x) => T.split(x, [1, 0, 3], -1),
  chunk: (x) => T.chunk(x, 3, 1),
  chunkNeg: (x) => T.chunk(x, 2, -2),
  flipNeg: (x) => T.flip(x, [-1]),
  flipAll: (x) => T.flip(x, [0, 1]),
  flipInt: (x) => T.flip(x, [1]),
  flipBool: (x) => T.flip(x, [0, 1]),
  rollNeg: (x) => T.roll(x, -3, -1),
  rollBig: (x) => T.roll(x, [7, -4], [0, 1]),
  rollInt: (x) => T.roll(x, 1),
  repeatLead: (x) => T.repeat(x, [2, 1, 2]),
  repeatZero: (x) => T.repeat(x, [0, 2]),
  repeatMany: (x) => T.repeat(x, [2, 1, 3, 2, 2]),
  meshgridIJ: (a, b) => T.meshgrid([a, b]),
  meshgridXY3: (a, b, c) => T.meshgrid([a, b, c], { indexing: "xy" }),
  diagVector: (x) => T.diag(x, 1),
  diagVectorBelow: (x) => T.diag(x, -2),
  diagMatrix: (x) => T.diag(x, -1),
  diagonal3d: (x) => T.diagonal(x, 1, 2, 0),
  trace: (x) => T.trace(x),
  repeatInterleaveAxis: (x) => T.repeatInterleave(x, 3, 1),
  repeatInterleaveFlat: (x) => T.repeatInterleave(x, 2),
  lerpLow: (a, b) => T.lerp(a, b, 0.3),
  lerpHigh: (a, b) => T.lerp(a, b, 0.8),
  lerpTensor: (a, b, w) => T.lerp(a, b, w),
  unique: (x) => Object.values(T.unique(x)),
  uniqueInt: (x) => Object.values(T.unique(x)),
  histcRange: (x) => T.histc(x, { bins: 4, min: -1, max: 1 }),
  histcAuto: (x) => T.histc(x, { bins: 5 }),
  bincount: (x) => T.bincount(x),
  bincountWeightsMin: (x, w) => T.bincount(x, { weights: w, minlength: 8 }),
  isclose: (a, b) => T.isclose(a, b),
  iscloseEqualNanTol: (a, b) => T.isclose(a, b, { rtol: 1e-3, atol: 0, equalNan: true }),
  repeatInt: (x) => T.repeat(x, [1, 2]),
  tileMore: (x) => T.tile(x, [2, 1, 2]),
  tileFewer: (x) => T.tile(x, [3]),
  trilBatch: (x) => T.tril(x, 1),
  trilWide: (x) => T.tril(x),
  triuNeg: (x) => T.triu(x, -1),
  triuBool: (x) => T.triu(x),
  trilInt: (x) => T.tril(x, -1),
  maskedFillBcast: (x) => T.maskedFill(x, mask([1, 0, 0, 1]), 2.5),
  maskedFillInt: (x) => T.maskedFill(x, x.gt(5), -7),
  padConstantNeg: (x) => T.pad(x, [-1, 2, 1, -1]),
  padConstant3: (x) => T.pad(x, [1, 0, 0, 2, 1, 1], { value: -2 }),
  padConstantInt: (x) => T.pad(x, [2, 1], { value: 9 }),
  padReflect1d: (x) => T.pad(x, [3, 4], { mode: "reflect" }),
  padReflect2d: (x) => T.pad(x, [1, 1, 2, 2], { mode: "reflect" }),
  padReplicate2d: (x) => T.pad(x, [1, 3, 2, 0], { mode: "replicate" }),
  padReplicate3d: (x) => T.pad(x, [1, 0, 0, 1, 1, 1], { mode: "replicate" }),
  padCircular1d: (x) => T.pad(x, [3, 1], { mode: "circular" }),
  padCircular2d: (x) => T.pad(x, [0, 2, 3, 3], { mode: "circular" }),
  gatherAxis0: (x) => T.gather(x, 0, ix([2, 0, 1, 1, 0, 0, 2, 2], [2, 4])),
  gatherNeg: (x) => T.gather(x, -1, ix([3, 3, 0, 1, 1, 2], [3, 2])),
  gatherSmaller: (x) => T.gather(x, 1, ix([1, 0, 1, 2, 2, 0], [2, 3, 1])),
  gather3d: (x) => T.gather(x, 2, ix([...Array(24).keys()].map((i) => (i * 5) % 4), [2, 3, 4])),
  gatherInt: (x) => T.gather(x, 1, ix([3, 0, 1, 1, 2, 2], [3, 2])),
  gatherBool: (x) => T.gather(x, 0, ix([2, 1, 0, 0], [1, 4])),
  indexSelectNeg: (x) => T.indexSelect(x, -1, ix([3, 1, 1, 0, 3])),
  indexSelectMid: (x) => T.indexSelect(x, 1, ix([2, 0])),
  indexSelectInt: (x) => T.indexSelect(x, 0, ix([2, 2, 0])),
  scatterAddAxis0: (x, s) => T.scatterAdd(x, 0, ix([0, 2, 0, 0, 0, 1], [2, 3]), s),
  scatterAddBigSrc: (x, s) => T.scatterAdd(x, -1, ix([1, 1, 0, 3, 2, 2], [3, 2]), s),
  indexAdd: (x, s) => T.indexAdd(x, 1, ix([2, 0, 2]), s),
  oneHotInfer: (i) => T.oneHot(i),
  oneHotClasses: (i) => T.oneHot(i, 5),
  indexFirst: (x) => T.index(x, [ix([1, 0, 1])]),
  indexLast: (x) => T.index(x, [null, null, ix([-1, 0])]),
  indexBcast: (x) => T.index(x, [ix([0, 1], [2, 1]), null, ix([1, 2, 3])]),
  indexBcastAdj: (x) => T.index(x, [null, ix([0, 2], [2, 1]), ix([1, 3])]),
  indexIntAdv: (x) => T.index(x, [1, null, ix([0, 3, 3])]),
  indexRangeAdv: (x) => T.index(x, [null, [0, 3, 2], ix([1, 2, 0, 0], [2, 2])]),
  indexNumbers: (x) => T.index(x, [1, 2]),
  indexMask2d: (x) => T.index(x, [T.slice(x, [null, null, 0]).gt(0)]),
  indexMaskInner: (x) => T.index(x, [null, mask([1, 0, 1])]),
  indexMaskThenInt: (x) => T.index(x, [null, mask([0, 1, 1]), 1]),
  indexInt: (x) => T.index(x, [ix([2, 0]), ix([-1, 1])]),
  indexBool: (x) => T.index(x, [ix([0, 2])]),
  einsumMatmul: (a, b) => T.einsum("ij,jk->ik", a, b),
  einsumBmm: (a, b) => T.einsum("bij,bjk->bik", a, b),
  einsumScores: (q, k) => T.einsum("bhqd,bhkd->bhqk", q, k),
  einsumMix: (p, v) => T.einsum("bhqk,bhkd->bhqd", p, v),
  einsumBilinear: (a, w, b) => T.einsum("bi,oij,bj->bo", a, w, b),
  einsumDot: (a, b) => T.einsum("i,i->", a, b),
  einsumTranspose: (a) => T.einsum("ij->ji", a),
  einsumDiag: (a) => T.einsum("ii->i", a),
  einsumTrace: (a) => T.einsum("ii", a),
  einsumDiagBatch: (a) => T.einsum("iji->ji", a),
  einsumImplicit: (a, b) => T.einsum("ij,jk", a, b),
  einsumImplicitOrder: (a, b) => T.einsum("kj,ji", a, b),
  einsumOuter: (a, b) => T.einsum("i,j->ij", a, b),
  einsumSumAll: (a) => T.einsum("ij->", a),
  einsumBroadcast: (a, b) => T.einsum("bij,bjk->bik", a, b),
  einsumHadamard: (a, b) => T.einsum("ij,ij->ij", a, b),
  einsumEmpty: (a, b) => T.einsum("ij,jk->ik", a, b),
  linearNoBias: (x, w) => T.linear(x, w),
  linearVector: (x, w, b) => T.linear(x, w, b),
  linear4d: (x, w, b) => T.linear(x, w, b),
};

// The selection itself depends on x: a numeric step could flip the mask.
const noNumeric = new Set(["indexMask2d"]);

const asList = (y: Tensor | Tensor[]): Tensor[] => (Array.isArray(y) ? y : [y]);

/** A copy of `t` laid out transposed in memory (same values, non-contiguous strides). */
function nonContiguous(t: Tensor): Tensor {
  if (t.ndim < 2) return t;
  const v = T.transpose(T.contiguous(T.transpose(t, 0, t.ndim - 1)), 0, t.ndim - 1);
  if (t.shape[0] > 1 && t.shape[t.ndim - 1] > 1) assert.ok(!v.isContiguous, "non-contiguous");
  return v;
}

testOnBackends("shape fixtures every case has a Dendrite mapping", () => {
  assert.deepEqual(Object.keys(fx).filter((k) => !(k in ops)), []);
  assert.deepEqual(Object.keys(ops).filter((k) => !(k in fx)), []);
});

for (const [name, c] of Object.entries(fx)) {
  const fn = ops[name];
  if (!fn) continue;
  testOnBackends(`${name} matches PyTorch values and gradients`, () => {
    const xs = c.inputs.map((f) => fromFixture(f, { requiresGrad: true }));
    const want = c.outputs ?? [c.output!];
    const outs = asList(fn(...xs));
    const tol = { atol: 1e-5, rtol: 2e-4 };
    assert.equal(outs.length, want.length, `${name} number of outputs`);
    outs.forEach((o, i) => {
      assert.equal(o.dtype, want[i].dtype ?? "float32", `${name} dtype`);
      assertClose(o, fromFixture(want[i]), tol);
    });
    if (c.grads && c.rs) {
      const wrt = xs.filter((x) => x.requiresGrad);
      const rs = c.rs.map((r) => fromFixture(r));
      const total = outs.map((o, i) => o.mul(rs[i]).sum()).reduce((p, q) => p.add(q));
      const gs = gradients(total, wrt, { allowUnused: true });
      assert.equal(gs.length, c.grads.length);
      gs.forEach((g, i) => assertClose(g, fromFixture(c.grads![i]), { atol: 1e-4, rtol: 1e-3 }));
      if (!noNumeric.has(name)) {
        const one = (...ys: Tensor[]) => T.cat(asList(fn(...ys)).map((o) => T.reshape(o, [-1])));
        gradcheck(one, xs, { eps: 1e-2, atol: 2e-3, rtol: 2e-2 });
      }
    }
    // Same values from non-contiguous inputs.
    const nc = asList(fn(...c.inputs.map((f) => nonContiguous(fromFixture(f)))));
    nc.forEach((o, i) => assertClose(o, fromFixture(want[i]), tol));
  });
}

// The same cases on WebGPU (Mesa llvmpipe here): values and autograd
// gradients against PyTorch (the numeric gradcheck, which reads
// synchronously, stays on the CPU).
const NOT_ON_WEBGPU: Record<string, string> = {
  indexMask2d: "boolean-mask indexing needs Nonzero, whose output size depends on the data",
  indexMaskInner: "boolean-mask indexing needs Nonzero, whose output size depends on the data",
  indexMaskThenInt: "boolean-mask indexing needs Nonzero, whose output size depends on the data",
  oneHotInfer: "inferring the number of classes needs the values",
  bincount: "without minlength the length depends on the values",
  histcAuto: "without a range, the range comes from the values",
  unique: "the output size depends on the values",
  uniqueInt: "the output size depends on the values",
};
if (await T.initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  for (const [name, c] of Object.entries(fx)) {
    if (!ops[name] || NOT_ON_WEBGPU[name]) continue;
    Deno.test(`${name} matches PyTorch values and gradients [webgpu]`, async () => {
      // Expected values are decoded on the CPU, before switching.
      const want = (c.outputs ?? [c.output!]).map((o) => fromFixture(o));
      const wantGrads = (c.grads ?? []).map((g) => fromFixture(g).dataSync());
      T.setBackend("webgpu");
      try {
        const xs = c.inputs.map((f) => fromFixture(f, { requiresGrad: true }));
        const outs = asList(ops[name](...xs));
        assert.equal(outs.length, want.length, `${name} number of outputs`);
        for (let i = 0; i < outs.length; i++) {
          assert.equal(outs[i].backend.name, "webgpu");
          assert.equal(outs[i].dtype, want[i].dtype, `${name} dtype`);
          assertClose(await outs[i].data(), want[i].dataSync(), { atol: 1e-5, rtol: 2e-4 });
        }
        if (c.grads && c.rs) {
          const wrt = xs.filter((x) => x.requiresGrad);
          const rs = c.rs.map((r) => fromFixture(r));
          const total = outs.map((o, i) => o.mul(rs[i]).sum()).reduce((p, q) => p.add(q));
          const gs = gradients(total, wrt, { allowUnused: true });
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
