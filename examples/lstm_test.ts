// The LSTM example's model learns the adding problem on short sequences:
// its error falls well below the 1/6 of guessing the mean.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { mseLoss } from "@dendrite/losses";
import { Adam } from "@dendrite/optimizers";
import { Adder, addingBatch } from "./src/adding.ts";

Deno.test("the LSTM example learns the adding problem on short sequences", () => {
  const rng = new T.Generator(0);
  const model = new Adder(16, rng);
  const opt = new Adam(model.parameters(), { lr: 1e-2 });
  for (let step = 0; step < 400; step++) {
    T.tidy(() => {
      const { x, y } = addingBatch(32, 6, rng);
      opt.zeroGrad();
      mseLoss(model.call(x), y).backward();
      opt.step();
    });
  }
  const { x, y } = addingBatch(300, 6, new T.Generator(1));
  const mse = mseLoss(model.call(x), y).itemSync() as number;
  assert.ok(mse < 0.05, `held-out mse ${mse} (guessing: 0.167)`);
});
