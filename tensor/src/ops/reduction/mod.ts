// Barrel of the reductions beyond the core set.
export * from "./stats.ts";
export * from "./softmax.ts";
export * from "./scan.ts";
export * from "./sort.ts";
