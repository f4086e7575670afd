// The elementwise ops against PyTorch 1.13 (tensor/testdata/elementwise.json,
// made by _tools/fixtures/gen_elementwise.py): values (including NaN, ±inf,
// ±0 and ±1e30), dtypes, and the gradient of sum(output * r) at inputs that
// include every op's kinks; then numeric gradchecks away from the kinks,
// non-contiguous and empty inputs, and argument errors.
import assert from "node:assert/strict";
import {
  abs,
  celu,
  clamp,
  contiguous,
  DTypeError,
  elu,
  gelu,
  hardtanh,
  heaviside,
  isNan,
  leakyRelu,
  prelu,
  relu,
  ShapeError,
  sigmoid,
  slice,
  softplus,
  stack,
  step,
  type Tensor,
  tensor,
  transpose,
  zeros,
} from "@dendrite/tensor";
import * as T from "@dendrite/tensor";
import {
  assertClose,
  assertThrowsMessage,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
  testOnBackends,
} from "@dendrite/tensor/testing";
import { gradcheck, gradgradcheck, gradients } from "@dendrite/autograd";

interface Case {
  inputs: FixtureTensor[];
  output: FixtureTensor;
  r?: FixtureTensor;
  grads?: FixtureTensor[];
}
const fx = await loadFixtures<Record<string, Case>>(
  new URL("../../../testdata/elementwise.json", import.meta.url),
);

type Unary = (x: Tensor) => Tensor;
/** Every unary op under its fixture name, with the fixture's options. */
const unary: Record<string, Unary> = {
  abs: T.abs,
  sign: T.sign,
  log1p: T.log1p,
  expm1: T.expm1,
  rsqrt: T.rsqrt,
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
  leakyRelu: (x) => leakyRelu(x),
  leakyRelu02: (x) => leakyRelu(x, { negativeSlope: 0.2 }),
  elu: (x) => elu(x),
  elu15: (x) => elu(x, { alpha: 1.5 }),
  selu: T.selu,
  celu: (x) => celu(x),
  celu2: (x) => celu(x, { alpha: 2 }),
  gelu: (x) => gelu(x),
  geluTanh: (x) => gelu(x, { approximate: "tanh" }),
  softplus: (x) => softplus(x),
  softplusBeta: (x) => softplus(x, { beta: 2, threshold: 5 }),
  hardtanh: (x) => hardtanh(x),
  hardtanh22: (x) => hardtanh(x, { minVal: -2, maxVal: 2 }),
  hardtanhCrossed: (x) => hardtanh(x, { minVal: 2, maxVal: 1 }),
  step: T.step,
  clamp: (x) => clamp(x, { min: -1, max: 2.5 }),
  clampMin: (x) => clamp(x, { min: 0.25 }),
  clampMax: (x) => clamp(x, { max: -0.5 }),
  clampCrossed: (x) => clamp(x, { min: 2, max: 1 }),
  clampFrac: (x) => clamp(x, { max: 1.5 }),
  silu: T.silu,
  mish: T.mish,
  softsign: T.softsign,
  logSigmoid: T.logSigmoid,
  hardSigmoid: T.hardSigmoid,
  hardSwish: T.hardSwish,
  isNan: T.isNan,
  isFinite: T.isFinite,
  heaviside: (x) => heaviside(x, 0.5),
};
const binary: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  heavisideBroadcast: heaviside,
  prelu,
  preluSingle: prelu,
  prelu4d: prelu,
};
const int: Record<string, Unary> = {
  ...unary,
  clamp: (x) => clamp(x, { min: -2, max: 4 }),
  heaviside: (x) => heaviside(x, 7),
};

function opFor(name: string): (...xs: Tensor[]) => Tensor {
  if (name.startsWith("special_")) return unary[name.slice(8)];
  if (name.startsWith("int_")) return int[name.slice(4)];
  return (unary[name] ?? binary[name]) as (...xs: Tensor[]) => Tensor;
}

/** A copy of `t` laid out transposed in memory (same values, non-contiguous). */
function transposedLayout(t: Tensor): Tensor {
  return transpose(contiguous(transpose(t, 0, t.ndim - 1)), 0, t.ndim - 1);
}

/** A view of `t`'s values with stride 2 on the last axis (every other element of a wider tensor). */
function steppedLayout(t: Tensor): Tensor {
  const wide = stack([t, zeros(t.shape, { dtype: t.dtype })], t.ndim);
  return slice(wide, [...t.shape.map(() => null), 0]);
}

