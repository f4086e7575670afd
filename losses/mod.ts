/**
 * `@dendrite/losses`: loss functions with PyTorch's definitions and
 * reductions, and classification metrics.
 *
 * ```ts
 * import { accuracy, crossEntropy } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], { requiresGrad: true });
 * const labels = tensor(new Int32Array([0, 2]));
 * const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * loss.backward();
 * console.log(loss.itemSync(), accuracy(logits, labels));
 * ```
 *
 * @module
 */
import "@dendrite/autograd";
export * from "./src/reduce.ts";
export * from "./src/regression.ts";
export * from "./src/classification.ts";
export * from "./src/embedding.ts";
export * from "./src/ctc.ts";
export * from "./src/metrics.ts";
export * from "./src/classes.ts";
