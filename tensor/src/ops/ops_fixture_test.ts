// Every core op against PyTorch 1.13 reference values (tensor/testdata/ops.json,
// made by _tools/fixtures/gen_ops.py): the output and the gradient of
// sum(output * r) for each float input; plus a numeric gradcheck on the same
// inputs, and the same op on a non-contiguous copy of the inputs.
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
  output: FixtureTensor;
  r?: FixtureTensor;
  grads?: FixtureTensor[];
}
const fx = await loadFixtures<Record<string, Case>>(
  new URL("../../testdata/ops.json", import.meta.url),
);
const i32 = (xs: number[]) => T.tensor(Int32Array.from(xs));
const IDX = () => T.tensor(new Int32Array([2, 0, 1, 1, 1, 0]), { shape: [2, 3] });

type Fn = (...xs: Tensor[]) => Tensor;
const ops: Record<string, Fn> = {
  abs: T.abs,
  sign: T.sign,
  neg: T.neg,
  exp: T.exp,
  log: T.log,
  log1p: T.log1p,
  expm1: T.expm1,
  sqrt: T.sqrt,
  rsqrt: T.rsqrt,
  square: T.square,
  reciprocal: T.reciprocal,
  sin: T.sin,
  cos: T.cos,
  tanh: T.tanh,
  erf: T.erf,
  floor: T.floor,
  ceil: T.ceil,
  round: T.round,
  trunc: T.trunc,
  sigmoid: T.sigmoid,
  relu: T.relu,
  relu6: T.relu6,
  leakyRelu: (x) => T.leakyRelu(x, { negativeSlope: 0.2 }),
  elu: (x) => T.elu(x, { alpha: 1.5 }),
  selu: T.selu,
  celu: (x) => T.celu(x, { alpha: 2 }),
  gelu: (x) => T.gelu(x),
  geluTanh: (x) => T.gelu(x, { approximate: "tanh" }),
  softplus: (x) => T.softplus(x, { beta: 2, threshold: 5 }),
  hardtanh: (x) => T.hardtanh(x, { minVal: -2, maxVal: 2 }),
  silu: T.silu,
  mish: T.mish,
  softsign: T.softsign,
  logSigmoid: T.logSigmoid,
  hardSigmoid: T.hardSigmoid,
  hardSwish: T.hardSwish,
  clamp: (x) => T.clamp(x, { min: -1, max: 2 }),
  clampMin: (x) => T.clamp(x, { min: 0.3 }),
  prelu: T.prelu,
  specialExp: T.exp,
  specialSigmoid: T.sigmoid,
  specialRelu: T.relu,
  specialTanh: T.tanh,
  isnan: T.isNan,
  isfinite: T.isFinite,
  heaviside: (x) => T.heaviside(x, 0.5),
  add: T.add,
  sub: T.sub,
  mul: T.mul,
  div: T.div,
  maximum: T.maximum,
  minimum: T.minimum,
  pow: T.pow,
  powScalar: (x) => T.pow(x, 3),
  rsub: (x) => T.rsub(x, 2),
  rdiv: (x) => T.rdiv(x, 2),
  eq: T.eq,
  lt: T.lt,
  ge: T.ge,
  where: T.where,
  sumAxes: (x) => T.sum(x, [0, 2]),
  sumKeep: (x) => T.sum(x, 1, { keepDim: true }),
  meanAll: (x) => T.mean(x),
  prod: (x) => T.prod(x, 1),
  maxAxis: (x) => T.max(x, -1),
  minAxes: (x) => T.min(x, [0, 1]),
  argmax: (x) => T.argmax(x, 1),
  argminFlat: (x) => T.argmin(x),
  varUnbiased: (x) => T.variance(x, 2),
  varBiasedKeep: (x) => T.variance(x, [0, 2], { unbiased: false, keepDim: true }),
  stdAll: (x) => T.std(x),
  floorDivide: (a, b) => T.floorDivide(a, b),
  floorDivideInt: (a, b) => T.floorDivide(a, b),
  remainder: (a, b) => T.remainder(a, b),
  remainderInt: (a, b) => T.remainder(a, b),
  fmod: (a, b) => T.fmod(a, b),
  fmodInt: (a, b) => T.fmod(a, b),
  atan2: (a, b) => T.atan2(a, b),
  normalize: (x) => T.normalize(x),
  normalizeP1Dim0: (x) => T.normalize(x, { p: 1, dim: 0 }),
  cdist: (a, b) => T.cdist(a, b),
  cdistP1Batched: (a, b) => T.cdist(a, b, { p: 1 }),
  sortAsc: (x) => T.sort(x, 1).values,
  sortAscIdx: (x) => T.sort(x, 1).indices,
  sortDescAxis0: (x) => T.sort(x, 0, { descending: true }).values,
  argsortDesc: (x) => T.argsort(x, -1, { descending: true }),
  topk: (x) => T.topk(x, 3, { axis: 1 }).values,
  topkIdx: (x) => T.topk(x, 3, { axis: 1 }).indices,
  topkSmallestAxis0: (x) => T.topk(x, 2, { axis: 0, largest: false }).values,
  powZeroBase: (a, b) => T.pow(a, b),
  rpowZero: (x) => T.pow(0, x),
  stdConstRow: (x) => T.std(x, 1, { unbiased: false, keepDim: true }),
  logsumexp: (x) => T.logsumexp(x.mul(50), 1),
  norm2: (x) => T.norm(x, { axes: 2 }),
  norm1: (x) => T.norm(x, { p: 1, axes: [0, 1] }),
  norm3: (x) => T.norm(x, { p: 3 }),
  normInf: (x) => T.norm(x, { p: Infinity, axes: 0 }),
  softmax: (x) => T.softmax(x.mul(10), 1),
  logSoftmax: (x) => T.logSoftmax(x.mul(10), -1),
  softmin: (x) => T.softmin(x, 0),
  cumsum: (x) => T.cumsum(x, 2),
  cumprod: (x) => T.cumprod(x, 1),
  cumprodZero: (x) => T.cumprod(x, 0),
  medianAll: (x) => T.median(x),
  medianAxis: (x) => T.median(x, 2).values,
  medianIdx: (x) => T.median(x, 2).indices,
  maxAlong: (x) => T.maxAlong(x, 1).values,
  maxAlongIdx: (x) => T.maxAlong(x, 1).indices,
  cat: (a, b) => T.cat([a, b], 1),
  stack: (a, b) => T.stack([a, b], 2),
  flip: (x) => T.flip(x, [0, 2]),
  roll: (x) => T.roll(x, [1, -2], [1, 2]),
  rollFlat: (x) => T.roll(x, 5),
  repeat: (x) => T.repeat(x, [2, 1, 3]),
  tile: (x) => T.tile(x, [2]),
  tril: (x) => T.tril(x, -1),
  triu: (x) => T.triu(x, 1),
  maskedFill: (x) => T.maskedFill(x, x.gt(0), -1),
  padConstant: (x) => T.pad(x, [1, 2, 0, 1], { value: 0.5 }),
  padReflect: (x) => T.pad(x, [2, 1, 1, 2], { mode: "reflect" }),
  padReplicate: (x) => T.pad(x, [2, 3], { mode: "replicate" }),
  padCircular: (x) => T.pad(x, [1, 2, 2, 1], { mode: "circular" }),
  gather: (x) => T.gather(x, 1, IDX()),
  indexSelect: (x) => T.indexSelect(x, 0, i32([2, 0, 2])),
  scatterAdd: (x, s) => T.scatterAdd(x, 1, IDX(), s),
  indexAdv: (x) => T.index(x, [null, i32([0, 2]), i32([1, 3])]),
  indexSplit: (x) => T.index(x, [i32([0, 1]), null, i32([1, 3])]),
  indexMask: (x) => T.index(x, [x.gt(0.5)]),
  einsumAttn: (q, k) => T.einsum("bhqd,bhkd->bhqk", q, k),
  einsumBilinear: (a, w, b) => T.einsum("bi,oij,bj->bo", a, w, b),
  einsumSum: (a) => T.einsum("ijk->j", a),
  linear: (x, w, b) => T.linear(x, w, b),
  matmulBatched: T.matmul,
  matmulVec: T.matmul,
};

