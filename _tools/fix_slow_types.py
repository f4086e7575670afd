#!/usr/bin/env python3
"""Adds explicit types to exported op constants (JSR's no-slow-types rule):
`export const Exp = defineUnaryOp(` -> `export const Exp: UnaryOp = defineUnaryOp(`."""
import pathlib, re, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
for p in root.rglob("*.ts"):
    if ".tools" in p.parts:
        continue
    s = p.read_text()
    t = re.sub(r"export const (\w+) = defineUnaryOp\(", r"export const \1: UnaryOp = defineUnaryOp(", s)
    t = re.sub(r"export const (\w+) = defineBinaryOp\(", r"export const \1: BinaryOp = defineBinaryOp(", t)
    if t != s:
        p.write_text(t)
        print("typed", p)
