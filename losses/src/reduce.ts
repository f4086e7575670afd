/**
 * Reduction handling shared by every loss.
 *
 * @module
 */
import { fmtShape, ShapeError, type Tensor } from "@dendrite/tensor";

/** How per-element losses are combined. */
export type Reduction = "none" | "mean" | "sum";

/** Options every loss accepts. */
export interface LossOptions {
  /** `"mean"` (default), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

/**
 * Applies a reduction to per-element losses.
 *
 * @param loss Per-element losses.
 * @param reduction The reduction.
 * @param op The loss name for errors.
 * @returns The reduced loss.
 */
export function reduceLoss(loss: Tensor, reduction: Reduction | undefined, op: string): Tensor {
  switch (reduction ?? "mean") {
    case "none":
      return loss;
    case "sum":
      return loss.sum();
    case "mean":
      return loss.mean();
    default:
      throw new RangeError(
        `Cannot apply ${op}() with reduction "${reduction}": expected "none", "mean" or "sum"`,
      );
  }
}

/**
 * Checks that input and target have the same shape.
 *
 * @param input The prediction.
 * @param target The target.
 * @param op The loss name for errors.
 */
export function sameShape(input: Tensor, target: Tensor, op: string): void {
  if (input.shape.join() !== target.shape.join()) {
    throw new ShapeError(
      `Cannot compute ${op}() of input ${fmtShape(input.shape)} and target ${
        fmtShape(target.shape)
      }: shapes must match`,
    );
  }
}
