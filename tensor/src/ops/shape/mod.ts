// Barrel of the shape ops: one export line per file in this folder.
export {};
