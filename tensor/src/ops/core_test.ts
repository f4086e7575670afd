import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import {
  arange,
  BackendError,
  matmul,
  ShapeError,
  slice,
  std,
  sum,
  tensor,
  zeros,
} from "@dendrite/tensor";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";
import { gradcheck, gradgradcheck } from "@dendrite/autograd";

testOnBackends("add broadcasts and reduces gradients to input shapes", () => {
  const a = tensor([[1], [2]], { requiresGrad: true });
  const b = tensor([10, 20, 30], { requiresGrad: true });
  const y = a.add(b);
  assertClose(y, [[11, 21, 31], [12, 22, 32]]);
  y.sum().backward();
  assertClose(a.grad!, [[3], [3]]);
  assertClose(b.grad!, [2, 2, 2]);
});

testOnBackends("add rejects incompatible shapes with a named error", () => {
  assertThrowsMessage(
    () => zeros([2, 3]).add(zeros([4, 3])),
    ShapeError,
    "Cannot broadcast shapes [2, 3] and [4, 3] in add(): axis 0 has sizes 2 and 4",
  );
});

testOnBackends("arith gradients match numeric gradients", () => {
  const a = tensor([[0.5, -1.5, 2], [1, 2, 3]], { requiresGrad: true });
  const b = tensor([[0.1, 0.2, 0.3]], { requiresGrad: true });
  gradcheck((a, b) => a.mul(b).exp().div(b.add(2)).sub(a.square().add(1).log()), [a, b]);
  gradcheck((a, b) => a.square().add(0.5).pow(b.add(1)).maximum(b).minimum(a), [a, b]);
  gradgradcheck((a, b) => a.mul(b).exp().matmul(a.transpose()), [a, b]);
});

testOnBackends("reductions over axes with keepDim", () => {
  const x = arange(24).cast("float32").reshape([2, 3, 4]);
  assertClose(sum(x, [0, 2]), [60, 92, 124]);
  assertClose(x.sum(1, { keepDim: true }).reshape([8]), [12, 15, 18, 21, 48, 51, 54, 57]);
  assertClose(x.max(-1), [[3, 7, 11], [15, 19, 23]]);
  assertClose(x.argmin(1), [[0, 0, 0, 0], [0, 0, 0, 0]]);
  assertClose(x.mean(), 11.5);
  const p = tensor([[1, 2, 0.5], [3, -1, 2]], { requiresGrad: true });
  gradcheck((p) => p.prod(1), [p]);
  gradcheck((p) => p.max(0).add(p.min(1).sum()), [p]);
  gradgradcheck((p) => p.prod(), [p]);
  gradcheck((p) => std(p, 1), [p]);
  gradgradcheck((p) => std(p, 1), [p]);
});

testOnBackends("slice views follow Python semantics and backprop", () => {
  const x = arange(12).reshape([3, 4]);
  assertClose(slice(x, "1:, ::2"), [[4, 6], [8, 10]]);
  assertClose(slice(x, "-1, ::-1"), [11, 10, 9, 8]);
  assertClose(slice(x, [null, [-3, -1]]), [[1, 2], [5, 6], [9, 10]]);
  const w = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  gradcheck((w) => w.slice("::-1, 1::1").mul(w.slice(":, :2")), [w]);
  gradgradcheck((w) => w.slice(":, 1:").square(), [w]);
});

testOnBackends("matmul handles 1-D, 2-D, batched and transposed operands", () => {
  const a = arange(6).cast("float32").reshape([2, 3]);
  assertClose(matmul(a, a.transpose()), [[5, 14], [14, 50]]);
  assertClose(matmul(tensor([1, 1]), a), [3, 5, 7]);
  assertClose(matmul(a, tensor([1, 0, 1])), [2, 8]);
  const b = arange(12).cast("float32").reshape([2, 3, 2]);
  assertClose(matmul(a, b), [[[10, 13], [28, 40]], [[28, 31], [100, 112]]]);
  const w = tensor([[0.5, -1], [2, 0.25], [1, 1]], { requiresGrad: true });
  const x = tensor([[[1, 2, 3]], [[0, -1, 1]]], { requiresGrad: true });
  gradcheck((x, w) => matmul(x, w), [x, w]);
  gradgradcheck((x, w) => matmul(x, w).square(), [x, w]);
  assertThrowsMessage(
    () => matmul(zeros([2, 3]), zeros([2, 3])),
    ShapeError,
    "Cannot multiply shapes [2, 3] and [2, 3] in matmul(): inner sizes 3 and 2 differ",
  );
});

