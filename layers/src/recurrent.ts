/**
 * Recurrent layers as PyTorch's `torch.nn`: `RNN` (tanh or ReLU), `LSTM`
 * (with `projSize`), `GRU`, each multi-layer and optionally bidirectional,
 * and the single-step cells `RNNCell`, `LSTMCell`, `GRUCell`, with the same
 * gate order, state-dict names and initialisation.
 *
 * Each layer projects the whole input sequence with one matmul, then runs
 * the recurrence step by step; gradients flow back through time by the
 * ordinary autograd graph.
 *
 * @module
 */
import {
  add,
  cat,
  chunk,
  dropout,
  empty,
  fmtShape,
  type Generator,
  linear,
  mul,
  relu,
  reshape,
  ShapeError,
  sigmoid,
  split,
  squeeze,
  stack,
  sub,
  tanh,
  type Tensor,
  transpose,
  unsqueeze,
  zeros,
} from "./deps.ts";
import { uniform_ } from "./init.ts";
import { Module, Parameter } from "./module.ts";
import { checkSizes } from "./linear.ts";

/**
 * The recurrences of the recurrent layers, PyTorch's mode names.
 *
 * @example
 * ```ts
 * import type { RecurrentMode } from "@dendrite/layers";
 * const mode: RecurrentMode = "GRU";
 * console.assert(mode === "GRU");
 * ```
 */
export type RecurrentMode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

const GATES: Record<RecurrentMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** Options of {@link RNN}, {@link LSTM} and {@link GRU}. */
export interface RecurrentOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Biases `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** Input and output `[N, L, features]` instead of `[L, N, features]` (default false). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, while training (default 0). */
  dropout?: number;
  /** Run a second recurrence backwards and concatenate the two (default false). */
  bidirectional?: boolean;
  /** Generator for the initial weights and the dropout. */
  rng?: Generator;
}

/** A parameter drawn from `U(−1/√H, 1/√H)`, PyTorch's initialisation of every recurrent weight. */
function recurrentParam(shape: number[], hiddenSize: number, rng?: Generator): Parameter {
  const bound = 1 / Math.sqrt(hiddenSize);
  return new Parameter(uniform_(empty(shape), -bound, bound, { rng }));
}

/** The mode of an Elman RNN with this activation (checked). */
function elmanMode(layer: string, nl: "tanh" | "relu"): RecurrentMode {
  if (nl !== "tanh" && nl !== "relu") {
    throw new RangeError(
      `Cannot create ${layer} with nonlinearity "${nl}": expected "tanh" or "relu"`,
    );
  }
  return nl === "tanh" ? "RNN_TANH" : "RNN_RELU";
}

/** One step of a recurrence: the new hidden state (and cell state). */
function step(
  mode: RecurrentMode,
  gi: Tensor,
  h: Tensor,
  c: Tensor | undefined,
  wHh: Tensor,
  bHh: Tensor | undefined,
  wHr: Tensor | undefined,
): [Tensor, Tensor | undefined] {
  const gh = linear(h, wHh, bHh);
  if (mode === "RNN_TANH") return [tanh(add(gi, gh)), undefined];
  if (mode === "RNN_RELU") return [relu(add(gi, gh)), undefined];
  if (mode === "GRU") {
    const [ir, iz, inn] = chunk(gi, 3, -1), [hr, hz, hn] = chunk(gh, 3, -1);
    const r = sigmoid(add(ir, hr)), z = sigmoid(add(iz, hz));
    const n = tanh(add(inn, mul(r, hn)));
    // (1 − z)·n + z·h
    return [add(n, mul(z, sub(h, n))), undefined];
  }
  const [i, f, g, o] = chunk(add(gi, gh), 4, -1);
  const c2 = add(mul(sigmoid(f), c!), mul(sigmoid(i), tanh(g)));
  let h2 = mul(sigmoid(o), tanh(c2));
  if (wHr) h2 = linear(h2, wHr);
  return [h2, c2];
}

/**
 * The shared machinery of {@link RNN}, {@link LSTM} and {@link GRU}: the
 * parameters `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
 * `bias_hh_l{k}` (and `weight_hr_l{k}` with `projSize`), `_reverse` for the
 * backward direction, each drawn from `U(−1/√H, 1/√H)`.
 *
 * @example
 * ```ts
 * import { GRU, type RNNBase } from "@dendrite/layers";
 * const rnn: RNNBase = new GRU(3, 4, { numLayers: 2 });
 * console.assert(rnn.namedParameters().length === 8);
 * ```
 */
