/**
 * Op definition helpers: elementwise ops as a formula plus a gradient rule,
 * and the glue every op uses to run kernels and wrap their outputs.
 *
 * @module
 */
import type { Backend, ElementwiseSpec, KernelOutput, TensorInfo } from "../backend.ts";
import { getBackend, runKernel } from "../backend.ts";
import type { DType } from "../dtype.ts";
import { promoteTypes } from "../dtype.ts";
import { BackendError, DTypeError } from "../errors.ts";
import { broadcastShapes, shapesEqual } from "../shape.ts";
import { record } from "../autodiff.ts";
import { Tensor } from "../tensor.ts";

/** A tensor or a plain number (converted to a scalar of a fitting dtype). */
export type TensorLike = Tensor | number | boolean;

/**
 * Wraps a kernel output as a tensor.
 *
 * @param o Kernel output.
 * @returns A fresh contiguous tensor.
 */
export function wrap(o: KernelOutput): Tensor {
  return new Tensor(o.storage, o.shape);
}

/**
 * Runs a registered kernel on the inputs' backend and wraps the outputs.
 *
 * @param name Kernel name.
 * @param inputs Input tensors (all on one backend).
 * @param attrs Kernel attributes.
 * @returns The output tensors.
 */
export function run(
  name: string,
  inputs: Tensor[],
  // deno-lint-ignore no-explicit-any
  attrs: any = {},
): Tensor[] {
  const backend = sameBackend(inputs, name);
  return runKernel(name, backend, inputs as TensorInfo[], attrs).map(wrap);
}

/**
 * Checks that tensors are alive and live on one backend.
 *
 * @param inputs The tensors.
 * @param op Op name for errors.
 * @returns Their backend (the current one when `inputs` is empty).
 */
export function sameBackend(inputs: Tensor[], op: string): Backend {
  if (inputs.length === 0) return getBackend();
  const b = inputs[0].backend;
  for (const t of inputs) {
    t.assertAlive(op);
    if (t.backend !== b) {
      throw new BackendError(
        `Cannot mix backends in ${op}(): got tensors on "${b.name}" and "${t.backend.name}"; move one with await t.to("${b.name}")`,
      );
    }
  }
  return b;
}

/**
 * Converts a number to a 0-d tensor next to `like` (float32 unless both are
 * integers; bool for booleans).
 *
 * @param x A tensor or number.
 * @param like The tensor whose backend and dtype guide the conversion.
 * @param on The backend when there is no `like` (default: the current one).
 * @returns A tensor.
 */
export function asTensor(x: TensorLike, like?: Tensor, on?: Backend): Tensor {
  if (x instanceof Tensor) return x;
  const backend = like?.backend ?? on ?? getBackend();
  if (typeof x === "boolean") {
    return new Tensor(backend.fromArray(new Uint8Array([x ? 1 : 0])), []);
  }
  const dt = scalarDType(x, like?.dtype ?? "float32");
  const arr = dt === "int32" ? new Int32Array([x]) : new Float32Array([x]);
  return new Tensor(backend.fromArray(arr), []);
}

/**
 * The dtype a number takes next to a tensor of dtype `dt`.
 *
 * @param x The number.
 * @param dt The tensor's dtype.
 * @returns `int32` for an integer next to an int/bool tensor, else `float32`.
 */
export function scalarDType(x: number, dt: DType): DType {
  return dt !== "float32" && Number.isInteger(x) ? "int32" : "float32";
}

/** How an elementwise op chooses its output dtype. */
export type DTypeRule =
  /** Output float32 (integer inputs are converted). */
  | "float"
  /** Output the (promoted) input dtype; bool becomes int32. */
  | "same"
  /** Output bool. */
  | "bool"
  /** Output the promoted input dtype, bool stays bool. */
  | "keep";