testOnBackends("backward releases the graph unless retainGraph", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.mul(x).sum();
  y.backward(undefined, { retainGraph: true });
  y.backward();
  assertClose(x.grad!, [4, 8]);
  assert.throws(() => y.backward(), /a second time/);
});

testOnBackends("disposed tensors refuse use", () => {
  const x = tensor([1]);
  x.dispose();
  assert.throws(() => x.add(1), BackendError);
});

testOnBackends("clone copies into new memory and passes gradients through", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const y = x.clone();
  assert.equal(y.requiresGrad, true);
  assert.deepEqual(y.shape, [2, 3]);
  gradcheck((t) => t.transpose(0, 1).clone().square(), [x]);
  gradgradcheck((t) => t.clone().square(), [x]);
  // A view (transposed) comes out contiguous, with the view's values.
  const v = x.detach().transpose(0, 1).clone();
  assert.ok(v.isContiguous);
  assert.deepEqual([...v.dataSync()], [1, 4, 2, 5, 3, 6]);
  // In-place updates of one leave the other alone; int and bool tensors too.
  const i = tensor(new Int32Array([1, 2])), j = i.clone();
  i.add_(5);
  assert.deepEqual([...j.dataSync()], [1, 2]);
  assert.equal(tensor([true, false]).clone().dtype, "bool");
});

testOnBackends("sort, argsort and topk: gradients, dtypes and errors", () => {
  const x = tensor([[0.3, -1.2, 2.5, 0.9], [1.1, 0.2, -0.4, 3.0]], { requiresGrad: true });
  gradcheck((t) => T.sort(t, 1, { descending: true }).values.square(), [x]);
  gradgradcheck((t) => T.topk(t, 2).values.square(), [x]);
  assert.deepEqual([...T.sort(tensor(new Int32Array([2, -1, 2]))).indices.dataSync()], [1, 0, 2]);
  assert.deepEqual([...T.argsort(tensor([true, false, true])).dataSync()], [1, 0, 2]);
  assert.equal(T.topk(x, 0).values.shape.join(), "2,0");
  assertThrowsMessage(
    () => T.topk(x, 5),
    RangeError,
    "Cannot take topk() of 5 along axis 1 of [2, 4]: expected an integer in [0, 4]",
  );
});

testOnBackends("sort, argsort and topk are tensor methods too", () => {
  const x = tensor([3, 1, 2]);
  assert.deepEqual([...x.sort().values.dataSync()], [1, 2, 3]);
  assert.deepEqual([...x.argsort(0, { descending: true }).dataSync()], [0, 2, 1]);
  assert.deepEqual([...x.topk(1).indices.dataSync()], [0]);
});

testOnBackends(
  "remainder, fmod and atan2 pass gradcheck and gradgradcheck away from their jumps",
  () => {
    const a = tensor([[5.3, -5.3, 2.2], [-0.7, 7.9, 3.1]], { requiresGrad: true });
    const b = tensor([[2.0, 2.5, -1.7]], { requiresGrad: true });
    for (const f of [T.remainder, T.fmod, T.atan2]) {
      gradcheck((x, y) => f(x, y), [a, b]);
      gradgradcheck((x, y) => f(x, y), [a, b]);
    }
    // Floor division is not differentiable: its output does not require grad.
    assert.equal(T.floorDivide(a, b).requiresGrad, false);
    assert.deepEqual([...T.floorDivide(tensor(new Int32Array([17, -17])), 5).dataSync()], [3, -4]);
  },
);

testOnBackends("this session's ops are tensor methods too", () => {
  const x = tensor([7, -7]);
  assert.deepEqual([...x.remainder(3).dataSync()], [1, 2]);
  assert.deepEqual([...x.fmod(3).dataSync()], [1, -1]);
  assert.deepEqual([...x.floorDivide(2).dataSync()], [3, -4]);
  assert.ok(Math.abs(tensor([1]).atan2(tensor([1])).dataSync()[0] - Math.PI / 4) < 1e-6);
  assert.deepEqual([...tensor([0, 10]).lerp(tensor([10, 20]), 0.5).dataSync()], [5, 15]);
  assert.deepEqual([...x.isclose(tensor([7, 7])).dataSync()], [1, 0]);
  const m = tensor([[1, 2], [3, 4]]);
  assert.deepEqual([...m.diagonal().dataSync()], [1, 4]);
  assert.deepEqual([...tensor([1, 2]).diag().dataSync()], [1, 0, 0, 2]);
  assert.equal(m.trace().itemSync(), 5);
  assert.deepEqual([...tensor([1, 2]).repeatInterleave(2).dataSync()], [1, 1, 2, 2]);
});
