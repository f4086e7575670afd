/**
 * Error types and message helpers shared by every Dendrite package.
 *
 * @module
 */

/**
 * Thrown when a tensor's shape does not fit an op.
 *
 * @example
 * ```ts
 * import { ShapeError } from "@dendrite/tensor";
 * const e = new ShapeError("Cannot reshape [2, 3] to [4]");
 * console.assert(e.name === "ShapeError");
 * ```
 */
export class ShapeError extends Error {
  /** Creates a shape error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

/**
 * Thrown when a tensor's dtype does not fit an op.
 *
 * @example
 * ```ts
 * import { DTypeError } from "@dendrite/tensor";
 * const e = new DTypeError("Cannot apply exp() to bool");
 * console.assert(e.name === "DTypeError");
 * ```
 */
export class DTypeError extends Error {
  /** Creates a dtype error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "DTypeError";
  }
}

/**
 * Thrown when a backend is missing, not initialised, or tensors from two
 * backends meet in one op.
 *
 * @example
 * ```ts
 * import { BackendError } from "@dendrite/tensor";
 * const e = new BackendError("Unknown backend \"tpu\"");
 * console.assert(e.name === "BackendError");
 * ```
 */
export class BackendError extends Error {
  /** Creates a backend error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "BackendError";
  }
}

/**
 * Formats a shape the way every Dendrite error prints it: `[2, 3]`.
 *
 * @param shape The shape to print.
 * @returns The shape in brackets.
 * @example
 * ```ts
 * import { fmtShape } from "@dendrite/tensor";
 * console.assert(fmtShape([2, 3]) === "[2, 3]");
 * ```
 */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
