/**
 * The Transformer of "Attention Is All You Need", as PyTorch's `torch.nn`
 * modules: `TransformerEncoderLayer`, `TransformerDecoderLayer`, the stacks
 * `TransformerEncoder` and `TransformerDecoder`, and `Transformer`, with the
 * same options, masks and state-dict names.
 *
 * @module
 */
import { full, gelu, relu, type Tensor, triu } from "./deps.ts";
import { MultiheadAttention } from "./attention.ts";
import { Linear } from "./linear.ts";
import { Dropout } from "./misc.ts";
import { LayerNorm } from "./norm.ts";
import { Module } from "./module.ts";
import { xavierUniform_ } from "./init.ts";
import type { Generator } from "./deps.ts";

/** Options of the Transformer layers. */
export interface TransformerLayerOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** The feed-forward activation (default "relu"). */
  activation?: "relu" | "gelu";
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** Inputs `[N, L, E]` instead of `[L, N, E]` (default false). */
  batchFirst?: boolean;
  /** Normalise before each block (pre-norm) instead of after (default false). */
  normFirst?: boolean;
  /** Generator for the initial weights and the dropout. */
  rng?: Generator;
}

/** The masks of an encoder layer's call. */
export interface EncoderMasks {
  /** `[L, L]` or `[N·nhead, L, L]`, bool (true: may not attend) or float (added). */
  srcMask?: Tensor;
  /** `[N, L]`, bool (true: padding) or float (added). */
  srcKeyPaddingMask?: Tensor;
}

/** The masks of a decoder layer's call. */
export interface DecoderMasks {
  /** Self-attention mask `[T, T]` (see `Transformer.generateSquareSubsequentMask`). */
  tgtMask?: Tensor;
  /** Cross-attention mask `[T, S]`. */
  memoryMask?: Tensor;
  /** `[N, T]` padding of the target. */
  tgtKeyPaddingMask?: Tensor;
  /** `[N, S]` padding of the memory. */
  memoryKeyPaddingMask?: Tensor;
}

/** Activation by name. */
function activate(name: "relu" | "gelu", x: Tensor): Tensor {
  return name === "gelu" ? gelu(x) : relu(x);
}

/**
 * What the encoder and decoder layers share: the feed-forward block, the
 * norm placement, the activation, and `clone()`, which the stacks use.
 *
 * @example
 * ```ts
 * import { TransformerDecoderLayer, type TransformerLayerBase } from "@dendrite/layers";
 * const layer: TransformerLayerBase = new TransformerDecoderLayer(8, 2, { normFirst: true });
 * console.assert(layer.normFirst && layer.clone() !== layer);
 * ```
 */
export abstract class TransformerLayerBase extends Module {
  /** Pre-norm (true) or post-norm. */
  readonly normFirst: boolean;
  /** The feed-forward activation. */
  readonly activation: "relu" | "gelu";
  /** Constructor arguments, for `clone()`. */
  protected readonly config: { dModel: number; nhead: number; options: TransformerLayerOptions };

  /**
   * Checks and keeps the shared settings.
   *
   * @param dModel Features E.
   * @param nhead Heads.
   * @param options The layer's options.
   */
  protected constructor(dModel: number, nhead: number, options: TransformerLayerOptions) {
    super();
    if (options.activation !== undefined && !["relu", "gelu"].includes(options.activation)) {
      throw new RangeError(
        `Cannot create a Transformer layer with activation "${options.activation}": expected "relu" or "gelu"`,
      );
    }
    this.normFirst = options.normFirst ?? false;
    this.activation = options.activation ?? "relu";
    this.config = { dModel, nhead, options };
  }

