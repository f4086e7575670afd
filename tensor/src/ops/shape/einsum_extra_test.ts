// einsum and linear: malformed equations, mismatched sizes, Linear-style
// errors and second derivatives (values and gradients against PyTorch are in
// shape_fixture_extra_test.ts).
import assert from "node:assert/strict";
import { einsum, linear, matmul, ShapeError, tensor, zeros } from "@dendrite/tensor";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";
import { gradcheck, gradgradcheck } from "@dendrite/autograd";

/** Deterministic values in [-1, 1] for a shape. */
function vals(shape: number[], seed: number) {
  const n = shape.reduce((p, q) => p * q, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));
  return tensor(data, { shape, requiresGrad: true });
}

testOnBackends("einsum rejects malformed equations", () => {
  const a = zeros([2, 3]);
  assertThrowsMessage(
    () => einsum("ij,jk->ik->i", a, zeros([3, 2])),
    RangeError,
    'Cannot parse einsum equation "ij,jk->ik->i": "->" may appear at most once',
  );
  assertThrowsMessage(
    () => einsum("i1,jk", a, a),
    RangeError,
    'Cannot parse einsum equation "i1,jk": subscripts must be letters (ellipses are not supported)',
  );
  assertThrowsMessage(
    () => einsum("...ij->ij", a),
    RangeError,
    'Cannot parse einsum equation "...ij->ij": subscripts must be letters (ellipses are not supported)',
  );
  assertThrowsMessage(
    () => einsum("ij->z", a),
    RangeError,
    'Cannot parse einsum equation "ij->z": output subscript "z" appears in no input',
  );
  assertThrowsMessage(
    () => einsum("ij->ii", a),
    RangeError,
    'Cannot parse einsum equation "ij->ii": an output subscript repeats',
  );
  assertThrowsMessage(
    () => einsum("ij,jk->ik", a),
    RangeError,
    'Cannot apply einsum("ij,jk->ik") to 1 operands: the equation names 2',
  );
});

testOnBackends("einsum rejects operands that do not fit their subscripts", () => {
  assertThrowsMessage(
    () => einsum("ijk,jk->ik", zeros([2, 3]), zeros([3, 2])),
    ShapeError,
    'Cannot apply einsum("ijk,jk->ik"): operand 0 has shape [2, 3] but subscripts "ijk"',
  );
  assertThrowsMessage(
    () => einsum("ij,jk->ik", zeros([2, 3]), zeros([4, 2])),
    ShapeError,
    'Cannot apply einsum("ij,jk->ik"): subscript "j" has sizes 3 and 4',
  );
  assertThrowsMessage(
    () => einsum("bhqd,bhkd->bhqk", zeros([1, 2, 3, 4]), zeros([1, 3, 5, 4])),
    ShapeError,
    'Cannot apply einsum("bhqd,bhkd->bhqk"): subscript "h" has sizes 2 and 3',
  );
  assertThrowsMessage(
    () => einsum("ii->i", zeros([2, 3])),
    ShapeError,
    'Cannot apply einsum("ii->i"): subscript "i" has sizes 2 and 3',
  );
});

testOnBackends("einsum ignores spaces, broadcasts size-1 axes and handles empty axes", () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  assertClose(einsum(" ij -> ji ", a), [[1, 4], [2, 5], [3, 6]]);
  assertClose(einsum("ij,jk->ik", tensor([[2], [3]]), tensor([[1, 1], [2, 2], [3, 3]])), [
    [12, 12],
    [18, 18],
  ]);
  assertClose(einsum("ij,jk->ik", zeros([2, 0]), zeros([0, 3])), zeros([2, 3]));
  assertClose(einsum("ij->j", zeros([0, 3])), [0, 0, 0]);
  // Transposed operands give the same result as contiguous ones.
  const q = vals([2, 3], 1), k = vals([3, 2], 2);
  assertClose(einsum("ij,kj->ik", q, k.transpose(0, 1)), matmul(q, k), { atol: 1e-6 });
});

testOnBackends("einsum has second derivatives for each Transformer and bilinear equation", () => {
  const cases: [string, number[][]][] = [
    ["ij,jk->ik", [[2, 3], [3, 2]]],
    ["bij,bjk->bik", [[2, 2, 3], [2, 3, 2]]],
    ["bhqd,bhkd->bhqk", [[1, 2, 2, 3], [1, 2, 3, 3]]],
    ["bhqk,bhkd->bhqd", [[1, 2, 2, 3], [1, 2, 3, 2]]],
    ["bi,oij,bj->bo", [[2, 3], [2, 3, 2], [2, 2]]],
    ["i,i->", [[4], [4]]],
    ["ij->ji", [[2, 3]]],
    ["ii->i", [[3, 3]]],
    ["ij,jk", [[2, 3], [3, 2]]],
  ];
  for (const [eq, shapes] of cases) {
    const xs = shapes.map((s, i) => vals(s, i + 1));
    gradcheck((...ys) => einsum(eq, ...ys), xs);
    gradgradcheck((...ys) => einsum(eq, ...ys).square(), xs);
  }
});

