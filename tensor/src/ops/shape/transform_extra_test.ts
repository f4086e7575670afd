// flip, roll, repeat, tile, tril, triu, maskedFill and pad: errors, views,
// dtypes, empty tensors and second derivatives (values and gradients against
// PyTorch are in shape_fixture_extra_test.ts).
import assert from "node:assert/strict";
import {
  arange,
  DTypeError,
  flip,
  maskedFill,
  pad,
  repeat,
  roll,
  ShapeError,
  tensor,
  tile,
  tril,
  triu,
  zeros,
} from "@dendrite/tensor";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";
import { gradcheck, gradgradcheck } from "@dendrite/autograd";

testOnBackends("flip is a view with negative strides and rejects repeated axes", () => {
  const x = arange(6).reshape([2, 3]);
  const y = flip(x, [-1, 0]);
  assert.equal(y.storage, x.storage);
  assert.deepEqual([...y.dataSync()], [5, 4, 3, 2, 1, 0]);
  assert.deepEqual([...flip(x, []).dataSync()], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(flip(zeros([0, 2]), 0).shape, [0, 2]);
  assertThrowsMessage(
    () => flip(x, [0, -2]),
    RangeError,
    "Cannot use axes [0, -2] in flip(): an axis appears twice",
  );
  assertThrowsMessage(
    () => flip(x, 2),
    RangeError,
    "Cannot use axis 2 in flip(): expected an integer in [-2, 1] for a tensor with 2 axes",
  );
});

testOnBackends("roll wraps shifts of any size and sign, and checks its arguments", () => {
  const x = arange(6).reshape([2, 3]);
  assert.deepEqual([...roll(x, 4, 1).dataSync()], [2, 0, 1, 5, 3, 4]);
  assert.deepEqual([...roll(x, -7).dataSync()], [1, 2, 3, 4, 5, 0]);
  assert.deepEqual([...roll(x, [1, 1], [0, 0]).dataSync()], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(roll(zeros([0, 3]), 2, 0).shape, [0, 3]);
  assertThrowsMessage(
    () => roll(x, [1, 2]),
    RangeError,
    "Cannot roll with 2 shifts and no axes in roll(): expected one shift",
  );
  assertThrowsMessage(
    () => roll(x, [1, 2], 0),
    RangeError,
    "Cannot roll with 2 shifts and 1 axes in roll(): expected one shift per axis",
  );
  assertThrowsMessage(
    () => roll(x, 1, -3),
    RangeError,
    "Cannot use axis -3 in roll(): expected an integer in [-2, 1] for a tensor with 2 axes",
  );
});

testOnBackends("repeat and tile check counts and keep dtypes", () => {
  const b = tensor([1, 0]).gt(0);
  const r = repeat(b, [2, 2]);
  assert.equal(r.dtype, "bool");
  assert.deepEqual([...r.dataSync()], [1, 0, 1, 0, 1, 0, 1, 0]);
  assert.deepEqual(tile(zeros([2, 0]), [3]).shape, [2, 0]);
  assertThrowsMessage(
    () => repeat(zeros([2, 3]), [2]),
    ShapeError,
    "Cannot repeat [2, 3] with repeats [2] in repeat(): expected at least 2 counts",
  );
  assertThrowsMessage(
    () => repeat(zeros([2]), [1, -1]),
    RangeError,
    "Cannot repeat with counts [1, -1] in repeat(): expected non-negative integers",
  );
  assertThrowsMessage(
    () => tile(zeros([2]), [1.5]),
    RangeError,
    "Cannot repeat with counts [1.5] in repeat(): expected non-negative integers",
  );
});

testOnBackends("repeat, tile and roll have second derivatives", () => {
  const x = tensor([[0.5, -1, 2], [1.5, 0.25, -0.75]], { requiresGrad: true });
  gradgradcheck((x) => repeat(x, [2, 1, 2]).square(), [x]);
  gradgradcheck((x) => roll(x, [1, -1], [0, 1]).mul(x), [x]);
  gradcheck((x) => tile(x, [2]).exp(), [x]);
});

testOnBackends("tril and triu keep bool and int32 dtypes and need two axes", () => {
  const b = tril(tensor([[1, 1], [1, 1]]).gt(0), -1);
  assert.equal(b.dtype, "bool");
  assert.deepEqual([...b.dataSync()], [0, 0, 1, 0]);
  const i = triu(arange(6).reshape([2, 3]), 5);
  assert.equal(i.dtype, "int32");
  assert.deepEqual([...i.dataSync()], [0, 0, 0, 0, 0, 0]);
  assertClose(tril(zeros([2, 0, 3])), zeros([2, 0, 3]));
  assertThrowsMessage(
    () => tril(zeros([3])),
    ShapeError,
    "Cannot apply tril() to shape [3]: expected at least 2 axes",
  );
  assertThrowsMessage(
    () => triu(tensor(1)),
    ShapeError,
    "Cannot apply triu() to shape []: expected at least 2 axes",
  );
});

testOnBackends("maskedFill checks the mask's dtype and shape before filling", () => {
  const x = zeros([3, 4]);
  assertThrowsMessage(
    () => maskedFill(x, tensor(new Int32Array([1, 0, 0, 1])), 1),
    DTypeError,
    "Cannot use a int32 mask in maskedFill(): expected a bool tensor",
  );
  assertThrowsMessage(
    () => maskedFill(x, tensor([1, 0, 1]).gt(0), 1),
    ShapeError,
    "Cannot apply maskedFill() with mask [3] to [3, 4]: the mask must broadcast to the input",
  );
  assertThrowsMessage(
    () => maskedFill(zeros([4]), zeros([2, 4]).gt(0), 1),
    ShapeError,
    "Cannot apply maskedFill() with mask [2, 4] to [4]: the mask must broadcast to the input",
  );
  // A 0-d tensor value, a broadcast [3, 1] mask, gradients to both x and value.
  const xs = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
  const v = tensor(0.5, { requiresGrad: true });
  const m = tensor([[1], [0], [1]]).gt(0);
  assertClose(maskedFill(xs, m, v), [[0.5, 0.5], [3, 4], [0.5, 0.5]]);
  gradcheck((xs, v) => maskedFill(xs, m, v).square(), [xs, v]);
  gradgradcheck((xs) => maskedFill(xs, m, -1).square(), [xs]);
});

testOnBackends("pad rejects malformed pads, unknown modes and too-large reflections", () => {
  const x = zeros([2, 3]);
  assertThrowsMessage(
    () => pad(x, [1]),
    RangeError,
    "Cannot pad [2, 3] with [1] in pad(): expected pairs for at most 2 trailing axes",
  );
  assertThrowsMessage(
    () => pad(x, [1, 1, 1, 1, 1, 1]),
    RangeError,
    "Cannot pad [2, 3] with [1, 1, 1, 1, 1, 1] in pad(): expected pairs for at most 2 trailing axes",
  );
  assertThrowsMessage(
    () => pad(x, [0.5, 1]),
    RangeError,
    "Cannot pad [2, 3] with [0.5, 1] in pad(): expected integers",
  );
  assertThrowsMessage(
    // deno-lint-ignore no-explicit-any
    () => pad(x, [1, 1], { mode: "wrap" as any }),
    RangeError,
    'Cannot pad with mode "wrap" in pad(): expected "constant", "reflect", "replicate" or "circular"',
  );
  assertThrowsMessage(
    () => pad(x, [0, 3], { mode: "reflect" }),
    RangeError,
    "Cannot reflect-pad axis 1 of size 3 by (0, 3) in pad(): padding must be smaller than the size",
  );
  assertThrowsMessage(
    () => pad(x, [0, 0, 3, 0], { mode: "circular" }),
    RangeError,
    "Cannot circular-pad axis 0 of size 2 by (3, 0) in pad(): padding must not exceed the size",
  );
  assertThrowsMessage(
    () => pad(zeros([2, 0]), [1, 1], { mode: "replicate" }),
    RangeError,
    "Cannot replicate-pad an empty axis 1 in pad()",
  );
});

testOnBackends("pad keeps dtypes, pads empty tensors and crops with negative pads", () => {
  const b = pad(tensor([1, 0]).gt(0), [1, 1], { mode: "replicate" });
  assert.equal(b.dtype, "bool");
  assert.deepEqual([...b.dataSync()], [1, 1, 0, 0]);
  assertClose(pad(zeros([2, 0]), [1, 2], { value: 3 }), [[3, 3, 3], [3, 3, 3]]);
  assert.deepEqual(pad(zeros([0, 2]), [1, 1]).shape, [0, 4]);
  assertClose(pad(tensor([[1, 2, 3]]), [-1, -1, 1, 0]), [[0], [2]]);
  // Transposed input.
  const t = arange(6).reshape([2, 3]).transpose(0, 1);
  assert.deepEqual([...pad(t, [1, 0], { mode: "circular" }).dataSync()], [
    3,
    0,
    3,
    4,
    1,
    4,
    5,
    2,
    5,
  ]);
});

testOnBackends("pad has numeric gradients in all four modes and second ones", () => {
  const x = tensor([[[0.5, -1, 2, 0.3], [1.5, 0.25, -0.75, 1]]], { requiresGrad: true });
  for (const mode of ["constant", "reflect", "replicate", "circular"] as const) {
    gradcheck((x) => pad(x, [2, 3, 1, 0], { mode }).square(), [x]);
  }
  gradgradcheck((x) => pad(x, [1, 2, 1, 1], { value: 0.5 }).square(), [x]);
  gradgradcheck((x) => pad(x, [2, 1], { mode: "reflect" }).square(), [x]);
});
