import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradcheck } from "@dendrite/autograd";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";
import * as L from "../mod.ts";

testOnBackends("default initialisation follows PyTorch's bounds and distributions", () => {
  T.manualSeed(0);
  const fc = new L.Linear(400, 300);
  const b = 1 / Math.sqrt(400);
  assert.ok(fc.weight.dataSync().every((v) => Math.abs(v) <= b));
  assertClose(fc.weight.std(), b / Math.sqrt(3), { rtol: 0.02 });
  const conv = new L.Conv2d(16, 32, 3, { groups: 2 });
  const cb = 1 / Math.sqrt(8 * 9);
  assert.ok(conv.weight.dataSync().every((v) => Math.abs(v) <= cb));
  const ct = new L.ConvTranspose2d(16, 8, 4);
  assert.ok(ct.weight.dataSync().every((v) => Math.abs(v) <= 1 / Math.sqrt(8 * 16)));
  const emb = new L.Embedding(2000, 16);
  assertClose(emb.weight.std(), 1, { atol: 0.02 });
  const bn = new L.BatchNorm2d(3);
  assertClose(bn.weight!, [1, 1, 1]);
  assertClose(bn.running_var!, [1, 1, 1]);
});

testOnBackends("init functions match PyTorch's formulas", () => {
  const rng = new T.Generator(4);
  assert.equal(L.calculateGain("tanh"), 5 / 3);
  assertClose(L.calculateGain("leaky_relu", 0.2), Math.sqrt(2 / 1.04));
  const w = L.kaimingNormal_(T.empty([256, 512]), { nonlinearity: "relu", rng });
  assertClose(w.std(), Math.sqrt(2 / 512), { rtol: 0.02 });
  const wo = L.kaimingUniform_(T.empty([64, 128, 3, 3]), { mode: "fanOut", rng });
  assert.ok(
    wo.dataSync().every((v) => Math.abs(v) <= Math.sqrt(3) * Math.SQRT2 / Math.sqrt(64 * 9)),
  );
  const x = L.xavierNormal_(T.empty([300, 500]), { gain: 2, rng });
  assertClose(x.std(), 2 * Math.sqrt(2 / 800), { rtol: 0.02 });
  for (const shape of [[5, 3], [3, 5], [4, 2, 2]]) {
    const q = L.orthogonal_(T.empty(shape), { rng }).reshape([shape[0], -1]);
    const small = q.shape[0] <= q.shape[1]
      ? T.matmul(q, q.transpose())
      : T.matmul(q.transpose(), q);
    assertClose(small, T.eye(small.shape[0]), { atol: 1e-5 });
  }
  assertThrowsMessage(
    () => L.fans(T.zeros([3])),
    T.ShapeError,
    "Cannot compute fan in and fan out of a tensor of shape [3]: expected at least 2 axes",
  );
});

testOnBackends("layers name the layer and input shape on bad input", () => {
  assertThrowsMessage(
    () => new L.Linear(784, 10).call(T.zeros([32, 28, 28])),
    T.ShapeError,
    "Cannot apply Linear(784, 10) as the last axis must be 784: input shape is [32, 28, 28]",
  );
  assertThrowsMessage(
    () => new L.Conv2d(3, 8, 3).call(T.zeros([1, 1, 8, 8])),
    T.ShapeError,
    "Cannot apply Conv2d(3, 8) as the input must be [N, 3, H, W]: input shape is [1, 1, 8, 8]",
  );
  assertThrowsMessage(
    () => new L.BatchNorm2d(4).call(T.zeros([2, 3, 5, 5])),
    T.ShapeError,
    "Cannot apply BatchNorm2d(4) as the input must be [N, 4, H, W]: input shape is [2, 3, 5, 5]",
  );
  assertThrowsMessage(
    () => new L.BatchNorm1d(3).call(T.zeros([1, 3])),
    T.ShapeError,
    "Cannot apply BatchNorm1d(3) in training mode to input [1, 3]: expected more than 1 value per channel",
  );
  assertThrowsMessage(
    () => new L.GroupNorm(3, 4),
    RangeError,
    "Cannot create GroupNorm with numGroups = 3: it must divide numChannels = 4",
  );
  assertThrowsMessage(
    () => new L.Linear(0, 3),
    RangeError,
    "Cannot create Linear with inFeatures = 0: expected a positive integer",
  );
});

