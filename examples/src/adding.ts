/**
 * The adding problem (Hochreiter and Schmidhuber, 1997): each step carries a
 * random value in [0, 1) and a marker, exactly two steps are marked, and the
 * target is the sum of the two marked values. A model must carry both values
 * across the sequence; guessing the mean (1) leaves a mean squared error of
 * about 1/6.
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { Linear, LSTM, Module } from "@dendrite/layers";

/**
 * A batch of adding-problem sequences.
 *
 * @param n Sequences.
 * @param len Steps per sequence.
 * @param rng The generator.
 * @returns `x [n, len, 2]` (value, marker) and `y [n, 1]` (the sum).
 * @example
 * ```ts
 * import { Generator } from "@dendrite/tensor";
 * import { addingBatch } from "./adding.ts";
 * const { x, y } = addingBatch(3, 10, new Generator(0));
 * const markers = x.slice(":, :, 1").sum(1).dataSync();
 * console.assert(markers.every((m) => m === 2) && y.shape.join() === "3,1");
 * ```
 */
export function addingBatch(
  n: number,
  len: number,
  rng: T.Generator,
): { x: T.Tensor; y: T.Tensor } {
  const x = new Float32Array(n * len * 2), y = new Float32Array(n);
  const u = rng.fillUniform(new Float32Array(n * len + 2 * n));
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < len; t++) x[(b * len + t) * 2] = u[b * len + t];
    // Two distinct marked steps, one in each half as in the original task.
    const half = Math.max(1, Math.floor(len / 2));
    const i = Math.min(len - 1, Math.floor(u[n * len + 2 * b] * half));
    const j = Math.min(len - 1, half + Math.floor(u[n * len + 2 * b + 1] * (len - half)));
    x[(b * len + i) * 2 + 1] = 1;
    x[(b * len + j) * 2 + 1] = 1;
    y[b] = x[(b * len + i) * 2] + x[(b * len + j) * 2];
  }
  return { x: T.tensor(x, { shape: [n, len, 2] }), y: T.tensor(y, { shape: [n, 1] }) };
}

/**
 * An LSTM over the sequence and a linear read-out of its last state.
 *
 * @example
 * ```ts
 * import { Generator, randn } from "@dendrite/tensor";
 * import { Adder } from "./adding.ts";
 * const model = new Adder(16, new Generator(0));
 * console.assert(model.call(randn([4, 10, 2])).shape.join() === "4,1");
 * ```
 */
export class Adder extends Module {
  /** The recurrence. */
  lstm: LSTM;
  /** Read-out. */
  head: Linear;
  /**
   * Creates the model.
   *
   * @param hidden LSTM features.
   * @param rng The generator.
   */
  constructor(hidden: number, rng: T.Generator) {
    super();
    this.lstm = new LSTM(2, hidden, { batchFirst: true, rng });
    this.head = new Linear(hidden, 1, { rng });
  }
  /**
   * Predicts the sums.
   *
   * @param x `[N, L, 2]`.
   * @returns `[N, 1]`.
   */
  forward(x: T.Tensor): T.Tensor {
    const [, [h]] = this.lstm.call(x);
    return this.head.call(h.reshape([x.shape[0], -1]));
  }
}
