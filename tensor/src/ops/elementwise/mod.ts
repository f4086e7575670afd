// Barrel of the elementwise ops.
export * from "./unary.ts";
export * from "./activation.ts";
export * from "./shrink.ts";
export * from "./binary_more.ts";