// Ops whose numeric gradient is unreliable at the fixture's inputs (kinks, steps or ties).
const noNumeric = new Set([
  "abs",
  "sign",
  "floor",
  "ceil",
  "round",
  "trunc",
  "relu",
  "relu6",
  "leakyRelu",
  "hardtanh",
  "clamp",
  "clampMin",
  "hardSigmoid",
  "hardSwish",
  "prelu",
  "elu",
  "selu",
  "celu",
  "maskedFill",
  "indexMask",
  "normInf",
  "maximum",
  "minimum",
  "maxAxis",
  "minAxes",
  "medianAll",
  "medianAxis",
  "maxAlong",
  "norm1",
  "div",
  "logsumexp",
  "softmax",
  "logSoftmax",
  "cumprodZero",
  "stdConstRow",
  "sortAsc",
  "remainder",
  "fmod",
  "normalize",
  "powZeroBase",
  "rpowZero",
  "mish",
  "softplus",
]);

/** A copy of `t` laid out transposed in memory (same values, non-contiguous strides). */
function nonContiguous(t: Tensor): Tensor {
  if (t.ndim < 2) return t;
  const flipped = T.contiguous(T.transpose(t, 0, t.ndim - 1));
  const v = T.transpose(flipped, 0, t.ndim - 1);
  return t.requiresGrad ? v.detach().requiresGrad_() : v;
}

