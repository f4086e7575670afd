import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { DTypeError, initWebGPU, ShapeError, type Tensor, tensor } from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import {
  assertClose,
  assertThrowsMessage,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
} from "@dendrite/tensor/testing";
import * as L from "../mod.ts";

interface Case {
  inputs: FixtureTensor[];
  output: FixtureTensor;
  r: FixtureTensor;
  grad: FixtureTensor;
}
const fx = await loadFixtures<Record<string, Case>>(
  new URL("../testdata/losses.json", import.meta.url),
);

type Fn = (...xs: Tensor[]) => Tensor;
/** CTC targets stay on the CPU (the loss reads them to build the alignment). */
const ctcTargets = (rows: number[][]) =>
  T.tensor(Int32Array.from(rows.flat()), { shape: [rows.length, rows[0].length] });
const fns: Record<string, Fn> = {
  mse_mean: (a, b) => L.mseLoss(a, b),
  mse_sum: (a, b) => L.mseLoss(a, b, { reduction: "sum" }),
  mse_none: (a, b) => L.mseLoss(a, b, { reduction: "none" }),
  l1: (a, b) => L.l1Loss(a, b),
  smoothL1: (a, b) => L.smoothL1Loss(a, b, { beta: 0.5 }),
  huber: (a, b) => L.huberLoss(a, b, { delta: 0.7 }),
  poisson: (a, b) => L.poissonNllLoss(a, b),
  poissonFull: (a, b) => L.poissonNllLoss(a.exp(), b, { logInput: false, full: true }),
  gaussian: (a, b, v) => L.gaussianNllLoss(a, b, v, { full: true }),
  ce: (a, b) => L.crossEntropy(a, b),
  ceWeighted: (a, b, w) => L.crossEntropy(a, b, { weight: w }),
  ceIgnore: (a, b) => L.crossEntropy(a, b, { ignoreIndex: 1 }),
  ceSmooth: (a, b, w) => L.crossEntropy(a, b, { weight: w, labelSmoothing: 0.2 }),
  ceNone: (a, b) => L.crossEntropy(a, b, { reduction: "none", labelSmoothing: 0.1 }),
  ceProbs: (a, b) => L.crossEntropy(a, b, { labelSmoothing: 0.1 }),
  ceSpatial: (a, b) => L.crossEntropy(a, b),
  nll: (a, b, w) => L.nllLoss(a, b, { weight: w, ignoreIndex: 3 }),
  bce: (a, b, w) => L.binaryCrossEntropy(a, b, { weight: w }),
  bceLogits: (a, b, pw) => L.binaryCrossEntropyWithLogits(a, b, { posWeight: pw }),
  kl: (a, b) => L.klDiv(a, b, { reduction: "batchmean" }),
  klLog: (a, b) => L.klDiv(a, b, { reduction: "sum", logTarget: true }),
  multiMargin: (a, b) => L.multiMarginLoss(a, b, { margin: 0.8 }),
  multiMargin2: (a, b, w) => L.multiMarginLoss(a, b, { p: 2, weight: w }),
  hinge: (a, b) => L.hingeEmbeddingLoss(a, b, { margin: 0.5 }),
  marginRanking: (a, b, c) => L.marginRankingLoss(a, b, c, { margin: 0.2 }),
  cosineEmb: (a, b, c) => L.cosineEmbeddingLoss(a, b, c, { margin: 0.1 }),
  triplet: (a, b, c) => L.tripletMarginLoss(a, b, c, { margin: 0.5 }),
  tripletSwapP1: (a, b, c) => L.tripletMarginLoss(a, b, c, { p: 1, swap: true }),
  softMargin: (a, b) => L.softMarginLoss(a, b),
  distill: (s, t, y) => L.distillationLoss(s, t, y, { temperature: 3, alpha: 0.3 }),
  cosineSimilarity: (a, b) => L.cosineSimilarity(a, b),
  cosineSimilarityBroadcast: (a, b) => L.cosineSimilarity(a, b, { dim: -1, eps: 1e-3 }),
  pairwiseDistance: (a, b) => L.pairwiseDistance(a, b, { p: 3 }),
  multiLabelSoftMargin: (a, b, w) => L.multiLabelSoftMarginLoss(a, b, { weight: w }),
  multiLabelSoftMarginSum: (a, b) =>
    new L.MultiLabelSoftMarginLoss({ reduction: "sum" }).call(a, b),
  tripletDistanceCosineSwap: (a, p, n) =>
    L.tripletMarginWithDistanceLoss(a, p, n, {
      distanceFunction: (x, y) => L.cosineSimilarity(x, y).rsub(1),
      margin: 0.4,
      swap: true,
    }),
  ctcMean: (x) =>
    L.ctcLoss(
      T.logSoftmax(x, 2),
      ctcTargets([[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0]]),
      [6, 5, 4],
      [3, 2, 0],
    ),
  ctcSumBlankLast: (x) =>
    L.ctcLoss(T.logSoftmax(x, 2), ctcTargets([[0, 1, 1], [2, 0, 1]]), [5, 5], [3, 3], {
      blank: 3,
      reduction: "sum",
    }),
  ctcZeroInfinity: (x) =>
    L.ctcLoss(T.logSoftmax(x, 2), ctcTargets([[0, 1, 1], [2, 0, 1]]), [2, 5], [3, 2], {
      blank: 3,
      reduction: "none",
      zeroInfinity: true,
    }),
  tripletDistanceDefault: (a, p, n) =>
    new L.TripletMarginWithDistanceLoss({ reduction: "none" }).call(a, p, n),
};