testOnBackends(
  "RMSNorm, Maxout, SwitchableNorm2d and weight standardization compute their definitions",
  () => {
    const rng = new T.Generator(2);
    const x = T.randn([3, 4], { rng, requiresGrad: true });
    const rms = new L.RMSNorm(4, { eps: 1e-6 });
    const ref = x.div(x.square().mean(-1, { keepDim: true }).add(1e-6).sqrt());
    assertClose(rms.call(x), ref, { atol: 1e-5 });
    gradcheck((x) => rms.call(x), [x]);
    const mo = new L.Maxout(4, 2, 3, { rng });
    const lin = mo.lin.call(x).reshape([3, 2, 3]).max(-1);
    assertClose(mo.call(x), lin);
    const sn = new L.SwitchableNorm2d(3);
    const img = T.randn([2, 3, 4, 4], { rng });
    // Equal mixing weights: the mean is the average of the IN, LN and BN means.
    const meanIn = img.mean([2, 3], { keepDim: true });
    const mean = meanIn.add(meanIn.mean(1, { keepDim: true })).add(
      meanIn.mean(0, { keepDim: true }),
    ).div(3);
    const out = sn.call(img);
    assert.equal(out.shape.join(), "2,3,4,4");
    const varIn = img.variance([2, 3], { keepDim: true, unbiased: false });
    const second = varIn.add(meanIn.square());
    const varLn = second.mean(1, { keepDim: true }).sub(meanIn.mean(1, { keepDim: true }).square());
    const varBn = second.mean(0, { keepDim: true }).sub(meanIn.mean(0, { keepDim: true }).square());
    const variance = varIn.add(varLn).add(varBn).div(3);
    assertClose(out, img.sub(mean).div(variance.add(1e-5).sqrt()), { atol: 1e-4 });
    sn.eval();
    assert.equal(sn.call(img).shape.join(), "2,3,4,4");
    const conv = L.weightStandardization(new L.Conv2d(2, 3, 3, { bias: false, rng }));
    const w = conv.weight;
    const ws = w.sub(w.mean([1, 2, 3], { keepDim: true })).div(
      w.std([1, 2, 3], { keepDim: true, unbiased: false }).add(1e-5),
    );
    const inp = T.randn([1, 2, 5, 5], { rng });
    assertClose(conv.call(inp), T.conv2d(inp, ws), { atol: 1e-5 });
    conv.call(inp).sum().backward();
    assert.ok(conv.weight.grad !== null);
  },
);

testOnBackends(
  "Module.to keeps values and parameter names on the target backend",
  async (backend) => {
    const m = new L.Sequential(new L.Linear(2, 3), new L.BatchNorm1d(3));
    const before = m.stateDict().get("0.weight")!.dataSync().slice();
    await m.to(backend);
    assert.deepEqual(m.stateDict().get("0.weight")!.dataSync(), before);
    assert.ok(m.parameters().every((p) => p.backend.name === backend && p.requiresGrad));
  },
);

