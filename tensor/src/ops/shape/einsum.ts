/**
 * `einsum` (Einstein summation through permute, reshape and batched matmul,
 * so it is differentiable for free) and the functional `linear`.
 *
 * @module
 */
import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { sizeOf } from "../../shape.ts";
import type { Tensor } from "../../tensor.ts";
import { matmul } from "../matmul.ts";
import { run, sameBackend } from "../define.ts";
import { checkActivation, type FusedActivation, throughActivation } from "../../fused.ts";
import { expand, permute, reshape, slice, transpose } from "../movement.ts";
import { record } from "../../autodiff.ts";
import { sum } from "../reduce.ts";

interface Term {
  t: Tensor;
  labels: string[];
}

function parse(equation: string, n: number): { inputs: string[][]; output: string[] } {
  const eq = equation.replace(/\s+/g, "");
  const sides = eq.split("->");
  if (sides.length > 2) {
    throw new RangeError(
      `Cannot parse einsum equation "${equation}": "->" may appear at most once`,
    );
  }
  const [lhs, rhs] = sides;
  const inputs = lhs.split(",").map((s) => [...s]);
  for (const s of inputs) {
    if (s.some((c) => !/[a-zA-Z]/.test(c))) {
      throw new RangeError(
        `Cannot parse einsum equation "${equation}": subscripts must be letters (ellipses are not supported)`,
      );
    }
  }
  if (inputs.length !== n) {
    throw new RangeError(
      `Cannot apply einsum("${equation}") to ${n} operands: the equation names ${inputs.length}`,
    );
  }
  let output: string[];
  if (rhs === undefined) {
    const counts = new Map<string, number>();
    for (const s of inputs) for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    output = [...counts].filter(([, k]) => k === 1).map(([c]) => c).sort();
  } else {
    output = [...rhs];
    const all = new Set(inputs.flat());
    for (const c of output) {
      if (!all.has(c)) {
        throw new RangeError(
          `Cannot parse einsum equation "${equation}": output subscript "${c}" appears in no input`,
        );
      }
    }
    if (new Set(output).size !== output.length) {
      throw new RangeError(
        `Cannot parse einsum equation "${equation}": an output subscript repeats`,
      );
    }
  }
  return { inputs, output };
}

/**
 * Takes the diagonal over each subscript repeated within one operand
 * (`"ii->i"`): the two axes move last, merge into one of `n * n` entries,
 * and every `(n + 1)`-th entry is kept. The label then names the last axis.
 */
function diagonals(term: Term, equation: string, i: number): Term {
  let { t, labels } = term;
  for (;;) {
    const second = labels.findIndex((l, k) => labels.indexOf(l) !== k);
    if (second < 0) return { t, labels };
    const first = labels.indexOf(labels[second]);
    const n = t.shape[first];
    if (t.shape[second] !== n) {
      throw new ShapeError(
        `Cannot apply einsum("${equation}"): operand ${i} repeats subscript "${
          labels[first]
        }" over axes of sizes ${n} and ${t.shape[second]}`,
      );
    }
    const rest = [...Array(t.ndim).keys()].filter((d) => d !== first && d !== second);
    const merged = reshape(permute(t, [...rest, first, second]), [
      ...rest.map((d) => t.shape[d]),
      n * n,
    ]);
    t = slice(merged, [...rest.map(() => null), [0, null, n + 1]]);
    labels = [...rest.map((d) => labels[d]), labels[first]];
  }
}