export abstract class RNNBase extends Module {
  /** Input features. */
  readonly inputSize: number;
  /** Hidden features H. */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether there are biases. */
  readonly bias: boolean;
  /** Whether inputs are `[N, L, ·]`. */
  readonly batchFirst: boolean;
  /** Dropout between layers. */
  readonly dropout: number;
  /** Whether each layer also runs backwards. */
  readonly bidirectional: boolean;
  /** Output features of the LSTM's projection (0: none). */
  readonly projSize: number;
  /** Generator of the dropout. */
  rng: Generator | undefined;
  /** The recurrence. */
  protected readonly mode: RecurrentMode;

  /**
   * Creates the parameters.
   *
   * @param mode The recurrence.
   * @param name The layer's name, for errors.
   * @param inputSize Input features.
   * @param hiddenSize Hidden features.
   * @param options The options, and `projSize` for the LSTM.
   */
  protected constructor(
    mode: RecurrentMode,
    name: string,
    inputSize: number,
    hiddenSize: number,
    options: RecurrentOptions & { projSize?: number },
  ) {
    super();
    const numLayers = options.numLayers ?? 1, projSize = options.projSize ?? 0;
    checkSizes(name, { inputSize, hiddenSize, numLayers });
    if (!Number.isInteger(projSize) || projSize < 0 || (projSize > 0 && projSize >= hiddenSize)) {
      throw new RangeError(
        `Cannot create ${name} with projSize ${projSize}: expected an integer in [0, hiddenSize)`,
      );
    }
    const p = options.dropout ?? 0;
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`Cannot create ${name} with dropout ${p}: expected a value in [0, 1]`);
    }
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = options.bias !== false;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = p;
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = projSize;
    this.rng = options.rng;
    const gate = GATES[mode] * hiddenSize, real = projSize || hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const param = (shape: number[]) => recurrentParam(shape, hiddenSize, options.rng);
    const self = this as unknown as Record<string, Parameter>;
    for (let l = 0; l < numLayers; l++) {
      const inSize = l === 0 ? inputSize : real * dirs;
      for (let d = 0; d < dirs; d++) {
        const s = `_l${l}${d ? "_reverse" : ""}`;
        self[`weight_ih${s}`] = param([gate, inSize]);
        self[`weight_hh${s}`] = param([gate, real]);
        if (this.bias) {
          self[`bias_ih${s}`] = param([gate]);
          self[`bias_hh${s}`] = param([gate]);
        }
        if (projSize) self[`weight_hr${s}`] = param([projSize, hiddenSize]);
      }
    }
  }

  /** The parameter of layer `l`, direction `d`. */
  private weight(kind: string, l: number, d: number): Tensor | undefined {
    return (this as unknown as Record<string, Tensor | undefined>)[
      `${kind}_l${l}${d ? "_reverse" : ""}`
    ];
  }

  /**
   * Runs every layer over the sequence.
   *
   * @param input `[L, N, inputSize]` (`[N, L, ·]` with `batchFirst`, `[L, ·]` unbatched).
   * @param h0 Initial hidden states `[layers·directions, N, H]` (default zeros).
   * @param c0 Initial cell states (the LSTM's).
   * @returns The output sequence and the final states.
   */
  protected run(
    input: Tensor,
    h0: Tensor | undefined,
    c0: Tensor | undefined,
  ): { output: Tensor; hn: Tensor; cn: Tensor | undefined } {
    const name = `${this.constructor.name}(${this.inputSize}, ${this.hiddenSize})`;
    const unbatched = input.ndim === 2;
    if ((input.ndim !== 2 && input.ndim !== 3) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(
        `Cannot apply ${name} to input ${
          fmtShape(input.shape)
        }: expected [L, N, ${this.inputSize}] (batchFirst: [N, L, ${this.inputSize}]; unbatched: [L, ${this.inputSize}])`,
      );
    }
    let x = unbatched ? unsqueeze(input, 1) : this.batchFirst ? transpose(input, 0, 1) : input;
    const [len, n] = x.shape;
    const dirs = this.bidirectional ? 2 : 1, stacks = this.numLayers * dirs;
    const real = this.projSize || this.hiddenSize, lstm = this.mode === "LSTM";
    const initial = (t: Tensor | undefined, size: number, what: string) => {
      if (!t) return zeros([stacks, n, size], { backend: x.backend.name });
      const s = unbatched ? unsqueeze(t, 1) : t;
      if (s.ndim !== 3 || s.shape[0] !== stacks || s.shape[1] !== n || s.shape[2] !== size) {
        throw new ShapeError(
          `Cannot apply ${name} with ${what} ${fmtShape(t.shape)}: expected [${stacks}, ${
            unbatched ? "" : `${n}, `
          }${size}]`,
        );
      }
      return s;
    };
    const hs = split(initial(h0, real, "h0"), 1, 0);
    const cs = lstm ? split(initial(c0, this.hiddenSize, "c0"), 1, 0) : [];
    const hn: Tensor[] = [], cn: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const k = l * dirs + d;
        const wIh = this.weight("weight_ih", l, d)!, wHh = this.weight("weight_hh", l, d)!;
        const bIh = this.weight("bias_ih", l, d), bHh = this.weight("bias_hh", l, d);
        const wHr = this.weight("weight_hr", l, d);
        // The input's share of every gate, for all steps at once.
        const gi = split(linear(x, wIh, bIh), 1, 0);
        let h = reshape(hs[k], [n, real]);
        let c = lstm ? reshape(cs[k], [n, this.hiddenSize]) : undefined;
        const seq: Tensor[] = new Array(len);
        for (let s = 0; s < len; s++) {
          const t = d ? len - 1 - s : s;
          [h, c] = step(this.mode, reshape(gi[t], [n, gi[t].shape[2]]), h, c, wHh, bHh, wHr);
          seq[t] = h;
        }
        outs.push(stack(seq, 0));
        hn.push(h);
        if (c) cn.push(c);
      }
      x = dirs === 2 ? cat(outs, 2) : outs[0];
      if (this.training && this.dropout > 0 && l < this.numLayers - 1) {
        x = dropout(x, { p: this.dropout, rng: this.rng });
      }
    }
    let output = x, hN = stack(hn, 0), cN = lstm ? stack(cn, 0) : undefined;
    if (unbatched) {
      output = squeeze(output, 1);
      hN = squeeze(hN, 1);
      if (cN) cN = squeeze(cN, 1);
    } else if (this.batchFirst) output = transpose(output, 0, 1);
    return { output, hn: hN, cn: cN };
  }

  /** The layer's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (this.projSize) parts.push(`projSize=${this.projSize}`);
    if (!this.bias) parts.push("bias=false");
    if (this.batchFirst) parts.push("batchFirst=true");
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push("bidirectional=true");
    return parts.join(", ");
  }
}

/**
 * An Elman RNN, as `torch.nn.RNN`: `h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh)`
 * (or ReLU). `call(input, h0?)` returns `[output, hN]`: output
 * `[L, N, D·H]`, the last layer's state at every step (both directions
 * concatenated), and hN `[layers·D, N, H]`, every layer's final state.
 *
 * @example
 * ```ts
 * import { RNN } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const rnn = new RNN(3, 8, { numLayers: 2, bidirectional: true });
 * const [out, hN] = rnn.call(randn([5, 2, 3]));
 * console.assert(out.shape.join() === "5,2,16" && hN.shape.join() === "4,2,8");
 * ```
 */
