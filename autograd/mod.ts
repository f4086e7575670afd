/**
 * `@dendrite/autograd`: reverse-mode automatic differentiation over
 * `@dendrite/tensor`. Importing it installs the engine behind
 * `Tensor.backward()`.
 *
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { gradcheck, noGrad } from "@dendrite/autograd";
 * const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
 * const x = tensor([[1, 2]]);
 * const loss = x.matmul(w).square().sum();
 * loss.backward();
 * console.log(w.grad!.toString());
 * gradcheck((w) => x.matmul(w).square(), [w]);
 * noGrad(() => w.mul(2)); // not recorded
 * ```
 *
 * @module
 */
export { backward, gradients, type GradientsOptions, type GradOptions } from "./src/engine.ts";
export {
  enableGrad,
  grad,
  gradEnabled,
  type GradFnOptions,
  noGrad,
  valueAndGrad,
} from "./src/functional.ts";
export { gradcheck, type GradcheckOptions, gradgradcheck } from "./src/gradcheck.ts";