// Every loss on the CPU and, where an adapter exists (llvmpipe here), on WebGPU.
const backends = ["cpu"];
if (await initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  backends.push("webgpu");
}
for (const backend of backends) {
  for (const [name, c] of Object.entries(fx)) {
    Deno.test(`${name} matches PyTorch's loss and gradient [${backend}]`, async () => {
      const xs = await Promise.all(c.inputs.map(async (f, i) => {
        const t = await fromFixture(f).to(backend);
        return i === 0 ? t.detach().requiresGrad_() : t;
      }));
      const out = fns[name](...xs);
      assertClose(await out.data(), fromFixture(c.output).dataSync(), { atol: 1e-5, rtol: 1e-4 });
      const [g] = gradients(out.mul(await fromFixture(c.r).to(backend)).sum(), [xs[0]]);
      assertClose(await g.data(), fromFixture(c.grad).dataSync(), { atol: 1e-5, rtol: 1e-3 });
    });
  }
}

Deno.test("class forms call the functional losses with their options", () => {
  const a = tensor([1, 2, 3]), b = tensor([1, 0, 0]);
  assertClose(
    new L.MSELoss({ reduction: "sum" }).call(a, b),
    L.mseLoss(a, b, { reduction: "sum" }),
  );
  const logits = tensor([[1, 2], [0, 1]]), y = tensor(new Int32Array([1, 0]));
  assertClose(
    new L.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits, y),
    L.crossEntropy(logits, y, { labelSmoothing: 0.1 }),
  );
});

Deno.test("losses reject bad inputs with named errors", () => {
  assertThrowsMessage(
    () => L.mseLoss(tensor([1, 2]), tensor([1, 2, 3])),
    ShapeError,
    "Cannot compute mseLoss() of input [2] and target [3]: shapes must match",
  );
  assertThrowsMessage(
    () => L.crossEntropy(tensor([[1, 2]]), tensor(new Int32Array([2]))),
    RangeError,
    "Cannot compute crossEntropy() with target class 2: expected classes in [0, 1] (or ignoreIndex -100)",
  );
  assertThrowsMessage(
    () => L.crossEntropy(tensor([[1, 2]]), tensor([1.0, 0.0, 1.0])),
    ShapeError,
    "Cannot compute crossEntropy() of input [1, 2] and target [3]: shapes must match",
  );
  assertThrowsMessage(
    () => L.nllLoss(tensor([[1, 2]]), tensor([1])),
    DTypeError,
    "Cannot compute nllLoss() with a float32 target: expected int32 class indices",
  );
  assertThrowsMessage(
    () => L.binaryCrossEntropy(tensor([1.5]), tensor([1])),
    RangeError,
    "Cannot compute binaryCrossEntropy() of input value 1.5: expected probabilities in [0, 1] (use binaryCrossEntropyWithLogits for logits)",
  );
  assertThrowsMessage(
    () => L.mseLoss(tensor([1]), tensor([1]), { reduction: "avg" as "mean" }),
    RangeError,
    'Cannot apply mseLoss() with reduction "avg": expected "none", "mean" or "sum"',
  );
});

Deno.test("a NaN loss is detectable", () => {
  const l = L.mseLoss(tensor([NaN]), tensor([1]));
  assert.ok(Number.isNaN(l.itemSync()));
  assert.ok(l.isNan().any().itemSync());
});

