// cat, stack, split and chunk: errors, views, dtypes and empty tensors
// (values and gradients against PyTorch are in shape_fixture_extra_test.ts).
import assert from "node:assert/strict";
import { arange, cat, chunk, ShapeError, split, stack, tensor, zeros } from "@dendrite/tensor";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";
import { gradcheck, gradgradcheck } from "@dendrite/autograd";

testOnBackends("cat rejects an empty list, 0-d tensors, bad axes and mismatched shapes", () => {
  assertThrowsMessage(
    () => cat([]),
    RangeError,
    "Cannot concatenate an empty list in cat(): expected at least one tensor",
  );
  assertThrowsMessage(
    () => cat([tensor([1]), tensor(2)]),
    ShapeError,
    "Cannot concatenate a 0-d tensor (tensor 1, shape []) in cat(): expected at least 1 axis",
  );
  assertThrowsMessage(
    () => cat([zeros([2, 3]), zeros([2, 3])], 2),
    RangeError,
    "Cannot use axis 2 in cat(): expected an integer in [-2, 1] for a tensor with 2 axes",
  );
  assertThrowsMessage(
    () => cat([zeros([2, 3]), zeros([2, 2]), zeros([3, 3])], 1),
    ShapeError,
    "Cannot concatenate shapes [2, 3] and [3, 3] (tensor 2) in cat() along axis 1: all other axes must match",
  );
  assertThrowsMessage(
    () => cat([zeros([2, 3]), zeros([2, 3, 1])]),
    ShapeError,
    "Cannot concatenate shapes [2, 3] and [2, 3, 1] (tensor 1) in cat() along axis 0: all other axes must match",
  );
});

testOnBackends("cat promotes dtypes and skips 1-D empty tensors", () => {
  const ints = tensor(new Int32Array([1, 2]));
  const y = cat([ints, tensor([0.5])]);
  assert.equal(y.dtype, "float32");
  assertClose(y, [1, 2, 0.5]);
  const b = cat([tensor([1, 0]).gt(0), tensor([1]).gt(0)]);
  assert.equal(b.dtype, "bool");
  assert.deepEqual([...b.dataSync()], [1, 0, 1]);
  // A [0] tensor joins any shape (PyTorch's legacy rule); a [0, 3] one must match.
  const x = tensor([[1, 2, 3]], { requiresGrad: true });
  const z = cat([zeros([0]), x, zeros([0, 3])]);
  assert.deepEqual(z.shape, [1, 3]);
  z.mul(tensor([[1, 2, 3]])).sum().backward();
  assertClose(x.grad!, [[1, 2, 3]]);
  assert.deepEqual(cat([zeros([0]), zeros([0])]).shape, [0]);
  assert.deepEqual(cat([zeros([2, 0]), zeros([2, 0])], 1).shape, [2, 0]);
});

testOnBackends("cat and stack have numeric gradients for every operand, and second ones", () => {
  const a = tensor([[0.5, -1], [2, 3]], { requiresGrad: true });
  const b = tensor([[1.5], [-2]], { requiresGrad: true });
  gradcheck((a, b) => cat([a, b, a], -1).square(), [a, b]);
  gradgradcheck((a, b) => cat([a.mul(b), b], 1).square(), [a, b]);
  gradcheck((a) => stack([a, a.mul(2), a.exp()], 1), [a]);
});

testOnBackends("stack rejects an empty list, different shapes and bad axes", () => {
  assertThrowsMessage(
    () => stack([]),
    RangeError,
    "Cannot stack an empty list in stack(): expected at least one tensor",
  );
  assertThrowsMessage(
    () => stack([zeros([2, 3]), zeros([2, 3]), zeros([3, 2])]),
    ShapeError,
    "Cannot stack shapes [2, 3] and [3, 2] (tensor 2) in stack(): all shapes must be equal",
  );
  assertThrowsMessage(
    () => stack([zeros([2]), zeros([2])], -3),
    RangeError,
    "Cannot use axis -3 in stack(): expected an integer in [-2, 1] for a tensor with 2 axes",
  );
});

testOnBackends("stack of 0-d and empty tensors", () => {
  const s = stack([tensor(1), tensor(2), tensor(3)]);
  assert.deepEqual(s.shape, [3]);
  assertClose(s, [1, 2, 3]);
  assert.deepEqual(stack([zeros([0, 2]), zeros([0, 2])], 1).shape, [0, 2, 2]);
});

testOnBackends("split and chunk return views of the input", () => {
  const x = arange(10).reshape([2, 5]);
  const parts = split(x, 2, 1);
  assert.deepEqual(parts.map((p) => p.shape), [[2, 2], [2, 2], [2, 1]]);
  for (const p of parts) assert.equal(p.storage, x.storage);
  assert.deepEqual([...parts[1].dataSync()], [2, 3, 7, 8]);
  const c = chunk(x, 2, -1);
  assert.deepEqual(c.map((p) => p.shape), [[2, 3], [2, 2]]);
  for (const p of c) assert.equal(p.storage, x.storage);
  // torch.chunk: pieces of ceil(n / chunks), so fewer pieces than asked for.
  assert.deepEqual(chunk(arange(6), 4).map((p) => p.size), [2, 2, 2]);
  assert.deepEqual(chunk(arange(2), 5).map((p) => p.size), [1, 1]);
});

testOnBackends("split and chunk of empty axes", () => {
  assert.deepEqual(split(zeros([0, 2]), 3).map((p) => p.shape), [[0, 2]]);
  assert.deepEqual(split(zeros([3, 2]), [0, 3, 0]).map((p) => p.shape), [[0, 2], [3, 2], [0, 2]]);
  assert.deepEqual(chunk(zeros([2, 0]), 3, 1).map((p) => p.shape), [[2, 0], [2, 0], [2, 0]]);
});

testOnBackends("split pieces carry gradients back to their place", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  gradcheck((x) => {
    const [a, b] = split(x, [1, 2], 1);
    return a.mul(b.sum(1, { keepDim: true })).add(b.slice([null, [0, 1]]).square());
  }, [x]);
  gradcheck((x) => {
    const [a, b] = chunk(x, 2, 0);
    return a.mul(b.exp());
  }, [x]);
});

testOnBackends("split and chunk reject bad sizes and axes", () => {
  const x = zeros([3, 4]);
  assertThrowsMessage(
    () => split(x, 0),
    RangeError,
    "Cannot split with size 0 in split(): expected a positive integer",
  );
  assertThrowsMessage(
    () => split(x, [1, 1], 0),
    ShapeError,
    "Cannot split axis 0 of [3, 4] into sizes [1, 1] in split(): they must be non-negative and sum to 3",
  );
  assertThrowsMessage(
    () => split(x, [5, -1], -1),
    ShapeError,
    "Cannot split axis 1 of [3, 4] into sizes [5, -1] in split(): they must be non-negative and sum to 4",
  );
  assertThrowsMessage(
    () => split(x, 2, 2),
    RangeError,
    "Cannot use axis 2 in split(): expected an integer in [-2, 1] for a tensor with 2 axes",
  );
  assertThrowsMessage(
    () => chunk(x, 0),
    RangeError,
    "Cannot chunk into 0 pieces in chunk(): expected a positive integer",
  );
  assertThrowsMessage(
    () => chunk(x, 2, -3),
    RangeError,
    "Cannot use axis -3 in chunk(): expected an integer in [-2, 1] for a tensor with 2 axes",
  );
});
