/**
 * Quick start: fits a two-layer network to XOR with autograd and plain
 * gradient descent, printing the loss as it falls.
 *
 * Run: `deno run -A examples/quickstart.ts`
 *
 * @module
 */
import { manualSeed, noGrad, randn, type Tensor, tensor } from "../mod.ts";

manualSeed(0);
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor([[0], [1], [1], [0]]);

const w1 = randn([2, 8]).mul(0.8).requiresGrad_();
const b1 = tensor(new Float32Array(8), { requiresGrad: true });
const w2 = randn([8, 1]).mul(0.5).requiresGrad_();
const b2 = tensor([0], { requiresGrad: true });
const params = [w1, b1, w2, b2];

const forward = (inp: Tensor) => inp.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sigmoid();

for (let step = 0; step <= 2000; step++) {
  const loss = forward(x).sub(y).square().mean();
  for (const p of params) p.zeroGrad();
  loss.backward();
  noGrad(() => {
    for (const p of params) p.sub_(p.grad!.mul(1.0));
  });
  if (step % 400 === 0) console.log(`step ${step}: loss ${(loss.itemSync() as number).toFixed(5)}`);
}
console.log("predictions:", forward(x).toString());