export class RNN extends RNNBase {
  /** The activation. */
  readonly nonlinearity: "tanh" | "relu";
  /**
   * Creates the layer.
   *
   * @param inputSize Input features.
   * @param hiddenSize Hidden features.
   * @param options `nonlinearity` ("tanh"), and the {@link RecurrentOptions}.
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: RecurrentOptions & { nonlinearity?: "tanh" | "relu" } = {},
  ) {
    const nl = options.nonlinearity ?? "tanh";
    super(elmanMode("RNN", nl), "RNN", inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }
  /**
   * Runs the recurrence.
   *
   * @param input `[L, N, inputSize]` (see `batchFirst`; `[L, ·]` unbatched).
   * @param h0 Initial states `[layers·D, N, H]` (default zeros).
   * @returns `[output, hN]`.
   */
  forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const { output, hn } = this.run(input, h0, undefined);
    return [output, hn];
  }
}

/**
 * Long short-term memory, as `torch.nn.LSTM` (gates in PyTorch's order
 * i, f, g, o; with `projSize`, `h = W_hr·h`). `call(input, [h0, c0]?)`
 * returns `[output, [hN, cN]]`.
 *
 * @example
 * ```ts
 * import { LSTM } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const lstm = new LSTM(3, 8, { batchFirst: true });
 * const [out, [hN, cN]] = lstm.call(randn([2, 5, 3]));
 * console.assert(out.shape.join() === "2,5,8" && hN.shape.join() === "1,2,8" && cN.shape.join() === "1,2,8");
 * ```
 */
