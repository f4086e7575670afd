// Barrel of the random ops: one export line per file in this folder.
export {};
