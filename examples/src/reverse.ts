/**
 * The sequence-reversal task of the Transformer example: random digit
 * strings in, the same strings reversed out, and a small encoder-decoder
 * Transformer with token embeddings and sinusoidal positions that learns it.
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { noGrad } from "@dendrite/autograd";
import { Embedding, Linear, Module, Transformer } from "@dendrite/layers";

/** Digits 0–9, then the start token the decoder begins from. */
export const VOCAB = 11;
/** The start-of-sequence token. */
export const BOS = 10;

/**
 * A batch of `n` random digit strings of length `len` and their reversals.
 *
 * @param n Strings.
 * @param len Length of each.
 * @param rng The generator.
 * @returns `src [n, len]` and `tgt [n, len]` (int32).
 * @example
 * ```ts
 * import { Generator } from "@dendrite/tensor";
 * import { reversalBatch } from "./reverse.ts";
 * const { src, tgt } = reversalBatch(2, 5, new Generator(0));
 * console.assert([...src.dataSync()].slice(0, 5).reverse().join() === [...tgt.dataSync()].slice(0, 5).join());
 * ```
 */
export function reversalBatch(
  n: number,
  len: number,
  rng: T.Generator,
): { src: T.Tensor; tgt: T.Tensor } {
  const src = T.randint(0, 10, [n, len], { rng });
  return { src, tgt: T.flip(src, 1) };
}

/**
 * Sinusoidal positions `[len, d]` of "Attention Is All You Need":
 * `sin(p / 10000^(2i/d))` on even features, `cos` on odd ones.
 *
 * @param len Positions.
 * @param d Features (even).
 * @returns A float32 tensor.
 * @example
 * ```ts
 * import { positions } from "./reverse.ts";
 * const p = positions(4, 8).dataSync();
 * console.assert(p[0] === 0 && p[1] === 1);
 * ```
 */
export function positions(len: number, d: number): T.Tensor {
  const out = new Float32Array(len * d);
  for (let p = 0; p < len; p++) {
    for (let i = 0; i < d; i += 2) {
      const angle = p / Math.pow(10000, i / d);
      out[p * d + i] = Math.sin(angle);
      out[p * d + i + 1] = Math.cos(angle);
    }
  }
  return T.tensor(out, { shape: [len, d] });
}

/**
 * Token embeddings scaled by √d plus positions, a `Transformer` with
 * `batchFirst`, and a linear read-out to the vocabulary.
 *
 * @example
 * ```ts
 * import { Generator, randint } from "@dendrite/tensor";
 * import { Reverser } from "./reverse.ts";
 * const model = new Reverser({ dModel: 16, nhead: 2, layers: 1, maxLen: 8, rng: new Generator(0) });
 * const src = randint(0, 10, [3, 5]);
 * console.assert(model.call(src, src).shape.join() === "3,5,11");
 * ```
 */
export class Reverser extends Module {
  /** Token embeddings. */
  embed: Embedding;
  /** Encoder and decoder. */
  transformer: Transformer;
  /** Read-out to the vocabulary. */
  head: Linear;
  /** Sinusoidal positions `[maxLen, dModel]` (not trained). */
  readonly pos: T.Tensor;
  /** Features. */
  readonly dModel: number;

  /**
   * Creates the model.
   *
   * @param o `dModel`, `nhead`, `layers` (encoder and decoder each),
   *   `maxLen`, `rng`.
   */
  constructor(
    o: { dModel: number; nhead: number; layers: number; maxLen: number; rng: T.Generator },
  ) {
    super();
    this.embed = new Embedding(VOCAB, o.dModel, { rng: o.rng });
    this.transformer = new Transformer({
      dModel: o.dModel,
      nhead: o.nhead,
      numEncoderLayers: o.layers,
      numDecoderLayers: o.layers,
      dimFeedforward: 4 * o.dModel,
      dropout: 0,
      batchFirst: true,
      rng: o.rng,
    });
    this.head = new Linear(o.dModel, VOCAB, { rng: o.rng });
    this.pos = positions(o.maxLen, o.dModel);
    this.dModel = o.dModel;
  }

  private embedTokens(tokens: T.Tensor): T.Tensor {
    const len = tokens.shape[1];
    return this.embed.call(tokens).mul(Math.sqrt(this.dModel)).add(this.pos.slice(`:${len}`));
  }

  /**
   * Next-token logits for every decoder position (teacher forcing).
   *
   * @param src `[N, S]` digits.
   * @param decoderIn `[N, T]` tokens: BOS, then the target shifted right.
   * @returns `[N, T, VOCAB]` logits.
   */
  forward(src: T.Tensor, decoderIn: T.Tensor): T.Tensor {
    const t = decoderIn.shape[1];
    const out = this.transformer.call(this.embedTokens(src), this.embedTokens(decoderIn), {
      tgtMask: Transformer.generateSquareSubsequentMask(t),
    });
    return this.head.call(out);
  }
}

/**
 * The decoder's input under teacher forcing: BOS, then the target without
 * its last token.
 *
 * @param tgt `[N, T]` targets.
 * @returns `[N, T]` int32 tokens.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { shiftRight } from "./reverse.ts";
 * const d = shiftRight(tensor(new Int32Array([3, 1, 4]), { shape: [1, 3] })).dataSync();
 * console.assert([...d].join() === "10,3,1");
 * ```
 */
export function shiftRight(tgt: T.Tensor): T.Tensor {
  const bos = T.full([tgt.shape[0], 1], BOS, { dtype: "int32" });
  return T.cat([bos, tgt.slice(`:, :${tgt.shape[1] - 1}`)], 1);
}

/**
 * Greedy decoding: starts from BOS and appends the most likely token, one
 * position at a time.
 *
 * @param model The trained model.
 * @param src `[N, S]` digits.
 * @returns `[N, S]` int32 predictions.
 * @example
 * ```ts
 * import { Generator, randint } from "@dendrite/tensor";
 * import { greedyDecode, Reverser } from "./reverse.ts";
 * const model = new Reverser({ dModel: 16, nhead: 2, layers: 1, maxLen: 8, rng: new Generator(0) });
 * console.assert(greedyDecode(model, randint(0, 10, [2, 4])).shape.join() === "2,4");
 * ```
 */
export function greedyDecode(model: Reverser, src: T.Tensor): T.Tensor {
  return noGrad(() => {
    const n = src.shape[0], len = src.shape[1];
    let tokens = T.full([n, 1], BOS, { dtype: "int32" });
    for (let i = 0; i < len; i++) {
      const logits = model.call(src, tokens);
      const next = logits.slice(`:, ${i}:${i + 1}`).argmax(-1);
      tokens = T.cat([tokens, next.cast("int32")], 1);
    }
    return tokens.slice(":, 1:");
  });
}
