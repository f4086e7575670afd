/**
 * `MultiheadAttention`, PyTorch's `nn.MultiheadAttention`: the same
 * parameters under the same state-dict names, the same masks and the same
 * returned attention weights.
 *
 * @module
 */
import {
  add,
  cat,
  chunk,
  dropout,
  DTypeError,
  empty,
  expand,
  fmtShape,
  type Generator,
  linear,
  matmul,
  mul,
  pad,
  reshape,
  ShapeError,
  softmax,
  squeeze,
  sum,
  type Tensor,
  transpose,
  unsqueeze,
  where,
  zeros,
} from "./deps.ts";
import { xavierNormal_, xavierUniform_, zeros_ } from "./init.ts";
import { Linear } from "./linear.ts";
import { Module, Parameter } from "./module.ts";
import { checkSizes } from "./linear.ts";

/** Options of {@link MultiheadAttention}. */
export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights while training (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Learned key and value appended to every sequence (default false). */
  addBiasKv?: boolean;
  /** A zero key and value appended after the projections (default false). */
  addZeroAttn?: boolean;
  /** Features of the keys (default `embedDim`). */
  kdim?: number;
  /** Features of the values (default `embedDim`). */
  vdim?: number;
  /** Inputs and output as `[N, L, E]` instead of `[L, N, E]` (default false). */
  batchFirst?: boolean;
  /** Generator for the initial weights and the dropout (default: the global one). */
  rng?: Generator;
}

/** Per-call options of {@link MultiheadAttention}. */
export interface MultiheadAttentionCallOptions {
  /**
   * `[N, S]` (`[S]` unbatched): bool, true for the keys to ignore (padding),
   * or float, added to the scores.
   */
  keyPaddingMask?: Tensor;
  /**
   * `[L, S]` or `[N·numHeads, L, S]`: bool, true for the pairs that may
   * not attend, or float, added to the scores.
   */
  attnMask?: Tensor;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the weights over the heads (default true); else `[N, numHeads, L, S]`. */
  averageAttnWeights?: boolean;
}

/** A bool mask (true: excluded) as −∞/0 scores; a float mask as it is. */
function additive(mask: Tensor, what: string): Tensor {
  if (mask.dtype === "bool") return where(mask, -Infinity, 0);
  if (mask.dtype === "float32") return mask;
  throw new DTypeError(
    `Cannot apply MultiheadAttention with a ${mask.dtype} ${what}: expected bool or float32`,
  );
}

/**
 * Multi-head attention, as `torch.nn.MultiheadAttention`: the query, key
 * and value are projected (one packed `in_proj_weight [3E, E]`, or
 * `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when `kdim` or `vdim`
 * differ from E), split into `numHeads` heads of `E / numHeads` features,
 * each attends with `softmax(q·kᵀ/√d + masks)`, and the heads' outputs are
 * joined by `out_proj`. `call(query, key, value, options)` returns
 * `[output, weights]`: output `[L, N, E]` (`[N, L, E]` with `batchFirst`,
 * `[L, E]` for unbatched inputs), and the weights `[N, L, S]` averaged
 * over the heads (or `[N, numHeads, L, S]`), or null when `needWeights` is
 * false. Initialised as PyTorch: Xavier-uniform projections, zero biases.
 *
 * @example
 * ```ts
 * import { MultiheadAttention } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const mha = new MultiheadAttention(16, 4);
 * const x = randn([5, 2, 16]); // [L, N, E]
 * const [y, w] = mha.call(x, x, x);
 * console.assert(y.shape.join() === "5,2,16" && w.shape.join() === "2,5,5");
 * ```
 */
export class MultiheadAttention extends Module {
  // Fields in PyTorch's registration order, which is the state dict's.
  /** Packed query, key and value projections `[3E, E]` (null with kdim/vdim). */
  in_proj_weight: Parameter | null;
  /** Query projection `[E, E]` (only with kdim/vdim). */
  q_proj_weight: Parameter | null;
  /** Key projection `[E, kdim]` (only with kdim/vdim). */
  k_proj_weight: Parameter | null;
  /** Value projection `[E, vdim]` (only with kdim/vdim). */
  v_proj_weight: Parameter | null;
  /** Projection biases `[3E]`, or null. */
  in_proj_bias: Parameter | null;
  /** The learned key `[1, 1, E]` (with `addBiasKv`). */
  bias_k: Parameter | null;
  /** The learned value `[1, 1, E]` (with `addBiasKv`). */
  bias_v: Parameter | null;
  /** The output projection. */
  out_proj: Linear;
  /** Model features E. */
  readonly embedDim: number;
  /** Heads. */
  readonly numHeads: number;
  /** Features per head, `E / numHeads`. */
  readonly headDim: number;
  /** Key features. */
  readonly kdim: number;
  /** Value features. */
  readonly vdim: number;
  /** Attention dropout. */
  readonly dropout: number;
  /** Whether inputs are `[N, L, E]`. */
  readonly batchFirst: boolean;
  /** Whether a zero key and value are appended. */
  readonly addZeroAttn: boolean;
  /** Generator of the dropout. */
  rng: Generator | undefined;

