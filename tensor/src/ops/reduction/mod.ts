// Barrel of the reduction ops: one export line per file in this folder.
export {};
