import assert from "node:assert/strict";
import { ConcatDataset, defaultCollate, Subset, TensorDataset } from "@dendrite/data";
import { arange, DTypeError, ShapeError, tensor, transpose, zeros } from "@dendrite/tensor";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";

testOnBackends("TensorDataset get returns the i-th row of each tensor", () => {
  const x = arange(12).reshape([4, 3]);
  const y = tensor(new Int32Array([5, 6, 7, 8]));
  const ds = new TensorDataset(x, y);
  assert.equal(ds.length, 4);
  const [xi, yi] = ds.get(2);
  assert.deepEqual(xi.shape, [3]);
  assert.deepEqual(yi.shape, []);
  assert.deepEqual([...xi.dataSync()], [6, 7, 8]);
  assert.equal(yi.itemSync(), 7);
  assert.deepEqual([...ds.get(-1)[0].dataSync()], [9, 10, 11]);
});

testOnBackends("TensorDataset works on non-contiguous tensors", () => {
  const xt = transpose(arange(6).reshape([2, 3]), 0, 1); // [3, 2]: rows [0,3], [1,4], [2,5]
  const ds = new TensorDataset(xt);
  assert.deepEqual([...ds.get(1)[0].dataSync()], [1, 4]);
  const [b] = ds.batch([2, 0]);
  assertClose(b, [[2, 5], [0, 3]]);
});

testOnBackends("TensorDataset batch gathers rows like stacking get()", () => {
  const ds = new TensorDataset(arange(24).reshape([4, 2, 3]), tensor([0, 1, 0, 1]));
  const [xb, yb] = ds.batch([3, 1, 3]);
  assert.deepEqual(xb.shape, [3, 2, 3]);
  const [xs, ys] = defaultCollate([ds.get(3), ds.get(1), ds.get(3)]);
  assertClose(xb, xs);
  assertClose(yb, ys);
});

Deno.test("TensorDataset rejects mismatched first axes, scalars and bad indices", () => {
  assertThrowsMessage(
    () => new TensorDataset(zeros([3, 2]), zeros([4])),
    ShapeError,
    "Cannot create a TensorDataset from shapes [3, 2] and [4] (tensor 1): the first axes must match",
  );
  assertThrowsMessage(
    () => new TensorDataset(tensor(1)),
    ShapeError,
    "Cannot create a TensorDataset from tensor 0 of shape []: expected at least one axis",
  );
  assertThrowsMessage(
    () => new TensorDataset(),
    RangeError,
    "Cannot create a TensorDataset from no tensors: expected at least one",
  );
  const ds = new TensorDataset(zeros([3]));
  assertThrowsMessage(
    () => ds.get(3),
    RangeError,
    "Cannot get item 3 of TensorDataset with 3 items: expected an integer in [-3, 2]",
  );
  assertThrowsMessage(
    () => ds.batch([0, 1.5]),
    RangeError,
    "Cannot get item 1.5 of TensorDataset with 3 items: expected an integer in [-3, 2]",
  );
});

testOnBackends("TensorDataset with zero rows has length 0", () => {
  const ds = new TensorDataset(zeros([0, 3]));
  assert.equal(ds.length, 0);
  assert.throws(() => ds.get(0), RangeError);
});

Deno.test("Subset maps indices and keeps the parent's batch fast path", () => {
  const base = new TensorDataset(arange(10));
  const s = new Subset(base, [7, 2, 9]);
  assert.equal(s.length, 3);
  assert.equal(s.get(1)[0].itemSync(), 2);
  assert.equal(s.get(-1)[0].itemSync(), 9);
  assert.ok(s.batch);
  assert.deepEqual([...s.batch!([2, 0])[0].dataSync()], [9, 7]);
  const plain = new Subset({ length: 4, get: (i: number) => i }, [3]);
  assert.equal(plain.batch, undefined);
  assertThrowsMessage(
    () => new Subset(base, [1, 10]),
    RangeError,
    "Cannot create a Subset with index 10 (position 1) of a dataset with 10 items: expected an integer in [0, 9]",
  );
  assertThrowsMessage(
    () => s.get(3),
    RangeError,
    "Cannot get item 3 of Subset with 3 items: expected an integer in [-3, 2]",
  );
});

Deno.test("ConcatDataset indexes across parts, including empty ones", () => {
  const a = { length: 2, get: (i: number) => `a${i}` };
  const e = { length: 0, get: (_: number): string => "never" };
  const b = { length: 3, get: (i: number) => `b${i}` };
  const c = new ConcatDataset([a, e, b]);
  assert.equal(c.length, 5);
  assert.deepEqual(c.cumulativeSizes, [2, 2, 5]);
  assert.deepEqual(Array.from({ length: 5 }, (_, i) => c.get(i)), ["a0", "a1", "b0", "b1", "b2"]);
  assert.equal(c.get(-5), "a0");
  assertThrowsMessage(
    () => c.get(5),
    RangeError,
    "Cannot get item 5 of ConcatDataset with 5 items: expected an integer in [-5, 4]",
  );
  assertThrowsMessage(
    () => new ConcatDataset([]),
    RangeError,
    "Cannot create a ConcatDataset from no datasets: expected at least one",
  );
});

testOnBackends("defaultCollate stacks tensors and turns numbers into int32 or float32", () => {
  const items: [ReturnType<typeof zeros>, number, number][] = [
    [zeros([1, 2, 2]).add(1), 3, 0.5],
    [zeros([1, 2, 2]).add(2), 7, 1],
  ];
  const [x, y, z] = defaultCollate(items);
  assert.deepEqual(x.shape, [2, 1, 2, 2]);
  assert.deepEqual([...x.dataSync()], [1, 1, 1, 1, 2, 2, 2, 2]);
  assert.equal(y.dtype, "int32");
  assert.deepEqual([...y.dataSync()], [3, 7]);
  assert.equal(z.dtype, "float32");
  assert.deepEqual([...z.dataSync()], [0.5, 1]);
});

testOnBackends("defaultCollate handles objects, booleans and strings", () => {
  const out = defaultCollate([
    { img: zeros([2]), ok: true, name: "a" },
    { img: zeros([2]), ok: false, name: "b" },
  ]);
  assert.deepEqual(out.img.shape, [2, 2]);
  assert.equal(out.ok.dtype, "bool");
  assert.deepEqual([...out.ok.dataSync()], [1, 0]);
  assert.deepEqual(out.name, ["a", "b"]);
});

Deno.test("defaultCollate rejects mismatched shapes, dtypes, types and empty batches", () => {
  assertThrowsMessage(
    () => defaultCollate([[zeros([2]), 1], [zeros([3]), 2]]),
    ShapeError,
    "Cannot collate a tensor of shape [3] (item 1, position 0) with a tensor of shape [2] (item 0) in defaultCollate(): items must share one shape",
  );
  assertThrowsMessage(
    () => defaultCollate([zeros([2]), zeros([2], { dtype: "int32" })]),
    DTypeError,
    "Cannot collate dtypes float32 and int32 (item 1) in defaultCollate(): items must share one dtype",
  );
  assertThrowsMessage(
    () => defaultCollate<unknown>([1, "x"]),
    TypeError,
    "Cannot collate string (item 1) with numbers in defaultCollate()",
  );
  assertThrowsMessage(
    () => defaultCollate([]),
    RangeError,
    "Cannot collate an empty batch in defaultCollate(): expected at least one item",
  );
  assertThrowsMessage(
    () => defaultCollate([null]),
    TypeError,
    "Cannot collate null in defaultCollate(): expected tensors, numbers, booleans, strings, arrays or plain objects",
  );
});
