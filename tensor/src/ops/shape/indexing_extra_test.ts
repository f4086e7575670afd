// gather, scatterAdd, indexSelect, indexAdd, oneHot, nonzero and index:
// errors (dtypes, shapes, out-of-range indices), negative indices, empty
// tensors and second derivatives (values and gradients against PyTorch are in
// shape_fixture_extra_test.ts).
import assert from "node:assert/strict";
import {
  arange,
  DTypeError,
  gather,
  index,
  indexAdd,
  indexSelect,
  nonzero,
  oneHot,
  scatterAdd,
  ShapeError,
  tensor,
  zeros,
} from "@dendrite/tensor";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";
import { gradcheck, gradgradcheck } from "@dendrite/autograd";

const ix = (xs: number[], shape?: number[]) => tensor(Int32Array.from(xs), shape ? { shape } : {});

testOnBackends("gather rejects non-int32 indices, wrong ranks and out-of-range indices", () => {
  const x = zeros([3, 4]);
  assertThrowsMessage(
    () => gather(x, 1, tensor([[1]])),
    DTypeError,
    "Cannot use a float32 index in gather(): expected an int32 tensor",
  );
  assertThrowsMessage(
    () => gather(x, 1, ix([1, 2])),
    ShapeError,
    "Cannot gather() [3, 4] with index [2]: index must have 2 axes",
  );
  assertThrowsMessage(
    () => gather(x, 1, ix([0, 0, 0, 0, 0], [5, 1])),
    ShapeError,
    "Cannot gather() [3, 4] with index [5, 1]: index axis 0 is larger than the input's",
  );
  assertThrowsMessage(
    () => gather(x, -1, ix([0, 4], [1, 2])),
    RangeError,
    "Cannot index axis 1 of size 4 with 4 in gather(): expected indices in [-4, 3]",
  );
  assertThrowsMessage(
    () => gather(x, 0, ix([-4], [1, 1])),
    RangeError,
    "Cannot index axis 0 of size 3 with -4 in gather(): expected indices in [-3, 2]",
  );
  // The same checks on the merged-axes fast paths (index shaped like x off the axis).
  assertThrowsMessage(
    () => gather(x, 1, ix([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, -5], [3, 4])),
    RangeError,
    "Cannot index axis 1 of size 4 with -5 in gather(): expected indices in [-4, 3]",
  );
  assertThrowsMessage(
    () => gather(x, 0, ix([0, 1, 2, 3, 1, 1, 1, 1], [2, 4])),
    RangeError,
    "Cannot index axis 0 of size 3 with 3 in gather(): expected indices in [-3, 2]",
  );
  assertThrowsMessage(
    () => gather(x, 2, ix([0], [1, 1])),
    RangeError,
    "Cannot use axis 2 in gather(): expected an integer in [-2, 1] for a tensor with 2 axes",
  );
});

testOnBackends("gather counts negative indices from the end and takes empty indices", () => {
  const x = arange(12).reshape([3, 4]);
  assert.deepEqual(
    [...gather(x, 1, ix([-1, 0, -4, 1], [2, 2])).dataSync()],
    [...gather(x, 1, ix([3, 0, 0, 1], [2, 2])).dataSync()],
  );
  assert.deepEqual(gather(x, 0, ix([], [0, 4])).shape, [0, 4]);
  // A transposed (non-contiguous) input and index.
  const idx = ix([0, 2, 1, 1, 2, 0], [2, 3]).transpose(0, 1);
  assert.deepEqual([...gather(x.transpose(0, 1), 1, idx).dataSync()], [0, 4, 9, 9, 6, 2]);
});

testOnBackends("gather has first and second derivatives", () => {
  const x = tensor([[0.5, -1, 2], [1.5, 0.25, -0.75]], { requiresGrad: true });
  const idx = ix([2, 2, 0, 1, 0, 0], [2, 3]);
  gradcheck((x) => gather(x, 1, idx), [x]);
  gradgradcheck((x) => gather(x, 1, idx).square(), [x]);
  gradgradcheck((x) => gather(x.mul(x), 0, ix([1, 0, 1], [1, 3])), [x]);
});

