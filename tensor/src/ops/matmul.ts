/**
 * Matrix multiplication with PyTorch's rules for 1-D, 2-D and batched
 * (broadcast) operands, and its gradient.
 *
 * @module
 */
import { DTypeError, fmtShape, ShapeError } from "../errors.ts";
import { broadcastShapes } from "../shape.ts";
import { record } from "../autodiff.ts";
import type { Tensor } from "../tensor.ts";
import { run, sameBackend, sumToShape } from "./define.ts";
import { expand, reshape, squeeze, transpose, unsqueeze } from "./movement.ts";

/**
 * Multiplies matrices: `[..., M, K] @ [..., K, N] -> [..., M, N]`, with
 * batch axes broadcast; a 1-D left operand is a row vector and a 1-D right
 * operand a column vector (their axis is removed from the result).
 *
 * @param a Left operand (float32).
 * @param b Right operand (float32).
 * @returns The product.
 * @example
 * ```ts
 * import { matmul, tensor } from "@dendrite/tensor";
 * const a = tensor([[1, 2], [3, 4]]);
 * console.assert(matmul(a, a).dataSync().join() === "7,10,15,22");
 * console.assert(matmul(tensor([1, 1]), a).dataSync().join() === "4,6");
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  sameBackend([a, b], "matmul");
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    throw new DTypeError(
      `Cannot multiply ${a.dtype} and ${b.dtype} tensors in matmul(): expected float32; use cast(x, "float32")`,
    );
  }
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `Cannot multiply shapes ${fmtShape(a.shape)} and ${
        fmtShape(b.shape)
      } in matmul(): both operands need at least 1 axis`,
    );
  }
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  const k1 = a2.shape[a2.ndim - 1], k2 = b2.shape[b2.ndim - 2];
  if (k1 !== k2) {
    throw new ShapeError(
      `Cannot multiply shapes ${fmtShape(a.shape)} and ${
        fmtShape(b.shape)
      } in matmul(): inner sizes ${k1} and ${k2} differ`,
    );
  }
  let out = matmulNd(a2, b2);
  if (a.ndim === 1) out = squeeze(out, -2);
  if (b.ndim === 1) out = squeeze(out, -1);
  return out;
}

/** Both operands have ndim >= 2 and matching inner sizes. */
function matmulNd(a: Tensor, b: Tensor): Tensor {
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), "matmul");
  const ae = expand(a.detach(), [...batch, ...a.shape.slice(-2)]);
  const be = expand(b.detach(), [...batch, ...b.shape.slice(-2)]);
  const [out] = run("MatMul", [ae, be], {});
  return record("MatMul", out, [a, b], (dy) => [
    a.requiresGrad ? sumToShape(matmulNd(dy, transpose(b)), a.shape) : null,
    b.requiresGrad ? sumToShape(matmulNd(transpose(a), dy), b.shape) : null,
  ]);
}

/**
 * Batched matrix product of 3-D tensors `[B, M, K] @ [B, K, N]` (no
 * broadcasting, like `torch.bmm`).
 *
 * @param a `[B, M, K]`.
 * @param b `[B, K, N]`.
 * @returns `[B, M, N]`.
 * @example
 * ```ts
 * import { bmm, ones } from "@dendrite/tensor";
 * console.assert(bmm(ones([2, 3, 4]), ones([2, 4, 5])).shape.join() === "2,3,5");
 * ```
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new ShapeError(
      `Cannot apply bmm() to shapes ${fmtShape(a.shape)} and ${
        fmtShape(b.shape)
      }: expected [B, M, K] and [B, K, N] with the same B`,
    );
  }
  return matmul(a, b);
}

/**
 * Outer product of two vectors: `[M] x [N] -> [M, N]`.
 *
 * @param a `[M]`.
 * @param b `[N]`.
 * @returns `[M, N]`.
 * @example
 * ```ts
 * import { outer, tensor } from "@dendrite/tensor";
 * console.assert(outer(tensor([1, 2]), tensor([3, 4])).dataSync().join() === "3,4,6,8");
 * ```
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new ShapeError(
      `Cannot apply outer() to shapes ${fmtShape(a.shape)} and ${
        fmtShape(b.shape)
      }: expected two 1-D tensors`,
    );
  }
  return matmul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]));
}

/**
 * Dot product of two vectors of equal length.
 *
 * @param a `[N]`.
 * @param b `[N]`.
 * @returns A 0-d tensor.
 * @example
 * ```ts
 * import { dot, tensor } from "@dendrite/tensor";
 * console.assert(dot(tensor([1, 2]), tensor([3, 4])).itemSync() === 11);
 * ```
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1 || a.size !== b.size) {
    throw new ShapeError(
      `Cannot apply dot() to shapes ${fmtShape(a.shape)} and ${
        fmtShape(b.shape)
      }: expected two 1-D tensors of equal length`,
    );
  }
  return matmul(a, b);
}
