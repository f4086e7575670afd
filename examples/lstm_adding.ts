/**
 * An LSTM learns the adding problem: two marked values somewhere in a
 * sequence, their sum as the target. Guessing gives a mean squared error of
 * about 0.167; the LSTM gets far below it in a few hundred Adam steps.
 *
 * Run: `deno task demo:lstm` (flags: `--steps`, `--len`, `--seed`).
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { mseLoss } from "@dendrite/losses";
import { Adam, clipGradNorm } from "@dendrite/optimizers";
import { Adder, addingBatch } from "./src/adding.ts";
import { flag } from "./src/flags.ts";

const steps = Number(flag("steps", "800"));
const len = Number(flag("len", "30"));
const seed = Number(flag("seed", "0"));
const rng = new T.Generator(seed);
const model = new Adder(32, rng);
const opt = new Adam(model.parameters(), { lr: 5e-3 });
console.log(`LSTM on the adding problem, sequences of ${len}: ${model.numParameters()} parameters`);
const t0 = performance.now();
for (let step = 1; step <= steps; step++) {
  const loss = T.tidy(() => {
    const { x, y } = addingBatch(64, len, rng);
    opt.zeroGrad();
    const l = mseLoss(model.call(x), y);
    l.backward();
    clipGradNorm(model.parameters(), 1);
    opt.step();
    return l.itemSync() as number;
  });
  if (step % 100 === 0 || step === 1) {
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`step ${String(step).padStart(4)}  mse ${loss.toFixed(4)}  (${s} s)`);
  }
}
model.eval();
const { x, y } = addingBatch(500, len, new T.Generator(seed + 1));
const pred = model.call(x);
const mse = mseLoss(pred, y).itemSync() as number;
const close = pred.sub(y).abs().lt(0.1).cast("float32").mean().itemSync() as number;
console.log(
  `held-out mse ${mse.toFixed(4)} (guessing: 0.167); within 0.1 of the sum: ${
    (100 * close).toFixed(1)
  }%`,
);
