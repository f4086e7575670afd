/**
 * `@dendrite/layers`: `Module`, `Parameter`, containers and the layers every
 * model is built from, with PyTorch's names, parameter layouts and default
 * initialisation.
 *
 * ```ts
 * import { Linear, ReLU, Sequential } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const net = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
 * const logits = net.call(randn([32, 784]));
 * console.log(logits.shape, net.numParameters());
 * ```
 *
 * @module
 */
export * from "./src/module.ts";
export * from "./src/containers.ts";
export * from "./src/init.ts";
export * from "./src/linear.ts";
export * from "./src/conv.ts";
export * from "./src/misc.ts";
export * from "./src/pool_more.ts";
export * from "./src/activation.ts";
export * from "./src/activation_more.ts";
export * from "./src/norm.ts";
export * from "./src/padding.ts";
export * from "./src/serialization.ts";
export * from "./src/attention.ts";
export * from "./src/transformer.ts";
export * from "./src/recurrent.ts";
