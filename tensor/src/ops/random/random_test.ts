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

testOnBackends(
  "rrelu: the mean slope in evaluation, a slope in [lower, upper] per element when training",
  () => {
    const x = T.tensor([-24, -1, 0, 3]);
    // torch.nn.functional.rrelu(x) (training=False): leaky_relu with (1/8 + 1/3) / 2.
    assertClose(T.rrelu(x), [-5.5, -0.22916667, 0, 3], { rtol: 1e-6 });
    assertClose(T.rrelu(x, { lower: 0.1, upper: 0.3 }), [-4.8, -0.2, 0, 3], { rtol: 1e-6 });
    const xs = T.randn([20000], { rng: new T.Generator(5) }).requiresGrad_();
    const y = T.rrelu(xs, { training: true, lower: 0.1, upper: 0.3, rng: new T.Generator(6) });
    const xv = xs.dataSync(), yv = y.dataSync();
    const slopes: number[] = [];
    for (let i = 0; i < xv.length; i++) {
      if (xv[i] > 0) assert.equal(yv[i], xv[i]);
      else if (xv[i] < 0) slopes.push(yv[i] / xv[i]);
    }
    assert.ok(slopes.every((a) => a >= 0.1 - 1e-6 && a <= 0.3 + 1e-6), "slopes within bounds");
    assertClose(slopes.reduce((s, a) => s + a, 0) / slopes.length, 0.2, { atol: 0.003 });
    // The slopes spread over the interval (variance of U(0.1, 0.3) is 0.04 / 12).
    const mean = slopes.reduce((s, a) => s + a, 0) / slopes.length;
    const variance = slopes.reduce((s, a) => s + (a - mean) ** 2, 0) / slopes.length;
    assertClose(variance, 0.04 / 12, { rtol: 0.05 });
    // The gradient is the drawn slope (1 for positive inputs).
    y.sum().backward();
    const gv = xs.grad!.dataSync();
    for (let i = 0; i < xv.length; i++) {
      const expected = xv[i] > 0 ? 1 : yv[i] / xv[i];
      if (xv[i] !== 0) assert.ok(Math.abs(gv[i] - expected) < 1e-5, `grad ${i}`);
    }
    // Same generator state, same slopes.
    const again = T.rrelu(xs, { training: true, lower: 0.1, upper: 0.3, rng: new T.Generator(6) });
    assert.deepEqual(again.dataSync(), yv);
    const w = T.tensor([[0.5, -1], [2, -3]], { requiresGrad: true });
    gradcheck((w) => T.rrelu(w, { training: true, rng: new T.Generator(1) }), [w]);
    assert.throws(() => T.rrelu(x, { lower: 0.5, upper: 0.1 }), {
      name: "RangeError",
      message:
        "Cannot apply rrelu() with lower 0.5 and upper 0.1: expected finite bounds with lower <= upper",
    });
    assert.throws(() => T.rrelu(T.tensor([1], { dtype: "int32" })), {
      name: "DTypeError",
      message: "Cannot apply rrelu() to a int32 tensor: expected float32",
    });
  },
);

testOnBackends(
  "gumbelSoftmax: softmax of Gumbel-perturbed logits; hard samples pass the soft gradient",
  () => {
    const logits = T.tensor([[1, 2, 3, 0.5], [0, 0, 0, 0], [-2, 4, 1, 1]]);
    // The same draws by hand: g = −log(−log(1 − u)).
    const u = new T.Generator(11).fillUniform(new Float32Array(12));
    const lv = logits.dataSync();
    const expected: number[] = [];
    for (let r = 0; r < 3; r++) {
      const z = [0, 1, 2, 3].map((c) =>
        (lv[r * 4 + c] - Math.log(-Math.log1p(-u[r * 4 + c]))) / 0.7
      );
      const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b);
      expected.push(...e.map((v) => v / s));
    }
    const soft = T.gumbelSoftmax(logits, { tau: 0.7, rng: new T.Generator(11) });
    assertClose(soft.reshape([12]), expected, { rtol: 1e-5, atol: 1e-7 });
    // Hard: the one-hot argmax of the same soft sample, with its gradient.
    const lg = logits.detach().requiresGrad_();
    const hard = T.gumbelSoftmax(lg, { tau: 0.7, hard: true, rng: new T.Generator(11) });
    const hv = hard.dataSync();
    for (let r = 0; r < 3; r++) {
      const row = expected.slice(r * 4, r * 4 + 4), best = row.indexOf(Math.max(...row));
      assert.deepEqual(
        [...hv.subarray(r * 4, r * 4 + 4)],
        [0, 1, 2, 3].map((c) => c === best ? 1 : 0),
      );
    }
    const weights = T.tensor([[1, -2, 3, 0.5], [2, 1, 0, -1], [0.5, 0.5, -3, 2]]);
    hard.mul(weights).sum().backward();
    const ls = logits.detach().requiresGrad_();
    T.gumbelSoftmax(ls, { tau: 0.7, rng: new T.Generator(11) }).mul(weights).sum().backward();
    assertClose(lg.grad!, ls.grad!, { rtol: 1e-5, atol: 1e-7 });
    // Along axis 0, and each sample sums to 1.
    const cols = T.gumbelSoftmax(logits, { axis: 0, rng: new T.Generator(2) });
    assertClose(cols.sum(0), [1, 1, 1, 1], { rtol: 1e-6 });
    // Gumbel-max: the largest entry of a sample is class k with probability softmax(logits)[k].
    const many = T.gumbelSoftmax(
      T.tensor([Math.log(0.1), Math.log(0.2), Math.log(0.7)]).expand([20000, 3]),
      {
        hard: true,
        rng: new T.Generator(3),
      },
    );
    assertClose(many.mean(0), [0.1, 0.2, 0.7], { atol: 0.012 });
    const w = T.tensor([[0.5, -1, 2]], { requiresGrad: true });
    gradcheck((w) => T.gumbelSoftmax(w, { tau: 2, rng: new T.Generator(4) }), [w]);
    assert.throws(() => T.gumbelSoftmax(logits, { tau: 0 }), {
      name: "RangeError",
      message: "Cannot apply gumbelSoftmax() with tau 0: expected a finite positive temperature",
    });
    assert.throws(() => T.gumbelSoftmax(T.tensor(1)), {
      name: "ShapeError",
      message: "Cannot apply gumbelSoftmax() to a 0-D tensor: expected at least 1-D logits",
    });
    assert.throws(() => T.gumbelSoftmax(logits, { axis: 2 }), { name: "RangeError" });
  },
);
