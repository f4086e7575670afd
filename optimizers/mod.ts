/**
 * `@dendrite/optimizers`: SGD to AdamW with PyTorch's update rules, parameter
 * groups and serialisable state, learning-rate schedules, and gradient
 * clipping.
 *
 * ```ts
 * import { Adam, CosineAnnealingLR, clipGradNorm } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([[1, -2], [0.5, 3]], { requiresGrad: true });
 * const opt = new Adam([w], { lr: 0.01 });
 * const sched = new CosineAnnealingLR(opt, { tMax: 10 });
 * for (let i = 0; i < 10; i++) {
 *   opt.zeroGrad();
 *   w.square().sum().backward();
 *   clipGradNorm([w], 1);
 *   opt.step();
 *   sched.step();
 * }
 * ```
 *
 * @module
 */
import "@dendrite/autograd";
export * from "./src/optimizer.ts";
export * from "./src/sgd.ts";
export * from "./src/adaptive.ts";
export * from "./src/schedulers.ts";
export * from "./src/clip.ts";
export * from "./src/checkpoint.ts";
