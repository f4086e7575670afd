// Barrel of the elementwise ops: one export line per file in this folder.
export {};