const VALUES = { atol: 1e-6, rtol: 2e-5 };
const GRADS = { atol: 1e-5, rtol: 1e-4 };

testOnBackends("elementwise fixtures all have a Dendrite op", () => {
  assert.deepEqual(Object.keys(fx).filter((k) => !opFor(k)), []);
  // Every unary op has a PyTorch fixture on the common input and on special values.
  for (const k of Object.keys(unary)) {
    if (k === "clampFrac") continue; // int32-only case
    if (!["isNan", "isFinite"].includes(k)) assert.ok(k in fx, `fixture ${k}`);
    assert.ok(`special_${k}` in fx || k in fx, `special fixture ${k}`);
  }
});

for (const [name, c] of Object.entries(fx)) {
  testOnBackends(`${name} matches PyTorch values, dtype and gradients`, () => {
    const fn = opFor(name);
    // Special-value cases check values only; the others track gradients.
    const requiresGrad = !name.startsWith("special_");
    const xs = c.inputs.map((f) => fromFixture(f, { requiresGrad }));
    const out = fn(...xs);
    assert.equal(out.dtype, c.output.dtype ?? "float32", `${name} dtype`);
    assert.deepEqual(out.shape, c.output.shape);
    assertClose(out, fromFixture(c.output), VALUES);
    if (c.r && c.grads) {
      const wrt = xs.filter((x) => x.requiresGrad);
      const gs = gradients(out.mul(fromFixture(c.r)).sum(), wrt, { allowUnused: true });
      gs.forEach((g, i) => assertClose(g, fromFixture(c.grads![i]), GRADS));
    } else if (requiresGrad) {
      assert.equal(out.requiresGrad, false, `${name} output must not require grad`);
    }
  });
}

testOnBackends("elementwise ops give the same values on non-contiguous inputs", () => {
  for (const [name, c] of Object.entries(fx)) {
    if (name.startsWith("special_")) continue;
    const fn = opFor(name);
    const expected = fromFixture(c.output);
    const xs = c.inputs.map((f) => fromFixture(f));
    const layouts = xs[0].ndim >= 2 ? [transposedLayout, steppedLayout] : [steppedLayout];
    for (const layout of layouts) {
      const nc = xs.map((x) => (x.ndim >= 1 && x.size > 1 ? layout(x) : x));
      assert.ok(nc.some((x) => !x.isContiguous), `${name}: input should be non-contiguous`);
      const out = fn(...nc);
      assert.equal(out.dtype, expected.dtype);
      assertClose(out, expected, VALUES);
    }
  }
});

testOnBackends("elementwise ops return empty tensors for empty inputs", () => {
  for (const [name, fn] of Object.entries(unary)) {
    const out = fn(zeros([0, 3]));
    assert.deepEqual(out.shape, [0, 3], name);
    assert.equal(out.dataSync().length, 0, name);
  }
  assert.deepEqual(prelu(zeros([0, 3, 2]), tensor([0.1, 0.2, 0.3])).shape, [0, 3, 2]);
  assert.deepEqual(heaviside(zeros([2, 0]), zeros([1])).shape, [2, 0]);
});

// Inputs away from every kink (0, ±1, ±2, ±2.5, ±3, 6, the clamp bounds) for numeric gradients.
const G = () => tensor([[-4.1, -2.2, -0.7, -0.3], [0.4, 1.3, 2.7, 4.6]], { requiresGrad: true });
const GP = () => tensor([[0.3, 0.7, 1.2], [1.9, 2.6, 4.2]], { requiresGrad: true });
const NUMERIC = { eps: 1e-2, atol: 2e-3, rtol: 2e-2 };

