/**
 * Losses on pairs and triplets of embeddings: `hingeEmbeddingLoss`,
 * `marginRankingLoss`, `cosineEmbeddingLoss`, `tripletMarginLoss`,
 * `contrastiveLoss`, and the distances `pairwiseDistance` and
 * `cosineSimilarity`.
 *
 * @module
 */
import { fmtShape, maximum, minimum, ShapeError, type Tensor, where } from "@dendrite/tensor";
import { type LossOptions, reduceLoss, sameShape } from "./reduce.ts";

/**
 * Cosine similarity along an axis, like `torch.nn.functional.cosine_similarity`:
 * `Σ (x1/‖x1‖)·(x2/‖x2‖)`, each norm at least `eps`. The inputs broadcast.
 *
 * @param x1 The first input, e.g. `[N, D]`.
 * @param x2 The second, broadcastable with `x1`.
 * @param options `dim` (1), `eps` (1e-8).
 * @returns The similarities, without `dim`.
 * @example
 * ```ts
 * import { cosineSimilarity } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const s = cosineSimilarity(tensor([[1, 0], [1, 1]]), tensor([[0, 2], [2, 2]]));
 * console.assert(Math.abs(s.dataSync()[0]) < 1e-7 && Math.abs(s.dataSync()[1] - 1) < 1e-6);
 * ```
 */
export function cosineSimilarity(
  x1: Tensor,
  x2: Tensor,
  options: { dim?: number; eps?: number } = {},
): Tensor {
  const dim = options.dim ?? 1, eps = options.eps ?? 1e-8;
  const n1 = maximum(x1.norm({ axes: dim, keepDim: true }), eps);
  const n2 = maximum(x2.norm({ axes: dim, keepDim: true }), eps);
  return x1.div(n1).mul(x2.div(n2)).sum(dim);
}

/**
 * `‖x1 − x2 + eps‖_p` along the last axis, like `torch.nn.functional.pairwise_distance`.
 *
 * @param x1 `[N, D]` (or `[D]`).
 * @param x2 Same shape.
 * @param options `p` (2), `eps` (1e-6), `keepDim`.
 * @returns `[N]` distances.
 * @example
 * ```ts
 * import { pairwiseDistance } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(Math.abs((pairwiseDistance(tensor([[3, 0]]), tensor([[0, 4]]), { eps: 0 }).itemSync() as number) - 5) < 1e-6);
 * ```
 */
export function pairwiseDistance(
  x1: Tensor,
  x2: Tensor,
  options: { p?: number; eps?: number; keepDim?: boolean } = {},
): Tensor {
  const d = x1.sub(x2).add(options.eps ?? 1e-6);
  return d.norm({ p: options.p ?? 2, axes: -1, keepDim: options.keepDim });
}

/**
 * Hinge embedding loss: `x` where `y = 1`, `max(0, margin − x)` where `y = −1`.
 *
 * @param input Distances or scores.
 * @param target Labels ±1, same shape.
 * @param options `margin` (1), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { hingeEmbeddingLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(hingeEmbeddingLoss(tensor([0.3, 0.3]), tensor([1, -1])).itemSync() === 0.5);
 * ```
 */
export function hingeEmbeddingLoss(
  input: Tensor,
  target: Tensor,
  options: LossOptions & { margin?: number } = {},
): Tensor {
  sameShape(input, target, "hingeEmbeddingLoss");
  const m = options.margin ?? 1;
  const loss = where(target.eq(1), input, 0).add(
    where(target.eq(-1), maximum(input.rsub(m), 0), 0),
  );
  return reduceLoss(loss, options.reduction, "hingeEmbeddingLoss");
}

/**
 * Margin ranking loss `max(0, −y·(x1 − x2) + margin)`.
 *
 * @param x1 First scores.
 * @param x2 Second scores.
 * @param target ±1: whether `x1` should rank higher.
 * @param options `margin` (0), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { marginRankingLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * console.assert(marginRankingLoss(tensor([1]), tensor([2]), tensor([1])).itemSync() === 1);
 * ```
 */
export function marginRankingLoss(
  x1: Tensor,
  x2: Tensor,
  target: Tensor,
  options: LossOptions & { margin?: number } = {},
): Tensor {
  sameShape(x1, x2, "marginRankingLoss");
  const loss = maximum(target.neg().mul(x1.sub(x2)).add(options.margin ?? 0), 0);
  return reduceLoss(loss, options.reduction, "marginRankingLoss");
}

/**
 * Cosine embedding loss: `1 − cos(x1, x2)` for `y = 1`, `max(0, cos − margin)` for `y = −1`.
 *
 * @param x1 `[N, D]`.
 * @param x2 `[N, D]`.
 * @param target `[N]` of ±1.
 * @param options `margin` (0), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { cosineEmbeddingLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const l = cosineEmbeddingLoss(tensor([[1, 0]]), tensor([[0, 1]]), tensor([1]));
 * console.assert(Math.abs((l.itemSync() as number) - 1) < 1e-6);
 * ```
 */
