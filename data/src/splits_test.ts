import assert from "node:assert/strict";
import { kFold, randomSplit, Rng, stratifiedSplit } from "@dendrite/data";
import { DTypeError, tensor } from "@dendrite/tensor";
import { assertThrowsMessage } from "@dendrite/tensor/testing";

const ids = (n: number) => ({ length: n, get: (i: number) => i });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

Deno.test("randomSplit by fractions gives PyTorch's sizes, disjoint and covering", () => {
  const parts = randomSplit(ids(10), [0.8, 0.2], { seed: 0 });
  assert.deepEqual(parts.map((p) => p.length), [8, 2]);
  const all = parts.flatMap((p) => [...p.indices]);
  assert.deepEqual([...all].sort((a, b) => a - b), range(10));
  // Remainders go one by one to the first splits: 11 * [0.3, 0.3, 0.4] -> [3, 3, 4] + 1 -> [4, 3, 4].
  assert.deepEqual(randomSplit(ids(11), [0.3, 0.3, 0.4], { seed: 0 }).map((p) => p.length), [
    4,
    3,
    4,
  ]);
  // Items resolve through the subset.
  const [a] = randomSplit(ids(5), [5], { seed: 1 });
  assert.deepEqual(range(5).map((i) => a.get(i)), [...a.indices]);
});

Deno.test("randomSplit by counts is reproducible under a seed and uses the permutation", () => {
  const a = randomSplit(ids(20), [15, 5], { seed: 3 });
  const b = randomSplit(ids(20), [15, 5], { seed: 3 });
  assert.deepEqual(a[1].indices, b[1].indices);
  assert.deepEqual([...a[0].indices, ...a[1].indices], new Rng(3).permutation(20));
  const c = randomSplit(ids(20), [15, 5], { seed: 4 });
  assert.notDeepEqual(a[1].indices, c[1].indices);
  assertThrowsMessage(
    () => randomSplit(ids(10), [3, 4]),
    RangeError,
    "Cannot randomSplit() a dataset of 10 items into lengths [3, 4]: they sum to 7",
  );
  assertThrowsMessage(
    () => randomSplit(ids(10), [0.5, 4.5]),
    RangeError,
    "Cannot randomSplit() with lengths [0.5, 4.5]: expected non-negative integer counts or fractions summing to 1",
  );
});

Deno.test("stratifiedSplit keeps class proportions and covers every index once", () => {
  const labels = [...new Array(40).fill(0), ...new Array(20).fill(1), ...new Array(10).fill(2)];
  const [train, val] = stratifiedSplit(labels, [0.8, 0.2], { seed: 0 });
  assert.equal(train.length, 56);
  assert.equal(val.length, 14);
  const count = (s: number[], c: number) => s.filter((i) => labels[i] === c).length;
  assert.deepEqual([0, 1, 2].map((c) => count(val, c)), [8, 4, 2]);
  assert.deepEqual([...train, ...val].sort((a, b) => a - b), range(70));
  assert.deepEqual(val, [...val].sort((a, b) => a - b));
  const again = stratifiedSplit(tensor(new Int32Array(labels)), [0.8, 0.2], { seed: 0 });
  assert.deepEqual(again[1], val);
  assert.notDeepEqual(stratifiedSplit(labels, [0.8, 0.2], { seed: 1 })[1], val);
  assertThrowsMessage(
    () => stratifiedSplit(labels, [0.5, 0.6]),
    RangeError,
    "Cannot stratifiedSplit() with fractions [0.5, 0.6]: expected values in [0, 1] summing to 1",
  );
  assertThrowsMessage(
    () => stratifiedSplit(tensor([0, 1]), [1]),
    DTypeError,
    "Cannot stratifiedSplit() float32 labels: expected int32 or bool",
  );
});

Deno.test("kFold covers every index exactly once as validation, per repeat", () => {
  for (const shuffle of [false, true]) {
    const folds = [...kFold(11, 3, { shuffle, seed: 2, repeats: shuffle ? 3 : 1 })];
    assert.equal(folds.length, shuffle ? 9 : 3);
    for (let r = 0; r < (shuffle ? 3 : 1); r++) {
      const rep = folds.filter((f) => f.repeat === r);
      assert.deepEqual(rep.map((f) => f.fold), [0, 1, 2]);
      assert.deepEqual(rep.map((f) => f.val.length), [4, 4, 3]);
      assert.deepEqual(rep.flatMap((f) => f.val).sort((a, b) => a - b), range(11));
      for (const f of rep) {
        assert.deepEqual([...f.train, ...f.val].sort((a, b) => a - b), range(11));
        assert.deepEqual(f.val, [...f.val].sort((a, b) => a - b));
      }
    }
    if (shuffle) assert.notDeepEqual(folds[0].val, folds[3].val);
  }
  assert.deepEqual([...kFold(4, 2)].map((f) => f.val), [[0, 1], [2, 3]]);
});

Deno.test("kFold is reproducible under a seed and validates arguments", () => {
  const a = [...kFold(10, 5, { shuffle: true, seed: 7, repeats: 2 })];
  const b = [...kFold(10, 5, { shuffle: true, seed: 7, repeats: 2 })];
  assert.deepEqual(a, b);
  assert.deepEqual(
    a.filter((f) => f.repeat === 1).flatMap((f) => f.val),
    a.filter((f) => f.repeat === 1).flatMap((f) => f.val),
  );
  assertThrowsMessage(
    () => [...kFold(3, 4)],
    RangeError,
    "Cannot kFold() 3 items into 4 folds: expected 2 <= k <= 3",
  );
  assertThrowsMessage(
    () => [...kFold(10, 2, { repeats: 2, shuffle: false })],
    RangeError,
    "Cannot kFold() with repeats 2 and shuffle false: the repeats would be identical",
  );
});
