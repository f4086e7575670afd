// Barrel of the joining, rearranging and indexing ops.
export * from "./join.ts";
export * from "./indexing.ts";
export * from "./transform.ts";
export * from "./einsum.ts";
export * from "./grid.ts";