  /**
   * The feed-forward block, `out(linear2(dropout(activation(linear1(x)))))`.
   *
   * @param x The block's input.
   * @param linear1 First projection.
   * @param dropout Dropout inside the block.
   * @param linear2 Second projection.
   * @param out Dropout after the block.
   * @returns The block's output.
   */
  protected feedForward(
    x: Tensor,
    linear1: Linear,
    dropout: Dropout,
    linear2: Linear,
    out: Dropout,
  ): Tensor {
    return out.call(linear2.call(dropout.call(activate(this.activation, linear1.call(x)))));
  }

  /**
   * A new layer with the same settings and a copy of this one's parameters
   * (what PyTorch's stacks do to the layer they are given).
   *
   * @returns The copy.
   */
  clone(): this {
    const { dModel, nhead, options } = this.config;
    const make = this.constructor as new (
      d: number,
      h: number,
      o: TransformerLayerOptions,
    ) => this;
    const c = new make(dModel, nhead, options);
    c.loadStateDict(this.stateDict());
    return c;
  }
}

/**
 * One encoder layer, as `torch.nn.TransformerEncoderLayer`: self-attention
 * and a feed-forward block, each with dropout, a residual connection and
 * LayerNorm (after the block by default, before it with `normFirst`).
 *
 * @example
 * ```ts
 * import { TransformerEncoderLayer } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 * console.assert(layer.call(randn([2, 5, 16])).shape.join() === "2,5,16");
 * ```
 */
export class TransformerEncoderLayer extends TransformerLayerBase {
  /** Self-attention. */
  self_attn: MultiheadAttention;
  /** First feed-forward projection `[dimFeedforward, dModel]`. */
  linear1: Linear;
  /** Dropout inside the feed-forward block. */
  dropout: Dropout;
  /** Second feed-forward projection `[dModel, dimFeedforward]`. */
  linear2: Linear;
  /** Norm of the attention block. */
  norm1: LayerNorm;
  /** Norm of the feed-forward block. */
  norm2: LayerNorm;
  /** Dropout after attention. */
  dropout1: Dropout;
  /** Dropout after the feed-forward block. */
  dropout2: Dropout;

  /**
   * Creates the layer.
   *
   * @param dModel Features E.
   * @param nhead Attention heads (dividing E).
   * @param options `dimFeedforward` (2048), `dropout` (0.1), `activation`
   *   ("relu"), `layerNormEps` (1e-5), `batchFirst`, `normFirst`, `rng`.
   */
  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super(dModel, nhead, options);
    const p = options.dropout ?? 0.1, ff = options.dimFeedforward ?? 2048, rng = options.rng;
    const eps = options.layerNormEps ?? 1e-5;
    this.self_attn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      batchFirst: options.batchFirst,
      rng,
    });
    this.linear1 = new Linear(dModel, ff, { rng });
    this.dropout = new Dropout(p, { rng });
    this.linear2 = new Linear(ff, dModel, { rng });
    this.norm1 = new LayerNorm(dModel, { eps });
    this.norm2 = new LayerNorm(dModel, { eps });
    this.dropout1 = new Dropout(p, { rng });
    this.dropout2 = new Dropout(p, { rng });
  }

  /**
   * Encodes a sequence.
   *
   * @param src `[L, N, E]` (`[N, L, E]` with `batchFirst`, `[L, E]` unbatched).
   * @param masks `srcMask`, `srcKeyPaddingMask`.
   * @returns The same shape as `src`.
   */
  forward(src: Tensor, masks: EncoderMasks = {}): Tensor {
    const sa = (x: Tensor) => {
      const [y] = this.self_attn.call(x, x, x, {
        attnMask: masks.srcMask,
        keyPaddingMask: masks.srcKeyPaddingMask,
        needWeights: false,
      });
      return this.dropout1.call(y);
    };
    const ff = (x: Tensor) =>
      this.feedForward(x, this.linear1, this.dropout, this.linear2, this.dropout2);
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.call(x)));
      return x.add(ff(this.norm2.call(x)));
    }
    x = this.norm1.call(x.add(sa(x)));
    return this.norm2.call(x.add(ff(x)));
  }
}

