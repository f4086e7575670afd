import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradcheck } from "@dendrite/autograd";
import { assertClose, testOnBackends } from "@dendrite/tensor/testing";

Deno.test("philox4x32 matches the Random123 known-answer vectors", () => {
  assert.deepEqual(T.philox4x32([0, 0, 0, 0], [0, 0]), [
    0x6627e8d5,
    0xe169c58d,
    0xbc57ac4c,
    0x9b00dbd8,
  ]);
  const f = 0xffffffff;
  assert.deepEqual(T.philox4x32([f, f, f, f], [f, f]), [
    0x408f276d,
    0x41c83b0e,
    0xa20bc7c6,
    0x6d5451fd,
  ]);
  assert.deepEqual(
    T.philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  );
});

testOnBackends("random tensors are reproducible under a seed", () => {
  T.manualSeed(42);
  const a = T.randn([64]).dataSync();
  T.manualSeed(42);
  assert.deepEqual(T.randn([64]).dataSync(), a);
  T.manualSeed(43);
  assert.notDeepEqual(T.randn([64]).dataSync(), a);
  const g = new T.Generator(5);
  const first = T.rand([10], { rng: g }).dataSync();
  const st = g.state();
  const next = T.rand([10], { rng: g }).dataSync();
  g.setState(st);
  assert.deepEqual(T.rand([10], { rng: g }).dataSync(), next);
  g.manualSeed(5);
  assert.deepEqual(T.rand([10], { rng: g }).dataSync(), first);
  // An explicit rng does not touch the default generator.
  T.manualSeed(1);
  const d1 = T.rand([4]).dataSync();
  T.manualSeed(1);
  T.rand([100], { rng: new T.Generator(9) });
  assert.deepEqual(T.rand([4]).dataSync(), d1);
});

testOnBackends("random distributions have the right moments and ranges", () => {
  const rng = new T.Generator(123);
  const u = T.rand([20000], { rng });
  assertClose(u.mean(), 0.5, { atol: 0.01 });
  assertClose(u.variance(), 1 / 12, { atol: 0.003 });
  const n = T.randn([20000], { rng });
  assertClose(n.mean(), 0, { atol: 0.03 });
  assertClose(n.std(), 1, { atol: 0.02 });
  const nm = T.normal(3, 2, [20000], { rng });
  assertClose(nm.mean(), 3, { atol: 0.05 });
  assertClose(nm.std(), 2, { atol: 0.05 });
  const ui = T.uniform(-3, 5, [5000], { rng }).dataSync();
  assert.ok(ui.every((v) => v >= -3 && v < 5));
  const ri = T.randint(-2, 3, [5000], { rng }).dataSync();
  assert.ok(ri.every((v) => v >= -2 && v < 3));
  assert.deepEqual(new Set(ri), new Set([-2, -1, 0, 1, 2]));
  const perm = [...T.randperm(100, { rng }).dataSync()];
  assert.deepEqual([...perm].sort((a, b) => a - b), [...Array(100).keys()]);
  assert.notDeepEqual(perm, [...Array(100).keys()]);
  const b = T.bernoulli(0.3, { shape: [20000], rng });
  assertClose(b.mean(), 0.3, { atol: 0.01 });
  const m = T.multinomial(T.tensor([1, 2, 7]), 20000, { replacement: true, rng }).dataSync();
  const freq = [0, 1, 2].map((k) => m.filter((v) => v === k).length / m.length);
  assertClose(freq, [0.1, 0.2, 0.7], { atol: 0.01 });
  const wo = [...T.multinomial(T.tensor([1, 1, 1, 1]), 4, { rng }).dataSync()].sort();
  assert.deepEqual(wo, [0, 1, 2, 3]);
});

testOnBackends("dropout zeroes a fraction p, scales the rest and backprops the mask", () => {
  const rng = new T.Generator(3);
  const x = T.ones([10000], { requiresGrad: true });
  const y = T.dropout(x, { p: 0.3, rng });
  const d = y.dataSync();
  const zeros = d.filter((v) => v === 0).length / d.length;
  assertClose(zeros, 0.3, { atol: 0.02 });
  assert.ok(d.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
  y.sum().backward();
  assertClose(x.grad!, d);
  assert.equal(T.dropout(x, { training: false }), x);
  assert.ok(T.dropout(x, { p: 1 }).dataSync().every((v) => v === 0));
  const w = T.tensor([[0.5, -1], [2, 3]], { requiresGrad: true });
  gradcheck((w) => T.dropout(w, { p: 0.5, rng: new T.Generator(1) }), [w]);
  const c = T.dropout2d(T.ones([2, 16, 3, 3]), { p: 0.5, rng }).reshape([32, 9]).dataSync();
  for (let r = 0; r < 32; r++) {
    const row = c.subarray(r * 9, r * 9 + 9);
    assert.ok(row.every((v) => v === row[0]), "whole channels are kept or dropped");
  }
  assert.throws(() => T.dropout(x, { p: 1.5 }), {
    name: "RangeError",
    message: "Cannot apply dropout() with p 1.5: expected a value in [0, 1]",
  });
});