testOnBackends("every layer with an expected input shape names itself and the shape it got", () => {
  const cases: [L.Module, T.Tensor[], string][] = [
    [
      new L.Conv1d(3, 4, 3),
      [T.zeros([2, 2, 9])],
      "Cannot apply Conv1d(3, 4) as the input must be [N, 3, L]: input shape is [2, 2, 9]",
    ],
    [
      new L.ConvTranspose2d(3, 4, 2),
      [T.zeros([1, 4, 5, 5])],
      "Cannot apply ConvTranspose2d(3, 4) as the input must be [N, 3, H, W]: input shape is [1, 4, 5, 5]",
    ],
    [
      new L.Bilinear(2, 3, 4),
      [T.zeros([5, 2]), T.zeros([5, 2])],
      "Cannot apply Bilinear(2, 3, 4) as the second input must be [N, 3]: input shape is [5, 2]",
    ],
    [
      new L.LayerNorm([4, 5]),
      [T.zeros([2, 5, 4])],
      "Cannot apply LayerNorm([4, 5]) as the trailing axes must be [4, 5]: input shape is [2, 5, 4]",
    ],
    [
      new L.GroupNorm(2, 4),
      [T.zeros([2, 6, 3])],
      "Cannot apply GroupNorm(2, 4) as the input must be [N, 4, ...]: input shape is [2, 6, 3]",
    ],
    [
      new L.InstanceNorm2d(3),
      [T.zeros([2, 3, 4])],
      "Cannot apply InstanceNorm2d(3) as the input must be [N, 3, H, W]: input shape is [2, 3, 4]",
    ],
    [
      new L.RMSNorm(8),
      [T.zeros([2, 4])],
      "Cannot apply RMSNorm([8]) as the trailing axes must be [8]: input shape is [2, 4]",
    ],
    [
      new L.SwitchableNorm2d(2),
      [T.zeros([2, 3, 2, 2])],
      "Cannot apply SwitchableNorm2d(2) as the input must be [N, 2, H, W]: input shape is [2, 3, 2, 2]",
    ],
    [
      new L.LocalResponseNorm(3),
      [T.zeros([4])],
      "Cannot apply LocalResponseNorm(3) as the input must have at least 3 axes: input shape is [4]",
    ],
    [
      new L.Maxout(4, 2, 2),
      [T.zeros([3, 5])],
      "Cannot apply Linear(4, 4) as the last axis must be 4: input shape is [3, 5]",
    ],
  ];
  for (const [m, inputs, msg] of cases) {
    assertThrowsMessage(() => m.call(...inputs), T.ShapeError, msg);
  }
});

Deno.test("Linear with a fused activation equals Linear followed by the activation layer", () => {
  const rng = () => new T.Generator(3);
  const x = T.randn([4, 6], { rng: new T.Generator(4) });
  const pairs: [L.LinearOptions["activation"], L.Module][] = [
    ["relu", new L.ReLU()],
    ["sigmoid", new L.Sigmoid()],
    ["tanh", new L.Tanh()],
  ];
  for (const [activation, layer] of pairs) {
    const fused = new L.Linear(6, 5, { rng: rng(), activation });
    const plain = new L.Sequential(new L.Linear(6, 5, { rng: rng() }), layer);
    assertClose(fused.call(x).dataSync(), plain.call(x).dataSync(), { atol: 1e-6, rtol: 1e-6 });
    assert.equal(
      fused.toString(),
      `Linear(inFeatures=6, outFeatures=5, bias=true, activation=${activation})`,
    );
    assert.deepEqual([...fused.stateDict().keys()], ["weight", "bias"]);
  }
  assertThrowsMessage(
    // deno-lint-ignore no-explicit-any
    () => new L.Linear(2, 2, { activation: "softmax" as any }),
    RangeError,
    'Cannot apply Linear with activation "softmax": expected "relu", "sigmoid" or "tanh"',
  );
});

Deno.test("Conv2d with a fused activation equals Conv2d followed by ReLU", () => {
  const x = T.randn([2, 3, 8, 8], { rng: new T.Generator(6) });
  const fused = new L.Conv2d(3, 4, 3, { padding: 1, rng: new T.Generator(7), activation: "relu" });
  const plain = new L.Sequential(
    new L.Conv2d(3, 4, 3, { padding: 1, rng: new T.Generator(7) }),
    new L.ReLU(),
  );
  assertClose(fused.call(x).dataSync(), plain.call(x).dataSync(), { atol: 1e-6, rtol: 1e-6 });
  assert.equal(fused.toString(), "Conv2d(3, 4, kernelSize=[3,3], padding=1, activation=relu)");
  assertThrowsMessage(
    // deno-lint-ignore no-explicit-any
    () => new L.Conv2d(3, 4, 3, { activation: "gelu" as any }),
    RangeError,
    'Cannot apply Conv2d with activation "gelu": expected "relu", "sigmoid" or "tanh"',
  );
});

