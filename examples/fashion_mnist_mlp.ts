/**
 * A multilayer perceptron (784-256-128-100-10, ReLU) on Fashion-MNIST: the
 * course's MLP baseline (published: 88.3%).
 *
 * Run: `deno task demo:mlp` (flags: `--epochs`, `--batch-size`, `--lr`, `--seed`).
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { noGrad } from "@dendrite/autograd";
import { Flatten, Linear, ReLU, Sequential } from "@dendrite/layers";
import { crossEntropy } from "@dendrite/losses";
import { Adam } from "@dendrite/optimizers";
import { DataLoader, FashionMNIST } from "@dendrite/data";
import { Progress } from "./src/progress.ts";
import { flag } from "./src/flags.ts";

const epochs = Number(flag("epochs", "10"));
const batchSize = Number(flag("batch-size", "128"));
const lr = Number(flag("lr", "0.001"));
const seed = Number(flag("seed", "0"));

const train = await FashionMNIST.load({ train: true });
const test = await FashionMNIST.load({ train: false });
const trainLoader = new DataLoader(train, { batchSize, shuffle: true, dropLast: true, seed });
const testLoader = new DataLoader(test, { batchSize: 1000 });
// Fashion-MNIST's pixel mean and standard deviation (of v / 255 over the training set).
const normalize = (x: T.Tensor) => x.sub(0.2860).div(0.3530);
const rng = new T.Generator(seed);
const model = new Sequential(
  new Flatten(),
  new Linear(784, 256, { rng }),
  new ReLU(),
  new Linear(256, 128, { rng }),
  new ReLU(),
  new Linear(128, 100, { rng }),
  new ReLU(),
  new Linear(100, 10, { rng }),
);
const opt = new Adam(model.parameters(), { lr });
const steps = trainLoader.length;
let acc = 0;
for (let epoch = 1; epoch <= epochs; epoch++) {
  const bar = new Progress(`epoch ${epoch}/${epochs}`, steps, batchSize);
  let lossSum = 0, correct = 0, s = 0;
  for await (const [x, y] of trainLoader) {
    opt.zeroGrad();
    const logits = model.call(normalize(x));
    const loss = crossEntropy(logits, y);
    loss.backward();
    opt.step();
    lossSum += (loss.itemSync() as number) * batchSize;
    correct += logits.argmax(1).eq(y).cast("int32").sum().itemSync() as number;
    s++;
    bar.update(s, { loss: lossSum / (s * batchSize), accuracy: correct / (s * batchSize) });
  }
  bar.done();
  let ok = 0;
  model.eval();
  await noGrad(async () => {
    for await (const [x, y] of testLoader) {
      ok += model.call(normalize(x)).argmax(1).eq(y).cast("int32").sum().itemSync() as number;
    }
  });
  model.train();
  acc = ok / test.length;
  console.log(`epoch ${epoch}: test accuracy ${(100 * acc).toFixed(2)}%`);
}
console.log(`MLP test accuracy ${(100 * acc).toFixed(2)}% after ${epochs} epochs`);