testOnBackends("linear rejects weights, inputs and biases of the wrong shape", () => {
  assertThrowsMessage(
    () => linear(zeros([2, 3]), zeros([3])),
    ShapeError,
    "Cannot apply linear() with weight [3]: expected [out, in]",
  );
  assertThrowsMessage(
    () => linear(zeros([32, 28, 28]), zeros([10, 784])),
    ShapeError,
    "Cannot apply Linear(784, 10) as the last axis must be 784: input shape is [32, 28, 28]",
  );
  assertThrowsMessage(
    () => linear(tensor(1), zeros([1, 1])),
    ShapeError,
    "Cannot apply Linear(1, 1) as the last axis must be 1: input shape is []",
  );
  assertThrowsMessage(
    () => linear(zeros([2, 5]), zeros([4, 5]), zeros([3])),
    ShapeError,
    "Cannot apply linear() with bias [3]: expected [4]",
  );
  assertThrowsMessage(
    () => linear(zeros([2, 5]), zeros([4, 5]), zeros([1, 4])),
    ShapeError,
    "Cannot apply linear() with bias [1, 4]: expected [4]",
  );
});

testOnBackends("linear works on empty batches and on transposed weights", () => {
  assert.deepEqual(linear(zeros([0, 3]), zeros([2, 3])).shape, [0, 2]);
  const x = vals([2, 3], 3);
  const w = vals([3, 4], 4).transpose(0, 1); // [4, 3], non-contiguous
  assertClose(linear(x, w), matmul(x, w.transpose(0, 1)), { atol: 1e-6 });
});

testOnBackends("linear has first and second derivatives for x, weight and bias", () => {
  const x = vals([2, 2, 3], 1), w = vals([4, 3], 2), b = vals([4], 3);
  gradcheck((x, w, b) => linear(x, w, b), [x, w, b]);
  gradgradcheck((x, w, b) => linear(x, w, b).square(), [x, w, b]);
  gradgradcheck((x, w) => linear(x, w).exp(), [x, w]);
  // Only some inputs requiring grad.
  const frozen = vals([4, 3], 5).detach();
  gradcheck((x) => linear(x, frozen, b.detach()), [x]);
});

Deno.test("linear with a fused activation equals the activation of linear, with gradients", () => {
  const x = vals([5, 7], 1), w = vals([4, 7], 2), b = vals([4], 3);
  const acts = {
    relu: (t: typeof x) => t.relu(),
    sigmoid: (t: typeof x) => t.sigmoid(),
    tanh: (t: typeof x) => t.tanh(),
  };
  for (const [act, f] of Object.entries(acts) as [keyof typeof acts, (t: typeof x) => typeof x][]) {
    for (const bias of [b, undefined]) {
      const fused = linear(x, w, bias, { activation: act });
      assertClose(fused.dataSync(), f(linear(x, w, bias)).dataSync(), { atol: 1e-6, rtol: 1e-6 });
      const ins = bias ? [x, w, bias] : [x, w];
      gradcheck((...t) => linear(t[0], t[1], t[2], { activation: act }), ins);
    }
    gradgradcheck((xx, ww, bb) => linear(xx, ww, bb, { activation: act }).square(), [x, w, b]);
  }
  // A batch of inputs with more axes, and no inner size at all (the bias alone).
  const x3 = vals([2, 3, 7], 4);
  assertClose(
    linear(x3, w, b, { activation: "tanh" }).dataSync(),
    linear(x3, w, b).tanh().dataSync(),
    { atol: 1e-6, rtol: 1e-6 },
  );
  assertClose(
    linear(zeros([3, 0]), zeros([2, 0]), tensor([-1, 2]), { activation: "relu" }).dataSync(),
    [0, 2, 0, 2, 0, 2],
    { atol: 0, rtol: 0 },
  );
  assertThrowsMessage(
    // deno-lint-ignore no-explicit-any
    () => linear(x, w, b, { activation: "gelu" as any }),
    RangeError,
    'Cannot apply linear() with activation "gelu": expected "relu", "sigmoid" or "tanh"',
  );
});
