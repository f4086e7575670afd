/**
 * Dendrite: deep learning for Deno. This root module re-exports every
 * package as a namespace and the everyday names directly.
 *
 * ```ts
 * import { tensor, gradcheck } from "./mod.ts";
 * const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const loss = w.matmul(w).sum();
 * loss.backward();
 * console.log(w.grad!.toString());
 * gradcheck((w) => w.matmul(w), [w]);
 * ```
 *
 * @module
 */
export * as tensorNs from "@dendrite/tensor";
export * as autograd from "@dendrite/autograd";
export * as layers from "@dendrite/layers";
export * as optimizers from "@dendrite/optimizers";
export * as losses from "@dendrite/losses";
export * as vision from "@dendrite/vision";
export * as sequence from "@dendrite/sequence";
export * as generative from "@dendrite/generative";
export * as metricLearning from "@dendrite/metric-learning";
export * as distill from "@dendrite/distill";
export * as data from "@dendrite/data";
export * from "@dendrite/tensor";
export {
  backward,
  enableGrad,
  grad,
  gradcheck,
  gradEnabled,
  gradgradcheck,
  gradients,
  noGrad,
  valueAndGrad,
} from "@dendrite/autograd";
