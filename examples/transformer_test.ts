// The Transformer example's model learns its task: on short strings, a few
// dozen Adam steps take the loss well below chance, and greedy decoding
// returns strings of the right length.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { crossEntropy } from "@dendrite/losses";
import { Adam } from "@dendrite/optimizers";
import { greedyDecode, reversalBatch, Reverser, shiftRight, VOCAB } from "./src/reverse.ts";

Deno.test("the Transformer example learns to reverse digit strings: the loss falls well below chance", () => {
  const rng = new T.Generator(0);
  const model = new Reverser({ dModel: 32, nhead: 4, layers: 1, maxLen: 5, rng });
  const opt = new Adam(model.parameters(), { lr: 3e-3, betas: [0.9, 0.98] });
  const losses: number[] = [];
  for (let step = 0; step < 80; step++) {
    losses.push(T.tidy(() => {
      const { src, tgt } = reversalBatch(32, 5, rng);
      opt.zeroGrad();
      const l = crossEntropy(
        model.call(src, shiftRight(tgt)).reshape([-1, VOCAB]),
        tgt.reshape([-1]),
      );
      l.backward();
      opt.step();
      return l.itemSync() as number;
    }));
  }
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
  // Chance is ln 10 ≈ 2.30.
  assert.ok(first > 2 && last < 0.6 * first, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  model.eval();
  const { src } = reversalBatch(4, 5, new T.Generator(1));
  const pred = greedyDecode(model, src);
  assert.deepEqual(pred.shape, [4, 5]);
  assert.ok(pred.dataSync().every((v) => v >= 0 && v < VOCAB));
});