export class LSTM extends RNNBase {
  /**
   * Creates the layer.
   *
   * @param inputSize Input features.
   * @param hiddenSize Hidden (cell) features.
   * @param options `projSize` (0: none), and the {@link RecurrentOptions}.
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: RecurrentOptions & { projSize?: number } = {},
  ) {
    super("LSTM", "LSTM", inputSize, hiddenSize, options);
  }
  /**
   * Runs the recurrence.
   *
   * @param input `[L, N, inputSize]` (see `batchFirst`; `[L, ·]` unbatched).
   * @param state `[h0, c0]`: `[layers·D, N, projSize || H]` and `[layers·D, N, H]` (default zeros).
   * @returns `[output, [hN, cN]]`.
   */
  forward(input: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const { output, hn, cn } = this.run(input, state?.[0], state?.[1]);
    return [output, [hn, cn!]];
  }
}

/**
 * Gated recurrent unit, as `torch.nn.GRU` (gates r, z, n;
 * `n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn))`, `h' = (1 − z)·n + z·h`).
 * `call(input, h0?)` returns `[output, hN]`.
 *
 * @example
 * ```ts
 * import { GRU } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const [out, hN] = new GRU(3, 8).call(randn([5, 2, 3]));
 * console.assert(out.shape.join() === "5,2,8" && hN.shape.join() === "1,2,8");
 * ```
 */
export class GRU extends RNNBase {
  /**
   * Creates the layer.
   *
   * @param inputSize Input features.
   * @param hiddenSize Hidden features.
   * @param options The {@link RecurrentOptions}.
   */
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super("GRU", "GRU", inputSize, hiddenSize, options);
  }
  /**
   * Runs the recurrence.
   *
   * @param input `[L, N, inputSize]` (see `batchFirst`; `[L, ·]` unbatched).
   * @param h0 Initial states `[layers·D, N, H]` (default zeros).
   * @returns `[output, hN]`.
   */
  forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const { output, hn } = this.run(input, h0, undefined);
    return [output, hn];
  }
}

/**
 * The shared parameters of the cells: `weight_ih [G·H, inputSize]`,
 * `weight_hh [G·H, H]`, `bias_ih`, `bias_hh`, drawn from `U(−1/√H, 1/√H)`.
 *
 * @example
 * ```ts
 * import { LSTMCell, type RNNCellBase } from "@dendrite/layers";
 * const cell: RNNCellBase = new LSTMCell(3, 4);
 * console.assert(cell.weight_ih.shape.join() === "16,3");
 * ```
 */
export abstract class RNNCellBase extends Module {
  /** Input-to-hidden weights. */
  weight_ih: Parameter;
  /** Hidden-to-hidden weights. */
  weight_hh: Parameter;
  /** Input bias, or null. */
  bias_ih: Parameter | null;
  /** Hidden bias, or null. */
  bias_hh: Parameter | null;
  /** Input features. */
  readonly inputSize: number;
  /** Hidden features. */
  readonly hiddenSize: number;
  /** The recurrence. */
  protected readonly mode: RecurrentMode;

  /**
   * Creates the parameters.
   *
   * @param mode The recurrence.
   * @param name The cell's name, for errors.
   * @param inputSize Input features.
   * @param hiddenSize Hidden features.
   * @param options `bias` (true), `rng`.
   */
  protected constructor(
    mode: RecurrentMode,
    name: string,
    inputSize: number,
    hiddenSize: number,
    options: { bias?: boolean; rng?: Generator },
  ) {
    super();
    checkSizes(name, { inputSize, hiddenSize });
    const gate = GATES[mode] * hiddenSize;
    const param = (shape: number[]) => recurrentParam(shape, hiddenSize, options.rng);
    this.weight_ih = param([gate, inputSize]);
    this.weight_hh = param([gate, hiddenSize]);
    this.bias_ih = options.bias === false ? null : param([gate]);
    this.bias_hh = options.bias === false ? null : param([gate]);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.mode = mode;
  }