/** Differentiable ops: [name, fn, positive-domain input?, smooth (gradgradcheck)?]. */
const differentiable: [string, Unary, boolean, boolean][] = [
  ["abs", T.abs, false, false],
  ["sign", T.sign, false, false],
  ["log1p", T.log1p, true, true],
  ["expm1", T.expm1, false, true],
  ["rsqrt", T.rsqrt, true, true],
  ["reciprocal", T.reciprocal, true, true],
  ["sin", T.sin, false, true],
  ["cos", T.cos, false, true],
  ["tanh", T.tanh, false, true],
  ["erf", T.erf, false, true],
  ["floor", T.floor, false, false],
  ["ceil", T.ceil, false, false],
  ["round", T.round, false, false],
  ["trunc", T.trunc, false, false],
  ["sigmoid", T.sigmoid, false, true],
  ["relu", T.relu, false, false],
  ["relu6", T.relu6, false, false],
  ["leakyRelu", (x) => leakyRelu(x, { negativeSlope: 0.2 }), false, false],
  ["elu", (x) => elu(x, { alpha: 1.5 }), false, true],
  ["selu", T.selu, false, true],
  ["celu", (x) => celu(x, { alpha: 2 }), false, true],
  ["gelu", (x) => gelu(x), false, true],
  ["geluTanh", (x) => gelu(x, { approximate: "tanh" }), false, true],
  ["softplus", (x) => softplus(x, { beta: 2, threshold: 5 }), false, true],
  ["hardtanh", (x) => hardtanh(x, { minVal: -2, maxVal: 2 }), false, false],
  ["step", T.step, false, false],
  ["clamp", (x) => clamp(x, { min: -1, max: 2.5 }), false, false],
  ["clampMin", (x) => clamp(x, { min: 0.25 }), false, false],
  ["silu", T.silu, false, true],
  ["mish", T.mish, false, true],
  ["softsign", T.softsign, false, true],
  ["logSigmoid", T.logSigmoid, false, true],
  ["hardSigmoid", T.hardSigmoid, false, false],
  ["hardSwish", T.hardSwish, false, true],
];

for (const [name, fn, positive, smooth] of differentiable) {
  testOnBackends(
    `${name} gradient matches numeric differences${smooth ? " to second order" : ""}`,
    () => {
      const x = positive ? GP() : G();
      gradcheck(fn, [x], NUMERIC);
      if (smooth) gradgradcheck(fn, [x], NUMERIC);
    },
  );
}

testOnBackends("prelu gradients match numeric differences for input and weight", () => {
  const x = tensor([[[-1.3, 0.4], [2.1, -0.6], [-2.2, 0.9]]], { requiresGrad: true });
  const w = tensor([0.1, -0.2, 0.3], { requiresGrad: true });
  gradcheck(prelu, [x, w], NUMERIC);
  gradgradcheck(prelu, [x, w], NUMERIC);
  gradcheck(prelu, [x, tensor([0.25], { requiresGrad: true })], NUMERIC);
});

testOnBackends("kink gradients follow PyTorch: relu 0 at 0, clamp passes at its bounds", () => {
  const x = tensor([-1, 0, 1, 2], { requiresGrad: true });
  relu(x).sum().backward();
  assertClose(x.grad!, [0, 0, 1, 1]);
  x.zeroGrad();
  clamp(x, { min: 0, max: 1 }).sum().backward();
  assertClose(x.grad!, [0, 1, 1, 0]);
  x.zeroGrad();
  hardtanh(x, { minVal: 0, maxVal: 1 }).sum().backward();
  assertClose(x.grad!, [0, 0, 0, 0]);
  x.zeroGrad();
  step(x).sum().backward();
  assertClose(x.grad!, [0, 0, 0, 0]);
});

testOnBackends("integer and bool inputs follow PyTorch's dtype rules", () => {
  const i = tensor(new Int32Array([-2, 0, 3]));
  for (
    const [name, fn] of Object.entries({ abs, relu, sign: T.sign, floor: T.floor, round: T.round })
  ) {
    assert.equal(fn(i).dtype, "int32", name);
  }
  assert.equal(clamp(i, { min: 0, max: 2 }).dtype, "int32");
  assert.equal(hardtanh(i).dtype, "int32");
  assert.equal(clamp(i, { min: 0.5 }).dtype, "float32");
  assertClose(clamp(i, { min: 0.5 }), [0.5, 0.5, 3]);
  assert.equal(sigmoid(i).dtype, "float32");
  assertClose(sigmoid(i), [0.11920292, 0.5, 0.95257413]);
  assert.equal(heaviside(i, 0.5).dtype, "float32");
  const b = tensor([true, false]);
  assert.equal(isNan(b).dtype, "bool");
  assert.equal(T.sign(b).dtype, "bool");
  assertThrowsMessage(
    () => abs(b),
    DTypeError,
    'Cannot apply abs() to a bool tensor: convert it with .cast("int32") or .cast("float32") first',
  );
  assertThrowsMessage(
    () => T.relu6(b),
    DTypeError,
    'Cannot apply relu6() to a bool tensor: convert it with .cast("int32") or .cast("float32") first',
  );
});

