/**
 * PyTorch-style printing of tensor values.
 *
 * @module
 */
import type { DType, TypedArray } from "./dtype.ts";
import { sizeOf } from "./shape.ts";

const EDGE = 3;
const THRESHOLD = 1000;

/**
 * Formats values the way `print(torch_tensor)` does: integer-valued floats
 * as `1.`, otherwise 4 decimals or scientific notation, aligned, summarised
 * with `...` above 1000 elements.
 *
 * @param data Row-major values.
 * @param shape The shape.
 * @param dtype The dtype.
 * @param info Autograd info to append.
 * @returns The printed tensor.
 * @example
 * ```ts
 * import { formatTensor } from "@dendrite/tensor";
 * const s = formatTensor(new Float32Array([1, 2.5]), [2], "float32", {});
 * console.assert(s === "tensor([1.0000, 2.5000])");
 * ```
 */
export function formatTensor(
  data: TypedArray,
  shape: readonly number[],
  dtype: DType,
  info: { requiresGrad?: boolean; gradFn?: string },
): string {
  const n = sizeOf(shape);
  const summarize = n > THRESHOLD;
  const shown: number[] = [];
  collect(data, shape, 0, 0, summarize, shown);
  const fmt = makeFormatter(shown, dtype);
  const width = shown.reduce((w, v) => Math.max(w, fmt(v).length), 0);
  const cell = (v: number) => fmt(v).padStart(width);
  const indent = "tensor(".length;
  let body: string;
  if (shape.length === 0) body = fmt(data[0]);
  else if (n === 0) body = "[]";
  else body = render(data, shape, 0, 0, indent + 1, summarize, cell);
  const extras: string[] = [];
  if (n === 0 && shape.length > 1) extras.push(`size=(${shape.join(", ")})`);
  if (dtype !== "float32" && dtype !== "bool") extras.push(`dtype=${dtype}`);
  if (n === 0 && dtype === "bool") extras.push("dtype=bool");
  if (info.gradFn) extras.push(`gradFn=<${info.gradFn}Backward>`);
  else if (info.requiresGrad) extras.push("requiresGrad=true");
  return `tensor(${body}${extras.map((e) => ", " + e).join("")})`;
}

function collect(
  data: TypedArray,
  shape: readonly number[],
  axis: number,
  off: number,
  summarize: boolean,
  out: number[],
): void {
  if (shape.length === 0) {
    out.push(data[0]);
    return;
  }
  const n = shape[axis];
  const stride = sizeOf(shape.slice(axis + 1));
  const idx = indices(n, summarize);
  for (const i of idx) {
    if (i < 0) continue;
    if (axis === shape.length - 1) out.push(data[off + i]);
    else collect(data, shape, axis + 1, off + i * stride, summarize, out);
  }
}

function indices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE) return [...Array(n).keys()];
  return [0, 1, 2, -1, n - 3, n - 2, n - 1];
}

function render(
  data: TypedArray,
  shape: readonly number[],
  axis: number,
  off: number,
  col: number,
  summarize: boolean,
  cell: (v: number) => string,
): string {
  const n = shape[axis];
  const stride = sizeOf(shape.slice(axis + 1));
  const parts: string[] = [];
  for (const i of indices(n, summarize)) {
    if (i < 0) parts.push("...");
    else if (axis === shape.length - 1) parts.push(cell(data[off + i]));
    else {
      parts.push(
        render(data, shape, axis + 1, off + i * stride, col + 1, summarize, cell),
      );
    }
  }
  if (axis === shape.length - 1) return `[${parts.join(", ")}]`;
  const sep = "," + "\n".repeat(shape.length - axis - 1) + " ".repeat(col);
  return `[${parts.join(sep)}]`;
}

function makeFormatter(values: number[], dtype: DType): (v: number) => string {
  if (dtype === "bool") return (v) => (v ? "True" : "False");
  if (dtype === "int32") return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v));
  const special = (v: number) => Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  if (finite.every((v) => Number.isInteger(v))) {
    const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (maxAbs > 1e8) return (v) => Number.isFinite(v) ? sci(v) : special(v);
    return (v) => Number.isFinite(v) ? `${Object.is(v, -0) ? "-0" : v.toFixed(0)}.` : special(v);
  }
  const nz = finite.filter((v) => v !== 0).map(Math.abs);
  const max = nz.length ? Math.max(...nz) : 0;
  const min = nz.length ? Math.min(...nz) : 0;
  const useSci = nz.length > 0 && (max / min > 1000 || max > 1e8 || min < 1e-4);
  if (useSci) return (v) => Number.isFinite(v) ? sci(v) : special(v);
  return (v) => Number.isFinite(v) ? v.toFixed(4) : special(v);
}

function sci(v: number): string {
  const [m, e] = v.toExponential(4).split("e");
  const exp = Number(e);
  return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}