  /**
   * One step from `input` `[N, inputSize]` (or `[inputSize]`) and the state.
   *
   * @param input The step's input.
   * @param h The hidden state (default zeros).
   * @param c The cell state (LSTM; default zeros).
   * @returns The new states.
   */
  protected cellStep(
    input: Tensor,
    h: Tensor | undefined,
    c: Tensor | undefined,
  ): [Tensor, Tensor | undefined] {
    const name = `${this.constructor.name}(${this.inputSize}, ${this.hiddenSize})`;
    const unbatched = input.ndim === 1;
    if ((input.ndim !== 1 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(
        `Cannot apply ${name} to input ${
          fmtShape(input.shape)
        }: expected [N, ${this.inputSize}] or [${this.inputSize}]`,
      );
    }
    const x = unbatched ? unsqueeze(input, 0) : input, n = x.shape[0];
    const state = (t: Tensor | undefined, what: string) => {
      if (!t) return zeros([n, this.hiddenSize], { backend: x.backend.name });
      const s = unbatched ? unsqueeze(t, 0) : t;
      if (s.ndim !== 2 || s.shape[0] !== n || s.shape[1] !== this.hiddenSize) {
        throw new ShapeError(
          `Cannot apply ${name} with ${what} ${fmtShape(t.shape)}: expected [${
            unbatched ? "" : `${n}, `
          }${this.hiddenSize}]`,
        );
      }
      return s;
    };
    const h0 = state(h, "hx"), c0 = this.mode === "LSTM" ? state(c, "cx") : undefined;
    const gi = linear(x, this.weight_ih, this.bias_ih ?? undefined);
    let [h1, c1] = step(
      this.mode,
      gi,
      h0,
      c0,
      this.weight_hh,
      this.bias_hh ?? undefined,
      undefined,
    );
    if (unbatched) {
      h1 = squeeze(h1, 0);
      if (c1) c1 = squeeze(c1, 0);
    }
    return [h1, c1];
  }

  /** The cell's settings, shown by `toString()`. @returns The description. */
  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? "" : ", bias=false"}`;
  }
}

/**
 * One step of an Elman RNN, as `torch.nn.RNNCell`: `call(x, h?)` returns
 * the new hidden state.
 *
 * @example
 * ```ts
 * import { RNNCell } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * console.assert(new RNNCell(3, 4).call(randn([2, 3])).shape.join() === "2,4");
 * ```
 */
export class RNNCell extends RNNCellBase {
  /**
   * Creates the cell.
   *
   * @param inputSize Input features.
   * @param hiddenSize Hidden features.
   * @param options `bias` (true), `nonlinearity` ("tanh"), `rng`.
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: { bias?: boolean; nonlinearity?: "tanh" | "relu"; rng?: Generator } = {},
  ) {
    const nl = options.nonlinearity ?? "tanh";
    super(elmanMode("RNNCell", nl), "RNNCell", inputSize, hiddenSize, options);
  }
  /**
   * One step.
   *
   * @param input `[N, inputSize]` or `[inputSize]`.
   * @param hx The hidden state (default zeros).
   * @returns The new hidden state.
   */
  forward(input: Tensor, hx?: Tensor): Tensor {
    return this.cellStep(input, hx, undefined)[0];
  }
}

/**
 * One LSTM step, as `torch.nn.LSTMCell`: `call(x, [h, c]?)` returns
 * `[h', c']`.
 *
 * @example
 * ```ts
 * import { LSTMCell } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * const [h, c] = new LSTMCell(3, 4).call(randn([2, 3]));
 * console.assert(h.shape.join() === "2,4" && c.shape.join() === "2,4");
 * ```
 */
export class LSTMCell extends RNNCellBase {
  /**
   * Creates the cell.
   *
   * @param inputSize Input features.
   * @param hiddenSize Hidden features.
   * @param options `bias` (true), `rng`.
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: { bias?: boolean; rng?: Generator } = {},
  ) {
    super("LSTM", "LSTMCell", inputSize, hiddenSize, options);
  }
  /**
   * One step.
   *
   * @param input `[N, inputSize]` or `[inputSize]`.
   * @param state `[h, c]` (default zeros).
   * @returns `[h', c']`.
   */
  forward(input: Tensor, state?: [Tensor, Tensor]): [Tensor, Tensor] {
    const [h, c] = this.cellStep(input, state?.[0], state?.[1]);
    return [h, c!];
  }
}

/**
 * One GRU step, as `torch.nn.GRUCell`: `call(x, h?)` returns the new
 * hidden state.
 *
 * @example
 * ```ts
 * import { GRUCell } from "@dendrite/layers";
 * import { randn } from "@dendrite/tensor";
 * console.assert(new GRUCell(3, 4).call(randn([3])).shape.join() === "4");
 * ```
 */
export class GRUCell extends RNNCellBase {
  /**
   * Creates the cell.
   *
   * @param inputSize Input features.
   * @param hiddenSize Hidden features.
   * @param options `bias` (true), `rng`.
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: { bias?: boolean; rng?: Generator } = {},
  ) {
    super("GRU", "GRUCell", inputSize, hiddenSize, options);
  }
  /**
   * One step.
   *
   * @param input `[N, inputSize]` or `[inputSize]`.
   * @param hx The hidden state (default zeros).
   * @returns The new hidden state.
   */
  forward(input: Tensor, hx?: Tensor): Tensor {
    return this.cellStep(input, hx, undefined)[0];
  }
}
