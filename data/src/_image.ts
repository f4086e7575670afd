/**
 * Internal helpers shared by the image transforms (not exported from the
 * package).
 *
 * @module
 */
import {
  DTypeError,
  fmtShape,
  fromTypedArray,
  ShapeError,
  Tensor,
  type TypedArray,
} from "@dendrite/tensor";

/** Image geometry of a tensor `[..., H, W]`. */
export interface ImageGeometry {
  /** The elements, row-major (a fresh copy). */
  data: TypedArray;
  /** The number of `H x W` planes (product of the leading axes). */
  planes: number;
  /** Height. */
  h: number;
  /** Width. */
  w: number;
}

/**
 * Reads an image tensor's elements (a fresh copy) and geometry, checking
 * that it is at least 2-D and, when asked, float32.
 *
 * @param x The image, `[..., H, W]`.
 * @param op The calling function, for error messages.
 * @param floatOnly Require float32.
 * @returns Data and geometry.
 */
export function imageGeometry(x: Tensor, op: string, floatOnly = false): ImageGeometry {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`Cannot apply ${op}() to ${typeof x}: expected a tensor image`);
  }
  if (x.ndim < 2) {
    throw new ShapeError(
      `Cannot apply ${op}() to shape ${fmtShape(x.shape)}: expected an image [..., H, W]`,
    );
  }
  if (floatOnly && x.dtype !== "float32") {
    throw new DTypeError(`Cannot apply ${op}() to dtype ${x.dtype}: expected float32`);
  }
  const h = x.shape[x.ndim - 2], w = x.shape[x.ndim - 1];
  const planes = h * w === 0 ? 0 : x.size / (h * w);
  return { data: x.dataSync(), planes, h, w };
}

/**
 * The channel count of an image `[..., C, H, W]`.
 *
 * @param x The image (at least 3-D).
 * @param op The calling function, for error messages.
 * @returns `C`.
 */
export function channelsOf(x: Tensor, op: string): number {
  if (x.ndim < 3) {
    throw new ShapeError(
      `Cannot apply ${op}() to shape ${fmtShape(x.shape)}: expected an image [..., C, H, W]`,
    );
  }
  return x.shape[x.ndim - 3];
}

/**
 * Wraps new elements as a tensor on `x`'s backend.
 *
 * @param x The tensor whose backend (and default shape) to use.
 * @param data Row-major elements.
 * @param shape The shape (default `x.shape`).
 * @returns The new tensor.
 */
export function like(x: Tensor, data: TypedArray, shape: readonly number[] = x.shape): Tensor {
  return fromTypedArray(data, shape, { backend: x.backend.name });
}

/**
 * Clamps to [0, 1].
 *
 * @param v A value.
 * @returns `v` clamped.
 */
export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * Creates a CPU tensor from row-major elements (the data pipeline runs on
 * the CPU; `DataLoader`'s `backend` option moves batches).
 *
 * @param data Row-major elements (copied).
 * @param shape The shape.
 * @returns The tensor on the "cpu" backend.
 */
export function cpuTensor(data: TypedArray, shape: readonly number[]): Tensor {
  return fromTypedArray(data, shape, { backend: "cpu" });
}