testOnBackends("heaviside and isNan are not differentiable", () => {
  const x = tensor([-1, 0, 2], { requiresGrad: true });
  assert.equal(heaviside(x, 0.5).requiresGrad, false);
  assert.equal(heaviside(x, tensor([0.5], { requiresGrad: true })).requiresGrad, false);
  assert.equal(isNan(x).requiresGrad, false);
  assert.equal(T.isFinite(x).requiresGrad, false);
});

testOnBackends("prelu rejects weights that do not match the channels", () => {
  assertThrowsMessage(
    () => prelu(zeros([2, 3, 4]), zeros([2])),
    ShapeError,
    "Cannot apply prelu() to input [2, 3, 4] with weight [2]: expected 1 or 3 weights (one per channel on axis 1)",
  );
  assertThrowsMessage(
    () => prelu(zeros([3]), zeros([3])),
    ShapeError,
    "Cannot apply prelu() to input [3] with weight [3]: a 1-D input takes a single weight",
  );
  assertThrowsMessage(
    () => prelu(zeros([2, 3]), zeros([3, 1])),
    ShapeError,
    "Cannot apply prelu() with weight [3, 1]: expected a 0-D or 1-D weight",
  );
  assertClose(prelu(tensor([[-2, 2]]), tensor(0.5)), [[-1, 2]]);
});

testOnBackends("elementwise options are checked before dispatch", () => {
  const x = tensor([1, -1]);
  assertThrowsMessage(
    () => gelu(x, { approximate: "erf" as "none" }),
    RangeError,
    'Cannot apply gelu() with approximate "erf": expected "none" or "tanh"',
  );
  assertThrowsMessage(
    () => celu(x, { alpha: 0 }),
    RangeError,
    "Cannot apply celu() with alpha 0: expected a non-zero alpha",
  );
  assertThrowsMessage(
    () => clamp(x, {}),
    TypeError,
    "Cannot apply clamp() without bounds: expected min, max or both",
  );
  assertThrowsMessage(
    () => leakyRelu(x, { negativeSlope: "0.1" as unknown as number }),
    TypeError,
    "Cannot apply leakyRelu() with negativeSlope 0.1: expected a number",
  );
  assertThrowsMessage(
    () => clamp(x, { min: null as unknown as number }),
    TypeError,
    "Cannot apply clamp() with min null: expected a number",
  );
});

// The same fixtures on WebGPU (Mesa llvmpipe here), special values included:
// the WGSL kernels must give PyTorch's numbers too. WGSL promises sin and cos
// only near [-π, π]; llvmpipe's are exact to float32 up to |x| = 1e7 and
// return ±1 from about 1e10, so their special cases skip the ±1e30 inputs.
const WEBGPU_ARGUMENT_LIMIT: Record<string, number> = { special_sin: 1e7, special_cos: 1e7 };
if (await T.initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  for (const [name, c] of Object.entries(fx)) {
    Deno.test(`${name} matches PyTorch values, dtype and gradients [webgpu]`, async () => {
      const limit = WEBGPU_ARGUMENT_LIMIT[name] ?? Infinity;
      const skip = [...fromFixture(c.inputs[0]).dataSync()].map((v) => Math.abs(v) > limit);
      const want = fromFixture(c.output).dataSync().map((v, i) => (skip[i] ? 0 : v));
      const wantGrads = (c.grads ?? []).map((g) => fromFixture(g).dataSync());
      T.setBackend("webgpu");
      try {
        const requiresGrad = !name.startsWith("special_");
        const xs = c.inputs.map((f) => fromFixture(f, { requiresGrad }));
        const out = opFor(name)(...xs);
        assert.equal(out.backend.name, "webgpu");
        assert.equal(out.dtype, c.output.dtype ?? "float32", `${name} dtype`);
        assertClose((await out.data()).map((v, i) => (skip[i] ? 0 : v)), want, VALUES);
        if (c.r && c.grads) {
          const wrt = xs.filter((x) => x.requiresGrad);
          const gs = gradients(out.mul(fromFixture(c.r)).sum(), wrt, { allowUnused: true });
          for (let i = 0; i < gs.length; i++) assertClose(await gs[i].data(), wantGrads[i], GRADS);
        }
      } finally {
        T.setBackend("cpu");
      }
    });
  }
}