/** Sums out labels of `term` not needed later. */
function reduceUnneeded(term: Term, needed: Set<string>): Term {
  const drop = term.labels.map((l, i) => (needed.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (drop.length === 0) return term;
  return { t: sum(term.t, drop), labels: term.labels.filter((l) => needed.has(l)) };
}

function contract(a: Term, b: Term, keep: Set<string>): Term {
  const inB = new Set(b.labels), inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const contracted = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aFree = a.labels.filter((l) => !inB.has(l));
  const bFree = b.labels.filter((l) => !inA.has(l));
  const size = (t: Term, l: string) => t.t.shape[t.labels.indexOf(l)];
  const B = sizeOf(batch.map((l) => size(a, l))), M = aFree.map((l) => size(a, l));
  const K = sizeOf(contracted.map((l) => size(a, l))), N = bFree.map((l) => size(b, l));
  const m = sizeOf(M), n = sizeOf(N);
  // Each operand goes in as [B, M, K] / [B, K, N], or as a transposed view of
  // [B, K, M] / [B, N, K] when that is its own axis order (no copy: e.g. the
  // keys of "bhqd,bhkd->bhqk").
  const inOrder = (t: Term, order: string[]) => order.every((l, i) => t.labels[i] === l);
  const ra = !inOrder(a, [...batch, ...aFree, ...contracted]) &&
      inOrder(a, [...batch, ...contracted, ...aFree])
    ? transpose(reshape(a.t, [B, K, m]), 1, 2)
    : reshape(
      permute(a.t, [...batch, ...aFree, ...contracted].map((l) => a.labels.indexOf(l))),
      [B, m, K],
    );
  const rb = !inOrder(b, [...batch, ...contracted, ...bFree]) &&
      inOrder(b, [...batch, ...bFree, ...contracted])
    ? transpose(reshape(b.t, [B, n, K]), 1, 2)
    : reshape(
      permute(b.t, [...batch, ...contracted, ...bFree].map((l) => b.labels.indexOf(l))),
      [B, K, n],
    );
  const out = reshape(matmul(ra, rb), [...batch.map((l) => size(a, l)), ...M, ...N]);
  return { t: out, labels: [...batch, ...aFree, ...bFree] };
}

/**
 * Einstein summation, e.g. `einsum("bhqd,bhkd->bhqk", q, k)`. Supports any
 * number of operands, implicit outputs (`"ij,jk"`), sums over labels that
 * appear once (`"ij->i"`), transposes, diagonals and traces (a label
 * repeated within one operand, `"ii->i"`, `"ii"`) and size-1 axes that
 * broadcast against other operands; ellipses are not supported.
 *
 * @param equation The subscripts.
 * @param operands The tensors.
 * @returns The result.
 * @example
 * ```ts
 * import { einsum, tensor } from "@dendrite/tensor";
 * const a = tensor([[1, 2], [3, 4]]);
 * console.assert(einsum("ij,jk->ik", a, a).dataSync().join() === "7,10,15,22");
 * console.assert(einsum("ij->ji", a).dataSync().join() === "1,3,2,4");
 * console.assert(einsum("ii->i", a).dataSync().join() === "1,4");
 * ```
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const { inputs, output } = parse(equation, operands.length);
  const sizes = new Map<string, number>();
  const terms: Term[] = operands.map((t, i) => {
    const labels = inputs[i];
    if (labels.length !== t.ndim) {
      throw new ShapeError(
        `Cannot apply einsum("${equation}"): operand ${i} has shape ${
          fmtShape(t.shape)
        } but subscripts "${labels.join("")}"`,
      );
    }
    labels.forEach((l, k) => {
      const s = sizes.get(l);
      if (s !== undefined && s !== t.shape[k] && s !== 1 && t.shape[k] !== 1) {
        throw new ShapeError(
          `Cannot apply einsum("${equation}"): subscript "${l}" has sizes ${s} and ${t.shape[k]}`,
        );
      }
      sizes.set(l, Math.max(s ?? 0, t.shape[k]));
    });
    return { t, labels: [...labels] };
  }).map((term, i) => {
    // Size-1 axes broadcast against the other operands' sizes, as in PyTorch.
    const full = term.labels.map((l) => sizes.get(l)!);
    const t = full.some((n, k) => n !== term.t.shape[k]) ? expand(term.t, full) : term.t;
    return diagonals({ t, labels: term.labels }, equation, i);
  });
  const outSet = new Set(output);
  const neededAfter = (i: number) => {
    const s = new Set(output);
    for (let j = i; j < terms.length; j++) for (const l of terms[j].labels) s.add(l);
    return s;
  };
  let acc = reduceUnneeded(terms[0], neededAfter(1));
  for (let i = 1; i < terms.length; i++) {
    const keep = neededAfter(i + 1);
    const next = reduceUnneeded(terms[i], new Set([...keep, ...acc.labels]));
    acc = contract(acc, next, keep);
  }
  acc = reduceUnneeded(acc, outSet);
  return permute(acc.t, output.map((l) => acc.labels.indexOf(l)));
}

/**
 * The affine map of a fully connected layer: `x · weightᵀ + bias`, optionally
 * followed by an activation. The bias and the activation are applied by the
 * matmul kernel as it writes its output (one kernel instead of three, like
 * TensorFlow.js's fused `dense`); the result equals
 * `relu(linear(x, w, b))` and friends.
 *
 * @param x Input `[..., in]`.
 * @param weight `[out, in]`.
 * @param bias Optional `[out]`.
 * @param options `activation`: `"relu"`, `"sigmoid"` or `"tanh"` (none by default).
 * @returns `[..., out]`.
 * @example
 * ```ts
 * import { linear, tensor } from "@dendrite/tensor";
 * const y = linear(tensor([[1, 2]]), tensor([[1, 0], [0, 1], [1, 1]]), tensor([0, 0, 1]));
 * console.assert(y.dataSync().join() === "1,2,4");
 * const r = linear(tensor([[1, -2]]), tensor([[1, 0], [0, 1]]), undefined, { activation: "relu" });
 * console.assert(r.dataSync().join() === "1,0");
 * ```
 */
export function linear(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor,
  options: { activation?: FusedActivation } = {},
): Tensor {
  const act = options.activation;
  checkActivation("linear()", act);
  sameBackend(bias ? [x, weight, bias] : [x, weight], "linear");
  for (const [name, t] of [["input", x], ["weight", weight], ["bias", bias]] as const) {
    if (t && t.dtype !== "float32") {
      throw new DTypeError(
        `Cannot apply linear() to a ${t.dtype} ${name}: expected float32; use cast(x, "float32")`,
      );
    }
  }
  if (weight.ndim !== 2) {
    throw new ShapeError(
      `Cannot apply linear() with weight ${fmtShape(weight.shape)}: expected [out, in]`,
    );
  }
  const [outF, inF] = weight.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(
      `Cannot apply Linear(${inF}, ${outF}) as the last axis must be ${inF}: input shape is ${
        fmtShape(x.shape)
      }`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(
      `Cannot apply linear() with bias ${fmtShape(bias.shape)}: expected [${outF}]`,
    );
  }
  // One recorded op so that the weight gradient comes out as dyᵀ·x, already
  // laid out like the weight (no transposed copy per step).
  const rows = sizeOf(x.shape.slice(0, -1));
  const x2 = reshape(x.detach(), [rows, inF]);
  const wt = transpose(weight.detach());
  const [y] = run("MatMul", bias ? [x2, wt, bias.detach()] : [x2, wt], { activation: act });
  const out = reshape(y, [...x.shape.slice(0, -1), outF]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record("Linear", out, inputs, (dy) => {
    // Through the activation first (its derivative from the output).
    const d2 = throughActivation(reshape(dy, [rows, outF]), reshape(out, [rows, outF]), act);
    return [
      x.requiresGrad ? reshape(matmul(d2, weight), x.shape) : null,
      weight.requiresGrad ? matmul(transpose(d2), reshape(x, [rows, inF])) : null,
      bias && bias.requiresGrad ? sum(d2, 0) : null,
    ];
  });
}