export function cosineEmbeddingLoss(
  x1: Tensor,
  x2: Tensor,
  target: Tensor,
  options: LossOptions & { margin?: number } = {},
): Tensor {
  sameShape(x1, x2, "cosineEmbeddingLoss");
  if (x1.ndim !== 2 || target.ndim !== 1 || target.shape[0] !== x1.shape[0]) {
    throw new ShapeError(
      `Cannot compute cosineEmbeddingLoss() of inputs ${fmtShape(x1.shape)} with target ${
        fmtShape(target.shape)
      }: expected [N, D] and [N]`,
    );
  }
  const eps = 1e-12;
  const prod = x1.mul(x2).sum(1);
  const m1 = x1.square().sum(1).add(eps), m2 = x2.square().sum(1).add(eps);
  const cos = prod.div(m1.mul(m2).sqrt());
  const loss = where(target.eq(1), cos.rsub(1), 0).add(
    where(target.eq(-1), maximum(cos.sub(options.margin ?? 0), 0), 0),
  );
  return reduceLoss(loss, options.reduction, "cosineEmbeddingLoss");
}

/**
 * Triplet margin loss `max(d(a, p) − d(a, n) + margin, 0)` with pairwise
 * p-norm distances; `swap` uses `min(d(a, n), d(p, n))`.
 *
 * @param anchor `[N, D]`.
 * @param positive `[N, D]`.
 * @param negative `[N, D]`.
 * @param options `margin` (1), `p` (2), `eps` (1e-6), `swap` (false), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { tripletMarginLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const a = tensor([[0, 0]]);
 * console.assert(tripletMarginLoss(a, a, tensor([[5, 0]])).itemSync() === 0);
 * ```
 */
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: LossOptions & { margin?: number; p?: number; eps?: number; swap?: boolean } = {},
): Tensor {
  sameShape(anchor, positive, "tripletMarginLoss");
  sameShape(anchor, negative, "tripletMarginLoss");
  const o = { p: options.p ?? 2, eps: options.eps ?? 1e-6 };
  const dap = pairwiseDistance(anchor, positive, o);
  let dan = pairwiseDistance(anchor, negative, o);
  if (options.swap) dan = minimum(dan, pairwiseDistance(positive, negative, o));
  const loss = maximum(dap.sub(dan).add(options.margin ?? 1), 0);
  return reduceLoss(loss, options.reduction, "tripletMarginLoss");
}

/**
 * The triplet margin loss with any distance, like
 * `torch.nn.functional.triplet_margin_with_distance_loss`:
 * `max(d(a, p) − d(a, n) + margin, 0)`, `d` the pairwise distance by default
 * (`swap` uses `min(d(a, n), d(p, n))`). Cosine distance, for one:
 * `(x, y) => cosineSimilarity(x, y).rsub(1)`.
 *
 * @param anchor `[N, D]`.
 * @param positive `[N, D]`.
 * @param negative `[N, D]`.
 * @param options `distanceFunction` (pairwiseDistance), `margin` (1), `swap` (false), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { cosineSimilarity, tripletMarginWithDistanceLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const cosine = (x: Parameters<typeof cosineSimilarity>[0], y: Parameters<typeof cosineSimilarity>[1]) =>
 *   cosineSimilarity(x, y).rsub(1);
 * const l = tripletMarginWithDistanceLoss(tensor([[1, 0]]), tensor([[1, 0]]), tensor([[0, 1]]), {
 *   distanceFunction: cosine,
 *   margin: 0.5,
 * });
 * console.assert(Math.abs(l.itemSync() as number) < 1e-6);
 * ```
 */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: LossOptions & {
    distanceFunction?: (x: Tensor, y: Tensor) => Tensor;
    margin?: number;
    swap?: boolean;
  } = {},
): Tensor {
  sameShape(anchor, positive, "tripletMarginWithDistanceLoss");
  sameShape(anchor, negative, "tripletMarginWithDistanceLoss");
  const margin = options.margin ?? 1;
  if (!(margin > 0)) {
    throw new RangeError(
      `Cannot compute tripletMarginWithDistanceLoss() with margin ${margin}: expected a positive margin`,
    );
  }
  const d = options.distanceFunction ?? ((x: Tensor, y: Tensor) => pairwiseDistance(x, y));
  const dap = d(anchor, positive);
  let dan = d(anchor, negative);
  if (options.swap) dan = minimum(dan, d(positive, negative));
  const loss = maximum(dap.sub(dan).add(margin), 0);
  return reduceLoss(loss, options.reduction, "tripletMarginWithDistanceLoss");
}

/**
 * Contrastive loss (Hadsell, Chopra and LeCun) for pairs: `y·d² + (1 − y)·max(0, margin − d)²`
 * with `d` the Euclidean distance and `y = 1` for similar pairs.
 *
 * @param x1 `[N, D]`.
 * @param x2 `[N, D]`.
 * @param target `[N]`: 1 for similar pairs, 0 for dissimilar.
 * @param options `margin` (1), `reduction`.
 * @returns The loss.
 * @example
 * ```ts
 * import { contrastiveLoss } from "@dendrite/losses";
 * import { tensor } from "@dendrite/tensor";
 * const l = contrastiveLoss(tensor([[0, 0]]), tensor([[3, 4]]), tensor([1]));
 * console.assert(Math.abs((l.itemSync() as number) - 25) < 1e-3);
 * ```
 */
export function contrastiveLoss(
  x1: Tensor,
  x2: Tensor,
  target: Tensor,
  options: LossOptions & { margin?: number } = {},
): Tensor {
  sameShape(x1, x2, "contrastiveLoss");
  const d = pairwiseDistance(x1, x2, { eps: 0 });
  const pos = target.mul(d.square());
  const neg = target.rsub(1).mul(maximum(d.rsub(options.margin ?? 1), 0).square());
  return reduceLoss(pos.add(neg), options.reduction, "contrastiveLoss");
}