Deno.test("metrics count like scikit-learn", () => {
  const scores = tensor([[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]]);
  const y = tensor(new Int32Array([0, 1, 1, 0]));
  assert.equal(L.accuracy(scores, y), 0.5);
  assert.equal(L.topKAccuracy(scores, y, 2), 1);
  assert.deepEqual(L.confusionMatrix(scores, y, 3), [[1, 1, 0], [0, 1, 1], [0, 0, 0]]);
  const r = L.precisionRecallF1(scores, y, 3);
  assertClose(r.perClass.precision, [1, 0.5, 0]);
  assertClose(r.perClass.recall, [0.5, 0.5, 0]);
  assertClose(r.macro.f1, (2 / 3 + 0.5 + 0) / 3);
  assert.equal(r.micro.f1, 0.5);
  assert.equal(L.zeroOneLoss(scores, y).itemSync(), 0.5);
  assert.throws(() => L.topKAccuracy(scores, y, 4), /expected an integer in \[1, 3\]/);
});

for (const backend of backends.filter((b) => b !== "cpu")) {
  Deno.test(`metrics name the backend of tensors they cannot read synchronously [${backend}]`, async () => {
    const scores = await tensor([[0.9, 0.1], [0.2, 0.8]]).to(backend);
    const y = tensor(new Int32Array([0, 0]));
    const msg = (op: string) =>
      `Cannot compute ${op}() from a tensor on backend "${backend}": metrics read values synchronously; move it first with await t.to("cpu")`;
    assert.throws(() => L.accuracy(scores, y), { message: msg("accuracy") });
    assert.throws(() => L.topKAccuracy(scores, y, 1), { message: msg("topKAccuracy") });
    assert.throws(() => L.confusionMatrix(scores, y, 2), { message: msg("confusionMatrix") });
    assert.equal(L.accuracy(await scores.to("cpu"), y), 0.5);
  });
}

Deno.test("a mean over only ignored targets is NaN with a zero gradient, as in PyTorch", () => {
  // A batch of nothing but padding: PyTorch's loss is 0/0 = NaN, but its
  // gradient is 0, so an optimizer step leaves the weights finite.
  const logits = tensor([[1, 2, 0.5], [0.3, -1, 2]], { requiresGrad: true });
  const pad = tensor(new Int32Array([-100, -100]));
  for (
    const loss of [
      L.crossEntropy(logits, pad),
      L.crossEntropy(logits, pad, { labelSmoothing: 0.1 }),
    ]
  ) {
    assert.ok(Number.isNaN(loss.itemSync()));
    assert.deepEqual([...gradients(loss, [logits])[0].dataSync()], [0, 0, 0, 0, 0, 0]);
  }
  const zeroWeight = L.nllLoss(logits, tensor(new Int32Array([1, 1])), {
    weight: tensor([1, 0, 1]),
  });
  assert.ok(Number.isNaN(zeroWeight.itemSync()));
  assert.deepEqual([...gradients(zeroWeight, [logits])[0].dataSync()], [0, 0, 0, 0, 0, 0]);
});

Deno.test("ctcLoss rejects bad targets and lengths by name; the class form matches", () => {
  const lp = T.logSoftmax(T.zeros([4, 1, 3]), 2);
  const tg = T.tensor(new Int32Array([1, 2]), { shape: [1, 2] });
  assertClose(new L.CTCLoss().call(lp, tg, [4], [2]), L.ctcLoss(lp, tg, [4], [2]));
  assertThrowsMessage(
    () => L.ctcLoss(lp, T.tensor(new Int32Array([0, 2]), { shape: [1, 2] }), [4], [2]),
    RangeError,
    "Cannot compute ctcLoss() with target class 0 (sample 0): expected classes in [0, 3) other than the blank 0",
  );
  assertThrowsMessage(
    () => L.ctcLoss(lp, tg, [5], [2]),
    ShapeError,
    "Cannot compute ctcLoss() with inputLengths [5] and targetLengths [2]: expected at most 4 and 2",
  );
  assertThrowsMessage(
    () => L.ctcLoss(lp, tg, [4], [2], { blank: 3 }),
    RangeError,
    "Cannot compute ctcLoss() with blank 3: expected a class in [0, 3)",
  );
});

if (backends.includes("webgpu")) {
  Deno.test("ctcLoss needs its targets on the CPU", async () => {
    const lp = await T.logSoftmax(T.zeros([4, 1, 3]), 2).to("webgpu");
    const tg = await T.tensor(new Int32Array([1, 2]), { shape: [1, 2] }).to("webgpu");
    assertThrowsMessage(
      () => L.ctcLoss(lp, tg, [4], [2]),
      T.BackendError,
      'Cannot compute ctcLoss() with targets on backend "webgpu": the alignment is built from their values, so keep them on the CPU (await targets.to("cpu"))',
    );
  });
}
