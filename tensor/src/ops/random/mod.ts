// Barrel of the random ops.
export * from "./generator.ts";
export * from "./sample.ts";