testOnBackends("every op case has a Dendrite mapping", () => {
  assert.deepEqual(Object.keys(fx).filter((k) => !(k in ops)), []);
});

for (const [name, c] of Object.entries(fx)) {
  const fn = ops[name];
  if (!fn) continue;
  testOnBackends(`${name} matches PyTorch values and gradients`, () => {
    const xs = c.inputs.map((f) => fromFixture(f, { requiresGrad: true }));
    const out = fn(...xs);
    const tol = { atol: 1e-5, rtol: 2e-4 };
    assert.equal(out.dtype, c.output.dtype ?? "float32", `${name} dtype`);
    assertClose(out, fromFixture(c.output), tol);
    if (c.grads && c.r) {
      const wrt = xs.filter((x) => x.requiresGrad);
      const gs = gradients(out.mul(fromFixture(c.r)).sum(), wrt, { allowUnused: true });
      gs.forEach((g, i) => assertClose(g, fromFixture(c.grads![i]), { atol: 1e-4, rtol: 1e-3 }));
      if (!noNumeric.has(name)) gradcheck(fn, xs, { eps: 1e-2, atol: 2e-3, rtol: 2e-2 });
    }
    // Same values from non-contiguous inputs.
    const nc = c.inputs.map((f) => nonContiguous(fromFixture(f)));
    assertClose(fn(...nc), fromFixture(c.output), tol);
  });
}

// The same cases on WebGPU (Mesa llvmpipe here): values and autograd
// gradients against PyTorch. Reads are asynchronous there, so the numeric
// gradcheck (which reads synchronously) stays on the CPU.
const NOT_ON_WEBGPU: Record<string, string> = {
  indexMask: "boolean-mask indexing needs Nonzero, whose output size depends on the data",
};
if (await T.initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  for (const [name, c] of Object.entries(fx)) {
    if (!ops[name] || NOT_ON_WEBGPU[name]) continue;
    Deno.test(`${name} matches PyTorch values and gradients [webgpu]`, async () => {
      // Expected values are decoded on the CPU, before switching.
      const want = fromFixture(c.output).dataSync();
      const wantGrads = (c.grads ?? []).map((g) => fromFixture(g).dataSync());
      T.setBackend("webgpu");
      try {
        const xs = c.inputs.map((f) => fromFixture(f, { requiresGrad: true }));
        const out = ops[name](...xs);
        assert.equal(out.backend.name, "webgpu");
        assert.equal(out.dtype, c.output.dtype ?? "float32", `${name} dtype`);
        assertClose(await out.data(), want, { atol: 1e-5, rtol: 2e-4 });
        if (c.grads && c.r) {
          const wrt = xs.filter((x) => x.requiresGrad);
          const gs = gradients(out.mul(fromFixture(c.r)).sum(), wrt, { allowUnused: true });
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