/** The definition of an elementwise unary op. */
export interface UnaryOpDef {
  /** PascalCase kernel name. */
  name: string;
  /** CPU formula `(a, p0, p1) => number` (see {@link ElementwiseSpec.cpu}). */
  cpu: (a: number, p0: number, p1: number) => number;
  /** WGSL expression over `a`, `p0`, `p1`. */
  wgsl: string;
  /** Output dtype rule (default `"float"`). */
  dtype?: DTypeRule;
  /** Gradient: `(dy, x, out, params) => dx`, or `null` when not differentiable. */
  vjp: ((dy: Tensor, x: Tensor, out: Tensor, params: number[]) => Tensor) | null;
}

/** A defined unary op. */
export interface UnaryOp {
  /** The kernel spec. */
  readonly spec: ElementwiseSpec;
  /** The definition. */
  readonly def: UnaryOpDef;
  /** Applies the op. */
  apply(x: Tensor, params?: number[]): Tensor;
}

function outDType(rule: DTypeRule, dt: DType, op: string): DType {
  switch (rule) {
    case "float":
      return "float32";
    case "bool":
      return "bool";
    case "keep":
      return dt;
    case "same":
      if (dt === "bool") {
        throw new DTypeError(
          `Cannot apply ${op}() to a bool tensor: convert it with .cast("int32") or .cast("float32") first`,
        );
      }
      return dt;
  }
}

/**
 * Defines an elementwise unary op from its CPU formula, WGSL snippet and
 * gradient rule.
 *
 * @param def The definition.
 * @returns The op; call `.apply(x)`.
 * @example
 * ```ts
 * import { defineUnaryOp, mul, tensor } from "@dendrite/tensor";
 * const Twice = defineUnaryOp({
 *   name: "Twice", cpu: (a) => 2 * a, wgsl: "2.0 * a",
 *   vjp: (dy) => mul(dy, 2),
 * });
 * console.assert(Twice.apply(tensor([1, 2])).dataSync().join() === "2,4");
 * ```
 */
export function defineUnaryOp(def: UnaryOpDef): UnaryOp {
  const spec: ElementwiseSpec = {
    name: def.name,
    arity: 1,
    cpu: def.cpu as ElementwiseSpec["cpu"],
    wgsl: def.wgsl,
  };
  const rule = def.dtype ?? "float";
  const opName = def.name[0].toLowerCase() + def.name.slice(1);
  return {
    spec,
    def,
    apply(x: Tensor, params: number[] = []): Tensor {
      const backend = sameBackend([x], opName);
      const dt = outDType(rule, x.dtype, opName);
      const out = wrap(backend.elementwise(spec, [x], x.shape, dt, params));
      const vjp = def.vjp;
      if (vjp === null || dt !== "float32") return out;
      return record(def.name, out, [x], (dy) => [vjp(dy, x, out, params)]);
    },
  };
}

/** The definition of an elementwise binary op. */
export interface BinaryOpDef {
  /** PascalCase kernel name. */
  name: string;
  /** CPU formula `(a, b) => number`. */
  cpu: (a: number, b: number) => number;
  /** WGSL expression over `a` and `b`. */
  wgsl: string;
  /** Output dtype rule (default `"same"`). */
  dtype?: DTypeRule;
  /**
   * Gradient: `(dy, a, b, out) => [da, db]` at the broadcast shape (Dendrite
   * sums them back to each input's shape), or `null`.
   */
  vjp:
    | ((dy: Tensor, a: Tensor, b: Tensor, out: Tensor) => [
      Tensor | null,
      Tensor | null,
    ])
    | null;
}

/** A defined binary op. */
export interface BinaryOp {
  /** The kernel spec (two tensors). */
  readonly spec: ElementwiseSpec;
  /** The definition. */
  readonly def: BinaryOpDef;
  /** Applies the op with NumPy broadcasting. */
  apply(a: TensorLike, b: TensorLike): Tensor;
}

