/**
 * `deno bench` for an MLP training step (W3 of ../shared/bench/spec.json):
 * 784-256-128-10 with ReLU, softmax cross-entropy written as
 * `-mean(sum(oneHot(y) * logSoftmax(logits)))`, batch 128, and an Adam update
 * written inline with in-place tensor ops. Timed in stages (forward,
 * forward+backward, the full step) plus the same step with `crossEntropy` and
 * the fused `Adam` of the packages, each with native BLAS (baseline), with the
 * WebAssembly SIMD GEMM and with the plain TypeScript GEMM (`gemm_modes.ts`);
 * a variant is ignored when this runtime lacks it.
 *
 * Run: `deno bench -A tensor/bench/mlp_bench.ts`
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { noGrad } from "@dendrite/autograd";
import { crossEntropy } from "@dendrite/losses";
import { Adam } from "@dendrite/optimizers";
import { readBack } from "./read_back.ts";
import { GEMM_MODES, inMode } from "./gemm_modes.ts";

const rng = new T.Generator(1234);
const sizes = [784, 256, 128, 10], batch = 128;
const lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;

/** Weights `[out, in]` ~ U(±1/sqrt(in)), zero biases, as the spec prescribes. */
function makeParams(): { ws: T.Tensor[]; bs: T.Tensor[] } {
  const ws = sizes.slice(1).map((o, i) =>
    T.uniform(-1, 1, [o, sizes[i]], { rng }).mul(1 / Math.sqrt(sizes[i])).requiresGrad_()
  );
  const bs = sizes.slice(1).map((o) => T.zeros([o], { requiresGrad: true }));
  return { ws, bs };
}

function forward(x: T.Tensor, ws: T.Tensor[], bs: T.Tensor[]): T.Tensor {
  let h = x;
  for (let i = 0; i < ws.length; i++) {
    h = T.linear(h, ws[i], bs[i]);
    if (i + 1 < ws.length) h = T.relu(h);
  }
  return h;
}

/** Softmax cross-entropy over one-hot targets, averaged over the batch. */
function softmaxCrossEntropy(logits: T.Tensor, oneHot: T.Tensor): T.Tensor {
  return T.mean(T.logSoftmax(logits, 1).mul(oneHot).sum(1)).neg();
}

const x = T.randn([batch, sizes[0]], { rng });
const labels = T.randint(0, 10, [batch], { rng });
const target = T.oneHot(labels, 10).cast("float32");

for (const mode of GEMM_MODES) {
  const tag = mode.tag;
  const common = { baseline: tag === "blas", ignore: !mode.available };
  // The step runs synchronously in the mode; its result is read back after.
  const run = (fn: () => T.Tensor) => async () => {
    await readBack(inMode(mode, fn));
  };

  const { ws, bs } = makeParams();
  const params = [...ws, ...bs];
  const m = params.map((p) => T.zerosLike(p)), v = params.map((p) => T.zerosLike(p));
  let t = 0;
  const adamInline = () =>
    noGrad(() => {
      t++;
      const c1 = 1 / (1 - beta1 ** t), c2 = 1 / (1 - beta2 ** t);
      params.forEach((p, i) => {
        const g = p.grad!;
        m[i].mul_(beta1).add_(g.mul(1 - beta1));
        v[i].mul_(beta2).add_(g.square().mul(1 - beta2));
        p.sub_(m[i].mul(c1 * lr).div(v[i].mul(c2).sqrt().add(eps)));
      });
    });

  Deno.bench({
    name: `MLP 784-256-128-10 forward, batch 128 [${tag}]`,
    group: "mlp forward",
    ...common,
    fn: run(() => noGrad(() => softmaxCrossEntropy(forward(x, ws, bs), target))),
  });
  Deno.bench({
    name: `MLP forward+backward [${tag}]`,
    group: "mlp forward+backward",
    ...common,
    fn: run(() => {
      for (const p of params) p.grad = null;
      softmaxCrossEntropy(forward(x, ws, bs), target).backward();
      return ws[0].grad!;
    }),
  });
  Deno.bench({
    name: `MLP step with inline Adam [${tag}]`,
    group: "mlp step (inline Adam)",
    ...common,
    fn: run(() => {
      for (const p of params) p.grad = null;
      const loss = softmaxCrossEntropy(forward(x, ws, bs), target);
      loss.backward();
      adamInline();
      return loss;
    }),
  });

  const lib = makeParams();
  const libParams = [...lib.ws, ...lib.bs];
  const opt = new Adam(libParams, { lr, betas: [beta1, beta2], eps });
  Deno.bench({
    name: `MLP step with crossEntropy + Adam (W3) [${tag}]`,
    group: "mlp step (packages)",
    ...common,
    fn: run(() => {
      opt.zeroGrad();
      const loss = crossEntropy(forward(x, lib.ws, lib.bs), labels);
      loss.backward();
      opt.step();
      return loss;
    }),
  });
}