/**
 * One decoder layer, as `torch.nn.TransformerDecoderLayer`: masked
 * self-attention, attention over the encoder's output (the memory) and a
 * feed-forward block, each with dropout, a residual connection and
 * LayerNorm.
 *
 * @example
 * ```ts
 * import { Transformer, TransformerDecoderLayer } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const layer = new TransformerDecoderLayer(16, 4, { dimFeedforward: 32 });
 * const tgt = randn([3, 2, 16]), memory = randn([5, 2, 16]);
 * const tgtMask = Transformer.generateSquareSubsequentMask(3);
 * console.assert(layer.call(tgt, memory, { tgtMask }).shape.join() === "3,2,16");
 * ```
 */
export class TransformerDecoderLayer extends TransformerLayerBase {
  /** Self-attention over the target. */
  self_attn: MultiheadAttention;
  /** Attention over the memory. */
  multihead_attn: MultiheadAttention;
  /** First feed-forward projection. */
  linear1: Linear;
  /** Dropout inside the feed-forward block. */
  dropout: Dropout;
  /** Second feed-forward projection. */
  linear2: Linear;
  /** Norm of the self-attention block. */
  norm1: LayerNorm;
  /** Norm of the cross-attention block. */
  norm2: LayerNorm;
  /** Norm of the feed-forward block. */
  norm3: LayerNorm;
  /** Dropout after self-attention. */
  dropout1: Dropout;
  /** Dropout after cross-attention. */
  dropout2: Dropout;
  /** Dropout after the feed-forward block. */
  dropout3: Dropout;

  /**
   * Creates the layer.
   *
   * @param dModel Features E.
   * @param nhead Attention heads (dividing E).
   * @param options As {@link TransformerEncoderLayer}.
   */
  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super(dModel, nhead, options);
    const p = options.dropout ?? 0.1, ff = options.dimFeedforward ?? 2048, rng = options.rng;
    const eps = options.layerNormEps ?? 1e-5, batchFirst = options.batchFirst;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, rng });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, rng });
    this.linear1 = new Linear(dModel, ff, { rng });
    this.dropout = new Dropout(p, { rng });
    this.linear2 = new Linear(ff, dModel, { rng });
    this.norm1 = new LayerNorm(dModel, { eps });
    this.norm2 = new LayerNorm(dModel, { eps });
    this.norm3 = new LayerNorm(dModel, { eps });
    this.dropout1 = new Dropout(p, { rng });
    this.dropout2 = new Dropout(p, { rng });
    this.dropout3 = new Dropout(p, { rng });
  }

  /**
   * Decodes a target sequence given the memory.
   *
   * @param tgt `[T, N, E]` (`[N, T, E]` with `batchFirst`).
   * @param memory `[S, N, E]` (likewise).
   * @param masks `tgtMask`, `memoryMask`, `tgtKeyPaddingMask`, `memoryKeyPaddingMask`.
   * @returns The same shape as `tgt`.
   */
  forward(tgt: Tensor, memory: Tensor, masks: DecoderMasks = {}): Tensor {
    const sa = (x: Tensor) => {
      const [y] = this.self_attn.call(x, x, x, {
        attnMask: masks.tgtMask,
        keyPaddingMask: masks.tgtKeyPaddingMask,
        needWeights: false,
      });
      return this.dropout1.call(y);
    };
    const ca = (x: Tensor) => {
      const [y] = this.multihead_attn.call(x, memory, memory, {
        attnMask: masks.memoryMask,
        keyPaddingMask: masks.memoryKeyPaddingMask,
        needWeights: false,
      });
      return this.dropout2.call(y);
    };
    const ff = (x: Tensor) =>
      this.feedForward(x, this.linear1, this.dropout, this.linear2, this.dropout3);
    let x = tgt;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.call(x)));
      x = x.add(ca(this.norm2.call(x)));
      return x.add(ff(this.norm3.call(x)));
    }
    x = this.norm1.call(x.add(sa(x)));
    x = this.norm2.call(x.add(ca(x)));
    return this.norm3.call(x.add(ff(x)));
  }
}