  /**
   * Creates the layer.
   *
   * @param embedDim Model features E.
   * @param numHeads Heads (must divide E).
   * @param options `dropout` (0), `bias` (true), `addBiasKv`, `addZeroAttn`,
   *   `kdim`, `vdim` (E), `batchFirst` (false), `rng`.
   */
  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const kdim = options.kdim ?? embedDim, vdim = options.vdim ?? embedDim;
    checkSizes("MultiheadAttention", { embedDim, numHeads, kdim, vdim });
    if (embedDim % numHeads !== 0) {
      throw new RangeError(
        `Cannot create MultiheadAttention with embedDim ${embedDim} and numHeads ${numHeads}: numHeads must divide embedDim`,
      );
    }
    const p = options.dropout ?? 0;
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(
        `Cannot create MultiheadAttention with dropout ${p}: expected a value in [0, 1]`,
      );
    }
    const init = { rng: options.rng };
    const e = embedDim, packed = kdim === e && vdim === e;
    this.in_proj_weight = packed ? new Parameter(xavierUniform_(empty([3 * e, e]), init)) : null;
    this.q_proj_weight = packed ? null : new Parameter(xavierUniform_(empty([e, e]), init));
    this.k_proj_weight = packed ? null : new Parameter(xavierUniform_(empty([e, kdim]), init));
    this.v_proj_weight = packed ? null : new Parameter(xavierUniform_(empty([e, vdim]), init));
    const bias = options.bias !== false;
    this.in_proj_bias = bias ? new Parameter(zeros([3 * e])) : null;
    this.bias_k = options.addBiasKv ? new Parameter(xavierNormal_(empty([1, 1, e]), init)) : null;
    this.bias_v = options.addBiasKv ? new Parameter(xavierNormal_(empty([1, 1, e]), init)) : null;
    this.out_proj = new Linear(e, e, { bias, rng: options.rng });
    if (this.out_proj.bias) zeros_(this.out_proj.bias);
    this.embedDim = e;
    this.numHeads = numHeads;
    this.headDim = e / numHeads;
    this.kdim = kdim;
    this.vdim = vdim;
    this.dropout = p;
    this.batchFirst = options.batchFirst ?? false;
    this.addZeroAttn = options.addZeroAttn ?? false;
    this.rng = options.rng;
  }

  /**
   * Attends from `query` over `key` and `value`.
   *
   * @param query `[L, N, E]` (`[N, L, E]` with `batchFirst`, `[L, E]` unbatched).
   * @param key `[S, N, kdim]` (likewise).
   * @param value `[S, N, vdim]` (likewise).
   * @param options `keyPaddingMask`, `attnMask`, `needWeights` (true),
   *   `averageAttnWeights` (true).
   * @returns `[output, weights]` (weights null when `needWeights` is false).
   */
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: MultiheadAttentionCallOptions = {},
  ): [Tensor, Tensor | null] {
    const name = `MultiheadAttention(${this.embedDim}, ${this.numHeads})`;
    const unbatched = query.ndim === 2;
    const rank = unbatched ? 2 : 3;
    if (
      (query.ndim !== 2 && query.ndim !== 3) || key.ndim !== rank || value.ndim !== rank
    ) {
      throw new ShapeError(
        `Cannot apply ${name} to query ${fmtShape(query.shape)}, key ${
          fmtShape(key.shape)
        } and value ${
          fmtShape(value.shape)
        }: expected three 3-D tensors (or three 2-D ones, unbatched)`,
      );
    }
    let q = query, k = key, v = value, kpm = options.keyPaddingMask;
    if (unbatched) {
      [q, k, v] = [unsqueeze(q, 1), unsqueeze(k, 1), unsqueeze(v, 1)];
      if (kpm) {
        if (kpm.ndim !== 1) {
          throw new ShapeError(
            `Cannot apply ${name} with keyPaddingMask ${
              fmtShape(kpm.shape)
            }: unbatched inputs take a 1-D mask [S]`,
          );
        }
        kpm = unsqueeze(kpm, 0);
      }
    } else if (this.batchFirst) {
      [q, k, v] = [transpose(q, 0, 1), transpose(k, 0, 1), transpose(v, 0, 1)];
    }
    const [l, n, e] = q.shape, s = k.shape[0], h = this.numHeads, d = this.headDim;
    if (
      e !== this.embedDim || k.shape[2] !== this.kdim || v.shape[2] !== this.vdim ||
      v.shape[0] !== s || k.shape[1] !== n || v.shape[1] !== n
    ) {
      const lay = this.batchFirst && !unbatched ? "[N, L, ·]" : unbatched ? "[L, ·]" : "[L, N, ·]";
      throw new ShapeError(
        `Cannot apply ${name} to query ${fmtShape(query.shape)}, key ${
          fmtShape(key.shape)
        } and value ${
          fmtShape(value.shape)
        }: expected ${lay} inputs with ${this.embedDim}, ${this.kdim} and ${this.vdim} features, keys and values of one length and one batch`,
      );
    }
    // Projections.
    const [wq, wk, wv] = this.in_proj_weight
      ? chunk(this.in_proj_weight, 3, 0)
      : [this.q_proj_weight!, this.k_proj_weight!, this.v_proj_weight!];
    const [bq, bk, bv] = this.in_proj_bias ? chunk(this.in_proj_bias, 3, 0) : [];
    const qp = linear(q, wq, bq);
    let kp = linear(k, wk, bk), vp = linear(v, wv, bv);
    // Masks as scores to add: [1 or N·H, L, S] and [N·H, 1, S].
    let attn: Tensor | undefined, pad_: Tensor | undefined;
    const am = options.attnMask;
    if (am) {
      const ok = am.ndim === 2
        ? am.shape[0] === l && am.shape[1] === s
        : am.ndim === 3 && am.shape[0] === n * h && am.shape[1] === l && am.shape[2] === s;
      if (!ok) {
        throw new ShapeError(
          `Cannot apply ${name} with attnMask ${fmtShape(am.shape)}: expected [${l}, ${s}] or [${
            n * h
          }, ${l}, ${s}]`,
        );
      }
      attn = additive(am, "attnMask");
      if (attn.ndim === 2) attn = unsqueeze(attn, 0);
    }
    if (kpm) {
      if (kpm.ndim !== 2 || kpm.shape[0] !== n || kpm.shape[1] !== s) {
        throw new ShapeError(
          `Cannot apply ${name} with keyPaddingMask ${fmtShape(kpm.shape)}: expected [${n}, ${s}]`,
        );
      }
      const add1 = reshape(additive(kpm, "keyPaddingMask"), [n, 1, 1, s]);
      pad_ = reshape(expand(add1, [n, h, 1, s]), [n * h, 1, s]);
    }
    // One more key: the learned one, then a zero one; the masks let both through.
    let keys = s;
    if (this.bias_k && this.bias_v) {
      kp = cat([kp, expand(this.bias_k, [1, n, e])], 0);
      vp = cat([vp, expand(this.bias_v, [1, n, e])], 0);
      keys++;
    }
    let qh = transpose(reshape(qp, [l, n * h, d]), 0, 1);
    let kh = transpose(reshape(kp, [keys, n * h, d]), 0, 1);
    let vh = transpose(reshape(vp, [keys, n * h, d]), 0, 1);
    if (this.addZeroAttn) {
      const z = zeros([n * h, 1, d], { backend: q.backend.name });
      kh = cat([kh, z], 1);
      vh = cat([vh, z], 1);
      keys++;
    }
    if (keys > s) {
      if (attn) attn = pad(attn, [0, keys - s]);
      if (pad_) pad_ = pad(pad_, [0, keys - s]);
    }
    qh = mul(qh, 1 / Math.sqrt(d));
    let scores = matmul(qh, transpose(kh, 1, 2));
    if (attn) scores = add(scores, attn);
    if (pad_) scores = add(scores, pad_);
    let weights = softmax(scores, -1);
    if (this.training && this.dropout > 0) {
      weights = dropout(weights, { p: this.dropout, rng: this.rng });
    }
    const heads = transpose(matmul(weights, vh), 0, 1); // [L, N·H, d]
    let out = reshape(this.out_proj.call(reshape(heads, [l * n, e])), [l, n, e]);
    if (unbatched) out = squeeze(out, 1);
    else if (this.batchFirst) out = transpose(out, 0, 1);
    if (options.needWeights === false) return [out, null];
    let w = reshape(weights, [n, h, l, keys]);
    if (options.averageAttnWeights !== false) w = mul(sum(w, 1), 1 / h);
    if (unbatched) w = squeeze(w, 0);
    return [out, w];
  }

  /** The layer's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    const extra = this.in_proj_weight ? "" : `, kdim=${this.kdim}, vdim=${this.vdim}`;
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}${extra}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
  }
}