/**
 * Defines an elementwise binary op with broadcasting from its CPU formula,
 * WGSL snippet and gradient rule.
 *
 * @param def The definition.
 * @returns The op; call `.apply(a, b)`.
 * @example
 * ```ts
 * import { defineBinaryOp, tensor } from "@dendrite/tensor";
 * const Hyp = defineBinaryOp({
 *   name: "Hyp", cpu: (a, b) => Math.hypot(a, b), wgsl: "sqrt(a * a + b * b)",
 *   dtype: "float", vjp: null,
 * });
 * console.assert(Hyp.apply(tensor([3]), tensor([4])).dataSync()[0] === 5);
 * ```
 */
export function defineBinaryOp(def: BinaryOpDef): BinaryOp {
  const spec: ElementwiseSpec = {
    name: def.name,
    arity: 2,
    cpu: def.cpu as ElementwiseSpec["cpu"],
    wgsl: def.wgsl,
  };
  const specB: ElementwiseSpec = { ...spec, name: def.name + "ScalarB", arity: 1, scalar: "b" };
  const specA: ElementwiseSpec = { ...spec, name: def.name + "ScalarA", arity: 1, scalar: "a" };
  const rule = def.dtype ?? "same";
  const opName = def.name[0].toLowerCase() + def.name.slice(1);
  return {
    spec,
    def,
    apply(a: TensorLike, b: TensorLike): Tensor {
      if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
        a = asTensor(a);
      }
      // A number next to a tensor that needs no grad through it runs as a scalar parameter.
      if (!(b instanceof Tensor) && typeof b === "number") {
        return scalarForm(a as Tensor, b, specB, false);
      }
      if (!(a instanceof Tensor) && typeof a === "number") {
        return scalarForm(b as Tensor, a, specA, true);
      }
      const ta = asTensor(a, b instanceof Tensor ? b : undefined);
      const tb = asTensor(b, ta);
      const backend = sameBackend([ta, tb], opName);
      const shape = broadcastShapes(ta.shape, tb.shape, opName);
      const dt = outDType(rule, promoteTypes(ta.dtype, tb.dtype), opName);
      const out = wrap(backend.elementwise(spec, [ta, tb], shape, dt, []));
      const vjp = def.vjp;
      if (vjp === null || dt !== "float32") return out;
      return record(def.name, out, [ta, tb], (dy) => {
        const [ga, gb] = vjp(dy, ta, tb, out);
        return [
          ga ? sumToShape(ga, ta.shape) : null,
          gb ? sumToShape(gb, tb.shape) : null,
        ];
      });
    },
  };

  function scalarForm(t: Tensor, s: number, sp: ElementwiseSpec, left: boolean): Tensor {
    const backend = sameBackend([t], opName);
    const dt = outDType(rule, promoteTypes(t.dtype, scalarDType(s, t.dtype)), opName);
    const out = wrap(backend.elementwise(sp, [t], t.shape, dt, [s]));
    const vjp = def.vjp;
    if (vjp === null || dt !== "float32" || !t.requiresGrad) return out;
    return record(def.name, out, [t], (dy) => {
      const st = asTensor(s, t.dtype === "float32" ? t : undefined);
      const [ga, gb] = left ? vjp(dy, st, t, out) : vjp(dy, t, st, out);
      const g = left ? gb : ga;
      return [g ? sumToShape(g, t.shape) : null];
    });
  }
}

/** Set by the reduce module: sums a gradient back to a broadcast input's shape. */
let sumToImpl: ((g: Tensor, shape: readonly number[]) => Tensor) | undefined;

/**
 * Installs the reduction used by {@link sumToShape} (done by the reduce ops).
 *
 * @param fn The implementation.
 */
export function setSumTo(fn: (g: Tensor, shape: readonly number[]) => Tensor): void {
  sumToImpl = fn;
}

/**
 * Sums `g` over broadcast axes so that it has `shape`.
 *
 * @param g A gradient at the broadcast shape.
 * @param shape The input's shape.
 * @returns `g` reduced to `shape`.
 * @example
 * ```ts
 * import { sumToShape, ones } from "@dendrite/tensor";
 * console.assert(sumToShape(ones([2, 3]), [3]).dataSync().join() === "2,2,2");
 * ```
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  return sumToImpl!(g, shape);
}