function checkLayers(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot create ${what} with numLayers ${n}: expected a positive integer`);
  }
}

/**
 * A stack of `numLayers` copies of an encoder layer (each starting from the
 * given layer's weights, as PyTorch's deep copies), then an optional norm,
 * as `torch.nn.TransformerEncoder`. Padded positions (`srcKeyPaddingMask`)
 * are computed like the others in every mode; PyTorch 1.13's evaluation
 * fast path (nested tensors) returns zeros there instead.
 *
 * @example
 * ```ts
 * import { LayerNorm, TransformerEncoder, TransformerEncoderLayer } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32 });
 * const encoder = new TransformerEncoder(layer, 2, { norm: new LayerNorm(16) });
 * console.assert(encoder.call(randn([5, 2, 16])).shape.join() === "5,2,16");
 * ```
 */
export class TransformerEncoder extends Module {
  /** The layers. */
  layers: TransformerEncoderLayer[];
  /** The final norm, or null. */
  norm: Module | null;

  /**
   * Creates the stack.
   *
   * @param encoderLayer The layer to copy.
   * @param numLayers Copies.
   * @param options `norm`.
   */
  constructor(
    encoderLayer: TransformerEncoderLayer,
    numLayers: number,
    options: { norm?: Module } = {},
  ) {
    super();
    checkLayers("TransformerEncoder", numLayers);
    this.layers = Array.from({ length: numLayers }, () => encoderLayer.clone());
    this.norm = options.norm ?? null;
  }

  /**
   * Encodes a sequence through every layer.
   *
   * @param src As {@link TransformerEncoderLayer.forward}.
   * @param masks `mask` (the layers' `srcMask`) and `srcKeyPaddingMask`.
   * @returns The same shape as `src`.
   */
  forward(src: Tensor, masks: { mask?: Tensor; srcKeyPaddingMask?: Tensor } = {}): Tensor {
    let x = src;
    for (const layer of this.layers) {
      x = layer.call(x, { srcMask: masks.mask, srcKeyPaddingMask: masks.srcKeyPaddingMask });
    }
    return this.norm ? this.norm.call(x) : x;
  }
}

/**
 * A stack of `numLayers` copies of a decoder layer, then an optional norm,
 * as `torch.nn.TransformerDecoder`.
 *
 * @example
 * ```ts
 * import { TransformerDecoder, TransformerDecoderLayer } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const decoder = new TransformerDecoder(new TransformerDecoderLayer(16, 4, { dimFeedforward: 32 }), 2);
 * console.assert(decoder.call(randn([3, 2, 16]), randn([5, 2, 16])).shape.join() === "3,2,16");
 * ```
 */
export class TransformerDecoder extends Module {
  /** The layers. */
  layers: TransformerDecoderLayer[];
  /** The final norm, or null. */
  norm: Module | null;

  /**
   * Creates the stack.
   *
   * @param decoderLayer The layer to copy.
   * @param numLayers Copies.
   * @param options `norm`.
   */
  constructor(
    decoderLayer: TransformerDecoderLayer,
    numLayers: number,
    options: { norm?: Module } = {},
  ) {
    super();
    checkLayers("TransformerDecoder", numLayers);
    this.layers = Array.from({ length: numLayers }, () => decoderLayer.clone());
    this.norm = options.norm ?? null;
  }

  /**
   * Decodes through every layer.
   *
   * @param tgt As {@link TransformerDecoderLayer.forward}.
   * @param memory The encoder's output.
   * @param masks As {@link TransformerDecoderLayer.forward}.
   * @returns The same shape as `tgt`.
   */
  forward(tgt: Tensor, memory: Tensor, masks: DecoderMasks = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.call(x, memory, masks);
    return this.norm ? this.norm.call(x) : x;
  }
}

/** Options of {@link Transformer}. */
export interface TransformerOptions extends TransformerLayerOptions {
  /** Features E (default 512). */
  dModel?: number;
  /** Heads (default 8). */
  nhead?: number;
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
}

/** The masks of a {@link Transformer} call. */
export interface TransformerMasks extends DecoderMasks {
  /** The encoder's self-attention mask. */
  srcMask?: Tensor;
  /** `[N, S]` padding of the source. */
  srcKeyPaddingMask?: Tensor;
}

/**
 * The encoder-decoder Transformer, as `torch.nn.Transformer`: encoder and
 * decoder stacks with final LayerNorms, every matrix initialised
 * Xavier-uniform. `call(src, tgt, masks)` encodes `src` into the memory
 * and decodes `tgt` against it.
 *
 * @example
 * ```ts
 * import { Transformer } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const model = new Transformer({ dModel: 16, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32 });
 * const src = randn([6, 2, 16]), tgt = randn([4, 2, 16]);
 * const out = model.call(src, tgt, { tgtMask: Transformer.generateSquareSubsequentMask(4) });
 * console.assert(out.shape.join() === "4,2,16");
 * ```
 */
export class Transformer extends Module {
  /** The encoder stack. */
  encoder: TransformerEncoder;
  /** The decoder stack. */
  decoder: TransformerDecoder;
  /** Features E. */
  readonly dModel: number;
  /** Heads. */
  readonly nhead: number;
  /** Whether inputs are `[N, L, E]`. */
  readonly batchFirst: boolean;

  /**
   * Creates the model.
   *
   * @param options `dModel` (512), `nhead` (8), `numEncoderLayers` (6),
   *   `numDecoderLayers` (6), and the layers' options.
   */
  constructor(options: TransformerOptions = {}) {
    super();
    const d = options.dModel ?? 512, h = options.nhead ?? 8;
    const eps = options.layerNormEps ?? 1e-5;
    this.encoder = new TransformerEncoder(
      new TransformerEncoderLayer(d, h, options),
      options.numEncoderLayers ?? 6,
      { norm: new LayerNorm(d, { eps }) },
    );
    this.decoder = new TransformerDecoder(
      new TransformerDecoderLayer(d, h, options),
      options.numDecoderLayers ?? 6,
      { norm: new LayerNorm(d, { eps }) },
    );
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p, { rng: options.rng });
    this.dModel = d;
    this.nhead = h;
    this.batchFirst = options.batchFirst ?? false;
  }

  /**
   * Encodes `src` and decodes `tgt` against it.
   *
   * @param src `[S, N, E]` (`[N, S, E]` with `batchFirst`).
   * @param tgt `[T, N, E]` (likewise).
   * @param masks `srcMask`, `tgtMask`, `memoryMask`, `srcKeyPaddingMask`,
   *   `tgtKeyPaddingMask`, `memoryKeyPaddingMask`.
   * @returns `[T, N, E]` (likewise).
   */
  forward(src: Tensor, tgt: Tensor, masks: TransformerMasks = {}): Tensor {
    const memory = this.encoder.call(src, {
      mask: masks.srcMask,
      srcKeyPaddingMask: masks.srcKeyPaddingMask,
    });
    return this.decoder.call(tgt, memory, masks);
  }

  /**
   * The causal mask `[n, n]`: 0 on and below the diagonal, −∞ above, so
   * position `i` attends only to positions `j <= i`.
   *
   * @param n Sequence length.
   * @param options `backend` (default: current).
   * @returns A float32 mask.
   */
  static generateSquareSubsequentMask(n: number, options: { backend?: string } = {}): Tensor {
    return triu(full([n, n], -Infinity, options), 1);
  }

  /** The model's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, batchFirst=${this.batchFirst}`;
  }
}
