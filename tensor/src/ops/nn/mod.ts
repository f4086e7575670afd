// Barrel of the nn ops: one export line per file in this folder.
export {};