Deno.test("convolution padding modes and pad layers reject bad settings by name", () => {
  assertThrowsMessage(
    // deno-lint-ignore no-explicit-any
    () => new L.Conv2d(1, 1, 3, { paddingMode: "mirror" as any }),
    RangeError,
    'Cannot create Conv2d with paddingMode "mirror": expected "zeros", "reflect", "replicate" or "circular"',
  );
  assertThrowsMessage(
    () => new L.ReflectionPad2d([1, 2]),
    RangeError,
    "Cannot create ReflectionPad2d with padding [1,2]: expected an integer or 4 integers (left, right, top, bottom)",
  );
  assertThrowsMessage(
    () => new L.ZeroPad2d(1).call(T.ones([4, 4])),
    T.ShapeError,
    "Cannot apply ZeroPad2d as the input must be [N, C, H, W] or [C, H, W]: input shape is [4, 4]",
  );
  // "zeros" (the default) leaves the padding to the convolution: same output as no mode.
  const a = new L.Conv2d(2, 3, 3, { padding: 1, rng: new T.Generator(3) });
  const b = new L.Conv2d(2, 3, 3, { padding: 1, paddingMode: "zeros", rng: new T.Generator(3) });
  const x = T.ones([1, 2, 4, 4]);
  assert.deepEqual([...a.call(x).dataSync()], [...b.call(x).dataSync()]);
});

Deno.test("truncNormal_ and eye_ fill like PyTorch's initialisers", () => {
  const w = [
    ...L.truncNormal_(T.zeros([20000]), { rng: new T.Generator(5) }).dataSync(),
  ] as number[];
  assert.ok(w.every((v) => v >= -2 && v <= 2));
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
  // The standard normal truncated to [−2, 2] has mean 0 and std 0.8796.
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.8796) < 0.02, `std ${std}`);
  const shifted = L.truncNormal_(T.zeros([5000]), {
    mean: 3,
    std: 0.5,
    a: 2.5,
    b: 4,
    rng: new T.Generator(6),
  });
  assert.ok(shifted.dataSync().every((v) => v >= 2.5 && v <= 4));
  assertThrowsMessage(
    () => L.truncNormal_(T.zeros([2]), { a: 5, b: 6 }),
    RangeError,
    "Cannot fill with truncNormal_() for mean 0, std 1 in [5, 6]: expected a < b, std > 0 and bounds within 3 std of the mean",
  );
  assert.deepEqual([...L.eye_(T.zeros([3, 2])).dataSync()], [1, 0, 0, 1, 0, 0]);
  assertThrowsMessage(
    () => L.eye_(T.zeros([2, 2, 2])),
    T.ShapeError,
    "Cannot fill a tensor of shape [2, 2, 2] with eye_(): expected 2 axes",
  );
});

Deno.test("requiresGrad_(false) freezes a module's parameters for fine-tuning", () => {
  const backbone = new L.Linear(3, 4, { rng: new T.Generator(1) });
  const head = new L.Linear(4, 2, { rng: new T.Generator(2) });
  const model = new L.Sequential(backbone, new L.ReLU(), head);
  assert.equal(backbone.requiresGrad_(false), backbone);
  assert.equal(model.numParameters(true), 10);
  model.call(T.ones([5, 3])).sum().backward();
  assert.equal(backbone.weight.grad, null);
  assert.ok(head.weight.grad !== null);
  backbone.requiresGrad_();
  assert.equal(model.numParameters(true), 26);
});

testOnBackends(
  "RReLU draws slopes in [lower, upper] while training and uses their mean in evaluation",
  () => {
    const layer = new L.RReLU(0.1, 0.3, { rng: new T.Generator(8) });
    assert.equal(layer.toString(), "RReLU(lower=0.1, upper=0.3)");
    const x = T.full([1000], -10);
    const y = [...layer.call(x).dataSync()] as number[];
    assert.ok(y.every((v) => v <= -1 + 1e-5 && v >= -3 - 1e-5));
    assert.ok(new Set(y).size > 900, "one slope per element");
    assert.deepEqual([...layer.call(T.tensor([0, 2.5])).dataSync()], [0, 2.5]);
    layer.eval();
    assertClose(layer.call(T.tensor([-10, 4])), [-2, 4], { rtol: 1e-6 });
    assertClose(new L.RReLU().eval().call(T.tensor([-24])), [-5.5], { rtol: 1e-6 });
    assertThrowsMessage(
      () => new L.RReLU(0.5, 0.2),
      RangeError,
      "Cannot create RReLU with lower 0.5 and upper 0.2: expected finite bounds with lower <= upper",
    );
  },
);
