/**
 * Scaled dot-product attention, `softmax(q·kᵀ·scale + mask)·v`, with the
 * options of PyTorch 2's `F.scaled_dot_product_attention`. Built from
 * matmul, softmax and where, so it runs and differentiates on every backend.
 *
 * @module
 */
import { DTypeError, fmtShape, ShapeError } from "../../errors.ts";
import { broadcastShapes } from "../../shape.ts";
import type { Tensor } from "../../tensor.ts";
import { add, mul, where } from "../arith.ts";
import { matmul } from "../matmul.ts";
import { softmax } from "../reduction/softmax.ts";
import { ones } from "../creation.ts";
import { triu } from "../shape/transform.ts";
import { cast, transpose } from "../movement.ts";
import { dropout } from "../random/sample.ts";
import type { Generator } from "../random/generator.ts";

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /**
   * `[..., L, S]` (broadcast against the scores): a bool mask marks the
   * pairs that take part (true) as in PyTorch 2; a float mask is added to
   * the scores (−∞ excludes a pair).
   */
  attnMask?: Tensor;
  /** Dropout probability on the attention weights (default 0). */
  dropoutP?: number;
  /** Let query `i` attend only to keys `j <= i` (default false; not with `attnMask`). */
  isCausal?: boolean;
  /** Factor of the scores (default `1/√E`, E the query's last axis). */
  scale?: number;
  /** The dropout's generator. */
  rng?: Generator;
}

/**
 * Attention of queries `[..., L, E]` over keys `[..., S, E]` and values
 * `[..., S, Ev]`: `softmax(q·kᵀ·scale + mask)·v`, `[..., L, Ev]`, like
 * PyTorch 2's `F.scaled_dot_product_attention` (leading axes broadcast). A
 * query whose every key is masked out gets NaN, as in PyTorch.
 *
 * @param query `[..., L, E]`.
 * @param key `[..., S, E]`.
 * @param value `[..., S, Ev]`.
 * @param options `attnMask`, `dropoutP` (0), `isCausal` (false), `scale`, `rng`.
 * @returns `[..., L, Ev]`.
 * @example
 * ```ts
 * import { scaledDotProductAttention, tensor } from "@dendrite/tensor";
 * const q = tensor([[1, 0]]), k = tensor([[1, 0], [0, 1]]), v = tensor([[10], [20]]);
 * // Weights softmax([1, 0] / √2) on the two values.
 * const y = scaledDotProductAttention(q, k, v).dataSync()[0];
 * const w = 1 / (1 + Math.exp(-1 / Math.SQRT2));
 * console.assert(Math.abs(y - (10 * w + 20 * (1 - w))) < 1e-4);
 * ```
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: AttentionOptions = {},
): Tensor {
  const op = "scaledDotProductAttention";
  for (const [name, t] of [["query", query], ["key", key], ["value", value]] as const) {
    if (t.dtype !== "float32") {
      throw new DTypeError(`Cannot apply ${op}() to a ${t.dtype} ${name}: expected float32`);
    }
    if (t.ndim < 2) {
      throw new ShapeError(
        `Cannot apply ${op}() to ${name} ${
          fmtShape(t.shape)
        }: expected at least 2-D [..., length, features]`,
      );
    }
  }
  const e = query.shape[query.ndim - 1], l = query.shape[query.ndim - 2];
  const s = key.shape[key.ndim - 2];
  if (key.shape[key.ndim - 1] !== e || value.shape[value.ndim - 2] !== s) {
    throw new ShapeError(
      `Cannot apply ${op}() to query ${fmtShape(query.shape)}, key ${
        fmtShape(key.shape)
      } and value ${
        fmtShape(value.shape)
      }: expected query [..., L, E], key [..., S, E] and value [..., S, Ev]`,
    );
  }
  const lead = broadcastShapes(
    broadcastShapes(query.shape.slice(0, -2), key.shape.slice(0, -2), op),
    value.shape.slice(0, -2),
    op,
  );
  const { attnMask, isCausal } = options;
  if (attnMask && isCausal) {
    throw new RangeError(`Cannot apply ${op}() with both attnMask and isCausal: pass one`);
  }
  const p = options.dropoutP ?? 0;
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`Cannot apply ${op}() with dropoutP ${p}: expected a value in [0, 1]`);
  }
  const scale = options.scale ?? 1 / Math.sqrt(e);
  let scores = mul(matmul(query, transpose(key, -2, -1)), scale);
  if (attnMask) {
    const scoreShape = [...lead, l, s];
    if (
      attnMask.ndim > scoreShape.length ||
      attnMask.shape.some((d, i) =>
        d !== 1 && d !== scoreShape[scoreShape.length - attnMask.ndim + i]
      )
    ) {
      throw new ShapeError(
        `Cannot apply ${op}() with attnMask ${
          fmtShape(attnMask.shape)
        }: expected a mask that broadcasts to the scores ${fmtShape(scoreShape)}`,
      );
    }
    if (attnMask.dtype === "bool") scores = where(attnMask, scores, -Infinity);
    else if (attnMask.dtype === "float32") scores = add(scores, attnMask);
    else {
      throw new DTypeError(
        `Cannot apply ${op}() with a ${attnMask.dtype} attnMask: expected bool or float32`,
      );
    }
  } else if (isCausal) {
    const later = cast(triu(ones([l, s], { backend: query.backend.name }), 1), "bool");
    scores = where(later, -Infinity, scores);
  }
  let weights = softmax(scores, -1);
  if (p > 0) weights = dropout(weights, { p, rng: options.rng });
  return matmul(weights, value);
}
