/**
 * In-place updates: writing values into an existing tensor's storage, used by
 * optimizers and initialisers (`p.sub_(g.mul(lr))` inside `noGrad`).
 *
 * @module
 */
import { registerKernel, runKernel } from "../backend.ts";
import { isGradEnabled } from "../autodiff.ts";
import { DTypeError, fmtShape, ShapeError } from "../errors.ts";
import { broadcastShapes, shapesEqual } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { cpuData } from "../cpu/backend.ts";
import { broadcastStrides, coalesce, walkRows } from "../cpu/strided.ts";
import { asTensor, sameBackend, type TensorLike } from "./define.ts";
import { add, div, mul, sub } from "./arith.ts";

registerKernel("CopyInto", "cpu", ([dst, src]) => {
  const o = cpuData(dst), s = cpuData(src);
  const walk = coalesce(dst.shape, [
    dst.strides,
    broadcastStrides(src.shape, src.strides, dst.shape),
  ]);
  const last = walk.shape.length - 1;
  const os = walk.strides[0][last], is = walk.strides[1][last];
  const toBool = dst.dtype === "bool";
  walkRows(walk, [dst.offset, src.offset], (off, len) => {
    const oo = off[0], io = off[1];
    if (toBool) { for (let i = 0; i < len; i++) o[oo + i * os] = s[io + i * is] !== 0 ? 1 : 0; }
    else for (let i = 0; i < len; i++) o[oo + i * os] = s[io + i * is];
  });
  return [];
});

/**
 * Copies `src` (broadcast to `dst`'s shape, converted to its dtype) into
 * `dst`'s memory. Views of the same storage see the change. Refused while
 * gradients are recorded for a tensor that requires grad (wrap updates in
 * `noGrad`), as in PyTorch.
 *
 * @param dst The tensor to overwrite.
 * @param src Values (tensor or number).
 * @returns `dst`.
 * @example
 * ```ts
 * import { copy_, zeros, tensor } from "@dendrite/tensor";
 * const z = zeros([2, 2]);
 * copy_(z, tensor([1, 2]));
 * console.assert(z.dataSync().join() === "1,2,1,2");
 * ```
 */
export function copy_(dst: Tensor, src: TensorLike): Tensor {
  const s = asTensor(src, dst);
  sameBackend([dst, s], "copy_");
  if (dst.requiresGrad && isGradEnabled()) {
    throw new Error(
      `Cannot update a tensor that requires grad in place (shape ${
        fmtShape(dst.shape)
      }) while gradients are recorded: wrap the update in noGrad()`,
    );
  }
  if (!shapesEqual(broadcastShapes(dst.shape, s.shape, "copy_"), dst.shape)) {
    throw new ShapeError(
      `Cannot copy shape ${fmtShape(s.shape)} into shape ${
        fmtShape(dst.shape)
      } in copy_(): it does not broadcast to the destination`,
    );
  }
  if (dst.dtype !== "float32" && s.dtype === "float32" && typeof src !== "number") {
    throw new DTypeError(
      `Cannot copy float32 values into a ${dst.dtype} tensor in copy_(): cast the source first`,
    );
  }
  for (let i = 0; i < dst.ndim; i++) {
    if (dst.strides[i] === 0 && dst.shape[i] > 1) {
      throw new ShapeError(
        `Cannot write in place into a broadcast view (shape ${fmtShape(dst.shape)}, strides ${
          fmtShape(dst.strides)
        }) in copy_(): several elements share memory`,
      );
    }
  }
  runKernel("CopyInto", dst.backend, [dst, s], {});
  return dst;
}

/**
 * In-place `dst += b`.
 *
 * @param dst The tensor to update.
 * @param b Tensor or number.
 * @returns `dst`.
 * @example
 * ```ts
 * import { add_, ones } from "@dendrite/tensor";
 * console.assert(add_(ones([2]), 2).dataSync().join() === "3,3");
 * ```
 */
export function add_(dst: Tensor, b: TensorLike): Tensor {
  return copy_(dst, add(dst, b));
}

/**
 * In-place `dst -= b`.
 *
 * @param dst The tensor to update.
 * @param b Tensor or number.
 * @returns `dst`.
 * @example
 * ```ts
 * import { ones, sub_ } from "@dendrite/tensor";
 * console.assert(sub_(ones([2]), 2).dataSync().join() === "-1,-1");
 * ```
 */
export function sub_(dst: Tensor, b: TensorLike): Tensor {
  return copy_(dst, sub(dst, b));
}

/**
 * In-place `dst *= b`.
 *
 * @param dst The tensor to update.
 * @param b Tensor or number.
 * @returns `dst`.
 * @example
 * ```ts
 * import { mul_, ones } from "@dendrite/tensor";
 * console.assert(mul_(ones([2]), 3).dataSync().join() === "3,3");
 * ```
 */
export function mul_(dst: Tensor, b: TensorLike): Tensor {
  return copy_(dst, mul(dst, b));
}

/**
 * In-place `dst /= b`.
 *
 * @param dst The tensor to update (float32).
 * @param b Tensor or number.
 * @returns `dst`.
 * @example
 * ```ts
 * import { div_, ones } from "@dendrite/tensor";
 * console.assert(div_(ones([2]), 4).dataSync().join() === "0.25,0.25");
 * ```
 */
export function div_(dst: Tensor, b: TensorLike): Tensor {
  return copy_(dst, div(dst, b));
}

/**
 * Fills `dst` with `value` in place.
 *
 * @param dst The tensor to overwrite.
 * @param value The value.
 * @returns `dst`.
 * @example
 * ```ts
 * import { fill_, zeros } from "@dendrite/tensor";
 * console.assert(fill_(zeros([2]), 7).dataSync().join() === "7,7");
 * ```
 */
export function fill_(dst: Tensor, value: number | boolean): Tensor {
  return copy_(dst, value);
}

/**
 * Sets every element of `dst` to zero in place.
 *
 * @param dst The tensor to overwrite.
 * @returns `dst`.
 * @example
 * ```ts
 * import { ones, zero_ } from "@dendrite/tensor";
 * console.assert(zero_(ones([2])).dataSync().join() === "0,0");
 * ```
 */
export function zero_(dst: Tensor): Tensor {
  return copy_(dst, 0);
}
