/**
 * Data types and their typed-array storage.
 *
 * @module
 */
import { DTypeError } from "./errors.ts";

/** The element types a tensor can hold. */
export type DType = "float32" | "int32" | "bool";

/** The typed array that stores a dtype on the CPU. */
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** All dtypes, in promotion order (lowest first). */
export const DTYPES: readonly DType[] = ["bool", "int32", "float32"];

/**
 * Allocates a zero-filled typed array for `dtype`.
 *
 * @param dtype The element type.
 * @param size The number of elements.
 * @returns A new zero-filled array.
 * @example
 * ```ts
 * import { allocArray } from "@dendrite/tensor";
 * console.assert(allocArray("int32", 3) instanceof Int32Array);
 * ```
 */
export function allocArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/**
 * Returns the bytes per element of `dtype`.
 *
 * @param dtype The element type.
 * @returns 4 for float32 and int32, 1 for bool.
 * @example
 * ```ts
 * import { bytesPerElement } from "@dendrite/tensor";
 * console.assert(bytesPerElement("float32") === 4);
 * ```
 */
export function bytesPerElement(dtype: DType): number {
  return dtype === "bool" ? 1 : 4;
}

/**
 * Returns the dtype that both `a` and `b` promote to (bool < int32 < float32).
 *
 * @param a The first dtype.
 * @param b The second dtype.
 * @returns The wider of the two.
 * @example
 * ```ts
 * import { promoteTypes } from "@dendrite/tensor";
 * console.assert(promoteTypes("int32", "float32") === "float32");
 * ```
 */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/**
 * Checks that `dtype` names a supported dtype.
 *
 * @param dtype The value to check.
 * @param op The op name for the error message.
 * @returns The dtype, typed.
 * @example
 * ```ts
 * import { checkDType } from "@dendrite/tensor";
 * console.assert(checkDType("int32", "zeros") === "int32");
 * ```
 */
export function checkDType(dtype: unknown, op: string): DType {
  if (dtype === "float32" || dtype === "int32" || dtype === "bool") {
    return dtype;
  }
  throw new DTypeError(
    `Cannot create a tensor in ${op}() with dtype ${
      JSON.stringify(dtype)
    }: expected "float32", "int32" or "bool"`,
  );
}

/**
 * Infers the dtype of a typed array.
 *
 * @param data The typed array.
 * @returns Its dtype.
 * @example
 * ```ts
 * import { dtypeOfArray } from "@dendrite/tensor";
 * console.assert(dtypeOfArray(new Int32Array(2)) === "int32");
 * ```
 */
export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int32Array) return "int32";
  return "bool";
}
