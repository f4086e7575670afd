// Barrel of the neural-network primitives.
export * from "./conv.ts";
export * from "./pool.ts";
export * from "./resize.ts";
export * from "./batchnorm.ts";
export * from "./sample.ts";
export * from "./attention.ts";
