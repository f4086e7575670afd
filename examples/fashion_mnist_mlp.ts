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
import { batch, loadFashionMnist } from "./src/fmnist.ts";
import { Progress } from "./src/progress.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const a = Deno.args[i];
  return a.includes("=") ? a.slice(a.indexOf("=") + 1) : Deno.args[i + 1] ?? fallback;
}

const epochs = Number(flag("epochs", "10"));
const batchSize = Number(flag("batch-size", "128"));
const lr = Number(flag("lr", "0.001"));
const seed = Number(flag("seed", "0"));

const train = await loadFashionMnist(true), test = await loadFashionMnist(false);
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
const steps = Math.floor(train.n / batchSize);
let acc = 0;
for (let epoch = 1; epoch <= epochs; epoch++) {
  const order = T.randperm(train.n, { rng }).dataSync();
  const bar = new Progress(`epoch ${epoch}/${epochs}`, steps, batchSize);
  let lossSum = 0, correct = 0;
  for (let s = 0; s < steps; s++) {
    const { x, y } = batch(train, order.subarray(s * batchSize, (s + 1) * batchSize));
    opt.zeroGrad();
    const logits = model.call(x);
    const loss = crossEntropy(logits, y);
    loss.backward();
    opt.step();
    lossSum += (loss.itemSync() as number) * batchSize;
    correct += logits.argmax(1).eq(y).cast("int32").sum().itemSync() as number;
    bar.update(s + 1, {
      loss: lossSum / ((s + 1) * batchSize),
      accuracy: correct / ((s + 1) * batchSize),
    });
  }
  bar.done();
  let ok = 0;
  noGrad(() => {
    model.eval();
    for (let s = 0; s < test.n; s += 1000) {
      const idx = Array.from({ length: Math.min(1000, test.n - s) }, (_, k) => s + k);
      const { x, y } = batch(test, idx);
      ok += model.call(x).argmax(1).eq(y).cast("int32").sum().itemSync() as number;
    }
    model.train();
  });
  acc = ok / test.n;
  console.log(`epoch ${epoch}: test accuracy ${(100 * acc).toFixed(2)}%`);
}
console.log(`MLP test accuracy ${(100 * acc).toFixed(2)}% after ${epochs} epochs`);
