/**
 * An encoder-decoder Transformer learns to reverse strings of digits: token
 * embeddings with sinusoidal positions, teacher forcing with a causal mask,
 * Adam with warm-up, then greedy decoding of fresh strings. Runs on the CPU
 * in about a minute.
 *
 * Run: `deno task demo:transformer` (flags: `--steps`, `--len`, `--seed`).
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { crossEntropy } from "@dendrite/losses";
import { Adam, LambdaLR } from "@dendrite/optimizers";
import { greedyDecode, reversalBatch, Reverser, shiftRight, VOCAB } from "./src/reverse.ts";
import { flag } from "./src/flags.ts";

const steps = Number(flag("steps", "1000"));
const len = Number(flag("len", "8"));
const seed = Number(flag("seed", "0"));
const rng = new T.Generator(seed);
const model = new Reverser({ dModel: 32, nhead: 4, layers: 2, maxLen: len, rng });
const opt = new Adam(model.parameters(), { lr: 2e-3, betas: [0.9, 0.98] });
// Linear warm-up over the first 50 steps.
const sched = new LambdaLR(opt, { lrLambda: (s) => Math.min(1, (s + 1) / 50) });
console.log(`Transformer reversing ${len}-digit strings: ${model.numParameters()} parameters`);
const t0 = performance.now();
for (let step = 1; step <= steps; step++) {
  const loss = T.tidy(() => {
    const { src, tgt } = reversalBatch(64, len, rng);
    opt.zeroGrad();
    const logits = model.call(src, shiftRight(tgt));
    const l = crossEntropy(logits.reshape([-1, VOCAB]), tgt.reshape([-1]));
    l.backward();
    opt.step();
    sched.step();
    return l.itemSync() as number;
  });
  if (step % 50 === 0 || step === 1) {
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(4)}  (${s} s)`);
  }
}
model.eval();
const { src, tgt } = reversalBatch(200, len, new T.Generator(seed + 1));
const pred = greedyDecode(model, src);
const right = pred.eq(tgt).cast("int32").sum(1).eq(len).cast("int32").sum().itemSync() as number;
const tokens = pred.eq(tgt).cast("float32").mean().itemSync() as number;
console.log(
  `held-out strings reversed exactly: ${right}/200; digits right: ${(100 * tokens).toFixed(1)}%`,
);
const show = (t: T.Tensor) => [...t.dataSync()].join("");
for (let i = 0; i < 3; i++) {
  console.log(`  ${show(src.slice(`${i}`))} -> ${show(pred.slice(`${i}`))}`);
}