testOnBackends("scatterAdd has gradients for x and src, src larger than index included", () => {
  const x = tensor([[0.5, -1, 2], [1.5, 0.25, -0.75]], { requiresGrad: true });
  const src = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const idx = ix([0, 2, 0, 1, 1], [1, 5]);
  const big = tensor([[1, 2, 3, 4, 5, 6], [7, 8, 9, 1, 2, 3]], { requiresGrad: true });
  gradcheck((x, s) => scatterAdd(x.square(), 1, ix([0, 2, 0, 1, 1, 1], [2, 3]), s), [x, src]);
  gradcheck((x, s) => scatterAdd(x, -1, idx, s).square(), [x, big]);
  const y = scatterAdd(x, 1, idx, big);
  y.sum().backward();
  assertClose(big.grad!, [[1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0]]);
  gradgradcheck((x, s) => scatterAdd(x, 0, ix([1, 0, 1], [1, 3]), s.mul(x)), [x, src]);
});

testOnBackends("scatterAdd is out of place and checks its inputs", () => {
  const x = zeros([3]);
  const y = scatterAdd(x, 0, ix([2, 2, -3]), tensor([1, 2, 4]));
  assert.deepEqual([...y.dataSync()], [4, 0, 3]);
  assert.deepEqual([...x.dataSync()], [0, 0, 0]);
  assertThrowsMessage(
    () => scatterAdd(x, 0, ix([3]), tensor([1])),
    RangeError,
    "Cannot index axis 0 of size 3 with 3 in scatterAdd(): expected indices in [-3, 2]",
  );
  assertThrowsMessage(
    () => scatterAdd(zeros([2, 2]), 0, ix([0, 1, 2, 0], [2, 2]), zeros([2, 2])),
    RangeError,
    "Cannot index axis 0 of size 2 with 2 in scatterAdd(): expected indices in [-2, 1]",
  );
  assertThrowsMessage(
    () => scatterAdd(zeros([2, 2]), 0, ix([-3], [1, 1]), zeros([2, 2])),
    RangeError,
    "Cannot index axis 0 of size 2 with -3 in scatterAdd(): expected indices in [-2, 1]",
  );
  assertThrowsMessage(
    () => scatterAdd(x, 0, ix([1, 2]), tensor([1])),
    ShapeError,
    "Cannot scatterAdd() with index [2] and src [1]: index axis 0 is larger than src's",
  );
  assertThrowsMessage(
    () => scatterAdd(x, 0, tensor([1]), tensor([1])),
    DTypeError,
    "Cannot use a float32 index in scatterAdd(): expected an int32 tensor",
  );
});

testOnBackends("indexSelect checks its index and counts negatives from the end", () => {
  const x = arange(6).reshape([2, 3]);
  assert.deepEqual([...indexSelect(x, -1, ix([-1, 0])).dataSync()], [2, 0, 5, 3]);
  assert.deepEqual(indexSelect(x, 0, ix([])).shape, [0, 3]);
  assertThrowsMessage(
    () => indexSelect(x, 1, ix([0, 3])),
    RangeError,
    "Cannot index axis 1 of size 3 with 3 in indexSelect(): expected indices in [-3, 2]",
  );
  assertThrowsMessage(
    () => indexSelect(x, 0, ix([0, 1], [1, 2])),
    ShapeError,
    "Cannot use index [1, 2] in indexSelect(): expected a 1-D index",
  );
  assertThrowsMessage(
    () => indexSelect(x, 0, tensor([0])),
    DTypeError,
    "Cannot use a float32 index in indexSelect(): expected an int32 tensor",
  );
  const w = tensor([[0.5, -1, 2], [1.5, 0.25, -0.75]], { requiresGrad: true });
  gradgradcheck((w) => indexSelect(w, 1, ix([2, 0, 2])).square(), [w]);
});

testOnBackends("indexAdd checks src's shape and has gradients for x and src", () => {
  assertThrowsMessage(
    () => indexAdd(zeros([2, 3]), 1, ix([0, 1]), zeros([2, 3])),
    ShapeError,
    "Cannot indexAdd() src [2, 3] into [2, 3] along axis 1: expected src shape [2, 2]",
  );
  const x = tensor([[0.5, -1, 2], [1.5, 0.25, -0.75]], { requiresGrad: true });
  const s = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  gradcheck((x, s) => indexAdd(x, 1, ix([2, 2]), s).square(), [x, s]);
});

