/**
 * Generated CPU loops for elementwise ops. Each op's `cpu` formula is inlined
 * into a loop compiled once per op (so V8 sees one monomorphic call site it
 * can inline), then driven row by row over strided, broadcast inputs.
 *
 * @module
 */
import type { ElementwiseSpec } from "../backend.ts";
import type { TypedArray } from "../dtype.ts";
import { PRELUDE_SOURCE } from "./prelude.ts";

/** A compiled inner loop: `out[oo + i] = f(a[ao + i*as], ...)` for `i < n`. */
export type RowLoop = (
  o: TypedArray,
  a: TypedArray,
  b: TypedArray,
  c: TypedArray,
  p0: number,
  p1: number,
  oo: number,
  ao: number,
  as: number,
  bo: number,
  bs: number,
  co: number,
  cs: number,
  n: number,
) => void;

const cache = new WeakMap<ElementwiseSpec, RowLoop>();

/**
 * Returns the compiled row loop for an elementwise spec.
 *
 * @param spec The op.
 * @returns The loop.
 */
export function rowLoop(spec: ElementwiseSpec): RowLoop {
  let f = cache.get(spec);
  if (f) return f;
  let args = ["a[ao + i]", "b[bo + i]", "c[co + i]"].slice(0, spec.arity);
  let sargs = ["a[ao + i * as]", "b[bo + i * bs]", "c[co + i * cs]"].slice(
    0,
    spec.arity,
  );
  if (spec.scalar === "b") {
    args = [args[0], "p0"];
    sargs = [sargs[0], "p0"];
  } else if (spec.scalar === "a") {
    args = ["p0", args[0]];
    sargs = ["p0", sargs[0]];
  }
  const unit = ["as === 1", "bs === 1", "cs === 1"].slice(0, spec.arity).join(
    " && ",
  );
  const call = (xs: string[]) => `f(${[...xs, "p0", "p1"].join(", ")})`;
  const body = `${PRELUDE_SOURCE}
const f = ${spec.cpu.toString()};
return function ${spec.name}Loop(o, a, b, c, p0, p1, oo, ao, as, bo, bs, co, cs, n) {
  if (${unit}) {
    for (let i = 0; i < n; i++) o[oo + i] = ${call(args)};
  } else {
    for (let i = 0; i < n; i++) o[oo + i] = ${call(sargs)};
  }
};`;
  f = new Function(body)() as RowLoop;
  cache.set(spec, f);
  return f;
}
