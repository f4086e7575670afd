// End to end: the demo's model trains on a 1,000-image subset of the real
// Fashion-MNIST (CI installs Debian's dataset-fashion-mnist) and learns.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from "@dendrite/layers";
import { crossEntropy } from "@dendrite/losses";
import { Adam } from "@dendrite/optimizers";
import { FashionMNIST } from "@dendrite/data";
import { lineChart } from "./src/svg.ts";
import { Canvas } from "./src/png.ts";

Deno.test("the demo CNN learns Fashion-MNIST: loss falls and accuracy beats chance by far", async () => {
  const train = await FashionMNIST.load({ train: true, download: false });
  assert.equal(train.length, 60000);
  const rng = new T.Generator(0);
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
  const opt = new Adam(model.parameters(), { lr: 2e-3 });
  const losses: number[] = [];
  for (let step = 0; step < 40; step++) {
    const idx = Array.from({ length: 25 }, (_, k) => (step * 25 + k) % 1000);
    const [x, y] = train.batch(idx);
    opt.zeroGrad();
    const loss = crossEntropy(model.call(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.itemSync() as number);
  }
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5,
    last = losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(last < 0.6 * first, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  model.eval();
  const [x, y] = train.batch(Array.from({ length: 1000 }, (_, k) => k));
  const acc = (model.call(x).argmax(1).eq(y).cast("int32").sum().itemSync() as number) / 1000;
  assert.ok(acc > 0.6, `accuracy on the 1,000 training images: ${acc}`);
});

Deno.test("the chart and image writers produce valid SVG and PNG", () => {
  const svg = lineChart("acc", [{ label: "test", values: [0.8, 0.9], color: "red" }], {
    xLabel: "epoch",
  });
  assert.match(svg, /^<svg[^>]*>[\s\S]*<polyline[^>]*points="[\d., ]+"[\s\S]*<\/svg>$/);
  const c = new Canvas(5, 4, [0, 0, 0]);
  c.text(0, 0, "1/2", [255, 0, 0]);
  const png = c.toPng();
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.equal(new DataView(png.buffer).getUint32(16), 5);
});