testOnBackends("oneHot infers or checks the class count", () => {
  const y = oneHot(ix([1, 0, 2], [3]), 4);
  assert.equal(y.dtype, "int32");
  assert.deepEqual(y.shape, [3, 4]);
  assert.deepEqual(oneHot(ix([], [0, 2]), 3).shape, [0, 2, 3]);
  assertThrowsMessage(
    () => oneHot(ix([3]), 3),
    RangeError,
    "Cannot one-hot encode index 3 in oneHot() with 3 classes",
  );
  assertThrowsMessage(
    () => oneHot(ix([-1])),
    RangeError,
    "Cannot one-hot encode index -1 in oneHot(): indices must be non-negative",
  );
  assertThrowsMessage(
    () => oneHot(tensor([1])),
    DTypeError,
    "Cannot use a float32 index in oneHot(): expected an int32 tensor",
  );
});

testOnBackends("nonzero lists coordinates in row-major order", () => {
  const x = tensor([[0, 2, 0], [3, 0, 4]]);
  assert.deepEqual(nonzero(x).shape, [3, 2]);
  assert.deepEqual([...nonzero(x).dataSync()], [0, 1, 1, 0, 1, 2]);
  assert.deepEqual(nonzero(zeros([2, 2])).shape, [0, 2]);
});

testOnBackends("index reports out-of-range indices with the axis of x", () => {
  const x = zeros([2, 3, 4]);
  assertThrowsMessage(
    () => index(x, [ix([2])]),
    RangeError,
    "Cannot index axis 0 of size 2 with 2 in index(): expected indices in [-2, 1]",
  );
  assertThrowsMessage(
    () => index(x, [0, null, ix([0, -5])]),
    RangeError,
    "Cannot index axis 2 of size 4 with -5 in index(): expected indices in [-4, 3]",
  );
  assertThrowsMessage(
    () => index(x, [1, ix([3])]),
    RangeError,
    "Cannot index axis 1 of size 3 with 3 in index(): expected indices in [-3, 2]",
  );
});

testOnBackends(
  "index rejects too many indices, bad masks, float indices and unbroadcastable ones",
  () => {
    const x = zeros([2, 3]);
    assertThrowsMessage(
      () => index(x, [0, 0, 0]),
      ShapeError,
      "Cannot index [2, 3] with 3 indices in index(): the tensor has 2 axes",
    );
    assertThrowsMessage(
      () => index(x, [null, tensor([1, 0]).gt(0)]),
      ShapeError,
      "Cannot index [2, 3] with a bool mask [2] at axis 1 in index(): the mask must match [3]",
    );
    assertThrowsMessage(
      () => index(x, [tensor([1])]),
      DTypeError,
      "Cannot use a float32 index in index(): expected an int32 tensor",
    );
    assertThrowsMessage(
      () => index(x, [ix([0, 1]), ix([0, 1, 2])]),
      ShapeError,
      "Cannot broadcast shapes [2] and [3] in index(): axis 0 has sizes 2 and 3",
    );
  },
);

testOnBackends("index with an all-false mask, empty indices and only basic entries", () => {
  const x = arange(6).reshape([2, 3]);
  assert.deepEqual(index(x, [zeros([2, 3]).gt(0)]).shape, [0]);
  assert.deepEqual(index(x, [ix([])]).shape, [0, 3]);
  assert.deepEqual([...index(x, [null, [2, null, -1]]).dataSync()], [2, 1, 0, 5, 4, 3]);
  assert.deepEqual(index(x, [1, 2]).shape, []);
});

testOnBackends("index has numeric gradients for int, mixed and mask indices", () => {
  const x = tensor([[[0.5, -1, 2], [1.5, 0.25, -0.75]], [[1, 2, 3], [4, 5, 6]]], {
    requiresGrad: true,
  });
  const m = tensor([[1, 0, 1], [0, 1, 1]]).gt(0);
  gradcheck((x) => index(x, [ix([1, 1, 0]), null, ix([-1, 0, 0])]), [x]);
  gradcheck((x) => index(x, [null, m]).square(), [x]);
  gradcheck((x) => index(x, [1, [0, 2], ix([2, 2])]), [x]);
  gradgradcheck((x) => index(x, [null, ix([1, 0])]).square(), [x]);
});
