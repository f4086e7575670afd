// Barrel of the elementwise ops.
export * from "./unary.ts";
export * from "./activation.ts";
