/**
 * The Dendrite demo: trains the "2 conv + pooling + batch norm" CNN on
 * Fashion-MNIST, shows progress, reports test accuracy, and leaves the
 * weights, metrics, a prediction grid, a confusion matrix and training
 * curves in the output folder.
 *
 * Run: `deno task demo` (or `deno run -A examples/fashion_mnist_cnn.ts
 * --epochs 10 --batch-size 64 --lr 0.001 --backend cpu --seed 0 --out out/cnn`; `--data DIR`
 * names a folder holding the four IDX files, `--limit N` trains on the first N images).
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { noGrad } from "@dendrite/autograd";
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  save,
  Sequential,
} from "@dendrite/layers";
import { confusionMatrix, crossEntropy } from "@dendrite/losses";
import { Adam, CosineAnnealingLR } from "@dendrite/optimizers";
import { DataLoader, FashionMNIST, Subset } from "@dendrite/data";
import { Progress } from "./src/progress.ts";
import { Canvas } from "./src/png.ts";
import { lineChart } from "./src/svg.ts";
import { flag } from "./src/flags.ts";

const epochs = Number(flag("epochs", "8"));
const batchSize = Number(flag("batch-size", "64"));
const lr = Number(flag("lr", "0.001"));
const backend = flag("backend", "cpu");
const seed = Number(flag("seed", "0"));
const outDir = flag("out", "out/fashion_mnist_cnn");
const limit = Number(flag("limit", "0")); // train on the first N images only (0: all)
for (const [k, v] of Object.entries({ epochs, batchSize, lr, seed })) {
  if (!Number.isFinite(v) || v < 0) {
    throw new RangeError(`--${k} must be a non-negative number: got ${v}`);
  }
}

if (backend === "webgpu") {
  const info = await T.initWebGPU({ allowSoftware: true });
  console.log(
    `WebGPU adapter: ${info.adapter.description || info.adapter.device}${
      info.software ? " (software)" : ""
    }`,
  );
}
T.setBackend(backend);
console.log(`backend: ${T.backendInfo()}`);

// Searches --data, $DENDRITE_DATA/fashion-mnist, ~/.cache/dendrite/fashion-mnist and
// /usr/share/datasets/fashion-mnist, then downloads to the cache (MD5-checked).
const dataRoot = flag("data", "") || undefined;
const train = await FashionMNIST.load({ root: dataRoot, train: true });
const test = await FashionMNIST.load({ root: dataRoot, train: false });
const nTrain = limit > 0 ? Math.min(limit, train.length) : train.length;
const trainSet = nTrain < train.length
  ? new Subset(train, Array.from({ length: nTrain }, (_, i) => i))
  : train;
console.log(`Fashion-MNIST from ${train.root}: ${nTrain} training and ${test.length} test images`);
// Batches are prepared (and moved to the backend) while the previous step trains;
// each epoch shuffles with its own seeded permutation.
const trainLoader = new DataLoader(trainSet, {
  batchSize,
  shuffle: true,
  dropLast: true,
  seed,
  backend,
});
const testLoader = new DataLoader(test, { batchSize: 500, backend });
// Fashion-MNIST's pixel mean and standard deviation (of v / 255 over the training set).
const MEAN = 0.2860, STD = 0.3530;
const normalize = (x: T.Tensor) => x.sub(MEAN).div(STD);

const rng = new T.Generator(seed);
T.manualSeed(seed);
const model = new Sequential(
  new Conv2d(1, 32, 3, { padding: 1, rng }),
  new BatchNorm2d(32),
  new ReLU(),
  new MaxPool2d(2),
  new Conv2d(32, 64, 3, { padding: 1, rng }),
  new BatchNorm2d(64),
  new ReLU(),
  new MaxPool2d(2),
  new Flatten(),
  new Linear(64 * 7 * 7, 128, { rng }),
  new ReLU(),
  new Dropout(0.25, { rng }),
  new Linear(128, 10, { rng }),
);
if (backend !== "cpu") await model.to(backend);
console.log(model.summary([1, 1, 28, 28]));

const stepsPerEpoch = Math.floor(nTrain / batchSize);
const opt = new Adam(model.parameters(), { lr });
const sched = new CosineAnnealingLR(opt, { tMax: Math.max(1, epochs * stepsPerEpoch) });

async function evaluate(): Promise<{ loss: number; accuracy: number; pred: Int32Array }> {
  model.eval();
  const pred = new Int32Array(test.length);
  let lossSum = 0, s = 0;
  await noGrad(async () => {
    for await (const [x, y] of testLoader) {
      const evalBatch = async () => {
        const logits = model.call(normalize(x));
        lossSum += (await crossEntropy(logits, y, { reduction: "sum" }).item()) as number;
        pred.set(await logits.argmax(1).data() as Int32Array, s);
      };
      await T.tidy(evalBatch);
      s += y.shape[0];
      x.dispose(), y.dispose();
    }
  });
  let ok = 0;
  for (let i = 0; i < test.length; i++) if (pred[i] === test.labels[i]) ok++;
  model.train();
  return { loss: lossSum / test.length, accuracy: ok / test.length, pred };
}

const history: {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  seconds: number;
}[] = [];
const t0 = performance.now();
let last: { loss: number; accuracy: number; pred: Int32Array } = {
  loss: 0,
  accuracy: 0,
  pred: new Int32Array(0),
};
for (let epoch = 1; epoch <= epochs; epoch++) {
  const te = performance.now();
  trainLoader.setEpoch(epoch - 1);
  const bar = new Progress(`epoch ${epoch}/${epochs}`, stepsPerEpoch, batchSize);
  let lossSum = 0, correct = 0, seen = 0, s = 0;
  for await (const [xb, yb] of trainLoader) {
    const trainStep = async () => {
      opt.zeroGrad();
      const logits = model.call(normalize(xb));
      const loss = crossEntropy(logits, yb);
      loss.backward();
      opt.step();
      sched.step();
      opt.zeroGrad();
      const l = (await loss.item()) as number;
      const hits = (await logits.argmax(1).eq(yb).cast("int32").sum().item()) as number;
      return { l, hits };
    };
    // tidy() frees the step's tensors when it ends: GPU buffers return to the
    // pool, and on the CPU the next step reuses their arrays instead of
    // fresh ones (whose pages the system must fault in and zero).
    const stats = await T.tidy(trainStep);
    if (!Number.isFinite(stats.l)) {
      throw new Error(`The loss became ${stats.l} at epoch ${epoch}, step ${s + 1}: lower --lr`);
    }
    lossSum += stats.l * batchSize, correct += stats.hits, seen += batchSize;
    bar.update(++s, { loss: lossSum / seen, accuracy: correct / seen });
    xb.dispose();
    yb.dispose();
  }
  bar.done();
  last = await evaluate();
  const seconds = (performance.now() - te) / 1000;
  history.push({
    epoch,
    trainLoss: lossSum / seen,
    trainAcc: correct / seen,
    testLoss: last.loss,
    testAcc: last.accuracy,
    seconds,
  });
  console.log(
    `epoch ${epoch}: train loss ${(lossSum / seen).toFixed(4)} acc ${
      (100 * correct / seen).toFixed(2)
    }% | ` +
      `test loss ${last.loss.toFixed(4)} acc ${(100 * last.accuracy).toFixed(2)}% | ${
        seconds.toFixed(0)
      } s`,
  );
}
const totalSeconds = (performance.now() - t0) / 1000;

// ---- outputs -------------------------------------------------------------
await Deno.mkdir(outDir, { recursive: true });
// Outputs are written from the CPU, whichever backend trained.
await model.to("cpu");
T.setBackend("cpu");
await save(`${outDir}/model.safetensors`, model, {
  metadata: { model: "fashion_mnist_cnn", epochs: String(epochs) },
});
const cm = confusionMatrix(T.tensor(last.pred), T.tensor(Int32Array.from(test.labels)), 10);
await Deno.writeTextFile(
  `${outDir}/metrics.json`,
  JSON.stringify(
    {
      backend: T.backendInfo(),
      epochs,
      batchSize,
      lr,
      seed,
      trainImages: nTrain,
      testAccuracy: last.accuracy,
      testLoss: last.loss,
      seconds: totalSeconds,
      history,
      confusionMatrix: cm,
      classes: test.classes,
    },
    null,
    2,
  ),
);

// A grid of the first 64 test images, each with "predicted/true" under it;
// wrong predictions get a red frame, right ones green.
{
  const cols = 8, rows = 8, cell = 40, scale = 1;
  const img = new Canvas(cols * cell + 4, rows * (cell + 10) + 4, [255, 255, 255]);
  for (let k = 0; k < rows * cols; k++) {
    const r = Math.floor(k / cols), c = k % cols;
    const x0 = 2 + c * cell + 4, y0 = 2 + r * (cell + 10) + 2;
    const ok = last.pred[k] === test.labels[k];
    img.rect(x0 - 2, y0 - 2, 32, 32, ok ? [40, 160, 60] : [220, 30, 30]);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = 255 - test.images[k * 784 + y * 28 + x];
        img.set(x0 + x, y0 + y, [v, v, v]);
      }
    }
    img.text(
      x0,
      y0 + 31,
      `${last.pred[k]}/${test.labels[k]}`,
      ok ? [0, 0, 0] : [220, 30, 30],
      scale,
    );
  }
  await Deno.writeFile(`${outDir}/predictions.png`, img.toPng());
}

// The confusion matrix as a heat map with counts (rows: true class, columns: predicted).
{
  const cell = 36, off = 30;
  const img = new Canvas(off + 10 * cell + 4, off + 10 * cell + 4);
  const max = Math.max(...cm.flat());
  for (let t = 0; t < 10; t++) {
    img.text(off + t * cell + cell / 2 - 2, 10, String(t), [0, 0, 0], 2);
    img.text(8, off + t * cell + cell / 2 - 5, String(t), [0, 0, 0], 2);
    for (let p = 0; p < 10; p++) {
      const v = cm[t][p] / max;
      const shade = Math.round(255 * (1 - v));
      img.rect(off + p * cell, off + t * cell, cell - 1, cell - 1, [shade, shade, 255]);
      img.text(
        off + p * cell + 3,
        off + t * cell + cell / 2 - 3,
        String(cm[t][p]),
        v > 0.5 ? [255, 255, 255] : [0, 0, 0],
      );
    }
  }
  await Deno.writeFile(`${outDir}/confusion_matrix.png`, img.toPng());
}

await Deno.writeTextFile(
  `${outDir}/loss.svg`,
  lineChart("Loss", [
    { label: "train", values: history.map((h) => h.trainLoss), color: "#1f77b4" },
    { label: "test", values: history.map((h) => h.testLoss), color: "#d62728" },
  ], { xLabel: "epoch", yLabel: "cross-entropy" }),
);
await Deno.writeTextFile(
  `${outDir}/accuracy.svg`,
  lineChart("Accuracy", [
    { label: "train", values: history.map((h) => h.trainAcc), color: "#1f77b4" },
    { label: "test", values: history.map((h) => h.testAcc), color: "#d62728" },
  ], { xLabel: "epoch", yLabel: "accuracy" }),
);
console.log(
  `test accuracy ${(100 * last.accuracy).toFixed(2)}% after ${epochs} epochs in ${
    (totalSeconds / 60).toFixed(1)
  } min; ` +
    `outputs in ${outDir}/ (model.safetensors, metrics.json, predictions.png, confusion_matrix.png, loss.svg, accuracy.svg)`,
);
